//! Writing records into a table of a database built in memory: [`SqliteEncoder`].

use super::{FORMAT, WRITE_OPTIONS, quoted, sql_error};
use crate::registry::FormatOptions;
use bytes::{Bytes, BytesMut};
use iterable_core::{
    DataType, Encoder, Error, ErrorKind, Fields, Position, Record, Result, Schema, Value,
};
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

/// What to do when the table is there already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Fail.
    Create,
    /// Add the rows to it.
    Append,
    /// Drop it and write it anew.
    Replace,
}

/// A column's type, as this encoder writes it: which values it takes so that SQLite's type
/// affinity keeps them as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No declared type (no affinity): every value, as it is. Also the columns of a table
    /// that was there, whose own affinities apply.
    Any,
    Boolean,
    Integer,
    /// Floats, and integers that a float holds exactly.
    Real,
    Text,
    Blob,
    Date,
    Time,
    Timestamp,
    Duration,
    /// Decimals and big integers, as their digits.
    Decimal,
    /// Arrays and objects, as JSON text.
    Json,
}

impl Kind {
    /// The kind of column a value asks for; `None` for null, which asks for none.
    fn of(value: &Value) -> Option<Kind> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(_) => Kind::Boolean,
            Value::Int(_) => Kind::Integer,
            Value::Float(_) => Kind::Real,
            Value::BigInt(_) | Value::Decimal(_) => Kind::Decimal,
            Value::String(_) => Kind::Text,
            Value::Bytes(_) => Kind::Blob,
            Value::Array(_) | Value::Object(_) => Kind::Json,
            Value::Date(_) => Kind::Date,
            Value::Time(_) => Kind::Time,
            Value::Timestamp(_) => Kind::Timestamp,
            Value::Duration(_) => Kind::Duration,
            _ => Kind::Any,
        })
    }

    /// The kind of column for a field of a schema.
    fn of_type(data_type: &DataType) -> Kind {
        use DataType as T;
        match data_type {
            T::Bool => Kind::Boolean,
            T::Int8 | T::Int16 | T::Int32 | T::Int64 => Kind::Integer,
            T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64 => Kind::Integer,
            T::Float32 | T::Float64 => Kind::Real,
            T::Decimal { .. } => Kind::Decimal,
            T::String => Kind::Text,
            T::Binary => Kind::Blob,
            T::Date => Kind::Date,
            T::Time(_) => Kind::Time,
            T::Timestamp(..) => Kind::Timestamp,
            T::Duration(_) => Kind::Duration,
            T::List(_) | T::Struct(_) | T::Map(..) => Kind::Json,
            _ => Kind::Any,
        }
    }

    /// The kind that takes the values of both.
    fn merged(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Integer, Kind::Real) | (Kind::Real, Kind::Integer) => Kind::Real,
            _ => Kind::Any,
        }
    }

    /// The type declared for the column: one whose affinity changes none of its values (a
    /// decimal's digits would be rounded by `NUMERIC`; dates, times, timestamps and JSON
    /// text are never numeric literals, so their `NUMERIC` affinity keeps them).
    fn declared(self) -> &'static str {
        match self {
            Kind::Any => "",
            Kind::Boolean => " BOOLEAN",
            Kind::Integer => " INTEGER",
            Kind::Real => " REAL",
            Kind::Text | Kind::Decimal | Kind::Duration => " TEXT",
            Kind::Blob => " BLOB",
            Kind::Date => " DATE",
            Kind::Time => " TIME",
            Kind::Timestamp => " TIMESTAMP",
            Kind::Json => " JSON",
        }
    }

    /// True when a column of this kind keeps `value` as it is.
    fn holds(self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) | (Kind::Any, _) => true,
            (Kind::Real, Value::Int(i)) => i.unsigned_abs() <= 1 << 53,
            (kind, value) => Kind::of(value) == Some(kind),
        }
    }

    /// What the column is, in an error.
    fn described(self) -> &'static str {
        match self {
            Kind::Any => "untyped",
            Kind::Boolean => "BOOLEAN",
            Kind::Integer => "INTEGER",
            Kind::Real => "REAL",
            Kind::Text => "TEXT",
            Kind::Blob => "BLOB",
            Kind::Date => "DATE",
            Kind::Time => "TIME",
            Kind::Timestamp => "TIMESTAMP",
            Kind::Duration => "TEXT (durations)",
            Kind::Decimal => "TEXT (decimals)",
            Kind::Json => "JSON",
        }
    }
}

