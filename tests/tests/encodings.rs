//! Text encodings on every input: files Python wrote in cp1251, latin-1, UTF-16 and UTF-32 with
//! their byte order marks, read through every adapter, compressed or not, whatever the cuts;
//! undecodable bytes as an error with their offset, or replaced; writing in another encoding.

use bytes::BytesMut;
use iterable_core::{Record, Value};
use iterable_formats::{Format, FormatOptions, ReadOptions};
use iterable_tests::{Outcome, decode_in_chunks};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The rows every file holds, in UTF-8.
const ROWS: [[&str; 3]; 3] = [
    ["id", "name", "city"],
    ["1", "Ярослава", "Київ"],
    ["2", "Zoë Ærø", "Zürich"],
];

/// Writes `text` in `encoding` with Python's codecs (which write a byte order mark for
/// "utf-16" and "utf-32"), into `dir/name`.
fn python_writes(dir: &Path, name: &str, encoding: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("python3")
        .arg("-c")
        .arg("import sys; open(sys.argv[1], 'wb').write(sys.stdin.read().encode(sys.argv[2]))")
        .arg(&path)
        .arg(encoding)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait()
        })
        .expect("python3");
    assert!(status.success());
    path
}

fn csv_text(rows: &[[&str; 3]]) -> String {
    rows.iter().map(|r| r.join(",") + "\n").collect()
}

fn names_and_cities(records: &[Record]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            let text = |k| r.get(k).and_then(Value::as_str).unwrap().to_owned();
            (text("name"), text("city"))
        })
        .collect()
}

fn expected(rows: &[[&str; 3]]) -> Vec<(String, String)> {
    rows[1..]
        .iter()
        .map(|r| (r[1].to_owned(), r[2].to_owned()))
        .collect()
}

/// The rows a legacy encoding can hold: the header and the Cyrillic row (cp1251), or the
/// Latin one (latin-1).
fn cyrillic() -> Vec<[&'static str; 3]> {
    vec![ROWS[0], ROWS[1]]
}

fn latin() -> Vec<[&'static str; 3]> {
    vec![ROWS[0], ROWS[2]]
}

fn read_sync(path: &Path, options: &ReadOptions) -> (Vec<Record>, iterable_formats::Detection) {
    let mut reader = iterable_sync::open_with(path.to_str().unwrap(), options).unwrap();
    let records: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
    (records, reader.detection().clone())
}

#[test]
fn files_in_other_encodings_are_found_and_read() {
    let dir = tempfile::tempdir().unwrap();
    // A legacy encoding holds the rows of its script; UTF-16 and UTF-32 all of them.
    let cases = [
        (
            "cp1251.csv",
            "cp1251",
            "windows-1251",
            "content",
            cyrillic(),
        ),
        (
            "utf16.csv",
            "utf-16",
            "utf-16le",
            "byte order mark",
            ROWS.to_vec(),
        ),
        (
            "utf16be.csv",
            "utf-16-be",
            "utf-16be",
            "content",
            ROWS.to_vec(),
        ),
        (
            "utf32.csv",
            "utf-32",
            "utf-32le",
            "byte order mark",
            ROWS.to_vec(),
        ),
        ("latin1.csv", "latin-1", "windows-1252", "content", latin()),
    ];
    for (file, python, name, by, rows) in cases {
        let path = python_writes(dir.path(), file, python, &csv_text(&rows));
        let (records, detection) = read_sync(&path, &ReadOptions::default());
        assert_eq!(names_and_cities(&records), expected(&rows), "{file}");
        let found = detection.encoding.expect("a text format has its encoding");
        assert_eq!(
            (found.encoding.name(), found.by.as_str()),
            (name, by),
            "{file}"
        );
        assert_eq!(detection.options.get("delimiter"), Some(","), "{file}");
    }
}

