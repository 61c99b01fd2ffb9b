//! `Schema`: the names, types, nullability and nesting of a typed source's records, given to
//! writers before the first record; and its inference from records, for writers of typed
//! formats that are given none.

use crate::{Record, TimeUnit, Value};
use compact_str::CompactString;
use std::fmt;
use std::sync::Arc;

/// The type of a field, with the widths typed formats need to write back what they read (a
/// Parquet `int32` read and written again stays an `int32`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// Nothing but nulls seen: the type is not known yet.
    Null,
    /// `true` or `false`.
    Bool,
    /// Signed integers of 8, 16, 32 and 64 bits.
    Int8,
    /// 16 bits.
    Int16,
    /// 32 bits.
    Int32,
    /// 64 bits.
    Int64,
    /// Unsigned integers of 8, 16, 32 and 64 bits.
    UInt8,
    /// 16 bits.
    UInt16,
    /// 32 bits.
    UInt32,
    /// 64 bits.
    UInt64,
    /// Floating point, 32 bits.
    Float32,
    /// Floating point, 64 bits.
    Float64,
    /// An exact decimal of `precision` digits, `scale` of them after the point.
    Decimal {
        /// Digits in all.
        precision: u8,
        /// Digits after the point.
        scale: i8,
    },
    /// UTF-8 text.
    String,
    /// Raw bytes.
    Binary,
    /// A calendar date.
    Date,
    /// A time of day.
    Time(TimeUnit),
    /// A timestamp, with a time zone or none.
    Timestamp(TimeUnit, Option<Arc<str>>),
    /// A length of time.
    Duration(TimeUnit),
    /// A list of values of one type.
    List(Box<Field>),
    /// A nested record of these fields.
    Struct(Vec<Field>),
    /// A map from keys to values.
    Map(Box<Field>, Box<Field>),
}

impl DataType {
    /// The type of `value`, as far as the value tells (an integer is 64 bits, a string is
    /// text, an array's element type is what its elements share).
    pub fn of(value: &Value) -> DataType {
        match value {
            Value::Null => DataType::Null,
            Value::Bool(_) => DataType::Bool,
            Value::Int(_) => DataType::Int64,
            Value::BigInt(n) => match n.as_str().starts_with('-') {
                true => DataType::String,
                false => DataType::UInt64,
            },
            Value::Float(_) => DataType::Float64,
            Value::String(_) => DataType::String,
            Value::Bytes(_) => DataType::Binary,
            Value::Array(items) => {
                let mut element = Field::new("element", DataType::Null);
                for item in items {
                    element.widen_to(item);
                }
                DataType::List(Box::new(element))
            }
            Value::Object(record) => DataType::Struct(
                record
                    .iter()
                    .map(|(name, value)| Field::new(name, DataType::of(value)).nullable_if(value))
                    .collect(),
            ),
            Value::Date(_) => DataType::Date,
            Value::Time(t) => DataType::Time(t.unit()),
            Value::Timestamp(t) => DataType::Timestamp(t.unit(), t.zone().map(Arc::from)),
            Value::Duration(d) => DataType::Duration(d.unit()),
            Value::Decimal(d) => DataType::Decimal {
                precision: d.precision(),
                scale: d.scale(),
            },
        }
    }

    /// The narrowest type that holds values of both, or `None` when there is none (text and
    /// a number, say): integers widen to wider integers and to floats, nulls to anything,
    /// structs field by field.
    pub fn widened(&self, other: &DataType) -> Option<DataType> {
        use DataType as T;
        if self == other {
            return Some(self.clone());
        }
        Some(match (self, other) {
            (T::Null, t) | (t, T::Null) => t.clone(),
            (a, b) if a.is_integer() && b.is_integer() => {
                match a.integer_rank() >= b.integer_rank() {
                    true => a.clone(),
                    false => b.clone(),
                }
            }
            (
                T::Decimal {
                    precision: a,
                    scale,
                },
                T::Decimal {
                    precision: b,
                    scale: other,
                },
            ) if scale == other => T::Decimal {
                precision: *a.max(b),
                scale: *scale,
            },
            (T::Float32 | T::Float64, b) if b.is_integer() || b == &T::Float32 => T::Float64,
            (a, T::Float32 | T::Float64) if a.is_integer() || a == &T::Float32 => T::Float64,
            (T::List(a), T::List(b)) => {
                let mut element = (**a).clone();
                element.widen(b)?;
                T::List(Box::new(element))
            }
            (T::Struct(a), T::Struct(b)) => {
                let mut fields = a.clone();
                for field in b {
                    match fields.iter_mut().find(|f| f.name == field.name) {
                        Some(existing) => existing.widen(field)?,
                        None => fields.push(Field {
                            nullable: true,
                            ..field.clone()
                        }),
                    }
                }
                for field in &mut fields {
                    if !b.iter().any(|f| f.name == field.name) {
                        field.nullable = true;
                    }
                }
                T::Struct(fields)
            }
            _ => return None,
        })
    }

