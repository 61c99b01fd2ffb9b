//! Remote locations for blocking code: the async clients run on a private tokio runtime,
//! made on first use and shared; the caller reads through `std::io::Read` and writes through
//! `std::io::Write`.
//!
//! Async code should use `iterable-tokio`. Called from inside a tokio runtime anyway (an async
//! function, `spawn_blocking`), where tokio refuses to block a thread on another runtime, each
//! wait happens on a short-lived thread of its own: slower, but it works.

use bytes::Bytes;
use futures_util::StreamExt;
use iterable_core::{Error, ErrorKind, Result};
use iterable_sources::Location;
use std::future::Future;
use std::io::Read;
#[cfg(feature = "uploads")]
use std::io::Write;
use std::sync::OnceLock;
#[cfg(feature = "uploads")]
use std::sync::{Arc, Mutex};
#[cfg(feature = "uploads")]
use tokio::io::AsyncWriteExt;

/// The runtime remote reads and writes run on: one worker thread drives the sockets. Made
/// once, by whichever thread comes first.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        OnceLock::new();
    let made = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("iterable-remote")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    made.as_ref().map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot start the runtime for remote reads: {e}"),
        )
    })
}

/// Waits for `future` (a small one: a channel, a task's handle, a write into the upload's
/// buffer) on the calling thread, with the private runtime's context.
fn wait<F>(future: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    wait_on(runtime()?, future)
}

/// Waits for `future` on the calling thread, with `runtime`'s context.
fn wait_on<F>(runtime: &tokio::runtime::Runtime, future: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(runtime.block_on(future));
    }
    // Inside a runtime: wait on a thread that is not one of its own.
    std::thread::scope(|scope| scope.spawn(|| runtime.block_on(future)).join())
        .map_err(|_| Error::new(ErrorKind::Io, "the remote request panicked"))
}

/// Runs `future` (a client's request, which goes deep) as a task of the private runtime and
/// waits for it, with the process's shared clients serving it: the private runtime lives as
/// long as the process, and so may the clients' connections and credentials.
fn run<F>(future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = runtime()?;
    #[cfg(feature = "object-stores")]
    let future = iterable_sources::remote::SharedClients::process().run(future);
    joined(wait(runtime.spawn(future))?)
}

/// A task's outcome.
fn joined<T>(outcome: std::result::Result<T, tokio::task::JoinError>) -> Result<T> {
    outcome.map_err(|e| Error::new(ErrorKind::Io, format!("the remote request failed: {e}")))
}

/// A remote body to read: its bytes, its size when known, and the name it is detected by.
pub(crate) struct RemoteRead {
    pub(crate) read: Box<dyn Read + Send>,
    pub(crate) size: Option<u64>,
    pub(crate) name: Option<String>,
    pub(crate) etag: Option<String>,
    pub(crate) serves_ranges: bool,
}

/// A remote location (HTTP(S), S3, a database) as a blocking `Read`.
pub(crate) fn open_remote(
    location: &Location,
    fetch: iterable_sources::Fetch,
) -> Result<RemoteRead> {
    let owned = location.clone();
    let open = async move { Box::pin(iterable_sources::remote::open(&owned, fetch)).await };
    let (body, runtime) = match own_runtime(location) {
        Some(runtime) => (runtime.block_on(open)?, Some(runtime)),
        None => (run(open)??, None),
    };
    let name = iterable_formats::name_for_body(
        location.file_name(),
        body.content_type.as_deref(),
        body.content_encoding.as_deref(),
    );
    let read = BlockingBody {
        stream: body.stream,
        chunk: Bytes::new(),
        runtime,
    };
    Ok(RemoteRead {
        read: Box::new(read),
        size: body.size,
        name,
        etag: body.etag,
        serves_ranges: body.serves_ranges,
    })
}

/// The bytes of `ranges` of a remote object, the version tagged `etag` when given, on the
/// private runtime.
pub(crate) fn read_ranges(
    location: &Location,
    etag: Option<&str>,
    ranges: Vec<std::ops::Range<u64>>,
) -> Result<Vec<Bytes>> {
    let (location, etag) = (location.clone(), etag.map(str::to_owned));
    run(async move {
        Box::pin(iterable_sources::remote::read_ranges(
            &location,
            etag.as_deref(),
            ranges,
        ))
        .await
    })?
}

