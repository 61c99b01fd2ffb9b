//! Binary COPY rows of text fields rewritten in COPY's text format, so that PostgreSQL
//! parses each field into its column's type itself, as `psql`'s `\copy` has it do: how text
//! (a CSV's fields) goes into an existing table of other column types in one pass, without a
//! staging table and a cast of every value from it.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// The rows of one binary COPY stream as they arrive, in parts cut anywhere: [`push`] gives
/// the text-format lines of the rows complete so far and keeps the rest for the next part.
///
/// [`push`]: TextRows::push
pub(crate) struct TextRows {
    /// Bytes not yet rewritten: a row cut by the end of a part.
    pending: BytesMut,
    /// Header bytes still to skip.
    skip: usize,
    columns: usize,
    /// Rows rewritten so far.
    rows: u64,
    ended: bool,
}

impl TextRows {
    /// The rows of a stream whose header is `header_len` bytes long and whose rows have
    /// `columns` fields each, every one text.
    pub(crate) fn new(header_len: usize, columns: usize) -> TextRows {
        TextRows {
            pending: BytesMut::new(),
            skip: header_len,
            columns,
            rows: 0,
            ended: false,
        }
    }

    /// Takes the next bytes of the stream; gives the complete rows among what has come, as
    /// text-format lines (fields apart by tabs, `\N` for null, backslash escapes).
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<Bytes, String> {
        let skipped = self.skip.min(bytes.len());
        self.skip -= skipped;
        let bytes = &bytes[skipped..];
        if self.pending.is_empty() {
            // Read where the bytes are; only a row they cut short is kept.
            let (lines, used) = self.rows_in(bytes)?;
            self.pending.extend_from_slice(&bytes[used..]);
            return Ok(lines);
        }
        self.pending.extend_from_slice(bytes);
        let mut pending = std::mem::take(&mut self.pending);
        let (lines, used) = self.rows_in(&pending)?;
        pending.advance(used);
        self.pending = pending;
        Ok(lines)
    }

    /// Checks that the stream ended with its end marker.
    pub(crate) fn finish(&self) -> Result<(), String> {
        match self.ended {
            true => Ok(()),
            false => Err(format!(
                "the rows end within row {} or before their end marker",
                self.rows + 1
            )),
        }
    }

    /// The lines of the complete rows at the start of `bytes`, and the bytes they took.
    fn rows_in(&mut self, bytes: &[u8]) -> Result<(Bytes, usize), String> {
        let mut lines = BytesMut::new();
        let mut at = 0;
        while at < bytes.len() {
            if self.ended {
                return Err("bytes after the end of the rows".to_owned());
            }
            let Some(len) = self.row_len(&bytes[at..])? else {
                break;
            };
            if !self.ended {
                write_line(&bytes[at..at + len], &mut lines);
                self.rows += 1;
            }
            at += len;
        }
        Ok((lines.freeze(), at))
    }

