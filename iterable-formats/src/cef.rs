//! CEF, ArcSight's Common Event Format: one event per line,
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`,
//! the extension `key=value` pairs separated by spaces.
//!
//! A record holds the header as `cef_version device_vendor device_product device_version
//! signature_id name severity` (IterableData's names), then the extension's keys in their order.
//! `cef_version` and a numeric `severity` (0 to 10) are integers, the rest strings: CEF's own
//! escapes are undone (`\|` and `\\` in the header; `\=`, `\\`, `\n`, `\r` in extension
//! values, which may hold spaces unescaped: a value runs to the space before the next `key=`;
//! an `=` with no space since the last key's, as in an unescaped URL, belongs to the value).
//! A line with text before `CEF:` (a syslog header, as most senders put it) keeps that text in
//! a `syslog` field, first. A line that is not CEF (no `CEF:`, fewer than seven header fields,
//! an extension key that is empty, holds a space or repeats one) is a recoverable error naming
//! its line; IterableData passes such lines on as `raw_line` records. (An `=` with nothing
//! before it since a space is part of a value, as above.)
//!
//! Written with the same escapes, the header fields from their names (a missing one empty,
//! `cef_version` 0 by default), every other field as an extension pair (its text; nested
//! values as JSON). A `syslog` field is written before `CEF:`. An extension key that CEF cannot
//! hold (empty, or with a space, `=`, `|` or `\`) is an error naming the record.

use crate::lines::{LineDecoder, LineParser, head_lines, within, write_line};
use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use crate::text;
use bytes::{BufMut, BytesMut};
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FieldsCache, FormatInfo, Position, Record,
    Result, Value,
};

/// CEF in the format registry.
pub struct CefFormat;

/// The registry's CEF.
pub static CEF: CefFormat = CefFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "cef";

/// The header's fields, in order.
pub const HEADER: [&str; 7] = [
    "cef_version",
    "device_vendor",
    "device_product",
    "device_version",
    "signature_id",
    "name",
    "severity",
];

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["cef"],
    mime_types: &[],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "CEF, ArcSight's Common Event Format: a |-separated header, then key=value pairs",
};

impl FormatSpec for CefFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// A first complete line that parses as a CEF event: 95.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let line = head_lines(head, complete, 1).into_iter().next()?;
        CefParser::default()
            .parse(line, Position::default())
            .ok()
            .map(|_| Sniffed::with(95))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(CefDecoder::new(max_record_size)))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(CefEncoder::new()))
    }
}

/// Decodes CEF events: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::cef::CefDecoder;
///
/// let line = b"Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm stopped|10|src=10.0.0.1 msg=a \\= b act=blocked\n";
/// let event = CefDecoder::new(1 << 20).decode(&mut BytesMut::from(&line[..]))?.unwrap();
/// assert_eq!(event.get("syslog").and_then(Value::as_str), Some("Sep 19 08:26:10 host"));
/// assert_eq!(event.get("severity"), Some(&Value::Int(10)));
/// assert_eq!(event.get("msg").and_then(Value::as_str), Some("a = b"));
/// assert_eq!(event.get("act").and_then(Value::as_str), Some("blocked"));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub type CefDecoder = LineDecoder<CefParser>;

impl CefDecoder {
    /// A decoder refusing lines longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> CefDecoder {
        LineDecoder::with_parser(CefParser::default(), max_record_size)
    }
}

/// One CEF line into a record (the [`LineParser`] of [`CefDecoder`]).
#[derive(Debug, Default)]
pub struct CefParser {
    names: FieldsCache,
}

impl LineParser for CefParser {
    const FORMAT: &'static str = FORMAT;

