//! INI files (`ini`), on the rust-ini crate: each section a record, its name in a `_section`
//! field (first), then its keys in their order, every value a string; keys before the first
//! section make a record whose `_section` is null. A key given twice in a section makes an
//! array of its values (never one of them dropped). Quotes and escapes are rust-ini's
//! (`\n`, `\;`, ...); comments (`;`, `#`) are skipped.
//!
//! The document is read whole (within the record size limit) before its first record: INI
//! files are small, and a section may only be known whole at the document's end. A line the
//! parser refuses is an error naming it, which ends the read.
//!
//! Written a section per record, with rust-ini's escaping: `_section` names it (null or absent:
//! keys before any section, which only the first record may have); other values are their text
//! (nested values as JSON, an array as the key repeated). A record without a name after the
//! first is an error naming it.

use crate::document::{DocumentDecoder, DocumentParser};
use crate::registry::{FormatOptions, FormatSpec, Sniffed};
use crate::text;
use bytes::BytesMut;
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, FormatInfo, Position, Record, Result, Value,
};
use std::collections::VecDeque;

/// INI in the format registry.
pub struct IniFormat;

/// The registry's INI.
pub static INI: IniFormat = IniFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "ini";

/// The field that names a record's section.
pub const SECTION: &str = "_section";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &[],
    extensions: &["ini"],
    mime_types: &[],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "INI files: each [section] a record, named in _section",
};

impl FormatSpec for IniFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    /// A first line (after comments) that is a `[section]`, and a `key=value` line after it: 60.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let lines = crate::lines::head_lines(head, complete, 40);
        let mut lines = lines
            .iter()
            .map(|l| l.trim_ascii())
            .filter(|l| !l.starts_with(b";") && !l.starts_with(b"#"));
        let first = lines.next()?;
        let section = first.starts_with(b"[") && first.ends_with(b"]") && first.len() > 2;
        let pair = lines
            .next()
            .is_some_and(|l| memchr::memchr(b'=', l).is_some_and(|i| i > 0));
        (section && pair).then(|| Sniffed::with(60))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(IniDecoder::new(max_record_size)))
    }

    fn encoder(&self, _options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(IniEncoder::default()))
    }
}

/// Decodes an INI document: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::ini::IniDecoder;
///
/// let mut decoder = IniDecoder::new(1 << 20);
/// let mut buf = BytesMut::from("; settings\n[server]\nhost = example.com\nport=8080\nalias=a\nalias=b\n");
/// let server = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!(server.get("_section").and_then(Value::as_str), Some("server"));
/// assert_eq!(server.get("port").and_then(Value::as_str), Some("8080"));
/// assert_eq!(server.get("alias"), Some(&Value::Array(vec!["a".into(), "b".into()])));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub type IniDecoder = DocumentDecoder<IniParser>;

impl IniDecoder {
    /// A decoder refusing documents longer than `max_record_size` bytes.
    pub fn new(max_record_size: usize) -> IniDecoder {
        DocumentDecoder::with_parser(IniParser, max_record_size)
    }
}

/// An INI document into its records (the [`DocumentParser`] of [`IniDecoder`]).
#[derive(Debug, Default)]
pub struct IniParser;

impl DocumentParser for IniParser {
    const FORMAT: &'static str = FORMAT;

    fn parse(&mut self, text: &str) -> VecDeque<Result<Record>> {
        sections(text).map_or_else(
            |error| VecDeque::from([Err(error)]),
            |records| records.into_iter().map(Ok).collect(),
        )
    }
}

/// The records of an INI document.
fn sections(text: &str) -> Result<VecDeque<Record>> {
    let ini = ini::Ini::load_from_str(text).map_err(|e| {
        Error::parse(FORMAT, e.msg.to_string()).at(Position {
            line: Some(e.line as u64),
            ..Position::default()
        })
    })?;
    let mut records = VecDeque::new();
    for (section, properties) in ini.iter() {
        if section.is_none() && properties.is_empty() {
            continue;
        }
        let mut record = Record::new();
        record.insert(SECTION, section.map_or(Value::Null, Value::from));
        for (key, value) in properties.iter() {
            if key == SECTION {
                return Err(Error::parse(
                    FORMAT,
                    format!("the key {SECTION} would hide the section's name"),
                ));
            }
            match record.get_mut(key) {
                Some(Value::Array(values)) => values.push(Value::from(value)),
                Some(first) => {
                    let first = std::mem::take(first);
                    record.insert(key, Value::Array(vec![first, Value::from(value)]));
                }
                None => {
                    record.insert(key, value);
                }
            }
        }
        records.push_back(record);
    }
    Ok(records)
}

/// Encodes records as INI sections: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::ini::IniEncoder;
///
/// let r: Record = [("_section", Value::from("db")), ("port", Value::Int(5432)), ("note", Value::from("a;b"))].into_iter().collect();
/// let mut out = BytesMut::new();
/// IniEncoder::default().encode(&r, &mut out)?;
/// assert_eq!(std::str::from_utf8(&out).unwrap(), "[db]\nport=5432\nnote=a;b\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct IniEncoder {
    records: u64,
}

impl IniEncoder {
    fn write(record: &Record, first: bool, out: &mut BytesMut) -> std::result::Result<(), String> {
        let section = match record.get(SECTION) {
            None | Some(Value::Null) if !first => {
                return Err(format!(
                    "only the first record may have no {SECTION}: the keys before any section"
                ));
            }
            None | Some(Value::Null) => None,
            Some(name) => Some(text::to_text(name)?),
        };
        let mut ini = ini::Ini::new();
        let mut setter = ini.with_section(section.clone());
        for (key, value) in record.iter() {
            if key == SECTION {
                continue;
            }
            let values = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for value in values {
                setter.add(key, text::to_text(value)?);
            }
        }
        if section.is_some() || record.len() > 1 {
            let mut bytes = Vec::new();
            ini.write_to(&mut bytes).map_err(|e| e.to_string())?;
            out.extend_from_slice(&bytes);
        }
        Ok(())
    }
}

impl Encoder for IniEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        let first = self.records == 0;
        crate::lines::write_line(FORMAT, &mut self.records, out, |out| {
            IniEncoder::write(record, first, out)
        })
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}
