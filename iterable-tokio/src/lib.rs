//! The tokio adapter of iterable: the API of `iterable-sync` with `.await`, on tokio.
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
//!   (any `Stream` of `Bytes`) give a [`Reader`]: `read().await`, `read_bulk(n).await`,
//!   `stats()`, and `Stream<Item = Result<Record>>`.
//! - [`create`], [`create_with`], [`to_writer`] give a [`Writer`]: `write`, `write_bulk`,
//!   `finish`, all `.await`; it is also a `Sink<Record>`, so `reader.forward(writer)` works.
//!   Files are written atomically.
//! - [`convert`], [`convert_many`] (inputs on tasks of their own, in parallel on a
//!   multi-threaded runtime), [`pipeline`] (an async transform, bounded concurrency, order
//!   kept).
//! - Remote locations, by cargo feature: `http` reads `http(s)://` URLs (reqwest), `s3` reads
//!   and writes `s3://bucket/key` objects (aws-sdk-s3), `gcs` and `azure` `gs://bucket/key` and
//!   `az://container/key` ones (object_store), `postgres` reads and writes
//!   PostgreSQL tables and queries (`postgres://`, tokio-postgres), `mysql` MySQL and MariaDB
//!   ones (`mysql://`, `mariadb://`, mysql_async; [`database_tables`] lists them), natively on
//!   tokio; see `iterable_sources::http`, `iterable_sources::s3`, `iterable_sources::postgres`
//!   and `iterable_sources::mysql` for resume, retries, limits and options.
//! - [`framed`]: the format decoders and encoders for `tokio_util::codec::FramedRead` and
//!   `FramedWrite`.
//!
//! How it uses tokio: a large local file is read and parsed ahead on a thread of its own (not
//! one of tokio's) and its records are built on the task that reads them; smaller files and
//! stdin are read on a thread of their own and decoded on the task; files and stdout are
//! written on a thread of their own, several chunks behind the encoding. Opening files and the
//! final rename of an atomic write go through tokio's blocking pool. Remote bodies stream on
//! the task. The reader, writer and conversions are those of `iterable-adapter`, written once
//! for every runtime over futures-io; this crate holds what is tokio's own (the runtime seam in
//! `runtime.rs`, [`framed`]) and the API's names.
//!
//! Examples, each run with `cargo run -p iterable-tokio --example NAME`:
//! - `read_file`: read a file and print its records;
//! - `convert_folder`: convert every file of a folder concurrently;
//! - `enrich`: a pipeline that awaits a call per record (a stand-in for an API), eight at once;
//! - `upload_server`: an axum server that takes an uploaded CSV body and streams it back as
//!   JSON Lines while the upload is still arriving.
#![warn(missing_docs)]

pub mod framed;
mod runtime;

use iterable_adapter::Runtime as _;
pub use iterable_adapter::{
    ConvertOptions, ConvertStats, Converted, DynRead, DynWrite, ReadStats, Reader, Writer,
    from_stream,
};
pub use iterable_core::{
    Error, ErrorKind, ErrorPolicy, Progress, ProgressFn, Record, Result, Value,
};
pub use iterable_formats::{Format, ReadOptions, WriteOptions};
use runtime::Tokio;
use std::ffi::OsStr;
use std::future::Future;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

/// Opens a location and detects its format: from the name, else (for a remote object) from
/// its `Content-Type`, else from the first bytes. A location is a path, `-` for stdin, an
/// `http(s)://` URL (feature `http`) or an `s3://bucket/key`, `gs://bucket/key` or `az://container/key` object (features
/// `s3`, `gcs`, `azure`); remote
/// objects stream, and a read that breaks off resumes where it stopped.
///
/// ```no_run
/// # async fn example() -> iterable_tokio::Result<()> {
/// let mut reader = iterable_tokio::open("data/sample.csv").await?;
/// while let Some(record) = reader.read().await? {
///     println!("{record:?}");
/// }
/// # Ok(()) }
/// ```
pub async fn open(location: &str) -> Result<Reader> {
    open_with(location, &ReadOptions::default()).await
}

/// Opens a location with options: format, CSV dialect, record size limit, error policy.
pub async fn open_with(location: &str, options: &ReadOptions) -> Result<Reader> {
    // The reader's requests (a Parquet object's ranges, say) share one client.
    iterable_adapter::open_with(&Tokio::default().sharing_clients(), location, options).await
}

/// Reads records from any `tokio::io::AsyncRead`. Without a format in `options`, it is
/// detected from the first bytes, which are kept for decoding.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> iterable_tokio::Result<()> {
/// let input = &b"{\"id\":1}\n{\"id\":2}\n"[..];
/// let mut reader = iterable_tokio::from_reader(input, &Default::default()).await?;
/// assert_eq!(reader.read_bulk(10).await?.len(), 2);
/// # Ok(()) }
/// ```
pub async fn from_reader<R>(input: R, options: &ReadOptions) -> Result<Reader<Compat<R>>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    iterable_adapter::from_reader(input.compat(), options).await
}

