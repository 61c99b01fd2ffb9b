//! `CsvEncoder`: records into RFC 4180 delimited text.

use super::{CsvWriteOptions, FORMAT};
use crate::text;
use bytes::{BufMut, BytesMut};
use iterable_core::{Encoder, Error, ErrorKind, Fields, Record, Result, Value};

/// Encodes records as delimited text.
///
/// The first record's fields make the header. Later records are matched to it by name: a
/// missing field is written empty, a field the header lacks is an
/// [`ErrorKind::InvalidRecord`] error (never a silently dropped value). Fields are quoted when
/// they hold the delimiter, the quote, or a line break; nested values are written as JSON text;
/// null is an empty field.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::csv::{CsvEncoder, CsvWriteOptions};
///
/// let mut encoder = CsvEncoder::new(CsvWriteOptions::default());
/// let mut out = BytesMut::new();
/// let r: Record = [("id", Value::Int(1)), ("note", Value::from("a, \"b\""))].into_iter().collect();
/// encoder.encode(&r, &mut out)?;
/// assert_eq!(&out[..], b"id,note\n1,\"a, \"\"b\"\"\"\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct CsvEncoder {
    options: CsvWriteOptions,
    delimiter: u8,
    header: Option<Fields>,
    /// Text of one non-string value, before quoting.
    scratch: BytesMut,
}

impl CsvEncoder {
    /// An encoder for `options`.
    pub fn new(options: CsvWriteOptions) -> CsvEncoder {
        CsvEncoder {
            delimiter: options.delimiter.unwrap_or(b','),
            options,
            header: None,
            scratch: BytesMut::new(),
        }
    }

    fn end_row(&self, out: &mut BytesMut) {
        if self.options.crlf {
            out.put_slice(b"\r\n");
        } else {
            out.put_u8(b'\n');
        }
    }

    fn write_row<'a>(
        &mut self,
        values: impl ExactSizeIterator<Item = Option<&'a Value>>,
        out: &mut BytesMut,
    ) -> Result<()> {
        let lone = values.len() == 1;
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.put_u8(self.delimiter);
            }
            self.write_value(value.unwrap_or(&Value::Null), lone, out)?;
        }
        self.end_row(out);
        Ok(())
    }

    fn write_value(&mut self, value: &Value, lone: bool, out: &mut BytesMut) -> Result<()> {
        let text: &[u8] = match value {
            Value::String(s) => s.as_bytes(),
            // Integers never need quotes.
            Value::Int(i) => {
                out.put_slice(itoa::Buffer::new().format(*i).as_bytes());
                return Ok(());
            }
            other => {
                self.scratch.clear();
                text::write_value(other, &mut self.scratch)?;
                &self.scratch
            }
        };
        // A row holding one empty field is quoted, or readers would take it for a blank line.
        if (lone && text.is_empty()) || needs_quotes(text, self.delimiter, self.options.quote) {
            write_quoted(text, self.options.quote, out);
        } else {
            out.put_slice(text);
        }
        Ok(())
    }
}

fn needs_quotes(text: &[u8], delimiter: u8, quote: u8) -> bool {
    memchr::memchr3(delimiter, quote, b'\n', text).is_some()
        || memchr::memchr(b'\r', text).is_some()
}

fn write_quoted(text: &[u8], quote: u8, out: &mut BytesMut) {
    out.put_u8(quote);
    let mut rest = text;
    while let Some(i) = memchr::memchr(quote, rest) {
        out.put_slice(&rest[..=i]);
        out.put_u8(quote);
        rest = &rest[i + 1..];
    }
    out.put_slice(rest);
    out.put_u8(quote);
}

impl Encoder for CsvEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        let header = match &self.header {
            Some(header) => header.clone(),
            None => {
                let header = record.fields().clone();
                if self.options.header {
                    let names: Vec<Value> = header.iter().map(Value::from).collect();
                    self.write_row(names.iter().map(Some), out)?;
                }
                self.header.insert(header).clone()
            }
        };
        if record.fields().ptr_eq(&header) || record.fields() == &header {
            return self.write_row(record.values().iter().map(Some), out);
        }
        if let Some(extra) = record.names().find(|name| header.position(name).is_none()) {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "field {extra:?} is not in the CSV header ({})",
                    header.iter().collect::<Vec<_>>().join(", ")
                ),
            )
            .with_format(FORMAT));
        }
        self.write_row(header.iter().map(|name| record.get(name)), out)
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(records: &[Record]) -> Result<String> {
        let mut encoder = CsvEncoder::new(CsvWriteOptions::default());
        let mut out = BytesMut::new();
        for r in records {
            encoder.encode(r, &mut out)?;
        }
        encoder.finish(&mut out)?;
        Ok(String::from_utf8(out.to_vec()).unwrap())
    }

    fn rec(pairs: &[(&str, Value)]) -> Record {
        pairs.iter().cloned().collect()
    }

    #[test]
    fn later_records_follow_the_header_by_name() {
        let text = encode(&[
            rec(&[("a", 1.into()), ("b", 2.into())]),
            rec(&[("b", "x".into())]),
        ])
        .unwrap();
        assert_eq!(text, "a,b\n1,2\n,x\n");
    }

    #[test]
    fn a_field_outside_the_header_is_an_error() {
        let err = encode(&[rec(&[("a", 1.into())]), rec(&[("z", 1.into())])]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRecord);
        assert!(err.message().contains("\"z\""), "{err}");
    }

    #[test]
    fn nested_values_are_json_and_lone_empty_fields_quoted() {
        let text = encode(&[
            rec(&[("n", Value::Array(vec![1.into(), "a,b".into()]))]),
            rec(&[("n", "".into())]),
        ])
        .unwrap();
        assert_eq!(text, "n\n\"[1,\"\"a,b\"\"]\"\n\"\"\n");
    }

    #[test]
    fn typed_values_are_written_as_their_text() {
        use iterable_core::{Date, Decimal, Duration, Time, TimeUnit, Timestamp};
        let text = encode(&[rec(&[
            ("d", Value::Date(Date::from_days(19_753))),
            (
                "t",
                Value::Time(Time::new(49_500_250, TimeUnit::Millisecond)),
            ),
            (
                "ts",
                Value::Timestamp(Timestamp::new(0, TimeUnit::Second, None)),
            ),
            (
                "p",
                Value::Duration(Duration::new(1_500, TimeUnit::Millisecond)),
            ),
            ("n", Value::Decimal(Decimal::new(1_005, 6, 3))),
        ])])
        .unwrap();
        assert_eq!(
            text,
            "d,t,ts,p,n\n2024-01-31,13:45:00.25,1970-01-01T00:00:00,PT1.5S,1.005\n"
        );
    }
}
