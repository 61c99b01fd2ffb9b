//! XML (`xml`), streamed on quick-xml: the records are elements, read in memory flat in the
//! document's size, and written back.
//!
//! The records are the elements `-o tag=NAME` names, matched by local name at any depth (an
//! element of that name inside a record is part of it), or by default the children of the
//! root element. An element becomes a value this way (the rule xmltodict, and so IterableData,
//! follows):
//!
//! - attributes are `@name` fields, first;
//! - child elements are fields named as they are, in the order they first come; a name that
//!   comes again makes an array of them all;
//! - text is a `#text` field (trimmed, its pieces joined) when the element has attributes or
//!   children, or else the element's value itself, as written (but for line ends, which XML
//!   reads as `\n`);
//! - an empty element `<a/>` is null, and `<a></a>` the empty string.
//!
//! Memory holds the record being built and the names of the open elements: elements nested
//! deeper than [`MAX_DEPTH`] are an error.
//!
//! Names keep their namespace prefixes (`dc:title`), or lose them with
//! `-o strip_namespaces=true` (and the `xmlns` attributes go too). Entities are not expanded
//! beyond XML's five (`&amp;` ...) and character references: a DTD's entities never are (a
//! billion laughs costs nothing), and a reference to one is a recoverable error naming the
//! record, as is a record over the record size limit (its contents are dropped as they come).
//! Text that is not well-formed XML (a tag that does not close, an end tag that does not match,
//! a second root), or one piece of markup or text over the record size limit, is an error with
//! its byte offset and line that ends the read, after the records before it.
//!
//! Written (which IterableData cannot do) as `<?xml ...?>`, then the root element
//! (`-O root=NAME`, `root` by default) holding one element per record (`-O tag=NAME`, `item`):
//! `@` fields as attributes, `#text` as text, objects as elements, arrays as repeated
//! elements, null and an object with nothing in it as `<a/>`, other values as their text,
//! escaped (a carriage return, and tabs and line breaks in attributes, as character references,
//! so that they read back). A field name that is not an XML name, an array directly inside an
//! array, a null attribute, or a character XML 1.0 cannot hold is an error naming the record.
//! Read back, every value is text (XML has no types), a one-element array is its element, an
//! empty array is nothing, and an object with nothing in it is null.

use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use crate::text;
use bytes::{Buf, BufMut, BytesMut};
use iterable_core::{
    Capabilities, CompactString, Decoder, Encoder, Error, ErrorKind, FieldsCache, FormatInfo,
    Position, Record, Result, Value,
};
use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;

/// XML in the format registry.
pub struct XmlFormat;

/// The registry's XML.
pub static XML: XmlFormat = XmlFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "xml";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["xml"],
    mime_types: &["application/xml", "text/xml"],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "XML: the elements named by -o tag= (by default the root's children) as records",
};

static READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "tag",
        default: "",
        help: "the elements that are records, by local name at any depth (default: the root's children)",
    },
    OptionInfo {
        key: "strip_namespaces",
        default: "false",
        help: "drop namespace prefixes from names, and the xmlns attributes",
    },
];

static WRITE_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "encoding",
        default: "utf-8",
        help: "the text encoding to write, named in the XML declaration too",
    },
    OptionInfo {
        key: "root",
        default: "root",
        help: "the root element's name",
    },
    OptionInfo {
        key: "tag",
        default: "item",
        help: "each record's element name",
    },
];

impl FormatSpec for XmlFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    /// An XML declaration: 95; text that starts with an element (not `<html`) or a comment: 50.
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        let head = head.strip_prefix(crate::csv::BOM).unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
        let head = &head[start..];
        if head.starts_with(b"<?xml") {
            return Some(Sniffed::with(95));
        }
        let lower: Vec<u8> = head.iter().take(64).map(u8::to_ascii_lowercase).collect();
        if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
            return None;
        }
        let named =
            head.len() > 1 && head[0] == b'<' && (head[1].is_ascii_alphabetic() || head[1] == b'_');
        let commented = head.starts_with(b"<!--") || head.starts_with(b"<!DOCTYPE");
        (named || commented).then(|| Sniffed::with(50))
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(XmlDecoder::new(
            options
                .get("tag")
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            options
                .boolean(FORMAT, "strip_namespaces")?
                .unwrap_or(false),
            max_record_size,
        )))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        let root = options.get("root").unwrap_or("root");
        let tag = options.get("tag").unwrap_or("item");
        for name in [root, tag] {
            if !is_xml_name(name) {
                return Err(Error::new(
                    ErrorKind::InvalidRecord,
                    format!("xml: {name:?} is not an XML element name"),
                ));
            }
        }
        let mut encoder = XmlEncoder::new(root, tag);
        if let Some(encoding) = options.get("encoding") {
            encoder.declared = encoding.to_owned();
        }
        Ok(Box::new(encoder))
    }
}

