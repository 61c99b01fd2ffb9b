//! The formats against their peers, side by side in one run, each reader in a process of its
//! own, best of three:
//!
//! - XML, 1,000,000 record elements (the throughput bench's rows, written by iterable): the
//!   iterable-sync reader, a bare quick-xml event loop that only walks the events (floor
//!   0.5x), Python's lxml `iterparse` with each element cleared (the parser IterableData
//!   uses), and IterableData's own XML reader on it (floor 10x records/s);
//! - InfluxDB line protocol, 1,000,000 points: the iterable-sync reader against a loop over
//!   the influxdb-line-protocol crate's `parse_lines`, which iterable parses each line with
//!   (floor 0.9x);
//! - transcoding: the rows as CSV with Cyrillic city names, in cp1251 and in UTF-8, read by
//!   the iterable-sync reader (floor: cp1251 costs at most 1.3x of UTF-8);
//! - MessagePack, the rows as maps (written by iterable): the iterable-sync reader against a
//!   loop over rmpv's `read_value_ref`, which iterable reads each value with (floor 0.9x), and
//!   Python's msgpack `Unpacker` (floor 10x records/s);
//! - CBOR, the rows as maps (written by iterable): the iterable-sync reader against a loop over
//!   ciborium's `from_reader` into `ciborium::Value` (floor 0.9x), and Python's cbor2;
//! - BSON, the rows as documents: the iterable-sync reader against a loop over the bson crate's
//!   `Document::from_reader` (floor 0.9x), and pymongo's `bson.decode_file_iter`;
//! - Avro, the rows in deflate blocks (written by fastavro; with a Python only): the
//!   iterable-sync reader against apache-avro's own `Reader` (floor 0.9x) and fastavro, which
//!   IterableData reads Avro with (floor 10x records/s).
//!
//! `cargo bench -p iterable-tests --bench formats` (also in `bench/run.sh`, which makes the
//! venv with iterabledata, lxml, msgpack, cbor2, pymongo and fastavro); `ITERABLE_BENCH_ROWS` sets the rows,
//! `ITERABLE_BENCH_PYTHON` the Python with them (no Python rows without it).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use iterable_tests::{BenchReader, fastest};

const RUNS: usize = 3;

