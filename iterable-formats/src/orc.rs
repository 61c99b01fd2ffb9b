//! ORC files (feature `orc`: `orc`, `.orc`, magic `ORC`), read by ranges a stripe at a time
//! on orc-rust, sans-IO: [`OrcDecoder`] asks for the file's tail (its postscript, footer and
//! metadata: the schema and where each stripe is), then for one stripe at a time, and
//! decodes that stripe's columns with orc-rust into Arrow batches, which the
//! [Arrow bridge](crate::arrow) turns into typed records. Memory holds one stripe (ORC
//! writers make them 64 MiB or so); a file on HTTP or S3 is read by `Range` requests.
//! `-o columns=a,b` decodes only those columns and gives them in that order.
//!
//! Types: booleans, integers of 8 to 64 bits, floats of 32 and 64, strings, chars and
//! varchars as text, binary as bytes, decimals as `Decimal`, dates as `Date`, timestamps in
//! nanoseconds (with a local time zone: UTC; plain ones have none), lists, maps and structs
//! nested. A union column is an error naming it.
//!
//! Errors: a stripe is not a record, so a broken stripe (or tail, or a file cut short) ends
//! the read under every error policy, naming its byte offset and its first record; the
//! records of the stripes before it have been given.
//!
//! Not written: orc-rust's writer writes flat records of a few types only, and cannot be
//! moved between threads (as every encoder here can); convert to Parquet, which keeps every
//! type ORC has.

use crate::arrow::Batches;
use crate::library_panic::caught;
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use arrow_schema::SchemaRef;
use bytes::Bytes;
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FormatInfo, Position, RangeDecoder,
    RangeStep, Record, Result, Schema,
};
use orc_rust::array_decoder::NaiveStripeDecoder;
use orc_rust::projection::ProjectionMask;
use orc_rust::reader::ChunkReader;
use orc_rust::reader::metadata::{FileMetadata, read_metadata};
use orc_rust::schema::RootDataType;
use orc_rust::stripe::{Stripe, StripeMetadata};
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::Arc;

/// The format's name in errors and options.
pub const FORMAT: &str = "orc";

/// ORC in the format registry.
pub struct OrcFormat;

/// The registry's ORC.
pub static ORC: OrcFormat = OrcFormat;

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["orc"],
    mime_types: &["application/vnd.apache.orc"],
    magic: &[b"ORC"],
    capabilities: Capabilities {
        read: true,
        write: false,
        streaming: false,
        random_access: true,
    },
    description: "Apache ORC files: columnar, typed; read by ranges, a stripe at a time; not written",
};

/// The read options (`-o KEY=VALUE`).
static READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "columns",
        default: "",
        help: "the columns to read, comma-separated, in the order given (only they are decoded); all by default",
    },
    OptionInfo {
        key: "batch_size",
        default: "8192",
        help: "rows decoded at a time",
    },
];

/// The tail read first: the postscript, the footer and the metadata most often fit.
const TAIL: u64 = 16 * 1024;

/// The largest tail (footer and metadata) read: a hostile length is an error, not an
/// allocation of gigabytes.
const MAX_TAIL: u64 = 64 << 20;

impl FormatSpec for OrcFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    /// `ORC` then binary (a stripe's streams, or the footer of an empty file): text that
    /// starts with the three letters is not taken for it.
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        let rest = head.strip_prefix(b"ORC")?;
        let binary = rest
            .iter()
            .take(64)
            .any(|b| *b < 0x09 || (0x0e..0x20).contains(b));
        (binary || rest.is_empty()).then(|| Sniffed::with(if binary { 95 } else { 30 }))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        _max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "an ORC file is read by ranges (its tail first), not as a stream",
        )
        .with_format(FORMAT))
    }

    fn ranged_decoder(&self, options: &FormatOptions, size: u64) -> Result<Box<dyn RangeDecoder>> {
        Ok(Box::new(OrcDecoder::new(options, size)?))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "ORC is read only (orc-rust's writer writes a few flat types): convert to Parquet, which keeps every type ORC has",
        )
        .with_format(FORMAT))
    }
}

/// The ranges of a file fetched so far, as orc-rust reads a file: a read of bytes not
/// fetched fails, and says which they were.
struct Fetched {
    size: u64,
    parts: Vec<(u64, Bytes)>,
    /// The bytes a failed read wanted.
    missing: Cell<Option<Range<u64>>>,
}

impl Fetched {
    /// The bytes `start..start + length`, when one part holds them all.
    fn slice(&self, start: u64, length: u64) -> std::io::Result<Bytes> {
        let end = start.saturating_add(length);
        for (at, bytes) in &self.parts {
            if *at <= start && end <= at + bytes.len() as u64 {
                return Ok(bytes.slice((start - at) as usize..(end - at) as usize));
            }
        }
        self.missing.set(Some(start..end));
        Err(std::io::Error::other(format!(
            "bytes {start}..{end} are not fetched"
        )))
    }
}

