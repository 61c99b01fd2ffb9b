//! `ParsedBatch`: records parsed on one thread and built on another.

use crate::{BigInt, Error, ErrorKind, Fields, FieldsCache, Record, Result, Value};
use bytes::Bytes;
use compact_str::CompactString;
use std::collections::VecDeque;

/// One piece of a parsed record, in document order.
#[derive(Debug, Clone, Copy)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string: `text[start..end]`.
    Str {
        start: usize,
        end: usize,
    },
    /// An integer beyond `i64`: its digits in `text[start..end]`.
    BigInt {
        start: usize,
        end: usize,
    },
    /// The next entry of `bytes`.
    Bytes,
    /// The next entry of `typed`: a date, time, timestamp, duration or decimal.
    Typed,
    /// An array: its `len` elements follow.
    Array {
        len: usize,
    },
    /// A record or nested object named by `shapes[shape]`: its values follow.
    Record {
        shape: usize,
    },
    /// A record or nested object of `len` members: their keys follow (as strings), then
    /// their values.
    Keyed {
        len: usize,
    },
    /// The next entry of `errors`, in place of a record.
    Error,
}

/// The values kept whole in a batch: dates, times, timestamps, durations, decimals.
fn is_typed(value: &Value) -> bool {
    matches!(
        value,
        Value::Date(_)
            | Value::Time(_)
            | Value::Timestamp(_)
            | Value::Duration(_)
            | Value::Decimal(_)
    )
}

/// Records parsed but not built yet: strings in one text buffer, structure in a flat list.
///
/// Building a record allocates (its values, its longer strings), and memory allocated on one
/// thread and freed on another is slow with common allocators: records decoded whole on a
/// second thread measured twice as slow as on one. A decoder can instead *parse* records into
/// a `ParsedBatch` ([`crate::Decoder::decode_into`]), whose buffers are reused from batch to
/// batch; the thread that uses the records *builds* them ([`ParsedBatch::next_record`]), so
/// every allocation of a record is made, and freed, on that thread.
///
/// A producer starts a record with [`ParsedBatch::push_record`] (names known) or
/// [`ParsedBatch::push_keyed_record`] (names given as keys) and then pushes its values in field
/// order: an array's elements after [`ParsedBatch::push_array`], a nested object's values after
/// [`ParsedBatch::push_object`] or [`ParsedBatch::push_keyed_object`]. A bad record is
/// [`ParsedBatch::push_error`]. The consumer takes records out in the same order, then
/// [`ParsedBatch::clear`]s the batch and hands it back to be filled again: its buffers keep
/// their capacity.
///
/// ```
/// use iterable_core::{Fields, FieldsCache, ParsedBatch, Value};
///
/// let fields = Fields::new(["id", "tags"]);
/// let mut batch = ParsedBatch::default();
/// batch.push_record(&fields);
/// batch.push_value(&Value::Int(7));
/// batch.push_array(2);
/// batch.push_str("a");
/// batch.push_str("b");
/// assert_eq!(batch.records(), 1);
///
/// batch.push_keyed_record(["id"].into_iter());
/// batch.push_value(&Value::Int(8));
/// assert_eq!(batch.records(), 2);
///
/// let mut names = FieldsCache::default();
/// let record = batch.next_record(&mut names).unwrap()?;
/// assert_eq!(record.get("id"), Some(&Value::Int(7)));
/// assert_eq!(record.get("tags"), Some(&Value::Array(vec!["a".into(), "b".into()])));
/// let record = batch.next_record(&mut names).unwrap()?;
/// assert_eq!(record.names().collect::<Vec<_>>(), ["id"]);
/// assert!(batch.next_record(&mut names).is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ParsedBatch {
    text: String,
    nodes: Vec<Node>,
    /// The field names used in this batch (mostly one).
    shapes: Vec<Fields>,
    bytes: VecDeque<Bytes>,
    /// The typed values, whole: they hold nothing to share.
    typed: VecDeque<Value>,
    errors: VecDeque<Error>,
    /// Records and errors pushed at the top level.
    records: usize,
    /// Where [`ParsedBatch::next_record`] reads next.
    cursor: usize,
}

impl ParsedBatch {
    /// Starts a record with `fields`; its values are pushed next, one per name.
    pub fn push_record(&mut self, fields: &Fields) {
        self.records += 1;
        self.push_object(fields);
    }

    /// Starts an object nested in a record (a JSON object's value) with `fields`; its values
    /// are pushed next, one per name.
    pub fn push_object(&mut self, fields: &Fields) {
        let shape = match self.shapes.iter().rposition(|s| s.ptr_eq(fields)) {
            Some(shape) => shape,
            None => {
                self.shapes.push(fields.clone());
                self.shapes.len() - 1
            }
        };
        self.nodes.push(Node::Record { shape });
    }

