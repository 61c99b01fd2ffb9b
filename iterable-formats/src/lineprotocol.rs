//! InfluxDB line protocol (`lineprotocol`, also `ilp`, `.lp`): one point per line,
//! `measurement,tag=value field=1i,other="text" 1700000000000000000`, parsed by InfluxData's
//! own parser (the `influxdb-line-protocol` crate, from InfluxDB IOx).
//!
//! A point is the record `{measurement, tags, fields, time}` (IterableData's shape): `tags` an
//! object of strings in the line's order (empty when there are none), `fields` an object of
//! typed values (`1i` an integer, `1u` an integer too, or its exact digits above `i64`; `1` and
//! `1.5` floats; `t`/`false` booleans; `"..."` strings with their escapes undone), `time` a
//! timestamp in UTC in the unit `-o precision=` names (`ns` by default; `us`, `ms`, `s`), or
//! null when the line has none. Comment lines (`#`) are skipped. A line the parser refuses is
//! a recoverable error naming its line. A line ends at its newline: the line protocol
//! reference allows no newline in a value.
//!
//! Written from records of the same shape (`-O precision=` for the time's unit), or from flat
//! records: then the measurement is the `measurement` field (or `-O measurement=NAME`), the
//! fields `-O tags=a,b` names are tags, a `time` field is the time, and every other field is a
//! field. Nulls are left out (a point has no nulls); dates, decimals and other typed values are
//! written as strings of their text, nested values as JSON strings. What line protocol cannot
//! hold is an error naming the record and field, never a value dropped: a point without
//! fields, an empty tag value, a newline in a value, a NaN, a time finer than the precision.

use crate::lines::{LineDecoder, LineParser, head_lines, write_line};
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use crate::{json_text, text};
use bytes::BytesMut;
use influxdb_line_protocol::{FieldValue, ParsedLine, builder::LineProtocolBuilder};
use iterable_core::{
    BigInt, Capabilities, Decoder, Encoder, Error, ErrorKind, Fields, FieldsCache, FormatInfo,
    ParsedBatch, Position, Record, Result, TimeUnit, Timestamp, Value,
};
use std::sync::Arc;

/// The line protocol in the format registry.
pub struct LineProtocolFormat;

/// The registry's line protocol.
pub static LINEPROTOCOL: LineProtocolFormat = LineProtocolFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "lineprotocol";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &["ilp", "influx", "influxdb"],
    extensions: &["lp", "ilp"],
    mime_types: &[],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "InfluxDB line protocol: measurement, tags, typed fields and a timestamp per line",
};

static PRECISION: OptionInfo = OptionInfo {
    key: "precision",
    default: "ns",
    help: "the unit of timestamps: ns, us, ms or s",
};

static READ_OPTIONS: &[OptionInfo] = &[PRECISION];

static WRITE_OPTIONS: &[OptionInfo] = &[
    PRECISION,
    OptionInfo {
        key: "measurement",
        default: "",
        help: "the measurement of flat records that have no measurement field",
    },
    OptionInfo {
        key: "tags",
        default: "",
        help: "the fields of flat records written as tags, comma-separated",
    },
];

fn precision(options: &FormatOptions) -> Result<TimeUnit> {
    Ok(options
        .parsed(FORMAT, "precision", "ns, us, ms or s", |v| match v {
            "ns" => Some(TimeUnit::Nanosecond),
            "us" | "µs" => Some(TimeUnit::Microsecond),
            "ms" => Some(TimeUnit::Millisecond),
            "s" => Some(TimeUnit::Second),
            _ => None,
        })?
        .unwrap_or(TimeUnit::Nanosecond))
}

