//! Writing an Excel workbook of one sheet, streamed in bounded memory: [`XlsxEncoder`].
//!
//! The workbook is a zip of small fixed parts and the sheet, written here as it comes
//! (inline strings, no shared string table), each row deflated into the output as soon as it
//! is encoded, so memory holds a row, not the sheet. (rust_xlsxwriter's bounded-memory mode
//! writes the rows to temporary files it opens itself, which a sans-IO encoder must not,
//! and gives the file only whole at the end.)

use super::column_letters;
use crate::registry::FormatOptions;
use crate::zip::ZipWriter;
use bytes::BytesMut;
use iterable_core::{Encoder, Error, ErrorKind, Position, Record, Result, Schema, Value};
use std::io::Write as _;

/// The format's name in errors.
const FORMAT: &str = "xlsx";

/// The rows of a sheet, its header's included.
const MAX_ROWS: u64 = 1_048_576;

/// The columns of a sheet.
const MAX_COLUMNS: usize = 16_384;

/// The characters of a cell's text.
const MAX_TEXT: usize = 32_767;

/// Excel's serial number of 1970-01-01 (in its 1900 date system).
const UNIX_EPOCH: f64 = 25_569.0;

/// The first day Excel's serial numbers get right (1900-03-01: before it, Excel counts a
/// 29 February 1900 that was not).
const FIRST_DAY: i64 = 61;

/// The last day Excel has: 9999-12-31.
const LAST_DAY: i64 = 2_958_465;

/// The cell styles of `styles.xml`, by index: a date, a date-time, a time.
const DATE_STYLE: u8 = 1;
const DATE_TIME_STYLE: u8 = 2;
const TIME_STYLE: u8 = 3;

/// The write options (`-O KEY=VALUE`).
pub(super) static WRITE_OPTIONS: &[crate::registry::OptionInfo] = &[
    crate::registry::OptionInfo {
        key: "sheet",
        default: "Sheet1",
        help: "the sheet's name",
    },
    crate::registry::OptionInfo {
        key: "infer_rows",
        default: "1000",
        help: "records whose fields make the columns (the header row), without a schema",
    },
];

const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="xml" ContentType="application/xml"/>"#,
    r#"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
    r#"<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#,
    r#"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    "</Types>"
);

const PACKAGE_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>"#,
    "</Relationships>"
);

const WORKBOOK_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>"#,
    r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#,
    "</Relationships>"
);

const STYLES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    r#"<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>"#,
    r#"<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>"#,
    r#"<numFmt numFmtId="166" formatCode="hh:mm:ss"/></numFmts>"#,
    r#"<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>"#,
    r#"<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>"#,
    r#"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#,
    r#"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#,
    r#"<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
    r#"<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#,
    r#"<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#,
    r#"<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>"#,
    r#"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#,
    "</styleSheet>"
);

const SHEET_START: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
);

const SHEET_END: &str = "</sheetData></worksheet>";

/// Writes records as the rows of one sheet of an Excel workbook (xlsx), under a header row of
/// the field names, streamed: see the [module](super).
///
/// ```
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::{FormatOptions, spreadsheet::XlsxEncoder};
/// let mut encoder = XlsxEncoder::new(&FormatOptions::default().with("sheet", "people"))?;
/// let mut out = bytes::BytesMut::new();
/// let record: Record = [("id", Value::Int(1)), ("name", Value::from("Ada"))].into_iter().collect();
/// encoder.encode(&record, &mut out)?;
/// encoder.finish(&mut out)?;
/// assert!(out.starts_with(b"PK\x03\x04"));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct XlsxEncoder {
    sheet: String,
    infer_rows: usize,
    zip: ZipWriter,
    /// The columns, once known (from the schema, or the first records).
    columns: Option<Vec<String>>,
    /// The fixed parts and the header row are written.
    begun: bool,
    /// The first records, held until their fields make the columns.
    held: Vec<Record>,
    /// The column letters, by index.
    letters: Vec<String>,
    /// Rows written, the header's included.
    rows: u64,
    /// Records given so far: the number of the one being written.
    records: u64,
    /// A row's XML, before it is deflated.
    row: Vec<u8>,
}

