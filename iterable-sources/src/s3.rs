//! S3 and S3-compatible object stores, on aws-sdk-s3 (tokio).
//!
//! [`S3Store::connect`] takes credentials, region and endpoint from the standard AWS chain:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), `AWS_REGION`
//! (`us-east-1` when nothing names one), `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3`,
//! `AWS_PROFILE` with `~/.aws/config` and `~/.aws/credentials`, and the web-identity, ECS and
//! instance-metadata providers. Requests use path-style addressing
//! (`http://host/bucket/key`) when the endpoint is an IP address or `localhost`, when
//! `AWS_S3_FORCE_PATH_STYLE=true`, or when [`S3Options::path_style`] asks for it, so that
//! S3-compatible stores (MinIO, Ceph, moto...) work.
//!
//! - [`S3Store::get`] streams an object: records decode as bytes arrive. A read cut part-way
//!   goes on with a `Range` request from the last byte delivered, pinned to the object's
//!   `ETag` with `If-Match` (an object replaced in between fails loudly instead of splicing
//!   two versions), so every byte comes once.
//! - Throttling (`SlowDown`, 503) and server errors are retried by the SDK with exponential
//!   backoff, [`S3Options::retries`] times at most.
//! - [`S3Store::read_range`] reads a byte range, for formats that read at offsets;
//!   [`S3Store::size`] gives an object's size.
//! - [`S3Store::list`] lists keys by prefix and glob (`logs/2024-*.jsonl.gz`).
//! - [`S3Store::create`] writes an object by multipart upload in parts of
//!   [`S3Options::part_size`], four at once, so memory does not grow with the object; the
//!   object appears only when the upload completes, at shutdown. An error, or an upload
//!   dropped before its shutdown, aborts it: no partial object is left.
//!
//! Errors name the location (`s3://bucket/key`) and what went wrong, never a credential or
//! a signature.

use crate::RemoteBody;
use crate::body::{ChunkSource, causes};
use crate::upload::{Message, RemoteUpload};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use iterable_core::{Error, ErrorKind, Result};
use std::time::Duration;

/// The smallest part S3 accepts in a multipart upload, but for the last.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// How S3 is reached and how reads and writes go.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// Attempts after the first, for one request (throttling, 5xx, a failed connection) and
    /// for resuming one broken read, at most.
    pub retries: u32,
    /// The first wait before a retry; it doubles each time, up to 20 s.
    pub backoff: Duration,
    /// The size of the parts of a multipart upload, at least [`MIN_PART_SIZE`]. Four parts
    /// are uploaded at once, so an upload holds about six parts in memory. S3 allows 10,000
    /// parts: with the default 8 MiB that is 80 GiB, so the size doubles after every 2,000
    /// parts.
    pub part_size: usize,
    /// Path-style addressing: `Some(true)` always, `Some(false)` never, `None` when the
    /// endpoint is an IP address or `localhost`, or `AWS_S3_FORCE_PATH_STYLE=true`.
    pub path_style: Option<bool>,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            retries: 5,
            backoff: Duration::from_millis(100),
            part_size: 8 * 1024 * 1024,
            path_style: None,
        }
    }
}

/// A connected S3 client: cheap to clone, used for any number of reads and writes at once.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: Client,
    options: S3Options,
}

