//! Arrow IPC (feature `arrow`), on arrow-rs's own arrow-ipc: the file format (`arrow`,
//! `.arrow`, `.feather`: Feather v2 is this file format; magic `ARROW1`), read by ranges, and
//! the stream format (`arrows`, `.arrows`), streamed; both written.
//!
//! Reading the file is sans-IO: [`ArrowFileDecoder`] is a [`RangeDecoder`] that asks for the
//! trailer, then the footer (the schema and where each batch is), then the dictionaries, then
//! one record batch at a time, so memory holds one batch whatever the file's size, and a file
//! on HTTP or S3 is read by `Range` requests. [`ArrowStreamDecoder`] reads the stream as it
//! arrives, a message at a time; memory holds the batch being read. Values are
//! typed through the [Arrow bridge](crate::arrow), dictionary-encoded columns as their values;
//! both compressions of the IPC format (LZ4 frame, which pyarrow's Feather writer uses by
//! default, and zstd) are read. `-o columns=a,b` gives only those columns, in that order.
//!
//! Writing: [`ArrowFileEncoder`] and [`ArrowStreamEncoder`] take the schema they are given (so
//! that a Parquet or Arrow source keeps its widths) or infer one from the first records
//! (`-O infer_rows=N`), and write a batch per 8192 records, uncompressed by default
//! (`-O compression=lz4|zstd`). A record the schema cannot hold is an error naming the record
//! and the field. The file is a valid file only once finished (its footer comes last); the
//! stream is readable as it is written, from the first batch on (once the schema is given or
//! inferred).
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

use crate::arrow::{Batches, unpack_allowed};
use crate::batch_writer::{BatchEncoder, BatchSink, Written, forward_encoder};
use crate::library_panic::caught;
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use arrow_array::ArrayRef;
use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::{FileDecoder, read_dictionary, read_footer_length, read_record_batch};
use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow_ipc::{Block, CompressionType, Message, MessageHeader};
use arrow_schema::SchemaRef;
use bytes::{Bytes, BytesMut};
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FormatInfo, Position, RangeDecoder,
    RangeStep, Record, Result, Schema,
};
use std::collections::{HashMap, VecDeque};
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

