//! Reading ahead: a second thread reads the input and parses records into batches while the
//! reader's thread (or task) builds and uses them; and [`Decoding`], a reader's choice between
//! that and decoding inline.
//!
//! The second thread never builds a record: it fills [`ParsedBatch`]es (text and flat nodes,
//! reused from batch to batch), and the reader builds each record out of them. So every
//! allocation of a record is made and freed on the reader's thread; records built on one
//! thread and freed on another measured twice as slow as no thread at all.
//!
//! The same [`Ahead`] serves blocking readers ([`Ahead::read_blocking`]) and async ones
//! ([`Ahead::poll_read`], which never blocks: the thread is not one of an executor's).

use crate::{ParsedAhead, ReadState, ReadStats};
use futures_core::Stream;
use iterable_core::{Error, ErrorKind, FieldsCache, ParsedBatch, Record, Result};
use iterable_formats::Detection;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Batches parsed and waiting for the reader, besides the one being parsed and the one being
/// built: memory stays bounded by a few batches whatever the input's size.
const WAITING: usize = 2;

/// Inputs smaller than this (when their size is known) are decoded inline: starting a thread
/// would cost more than it saves.
pub const AHEAD_MIN_SIZE: u64 = 1 << 20;

/// What the parsing thread sends: a batch, or the panic that stopped it.
type Sent = std::thread::Result<ParsedAhead>;

/// The reader's side of reading ahead: batches come in, spent ones go back to be refilled.
pub struct Ahead {
    batches: Pin<Box<async_channel::Receiver<Sent>>>,
    spent: async_channel::Sender<ParsedBatch>,
    current: ParsedAhead,
    /// Field names shared by the records built here.
    names: FieldsCache,
    records: u64,
    size: Option<u64>,
    detection: Detection,
    errors: Vec<Error>,
    location: Option<String>,
    schema: Option<iterable_core::Schema>,
}

impl Ahead {
    /// True when reading `state`'s input ahead pays: the machine has two cores or more and
    /// the input is not known to be small.
    pub fn pays(state: &ReadState) -> bool {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let small = state.stats().size.is_some_and(|size| size < AHEAD_MIN_SIZE);
        cores >= 2 && !small
    }

    /// Starts the thread that reads `input` and parses with `state`; gives them back when no
    /// thread can be started, for the caller to decode inline.
    pub fn start<R: Read + Send + 'static>(
        input: R,
        state: ReadState,
    ) -> std::result::Result<Ahead, Box<(R, ReadState)>> {
        let (hand_over, handed) = std::sync::mpsc::sync_channel::<(R, ReadState)>(1);
        let (send, batches) = async_channel::bounded::<Sent>(WAITING);
        let (spent, refill) = async_channel::unbounded::<ParsedBatch>();
        let spawned = std::thread::Builder::new()
            // At most 15 bytes: Linux cuts longer thread names.
            .name("iterable-ahead".into())
            .spawn(move || {
                let Ok((mut input, mut state)) = handed.recv() else {
                    return;
                };
                let parse = std::panic::AssertUnwindSafe(|| {
                    loop {
                        let batch = refill.try_recv().unwrap_or_default();
                        let parsed = state.parse_ahead(|buf| input.read(buf), batch);
                        let ended = parsed.ended;
                        // The reader is gone (dropped): stop.
                        if send.send_blocking(Ok(parsed)).is_err() || ended {
                            return;
                        }
                    }
                });
                if let Err(panic) = std::panic::catch_unwind(parse) {
                    let _ = send.send_blocking(Err(panic));
                }
            });
        let Ok(_) = spawned else {
            return Err(Box::new((input, state)));
        };
        let stats = state.stats();
        let current = ParsedAhead {
            bytes_read: stats.bytes_read,
            skipped: stats.skipped,
            ..ParsedAhead::default()
        };
        let detection = state.detection().clone();
        let location = state.location().map(str::to_owned);
        if let Err(returned) = hand_over.send((input, state)) {
            return Err(Box::new(returned.0));
        }
        Ok(Ahead {
            batches: Box::pin(batches),
            spent,
            current,
            names: FieldsCache::default(),
            records: 0,
            size: stats.size,
            detection,
            errors: Vec::new(),
            location,
            schema: None,
        })
    }

    /// The next record, or `None` at the end, waiting (blocking the thread) for the next batch
    /// when need be.
    pub fn read_blocking(&mut self) -> Result<Option<Record>> {
        loop {
            if let Some(next) = self.next_built() {
                return next;
            }
            let received = self.batches.recv_blocking().ok();
            self.take(received)?;
        }
    }

    /// Polls for the next record; `Pending` while the next batch is being parsed.
    pub fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Record>>> {
        loop {
            if let Some(next) = self.next_built() {
                return Poll::Ready(next);
            }
            let received = ready!(self.batches.as_mut().poll_next(cx));
            self.take(received)?;
        }
    }

    /// The next record of the current batch, or the end; `None` when the next batch is needed.
    fn next_built(&mut self) -> Option<Result<Option<Record>>> {
        if let Some(next) = self.current.batch.next_record(&mut self.names) {
            self.records += u64::from(next.is_ok());
            return Some(next.map(Some).map_err(|error| self.locate(error)));
        }
        self.current.ended.then_some(Ok(None))
    }

    /// Makes `received` the current batch and sends the spent one back to be refilled.
    fn take(&mut self, received: Option<Sent>) -> Result<()> {
        let mut next = match received {
            Some(Ok(next)) => next,
            // The thread panicked: so does the reader, as it would have decoding inline.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => {
                self.current.ended = true;
                let error = Error::new(ErrorKind::Io, "the thread reading ahead stopped early");
                return Err(self.locate(error));
            }
        };
        self.errors.append(&mut next.collected);
        if let Some(schema) = next.schema.take() {
            self.schema = Some(schema);
        }
        let spent = std::mem::replace(&mut self.current, next);
        // The thread may have ended already; then the batch is simply dropped.
        let _ = self.spent.try_send(spent.batch);
        Ok(())
    }

    fn locate(&self, error: Error) -> Error {
        crate::locate(&self.location, error)
    }

    /// What the reader has done so far (bytes and skipped records up to the last batch
    /// received).
    pub fn stats(&self) -> ReadStats {
        ReadStats {
            records_read: self.records,
            bytes_read: self.current.bytes_read,
            size: self.size,
            skipped: self.current.skipped,
        }
    }

    /// How the codec and the format were found.
    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    /// Errors of the records skipped under the `Collect` policy, up to the last batch
    /// received.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// The records' schema, for a typed stream, once a batch has brought it.
    pub fn schema(&self) -> Option<&iterable_core::Schema> {
        self.schema.as_ref()
    }
}

