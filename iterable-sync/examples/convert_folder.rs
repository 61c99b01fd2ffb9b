//! Converts every CSV file of a folder (the bundled samples by default) into another format
//! (JSON Lines by default), several at once on threads, and reports each one.
//!
//! `cargo run -p iterable-sync --example convert_folder -- [IN_DIR] [OUT_DIR] [FORMAT]`

use iterable_sync::{ConvertOptions, Format, WriteOptions};

fn main() -> iterable_sync::Result<()> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../data").into());
    let output = args.next().unwrap_or_else(|| "target/converted".into());
    let format = args.next().unwrap_or_else(|| "jsonl".into());
    let options = ConvertOptions {
        write: WriteOptions::default().with_format_name(&format)?,
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        ..Default::default()
    };
    let patterns = [format!("{input}/*.csv")];
    let started = std::time::Instant::now();
    let converted = iterable_sync::convert_many(&patterns, &output, &options)?;
    for one in &converted {
        match &one.result {
            Ok(stats) => println!("{} -> {}: {} records", one.input, one.output, stats.records),
            Err(error) => println!("{}: failed: {error}", one.input),
        }
    }
    let format = options.write.format.unwrap_or(Format::JSONL);
    eprintln!(
        "{} files to {} in {:.2?}",
        converted.len(),
        format.info().name,
        started.elapsed()
    );
    Ok(())
}
