//! Avro object container files (`avro`, `.avro`, magic `Obj\x01`), read as they arrive: the
//! header (its schema and codec) and then a block at a time, each block's records decoded by
//! apache-avro; the framing and the codecs (null, deflate, snappy, zstandard, bzip2, xz, each
//! behind its codec's cargo feature; a block decompresses to 256 MiB at most) are ours.
//!
//! | Avro | [`Value`] |
//! |---|---|
//! | null, boolean, int, long, float, double | `Null`, `Bool`, `Int`, `Int`, `Float`, `Float` |
//! | bytes, fixed | `Bytes` |
//! | string, enum | `String` (an enum by its symbol) |
//! | union | the value of its branch |
//! | array, record | `Array`, `Object` |
//! | map | `Object`, its keys sorted (apache-avro keeps no order) |
//! | date | `Date` |
//! | time-millis, time-micros | `Time` |
//! | timestamp-millis, -micros, -nanos | `Timestamp` in UTC |
//! | local-timestamp-millis, -micros, -nanos | `Timestamp` without a zone |
//! | decimal (on bytes or fixed, 38 digits at most), big-decimal | `Decimal` |
//! | uuid | `String` |
//! | duration | `{"months": n, "days": n, "milliseconds": n}` |
//!
//! A file whose schema is not a record gives records of one field, `value`. Written too
//! ([`AvroEncoder`]): see [`encode`] for the schema written and how values fit it.
//!
//! Reading: A block whose data
//! does not decode (its codec, a record in it, records claimed that it cannot hold) is a
//! recoverable error naming its byte offset and the record, and reading goes on with the next
//! block; a header that does not read, a block longer than the record size limit, a sync
//! marker not the header's, and input cut short end the read. Refused at the header, since
//! apache-avro would decode them without bound: recursive types (not read yet), schemas
//! nested deeper than 128 or of more than 10,000 types, arrays of a type of no bytes.
//! apache-avro refuses any string, bytes or collection over 64 MiB (a limit it keeps for the
//! whole process). A big-decimal past what a `Decimal` holds is kept as its text.

use crate::compression::CodecKind;
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use apache_avro::schema::{NamesRef, ResolvedSchema, Schema};
use apache_avro::types::Value as AvroValue;
use bytes::{Buf, Bytes, BytesMut};
use iterable_core::{
    Capabilities, DataType, Date, Decimal, Decoder, Encoder, Error, ErrorKind, Field, FieldsCache,
    FormatInfo, Position, Record, Result, Schema as RecordSchema, Time, TimeUnit, Timestamp, Value,
};
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

pub mod encode;
pub use encode::AvroEncoder;

/// The format's name in errors and options.
pub const FORMAT: &str = "avro";

/// Avro in the format registry.
pub struct AvroFormat;

/// The registry's Avro.
pub static AVRO: AvroFormat = AvroFormat;

/// The bytes an object container file starts with.
const MAGIC: &[u8] = b"Obj\x01";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["avro"],
    mime_types: &["application/avro", "avro/binary"],
    magic: &[MAGIC],
    capabilities: Capabilities {
        read: true,
        write: true,
        streaming: true,
        random_access: false,
    },
    description: "Avro object container files: the file's schema, records typed",
};

/// What [`AvroEncoder`] takes.
static WRITE_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "codec",
        default: "deflate",
        help: "the blocks' codec: null, deflate, snappy, zstandard, bzip2, xz; a level in brackets: deflate(9)",
    },
    OptionInfo {
        key: "schema",
        default: "",
        help: "the Avro schema to write, as its JSON (the command reads -O schema=@FILE.avsc); by default the records' types",
    },
    OptionInfo {
        key: "infer_rows",
        default: "10000",
        help: "without a schema given, how many records the schema is inferred from",
    },
];

/// The largest string, bytes or collection apache-avro allocates for a value.
const MAX_ALLOCATION: usize = 64 << 20;

/// How much a block may decompress to at most.
const MAX_BLOCK: usize = 256 << 20;

/// How many records a block may claim beyond one a byte (records of no bytes, of type
/// `null` or an empty record, are all a hostile block needs to claim billions).
const MAX_EMPTY_RECORDS: u64 = 1 << 16;

/// The schema of a container file's header (from the Avro specification).
const HEADER_SCHEMA: &str = r#"{"type": "record", "name": "org.apache.avro.file.Header",
  "fields": [{"name": "magic", "type": {"type": "fixed", "name": "Magic", "size": 4}},
             {"name": "meta", "type": {"type": "map", "values": "bytes"}},
             {"name": "sync", "type": {"type": "fixed", "name": "Sync", "size": 16}}]}"#;

impl FormatSpec for AvroFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        head.starts_with(MAGIC).then(|| Sniffed::with(100))
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        options.check(FORMAT, &[])?;
        Ok(Box::new(AvroDecoder::new(max_record_size)))
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(AvroEncoder::new(options)?))
    }
}

/// A block being read: its data decompressed, and what is left of it.
struct Block {
    data: Vec<u8>,
    pos: usize,
    /// Records left to decode.
    left: u64,
    /// Records of no bytes in a row so far.
    empty: u64,
    /// The block's byte offset and first record.
    position: Position,
    /// Records decoded so far.
    index: u64,
}

