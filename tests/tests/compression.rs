//! Compressed input and output: the system tools agree with us both ways, every codec works
//! through every adapter, truncation and bombs fail loudly, members and frames all read.

use bytes::Bytes;
use iterable_core::{DecompressionLimits, ErrorKind, Record};
use iterable_formats::compression::CodecKind;
use iterable_formats::{Format, ReadOptions, WriteOptions};
use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn sample_csv() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sample.csv")).unwrap()
}

fn records_of(bytes: &[u8]) -> Vec<Record> {
    let options = ReadOptions {
        format: Some(Format::CSV),
        ..ReadOptions::default()
    };
    iterable_sync::from_reader(bytes, &options)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A bigger CSV, so that streams span many blocks.
fn big_csv(rows: usize) -> Vec<u8> {
    let mut out = b"id,text\n".to_vec();
    for i in 0..rows {
        out.extend_from_slice(format!("{i},\"row {i}, {}\"\n", i * 7919 % 1000).as_bytes());
    }
    out
}

/// Each codec with the system tool commands that compress and decompress stdin to stdout.
const TOOLS: [(CodecKind, &[&str], &[&str]); 7] = [
    (CodecKind::Gzip, &["gzip", "-c"], &["gzip", "-dc"]),
    (CodecKind::Bzip2, &["bzip2", "-c"], &["bzip2", "-dc"]),
    (CodecKind::Xz, &["xz", "-c"], &["xz", "-dc"]),
    (
        CodecKind::Lzma,
        &["xz", "--format=lzma", "-c"],
        &["xz", "--format=lzma", "-dc"],
    ),
    (
        CodecKind::Zstd,
        &["zstd", "-q", "-c"],
        &["zstd", "-q", "-dc"],
    ),
    (CodecKind::Lz4, &["lz4", "-q", "-c"], &["lz4", "-q", "-dc"]),
    (CodecKind::Brotli, &["brotli", "-c"], &["brotli", "-dc"]),
];

fn run_tool(command: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(command[0])
        .args(&command[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{} is needed by this test (tests/run.sh installs it): {e}",
                command[0]
            )
        });
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeding = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    feeding.join().unwrap().unwrap();
    assert!(out.status.success(), "{command:?} failed");
    out.stdout
}

fn write_with_us(path: &str, records: &[Record]) {
    let mut writer = iterable_sync::create(path).unwrap();
    writer.write_bulk(records).unwrap();
    writer.finish().unwrap();
}

fn read_with_us(path: &str, options: &ReadOptions) -> iterable_core::Result<Vec<Record>> {
    iterable_sync::open_with(path, options)?.collect()
}

#[test]
fn we_read_what_the_tools_write() {
    let dir = tempfile::tempdir().unwrap();
    let plain = sample_csv();
    let expected = records_of(&plain);
    for (codec, compress, _) in TOOLS {
        let compressed = run_tool(compress, &plain);
        let named = dir
            .path()
            .join(format!("sample.csv.{}", codec.extensions()[0]));
        std::fs::write(&named, &compressed).unwrap();
        let read = read_with_us(named.to_str().unwrap(), &ReadOptions::default()).unwrap();
        assert_eq!(read, expected, "{codec:?} by name");
        if codec.magic().is_some() {
            let unnamed = dir.path().join(format!("export-{}", codec.name()));
            std::fs::write(&unnamed, &compressed).unwrap();
            let reader = iterable_sync::open(unnamed.to_str().unwrap()).unwrap();
            assert_eq!(reader.detection().codec, Some(codec));
            assert_eq!(
                reader.map(Result::unwrap).collect::<Vec<_>>(),
                expected,
                "{codec:?} by magic"
            );
        }
    }
}

#[test]
fn the_tools_read_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let plain = sample_csv();
    let records = records_of(&plain);
    for (codec, _, decompress) in TOOLS {
        let path = dir
            .path()
            .join(format!("out.csv.{}", codec.extensions()[0]));
        write_with_us(path.to_str().unwrap(), &records);
        let compressed = std::fs::read(&path).unwrap();
        assert!(compressed.len() < plain.len(), "{codec:?} compresses");
        assert_eq!(run_tool(decompress, &compressed), plain, "{codec:?}");
    }
}

