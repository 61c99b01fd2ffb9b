//! What we write, we read back; and what the reference `csv` crate reads from our CSV is
//! what we wrote.

use iterable_core::{BigInt, Record, Value};
use iterable_formats::{Format, ReadOptions, WriteOptions};
use iterable_sync::{from_reader, to_writer};

fn write(format: Format, records: &[Record]) -> Vec<u8> {
    let options = WriteOptions {
        format: Some(format),
        ..WriteOptions::default()
    };
    let mut writer = to_writer(Vec::new(), &options).unwrap();
    writer.write_bulk(records).unwrap();
    writer.finish().unwrap()
}

fn read(format: Format, bytes: &[u8]) -> Vec<Record> {
    let options = ReadOptions {
        format: Some(format),
        ..ReadOptions::default()
    };
    from_reader(bytes, &options)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn jsonl_keeps_types_nesting_and_big_integers() {
    let nested: Record = [(
        "k",
        Value::Array(vec![Value::Null, 1.5.into(), "é\n\"".into()]),
    )]
    .into_iter()
    .collect();
    let records: Vec<Record> = vec![
        [
            ("int", Value::Int(i64::MIN)),
            (
                "big",
                Value::BigInt(BigInt::parse("-170141183460469231731687303715884105728").unwrap()),
            ),
            ("u64", Value::from(u64::MAX)),
            ("float", Value::Float(6.02214076e23)),
            ("tiny", Value::Float(5e-324)),
            ("bool", Value::Bool(false)),
            ("nested", Value::from(nested)),
        ]
        .into_iter()
        .collect(),
        Record::new(),
    ];
    let bytes = write(Format::JSONL, &records);
    assert_eq!(read(Format::JSONL, &bytes), records);
    // serde_json agrees on the text
    for (line, record) in bytes.split(|&b| b == b'\n').zip(&records) {
        let parsed: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(parsed.as_object().unwrap().len(), record.len());
    }
}

#[test]
fn csv_agrees_with_the_csv_crate() {
    let texts = [
        "plain",
        "",
        "a,b",
        "quote \"q\"",
        "line\nbreak",
        "cr\rlf\r\n",
        " padded ",
        "é😀",
        "#hash",
    ];
    let records: Vec<Record> = texts
        .iter()
        .map(|t| {
            [("text", Value::from(*t)), ("n", Value::Int(1))]
                .into_iter()
                .collect()
        })
        .collect();
    let bytes = write(Format::CSV, &records);
    let mut reference = csv::ReaderBuilder::new().from_reader(&bytes[..]);
    let theirs: Vec<String> = reference
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .collect();
    assert_eq!(theirs, texts);
    let ours: Vec<String> = read(Format::CSV, &bytes)
        .iter()
        .map(|r| r.get("text").unwrap().as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ours, texts);
}

#[test]
fn we_read_what_the_csv_crate_writes() {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    writer.write_record(["id", "note"]).unwrap();
    writer.write_record(["1", "semi;colon"]).unwrap();
    writer
        .write_record(["2", "multi\nline \"quoted\""])
        .unwrap();
    let bytes = writer.into_inner().unwrap();
    let rows = from_reader(&bytes[..], &ReadOptions::default())
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>();
    assert_eq!(rows[0].get("note"), Some(&Value::from("semi;colon")));
    assert_eq!(
        rows[1].get("note"),
        Some(&Value::from("multi\nline \"quoted\""))
    );
}

#[test]
fn a_single_empty_field_survives() {
    let records: Vec<Record> = ["", "x", ""]
        .iter()
        .map(|t| [("only", *t)].into_iter().collect())
        .collect();
    assert_eq!(read(Format::CSV, &write(Format::CSV, &records)), records);
}

#[test]
fn serde_round_trip_through_serde_json() {
    let record: Record = [("a", Value::Int(1)), ("b", Value::Array(vec!["x".into()]))]
        .into_iter()
        .collect();
    let text = serde_json::to_string(&record).unwrap();
    assert_eq!(text, r#"{"a":1,"b":["x"]}"#);
    let back: Record = serde_json::from_str(&text).unwrap();
    assert_eq!(back, record);
}
