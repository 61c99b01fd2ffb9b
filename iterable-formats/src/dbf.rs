//! dBase and FoxPro tables (feature `dbf`: `dbf`, `.dbf`), read sans-IO: [`DbfDecoder`] asks
//! for the whole file, and for a table with memo fields is given the memo file beside it
//! (`.dbt` for dBase, `.fpt` for FoxPro: readers of local files look for it,
//! [`iterable_core::RangeDecoder::push_companion`]), and gives the records that are not marked
//! deleted, a page at a time.
//!
//! The dbase crate reads the header, the field descriptors and the code page, and decodes the
//! text; the values are read from each record's bytes here, because the crate's own reading
//! loses data: a dBase memo longer than a block is cut, the last one read past the file's end
//! comes back stale, float fields pass through `f32`, numbers through `f64`, and FoxPro's
//! currency is misread.
//!
//! - `-o encoding=LABEL`: the code page of the text (any WHATWG label, `cp1251`, and the DOS
//!   pages `cp437`, `cp850`, `cp852`, `cp861`, `cp865`, `cp866`); by default the one the
//!   file's header names (its language driver byte), cp1252 when it names none.
//! - `-o columns=a,b`: only those fields, in that order (names compared ignoring ASCII
//!   case, as dBase does; an unknown one is an error listing the table's).
//! - Values: character fields as strings (trailing blanks trimmed; a field of nothing but
//!   blanks is null), numeric and float fields from their digits (with no decimals an
//!   integer, with decimals an exact decimal of the field's scale; blank, or `*` for an
//!   overflow, null), logicals as booleans (`?` or blank null), dates as dates (blank null),
//!   FoxPro's integers, doubles, currency (an exact decimal of scale 4) and date-times
//!   (timestamps without a zone, to the millisecond), memos as strings (an empty memo `""`).
//! - A value that does not read (a date `20241399`, letters in a number) is a recoverable
//!   error naming the record, the field and the record's byte offset.
//!
//! Field types read: `C`, `N`, `F`, `L`, `D`, `M`, and Visual FoxPro's `I`, `B`, `Y`, `T`.
//! The dbase crate refuses a table with others (Visual FoxPro's `_NullFlags` field `0`, which
//! a table with nullable columns has, and `V`, `Q`, `G`, `W`), naming the type.
//!
//! A table the header says has more records than the file holds gives those it holds, then
//! an error with the byte where the file ends.
//!
//! Limits: the file is held in memory, 1 GiB at most, and its memo file too. A table with
//! memo fields whose memo file is not there (a remote table, or one read from a pipe) is an
//! error at once, before any record.

use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use crate::whole_file::WholeFile;
use bytes::Bytes;
use dbase::encoding::DynEncoding;
use dbase::{Encoding as _, FieldType};
use iterable_core::{
    Capabilities, Date, Decimal, Decoder, Error, ErrorKind, Fields, FormatInfo, Position,
    RangeDecoder, RangeStep, Record, Result, TimeUnit, Timestamp, Value,
};
use std::collections::VecDeque;
use std::io::Cursor;
use std::ops::Range;

/// The format's name in errors and options.
pub const FORMAT: &str = "dbf";

/// DBF in the format registry.
pub struct DbfFormat;

/// The registry's DBF.
pub static DBF: DbfFormat = DbfFormat;

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &["dbase", "foxpro"],
    extensions: &["dbf"],
    mime_types: &[
        "application/dbase",
        "application/x-dbf",
        "application/vnd.dbf",
    ],
    magic: &[],
    capabilities: Capabilities {
        read: true,
        write: false,
        streaming: false,
        random_access: true,
    },
    description: "dBase and FoxPro tables, with their memo files (.dbt, .fpt) beside them; \
                  code pages from the header; read only",
};

static READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "encoding",
        default: "",
        help: "the code page of the text (cp1251, cp437, ...); the header's by default",
    },
    OptionInfo {
        key: "columns",
        default: "",
        help: "the fields to read, comma-separated, in the order given (case ignored); all by default",
    },
];

/// The version bytes of the tables the dbase crate reads.
const VERSIONS: &[u8] = &[
    0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x7B, 0x83, 0x8B, 0x8E, 0xCB, 0xF5, 0xFB,
];

/// Records read at a time.
const PAGE: usize = 4096;