#[test]
fn every_codec_round_trips_through_every_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let records = records_of(&big_csv(3000));
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for codec in CodecKind::ALL {
        let ext = codec.extensions()[0];
        for level in [None, Some(1)] {
            let options = WriteOptions {
                compression_level: level,
                ..WriteOptions::default()
            };
            let sync_path = dir.path().join(format!("sync.jsonl.{ext}"));
            let mut writer =
                iterable_sync::create_with(sync_path.to_str().unwrap(), &options).unwrap();
            writer.write_bulk(&records).unwrap();
            writer.finish().unwrap();
            let tokio_path = dir.path().join(format!("tokio.jsonl.{ext}"));
            let smol_path = dir.path().join(format!("smol.jsonl.{ext}"));
            tokio.block_on(async {
                let mut writer =
                    iterable_tokio::create_with(tokio_path.to_str().unwrap(), &options)
                        .await
                        .unwrap();
                writer.write_bulk(&records).await.unwrap();
                writer.finish().await.unwrap();
            });
            smol::block_on(async {
                let mut writer = iterable_smol::create_with(smol_path.to_str().unwrap(), &options)
                    .await
                    .unwrap();
                writer.write_bulk(&records).await.unwrap();
                writer.finish().await.unwrap();
            });
            for path in [&sync_path, &tokio_path, &smol_path] {
                let path = path.to_str().unwrap();
                assert_eq!(
                    read_with_us(path, &ReadOptions::default()).unwrap(),
                    records,
                    "{codec:?} sync {path}"
                );
                let read = tokio.block_on(async {
                    let mut reader = iterable_tokio::open(path).await.unwrap();
                    reader.read_bulk(usize::MAX).await.unwrap()
                });
                assert_eq!(read, records, "{codec:?} tokio {path}");
                let read = smol::block_on(async {
                    let mut reader = iterable_smol::open(path).await.unwrap();
                    reader.read_bulk(usize::MAX).await.unwrap()
                });
                assert_eq!(read, records, "{codec:?} smol {path}");
            }
        }
    }
}

#[test]
fn truncated_streams_fail_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let records = records_of(&big_csv(5000));
    for codec in CodecKind::ALL {
        let path = dir
            .path()
            .join(format!("whole.csv.{}", codec.extensions()[0]));
        write_with_us(path.to_str().unwrap(), &records);
        let whole = std::fs::read(&path).unwrap();
        for cut in [whole.len() / 10, whole.len() / 2, whole.len() - 1] {
            let cut_path = dir
                .path()
                .join(format!("cut.csv.{}", codec.extensions()[0]));
            std::fs::write(&cut_path, &whole[..cut]).unwrap();
            let mut reader = iterable_sync::open(cut_path.to_str().unwrap()).unwrap();
            let mut read = 0;
            let error = loop {
                match reader.read() {
                    Ok(Some(_)) => read += 1,
                    Ok(None) => panic!(
                        "{codec:?} cut at {cut} of {}: ended quietly after {read} records",
                        whole.len()
                    ),
                    Err(error) => break error,
                }
            };
            assert!(read <= records.len(), "{codec:?}");
            assert!(
                error.format() == Some(codec.name()) || error.format() == Some("csv"),
                "{codec:?}: {error}"
            );
            assert!(!error.is_recoverable(), "{codec:?}: {error}");
            if error.format() == Some(codec.name()) {
                assert!(
                    error.position().byte.unwrap() <= cut as u64,
                    "{codec:?}: {error}"
                );
            }
        }
    }
}

#[test]
fn concatenated_members_frames_and_streams_all_read() {
    let dir = tempfile::tempdir().unwrap();
    let plain = big_csv(3000);
    let (head, rest) = plain.split_at(plain.len() / 3);
    let (middle, tail) = rest.split_at(rest.len() / 2);
    let expected = records_of(&plain);
    for (codec, compress, _) in TOOLS.iter().filter(|(c, ..)| {
        matches!(
            c,
            CodecKind::Gzip | CodecKind::Bzip2 | CodecKind::Zstd | CodecKind::Xz | CodecKind::Lz4
        )
    }) {
        let joined: Vec<u8> = [head, middle, tail]
            .iter()
            .flat_map(|part| run_tool(compress, part))
            .collect();
        let path = dir
            .path()
            .join(format!("joined.csv.{}", codec.extensions()[0]));
        std::fs::write(&path, &joined).unwrap();
        assert_eq!(
            read_with_us(path.to_str().unwrap(), &ReadOptions::default()).unwrap(),
            expected,
            "{codec:?}"
        );
    }
    // pigz writes in parallel blocks, one stream
    let path = dir.path().join("pigz.csv.gz");
    std::fs::write(&path, run_tool(&["pigz", "-c", "-b", "32"], &plain)).unwrap();
    assert_eq!(
        read_with_us(path.to_str().unwrap(), &ReadOptions::default()).unwrap(),
        expected
    );
}

