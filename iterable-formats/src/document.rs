//! Formats read as one whole document (TOML, INI, YAML): the input is gathered, within the
//! record size limit, then parsed at its end into all its records, given one at a time.
//!
//! A [`DocumentParser`] turns the document's text into records (or errors, in order); the
//! [`DocumentDecoder`] gathers the bytes, refuses a document over the limit, drops a UTF-8
//! byte order mark and refuses text that is not UTF-8, with its offset.

use bytes::{Buf, BytesMut};
use iterable_core::{Decoder, Error, ErrorKind, Position, Record, Result};
use std::collections::VecDeque;

/// Turns a whole document into its records.
pub trait DocumentParser {
    /// The format's name, for errors.
    const FORMAT: &'static str;

    /// The records of `text`, and errors in their place: an error the document cannot be read
    /// past comes last.
    fn parse(&mut self, text: &str) -> VecDeque<Result<Record>>;
}

/// A decoder of a format read whole: see the [module](self).
#[derive(Debug)]
pub struct DocumentDecoder<P> {
    parser: P,
    max_record_size: usize,
    document: Vec<u8>,
    /// The records, once the document has been parsed.
    records: Option<VecDeque<Result<Record>>>,
}

impl<P: DocumentParser> DocumentDecoder<P> {
    /// A decoder of documents with `parser`, refusing documents longer than
    /// `max_record_size` bytes.
    pub fn with_parser(parser: P, max_record_size: usize) -> DocumentDecoder<P> {
        DocumentDecoder {
            parser,
            max_record_size: max_record_size.max(1),
            document: Vec::new(),
            records: None,
        }
    }

    fn parse(&mut self) -> VecDeque<Result<Record>> {
        let bytes = std::mem::take(&mut self.document);
        let bytes = bytes.strip_prefix(crate::csv::BOM).unwrap_or(&bytes);
        match std::str::from_utf8(bytes) {
            Ok(text) => self.parser.parse(text),
            Err(e) => VecDeque::from([Err(Error::parse(
                P::FORMAT,
                "the document is not UTF-8 text",
            )
            .at(Position {
                byte: Some(e.valid_up_to() as u64),
                ..Position::default()
            }))]),
        }
    }
}

impl<P: DocumentParser> Decoder for DocumentDecoder<P> {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        if self.records.is_none() {
            self.document.extend_from_slice(buf);
            buf.advance(buf.len());
            if self.document.len() > self.max_record_size {
                self.document = Vec::new();
                self.records = Some(VecDeque::new());
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "the document is longer than the maximum record size of {} bytes",
                        self.max_record_size
                    ),
                )
                .with_format(P::FORMAT));
            }
            return Ok(None);
        }
        buf.clear();
        self.records
            .as_mut()
            .and_then(VecDeque::pop_front)
            .transpose()
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        if self.records.is_none() {
            self.decode(buf)?;
            if self.records.is_none() {
                self.records = Some(self.parse());
            }
        }
        buf.clear();
        self.records
            .as_mut()
            .and_then(VecDeque::pop_front)
            .transpose()
    }
}
