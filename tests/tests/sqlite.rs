//! SQLite against Python's sqlite3 (`tests/peers/sqlite_peer.py`): the databases it writes
//! read as it reads them (a table of 10,000 rows, read 4096 at a time by rowid), tables
//! chosen by name, views, a table without rowid and one whose column is called `rowid`,
//! queries; every adapter alike; over HTTP; the tables listed.

mod common;

use common::{ADAPTERS, Peer, read_with};
use iterable_core::Value;
use iterable_formats::ReadOptions;
use iterable_tests::range_server::RangeServer;

static PEER: Peer = Peer::new("sqlite_peer.py");

fn table(name: &str) -> ReadOptions {
    ReadOptions::default().with_option("table", name)
}

#[test]
fn tables_read_as_sqlite3_reads_them() {
    let out = tempfile::tempdir().unwrap();
    for (file, name) in [
        ("one.sqlite", "people"),
        ("many.db", "keyed"),
        ("many.db", "odd name"),
        ("many.db", "adults"),
    ] {
        let jsonl = out.path().join("out.jsonl");
        let mut reader = iterable_sync::open_with(&PEER.file(file), &table(name)).unwrap();
        let mut writer = iterable_sync::create(jsonl.to_str().unwrap()).unwrap();
        for record in reader.by_ref() {
            writer.write(&record.unwrap()).unwrap();
        }
        writer.finish().unwrap();
        iterable_tests::run_peer(
            "sqlite_peer.py",
            &[
                "same-as-jsonl",
                &PEER.file(file),
                name,
                jsonl.to_str().unwrap(),
            ],
        );
    }
    // The only table by default: 10,000 rows, past two pages of 4096, in rowid order.
    let people = PEER.records("one.sqlite");
    assert_eq!(people.len(), 10_000);
    assert!(
        people
            .iter()
            .enumerate()
            .all(|(i, r)| r.get("id") == Some(&Value::Int(i as i64)))
    );
    assert_eq!(
        people[1].get("photo"),
        Some(&Value::Bytes(vec![1, 0, 255].into()))
    );
    assert_eq!(people[2].get("note"), Some(&Value::Float(1.5)));
}

#[test]
fn queries_errors_and_tables() {
    let many = PEER.file("many.db");
    let query = ReadOptions::default()
        .with_option("query", "SELECT count(*) AS n, max(id) AS top FROM people");
    let counted = read_with("sync", &many, &query).unwrap();
    assert_eq!(counted.len(), 1);
    assert_eq!(counted[0].get("n"), Some(&Value::Int(5)));
    for (options, expected) in [
        (
            ReadOptions::default(),
            "several tables: name one with -o table=NAME (the tables: people, keyed, odd name, adults)",
        ),
        (table("nope"), "no table \"nope\""),
        (
            ReadOptions::default().with_option("query", "SELEKT 1"),
            "SQLite: ",
        ),
    ] {
        let error = read_with("sync", &many, &options).unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
    let mut reader = iterable_sync::open_with(&many, &table("keyed")).unwrap();
    reader.next().unwrap().unwrap();
    assert_eq!(
        reader.tables().unwrap(),
        ["people", "keyed", "odd name", "adults"]
    );
}

#[test]
fn every_adapter_reads_alike_and_over_http() {
    PEER.every_adapter_reads_alike(&["one.sqlite"]);
    let server = RangeServer::start();
    server.put(
        "/one.sqlite",
        &std::fs::read(PEER.file("one.sqlite")).unwrap(),
    );
    for adapter in ADAPTERS {
        let records = read_with(adapter, &server.url("/one.sqlite"), &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert!(records == PEER.records("one.sqlite"), "{adapter}");
    }
}
