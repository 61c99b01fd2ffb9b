//! CBOR (`cbor`, `.cbor`): a CBOR sequence (RFC 8742) of maps, one record each, or a top-level
//! array of maps, one record per element; read on ciborium-ll's headers (each value measured
//! before it is built, nothing allocated for what a length claims) and written as a sequence.
//!
//! | CBOR | [`Value`] |
//! |---|---|
//! | false, true, null, undefined | `Bool`, `Null` (undefined too) |
//! | unsigned and negative integers | `Int`, or `BigInt` outside `i64` |
//! | float 16, 32, 64 | `Float` (widened exactly) |
//! | text string | `String` (one that is not UTF-8 is kept as `Bytes`) |
//! | byte string | `Bytes` |
//! | array, map (definite or indefinite length) | `Array`, `Object` |
//! | tag 0 (RFC 3339 text with an offset), tag 1 (seconds since 1970; a float to the microsecond) | `Timestamp` in nanoseconds (microseconds past 2262), its offset as its zone (tag 1: UTC), in the years 0000 to 9999 |
//! | tags 2 and 3 (bignums, up to 256 bytes) | `Int` or `BigInt` |
//! | tag 4 (decimal fraction `[exponent, mantissa]`, 38 digits at most) | `Decimal` |
//! | tag 100 (days since 1970), tag 1004 (RFC 3339 full-date text) | `Date`, in the years 0000 to 9999 |
//! | tag 55799 (self-described CBOR) | the value it tags |
//! | any other tag, or one of the above whose content does not fit | `{"$tag": number, "$value": value}` |
//! | any other simple value | `{"$simple": number}` |
//!
//! Map keys that are not text are named by their JSON text (`1`, `-2.5`, `true`, `null`), a
//! byte string key (or a text key that is not UTF-8) by its base64; a key that is an array, a
//! map, a tagged value, undefined or another simple value, a key given twice, or a top-level
//! value that is not a map (nor a top-level array, which is opened) is a recoverable error
//! naming the record and its byte offset, and reading goes on with the next value. Nesting
//! (tags included) is limited to 256 levels, a value to the record size limit: past those, for
//! bytes that are not CBOR and for a stream cut short, reading ends with an error (a CBOR
//! sequence has nothing to find the next value by).
//!
//! Written: each record a map of definite length; `Null`, `Bool`, `Int`, `Float` (in the fewest
//! bytes that keep it exactly), `String`, `Bytes`, arrays and objects as their CBOR types;
//! `BigInt` as an integer when it fits 64 bits, else as a bignum; timestamps as tag 0 (in local
//! time and its offset when the zone is an offset such as `+02:00`, else in UTC: a timestamp
//! without a zone is taken as UTC); dates as tag 1004; decimals as tag 4; `{"$tag", "$value"}`
//! and `{"$simple"}` objects as what they stand for (but one the decoder would not make, such
//! as a tag 1 of a number, which it reads as a timestamp, is written as a map); times and
//! durations as text strings.

use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use base64::Engine;
use bytes::{Buf, Bytes, BytesMut};
use ciborium_ll::Header;
use iterable_core::{
    BigInt, Capabilities, Date, Decimal, Decoder, Encoder, Error, ErrorKind, Fields, FieldsCache,
    FormatInfo, Position, Record, Result, Timestamp, Value,
};
use std::borrow::Cow;
use std::sync::Arc;

/// The format's name in errors and options.
pub const FORMAT: &str = "cbor";

/// CBOR in the format registry.
pub struct CborFormat;

/// The registry's CBOR.
pub static CBOR: CborFormat = CborFormat;

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["cbor"],
    mime_types: &["application/cbor", "application/cbor-seq"],
    magic: &[SELF_DESCRIBED_BYTES],
    capabilities: Capabilities::STREAMING,
    description: "CBOR: a sequence of maps (or an array of maps), one record each; typed, binary",
};

/// How deep values (and tags) may nest.
const MAX_DEPTH: usize = 256;

/// The longest bignum (in bytes) read as an integer; longer ones are kept as tagged bytes.
const MAX_BIGNUM: usize = 256;

/// The tag that marks CBOR as such (RFC 8949 §3.4.6), and its bytes.
const SELF_DESCRIBED: u64 = 55799;
const SELF_DESCRIBED_BYTES: &[u8] = b"\xd9\xd9\xf7";

/// The fields of a tag or a simple value kept as an object.
const TAG: &str = "$tag";
const TAG_VALUE: &str = "$value";
const SIMPLE: &str = "$simple";

/// The break that ends an indefinite-length item.
const BREAK: u8 = 0xff;

impl FormatSpec for CborFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// The self-described tag, CBOR's magic: 100. Else maps back to back (or an array holding
    /// them), the first ones whole, their keys text: 60 for two or more, 30 for one.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        if head.starts_with(SELF_DESCRIBED_BYTES) {
            return Some(Sniffed::with(100));
        }
        let mut rest = head;
        let mut items = Items::of(rest);
        if let Ok(Header::Array(_)) = items.header() {
            rest = &rest[items.pos..];
        }
        let mut maps = 0;
        let mut levels = Vec::new();
        while !rest.is_empty() && rest[0] != BREAK && maps < 8 {
            let text_keys = |value: &[u8]| {
                let mut items = Items::of(value);
                let Ok(Item::Map(len)) = items.next() else {
                    return false;
                };
                let mut done = 0;
                while items.more(len, done) {
                    if !matches!(items.next(), Ok(Item::Text(_))) || items.skip().is_err() {
                        return false;
                    }
                    done += 1;
                }
                true
            };
            match extent(rest, usize::MAX, &mut levels) {
                Ok(end) if text_keys(&rest[..end]) => {
                    maps += 1;
                    rest = &rest[end..];
                }
                Err(Scan::CutOff) if !complete && maps > 0 => break,
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
        Ok(Box::new(CborDecoder::new(max_record_size)))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        options.check(FORMAT, &[])?;
        Ok(Box::new(CborEncoder::default()))
    }
}

