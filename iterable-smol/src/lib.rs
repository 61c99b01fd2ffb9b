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
//!   give a [`Reader`]: `read().await`, `read_bulk(n).await`, `stats()`, and `Stream`.
//! - [`create`], [`create_with`], [`to_writer`] give a [`Writer`]: `write`, `write_bulk`,
//!   `finish`, all `.await`; it is also a `Sink<Record>`. Files are written atomically.
//! - [`convert`], [`convert_many`] (inputs converted in parallel on the `blocking` crate's
//!   threads, whichever executor awaits them), [`pipeline`], as in the other adapters.
//! - Remote locations, by cargo feature: `http` reads `http(s)://` URLs, `s3` reads and writes
//!   `s3://bucket/key` objects, `gcs` and `azure` `gs://bucket/key` and `az://container/key` ones, `postgres` PostgreSQL tables (`postgres://`), `mysql` MySQL and
//!   MariaDB ones (`mysql://`, `mariadb://`). Their clients are tokio's (reqwest, aws-sdk-s3,
//!   tokio-postgres, mysql_async): this crate
//!   bridges them with async-compat, which drives them on a tokio runtime of its own, one
//!   thread, made on first use; smol and async-std tasks only await them.
//!
//! How it runs without an executor of its own: a large local file is read and parsed ahead on
//! a thread of its own and its records are built on the task that reads them; smaller files
//! and stdin are read on a thread of their own and decoded on the task; files and stdout are
//! written on a thread of their own. Blocking calls (opening files, the rename of an atomic
//! write) go to the `blocking` crate's pool. None of them needs an executor, so the same code
//! runs under smol and async-std. The reader, writer and conversions are those of
//! `iterable-adapter`, written once for every runtime; this crate holds the runtime seam
//! (`runtime.rs`), the bridge to the remote clients (`bridge.rs`) and the API's names.
//!
//! Examples, each run with `cargo run -p iterable-smol --example NAME`:
//! - `read_file`: read a file and print its records (under smol);
//! - `convert_folder`: convert every file of a folder concurrently (under async-std);
//! - `enrich`: a pipeline that awaits a call per record (a stand-in for an API), eight at once.
#![warn(missing_docs)]

#[cfg(feature = "remote")]
mod bridge;
mod runtime;

pub use iterable_adapter::{
    ConvertOptions, ConvertStats, Converted, DynRead, DynWrite, ReadStats, Reader, Writer,
    from_reader, from_stream, to_writer,
};
pub use iterable_core::{
    Error, ErrorKind, ErrorPolicy, Progress, ProgressFn, Record, Result, Value,
};
pub use iterable_formats::{Format, ReadOptions, WriteOptions};
use runtime::Smol;
use std::ffi::OsStr;
use std::future::Future;

/// Opens a location and detects its format: from the name, else (for a remote object) from
/// its `Content-Type`, else from the first bytes. A location is a path, `-` for stdin, an
/// `http(s)://` URL (feature `http`) or an `s3://bucket/key` object (feature `s3`).
///
/// ```no_run
/// # smol::block_on(async {
/// let mut reader = iterable_smol::open("data/sample.csv").await?;
/// while let Some(record) = reader.read().await? {
///     println!("{record:?}");
/// }
/// # Ok::<(), iterable_smol::Error>(()) });
/// ```
pub async fn open(location: &str) -> Result<Reader> {
    open_with(location, &ReadOptions::default()).await
}

/// Opens a location with options: format, CSV dialect, record size limit, error policy.
pub async fn open_with(location: &str, options: &ReadOptions) -> Result<Reader> {
    iterable_adapter::open_with(&Smol, location, options).await
}

/// Creates a location for writing, in the format its name says.
///
/// A file is written atomically: bytes go to a temporary file beside it, which
/// [`Writer::finish`] (or closing the `Sink`) renames over the target. An error, or a writer
/// dropped without `finish`, leaves an existing target as it was and no temporary file
/// behind. `-` writes to stdout (then the format must be given, see [`create_with`]).
///
/// ```
/// # async_std::task::block_on(async {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("out.jsonl");
/// # let path = path.to_str().unwrap();
/// let mut writer = iterable_smol::create(path).await?;
/// writer.write(&[("id", 1)].into_iter().collect()).await?;
/// writer.finish().await?;
/// assert_eq!(std::fs::read_to_string(path)?, "{\"id\":1}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
pub async fn create(location: &str) -> Result<Writer> {
    create_with(location, &WriteOptions::default()).await
}

