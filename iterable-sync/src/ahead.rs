//! Reading ahead: a second thread reads the input and parses records into batches while the
//! caller's thread builds and uses them.
//!
//! The second thread never builds a record: it fills [`ParsedBatch`]es (text and flat nodes,
//! reused from batch to batch), and the caller's thread builds each record out of them. So
//! every allocation of a record is made and freed on the caller's thread; records built on
//! one thread and freed on another measured twice as slow as no thread at all.

use iterable_core::{Error, ErrorKind, FieldsCache, ParsedBatch, Record, Result};
use iterable_formats::Detection;
use iterable_formats::adapter::{ParsedAhead, ReadState};
use std::io::Read;
use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};
use std::thread::JoinHandle;

/// Batches parsed and waiting for the caller, besides the one being parsed and the one being
/// built: memory stays bounded by a few batches whatever the input's size.
const WAITING: usize = 2;

/// Inputs smaller than this (when their size is known) are decoded on the caller's thread:
/// starting a thread would cost more than it saves.
pub(crate) const AHEAD_MIN_SIZE: u64 = 1 << 20;

/// The caller's side: batches come in, spent ones go back to be refilled.
pub(crate) struct Ahead {
    batches: Receiver<ParsedAhead>,
    spent: Sender<ParsedBatch>,
    /// Joined only to pass on a panic.
    worker: Option<JoinHandle<()>>,
    current: ParsedAhead,
    /// Field names shared by the records built here.
    names: FieldsCache,
    records: u64,
    size: Option<u64>,
    errors: Vec<Error>,
    location: Option<String>,
}

impl Ahead {
    /// Starts the thread that reads `input` and parses with `state`; gives them back when no
    /// thread can be started, for the caller to decode on its own thread.
    pub(crate) fn start<R: Read + Send + 'static>(
        input: R,
        state: ReadState,
    ) -> std::result::Result<Ahead, Box<(R, ReadState)>> {
        let (hand_over, handed) = sync_channel::<(R, ReadState)>(1);
        let (send, batches) = sync_channel::<ParsedAhead>(WAITING);
        let (spent, refill) = channel::<ParsedBatch>();
        let spawned = std::thread::Builder::new()
            // At most 15 bytes: Linux cuts longer thread names.
            .name("iterable-ahead".into())
            .spawn(move || {
                let Ok((mut input, mut state)) = handed.recv() else {
                    return;
                };
                loop {
                    let batch = refill.try_recv().unwrap_or_default();
                    let parsed = state.parse_ahead(|buf| input.read(buf), batch);
                    let ended = parsed.ended;
                    // The caller is gone (the reader was dropped): stop.
                    if send.send(parsed).is_err() || ended {
                        return;
                    }
                }
            });
        let Ok(worker) = spawned else {
            return Err(Box::new((input, state)));
        };
        let current = ParsedAhead {
            batch: ParsedBatch::default(),
            ended: false,
            bytes_read: state.bytes_read(),
            skipped: state.skipped(),
            collected: Vec::new(),
            detection: state.detection(),
        };
        let size = state.size();
        let location = state.location().map(str::to_owned);
        if let Err(returned) = hand_over.send((input, state)) {
            return Err(Box::new(returned.0));
        }
        Ok(Ahead {
            batches,
            spent,
            worker: Some(worker),
            current,
            names: FieldsCache::default(),
            records: 0,
            size,
            errors: Vec::new(),
            location,
        })
    }

    /// The next record, or `None` at the end.
    pub(crate) fn read(&mut self) -> Result<Option<Record>> {
        loop {
            if let Some(next) = self.current.batch.next_record(&mut self.names) {
                self.records += u64::from(next.is_ok());
                return next.map(Some).map_err(|error| self.locate(error));
            }
            if self.current.ended {
                return Ok(None);
            }
            let Ok(mut next) = self.batches.recv() else {
                // The thread ended without its last batch: it panicked. So does the caller, as
                // it would have decoding on its own thread.
                self.current.ended = true;
                if let Some(Err(panic)) = self.worker.take().map(JoinHandle::join) {
                    std::panic::resume_unwind(panic);
                }
                let error = Error::new(ErrorKind::Io, "the thread reading ahead stopped early");
                return Err(self.locate(error));
            };
            self.errors.append(&mut next.collected);
            let spent = std::mem::replace(&mut self.current, next);
            // The thread may have ended already; then the batch is simply dropped.
            let _ = self.spent.send(spent.batch);
        }
    }

    fn locate(&self, error: Error) -> Error {
        iterable_formats::adapter::locate(&self.location, error)
    }

    pub(crate) fn detection(&self) -> Detection {
        self.current.detection
    }

    pub(crate) fn records_read(&self) -> u64 {
        self.records
    }

    pub(crate) fn size(&self) -> Option<u64> {
        self.size
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.current.bytes_read
    }

    pub(crate) fn skipped(&self) -> u64 {
        self.current.skipped
    }

    pub(crate) fn errors(&self) -> &[Error] {
        &self.errors
    }
}
