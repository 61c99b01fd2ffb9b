//! A reader from `open` reads ahead on a second thread for inputs of 1 MiB or more, in every
//! adapter (sync, tokio, smol, async-std). What it returns (records, errors with their
//! positions, counts, the sniffed delimiter) is what the same input gives when decoded on the
//! calling thread (`from_reader`). Everything that counts this process's read-ahead threads is
//! in one test function, so that no other test's reader disturbs the count.

mod common;

use common::tokio_runtime;

use iterable_core::{ErrorPolicy, Value};
use iterable_formats::{Format, ReadOptions};
use iterable_sync::Reader;
use iterable_tests::Outcome;
use std::io::Read;
use std::time::{Duration, Instant};

/// Rows of `;`-separated text with quoted line breaks, CRLF, blank lines, non-ASCII text,
/// rows with too few or too many fields, and rows that are not UTF-8.
fn csv_input() -> Vec<u8> {
    let mut out = b"id;name;note\r\n".to_vec();
    for i in 0..40_000u32 {
        let row = match i % 97 {
            0 => format!("{i};\"two\nlines\";x\r\n"),
            13 => format!("{i};short\r\n"),
            29 => format!("{i};a;b;extra;fields\r\n"),
            41 => "\r\n".to_owned(),
            _ => format!("{i};Zoë {i};\"said \"\"hi\"\"; twice\"\r\n"),
        };
        out.extend_from_slice(row.as_bytes());
        if i % 1009 == 500 {
            out.extend_from_slice(b"9;\xff\xfe;bad\r\n");
        }
    }
    out
}

/// Lines of objects whose keys change now and then, nested values, big integers, escapes,
/// blank lines, lines that are not JSON or not objects, and lines over the size limit.
fn jsonl_input() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..30_000u32 {
        let line = match i % 89 {
            0 => format!("{{\"id\":{i},\"big\":18446744073709551616,\"t\":\"\\u00e9\\n\"}}\n"),
            7 => "\n".to_owned(),
            17 => "{\"id\": oops}\n".to_owned(),
            23 => "[1,2,3]\n".to_owned(),
            31 => format!("{{\"id\":{i},\"pad\":\"{}\"}}\n", "x".repeat(5000)),
            _ if i % 1000 < 500 => format!(
                "{{\"id\":{i},\"name\":\"n{i}\",\"tags\":[\"a\",{{\"k\":{i}}}],\"o\":{{\"x\":1.5,\"y\":null}}}}\n"
            ),
            _ => format!("{{\"name\":\"n{i}\",\"id\":{i},\"ok\":true}}\n"),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// Everything a reader returned, in order, and its counts at the end.
#[derive(Debug)]
struct Everything {
    outcomes: Vec<Outcome>,
    records_read: u64,
    skipped: u64,
    collected: Vec<Outcome>,
    bytes_read: u64,
    delimiter: Option<String>,
}

fn read_all<R: Read>(mut reader: Reader<R>) -> Everything {
    let mut outcomes = Vec::new();
    loop {
        match reader.read() {
            Ok(Some(record)) => outcomes.push(Outcome::Record(record)),
            Ok(None) => break,
            Err(e) => {
                let fatal = !e.is_recoverable();
                outcomes.push(Outcome::from_error(&e));
                if fatal {
                    break;
                }
            }
        }
    }
    Everything {
        outcomes,
        records_read: reader.stats().records_read,
        skipped: reader.stats().skipped,
        collected: reader.errors().iter().map(Outcome::from_error).collect(),
        bytes_read: reader.stats().bytes_read,
        delimiter: reader
            .detection()
            .options
            .get("delimiter")
            .map(str::to_owned),
    }
}

/// [`read_all`] for the async reader, the same type in iterable-tokio and iterable-smol.
async fn read_all_async(mut reader: iterable_tokio::Reader) -> Everything {
    let mut outcomes = Vec::new();
    loop {
        match reader.read().await {
            Ok(Some(record)) => outcomes.push(Outcome::Record(record)),
            Ok(None) => break,
            Err(e) => {
                let fatal = !e.is_recoverable();
                outcomes.push(Outcome::from_error(&e));
                if fatal {
                    break;
                }
            }
        }
    }
    Everything {
        outcomes,
        records_read: reader.stats().records_read,
        skipped: reader.stats().skipped,
        collected: reader.errors().iter().map(Outcome::from_error).collect(),
        bytes_read: reader.stats().bytes_read,
        delimiter: reader
            .detection()
            .options
            .get("delimiter")
            .map(str::to_owned),
    }
}

/// `ahead == here`, or a panic naming the first difference (not megabytes of records).
fn assert_same(ahead: &Everything, here: &Everything, what: &str) {
    let first = ahead
        .outcomes
        .iter()
        .zip(&here.outcomes)
        .position(|(a, h)| a != h);
    if let Some(i) = first {
        panic!(
            "{what}: outcome {i} differs:\n ahead {:?}\n here  {:?}",
            ahead.outcomes[i], here.outcomes[i]
        );
    }
    assert_eq!(ahead.outcomes.len(), here.outcomes.len(), "{what}");
    assert_eq!(ahead.collected, here.collected, "{what}");
    assert_eq!(
        (
            ahead.records_read,
            ahead.skipped,
            ahead.bytes_read,
            &ahead.delimiter
        ),
        (
            here.records_read,
            here.skipped,
            here.bytes_read,
            &here.delimiter
        ),
        "{what}"
    );
}

/// This process's threads that read ahead.
fn read_ahead_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "iterable-ahead")
        .count()
}