/// How many records are decoded into `ready` at a time.
const RECORDS_AT_A_TIME: usize = 1024;

/// A block's bytes for apache-avro, which reads some values cut short as nulls: a read past
/// the end is noted.
struct Bounded<'a> {
    rest: &'a [u8],
    past_end: bool,
}

impl std::io::Read for Bounded<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.len() > self.rest.len() {
            self.past_end = true;
        }
        let n = out.len().min(self.rest.len());
        out[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

/// What the header says.
struct Header {
    schema: Schema,
    codec: Codec,
    sync: [u8; 16],
    /// The records' schema, when every type of the file's has one here.
    records: Option<RecordSchema>,
}

/// A block's codec.
#[derive(Debug, Clone, Copy)]
enum Codec {
    Null,
    /// Snappy blocks, each with the CRC-32 of its data.
    Snappy,
    /// Raw deflate, which may be followed by bytes of no meaning (fastavro leaves three of
    /// zlib's checksum).
    Deflate,
    /// One of the stream codecs.
    Stream(CodecKind),
}

impl Codec {
    /// The codec a header names (`avro.codec`).
    fn named(name: &str) -> Option<Codec> {
        Some(match name {
            "null" => Codec::Null,
            "snappy" => Codec::Snappy,
            "deflate" => Codec::Deflate,
            "zstandard" => Codec::Stream(CodecKind::Zstd),
            "bzip2" => Codec::Stream(CodecKind::Bzip2),
            "xz" => Codec::Stream(CodecKind::Xz),
            _ => return None,
        })
    }

    /// Its name in a header.
    fn name(self) -> &'static str {
        match self {
            Codec::Null => "null",
            Codec::Snappy => "snappy",
            Codec::Deflate => "deflate",
            Codec::Stream(CodecKind::Zstd) => "zstandard",
            Codec::Stream(CodecKind::Bzip2) => "bzip2",
            Codec::Stream(_) => "xz",
        }
    }
}

/// The schema of a container file's header, parsed.
fn header_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::parse_str(HEADER_SCHEMA).expect("valid"))
}

/// Decodes an Avro object container file: see the [module](self).
pub struct AvroDecoder {
    max_record_size: usize,
    header: Option<Header>,
    /// Bytes taken off the input so far.
    consumed: u64,
    /// Records the blocks taken so far claim.
    records: u64,
    /// The header is read again once the buffer holds this many bytes.
    retry_at: usize,
    failed: bool,
    /// The block being read, decompressed.
    block: Option<Block>,
    /// Records (or a block's error) decoded and not yet taken.
    ready: VecDeque<Result<Record>>,
    names: FieldsCache,
    utc: Arc<str>,
}

