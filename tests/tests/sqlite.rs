//! SQLite against Python's sqlite3 (`tests/peers/sqlite_peer.py`): the databases it writes
//! read as it reads them (a table of 10,000 rows, read 4096 at a time by rowid), tables
//! chosen by name, views, a table without rowid and one whose column is called `rowid`,
//! queries; every adapter alike; over HTTP; the tables listed. Databases written, as
//! sqlite3 finds them: storage classes and declared types, tables added to a database that
//! is there, the modes, failures that leave the file as it was, every adapter alike.

mod common;

use common::{ADAPTERS, Peer, read_with, write_with};
use iterable_core::{BigInt, Date, Decimal, Record, TimeUnit, Timestamp, Value};
use iterable_formats::{ReadOptions, WriteOptions};
use iterable_tests::range_server::RangeServer;
use serde_json::json;

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

/// The database at `path` as Python's sqlite3 finds it (`sqlite_peer.py dump`).
fn dump(path: &std::path::Path) -> serde_json::Value {
    let out = iterable_tests::peer_output("sqlite_peer.py", &["dump", path.to_str().unwrap()]);
    let dump: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(dump["integrity"], "ok", "{dump}");
    dump
}

fn into_table(name: &str) -> WriteOptions {
    WriteOptions::default().with_option("table", name)
}

/// Writes `records` to `path` with the sync adapter.
fn write(
    path: &std::path::Path,
    options: &WriteOptions,
    records: &[Record],
) -> iterable_core::Result<()> {
    write_with("sync", path.to_str().unwrap(), options, records)
}

fn row(id: i64) -> Record {
    [
        ("id", Value::Int(id)),
        ("name", Value::from(format!("row {id}"))),
    ]
    .into_iter()
    .collect()
}

#[test]
fn written_values_keep_their_storage_classes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("things.db");
    let first: Record = [
        ("id", Value::Int(1)),
        ("name", Value::from("Ada")),
        ("score", Value::Float(1.5)),
        ("ok", Value::Bool(true)),
        ("photo", Value::Bytes(vec![1, 0, 255].into())),
        ("born", Value::Date(Date::from_ymd(2024, 1, 31).unwrap())),
        (
            "at",
            Value::Timestamp(Timestamp::new(
                1_706_695_200,
                TimeUnit::Second,
                Some("UTC".into()),
            )),
        ),
        (
            "price",
            Value::Decimal(Decimal::new(12_345_000_000_000_000_000, 20, 2)),
        ),
        (
            "big",
            Value::BigInt(BigInt::parse("18446744073709551616").unwrap()),
        ),
        ("tags", Value::Array(vec![Value::Int(1), Value::from("x")])),
        ("note", Value::Null),
        ("mixed", Value::Int(7)),
    ]
    .into_iter()
    .collect();
    let second: Record = [
        ("id", Value::Int(2)),
        ("name", Value::from("007")),
        ("score", Value::Int(2)),
        ("note", Value::from("later")),
        ("mixed", Value::from("seven")),
    ]
    .into_iter()
    .collect();
    // Past the records that made the table: a new field is a new column.
    let third: Record = [("id", Value::Int(3)), ("extra", Value::Int(5))]
        .into_iter()
        .collect();
    write(
        &path,
        &into_table("things").with_option("infer_rows", "2"),
        &[first, second, third],
    )
    .unwrap();
    let dump = dump(&path);
    let things = &dump["tables"]["things"];
    assert_eq!(
        things["columns"],
        json!([
            ["id", "INTEGER"],
            ["name", "TEXT"],
            ["score", "REAL"],
            ["ok", "BOOLEAN"],
            ["photo", "BLOB"],
            ["born", "DATE"],
            ["at", "TIMESTAMP"],
            ["price", "TEXT"],
            ["big", "TEXT"],
            ["tags", "JSON"],
            ["note", "TEXT"],
            ["mixed", ""],
            ["extra", "INTEGER"]
        ])
    );
    let nul = json!(["null", null]);
    assert_eq!(
        things["rows"],
        json!([
            [
                ["integer", 1],
                ["text", "Ada"],
                ["real", "1.5"],
                ["integer", 1],
                ["blob", "AQD/"],
                ["text", "2024-01-31"],
                ["text", "2024-01-31T10:00:00Z"],
                ["text", "123450000000000000.00"],
                ["text", "18446744073709551616"],
                ["text", "[1,\"x\"]"],
                nul,
                ["integer", 7],
                nul
            ],
            [
                ["integer", 2],
                ["text", "007"],
                ["real", "2.0"],
                nul,
                nul,
                nul,
                nul,
                nul,
                nul,
                nul,
                ["text", "later"],
                ["text", "seven"],
                nul
            ],
            [
                ["integer", 3],
                nul,
                nul,
                nul,
                nul,
                nul,
                nul,
                nul,
                nul,
                nul,
                nul,
                nul,
                ["integer", 5]
            ]
        ])
    );
    // Read back by iterable: each value as its storage class.
    let read = read_with("sync", path.to_str().unwrap(), &ReadOptions::default()).unwrap();
    assert_eq!(read.len(), 3);
    assert_eq!(read[1].get("name"), Some(&Value::from("007")));
    assert_eq!(
        read[0].get("price"),
        Some(&Value::from("123450000000000000.00"))
    );
}

