//! A JSON array of 1,000,000 objects (the throughput bench's rows), read three ways, side by
//! side in one run, each in a process of its own so that its peak memory is its own:
//! iterable's reader (records streamed one element at a time), `serde_json::from_slice` of
//! the whole document into a `Vec<Value>`, and Python's `json.load` then a loop over the list
//! (what a Python program does without a streaming parser). Then a 1.2 GB array, read by
//! iterable alone, to show its memory stays flat.
//!
//! `cargo bench -p iterable-tests --bench json_array` (also in `bench/run.sh`);
//! `ITERABLE_BENCH_ROWS` sets the rows (default 1,000,000).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use iterable_tests::{BenchReader, fastest};

/// Each reader runs this many times, in turn; the fastest run counts.
const RUNS: usize = 3;

fn main() {
    if let Ok(child) = std::env::var("ITERABLE_BENCH_CHILD") {
        let path = std::env::var("ITERABLE_BENCH_FILE").unwrap();
        return run_child(&child, Path::new(&path));
    }
    let rows = iterable_tests::bench_rows();
    let (_, jsonl) = iterable_tests::bench_files();
    let array = as_array(&jsonl, 1);
    let big = as_array(&jsonl, 5);
    let mb = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    println!(
        "A JSON array of {rows} objects ({:.0} MB); best of {RUNS}, each reader in a process of its own\n",
        mb(&array)
    );
    println!("| reader | seconds | records/s | peak RSS | iterable is |");
    println!("|---|---:|---:|---:|---:|");
    let mut results = Vec::new();
    for reader in ["iterable", "serde_json"] {
        results.push((reader, fastest(RUNS, &array, BenchReader::Child(reader))));
    }
    if let Some(python) = python() {
        results.push(("python", best_python(&python, &array)));
    } else {
        println!("(no python3: no Python row)");
    }
    let ours = results[0].1.0;
    for (reader, (secs, records, rss)) in &results {
        let name = match *reader {
            "iterable" => "iterable-sync reader (streamed, one element at a time)",
            "serde_json" => "`serde_json::from_slice` into `Vec<Value>`, then a loop",
            _ => "Python `json.load`, then a loop over the list",
        };
        println!(
            "| {name} | {secs:.2} | {:.2}M | {:.0} MiB | {:.1}x |",
            *records as f64 / secs / 1e6,
            *rss as f64 / 1024.0,
            secs / ours
        );
    }
    let (secs, records, rss) = fastest(RUNS, &big, BenchReader::Child("iterable"));
    println!(
        "\nA {:.2} GB array of {records} objects, iterable-sync reader: {secs:.2} s, peak RSS {:.0} MiB",
        mb(&big) / 1000.0,
        rss as f64 / 1024.0
    );
}

/// `jsonl`'s lines, `copies` times over, as one JSON array, in `target/bench-data`.
fn as_array(jsonl: &Path, copies: usize) -> PathBuf {
    let path = jsonl.with_extension(format!("x{copies}.json"));
    if path.exists() {
        return path;
    }
    let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
    out.write_all(b"[\n").unwrap();
    let mut first = true;
    for _ in 0..copies {
        for line in BufReader::new(std::fs::File::open(jsonl).unwrap()).lines() {
            if !first {
                out.write_all(b",\n").unwrap();
            }
            first = false;
            out.write_all(line.unwrap().as_bytes()).unwrap();
        }
    }
    out.write_all(b"\n]\n").unwrap();
    out.flush().unwrap();
    path
}

/// A child's run: prints seconds, records and its peak RSS (KiB).
fn run_child(reader: &str, path: &Path) {
    let start = Instant::now();
    let records = match reader {
        "iterable" => {
            let mut n = 0;
            for record in iterable_sync::open(path.to_str().unwrap()).unwrap() {
                std::hint::black_box(record.unwrap());
                n += 1;
            }
            n
        }
        _ => {
            let bytes = std::fs::read(path).unwrap();
            let values: Vec<serde_json::Value> = serde_json::from_slice(&bytes).unwrap();
            drop(bytes);
            let mut n = 0;
            for value in values {
                std::hint::black_box(value);
                n += 1;
            }
            n
        }
    };
    iterable_tests::report(start, records);
}

fn python() -> Option<String> {
    let python = std::env::var("ITERABLE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    Command::new(&python)
        .arg("-c")
        .arg("import json")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| python)
}

fn best_python(python: &str, path: &Path) -> (f64, usize, u64) {
    const SCRIPT: &str = "
import json, resource, sys, time
start = time.perf_counter()
with open(sys.argv[1]) as f:
    rows = json.load(f)
n = 0
for row in rows:
    n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";
    fastest(RUNS, path, BenchReader::Python(python, SCRIPT))
}