impl std::fmt::Debug for AvroDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroDecoder")
            .field("consumed", &self.consumed)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl AvroDecoder {
    /// A decoder refusing headers and blocks longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> AvroDecoder {
        apache_avro::util::max_allocation_bytes(MAX_ALLOCATION);
        AvroDecoder {
            max_record_size: max_record_size.max(64),
            header: None,
            consumed: 0,
            records: 0,
            retry_at: 0,
            failed: false,
            block: None,
            ready: VecDeque::new(),
            names: FieldsCache::default(),
            utc: Arc::from("UTC"),
        }
    }

    fn position(&self) -> Position {
        Position {
            byte: Some(self.consumed),
            record: Some(self.records + 1),
            ..Position::default()
        }
    }

    fn fatal(&mut self, buf: &mut BytesMut, kind: ErrorKind, message: String) -> Error {
        self.failed = true;
        buf.clear();
        Error::new(kind, message)
            .with_format(FORMAT)
            .at(self.position())
    }

    /// Reads the header at the front of `buf`; `Ok(false)` when more input is needed.
    fn header(&mut self, buf: &mut BytesMut, eof: bool) -> Result<bool> {
        if !MAGIC.starts_with(&buf[..buf.len().min(MAGIC.len())]) {
            let message = "not an Avro object container file (no `Obj\\x01`)".to_owned();
            return Err(self.fatal(buf, ErrorKind::Parse, message));
        }
        let schema = header_schema();
        let mut rest = &buf[..buf.len().min(self.max_record_size)];
        let parsed = apache_avro::reader::datum::GenericDatumReader::builder(schema)
            .build()
            .and_then(|reader| reader.read_value(&mut rest));
        let header = match parsed {
            Ok(value) => value,
            Err(_) if !eof && buf.len() < self.max_record_size => {
                self.retry_at = buf.len().saturating_mul(2).min(self.max_record_size);
                return Ok(false);
            }
            Err(_) if buf.len() >= self.max_record_size => {
                let message = format!(
                    "a header longer than the maximum record size of {} bytes",
                    self.max_record_size
                );
                return Err(self.fatal(buf, ErrorKind::LimitExceeded, message));
            }
            Err(e) => {
                let message = format!("a header that does not read: {e}");
                return Err(self.fatal(buf, ErrorKind::Parse, message));
            }
        };
        let used = buf.len().min(self.max_record_size) - rest.len();
        let header = read_header(header).map_err(|why| self.fatal(buf, ErrorKind::Parse, why))?;
        self.header = Some(header);
        self.retry_at = 0;
        self.consumed += used as u64;
        buf.advance(used);
        Ok(true)
    }

    /// Reads the block at the front of `buf` into `ready`; `Ok(false)` when more input is
    /// needed.
    fn block(&mut self, buf: &mut BytesMut, eof: bool) -> Result<bool> {
        let (count, size, start) = match (varint(buf, 0), eof) {
            (Some(Ok((count, at))), _) => match varint(buf, at) {
                Some(Ok((size, start))) => (count, size, start),
                Some(Err(())) => return Err(self.broken_framing(buf)),
                None if eof => return Err(self.cut_short(buf)),
                None => return Ok(false),
            },
            (Some(Err(())), _) => return Err(self.broken_framing(buf)),
            (None, true) => return Err(self.cut_short(buf)),
            (None, false) => return Ok(false),
        };
        let (Ok(count), Ok(size)) = (u64::try_from(count), usize::try_from(size)) else {
            return Err(self.broken_framing(buf));
        };
        if size > self.max_record_size {
            let message = format!(
                "a block of {size} bytes, longer than the maximum record size of {} bytes",
                self.max_record_size
            );
            return Err(self.fatal(buf, ErrorKind::LimitExceeded, message));
        }
        let Some(end) = start.checked_add(size).and_then(|end| end.checked_add(16)) else {
            return Err(self.broken_framing(buf));
        };
        if buf.len() < end {
            if eof {
                return Err(self.cut_short(buf));
            }
            buf.reserve((end - buf.len()).min(1 << 20));
            return Ok(false);
        }
        let header = self.header.as_ref().expect("read");
        if buf[start + size..end] != header.sync {
            let message = "a block whose sync marker is not the header's".to_owned();
            return Err(self.fatal(buf, ErrorKind::Parse, message));
        }
        let position = self.position();
        let data = decompress(header.codec, &buf[start..start + size]).and_then(|data| {
            // Each record takes a byte at least, but for a few of no bytes.
            if count > (data.len() as u64).saturating_add(MAX_EMPTY_RECORDS) {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!("a block of {} bytes claiming {count} records", data.len()),
                ));
            }
            Ok(data.into_owned())
        });
        match data {
            Ok(data) => {
                self.block = Some(Block {
                    data,
                    pos: 0,
                    left: count,
                    empty: 0,
                    position,
                    index: 0,
                })
            }
            Err(e) => self
                .ready
                .push_back(Err(e.with_format(FORMAT).at(position).recoverable())),
        }
        self.records += count;
        self.consumed += end as u64;
        buf.advance(end);
        Ok(true)
    }

    fn broken_framing(&mut self, buf: &mut BytesMut) -> Error {
        let message = "a block's count or size that does not read".to_owned();
        self.fatal(buf, ErrorKind::Parse, message)
    }

    fn cut_short(&mut self, buf: &mut BytesMut) -> Error {
        let message = "the input is cut short in a block".to_owned();
        self.fatal(buf, ErrorKind::Parse, message)
    }

    /// Decodes the next records of the block being read (a batch of them at most) into
    /// `ready`; a record that does not decode ends the block with its error.
    fn refill(&mut self) {
        let (Some(mut block), Some(header)) = (self.block.take(), self.header.take()) else {
            return;
        };
        let outcome = self.decode_some(&header, &mut block);
        self.header = Some(header);
        match outcome {
            Ok(()) if block.left > 0 => self.block = Some(block),
            Ok(()) => {}
            Err(e) => {
                let position = Position {
                    record: block.position.record.map(|first| first + block.index),
                    ..block.position
                };
                self.ready
                    .push_back(Err(e.with_format(FORMAT).at(position).recoverable()));
            }
        }
    }

    fn decode_some(&mut self, header: &Header, block: &mut Block) -> Result<()> {
        let resolved = ResolvedSchema::try_from(&header.schema).map_err(avro_error)?;
        let reader = apache_avro::reader::datum::GenericDatumReader::builder(&header.schema)
            .build()
            .map_err(avro_error)?;
        for _ in 0..RECORDS_AT_A_TIME {
            if block.left == 0 {
                break;
            }
            let mut input = Bounded {
                rest: &block.data[block.pos..],
                past_end: false,
            };
            let value = reader.read_value(&mut input).map_err(avro_error)?;
            if input.past_end {
                return Err(Error::new(
                    ErrorKind::Parse,
                    "a record cut short by its block's end",
                ));
            }
            let used = block.data.len() - block.pos - input.rest.len();
            block.empty = if used == 0 { block.empty + 1 } else { 0 };
            if block.empty > MAX_EMPTY_RECORDS {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!("more than {MAX_EMPTY_RECORDS} records of no bytes in a row"),
                ));
            }
            let mut place = 0;
            let value = self.value(value, &header.schema, resolved.get_names(), &mut place)?;
            self.ready.push_back(Ok(match value {
                Value::Object(record) if matches!(header.schema, Schema::Record(_)) => *record,
                value => [("value", value)].into_iter().collect(),
            }));
            block.pos += used;
            block.left -= 1;
            block.index += 1;
        }
        if block.left == 0 && block.pos != block.data.len() {
            return Err(Error::new(
                ErrorKind::Parse,
                format!(
                    "{} bytes left in a block after its records",
                    block.data.len() - block.pos
                ),
            ));
        }
        Ok(())
    }

    /// A value of `schema` as a [`Value`]: see the [module](self).
    fn value(
        &mut self,
        value: AvroValue,
        schema: &Schema,
        names: &NamesRef<'_>,
        place: &mut usize,
    ) -> Result<Value> {
        let schema = match schema {
            Schema::Ref { name } => *names.get(name).ok_or_else(|| {
                Error::new(ErrorKind::Parse, format!("the schema names no type {name}"))
            })?,
            schema => schema,
        };
        let micros = |value| Timestamp::new(value, TimeUnit::Microsecond, Some(self.utc.clone()));
        Ok(match value {
            // apache-avro gives null for some values cut short: only a null type has them.
            AvroValue::Null if !matches!(schema, Schema::Null) => return Err(mismatch(schema)),
            AvroValue::Null => Value::Null,
            AvroValue::Boolean(b) => Value::Bool(b),
            AvroValue::Int(n) => Value::Int(i64::from(n)),
            AvroValue::Long(n) => Value::Int(n),
            AvroValue::Float(f) => Value::Float(f64::from(f)),
            AvroValue::Double(f) => Value::Float(f),
            AvroValue::Bytes(b) | AvroValue::Fixed(_, b) => Value::Bytes(Bytes::from(b)),
            AvroValue::String(s) | AvroValue::Enum(_, s) => Value::from(s),
            AvroValue::Uuid(u) => Value::from(u.to_string()),
            AvroValue::Union(branch, inner) => {
                let Schema::Union(union) = schema else {
                    return Err(mismatch(schema));
                };
                let branch = union
                    .variants()
                    .get(branch as usize)
                    .ok_or_else(|| mismatch(schema))?;
                self.value(*inner, branch, names, place)?
            }
            AvroValue::Array(items) => {
                let Schema::Array(array) = schema else {
                    return Err(mismatch(schema));
                };
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.value(item, &array.items, names, place)?);
                }
                Value::Array(values)
            }
            AvroValue::Map(entries) => {
                let Schema::Map(map) = schema else {
                    return Err(mismatch(schema));
                };
                let mut entries: Vec<_> = entries.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let mut values = Vec::with_capacity(entries.len());
                for (key, item) in entries {
                    values.push((key, self.value(item, &map.types, names, place)?));
                }
                Value::Object(Box::new(values.into_iter().collect()))
            }
            AvroValue::Record(fields) => {
                let Schema::Record(record_schema) = schema else {
                    return Err(mismatch(schema));
                };
                let here = *place;
                *place += 1;
                let mut values = Vec::with_capacity(fields.len());
                let mut keys = Vec::with_capacity(fields.len());
                for ((name, item), field) in fields.into_iter().zip(&record_schema.fields) {
                    values.push(self.value(item, &field.schema, names, place)?);
                    keys.push(name);
                }
                let fields = self.names.fields(here, keys.iter().map(String::as_str));
                Value::Object(Box::new(Record::with_fields(fields, values)?))
            }
            AvroValue::Date(days) => Value::Date(Date::from_days(days)),
            AvroValue::TimeMillis(ms) => {
                Value::Time(Time::new(i64::from(ms), TimeUnit::Millisecond))
            }
            AvroValue::TimeMicros(us) => Value::Time(Time::new(us, TimeUnit::Microsecond)),
            AvroValue::TimestampMillis(v) => Value::Timestamp(Timestamp::new(
                v,
                TimeUnit::Millisecond,
                Some(self.utc.clone()),
            )),
            AvroValue::TimestampMicros(v) => Value::Timestamp(micros(v)),
            AvroValue::TimestampNanos(v) => Value::Timestamp(Timestamp::new(
                v,
                TimeUnit::Nanosecond,
                Some(self.utc.clone()),
            )),
            AvroValue::LocalTimestampMillis(v) => {
                Value::Timestamp(Timestamp::new(v, TimeUnit::Millisecond, None))
            }
            AvroValue::LocalTimestampMicros(v) => {
                Value::Timestamp(Timestamp::new(v, TimeUnit::Microsecond, None))
            }
            AvroValue::LocalTimestampNanos(v) => {
                Value::Timestamp(Timestamp::new(v, TimeUnit::Nanosecond, None))
            }
            AvroValue::Decimal(decimal) => {
                let Schema::Decimal(decimal_schema) = schema else {
                    return Err(mismatch(schema));
                };
                let bytes = Vec::<u8>::try_from(&decimal).map_err(avro_error)?;
                decimal_value(&bytes, decimal_schema.precision, decimal_schema.scale).ok_or_else(
                    || {
                        Error::new(
                            ErrorKind::InvalidRecord,
                            format!(
                                "a decimal of precision {} and scale {}, beyond 38 digits",
                                decimal_schema.precision, decimal_schema.scale
                            ),
                        )
                    },
                )?
            }
            AvroValue::BigDecimal(decimal) => {
                let text = decimal.to_string();
                crate::bson::decimal(&text).unwrap_or_else(|| Value::from(text))
            }
            AvroValue::Duration(d) => Value::Object(Box::new(
                [
                    ("months", Value::Int(i64::from(u32::from(d.months())))),
                    ("days", Value::Int(i64::from(u32::from(d.days())))),
                    ("milliseconds", Value::Int(i64::from(u32::from(d.millis())))),
                ]
                .into_iter()
                .collect(),
            )),
        })
    }
}

