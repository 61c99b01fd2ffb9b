//! An S3 server on 127.0.0.1 for tests and benchmarks: s3s over a temporary folder (s3s-fs),
//! served by hyper on a thread of its own, with faults a test can ask for per object: `503
//! SlowDown` answers, bodies cut after some bytes (the connection drops), failing part
//! uploads; and latency added to every request.
//!
//! Buckets are folders under [`S3Server::root`] and objects are files in them, so a test can
//! put and inspect objects without a client.

use bytes::Bytes;
use http_body::Frame;
use s3s::service::{S3Service, S3ServiceBuilder};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

/// The access key the server accepts.
pub const ACCESS_KEY: &str = "iterable-test-access-key";
/// The secret key the server accepts; it must appear in no error message.
pub const SECRET_KEY: &str = "iterable-test-secret-key-do-not-print";

/// Faults asked for one object.
#[derive(Default)]
struct Fault {
    /// Requests still to answer with 503 SlowDown.
    slow_downs: u32,
    /// For the next GETs, one each: the byte of the body after which the connection drops.
    cuts: VecDeque<u64>,
    /// Part uploads still to answer with 500 InternalError.
    failed_parts: u32,
    /// Bytes the object is replaced with (a new version) right after its next cut GET has
    /// opened it.
    replacement: Option<Vec<u8>>,
    /// Multipart uploads aborted.
    aborts: u32,
}

#[derive(Default)]
struct Faults {
    root: PathBuf,
    /// Whether credentials are ignored, as an emulator's are (a GCS client's bearer token).
    unsigned: bool,
    /// The `Authorization` of the last request that had one.
    last_authorization: Mutex<Option<String>>,
    by_path: Mutex<HashMap<String, Fault>>,
    latency_micros: AtomicU64,
    requests: AtomicU64,
    connections: AtomicU64,
}

/// Lets every request in, signed or not.
struct Anyone;

#[async_trait::async_trait]
impl s3s::access::S3Access for Anyone {
    async fn check(&self, _: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        Ok(())
    }
}

