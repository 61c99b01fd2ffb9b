//! PostgreSQL's binary COPY format (`pgcopy`, `.pgcopy`, magic `PGCOPY\n\xff\r\n\0`): what
//! `COPY ... TO STDOUT (FORMAT binary)` sends and `COPY ... FROM STDIN (FORMAT binary)` takes,
//! one record per row. It is how PostgreSQL locations are read and written (see
//! `iterable_sources::postgres`), and reads and writes `.pgcopy` files too.
//!
//! The format holds no column names or types: a row is its fields' bytes. What we write
//! carries them in the header's extension area, which PostgreSQL skips (the format reserves it
//! for such data): the bytes `ITERABLE`, a big-endian `u16` count, then for each column its
//! name and its type name, each a `u16` length and UTF-8. A file without them (one written by
//! `COPY ... TO 'file'`) is read with `-o types=int8,text,...` and, optionally,
//! `-o names=id,name,...` (`column_1`, ... otherwise).
//!
//! | PostgreSQL | [`Value`] |
//! |---|---|
//! | `bool` | `Bool` |
//! | `int2`, `int4`, `int8`, `oid` | `Int` |
//! | `float4`, `float8` | `Float` |
//! | `numeric` | `Decimal` (up to 38 digits; more as a string of its digits, an error past 1,000; `NaN` and infinities as floats) |
//! | `text`, `varchar`, `bpchar`, `name`, `char`, enums | `String` |
//! | `json`, `jsonb` | nested values |
//! | `bytea` | `Bytes` |
//! | `date` | `Date` |
//! | `time` | `Time` in microseconds |
//! | `timestamp`, `timestamptz` | `Timestamp` in microseconds, without a zone and in UTC |
//! | `interval` | `Duration` in microseconds, a day 24 hours; one with months as ISO 8601 text (`P14M3DT4.5S`) |
//! | `uuid` | `String`, hyphenated |
//! | arrays of these (`int4[]`) | `Array` (nested for more dimensions) |
//!
//! Dates and timestamps of `infinity` and `-infinity` are those strings. A row whose field
//! count or a value does not fit its column is a recoverable error naming the row and its byte
//! offset; framing that does not hold (a negative length, a row past the record size limit,
//! bytes after the end marker, an input cut short) ends the read.
//!
//! Written: column types come from the schema given, else from the first `-O infer_rows`
//! records (1000), the type each field's values share: integers `int8` (`int2`, `int4` for
//! narrower schema types), with floats `float8`, with decimals `numeric`; strings `text`
//! (and scalars of different types but bytes, written as their text); bytes `bytea`; dates,
//! times, timestamps (`timestamptz` with a zone) and durations `interval`; lists of one
//! scalar type arrays of it; other nested values, and lists and scalars in one field,
//! `jsonb`; fields of nulls only `text`. A later record
//! with a field the columns do not have, or a value its column cannot hold exactly (a float
//! in an `int8` column, nanoseconds), is an error naming the record and the field.

use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use iterable_core::{
    Capabilities, DataType, Date, Decimal, Decoder, Duration, Encoder, Error, ErrorKind, Fields,
    FormatInfo, ParsedBatch, Position, Record, Result, Schema, Time, TimeUnit, Timestamp, Value,
};
use std::sync::Arc;

/// The format's name in errors and options.
pub const FORMAT: &str = "pgcopy";

/// The first bytes of every binary COPY stream.
pub const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// What starts our column description in the header's extension area.
const EXTENSION_TAG: &[u8; 8] = b"ITERABLE";

/// The largest header extension read.
const MAX_EXTENSION: usize = 1 << 20;

/// How deep arrays may nest (PostgreSQL's own limit is 6 dimensions).
const MAX_DIMENSIONS: usize = 6;

/// The most digits a `numeric` is read with (PostgreSQL allows 147,455).
const MAX_NUMERIC_DIGITS: usize = 1000;

/// Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Days from 1970-01-01 to 2000-01-01.
const EPOCH_DAYS: i32 = 10_957;

/// A day in microseconds.
const DAY_MICROS: i64 = 86_400_000_000;

/// The binary COPY format in the registry.
pub struct PgCopyFormat;

/// The registry's binary COPY format.
pub static PGCOPY: PgCopyFormat = PgCopyFormat;

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &["pgbinary"],
    extensions: &["pgcopy"],
    mime_types: &[],
    magic: &[SIGNATURE],
    capabilities: Capabilities::STREAMING,
    description: "PostgreSQL binary COPY: rows of typed fields (how postgres:// is read and written)",
};

static READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "types",
        default: "",
        help: "the column types, comma-separated (int8,text,...), for a file that does not name them",
    },
    OptionInfo {
        key: "names",
        default: "",
        help: "the column names, comma-separated, for a file that does not name them",
    },
];

static WRITE_OPTIONS: &[OptionInfo] = &[OptionInfo {
    key: "infer_rows",
    default: "1000",
    help: "records whose values decide the column types, without a schema",
}];

impl FormatSpec for PgCopyFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn is_text(&self) -> bool {
        false
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    /// The signature: 100.
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        head.starts_with(SIGNATURE).then(|| Sniffed::with(100))
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        options.check(FORMAT, READ_OPTIONS)?;
        let types = match options.list("types") {
            Some(names) => Some(
                names
                    .iter()
                    .map(|name| PgType::named(name))
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        let names = options.list("names");
        let columns = match (types, names) {
            (Some(types), names) => {
                let names = names
                    .unwrap_or_else(|| (1..=types.len()).map(|i| format!("column_{i}")).collect());
                if names.len() != types.len() {
                    return Err(option_error(format!(
                        "{} names for {} types",
                        names.len(),
                        types.len()
                    )));
                }
                Some(names.into_iter().zip(types).collect())
            }
            (None, Some(_)) => return Err(option_error("names without types".to_owned())),
            (None, None) => None,
        };
        Ok(Box::new(PgCopyDecoder::new(columns, max_record_size)))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        options.check(FORMAT, WRITE_OPTIONS)?;
        let infer_rows = options
            .parsed(FORMAT, "infer_rows", "a number of records", |v| {
                v.parse::<usize>().ok().filter(|n| *n > 0)
            })?
            .unwrap_or(1000);
        Ok(Box::new(PgCopyEncoder::new(infer_rows)))
    }
}

fn option_error(message: String) -> Error {
    Error::new(
        ErrorKind::InvalidRecord,
        format!("{FORMAT} options: {message}"),
    )
}

/// A column type of the binary COPY format: a scalar PostgreSQL type, or an array of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgType {
    scalar: Scalar,
    array: bool,
}

/// The scalar types read and written, with PostgreSQL's names and type OIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Numeric,
    Text,
    Varchar,
    Bpchar,
    Name,
    Char,
    Json,
    Jsonb,
    Bytea,
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Interval,
    Uuid,
}

/// Each scalar with its name and OID.
const SCALARS: &[(Scalar, &str, u32)] = &[
    (Scalar::Bool, "bool", 16),
    (Scalar::Int2, "int2", 21),
    (Scalar::Int4, "int4", 23),
    (Scalar::Int8, "int8", 20),
    (Scalar::Oid, "oid", 26),
    (Scalar::Float4, "float4", 700),
    (Scalar::Float8, "float8", 701),
    (Scalar::Numeric, "numeric", 1700),
    (Scalar::Text, "text", 25),
    (Scalar::Varchar, "varchar", 1043),
    (Scalar::Bpchar, "bpchar", 1042),
    (Scalar::Name, "name", 19),
    (Scalar::Char, "\"char\"", 18),
    (Scalar::Json, "json", 114),
    (Scalar::Jsonb, "jsonb", 3802),
    (Scalar::Bytea, "bytea", 17),
    (Scalar::Date, "date", 1082),
    (Scalar::Time, "time", 1083),
    (Scalar::Timestamp, "timestamp", 1114),
    (Scalar::Timestamptz, "timestamptz", 1184),
    (Scalar::Interval, "interval", 1186),
    (Scalar::Uuid, "uuid", 2950),
];

impl Scalar {
    /// The types read as strings of their bytes.
    fn is_text(self) -> bool {
        matches!(
            self,
            Scalar::Text | Scalar::Varchar | Scalar::Bpchar | Scalar::Name | Scalar::Char
        )
    }

    fn entry(self) -> &'static (Scalar, &'static str, u32) {
        SCALARS
            .iter()
            .find(|(s, _, _)| *s == self)
            .expect("every scalar is listed")
    }
}

