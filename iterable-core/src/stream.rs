//! `RecordStream`: any `Stream` of byte chunks through a decoder, as a `Stream` of records.
//! Runtime-free: it only polls its input.

use crate::{DecodeDriver, Decoder, Error, ErrorPolicy, Record, Result, Step};
use bytes::Bytes;
use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

/// How many records a [`RecordStream`] (or an async reader) hands out in a row, without its
/// input ever being pending, before it yields to the executor once.
pub const RECORDS_BETWEEN_YIELDS: u32 = 1024;

/// Makes a stream that is always ready share its thread: after [`RECORDS_BETWEEN_YIELDS`]
/// items in a row without being pending, it yields once (wakes its task and returns
/// `Pending`), so that decoding a large buffered input does not starve the other tasks of
/// its thread. Works on any executor.
///
/// ```
/// use iterable_core::{YieldBudget, RECORDS_BETWEEN_YIELDS};
/// use std::task::{Context, Poll, Waker};
///
/// let mut budget = YieldBudget::default();
/// let mut cx = Context::from_waker(Waker::noop());
/// for _ in 0..RECORDS_BETWEEN_YIELDS {
///     assert!(budget.poll_turn(&mut cx).is_ready());
///     budget.handed_out();
/// }
/// assert!(budget.poll_turn(&mut cx).is_pending()); // once...
/// assert!(budget.poll_turn(&mut cx).is_ready()); // ...then on again
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct YieldBudget {
    since_yield: u32,
}

impl YieldBudget {
    /// `Pending` (with the task woken) once the budget is spent; `Ready` otherwise.
    pub fn poll_turn(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.since_yield >= RECORDS_BETWEEN_YIELDS {
            self.since_yield = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(())
    }

    /// Counts an item handed out.
    pub fn handed_out(&mut self) {
        self.since_yield += 1;
    }

    /// The input was pending: the task gave its thread up anyway.
    pub fn reset(&mut self) {
        self.since_yield = 0;
    }
}

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
        driver: DecodeDriver<D>,
        budget: YieldBudget,
    }
}

impl<S, D> RecordStream<S, D>
where
    S: Stream<Item = std::io::Result<Bytes>>,
    D: Decoder,
{
    /// Decodes `input` with `decoder`.
    pub fn new(input: S, decoder: D, policy: ErrorPolicy) -> Self {
        Self::with_driver(input, DecodeDriver::new(decoder, policy))
    }

    /// Decodes `input` after what `driver` already holds.
    pub fn with_driver(input: S, driver: DecodeDriver<D>) -> Self {
        RecordStream {
            input,
            driver,
            budget: YieldBudget::default(),
        }
    }

    /// The decoding state: bytes read so far, skipped and collected errors.
    pub fn driver(&self) -> &DecodeDriver<D> {
        &self.driver
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
        std::task::ready!(this.budget.poll_turn(cx));
        loop {
            match this.driver.step() {
                Ok(Step::Record(record)) => {
                    this.budget.handed_out();
                    return Poll::Ready(Some(Ok(record)));
                }
                Ok(Step::End) => return Poll::Ready(None),
                Err(error) => return Poll::Ready(Some(Err(error))),
                Ok(Step::NeedInput) => {}
            }
            match this.input.as_mut().poll_next(cx) {
                Poll::Pending => {
                    this.budget.reset();
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    if !chunk.is_empty() {
                        this.driver.push_bytes(chunk);
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(this.driver.fail(Error::io(error)))));
                }
                Poll::Ready(None) => this.driver.end_input(),
            }
        }
    }
}
