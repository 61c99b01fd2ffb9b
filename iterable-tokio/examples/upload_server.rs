//! An axum server that takes an uploaded CSV (or any format iterable reads) and streams it back
//! as JSON Lines while the upload is still arriving: the request body is read as a stream of
//! chunks, decoded record by record, and each batch of records that is ready goes out at once.
//! Memory stays flat whatever the upload's size.
//!
//! ```text
//! cargo run -p iterable-tokio --example upload_server
//! curl -T data/sample.csv -H 'Content-Type: text/csv' http://127.0.0.1:3000/convert
//! ```
//!
//! The format comes from the `Content-Type` (`text/csv`, `application/x-ndjson`, ...), else
//! from the first bytes. A bad record ends the answer with an error: the response body is cut
//! off (the chunked encoding never gets its last chunk), so the client can tell it is
//! incomplete. `PORT` sets the port (3000 by default).

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::{StreamExt, TryStreamExt};
use iterable_tokio::framed::RecordEncoder;
use iterable_tokio::{Format, ReadOptions, WriteOptions};
use tokio_util::codec::Encoder;

/// Records encoded into one chunk of the answer, at most: those that are ready go out together.
const RECORDS_PER_CHUNK: usize = 1024;

/// The server's routes: `POST /convert`.
pub fn app() -> Router {
    Router::new().route("/convert", post(convert))
}

/// Streams the uploaded records back as JSON Lines.
async fn convert(headers: HeaderMap, body: Body) -> Response {
    let mut options = ReadOptions::default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    if let Some(name) = content_type.and_then(iterable_formats::extension_for_content_type) {
        options = match options.with_format_name(name) {
            Ok(options) => options,
            Err(error) => {
                return (StatusCode::UNSUPPORTED_MEDIA_TYPE, error.to_string()).into_response();
            }
        };
    }
    let upload = body.into_data_stream().map_err(std::io::Error::other);
    // Probing waits for the first 64 KiB of the upload (or all of it, when shorter).
    let reader = match iterable_tokio::from_stream(upload, &options).await {
        Ok(reader) => reader,
        Err(error) => return (StatusCode::UNPROCESSABLE_ENTITY, error.to_string()).into_response(),
    };
    let mut encoder = match RecordEncoder::new(Format::JSONL, &WriteOptions::default()) {
        Ok(encoder) => encoder,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
    };
    let answer = reader.ready_chunks(RECORDS_PER_CHUNK).map(
        move |records| -> iterable_tokio::Result<Bytes> {
            let mut out = bytes::BytesMut::new();
            for record in records {
                encoder.encode(record?, &mut out)?;
            }
            Ok(out.freeze())
        },
    );
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(answer),
    )
        .into_response()
}

#[tokio::main]
#[allow(dead_code)] // the tests use `app` alone
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}/convert", listener.local_addr()?);
    axum::serve(listener, app()).await
}
