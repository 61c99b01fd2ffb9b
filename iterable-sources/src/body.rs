//! `RemoteBody`: the bytes of a remote object being read, whatever serves them.

use bytes::Bytes;
use futures_core::Stream;
use iterable_core::Result;
use std::future::Future;
use std::pin::Pin;

/// The bytes of an object read over the network (HTTP(S) or S3), with what the server said
/// about them.
pub struct RemoteBody {
    /// The `Content-Type`, which helps detection when the name says nothing.
    pub content_type: Option<String>,
    /// The `Content-Encoding`: the codec the bytes arrive in (they are not decoded on the
    /// way), which helps detection too.
    pub content_encoding: Option<String>,
    /// The size in bytes, when the server says it.
    pub size: Option<u64>,
    /// The bytes, resumed and retried as needed: every byte comes once, in order, and a read
    /// that cannot go on ends with an error, never early.
    pub stream: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
}

/// Chunks a pumped body holds ahead of its reader, at most.
const PUMPED_AHEAD: usize = 4;

impl RemoteBody {
    /// The same body, read by a task on the current tokio runtime and handed over through a
    /// channel of a few chunks. Polling the result needs no runtime and little stack: the
    /// client's machinery (a resumed request goes deep) runs on the runtime's threads. This is
    /// how executors other than tokio, and blocking code, read remote bodies.
    ///
    /// Must be called within a tokio runtime.
    pub fn pumped(self) -> RemoteBody {
        let (chunks, mut received) = tokio::sync::mpsc::channel(PUMPED_AHEAD);
        let mut stream = self.stream;
        tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some(chunk) = stream.next().await {
                let failed = chunk.is_err();
                if chunks.send(chunk).await.is_err() || failed {
                    return; // the reader is gone, or the body has ended with its error
                }
            }
        });
        RemoteBody {
            stream: Box::pin(futures_util::stream::poll_fn(move |cx| {
                received.poll_recv(cx)
            })),
            ..self
        }
    }
}

/// A remote read, chunk by chunk: what [`RemoteBody::from_chunks`] makes a stream of.
pub(crate) trait ChunkSource: Send + 'static {
    /// The next chunk, resuming and retrying as the client does; `None` at the end.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>>> + Send;
}

impl RemoteBody {
    /// The stream of a source's chunks. It ends after the first error, dropping the source
    /// (and its connection): a caller that reads on gets the end, not a read resumed behind
    /// an error it was told of.
    pub(crate) fn from_chunks(
        source: impl ChunkSource,
    ) -> Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>> {
        Box::pin(futures_util::stream::unfold(
            Some(source),
            |source| async move {
                let mut source = source?;
                match source.next_chunk().await {
                    Ok(Some(chunk)) => Some((Ok(chunk), Some(source))),
                    Ok(None) => None,
                    Err(error) => Some((Err(std::io::Error::other(error)), None)),
                }
            },
        ))
    }
}
