//! An HTTP server on 127.0.0.1 that serves objects from memory with `Range` support and
//! `ETag`s, answering `HEAD` too (or refusing it, as a URL signed for GET does), and counts what
//! it sends: enough to check that a reader by ranges (Parquet) fetches only what it needs, and
//! notices an object replaced under it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An object's bytes and version.
type Object = (Arc<Vec<u8>>, u32);

#[derive(Default)]
struct Served {
    /// Each object, by path.
    objects: Mutex<HashMap<String, Object>>,
    requests: AtomicU64,
    ranged_requests: AtomicU64,
    /// Body bytes written to the socket, of every answer (a body the client drops counts up
    /// to where the writes stopped).
    body_bytes: AtomicU64,
    /// `HEAD` is answered 403 Forbidden.
    refuse_head: std::sync::atomic::AtomicBool,
    /// `Range` is ignored (the whole object, 200) and `Accept-Ranges` left out, as a plain
    /// static server does.
    without_ranges: std::sync::atomic::AtomicBool,
}

/// A running server; dropping it stops it.
pub struct RangeServer {
    address: String,
    served: Arc<Served>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RangeServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub fn start() -> RangeServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking socket");
        let address = format!("http://{}", listener.local_addr().expect("an address"));
        let served = Arc::new(Served::default());
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let serving = served.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                tokio::select! {
                    _ = stopped => {}
                    _ = accept(listener, serving) => {}
                }
            });
        });
        RangeServer {
            address,
            served,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The URL of `path` (`/data.parquet`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Serves `bytes` at `path`, as a new version of what was there.
    pub fn put(&self, path: &str, bytes: &[u8]) {
        let mut objects = self.served.objects.lock().unwrap();
        let version = objects.get(path).map_or(1, |(_, v)| v + 1);
        objects.insert(path.to_owned(), (Arc::new(bytes.to_vec()), version));
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.served.requests.load(Ordering::SeqCst)
    }

    /// `Range` requests answered so far.
    pub fn ranged_requests(&self) -> u64 {
        self.served.ranged_requests.load(Ordering::SeqCst)
    }

    /// Body bytes written so far, of every answer.
    pub fn body_bytes(&self) -> u64 {
        self.served.body_bytes.load(Ordering::SeqCst)
    }

    /// From now on, ignores `Range` and does not say `Accept-Ranges`.
    pub fn without_ranges(&self) {
        self.served.without_ranges.store(true, Ordering::SeqCst);
    }

    /// From now on, answers `HEAD` with 403 Forbidden, as a URL signed for GET does.
    pub fn refuse_head(&self) {
        self.served.refuse_head.store(true, Ordering::SeqCst);
    }
}

impl Drop for RangeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(listener: tokio::net::TcpListener, served: Arc<Served>) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(answer(socket, served.clone()));
    }
}

/// Answers one request, then closes the connection.
async fn answer(mut socket: tokio::net::TcpStream, served: Arc<Served>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    served.requests.fetch_add(1, Ordering::SeqCst);
    let text = String::from_utf8_lossy(&request).to_string();
    let method = text.split_whitespace().next().unwrap_or("GET").to_owned();
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
    if method == "HEAD" && served.refuse_head.load(Ordering::SeqCst) {
        let _ = socket
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    }
    let header = |name: &str| {
        text.lines().find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
        })
    };
    let object = served.objects.lock().unwrap().get(&path).cloned();
    let Some((body, version)) = object else {
        let _ = socket
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    };
    let etag = format!("\"v{version}\"");
    if header("if-match").is_some_and(|wanted| wanted != etag) {
        let _ = socket
            .write_all(b"HTTP/1.1 412 Precondition Failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    }
    let size = body.len() as u64;
    let plain = served.without_ranges.load(Ordering::SeqCst);
    let range = header("range").filter(|_| !plain).and_then(|r| {
        let (from, to) = r.strip_prefix("bytes=")?.split_once('-')?;
        let from: u64 = from.parse().ok()?;
        let to: u64 = if to.is_empty() {
            size - 1
        } else {
            to.parse().ok()?
        };
        Some((from, to.min(size - 1)))
    });
    let (status, extra, part) = match range {
        Some((from, to)) if from <= to && from < size => {
            served.ranged_requests.fetch_add(1, Ordering::SeqCst);
            (
                "206 Partial Content",
                format!("Content-Range: bytes {from}-{to}/{size}\r\n"),
                &body[from as usize..=to as usize],
            )
        }
        Some(_) => {
            let _ = socket
                .write_all(b"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await;
            return;
        }
        None => ("200 OK", String::new(), &body[..]),
    };
    let accept = if plain {
        ""
    } else {
        "Accept-Ranges: bytes\r\n"
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: {etag}\r\n{accept}Content-Type: application/octet-stream\r\nConnection: close\r\n{extra}\r\n",
        part.len()
    );
    if socket.write_all(head.as_bytes()).await.is_ok() && method != "HEAD" {
        for piece in part.chunks(16 * 1024) {
            if socket.write_all(piece).await.is_err() {
                break;
            }
            served
                .body_bytes
                .fetch_add(piece.len() as u64, Ordering::SeqCst);
        }
    }
    let _ = socket.shutdown().await;
}