#[test]
fn every_adapter_reads_transcoded_and_compressed_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = python_writes(dir.path(), "people.csv", "cp1251", &csv_text(&cyrillic()));
    let gz = dir.path().join("people.csv.gz");
    let status = Command::new("gzip")
        .arg("-kc")
        .arg(&path)
        .stdout(std::fs::File::create(&gz).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let options = ReadOptions::default();
    for input in [&path, &gz] {
        let (sync, _) = read_sync(input, &options);
        assert_eq!(
            names_and_cities(&sync),
            expected(&cyrillic()),
            "{}",
            input.display()
        );
        let name = input.to_str().unwrap();
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let mut reader = iterable_tokio::open_with(name, &options).await.unwrap();
                let mut records = Vec::new();
                while let Some(record) = reader.read().await.unwrap() {
                    records.push(record);
                }
                records
            });
        assert_eq!(tokio, sync);
        let smol = smol::block_on(async {
            let mut reader = iterable_smol::open_with(name, &options).await.unwrap();
            let mut records = Vec::new();
            while let Some(record) = reader.read().await.unwrap() {
                records.push(record);
            }
            records
        });
        assert_eq!(smol, sync);
    }
}

/// A decoder for `format` in `encoding`, as the options name it.
fn decoder(format: Format, encoding: &str, errors: &str) -> Box<dyn iterable_core::Decoder + Send> {
    let options = FormatOptions::default()
        .with("encoding", encoding)
        .with("encoding_errors", errors)
        .with("delimiter", ",");
    format.decoder(&options, 1 << 20).unwrap()
}

#[test]
fn characters_cut_by_chunks_are_put_together() {
    for encoding in ["utf-16le", "utf-32be", "cp1251", "utf-8", "gb18030"] {
        let rows = if encoding == "cp1251" {
            cyrillic()
        } else {
            ROWS.to_vec()
        };
        let text = csv_text(&rows);
        let bytes = match encoding {
            "utf-16le" => text
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>(),
            "utf-32be" => text
                .chars()
                .flat_map(|c| u32::from(c).to_be_bytes())
                .collect(),
            "utf-8" => text.as_bytes().to_vec(),
            other => {
                let encoding = encoding_rs::Encoding::for_label(other.as_bytes()).unwrap();
                encoding.encode(&text).0.into_owned()
            }
        };
        let whole = decode_in_chunks(decoder(Format::CSV, encoding, "fail"), &bytes, &[]);
        for step in 1..8 {
            let cuts: Vec<usize> = (step..bytes.len()).step_by(step).collect();
            let cut = decode_in_chunks(decoder(Format::CSV, encoding, "fail"), &bytes, &cuts);
            assert_eq!(cut, whole, "{encoding}, cut every {step} bytes");
        }
        let records: Vec<Record> = whole
            .into_iter()
            .map(|o| match o {
                Outcome::Record(r) => r,
                other => panic!("{encoding}: {other:?}"),
            })
            .collect();
        assert_eq!(names_and_cities(&records), expected(&rows), "{encoding}");
    }
}

#[test]
fn bytes_that_are_not_text_are_an_error_with_their_offset_or_replaced() {
    // 0xAA is no character in windows-1253, nor a whole one in UTF-8: at byte 22.
    let bytes = b"id,name,city\n1,ab,c\n2,\xAAx,y\n3,d,e\n";
    let failed = decode_in_chunks(decoder(Format::CSV, "utf-8", "replace"), bytes, &[7]);
    let Outcome::Record(second) = &failed[1] else {
        panic!("{failed:?}")
    };
    assert_eq!(
        second.get("name").and_then(Value::as_str),
        Some("\u{FFFD}x")
    );
    assert_eq!(failed.len(), 3);

    let greek = decode_in_chunks(decoder(Format::CSV, "windows-1253", "fail"), bytes, &[7]);
    // The records before the bytes come first, then the error, with the bytes' offset.
    assert!(matches!(greek[0], Outcome::Record(_)), "{greek:?}");
    let Outcome::Error {
        message, position, ..
    } = greek.last().unwrap()
    else {
        panic!("{greek:?}")
    };
    assert!(message.contains("not windows-1253 text"), "{message}");
    assert_eq!(position.byte, Some(22));
}

