//! Reads a file (the bundled sample by default), writes its records to stdout as JSON Lines,
//! then says on stderr what the reader found and did.
//!
//! `cargo run -p iterable-sync --example read_file -- [PATH]`

use iterable_sync::{Format, WriteOptions};

fn main() -> iterable_sync::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sample.csv").into());
    let mut reader = iterable_sync::open(&path)?;
    let jsonl = WriteOptions {
        format: Some(Format::JSONL),
        ..Default::default()
    };
    let mut stdout = iterable_sync::create_with("-", &jsonl)?;
    while let Some(record) = reader.read()? {
        stdout.write(&record)?;
    }
    stdout.finish()?;
    let (stats, detection) = (reader.stats(), reader.detection());
    eprintln!(
        "{path}: {} records from {} bytes; {} (found by {})",
        stats.records_read,
        stats.bytes_read,
        detection.describe(),
        detection.by.as_str()
    );
    Ok(())
}
