//! The formats this crate knows, how each describes itself, and their options.

use crate::csv::{CsvDecoder, CsvEncoder, CsvOptions, CsvWriteOptions};
use crate::jsonl::{JsonLinesDecoder, JsonLinesEncoder};
use bytes::BytesMut;
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, ErrorPolicy, FormatInfo, ParsedBatch, Record,
    Result,
};

/// A format this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Delimited text: CSV, TSV, PSV, SSV.
    Csv,
    /// JSON Lines / NDJSON.
    JsonLines,
}

const STREAMING: Capabilities = Capabilities {
    read: true,
    write: true,
    streaming: true,
    random_access: false,
};

static CSV_INFO: FormatInfo = FormatInfo {
    name: "csv",
    aliases: &["tsv", "psv", "ssv"],
    extensions: &["csv", "tsv", "tab", "psv", "ssv"],
    capabilities: STREAMING,
};

static JSONL_INFO: FormatInfo = FormatInfo {
    name: "jsonl",
    aliases: &["ndjson", "jsonlines"],
    extensions: &["jsonl", "ndjson", "jsonlines"],
    capabilities: STREAMING,
};

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: [Format; 2] = [Format::Csv, Format::JsonLines];

    /// The format's description.
    pub fn info(self) -> &'static FormatInfo {
        match self {
            Format::Csv => &CSV_INFO,
            Format::JsonLines => &JSONL_INFO,
        }
    }

    /// The extension written by default: `csv`, `jsonl`.
    pub fn extension(self) -> &'static str {
        self.info().extensions[0]
    }
}

/// A format together with the dialect its name implies: `tsv` is CSV with tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatChoice {
    /// The format.
    pub format: Format,
    /// For CSV: the delimiter the name implies (`tsv` and `tab` tab, `psv` `|`, `ssv` `;`).
    pub delimiter: Option<u8>,
}

impl FormatChoice {
    /// Looks up a format name, alias or extension, ignoring ASCII case: `"csv"`, `"TSV"`,
    /// `"ndjson"`.
    ///
    /// ```
    /// use iterable_formats::{Format, FormatChoice};
    /// let tsv = FormatChoice::from_name("tsv").unwrap();
    /// assert_eq!((tsv.format, tsv.delimiter), (Format::Csv, Some(b'\t')));
    /// assert!(FormatChoice::from_name("xlsx").is_none());
    /// ```
    pub fn from_name(name: &str) -> Option<FormatChoice> {
        let name = name.to_ascii_lowercase();
        let format = Format::ALL
            .into_iter()
            .find(|f| f.info().is_called(&name) || f.info().extensions.contains(&name.as_str()))?;
        let delimiter = match name.as_str() {
            "csv" => Some(b','),
            "tsv" | "tab" => Some(b'\t'),
            "psv" => Some(b'|'),
            "ssv" => Some(b';'),
            _ => None,
        };
        Some(FormatChoice { format, delimiter })
    }

    /// A format with no implied dialect.
    pub fn plain(format: Format) -> FormatChoice {
        FormatChoice {
            format,
            delimiter: None,
        }
    }

    /// How this choice is shown to people: `csv`, `csv (delimiter '\t')`, `jsonl`.
    pub fn describe(&self) -> String {
        match self.delimiter {
            Some(d) => format!("{} (delimiter {:?})", self.format.info().name, d as char),
            None => self.format.info().name.to_owned(),
        }
    }
}

/// The default maximum size of one record's bytes: 64 MiB.
pub const DEFAULT_MAX_RECORD_SIZE: usize = 64 << 20;

/// How to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The format; `None` detects it from the name, then from the content.
    pub format: Option<Format>,
    /// CSV dialect (used when the format is CSV). A delimiter set here wins over the one a
    /// name implies; without either it is sniffed.
    pub csv: CsvOptions,
    /// The largest record, in bytes, before a [`ErrorKind::LimitExceeded`] error.
    pub max_record_size: usize,
    /// What to do with recoverable errors.
    pub error_policy: ErrorPolicy,
    /// Compression of the input: detected from the name, then the magic bytes, by default.
    pub compression: crate::compression::Compression,
    /// Limits on decompressed size and ratio.
    pub decompression_limits: iterable_core::DecompressionLimits,
    /// For zip archives: a glob on member names (`*.csv`); every file member when `None`. All
    /// members are read in the format of the first.
    pub zip_members: Option<String>,
    /// For zip archives: a field that each record gets, holding its member's name.
    pub member_field: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            csv: CsvOptions::default(),
            max_record_size: DEFAULT_MAX_RECORD_SIZE,
            error_policy: ErrorPolicy::Fail,
            compression: crate::compression::Compression::Detect,
            decompression_limits: iterable_core::DecompressionLimits::default(),
            zip_members: None,
            member_field: None,
        }
    }
}

impl ReadOptions {
    /// Sets the format from a name such as `"tsv"` (which also sets the tab delimiter).
    pub fn with_format_name(mut self, name: &str) -> Result<Self> {
        let choice = FormatChoice::from_name(name).ok_or_else(|| unknown_format(name))?;
        self.format = Some(choice.format);
        if self.csv.delimiter.is_none() {
            self.csv.delimiter = choice.delimiter;
        }
        Ok(self)
    }

