//! BSON (`bson`, `.bson`): documents back to back, as mongodump writes them, one record each;
//! read and written on the bson crate's raw documents.
//!
//! | BSON | [`Value`] |
//! |---|---|
//! | double, string, boolean, null | `Float`, `String`, `Bool`, `Null` |
//! | int32, int64 | `Int` |
//! | document, array | `Object`, `Array` |
//! | binary of the generic subtype | `Bytes` |
//! | UTC datetime | `Timestamp` in milliseconds, UTC |
//! | decimal128 | `Decimal` (`{"$numberDecimal": text}` for NaN, infinities, or negative zero, or a scale outside -128 to 38) |
//! | ObjectId | `{"$oid": hex}` |
//! | binary of another subtype | `{"$binary": {"base64": bytes, "subType": hex}}` |
//! | regular expression | `{"$regularExpression": {"pattern": text, "options": text}}` |
//! | timestamp | `{"$timestamp": {"t": seconds, "i": increment}}` |
//! | JavaScript code (with scope) | `{"$code": text}` (`{"$code": text, "$scope": object}`) |
//! | symbol, undefined, min key, max key | `{"$symbol": text}`, `{"$undefined": true}`, `{"$minKey": 1}`, `{"$maxKey": 1}` |
//! | DBPointer (deprecated) | `{"$dbPointer": {"$ref": text, "$id": {"$oid": hex}}}` |
//!
//! The objects are MongoDB's Extended JSON (v2, canonical): written as JSON, they are what
//! `mongoexport` writes. A document is framed by its length, so one that is malformed, holds a
//! key twice, or nests deeper than 256 levels is a recoverable error naming the record and its
//! byte offset, and reading goes on with the next; a length under 5 or over the record size
//! limit, and input cut short, end the read.
//!
//! Written: each record a document; `Int` as int32 when it fits, else int64; `BigInt` as int64
//! when it fits, else as decimal128 (34 digits at most, else an error); `Float`, `String`,
//! `Bool`, `Null`, arrays and objects as their BSON types; `Bytes` as generic binary;
//! timestamps as UTC datetimes, to the millisecond (finer digits are dropped: BSON holds no
//! finer); dates as datetimes at midnight UTC; decimals as decimal128 (34 digits at most);
//! times and durations as strings of their text; the Extended JSON objects above as the types
//! they stand for (but DBPointer, written as the document it reads as). A field name holding a
//! NUL is an error.

use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use ::bson::raw::{
    CStr, CString, RawArrayBuf, RawBson, RawBsonRef, RawDocument, RawDocumentBuf,
    RawJavaScriptCodeWithScope,
};
use ::bson::spec::BinarySubtype;
use base64::Engine;
use bytes::{Buf, Bytes, BytesMut};
use iterable_core::{
    Capabilities, Decimal, Decoder, Encoder, Error, ErrorKind, FieldsCache, FormatInfo, Position,
    Record, Result, TimeUnit, Timestamp, Value,
};
use std::sync::Arc;

/// The format's name in errors and options.
pub const FORMAT: &str = "bson";

/// BSON in the format registry.
pub struct BsonFormat;

/// The registry's BSON.
pub static BSON: BsonFormat = BsonFormat;

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["bson"],
    mime_types: &["application/bson"],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "BSON: documents back to back (mongodump), one record each; typed, binary",
};

/// How deep documents and arrays may nest.
const MAX_DEPTH: usize = 256;

/// The most digits a decimal128 holds.
const DECIMAL128_DIGITS: usize = 34;

