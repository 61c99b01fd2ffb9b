//! Writing Avro object container files: the schema given (`-O schema=`, Avro's JSON), told
//! ([`Encoder::set_schema`], a typed source's) or inferred from the first records
//! (`-O infer_rows=N`); the header, then blocks of records in the codec asked for
//! (`-O codec=`), each block's records encoded by apache-avro.
//!
//! A schema made from the records' types keeps them: integers of 32 bits
//! and less as `int`, wider ones as `long`, floats of 32 and 64 bits, decimals (38 digits at
//! most) on `bytes`, dates, times (nanoseconds as microseconds, refused when not whole
//! ones), timestamps with a zone as `timestamp-*` and without as `local-timestamp-*`,
//! durations as Avro's `duration`, lists as arrays, nested records as records, maps as maps;
//! an inferred field, and a field of nothing but nulls (as a string), is a union with null.
//! Avro names are letters, digits and `_`, not starting with a digit: other characters of a
//! field's name become `_` (`first name` is written `first_name`), and two names that
//! become one are an error.
//!
//! With a schema given, each record's fields are matched to the schema's by name (as given,
//! or as an Avro name made of it); a field the schema lacks is an error, never dropped; a
//! field the record lacks takes the schema's default, or null in a union with null. Values
//! are converted where nothing is lost: text to the type a field has (`"42"` to an `int`,
//! `"2024-01-31"` to a `date`, base64 to `bytes`, a symbol to an `enum`), integers to floats
//! that hold them, scalars to text for a `string`, an empty text to null in a union with
//! null and no string; a float written to a `float` field rounds to 32 bits, as the schema
//! asks. A union takes the first of its types that the value is of, else the first that
//! holds it. What does not fit is an error naming the record and the field.

use super::{Codec, FORMAT, MAGIC, check_schema, header_schema};
use crate::compression::CodecKind;
use crate::registry::FormatOptions;
use apache_avro::schema::{
    InnerDecimalSchema, NamesRef, RecordSchema as AvroRecord, ResolvedSchema, Schema, UnionSchema,
    UuidSchema,
};
use apache_avro::types::Value as AvroValue;
use base64::Engine;
use bytes::BytesMut;
use iterable_core::{
    DataType, Encoder, Error, ErrorKind, Field, Position, Record, Result, Schema as RecordSchema,
    TimeUnit, Value,
};
use std::borrow::Cow;
use std::collections::HashMap;

/// Records converted before they are encoded together (apache-avro's writer is made anew for
/// each group).
const GROUP: usize = 256;

/// A block is written once its data (before compression) holds this many bytes.
const BLOCK_BYTES: usize = 1 << 20;

/// The Avro schema records are written in.
struct Target {
    schema: Schema,
    /// Its JSON text, for the header.
    text: String,
    /// The schema is not a record's: each record's `value` field is written.
    wrapped: bool,
}

/// Encodes records as an Avro object container file: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Encoder, Record, Value};
/// use iterable_formats::avro::{AvroDecoder, AvroEncoder};
/// use iterable_formats::FormatOptions;
///
/// let mut encoder = AvroEncoder::new(&FormatOptions::default())?;
/// let mut out = BytesMut::new();
/// let record: Record = [("id", Value::Int(7)), ("name", Value::from("ada"))].into_iter().collect();
/// encoder.encode(&record, &mut out)?;
/// encoder.finish(&mut out)?;
/// let mut decoder = AvroDecoder::new(1 << 20);
/// assert_eq!(decoder.decode_eof(&mut out)?, Some(record));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct AvroEncoder {
    codec: Codec,
    level: Option<i32>,
    infer_rows: usize,
    target: Option<Target>,
    /// The records' schema: told, or being inferred while `target` is not made.
    schema: Option<RecordSchema>,
    /// Whether the schema was told (or given as Avro's) rather than inferred.
    given: bool,
    /// Records held while the schema is inferred.
    pending: Vec<Record>,
    /// Records converted and not yet encoded.
    group: Vec<AvroValue>,
    /// The block being filled, before compression, and its records.
    block: Vec<u8>,
    block_records: u64,
    /// Records taken so far.
    records: u64,
    /// Whether the header is written.
    started: bool,
    sync: [u8; 16],
}

