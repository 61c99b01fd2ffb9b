//! The Arrow bridge (feature `arrow`): records to and from arrow-rs `RecordBatch`es with
//! their schema, shared by Parquet (and later Arrow IPC and ORC), and public, so that records
//! can be handed to DataFusion, Polars or anything else that takes Arrow.
//!
//! | Arrow | [`Value`] |
//! |---|---|
//! | Boolean | `Bool` |
//! | Int8-64, UInt8-32 | `Int` (the width is the schema's) |
//! | UInt64 | `Int`, or `BigInt` above `i64::MAX` |
//! | Float16-64 | `Float` |
//! | Utf8, LargeUtf8, Utf8View | `String` |
//! | Binary, LargeBinary, BinaryView, FixedSizeBinary | `Bytes` |
//! | Date32, Date64 | `Date` |
//! | Time32, Time64 | `Time` |
//! | Timestamp (with or without a zone) | `Timestamp` |
//! | Duration | `Duration` |
//! | Decimal32-128 (Decimal256 when it fits 128 bits) | `Decimal` |
//! | List, LargeList, FixedSizeList | `Array` |
//! | Struct | `Object` |
//! | Map | `Object`, its keys as text (a key that is not text is written as its JSON) |
//! | Dictionary | its values' type |
//! | Null | `Null` |
//!
//! Union, run-end-encoded and interval columns are refused with an error naming them.

use crate::json_text;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type,
    DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType, DurationSecondType,
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{
    DataType as ArrowType, Field as ArrowField, Fields as ArrowFields, TimeUnit as ArrowUnit,
};
use iterable_core::{
    CompactString, DataType, Date, Decimal, Duration, Error, ErrorKind, Field, Fields, Position,
    Record, Result, Schema, Time, TimeUnit, Timestamp, Value,
};
use std::sync::Arc;

/// The name errors give the bridge.
const FORMAT: &str = "arrow";

fn unit_of(unit: &ArrowUnit) -> TimeUnit {
    match unit {
        ArrowUnit::Second => TimeUnit::Second,
        ArrowUnit::Millisecond => TimeUnit::Millisecond,
        ArrowUnit::Microsecond => TimeUnit::Microsecond,
        ArrowUnit::Nanosecond => TimeUnit::Nanosecond,
    }
}

fn arrow_unit(unit: TimeUnit) -> ArrowUnit {
    match unit {
        TimeUnit::Second => ArrowUnit::Second,
        TimeUnit::Millisecond => ArrowUnit::Millisecond,
        TimeUnit::Microsecond => ArrowUnit::Microsecond,
        TimeUnit::Nanosecond => ArrowUnit::Nanosecond,
    }
}

/// The schema of Arrow `schema`'s fields, or an error naming a field of a type the bridge
/// cannot read.
pub fn schema_from_arrow(schema: &arrow_schema::Schema) -> Result<Schema> {
    schema
        .fields()
        .iter()
        .map(|f| field_from_arrow(f))
        .collect::<Result<Vec<_>>>()
        .map(Schema::new)
}

fn field_from_arrow(field: &ArrowField) -> Result<Field> {
    let mut ours = Field::new(
        field.name(),
        type_from_arrow(field.data_type(), field.name())?,
    );
    ours.nullable = field.is_nullable();
    Ok(ours)
}

fn type_from_arrow(data_type: &ArrowType, name: &str) -> Result<DataType> {
    use ArrowType as A;
    Ok(match data_type {
        A::Null => DataType::Null,
        A::Boolean => DataType::Bool,
        A::Int8 => DataType::Int8,
        A::Int16 => DataType::Int16,
        A::Int32 => DataType::Int32,
        A::Int64 => DataType::Int64,
        A::UInt8 => DataType::UInt8,
        A::UInt16 => DataType::UInt16,
        A::UInt32 => DataType::UInt32,
        A::UInt64 => DataType::UInt64,
        A::Float16 | A::Float32 => DataType::Float32,
        A::Float64 => DataType::Float64,
        A::Utf8 | A::LargeUtf8 | A::Utf8View => DataType::String,
        A::Binary | A::LargeBinary | A::BinaryView | A::FixedSizeBinary(_) => DataType::Binary,
        A::Date32 | A::Date64 => DataType::Date,
        A::Time32(unit) | A::Time64(unit) => DataType::Time(unit_of(unit)),
        A::Timestamp(unit, zone) => DataType::Timestamp(unit_of(unit), zone.clone()),
        A::Duration(unit) => DataType::Duration(unit_of(unit)),
        A::Decimal32(p, s) | A::Decimal64(p, s) | A::Decimal128(p, s) | A::Decimal256(p, s) => {
            DataType::Decimal {
                precision: *p,
                scale: *s,
            }
        }
        A::List(item) | A::LargeList(item) | A::FixedSizeList(item, _) => {
            DataType::List(Box::new(field_from_arrow(item)?))
        }
        A::Struct(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| field_from_arrow(f))
                .collect::<Result<_>>()?,
        ),
        A::Map(entries, _) => match entries.data_type() {
            A::Struct(kv) if kv.len() == 2 => DataType::Map(
                Box::new(field_from_arrow(&kv[0])?),
                Box::new(field_from_arrow(&kv[1])?),
            ),
            other => return Err(unreadable(name, other)),
        },
        A::Dictionary(_, values) => type_from_arrow(values, name)?,
        other => return Err(unreadable(name, other)),
    })
}