/// The schema, codec and sync marker of a header as apache-avro read it.
fn read_header(header: AvroValue) -> std::result::Result<Header, String> {
    let AvroValue::Record(fields) = header else {
        return Err("a header that is not a record".into());
    };
    let mut meta = None;
    let mut sync = None;
    for (name, value) in fields {
        match (name.as_str(), value) {
            ("meta", AvroValue::Map(map)) => meta = Some(map),
            ("sync", AvroValue::Fixed(16, bytes)) => sync = bytes.try_into().ok(),
            _ => {}
        }
    }
    let (Some(meta), Some(sync)) = (meta, sync) else {
        return Err("a header without its metadata or sync marker".into());
    };
    let text = |key: &str| match meta.get(key) {
        Some(AvroValue::Bytes(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    };
    let schema = text("avro.schema").ok_or("a header without `avro.schema`")?;
    let schema = Schema::parse_str(&schema).map_err(|e| format!("the file's schema: {e}"))?;
    let codec = text("avro.codec").unwrap_or_else(|| "null".into());
    let codec = Codec::named(&codec)
        .ok_or_else(|| format!("the codec {codec:?}, which Avro does not define"))?;
    check_schema(&schema)?;
    if let Codec::Stream(kind) = codec
        && !kind.is_built()
    {
        return Err(format!(
            "an Avro file in {} blocks, and this build has no {} (cargo feature `{}`)",
            kind.name(),
            kind.name(),
            kind.feature()
        ));
    }
    let records = records_schema(&schema);
    Ok(Header {
        schema,
        codec,
        sync,
        records,
    })
}

/// How deep a schema's types may nest, and how many types it may expand to.
const MAX_SCHEMA_DEPTH: usize = 128;
const MAX_SCHEMA_TYPES: usize = 10_000;

/// Refuses what apache-avro would decode with no bound: a recursive type (its values nest
/// as deep as the data says, and apache-avro recurses), types nested deeper than
/// [`MAX_SCHEMA_DEPTH`] or expanding to more than [`MAX_SCHEMA_TYPES`], an array of a type
/// of no bytes (a million of them from two bytes).
fn check_schema(schema: &Schema) -> std::result::Result<(), String> {
    let resolved =
        ResolvedSchema::try_from(schema).map_err(|e| format!("the file's schema: {e}"))?;
    let names = resolved.get_names();
    let mut types = 0;
    let mut open = Vec::new();
    walk_schema(schema, names, 0, &mut types, &mut open).map(drop)
}

/// Checks `schema` (see [`check_schema`]) and gives whether its values take no bytes.
fn walk_schema<'s>(
    schema: &'s Schema,
    names: &NamesRef<'s>,
    depth: usize,
    types: &mut usize,
    open: &mut Vec<&'s apache_avro::schema::Name>,
) -> std::result::Result<bool, String> {
    *types += 1;
    if depth > MAX_SCHEMA_DEPTH || *types > MAX_SCHEMA_TYPES {
        return Err(format!(
            "a schema nested deeper than {MAX_SCHEMA_DEPTH} or of more than {MAX_SCHEMA_TYPES} types"
        ));
    }
    let mut child =
        |schema: &'s Schema, open: &mut Vec<_>| walk_schema(schema, names, depth + 1, types, open);
    Ok(match schema {
        Schema::Ref { name } => {
            if open.contains(&name) {
                return Err(format!("the recursive type {name}, which is not read yet"));
            }
            let target = names
                .get(name)
                .ok_or_else(|| format!("no type {name} in the schema"))?;
            open.push(name);
            let empty = child(target, open)?;
            open.pop();
            empty
        }
        Schema::Record(record) => {
            open.push(&record.name);
            let mut empty = true;
            for field in &record.fields {
                empty &= child(&field.schema, open)?;
            }
            open.pop();
            empty
        }
        Schema::Array(array) => {
            if child(&array.items, open)? {
                return Err("an array of a type whose values take no bytes".into());
            }
            false
        }
        Schema::Map(map) => {
            child(&map.types, open)?;
            false
        }
        Schema::Union(union) => {
            for variant in union.variants() {
                child(variant, open)?;
            }
            false
        }
        Schema::Null => true,
        Schema::Fixed(fixed) => fixed.size == 0,
        Schema::Decimal(decimal) => match &decimal.inner {
            apache_avro::schema::InnerDecimalSchema::Fixed(fixed) => fixed.size == 0,
            _ => false,
        },
        _ => false,
    })
}

/// A block's data, decompressed (to [`MAX_BLOCK`] bytes at most).
fn decompress(codec: Codec, data: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>> {
    let too_large = || {
        Error::new(
            ErrorKind::LimitExceeded,
            format!("a block that decompresses to more than {MAX_BLOCK} bytes"),
        )
    };
    match codec {
        Codec::Null => Ok(std::borrow::Cow::Borrowed(data)),
        Codec::Snappy => snappy(data, too_large),
        Codec::Deflate => inflate(data, too_large),
        Codec::Stream(kind) => {
            let out = through(kind.decompressor()?, data, MAX_BLOCK).ok_or_else(too_large)??;
            Ok(std::borrow::Cow::Owned(out))
        }
    }
}

/// `data` run through `codec` whole (a block compressed or decompressed); `None` when the
/// output passes `max` bytes. A codec that takes nothing and gives nothing ends the input.
fn through(
    mut codec: Box<dyn iterable_core::Codec>,
    data: &[u8],
    max: usize,
) -> Option<Result<Vec<u8>>> {
    let mut out = BytesMut::new();
    let mut input = data;
    while !input.is_empty() {
        let before = out.len();
        let used = match codec.process(input, &mut out) {
            Ok(used) => used,
            Err(e) => return Some(Err(e)),
        };
        if out.len() > max {
            return None;
        }
        if used == 0 && out.len() == before {
            break;
        }
        input = &input[used..];
    }
    if let Err(e) = codec.finish(&mut out) {
        return Some(Err(e));
    }
    (out.len() <= max).then(|| Ok(Vec::from(out)))
}

#[cfg(feature = "gzip")]
fn inflate(data: &[u8], too_large: impl Fn() -> Error) -> Result<std::borrow::Cow<'_, [u8]>> {
    let mut inflater = flate2::Decompress::new(false);
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(MAX_BLOCK));
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.len().max(64 * 1024));
        }
        let (read, written) = (inflater.total_in(), inflater.total_out());
        let input = &data[read as usize..];
        let status = inflater
            .decompress_vec(input, &mut out, flate2::FlushDecompress::None)
            .map_err(|e| Error::new(ErrorKind::Parse, format!("a deflate block: {e}")))?;
        if out.len() > MAX_BLOCK {
            return Err(too_large());
        }
        match status {
            flate2::Status::StreamEnd => return Ok(std::borrow::Cow::Owned(out)),
            _ if inflater.total_in() == read && inflater.total_out() == written => {
                return Err(Error::new(ErrorKind::Parse, "a deflate block cut short"));
            }
            _ => {}
        }
    }
}