#[test]
fn a_trickle_of_single_bytes_decodes_every_member() {
    let plain = big_csv(500);
    let (head, tail) = plain.split_at(plain.len() / 2);
    let joined: Vec<u8> = [head, tail]
        .iter()
        .flat_map(|part| run_tool(&["gzip", "-c"], part))
        .collect();
    let chunks: Vec<std::io::Result<Bytes>> = joined
        .iter()
        .map(|b| Ok(Bytes::copy_from_slice(&[*b])))
        .collect();
    let options = ReadOptions {
        format: Some(Format::CSV),
        ..ReadOptions::default()
    };
    let read = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let mut reader = iterable_tokio::from_stream(futures::stream::iter(chunks), &options)
                .await
                .unwrap();
            assert_eq!(reader.detection().codec, Some(CodecKind::Gzip));
            reader.read_bulk(usize::MAX).await.unwrap()
        });
    assert_eq!(read, records_of(&plain));
}

#[test]
fn bombs_hit_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut zeros = b"n\n".to_vec();
    zeros.extend(std::iter::repeat_n(b"0\n", 40 << 20).flatten());
    for (codec, limits) in [
        // zstd squeezes this past the default ratio of 10,000 to 1
        (CodecKind::Zstd, DecompressionLimits::default()),
        (
            CodecKind::Gzip,
            DecompressionLimits {
                max_ratio: 50,
                ..DecompressionLimits::default()
            },
        ),
        (
            CodecKind::Gzip,
            DecompressionLimits {
                max_size: 8 << 20,
                ..DecompressionLimits::default()
            },
        ),
    ] {
        let (_, compress, _) = TOOLS.iter().find(|(c, ..)| *c == codec).unwrap();
        let path = dir
            .path()
            .join(format!("bomb.csv.{}", codec.extensions()[0]));
        std::fs::write(&path, run_tool(compress, &zeros)).unwrap();
        let options = ReadOptions {
            decompression_limits: limits,
            ..ReadOptions::default()
        };
        // The limit may strike while the head is read to detect the format, or later.
        let mut records = 0u64;
        let error = match iterable_sync::open_with(path.to_str().unwrap(), &options) {
            Err(error) => error,
            Ok(mut reader) => loop {
                match reader.read() {
                    Ok(Some(_)) => records += 1,
                    Ok(None) => panic!("{codec:?} {limits:?}: the bomb went off quietly"),
                    Err(error) => break error,
                }
            },
        };
        assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
        assert_eq!(error.format(), Some(codec.name()));
        assert!(
            records < 10 << 20,
            "stopped early: {records} of 40M records"
        );
    }
}

