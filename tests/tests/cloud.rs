//! Google Cloud Storage and Azure Blob Storage from every adapter, each against a server on
//! 127.0.0.1 that the tests start:
//! - GCS against an unsigned S3-protocol server (`iterable_tests::s3_server`), which serves
//!   what GCS's XML API is (S3's paths, listings, multipart uploads, preconditions) with
//!   faults on demand: cut reads, failing parts; clients find it through
//!   `STORAGE_EMULATOR_HOST`, as GCS emulators are found.
//! - Azure against Azurite (`iterable_tests::azurite`), reached through
//!   `AZURE_STORAGE_CONNECTION_STRING`; blobs are put and checked with Microsoft's own Python
//!   client (tests/peers/azure_blob.py).
//!
//! The environment is one per process: the servers start once, and each test works in
//! buckets and containers of its own.

mod common;

use common::{ADAPTERS, csv_rows, gzip, jsonl, many_records, tokio_runtime};

use iterable_core::{ErrorKind, Record};
use iterable_formats::{Format, WriteOptions};
use iterable_sync::ConvertOptions;
use iterable_tests::azurite::{ACCOUNT, ACCOUNT_KEY, Azurite};
use iterable_tests::s3_server::S3Server;
use std::sync::OnceLock;

/// The two servers.
struct Stores {
    gcs: S3Server,
    /// A proxy in front of Azurite, with faults on demand: every Azure request goes through
    /// it (paths `/devstoreaccount1/CONTAINER/BLOB`).
    azure_faults: S3Server,
    /// Running while the tests run.
    _azure: Azurite,
}

/// The servers, started on first use, with the environment pointing clients at them.
fn stores() -> &'static Stores {
    static STORES: OnceLock<Stores> = OnceLock::new();
    STORES.get_or_init(|| {
        let parent = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let gcs = S3Server::start_unsigned_in(parent);
        let azure = Azurite::start_in(parent)
            .expect("Azurite is not installed: tests/run.sh installs it under target/azurite");
        // SAFETY: set once, before any client of this process reads the environment; every
        // test calls `stores()` before it reaches a store.
        for (name, _) in std::env::vars() {
            if name.starts_with("GOOGLE_") || name.starts_with("AZURE_") {
                unsafe { std::env::remove_var(name) };
            }
        }
        let azure_faults = S3Server::proxy_in(parent, azure.endpoint());
        let through_faults = iterable_tests::azurite::connection_string(azure_faults.endpoint());
        unsafe {
            std::env::set_var("STORAGE_EMULATOR_HOST", gcs.endpoint());
            std::env::set_var("AZURE_STORAGE_CONNECTION_STRING", through_faults);
        }
        Stores {
            gcs,
            azure_faults,
            _azure: azure,
        }
    })
}

impl Stores {
    /// Makes an Azure container, with Microsoft's client.
    fn container(&self, name: &str) {
        iterable_tests::run_peer("azure_blob.py", &["container", name]);
    }

    /// Puts a blob, with Microsoft's client.
    fn put_blob(&self, container: &str, blob: &str, bytes: &[u8]) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let path = file.path().to_str().unwrap();
        iterable_tests::run_peer("azure_blob.py", &["put", container, blob, path]);
    }

    /// A blob's bytes, with Microsoft's client.
    fn blob(&self, container: &str, blob: &str) -> Vec<u8> {
        let file = tempfile::NamedTempFile::new().unwrap();
        let path = file.path().to_str().unwrap();
        iterable_tests::run_peer("azure_blob.py", &["get", container, blob, path]);
        std::fs::read(file.path()).unwrap()
    }

    /// The names of a container's blobs, with Microsoft's client.
    fn blobs(&self, container: &str) -> Vec<String> {
        let listed = iterable_tests::peer_output("azure_blob.py", &["list", container]);
        listed.lines().map(str::to_owned).collect()
    }
}

