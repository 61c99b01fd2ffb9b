//! What every fuzz target checks of its format's decoder: no panic on any input, and the same
//! records and errors whether the input comes whole or cut into pieces (where the cuts fall
//! is taken from the input itself), built or parsed into batches.

use iterable_core::{DecodeDriver, Error, ErrorPolicy, FieldsCache, ParsedBatch, Record, Step};
use iterable_formats::{Format, FormatOptions};

/// A record, or an error reduced to what must not depend on the cuts.
#[derive(Debug, PartialEq)]
enum Outcome {
    Record(Record),
    Error(String, iterable_core::Position),
}

fn outcome(error: &Error) -> Outcome {
    Outcome::Error(error.message().to_owned(), error.position())
}

/// Decodes `data` in `format` whole and cut, and panics if the two differ.
pub fn decode(format: Format, data: &[u8]) {
    let whole = built(format, data, usize::MAX);
    let step = usize::from(data.first().copied().unwrap_or(7) % 13) + 1;
    assert_eq!(built(format, data, step), whole, "cut every {step} bytes");
    assert_eq!(parsed(format, data, step), whole, "parsed, cut every {step} bytes");
}

fn driver(format: Format) -> DecodeDriver<Box<dyn iterable_core::Decoder + Send>> {
    let decoder = format.decoder(&FormatOptions::default(), 1 << 16).expect("default options");
    DecodeDriver::new(decoder, ErrorPolicy::Fail)
}

/// The outcomes of decoding `data` pushed `step` bytes at a time.
fn built(format: Format, data: &[u8], step: usize) -> Vec<Outcome> {
    let mut driver = driver(format);
    let mut chunks = data.chunks(step);
    let mut out = Vec::new();
    loop {
        match driver.step() {
            Ok(Step::Record(record)) => out.push(Outcome::Record(record)),
            Ok(Step::NeedInput) => match chunks.next() {
                Some(chunk) => driver.push(chunk),
                None => driver.end_input(),
            },
            Ok(Step::End) => return out,
            Err(error) => {
                out.push(outcome(&error));
                if !error.is_recoverable() {
                    return out;
                }
            }
        }
    }
}

/// [`built`], parsed into batches and built from them, as a reader that reads ahead does.
fn parsed(format: Format, data: &[u8], step: usize) -> Vec<Outcome> {
    let mut driver = driver(format);
    let mut chunks = data.chunks(step);
    let mut piece: &[u8] = &[];
    let mut read = |buf: &mut [u8]| {
        if piece.is_empty() {
            piece = chunks.next().unwrap_or_default();
        }
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        piece = &piece[n..];
        Ok(n)
    };
    let (mut batch, mut names, mut out) = (ParsedBatch::default(), FieldsCache::default(), Vec::new());
    loop {
        let ended = driver.read_into(&mut read, &mut batch, 3, usize::MAX);
        while let Some(next) = batch.next_record(&mut names) {
            match next {
                Ok(record) => out.push(Outcome::Record(record)),
                Err(error) => {
                    out.push(outcome(&error));
                    if !error.is_recoverable() {
                        return out;
                    }
                }
            }
        }
        batch.clear();
        if ended {
            return out;
        }
    }
}