/// An error of arrow-ipc reading `format`, at record `record` (the first of the batch).
fn read_error(format: &'static str, error: impl std::fmt::Display, record: u64) -> Error {
    Error::parse(format, error.to_string()).at(Position {
        record: Some(record),
        ..Position::default()
    })
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
        if length == 0 || length as u64 > MAX_METADATA_SIZE || !length.is_multiple_of(8) {
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
            batches: {
                options.check(FILE_FORMAT, READ_OPTIONS)?;
                Batches::new(FILE_FORMAT, options)?
            },
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
        // Malformed, it panics (arrow-ipc 59): within `caught`, an error.
        let schema = arrow_ipc::convert::fb_to_schema(ipc_schema);
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
                    for (block, data) in self.dictionaries.iter().zip(&data) {
                        check_block(block, data).map_err(|e| at_block(e, block, 1))?;
                    }
                    let Some(decoder) = self.decoder.as_mut() else {
                        return Err(Error::parse(FILE_FORMAT, "dictionaries before the footer"));
                    };
                    for (block, data) in self.dictionaries.iter().zip(data) {
                        decoder
                            .read_dictionary(block, &Buffer::from(data))
                            .map_err(|e| at_block(read_error(FILE_FORMAT, e, 1), block, 1))?;
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
                    let Some(decoder) = self.decoder.as_ref() else {
                        return Err(Error::parse(FILE_FORMAT, "a batch before the footer"));
                    };
                    let data = data.into_iter().next().unwrap_or_default();
                    let first = self.batches.given + 1;
                    let block = &self.blocks[next];
                    check_block(block, &data).map_err(|e| at_block(e, block, first))?;
                    let data = Buffer::from(data);
                    let batch = decoder
                        .read_record_batch(&self.blocks[next], &data)
                        .map_err(|e| at_block(read_error(FILE_FORMAT, e, first), block, first))?;
                    if let Some(batch) = batch {
                        self.batches
                            .push(batch)
                            .map_err(|e| at_block(e, block, first))?;
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

/// `error` at `block`'s first byte, for record `record`.
fn at_block(error: Error, block: &Block, record: u64) -> Error {
    error.at(Position {
        byte: u64::try_from(block.offset()).ok(),
        record: Some(record),
        ..Position::default()
    })
}

/// [`check_compression`] for a block of a file: its message, read as arrow-ipc reads it
/// (all that follows the length prefix), then its body.
fn check_block(block: &Block, data: &[u8]) -> Result<()> {
    let malformed = |why: &str| Error::parse(FILE_FORMAT, format!("not an Arrow file: {why}"));
    let metadata = usize::try_from(block.metaDataLength()).unwrap_or(usize::MAX);
    let (prefix, _) = message_prefix(data)
        .filter(|(prefix, _)| data.len() >= *prefix)
        .ok_or_else(|| malformed("a block too short for a message"))?;
    let message = arrow_ipc::root_as_message(&data[prefix..])
        .map_err(|e| malformed(&format!("a broken message: {e}")))?;
    check_compression(
        FILE_FORMAT,
        &message,
        data.get(metadata..).unwrap_or_default(),
    )
}

impl RangeDecoder for ArrowFileDecoder {
    fn step(&mut self) -> Result<RangeStep> {
        self.guarded(Self::next_step)
    }

    fn step_into(&mut self, out: &mut VecDeque<Record>, max: usize) -> Result<Option<RangeStep>> {
        self.guarded(|this| {
            crate::arrow::step_into_batches(this, |d| &mut d.batches, Self::next_step, out, max)
        })
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

/// The largest message metadata (a schema, a batch's layout) read: a hostile length is an
/// error, not gigabytes buffered.
const MAX_METADATA_SIZE: u64 = 64 << 20;

/// The largest message body (a batch's buffers) read from a stream.
const MAX_BODY_SIZE: u64 = 4 << 30;

/// The most a batch's compressed buffers may unpack to, in all: arrow-ipc allocates each
/// buffer whole.
const MAX_BATCH_UNPACKED: u64 = 4 << 30;

/// How many times its size a compressed buffer (and a batch's body) may unpack to, past the
/// first 64 MiB: zstd packs a column of one repeated value some 30,000 to 1, and a claim
/// beyond that is an allocation the bytes cannot fill.
const MAX_RATIO: u64 = 50_000;
const RATIO_FLOOR: u64 = 64 << 20;

/// Refuses a batch whose compressed buffers claim to unpack beyond the decompression limits
/// (arrow-ipc allocates what a buffer claims before it unpacks it): `message` and its `body`.
fn check_compression(format: &'static str, message: &Message<'_>, body: &[u8]) -> Result<()> {
    let batch = match message.header_type() {
        MessageHeader::RecordBatch => message.header_as_record_batch(),
        MessageHeader::DictionaryBatch => {
            message.header_as_dictionary_batch().and_then(|d| d.data())
        }
        _ => None,
    };
    let Some(batch) = batch.filter(|b| b.compression().is_some()) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    for buffer in batch.buffers().iter().flatten() {
        let (Ok(offset), Ok(length)) = (
            usize::try_from(buffer.offset()),
            u64::try_from(buffer.length()),
        ) else {
            continue; // arrow-ipc refuses it
        };
        if length < 8 {
            continue; // an empty buffer (a column without nulls has one): no size prefix
        }
        let Some(prefix) = body.get(offset..offset.saturating_add(8)) else {
            continue;
        };
        let claimed = i64::from_le_bytes(prefix.try_into().expect("8 bytes"));
        let Ok(claimed) = u64::try_from(claimed) else {
            continue; // -1: stored uncompressed
        };
        total = total.saturating_add(claimed);
        let batch_allowed = unpack_allowed(body.len() as u64, MAX_RATIO, RATIO_FLOOR);
        if claimed > unpack_allowed(length, MAX_RATIO, RATIO_FLOOR)
            || total > batch_allowed.min(MAX_BATCH_UNPACKED)
        {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "a buffer claims {claimed} bytes uncompressed from {length} ({total} in its batch), beyond the decompression limits"
                ),
            )
            .with_format(format));
        }
    }
    Ok(())
}

/// A message's length prefix at the front of `buf`: the bytes of the prefix and of the
/// message after it (`0` at the end of the stream), or `None` when more input is needed.
fn message_prefix(buf: &[u8]) -> Option<(usize, u64)> {
    let word = |at: usize| {
        buf.get(at..at + 4)
            .map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes")))
    };
    match word(0)? {
        // The continuation marker, then the length (the format since Arrow 0.15).
        0xFFFF_FFFF => Some((8, u64::from(word(4)?))),
        // A length alone (streams written before 0.15).
        length => Some((4, u64::from(length))),
    }
}

/// Reads an Arrow IPC stream as it arrives: see the [module](self).
///
/// Messages are framed here (a length, the message, its body) and each one decoded whole by
/// arrow-ipc once its bytes are in, so that a message's claims are checked before anything is
/// allocated for them. An IPC file given as a stream (`ARROW1` first) is read too, up to the
/// end of its stream; its footer is not needed.
pub struct ArrowStreamDecoder {
    batches: Batches,
    arrow_schema: Option<SchemaRef>,
    dictionaries: HashMap<i64, ArrayRef>,
    /// Bytes taken off the input so far.
    consumed: u64,
    /// The input's first bytes have been looked at (for an IPC file's magic).
    started: bool,
    /// The input is an IPC file: what follows the end of its stream is its footer.
    file: bool,
    /// Skipping the zeros that pad a file's magic.
    padding: bool,
    /// The message at the front of the input, its metadata read: the length prefix's bytes,
    /// where its metadata ends and where its body ends.
    frame: Option<(usize, usize, usize)>,
    /// The end of the stream was read, the input ended, or reading failed.
    done: bool,
}

impl ArrowStreamDecoder {
    /// A decoder with `options` ([`READ_OPTIONS`]).
    pub fn new(options: &FormatOptions) -> Result<ArrowStreamDecoder> {
        Ok(ArrowStreamDecoder {
            batches: {
                options.check(STREAM_FORMAT, READ_OPTIONS)?;
                Batches::new(STREAM_FORMAT, options)?
            },
            arrow_schema: None,
            dictionaries: HashMap::new(),
            consumed: 0,
            started: false,
            file: false,
            padding: false,
            frame: None,
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

    /// An error at the message starting at the current byte, for the next record.
    fn error_here(&self, error: Error) -> Error {
        error.at(Position {
            byte: Some(self.consumed),
            record: Some(self.batches.given + 1),
            ..Position::default()
        })
    }

    fn malformed(&self, why: impl std::fmt::Display) -> Error {
        self.error_here(Error::parse(STREAM_FORMAT, why.to_string()))
    }

    fn read(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        loop {
            if let Some(record) = self.batches.next() {
                return Ok(Some(record));
            }
            if self.done {
                // After the end of the stream: an IPC file's footer, or nothing.
                if self.file || buf.is_empty() {
                    self.consumed += buf.len() as u64;
                    buf.clear();
                    return Ok(None);
                }
                let error = self.malformed("data after the end of the stream");
                buf.clear();
                return Err(error);
            }
            if !self.started {
                if buf.len() < 8 && !eof {
                    return Ok(None);
                }
                self.started = true;
                if buf.starts_with(b"ARROW1") {
                    self.file = true;
                    self.padding = true;
                    let magic = buf.len().min(8);
                    let _ = buf.split_to(magic);
                    self.consumed += magic as u64;
                }
            }
            // A file's magic is padded with zeros to the writer's alignment (8 to 64 bytes).
            while self.padding {
                match buf.get(..8) {
                    Some([0, 0, 0, 0, 0, 0, 0, 0]) => {
                        let _ = buf.split_to(8);
                        self.consumed += 8;
                    }
                    None if !eof => return Ok(None),
                    _ => self.padding = false,
                }
            }
            // The message at the front, once its metadata is in and verified (kept while its
            // body arrives, so that it is verified once).
            let (prefix, metadata_end, end) = match self.frame {
                Some(frame) => frame,
                None => {
                    let Some((prefix, length)) = message_prefix(buf) else {
                        if eof {
                            self.done = true;
                            if !buf.is_empty() || self.arrow_schema.is_none() {
                                return Err(self.malformed("the stream is cut short"));
                            }
                        }
                        return Ok(None);
                    };
                    if length == 0 {
                        // The end of the stream.
                        let _ = buf.split_to(prefix);
                        self.consumed += prefix as u64;
                        self.done = true;
                        continue;
                    }
                    if length > MAX_METADATA_SIZE {
                        return Err(self.error_here(
                            Error::new(
                                ErrorKind::LimitExceeded,
                                format!(
                                    "a message claims {length} bytes of metadata, more than the {} MiB allowed",
                                    MAX_METADATA_SIZE >> 20
                                ),
                            )
                            .with_format(STREAM_FORMAT),
                        ));
                    }
                    let metadata_end = prefix + length as usize;
                    if buf.len() < metadata_end {
                        if eof {
                            self.done = true;
                            return Err(self.malformed("the stream is cut short in a message"));
                        }
                        return Ok(None);
                    }
                    let body = arrow_ipc::root_as_message(&buf[prefix..metadata_end])
                        .map_err(|e| self.malformed(format!("a broken message: {e}")))?
                        .bodyLength();
                    let body = u64::try_from(body)
                        .ok()
                        .filter(|b| *b <= MAX_BODY_SIZE)
                        .ok_or_else(|| {
                            self.malformed(format!("a message claims a body of {body} bytes"))
                        })?;
                    let frame = (prefix, metadata_end, metadata_end + body as usize);
                    self.frame = Some(frame);
                    frame
                }
            };
            if buf.len() < end {
                if eof {
                    self.done = true;
                    return Err(self.malformed("the stream is cut short in a message's body"));
                }
                return Ok(None);
            }
            self.frame = None;
            let frame = buf.split_to(end).freeze();
            self.read_message(&frame, prefix, metadata_end)?;
            self.consumed += end as u64;
        }
    }

    /// Reads one whole message: `frame[prefix..metadata_end]` the message, the rest its body.
    fn read_message(&mut self, frame: &Bytes, prefix: usize, metadata_end: usize) -> Result<()> {
        let message = arrow_ipc::root_as_message(&frame[prefix..metadata_end])
            .map_err(|e| self.malformed(format!("a broken message: {e}")))?;
        let body = frame.slice(metadata_end..);
        check_compression(STREAM_FORMAT, &message, &body).map_err(|e| self.error_here(e))?;
        match message.header_type() {
            MessageHeader::Schema => {
                if self.arrow_schema.is_some() {
                    return Err(self.malformed("a second schema"));
                }
                let ipc_schema = message
                    .header_as_schema()
                    .ok_or_else(|| self.malformed("a schema message without a schema"))?;
                // Malformed, it panics (arrow-ipc 59): within `caught`, an error.
                let schema = arrow_ipc::convert::fb_to_schema(ipc_schema);
                self.batches.set_schema(&schema)?;
                self.arrow_schema = Some(schema.into());
            }
            MessageHeader::DictionaryBatch | MessageHeader::RecordBatch => {
                let schema = self
                    .arrow_schema
                    .clone()
                    .ok_or_else(|| self.malformed("a batch before the schema"))?;
                let body = Buffer::from(body);
                let version = message.version();
                if let Some(dictionary) = message.header_as_dictionary_batch() {
                    read_dictionary(&body, dictionary, &schema, &mut self.dictionaries, &version)
                        .map_err(|e| self.malformed(e))?;
                } else if let Some(batch) = message.header_as_record_batch() {
                    let batch =
                        read_record_batch(&body, batch, schema, &self.dictionaries, None, &version)
                            .map_err(|e| self.malformed(e))?;
                    self.batches.push(batch)?;
                }
            }
            MessageHeader::NONE => {}
            other => return Err(self.malformed(format!("a {other:?} message, which is not data"))),
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// 10,000 zeros as a zstd-compressed stream or file, the data buffer's length prefix
    /// (80,000) changed to claim a petabyte.
    fn bomb(encoder: &mut dyn Encoder) -> BytesMut {
        let mut out = BytesMut::new();
        for _ in 0..10_000 {
            let record: Record = [("n", iterable_core::Value::Int(0))].into_iter().collect();
            encoder.encode(&record, &mut out).unwrap();
        }
        encoder.finish(&mut out).unwrap();
        let claim = 80_000u64.to_le_bytes();
        let at = out.windows(8).position(|w| w == claim).expect("the prefix");
        out[at..at + 8].copy_from_slice(&(1u64 << 50).to_le_bytes());
        out
    }

    fn zstd() -> FormatOptions {
        FormatOptions::default().with("compression", "zstd")
    }

    #[test]
    fn a_buffer_claiming_to_unpack_to_a_petabyte_is_refused() {
        let mut stream = bomb(&mut ArrowStreamEncoder::new(&zstd()).unwrap());
        let mut decoder = ArrowStreamDecoder::new(&FormatOptions::default()).unwrap();
        let error = decoder.decode_eof(&mut stream).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
        assert!(error.position().byte.is_some(), "{error}");

        let file = bomb(&mut ArrowFileEncoder::new(&zstd()).unwrap()).freeze();
        let mut decoder =
            ArrowFileDecoder::new(&FormatOptions::default(), file.len() as u64).unwrap();
        let error = loop {
            match decoder.step() {
                Ok(RangeStep::Need(ranges)) => {
                    let data = ranges
                        .iter()
                        .map(|r| file.slice(r.start as usize..r.end as usize))
                        .collect();
                    decoder.push(ranges, data).unwrap();
                }
                Ok(other) => panic!("{other:?}"),
                Err(error) => break error,
            }
        };
        assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
        assert!(
            matches!(decoder.step(), Ok(RangeStep::End)),
            "the reading ended"
        );
    }

    #[test]
    fn a_stream_is_read_whatever_the_cuts_and_a_file_as_a_stream() {
        let mut encoder = ArrowFileEncoder::new(&FormatOptions::default()).unwrap();
        let mut file = BytesMut::new();
        for id in 0..5 {
            let record: Record = [("id", iterable_core::Value::Int(id))]
                .into_iter()
                .collect();
            encoder.encode(&record, &mut file).unwrap();
        }
        encoder.finish(&mut file).unwrap();
        // Fed a byte at a time, the file's stream gives its records and skips its footer.
        let mut decoder = ArrowStreamDecoder::new(&FormatOptions::default()).unwrap();
        let mut buf = BytesMut::new();
        let mut ids = Vec::new();
        for byte in file.iter() {
            buf.extend_from_slice(&[*byte]);
            while let Some(record) = decoder.decode(&mut buf).unwrap() {
                ids.push(record.get("id").cloned().unwrap());
            }
        }
        while let Some(record) = decoder.decode_eof(&mut buf).unwrap() {
            ids.push(record.get("id").cloned().unwrap());
        }
        let want: Vec<_> = (0..5).map(iterable_core::Value::Int).collect();
        assert_eq!(ids, want);
        assert_eq!(decoder.schema().unwrap().fields().len(), 1);
    }
}