/// A running server; dropping it stops it and deletes its files.
pub struct S3Server {
    endpoint: String,
    root: tempfile::TempDir,
    faults: Arc<Faults>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl S3Server {
    /// Starts a server on a free port of 127.0.0.1, its buckets in a temporary folder.
    pub fn start() -> S3Server {
        S3Server::start_in(&std::env::temp_dir())
    }

    /// Starts a server whose buckets live in a temporary folder under `parent`.
    pub fn start_in(parent: &Path) -> S3Server {
        S3Server::start_serving(parent, true)
    }

    /// Starts a server that takes unsigned requests, as an emulator of Google Cloud Storage's
    /// XML API does: that API is S3's (the same paths, listings, multipart uploads and
    /// preconditions), which GCS clients speak, so this server stands in for GCS, faults and
    /// all. Its buckets live in a temporary folder under `parent`.
    pub fn start_unsigned_in(parent: &Path) -> S3Server {
        S3Server::start_serving(parent, false)
    }

    /// Starts a proxy in front of the HTTP server at `upstream` (`http://127.0.0.1:PORT`),
    /// which passes every request on and adds the faults asked for: cut bodies, failing
    /// parts (S3's `partNumber=`, Azure's `comp=block`), `503` answers, latency. Its paths are
    /// the upstream's (Azurite's: `/account/container/blob`: ask for faults with the bucket
    /// `account/container`).
    pub fn proxy_in(parent: &Path, upstream: &str) -> S3Server {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
        let backend = Backend::Proxy {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: Box::new(client),
        };
        S3Server::start_with(parent, backend, true)
    }

    fn start_serving(parent: &Path, signed: bool) -> S3Server {
        let root = tempfile::tempdir_in(parent).expect("a temporary folder");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("an s3s-fs root");
        let mut builder = S3ServiceBuilder::new(fs);
        match signed {
            true => builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY)),
            false => builder.set_access(Anyone),
        }
        S3Server::start_with_root(root, Backend::S3(builder.build()), signed)
    }

    /// `signed`: whether requests keep their credentials (else they are dropped, as an
    /// emulator ignores them).
    fn start_with(parent: &Path, backend: Backend, signed: bool) -> S3Server {
        let root = tempfile::tempdir_in(parent).expect("a temporary folder");
        S3Server::start_with_root(root, backend, signed)
    }

    fn start_with_root(root: tempfile::TempDir, service: Backend, signed: bool) -> S3Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking socket");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let faults = Arc::new(Faults {
            root: root.path().to_owned(),
            unsigned: !signed,
            ..Faults::default()
        });
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let serving = faults.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(serve(listener, service, serving, stopped));
        });
        S3Server {
            endpoint,
            root,
            faults,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The folder holding the buckets.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The environment a client needs to reach this server (credentials, region, endpoint),
    /// isolated from the machine's own AWS configuration.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let nowhere = self.root().join("no-aws-config").display().to_string();
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("AWS_CONFIG_FILE", nowhere.clone()),
            ("AWS_SHARED_CREDENTIALS_FILE", nowhere),
        ]
    }

    /// Variables of the machine's AWS configuration that would send the tests elsewhere or
    /// sign them otherwise: to remove where [`S3Server::env`] is set.
    pub const FOREIGN_ENV: [&'static str; 4] = [
        "AWS_ENDPOINT_URL_S3",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_S3_FORCE_PATH_STYLE",
    ];

    /// Makes a bucket.
    pub fn bucket(&self, bucket: &str) {
        std::fs::create_dir_all(self.root().join(bucket)).expect("a bucket folder");
    }

    /// Puts an object (its bucket made if missing).
    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) {
        let path = self.path(bucket, key);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, bytes).expect("an object file");
    }

    /// An object's bytes, or `None` when there is no such object.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.path(bucket, key)).ok()
    }

    fn path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root().join(bucket).join(key)
    }

    fn fault(&self, bucket: &str, key: &str, change: impl FnOnce(&mut Fault)) {
        let mut faults = self.faults.by_path.lock().expect("faults");
        change(faults.entry(format!("/{bucket}/{key}")).or_default());
    }

    /// Answers the next `n` requests for the object with `503 SlowDown`.
    pub fn slow_down(&self, bucket: &str, key: &str, n: u32) {
        self.fault(bucket, key, |f| f.slow_downs += n);
    }

    /// Drops the connection of the next GETs of the object, one per offset, after that many
    /// bytes of their body.
    pub fn cut(&self, bucket: &str, key: &str, offsets: &[u64]) {
        self.fault(bucket, key, |f| f.cuts.extend(offsets));
    }

    /// Cuts asked for the object that have not happened yet.
    pub fn pending_cuts(&self, bucket: &str, key: &str) -> usize {
        let faults = self.faults.by_path.lock().expect("faults");
        faults
            .get(&format!("/{bucket}/{key}"))
            .map_or(0, |f| f.cuts.len())
    }

    /// Replaces the object with `bytes` right after its next cut GET has opened it: a new
    /// version appears while the object is read.
    pub fn replace_on_cut(&self, bucket: &str, key: &str, bytes: &[u8]) {
        self.fault(bucket, key, |f| f.replacement = Some(bytes.to_vec()));
    }

    /// Multipart uploads of the object aborted so far.
    pub fn aborts(&self, bucket: &str, key: &str) -> u32 {
        let faults = self.faults.by_path.lock().expect("faults");
        faults
            .get(&format!("/{bucket}/{key}"))
            .map_or(0, |f| f.aborts)
    }

    /// Answers the next `n` part uploads of the object with `500 InternalError`.
    pub fn fail_parts(&self, bucket: &str, key: &str, n: u32) {
        self.fault(bucket, key, |f| f.failed_parts += n);
    }

    /// Delays every request by `latency` before answering it.
    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.faults.latency_micros.store(micros, Ordering::Relaxed);
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.faults.connections.load(Ordering::Relaxed)
    }

    /// The `Authorization` header of the last request that had one (an unsigned server takes
    /// no notice of it: a test checks what a client sent).
    pub fn last_authorization(&self) -> Option<String> {
        self.faults
            .last_authorization
            .lock()
            .expect("faults")
            .clone()
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.faults.requests.load(Ordering::Relaxed)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What answers the requests the faults let through.
#[derive(Clone)]
enum Backend {
    /// The S3 service, over the server's folder.
    S3(S3Service),
    /// Another server, the requests passed on to it.
    Proxy {
        upstream: String,
        client: Box<
            hyper_util::client::legacy::Client<
                hyper_util::client::legacy::connect::HttpConnector,
                hyper::body::Incoming,
            >,
        >,
    },
}

impl Backend {
    async fn call(
        &self,
        request: http::Request<hyper::body::Incoming>,
    ) -> Result<Response, s3s::HttpError> {
        match self {
            Backend::S3(service) => hyper::service::Service::call(service, request).await,
            Backend::Proxy { upstream, client } => {
                let (mut parts, body) = request.into_parts();
                let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                parts.uri = format!("{upstream}{path}")
                    .parse()
                    .expect("an upstream URI");
                match client.request(http::Request::from_parts(parts, body)).await {
                    Ok(response) => Ok(response.map(s3s::Body::http_body_unsync)),
                    Err(error) => Ok(error_answer(502, "BadGateway", &error.to_string())),
                }
            }
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    service: Backend,
    faults: Arc<Faults>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => socket,
                Err(_) => continue,
            },
            _ = &mut stopped => return,
        };
        faults.connections.fetch_add(1, Ordering::Relaxed);
        let (service, faults) = (service.clone(), faults.clone());
        let handler = hyper::service::service_fn(move |request| {
            let (service, faults) = (service.clone(), faults.clone());
            async move { answer(&service, &faults, request).await }
        });
        let connection = http
            .serve_connection(hyper_util::rt::TokioIo::new(socket), handler)
            .into_owned();
        tokio::spawn(connection);
    }
}

