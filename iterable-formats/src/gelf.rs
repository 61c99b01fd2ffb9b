//! GELF, the Graylog Extended Log Format 1.1: one JSON object per message, ended by a newline
//! or by a NUL byte (as GELF over TCP frames them), parsed as JSON Lines are.
//!
//! A message must have GELF's required fields, `version`, `host` and `short_message`, as
//! strings; one without them, or whose `timestamp` is not a number, is a recoverable error
//! naming its line, never passed on as if it were GELF. `timestamp` (seconds since the epoch,
//! with decimals) becomes a timestamp in UTC to the microsecond; the other fields are kept as
//! they are, additional fields with their `_` prefix.
//!
//! Written one message per line: `version` `1.1` first when the record has none; `host` and
//! `short_message` required (an error naming the record otherwise, as is `_id`, which GELF
//! reserves); a timestamp written as seconds with its decimals; and every field that is not one
//! of GELF's (`version host short_message full_message timestamp level facility line file`)
//! written as an additional field, with `_` put before its name when it has none.

use crate::json_text;
use crate::jsonl::JsonLinesDecoder;
use crate::lines::{LineSplitter, write_line};
use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use bytes::{BufMut, BytesMut};
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FormatInfo, Record, Result, TimeUnit,
    Timestamp, Value,
};
use std::sync::Arc;

/// GELF in the format registry.
pub struct GelfFormat;

/// The registry's GELF.
pub static GELF: GelfFormat = GelfFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "gelf";

/// GELF's own fields; any other is an additional field, named with a leading `_`.
pub const GELF_FIELDS: [&str; 9] = [
    "version",
    "host",
    "short_message",
    "full_message",
    "timestamp",
    "level",
    "facility",
    "line",
    "file",
];

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["gelf"],
    mime_types: &[],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "GELF 1.1, Graylog's log messages: JSON objects with version, host, short_message",
};

impl FormatSpec for GelfFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// A first line that is JSON Lines and names `"version"`, `"host"` and
    /// `"short_message"`: 95 (JSON Lines claims it at 90).
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        crate::jsonl::JSONL.sniff(head, complete)?;
        let end = memchr::memchr2(b'\n', 0, head).unwrap_or(head.len());
        let first = &head[..end];
        let has = |key: &[u8]| memchr::memmem::find(first, key).is_some();
        (has(b"\"version\"") && has(b"\"host\"") && has(b"\"short_message\""))
            .then(|| Sniffed::with(95))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(GelfDecoder::new(max_record_size)))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(GelfEncoder::new()))
    }
}

/// Decodes GELF messages: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::gelf::GelfDecoder;
///
/// let mut decoder = GelfDecoder::new(1 << 20);
/// let mut buf = BytesMut::from(&b"{\"version\":\"1.1\",\"host\":\"web1\",\"short_message\":\"hi\",\"timestamp\":1385053862.3072,\"_user\":7}\0"[..]);
/// let message = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(message.get("timestamp").unwrap().typed_text().unwrap(), "2013-11-21T17:11:02.3072Z");
/// assert_eq!(message.get("_user"), Some(&Value::Int(7)));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct GelfDecoder {
    json: JsonLinesDecoder,
    utc: Arc<str>,
}

impl GelfDecoder {
    /// A decoder refusing messages longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> GelfDecoder {
        GelfDecoder {
            json: JsonLinesDecoder::for_format(
                LineSplitter::new(FORMAT, max_record_size).nul_ends_lines(),
                FORMAT,
            ),
            utc: Arc::from("UTC"),
        }
    }

    fn next(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        let Some((parsed, position)) = self.json.next_at(buf, eof)? else {
            return Ok(None);
        };
        let mut record = parsed?;
        self.check(&mut record).map_err(|why| {
            Error::new(ErrorKind::InvalidRecord, why)
                .with_format(FORMAT)
                .at(position)
                .recoverable()
        })?;
        Ok(Some(record))
    }

    fn check(&self, record: &mut Record) -> std::result::Result<(), String> {
        for required in ["version", "host", "short_message"] {
            match record.get(required) {
                Some(Value::String(_)) => {}
                None | Some(Value::Null) => {
                    return Err(format!("not a GELF message: it has no {required}"));
                }
                Some(other) => return Err(format!("{required} must be a string, not {other:?}")),
            }
        }
        if let Some(time) = record.get_mut("timestamp") {
            let seconds = match time {
                Value::Int(n) => *n as f64,
                Value::Float(f) => *f,
                Value::Null => return Ok(()),
                other => {
                    return Err(format!(
                        "timestamp must be a number of seconds, not {other:?}"
                    ));
                }
            };
            let micros = (seconds * 1e6).round();
            if !micros.is_finite() || micros.abs() >= 9.2e18 {
                return Err(format!("the timestamp {seconds} is out of range"));
            }
            *time = Value::Timestamp(Timestamp::new(
                micros as i64,
                TimeUnit::Microsecond,
                Some(self.utc.clone()),
            ));
        }
        Ok(())
    }
}

