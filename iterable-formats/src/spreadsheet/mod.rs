//! Spreadsheets (feature `spreadsheets`): Excel workbooks (`xlsx`: `.xlsx`, `.xlsm` and the
//! binary `.xlsb`, which calamine tells by content; `xls`, the format of Excel 97-2003) and
//! OpenDocument spreadsheets (`ods`), read on
//! calamine, sans-IO: [`SheetDecoder`] asks for the parts of the zip that the sheet needs
//! (its ends, its central directory, the workbook's shared parts: shared strings, styles,
//! relationships; then the sheet's own member, found from the workbook and its relationships;
//! not the other sheets, pictures or charts), opens the workbook on them in memory and gives
//! the sheet's rows as records. An `xls`, a zip it cannot read by parts (zip64), and a
//! workbook for which calamine wants a part not fetched are fetched whole.
//!
//! - `-o sheet=NAME` or `-o sheet=N` (1-based; the first sheet by default).
//! - `-o header=N`: the row (1-based, as the sheet numbers it) that holds the field names, the
//!   rows below it the records; 1 by default. `-o header=false`: every row a record, its
//!   fields `column_1`, `column_2`, ... A name missing is `column_N`; a name twice gets `_2`.
//! - `-o columns=a,b`: only those columns, in that order (an unknown name is an error listing
//!   the sheet's).
//! - Every record has every column of the sheet's used range, trailing empty cells included
//!   (as null); a row of nothing but empty cells is no record.
//! - Cells keep their types: integral numbers as integers (Excel keeps every number as a
//!   float: one with no fraction, under 2^53, is an integer), others as floats, booleans,
//!   text; a date-time cell is a `Date` when it is a whole day, a `Time` when it is under a
//!   day, else a `Timestamp` without a zone (to the millisecond); a duration cell a
//!   `Duration`; OpenDocument's ISO dates and date-times typed as they read, its times and
//!   durations (`PT13H45M00S`) kept as that text.
//! - Error cells (`#N/A`, `#DIV/0!`) are null, or with `-o cell_errors=error` a recoverable
//!   error naming the cell and its row (`line 5: xlsx: cell C5: #N/A`): the reading stops
//!   there, or goes on with the next row under the skip and collect error policies.
//!   OpenDocument's error cells read as their text (`#N/A`): calamine keeps no error there.
//!
//! Limits: the parts fetched are held in memory, 1 GiB at most, and calamine reads the sheet's
//! cells whole too: memory is about those parts and the sheet's cells, not flat. An xlsx sheet
//! whose used range is over 32 Mi cells and not half full (two cells far apart, which would
//! be laid out as a grid of billions) is an error; xls and ods sheets are not checked so.
//!
//! Written as xlsx by [`XlsxEncoder`], one sheet streamed a row at a time (`-O sheet=NAME`,
//! `-O infer_rows=1000`): see its module, `write`.

mod parts;
mod write;

pub use write::XlsxEncoder;

use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use crate::whole_file::WholeFile;
use bytes::Bytes;
use calamine::{Data, HeaderRow, Reader, Sheets};
use iterable_core::{
    Capabilities, Date, Decoder, Duration, Error, ErrorKind, Fields, FormatInfo, Position,
    RangeDecoder, RangeStep, Record, Result, Time, TimeUnit, Timestamp, Value,
};
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

/// A spreadsheet format in the registry: one of the four calamine reads.
pub struct SpreadsheetFormat {
    info: &'static FormatInfo,
}

/// The bytes a zip archive starts with: every format here but `xls`.
const ZIP: &[u8] = b"PK\x03\x04";

/// The bytes a Compound File Binary starts with (`xls`, but also Word's `doc`).
const CFB: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Read by ranges (the whole file), not written.
const READ_ONLY: Capabilities = Capabilities {
    read: true,
    write: false,
    streaming: false,
    random_access: true,
};

/// Excel workbooks, Office Open XML.
pub static XLSX: SpreadsheetFormat = SpreadsheetFormat {
    info: &FormatInfo {
        name: "xlsx",
        aliases: &["excel", "xlsm", "xlsb"],
        extensions: &["xlsx", "xlsm", "xlsb"],
        mime_types: &[
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.ms-excel.sheet.macroEnabled.12",
            "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
        ],
        magic: &[ZIP],
        capabilities: Capabilities {
            write: true,
            ..READ_ONLY
        },
        description: "Excel workbooks (xlsx, xlsm, and xlsb, their binary form): a sheet's rows, cells typed; written as xlsx, one sheet, streamed",
    },
};

