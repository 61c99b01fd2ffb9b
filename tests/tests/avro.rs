//! Avro against a reference, fastavro (`tests/peers/avro_peer.py`, run in the venv that
//! `tests/run.sh` makes): the files fastavro writes, with every codec and every logical type,
//! read as fastavro reads them; the files we write read by fastavro as the originals; every
//! adapter alike.

mod common;

use common::{ADAPTERS, Peer, read_with};
use iterable_core::Value;
use iterable_formats::ReadOptions;
use iterable_sync::ConvertOptions;

static PEER: Peer = Peer::new("avro_peer.py");

/// One file per codec, many records in blocks of 500, and a schema that is not a record.
const FILES: [&str; 8] = [
    "rows-null.avro",
    "rows-deflate.avro",
    "rows-snappy.avro",
    "rows-zstandard.avro",
    "rows-bzip2.avro",
    "rows-xz.avro",
    "many.avro",
    "arrays.avro",
];

#[test]
fn files_fastavro_wrote_read_as_fastavro_reads_them() {
    PEER.reads_as_we_do(&FILES);
}

#[test]
fn every_codec_and_adapter_reads_the_same_records() {
    let null = read_with(
        "sync",
        &PEER.file("rows-null.avro"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(null.len(), 50);
    for name in FILES {
        let sync = read_with("sync", &PEER.file(name), &ReadOptions::default()).unwrap();
        if name.starts_with("rows-") {
            assert_eq!(sync, null, "{name}");
        }
        for adapter in ADAPTERS {
            let records = read_with(adapter, &PEER.file(name), &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{adapter} {name}: {e}"));
            assert!(records == sync, "{adapter} {name}: records differ");
        }
    }
    let many = PEER.records("many.avro");
    assert_eq!(many.len(), 5000);
    assert_eq!(many[4999].get("small"), Some(&Value::Int(-4999)));
}

#[test]
fn logical_types_come_out_typed() {
    let records = read_with(
        "sync",
        &PEER.file("rows-deflate.avro"),
        &ReadOptions::default(),
    )
    .unwrap();
    let typed = |name: &str| {
        let value = records[1].get(name).unwrap();
        value.typed_text().unwrap_or_else(|| format!("{value:?}"))
    };
    assert_eq!(typed("day"), "2024-02-01");
    assert_eq!(typed("at_ms"), "2024-01-31T13:45:00.25Z");
    assert_eq!(typed("at_us"), "2024-01-31T13:45:00.123456Z");
    assert_eq!(typed("local_us"), "2024-01-31T13:45:00.000005");
    assert_eq!(typed("clock_ms"), "13:45:00.25");
    assert_eq!(typed("price"), "-122.450");
    assert_eq!(typed("fixed_price"), "99.99");
    assert_eq!(
        records[1]
            .get("again")
            .and_then(Value::as_object)
            .unwrap()
            .get("x"),
        Some(&Value::Int(7))
    );
}

#[test]
fn files_we_write_read_in_fastavro_as_the_originals() {
    // Every codec, many blocks; not arrays.avro, whose records (`{"value": [...]}`) are
    // written as records.
    PEER.reads_what_we_write(&FILES[..7]);
    // Each codec of ours, read by fastavro.
    let out = tempfile::tempdir().unwrap();
    for codec in ["null", "deflate", "snappy", "zstandard", "bzip2", "xz"] {
        let ours = out.path().join(format!("{codec}.avro"));
        let options = ConvertOptions {
            write: iterable_formats::WriteOptions::default().with_option("codec", codec),
            ..ConvertOptions::default()
        };
        let many = PEER.file("many.avro");
        iterable_sync::convert(&many, ours.to_str().unwrap(), &options)
            .unwrap_or_else(|e| panic!("{codec}: {e}"));
        iterable_tests::run_peer(
            "avro_peer.py",
            &["same-values", &many, ours.to_str().unwrap()],
        );
    }
    // What we write from JSON Lines, typed by the values (integers stay integers), read by
    // fastavro as we read it.
    let out = tempfile::tempdir().unwrap();
    let jsonl = out.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":1,\"x\":1.5,\"s\":\"é\",\"n\":null,\"nested\":{\"a\":[1,2]}}\n\
         {\"id\":2,\"x\":2,\"s\":\"\",\"n\":7,\"nested\":{\"a\":[]}}\n",
    )
    .unwrap();
    let ours = out.path().join("from-jsonl.avro");
    let again = out.path().join("again.jsonl");
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    iterable_sync::convert(&path(&jsonl), &path(&ours), &ConvertOptions::default()).unwrap();
    iterable_sync::convert(&path(&ours), &path(&again), &ConvertOptions::default()).unwrap();
    iterable_tests::run_peer(
        "avro_peer.py",
        &["same-as-jsonl", &path(&ours), &path(&again)],
    );
    let back = read_with("sync", &path(&ours), &ReadOptions::default()).unwrap();
    assert_eq!(back[0].get("id"), Some(&Value::Int(1)));
    assert_eq!(back[1].get("x"), Some(&Value::Float(2.0)));
    assert_eq!(back[1].get("n"), Some(&Value::Int(7)));
}

#[test]
fn the_files_schema_reaches_the_writer() {
    // Avro to Parquet: every column keeps its type (int stays int32, decimals their scale,
    // local timestamps no zone), so the rows read back the same.
    let out = tempfile::tempdir().unwrap();
    let parquet = out.path().join("rows.parquet");
    let avro = PEER.file("rows-null.avro");
    iterable_sync::convert(&avro, parquet.to_str().unwrap(), &ConvertOptions::default()).unwrap();
    let from_avro = read_with("sync", &avro, &ReadOptions::default()).unwrap();
    let from_parquet =
        read_with("sync", parquet.to_str().unwrap(), &ReadOptions::default()).unwrap();
    assert_eq!(from_parquet, from_avro);
    // The Parquet file's own schema (known after the first read): the Avro file's types.
    let mut reader = iterable_sync::open(parquet.to_str().unwrap()).unwrap();
    reader.next().unwrap().unwrap();
    let schema = reader
        .schema()
        .expect("a Parquet file has a schema")
        .clone();
    let small = schema.field("small").unwrap();
    assert_eq!(small.data_type, iterable_core::DataType::Int32);
    assert!(schema.field("score").unwrap().nullable);
}
