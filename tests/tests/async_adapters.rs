//! What the async adapters promise beyond reading the same records: they share their thread,
//! they cancel cleanly, they embed in tokio-util codecs, and they convert and pipeline.

use futures::{SinkExt, StreamExt};
use iterable_core::{ErrorKind, Record, Value};
use iterable_formats::{Format, ReadOptions, WriteOptions};
use iterable_sync::ConvertOptions;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn many_lines(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("{{\"i\":{i}}}\n").into_bytes())
        .collect()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn a_large_input_does_not_starve_other_tasks_on_tokio() {
    // An in-memory input is always ready: without yielding, the reader would never let the
    // ticker run until it is done.
    let input = many_lines(200_000);
    let ticks = Arc::new(AtomicU64::new(0));
    tokio_rt().block_on(async {
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    ticks.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            })
        };
        let mut reader = iterable_tokio::from_reader(&input[..], &ReadOptions::default())
            .await
            .unwrap();
        let mut ticks_seen_while_reading = 0;
        while let Some(record) = reader.read().await.unwrap() {
            if record.get("i") == Some(&Value::Int(100_000)) {
                ticks_seen_while_reading = ticks.load(Ordering::Relaxed);
            }
        }
        ticker.abort();
        assert!(
            ticks_seen_while_reading >= 50,
            "the ticker ran {ticks_seen_while_reading} times"
        );
    });
}

#[test]
fn a_large_input_does_not_starve_other_tasks_on_smol() {
    let input = many_lines(200_000);
    let ticks = Arc::new(AtomicU64::new(0));
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        let ticker = {
            let ticks = ticks.clone();
            executor.spawn(async move {
                loop {
                    ticks.fetch_add(1, Ordering::Relaxed);
                    smol::future::yield_now().await;
                }
            })
        };
        let reader = iterable_smol::from_reader(&input[..], &ReadOptions::default())
            .await
            .unwrap();
        let records = reader.count().await;
        assert_eq!(records, 200_000);
        let seen = ticks.load(Ordering::Relaxed);
        drop(ticker);
        assert!(seen >= 100, "the ticker ran {seen} times");
    }));
}

#[test]
fn dropping_a_writer_part_way_leaves_no_partial_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.csv");
    std::fs::write(&target, "old\n1\n2\n").unwrap();
    let path = target.to_str().unwrap().to_owned();
    let record: Record = [("a", 1)].into_iter().collect();
    tokio_rt().block_on(async {
        let mut writer = iterable_tokio::create(&path).await.unwrap();
        for _ in 0..100_000 {
            writer.write(&record).await.unwrap();
        }
        assert_eq!(
            files_in(dir.path()).len(),
            2,
            "the target and the temporary file"
        );
    });
    assert_eq!(files_in(dir.path()), ["out.csv"]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n1\n2\n");
    smol::block_on(async {
        let mut writer = iterable_smol::create(&path).await.unwrap();
        for _ in 0..100_000 {
            writer.write(&record).await.unwrap();
        }
        drop(writer);
    });
    assert_eq!(files_in(dir.path()), ["out.csv"]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n1\n2\n");
    // and a reader dropped part-way is just closed
    smol::block_on(async {
        let mut reader = iterable_smol::open(&path).await.unwrap();
        assert!(reader.read().await.unwrap().is_some());
    });
}

#[test]
fn reader_forwards_into_writer_as_stream_and_sink() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("in.csv");
    std::fs::write(&source, "a,b\n1,2\n3,4\n").unwrap();
    let (src, dst) = (
        source.to_str().unwrap().to_owned(),
        dir.path().join("out.jsonl"),
    );
    let dst = dst.to_str().unwrap().to_owned();
    tokio_rt().block_on(async {
        let reader = iterable_tokio::open(&src).await.unwrap();
        let writer = iterable_tokio::create(&dst).await.unwrap();
        reader.forward(writer).await.unwrap();
    });
    assert_eq!(
        std::fs::read_to_string(&dst).unwrap(),
        "{\"a\":\"1\",\"b\":\"2\"}\n{\"a\":\"3\",\"b\":\"4\"}\n"
    );
    std::fs::remove_file(&dst).unwrap();
    smol::block_on(async {
        let reader = iterable_smol::open(&src).await.unwrap();
        let writer = iterable_smol::create(&dst).await.unwrap();
        reader.forward(writer).await.unwrap();
    });
    assert_eq!(std::fs::read_to_string(&dst).unwrap().lines().count(), 2);
}

