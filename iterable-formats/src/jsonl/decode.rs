//! `JsonLinesDecoder`: each line a JSON object, parsed in place with simd-json's tape.

use super::FORMAT;
use crate::json_tape::{Build, LineOut, ObjectParser, Parse};
use bytes::{Buf, BytesMut};
use iterable_core::{Decoder, Error, ErrorKind, ParsedBatch, Position, Record, Result};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes JSON Lines.
///
/// A line that is not valid JSON, or not an object, is a recoverable error naming its line
/// and byte offset: the next call goes on with the next line. A line longer than
/// `max_record_size` bytes is a recoverable [`ErrorKind::LimitExceeded`] error; the decoder
/// drops its bytes as they arrive, so memory stays bounded by the limit whatever the input.
/// Consecutive objects with the same keys in the same order share one
/// [`Fields`](iterable_core::Fields).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::jsonl::JsonLinesDecoder;
///
/// let mut decoder = JsonLinesDecoder::new(1 << 20);
/// let mut buf = BytesMut::from(&b"{\"id\":1,\"big\":18446744073709551616}\n\n{\"id\":2}\n"[..]);
/// let first = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(first.get("big").unwrap(), &Value::BigInt(iterable_core::BigInt::parse("18446744073709551616").unwrap()));
/// let second = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(second.get("id"), Some(&Value::Int(2)));
/// assert!(decoder.decode(&mut buf)?.is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct JsonLinesDecoder {
    max_record_size: usize,
    /// Parses each line, sharing field names between lines.
    parser: ObjectParser,
    /// How much of the buffer is known to hold no newline.
    scanned: usize,
    /// Dropping the rest of a line that was too long.
    discarding: bool,
    bom_checked: bool,
    /// Bytes taken off the input so far.
    consumed: u64,
    /// Lines taken off the input so far.
    lines: u64,
    records: u64,
}

impl JsonLinesDecoder {
    /// A decoder refusing lines longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> JsonLinesDecoder {
        JsonLinesDecoder {
            max_record_size: max_record_size.max(1),
            parser: ObjectParser::new(FORMAT, "line"),
            scanned: 0,
            discarding: false,
            bom_checked: false,
            consumed: 0,
            lines: 0,
            records: 0,
        }
    }

    fn next<O: LineOut>(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        out: &mut O,
    ) -> Result<Option<O::Line>> {
        if !self.bom_checked {
            if buf.len() < BOM.len() && BOM.starts_with(buf) && !eof {
                return Ok(None);
            }
            if buf.starts_with(BOM) {
                self.take(buf, BOM.len());
            }
            self.bom_checked = true;
        }
        loop {
            let newline = memchr::memchr(b'\n', &buf[self.scanned..]).map(|i| self.scanned + i);
            let line_len = match newline {
                Some(i) => i,
                None if eof && !buf.is_empty() => buf.len(),
                None => {
                    self.scanned = buf.len();
                    if self.discarding {
                        let n = buf.len();
                        self.take(buf, n);
                    } else if buf.len() > self.max_record_size {
                        // Drop what there is of the line and the rest as it arrives.
                        let error = self.too_long();
                        self.discarding = true;
                        let n = buf.len();
                        self.take(buf, n);
                        return Err(error);
                    }
                    return Ok(None);
                }
            };
            let taken = (line_len + 1).min(buf.len());
            if std::mem::take(&mut self.discarding) {
                self.take_line(buf, taken);
                continue;
            }
            if line_len > self.max_record_size {
                let error = self.too_long();
                self.take_line(buf, taken);
                return Err(error);
            }
            let position = Position {
                byte: Some(self.consumed),
                line: Some(self.lines + 1),
                record: None,
            };
            let content = trim_end(&buf[..line_len]);
            if content.iter().all(u8::is_ascii_whitespace) {
                self.take_line(buf, taken);
                continue;
            }
            self.records += 1;
            let position = Position {
                record: Some(self.records),
                ..position
            };
            let parsed = self.parser.parse(buf, content.len(), position, out);
            self.take_line(buf, taken);
            return parsed.map(Some);
        }
    }

    fn take(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.consumed += n as u64;
        self.scanned = 0;
    }

    fn take_line(&mut self, buf: &mut BytesMut, n: usize) {
        self.take(buf, n);
        self.lines += 1;
    }

    /// The error for the current line, which is over the limit.
    fn too_long(&mut self) -> Error {
        let error = Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "line is longer than the maximum record size of {} bytes",
                self.max_record_size
            ),
        )
        .with_format(FORMAT)
        .at(Position {
            byte: Some(self.consumed),
            line: Some(self.lines + 1),
            record: Some(self.records + 1),
        })
        .recoverable();
        self.records += 1;
        error
    }
}

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &line[..end]
}