impl FormatSpec for LineProtocolFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    /// Up to 20 complete lines that are not comments, all points: 75 (more than delimited
    /// text, which a point with tags also looks like).
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        if !crate::csv::looks_like_text(head) {
            return None;
        }
        let mut points = 0;
        for line in head_lines(head, complete, 40) {
            let line = std::str::from_utf8(line).ok()?;
            if line.trim_start().starts_with('#') {
                continue;
            }
            influxdb_line_protocol::parse_lines(line).next()?.ok()?;
            points += 1;
            if points == 20 {
                break;
            }
        }
        (points > 0).then(|| Sniffed::with(75))
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(LineProtocolDecoder::new(
            precision(options)?,
            max_record_size,
        )))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        let tags = options
            .get("tags")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Box::new(LineProtocolEncoder {
            precision: precision(options)?,
            measurement: options.get("measurement").map(str::to_owned),
            tags,
            records: 0,
        }))
    }
}

/// Decodes the line protocol: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, TimeUnit, Value};
/// use iterable_formats::lineprotocol::LineProtocolDecoder;
///
/// let mut decoder = LineProtocolDecoder::new(TimeUnit::Nanosecond, 1 << 20);
/// let mut buf = BytesMut::from(&b"# a comment\ncpu,host=a\\ b usage=0.5,cores=8i,ok=t 1700000000000000000\n"[..]);
/// let point = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(point.get("measurement").and_then(Value::as_str), Some("cpu"));
/// let tags = point.get("tags").and_then(Value::as_object).unwrap();
/// assert_eq!(tags.get("host").and_then(Value::as_str), Some("a b"));
/// let fields = point.get("fields").and_then(Value::as_object).unwrap();
/// assert_eq!(fields.get("cores"), Some(&Value::Int(8)));
/// assert_eq!(point.get("time").unwrap().typed_text().unwrap(), "2023-11-14T22:13:20Z");
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub type LineProtocolDecoder = LineDecoder<LineProtocolParser>;

impl LineProtocolDecoder {
    /// A decoder of timestamps in `precision`, refusing lines longer than `max_record_size`.
    pub fn new(precision: TimeUnit, max_record_size: usize) -> LineProtocolDecoder {
        LineDecoder::with_parser(LineProtocolParser::new(precision), max_record_size)
    }
}

/// One line into a point (the [`LineParser`] of [`LineProtocolDecoder`]).
#[derive(Debug)]
pub struct LineProtocolParser {
    precision: TimeUnit,
    /// Field names shared between points: place 1 their tags, 2 their fields.
    names: FieldsCache,
    utc: Arc<str>,
    /// A point's own names: measurement, tags, fields, time.
    point_names: Fields,
}

impl LineProtocolParser {
    /// A parser of timestamps in `precision`.
    pub fn new(precision: TimeUnit) -> LineProtocolParser {
        LineProtocolParser {
            precision,
            names: FieldsCache::default(),
            utc: Arc::from("UTC"),
            point_names: Fields::new(["measurement", "tags", "fields", "time"]),
        }
    }