/// One CBOR item at a cursor, its payload borrowed: a scalar, a tag (whose value follows), or
/// the header of an array or a map (whose items follow).
#[derive(Debug, Clone, Copy)]
enum Item<'a> {
    Uint(u64),
    /// The integer `-1 - n`.
    Negative(u64),
    Float(f64),
    Simple(u8),
    Tag(u64),
    Break,
    Bytes(Pieces<'a>),
    Text(Pieces<'a>),
    /// Its length, or `None` until a break.
    Array(Option<u64>),
    Map(Option<u64>),
}

/// A string's payload: one piece, or (indefinite length) its pieces with their headers.
#[derive(Debug, Clone, Copy)]
enum Pieces<'a> {
    One(&'a [u8]),
    Many(&'a [u8]),
}

impl<'a> Pieces<'a> {
    /// The payload whole.
    fn joined(self) -> Cow<'a, [u8]> {
        match self {
            Pieces::One(bytes) => Cow::Borrowed(bytes),
            Pieces::Many(pieces) => {
                let mut items = Items::of(pieces);
                let mut whole = Vec::new();
                while let Ok(Item::Bytes(Pieces::One(piece)) | Item::Text(Pieces::One(piece))) =
                    items.next()
                {
                    whole.extend_from_slice(piece);
                }
                Cow::Owned(whole)
            }
        }
    }
}

/// Why a value could not be taken whole.
#[derive(Debug)]
enum Scan {
    /// The input ends inside it.
    CutOff,
    /// Bytes that are not CBOR at this offset, and why.
    Malformed(usize, &'static str),
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Longer than the record size limit.
    TooLarge,
}

/// Reads the items of one value from `data`: to measure it ([`extent`]), then, known whole,
/// to build it.
struct Items<'a> {
    data: &'a [u8],
    pos: usize,
    /// Where the value may end at most (the record size limit, when measuring).
    max: usize,
}

impl<'a> Items<'a> {
    /// The items of a value measured whole.
    fn of(data: &'a [u8]) -> Items<'a> {
        Items {
            data,
            pos: 0,
            max: usize::MAX,
        }
    }

    /// The next header, by ciborium-ll.
    #[inline]
    fn header(&mut self) -> std::result::Result<Header, Scan> {
        let end = self.data.len().min(self.max);
        let mut decoder = ciborium_ll::Decoder::from(&self.data[self.pos.min(end)..end]);
        match decoder.pull() {
            // RFC 8949 §3.3: a simple value below 32 takes one byte, never two.
            Ok(Header::Simple(n)) if n < 32 && decoder.offset() == 2 => Err(Scan::Malformed(
                self.pos,
                "a simple value below 32 in two bytes",
            )),
            Ok(header) => {
                self.pos += decoder.offset();
                Ok(header)
            }
            Err(ciborium_ll::Error::Syntax(_)) => Err(Scan::Malformed(
                self.pos,
                "an initial byte that CBOR does not define",
            )),
            Err(ciborium_ll::Error::Io(_)) if self.data.len() > self.max => Err(Scan::TooLarge),
            Err(ciborium_ll::Error::Io(_)) => Err(Scan::CutOff),
        }
    }

    #[inline]
    fn bytes(&mut self, n: usize) -> std::result::Result<&'a [u8], Scan> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.max)
            .ok_or(Scan::TooLarge)?;
        let bytes = self.data.get(self.pos..end).ok_or(Scan::CutOff)?;
        self.pos = end;
        Ok(bytes)
    }

    /// The next item; a string's payload is taken too, an array's or a map's items are not.
    #[inline]
    fn next(&mut self) -> std::result::Result<Item<'a>, Scan> {
        Ok(match self.header()? {
            Header::Positive(n) => Item::Uint(n),
            Header::Negative(n) => Item::Negative(n),
            Header::Float(f) => Item::Float(f),
            Header::Simple(n) => Item::Simple(n),
            Header::Tag(tag) => Item::Tag(tag),
            Header::Break => Item::Break,
            Header::Bytes(len) => Item::Bytes(self.string(len, false)?),
            Header::Text(len) => Item::Text(self.string(len, true)?),
            Header::Array(len) => Item::Array(len.map(|n| n as u64)),
            Header::Map(len) => Item::Map(len.map(|n| n as u64)),
        })
    }

    /// A string's payload after its header: `len` bytes, or pieces up to a break.
    fn string(&mut self, len: Option<usize>, text: bool) -> std::result::Result<Pieces<'a>, Scan> {
        if let Some(n) = len {
            return self.bytes(n).map(Pieces::One);
        }
        let start = self.pos;
        loop {
            let at = self.pos;
            match self.header()? {
                Header::Break => return Ok(Pieces::Many(&self.data[start..at])),
                Header::Bytes(Some(n)) if !text => drop(self.bytes(n)?),
                Header::Text(Some(n)) if text => drop(self.bytes(n)?),
                _ => {
                    return Err(Scan::Malformed(
                        at,
                        "a piece of an indefinite-length string that is not a string of its kind",
                    ));
                }
            }
        }
    }

    /// Whether an array or a map of `len` items (or until a break) has more after `done`; the
    /// break is taken.
    #[inline]
    fn more(&mut self, len: Option<u64>, done: usize) -> bool {
        match len {
            Some(n) => (done as u64) < n,
            None if self.data.get(self.pos) == Some(&BREAK) => {
                self.pos += 1;
                false
            }
            None => self.pos < self.data.len(),
        }
    }

    /// Moves past the next value, children and all.
    fn skip(&mut self) -> std::result::Result<(), Scan> {
        let rest = &self.data[self.pos..];
        let end = extent(rest, self.max.saturating_sub(self.pos), &mut Vec::new())?;
        self.pos += end;
        Ok(())
    }
}

/// What is left of an array or a map being measured.
enum Level {
    /// This many items.
    Items(u64),
    /// Items until a break; in a map, `odd` after a key.
    UntilBreak { map: bool, odd: bool },
}

