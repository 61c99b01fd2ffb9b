//! The formats as plug-ins: what a format module provides ([`FormatSpec`]), the handle every
//! layer passes around ([`Format`]), the registry that lists them, and their options as
//! `key=value` text ([`FormatOptions`]).
//!
//! A format is one module plus one line in [`REGISTRY`]: the module describes the format once
//! (its [`FormatInfo`]: name, aliases, extensions, MIME types, magic bytes, what it can do),
//! lists its options with their defaults, sniffs content with a confidence, and makes its
//! decoders and encoders. Detection, option checking, `iterable formats` and the test kit walk
//! the registry; nothing outside the module matches on the format.

use crate::encoding::{
    EncodingErrors, TextEncoding, Transcoder, TranscodingDecoder, TranscodingEncoder,
};
use iterable_core::{Decoder, Encoder, Error, ErrorKind, FormatInfo, RangeDecoder, Result};
use std::fmt;

/// One option of a format: its key, its default (as text) and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionInfo {
    /// The key, as given to `-o KEY=VALUE`.
    pub key: &'static str,
    /// The default, as text (`""` when there is none).
    pub default: &'static str,
    /// What it does, in a line.
    pub help: &'static str,
}

/// What a format found in an input's first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// How sure the format is, from 1 (barely) to 100 (its magic bytes are there).
    pub confidence: u8,
    /// The dialect it found (CSV's delimiter), as options.
    pub options: FormatOptions,
}

impl Sniffed {
    /// A guess of `confidence` with no dialect.
    pub fn with(confidence: u8) -> Sniffed {
        Sniffed {
            confidence,
            options: FormatOptions::default(),
        }
    }
}

/// What a format module implements: one `static` value per format, listed in [`REGISTRY`].
///
/// Decoders and encoders are made from options given as text ([`FormatOptions`]); each
/// format parses them into its own typed options, and an unknown key or a bad value is an
/// error that lists the keys it knows ([`FormatOptions::check`]).
pub trait FormatSpec: Sync {
    /// The format's description.
    fn info(&self) -> &'static FormatInfo;

    /// The options its decoders take.
    fn read_options(&self) -> &'static [OptionInfo] {
        &[]
    }

    /// The options its encoders take.
    fn write_options(&self) -> &'static [OptionInfo] {
        &[]
    }

    /// The options a name implies: `tsv` is CSV with tab delimiters. `name` is an alias or an
    /// extension of this format, lowercase.
    fn implied_options(&self, name: &str) -> FormatOptions {
        let _ = name;
        FormatOptions::default()
    }

    /// How sure the format is that `head` (an input's first bytes; all of it when `complete`)
    /// is in it, and the dialect found; `None` when it is not.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed>;

    /// A decoder for a stream in this format, refusing records longer than
    /// `max_record_size` bytes.
    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>>;

    /// A decoder for an input of `size` bytes read by ranges, for formats with random access
    /// (their [`iterable_core::Capabilities::random_access`]).
    fn ranged_decoder(&self, options: &FormatOptions, size: u64) -> Result<Box<dyn RangeDecoder>> {
        let _ = (options, size);
        Err(Error::new(
            ErrorKind::Unsupported,
            format!("{} is not read by ranges", self.info().name),
        ))
    }

    /// True for a text format, which reads and writes UTF-8 and so takes the `encoding`
    /// options ([`crate::encoding`]); false for a binary one.
    fn is_text(&self) -> bool {
        true
    }

    /// The extensions of files beside an input that its decoder reads too (a DBF table's
    /// memo file): readers of local files give the first one there to
    /// [`RangeDecoder::push_companion`] before the first step. None by default.
    fn companions(&self) -> &'static [&'static str] {
        &[]
    }

    /// True for a format that adds to an output that exists rather than replacing it (an
    /// SQLite database keeps its other tables): writers read the target and hand it to the
    /// encoder ([`Encoder::amend`]) before the first record. False by default.
    fn amends(&self) -> bool {
        false
    }

    /// An encoder writing this format.
    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        let _ = options;
        Err(Error::new(
            ErrorKind::Unsupported,
            format!("{} cannot be written", self.info().name),
        ))
    }
}

