//! The smol and async-std adapter of iterable: the API of `iterable-sync` with `.await`, over
//! the futures-io traits, so it runs under smol, async-std, or any executor.
//!
//! ```
//! # smol::block_on(async {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("people.csv");
//! # std::fs::write(&path, "name,city\nAda,London\nGrace,Arlington\n")?;
//! # let path = path.to_str().unwrap();
//! let mut reader = iterable_smol::open(path).await?;   // CSV, from the name
//! let first = reader.read().await?.expect("a record");
//! assert_eq!(first.get("city").and_then(|v| v.as_str()), Some("London"));
//! assert_eq!(reader.read_bulk(100).await?.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
//! ```
//!
//! - [`open`], [`open_with`], [`from_reader`] (any futures-io `AsyncRead`), [`from_stream`]
//!   give a [`Reader`]: `read().await`, `read_bulk(n).await`, and `Stream`.
//! - [`create`], [`create_with`], [`to_writer`] give a [`Writer`]: `write`, `write_bulk`,
//!   `finish`, all `.await`; it is also a `Sink<Record>`. Files are written atomically.
//! - [`convert`], [`convert_many`], [`pipeline`] as in the other adapters.
//! - Remote locations, by cargo feature: `http` reads `http(s)://` URLs, `s3` reads and writes
//!   `s3://bucket/key` objects. Their clients are tokio's (reqwest, aws-sdk-s3): this crate
//!   bridges them with async-compat, which drives them on a tokio runtime of its own, one
//!   thread, made on first use; smol and async-std tasks only await them.
//!
//! Files go through async-fs and stdio through `blocking::Unblock`: both run the blocking
//! system calls on the `blocking` crate's thread pool, which needs no executor, so the same
//! code runs under smol and async-std. Decoding runs on the calling task over reads of 128 KiB.
#![warn(missing_docs)]

#[cfg(any(feature = "http", feature = "s3"))]
mod bridge;
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
