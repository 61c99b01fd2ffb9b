//! Reads a file (the bundled sample by default) under smol, writes its records to stdout as
//! JSON Lines, then says on stderr what the reader found and did.
//!
//! `cargo run -p iterable-smol --example read_file -- [PATH]`

use iterable_smol::{Format, WriteOptions};

fn main() -> iterable_smol::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sample.csv").into());
    smol::block_on(async {
        let mut reader = iterable_smol::open(&path).await?;
        let jsonl = WriteOptions {
            format: Some(Format::JSONL),
            ..Default::default()
        };
        let mut stdout = iterable_smol::create_with("-", &jsonl).await?;
        while let Some(record) = reader.read().await? {
            stdout.write(&record).await?;
        }
        stdout.finish().await?;
        let (stats, detection) = (reader.stats(), reader.detection());
        eprintln!(
            "{path}: {} records from {} bytes; {} (found by {})",
            stats.records_read,
            stats.bytes_read,
            detection.describe(),
            detection.by.as_str()
        );
        Ok(())
    })
}