/// How deep elements may nest: deeper is an error (values nested so deep would take the stack
/// to drop, compare or write).
pub const MAX_DEPTH: usize = 1024;

/// An element being built: its attributes, children and text so far.
#[derive(Debug, Default)]
struct Element {
    /// Its name as written, for its end tag.
    qualified: CompactString,
    /// Its name as a field (without its prefix under `strip_namespaces`).
    name: CompactString,
    attributes: Vec<(CompactString, Value)>,
    children: Vec<(CompactString, Value)>,
    /// Where each child name is in `children`, once there are many.
    index: HashMap<CompactString, usize>,
    text: CompactString,
    /// `<a></a>` rather than `<a/>`: the empty string rather than null.
    opened: bool,
}

impl Element {
    fn add_child(&mut self, name: CompactString, value: Value) {
        let at = if self.children.len() > 16 {
            if self.index.is_empty() {
                self.index = self
                    .children
                    .iter()
                    .enumerate()
                    .map(|(i, (n, _))| (n.clone(), i))
                    .collect();
            }
            self.index.get(&name).copied()
        } else {
            self.children.iter().position(|(n, _)| *n == name)
        };
        match at {
            Some(i) => match &mut self.children[i].1 {
                Value::Array(items) => items.push(value),
                other => {
                    let first = std::mem::take(other);
                    *other = Value::Array(vec![first, value]);
                }
            },
            None => {
                if !self.index.is_empty() {
                    self.index.insert(name.clone(), self.children.len());
                }
                self.children.push((name, value));
            }
        }
    }

    /// The element's value, by the module's rule; objects take their names from `names`
    /// (shared with the same object of the record before), at `place`.
    fn into_value(self, names: &mut FieldsCache, place: &mut usize) -> Value {
        if self.attributes.is_empty() && self.children.is_empty() {
            return match self.opened {
                false => Value::Null,
                true => Value::String(self.text),
            };
        }
        Value::Object(Box::new(self.into_record(names, place)))
    }

    fn into_record(self, names: &mut FieldsCache, place: &mut usize) -> Record {
        let text = self.text.trim();
        let text = (!text.is_empty()).then(|| Value::from(text));
        let keys: Vec<&str> = self
            .attributes
            .iter()
            .chain(&self.children)
            .map(|(name, _)| name.as_str())
            .chain(text.as_ref().map(|_| "#text"))
            .collect();
        let fields = names.fields(*place, keys.iter().copied());
        *place += 1;
        let values = self
            .attributes
            .into_iter()
            .chain(self.children)
            .map(|(_, value)| value)
            .chain(text)
            .collect();
        Record::with_fields(fields, values).expect("as many names as values")
    }
}

/// The record being built.
#[derive(Debug)]
struct Building {
    /// The open elements of the record, itself first.
    stack: Vec<Element>,
    /// Where it starts.
    position: Position,
    /// Bytes of the input it has taken so far.
    size: usize,
    /// Why it will be refused at its end (its contents are not kept then).
    refused: Option<Error>,
}

/// Decodes XML: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::xml::XmlDecoder;
///
/// let xml = br#"<?xml version="1.0"?>
/// <library><book id="1"><title>Dune</title><tag>sf</tag><tag>classic</tag></book>
/// <book id="2"><title lang="fr">L'&#201;tranger &amp; co</title></book></library>"#;
/// let mut decoder = XmlDecoder::new(None, false, 1 << 20);
/// let mut buf = BytesMut::from(&xml[..]);
/// let first = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!(first.get("@id").and_then(Value::as_str), Some("1"));
/// assert_eq!(first.get("tag"), Some(&Value::Array(vec!["sf".into(), "classic".into()])));
/// let second = decoder.decode_eof(&mut buf)?.unwrap();
/// let title = second.get("title").and_then(Value::as_object).unwrap();
/// assert_eq!(title.get("#text").and_then(Value::as_str), Some("L'Étranger & co"));
/// assert!(decoder.decode_eof(&mut buf)?.is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug)]
pub struct XmlDecoder {
    tag: Option<String>,
    strip_namespaces: bool,
    max_record_size: usize,
    /// The names of the open elements outside the record being built.
    open: Vec<CompactString>,
    record: Option<Building>,
    /// The field names of the last record's objects, shared with the next one's.
    names: FieldsCache,
    /// Bytes taken off the input so far, and the lines they held.
    consumed: u64,
    lines: u64,
    records: u64,
    /// The root element has closed.
    closed: bool,
    /// A fatal error was given: nothing more is read.
    broken: bool,
    /// A byte order mark at the start has been looked for.
    started: bool,
    /// How much of the buffer has been searched for its last `<`, and where that is.
    searched: usize,
    markup_end: usize,
}