impl PgType {
    /// The type PostgreSQL calls `name`: `int8`, `text`, `int4[]` (or `_int4`), and the SQL
    /// spellings `bigint`, `integer`, `boolean`, `double precision`, ...; `None` for a type
    /// this format does not read.
    ///
    /// ```
    /// use iterable_formats::pgcopy::PgType;
    /// assert_eq!(PgType::from_name("_int4"), PgType::from_name("integer[]"));
    /// assert_eq!(PgType::from_name("int4[]").unwrap().to_string(), "int4[]");
    /// assert!(PgType::from_name("point").is_none());
    /// ```
    pub fn from_name(name: &str) -> Option<PgType> {
        let name = name.trim().to_ascii_lowercase();
        let (base, array) = match (name.strip_suffix("[]"), name.strip_prefix('_')) {
            (Some(base), _) => (base.trim(), true),
            (None, Some(base)) => (base, true),
            (None, None) => (name.as_str(), false),
        };
        let base = match base {
            "boolean" => "bool",
            "smallint" => "int2",
            "integer" | "int" => "int4",
            "bigint" => "int8",
            "real" => "float4",
            "double precision" => "float8",
            "decimal" => "numeric",
            "character varying" => "varchar",
            "character" => "bpchar",
            "char" => "\"char\"",
            "timestamp without time zone" => "timestamp",
            "timestamp with time zone" => "timestamptz",
            "time without time zone" => "time",
            other => other,
        };
        let scalar = SCALARS.iter().find(|(_, n, _)| *n == base)?.0;
        Some(PgType { scalar, array })
    }

    /// [`PgType::from_name`], or an error naming the types there are.
    pub fn named(name: &str) -> Result<PgType> {
        PgType::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = SCALARS.iter().map(|(_, n, _)| *n).collect();
            option_error(format!(
                "unknown column type {name:?} (known: {}, and arrays of them: int4[])",
                known.join(", ")
            ))
        })
    }

    /// PostgreSQL's OID of the type's elements (of the type itself, for a scalar).
    pub fn element_oid(self) -> u32 {
        self.scalar.entry().2
    }

    /// True for an array type.
    pub fn is_array(self) -> bool {
        self.array
    }

    /// The schema type of the values read from a column of this type, when it says all of
    /// them (`numeric`'s scale is not known here).
    fn data_type(self) -> Option<DataType> {
        let scalar = match self.scalar {
            Scalar::Bool => DataType::Bool,
            Scalar::Int2 => DataType::Int16,
            Scalar::Int4 => DataType::Int32,
            Scalar::Int8 => DataType::Int64,
            Scalar::Oid => DataType::UInt32,
            Scalar::Float4 => DataType::Float32,
            Scalar::Float8 => DataType::Float64,
            Scalar::Text
            | Scalar::Varchar
            | Scalar::Bpchar
            | Scalar::Name
            | Scalar::Char
            | Scalar::Uuid => DataType::String,
            Scalar::Bytea => DataType::Binary,
            Scalar::Time => DataType::Time(TimeUnit::Microsecond),
            // Infinities read as text; an interval with months, too; JSON is any value.
            Scalar::Numeric
            | Scalar::Json
            | Scalar::Jsonb
            | Scalar::Date
            | Scalar::Timestamp
            | Scalar::Timestamptz
            | Scalar::Interval => return None,
        };
        match self.array {
            false => Some(scalar),
            true => None, // of any number of dimensions
        }
    }

    /// The column type for values of `data_type`.
    fn for_data_type(data_type: &DataType) -> PgType {
        let scalar = |scalar| PgType {
            scalar,
            array: false,
        };
        match data_type {
            DataType::Bool => scalar(Scalar::Bool),
            DataType::Int8 | DataType::Int16 | DataType::UInt8 => scalar(Scalar::Int2),
            DataType::Int32 | DataType::UInt16 => scalar(Scalar::Int4),
            DataType::Int64 | DataType::UInt32 => scalar(Scalar::Int8),
            DataType::UInt64 | DataType::Decimal { .. } => scalar(Scalar::Numeric),
            DataType::Float32 => scalar(Scalar::Float4),
            DataType::Float64 => scalar(Scalar::Float8),
            DataType::Binary => scalar(Scalar::Bytea),
            DataType::Date => scalar(Scalar::Date),
            DataType::Time(_) => scalar(Scalar::Time),
            DataType::Timestamp(_, None) => scalar(Scalar::Timestamp),
            DataType::Timestamp(_, Some(_)) => scalar(Scalar::Timestamptz),
            DataType::Duration(_) => scalar(Scalar::Interval),
            DataType::List(element) => match PgType::for_data_type(&element.data_type) {
                PgType {
                    scalar: Scalar::Jsonb,
                    ..
                }
                | PgType { array: true, .. } => scalar(Scalar::Jsonb),
                element => PgType {
                    array: true,
                    ..element
                },
            },
            DataType::Struct(_) | DataType::Map(..) => scalar(Scalar::Jsonb),
            _ => scalar(Scalar::Text),
        }
    }
}

impl PgType {
    /// The type that holds values of both types: `jsonb` when no other does (a list and a
    /// scalar, lists of different types).
    fn widened(self, other: PgType) -> PgType {
        use Scalar as S;
        if self == other {
            return self;
        }
        let json = PgType {
            scalar: S::Jsonb,
            array: false,
        };
        if self == json || other == json {
            return json;
        }
        let rank = |s: Scalar| match s {
            S::Int2 => Some(1),
            S::Int4 => Some(2),
            S::Int8 => Some(3),
            S::Float4 | S::Float8 => Some(4),
            S::Numeric => Some(5),
            _ => None,
        };
        let scalar = match (self.scalar, other.scalar) {
            (a, b) if a == b => a,
            (S::Float4 | S::Float8, S::Float4 | S::Float8) => S::Float8,
            (a, b) => match (rank(a), rank(b)) {
                (Some(x), Some(y)) if x.max(y) == 4 => S::Float8,
                (Some(x), Some(_)) if x == rank(a).max(rank(b)).unwrap_or(0) => a,
                (Some(_), Some(_)) => b,
                _ if !self.array && !other.array => S::Text,
                _ => return json, // lists of different types
            },
        };
        match self.array == other.array {
            true => PgType {
                scalar,
                array: self.array,
            },
            // A list and a scalar: what JSON holds.
            false => json,
        }
    }
}

impl std::fmt::Display for PgType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.scalar.entry().1)?;
        if self.array {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

/// The columns of a binary COPY stream, as our header extension describes them.
pub type Columns = Vec<(String, PgType)>;

/// The header of a binary COPY stream, with `columns` described in its extension area.
///
/// ```
/// use iterable_formats::pgcopy::{PgType, header, read_header};
/// let columns = vec![("id".to_owned(), PgType::named("int8")?)];
/// let bytes = header(&columns)?;
/// let (read, len) = read_header(&bytes)?.unwrap();
/// assert_eq!((read, len), (Some(columns), bytes.len()));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn header(columns: &[(String, PgType)]) -> Result<Vec<u8>> {
    let too_long =
        |what: String| Err(Error::new(ErrorKind::LimitExceeded, what).with_format(FORMAT));
    let mut extension = Vec::new();
    extension.extend_from_slice(EXTENSION_TAG);
    let Ok(count) = i16::try_from(columns.len()) else {
        return too_long(format!("{} columns, more than a row holds", columns.len()));
    };
    extension.put_u16(count as u16);
    for (name, pg_type) in columns {
        for text in [name.as_str(), &pg_type.to_string()] {
            let Ok(len) = u16::try_from(text.len()) else {
                return too_long(format!("a column name of {} bytes", text.len()));
            };
            extension.put_u16(len);
            extension.extend_from_slice(text.as_bytes());
        }
    }
    if extension.len() > MAX_EXTENSION {
        return too_long(format!("column names of {} bytes in all", extension.len()));
    }
    let mut out = Vec::with_capacity(19 + extension.len());
    out.extend_from_slice(SIGNATURE);
    out.put_i32(0); // flags: no OIDs
    out.put_i32(extension.len() as i32);
    out.extend_from_slice(&extension);
    Ok(out)
}

