//! Reading throughput, side by side in one run: iterable's sync reader against hand-written
//! loops over the `csv` crate and `serde_json`, and against the Python library iterabledata.
//!
//! Run through `bench/run.sh` (which installs iterabledata into a venv under `target/`), or
//! `cargo bench -p iterable-tests --bench throughput` for the Rust rows alone.
//! `ITERABLE_BENCH_ROWS` sets the row count (default 1,000,000); `ITERABLE_BENCH_PYTHON`
//! names a Python that has iterabledata.

use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Each loop runs this many times, in rounds; the fastest run counts.
const RUNS: usize = 9;

fn main() {
    let rows = iterable_tests::bench_rows();
    let (csv, jsonl) = iterable_tests::bench_files();
    let csv_mb = std::fs::metadata(&csv).unwrap().len() as f64 / 1e6;
    let jsonl_mb = std::fs::metadata(&jsonl).unwrap().len() as f64 / 1e6;
    println!(
        "{rows} rows: {} ({csv_mb:.0} MB), {} ({jsonl_mb:.0} MB); best of {RUNS} runs\n",
        csv.display(),
        jsonl.display()
    );

    // Every loop runs once per round, in turn, so that the machine's drift (page cache, other
    // load) touches them all alike; the fastest of each loop's runs counts.
    type Loop<'a> = (&'static str, &'static str, f64, Box<dyn Fn() -> usize + 'a>);
    let loops: Vec<Loop> = vec![
        (
            "CSV",
            "iterable-sync reader",
            csv_mb,
            Box::new(|| count_ours(&csv)),
        ),
        (
            "CSV",
            "iterable-sync reader, decoding on the calling thread (from_reader)",
            csv_mb,
            Box::new(|| count_here(&csv, "csv")),
        ),
        (
            "CSV",
            "iterable-tokio reader, current-thread runtime",
            csv_mb,
            Box::new(|| count_tokio(&csv)),
        ),
        (
            "CSV",
            "iterable-smol reader",
            csv_mb,
            Box::new(|| count_smol(&csv)),
        ),
        (
            "CSV",
            "csv crate, Vec<(Arc<str>, String)> per row",
            csv_mb,
            Box::new(|| count_csv_crate(&csv)),
        ),
        (
            "JSONL",
            "iterable-sync reader",
            jsonl_mb,
            Box::new(|| count_ours(&jsonl)),
        ),
        (
            "JSONL",
            "iterable-sync reader, decoding on the calling thread (from_reader)",
            jsonl_mb,
            Box::new(|| count_here(&jsonl, "jsonl")),
        ),
        (
            "JSONL",
            "iterable-tokio reader, current-thread runtime",
            jsonl_mb,
            Box::new(|| count_tokio(&jsonl)),
        ),
        (
            "JSONL",
            "iterable-smol reader",
            jsonl_mb,
            Box::new(|| count_smol(&jsonl)),
        ),
        (
            "JSONL",
            "serde_json::Value per line",
            jsonl_mb,
            Box::new(|| count_serde_json(&jsonl)),
        ),
    ];
    let mut fastest: Vec<Option<Run>> = vec![None; loops.len()];
    for _ in 0..RUNS {
        for (i, (_, _, _, run)) in loops.iter().enumerate() {
            let start = Instant::now();
            let records = run();
            let this = Run {
                records,
                time: start.elapsed(),
            };
            if fastest[i].is_none_or(|best| this.time < best.time) {
                fastest[i] = Some(this);
            }
        }
    }
    let mut table = Table::default();
    for ((format, name, mb, _), run) in loops.iter().zip(&fastest) {
        table.row(format, name, *mb, run.expect("ran"));
    }
    let run_of = |format: &str, name: &str| {
        let i = loops
            .iter()
            .position(|(f, n, _, _)| *f == format && *n == name)
            .expect("a loop");
        fastest[i].expect("ran")
    };
    let ours_csv = run_of("CSV", "iterable-sync reader");
    let ours_jsonl = run_of("JSONL", "iterable-sync reader");
    let tokio_csv = run_of("CSV", "iterable-tokio reader, current-thread runtime");
    let smol_csv = run_of("CSV", "iterable-smol reader");
    let tokio_jsonl = run_of("JSONL", "iterable-tokio reader, current-thread runtime");
    let smol_jsonl = run_of("JSONL", "iterable-smol reader");
    if let Ok(python) = std::env::var("ITERABLE_BENCH_PYTHON") {
        for (label, path, mb) in [("CSV", &csv, csv_mb), ("JSONL", &jsonl, jsonl_mb)] {
            match python_iterabledata(&python, path) {
                Ok(run) => {
                    table.row(label, "Python iterabledata", mb, run);
                }
                Err(why) => println!("(iterabledata {label} skipped: {why})"),
            }
        }
    } else {
        println!("(ITERABLE_BENCH_PYTHON not set: no iterabledata rows; bench/run.sh sets it)");
    }
    table.print(&[("CSV", ours_csv), ("JSONL", ours_jsonl)]);
    let speed = |run: Run, of: Run| of.time.as_secs_f64() / run.time.as_secs_f64();
    println!(
        "\nThe async readers against iterable-sync (records/s, 1.0x = as fast): CSV tokio {:.2}x, smol {:.2}x; JSONL tokio {:.2}x, smol {:.2}x",
        speed(tokio_csv, ours_csv),
        speed(smol_csv, ours_csv),
        speed(tokio_jsonl, ours_jsonl),
        speed(smol_jsonl, ours_jsonl)
    );
    println!();
    concurrency();
}