impl FormatSpec for DbfFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    /// A version byte, a plausible date of last update, and a header whose length fits
    /// field descriptors of 32 bytes ended by `\r` (found when the head holds it).
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        if head.len() < 32 || !VERSIONS.contains(&head[0]) {
            return None;
        }
        let (month, day) = (head[2], head[3]);
        let header = u16::from_le_bytes([head[8], head[9]]) as usize;
        let record = u16::from_le_bytes([head[10], head[11]]) as usize;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || header < 65 || record < 2 {
            return None;
        }
        let ended = (1..)
            .map(|k| 32 * k)
            .take_while(|at| *at < header && *at < head.len())
            .find(|at| head[*at] == 0x0D);
        match ended {
            Some(_) => Some(Sniffed::with(60)),
            None if head.len() < header => Some(Sniffed::with(20)),
            None => None,
        }
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        _max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "a DBF table is read whole (ranged_decoder), not as a stream",
        )
        .with_format(FORMAT))
    }

    fn ranged_decoder(&self, options: &FormatOptions, size: u64) -> Result<Box<dyn RangeDecoder>> {
        Ok(Box::new(DbfDecoder::new(options, size)?))
    }

    fn companions(&self) -> &'static [&'static str] {
        &["dbt", "fpt"]
    }
}

/// The code page called `label`: a WHATWG label, or a DOS code page.
fn code_page(label: &str) -> Result<dbase::encoding::DynEncoding> {
    use dbase::CodePageMark as Mark;
    let dos = match label.to_ascii_lowercase().trim_start_matches("cp") {
        "437" => Some(Mark::CP437),
        "850" => Some(Mark::CP850),
        "852" => Some(Mark::CP852),
        "861" => Some(Mark::CP861),
        "865" => Some(Mark::CP865),
        "866" => Some(Mark::CP866),
        _ => None,
    };
    if let Some(encoding) = dos.and_then(Mark::to_encoding) {
        return Ok(encoding);
    }
    dbase::encoding_rs::Encoding::for_label(label.trim().as_bytes())
        .map(|e| dbase::encoding::DynEncoding::from(dbase::encoding::EncodingRs::from(e)))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "dbf option encoding={label:?}: expected a code page (cp1251, cp437, \
                     windows-1252, ...)"
                ),
            )
        })
}

/// A field of the table: its name, its type, where it is in a record, its decimals.
struct Column {
    field_type: FieldType,
    /// Its bytes' offset in a record (past the deletion flag) and length.
    offset: usize,
    length: usize,
    decimals: u8,
}

/// The open table.
struct Table {
    file: Bytes,
    encoding: DynEncoding,
    memo: Option<Memo>,
    columns: Vec<Column>,
    names: Fields,
    first_record: usize,
    record_size: usize,
    records: usize,
}

/// Reads the records of a DBF table: see the [module](self).
pub struct DbfDecoder {
    size: u64,
    encoding: Option<String>,
    /// The fields asked for, in order.
    wanted: Option<Vec<String>>,
    file: WholeFile,
    /// The memo file pushed, and its extension.
    memo: Option<(String, Bytes)>,
    table: Option<Table>,
    /// The next record to read, by its index among all (deleted ones too).
    next: usize,
    ready: VecDeque<Record>,
    /// Records given and records that failed: the number of the next.
    given: u64,
    /// A value that did not read, given after the records before it.
    failed: Option<Error>,
    /// The error for records the header counts and the file lacks, given after the others.
    cut_short: Option<Error>,
    done: bool,
}

