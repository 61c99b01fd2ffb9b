//! `CsvDecoder`: rows of delimited text into records, on csv-core.

use super::{BOM, CsvOptions, FORMAT, RaggedRows, column_name, sniff_delimiter};
use bytes::{Buf, BytesMut};
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use iterable_core::{
    CompactString, Decoder, Error, ErrorKind, Fields, ParsedBatch, Position, Record, Result, Value,
};

use crate::SNIFF_BYTES;

/// When the delimiter is sniffed, the decoder waits for [`SNIFF_BYTES`] bytes, or this many
/// lines, or the end of the input, before it decides.
const SNIFF_LINES: usize = 50;

/// Decodes delimited text: see [`CsvOptions`] for the dialect.
///
/// Field names come from the header row, from [`CsvOptions::field_names`], or are generated
/// (`column_1`, ...); every row shares them. Rows are never longer than `max_record_size`
/// bytes: a longer one (an unterminated quote, a gigabyte without a newline) is a fatal
/// [`ErrorKind::LimitExceeded`] error rather than an out-of-memory kill.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::csv::{CsvDecoder, CsvOptions};
///
/// let mut decoder = CsvDecoder::new(CsvOptions::default(), 1 << 20);
/// let mut buf = BytesMut::from(&b"id;name\r\n1;\"Ada; Countess\"\r\n"[..]);
/// let record = decoder.decode_eof(&mut buf)?.unwrap();
/// assert_eq!(record.get("name"), Some(&Value::from("Ada; Countess")));
/// assert_eq!(decoder.delimiter(), Some(b';'));
/// assert!(decoder.decode_eof(&mut buf)?.is_none());
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct CsvDecoder {
    options: CsvOptions,
    max_record_size: usize,
    /// Boxed: csv-core keeps its DFA tables inline, hundreds of bytes.
    reader: Box<Reader>,
    /// The delimiter is known and `reader` is built with it.
    configured: bool,
    bom_checked: bool,
    /// The input's header row is still to be read.
    header_row_pending: bool,
    header: Option<Fields>,
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    /// Bytes of the current row have been fed to the reader.
    in_record: bool,
    /// Bytes taken off the input so far.
    consumed: u64,
    /// Where the current row starts.
    start: Position,
    /// Data rows seen so far, good or bad.
    records: u64,
}

impl CsvDecoder {
    /// A decoder for `options`, refusing rows longer than `max_record_size` bytes.
    pub fn new(options: CsvOptions, max_record_size: usize) -> CsvDecoder {
        let header = options
            .field_names
            .as_ref()
            .map(|names| Fields::new(names.iter().map(String::as_str)));
        CsvDecoder {
            header_row_pending: options.has_header,
            header,
            reader: Box::new(Reader::new()),
            configured: false,
            bom_checked: false,
            max_record_size: max_record_size.max(1),
            options,
            out: vec![0; 1024],
            ends: vec![0; 64],
            out_len: 0,
            ends_len: 0,
            in_record: false,
            consumed: 0,
            start: Position::default(),
            records: 0,
        }
    }

    /// The delimiter: the one given, or the one sniffed once enough input was seen.
    pub fn delimiter(&self) -> Option<u8> {
        self.options.delimiter
    }

    /// The field names, once known.
    pub fn header(&self) -> Option<&Fields> {
        self.header.as_ref()
    }

    fn configure(&mut self, buf: &BytesMut, eof: bool) -> bool {
        let delimiter = match self.options.delimiter {
            Some(d) => d,
            None => {
                let enough = buf.len() >= SNIFF_BYTES
                    || memchr::memchr_iter(b'\n', buf).take(SNIFF_LINES).count() == SNIFF_LINES;
                if !enough && !eof {
                    return false;
                }
                sniff_delimiter(&buf[..buf.len().min(SNIFF_BYTES)], self.options.quote)
            }
        };
        self.options.delimiter = Some(delimiter);
        *self.reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .quote(self.options.quote)
            .escape(self.options.escape)
            .double_quote(self.options.double_quote)
            .comment(self.options.comment)
            .build();
        self.configured = true;
        true
    }

