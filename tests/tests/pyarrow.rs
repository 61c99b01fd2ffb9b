//! Parquet, Arrow IPC and ORC against their reference, pyarrow (`tests/peers/pyarrow_peer.py`, run
//! in the venv that `tests/run.sh` makes): the files pyarrow writes read as pyarrow reads them,
//! every type and compression; the files iterable writes read in pyarrow as the originals;
//! schemas inferred from untyped records; reading by ranges from HTTP and S3 servers on
//! 127.0.0.1, which fetches only the chunks of the columns asked for and notices an object
//! replaced under it; compressed and piped files read from a copy; cut and broken files as
//! errors naming them.

mod common;

use common::{ADAPTERS, read_with, tokio_runtime};
use iterable_core::{Record, Value};
use iterable_formats::{ReadOptions, WriteOptions};
use iterable_sync::ConvertOptions;
use iterable_tests::range_server::RangeServer;
use iterable_tests::run_peer;
use iterable_tests::s3_server::S3Server;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The files pyarrow writes (`pyarrow_peer.py write` and `write-ipc`), made once for every
/// test here.
fn peer_files() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        run_peer("pyarrow_peer.py", &["write", dir.path().to_str().unwrap()]);
        run_peer(
            "pyarrow_peer.py",
            &["write-ipc", dir.path().to_str().unwrap()],
        );
        run_peer(
            "pyarrow_peer.py",
            &["write-orc", dir.path().to_str().unwrap()],
        );
        dir
    })
    .path()
}

fn peer_file(name: &str) -> String {
    peer_files().join(name).to_str().unwrap().to_owned()
}

/// Every `.parquet` file of the peer's, by name.
fn every_peer_file() -> Vec<PathBuf> {
    peer_files_with(&["parquet"])
}

/// Every file of the peer's with one of these extensions, by name.
fn peer_files_with(extensions: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(peer_files())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the peer wrote {files:?}");
    files
}

const IPC: [&str; 3] = ["arrow", "feather", "arrows"];

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn columns(names: &str) -> ReadOptions {
    ReadOptions::default().with_option("columns", names)
}