impl FormatSpec for BsonFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// Documents back to back, each whole and well formed: 60 for two or more, 40 for one; 20
    /// for the start of one too long for the head, when its first element reads.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let mut rest = head;
        let mut documents = 0;
        while rest.len() >= 4 && documents < 8 {
            let len = i32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
            let len = usize::try_from(len).ok().filter(|len| *len >= 5)?;
            let Some(bytes) = rest.get(..len) else {
                if complete || documents > 0 {
                    break;
                }
                // The first element: a type byte BSON has, then a key ending in a NUL.
                let known = matches!(rest.get(4), Some(0x01..=0x13 | 0x7f | 0xff));
                let key = rest.get(5..).and_then(|k| memchr::memchr(0, k));
                return (known && key.is_some()).then(|| Sniffed::with(20));
            };
            let document = RawDocument::from_bytes(bytes).ok()?;
            if document.iter().any(|element| element.is_err()) {
                return None;
            }
            documents += 1;
            rest = &rest[len..];
        }
        match documents {
            0 => None,
            1 if rest.is_empty() || !complete => Some(Sniffed::with(40)),
            1 => None,
            _ => Some(Sniffed::with(60)),
        }
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        options.check(FORMAT, &[])?;
        Ok(Box::new(BsonDecoder::new(max_record_size)))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        options.check(FORMAT, &[])?;
        Ok(Box::new(BsonEncoder::default()))
    }
}

/// Decodes BSON documents back to back: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::bson::BsonDecoder;
///
/// // {"id": 1 (int32)} then {"id": 2 (int64)}
/// let mut buf = BytesMut::from(&b"\x0d\0\0\0\x10id\0\x01\0\0\0\0\x11\0\0\0\x12id\0\x02\0\0\0\0\0\0\0\0"[..]);
/// let mut decoder = BsonDecoder::new(1 << 20);
/// assert_eq!(decoder.decode(&mut buf)?.unwrap().get("id"), Some(&Value::Int(1)));
/// assert_eq!(decoder.decode_eof(&mut buf)?.unwrap().get("id"), Some(&Value::Int(2)));
/// assert!(decoder.decode_eof(&mut buf)?.is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug)]
pub struct BsonDecoder {
    max_record_size: usize,
    /// Bytes taken off the input so far.
    consumed: u64,
    /// Documents taken (records and refused ones) so far.
    values: u64,
    /// The input cannot be read further.
    failed: bool,
    names: FieldsCache,
    utc: Arc<str>,
}