#[test]
fn codecs_carry_records_over_tcp() {
    use iterable_tokio::framed::{RecordDecoder, RecordEncoder};
    use tokio_util::codec::{FramedRead, FramedWrite};
    tokio_rt().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut records = FramedRead::new(
                socket,
                RecordDecoder::new(Format::JSONL, &ReadOptions::default()).unwrap(),
            );
            let mut seen = Vec::new();
            while let Some(item) = records.next().await {
                seen.push(item.unwrap().map_err(|e| e.position().line));
            }
            seen
        });
        let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
        {
            let mut sink = FramedWrite::new(
                &mut socket,
                RecordEncoder::new(Format::JSONL, &WriteOptions::default()).unwrap(),
            );
            for i in 0..1000 {
                sink.send([("i", i)].into_iter().collect()).await.unwrap();
            }
        }
        tokio::io::AsyncWriteExt::write_all(&mut socket, b"not json\n{\"i\":1000}\n")
            .await
            .unwrap();
        drop(socket);
        let seen = server.await.unwrap();
        assert_eq!(seen.len(), 1002);
        assert_eq!(
            seen[1000],
            Err(Some(1001)),
            "the bad line is an item, with its line"
        );
        assert_eq!(
            seen[1001].as_ref().unwrap().get("i"),
            Some(&Value::Int(1000))
        );
        assert!(
            seen[..1000]
                .iter()
                .enumerate()
                .all(|(i, r)| r.as_ref().unwrap().get("i") == Some(&Value::Int(i as i64)))
        );
    });
}

/// Three inputs, one of them bad: the others convert, the bad one names its file and leaves
/// nothing behind.
fn convert_many_case() -> (
    tempfile::TempDir,
    Vec<String>,
    std::path::PathBuf,
    ConvertOptions,
) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("a.csv"), "x\n1\n2\n").unwrap();
    std::fs::write(input.join("b.csv"), "x\n\"never closed\n").unwrap();
    std::fs::write(input.join("c.csv"), "x\n3\n").unwrap();
    let out = dir.path().join("out");
    let options = ConvertOptions {
        write: WriteOptions {
            format: Some(Format::JSONL),
            ..WriteOptions::default()
        },
        jobs: 3,
        ..ConvertOptions::default()
    };
    (
        dir,
        vec![format!("{}/*.csv", input.display())],
        out,
        options,
    )
}

fn check_convert_many(converted: Vec<iterable_sync::Converted>, out: &std::path::Path) {
    assert_eq!(converted.len(), 3);
    assert_eq!(converted[0].result.as_ref().unwrap().records, 2);
    let err = converted[1].result.as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert!(err.to_string().contains("b.csv"), "{err}");
    assert_eq!(converted[2].result.as_ref().unwrap().records, 1);
    assert_eq!(files_in(out), ["a.jsonl", "c.jsonl"]);
    assert_eq!(
        std::fs::read_to_string(out.join("c.jsonl")).unwrap(),
        "{\"x\":\"3\"}\n"
    );
}

#[test]
fn convert_many_isolates_a_failing_input_in_every_adapter() {
    let (_dir, inputs, out, options) = convert_many_case();
    check_convert_many(
        iterable_sync::convert_many(&inputs, &out, &options).unwrap(),
        &out,
    );
    let (_dir, inputs, out, options) = convert_many_case();
    let converted = tokio_rt()
        .block_on(iterable_tokio::convert_many(&inputs, &out, &options))
        .unwrap();
    check_convert_many(converted, &out);
    let (_dir, inputs, out, options) = convert_many_case();
    check_convert_many(
        smol::block_on(iterable_smol::convert_many(&inputs, &out, &options)).unwrap(),
        &out,
    );
}

#[test]
fn convert_many_refuses_two_inputs_for_one_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "x\n1\n").unwrap();
    std::fs::write(dir.path().join("a.tsv"), "x\n1\n").unwrap();
    let (_keep, _, out, options) = convert_many_case();
    let err =
        iterable_sync::convert_many(&[format!("{}/a.*", dir.path().display())], &out, &options)
            .unwrap_err();
    assert!(err.to_string().contains("both be written"), "{err}");
}

