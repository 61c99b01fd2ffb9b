//! What every fuzz target checks of its format's decoder: no panic on any input, and the same
//! records and errors whether the input comes whole or cut into pieces (where the cuts fall
//! is taken from the input itself), built or parsed into batches; for a format read by
//! ranges, whatever the rows decoded at a time.

use iterable_core::{
    DecodeDriver, Error, ErrorPolicy, FieldsCache, ParsedBatch, RangeStep, Record, Step,
};
use iterable_formats::{Format, FormatOptions};

/// The records compared at most: a tiny input may claim a billion rows (an Arrow batch of
/// nulls needs no bytes for them), which a reader streams but a comparison would hold.
const MOST: usize = 20_000;

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
    unwind_panics_of_the_crates_below();
    // Compared as text: a NaN (YAML's `.nan`) is not equal to itself, but prints the same.
    let text = |outcomes: Vec<Outcome>| format!("{outcomes:?}");
    let whole = text(built(format, data, usize::MAX));
    let step = usize::from(data.first().copied().unwrap_or(7) % 13) + 1;
    assert_eq!(
        text(built(format, data, step)),
        whole,
        "cut every {step} bytes"
    );
    assert_eq!(
        text(parsed(format, data, step)),
        whole,
        "parsed, cut every {step} bytes"
    );
}

fn driver(format: Format) -> DecodeDriver<Box<dyn iterable_core::Decoder + Send>> {
    let decoder = format
        .decoder(&FormatOptions::default(), 1 << 16)
        .expect("default options");
    DecodeDriver::new(decoder, ErrorPolicy::Fail)
}

/// The outcomes of decoding `data` pushed `step` bytes at a time.
fn built(format: Format, data: &[u8], step: usize) -> Vec<Outcome> {
    let mut driver = driver(format);
    let mut chunks = data.chunks(step);
    let mut out = Vec::new();
    loop {
        match driver.step() {
            Ok(Step::Record(_)) if out.len() >= MOST => return out,
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
    let (mut batch, mut names, mut out) =
        (ParsedBatch::default(), FieldsCache::default(), Vec::new());
    loop {
        let ended = driver.read_into(&mut read, &mut batch, 3, usize::MAX);
        while let Some(next) = batch.next_record(&mut names) {
            match next {
                Ok(_) if out.len() >= MOST => return out,
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

/// Decodes `data` in `format`, a format read by ranges, serving every range it asks for, with
/// the rows at a time taken from the input, and panics if that changes what comes out: the
/// same records, or, where one ends in an error, both do, and the records before it agree (a
/// batch that fails gives none of its rows, so a larger batch may give fewer).
pub fn decode_ranges(format: Format, data: &[u8]) {
    decode_ranges_beside(format, data, None);
}

/// [`decode_ranges`], with a file beside the input (`companion`: its extension and bytes, a
/// DBF table's memo file) given to the decoder first.
pub fn decode_ranges_beside(format: Format, data: &[u8], companion: Option<(&str, &[u8])>) {
    unwind_panics_of_the_crates_below();
    let whole = by_ranges(format, data, 8192, companion);
    let batch = usize::from(data.last().copied().unwrap_or(0) % 7) + 1;
    let small = by_ranges(format, data, batch, companion);
    let failed = |o: &[Outcome]| matches!(o.last(), Some(Outcome::Error(..)));
    if !failed(&whole) && !failed(&small) {
        assert_eq!(small, whole, "{batch} rows at a time");
        return;
    }
    assert!(
        failed(&whole) && failed(&small),
        "{batch} rows at a time: {small:?} {whole:?}"
    );
    let (a, b) = (&small[..small.len() - 1], &whole[..whole.len() - 1]);
    let n = a.len().min(b.len());
    assert_eq!(a[..n], b[..n], "{batch} rows at a time");
}

/// The outcomes of decoding `data` by ranges, `batch` rows at a time.
fn by_ranges(
    format: Format,
    data: &[u8],
    batch: usize,
    companion: Option<(&str, &[u8])>,
) -> Vec<Outcome> {
    let mut options = FormatOptions::default();
    if format.read_options().iter().any(|o| o.key == "batch_size") {
        options.set("batch_size", batch.to_string());
    }
    let mut decoder = match format.ranged_decoder(&options, data.len() as u64) {
        Ok(decoder) => decoder,
        Err(error) => return vec![outcome(&error)],
    };
    if let Some((extension, bytes)) = companion
        && let Err(error) = decoder.push_companion(extension, bytes.to_vec().into())
    {
        return vec![outcome(&error)];
    }
    let mut out = Vec::new();
    let mut ready = std::collections::VecDeque::new();
    loop {
        // Record by record when whole, else up to `batch` records at a step.
        let step = match batch {
            8192 => decoder.step().map(Some),
            _ => decoder.step_into(&mut ready, batch),
        };
        out.extend(ready.drain(..).map(Outcome::Record));
        if out.len() >= MOST {
            out.truncate(MOST);
            return out;
        }
        match step {
            Ok(None) => {}
            Ok(Some(RangeStep::Record(record))) => out.push(Outcome::Record(record)),
            Ok(Some(RangeStep::End)) => return out,
            Ok(Some(RangeStep::Need(ranges))) => {
                // What a reader does: a range beyond the input ends it.
                if ranges
                    .iter()
                    .any(|r| r.start > r.end || r.end > data.len() as u64)
                {
                    return out;
                }
                let pieces = ranges
                    .iter()
                    .map(|r| bytes::Bytes::copy_from_slice(&data[r.start as usize..r.end as usize]))
                    .collect();
                if let Err(error) = decoder.push(ranges, pieces) {
                    out.push(outcome(&error));
                    return out;
                }
            }
            Err(error) => {
                out.push(outcome(&error));
                return out;
            }
        }
    }
}

/// The parquet crate (and arrow-rs under it, orc-rust, calamine) panics on some malformed
/// input (a data page header that is not there, levels past the end of a buffer, an overflow),
/// which the decoders turn into errors: a panic in a crate of the registry is let unwind to
/// them, and any other panic (in iterable's code, or the target's checks) aborts, as
/// libFuzzer's hook has every panic do. A panic that the standard library reports (an
/// arithmetic overflow is located in `core`) belongs to the first frame of its backtrace
/// outside the standard library.
fn unwind_panics_of_the_crates_below() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_owned()).unwrap_or_default();
            let in_the_crate = match file.starts_with("/rustc/") {
                false => file.contains("/registry/src/"),
                true => std::backtrace::Backtrace::force_capture()
                    .to_string()
                    .lines()
                    .filter_map(|line| line.trim().strip_prefix("at "))
                    // Past the standard library's frames, and this hook's own.
                    .find(|at| {
                        !at.starts_with("/rustc/")
                            && !at.contains(concat!(env!("CARGO_MANIFEST_DIR"), "/", file!()))
                    })
                    .is_some_and(|at| at.contains("/registry/src/")),
            };
            if !in_the_crate {
                abort(info);
            }
        }));
    });
}
