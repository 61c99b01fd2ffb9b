//! CBOR against a reference, Python's cbor2 (`tests/peers/cbor_peer.py`, run in the venv that
//! `tests/run.sh` makes): the files cbor2 writes read as cbor2 reads them, every type; the files
//! iterable writes read by cbor2 as the originals; every adapter alike.

mod common;

use common::{Peer, read_with};
use iterable_core::Value;
use iterable_formats::ReadOptions;
use iterable_sync::ConvertOptions;
use std::path::Path;

static PEER: Peer = Peer::new("cbor_peer.py");

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A sequence of maps, the same maps as one array, and many maps.
const FILES: [&str; 3] = ["types.cbor", "array.cbor", "many.cbor"];

#[test]
fn files_cbor2_wrote_read_as_cbor2_reads_them() {
    PEER.reads_as_we_do(&FILES);
}

#[test]
fn files_we_write_read_in_cbor2_as_the_originals() {
    let out = tempfile::tempdir().unwrap();
    PEER.reads_what_we_write(&FILES);
    // From JSON Lines: typed values written as CBOR's own types.
    let jsonl = out.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":18446744073709551616,\"x\":1.5,\"s\":\"é\",\"n\":null,\"d\":-1.25}\n",
    )
    .unwrap();
    let ours = out.path().join("from-jsonl.cbor");
    iterable_sync::convert(text(&jsonl), text(&ours), &ConvertOptions::default()).unwrap();
    let back = read_with("sync", text(&ours), &ReadOptions::default()).unwrap();
    let big = iterable_core::BigInt::parse("18446744073709551616").unwrap();
    assert_eq!(back[0].get("id"), Some(&Value::BigInt(big)));
    assert_eq!(back[0].get("x"), Some(&Value::Float(1.5)));
}

#[test]
fn every_adapter_reads_the_same_records() {
    let sequence = PEER.records("types.cbor");
    let array = PEER.records("array.cbor");
    assert_eq!(
        array, sequence,
        "an array of maps reads as the sequence of them"
    );
    PEER.every_adapter_reads_alike(&FILES);
    let many = PEER.records("many.cbor");
    assert_eq!(many.len(), 5000);
    assert_eq!(many[4999].get("id"), Some(&Value::Int(4999)));
}

#[test]
fn typed_values_come_out_typed() {
    let records = PEER.records("types.cbor");
    let typed = |record: usize, name: &str| {
        let value = records[record].get(name).unwrap();
        value.typed_text().unwrap_or_else(|| format!("{value:?}"))
    };
    assert_eq!(typed(2, "at"), "2024-01-31T13:45:00.25Z");
    assert_eq!(typed(2, "east"), "2024-01-31T11:45:00Z");
    assert!(
        matches!(records[2].get("east"), Some(Value::Timestamp(t)) if t.zone() == Some("+02:00"))
    );
    assert_eq!(typed(2, "epoch"), "2024-01-31T13:45:00Z");
    assert_eq!(typed(2, "day"), "2024-01-31");
    assert_eq!(typed(2, "price"), "-123.450");
    assert_eq!(typed(2, "tiny"), "0.005");
    // 2^200, a bignum of 26 bytes.
    let huge = "1606938044258990275541962092341162602522202993782792835301376";
    assert_eq!(
        records[1].get("huge"),
        Some(&Value::BigInt(iterable_core::BigInt::parse(huge).unwrap()))
    );
    assert_eq!(
        records[1].get("neg"),
        Some(&Value::BigInt(
            iterable_core::BigInt::parse("-18446744073709551616").unwrap()
        ))
    );
    let tag = records[3].get("tag").and_then(Value::as_object).unwrap();
    assert_eq!(tag.get("$tag"), Some(&Value::Int(99)));
    assert_eq!(tag.get("$value"), Some(&Value::from("x")));
    assert_eq!(
        records[4].names().next(),
        Some("1"),
        "an integer key as its text"
    );
}
