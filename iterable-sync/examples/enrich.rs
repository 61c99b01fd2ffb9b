//! A pipeline that calls a slow service for every record: each city of the bundled sample is
//! looked up (a stand-in for an HTTP API that answers in 20 ms), eight lookups at once on
//! threads, the records written in their input order with the answer added.
//!
//! `cargo run -p iterable-sync --example enrich -- [IN] [OUT]`

use iterable_sync::{ConvertOptions, Record, Value};
use std::time::{Duration, Instant};

/// The stand-in for a remote API: answers after 20 ms, as a service across a network would.
fn look_up_timezone(city: &str) -> &'static str {
    std::thread::sleep(Duration::from_millis(20));
    match city {
        "Oslo" | "Zürich" | "Kraków" | "Seville" | "Lagos" => "UTC+1",
        "Kyiv" | "Nairobi" => "UTC+2/+3",
        "Montréal" => "UTC-5",
        "Reykjavík" => "UTC",
        _ => "unknown",
    }
}

fn main() -> iterable_sync::Result<()> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sample.csv").into());
    let output = args
        .next()
        .unwrap_or_else(|| "target/enriched.jsonl".into());
    let options = ConvertOptions {
        jobs: 8,
        ..Default::default()
    };
    let started = Instant::now();
    let enrich = |mut record: Record| {
        let city = record.get("city").and_then(Value::as_str).unwrap_or("");
        let timezone = look_up_timezone(city);
        record.insert("timezone", timezone);
        Ok(Some(record))
    };
    let stats = iterable_sync::pipeline(&input, enrich, &output, &options)?;
    println!(
        "{} records enriched into {output} in {:.2?} ({} ms of lookups, {} at once)",
        stats.records,
        started.elapsed(),
        stats.records * 20,
        options.jobs
    );
    Ok(())
}