/// Excel 97-2003 workbooks.
pub static XLS: SpreadsheetFormat = SpreadsheetFormat {
    info: &FormatInfo {
        name: "xls",
        aliases: &[],
        extensions: &["xls"],
        mime_types: &["application/vnd.ms-excel"],
        magic: &[CFB],
        capabilities: READ_ONLY,
        description: "Excel 97-2003 workbooks: a sheet's rows, cells typed; read only",
    },
};

/// OpenDocument spreadsheets.
pub static ODS: SpreadsheetFormat = SpreadsheetFormat {
    info: &FormatInfo {
        name: "ods",
        aliases: &["opendocument"],
        extensions: &["ods"],
        mime_types: &["application/vnd.oasis.opendocument.spreadsheet"],
        magic: &[ZIP],
        capabilities: READ_ONLY,
        description: "OpenDocument spreadsheets (LibreOffice): a sheet's rows, cells typed; read only",
    },
};

/// The read options (`-o KEY=VALUE`).
static READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "sheet",
        default: "1",
        help: "the sheet to read: its name, or its number from 1",
    },
    OptionInfo {
        key: "header",
        default: "1",
        help: "the row (from 1) holding the field names, or false: fields column_1, column_2, ...",
    },
    OptionInfo {
        key: "columns",
        default: "",
        help: "the columns to read, by name, comma-separated, in the order given; all by default",
    },
    OptionInfo {
        key: "cell_errors",
        default: "null",
        help: "error cells (#N/A): null, or error (a recoverable error naming the cell)",
    },
];

impl FormatSpec for SpreadsheetFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        self.info
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        match self.info.capabilities.write {
            true => write::WRITE_OPTIONS,
            false => &[],
        }
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn iterable_core::Encoder + Send>> {
        match self.info.capabilities.write {
            true => Ok(Box::new(XlsxEncoder::new(options)?)),
            false => Err(Error::new(
                ErrorKind::Unsupported,
                format!("{} cannot be written (xlsx can)", self.info.name),
            )),
        }
    }

    /// The zip's first member names what it holds: `mimetype` (stored, OpenDocument's type
    /// its content) for `ods`, a part of an Excel workbook (`[Content_Types].xml`, `_rels/`,
    /// `docProps/`, `xl/`) for `xlsx`. An `xls` is a Compound File, as Word's documents
    /// are: a guess of 60.
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        let first_member = || {
            let field = |at: usize| {
                head.get(at..at + 2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
            };
            let (name, extra) = (field(26)?, field(28)?);
            Some((head.get(30..30 + name)?, head.get(30 + name + extra..)?))
        };
        let found = match self.info.name {
            "xls" => head.starts_with(CFB).then_some(60),
            _ if !head.starts_with(ZIP) => None,
            "ods" => first_member()
                .filter(|(name, content)| {
                    *name == b"mimetype"
                        && content.starts_with(b"application/vnd.oasis.opendocument.spreadsheet")
                })
                .map(|_| 95),
            _ => first_member()
                .filter(|(name, _)| {
                    [&b"[Content_Types].xml"[..], b"_rels/", b"docProps/", b"xl/"]
                        .iter()
                        .any(|part| name.starts_with(part))
                })
                .map(|_| 80),
        };
        found.map(Sniffed::with)
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        _max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "a workbook is read whole (ranged_decoder), not as a stream",
        )
        .with_format(self.info.name))
    }

    fn ranged_decoder(&self, options: &FormatOptions, size: u64) -> Result<Box<dyn RangeDecoder>> {
        Ok(Box::new(SheetDecoder::new(self.info.name, options, size)?))
    }
}

/// How the workbook is fetched: by the parts a sheet needs, or whole.
enum Fetch {
    Parts(parts::WorkbookParts),
    Whole(WholeFile),
}

/// Which sheet to read.
#[derive(Debug, Clone)]
enum SheetChoice {
    Named(String),
    /// From 0.
    Number(usize),
}