impl S3Store {
    /// A client configured from the standard AWS chain (see the module docs). Credentials are
    /// looked up at the first request, not here; the region once per process (off EC2,
    /// asking the instance metadata service for it can take a second).
    pub async fn connect(options: &S3Options) -> Result<S3Store> {
        static REGION: tokio::sync::OnceCell<aws_config::Region> =
            tokio::sync::OnceCell::const_new();
        let region = REGION
            .get_or_init(|| async {
                aws_config::meta::region::RegionProviderChain::default_provider()
                    .region()
                    .await
                    .unwrap_or(aws_config::Region::from_static("us-east-1"))
            })
            .await
            .clone();
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(region)
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(options.retries.saturating_add(1))
                    .with_initial_backoff(options.backoff),
            )
            .load()
            .await;
        let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
            .ok()
            .or_else(|| shared.endpoint_url().map(str::to_owned));
        let path_style = options.path_style.unwrap_or_else(|| {
            endpoint.as_deref().is_some_and(is_local_or_ip)
                || std::env::var("AWS_S3_FORCE_PATH_STYLE")
                    .is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
        });
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(path_style)
            .build();
        Ok(S3Store {
            client: Client::from_conf(config),
            options: options.clone(),
        })
    }

    /// A store on a client configured by the caller.
    pub fn with_client(client: Client, options: &S3Options) -> S3Store {
        S3Store {
            client,
            options: options.clone(),
        }
    }

    /// The client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Starts reading `s3://bucket/key`.
    pub async fn get(&self, bucket: &str, key: &str) -> Result<RemoteBody> {
        let mut read = Read::new(self, bucket, key, 0..u64::MAX);
        let first = read.request().await?;
        let header = |value: Option<&str>| value.map(str::to_owned);
        let (content_type, content_encoding) = match &first {
            Some(first) => (
                header(first.content_type()),
                header(first.content_encoding()),
            ),
            None => (None, None),
        };
        read.body = first.map(|first| first.body);
        Ok(RemoteBody {
            content_type,
            content_encoding,
            size: read.size,
            etag: read.etag.clone(),
            serves_ranges: true,
            stream: RemoteBody::from_chunks(read),
        })
    }

    /// The size of `s3://bucket/key` in bytes (a `HEAD` request).
    pub async fn size(&self, bucket: &str, key: &str) -> Result<u64> {
        Ok(self.describe(bucket, key).await?.size.unwrap_or(0))
    }

    /// What S3 says of `s3://bucket/key` (its size, ETag, type, encoding) without its bytes,
    /// by a `HeadObject` request: the body is empty.
    pub async fn describe(&self, bucket: &str, key: &str) -> Result<RemoteBody> {
        let head = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| s3_error(&format!("s3://{bucket}/{key}"), &e))?;
        let header = |value: Option<&str>| value.map(str::to_owned);
        Ok(RemoteBody {
            content_type: header(head.content_type()),
            content_encoding: header(head.content_encoding()),
            size: head.content_length().and_then(|n| u64::try_from(n).ok()),
            etag: header(head.e_tag()),
            serves_ranges: true,
            stream: Box::pin(futures_util::stream::empty()),
        })
    }

    /// The bytes `range` of `s3://bucket/key`, for formats that read at offsets (a footer,
    /// then column chunks). A range past the end is cut at the end. A transfer that breaks off
    /// goes on from where it stopped, as [`S3Store::get`] does.
    pub async fn read_range(
        &self,
        bucket: &str,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<Bytes> {
        self.read_range_of(bucket, key, range, None).await
    }

    /// [`S3Store::read_range`] of the object's version tagged `etag` (when given): a read of
    /// an object replaced since is an error, never bytes of another version.
    pub async fn read_range_of(
        &self,
        bucket: &str,
        key: &str,
        range: std::ops::Range<u64>,
        etag: Option<&str>,
    ) -> Result<Bytes> {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let mut read = Read::new(self, bucket, key, range.clone());
        if let Some(etag) = etag {
            read.etag = Some(etag.to_owned());
            read.size = Some(range.end - range.start);
        }
        let mut bytes = BytesMut::new();
        while let Some(chunk) = read.next_chunk().await? {
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes.freeze())
    }

    /// The keys of `bucket` that match `pattern`, sorted: a glob (`*` and `?` within one
    /// path segment, `[abc]`, `**` across segments) listed by the prefix before its first
    /// wildcard. A pattern without wildcards is returned as it is, unlisted. A pattern that
    /// matches nothing is an error.
    pub async fn list(&self, bucket: &str, pattern: &str) -> Result<Vec<String>> {
        let located = || format!("s3://{bucket}/{pattern}");
        let Some(glob) = crate::inputs::KeyGlob::new(pattern, &located())? else {
            return Ok(vec![pattern.to_owned()]);
        };
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(glob.prefix())
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| s3_error(&located(), &e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key())
                    .filter(|key| glob.matches(key))
                    .map(str::to_owned),
            );
        }
        glob.found(keys, &located())
    }

    /// Starts writing `s3://bucket/key`: the object appears when the returned upload is shut
    /// down (`AsyncWriteExt::shutdown`). Must be called within a tokio runtime, which runs the
    /// upload.
    pub fn create(&self, bucket: &str, key: &str) -> RemoteUpload {
        let upload = Upload {
            store: self.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            id: None,
            numbered: 0,
            in_flight: tokio::task::JoinSet::new(),
            parts: Vec::new(),
        };
        let part_size = self.options.part_size.max(MIN_PART_SIZE);
        RemoteUpload::spawn(part_size, true, |received| upload.run(received))
    }
}