fn unreadable(name: &str, data_type: &ArrowType) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("column {name:?} is of type {data_type}, which iterable does not read yet"),
    )
    .with_format(FORMAT)
}

/// The Arrow schema of `schema`. A field whose type is not known yet (only nulls seen) is
/// nullable text.
pub fn schema_to_arrow(schema: &Schema) -> arrow_schema::Schema {
    arrow_schema::Schema::new(
        schema
            .fields()
            .iter()
            .map(field_to_arrow)
            .collect::<Vec<_>>(),
    )
}

fn field_to_arrow(field: &Field) -> ArrowField {
    let nullable = field.nullable || field.data_type == DataType::Null;
    ArrowField::new(
        field.name.as_str(),
        type_to_arrow(&field.data_type),
        nullable,
    )
}

fn type_to_arrow(data_type: &DataType) -> ArrowType {
    use ArrowType as A;
    match data_type {
        DataType::Null | DataType::String => A::Utf8,
        DataType::Bool => A::Boolean,
        DataType::Int8 => A::Int8,
        DataType::Int16 => A::Int16,
        DataType::Int32 => A::Int32,
        DataType::Int64 => A::Int64,
        DataType::UInt8 => A::UInt8,
        DataType::UInt16 => A::UInt16,
        DataType::UInt32 => A::UInt32,
        DataType::UInt64 => A::UInt64,
        DataType::Float32 => A::Float32,
        DataType::Float64 => A::Float64,
        DataType::Decimal { precision, scale } if *precision > 38 => {
            A::Decimal256((*precision).min(76), *scale)
        }
        DataType::Decimal { precision, scale } => A::Decimal128((*precision).max(1), *scale),
        DataType::Binary => A::Binary,
        DataType::Date => A::Date32,
        DataType::Time(unit @ (TimeUnit::Second | TimeUnit::Millisecond)) => {
            A::Time32(arrow_unit(*unit))
        }
        DataType::Time(unit) => A::Time64(arrow_unit(*unit)),
        DataType::Timestamp(unit, zone) => A::Timestamp(arrow_unit(*unit), zone.clone()),
        DataType::Duration(unit) => A::Duration(arrow_unit(*unit)),
        DataType::List(item) => A::List(Arc::new(field_to_arrow(item))),
        DataType::Struct(fields) => {
            A::Struct(fields.iter().map(field_to_arrow).collect::<ArrowFields>())
        }
        DataType::Map(key, value) => {
            let key = ArrowField::new("key", type_to_arrow(&map_key_type(&key.data_type)), false);
            let value = ArrowField::new("value", type_to_arrow(&value.data_type), value.nullable);
            A::Map(
                Arc::new(ArrowField::new(
                    "entries",
                    A::Struct(ArrowFields::from(vec![key, value])),
                    false,
                )),
                false,
            )
        }
        _ => A::Utf8,
    }
}

/// Reads one column's value at a row.
type ColumnReader = Box<dyn Fn(usize) -> Value + Send>;

/// The records of a `RecordBatch`, one per row, built as they are taken; they share one set
/// of field names (and each nested struct column its own).
///
/// ```
/// use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray};
/// use iterable_core::Value;
/// use iterable_formats::arrow::BatchRecords;
/// use std::sync::Arc;
///
/// let batch = RecordBatch::try_from_iter([
///     ("id", Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef),
///     ("name", Arc::new(StringArray::from(vec![Some("Ada"), None])) as ArrayRef),
/// ])?;
/// let records: Vec<_> = BatchRecords::new(&batch)?.collect();
/// assert_eq!(records[0].get("id"), Some(&Value::Int(1)));
/// assert_eq!(records[1].get("name"), Some(&Value::Null));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BatchRecords {
    columns: Vec<ColumnReader>,
    fields: Fields,
    rows: usize,
    next: usize,
}

impl BatchRecords {
    /// The records of `batch`; an error names a column of a type the bridge cannot read.
    pub fn new(batch: &RecordBatch) -> Result<BatchRecords> {
        let schema = batch.schema();
        let columns = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, array)| reader(array, field.name()))
            .collect::<Result<Vec<_>>>()?;
        Ok(BatchRecords {
            columns,
            fields: Fields::new(schema.fields().iter().map(|f| f.name().as_str())),
            rows: batch.num_rows(),
            next: 0,
        })
    }
}

