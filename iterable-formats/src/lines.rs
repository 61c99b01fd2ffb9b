//! Formats whose records are lines: the input cut into lines once, with positions and the
//! record size limit, for every such format (JSON Lines, LTSV, ...).
//!
//! [`LineSplitter`] finds the lines: it skips a UTF-8 byte order mark and blank lines (of
//! spaces, tabs and the like; and NULs, where a NUL ends a line too), takes a
//! line's `\n` or `\r\n` off, counts bytes, lines and records for positions, and refuses a line
//! over the record size limit in bounded memory (its bytes are dropped as they arrive, and
//! reading goes on with the next line). [`LineDecoder`] puts a [`LineParser`], which turns one
//! line into a record, on top: a line format is its parser and its encoder.

use bytes::{Buf, BytesMut};
use iterable_core::{Decoder, Error, ErrorKind, ParsedBatch, Position, Record, Result};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Cuts an input into lines, sans-IO: see the [module](self).
#[derive(Debug)]
pub struct LineSplitter {
    format: &'static str,
    max_record_size: usize,
    /// How much of the buffer is known to hold no newline.
    scanned: usize,
    /// Dropping the rest of a line that was too long.
    discarding: bool,
    bom_checked: bool,
    /// Bytes taken off the input so far.
    consumed: u64,
    /// Lines taken off the input so far.
    lines: u64,
    /// Records given (or refused) so far.
    records: u64,
    /// A NUL byte ends a line too (GELF over TCP frames its messages so).
    nul_ends_lines: bool,
}

/// A line found by [`LineSplitter::next`]: its content is `buf[..len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Its length, without the line ending.
    pub len: usize,
    /// Its length with the line ending.
    taken: usize,
    /// Where it starts: byte offset, line number and record number (counting this line as a
    /// record).
    pub position: Position,
}

impl LineSplitter {
    /// A splitter for `format` (named in its errors) refusing lines longer than
    /// `max_record_size` bytes.
    pub fn new(format: &'static str, max_record_size: usize) -> LineSplitter {
        LineSplitter {
            format,
            max_record_size: max_record_size.max(1),
            scanned: 0,
            discarding: false,
            bom_checked: false,
            consumed: 0,
            lines: 0,
            records: 0,
            nul_ends_lines: false,
        }
    }

    /// This splitter, with a NUL byte ending a line as a newline does.
    pub fn nul_ends_lines(mut self) -> LineSplitter {
        self.nul_ends_lines = true;
        self
    }

    /// The next line that is not blank, at the front of `buf` (`eof`: the input is over, so a
    /// last line without `\n` counts); `None` when more input is needed, or at the end. The
    /// caller reads the line, then takes it off with [`LineSplitter::consume`].
    ///
    /// A line over the limit is a recoverable [`ErrorKind::LimitExceeded`] error naming it,
    /// and is skipped.
    pub fn next(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Line>> {
        if !self.bom_checked {
            if buf.len() < BOM.len() && BOM.starts_with(buf) && !eof {
                return Ok(None);
            }
            if buf.starts_with(BOM) {
                self.take(buf, BOM.len());
            }
            self.bom_checked = true;
        }
        loop {
            let rest = &buf[self.scanned..];
            let newline = match self.nul_ends_lines {
                false => memchr::memchr(b'\n', rest),
                true => memchr::memchr2(b'\n', 0, rest),
            }
            .map(|i| self.scanned + i);
            let end = match newline {
                Some(i) => i,
                None if eof && !buf.is_empty() => buf.len(),
                None => {
                    self.scanned = buf.len();
                    if self.discarding {
                        let n = buf.len();
                        self.take(buf, n);
                    } else if buf.len() > self.max_record_size {
                        // Drop what there is of the line, and the rest as it arrives.
                        let error = self.too_long();
                        self.discarding = true;
                        let n = buf.len();
                        self.take(buf, n);
                        return Err(error);
                    }
                    return Ok(None);
                }
            };
            let taken = (end + 1).min(buf.len());
            if std::mem::take(&mut self.discarding) {
                self.take_line(buf, taken);
                continue;
            }
            if end > self.max_record_size {
                let error = self.too_long();
                self.take_line(buf, taken);
                return Err(error);
            }
            let nul_ends_lines = self.nul_ends_lines;
            if buf[..end]
                .iter()
                .all(|&b| b.is_ascii_whitespace() || (nul_ends_lines && b == 0))
            {
                self.take_line(buf, taken);
                continue;
            }
            let len = if end > 0 && buf[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            return Ok(Some(Line {
                len,
                taken,
                position: Position {
                    byte: Some(self.consumed),
                    line: Some(self.lines + 1),
                    record: Some(self.records + 1),
                },
            }));
        }
    }

    /// Takes `line` (the last one [`LineSplitter::next`] gave) off the front of `buf`;
    /// `record` says whether it held a record (a header line does not), for the record numbers
    /// of the lines after it.
    pub fn consume(&mut self, buf: &mut BytesMut, line: Line, record: bool) {
        self.take_line(buf, line.taken);
        self.records += u64::from(record);
    }

    fn take(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.consumed += n as u64;
        self.scanned = 0;
    }

    fn take_line(&mut self, buf: &mut BytesMut, n: usize) {
        self.take(buf, n);
        self.lines += 1;
    }

    /// The error for the current line, which is over the limit.
    fn too_long(&mut self) -> Error {
        let error = Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "line is longer than the maximum record size of {} bytes",
                self.max_record_size
            ),
        )
        .with_format(self.format)
        .at(Position {
            byte: Some(self.consumed),
            line: Some(self.lines + 1),
            record: Some(self.records + 1),
        })
        .recoverable();
        self.records += 1;
        error
    }
}