/// True for an endpoint on `localhost` or an IP address, which has no bucket subdomains.
fn is_local_or_ip(endpoint: &str) -> bool {
    let (_, host, _) = crate::location::url_parts(endpoint);
    if host.starts_with('[') {
        return true; // an IPv6 literal
    }
    let host = host.split(':').next().unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// The error for a failed S3 request: what went wrong, in words, with the error code S3
/// gave; never the request, which carries the signature.
fn s3_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    location: &str,
    error: &SdkError<E, HttpResponse>,
) -> Error {
    let message = match error {
        SdkError::DispatchFailure(_) => format!("cannot reach the endpoint: {}", causes(error)),
        SdkError::TimeoutError(_) => "the request timed out".to_owned(),
        SdkError::ConstructionFailure(_) => format!("cannot make the request: {}", causes(error)),
        _ => {
            let code = error.code().unwrap_or("");
            let said = error
                .message()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            match code {
                "NoSuchKey" | "NotFound" => "no such key (NoSuchKey)".to_owned(),
                "NoSuchBucket" => "no such bucket (NoSuchBucket)".to_owned(),
                "AccessDenied" | "Forbidden" => format!("access denied ({code}){said}"),
                "InvalidAccessKeyId" | "SignatureDoesNotMatch" => {
                    format!("the credentials were refused ({code})")
                }
                "PreconditionFailed" => OBJECT_CHANGED.to_owned(),
                "" => "the request failed without an error code".to_owned(),
                code => format!("S3 answered {code}{said}"),
            }
        }
    };
    Error::new(ErrorKind::Remote, message).with_location(location.to_owned())
}

/// What a read pinned to an ETag says when the object was replaced under it, whether S3 refused
/// the `If-Match` or the answer's ETag gave it away.
const OBJECT_CHANGED: &str = "the object changed while it was read (its ETag no longer matches)";

/// Bytes of one object being read: all of it, or a range.
struct Read {
    store: S3Store,
    bucket: String,
    key: String,
    /// The first byte to read and the end (exclusive; `u64::MAX` for the object's end).
    range: std::ops::Range<u64>,
    /// The first answer's ETag, which pins every later request to the same version.
    etag: Option<String>,
    /// The bytes to deliver, once the first answer has said.
    size: Option<u64>,
    /// Bytes delivered so far, from `range.start`.
    delivered: u64,
    body: Option<ByteStream>,
}

