//! JSON documents (`.json`, `.geojson`): the records of an array, streamed one element at a
//! time with memory flat in the document's size.
//!
//! By default the records are the elements of a top-level array; `-o path=data.items` takes
//! them from the array at a dotted path of objects instead (the other members are skipped as
//! they stream by, whatever their size). A GeoJSON FeatureCollection (a `.geojson` name, or
//! content that says `"FeatureCollection"`) yields its features. A top-level object with no
//! array to stream (no path given) is one record. Numbers are read as in JSON Lines: integers
//! up to 128 bits exactly. Each element is parsed in place with simd-json, as a JSON Lines
//! line is. Records are written as one JSON array.

use crate::json_tape::{Build, LineOut, ObjectParser, Parse};
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use bytes::{Buf, BufMut, BytesMut};
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FormatInfo, ParsedBatch, Position, Record,
    Result,
};

/// The format's name in errors and options.
pub const FORMAT: &str = "json";

/// JSON documents in the format registry.
pub struct JsonFormat;

/// The registry's JSON.
pub static JSON: JsonFormat = JsonFormat;

static INFO: FormatInfo = FormatInfo {
    name: "json",
    aliases: &["geojson"],
    extensions: &["json", "geojson"],
    mime_types: &["application/json", "application/geo+json"],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "a JSON document: the objects of an array (at a path), streamed; GeoJSON features",
};

/// JSON's read options (`-o KEY=VALUE`).
pub static READ_OPTIONS: &[OptionInfo] = &[OptionInfo {
    key: "path",
    default: "",
    help: "the dotted path of object keys to the array of records (data.items); by default the top-level array, or a top-level object as one record",
}];

impl FormatSpec for JsonFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn implied_options(&self, name: &str) -> FormatOptions {
        match name {
            "geojson" => FormatOptions::default().with("path", "features"),
            _ => FormatOptions::default(),
        }
    }

    /// An array: 90. An object that spans lines: 80, or 70 when the head ends inside it. An
    /// object alone on its line, then the end: 50 (JSON Lines is surer). Content that names a
    /// GeoJSON `FeatureCollection` with `features` sets `path=features`.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let head = head.strip_prefix(crate::csv::BOM).unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
        let confidence = match head[start] {
            b'[' => 90,
            b'{' => match crate::json_text::value_end(&head[start..]) {
                None if complete => return None,
                None => 70,
                Some(end) => {
                    let after = &head[start + end..];
                    if after.iter().any(|b| !b.is_ascii_whitespace()) {
                        return None; // more than one value: JSON Lines, or not JSON
                    }
                    match memchr::memchr(b'\n', &head[start..start + end]) {
                        Some(_) => 80,
                        None => 50,
                    }
                }
            },
            _ => return None,
        };
        let mut sniffed = Sniffed::with(confidence);
        let contains = |what: &[u8]| memchr::memmem::find(head, what).is_some();
        if head[start] == b'{' && contains(b"\"FeatureCollection\"") && contains(b"\"features\"") {
            sniffed.options.set("path", "features");
        }
        Some(sniffed)
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        let path = options.get("path").unwrap_or("");
        Ok(Box::new(JsonDecoder::new(path, max_record_size)))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(JsonEncoder::default()))
    }
}

/// Where the decoder stands in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Before the top-level value.
    Start,
    /// In the object at `depth` of the path, before a key (`first`: right after `{`) or its end.
    Key { depth: usize, first: bool },
    /// After a key of the object at `depth`: its colon, then its value, which is on the path
    /// when `wanted`.
    Colon { depth: usize, wanted: bool },
    /// The value of a member of the object at `depth`.
    Value { depth: usize, wanted: bool },
    /// Skipping a member's value that is off the path.
    SkipMember { depth: usize },
    /// After a member of the object at `depth`: a comma or the object's end.
    AfterMember { depth: usize },
    /// In the array of records, before an element (`first`: right after `[`) or its end.
    Element { first: bool },
    /// Skipping an element too large to be a record.
    SkipElement,
    /// After an element: a comma or the array's end.
    AfterElement,
    /// Reading the one object that is the one record.
    Whole,
    /// The records are out; the rest must be white space when `top` (the records' array or
    /// object was the document itself), and is dropped otherwise.
    Done { top: bool },
}