#[test]
fn pipelines_keep_order_with_concurrent_transforms() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("in.jsonl");
    std::fs::write(&source, many_lines(300)).unwrap();
    let src = source.to_str().unwrap().to_owned();
    let dst = dir.path().join("out.jsonl").to_str().unwrap().to_owned();
    let progress = Arc::new(AtomicU64::new(0));
    let seen = progress.clone();
    let options = ConvertOptions {
        jobs: 16,
        progress: Some(Arc::new(move |p: &iterable_core::Progress| {
            seen.store(p.records, Ordering::Relaxed)
        })),
        ..ConvertOptions::default()
    };
    let expected: Vec<i64> = (0..300)
        .filter(|i| i % 3 != 0)
        .flat_map(|i| [i, i])
        .collect();
    let numbers = |path: &str| -> Vec<i64> {
        iterable_sync::open(path)
            .unwrap()
            .map(|r| r.unwrap().get("i").unwrap().as_i64().unwrap())
            .collect()
    };
    // Later records finish first; drop every third, double the rest.
    let stats = tokio_rt()
        .block_on(iterable_tokio::pipeline(
            &src,
            |r: Record| async move {
                let i = r.get("i").and_then(Value::as_i64).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(((300 - i) % 7) as u64)).await;
                Ok(if i % 3 == 0 {
                    vec![]
                } else {
                    vec![r.clone(), r]
                })
            },
            &dst,
            &options,
        ))
        .unwrap();
    assert_eq!(stats.records, expected.len() as u64);
    assert_eq!(numbers(&dst), expected);
    assert_eq!(
        progress.load(Ordering::Relaxed),
        300,
        "the last progress report counts every record"
    );

    let twice_but_thirds = |r: Record| {
        let i = r.get("i").and_then(Value::as_i64).unwrap_or(0);
        Ok(if i % 3 == 0 {
            vec![]
        } else {
            vec![r.clone(), r]
        })
    };
    iterable_sync::pipeline(&src, twice_but_thirds, &dst, &options).unwrap();
    assert_eq!(numbers(&dst), expected);
    smol::block_on(iterable_smol::pipeline(
        &src,
        |r| async move { twice_but_thirds(r) },
        &dst,
        &options,
    ))
    .unwrap();
    assert_eq!(numbers(&dst), expected);
}

#[test]
fn a_failing_transform_leaves_the_target_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("in.jsonl");
    std::fs::write(&source, many_lines(10)).unwrap();
    let target = dir.path().join("out.jsonl");
    let fail_at_five = |r: Record| {
        if r.get("i") == Some(&Value::Int(5)) {
            Err(iterable_core::Error::new(ErrorKind::InvalidRecord, "five"))
        } else {
            Ok(Some(r))
        }
    };
    let err = tokio_rt()
        .block_on(iterable_tokio::pipeline(
            source.to_str().unwrap(),
            |r| async move { fail_at_five(r) },
            target.to_str().unwrap(),
            &ConvertOptions::default(),
        ))
        .unwrap_err();
    assert_eq!(err.message(), "five");
    assert_eq!(files_in(dir.path()), ["in.jsonl"]);
}

/// A progress callback that lets a conversion end only once two conversions are running at
/// once (two threads have called it), or after 20 s: under `convert_many` with `jobs = 2`,
/// only conversions that really run in parallel get through without the wait.
fn rendezvous() -> (iterable_core::ProgressFn, Arc<std::sync::Mutex<bool>>) {
    use std::collections::HashSet;
    use std::sync::{Condvar, Mutex};
    let threads = Arc::new((Mutex::new(HashSet::new()), Condvar::new()));
    let timed_out = Arc::new(Mutex::new(false));
    let flag = timed_out.clone();
    let callback = move |_: &iterable_core::Progress| {
        let (seen, arrived) = &*threads;
        let mut seen = seen.lock().unwrap();
        seen.insert(std::thread::current().id());
        arrived.notify_all();
        let (seen, wait) = arrived
            .wait_timeout_while(seen, Duration::from_secs(20), |seen| seen.len() < 2)
            .unwrap();
        if wait.timed_out() && seen.len() < 2 {
            *flag.lock().unwrap() = true;
        }
    };
    (Arc::new(callback), timed_out)
}