    fn parse(&mut self, line: &[u8], position: Position) -> Result<Option<Record>> {
        let text = std::str::from_utf8(line).map_err(|e| {
            invalid("the line is not UTF-8 text").at(within(position, e.valid_up_to()))
        })?;
        let start = text
            .find("CEF:")
            .ok_or_else(|| invalid("not a CEF event: no \"CEF:\""))?;
        let mut names: Vec<String> = Vec::with_capacity(16);
        let mut values: Vec<Value> = Vec::with_capacity(16);
        let prefix = text[..start].trim_end();
        if !prefix.is_empty() {
            names.push("syslog".into());
            values.push(Value::from(prefix));
        }
        // The header: seven fields ended by unescaped pipes.
        let mut at = start + 4;
        for (i, field) in HEADER.iter().enumerate() {
            let mut value = String::new();
            let bytes = text.as_bytes();
            loop {
                match bytes.get(at) {
                    None => {
                        return Err(invalid(format!(
                            "not a CEF event: the header ends before its {field} (it has {i} of 7 fields)"
                        ))
                        .at(within(position, at)));
                    }
                    Some(b'|') => {
                        at += 1;
                        break;
                    }
                    Some(b'\\') if matches!(bytes.get(at + 1), Some(b'|' | b'\\')) => {
                        value.push(bytes[at + 1] as char);
                        at += 2;
                    }
                    Some(_) => {
                        let c = text[at..].chars().next().expect("in the text");
                        value.push(c);
                        at += c.len_utf8();
                    }
                }
            }
            let typed = match *field {
                "cef_version" => value.parse::<i64>().ok().map(Value::Int),
                "severity" => value
                    .parse::<i64>()
                    .ok()
                    .filter(|s| (0..=10).contains(s) && value.bytes().all(|b| b.is_ascii_digit()))
                    .map(Value::Int),
                _ => None,
            };
            names.push((*field).into());
            values.push(typed.unwrap_or_else(|| Value::from(value)));
        }
        extension(&text[at..], at, position, &mut names, &mut values)?;
        if let Some(name) = crate::lines::first_repeated(names.iter().map(String::as_str)) {
            return Err(invalid(format!("the key {name:?} is given twice")));
        }
        let fields = self.names.fields(0, names.iter().map(String::as_str));
        Record::with_fields(fields, values).map(Some)
    }
}

/// The `key=value` pairs of `ext` (which starts at byte `offset` of the line).
fn extension(
    ext: &str,
    offset: usize,
    position: Position,
    names: &mut Vec<String>,
    values: &mut Vec<Value>,
) -> Result<()> {
    let bytes = ext.as_bytes();
    // Where each unescaped `=` is.
    let mut equals = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' => {
                equals.push(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    // A key is the word just before an `=`; an `=` with no space since the last key's (an
    // unescaped one in a URL, say) is part of the value, as lenient readers take it.
    let key_start = |eq: usize| ext[..eq].rfind(' ').map_or(0, |s| s + 1);
    let mut keys: Vec<(usize, usize)> = Vec::new();
    for eq in equals {
        let start = key_start(eq);
        if start < eq && keys.last().is_none_or(|&(_, last)| start > last) {
            keys.push((start, eq));
        }
    }
    let Some(&(first, _)) = keys.first() else {
        if !ext.trim().is_empty() {
            return Err(
                invalid("the extension holds no key=value pair").at(within(position, offset))
            );
        }
        return Ok(());
    };
    if !ext[..first].trim().is_empty() {
        return Err(invalid("text before the extension's first key=value pair")
            .at(within(position, offset)));
    }
    // A value runs to the space before the next key.
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(ext.len(), |&(next, _)| next - 1);
        names.push(ext[start..eq].to_owned());
        // The spaces before the next key part values; CEF has no other trailing whitespace.
        values.push(Value::from(unescape(
            ext[eq + 1..end].trim_end_matches(' '),
        )));
    }
    Ok(())
}