/// What kind of value a [`Scan`] is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An object or an array.
    Nested,
    String,
    /// A number, `true`, `false` or `null`.
    Scalar,
}

/// The bytes a scan of a nested value outside strings stops at: quotes and brackets.
static STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// A scan for the end of the value at the front of the buffer, resumed where it stopped when
/// more input comes.
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    kind: Option<Kind>,
    /// The value's first byte was seen.
    started: bool,
    /// Where to go on from, in the buffer.
    pos: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Scan {
    /// The end (exclusive) of the value that starts at `buf[0]`, once it is in `buf`. At the
    /// end of the input a scalar ends with it.
    fn end(&mut self, buf: &[u8], eof: bool) -> Option<usize> {
        let kind = *self.kind.get_or_insert_with(|| match buf.first() {
            Some(b'{' | b'[') => Kind::Nested,
            Some(b'"') => Kind::String,
            _ => Kind::Scalar,
        });
        if !self.started && !buf.is_empty() {
            self.started = true;
            if kind == Kind::String {
                self.in_string = true;
                self.pos = 1;
            }
        }
        while self.pos < buf.len() {
            if kind == Kind::Nested && !self.in_string {
                // Straight to the next quote or bracket.
                match buf[self.pos..]
                    .iter()
                    .position(|&b| STRUCTURAL[usize::from(b)])
                {
                    Some(i) => self.pos += i,
                    None => {
                        self.pos = buf.len();
                        break;
                    }
                }
            }
            if self.in_string && !self.escaped {
                // Straight to the string's next quote or escape.
                match memchr::memchr2(b'"', b'\\', &buf[self.pos..]) {
                    Some(i) => self.pos += i,
                    None => {
                        self.pos = buf.len();
                        break;
                    }
                }
            }
            let b = buf[self.pos];
            self.pos += 1;
            if self.in_string {
                match b {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => {
                        self.in_string = false;
                        if kind == Kind::String {
                            return Some(self.pos);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            match (kind, b) {
                (Kind::Scalar, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') => {
                    return Some(self.pos - 1);
                }
                (Kind::Nested, b'"') => self.in_string = true,
                (Kind::Nested, b'{' | b'[') => self.depth += 1,
                (Kind::Nested, b'}' | b']') => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(self.pos);
                    }
                }
                _ => {}
            }
        }
        (eof && kind == Kind::Scalar && !buf.is_empty()).then_some(buf.len())
    }

    /// The scan of a value skipped as it streams by: the `n` bytes scanned so far are
    /// dropped from the front of the buffer.
    fn dropped(&mut self, n: usize) {
        self.pos -= n;
    }
}

/// Decodes a JSON document's records: see the [module](self).
///
/// Errors carry the byte offset, line and element number (counting from 1). An element that
/// is not an object, or not valid JSON, or larger than `max_record_size`, is a recoverable
/// error: the next element follows. A document that is not the JSON it must be (no array
/// where the path leads, a cut-off array) is a fatal error, after the records before it.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::json::JsonDecoder;
///
/// let mut decoder = JsonDecoder::new("data.items", 1 << 20);
/// let mut buf = BytesMut::from(&br#"{"meta": {"n": 2}, "data": {"items": [{"id": 1}, {"id": 2}]}}"#[..]);
/// let first = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!(first.get("id"), Some(&Value::Int(1)));
/// assert_eq!(decoder.decode_eof(&mut buf)?.unwrap().get("id"), Some(&Value::Int(2)));
/// assert!(decoder.decode_eof(&mut buf)?.is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct JsonDecoder {
    parser: ObjectParser,
    /// The keys leading to the array of records.
    path: Vec<String>,
    max_record_size: usize,
    at: At,
    scan: Scan,
    bom_checked: bool,
    /// Bytes and line ends taken off the input so far.
    consumed: u64,
    lines: u64,
    /// Elements met so far, good or bad.
    records: u64,
    /// A copy of the element guessed to end with its line ([`JsonDecoder::one_per_line`]).
    guess: BytesMut,
}

impl JsonDecoder {
    /// A decoder for the array at `path` (dotted keys; `""` for the document itself),
    /// refusing records longer than `max_record_size` bytes.
    pub fn new(path: &str, max_record_size: usize) -> JsonDecoder {
        JsonDecoder {
            parser: ObjectParser::new(FORMAT, "element"),
            path: path
                .split('.')
                .filter(|key| !key.is_empty())
                .map(str::to_owned)
                .collect(),
            max_record_size: max_record_size.max(1),
            at: At::Start,
            scan: Scan::default(),
            bom_checked: false,
            consumed: 0,
            lines: 0,
            records: 0,
            guess: BytesMut::new(),
        }
    }

    fn take(&mut self, buf: &mut BytesMut, n: usize) {
        self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.consumed += n as u64;
        buf.advance(n);
    }

    /// Drops the white space at the front; the next byte, if there is one.
    fn next_byte(&mut self, buf: &mut BytesMut) -> Option<u8> {
        let skip = buf
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(buf.len());
        self.take(buf, skip);
        buf.first().copied()
    }

    fn position(&self) -> Position {
        Position {
            byte: Some(self.consumed),
            line: Some(self.lines + 1),
            record: None,
        }
    }

    /// A fatal error at the front of the buffer: reading stops.
    fn broken(&mut self, message: impl Into<String>) -> Error {
        let error = Error::parse(FORMAT, message).at(self.position());
        self.at = At::Done { top: false };
        error
    }

    /// The path as written, up to `depth` keys.
    fn shown_path(&self, depth: usize) -> String {
        self.path[..depth.min(self.path.len())].join(".")
    }

    fn next<O: LineOut>(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        out: &mut O,
    ) -> Result<Option<O::Line>> {
        if !self.bom_checked {
            let bom = crate::csv::BOM;
            if buf.len() < bom.len() && bom.starts_with(buf) && !eof {
                return Ok(None);
            }
            if buf.starts_with(bom) {
                self.take(buf, bom.len());
            }
            self.bom_checked = true;
        }
        loop {
            match self.at {
                At::Done { top } => {
                    if top {
                        if self.next_byte(buf).is_some() {
                            return Err(self.broken("more data after the JSON document"));
                        }
                    } else {
                        let n = buf.len();
                        self.take(buf, n);
                    }
                    return Ok(None);
                }
                At::Start => match self.next_byte(buf) {
                    None if eof => return Err(self.broken("the document is empty")),
                    None => return Ok(None),
                    Some(b'[') if self.path.is_empty() => {
                        self.take(buf, 1);
                        self.at = At::Element { first: true };
                    }
                    Some(b'{') if self.path.is_empty() => self.at = At::Whole,
                    Some(b'{') => {
                        self.take(buf, 1);
                        self.at = At::Key {
                            depth: 0,
                            first: true,
                        };
                    }
                    Some(_) if self.path.is_empty() => {
                        return Err(self.broken("the document is neither an array nor an object"));
                    }
                    Some(_) => {
                        return Err(self.broken(format!(
                            "the document is not an object: there is no {:?} in it",
                            self.path.join(".")
                        )));
                    }
                },
                At::Key { depth, first } => match self.next_byte(buf) {
                    None if eof => return Err(self.cut()),
                    None => return Ok(None),
                    Some(b'}') if first => return Err(self.missing(depth)),
                    Some(b'"') => {
                        let Some(end) = self.scan.end(buf, eof) else {
                            return self.wait(buf, "an object key");
                        };
                        self.scan = Scan::default();
                        let wanted = key_is(&buf[1..end - 1], &self.path[depth]);
                        self.take(buf, end);
                        self.at = At::Colon { depth, wanted };
                    }
                    Some(_) => return Err(self.broken("expected an object key")),
                },
                At::Colon { depth, wanted } => match self.next_byte(buf) {
                    None if eof => return Err(self.cut()),
                    None => return Ok(None),
                    Some(b':') => {
                        self.take(buf, 1);
                        self.at = At::Value { depth, wanted };
                    }
                    Some(_) => return Err(self.broken("expected ':' after an object key")),
                },
                At::Value { depth, wanted } => match self.next_byte(buf) {
                    None if eof => return Err(self.cut()),
                    None => return Ok(None),
                    Some(b'{') if wanted && depth + 1 < self.path.len() => {
                        self.take(buf, 1);
                        self.at = At::Key {
                            depth: depth + 1,
                            first: true,
                        };
                    }
                    Some(b'[') if wanted && depth + 1 == self.path.len() => {
                        self.take(buf, 1);
                        self.at = At::Element { first: true };
                    }
                    Some(b'{') if wanted && depth + 1 == self.path.len() => self.at = At::Whole,
                    Some(_) if wanted => {
                        let path = self.shown_path(depth + 1);
                        return Err(self.broken(format!(
                            "{path:?} is not {}",
                            match depth + 1 == self.path.len() {
                                true => "an array or an object",
                                false => "an object",
                            }
                        )));
                    }
                    Some(_) => self.at = At::SkipMember { depth },
                },
                At::SkipMember { depth } => {
                    match self.scan.end(buf, eof) {
                        Some(end) => {
                            self.scan = Scan::default();
                            self.take(buf, end);
                            self.at = At::AfterMember { depth };
                        }
                        None => {
                            // Dropped as it streams by: memory stays flat.
                            let n = buf.len();
                            self.scan.dropped(n);
                            self.take(buf, n);
                            return if eof { Err(self.cut()) } else { Ok(None) };
                        }
                    }
                }
                At::AfterMember { depth } => match self.next_byte(buf) {
                    None if eof => return Err(self.cut()),
                    None => return Ok(None),
                    Some(b',') => {
                        self.take(buf, 1);
                        self.at = At::Key {
                            depth,
                            first: false,
                        };
                    }
                    Some(b'}') => return Err(self.missing(depth)),
                    Some(_) => return Err(self.broken("expected ',' or '}' in an object")),
                },
                At::Element { first } => match self.next_byte(buf) {
                    None if eof => return Err(self.cut()),
                    None => return Ok(None),
                    Some(b']') if first => {
                        self.take(buf, 1);
                        self.at = At::Done {
                            top: self.path.is_empty(),
                        };
                    }
                    Some(first_byte) => {
                        if let Some(parsed) = self.one_per_line(buf, first_byte, out) {
                            return Ok(Some(parsed));
                        }
                        let Some(end) = self.scan.end(buf, eof) else {
                            if buf.len() > self.max_record_size {
                                return Err(self.too_large(buf));
                            }
                            return if eof { Err(self.cut()) } else { Ok(None) };
                        };
                        self.scan = Scan::default();
                        self.records += 1;
                        let position = Position {
                            record: Some(self.records),
                            ..self.position()
                        };
                        self.at = At::AfterElement;
                        if end > self.max_record_size {
                            self.take(buf, end);
                            return Err(self.limit_error(position));
                        }
                        let parsed = self.parser.parse(buf, end, position, out);
                        self.take(buf, end);
                        return parsed.map(Some);
                    }
                },
                At::SkipElement => match self.scan.end(buf, eof) {
                    Some(end) => {
                        self.scan = Scan::default();
                        self.take(buf, end);
                        self.at = At::AfterElement;
                    }
                    None => {
                        let n = buf.len();
                        self.scan.dropped(n);
                        self.take(buf, n);
                        return if eof { Err(self.cut()) } else { Ok(None) };
                    }
                },
                At::AfterElement => match self.next_byte(buf) {
                    None if eof => return Err(self.cut()),
                    None => return Ok(None),
                    Some(b',') => {
                        self.take(buf, 1);
                        self.at = At::Element { first: false };
                    }
                    Some(b']') => {
                        self.take(buf, 1);
                        self.at = At::Done {
                            top: self.path.is_empty(),
                        };
                    }
                    Some(_) => return Err(self.broken("expected ',' or ']' in the array")),
                },
                At::Whole => {
                    let Some(end) = self.scan.end(buf, eof) else {
                        if buf.len() > self.max_record_size {
                            let error = self.limit_error(self.position());
                            self.at = At::Done { top: false };
                            return Err(error);
                        }
                        return if eof { Err(self.cut()) } else { Ok(None) };
                    };
                    self.scan = Scan::default();
                    self.records += 1;
                    let position = Position {
                        record: Some(self.records),
                        ..self.position()
                    };
                    let parsed = self.parser.parse(buf, end, position, out);
                    self.take(buf, end);
                    self.at = At::Done {
                        top: self.path.is_empty(),
                    };
                    return parsed.map(Some);
                }
            }
        }
    }

    /// The fast way for the usual layout, an element a line: when the element at the front
    /// starts with `{` and its line ends with `}` (and maybe a comma), the line up to that `}`
    /// is parsed at once; if it is one valid object, the element ends there (a newline is
    /// never inside a JSON string, and an object ends where its braces balance). `None`
    /// when that does not hold: the scan finds the end.
    fn one_per_line<O: LineOut>(
        &mut self,
        buf: &mut BytesMut,
        first_byte: u8,
        out: &mut O,
    ) -> Option<O::Line> {
        if first_byte != b'{' || self.scan.started {
            return None;
        }
        let newline = memchr::memchr(b'\n', &buf[..buf.len().min(self.max_record_size)])?;
        let line = &buf[..newline];
        let mut end = line.iter().rposition(|b| !b.is_ascii_whitespace())?;
        if line[end] == b',' {
            end = line[..end].iter().rposition(|b| !b.is_ascii_whitespace())?;
        }
        if line[end] != b'}' {
            return None;
        }
        let end = end + 1;
        let position = Position {
            record: Some(self.records + 1),
            ..self.position()
        };
        // simd-json parses in place, changing the bytes it parses: the guess is parsed in a
        // copy (padded for simd-json), so that a wrong guess leaves the input as it was.
        self.guess.clear();
        self.guess.extend_from_slice(&buf[..end]);
        self.guess.resize(end + simd_json::INPUT_PADDING, 0);
        let parsed = self
            .parser
            .parse(&mut self.guess, end, position, out)
            .ok()?;
        self.records += 1;
        // Before its line's end: no line end to count.
        self.consumed += end as u64;
        buf.advance(end);
        self.at = At::AfterElement;
        Some(parsed)
    }

    /// Waits for the rest of a small value (a key) at the front; an error when it is over the
    /// limit or the input ends first.
    fn wait<T>(&mut self, buf: &BytesMut, what: &str) -> Result<Option<T>> {
        if buf.len() > self.max_record_size {
            let error = Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "{what} longer than the maximum record size of {} bytes",
                    self.max_record_size
                ),
            )
            .with_format(FORMAT)
            .at(self.position());
            self.at = At::Done { top: false };
            return Err(error);
        }
        Ok(None)
    }

    /// An element over the limit: skipped as it streams by, a recoverable error.
    fn too_large(&mut self, buf: &mut BytesMut) -> Error {
        self.records += 1;
        let error = self.limit_error(Position {
            record: Some(self.records),
            ..self.position()
        });
        let n = buf.len();
        self.scan.dropped(n);
        self.take(buf, n);
        self.at = At::SkipElement;
        error
    }

    fn limit_error(&self, position: Position) -> Error {
        Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the element is longer than the maximum record size of {} bytes",
                self.max_record_size
            ),
        )
        .with_format(FORMAT)
        .at(position)
        .recoverable()
    }

    /// The document ends before the structure does.
    fn cut(&mut self) -> Error {
        self.broken("the document ends inside a value (is it cut short?)")
    }

    /// The object at `depth` ended without the path's key.
    fn missing(&mut self, depth: usize) -> Error {
        let path = self.shown_path(depth + 1);
        match depth {
            0 => self.broken(format!("the document has no {path:?}")),
            _ => {
                let parent = self.shown_path(depth);
                self.broken(format!("{parent:?} has no {path:?}"))
            }
        }
    }
}

