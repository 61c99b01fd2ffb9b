//! Writing values as JSON text, shared by the JSON Lines encoder and by CSV for nested values.

use base64::Engine as _;
use bytes::{BufMut, BytesMut};
use iterable_core::{Error, ErrorKind, Record, Result, Value};

/// Appends `record` as one JSON object.
pub fn write_record(record: &Record, out: &mut BytesMut) -> Result<()> {
    out.put_u8(b'{');
    for (i, (name, value)) in record.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        write_str(name, out);
        out.put_u8(b':');
        write_value(value, out)?;
    }
    out.put_u8(b'}');
    Ok(())
}

/// Appends `value` as JSON. Integers beyond `i64` keep their digits; bytes become a base64
/// string; a NaN or infinite float is an error, since JSON cannot hold it.
pub fn write_value(value: &Value, out: &mut BytesMut) -> Result<()> {
    match value {
        Value::Null => out.put_slice(b"null"),
        Value::Bool(true) => out.put_slice(b"true"),
        Value::Bool(false) => out.put_slice(b"false"),
        Value::Int(i) => out.put_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::BigInt(n) => out.put_slice(n.as_str().as_bytes()),
        Value::Float(f) if f.is_finite() => {
            out.put_slice(ryu::Buffer::new().format_finite(*f).as_bytes())
        }
        Value::Float(f) => {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!("the float {f} cannot be written as JSON"),
            ));
        }
        Value::String(s) => write_str(s, out),
        Value::Bytes(b) => {
            out.put_u8(b'"');
            out.put_slice(
                base64::engine::general_purpose::STANDARD
                    .encode(b)
                    .as_bytes(),
            );
            out.put_u8(b'"');
        }
        Value::Array(items) => {
            out.put_u8(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b',');
                }
                write_value(item, out)?;
            }
            out.put_u8(b']');
        }
        Value::Object(record) => write_record(record, out)?,
        // A decimal is a JSON number with exactly its digits; the other typed values are
        // strings of their text.
        Value::Decimal(d) => out.put_slice(d.to_string().as_bytes()),
        other => match other.typed_text() {
            Some(text) => write_str(&text, out),
            None => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("cannot write {other:?} as JSON"),
                ));
            }
        },
    }
    Ok(())
}

/// What a byte turns into inside a JSON string: 0 = itself, `u` = `\u00XX`, else `\` + it.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Appends `s` as a quoted, escaped JSON string.
pub fn write_str(s: &str, out: &mut BytesMut) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.put_u8(b'"');
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[b as usize];
        if escape == 0 {
            continue;
        }
        out.put_slice(&bytes[run_start..i]);
        if escape == b'u' {
            out.put_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]);
        } else {
            out.put_slice(&[b'\\', escape]);
        }
        run_start = i + 1;
    }
    out.put_slice(&bytes[run_start..]);
    out.put_u8(b'"');
}

/// Where the JSON object or array that `text` starts with (after white space) ends: the
/// offset just past its closing bracket, `None` when `text` does not start with `{` or `[` or
/// ends before the value does. Strings and their escapes are skipped; nothing else is checked.
///
/// ```
/// use iterable_formats::json_text::value_end;
/// assert_eq!(value_end(br#" {"a":"}"} tail"#), Some(10));
/// assert_eq!(value_end(b"[1, [2]"), None);
/// assert_eq!(value_end(b"42"), None);
/// ```
pub fn value_end(text: &[u8]) -> Option<usize> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    if !matches!(text[start], b'{' | b'[') {
        return None;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in text.iter().enumerate().skip(start) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: &Value) -> String {
        let mut out = BytesMut::new();
        write_value(value, &mut out).unwrap();
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(
            json(&Value::from("a\"b\\c\n\u{1}é")),
            r#""a\"b\\c\n\u0001é""#
        );
    }

    #[test]
    fn numbers_keep_their_value() {
        assert_eq!(json(&Value::Float(1.0)), "1.0");
        assert_eq!(json(&Value::Float(-2.5e-300)), "-2.5e-300");
        assert_eq!(json(&Value::from(u64::MAX)), "18446744073709551615");
        let mut out = BytesMut::new();
        assert!(write_value(&Value::Float(f64::NAN), &mut out).is_err());
    }

    #[test]
    fn typed_values_are_written_as_their_text() {
        use iterable_core::{Date, Decimal, TimeUnit, Timestamp};
        let record: Record = [
            ("d", Value::Date(Date::from_days(19_753))),
            (
                "t",
                Value::Timestamp(Timestamp::new(1, TimeUnit::Millisecond, Some("UTC".into()))),
            ),
            ("n", Value::Decimal(Decimal::new(-12_345, 9, 2))),
        ]
        .into_iter()
        .collect();
        let mut out = BytesMut::new();
        write_record(&record, &mut out).unwrap();
        assert_eq!(
            &out[..],
            br#"{"d":"2024-01-31","t":"1970-01-01T00:00:00.001Z","n":-123.45}"#
        );
    }

    #[test]
    fn nesting() {
        let inner: Record = [("k", Value::Array(vec![Value::Null, true.into()]))]
            .into_iter()
            .collect();
        let outer: Record = [("o", Value::from(inner))].into_iter().collect();
        let mut out = BytesMut::new();
        write_record(&outer, &mut out).unwrap();
        assert_eq!(&out[..], br#"{"o":{"k":[null,true]}}"#);
    }
}