/// Each of `files`, converted to JSON Lines, holds what pyarrow reads in it.
fn read_as_pyarrow_reads_them(files: Vec<PathBuf>) {
    let out = tempfile::tempdir().unwrap();
    for file in files {
        let jsonl = out
            .path()
            .join(file.file_name().unwrap())
            .with_extension("jsonl");
        iterable_sync::convert(text(&file), text(&jsonl), &ConvertOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        run_peer(
            "pyarrow_peer.py",
            &["same-as-jsonl", text(&file), text(&jsonl)],
        );
    }
}

#[test]
fn files_pyarrow_wrote_read_as_pyarrow_reads_them() {
    read_as_pyarrow_reads_them(every_peer_file());
}

#[test]
fn every_adapter_reads_the_same_records() {
    for name in ["types.parquet", "page-v2.parquet", "codec-zstd.parquet"] {
        let location = peer_file(name);
        let sync = read_with("sync", &location, &ReadOptions::default()).unwrap();
        assert!(sync.len() >= 7, "{name}");
        for adapter in ADAPTERS {
            let records = read_with(adapter, &location, &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{adapter} {name}: {e}"));
            assert!(records == sync, "{adapter} {name}: records differ");
        }
    }
}

#[test]
fn files_we_write_read_in_pyarrow_as_the_originals() {
    let out = tempfile::tempdir().unwrap();
    let compressions = ["snappy", "zstd(3)", "gzip", "none", "lz4", "brotli"];
    for (file, compression) in every_peer_file().iter().zip(compressions.iter().cycle()) {
        let ours = out.path().join(file.file_name().unwrap());
        let options = ConvertOptions {
            write: WriteOptions::default().with_option("compression", compression),
            ..ConvertOptions::default()
        };
        iterable_sync::convert(text(file), text(&ours), &options)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        run_peer("pyarrow_peer.py", &["same-tables", text(file), text(&ours)]);
    }
    // The async adapters pass the schema on too.
    async_adapters_keep_the_types(&peer_file("types.parquet"), out.path(), "parquet");
}

/// `source` converted by the tokio and the smol adapters into `dir` as files of `extension`
/// holds what pyarrow finds in `source`, types included.
fn async_adapters_keep_the_types(source: &str, dir: &Path, extension: &str) {
    let options = iterable_tokio::ConvertOptions::default();
    let tokio_out = dir.join(format!("tokio.{extension}"));
    tokio_runtime()
        .block_on(iterable_tokio::convert(source, text(&tokio_out), &options))
        .unwrap();
    run_peer(
        "pyarrow_peer.py",
        &["same-tables", source, text(&tokio_out)],
    );
    let smol_out = dir.join(format!("smol.{extension}"));
    smol::block_on(iterable_smol::convert(source, text(&smol_out), &options)).unwrap();
    run_peer("pyarrow_peer.py", &["same-tables", source, text(&smol_out)]);
}

#[test]
fn untyped_records_get_an_inferred_schema() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"id":1,"score":1.5,"name":"a","ok":true,"tags":["x"],"point":{"x":1,"y":2},"n":null}"#,
            "\n",
            r#"{"id":2,"score":2,"name":"b","ok":false,"tags":[],"point":{"x":3,"y":4},"n":null}"#,
            "\n",
            r#"{"id":null,"score":null,"name":null,"ok":null,"tags":null,"point":null,"n":null}"#,
            "\n",
        ),
    )
    .unwrap();
    let parquet = dir.path().join("out.parquet");
    // Inferred from the first two records: the nulls of the third still fit.
    let options = ConvertOptions {
        write: WriteOptions::default().with_option("infer_rows", "2"),
        ..ConvertOptions::default()
    };
    iterable_sync::convert(text(&jsonl), text(&parquet), &options).unwrap();
    run_peer(
        "pyarrow_peer.py",
        &[
            "types",
            text(&parquet),
            "id:int64",
            "score:double",
            "name:string",
            "ok:bool",
            "tags:list<element: string>",
            "point:struct<x: int64, y: int64>",
            "n:string",
        ],
    );
    let read: Vec<Record> = iterable_sync::open(text(&parquet))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let written: Vec<Record> = iterable_sync::open(text(&jsonl))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(read.len(), 3);
    // The same but for the integer score, now a float.
    assert_eq!(read[1].get("score"), Some(&Value::Float(2.0)));
    for (a, b) in read.iter().zip(&written) {
        for (name, value) in b.iter().filter(|(name, _)| *name != "score") {
            assert_eq!(a.get(name), Some(value), "{name}");
        }
    }
}

#[test]
fn a_record_the_schema_cannot_hold_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":\"four\"}\n",
    )
    .unwrap();
    let parquet = dir.path().join("out.parquet");
    let options = ConvertOptions {
        write: WriteOptions::default().with_option("infer_rows", "2"),
        ..ConvertOptions::default()
    };
    let error = iterable_sync::convert(text(&jsonl), text(&parquet), &options).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("record 4"), "{message}");
    assert!(message.contains("\"a\""), "{message}");
    assert!(message.contains("infer_rows"), "{message}");
    assert!(!parquet.exists(), "nothing is left behind");
    // Inferred from all four: no type holds both 3 and "four", and no value is turned into
    // another to make one.
    let error = iterable_sync::convert(text(&jsonl), text(&parquet), &ConvertOptions::default())
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("record 4"), "{message}");
    assert!(message.contains("int64 cannot hold"), "{message}");
    assert!(!parquet.exists(), "nothing is left behind");
}

/// The ids of the peer's wide file (`id` and a large `payload` in four row groups).
fn wide_ids() -> Vec<Option<Value>> {
    (0..20_000).map(|i| Some(Value::Int(i))).collect()
}