/// Waits until this process has `n` threads reading ahead (a new thread names itself once it
/// runs).
fn wait_for_read_ahead_threads(n: usize) {
    let start = Instant::now();
    while read_ahead_threads() != n {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{} threads read ahead, not {n}",
            read_ahead_threads()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

enum Adapter {
    Tokio,
    Smol,
}

/// Reads `path` through an async adapter's `open_with`, checking that it reads ahead.
async fn read_ahead_async(adapter: Adapter, path: &str, options: &ReadOptions) -> Everything {
    let reader = match adapter {
        Adapter::Tokio => iterable_tokio::open_with(path, options).await,
        Adapter::Smol => iterable_smol::open_with(path, options).await,
    };
    wait_for_read_ahead_threads(1);
    let everything = read_all_async(reader.unwrap()).await;
    wait_for_read_ahead_threads(0);
    everything
}

#[test]
fn reading_ahead_returns_what_reading_here_returns() {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("one core: readers never read ahead here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // No extension: the format and the delimiter are found from the content.
        ("rows", csv_input(), Format::CSV),
        ("rows.jsonl", jsonl_input(), Format::JSONL),
    ];
    for (name, input, format) in cases {
        assert!(
            input.len() > 1 << 20,
            "{name} must be large enough to read ahead"
        );
        let path = dir.path().join(name);
        std::fs::write(&path, &input).unwrap();
        let path = path.to_str().unwrap();
        for policy in [ErrorPolicy::Fail, ErrorPolicy::Skip, ErrorPolicy::Collect] {
            for ragged in ["error", "lenient"] {
                let mut options = ReadOptions {
                    max_record_size: 4096,
                    error_policy: policy,
                    ..ReadOptions::default()
                };
                if format == Format::CSV {
                    options.options.set("ragged", ragged);
                } else if ragged == "lenient" {
                    continue; // JSON Lines has no such option
                }
                let ahead = iterable_sync::open_with(path, &options).unwrap();
                wait_for_read_ahead_threads(1);
                let ahead = read_all(ahead);
                wait_for_read_ahead_threads(0);
                let asynchronous = [
                    (
                        "tokio",
                        tokio_runtime().block_on(read_ahead_async(Adapter::Tokio, path, &options)),
                    ),
                    (
                        "smol",
                        smol::block_on(read_ahead_async(Adapter::Smol, path, &options)),
                    ),
                    (
                        "async-std",
                        async_std::task::block_on(read_ahead_async(Adapter::Smol, path, &options)),
                    ),
                ];

                let here_options = ReadOptions {
                    format: Some(format),
                    ..options.clone()
                };
                let file = std::fs::File::open(path).unwrap();
                let here = read_all(iterable_sync::from_reader(file, &here_options).unwrap());

                let what = format!("{name} under {policy:?}, {ragged:?}");
                let records = here.outcomes.iter().filter_map(Outcome::record).count();
                assert!(records > 20_000, "{what}: only {records} records");
                if policy == ErrorPolicy::Fail {
                    let errors = here.outcomes.len() - records;
                    assert!(errors > 30, "{what}: only {errors} errors");
                }
                assert_eq!(ahead.bytes_read, input.len() as u64, "{what}");
                assert_same(&ahead, &here, &what);
                for (adapter, everything) in asynchronous {
                    assert_same(&everything, &here, &format!("{what}, {adapter}"));
                }
            }
        }
    }

    // The errors of a reader that reads ahead name the file.
    let path = dir.path().join("rows.jsonl");
    let path = path.to_str().unwrap();
    let error = iterable_sync::open(path)
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(error.to_string().contains(path), "{error}");
    assert_eq!(error.position().line, Some(18), "{error}");

    // A reader dropped half-way stops its thread, which may be waiting to hand over a batch.
    // Records built from batches share their field names, as records decoded here do.
    let mut reader = iterable_sync::open(path).unwrap();
    let first = reader.next().unwrap().unwrap();
    assert_eq!(first.get("id"), Some(&Value::Int(0)));
    let (second, third) = (
        reader.next().unwrap().unwrap(),
        reader.next().unwrap().unwrap(),
    );
    assert!(second.fields().ptr_eq(third.fields()));
    let nested = |r: &iterable_core::Record| match r.get("o") {
        Some(Value::Object(o)) => o.fields().clone(),
        other => panic!("{other:?}"),
    };
    assert!(nested(&second).ptr_eq(&nested(&third)));
    wait_for_read_ahead_threads(1);
    drop(reader);
    wait_for_read_ahead_threads(0);
    // The async reader's thread stops too.
    tokio_runtime().block_on(async {
        let mut reader = iterable_tokio::open(path).await.unwrap();
        assert!(reader.read().await.unwrap().is_some());
        wait_for_read_ahead_threads(1);
        drop(reader);
        wait_for_read_ahead_threads(0);
    });

    // Small files are decoded on the calling thread.
    let small = dir.path().join("small.jsonl");
    std::fs::write(&small, "{\"a\":1}\n").unwrap();
    let reader = iterable_sync::open(small.to_str().unwrap()).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(read_ahead_threads(), 0);
    assert_eq!(reader.count(), 1);
}

#[test]
fn a_batch_is_handed_over_before_a_read_that_may_block() {
    use iterable_core::{DecodeDriver, FieldsCache, ParsedBatch};
    use iterable_formats::jsonl::JsonLinesDecoder;
    let mut state = DecodeDriver::new(JsonLinesDecoder::new(1 << 20), ErrorPolicy::Fail);
    let mut reads = 0;
    let mut read = |buf: &mut [u8]| {
        reads += 1;
        assert_eq!(reads, 1, "a second read before the batch was handed over");
        let lines = b"{\"a\":1}\n{\"a\":2}\n{\"a\":";
        buf[..lines.len()].copy_from_slice(lines);
        Ok(lines.len())
    };
    let mut batch = ParsedBatch::default();
    let ended = state.read_into(&mut read, &mut batch, 512, 1 << 20);
    assert!(!ended);
    let mut names = FieldsCache::default();
    let values: Vec<Value> = std::iter::from_fn(|| batch.next_record(&mut names))
        .map(|record| record.unwrap().get("a").cloned().unwrap())
        .collect();
    assert_eq!(values, [Value::Int(1), Value::Int(2)]);
}
