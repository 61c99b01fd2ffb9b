//! MessagePack (`msgpack`, `.msgpack`, `.mp`): a stream of maps, one record each, read with
//! rmpv's zero-copy value reader and written with rmp.
//!
//! | MessagePack | [`Value`] |
//! |---|---|
//! | nil, bool | `Null`, `Bool` |
//! | int (every width, up to u64) | `Int`, or `BigInt` above `i64::MAX` |
//! | float 32, float 64 | `Float` (a float 32 widened exactly) |
//! | str | `String` (a str that is not UTF-8 is kept as `Bytes`) |
//! | bin | `Bytes` |
//! | array, map | `Array`, `Object` |
//! | ext -1 (the timestamp extension) | `Timestamp` in nanoseconds, UTC |
//! | any other ext | the object `{"$ext": type, "$data": bytes}` |
//!
//! Map keys that are not strings are named by their JSON text (`1`, `-2.5`, `true`, `null`), a
//! bin key by its base64; a key that is an array, a map or an ext, a key given twice, or a
//! top-level value that is not a map is a recoverable error naming the record and its byte
//! offset, and reading goes on with the next value. Nesting is limited to 256 levels, a value
//! to the record size limit: past those, and for a stream cut short, reading ends with an
//! error (MessagePack has nothing to find the next value by).
//!
//! Written: each record a map; `Null`, `Bool`, `Int`, `Float`, `String`, `Bytes`, arrays and
//! objects as their MessagePack types (integers in the fewest bytes, `BigInt` as uint 64 when it
//! fits, else an error); an object `{"$ext": type, "$data": bytes}` as that ext; timestamps as
//! the timestamp extension (an instant: a timestamp without a zone is taken as UTC); dates,
//! times, durations and decimals as strings of their text.

use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use base64::Engine;
use bytes::{Buf, Bytes, BytesMut};
use iterable_core::{
    BigInt, Capabilities, Decoder, Encoder, Error, ErrorKind, Fields, FieldsCache, FormatInfo,
    ParsedBatch, Position, Record, Result, TimeUnit, Timestamp, Value,
};
use rmpv::ValueRef;
use std::borrow::Cow;
use std::io::Cursor;
use std::sync::Arc;

/// The format's name in errors and options.
pub const FORMAT: &str = "msgpack";

/// MessagePack in the format registry.
pub struct MsgpackFormat;

/// The registry's MessagePack.
pub static MSGPACK: MsgpackFormat = MsgpackFormat;

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &["messagepack", "mp"],
    extensions: &["msgpack", "mp"],
    mime_types: &[
        "application/msgpack",
        "application/x-msgpack",
        "application/vnd.msgpack",
    ],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "MessagePack: a stream of maps, one record each; typed, binary",
};

/// How deep values may nest.
const MAX_DEPTH: usize = 256;

/// The extension type of MessagePack's timestamps.
const TIMESTAMP_EXT: i8 = -1;

/// The fields of an ext that is not a timestamp, as an object.
const EXT_TYPE: &str = "$ext";
const EXT_DATA: &str = "$data";

impl FormatSpec for MsgpackFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// Maps (fixmap, map 16, map 32) back to back, the first ones whole, the first keys
    /// strings: 60 for two or more, 30 for one (a byte that starts a map is common in binary).
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let mut rest = head;
        let mut maps = 0;
        while !rest.is_empty() && maps < 8 {
            let first = rest[0];
            let is_map = matches!(first, 0x80..=0x8f | 0xde | 0xdf);
            let mut cursor = Cursor::new(rest);
            match rmpv::decode::read_value_ref_with_max_depth(&mut cursor, MAX_DEPTH) {
                Ok(ValueRef::Map(pairs))
                    if is_map && pairs.iter().all(|(k, _)| matches!(k, ValueRef::String(_))) =>
                {
                    maps += 1;
                    rest = &rest[cursor.position() as usize..];
                }
                Err(_) if !complete && maps > 0 => break,
                _ => return None,
            }
        }
        match maps {
            0 => None,
            1 => Some(Sniffed::with(30)),
            _ => Some(Sniffed::with(60)),
        }
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        options.check(FORMAT, &[])?;
        Ok(Box::new(MsgpackDecoder::new(max_record_size)))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        options.check(FORMAT, &[])?;
        Ok(Box::new(MsgpackEncoder::default()))
    }
}