    /// The point on `line`, its tags and fields each named once, or `None` for a comment.
    fn parsed(line: &[u8]) -> Result<Option<ParsedLine<'_>>> {
        let text = std::str::from_utf8(line).map_err(|_| invalid("the line is not UTF-8 text"))?;
        if text.trim_start().starts_with('#') {
            return Ok(None);
        }
        // The parser is InfluxData's; a panic in it on hostile input is an error of the line.
        let parsed = std::panic::catch_unwind(|| {
            influxdb_line_protocol::parse_lines(text)
                .next()
                .map(|r| r.map_err(|e| e.to_string()))
        });
        let point = match parsed {
            Ok(Some(Ok(point))) => point,
            Ok(Some(Err(why))) => return Err(invalid(format!("not a point: {why}"))),
            Ok(None) => return Ok(None),
            Err(_) => {
                return Err(invalid(
                    "not a point: the line protocol parser failed on it",
                ));
            }
        };
        let tags = point.series.tag_set.iter().flatten();
        if let Some(key) = crate::lines::first_repeated(tags.map(|(k, _)| k.as_str())) {
            return Err(invalid(format!("the tag {key:?} is given twice")));
        }
        let fields = point.field_set.iter();
        if let Some(key) = crate::lines::first_repeated(fields.map(|(k, _)| k.as_str())) {
            return Err(invalid(format!("the field {key:?} is given twice")));
        }
        Ok(Some(point))
    }

    fn time(&self, point: &ParsedLine<'_>) -> Value {
        match point.timestamp {
            Some(t) => Value::Timestamp(Timestamp::new(t, self.precision, Some(self.utc.clone()))),
            None => Value::Null,
        }
    }

    fn point(&mut self, point: ParsedLine<'_>) -> Result<Record> {
        let tag_set = point.series.tag_set.as_deref().unwrap_or_default();
        let tag_names = self
            .names
            .fields(1, tag_set.iter().map(|(k, _)| k.as_str()));
        let tags = Record::with_fields(
            tag_names,
            tag_set
                .iter()
                .map(|(_, v)| Value::from(v.as_str()))
                .collect(),
        )?;
        let field_names = self
            .names
            .fields(2, point.field_set.iter().map(|(k, _)| k.as_str()));
        let values = point.field_set.iter().map(|(_, v)| field(v)).collect();
        let fields = Record::with_fields(field_names, values)?;
        let time = self.time(&point);
        Record::with_fields(
            self.point_names.clone(),
            vec![
                Value::from(point.series.measurement.as_str()),
                Value::Object(Box::new(tags)),
                Value::Object(Box::new(fields)),
                time,
            ],
        )
    }

    /// [`LineProtocolParser::point`] into a batch, without building it.
    fn push_point(&mut self, point: ParsedLine<'_>, batch: &mut ParsedBatch) {
        batch.push_record(&self.point_names);
        batch.push_str(point.series.measurement.as_str());
        let tag_set = point.series.tag_set.as_deref().unwrap_or_default();
        batch.push_keyed_object(tag_set.iter().map(|(k, _)| k.as_str()));
        for (_, value) in tag_set {
            batch.push_str(value.as_str());
        }
        batch.push_keyed_object(point.field_set.iter().map(|(k, _)| k.as_str()));
        for (_, value) in &point.field_set {
            match value {
                FieldValue::String(s) => batch.push_str(s.as_str()),
                other => batch.push_owned(field(other)),
            }
        }
        batch.push_owned(self.time(&point));
    }
}

/// A field's value, typed.
fn field(value: &FieldValue<'_>) -> Value {
    match value {
        FieldValue::I64(n) => Value::Int(*n),
        FieldValue::U64(n) => match i64::try_from(*n) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::BigInt(BigInt::from(u128::from(*n))),
        },
        FieldValue::F64(f) => Value::Float(*f),
        FieldValue::String(s) => Value::from(s.as_str()),
        FieldValue::Boolean(b) => Value::Bool(*b),
    }
}

impl LineParser for LineProtocolParser {
    const FORMAT: &'static str = FORMAT;

    fn parse(&mut self, line: &[u8], _position: Position) -> Result<Option<Record>> {
        match Self::parsed(line)? {
            Some(point) => self.point(point).map(Some),
            None => Ok(None),
        }
    }

    fn parse_into(
        &mut self,
        line: &[u8],
        _position: Position,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        let point = Self::parsed(line)?;
        Ok(point.map(|point| self.push_point(point, batch)).is_some())
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidRecord, message)
}

/// Adds `field` under `key` to a line (after its measurement and tags, or after a field: the
/// builder's two states, each with its own `field`).
macro_rules! add_field {
    ($line:expr, $key:expr, $field:expr) => {
        match $field {
            Field::Int(n) => $line.field($key, *n),
            Field::Uint(n) => $line.field($key, *n),
            Field::Float(f) => $line.field($key, *f),
            Field::Bool(b) => $line.field($key, *b),
            Field::Text(s) => $line.field($key, s.as_str()),
        }
    };
}

