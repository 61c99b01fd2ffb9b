//! TOML documents (`toml`), on the toml crate: each table a record, its path in a `_table`
//! field (first), and each entry of an array of tables a record of its own.
//!
//! The keys at the top, before any table, make a record whose `_table` is null; `[a]` and
//! `[a.b]` are two records (`_table` `a` and `a.b`; a path segment that is not a bare key is
//! quoted, `a."b.c"`), and so is an inline table (`p = {x = 1}` in `[a]` is the record `a.p`:
//! parsed, the two are the same); `[[item]]` entries are records `_table` `item`, their own
//! sub-tables nested in them. Values keep their types: integers, floats, booleans, strings,
//! arrays, and dates, times and date-times as typed values (an offset date-time a timestamp in
//! UTC with its offset as zone; a local one a timestamp with none).
//!
//! The document is read whole (within the record size limit) before its first record; an error
//! of the parser names its line and byte, and ends the read.
//!
//! Written as one document at the end (a record's table at its path; records with the same path
//! an array of tables): TOML has no null, so a null (in an array too) is an error naming the
//! record and field, never left out; so is an integer beyond `i64`. Durations, decimals and
//! bytes are written as their text; a timestamp in a named zone is written in UTC.

use crate::document::{DocumentDecoder, DocumentParser};
use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use crate::text;
use bytes::{BufMut, BytesMut};
use iterable_core::{
    Capabilities, Date, Decoder, Encoder, Error, ErrorKind, FormatInfo, Position, Record, Result,
    Time, TimeUnit, Timestamp, Value,
};
use std::collections::VecDeque;
use std::sync::Arc;
use toml::value::{Datetime, Offset};

/// TOML in the format registry.
pub struct TomlFormat;

/// The registry's TOML.
pub static TOML: TomlFormat = TomlFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "toml";

/// The field that names a record's table.
pub const TABLE: &str = "_table";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["toml"],
    mime_types: &["application/toml"],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "TOML documents: each table, and each entry of an array of tables, a record",
};

impl FormatSpec for TomlFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// A whole head that parses as TOML with a `[table]` or a `key = value` line: 55.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        if !complete {
            return None;
        }
        let text = std::str::from_utf8(head).ok()?;
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))?;
        let shaped = first.starts_with('[') || first.contains(" = ");
        (shaped && text.parse::<toml::Table>().is_ok()).then(|| Sniffed::with(55))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(TomlDecoder::new(max_record_size)))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(TomlEncoder::default()))
    }
}

/// Decodes a TOML document: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::toml::TomlDecoder;
///
/// let doc = "title = \"demo\"\n[owner]\nname = \"Ada\"\nborn = 1815-12-10\n[[port]]\nn = 80\n[[port]]\nn = 443\n";
/// let mut decoder = TomlDecoder::new(1 << 20);
/// let mut buf = BytesMut::from(doc);
/// let top = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!(top.get("_table"), Some(&Value::Null));
/// let owner = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!(owner.get("born").unwrap().typed_text().unwrap(), "1815-12-10");
/// let port = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!((port.get("_table").and_then(Value::as_str), port.get("n")), (Some("port"), Some(&Value::Int(80))));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub type TomlDecoder = DocumentDecoder<TomlParser>;

impl TomlDecoder {
    /// A decoder refusing documents longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> TomlDecoder {
        DocumentDecoder::with_parser(TomlParser, max_record_size)
    }
}

/// A TOML document into its records (the [`DocumentParser`] of [`TomlDecoder`]).
#[derive(Debug, Default)]
pub struct TomlParser;

impl DocumentParser for TomlParser {
    const FORMAT: &'static str = FORMAT;

    fn parse(&mut self, text: &str) -> VecDeque<Result<Record>> {
        document(text).map_or_else(
            |error| VecDeque::from([Err(error)]),
            |records| records.into_iter().map(Ok).collect(),
        )
    }
}

/// The records of a TOML document.
fn document(text: &str) -> Result<VecDeque<Record>> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let at = e.span().map(|span| span.start);
        Error::parse(FORMAT, e.message().to_owned()).at(Position {
            byte: at.map(|at| at as u64),
            line: at
                .map(|at| 1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count() as u64),
            record: None,
        })
    })?;
    let mut records = VecDeque::new();
    let utc: Arc<str> = Arc::from("UTC");
    tables(None, table, &mut records, &utc);
    Ok(records)
}