/// Where the value at the front of `data` ends, without building it: it must be whole,
/// well-formed, at most [`MAX_DEPTH`] deep and within `max_size` bytes. `levels` is scratch
/// space.
fn extent(
    data: &[u8],
    max_size: usize,
    levels: &mut Vec<Level>,
) -> std::result::Result<usize, Scan> {
    let mut items = Items {
        data,
        pos: 0,
        max: max_size,
    };
    levels.clear();
    levels.push(Level::Items(1));
    loop {
        let top = match levels.last_mut() {
            None => return Ok(items.pos),
            Some(Level::Items(0)) => {
                levels.pop();
                continue;
            }
            Some(top) => top,
        };
        let at = items.pos;
        let item = items.next()?;
        match (top, &item) {
            (Level::UntilBreak { odd: false, .. }, Item::Break) => {
                levels.pop();
                continue;
            }
            (_, Item::Break) => {
                return Err(Scan::Malformed(
                    at,
                    "a break where no indefinite-length item (or map entry) ends",
                ));
            }
            (Level::Items(n), _) => *n -= 1,
            (Level::UntilBreak { map, odd }, _) => *odd = *map && !*odd,
        }
        let level = match item {
            // A tag is followed by one item, nested in it (a break there is refused above).
            Item::Tag(_) => Level::Items(1),
            Item::Array(Some(0)) | Item::Map(Some(0)) => continue,
            Item::Array(Some(n)) => Level::Items(n),
            Item::Map(Some(n)) => Level::Items(n.saturating_mul(2)),
            Item::Array(None) => Level::UntilBreak {
                map: false,
                odd: false,
            },
            Item::Map(None) => Level::UntilBreak {
                map: true,
                odd: false,
            },
            _ => continue,
        };
        if levels.len() > MAX_DEPTH {
            return Err(Scan::TooDeep);
        }
        levels.push(level);
    }
}

/// Decodes a CBOR sequence of maps, or an array of them: see the [module](self).
///
/// Each value is first measured without building anything (its end, its depth, its
/// well-formedness), then built: a hostile length costs no allocation.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::cbor::CborDecoder;
///
/// // [{"id": 1}, {"id": 18446744073709551615}]
/// let mut buf = BytesMut::from(&b"\x82\xa1bid\x01\xa1bid\x1b\xff\xff\xff\xff\xff\xff\xff\xff"[..]);
/// let mut decoder = CborDecoder::new(1 << 20);
/// let first = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(first.get("id"), Some(&Value::Int(1)));
/// let second = decoder.decode_eof(&mut buf)?.unwrap();
/// let max = iterable_core::BigInt::parse("18446744073709551615").unwrap();
/// assert_eq!(second.get("id"), Some(&Value::BigInt(max)));
/// assert!(decoder.decode_eof(&mut buf)?.is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug)]
pub struct CborDecoder {
    max_record_size: usize,
    /// Bytes taken off the input so far.
    consumed: u64,
    /// Values taken (records and refused ones) so far.
    values: u64,
    /// A value was cut off when the buffer held this many bytes: it is measured again once
    /// the buffer holds twice as many (or the record size limit).
    retry_at: usize,
    /// The input cannot be read further.
    failed: bool,
    /// Inside a top-level array: the elements left, or `None` until its break.
    array: Option<Option<u64>>,
    levels: Vec<Level>,
    names: FieldsCache,
    utc: Arc<str>,
    tag_fields: Fields,
    simple_fields: Fields,
}

impl std::fmt::Debug for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Level::Items(n) => write!(f, "Items({n})"),
            Level::UntilBreak { map, odd } => write!(f, "UntilBreak({map}, {odd})"),
        }
    }
}