/// Reads a sheet of a workbook: see the [module](self).
pub struct SheetDecoder {
    format: &'static str,
    sheet: SheetChoice,
    /// The header's row, from 0; `None` for none.
    header: Option<u32>,
    errors_fail: bool,
    /// The columns asked for, by name.
    columns: Option<Vec<String>>,
    /// Their places in a row, once the header is read.
    projection: Option<Vec<usize>>,
    size: u64,
    fetch: Fetch,
    /// The sheet's cells, once read, and where the next record's row is in it.
    cells: Option<calamine::Range<Data>>,
    next_row: usize,
    names: Option<Fields>,
    sheets: Vec<String>,
    ready: VecDeque<Result<Record>>,
    done: bool,
}

impl std::fmt::Debug for SheetDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SheetDecoder")
            .field("format", &self.format)
            .field("sheet", &self.sheet)
            .finish_non_exhaustive()
    }
}

impl SheetDecoder {
    /// A decoder of a workbook of `size` bytes in `format` (`xlsx`, `xls`, `ods`).
    pub fn new(format: &'static str, options: &FormatOptions, size: u64) -> Result<SheetDecoder> {
        options.check(format, READ_OPTIONS)?;
        let sheet = match options.get("sheet") {
            None => SheetChoice::Number(0),
            Some(text) => match text.parse::<usize>() {
                Ok(0) => {
                    return Err(Error::new(
                        ErrorKind::InvalidRecord,
                        format!("{format} option sheet=0: sheets are numbered from 1"),
                    ));
                }
                Ok(n) => SheetChoice::Number(n - 1),
                Err(_) => SheetChoice::Named(text.to_owned()),
            },
        };
        let header = options
            .parsed(
                format,
                "header",
                "a row number from 1, or false",
                |v| match v.to_ascii_lowercase().as_str() {
                    "false" | "no" | "none" => Some(None),
                    v => v
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n > 0)
                        .map(|n| Some(n - 1)),
                },
            )?
            .unwrap_or(Some(0));
        let errors_fail = options
            .parsed(format, "cell_errors", "null or error", |v| match v {
                "null" => Some(false),
                "error" => Some(true),
                _ => None,
            })?
            .unwrap_or(false);
        Ok(SheetDecoder {
            format,
            sheet: sheet.clone(),
            header,
            errors_fail,
            columns: options.list("columns"),
            projection: None,
            size,
            // A zip (every format but xls) is fetched by the parts the sheet needs.
            fetch: match format {
                "xls" => Fetch::Whole(WholeFile::new(size)),
                _ => Fetch::Parts(parts::WorkbookParts::new(size, sheet.clone())),
            },
            cells: None,
            next_row: 0,
            names: None,
            sheets: Vec::new(),
            ready: VecDeque::new(),
            done: false,
        })
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::parse(self.format, message)
    }

    /// Opens the workbook (the parts fetched) and reads the sheet asked for.
    fn open(&mut self, file: parts::Sparse) -> Result<()> {
        let mut workbook: Sheets<parts::Sparse> = calamine::open_workbook_auto_from_rs(file)
            .map_err(|e| self.error(format!("not a workbook calamine reads: {e}")))?;
        self.sheets = workbook.sheet_names();
        let name = match &self.sheet {
            SheetChoice::Named(name) if self.sheets.contains(name) => name.clone(),
            SheetChoice::Number(n) if *n < self.sheets.len() => self.sheets[*n].clone(),
            choice => {
                let which = match choice {
                    SheetChoice::Named(name) => format!("no sheet {name:?}"),
                    SheetChoice::Number(n) => format!("no sheet {}", n + 1),
                };
                return Err(Error::new(
                    ErrorKind::InvalidRecord,
                    format!("{which} (the sheets: {})", self.sheets.join(", ")),
                )
                .with_format(self.format));
            }
        };
        // The used cells, from the first row that has one; the header's row is found in them.
        workbook.with_header_row(HeaderRow::FirstNonEmptyRow);
        let cells = match &mut workbook {
            Sheets::Xlsx(xlsx) => xlsx_cells(xlsx, &name, self.format)?,
            workbook => workbook
                .worksheet_range(&name)
                .map_err(|e| self.error(format!("sheet {name:?}: {e}")))?,
        };
        let (width, height) = (cells.width(), cells.height());
        let (first_row, first_column) = cells.start().unwrap_or((0, 0));
        let unnamed = || -> Vec<String> {
            (0..width)
                .map(|i| column_name(first_column as usize + i))
                .collect()
        };
        let names: Vec<String> = match self.header {
            // Within the cells: the rows above it are titles, left out.
            Some(row) if row >= first_row && ((row - first_row) as usize) < height => {
                let at = (row - first_row) as usize;
                self.next_row = at + 1;
                header_names(&cells[at], first_column)
            }
            // Below the last row: no records.
            Some(row) if row >= first_row => {
                self.next_row = height;
                unnamed()
            }
            // Above the cells (an empty row), or no header: every row a record.
            _ => unnamed(),
        };
        let names = match &self.columns {
            None => names,
            Some(asked) => {
                let mut places: Vec<usize> = Vec::with_capacity(asked.len());
                for name in asked {
                    let place = names.iter().position(|n| n == name).ok_or_else(|| {
                        Error::new(
                            ErrorKind::InvalidRecord,
                            format!(
                                "no column {name:?} in the sheet (it has {})",
                                names.join(", ")
                            ),
                        )
                        .with_format(self.format)
                    })?;
                    // Each column once, as the columnar formats give them.
                    if !places.contains(&place) {
                        places.push(place);
                    }
                }
                let asked = places.iter().map(|&i| names[i].clone()).collect();
                self.projection = Some(places);
                asked
            }
        };
        self.names = Some(Fields::new(names));
        self.cells = Some(cells);
        Ok(())
    }

    /// The records of up to `max` rows into `ready`.
    fn read_rows(&mut self, max: usize) {
        let (Some(cells), Some(names)) = (&self.cells, &self.names) else {
            return;
        };
        let (first_row, first_column) = cells.start().unwrap_or((0, 0));
        let mut taken = 0;
        while taken < max {
            if self.next_row >= cells.height() {
                self.done = true;
                break;
            }
            let row = &cells[self.next_row];
            let at = first_row as usize + self.next_row;
            self.next_row += 1;
            if row.iter().all(|cell| matches!(cell, Data::Empty)) {
                continue;
            }
            taken += 1;
            let mut values = Vec::with_capacity(names.len());
            let mut failed = None;
            for (column, cell) in row.iter().enumerate() {
                match value(cell) {
                    Ok(value) => values.push(value),
                    Err(code) if self.errors_fail && failed.is_none() => {
                        let cell = format!(
                            "{}{}",
                            column_letters(first_column as usize + column),
                            at + 1
                        );
                        failed = Some(format!("cell {cell}: {code}"));
                        values.push(Value::Null);
                    }
                    Err(_) => values.push(Value::Null),
                }
            }
            values.resize(row.len().max(names.len()), Value::Null);
            if let Some(places) = &self.projection {
                values = places
                    .iter()
                    .map(|&i| std::mem::take(&mut values[i]))
                    .collect();
            }
            values.truncate(names.len());
            let position = Position {
                line: Some(at as u64 + 1),
                ..Position::default()
            };
            self.ready.push_back(match failed {
                Some(message) => Err(Error::new(ErrorKind::InvalidRecord, message)
                    .with_format(self.format)
                    .at(position)
                    .recoverable()),
                None => Record::with_fields(names.clone(), values),
            });
        }
    }

    fn next_step(&mut self, max: usize) -> Result<Option<RangeStep>> {
        loop {
            if let Some(ready) = self.ready.front() {
                return match ready {
                    Ok(_) => Ok(None),
                    Err(_) => Err(self
                        .ready
                        .pop_front()
                        .and_then(|r| r.err())
                        .expect("an error")),
                };
            }
            if self.done {
                return Ok(Some(RangeStep::End));
            }
            if self.cells.is_some() {
                self.read_rows(max);
                continue;
            }
            let fetched = match &mut self.fetch {
                Fetch::Whole(file) => file
                    .take(self.format, "a workbook")
                    .map(|taken| taken.map(|file| parts::Sparse::new(self.size, vec![(0, file)]))),
                Fetch::Parts(parts) => parts.step().map(|next| match next {
                    parts::Next::Need(need) => Err(need),
                    parts::Next::Ready(sparse) => Ok(sparse),
                    parts::Next::Whole => Err(RangeStep::End),
                }),
            };
            let opened = match fetched {
                // The parts could not be told: the whole file.
                Ok(Err(RangeStep::End)) => {
                    self.fetch = Fetch::Whole(WholeFile::new(self.size));
                    continue;
                }
                Ok(Err(need)) => return Ok(Some(need)),
                Ok(Ok(sparse)) => {
                    let by_parts = matches!(self.fetch, Fetch::Parts(_));
                    let watched = sparse.clone();
                    match self.open(sparse) {
                        // calamine wanted a part not fetched: the whole file, opened again.
                        Err(_) if by_parts && watched.missed() => {
                            self.sheets.clear();
                            self.fetch = Fetch::Whole(WholeFile::new(self.size));
                            continue;
                        }
                        opened => opened,
                    }
                }
                Err(e) => Err(e),
            };
            if let Err(e) = opened {
                self.done = true;
                return Err(e);
            }
        }
    }

    /// Moves the records that are ready, up to an error, into `out`.
    fn move_ready(&mut self, out: &mut VecDeque<Record>, max: usize) -> usize {
        let mut moved = 0;
        while moved < max.max(1) {
            match self.ready.front() {
                Some(Ok(_)) => {
                    if let Some(Ok(record)) = self.ready.pop_front() {
                        out.push_back(record);
                        moved += 1;
                    }
                }
                _ => break,
            }
        }
        moved
    }
}

