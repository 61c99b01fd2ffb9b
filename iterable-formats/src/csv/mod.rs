//! The CSV family (comma, tab, pipe, semicolon separated values) on csv-core.
//!
//! [`CsvDecoder`] reads rows into [`iterable_core::Record`]s whose field names come from the
//! header row (or from [`CsvOptions::field_names`]) and are shared by every row. Values are
//! strings. [`CsvEncoder`] writes a header from the first record's fields and quotes per
//! RFC 4180. [`CSV`] is the format's entry in the registry: its options as `key=value` text
//! are [`READ_OPTIONS`] and [`WRITE_OPTIONS`].

mod decode;
mod encode;
mod sniff;

pub use decode::CsvDecoder;
pub use encode::CsvEncoder;
pub use sniff::{looks_like_text, sniff_delimiter};

use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use iterable_core::{Capabilities, Decoder, Encoder, Error, ErrorKind, FormatInfo, Result};

/// The CSV family in the format registry.
pub struct CsvFormat;

/// The registry's CSV.
pub static CSV: CsvFormat = CsvFormat;

static INFO: FormatInfo = FormatInfo {
    name: "csv",
    aliases: &["tsv", "psv", "ssv"],
    extensions: &["csv", "tsv", "tab", "psv", "ssv"],
    mime_types: &["text/csv", "application/csv", "text/tab-separated-values"],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "delimited text: comma (RFC 4180), tab, pipe or semicolon separated values",
};

/// CSV's read options (`-o KEY=VALUE`).
pub static READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "delimiter",
        default: "sniffed",
        help: "the field delimiter: one character, or tab (the name implies one: .tsv, .psv, .ssv)",
    },
    OptionInfo {
        key: "quote",
        default: "\"",
        help: "the quote character",
    },
    OptionInfo {
        key: "escape",
        default: "",
        help: "an escape character inside quotes (such as \\), besides doubled quotes",
    },
    OptionInfo {
        key: "double_quote",
        default: "true",
        help: "a doubled quote inside quotes is one quote",
    },
    OptionInfo {
        key: "comment",
        default: "",
        help: "lines starting with this character are skipped",
    },
    OptionInfo {
        key: "header",
        default: "true",
        help: "the first row names the fields (false: column_1, column_2, ...)",
    },
    OptionInfo {
        key: "names",
        default: "",
        help: "field names, comma-separated, instead of the header row (which is skipped)",
    },
    OptionInfo {
        key: "ragged",
        default: "error",
        help: "rows with too few or too many fields: error, or lenient (pad with null, keep extras as column_N)",
    },
];

/// CSV's write options (`-O KEY=VALUE`).
pub static WRITE_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "delimiter",
        default: ",",
        help: "the field delimiter: one character, or tab (the name implies one: .tsv, .psv, .ssv)",
    },
    OptionInfo {
        key: "quote",
        default: "\"",
        help: "the quote character",
    },
    OptionInfo {
        key: "crlf",
        default: "false",
        help: "end rows with CRLF instead of LF",
    },
    OptionInfo {
        key: "header",
        default: "true",
        help: "write a header row",
    },
];

impl FormatSpec for CsvFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    fn implied_options(&self, name: &str) -> FormatOptions {
        let delimiter = match name {
            "csv" => ",",
            "tsv" | "tab" => "tab",
            "psv" => "|",
            "ssv" => ";",
            _ => return FormatOptions::default(),
        };
        FormatOptions::default().with("delimiter", delimiter)
    }

    /// Text (no NUL, hardly any control characters) whose lines share a delimiter: 40; text in
    /// one column: 10. Text that opens with `{` or `[` is left to the JSON formats.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let head = head.strip_prefix(BOM).unwrap_or(head);
        let first = head.iter().find(|b| !b.is_ascii_whitespace());
        if !looks_like_text(head) || matches!(first, Some(b'{' | b'[')) {
            return None;
        }
        let sample = &head[..head.len().min(crate::SNIFF_BYTES)];
        let lines = memchr::memchr_iter(b'\n', sample).count() + usize::from(complete);
        let delimiter = sniff_delimiter(sample, b'"');
        let columns = sample
            .split(|&b| b == b'\n')
            .next()
            .is_some_and(|first| first.contains(&delimiter));
        let confidence = if columns && lines >= 2 { 40 } else { 10 };
        let shown = if delimiter == b'\t' {
            "tab".to_owned()
        } else {
            (delimiter as char).to_string()
        };
        Some(Sniffed {
            confidence,
            options: FormatOptions::default().with("delimiter", shown),
        })
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(CsvDecoder::new(
            CsvOptions::from_options(options)?,
            max_record_size,
        )))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(CsvEncoder::new(CsvWriteOptions::from_options(
            options,
        )?)))
    }
}

