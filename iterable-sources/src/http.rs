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
}

/// Starts reading `url`.
pub async fn get(url: &str, options: &HttpOptions) -> Result<RemoteBody> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| remote(url, format!("cannot make an HTTP client: {e}")))?;
    let mut read = Read {
        client,
        url: url.to_owned(),
        options: options.clone(),
        etag: None,
        size: None,
        delivered: 0,
        response: None,
    };
    let response = read.request().await?;
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let content_encoding = header(reqwest::header::CONTENT_ENCODING);
    read.etag = header(reqwest::header::ETAG);
    read.size = response.content_length();
    read.response = Some(response);
    let size = read.size;
    Ok(RemoteBody {
        content_type,
        content_encoding,
        size,
        stream: RemoteBody::from_chunks(read),
    })
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
            let mut request = self.client.get(&self.url);
            if self.delivered > 0 {
                request =
                    request.header(reqwest::header::RANGE, format!("bytes={}-", self.delivered));
                if let Some(etag) = &self.etag {
                    request = request.header(reqwest::header::IF_MATCH, etag);
                }
            }
            let outcome = request.send().await;
            let retry = match &outcome {
                Ok(response) => {
                    let status = response.status();
                    status.as_u16() == 429 || status.is_server_error()
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
                200 if self.delivered == 0 => Ok(response),
                206 if self.delivered > 0 => Ok(response),
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

/// reqwest's error text without the URL, which may carry credentials in its query.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}