impl std::fmt::Debug for AvroEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroEncoder")
            .field("codec", &self.codec)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl AvroEncoder {
    /// An encoder taking Avro's write options (`codec`, `schema`, `infer_rows`).
    pub fn new(options: &FormatOptions) -> Result<AvroEncoder> {
        options.check(FORMAT, super::WRITE_OPTIONS)?;
        let (codec, level) = options
            .parsed(
                FORMAT,
                "codec",
                "null, deflate, snappy, zstandard, bzip2 or xz, maybe with a level: deflate(9)",
                codec_and_level,
            )?
            .unwrap_or((Codec::Deflate, None));
        let stream = match codec {
            Codec::Stream(kind) => Some(kind),
            Codec::Deflate => Some(CodecKind::Deflate),
            Codec::Null | Codec::Snappy => None,
        };
        if let Some(kind) = stream
            && !kind.is_built()
        {
            return Err(kind.not_built().with_format(FORMAT));
        }
        let infer_rows = options
            .parsed(FORMAT, "infer_rows", "a count of records", |v| {
                v.parse::<usize>().ok()
            })?
            .unwrap_or(10_000);
        let target = match options.get("schema") {
            Some(text) => Some(given_schema(text)?),
            None => None,
        };
        Ok(AvroEncoder {
            codec,
            level,
            infer_rows: infer_rows.max(1),
            given: target.is_some(),
            target,
            schema: None,
            pending: Vec::new(),
            group: Vec::new(),
            block: Vec::new(),
            block_records: 0,
            records: 0,
            started: false,
            sync: sync_marker(),
        })
    }

    /// Makes the Avro schema of the records' (told, inferred, or none), writes the header and
    /// the records held while inferring.
    fn start(&mut self, dst: &mut BytesMut) -> Result<()> {
        if self.target.is_none() {
            let schema = self.schema.take().unwrap_or_default();
            let text = avro_schema(&schema, !self.given).map_err(|e| e.with_format(FORMAT))?;
            let schema = Schema::parse_str(&text).map_err(|e| {
                Error::new(ErrorKind::InvalidRecord, format!("the schema made: {e}"))
                    .with_format(FORMAT)
            })?;
            self.target = Some(Target {
                schema,
                text,
                wrapped: false,
            });
        }
        self.write_header(dst)?;
        self.started = true;
        let first = self.records - self.pending.len() as u64 + 1;
        for (index, record) in (first..).zip(std::mem::take(&mut self.pending)) {
            self.convert(&record, index)?;
        }
        self.write_group()?;
        Ok(())
    }

    fn write_header(&self, dst: &mut BytesMut) -> Result<()> {
        let target = self.target.as_ref().expect("made");
        let meta = HashMap::from([
            (
                "avro.schema".to_owned(),
                AvroValue::Bytes(target.text.as_bytes().to_vec()),
            ),
            (
                "avro.codec".to_owned(),
                AvroValue::Bytes(self.codec.name().as_bytes().to_vec()),
            ),
        ]);
        let header = AvroValue::Record(vec![
            ("magic".into(), AvroValue::Fixed(4, MAGIC.to_vec())),
            ("meta".into(), AvroValue::Map(meta)),
            ("sync".into(), AvroValue::Fixed(16, self.sync.to_vec())),
        ]);
        let bytes = apache_avro::writer::datum::GenericDatumWriter::builder(header_schema())
            .build()
            .and_then(|writer| writer.write_value_to_vec(header))
            .map_err(|e| write_error(e.to_string()))?;
        dst.extend_from_slice(&bytes);
        Ok(())
    }

    /// Converts record number `index` into the group to encode.
    fn convert(&mut self, record: &Record, index: u64) -> Result<()> {
        let target = self.target.as_ref().expect("made");
        let at = Position {
            record: Some(index),
            ..Position::default()
        };
        let resolved = ResolvedSchema::try_from(&target.schema).map_err(|e| {
            write_error(format!("the schema: {e}"))
                .with_format(FORMAT)
                .at(at)
        })?;
        let names = resolved.get_names();
        let converted = if target.wrapped {
            let mut rest = record.iter().filter(|(name, _)| *name != "value");
            match rest.next() {
                Some((name, _)) => Err(Mismatch::at(
                    name,
                    "is not `value`, the one field a file of a schema that is not a record has"
                        .into(),
                )),
                None => to_avro(
                    record.get("value").unwrap_or(&Value::Null),
                    &target.schema,
                    names,
                )
                .map_err(|e| e.within("value")),
            }
        } else {
            match &target.schema {
                Schema::Record(schema) => to_record(record, schema, names),
                other => Err(cannot(&Value::Object(Box::default()), other)),
            }
        };
        let value = converted.map_err(|mismatch| {
            let mut message = mismatch.to_string();
            if !self.given && index > self.infer_rows as u64 {
                message.push_str(&format!(
                    " (the schema was inferred from the first {} records: raise -O infer_rows, or give one with -O schema=)",
                    self.infer_rows
                ));
            }
            Error::new(ErrorKind::InvalidRecord, message)
                .with_format(FORMAT)
                .at(at)
        })?;
        self.group.push(value);
        if self.group.len() >= GROUP {
            self.write_group()?;
        }
        Ok(())
    }

    /// Encodes the converted records into the block.
    fn write_group(&mut self) -> Result<()> {
        if self.group.is_empty() {
            return Ok(());
        }
        let target = self.target.as_ref().expect("made");
        let writer = apache_avro::writer::datum::GenericDatumWriter::builder(&target.schema)
            .validate(false)
            .build()
            .map_err(|e| write_error(e.to_string()))?;
        for value in self.group.drain(..) {
            writer
                .write_value_ref(&mut self.block, &value)
                .map_err(|e| write_error(e.to_string()))?;
            self.block_records += 1;
        }
        Ok(())
    }

    /// Writes the block (count, size, data in the codec, sync marker) when it holds records.
    fn write_block(&mut self, dst: &mut BytesMut) -> Result<()> {
        self.write_group()?;
        if self.block_records == 0 {
            return Ok(());
        }
        let data = compress(self.codec, self.level, &self.block)?;
        let mut head = Vec::with_capacity(20);
        write_long(&mut head, self.block_records as i64);
        write_long(&mut head, data.len() as i64);
        dst.extend_from_slice(&head);
        dst.extend_from_slice(&data);
        dst.extend_from_slice(&self.sync);
        self.block.clear();
        self.block_records = 0;
        Ok(())
    }
}

impl Encoder for AvroEncoder {
    fn set_schema(&mut self, schema: &RecordSchema) -> Result<()> {
        if !self.given && self.records == 0 {
            self.schema = Some(schema.clone());
            self.given = true;
        }
        Ok(())
    }

    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        let index = self.records + 1;
        if !self.started && !self.given {
            self.schema
                .get_or_insert_with(RecordSchema::default)
                .widen(record, index)
                .map_err(|e| e.with_format(FORMAT))?;
            self.pending.push(record.clone());
            self.records = index;
            if self.pending.len() >= self.infer_rows {
                self.start(dst)?;
            }
            return Ok(());
        }
        if !self.started {
            self.start(dst)?;
        }
        self.records = index;
        self.convert(record, index)?;
        if self.block.len() >= BLOCK_BYTES {
            self.write_block(dst)?;
        }
        Ok(())
    }

    fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        if !self.started {
            self.start(dst)?;
        }
        self.write_block(dst)
    }
}

/// The header's codec name and a level, from `-O codec=` text (`deflate(9)`).
fn codec_and_level(text: &str) -> Option<(Codec, Option<i32>)> {
    let (name, level) = match text.split_once('(') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(')')?.trim().parse().ok()?)),
        None => (text, None),
    };
    Some((Codec::named(name.trim())?, level))
}

