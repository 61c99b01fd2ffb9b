//! Values as plain text, for the formats that hold only text in their fields (CSV, LTSV):
//! one rule, so that every such format writes a value the same way.

use crate::json_text;
use base64::Engine as _;
use bytes::{BufMut, BytesMut};
use iterable_core::{Result, Value};

/// Appends the text of `value`: nothing for null, `true`/`false`, integers with all their
/// digits, floats in their shortest form that reads back the same (`NaN`, `inf`, `-inf`
/// otherwise), strings as they are, bytes in base64, arrays and objects as JSON, and the
/// typed values as their text (a date `2024-01-31`, a timestamp in RFC 3339, a decimal with
/// exactly its digits).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Date, Value};
/// use iterable_formats::text::write_value;
///
/// let mut out = BytesMut::new();
/// for value in [Value::Float(0.1), Value::Date(Date::from_days(19_753)), Value::Array(vec![1.into()])] {
///     write_value(&value, &mut out)?;
///     out.extend_from_slice(b" ");
/// }
/// assert_eq!(&out[..], b"0.1 2024-01-31 [1] ");
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn write_value(value: &Value, out: &mut BytesMut) -> Result<()> {
    match value {
        Value::Null => {}
        Value::String(s) => out.put_slice(s.as_bytes()),
        Value::Bool(true) => out.put_slice(b"true"),
        Value::Bool(false) => out.put_slice(b"false"),
        Value::Int(i) => out.put_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::BigInt(n) => out.put_slice(n.as_str().as_bytes()),
        Value::Float(f) if f.is_finite() => {
            out.put_slice(ryu::Buffer::new().format_finite(*f).as_bytes())
        }
        Value::Float(f) => out.put_slice(f.to_string().as_bytes()),
        Value::Bytes(b) => out.put_slice(
            base64::engine::general_purpose::STANDARD
                .encode(b)
                .as_bytes(),
        ),
        Value::Array(_) | Value::Object(_) => json_text::write_value(value, out)?,
        typed => out.put_slice(typed.typed_text().unwrap_or_default().as_bytes()),
    }
    Ok(())
}

/// The text of `value` (as [`write_value`] writes it), as a `String`; an error is its message.
pub fn to_text(value: &Value) -> std::result::Result<String, String> {
    if let Value::String(s) = value {
        return Ok(s.to_string());
    }
    let mut out = BytesMut::new();
    write_value(value, &mut out).map_err(|e| e.message().to_owned())?;
    String::from_utf8(out.to_vec()).map_err(|e| e.to_string())
}

/// A time zone that is a fixed offset (`+01:30`, `-0700`, `Z`, `UTC`) in minutes east of UTC;
/// `None` for a named zone (`Europe/Oslo`) or anything else.
///
/// ```
/// use iterable_formats::text::{offset_minutes, offset_zone};
/// assert_eq!(offset_minutes("-07:00"), Some(-420));
/// assert_eq!(offset_minutes("Europe/Oslo"), None);
/// assert_eq!(offset_zone(90), "+01:30");
/// ```
pub fn offset_minutes(zone: &str) -> Option<i32> {
    if zone == "Z" || zone.eq_ignore_ascii_case("utc") {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: Vec<u8> = zone.bytes().skip(1).filter(|&b| b != b':').collect();
    if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = |pair: &[u8]| i32::from(pair[0] - b'0') * 10 + i32::from(pair[1] - b'0');
    let (hours, minutes) = (number(&digits[..2]), number(&digits[2..]));
    (minutes < 60).then_some(sign * (hours * 60 + minutes))
}

/// A fixed offset of `minutes` east of UTC as a zone: `+01:30`, `-07:00`.
pub fn offset_zone(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}
