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
    current: ParsedAhead,
    /// Field names shared by the records built here.
    names: FieldsCache,
    records: u64,
    size: Option<u64>,
    errors: Vec<Error>,
    location: Option<String>,
}

impl Ahead {
    /// Starts the thread that reads `input` and parses with `state`.
    pub(crate) fn start<R: Read + Send + 'static>(
        mut input: R,
        mut state: ReadState,
    ) -> Result<Ahead> {
        let location = state.location().map(str::to_owned);
        let (send, batches) = sync_channel::<ParsedAhead>(WAITING);
        let (spent, refill) = channel::<ParsedBatch>();
        let current = ParsedAhead {
            batch: ParsedBatch::default(),
            ended: false,
            bytes_read: state.bytes_read(),
            skipped: state.skipped(),
            collected: Vec::new(),
            detection: state.detection(),
        };
        let size = state.size();
        std::thread::Builder::new()
            .name("iterable-read-ahead".into())
            .spawn(move || {
                loop {
                    let batch = refill.try_recv().unwrap_or_default();
                    let parsed = state.parse_ahead(|buf| input.read(buf), batch);
                    let ended = parsed.ended;
                    // The caller is gone (the reader was dropped): stop.
                    if send.send(parsed).is_err() || ended {
                        return;
                    }
                }
            })
            .map_err(|e| {
                let error = Error::io(e);
                match &location {
                    Some(l) => error.with_location(l.clone()),
                    None => error,
                }
            })?;
        Ok(Ahead {
            batches,
            spent,
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
                return next.map(Some);
            }
            if self.current.ended {
                return Ok(None);
            }
            let Ok(mut next) = self.batches.recv() else {
                self.current.ended = true;
                let error = Error::new(
                    ErrorKind::Io,
                    "the thread reading ahead stopped before the end of the input",
                );
                return Err(match &self.location {
                    Some(l) => error.with_location(l.clone()),
                    None => error,
                });
            };
            self.errors.append(&mut next.collected);
            let spent = std::mem::replace(&mut self.current, next);
            // The thread may have ended already; then the batch is simply dropped.
            let _ = self.spent.send(spent.batch);
        }
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