/// Decodes a stream of MessagePack maps: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::msgpack::MsgpackDecoder;
///
/// // {"id": 1, "tags": ["a"]} then {"id": 18446744073709551615}
/// let mut buf = BytesMut::from(&b"\x82\xa2id\x01\xa4tags\x91\xa1a\x81\xa2id\xcf\xff\xff\xff\xff\xff\xff\xff\xff"[..]);
/// let mut decoder = MsgpackDecoder::new(1 << 20);
/// let first = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(first.get("id"), Some(&Value::Int(1)));
/// let second = decoder.decode_eof(&mut buf)?.unwrap();
/// let max = iterable_core::BigInt::parse("18446744073709551615").unwrap();
/// assert_eq!(second.get("id"), Some(&Value::BigInt(max)));
/// assert!(decoder.decode_eof(&mut buf)?.is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug)]
pub struct MsgpackDecoder {
    max_record_size: usize,
    /// Bytes taken off the input so far.
    consumed: u64,
    /// Values taken (records and refused ones) so far.
    values: u64,
    /// A value was cut off when the buffer held this many bytes: it is tried again once the
    /// buffer holds twice as many, so that a large value arriving in small pieces is parsed a
    /// few times, not once per piece.
    retry_at: usize,
    /// The input cannot be read further (a value too deep, too large, or cut short).
    failed: bool,
    names: FieldsCache,
    utc: Arc<str>,
    /// The names of an ext's object: `$ext`, `$data`.
    ext_fields: Fields,
}

/// Whether rmpv stopped at the end of its input (the value is cut off there).
fn cut_off(error: &rmpv::decode::Error) -> bool {
    use rmpv::decode::Error as E;
    match error {
        E::InvalidMarkerRead(e) | E::InvalidDataRead(e) => {
            e.kind() == std::io::ErrorKind::UnexpectedEof
        }
        E::DepthLimitExceeded => false,
    }
}