impl Decoder for JsonLinesDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false, &mut Build)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true, &mut Build)
    }

    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        Ok(self.next(buf, eof, &mut Parse(batch))?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::Value;

    fn decode_all(input: &[u8], max: usize) -> Vec<Result<Record>> {
        let mut decoder = JsonLinesDecoder::new(max);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match decoder.decode_eof(&mut buf) {
                Ok(Some(r)) => out.push(Ok(r)),
                Ok(None) => return out,
                Err(e) => out.push(Err(e)),
            }
        }
    }

    #[test]
    fn keys_keep_their_order_and_rows_share_them() {
        let rows = decode_all(
            b"{\"z\":1,\"a\":{\"y\":[1,2.5,\"s\"],\"b\":null}}\n{\"z\":2,\"a\":false}",
            1 << 20,
        );
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.names().collect::<Vec<_>>(), ["z", "a"]);
        let nested = first.get("a").unwrap().as_object().unwrap();
        assert_eq!(nested.names().collect::<Vec<_>>(), ["y", "b"]);
        assert_eq!(
            nested.get("y").unwrap(),
            &Value::Array(vec![Value::Int(1), Value::Float(2.5), Value::from("s")])
        );
        assert!(first.fields().ptr_eq(rows[1].as_ref().unwrap().fields()));
    }

    #[test]
    fn nested_objects_share_names_across_lines() {
        let rows = decode_all(
            b"{\"o\":{\"a\":1,\"b\":2}}\n{\"o\":{\"a\":3,\"b\":4}}\n{\"o\":{\"b\":5}}\n",
            1 << 20,
        );
        let inner = |i: usize| {
            rows[i]
                .as_ref()
                .unwrap()
                .get("o")
                .unwrap()
                .as_object()
                .unwrap()
                .clone()
        };
        assert!(inner(0).fields().ptr_eq(inner(1).fields()));
        assert_eq!(inner(2).names().collect::<Vec<_>>(), ["b"]);
        assert_eq!(inner(2).get("b"), Some(&Value::Int(5)));
    }

    #[test]
    fn bad_lines_name_their_line_and_reading_goes_on() {
        let rows = decode_all(b"{\"a\":1}\r\n\n{\"a\":\n[1,2]\n{\"a\":3}\n", 1 << 20);
        assert_eq!(rows.len(), 4);
        let bad_json = rows[1].as_ref().unwrap_err();
        assert_eq!(bad_json.position().line, Some(3));
        assert!(bad_json.is_recoverable());
        let not_object = rows[2].as_ref().unwrap_err();
        assert_eq!(
            not_object.position(),
            Position {
                byte: Some(16),
                line: Some(4),
                record: Some(3)
            }
        );
        assert_eq!(rows[3].as_ref().unwrap().get("a"), Some(&Value::Int(3)));
    }

    #[test]
    fn integers_beyond_i64_keep_their_digits() {
        let rows = decode_all(b"{\"u\":18446744073709551615,\"n\":-9223372036854775809,\"h\":340282366920938463463374607431768211455}\n", 1 << 20);
        let r = rows[0].as_ref().unwrap();
        let digits = |k| match r.get(k) {
            Some(Value::BigInt(n)) => n.as_str().to_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(digits("u"), "18446744073709551615");
        assert_eq!(digits("n"), "-9223372036854775809");
        assert_eq!(digits("h"), "340282366920938463463374607431768211455");
    }

    #[test]
    fn an_overlong_line_is_skipped_in_bounded_memory() {
        let mut decoder = JsonLinesDecoder::new(64);
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"{\"a\":\"");
        let mut errors = 0;
        for _ in 0..100 {
            buf.extend_from_slice(&[b'x'; 50]);
            match decoder.decode(&mut buf) {
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
                    errors += 1;
                }
                Ok(r) => assert!(r.is_none()),
            }
            assert!(buf.len() <= 200);
        }
        buf.extend_from_slice(b"\"}\n{\"b\":2}\n");
        let next = decoder.decode(&mut buf).unwrap().unwrap();
        assert_eq!(errors, 1);
        assert_eq!(next.get("b"), Some(&Value::Int(2)));
    }
}