impl CborDecoder {
    /// A decoder refusing values longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> CborDecoder {
        CborDecoder {
            max_record_size: max_record_size.max(1),
            consumed: 0,
            values: 0,
            retry_at: 0,
            failed: false,
            array: None,
            levels: Vec::new(),
            names: FieldsCache::default(),
            utc: Arc::from("UTC"),
            tag_fields: Fields::new([TAG, TAG_VALUE]),
            simple_fields: Fields::new([SIMPLE]),
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

    fn take(&mut self, buf: &mut BytesMut, n: usize) {
        self.retry_at = 0;
        self.consumed += n as u64;
        buf.advance(n);
    }

    /// The fatal error of a value that could not be measured.
    fn unmeasured(&mut self, buf: &mut BytesMut, scan: Scan) -> Error {
        let (kind, message) = match scan {
            Scan::CutOff => (
                ErrorKind::Parse,
                "the input is cut short in a value".to_owned(),
            ),
            Scan::Malformed(at, why) => (
                ErrorKind::Parse,
                format!("{why} (byte 0x{:02x}), {at} bytes into the value", buf[at]),
            ),
            Scan::TooDeep => (
                ErrorKind::LimitExceeded,
                format!("values nest deeper than {MAX_DEPTH} levels"),
            ),
            Scan::TooLarge => (
                ErrorKind::LimitExceeded,
                format!(
                    "a value is longer than the maximum record size of {} bytes",
                    self.max_record_size
                ),
            ),
        };
        self.fatal(buf, kind, message)
    }

    /// The next record at the front of `buf`; `None` when more input is needed, or at the end.
    fn next(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        loop {
            if self.failed || (!eof && buf.len() < self.retry_at) {
                return Ok(None);
            }
            match self.array {
                Some(Some(0)) => {
                    self.array = None;
                    continue;
                }
                Some(None) if buf.first() == Some(&BREAK) => {
                    self.take(buf, 1);
                    self.array = None;
                    continue;
                }
                _ => {}
            }
            if buf.is_empty() {
                if eof && self.array.is_some() {
                    let message = "the input ends inside the top-level array".to_owned();
                    return Err(self.fatal(buf, ErrorKind::Parse, message));
                }
                return Ok(None);
            }
            if self.array.is_none() {
                // A top-level array is opened, the self-described tag taken off.
                let mut items = Items {
                    data: buf,
                    pos: 0,
                    max: self.max_record_size,
                };
                match items.header() {
                    Ok(Header::Tag(SELF_DESCRIBED)) => {
                        self.take(buf, items.pos);
                        continue;
                    }
                    Ok(Header::Array(len)) => {
                        self.array = Some(len.map(|n| n as u64));
                        self.take(buf, items.pos);
                        continue;
                    }
                    Err(Scan::CutOff) if !eof => {
                        self.retry_at = buf.len() + 1;
                        return Ok(None);
                    }
                    _ => {}
                }
            }
            let mut levels = std::mem::take(&mut self.levels);
            let measured = extent(buf, self.max_record_size, &mut levels);
            self.levels = levels;
            let end = match measured {
                Ok(end) => end,
                Err(Scan::CutOff) if !eof => {
                    self.retry_at = buf
                        .len()
                        .saturating_mul(2)
                        .min(self.max_record_size.saturating_add(1));
                    return Ok(None);
                }
                Err(scan) => return Err(self.unmeasured(buf, scan)),
            };
            let record = self.record(&buf[..end]).map_err(|e| {
                let e = if e.position().is_unknown() {
                    e.at(self.position())
                } else {
                    e
                };
                e.with_format(FORMAT).recoverable()
            });
            if let Some(Some(left)) = &mut self.array {
                *left -= 1;
            }
            self.retry_at = 0;
            self.values += 1;
            self.take(buf, end);
            return record.map(Some);
        }
    }

    /// The record a whole top-level value makes.
    fn record(&mut self, value: &[u8]) -> Result<Record> {
        let mut items = Items::of(value);
        let first = loop {
            match items.next().map_err(broken)? {
                Item::Tag(SELF_DESCRIBED) => {}
                item => break item,
            }
        };
        if !matches!(first, Item::Map(_)) {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!("{} at the top level, not a map", kind(first)),
            ));
        }
        let mut place = 0;
        match self.value(&mut Items::of(value), &mut place)? {
            Value::Object(record) => Ok(*record),
            _ => Err(broken(Scan::CutOff)),
        }
    }

    fn value(&mut self, items: &mut Items<'_>, place: &mut usize) -> Result<Value> {
        Ok(match items.next().map_err(broken)? {
            Item::Uint(n) => Value::from(n),
            Item::Negative(n) => Value::from(-1 - i128::from(n)),
            Item::Float(f) => Value::Float(f),
            Item::Simple(n) => self.simple(n)?,
            Item::Bytes(pieces) => Value::Bytes(match pieces.joined() {
                Cow::Borrowed(bytes) => Bytes::copy_from_slice(bytes),
                Cow::Owned(bytes) => Bytes::from(bytes),
            }),
            Item::Text(pieces) => match pieces.joined() {
                Cow::Borrowed(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => Value::from(text),
                    Err(_) => Value::Bytes(Bytes::copy_from_slice(bytes)),
                },
                Cow::Owned(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => Value::from(text),
                    Err(e) => Value::Bytes(Bytes::from(e.into_bytes())),
                },
            },
            Item::Array(len) => {
                let mut values = Vec::with_capacity(len.unwrap_or(0).min(1024) as usize);
                while items.more(len, values.len()) {
                    values.push(self.value(items, place)?);
                }
                Value::Array(values)
            }
            Item::Map(len) => {
                let here = *place;
                *place += 1;
                let capacity = len.unwrap_or(0).min(1024) as usize;
                let (mut keys, mut values) =
                    (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
                while items.more(len, keys.len()) {
                    keys.push(key(items.next().map_err(broken)?)?);
                    values.push(self.value(items, place)?);
                }
                if let Some(name) = crate::lines::first_repeated(keys.iter().map(|k| k.as_ref())) {
                    return Err(Error::new(
                        ErrorKind::InvalidRecord,
                        format!("the key {name:?} is given twice in a map"),
                    ));
                }
                let fields = self.names.fields(here, keys.iter().map(|k| k.as_ref()));
                Value::Object(Box::new(Record::with_fields(fields, values)?))
            }
            Item::Tag(tag) => {
                let inner = self.value(items, place)?;
                self.tagged(tag, inner)?
            }
            Item::Break => return Err(broken(Scan::CutOff)),
        })
    }

    /// A simple value: see the [module](self).
    fn simple(&self, n: u8) -> Result<Value> {
        Ok(match n {
            20 => Value::Bool(false),
            21 => Value::Bool(true),
            22 | 23 => Value::Null,
            n => Value::Object(Box::new(Record::with_fields(
                self.simple_fields.clone(),
                vec![Value::Int(i64::from(n))],
            )?)),
        })
    }

    /// The typed value of a tagged one, or the tag and value as an object: see the
    /// [module](self).
    fn tagged(&self, tag: u64, inner: Value) -> Result<Value> {
        if tag == SELF_DESCRIBED {
            return Ok(inner);
        }
        match typed_tag(tag, &inner, &self.utc) {
            Some(value) => Ok(value),
            None => Ok(Value::Object(Box::new(Record::with_fields(
                self.tag_fields.clone(),
                vec![Value::from(tag), inner],
            )?))),
        }
    }
}

/// The seconds from 1970 to the first instant of the year 0000, and to the last of 9999: the
/// years RFC 3339 writes.
const FIRST_SECOND: i128 = -62_167_219_200;
const LAST_SECOND: i128 = 253_402_300_799;

/// The days from 1970 to 0000-01-01 and to 9999-12-31.
const FIRST_DAY: i64 = -719_528;
const LAST_DAY: i64 = 2_932_896;