impl Iterator for BatchRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.next >= self.rows {
            return None;
        }
        let row = self.next;
        self.next += 1;
        let values = self.columns.iter().map(|column| column(row)).collect();
        // The values are one per field by construction.
        Record::with_fields(self.fields.clone(), values).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.rows - self.next;
        (left, Some(left))
    }
}

/// What is read of each batch of a columnar file (Arrow IPC, ORC): its records, in the
/// columns asked for (`-o columns=`, in the order given).
pub(crate) struct Batches {
    format: &'static str,
    columns: Option<Vec<String>>,
    /// The columns asked for, as indices, once the schema is known.
    projection: Option<Vec<usize>>,
    /// The records' schema, in the columns asked for.
    pub(crate) schema: Option<Schema>,
    /// The records of the batch being read.
    pub(crate) records: Option<BatchRecords>,
    /// Records given so far.
    pub(crate) given: u64,
}

impl Batches {
    /// Batches of `format`, read in the columns `options` ask for (checked by the caller).
    pub(crate) fn new(format: &'static str, options: &crate::FormatOptions) -> Result<Batches> {
        Ok(Batches {
            format,
            columns: options.list("columns"),
            projection: None,
            schema: None,
            records: None,
            given: 0,
        })
    }

    /// Learns the file's schema: the columns asked for are found in it.
    pub(crate) fn set_schema(&mut self, schema: &arrow_schema::Schema) -> Result<()> {
        let projected = match &self.columns {
            None => schema.clone(),
            Some(names) => {
                let indices = column_indices(self.format, schema, names)?;
                let projected = schema.project(&indices).map_err(|e| {
                    Error::parse(self.format, e.to_string()) // the indices were found in it
                })?;
                self.projection = Some(indices);
                projected
            }
        };
        self.schema = Some(schema_from_arrow(&projected).map_err(|e| e.with_format(self.format))?);
        Ok(())
    }

    /// Takes the records of `batch`.
    pub(crate) fn push(&mut self, batch: RecordBatch) -> Result<()> {
        let batch = match &self.projection {
            Some(indices) => batch.project(indices).map_err(|e| {
                Error::parse(self.format, e.to_string()).at(iterable_core::Position {
                    record: Some(self.given + 1),
                    ..iterable_core::Position::default()
                })
            })?,
            None => batch,
        };
        self.records = Some(BatchRecords::new(&batch).map_err(|e| e.with_format(self.format))?);
        Ok(())
    }

    pub(crate) fn next(&mut self) -> Option<Record> {
        let record = self.records.as_mut()?.next();
        match record {
            Some(_) => self.given += 1,
            None => self.records = None,
        }
        record
    }

    /// Moves up to `max` records into `out`; how many were moved.
    pub(crate) fn move_into(
        &mut self,
        out: &mut std::collections::VecDeque<Record>,
        max: usize,
    ) -> usize {
        let Some(records) = &mut self.records else {
            return 0;
        };
        let before = out.len();
        out.extend(records.by_ref().take(max.max(1)));
        let moved = out.len() - before;
        self.given += moved as u64;
        if moved == 0 {
            self.records = None;
        }
        moved
    }
}

/// [`iterable_core::RangeDecoder::step_into`] for a decoder of [`Batches`] (Arrow IPC, ORC):
/// the records of the batch being read, else the decoder's next step, its record moved.
pub(crate) fn step_into_batches<D>(
    decoder: &mut D,
    batches: fn(&mut D) -> &mut Batches,
    next_step: fn(&mut D) -> Result<iterable_core::RangeStep>,
    out: &mut std::collections::VecDeque<Record>,
    max: usize,
) -> Result<Option<iterable_core::RangeStep>> {
    if batches(decoder).move_into(out, max) > 0 {
        return Ok(None);
    }
    match next_step(decoder)? {
        iterable_core::RangeStep::Record(record) => {
            out.push_back(record);
            Ok(None)
        }
        other => Ok(Some(other)),
    }
}

/// A reader of `array`'s values, nulls included.
fn reader(array: &ArrayRef, name: &str) -> Result<ColumnReader> {
    let values = value_reader(array, name)?;
    if array.null_count() == 0 {
        return Ok(values);
    }
    let array = array.clone();
    Ok(Box::new(move |row| match array.is_null(row) {
        true => Value::Null,
        false => values(row),
    }))
}

macro_rules! primitive {
    ($array:expr, $type:ty, |$v:ident| $make:expr) => {{
        let array = $array.as_primitive::<$type>().clone();
        Box::new(move |row| {
            let $v = array.value(row);
            $make
        })
    }};
}

