//! `RemoteBody`: the bytes of a remote object being read, whatever serves them.

use bytes::Bytes;
use futures_core::Stream;
#[cfg(any(feature = "http", feature = "s3", feature = "gcs", feature = "azure"))]
use iterable_core::Result;
#[cfg(any(feature = "http", feature = "s3", feature = "gcs", feature = "azure"))]
use std::future::Future;
use std::pin::Pin;
#[cfg(any(feature = "http", feature = "s3", feature = "gcs", feature = "azure"))]
use std::time::Duration;

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
    /// The object's version as the server tags it (`ETag`), which pins later range reads of
    /// the same object ([`crate::remote::read_ranges`]).
    pub etag: Option<String>,
    /// Whether the server serves byte ranges of it (`Accept-Ranges: bytes`; S3 always), so
    /// that a format read by ranges can be read where it is rather than from a copy.
    pub serves_ranges: bool,
    /// The bytes, resumed and retried as needed: every byte comes once, in order, and a read
    /// that cannot go on ends with an error, never early.
    pub stream: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
}

/// Batches a pumped body holds ahead of its reader, at most.
const PUMPED_AHEAD: usize = 4;

/// The bytes of the chunks that already arrived, gathered into one batch, at most: one
/// hand-over (a wake-up of the reader) per batch instead of per chunk.
const BATCH_BYTES: usize = 1 << 20;

impl RemoteBody {
    /// A body of a database's rows: a stream with no type, size or version, read once from
    /// its start.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    pub(crate) fn rows(
        stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    ) -> RemoteBody {
        RemoteBody {
            content_type: None,
            content_encoding: None,
            size: None,
            etag: None,
            serves_ranges: false,
            stream: Box::pin(stream),
        }
    }

    /// The same body, read by a task on the current tokio runtime and handed over through a
    /// channel, the chunks that have already arrived in batches. Polling the result needs no
    /// runtime and little stack: the client's machinery (a resumed request goes deep) runs on
    /// the runtime's threads. This is how executors other than tokio read remote bodies.
    ///
    /// Must be called within a tokio runtime.
    pub fn pumped(self) -> RemoteBody {
        type Batch = Vec<std::io::Result<Bytes>>;
        let (batches, mut received) = tokio::sync::mpsc::channel::<Batch>(PUMPED_AHEAD);
        let mut stream = self.stream;
        tokio::spawn(async move {
            use futures_util::{FutureExt, StreamExt};
            while let Some(first) = stream.next().await {
                let mut ended = first.is_err();
                let mut size = first.as_ref().map_or(0, Bytes::len);
                let mut batch = vec![first];
                while !ended && size < BATCH_BYTES {
                    match stream.next().now_or_never() {
                        Some(Some(chunk)) => {
                            ended = chunk.is_err();
                            size += chunk.as_ref().map_or(0, Bytes::len);
                            batch.push(chunk);
                        }
                        Some(None) => ended = true,
                        None => break, // nothing more yet: hand over what there is
                    }
                }
                if batches.send(batch).await.is_err() || ended {
                    return; // the reader is gone, or the body is over
                }
            }
        });
        let mut ready = std::collections::VecDeque::new();
        RemoteBody {
            stream: Box::pin(futures_util::stream::poll_fn(move |cx| {
                loop {
                    if let Some(chunk) = ready.pop_front() {
                        return std::task::Poll::Ready(Some(chunk));
                    }
                    match std::task::ready!(received.poll_recv(cx)) {
                        Some(batch) => ready.extend(batch),
                        None => return std::task::Poll::Ready(None),
                    }
                }
            })),
            ..self
        }
    }
}

/// A remote read, chunk by chunk: what [`RemoteBody::from_chunks`] makes a stream of.
#[cfg(any(feature = "http", feature = "s3", feature = "gcs", feature = "azure"))]
pub(crate) trait ChunkSource: Send + 'static {
    /// The next chunk, resuming and retrying as the client does; `None` at the end.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>>> + Send;
}

#[cfg(any(feature = "http", feature = "s3", feature = "gcs", feature = "azure"))]
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

#[cfg(any(feature = "http", feature = "s3", feature = "gcs", feature = "azure"))]
/// The wait before the `attempt`-th retry (from 1) of a remote request: doubling from
/// `first`, at most 20 s.
pub(crate) fn backoff(first: Duration, attempt: u32) -> Duration {
    (first * 2u32.saturating_pow(attempt.saturating_sub(1))).min(Duration::from_secs(20))
}

/// An error and its causes, each in words, on one line.
#[cfg(feature = "object-stores")]
pub(crate) fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let said = error.to_string();
        if !text.ends_with(&said) {
            text = format!("{text}: {said}");
        }
        cause = error.source();
    }
    text.replace('\n', " ")
}

#[cfg(any(feature = "http", feature = "s3", feature = "gcs", feature = "azure"))]
/// The results of `reads`, in their order, `at_once` of them in flight; the first error, if
/// any.
pub(crate) async fn in_flight<F>(
    reads: impl Iterator<Item = F>,
    at_once: usize,
) -> Result<Vec<Bytes>>
where
    F: Future<Output = Result<Bytes>>,
{
    use futures_util::{StreamExt, TryStreamExt};
    futures_util::stream::iter(reads)
        .buffered(at_once)
        .try_collect()
        .await
}
