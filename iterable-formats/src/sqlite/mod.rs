//! SQLite database files (feature `sqlite`: `sqlite`, `.sqlite`, `.sqlite3`, `.db`, magic
//! `SQLite format 3\0`), read and written on rusqlite and its bundled SQLite, sans-IO: the
//! database lives in memory, and no file is opened by SQLite. Nothing blocks on I/O, so every
//! adapter reads and writes it as it does any other format (no thread pool around SQLite);
//! the adapters read an existing target on their blocking pools, as they do every file.
//!
//! # Reading ([`SqliteDecoder`])
//! The decoder asks for the whole file, hands it to SQLite as an in-memory database (read
//! only), and gives the rows of a table or a query as records.
//!
//! - `-o table=NAME`: the table (or view) to read; by default the database's only table (an
//!   error listing them when there are several).
//! - `-o query=SQL`: the rows of a query instead.
//! - `-o columns=a,b`: only those columns, in that order, each once.
//! - Values by SQLite's storage classes: INTEGER as integers, REAL as floats, TEXT as
//!   strings (as bytes when it is not UTF-8, which SQLite does not check), BLOB as bytes,
//!   NULL as null. SQLite keeps no other types (a `DATE` column holds
//!   text or numbers), so none is guessed.
//! - A table is read 4096 rows at a time by its rowid, in rowid order; a table without rowid
//!   and a query are read whole.
//!
//! Limits: the file is held in memory, 1 GiB at most. `iterable tables FILE` lists the tables
//! and views.
//!
//! # Writing ([`SqliteEncoder`])
//! Records go into one table of a database built in memory, in one transaction, and the
//! database is written out whole at the end. A database that is there already is added to
//! (the writers hand it to [`iterable_core::Encoder::amend`]): its other tables stay, and
//! since files are written atomically, a failure leaves it as it was.
//!
//! - `-O table=NAME` (`data` by default): the table written.
//! - `-O mode=create|append|replace`: when the table exists, `create` (the default) is an
//!   error, `append` adds the rows to it, `replace` drops it and writes it anew.
//! - The table is created from the schema the writer is told, or else from the first
//!   `-O infer_rows=1000` records, with a column per field in the order first seen. Column
//!   types are chosen so that SQLite's type affinity changes no value written (only an
//!   integer in a `REAL` column is stored as the float of the same value):
//!   integers `INTEGER`, floats `REAL` (integers that a float holds exactly go there too),
//!   booleans `BOOLEAN` (0 and 1), strings `TEXT`, bytes `BLOB`, dates, times and timestamps
//!   `DATE`, `TIME` and `TIMESTAMP` (their text: `2024-01-31`, `13:45:00.25`, RFC 3339),
//!   decimals and big integers `TEXT` (their exact digits, which `NUMERIC` would round to 15),
//!   durations `TEXT` (`PT90.5S`), arrays and objects `JSON` (JSON text, which SQLite's JSON
//!   functions read). A column whose first values disagree has no type and keeps every value
//!   as it is. A later value that its column's type would change is an error naming the
//!   record and the field (raise `infer_rows`, or give a schema); a later field that the
//!   table lacks becomes a new column. NaN, which SQLite would store as NULL, is an error.
//! - Appending to a table that was there, values are bound as they are and the table's own
//!   column affinities apply, as they do for any `INSERT`; its constraints are checked, and a
//!   row that breaks one is an error naming the record.
//! - SQLite's names ignore ASCII case: two fields that differ only in case are an error.
//!
//! Limits: the database is built in memory, 1 GiB at most, and written out at the end, so
//! memory peaks at twice its size then. Remote targets are refused (the database there could
//! not be added to); stdout gets a new database.

mod decode;
mod encode;

pub use decode::SqliteDecoder;
pub use encode::SqliteEncoder;

use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FormatInfo, RangeDecoder, Result,
};

/// The format's name in errors and options.
pub const FORMAT: &str = "sqlite";

/// The bytes a database file starts with.
const MAGIC: &[u8] = b"SQLite format 3\0";

/// SQLite in the format registry.
pub struct SqliteFormat;

/// The registry's SQLite.
pub static SQLITE: SqliteFormat = SqliteFormat;

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &["sqlite3"],
    extensions: &["sqlite", "sqlite3", "db"],
    mime_types: &["application/vnd.sqlite3", "application/x-sqlite3"],
    magic: &[MAGIC],
    capabilities: Capabilities {
        read: true,
        write: true,
        streaming: false,
        random_access: true,
    },
    description: "SQLite databases: a table's or a query's rows, by SQLite's storage classes; \
                  written into a table of a new or existing database, in one transaction",
};

static READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "table",
        default: "",
        help: "the table or view to read; the only table by default",
    },
    OptionInfo {
        key: "query",
        default: "",
        help: "an SQL query whose rows to read, instead of a table",
    },
    OptionInfo {
        key: "columns",
        default: "",
        help: "the columns to read, comma-separated, in the order given; all by default",
    },
];

static WRITE_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "table",
        default: "data",
        help: "the table to write",
    },
    OptionInfo {
        key: "mode",
        default: "create",
        help: "when the table exists: create (an error), append (add rows), replace (drop it first)",
    },
    OptionInfo {
        key: "infer_rows",
        default: "1000",
        help: "records whose values decide the new table's column types, without a schema",
    },
];

impl FormatSpec for SqliteFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        head.starts_with(MAGIC).then(|| Sniffed::with(100))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        _max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "a database is read whole (ranged_decoder), not as a stream",
        )
        .with_format(FORMAT))
    }

    fn ranged_decoder(&self, options: &FormatOptions, size: u64) -> Result<Box<dyn RangeDecoder>> {
        Ok(Box::new(SqliteDecoder::new(options, size)?))
    }

    fn amends(&self) -> bool {
        true
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(SqliteEncoder::new(options)?))
    }
}

/// `name` as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn sql_error(error: rusqlite::Error) -> Error {
    Error::new(ErrorKind::InvalidRecord, format!("SQLite: {error}")).with_format(FORMAT)
}