impl XmlDecoder {
    /// A decoder of the elements named `tag` (by local name; else the root's children),
    /// without namespace prefixes when `strip_namespaces`, refusing records over
    /// `max_record_size` bytes.
    pub fn new(tag: Option<String>, strip_namespaces: bool, max_record_size: usize) -> XmlDecoder {
        XmlDecoder {
            tag,
            strip_namespaces,
            max_record_size: max_record_size.max(1),
            open: Vec::new(),
            record: None,
            names: FieldsCache::default(),
            consumed: 0,
            lines: 0,
            records: 0,
            closed: false,
            broken: false,
            started: false,
            searched: 0,
            markup_end: 0,
        }
    }

    fn take(&mut self, buf: &mut BytesMut, n: usize) {
        self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.consumed += n as u64;
        self.searched = self.searched.saturating_sub(n);
        self.markup_end = self.markup_end.saturating_sub(n);
        buf.advance(n);
    }

    fn position(&self, buf: &[u8], offset: usize) -> Position {
        Position {
            byte: Some(self.consumed + offset as u64),
            line: Some(self.lines + 1 + memchr::memchr_iter(b'\n', &buf[..offset]).count() as u64),
            record: None,
        }
    }

    fn fatal(&mut self, buf: &[u8], offset: usize, message: String) -> Error {
        self.broken = true;
        let mut position = self.position(buf, offset.min(buf.len()));
        position.record = self.record.as_ref().and_then(|r| r.position.record);
        Error::parse(FORMAT, message).at(position)
    }

    fn name(&self, qualified: &str) -> CompactString {
        match (self.strip_namespaces, qualified.rsplit_once(':')) {
            (true, Some((_, local))) => local.into(),
            _ => qualified.into(),
        }
    }

    /// The error for a piece of markup or text over the record size limit.
    fn too_long(&mut self, buf: &[u8], at: usize) -> Error {
        let message = format!(
            "a piece of markup or text is longer than the maximum record size of {} bytes",
            self.max_record_size
        );
        self.fatal(buf, at, message)
    }

    fn next(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        if self.broken {
            let rest = buf.len();
            self.take(buf, rest);
            return Ok(None);
        }
        if !self.started {
            if buf.len() < 3 && !eof && b"\xEF\xBB\xBF".starts_with(buf) {
                return Ok(None);
            }
            if buf.starts_with(b"\xEF\xBB\xBF") {
                self.take(buf, 3);
            }
            self.started = true;
        }
        // A new reader drops a byte order mark it starts at; later on it is a character.
        if buf.starts_with(b"\xEF\xBB\xBF") {
            self.text("\u{FEFF}", buf, 0)?;
            self.take(buf, 3);
        }
        // Text ends where markup starts, at a '<': the reader is given the input up to the
        // last one, so every event it reads is whole (text, references, markup), but for
        // markup that holds a '<' (a comment, CDATA, a DTD), which it reports as unclosed:
        // then more input is waited for. Only what arrived since the last call is searched.
        if buf.len() > self.searched {
            if let Some(i) = memchr::memrchr(b'<', &buf[self.searched..]) {
                self.markup_end = self.searched + i;
            }
            self.searched = buf.len();
        }
        let end = if eof { buf.len() } else { self.markup_end };
        let mut reader = quick_xml::Reader::from_reader(&buf[..end]);
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.expand_empty_elements = false;
        let mut taken = 0usize;
        let result = loop {
            let event = match reader.read_event() {
                Ok(Event::Eof) => break Ok(None),
                Ok(event) => event,
                Err(error) if !eof && unclosed(&error) => break Ok(None),
                Err(error) => {
                    // Not every error sets its position (a text that is not UTF-8 leaves it
                    // at 0): it is no earlier than the event that failed.
                    let at = (reader.error_position() as usize).max(taken);
                    break Err(self.fatal(buf, at, format!("not well-formed XML: {error}")));
                }
            };
            let event_start = taken;
            taken = reader.buffer_position() as usize;
            if taken - event_start > self.max_record_size {
                break Err(self.too_long(buf, event_start));
            }
            match self.event(event, &buf[..end], event_start, taken) {
                Ok(Some(record)) => break Ok(Some(record)),
                Ok(None) => {}
                Err(error) => break Err(error),
            }
        };
        self.take(buf, taken);
        let result = result?;
        if result.is_some() {
            return Ok(result);
        }
        if eof {
            if !buf.is_empty() {
                let rest = buf.len();
                let at = self.consumed;
                self.take(buf, rest);
                self.broken = true;
                return Err(
                    Error::parse(FORMAT, "the document ends inside markup").at(Position {
                        byte: Some(at),
                        ..Position::default()
                    }),
                );
            }
            if !self.open.is_empty() || self.record.is_some() {
                let open = match &self.record {
                    Some(record) => record.stack.last().map(|e| e.qualified.clone()),
                    None => self.open.last().cloned(),
                }
                .unwrap_or_default();
                self.broken = true;
                return Err(Error::parse(
                    FORMAT,
                    format!("the document ends before the element <{open}> closes"),
                )
                .at(Position {
                    byte: Some(self.consumed),
                    line: Some(self.lines + 1),
                    record: self.record.as_ref().and_then(|r| r.position.record),
                }));
            }
            return Ok(None);
        }
        // What is left is one piece of markup or text that has not ended yet.
        if buf.len() > self.max_record_size {
            return Err(self.too_long(buf, 0));
        }
        Ok(None)
    }

