//! `JsonLinesDecoder`: each line a JSON object, parsed in place with simd-json's tape.

use super::FORMAT;
use crate::json_tape::{Build, LineOut, ObjectParser, Parse};
use crate::lines::LineSplitter;
use bytes::BytesMut;
use iterable_core::{Decoder, ParsedBatch, Position, Record, Result};

/// Decodes JSON Lines.
///
/// A line that is not valid JSON, or not an object, is a recoverable error naming its line
/// and byte offset: the next call goes on with the next line. A line longer than
/// `max_record_size` bytes is a recoverable [`iterable_core::ErrorKind::LimitExceeded`] error; the decoder
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
    /// Cuts the input into lines.
    lines: LineSplitter,
    /// Parses each line, sharing field names between lines.
    parser: ObjectParser,
}

impl JsonLinesDecoder {
    /// A decoder refusing lines longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> JsonLinesDecoder {
        JsonLinesDecoder::for_format(LineSplitter::new(FORMAT, max_record_size), FORMAT)
    }

    /// A decoder of the lines `lines` cuts, whose errors name `format`: for the formats that
    /// are JSON Lines underneath (GELF).
    pub(crate) fn for_format(lines: LineSplitter, format: &'static str) -> JsonLinesDecoder {
        JsonLinesDecoder {
            lines,
            parser: ObjectParser::new(format, "line"),
        }
    }

    /// The next line's record, or its error, with the line's position.
    pub(crate) fn next_at(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
    ) -> Result<Option<(Result<Record>, Position)>> {
        let Some(line) = self.lines.next(buf, eof)? else {
            return Ok(None);
        };
        let content = trim_end(&buf[..line.len]).len();
        let parsed = self.parser.parse(buf, content, line.position, &mut Build);
        self.lines.consume(buf, line, true);
        Ok(Some((parsed, line.position)))
    }

    fn next<O: LineOut>(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        out: &mut O,
    ) -> Result<Option<O::Line>> {
        let Some(line) = self.lines.next(buf, eof)? else {
            return Ok(None);
        };
        let content = trim_end(&buf[..line.len]).len();
        let parsed = self.parser.parse(buf, content, line.position, out);
        self.lines.consume(buf, line, true);
        parsed.map(Some)
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
    use iterable_core::{ErrorKind, Value};

    fn decode_all(input: &[u8], max: usize) -> Vec<Result<Record>> {
        crate::lines::decode_all(JsonLinesDecoder::new(max), input)
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
