//! Arrow IPC (feature `arrow`), on arrow-rs's own arrow-ipc: the file format (`arrow`,
//! `.arrow`, `.feather`: Feather v2 is this file format; magic `ARROW1`), read by ranges, and
//! the stream format (`arrows`, `.arrows`), streamed; both written.
//!
//! Reading the file is sans-IO: [`ArrowFileDecoder`] is a [`RangeDecoder`] that asks for the
//! trailer, then the footer (the schema and where each batch is), then the dictionaries, then
//! one record batch at a time, so memory holds one batch whatever the file's size, and a file
//! on HTTP or S3 is read by `Range` requests. [`ArrowStreamDecoder`] reads the stream as it
//! arrives (arrow-ipc's push `StreamDecoder`); memory holds the batch being read. Values are
//! typed through the [Arrow bridge](crate::arrow), dictionary-encoded columns as their values;
//! both compressions of the IPC format (LZ4 frame, which pyarrow's Feather writer uses by
//! default, and zstd) are read. `-o columns=a,b` gives only those columns, in that order.
//!
//! Writing: [`ArrowFileEncoder`] and [`ArrowStreamEncoder`] take the schema they are given (so
//! that a Parquet or Arrow source keeps its widths) or infer one from the first records
//! (`-O infer_rows=N`), and write a batch per 8192 records, uncompressed by default
//! (`-O compression=lz4|zstd`). A record the schema cannot hold is an error naming the record
//! and the field. The file is a valid file only once finished (its footer comes last);
//! the stream is readable as it is written.
//!
//! Errors: a batch is not a record, so a broken batch or a file cut short ends the read under
//! every error policy; the records of the batches before it have been given.
//!
//! ```
//! use bytes::BytesMut;
//! use iterable_core::{Decoder, Encoder, Record, Value};
//! use iterable_formats::ipc::{ArrowStreamDecoder, ArrowStreamEncoder};
//! use iterable_formats::FormatOptions;
//!
//! let mut encoder = ArrowStreamEncoder::new(&FormatOptions::default())?;
//! let mut stream = BytesMut::new();
//! for id in 0..3 {
//!     let record: Record = [("id", Value::Int(id)), ("name", Value::from("x"))].into_iter().collect();
//!     encoder.encode(&record, &mut stream)?;
//! }
//! encoder.finish(&mut stream)?;
//!
//! let mut decoder = ArrowStreamDecoder::new(&FormatOptions::default().with("columns", "id"))?;
//! let mut ids = Vec::new();
//! while let Some(record) = decoder.decode_eof(&mut stream)? {
//!     ids.push(record.get("id").cloned().unwrap());
//! }
//! assert_eq!(ids, [Value::Int(0), Value::Int(1), Value::Int(2)]);
//! # Ok::<(), iterable_core::Error>(())
//! ```

use crate::arrow::{BatchRecords, caught, column_indices, schema_from_arrow};
use crate::batch_writer::{BatchEncoder, BatchSink, Written, forward_encoder};
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::{FileDecoder, StreamDecoder, read_footer_length};
use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow_ipc::{Block, CompressionType, MessageHeader};
use arrow_schema::SchemaRef;
use bytes::{Bytes, BytesMut};
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FormatInfo, Position, RangeDecoder,
    RangeStep, Record, Result, Schema,
};
use std::collections::VecDeque;
use std::ops::Range;

/// The file format's name in errors and options.
pub const FILE_FORMAT: &str = "arrow";

/// The stream format's name in errors and options.
pub const STREAM_FORMAT: &str = "arrows";

/// The Arrow IPC file format in the format registry.
pub struct ArrowFileFormat;

/// The registry's Arrow IPC file format.
pub static ARROW_FILE: ArrowFileFormat = ArrowFileFormat;

/// The Arrow IPC stream format in the format registry.
pub struct ArrowStreamFormat;

/// The registry's Arrow IPC stream format.
pub static ARROW_STREAM: ArrowStreamFormat = ArrowStreamFormat;