#[cfg(not(feature = "gzip"))]
fn inflate(_data: &[u8], _too_large: impl Fn() -> Error) -> Result<std::borrow::Cow<'_, [u8]>> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "an Avro file in deflate blocks, and this build has no deflate (cargo feature `gzip`)",
    ))
}

#[cfg(feature = "snappy")]
fn snappy(data: &[u8], too_large: impl Fn() -> Error) -> Result<std::borrow::Cow<'_, [u8]>> {
    let bad = |why: String| Error::new(ErrorKind::Parse, format!("a snappy block {why}"));
    let (compressed, crc) = data
        .split_at_checked(data.len().saturating_sub(4))
        .filter(|(_, crc)| crc.len() == 4)
        .ok_or_else(|| bad("without its CRC".into()))?;
    let len = snap::raw::decompress_len(compressed).map_err(|e| bad(e.to_string()))?;
    if len > MAX_BLOCK {
        return Err(too_large());
    }
    let out = snap::raw::Decoder::new()
        .decompress_vec(compressed)
        .map_err(|e| bad(e.to_string()))?;
    let mut hasher = flate2::Crc::new();
    hasher.update(&out);
    if hasher.sum().to_be_bytes() != crc {
        return Err(bad("whose CRC does not match".into()));
    }
    Ok(std::borrow::Cow::Owned(out))
}

