//! YAML (`yaml`, `.yml`), on yaml-rust2's parser (serde_yaml is archived): a stream of
//! documents, each a record; a document that is a list of mappings gives a record per mapping.
//!
//! Plain scalars take YAML 1.2's core types (integers, beyond `i64` their exact digits,
//! floats with `.inf` and `.nan`, booleans, null); quoted ones are strings. Anchors and aliases
//! are resolved here, not by yaml-rust2's loader (which copies an anchor at every alias
//! without limit): what aliases copy counts against the record size limit, so an alias bomb
//! (the YAML billion laughs) is one error at once. A mapping key that is not a string is its
//! text; a key given twice, a document that is a scalar, or text the parser refuses is an
//! error (with the line and byte the parser names) that ends the read.
//!
//! The stream is read whole (within the record size limit) before its first record.
//!
//! Written as a multi-document stream, a document (`---`) per record, by yaml-rust2's
//! emitter: typed values as their text (dates, timestamps, decimals), bytes in base64.

use crate::document::{DocumentDecoder, DocumentParser};
use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use crate::text;
use bytes::{BufMut, BytesMut};
use iterable_core::{
    BigInt, Capabilities, Decoder, Encoder, Error, FormatInfo, Position, Record, Result, Value,
};
use std::collections::{HashMap, VecDeque};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::{Yaml, YamlEmitter};

/// YAML in the format registry.
pub struct YamlFormat;

/// The registry's YAML.
pub static YAML: YamlFormat = YamlFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "yaml";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &["yml"],
    extensions: &["yaml", "yml"],
    mime_types: &["application/yaml", "application/x-yaml", "text/yaml"],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "YAML: a stream of documents, each a record (or a list of them)",
};

impl FormatSpec for YamlFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// A `---` document start, or a `%YAML` directive, first: 70.
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        let head = head.strip_prefix(crate::csv::BOM).unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
        let head = &head[start..];
        let marked = (head.starts_with(b"---")
            && head.get(3).is_none_or(|b| b.is_ascii_whitespace()))
            || head.starts_with(b"%YAML");
        marked.then(|| Sniffed::with(70))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(YamlDecoder::new(max_record_size)))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(YamlEncoder::default()))
    }
}

/// Decodes a YAML stream: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::yaml::YamlDecoder;
///
/// let stream = "---\nname: Ada\nborn: 1815\nbase: &b {x: 1}\nalso: *b\n---\n- {n: 1}\n- {n: 'two'}\n";
/// let mut decoder = YamlDecoder::new(1 << 20);
/// let mut buf = BytesMut::from(stream);
/// let ada = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!(ada.get("born"), Some(&Value::Int(1815)));
/// assert_eq!(ada.get("also"), ada.get("base"));
/// let one = decoder.decode_eof(&mut buf)?.unwrap();
/// let two = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!((one.get("n"), two.get("n").and_then(Value::as_str)), (Some(&Value::Int(1)), Some("two")));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub type YamlDecoder = DocumentDecoder<YamlParser>;

impl YamlDecoder {
    /// A decoder refusing streams longer than `max_record_size` bytes (and aliases copying
    /// more than that).
    pub fn new(max_record_size: usize) -> YamlDecoder {
        DocumentDecoder::with_parser(
            YamlParser {
                alias_budget: max_record_size,
            },
            max_record_size,
        )
    }
}

/// A YAML stream into its records (the [`DocumentParser`] of [`YamlDecoder`]).
#[derive(Debug)]
pub struct YamlParser {
    /// Bytes that aliases may copy in all.
    alias_budget: usize,
}

impl DocumentParser for YamlParser {
    const FORMAT: &'static str = FORMAT;