/// An Avro schema given as its JSON text (`-O schema=`).
fn given_schema(text: &str) -> Result<Target> {
    let bad = |why: String| {
        Error::new(
            ErrorKind::InvalidRecord,
            format!("{FORMAT} option schema: {why}"),
        )
    };
    if !text.trim_start().starts_with(['{', '[', '"']) {
        return Err(bad(format!(
            "{:?} is not a schema's JSON (on the command line, -O schema=@FILE reads it from FILE)",
            text.chars().take(40).collect::<String>()
        )));
    }
    let schema = Schema::parse_str(text).map_err(|e| bad(e.to_string()))?;
    check_schema(&schema).map_err(bad)?;
    Ok(Target {
        wrapped: !matches!(schema, Schema::Record(_)),
        schema,
        text: text.to_owned(),
    })
}

/// A sync marker: 16 bytes that differ from file to file.
fn sync_marker() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let mut marker = [0; 16];
    for (i, half) in marker.chunks_mut(8).enumerate() {
        let mut hasher = state.build_hasher();
        hasher.write_usize(i);
        half.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    marker
}

fn write_error(message: String) -> Error {
    Error::new(ErrorKind::InvalidRecord, message).with_format(FORMAT)
}

/// A zigzag varint long, as Avro writes counts and sizes.
fn write_long(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A block's data in `codec`.
fn compress(codec: Codec, level: Option<i32>, data: &[u8]) -> Result<Cow<'_, [u8]>> {
    match codec {
        Codec::Null => Ok(Cow::Borrowed(data)),
        // Raw deflate, as Avro's blocks have it.
        Codec::Deflate => compress(Codec::Stream(CodecKind::Deflate), level, data),
        Codec::Snappy => snappy(data),
        Codec::Stream(kind) => {
            let out = super::through(kind.compressor(level, "")?, data, usize::MAX);
            Ok(Cow::Owned(out.expect("no limit")?))
        }
    }
}

#[cfg(feature = "snappy")]
fn snappy(data: &[u8]) -> Result<Cow<'_, [u8]>> {
    let mut out = snap::raw::Encoder::new()
        .compress_vec(data)
        .map_err(|e| write_error(format!("snappy: {e}")))?;
    let mut hasher = flate2::Crc::new();
    hasher.update(data);
    out.extend_from_slice(&hasher.sum().to_be_bytes());
    Ok(Cow::Owned(out))
}

#[cfg(not(feature = "snappy"))]
fn snappy(_data: &[u8]) -> Result<Cow<'_, [u8]>> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "snappy blocks, and this build has no snappy (cargo feature `snappy`)",
    )
    .with_format(FORMAT))
}

/// The Avro schema (JSON text) of records of `schema`: see the [module](self). Every field is
/// nullable when `inferred`.
fn avro_schema(schema: &RecordSchema, inferred: bool) -> Result<String> {
    let mut names = TypeNames::default();
    // The top record's name, taken: a nested record called `record` is `record_2`.
    names.unique("record");
    let fields = fields_json(schema.fields(), inferred, &mut names)?;
    Ok(format!(
        r#"{{"type":"record","name":"record","fields":[{fields}]}}"#
    ))
}

/// The names of the named types made so far (records, fixed), each made unique.
#[derive(Default)]
struct TypeNames(HashMap<String, usize>);

impl TypeNames {
    fn unique(&mut self, name: &str) -> String {
        let count = self.0.entry(name.to_owned()).or_default();
        *count += 1;
        match *count {
            1 => name.to_owned(),
            n => format!("{name}_{n}"),
        }
    }
}

fn fields_json(fields: &[Field], inferred: bool, names: &mut TypeNames) -> Result<String> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        let name = avro_name(&field.name).into_owned();
        if let Some(other) = seen.insert(name.clone(), &field.name) {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "the fields {other:?} and {:?} have one Avro name, {name}",
                    field.name
                ),
            ));
        }
        let data_type = field_json(field, inferred, &name, names)?;
        let default = if data_type.starts_with("[\"null\"") {
            r#","default":null"#
        } else {
            ""
        };
        out.push(format!(
            r#"{{"name":"{name}","type":{data_type}{default}}}"#
        ));
    }
    Ok(out.join(","))
}

/// A field's type, in a union with null when it is nullable.
fn field_json(field: &Field, inferred: bool, name: &str, names: &mut TypeNames) -> Result<String> {
    let data_type = type_json(&field.data_type, inferred, name, names)?;
    Ok(
        if field.nullable || inferred || field.data_type == DataType::Null {
            format!(r#"["null",{data_type}]"#)
        } else {
            data_type
        },
    )
}

fn type_json(
    data_type: &DataType,
    inferred: bool,
    name: &str,
    names: &mut TypeNames,
) -> Result<String> {
    use DataType as T;
    let logical =
        |base: &str, logical: &str| format!(r#"{{"type":"{base}","logicalType":"{logical}"}}"#);
    Ok(match data_type {
        // Nothing but nulls: most often text that was missing.
        T::Null | T::String => r#""string""#.into(),
        T::Bool => r#""boolean""#.into(),
        T::Int8 | T::Int16 | T::Int32 | T::UInt8 | T::UInt16 => r#""int""#.into(),
        T::Int64 | T::UInt32 | T::UInt64 => r#""long""#.into(),
        T::Float32 => r#""float""#.into(),
        T::Float64 => r#""double""#.into(),
        T::Decimal { precision, scale } => {
            // A negative scale is written at scale 0, its digits widened to hold the zeros.
            let (precision, scale) = match *scale {
                s if s < 0 => (u32::from(*precision) + s.unsigned_abs() as u32, 0),
                s => (u32::from(*precision), s as u32),
            };
            if precision > 38 {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "field {name:?}: decimals of more than 38 digits are not written to Avro yet"
                    ),
                ));
            }
            format!(
                r#"{{"type":"bytes","logicalType":"decimal","precision":{precision},"scale":{scale}}}"#
            )
        }
        T::Binary => r#""bytes""#.into(),
        T::Date => logical("int", "date"),
        T::Time(TimeUnit::Second | TimeUnit::Millisecond) => logical("int", "time-millis"),
        T::Time(_) => logical("long", "time-micros"),
        T::Timestamp(unit, zone) => {
            let local = if zone.is_some() { "" } else { "local-" };
            let unit = match unit {
                TimeUnit::Second | TimeUnit::Millisecond => "millis",
                TimeUnit::Microsecond => "micros",
                TimeUnit::Nanosecond => "nanos",
            };
            logical("long", &format!("{local}timestamp-{unit}"))
        }
        T::Duration(_) => format!(
            r#"{{"type":"fixed","name":"{}","size":12,"logicalType":"duration"}}"#,
            names.unique(&format!("{name}_duration"))
        ),
        T::List(item) => format!(
            r#"{{"type":"array","items":{}}}"#,
            field_json(item, inferred, name, names)?
        ),
        T::Map(_, value) => format!(
            r#"{{"type":"map","values":{}}}"#,
            field_json(value, inferred, name, names)?
        ),
        T::Struct(fields) => format!(
            r#"{{"type":"record","name":"{}","fields":[{}]}}"#,
            names.unique(name),
            fields_json(fields, inferred, names)?
        ),
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("field {name:?}: {other} is not written to Avro"),
            ));
        }
    })
}

