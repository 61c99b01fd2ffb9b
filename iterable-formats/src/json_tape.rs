//! simd-json's tape turned into records: the object parser shared by JSON Lines (a line at a
//! time) and JSON documents (an array element at a time). Each object is parsed in place in
//! the input buffer (no copy) with one reused set of parse buffers, and built once, keeping
//! its keys' order; objects with the same keys share their field names.

use bytes::BytesMut;
use iterable_core::{
    CompactString, Error, Fields, FieldsCache, ParsedBatch, Position, Record, Result, Value,
};
use simd_json::{Buffers, INPUT_PADDING, Node, StaticNode, Tape};

/// Parses JSON objects into records (or into a [`ParsedBatch`]).
pub(crate) struct ObjectParser {
    buffers: Buffers,
    /// The parse tape, kept between objects for its allocation (empty between calls).
    tape: Option<Tape<'static>>,
    /// The field names of the last object's objects, shared with the next one's.
    names: FieldsCache,
    /// The format named in errors, and what it calls the text it parses ("line").
    format: &'static str,
    unit: &'static str,
}

impl ObjectParser {
    /// A parser whose errors name `format` and call a parsed text a `unit` ("line").
    pub(crate) fn new(format: &'static str, unit: &'static str) -> ObjectParser {
        ObjectParser {
            buffers: Buffers::new(4096),
            tape: None,
            names: FieldsCache::default(),
            format,
            unit,
        }
    }

    /// Parses `buf[..len]` (one JSON value, which must be an object; at `position` in the
    /// input) in place and hands its tape to `out`. Errors are recoverable: the next object
    /// can be parsed.
    pub(crate) fn parse<O: LineOut>(
        &mut self,
        buf: &mut BytesMut,
        len: usize,
        position: Position,
        out: &mut O,
    ) -> Result<O::Line> {
        let mut tape = self.tape.take().unwrap_or_else(|| Tape(Vec::new())).reset();
        let parsed = if buf.len() >= len + INPUT_PADDING {
            // The bytes after the object serve as simd-json's padding: no copy of it.
            simd_json::fill_tape_padded(
                &mut buf[..len + INPUT_PADDING],
                len,
                &mut self.buffers,
                &mut tape,
            )
        } else {
            simd_json::fill_tape(&mut buf[..len], &mut self.buffers, &mut tape)
        };
        let result = match parsed {
            Ok(()) => self.object(&tape.0, position, out),
            Err(e) => Err(Error::parse(
                self.format,
                format!("invalid JSON: {}", describe(e.error(), self.unit)),
            )
            .at(Position {
                byte: position.byte.map(|b| b + e.index() as u64),
                ..position
            })
            .recoverable()),
        };
        self.tape = Some(tape.reset());
        result
    }

    fn object<O: LineOut>(
        &mut self,
        nodes: &[Node<'_>],
        position: Position,
        out: &mut O,
    ) -> Result<O::Line> {
        let Some(&Node::Object { len, .. }) = nodes.first() else {
            let what = match nodes.first() {
                Some(Node::Array { .. }) => "an array",
                Some(Node::String(_)) => "a string",
                Some(Node::Static(StaticNode::Null)) => "null",
                Some(Node::Static(StaticNode::Bool(_))) => "a boolean",
                _ => "a number",
            };
            return Err(Error::parse(
                self.format,
                format!("the {} is {what}, not a JSON object", self.unit),
            )
            .at(position)
            .recoverable());
        };
        let mut tape = TapeWalk {
            nodes,
            names: &mut self.names,
            next_place: 0,
        };
        Ok(out.line(&mut tape, len))
    }
}

/// An object's tape, walked from its first node.
pub(crate) struct TapeWalk<'t, 'input> {
    nodes: &'t [Node<'input>],
    names: &'t mut FieldsCache,
    /// The place of the next object in the record, for `names`.
    next_place: usize,
}