/// Reads the header at the start of `bytes`: the columns its extension describes (`None` when
/// it describes none) and the header's length; `Ok(None)` when `bytes` end within it.
pub fn read_header(bytes: &[u8]) -> Result<Option<(Option<Columns>, usize)>> {
    if bytes.len() < 19 {
        if !SIGNATURE.starts_with(&bytes[..bytes.len().min(11)]) {
            return Err(header_error(
                "the input does not start with PGCOPY's signature",
            ));
        }
        return Ok(None);
    }
    if &bytes[..11] != SIGNATURE {
        return Err(header_error(
            "the input does not start with PGCOPY's signature",
        ));
    }
    let flags = i32::from_be_bytes(bytes[11..15].try_into().expect("4 bytes"));
    if flags & (1 << 16) != 0 {
        return Err(header_error(
            "rows with OIDs (PostgreSQL before 12) are not read",
        ));
    }
    let claimed = i32::from_be_bytes(bytes[15..19].try_into().expect("4 bytes"));
    let length = usize::try_from(claimed)
        .ok()
        .filter(|n| *n <= MAX_EXTENSION)
        .ok_or_else(|| header_error(&format!("a header extension of {claimed} bytes")))?;
    let Some(extension) = bytes.get(19..19 + length) else {
        return Ok(None);
    };
    let columns = match extension.strip_prefix(EXTENSION_TAG) {
        Some(mut rest) => Some(read_columns(&mut rest).ok_or_else(|| {
            header_error("the column description in the header extension is malformed")
        })??),
        None => None,
    };
    Ok(Some((columns, 19 + length)))
}

fn read_columns(rest: &mut &[u8]) -> Option<Result<Columns>> {
    let text = |rest: &mut &[u8]| -> Option<String> {
        let len = usize::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
        let bytes = rest.get(2..2 + len)?;
        *rest = &rest[2 + len..];
        String::from_utf8(bytes.to_vec()).ok()
    };
    let count = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?);
    *rest = &rest[2..];
    let mut columns = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let name = text(rest)?;
        let pg_type = text(rest)?;
        match PgType::named(&pg_type) {
            Ok(pg_type) => columns.push((name, pg_type)),
            Err(error) => return Some(Err(error)),
        }
    }
    Some(Ok(columns))
}

fn header_error(message: &str) -> Error {
    Error::parse(FORMAT, message.to_owned()).at(Position {
        byte: Some(0),
        ..Position::default()
    })
}

/// Decodes a binary COPY stream: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::pgcopy::{PgCopyDecoder, PgType, header};
///
/// let columns = vec![("id".to_owned(), PgType::named("int4")?)];
/// let mut input = header(&columns)?;
/// input.extend_from_slice(b"\x00\x01\x00\x00\x00\x04\x00\x00\x00\x07\xff\xff");
/// let mut buf = BytesMut::from(&input[..]);
/// let mut decoder = PgCopyDecoder::new(None, 1 << 20);
/// assert_eq!(decoder.decode(&mut buf)?.unwrap().get("id"), Some(&Value::Int(7)));
/// assert!(decoder.decode_eof(&mut buf)?.is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct PgCopyDecoder {
    /// The columns the options name; those of the header win.
    given: Option<Columns>,
    columns: Vec<PgType>,
    /// The extents of the fields of the row being read.
    spans: Vec<Option<std::ops::Range<usize>>>,
    /// The fields of the row being read, parsed.
    parsed: Vec<Parsed>,
    fields: Option<Fields>,
    schema: Option<Schema>,
    max_record_size: usize,
    consumed: u64,
    rows: u64,
    started: bool,
    ended: bool,
    failed: bool,
    utc: Arc<str>,
    json: crate::json_tape::ObjectParser,
}

impl PgCopyDecoder {
    /// A decoder of rows of `columns` (when the stream's header does not describe them),
    /// refusing rows longer than `max_record_size` bytes.
    pub fn new(columns: Option<Columns>, max_record_size: usize) -> PgCopyDecoder {
        PgCopyDecoder {
            given: columns,
            columns: Vec::new(),
            spans: Vec::new(),
            parsed: Vec::new(),
            fields: None,
            schema: None,
            max_record_size,
            consumed: 0,
            rows: 0,
            started: false,
            ended: false,
            failed: false,
            utc: Arc::from("UTC"),
            json: crate::json_tape::ObjectParser::new(FORMAT, "JSON value"),
        }
    }