/// The typed value of a tag's content, when the tag has one and the content fits it (`utc`
/// names UTC): see the [module](self).
fn typed_tag(tag: u64, inner: &Value, utc: &Arc<str>) -> Option<Value> {
    let instant = |nanos: i128| {
        let seconds = nanos.div_euclid(1_000_000_000);
        if !(FIRST_SECOND..=LAST_SECOND).contains(&seconds) {
            return None;
        }
        Timestamp::from_nanos(nanos, Some(utc.clone())).map(Value::Timestamp)
    };
    let datetime = |text: &str| {
        let datetime = text.parse::<toml::value::Datetime>().ok()?;
        Some(crate::toml::datetime_of(&datetime, utc))
    };
    match (tag, inner) {
        // RFC 3339 date-times have an offset: one without is kept tagged.
        (0, Value::String(text)) => match datetime(text) {
            Some(Value::Timestamp(t)) if t.zone().is_some() => Some(Value::Timestamp(t)),
            _ => None,
        },
        (1, Value::Int(seconds)) => instant(i128::from(*seconds) * 1_000_000_000),
        (1, Value::Float(seconds)) => {
            // To the microsecond: a float of seconds since 1970 holds no finer.
            let micros = (seconds * 1e6).round();
            (micros.is_finite() && micros.abs() < 1e30)
                .then(|| instant(micros as i128 * 1_000))
                .flatten()
        }
        (2, Value::Bytes(magnitude)) => bignum(magnitude, false),
        (3, Value::Bytes(magnitude)) => bignum(magnitude, true),
        (4, Value::Array(parts)) => decimal_fraction(parts),
        (100, Value::Int(days)) if (FIRST_DAY..=LAST_DAY).contains(days) => {
            Some(Value::Date(Date::from_days(*days as i32)))
        }
        (1004, Value::String(text)) => match datetime(text) {
            Some(date @ Value::Date(_)) => Some(date),
            _ => None,
        },
        _ => None,
    }
}

/// The integer of a bignum's big-endian magnitude `n` (tag 3: `-1 - n`), when at most
/// [`MAX_BIGNUM`] bytes long.
fn bignum(magnitude: &[u8], negative: bool) -> Option<Value> {
    let start = magnitude
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(magnitude.len());
    let magnitude = &magnitude[start..];
    if magnitude.len() > MAX_BIGNUM {
        return None;
    }
    if magnitude.len() <= 16 {
        let mut be = [0u8; 16];
        be[16 - magnitude.len()..].copy_from_slice(magnitude);
        let n = u128::from_be_bytes(be);
        return Some(match (negative, i128::try_from(n)) {
            (false, _) => Value::from(n),
            (true, Ok(n)) => Value::from(-1 - n),
            (true, Err(_)) => {
                Value::BigInt(BigInt::parse(&format!("-{}", add_one(&n.to_string())))?)
            }
        });
    }
    let mut digits = decimal_digits(magnitude);
    if negative {
        digits = add_one(&digits);
        digits.insert(0, '-');
    }
    BigInt::parse(&digits).map(Value::BigInt)
}

/// The decimal digits of a big-endian magnitude with no leading zero byte.
fn decimal_digits(magnitude: &[u8]) -> String {
    let mut number = magnitude.to_vec();
    let mut digits = Vec::new();
    while !number.is_empty() {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = remainder << 8 | u32::from(*byte);
            *byte = (value / 10) as u8;
            remainder = value % 10;
        }
        digits.push(b'0' + remainder as u8);
        let zeros = number.iter().take_while(|b| **b == 0).count();
        number.drain(..zeros);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("ASCII digits")
}

/// The decimal digits of one more than `digits`.
fn add_one(digits: &str) -> String {
    let mut out = digits.as_bytes().to_vec();
    for digit in out.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return String::from_utf8(out).expect("ASCII digits");
        }
    }
    out.insert(0, b'1');
    String::from_utf8(out).expect("ASCII digits")
}

/// A decimal fraction `[exponent, mantissa]` as a [`Decimal`], when its scale and digits fit.
fn decimal_fraction(parts: &[Value]) -> Option<Value> {
    let [Value::Int(exponent), mantissa] = parts else {
        return None;
    };
    let unscaled: i128 = match mantissa {
        Value::Int(n) => i128::from(*n),
        Value::BigInt(n) => n.as_str().parse().ok()?,
        _ => return None,
    };
    let scale = i8::try_from(exponent.checked_neg()?).ok()?;
    let digits = unscaled
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |d| d + 1);
    let precision = digits.max(u32::from(scale.max(0).unsigned_abs()));
    (precision <= 38).then(|| Value::Decimal(Decimal::new(unscaled, precision as u8, scale)))
}

/// An error for bytes [`extent`] passed that do not read back (it cannot happen).
fn broken(_: Scan) -> Error {
    Error::new(
        ErrorKind::Parse,
        "a value that does not read as it measured",
    )
}

/// What an item is, with its article: `an integer`.
fn kind(item: Item<'_>) -> String {
    match item {
        Item::Uint(_) | Item::Negative(_) => "an integer".into(),
        Item::Float(_) => "a float".into(),
        Item::Simple(n) => format!("the simple value {n}"),
        Item::Tag(tag) => format!("a value of tag {tag}"),
        Item::Break => "a break".into(),
        Item::Bytes(_) => "a byte string".into(),
        Item::Text(_) => "a text string".into(),
        Item::Array(_) => "an array".into(),
        Item::Map(_) => "a map".into(),
    }
}

/// A map key as a field name: see the [module](self).
fn key(item: Item<'_>) -> Result<Cow<'_, str>> {
    let base64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    Ok(match item {
        Item::Text(pieces) => match pieces.joined() {
            Cow::Borrowed(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => Cow::Owned(base64(bytes)),
            },
            Cow::Owned(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Cow::Owned(text),
                Err(e) => Cow::Owned(base64(e.as_bytes())),
            },
        },
        Item::Bytes(pieces) => Cow::Owned(base64(&pieces.joined())),
        Item::Uint(n) => Cow::Owned(n.to_string()),
        Item::Negative(n) => Cow::Owned((-1 - i128::from(n)).to_string()),
        Item::Float(f) => {
            Cow::Owned(crate::text::to_text(&Value::Float(f)).unwrap_or_else(|_| f.to_string()))
        }
        Item::Simple(20) => Cow::Borrowed("false"),
        Item::Simple(21) => Cow::Borrowed("true"),
        Item::Simple(22) => Cow::Borrowed("null"),
        other => {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "a map key that is {}, which cannot name a field",
                    kind(other)
                ),
            ));
        }
    })
}