/// `name` as an Avro name: letters, digits and `_`, not starting with a digit.
fn avro_name(name: &str) -> Cow<'_, str> {
    let valid =
        |i: usize, c: char| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit());
    if !name.is_empty() && name.chars().enumerate().all(|(i, c)| valid(i, c)) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 1);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    out.extend(name.chars().map(|c| {
        if c == '_' || c.is_ascii_alphanumeric() {
            c
        } else {
            '_'
        }
    }));
    Cow::Owned(out)
}

/// Why a value does not fit its schema, and where in the record.
#[derive(Debug)]
struct Mismatch {
    /// The path to the value, innermost last once reversed (`["b", "a"]` is `a.b`).
    path: Vec<String>,
    why: String,
}

impl Mismatch {
    fn new(why: String) -> Mismatch {
        Mismatch {
            path: Vec::new(),
            why,
        }
    }

    fn at(name: &str, why: String) -> Mismatch {
        Mismatch {
            path: vec![name.to_owned()],
            why,
        }
    }

    fn within(mut self, name: &str) -> Mismatch {
        self.path.push(name.to_owned());
        self
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path: Vec<&str> = self.path.iter().rev().map(String::as_str).collect();
        match path.is_empty() {
            true => write!(f, "the record {}", self.why),
            false => write!(f, "field {:?} {}", path.join("."), self.why),
        }
    }
}

/// What a value is, in an error.
fn what(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) if s.is_empty() => "an empty string".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        other => format!("a {}", DataType::of(other)),
    }
}

/// An Avro type's name, in an error.
fn kind(schema: &Schema) -> String {
    match schema {
        Schema::Record(r) => format!("record {}", r.name.name()),
        Schema::Enum(e) => format!("enum {}", e.name.name()),
        Schema::Fixed(f) => format!("fixed({})", f.size),
        Schema::Decimal(d) => format!("decimal({}, {})", d.precision, d.scale),
        Schema::Union(u) => {
            let kinds: Vec<String> = u.variants().iter().map(kind).collect();
            format!("[{}]", kinds.join(", "))
        }
        Schema::Ref { name } => name.name().to_owned(),
        other => format!("{:?}", apache_avro::schema::SchemaKind::from(other)).to_lowercase(),
    }
}

fn cannot(value: &Value, schema: &Schema) -> Mismatch {
    Mismatch::new(format!(
        "holds {}, which {} cannot hold",
        what(value),
        kind(schema)
    ))
}

