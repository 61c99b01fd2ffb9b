//! The blocking adapter of iterable: read, write and convert records with `std::io`, no async
//! runtime.
//!
//! ```
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("people.csv");
//! # std::fs::write(&path, "name,city\nAda,London\nGrace,Arlington\n")?;
//! # let path = path.to_str().unwrap();
//! let mut reader = iterable_sync::open(path)?;      // CSV, from the name
//! let first = reader.read()?.expect("a record");
//! assert_eq!(first.get("city").and_then(|v| v.as_str()), Some("London"));
//! let rest = reader.read_bulk(100)?;
//! assert_eq!(rest.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`open`], [`open_with`], [`from_reader`] give a [`Reader`]: `read()`, `read_bulk(n)`, and
//!   `Iterator<Item = Result<Record>>`. On a machine with more than one core, a reader from
//!   `open` reads ahead (but a database's rows): a second thread reads and parses while the
//!   caller's thread builds the records (CSV 1.3-1.4x faster); the records and errors are the
//!   same either way.
//! - [`create`], [`create_with`], [`to_writer`] give a [`Writer`]: `write`, `write_bulk`,
//!   `finish`. Files are written atomically.
//! - [`convert`] copies records from one location to another, [`convert_many`] many files
//!   into a folder on several threads, [`pipeline`] through a transform; all report
//!   [`Progress`].
//!
//! - Remote locations, by cargo feature: `http` reads `http(s)://` URLs, `s3` reads and writes
//!   `s3://bucket/key` objects, `gcs` and `azure` `gs://bucket/key` and `az://container/key` ones, `postgres` PostgreSQL tables and queries (`postgres://`),
//!   `mysql` MySQL and MariaDB ones (`mysql://`, `mariadb://`; [`database_tables`] lists
//!   them). Their clients run on a private tokio runtime made on first use
//!   and invisible to the caller (async code should use `iterable-tokio`; from inside a
//!   runtime, the blocking calls still work, waiting on threads of their own); a build with
//!   none of them has no tokio in its tree.
//!
//! The same names, with `.await`, are the API of the async adapters.
#![warn(missing_docs)]

mod convert;
mod reader;
#[cfg(feature = "remote")]
mod remote;
#[cfg(not(feature = "remote"))]
#[path = "local_only.rs"]
mod remote;
mod writer;

pub use convert::{convert, convert_many, pipeline};
pub use iterable_adapter::{ConvertOptions, ConvertStats, Converted, ReadStats};
pub use iterable_core::{Error, ErrorKind, ErrorPolicy, Record, Result, Value};
pub use iterable_core::{Progress, ProgressFn};
pub use iterable_formats::{Format, ReadOptions, WriteOptions};
pub use reader::{Reader, from_reader, open, open_with};
pub use writer::{Writer, create, create_with, to_writer};

/// The tables and views of a database location (`postgres://...`, feature `postgres`;
/// `mysql://...` or `mariadb://...`, feature `mysql`), in order, `schema.name` (just `name`
/// in PostgreSQL's `public` schema, in MySQL's database of the URL); `None` for any other
/// location (a workbook's sheets are its reader's `tables()`).
pub fn database_tables(location: &str) -> Result<Option<Vec<String>>> {
    match iterable_sources::Location::parse(location)? {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        iterable_sources::Location::Database { url, .. } => remote::database_tables(url).map(Some),
        #[cfg(not(any(feature = "postgres", feature = "mysql")))]
        database @ iterable_sources::Location::Database { .. } => Err(
            iterable_adapter::remote_unsupported(&database, "iterable-sync"),
        ),
        _ => Ok(None),
    }
}
