//! S3 against an s3s server on 127.0.0.1 (see `iterable_tests::s3_server`), from every
//! adapter: streaming reads, resumed reads after cut connections, SlowDown retries, clear
//! errors, multipart writes that complete or leave nothing, listing by glob.
//!
//! The clients take the endpoint and credentials from the environment, which is one per
//! process: every test here shares one server, set up once, and works in a bucket of its own.

mod common;

use common::{ADAPTERS, csv_rows, gzip, jsonl, many_records, tokio_runtime};

use iterable_core::{ErrorKind, Record};
use iterable_formats::{Format, WriteOptions};
use iterable_sync::ConvertOptions;
use iterable_tests::s3_server::{S3Server, SECRET_KEY};
use std::io::Write;
use std::sync::OnceLock;

/// The server, started on first use, with the environment pointing clients at it.
fn server() -> &'static S3Server {
    static SERVER: OnceLock<S3Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = S3Server::start_in(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")));
        // SAFETY: set once, before any client of this process reads the environment; every
        // test calls `server()` before it reaches S3.
        for name in S3Server::FOREIGN_ENV {
            unsafe { std::env::remove_var(name) };
        }
        for (name, value) in server.env() {
            unsafe { std::env::set_var(name, value) };
        }
        server
    })
}

/// Reads a location with one adapter.
fn read_with(adapter: &str, location: &str) -> iterable_core::Result<Vec<Record>> {
    common::read_with(adapter, location, &iterable_formats::ReadOptions::default())
}

/// Reads a location with each adapter: sync, tokio, smol, async-std.
fn read_everywhere(location: &str) -> Vec<(&'static str, iterable_core::Result<Vec<Record>>)> {
    ADAPTERS
        .into_iter()
        .map(|adapter| (adapter, read_with(adapter, location)))
        .collect()
}

#[test]
fn every_adapter_streams_a_compressed_object() {
    let s3 = server();
    let (csv, expected) = csv_rows(20_000);
    s3.put("reads", "logs/day.csv.gz", &gzip(&csv));
    s3.put("reads", "logs/no-name", &csv);
    for location in ["s3://reads/logs/day.csv.gz", "s3a://reads/logs/no-name"] {
        for (adapter, records) in read_everywhere(location) {
            let records = records.unwrap_or_else(|e| panic!("{adapter} {location}: {e}"));
            assert!(records == expected, "{adapter} {location}: records differ");
        }
    }
}

#[test]
fn a_read_cut_part_way_resumes_and_delivers_every_record_once() {
    let s3 = server();
    let (csv, expected) = csv_rows(30_000);
    let object = gzip(&csv);
    s3.put("cuts", "data.csv.gz", &object);
    for adapter in ADAPTERS {
        // Cuts at the very start, mid-chunk, late in the object, then one more.
        let size = object.len() as u64;
        s3.cut("cuts", "data.csv.gz", &[1, 70_001, size / 2, 10]);
        let records = read_with(adapter, "s3://cuts/data.csv.gz");
        let records = records.unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert_eq!(
            s3.pending_cuts("cuts", "data.csv.gz"),
            0,
            "{adapter}: not cut"
        );
        assert_eq!(records.len(), expected.len(), "{adapter}");
        assert!(records == expected, "{adapter}: records differ");
    }
}

#[test]
fn an_object_replaced_mid_read_fails_instead_of_splicing_versions() {
    let s3 = server();
    let (first, _) = csv_rows(20_000);
    let (second, _) = csv_rows(30_000);
    for adapter in ADAPTERS {
        s3.put("versions", "data.csv", &first);
        s3.cut("versions", "data.csv", &[100_000]);
        s3.replace_on_cut("versions", "data.csv", &second);
        let error = read_with(adapter, "s3://versions/data.csv")
            .expect_err("a read across two versions fails");
        let message = error.to_string();
        assert!(message.starts_with("s3://versions/data.csv: "), "{message}");
        assert!(
            message.contains("changed while it was read"),
            "{adapter}: {message}"
        );
    }
}

#[test]
fn slow_down_answers_are_retried_then_give_up_with_a_clear_error() {
    let s3 = server();
    let (csv, expected) = csv_rows(100);
    s3.put("throttled", "a.csv", &csv);
    s3.slow_down("throttled", "a.csv", 3);
    let records = read_with("sync", "s3://throttled/a.csv").unwrap();
    assert_eq!(records, expected);

    s3.slow_down("throttled", "a.csv", 50);
    let error = iterable_sync::open("s3://throttled/a.csv").err().unwrap();
    assert_eq!(error.kind(), ErrorKind::Remote);
    let message = error.to_string();
    assert!(message.starts_with("s3://throttled/a.csv: "), "{message}");
    assert!(message.contains("SlowDown"), "{message}");
}