/// Creates a location for writing with options: format, CSV dialect, compression.
pub async fn create_with(location: &str, options: &WriteOptions) -> Result<Writer> {
    iterable_adapter::create_with(&Smol, location, options).await
}

/// Reads every record of `source` and writes it to `target`; formats come from the names
/// unless the options give them. The target is written atomically. Progress goes to
/// `options.progress`.
pub async fn convert(source: &str, target: &str, options: &ConvertOptions) -> Result<ConvertStats> {
    iterable_adapter::convert(&Smol, source, target, options).await
}

/// Converts each input (paths or glob patterns; with feature `s3`, also
/// `s3://bucket/logs/*.jsonl.gz`) into `out_dir` (a folder, or an `s3://bucket/prefix/`), one
/// output per input with the same stem and the extension of `options.write.format` (which
/// must be set), up to `options.jobs` at once, each on a thread of the `blocking` crate's pool,
/// so in parallel under smol and async-std alike. A failing input gets its error (naming the
/// file) and leaves no output; the others complete. Errors before any conversion (no match, an
/// output folder that cannot be made, two inputs for one output) fail the call.
pub async fn convert_many(
    inputs: &[String],
    out_dir: impl AsRef<OsStr>,
    options: &ConvertOptions,
) -> Result<Vec<Converted>> {
    iterable_adapter::convert_many(&Smol, inputs, out_dir, options).await
}

/// Reads `source`, passes each record through the async `transform`, and writes what it
/// returns to `target`, in input order. `transform` may change a record, drop it (`None`, an
/// empty `Vec`) or multiply it (a `Vec`); up to `options.jobs` transforms run at once. An
/// error stops the pipeline and leaves the target as it was.
///
/// ```
/// # smol::block_on(async {
/// # let dir = tempfile::tempdir()?;
/// # let src = dir.path().join("in.csv");
/// # std::fs::write(&src, "n\n1\n2\n3\n")?;
/// # let (src, dst) = (src.to_str().unwrap(), dir.path().join("out.jsonl"));
/// # let dst = dst.to_str().unwrap();
/// let options = iterable_smol::ConvertOptions { jobs: 8, ..Default::default() };
/// let twice = |r: iterable_smol::Record| async move { Ok(vec![r.clone(), r]) };
/// let stats = iterable_smol::pipeline(src, twice, dst, &options).await?;
/// assert_eq!(stats.records, 6);
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
pub async fn pipeline<F, Fut, I>(
    source: &str,
    transform: F,
    target: &str,
    options: &ConvertOptions,
) -> Result<ConvertStats>
where
    F: FnMut(Record) -> Fut,
    Fut: Future<Output = Result<I>>,
    I: IntoIterator<Item = Record>,
{
    iterable_adapter::pipeline(&Smol, source, transform, target, options).await
}

/// The tables and views of a database location (`postgres://...`, feature `postgres`;
/// `mysql://...` or `mariadb://...`, feature `mysql`), in order, `schema.name` (just `name`
/// in PostgreSQL's `public` schema, in MySQL's database of the URL); `None` for any other
/// location (a workbook's sheets are its reader's `tables()`).
pub async fn database_tables(location: &str) -> Result<Option<Vec<String>>> {
    match iterable_sources::Location::parse(location)? {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        iterable_sources::Location::Database { url, .. } => {
            let listing = async move { iterable_sources::database::tables(&url).await };
            crate::bridge::on_tokio(listing).await?.map(Some)
        }
        #[cfg(not(any(feature = "postgres", feature = "mysql")))]
        database @ iterable_sources::Location::Database { .. } => Err(
            iterable_adapter::remote_unsupported(&database, "iterable-smol"),
        ),
        _ => Ok(None),
    }
}