static FILE_INFO: FormatInfo = FormatInfo {
    name: FILE_FORMAT,
    aliases: &["feather", "ipc", "arrow-file"],
    extensions: &["arrow", "feather"],
    mime_types: &["application/vnd.apache.arrow.file"],
    magic: &[b"ARROW1"],
    capabilities: Capabilities::RANDOM_ACCESS,
    description: "Apache Arrow IPC files (Feather v2): columnar, typed; read by ranges, a batch at a time",
};

static STREAM_INFO: FormatInfo = FormatInfo {
    name: STREAM_FORMAT,
    aliases: &["arrow-stream", "ipc-stream"],
    extensions: &["arrows"],
    mime_types: &["application/vnd.apache.arrow.stream"],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "Apache Arrow IPC streams: columnar, typed; streamed a batch at a time",
};

/// The read options of both formats (`-o KEY=VALUE`).
pub static READ_OPTIONS: &[OptionInfo] = &[OptionInfo {
    key: "columns",
    default: "",
    help: "the columns to read, comma-separated, in the order given; all by default",
}];

/// The write options of both formats (`-O KEY=VALUE`).
pub static WRITE_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "compression",
        default: "none",
        help: "none, lz4 (LZ4 frames, as pyarrow's Feather writer) or zstd",
    },
    OptionInfo {
        key: "infer_rows",
        default: "10000",
        help: "without a schema given, how many records the schema is inferred from",
    },
];

/// The largest footer read: a hostile length is an error, not an allocation of gigabytes.
const MAX_FOOTER_SIZE: u64 = 64 << 20;

/// The trailer that ends a file: the footer's length and the magic bytes.
const TRAILER: u64 = 10;

/// The columns asked for with `-o columns=`, if any.
fn columns(options: &FormatOptions) -> Option<Vec<String>> {
    options
        .get("columns")
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.split(',').map(|n| n.trim().to_owned()).collect())
}

/// An error of arrow-ipc reading `format`, at record `record` (the first of the batch).
fn read_error(format: &'static str, error: impl std::fmt::Display, record: u64) -> Error {
    Error::parse(format, error.to_string()).at(Position {
        record: Some(record),
        ..Position::default()
    })
}

/// What is read of each batch: its records, in the columns asked for.
struct Batches {
    format: &'static str,
    columns: Option<Vec<String>>,
    /// The columns asked for, as indices, once the schema is known.
    projection: Option<Vec<usize>>,
    schema: Option<Schema>,
    records: Option<BatchRecords>,
    /// Records given so far.
    given: u64,
}

impl Batches {
    fn new(format: &'static str, options: &FormatOptions) -> Result<Batches> {
        options.check(format, READ_OPTIONS)?;
        Ok(Batches {
            format,
            columns: columns(options),
            projection: None,
            schema: None,
            records: None,
            given: 0,
        })
    }

    /// Learns the file's schema: the columns asked for are found in it.
    fn set_schema(&mut self, schema: &arrow_schema::Schema) -> Result<()> {
        let projected = match &self.columns {
            None => schema.clone(),
            Some(names) => {
                let indices = column_indices(self.format, schema, names)?;
                let projected = schema.project(&indices).map_err(|e| {
                    read_error(self.format, e, 1) // the indices were found in it
                })?;
                self.projection = Some(indices);
                projected
            }
        };
        self.schema = Some(schema_from_arrow(&projected).map_err(|e| e.with_format(self.format))?);
        Ok(())
    }

    /// Takes the records of `batch`.
    fn push(&mut self, batch: RecordBatch) -> Result<()> {
        let batch = match &self.projection {
            Some(indices) => batch
                .project(indices)
                .map_err(|e| read_error(self.format, e, self.given + 1))?,
            None => batch,
        };
        self.records = Some(BatchRecords::new(&batch).map_err(|e| e.with_format(self.format))?);
        Ok(())
    }

    fn next(&mut self) -> Option<Record> {
        let record = self.records.as_mut()?.next();
        match record {
            Some(_) => self.given += 1,
            None => self.records = None,
        }
        record
    }

    /// Moves up to `max` records into `out`; how many were moved.
    fn move_into(&mut self, out: &mut VecDeque<Record>, max: usize) -> usize {
        let Some(records) = &mut self.records else {
            return 0;
        };
        let before = out.len();
        out.extend(records.by_ref().take(max.max(1)));
        let moved = out.len() - before;
        self.given += moved as u64;
        if moved == 0 {
            self.records = None;
        }
        moved
    }
}

