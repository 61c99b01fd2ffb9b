//! `RemoteUpload`: the writing end of a remote write, whatever takes the bytes.

use bytes::{Bytes, BytesMut};
use iterable_core::Result;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::AsyncWrite;
use tokio::task::JoinHandle;
use tokio_util::sync::PollSender;

/// What the writing side sends the task that writes.
pub(crate) enum Message {
    /// A full part.
    Part(Bytes),
    /// The last bytes (maybe none): complete the write.
    Finish(Bytes),
}

/// A remote write (an S3 object, a PostgreSQL table): a tokio `AsyncWrite` that buffers one
/// part and hands full parts to the task that writes them. `poll_shutdown` completes the
/// write (the object appears, the transaction commits); an error, or dropping it before
/// shutdown, aborts it and leaves nothing.
pub struct RemoteUpload {
    buffer: BytesMut,
    part_size: usize,
    /// Whether parts double in size after every 2,000 (S3 takes 10,000 at most).
    doubling: bool,
    parts_sent: usize,
    sender: PollSender<Message>,
    task: Option<JoinHandle<Result<()>>>,
    finish_sent: bool,
    completed: bool,
}

impl RemoteUpload {
    /// Starts the task `run` makes of the receiving end of the parts' channel, on the current
    /// tokio runtime; its outcome is the write's.
    pub(crate) fn spawn<F>(
        part_size: usize,
        doubling: bool,
        run: impl FnOnce(tokio::sync::mpsc::Receiver<Message>) -> F,
    ) -> RemoteUpload
    where
        F: Future<Output = Result<()>> + Send + 'static,
    {
        let (parts, received) = tokio::sync::mpsc::channel(1);
        RemoteUpload {
            buffer: BytesMut::new(),
            part_size,
            doubling,
            parts_sent: 0,
            sender: PollSender::new(parts),
            task: Some(tokio::spawn(run(received))),
            finish_sent: false,
            completed: false,
        }
    }

    /// Aborts the write and waits until it is undone (S3 has dropped the parts, the
    /// transaction is rolled back): nothing appears.
    /// (Dropping the upload aborts it too, but in the background, on the runtime it was made
    /// on: a program about to exit should call this instead.)
    pub async fn abort(mut self) {
        self.sender.close();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// True once shutdown has completed the object.
    pub fn is_complete(&self) -> bool {
        self.completed
    }

    /// The current part size: for S3, doubled after every 2,000 parts, to stay under its
    /// 10,000.
    fn current_part_size(&self) -> usize {
        match self.doubling {
            true => self.part_size << (self.parts_sent / 2000).min(8),
            false => self.part_size,
        }
    }

    /// Sends the buffer as a part, or as the last bytes.
    fn poll_send(&mut self, cx: &mut Context<'_>, last: bool) -> Poll<io::Result<()>> {
        if ready!(self.sender.poll_reserve(cx)).is_ok() {
            let bytes = self.buffer.split().freeze();
            let message = if last {
                Message::Finish(bytes)
            } else {
                self.parts_sent += 1;
                Message::Part(bytes)
            };
            if self.sender.send_item(message).is_ok() {
                return Poll::Ready(Ok(()));
            }
        }
        // The task has ended early: its error says why.
        self.poll_outcome(cx).map(|outcome| {
            outcome.and(Err(io::Error::other(
                "the upload ended before its last part",
            )))
        })
    }

    /// Waits for the upload task's outcome.
    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(task) = self.task.as_mut() else {
            return Poll::Ready(if self.completed {
                Ok(())
            } else {
                Err(io::Error::other("the upload has ended"))
            });
        };
        let outcome = ready!(Pin::new(task).poll(cx));
        self.task = None;
        Poll::Ready(match outcome {
            Ok(Ok(())) => {
                self.completed = self.finish_sent;
                Ok(())
            }
            Ok(Err(error)) => Err(io::Error::other(error)),
            Err(failed) => Err(io::Error::other(format!(
                "the upload task failed: {failed}"
            ))),
        })
    }
}

impl AsyncWrite for RemoteUpload {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.finish_sent {
            return Poll::Ready(Err(io::Error::other("write after shutdown")));
        }
        if this.buffer.len() >= this.current_part_size() {
            ready!(this.poll_send(cx, false))?;
        }
        if this.buffer.is_empty() {
            // A part's room at once: the buffer never grows by copying itself.
            this.buffer.reserve(this.current_part_size());
        }
        let room = this.current_part_size() - this.buffer.len();
        let taken = bytes.len().min(room);
        this.buffer.extend_from_slice(&bytes[..taken]);
        Poll::Ready(Ok(taken))
    }

    /// Parts go out as they fill; nothing is sent early.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.finish_sent {
            ready!(this.poll_send(cx, true))?;
            this.finish_sent = true;
        }
        this.poll_outcome(cx)
    }
}
