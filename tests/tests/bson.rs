//! BSON against a reference, pymongo's bson (`tests/peers/bson_peer.py`, run in the venv that
//! `tests/run.sh` makes): the files bson writes read as bson reads them, every type; the files
//! iterable writes read by bson as the originals; every adapter alike.

mod common;

use common::{ADAPTERS, read_with};
use iterable_core::Value;
use iterable_formats::ReadOptions;
use iterable_sync::ConvertOptions;
use iterable_tests::run_peer;
use std::path::Path;
use std::sync::OnceLock;

/// The files bson writes (`bson_peer.py write`), made once for every test here.
fn peer_files() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        run_peer("bson_peer.py", &["write", dir.path().to_str().unwrap()]);
        dir
    })
    .path()
}

fn peer_file(name: &str) -> String {
    peer_files().join(name).to_str().unwrap().to_owned()
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

const FILES: [&str; 2] = ["types.bson", "many.bson"];

#[test]
fn files_bson_wrote_read_as_bson_reads_them() {
    let out = tempfile::tempdir().unwrap();
    for name in FILES {
        let jsonl = out.path().join(name).with_extension("jsonl");
        iterable_sync::convert(&peer_file(name), text(&jsonl), &ConvertOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        run_peer(
            "bson_peer.py",
            &["same-as-jsonl", &peer_file(name), text(&jsonl)],
        );
    }
}

#[test]
fn files_we_write_read_in_bson_as_the_originals() {
    let out = tempfile::tempdir().unwrap();
    for name in FILES {
        let ours = out.path().join(name);
        iterable_sync::convert(&peer_file(name), text(&ours), &ConvertOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        run_peer(
            "bson_peer.py",
            &["same-values", &peer_file(name), text(&ours)],
        );
    }
    // Through JSON Lines and back: the Extended JSON objects become their BSON types again.
    let jsonl = out.path().join("types.jsonl");
    iterable_sync::convert(
        &peer_file("types.bson"),
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
    let original = read_with("sync", &peer_file("types.bson"), &ReadOptions::default()).unwrap();
    assert_eq!(
        read[3], original[3],
        "regex, timestamp, code, keys from JSON"
    );
    // A binary's base64 as JSON text: the binary again (a generic one is only text in JSON).
    assert_eq!(read[2].get("uuid"), original[2].get("uuid"));
}

#[test]
fn every_adapter_reads_the_same_records() {
    for name in FILES {
        let sync = read_with("sync", &peer_file(name), &ReadOptions::default()).unwrap();
        assert!(!sync.is_empty(), "{name}");
        for adapter in ADAPTERS {
            let records = read_with(adapter, &peer_file(name), &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{adapter} {name}: {e}"));
            assert!(records == sync, "{adapter} {name}: records differ");
        }
    }
    let many = read_with("sync", &peer_file("many.bson"), &ReadOptions::default()).unwrap();
    assert_eq!(many.len(), 5000);
    assert_eq!(many[4999].get("id"), Some(&Value::Int(4999)));
}

#[test]
fn typed_values_come_out_typed() {
    let records = read_with("sync", &peer_file("types.bson"), &ReadOptions::default()).unwrap();
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