    fn parse(&mut self, text: &str) -> VecDeque<Result<Record>> {
        let mut out = VecDeque::new();
        let mut builder = Builder {
            budget: self.alias_budget,
            ..Builder::default()
        };
        let parsed = Parser::new_from_str(text).load(&mut builder, true);
        let mut documents = std::mem::take(&mut builder.documents);
        let mut records = 0u64;
        for (document, at) in documents.drain(..) {
            match document {
                Value::Object(record) => {
                    records += 1;
                    out.push_back(Ok(*record));
                }
                Value::Array(items) if items.iter().all(|i| matches!(i, Value::Object(_))) => {
                    for item in items {
                        if let Value::Object(record) = item {
                            records += 1;
                            out.push_back(Ok(*record));
                        }
                    }
                }
                Value::Null => {}
                _ => {
                    out.push_back(Err(Error::parse(
                        FORMAT,
                        "a document that is neither a mapping nor a list of mappings",
                    )
                    .at(position(&at, records + 1))));
                    return out;
                }
            }
        }
        if let Some((why, at)) = builder.error {
            out.push_back(Err(Error::parse(FORMAT, why).at(position(&at, records + 1))));
        } else if let Err(error) = parsed {
            out.push_back(Err(Error::parse(FORMAT, error.info().to_owned())
                .at(position(error.marker(), records + 1))));
        }
        out
    }
}

fn position(at: &Marker, record: u64) -> Position {
    Position {
        byte: Some(at.index() as u64),
        line: Some(at.line() as u64),
        record: Some(record),
    }
}

/// Builds values out of the parser's events, resolving anchors within a budget.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    documents: Vec<(Value, Marker)>,
    start: Option<Marker>,
    /// Bytes that aliases may still copy.
    budget: usize,
    error: Option<(String, Marker)>,
}

enum Frame {
    Sequence(Vec<Value>, usize),
    Mapping(Record, Option<String>, usize),
}

/// About how many bytes `value` takes, for the budget.
fn size(value: &Value) -> usize {
    match value {
        Value::String(s) => 24 + s.len(),
        Value::Array(items) => 24 + items.iter().map(size).sum::<usize>(),
        Value::Object(record) => 24 + record.iter().map(|(k, v)| k.len() + size(v)).sum::<usize>(),
        _ => 24,
    }
}

impl Builder {
    fn fail(&mut self, why: String, at: Marker) {
        if self.error.is_none() {
            self.error = Some((why, at));
        }
        self.stack.clear();
    }