    fn position(&self) -> Position {
        Position {
            byte: Some(self.consumed),
            record: Some(self.rows + 1),
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

    fn start(&mut self, buf: &mut BytesMut, eof: bool) -> Result<bool> {
        let (described, len) = match read_header(buf) {
            Ok(Some(header)) => header,
            Ok(None) if !eof => return Ok(false),
            Ok(None) => {
                let message = "the input is cut short in the header".to_owned();
                return Err(self.fatal(buf, ErrorKind::Parse, message));
            }
            Err(error) => {
                self.failed = true;
                buf.clear();
                return Err(error);
            }
        };
        let Some(columns) = described.or_else(|| self.given.take()) else {
            let message = "the stream does not name its columns' types: give them with \
                           -o types=int8,text,... (and -o names=...)"
                .to_owned();
            return Err(self.fatal(buf, ErrorKind::Unsupported, message));
        };
        self.fields = Some(Fields::new(columns.iter().map(|(name, _)| name.as_str())));
        let types: Option<Vec<_>> = columns.iter().map(|(_, t)| t.data_type()).collect();
        self.schema = types.map(|types| {
            Schema::new(
                columns
                    .iter()
                    .zip(types)
                    .map(|((name, _), t)| iterable_core::Field::new(name, t).nullable())
                    .collect(),
            )
        });
        self.columns = columns.into_iter().map(|(_, t)| t).collect();
        buf.advance(len);
        self.consumed += len as u64;
        self.started = true;
        Ok(true)
    }

    fn next(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        let Some(len) = self.frame(buf, eof)? else {
            return Ok(None);
        };
        let parsed = self.parse_row(&buf[..len]);
        let record = parsed.and_then(|()| {
            let row = &buf[..len];
            let values = self.parsed.drain(..).map(|field| match field {
                Parsed::Value(value) => value,
                Parsed::Text(span) => Value::from(checked_text(&row[span])),
            });
            let values = values.collect();
            Record::with_fields(self.fields.clone().expect("started"), values)
        });
        self.consume(buf, len);
        record.map(Some)
    }

    /// [`PgCopyDecoder::next`], parsing the row into `batch` instead of building it.
    fn next_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        let Some(len) = self.frame(buf, eof)? else {
            return Ok(false);
        };
        let parsed = self.parse_row(&buf[..len]);
        if parsed.is_ok() {
            let row = &buf[..len];
            batch.push_record(self.fields.as_ref().expect("started"));
            for field in self.parsed.drain(..) {
                match field {
                    Parsed::Value(value) => batch.push_owned(value),
                    Parsed::Text(span) => batch.push_str(checked_text(&row[span])),
                }
            }
        }
        self.consume(buf, len);
        parsed.map(|()| true)
    }

    /// Takes the row of `len` bytes (its fields' extents in `spans`) off `buf`.
    fn consume(&mut self, buf: &mut BytesMut, len: usize) {
        self.rows += 1;
        self.consumed += len as u64;
        buf.advance(len);
    }

    /// Finds the next row at the front of `buf` (reading the header first, the end marker
    /// after the last row): its length, its fields' extents in `self.spans`; `None` when more
    /// input is needed, or at the end.
    fn frame(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<usize>> {
        if self.failed {
            return Ok(None);
        }
        if !self.started {
            if buf.is_empty() && eof {
                return Ok(None); // an empty input: no rows
            }
            if !self.start(buf, eof)? {
                return Ok(None);
            }
        }
        if self.ended {
            if !buf.is_empty() {
                // (How many is not said: that would depend on how much input has come.)
                let message = "bytes after the end marker".to_owned();
                return Err(self.fatal(buf, ErrorKind::Parse, message));
            }
            return Ok(None);
        }
        // The row's extent: its field count, then each field's length and bytes.
        let mut at = 2;
        let Some(count) = buf.get(..2).map(|b| i16::from_be_bytes([b[0], b[1]])) else {
            return self.more(buf, eof, 2);
        };
        if count == -1 {
            self.ended = true;
            buf.advance(2);
            self.consumed += 2;
            return self.frame(buf, eof);
        }
        if count < 0 {
            let message = format!("a row of {count} fields");
            return Err(self.fatal(buf, ErrorKind::Parse, message));
        }
        // The fields' extents, in a list kept from row to row (one allocation, not one a row).
        self.spans.clear();
        for _ in 0..count {
            let Some(b) = buf.get(at..at + 4) else {
                return self.more(buf, eof, at + 4);
            };
            let len = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            at += 4;
            if len == -1 {
                self.spans.push(None);
                continue;
            }
            let Ok(len) = usize::try_from(len) else {
                let message = format!("a field length of {len}");
                return Err(self.fatal(buf, ErrorKind::Parse, message));
            };
            if at + len > self.max_record_size {
                let message = format!(
                    "a row longer than the maximum record size of {} bytes",
                    self.max_record_size
                );
                return Err(self.fatal(buf, ErrorKind::LimitExceeded, message));
            }
            if buf.len() < at + len {
                return self.more(buf, eof, at + len);
            }
            self.spans.push(Some(at..at + len));
            at += len;
        }
        Ok(Some(at))
    }

    /// More input is needed for a row of at least `want` bytes.
    fn more(&mut self, buf: &mut BytesMut, eof: bool, want: usize) -> Result<Option<usize>> {
        if !eof {
            buf.reserve(want.saturating_sub(buf.len()));
            return Ok(None);
        }
        let message = if buf.is_empty() {
            "the input ends without the end marker".to_owned()
        } else {
            "the input is cut short in a row".to_owned()
        };
        Err(self.fatal(buf, ErrorKind::Parse, message))
    }

    /// Parses the fields of `row` (at `self.spans`) into `self.parsed`; a field that does not
    /// fit its column is a recoverable error naming the column.
    fn parse_row(&mut self, row: &[u8]) -> Result<()> {
        self.parsed.clear();
        let recoverable = |message: String, position: Position| {
            Error::parse(FORMAT, message).at(position).recoverable()
        };
        if self.spans.len() != self.columns.len() {
            let message = format!(
                "a row of {} fields, for {} columns",
                self.spans.len(),
                self.columns.len()
            );
            return Err(recoverable(message, self.position()));
        }
        for i in 0..self.spans.len() {
            let Some(span) = self.spans[i].clone() else {
                self.parsed.push(Parsed::Value(Value::Null));
                continue;
            };
            let column = self.columns[i];
            let bytes = &row[span.clone()];
            let parsed = match (column.array, column.scalar.is_text()) {
                (false, true) => match std::str::from_utf8(bytes) {
                    Ok(_) => Ok(Parsed::Text(span.clone())),
                    Err(e) => Err(format!("text that is not UTF-8 ({e})")),
                },
                (false, false) => self.scalar(column.scalar, bytes).map(Parsed::Value),
                (true, _) => self.array(column.scalar, bytes).map(Parsed::Value),
            };
            match parsed {
                Ok(parsed) => self.parsed.push(parsed),
                Err(message) => {
                    let fields = self.fields.as_ref().expect("started");
                    let name = fields.get(i).unwrap_or("");
                    let position = Position {
                        byte: Some(self.consumed + span.start as u64),
                        ..self.position()
                    };
                    let message = format!("column {name:?} ({column}): {message}");
                    return Err(recoverable(message, position));
                }
            }
        }
        Ok(())
    }

    fn scalar(&mut self, scalar: Scalar, bytes: &[u8]) -> std::result::Result<Value, String> {
        let fixed = |n: usize| -> std::result::Result<&[u8], String> {
            (bytes.len() == n)
                .then_some(bytes)
                .ok_or_else(|| format!("{} bytes, not {n}", bytes.len()))
        };
        let text = |bytes: &[u8]| {
            std::str::from_utf8(bytes)
                .map(|s| s.to_owned())
                .map_err(|e| format!("text that is not UTF-8 ({e})"))
        };
        Ok(match scalar {
            Scalar::Bool => Value::Bool(fixed(1)?[0] != 0),
            Scalar::Int2 => Value::Int(i16::from_be_bytes(fixed(2)?.try_into().unwrap()).into()),
            Scalar::Int4 => Value::Int(i32::from_be_bytes(fixed(4)?.try_into().unwrap()).into()),
            Scalar::Oid => Value::Int(u32::from_be_bytes(fixed(4)?.try_into().unwrap()).into()),
            Scalar::Int8 => Value::Int(i64::from_be_bytes(fixed(8)?.try_into().unwrap())),
            Scalar::Float4 => {
                Value::Float(f32::from_be_bytes(fixed(4)?.try_into().unwrap()).into())
            }
            Scalar::Float8 => Value::Float(f64::from_be_bytes(fixed(8)?.try_into().unwrap())),
            Scalar::Numeric => numeric(bytes)?,
            Scalar::Text | Scalar::Varchar | Scalar::Bpchar | Scalar::Name | Scalar::Char => {
                Value::from(text(bytes)?)
            }
            Scalar::Json => self.json(bytes)?,
            Scalar::Jsonb => match bytes.split_first() {
                Some((1, rest)) => self.json(rest)?,
                _ => return Err("jsonb of a version other than 1".to_owned()),
            },
            Scalar::Bytea => Value::Bytes(Bytes::copy_from_slice(bytes)),
            Scalar::Date => match i32::from_be_bytes(fixed(4)?.try_into().unwrap()) {
                i32::MAX => Value::from("infinity"),
                i32::MIN => Value::from("-infinity"),
                days => Value::Date(Date::from_days(
                    days.checked_add(EPOCH_DAYS).ok_or("a date out of range")?,
                )),
            },
            Scalar::Time => Value::Time(Time::new(
                i64::from_be_bytes(fixed(8)?.try_into().unwrap()),
                TimeUnit::Microsecond,
            )),
            Scalar::Timestamp | Scalar::Timestamptz => {
                let zone = (scalar == Scalar::Timestamptz).then(|| self.utc.clone());
                match i64::from_be_bytes(fixed(8)?.try_into().unwrap()) {
                    i64::MAX => Value::from("infinity"),
                    i64::MIN => Value::from("-infinity"),
                    micros => Value::Timestamp(Timestamp::new(
                        micros
                            .checked_add(EPOCH_MICROS)
                            .ok_or("a timestamp out of range")?,
                        TimeUnit::Microsecond,
                        zone,
                    )),
                }
            }
            Scalar::Interval => interval(fixed(16)?)?,
            Scalar::Uuid => {
                let b = fixed(16)?;
                let hex: String = b.iter().map(|b| format!("{b:02x}")).collect();
                Value::from(format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                ))
            }
        })
    }

    fn json(&mut self, text: &[u8]) -> std::result::Result<Value, String> {
        // Any JSON value, parsed as the one field of an object.
        let mut wrapped = BytesMut::with_capacity(text.len() + 8);
        wrapped.extend_from_slice(b"{\"v\":");
        wrapped.extend_from_slice(text);
        wrapped.extend_from_slice(b"}");
        let len = wrapped.len();
        let mut record = self
            .json
            .parse(
                &mut wrapped,
                len,
                Position::default(),
                &mut crate::json_tape::Build,
            )
            .map_err(|e| e.to_string())?;
        if record.len() != 1 {
            return Err("text that is not one JSON value".to_owned());
        }
        Ok(record.remove("v").unwrap_or(Value::Null))
    }

    fn array(&mut self, scalar: Scalar, bytes: &[u8]) -> std::result::Result<Value, String> {
        let mut rest = bytes;
        let int = |rest: &mut &[u8]| -> std::result::Result<i32, String> {
            let b = rest.get(..4).ok_or("an array cut short")?;
            let value = i32::from_be_bytes(b.try_into().unwrap());
            *rest = &rest[4..];
            Ok(value)
        };
        let dimensions = int(&mut rest)?;
        let _has_nulls = int(&mut rest)?;
        let _element_oid = int(&mut rest)?;
        let dimensions = usize::try_from(dimensions)
            .ok()
            .filter(|d| *d <= MAX_DIMENSIONS)
            .ok_or_else(|| format!("an array of {dimensions} dimensions"))?;
        let mut sizes = Vec::with_capacity(dimensions);
        for _ in 0..dimensions {
            let size = int(&mut rest)?;
            let _lower_bound = int(&mut rest)?;
            sizes.push(usize::try_from(size).map_err(|_| format!("a dimension of {size}"))?);
        }
        let total = sizes.iter().try_fold(1usize, |n, s| n.checked_mul(*s));
        // Each element takes 4 bytes at least.
        if dimensions > 0 && total.is_none_or(|n| n > rest.len() / 4) {
            return Err("an array longer than its bytes".to_owned());
        }
        let count = if dimensions == 0 {
            0
        } else {
            total.unwrap_or(0)
        };
        let mut elements = Vec::with_capacity(count);
        for _ in 0..count {
            let len = int(&mut rest)?;
            if len == -1 {
                elements.push(Value::Null);
                continue;
            }
            let len = usize::try_from(len).map_err(|_| format!("an element length of {len}"))?;
            let element = rest.get(..len).ok_or("an array cut short")?;
            rest = &rest[len..];
            elements.push(self.scalar(scalar, element)?);
        }
        if !rest.is_empty() {
            return Err(format!("{} bytes after an array's elements", rest.len()));
        }
        // Row-major: the last dimension's runs become the innermost arrays.
        for size in sizes.iter().skip(1).rev() {
            let mut grouped = Vec::with_capacity(elements.len() / size.max(&1));
            let mut items = elements.into_iter();
            loop {
                let group: Vec<Value> = items.by_ref().take(*size).collect();
                if group.is_empty() {
                    break;
                }
                grouped.push(Value::Array(group));
            }
            elements = grouped;
        }
        Ok(Value::Array(elements))
    }
}

/// A `numeric`'s value: its digits as a [`Decimal`] (as a string past 38 digits), NaN and the
/// infinities as floats.
fn numeric(bytes: &[u8]) -> std::result::Result<Value, String> {
    let word = |i: usize| -> std::result::Result<u16, String> {
        bytes
            .get(i * 2..i * 2 + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a numeric cut short".to_owned())
    };
    let count = usize::from(word(0)?);
    let weight = i32::from(word(1)? as i16);
    let sign = word(2)?;
    let scale = usize::from(word(3)?);
    if bytes.len() != 8 + 2 * count {
        return Err(format!(
            "a numeric of {} bytes for {count} digits",
            bytes.len()
        ));
    }
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Ok(Value::Float(f64::NAN)),
        0xD000 => return Ok(Value::Float(f64::INFINITY)),
        0xF000 => return Ok(Value::Float(f64::NEG_INFINITY)),
        other => return Err(format!("a numeric sign of {other:#06x}")),
    }
    // Its text takes about 4 digits per group of its weight, and its scale: bounded, so that
    // a few bytes cannot claim megabytes of zeros.
    let digits = 4 * (weight.max(0) as usize + 1) + scale;
    if digits > MAX_NUMERIC_DIGITS {
        return Err(format!(
            "a numeric of {digits} digits, more than the {MAX_NUMERIC_DIGITS} read"
        ));
    }
    let mut digits = Vec::with_capacity(count);
    for i in 0..count {
        let digit = word(4 + i)?;
        if digit > 9999 {
            return Err(format!("a numeric digit of {digit}"));
        }
        digits.push(digit);
    }
    // The group of base-10000 digits at `index` (0 the first, which weighs 10000^weight).
    let group = |index: i32| -> u16 {
        usize::try_from(index)
            .ok()
            .and_then(|i| digits.get(i))
            .copied()
            .unwrap_or(0)
    };
    let mut whole = String::new();
    if weight < 0 {
        whole.push('0');
    } else {
        whole.push_str(&group(0).to_string());
        for index in 1..=weight {
            whole.push_str(&format!("{:04}", group(index)));
        }
    }
    let mut fraction = String::with_capacity(scale + 4);
    let mut index = weight + 1;
    while fraction.len() < scale {
        fraction.push_str(&format!("{:04}", group(index)));
        index += 1;
    }
    fraction.truncate(scale);
    let zero = whole.bytes().chain(fraction.bytes()).all(|b| b == b'0');
    let negative = sign == 0x4000 && !zero; // no negative zero
    let significant = format!("{whole}{fraction}");
    let significant = significant.trim_start_matches('0');
    let precision = significant.len().max(scale).max(1);
    if precision <= 38 {
        let unscaled: i128 = significant.parse().unwrap_or(0);
        let unscaled = if negative { -unscaled } else { unscaled };
        return Ok(Value::Decimal(Decimal::new(
            unscaled,
            precision as u8,
            scale as i8,
        )));
    }
    let sign = if negative { "-" } else { "" };
    Ok(Value::from(match scale {
        0 => format!("{sign}{whole}"),
        _ => format!("{sign}{whole}.{fraction}"),
    }))
}

/// An `interval`: a duration when it has no months, else its ISO 8601 text.
fn interval(bytes: &[u8]) -> std::result::Result<Value, String> {
    let micros = i64::from_be_bytes(bytes[..8].try_into().unwrap());
    let days = i32::from_be_bytes(bytes[8..12].try_into().unwrap());
    let months = i32::from_be_bytes(bytes[12..16].try_into().unwrap());
    if months == 0
        && let Some(total) = i64::from(days)
            .checked_mul(DAY_MICROS)
            .and_then(|d| d.checked_add(micros))
    {
        return Ok(Value::Duration(Duration::new(total, TimeUnit::Microsecond)));
    }
    let seconds = Duration::new(micros, TimeUnit::Microsecond).to_string();
    // `PT4.5S` or `-PT4.5S`: its seconds, after the months and the days.
    let seconds = seconds
        .strip_prefix("-PT")
        .map(|s| format!("-{s}"))
        .or_else(|| seconds.strip_prefix("PT").map(str::to_owned))
        .unwrap_or(seconds);
    Ok(Value::from(format!("P{months}M{days}DT{seconds}")))
}

/// A field of a row parsed but not built: its value, or a text field's extent in the row
/// (checked UTF-8), built where the record is.
#[derive(Debug)]
enum Parsed {
    Value(Value),
    Text(std::ops::Range<usize>),
}

/// Text that [`PgCopyDecoder::parse_row`] found to be UTF-8.
fn checked_text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("checked when parsed")
}