fn read_with(adapter: &str, location: &str) -> iterable_core::Result<Vec<Record>> {
    common::read_with(adapter, location, &iterable_formats::ReadOptions::default())
}

#[test]
fn every_adapter_streams_objects_the_stores_own_clients_put() {
    let stores = stores();
    let (csv, expected) = csv_rows(20_000);
    stores.gcs.put("reads", "logs/day.csv.gz", &gzip(&csv));
    stores.container("reads");
    stores.put_blob("reads", "logs/day.csv.gz", &gzip(&csv));
    stores.put_blob("reads", "logs/plain.csv", &csv);
    for location in [
        "gs://reads/logs/day.csv.gz",
        "gcs://reads/logs/day.csv.gz",
        "az://reads/logs/day.csv.gz",
        "azure://reads/logs/plain.csv",
    ] {
        for adapter in ADAPTERS {
            let records = read_with(adapter, location)
                .unwrap_or_else(|e| panic!("{adapter} {location}: {e}"));
            assert!(records == expected, "{adapter} {location}: records differ");
        }
    }
}

#[test]
fn every_adapter_writes_objects_small_and_multipart() {
    let stores = stores();
    stores.gcs.bucket("writes");
    stores.container("writes");
    let small = many_records(10);
    let large = many_records(200_000); // about 24 MB: three parts
    for records in [&small, &large] {
        let expected = jsonl(records);
        for store in ["gs", "az"] {
            let target =
                |adapter: &str| format!("{store}://writes/{adapter}/{}.jsonl", records.len());
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
        }
        for adapter in ["sync", "tokio", "smol"] {
            let key = format!("{adapter}/{}.jsonl", records.len());
            let written = stores.gcs.object("writes", &key);
            assert!(
                written.as_ref() == Some(&expected),
                "gs {key}: bytes differ"
            );
            assert!(
                stores.blob("writes", &key) == expected,
                "az {key}: bytes differ"
            );
        }
    }
    // An empty output is an empty object, not a missing one.
    for location in ["gs://writes/empty.jsonl", "az://writes/empty.jsonl"] {
        let writer = iterable_sync::create(location).unwrap();
        writer.finish().unwrap();
        assert_eq!(read_with("sync", location).unwrap(), Vec::<Record>::new());
    }
    assert_eq!(stores.gcs.object("writes", "empty.jsonl").unwrap(), b"");
    assert_eq!(stores.blob("writes", "empty.jsonl"), b"");
}

#[test]
fn a_gcs_read_cut_part_way_resumes_and_a_replaced_object_fails() {
    let gcs = &stores().gcs;
    let (csv, expected) = csv_rows(30_000);
    let object = gzip(&csv);
    gcs.put("cuts", "data.csv.gz", &object);
    for adapter in ADAPTERS {
        let size = object.len() as u64;
        gcs.cut("cuts", "data.csv.gz", &[1, 70_001, size / 2]);
        let records = read_with(adapter, "gs://cuts/data.csv.gz")
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert_eq!(gcs.pending_cuts("cuts", "data.csv.gz"), 0, "{adapter}");
        assert!(records == expected, "{adapter}: records differ");
    }
    let (second, _) = csv_rows(40_000);
    gcs.put("cuts", "versions.csv", &csv);
    gcs.cut("cuts", "versions.csv", &[100_000]);
    gcs.replace_on_cut("cuts", "versions.csv", &second);
    let error = read_with("sync", "gs://cuts/versions.csv").expect_err("two versions");
    let message = error.to_string();
    assert!(message.starts_with("gs://cuts/versions.csv: "), "{message}");
    assert!(message.contains("changed while it was read"), "{message}");
}