/// A format: a handle on its [`FormatSpec`], cheap to copy and compare (by name).
///
/// ```
/// use iterable_formats::Format;
/// let tsv = Format::from_name("TSV").unwrap();
/// assert_eq!(tsv, Format::CSV);
/// assert_eq!(Format::JSONL.info().extensions[0], "jsonl");
/// assert!(Format::from_name("nope").is_none());
/// ```
#[derive(Clone, Copy)]
pub struct Format(&'static dyn FormatSpec);

impl Format {
    /// Delimited text: CSV, TSV, PSV, SSV.
    pub const CSV: Format = Format(&crate::csv::CSV);
    /// JSON Lines / NDJSON.
    pub const JSONL: Format = Format(&crate::jsonl::JSONL);
    /// JSON documents: the objects of an array, GeoJSON features.
    pub const JSON: Format = Format(&crate::json::JSON);
    /// LTSV, labelled tab-separated values.
    pub const LTSV: Format = Format(&crate::ltsv::LTSV);
    /// Web server access logs.
    pub const APACHELOG: Format = Format(&crate::apachelog::APACHELOG);
    /// InfluxDB line protocol.
    pub const LINEPROTOCOL: Format = Format(&crate::lineprotocol::LINEPROTOCOL);
    /// GELF, Graylog's log messages.
    pub const GELF: Format = Format(&crate::gelf::GELF);
    /// CEF, ArcSight's Common Event Format.
    pub const CEF: Format = Format(&crate::cef::CEF);
    /// Fixed-width text.
    pub const FIXEDWIDTH: Format = Format(&crate::fixedwidth::FIXEDWIDTH);
    /// XML.
    pub const XML: Format = Format(&crate::xml::XML);
    /// INI files.
    pub const INI: Format = Format(&crate::ini::INI);
    /// TOML documents.
    pub const TOML: Format = Format(&crate::toml::TOML);
    /// YAML streams.
    pub const YAML: Format = Format(&crate::yaml::YAML);
    /// Apache Parquet (feature `parquet`).
    #[cfg(feature = "parquet")]
    pub const PARQUET: Format = Format(&crate::parquet::PARQUET);

    /// Every format built in, in the order detection breaks ties.
    pub fn all() -> impl Iterator<Item = Format> {
        REGISTRY.iter().map(|spec| Format(*spec))
    }

    /// The format called `name` (its name, an alias or an extension; ASCII case ignored).
    pub fn from_name(name: &str) -> Option<Format> {
        let name = name.to_ascii_lowercase();
        Format::all().find(|f| f.info().is_called(&name) || f.info().extensions.contains(&&*name))
    }

    /// The format called `name`, or an error listing the known names.
    pub fn named(name: &str) -> Result<Format> {
        Format::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Format::all()
                .flat_map(|f| {
                    std::iter::once(f.info().name).chain(f.info().aliases.iter().copied())
                })
                .collect();
            Error::new(
                ErrorKind::UnknownFormat,
                format!("unknown format {name:?} (known: {})", known.join(", ")),
            )
        })
    }

    /// The format's description.
    pub fn info(self) -> &'static FormatInfo {
        self.0.info()
    }

    /// The format's module.
    pub fn spec(self) -> &'static dyn FormatSpec {
        self.0
    }

    /// The extensions of files beside an input that its decoder reads too
    /// ([`FormatSpec::companions`]).
    pub fn companions(self) -> &'static [&'static str] {
        self.0.companions()
    }

    /// True when writing adds to an output that exists ([`FormatSpec::amends`]).
    pub fn amends(self) -> bool {
        self.0.amends()
    }

    /// The extension written by default: `csv`, `jsonl`.
    pub fn extension(self) -> &'static str {
        self.info().extensions[0]
    }

    /// The options its decoders take: its own, and for a text format the encoding's.
    pub fn read_options(self) -> Vec<OptionInfo> {
        let text = if self.0.is_text() {
            ENCODING_READ_OPTIONS
        } else {
            &[]
        };
        self.0.read_options().iter().chain(text).copied().collect()
    }

    /// The options its encoders take: its own, and for a text format the encoding's (which a
    /// format may take too, as XML does for its declaration).
    pub fn write_options(self) -> Vec<OptionInfo> {
        let own = self.0.write_options();
        let text = if self.0.is_text() {
            ENCODING_WRITE_OPTIONS
        } else {
            &[]
        };
        let text = text.iter().filter(|o| !own.iter().any(|k| k.key == o.key));
        own.iter().chain(text).copied().collect()
    }

    /// A decoder for `options` (checked against the format's read options). A text format in
    /// an encoding other than UTF-8 (`encoding=`), or with `encoding_errors=replace`, reads
    /// through a [`crate::encoding::TranscodingDecoder`].
    pub fn decoder(
        self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        options.check(self.info().name, &self.read_options())?;
        let (encoding, errors, options) = take_encoding(options)?;
        let inner = self.0.decoder(&options, max_record_size)?;
        Ok(match encoding {
            Some(encoding) if !encoding.is_utf8() || errors == EncodingErrors::Replace => Box::new(
                TranscodingDecoder::new(inner, Transcoder::new(encoding, errors)),
            ),
            None if errors == EncodingErrors::Replace => Box::new(TranscodingDecoder::new(
                inner,
                Transcoder::new(TextEncoding::UTF_8, errors),
            )),
            _ => inner,
        })
    }

    /// A decoder of an input of `size` bytes read by ranges (checked options; formats with
    /// random access only).
    pub fn ranged_decoder(
        self,
        options: &FormatOptions,
        size: u64,
    ) -> Result<Box<dyn RangeDecoder>> {
        options.check(self.info().name, &self.read_options())?;
        self.0.ranged_decoder(options, size)
    }

    /// An encoder for `options` (checked against the format's write options); a text format
    /// with `encoding=` other than UTF-8 writes through a
    /// [`crate::encoding::TranscodingEncoder`].
    pub fn encoder(self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        if !self.info().capabilities.write {
            return self.0.encoder(options);
        }
        options.check(self.info().name, &self.write_options())?;
        let (encoding, _, mut own) = take_encoding(options)?;
        // A format that writes its encoding down (XML's declaration) is told it.
        if let Some(encoding) = encoding
            && self.0.write_options().iter().any(|o| o.key == "encoding")
        {
            own.set("encoding", encoding.name());
        }
        let inner = self.0.encoder(&own)?;
        Ok(match encoding {
            Some(encoding) if !encoding.is_utf8() => {
                Box::new(TranscodingEncoder::new(inner, encoding))
            }
            _ => inner,
        })
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.info().name == other.info().name
    }
}

