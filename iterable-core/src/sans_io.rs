//! The sans-IO traits: decoders and encoders work on bytes in memory and never do I/O.

use crate::{ParsedBatch, Record, Result, Schema};
use bytes::{Bytes, BytesMut};
use std::ops::Range;

/// Turns bytes into records, one at a time, without doing any I/O.
///
/// The caller appends input to `buf` as it arrives and calls [`Decoder::decode`] until it
/// returns `Ok(None)` ("feed me more bytes"); once the input is over it calls
/// [`Decoder::decode_eof`] until that returns `Ok(None)`. A decoder takes what it consumed off
/// the front of `buf` and may keep state between calls, so records never depend on how the
/// input was cut into chunks.
///
/// Errors carry positions. A recoverable error ([`crate::Error::is_recoverable`]) means the
/// decoder has skipped the bad record and the next call goes on with the one after it.
///
/// [`crate::DecodeDriver`] drives a decoder over pushed chunks and [`crate::RecordStream`] over a
/// `Stream` of chunks.
pub trait Decoder {
    /// Takes one record off the front of `buf`; `Ok(None)` means more input is needed.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>>;

    /// The input is over: returns the remaining records one per call, then `Ok(None)`, or an
    /// error for a truncated record.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>>;

    /// Takes one record off the front of `buf` like [`Decoder::decode`] (or, when `eof`,
    /// [`Decoder::decode_eof`]), but parses it into `batch` instead of building it, so that
    /// another thread can build it ([`ParsedBatch`]). Returns false where those return
    /// `Ok(None)`; errors are the same.
    ///
    /// It pushes exactly one whole record when it returns true, and nothing otherwise (an
    /// error included): a record half pushed puts the batch out of step.
    ///
    /// The default builds the record and flattens it into the batch; decoders that can parse
    /// without building (CSV, JSON Lines) do so.
    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        let record = if eof {
            self.decode_eof(buf)?
        } else {
            self.decode(buf)?
        };
        Ok(record.map(|record| batch.push_built(&record)).is_some())
    }

    /// The records' schema, for a typed stream format (an Arrow IPC stream) once the decoder
    /// has read it; `None` for formats without one, the default.
    fn schema(&self) -> Option<&Schema> {
        None
    }
}

/// Turns records into bytes, without doing any I/O.
pub trait Encoder {
    /// Appends the encoding of `record` to `dst`.
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()>;

    /// Appends whatever ends the output (a closing bracket, a footer); called once, last.
    fn finish(&mut self, dst: &mut BytesMut) -> Result<()>;

    /// Tells a typed format the schema of the records to come, before the first of them
    /// (`convert` passes a typed source's on). Formats without types ignore it; typed ones
    /// without it infer one from the first records.
    fn set_schema(&mut self, schema: &Schema) -> Result<()> {
        let _ = schema;
        Ok(())
    }

    /// Gives a format that adds to its output rather than replacing it (an SQLite database,
    /// whose other tables stay) the output as it is now, before the first record; a writer
    /// calls it when the target exists and the format says it amends. The default refuses:
    /// the format would write its output anew.
    fn amend(&mut self, existing: Bytes) -> Result<()> {
        let _ = existing;
        Err(crate::Error::new(
            crate::ErrorKind::Unsupported,
            "this format writes its output anew and does not amend one",
        ))
    }
}

/// What a [`RangeDecoder`] wants next, or gives.
#[derive(Debug)]
pub enum RangeStep {
    /// These byte ranges of the input, pushed in with [`RangeDecoder::push`].
    Need(Vec<Range<u64>>),
    /// The next record.
    Record(Record),
    /// Every record has been given.
    End,
}

/// A decoder for formats read by ranges from anywhere in the input (Parquet's footer, then
/// its column chunks), without doing any I/O: it says which ranges it needs, the caller
/// fetches them (positioned reads of a file, `Range` requests to HTTP or S3) and pushes them
/// in. The input's size is given when the decoder is made.
pub trait RangeDecoder: Send {
    /// The next record, or the ranges needed before it.
    fn step(&mut self) -> Result<RangeStep>;

    /// [`RangeDecoder::step`] for several records at once: moves at least one and at most
    /// `max` (at least 1) records that are ready into `records` and gives `None`, or gives
    /// the step that is not a record (`Need`, `End`). Records moved before an error are
    /// given before it. A reader drains `records` before it steps again. The default moves
    /// the one record [`RangeDecoder::step`] gives.
    fn step_into(
        &mut self,
        records: &mut std::collections::VecDeque<Record>,
        max: usize,
    ) -> Result<Option<RangeStep>> {
        let _ = max;
        match self.step()? {
            RangeStep::Record(record) => {
                records.push_back(record);
                Ok(None)
            }
            other => Ok(Some(other)),
        }
    }

    /// The bytes of `ranges` (each `data[i]` holds `ranges[i]`), as asked by
    /// [`RangeStep::Need`].
    fn push(&mut self, ranges: Vec<Range<u64>>, data: Vec<Bytes>) -> Result<()>;

    /// The records' schema, once known: for Parquet, once the footer asked for by the first
    /// step has been pushed.
    fn schema(&self) -> Option<&Schema>;

    /// The input's tables (a workbook's sheets), in order, once known; `None` for a format
    /// that has none.
    fn tables(&self) -> Option<&[String]> {
        None
    }

    /// A file found beside the input with one of the extensions its format names
    /// (`FormatSpec::companions` in iterable-formats: a DBF table's memo file, `.dbt` or
    /// `.fpt`), given whole before the first step. The default ignores it.
    fn push_companion(&mut self, extension: &str, data: Bytes) -> Result<()> {
        let _ = (extension, data);
        Ok(())
    }
}

impl<D: Decoder + ?Sized> Decoder for Box<D> {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        (**self).decode(buf)
    }
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        (**self).decode_eof(buf)
    }
    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        (**self).decode_into(buf, eof, batch)
    }
    fn schema(&self) -> Option<&Schema> {
        (**self).schema()
    }
}

impl<E: Encoder + ?Sized> Encoder for Box<E> {
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        (**self).encode(record, dst)
    }
    fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        (**self).finish(dst)
    }
    fn set_schema(&mut self, schema: &Schema) -> Result<()> {
        (**self).set_schema(schema)
    }
    fn amend(&mut self, existing: Bytes) -> Result<()> {
        (**self).amend(existing)
    }
}

/// A compression codec, in one direction: bytes in, bytes out, no I/O. (The word "codec"
/// means this in iterable: compression, never a record format.)
///
/// [`Codec::process`] is called with the input at hand and appends what it can to `output`;
/// it returns how much input it consumed. A call that neither consumes nor produces anything
/// means it needs more input. [`Codec::finish`] is called once the input is over: a compressor
/// writes its trailer, a decompressor fails on a stream cut short.
pub trait Codec: Send {
    /// Consumes some of `input`, appends to `output`; returns the bytes consumed.
    fn process(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize>;

    /// The input is over: appends what is left, or fails on a truncated stream.
    fn finish(&mut self, output: &mut BytesMut) -> Result<()>;
}

impl<C: Codec + ?Sized> Codec for Box<C> {
    fn process(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize> {
        (**self).process(input, output)
    }
    fn finish(&mut self, output: &mut BytesMut) -> Result<()> {
        (**self).finish(output)
    }
}