    /// True when a field of this type can hold `value` as it is: an integer in range of the
    /// type's width, a number that a float holds exactly, a decimal of the type's scale with
    /// no more digits than its precision, null in any type (nullability is the field's),
    /// an array whose elements the element type holds, an object whose fields the struct has
    /// (or whose values the map's value type holds).
    pub fn holds(&self, value: &Value) -> bool {
        use DataType as T;
        match (self, value) {
            (_, Value::Null) => true,
            (T::Bool, Value::Bool(_)) => true,
            (T::Int8, Value::Int(i)) => i8::try_from(*i).is_ok(),
            (T::Int16, Value::Int(i)) => i16::try_from(*i).is_ok(),
            (T::Int32, Value::Int(i)) => i32::try_from(*i).is_ok(),
            (T::Int64, Value::Int(_)) => true,
            (T::UInt8, Value::Int(i)) => u8::try_from(*i).is_ok(),
            (T::UInt16, Value::Int(i)) => u16::try_from(*i).is_ok(),
            (T::UInt32, Value::Int(i)) => u32::try_from(*i).is_ok(),
            (T::UInt64, Value::Int(i)) => *i >= 0,
            (T::UInt64, Value::BigInt(n)) => n.as_str().parse::<u64>().is_ok(),
            // Only what the float holds exactly: no integer past 2^24 (2^53), no f64 that an
            // f32 would round.
            (T::Float32, Value::Float(f)) => f.is_nan() || f64::from(*f as f32) == *f,
            (T::Float32, Value::Int(i)) => i.unsigned_abs() <= 1 << 24,
            (T::Float64, Value::Float(_)) => true,
            (T::Float64, Value::Int(i)) => i.unsigned_abs() <= 1 << 53,
            (T::Decimal { precision, scale }, Value::Decimal(d)) => {
                d.scale() == *scale && digits(d.unscaled()) <= u32::from(*precision)
            }
            // Past 38 digits a value is its exact text (a Decimal holds 128 bits).
            // (Up to 76 digits: the widest decimal formats have, 256 bits.)
            (T::Decimal { precision, scale }, Value::String(text))
                if (39..=76).contains(precision) =>
            {
                unscaled_digits(text, *scale).is_some_and(|unscaled| {
                    unscaled
                        .trim_start_matches('-')
                        .trim_start_matches('0')
                        .len()
                        <= usize::from(*precision)
                })
            }
            (T::String, Value::String(_)) => true,
            (T::Binary, Value::Bytes(_)) => true,
            (T::Date, Value::Date(_)) => true,
            // A time of day: within the day (its last second may be a leap second), which
            // also keeps seconds and milliseconds within the 32 bits formats give them.
            (T::Time(unit), Value::Time(t)) => {
                t.unit() == *unit && (0..=86_400 * unit.per_second()).contains(&t.value())
            }
            (T::Timestamp(unit, zone), Value::Timestamp(t)) => {
                t.unit() == *unit && t.zone().is_some() == zone.is_some()
            }
            (T::Duration(unit), Value::Duration(d)) => d.unit() == *unit,
            (T::List(element), Value::Array(items)) => {
                items.iter().all(|item| element.data_type.holds(item))
            }
            (T::Struct(fields), Value::Object(record)) => record.iter().all(|(name, value)| {
                fields
                    .iter()
                    .any(|f| f.name == name && f.data_type.holds(value))
            }),
            // A map is read as an object, its keys as the field names.
            (T::Map(_, item), Value::Object(record)) => {
                record.iter().all(|(_, value)| item.data_type.holds(value))
            }
            _ => false,
        }
    }