/// Encodes records as line protocol: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::{Format, FormatOptions};
///
/// // A flat record, with its tags named.
/// let mut encoder = Format::LINEPROTOCOL.encoder(
///     &FormatOptions::default().with("measurement", "weather").with("tags", "city"),
/// )?;
/// let r: Record = [("city", Value::from("Oslo")), ("temp", Value::Float(-3.5)), ("wind", Value::Int(7))].into_iter().collect();
/// let mut out = BytesMut::new();
/// encoder.encode(&r, &mut out)?;
/// assert_eq!(&out[..], b"weather,city=Oslo temp=-3.5,wind=7i\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug)]
pub struct LineProtocolEncoder {
    precision: TimeUnit,
    measurement: Option<String>,
    tags: Vec<String>,
    records: u64,
}

/// A point's parts, borrowed from a record.
struct Point<'r> {
    measurement: String,
    tags: Vec<(&'r str, &'r Value)>,
    fields: Vec<(&'r str, &'r Value)>,
    time: Option<&'r Value>,
}

impl LineProtocolEncoder {
    fn point<'r>(&self, record: &'r Record) -> std::result::Result<Point<'r>, String> {
        let measurement = match (record.get("measurement"), &self.measurement) {
            (Some(Value::String(m)), _) => m.to_string(),
            (Some(other), _) if !other.is_null() => {
                return Err(format!("the measurement must be a string, not {other:?}"));
            }
            (_, Some(m)) => m.clone(),
            _ => {
                return Err(
                    "the record has no measurement (name one with -O measurement=NAME)".into(),
                );
            }
        };
        if let Some(fields) = record.get("fields").and_then(Value::as_object) {
            if let Some(extra) = record
                .names()
                .find(|n| !["measurement", "tags", "fields", "time"].contains(n))
            {
                return Err(format!(
                    "the field {extra:?} has no place in a point (measurement, tags, fields, time)"
                ));
            }
            let tags = match record.get("tags") {
                Some(Value::Object(tags)) => tags.iter().collect(),
                None | Some(Value::Null) => Vec::new(),
                Some(other) => return Err(format!("tags must be an object, not {other:?}")),
            };
            return Ok(Point {
                measurement,
                tags,
                fields: fields.iter().collect(),
                time: record.get("time"),
            });
        }
        let mut point = Point {
            measurement,
            tags: Vec::new(),
            fields: Vec::new(),
            time: record.get("time"),
        };
        for (name, value) in record.iter() {
            if name == "measurement" || name == "time" {
                continue;
            }
            if self.tags.iter().any(|t| t == name) {
                point.tags.push((name, value));
            } else {
                point.fields.push((name, value));
            }
        }
        Ok(point)
    }

    fn write(&self, record: &Record, out: &mut BytesMut) -> std::result::Result<(), String> {
        let point = self.point(record)?;
        if point.measurement.is_empty() {
            return Err("the measurement is empty".into());
        }
        let mut tags = Vec::with_capacity(point.tags.len());
        for (key, value) in &point.tags {
            if value.is_null() {
                continue;
            }
            let text = text::to_text(value)?;
            if text.is_empty() {
                return Err(format!(
                    "the tag {key:?} is empty, which line protocol cannot hold"
                ));
            }
            tags.push((*key, text));
        }
        let mut fields = Vec::with_capacity(point.fields.len());
        for (key, value) in &point.fields {
            if let Some(field) = field_value(key, value)? {
                fields.push((*key, field));
            }
        }
        let time = match point.time {
            None | Some(Value::Null) => None,
            Some(Value::Int(t)) => Some(*t),
            Some(Value::Timestamp(t)) => Some(in_unit(t, self.precision)?),
            Some(other) => {
                return Err(format!(
                    "time must be a timestamp or an integer, not {other:?}"
                ));
            }
        };
        for text in std::iter::once(point.measurement.as_str())
            .chain(tags.iter().flat_map(|(k, v)| [*k, v.as_str()]))
            .chain(fields.iter().map(|(k, _)| *k))
        {
            if text.is_empty() {
                return Err("a tag or field name is empty".into());
            }
            if text.contains(['\n', '\r', '\t', '\0']) || text.ends_with('\\') {
                return Err(format!(
                    "{text:?} holds a line break, a tab or a NUL, or ends with a backslash, which line protocol cannot hold"
                ));
            }
        }
        if point.measurement.starts_with('#') {
            return Err(format!(
                "the measurement {:?} starts with '#': the line would be a comment",
                point.measurement
            ));
        }
        let Some(((first_key, first), rest)) = fields.split_first() else {
            return Err(
                "the point has no fields (nulls are left out), and line protocol needs one".into(),
            );
        };
        let mut line = LineProtocolBuilder::new_with(&mut *out).measurement(&point.measurement);
        for (key, value) in &tags {
            line = line.tag(key, value);
        }
        let mut line = add_field!(line, first_key, first);
        for (key, value) in rest {
            line = add_field!(line, key, value);
        }
        match time {
            Some(t) => {
                line.timestamp(t).close_line();
            }
            None => {
                line.close_line();
            }
        }
        Ok(())
    }
}