#[test]
fn missing_objects_are_one_line_errors_naming_them_without_secrets() {
    let stores = stores();
    stores.gcs.bucket("present");
    stores.container("present");
    for location in [
        "gs://present/missing.csv",
        "az://present/missing.csv",
        "az://absent-container/x.jsonl",
    ] {
        for adapter in ADAPTERS {
            let error = read_with(adapter, location).expect_err(location);
            let message = error.to_string();
            assert_eq!(error.kind(), ErrorKind::Remote, "{adapter}: {message}");
            assert!(message.starts_with(&format!("{location}: ")), "{message}");
            assert!(message.contains("no such object"), "{adapter}: {message}");
            assert!(!message.contains('\n'), "{message}");
            assert!(!message.contains(ACCOUNT_KEY), "{message}");
        }
    }
    let error = iterable_sync::open("gs://present").err().unwrap();
    assert!(error.to_string().contains("gs://bucket/key"), "{error}");
}

#[test]
fn a_dropped_or_failed_write_leaves_no_object() {
    let stores = stores();
    stores.gcs.bucket("aborts");
    stores.container("aborts");
    let records = many_records(150_000); // past the first 8 MiB part
    for store in ["gs", "az"] {
        let mut writer = iterable_sync::create(&format!("{store}://aborts/dropped.jsonl")).unwrap();
        writer.write_bulk(&records).unwrap();
        drop(writer); // waits for the abort
        tokio_runtime().block_on(async {
            let location = format!("{store}://aborts/tokio.jsonl");
            let mut writer = iterable_tokio::create(&location).await.unwrap();
            writer.write_bulk(&records).await.unwrap();
            drop(writer); // aborts in the background, on this runtime
            for _ in 0..100 {
                if store == "az" || stores.gcs.aborts("aborts", "tokio.jsonl") > 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        });
    }
    assert_eq!(stores.gcs.aborts("aborts", "dropped.jsonl"), 1);
    assert_eq!(stores.gcs.aborts("aborts", "tokio.jsonl"), 1);
    // A part the server keeps failing: the error names the object, nothing appears.
    stores.gcs.fail_parts("aborts", "failing.jsonl", 100);
    let mut writer = iterable_sync::create("gs://aborts/failing.jsonl").unwrap();
    let outcome = writer
        .write_bulk(&records)
        .and_then(|()| writer.finish().map(drop));
    let message = outcome.expect_err("the write fails").to_string();
    assert!(
        message.starts_with("gs://aborts/failing.jsonl: "),
        "{message}"
    );
    assert_eq!(stores.gcs.aborts("aborts", "failing.jsonl"), 1);
    for key in ["dropped.jsonl", "tokio.jsonl", "failing.jsonl"] {
        assert!(
            stores.gcs.object("aborts", key).is_none(),
            "gs {key} exists"
        );
    }
    assert_eq!(stores.blobs("aborts"), Vec::<String>::new());
}

#[test]
fn convert_many_lists_a_glob_in_one_store_and_writes_under_a_prefix_in_another() {
    let stores = stores();
    let (csv, expected) = csv_rows(500);
    stores.container("many");
    for day in ["2024-01", "2024-02", "2025-01"] {
        stores
            .gcs
            .put("many", &format!("logs/{day}.csv.gz"), &gzip(&csv));
        stores.put_blob("many", &format!("logs/{day}.csv"), &csv);
    }
    stores.gcs.put("many", "logs/2024-x/03.csv.gz", &gzip(&csv)); // `*` stays in its folder
    let options = ConvertOptions {
        write: WriteOptions {
            format: Some(Format::JSONL),
            ..Default::default()
        },
        jobs: 2,
        ..Default::default()
    };
    let inputs = ["gs://many/logs/2024-*.csv.gz".to_owned()];
    let converted = iterable_sync::convert_many(&inputs, "az://many/out/", &options).unwrap();
    let outputs: Vec<&str> = converted.iter().map(|c| c.output.as_str()).collect();
    assert_eq!(
        outputs,
        ["az://many/out/2024-01.jsonl", "az://many/out/2024-02.jsonl"]
    );
    assert_eq!(
        read_with("sync", "az://many/out/2024-02.jsonl").unwrap(),
        expected
    );
    let inputs = ["az://many/logs/202?-01.csv".to_owned()];
    let converted = tokio_runtime()
        .block_on(iterable_tokio::convert_many(
            &inputs,
            "gs://many/back/",
            &options,
        ))
        .unwrap();
    let outputs: Vec<&str> = converted.iter().map(|c| c.output.as_str()).collect();
    assert_eq!(
        outputs,
        [
            "gs://many/back/2024-01.jsonl",
            "gs://many/back/2025-01.jsonl"
        ]
    );
    for item in &converted {
        assert_eq!(item.result.as_ref().unwrap().records, 500);
    }
    assert_eq!(
        read_with("smol", "gs://many/back/2025-01.jsonl").unwrap(),
        expected
    );
    for (pattern, store) in [
        ("gs://many/logs/1999-*.csv.gz", "gs"),
        ("az://many/x/*.csv", "az"),
    ] {
        let error =
            iterable_sync::convert_many(&[pattern.to_owned()], "out/", &options).expect_err(store);
        assert!(error.to_string().contains("matches no object"), "{error}");
    }
}

#[test]
fn a_parquet_object_is_read_by_ranges_in_every_adapter() {
    let stores = stores();
    let records = many_records(20_000);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("data.parquet");
    let mut writer = iterable_sync::create(local.to_str().unwrap()).unwrap();
    writer.write_bulk(&records).unwrap();
    writer.finish().unwrap();
    let parquet = std::fs::read(&local).unwrap();
    stores.gcs.put("ranges", "data.parquet", &parquet);
    stores.container("ranges");
    stores.put_blob("ranges", "data.parquet", &parquet);
    for location in ["gs://ranges/data.parquet", "az://ranges/data.parquet"] {
        for adapter in ADAPTERS {
            let back = read_with(adapter, location)
                .unwrap_or_else(|e| panic!("{adapter} {location}: {e}"));
            assert!(back == records, "{adapter} {location}: records differ");
        }
    }
    // Straight from the client: ranges, a range pinned to a version that is gone.
    tokio_runtime().block_on(async {
        for location in ["gs://ranges/data.parquet", "az://ranges/data.parquet"] {
            let location = iterable_sources::Location::parse(location).unwrap();
            let store =
                iterable_sources::cloud::CloudStore::connect(&location, &Default::default())
                    .unwrap();
            let described = store.describe("data.parquet").await.unwrap();
            assert_eq!(described.size, Some(parquet.len() as u64));
            let middle = store
                .read_range("data.parquet", 4..1_004, None)
                .await
                .unwrap();
            assert!(middle[..] == parquet[4..1_004], "{location}");
            let pinned = store
                .read_range("data.parquet", 0..4, described.etag.as_deref())
                .await
                .unwrap();
            assert_eq!(&pinned[..], b"PAR1");
            if location.to_string().starts_with("az://") {
                // (The S3 test server takes no If-Match on reads; Azurite does.)
                let error = store
                    .read_range("data.parquet", 0..4, Some("\"not-its-etag\""))
                    .await
                    .unwrap_err();
                let message = error.to_string();
                assert!(message.contains("changed while it was read"), "{message}");
            }
        }
    });
}

#[test]
fn an_azure_read_cut_part_way_resumes_and_throttling_is_retried() {
    let stores = stores();
    let faults = &stores.azure_faults;
    let (csv, expected) = csv_rows(30_000);
    let object = gzip(&csv);
    stores.container("azcuts");
    stores.put_blob("azcuts", "data.csv.gz", &object);
    let bucket = format!("{ACCOUNT}/azcuts");
    for adapter in ADAPTERS {
        let size = object.len() as u64;
        faults.cut(&bucket, "data.csv.gz", &[1, 70_001, size / 2]);
        let records = read_with(adapter, "az://azcuts/data.csv.gz")
            .unwrap_or_else(|e| panic!("{adapter}: {e}"));
        assert_eq!(faults.pending_cuts(&bucket, "data.csv.gz"), 0, "{adapter}");
        assert!(records == expected, "{adapter}: records differ");
    }
    faults.slow_down(&bucket, "data.csv.gz", 3);
    assert_eq!(
        read_with("sync", "az://azcuts/data.csv.gz").unwrap(),
        expected
    );
    faults.slow_down(&bucket, "data.csv.gz", 50);
    let error = read_with("tokio", "az://azcuts/data.csv.gz").expect_err("throttled");
    let message = error.to_string();
    assert!(
        message.starts_with("az://azcuts/data.csv.gz: "),
        "{message}"
    );
    assert!(message.contains("503"), "{message}");
    assert!(!message.contains(ACCOUNT_KEY), "{message}");
}

#[test]
fn an_azure_block_that_keeps_failing_fails_the_write_and_commits_nothing() {
    let stores = stores();
    stores.container("azfails");
    let records = many_records(150_000); // two blocks and more
    let bucket = format!("{ACCOUNT}/azfails");
    // Failing a few times is retried: the blob is written whole.
    stores.azure_faults.fail_parts(&bucket, "retried.jsonl", 2);
    let mut writer = iterable_sync::create("az://azfails/retried.jsonl").unwrap();
    writer.write_bulk(&records).unwrap();
    writer.finish().unwrap();
    assert!(stores.blob("azfails", "retried.jsonl") == jsonl(&records));
    stores
        .azure_faults
        .fail_parts(&bucket, "failing.jsonl", 1_000);
    for adapter in ["sync", "tokio", "smol"] {
        let outcome = common::write_with(
            adapter,
            "az://azfails/failing.jsonl",
            &Default::default(),
            &records,
        );
        let message = outcome.expect_err(adapter).to_string();
        assert!(
            message.starts_with("az://azfails/failing.jsonl: "),
            "{message}"
        );
        assert!(!message.contains(ACCOUNT_KEY), "{message}");
    }
    assert_eq!(stores.blobs("azfails"), ["retried.jsonl"]);
}

#[test]
fn a_gcs_read_cut_more_often_than_its_retries_goes_on_while_it_makes_progress() {
    let gcs = &stores().gcs;
    let (csv, expected) = csv_rows(30_000);
    gcs.put("many-cuts", "data.csv", &csv);
    // Twenty cuts, 40 KB apart: object_store gives up after its five retries, and the read
    // goes on with requests of its own.
    gcs.cut("many-cuts", "data.csv", &[40_000; 20]);
    let records = read_with("tokio", "gs://many-cuts/data.csv").unwrap();
    assert_eq!(gcs.pending_cuts("many-cuts", "data.csv"), 0);
    assert!(records == expected, "records differ");
    // Cut after 10 bytes, then before any byte every time: no progress, so it ends.
    let mut cuts = vec![10];
    cuts.extend([0; 200]);
    gcs.cut("many-cuts", "data.csv", &cuts);
    let message = read_with("sync", "gs://many-cuts/data.csv")
        .expect_err("no progress")
        .to_string();
    assert!(
        message.starts_with("gs://many-cuts/data.csv: "),
        "{message}"
    );
    assert!(message.contains("connection closed"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn a_tokio_reader_of_a_parquet_object_reads_its_ranges_through_one_client() {
    let gcs = &stores().gcs;
    let records = many_records(20_000);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("groups.parquet");
    let options = common::write_options(&[("row_group_size", "500")]);
    common::write_with("sync", local.to_str().unwrap(), &options, &records).unwrap();
    gcs.put(
        "one-client",
        "groups.parquet",
        &std::fs::read(&local).unwrap(),
    );
    let before = gcs.connections();
    let back = read_with("tokio", "gs://one-client/groups.parquet").unwrap();
    assert!(back == records, "records differ");
    // Forty row groups, a request or more each: a client each would connect forty times.
    let connections = gcs.connections() - before;
    assert!(connections <= 5, "{connections} connections");
}