    fn is_integer(&self) -> bool {
        self.integer_rank() > 0
    }

    /// Integer types in the order they widen to (unsigned ones widen to the signed type of
    /// twice their width).
    fn integer_rank(&self) -> u8 {
        match self {
            DataType::Int8 => 1,
            DataType::UInt8 => 2,
            DataType::Int16 => 3,
            DataType::UInt16 => 4,
            DataType::Int32 => 5,
            DataType::UInt32 => 6,
            DataType::Int64 => 7,
            DataType::UInt64 => 8,
            _ => 0,
        }
    }
}

/// The unscaled integer of a decimal's text at `scale`, as digits with their sign
/// (`"-12.50"` at scale 2 is `"-1250"`; `"1200"` at scale -2 is `"12"`): how a decimal wider
/// than 128 bits, read as text, is written back. `None` when the text is not a plain decimal
/// number, or has more fraction digits than `scale` (or too few trailing zeros for a
/// negative one).
///
/// ```
/// use iterable_core::unscaled_digits;
/// assert_eq!(unscaled_digits("-12.5", 2).as_deref(), Some("-1250"));
/// assert_eq!(unscaled_digits("1200", -2).as_deref(), Some("12"));
/// assert_eq!(unscaled_digits("0", -2).as_deref(), Some("0"));
/// assert_eq!(unscaled_digits("1.234", 2), None);
/// assert_eq!(unscaled_digits("1e5", 0), None);
/// ```
pub fn unscaled_digits(text: &str, scale: i8) -> Option<String> {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let decimal = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !decimal(whole) || !decimal(fraction) {
        return None;
    }
    if scale >= 0 {
        let scale = usize::from(scale.unsigned_abs());
        if fraction.len() > scale {
            return None;
        }
        return Some(format!("{sign}{whole}{fraction:0<scale$}"));
    }
    if whole.bytes().all(|b| b == b'0') && fraction.bytes().all(|b| b == b'0') {
        return Some("0".to_owned());
    }
    let zeros = usize::from(scale.unsigned_abs());
    let kept = whole.strip_suffix(&"0".repeat(zeros))?;
    if !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    Some(format!(
        "{sign}{}",
        if kept.is_empty() { "0" } else { kept }
    ))
}

/// The decimal digits of `n` (1 for 0).
fn digits(n: i128) -> u32 {
    n.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1)
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Decimal { precision, scale } => write!(f, "decimal({precision}, {scale})"),
            DataType::Time(unit) => write!(f, "time({})", unit.as_str()),
            DataType::Timestamp(unit, None) => write!(f, "timestamp({})", unit.as_str()),
            DataType::Timestamp(unit, Some(zone)) => {
                write!(f, "timestamp({}, {zone})", unit.as_str())
            }
            DataType::Duration(unit) => write!(f, "duration({})", unit.as_str()),
            DataType::List(element) => write!(f, "list<{}>", element.data_type),
            DataType::Struct(fields) => {
                f.write_str("struct<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {}", field.name, field.data_type)?;
                }
                f.write_str(">")
            }
            DataType::Map(key, value) => write!(f, "map<{}, {}>", key.data_type, value.data_type),
            other => {
                let name = format!("{other:?}").to_lowercase();
                f.write_str(&name)
            }
        }
    }
}

/// One field of a [`Schema`]: a name, a type, and whether it may be null.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field's name.
    pub name: CompactString,
    /// Its type.
    pub data_type: DataType,
    /// Whether it may be null (or missing from a record).
    pub nullable: bool,
}

impl Field {
    /// A field called `name` of type `data_type`, not nullable.
    pub fn new(name: &str, data_type: DataType) -> Field {
        Field {
            name: CompactString::from(name),
            data_type,
            nullable: false,
        }
    }

    /// The same field, nullable.
    pub fn nullable(mut self) -> Field {
        self.nullable = true;
        self
    }

    fn nullable_if(self, value: &Value) -> Field {
        match value.is_null() {
            true => self.nullable(),
            false => self,
        }
    }

