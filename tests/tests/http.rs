//! Reading over HTTP from a server on 127.0.0.1 that misbehaves on purpose: connections cut
//! mid-body, 503s, a missing object, an object replaced mid-read, no Range support.

use iterable_core::{ErrorKind, Record};
use iterable_formats::ReadOptions;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `body` at every path; the path's first segment picks the misbehaviour.
async fn serve(body: Arc<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (body, requests) = (body.clone(), requests.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request).to_string();
                let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let header = |name: &str| {
                    text.lines().find_map(|l| {
                        l.split_once(':')
                            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_owned())
                    })
                };
                let seen = {
                    let mut requests = requests.lock().unwrap();
                    let count = requests.entry(path.clone()).or_default();
                    *count += 1;
                    *count
                };
                let mode: Vec<&str> = path.trim_start_matches('/').split('/').collect();
                let from: usize = header("range")
                    .and_then(|r| {
                        r.strip_prefix("bytes=")
                            .and_then(|r| r.trim_end_matches('-').parse().ok())
                    })
                    .unwrap_or(0);
                let etag = "\"v1\"";
                let respond = |status: &str, extra: String, payload: &[u8]| {
                    let mut out = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
                        payload.len()
                    )
                    .into_bytes();
                    out.extend_from_slice(payload);
                    out
                };
                let ok_headers = |ct: &str| {
                    format!("ETag: {etag}\r\nAccept-Ranges: bytes\r\nContent-Type: {ct}\r\n")
                };
                let out = match mode[0] {
                    "missing" => respond("404 Not Found", String::new(), b"no"),
                    "busy" if seen <= 2 => {
                        respond("503 Service Unavailable", String::new(), b"slow down")
                    }
                    "changed" if from > 0 => respond("412 Precondition Failed", String::new(), b""),
                    "norange" if from > 0 => respond("200 OK", ok_headers("text/csv"), &body),
                    "cut" if seen == 1 => {
                        // Promise the whole body, send the first `cut` bytes, hang up.
                        let cut: usize = mode[1].parse().unwrap();
                        let mut out = respond("200 OK", ok_headers("text/csv"), &body);
                        out.truncate(out.len() - body.len() + cut.min(body.len()));
                        out
                    }
                    "changed" | "norange" if seen == 1 => {
                        let mut out = respond("200 OK", ok_headers("text/csv"), &body);
                        out.truncate(out.len() - body.len() / 2);
                        out
                    }
                    _ if from > 0 => {
                        let extra = format!(
                            "{}Content-Range: bytes {from}-{}/{}\\r\\n",
                            ok_headers("text/csv"),
                            body.len() - 1,
                            body.len()
                        )
                        .replace("\\r\\n", "\r\n");
                        respond("206 Partial Content", extra, &body[from..])
                    }
                    "typed" => respond("200 OK", ok_headers("application/x-ndjson"), &body),
                    "encoded" => {
                        let headers = format!("{}Content-Encoding: br\r\n", ok_headers("text/csv"));
                        respond("200 OK", headers, &body)
                    }
                    _ => respond("200 OK", ok_headers("text/csv"), &body),
                };
                let _ = socket.write_all(&out).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn csv_body(rows: usize) -> Vec<u8> {
    let mut out = b"id,name\n".to_vec();
    for i in 0..rows {
        out.extend_from_slice(format!("{i},\"name {i}\"\n").as_bytes());
    }
    out
}

