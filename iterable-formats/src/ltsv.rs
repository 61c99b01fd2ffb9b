//! LTSV, labelled tab-separated values (<http://ltsv.org>): one record per line, its fields
//! `label:value` separated by tabs, as web servers log them:
//!
//! ```text
//! host:127.0.0.1<TAB>time:[10/Oct/2000:13:55:36 -0700]<TAB>req:GET / HTTP/1.0<TAB>status:200
//! ```
//!
//! Read, every value is a string (LTSV has no types); a label is what comes before a field's
//! first `:`. An empty field (a trailing tab) is skipped. A field without a `:`, an empty label,
//! a label given twice or text that is not UTF-8 is a recoverable error naming the line, never
//! a record silently changed. Written, values are their text (numbers, `true`, typed values as
//! RFC 3339 and so on, nested values as JSON, null as an empty value); a label or value that
//! LTSV cannot hold (a tab or line break in either, a `:` or nothing in a label) is an error
//! naming the record and field.

use crate::lines::{LineDecoder, LineParser, head_lines, within, write_line};
use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use crate::text;
use bytes::{BufMut, BytesMut};
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FieldsCache, FormatInfo, Position, Record,
    Result, Value,
};

/// LTSV in the format registry.
pub struct LtsvFormat;

/// The registry's LTSV.
pub static LTSV: LtsvFormat = LtsvFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "ltsv";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["ltsv"],
    mime_types: &["text/x-ltsv"],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "LTSV: labelled tab-separated values, label:value fields, one record per line",
};

impl FormatSpec for LtsvFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// Text whose complete lines (up to 20) are all `label:value` fields: 80 when they have two
    /// fields or more, 30 when one.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        if !crate::csv::looks_like_text(head) {
            return None;
        }
        let lines = head_lines(head, complete, 20);
        let mut fewest = usize::MAX;
        for line in &lines {
            let fields = line.split(|&b| b == b'\t').filter(|f| !f.is_empty());
            let mut count = 0;
            for field in fields {
                match memchr::memchr(b':', field) {
                    Some(colon) if colon > 0 && is_label(&field[..colon]) => count += 1,
                    _ => return None,
                }
            }
            fewest = fewest.min(count);
        }
        match fewest {
            usize::MAX | 0 => None,
            1 => Some(Sniffed::with(30)),
            _ => Some(Sniffed::with(80)),
        }
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(LtsvDecoder::new(max_record_size)))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(LtsvEncoder::new()))
    }
}

/// A label as ltsv.org defines it (`[0-9A-Za-z_.-]+`), for sniffing; reading takes any label.
fn is_label(label: &[u8]) -> bool {
    label
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Decodes LTSV: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::Decoder;
/// use iterable_formats::ltsv::LtsvDecoder;
///
/// let mut decoder = LtsvDecoder::new(1 << 20);
/// let mut buf = BytesMut::from(&b"host:10.0.0.1\treq:GET /a:b HTTP/1.1\tstatus:200\n"[..]);
/// let record = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(record.get("req").and_then(|v| v.as_str()), Some("GET /a:b HTTP/1.1"));
/// assert_eq!(record.get("status").and_then(|v| v.as_str()), Some("200"));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub type LtsvDecoder = LineDecoder<LtsvParser>;

impl LtsvDecoder {
    /// A decoder refusing lines longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> LtsvDecoder {
        LineDecoder::with_parser(LtsvParser::default(), max_record_size)
    }
}

/// One LTSV line into a record (the [`LineParser`] of [`LtsvDecoder`]).
#[derive(Debug, Default)]
pub struct LtsvParser {
    /// Lines with the same labels share them.
    names: FieldsCache,
    labels: Vec<(usize, usize)>,
    values: Vec<Value>,
}

impl LineParser for LtsvParser {
    const FORMAT: &'static str = FORMAT;

    fn parse(&mut self, line: &[u8], position: Position) -> Result<Option<Record>> {
        let Ok(text) = std::str::from_utf8(line) else {
            let valid = std::str::from_utf8(line)
                .map_err(|e| e.valid_up_to())
                .unwrap_err();
            return Err(invalid("the line is not UTF-8 text").at(within(position, valid)));
        };
        self.labels.clear();
        self.values.clear();
        let mut start = 0;
        for field in text.split('\t') {
            let offset = start;
            start += field.len() + 1;
            if field.is_empty() {
                continue;
            }
            let Some(colon) = field.find(':') else {
                return Err(invalid(format!(
                    "the field {field:?} has no ':' between label and value"
                ))
                .at(within(position, offset)));
            };
            if colon == 0 {
                return Err(invalid("a field has an empty label").at(within(position, offset)));
            }
            self.labels.push((offset, offset + colon));
            self.values.push(Value::from(&field[colon + 1..]));
        }
        if self.labels.is_empty() {
            return Err(invalid("the line has no fields"));
        }
        if let Some(label) =
            crate::lines::first_repeated(self.labels.iter().map(|&(s, e)| &text[s..e]))
        {
            let offset = self
                .labels
                .iter()
                .rev()
                .find(|&&(s, e)| &text[s..e] == label)
                .map_or(0, |&(s, _)| s);
            return Err(
                invalid(format!("the label {label:?} is given twice")).at(within(position, offset))
            );
        }
        let labels = self.labels.iter().map(|&(s, e)| &text[s..e]);
        let fields = self.names.fields(0, labels);
        Record::with_fields(fields, std::mem::take(&mut self.values)).map(Some)
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidRecord, message)
}