/// Turns one line of a line format into a record.
pub trait LineParser {
    /// The format's name, for errors.
    const FORMAT: &'static str;

    /// The record on `line` (its content, without the line ending) found at `position`, or
    /// `None` for a line that holds no record (a header). An error is about this line alone:
    /// the decoder adds the line's position unless the error has one, and reading goes on with
    /// the next line.
    fn parse(&mut self, line: &[u8], position: Position) -> Result<Option<Record>>;

    /// [`LineParser::parse`], but the record is parsed into `batch` rather than built
    /// ([`Decoder::decode_into`]): true when the line held a record, which is then pushed
    /// whole; nothing is pushed for a line without one, or on an error. The default builds the
    /// record with [`LineParser::parse`] and pushes that.
    fn parse_into(
        &mut self,
        line: &[u8],
        position: Position,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        let record = self.parse(line, position)?;
        Ok(record.map(|record| batch.push_built(&record)).is_some())
    }
}

/// A decoder for a line format: a [`LineSplitter`] and a [`LineParser`].
///
/// A line the parser refuses is a recoverable error with the line's byte offset, line and
/// record number; the next call goes on with the next line.
#[derive(Debug)]
pub struct LineDecoder<P> {
    splitter: LineSplitter,
    parser: P,
}

impl<P: LineParser> LineDecoder<P> {
    /// A decoder of lines with `parser`, refusing lines longer than `max_record_size`.
    pub fn with_parser(parser: P, max_record_size: usize) -> LineDecoder<P> {
        LineDecoder {
            splitter: LineSplitter::new(P::FORMAT, max_record_size),
            parser,
        }
    }

    /// The next line's record, made by `parse` (which gives `None` for a line without one).
    fn next<T>(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        mut parse: impl FnMut(&mut P, &[u8], Position) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        while let Some(line) = self.splitter.next(buf, eof)? {
            let parsed = parse(&mut self.parser, &buf[..line.len], line.position);
            self.splitter
                .consume(buf, line, !matches!(parsed, Ok(None)));
            match parsed {
                Ok(Some(record)) => return Ok(Some(record)),
                Ok(None) => {}
                Err(error) => {
                    let error = if error.position().is_unknown() {
                        error.at(line.position)
                    } else {
                        error
                    };
                    return Err(error.with_format(P::FORMAT).recoverable());
                }
            }
        }
        Ok(None)
    }
}

impl<P: LineParser> Decoder for LineDecoder<P> {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, false, P::parse)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next(buf, true, P::parse)
    }

    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        let parsed = self.next(buf, eof, |parser, line, position| {
            Ok(parser.parse_into(line, position, batch)?.then_some(()))
        })?;
        Ok(parsed.is_some())
    }
}

/// The byte offset `offset` into the line found at `line`, as a position.
pub fn within(line: Position, offset: usize) -> Position {
    Position {
        byte: line.byte.map(|b| b + offset as u64),
        ..line
    }
}