impl Decoder for PgCopyDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true)
    }

    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        self.next_into(buf, eof, batch)
    }

    fn schema(&self) -> Option<&Schema> {
        self.schema.as_ref()
    }
}

/// Encodes records as a binary COPY stream with its columns in the header: see the
/// [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Encoder, Record, Value};
/// use iterable_formats::pgcopy::{PgCopyDecoder, PgCopyEncoder};
///
/// let record: Record = [("id", Value::Int(7)), ("name", Value::from("Ada"))].into_iter().collect();
/// let mut out = BytesMut::new();
/// let mut encoder = PgCopyEncoder::new(1000);
/// encoder.encode(&record, &mut out)?;
/// encoder.finish(&mut out)?;
/// let mut decoder = PgCopyDecoder::new(None, 1 << 20);
/// assert_eq!(decoder.decode(&mut out)?, Some(record));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct PgCopyEncoder {
    infer_rows: usize,
    /// The records held until the columns are known.
    held: Vec<Record>,
    schema: Option<Schema>,
    columns: Option<Vec<(String, PgType)>>,
    records: u64,
    /// The header and the records held could not be written.
    failed: bool,
}

impl PgCopyEncoder {
    /// An encoder that, given no schema, takes the column types from the first `infer_rows`
    /// records.
    pub fn new(infer_rows: usize) -> PgCopyEncoder {
        PgCopyEncoder {
            infer_rows: infer_rows.max(1),
            held: Vec::new(),
            schema: None,
            columns: None,
            records: 0,
            failed: false,
        }
    }

    /// An error once the header and the records held failed to be written: they are gone
    /// (the writer drops what a failed call wrote), so nothing more may follow them.
    fn refuse_after_failure(&self) -> Result<()> {
        match self.failed {
            false => Ok(()),
            true => Err(Error::new(
                ErrorKind::InvalidRecord,
                "an earlier record failed, and the records held with it: nothing more is written",
            )
            .with_format(FORMAT)),
        }
    }

    /// [`PgCopyEncoder::start`], refusing every later call when it fails.
    fn start_or_fail(&mut self, dst: &mut BytesMut) -> Result<()> {
        let started = self.start(dst);
        self.failed = started.is_err();
        started
    }

    /// Decides the columns (from the schema, else the records held) and writes the header
    /// and the records held.
    fn start(&mut self, dst: &mut BytesMut) -> Result<()> {
        let columns = match self.schema.take() {
            Some(schema) => schema
                .fields()
                .iter()
                .map(|f| (f.name.to_string(), PgType::for_data_type(&f.data_type)))
                .collect(),
            None => infer_columns(&self.held),
        };
        dst.extend_from_slice(&header(&columns)?);
        self.columns = Some(columns);
        let held = std::mem::take(&mut self.held);
        let first = self.records - held.len() as u64;
        for (i, record) in held.iter().enumerate() {
            self.row(record, first + i as u64 + 1, dst)?;
        }
        Ok(())
    }