#[test]
fn names_and_magic_find_codec_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = b"a\tb\n1,5\t2\n";
    let gz = run_tool(&["gzip", "-c"], tsv);
    let named = dir.path().join("data.tsv.gz");
    std::fs::write(&named, &gz).unwrap();
    let mut reader = iterable_sync::open(named.to_str().unwrap()).unwrap();
    let record = reader.read().unwrap().unwrap();
    assert_eq!(record.get("a").and_then(|v| v.as_str()), Some("1,5"));
    assert_eq!(reader.detection().options.get("delimiter"), Some("tab"));

    // no name: the codec from the magic bytes, the format from the decompressed content
    let jsonl = run_tool(&["zstd", "-q", "-c"], b"{\"x\":1}\n");
    let unnamed = dir.path().join("blob");
    std::fs::write(&unnamed, &jsonl).unwrap();
    let reader = iterable_sync::open(unnamed.to_str().unwrap()).unwrap();
    assert_eq!(reader.detection().format, Format::JSONL);
    assert_eq!(reader.detection().codec, Some(CodecKind::Zstd));
    // a format given for an extension-less compressed file still sniffs the codec
    let options = ReadOptions {
        format: Some(Format::JSONL),
        ..ReadOptions::default()
    };
    assert_eq!(
        read_with_us(unnamed.to_str().unwrap(), &options)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn snappy_frames_agree_with_the_snap_crate() {
    let dir = tempfile::tempdir().unwrap();
    let plain = big_csv(4000);
    // snap's framed encoder writes, we read
    let mut theirs = snap::write::FrameEncoder::new(Vec::new());
    theirs.write_all(&plain).unwrap();
    let theirs = theirs.into_inner().unwrap();
    let path = dir.path().join("theirs.csv.sz");
    std::fs::write(&path, &theirs).unwrap();
    assert_eq!(
        read_with_us(path.to_str().unwrap(), &ReadOptions::default()).unwrap(),
        records_of(&plain)
    );
    let unnamed = dir.path().join("theirs");
    std::fs::write(&unnamed, &theirs).unwrap();
    assert_eq!(
        iterable_sync::open(unnamed.to_str().unwrap())
            .unwrap()
            .detection()
            .codec,
        Some(CodecKind::Snappy)
    );
    // we write, snap's framed decoder reads
    let ours = dir.path().join("ours.csv.sz");
    write_with_us(ours.to_str().unwrap(), &records_of(&plain));
    let mut decoded = Vec::new();
    snap::read::FrameDecoder::new(&std::fs::read(&ours).unwrap()[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain);
    // a flipped byte inside a chunk fails its checksum
    let mut corrupt = theirs.clone();
    let at = corrupt.len() / 2;
    corrupt[at] ^= 0x55;
    let path = dir.path().join("corrupt.csv.sz");
    std::fs::write(&path, &corrupt).unwrap();
    let error = read_with_us(path.to_str().unwrap(), &ReadOptions::default()).unwrap_err();
    assert_eq!(error.format(), Some("snappy"), "{error}");
}

#[test]
fn zip_members_are_read_one_after_another() {
    let dir = tempfile::tempdir().unwrap();
    let plain = sample_csv();
    let second = big_csv(300);
    std::fs::write(dir.path().join("a.csv"), &plain).unwrap();
    std::fs::write(dir.path().join("b.csv"), &second).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not data\n").unwrap();
    let zip = |archive: &str, members: &[&str]| {
        let status = Command::new("zip")
            .arg("-q")
            .arg(archive)
            .args(members)
            .current_dir(dir.path())
            .status();
        assert!(
            status
                .expect("zip is needed by this test (tests/run.sh installs it)")
                .success()
        );
        dir.path().join(archive).to_str().unwrap().to_owned()
    };
    // one member
    let one = zip("one.zip", &["a.csv"]);
    assert_eq!(
        read_with_us(&one, &ReadOptions::default()).unwrap(),
        records_of(&plain)
    );
    // several, chosen by pattern, each with its own header row, named when asked
    let many = zip("many.zip", &["a.csv", "notes.txt", "b.csv"]);
    let options = ReadOptions {
        zip_members: Some("*.csv".into()),
        member_field: Some("_member".into()),
        ..ReadOptions::default()
    };
    let read = read_with_us(&many, &options).unwrap();
    let (from_a, from_b): (Vec<&Record>, Vec<&Record>) = read
        .iter()
        .partition(|r| r.get("_member").and_then(|v| v.as_str()) == Some("a.csv"));
    assert_eq!(from_a.len(), records_of(&plain).len());
    assert_eq!(from_b.len(), 300);
    assert!(
        from_b
            .iter()
            .all(|r| r.get("_member").and_then(|v| v.as_str()) == Some("b.csv"))
    );
    assert_eq!(
        from_b[0].get("id").and_then(|v| v.as_str()),
        Some("0"),
        "b's header is not a record"
    );
    // the same through the async adapters
    let tokio_read = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            iterable_tokio::open_with(&many, &options)
                .await
                .unwrap()
                .read_bulk(usize::MAX)
                .await
                .unwrap()
        });
    assert_eq!(tokio_read, read);
    // a member that fails its CRC
    let mut corrupt = std::fs::read(&one).unwrap();
    let at = 40 + corrupt.len() / 4;
    corrupt[at] ^= 0xff;
    let corrupt_path = dir.path().join("corrupt.zip");
    std::fs::write(&corrupt_path, &corrupt).unwrap();
    let error = read_with_us(corrupt_path.to_str().unwrap(), &ReadOptions::default()).unwrap_err();
    assert_eq!(error.format(), Some("zip"), "{error}");
}