    /// A finished value, with its anchor (0 for none), into its container or as a document.
    fn add(&mut self, value: Value, anchor: usize, at: Marker) {
        if anchor > 0 {
            let cost = size(&value);
            self.anchors.insert(anchor, (value.clone(), cost));
        }
        match self.stack.last_mut() {
            None => self.documents.push((value, self.start.unwrap_or(at))),
            Some(Frame::Sequence(items, _)) => items.push(value),
            Some(Frame::Mapping(record, key, _)) => match key.take() {
                None => {
                    let name = match value {
                        Value::String(s) => s.to_string(),
                        other => text::to_text(&other).unwrap_or_default(),
                    };
                    *key = Some(name);
                }
                Some(name) => {
                    if record.get(&name).is_some() {
                        let why = format!("the key {name:?} is given twice");
                        return self.fail(why, at);
                    }
                    record.insert(name, value);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, at: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::DocumentStart => self.start = Some(at),
            Event::Scalar(text, style, anchor, tag) => {
                let value = match (style, tag) {
                    (TScalarStyle::Plain, None) => plain(&text),
                    _ => Value::from(text),
                };
                self.add(value, anchor, at);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((value, cost)) if *cost <= self.budget => {
                    self.budget -= cost;
                    let value = value.clone();
                    self.add(value, 0, at);
                }
                Some(_) => self.fail(
                    "aliases copy more than the maximum record size: an alias bomb?".into(),
                    at,
                ),
                None => self.fail(
                    format!("an alias to an anchor that is not defined ({id})"),
                    at,
                ),
            },
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Sequence(Vec::new(), anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Mapping(Record::new(), None, anchor))
            }
            Event::SequenceEnd => {
                if let Some(Frame::Sequence(items, anchor)) = self.stack.pop() {
                    self.add(Value::Array(items), anchor, at);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Mapping(record, _, anchor)) = self.stack.pop() {
                    self.add(Value::Object(Box::new(record)), anchor, at);
                }
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
}

/// A plain scalar as YAML 1.2's core schema types it.
fn plain(text: &str) -> Value {
    match Yaml::from_str(text) {
        Yaml::Integer(n) => Value::Int(n),
        Yaml::Real(real) => match real.as_str() {
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
            "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
            ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
            real => real
                .parse()
                .map(Value::Float)
                .unwrap_or_else(|_| Value::from(real)),
        },
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Null => Value::Null,
        _ => match BigInt::parse(text) {
            // Digits beyond i64 keep all of them.
            Some(n) if text.len() > 1 => Value::BigInt(n),
            _ => Value::from(text),
        },
    }
}

/// Encodes records as a YAML stream, a document each: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::yaml::YamlEncoder;
///
/// let r: Record = [("name", Value::from("Ada")), ("n", Value::from("123")), ("tags", Value::Array(vec![1.into()]))].into_iter().collect();
/// let mut out = BytesMut::new();
/// YamlEncoder::default().encode(&r, &mut out)?;
/// // Strings that would read back as something else are quoted ("n" is YAML 1.1's "no").
/// assert_eq!(std::str::from_utf8(&out).unwrap(), "---\nname: Ada\n\"n\": \"123\"\ntags:\n  - 1\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct YamlEncoder {
    records: u64,
}

fn yaml_of(value: &Value) -> std::result::Result<Yaml, String> {
    Ok(match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Int(n) => Yaml::Integer(*n),
        Value::BigInt(n) => Yaml::Real(n.as_str().to_owned()),
        Value::Float(f) if f.is_nan() => Yaml::Real(".nan".into()),
        Value::Float(f) if f.is_infinite() => {
            Yaml::Real(if *f > 0.0 { ".inf" } else { "-.inf" }.into())
        }
        Value::Float(f) => {
            let text = ryu::Buffer::new().format_finite(*f).to_owned();
            Yaml::Real(text)
        }
        Value::String(s) => Yaml::String(s.to_string()),
        Value::Array(items) => Yaml::Array(
            items
                .iter()
                .map(yaml_of)
                .collect::<std::result::Result<_, _>>()?,
        ),
        Value::Object(record) => mapping(record)?,
        other => Yaml::String(text::to_text(other)?),
    })
}

fn mapping(record: &Record) -> std::result::Result<Yaml, String> {
    let mut hash = yaml_rust2::yaml::Hash::new();
    for (key, value) in record.iter() {
        hash.insert(Yaml::String(key.to_owned()), yaml_of(value)?);
    }
    Ok(Yaml::Hash(hash))
}

impl Encoder for YamlEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        crate::lines::write_line(FORMAT, &mut self.records, out, |out| {
            let mut text = String::new();
            YamlEmitter::new(&mut text)
                .dump(&mapping(record)?)
                .map_err(|e| format!("{e:?}"))?;
            out.put_slice(text.as_bytes());
            out.put_u8(b'\n');
            Ok(())
        })
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::decode_all;

    #[test]
    fn an_alias_bomb_is_one_error_at_once() {
        let mut bomb = String::from("a: &a [\"lol\"]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let refs = vec![format!("*{}", pair[0]); 9].join(",");
            bomb.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
        }
        let start = std::time::Instant::now();
        let rows = decode_all(YamlDecoder::new(64 << 20), bomb.as_bytes());
        assert_eq!(rows.len(), 1);
        let error = rows[0].as_ref().unwrap_err();
        assert!(error.message().contains("alias bomb"), "{error}");
        // Not a timing assert: a bomb that expanded would not finish at all.
        let _ = start.elapsed();
    }

    #[test]
    fn keys_given_twice_and_scalar_documents_are_errors() {
        let rows = decode_all(YamlDecoder::new(1 << 20), b"a: 1\na: 2\n");
        assert!(rows[0].as_ref().unwrap_err().message().contains("twice"));
        let rows = decode_all(YamlDecoder::new(1 << 20), b"--- {a: 1}\n--- just text\n");
        assert!(rows[0].is_ok());
        assert!(
            rows[1]
                .as_ref()
                .unwrap_err()
                .message()
                .contains("neither a mapping")
        );
    }
}