impl std::fmt::Debug for DbfDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbfDecoder")
            .field("size", &self.size)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl DbfDecoder {
    /// A decoder for a table of `size` bytes with `options` (`encoding`).
    pub fn new(options: &FormatOptions, size: u64) -> Result<DbfDecoder> {
        options.check(FORMAT, READ_OPTIONS)?;
        let encoding = options.get("encoding").filter(|e| !e.is_empty());
        if let Some(label) = encoding {
            code_page(label)?;
        }
        Ok(DbfDecoder {
            size,
            encoding: encoding.map(str::to_owned),
            wanted: options.list("columns"),
            file: WholeFile::new(size),
            memo: None,
            table: None,
            next: 0,
            ready: VecDeque::new(),
            given: 0,
            failed: None,
            cut_short: None,
            done: false,
        })
    }

    /// Opens the table: its header and fields, by the dbase crate; the decimals of its
    /// numeric fields from their descriptors.
    fn open(&mut self, file: Bytes) -> Result<()> {
        let not_one =
            |e: dbase::Error| Error::parse(FORMAT, format!("not a table dbase reads: {e}"));
        let mut builder = dbase::ReaderBuilder::new();
        if let Some(label) = &self.encoding {
            builder = builder.with_encoding(code_page(label)?);
        }
        let reader = builder.build(Cursor::new(file.clone())).map_err(not_one)?;
        let header = reader.header();
        // The record size as the file says it (dbase puts its own sum of the fields there).
        let first_record = usize::from(header.offset_to_first_record);
        let record_size = match file.get(10..12) {
            Some(&[low, high]) => usize::from(u16::from_le_bytes([low, high])),
            _ => return Err(Error::parse(FORMAT, "a header cut short")),
        };
        let fields: usize = reader
            .fields()
            .iter()
            .map(|f| usize::from(f.length()))
            .sum();
        if record_size < 1 + fields {
            return Err(Error::parse(
                FORMAT,
                format!(
                    "the header says records of {record_size} bytes, and its fields take {}",
                    1 + fields
                ),
            ));
        }
        let available = file.len().saturating_sub(first_record) / record_size;
        let counted = header.num_records as usize;
        let records = counted.min(available);
        self.cut_short = (records < counted).then(|| {
            let at = first_record + records * record_size;
            Error::parse(
                FORMAT,
                format!(
                    "the header counts {counted} records, and the file holds {records} (is it cut short?)"
                ),
            )
            .at(Position {
                byte: Some(at as u64),
                ..Position::default()
            })
        });
        let mut columns = Vec::new();
        let mut offset = 1;
        for (i, field) in reader.fields().iter().enumerate() {
            let length = usize::from(field.length());
            // The descriptor's decimal count (byte 17 of its 32), when the descriptor is
            // where it should be and is of this field.
            let descriptor = 32 + 32 * i;
            let decimals = match file.get(descriptor + 11) {
                Some(&kind) if kind == u8::from(field.field_type()) => {
                    file.get(descriptor + 17).copied().unwrap_or(0)
                }
                _ => 0,
            };
            columns.push(Column {
                field_type: field.field_type(),
                offset,
                length,
                decimals,
            });
            offset += length;
        }
        let encoding = match &self.encoding {
            Some(label) => code_page(label)?,
            None => header.code_page_mark.to_encoding().ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "the table's code page ({:?}) is not one decoded here: name one with -o encoding=",
                        header.code_page_mark
                    ),
                )
                .with_format(FORMAT)
            })?,
        };
        let mut names: Vec<String> = reader
            .fields()
            .iter()
            .map(|f| f.name().to_owned())
            .collect();
        if let Some(wanted) = &self.wanted {
            let mut chosen = Vec::with_capacity(wanted.len());
            for name in wanted {
                let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(name)) else {
                    return Err(Error::new(
                        ErrorKind::InvalidRecord,
                        format!("no field {name:?} (the fields: {})", names.join(", ")),
                    )
                    .with_format(FORMAT));
                };
                if !chosen.contains(&i) {
                    chosen.push(i);
                }
            }
            names = chosen.iter().map(|&i| names[i].clone()).collect();
            let mut all: Vec<Option<Column>> = columns.into_iter().map(Some).collect();
            columns = chosen.iter().filter_map(|&i| all[i].take()).collect();
        }
        let names = Fields::new(names);
        let has_memo = columns.iter().any(|c| c.field_type == FieldType::Memo);
        let memo = self.memo.take().map(Memo::new);
        if has_memo && memo.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                "the table has memo fields, and its memo file (the .dbt or .fpt beside it) \
                 is not there",
            )
            .with_format(FORMAT));
        }
        self.table = Some(Table {
            file,
            encoding,
            memo,
            columns,
            names,
            first_record,
            record_size,
            records,
        });
        Ok(())
    }

    /// Reads the next page of records into `ready`.
    fn read_page(&mut self) -> Result<()> {
        let Some(table) = &mut self.table else {
            return Ok(());
        };
        let end = (self.next + PAGE).min(table.records);
        // The records of the page that are not deleted, by index: the ones dbase gives.
        let kept: Vec<usize> = (self.next..end)
            .filter(|i| table.file.get(table.first_record + i * table.record_size) != Some(&b'*'))
            .collect();
        for &index in &kept {
            let start = table.first_record + index * table.record_size;
            let at = Position {
                byte: Some(start as u64),
                record: Some(self.given + 1),
                ..Position::default()
            };
            let raw = &table.file[start..(start + table.record_size).min(table.file.len())];
            match table.record(raw) {
                Ok(record) => {
                    self.ready.push_back(record);
                    self.given += 1;
                }
                Err(e) => {
                    self.failed = Some(e.at(at).recoverable());
                    self.next = index + 1;
                    return Ok(());
                }
            }
        }
        self.next = end;
        if end == table.records {
            self.done = true;
            // The records the file lacks: an error after those it has.
            self.failed = self.cut_short.take();
        }
        Ok(())
    }

    fn next_step(&mut self) -> Result<Option<RangeStep>> {
        loop {
            if !self.ready.is_empty() {
                return Ok(None);
            }
            if let Some(error) = self.failed.take() {
                self.given += 1;
                return Err(error);
            }
            if self.done {
                return Ok(Some(RangeStep::End));
            }
            if self.table.is_some() {
                self.read_page()?;
                continue;
            }
            match self.file.take(FORMAT, "a table")? {
                Ok(file) => self.open(file)?,
                Err(need) => return Ok(Some(need)),
            }
        }
    }

    /// [`DbfDecoder::next_step`], a panic of dbase on a hostile file an error.
    fn guarded_step(&mut self) -> Result<Option<RangeStep>> {
        crate::library_panic::caught(FORMAT, "dbase", || self.next_step())?
    }
}

