//! `RecordStream`: any `Stream` of byte chunks through a decoder, as a `Stream` of records.
//! Runtime-free: it only polls its input.

use crate::{DecodeBuffer, Decoder, Error, ErrorPolicy, Record, Result, Step};
use bytes::Bytes;
use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

/// How many records a [`RecordStream`] hands out in a row, without its input ever being
/// pending, before it yields to the executor once.
pub const RECORDS_BETWEEN_YIELDS: u32 = 1024;

pin_project_lite::pin_project! {
    /// A `Stream` of records decoded from a `Stream` of byte chunks.
    ///
    /// Works on any executor. A chunk can hold thousands of records, so the stream yields to
    /// the executor (wakes itself and returns `Pending`) after
    /// [`RECORDS_BETWEEN_YIELDS`] records in a row; other tasks on the same thread keep running
    /// while a large input is read.
    pub struct RecordStream<S, D> {
        #[pin]
        input: S,
        buffer: DecodeBuffer<D>,
        since_yield: u32,
    }
}

impl<S, D> RecordStream<S, D>
where
    S: Stream<Item = std::io::Result<Bytes>>,
    D: Decoder,
{
    /// Decodes `input` with `decoder`.
    pub fn new(input: S, decoder: D, policy: ErrorPolicy) -> Self {
        Self::with_buffer(input, DecodeBuffer::new(decoder, policy))
    }

    /// Decodes `input` after what `buffer` already holds.
    pub fn with_buffer(input: S, buffer: DecodeBuffer<D>) -> Self {
        RecordStream {
            input,
            buffer,
            since_yield: 0,
        }
    }

    /// The decoding state: bytes read so far, skipped and collected errors.
    pub fn buffer(&self) -> &DecodeBuffer<D> {
        &self.buffer
    }
}

impl<S, D> Stream for RecordStream<S, D>
where
    S: Stream<Item = std::io::Result<Bytes>>,
    D: Decoder,
{
    type Item = Result<Record>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if *this.since_yield >= RECORDS_BETWEEN_YIELDS {
            *this.since_yield = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        loop {
            match this.buffer.step() {
                Ok(Step::Record(record)) => {
                    *this.since_yield += 1;
                    return Poll::Ready(Some(Ok(record)));
                }
                Ok(Step::End) => return Poll::Ready(None),
                Err(error) => return Poll::Ready(Some(Err(error))),
                Ok(Step::NeedInput) => {}
            }
            match this.input.as_mut().poll_next(cx) {
                Poll::Pending => {
                    *this.since_yield = 0;
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    if !chunk.is_empty() {
                        this.buffer.push_bytes(chunk);
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(this.buffer.fail(Error::io(error)))));
                }
                Poll::Ready(None) => this.buffer.end_input(),
            }
        }
    }
}
