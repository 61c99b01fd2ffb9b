//! The CSV family (comma, tab, pipe, semicolon separated values) on csv-core.
//!
//! [`CsvDecoder`] reads rows into [`iterable_core::Record`]s whose field names come from the
//! header row (or from [`CsvOptions::field_names`]) and are shared by every row. Values are
//! strings. [`CsvEncoder`] writes a header from the first record's fields and quotes per
//! RFC 4180.

mod decode;
mod encode;
mod sniff;

pub use decode::CsvDecoder;
pub use encode::CsvEncoder;
pub use sniff::sniff_delimiter;

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
    /// The field delimiter; `None` takes the one the target's name implies (`.tsv`), else `,`.
    pub delimiter: Option<u8>,
    /// The quote character (default `"`).
    pub quote: u8,
    /// End rows with `\r\n` instead of `\n`.
    pub crlf: bool,
    /// Write a header row (default true).
    pub header: bool,
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