    /// Starts a record whose field names are `keys`; its values are pushed next, one per key.
    /// The builder shares the names between records where they are the same
    /// ([`FieldsCache`]), so the parsing side need not compare them.
    pub fn push_keyed_record<'k>(&mut self, keys: impl ExactSizeIterator<Item = &'k str>) {
        self.records += 1;
        self.push_keyed_object(keys);
    }

    /// Starts an object nested in a record whose field names are `keys`; its values are
    /// pushed next, one per key.
    pub fn push_keyed_object<'k>(&mut self, keys: impl ExactSizeIterator<Item = &'k str>) {
        self.nodes.push(Node::Keyed { len: keys.len() });
        keys.for_each(|key| self.push_str(key));
    }

    /// Starts an array of `len` elements, pushed next.
    pub fn push_array(&mut self, len: usize) {
        self.nodes.push(Node::Array { len });
    }

    /// Adds a string value.
    pub fn push_str(&mut self, s: &str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.nodes.push(Node::Str {
            start,
            end: self.text.len(),
        });
    }

    /// Adds the strings `text[..ends[0]]`, `text[ends[0]..ends[1]]`, ... (a row of delimited
    /// text, say) with one copy. An end that is not a character boundary makes an empty string.
    pub fn push_strs(&mut self, text: &str, ends: &[usize]) {
        let base = self.text.len();
        self.text.push_str(text);
        let mut start = 0;
        for &end in ends {
            let node = match text.get(start..end) {
                Some(_) => Node::Str {
                    start: base + start,
                    end: base + end,
                },
                None => Node::Str {
                    start: base,
                    end: base,
                },
            };
            self.nodes.push(node);
            start = end;
        }
    }

    /// Adds a value of any kind; nested ones are flattened.
    pub fn push_value(&mut self, value: &Value) {
        let node = match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Int(i) => Node::Int(*i),
            Value::Float(f) => Node::Float(*f),
            Value::String(s) => return self.push_str(s),
            Value::BigInt(n) => {
                let start = self.text.len();
                self.text.push_str(n.as_str());
                Node::BigInt {
                    start,
                    end: self.text.len(),
                }
            }
            Value::Bytes(b) => {
                self.bytes.push_back(b.clone());
                Node::Bytes
            }
            // The typed values ([`is_typed`]), kept whole.
            Value::Date(_)
            | Value::Time(_)
            | Value::Timestamp(_)
            | Value::Duration(_)
            | Value::Decimal(_) => {
                self.typed.push_back(value.clone());
                Node::Typed
            }
            Value::Array(items) => {
                self.push_array(items.len());
                return items.iter().for_each(|item| self.push_value(item));
            }
            Value::Object(record) => {
                self.push_object(record.fields());
                return record.values().iter().for_each(|v| self.push_value(v));
            }
        };
        self.nodes.push(node);
    }

    /// [`ParsedBatch::push_value`] for a value the caller has no further use for: a typed
    /// value is moved in rather than copied.
    pub fn push_owned(&mut self, value: Value) {
        if is_typed(&value) {
            self.typed.push_back(value);
            self.nodes.push(Node::Typed);
        } else {
            self.push_value(&value);
        }
    }

    /// Adds a whole record built elsewhere (what decoders without a parse of their own do).
    pub fn push_built(&mut self, record: &Record) {
        self.push_record(record.fields());
        for value in record.values() {
            self.push_value(value);
        }
    }

    /// Adds an error in place of a record.
    pub fn push_error(&mut self, error: Error) {
        self.records += 1;
        self.errors.push_back(error);
        self.nodes.push(Node::Error);
    }

    /// Records and errors pushed since the last clear.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Bytes held (text and nodes), to decide when a batch is full.
    pub fn size(&self) -> usize {
        self.text.len() + self.nodes.len() * size_of::<Node>()
    }

    /// True when nothing was pushed since the last clear.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Builds the next record, or gives the next error, in the order they were pushed; `None`
    /// once all are out. Records pushed with their keys get their names from `names`, which
    /// the caller keeps from batch to batch.
    pub fn next_record(&mut self, names: &mut FieldsCache) -> Option<Result<Record>> {
        let node = *self.nodes.get(self.cursor)?;
        self.cursor += 1;
        let mut places = 0;
        let next = match node {
            Node::Record { shape } => self.record(shape, names, &mut places),
            Node::Keyed { len } => self.keyed(len, names, &mut places),
            Node::Error => return Some(Err(self.errors.pop_front().unwrap_or_else(malformed))),
            _ => Err(malformed()),
        };
        if next.is_err() {
            // Out of step with what was pushed: one error, not one per node left.
            self.cursor = self.nodes.len();
        }
        Some(next)
    }

    /// Empties the batch, keeping its buffers' capacity up to a few megabytes (one batch of
    /// huge records does not hold memory for the reader's lifetime).
    pub fn clear(&mut self) {
        const KEEP: usize = 4 << 20;
        self.text.clear();
        self.text.shrink_to(KEEP);
        self.nodes.clear();
        self.nodes.shrink_to(KEEP / size_of::<Node>());
        self.shapes.clear();
        self.bytes.clear();
        self.typed.clear();
        self.errors.clear();
        self.records = 0;
        self.cursor = 0;
    }

    /// A record or object named by `shapes[shape]`, from its values at the cursor.
    fn record(
        &mut self,
        shape: usize,
        names: &mut FieldsCache,
        places: &mut usize,
    ) -> Result<Record> {
        *places += 1;
        let fields = self.shapes.get(shape).ok_or_else(malformed)?.clone();
        self.values(fields, names, places)
    }

    /// A record or object of `len` members, from its keys and values at the cursor.
    fn keyed(&mut self, len: usize, names: &mut FieldsCache, places: &mut usize) -> Result<Record> {
        let place = *places;
        *places += 1;
        let keys = self
            .nodes
            .get(self.cursor..)
            .and_then(|rest| rest.get(..len))
            .ok_or_else(malformed)?;
        let text = &self.text;
        let keys = keys.iter().map(|node| match *node {
            Node::Str { start, end } => text.get(start..end).unwrap_or(""),
            _ => "",
        });
        let fields = names.fields(place, keys);
        self.cursor += len;
        self.values(fields, names, places)
    }

    fn values(
        &mut self,
        fields: Fields,
        names: &mut FieldsCache,
        places: &mut usize,
    ) -> Result<Record> {
        let mut values = Vec::with_capacity(fields.len());
        for _ in 0..fields.len() {
            values.push(self.value(names, places)?);
        }
        Record::with_fields(fields, values)
    }

    fn value(&mut self, names: &mut FieldsCache, places: &mut usize) -> Result<Value> {
        let node = *self.nodes.get(self.cursor).ok_or_else(malformed)?;
        self.cursor += 1;
        Ok(match node {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(i) => Value::Int(i),
            Node::Float(f) => Value::Float(f),
            Node::Str { start, end } => {
                Value::String(CompactString::from(self.text.get(start..end).unwrap_or("")))
            }
            Node::BigInt { start, end } => self
                .text
                .get(start..end)
                .and_then(BigInt::parse)
                .map(Value::BigInt)
                .ok_or_else(malformed)?,
            Node::Bytes => Value::Bytes(self.bytes.pop_front().ok_or_else(malformed)?),
            Node::Typed => self.typed.pop_front().ok_or_else(malformed)?,
            Node::Array { len } => {
                let mut items = Vec::with_capacity(len);
                for _ in 0..len {
                    items.push(self.value(names, places)?);
                }
                Value::Array(items)
            }
            Node::Record { shape } => Value::Object(Box::new(self.record(shape, names, places)?)),
            Node::Keyed { len } => Value::Object(Box::new(self.keyed(len, names, places)?)),
            Node::Error => return Err(malformed()),
        })
    }
}