impl MsgpackDecoder {
    /// A decoder refusing values longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> MsgpackDecoder {
        MsgpackDecoder {
            max_record_size: max_record_size.max(1),
            consumed: 0,
            values: 0,
            retry_at: 0,
            failed: false,
            names: FieldsCache::default(),
            utc: Arc::from("UTC"),
            ext_fields: Fields::new([EXT_TYPE, EXT_DATA]),
        }
    }

    fn position(&self) -> Position {
        Position {
            byte: Some(self.consumed),
            record: Some(self.values + 1),
            ..Position::default()
        }
    }

    /// An error ending the read, at the current value.
    fn fatal(&mut self, buf: &mut BytesMut, kind: ErrorKind, message: String) -> Error {
        self.failed = true;
        let error = Error::new(kind, message)
            .with_format(FORMAT)
            .at(self.position());
        buf.clear();
        error
    }

    /// The next value at the front of `buf`, handed to `take` (a record made or pushed);
    /// `None` when more input is needed, or at the end.
    fn next<T>(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        mut take: impl FnMut(&mut Self, &ValueRef<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.failed || buf.is_empty() || (!eof && buf.len() < self.retry_at) {
            return Ok(None);
        }
        let mut cursor = Cursor::new(&buf[..]);
        let error = match rmpv::decode::read_value_ref_with_max_depth(&mut cursor, MAX_DEPTH) {
            Ok(value) => {
                let used = cursor.position() as usize;
                if used > self.max_record_size {
                    return Err(self.too_large(buf));
                }
                let taken = take(self, &value).map_err(|e| {
                    let e = if e.position().is_unknown() {
                        e.at(self.position())
                    } else {
                        e
                    };
                    e.with_format(FORMAT).recoverable()
                });
                self.retry_at = 0;
                self.consumed += used as u64;
                self.values += 1;
                buf.advance(used);
                return taken.map(Some);
            }
            Err(error) => error,
        };
        if !cut_off(&error) {
            let message = format!("values nest deeper than {MAX_DEPTH} levels");
            return Err(self.fatal(buf, ErrorKind::LimitExceeded, message));
        }
        if buf.len() > self.max_record_size {
            return Err(self.too_large(buf));
        }
        if eof {
            let message = "the input is cut short in a value".to_owned();
            return Err(self.fatal(buf, ErrorKind::Parse, message));
        }
        self.retry_at = buf.len().saturating_mul(2);
        Ok(None)
    }

    fn too_large(&mut self, buf: &mut BytesMut) -> Error {
        let message = format!(
            "a value is longer than the maximum record size of {} bytes",
            self.max_record_size
        );
        self.fatal(buf, ErrorKind::LimitExceeded, message)
    }

    /// The record a top-level value makes, checked whole first.
    fn record(&mut self, value: &ValueRef<'_>) -> Result<Record> {
        let pairs = top_level(value)?;
        check(value)?;
        let mut place = 0;
        self.object(pairs, &mut place)
    }

    fn object(
        &mut self,
        pairs: &[(ValueRef<'_>, ValueRef<'_>)],
        place: &mut usize,
    ) -> Result<Record> {
        let keys: Vec<Cow<'_, str>> = pairs.iter().map(|(k, _)| key(k)).collect::<Result<_>>()?;
        let fields = self.names.fields(*place, keys.iter().map(|k| k.as_ref()));
        *place += 1;
        let values = pairs
            .iter()
            .map(|(_, v)| self.value(v, place))
            .collect::<Result<Vec<_>>>()?;
        Record::with_fields(fields, values)
    }

    fn value(&mut self, value: &ValueRef<'_>, place: &mut usize) -> Result<Value> {
        Ok(match value {
            ValueRef::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.value(item, place))
                    .collect::<Result<_>>()?,
            ),
            ValueRef::Map(pairs) => Value::Object(Box::new(self.object(pairs, place)?)),
            other => self.scalar(other)?,
        })
    }

    /// A value that is not an array or a map.
    fn scalar(&self, value: &ValueRef<'_>) -> Result<Value> {
        Ok(match value {
            ValueRef::Nil => Value::Null,
            ValueRef::Boolean(b) => Value::Bool(*b),
            ValueRef::Integer(n) => match (n.as_i64(), n.as_u64()) {
                (Some(n), _) => Value::Int(n),
                (None, Some(n)) => Value::BigInt(BigInt::parse(&n.to_string()).expect("digits")),
                (None, None) => unreachable!("an integer is an i64 or a u64"),
            },
            ValueRef::F32(f) => Value::Float(f64::from(*f)),
            ValueRef::F64(f) => Value::Float(*f),
            ValueRef::String(s) => match s.as_str() {
                Some(text) => Value::from(text),
                None => Value::Bytes(Bytes::copy_from_slice(s.as_bytes())),
            },
            ValueRef::Binary(b) => Value::Bytes(Bytes::copy_from_slice(b)),
            ValueRef::Ext(TIMESTAMP_EXT, data) => {
                let nanos = timestamp(data)?;
                Value::Timestamp(Timestamp::new(
                    nanos,
                    TimeUnit::Nanosecond,
                    Some(self.utc.clone()),
                ))
            }
            ValueRef::Ext(ty, data) => Value::Object(Box::new(Record::with_fields(
                self.ext_fields.clone(),
                vec![
                    Value::Int(i64::from(*ty)),
                    Value::Bytes(Bytes::copy_from_slice(data)),
                ],
            )?)),
            ValueRef::Array(_) | ValueRef::Map(_) => {
                unreachable!("arrays and maps are not scalars")
            }
        })
    }

    /// [`MsgpackDecoder::record`] into a batch, without building it.
    fn push(&mut self, value: &ValueRef<'_>, batch: &mut ParsedBatch) -> Result<()> {
        let pairs = top_level(value)?;
        check(value)?;
        // Checked: nothing below fails, so the batch gets the whole record.
        let keys: Vec<Cow<'_, str>> = pairs.iter().map(|(k, _)| key(k)).collect::<Result<_>>()?;
        batch.push_keyed_record(keys.iter().map(|k| k.as_ref()));
        for (_, value) in pairs {
            self.push_value(value, batch)?;
        }
        Ok(())
    }

    fn push_value(&self, value: &ValueRef<'_>, batch: &mut ParsedBatch) -> Result<()> {
        match value {
            ValueRef::Array(items) => {
                batch.push_array(items.len());
                for item in items {
                    self.push_value(item, batch)?;
                }
            }
            ValueRef::Map(pairs) => {
                let keys: Vec<Cow<'_, str>> =
                    pairs.iter().map(|(k, _)| key(k)).collect::<Result<_>>()?;
                batch.push_keyed_object(keys.iter().map(|k| k.as_ref()));
                for (_, value) in pairs {
                    self.push_value(value, batch)?;
                }
            }
            ValueRef::Ext(ty, data) if *ty != TIMESTAMP_EXT => {
                batch.push_object(&self.ext_fields);
                batch.push_owned(Value::Int(i64::from(*ty)));
                batch.push_owned(Value::Bytes(Bytes::copy_from_slice(data)));
            }
            ValueRef::String(s) if s.as_str().is_some() => batch.push_str(s.as_str().unwrap_or("")),
            other => batch.push_owned(self.scalar(other)?),
        }
        Ok(())
    }
}

