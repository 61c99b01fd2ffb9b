//! Reading over HTTP(S): a streaming GET that resumes where it broke off and retries what is
//! worth retrying. On reqwest with rustls; needs a tokio runtime.
//!
//! A read cut part-way (a dropped connection, a body shorter than its length) goes on with a
//! `Range` request from the last byte delivered, pinned to the first answer's `ETag` with
//! `If-Match`, so an object replaced in between fails loudly instead of splicing two versions;
//! the caller sees every byte once. Throttling (429) and server errors (5xx) are retried with
//! exponential backoff, a bounded number of times.

use crate::RemoteBody;
use bytes::Bytes;
use iterable_core::{Error, ErrorKind, Result};
use std::time::Duration;

/// How a read retries.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Attempts after the first, for one request or one resume, at most.
    pub retries: u32,
    /// The first wait before a retry; it doubles each time, up to 20 s.
    pub backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            retries: 5,
            backoff: Duration::from_millis(100),
        }
    }
}

struct Read {
    client: reqwest::Client,
    url: String,
    options: HttpOptions,
    etag: Option<String>,
    size: Option<u64>,
    delivered: u64,
    response: Option<reqwest::Response>,
    /// A read of a range: `size` is its end, and every request says so.
    ranged: bool,
    /// GET, or HEAD for [`describe`].
    method: reqwest::Method,
}

impl Read {
    fn new(
        client: reqwest::Client,
        url: &str,
        options: &HttpOptions,
        method: reqwest::Method,
    ) -> Read {
        Read {
            client,
            url: url.to_owned(),
            options: options.clone(),
            etag: None,
            size: None,
            delivered: 0,
            response: None,
            ranged: false,
            method,
        }
    }
}

/// Starts reading `url`.
pub async fn get(url: &str, options: &HttpOptions) -> Result<RemoteBody> {
    let mut read = Read::new(client(url)?, url, options, reqwest::Method::GET);
    let response = read.request().await?;
    let described = Described::of(&response);
    read.etag = described.etag.clone();
    read.size = response.content_length();
    read.response = Some(response);
    Ok(described.with_body(read.size, RemoteBody::from_chunks(read)))
}

/// What the server says of `url` (its size, version, type, encoding) without its bytes, by a
/// `HEAD` request: the body is empty. A server that does not answer `HEAD` (405, 501, or 403
/// for a URL signed for GET), does not give the size, or does not say it serves byte ranges
/// (`Accept-Ranges: bytes`), is read from the start as [`get`] does.
pub async fn describe(url: &str, options: &HttpOptions) -> Result<RemoteBody> {
    let mut read = Read::new(client(url)?, url, options, reqwest::Method::HEAD);
    let response = read.request().await?;
    // reqwest's `content_length` is the body's (none, for HEAD): the header says the object's.
    let size = response
        .headers()
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let described = Described::of(&response);
    match size {
        Some(size)
            if size > 0
                && described.serves_ranges
                && response.status() == reqwest::StatusCode::OK =>
        {
            let empty = futures_util::stream::empty::<std::io::Result<Bytes>>();
            Ok(described.with_body(Some(size), Box::pin(empty)))
        }
        _ => get(url, options).await,
    }
}

/// The headers of an answer that describe the object.
struct Described {
    content_type: Option<String>,
    content_encoding: Option<String>,
    /// A strong `ETag` only: a weak one (`W/"..."`) never matches `If-Match`, so it cannot pin
    /// later reads.
    etag: Option<String>,
    /// `Accept-Ranges: bytes`.
    serves_ranges: bool,
}

impl Described {
    fn of(response: &reqwest::Response) -> Described {
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Described {
            content_type: header(reqwest::header::CONTENT_TYPE),
            content_encoding: header(reqwest::header::CONTENT_ENCODING),
            etag: header(reqwest::header::ETAG).filter(|etag| !etag.starts_with("W/")),
            serves_ranges: header(reqwest::header::ACCEPT_RANGES)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("bytes")),
        }
    }

    fn with_body(
        self,
        size: Option<u64>,
        stream: std::pin::Pin<Box<dyn futures_core::Stream<Item = std::io::Result<Bytes>> + Send>>,
    ) -> RemoteBody {
        RemoteBody {
            content_type: self.content_type,
            content_encoding: self.content_encoding,
            size,
            etag: self.etag,
            serves_ranges: self.serves_ranges,
            stream,
        }
    }
}

/// Range requests in flight at once for one [`read_ranges`] call.
const RANGES_IN_FLIGHT: usize = 4;

/// The bytes of `ranges` of `url`, by `Range` requests pinned to `etag` when given (an object
/// replaced since is an error), each resumed and retried as [`get`] is; a few in flight at
/// once, on one client made for the call (its connections serve the call's ranges).
pub async fn read_ranges(
    url: &str,
    ranges: Vec<std::ops::Range<u64>>,
    etag: Option<&str>,
    options: &HttpOptions,
) -> Result<Vec<Bytes>> {
    let client = client(url)?;
    let reads = ranges
        .into_iter()
        .map(|range| read_range(&client, url, range, etag, options));
    crate::body::in_flight(reads, RANGES_IN_FLIGHT).await
}

/// An HTTP client for reading `url`.
fn client(url: &str) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| remote(url, format!("cannot make an HTTP client: {e}")))
}

