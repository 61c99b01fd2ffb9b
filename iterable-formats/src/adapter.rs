//! What every adapter's reader and writer share, with no I/O: the adapters pass in their own
//! read and write calls (blocking, tokio, futures-io) and keep nothing else.

use crate::{
    Detection, Format, FormatChoice, FormatDecoder, FormatEncoder, ReadOptions, WriteOptions,
};
use bytes::BytesMut;
use iterable_core::{DecodeBuffer, EncodeBuffer, Error, Record, Result};
use std::task::{Context, Poll, ready};

/// A reader's state: the decoder and its buffer, how the format was found, counts, and the
/// errors collected under `ErrorPolicy::Collect`, all labelled with the location.
pub struct ReadState {
    state: DecodeBuffer<FormatDecoder>,
    detection: Detection,
    location: Option<String>,
    size: Option<u64>,
    records: u64,
    errors: Vec<Error>,
}

impl ReadState {
    /// The state for an input whose format `detection` found; `head` holds the bytes read to
    /// find it (none are lost), `ended` says whether that was the whole input.
    pub fn new(
        options: &ReadOptions,
        detection: Detection,
        head: BytesMut,
        ended: bool,
    ) -> ReadState {
        let decoder =
            FormatDecoder::new(detection.choice.format, &options.resolve(detection.choice));
        let mut state = DecodeBuffer::with_buffer(decoder, head, options.error_policy);
        if ended {
            state.end_input();
        }
        ReadState {
            state,
            detection,
            location: None,
            size: None,
            records: 0,
            errors: Vec::new(),
        }
    }

    /// Names the input in errors, and gives its size when known.
    pub fn at(mut self, location: Option<String>, size: Option<u64>) -> ReadState {
        self.location = location;
        self.size = size;
        self
    }

    /// The next record, reading through a blocking `read`.
    pub fn read_record(
        &mut self,
        read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    ) -> Result<Option<Record>> {
        let result = self.state.read_record(read);
        self.account(result)
    }

    /// Polls for the next record, reading through an async `poll_read`.
    pub fn poll_record(
        &mut self,
        cx: &mut Context<'_>,
        poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<Result<Option<Record>>> {
        let result = ready!(self.state.poll_record(cx, poll_read));
        Poll::Ready(self.account(result))
    }

    fn account(&mut self, result: Result<Option<Record>>) -> Result<Option<Record>> {
        if !self.state.errors().is_empty() {
            for error in self.state.take_errors() {
                let error = self.locate(error);
                self.errors.push(error);
            }
        }
        match result {
            Ok(Some(record)) => {
                self.records += 1;
                Ok(Some(record))
            }
            Ok(None) => Ok(None),
            Err(error) => Err(self.locate(error)),
        }
    }

    /// How the format was found, and which (with the delimiter once it is known).
    pub fn detection(&self) -> Detection {
        let mut detection = self.detection;
        if let FormatDecoder::Csv(csv) = self.state.decoder() {
            detection.choice = FormatChoice {
                delimiter: csv.delimiter().or(detection.choice.delimiter),
                ..detection.choice
            };
        }
        detection
    }

    /// Records returned so far.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// The input's size in bytes, when known (a local file).
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Bytes read from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.state.bytes_in()
    }

    /// Bad records skipped under the `Skip` and `Collect` error policies.
    pub fn skipped(&self) -> u64 {
        self.state.skipped()
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// Adds the location to an error.
    pub fn locate(&self, error: Error) -> Error {
        locate(&self.location, error)
    }
}

/// A writer's state: the encoder and the bytes not written yet, labelled with the location.
pub struct WriteState {
    out: EncodeBuffer<FormatEncoder>,
    format: Format,
    location: Option<String>,
}

impl WriteState {
    /// The state for writing with `options`, whose format must be set (see
    /// [`WriteOptions::for_target`]).
    pub fn new(options: &WriteOptions) -> Result<WriteState> {
        let options = options.for_target(None)?;
        let format = options.format.unwrap_or(Format::JsonLines);
        Ok(WriteState {
            out: EncodeBuffer::new(FormatEncoder::new(format, &options)),
            format,
            location: None,
        })
    }

    /// Names the output in errors.
    pub fn at(mut self, location: Option<String>) -> WriteState {
        self.location = location;
        self
    }

    /// Encodes one record; on error nothing of it is kept.
    pub fn encode(&mut self, record: &Record) -> Result<()> {
        self.out
            .encode(record)
            .map_err(|e| locate(&self.location, e))
    }

    /// Encodes what ends the output.
    pub fn finish(&mut self) -> Result<()> {
        self.out.finish().map_err(|e| locate(&self.location, e))
    }

    /// True once enough bytes gathered to be worth a write.
    pub fn is_full(&self) -> bool {
        self.out.is_full()
    }

    /// Writes out the pending bytes through a blocking `write_all`.
    pub fn write_pending(
        &mut self,
        write_all: impl FnOnce(&[u8]) -> std::io::Result<()>,
    ) -> Result<()> {
        write_all(self.out.pending()).map_err(|e| self.locate(Error::io(e)))?;
        let n = self.out.pending().len();
        self.out.consume(n);
        Ok(())
    }

    /// Writes out the pending bytes through an async `poll_write`.
    pub fn poll_write_pending(
        &mut self,
        cx: &mut Context<'_>,
        mut poll_write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<Result<()>> {
        while !self.out.pending().is_empty() {
            match ready!(poll_write(cx, self.out.pending())) {
                Ok(0) => {
                    return Poll::Ready(Err(
                        self.locate(Error::io(std::io::ErrorKind::WriteZero.into()))
                    ));
                }
                Ok(n) => self.out.consume(n),
                Err(e) => return Poll::Ready(Err(self.locate(Error::io(e)))),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.out.records()
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Adds the location to an error.
    pub fn locate(&self, error: Error) -> Error {
        locate(&self.location, error)
    }
}

fn locate(location: &Option<String>, error: Error) -> Error {
    match location {
        Some(location) => error.with_location(location.clone()),
        None => error,
    }
}