/// A field's value as line protocol holds it.
enum Field {
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
    Text(String),
}

fn field_value(key: &str, value: &Value) -> std::result::Result<Option<Field>, String> {
    Ok(Some(match value {
        Value::Null => return Ok(None),
        Value::Int(n) => Field::Int(*n),
        Value::BigInt(n) => match n.as_str().parse::<u64>() {
            Ok(n) => Field::Uint(n),
            Err(_) => {
                return Err(format!(
                    "the field {key:?} holds {}, beyond line protocol's integers",
                    n.as_str()
                ));
            }
        },
        Value::Float(f) if f.is_finite() => Field::Float(*f),
        Value::Float(f) => {
            return Err(format!(
                "the field {key:?} holds {f}, which line protocol cannot hold"
            ));
        }
        Value::Bool(b) => Field::Bool(*b),
        Value::Array(_) | Value::Object(_) => {
            let mut json = BytesMut::new();
            json_text::write_value(value, &mut json).map_err(|e| e.message().to_owned())?;
            Field::Text(String::from_utf8(json.to_vec()).map_err(|e| e.to_string())?)
        }
        other => {
            let text = text::to_text(other)?;
            if text.contains(['\n', '\r']) {
                return Err(format!(
                    "the field {key:?} holds a line break, which line protocol cannot hold"
                ));
            }
            Field::Text(text)
        }
    }))
}

/// `time` as a count of `unit`s, exactly.
fn in_unit(time: &Timestamp, unit: TimeUnit) -> std::result::Result<i64, String> {
    let (from, to) = (time.unit().per_second(), unit.per_second());
    let value = i128::from(time.value()) * i128::from(to);
    if value % i128::from(from) != 0 {
        return Err(format!(
            "the time {time} is finer than the precision {} (set -O precision=)",
            unit.as_str()
        ));
    }
    i64::try_from(value / i128::from(from))
        .map_err(|_| format!("the time {time} is out of range in {}", unit.as_str()))
}

