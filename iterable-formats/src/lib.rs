//! Sans-IO decoders and encoders for the formats of iterable.
//!
//! Every decoder implements [`iterable_core::Decoder`] and every encoder
//! [`iterable_core::Encoder`]: they work on bytes in memory and never do I/O, so any runtime,
//! or none, can drive them.
//!
//! | format | module | read | write | notes |
//! |---|---|---|---|---|
//! | CSV, TSV, PSV, SSV | [`csv`] | yes | yes | csv-core; header, quotes, escapes, comments, BOM, sniffed delimiter |
//! | JSON Lines, NDJSON | [`jsonl`] | yes | yes | simd-json tape parsed in place; key order kept; exact big integers |
//! | JSON documents, GeoJSON | [`json`] | yes | yes | the objects of an array (at a dotted path) streamed in flat memory; GeoJSON features |
//! | Web access logs (Apache, nginx) | [`apachelog`] | yes | yes | common, combined and their vhost forms; typed status, size and time; a line that does not match is an error |
//! | CEF | [`cef`] | yes | yes | ArcSight's Common Event Format: header fields, extension pairs with their escapes, a syslog prefix kept |
//! | Fixed-width text | [`fixedwidth`] | yes | yes | columns from `-o widths=` or the header line; values trimmed; too wide a value is an error |
//! | GELF | [`gelf`] | yes | yes | Graylog's JSON messages, newline- or NUL-ended; required fields checked; timestamp typed |
//! | INI | [`ini`] | yes | yes | rust-ini; each section a record named in `_section`; repeated keys arrays |
//! | TOML | [`toml`] | yes | yes | the toml crate; each table and array-of-tables entry a record named in `_table`; typed values and dates |
//! | YAML | [`yaml`] | yes | yes | yaml-rust2's parser; a document (or each mapping of a list) a record; aliases within a budget |
//! | InfluxDB line protocol | [`lineprotocol`] | yes | yes | InfluxData's parser; points as `{measurement, tags, fields, time}`, typed fields; flat records written with `-O tags=` |
//! | LTSV | [`ltsv`] | yes | yes | labelled tab-separated values, one record per line; every value a string |
//! | XML | [`xml`] | yes | yes | quick-xml, streamed in flat memory; records by `-o tag=`; attributes `@name`, text `#text`; no DTD entity expansion |
//! | Parquet (feature `parquet`) | `parquet` | yes, by ranges | yes | the parquet crate's push decoders; only the columns asked for are fetched; every type through the `arrow` bridge |
//! | MessagePack | [`msgpack`] | yes | yes | rmp's markers, each value measured before it is built; a stream of maps; ints to u64, bin as bytes, timestamps typed, other exts kept |
//! | CBOR | [`cbor`] | yes | yes | ciborium-ll's headers, each value measured before it is built; a sequence of maps or an array of them; date, bignum and decimal tags typed, other tags kept |
//! | Avro | [`avro`] | yes | yes | object container files, a block at a time: the framing and codecs here, the records by apache-avro; logical types typed; written in the schema given (`-O schema=`) or one of the records' types |
//! | BSON | [`bson`] | yes | yes | the bson crate's raw documents, framed by their lengths; ObjectId, binary subtypes, regexes and the other BSON types as MongoDB's Extended JSON objects; datetimes and decimal128 typed |
//! | Arrow IPC file, Feather v2 (feature `arrow`) | `ipc` | yes, by ranges | yes | arrow-ipc's file decoder: footer, dictionaries, a record batch at a time; LZ4 and zstd bodies |
//! | Arrow IPC stream (feature `arrow`) | `ipc` | yes | yes | framed here a message at a time, each decoded by arrow-ipc; an IPC file read as a stream too |
//! | ORC (feature `orc`) | `orc` | yes, by ranges | no | orc-rust, a stripe at a time; only the columns asked for are decoded; every type through the `arrow` bridge |
//! | XLSX, XLSM, XLSB, XLS, ODS (feature `spreadsheets`) | `spreadsheet` | yes, the file whole | xlsx, one sheet, streamed | calamine; a sheet's rows, cells typed, every column in every record; written on the zip writer a row at a time |
//! | DBF (feature `dbf`) | [`dbf`] | yes, the file whole, its memo file beside it | no | the dbase crate: dBase III/IV and FoxPro tables, code pages from the header or `-o encoding=`; numbers from their digits |
//! | SQLite (feature `sqlite`) | `sqlite` | yes, the file whole | yes, into a table of a new or existing database | rusqlite's bundled SQLite, the database opened from memory; a table by rowid pages, or a query |
//!
//! Formats are plug-ins: each module describes its format once and implements
//! [`FormatSpec`]; [`REGISTRY`] lists them, one line each, and [`Format`] is a handle on one.
//! Detection ([`detect_from_name`], [`detect_from_content`]), option checking
//! ([`FormatOptions`], `-o KEY=VALUE` on the command line) and `iterable formats` walk the
//! registry. [`prepare_input`] finds the codec, the format and the decoder of an input from its
//! first bytes; [`ReadOptions`] and [`WriteOptions`] carry what the adapters pass down.
//! [`compression`] holds the codecs (the word "codec" means compression here) and [`zip`] the
//! archives' decoder.
//!
//! ```
//! use bytes::BytesMut;
//! use iterable_core::{DecodeDriver, ErrorPolicy, Step};
//! use iterable_formats::{Format, FormatOptions};
//!
//! let decoder = Format::CSV.decoder(&FormatOptions::default().with("delimiter", ","), 1 << 20)?;
//! let mut input = DecodeDriver::new(decoder, ErrorPolicy::Fail);
//! input.push(b"city,pop\nOslo,7");
//! input.push(b"09000\n");
//! input.end_input();
//! let Step::Record(r) = input.step()? else { panic!() };
//! assert_eq!(r.get("pop").and_then(|v| v.as_str()), Some("709000"));
//! # Ok::<(), iterable_core::Error>(())
//! ```
//!
//! # Adding a format
//! 1. A module (`src/NAME.rs` or `src/NAME/`) with its decoder and encoder (sans-IO:
//!    [`iterable_core::Decoder`] for a stream, or [`iterable_core::RangeDecoder`] for a format
//!    read by ranges from anywhere in the file, as Parquet is; [`iterable_core::Encoder`],
//!    which a typed format lets take a schema), its options parsed from [`FormatOptions`],
//!    and a `static` value implementing [`FormatSpec`]: the description
//!    ([`iterable_core::FormatInfo`], with `Capabilities::RANDOM_ACCESS` for a ranged one),
//!    the option lists, the sniffer, `decoder` or `ranged_decoder`, and `is_text() -> false`
//!    for a binary format (text formats read UTF-8, and [`encoding`] transcodes the rest for
//!    them). A format of lines is a [`lines::LineParser`] under a [`lines::LineDecoder`]; one
//!    read whole (TOML, INI, YAML) a [`document::DocumentParser`] under a
//!    [`document::DocumentDecoder`].
//!    A columnar format goes
//!    through the `arrow` bridge (feature `arrow`: records to and from `RecordBatch`es) rather than building
//!    values itself. The adapters need no change: they fetch a ranged format's ranges from
//!    files, HTTP and S3, and copy what cannot seek to a temporary file.
//! 2. One line in [`REGISTRY`] (behind the module's cargo feature when it has a heavy crate),
//!    and a `Format` constant if other crates name it.
//! 3. One line in the test kit (`tests/tests/format_kit.rs`): chunk invariance, round trip,
//!    every runtime, bad input with positions; and a fuzz target under `fuzz/` with a seed
//!    corpus.
#![warn(missing_docs)]