/// The records of `table` (at `path`) and of the tables in it, in document order.
fn tables(path: Option<&str>, table: toml::Table, records: &mut VecDeque<Record>, utc: &Arc<str>) {
    let mut record = Record::new();
    record.insert(TABLE, path.map_or(Value::Null, Value::from));
    let mut nested = Vec::new();
    for (key, value) in table {
        match value {
            toml::Value::Table(inner) => nested.push((key, Nested::Table(inner))),
            toml::Value::Array(items)
                if !items.is_empty() && items.iter().all(toml::Value::is_table) =>
            {
                nested.push((key, Nested::Entries(items)))
            }
            other => {
                record.insert(key, value_of(other, utc));
            }
        }
    }
    if path.is_some() || record.len() > 1 {
        records.push_back(record);
    }
    for (key, inner) in nested {
        let segment = quoted(&key);
        let inner_path = match path {
            Some(path) => format!("{path}.{segment}"),
            None => segment,
        };
        match inner {
            Nested::Table(inner) => tables(Some(&inner_path), inner, records, utc),
            Nested::Entries(items) => {
                for item in items {
                    let mut entry = Record::new();
                    entry.insert(TABLE, inner_path.as_str());
                    if let toml::Value::Table(fields) = item {
                        for (key, value) in fields {
                            entry.insert(key, value_of(value, utc));
                        }
                    }
                    records.push_back(entry);
                }
            }
        }
    }
}

enum Nested {
    Table(toml::Table),
    Entries(Vec<toml::Value>),
}

/// A key as a path segment: bare, or quoted.
fn quoted(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        return key.to_owned();
    }
    let mut out = BytesMut::new();
    crate::json_text::write_str(key, &mut out);
    String::from_utf8(out.to_vec()).expect("JSON text")
}

/// A path's segments (the inverse of joining [`quoted`] keys with `.`).
fn segments(path: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = path;
    loop {
        if let Some(after) = rest.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in after.char_indices() {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end =
                end.ok_or_else(|| format!("the table path {path:?} has an unclosed quote"))?;
            let key: String = serde_like_unquote(&rest[..end + 2])
                .ok_or_else(|| format!("the table path {path:?} has a bad quoted key"))?;
            out.push(key);
            rest = &after[end + 1..];
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
        match rest.strip_prefix('.') {
            Some(after) => rest = after,
            None if rest.is_empty() => return Ok(out),
            None => return Err(format!("the table path {path:?} is not keys joined by '.'")),
        }
    }
}

/// A JSON string's text (a quoted key of a path).
fn serde_like_unquote(quoted: &str) -> Option<String> {
    let value: toml::Value = format!("k = {quoted}")
        .parse::<toml::Table>()
        .ok()?
        .remove("k")?;
    value.as_str().map(str::to_owned)
}

fn value_of(value: toml::Value, utc: &Arc<str>) -> Value {
    match value {
        toml::Value::String(s) => Value::from(s),
        toml::Value::Integer(n) => Value::Int(n),
        toml::Value::Float(f) => Value::Float(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(datetime) => datetime_of(&datetime, utc),
        toml::Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| value_of(v, utc)).collect())
        }
        toml::Value::Table(table) => {
            let mut record = Record::new();
            for (key, value) in table {
                record.insert(key, value_of(value, utc));
            }
            Value::Object(Box::new(record))
        }
    }
}