/// Creates a location for writing, in the format its name says.
///
/// A file is written atomically: bytes go to a temporary file beside it, which
/// [`Writer::finish`] (or closing the `Sink`) renames over the target. An error, or a writer
/// dropped without `finish`, leaves an existing target as it was and no temporary file
/// behind. `-` writes to stdout (then the format must be given, see [`create_with`]). An
/// `s3://bucket/key` object (feature `s3`) is written by multipart upload as records come and
/// appears when `finish` completes it; an error or a drop aborts it and leaves no object.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("out.jsonl");
/// # let path = path.to_str().unwrap();
/// let mut writer = iterable_tokio::create(path).await?;
/// writer.write(&[("id", 1)].into_iter().collect()).await?;
/// writer.finish().await?;
/// assert_eq!(std::fs::read_to_string(path)?, "{\"id\":1}\n");
/// # Ok(()) }
/// ```
pub async fn create(location: &str) -> Result<Writer> {
    create_with(location, &WriteOptions::default()).await
}

/// Creates a location for writing with options: format, CSV dialect, compression.
pub async fn create_with(location: &str, options: &WriteOptions) -> Result<Writer> {
    iterable_adapter::create_with(&Tokio::default().sharing_clients(), location, options).await
}

/// Writes records to any `tokio::io::AsyncWrite`, in the format the options name; `finish`
/// gives the output back (`.into_inner()` unwraps it).
pub fn to_writer<W>(output: W, options: &WriteOptions) -> Result<Writer<Compat<W>>>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    iterable_adapter::to_writer(output.compat_write(), options)
}

/// Reads every record of `source` and writes it to `target`; formats come from the names
/// unless the options give them. The target is written atomically. Progress goes to
/// `options.progress`.
pub async fn convert(source: &str, target: &str, options: &ConvertOptions) -> Result<ConvertStats> {
    iterable_adapter::convert(&Tokio::default().sharing_clients(), source, target, options).await
}

/// Converts each input (paths or glob patterns; with feature `s3`, also
/// `s3://bucket/logs/*.jsonl.gz`) into `out_dir` (a folder, or an `s3://bucket/prefix/`), one
/// output per input with the same stem and the extension of `options.write.format` (which
/// must be set), up to `options.jobs` at once, each on a task of its own (so in parallel on a
/// multi-threaded runtime), all S3 objects through one client. A failing input gets its error
/// (naming the file) and leaves no output; the others complete. Errors before any conversion
/// (no match, an output folder that cannot be made, two inputs for one output) fail the call.
pub async fn convert_many(
    inputs: &[String],
    out_dir: impl AsRef<OsStr>,
    options: &ConvertOptions,
) -> Result<Vec<Converted>> {
    iterable_adapter::convert_many(&Tokio::default(), inputs, out_dir, options).await
}

/// Reads `source`, passes each record through the async `transform`, and writes what it
/// returns to `target`, in input order. `transform` may change a record, drop it (`None`, an
/// empty `Vec`) or multiply it (a `Vec`); up to `options.jobs` transforms run at once. An
/// error stops the pipeline and leaves the target as it was.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let src = dir.path().join("in.csv");
/// # std::fs::write(&src, "n\n1\n2\n3\n")?;
/// # let (src, dst) = (src.to_str().unwrap(), dir.path().join("out.jsonl"));
/// # let dst = dst.to_str().unwrap();
/// let options = iterable_tokio::ConvertOptions { jobs: 8, ..Default::default() };
/// let twice = |r: iterable_tokio::Record| async move { Ok(vec![r.clone(), r]) };
/// let stats = iterable_tokio::pipeline(src, twice, dst, &options).await?;
/// assert_eq!(stats.records, 6);
/// # Ok(()) }
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
    iterable_adapter::pipeline(
        &Tokio::default().sharing_clients(),
        source,
        transform,
        target,
        options,
    )
    .await
}

/// The tables and views of a database location (`postgres://...`, feature `postgres`;
/// `mysql://...` or `mariadb://...`, feature `mysql`), in order, `schema.name` (just `name`
/// in PostgreSQL's `public` schema, in MySQL's database of the URL); `None` for any other
/// location (a workbook's sheets are its reader's `tables()`).
pub async fn database_tables(location: &str) -> Result<Option<Vec<String>>> {
    match iterable_sources::Location::parse(location)? {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        iterable_sources::Location::Database { url, .. } => {
            iterable_sources::database::tables(&url).await.map(Some)
        }
        #[cfg(not(any(feature = "postgres", feature = "mysql")))]
        database @ iterable_sources::Location::Database { .. } => Err(
            iterable_adapter::remote_unsupported(&database, "iterable-tokio"),
        ),
        _ => Ok(None),
    }
}