impl Read {
    fn new(store: &S3Store, bucket: &str, key: &str, range: std::ops::Range<u64>) -> Read {
        Read {
            store: store.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            range,
            etag: None,
            size: None,
            delivered: 0,
            body: None,
        }
    }

    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// The GET of what is left to read (no `Range` for a whole object from its start), pinned
    /// to the first answer's ETag once there is one; the first answer also gives the size.
    /// `None` when what is left starts past the object's end.
    async fn request(&mut self) -> Result<Option<GetObjectOutput>> {
        let from = self.range.start + self.delivered;
        let range = match self.range.end {
            u64::MAX if from == 0 => None,
            u64::MAX => Some(format!("bytes={from}-")),
            end => Some(format!("bytes={from}-{}", end - 1)),
        };
        let answer = self
            .store
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_range(range)
            .set_if_match(self.etag.clone())
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) if e.code() == Some("InvalidRange") => return Ok(None),
            Err(e) => return Err(s3_error(&self.location(), &e)),
        };
        check_answer(&self.location(), &answer, from, self.etag.as_deref())?;
        if self.etag.is_none() {
            self.etag = answer.e_tag().map(str::to_owned);
            self.size = answer.content_length().and_then(|n| u64::try_from(n).ok());
        }
        Ok(Some(answer))
    }
}

impl ChunkSource for Read {
    /// The next chunk, resuming a broken read; `None` at the object's end.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        let mut resumes = 0;
        loop {
            let Some(body) = self.body.as_mut() else {
                match self.request().await? {
                    Some(answer) => self.body = Some(answer.body),
                    None => return Ok(None),
                }
                continue;
            };
            match body.next().await {
                Some(Ok(chunk)) => {
                    self.delivered += chunk.len() as u64;
                    return Ok(Some(chunk));
                }
                None if self.size.is_none_or(|size| self.delivered >= size) => return Ok(None),
                // Every byte came and then something failed: a checksum, say. Not resumable.
                Some(Err(error)) if self.size.is_some_and(|size| self.delivered >= size) => {
                    return Err(Error::new(
                        ErrorKind::Remote,
                        format!("the read failed at its end: {}", causes(&error)),
                    )
                    .with_location(self.location()));
                }
                None | Some(Err(_)) => {
                    // Cut short: resume from the last byte delivered.
                    self.body = None;
                    resumes += 1;
                    if resumes > self.store.options.retries {
                        return Err(Error::new(
                            ErrorKind::Remote,
                            format!("the read keeps breaking off (at byte {})", self.delivered),
                        )
                        .with_location(self.location()));
                    }
                    tokio::time::sleep(crate::body::backoff(self.store.options.backoff, resumes))
                        .await;
                }
            }
        }
    }
}

/// Checks that an answer holds the bytes asked for, from `from`, of the version pinned by
/// `etag`: a store that ignores `Range` or `If-Match` must not splice bytes silently.
fn check_answer(
    location: &str,
    answer: &GetObjectOutput,
    from: u64,
    etag: Option<&str>,
) -> Result<()> {
    if let (Some(pinned), Some(answered)) = (etag, answer.e_tag())
        && pinned != answered
    {
        return Err(
            Error::new(ErrorKind::Remote, OBJECT_CHANGED).with_location(location.to_owned())
        );
    }
    if from > 0
        && !answer
            .content_range()
            .is_some_and(|range| range.starts_with(&format!("bytes {from}-")))
    {
        return Err(Error::new(
            ErrorKind::Remote,
            format!("the store did not answer the range from byte {from}; the read cannot go on"),
        )
        .with_location(location.to_owned()));
    }
    Ok(())
}

/// Part uploads in flight at once, at most.
const PARTS_IN_FLIGHT: usize = 4;

/// The upload task's state.
struct Upload {
    store: S3Store,
    bucket: String,
    key: String,
    id: Option<String>,
    /// Parts sent so far (the next part's number less one).
    numbered: i32,
    in_flight: tokio::task::JoinSet<Result<CompletedPart>>,
    parts: Vec<CompletedPart>,
}