impl Eq for Format {}

impl std::hash::Hash for Format {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.info().name.hash(state);
    }
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Format({})", self.info().name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().name)
    }
}

/// The options every text format reads with ([`crate::encoding`]).
pub static ENCODING_READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "encoding",
        default: "detected",
        help: "the text encoding (cp1251, latin1, utf-16le, ...): else a byte order mark, else the content decides",
    },
    OptionInfo {
        key: "encoding_errors",
        default: "fail",
        help: "bytes that are not text in the encoding: fail (an error with their offset), or replace (with U+FFFD)",
    },
];

/// The options every text format writes with.
pub static ENCODING_WRITE_OPTIONS: &[OptionInfo] = &[OptionInfo {
    key: "encoding",
    default: "utf-8",
    help: "the text encoding to write (cp1251, latin1, utf-16le, ...)",
}];

/// The encoding options taken out of `options`: the encoding named, what to do with bytes
/// that are not text, and the format's own options.
fn take_encoding(
    options: &FormatOptions,
) -> Result<(Option<TextEncoding>, EncodingErrors, FormatOptions)> {
    let encoding = options.parsed(
        "text",
        "encoding",
        "an encoding such as utf-8, cp1251, latin1, utf-16le",
        TextEncoding::from_label,
    )?;
    let errors = options
        .parsed("text", "encoding_errors", "fail or replace", |v| match v {
            "fail" | "strict" => Some(EncodingErrors::Fail),
            "replace" => Some(EncodingErrors::Replace),
            _ => None,
        })?
        .unwrap_or_default();
    let rest = options
        .iter()
        .filter(|(k, _)| !matches!(*k, "encoding" | "encoding_errors"))
        .collect();
    Ok((encoding, errors, rest))
}

/// The formats built in, one line each; the order breaks ties in detection.
pub static REGISTRY: &[&dyn FormatSpec] = &[
    &crate::csv::CSV,
    &crate::jsonl::JSONL,
    &crate::json::JSON,
    &crate::ltsv::LTSV,
    &crate::apachelog::APACHELOG,
    &crate::lineprotocol::LINEPROTOCOL,
    &crate::gelf::GELF,
    &crate::cef::CEF,
    &crate::fixedwidth::FIXEDWIDTH,
    &crate::xml::XML,
    &crate::ini::INI,
    &crate::toml::TOML,
    &crate::yaml::YAML,
    &crate::msgpack::MSGPACK,
    &crate::cbor::CBOR,
    &crate::bson::BSON,
    &crate::avro::AVRO,
    &crate::pgcopy::PGCOPY,
    #[cfg(feature = "parquet")]
    &crate::parquet::PARQUET,
    #[cfg(feature = "arrow")]
    &crate::ipc::ARROW_FILE,
    #[cfg(feature = "arrow")]
    &crate::ipc::ARROW_STREAM,
    #[cfg(feature = "orc")]
    &crate::orc::ORC,
    #[cfg(feature = "spreadsheets")]
    &crate::spreadsheet::XLSX,
    #[cfg(feature = "spreadsheets")]
    &crate::spreadsheet::XLS,
    #[cfg(feature = "spreadsheets")]
    &crate::spreadsheet::ODS,
    #[cfg(feature = "dbf")]
    &crate::dbf::DBF,
    #[cfg(feature = "sqlite")]
    &crate::sqlite::SQLITE,
];