/// Inputs, each behind this much latency before its first byte (a remote object, say).
const LATENCY: Duration = Duration::from_millis(50);
const INPUTS: usize = 16;

/// 16 inputs behind 50 ms of latency each, read one after another and then 16 at once.
fn concurrency() {
    let input: Arc<Vec<u8>> = Arc::new(
        (0..20_000)
            .flat_map(|i| format!("{{\"i\":{i},\"s\":\"x\"}}\n").into_bytes())
            .collect(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let read_all = |jobs: usize| {
        let input = input.clone();
        runtime.block_on(async move {
            use futures::StreamExt;
            let start = Instant::now();
            let counts: Vec<usize> = futures::stream::iter((0..INPUTS).map(|_| {
                let input = input.clone();
                async move {
                    tokio::time::sleep(LATENCY).await;
                    let reader = iterable_tokio::from_reader(&input[..], &Default::default())
                        .await
                        .unwrap();
                    reader.count().await
                }
            }))
            .buffer_unordered(jobs)
            .collect()
            .await;
            (counts.iter().sum::<usize>(), start.elapsed())
        })
    };
    let (records, sequential) = read_all(1);
    let (_, concurrent) = read_all(INPUTS);
    println!(
        "| {INPUTS} inputs of 20,000 JSONL records, {} ms latency each | seconds | |",
        LATENCY.as_millis()
    );
    println!("|---|---:|---:|");
    println!(
        "| one after another (jobs = 1) | {:.2} | 1.0x |",
        sequential.as_secs_f64()
    );
    println!(
        "| all at once on one thread (jobs = {INPUTS}) | {:.2} | {:.1}x faster |",
        concurrent.as_secs_f64(),
        sequential.as_secs_f64() / concurrent.as_secs_f64()
    );
    println!("({records} records each way)");
}

/// A measured run: records seen and the time taken.
#[derive(Clone, Copy)]
struct Run {
    records: usize,
    time: Duration,
}

#[derive(Default)]
struct Table {
    rows: Vec<(&'static str, String, f64, Run)>,
}

impl Table {
    fn row(&mut self, format: &'static str, name: &str, mb: f64, run: Run) -> Run {
        self.rows.push((format, name.to_owned(), mb, run));
        run
    }

    fn print(&self, ours: &[(&str, Run)]) {
        println!("| format | reader | records | seconds | records/s | MB/s | iterable is |");
        println!("|---|---|---:|---:|---:|---:|---:|");
        for (format, name, mb, run) in &self.rows {
            let secs = run.time.as_secs_f64();
            let ours = ours
                .iter()
                .find(|(f, _)| f == format)
                .map(|(_, r)| r.time.as_secs_f64())
                .unwrap();
            println!(
                "| {format} | {name} | {} | {secs:.2} | {:.2}M | {:.0} | {:.1}x |",
                run.records,
                run.records as f64 / secs / 1e6,
                mb / secs,
                secs / ours
            );
        }
    }
}

fn count_ours(path: &Path) -> usize {
    let mut n = 0;
    for record in iterable_sync::open(path.to_str().unwrap()).unwrap() {
        black_box(record.unwrap());
        n += 1;
    }
    n
}

/// The sync reader without its read-ahead thread: [`iterable_sync::from_reader`] decodes on
/// the calling thread.
fn count_here(path: &Path, format: &str) -> usize {
    let file = std::fs::File::open(path).unwrap();
    let options = iterable_formats::ReadOptions::default()
        .with_format_name(format)
        .unwrap();
    let mut n = 0;
    for record in iterable_sync::from_reader(file, &options).unwrap() {
        black_box(record.unwrap());
        n += 1;
    }
    n
}

fn count_tokio(path: &Path) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut reader = iterable_tokio::open(path.to_str().unwrap()).await.unwrap();
        let mut n = 0;
        while let Some(record) = reader.read().await.unwrap() {
            black_box(record);
            n += 1;
        }
        n
    })
}

fn count_smol(path: &Path) -> usize {
    smol::block_on(async {
        let mut reader = iterable_smol::open(path.to_str().unwrap()).await.unwrap();
        let mut n = 0;
        while let Some(record) = reader.read().await.unwrap() {
            black_box(record);
            n += 1;
        }
        n
    })
}

fn count_csv_crate(path: &Path) -> usize {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<Arc<str>> = reader.headers().unwrap().iter().map(Arc::from).collect();
    let mut record = csv::StringRecord::new();
    let mut n = 0;
    while reader.read_record(&mut record).unwrap() {
        let row: Vec<(Arc<str>, String)> = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .collect();
        black_box(row);
        n += 1;
    }
    n
}

fn count_serde_json(path: &Path) -> usize {
    let mut reader = BufReader::with_capacity(128 * 1024, std::fs::File::open(path).unwrap());
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).unwrap() == 0 {
            return n;
        }
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        black_box(value);
        n += 1;
    }
}

fn python_iterabledata(python: &str, path: &Path) -> Result<Run, String> {
    const SCRIPT: &str = "
import sys, time
from iterable.helpers.detect import open_iterable
start = time.perf_counter()
n = 0
with open_iterable(sys.argv[1]) as source:
    for row in source:
        n += 1
print(n, time.perf_counter() - start)
";
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("failed")
            .to_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let records = parts
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("no count")?;
    let secs: f64 = parts.next().and_then(|v| v.parse().ok()).ok_or("no time")?;
    Ok(Run {
        records,
        time: Duration::from_secs_f64(secs),
    })
}