    fn next<O: RowOut>(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        out: &mut O,
    ) -> Result<Option<O::Row>> {
        if !self.bom_checked {
            if buf.len() < BOM.len() && BOM.starts_with(buf) && !eof {
                return Ok(None);
            }
            if buf.starts_with(BOM) {
                self.take(buf, BOM.len());
            }
            self.bom_checked = true;
        }
        if !self.configured && !self.configure(buf, eof) {
            return Ok(None);
        }
        loop {
            if !self.in_record {
                self.skip_line_ends(buf);
                self.start = Position {
                    byte: Some(self.consumed),
                    line: Some(self.reader.line()),
                    record: None,
                };
            }
            if buf.is_empty() && !eof {
                // csv-core takes an empty input as the end of the file: never feed one early.
                return Ok(None);
            }
            if buf.is_empty() && self.in_record {
                // csv-core ends a record at the end of the input even inside quotes; a newline
                // tells the two apart: it ends a complete record, a quoted field swallows it.
                let (result, nin, nout, nend) = self.reader.read_record(
                    b"\n",
                    &mut self.out[self.out_len..],
                    &mut self.ends[self.ends_len..],
                );
                self.out_len += nout;
                self.ends_len += nend;
                match result {
                    ReadRecordResult::Record => match self.finish_row(out)? {
                        Some(record) => return Ok(Some(record)),
                        None => continue,
                    },
                    ReadRecordResult::OutputFull => self.grow_out()?,
                    ReadRecordResult::OutputEndsFull => self.grow_ends()?,
                    _ if nin == 1 => return Err(self.truncated()),
                    _ => {}
                }
                continue;
            }
            let (result, nin, nout, nend) = self.reader.read_record(
                buf,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            self.take(buf, nin);
            self.out_len += nout;
            self.ends_len += nend;
            self.in_record |= nin > 0;
            match result {
                ReadRecordResult::InputEmpty if !eof => return Ok(None),
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.grow_out()?,
                ReadRecordResult::OutputEndsFull => self.grow_ends()?,
                ReadRecordResult::Record => {
                    if let Some(record) = self.finish_row(out)? {
                        return Ok(Some(record));
                    }
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    fn take(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.consumed += n as u64;
    }

    /// Skips the line ends before a row, so that its position is its first byte and line.
    fn skip_line_ends(&mut self, buf: &mut BytesMut) {
        let skip = buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        if skip > 0 {
            let newlines = buf[..skip].iter().filter(|&&b| b == b'\n').count() as u64;
            self.reader.set_line(self.reader.line() + newlines);
            self.take(buf, skip);
        }
    }

    fn grow_out(&mut self) -> Result<()> {
        if self.out.len() >= self.max_record_size {
            return Err(self.too_large());
        }
        let len = self.out.len().saturating_mul(2).min(self.max_record_size);
        self.out.resize(len, 0);
        Ok(())
    }

    fn grow_ends(&mut self) -> Result<()> {
        if self.ends.len().saturating_mul(size_of::<usize>()) >= self.max_record_size {
            return Err(self.too_large());
        }
        let len = self.ends.len().saturating_mul(2);
        self.ends.resize(len, 0);
        Ok(())
    }

    fn truncated(&self) -> Error {
        Error::parse(
            FORMAT,
            "the input ends inside a quoted field (is it cut short?)",
        )
        .at(Position {
            record: Some(self.records + 1),
            ..self.start
        })
    }

    fn too_large(&self) -> Error {
        Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "row is longer than the maximum record size of {} bytes (an unterminated quote?)",
                self.max_record_size
            ),
        )
        .with_format(FORMAT)
        .at(Position {
            record: Some(self.records + 1),
            ..self.start
        })
    }

    /// Turns the row just read into a record (through `out`), or into the header (then
    /// `None`).
    fn finish_row<O: RowOut>(&mut self, out: &mut O) -> Result<Option<O::Row>> {
        let (out_len, ends_len) = (self.out_len, self.ends_len);
        self.out_len = 0;
        self.ends_len = 0;
        self.in_record = false;
        if self.header_row_pending {
            self.header_row_pending = false;
            if self.header.is_none() {
                let names = self
                    .row_strings(out_len, ends_len)
                    .map_err(|e| Error::new(ErrorKind::Parse, e))?;
                self.header = Some(Fields::new(names));
            }
            return Ok(None);
        }
        self.records += 1;
        let position = Position {
            record: Some(self.records),
            ..self.start
        };
        let fail = |message: String| Error::parse(FORMAT, message).at(position).recoverable();
        let header = &*self
            .header
            .get_or_insert_with(|| Fields::new((0..ends_len).map(column_name)));
        let text = std::str::from_utf8(&self.out[..out_len]).map_err(|e| {
            fail(format!(
                "invalid UTF-8 at byte {} of the row",
                e.valid_up_to()
            ))
        })?;
        if ends_len != header.len() && self.options.ragged == RaggedRows::Error {
            return Err(fail(format!(
                "the row has {} but the header has {}",
                count_fields(ends_len),
                count_fields(header.len())
            )));
        }
        let ends = &self.ends[..ends_len];
        if !ends.iter().all(|&end| text.is_char_boundary(end)) {
            return Err(fail("field splits a character".into()));
        }
        let longer;
        let fields = if ends_len > header.len() {
            longer = Fields::new(
                header
                    .iter()
                    .map(str::to_owned)
                    .chain((header.len()..ends_len).map(column_name)),
            );
            &longer
        } else {
            header
        };
        Ok(Some(out.row(fields, text, ends)))
    }

    fn row_strings(&self, out_len: usize, ends_len: usize) -> Result<Vec<String>, String> {
        let text = std::str::from_utf8(&self.out[..out_len]).map_err(|e| {
            format!(
                "csv: the header row is not UTF-8 (byte {})",
                e.valid_up_to()
            )
        })?;
        let mut start = 0;
        let mut names = Vec::with_capacity(ends_len);
        for &end in &self.ends[..ends_len] {
            names.push(text.get(start..end).unwrap_or_default().to_owned());
            start = end;
        }
        Ok(names)
    }
}

fn count_fields(n: usize) -> String {
    if n == 1 {
        "1 field".to_owned()
    } else {
        format!("{n} fields")
    }
}

impl Decoder for CsvDecoder {
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

/// Where a row goes once read and checked: `fields` name its fields, `text[..ends[0]]` is the
/// first, `text[ends[0]..ends[1]]` the second, and so on (every end a character boundary);
/// fields past the last end are null.
trait RowOut {
    /// What a row becomes.
    type Row;
    fn row(&mut self, fields: &Fields, text: &str, ends: &[usize]) -> Self::Row;
}

/// Rows built into records.
struct Build;

impl RowOut for Build {
    type Row = Record;
    fn row(&mut self, fields: &Fields, text: &str, ends: &[usize]) -> Record {
        let mut values = Vec::with_capacity(fields.len());
        let mut start = 0;
        for &end in ends {
            values.push(Value::String(CompactString::from(
                text.get(start..end).unwrap_or_default(),
            )));
            start = end;
        }
        values.resize(fields.len(), Value::Null);
        // The counts match by construction; an empty record is the impossible fallback.
        Record::with_fields(fields.clone(), values).unwrap_or_default()
    }
}

/// Rows parsed into a batch, to be built on another thread.
struct Parse<'b>(&'b mut ParsedBatch);

impl RowOut for Parse<'_> {
    type Row = ();
    fn row(&mut self, fields: &Fields, text: &str, ends: &[usize]) {
        self.0.push_record(fields);
        self.0.push_strs(text, ends);
        for _ in ends.len()..fields.len() {
            self.0.push_value(&Value::Null);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], options: CsvOptions) -> Vec<Result<Record>> {
        let mut decoder = CsvDecoder::new(options, 1 << 20);
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

    fn strings(r: &Record) -> Vec<(String, String)> {
        r.iter()
            .map(|(k, v)| (k.to_owned(), v.as_str().unwrap_or("<null>").to_owned()))
            .collect()
    }

    #[test]
    fn header_names_every_row() {
        let rows = decode_all(b"a,b\n1,2\n3,4", CsvOptions::default());
        let rows: Vec<_> = rows.into_iter().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].fields().ptr_eq(rows[1].fields()));
        assert_eq!(
            strings(&rows[1]),
            [("a".into(), "3".into()), ("b".into(), "4".into())]
        );
    }

    #[test]
    fn short_row_names_its_line_and_reading_goes_on() {
        let rows = decode_all(b"a,b\r\n1,2\r\n\r\n3\r\n5,6\r\n", CsvOptions::default());
        assert_eq!(rows.len(), 3);
        let err = rows[1].as_ref().unwrap_err();
        assert!(err.is_recoverable());
        assert_eq!(
            err.position(),
            Position {
                byte: Some(12),
                line: Some(4),
                record: Some(2)
            }
        );
        assert_eq!(
            err.message(),
            "the row has 1 field but the header has 2 fields"
        );
        assert_eq!(strings(rows[2].as_ref().unwrap())[1].1, "6");
    }

    #[test]
    fn lenient_rows_pad_and_keep() {
        let options = CsvOptions {
            ragged: RaggedRows::Lenient,
            ..CsvOptions::default()
        };
        let rows = decode_all(b"a,b\n1\n1,2,3\n", options);
        let short = rows[0].as_ref().unwrap();
        assert_eq!(short.get("b"), Some(&Value::Null));
        let long = rows[1].as_ref().unwrap();
        assert_eq!(long.get("column_3"), Some(&Value::from("3")));
    }

    #[test]
    fn given_names_replace_the_header_row() {
        let options = CsvOptions {
            field_names: Some(vec!["x".into(), "y".into()]),
            ..CsvOptions::default()
        };
        let rows = decode_all(b"a,b\n1,2\n", options);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            strings(rows[0].as_ref().unwrap())[0],
            ("x".into(), "1".into())
        );
    }

