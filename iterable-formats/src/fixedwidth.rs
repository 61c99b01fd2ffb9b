//! Fixed-width text (`fixedwidth`, also `fwf`): each line a record, each field at the same
//! place on every line.
//!
//! Read, the columns come from `-o widths=4,10,8` (in characters) or from the header line,
//! where each column starts where its name does (names without spaces, separated by spaces; the
//! last column then runs to the end of the line). Names come from `-o names=a,b,c`, else the
//! header line (the first line, unless `-o header=false`), else `column_1`, `column_2`, ...
//! Values are strings with the spaces around them trimmed; a line shorter than the columns has
//! empty values at its end. Text beyond the last column given by `widths`, a line that is not
//! UTF-8, or a header whose names do not match the widths, is a recoverable error naming the
//! line, never cut off silently.
//!
//! Written with a header line (`-O header=false` for none) and the widths of `-O widths=`, or
//! widths found from the first `-O infer_rows=1000` records (each column as wide as its name
//! or its widest value, plus a space; the last one unbounded), so the file reads back by its
//! header. A value too wide for its column, or with spaces at its ends (which reading would
//! trim), or a record whose values are all empty (a blank line, which reading skips), is an
//! error naming the record and field; nested values are written as JSON, null as
//! nothing.

use crate::lines::{LineDecoder, LineParser, write_line};
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use crate::text;
use bytes::{BufMut, BytesMut};
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, Fields, FormatInfo, Position, Record, Result,
    Value,
};

/// Fixed-width text in the format registry.
pub struct FixedWidthFormat;

/// The registry's fixed-width text.
pub static FIXEDWIDTH: FixedWidthFormat = FixedWidthFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "fixedwidth";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &["fwf", "fixed"],
    extensions: &["fwf", "fixed"],
    mime_types: &[],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "fixed-width text: every field at the same columns of its line",
};

static WIDTHS: OptionInfo = OptionInfo {
    key: "widths",
    default: "",
    help: "the columns' widths in characters, comma-separated (read: else from the header line)",
};

static HEADER: OptionInfo = OptionInfo {
    key: "header",
    default: "true",
    help: "the first line names the columns",
};

static READ_OPTIONS: &[OptionInfo] = &[
    WIDTHS,
    OptionInfo {
        key: "names",
        default: "",
        help: "the columns' names, comma-separated, instead of the header's",
    },
    HEADER,
];

static WRITE_OPTIONS: &[OptionInfo] = &[
    WIDTHS,
    HEADER,
    OptionInfo {
        key: "infer_rows",
        default: "1000",
        help: "without widths: how many records the widths are found from",
    },
];

fn widths(options: &FormatOptions) -> Result<Option<Vec<usize>>> {
    options.parsed(FORMAT, "widths", "widths such as 4,10,8", |v| {
        let widths: Option<Vec<usize>> = v
            .split(',')
            .map(|w| w.trim().parse().ok().filter(|&w| w > 0))
            .collect();
        widths.filter(|w| !w.is_empty())
    })
}

impl FormatSpec for FixedWidthFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    /// Not told by content: fixed-width text is any text. Name it, or use `.fwf`.
    fn sniff(&self, _head: &[u8], _complete: bool) -> Option<Sniffed> {
        None
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        let names = options
            .get("names")
            .map(|names| Fields::new(names.split(',').map(str::trim)));
        let parser = FixedWidthParser::new(
            widths(options)?,
            names,
            options.boolean(FORMAT, "header")?.unwrap_or(true),
        )?;
        Ok(Box::new(LineDecoder::with_parser(parser, max_record_size)))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        let infer_rows = options
            .parsed(FORMAT, "infer_rows", "a number of records", |v| {
                v.parse::<usize>().ok().filter(|&n| n > 0)
            })?
            .unwrap_or(1000);
        Ok(Box::new(FixedWidthEncoder::new(
            widths(options)?,
            options.boolean(FORMAT, "header")?.unwrap_or(true),
            infer_rows,
        )))
    }
}