fn main() {
    if let Ok(child) = std::env::var("ITERABLE_BENCH_CHILD") {
        let path = std::env::var("ITERABLE_BENCH_FILE").unwrap();
        return run_child(&child, Path::new(&path));
    }
    let rows = iterable_tests::bench_rows();
    let (csv, jsonl) = iterable_tests::bench_files();
    let xml = jsonl.with_extension("xml");
    if !xml.exists() {
        iterable_sync::convert(
            jsonl.to_str().unwrap(),
            xml.to_str().unwrap(),
            &Default::default(),
        )
        .unwrap();
    }
    let lp = line_protocol(&jsonl);
    let mb = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    let python = std::env::var("ITERABLE_BENCH_PYTHON").ok();

    println!(
        "XML: {rows} record elements ({:.0} MB); best of {RUNS}, each reader in a process of its own\n",
        mb(&xml)
    );
    println!("| reader | seconds | records/s | peak RSS | iterable is |");
    println!("|---|---:|---:|---:|---:|");
    let mut results = vec![
        (
            "iterable-sync reader (records built)",
            fastest(RUNS, &xml, BenchReader::Child("iterable")),
        ),
        (
            "quick-xml event loop (events only, no records)",
            fastest(RUNS, &xml, BenchReader::Child("quick-xml")),
        ),
    ];
    if let Some(python) = &python {
        results.push((
            "Python lxml `iterparse`, each element cleared (no records)",
            fastest(RUNS, &xml, BenchReader::Python(python, LXML)),
        ));
        results.push((
            "IterableData's XML reader (`open_iterable`, `tagname=item`)",
            fastest(RUNS, &xml, BenchReader::Python(python, ITERABLEDATA_XML)),
        ));
    }
    table(&results);

    println!(
        "\nInfluxDB line protocol: {rows} points ({:.0} MB)\n",
        mb(&lp)
    );
    println!("| reader | seconds | records/s | peak RSS | iterable is |");
    println!("|---|---:|---:|---:|---:|");
    table(&[
        (
            "iterable-sync reader (records built)",
            fastest(RUNS, &lp, BenchReader::Child("iterable")),
        ),
        (
            "influxdb-line-protocol `parse_lines` loop (parsed lines, no records)",
            fastest(RUNS, &lp, BenchReader::Child("influxdb-line-protocol")),
        ),
    ]);

    let msgpack = jsonl.with_extension("msgpack");
    if !msgpack.exists() {
        iterable_sync::convert(
            jsonl.to_str().unwrap(),
            msgpack.to_str().unwrap(),
            &Default::default(),
        )
        .unwrap();
    }
    println!("\nMessagePack: {rows} maps ({:.0} MB)\n", mb(&msgpack));
    println!("| reader | seconds | records/s | peak RSS | iterable is |");
    println!("|---|---:|---:|---:|---:|");
    let mut results = vec![
        (
            "iterable-sync reader (records built)",
            fastest(RUNS, &msgpack, BenchReader::Child("iterable")),
        ),
        (
            "rmpv `read_value_ref` loop (values, no records)",
            fastest(RUNS, &msgpack, BenchReader::Child("rmpv")),
        ),
    ];
    if let Some(python) = &python {
        results.push((
            "Python msgpack `Unpacker` (dicts)",
            fastest(RUNS, &msgpack, BenchReader::Python(python, PYTHON_MSGPACK)),
        ));
    }
    table(&results);

    let cbor = jsonl.with_extension("cbor");
    if !cbor.exists() {
        iterable_sync::convert(
            jsonl.to_str().unwrap(),
            cbor.to_str().unwrap(),
            &Default::default(),
        )
        .unwrap();
    }
    println!("\nCBOR: {rows} maps ({:.0} MB)\n", mb(&cbor));
    println!("| reader | seconds | records/s | peak RSS | iterable is |");
    println!("|---|---:|---:|---:|---:|");
    let mut results = vec![
        (
            "iterable-sync reader (records built)",
            fastest(RUNS, &cbor, BenchReader::Child("iterable")),
        ),
        (
            "ciborium `from_reader` loop (`ciborium::Value`s, no records)",
            fastest(RUNS, &cbor, BenchReader::Child("ciborium")),
        ),
    ];
    if let Some(python) = &python {
        results.push((
            "Python cbor2 `CBORDecoder.decode` loop (dicts)",
            fastest(RUNS, &cbor, BenchReader::Python(python, PYTHON_CBOR2)),
        ));
    }
    table(&results);

    let bson = jsonl.with_extension("bson");
    if !bson.exists() {
        iterable_sync::convert(
            jsonl.to_str().unwrap(),
            bson.to_str().unwrap(),
            &Default::default(),
        )
        .unwrap();
    }
    println!("\nBSON: {rows} documents ({:.0} MB)\n", mb(&bson));
    println!("| reader | seconds | records/s | peak RSS | iterable is |");
    println!("|---|---:|---:|---:|---:|");
    let mut results = vec![
        (
            "iterable-sync reader (records built)",
            fastest(RUNS, &bson, BenchReader::Child("iterable")),
        ),
        (
            "bson `Document::from_reader` loop (`bson::Document`s, no records)",
            fastest(RUNS, &bson, BenchReader::Child("bson")),
        ),
    ];
    if let Some(python) = &python {
        results.push((
            "Python pymongo `bson.decode_file_iter` (dicts)",
            fastest(RUNS, &bson, BenchReader::Python(python, PYTHON_BSON)),
        ));
    }
    table(&results);

    if let Some(python) = &python {
        let avro = avro_file(python, &jsonl);
        println!(
            "\nAvro: {rows} records ({:.0} MB, deflate blocks, by fastavro)\n",
            mb(&avro)
        );
        println!("| reader | seconds | records/s | peak RSS | iterable is |");
        println!("|---|---:|---:|---:|---:|");
        table(&[
            (
                "iterable-sync reader (records built)",
                fastest(RUNS, &avro, BenchReader::Child("iterable")),
            ),
            (
                "apache-avro `Reader` loop (`apache_avro::types::Value`s, no records)",
                fastest(RUNS, &avro, BenchReader::Child("apache-avro")),
            ),
            (
                "Python fastavro `reader` (dicts; what IterableData uses)",
                fastest(RUNS, &avro, BenchReader::Python(python, PYTHON_FASTAVRO)),
            ),
        ]);
    }

    let (utf8, cp1251) = cyrillic_csv(&csv);
    println!(
        "\nTranscoding: {rows} CSV rows with Cyrillic cities ({:.0} MB in UTF-8, {:.0} MB in cp1251)\n",
        mb(&utf8),
        mb(&cp1251)
    );
    println!("| input | seconds | records/s | peak RSS | UTF-8 is |");
    println!("|---|---:|---:|---:|---:|");
    table(&[
        (
            "UTF-8, iterable-sync reader",
            fastest(RUNS, &utf8, BenchReader::Child("iterable")),
        ),
        (
            "cp1251, iterable-sync reader (`-o encoding=cp1251`)",
            fastest(RUNS, &cp1251, BenchReader::Child("iterable-cp1251")),
        ),
    ]);
}

