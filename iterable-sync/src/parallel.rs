//! Decoding blocks of the input on several threads, records returned in order.
//!
//! The caller's thread reads the input and cuts it at record boundaries
//! ([`BlockDecoder::block_end`]); each block is decoded on a thread of its own by a decoder
//! made for blocks ([`BlockDecoder::block_decoder`]); the outcomes come back in input order,
//! with positions shifted from the block's to the whole input's. An input that cannot be cut
//! safely (or a record longer than the limit) is decoded in order from there on, on the
//! caller's thread: the records and errors are the same either way.

use bytes::BytesMut;
use iterable_core::{
    BlockDecoder, DecodeBuffer, Error, ErrorKind, ErrorPolicy, Position, Record, Result, Step,
};
use iterable_formats::FormatDecoder;
use std::collections::VecDeque;
use std::io::Read;
use std::thread::JoinHandle;

/// Bytes per block handed to a thread: large enough that a thread's start is noise.
const BLOCK_SIZE: usize = 1 << 20;

/// Where a block starts in the whole input.
#[derive(Debug, Clone, Copy, Default)]
struct Start {
    byte: u64,
    /// Newlines before the block.
    newlines: u64,
}

struct Block {
    start: Start,
    decoding: JoinHandle<Vec<Result<Record>>>,
}

/// What the outcomes are currently taken from.
enum Current {
    Idle,
    Block(std::vec::IntoIter<Result<Record>>),
    /// The rest of the input, decoded in order on the caller's thread.
    Tail(DecodeBuffer<FormatDecoder>),
}

pub(crate) struct ParallelDecode {
    /// The decoder that read the preamble; it makes the block decoders.
    prototype: FormatDecoder,
    threads: usize,
    max_record_size: usize,
    policy: ErrorPolicy,
    /// Input read and not dispatched yet; it starts at a record boundary.
    pending: BytesMut,
    /// How many bytes to gather before looking for a block's end (doubles while none is found).
    wanted: usize,
    pending_start: Start,
    in_flight: VecDeque<Block>,
    current: Current,
    current_start: Start,
    /// Outcomes (records and errors) before the current block: its record numbers' base.
    current_records_base: u64,
    /// Outcomes so far.
    outcomes: u64,
    /// The rest of the input is to be decoded in order.
    tail_mode: bool,
    input_ended: bool,
    finished: bool,
    bytes_in: u64,
    skipped: u64,
    errors: Vec<Error>,
}

impl ParallelDecode {
    /// Takes over from in-order decoding, right after a record: `state`'s decoder has read the
    /// preamble and its buffer starts at a record boundary. `None` when the decoder cannot
    /// make block decoders.
    pub(crate) fn take_over(
        state: DecodeBuffer<FormatDecoder>,
        threads: usize,
        max_record_size: usize,
        policy: ErrorPolicy,
    ) -> std::result::Result<ParallelDecode, DecodeBuffer<FormatDecoder>> {
        if state.decoder().block_decoder().is_none() {
            return Err(state);
        }
        let (input_ended, bytes_in, skipped) =
            (state.input_ended(), state.bytes_in(), state.skipped());
        let (prototype, pending) = state.into_parts();
        let position = prototype.position();
        Ok(ParallelDecode {
            pending_start: Start {
                byte: position.byte.unwrap_or(0),
                newlines: position.line.unwrap_or(1).saturating_sub(1),
            },
            outcomes: position.record.unwrap_or(0),
            prototype,
            threads: threads.max(1),
            max_record_size,
            policy,
            pending,
            wanted: BLOCK_SIZE,
            in_flight: VecDeque::new(),
            current: Current::Idle,
            current_start: Start::default(),
            current_records_base: 0,
            tail_mode: false,
            input_ended,
            finished: false,
            bytes_in,
            skipped,
            errors: Vec::new(),
        })
    }

    /// The decoder that read the preamble.
    pub(crate) fn decoder(&self) -> &FormatDecoder {
        &self.prototype
    }

    pub(crate) fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    pub(crate) fn skipped(&self) -> u64 {
        self.skipped
    }

    pub(crate) fn take_errors(&mut self) -> Vec<Error> {
        std::mem::take(&mut self.errors)
    }