/// A reader of `array`'s values, for rows that are not null.
fn value_reader(array: &ArrayRef, name: &str) -> Result<ColumnReader> {
    use ArrowType as A;
    Ok(match array.data_type() {
        A::Null => Box::new(|_| Value::Null),
        A::Boolean => {
            let array = array.as_boolean().clone();
            Box::new(move |row| Value::Bool(array.value(row)))
        }
        A::Int8 => primitive!(array, Int8Type, |v| Value::Int(i64::from(v))),
        A::Int16 => primitive!(array, Int16Type, |v| Value::Int(i64::from(v))),
        A::Int32 => primitive!(array, Int32Type, |v| Value::Int(i64::from(v))),
        A::Int64 => primitive!(array, Int64Type, |v| Value::Int(v)),
        A::UInt8 => primitive!(array, UInt8Type, |v| Value::Int(i64::from(v))),
        A::UInt16 => primitive!(array, UInt16Type, |v| Value::Int(i64::from(v))),
        A::UInt32 => primitive!(array, UInt32Type, |v| Value::Int(i64::from(v))),
        A::UInt64 => primitive!(array, UInt64Type, |v| Value::from(v)),
        A::Float16 => primitive!(array, Float16Type, |v| Value::Float(v.to_f64())),
        A::Float32 => primitive!(array, Float32Type, |v| Value::Float(f64::from(v))),
        A::Float64 => primitive!(array, Float64Type, |v| Value::Float(v)),
        A::Utf8 => {
            let array = array.as_string::<i32>().clone();
            Box::new(move |row| Value::String(CompactString::from(array.value(row))))
        }
        A::LargeUtf8 => {
            let array = array.as_string::<i64>().clone();
            Box::new(move |row| Value::String(CompactString::from(array.value(row))))
        }
        A::Utf8View => {
            let array = array.as_string_view().clone();
            Box::new(move |row| Value::String(CompactString::from(array.value(row))))
        }
        A::Binary => {
            let array = array.as_binary::<i32>().clone();
            Box::new(move |row| Value::Bytes(bytes::Bytes::copy_from_slice(array.value(row))))
        }
        A::LargeBinary => {
            let array = array.as_binary::<i64>().clone();
            Box::new(move |row| Value::Bytes(bytes::Bytes::copy_from_slice(array.value(row))))
        }
        A::BinaryView => {
            let array = array.as_binary_view().clone();
            Box::new(move |row| Value::Bytes(bytes::Bytes::copy_from_slice(array.value(row))))
        }
        A::FixedSizeBinary(_) => {
            let array = array.as_fixed_size_binary().clone();
            Box::new(move |row| Value::Bytes(bytes::Bytes::copy_from_slice(array.value(row))))
        }
        A::Date32 => primitive!(array, Date32Type, |v| Value::Date(Date::from_days(v))),
        A::Date64 => primitive!(array, Date64Type, |v| Value::Date(Date::from_days(
            i32::try_from(v.div_euclid(86_400_000)).unwrap_or(i32::MAX)
        ))),
        A::Time32(ArrowUnit::Second) => primitive!(array, Time32SecondType, |v| Value::Time(
            Time::new(i64::from(v), TimeUnit::Second)
        )),
        A::Time32(_) => primitive!(array, Time32MillisecondType, |v| Value::Time(Time::new(
            i64::from(v),
            TimeUnit::Millisecond
        ))),
        A::Time64(ArrowUnit::Nanosecond) => primitive!(array, Time64NanosecondType, |v| {
            Value::Time(Time::new(v, TimeUnit::Nanosecond))
        }),
        A::Time64(_) => primitive!(array, Time64MicrosecondType, |v| Value::Time(Time::new(
            v,
            TimeUnit::Microsecond
        ))),
        A::Timestamp(unit, zone) => {
            let zone = zone.clone();
            match unit {
                ArrowUnit::Second => primitive!(array, TimestampSecondType, |v| {
                    Value::Timestamp(Timestamp::new(v, TimeUnit::Second, zone.clone()))
                }),
                ArrowUnit::Millisecond => primitive!(array, TimestampMillisecondType, |v| {
                    Value::Timestamp(Timestamp::new(v, TimeUnit::Millisecond, zone.clone()))
                }),
                ArrowUnit::Microsecond => primitive!(array, TimestampMicrosecondType, |v| {
                    Value::Timestamp(Timestamp::new(v, TimeUnit::Microsecond, zone.clone()))
                }),
                ArrowUnit::Nanosecond => primitive!(array, TimestampNanosecondType, |v| {
                    Value::Timestamp(Timestamp::new(v, TimeUnit::Nanosecond, zone.clone()))
                }),
            }
        }
        A::Duration(unit) => match unit {
            ArrowUnit::Second => primitive!(array, DurationSecondType, |v| Value::Duration(
                Duration::new(v, TimeUnit::Second)
            )),
            ArrowUnit::Millisecond => primitive!(array, DurationMillisecondType, |v| {
                Value::Duration(Duration::new(v, TimeUnit::Millisecond))
            }),
            ArrowUnit::Microsecond => primitive!(array, DurationMicrosecondType, |v| {
                Value::Duration(Duration::new(v, TimeUnit::Microsecond))
            }),
            ArrowUnit::Nanosecond => primitive!(array, DurationNanosecondType, |v| {
                Value::Duration(Duration::new(v, TimeUnit::Nanosecond))
            }),
        },
        A::Decimal32(p, s) => {
            let (p, s) = (*p, *s);
            primitive!(array, Decimal32Type, |v| Value::Decimal(Decimal::new(
                i128::from(v),
                p,
                s
            )))
        }
        A::Decimal64(p, s) => {
            let (p, s) = (*p, *s);
            primitive!(array, Decimal64Type, |v| Value::Decimal(Decimal::new(
                i128::from(v),
                p,
                s
            )))
        }
        A::Decimal128(p, s) => {
            let (p, s) = (*p, *s);
            primitive!(array, Decimal128Type, |v| Value::Decimal(Decimal::new(
                v, p, s
            )))
        }
        A::Decimal256(p, s) => {
            let (p, s) = (*p, *s);
            // Beyond 128 bits, the exact digits as text.
            primitive!(array, Decimal256Type, |v| match v.to_i128() {
                Some(v) => Value::Decimal(Decimal::new(v, p, s)),
                None => Value::from(decimal256_text(&v.to_string(), s)),
            })
        }
        A::List(_) => list_reader(array.as_list::<i32>(), name)?,
        A::LargeList(_) => list_reader(array.as_list::<i64>(), name)?,
        A::FixedSizeList(_, size) => {
            let list = array.as_fixed_size_list().clone();
            let size = usize::try_from(*size).unwrap_or(0);
            let items = reader(list.values(), name)?;
            Box::new(move |row| Value::Array((row * size..(row + 1) * size).map(&items).collect()))
        }
        A::Struct(fields) => {
            let array = array.as_struct().clone();
            let names = Fields::new(fields.iter().map(|f| f.name().as_str()));
            let children = fields
                .iter()
                .zip(array.columns())
                .map(|(f, c)| reader(c, f.name()))
                .collect::<Result<Vec<_>>>()?;
            Box::new(move |row| {
                let values = children.iter().map(|child| child(row)).collect();
                Record::with_fields(names.clone(), values).map_or(Value::Null, Value::from)
            })
        }
        A::Map(..) => {
            let map = array.as_map().clone();
            let keys = reader(map.keys(), name)?;
            let values = reader(map.values(), name)?;
            let offsets = map.value_offsets().to_vec();
            Box::new(move |row| {
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                let record: Record = (start..end)
                    .map(|i| (key_text(keys(i)), values(i)))
                    .collect();
                Value::from(record)
            })
        }
        A::Dictionary(..) => {
            let dictionary = array.as_any_dictionary();
            // No values: every row must be null (arrow-array 59 cannot normalize its keys).
            if dictionary.values().is_empty() {
                if array.null_count() != array.len() {
                    return Err(Error::new(
                        ErrorKind::Parse,
                        format!("column {name:?}: keys into a dictionary of no values"),
                    ));
                }
                return Ok(Box::new(|_| Value::Null));
            }
            let keys = dictionary.normalized_keys();
            let values = reader(dictionary.values(), name)?;
            Box::new(move |row| values(keys[row]))
        }
        other => return Err(unreadable(name, other)),
    })
}