/// The CSV rows with their cities in Cyrillic, in UTF-8 and in cp1251.
fn cyrillic_csv(csv: &Path) -> (PathBuf, PathBuf) {
    let utf8 = csv.with_extension("cyrillic.csv");
    let cp1251 = csv.with_extension("cp1251.csv");
    if utf8.exists() && cp1251.exists() {
        return (utf8, cp1251);
    }
    let mut text = std::fs::read_to_string(csv).unwrap();
    for (latin, cyrillic) in [
        ("Oslo", "Осло"),
        ("Zürich", "Цюрих"),
        ("São Paulo", "Сан-Паулу"),
        ("Kyiv", "Київ"),
        ("Ōsaka", "Осака"),
    ] {
        text = text.replace(latin, cyrillic);
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&text);
    assert!(!unmappable, "every character has its cp1251 byte");
    std::fs::write(&cp1251, &bytes).unwrap();
    std::fs::write(&utf8, text.as_bytes()).unwrap();
    (utf8, cp1251)
}

/// The rows of `results`, each against the first.
fn table(results: &[(&str, (f64, usize, u64))]) {
    let ours = results[0].1.0;
    for (name, (secs, records, rss)) in results {
        println!(
            "| {name} | {secs:.2} | {:.2}M | {:.0} MiB | {:.2}x |",
            *records as f64 / secs / 1e6,
            *rss as f64 / 1024.0,
            secs / ours
        );
    }
}

/// The bench's rows as line protocol points: the numbers fields, the strings tags.
fn line_protocol(jsonl: &Path) -> PathBuf {
    let path = jsonl.with_extension("lp");
    if path.exists() {
        return path;
    }
    let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
    for (i, line) in BufReader::new(std::fs::File::open(jsonl).unwrap())
        .lines()
        .enumerate()
    {
        let row: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&line.unwrap()).unwrap();
        let mut tags = String::new();
        let mut fields = Vec::new();
        for (key, value) in &row {
            match value {
                serde_json::Value::String(s) if s.is_empty() => {}
                serde_json::Value::String(s) => {
                    tags.push_str(&format!(
                        ",{key}={}",
                        s.replace(' ', "\\ ")
                            .replace(',', "\\,")
                            .replace('=', "\\=")
                    ));
                }
                serde_json::Value::Number(n) if n.is_i64() => fields.push(format!("{key}={n}i")),
                serde_json::Value::Number(n) => fields.push(format!("{key}={n}")),
                serde_json::Value::Bool(b) => fields.push(format!("{key}={b}")),
                _ => {}
            }
        }
        writeln!(
            out,
            "people{tags} {} {}",
            fields.join(","),
            1_700_000_000_000_000_000i64 + i as i64
        )
        .unwrap();
    }
    out.flush().unwrap();
    path
}

const PYTHON_FASTAVRO: &str = "
import resource, sys, time
import fastavro
start = time.perf_counter()
n = 0
with open(sys.argv[1], 'rb') as f:
    for record in fastavro.reader(f):
        n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

/// The rows as an Avro file in deflate blocks, written by fastavro (Python) from the JSON
/// Lines, unless it is there already.
fn avro_file(python: &str, jsonl: &Path) -> PathBuf {
    const WRITE: &str = "
import json, sys
import fastavro
schema = {'type': 'record', 'name': 'Row', 'fields': [
    {'name': 'id', 'type': 'long'},
    {'name': 'name', 'type': {'type': 'record', 'name': 'Name', 'fields': [
        {'name': 'first', 'type': 'string'}, {'name': 'last', 'type': 'string'}]}},
    {'name': 'email', 'type': 'string'},
    {'name': 'address', 'type': {'type': 'record', 'name': 'Address', 'fields': [
        {'name': 'city', 'type': 'string'}, {'name': 'country', 'type': 'string'}]}},
    {'name': 'amount', 'type': 'double'},
    {'name': 'created', 'type': 'string'},
    {'name': 'active', 'type': 'boolean'},
    {'name': 'tags', 'type': {'type': 'array', 'items': 'string'}},
    {'name': 'note', 'type': ['null', 'string']}]}
with open(sys.argv[1]) as rows, open(sys.argv[2], 'wb') as out:
    fastavro.writer(out, schema, (json.loads(line) for line in rows), codec='deflate')
";
    let avro = jsonl.with_extension("avro");
    if !avro.exists() {
        let status = std::process::Command::new(python)
            .args(["-c", WRITE])
            .arg(jsonl)
            .arg(&avro)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "fastavro could not write {}",
            avro.display()
        );
    }
    avro
}