/// A TOML date, time or date-time as a typed value (also CBOR's RFC 3339 tags).
pub(crate) fn datetime_of(datetime: &Datetime, utc: &Arc<str>) -> Value {
    let date = datetime
        .date
        .and_then(|d| Date::from_ymd(i32::from(d.year), u32::from(d.month), u32::from(d.day)));
    let nanos = datetime.time.map(|t| {
        (i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second.unwrap_or(0)))
            * 1_000_000_000
            + i64::from(t.nanosecond.unwrap_or(0))
    });
    match (date, nanos) {
        (Some(date), None) => Value::Date(date),
        (None, Some(nanos)) => Value::Time(Time::new(nanos, TimeUnit::Nanosecond)),
        (Some(date), Some(nanos)) => {
            let local = i128::from(date.days()) * 86_400_000_000_000 + i128::from(nanos);
            let (nanos, zone) = match datetime.offset {
                None => (local, None),
                Some(Offset::Z) => (local, Some(utc.clone())),
                Some(Offset::Custom { minutes }) => {
                    let zone: Arc<str> = text::offset_zone(i32::from(minutes)).into();
                    (local - i128::from(minutes) * 60_000_000_000, Some(zone))
                }
            };
            match Timestamp::from_nanos(nanos, zone) {
                Some(timestamp) => Value::Timestamp(timestamp),
                // Past 2262 with a fraction finer than microseconds: kept as its text.
                None => Value::from(datetime.to_string()),
            }
        }
        // The toml crate's dates are valid ones; anything else is kept as its text.
        (None, None) => Value::from(datetime.to_string()),
    }
}

/// Encodes records as one TOML document, written at [`Encoder::finish`]: see the
/// [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::toml::TomlEncoder;
///
/// let mut encoder = TomlEncoder::default();
/// let mut out = BytesMut::new();
/// for n in [80, 443] {
///     let r: Record = [("_table", Value::from("port")), ("n", Value::Int(n))].into_iter().collect();
///     encoder.encode(&r, &mut out)?;
/// }
/// encoder.finish(&mut out)?;
/// assert_eq!(std::str::from_utf8(&out).unwrap(), "[[port]]\nn = 80\n\n[[port]]\nn = 443\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct TomlEncoder {
    document: toml::Table,
    records: u64,
}

impl TomlEncoder {
    fn add(&mut self, record: &Record) -> std::result::Result<(), String> {
        let path = match record.get(TABLE) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(path)) => segments(path)?,
            Some(other) => return Err(format!("{TABLE} must be a string, not {other:?}")),
        };
        let mut fields = toml::Table::new();
        for (key, value) in record.iter() {
            if key == TABLE {
                continue;
            }
            fields.insert(key.to_owned(), toml_of(key, value)?);
        }
        // Walk to the table's parent, making the tables on the way.
        let Some((last, parents)) = path.split_last() else {
            if let Some(key) = fields.keys().find(|k| self.document.contains_key(*k)) {
                return Err(format!("the top-level key {key:?} is given twice"));
            }
            self.document.extend(fields);
            return Ok(());
        };
        let mut table = &mut self.document;
        for segment in parents {
            let next = table
                .entry(segment.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            table = match next {
                toml::Value::Table(inner) => inner,
                toml::Value::Array(items) => match items.last_mut() {
                    Some(toml::Value::Table(inner)) => inner,
                    _ => {
                        return Err(format!(
                            "the table path goes through {segment:?}, which is a value"
                        ));
                    }
                },
                _ => {
                    return Err(format!(
                        "the table path goes through {segment:?}, which is a value"
                    ));
                }
            };
        }
        match table.remove(last) {
            None => {
                table.insert(last.clone(), toml::Value::Table(fields));
            }
            // A second record of the same table: an array of tables.
            Some(toml::Value::Table(first)) => {
                table.insert(
                    last.clone(),
                    toml::Value::Array(vec![toml::Value::Table(first), toml::Value::Table(fields)]),
                );
            }
            Some(toml::Value::Array(mut items)) if items.iter().all(toml::Value::is_table) => {
                items.push(toml::Value::Table(fields));
                table.insert(last.clone(), toml::Value::Array(items));
            }
            Some(other) => {
                table.insert(last.clone(), other);
                return Err(format!("the table {last:?} is a value already"));
            }
        }
        Ok(())
    }
}