impl FormatSpec for ArrowFileFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &FILE_INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    /// Its magic bytes, `ARROW1`, are the sure sign.
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        FILE_INFO.has_magic(head).then(|| Sniffed::with(100))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        _max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "an Arrow file is read by ranges, not as a stream (ranged_decoder); its stream form is `arrows`",
        )
        .with_format(FILE_FORMAT))
    }

    fn ranged_decoder(&self, options: &FormatOptions, size: u64) -> Result<Box<dyn RangeDecoder>> {
        Ok(Box::new(ArrowFileDecoder::new(options, size)?))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(ArrowFileEncoder::new(options)?))
    }
}

impl FormatSpec for ArrowStreamFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &STREAM_INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    /// A stream starts with its schema message: the continuation marker, the message's
    /// length, and a message that is a schema (90); cut off before its end, the marker and a
    /// length that could be one (40).
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        let rest = head.strip_prefix(b"\xFF\xFF\xFF\xFF")?;
        let length = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        if length == 0 || length as u64 > MAX_FOOTER_SIZE || !length.is_multiple_of(8) {
            return None;
        }
        match rest.get(4..4 + length) {
            Some(message) => {
                let message = arrow_ipc::root_as_message(message).ok()?;
                (message.header_type() == MessageHeader::Schema).then(|| Sniffed::with(90))
            }
            None => Some(Sniffed::with(40)),
        }
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        _max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(ArrowStreamDecoder::new(options)?))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(ArrowStreamEncoder::new(options)?))
    }
}

/// Where an [`ArrowFileDecoder`] stands: each stage asks for its ranges, then reads them.
enum Stage {
    /// The last ten bytes: the footer's length and the magic.
    Trailer,
    /// The footer, at these bytes.
    Footer(Range<u64>),
    /// The dictionaries' blocks.
    Dictionaries,
    /// The record batches' blocks, from this one on.
    Batches(usize),
    /// Every batch has been read, or reading failed.
    Done,
}

/// Reads an Arrow IPC file by ranges: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, RangeDecoder, RangeStep, Record, Value};
/// use iterable_formats::FormatOptions;
/// use iterable_formats::ipc::{ArrowFileDecoder, ArrowFileEncoder};
///
/// let mut encoder = ArrowFileEncoder::new(&FormatOptions::default())?;
/// let mut file = BytesMut::new();
/// for id in 0..3 {
///     encoder.encode(&[("id", Value::Int(id))].into_iter().collect::<Record>(), &mut file)?;
/// }
/// encoder.finish(&mut file)?;
/// let file = file.freeze();
///
/// // The decoder asks for ranges of the file; the caller serves them.
/// let mut decoder = ArrowFileDecoder::new(&FormatOptions::default(), file.len() as u64)?;
/// let mut ids = Vec::new();
/// loop {
///     match decoder.step()? {
///         RangeStep::Need(ranges) => {
///             let data = ranges.iter().map(|r| file.slice(r.start as usize..r.end as usize)).collect();
///             decoder.push(ranges, data)?;
///         }
///         RangeStep::Record(record) => ids.push(record.get("id").cloned()),
///         RangeStep::End => break,
///     }
/// }
/// assert_eq!(ids, [Some(Value::Int(0)), Some(Value::Int(1)), Some(Value::Int(2))]);
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct ArrowFileDecoder {
    size: u64,
    stage: Stage,
    /// The bytes of the ranges last asked for, once pushed.
    pushed: Option<Vec<Bytes>>,
    decoder: Option<FileDecoder>,
    dictionaries: Vec<Block>,
    blocks: Vec<Block>,
    batches: Batches,
}

impl ArrowFileDecoder {
    /// A decoder for a file of `size` bytes with `options` ([`READ_OPTIONS`]).
    pub fn new(options: &FormatOptions, size: u64) -> Result<ArrowFileDecoder> {
        Ok(ArrowFileDecoder {
            size,
            stage: Stage::Trailer,
            pushed: None,
            decoder: None,
            dictionaries: Vec::new(),
            blocks: Vec::new(),
            batches: Batches::new(FILE_FORMAT, options)?,
        })
    }