#[test]
fn missing_objects_and_buckets_are_one_line_errors_without_secrets() {
    let s3 = server();
    s3.bucket("present");
    for (location, says) in [
        ("s3://present/missing.csv", "no such key"),
        // S3 says NoSuchBucket; s3s-fs, NoSuchKey.
        ("s3://absent-bucket/x.jsonl", "no such "),
    ] {
        for (adapter, outcome) in read_everywhere(location) {
            let error = outcome
                .err()
                .unwrap_or_else(|| panic!("{adapter}: no error"));
            let message = error.to_string();
            assert_eq!(error.kind(), ErrorKind::Remote, "{adapter}: {message}");
            assert!(message.starts_with(&format!("{location}: ")), "{message}");
            assert!(message.contains(says), "{adapter}: {message}");
            assert!(!message.contains('\n'), "{message}");
            assert!(!message.contains(SECRET_KEY), "{message}");
            assert!(!format!("{error:?}").contains(SECRET_KEY));
        }
    }
}

#[test]
fn every_adapter_writes_objects_small_and_multipart() {
    let s3 = server();
    s3.bucket("writes");
    let small = many_records(10);
    let large = many_records(200_000); // about 24 MB: three parts
    for records in [&small, &large] {
        let expected = jsonl(records);
        let target = |adapter: &str| format!("s3://writes/{adapter}/{}.jsonl", records.len());
        let mut writer = iterable_sync::create(&target("sync")).unwrap();
        writer.write_bulk(records).unwrap();
        writer.finish().unwrap();
        tokio_runtime().block_on(async {
            let mut writer = iterable_tokio::create(&target("tokio")).await.unwrap();
            writer.write_bulk(records).await.unwrap();
            writer.finish().await.unwrap();
        });
        smol::block_on(async {
            let mut writer = iterable_smol::create(&target("smol")).await.unwrap();
            writer.write_bulk(records).await.unwrap();
            writer.finish().await.unwrap();
        });
        for adapter in ["sync", "tokio", "smol"] {
            let key = format!("{adapter}/{}.jsonl", records.len());
            let written = s3.object("writes", &key).unwrap_or_else(|| panic!("{key}"));
            assert!(written == expected, "{key}: bytes differ");
        }
    }
}