impl BsonDecoder {
    /// A decoder refusing documents longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> BsonDecoder {
        BsonDecoder {
            max_record_size: max_record_size.max(5),
            consumed: 0,
            values: 0,
            failed: false,
            names: FieldsCache::default(),
            utc: Arc::from("UTC"),
        }
    }

    fn position(&self) -> Position {
        Position {
            byte: Some(self.consumed),
            record: Some(self.values + 1),
            ..Position::default()
        }
    }

    /// An error ending the read, at the current document.
    fn fatal(&mut self, buf: &mut BytesMut, kind: ErrorKind, message: String) -> Error {
        self.failed = true;
        let error = Error::new(kind, message)
            .with_format(FORMAT)
            .at(self.position());
        buf.clear();
        error
    }

    /// The next record at the front of `buf`; `None` when more input is needed, or at the end.
    fn next(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        if self.failed || buf.is_empty() {
            return Ok(None);
        }
        if buf.len() < 4 {
            if !eof {
                return Ok(None);
            }
            let message = "the input is cut short in a document's length".to_owned();
            return Err(self.fatal(buf, ErrorKind::Parse, message));
        }
        let claimed = i32::from_le_bytes(buf[..4].try_into().expect("4 bytes"));
        let len = match usize::try_from(claimed) {
            Ok(len) if len >= 5 => len,
            _ => {
                let message = format!("a document length of {claimed} (5 at least)");
                return Err(self.fatal(buf, ErrorKind::Parse, message));
            }
        };
        if len > self.max_record_size {
            let message = format!(
                "a document of {len} bytes, longer than the maximum record size of {} bytes",
                self.max_record_size
            );
            return Err(self.fatal(buf, ErrorKind::LimitExceeded, message));
        }
        if buf.len() < len {
            if !eof {
                buf.reserve(len - buf.len());
                return Ok(None);
            }
            let message = format!("the input is cut short in a document of {len} bytes");
            return Err(self.fatal(buf, ErrorKind::Parse, message));
        }
        let record = RawDocument::from_bytes(&buf[..len])
            .map_err(malformed)
            .and_then(|document| self.document(document, 0, &mut 0))
            .map_err(|e| e.with_format(FORMAT).at(self.position()).recoverable());
        self.values += 1;
        self.consumed += len as u64;
        buf.advance(len);
        record.map(Some)
    }

    /// The record of a document, the object at `place` of its record.
    fn document(
        &mut self,
        document: &RawDocument,
        depth: usize,
        place: &mut usize,
    ) -> Result<Record> {
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("documents nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        let here = *place;
        *place += 1;
        let mut names = Vec::new();
        let mut values = Vec::new();
        for element in document {
            let (name, value) = element.map_err(malformed)?;
            names.push(name.as_str());
            values.push(self.value(value, depth, place)?);
        }
        if let Some(name) = crate::lines::first_repeated(names.iter().copied()) {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!("the key {name:?} is given twice in a document"),
            ));
        }
        let fields = self.names.fields(here, names.iter().copied());
        Record::with_fields(fields, values)
    }

    fn value(&mut self, value: RawBsonRef<'_>, depth: usize, place: &mut usize) -> Result<Value> {
        Ok(match value {
            RawBsonRef::Double(f) => Value::Float(f),
            RawBsonRef::String(s) => Value::from(s),
            RawBsonRef::Boolean(b) => Value::Bool(b),
            RawBsonRef::Null => Value::Null,
            RawBsonRef::Int32(n) => Value::Int(i64::from(n)),
            RawBsonRef::Int64(n) => Value::Int(n),
            RawBsonRef::Document(document) => {
                Value::Object(Box::new(self.document(document, depth + 1, place)?))
            }
            RawBsonRef::Array(array) => {
                if depth + 1 > MAX_DEPTH {
                    return Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format!("documents nest deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let mut values = Vec::new();
                for item in array {
                    values.push(self.value(item.map_err(malformed)?, depth + 1, place)?);
                }
                Value::Array(values)
            }
            RawBsonRef::Binary(binary) if binary.subtype == BinarySubtype::Generic => {
                Value::Bytes(Bytes::copy_from_slice(binary.bytes))
            }
            RawBsonRef::Binary(binary) => extended(
                "$binary",
                object([
                    ("base64", Value::Bytes(Bytes::copy_from_slice(binary.bytes))),
                    (
                        "subType",
                        Value::from(format!("{:02x}", u8::from(binary.subtype))),
                    ),
                ]),
            ),
            RawBsonRef::DateTime(at) => Value::Timestamp(Timestamp::new(
                at.timestamp_millis(),
                TimeUnit::Millisecond,
                Some(self.utc.clone()),
            )),
            RawBsonRef::Decimal128(d) => {
                let text = d.to_string();
                decimal(&text).unwrap_or_else(|| extended("$numberDecimal", Value::from(text)))
            }
            RawBsonRef::ObjectId(id) => extended("$oid", Value::from(id.to_hex())),
            RawBsonRef::RegularExpression(regex) => extended(
                "$regularExpression",
                object([
                    ("pattern", Value::from(regex.pattern.as_str())),
                    ("options", Value::from(regex.options.as_str())),
                ]),
            ),
            RawBsonRef::Timestamp(t) => extended(
                "$timestamp",
                object([
                    ("t", Value::Int(i64::from(t.time))),
                    ("i", Value::Int(i64::from(t.increment))),
                ]),
            ),
            RawBsonRef::JavaScriptCode(code) => extended("$code", Value::from(code)),
            RawBsonRef::JavaScriptCodeWithScope(code) => object([
                ("$code", Value::from(code.code)),
                (
                    "$scope",
                    Value::Object(Box::new(self.document(code.scope, depth + 1, place)?)),
                ),
            ]),
            RawBsonRef::Symbol(symbol) => extended("$symbol", Value::from(symbol)),
            RawBsonRef::Undefined => extended("$undefined", Value::Bool(true)),
            RawBsonRef::MinKey => extended("$minKey", Value::Int(1)),
            RawBsonRef::MaxKey => extended("$maxKey", Value::Int(1)),
            RawBsonRef::DbPointer(pointer) => db_pointer(pointer)?,
        })
    }
}

impl Decoder for BsonDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true)
    }
}