impl Upload {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// Uploads the parts as they come, [`PARTS_IN_FLIGHT`] at once; completes on `Finish`,
    /// aborts when the writer is dropped first or a request fails.
    async fn run(mut self, mut received: tokio::sync::mpsc::Receiver<Message>) -> Result<()> {
        let outcome = async {
            loop {
                match received.recv().await {
                    Some(Message::Part(part)) => self.upload_part(part).await?,
                    Some(Message::Finish(last)) => return self.complete(last).await,
                    None => {
                        return Err(Error::new(
                            ErrorKind::Remote,
                            "the write was dropped before it finished; nothing was written",
                        )
                        .with_location(self.location()));
                    }
                }
            }
        }
        .await;
        if outcome.is_err() {
            self.in_flight.abort_all();
            while self.in_flight.join_next().await.is_some() {}
            self.abort().await;
        }
        outcome
    }

    /// Starts uploading a part once fewer than [`PARTS_IN_FLIGHT`] are on their way.
    async fn upload_part(&mut self, part: Bytes) -> Result<()> {
        if self.id.is_none() {
            let created = self
                .store
                .client
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .send()
                .await
                .map_err(|e| s3_error(&self.location(), &e))?;
            self.id = created.upload_id().map(str::to_owned);
        }
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.wait_for_a_part().await?;
        }
        self.numbered += 1;
        let (number, location) = (self.numbered, self.location());
        let request = self
            .store
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_upload_id(self.id.clone())
            .part_number(number)
            .body(ByteStream::from(part));
        self.in_flight.spawn(async move {
            let uploaded = request.send().await.map_err(|e| s3_error(&location, &e))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(uploaded.e_tag().map(str::to_owned))
                .set_checksum_crc32(uploaded.checksum_crc32().map(str::to_owned))
                .set_checksum_crc32_c(uploaded.checksum_crc32_c().map(str::to_owned))
                .set_checksum_crc64_nvme(uploaded.checksum_crc64_nvme().map(str::to_owned))
                .set_checksum_sha1(uploaded.checksum_sha1().map(str::to_owned))
                .set_checksum_sha256(uploaded.checksum_sha256().map(str::to_owned))
                .build())
        });
        Ok(())
    }

    /// Waits for one part upload to end; its failure is the upload's.
    async fn wait_for_a_part(&mut self) -> Result<()> {
        match self.in_flight.join_next().await {
            Some(Ok(part)) => {
                self.parts.push(part?);
                Ok(())
            }
            Some(Err(failed)) => Err(Error::new(
                ErrorKind::Remote,
                format!("a part upload failed: {failed}"),
            )
            .with_location(self.location())),
            None => Ok(()),
        }
    }

    async fn complete(&mut self, last: Bytes) -> Result<()> {
        if self.id.is_none() {
            // Small enough for one request.
            self.store
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .body(ByteStream::from(last))
                .send()
                .await
                .map_err(|e| s3_error(&self.location(), &e))?;
            return Ok(());
        }
        if !last.is_empty() {
            self.upload_part(last).await?;
        }
        while !self.in_flight.is_empty() {
            self.wait_for_a_part().await?;
        }
        let mut parts = std::mem::take(&mut self.parts);
        parts.sort_by_key(|part| part.part_number());
        self.store
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_upload_id(self.id.clone())
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| s3_error(&self.location(), &e))?;
        self.id = None;
        Ok(())
    }

    /// Aborts the multipart upload, if one was started, so that its parts are deleted. A
    /// failure here cannot be reported better than the error that caused the abort.
    async fn abort(&mut self) {
        if let Some(id) = self.id.take() {
            let _ = self
                .store
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(id)
                .send()
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_local_or_ip;

    #[test]
    fn local_and_ip_endpoints_get_path_style() {
        for endpoint in [
            "http://127.0.0.1:9000",
            "http://localhost:4566/",
            "https://user@LOCALHOST",
            "http://[::1]:9000",
        ] {
            assert!(is_local_or_ip(endpoint), "{endpoint}");
        }
        for endpoint in [
            "https://s3.us-east-1.amazonaws.com",
            "http://minio.internal:9000",
        ] {
            assert!(!is_local_or_ip(endpoint), "{endpoint}");
        }
    }
}