/// The complete lines of `head` (an input's first bytes; all of it when `complete`) that are
/// not blank, without their `\r`, at most `most` of them: what a line format's sniffer reads.
pub fn head_lines(head: &[u8], complete: bool, most: usize) -> Vec<&[u8]> {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let mut lines: Vec<&[u8]> = head.split(|&b| b == b'\n').collect();
    if !complete {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .take(most)
        .collect()
}

/// Writes one record of a line format with `write`, counting it: on an error, what `write`
/// appended is taken back and the error (an [`ErrorKind::InvalidRecord`] saying why) names
/// the format and the record.
pub fn write_line(
    format: &'static str,
    records: &mut u64,
    out: &mut BytesMut,
    write: impl FnOnce(&mut BytesMut) -> std::result::Result<(), String>,
) -> Result<()> {
    *records += 1;
    let start = out.len();
    write(out).map_err(|why| {
        out.truncate(start);
        Error::new(ErrorKind::InvalidRecord, why)
            .with_format(format)
            .at(Position {
                record: Some(*records),
                ..Position::default()
            })
    })
}

/// The first name of `names` that comes again, if any: a scan for a few names, a set for
/// many (so that a hostile line of a million names costs no more than its length).
pub fn first_repeated<'a>(names: impl Iterator<Item = &'a str> + Clone) -> Option<&'a str> {
    if names.clone().nth(16).is_none() {
        return names
            .clone()
            .enumerate()
            .find(|&(i, n)| names.clone().take(i).any(|m| m == n))
            .map(|(_, n)| n);
    }
    let mut seen = std::collections::HashSet::new();
    names.into_iter().find(|n| !seen.insert(*n))
}

/// The kind, position and recoverability of every error `decoder` makes of `input`, given
/// whole (for the formats' tests).
#[cfg(test)]
pub(crate) fn error_positions(
    decoder: impl Decoder,
    input: &[u8],
) -> Vec<(ErrorKind, Position, bool)> {
    decode_all(decoder, input)
        .into_iter()
        .filter_map(|r| r.err())
        .map(|e| (e.kind(), e.position(), e.is_recoverable()))
        .collect()
}

/// The position of a binary format's record: its byte offset and number (for the formats'
/// tests).
#[cfg(test)]
pub(crate) fn at(byte: u64, record: u64) -> Position {
    Position {
        byte: Some(byte),
        record: Some(record),
        ..Position::default()
    }
}

/// Every record and error `decoder` makes of `input`, given whole (for the formats' tests).
#[cfg(test)]
pub(crate) fn decode_all(mut decoder: impl Decoder, input: &[u8]) -> Vec<Result<Record>> {
    let mut buf = BytesMut::from(input);
    let mut out = Vec::new();
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(r)) => out.push(Ok(r)),
            Ok(None) => return out,
            Err(e) => out.push(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<std::result::Result<(Vec<u8>, Position), Error>> {
        let mut splitter = LineSplitter::new("test", max);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match splitter.next(&mut buf, true) {
                Ok(Some(line)) => {
                    out.push(Ok((buf[..line.len].to_vec(), line.position)));
                    splitter.consume(&mut buf, line, true);
                }
                Ok(None) => return out,
                Err(e) => out.push(Err(e)),
            }
        }
    }

    #[test]
    fn lines_lose_their_endings_and_blank_lines_are_skipped() {
        let got = lines(b"\xEF\xBB\xBFa\r\n\n  \r\nb\nc", 100);
        let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got[0].0, b"a");
        assert_eq!(
            got[0].1,
            Position {
                byte: Some(3),
                line: Some(1),
                record: Some(1)
            }
        );
        assert_eq!(got[1].0, b"b");
        assert_eq!(
            got[1].1,
            Position {
                byte: Some(11),
                line: Some(4),
                record: Some(2)
            }
        );
        assert_eq!(got[2].0, b"c");
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn a_long_line_is_an_error_and_the_next_line_is_read() {
        let got = lines(b"ok\nxxxxxxxxxxxx\nfine\n", 5);
        assert_eq!(got[0].as_ref().unwrap().0, b"ok");
        let error = got[1].as_ref().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
        assert_eq!(error.position().line, Some(2));
        assert!(error.is_recoverable());
        let (line, position) = got[2].as_ref().unwrap();
        assert_eq!(line, b"fine");
        assert_eq!(position.record, Some(3));
    }
}