#[test]
fn convert_many_runs_two_jobs_at_once_in_every_adapter() {
    type ConvertMany =
        fn(&[String], &std::path::Path, &ConvertOptions) -> Vec<iterable_sync::Converted>;
    let adapters: [(&str, ConvertMany); 4] = [
        ("sync", |inputs, out, options| {
            iterable_sync::convert_many(inputs, out, options).unwrap()
        }),
        ("tokio, two workers", |inputs, out, options| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime
                .block_on(iterable_tokio::convert_many(inputs, out, options))
                .unwrap()
        }),
        ("smol", |inputs, out, options| {
            smol::block_on(iterable_smol::convert_many(inputs, out, options)).unwrap()
        }),
        ("async-std", |inputs, out, options| {
            async_std::task::block_on(iterable_smol::convert_many(inputs, out, options)).unwrap()
        }),
    ];
    for (name, convert_many) in adapters {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..2 {
            std::fs::write(dir.path().join(format!("{i}.jsonl")), many_lines(2000)).unwrap();
        }
        let (progress, timed_out) = rendezvous();
        let options = ConvertOptions {
            write: WriteOptions {
                format: Some(Format::CSV),
                ..WriteOptions::default()
            },
            jobs: 2,
            progress: Some(progress),
            ..ConvertOptions::default()
        };
        let inputs = [format!("{}/*.jsonl", dir.path().display())];
        let converted = convert_many(&inputs, &dir.path().join("out"), &options);
        assert_eq!(converted.len(), 2, "{name}");
        for one in converted {
            assert_eq!(one.result.unwrap().records, 2000, "{name}");
        }
        assert!(
            !*timed_out.lock().unwrap(),
            "{name}: the two conversions did not run at once"
        );
    }
}

#[test]
fn a_large_file_read_ahead_does_not_starve_other_tasks_on_tokio() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    std::fs::write(&path, many_lines(200_000)).unwrap();
    let ticks = Arc::new(AtomicU64::new(0));
    tokio_rt().block_on(async {
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    ticks.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            })
        };
        let mut reader = iterable_tokio::open(path.to_str().unwrap()).await.unwrap();
        let (mut records, mut ticks_seen_while_reading) = (0, 0);
        while let Some(record) = reader.read().await.unwrap() {
            records += 1;
            if record.get("i") == Some(&Value::Int(150_000)) {
                ticks_seen_while_reading = ticks.load(Ordering::Relaxed);
            }
        }
        ticker.abort();
        assert_eq!(records, 200_000);
        assert!(
            ticks_seen_while_reading >= 100,
            "the ticker ran {ticks_seen_while_reading} times"
        );
    });
}

#[test]
fn a_conversion_that_panics_fails_alone_in_every_adapter() {
    type ConvertMany =
        fn(&[String], &std::path::Path, &ConvertOptions) -> Vec<iterable_sync::Converted>;
    let adapters: [(&str, ConvertMany); 3] = [
        ("sync", |inputs, out, options| {
            iterable_sync::convert_many(inputs, out, options).unwrap()
        }),
        ("tokio", |inputs, out, options| {
            tokio_rt()
                .block_on(iterable_tokio::convert_many(inputs, out, options))
                .unwrap()
        }),
        ("smol", |inputs, out, options| {
            smol::block_on(iterable_smol::convert_many(inputs, out, options)).unwrap()
        }),
    ];
    for (name, convert_many) in adapters {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..2 {
            std::fs::write(dir.path().join(format!("{i}.jsonl")), many_lines(100)).unwrap();
        }
        // The first progress report panics, whichever conversion makes it.
        let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let options = ConvertOptions {
            write: WriteOptions {
                format: Some(Format::CSV),
                ..WriteOptions::default()
            },
            progress: Some(Arc::new(move |_: &iterable_core::Progress| {
                if first.swap(false, Ordering::Relaxed) {
                    panic!("a progress callback gave up");
                }
            })),
            ..ConvertOptions::default()
        };
        let inputs = [format!("{}/*.jsonl", dir.path().display())];
        let converted = convert_many(&inputs, &dir.path().join("out"), &options);
        let (failed, done): (Vec<_>, Vec<_>) =
            converted.into_iter().partition(|c| c.result.is_err());
        assert_eq!((failed.len(), done.len()), (1, 1), "{name}");
        let error = failed[0].result.as_ref().unwrap_err().to_string();
        assert!(
            error.contains("the conversion panicked: a progress callback gave up"),
            "{name}: {error}"
        );
        assert_eq!(done[0].result.as_ref().unwrap().records, 100, "{name}");
    }
}