/// A batch whose nodes do not add up: a bug in the decoder that filled it.
fn malformed() -> Error {
    Error::new(
        ErrorKind::InvalidRecord,
        "internal error: a parsed batch does not match its records",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested() -> Record {
        let inner: Record = [("k", Value::from("a string longer than twenty-four bytes"))]
            .into_iter()
            .collect();
        [
            ("id", Value::Int(-3)),
            ("big", Value::BigInt(BigInt::from(u128::MAX))),
            ("raw", Value::Bytes(Bytes::from_static(b"\x00\xff"))),
            ("f", Value::Float(1.5)),
            ("ok", Value::Bool(true)),
            ("none", Value::Null),
            (
                "list",
                Value::Array(vec![Value::from(inner.clone()), Value::Array(vec![])]),
            ),
            ("inner", Value::from(inner)),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn built_records_come_out_as_they_went_in() {
        let mut batch = ParsedBatch::default();
        let records = [nested(), Record::new(), nested()];
        for record in &records {
            batch.push_built(record);
        }
        batch.push_error(Error::new(ErrorKind::Parse, "bad"));
        let mut names = FieldsCache::default();
        for record in &records {
            assert_eq!(&batch.next_record(&mut names).unwrap().unwrap(), record);
        }
        assert_eq!(
            batch
                .next_record(&mut names)
                .unwrap()
                .unwrap_err()
                .message(),
            "bad"
        );
        assert!(batch.next_record(&mut names).is_none());
        batch.clear();
        assert!(batch.is_empty());
        assert!(batch.next_record(&mut names).is_none());
    }

    #[test]
    fn a_batch_out_of_step_gives_one_error() {
        let mut batch = ParsedBatch::default();
        batch.push_record(&Fields::new(["a", "b"]));
        batch.push_value(&Value::Int(1));
        let mut names = FieldsCache::default();
        let error = batch.next_record(&mut names).unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRecord);
        assert!(batch.next_record(&mut names).is_none());
    }
}