    /// Handles one event (at `start..end` of `input`); gives the record it completes.
    fn event(
        &mut self,
        event: Event<'_>,
        input: &[u8],
        start: usize,
        end: usize,
    ) -> Result<Option<Record>> {
        if let Some(record) = &mut self.record {
            record.size += end - start;
            if record.size > self.max_record_size && record.refused.is_none() {
                record.refused = Some(
                    Error::new(
                        ErrorKind::LimitExceeded,
                        format!(
                            "the record is longer than the maximum record size of {} bytes",
                            self.max_record_size
                        ),
                    )
                    .with_format(FORMAT)
                    .at(record.position)
                    .recoverable(),
                );
                // Its contents go (its depth stays known): memory stays within the limit.
                for element in &mut record.stack {
                    *element = Element {
                        qualified: std::mem::take(&mut element.qualified),
                        name: std::mem::take(&mut element.name),
                        ..Element::default()
                    };
                }
            }
        }
        match event {
            Event::Start(element) => self.start(&element, input, start, false),
            Event::Empty(element) => self.start(&element, input, start, true),
            Event::End(element) => self.end(element.name().into_inner(), input, start),
            Event::Text(text) => {
                self.text(
                    &text.xml_content(quick_xml::XmlVersion::Implicit1_0),
                    input,
                    start,
                )?;
                Ok(None)
            }
            Event::CData(data) => {
                let data = data.xml_content(quick_xml::XmlVersion::Implicit1_0);
                self.text(&data, input, start)?;
                Ok(None)
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    Ok(None) => {
                        quick_xml::escape::resolve_predefined_entity(&reference).map(str::to_owned)
                    }
                    Err(_) => None,
                };
                match resolved {
                    Some(text) => self.text(&text, input, start)?,
                    None => {
                        let name: &str = &reference;
                        let why = format!(
                            "the entity &{name}; is not one of XML's five, and entities a DTD defines are not expanded"
                        );
                        if self.record.is_none() {
                            return Err(self.fatal(input, start, why));
                        }
                        self.refuse_record(why, input, start);
                    }
                }
                Ok(None)
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => Ok(None),
            Event::Eof => Ok(None),
        }
    }

    /// Refuses the record being built: an error at its end.
    fn refuse_record(&mut self, why: String, input: &[u8], at: usize) {
        let position = self.position(input, at);
        if let Some(record) = &mut self.record
            && record.refused.is_none()
        {
            record.refused = Some(
                Error::new(ErrorKind::InvalidRecord, why)
                    .with_format(FORMAT)
                    .at(Position {
                        record: record.position.record,
                        ..position
                    })
                    .recoverable(),
            );
        }
    }

    fn text(&mut self, text: &str, input: &[u8], at: usize) -> Result<()> {
        match &mut self.record {
            Some(record) if record.refused.is_none() => {
                let element = record.stack.last_mut().expect("a record has its element");
                element.text.push_str(text);
            }
            Some(_) => {}
            None => {
                if self.open.is_empty() && !text.trim().is_empty() {
                    return Err(self.fatal(input, at, "text outside the root element".into()));
                }
            }
        }
        Ok(())
    }

