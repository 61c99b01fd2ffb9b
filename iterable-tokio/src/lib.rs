//! The tokio adapter of iterable: the API of `iterable-sync` with `.await`, on tokio's own
//! I/O.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("people.csv");
//! # std::fs::write(&path, "name,city\nAda,London\nGrace,Arlington\n")?;
//! # let path = path.to_str().unwrap();
//! let mut reader = iterable_tokio::open(path).await?;   // CSV, from the name
//! let first = reader.read().await?.expect("a record");
//! assert_eq!(first.get("city").and_then(|v| v.as_str()), Some("London"));
//! assert_eq!(reader.read_bulk(100).await?.len(), 1);
//! # Ok(()) }
//! ```
//!
//! - [`open`], [`open_with`], [`from_reader`] (any `tokio::io::AsyncRead`), [`from_stream`]
//!   (any `Stream` of `Bytes`) give a [`Reader`]: `read().await`, `read_bulk(n).await`, and
//!   `Stream<Item = Result<Record>>`.
//! - [`create`], [`create_with`], [`to_writer`] give a [`Writer`]: `write`, `write_bulk`,
//!   `finish`, all `.await`; it is also a `Sink<Record>`, so `reader.forward(writer)` works.
//!   Files are written atomically.
//! - [`convert`], [`convert_many`], [`pipeline`] as in the sync adapter, with an async
//!   transform and bounded concurrency.
//! - Remote locations, by cargo feature: `http` reads `http(s)://` URLs (reqwest), `s3` reads
//!   and writes `s3://bucket/key` objects (aws-sdk-s3), natively on tokio; see
//!   `iterable_sources::http` and `iterable_sources::s3` for resume, retries and limits.
//! - [`codec`]: the format decoders and encoders for `tokio_util::codec::FramedRead` and
//!   `FramedWrite`.
//!
//! Decoding runs on the calling task over reads of 128 KiB (tokio's file reads go through its
//! blocking pool, one trip per read); records never cross a thread pool. File creation and
//! the final rename run on the blocking pool.
#![warn(missing_docs)]

pub mod codec;
mod convert;
mod reader;
mod writer;

pub use convert::{convert, convert_many, pipeline};
pub use iterable_core::{
    Error, ErrorKind, ErrorPolicy, Progress, ProgressFn, Record, Result, Value,
};
pub use iterable_formats::{
    ConvertOptions, ConvertStats, Converted, Format, ReadOptions, WriteOptions,
};
pub use reader::{DynRead, Reader, from_reader, from_stream, open, open_with};
pub use writer::{DynWrite, Writer, create, create_with, to_writer};
