//! Remote locations for blocking code: the async client runs on a private tokio runtime,
//! made on first use and shared, and the caller reads its bytes through `std::io::Read`.
//!
//! Blocking calls must not come from inside an async runtime (tokio refuses to block one of
//! its threads): async code uses `iterable-tokio`.

use bytes::Bytes;
use futures_util::StreamExt;
use iterable_core::{Error, ErrorKind, Result};
use std::io::Read;
use std::sync::OnceLock;

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

/// An HTTP body as a blocking `Read`.
pub(crate) fn open_http(url: &str, url_name: Option<&str>) -> Result<RemoteInput> {
    let runtime = runtime()?;
    let body = runtime.block_on(iterable_sources::http::get(url, &Default::default()))?;
    let name = iterable_formats::name_for_body(url_name, body.content_type.as_deref());
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