/// `value` as the Avro value of `schema`: see the [module](self).
fn to_avro(
    value: &Value,
    schema: &Schema,
    names: &NamesRef<'_>,
) -> std::result::Result<AvroValue, Mismatch> {
    let schema = resolve(schema, names)?;
    let text = value.as_str().map(str::trim);
    let parsed = |what: &str| {
        Mismatch::new(format!(
            "holds {:?}, which is not {what}",
            value_text(value)
        ))
    };
    Ok(match (schema, value) {
        (Schema::Union(union), _) => return to_union(value, union, names),
        (Schema::Null, Value::Null) => AvroValue::Null,
        (Schema::Boolean, Value::Bool(b)) => AvroValue::Boolean(*b),
        (Schema::Boolean, Value::String(_)) => match text {
            Some("true") => AvroValue::Boolean(true),
            Some("false") => AvroValue::Boolean(false),
            _ => return Err(parsed("true or false")),
        },
        (Schema::Int, Value::Int(n)) => AvroValue::Int(
            i32::try_from(*n)
                .map_err(|_| Mismatch::new(format!("holds {n}, beyond an int's 32 bits")))?,
        ),
        (Schema::Int, Value::String(_)) => AvroValue::Int(
            text.and_then(|t| t.parse().ok())
                .ok_or_else(|| parsed("an int"))?,
        ),
        (Schema::Long, Value::Int(n)) => AvroValue::Long(*n),
        (Schema::Long, Value::String(_)) => AvroValue::Long(
            text.and_then(|t| t.parse().ok())
                .ok_or_else(|| parsed("a long"))?,
        ),
        (Schema::Float, Value::Float(f)) => AvroValue::Float(float32(*f)?),
        (Schema::Float, Value::Int(n)) if n.unsigned_abs() <= 1 << 24 => {
            AvroValue::Float(*n as f32)
        }
        (Schema::Float, Value::String(_)) => AvroValue::Float(float32(
            text.and_then(|t| t.parse().ok())
                .ok_or_else(|| parsed("a number"))?,
        )?),
        (Schema::Double, Value::Float(f)) => AvroValue::Double(*f),
        (Schema::Double, Value::Int(n)) if n.unsigned_abs() <= 1 << 53 => {
            AvroValue::Double(*n as f64)
        }
        (Schema::Double, Value::String(_)) => AvroValue::Double(
            text.and_then(|t| t.parse().ok())
                .ok_or_else(|| parsed("a number"))?,
        ),
        (Schema::Bytes, Value::Bytes(b)) => AvroValue::Bytes(b.to_vec()),
        (Schema::Bytes, Value::String(s)) => {
            AvroValue::Bytes(base64(s).ok_or_else(|| parsed("base64"))?)
        }
        (Schema::Fixed(fixed), Value::Bytes(_) | Value::String(_)) => {
            let bytes = match value {
                Value::Bytes(b) => b.to_vec(),
                _ => base64(text.unwrap_or_default()).ok_or_else(|| parsed("base64"))?,
            };
            if bytes.len() != fixed.size {
                return Err(Mismatch::new(format!(
                    "holds {} bytes, and {} holds {}",
                    bytes.len(),
                    kind(schema),
                    fixed.size
                )));
            }
            AvroValue::Fixed(fixed.size, bytes)
        }
        (Schema::String, _) => {
            AvroValue::String(as_text(value).ok_or_else(|| cannot(value, schema))?)
        }
        (Schema::Enum(e), Value::String(s)) => match e.symbols.iter().position(|x| x == s.as_str())
        {
            Some(i) => AvroValue::Enum(i as u32, s.to_string()),
            None => {
                return Err(Mismatch::new(format!(
                    "holds {s:?}, not a symbol of {} ({})",
                    kind(schema),
                    e.symbols.join(", ")
                )));
            }
        },
        (Schema::Uuid(inner), Value::String(_) | Value::Bytes(_)) => {
            let uuid = match value {
                Value::Bytes(b) => apache_avro::Uuid::from_slice(b).ok(),
                _ => text.and_then(|t| apache_avro::Uuid::parse_str(t).ok()),
            };
            let uuid = uuid.ok_or_else(|| parsed("a UUID"))?;
            match inner {
                UuidSchema::String => AvroValue::String(uuid.to_string()),
                _ => AvroValue::Uuid(uuid),
            }
        }
        (Schema::Date, Value::Date(d)) => AvroValue::Date(d.days()),
        (Schema::TimeMillis, Value::Time(t)) => {
            let ms = rescale(t.value(), t.unit(), TimeUnit::Millisecond)
                .and_then(|ms| i32::try_from(ms).ok())
                .ok_or_else(|| Mismatch::new(format!("holds {t}, not whole milliseconds")))?;
            AvroValue::TimeMillis(ms)
        }
        (Schema::TimeMicros, Value::Time(t)) => AvroValue::TimeMicros(
            rescale(t.value(), t.unit(), TimeUnit::Microsecond)
                .ok_or_else(|| Mismatch::new(format!("holds {t}, not whole microseconds")))?,
        ),
        (
            Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos,
            Value::Timestamp(t),
        ) => timestamp(t, schema)?,
        (
            Schema::Date
            | Schema::TimeMillis
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos,
            Value::String(_),
        ) => {
            let typed = text
                .and_then(|t| t.parse::<toml::value::Datetime>().ok())
                .map(|d| crate::toml::datetime_of(&d, &std::sync::Arc::from("UTC")))
                .filter(|v| !matches!(v, Value::String(_)))
                .ok_or_else(|| parsed(&format!("a {}", kind(schema))))?;
            return to_avro(&typed, schema, names);
        }
        (Schema::Decimal(decimal), Value::Decimal(_) | Value::Int(_) | Value::String(_)) => {
            let unscaled = match value {
                Value::Decimal(d) => rescale_decimal(d.unscaled(), d.scale(), decimal.scale),
                Value::Int(n) => rescale_decimal(i128::from(*n), 0, decimal.scale),
                _ => text
                    .and_then(|t| {
                        i8::try_from(decimal.scale)
                            .ok()
                            .and_then(|s| iterable_core::unscaled_digits(t, s))
                    })
                    .and_then(|digits| digits.parse::<i128>().ok()),
            }
            .filter(|n| n.unsigned_abs().to_string().len() <= decimal.precision)
            .ok_or_else(|| {
                Mismatch::new(format!(
                    "holds {}, which {} cannot hold exactly",
                    value_text(value),
                    kind(schema)
                ))
            })?;
            let bytes = twos_complement(unscaled);
            if let InnerDecimalSchema::Fixed(fixed) = &decimal.inner
                && bytes.len() > fixed.size
            {
                return Err(Mismatch::new(format!(
                    "holds {}, wider than the {} bytes of {}",
                    value_text(value),
                    fixed.size,
                    kind(schema)
                )));
            }
            AvroValue::Decimal(apache_avro::Decimal::from(bytes))
        }
        (Schema::Duration(_), Value::Duration(d)) => {
            let ms = rescale(d.value(), d.unit(), TimeUnit::Millisecond)
                .filter(|ms| *ms >= 0)
                .ok_or_else(|| {
                    Mismatch::new(format!("holds {d}, not whole milliseconds of 0 or more"))
                })?;
            let (days, ms) = (ms / 86_400_000, ms % 86_400_000);
            duration(0, days, ms).ok_or_else(|| {
                Mismatch::new(format!("holds {d}, beyond a duration's 32-bit days"))
            })?
        }
        (Schema::Duration(_), Value::Object(parts)) => {
            let part = |name: &str| parts.get(name).and_then(Value::as_i64).unwrap_or(0);
            if parts.iter().any(|(name, v)| {
                !matches!(name, "months" | "days" | "milliseconds") || v.as_i64().is_none()
            }) {
                return Err(Mismatch::new(
                    "holds an object that is not months, days and milliseconds".into(),
                ));
            }
            duration(part("months"), part("days"), part("milliseconds")).ok_or_else(|| {
                Mismatch::new("holds a duration whose parts are not 32-bit counts".into())
            })?
        }
        (Schema::Array(array), Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(to_avro(item, &array.items, names).map_err(|e| e.within(&i.to_string()))?);
            }
            AvroValue::Array(out)
        }
        (Schema::Map(map), Value::Object(entries)) => {
            let mut out = HashMap::with_capacity(entries.len());
            for (key, item) in entries.iter() {
                out.insert(
                    key.to_owned(),
                    to_avro(item, &map.types, names).map_err(|e| e.within(key))?,
                );
            }
            AvroValue::Map(out)
        }
        (Schema::Record(record), Value::Object(fields)) => to_record(fields, record, names)?,
        _ => return Err(cannot(value, schema)),
    })
}

fn resolve<'s>(
    schema: &'s Schema,
    names: &NamesRef<'s>,
) -> std::result::Result<&'s Schema, Mismatch> {
    match schema {
        Schema::Ref { name } => names.get(name).copied().ok_or_else(|| {
            Mismatch::new(format!(
                "has the type {name}, which the schema does not define"
            ))
        }),
        schema => Ok(schema),
    }
}