    fn malformed(&self, why: impl std::fmt::Display) -> Error {
        Error::parse(FILE_FORMAT, format!("not an Arrow file: {why}"))
    }

    /// Where `block` is in the file, checked against its size.
    fn range_of(&self, block: &Block) -> Result<Range<u64>> {
        let start = u64::try_from(block.offset()).ok();
        let length = u64::try_from(block.metaDataLength())
            .ok()
            .zip(u64::try_from(block.bodyLength()).ok())
            .and_then(|(meta, body)| meta.checked_add(body));
        match start.zip(length) {
            Some((start, length)) if start.saturating_add(length) <= self.size && length > 0 => {
                Ok(start..start + length)
            }
            _ => Err(self.malformed(format!(
                "a block claims bytes {}..+{}+{} of a file of {}",
                block.offset(),
                block.metaDataLength(),
                block.bodyLength(),
                self.size
            ))),
        }
    }

    /// Reads the footer: the schema and the blocks.
    fn read_footer(&mut self, footer: &[u8]) -> Result<()> {
        let footer = arrow_ipc::root_as_footer(footer).map_err(|e| self.malformed(e))?;
        let ipc_schema = footer
            .schema()
            .ok_or_else(|| self.malformed("its footer has no schema"))?;
        let schema = arrow_ipc::convert::try_fb_to_schema(ipc_schema)
            .map_err(|e| read_error(FILE_FORMAT, e, 1))?;
        self.batches.set_schema(&schema)?;
        self.dictionaries = footer.dictionaries().iter().flatten().copied().collect();
        self.blocks = footer.recordBatches().iter().flatten().copied().collect();
        for block in self.dictionaries.iter().chain(&self.blocks) {
            self.range_of(block)?;
        }
        self.decoder = Some(FileDecoder::new(schema.into(), footer.version()));
        Ok(())
    }

    fn next_step(&mut self) -> Result<RangeStep> {
        loop {
            if let Some(record) = self.batches.next() {
                return Ok(RangeStep::Record(record));
            }
            let pushed = self.pushed.take();
            match (&self.stage, pushed) {
                (Stage::Done, _) => return Ok(RangeStep::End),
                (Stage::Trailer, None) => {
                    // The magic, its padding, the schema's end of stream and the trailer.
                    if self.size < 8 + 8 + TRAILER {
                        return Err(self.malformed(format!("{} bytes are too few", self.size)));
                    }
                    let trailer = self.size - TRAILER..self.size;
                    return Ok(RangeStep::Need(Vec::from([trailer])));
                }
                (Stage::Trailer, Some(data)) => {
                    let trailer: [u8; 10] = data
                        .concat()
                        .try_into()
                        .map_err(|_| self.malformed("the trailer was not given whole"))?;
                    let length = read_footer_length(trailer).map_err(|_| {
                        self.malformed(
                            "it does not end in ARROW1 (an Arrow IPC stream has no footer: read it as `arrows`)",
                        )
                    })? as u64;
                    if length > MAX_FOOTER_SIZE {
                        return Err(Error::new(
                            ErrorKind::LimitExceeded,
                            format!(
                                "the footer claims {length} bytes, more than the {} MiB a footer may take",
                                MAX_FOOTER_SIZE >> 20
                            ),
                        )
                        .with_format(FILE_FORMAT));
                    }
                    let end = self.size - TRAILER;
                    if length == 0 || length > end - 8 {
                        return Err(self.malformed(format!(
                            "the footer claims {length} bytes of a file of {}",
                            self.size
                        )));
                    }
                    self.stage = Stage::Footer(end - length..end);
                }
                (Stage::Footer(range), None) => return Ok(RangeStep::Need(vec![range.clone()])),
                (Stage::Footer(_), Some(data)) => {
                    self.read_footer(&data.concat())?;
                    self.stage = match self.dictionaries.is_empty() {
                        true => Stage::Batches(0),
                        false => Stage::Dictionaries,
                    };
                }
                (Stage::Dictionaries, None) => {
                    let ranges = self.dictionaries.iter().map(|b| self.range_of(b));
                    return Ok(RangeStep::Need(ranges.collect::<Result<_>>()?));
                }
                (Stage::Dictionaries, Some(data)) => {
                    let decoder = self.decoder.as_mut().expect("made with the footer");
                    for (block, data) in self.dictionaries.iter().zip(data) {
                        decoder
                            .read_dictionary(block, &Buffer::from(data))
                            .map_err(|e| read_error(FILE_FORMAT, e, 1))?;
                    }
                    self.stage = Stage::Batches(0);
                }
                (&Stage::Batches(next), _) if next == self.blocks.len() => {
                    self.stage = Stage::Done;
                }
                (&Stage::Batches(next), None) => {
                    return Ok(RangeStep::Need(vec![self.range_of(&self.blocks[next])?]));
                }
                (&Stage::Batches(next), Some(data)) => {
                    let decoder = self.decoder.as_ref().expect("made with the footer");
                    let data = Buffer::from(data.into_iter().next().unwrap_or_default());
                    let first = self.batches.given + 1;
                    let batch = decoder
                        .read_record_batch(&self.blocks[next], &data)
                        .map_err(|e| read_error(FILE_FORMAT, e, first))?;
                    if let Some(batch) = batch {
                        self.batches.push(batch)?;
                    }
                    self.stage = Stage::Batches(next + 1);
                }
            }
        }
    }