/// `value` (of the field `key`) as TOML holds it.
fn toml_of(key: &str, value: &Value) -> std::result::Result<toml::Value, String> {
    Ok(match value {
        Value::Null => return Err(format!("{key} is null, and TOML has no null")),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Int(n) => toml::Value::Integer(*n),
        Value::BigInt(n) => {
            return Err(format!(
                "{key} holds {}, beyond TOML's integers",
                n.as_str()
            ));
        }
        Value::Float(f) => toml::Value::Float(*f),
        Value::String(s) => toml::Value::String(s.to_string()),
        Value::Array(items) => toml::Value::Array(
            items
                .iter()
                .map(|v| toml_of(key, v))
                .collect::<std::result::Result<_, _>>()?,
        ),
        Value::Object(record) => {
            let mut table = toml::Table::new();
            for (k, v) in record.iter() {
                table.insert(k.to_owned(), toml_of(k, v)?);
            }
            toml::Value::Table(table)
        }
        Value::Date(date) => toml::Value::Datetime(Datetime {
            date: Some(toml_date(*date)?),
            time: None,
            offset: None,
        }),
        Value::Time(time) => {
            let per = time.unit().per_second();
            let nanos = time.value() * (1_000_000_000 / per);
            toml::Value::Datetime(Datetime {
                date: None,
                time: Some(toml_time(nanos)),
                offset: None,
            })
        }
        Value::Timestamp(stamp) => {
            let per = i128::from(stamp.unit().per_second());
            let utc_nanos = i128::from(stamp.value()) * (1_000_000_000 / per);
            let offset_minutes = stamp
                .zone()
                .and_then(text::offset_minutes)
                .and_then(|m| i16::try_from(m).ok());
            let local = utc_nanos + i128::from(offset_minutes.unwrap_or(0)) * 60_000_000_000;
            let day = 86_400_000_000_000i128;
            let days = i32::try_from(local.div_euclid(day))
                .map_err(|_| format!("{key}: the time {stamp} is out of range"))?;
            let nanos = local.rem_euclid(day) as i64;
            let offset = match (stamp.zone(), offset_minutes) {
                (None, _) => None,
                (Some(_), Some(0)) | (Some(_), None) => Some(Offset::Z),
                (Some(_), Some(minutes)) => Some(Offset::Custom { minutes }),
            };
            toml::Value::Datetime(Datetime {
                date: Some(toml_date(Date::from_days(days))?),
                time: Some(toml_time(nanos)),
                offset,
            })
        }
        other => toml::Value::String(text::to_text(other)?),
    })
}

fn toml_date(date: Date) -> std::result::Result<toml::value::Date, String> {
    let (year, month, day) = date.ymd();
    let year = u16::try_from(year)
        .ok()
        .filter(|y| *y <= 9999)
        .ok_or_else(|| format!("the date {date} is outside TOML's years"))?;
    Ok(toml::value::Date {
        year,
        month: month as u8,
        day: day as u8,
    })
}

fn toml_time(nanos: i64) -> toml::value::Time {
    let seconds = nanos / 1_000_000_000;
    toml::value::Time {
        hour: (seconds / 3600) as u8,
        minute: (seconds / 60 % 60) as u8,
        second: Some((seconds % 60) as u8),
        nanosecond: Some((nanos % 1_000_000_000) as u32),
    }
}

impl Encoder for TomlEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        let _ = out;
        self.records += 1;
        let records = self.records;
        self.add(record).map_err(|why| {
            Error::new(ErrorKind::InvalidRecord, why)
                .with_format(FORMAT)
                .at(Position {
                    record: Some(records),
                    ..Position::default()
                })
        })
    }

    fn finish(&mut self, out: &mut BytesMut) -> Result<()> {
        out.put_slice(std::mem::take(&mut self.document).to_string().as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::decode_all;

    #[test]
    fn date_times_past_2262_are_kept_in_microseconds_or_as_text() {
        let input = b"a = 3000-01-01T00:00:00.5Z\nb = 3000-01-01T00:00:00.123456789Z\nc = 2024-01-31T13:45:00.123456789+02:00\n";
        let record = decode_all(TomlDecoder::new(1 << 20), input)
            .remove(0)
            .unwrap();
        let a = record.get("a").unwrap();
        assert!(matches!(a, Value::Timestamp(t) if t.unit() == TimeUnit::Microsecond));
        assert_eq!(a.typed_text().unwrap(), "3000-01-01T00:00:00.5Z");
        assert_eq!(
            record.get("b"),
            Some(&Value::from("3000-01-01T00:00:00.123456789Z"))
        );
        let c = record.get("c").unwrap();
        assert_eq!(c.typed_text().unwrap(), "2024-01-31T11:45:00.123456789Z");
    }
}