/// The UTF-8 byte order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The format's name in errors and options.
pub const FORMAT: &str = "csv";

/// What to do with a row whose field count differs from the header's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RaggedRows {
    /// A recoverable error naming the line (the default).
    #[default]
    Error,
    /// Keep the row: missing fields become null, extra fields are kept under the names
    /// `column_N` (N counting fields from 1).
    Lenient,
}

/// How to read CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// The field delimiter; `None` sniffs it from the first lines among `,` tab `;` `|`.
    pub delimiter: Option<u8>,
    /// The quote character (default `"`).
    pub quote: u8,
    /// An escape character inside quotes (such as `\`), besides doubled quotes.
    pub escape: Option<u8>,
    /// Whether a doubled quote inside a quoted field is one quote (default true).
    pub double_quote: bool,
    /// Lines starting with this byte are skipped.
    pub comment: Option<u8>,
    /// Whether the first row is a header (default true).
    pub has_header: bool,
    /// Field names to use instead of the header row (which, when present, is skipped). Without
    /// a header or names, fields are called `column_1`, `column_2`, ...
    pub field_names: Option<Vec<String>>,
    /// Rows with too many or too few fields.
    pub ragged: RaggedRows,
}

impl CsvOptions {
    /// The options `-o` gives ([`READ_OPTIONS`]), over the defaults.
    pub fn from_options(options: &FormatOptions) -> Result<CsvOptions> {
        let mut csv = CsvOptions {
            delimiter: options.byte(FORMAT, "delimiter")?,
            ..CsvOptions::default()
        };
        if let Some(quote) = options.byte(FORMAT, "quote")? {
            csv.quote = quote;
        }
        csv.escape = match options.get("escape") {
            None | Some("") => None,
            Some(_) => options.byte(FORMAT, "escape")?,
        };
        if let Some(double) = options.boolean(FORMAT, "double_quote")? {
            csv.double_quote = double;
        }
        csv.comment = match options.get("comment") {
            None | Some("") => None,
            Some(_) => options.byte(FORMAT, "comment")?,
        };
        if let Some(header) = options.boolean(FORMAT, "header")? {
            csv.has_header = header;
        }
        csv.field_names = options
            .get("names")
            .filter(|names| !names.is_empty())
            .map(|names| names.split(',').map(|n| n.trim().to_owned()).collect());
        csv.ragged = match options.get("ragged") {
            None | Some("error") => RaggedRows::Error,
            Some("lenient") => RaggedRows::Lenient,
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::InvalidRecord,
                    format!("{FORMAT} option ragged={other:?}: expected error or lenient"),
                ));
            }
        };
        Ok(csv)
    }
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: None,
            quote: b'"',
            escape: None,
            double_quote: true,
            comment: None,
            has_header: true,
            field_names: None,
            ragged: RaggedRows::Error,
        }
    }
}

/// How to write CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvWriteOptions {
    /// The field delimiter; `None` for `,`.
    pub delimiter: Option<u8>,
    /// The quote character (default `"`).
    pub quote: u8,
    /// End rows with `\r\n` instead of `\n`.
    pub crlf: bool,
    /// Write a header row (default true).
    pub header: bool,
}

impl CsvWriteOptions {
    /// The options `-O` gives ([`WRITE_OPTIONS`]), over the defaults.
    pub fn from_options(options: &FormatOptions) -> Result<CsvWriteOptions> {
        let mut csv = CsvWriteOptions {
            delimiter: options.byte(FORMAT, "delimiter")?,
            ..CsvWriteOptions::default()
        };
        if let Some(quote) = options.byte(FORMAT, "quote")? {
            csv.quote = quote;
        }
        if let Some(crlf) = options.boolean(FORMAT, "crlf")? {
            csv.crlf = crlf;
        }
        if let Some(header) = options.boolean(FORMAT, "header")? {
            csv.header = header;
        }
        Ok(csv)
    }
}

impl Default for CsvWriteOptions {
    fn default() -> Self {
        CsvWriteOptions {
            delimiter: None,
            quote: b'"',
            crlf: false,
            header: true,
        }
    }
}

/// The name of the field at `index` (from 0) when the input gives none: `column_{index + 1}`.
pub(crate) fn column_name(index: usize) -> String {
    format!("column_{}", index + 1)
}
