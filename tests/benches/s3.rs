//! S3 reading against the in-process s3s server on 127.0.0.1 (`iterable_tests::s3_server`):
//! 16 objects with 50 ms added to every request, converted one at a time and 16 at once; and
//! one large object read by iterable's readers against a plain aws-sdk-s3 loop that only
//! counts the body's bytes, then written back by one `PutObject`, by `RemoteUpload` and by an
//! S3-to-S3 `convert`. Run through `bench/run.sh` or
//! `cargo bench -p iterable-tests --bench s3`.

use futures::{Stream, StreamExt};
use iterable_core::Record;
use iterable_formats::{Format, WriteOptions};
use iterable_sync::ConvertOptions;
use iterable_tests::s3_server::S3Server;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn main() {
    let rows = iterable_tests::bench_rows();
    let (csv, _) = iterable_tests::bench_files();
    let s3 = S3Server::start();
    for (name, value) in s3.env() {
        // SAFETY: set before any other thread of this process reads the environment.
        unsafe { std::env::set_var(name, value) };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Many small objects behind latency.
    let text = std::fs::read_to_string(&csv).unwrap();
    let small: String = text
        .lines()
        .take(10_001)
        .map(|l| format!("{l}\n"))
        .collect();
    for i in 0..16 {
        s3.put("bench", &format!("many/part-{i:02}.csv"), small.as_bytes());
    }
    s3.set_latency(Duration::from_millis(50));
    println!(
        "16 objects of 10,000 CSV rows, 50 ms added to every request; seconds, best of {RUNS}\n"
    );
    println!("| adapter | jobs = 1 | jobs = 16 | speed-up |");
    println!("|---|---:|---:|---:|");
    let out = tempfile::tempdir().unwrap();
    let inputs = ["s3://bench/many/part-*.csv".to_owned()];
    let options = |jobs| ConvertOptions {
        write: WriteOptions {
            format: Some(Format::JSONL),
            ..Default::default()
        },
        jobs,
        ..Default::default()
    };
    let tokio_many = |jobs| {
        best(|| {
            let converted = runtime
                .block_on(iterable_tokio::convert_many(
                    &inputs,
                    out.path(),
                    &options(jobs),
                ))
                .unwrap();
            assert!(converted.iter().all(|c| c.result.is_ok()));
        })
    };
    let (one, sixteen) = (tokio_many(1), tokio_many(16));
    row("tokio", one, sixteen);
    let sync_many = |jobs| {
        best(|| {
            let converted =
                iterable_sync::convert_many(&inputs, out.path(), &options(jobs)).unwrap();
            assert!(converted.iter().all(|c| c.result.is_ok()));
        })
    };
    let (one, sixteen) = (sync_many(1), sync_many(16));
    row("sync", one, sixteen);
    s3.set_latency(Duration::ZERO);

    // One large object.
    s3.put("bench", "large.csv", text.as_bytes());
    let mb = text.len() as f64 / 1e6;
    println!("\nOne {mb:.0} MB CSV object ({rows} rows); MB/s, best of {RUNS}\n");
    println!("| reader | MB/s | vs the plain SDK loop |");
    println!("|---|---:|---:|");
    let plain = best(|| {
        let bytes = runtime.block_on(sdk_loop("bench", "large.csv"));
        assert_eq!(bytes, text.len() as u64);
    });
    let report = |name: &str, time: Duration| {
        println!(
            "| {name} | {:.0} | {:.2}x |",
            mb / time.as_secs_f64(),
            plain.as_secs_f64() / time.as_secs_f64()
        );
    };
    report("aws-sdk-s3 loop, bytes only", plain);
    let tokio = best(|| {
        let records = runtime.block_on(async {
            count(iterable_tokio::open("s3://bench/large.csv").await.unwrap()).await
        });
        assert_eq!(records, rows as u64);
    });
    report("iterable-tokio, records", tokio);
    let sync = best(|| {
        let reader = iterable_sync::open("s3://bench/large.csv").unwrap();
        assert_eq!(reader.count(), rows);
    });
    report("iterable-sync, records", sync);
    let smol = best(|| {
        let records = smol::block_on(async {
            count(iterable_smol::open("s3://bench/large.csv").await.unwrap()).await
        });
        assert_eq!(records, rows as u64);
    });
    report("iterable-smol, records", smol);

    // The same bytes written back.
    println!("\nThe {mb:.0} MB written as one object; MB/s, best of {RUNS}\n");
    println!("| writer | MB/s | vs one plain PutObject |");
    println!("|---|---:|---:|");
    let bytes = bytes::Bytes::from(text.clone().into_bytes());
    let put = best(|| runtime.block_on(sdk_put("bench", "put.csv", bytes.clone())));
    let report = |name: &str, time: Duration| {
        println!(
            "| {name} | {:.0} | {:.2}x |",
            mb / time.as_secs_f64(),
            put.as_secs_f64() / time.as_secs_f64()
        );
    };
    report("aws-sdk-s3 `put_object`, one request", put);
    let upload = best(|| {
        runtime.block_on(async {
            use tokio::io::AsyncWriteExt;
            let store = iterable_sources::s3::S3Store::connect(&Default::default())
                .await
                .unwrap();
            let mut upload = store.create("bench", "upload.csv");
            for chunk in bytes.chunks(128 * 1024) {
                upload.write_all(chunk).await.unwrap();
            }
            upload.shutdown().await.unwrap();
        })
    });
    report("iterable `RemoteUpload`, 8 MiB parts, 4 at once", upload);
    let records = best(|| {
        runtime.block_on(async {
            let options = ConvertOptions::default();
            iterable_tokio::convert("s3://bench/large.csv", "s3://bench/copy.csv", &options)
                .await
                .unwrap();
        })
    });
    report(
        "iterable-tokio `convert` S3 CSV to S3 CSV, records",
        records,
    );
}

/// Writes an object with the SDK alone, in one request.
async fn sdk_put(bucket: &str, key: &str, bytes: bytes::Bytes) {
    sdk_client()
        .await
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .unwrap();
}

/// Counts the records of an async reader, failing on the first error.
async fn count<S: Stream<Item = iterable_core::Result<Record>> + Unpin>(mut records: S) -> u64 {
    let mut n = 0;
    while let Some(record) = records.next().await {
        record.unwrap();
        n += 1;
    }
    n
}

/// A client as the SDK's own documentation makes one, for the test server's endpoint.
async fn sdk_client() -> aws_sdk_s3::Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Reads an object with the SDK alone, as a user without iterable would: GET, then every
/// chunk of the body.
async fn sdk_loop(bucket: &str, key: &str) -> u64 {
    let mut body = sdk_client()
        .await
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .body;
    let mut bytes = 0u64;
    while let Some(chunk) = body.next().await {
        bytes += chunk.unwrap().len() as u64;
    }
    bytes
}

fn row(adapter: &str, one: Duration, sixteen: Duration) {
    println!(
        "| {adapter} | {:.2} | {:.2} | {:.1}x |",
        one.as_secs_f64(),
        sixteen.as_secs_f64(),
        one.as_secs_f64() / sixteen.as_secs_f64()
    );
}

fn best(mut run: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap()
}