fn unescape(value: &str) -> String {
    if !value.contains('\\') {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(c @ ('=' | '\\')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidRecord, message)
}

/// Encodes records as CEF events, one per line: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::cef::CefEncoder;
///
/// let r: Record = [("device_vendor", Value::from("A|B")), ("severity", Value::Int(3)), ("msg", Value::from("x=1\ny"))].into_iter().collect();
/// let mut out = BytesMut::new();
/// CefEncoder::new().encode(&r, &mut out)?;
/// assert_eq!(&out[..], &b"CEF:0|A\\|B|||||3|msg=x\\=1\\ny\n"[..]);
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct CefEncoder {
    records: u64,
}

impl CefEncoder {
    /// A new encoder.
    pub fn new() -> CefEncoder {
        CefEncoder::default()
    }

    fn write(record: &Record, out: &mut BytesMut) -> std::result::Result<(), String> {
        if let Some(syslog) = record.get("syslog").filter(|v| !v.is_null()) {
            let syslog = text::to_text(syslog)?;
            if syslog.contains(['\n', '\r']) || syslog.contains("CEF:") {
                return Err("the syslog field cannot hold a line break or \"CEF:\"".into());
            }
            out.put_slice(syslog.as_bytes());
            out.put_u8(b' ');
        }
        out.put_slice(b"CEF:");
        for (i, field) in HEADER.iter().enumerate() {
            if i > 0 {
                out.put_u8(b'|');
            }
            let value = match record.get(field) {
                None | Some(Value::Null) if *field == "cef_version" => "0".to_owned(),
                None | Some(Value::Null) => String::new(),
                Some(value) => text::to_text(value)?,
            };
            if value.contains(['\n', '\r']) {
                return Err(format!("the header field {field} cannot hold a line break"));
            }
            for c in value.chars() {
                if c == '|' || c == '\\' {
                    out.put_u8(b'\\');
                }
                let mut utf8 = [0; 4];
                out.put_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
        out.put_u8(b'|');
        let mut first = true;
        for (name, value) in record.iter() {
            if HEADER.contains(&name) || name == "syslog" {
                continue;
            }
            if name.is_empty() || name.contains([' ', '=', '|', '\\', '\n', '\r']) {
                return Err(format!("{name:?} cannot be a CEF extension key"));
            }
            if !std::mem::take(&mut first) {
                out.put_u8(b' ');
            }
            out.put_slice(name.as_bytes());
            out.put_u8(b'=');
            let text = text::to_text(value)?;
            // A trailing space would be lost to the next pair's separator: CEF has no escape
            // for it.
            if text.ends_with(' ') {
                return Err(format!(
                    "the value of {name} ends with a space, which CEF cannot hold"
                ));
            }
            for c in text.chars() {
                match c {
                    '\\' | '=' => {
                        out.put_u8(b'\\');
                        out.put_u8(c as u8);
                    }
                    '\n' => out.put_slice(b"\\n"),
                    '\r' => out.put_slice(b"\\r"),
                    c => {
                        let mut utf8 = [0; 4];
                        out.put_slice(c.encode_utf8(&mut utf8).as_bytes());
                    }
                }
            }
        }
        out.put_u8(b'\n');
        Ok(())
    }
}

impl Encoder for CefEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        write_line(FORMAT, &mut self.records, out, |out| {
            CefEncoder::write(record, out)
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
        crate::lines::decode_all(CefDecoder::new(1 << 20), input)
    }

    #[test]
    fn header_and_extension_with_their_escapes() {
        let rows = decode_all(
            b"CEF:1|Ve\\|ndor|P\\\\x|1.0|sig|Name with spaces|High|msg=two words \\= and\\nmore cs1Label=a\\\\b empty= url=http://x/?a=b&c=d last=x \n",
        );
        let r = rows[0].as_ref().unwrap();
        assert_eq!(
            r.names().collect::<Vec<_>>(),
            [
                "cef_version",
                "device_vendor",
                "device_product",
                "device_version",
                "signature_id",
                "name",
                "severity",
                "msg",
                "cs1Label",
                "empty",
                "url",
                "last"
            ]
        );
        assert_eq!(r.get("cef_version"), Some(&Value::Int(1)));
        assert_eq!(
            r.get("device_vendor").and_then(Value::as_str),
            Some("Ve|ndor")
        );
        assert_eq!(
            r.get("device_product").and_then(Value::as_str),
            Some("P\\x")
        );
        assert_eq!(r.get("severity").and_then(Value::as_str), Some("High"));
        assert_eq!(
            r.get("msg").and_then(Value::as_str),
            Some("two words = and\nmore")
        );
        assert_eq!(r.get("cs1Label").and_then(Value::as_str), Some("a\\b"));
        assert_eq!(r.get("empty").and_then(Value::as_str), Some(""));
        assert_eq!(
            r.get("url").and_then(Value::as_str),
            Some("http://x/?a=b&c=d")
        );
        assert_eq!(r.get("last").and_then(Value::as_str), Some("x"));
    }

    #[test]
    fn lines_that_are_not_cef_are_errors_and_reading_goes_on() {
        let rows = decode_all(
            b"plain text\nCEF:0|a|b|c\nCEF:0|a|b|c|d|e|5|x=1 x=2\nCEF:0|a|b|c|d|e|5|junk x=1\nCEF:0|a|b|c|d|e|5|\n",
        );
        assert_eq!(rows.len(), 5);
        for (i, row) in rows[..4].iter().enumerate() {
            let e = row.as_ref().unwrap_err();
            assert!(e.is_recoverable());
            assert_eq!(e.position().line, Some(i as u64 + 1));
        }
        assert_eq!(rows[1].as_ref().unwrap_err().position().byte, Some(11 + 11));
        assert_eq!(rows[4].as_ref().unwrap().len(), 7);
    }

    #[test]
    fn events_are_written_back_the_same() {
        let line = b"<13>Jan 1 host CEF:0|V\\|x|P|1|s|n|7|a=1 \\\\ 2 b=c\\=d\\ne\n";
        let event = decode_all(line).remove(0).unwrap();
        let mut out = BytesMut::new();
        CefEncoder::new().encode(&event, &mut out).unwrap();
        assert_eq!(&out[..], &line[..]);
        let bad: Record = [("a b", Value::Int(1))].into_iter().collect();
        assert!(CefEncoder::new().encode(&bad, &mut out).is_err());
        assert_eq!(&out[..], &line[..]);
    }
}