impl Table {
    /// The record whose bytes (past the deletion flag's) are `raw`.
    fn record(&self, raw: &[u8]) -> Result<Record> {
        let mut values = Vec::with_capacity(self.columns.len());
        for (column, name) in self.columns.iter().zip(self.names.iter()) {
            let bytes = raw
                .get(column.offset..column.offset + column.length)
                .unwrap_or_default();
            let value = self.value(column, bytes).ok_or_else(|| {
                let text = String::from_utf8_lossy(bytes);
                Error::parse(
                    FORMAT,
                    format!(
                        "field {name:?} ({}): {:?} does not read",
                        char::from(u8::from(column.field_type)),
                        text.trim()
                    ),
                )
            })?;
            values.push(value);
        }
        Record::with_fields(self.names.clone(), values)
    }

    /// The value of a field of `column` whose bytes are `bytes`; `None` when they do not
    /// read.
    fn value(&self, column: &Column, bytes: &[u8]) -> Option<Value> {
        let blank = |b: &[u8]| b.iter().all(|c| *c == b' ' || *c == 0);
        Some(match column.field_type {
            FieldType::Character => match bytes.iter().rposition(|c| *c != b' ' && *c != 0) {
                Some(end) => Value::from(self.encoding.decode(&bytes[..=end]).ok()?.as_ref()),
                None => Value::Null,
            },
            FieldType::Numeric | FieldType::Float => number(bytes, column)?,
            FieldType::Logical => match bytes.first() {
                Some(b'T' | b't' | b'Y' | b'y') => Value::Bool(true),
                Some(b'F' | b'f' | b'N' | b'n') => Value::Bool(false),
                Some(b'?' | b' ') | None => Value::Null,
                Some(_) => return None,
            },
            FieldType::Date if blank(bytes) => Value::Null,
            FieldType::Date => {
                let text = std::str::from_utf8(bytes).ok()?;
                let (y, m, d) = (text.get(..4)?, text.get(4..6)?, text.get(6..8)?);
                Value::Date(Date::from_ymd(
                    y.parse().ok()?,
                    m.parse().ok()?,
                    d.parse().ok()?,
                )?)
            }
            FieldType::Integer => Value::Int(i64::from(i32::from_le_bytes(bytes.try_into().ok()?))),
            FieldType::Double => Value::Float(f64::from_le_bytes(bytes.try_into().ok()?)),
            FieldType::Currency => Value::Decimal(Decimal::new(
                i128::from(i64::from_le_bytes(bytes.try_into().ok()?)),
                19,
                4,
            )),
            FieldType::DateTime => {
                let day = i32::from_le_bytes(bytes.get(..4)?.try_into().ok()?);
                let millis = i32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
                if day == 0 && millis == 0 {
                    return Some(Value::Null);
                }
                // Julian day 2440588 is 1970-01-01.
                let since = (i64::from(day) - 2_440_588) * 86_400_000 + i64::from(millis);
                Value::Timestamp(Timestamp::new(since, TimeUnit::Millisecond, None))
            }
            FieldType::Memo => {
                let block = match bytes.len() {
                    4 => u32::from_le_bytes(bytes.try_into().ok()?),
                    _ if blank(bytes) => 0,
                    _ => std::str::from_utf8(bytes).ok()?.trim().parse().ok()?,
                };
                match block {
                    0 => Value::from(""),
                    block => {
                        let data = self.memo.as_ref()?.text(block)?;
                        Value::from(self.encoding.decode(data).ok()?.as_ref())
                    }
                }
            }
        })
    }
}