    fn start(
        &mut self,
        element: &BytesStart<'_>,
        input: &[u8],
        at: usize,
        empty: bool,
    ) -> Result<Option<Record>> {
        let qualified = element.name().into_inner();
        let depth = self.open.len() + self.record.as_ref().map_or(0, |r| r.stack.len());
        if depth >= MAX_DEPTH {
            return Err(self.fatal(input, at, format!("elements nest deeper than {MAX_DEPTH}")));
        }
        if self.record.is_none() {
            if self.open.is_empty() && self.closed {
                return Err(self.fatal(input, at, "a second root element".into()));
            }
            let local = element.local_name().into_inner();
            let is_record = match &self.tag {
                Some(tag) => local == tag,
                None => self.open.len() == 1,
            };
            if !is_record {
                if !empty {
                    self.open.push(qualified.into());
                } else if self.open.is_empty() {
                    self.closed = true;
                }
                return Ok(None);
            }
            self.records += 1;
            let mut position = self.position(input, at);
            position.record = Some(self.records);
            self.record = Some(Building {
                stack: Vec::new(),
                position,
                size: 0,
                refused: None,
            });
        }
        let mut built = Element {
            qualified: qualified.into(),
            name: self.name(qualified),
            opened: !empty,
            ..Element::default()
        };
        let refused = self.record.as_ref().is_some_and(|r| r.refused.is_some());
        if !refused {
            for attribute in element.attributes() {
                let attribute = match attribute {
                    Ok(attribute) => attribute,
                    Err(error) => {
                        return Err(self.fatal(input, at, format!("not well-formed XML: {error}")));
                    }
                };
                let key = attribute.key.into_inner();
                if self.strip_namespaces && (key == "xmlns" || key.starts_with("xmlns:")) {
                    continue;
                }
                match attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                    Ok(value) => {
                        let mut name = CompactString::from("@");
                        name.push_str(&self.name(key));
                        built.attributes.push((name, Value::from(value.as_ref())));
                    }
                    Err(error) => {
                        self.refuse_record(format!("the attribute {key}: {error}"), input, at);
                    }
                }
            }
            if let Some(twice) =
                crate::lines::first_repeated(built.attributes.iter().map(|(k, _)| k.as_str()))
            {
                let why = format!("the attribute {twice} is given twice");
                self.refuse_record(why, input, at);
            }
        }
        let record = self.record.as_mut().expect("started above");
        if record.refused.is_some() && !record.stack.is_empty() {
            // A refused record keeps only the names of its open elements.
            built.attributes.clear();
        }
        record.stack.push(built);
        if empty {
            return self.close();
        }
        Ok(None)
    }

    fn end(&mut self, qualified: &str, input: &[u8], at: usize) -> Result<Option<Record>> {
        let open = match &self.record {
            Some(record) => record.stack.last().map(|e| e.qualified.as_str()),
            None => self.open.last().map(CompactString::as_str),
        };
        match open {
            Some(open) if open == qualified => {}
            Some(open) => {
                let why = format!("the end tag </{qualified}> does not match <{open}>");
                return Err(self.fatal(input, at, why));
            }
            None => {
                let why = format!("the end tag </{qualified}> closes nothing");
                return Err(self.fatal(input, at, why));
            }
        }
        if self.record.is_some() {
            return self.close();
        }
        self.open.pop();
        self.closed = self.open.is_empty();
        Ok(None)
    }

    /// Closes the record's innermost open element; gives the record when that was it.
    fn close(&mut self) -> Result<Option<Record>> {
        let XmlDecoder { record, names, .. } = self;
        let building = record.as_mut().expect("inside a record");
        let element = building.stack.pop().expect("a record has its element");
        if let Some(parent) = building.stack.last_mut() {
            if building.refused.is_none() {
                parent.opened = true;
                let name = element.name.clone();
                // Places count the objects of a record in the order they close.
                let mut place = 1 + parent.children.len();
                parent.add_child(name, element.into_value(names, &mut place));
            }
            return Ok(None);
        }
        let building = record.take().expect("inside a record");
        if self.open.is_empty() {
            self.closed = true;
        }
        if let Some(error) = building.refused {
            return Err(error);
        }
        let mut place = 0;
        Ok(Some(
            match element.attributes.is_empty() && element.children.is_empty() {
                // A record with only text is its text; an empty one has no fields.
                true if element.text.is_empty() => Record::new(),
                true => [("#text", Value::String(element.text))]
                    .into_iter()
                    .collect(),
                false => element.into_record(names, &mut place),
            },
        ))
    }
}

/// An error that more input may cure: markup not closed yet, or a reference cut by the end
/// of what the reader was given.
fn unclosed(error: &XmlError) -> bool {
    match error {
        XmlError::Syntax(syntax) => !matches!(syntax, SyntaxError::InvalidBangMarkup),
        XmlError::IllFormed(IllFormedError::UnclosedReference) => true,
        _ => false,
    }
}

