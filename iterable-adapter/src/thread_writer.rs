//! `ThreadWriter`: a blocking output written on a thread of its own, as a futures-io
//! `AsyncWrite`.

use bytes::Bytes;
use futures_core::Stream;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Chunks handed to the thread and not written yet, at most.
const CHUNKS_AHEAD: usize = 4;

/// What the writing thread is asked to do.
enum Ask {
    Write(Bytes),
    Flush,
}

type Sending = Pin<Box<dyn Future<Output = bool> + Send>>;

/// A blocking `Write` (a file, stdout) written on a thread of its own, as a futures-io
/// `AsyncWrite` that works on any executor: the caller goes on encoding while up to four
/// chunks wait to be written, and no executor thread ever blocks on the output.
///
/// `poll_flush` (and `poll_close`) return once everything handed over is written and
/// flushed. A write that fails stops the thread; the error comes back from the next call.
/// Dropping it lets the thread write what it was given, then end.
///
/// ```
/// # futures_lite::future::block_on(async {
/// use futures_lite::AsyncWriteExt;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.txt");
/// let mut output = iterable_adapter::ThreadWriter::start(std::fs::File::create(&path)?)?;
/// output.write_all(b"hello").await?;
/// output.close().await?;
/// assert_eq!(std::fs::read(&path)?, b"hello");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct ThreadWriter {
    asks: async_channel::Sender<Ask>,
    /// One answer per flush, or the error that stopped the thread.
    answers: Pin<Box<async_channel::Receiver<std::io::Result<()>>>>,
    /// A chunk or a flush on its way to the thread.
    sending: Option<Sending>,
    /// A flush was handed over; its answer is awaited.
    flushing: bool,
    /// The thread stopped with this error.
    failed: Option<std::io::ErrorKind>,
}

impl ThreadWriter {
    /// Starts the thread writing to `output`.
    pub fn start<W: Write + Send + 'static>(mut output: W) -> std::io::Result<ThreadWriter> {
        let (asks, received) = async_channel::bounded::<Ask>(CHUNKS_AHEAD);
        let (answer, answers) = async_channel::unbounded();
        std::thread::Builder::new()
            .name("iterable-write".into())
            .spawn(move || {
                while let Ok(ask) = received.recv_blocking() {
                    let done = match ask {
                        Ask::Write(chunk) => output.write_all(&chunk),
                        Ask::Flush => output.flush().map(|()| {
                            // Unbounded: it fails only once the writer is gone.
                            let _ = answer.try_send(Ok(()));
                        }),
                    };
                    if let Err(error) = done {
                        let _ = answer.try_send(Err(error));
                        return;
                    }
                }
            })?;
        Ok(ThreadWriter {
            asks,
            answers: Box::pin(answers),
            sending: None,
            flushing: false,
            failed: None,
        })
    }

    /// Polls what is on its way to the thread; an error when the thread has stopped.
    fn poll_sent(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if let Some(sending) = &mut self.sending {
            let delivered = ready!(sending.as_mut().poll(cx));
            self.sending = None;
            if !delivered {
                return Poll::Ready(Err(self.stopped(cx)));
            }
        }
        Poll::Ready(Ok(()))
    }

    /// The error that stopped the thread.
    fn stopped(&mut self, cx: &mut Context<'_>) -> std::io::Error {
        if let Some(kind) = self.failed {
            return kind.into();
        }
        let error = match self.answers.as_mut().poll_next(cx) {
            Poll::Ready(Some(Err(error))) => error,
            _ => std::io::Error::other("the writing thread stopped"),
        };
        self.failed = Some(error.kind());
        error
    }

    fn hand_over(&mut self, ask: Ask) {
        let asks = self.asks.clone();
        self.sending = Some(Box::pin(async move { asks.send(ask).await.is_ok() }));
    }
}

impl futures_io::AsyncWrite for ThreadWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_sent(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        this.hand_over(Ask::Write(Bytes::copy_from_slice(buf)));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_sent(cx))?;
        if !this.flushing {
            this.hand_over(Ask::Flush);
            this.flushing = true;
            ready!(this.poll_sent(cx))?;
        }
        let answer = ready!(this.answers.as_mut().poll_next(cx));
        this.flushing = false;
        match answer {
            Some(Ok(())) => Poll::Ready(Ok(())),
            Some(Err(error)) => {
                this.failed = Some(error.kind());
                Poll::Ready(Err(error))
            }
            None => Poll::Ready(Err(this.stopped(cx))),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.poll_flush(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::AsyncWriteExt;
    use std::sync::{Arc, Mutex};

    /// Keeps what it is given, and fails once it holds more than `room` bytes.
    struct Shelf {
        kept: Arc<Mutex<Vec<u8>>>,
        room: usize,
    }

    impl Write for Shelf {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut kept = self.kept.lock().unwrap();
            if kept.len() + buf.len() > self.room {
                return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "full"));
            }
            kept.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn everything_is_written_in_order_by_the_time_close_returns() {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let shelf = Shelf {
            kept: kept.clone(),
            room: usize::MAX,
        };
        let expected: Vec<u8> = (0..100_000u32).flat_map(u32::to_le_bytes).collect();
        futures_lite::future::block_on(async {
            let mut output = ThreadWriter::start(shelf).unwrap();
            for piece in expected.chunks(1000) {
                output.write_all(piece).await.unwrap();
            }
            output.flush().await.unwrap();
            output.close().await.unwrap();
        });
        assert_eq!(*kept.lock().unwrap(), expected);
    }

    #[test]
    fn a_failed_write_comes_back_as_its_error() {
        let shelf = Shelf {
            kept: Arc::default(),
            room: 10_000,
        };
        let error = futures_lite::future::block_on(async {
            let mut output = ThreadWriter::start(shelf).unwrap();
            for _ in 0..100 {
                if let Err(error) = output.write_all(&[7; 1000]).await {
                    return error;
                }
            }
            output.close().await.unwrap_err()
        });
        assert_eq!(error.kind(), std::io::ErrorKind::StorageFull);
    }
}