    /// Applies what detection found, keeping what the options already say.
    pub fn resolve(&self, choice: FormatChoice) -> ReadOptions {
        let mut options = self.clone();
        options.format = Some(options.format.unwrap_or(choice.format));
        if options.csv.delimiter.is_none() {
            options.csv.delimiter = choice.delimiter;
        }
        options
    }
}

/// How to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// The format; `None` takes it from the target's name.
    pub format: Option<Format>,
    /// CSV dialect. The delimiter a name implies (`.tsv`) applies unless set here.
    pub csv: CsvWriteOptions,
    /// Compression of the output: from the target's name (`out.csv.gz`) by default.
    pub compression: crate::compression::Compression,
    /// The codec's compression level, on its own scale; `None` for its default.
    pub compression_level: Option<i32>,
    /// For a zip archive: its member's name (by default the target's name less `.zip`).
    pub zip_member: Option<String>,
}

impl WriteOptions {
    /// Sets the format from a name such as `"tsv"` (which also sets the tab delimiter).
    pub fn with_format_name(mut self, name: &str) -> Result<Self> {
        let choice = FormatChoice::from_name(name).ok_or_else(|| unknown_format(name))?;
        self.format = Some(choice.format);
        Ok(self.resolve(choice))
    }

    /// The options for writing to a target named `name` (a file name, `None` for stdout):
    /// the name's format and dialect unless these options say otherwise.
    pub fn for_target(&self, name: Option<&str>) -> Result<WriteOptions> {
        use crate::compression::{CodecKind, Compression};
        let mut options = self.clone();
        let mut name = name;
        if let (Compression::Detect, Some((codec, inner))) =
            (self.compression, name.and_then(CodecKind::from_file_name))
        {
            options.compression = Compression::Use(codec);
            if codec == CodecKind::Zip && options.zip_member.is_none() {
                options.zip_member = Some(inner.to_owned());
            }
            name = Some(inner);
        }
        match (self.format, name.and_then(crate::detect_from_name)) {
            (_, Some(detection)) => Ok(options.resolve(detection.choice)),
            (Some(_), None) => Ok(options),
            (None, None) => Err(Error::new(
                ErrorKind::UnknownFormat,
                "cannot tell which format to write from the name; name one in the options",
            )),
        }
    }

    /// Applies what the target's name says, keeping what the options already say.
    pub fn resolve(&self, choice: FormatChoice) -> WriteOptions {
        let mut options = self.clone();
        options.format = Some(options.format.unwrap_or(choice.format));
        if options.csv.delimiter.is_none() {
            options.csv.delimiter = choice.delimiter;
        }
        options
    }
}

fn unknown_format(name: &str) -> Error {
    let known: Vec<&str> = Format::ALL
        .iter()
        .flat_map(|f| std::iter::once(f.info().name).chain(f.info().aliases.iter().copied()))
        .collect();
    Error::new(
        ErrorKind::UnknownFormat,
        format!("unknown format {name:?} (known: {})", known.join(", ")),
    )
}

/// A decoder for any [`Format`]: static dispatch, one match per record.
pub enum FormatDecoder {
    /// CSV family.
    Csv(CsvDecoder),
    /// JSON Lines.
    JsonLines(JsonLinesDecoder),
}

impl FormatDecoder {
    /// The decoder for `format` with `options`.
    pub fn new(format: Format, options: &ReadOptions) -> FormatDecoder {
        match format {
            Format::Csv => FormatDecoder::Csv(CsvDecoder::new(
                options.csv.clone(),
                options.max_record_size,
            )),
            Format::JsonLines => {
                FormatDecoder::JsonLines(JsonLinesDecoder::new(options.max_record_size))
            }
        }
    }

    /// The format decoded.
    pub fn format(&self) -> Format {
        match self {
            FormatDecoder::Csv(_) => Format::Csv,
            FormatDecoder::JsonLines(_) => Format::JsonLines,
        }
    }
}

impl Decoder for FormatDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        match self {
            FormatDecoder::Csv(d) => d.decode(buf),
            FormatDecoder::JsonLines(d) => d.decode(buf),
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        match self {
            FormatDecoder::Csv(d) => d.decode_eof(buf),
            FormatDecoder::JsonLines(d) => d.decode_eof(buf),
        }
    }

    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        match self {
            FormatDecoder::Csv(d) => d.decode_into(buf, eof, batch),
            FormatDecoder::JsonLines(d) => d.decode_into(buf, eof, batch),
        }
    }
}

/// An encoder for any [`Format`].
pub enum FormatEncoder {
    /// CSV family.
    Csv(CsvEncoder),
    /// JSON Lines.
    JsonLines(JsonLinesEncoder),
}

impl FormatEncoder {
    /// The encoder for `format` with `options`.
    pub fn new(format: Format, options: &WriteOptions) -> FormatEncoder {
        match format {
            Format::Csv => FormatEncoder::Csv(CsvEncoder::new(options.csv.clone())),
            Format::JsonLines => FormatEncoder::JsonLines(JsonLinesEncoder::new()),
        }
    }
}

impl Encoder for FormatEncoder {
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        match self {
            FormatEncoder::Csv(e) => e.encode(record, dst),
            FormatEncoder::JsonLines(e) => e.encode(record, dst),
        }
    }

    fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        match self {
            FormatEncoder::Csv(e) => e.finish(dst),
            FormatEncoder::JsonLines(e) => e.finish(dst),
        }
    }
}