/// An error of the bson crate reading a document.
fn malformed(e: ::bson::error::Error) -> Error {
    Error::new(ErrorKind::Parse, format!("a malformed document: {e}"))
}

/// An object of the fields given.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(Box::new(fields.into_iter().collect()))
}

/// The Extended JSON object `{name: value}`.
fn extended(name: &str, value: Value) -> Value {
    object([(name, value)])
}

/// A DBPointer's namespace and id, which the bson crate keeps to itself: read from the
/// document it writes of one.
fn db_pointer(pointer: ::bson::raw::RawDbPointerRef<'_>) -> Result<Value> {
    let mut document = RawDocumentBuf::new();
    document.append(::bson::raw::cstr!("p"), RawBsonRef::DbPointer(pointer));
    let bytes = document.into_bytes();
    // length, 0x0c, "p\0", the namespace's length, the namespace and its NUL, 12 bytes, NUL.
    let parts = bytes
        .get(7..bytes.len().saturating_sub(1))
        .and_then(|value| {
            let (namespace, id) = value
                .get(4..)?
                .split_at_checked(value.len().checked_sub(16)?)?;
            let namespace = std::str::from_utf8(namespace.strip_suffix(b"\0")?).ok()?;
            let id: [u8; 12] = id.try_into().ok()?;
            Some((namespace.to_owned(), ::bson::oid::ObjectId::from(id)))
        });
    let Some((namespace, id)) = parts else {
        return Err(Error::new(
            ErrorKind::Parse,
            "a DBPointer that does not read back",
        ));
    };
    Ok(extended(
        "$dbPointer",
        object([
            ("$ref", Value::from(namespace)),
            ("$id", extended("$oid", Value::from(id.to_hex()))),
        ]),
    ))
}

/// A decimal128's text (`-123.450`, `1.05E+3`) as a [`Decimal`], when its scale fits.
pub(crate) fn decimal(text: &str) -> Option<Value> {
    let (mantissa, exponent) = match text.split_once('E') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let unscaled: i128 = digits.parse().ok()?;
    if unscaled == 0 && digits.starts_with('-') {
        return None; // A negative zero, which a `Decimal` cannot hold.
    }
    let scale = i8::try_from(i32::try_from(fraction.len()).ok()? - exponent).ok()?;
    let count = digits.trim_start_matches('-').len() as u32;
    let precision = count.max(u32::from(scale.max(0).unsigned_abs())).max(1);
    (precision <= 38).then(|| Value::Decimal(Decimal::new(unscaled, precision as u8, scale)))
}

/// Encodes records as BSON documents back to back: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::bson::BsonEncoder;
///
/// let record: Record = [("id", Value::Int(1))].into_iter().collect();
/// let mut out = BytesMut::new();
/// BsonEncoder::default().encode(&record, &mut out)?;
/// assert_eq!(&out[..], b"\x0d\0\0\0\x10id\0\x01\0\0\0\0");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct BsonEncoder {
    records: u64,
}

fn document_of(record: &Record) -> std::result::Result<RawDocumentBuf, String> {
    let mut document = RawDocumentBuf::new();
    for (name, value) in record.iter() {
        let key: &CStr = name
            .try_into()
            .map_err(|_| format!("the field name {name:?} holds a NUL, which BSON cannot"))?;
        let value = bson_of(value).map_err(|why| format!("field {name:?}: {why}"))?;
        document.append(key, value);
    }
    Ok(document)
}