impl std::fmt::Debug for XlsxEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxEncoder")
            .field("sheet", &self.sheet)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl XlsxEncoder {
    /// An encoder with `options` (`sheet`, `infer_rows`).
    pub fn new(options: &FormatOptions) -> Result<XlsxEncoder> {
        options.check(FORMAT, WRITE_OPTIONS)?;
        let sheet = options.get("sheet").unwrap_or("Sheet1").to_owned();
        let bad_name = sheet.is_empty()
            || sheet.chars().count() > 31
            || sheet.contains(['[', ']', ':', '*', '?', '/', '\\'])
            || sheet.starts_with('\'')
            || sheet.ends_with('\'');
        if bad_name {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "xlsx option sheet={sheet:?}: a sheet's name has 1 to 31 characters, none of \
                     []:*?/\\, and neither starts nor ends with '"
                ),
            ));
        }
        let infer_rows = options
            .parsed(FORMAT, "infer_rows", "a number of records", |v| {
                v.parse::<usize>().ok().filter(|n| *n > 0)
            })?
            .unwrap_or(1000);
        Ok(XlsxEncoder {
            sheet,
            infer_rows,
            zip: ZipWriter::new(None),
            columns: None,
            begun: false,
            held: Vec::new(),
            letters: Vec::new(),
            rows: 0,
            records: 0,
            row: Vec::new(),
        })
    }

    fn at(&self, record: u64) -> Position {
        Position {
            record: Some(record),
            ..Position::default()
        }
    }

    /// Writes the fixed parts, starts the sheet, writes the header row of the columns and the
    /// records held.
    fn begin(&mut self, dst: &mut BytesMut) -> Result<()> {
        let columns = self.columns.clone().unwrap_or_default();
        if columns.len() > MAX_COLUMNS {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "{} fields, and a sheet has {MAX_COLUMNS} columns",
                    columns.len()
                ),
            )
            .with_format(FORMAT));
        }
        // Checked before anything is written: a failure past here would leave the zip out of
        // step with the output.
        let rows = self.held.len() as u64 + u64::from(!columns.is_empty());
        if rows > MAX_ROWS {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("{rows} rows, and a sheet has {MAX_ROWS}, the header's included"),
            )
            .with_format(FORMAT));
        }
        for name in &columns {
            let name_cell = Value::from(name.as_str());
            if let Err(message) = cell_xml(&mut Vec::new(), Reference("A", 1), &name_cell) {
                return Err(Error::new(
                    ErrorKind::InvalidRecord,
                    format!("the field name {name:?}: {message}"),
                )
                .with_format(FORMAT));
            }
        }
        self.begun = true;
        let workbook = format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                "\n",
                r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" "#,
                r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
                r#"<sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
            escaped(&self.sheet)
        );
        for (name, part) in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", PACKAGE_RELS),
            ("xl/workbook.xml", &workbook),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ] {
            self.zip.start(name, dst)?;
            self.zip.write_all(part.as_bytes(), dst)?;
        }
        self.zip.start("xl/worksheets/sheet1.xml", dst)?;
        self.zip.write_all(SHEET_START.as_bytes(), dst)?;
        self.letters = (0..columns.len()).map(column_letters).collect();
        if !columns.is_empty() {
            let header: Vec<Value> = columns.iter().map(|c| Value::from(c.as_str())).collect();
            let mut row = std::mem::take(&mut self.row);
            row.clear();
            let rendered = self.render(&mut row, header.iter().map(Some));
            rendered.map_err(|m| Error::new(ErrorKind::InvalidRecord, m).with_format(FORMAT))?;
            self.zip.write_all(&row, dst)?;
            self.row = row;
        }
        let held = std::mem::take(&mut self.held);
        let first = self.records - held.len() as u64;
        for (i, record) in held.iter().enumerate() {
            self.write_row(record, first + i as u64 + 1, dst)?;
        }
        Ok(())
    }

    /// The columns the records held make: every field, in the order first seen.
    fn held_columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = Vec::new();
        for record in &self.held {
            for name in record.names() {
                if !columns.iter().any(|c| c == name) {
                    columns.push(name.to_owned());
                }
            }
        }
        columns
    }

    /// An error unless every field of `record` (number `index`) that holds a value is a
    /// column.
    fn check_fields(&self, record: &Record, index: u64) -> Result<()> {
        let columns = self.columns.as_deref().unwrap_or_default();
        match record
            .iter()
            .find(|(name, value)| !value.is_null() && !columns.iter().any(|c| c == name))
        {
            Some((name, _)) => Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "field {name:?} is not among the columns of the header row, which the \
                     first -O infer_rows={} records (or the schema) made",
                    self.infer_rows
                ),
            )
            .with_format(FORMAT)
            .at(self.at(index))),
            None => Ok(()),
        }
    }

    /// Renders a row of `cells` into `row` ([`render_row`]).
    fn render<'a>(
        &mut self,
        row: &mut Vec<u8>,
        cells: impl Iterator<Item = Option<&'a Value>>,
    ) -> std::result::Result<(), String> {
        render_row(row, &self.letters, &mut self.rows, cells)
    }

    /// Writes `record` (number `index`) as a row under the header.
    fn write_row(&mut self, record: &Record, index: u64, dst: &mut BytesMut) -> Result<()> {
        self.check_fields(record, index)?;
        let columns = self.columns.as_ref().expect("known once begun");
        let mut cells: Vec<Option<&Value>> = vec![None; columns.len()];
        for (name, value) in record.iter() {
            if let Some(column) = columns.iter().position(|c| c == name) {
                cells[column] = Some(value);
            }
        }
        let mut row = std::mem::take(&mut self.row);
        row.clear();
        // The cells borrow the record, not the encoder: render them with a copy of what
        // rendering needs.
        let rendered = render_row(&mut row, &self.letters, &mut self.rows, cells.into_iter());
        let written = match rendered {
            Ok(()) => self.zip.write_all(&row, dst),
            Err(message) => Err(Error::new(ErrorKind::InvalidRecord, message)
                .with_format(FORMAT)
                .at(self.at(index))),
        };
        self.row = row;
        written
    }
}