    /// Writes `record` (number `index`) as a row.
    fn row(&self, record: &Record, index: u64, dst: &mut BytesMut) -> Result<()> {
        let columns = self.columns.as_ref().expect("started");
        let at = |message: String| {
            Error::new(ErrorKind::InvalidRecord, message)
                .with_format(FORMAT)
                .at(Position {
                    record: Some(index),
                    ..Position::default()
                })
        };
        for (name, _) in record.iter() {
            if !columns.iter().any(|(column, _)| column == name) {
                return Err(at(format!(
                    "field {name:?} is not one of the columns, which the schema or the first \
                     records decided (raise -O infer_rows)"
                )));
            }
        }
        let start = dst.len();
        dst.put_i16(columns.len() as i16);
        for (name, pg_type) in columns {
            match record.get(name) {
                None | Some(Value::Null) => dst.put_i32(-1),
                Some(value) => {
                    put_field(dst, |out| encode_value(*pg_type, value, out)).map_err(|why| {
                        dst.truncate(start);
                        at(format!("field {name:?} ({pg_type}): {why}"))
                    })?
                }
            }
        }
        Ok(())
    }
}

/// The columns that hold the values of `records` (the first numbered `before + 1`): each
/// field's type is the one its values share, integers widening to wider integers, to `float8`
/// and to `numeric`, scalars of different types to `text`, and anything with a nested value to
/// `jsonb`; a field of nulls only is `text`. Fields in the order they first appear.
fn infer_columns(records: &[Record]) -> Columns {
    // Each field's type so far, and whether it held an array without elements (which says
    // nothing of their type).
    let mut columns: Vec<(String, Option<PgType>, bool)> = Vec::new();
    for record in records {
        for (name, value) in record.iter() {
            let at = match columns.iter().position(|(n, _, _)| n == name) {
                Some(at) => at,
                None => {
                    columns.push((name.to_owned(), None, false));
                    columns.len() - 1
                }
            };
            if let Value::Array(items) = value
                && items.iter().all(Value::is_null)
            {
                columns[at].2 = true;
                continue;
            }
            if value.is_null() {
                continue;
            }
            let this = value_type(value);
            let column = &mut columns[at].1;
            *column = Some(match *column {
                None => this,
                Some(that) => that.widened(this),
            });
        }
    }
    columns
        .into_iter()
        .map(|(name, t, arrays)| {
            let text = PgType {
                scalar: Scalar::Text,
                array: arrays,
            };
            (name, t.unwrap_or(text))
        })
        .collect()
}

/// The column type for `value`: that of its data type, but an array whose elements share no
/// scalar type is `jsonb`.
fn value_type(value: &Value) -> PgType {
    let json = PgType {
        scalar: Scalar::Jsonb,
        array: false,
    };
    let Value::Array(items) = value else {
        return PgType::for_data_type(&DataType::of(value));
    };
    let mut element: Option<PgType> = None;
    for item in items.iter().filter(|item| !item.is_null()) {
        let this = match item {
            Value::Array(_) | Value::Object(_) => return json,
            other => PgType::for_data_type(&DataType::of(other)),
        };
        element = match element {
            None => Some(this),
            Some(that) => match that.widened(this) {
                widened if widened.scalar != Scalar::Text || this == that => Some(widened),
                _ => return json,
            },
        };
    }
    let element = element.unwrap_or(PgType {
        scalar: Scalar::Text,
        array: false,
    });
    match element.scalar {
        Scalar::Jsonb => json,
        _ => PgType {
            array: true,
            ..element
        },
    }
}

/// Writes a field: its length, then what `write` puts.
fn put_field(
    dst: &mut BytesMut,
    write: impl FnOnce(&mut BytesMut) -> std::result::Result<(), String>,
) -> std::result::Result<(), String> {
    let at = dst.len();
    dst.put_i32(0);
    // A field that fails leaves nothing of itself behind.
    if let Err(why) = write(dst) {
        dst.truncate(at);
        return Err(why);
    }
    let Ok(len) = i32::try_from(dst.len() - at - 4) else {
        dst.truncate(at);
        return Err("a value past 2 GiB".to_owned());
    };
    dst[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Writes binary COPY rows a field at a time, for a source whose values come in other forms
/// than records (a database's rows): after [`header`], each row is [`RowWriter::start`] and
/// one call per column, in order; [`TRAILER`] ends the stream.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::pgcopy::{self, PgCopyDecoder, PgType, RowWriter};
/// let columns = vec![
///     ("id".to_owned(), PgType::named("int8")?),
///     ("name".to_owned(), PgType::named("text")?),
///     ("price".to_owned(), PgType::named("numeric")?),
/// ];
/// let mut out = BytesMut::from(&pgcopy::header(&columns)?[..]);
/// let mut row = RowWriter::start(&mut out, columns.len()).unwrap();
/// row.value(columns[0].1, &Value::Int(7)).unwrap();
/// row.bytes(b"Ada").unwrap();
/// row.numeric("-12.50").unwrap();
/// out.extend_from_slice(pgcopy::TRAILER);
/// let record = PgCopyDecoder::new(None, 1 << 20).decode_eof(&mut out)?.unwrap();
/// assert_eq!(record.get("name"), Some(&Value::from("Ada")));
/// assert!(matches!(record.get("price"), Some(Value::Decimal(d)) if d.to_string() == "-12.50"));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct RowWriter<'a> {
    dst: &'a mut BytesMut,
}

/// What ends a binary COPY stream: a row of -1 fields.
pub const TRAILER: &[u8] = &[0xff, 0xff];

impl<'a> RowWriter<'a> {
    /// Starts a row of `fields` fields at the end of `dst` (a row holds 32,767 at most).
    pub fn start(
        dst: &'a mut BytesMut,
        fields: usize,
    ) -> std::result::Result<RowWriter<'a>, String> {
        let count = i16::try_from(fields).map_err(|_| format!("a row of {fields} fields"))?;
        dst.put_i16(count);
        Ok(RowWriter { dst })
    }

    /// A null field.
    pub fn null(&mut self) {
        self.dst.put_i32(-1);
    }

    /// A field of these bytes as they are: the UTF-8 of a `text` or the text of a `json`
    /// field (checked when read), the bytes of a `bytea`; an error past 2 GiB.
    pub fn bytes(&mut self, bytes: &[u8]) -> std::result::Result<(), String> {
        let len = i32::try_from(bytes.len()).map_err(|_| "a value past 2 GiB".to_owned())?;
        self.dst.put_i32(len);
        self.dst.extend_from_slice(bytes);
        Ok(())
    }

    /// A `numeric` field of the decimal `text` (`-12.50`), or why it is not one.
    pub fn numeric(&mut self, text: &str) -> std::result::Result<(), String> {
        put_field(self.dst, |out| {
            put_numeric(out, text).ok_or_else(|| format!("{text:?} is not a decimal number"))
        })
    }

    /// A field of `pg_type` holding `value` (null for [`Value::Null`]), or why it cannot.
    pub fn value(&mut self, pg_type: PgType, value: &Value) -> std::result::Result<(), String> {
        match value {
            Value::Null => {
                self.null();
                Ok(())
            }
            value => put_field(self.dst, |out| encode_value(pg_type, value, out)),
        }
    }
}

/// Writes `value` as a field of `pg_type`, or says why it cannot be one.
fn encode_value(
    pg_type: PgType,
    value: &Value,
    out: &mut BytesMut,
) -> std::result::Result<(), String> {
    if !pg_type.array {
        return encode_scalar(pg_type.scalar, value, out);
    }
    let Value::Array(items) = value else {
        return Err(format!("{} is not an array", what(value)));
    };
    out.put_i32(1); // one dimension
    out.put_i32(items.iter().any(Value::is_null).into());
    out.put_u32(pg_type.element_oid());
    out.put_i32(i32::try_from(items.len()).map_err(|_| "an array too long")?);
    out.put_i32(1); // the lower bound
    for item in items {
        match item {
            Value::Null => out.put_i32(-1),
            item => put_field(out, |out| encode_scalar(pg_type.scalar, item, out))?,
        }
    }
    Ok(())
}

fn what(value: &Value) -> String {
    match value {
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => format!("a {}", DataType::of(other)),
    }
}