impl Decoder for CborDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true)
    }
}

/// Encodes records as a CBOR sequence of maps: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::cbor::CborEncoder;
///
/// let record: Record = [("id", Value::Int(1)), ("ok", Value::Bool(true))].into_iter().collect();
/// let mut out = BytesMut::new();
/// CborEncoder::default().encode(&record, &mut out)?;
/// assert_eq!(&out[..], b"\xa2bid\x01bok\xf5");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct CborEncoder {
    scratch: Vec<u8>,
}

/// Appends a header, by ciborium-ll (writing to memory, it does not fail).
fn head(out: &mut Vec<u8>, header: Header) {
    let mut encoder = ciborium_ll::Encoder::from(out);
    encoder.push(header).expect("writing to memory");
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => head(out, Header::Simple(22)),
        Value::Bool(b) => head(out, Header::Simple(if *b { 21 } else { 20 })),
        Value::Int(n) => write_integer(out, i128::from(*n)),
        Value::BigInt(n) => match n.as_str().parse::<i128>() {
            Ok(n) => write_integer(out, n),
            Err(_) => write_bignum(out, n.as_str()),
        },
        Value::Float(f) => head(out, Header::Float(*f)),
        Value::String(s) => {
            head(out, Header::Text(Some(s.len())));
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            head(out, Header::Bytes(Some(b.len())));
            out.extend_from_slice(b);
        }
        Value::Array(items) => {
            head(out, Header::Array(Some(items.len())));
            items.iter().for_each(|item| write_value(out, item));
        }
        Value::Object(record) => match special(record) {
            Some(Special::Tag(tag, value)) => {
                head(out, Header::Tag(tag));
                write_value(out, value);
            }
            Some(Special::Simple(n)) => head(out, Header::Simple(n)),
            None => write_map(out, record),
        },
        Value::Timestamp(t) => {
            head(out, Header::Tag(0));
            write_value(out, &Value::from(rfc3339(t)));
        }
        Value::Date(d) => {
            head(out, Header::Tag(1004));
            write_value(out, &Value::from(d.to_string()));
        }
        Value::Decimal(d) => {
            head(out, Header::Tag(4));
            head(out, Header::Array(Some(2)));
            write_integer(out, -i128::from(d.scale()));
            write_integer(out, d.unscaled());
        }
        typed => {
            let text = typed.typed_text().unwrap_or_default();
            write_value(out, &Value::from(text));
        }
    }
}

/// A timestamp as RFC 3339 text: local time and its offset for a zone that is one (`+02:00`,
/// `+00:00`), else in UTC (`Z`), a timestamp without a zone taken as UTC.
fn rfc3339(t: &Timestamp) -> String {
    let offset = t
        .zone()
        .filter(|zone| zone.starts_with(['+', '-']))
        .and_then(crate::text::offset_minutes);
    let local = offset.and_then(|minutes| {
        let shift = i64::from(minutes)
            .checked_mul(60)?
            .checked_mul(t.unit().per_second())?;
        Some((t.value().checked_add(shift)?, minutes))
    });
    match local {
        Some((value, minutes)) => format!(
            "{}{}",
            Timestamp::new(value, t.unit(), None),
            crate::text::offset_zone(minutes)
        ),
        None => format!("{}Z", Timestamp::new(t.value(), t.unit(), None)),
    }
}

/// An integer in CBOR's major types 0 and 1 when it fits 64 bits, else as a bignum.
fn write_integer(out: &mut Vec<u8>, n: i128) {
    match (u64::try_from(n), u64::try_from(-1 - n)) {
        (Ok(n), _) => head(out, Header::Positive(n)),
        (_, Ok(m)) => head(out, Header::Negative(m)),
        _ => {
            let (tag, magnitude) = if n < 0 {
                (3, (-1 - n) as u128)
            } else {
                (2, n as u128)
            };
            let be = magnitude.to_be_bytes();
            let start = be.iter().position(|b| *b != 0).unwrap_or(be.len());
            head(out, Header::Tag(tag));
            write_value(out, &Value::Bytes(Bytes::copy_from_slice(&be[start..])));
        }
    }
}

/// A bignum from decimal digits (an optional `-`, then digits) beyond `i128`.
fn write_bignum(out: &mut Vec<u8>, digits: &str) {
    let (tag, magnitude) = match digits.strip_prefix('-') {
        Some(digits) => (3, subtract_one(&big_endian(digits))),
        None => (2, big_endian(digits)),
    };
    head(out, Header::Tag(tag));
    write_value(out, &Value::Bytes(Bytes::from(magnitude)))
}

/// The big-endian bytes (no leading zero byte) of decimal digits.
fn big_endian(digits: &str) -> Vec<u8> {
    let mut number: Vec<u8> = Vec::new();
    for digit in digits.bytes() {
        let mut carry = u32::from(digit - b'0');
        for byte in number.iter_mut().rev() {
            let value = u32::from(*byte) * 10 + carry;
            *byte = value as u8;
            carry = value >> 8;
        }
        while carry > 0 {
            number.insert(0, carry as u8);
            carry >>= 8;
        }
    }
    number
}

/// One less than a big-endian magnitude of at least one.
fn subtract_one(magnitude: &[u8]) -> Vec<u8> {
    let mut out = magnitude.to_vec();
    for byte in out.iter_mut().rev() {
        if *byte == 0 {
            *byte = 0xff;
        } else {
            *byte -= 1;
            break;
        }
    }
    let start = out.iter().position(|b| *b != 0).unwrap_or(out.len());
    out.drain(..start);
    out
}

/// What an object of the decoder's own making stands for.
enum Special<'a> {
    Tag(u64, &'a Value),
    Simple(u8),
}