/// One column of the table written.
#[derive(Debug)]
struct Column {
    name: String,
    kind: Kind,
}

/// The statement inserting records with one set of fields.
#[derive(Debug)]
struct Insert {
    fields: Fields,
    sql: String,
    /// The column of each field.
    columns: Vec<usize>,
}

/// Where the encoder is.
#[derive(Debug)]
enum State {
    /// No record yet: nothing asked of SQLite.
    Fresh,
    /// The table is to be created: the first records, held until their values decide its
    /// columns.
    Inferring(Vec<Record>),
    /// The table is there: its columns, and the last insert.
    Writing {
        columns: Vec<Column>,
        insert: Option<Insert>,
    },
}

/// Writes records into a table of an SQLite database built in memory, and the database at
/// [`Encoder::finish`]: see the [module](super).
///
/// ```
/// use iterable_core::{Encoder, Record, Value};
/// use iterable_formats::{FormatOptions, sqlite::SqliteEncoder};
/// let mut encoder = SqliteEncoder::new(&FormatOptions::default().with("table", "people"))?;
/// let mut out = bytes::BytesMut::new();
/// let record: Record = [("id", Value::Int(1)), ("name", Value::from("Ada"))].into_iter().collect();
/// encoder.encode(&record, &mut out)?;
/// encoder.finish(&mut out)?;
/// assert!(out.starts_with(b"SQLite format 3\0"));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct SqliteEncoder {
    table: String,
    mode: Mode,
    infer_rows: usize,
    connection: Connection,
    /// The schema the writer was told.
    schema: Option<Schema>,
    state: State,
    /// The fields of the records held, each name once (to refuse names SQLite would take for
    /// one before the table is made).
    held_names: Vec<String>,
    /// Records given so far: the number of the one being written.
    records: u64,
}