impl RangeDecoder for SheetDecoder {
    fn step(&mut self) -> Result<RangeStep> {
        let mut out = VecDeque::new();
        match self.step_into(&mut out, 1)? {
            Some(step) => Ok(step),
            None => Ok(RangeStep::Record(out.pop_front().expect("moved"))),
        }
    }

    fn step_into(&mut self, out: &mut VecDeque<Record>, max: usize) -> Result<Option<RangeStep>> {
        if self.move_ready(out, max) > 0 {
            return Ok(None);
        }
        let step = crate::library_panic::caught(self.format, "calamine", || self.next_step(max))??;
        match step {
            Some(step) => Ok(Some(step)),
            None => {
                self.move_ready(out, max);
                Ok(None)
            }
        }
    }

    fn push(&mut self, ranges: Vec<Range<u64>>, data: Vec<Bytes>) -> Result<()> {
        let _ = ranges;
        match &mut self.fetch {
            Fetch::Whole(file) => file.push(data),
            Fetch::Parts(parts) => parts.push(data),
        }
        Ok(())
    }

    /// None: a sheet's cells have a type each, its columns none.
    fn schema(&self) -> Option<&iterable_core::Schema> {
        None
    }

    fn tables(&self) -> Option<&[String]> {
        (!self.sheets.is_empty()).then_some(self.sheets.as_slice())
    }
}