fn encode_scalar(
    scalar: Scalar,
    value: &Value,
    out: &mut BytesMut,
) -> std::result::Result<(), String> {
    let cannot = || format!("{} does not fit", what(value));
    let integer = |value: &Value| match value {
        Value::Int(i) => Some(*i),
        _ => None,
    };
    match scalar {
        Scalar::Bool => match value {
            Value::Bool(b) => out.put_u8(u8::from(*b)),
            _ => return Err(cannot()),
        },
        Scalar::Int2 => out.put_i16(
            integer(value)
                .and_then(|i| i16::try_from(i).ok())
                .ok_or_else(cannot)?,
        ),
        Scalar::Int4 => out.put_i32(
            integer(value)
                .and_then(|i| i32::try_from(i).ok())
                .ok_or_else(cannot)?,
        ),
        Scalar::Oid => out.put_u32(
            integer(value)
                .and_then(|i| u32::try_from(i).ok())
                .ok_or_else(cannot)?,
        ),
        Scalar::Int8 => out.put_i64(integer(value).ok_or_else(cannot)?),
        Scalar::Float4 => {
            if !DataType::Float32.holds(value) {
                return Err(cannot());
            }
            out.put_f32(value.as_f64().ok_or_else(cannot)? as f32)
        }
        Scalar::Float8 => match value {
            Value::Float(f) => out.put_f64(*f),
            Value::Int(i) if DataType::Float64.holds(value) => out.put_f64(*i as f64),
            _ => return Err(cannot()),
        },
        Scalar::Numeric => {
            let text = match value {
                Value::Decimal(d) => d.to_string(),
                Value::Int(i) => i.to_string(),
                Value::BigInt(n) => n.as_str().to_owned(),
                Value::Float(f) if f.is_nan() => {
                    put_numeric_special(out, 0xC000);
                    return Ok(());
                }
                Value::Float(f) if f.is_infinite() => {
                    put_numeric_special(out, if *f > 0.0 { 0xD000 } else { 0xF000 });
                    return Ok(());
                }
                Value::Float(f) => f.to_string(),
                _ => return Err(cannot()),
            };
            put_numeric(out, &text).ok_or_else(cannot)?
        }
        // (Text may hold a NUL, which MySQL takes; PostgreSQL refuses it when it loads it.)
        Scalar::Text | Scalar::Varchar | Scalar::Bpchar | Scalar::Name | Scalar::Char => {
            match value {
                Value::String(s) => out.extend_from_slice(s.as_bytes()),
                Value::Array(_) | Value::Object(_) | Value::Bytes(_) => return Err(cannot()),
                other => {
                    let text = crate::text::to_text(other)?;
                    out.extend_from_slice(text.as_bytes())
                }
            }
        }
        Scalar::Json | Scalar::Jsonb => {
            if scalar == Scalar::Jsonb {
                out.put_u8(1);
            }
            crate::json_text::write_value(value, out).map_err(|e| e.to_string())?
        }
        Scalar::Bytea => match value {
            Value::Bytes(b) => out.extend_from_slice(b),
            _ => return Err(cannot()),
        },
        Scalar::Date => match value {
            Value::Date(d) => out.put_i32(d.days().checked_sub(EPOCH_DAYS).ok_or_else(cannot)?),
            _ => return Err(cannot()),
        },
        Scalar::Time => {
            match value {
                Value::Time(t) => out.put_i64(micros(t.value(), t.unit()).ok_or_else(|| {
                    "a time finer than the microseconds PostgreSQL holds".to_owned()
                })?),
                _ => return Err(cannot()),
            }
        }
        Scalar::Timestamp | Scalar::Timestamptz => match value {
            Value::Timestamp(t) if t.zone().is_some() == (scalar == Scalar::Timestamptz) => {
                let at = micros(t.value(), t.unit()).ok_or_else(|| {
                    "a timestamp finer than the microseconds PostgreSQL holds".to_owned()
                })?;
                out.put_i64(at.checked_sub(EPOCH_MICROS).ok_or_else(cannot)?)
            }
            Value::Timestamp(_) if scalar == Scalar::Timestamptz => {
                return Err("a timestamp without a time zone does not fit".to_owned());
            }
            Value::Timestamp(_) => {
                return Err("a timestamp with a time zone does not fit".to_owned());
            }
            _ => return Err(cannot()),
        },
        Scalar::Interval => match value {
            Value::Duration(d) => {
                out.put_i64(micros(d.value(), d.unit()).ok_or_else(|| {
                    "a duration finer than the microseconds PostgreSQL holds".to_owned()
                })?);
                out.put_i32(0);
                out.put_i32(0);
            }
            _ => return Err(cannot()),
        },
        Scalar::Uuid => {
            let hex: String = value
                .as_str()
                .ok_or_else(cannot)?
                .chars()
                .filter(|c| *c != '-')
                .collect();
            let bytes = (hex.len() == 32)
                .then(|| {
                    (0..16)
                        .map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok())
                        .collect::<Option<Vec<u8>>>()
                })
                .flatten()
                .ok_or("a string that is not a UUID")?;
            out.extend_from_slice(&bytes)
        }
    }
    Ok(())
}

/// `value` steps of `unit` in microseconds, when they are whole ones.
fn micros(value: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Second => value.checked_mul(1_000_000),
        TimeUnit::Millisecond => value.checked_mul(1_000),
        TimeUnit::Microsecond => Some(value),
        TimeUnit::Nanosecond => (value % 1_000 == 0).then_some(value / 1_000),
    }
}

fn put_numeric_special(out: &mut BytesMut, sign: u16) {
    out.put_u16(0);
    out.put_i16(0);
    out.put_u16(sign);
    out.put_u16(0);
}

/// Writes the decimal `text` (`-123.450`) as a `numeric`; `None` when it is not one.
fn put_numeric(out: &mut BytesMut, text: &str) -> Option<()> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let scale = u16::try_from(fraction.len()).ok()?;
    let whole = whole.trim_start_matches('0');
    // Base-10000 groups: the whole part padded on the left, the fraction on the right.
    let pad = (4 - whole.len() % 4) % 4;
    let whole = format!("{}{whole}", "0".repeat(pad));
    let fraction = format!("{fraction}{}", "0".repeat((4 - fraction.len() % 4) % 4));
    let mut groups: Vec<u16> = whole
        .as_bytes()
        .chunks(4)
        .chain(fraction.as_bytes().chunks(4))
        .map(|g| std::str::from_utf8(g).ok()?.parse().ok())
        .collect::<Option<_>>()?;
    let mut weight = i32::try_from(whole.len() / 4).ok()? - 1;
    let leading = groups.iter().take_while(|g| **g == 0).count();
    groups.drain(..leading);
    weight -= leading as i32;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    out.put_u16(u16::try_from(groups.len()).ok()?);
    out.put_i16(i16::try_from(weight).ok()?);
    out.put_u16(if negative && !groups.is_empty() {
        0x4000
    } else {
        0
    });
    out.put_u16(scale);
    for group in groups {
        out.put_u16(group);
    }
    Some(())
}

