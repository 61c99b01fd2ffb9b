//! MessagePack against its reference, Python's msgpack (`tests/peers/msgpack_peer.py`, run in
//! the venv that `tests/run.sh` makes): the files msgpack writes read as msgpack reads them,
//! every type; the files iterable writes read by msgpack as the originals; every adapter alike.

mod common;

use common::{Peer, read_with};
use iterable_core::Value;
use iterable_formats::ReadOptions;
use iterable_sync::ConvertOptions;
use std::path::Path;

static PEER: Peer = Peer::new("msgpack_peer.py");

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

const FILES: [&str; 3] = ["types.msgpack", "floats32.msgpack", "many.msgpack"];

#[test]
fn files_msgpack_wrote_read_as_msgpack_reads_them() {
    PEER.reads_as_we_do(&FILES);
}

#[test]
fn files_we_write_read_in_msgpack_as_the_originals() {
    let out = tempfile::tempdir().unwrap();
    PEER.reads_what_we_write(&FILES);
    // From JSON Lines: typed values written as MessagePack's own types.
    let jsonl = out.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":18446744073709551615,\"x\":1.5,\"s\":\"é\",\"n\":null}\n",
    )
    .unwrap();
    let ours = out.path().join("from-jsonl.msgpack");
    iterable_sync::convert(text(&jsonl), text(&ours), &ConvertOptions::default()).unwrap();
    let back = read_with("sync", text(&ours), &ReadOptions::default()).unwrap();
    let max = iterable_core::BigInt::parse("18446744073709551615").unwrap();
    assert_eq!(back[0].get("id"), Some(&Value::BigInt(max)));
    assert_eq!(back[0].get("x"), Some(&Value::Float(1.5)));
}

#[test]
fn every_adapter_reads_the_same_records() {
    PEER.every_adapter_reads_alike(&FILES);
    let many = PEER.records("many.msgpack");
    assert_eq!(many.len(), 5000);
    assert_eq!(many[4999].get("id"), Some(&Value::Int(4999)));
}

#[test]
fn typed_values_come_out_typed() {
    let records = PEER.records("types.msgpack");
    let third = &records[2];
    assert_eq!(
        third.get("at").unwrap().typed_text().unwrap(),
        "2024-01-31T13:45:00.123456789Z"
    );
    assert_eq!(
        third.get("bytes"),
        Some(&Value::Bytes(bytes::Bytes::from_static(b"\x00\x01\xff")))
    );
    let ext = records[3].get("ext").and_then(Value::as_object).unwrap();
    assert_eq!(ext.get("$ext"), Some(&Value::Int(5)));
    assert_eq!(
        records[4].names().next(),
        Some("1"),
        "an integer key as its text"
    );
}