    #[test]
    fn no_header_generates_names() {
        let options = CsvOptions {
            has_header: false,
            ..CsvOptions::default()
        };
        let rows = decode_all(b"1,2\n", options);
        assert_eq!(
            rows[0].as_ref().unwrap().names().collect::<Vec<_>>(),
            ["column_1", "column_2"]
        );
    }

    #[test]
    fn bom_comments_quotes_and_escapes() {
        let options = CsvOptions {
            comment: Some(b'#'),
            escape: Some(b'\\'),
            ..CsvOptions::default()
        };
        let rows = decode_all(
            b"\xEF\xBB\xBFa,b\n# note\n\"x \\\"y\\\"\",\"multi\nline\"\n",
            options,
        );
        let r = rows[0].as_ref().unwrap();
        assert_eq!(r.get("a"), Some(&Value::from("x \"y\"")));
        assert_eq!(r.get("b"), Some(&Value::from("multi\nline")));
    }

    #[test]
    fn an_input_ending_inside_quotes_is_truncated() {
        let rows = decode_all(b"a,b\n1,\"x\n", CsvOptions::default());
        let err = rows[0].as_ref().unwrap_err();
        assert!(!err.is_recoverable());
        assert_eq!(
            err.position(),
            Position {
                byte: Some(4),
                line: Some(2),
                record: Some(1)
            }
        );
        // a closed quote at the very end is fine, and so is a last row without newline
        let rows = decode_all(b"a,b\n1,\"x\"", CsvOptions::default());
        assert_eq!(rows[0].as_ref().unwrap().get("b"), Some(&Value::from("x")));
        let rows = decode_all(b"a,b\n1,2", CsvOptions::default());
        assert_eq!(rows[0].as_ref().unwrap().get("b"), Some(&Value::from("2")));
    }

    #[test]
    fn invalid_utf8_is_recoverable() {
        let rows = decode_all(b"a\n\xff\nok\n", CsvOptions::default());
        assert!(rows[0].as_ref().unwrap_err().is_recoverable());
        assert_eq!(rows[1].as_ref().unwrap().get("a"), Some(&Value::from("ok")));
    }

    #[test]
    fn unterminated_quote_hits_the_limit() {
        let options = CsvOptions {
            delimiter: Some(b','),
            ..CsvOptions::default()
        };
        let mut decoder = CsvDecoder::new(options, 4096);
        let mut buf = BytesMut::from(&b"a\n\"never closed"[..]);
        buf.extend_from_slice(&[b'x'; 10_000]);
        let err = decoder.decode(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert_eq!(err.position().line, Some(2));
        assert!(!err.is_recoverable());
    }
}
