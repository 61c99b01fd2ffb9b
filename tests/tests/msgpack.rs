//! MessagePack against its reference, Python's msgpack (`tests/peers/msgpack_peer.py`, run in
//! the venv that `tests/run.sh` makes): the files msgpack writes read as msgpack reads them,
//! every type; the files iterable writes read by msgpack as the originals; every adapter alike.

mod common;

use common::{ADAPTERS, read_with};
use iterable_core::Value;
use iterable_formats::ReadOptions;
use iterable_sync::ConvertOptions;
use iterable_tests::run_peer;
use std::path::Path;
use std::sync::OnceLock;

/// The files msgpack writes (`msgpack_peer.py write`), made once for every test here.
fn peer_files() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        run_peer("msgpack_peer.py", &["write", dir.path().to_str().unwrap()]);
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

const FILES: [&str; 3] = ["types.msgpack", "floats32.msgpack", "many.msgpack"];

#[test]
fn files_msgpack_wrote_read_as_msgpack_reads_them() {
    let out = tempfile::tempdir().unwrap();
    for name in FILES {
        let jsonl = out.path().join(name).with_extension("jsonl");
        iterable_sync::convert(&peer_file(name), text(&jsonl), &ConvertOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        run_peer(
            "msgpack_peer.py",
            &["same-as-jsonl", &peer_file(name), text(&jsonl)],
        );
    }
}

#[test]
fn files_we_write_read_in_msgpack_as_the_originals() {
    let out = tempfile::tempdir().unwrap();
    for name in FILES {
        let ours = out.path().join(name);
        iterable_sync::convert(&peer_file(name), text(&ours), &ConvertOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        run_peer(
            "msgpack_peer.py",
            &["same-values", &peer_file(name), text(&ours)],
        );
    }
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
    for name in FILES {
        let sync = read_with("sync", &peer_file(name), &ReadOptions::default()).unwrap();
        assert!(!sync.is_empty(), "{name}");
        for adapter in ADAPTERS {
            let records = read_with(adapter, &peer_file(name), &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{adapter} {name}: {e}"));
            assert!(records == sync, "{adapter} {name}: records differ");
        }
    }
    let many = read_with("sync", &peer_file("many.msgpack"), &ReadOptions::default()).unwrap();
    assert_eq!(many.len(), 5000);
    assert_eq!(many[4999].get("id"), Some(&Value::Int(4999)));
}

#[test]
fn typed_values_come_out_typed() {
    let records = read_with("sync", &peer_file("types.msgpack"), &ReadOptions::default()).unwrap();
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