/// Renders the next row (number `rows + 1`) of `cells` (in column order; `None` or null an
/// empty cell) into `row`, and counts it.
fn render_row<'a>(
    row: &mut Vec<u8>,
    letters: &[String],
    rows: &mut u64,
    cells: impl Iterator<Item = Option<&'a Value>>,
) -> std::result::Result<(), String> {
    if *rows >= MAX_ROWS {
        return Err(format!(
            "a sheet has {MAX_ROWS} rows, the header's included"
        ));
    }
    let number = *rows + 1;
    // Writes to a `Vec` do not fail.
    let _ = write!(row, "<row r=\"{number}\">");
    for (column, cell) in cells.enumerate() {
        let Some(value) = cell.filter(|v| !v.is_null()) else {
            continue;
        };
        cell_xml(row, Reference(&letters[column], number), value)?;
    }
    row.extend_from_slice(b"</row>");
    *rows += 1;
    Ok(())
}

/// Checks what [`cell_xml`] would refuse of `record`'s values, before it is held.
fn check(record: &Record, index: u64) -> Result<()> {
    for (name, value) in record.iter() {
        if let Err(message) = cell_xml(&mut Vec::new(), Reference("A", 1), value) {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!("field {name:?}: {message}"),
            )
            .with_format(FORMAT)
            .at(Position {
                record: Some(index),
                ..Position::default()
            }));
        }
    }
    Ok(())
}