impl ChunkReader for Fetched {
    type T = std::io::Cursor<Bytes>;

    fn len(&self) -> u64 {
        self.size
    }

    fn get_read(&self, offset: u64) -> std::io::Result<Self::T> {
        let (at, bytes) = self
            .parts
            .iter()
            .find(|(at, bytes)| *at <= offset && offset < at + bytes.len() as u64)
            .ok_or_else(|| std::io::Error::other(format!("byte {offset} is not fetched")))?;
        Ok(std::io::Cursor::new(bytes.slice((offset - at) as usize..)))
    }

    fn get_bytes(&self, offset: u64, length: u64) -> std::io::Result<Bytes> {
        self.slice(offset, length)
    }
}

/// An error of orc-rust reading a stripe.
fn broken_stripe(error: impl std::fmt::Display) -> Error {
    Error::parse(FORMAT, format!("a stripe that does not decode: {error}"))
}

/// Where an [`OrcDecoder`] stands.
enum Stage {
    /// The tail, at least these bytes of it.
    Tail(Range<u64>),
    /// The stripes, from this one on.
    Stripes(usize),
    /// Every stripe has been read, or reading failed.
    Done,
}

/// What the tail says, and what is read of it.
struct File {
    metadata: FileMetadata,
    /// The columns decoded.
    projected: RootDataType,
    /// Their Arrow schema.
    arrow_schema: SchemaRef,
    stripes: Vec<StripeMetadata>,
}

/// Reads an ORC file by ranges: see the [module](self).
pub struct OrcDecoder {
    stage: Stage,
    fetched: Fetched,
    /// Whether the ranges last asked for have been pushed.
    pushed: bool,
    file: Option<File>,
    /// The batches of the stripe being read.
    stripe: Option<NaiveStripeDecoder>,
    /// Where the stripe being read starts, and its first record.
    stripe_at: Position,
    batches: Batches,
    columns: Option<Vec<String>>,
    batch_size: usize,
}

impl std::fmt::Debug for OrcDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrcDecoder")
            .field("size", &self.fetched.size)
            .field("given", &self.batches.given)
            .finish_non_exhaustive()
    }
}

impl OrcDecoder {
    /// A decoder for a file of `size` bytes with `options` (`columns`, `batch_size`).
    pub fn new(options: &FormatOptions, size: u64) -> Result<OrcDecoder> {
        options.check(FORMAT, READ_OPTIONS)?;
        let batch_size = options
            .parsed(FORMAT, "batch_size", "a count of rows", |v| {
                v.parse::<usize>().ok().filter(|n| *n > 0)
            })?
            .unwrap_or(8192);
        Ok(OrcDecoder {
            stage: Stage::Tail(size.saturating_sub(TAIL)..size),
            fetched: Fetched {
                size,
                parts: Vec::new(),
                missing: Cell::new(None),
            },
            pushed: false,
            file: None,
            stripe: None,
            stripe_at: Position::default(),
            batches: Batches::new(FORMAT, options)?,
            columns: options.list("columns"),
            batch_size,
        })
    }

    fn malformed(&self, why: impl std::fmt::Display) -> Error {
        Error::parse(FORMAT, format!("not an ORC file: {why}"))
    }

    /// Reads the tail fetched: `Ok(None)` when it needs these bytes too.
    fn read_tail(&mut self) -> Result<Option<Range<u64>>> {
        self.fetched.missing.set(None);
        let metadata = match read_metadata(&mut self.fetched) {
            Ok(metadata) => metadata,
            Err(e) => {
                let size = self.fetched.size;
                return match self.fetched.missing.take() {
                    Some(range) if range.end <= size && range.end - range.start <= MAX_TAIL => {
                        Ok(Some(range))
                    }
                    Some(range) => Err(self.malformed(format!(
                        "its tail claims bytes {}..{} of a file of {size} (at most {} MiB read)",
                        range.start,
                        range.end,
                        MAX_TAIL >> 20
                    ))),
                    None => Err(self.malformed(e)),
                };
            }
        };
        let root = metadata.root_data_type();
        let mask = match &self.columns {
            None => ProjectionMask::all(),
            Some(names) => {
                for name in names {
                    if !root.children().iter().any(|c| c.name() == name) {
                        let known: Vec<&str> = root.children().iter().map(|c| c.name()).collect();
                        return Err(Error::new(
                            ErrorKind::InvalidRecord,
                            format!(
                                "no column {name:?} in the file (it has {})",
                                known.join(", ")
                            ),
                        )
                        .with_format(FORMAT));
                    }
                }
                ProjectionMask::named_roots(root, names)
            }
        };
        let projected = root.project(&mask);
        let user: HashMap<String, String> = metadata
            .user_custom_metadata()
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        let arrow_schema = Arc::new(projected.create_arrow_schema(&user));
        self.batches.set_schema(&arrow_schema)?;
        let stripes = metadata.stripe_metadatas().to_vec();
        for stripe in &stripes {
            self.range_of(stripe)?;
        }
        self.file = Some(File {
            metadata,
            projected,
            arrow_schema,
            stripes,
        });
        Ok(None)
    }