/// A tag (`{"$tag": number, "$value": value}`) or a simple value (`{"$simple": number}`, not
/// one of 20 to 31, which are booleans, null, undefined and reserved).
fn special(record: &Record) -> Option<Special<'_>> {
    match (
        record.len(),
        record.get(TAG),
        record.get(TAG_VALUE),
        record.get(SIMPLE),
    ) {
        (2, Some(tag), Some(value), _) => {
            let tag = match tag {
                Value::Int(n) => u64::try_from(*n).ok()?,
                Value::BigInt(n) => n.as_str().parse().ok()?,
                _ => return None,
            };
            // Only what the decoder would keep as this object: `{"$tag": 1, "$value": 0}` is a
            // map, lest it read back as a timestamp.
            let typed = tag == SELF_DESCRIBED || typed_tag(tag, value, &Arc::from("UTC")).is_some();
            (!typed).then_some(Special::Tag(tag, value))
        }
        (1, _, _, Some(Value::Int(n))) => {
            let n = u8::try_from(*n).ok().filter(|n| !(20..32).contains(n))?;
            Some(Special::Simple(n))
        }
        _ => None,
    }
}

fn write_map(out: &mut Vec<u8>, record: &Record) {
    head(out, Header::Map(Some(record.len())));
    for (name, value) in record.iter() {
        head(out, Header::Text(Some(name.len())));
        out.extend_from_slice(name.as_bytes());
        write_value(out, value);
    }
}

impl Encoder for CborEncoder {
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        self.scratch.clear();
        write_map(&mut self.scratch, record);
        dst.extend_from_slice(&self.scratch);
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

    #[test]
    fn the_self_described_tag_is_the_magic() {
        let tagged = b"\xd9\xd9\xf7\xa1\x61a\x01";
        assert_eq!(CBOR.sniff(tagged, true).map(|s| s.confidence), Some(100));
        let found = crate::detect_from_content(tagged, true).unwrap();
        assert_eq!(found.format.info().name, "cbor");
    }

    fn records(input: &[u8]) -> Vec<Result<Record>> {
        decode_all(CborDecoder::new(1 << 20), input)
    }

    fn errors(input: &[u8], max: usize) -> Vec<(ErrorKind, Position, bool)> {
        crate::lines::error_positions(CborDecoder::new(max), input)
    }

    fn encoded(record: &Record) -> Vec<u8> {
        let mut out = BytesMut::new();
        CborEncoder::default().encode(record, &mut out).unwrap();
        out.to_vec()
    }

    #[test]
    fn sequences_arrays_and_indefinite_lengths_read_alike() {
        // {"a": 1} {"a": 2} as a sequence, a definite array, an indefinite one, and with
        // the self-described tag; then {_ "a": [_ 1], "s": (_ "x", "y")}.
        let maps = b"\xa1\x61a\x01\xa1\x61a\x02";
        let mut definite = b"\x82".to_vec();
        definite.extend_from_slice(maps);
        let mut indefinite = b"\xd9\xd9\xf7\x9f".to_vec();
        indefinite.extend_from_slice(maps);
        indefinite.push(0xff);
        let sequence: Vec<Record> = records(maps).into_iter().map(Result::unwrap).collect();
        assert_eq!(sequence.len(), 2);
        for input in [&definite[..], &indefinite[..]] {
            let got: Vec<Record> = records(input).into_iter().map(Result::unwrap).collect();
            assert_eq!(got, sequence);
        }
        let streamed = records(b"\xbf\x61a\x9f\x01\xff\x61s\x7f\x61x\x61y\xff\xff");
        let record = streamed[0].as_ref().unwrap();
        assert_eq!(record.get("a"), Some(&Value::Array(vec![Value::Int(1)])));
        assert_eq!(record.get("s"), Some(&Value::from("xy")));
    }

    #[test]
    fn bad_maps_are_skipped_and_broken_input_ends_the_read() {
        // {"a":1}, {"a":1,"a":2}, {[1]:1}, 7, {"b":2}: the middle three refused, the last read.
        let input = b"\xa1\x61a\x01\xa2\x61a\x01\x61a\x02\xa1\x81\x01\x01\x07\xa1\x61b\x02";
        let got = records(input);
        assert_eq!(got.len(), 5);
        assert!(got[0].is_ok() && got[4].is_ok());
        let message = got[1].as_ref().unwrap_err().to_string();
        assert!(
            message.contains("given twice") && message.contains("byte 4"),
            "{message}"
        );
        let message = got[2].as_ref().unwrap_err().to_string();
        assert!(message.contains("a map key that is an array"), "{message}");
        let message = got[3].as_ref().unwrap_err().to_string();
        assert!(
            message.contains("an integer at the top level, not a map"),
            "{message}"
        );
        // A reserved initial byte, a stray break, a value cut short, one too deep, a string
        // claiming 4 GiB: the read ends.
        assert_eq!(
            errors(b"\xa1\x61a\x01\xa1\x61b\x1c", 1 << 20),
            [(ErrorKind::Parse, at(4, 2), false)]
        );
        assert_eq!(
            errors(b"\xa1\x61a\xff", 1 << 20),
            [(ErrorKind::Parse, at(0, 1), false)]
        );
        assert_eq!(
            errors(b"\xa1\x61a\x82\x01", 1 << 20),
            [(ErrorKind::Parse, at(0, 1), false)]
        );
        let mut deep = b"\xa1\x61a".to_vec();
        deep.extend(std::iter::repeat_n(0x81, 300));
        deep.push(0x01);
        assert_eq!(
            errors(&deep, 1 << 20),
            [(ErrorKind::LimitExceeded, at(0, 1), false)]
        );
        let mut tags = b"\xa1\x61a".to_vec();
        tags.extend(std::iter::repeat_n(0xc6, 300));
        tags.push(0x01);
        assert_eq!(
            errors(&tags, 1 << 20),
            [(ErrorKind::LimitExceeded, at(0, 1), false)]
        );
        assert_eq!(
            errors(b"\xa1\x61a\x5a\xff\xff\xff\xff", 1 << 10),
            [(ErrorKind::LimitExceeded, at(0, 1), false)]
        );
        // An array left open at the end of the input.
        assert_eq!(
            errors(b"\x9f\xa1\x61a\x01", 1 << 20),
            [(ErrorKind::Parse, at(5, 2), false)]
        );
    }

