//! The core of iterable: the record model, the error type, and the sans-IO traits every format
//! and adapter builds on.
//!
//! - [`Value`] and [`Record`]: rows with nested values; rows of one source share their
//!   [`Fields`]. Both implement serde's `Serialize` and `Deserialize`. Typed values ([`Date`],
//!   [`Time`], [`Timestamp`], [`Duration`], [`Decimal`]) have one text form for every text
//!   format.
//! - [`Error`]: one error type with a kind, the format, a [`Position`] (byte, line, record) and
//!   whether reading can go on after it.
//! - [`Decoder`] and [`Encoder`]: formats as pure functions of bytes in memory;
//!   [`RangeDecoder`] for formats read by ranges (Parquet), which asks for byte ranges and is
//!   given them.
//! - [`DecodeDriver`]: a decoder fed chunk by chunk, through [`Decompression`] when the input
//!   is compressed, under an [`ErrorPolicy`]; the runtime adapters (blocking, tokio, smol)
//!   drive it with their own I/O ([`DecodeDriver::read_record`],
//!   [`DecodeDriver::poll_record`]). [`EncodeBuffer`] is its twin for writing.
//! - [`ParsedBatch`]: records parsed on one thread and built on another
//!   ([`Decoder::decode_into`], [`DecodeDriver::read_into`]).
//! - [`Progress`] and [`ProgressReporter`]: progress of long work, at a steady rate.
//! - [`RecordStream`]: any `Stream` of byte chunks as a `Stream` of records, on any executor;
//!   [`YieldBudget`] makes an always-ready stream share its thread.
//! - [`FormatInfo`] and [`DetectedBy`]: how formats describe themselves and how they were found.
//!
//! This crate does no I/O and depends on no async runtime.
#![warn(missing_docs)]

mod batch;
mod decode_driver;
mod decompression;
mod encode_buffer;
mod error;
mod format;
mod progress;
mod record;
mod sans_io;
mod schema;
mod serde_impl;
mod stream;
mod typed;
mod value;

pub use batch::ParsedBatch;
pub use decode_driver::{DecodeDriver, ErrorPolicy, READ_SIZE, Step};
pub use decompression::{Decompression, DecompressionLimits};
pub use encode_buffer::{EncodeBuffer, WRITE_CHUNK};
pub use error::{Error, ErrorKind, Position, Result};
pub use format::{Capabilities, DetectedBy, FormatInfo};
pub use progress::{PROGRESS_INTERVAL, Progress, ProgressFn, ProgressReporter, ProgressTotals};
pub use record::{Fields, FieldsCache, Record};
pub use sans_io::{Codec, Decoder, Encoder, RangeDecoder, RangeStep};
pub use schema::{DataType, Field, Schema, unscaled_digits};
pub use stream::{RECORDS_BETWEEN_YIELDS, RecordStream, YieldBudget};
pub use typed::{Date, Decimal, Duration, Time, TimeUnit, Timestamp};
pub use value::{BigInt, Value};

/// Re-exported so that users of [`Value::String`] need no direct dependency.
pub use compact_str::CompactString;