#[test]
fn reading_columns_over_http_fetches_only_their_chunks() {
    let server = RangeServer::start();
    let wide = std::fs::read(peer_file("wide.parquet")).unwrap();
    server.put("/wide.parquet", &wide);
    let url = server.url("/wide.parquet");
    let size = wide.len() as u64;
    let read_ids = |adapter: &str| {
        let before = server.body_bytes();
        let records =
            read_with(adapter, &url, &columns("id")).unwrap_or_else(|e| panic!("{adapter}: {e}"));
        let ids: Vec<Option<Value>> = records.iter().map(|r| r.get("id").cloned()).collect();
        assert!(ids == wide_ids(), "{adapter}: ids differ");
        assert!(records.iter().all(|r| r.len() == 1), "{adapter}");
        server.body_bytes() - before
    };
    for adapter in ADAPTERS {
        // Every body byte the server sent, the open's included: a HEAD, then ranges.
        let fetched = read_ids(adapter);
        assert!(
            fetched < size / 20,
            "{adapter}: fetched {fetched} bytes of {size} for the id column"
        );
    }
    let before = server.body_bytes();
    let all = read_with("sync", &url, &ReadOptions::default()).unwrap();
    assert_eq!(all.len(), 20_000);
    assert_eq!(all[19_999].len(), 2);
    let fetched = server.body_bytes() - before;
    assert!(fetched > size * 9 / 10, "fetched {fetched} bytes of {size}");
    // A server that refuses HEAD (403, as for a URL signed for GET): the open streams the body, dropped once the size is known,
    // and the columns come by ranges all the same.
    server.refuse_head();
    let ranged_before = server.ranged_requests();
    for adapter in ADAPTERS {
        read_ids(adapter);
    }
    assert!(server.ranged_requests() > ranged_before + 3);
}

#[test]
fn an_object_replaced_while_it_is_read_is_an_error() {
    let server = RangeServer::start();
    let wide = std::fs::read(peer_file("wide.parquet")).unwrap();
    server.put("/wide.parquet", &wide);
    let url = server.url("/wide.parquet");
    let mut reader = iterable_sync::open(&url).unwrap();
    assert!(reader.read().unwrap().is_some());
    // A new version: the next row group's ranges no longer match the version opened.
    server.put("/wide.parquet", &wide);
    let error = reader
        .by_ref()
        .find_map(Result::err)
        .expect("an error before the end");
    let message = error.to_string();
    assert!(message.contains("changed"), "{message}");
    assert!(message.contains("/wide.parquet"), "{message}");
    assert!(reader.read().unwrap().is_none(), "nothing after the error");
}

/// The S3 server, started on first use, with the environment pointing clients at it.
fn s3() -> &'static S3Server {
    static SERVER: OnceLock<S3Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = S3Server::start_in(Path::new(env!("CARGO_TARGET_TMPDIR")));
        // SAFETY: set once, before any client of this process reads the environment; every
        // test calls `s3()` before it reaches S3.
        for name in S3Server::FOREIGN_ENV {
            unsafe { std::env::remove_var(name) };
        }
        for (name, value) in server.env() {
            unsafe { std::env::set_var(name, value) };
        }
        server
    })
}