impl Encoder for PgCopyEncoder {
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        self.refuse_after_failure()?;
        self.records += 1;
        if self.columns.is_some() {
            return self.row(record, self.records, dst);
        }
        self.held.push(record.clone());
        if self.schema.is_some() || self.held.len() >= self.infer_rows {
            self.start_or_fail(dst)?;
        }
        Ok(())
    }

    fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        self.refuse_after_failure()?;
        if self.columns.is_none() {
            self.start_or_fail(dst)?;
        }
        dst.extend_from_slice(TRAILER);
        Ok(())
    }

    fn set_schema(&mut self, schema: &Schema) -> Result<()> {
        if self.columns.is_none() {
            self.schema = Some(schema.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(input: &[u8]) -> Vec<Result<Record>> {
        crate::lines::decode_all(PgCopyDecoder::new(None, 1 << 20), input)
    }

    fn round_trip(records: &[Record]) -> Vec<Record> {
        let mut encoder = PgCopyEncoder::new(1000);
        let mut out = BytesMut::new();
        for record in records {
            encoder.encode(record, &mut out).unwrap();
        }
        encoder.finish(&mut out).unwrap();
        decoded(&out).into_iter().map(Result::unwrap).collect()
    }

    fn record(fields: Vec<(&str, Value)>) -> Record {
        fields.into_iter().collect()
    }

    #[test]
    fn typed_values_round_trip() {
        let zone: Arc<str> = Arc::from("UTC");
        let first = record(vec![
            ("id", Value::Int(-7)),
            ("ok", Value::Bool(true)),
            ("score", Value::Float(2.5)),
            ("price", Value::Decimal(Decimal::new(-1234567, 7, 3))),
            (
                "big",
                Value::Decimal(Decimal::new(12_345_678_901_234_567_890, 20, 0)),
            ),
            ("tiny", Value::Decimal(Decimal::new(5, 5, 5))),
            ("name", Value::from("Ada é")),
            ("blob", Value::Bytes(Bytes::from_static(b"\0\x01\xff"))),
            ("day", Value::Date(Date::from_ymd(1969, 7, 20).unwrap())),
            (
                "at",
                Value::Time(Time::new(49_500_250_000, TimeUnit::Microsecond)),
            ),
            (
                "when",
                Value::Timestamp(Timestamp::new(
                    1_706_708_700_250_000,
                    TimeUnit::Microsecond,
                    None,
                )),
            ),
            (
                "utc",
                Value::Timestamp(Timestamp::new(-1, TimeUnit::Microsecond, Some(zone))),
            ),
            (
                "took",
                Value::Duration(Duration::new(-90_500_000, TimeUnit::Microsecond)),
            ),
            (
                "tags",
                Value::Array(vec![Value::Int(1), Value::Null, Value::Int(3)]),
            ),
            (
                "doc",
                Value::Object(Box::new(record(vec![("a", Value::Array(vec![]))]))),
            ),
        ]);
        let second = record(vec![("id", Value::Int(i64::MAX)), ("name", Value::Null)]);
        let back = round_trip(&[first.clone(), second]);
        assert_eq!(back[0], first);
        assert_eq!(back[1].get("id"), Some(&Value::Int(i64::MAX)));
        assert_eq!(back[1].get("day"), Some(&Value::Null));
    }

    #[test]
    fn numerics_read_exactly() {
        let mut out = BytesMut::new();
        for (text, expected) in [
            ("0", "0"),
            ("-0.000", "0.000"),
            ("10000", "10000"),
            ("0.0001", "0.0001"),
            ("123456789.000000001", "123456789.000000001"),
            ("-99990000.5", "-99990000.5"),
        ] {
            out.clear();
            put_numeric(&mut out, text).unwrap();
            let value = numeric(&out).unwrap();
            assert_eq!(crate::text::to_text(&value).unwrap(), expected, "{text}");
        }
        out.clear();
        let long = format!("1{}.5", "0".repeat(45));
        put_numeric(&mut out, &long).unwrap();
        assert_eq!(numeric(&out).unwrap(), Value::from(long));
    }

    #[test]
    fn framing_errors_have_positions_and_end_the_read() {
        let columns = vec![("n".to_owned(), PgType::named("int4").unwrap())];
        let mut input = header(&columns).unwrap();
        let start = input.len() as u64;
        // A row with an int4 of 3 bytes (recoverable), then a good one, then a bad length.
        input.extend_from_slice(b"\x00\x01\x00\x00\x00\x03abc");
        input.extend_from_slice(b"\x00\x01\x00\x00\x00\x04\x00\x00\x00\x02");
        input.extend_from_slice(b"\x00\x01\xff\xff\xff\xfe");
        let results = decoded(&input);
        let first = results[0].as_ref().unwrap_err();
        assert!(first.is_recoverable(), "{first}");
        assert_eq!(first.position().byte, Some(start + 6));
        assert_eq!(first.position().record, Some(1));
        assert_eq!(results[1].as_ref().unwrap().get("n"), Some(&Value::Int(2)));
        let last = results[2].as_ref().unwrap_err();
        assert!(!last.is_recoverable());
        assert!(last.to_string().contains("a field length of -2"), "{last}");
        assert_eq!(results.len(), 3);

        // No end marker; bytes after it.
        let cut = decoded(&header(&columns).unwrap());
        assert!(
            cut[0]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("end marker")
        );
        let mut after = header(&columns).unwrap();
        after.extend_from_slice(b"\xff\xffjunk");
        let after = decoded(&after);
        assert!(
            after[0]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("bytes after the end marker")
        );
    }

    #[test]
    fn files_without_a_description_need_types() {
        let mut input = SIGNATURE.to_vec();
        input.extend_from_slice(&[0; 8]);
        input.extend_from_slice(b"\x00\x01\x00\x00\x00\x01\x01\xff\xff");
        let error = decoded(&input).remove(0).unwrap_err();
        assert!(error.to_string().contains("-o types="), "{error}");
        let options = FormatOptions::default().with("types", "boolean");
        let decoder = PGCOPY.decoder(&options, 1 << 20).unwrap();
        let mut buf = BytesMut::from(&input[..]);
        let mut decoder = decoder;
        let record = decoder.decode_eof(&mut buf).unwrap().unwrap();
        assert_eq!(record.get("column_1"), Some(&Value::Bool(true)));
    }

    #[test]
    fn later_fields_and_misfits_are_errors_naming_the_record() {
        let mut encoder = PgCopyEncoder::new(1);
        let mut out = BytesMut::new();
        encoder
            .encode(&record(vec![("id", Value::Int(1))]), &mut out)
            .unwrap();
        let error = encoder
            .encode(
                &record(vec![("id", Value::Int(2)), ("x", Value::Int(1))]),
                &mut out,
            )
            .unwrap_err();
        assert_eq!(error.position().record, Some(2));
        assert!(error.to_string().contains("\"x\""), "{error}");
        let error = encoder
            .encode(&record(vec![("id", Value::from("three"))]), &mut out)
            .unwrap_err();
        assert!(error.to_string().contains("field \"id\" (int8)"), "{error}");
        assert_eq!(error.position().record, Some(3));
    }

    #[test]
    fn columns_take_the_type_their_values_share() {
        let records = [
            record(vec![
                ("n", Value::Int(1)),
                ("d", Value::Decimal(Decimal::new(25, 2, 1))),
                ("t", Value::from("a")),
                ("l", Value::Array(vec![])),
                ("j", Value::Array(vec![Value::Int(1), Value::from("x")])),
            ]),
            record(vec![
                ("n", Value::Float(0.5)),
                ("d", Value::Decimal(Decimal::new(100000, 6, 0))),
                ("t", Value::Int(7)),
                ("l", Value::Array(vec![Value::Int(2)])),
                ("x", Value::Null),
            ]),
        ];
        let columns = infer_columns(&records);
        let types: Vec<String> = columns.iter().map(|(n, t)| format!("{n} {t}")).collect();
        assert_eq!(
            types,
            [
                "n float8",
                "d numeric",
                "t text",
                "l int8[]",
                "j jsonb",
                "x text"
            ]
        );
        let back = round_trip(&records);
        assert_eq!(back[1].get("t"), Some(&Value::from("7")));
        assert_eq!(back[0].get("j"), records[0].get("j"));
        let mixed = infer_columns(&[
            record(vec![
                ("a", Value::Int(1)),
                ("b", Value::Array(vec![Value::Int(1)])),
            ]),
            record(vec![
                ("a", Value::Array(vec![Value::Int(1)])),
                ("b", Value::Array(vec![Value::from("x")])),
            ]),
        ]);
        assert_eq!(mixed[0].1.to_string(), "jsonb");
        assert_eq!(mixed[1].1.to_string(), "jsonb");
    }

    #[test]
    fn a_held_record_that_fails_stops_the_writing() {
        // An integer, then bytes, which no column of both can hold as text: held, so the
        // failure comes when the columns are decided, and nothing more may be written.
        let mut encoder = PgCopyEncoder::new(2);
        let mut out = BytesMut::new();
        encoder
            .encode(&record(vec![("n", Value::Int(1))]), &mut out)
            .unwrap();
        let bytes = record(vec![("n", Value::Bytes(Bytes::from_static(b"\x01")))]);
        encoder.encode(&bytes, &mut out).unwrap_err();
        let later = encoder.encode(&record(vec![("n", Value::Int(3))]), &mut out);
        assert!(
            later
                .unwrap_err()
                .to_string()
                .contains("an earlier record failed")
        );
        assert!(encoder.finish(&mut out).is_err());
    }

    #[test]
    fn multidimensional_arrays_nest() {
        let mut field = BytesMut::new();
        field.put_i32(2);
        field.put_i32(0);
        field.put_u32(23);
        for _ in 0..2 {
            field.put_i32(2);
            field.put_i32(1);
        }
        for n in 1..=4 {
            field.put_i32(4);
            field.put_i32(n);
        }
        let mut decoder = PgCopyDecoder::new(None, 1 << 20);
        let value = decoder.array(Scalar::Int4, &field).unwrap();
        let pair = |a, b| Value::Array(vec![Value::Int(a), Value::Int(b)]);
        assert_eq!(value, Value::Array(vec![pair(1, 2), pair(3, 4)]));
    }
}