fn list_reader<O: arrow_array::OffsetSizeTrait>(
    list: &arrow_array::GenericListArray<O>,
    name: &str,
) -> Result<ColumnReader> {
    let items = reader(list.values(), name)?;
    let offsets: Vec<usize> = list.value_offsets().iter().map(|o| o.as_usize()).collect();
    Ok(Box::new(move |row| {
        Value::Array((offsets[row]..offsets[row + 1]).map(&items).collect())
    }))
}

/// A map key as a field name: text as it is, anything else as its JSON.
/// A map key as the field name it becomes: text as it is, anything else as it is written in
/// JSON, without the quotes of a string (a date `2024-01-31`, bytes in base64).
fn key_text(key: Value) -> String {
    match key {
        Value::String(s) => s.into(),
        other => {
            let mut out = bytes::BytesMut::new();
            match json_text::write_value(&other, &mut out) {
                Ok(()) => {
                    let text = String::from_utf8_lossy(&out);
                    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                        Some(unquoted) => unquoted.to_owned(),
                        None => text.into_owned(),
                    }
                }
                Err(_) => format!("{other:?}"),
            }
        }
    }
}

/// A 256-bit decimal's text from its unscaled digits.
fn decimal256_text(digits: &str, scale: i8) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    if scale <= 0 {
        return format!(
            "{sign}{digits}{}",
            "0".repeat(usize::from(scale.unsigned_abs()))
        );
    }
    let scale = usize::from(scale.unsigned_abs());
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (whole, frac) = digits.split_at(digits.len() - scale);
    format!("{sign}{whole}.{frac}")
}

