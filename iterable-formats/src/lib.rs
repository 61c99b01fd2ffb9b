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
//!
//! [`FormatDecoder`] and [`FormatEncoder`] pick one by [`Format`]; [`detect_from_name`] and
//! [`detect_from_content`] find the format, and [`prepare_input`] the codec, the format and
//! the decoder of an input from its first bytes; [`ReadOptions`] and [`WriteOptions`] carry
//! what the adapters pass down. [`compression`] holds the codecs (the word "codec" means
//! compression here) and [`zip`] the archives' decoder.
//!
//! ```
//! use bytes::BytesMut;
//! use iterable_core::{DecodeDriver, ErrorPolicy, Step};
//! use iterable_formats::{Format, FormatDecoder, ReadOptions};
//!
//! let decoder = FormatDecoder::new(Format::Csv, &ReadOptions::default());
//! let mut input = DecodeDriver::new(decoder, ErrorPolicy::Fail);
//! input.push(b"city,pop\nOslo,7");
//! input.push(b"09000\n");
//! input.end_input();
//! let Step::Record(r) = input.step()? else { panic!() };
//! assert_eq!(r.get("pop").and_then(|v| v.as_str()), Some("709000"));
//! # Ok::<(), iterable_core::Error>(())
//! ```
#![warn(missing_docs)]

pub mod compression;
pub mod csv;
mod detect;
mod format;
mod input;
pub mod json_text;
pub mod jsonl;
#[cfg(feature = "snappy")]
mod snappy;
#[cfg(feature = "zip")]
pub mod zip;

pub use detect::{
    Detection, SNIFF_BYTES, detect_from_content, detect_from_name, detect_head,
    extension_for_content_type, name_for_body,
};
pub use format::{
    DEFAULT_MAX_RECORD_SIZE, Format, FormatChoice, FormatDecoder, FormatEncoder, ReadOptions,
    WriteOptions,
};
pub use input::{PreparedInput, prepare_input};
