//! MessagePack (`msgpack`, `.msgpack`, `.mp`): a stream of maps, one record each, read on rmp's
//! markers (each value measured before it is built, nothing allocated for what a length
//! claims) and written with rmp.
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
//! to the record size limit: past those, for the byte 0xc1 (which MessagePack never uses) and
//! for a stream cut short, reading ends with an error (MessagePack has nothing to find the next
//! value by).
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
use std::borrow::Cow;
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

    /// Maps back to back, the first ones whole, their keys strings: 60 for two or more, 30
    /// for one (a byte that starts a map is common in binary).
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let mut rest = head;
        let mut maps = 0;
        let mut scratch = Measure::default();
        while !rest.is_empty() && maps < 8 {
            let first = Items::of(rest).next();
            let string_keys = |value: &[u8]| {
                let mut items = Items::of(value);
                let Ok(Item::Map(n)) = items.next() else {
                    return false;
                };
                (0..n).all(|_| matches!(items.next(), Ok(Item::Str(_))) && items.skip().is_ok())
            };
            match (first, measure(rest, usize::MAX, &mut scratch)) {
                (Ok(Item::Map(_)), Ok((end, _))) if string_keys(&rest[..end]) => {
                    maps += 1;
                    rest = &rest[end..];
                }
                (_, Err(Scan::CutOff)) if !complete && maps > 0 => break,
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

/// One MessagePack item at a cursor, its payload borrowed: a scalar, or the header of an
/// array or a map (whose items follow).
#[derive(Debug, Clone, Copy)]
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Ext(i8, &'a [u8]),
    Array(u64),
    Map(u64),
}

/// Why a value could not be taken whole.
enum Scan {
    /// The input ends inside it.
    CutOff,
    /// The reserved byte 0xc1, at this offset.
    Reserved(usize),
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Longer than the record size limit.
    TooLarge,
}

/// Reads the items of one value from `data`: to measure and check it ([`measure`]), then,
/// known whole, to build it.
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
}

impl<'a> Items<'a> {
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

    #[inline]
    fn uint(&mut self, n: usize) -> std::result::Result<u64, Scan> {
        let bytes = self.bytes(n)?;
        Ok(match *bytes {
            [a] => u64::from(a),
            [a, b] => u64::from(u16::from_be_bytes([a, b])),
            [a, b, c, d] => u64::from(u32::from_be_bytes([a, b, c, d])),
            _ => bytes.iter().fold(0u64, |v, b| v << 8 | u64::from(*b)),
        })
    }

    /// The next item; its payload (a string's bytes) is taken too, its children are not.
    #[inline]
    fn next(&mut self) -> std::result::Result<Item<'a>, Scan> {
        use rmp::Marker as M;
        let at = self.pos;
        let marker = M::from_u8(self.bytes(1)?[0]);
        let len = |this: &mut Self, n| this.uint(n).map(|v| v as usize);
        Ok(match marker {
            M::FixPos(n) => Item::Int(i64::from(n)),
            M::FixNeg(n) => Item::Int(i64::from(n)),
            M::Null => Item::Nil,
            M::Reserved => return Err(Scan::Reserved(at)),
            M::False => Item::Bool(false),
            M::True => Item::Bool(true),
            M::U8 => Item::Int(self.uint(1)? as i64),
            M::U16 => Item::Int(self.uint(2)? as i64),
            M::U32 => Item::Int(self.uint(4)? as i64),
            M::U64 => Item::Uint(self.uint(8)?),
            M::I8 => Item::Int(i64::from(self.uint(1)? as u8 as i8)),
            M::I16 => Item::Int(i64::from(self.uint(2)? as u16 as i16)),
            M::I32 => Item::Int(i64::from(self.uint(4)? as u32 as i32)),
            M::I64 => Item::Int(self.uint(8)? as i64),
            M::F32 => Item::F32(f32::from_bits(self.uint(4)? as u32)),
            M::F64 => Item::F64(f64::from_bits(self.uint(8)?)),
            M::FixStr(n) => Item::Str(self.bytes(usize::from(n))?),
            M::Str8 | M::Str16 | M::Str32 => {
                let n = len(self, width(marker))?;
                Item::Str(self.bytes(n)?)
            }
            M::Bin8 | M::Bin16 | M::Bin32 => {
                let n = len(self, width(marker))?;
                Item::Bin(self.bytes(n)?)
            }
            M::FixExt1 | M::FixExt2 | M::FixExt4 | M::FixExt8 | M::FixExt16 => {
                let ty = self.bytes(1)?[0] as i8;
                Item::Ext(ty, self.bytes(width(marker))?)
            }
            M::Ext8 | M::Ext16 | M::Ext32 => {
                let n = len(self, width(marker))?;
                let ty = self.bytes(1)?[0] as i8;
                Item::Ext(ty, self.bytes(n)?)
            }
            M::FixArray(n) => Item::Array(u64::from(n)),
            M::Array16 | M::Array32 => Item::Array(self.uint(width(marker))?),
            M::FixMap(n) => Item::Map(u64::from(n)),
            M::Map16 | M::Map32 => Item::Map(self.uint(width(marker))?),
        })
    }

    /// Moves past the next value, children and all.
    fn skip(&mut self) -> std::result::Result<(), Scan> {
        let mut left: u64 = 1;
        while left > 0 {
            left -= 1;
            match self.next()? {
                Item::Array(n) => left = left.saturating_add(n),
                Item::Map(n) => left = left.saturating_add(n.saturating_mul(2)),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The bytes of the length (or, for a fixext, of the data) after a marker.
fn width(marker: rmp::Marker) -> usize {
    use rmp::Marker as M;
    match marker {
        M::Str8 | M::Bin8 | M::Ext8 | M::FixExt1 => 1,
        M::Str16 | M::Bin16 | M::Ext16 | M::Array16 | M::Map16 | M::FixExt2 => 2,
        M::Str32 | M::Bin32 | M::Ext32 | M::Array32 | M::Map32 | M::FixExt4 => 4,
        M::FixExt8 => 8,
        M::FixExt16 => 16,
        _ => 0,
    }
}

/// What measuring a value leaves: the names of its maps, and the walk's own stacks, kept from
/// value to value so that their allocations are reused.
#[derive(Debug, Default)]
struct Measure {
    /// Items left at each depth, and the map it is (its index in `names.spans`), if one.
    levels: Vec<(u64, Option<usize>)>,
    /// The keys of the maps open, as ranges of `names.text`: an open map's are on top.
    pending: Vec<(usize, usize)>,
    /// Where the keys of each open map start in `pending`.
    open: Vec<usize>,
    names: MapNames,
}

/// The field names of every map of a value: the `i`-th map to start has the names
/// `names[spans[i].0..spans[i].1]`, each a range of `text`.
#[derive(Debug, Default)]
struct MapNames {
    text: String,
    names: Vec<(usize, usize)>,
    spans: Vec<(usize, usize)>,
}

impl MapNames {
    /// The names of the `i`-th map to start.
    fn of(&self, i: usize) -> impl ExactSizeIterator<Item = &str> + Clone {
        let (start, end) = self.spans.get(i).copied().unwrap_or((0, 0));
        self.names[start..end]
            .iter()
            .map(|&(from, to)| &self.text[from..to])
    }
}

/// Measures the value at the front of `data` without building it: it must be whole, at most
/// [`MAX_DEPTH`] deep, free of the reserved byte and within `max_size` bytes. In the same walk
/// it is checked as a record (a map at the top; keys that name fields, each once in its map;
/// timestamps that read) and the names of its maps are kept in `measure.names`. Gives where
/// it ends and the first check that failed (the value is measured whole all the same, so that
/// reading goes on after it; its names are then partial, and unused).
fn measure(
    data: &[u8],
    max_size: usize,
    measure: &mut Measure,
) -> std::result::Result<(usize, Option<Error>), Scan> {
    let Measure {
        levels,
        pending,
        open,
        names,
    } = measure;
    // A value with a huge key text does not keep its memory for the rest of the stream.
    if names.text.capacity() > 1 << 20 {
        *names = MapNames::default();
        *pending = Vec::new();
    }
    levels.clear();
    pending.clear();
    open.clear();
    names.text.clear();
    names.names.clear();
    names.spans.clear();
    let mut items = Items {
        data,
        pos: 0,
        max: max_size,
    };
    let mut refused: Option<Error> = None;
    levels.push((1, None));
    while let Some((left, map)) = levels.last_mut() {
        if *left == 0 {
            if let Some(id) = *map {
                let start = open.pop().expect("a map's level has its open entry");
                let keys = &pending[start..];
                let text = &names.text;
                if refused.is_none()
                    && let Some(name) =
                        crate::lines::first_repeated(keys.iter().map(|&(from, to)| &text[from..to]))
                {
                    refused = Some(Error::new(
                        ErrorKind::InvalidRecord,
                        format!("the key {name:?} is given twice in a map"),
                    ));
                }
                let first = names.names.len();
                names.names.extend_from_slice(keys);
                names.spans[id] = (first, names.names.len());
                pending.truncate(start);
            }
            levels.pop();
            continue;
        }
        let is_key = map.is_some() && *left % 2 == 0;
        *left -= 1;
        let top = items.pos == 0;
        let item = items.next()?;
        if top && !matches!(item, Item::Map(_)) {
            refused = Some(Error::new(
                ErrorKind::InvalidRecord,
                format!("a top-level {}, not a map", kind(item)),
            ));
        }
        if is_key {
            match key(item) {
                Ok(name) => {
                    let from = names.text.len();
                    names.text.push_str(&name);
                    pending.push((from, names.text.len()));
                }
                Err(e) => {
                    refused.get_or_insert(e);
                }
            }
        }
        let children = match item {
            Item::Array(n) => (n, None),
            Item::Map(0) => {
                let here = names.names.len();
                names.spans.push((here, here));
                (0, None)
            }
            Item::Map(n) => {
                names.spans.push((0, 0));
                open.push(pending.len());
                (n.saturating_mul(2), Some(names.spans.len() - 1))
            }
            Item::Ext(TIMESTAMP_EXT, data) => {
                if let Err(e) = timestamp(data) {
                    refused.get_or_insert(e);
                }
                (0, None)
            }
            _ => (0, None),
        };
        if children.0 > 0 {
            if levels.len() > MAX_DEPTH {
                return Err(Scan::TooDeep);
            }
            levels.push(children);
        }
    }
    Ok((items.pos, refused))
}

/// Decodes a stream of MessagePack maps: see the [module](self).
///
/// Each value is first measured and checked without building anything (its end, its depth,
/// the reserved byte; its keys, its timestamps), in one walk that keeps its maps' names, then
/// built, or parsed into a batch: a value that fails is never half pushed, and a hostile
/// length costs no allocation.
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
    /// A value was cut off when the buffer held this many bytes: it is measured again once
    /// the buffer holds twice as many (or the record size limit), so that a large value
    /// arriving in small pieces is measured a few times, not once per piece.
    retry_at: usize,
    /// The input cannot be read further (a value too deep, too large, or cut short).
    failed: bool,
    measure: Measure,
    names: FieldsCache,
    utc: Arc<str>,
    /// The names of an ext's object: `$ext`, `$data`.
    ext_fields: Fields,
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
            measure: Measure::default(),
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

    /// The next value at the front of `buf`, handed whole to `take` (which makes or pushes a
    /// record); `None` when more input is needed, or at the end.
    fn next<T>(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        mut take: impl FnMut(&mut Self, &[u8], &MapNames) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.failed || buf.is_empty() || (!eof && buf.len() < self.retry_at) {
            return Ok(None);
        }
        let mut scratch = std::mem::take(&mut self.measure);
        let measured = measure(buf, self.max_record_size, &mut scratch);
        if measured.is_err() {
            self.measure = std::mem::take(&mut scratch);
        }
        let (end, refused) = match measured {
            Ok(measured) => measured,
            Err(Scan::CutOff) if !eof => {
                self.retry_at = buf
                    .len()
                    .saturating_mul(2)
                    .min(self.max_record_size.saturating_add(1));
                return Ok(None);
            }
            Err(Scan::CutOff) => {
                let message = "the input is cut short in a value".to_owned();
                return Err(self.fatal(buf, ErrorKind::Parse, message));
            }
            Err(Scan::Reserved(at)) => {
                let message = format!(
                    "the byte 0xc1, which MessagePack never uses, {at} bytes into the value"
                );
                return Err(self.fatal(buf, ErrorKind::Parse, message));
            }
            Err(Scan::TooDeep) => {
                let message = format!("values nest deeper than {MAX_DEPTH} levels");
                return Err(self.fatal(buf, ErrorKind::LimitExceeded, message));
            }
            Err(Scan::TooLarge) => {
                let message = format!(
                    "a value is longer than the maximum record size of {} bytes",
                    self.max_record_size
                );
                return Err(self.fatal(buf, ErrorKind::LimitExceeded, message));
            }
        };
        let taken = match refused {
            Some(refused) => Err(refused),
            None => take(self, &buf[..end], &scratch.names),
        };
        self.measure = scratch;
        let taken = taken.map_err(|e| {
            let e = if e.position().is_unknown() {
                e.at(self.position())
            } else {
                e
            };
            e.with_format(FORMAT).recoverable()
        });
        self.retry_at = 0;
        self.consumed += end as u64;
        self.values += 1;
        buf.advance(end);
        taken.map(Some)
    }

    /// The record a whole top-level value makes, measured and checked first (its maps'
    /// names in `found`).
    fn record(&mut self, value: &[u8], found: &MapNames) -> Result<Record> {
        let mut walk = Walk {
            items: Items::of(value),
            found,
            next_map: 0,
        };
        let mut place = 0;
        match self.value(&mut walk, &mut place)? {
            Value::Object(record) => Ok(*record),
            _ => Err(broken(Scan::CutOff)),
        }
    }

    fn value(&mut self, walk: &mut Walk<'_, '_>, place: &mut usize) -> Result<Value> {
        Ok(match walk.items.next().map_err(broken)? {
            Item::Array(n) => {
                let mut values = Vec::with_capacity(n.min(1024) as usize);
                for _ in 0..n {
                    values.push(self.value(walk, place)?);
                }
                Value::Array(values)
            }
            Item::Map(n) => {
                let keys = walk.map_names();
                let len = keys.len();
                let fields = self.names.fields(*place, keys);
                *place += 1;
                let mut values = Vec::with_capacity(len);
                for _ in 0..n {
                    walk.items.next().map_err(broken)?; // the key
                    values.push(self.value(walk, place)?);
                }
                Value::Object(Box::new(Record::with_fields(fields, values)?))
            }
            scalar => self.scalar(scalar)?,
        })
    }

    /// A value that is not an array or a map.
    fn scalar(&self, item: Item<'_>) -> Result<Value> {
        Ok(match item {
            Item::Nil => Value::Null,
            Item::Bool(b) => Value::Bool(b),
            Item::Int(n) => Value::Int(n),
            Item::Uint(n) => match i64::try_from(n) {
                Ok(n) => Value::Int(n),
                Err(_) => Value::BigInt(BigInt::from(u128::from(n))),
            },
            Item::F32(f) => Value::Float(f64::from(f)),
            Item::F64(f) => Value::Float(f),
            Item::Str(s) => match std::str::from_utf8(s) {
                Ok(text) => Value::from(text),
                Err(_) => Value::Bytes(Bytes::copy_from_slice(s)),
            },
            Item::Bin(b) => Value::Bytes(Bytes::copy_from_slice(b)),
            Item::Ext(TIMESTAMP_EXT, data) => {
                let nanos = timestamp(data)?;
                Value::Timestamp(Timestamp::new(
                    nanos,
                    TimeUnit::Nanosecond,
                    Some(self.utc.clone()),
                ))
            }
            Item::Ext(ty, data) => Value::Object(Box::new(Record::with_fields(
                self.ext_fields.clone(),
                vec![
                    Value::Int(i64::from(ty)),
                    Value::Bytes(Bytes::copy_from_slice(data)),
                ],
            )?)),
            Item::Array(_) | Item::Map(_) => return Err(broken(Scan::CutOff)),
        })
    }

    /// [`MsgpackDecoder::record`] into a batch, without building it.
    fn push(&mut self, value: &[u8], found: &MapNames, batch: &mut ParsedBatch) -> Result<()> {
        // Checked: nothing below fails, so the batch gets the whole record.
        let mut walk = Walk {
            items: Items::of(value),
            found,
            next_map: 0,
        };
        self.push_value(&mut walk, batch, true)
    }

    fn push_value(
        &self,
        walk: &mut Walk<'_, '_>,
        batch: &mut ParsedBatch,
        top: bool,
    ) -> Result<()> {
        match walk.items.next().map_err(broken)? {
            Item::Array(n) => {
                batch.push_array(n as usize);
                for _ in 0..n {
                    self.push_value(walk, batch, false)?;
                }
            }
            Item::Map(n) => {
                let keys = walk.map_names();
                match top {
                    true => batch.push_keyed_record(keys),
                    false => batch.push_keyed_object(keys),
                }
                for _ in 0..n {
                    walk.items.next().map_err(broken)?; // the key
                    self.push_value(walk, batch, false)?;
                }
            }
            Item::Str(s) => match std::str::from_utf8(s) {
                Ok(text) => batch.push_str(text),
                Err(_) => batch.push_owned(Value::Bytes(Bytes::copy_from_slice(s))),
            },
            Item::Ext(ty, data) if ty != TIMESTAMP_EXT => {
                batch.push_object(&self.ext_fields);
                batch.push_owned(Value::Int(i64::from(ty)));
                batch.push_owned(Value::Bytes(Bytes::copy_from_slice(data)));
            }
            scalar => batch.push_owned(self.scalar(scalar)?),
        }
        Ok(())
    }
}

/// A walk over a checked value, its maps' names at hand.
struct Walk<'a, 'f> {
    items: Items<'a>,
    found: &'f MapNames,
    /// The maps started so far.
    next_map: usize,
}

impl<'f> Walk<'_, 'f> {
    /// The names of the map that starts here.
    fn map_names(&mut self) -> impl ExactSizeIterator<Item = &'f str> + Clone + use<'f> {
        self.next_map += 1;
        self.found.of(self.next_map - 1)
    }
}

/// An error for bytes [`measure`] passed that do not read back (it cannot happen).
fn broken(_: Scan) -> Error {
    Error::new(
        ErrorKind::Parse,
        "a value that does not read as it measured",
    )
}

fn kind(item: Item<'_>) -> &'static str {
    match item {
        Item::Nil => "nil",
        Item::Bool(_) => "bool",
        Item::Int(_) | Item::Uint(_) => "integer",
        Item::F32(_) | Item::F64(_) => "float",
        Item::Str(_) => "str",
        Item::Bin(_) => "bin",
        Item::Array(_) => "array",
        Item::Map(_) => "map",
        Item::Ext(..) => "ext",
    }
}

/// `kind` after its article: `an array`, `a map`.
fn with_article(kind: &str) -> String {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {kind}")
}

/// A map key as a field name: see the [module](self).
fn key(item: Item<'_>) -> Result<Cow<'_, str>> {
    let base64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    Ok(match item {
        Item::Str(s) => match std::str::from_utf8(s) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => Cow::Owned(base64(s)),
        },
        Item::Nil => Cow::Borrowed("null"),
        Item::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        Item::Int(n) => Cow::Owned(n.to_string()),
        Item::Uint(n) => Cow::Owned(n.to_string()),
        Item::F32(f) => Cow::Owned(float_text(f64::from(f))),
        Item::F64(f) => Cow::Owned(float_text(f)),
        Item::Bin(b) => Cow::Owned(base64(b)),
        other => {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "a map key that is {}, which cannot name a field",
                    with_article(kind(other))
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
        let pushed = self.next(buf, eof, |this, value, found| {
            this.push(value, found, batch)
        })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::{at, decode_all};

    fn errors(input: &[u8], max: usize) -> Vec<(ErrorKind, Position, bool)> {
        crate::lines::error_positions(MsgpackDecoder::new(max), input)
    }

    #[test]
    fn bad_maps_are_skipped_and_broken_input_ends_the_read() {
        // {"a":1}, {"a":1,"a":2}, {[1]:1}, {"b":2}: the middle two refused, the last read.
        let input = b"\x81\xa1a\x01\x82\xa1a\x01\xa1a\x02\x81\x91\x01\x01\x81\xa1b\x02";
        let got = decode_all(MsgpackDecoder::new(1 << 20), input);
        assert_eq!(got.len(), 4);
        assert!(got[0].is_ok() && got[3].is_ok());
        let message = got[1].as_ref().unwrap_err().to_string();
        assert!(
            message.contains("given twice") && message.contains("byte 4"),
            "{message}"
        );
        assert!(
            got[2]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("an array")
        );
        // The reserved byte, a value cut short, one too deep, one too large: the read ends.
        assert_eq!(
            errors(b"\x81\xa1a\x01\x81\xa1b\xc1", 1 << 20),
            [(ErrorKind::Parse, at(4, 2), false)]
        );
        assert_eq!(
            errors(b"\x81\xa1a\x92\x01", 1 << 20),
            [(ErrorKind::Parse, at(0, 1), false)]
        );
        let mut deep = b"\x81\xa1a".to_vec();
        deep.extend(std::iter::repeat_n(0x91, 300));
        deep.push(0x01);
        assert_eq!(
            errors(&deep, 1 << 20),
            [(ErrorKind::LimitExceeded, at(0, 1), false)]
        );
        // A string claiming 4 GiB: refused by the record size limit, nothing allocated.
        assert_eq!(
            errors(b"\x81\xa1a\xdb\xff\xff\xff\xff", 1 << 10),
            [(ErrorKind::LimitExceeded, at(0, 1), false)]
        );
    }

    #[test]
    fn names_of_nested_and_sibling_maps_and_errors_inside_them() {
        // {"a": {"b": 1, "c": {}}, "d": [{"e": 2}, {}], "f": {"g": {"h": 3}}}
        let input =
            b"\x83\xa1a\x82\xa1b\x01\xa1c\x80\xa1d\x92\x81\xa1e\x02\x80\xa1f\x81\xa1g\x81\xa1h\x03";
        let record = decode_all(MsgpackDecoder::new(1 << 20), input)
            .remove(0)
            .unwrap();
        let text = crate::text::to_text(&Value::Object(Box::new(record))).unwrap();
        assert_eq!(
            text,
            r#"{"a":{"b":1,"c":{}},"d":[{"e":2},{}],"f":{"g":{"h":3}}}"#
        );
        // A key twice in a map in an array in a map; a map as a key that holds a key twice
        // (the key is refused first); then a good map.
        let input =
            b"\x81\xa1a\x91\x82\xa1x\x01\xa1x\x02\x81\x82\xa1y\x01\xa1y\x02\x01\x81\xa1z\x01";
        let got = decode_all(MsgpackDecoder::new(1 << 20), input);
        assert_eq!(got.len(), 3);
        let message = got[0].as_ref().unwrap_err().to_string();
        assert!(message.contains("\"x\" is given twice"), "{message}");
        let message = got[1].as_ref().unwrap_err().to_string();
        assert!(message.contains("a map key that is a map"), "{message}");
        assert!(got[2].is_ok());
    }

    #[test]
    fn timestamps_of_every_width_and_exts_read_back() {
        // {"t": ts32(1), "u": ts64(2 s + 5 ns), "v": ts96(-1 s), "x": ext 7 of 2 bytes}
        let mut input = b"\x84\xa1t\xd6\xff\x00\x00\x00\x01\xa1u\xd7\xff".to_vec();
        input.extend_from_slice(&((5u64 << 34) | 2).to_be_bytes());
        input.extend_from_slice(b"\xa1v\xc7\x0c\xff\x00\x00\x00\x00");
        input.extend_from_slice(&(-1i64).to_be_bytes());
        input.extend_from_slice(b"\xa1x\xd5\x07ab");
        let record = decode_all(MsgpackDecoder::new(1 << 20), &input)
            .remove(0)
            .unwrap();
        let text = |name| record.get(name).unwrap().typed_text().unwrap();
        assert_eq!(text("t"), "1970-01-01T00:00:01Z");
        assert_eq!(text("u"), "1970-01-01T00:00:02.000000005Z");
        assert_eq!(text("v"), "1969-12-31T23:59:59Z");
        let mut out = BytesMut::new();
        MsgpackEncoder::default().encode(&record, &mut out).unwrap();
        let back = decode_all(MsgpackDecoder::new(1 << 20), &out)
            .remove(0)
            .unwrap();
        assert_eq!(back, record);
        let ext = record.get("x").and_then(Value::as_object).unwrap();
        assert_eq!(ext.get("$ext"), Some(&Value::Int(7)));
    }
}