/// The pairs of a top-level map; any other value is refused.
fn top_level<'v, 'a>(value: &'v ValueRef<'a>) -> Result<&'v [(ValueRef<'a>, ValueRef<'a>)]> {
    match value {
        ValueRef::Map(pairs) => Ok(pairs),
        other => Err(Error::new(
            ErrorKind::InvalidRecord,
            format!("a top-level {}, not a map", kind(other)),
        )),
    }
}

fn kind(value: &ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Nil => "nil",
        ValueRef::Boolean(_) => "bool",
        ValueRef::Integer(_) => "integer",
        ValueRef::F32(_) | ValueRef::F64(_) => "float",
        ValueRef::String(_) => "str",
        ValueRef::Binary(_) => "bin",
        ValueRef::Array(_) => "array",
        ValueRef::Map(_) => "map",
        ValueRef::Ext(..) => "ext",
    }
}

/// Everything that could make a record fail, at every depth: keys (their kinds, and given
/// twice) and timestamps.
fn check(value: &ValueRef<'_>) -> Result<()> {
    match value {
        ValueRef::Array(items) => items.iter().try_for_each(check),
        ValueRef::Map(pairs) => {
            let keys: Vec<Cow<'_, str>> =
                pairs.iter().map(|(k, _)| key(k)).collect::<Result<_>>()?;
            if let Some(name) = crate::lines::first_repeated(keys.iter().map(|k| k.as_ref())) {
                return Err(Error::new(
                    ErrorKind::InvalidRecord,
                    format!("the key {name:?} is given twice in a map"),
                ));
            }
            pairs.iter().try_for_each(|(_, v)| check(v))
        }
        ValueRef::Ext(TIMESTAMP_EXT, data) => timestamp(data).map(drop),
        _ => Ok(()),
    }
}

/// A map key as a field name: see the [module](self).
fn key<'a>(key: &ValueRef<'a>) -> Result<Cow<'a, str>> {
    Ok(match key {
        ValueRef::String(s) => match s.into_str() {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(base64::engine::general_purpose::STANDARD.encode(s.as_bytes())),
        },
        ValueRef::Nil => Cow::Borrowed("null"),
        ValueRef::Boolean(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        ValueRef::Integer(n) => Cow::Owned(n.to_string()),
        ValueRef::F32(f) => Cow::Owned(float_text(f64::from(*f))),
        ValueRef::F64(f) => Cow::Owned(float_text(*f)),
        ValueRef::Binary(b) => Cow::Owned(base64::engine::general_purpose::STANDARD.encode(b)),
        other => {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "a map key that is an {}, which cannot name a field",
                    kind(other)
                ),
            ));
        }
    })
}

fn float_text(f: f64) -> String {
    crate::text::to_text(&Value::Float(f)).unwrap_or_else(|_| f.to_string())
}

/// Nanoseconds since the epoch of a timestamp extension's data (32, 64 or 96 bits).
fn timestamp(data: &[u8]) -> Result<i64> {
    let bad = |why: &str| {
        Error::new(
            ErrorKind::InvalidRecord,
            format!("a timestamp extension {why}"),
        )
    };
    let (seconds, nanos): (i64, u32) = match data.len() {
        4 => (
            i64::from(u32::from_be_bytes(data.try_into().expect("4"))),
            0,
        ),
        8 => {
            let both = u64::from_be_bytes(data.try_into().expect("8"));
            ((both & 0x3_ffff_ffff) as i64, (both >> 34) as u32)
        }
        12 => (
            i64::from_be_bytes(data[4..].try_into().expect("8")),
            u32::from_be_bytes(data[..4].try_into().expect("4")),
        ),
        n => return Err(bad(&format!("of {n} bytes (4, 8 or 12 expected)"))),
    };
    if nanos >= 1_000_000_000 {
        return Err(bad(&format!("with {nanos} nanoseconds")));
    }
    seconds
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(i64::from(nanos)))
        .ok_or_else(|| {
            bad(&format!(
                "at {seconds} s, beyond what nanoseconds since 1970 hold"
            ))
        })
}

impl Decoder for MsgpackDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false, Self::record)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true, Self::record)
    }

    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        let pushed = self.next(buf, eof, |this, value| this.push(value, batch))?;
        Ok(pushed.is_some())
    }
}