fn to_record(
    record: &Record,
    schema: &AvroRecord,
    names: &NamesRef<'_>,
) -> std::result::Result<AvroValue, Mismatch> {
    let mut slots: Vec<Option<&Value>> = vec![None; schema.fields.len()];
    for (name, value) in record.iter() {
        let index = schema.lookup.get(name).or_else(|| match avro_name(name) {
            Cow::Owned(avro) => schema.lookup.get(&avro),
            Cow::Borrowed(_) => None,
        });
        let Some(&index) = index else {
            return Err(Mismatch::at(
                name,
                format!(
                    "is not a field of record {} in the schema",
                    schema.name.name()
                ),
            ));
        };
        if slots[index].replace(value).is_some() {
            return Err(Mismatch::at(
                name,
                format!("and another field are both {}", schema.fields[index].name),
            ));
        }
    }
    let mut fields = Vec::with_capacity(slots.len());
    for (field, slot) in schema.fields.iter().zip(slots) {
        let value = match (slot, &field.default) {
            (Some(value), _) => to_avro(value, &field.schema, names),
            (None, Some(default)) => AvroValue::try_from(default.clone())
                .and_then(|v| v.resolve(&field.schema))
                .map_err(|e| {
                    Mismatch::new(format!("is missing, and its default does not fit: {e}"))
                }),
            (None, None) => to_avro(&Value::Null, &field.schema, names).map_err(|_| {
                Mismatch::new(format!(
                    "is missing, and {} has no default nor null",
                    kind(&field.schema)
                ))
            }),
        };
        fields.push((
            field.name.clone(),
            value.map_err(|e| e.within(&field.name))?,
        ));
    }
    Ok(AvroValue::Record(fields))
}