    /// Runs `work` on arrow-ipc; an error or a panic of it ends the reading.
    fn guarded<T>(&mut self, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let result = caught(FILE_FORMAT, "arrow-ipc", || work(self)).and_then(|r| r);
        if result.is_err() {
            self.stage = Stage::Done;
            self.batches.records = None;
        }
        result
    }
}

impl RangeDecoder for ArrowFileDecoder {
    fn step(&mut self) -> Result<RangeStep> {
        self.guarded(Self::next_step)
    }

    fn step_into(&mut self, out: &mut VecDeque<Record>, max: usize) -> Result<Option<RangeStep>> {
        if self.batches.move_into(out, max) > 0 {
            return Ok(None);
        }
        match self.step()? {
            RangeStep::Record(record) => {
                out.push_back(record);
                Ok(None)
            }
            other => Ok(Some(other)),
        }
    }

    fn push(&mut self, ranges: Vec<Range<u64>>, data: Vec<Bytes>) -> Result<()> {
        let _ = ranges;
        self.pushed = Some(data);
        Ok(())
    }

    fn schema(&self) -> Option<&Schema> {
        self.batches.schema.as_ref()
    }
}

/// Reads an Arrow IPC stream as it arrives: see the [module](self).
pub struct ArrowStreamDecoder {
    decoder: StreamDecoder,
    /// Input given to the decoder and not yet read by it (it stops after each batch).
    pending: Buffer,
    batches: Batches,
    /// The end of the input was seen, or reading failed.
    done: bool,
}

impl ArrowStreamDecoder {
    /// A decoder with `options` ([`READ_OPTIONS`]).
    pub fn new(options: &FormatOptions) -> Result<ArrowStreamDecoder> {
        Ok(ArrowStreamDecoder {
            decoder: StreamDecoder::new(),
            pending: Buffer::from(Vec::<u8>::new()),
            batches: Batches::new(STREAM_FORMAT, options)?,
            done: false,
        })
    }

    fn next(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        let result = caught(STREAM_FORMAT, "arrow-ipc", || self.read(buf, eof)).and_then(|r| r);
        if result.is_err() {
            self.done = true;
            self.batches.records = None;
        }
        result
    }

    fn read(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        loop {
            if let Some(record) = self.batches.next() {
                return Ok(Some(record));
            }
            if self.done {
                return Ok(None);
            }
            if self.pending.is_empty() {
                if buf.is_empty() {
                    if eof {
                        self.done = true;
                        self.decoder
                            .finish()
                            .map_err(|e| read_error(STREAM_FORMAT, e, self.batches.given + 1))?;
                    }
                    return Ok(None);
                }
                self.pending = Buffer::from(buf.split().freeze());
            }
            let first = self.batches.given + 1;
            let batch = self
                .decoder
                .decode(&mut self.pending)
                .map_err(|e| read_error(STREAM_FORMAT, e, first))?;
            if self.batches.schema.is_none()
                && let Some(schema) = self.decoder.schema()
            {
                self.batches.set_schema(&schema)?;
            }
            if let Some(batch) = batch {
                self.batches.push(batch)?;
            }
        }
    }
}