/// The most cells a sheet's used range is given as, unless its cells fill half of it: calamine
/// makes a grid of the whole range, and two cells far apart would ask for billions.
const MAX_SPARSE_RANGE: u64 = 32 << 20;

/// An xlsx sheet's cells, read one at a time and checked before they become calamine's grid
/// (see [`MAX_SPARSE_RANGE`]).
fn xlsx_cells(
    xlsx: &mut calamine::Xlsx<parts::Sparse>,
    name: &str,
    format: &'static str,
) -> Result<calamine::Range<Data>> {
    let broken = |e: calamine::XlsxError| Error::parse(format, format!("sheet {name:?}: {e}"));
    let mut reader = xlsx.worksheet_cells_reader(name).map_err(broken)?;
    let mut cells = Vec::new();
    let (mut rows, mut columns) = ((u32::MAX, 0), (u32::MAX, 0));
    while let Some(cell) = reader.next_cell().map_err(broken)? {
        if matches!(cell.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        rows = (rows.0.min(row), rows.1.max(row));
        columns = (columns.0.min(column), columns.1.max(column));
        cells.push(calamine::Cell::new(
            (row, column),
            Data::from(cell.get_value().clone()),
        ));
    }
    if !cells.is_empty() {
        let (height, width) = (
            u64::from(rows.1 - rows.0) + 1,
            u64::from(columns.1 - columns.0) + 1,
        );
        if height * width > MAX_SPARSE_RANGE.max(2 * cells.len() as u64) {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "sheet {name:?}: {} cells in a used range of {height} rows by {width} columns, too sparse to lay out (at most {MAX_SPARSE_RANGE} cells, or twice those it holds)",
                    cells.len()
                ),
            )
            .with_format(format));
        }
    }
    Ok(calamine::Range::from_sparse(cells))
}