impl Decoder for GelfDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true)
    }
}

/// Encodes records as GELF messages, one per line: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::gelf::GelfEncoder;
///
/// let r: Record = [("host", Value::from("web1")), ("short_message", Value::from("hi")), ("user", Value::Int(7))].into_iter().collect();
/// let mut out = BytesMut::new();
/// GelfEncoder::new().encode(&r, &mut out)?;
/// assert_eq!(&out[..], &b"{\"version\":\"1.1\",\"host\":\"web1\",\"short_message\":\"hi\",\"_user\":7}\n"[..]);
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct GelfEncoder {
    records: u64,
}

impl GelfEncoder {
    /// A new encoder.
    pub fn new() -> GelfEncoder {
        GelfEncoder::default()
    }

    fn write(record: &Record, out: &mut BytesMut) -> std::result::Result<(), String> {
        for required in ["host", "short_message"] {
            if !matches!(record.get(required), Some(Value::String(_))) {
                return Err(format!("a GELF message needs {required}, a string"));
            }
        }
        out.put_u8(b'{');
        let mut first = true;
        let mut field = |name: &str, out: &mut BytesMut| {
            if !std::mem::take(&mut first) {
                out.put_u8(b',');
            }
            json_text::write_str(name, out);
            out.put_u8(b':');
        };
        if record.get("version").is_none() {
            field("version", out);
            json_text::write_str("1.1", out);
        }
        for (name, value) in record.iter() {
            if name == "_id" || name == "id" {
                return Err("GELF reserves the additional field _id".into());
            }
            if GELF_FIELDS.contains(&name) || name.starts_with('_') {
                field(name, out);
            } else if record.get(&format!("_{name}")).is_some() {
                return Err(format!(
                    "both {name} and _{name}: written, they would be one field"
                ));
            } else {
                field(&format!("_{name}"), out);
            }
            match (name, value) {
                ("timestamp", Value::Timestamp(time)) => write_seconds(time, out),
                _ => json_text::write_value(value, out).map_err(|e| e.message().to_owned())?,
            }
        }
        out.put_slice(b"}\n");
        Ok(())
    }
}

/// A timestamp as seconds since the epoch, with exactly the decimals its unit has.
fn write_seconds(time: &Timestamp, out: &mut BytesMut) {
    let per = i128::from(time.unit().per_second());
    let value = i128::from(time.value());
    if value < 0 {
        out.put_u8(b'-');
    }
    let (seconds, fraction) = (value.abs() / per, value.abs() % per);
    out.put_slice(itoa::Buffer::new().format(seconds).as_bytes());
    if fraction != 0 {
        let digits = per.ilog10() as usize;
        let text = format!(".{fraction:0digits$}");
        out.put_slice(text.trim_end_matches('0').as_bytes());
    }
}

impl Encoder for GelfEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        write_line(FORMAT, &mut self.records, out, |out| {
            GelfEncoder::write(record, out)
        })
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::Position;

    fn decode_all(input: &[u8]) -> Vec<Result<Record>> {
        crate::lines::decode_all(GelfDecoder::new(1 << 20), input)
    }

    #[test]
    fn messages_end_at_newlines_or_nuls_and_need_their_fields() {
        let ok = "{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"m\",\"timestamp\":-1.5}";
        let input = format!(
            "{ok}\0{ok}\n{{\"host\":\"h\",\"short_message\":\"m\"}}\0\n{{\"version\":\"1.1\",\"host\":1,\"short_message\":\"m\"}}\n{ok}"
        );
        let rows = decode_all(input.as_bytes());
        assert_eq!(rows.len(), 5);
        let time = rows[0].as_ref().unwrap().get("timestamp").unwrap();
        assert_eq!(time.typed_text().unwrap(), "1969-12-31T23:59:58.5Z");
        let missing = rows[2].as_ref().unwrap_err();
        assert!(missing.message().contains("no version"), "{missing}");
        assert!(missing.is_recoverable());
        let start = 2 * (ok.len() as u64 + 1);
        assert_eq!(
            missing.position(),
            Position {
                byte: Some(start),
                line: Some(3),
                record: Some(3)
            }
        );
        assert!(
            rows[3]
                .as_ref()
                .unwrap_err()
                .message()
                .contains("host must be a string")
        );
        assert!(rows[4].is_ok());
    }

    #[test]
    fn written_messages_read_back_the_same() {
        let rows = decode_all(b"{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"m\",\"timestamp\":1385053862.3072,\"level\":3,\"_a\":[1]}\n");
        let message = rows[0].as_ref().unwrap();
        let mut out = BytesMut::new();
        GelfEncoder::new().encode(message, &mut out).unwrap();
        assert_eq!(
            &out[..],
            b"{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"m\",\"timestamp\":1385053862.3072,\"level\":3,\"_a\":[1]}\n"
        );
        let no_host: Record = [("short_message", Value::from("m"))].into_iter().collect();
        let error = GelfEncoder::new().encode(&no_host, &mut out).unwrap_err();
        assert_eq!(error.position().record, Some(1));
    }
}