    /// The length of the row at the start of `bytes` (of the end marker, which ends the
    /// rows), `None` when it is not all there yet: its field lengths walked, no byte copied.
    fn row_len(&mut self, bytes: &[u8]) -> Result<Option<usize>, String> {
        let Some(&[high, low]) = bytes.get(..2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([high, low]);
        if count == -1 {
            self.ended = true;
            return Ok(Some(2));
        }
        let row = self.rows + 1;
        if usize::try_from(count).ok() != Some(self.columns) {
            return Err(format!(
                "row {row} has {count} fields, not the {} of its columns",
                self.columns
            ));
        }
        let mut at = 2;
        for _ in 0..self.columns {
            let Some(&[a, b, c, d]) = bytes.get(at..at + 4) else {
                return Ok(None);
            };
            at += 4;
            match i32::from_be_bytes([a, b, c, d]) {
                -1 => {}
                len => {
                    let Ok(len) = usize::try_from(len) else {
                        return Err(format!("row {row} has a field of length {len}"));
                    };
                    match at.checked_add(len) {
                        Some(end) if end <= bytes.len() => at = end,
                        _ => return Ok(None),
                    }
                }
            }
        }
        Ok(Some(at))
    }
}

/// Writes `row`, a whole binary COPY row whose lengths [`TextRows::row_len`] walked, as a
/// text-format line.
fn write_line(row: &[u8], lines: &mut BytesMut) {
    lines.reserve(row.len());
    let mut rest = &row[2..];
    let mut first = true;
    while let [a, b, c, d, after @ ..] = rest {
        if !std::mem::take(&mut first) {
            lines.put_u8(b'\t');
        }
        let len = i32::from_be_bytes([*a, *b, *c, *d]);
        match usize::try_from(len) {
            Err(_) => {
                lines.put_slice(b"\\N");
                rest = after;
            }
            Ok(len) => {
                let (text, after) = after.split_at(len);
                escape(text, lines);
                rest = after;
            }
        }
    }
    lines.put_u8(b'\n');
}

/// `text` as a field of COPY's text format: a backslash, newline, carriage return or tab
/// escaped; everything else as it is.
fn escape(text: &[u8], out: &mut BytesMut) {
    let mut from = 0;
    for (at, byte) in text.iter().enumerate() {
        let escaped: &[u8] = match byte {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => continue,
        };
        out.put_slice(&text[from..at]);
        out.put_slice(escaped);
        from = at + 1;
    }
    out.put_slice(&text[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binary COPY stream (a fake header of `header` bytes) of `rows`, `None` for null.
    fn stream(header: usize, rows: &[&[Option<&str>]]) -> Vec<u8> {
        let mut bytes = vec![b'H'; header];
        for row in rows {
            bytes.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for field in *row {
                match field {
                    None => bytes.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(text) => {
                        bytes.extend_from_slice(&(text.len() as i32).to_be_bytes());
                        bytes.extend_from_slice(text.as_bytes());
                    }
                }
            }
        }
        bytes.extend_from_slice(&(-1i16).to_be_bytes());
        bytes
    }

    const ROWS: &[&[Option<&str>]] = &[
        &[Some("1"), Some("Ada"), None],
        &[Some("2"), Some("tab\there\\ and\r\nline"), Some("")],
        &[Some("3"), Some("Кирилл"), Some("\\N")],
    ];

    const TEXT: &str = "1\tAda\t\\N\n\
                        2\ttab\\there\\\\ and\\r\\nline\t\n\
                        3\tКирилл\t\\\\N\n";

    #[test]
    fn rows_become_escaped_text_lines_whatever_the_parts() {
        let bytes = stream(19, ROWS);
        for part in [1, 2, 3, 7, 19, 20, bytes.len()] {
            let mut rows = TextRows::new(19, 3);
            let mut text = Vec::new();
            for chunk in bytes.chunks(part) {
                text.extend_from_slice(&rows.push(chunk).unwrap());
            }
            rows.finish().unwrap();
            assert_eq!(String::from_utf8(text).unwrap(), TEXT, "parts of {part}");
        }
    }

    #[test]
    fn a_stream_cut_short_or_malformed_is_an_error() {
        let bytes = stream(4, ROWS);
        let mut rows = TextRows::new(4, 3);
        rows.push(&bytes[..bytes.len() - 5]).unwrap();
        assert_eq!(
            rows.finish().unwrap_err(),
            "the rows end within row 3 or before their end marker"
        );
        let mut rows = TextRows::new(4, 2);
        assert_eq!(
            rows.push(&bytes).unwrap_err(),
            "row 1 has 3 fields, not the 2 of its columns"
        );
        let mut after = bytes.clone();
        after.push(0);
        let mut rows = TextRows::new(4, 3);
        assert_eq!(
            rows.push(&after).unwrap_err(),
            "bytes after the end of the rows"
        );
    }
}