/// Encodes records as MessagePack maps: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::msgpack::MsgpackEncoder;
///
/// let record: Record = [("id", Value::Int(1)), ("ok", Value::Bool(true))].into_iter().collect();
/// let mut out = BytesMut::new();
/// MsgpackEncoder::default().encode(&record, &mut out)?;
/// assert_eq!(&out[..], b"\x82\xa2id\x01\xa2ok\xc3");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MsgpackEncoder {
    scratch: Vec<u8>,
    records: u64,
}

/// The error of writing a value rmp refused (it writes to memory: it does not fail).
fn written<T, E: std::fmt::Display>(
    result: std::result::Result<T, E>,
) -> std::result::Result<(), String> {
    result.map(drop).map_err(|e| e.to_string())
}

fn write_value(out: &mut Vec<u8>, value: &Value) -> std::result::Result<(), String> {
    use rmp::encode as w;
    match value {
        Value::Null => written(w::write_nil(out)),
        Value::Bool(b) => written(w::write_bool(out, *b)),
        Value::Int(n) => written(w::write_sint(out, *n)),
        Value::BigInt(n) => match n.as_str().parse::<u64>() {
            Ok(n) => written(w::write_uint(out, n)),
            Err(_) => Err(format!(
                "the integer {} is beyond MessagePack's 64 bits",
                n.as_str()
            )),
        },
        Value::Float(f) => written(w::write_f64(out, *f)),
        Value::String(s) => written(w::write_str(out, s)),
        Value::Bytes(b) => {
            let len = u32::try_from(b.len()).map_err(|_| "bytes longer than 4 GiB".to_owned())?;
            written(w::write_bin_len(out, len))?;
            out.extend_from_slice(b);
            Ok(())
        }
        Value::Array(items) => {
            let len = u32::try_from(items.len()).map_err(|_| "an array too long".to_owned())?;
            written(w::write_array_len(out, len))?;
            items.iter().try_for_each(|item| write_value(out, item))
        }
        Value::Object(record) => match ext_of(record) {
            Some((ty, data)) => {
                let len =
                    u32::try_from(data.len()).map_err(|_| "an ext longer than 4 GiB".to_owned())?;
                written(w::write_ext_meta(out, len, ty))?;
                out.extend_from_slice(data);
                Ok(())
            }
            None => write_map(out, record),
        },
        Value::Timestamp(t) => {
            let nanos = i128::from(t.value()) * 1_000_000_000 / i128::from(t.unit().per_second());
            let (seconds, nanos) = (
                nanos.div_euclid(1_000_000_000),
                nanos.rem_euclid(1_000_000_000),
            );
            written(w::write_ext_meta(out, 12, TIMESTAMP_EXT))?;
            out.extend_from_slice(&(nanos as u32).to_be_bytes());
            out.extend_from_slice(&(seconds as i64).to_be_bytes());
            Ok(())
        }
        typed => {
            let text = typed.typed_text().unwrap_or_default();
            written(w::write_str(out, &text))
        }
    }
}

/// The type and data of an object that stands for an ext: exactly `$ext` (an integer in
/// -128..=127) and `$data` (bytes).
fn ext_of(record: &Record) -> Option<(i8, &[u8])> {
    if record.len() != 2 {
        return None;
    }
    match (record.get(EXT_TYPE), record.get(EXT_DATA)) {
        (Some(Value::Int(ty)), Some(Value::Bytes(data))) => Some((i8::try_from(*ty).ok()?, data)),
        _ => None,
    }
}

fn write_map(out: &mut Vec<u8>, record: &Record) -> std::result::Result<(), String> {
    let len = u32::try_from(record.len()).map_err(|_| "a map too long".to_owned())?;
    written(rmp::encode::write_map_len(out, len))?;
    for (name, value) in record.iter() {
        written(rmp::encode::write_str(out, name))?;
        write_value(out, value).map_err(|why| format!("field {name:?}: {why}"))?;
    }
    Ok(())
}

impl Encoder for MsgpackEncoder {
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        self.records += 1;
        self.scratch.clear();
        write_map(&mut self.scratch, record).map_err(|why| {
            Error::new(ErrorKind::InvalidRecord, why)
                .with_format(FORMAT)
                .at(Position {
                    record: Some(self.records),
                    ..Position::default()
                })
        })?;
        dst.extend_from_slice(&self.scratch);
        Ok(())
    }

    fn finish(&mut self, _dst: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}