/// Decodes fixed-width text: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::{Format, FormatOptions};
///
/// let mut decoder = Format::FIXEDWIDTH.decoder(&FormatOptions::default(), 1 << 20)?;
/// let mut buf = BytesMut::from(&b"id  name      city\n1   Ada       London\n22  Grace\n"[..]);
/// let first = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(first.get("name").and_then(Value::as_str), Some("Ada"));
/// let second = decoder.decode(&mut buf)?.unwrap();
/// assert_eq!(second.get("city").and_then(Value::as_str), Some(""));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub type FixedWidthDecoder = LineDecoder<FixedWidthParser>;

/// One line into a record (the [`LineParser`] of [`FixedWidthDecoder`]).
#[derive(Debug)]
pub struct FixedWidthParser {
    /// Each column's first character and its end (`None`: the rest of the line).
    columns: Option<Vec<(usize, Option<usize>)>>,
    names: Option<Fields>,
    /// The next line is the header.
    header: bool,
}

impl FixedWidthParser {
    /// A parser of columns `widths` (else from the header line) named `names` (else by the
    /// header line when `header`, else `column_N`).
    pub fn new(widths: Option<Vec<usize>>, names: Option<Fields>, header: bool) -> Result<Self> {
        if widths.is_none() && !header {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                "fixedwidth needs -o widths= when it has no header line to find them from",
            ));
        }
        let columns = widths.map(|widths| {
            let mut start = 0;
            widths
                .iter()
                .map(|&w| {
                    let column = (start, Some(start + w));
                    start += w;
                    column
                })
                .collect::<Vec<_>>()
        });
        if let (Some(columns), Some(names)) = (&columns, &names)
            && columns.len() != names.len()
        {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!("{} widths but {} names", columns.len(), names.len()),
            ));
        }
        Ok(FixedWidthParser {
            columns,
            names,
            header,
        })
    }

    fn read_header(&mut self, line: &str) -> std::result::Result<(), String> {
        let words: Vec<(usize, &str)> = word_starts(line);
        if words.is_empty() {
            return Err("the header line names no column".into());
        }
        match &self.columns {
            Some(columns) => {
                if self.names.is_none() {
                    let chars = Chars::new(line);
                    let names: Vec<String> = columns
                        .iter()
                        .map(|&(start, end)| chars.cut(start, end).trim().to_owned())
                        .collect();
                    if let Some(i) = names.iter().position(String::is_empty) {
                        return Err(format!("the header line has no name for column {}", i + 1));
                    }
                    self.names = Some(Fields::new(names.iter().map(String::as_str)));
                }
            }
            None => {
                let columns = words
                    .iter()
                    .enumerate()
                    .map(|(i, &(start, _))| (start, words.get(i + 1).map(|&(next, _)| next)))
                    .collect::<Vec<_>>();
                if let Some(names) = &self.names
                    && names.len() != columns.len()
                {
                    return Err(format!(
                        "the header has {} columns but -o names= gives {}",
                        columns.len(),
                        names.len()
                    ));
                }
                if self.names.is_none() {
                    if let Some(name) = crate::lines::first_repeated(words.iter().map(|&(_, w)| w))
                    {
                        return Err(format!("the header names the column {name:?} twice"));
                    }
                    self.names = Some(Fields::new(words.iter().map(|&(_, w)| w)));
                }
                self.columns = Some(columns);
            }
        }
        Ok(())
    }
}