#[cfg(not(feature = "snappy"))]
fn snappy(_data: &[u8], _too_large: impl Fn() -> Error) -> Result<std::borrow::Cow<'_, [u8]>> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "an Avro file in snappy blocks, and this build has no snappy (cargo feature `snappy`)",
    ))
}

/// A decimal of a two's-complement big-endian unscaled value, when it fits 38 digits.
fn decimal_value(bytes: &[u8], precision: usize, scale: usize) -> Option<Value> {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    // Bytes that only extend the sign (a wide fixed) carry no digits.
    let sign = if negative { 0xff } else { 0 };
    let start = bytes
        .windows(2)
        .take_while(|pair| pair[0] == sign && (pair[1] & 0x80 != 0) == negative)
        .count();
    let bytes = &bytes[start..];
    if bytes.len() > 16 || precision > 38 || scale > precision {
        return None;
    }
    let mut be = [if negative { 0xff } else { 0 }; 16];
    be[16 - bytes.len()..].copy_from_slice(bytes);
    let unscaled = i128::from_be_bytes(be);
    Some(Value::Decimal(Decimal::new(
        unscaled,
        precision as u8,
        scale as i8,
    )))
}

/// A zigzag varint long at `at` in `data`: the value and where it ends; `None` when cut off.
fn varint(data: &[u8], at: usize) -> Option<std::result::Result<(i64, usize), ()>> {
    let mut value: u64 = 0;
    for (i, byte) in data.get(at..)?.iter().enumerate() {
        if i >= 10 {
            return Some(Err(()));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let decoded = (value >> 1) as i64 ^ -((value & 1) as i64);
            return Some(Ok((decoded, at + i + 1)));
        }
    }
    None
}