fn bson_of(value: &Value) -> std::result::Result<RawBson, String> {
    Ok(match value {
        Value::Null => RawBson::Null,
        Value::Bool(b) => RawBson::Boolean(*b),
        Value::Int(n) => i32::try_from(*n).map_or(RawBson::Int64(*n), RawBson::Int32),
        Value::BigInt(n) => match n.as_str().parse::<i64>() {
            Ok(n) => RawBson::Int64(n),
            Err(_) => RawBson::Decimal128(decimal128(n.as_str())?),
        },
        Value::Float(f) => RawBson::Double(*f),
        Value::String(s) => RawBson::String(s.to_string()),
        Value::Bytes(b) => RawBson::Binary(::bson::Binary {
            subtype: BinarySubtype::Generic,
            bytes: b.to_vec(),
        }),
        Value::Array(items) => {
            let mut array = RawArrayBuf::new();
            for item in items {
                array.push(bson_of(item)?);
            }
            RawBson::Array(array)
        }
        Value::Object(record) => match special(record)? {
            Some(special) => special,
            None => RawBson::Document(document_of(record)?),
        },
        Value::Timestamp(t) => {
            let per_milli = i128::from(t.unit().per_second()) / 1000;
            let millis = match per_milli {
                0 => i128::from(t.value()) * 1000,
                per => i128::from(t.value()).div_euclid(per),
            };
            let millis =
                i64::try_from(millis).map_err(|_| "a timestamp beyond BSON's".to_owned())?;
            RawBson::DateTime(::bson::DateTime::from_millis(millis))
        }
        Value::Date(d) => RawBson::DateTime(::bson::DateTime::from_millis(
            i64::from(d.days()) * 86_400_000,
        )),
        // As coefficient and exponent: the decimal128 of the same digits and scale.
        Value::Decimal(d) => RawBson::Decimal128(decimal128(&format!(
            "{}E{}",
            d.unscaled(),
            -i32::from(d.scale())
        ))?),
        typed => RawBson::String(typed.typed_text().unwrap_or_default()),
    })
}

/// A decimal128 of a decimal's text, when its digits fit.
fn decimal128(text: &str) -> std::result::Result<::bson::Decimal128, String> {
    let mantissa = text.split(['E', 'e']).next().unwrap_or(text);
    let significant = mantissa
        .trim_start_matches(['-', '0', '.'])
        .bytes()
        .filter(u8::is_ascii_digit)
        .count();
    if significant > DECIMAL128_DIGITS {
        return Err(format!(
            "the number {text} has more than the {DECIMAL128_DIGITS} digits of a decimal128"
        ));
    }
    text.parse()
        .map_err(|e| format!("the number {text} is no decimal128: {e}"))
}

/// A binary subtype as the decoder writes it: two lowercase hex digits, not `00`.
fn is_subtype(text: &str) -> bool {
    text.len() == 2 && text != "00" && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The two fields of an object that has just those.
fn pair<'v>(value: &'v Value, first: &str, second: &str) -> Option<(&'v Value, &'v Value)> {
    match value {
        Value::Object(inner) if inner.len() == 2 => inner.get(first).zip(inner.get(second)),
        _ => None,
    }
}

