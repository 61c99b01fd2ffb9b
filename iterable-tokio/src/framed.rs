//! The format decoders and encoders as `tokio_util::codec` codecs, for users who already have
//! a `FramedRead` or `FramedWrite` (over a socket, say).
//!
//! `FramedRead` ends its stream at the first decoder error, so [`RecordDecoder`] hands out
//! recoverable errors (a bad line) as items, `Ok(Err(error))`, and goes on; only fatal ones end
//! the stream.
//!
//! ```
//! use futures_util::{SinkExt, StreamExt};
//! use iterable_formats::{Format, ReadOptions, WriteOptions};
//! use iterable_tokio::framed::{RecordDecoder, RecordEncoder};
//! use tokio_util::codec::{FramedRead, FramedWrite};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> iterable_core::Result<()> {
//! let (client, server) = tokio::io::duplex(64);
//! let mut sink = FramedWrite::new(client, RecordEncoder::new(Format::JSONL, &WriteOptions::default())?);
//! let record: iterable_core::Record = [("id", 1)].into_iter().collect();
//! sink.send(record).await?;
//! sink.close().await?;
//! let mut records = FramedRead::new(server, RecordDecoder::new(Format::JSONL, &ReadOptions::default())?);
//! let first = records.next().await.unwrap()??;
//! assert_eq!(first.get("id").and_then(|v| v.as_i64()), Some(1));
//! # Ok(()) }
//! ```

use bytes::BytesMut;
use iterable_core::{Decoder, Encoder, Error, Record, Result};
use iterable_formats::{Format, ReadOptions, WriteOptions};

/// A format decoder as a `tokio_util::codec::Decoder` of `Result<Record>` items.
pub struct RecordDecoder(Box<dyn Decoder + Send>);

impl RecordDecoder {
    /// A decoder for `format` with `options` (the format's options, the record size limit);
    /// an option the format does not know is an error.
    pub fn new(format: Format, options: &ReadOptions) -> Result<Self> {
        Ok(RecordDecoder(
            format.decoder(&options.options, options.max_record_size)?,
        ))
    }

    fn item(decoded: Result<Option<Record>>) -> Result<Option<Result<Record>>> {
        match decoded {
            Ok(record) => Ok(record.map(Ok)),
            Err(error) if error.is_recoverable() => Ok(Some(Err(error))),
            Err(error) => Err(error),
        }
    }
}

impl tokio_util::codec::Decoder for RecordDecoder {
    type Item = Result<Record>;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>> {
        Self::item(self.0.decode(src))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>> {
        Self::item(self.0.decode_eof(src))
    }
}

/// A format encoder as a `tokio_util::codec::Encoder` of records.
///
/// `FramedWrite` has no end-of-stream hook, so formats with a trailer (none of today's) need
/// [`RecordEncoder::finish`] written by hand.
pub struct RecordEncoder(Box<dyn Encoder + Send>);

impl RecordEncoder {
    /// An encoder for `format` with `options` (the format's options); an option the format
    /// does not know is an error.
    pub fn new(format: Format, options: &WriteOptions) -> Result<Self> {
        Ok(RecordEncoder(format.encoder(&options.options)?))
    }

    /// Appends what ends the output (a closing bracket, a footer) to `dst`.
    pub fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        self.0.finish(dst)
    }
}

impl tokio_util::codec::Encoder<Record> for RecordEncoder {
    type Error = Error;

    fn encode(&mut self, record: Record, dst: &mut BytesMut) -> Result<()> {
        let start = dst.len();
        let encoded = self.0.encode(&record, dst);
        if encoded.is_err() {
            dst.truncate(start);
        }
        encoded
    }
}