/// True when a JSON string's body `raw` (between its quotes) is `key`.
fn key_is(raw: &[u8], key: &str) -> bool {
    if !raw.contains(&b'\\') {
        return raw == key.as_bytes();
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    matches!(
        simd_json::to_borrowed_value(&mut quoted),
        Ok(simd_json::BorrowedValue::String(unescaped)) if unescaped == key
    )
}

impl Decoder for JsonDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false, &mut Build)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true, &mut Build)
    }

    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        Ok(self.next(buf, eof, &mut Parse(batch))?.is_some())
    }
}

/// Encodes records as one JSON array, an element a line.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record};
/// use iterable_formats::json::JsonEncoder;
///
/// let mut encoder = JsonEncoder::default();
/// let mut out = BytesMut::new();
/// encoder.encode(&[("id", 1)].into_iter().collect::<Record>(), &mut out)?;
/// encoder.encode(&[("id", 2)].into_iter().collect::<Record>(), &mut out)?;
/// encoder.finish(&mut out)?;
/// assert_eq!(&out[..], b"[\n{\"id\":1},\n{\"id\":2}\n]\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct JsonEncoder {
    started: bool,
}

impl Encoder for JsonEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        out.put_slice(if self.started { b",\n" } else { b"[\n" });
        // On an error the caller drops what this call wrote, the separator too.
        crate::json_text::write_record(record, out).map_err(|e| e.with_format(FORMAT))?;
        self.started = true;
        Ok(())
    }

    fn finish(&mut self, out: &mut BytesMut) -> Result<()> {
        out.put_slice(if self.started { b"\n]\n" } else { b"[]\n" });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::Value;

    fn decode_all(decoder: &mut JsonDecoder, input: &[u8]) -> Vec<Result<Record>> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match decoder.decode_eof(&mut buf) {
                Ok(Some(r)) => out.push(Ok(r)),
                Ok(None) => return out,
                Err(e) => {
                    let fatal = !e.is_recoverable();
                    out.push(Err(e));
                    if fatal {
                        return out;
                    }
                }
            }
        }
    }

    fn ids(outcomes: &[Result<Record>]) -> Vec<i64> {
        outcomes
            .iter()
            .filter_map(|o| o.as_ref().ok()?.get("id")?.as_i64())
            .collect()
    }

    #[test]
    fn the_array_at_a_path_is_found_past_other_members() {
        let input = br#"{"meta": {"items": "not these", "n": [1, {"x": "]}"}]},
            "data": {"skip": null, "it\u0065ms": [{"id": 1}, {"id": 2}], "after": true}}"#;
        let mut decoder = JsonDecoder::new("data.items", 1 << 20);
        assert_eq!(ids(&decode_all(&mut decoder, input)), [1, 2]);
        let mut missing = JsonDecoder::new("data.nope", 1 << 20);
        let outcomes = decode_all(&mut missing, input);
        let error = outcomes.last().unwrap().as_ref().unwrap_err();
        assert_eq!(error.message(), "\"data\" has no \"data.nope\"");
        assert!(!error.is_recoverable());
        let mut not_array = JsonDecoder::new("meta.n.x", 1 << 20);
        let error = decode_all(&mut not_array, input)
            .pop()
            .unwrap()
            .unwrap_err();
        assert_eq!(error.message(), "\"meta.n\" is not an object");
    }

    #[test]
    fn a_top_level_object_is_one_record_and_an_empty_array_none() {
        let mut decoder = JsonDecoder::new("", 1 << 20);
        let outcomes = decode_all(&mut decoder, b" {\"id\": 7, \"tags\": [\"a\"]} \n");
        assert_eq!(ids(&outcomes), [7]);
        assert_eq!(outcomes.len(), 1);
        let mut decoder = JsonDecoder::new("", 1 << 20);
        assert!(decode_all(&mut decoder, b"[ ]").is_empty());
    }

    #[test]
    fn bad_elements_are_skipped_with_their_position_and_bad_documents_stop() {
        let input = b"[{\"id\":1},\n 42,\n{\"id\": oops},\n{\"id\":4}]";
        let outcomes = decode_all(&mut JsonDecoder::new("", 1 << 20), input);
        assert_eq!(ids(&outcomes), [1, 4]);
        let not_object = outcomes[1].as_ref().unwrap_err();
        assert_eq!(
            not_object.message(),
            "the element is a number, not a JSON object"
        );
        assert_eq!(
            not_object.position(),
            Position {
                byte: Some(12),
                line: Some(2),
                record: Some(2)
            }
        );
        let invalid = outcomes[2].as_ref().unwrap_err();
        assert_eq!(invalid.position().line, Some(3));
        assert!(invalid.is_recoverable());

        let cut = decode_all(&mut JsonDecoder::new("", 1 << 20), b"[{\"id\":1}, {\"id\":");
        assert_eq!(ids(&cut), [1]);
        let error = cut[1].as_ref().unwrap_err();
        assert!(error.message().contains("cut short"), "{error}");
        assert!(!error.is_recoverable());

        let trailing = decode_all(&mut JsonDecoder::new("", 1 << 20), b"[{\"id\":1}] [");
        assert_eq!(
            trailing[1].as_ref().unwrap_err().message(),
            "more data after the JSON document"
        );
    }

    #[test]
    fn a_large_element_is_an_error_and_the_next_one_follows_in_bounded_memory() {
        let mut decoder = JsonDecoder::new("", 100);
        let mut buf = BytesMut::from(&b"[{\"id\":1}, {\"pad\": \""[..]);
        let mut outcomes = Vec::new();
        for _ in 0..1000 {
            buf.extend_from_slice(&[b'x'; 64]);
            while let Some(outcome) = decoder.decode(&mut buf).transpose() {
                outcomes.push(outcome);
            }
            assert!(buf.len() < 300, "{} bytes held", buf.len());
        }
        buf.extend_from_slice(b"\"}, {\"id\": 3}]");
        outcomes.extend(decode_all(&mut decoder, &buf.split()));
        assert_eq!(ids(&outcomes), [1, 3]);
        let error = outcomes[1].as_ref().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
        assert_eq!(error.position().record, Some(2));
    }

    #[test]
    fn members_off_the_path_stream_by_in_bounded_memory() {
        let mut decoder = JsonDecoder::new("rows", 1 << 10);
        let mut buf = BytesMut::from(&b"{\"blob\": [\""[..]);
        for _ in 0..10_000 {
            buf.extend_from_slice(b"\\\"]}{ ");
            assert!(decoder.decode(&mut buf).unwrap().is_none());
            assert!(buf.len() < 64, "{} bytes held", buf.len());
        }
        buf.extend_from_slice(b"\"], \"rows\": [{\"id\": 5}]}");
        let outcomes = decode_all(&mut decoder, &buf.split());
        assert_eq!(ids(&outcomes), [5]);
    }

    #[test]
    fn sniffing_tells_documents_from_lines_and_finds_geojson() {
        let sniff = |text: &[u8], complete| JSON.sniff(text, complete).map(|s| s.confidence);
        assert_eq!(sniff(b"[{\"a\":1}]", true), Some(90));
        assert_eq!(sniff(b"{\n  \"a\": 1\n}\n", true), Some(80));
        assert_eq!(sniff(b"{\"a\":1}\n{\"a\":2}\n", true), None);
        assert_eq!(sniff(b"{\"a\":1}\n", true), Some(50));
        assert_eq!(sniff(b"a,b\n", true), None);
        let geo = JSON
            .sniff(
                br#"{"type": "FeatureCollection", "features": [{"type": "Feature"}]}"#,
                true,
            )
            .unwrap();
        assert_eq!(geo.options.get("path"), Some("features"));
        assert_eq!(
            JSON.implied_options("geojson").get("path"),
            Some("features")
        );
        let feature = r#"{"type":"Feature","properties":{"name":"Oslo"}}"#;
        let collection =
            format!(r#"{{"type":"FeatureCollection","features":[{feature},{feature}]}}"#);
        let mut decoder = JsonDecoder::new("features", 1 << 20);
        let outcomes = decode_all(&mut decoder, collection.as_bytes());
        assert_eq!(outcomes.len(), 2);
        let first = outcomes[0].as_ref().unwrap();
        assert_eq!(first.get("type"), Some(&Value::from("Feature")));
    }

    #[test]
    fn the_encoder_writes_an_array_that_reads_back() {
        let records: Vec<Record> = (0..3)
            .map(|i| {
                [("id", Value::Int(i)), ("s", Value::from("a\"b"))]
                    .into_iter()
                    .collect()
            })
            .collect();
        let mut encoder = JsonEncoder::default();
        let mut out = BytesMut::new();
        for record in &records {
            encoder.encode(record, &mut out).unwrap();
        }
        encoder.finish(&mut out).unwrap();
        let read: Vec<Record> = decode_all(&mut JsonDecoder::new("", 1 << 20), &out)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(read, records);
        let mut empty = BytesMut::new();
        JsonEncoder::default().finish(&mut empty).unwrap();
        assert_eq!(&empty[..], b"[]\n");
    }
}