    /// Widens this field's type so that `value` fits; false when no type holds both.
    pub fn widen_to(&mut self, value: &Value) -> bool {
        if value.is_null() {
            self.nullable = true;
            return true;
        }
        if self.data_type.holds(value) {
            return true;
        }
        self.widen(&Field::new(&self.name.clone(), DataType::of(value)))
            .is_some()
    }

    fn widen(&mut self, other: &Field) -> Option<()> {
        self.data_type = self.data_type.widened(&other.data_type)?;
        self.nullable |= other.nullable || other.data_type == DataType::Null;
        Some(())
    }
}

/// The fields of a typed source's records, in order.
///
/// ```
/// use iterable_core::{DataType, Record, Schema, Value};
/// let first: Record = [("id", Value::Int(1)), ("score", Value::Int(3))].into_iter().collect();
/// let second: Record = [("id", Value::Int(2)), ("score", Value::Float(2.5)), ("note", Value::Null)].into_iter().collect();
/// let mut schema = Schema::infer(std::slice::from_ref(&first)).unwrap();
/// schema.widen(&second, 2).unwrap();
/// assert_eq!(schema.field("score").unwrap().data_type, DataType::Float64);
/// assert!(schema.field("note").unwrap().nullable);
/// let text: Record = [("id", Value::from("three"))].into_iter().collect();
/// let error = schema.widen(&text, 3).unwrap_err();
/// assert_eq!(error.to_string(), "record 3: field \"id\" holds a string, which int64 cannot hold");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Schema {
    fields: Vec<Field>,
}