impl std::fmt::Debug for SqliteEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteEncoder")
            .field("table", &self.table)
            .field("mode", &self.mode)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl SqliteEncoder {
    /// An encoder with `options` (`table`, `mode`, `infer_rows`), writing a new database
    /// unless given one to add to ([`Encoder::amend`]).
    pub fn new(options: &FormatOptions) -> Result<SqliteEncoder> {
        options.check(FORMAT, WRITE_OPTIONS)?;
        let table = options.get("table").unwrap_or("data").to_owned();
        if table.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                "sqlite option table: give a name",
            ));
        }
        let mode = options.parsed(
            FORMAT,
            "mode",
            "create, append or replace",
            |mode| match mode {
                "create" => Some(Mode::Create),
                "append" => Some(Mode::Append),
                "replace" => Some(Mode::Replace),
                _ => None,
            },
        )?;
        let infer_rows = options
            .parsed(FORMAT, "infer_rows", "a number of records", |v| {
                v.parse::<usize>().ok().filter(|n| *n > 0)
            })?
            .unwrap_or(1000);
        // A private in-memory file (memdb, its name without a `/`), which SQLite can hand
        // out whole at the end without a copy.
        let connection = Connection::open_with_flags_and_vfs(
            "iterable-output",
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            c"memdb",
        )
        .map_err(sql_error)?;
        let encoder = SqliteEncoder {
            table,
            mode: mode.unwrap_or(Mode::Create),
            infer_rows,
            connection,
            schema: None,
            state: State::Fresh,
            held_names: Vec::new(),
            records: 0,
        };
        encoder.prepare_connection()?;
        Ok(encoder)
    }

    /// The connection's settings: the journal in memory, since the file is.
    fn prepare_connection(&self) -> Result<()> {
        self.connection
            .execute_batch("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;")
            .map_err(sql_error)
    }

    /// The position of the record being written.
    fn at(&self) -> Position {
        Position {
            record: Some(self.records),
            ..Position::default()
        }
    }

    /// Starts the transaction and finds the table: there (append to it), dropped (replace),
    /// or an error (create); to be created from the schema, or from the first records.
    fn begin(&mut self) -> Result<()> {
        self.connection.execute_batch("BEGIN").map_err(sql_error)?;
        let there: Option<String> = self
            .connection
            .query_row(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?1 \
                 COLLATE NOCASE",
                [&self.table],
                |row| row.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(sql_error(e)),
            })?;
        if let Some(name) = there {
            match self.mode {
                Mode::Create => {
                    return Err(Error::new(
                        ErrorKind::InvalidRecord,
                        format!(
                            "table {name:?} is in the database already: -O mode=append adds \
                             to it, -O mode=replace writes it anew"
                        ),
                    )
                    .with_format(FORMAT));
                }
                Mode::Append => {
                    let columns = self
                        .connection
                        .prepare("SELECT name FROM pragma_table_info(?1)")
                        .and_then(|mut s| {
                            s.query_map([&name], |row| row.get::<_, String>(0))?
                                .map(|name| {
                                    name.map(|name| Column {
                                        name,
                                        kind: Kind::Any,
                                    })
                                })
                                .collect::<rusqlite::Result<Vec<Column>>>()
                        })
                        .map_err(sql_error)?;
                    self.table = name;
                    self.state = State::Writing {
                        columns,
                        insert: None,
                    };
                    return Ok(());
                }
                Mode::Replace => {
                    self.connection
                        .execute_batch(&format!("DROP TABLE {}", quoted(&name)))
                        .map_err(sql_error)?;
                }
            }
        }
        self.state = match &self.schema {
            Some(schema) => {
                let columns = schema
                    .fields()
                    .iter()
                    .map(|field| Column {
                        name: field.name.to_string(),
                        kind: Kind::of_type(&field.data_type),
                    })
                    .collect();
                self.create(columns)?
            }
            None => State::Inferring(Vec::new()),
        };
        Ok(())
    }

    /// Creates the table with `columns`.
    fn create(&self, columns: Vec<Column>) -> Result<State> {
        for (i, column) in columns.iter().enumerate() {
            if let Some(other) = columns[..i]
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&column.name))
            {
                return Err(same_column(&other.name, &column.name));
            }
        }
        let declared: Vec<String> = columns
            .iter()
            .map(|c| format!("{}{}", quoted(&c.name), c.kind.declared()))
            .collect();
        let sql = format!(
            "CREATE TABLE {} ({})",
            quoted(&self.table),
            declared.join(", ")
        );
        self.connection.execute_batch(&sql).map_err(sql_error)?;
        Ok(State::Writing {
            columns,
            insert: None,
        })
    }

    /// Creates the table from the records held, each field a column of the kind that holds
    /// all their values, and writes them.
    fn create_inferred(&mut self, held: Vec<Record>) -> Result<()> {
        let mut columns: Vec<(String, Option<Kind>)> = Vec::new();
        for record in &held {
            for (name, value) in record.iter() {
                let kind = Kind::of(value);
                match columns.iter_mut().find(|(n, _)| n == name) {
                    Some((_, seen)) => {
                        *seen = match (*seen, kind) {
                            (Some(a), Some(b)) => Some(a.merged(b)),
                            (a, b) => a.or(b),
                        }
                    }
                    None => columns.push((name.to_owned(), kind)),
                }
            }
        }
        // A kind that some value does not fit after all (an integer past 2^53 among
        // floats) becomes no type.
        let columns: Vec<Column> = columns
            .into_iter()
            .map(|(name, kind)| {
                let kind = kind.unwrap_or(Kind::Any);
                let fits = held
                    .iter()
                    .all(|r| r.get(&name).is_none_or(|v| kind.holds(v)));
                Column {
                    kind: if fits { kind } else { Kind::Any },
                    name,
                }
            })
            .collect();
        self.state = self.create(columns)?;
        let first = self.records - held.len() as u64;
        for (i, record) in held.iter().enumerate() {
            self.write(record, first + i as u64 + 1)?;
        }
        Ok(())
    }

    /// Inserts `record` (number `index`) into the table, adding the columns it needs.
    fn write(&mut self, record: &Record, index: u64) -> Result<()> {
        let at = Position {
            record: Some(index),
            ..Position::default()
        };
        let State::Writing { columns, insert } = &mut self.state else {
            unreachable!("written once the table is there");
        };
        let same = insert
            .as_ref()
            .is_some_and(|i| i.fields.ptr_eq(record.fields()) || i.fields.eq_names(record.names()));
        if same {
            let insert = insert.as_ref().expect("made");
            return insert_row(
                &self.connection,
                columns,
                insert,
                record,
                at,
                self.infer_rows,
            );
        }
        // New fields: the columns they add, and the row, kept only if the row is written.
        let savepoint = |sql: &str| self.connection.execute_batch(sql).map_err(sql_failed);
        savepoint("SAVEPOINT new_fields")?;
        let before = columns.len();
        let written = insert_for(&self.connection, &self.table, columns, record)
            .map_err(|e| e.at(at))
            .and_then(|made| {
                let row = insert_row(
                    &self.connection,
                    columns,
                    &made,
                    record,
                    at,
                    self.infer_rows,
                );
                *insert = Some(made);
                row
            });
        match written {
            Ok(()) => savepoint("RELEASE new_fields"),
            Err(e) => {
                savepoint("ROLLBACK TO new_fields; RELEASE new_fields")?;
                columns.truncate(before);
                *insert = None;
                Err(e)
            }
        }
    }
}

