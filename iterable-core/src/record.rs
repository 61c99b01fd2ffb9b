//! `Record`: an ordered map from field name to [`Value`], with names shared between rows.

use crate::{Error, ErrorKind, Result, Value};
use compact_str::CompactString;
use std::sync::Arc;

/// The ordered field names of one or more records.
///
/// Rows of one tabular source share a single `Fields` (cloning it is a reference-count
/// increment), so a million CSV rows hold one copy of the header, not a million.
///
/// ```
/// use iterable_core::Fields;
/// let fields = Fields::new(["id", "name"]);
/// assert_eq!(fields.position("name"), Some(1));
/// assert_eq!(fields.iter().collect::<Vec<_>>(), ["id", "name"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fields(Arc<[CompactString]>);

impl Fields {
    /// Field names in order. Duplicates are kept as given.
    pub fn new<I, S>(names: I) -> Fields
    where
        I: IntoIterator<Item = S>,
        S: Into<CompactString>,
    {
        Fields(names.into_iter().map(Into::into).collect())
    }

    /// How many names there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no names.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The position of the first field called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|n| n == name)
    }

    /// The name at `index`.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.0.get(index).map(CompactString::as_str)
    }

    /// The names in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.0.iter().map(CompactString::as_str)
    }

    /// True when both are the same shared list (a pointer comparison, no string compares).
    pub fn ptr_eq(&self, other: &Fields) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// True when the names equal `names`, in order.
    pub fn eq_names<'a>(&self, names: impl ExactSizeIterator<Item = &'a str>) -> bool {
        self.0.len() == names.len() && self.0.iter().zip(names).all(|(a, b)| a == b)
    }

    fn with_pushed(&self, name: CompactString) -> Fields {
        let mut names = Vec::with_capacity(self.0.len() + 1);
        names.extend(self.0.iter().cloned());
        names.push(name);
        Fields(names.into())
    }

    fn without(&self, index: usize) -> Fields {
        let mut names = self.0.to_vec();
        names.remove(index);
        Fields(names.into())
    }
}

impl Default for Fields {
    fn default() -> Self {
        Fields(Arc::new([]))
    }
}

/// The latest field names seen at each place of a record (the n-th object in document order,
/// the record itself first), so that the object at the same place of the next record shares
/// them when its keys are the same: a source of a steady schema allocates no names.
///
/// ```
/// use iterable_core::FieldsCache;
/// let mut cache = FieldsCache::default();
/// let first = cache.fields(0, ["id", "name"].into_iter());
/// let second = cache.fields(0, ["id", "name"].into_iter());
/// assert!(first.ptr_eq(&second));
/// let other = cache.fields(0, ["id"].into_iter());
/// assert!(!other.ptr_eq(&first));
/// ```
#[derive(Debug, Clone, Default)]
pub struct FieldsCache {
    by_place: Vec<Fields>,
}

impl FieldsCache {
    /// How many objects per record get their names cached; deeper ones get fresh names.
    pub const PLACES: usize = 64;

    /// The names `keys` of the object at `place`: the cached ones when equal, else new ones,
    /// which are cached.
    pub fn fields<'k, I>(&mut self, place: usize, keys: I) -> Fields
    where
        I: ExactSizeIterator<Item = &'k str> + Clone,
    {
        if let Some(cached) = self.by_place.get(place)
            && cached.eq_names(keys.clone())
        {
            return cached.clone();
        }
        let fields = Fields::new(keys);
        if place < Self::PLACES {
            if self.by_place.len() <= place {
                self.by_place.resize(place + 1, Fields::default());
            }
            self.by_place[place] = fields.clone();
        }
        fields
    }
}

/// One record: field names (shared) and their values, in order.
///
/// ```
/// use iterable_core::{Record, Value};
/// let mut r: Record = [("id", Value::Int(1)), ("name", Value::from("Ada"))].into_iter().collect();
/// assert_eq!(r.get("name").and_then(Value::as_str), Some("Ada"));
/// r.insert("city", "London");
/// assert_eq!(r.names().collect::<Vec<_>>(), ["id", "name", "city"]);
/// assert_eq!(r.remove("id"), Some(Value::Int(1)));
/// assert_eq!(r.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    fields: Fields,
    values: Vec<Value>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// A record from shared names and values in the same order.
    ///
    /// Fails when the counts differ.
    pub fn with_fields(fields: Fields, values: Vec<Value>) -> Result<Record> {
        if fields.len() != values.len() {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!("{} field names but {} values", fields.len(), values.len()),
            ));
        }
        Ok(Record { fields, values })
    }

    /// The field names, shared with other records of the same source.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The values in field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The values, consuming the record.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// The field names in order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.fields.iter()
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.position(name).map(|i| &self.values[i])
    }

    /// The value of the first field called `name`, to change it in place.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.fields.position(name).map(|i| &mut self.values[i])
    }

    /// Sets `name` to `value`: replaces the first field of that name, or appends a new field.
    /// Returns the value replaced.
    pub fn insert(
        &mut self,
        name: impl Into<CompactString>,
        value: impl Into<Value>,
    ) -> Option<Value> {
        let name = name.into();
        let value = value.into();
        match self.fields.position(&name) {
            Some(i) => Some(std::mem::replace(&mut self.values[i], value)),
            None => {
                self.fields = self.fields.with_pushed(name);
                self.values.push(value);
                None
            }
        }
    }

    /// Removes the first field called `name` and returns its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.fields.position(name)?;
        self.fields = self.fields.without(i);
        Some(self.values.remove(i))
    }

    /// `(name, value)` pairs in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        self.fields.iter().zip(self.values.iter())
    }
}

impl<K: Into<CompactString>, V: Into<Value>> FromIterator<(K, V)> for Record {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let (names, values): (Vec<CompactString>, Vec<Value>) =
            iter.into_iter().map(|(k, v)| (k.into(), v.into())).unzip();
        Record {
            fields: Fields(names.into()),
            values,
        }
    }
}

impl<'a> IntoIterator for &'a Record {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Zip<
        std::iter::Map<std::slice::Iter<'a, CompactString>, fn(&CompactString) -> &str>,
        std::slice::Iter<'a, Value>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let names: fn(&CompactString) -> &str = CompactString::as_str;
        self.fields.0.iter().map(names).zip(self.values.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_share_their_names() {
        let fields = Fields::new(["a", "b"]);
        let r1 = Record::with_fields(fields.clone(), vec![1.into(), 2.into()]).unwrap();
        let r2 = Record::with_fields(fields.clone(), vec![3.into(), 4.into()]).unwrap();
        assert!(r1.fields().ptr_eq(r2.fields()));
    }

    #[test]
    fn mismatched_counts_are_an_error() {
        let err = Record::with_fields(Fields::new(["a"]), vec![]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    }

    #[test]
    fn insert_on_shared_names_copies_them() {
        let fields = Fields::new(["a"]);
        let mut r = Record::with_fields(fields.clone(), vec![Value::Null]).unwrap();
        r.insert("b", true);
        assert_eq!(fields.len(), 1, "the shared list is untouched");
        assert_eq!(r.names().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(r.insert("a", 7), Some(Value::Null));
        assert_eq!(r.get("a"), Some(&Value::Int(7)));
    }

    #[test]
    fn iteration_keeps_order() {
        let r: Record = [("z", 1), ("a", 2)].into_iter().collect();
        let pairs: Vec<_> = (&r)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("z".to_owned(), Value::Int(1)),
                ("a".to_owned(), Value::Int(2))
            ]
        );
    }
}