impl Schema {
    /// A schema of `fields`.
    pub fn new(fields: Vec<Field>) -> Schema {
        Schema { fields }
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The schema `records` share: every field any of them has (nullable where some lack it
    /// or hold null), each of the narrowest type that holds all their values. An error names
    /// the record (counting from 1) and the field whose values no one type holds.
    pub fn infer(records: &[Record]) -> crate::Result<Schema> {
        let mut schema = Schema::default();
        for (i, record) in records.iter().enumerate() {
            schema.widen(record, i as u64 + 1)?;
        }
        Ok(schema)
    }

    /// Widens the schema so that `record` (number `index`, counting from 1) fits: new fields
    /// are added, nullable; fields it lacks become nullable. An error names the record and
    /// the field that no type can hold with what came before.
    pub fn widen(&mut self, record: &Record, index: u64) -> crate::Result<()> {
        let first = self.fields.is_empty() && index <= 1;
        for (name, value) in record.iter() {
            match self.fields.iter_mut().find(|f| f.name == name) {
                Some(field) => {
                    let before = field.data_type.clone();
                    if !field.widen_to(value) {
                        return Err(cannot_hold(index, name, value, &before));
                    }
                }
                None => {
                    let field = Field::new(name, DataType::of(value)).nullable_if(value);
                    self.fields
                        .push(if first { field } else { field.nullable() });
                }
            }
        }
        for field in &mut self.fields {
            if record.get(&field.name).is_none() {
                field.nullable = true;
            }
        }
        Ok(())
    }

    /// Checks that `record` (number `index`) fits the schema as it is: every field is one of
    /// the schema's, of a type the field holds. An error names the record and the field.
    pub fn check(&self, record: &Record, index: u64) -> crate::Result<()> {
        for (name, value) in record.iter() {
            let Some(field) = self.field(name) else {
                return Err(crate::Error::new(
                    crate::ErrorKind::InvalidRecord,
                    format!("field {name:?} is not in the schema"),
                )
                .at(crate::Position {
                    record: Some(index),
                    ..crate::Position::default()
                }));
            };
            if !field.data_type.holds(value) || (value.is_null() && !field.nullable) {
                return Err(cannot_hold(index, name, value, &field.data_type));
            }
        }
        Ok(())
    }
}

fn cannot_hold(index: u64, name: &str, value: &Value, data_type: &DataType) -> crate::Error {
    let what = match value {
        Value::Null => "null".to_owned(),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => format!("a {}", DataType::of(other)),
    };
    crate::Error::new(
        crate::ErrorKind::InvalidRecord,
        format!("field {name:?} holds {what}, which {data_type} cannot hold"),
    )
    .at(crate::Position {
        record: Some(index),
        ..crate::Position::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_widen_to_wider_integers_and_floats() {
        use DataType as T;
        assert_eq!(T::Int32.widened(&T::Int64), Some(T::Int64));
        assert_eq!(T::UInt8.widened(&T::Int16), Some(T::Int16));
        assert_eq!(T::Int64.widened(&T::Float32), Some(T::Float64));
        assert_eq!(T::Null.widened(&T::String), Some(T::String));
        assert_eq!(T::String.widened(&T::Int64), None);
        assert_eq!(T::Date.widened(&T::Timestamp(TimeUnit::Second, None)), None);
    }

    #[test]
    fn nested_records_widen_field_by_field() {
        let a: Record = [(
            "o",
            Value::from([("x", Value::Int(1))].into_iter().collect::<Record>()),
        )]
        .into_iter()
        .collect();
        let b: Record = [(
            "o",
            Value::from([("y", Value::from("s"))].into_iter().collect::<Record>()),
        )]
        .into_iter()
        .collect();
        let schema = Schema::infer(&[a, b]).unwrap();
        let DataType::Struct(fields) = &schema.field("o").unwrap().data_type else {
            panic!("{schema:?}")
        };
        assert_eq!(fields.len(), 2);
        assert!(fields.iter().all(|f| f.nullable));
        assert_eq!(
            schema.field("o").unwrap().data_type.to_string(),
            "struct<x: int64, y: string>"
        );
    }

    #[test]
    fn times_are_held_only_within_a_day() {
        use crate::{Time, TimeUnit};
        let column = DataType::Time(TimeUnit::Second);
        assert!(column.holds(&Value::Time(Time::new(86_399, TimeUnit::Second))));
        // Past a day, it is no time of day (and would not fit a 32-bit column in ms).
        assert!(!column.holds(&Value::Time(Time::new(86_401, TimeUnit::Second))));
        assert!(!column.holds(&Value::Time(Time::new(-1, TimeUnit::Second))));
        let millis = DataType::Time(TimeUnit::Millisecond);
        assert!(!millis.holds(&Value::Time(Time::new(1 << 40, TimeUnit::Millisecond))));
    }

    #[test]
    fn numbers_are_held_only_exactly() {
        let decimal =
            |unscaled, precision| Value::Decimal(crate::Decimal::new(unscaled, precision, 2));
        let column = DataType::Decimal {
            precision: 5,
            scale: 2,
        };
        assert!(column.holds(&decimal(99_999, 38)));
        assert!(!column.holds(&decimal(100_000, 38)), "six digits in five");
        assert!(!column.holds(&Value::Decimal(crate::Decimal::new(1, 5, 3))));
        assert_eq!(
            column.widened(&DataType::Decimal {
                precision: 11,
                scale: 2
            }),
            Some(DataType::Decimal {
                precision: 11,
                scale: 2
            })
        );
        assert!(DataType::Float64.holds(&Value::Int(1 << 53)));
        assert!(!DataType::Float64.holds(&Value::Int((1 << 53) + 1)));
        assert!(!DataType::Float32.holds(&Value::Int((1 << 24) + 1)));
        assert!(DataType::Float32.holds(&Value::Float(0.5)));
        assert!(!DataType::Float32.holds(&Value::Float(0.1)));
        // Inferred, a big integer and a float cannot share a float column.
        let records: Vec<Record> = [Value::Int(i64::MAX), Value::Float(0.5)]
            .into_iter()
            .map(|v| [("n", v)].into_iter().collect())
            .collect();
        let schema = Schema::infer(&records).unwrap();
        assert!(schema.check(&records[0], 1).is_err());
    }

    #[test]
    fn check_refuses_what_the_schema_cannot_hold() {
        let schema = Schema::new(vec![Field::new("n", DataType::Int32)]);
        let ok: Record = [("n", Value::Int(1))].into_iter().collect();
        assert!(schema.check(&ok, 1).is_ok());
        let extra: Record = [("n", Value::Int(1)), ("m", Value::Int(2))]
            .into_iter()
            .collect();
        assert!(
            schema
                .check(&extra, 2)
                .unwrap_err()
                .to_string()
                .contains("\"m\" is not in the schema")
        );
        let null: Record = [("n", Value::Null)].into_iter().collect();
        assert!(schema.check(&null, 3).is_err());
    }
}