/// The runtime of a read of its own, for a PostgreSQL location read outside any tokio
/// runtime: the connection is then driven by the reading thread as it waits for rows, as a
/// plain tokio-postgres loop on a current-thread runtime does, with no thread handing them
/// over (a million rows: 0.82x of such a loop, from 0.50x). A reader dropped mid-way drops
/// the connection with the runtime, which ends the server's session. MySQL's reads stay on
/// the shared runtime, whose task stops a query when its reader goes (`KILL QUERY`).
fn own_runtime(location: &Location) -> Option<tokio::runtime::Runtime> {
    use iterable_sources::database::System;
    let Location::Database { url, .. } = location else {
        return None;
    };
    if System::of(url) != Some(System::Postgres) || tokio::runtime::Handle::try_current().is_ok() {
        return None;
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
}

/// A body read by the calling thread, which polls the stream itself (with the runtime's
/// context): a channel between a task and the caller (see `RemoteBody::pumped`) measured a
/// third slower here. With a runtime of its own, the body's tasks run on the calling thread
/// too, while it waits (the stream goes first, then the runtime and its tasks).
struct BlockingBody {
    stream: std::pin::Pin<Box<dyn futures_core::Stream<Item = std::io::Result<Bytes>> + Send>>,
    chunk: Bytes,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for BlockingBody {
    /// The body's own runtime goes without waiting for its tasks: dropping a runtime may
    /// block, which tokio refuses inside another runtime (a reader dropped in async code).
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Read for BlockingBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            let next = match &self.runtime {
                Some(runtime) => wait_on(runtime, self.stream.next()),
                None => wait(self.stream.next()),
            };
            match next.map_err(std::io::Error::other)? {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

#[cfg(feature = "uploads")]
type SharedUpload = Arc<Mutex<Option<iterable_sources::RemoteUpload>>>;

/// The writing half of a remote object: its bytes go to the upload as they come.
#[cfg(feature = "uploads")]
pub(crate) struct RemoteOutput(SharedUpload);

/// The completing half: [`RemoteCommit::complete`] makes the object appear. Dropped instead,
/// it aborts the upload and waits for S3 to drop the parts, so that a program exiting after
/// an error leaves nothing behind.
#[cfg(feature = "uploads")]
pub(crate) struct RemoteCommit(SharedUpload);

/// Starts writing a remote location (S3).
#[cfg(feature = "uploads")]
pub(crate) fn create(location: &Location) -> Result<(RemoteOutput, RemoteCommit)> {
    let owned = location.clone();
    let upload = run(async move { Box::pin(iterable_sources::remote::create(&owned)).await })??;
    let shared = Arc::new(Mutex::new(Some(upload)));
    Ok((RemoteOutput(shared.clone()), RemoteCommit(shared)))
}

/// Runs a step of the upload behind `shared` (a write, the shutdown) on the private runtime.
#[cfg(feature = "uploads")]
fn upload_step<T: Send>(
    shared: &SharedUpload,
    step: impl FnOnce(&mut iterable_sources::RemoteUpload) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut guard = shared
        .lock()
        .map_err(|_| std::io::Error::other("the upload failed in another thread"))?;
    match guard.as_mut() {
        Some(upload) => step(upload),
        None => Err(std::io::Error::other("the upload has ended")),
    }
}

#[cfg(feature = "uploads")]
impl Write for RemoteOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        upload_step(&self.0, |upload| {
            wait(upload.write(buf)).map_err(std::io::Error::other)?
        })
    }

    /// Parts go out as they fill: nothing to do.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(feature = "uploads")]
impl RemoteCommit {
    /// Completes the upload: the object appears.
    pub(crate) fn complete(self) -> std::io::Result<()> {
        upload_step(&self.0, |upload| {
            wait(upload.shutdown()).map_err(std::io::Error::other)?
        })
    }
}

#[cfg(feature = "uploads")]
impl Drop for RemoteCommit {
    fn drop(&mut self) {
        let Ok(mut guard) = self.0.lock() else {
            return;
        };
        if let Some(upload) = guard.take().filter(|upload| !upload.is_complete()) {
            let _ = wait(upload.abort());
        }
    }
}

/// Expands input patterns, listing `s3://` ones, on the private runtime.
#[cfg(feature = "object-stores")]
pub(crate) fn expand(patterns: &[String]) -> Result<Vec<Location>> {
    let patterns = patterns.to_vec();
    run(async move { Box::pin(iterable_sources::remote::expand(&patterns)).await })?
}

/// Expands input patterns: local globs only, without the `s3` feature.
#[cfg(not(feature = "object-stores"))]
pub(crate) fn expand(patterns: &[String]) -> Result<Vec<Location>> {
    iterable_sources::expand_locations(patterns)
}

/// The tables of the database at `url`, on the private runtime.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn database_tables(url: String) -> Result<Vec<String>> {
    run(async move { Box::pin(iterable_sources::database::tables(&url)).await })?
}
