//! `convert_many` in parallel, side by side in one run: four local CSV files of 250,000 rows
//! each to JSON Lines, with `jobs = 1` and `jobs = 2`, under iterable-sync (threads),
//! iterable-tokio (a multi-threaded runtime with two workers) and iterable-smol (under
//! `smol::block_on`).
//!
//! `cargo bench -p iterable-tests --bench conversions` (also in `bench/run.sh`);
//! `ITERABLE_BENCH_ROWS` sets the rows of each file (default 250,000).

use iterable_formats::{Format, WriteOptions};
use iterable_sync::ConvertOptions;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Each conversion runs this many times, in rounds; the fastest run counts.
const RUNS: usize = 7;
const FILES: usize = 4;

fn main() {
    let rows = std::env::var("ITERABLE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250_000);
    let inputs = inputs(rows);
    let pattern = inputs.join("*.csv").to_string_lossy().into_owned();
    let out = tempfile::tempdir().unwrap();
    let mb = std::fs::read_dir(&inputs)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum::<u64>() as f64
        / 1e6;
    println!(
        "{FILES} CSV files of {rows} rows ({mb:.0} MB in all) to JSON Lines, best of {RUNS}\n"
    );
    println!("| adapter | jobs = 1 | jobs = 2 | jobs = 2 is |");
    println!("|---|---:|---:|---:|");
    type Convert<'a> = Box<dyn Fn(usize) -> usize + 'a>;
    let adapters: [(&str, Convert); 3] = [
        (
            "iterable-sync (threads)",
            Box::new(|jobs| {
                let converted = iterable_sync::convert_many(
                    std::slice::from_ref(&pattern),
                    out.path(),
                    &options(jobs),
                );
                written(converted.unwrap())
            }),
        ),
        (
            "iterable-tokio (multi-threaded runtime, 2 workers; tasks)",
            Box::new(|jobs| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                let converted = runtime.block_on(iterable_tokio::convert_many(
                    std::slice::from_ref(&pattern),
                    out.path(),
                    &options(jobs),
                ));
                written(converted.unwrap())
            }),
        ),
        (
            "iterable-smol (smol::block_on; blocking's threads)",
            Box::new(|jobs| {
                let converted = smol::block_on(iterable_smol::convert_many(
                    std::slice::from_ref(&pattern),
                    out.path(),
                    &options(jobs),
                ));
                written(converted.unwrap())
            }),
        ),
    ];
    // Every configuration runs once per round, in turn, so that the machine's drift touches
    // them all alike; the fastest of each one's runs counts.
    let mut fastest = vec![Duration::MAX; adapters.len() * 2];
    for _ in 0..RUNS {
        for (a, (_, convert)) in adapters.iter().enumerate() {
            for (j, jobs) in [1, 2].into_iter().enumerate() {
                let start = Instant::now();
                assert_eq!(convert(jobs), FILES * rows);
                fastest[a * 2 + j] = fastest[a * 2 + j].min(start.elapsed());
            }
        }
    }
    for (a, (name, _)) in adapters.iter().enumerate() {
        let (one, two) = (
            fastest[a * 2].as_secs_f64(),
            fastest[a * 2 + 1].as_secs_f64(),
        );
        println!(
            "| {name} | {one:.2} s | {two:.2} s | {:.2}x faster |",
            one / two
        );
    }
}

fn options(jobs: usize) -> ConvertOptions {
    ConvertOptions {
        write: WriteOptions {
            format: Some(Format::JSONL),
            ..Default::default()
        },
        jobs,
        ..Default::default()
    }
}

/// Records written by a `convert_many` call, every input converted.
fn written(converted: Vec<iterable_sync::Converted>) -> usize {
    converted
        .into_iter()
        .map(|c| c.result.unwrap().records as usize)
        .sum()
}

/// Four copies of the benchmark CSV of `rows` rows, in `target/bench-data/many-ROWS/`.
fn inputs(rows: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let dir = root.join(format!("many-{rows}"));
    std::fs::create_dir_all(&dir).unwrap();
    let (csv, _) = iterable_tests::bench_data(&root, rows);
    for i in 0..FILES {
        let copy = dir.join(format!("part-{i}.csv"));
        if !copy.exists() {
            std::fs::copy(&csv, &copy).unwrap();
        }
    }
    dir
}