#[test]
fn unzip_reads_the_zip_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let plain = sample_csv();
    let path = dir.path().join("export.csv.zip");
    write_with_us(path.to_str().unwrap(), &records_of(&plain));
    let test = Command::new("unzip").arg("-t").arg(&path).output().unwrap();
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
    let listed = Command::new("unzip")
        .arg("-Z1")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "export.csv");
    let content = Command::new("unzip").arg("-p").arg(&path).output().unwrap();
    assert_eq!(content.stdout, plain);
}

/// Pseudo-random digits as `;`-separated rows: poor to compress, so that bzip2's first block
/// comes out only after far more than the 64 KiB a reader first looks at.
fn noisy_ssv(rows: usize) -> Vec<u8> {
    let mut out = b"a;b;c\n".to_vec();
    let mut seed: u64 = 99;
    for _ in 0..rows {
        let mut field = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 20) % 1_000_000_007
        };
        out.extend_from_slice(format!("{};{};{}\n", field(), field(), field()).as_bytes());
    }
    out
}

#[test]
fn a_codec_slow_to_give_is_read_on_until_the_format_shows() {
    let plain = noisy_ssv(60_000);
    let compressed = run_tool(&["bzip2", "-9", "-c"], &plain);
    assert!(compressed.len() > 200_000, "the first block must be large");
    // No name: bzip2 from the magic bytes, CSV and `;` from what its first block gives.
    let reader = iterable_sync::from_reader(&compressed[..], &ReadOptions::default()).unwrap();
    assert_eq!(reader.detection().codec, Some(CodecKind::Bzip2));
    assert_eq!(reader.detection().format, Format::CSV);
    assert_eq!(reader.detection().options.get("delimiter"), Some(";"));
    let records: Vec<Record> = reader.map(Result::unwrap).collect();
    assert_eq!(records, records_of(&plain));
    assert_eq!(records[0].names().collect::<Vec<_>>(), ["a", "b", "c"]);
}

#[test]
fn each_zip_member_shows_its_own_delimiter_and_a_broken_one_ends_after_its_good_records() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("comma.txt"), "x,y\n1,2\n").unwrap();
    std::fs::write(dir.path().join("semi.txt"), "x;y\n3;4\n").unwrap();
    let status = Command::new("zip")
        .args(["-q", "both.zip", "comma.txt", "semi.txt"])
        .current_dir(dir.path())
        .status()
        .expect("zip is needed by this test (tests/run.sh installs it)");
    assert!(status.success());
    let path = dir.path().join("both.zip");
    let options = ReadOptions {
        format: Some(Format::CSV),
        ..ReadOptions::default()
    };
    let read = read_with_us(path.to_str().unwrap(), &options).unwrap();
    let ys: Vec<&str> = read.iter().filter_map(|r| r.get("y")?.as_str()).collect();
    assert_eq!(ys, ["2", "4"]);

    // An archive cut short in the middle of a row of its member: the rows before the cut come
    // out whole, then the error; the row cut in two is not given as a record.
    let rows: String = (0..20_000)
        .map(|i| format!("{i},row number {i}\n"))
        .collect();
    std::fs::write(dir.path().join("long.csv"), format!("n,text\n{rows}")).unwrap();
    let status = Command::new("zip")
        .args(["-q", "-0", "long.zip", "long.csv"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let archive = std::fs::read(dir.path().join("long.zip")).unwrap();
    let mut cut = archive.len() / 2;
    while archive[cut - 1] == b'\n' {
        cut += 1; // in the middle of a row, not at its end
    }
    let outcomes: Vec<_> = iterable_sync::from_reader(&archive[..cut], &ReadOptions::default())
        .unwrap()
        .collect();
    let error = outcomes.last().unwrap().as_ref().unwrap_err();
    assert_eq!(error.format(), Some("zip"), "{error}");
    assert!(error.to_string().contains("cut short"), "{error}");
    let records: Vec<&Record> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(
        records.len() + 1,
        outcomes.len(),
        "only the last outcome is an error"
    );
    assert!(records.len() > 1000);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(
            record.get("n").and_then(|v| v.as_str()),
            Some(i.to_string().as_str())
        );
        let text = record.get("text").and_then(|v| v.as_str()).unwrap();
        assert_eq!(text, format!("row number {i}"), "a cut row came out");
    }
}