type Response = http::Response<s3s::Body>;

async fn answer(
    service: &Backend,
    faults: &Faults,
    mut request: http::Request<hyper::body::Incoming>,
) -> Result<Response, s3s::HttpError> {
    faults.requests.fetch_add(1, Ordering::Relaxed);
    if let Some(said) = request.headers().get(http::header::AUTHORIZATION) {
        let said = String::from_utf8_lossy(said.as_bytes()).into_owned();
        *faults.last_authorization.lock().expect("faults") = Some(said);
    }
    if faults.unsigned {
        request.headers_mut().remove(http::header::AUTHORIZATION);
    }
    let latency = faults.latency_micros.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_micros(latency)).await;
    }
    let is_get = request.method() == http::Method::GET;
    let is_part = request.method() == http::Method::PUT
        && request
            .uri()
            .query()
            .is_some_and(|q| q.contains("partNumber=") || q.contains("comp=block&"));
    let is_abort = request.method() == http::Method::DELETE
        && request
            .uri()
            .query()
            .is_some_and(|q| q.contains("uploadId="));
    // As the server reads it: GCS clients escape more of a key than S3's do.
    let path = percent_encoding::percent_decode_str(request.uri().path())
        .decode_utf8_lossy()
        .into_owned();
    let (slow_down, cut, failed_part, replacement) = {
        let mut by_path = faults.by_path.lock().expect("faults");
        if is_abort {
            by_path.entry(path.clone()).or_default().aborts += 1;
        }
        match by_path.get_mut(&path) {
            Some(fault) => {
                let slow_down = fault.slow_downs > 0;
                fault.slow_downs -= u32::from(slow_down);
                let cut = if is_get && !slow_down {
                    fault.cuts.pop_front()
                } else {
                    None
                };
                let failed_part = is_part && !slow_down && fault.failed_parts > 0;
                fault.failed_parts -= u32::from(failed_part);
                let replacement = cut.and_then(|_| fault.replacement.take());
                (slow_down, cut, failed_part, replacement)
            }
            None => (false, None, false, None),
        }
    };
    if slow_down {
        return Ok(error_answer(
            503,
            "SlowDown",
            "Please reduce your request rate.",
        ));
    }
    if failed_part {
        // Read the part first, as S3 does: answering early would break the client's write.
        let _ = http_body_util::BodyExt::collect(request.into_body()).await;
        return Ok(error_answer(
            500,
            "InternalError",
            "The test server failed the part.",
        ));
    }
    let response = service.call(request).await?;
    if let Some(bytes) = replacement {
        // A new file under the name: the answer being sent keeps reading the old one.
        let target = faults.root.join(path.trim_start_matches('/'));
        let fresh = target.with_extension("replacing");
        std::fs::write(&fresh, bytes).expect("a new version");
        std::fs::rename(&fresh, &target).expect("the new version in place");
    }
    Ok(match cut {
        Some(after) => response.map(|body| {
            s3s::Body::http_body_unsync(CutBody {
                inner: Box::pin(body),
                left: after,
            })
        }),
        None => response,
    })
}

fn error_answer(status: u16, code: &str, message: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    http::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(s3s::Body::from(xml))
        .expect("a response")
}

/// A body that breaks off after `left` bytes: the server then drops the connection.
struct CutBody {
    inner: Pin<Box<s3s::Body>>,
    left: u64,
}

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.left == 0 {
            return Poll::Ready(Some(Err("connection cut by the test server".into())));
        }
        let frame = ready!(self.inner.as_mut().poll_frame(cx));
        Poll::Ready(match frame {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(mut data) => {
                    let keep = usize::try_from(self.left)
                        .unwrap_or(usize::MAX)
                        .min(data.len());
                    data.truncate(keep);
                    self.left -= keep as u64;
                    Some(Ok(Frame::data(data)))
                }
                Err(frame) => Some(Ok(frame)),
            },
            other => other,
        })
    }
}