#[test]
fn a_compressed_object_round_trips() {
    let s3 = server();
    s3.bucket("zstd");
    let records = many_records(5_000);
    let mut writer = iterable_sync::create("s3://zstd/out.jsonl.zst").unwrap();
    writer.write_bulk(&records).unwrap();
    writer.finish().unwrap();
    let written = s3.object("zstd", "out.jsonl.zst").unwrap();
    assert_eq!(&written[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    let back = read_with("sync", "s3://zstd/out.jsonl.zst").unwrap();
    assert_eq!(back, records);
}

#[test]
fn a_dropped_or_failed_write_leaves_no_object() {
    let s3 = server();
    s3.bucket("aborts");
    let records = many_records(150_000); // past the first 8 MiB part
    // Dropped after two parts went out, in every adapter.
    let mut writer = iterable_sync::create("s3://aborts/sync.jsonl").unwrap();
    writer.write_bulk(&records).unwrap();
    drop(writer); // waits for the abort
    assert_eq!(s3.aborts("aborts", "sync.jsonl"), 1);
    tokio_runtime().block_on(async {
        let mut writer = iterable_tokio::create("s3://aborts/tokio.jsonl")
            .await
            .unwrap();
        writer.write_bulk(&records).await.unwrap();
        drop(writer); // aborts in the background, on this runtime
        for _ in 0..100 {
            if s3.aborts("aborts", "tokio.jsonl") > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    assert_eq!(s3.aborts("aborts", "tokio.jsonl"), 1);
    smol::block_on(async {
        let mut writer = iterable_smol::create("s3://aborts/smol.jsonl")
            .await
            .unwrap();
        writer.write_bulk(&records).await.unwrap();
    }); // dropped: aborts in the background, on async-compat's runtime
    for _ in 0..100 {
        if s3.aborts("aborts", "smol.jsonl") > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(s3.aborts("aborts", "smol.jsonl"), 1);
    // A part the server keeps failing: the error names the object, nothing appears.
    s3.fail_parts("aborts", "failing.jsonl", 100);
    let mut writer = iterable_sync::create("s3://aborts/failing.jsonl").unwrap();
    let outcome = writer
        .write_bulk(&records)
        .and_then(|()| writer.finish().map(drop));
    let error = outcome.expect_err("the write fails");
    let message = error.to_string();
    assert!(
        message.starts_with("s3://aborts/failing.jsonl: "),
        "{message}"
    );
    assert!(message.contains("InternalError"), "{message}");
    assert_eq!(s3.aborts("aborts", "failing.jsonl"), 1);
    for key in ["sync.jsonl", "tokio.jsonl", "smol.jsonl", "failing.jsonl"] {
        assert!(s3.object("aborts", key).is_none(), "{key} exists");
    }
    // An object written before is left as it was by a failed write over it.
    s3.put("aborts", "kept.jsonl", b"{\"old\":1}\n");
    s3.fail_parts("aborts", "kept.jsonl", 100);
    let mut writer = iterable_sync::create("s3://aborts/kept.jsonl").unwrap();
    let outcome = writer
        .write_bulk(&records)
        .and_then(|()| writer.finish().map(drop));
    assert!(outcome.is_err());
    assert_eq!(s3.object("aborts", "kept.jsonl").unwrap(), b"{\"old\":1}\n");
}

#[test]
fn convert_many_lists_a_glob_and_writes_under_a_prefix() {
    let s3 = server();
    let (csv, expected) = csv_rows(500);
    for day in ["2024-01", "2024-02", "2025-01"] {
        s3.put("many", &format!("logs/{day}.csv.gz"), &gzip(&csv));
    }
    s3.put("many", "logs/2024-x/03.csv.gz", &gzip(&csv)); // `*` stays in its folder
    let options = ConvertOptions {
        write: WriteOptions {
            format: Some(Format::JSONL),
            ..Default::default()
        },
        jobs: 2,
        ..Default::default()
    };
    let inputs = ["s3://many/logs/2024-*.csv.gz".to_owned()];
    let converted = iterable_sync::convert_many(&inputs, "s3://many/out/", &options).unwrap();
    let outputs: Vec<&str> = converted.iter().map(|c| c.output.as_str()).collect();
    assert_eq!(
        outputs,
        ["s3://many/out/2024-01.jsonl", "s3://many/out/2024-02.jsonl"]
    );
    let converted = tokio_runtime()
        .block_on(iterable_tokio::convert_many(
            &inputs,
            "s3://many/tokio/",
            &options,
        ))
        .unwrap();
    assert_eq!(converted.len(), 2);
    for item in &converted {
        assert_eq!(item.result.as_ref().unwrap().records, 500);
    }
    let back = read_with("sync", "s3://many/tokio/2024-02.jsonl").unwrap();
    assert_eq!(back, expected);
    let error = iterable_sync::convert_many(
        &["s3://many/logs/1999-*.csv.gz".to_owned()],
        "s3://many/none/",
        &options,
    )
    .unwrap_err();
    assert!(error.to_string().contains("matches no object"), "{error}");
}

#[test]
fn content_encoding_names_the_codec_when_the_key_does_not() {
    let s3 = server();
    s3.bucket("encoded");
    let (csv, expected) = csv_rows(1_000);
    let mut compressed = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut compressed, 4096, 5, 22);
        writer.write_all(&csv).unwrap();
    }
    tokio_runtime().block_on(async {
        let store = iterable_sources::s3::S3Store::connect(&Default::default())
            .await
            .unwrap();
        store
            .client()
            .put_object()
            .bucket("encoded")
            .key("export")
            .content_encoding("br")
            .content_type("text/csv")
            .body(compressed.into())
            .send()
            .await
            .unwrap();
    });
    for (adapter, records) in read_everywhere("s3://encoded/export") {
        let records = records.unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert!(records == expected, "{adapter}: records differ");
    }
}

#[test]
fn byte_ranges_read_at_offsets_and_resume() {
    let s3 = server();
    let object: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    s3.put("ranges", "blob.bin", &object);
    tokio_runtime().block_on(async {
        let store = iterable_sources::s3::S3Store::connect(&Default::default())
            .await
            .unwrap();
        assert_eq!(store.size("ranges", "blob.bin").await.unwrap(), 300_000);
        let middle = store
            .read_range("ranges", "blob.bin", 1_000..250_000)
            .await
            .unwrap();
        assert!(middle[..] == object[1_000..250_000]);
        s3.cut("ranges", "blob.bin", &[5, 100_000]);
        let cut = store
            .read_range("ranges", "blob.bin", 10..200_010)
            .await
            .unwrap();
        assert_eq!(s3.pending_cuts("ranges", "blob.bin"), 0);
        assert!(cut[..] == object[10..200_010]);
        let tail = store
            .read_range("ranges", "blob.bin", 299_990..400_000)
            .await
            .unwrap();
        assert!(tail[..] == object[299_990..]);
        let error = store.size("ranges", "nothing.bin").await.unwrap_err();
        assert!(
            error.to_string().starts_with("s3://ranges/nothing.bin: "),
            "{error}"
        );
    });
}

#[test]
fn the_blocking_adapter_works_from_inside_an_async_runtime_too() {
    let s3 = server();
    let (csv, expected) = csv_rows(2_000);
    s3.put("nested", "in.csv", &csv);
    // Misplaced (async code should use iterable-tokio), but it works and does not panic.
    tokio_runtime().block_on(async {
        let records = read_with("sync", "s3://nested/in.csv").unwrap();
        assert!(records == expected);
        let mut writer = iterable_sync::create("s3://nested/out.jsonl").unwrap();
        writer.write_bulk(&records).unwrap();
        writer.finish().unwrap();
    });
    let written = s3.object("nested", "out.jsonl").unwrap();
    assert_eq!(written.iter().filter(|&&b| b == b'\n').count(), 2_000);
}

#[test]
fn an_upload_of_many_parts_keeps_them_in_order() {
    use tokio::io::AsyncWriteExt;
    let s3 = server();
    s3.bucket("parts");
    // Seven 5 MiB parts and a bit: more parts than are uploaded at once.
    let part = iterable_sources::s3::MIN_PART_SIZE;
    let object: Vec<u8> = (0..7 * part + 1234)
        .map(|i| (i / 4099 % 251) as u8)
        .collect();
    tokio_runtime().block_on(async {
        let options = iterable_sources::s3::S3Options {
            part_size: part,
            ..Default::default()
        };
        let store = iterable_sources::s3::S3Store::connect(&options)
            .await
            .unwrap();
        let mut upload = store.create("parts", "blob.bin");
        for chunk in object.chunks(100_000) {
            upload.write_all(chunk).await.unwrap();
        }
        upload.shutdown().await.unwrap();
        assert!(upload.is_complete());
    });
    assert!(s3.object("parts", "blob.bin").unwrap() == object);
}

#[test]
fn a_read_that_gave_up_stays_ended() {
    use futures::StreamExt;
    let s3 = server();
    s3.put("ended", "data.csv", &csv_rows(20_000).0);
    // The first answer breaks off after some bytes, every later one at once.
    let mut cuts = vec![100_000];
    cuts.extend([0; 20]);
    s3.cut("ended", "data.csv", &cuts);
    tokio_runtime().block_on(async {
        let options = iterable_sources::s3::S3Options {
            retries: 2,
            backoff: std::time::Duration::from_millis(1),
            ..Default::default()
        };
        let store = iterable_sources::s3::S3Store::connect(&options)
            .await
            .unwrap();
        let mut body = store.get("ended", "data.csv").await.unwrap().stream;
        let mut delivered = 0;
        let error = loop {
            match body.next().await {
                Some(Ok(chunk)) => delivered += chunk.len(),
                Some(Err(error)) => break error,
                None => panic!("the read ended without its error"),
            }
        };
        assert!(
            error.to_string().starts_with("s3://ended/data.csv: "),
            "{error}"
        );
        assert!(delivered > 0 && delivered <= 100_000, "{delivered}");
        let pending = s3.pending_cuts("ended", "data.csv");
        assert!(pending < 20, "the read was not resumed");
        assert!(
            body.next().await.is_none(),
            "a read resumed after its error"
        );
        assert_eq!(
            s3.pending_cuts("ended", "data.csv"),
            pending,
            "a request after the error"
        );
    });
}

#[test]
fn a_shared_store_serves_every_location_opened_in_its_scope() {
    let s3 = server();
    s3.put("scoped", "a.csv", &csv_rows(10).0);
    tokio_runtime().block_on(async {
        let impatient = iterable_sources::s3::S3Store::connect(&iterable_sources::s3::S3Options {
            retries: 0,
            ..Default::default()
        })
        .await
        .unwrap();
        // In the scope, the store that does not retry answers: one SlowDown fails the read.
        s3.slow_down("scoped", "a.csv", 1);
        let scoped = iterable_sources::remote::with_store(impatient, async {
            iterable_tokio::open("s3://scoped/a.csv").await.map(drop)
        })
        .await;
        let error = scoped.expect_err("no retry in the scope");
        assert!(error.to_string().contains("SlowDown"), "{error}");
        // Outside it, each location has a client of its own, which retries.
        s3.slow_down("scoped", "a.csv", 1);
        iterable_tokio::open("s3://scoped/a.csv").await.unwrap();
    });
}