/// Appends the cell at `reference` holding `value`: numbers and booleans as themselves,
/// dates, date-times and times as Excel's serial numbers with a date format, the rest as
/// text (inline strings, by the rule of the text formats).
fn cell_xml(
    row: &mut Vec<u8>,
    reference: Reference<'_>,
    value: &Value,
) -> std::result::Result<(), String> {
    // Writes to a `Vec` do not fail.
    let number = |row: &mut Vec<u8>, text: &dyn std::fmt::Display, style: u8| {
        let _ = match style {
            0 => write!(row, "<c r=\"{reference}\"><v>{text}</v></c>"),
            s => write!(row, "<c r=\"{reference}\" s=\"{s}\"><v>{text}</v></c>"),
        };
    };
    match value {
        Value::Bool(b) => {
            let _ = write!(
                row,
                "<c r=\"{reference}\" t=\"b\"><v>{}</v></c>",
                u8::from(*b)
            );
        }
        // Excel's numbers are floats: an integer past 2^53 would lose digits, so it is text.
        Value::Int(i) if i.unsigned_abs() <= 1 << 53 => number(row, i, 0),
        Value::Float(f) if f.is_finite() => number(row, &Shortest(*f), 0),
        Value::Decimal(d) if significant_digits(&d.to_string()) <= 15 => number(row, d, 0),
        Value::Date(d)
            if (FIRST_DAY..=LAST_DAY).contains(&(i64::from(d.days()) + UNIX_EPOCH as i64)) =>
        {
            number(row, &(i64::from(d.days()) + UNIX_EPOCH as i64), DATE_STYLE)
        }
        Value::Timestamp(t) => {
            let per = t.unit().per_second() as f64;
            let serial = UNIX_EPOCH + t.value() as f64 / per / 86_400.0;
            match (FIRST_DAY as f64..LAST_DAY as f64 + 1.0).contains(&serial) {
                true => number(row, &Shortest(serial), DATE_TIME_STYLE),
                false => text_cell(row, reference, value)?,
            }
        }
        Value::Time(t) => {
            let per = t.unit().per_second() as f64;
            let serial = t.value() as f64 / per / 86_400.0;
            number(row, &Shortest(serial), TIME_STYLE);
        }
        _ => text_cell(row, reference, value)?,
    }
    Ok(())
}

/// Appends an inline-string cell holding the text of `value`.
fn text_cell(
    row: &mut Vec<u8>,
    reference: Reference<'_>,
    value: &Value,
) -> std::result::Result<(), String> {
    let text = crate::text::to_text(value)?;
    let length = text.encode_utf16().count();
    if length > MAX_TEXT {
        return Err(format!(
            "a text of {length} characters, and a cell holds {MAX_TEXT}"
        ));
    }
    let _ = write!(
        row,
        "<c r=\"{reference}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">"
    );
    row.extend_from_slice(escaped(&text).as_bytes());
    row.extend_from_slice(b"</t></is></c>");
    Ok(())
}

/// A cell's reference: its column's letters and its row's number (`B7`).
#[derive(Clone, Copy)]
struct Reference<'a>(&'a str, u64);

impl std::fmt::Display for Reference<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

/// A float in its shortest text that reads back the same (`0.1`, `1e300`).
struct Shortest(f64);

impl std::fmt::Display for Shortest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// The digits of a number's text, leading zeros left out.
fn significant_digits(text: &str) -> usize {
    text.bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count()
}

/// `text` escaped for XML, characters XML cannot hold (controls) as Excel's `_xHHHH_`, and
/// a `_x` that would read as such an escape escaped itself (`_x005F_`).
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML readers make a carriage return a line feed: Excel's escape keeps it.
            '\r' => out.push_str("_x000D_"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("_x{:04X}_", c as u32));
            }
            '_' if looks_escaped(&text[i..]) => out.push_str("_x005F_"),
            c => out.push(c),
        }
    }
    out
}

/// True when `text` starts with `_xHHHH_`.
fn looks_escaped(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 7 && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

impl Encoder for XlsxEncoder {
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        let index = self.records + 1;
        if self.columns.is_some() {
            if !self.begun {
                // Checked before anything is written, so that an error keeps nothing.
                check(record, index)?;
                self.check_fields(record, index)?;
                self.begin(dst)?;
            }
            self.write_row(record, index, dst)?;
            self.records = index;
            return Ok(());
        }
        check(record, index)?;
        self.records = index;
        self.held.push(record.clone());
        if self.held.len() >= self.infer_rows {
            self.columns = Some(self.held_columns());
            self.begin(dst)?;
        }
        Ok(())
    }

    fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        if !self.begun {
            if self.columns.is_none() {
                self.columns = Some(self.held_columns());
            }
            self.begin(dst)?;
        }
        self.zip.write_all(SHEET_END.as_bytes(), dst)?;
        self.zip.finish(dst)
    }

    fn set_schema(&mut self, schema: &Schema) -> Result<()> {
        if !self.begun && self.held.is_empty() {
            self.columns = Some(schema.fields().iter().map(|f| f.name.to_string()).collect());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_xml_and_excel() {
        assert_eq!(
            escaped("a<b & \"c\"\u{1}_x0041_\r\n"),
            "a&lt;b &amp; &quot;c&quot;_x0001__x005F_x0041__x000D_\n"
        );
    }
}