/// `records` as a `RecordBatch` of `schema`'s columns; a record's field that the schema
/// lacks, or a value its field's type cannot hold, is an error naming the record (counting
/// from `first`, its number) and the field.
///
/// ```
/// use iterable_core::{DataType, Field, Record, Schema, Value};
/// use iterable_formats::arrow::{records_to_batch, BatchRecords};
///
/// let schema = Schema::new(vec![Field::new("id", DataType::Int32), Field::new("tags", DataType::List(Box::new(Field::new("element", DataType::String)))).nullable()]);
/// let records: Vec<Record> = vec![
///     [("id", Value::Int(1)), ("tags", Value::Array(vec!["a".into()]))].into_iter().collect(),
///     [("id", Value::Int(2))].into_iter().collect(),
/// ];
/// let batch = records_to_batch(&records, &schema, 1)?;
/// assert_eq!(batch.num_rows(), 2);
/// let back: Vec<Record> = BatchRecords::new(&batch)?.collect();
/// assert_eq!(back[1].get("tags"), Some(&Value::Null));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn records_to_batch(records: &[Record], schema: &Schema, first: u64) -> Result<RecordBatch> {
    for (i, record) in records.iter().enumerate() {
        schema.check(record, first + i as u64)?;
    }
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let values: Vec<&Value> = records
                .iter()
                .map(|r| r.get(&field.name).unwrap_or(&Value::Null))
                .collect();
            build(field, &values)
        })
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(records.len()));
    RecordBatch::try_new_with_options(Arc::new(schema_to_arrow(schema)), columns, &options)
        .map_err(arrow_error)
}