/// Where a reader's records are decoded.
// One per reader: its size does not matter, and boxing would add an indirection per record.
#[allow(clippy::large_enum_variant)]
pub enum Decoding<R> {
    /// On the reader's own thread or task, from `input`.
    Inline {
        /// The input.
        input: R,
        /// The decoding state.
        state: ReadState,
    },
    /// Parsed on a second thread, built on the reader's.
    Ahead(Ahead),
    /// Read by ranges (Parquet).
    Ranged(Box<crate::Ranged>),
}

impl<R> Decoding<R> {
    /// Reads `blocking` ahead on a second thread when that pays ([`Ahead::pays`]); otherwise,
    /// or when no thread can be had, decodes inline from the input `inline` makes of it.
    pub fn start<B: Read + Send + 'static>(
        blocking: B,
        state: ReadState,
        inline: impl FnOnce(B) -> Result<R>,
    ) -> Result<Decoding<R>> {
        if !Ahead::pays(&state) {
            let input = inline(blocking)?;
            return Ok(Decoding::Inline { input, state });
        }
        match Ahead::start(blocking, state) {
            Ok(ahead) => Ok(Decoding::Ahead(ahead)),
            Err(returned) => {
                let (blocking, state) = *returned;
                let input = inline(blocking)?;
                Ok(Decoding::Inline { input, state })
            }
        }
    }

    /// What the reader has done so far.
    pub fn stats(&self) -> ReadStats {
        match self {
            Decoding::Inline { state, .. } => state.stats(),
            Decoding::Ahead(ahead) => ahead.stats(),
            Decoding::Ranged(ranged) => ranged.state.stats(),
        }
    }

    /// How the codec and the format were found, and which.
    pub fn detection(&self) -> &Detection {
        match self {
            Decoding::Inline { state, .. } => state.detection(),
            Decoding::Ahead(ahead) => ahead.detection(),
            Decoding::Ranged(ranged) => ranged.state.detection(),
        }
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        match self {
            Decoding::Inline { state, .. } => state.errors(),
            Decoding::Ahead(ahead) => ahead.errors(),
            Decoding::Ranged(ranged) => ranged.state.errors(),
        }
    }

    /// The records' schema, for typed formats that have one (Parquet, Arrow), once it is known.
    pub fn schema(&self) -> Option<&iterable_core::Schema> {
        match self {
            Decoding::Ranged(ranged) => ranged.state.schema(),
            Decoding::Inline { state, .. } => state.schema(),
            Decoding::Ahead(ahead) => ahead.schema(),
        }
    }

    /// The input's tables (a workbook's sheets), once known; `None` for a format without.
    pub fn tables(&self) -> Option<&[String]> {
        match self {
            Decoding::Ranged(ranged) => ranged.state.tables(),
            _ => None,
        }
    }
}
