//! The blocking adapter end to end: detection, error positions, policies and limits.

use iterable_core::{ErrorKind, ErrorPolicy, Position, Value};
use iterable_formats::{Format, ReadOptions};
use iterable_sync::{from_reader, open, open_with};
use std::io::Read;

fn write(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn names_choose_the_format_and_dialect() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = write(&dir, "a.tsv", b"x\ty\n1,5\t2\n");
    let r = open(&tsv).unwrap().next().unwrap().unwrap();
    assert_eq!(r.get("x"), Some(&Value::from("1,5")));
    let psv = write(&dir, "a.psv", b"x|y\n1|2\n");
    assert_eq!(open(&psv).unwrap().count(), 1);
}

#[test]
fn content_detection_loses_no_bytes() {
    // The head read for detection is longer than the first chunk of every later read.
    let mut text = b"{\"n\":0}\n".to_vec();
    for n in 1..20_000 {
        text.extend_from_slice(format!("{{\"n\":{n}}}\n").as_bytes());
    }
    let reader = from_reader(&text[..], &ReadOptions::default()).unwrap();
    assert_eq!(reader.detection().format, Format::JSONL);
    let ns: Vec<i64> = reader
        .map(|r| r.unwrap().get("n").unwrap().as_i64().unwrap())
        .collect();
    assert_eq!(ns, (0..20_000).collect::<Vec<_>>());

    let dir = tempfile::tempdir().unwrap();
    let no_extension = write(&dir, "export", b"a;b\n1;2\n3;4\n");
    let mut reader = open(&no_extension).unwrap();
    let rows = reader.read_bulk(10).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].get("b"), Some(&Value::from("4")));
    assert_eq!(reader.detection().options.get("delimiter"), Some(";"));
}

#[test]
fn unknown_and_empty_inputs_say_why() {
    let err = from_reader(&b"\x00\x01\x02binary\xff"[..], &ReadOptions::default())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::UnknownFormat);
    assert!(
        err.to_string().contains("none of csv, jsonl, json"),
        "{err}"
    );
    // A JSON array of numbers is JSON, whose elements are not records.
    let outcomes: Vec<_> = from_reader(&b"[1,2,3]"[..], &ReadOptions::default())
        .unwrap()
        .collect();
    assert_eq!(outcomes.len(), 3);
    let err = outcomes[1].as_ref().unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1, byte 3, record 2: json: the element is a number, not a JSON object"
    );
    let err = from_reader(&b"  \n"[..], &ReadOptions::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("empty"), "{err}");
    let err = open("/no/such/dir/file.csv").err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().starts_with("/no/such/dir/file.csv: "),
        "{err}"
    );
}

#[test]
fn csv_errors_name_file_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "bad.csv",
        b"a,b\n1,2\n\"multi\nline\",x\n3,4,5\n6,7\n",
    );
    let mut reader = open(&path).unwrap();
    assert!(reader.read().unwrap().is_some());
    assert!(reader.read().unwrap().is_some());
    let err = reader.read().unwrap_err();
    assert_eq!(
        err.position(),
        Position {
            byte: Some(23),
            line: Some(5),
            record: Some(3)
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{path}: line 5, byte 23, record 3: csv: the row has 3 fields but the header has 2 fields"
        )
    );
    // a recoverable error: the next row follows
    assert_eq!(
        reader.read().unwrap().unwrap().get("b"),
        Some(&Value::from("7"))
    );
    assert!(reader.read().unwrap().is_none());
}

#[test]
fn jsonl_errors_name_line_and_byte() {
    let input = b"{\"a\":1}\n{\"a\":tru}\n\"text\"\n{\"a\":2}\n";
    let options = ReadOptions {
        error_policy: ErrorPolicy::Collect,
        ..ReadOptions::default()
    };
    let mut reader = from_reader(&input[..], &options).unwrap();
    let good: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(good.len(), 2);
    let errors = reader.errors();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].position().line, Some(2));
    assert!(errors[0].position().byte.unwrap() >= 8, "{:?}", errors[0]);
    assert_eq!(
        errors[1].position(),
        Position {
            byte: Some(18),
            line: Some(3),
            record: Some(3)
        }
    );
    assert_eq!(
        errors[1].message(),
        "the line is a string, not a JSON object"
    );
    assert_eq!(reader.stats().skipped, 2);
}

#[test]
fn skip_policy_and_lenient_rows() {
    let input = b"a,b\n1\n2,3\n4,5,6\n";
    let skip = ReadOptions {
        error_policy: ErrorPolicy::Skip,
        ..ReadOptions::default()
    };
    let reader = from_reader(&input[..], &skip).unwrap();
    assert_eq!(reader.map(Result::unwrap).count(), 1);
    let mut lenient = ReadOptions::default();
    lenient.options.set("ragged", "lenient");
    let rows: Vec<_> = from_reader(&input[..], &lenient)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].get("b"), Some(&Value::Null));
    assert_eq!(rows[2].get("column_3"), Some(&Value::from("6")));
}

/// An endless input: `prefix`, then the same byte forever, counting what was read.
struct Endless {
    prefix: &'static [u8],
    byte: u8,
    read: u64,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = if (self.read as usize) < self.prefix.len() {
            let rest = &self.prefix[self.read as usize..];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            n
        } else {
            buf.fill(self.byte);
            buf.len()
        };
        self.read += n as u64;
        Ok(n)
    }
}

#[test]
fn a_line_without_end_hits_the_record_limit() {
    let limit = 1 << 20;
    for (format, prefix) in [
        (Format::CSV, &b"a,b\n1,2\n3,\""[..]),
        (Format::JSONL, &b"{\"a\":1}\n{\"a\":\""[..]),
    ] {
        let options = ReadOptions {
            format: Some(format),
            max_record_size: limit,
            ..ReadOptions::default()
        };
        let input = Endless {
            prefix,
            byte: b'x',
            read: 0,
        };
        let mut reader = from_reader(input, &options).unwrap();
        assert!(reader.read().unwrap().is_some());
        let err = reader.read().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{format:?}");
        assert_eq!(
            err.position().line,
            Some(if format == Format::CSV { 3 } else { 2 })
        );
        assert_eq!(err.position().record, Some(2));
        // it stopped within a read or two of the limit
        assert!(
            reader.stats().bytes_read < (limit as u64) * 2,
            "{format:?} read {}",
            reader.stats().bytes_read
        );
    }
}

#[test]
fn an_overlong_jsonl_line_is_skipped_and_reading_goes_on() {
    let mut input = b"{\"a\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'x', 5 << 20));
    input.extend_from_slice(b"\"}\n{\"a\":2}\n");
    // Named: a first line this long could as well be one minified JSON document.
    let options = ReadOptions {
        format: Some(Format::JSONL),
        max_record_size: 1 << 20,
        error_policy: ErrorPolicy::Collect,
        ..ReadOptions::default()
    };
    let mut reader = from_reader(&input[..], &options).unwrap();
    let rows: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get("a"), Some(&Value::Int(2)));
    assert_eq!(reader.errors()[0].kind(), ErrorKind::LimitExceeded);
}

#[test]
fn given_format_and_options_beat_detection() {
    let options = ReadOptions::default().with_format_name("tsv").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "looks.csv", b"a\tb\n1,2\t3\n");
    let r = open_with(&path, &options).unwrap().next().unwrap().unwrap();
    assert_eq!(r.get("a"), Some(&Value::from("1,2")));
    assert!(
        ReadOptions::default()
            .with_format_name("no-such-format")
            .is_err()
    );
}
