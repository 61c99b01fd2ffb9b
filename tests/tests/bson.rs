//! BSON against a reference, pymongo's bson (`tests/peers/bson_peer.py`, run in the venv that
//! `tests/run.sh` makes): the files bson writes read as bson reads them, every type; the files
//! iterable writes read by bson as the originals; every adapter alike.

mod common;

use common::{Peer, read_with};
use iterable_core::Value;
use iterable_formats::ReadOptions;
use iterable_sync::ConvertOptions;
use std::path::Path;

static PEER: Peer = Peer::new("bson_peer.py");

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

const FILES: [&str; 2] = ["types.bson", "many.bson"];

#[test]
fn files_bson_wrote_read_as_bson_reads_them() {
    PEER.reads_as_we_do(&FILES);
}

#[test]
fn files_we_write_read_in_bson_as_the_originals() {
    let out = tempfile::tempdir().unwrap();
    PEER.reads_what_we_write(&FILES);
    // Through JSON Lines and back: the Extended JSON objects become their BSON types again.
    let jsonl = out.path().join("types.jsonl");
    iterable_sync::convert(
        &PEER.file("types.bson"),
        text(&jsonl),
        &ConvertOptions::default(),
    )
    .unwrap();
    let again = out.path().join("again.bson");
    iterable_sync::convert(text(&jsonl), text(&again), &ConvertOptions::default()).unwrap();
    let read = read_with("sync", text(&again), &ReadOptions::default()).unwrap();
    let oid = read[0].get("_id").and_then(Value::as_object).unwrap();
    assert_eq!(
        oid.get("$oid"),
        Some(&Value::from("65ba4e2c9f1b2c3d4e5f6a7b"))
    );
    let original = PEER.records("types.bson");
    assert_eq!(
        read[3], original[3],
        "regex, timestamp, code, keys from JSON"
    );
    // A binary's base64 as JSON text: the binary again (a generic one is only text in JSON).
    assert_eq!(read[2].get("uuid"), original[2].get("uuid"));
}

#[test]
fn every_adapter_reads_the_same_records() {
    PEER.every_adapter_reads_alike(&FILES);
    let many = PEER.records("many.bson");
    assert_eq!(many.len(), 5000);
    assert_eq!(many[4999].get("id"), Some(&Value::Int(4999)));
}

#[test]
fn typed_values_come_out_typed() {
    let records = PEER.records("types.bson");
    let typed = |record: usize, name: &str| {
        let value = records[record].get(name).unwrap();
        value.typed_text().unwrap_or_else(|| format!("{value:?}"))
    };
    assert_eq!(typed(2, "at"), "2024-01-31T13:45:00.25Z");
    assert_eq!(typed(2, "before"), "1969-12-31T23:59:59Z");
    assert_eq!(typed(2, "price"), "-123.450");
    assert_eq!(typed(2, "sci"), "1050");
    assert_eq!(records[1].get("id"), Some(&Value::Int(i64::MAX)));
    let nan = records[2].get("nan").and_then(Value::as_object).unwrap();
    assert_eq!(nan.get("$numberDecimal"), Some(&Value::from("NaN")));
}