const PYTHON_BSON: &str = "
import resource, sys, time
import bson
start = time.perf_counter()
n = 0
with open(sys.argv[1], 'rb') as f:
    for document in bson.decode_file_iter(f):
        n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

const PYTHON_CBOR2: &str = "
import os, resource, sys, time
import cbor2
start = time.perf_counter()
n = 0
size = os.path.getsize(sys.argv[1])
with open(sys.argv[1], 'rb') as f:
    decoder = cbor2.CBORDecoder(f)
    while f.tell() < size:
        decoder.decode()
        n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

const PYTHON_MSGPACK: &str = "
import resource, sys, time
import msgpack
start = time.perf_counter()
n = 0
with open(sys.argv[1], 'rb') as f:
    for row in msgpack.Unpacker(f, raw=False):
        n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

const LXML: &str = "
import resource, sys, time
from lxml import etree
start = time.perf_counter()
n = 0
for event, element in etree.iterparse(sys.argv[1], tag='item', resolve_entities=False, no_network=True):
    n += 1
    element.clear()
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

const ITERABLEDATA_XML: &str = "
import resource, sys, time
from iterable.helpers.detect import open_iterable
start = time.perf_counter()
n = 0
with open_iterable(sys.argv[1], iterableargs={'tagname': 'item'}) as source:
    for row in source:
        n += 1
print(time.perf_counter() - start, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
";

/// A child's run: prints seconds, records and its peak RSS (KiB).
fn run_child(reader: &str, path: &Path) {
    let start = Instant::now();
    let records = match reader {
        "iterable" => {
            let mut n = 0;
            for record in iterable_sync::open(path.to_str().unwrap()).unwrap() {
                std::hint::black_box(record.unwrap());
                n += 1;
            }
            n
        }
        "iterable-cp1251" => {
            let options =
                iterable_formats::ReadOptions::default().with_option("encoding", "cp1251");
            let mut n = 0;
            for record in iterable_sync::open_with(path.to_str().unwrap(), &options).unwrap() {
                std::hint::black_box(record.unwrap());
                n += 1;
            }
            n
        }
        "quick-xml" => {
            let file = BufReader::with_capacity(256 * 1024, std::fs::File::open(path).unwrap());
            let mut reader = quick_xml::Reader::from_reader(file);
            let mut buf = Vec::new();
            let mut n = 0;
            loop {
                match reader.read_event_into(&mut buf).unwrap() {
                    quick_xml::events::Event::Eof => break,
                    quick_xml::events::Event::End(end) if end.name().as_ref() == "item" => n += 1,
                    event => {
                        std::hint::black_box(event);
                    }
                }
                buf.clear();
            }
            n
        }
        "rmpv" => {
            let data = std::fs::read(path).unwrap();
            let mut rest = &data[..];
            let mut n = 0;
            while !rest.is_empty() {
                std::hint::black_box(rmpv::decode::read_value_ref(&mut rest).unwrap());
                n += 1;
            }
            n
        }
        "apache-avro" => {
            let file = BufReader::with_capacity(256 * 1024, std::fs::File::open(path).unwrap());
            let mut n = 0;
            for value in apache_avro::Reader::new(file).unwrap() {
                std::hint::black_box(value.unwrap());
                n += 1;
            }
            n
        }
        "bson" => {
            let data = std::fs::read(path).unwrap();
            let mut rest = &data[..];
            let mut n = 0;
            while !rest.is_empty() {
                std::hint::black_box(bson::Document::from_reader(&mut rest).unwrap());
                n += 1;
            }
            n
        }
        "ciborium" => {
            let data = std::fs::read(path).unwrap();
            let mut rest = &data[..];
            let mut n = 0;
            while !rest.is_empty() {
                let value: ciborium::Value = ciborium::from_reader(&mut rest).unwrap();
                std::hint::black_box(value);
                n += 1;
            }
            n
        }
        _ => {
            let text = std::fs::read_to_string(path).unwrap();
            let mut n = 0;
            for line in influxdb_line_protocol::parse_lines(&text) {
                std::hint::black_box(line.unwrap());
                n += 1;
            }
            n
        }
    };
    iterable_tests::report(start, records);
}