    #[test]
    fn tags_become_typed_values_and_are_written_back() {
        // {"t": 0("2024-01-31T13:45:00.25+02:00"), "e": 1(-1), "f": 1(1.5),
        //  "d": 1004("2024-01-31"), "n": 100(-1), "m": 4([-3, -123450]),
        //  "b": 2(h'010000000000000000'), "c": 3(h'010000000000000000'),
        //  "x": 99("x"), "s": simple(99), "u": undefined, "bad": 0(5)}
        let mut input = b"\xac".to_vec();
        input.extend_from_slice(b"\x61t\xc0\x78\x1c2024-01-31T13:45:00.25+02:00");
        input.extend_from_slice(b"\x61e\xc1\x20\x61f\xc1\xf9\x3e\x00");
        input.extend_from_slice(b"\x61d\xd9\x03\xec\x6a2024-01-31\x61n\xd8\x64\x20");
        input.extend_from_slice(b"\x61m\xc4\x82\x22\x3a\x00\x01\xe2\x39");
        input.extend_from_slice(b"\x61b\xc2\x49\x01\x00\x00\x00\x00\x00\x00\x00\x00");
        input.extend_from_slice(b"\x61c\xc3\x49\x01\x00\x00\x00\x00\x00\x00\x00\x00");
        input.extend_from_slice(b"\x61x\xd8\x63\x61x\x61s\xf8\x63\x61u\xf7\x63bad\xc0\x05");
        let record = records(&input).remove(0).unwrap();
        let text = |name| {
            let value = record.get(name).unwrap();
            value.typed_text().unwrap_or_else(|| format!("{value:?}"))
        };
        assert_eq!(text("t"), "2024-01-31T11:45:00.25Z");
        assert_eq!(text("e"), "1969-12-31T23:59:59Z");
        assert_eq!(text("f"), "1970-01-01T00:00:01.5Z");
        assert_eq!(text("d"), "2024-01-31");
        assert_eq!(text("n"), "1969-12-31");
        assert_eq!(text("m"), "-123.450");
        assert_eq!(
            record.get("b"),
            Some(&Value::BigInt(
                BigInt::parse("18446744073709551616").unwrap()
            ))
        );
        assert_eq!(
            record.get("c"),
            Some(&Value::BigInt(
                BigInt::parse("-18446744073709551617").unwrap()
            ))
        );
        assert_eq!(record.get("u"), Some(&Value::Null));
        let x = record.get("x").and_then(Value::as_object).unwrap();
        assert_eq!(x.get("$tag"), Some(&Value::Int(99)));
        let bad = record.get("bad").and_then(Value::as_object).unwrap();
        assert_eq!(bad.get("$value"), Some(&Value::Int(5)));
        let s = record.get("s").and_then(Value::as_object).unwrap();
        assert_eq!(s.get("$simple"), Some(&Value::Int(99)));
        // Written and read back: the same values, undefined as null.
        let back = records(&encoded(&record)).remove(0).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn tags_count_toward_the_depth_and_odd_values_read_back_as_read() {
        // 200 arrays, each holding a tag: 400 levels, past the limit.
        let mut deep = b"\xa1\x61a".to_vec();
        deep.extend(std::iter::repeat_n([0x81, 0xc6], 200).flatten());
        deep.push(0x01);
        assert_eq!(
            errors(&deep, 1 << 20),
            [(ErrorKind::LimitExceeded, at(0, 1), false)]
        );
        // A simple value below 32 in two bytes is not well-formed.
        assert_eq!(
            errors(b"\xa1\x61a\xf8\x14", 1 << 20),
            [(ErrorKind::Parse, at(0, 1), false)]
        );
        // {"z": 0("2024-01-31T13:45:00+00:00"), "local": 0("2024-01-31T13:45:00"),
        //  "far": 1(253402300800), "map": {"$tag": 1, "$value": 0}}
        let mut input = b"\xa4\x61z\xc0\x78\x192024-01-31T13:45:00+00:00".to_vec();
        input.extend_from_slice(b"\x65local\xc0\x732024-01-31T13:45:00");
        input.extend_from_slice(b"\x63far\xc1\x1b\x00\x00\x00\x3a\xff\xf4\x42\x80");
        input.extend_from_slice(b"\x63map\xa2\x64$tag\x01\x66$value\x00");
        let record = records(&input).remove(0).unwrap();
        assert!(matches!(record.get("z"), Some(Value::Timestamp(t)) if t.zone() == Some("+00:00")));
        for kept in ["local", "far", "map"] {
            let object = record.get(kept).and_then(Value::as_object).unwrap();
            assert!(object.get("$tag").is_some(), "{kept}");
        }
        let back = records(&encoded(&record)).remove(0).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn bignums_of_any_length_round_trip() {
        for digits in [
            "18446744073709551616",
            "-18446744073709551617",
            "340282366920938463463374607431768211455",
            "340282366920938463463374607431768211456",
            "-340282366920938463463374607431768211456",
            "-340282366920938463463374607431768211457",
            "1606938044258990275541962092341162602522202993782792835301376",
            "-1606938044258990275541962092341162602522202993782792835301377",
        ] {
            let value = Value::BigInt(BigInt::parse(digits).unwrap());
            let record: Record = [("n", value.clone())].into_iter().collect();
            let back = records(&encoded(&record)).remove(0).unwrap();
            assert_eq!(back.get("n"), Some(&value), "{digits}");
        }
        // Integers of 64 bits are written as integers, not bignums.
        let record: Record = [("n", Value::Int(-1)), ("m", Value::from(u64::MAX))]
            .into_iter()
            .collect();
        assert_eq!(
            encoded(&record),
            b"\xa2\x61n\x20\x61m\x1b\xff\xff\xff\xff\xff\xff\xff\xff"
        );
    }
}
