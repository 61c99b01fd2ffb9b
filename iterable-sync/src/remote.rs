//! Remote locations for blocking code: the async client runs on a private tokio runtime,
//! made on first use and shared; the caller reads through `std::io::Read` and writes through
//! `std::io::Write`.
//!
//! Blocking calls must not come from inside an async runtime (tokio refuses to block one of
//! its threads): async code uses `iterable-tokio`.

use bytes::Bytes;
use futures_util::StreamExt;
use iterable_core::{Error, ErrorKind, Result};
use iterable_sources::Location;
use iterable_sources::remote::RemoteUpload;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};
use tokio_util::io::SyncIoBridge;

/// The runtime remote reads run on: one worker thread drives the sockets.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("iterable-remote")
        .enable_all()
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot start the runtime for remote reads: {e}"),
            )
        })?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

/// A remote body to read: its bytes, its size when known, and the name it is detected by.
pub(crate) struct RemoteInput {
    pub(crate) read: Box<dyn Read + Send>,
    pub(crate) size: Option<u64>,
    pub(crate) name: Option<String>,
}

/// A remote location (HTTP(S) or S3) as a blocking `Read`.
pub(crate) fn open_remote(location: &Location) -> Result<RemoteInput> {
    let runtime = runtime()?;
    let body = runtime.block_on(iterable_sources::remote::get(location))?;
    let name = iterable_formats::name_for_body(
        location.file_name(),
        body.content_type.as_deref(),
        body.content_encoding.as_deref(),
    );
    let read = BlockingBody {
        stream: body.stream,
        handle: runtime.handle().clone(),
        chunk: Bytes::new(),
    };
    Ok(RemoteInput {
        read: Box::new(read),
        size: body.size,
        name,
    })
}

struct BlockingBody {
    stream: std::pin::Pin<Box<dyn futures_core::Stream<Item = std::io::Result<Bytes>> + Send>>,
    handle: tokio::runtime::Handle,
    chunk: Bytes,
}

impl Read for BlockingBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next()) {
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

type SharedUpload = Arc<Mutex<Option<SyncIoBridge<RemoteUpload>>>>;

/// The writing half of a remote object: its bytes go to the upload as they come.
pub(crate) struct RemoteOutput(SharedUpload);

/// The completing half: [`RemoteCommit::complete`] makes the object appear. Dropped instead,
/// with the output, it aborts the upload.
pub(crate) struct RemoteCommit(SharedUpload);

/// Starts writing a remote location (S3).
pub(crate) fn create_remote(location: &Location) -> Result<(RemoteOutput, RemoteCommit)> {
    let runtime = runtime()?;
    let upload = runtime.block_on(iterable_sources::remote::create(location))?;
    let shared = Arc::new(Mutex::new(Some(SyncIoBridge::new_with_handle(
        upload,
        runtime.handle().clone(),
    ))));
    Ok((RemoteOutput(shared.clone()), RemoteCommit(shared)))
}

fn with_upload<T>(
    shared: &SharedUpload,
    act: impl FnOnce(&mut SyncIoBridge<RemoteUpload>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut guard = shared
        .lock()
        .map_err(|_| std::io::Error::other("the upload failed in another thread"))?;
    match guard.as_mut() {
        Some(upload) => act(upload),
        None => Err(std::io::Error::other("the upload has ended")),
    }
}

impl Write for RemoteOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        with_upload(&self.0, |upload| upload.write(buf))
    }

    /// Parts go out as they fill: nothing to do.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl RemoteCommit {
    /// Completes the upload: the object appears.
    pub(crate) fn complete(self) -> std::io::Result<()> {
        with_upload(&self.0, |upload| upload.shutdown())
    }
}

/// Expands input patterns, listing `s3://` ones, on the private runtime.
#[cfg(feature = "s3")]
pub(crate) fn expand(patterns: &[String]) -> Result<Vec<Location>> {
    runtime()?.block_on(iterable_sources::remote::expand(patterns))
}