    /// Where `stripe` is in the file (its index, data and footer), checked against its size.
    fn range_of(&self, stripe: &StripeMetadata) -> Result<Range<u64>> {
        let end = stripe
            .footer_offset()
            .checked_add(stripe.footer_length())
            .filter(|end| *end <= self.fetched.size && stripe.offset() < *end);
        match end {
            Some(end) => Ok(stripe.offset()..end),
            None => Err(self.malformed(format!(
                "a stripe claims bytes {}.. (footer {}+{}) of a file of {}",
                stripe.offset(),
                stripe.footer_offset(),
                stripe.footer_length(),
                self.fetched.size
            ))),
        }
    }

    /// The stripe fetched, ready to be decoded a batch at a time.
    fn open_stripe(&mut self, index: usize) -> Result<()> {
        let file = self.file.as_ref().expect("read with the tail");
        let info = &file.stripes[index];
        let stripe = Stripe::new(&mut self.fetched, &file.metadata, &file.projected, info)
            .and_then(|stripe| {
                NaiveStripeDecoder::new(stripe, file.arrow_schema.clone(), self.batch_size)
            })
            .map_err(broken_stripe)?;
        self.stripe = Some(stripe);
        Ok(())
    }

    fn next_step(&mut self) -> Result<RangeStep> {
        loop {
            if let Some(record) = self.batches.next() {
                return Ok(RangeStep::Record(record));
            }
            if let Some(stripe) = &mut self.stripe {
                match stripe.next() {
                    Some(batch) => {
                        self.batches.push(batch.map_err(broken_stripe)?)?;
                        continue;
                    }
                    None => self.stripe = None,
                }
            }
            match &self.stage {
                Stage::Done => return Ok(RangeStep::End),
                Stage::Tail(range) if !self.pushed => {
                    if self.fetched.size == 0 {
                        return Err(self.malformed("it is empty"));
                    }
                    return Ok(RangeStep::Need(vec![range.clone()]));
                }
                Stage::Tail(_) => {
                    self.pushed = false;
                    match self.read_tail()? {
                        Some(more) => self.stage = Stage::Tail(more),
                        None => self.stage = Stage::Stripes(0),
                    }
                }
                &Stage::Stripes(next) => {
                    let file = self.file.as_ref().expect("read with the tail");
                    if next == file.stripes.len() {
                        self.stage = Stage::Done;
                        continue;
                    }
                    let range = self.range_of(&file.stripes[next])?;
                    if !self.pushed {
                        return Ok(RangeStep::Need(vec![range]));
                    }
                    self.pushed = false;
                    self.stripe_at = Position {
                        byte: Some(range.start),
                        record: Some(self.batches.given + 1),
                        ..Position::default()
                    };
                    self.open_stripe(next)?;
                    // Only the tail stays with the stripe ahead.
                    self.fetched.parts.truncate(1);
                    self.stage = Stage::Stripes(next + 1);
                }
            }
        }
    }

    /// Runs `work` on orc-rust; an error or a panic of it ends the reading, at the stripe
    /// being read.
    fn guarded<T>(&mut self, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let result = caught(FORMAT, "orc-rust", || work(self)).and_then(|r| r);
        if let Err(error) = &result {
            self.stage = Stage::Done;
            self.stripe = None;
            self.batches.records = None;
            if error.position().byte.is_none() && self.stripe_at.byte.is_some() {
                return result.map_err(|e| e.at(self.stripe_at));
            }
        }
        result
    }
}

impl RangeDecoder for OrcDecoder {
    fn step(&mut self) -> Result<RangeStep> {
        self.guarded(Self::next_step)
    }

    fn step_into(&mut self, out: &mut VecDeque<Record>, max: usize) -> Result<Option<RangeStep>> {
        self.guarded(|this| {
            crate::arrow::step_into_batches(this, |d| &mut d.batches, Self::next_step, out, max)
        })
    }

    fn push(&mut self, ranges: Vec<Range<u64>>, data: Vec<Bytes>) -> Result<()> {
        for (range, data) in ranges.into_iter().zip(data) {
            if data.len() as u64 != range.end - range.start {
                return Err(self.malformed(format!(
                    "bytes {}..{} asked for, {} given",
                    range.start,
                    range.end,
                    data.len()
                )));
            }
            self.fetched.parts.push((range.start, data));
        }
        self.pushed = true;
        Ok(())
    }

    fn schema(&self) -> Option<&Schema> {
        self.batches.schema.as_ref()
    }
}