#[test]
fn s3_objects_are_read_by_ranges() {
    let s3 = s3();
    s3.bucket("parquet");
    s3.put(
        "parquet",
        "wide.parquet",
        &std::fs::read(peer_file("wide.parquet")).unwrap(),
    );
    s3.put(
        "parquet",
        "types.parquet",
        &std::fs::read(peer_file("types.parquet")).unwrap(),
    );
    let local = read_with("sync", &peer_file("types.parquet"), &ReadOptions::default()).unwrap();
    for adapter in ADAPTERS {
        let records = read_with(adapter, "s3://parquet/wide.parquet", &columns("id"))
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        let ids: Vec<Option<Value>> = records.iter().map(|r| r.get("id").cloned()).collect();
        assert!(ids == wide_ids(), "{adapter}: ids differ");
        let types = read_with(
            adapter,
            "s3://parquet/types.parquet",
            &ReadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert!(types == local, "{adapter}: records differ");
    }
}

#[test]
fn compressed_and_piped_files_are_read_from_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let types = peer_file("types.parquet");
    let expected = read_with("sync", &types, &ReadOptions::default()).unwrap();
    // Compressed by the system's gzip and zstd.
    for (tool, extension) in [("gzip", "gz"), ("zstd", "zst")] {
        let copy = dir.path().join(format!("types.parquet.{extension}"));
        let output = std::process::Command::new(tool)
            .args(["-c", &types])
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(output.status.success(), "{tool}");
        std::fs::write(&copy, output.stdout).unwrap();
        for adapter in ADAPTERS {
            let records = read_with(adapter, text(&copy), &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{adapter} {tool}: {e}"));
            assert!(records == expected, "{adapter} {tool}: records differ");
        }
    }
    // From any reader, its format found from the magic bytes.
    let bytes = std::fs::read(&types).unwrap();
    let from_reader: Vec<Record> = iterable_sync::from_reader(&bytes[..], &Default::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(from_reader == expected, "sync from_reader");
    let from_async = smol::block_on(async {
        let mut reader = iterable_smol::from_reader(&bytes[..], &Default::default()).await?;
        reader.read_bulk(usize::MAX).await
    })
    .unwrap();
    assert!(from_async == expected, "smol from_reader");
    // A compressed body over HTTP.
    let server = RangeServer::start();
    let gz = std::fs::read(dir.path().join("types.parquet.gz")).unwrap();
    server.put("/types.parquet.gz", &gz);
    for adapter in ADAPTERS {
        let records = read_with(
            adapter,
            &server.url("/types.parquet.gz"),
            &Default::default(),
        )
        .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert!(records == expected, "{adapter} over HTTP: records differ");
    }
    // Two Parquet members of a zip written by Python's zipfile (deflated): each read from
    // memory, one after the other, with its member's name when asked.
    let zip = dir.path().join("two.zip");
    let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    z.write(sys.argv[2], 'a.parquet')\n    z.write(sys.argv[2], 'b.parquet')\n";
    let zipped = std::process::Command::new(iterable_tests::python())
        .args(["-c", script, text(&zip), &types])
        .status();
    assert!(zipped.is_ok_and(|s| s.success()), "zipfile");
    let both: Vec<Record> = expected.iter().chain(&expected).cloned().collect();
    for adapter in ADAPTERS {
        let records = read_with(adapter, text(&zip), &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{adapter} zip: {e}"));
        assert!(records == both, "{adapter} zip: records differ");
    }
    let named = ReadOptions {
        member_field: Some("member".into()),
        ..ReadOptions::default()
    };
    let records = read_with("sync", text(&zip), &named).unwrap();
    let members: Vec<_> = records.iter().map(|r| r.get("member").cloned()).collect();
    let n = expected.len();
    assert_eq!(members[0], Some(Value::from("a.parquet")));
    assert_eq!(members[n], Some(Value::from("b.parquet")));
    // A FIFO named like a file: no size, no offsets, so it is copied too.
    let fifo = dir.path().join("piped.parquet");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    for adapter in ADAPTERS {
        let (path, bytes) = (fifo.clone(), bytes.clone());
        let writer = std::thread::spawn(move || std::fs::write(path, bytes));
        let records = read_with(adapter, text(&fifo), &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{adapter} FIFO: {e}"));
        writer.join().unwrap().unwrap();
        assert!(records == expected, "{adapter} FIFO: records differ");
    }
    // A server that does not say it serves ranges: the body is copied, not read by ranges.
    let plain = RangeServer::start();
    plain.without_ranges();
    plain.put("/types.parquet", &bytes);
    for adapter in ADAPTERS {
        let records = read_with(adapter, &plain.url("/types.parquet"), &Default::default())
            .unwrap_or_else(|e| panic!("{adapter} without ranges: {e}"));
        assert!(
            records == expected,
            "{adapter} without ranges: records differ"
        );
    }
    assert_eq!(plain.ranged_requests(), 0);
}

#[test]
fn cut_and_broken_files_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(peer_file("types.parquet")).unwrap();
    let cases: [(&str, Vec<u8>); 5] = [
        ("cut.parquet", bytes[..bytes.len() / 2].to_vec()),
        ("no-footer.parquet", bytes[..bytes.len() - 4].to_vec()),
        ("magic-only.parquet", b"PAR1".to_vec()),
        ("empty.parquet", Vec::new()),
        ("footer-too-long.parquet", {
            let mut b = bytes.clone();
            let n = b.len();
            b[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
            b
        }),
    ];
    for (name, content) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        for adapter in ADAPTERS {
            let error = read_with(adapter, text(&path), &ReadOptions::default())
                .expect_err(&format!("{adapter} {name}"));
            let message = error.to_string();
            assert!(message.contains(name), "{adapter} {name}: {message}");
        }
    }
}

#[test]
fn an_unknown_column_is_an_error_listing_the_known() {
    let error = read_with("sync", &peer_file("wide.parquet"), &columns("id,nope")).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("\"nope\""), "{message}");
    assert!(message.contains("id, payload"), "{message}");
}

#[test]
fn columns_come_in_the_order_asked_each_once() {
    let wide = peer_file("wide.parquet");
    for adapter in ADAPTERS {
        let records = read_with(adapter, &wide, &columns("payload,id,payload")).unwrap();
        assert_eq!(records.len(), 20_000, "{adapter}");
        for record in [&records[0], &records[19_999]] {
            let keys: Vec<&str> = record.fields().iter().collect();
            assert_eq!(keys, ["payload", "id"], "{adapter}");
        }
        let ids: Vec<Option<Value>> = records.iter().map(|r| r.get("id").cloned()).collect();
        assert!(ids == wide_ids(), "{adapter}: ids differ");
    }
}

#[test]
fn arrow_files_pyarrow_wrote_read_as_pyarrow_reads_them() {
    read_as_pyarrow_reads_them(peer_files_with(&IPC));
}

#[test]
fn arrow_files_and_streams_read_alike_in_every_adapter() {
    // pyarrow wrote the same table as an IPC file (plain, LZ4, zstd) and stream (each checked
    // against pyarrow's own reading above).
    let plain = read_with("sync", &peer_file("types.arrow"), &ReadOptions::default()).unwrap();
    assert_eq!(plain.len(), 7);
    for name in [
        "types.arrow",
        "types-lz4.feather",
        "types-zstd.arrow",
        "types.arrows",
    ] {
        for adapter in ADAPTERS {
            let records = read_with(adapter, &peer_file(name), &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{adapter} {name}: {e}"));
            assert!(records == plain, "{adapter} {name}: records differ");
        }
    }
    assert!(
        read_with("sync", &peer_file("empty.arrow"), &ReadOptions::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn arrow_files_we_write_read_in_pyarrow_as_the_originals() {
    let out = tempfile::tempdir().unwrap();
    let types = peer_file("types.arrow");
    for (name, compression) in [
        ("plain.arrow", "none"),
        ("lz4.feather", "lz4"),
        ("zstd.arrow", "zstd"),
        ("plain.arrows", "none"),
        ("zstd.arrows", "zstd"),
    ] {
        let ours = out.path().join(name);
        let options = ConvertOptions {
            write: WriteOptions::default().with_option("compression", compression),
            ..ConvertOptions::default()
        };
        iterable_sync::convert(&types, text(&ours), &options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        run_peer("pyarrow_peer.py", &["same-tables", &types, text(&ours)]);
    }
    // Parquet to Arrow and back keeps the types (the schema is passed on), in every adapter.
    let parquet = peer_file("types.parquet");
    let arrow = out.path().join("from-parquet.arrow");
    iterable_sync::convert(&parquet, text(&arrow), &ConvertOptions::default()).unwrap();
    run_peer("pyarrow_peer.py", &["same-tables", &parquet, text(&arrow)]);
    let back = out.path().join("back.parquet");
    iterable_sync::convert(text(&arrow), text(&back), &ConvertOptions::default()).unwrap();
    run_peer("pyarrow_peer.py", &["same-tables", &parquet, text(&back)]);
    async_adapters_keep_the_types(&types, out.path(), "arrow");
}

#[test]
fn untyped_records_become_an_arrow_file_with_an_inferred_schema() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":1,\"name\":\"a\",\"tags\":[\"x\"]}\n{\"id\":2,\"name\":null,\"tags\":[]}\n",
    )
    .unwrap();
    for name in ["out.arrow", "out.arrows"] {
        let arrow = dir.path().join(name);
        iterable_sync::convert(text(&jsonl), text(&arrow), &ConvertOptions::default()).unwrap();
        run_peer(
            "pyarrow_peer.py",
            &[
                "types",
                text(&arrow),
                "id:int64",
                "name:string",
                "tags:list<element: string>",
            ],
        );
        let back = read_with("sync", text(&arrow), &columns("tags,id")).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].names().collect::<Vec<_>>(), ["tags", "id"]);
        assert_eq!(back[1].get("id"), Some(&Value::Int(2)));
    }
}

#[test]
fn arrow_files_are_read_by_ranges_over_http_and_s3() {
    let server = RangeServer::start();
    let file = std::fs::read(peer_file("types-lz4.feather")).unwrap();
    server.put("/types.feather", &file);
    let url = server.url("/types.feather");
    let local = read_with(
        "sync",
        &peer_file("types-lz4.feather"),
        &ReadOptions::default(),
    )
    .unwrap();
    let ranged_before = server.ranged_requests();
    for adapter in ADAPTERS {
        let records = read_with(adapter, &url, &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert!(records == local, "{adapter}: records differ");
    }
    // The trailer, the footer, the dictionaries and three batches, for each adapter.
    assert!(server.ranged_requests() >= ranged_before + 4 * 6);
    let s3 = s3();
    s3.bucket("arrow");
    s3.put("arrow", "types.feather", &file);
    for adapter in ADAPTERS {
        let records = read_with(adapter, "s3://arrow/types.feather", &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert!(records == local, "{adapter}: records differ");
    }
}

#[test]
fn cut_and_broken_arrow_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::read(peer_file("types.arrow")).unwrap();
    let cut = dir.path().join("cut.arrow");
    std::fs::write(&cut, &file[..file.len() - 100]).unwrap();
    let error = read_with("sync", text(&cut), &ReadOptions::default()).unwrap_err();
    assert!(error.to_string().contains("not an Arrow file"), "{error}");
    assert!(error.to_string().contains("cut.arrow"), "{error}");
    let stream = std::fs::read(peer_file("types.arrows")).unwrap();
    let cut = dir.path().join("cut.arrows");
    std::fs::write(&cut, &stream[..stream.len() / 2]).unwrap();
    let mut reader = iterable_sync::open(text(&cut)).unwrap();
    let records: Vec<_> = reader.by_ref().collect();
    let error = records.last().unwrap().as_ref().unwrap_err();
    assert!(error.to_string().contains("cut short"), "{error}");
    assert!(error.to_string().contains("byte 3152"), "{error}");
    assert!(records[..records.len() - 1].iter().all(Result::is_ok));
    // A file read as a stream (from a pipe, say) gives its records; its footer is not needed.
    let as_stream = ReadOptions {
        format: iterable_formats::Format::from_name("arrows"),
        ..ReadOptions::default()
    };
    let streamed = read_with("sync", &peer_file("types.arrow"), &as_stream).unwrap();
    let by_ranges = read_with("sync", &peer_file("types.arrow"), &ReadOptions::default()).unwrap();
    assert!(streamed == by_ranges);
    // An unknown column names those there are.
    let error = read_with("sync", &peer_file("types.arrow"), &columns("nope")).unwrap_err();
    assert!(error.to_string().contains("\"nope\""), "{error}");
    assert!(error.to_string().contains("i8, i16"), "{error}");
}

#[test]
fn orc_files_pyarrow_wrote_read_as_pyarrow_reads_them() {
    read_as_pyarrow_reads_them(peer_files_with(&["orc"]));
}

#[test]
fn orc_files_read_alike_in_every_adapter_and_by_columns() {
    // The same table in every compression pyarrow writes (each checked against pyarrow above).
    let plain = read_with(
        "sync",
        &peer_file("types-uncompressed.orc"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(plain.len(), 7);
    for name in [
        "types-uncompressed.orc",
        "types-zlib.orc",
        "types-snappy.orc",
        "types-zstd.orc",
        "types-lz4.orc",
    ] {
        for adapter in ADAPTERS {
            let records = read_with(adapter, &peer_file(name), &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{adapter} {name}: {e}"));
            assert!(records == plain, "{adapter} {name}: records differ");
        }
    }
    // Six stripes, read one at a time; only the columns asked for, in their order.
    let stripes = read_with("sync", &peer_file("stripes.orc"), &columns("flag,id")).unwrap();
    assert_eq!(stripes.len(), 60000);
    assert_eq!(stripes[59999].names().collect::<Vec<_>>(), ["flag", "id"]);
    assert_eq!(stripes[59999].get("id"), Some(&Value::Int(59999)));
    assert!(
        read_with("sync", &peer_file("empty.orc"), &ReadOptions::default())
            .unwrap()
            .is_empty()
    );
    let error = read_with("sync", &peer_file("stripes.orc"), &columns("nope")).unwrap_err();
    assert!(error.to_string().contains("\"nope\""), "{error}");
    assert!(error.to_string().contains("id, name"), "{error}");
}

#[test]
fn orc_types_reach_the_writer_and_orc_is_not_written() {
    // ORC to Parquet: the columns keep their types (int8 stays int8, decimals their scale).
    let out = tempfile::tempdir().unwrap();
    let orc = peer_file("types-zstd.orc");
    let parquet = out.path().join("types.parquet");
    iterable_sync::convert(&orc, text(&parquet), &ConvertOptions::default()).unwrap();
    run_peer(
        "pyarrow_peer.py",
        &[
            "types",
            text(&parquet),
            "i8:int8",
            "f32:float",
            "dec:decimal128(8, 3)",
            "date:date32[day]",
            "list:list<item: int64>",
        ],
    );
    let back = read_with("sync", text(&parquet), &ReadOptions::default()).unwrap();
    let original = read_with("sync", &orc, &ReadOptions::default()).unwrap();
    assert_eq!(back, original);
    let error = iterable_sync::convert(
        &orc,
        text(&out.path().join("again.orc")),
        &ConvertOptions::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("read only"), "{error}");
}

#[test]
fn orc_files_are_read_by_ranges_over_http_and_s3() {
    let server = RangeServer::start();
    let file = std::fs::read(peer_file("stripes.orc")).unwrap();
    server.put("/stripes.orc", &file);
    let url = server.url("/stripes.orc");
    let local = read_with("sync", &peer_file("stripes.orc"), &ReadOptions::default()).unwrap();
    let ranged_before = server.ranged_requests();
    for adapter in ADAPTERS {
        let records = read_with(adapter, &url, &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert!(records == local, "{adapter}: records differ");
    }
    // The tail and six stripes, for each adapter.
    assert!(server.ranged_requests() >= ranged_before + 7 * 3);
    let s3 = s3();
    s3.bucket("orc");
    s3.put("orc", "stripes.orc", &file);
    let records = read_with("tokio", "s3://orc/stripes.orc", &ReadOptions::default()).unwrap();
    assert!(records == local);
}

#[test]
fn cut_and_broken_orc_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::read(peer_file("stripes.orc")).unwrap();
    let cut = dir.path().join("cut.orc");
    std::fs::write(&cut, &file[..file.len() - 100]).unwrap();
    let error = read_with("sync", text(&cut), &ReadOptions::default()).unwrap_err();
    assert!(error.to_string().contains("not an ORC file"), "{error}");
    assert!(error.to_string().contains("cut.orc"), "{error}");
    // The kit's broken file: its second stripe's footer broken. The first stripe's records
    // come, then the error names the stripe's byte and first record.
    let bad = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/kit-bad.orc");
    let mut reader = iterable_sync::open(text(&bad)).unwrap();
    let records: Vec<_> = reader.by_ref().collect();
    let error = records.last().unwrap().as_ref().unwrap_err();
    assert!(
        error.to_string().contains("a stripe that does not decode"),
        "{error}"
    );
    assert_eq!(error.position().record, Some(4), "{error}");
    assert_eq!(records.len(), 4);
}