impl Decoder for XmlDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true)
    }
}

/// An XML name (of an element or attribute): a letter or `_` first, then letters, digits,
/// `-`, `.`, `_` and `:` (any non-ASCII letter counts).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))
}

/// Encodes records as XML: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::xml::XmlEncoder;
///
/// let title: Record = [("@lang", Value::from("en")), ("#text", Value::from("R&D <notes>"))].into_iter().collect();
/// let r: Record = [("@id", Value::Int(1)), ("title", Value::Object(Box::new(title))), ("tag", Value::Array(vec!["a".into(), "b".into()])), ("note", Value::Null)].into_iter().collect();
/// let mut encoder = XmlEncoder::new("books", "book");
/// let mut out = BytesMut::new();
/// encoder.encode(&r, &mut out)?;
/// encoder.finish(&mut out)?;
/// let xml = std::str::from_utf8(&out).unwrap();
/// assert!(xml.contains(r#"<book id="1"><title lang="en">R&amp;D &lt;notes&gt;</title><tag>a</tag><tag>b</tag><note/></book>"#), "{xml}");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug)]
pub struct XmlEncoder {
    root: String,
    tag: String,
    /// The encoding the declaration names (the text is transcoded after this encoder).
    declared: String,
    started: bool,
    records: u64,
}

impl XmlEncoder {
    /// An encoder writing the root element `root` with a `tag` element per record.
    pub fn new(root: &str, tag: &str) -> XmlEncoder {
        XmlEncoder {
            root: root.to_owned(),
            tag: tag.to_owned(),
            declared: "UTF-8".to_owned(),
            started: false,
            records: 0,
        }
    }

    fn start(&mut self, out: &mut BytesMut) {
        if !std::mem::replace(&mut self.started, true) {
            out.put_slice(b"<?xml version=\"1.0\" encoding=\"");
            out.put_slice(self.declared.as_bytes());
            out.put_slice(b"\"?>\n<");
            out.put_slice(self.root.as_bytes());
            out.put_slice(b">\n");
        }
    }
}

/// Appends `text` escaped for XML: `<`, `>`, `&`, quotes, and the characters a reader would
/// change (a carriage return in text; tabs and line breaks in an attribute, which readers
/// turn into spaces) as character references. A character XML 1.0 cannot hold is an error.
fn write_escaped(
    text: &str,
    attribute: bool,
    out: &mut BytesMut,
) -> std::result::Result<(), String> {
    if let Some(c) = text.chars().find(|&c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    }) {
        return Err(format!("the character {c:?} cannot be written in XML 1.0"));
    }
    let escaped = quick_xml::escape::escape(text);
    for c in escaped.chars() {
        match c {
            '\r' => out.put_slice(b"&#13;"),
            '\t' if attribute => out.put_slice(b"&#9;"),
            '\n' if attribute => out.put_slice(b"&#10;"),
            c => out.put_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Ok(())
}

/// Writes `value` as the element `name`.
fn write_element(name: &str, value: &Value, out: &mut BytesMut) -> std::result::Result<(), String> {
    if !is_xml_name(name) {
        return Err(format!("the field name {name:?} is not an XML name"));
    }
    match value {
        Value::Array(items) => {
            for item in items {
                if matches!(item, Value::Array(_)) {
                    return Err(format!(
                        "{name} holds an array inside an array, which XML cannot hold"
                    ));
                }
                write_element(name, item, out)?;
            }
            Ok(())
        }
        Value::Null => {
            out.put_u8(b'<');
            out.put_slice(name.as_bytes());
            out.put_slice(b"/>");
            Ok(())
        }
        Value::Object(record) => write_fields(name, record, out),
        scalar => {
            out.put_u8(b'<');
            out.put_slice(name.as_bytes());
            out.put_u8(b'>');
            write_escaped(&text::to_text(scalar)?, false, out)?;
            out.put_slice(b"</");
            out.put_slice(name.as_bytes());
            out.put_u8(b'>');
            Ok(())
        }
    }
}

/// Writes `record` as the element `name`: `@` fields as attributes, `#text` as text.
fn write_fields(
    name: &str,
    record: &Record,
    out: &mut BytesMut,
) -> std::result::Result<(), String> {
    out.put_u8(b'<');
    out.put_slice(name.as_bytes());
    for (field, value) in record.iter() {
        let Some(attribute) = field.strip_prefix('@') else {
            continue;
        };
        if !is_xml_name(attribute) {
            return Err(format!("{field:?} is not an XML attribute name"));
        }
        if value.is_null() {
            return Err(format!(
                "the attribute {field} is null, which XML cannot hold"
            ));
        }
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            return Err(format!("the attribute {field} holds a nested value"));
        }
        out.put_u8(b' ');
        out.put_slice(attribute.as_bytes());
        out.put_slice(b"=\"");
        write_escaped(&text::to_text(value)?, true, out)?;
        out.put_u8(b'"');
    }
    let content = record
        .iter()
        .any(|(field, value)| !(field.starts_with('@') || (field == "#text" && value.is_null())));
    if !content {
        // No children, no text: `<a/>`, which reads back as it was written.
        out.put_slice(b"/>");
        return Ok(());
    }
    out.put_u8(b'>');
    for (field, value) in record.iter() {
        if field.starts_with('@') {
            continue;
        }
        if field == "#text" {
            if !value.is_null() {
                write_escaped(&text::to_text(value)?, false, out)?;
            }
            continue;
        }
        write_element(field, value, out)?;
    }
    out.put_slice(b"</");
    out.put_slice(name.as_bytes());
    out.put_u8(b'>');
    Ok(())
}