/// One record as an LTSV line.
fn write_fields(record: &Record, out: &mut BytesMut) -> std::result::Result<(), String> {
    for (i, (label, value)) in record.iter().enumerate() {
        if label.is_empty() || label.contains([':', '\t', '\n', '\r']) {
            return Err(format!(
                "the field name {label:?} cannot be an LTSV label (it is empty, or holds ':', a tab or a line break)"
            ));
        }
        if i > 0 {
            out.put_u8(b'\t');
        }
        out.put_slice(label.as_bytes());
        out.put_u8(b':');
        let value_start = out.len();
        text::write_value(value, out).map_err(|e| e.message().to_owned())?;
        if memchr::memchr3(b'\t', b'\n', b'\r', &out[value_start..]).is_some() {
            return Err(format!(
                "the value of {label:?} holds a tab or a line break, which LTSV cannot hold"
            ));
        }
    }
    out.put_u8(b'\n');
    Ok(())
}

/// Encodes records as LTSV, one line each: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::ltsv::LtsvEncoder;
///
/// let r: Record = [("host", Value::from("::1")), ("status", Value::Int(200)), ("user", Value::Null)].into_iter().collect();
/// let mut out = BytesMut::new();
/// LtsvEncoder::new().encode(&r, &mut out)?;
/// assert_eq!(&out[..], b"host:::1\tstatus:200\tuser:\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct LtsvEncoder {
    records: u64,
}

impl LtsvEncoder {
    /// A new encoder.
    pub fn new() -> LtsvEncoder {
        LtsvEncoder::default()
    }
}

impl Encoder for LtsvEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        write_line(FORMAT, &mut self.records, out, |out| {
            write_fields(record, out)
        })
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Vec<Result<Record>> {
        crate::lines::decode_all(LtsvDecoder::new(1 << 20), input)
    }

    #[test]
    fn fields_keep_their_order_and_lines_share_labels() {
        let rows = decode_all(b"a:1\tb:x:y\t\r\na:2\tb:\n");
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.names().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(first.get("b").and_then(Value::as_str), Some("x:y"));
        let second = rows[1].as_ref().unwrap();
        assert_eq!(second.get("b").and_then(Value::as_str), Some(""));
        assert!(first.fields().ptr_eq(second.fields()));
    }

    #[test]
    fn bad_lines_are_errors_with_positions_and_reading_goes_on() {
        let rows = decode_all(b"a:1\nnocolon\ta:2\na:1\ta:2\n:v\n\xff:1\na:3\n");
        assert_eq!(rows.len(), 6);
        let positions: Vec<Position> = rows[1..5]
            .iter()
            .map(|r| {
                let e = r.as_ref().unwrap_err();
                assert!(e.is_recoverable());
                assert_eq!(e.format(), Some(FORMAT));
                e.position()
            })
            .collect();
        assert_eq!(
            positions[0],
            Position {
                byte: Some(4),
                line: Some(2),
                record: Some(2)
            }
        );
        assert_eq!(
            positions[1],
            Position {
                byte: Some(20),
                line: Some(3),
                record: Some(3)
            }
        );
        assert_eq!(positions[2].line, Some(4));
        assert_eq!(
            positions[3],
            Position {
                byte: Some(27),
                line: Some(5),
                record: Some(5)
            }
        );
        assert_eq!(
            rows[5].as_ref().unwrap().get("a").and_then(Value::as_str),
            Some("3")
        );
    }

    #[test]
    fn what_ltsv_cannot_hold_is_an_error_and_nothing_is_written() {
        let mut out = BytesMut::from(&b"kept\n"[..]);
        let tab: Record = [("a", Value::from("x\ty"))].into_iter().collect();
        let error = LtsvEncoder::new().encode(&tab, &mut out).unwrap_err();
        assert_eq!(error.position().record, Some(1));
        let colon: Record = [("a:b", Value::from("x"))].into_iter().collect();
        assert!(LtsvEncoder::new().encode(&colon, &mut out).is_err());
        assert_eq!(&out[..], b"kept\n");
    }
}