fn avro_error(e: apache_avro::Error) -> Error {
    Error::new(
        ErrorKind::Parse,
        format!("a record that does not decode: {e}"),
    )
}

fn mismatch(schema: &Schema) -> Error {
    Error::new(
        ErrorKind::Parse,
        format!("a value that does not match its schema ({schema:?})"),
    )
}

impl Decoder for AvroDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true)
    }

    fn schema(&self) -> Option<&RecordSchema> {
        self.header.as_ref()?.records.as_ref()
    }
}

/// The records' schema of a file's: `None` when one of its types has no [`DataType`] (a union
/// of several types but null, a big-decimal, a decimal past 38 digits, a recursive type).
fn records_schema(schema: &Schema) -> Option<RecordSchema> {
    let resolved = ResolvedSchema::try_from(schema).ok()?;
    let names = resolved.get_names();
    let fields = match schema {
        Schema::Record(record) => record
            .fields
            .iter()
            .map(|field| field_of(&field.name, &field.schema, names, 0))
            .collect::<Option<Vec<_>>>()?,
        other => vec![field_of("value", other, names, 0)?],
    };
    Some(RecordSchema::new(fields))
}

/// A field of Avro type `schema`; `depth` keeps a recursive type from recursing forever.
fn field_of(name: &str, schema: &Schema, names: &NamesRef<'_>, depth: usize) -> Option<Field> {
    if depth > 64 {
        return None;
    }
    let child = |name: &str, schema: &Schema| field_of(name, schema, names, depth + 1);
    let utc = || Some(Arc::from("UTC"));
    let data_type = match schema {
        Schema::Ref { name: reference } => {
            return field_of(name, names.get(reference)?, names, depth + 1);
        }
        Schema::Union(union) => {
            let variants = union.variants();
            let others: Vec<&Schema> = variants
                .iter()
                .filter(|v| !matches!(v, Schema::Null))
                .collect();
            let nullable = others.len() < variants.len();
            return match others[..] {
                [only] => {
                    let field = child(name, only)?;
                    Some(if nullable { field.nullable() } else { field })
                }
                [] => Some(Field::new(name, DataType::Null).nullable()),
                _ => None,
            };
        }
        Schema::Null => DataType::Null,
        Schema::Boolean => DataType::Bool,
        Schema::Int => DataType::Int32,
        Schema::Long => DataType::Int64,
        Schema::Float => DataType::Float32,
        Schema::Double => DataType::Float64,
        Schema::Bytes | Schema::Fixed(_) => DataType::Binary,
        Schema::String | Schema::Enum(_) | Schema::Uuid(_) => DataType::String,
        Schema::Array(array) => DataType::List(Box::new(child("item", &array.items)?)),
        Schema::Map(map) => DataType::Map(
            Box::new(Field::new("key", DataType::String)),
            Box::new(child("value", &map.types)?),
        ),
        Schema::Record(record) => DataType::Struct(
            record
                .fields
                .iter()
                .map(|field| child(&field.name, &field.schema))
                .collect::<Option<Vec<_>>>()?,
        ),
        Schema::Date => DataType::Date,
        Schema::TimeMillis => DataType::Time(TimeUnit::Millisecond),
        Schema::TimeMicros => DataType::Time(TimeUnit::Microsecond),
        Schema::TimestampMillis => DataType::Timestamp(TimeUnit::Millisecond, utc()),
        Schema::TimestampMicros => DataType::Timestamp(TimeUnit::Microsecond, utc()),
        Schema::TimestampNanos => DataType::Timestamp(TimeUnit::Nanosecond, utc()),
        Schema::LocalTimestampMillis => DataType::Timestamp(TimeUnit::Millisecond, None),
        Schema::LocalTimestampMicros => DataType::Timestamp(TimeUnit::Microsecond, None),
        Schema::LocalTimestampNanos => DataType::Timestamp(TimeUnit::Nanosecond, None),
        Schema::Decimal(decimal)
            if decimal.precision <= 38 && decimal.scale <= decimal.precision =>
        {
            DataType::Decimal {
                precision: decimal.precision as u8,
                scale: decimal.scale as i8,
            }
        }
        Schema::Duration(_) => DataType::Struct(vec![
            Field::new("months", DataType::Int64),
            Field::new("days", DataType::Int64),
            Field::new("milliseconds", DataType::Int64),
        ]),
        Schema::Decimal(_) | Schema::BigDecimal => return None,
    };
    Some(Field::new(name, data_type))
}