/// Inserts `record` (at `at`) with `insert`, its values checked against their columns.
fn insert_row(
    connection: &Connection,
    columns: &[Column],
    insert: &Insert,
    record: &Record,
    at: Position,
    infer_rows: usize,
) -> Result<()> {
    for ((name, value), &column) in record.iter().zip(&insert.columns) {
        let column = &columns[column];
        if matches!(value, Value::Float(f) if f.is_nan()) {
            return Err(holds_nan(name).at(at));
        }
        if !column.kind.holds(value) {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "field {name:?} holds {}, which its {} column does not keep as it is \
                     (the first -O infer_rows={infer_rows} records, or the schema, decided the \
                     columns)",
                    described(value),
                    column.kind.described(),
                ),
            )
            .with_format(FORMAT)
            .at(at));
        }
    }
    let failed = |e: rusqlite::Error| sql_failed(e).at(at);
    let mut statement = connection.prepare_cached(&insert.sql).map_err(failed)?;
    for (i, value) in record.values().iter().enumerate() {
        statement
            .raw_bind_parameter(i + 1, Bound(value))
            .map_err(failed)?;
    }
    statement.raw_execute().map_err(failed)?;
    Ok(())
}

/// The statement inserting records with `record`'s fields, each matched to its column (by
/// name, ignoring ASCII case as SQLite does); a field the table lacks is added as a column.
fn insert_for(
    connection: &Connection,
    table: &str,
    columns: &mut Vec<Column>,
    record: &Record,
) -> Result<Insert> {
    let mut of_fields: Vec<usize> = Vec::with_capacity(record.len());
    for (name, value) in record.iter() {
        let column = match columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
        {
            Some(column) => column,
            None => {
                let kind = Kind::of(value).unwrap_or(Kind::Any);
                let sql = format!(
                    "ALTER TABLE {} ADD COLUMN {}{}",
                    quoted(table),
                    quoted(name),
                    kind.declared()
                );
                connection.execute_batch(&sql).map_err(sql_failed)?;
                columns.push(Column {
                    name: name.to_owned(),
                    kind,
                });
                columns.len() - 1
            }
        };
        if let Some(earlier) = of_fields.iter().position(|&c| c == column) {
            let earlier = record.fields().get(earlier).unwrap_or_default();
            return Err(same_column(earlier, name));
        }
        of_fields.push(column);
    }
    let names: Vec<String> = of_fields
        .iter()
        .map(|&c| quoted(&columns[c].name))
        .collect();
    let marks: Vec<&str> = vec!["?"; names.len()];
    let sql = match names.is_empty() {
        true => format!("INSERT INTO {} DEFAULT VALUES", quoted(table)),
        false => format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quoted(table),
            names.join(", "),
            marks.join(", ")
        ),
    };
    Ok(Insert {
        fields: record.fields().clone(),
        sql,
        columns: of_fields,
    })
}

/// The first field of `record` that holds NaN.
fn nan_field(record: &Record) -> Option<&str> {
    record
        .iter()
        .find(|(_, v)| matches!(v, Value::Float(f) if f.is_nan()))
        .map(|(name, _)| name)
}

fn holds_nan(name: &str) -> Error {
    Error::new(
        ErrorKind::InvalidRecord,
        format!("field {name:?} holds NaN, which SQLite would store as NULL"),
    )
    .with_format(FORMAT)
}

fn same_column(a: &str, b: &str) -> Error {
    Error::new(
        ErrorKind::InvalidRecord,
        format!("fields {a:?} and {b:?} would be one column: SQLite's names ignore case"),
    )
    .with_format(FORMAT)
}

/// An SQLite error while writing; a full database is the limit of the one built in memory.
fn sql_failed(error: rusqlite::Error) -> Error {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => Error::new(
            ErrorKind::LimitExceeded,
            "the database would pass 1 GiB, the most built in memory",
        )
        .with_format(FORMAT),
        _ => sql_error(error),
    }
}