/// A format's options as `key=value` text, in the order given; a later value of a key wins.
///
/// ```
/// use iterable_formats::FormatOptions;
/// let mut options = FormatOptions::default();
/// options.set_pair("delimiter=;")?;
/// options.set("header", "false");
/// assert_eq!(options.get("delimiter"), Some(";"));
/// assert_eq!(options.get("quote"), None);
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatOptions(Vec<(String, String)>);

impl FormatOptions {
    /// Sets `key` to `value`.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let key = key.into();
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, value.into()));
        self
    }

    /// These options with `key` set to `value`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// Sets an option given as `KEY=VALUE` (the command's `-o`).
    pub fn set_pair(&mut self, pair: &str) -> Result<&mut Self> {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidRecord,
                format!("{pair:?} is not an option: write KEY=VALUE"),
            )
        })?;
        Ok(self.set(key.trim(), value))
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// True when `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The options, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when no option is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These options, with `over`'s on top (they win).
    pub fn merged(&self, over: &FormatOptions) -> FormatOptions {
        let mut merged = self.clone();
        for (key, value) in over.iter() {
            merged.set(key, value);
        }
        merged
    }

    /// Checks that every key is one of `known` (options of `format`): an unknown key is an
    /// error that lists the known ones.
    pub fn check(&self, format: &str, known: &[OptionInfo]) -> Result<()> {
        for (key, _) in self.iter() {
            if !known.iter().any(|o| o.key == key) {
                let keys: Vec<&str> = known.iter().map(|o| o.key).collect();
                let known = if keys.is_empty() {
                    "it has none".to_owned()
                } else {
                    format!("known: {}", keys.join(", "))
                };
                return Err(Error::new(
                    ErrorKind::InvalidRecord,
                    format!("{format} has no option {key:?} ({known})"),
                ));
            }
        }
        Ok(())
    }

    /// The value of `key` parsed by `parse`, `None` when unset; a value `parse` refuses is an
    /// error naming the key, the value and what `expected` says it should be.
    pub fn parsed<T>(
        &self,
        format: &str,
        key: &str,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => parse(value).map(Some).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidRecord,
                    format!("{format} option {key}={value:?}: expected {expected}"),
                )
            }),
        }
    }

    /// A boolean option (`true`/`false`, `yes`/`no`, `1`/`0`).
    pub fn boolean(&self, format: &str, key: &str) -> Result<Option<bool>> {
        self.parsed(format, key, "true or false", |v| {
            match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" => Some(true),
                "false" | "no" | "0" | "off" => Some(false),
                _ => None,
            }
        })
    }

    /// A list option, comma-separated (`-o columns=a,b`), each item trimmed; `None` when
    /// unset or empty.
    ///
    /// ```
    /// use iterable_formats::FormatOptions;
    /// let options = FormatOptions::default().with("columns", "id, name");
    /// assert_eq!(options.list("columns"), Some(vec!["id".to_owned(), "name".to_owned()]));
    /// assert_eq!(options.list("other"), None);
    /// ```
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key)
            .filter(|c| !c.trim().is_empty())
            .map(|c| c.split(',').map(|n| n.trim().to_owned()).collect())
    }

    /// A one-byte option: one ASCII character, or `tab`, `\t`, `space`.
    pub fn byte(&self, format: &str, key: &str) -> Result<Option<u8>> {
        self.parsed(format, key, "one ASCII character, or \"tab\"", parse_byte)
    }
}

/// One ASCII character as a byte; `tab`, `\t` and `space` by name.
pub fn parse_byte(text: &str) -> Option<u8> {
    match text {
        "tab" | "\\t" | "\t" => Some(b'\t'),
        "space" => Some(b' '),
        _ if text.len() == 1 && text.is_ascii() => Some(text.as_bytes()[0]),
        _ => None,
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for FormatOptions {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut options = FormatOptions::default();
        for (key, value) in pairs {
            options.set(key, value);
        }
        options
    }
}