impl Encoder for LineProtocolEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        let mut records = self.records;
        let written = write_line(FORMAT, &mut records, out, |out| self.write(record, out));
        self.records = records;
        written
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    fn decode_all(input: &[u8]) -> Vec<Result<Record>> {
        crate::lines::decode_all(
            LineProtocolDecoder::new(TimeUnit::Nanosecond, 1 << 20),
            input,
        )
    }

    fn object<'r>(record: &'r Record, key: &str) -> &'r Record {
        record.get(key).and_then(Value::as_object).unwrap()
    }

    #[test]
    fn fields_are_typed_and_escapes_undone() {
        let rows = decode_all(
            b"m\\,1,t\\=k=v\\ 1 s=\"say \\\"hi\\\"\",i=-3i,u=18446744073709551615u,f=1,b=FALSE\n",
        );
        let point = rows[0].as_ref().unwrap();
        assert_eq!(
            point.get("measurement").and_then(Value::as_str),
            Some("m,1")
        );
        assert_eq!(
            object(point, "tags").get("t=k").and_then(Value::as_str),
            Some("v 1")
        );
        let fields = object(point, "fields");
        assert_eq!(fields.get("s").and_then(Value::as_str), Some("say \"hi\""));
        assert_eq!(fields.get("i"), Some(&Value::Int(-3)));
        assert_eq!(
            fields.get("u"),
            Some(&Value::BigInt(
                BigInt::parse("18446744073709551615").unwrap()
            ))
        );
        assert_eq!(fields.get("f"), Some(&Value::Float(1.0)));
        assert_eq!(fields.get("b"), Some(&Value::Bool(false)));
        assert_eq!(point.get("time"), Some(&Value::Null));
    }

    #[test]
    fn bad_lines_name_their_line_and_reading_goes_on() {
        let rows = decode_all(b"# c\nok v=1\nno_fields\nok v=1i,v=2i\nok v=1 123\n");
        assert_eq!(rows.len(), 4);
        let error = rows[1].as_ref().unwrap_err();
        assert_eq!(
            error.position(),
            Position {
                byte: Some(11),
                line: Some(3),
                record: Some(2)
            }
        );
        assert!(error.is_recoverable());
        assert!(rows[2].as_ref().unwrap_err().message().contains("twice"));
        let last = rows[3].as_ref().unwrap();
        assert_eq!(
            last.get("time").unwrap().typed_text().unwrap(),
            "1970-01-01T00:00:00.000000123Z"
        );
    }

    #[test]
    fn points_and_flat_records_are_written_back() {
        let point = decode_all(b"cpu,host=a load=0.5,n=2i,s=\"x\" 1700000000000000000\n")
            .remove(0)
            .unwrap();
        let mut encoder = Format::LINEPROTOCOL
            .encoder(&FormatOptions::default())
            .unwrap();
        let mut out = BytesMut::new();
        encoder.encode(&point, &mut out).unwrap();
        assert_eq!(
            &out[..],
            b"cpu,host=a load=0.5,n=2i,s=\"x\" 1700000000000000000\n"
        );

        let mut encoder = Format::LINEPROTOCOL
            .encoder(
                &FormatOptions::default()
                    .with("precision", "s")
                    .with("tags", "host"),
            )
            .unwrap();
        let flat: Record = [
            ("measurement", Value::from("disk")),
            ("host", Value::from("b")),
            ("free", Value::Int(1)),
            ("gone", Value::Null),
            ("time", point.get("time").unwrap().clone()),
        ]
        .into_iter()
        .collect();
        let mut out = BytesMut::new();
        encoder.encode(&flat, &mut out).unwrap();
        assert_eq!(&out[..], b"disk,host=b free=1i 1700000000\n");
    }

    #[test]
    fn what_line_protocol_cannot_hold_is_an_error() {
        let mut encoder = Format::LINEPROTOCOL
            .encoder(
                &FormatOptions::default()
                    .with("measurement", "m")
                    .with("precision", "s"),
            )
            .unwrap();
        let cases: Vec<Record> = vec![
            [("a", Value::Null)].into_iter().collect(),
            [("a", Value::Float(f64::NAN))].into_iter().collect(),
            [("a", Value::from("x\ny"))].into_iter().collect(),
            [
                ("a", Value::Int(1)),
                (
                    "time",
                    Value::Timestamp(Timestamp::new(1_500, TimeUnit::Millisecond, None)),
                ),
            ]
            .into_iter()
            .collect(),
        ];
        let mut out = BytesMut::from(&b"kept\n"[..]);
        for (i, record) in cases.iter().enumerate() {
            let error = encoder.encode(record, &mut out).unwrap_err();
            assert_eq!(error.position().record, Some(i as u64 + 1));
        }
        assert_eq!(&out[..], b"kept\n");
    }
}