/// The column of `values`, all of `field`'s type (checked before).
fn build(field: &Field, values: &[&Value]) -> Result<ArrayRef> {
    use arrow_array::*;
    let nulls = NullBuffer::from(values.iter().map(|v| !v.is_null()).collect::<Vec<bool>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let int = |v: &Value| match v {
        Value::Int(i) => Some(*i),
        Value::BigInt(n) => n.as_str().parse::<u64>().ok().map(|u| u as i64),
        _ => None,
    };
    macro_rules! ints {
        ($array:ty, $t:ty) => {
            Arc::new(<$array>::from_iter(
                values
                    .iter()
                    .map(|v| int(v).and_then(|i| <$t>::try_from(i).ok())),
            )) as ArrayRef
        };
    }
    let unit_values = |v: &Value| match v {
        Value::Time(t) => Some(t.value()),
        Value::Timestamp(t) => Some(t.value()),
        Value::Duration(d) => Some(d.value()),
        _ => None,
    };
    Ok(match &field.data_type {
        DataType::Null | DataType::String => {
            fits_offsets(&field.name, values)?;
            Arc::new(StringArray::from_iter(values.iter().map(|v| v.as_str())))
        }
        DataType::Bool => Arc::new(BooleanArray::from_iter(values.iter().map(|v| v.as_bool()))),
        DataType::Int8 => ints!(Int8Array, i8),
        DataType::Int16 => ints!(Int16Array, i16),
        DataType::Int32 => ints!(Int32Array, i32),
        DataType::Int64 => ints!(Int64Array, i64),
        DataType::UInt8 => ints!(UInt8Array, u8),
        DataType::UInt16 => ints!(UInt16Array, u16),
        DataType::UInt32 => ints!(UInt32Array, u32),
        DataType::UInt64 => Arc::new(UInt64Array::from_iter(values.iter().map(|v| match v {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::BigInt(n) => n.as_str().parse::<u64>().ok(),
            _ => None,
        }))),
        DataType::Float32 => Arc::new(Float32Array::from_iter(
            values.iter().map(|v| v.as_f64().map(|f| f as f32)),
        )),
        DataType::Float64 => Arc::new(Float64Array::from_iter(values.iter().map(|v| v.as_f64()))),
        DataType::Decimal { precision, scale } if *precision > 38 => Arc::new(
            Decimal256Array::from_iter(values.iter().map(|v| {
                match v {
                    Value::Decimal(d) => Some(arrow_buffer::i256::from_i128(d.unscaled())),
                    // A value past 128 bits, read as its text.
                    Value::String(text) => iterable_core::unscaled_digits(text, *scale)
                        .and_then(|digits| arrow_buffer::i256::from_string(&digits)),
                    _ => None,
                }
            }))
            .with_precision_and_scale((*precision).min(76), *scale)
            .map_err(arrow_error)?,
        ),
        DataType::Decimal { precision, scale } => Arc::new(
            Decimal128Array::from_iter(values.iter().map(|v| match v {
                Value::Decimal(d) => Some(d.unscaled()),
                _ => None,
            }))
            .with_precision_and_scale((*precision).max(1), *scale)
            .map_err(arrow_error)?,
        ),
        DataType::Binary => {
            fits_offsets(&field.name, values)?;
            Arc::new(BinaryArray::from_iter(values.iter().map(|v| match v {
                Value::Bytes(b) => Some(b.as_ref()),
                _ => None,
            })))
        }
        DataType::Date => Arc::new(Date32Array::from_iter(values.iter().map(|v| match v {
            Value::Date(d) => Some(d.days()),
            _ => None,
        }))),
        DataType::Time(TimeUnit::Second) => Arc::new(Time32SecondArray::from_iter(
            values
                .iter()
                .map(|v| unit_values(v).and_then(|t| i32::try_from(t).ok())),
        )),
        DataType::Time(TimeUnit::Millisecond) => Arc::new(Time32MillisecondArray::from_iter(
            values
                .iter()
                .map(|v| unit_values(v).and_then(|t| i32::try_from(t).ok())),
        )),
        DataType::Time(TimeUnit::Microsecond) => Arc::new(Time64MicrosecondArray::from_iter(
            values.iter().map(|v| unit_values(v)),
        )),
        DataType::Time(TimeUnit::Nanosecond) => Arc::new(Time64NanosecondArray::from_iter(
            values.iter().map(|v| unit_values(v)),
        )),
        DataType::Timestamp(unit, zone) => {
            let raw = values.iter().map(|v| unit_values(v));
            match unit {
                TimeUnit::Second => {
                    Arc::new(TimestampSecondArray::from_iter(raw).with_timezone_opt(zone.clone()))
                }
                TimeUnit::Millisecond => Arc::new(
                    TimestampMillisecondArray::from_iter(raw).with_timezone_opt(zone.clone()),
                ),
                TimeUnit::Microsecond => Arc::new(
                    TimestampMicrosecondArray::from_iter(raw).with_timezone_opt(zone.clone()),
                ),
                TimeUnit::Nanosecond => Arc::new(
                    TimestampNanosecondArray::from_iter(raw).with_timezone_opt(zone.clone()),
                ),
            }
        }
        DataType::Duration(unit) => {
            let raw = values.iter().map(|v| unit_values(v));
            match unit {
                TimeUnit::Second => Arc::new(DurationSecondArray::from_iter(raw)) as ArrayRef,
                TimeUnit::Millisecond => Arc::new(DurationMillisecondArray::from_iter(raw)),
                TimeUnit::Microsecond => Arc::new(DurationMicrosecondArray::from_iter(raw)),
                TimeUnit::Nanosecond => Arc::new(DurationNanosecondArray::from_iter(raw)),
            }
        }
        DataType::List(item) => {
            let mut offsets = Vec::with_capacity(values.len() + 1);
            let mut items: Vec<&Value> = Vec::new();
            offsets.push(0i32);
            for value in values {
                if let Value::Array(elements) = value {
                    items.extend(elements.iter());
                }
                offsets.push(i32::try_from(items.len()).map_err(|_| too_large(&field.name))?);
            }
            let child = build(item, &items)?;
            Arc::new(
                ListArray::try_new(
                    Arc::new(field_to_arrow(item)),
                    OffsetBuffer::new(offsets.into()),
                    child,
                    nulls,
                )
                .map_err(arrow_error)?,
            )
        }
        DataType::Struct(fields) => {
            let children = fields
                .iter()
                .map(|child| {
                    let child_values: Vec<&Value> = values
                        .iter()
                        .map(|v| match v {
                            Value::Object(record) => {
                                record.get(&child.name).unwrap_or(&Value::Null)
                            }
                            _ => &Value::Null,
                        })
                        .collect();
                    build(child, &child_values)
                })
                .collect::<Result<Vec<_>>>()?;
            let arrow_fields: ArrowFields = fields.iter().map(field_to_arrow).collect();
            Arc::new(StructArray::try_new(arrow_fields, children, nulls).map_err(arrow_error)?)
        }
        DataType::Map(key, value) => {
            // A map is read as an object: its keys are the object's field names, written back
            // as integers for a map of integer keys, as text otherwise.
            let key_field = Field::new("key", map_key_type(&key.data_type));
            let mut offsets = vec![0i32];
            let (mut keys, mut items): (Vec<Value>, Vec<&Value>) = (Vec::new(), Vec::new());
            for v in values {
                if let Value::Object(record) = v {
                    for (name, item) in record.iter() {
                        keys.push(map_key(&key_field.data_type, name, &field.name)?);
                        items.push(item);
                    }
                }
                offsets.push(i32::try_from(keys.len()).map_err(|_| too_large(&field.name))?);
            }
            let value_field = Field {
                name: CompactString::from("value"),
                ..(**value).clone()
            };
            let keys = build(&key_field, &keys.iter().collect::<Vec<_>>())?;
            let items = build(&value_field, &items)?;
            let entries = StructArray::try_new(
                ArrowFields::from(vec![
                    field_to_arrow(&key_field),
                    field_to_arrow(&value_field),
                ]),
                vec![keys, items],
                None,
            )
            .map_err(arrow_error)?;
            let entries_field = Arc::new(ArrowField::new(
                "entries",
                entries.data_type().clone(),
                false,
            ));
            Arc::new(
                MapArray::try_new(
                    entries_field,
                    OffsetBuffer::new(offsets.into()),
                    entries,
                    nulls,
                    false,
                )
                .map_err(arrow_error)?,
            )
        }
        _ => Arc::new(StringArray::from_iter(values.iter().map(|v| v.as_str()))),
    })
}

/// The type a map's keys are written as: integers as they are, anything else as text (the
/// keys are an object's field names).
fn map_key_type(key: &DataType) -> DataType {
    match key {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => key.clone(),
        _ => DataType::String,
    }
}

/// The key `name` of a map in column `column`, as a value of type `key`.
fn map_key(key: &DataType, name: &str, column: &str) -> Result<Value> {
    if *key == DataType::String {
        return Ok(Value::from(name));
    }
    let number = match name.parse::<i64>() {
        Ok(n) => Some(Value::Int(n)),
        Err(_) => name.parse::<u64>().ok().map(Value::from),
    };
    number.filter(|n| key.holds(n)).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidRecord,
            format!("column {column:?}: map key {name:?} is not a {key}"),
        )
        .with_format(FORMAT)
    })
}