/// The BSON value an Extended JSON object (as the decoder makes them) stands for.
fn special(record: &Record) -> std::result::Result<Option<RawBson>, String> {
    let mut fields = record.iter();
    let (Some((name, value)), second) = (fields.next(), fields.next()) else {
        return Ok(None);
    };
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let cstring = |value: &Value| value.as_str().and_then(|s| CString::try_from(s).ok());
    Ok(match (name, second) {
        // Only the shapes the decoder makes (lowercase hex, a subtype not the generic one,
        // a decimal that is no `Decimal`), lest they read back as other values.
        ("$oid", None) => text(value)
            .filter(|hex| !hex.bytes().any(|b| b.is_ascii_uppercase()))
            .and_then(|hex| ::bson::oid::ObjectId::parse_str(hex).ok())
            .map(RawBson::ObjectId),
        ("$binary", None) => match pair(value, "base64", "subType") {
            Some((payload, Value::String(subtype))) if is_subtype(subtype) => {
                // Bytes as the decoder makes them; base64 text as JSON holds them.
                let bytes = match payload {
                    Value::Bytes(bytes) => Some(bytes.to_vec()),
                    Value::String(text) => base64::engine::general_purpose::STANDARD
                        .decode(text.as_bytes())
                        .ok(),
                    _ => None,
                };
                let subtype = u8::from_str_radix(subtype, 16).ok();
                bytes.zip(subtype).map(|(bytes, subtype)| {
                    RawBson::Binary(::bson::Binary {
                        subtype: BinarySubtype::from(subtype),
                        bytes,
                    })
                })
            }
            _ => None,
        },
        ("$regularExpression", None) => pair(value, "pattern", "options")
            .and_then(|(pattern, options)| Some((cstring(pattern)?, cstring(options)?)))
            .map(|(pattern, options)| {
                RawBson::RegularExpression(::bson::Regex { pattern, options })
            }),
        ("$timestamp", None) => match pair(value, "t", "i") {
            Some((Value::Int(t), Value::Int(i))) => u32::try_from(*t)
                .ok()
                .zip(u32::try_from(*i).ok())
                .map(|(time, increment)| RawBson::Timestamp(::bson::Timestamp { time, increment })),
            _ => None,
        },
        ("$code", None) => text(value).map(RawBson::JavaScriptCode),
        ("$code", Some(("$scope", Value::Object(scope)))) => match (text(value), fields.next()) {
            (Some(code), None) => Some(RawBson::JavaScriptCodeWithScope(
                RawJavaScriptCodeWithScope {
                    code,
                    scope: document_of(scope)?,
                },
            )),
            _ => None,
        },
        ("$symbol", None) => text(value).map(RawBson::Symbol),
        ("$numberDecimal", None) => text(value)
            .filter(|text| decimal(text).is_none())
            .and_then(|text| text.parse().ok())
            .map(RawBson::Decimal128),
        ("$undefined", None) if *value == Value::Bool(true) => Some(RawBson::Undefined),
        ("$minKey", None) if *value == Value::Int(1) => Some(RawBson::MinKey),
        ("$maxKey", None) if *value == Value::Int(1) => Some(RawBson::MaxKey),
        _ => None,
    })
}