/// The bytes of `range` of `url` through `client`.
async fn read_range(
    client: &reqwest::Client,
    url: &str,
    range: std::ops::Range<u64>,
    etag: Option<&str>,
    options: &HttpOptions,
) -> Result<Bytes> {
    if range.is_empty() {
        return Ok(Bytes::new());
    }
    let mut read = Read::new(client.clone(), url, options, reqwest::Method::GET);
    read.etag = etag.map(str::to_owned);
    read.size = Some(range.end);
    read.delivered = range.start;
    read.ranged = true;
    // Room for what comes, up to a bound: the length is the server's word until it is sent.
    let expected = usize::try_from(range.end - range.start).unwrap_or(usize::MAX);
    let mut bytes = bytes::BytesMut::with_capacity(expected.min(8 << 20));
    use crate::body::ChunkSource;
    while let Some(chunk) = read.next_chunk().await? {
        bytes.extend_from_slice(&chunk);
    }
    if bytes.len() as u64 != range.end - range.start {
        return Err(remote(
            url,
            format!(
                "asked for bytes {}..{}, the server gave {}",
                range.start,
                range.end,
                bytes.len()
            ),
        ));
    }
    Ok(bytes.freeze())
}

/// An error naming the URL without its secrets (see [`crate::Location`]'s `Display`).
fn remote(url: &str, message: String) -> Error {
    Error::new(ErrorKind::Remote, message)
        .with_location(crate::Location::Http(url.to_owned()).to_string())
}

impl crate::body::ChunkSource for Read {
    /// The next chunk of the body, resuming a broken read; `None` at its end.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        let mut resumes = 0;
        loop {
            if self.size.is_some_and(|size| self.delivered >= size) {
                return Ok(None);
            }
            if self.response.is_none() {
                let response = self.request().await?;
                self.response = Some(response);
            }
            let Some(response) = self.response.as_mut() else {
                continue;
            };
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    self.delivered += chunk.len() as u64;
                    return Ok(Some(chunk));
                }
                // The body ended: complete unless the server promised more.
                Ok(None) if self.size.is_none_or(|size| self.delivered >= size) => return Ok(None),
                Ok(None) | Err(_) => {
                    // Cut short: resume from the last byte delivered.
                    self.response = None;
                    resumes += 1;
                    if resumes > self.options.retries {
                        return Err(remote(
                            &self.url,
                            format!("the read keeps breaking off (at byte {})", self.delivered),
                        ));
                    }
                    tokio::time::sleep(crate::body::backoff(self.options.backoff, resumes)).await;
                }
            }
        }
    }
}

impl Read {
    /// Sends the GET (a ranged one when resuming), retrying what is worth retrying.
    async fn request(&mut self) -> Result<reqwest::Response> {
        let mut attempt = 0;
        loop {
            let mut request = self.client.request(self.method.clone(), &self.url);
            if self.delivered > 0 || self.ranged {
                let range = match (self.ranged, self.size) {
                    (true, Some(end)) => format!("bytes={}-{}", self.delivered, end - 1),
                    _ => format!("bytes={}-", self.delivered),
                };
                request = request.header(reqwest::header::RANGE, range);
                if let Some(etag) = &self.etag {
                    request = request.header(reqwest::header::IF_MATCH, etag);
                }
            }
            let outcome = request.send().await;
            let retry = match &outcome {
                Ok(response) => {
                    let status = response.status();
                    let head = self.method == reqwest::Method::HEAD;
                    // A HEAD that fails is answered by a GET instead, at once.
                    status.as_u16() == 429 || (status.is_server_error() && !head)
                }
                Err(error) => error.is_connect() || error.is_timeout() || error.is_request(),
            };
            if retry && attempt < self.options.retries {
                attempt += 1;
                tokio::time::sleep(crate::body::backoff(self.options.backoff, attempt)).await;
                continue;
            }
            let response = outcome.map_err(|e| {
                remote(
                    &self.url,
                    format!("cannot reach the server: {}", without_url(&e)),
                )
            })?;
            let status = response.status();
            return match status.as_u16() {
                200 if self.delivered == 0 && !self.ranged => Ok(response),
                206 if self.delivered > 0 || self.ranged => self.check_part(response),
                // What the server says of a HEAD refused, `describe` reads by a GET.
                _ if self.method == reqwest::Method::HEAD && status.as_u16() != 404 => {
                    Ok(response)
                }
                200 if self.ranged => Err(remote(
                    &self.url,
                    "the server does not serve byte ranges (it answered a Range request with the whole object)"
                        .into(),
                )),
                200 => Err(remote(
                    &self.url,
                    format!(
                        "the read broke off at byte {} and the server cannot resume it (no Range support)",
                        self.delivered
                    ),
                )),
                412 => Err(remote(
                    &self.url,
                    "the object changed while it was read (its ETag no longer matches)".into(),
                )),
                404 => Err(remote(&self.url, "not found (HTTP 404)".into())),
                401 | 403 => Err(remote(
                    &self.url,
                    format!("access denied (HTTP {})", status.as_u16()),
                )),
                _ => Err(remote(
                    &self.url,
                    format!("the server answered HTTP {status}"),
                )),
            };
        }
    }
}

impl Read {
    /// A `206` answer checked: the range asked for, from its first byte, of the version read
    /// (when the answer names one): anything else would splice.
    fn check_part(&self, response: reqwest::Response) -> Result<reqwest::Response> {
        let headers = response.headers();
        let from = format!("bytes {}-", self.delivered);
        let range = headers.get(reqwest::header::CONTENT_RANGE);
        if !range.is_some_and(|range| range.as_bytes().starts_with(from.as_bytes())) {
            return Err(remote(
                &self.url,
                format!(
                    "asked for the bytes from {}, the server answered another range",
                    self.delivered
                ),
            ));
        }
        let answered = headers
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok());
        if let (Some(pinned), Some(answered)) = (&self.etag, answered)
            && pinned != answered
        {
            return Err(remote(
                &self.url,
                "the object changed while it was read (its ETag no longer matches)".into(),
            ));
        }
        Ok(response)
    }
}

/// reqwest's error text without the URL, which may carry credentials in its query.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}