/// The indices of the columns `names` in `schema`, in the order asked for, each once; an
/// error of `format` names a column it lacks and lists those it has.
pub(crate) fn column_indices(
    format: &'static str,
    schema: &arrow_schema::Schema,
    names: &[String],
) -> Result<Vec<usize>> {
    let mut indices: Vec<usize> = Vec::with_capacity(names.len());
    for name in names {
        let Some(index) = schema.fields().iter().position(|f| f.name() == name) else {
            let known: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("no column {name:?} (the file has {})", known.join(", ")),
            )
            .with_format(format));
        };
        if !indices.contains(&index) {
            indices.push(index);
        }
    }
    Ok(indices)
}

/// The most `compressed` bytes may claim to unpack to, at most `ratio` to 1 past the first
/// `floor` bytes, for buffers that arrow-rs crates allocate whole from what a file claims
/// (Parquet's column chunks, Arrow IPC's buffers).
pub(crate) fn unpack_allowed(compressed: u64, ratio: u64, floor: u64) -> u64 {
    compressed.saturating_mul(ratio).max(floor)
}

/// An error of arrow-rs building a batch: the records do not fit the schema.
fn arrow_error(error: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidRecord, error.to_string()).with_format(FORMAT)
}

/// Refuses a column of more than 2 GiB of text or bytes in one batch, which Arrow's 32-bit
/// offsets cannot hold (arrow-rs would panic).
fn fits_offsets(name: &str, values: &[&Value]) -> Result<()> {
    let total: usize = values
        .iter()
        .map(|v| match v {
            Value::String(s) => s.len(),
            Value::Bytes(b) => b.len(),
            _ => 0,
        })
        .sum();
    match total <= i32::MAX as usize {
        true => Ok(()),
        false => Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("column {name:?} holds more than 2 GiB of text or bytes in one batch"),
        )
        .with_format(FORMAT)),
    }
}

fn too_large(name: &str) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!("column {name:?} holds more than 2^31 list items in one batch"),
    )
    .with_format(FORMAT)
    .at(Position::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::{Field, Schema};

    #[test]
    fn decimals_past_128_bits_go_back_as_they_came() {
        let schema = Schema::new(vec![Field::new(
            "amount",
            DataType::Decimal {
                precision: 50,
                scale: 2,
            },
        )]);
        let wide = "-123456789012345678901234567890123456789012345.67";
        let records: Vec<Record> = [Value::from(wide), Value::Decimal(Decimal::new(-5, 50, 2))]
            .into_iter()
            .map(|v| [("amount", v)].into_iter().collect())
            .collect();
        let batch = records_to_batch(&records, &schema, 1).unwrap();
        let back: Vec<Record> = BatchRecords::new(&batch).unwrap().collect();
        assert_eq!(back[0].get("amount"), Some(&Value::from(wide)));
        assert_eq!(
            back[1].get("amount"),
            Some(&Value::Decimal(Decimal::new(-5, 50, 2)))
        );
        assert_eq!(schema_from_arrow(&batch.schema()).unwrap(), schema);
        // Text that is not such a decimal is refused, naming the record and the field.
        let bad: Vec<Record> = vec![[("amount", Value::from("12.345"))].into_iter().collect()];
        let error = records_to_batch(&bad, &schema, 7).unwrap_err().to_string();
        assert!(
            error.contains("record 7") && error.contains("amount"),
            "{error}"
        );
    }
}