impl<'t, 'input> TapeWalk<'t, 'input> {
    /// The node at `*index`, or null past the end (never, for a tape simd-json built); moves
    /// `index` past it, but not past the values of an array or object.
    fn node(&self, index: &mut usize) -> Node<'input> {
        let node = self
            .nodes
            .get(*index)
            .copied()
            .unwrap_or(Node::Static(StaticNode::Null));
        *index += 1;
        node
    }

    /// The keys of the object whose `len` members start at `nodes[index]`.
    fn keys(&self, index: usize, len: usize) -> Keys<'t, 'input> {
        Keys {
            nodes: self.nodes,
            index,
            left: len,
        }
    }

    /// The field names of the object whose `len` members start at `nodes[index]`, shared
    /// with the same object of the previous record when equal.
    fn fields(&mut self, index: usize, len: usize) -> Fields {
        let place = self.next_place;
        self.next_place += 1;
        let keys = self.keys(index, len);
        self.names.fields(place, keys)
    }

    /// The value starting at `nodes[*index]`, built; moves `index` past it.
    fn build_value(&mut self, index: &mut usize) -> Value {
        match self.node(index) {
            Node::String(s) => Value::String(CompactString::from(s)),
            Node::Static(s) => static_value(s),
            Node::Array { len, .. } => {
                Value::Array((0..len).map(|_| self.build_value(index)).collect())
            }
            Node::Object { len, .. } => Value::from(self.build_object(index, len)),
        }
    }

    /// The object whose `len` members start at `nodes[*index]`, built.
    fn build_object(&mut self, index: &mut usize, len: usize) -> Record {
        let fields = self.fields(*index, len);
        let mut values = Vec::with_capacity(len);
        for _ in 0..len {
            *index += 1;
            values.push(self.build_value(index));
        }
        // The counts match by construction; an empty record is the impossible fallback.
        Record::with_fields(fields, values).unwrap_or_default()
    }

    /// The value starting at `nodes[*index]`, pushed into `batch`; moves `index` past it.
    fn parse_value(&mut self, index: &mut usize, batch: &mut ParsedBatch) {
        match self.node(index) {
            Node::String(s) => batch.push_str(s),
            Node::Static(s) => batch.push_value(&static_value(s)),
            Node::Array { len, .. } => {
                batch.push_array(len);
                (0..len).for_each(|_| self.parse_value(index, batch));
            }
            Node::Object { len, .. } => {
                batch.push_keyed_object(self.keys(*index, len));
                self.parse_members(index, len, batch);
            }
        }
    }

    /// The values of the `len` members starting at `nodes[*index]`, pushed into `batch`.
    fn parse_members(&mut self, index: &mut usize, len: usize, batch: &mut ParsedBatch) {
        for _ in 0..len {
            *index += 1;
            self.parse_value(index, batch);
        }
    }
}

fn static_value(node: StaticNode) -> Value {
    match node {
        StaticNode::Null => Value::Null,
        StaticNode::Bool(b) => Value::Bool(b),
        StaticNode::I64(i) => Value::Int(i),
        StaticNode::U64(u) => Value::from(u),
        StaticNode::I128(i) => Value::from(i),
        StaticNode::U128(u) => Value::from(u),
        StaticNode::F64(f) => Value::Float(f),
    }
}

/// The keys of an object's members, read off the tape past their values.
#[derive(Clone)]
struct Keys<'t, 'input> {
    nodes: &'t [Node<'input>],
    /// The next member's key.
    index: usize,
    left: usize,
}

impl<'t> Iterator for Keys<'t, '_> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let key = match self.nodes.get(self.index) {
            Some(Node::String(s)) => s,
            _ => "",
        };
        // Past the key and its value, nested nodes included.
        self.index += match self.nodes.get(self.index + 1) {
            Some(Node::Object { count, .. } | Node::Array { count, .. }) => count + 2,
            _ => 2,
        };
        Some(key)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Keys<'_, '_> {}

/// Where an object's tape goes: built into a record, or parsed into a batch.
pub(crate) trait LineOut {
    /// What an object becomes.
    type Line;
    /// The object has `len` members, from `tape.nodes[1]`.
    fn line(&mut self, tape: &mut TapeWalk<'_, '_>, len: usize) -> Self::Line;
}

/// Objects built into records.
pub(crate) struct Build;

impl LineOut for Build {
    type Line = Record;
    fn line(&mut self, tape: &mut TapeWalk<'_, '_>, len: usize) -> Record {
        tape.build_object(&mut 1, len)
    }
}

/// Objects parsed into a batch, to be built on another thread.
pub(crate) struct Parse<'b>(pub(crate) &'b mut ParsedBatch);

impl LineOut for Parse<'_> {
    type Line = ();
    fn line(&mut self, tape: &mut TapeWalk<'_, '_>, len: usize) {
        self.0.push_keyed_record(tape.keys(1, len));
        tape.parse_members(&mut 1, len, self.0);
    }
}

/// simd-json's error, in words, about a `unit` ("line").
fn describe(error: &simd_json::ErrorType, unit: &str) -> String {
    use simd_json::ErrorType as E;
    match error {
        E::Eof => format!("the {unit} ends inside a value"),
        E::Syntax | E::UnexpectedCharacter | E::NoStructure | E::InternalError => {
            "unexpected character".into()
        }
        E::ExpectedTrue | E::ExpectedFalse | E::ExpectedNull => "invalid literal".into(),
        E::TrailingData => "more data after the value".into(),
        E::InvalidNumber => "invalid number (or an integer beyond 128 bits)".into(),
        E::InvalidExponent => "invalid exponent in a number".into(),
        E::UnterminatedString => "unterminated string".into(),
        E::InvalidEscape => "invalid escape in a string".into(),
        E::InvalidUnicodeEscape | E::InvalidUnicodeCodepoint => "invalid unicode escape".into(),
        E::InvalidUtf8 => "invalid UTF-8".into(),
        E::ExpectedObjectColon => "expected ':' after an object key".into(),
        E::ExpectedMapComma | E::ExpectedMapEnd => "expected ',' or '}' in an object".into(),
        E::ExpectedObjectContent => "expected a key or '}' in an object".into(),
        E::ExpectedArrayContent => "expected a value or ']' in an array".into(),
        E::ExpectedArrayComma => "expected ',' or ']' in an array".into(),
        E::KeyMustBeAString | E::BadKeyType => "object keys must be strings".into(),
        other => format!("{other:?}"),
    }
}