    /// The next record, applying the error policy.
    pub(crate) fn read(&mut self, input: &mut impl Read) -> Result<Option<Record>> {
        while !self.finished {
            let Some(outcome) = self.next_outcome(input)? else {
                continue;
            };
            self.outcomes += 1;
            match outcome {
                Ok(record) => return Ok(Some(record)),
                Err(error) => {
                    let error = self.shift(error);
                    if !error.is_recoverable() {
                        self.finished = true;
                        return Err(error);
                    }
                    match self.policy {
                        ErrorPolicy::Fail => return Err(error),
                        ErrorPolicy::Skip => self.skipped += 1,
                        ErrorPolicy::Collect => {
                            self.skipped += 1;
                            self.errors.push(error);
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    /// The next outcome of the current block or tail; `None` when it moved on to the next.
    fn next_outcome(&mut self, input: &mut impl Read) -> Result<Option<Result<Record>>> {
        match &mut self.current {
            Current::Block(outcomes) => {
                if let Some(outcome) = outcomes.next() {
                    return Ok(Some(outcome));
                }
            }
            Current::Tail(state) => {
                return match state.step() {
                    Ok(Step::Record(record)) => Ok(Some(Ok(record))),
                    Err(error) => Ok(Some(Err(error))),
                    Ok(Step::End) => {
                        self.finished = true;
                        Ok(None)
                    }
                    Ok(Step::NeedInput) => {
                        let n = match read_into(input, state.buffer_mut()) {
                            Ok(n) => n,
                            // Fatal, so reading ends once `read` has shifted and returned it.
                            Err(e) => return Ok(Some(Err(state.fail(Error::io(e))))),
                        };
                        self.bytes_in += n as u64;
                        if n == 0 {
                            state.end_input();
                        } else {
                            state.count_input(n);
                        }
                        Ok(None)
                    }
                };
            }
            Current::Idle => {}
        }
        self.start_next(input)?;
        Ok(None)
    }

    /// Moves on to the next block, or to the tail, or finishes.
    fn start_next(&mut self, input: &mut impl Read) -> Result<()> {
        self.dispatch(input)?;
        self.current_records_base = self.outcomes;
        if let Some(block) = self.in_flight.pop_front() {
            self.current_start = block.start;
            let outcomes = block.decoding.join().unwrap_or_else(|_| {
                vec![Err(Error::new(
                    ErrorKind::Parse,
                    "a decoding thread panicked",
                ))]
            });
            self.current = Current::Block(outcomes.into_iter());
        } else if self.tail_mode {
            let decoder = self.prototype.block_decoder().ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported,
                    "the decoder cannot continue from a record boundary",
                )
            })?;
            let mut state = DecodeBuffer::with_buffer(
                decoder,
                std::mem::take(&mut self.pending),
                ErrorPolicy::Fail,
            );
            if self.input_ended {
                state.end_input();
            }
            self.current_start = self.pending_start;
            self.current = Current::Tail(state);
        } else {
            self.finished = true;
        }
        Ok(())
    }

    /// Reads and hands out blocks until every thread has one or the input is all handed out.
    fn dispatch(&mut self, input: &mut impl Read) -> Result<()> {
        while self.in_flight.len() < self.threads && !self.tail_mode {
            let Some(end) = self.next_block_end(input)? else {
                return Ok(());
            };
            let block = self.pending.split_to(end);
            let start = self.pending_start;
            self.pending_start.byte += end as u64;
            self.pending_start.newlines += memchr::memchr_iter(b'\n', &block).count() as u64;
            let Some(decoder) = self.prototype.block_decoder() else {
                self.tail_mode = true;
                return Ok(());
            };
            let decoding = std::thread::Builder::new()
                .name("iterable-decode".into())
                .spawn(move || decode_block(decoder, block))
                .map_err(Error::io)?;
            self.in_flight.push_back(Block { start, decoding });
        }
        Ok(())
    }

    /// Reads until `pending` holds a block to hand out and returns its length; `None` when
    /// there is nothing more to hand out (the input is over, or the rest goes to the tail).
    fn next_block_end(&mut self, input: &mut impl Read) -> Result<Option<usize>> {
        loop {
            if self.input_ended {
                return Ok((!self.pending.is_empty()).then_some(self.pending.len()));
            }
            if self.pending.len() >= self.wanted {
                match self.prototype.block_end(&self.pending) {
                    Some(0)
                        if self.pending.len()
                            <= self.max_record_size.saturating_add(BLOCK_SIZE) =>
                    {
                        self.wanted = self.pending.len() * 2;
                    }
                    Some(end) if end > 0 => {
                        self.wanted = BLOCK_SIZE;
                        return Ok(Some(end));
                    }
                    // Not splittable, or a record longer than the limit: decode in order.
                    _ => {
                        self.tail_mode = true;
                        return Ok(None);
                    }
                }
            }
            let n = read_into(input, &mut self.pending).map_err(|e| {
                self.finished = true;
                Error::io(e).at(Position {
                    byte: Some(self.bytes_in),
                    ..Position::default()
                })
            })?;
            self.bytes_in += n as u64;
            self.input_ended = n == 0;
        }
    }

    /// Moves an error's position from its block's to the whole input's.
    fn shift(&self, error: Error) -> Error {
        let p = error.position();
        let start = self.current_start;
        let base = self.current_records_base;
        error.at(Position {
            byte: p.byte.map(|b| b + start.byte),
            line: p.line.map(|l| l + start.newlines),
            record: p.record.map(|r| r + base),
        })
    }
}

/// Every outcome of one block, which ends at a record boundary or at the end of the input.
fn decode_block(decoder: FormatDecoder, block: BytesMut) -> Vec<Result<Record>> {
    let mut state = DecodeBuffer::with_buffer(decoder, block, ErrorPolicy::Fail);
    state.end_input();
    let mut outcomes = Vec::new();
    loop {
        match state.step() {
            Ok(Step::Record(record)) => outcomes.push(Ok(record)),
            Ok(Step::End | Step::NeedInput) => return outcomes,
            Err(error) => {
                let fatal = !error.is_recoverable();
                outcomes.push(Err(error));
                if fatal {
                    return outcomes;
                }
            }
        }
    }
}

/// Reads once into the spare end of `buf`; returns the bytes read (0 at the end).
pub(crate) fn read_into(input: &mut impl Read, buf: &mut BytesMut) -> std::io::Result<usize> {
    const READ_SIZE: usize = 128 * 1024;
    let start = buf.len();
    buf.resize(start + READ_SIZE, 0);
    let read = loop {
        match input.read(&mut buf[start..]) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    buf.truncate(start + *read.as_ref().unwrap_or(&0));
    read
}