/// The words of `line` (runs of characters other than spaces) and the character each starts at.
fn word_starts(line: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for (n, (byte, c)) in line.char_indices().enumerate() {
        match (c == ' ', start) {
            (false, None) => start = Some((n, byte)),
            (true, Some((at, from))) => {
                words.push((at, &line[from..byte]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some((at, from)) = start {
        words.push((at, &line[from..]));
    }
    words
}

/// A line, and where each of its characters starts when it is not ASCII (so that cutting
/// columns costs the line's length once, whatever the columns).
struct Chars<'a> {
    line: &'a str,
    starts: Option<Vec<usize>>,
}

impl<'a> Chars<'a> {
    fn new(line: &'a str) -> Chars<'a> {
        let starts = (!line.is_ascii()).then(|| line.char_indices().map(|(b, _)| b).collect());
        Chars { line, starts }
    }

    /// The byte where character `n` starts (the end when there are fewer).
    fn byte(&self, n: usize) -> usize {
        match &self.starts {
            None => n.min(self.line.len()),
            Some(starts) => starts.get(n).copied().unwrap_or(self.line.len()),
        }
    }

    /// The characters `start..end` (to the end when `end` is `None`), as far as the line goes.
    fn cut(&self, start: usize, end: Option<usize>) -> &'a str {
        let s = self.byte(start);
        let e = end.map_or(self.line.len(), |e| self.byte(e));
        &self.line[s..e.max(s)]
    }
}

impl LineParser for FixedWidthParser {
    const FORMAT: &'static str = FORMAT;

    fn parse(&mut self, line: &[u8], _position: Position) -> Result<Option<Record>> {
        let invalid = |why: String| Error::new(ErrorKind::InvalidRecord, why);
        let line =
            std::str::from_utf8(line).map_err(|_| invalid("the line is not UTF-8 text".into()))?;
        if self.header {
            // A header that is refused is looked for again on the next line.
            self.read_header(line).map_err(invalid)?;
            self.header = false;
            return Ok(None);
        }
        let Some(columns) = self.columns.as_ref() else {
            return Err(invalid("no header line has given the columns yet".into()));
        };
        let names = self
            .names
            .get_or_insert_with(|| Fields::new((1..=columns.len()).map(|i| format!("column_{i}"))));
        let chars = Chars::new(line);
        if let Some(&(_, Some(end))) = columns.last() {
            let beyond = chars.cut(end, None);
            if !beyond.trim().is_empty() {
                return Err(invalid(format!(
                    "text beyond the last column (which ends at character {end}): {beyond:?}"
                )));
            }
        }
        let values = columns
            .iter()
            .map(|&(start, end)| Value::from(chars.cut(start, end).trim()))
            .collect();
        Record::with_fields(names.clone(), values).map(Some)
    }
}

/// Encodes records as fixed-width text: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::{Format, FormatOptions};
///
/// let mut encoder = Format::FIXEDWIDTH.encoder(&FormatOptions::default().with("widths", "4,8,4"))?;
/// let r: Record = [("id", Value::Int(7)), ("name", Value::from("Zoë")), ("ok", Value::Bool(true))].into_iter().collect();
/// let mut out = BytesMut::new();
/// encoder.encode(&r, &mut out)?;
/// encoder.finish(&mut out)?;
/// assert_eq!(std::str::from_utf8(&out).unwrap(), "id  name    ok\n7   Zoë     true\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug)]
pub struct FixedWidthEncoder {
    /// The widths of `-O widths=`.
    given: Option<Vec<usize>>,
    /// The widths in use, once known.
    widths: Option<Vec<usize>>,
    header: bool,
    infer_rows: usize,
    names: Option<Fields>,
    /// The texts of the records held while the widths are found.
    pending: Vec<Vec<String>>,
    records: u64,
}

impl FixedWidthEncoder {
    /// An encoder with the columns' `widths` (else found from the first `infer_rows`
    /// records), writing a header line when `header`.
    pub fn new(widths: Option<Vec<usize>>, header: bool, infer_rows: usize) -> FixedWidthEncoder {
        FixedWidthEncoder {
            given: widths,
            widths: None,
            header,
            infer_rows: infer_rows.max(1),
            names: None,
            pending: Vec::new(),
            records: 0,
        }
    }

    /// The texts of `record`'s values, in the columns' order.
    fn texts(names: &Fields, record: &Record) -> std::result::Result<Vec<String>, String> {
        if let Some(extra) = record.names().find(|n| names.position(n).is_none()) {
            return Err(format!(
                "the field {extra:?} is not a column (the first record's fields make them)"
            ));
        }
        names
            .iter()
            .map(|name| {
                let text = match record.get(name) {
                    Some(value) => text::to_text(value)?,
                    None => String::new(),
                };
                if text != text.trim() {
                    return Err(format!(
                        "the value of {name} has spaces at its ends, which reading would trim"
                    ));
                }
                if text.contains(['\n', '\r']) {
                    return Err(format!("the value of {name} holds a line break"));
                }
                Ok(text)
            })
            .collect::<std::result::Result<Vec<String>, String>>()
            .and_then(|texts| match texts.iter().all(String::is_empty) {
                true => Err(
                    "every value is empty: the line would be blank, and blank lines are skipped"
                        .into(),
                ),
                false => Ok(texts),
            })
    }

    /// Settles the widths (given, or found from the records held), writes the header line
    /// when asked, then the records held.
    fn start(&mut self, out: &mut BytesMut) -> std::result::Result<(), String> {
        let names = self.names.clone().expect("set by the first record");
        let last = names.len().saturating_sub(1);
        let widths = match &self.given {
            Some(widths) if widths.len() != names.len() => {
                return Err(format!(
                    "{} widths for {} columns",
                    widths.len(),
                    names.len()
                ));
            }
            Some(widths) => widths.clone(),
            None => (0..names.len())
                .map(|i| {
                    // A space after every column but the last, so that values never touch.
                    let gap = usize::from(i < last);
                    let widest = self.pending.iter().map(|texts| width(&texts[i])).max();
                    let name = width(names.get(i).unwrap_or(""));
                    (widest.unwrap_or(0).max(name) + gap).max(1)
                })
                .collect(),
        };
        if self.header {
            let texts: Vec<String> = names.iter().map(str::to_owned).collect();
            for (i, name) in texts.iter().enumerate() {
                if name.is_empty() || name.contains(' ') {
                    return Err(format!(
                        "the column name {name:?} cannot be in a header line: it is empty or holds a space"
                    ));
                }
                if i < last && width(name) >= widths[i] {
                    return Err(format!(
                        "the column {name:?} needs a width of {} or more, for its name and a space",
                        width(name) + 1
                    ));
                }
            }
            self.write_row(&texts, &widths, out)?;
        }
        for texts in std::mem::take(&mut self.pending) {
            self.write_row(&texts, &widths, out)?;
        }
        self.widths = Some(widths);
        Ok(())
    }

    /// `texts` in columns of `widths`, the last one not padded (and, when the widths were
    /// found rather than given, not bounded: a header line says it runs to the line's end).
    fn write_row(
        &self,
        texts: &[String],
        widths: &[usize],
        out: &mut BytesMut,
    ) -> std::result::Result<(), String> {
        if texts.iter().all(String::is_empty) {
            return Err(
                "every value is empty: the line would be blank, and blank lines are skipped".into(),
            );
        }
        let start = out.len();
        for (i, (text, &column)) in texts.iter().zip(widths).enumerate() {
            let chars = width(text);
            let last = i + 1 == texts.len();
            if chars > column && !(last && self.given.is_none()) {
                let name = self.names.as_ref().and_then(|n| n.get(i)).unwrap_or("?");
                return Err(format!(
                    "the value of {name} is {chars} characters wide, its column {column} (set -O widths=, or raise -O infer_rows=)"
                ));
            }
            out.put_slice(text.as_bytes());
            if !last {
                out.put_bytes(b' ', column - chars);
            }
        }
        // No value ends in a space: the padding of empty last columns goes.
        let end = out[start..]
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(start, |i| start + i + 1);
        out.truncate(end);
        out.put_u8(b'\n');
        Ok(())
    }
}

/// The width of `text` in characters.
fn width(text: &str) -> usize {
    text.chars().count()
}

impl Encoder for FixedWidthEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        let names = self
            .names
            .get_or_insert_with(|| record.fields().clone())
            .clone();
        let mut records = self.records;
        let written = write_line(FORMAT, &mut records, out, |out| {
            let texts = FixedWidthEncoder::texts(&names, record)?;
            match &self.widths {
                Some(widths) => {
                    let widths = widths.clone();
                    self.write_row(&texts, &widths, out)
                }
                None => {
                    self.pending.push(texts);
                    if self.given.is_some() || self.pending.len() == self.infer_rows {
                        self.start(out)?;
                    }
                    Ok(())
                }
            }
        });
        self.records = records;
        written
    }

    fn finish(&mut self, out: &mut BytesMut) -> Result<()> {
        if self.widths.is_some() || self.names.is_none() {
            return Ok(());
        }
        let mut last = self.records.saturating_sub(1);
        write_line(FORMAT, &mut last, out, |out| self.start(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;
    use crate::lines::decode_all;

    fn decoder(options: &[(&str, &str)]) -> Box<dyn Decoder + Send> {
        let options: FormatOptions = options.iter().copied().collect();
        Format::FIXEDWIDTH.decoder(&options, 1 << 20).unwrap()
    }

    fn strings(record: &Record) -> Vec<&str> {
        record
            .values()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect()
    }

    #[test]
    fn columns_from_the_header_or_from_widths() {
        let input = "id name   city\n1  Zoë    Oslo\n22 Ada Lo London town\n3\n".as_bytes();
        let rows = decode_all(decoder(&[]), input);
        let rows: Vec<Record> = rows.into_iter().map(Result::unwrap).collect();
        assert_eq!(rows[0].names().collect::<Vec<_>>(), ["id", "name", "city"]);
        assert_eq!(strings(&rows[0]), ["1", "Zoë", "Oslo"]);
        assert_eq!(strings(&rows[1]), ["22", "Ada Lo", "London town"]);
        assert_eq!(strings(&rows[2]), ["3", "", ""]);

        let rows = decode_all(
            decoder(&[("widths", "2,3"), ("header", "false"), ("names", "a,b")]),
            b"12345\n1\n123456\n",
        );
        assert_eq!(strings(rows[0].as_ref().unwrap()), ["12", "345"]);
        assert_eq!(strings(rows[1].as_ref().unwrap()), ["1", ""]);
        let beyond = rows[2].as_ref().unwrap_err();
        assert!(
            beyond.message().contains("beyond the last column"),
            "{beyond}"
        );
        assert_eq!(beyond.position().line, Some(3));
    }

    #[test]
    fn widths_found_from_the_records_read_back() {
        let mut encoder = Format::FIXEDWIDTH
            .encoder(&FormatOptions::default())
            .unwrap();
        let records: Vec<Record> = vec![
            [
                ("id", Value::Int(1)),
                ("name", Value::from("Zoë")),
                ("note", Value::Null),
            ]
            .into_iter()
            .collect(),
            [
                ("id", Value::Int(100_000)),
                ("name", Value::from("Ada L")),
                ("note", Value::from("a long note")),
            ]
            .into_iter()
            .collect(),
        ];
        let mut out = BytesMut::new();
        for r in &records {
            encoder.encode(r, &mut out).unwrap();
        }
        encoder.finish(&mut out).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "id     name  note\n1      Zoë\n100000 Ada L a long note\n"
        );
        let back: Vec<Record> = decode_all(decoder(&[]), &out)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(strings(&back[1]), ["100000", "Ada L", "a long note"]);
        assert_eq!(strings(&back[0]), ["1", "Zoë", ""]);
    }

    #[test]
    fn what_reading_would_change_is_an_error() {
        let mut encoder = Format::FIXEDWIDTH
            .encoder(&FormatOptions::default().with("widths", "3,3"))
            .unwrap();
        let mut out = BytesMut::new();
        let ok: Record = [("a", Value::Int(1)), ("b", Value::from("x"))]
            .into_iter()
            .collect();
        encoder.encode(&ok, &mut out).unwrap();
        let written = out.clone();
        for bad in [Value::from("wide"), Value::from(" pad")] {
            let r: Record = [("a", Value::Int(2)), ("b", bad)].into_iter().collect();
            let error = encoder.encode(&r, &mut out).unwrap_err();
            assert!(error.position().record.is_some());
        }
        assert_eq!(out, written);
        assert_eq!(std::str::from_utf8(&out).unwrap(), "a  b\n1  x\n");
    }
}