#[test]
fn records_are_written_in_another_encoding() {
    let record: Record = [
        ("name", Value::from("Ярослава")),
        ("city", Value::from("Київ")),
    ]
    .into_iter()
    .collect();
    for (encoding, python) in [
        ("cp1251", "cp1251"),
        ("utf-16le", "utf-16"),
        ("utf-32be", "utf-32-be"),
    ] {
        let mut encoder = Format::CSV
            .encoder(&FormatOptions::default().with("encoding", encoding))
            .unwrap();
        let mut out = BytesMut::new();
        encoder.encode(&record, &mut out).unwrap();
        encoder.finish(&mut out).unwrap();
        // Python reads what was written as the text it is.
        let read = Command::new("python3")
            .arg("-c")
            .arg("import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode(sys.argv[1]).encode('utf-8'))")
            .arg(python)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(&out)?;
                child.wait_with_output()
            })
            .unwrap();
        assert!(read.status.success(), "{encoding}");
        let text = String::from_utf8(read.stdout).unwrap();
        assert_eq!(
            text.trim_start_matches('\u{FEFF}'),
            "name,city\nЯрослава,Київ\n",
            "{encoding}"
        );
    }
    let mut latin1 = Format::CSV
        .encoder(&FormatOptions::default().with("encoding", "latin1"))
        .unwrap();
    let mut out = BytesMut::new();
    let error = latin1.encode(&record, &mut out).unwrap_err();
    assert!(
        error
            .message()
            .contains("cannot be written in windows-1252"),
        "{error}"
    );
    assert_eq!(error.position().record, Some(1));
    assert!(out.is_empty());
}

#[test]
fn binary_formats_take_no_encoding() {
    let error = Format::PARQUET
        .ranged_decoder(&FormatOptions::default().with("encoding", "cp1251"), 100)
        .err()
        .unwrap();
    assert!(
        error.message().contains("no option \"encoding\""),
        "{error}"
    );
}

#[test]
fn what_a_review_found_stays_fixed() {
    // A character cut off by the end of the input, and a lone surrogate cut across two
    // chunks: the same offset whatever the cuts, and no arithmetic overflow.
    for (input, at) in [(&b"A\x00B"[..], 2), (&b"A\x00\x00\xDCB\x00"[..], 2)] {
        let outcomes: Vec<Vec<Outcome>> = (0..input.len())
            .map(|cut| decode_in_chunks(decoder(Format::CSV, "utf-16le", "fail"), input, &[cut]))
            .collect();
        for outcome in &outcomes {
            let Some(Outcome::Error { position, .. }) = outcome.last() else {
                panic!("{outcome:?}")
            };
            assert_eq!(position.byte, Some(at), "{input:?}: {outcomes:?}");
        }
    }
    // UTF-32 with a word that is no character, cut anywhere.
    let utf32 = b"\x7b\x00\x00\x00\x00\x00\x11\x00";
    for cut in 0..utf32.len() {
        let outcome = decode_in_chunks(decoder(Format::CSV, "utf-32le", "fail"), utf32, &[cut]);
        let Some(Outcome::Error { position, .. }) = outcome.last() else {
            panic!()
        };
        assert_eq!(position.byte, Some(4), "cut at {cut}");
    }
    // UTF-16 of ASCII alone, with no byte order mark: found by its NULs.
    let utf16: Vec<u8> = "a,b\n1,2\n"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let found = iterable_formats::encoding::detect_encoding(&utf16, true);
    assert_eq!(found.encoding.name(), "utf-16be");
    // An XML declaration names its encoding.
    let declared = iterable_formats::encoding::detect_encoding(
        b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><r/>",
        true,
    );
    assert_eq!(declared.encoding.name(), "windows-1251");
    // Binary bytes are no legacy text.
    let binary = iterable_formats::encoding::detect_encoding(&[0x89, b'P', 0, 0, 0xff, 1, 2], true);
    assert!(binary.encoding.is_utf8());

    // A record the encoding cannot hold takes nothing back from what came before it.
    let mut csv = Format::CSV
        .encoder(&FormatOptions::default().with("encoding", "latin1"))
        .unwrap();
    let mut out = BytesMut::new();
    let bad: Record = [("a", Value::from("ж"))].into_iter().collect();
    let good: Record = [("a", Value::from("é"))].into_iter().collect();
    assert!(csv.encode(&bad, &mut out).is_err());
    csv.encode(&good, &mut out).unwrap();
    assert_eq!(&out[..], b"a\n\xe9\n");
    // XML says the encoding it is written in.
    let mut xml = Format::XML
        .encoder(&FormatOptions::default().with("encoding", "cp1251"))
        .unwrap();
    let mut out = BytesMut::new();
    xml.encode(&[("a", Value::from("ж"))].into_iter().collect(), &mut out)
        .unwrap();
    xml.finish(&mut out).unwrap();
    assert!(out.starts_with(b"<?xml version=\"1.0\" encoding=\"windows-1251\"?>"));
    assert!(out.windows(8).any(|w| w == b"<a>\xe6</a>"), "{out:?}");
}
