//! Every fixture through every adapter: sync, tokio, smol and async-std must produce the same
//! records and the same errors (kind, message, position), from files and from streams cut into
//! small chunks.

use bytes::Bytes;
use iterable_core::{ErrorKind, ErrorPolicy, Position, Record};
use iterable_formats::ReadOptions;

/// A record, or an error reduced to what all adapters must agree on.
type Outcome = Result<Record, (ErrorKind, String, Position)>;

fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let mut big = String::from("id,name\n");
    for i in 0..5000 {
        big.push_str(&format!("{i},\"name {i}, the {}\"\n", i % 7));
    }
    vec![
        ("plain.csv", b"a,b\n1,2\n3,4\n".to_vec()),
        ("bom-crlf.csv", b"\xEF\xBB\xBFa;b\r\n1;\"x\r\ny\"\r\n".to_vec()),
        ("ragged.csv", b"a,b\n1\n2,3\n4,5,6\n\xff,1\n7,8\n".to_vec()),
        ("no-newline.tsv", b"a\tb\n1\t2".to_vec()),
        ("types.jsonl", b"{\"i\":1,\"f\":1.5,\"b\":true,\"n\":null,\"big\":18446744073709551616,\"o\":{\"k\":[1,\"s\"]}}\n".to_vec()),
        ("bad-lines.jsonl", b"{\"a\":1}\n\n{\"a\":\n[1]\n{\"a\":2}\r\n{\"a\":3}".to_vec()),
        ("unterminated.csv", b"a,b\n1,2\n3,\"open\n".to_vec()),
        ("no-extension", b"x|y\n1|2\n".to_vec()),
        ("big.csv", big.into_bytes()),
    ]
}

fn sample_files() -> Vec<String> {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../data");
    vec![format!("{data}/sample.csv"), format!("{data}/sample.jsonl")]
}

fn record_outcome(result: iterable_core::Result<Record>) -> Outcome {
    result.map_err(|e| (e.kind(), e.to_string(), e.position()))
}

/// Reads everything, going on after recoverable errors.
macro_rules! collect_outcomes {
    ($reader:expr, $read:ident $(. $await:ident)?) => {{
        let mut reader = $reader;
        let mut out = Vec::new();
        loop {
            match reader.$read()$(.$await)? {
                Ok(Some(record)) => out.push(Ok(record)),
                Ok(None) => break,
                Err(e) => {
                    let fatal = !e.is_recoverable();
                    out.push(record_outcome(Err(e)));
                    if fatal {
                        break;
                    }
                }
            }
        }
        out
    }};
}

fn sync_outcomes(path: &str, options: &ReadOptions) -> Vec<Outcome> {
    collect_outcomes!(iterable_sync::open_with(path, options).unwrap(), read)
}

async fn tokio_outcomes(path: &str, options: &ReadOptions) -> Vec<Outcome> {
    collect_outcomes!(
        iterable_tokio::open_with(path, options).await.unwrap(),
        read.await
    )
}

async fn smol_outcomes(path: &str, options: &ReadOptions) -> Vec<Outcome> {
    collect_outcomes!(
        iterable_smol::open_with(path, options).await.unwrap(),
        read.await
    )
}

fn chunks(bytes: &[u8], size: usize) -> Vec<std::io::Result<Bytes>> {
    bytes
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect()
}

/// The same outcomes, with the location (which a stream lacks) taken out of error texts.
fn without_location(outcomes: &[Outcome], location: &str) -> Vec<Outcome> {
    let prefix = format!("{location}: ");
    outcomes
        .iter()
        .map(|o| match o {
            Ok(r) => Ok(r.clone()),
            Err((k, text, p)) => Err((
                *k,
                text.strip_prefix(&prefix).unwrap_or(text).to_owned(),
                *p,
            )),
        })
        .collect()
}

#[test]
fn every_adapter_reads_every_fixture_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = sample_files();
    for (name, bytes) in fixtures() {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        paths.push(path.to_str().unwrap().to_owned());
    }
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for policy in [ErrorPolicy::Fail, ErrorPolicy::Skip] {
        let options = ReadOptions {
            error_policy: policy,
            ..ReadOptions::default()
        };
        for path in &paths {
            let expected = sync_outcomes(path, &options);
            assert!(!expected.is_empty(), "{path}");
            assert_eq!(
                tokio.block_on(tokio_outcomes(path, &options)),
                expected,
                "tokio, {path}"
            );
            assert_eq!(
                smol::block_on(smol_outcomes(path, &options)),
                expected,
                "smol, {path}"
            );
            assert_eq!(
                async_std::task::block_on(smol_outcomes(path, &options)),
                expected,
                "async-std, {path}"
            );

            // From streams cut small, the content decides the format unless the name did.
            let bytes = std::fs::read(path).unwrap();
            let mut stream_options = options.clone();
            if let Some(d) = iterable_formats::detect_from_name(path) {
                stream_options.format = Some(d.format);
                stream_options.options = d.options.clone();
            }
            let expected = without_location(&expected, path);
            for size in [1, 7, 4096] {
                let from_tokio = tokio.block_on(async {
                    let stream = futures::stream::iter(chunks(&bytes, size));
                    collect_outcomes!(
                        iterable_tokio::from_stream(stream, &stream_options)
                            .await
                            .unwrap(),
                        read.await
                    )
                });
                assert_eq!(
                    from_tokio, expected,
                    "tokio stream of {size}-byte chunks, {path}"
                );
                let from_smol = smol::block_on(async {
                    let stream = futures::stream::iter(chunks(&bytes, size));
                    collect_outcomes!(
                        iterable_smol::from_stream(stream, &stream_options)
                            .await
                            .unwrap(),
                        read.await
                    )
                });
                assert_eq!(
                    from_smol, expected,
                    "smol stream of {size}-byte chunks, {path}"
                );
            }
        }
    }
}

#[test]
fn every_adapter_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Record> = iterable_sync::open(&sample_files()[1])
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for name in ["out.jsonl", "out.csv", "out.tsv"] {
        let sync_path = dir.path().join(format!("sync-{name}"));
        let mut writer = iterable_sync::create(sync_path.to_str().unwrap()).unwrap();
        writer.write_bulk(&records).unwrap();
        writer.finish().unwrap();
        let expected = std::fs::read(&sync_path).unwrap();

        let tokio_path = dir.path().join(format!("tokio-{name}"));
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let mut writer = iterable_tokio::create(tokio_path.to_str().unwrap())
                    .await
                    .unwrap();
                writer.write_bulk(&records).await.unwrap();
                writer.finish().await.unwrap();
            });
        assert_eq!(
            std::fs::read(&tokio_path).unwrap(),
            expected,
            "tokio {name}"
        );

        let smol_path = dir.path().join(format!("smol-{name}"));
        smol::block_on(async {
            let mut writer = iterable_smol::create(smol_path.to_str().unwrap())
                .await
                .unwrap();
            writer.write_bulk(&records).await.unwrap();
            writer.finish().await.unwrap();
        });
        assert_eq!(std::fs::read(&smol_path).unwrap(), expected, "smol {name}");
    }
}