pub mod apachelog;
#[cfg(feature = "arrow")]
pub mod arrow;
pub mod avro;
#[cfg(feature = "arrow")]
mod batch_writer;
pub mod bson;
pub mod cbor;
pub mod cef;
pub mod compression;
pub mod csv;
#[cfg(feature = "dbf")]
pub mod dbf;
mod detect;
pub mod document;
pub mod encoding;
pub mod fixedwidth;
mod format;
pub mod gelf;
pub mod ini;
mod input;
#[cfg(feature = "arrow")]
pub mod ipc;
pub mod json;
mod json_tape;
pub mod json_text;
pub mod jsonl;
#[cfg(any(
    feature = "arrow",
    feature = "spreadsheets",
    feature = "sqlite",
    feature = "dbf"
))]
mod library_panic;
pub mod lineprotocol;
pub mod lines;
pub mod ltsv;
pub mod msgpack;
#[cfg(feature = "orc")]
pub mod orc;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod pgcopy;
mod registry;
#[cfg(feature = "snappy")]
mod snappy;
#[cfg(feature = "spreadsheets")]
pub mod spreadsheet;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod text;
pub mod toml;
#[cfg(any(feature = "spreadsheets", feature = "sqlite", feature = "dbf"))]
mod whole_file;
pub mod xml;
pub mod yaml;
#[cfg(feature = "zip")]
pub mod zip;

/// The most bytes of a file held in memory whole: a workbook, a database, a DBF table and its
/// memo file, an SQLite database added to (1 GiB).
pub const MAX_WHOLE_FILE: u64 = 1 << 30;

pub use detect::{
    Detection, SNIFF_BYTES, detect_from_content, detect_from_name, detect_head,
    extension_for_content_type, name_for_body,
};
pub use format::{DEFAULT_MAX_RECORD_SIZE, ReadOptions, WriteOptions};
pub use input::{MAX_HEAD, Prepared, PreparedInput, prepare_input};
pub use registry::{Format, FormatOptions, FormatSpec, OptionInfo, REGISTRY, Sniffed, parse_byte};