/// What a value is, in an error.
fn described(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::BigInt(_) => "a big integer",
        Value::Float(_) => "a float",
        Value::String(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::Date(_) => "a date",
        Value::Time(_) => "a time",
        Value::Timestamp(_) => "a timestamp",
        Value::Duration(_) => "a duration",
        Value::Decimal(_) => "a decimal",
        _ => "a value",
    }
}

/// A value bound to a statement: by its storage class, typed values as their text, nested
/// ones as JSON text.
struct Bound<'a>(&'a Value);

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let unfit = |e: Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Bool(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
            Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Value::Float(f) if f.is_nan() => {
                return Err(unfit(Error::new(
                    ErrorKind::InvalidRecord,
                    "NaN, which SQLite would store as NULL",
                )));
            }
            Value::Float(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
            Value::BigInt(n) => ToSqlOutput::Borrowed(ValueRef::Text(n.as_str().as_bytes())),
            Value::String(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Value::Array(_) | Value::Object(_) => {
                let mut json = BytesMut::new();
                crate::json_text::write_value(self.0, &mut json).map_err(unfit)?;
                let json = String::from_utf8(json.to_vec())
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                ToSqlOutput::Owned(SqlValue::Text(json))
            }
            other => match other.typed_text() {
                Some(text) => ToSqlOutput::Owned(SqlValue::Text(text)),
                None => {
                    return Err(unfit(Error::new(
                        ErrorKind::InvalidRecord,
                        "a value SQLite cannot store",
                    )));
                }
            },
        })
    }
}

impl Encoder for SqliteEncoder {
    fn encode(&mut self, record: &Record, _dst: &mut BytesMut) -> Result<()> {
        self.records += 1;
        if let State::Fresh = self.state {
            let begun = crate::library_panic::caught(FORMAT, "rusqlite", || self.begin())?;
            if let Err(e) = begun {
                // Nothing begun: the next record starts again.
                let _ = self.connection.execute_batch("ROLLBACK");
                self.state = State::Fresh;
                return Err(e);
            }
        }
        match &mut self.state {
            State::Inferring(held) => {
                if let Some(name) = nan_field(record) {
                    return Err(holds_nan(name).at(self.at()));
                }
                // Names that SQLite would take for one, refused before the record is held.
                let mut names = self.held_names.clone();
                for name in record.names() {
                    match names.iter().find(|n| n.eq_ignore_ascii_case(name)) {
                        Some(seen) if seen != name => {
                            return Err(same_column(seen, name).at(self.at()));
                        }
                        Some(_) => {}
                        None => names.push(name.to_owned()),
                    }
                }
                self.held_names = names;
                held.push(record.clone());
                if held.len() >= self.infer_rows {
                    let held = std::mem::take(held);
                    self.create_inferred(held)?;
                }
                Ok(())
            }
            State::Writing { .. } => self.write(record, self.records),
            State::Fresh => unreachable!("begun"),
        }
    }

    fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        if let State::Fresh = self.state
            && self.schema.is_some()
        {
            crate::library_panic::caught(FORMAT, "rusqlite", || self.begin())??;
        }
        if let State::Inferring(held) = &mut self.state {
            let held = std::mem::take(held);
            self.create_inferred(held)?;
        }
        if !self.connection.is_autocommit() {
            self.connection
                .execute_batch("COMMIT")
                .map_err(sql_failed)?;
        }
        let data = self
            .connection
            .serialize(rusqlite::MAIN_DB)
            .map_err(sql_failed)?;
        dst.extend_from_slice(&data);
        Ok(())
    }

    fn set_schema(&mut self, schema: &Schema) -> Result<()> {
        if let State::Fresh = self.state {
            self.schema = Some(schema.clone());
        }
        Ok(())
    }

    fn amend(&mut self, existing: Bytes) -> Result<()> {
        if !matches!(self.state, State::Fresh) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "a database is amended before the first record",
            )
            .with_format(FORMAT));
        }
        let not_one = |e: rusqlite::Error| {
            Error::parse(
                FORMAT,
                format!("the file there is not a database SQLite opens, and is left as it is: {e}"),
            )
        };
        crate::library_panic::caught(FORMAT, "rusqlite", || {
            self.connection
                .deserialize_read_exact(
                    rusqlite::MAIN_DB,
                    std::io::Cursor::new(&existing),
                    existing.len(),
                    false,
                )
                .map_err(not_one)?;
            self.connection
                .query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
                    row.get::<_, i64>(0)
                })
                .map_err(not_one)?;
            self.prepare_connection()
        })?
    }
}
