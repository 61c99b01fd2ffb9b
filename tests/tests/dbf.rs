//! DBF tables against the `dbf` package (`tests/peers/dbf_peer.py`): dBase III with a memo
//! file, Visual FoxPro with its own, a cp1251 table, read as dbf reads them (deleted records
//! left out, memos longer than a block whole); code pages named; a memo file missing; every
//! adapter alike; over HTTP.

mod common;

use common::{ADAPTERS, Peer, read_with};
use iterable_core::Value;
use iterable_formats::ReadOptions;
use iterable_tests::range_server::RangeServer;

static PEER: Peer = Peer::new("dbf_peer.py");

#[test]
fn tables_read_as_dbf_reads_them() {
    PEER.reads_as_we_do(&["people.dbf", "cyrillic.dbf", "fox.dbf"]);
    // 5,000 rows, every seventh deleted.
    let people = PEER.records("people.dbf");
    assert_eq!(people.len(), 5000 - 715);
    // Row 505 (the 433rd kept): its memo is longer than a block of the .dbt.
    let notes = people[432].get("NOTES").and_then(Value::as_str).unwrap();
    assert_eq!(notes, format!("memo 505 {}", "x".repeat(505)));
    // The blank row: blank text and numbers null, the empty memo empty.
    let blank = &people[6];
    assert_eq!(blank.get("NAME"), Some(&Value::Null));
    assert_eq!(blank.get("AGE"), Some(&Value::Null));
    assert_eq!(blank.get("NOTES"), Some(&Value::from("")));
    assert_eq!(
        people[0]
            .get("SCORE")
            .and_then(Value::typed_text)
            .as_deref(),
        Some("-2.875")
    );
    let cyrillic = PEER.records("cyrillic.dbf");
    assert_eq!(cyrillic[1].get("NAME"), Some(&Value::from("Алан")));
    let fox = PEER.records("fox.dbf");
    assert_eq!(
        fox[0].get("PRICE").and_then(Value::typed_text).as_deref(),
        Some("-12.3456")
    );
    assert_eq!(
        fox[1].get("AT").and_then(Value::typed_text).as_deref(),
        Some("2024-01-31T14:45:00")
    );
}

#[test]
fn code_pages_are_named_and_memo_files_needed() {
    let cyrillic = PEER.file("cyrillic.dbf");
    let latin = ReadOptions::default().with_option("encoding", "cp1252");
    let read = read_with("sync", &cyrillic, &latin).unwrap();
    assert_eq!(read[1].get("NAME"), Some(&Value::from("Àëàí")));
    let bad = ReadOptions::default().with_option("encoding", "klingon");
    let error = read_with("sync", &cyrillic, &bad).unwrap_err();
    assert!(
        error.to_string().contains("expected a code page"),
        "{error}"
    );
    // Without its memo file, a table with memo fields is an error at once.
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("people.dbf");
    std::fs::copy(PEER.file("people.dbf"), &alone).unwrap();
    for adapter in ADAPTERS {
        let error =
            read_with(adapter, alone.to_str().unwrap(), &ReadOptions::default()).unwrap_err();
        assert!(
            error.to_string().contains("its memo file"),
            "{adapter}: {error}"
        );
    }
    // Its memo file named in capitals is found.
    std::fs::copy(PEER.file("people.dbt"), dir.path().join("people.DBT")).unwrap();
    let read = read_with("sync", alone.to_str().unwrap(), &ReadOptions::default()).unwrap();
    assert!(read == PEER.records("people.dbf"));
}

#[test]
fn every_adapter_reads_alike_and_over_http() {
    PEER.every_adapter_reads_alike(&["people.dbf", "fox.dbf", "cyrillic.dbf"]);
    let kit = concat!(env!("CARGO_MANIFEST_DIR"), "/data/kit.dbf");
    let server = RangeServer::start();
    server.put("/kit.dbf", &std::fs::read(kit).unwrap());
    server.put("/fox.dbf", &std::fs::read(PEER.file("fox.dbf")).unwrap());
    let local = read_with("sync", kit, &ReadOptions::default()).unwrap();
    assert_eq!(local.len(), 8);
    for adapter in ADAPTERS {
        let records = read_with(adapter, &server.url("/kit.dbf"), &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert!(records == local, "{adapter}");
        // Memo files are looked for beside local files only.
        let error =
            read_with(adapter, &server.url("/fox.dbf"), &ReadOptions::default()).unwrap_err();
        assert!(
            error.to_string().contains("its memo file"),
            "{adapter}: {error}"
        );
        // Unless the memo fields are not asked for.
        let columns = ReadOptions::default().with_option("columns", "price,id");
        let records = read_with(adapter, &server.url("/fox.dbf"), &columns).unwrap();
        assert_eq!(records.len(), 30, "{adapter}");
        assert_eq!(records[0].names().collect::<Vec<_>>(), ["PRICE", "ID"]);
    }
}

#[test]
fn a_table_cut_short_gives_its_records_then_an_error() {
    let kit = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/kit.dbf")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.dbf");
    // The header's 8 records, the file cut inside the sixth.
    let header = usize::from(u16::from_le_bytes([kit[8], kit[9]]));
    let size = usize::from(u16::from_le_bytes([kit[10], kit[11]]));
    std::fs::write(&path, &kit[..header + 5 * size + 3]).unwrap();
    let mut reader = iterable_sync::open(path.to_str().unwrap()).unwrap();
    for _ in 0..5 {
        reader.next().unwrap().unwrap();
    }
    let error = reader.next().unwrap().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the header counts 8 records, and the file holds 5"),
        "{error}"
    );
    assert_eq!(error.position().byte, Some((header + 5 * size) as u64));
    assert!(reader.next().is_none());
}
