//! Helpers shared by the integration tests under `tests/tests` and the benchmarks under
//! `tests/benches`.

// The README's examples compile and run as doc tests here.
#[doc = include_str!("../../README.md")]
mod readme {}

use bytes::Bytes;
use iterable_core::{DecodeBuffer, Decoder, ErrorKind, ErrorPolicy, Position, Record, Step};

/// One thing a decoder produced: a record, or an error reduced to what must not depend on
/// how the input was cut.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A record.
    Record(Record),
    /// An error.
    Error {
        /// Its kind.
        kind: ErrorKind,
        /// Its position.
        position: Position,
        /// Its message.
        message: String,
        /// Whether decoding went on after it.
        recoverable: bool,
    },
}

impl Outcome {
    /// The record, if this is one.
    pub fn record(&self) -> Option<&Record> {
        match self {
            Outcome::Record(r) => Some(r),
            Outcome::Error { .. } => None,
        }
    }
}

/// Feeds `input` to `decoder` cut at `cuts` (offsets, in any order, out-of-range ones
/// ignored) and returns everything it produced, going on after recoverable errors.
pub fn decode_in_chunks<D: Decoder>(decoder: D, input: &[u8], cuts: &[usize]) -> Vec<Outcome> {
    let mut cuts: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < input.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.push(input.len());
    let mut chunks = Vec::with_capacity(cuts.len());
    let mut start = 0;
    for cut in cuts {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    let mut state = DecodeBuffer::new(decoder, ErrorPolicy::Fail);
    let mut chunks = chunks.into_iter();
    let mut out = Vec::new();
    loop {
        match state.step() {
            Ok(Step::Record(r)) => out.push(Outcome::Record(r)),
            Ok(Step::NeedInput) => match chunks.next() {
                Some(chunk) => state.push(chunk),
                None => state.end_input(),
            },
            Ok(Step::End) => return out,
            Err(e) => {
                out.push(Outcome::Error {
                    kind: e.kind(),
                    position: e.position(),
                    message: e.message().to_owned(),
                    recoverable: e.is_recoverable(),
                });
                if !e.is_recoverable() {
                    return out;
                }
            }
        }
    }
}

/// `input` cut every `size` bytes, as owned chunks for a byte stream.
pub fn chunks_of(input: &[u8], size: usize) -> Vec<Bytes> {
    input
        .chunks(size.max(1))
        .map(Bytes::copy_from_slice)
        .collect()
}
