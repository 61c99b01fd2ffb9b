//! Decompression throughput: each codec through iterable's decompression driver (the path every
//! reader takes: 128 KiB reads, then the codec into the decoder's buffer) against that codec
//! crate's own `Read` loop; the whole reader on compressed CSV; and gzip against `zcat` and
//! `pigz -dc`. Run through `bench/run.sh` or `cargo bench -p iterable-tests --bench codecs`.

use bytes::BytesMut;
use iterable_core::DecompressionLimits;
use iterable_formats::compression::CodecKind;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const READ: usize = 128 * 1024;

fn main() {
    let rows = iterable_tests::bench_rows();
    let (csv, _) = iterable_tests::bench_files();
    let dir = csv.parent().expect("the bench-data folder").to_owned();
    let plain = std::fs::read(&csv).unwrap();
    let mb = plain.len() as f64 / 1e6;
    println!("{rows}-row CSV, {mb:.0} MB decompressed; output MB/s, best of {RUNS} runs\n");
    println!("| codec | compressed MB | iterable | the codec crate's read loop | iterable is |");
    println!("|---|---:|---:|---:|---:|");
    for codec in [
        CodecKind::Gzip,
        CodecKind::Zlib,
        CodecKind::Deflate,
        CodecKind::Snappy,
        CodecKind::Zstd,
        CodecKind::Bzip2,
        CodecKind::Xz,
        CodecKind::Lz4,
        CodecKind::Brotli,
    ] {
        let path = compressed(&dir, &csv, &plain, codec);
        let ours = best(|| ours(&path, codec));
        let theirs = best(|| crate_loop(&path, codec));
        println!(
            "| {} | {:.1} | {:.0} | {:.0} | {:.2}x |",
            codec.name(),
            std::fs::metadata(&path).unwrap().len() as f64 / 1e6,
            mb / ours.as_secs_f64(),
            mb / theirs.as_secs_f64(),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
    println!();
    let gz = compressed(&dir, &csv, &plain, CodecKind::Gzip);
    println!("| gzip, {mb:.0} MB out | seconds | MB/s |");
    println!("|---|---:|---:|");
    let row = |name: &str, time: Duration| {
        println!(
            "| {name} | {:.2} | {:.0} |",
            time.as_secs_f64(),
            mb / time.as_secs_f64()
        )
    };
    row(
        "iterable (decompression only)",
        best(|| ours(&gz, CodecKind::Gzip)),
    );
    for tool in [["zcat", ""], ["pigz", "-dc"]] {
        match best_tool(&tool, &gz) {
            Some(time) => row(
                &format!("`{} {}`", tool[0], tool[1]).replace(" `", "`"),
                time,
            ),
            None => println!("| `{}` | not installed | |", tool[0]),
        }
    }
    println!();
    println!("| the whole reader, CSV records | records/s |");
    println!("|---|---:|");
    for codec in [
        None,
        Some(CodecKind::Gzip),
        Some(CodecKind::Zstd),
        Some(CodecKind::Lz4),
    ] {
        let path = codec.map_or(csv.clone(), |c| compressed(&dir, &csv, &plain, c));
        let time = best(|| {
            let mut n = 0;
            for record in iterable_sync::open(path.to_str().unwrap()).unwrap() {
                black_box(record.unwrap());
                n += 1;
            }
            assert_eq!(n, rows);
        });
        println!(
            "| {} | {:.2}M |",
            codec.map_or("none", |c| c.name()),
            rows as f64 / time.as_secs_f64() / 1e6
        );
    }
}

fn best(mut f: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn best_tool(tool: &[&str; 2], path: &Path) -> Option<Duration> {
    let args: Vec<&str> = tool[1..]
        .iter()
        .copied()
        .filter(|a| !a.is_empty())
        .collect();
    let run = || {
        let start = Instant::now();
        let status = Command::new(tool[0])
            .args(&args)
            .arg(path)
            .stdout(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| start.elapsed())
    };
    (0..RUNS)
        .map(|_| run())
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .min()
}

/// The CSV compressed with `codec` at its default level, made once.
fn compressed(dir: &Path, csv: &Path, plain: &[u8], codec: CodecKind) -> PathBuf {
    let path = dir.join(format!(
        "{}.{}",
        csv.file_name().unwrap().to_str().unwrap(),
        codec.extensions()[0]
    ));
    if !path.exists() {
        let mut compressor = codec.compressor(None, "data").unwrap();
        let mut out = BytesMut::new();
        let mut rest = plain;
        while !rest.is_empty() {
            let n = compressor
                .process(&rest[..rest.len().min(1 << 20)], &mut out)
                .unwrap();
            rest = &rest[n..];
        }
        compressor.finish(&mut out).unwrap();
        std::fs::write(&path, &out).unwrap();
    }
    path
}

/// Decompresses as a reader does, dropping the output.
fn ours(path: &Path, codec: CodecKind) {
    let mut file = File::open(path).unwrap();
    let mut decompression = codec.decompression(DecompressionLimits::default()).unwrap();
    let mut out = BytesMut::with_capacity(1 << 20);
    loop {
        let raw = decompression.raw_mut();
        let start = raw.len();
        raw.resize(start + READ, 0);
        let n = file.read(&mut raw[start..]).unwrap();
        raw.truncate(start + n);
        if n == 0 {
            decompression.finish(&mut out).unwrap();
            break;
        }
        decompression.count_input(n);
        decompression.run(&mut out).unwrap();
        black_box(&out);
        out.clear();
    }
}

/// The codec crate's own streaming decoder, read into a 128 KiB buffer.
fn crate_loop(path: &Path, codec: CodecKind) {
    let file = BufReader::with_capacity(READ, File::open(path).unwrap());
    let mut reader: Box<dyn Read> = match codec {
        CodecKind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        CodecKind::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(file).unwrap()),
        CodecKind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(file)),
        CodecKind::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(file)),
        CodecKind::Lz4 => Box::new(lz4::Decoder::new(file).unwrap()),
        CodecKind::Brotli => Box::new(brotli::Decompressor::new(file, READ)),
        CodecKind::Zlib => Box::new(flate2::read::ZlibDecoder::new(file)),
        CodecKind::Deflate => Box::new(flate2::read::DeflateDecoder::new(file)),
        CodecKind::Snappy => Box::new(snap::read::FrameDecoder::new(file)),
        other => unreachable!("{other:?}"),
    };
    let mut buf = vec![0u8; READ];
    while reader.read(&mut buf).unwrap() > 0 {
        black_box(&buf);
    }
}