impl Encoder for BsonEncoder {
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        self.records += 1;
        let document = document_of(record).map_err(|why| {
            Error::new(ErrorKind::InvalidRecord, why)
                .with_format(FORMAT)
                .at(Position {
                    record: Some(self.records),
                    ..Position::default()
                })
        })?;
        dst.extend_from_slice(document.as_bytes());
        Ok(())
    }

    fn finish(&mut self, _dst: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::{at, decode_all};

    fn records(input: &[u8]) -> Vec<Result<Record>> {
        decode_all(BsonDecoder::new(1 << 20), input)
    }

    fn errors(input: &[u8], max: usize) -> Vec<(ErrorKind, Position, bool)> {
        crate::lines::error_positions(BsonDecoder::new(max), input)
    }

    fn encoded(record: &Record) -> Vec<u8> {
        let mut out = BytesMut::new();
        BsonEncoder::default().encode(record, &mut out).unwrap();
        out.to_vec()
    }

    /// A document of the elements given (type byte, key, value bytes each).
    fn document(elements: &[(u8, &str, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (kind, key, value) in elements {
            body.push(*kind);
            body.extend_from_slice(key.as_bytes());
            body.push(0);
            body.extend_from_slice(value);
        }
        let mut out = ((body.len() + 5) as i32).to_le_bytes().to_vec();
        out.extend_from_slice(&body);
        out.push(0);
        out
    }

    #[test]
    fn bad_documents_are_skipped_and_broken_framing_ends_the_read() {
        let one = document(&[(0x10, "a", &1i32.to_le_bytes())]);
        let twice = document(&[
            (0x10, "a", &1i32.to_le_bytes()),
            (0x10, "a", &2i32.to_le_bytes()),
        ]);
        let broken = document(&[(0x02, "s", b"\xff\0\0\0x\0")]);
        let mut input = one.clone();
        input.extend_from_slice(&twice);
        input.extend_from_slice(&broken);
        input.extend_from_slice(&one);
        let got = records(&input);
        assert_eq!(got.len(), 4);
        assert!(got[0].is_ok() && got[3].is_ok());
        let message = got[1].as_ref().unwrap_err().to_string();
        assert!(
            message.contains("given twice") && message.contains("byte 12"),
            "{message}"
        );
        let message = got[2].as_ref().unwrap_err().to_string();
        assert!(message.contains("malformed"), "{message}");
        // Deeper than 256 levels: refused, and the next document read.
        let mut deep = document(&[(0x10, "x", &1i32.to_le_bytes())]);
        for _ in 0..300 {
            deep = document(&[(0x03, "d", &deep)]);
        }
        deep.extend_from_slice(&one);
        let got = records(&deep);
        assert!(
            got[0]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("deeper than 256")
        );
        assert!(got[1].is_ok());
        // A length under 5, one over the limit, input cut short: the read ends.
        let mut small = one.clone();
        small.extend_from_slice(b"\x04\0\0\0\0");
        assert_eq!(
            errors(&small, 1 << 20),
            [(ErrorKind::Parse, at(12, 2), false)]
        );
        assert_eq!(
            errors(b"\xff\xff\xff\x7f\0", 1 << 20),
            [(ErrorKind::LimitExceeded, at(0, 1), false)]
        );
        assert_eq!(
            errors(&one[..7], 1 << 20),
            [(ErrorKind::Parse, at(0, 1), false)]
        );
        assert_eq!(
            errors(&one[..3], 1 << 20),
            [(ErrorKind::Parse, at(0, 1), false)]
        );
    }

    #[test]
    fn every_bson_type_reads_and_is_written_back() {
        let oid = *b"\x65\xba\x4e\x2c\x9f\x1b\x2c\x3d\x4e\x5f\x6a\x7b";
        let mut pointer = b"\x04\0\0\0a.b\0".to_vec();
        pointer.extend_from_slice(&oid);
        let mut scope = b"\x02\0\0\0x\0".to_vec();
        scope.extend_from_slice(&document(&[(0x0a, "n", b"")]));
        let scope = [&((scope.len() + 4) as i32).to_le_bytes()[..], &scope].concat();
        let input = document(&[
            (0x07, "oid", &oid),
            (0x05, "uuid", b"\x02\0\0\0\x04ab"),
            (0x05, "bin", b"\x02\0\0\0\x00ab"),
            (0x0b, "re", b"^a\0im\0"),
            (0x11, "ts", &[3, 0, 0, 0, 7, 0, 0, 0]),
            (0x0d, "code", b"\x02\0\0\0x\0"),
            (0x0f, "scoped", &scope),
            (0x0e, "symbol", b"\x02\0\0\0s\0"),
            (0x06, "undefined", b""),
            (0xff, "min", b""),
            (0x7f, "max", b""),
            (0x09, "at", &(-1i64).to_le_bytes()),
            (0x0c, "pointer", &pointer),
        ]);
        let record = records(&input).remove(0).unwrap();
        let json = |name| crate::text::to_text(record.get(name).unwrap()).unwrap();
        assert_eq!(json("oid"), r#"{"$oid":"65ba4e2c9f1b2c3d4e5f6a7b"}"#);
        assert_eq!(
            json("uuid"),
            r#"{"$binary":{"base64":"YWI=","subType":"04"}}"#
        );
        assert_eq!(
            record.get("bin"),
            Some(&Value::Bytes(Bytes::from_static(b"ab")))
        );
        assert_eq!(
            json("re"),
            r#"{"$regularExpression":{"pattern":"^a","options":"im"}}"#
        );
        assert_eq!(json("ts"), r#"{"$timestamp":{"t":7,"i":3}}"#);
        assert_eq!(json("scoped"), r#"{"$code":"x","$scope":{"n":null}}"#);
        assert_eq!(json("undefined"), r#"{"$undefined":true}"#);
        assert_eq!(
            record.get("at").unwrap().typed_text().unwrap(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            json("pointer"),
            r#"{"$dbPointer":{"$ref":"a.b","$id":{"$oid":"65ba4e2c9f1b2c3d4e5f6a7b"}}}"#
        );
        // Written back: the same bytes, but the DBPointer, written as the document it reads as.
        let back = encoded(&record);
        let again = records(&back).remove(0).unwrap();
        assert_eq!(again, record);
        let cut = input.len() - 1 - (1 + "pointer".len() + 1 + pointer.len());
        assert_eq!(&back[4..cut], &input[4..cut]);
    }

    #[test]
    fn typed_values_are_written_as_bson_types() {
        let record: Record = [
            ("i32", Value::Int(-5)),
            ("i64", Value::Int(1 << 40)),
            ("big", Value::from(u64::MAX)),
            (
                "micros",
                Value::Timestamp(Timestamp::new(-1_500, TimeUnit::Microsecond, None)),
            ),
            ("day", Value::Date(iterable_core::Date::from_days(1))),
            ("price", Value::Decimal(Decimal::new(-123_450, 6, 3))),
            ("hundreds", Value::Decimal(Decimal::new(105, 3, -1))),
        ]
        .into_iter()
        .collect();
        let back = records(&encoded(&record)).remove(0).unwrap();
        let text = |name| {
            let value = back.get(name).unwrap();
            value.typed_text().unwrap_or_else(|| format!("{value:?}"))
        };
        assert_eq!(back.get("i32"), Some(&Value::Int(-5)));
        assert_eq!(back.get("i64"), Some(&Value::Int(1 << 40)));
        assert_eq!(text("big"), "18446744073709551615");
        assert_eq!(text("micros"), "1969-12-31T23:59:59.998Z");
        assert_eq!(text("day"), "1970-01-02T00:00:00Z");
        assert_eq!(back.get("price"), record.get("price"));
        assert_eq!(back.get("hundreds"), record.get("hundreds"));
        // 34 digits with a scale; a negative zero and objects the decoder does not make kept
        // as they are; a binary's base64 as JSON text becomes the binary.
        let full = "-1.234567890123456789012345678901234";
        let binary = |subtype: &str| {
            let inner = object([
                ("base64", Value::from("YWI=")),
                ("subType", Value::from(subtype)),
            ]);
            extended("$binary", inner)
        };
        let record: Record = [
            (
                "full",
                Value::Decimal(Decimal::new(full.replace('.', "").parse().unwrap(), 34, 33)),
            ),
            ("zero", extended("$numberDecimal", Value::from("-0"))),
            ("plain", extended("$numberDecimal", Value::from("1.5"))),
            (
                "upper",
                extended("$oid", Value::from("65BA4E2C9F1B2C3D4E5F6A7B")),
            ),
            ("generic", binary("00")),
            ("uuid", binary("04")),
        ]
        .into_iter()
        .collect();
        let back = records(&encoded(&record)).remove(0).unwrap();
        for name in ["full", "zero", "plain", "upper", "generic"] {
            assert_eq!(back.get(name), record.get(name), "{name}");
        }
        let uuid = back.get("uuid").and_then(Value::as_object).unwrap();
        let uuid = uuid.get("$binary").and_then(Value::as_object).unwrap();
        assert_eq!(
            uuid.get("base64"),
            Some(&Value::Bytes(Bytes::from_static(b"ab")))
        );
        // Too many digits for a decimal128, a NUL in a name: errors naming the record.
        let wide: Record = [(
            "n",
            Value::BigInt(iterable_core::BigInt::parse(&"9".repeat(40)).unwrap()),
        )]
        .into_iter()
        .collect();
        let mut out = BytesMut::new();
        let error = BsonEncoder::default().encode(&wide, &mut out).unwrap_err();
        assert!(error.to_string().contains("34 digits"), "{error}");
        let nul: Record = [("a\0b", Value::Null)].into_iter().collect();
        let error = BsonEncoder::default().encode(&nul, &mut out).unwrap_err();
        assert!(error.to_string().contains("NUL"), "{error}");
        assert!(out.is_empty());
    }
}
