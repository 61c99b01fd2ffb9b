//! `ThreadReader`: a blocking input read on a thread of its own, as a futures-io `AsyncRead`.

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use iterable_core::READ_SIZE;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Blocks read ahead of the consumer, at most.
const BLOCKS_AHEAD: usize = 16;

/// A blocking `Read` (a file, stdin) read on a thread of its own in blocks of [`READ_SIZE`], up
/// to 16 blocks ahead of its consumer, as a futures-io `AsyncRead` that works on any executor:
/// reading overlaps decoding, and no executor thread ever blocks on the input. (tokio's and
/// async-fs's files read nothing ahead and make one trip to a thread pool per read.)
///
/// Dropping it stops the thread at its next block; a thread blocked on a read that never
/// returns (a terminal) waits on.
///
/// ```
/// # futures_lite::future::block_on(async {
/// use futures_lite::AsyncReadExt;
/// let mut input = iterable_adapter::ThreadReader::start(&b"hello"[..])?;
/// let mut text = String::new();
/// input.read_to_string(&mut text).await?;
/// assert_eq!(text, "hello");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct ThreadReader {
    blocks: Pin<Box<async_channel::Receiver<std::io::Result<Bytes>>>>,
    block: Bytes,
    ended: bool,
}

impl ThreadReader {
    /// Starts the thread reading `input`.
    pub fn start<R: Read + Send + 'static>(mut input: R) -> std::io::Result<ThreadReader> {
        let (send, blocks) = async_channel::bounded(BLOCKS_AHEAD);
        std::thread::Builder::new()
            .name("iterable-read".into())
            .spawn(move || {
                loop {
                    let mut block = BytesMut::zeroed(READ_SIZE);
                    let read = loop {
                        match input.read(&mut block) {
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                            other => break other,
                        }
                    };
                    let last = !matches!(read, Ok(n) if n > 0);
                    let sent = match read {
                        Ok(0) => return,
                        Ok(n) => {
                            block.truncate(n);
                            send.send_blocking(Ok(block.freeze()))
                        }
                        Err(e) => send.send_blocking(Err(e)),
                    };
                    if sent.is_err() || last {
                        return;
                    }
                }
            })?;
        Ok(ThreadReader {
            blocks: Box::pin(blocks),
            block: Bytes::new(),
            ended: false,
        })
    }
}

impl futures_io::AsyncRead for ThreadReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        while this.block.is_empty() && !this.ended {
            match ready!(this.blocks.as_mut().poll_next(cx)) {
                Some(Ok(block)) => this.block = block,
                Some(Err(error)) => {
                    this.ended = true;
                    return Poll::Ready(Err(error));
                }
                None => this.ended = true,
            }
        }
        let n = buf.len().min(this.block.len());
        buf[..n].copy_from_slice(&this.block.split_to(n));
        Poll::Ready(Ok(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::AsyncReadExt;

    /// Gives `good` bytes, then fails.
    struct Failing {
        good: usize,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.good == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "cut",
                ));
            }
            let n = buf.len().min(self.good);
            buf[..n].fill(b'x');
            self.good -= n;
            Ok(n)
        }
    }

    #[test]
    fn the_bytes_then_the_error_come_through() {
        let (read, error) = futures_lite::future::block_on(async {
            let mut input = ThreadReader::start(Failing { good: 300_000 }).unwrap();
            let mut read = Vec::new();
            let error = input.read_to_end(&mut read).await.unwrap_err();
            (read.len(), error)
        });
        assert_eq!(read, 300_000);
        assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);
    }
}
