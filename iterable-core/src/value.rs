//! `Value`: one field's value, scalar or nested.

use crate::{Date, Decimal, Duration, Record, Time, Timestamp};
use bytes::Bytes;
use compact_str::CompactString;

/// One value of a record's field.
///
/// Strings are [`CompactString`]s: up to 24 bytes are stored inline, so the short fields that
/// make up most tabular data cost no allocation. CSV yields [`Value::String`] for every field;
/// JSON keeps its own types; typed formats (Parquet) give dates, times, timestamps, durations
/// and decimals too, which text formats write as [`Value::typed_text`] says.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Value {
    /// No value (JSON `null`; an empty CSV field is an empty string, not null).
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in 64 signed bits.
    Int(i64),
    /// An integer outside the `i64` range, kept exactly as decimal digits.
    BigInt(BigInt),
    /// A floating-point number.
    Float(f64),
    /// A UTF-8 string.
    String(CompactString),
    /// Raw bytes (from binary formats; text formats write them as base64).
    Bytes(Bytes),
    /// An ordered list of values.
    Array(Vec<Value>),
    /// A nested record (a JSON object).
    Object(Box<Record>),
    /// A calendar date (typed formats; text formats write `2024-01-31`).
    Date(Date),
    /// A time of day (`13:45:00.25`).
    Time(Time),
    /// An instant or a wall-clock time, with its unit and maybe a time zone (RFC 3339).
    Timestamp(Timestamp),
    /// A length of time (`PT90.5S`).
    Duration(Duration),
    /// An exact decimal (its digits: `-1234.50`).
    Decimal(Decimal),
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string, for [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, for [`Value::Int`].
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as `f64`, for [`Value::Float`] and [`Value::Int`] (which may round).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The boolean, for [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, for [`Value::Array`].
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The nested record, for [`Value::Object`].
    pub fn as_object(&self) -> Option<&Record> {
        match self {
            Value::Object(r) => Some(r),
            _ => None,
        }
    }

    /// The text of a typed value (date, time, timestamp, duration, decimal), as every text
    /// format writes it: `2024-01-31`, `13:45:00.25`, RFC 3339 (`Z` when it has a time zone),
    /// `PT90.5S`, a decimal's exact digits. `None` for the other values.
    ///
    /// ```
    /// use iterable_core::{Date, Value};
    /// assert_eq!(Value::Date(Date::from_days(0)).typed_text().as_deref(), Some("1970-01-01"));
    /// assert_eq!(Value::Int(1).typed_text(), None);
    /// ```
    pub fn typed_text(&self) -> Option<String> {
        match self {
            Value::Date(d) => Some(d.to_string()),
            Value::Time(t) => Some(t.to_string()),
            Value::Timestamp(t) => Some(t.to_string()),
            Value::Duration(d) => Some(d.to_string()),
            Value::Decimal(d) => Some(d.to_string()),
            _ => None,
        }
    }
}

/// An integer outside the range of `i64`, kept exactly as its decimal digits.
///
/// JSON readers produce it for integers such as `18446744073709551616`; writers put the same
/// digits back. It holds an optional `-` followed by ASCII digits, nothing else.
///
/// ```
/// use iterable_core::BigInt;
/// let n = BigInt::parse("-170141183460469231731687303715884105728").unwrap();
/// assert_eq!(n.as_str(), "-170141183460469231731687303715884105728");
/// assert!(BigInt::parse("12a").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BigInt(CompactString);

impl BigInt {
    /// Checks that `digits` is an optional `-` and one or more ASCII digits.
    pub fn parse(digits: &str) -> Option<BigInt> {
        let body = digits.strip_prefix('-').unwrap_or(digits);
        (!body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()))
            .then(|| BigInt(CompactString::from(digits)))
    }

    /// The decimal digits, with a leading `-` when negative.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<i128> for BigInt {
    fn from(n: i128) -> Self {
        BigInt(CompactString::from(itoa::Buffer::new().format(n)))
    }
}

impl From<u128> for BigInt {
    fn from(n: u128) -> Self {
        BigInt(CompactString::from(itoa::Buffer::new().format(n)))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<u64> for Value {
    fn from(u: u64) -> Self {
        match i64::try_from(u) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(BigInt::from(u128::from(u))),
        }
    }
}

impl From<i128> for Value {
    fn from(i: i128) -> Self {
        match i64::try_from(i) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(BigInt::from(i)),
        }
    }
}

impl From<u128> for Value {
    fn from(u: u128) -> Self {
        match i64::try_from(u) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(BigInt::from(u)),
        }
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(CompactString::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(CompactString::from(s))
    }
}

impl From<CompactString> for Value {
    fn from(s: CompactString) -> Self {
        Value::String(s)
    }
}

impl From<Bytes> for Value {
    fn from(b: Bytes) -> Self {
        Value::Bytes(b)
    }
}

impl From<Vec<Value>> for Value {
    fn from(a: Vec<Value>) -> Self {
        Value::Array(a)
    }
}

impl From<Record> for Value {
    fn from(r: Record) -> Self {
        Value::Object(Box::new(r))
    }
}

impl From<Date> for Value {
    fn from(d: Date) -> Self {
        Value::Date(d)
    }
}

impl From<Time> for Value {
    fn from(t: Time) -> Self {
        Value::Time(t)
    }
}

impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Self {
        Value::Timestamp(t)
    }
}

impl From<Duration> for Value {
    fn from(d: Duration) -> Self {
        Value::Duration(d)
    }
}

impl From<Decimal> for Value {
    fn from(d: Decimal) -> Self {
        Value::Decimal(d)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_pick_the_smallest_exact_variant() {
        assert_eq!(Value::from(5u64), Value::Int(5));
        assert_eq!(
            Value::from(u64::MAX),
            Value::BigInt(BigInt::parse("18446744073709551615").unwrap())
        );
        assert_eq!(Value::from(i128::from(i64::MIN)), Value::Int(i64::MIN));
    }

    #[test]
    fn typed_values_keep_value_small() {
        assert!(
            std::mem::size_of::<Value>() <= 40,
            "{}",
            std::mem::size_of::<Value>()
        );
        assert_eq!(std::mem::align_of::<Value>(), 8);
    }

    #[test]
    fn big_int_rejects_non_digits() {
        for bad in ["", "-", "1.5", "+1", " 1", "1e5"] {
            assert!(BigInt::parse(bad).is_none(), "{bad:?}");
        }
    }
}