impl AvroDecoder {
    fn next(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return ready.map(Some);
            }
            if self.block.is_some() {
                self.refill();
                continue;
            }
            if self.failed || (!eof && buf.len() < self.retry_at) {
                return Ok(None);
            }
            if self.header.is_none() {
                if buf.is_empty() && eof && self.consumed == 0 {
                    return Ok(None);
                }
                if !self.header(buf, eof)? {
                    return Ok(None);
                }
                continue;
            }
            if buf.is_empty() {
                return Ok(None);
            }
            if !self.block(buf, eof)? {
                return Ok(None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::decode_all;

    #[test]
    fn varints_read_as_avro_writes_them() {
        assert_eq!(varint(b"\x00", 0), Some(Ok((0, 1))));
        assert_eq!(varint(b"\x01", 0), Some(Ok((-1, 1))));
        assert_eq!(varint(b"\x02", 0), Some(Ok((1, 1))));
        assert_eq!(varint(b"\xac\x02", 0), Some(Ok((150, 2))));
        assert_eq!(varint(b"\xac", 0), None);
        assert_eq!(varint(&[0xff; 11], 0), Some(Err(())));
        assert_eq!(
            varint(b"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 0),
            Some(Ok((i64::MAX, 10)))
        );
    }

    #[test]
    fn decimals_of_every_sign_and_width() {
        let text = |bytes: &[u8], precision, scale| {
            decimal_value(bytes, precision, scale).map(|v| v.typed_text().unwrap())
        };
        assert_eq!(text(b"\xfe\x1d\xc6", 10, 3).as_deref(), Some("-123.450"));
        assert_eq!(text(b"\x01\xe2\x3a", 10, 3).as_deref(), Some("123.450"));
        assert_eq!(text(b"", 4, 2).as_deref(), Some("0.00"));
        assert_eq!(text(&[1; 17], 38, 0), None);
        // A fixed of 20 bytes: its sign bytes carry no digits.
        let mut wide = vec![0xff; 17];
        wide.extend_from_slice(b"\xfe\x1d\xc6");
        assert_eq!(text(&wide, 38, 3).as_deref(), Some("-123.450"));
        assert_eq!(text(b"\x01", 40, 0), None);
    }

    #[test]
    fn schemas_decoded_without_bound_are_refused_and_others_mapped() {
        let parse = |json: &str| Schema::parse_str(json).unwrap();
        let recursive =
            parse(r#"{"type":"record","name":"L","fields":[{"name":"n","type":["null","L"]}]}"#);
        assert!(check_schema(&recursive).unwrap_err().contains("recursive"));
        let nulls = parse(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"null"}}]}"#,
        );
        assert!(check_schema(&nulls).unwrap_err().contains("no bytes"));
        let fine = parse(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":["string"]},{"name":"b","type":["null","long"]}]}"#,
        );
        assert!(check_schema(&fine).is_ok());
        let schema = records_schema(&fine).unwrap();
        assert!(!schema.field("a").unwrap().nullable);
        assert!(schema.field("b").unwrap().nullable);
        assert_eq!(schema.field("b").unwrap().data_type, DataType::Int64);
    }

    #[test]
    fn a_record_cut_short_by_its_block_is_an_error_not_nulls() {
        // Schema {"a": string}; a block of one record whose string claims 5 bytes and has 1.
        let mut input = b"Obj\x01\x02\x16avro.schema".to_vec();
        let schema = br#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#;
        let mut len = schema.len() as u64 * 2;
        while len >= 0x80 {
            input.push((len as u8) | 0x80);
            len >>= 7;
        }
        input.push(len as u8);
        input.extend_from_slice(schema);
        input.push(0);
        input.extend_from_slice(&[7; 16]);
        input.extend_from_slice(b"\x02\x04\x0ax");
        input.extend_from_slice(&[7; 16]);
        let got = decode_all(AvroDecoder::new(1 << 20), &input);
        let error = got[0].as_ref().unwrap_err();
        assert!(error.is_recoverable(), "{error}");
        assert_eq!(error.position().record, Some(1));
    }

    #[test]
    fn what_is_not_an_avro_file_ends_the_read() {
        let got = decode_all(AvroDecoder::new(1 << 20), b"PAR1 and more");
        assert_eq!(got.len(), 1);
        let error = got[0].as_ref().unwrap_err();
        assert!(
            !error.is_recoverable() && error.to_string().contains("not an Avro"),
            "{error}"
        );
        // A header cut short, and a header whose schema does not parse.
        let got = decode_all(AvroDecoder::new(1 << 20), b"Obj\x01\x02");
        assert!(got[0].as_ref().unwrap_err().to_string().contains("header"));
        let mut bad = b"Obj\x01\x02\x16avro.schema\x08oops\x00".to_vec();
        bad.extend_from_slice(&[7; 16]);
        let got = decode_all(AvroDecoder::new(1 << 20), &bad);
        assert!(
            got[0].as_ref().unwrap_err().to_string().contains("schema"),
            "{:?}",
            got[0]
        );
        // A block claiming more than the record size limit.
        let mut huge = b"Obj\x01\x02\x16avro.schema\x0c\"long\"\x00".to_vec();
        huge.extend_from_slice(&[7; 16]);
        huge.extend_from_slice(b"\x02\xfe\xff\xff\xff\x0f");
        let got = decode_all(AvroDecoder::new(1 << 20), &huge);
        let error = got[0].as_ref().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
        // A block of no bytes claiming 2^40 records of type null.
        let mut empty = b"Obj\x01\x02\x16avro.schema\x0c\"null\"\x00".to_vec();
        empty.extend_from_slice(&[7; 16]);
        empty.extend_from_slice(b"\x80\x80\x80\x80\x80\x40\x00");
        empty.extend_from_slice(&[7; 16]);
        let got = decode_all(AvroDecoder::new(1 << 20), &empty);
        let error = got[0].as_ref().unwrap_err();
        assert!(
            error.to_string().contains("claiming 1099511627776 records"),
            "{error}"
        );
    }
}