/// A cell as a value; an error cell's code as the error.
fn value(cell: &Data) -> std::result::Result<Value, String> {
    Ok(match cell {
        Data::Empty => Value::Null,
        Data::Int(n) => Value::Int(*n),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            Value::Int(*f as i64)
        }
        Data::Float(f) => Value::Float(*f),
        Data::String(s) => Value::from(s.as_str()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(moment) if moment.is_duration() => {
            let ms = (moment.as_f64() * 86_400_000.0).round();
            Value::Duration(Duration::new(ms as i64, TimeUnit::Millisecond))
        }
        Data::DateTime(moment) => {
            let (year, month, day, hour, minute, second, milli) = moment.to_ymd_hms_milli();
            let ms_of_day = ((i64::from(hour) * 60 + i64::from(minute)) * 60 + i64::from(second))
                * 1000
                + i64::from(milli);
            let serial = moment.as_f64();
            if (0.0..1.0).contains(&serial) {
                Value::Time(Time::new(ms_of_day, TimeUnit::Millisecond))
            } else {
                match Date::from_ymd(i32::from(year), u32::from(month), u32::from(day)) {
                    Some(date) if ms_of_day == 0 => Value::Date(date),
                    Some(date) => Value::Timestamp(Timestamp::new(
                        i64::from(date.days()) * 86_400_000 + ms_of_day,
                        TimeUnit::Millisecond,
                        None,
                    )),
                    None => Value::Float(serial),
                }
            }
        }
        Data::DateTimeIso(text) => text
            .parse::<toml::value::Datetime>()
            .map(|d| crate::toml::datetime_of(&d, &Arc::from("UTC")))
            .unwrap_or_else(|_| Value::from(text.as_str())),
        Data::DurationIso(text) => Value::from(text.as_str()),
        Data::Error(code) => return Err(code.to_string()),
    })
}

/// The names of a header row: a cell's text, or `column_N` where it has none; a name twice
/// gets `_2`, `_3`.
fn header_names(header: &[Data], first_column: u32) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (i, cell) in header.iter().enumerate() {
        let name = match cell {
            Data::Empty => column_name(first_column as usize + i),
            Data::String(s) if s.trim().is_empty() => column_name(first_column as usize + i),
            other => other.to_string(),
        };
        let mut unique = name.clone();
        let mut n = 1;
        while names.contains(&unique) {
            n += 1;
            unique = format!("{name}_{n}");
        }
        names.push(unique);
    }
    names
}

/// A column's letters in a cell reference (from 0): `A`, ..., `Z`, `AA`, ...
fn column_letters(column: usize) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII")
}

/// The field name of a column (from 0) without a header: `column_1`, ...
fn column_name(column: usize) -> String {
    format!("column_{}", column + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn columns_are_lettered_as_excel_letters_them() {
        let letters: Vec<String> = [0, 25, 26, 51, 701, 702].map(column_letters).into();
        assert_eq!(letters, ["A", "Z", "AA", "AZ", "ZZ", "AAA"]);
    }

    #[test]
    fn header_names_are_made_whole_and_unique() {
        let header = [
            Data::String("a".into()),
            Data::Empty,
            Data::String("a".into()),
            Data::Int(7),
            Data::String(" ".into()),
        ];
        assert_eq!(
            header_names(&header, 0),
            ["a", "column_2", "a_2", "7", "column_5"]
        );
    }

    #[test]
    fn cells_keep_their_types() {
        let moment = |serial| {
            Data::DateTime(ExcelDateTime::new(
                serial,
                ExcelDateTimeType::DateTime,
                false,
            ))
        };
        let text = |cell: Data| value(&cell).map(|v| v.typed_text().unwrap_or(format!("{v:?}")));
        assert_eq!(value(&Data::Float(3.0)), Ok(Value::Int(3)));
        assert_eq!(value(&Data::Float(-0.5)), Ok(Value::Float(-0.5)));
        assert_eq!(
            value(&Data::Float(2f64.powi(60))),
            Ok(Value::Float(2f64.powi(60)))
        );
        // 2024-01-31 is day 45322 of the 1900 system.
        assert_eq!(text(moment(45322.0)).as_deref(), Ok("2024-01-31"));
        assert_eq!(text(moment(45322.5)).as_deref(), Ok("2024-01-31T12:00:00"));
        assert_eq!(text(moment(0.25)).as_deref(), Ok("06:00:00"));
        let duration = Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false));
        assert_eq!(text(duration).as_deref(), Ok("PT129600S"));
        assert_eq!(
            value(&Data::Error(calamine::CellErrorType::NA)),
            Err("#N/A".to_owned())
        );
        assert_eq!(value(&Data::Empty), Ok(Value::Null));
    }
}