impl Decoder for ArrowStreamDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true)
    }

    /// The stream's schema (the columns asked for), once its schema message has been read.
    fn schema(&self) -> Option<&Schema> {
        self.batches.schema.as_ref()
    }
}

/// The IPC writers' options: the compression named by `-O compression=`.
fn write_options(
    format: &'static str,
    options: &FormatOptions,
) -> Result<(IpcWriteOptions, usize)> {
    options.check(format, WRITE_OPTIONS)?;
    let compression = options.parsed(format, "compression", "none, lz4 or zstd", |v| {
        match v.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => Some(None),
            "lz4" | "lz4_frame" => Some(Some(CompressionType::LZ4_FRAME)),
            "zstd" => Some(Some(CompressionType::ZSTD)),
            _ => None,
        }
    })?;
    let ipc = IpcWriteOptions::default()
        .try_with_compression(compression.flatten())
        .map_err(|e| Error::new(ErrorKind::Unsupported, e.to_string()).with_format(format))?;
    let infer_rows = options
        .parsed(format, "infer_rows", "a whole number above 0", |v| {
            v.parse::<usize>().ok().filter(|n| *n > 0)
        })?
        .unwrap_or(10_000);
    Ok((ipc, infer_rows))
}

fn write_error(format: &'static str, error: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, error.to_string()).with_format(format)
}

/// arrow-ipc's file writer, for the [`BatchEncoder`].
struct FileSink(FileWriter<Written>);

impl BatchSink for FileSink {
    type Options = IpcWriteOptions;
    const FORMAT: &'static str = FILE_FORMAT;

    fn start(out: Written, schema: SchemaRef, options: &IpcWriteOptions) -> Result<Self> {
        FileWriter::try_new_with_options(out, &schema, options.clone())
            .map(FileSink)
            .map_err(|e| write_error(FILE_FORMAT, e))
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.0.write(batch).map_err(|e| write_error(FILE_FORMAT, e))
    }

    fn finish(mut self) -> Result<()> {
        self.0.finish().map_err(|e| write_error(FILE_FORMAT, e))
    }
}

/// arrow-ipc's stream writer, for the [`BatchEncoder`].
struct StreamSink(StreamWriter<Written>);

impl BatchSink for StreamSink {
    type Options = IpcWriteOptions;
    const FORMAT: &'static str = STREAM_FORMAT;

    fn start(out: Written, schema: SchemaRef, options: &IpcWriteOptions) -> Result<Self> {
        StreamWriter::try_new_with_options(out, &schema, options.clone())
            .map(StreamSink)
            .map_err(|e| write_error(STREAM_FORMAT, e))
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.0
            .write(batch)
            .map_err(|e| write_error(STREAM_FORMAT, e))
    }

    fn finish(mut self) -> Result<()> {
        self.0.finish().map_err(|e| write_error(STREAM_FORMAT, e))
    }
}

/// Writes records as an Arrow IPC file: see the [module](self).
pub struct ArrowFileEncoder(BatchEncoder<FileSink>);

impl ArrowFileEncoder {
    /// An encoder with `options` ([`WRITE_OPTIONS`]).
    pub fn new(options: &FormatOptions) -> Result<ArrowFileEncoder> {
        let (ipc, infer_rows) = write_options(FILE_FORMAT, options)?;
        Ok(ArrowFileEncoder(BatchEncoder::new(ipc, infer_rows)))
    }
}

/// Writes records as an Arrow IPC stream: see the [module](self).
pub struct ArrowStreamEncoder(BatchEncoder<StreamSink>);

impl ArrowStreamEncoder {
    /// An encoder with `options` ([`WRITE_OPTIONS`]).
    pub fn new(options: &FormatOptions) -> Result<ArrowStreamEncoder> {
        let (ipc, infer_rows) = write_options(STREAM_FORMAT, options)?;
        Ok(ArrowStreamEncoder(BatchEncoder::new(ipc, infer_rows)))
    }
}

forward_encoder!(ArrowFileEncoder);
forward_encoder!(ArrowStreamEncoder);