/// A union's value: the first branch the value is of, else the first that holds it.
fn to_union(
    value: &Value,
    union: &UnionSchema,
    names: &NamesRef<'_>,
) -> std::result::Result<AvroValue, Mismatch> {
    let variants = union.variants();
    let null = variants.iter().position(|v| matches!(v, Schema::Null));
    let wrap = |i: usize, v: AvroValue| AvroValue::Union(i as u32, Box::new(v));
    if value.is_null() {
        return match null {
            Some(i) => Ok(wrap(i, AvroValue::Null)),
            None => Err(cannot(value, &Schema::Union(union.clone()))),
        };
    }
    let mut first_error = None;
    for natural in [true, false] {
        for (i, variant) in variants.iter().enumerate() {
            let Ok(variant) = resolve(variant, names) else {
                continue;
            };
            if is_of(value, variant) != natural || matches!(variant, Schema::Null) {
                continue;
            }
            match to_avro(value, variant, names) {
                Ok(v) => return Ok(wrap(i, v)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    // An empty text (a CSV field) is null where no type takes text.
    if let (Some(i), Some("")) = (null, value.as_str()) {
        return Ok(wrap(i, AvroValue::Null));
    }
    Err(match first_error {
        Some(e) if variants.len() <= 2 => e,
        _ => cannot(value, &Schema::Union(union.clone())),
    })
}

/// True when `value` is of the kind of `schema` (before any conversion).
fn is_of(value: &Value, schema: &Schema) -> bool {
    use Schema as S;
    matches!(
        (value, schema),
        (Value::Bool(_), S::Boolean)
            | (Value::Int(_), S::Int | S::Long)
            | (Value::Float(_), S::Float | S::Double)
            | (Value::String(_), S::String | S::Enum(_) | S::Uuid(_))
            | (Value::Bytes(_), S::Bytes | S::Fixed(_))
            | (Value::Array(_), S::Array(_))
            | (Value::Object(_), S::Record(_) | S::Map(_) | S::Duration(_))
            | (Value::Date(_), S::Date)
            | (Value::Time(_), S::TimeMillis | S::TimeMicros)
            | (
                Value::Timestamp(_),
                S::TimestampMillis
                    | S::TimestampMicros
                    | S::TimestampNanos
                    | S::LocalTimestampMillis
                    | S::LocalTimestampMicros
                    | S::LocalTimestampNanos
            )
            | (Value::Duration(_), S::Duration(_))
            | (Value::Decimal(_), S::Decimal(_))
    )
}

fn timestamp(
    t: &iterable_core::Timestamp,
    schema: &Schema,
) -> std::result::Result<AvroValue, Mismatch> {
    use Schema as S;
    let local = matches!(
        schema,
        S::LocalTimestampMillis | S::LocalTimestampMicros | S::LocalTimestampNanos
    );
    if local == t.zone().is_some() {
        let why = match local {
            true => format!(
                "holds {t}, a timestamp with a time zone, which {} (without one) cannot hold",
                kind(schema)
            ),
            false => format!(
                "holds {t}, a timestamp without a time zone, which {} (in UTC) cannot hold",
                kind(schema)
            ),
        };
        return Err(Mismatch::new(why));
    }
    let unit = match schema {
        S::TimestampMillis | S::LocalTimestampMillis => TimeUnit::Millisecond,
        S::TimestampMicros | S::LocalTimestampMicros => TimeUnit::Microsecond,
        _ => TimeUnit::Nanosecond,
    };
    let n = rescale(t.value(), t.unit(), unit).ok_or_else(|| {
        Mismatch::new(format!(
            "holds {t}, which {} cannot hold exactly",
            kind(schema)
        ))
    })?;
    Ok(match schema {
        S::TimestampMillis => AvroValue::TimestampMillis(n),
        S::TimestampMicros => AvroValue::TimestampMicros(n),
        S::TimestampNanos => AvroValue::TimestampNanos(n),
        S::LocalTimestampMillis => AvroValue::LocalTimestampMillis(n),
        S::LocalTimestampMicros => AvroValue::LocalTimestampMicros(n),
        _ => AvroValue::LocalTimestampNanos(n),
    })
}

/// `value` steps of `from` in steps of `to`, when exact and within 64 bits.
fn rescale(value: i64, from: TimeUnit, to: TimeUnit) -> Option<i64> {
    let scaled = i128::from(value) * i128::from(to.per_second());
    let per = i128::from(from.per_second());
    (scaled % per == 0)
        .then(|| i64::try_from(scaled / per).ok())
        .flatten()
}

/// An unscaled decimal at `scale` given at `from`, when exact.
fn rescale_decimal(unscaled: i128, from: i8, scale: usize) -> Option<i128> {
    let shift = i64::try_from(scale).ok()? - i64::from(from);
    let ten = |n: i64| 10i128.checked_pow(u32::try_from(n).ok()?);
    match shift {
        0 => Some(unscaled),
        s if s > 0 => unscaled.checked_mul(ten(s)?),
        s => {
            let divisor = ten(-s)?;
            (unscaled % divisor == 0).then(|| unscaled / divisor)
        }
    }
}

/// The fewest big-endian two's-complement bytes of `n`.
fn twos_complement(n: i128) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let sign = if n < 0 { 0xff } else { 0 };
    let start = bytes
        .windows(2)
        .take_while(|pair| pair[0] == sign && (pair[1] & 0x80 != 0) == (n < 0))
        .count();
    bytes[start..].to_vec()
}

fn duration(months: i64, days: i64, ms: i64) -> Option<AvroValue> {
    Some(AvroValue::Duration(apache_avro::Duration::new(
        apache_avro::Months::new(u32::try_from(months).ok()?),
        apache_avro::Days::new(u32::try_from(days).ok()?),
        apache_avro::Millis::new(u32::try_from(ms).ok()?),
    )))
}

/// A float as 32 bits: rounded, but not past the range of 32 bits.
fn float32(f: f64) -> std::result::Result<f32, Mismatch> {
    let narrow = f as f32;
    if narrow.is_infinite() && f.is_finite() {
        return Err(Mismatch::new(format!(
            "holds {f}, beyond a float's 32 bits"
        )));
    }
    Ok(narrow)
}

fn base64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}

/// A scalar's text, for a `string` field: `None` for arrays, objects and null.
fn as_text(value: &Value) -> Option<String> {
    Some(match value {
        Value::String(s) => s.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::BigInt(n) => n.as_str().to_owned(),
        Value::Float(f) => ryu::Buffer::new().format(*f).to_owned(),
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Null | Value::Array(_) | Value::Object(_) => return None,
        typed => typed.typed_text()?,
    })
}

/// A value as it appears in an error.
fn value_text(value: &Value) -> String {
    as_text(value).unwrap_or_else(|| what(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::AvroDecoder;
    use crate::lines::decode_all;
    use iterable_core::{Date, Decimal, Decoder, Time, Timestamp};
    use std::sync::Arc;

    fn write(options: &[(&str, &str)], records: &[Record]) -> Result<BytesMut> {
        let options: FormatOptions = options.iter().copied().collect();
        let mut encoder = AvroEncoder::new(&options)?;
        let mut out = BytesMut::new();
        for record in records {
            encoder.encode(record, &mut out)?;
        }
        encoder.finish(&mut out)?;
        Ok(out)
    }

    fn read(bytes: &[u8]) -> Vec<Record> {
        decode_all(AvroDecoder::new(1 << 26), bytes)
            .into_iter()
            .map(|r| r.unwrap())
            .collect()
    }

    fn record(fields: &[(&str, Value)]) -> Record {
        fields.iter().cloned().collect()
    }

    #[test]
    fn typed_values_read_back_as_they_were_in_every_codec() {
        let utc: Arc<str> = Arc::from("UTC");
        let records: Vec<Record> = (0..3000)
            .map(|i| {
                record(&[
                    ("id", Value::Int(i)),
                    ("name", Value::from(format!("name {i}"))),
                    ("score", Value::Float(i as f64 / 4.0)),
                    ("ok", Value::Bool(i % 2 == 0)),
                    ("day", Value::Date(Date::from_days(i as i32))),
                    (
                        "at",
                        Value::Timestamp(Timestamp::new(
                            i * 1000,
                            TimeUnit::Microsecond,
                            Some(utc.clone()),
                        )),
                    ),
                    (
                        "wall",
                        Value::Timestamp(Timestamp::new(i, TimeUnit::Millisecond, None)),
                    ),
                    ("clock", Value::Time(Time::new(i, TimeUnit::Millisecond))),
                    (
                        "price",
                        Value::Decimal(Decimal::new(i as i128 * 101 - 5000, 10, 2)),
                    ),
                    ("raw", Value::Bytes(bytes::Bytes::from(vec![i as u8; 3]))),
                    (
                        "tags",
                        Value::Array(vec![Value::from("a"), Value::from(format!("tag {i}"))]),
                    ),
                    (
                        "inner",
                        Value::Object(Box::new(record(&[("x", Value::Int(-i))]))),
                    ),
                    (
                        "maybe",
                        if i % 3 == 0 {
                            Value::Null
                        } else {
                            Value::Int(i)
                        },
                    ),
                ])
            })
            .collect();
        for codec in ["null", "deflate", "snappy", "zstandard", "bzip2", "xz"] {
            let written = match write(&[("codec", codec)], &records) {
                Ok(written) => written,
                Err(e) if e.kind() == ErrorKind::Unsupported => continue,
                Err(e) => panic!("{codec}: {e}"),
            };
            assert_eq!(read(&written), records, "{codec}");
        }
    }

    #[test]
    fn an_inferred_schema_keeps_integers_and_names() {
        let records = [record(&[
            ("n", Value::Int(1)),
            ("first name", Value::from("ada")),
        ])];
        let written = write(&[("codec", "null")], &records).unwrap();
        let mut decoder = AvroDecoder::new(1 << 20);
        let mut buf = written.clone();
        let first = decoder.decode_eof(&mut buf).unwrap().unwrap();
        assert_eq!(
            first,
            record(&[("n", Value::Int(1)), ("first_name", Value::from("ada"))])
        );
        let schema = decoder.schema().unwrap();
        assert_eq!(schema.field("n").unwrap().data_type, DataType::Int64);
        let clash = [record(&[("a b", Value::Int(1)), ("a_b", Value::Int(2))])];
        let error = write(&[], &clash).unwrap_err();
        assert!(error.to_string().contains("one Avro name"), "{error}");
    }

    #[test]
    fn a_given_schema_converts_text_and_refuses_what_does_not_fit() {
        let schema = r#"{"type":"record","name":"p","fields":[
            {"name":"id","type":"int"},
            {"name":"day","type":{"type":"int","logicalType":"date"}},
            {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}},
            {"name":"colour","type":{"type":"enum","name":"c","symbols":["red","blue"]}},
            {"name":"note","type":["null","long"],"default":null},
            {"name":"count","type":"long","default":7}]}"#;
        let given = [("schema", schema), ("codec", "null")];
        let text = record(&[
            ("id", Value::from("42")),
            ("day", Value::from("2024-01-31")),
            ("price", Value::from("12.5")),
            ("colour", Value::from("blue")),
            ("note", Value::from("")),
        ]);
        let got = read(&write(&given, std::slice::from_ref(&text)).unwrap());
        assert_eq!(
            got,
            [record(&[
                ("id", Value::Int(42)),
                ("day", Value::Date(Date::from_ymd(2024, 1, 31).unwrap())),
                ("price", Value::Decimal(Decimal::new(1250, 6, 2))),
                ("colour", Value::from("blue")),
                ("note", Value::Null),
                ("count", Value::Int(7)),
            ])]
        );
        let cases = [
            (("id", Value::Int(1 << 40)), "beyond an int"),
            (("colour", Value::from("green")), "not a symbol"),
            (("price", Value::from("1.234")), "cannot hold exactly"),
            (("extra", Value::Int(1)), "is not a field"),
            (("day", Value::from("31/01/2024")), "is not a date"),
        ];
        for ((name, value), expected) in cases {
            let mut bad = text.clone();
            bad.insert(name, value);
            let error = write(&given, &[text.clone(), bad]).unwrap_err();
            assert!(error.to_string().contains(expected), "{name}: {error}");
            assert_eq!(error.position().record, Some(2), "{error}");
        }
        let missing = record(&[("day", Value::from("2024-01-31"))]);
        let error = write(&given, &[missing]).unwrap_err();
        assert!(error.to_string().contains("\"id\" is missing"), "{error}");
    }

    #[test]
    fn a_value_the_inferred_schema_cannot_hold_says_so() {
        let mut records: Vec<Record> = (0..3).map(|i| record(&[("n", Value::Int(i))])).collect();
        records.push(record(&[("n", Value::from("four"))]));
        let error = write(&[("infer_rows", "2")], &records).unwrap_err();
        assert!(error.to_string().contains("raise -O infer_rows"), "{error}");
        assert_eq!(error.position().record, Some(4));
    }

    #[test]
    fn options_are_checked() {
        let bad = |options: &[(&str, &str)]| write(options, &[]).unwrap_err().to_string();
        assert!(bad(&[("codec", "lzo")]).contains("expected null, deflate"));
        assert!(bad(&[("schema", "person.avsc")]).contains("@FILE"));
        assert!(bad(&[("schema", "{\"type\":\"nope\"}")]).contains("option schema"));
        assert!(bad(&[("nope", "1")]).contains("known: "));
        // No records: a header, and no block.
        let empty = write(&[], &[]).unwrap();
        assert!(read(&empty).is_empty());
    }

    #[test]
    fn a_told_schema_keeps_widths_and_nullability() {
        let told = RecordSchema::new(vec![
            Field::new("small", DataType::Int32),
            Field::new("ratio", DataType::Float32).nullable(),
            Field::new("took", DataType::Duration(TimeUnit::Millisecond)),
            Field::new(
                "items",
                DataType::List(Box::new(Field::new("item", DataType::Int64))),
            ),
        ]);
        let mut encoder = AvroEncoder::new(&FormatOptions::default()).unwrap();
        encoder.set_schema(&told).unwrap();
        let mut out = BytesMut::new();
        let took = iterable_core::Duration::new(90_061_001, TimeUnit::Millisecond);
        let row = record(&[
            ("small", Value::Int(5)),
            ("ratio", Value::Float(0.5)),
            ("took", Value::Duration(took)),
            ("items", Value::Array(vec![Value::Int(1)])),
        ]);
        encoder.encode(&row, &mut out).unwrap();
        let too_wide = record(&[("small", Value::Int(1 << 33))]);
        let error = encoder.encode(&too_wide, &mut out).unwrap_err();
        assert!(error.to_string().contains("beyond an int"), "{error}");
        encoder.finish(&mut out).unwrap();
        let mut decoder = AvroDecoder::new(1 << 20);
        let first = decoder.decode_eof(&mut out).unwrap().unwrap();
        let schema = decoder.schema().unwrap();
        assert_eq!(schema.field("small").unwrap().data_type, DataType::Int32);
        assert!(!schema.field("small").unwrap().nullable);
        assert_eq!(schema.field("ratio").unwrap().data_type, DataType::Float32);
        assert!(schema.field("ratio").unwrap().nullable);
        assert_eq!(first.get("ratio"), Some(&Value::Float(0.5)));
        let parts = first.get("took").and_then(Value::as_object).unwrap();
        assert_eq!(parts.get("days"), Some(&Value::Int(1)));
        assert_eq!(parts.get("milliseconds"), Some(&Value::Int(3_661_001)));
    }

    #[test]
    fn names_are_made_avro_names() {
        assert_eq!(avro_name("ok_1"), "ok_1");
        assert_eq!(avro_name("first name"), "first_name");
        assert_eq!(avro_name("1st"), "_1st");
        assert_eq!(avro_name(""), "_");
        assert_eq!(avro_name("@id"), "_id");
    }

    #[test]
    fn decimals_are_written_in_their_fewest_bytes() {
        assert_eq!(twos_complement(0), [0]);
        assert_eq!(twos_complement(127), [0x7f]);
        assert_eq!(twos_complement(128), [0, 0x80]);
        assert_eq!(twos_complement(-128), [0x80]);
        assert_eq!(twos_complement(-129), [0xff, 0x7f]);
        assert_eq!(rescale_decimal(125, 1, 2), Some(1250));
        assert_eq!(rescale_decimal(1250, 2, 1), Some(125));
        assert_eq!(rescale_decimal(1251, 2, 1), None);
    }
}