impl Encoder for XmlEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        self.start(out);
        let tag = self.tag.clone();
        crate::lines::write_line(FORMAT, &mut self.records, out, |out| {
            out.put_slice(b"  ");
            write_fields(&tag, record, out)?;
            out.put_u8(b'\n');
            Ok(())
        })
    }

    fn finish(&mut self, out: &mut BytesMut) -> Result<()> {
        self.start(out);
        out.put_slice(b"</");
        out.put_slice(self.root.as_bytes());
        out.put_slice(b">\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::decode_all;

    fn records(decoder: XmlDecoder, input: &str) -> Vec<Result<Record>> {
        decode_all(decoder, input.as_bytes())
    }

    fn default() -> XmlDecoder {
        XmlDecoder::new(None, false, 1 << 20)
    }

    #[test]
    fn elements_become_values_by_the_rule() {
        let rows = records(
            default(),
            r#"<?xml version="1.0"?><!-- c --><r xmlns:dc="urn:dc">
              <item id="1"><dc:title>A &lt;b&gt; <![CDATA[<raw>]]></dc:title><n>1</n><n>2</n><e/><s></s></item>
              <item>just text</item>
              <item/>
            </r>"#,
        );
        assert_eq!(rows.len(), 3, "{rows:?}");
        let first = rows[0].as_ref().unwrap();
        assert_eq!(
            first.names().collect::<Vec<_>>(),
            ["@id", "dc:title", "n", "e", "s"]
        );
        assert_eq!(
            first.get("dc:title").and_then(Value::as_str),
            Some("A <b> <raw>")
        );
        assert_eq!(
            first.get("n"),
            Some(&Value::Array(vec!["1".into(), "2".into()]))
        );
        assert_eq!(first.get("e"), Some(&Value::Null));
        assert_eq!(first.get("s").and_then(Value::as_str), Some(""));
        let second = rows[1].as_ref().unwrap();
        assert_eq!(
            second.get("#text").and_then(Value::as_str),
            Some("just text")
        );
        assert!(rows[2].as_ref().unwrap().is_empty());

        let stripped = records(
            XmlDecoder::new(None, true, 1 << 20),
            r#"<r xmlns:dc="urn:dc"><item xmlns:x="urn:x" x:k="v"><dc:title>t</dc:title></item></r>"#,
        );
        let r = stripped[0].as_ref().unwrap();
        assert_eq!(r.names().collect::<Vec<_>>(), ["@k", "title"]);
    }

    #[test]
    fn a_tag_picks_records_at_any_depth() {
        let rows = records(
            XmlDecoder::new(Some("book".into()), false, 1 << 20),
            "<lib><shelf><book><t>a</t><book>inner</book></book></shelf><x:book xmlns:x='u'><t>b</t></x:book></lib>",
        );
        assert_eq!(rows.len(), 2);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.get("book").and_then(Value::as_str), Some("inner"));
        assert_eq!(
            rows[1].as_ref().unwrap().get("t").and_then(Value::as_str),
            Some("b")
        );
    }

    #[test]
    fn entities_a_dtd_defines_are_not_expanded() {
        let mut laughs =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_owned()
            } else {
                format!("lol{}", i - 1)
            };
            laughs.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">\n",
                format!("&{prev};").repeat(10)
            ));
        }
        laughs.push_str("]>\n<lolz><item>&lol9;</item><item>fine</item></lolz>\n");
        let rows = records(default(), &laughs);
        assert_eq!(rows.len(), 2);
        let error = rows[0].as_ref().unwrap_err();
        assert!(error.is_recoverable());
        assert!(error.message().contains("&lol9;"), "{error}");
        assert_eq!(error.position().record, Some(1));
        assert_eq!(error.position().line, Some(14));
        assert_eq!(
            rows[1]
                .as_ref()
                .unwrap()
                .get("#text")
                .and_then(Value::as_str),
            Some("fine")
        );
    }

    #[test]
    fn broken_markup_ends_the_read_with_its_position() {
        let rows = records(default(), "<r>\n<a>1</a>\n<b>2</c>\n<a>3</a></r>");
        assert_eq!(rows.len(), 2);
        assert!(rows[0].is_ok());
        let error = rows[1].as_ref().unwrap_err();
        assert!(!error.is_recoverable());
        assert!(error.message().contains("</c>"), "{error}");
        assert_eq!(error.position().line, Some(3));
        assert_eq!(error.position().byte, Some(17));

        let cut = records(default(), "<r><a>1</a><a>2");
        assert!(
            cut.last()
                .unwrap()
                .as_ref()
                .unwrap_err()
                .message()
                .contains("ends before")
        );
    }

    #[test]
    fn a_record_over_the_limit_is_skipped_in_bounded_memory() {
        let big = format!("<r><a>{}</a><a>ok</a></r>", "<x>yyyy</x>".repeat(1000));
        let rows = records(XmlDecoder::new(None, false, 1000), &big);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].as_ref().unwrap_err().kind(),
            ErrorKind::LimitExceeded
        );
        assert_eq!(
            rows[1]
                .as_ref()
                .unwrap()
                .get("#text")
                .and_then(Value::as_str),
            Some("ok")
        );
    }

    #[test]
    fn a_byte_order_mark_is_dropped_whatever_the_cuts() {
        let input = "\u{FEFF}<r><a>1</a><a>\u{FEFF}y</a></r>".as_bytes();
        let whole = decode_all(default(), input);
        assert_eq!(whole.len(), 2, "{whole:?}");
        assert_eq!(
            whole[1]
                .as_ref()
                .unwrap()
                .get("#text")
                .and_then(Value::as_str),
            Some("\u{FEFF}y")
        );
        for step in 1..6 {
            let mut decoder = default();
            let mut buf = BytesMut::new();
            let mut rows = Vec::new();
            for chunk in input.chunks(step) {
                buf.extend_from_slice(chunk);
                while let Some(r) = decoder.decode(&mut buf).unwrap() {
                    rows.push(r);
                }
            }
            while let Some(r) = decoder.decode_eof(&mut buf).unwrap() {
                rows.push(r);
            }
            let whole: Vec<&Record> = whole.iter().map(|r| r.as_ref().unwrap()).collect();
            assert_eq!(
                rows.iter().collect::<Vec<_>>(),
                whole,
                "cut every {step} bytes"
            );
        }
    }

    #[test]
    fn nesting_past_the_limit_is_an_error() {
        let deep = format!("<r><a>{}</a></r>", "<b>".repeat(MAX_DEPTH + 10));
        let rows = records(default(), &deep);
        let error = rows.last().unwrap().as_ref().unwrap_err();
        assert!(error.message().contains("nest deeper"), "{error}");
    }

    #[test]
    fn written_records_read_back() {
        let rows = records(
            default(),
            "<r><i id=\"1\" k=\"a&amp;b&#9;c&#10;\"><t>x &lt; y&#13;z</t><n>1</n><n>2</n><e/><s></s><o a=\"1\">text</o><p q=\"\"/></i><i/></r>",
        );
        let mut encoder = XmlEncoder::new("r", "i");
        let mut out = BytesMut::new();
        for row in &rows {
            encoder.encode(row.as_ref().unwrap(), &mut out).unwrap();
        }
        encoder.finish(&mut out).unwrap();
        let again = decode_all(default(), &out);
        assert_eq!(again.len(), 2);
        for (again, row) in again.iter().zip(&rows) {
            assert_eq!(again.as_ref().unwrap(), row.as_ref().unwrap());
        }
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.get("@k").and_then(Value::as_str), Some("a&b\tc\n"));
        assert_eq!(first.get("t").and_then(Value::as_str), Some("x < y\rz"));

        let bad: Record = [("not a name", Value::Int(1))].into_iter().collect();
        let written = out.len();
        assert!(encoder.encode(&bad, &mut out).is_err());
        let control: Record = [("a", Value::from("\u{1}"))].into_iter().collect();
        assert!(encoder.encode(&control, &mut out).is_err());
        assert_eq!(out.len(), written);
    }
}