#[test]
fn tables_are_added_to_a_database_and_failures_leave_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.db");
    write(&path, &into_table("a"), &[row(1), row(2)]).unwrap();
    write(&path, &into_table("b"), &[row(10)]).unwrap();
    let rows = |table: &str| {
        dump(&path)["tables"][table]["rows"]
            .as_array()
            .map(Vec::len)
    };
    assert_eq!((rows("a"), rows("b")), (Some(2), Some(1)));
    let before = std::fs::read(&path).unwrap();

    // The table there: an error by default, and the file as it was.
    let error = write(&path, &into_table("A"), &[row(3)]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("table \"a\" is in the database already: -O mode=append"),
        "{error}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // A value that the new table's column would change, in its third record.
    let text: Record = [("id", Value::from("three"))].into_iter().collect();
    let options = into_table("c").with_option("infer_rows", "1");
    let error = write(&path, &options, &[row(1), row(2), text]).unwrap_err();
    assert_eq!(error.position().record, Some(3), "{error}");
    assert!(
        error
            .to_string()
            .contains("field \"id\" holds a string, which its INTEGER column"),
        "{error}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    for (record, expected) in [
        (
            [("x", Value::Float(f64::NAN))]
                .into_iter()
                .collect::<Record>(),
            "field \"x\" holds NaN, which SQLite would store as NULL",
        ),
        (
            [("x", Value::Int(1)), ("X", Value::Int(2))]
                .into_iter()
                .collect(),
            "fields \"x\" and \"X\" would be one column",
        ),
    ] {
        let error = write(&path, &into_table("d"), &[record]).unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    write(
        &path,
        &into_table("a").with_option("mode", "append"),
        &[row(3)],
    )
    .unwrap();
    assert_eq!((rows("a"), rows("b")), (Some(3), Some(1)));
    write(
        &path,
        &into_table("a").with_option("mode", "replace"),
        &[row(4)],
    )
    .unwrap();
    assert_eq!((rows("a"), rows("b")), (Some(1), Some(1)));
    assert_eq!(
        dump(&path)["tables"]["a"]["rows"][0][0],
        json!(["integer", 4])
    );
    // A remote target is refused before anything is asked of the store.
    for adapter in ADAPTERS {
        let error =
            write_with(adapter, "s3://bucket/out.db", &into_table("a"), &[row(1)]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("written to local files and stdout only"),
            "{adapter}: {error}"
        );
    }
    let error = write(
        &path,
        &into_table("a").with_option("mode", "merge"),
        &[row(5)],
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("create, append or replace"),
        "{error}"
    );
}

#[test]
fn a_database_sqlite3_wrote_is_added_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.db");
    std::fs::copy(PEER.file("many.db"), &path).unwrap();
    let before = dump(&path);
    let append = into_table("people").with_option("mode", "append");
    let new: Record = [
        ("id", Value::Int(100)),
        ("name", Value::from("new")),
        ("joined", Value::from("2025-01-01")),
    ]
    .into_iter()
    .collect();
    write(&path, &append, &[new]).unwrap();
    let after = dump(&path);
    let people = after["tables"]["people"]["rows"].as_array().unwrap();
    assert_eq!(people.len(), 6);
    assert_eq!(people[5][0], json!(["integer", 100]));
    assert_eq!(people[5][4], json!(["text", "2025-01-01"]));
    for table in ["keyed", "odd name"] {
        assert_eq!(after["tables"][table], before["tables"][table], "{table}");
    }
    // A row that breaks the table's own constraint (its primary key) is an error naming the
    // record, and the database stays as it was.
    let bytes = std::fs::read(&path).unwrap();
    let error = write(&path, &append, &[row(200), row(1)]).unwrap_err();
    assert_eq!(error.position().record, Some(2), "{error}");
    assert!(
        error.to_string().contains("UNIQUE constraint failed"),
        "{error}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // A file that is not a database is left alone.
    let text = dir.path().join("text.db");
    std::fs::write(
        &text,
        "not a database, but a text file that is long enough to look like one ".repeat(20),
    )
    .unwrap();
    let error = write(&text, &into_table("t"), &[row(1)]).unwrap_err();
    assert!(error.to_string().contains("left as it is"), "{error}");
}

#[test]
fn every_adapter_writes_alike() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Record> = (0..5000).map(row).collect();
    let mut written = Vec::new();
    for adapter in ADAPTERS {
        let path = dir.path().join(format!("{adapter}.db"));
        let path = path.to_str().unwrap().to_owned();
        // Two writes: a new database, then a table added to it.
        for table in ["first", "second"] {
            write_with(adapter, &path, &into_table(table), &records)
                .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        }
        let second = read_with(
            "sync",
            &path,
            &ReadOptions::default().with_option("table", "second"),
        )
        .unwrap();
        assert!(second == records, "{adapter}");
        written.push(dump(std::path::Path::new(&path)));
    }
    assert!(written.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn a_record_that_fails_leaves_nothing_behind() {
    use iterable_core::Encoder;
    let format = iterable_formats::Format::from_name("sqlite").unwrap();
    let options = iterable_formats::FormatOptions::default().with("infer_rows", "1");
    let mut encoder = format.encoder(&options).unwrap();
    let mut out = bytes::BytesMut::new();
    let one = |pairs: &[(&str, Value)]| -> Record { pairs.iter().cloned().collect() };
    encoder
        .encode(&one(&[("a", Value::Int(1))]), &mut out)
        .unwrap();
    // A new field and a NaN: the column it would add is not kept.
    let nan = one(&[("a", Value::Int(2)), ("b", Value::Float(f64::NAN))]);
    assert!(encoder.encode(&nan, &mut out).is_err());
    // A new field, and two that SQLite takes for one column.
    let clash = one(&[
        ("c", Value::Int(3)),
        ("a", Value::Int(3)),
        ("A", Value::Int(3)),
    ]);
    assert!(encoder.encode(&clash, &mut out).is_err());
    encoder
        .encode(&one(&[("a", Value::Int(4))]), &mut out)
        .unwrap();
    encoder.finish(&mut out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.db");
    std::fs::write(&path, &out).unwrap();
    let data = &dump(&path)["tables"]["data"];
    assert_eq!(data["columns"], json!([["a", "INTEGER"]]));
    assert_eq!(data["rows"], json!([[["integer", 1]], [["integer", 4]]]));

    // Before the table is made: a name SQLite takes for one already held is refused, and
    // the records held stay.
    let mut encoder = format.encoder(&Default::default()).unwrap();
    let mut out = bytes::BytesMut::new();
    encoder
        .encode(&one(&[("name", Value::from("x"))]), &mut out)
        .unwrap();
    let error = encoder
        .encode(&one(&[("NAME", Value::from("y"))]), &mut out)
        .unwrap_err();
    assert_eq!(error.position().record, Some(2), "{error}");
    encoder.finish(&mut out).unwrap();
    std::fs::write(&path, &out).unwrap();
    assert_eq!(
        dump(&path)["tables"]["data"]["rows"],
        json!([[["text", "x"]]])
    );
}
