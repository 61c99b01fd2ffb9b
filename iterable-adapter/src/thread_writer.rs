//! `ThreadWriter`: a blocking output written on a thread of its own, as a futures-io
//! `AsyncWrite`.

use bytes::Bytes;
use futures_channel::mpsc;
use futures_core::Stream;
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

/// A blocking `Write` (a file, stdout) written on a thread of its own, as a futures-io
/// `AsyncWrite` that works on any executor: the caller goes on encoding while up to four
/// chunks wait to be written, and no executor thread ever blocks on the output.
///
/// A write is accepted only when there is room for it, so once `poll_write` says it took the
/// bytes, the thread will write them, even if the writer is dropped right after. `poll_flush`
/// (and `poll_close`) return once everything accepted before them is written and flushed. A
/// write that fails stops the thread; its error (kind and message) comes back from that call
/// on, and nothing more is accepted.
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
    asks: mpsc::Sender<Ask>,
    /// One answer per flush, in order, or the error that stopped the thread.
    answers: Pin<Box<async_channel::Receiver<std::io::Result<()>>>>,
    /// Flushes handed over, and answers received for them.
    flushes_asked: u64,
    flushes_answered: u64,
    /// Bytes were accepted since the last flush was handed over.
    unflushed: bool,
    /// The error that stopped the thread, once known: its kind and message.
    failed: Option<(std::io::ErrorKind, String)>,
}

impl ThreadWriter {
    /// Starts the thread writing to `output`.
    pub fn start<W: Write + Send + 'static>(mut output: W) -> std::io::Result<ThreadWriter> {
        let (asks, mut received) = mpsc::channel::<Ask>(CHUNKS_AHEAD);
        let (answer, answers) = async_channel::unbounded();
        std::thread::Builder::new()
            .name("iterable-write".into())
            .spawn(move || {
                use futures_util::StreamExt;
                while let Some(ask) = futures_lite::future::block_on(received.next()) {
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
            flushes_asked: 0,
            flushes_answered: 0,
            unflushed: false,
            failed: None,
        })
    }

    /// The error that stopped the thread, as an `io::Error` again.
    fn failure(&self) -> Option<std::io::Error> {
        self.failed
            .as_ref()
            .map(|(kind, message)| std::io::Error::new(*kind, message.clone()))
    }

    /// Takes the answers that came, up to the flushes asked; the thread's error, if it sent
    /// one, ends the writer.
    fn poll_answers(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while self.flushes_answered < self.flushes_asked {
            match ready!(self.answers.as_mut().poll_next(cx)) {
                Some(Ok(())) => self.flushes_answered += 1,
                Some(Err(error)) => {
                    self.failed = Some((error.kind(), error.to_string()));
                    return Poll::Ready(Err(error));
                }
                None => return Poll::Ready(Err(self.stopped(cx))),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// The thread is gone: its error, when it sent one.
    fn stopped(&mut self, cx: &mut Context<'_>) -> std::io::Error {
        if self.failed.is_none() {
            let error = loop {
                match self.answers.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(()))) => continue,
                    Poll::Ready(Some(Err(error))) => break error,
                    _ => break std::io::Error::other("the writing thread stopped"),
                }
            };
            self.failed = Some((error.kind(), error.to_string()));
        }
        self.failure()
            .unwrap_or_else(|| std::io::Error::other("the writing thread stopped"))
    }

    /// Hands `ask` over once there is room; an error when the thread is gone.
    fn poll_hand_over(
        &mut self,
        cx: &mut Context<'_>,
        ask: impl FnOnce() -> Ask,
    ) -> Poll<std::io::Result<()>> {
        if let Some(error) = self.failure() {
            return Poll::Ready(Err(error));
        }
        if ready!(self.asks.poll_ready(cx)).is_err() || self.asks.start_send(ask()).is_err() {
            return Poll::Ready(Err(self.stopped(cx)));
        }
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncWrite for ThreadWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(this.failure().map_or(Ok(0), Err));
        }
        ready!(this.poll_hand_over(cx, || Ask::Write(Bytes::copy_from_slice(buf))))?;
        this.unflushed = true;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        // The answers to flushes already handed over come first (one polled again after
        // `Pending`, or one given up on); then, if bytes came since, a flush of those.
        ready!(this.poll_answers(cx))?;
        if this.unflushed {
            ready!(this.poll_hand_over(cx, || Ask::Flush))?;
            this.flushes_asked += 1;
            this.unflushed = false;
        }
        this.poll_answers(cx)
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
    fn a_flush_given_up_on_does_not_stand_for_a_later_one() {
        use futures_io::AsyncWrite;
        let kept = Arc::new(Mutex::new(Vec::new()));
        let shelf = Shelf {
            kept: kept.clone(),
            room: usize::MAX,
        };
        futures_lite::future::block_on(async {
            let mut output = ThreadWriter::start(shelf).unwrap();
            output.write_all(b"first ").await.unwrap();
            // Polled once and dropped: the flush is handed over, its answer not awaited.
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let _ = Pin::new(&mut output).poll_flush(&mut cx);
            output.write_all(b"second").await.unwrap();
            output.flush().await.unwrap();
            assert_eq!(*kept.lock().unwrap(), b"first second");
            // Polled again and again, a flush with nothing new to write ends.
            output.flush().await.unwrap();
            output.close().await.unwrap();
        });
    }

    #[test]
    fn what_was_accepted_is_written_when_the_writer_is_dropped() {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let shelf = Shelf {
            kept: kept.clone(),
            room: usize::MAX,
        };
        futures_lite::future::block_on(async {
            let mut output = ThreadWriter::start(shelf).unwrap();
            output.write_all(b"kept").await.unwrap();
        });
        let start = std::time::Instant::now();
        while kept.lock().unwrap().len() < 4 && start.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(*kept.lock().unwrap(), b"kept");
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
        assert_eq!(error.to_string(), "full");
    }
}
