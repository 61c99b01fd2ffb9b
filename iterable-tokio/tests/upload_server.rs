//! The axum example end to end: a large CSV upload is answered with JSON Lines while the upload
//! is still arriving, and the whole answer holds every record.

#[path = "../examples/upload_server.rs"]
#[allow(dead_code)]
mod example;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The body of a chunked HTTP/1.1 answer, decoded as far as `raw` goes; the bool is true once
/// the last chunk came.
fn dechunk(raw: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    let mut rest = raw;
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            return (body, false);
        };
        let size = std::str::from_utf8(&rest[..eol]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return (body, true);
        }
        let Some(chunk) = rest.get(eol + 2..eol + 2 + size) else {
            return (body, false);
        };
        body.extend_from_slice(chunk);
        rest = rest.get(eol + 4 + size..).unwrap_or_default();
    }
}

/// Reads from `stream` into `answer` until `done` says the answer so far is enough.
async fn read_until(stream: &mut TcpStream, answer: &mut Vec<u8>, done: impl Fn(&[u8]) -> bool) {
    let mut buf = vec![0; 64 * 1024];
    while !done(answer) {
        let n = tokio::time::timeout(std::time::Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("the answer keeps coming")
            .unwrap();
        assert!(n > 0, "the server closed the connection early");
        answer.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_streams_while_the_upload_arrives() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, example::app()).await });

    let rows = 200_000;
    let mut csv = String::from("id,name,city\n");
    for i in 0..rows {
        csv.push_str(&format!("{i},\"name {i}, junior\",Oslo\n"));
    }
    let csv = csv.into_bytes();
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /convert HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        csv.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // A quarter of the upload, then wait for records to come back before sending more.
    let quarter = csv.len() / 4;
    stream.write_all(&csv[..quarter]).await.unwrap();
    stream.flush().await.unwrap();
    let mut answer = Vec::new();
    let header_end = |raw: &[u8]| raw.windows(4).position(|w| w == b"\r\n\r\n");
    read_until(&mut stream, &mut answer, |raw| {
        header_end(raw).is_some_and(|end| dechunk(&raw[end + 4..]).0.contains(&b'\n'))
    })
    .await;
    let end = header_end(&answer).unwrap();
    let head = String::from_utf8_lossy(&answer[..end]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains("content-type: application/x-ndjson"),
        "{head}"
    );
    let (early, finished) = dechunk(&answer[end + 4..]);
    assert!(!finished, "the answer cannot be over before the upload is");
    let first = early.split(|&b| b == b'\n').next().unwrap();
    assert_eq!(
        first,
        br#"{"id":"0","name":"name 0, junior","city":"Oslo"}"#
    );
    let early_records = early.iter().filter(|&&b| b == b'\n').count();
    assert!(
        early_records < rows,
        "{early_records} records came back from a quarter of the upload"
    );

    stream.write_all(&csv[quarter..]).await.unwrap();
    read_until(&mut stream, &mut answer, |raw| {
        raw.ends_with(b"\r\n0\r\n\r\n")
    })
    .await;
    let (body, finished) = dechunk(&answer[end + 4..]);
    assert!(finished);
    let lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), rows);
    assert_eq!(
        lines[rows - 1],
        format!(
            r#"{{"id":"{}","name":"name {}, junior","city":"Oslo"}}"#,
            rows - 1,
            rows - 1
        )
        .as_bytes()
    );
    server.abort();
}