fn local(body: &[u8]) -> Vec<Record> {
    iterable_sync::from_reader(body, &ReadOptions::default())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

async fn read_all(url: &str) -> iterable_core::Result<Vec<Record>> {
    let mut reader = iterable_tokio::open(url).await?;
    reader.read_bulk(usize::MAX).await
}

#[test]
fn a_plain_read_streams_every_record() {
    let body = Arc::new(csv_body(20_000));
    rt().block_on(async {
        let base = serve(body.clone()).await;
        assert_eq!(
            read_all(&format!("{base}/plain/data.csv")).await.unwrap(),
            local(&body)
        );
    });
}

#[test]
fn a_read_cut_anywhere_resumes_and_delivers_every_record_once() {
    let body = Arc::new(csv_body(20_000));
    let expected = local(&body);
    rt().block_on(async {
        let base = serve(body.clone()).await;
        for cut in [0, 1, 7, 4096, body.len() / 3, body.len() - 1] {
            let read = read_all(&format!("{base}/cut/{cut}/data.csv"))
                .await
                .unwrap();
            assert_eq!(read.len(), expected.len(), "cut at {cut}");
            assert_eq!(read, expected, "cut at {cut}");
        }
    });
}

#[test]
fn busy_answers_are_retried() {
    let body = Arc::new(csv_body(100));
    rt().block_on(async {
        let base = serve(body.clone()).await;
        assert_eq!(
            read_all(&format!("{base}/busy/data.csv")).await.unwrap(),
            local(&body)
        );
    });
}

#[test]
fn failures_are_one_clear_line_naming_the_location() {
    let body = Arc::new(csv_body(5000));
    rt().block_on(async {
        let base = serve(body.clone()).await;
        let url = format!("{base}/missing/data.csv");
        let error = read_all(&url).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Remote);
        assert_eq!(error.to_string(), format!("{url}: not found (HTTP 404)"));

        let error = read_all(&format!("{base}/changed/data.csv"))
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("changed while it was read"),
            "{error}"
        );
        let error = read_all(&format!("{base}/norange/data.csv"))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("cannot resume"), "{error}");

        let error = read_all("http://127.0.0.1:9/nothing/listens/here.csv")
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Remote, "{error}");
    });
}

#[test]
fn the_content_type_names_what_the_url_does_not() {
    let body: Arc<Vec<u8>> = Arc::new(
        (0..100)
            .flat_map(|i| format!("{{\"i\":{i}}}\n").into_bytes())
            .collect(),
    );
    rt().block_on(async {
        let base = serve(body.clone()).await;
        let reader = iterable_tokio::open(&format!("{base}/typed/export"))
            .await
            .unwrap();
        assert_eq!(reader.detection().format, iterable_formats::Format::JSONL);
        assert_eq!(reader.detection().by, iterable_core::DetectedBy::Name);
    });
}

#[test]
fn the_content_encoding_names_the_codec_the_url_does_not() {
    let plain = csv_body(3000);
    let mut br = Vec::new();
    {
        use std::io::Write;
        let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
        writer.write_all(&plain).unwrap();
    }
    let body = Arc::new(br);
    rt().block_on(async {
        let base = serve(body.clone()).await;
        let read = read_all(&format!("{base}/encoded/data.csv")).await.unwrap();
        assert_eq!(read, local(&plain));
    });
}

#[test]
fn compressed_bodies_are_decompressed() {
    let plain = csv_body(3000);
    let mut gz = Vec::new();
    {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        encoder.write_all(&plain).unwrap();
        encoder.finish().unwrap();
    }
    let body = Arc::new(gz);
    rt().block_on(async {
        let base = serve(body.clone()).await;
        let read = read_all(&format!("{base}/cut/1000/data.csv.gz"))
            .await
            .unwrap();
        assert_eq!(read, local(&plain));
    });
}

#[test]
fn the_blocking_adapter_reads_over_http_too() {
    // The server runs on a runtime's worker thread; the blocking reader on this one.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let body = Arc::new(csv_body(20_000));
    let base = server.block_on(serve(body.clone()));
    for path in ["plain/data.csv", "cut/5000/data.csv", "busy/data.csv"] {
        let read: Vec<Record> = iterable_sync::open(&format!("{base}/{path}"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(read, local(&body), "{path}");
    }
    let error = iterable_sync::open(&format!("{base}/missing/data.csv"))
        .err()
        .unwrap();
    assert_eq!(error.kind(), ErrorKind::Remote);
}

#[test]
fn smol_and_async_std_read_over_http_through_the_bridge() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let body = Arc::new(csv_body(20_000));
    let base = server.block_on(serve(body.clone()));
    let url = format!("{base}/cut/3000/data.csv");
    let read = smol::block_on(async {
        iterable_smol::open(&url)
            .await
            .unwrap()
            .read_bulk(usize::MAX)
            .await
            .unwrap()
    });
    assert_eq!(read, local(&body));
    let read = async_std::task::block_on(async {
        iterable_smol::open(&format!("{base}/busy/data.csv"))
            .await
            .unwrap()
            .read_bulk(usize::MAX)
            .await
            .unwrap()
    });
    assert_eq!(read, local(&body));
}