/// A memo file: dBase's (`.dbt`: a memo runs from its block to the first `0x1A`, or has a
/// dBase IV block header with its length) or FoxPro's (`.fpt`: each memo a type and a
/// length, big-endian).
struct Memo {
    data: Bytes,
    fox: bool,
    block_size: usize,
}

impl Memo {
    fn new((extension, data): (String, Bytes)) -> Memo {
        let fox = extension.eq_ignore_ascii_case("fpt");
        let block_size = match fox {
            true => data
                .get(6..8)
                .map_or(64, |b| usize::from(u16::from_be_bytes([b[0], b[1]]))),
            // dBase IV keeps its block size at 20; dBase III's blocks are 512.
            false => data
                .get(20..22)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
                .filter(|size| *size >= 64 && size % 64 == 0)
                .unwrap_or(512),
        };
        Memo {
            data,
            fox,
            block_size: block_size.max(1),
        }
    }

    /// The bytes of the memo at `block`; `None` when it is not in the file.
    fn text(&self, block: u32) -> Option<&[u8]> {
        let start = (block as usize).checked_mul(self.block_size)?;
        let at = self.data.get(start..)?;
        if self.fox {
            let length = u32::from_be_bytes(at.get(4..8)?.try_into().ok()?) as usize;
            return at.get(8..8usize.checked_add(length)?);
        }
        if at.starts_with(&[0xFF, 0xFF, 0x08, 0x00]) {
            let length = u32::from_le_bytes(at.get(4..8)?.try_into().ok()?) as usize;
            return at.get(8..length.max(8));
        }
        let end = at.iter().position(|b| *b == 0x1A).unwrap_or(at.len());
        Some(&at[..end])
    }
}

/// A numeric field's value from its digits: null when blank (or `*`, an overflow); an
/// integer when it has no decimals; else an exact decimal of the field's scale (a float when
/// the digits are more than a decimal holds). `None` for text that is not a number.
fn number(digits: &[u8], column: &Column) -> Option<Value> {
    let text = std::str::from_utf8(digits).ok()?.trim_matches([' ', '\0']);
    if text.is_empty() || text.bytes().all(|b| b == b'*') {
        return Some(Value::Null);
    }
    let plain = text
        .trim_start_matches(['-', '+'])
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.');
    if !plain {
        // An exponent (`1.5E+03`), not words such as `inf` that a float would take.
        let exponent = text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-' | b'e' | b'E'));
        return exponent
            .then(|| text.parse::<f64>().ok().map(Value::Float))
            .flatten();
    }
    if column.decimals == 0
        && !text.contains('.')
        && let Ok(n) = text.parse::<i64>()
    {
        return Some(Value::Int(n));
    }
    let scale = i8::try_from(column.decimals).ok()?;
    let unscaled = iterable_core::unscaled_digits(text, scale).and_then(|d| d.parse::<i128>().ok());
    match unscaled {
        Some(unscaled) => {
            let precision = u8::try_from(column.length.clamp(1, 38)).unwrap_or(38);
            Some(Value::Decimal(Decimal::new(unscaled, precision, scale)))
        }
        None => text.parse::<f64>().ok().map(Value::Float),
    }
}

impl RangeDecoder for DbfDecoder {
    fn step(&mut self) -> Result<RangeStep> {
        match self.guarded_step() {
            Ok(None) => Ok(RangeStep::Record(self.ready.pop_front().expect("ready"))),
            Ok(Some(step)) => Ok(step),
            Err(e) if e.is_recoverable() => Err(e),
            Err(e) => {
                self.done = true;
                self.ready.clear();
                self.table = None;
                Err(e)
            }
        }
    }

    fn step_into(&mut self, out: &mut VecDeque<Record>, max: usize) -> Result<Option<RangeStep>> {
        match self.guarded_step() {
            Ok(None) => {
                let n = max.max(1).min(self.ready.len());
                out.extend(self.ready.drain(..n));
                Ok(None)
            }
            Ok(Some(step)) => Ok(Some(step)),
            Err(e) if e.is_recoverable() => Err(e),
            Err(e) => {
                self.done = true;
                self.table = None;
                Err(e)
            }
        }
    }

    fn push(&mut self, ranges: Vec<Range<u64>>, data: Vec<Bytes>) -> Result<()> {
        let _ = ranges;
        self.file.push(data);
        Ok(())
    }

    /// None: the fields' types are known, but not told as a schema yet.
    fn schema(&self) -> Option<&iterable_core::Schema> {
        None
    }

    fn push_companion(&mut self, extension: &str, data: Bytes) -> Result<()> {
        self.memo = Some((extension.to_owned(), data));
        Ok(())
    }
}
