//! Reading a table or a query of a database: [`SqliteDecoder`].

use super::{FORMAT, READ_OPTIONS, quoted, sql_error};
use crate::registry::FormatOptions;
use crate::whole_file::WholeFile;
use bytes::Bytes;
use iterable_core::{
    Error, ErrorKind, Fields, Position, RangeDecoder, RangeStep, Record, Result, Value,
};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use std::collections::VecDeque;
use std::ops::Range;

/// Rows read from a table at a time.
const PAGE: usize = 4096;

/// What is read: a table, page by page, or a query's rows.
enum Source {
    /// A table's `columns` (SQL, or `*`) read by its rowid (by this name of it: `rowid`, or
    /// `_rowid_` or `oid` where a column is called `rowid`), after this one.
    Table {
        name: String,
        columns: String,
        rowid: &'static str,
        after: Option<i64>,
    },
    /// A query (or a table without rowid), read whole.
    Query(String),
}

/// Reads a table or a query of an SQLite database: see the [module](super).
pub struct SqliteDecoder {
    size: u64,
    table: Option<String>,
    query: Option<String>,
    /// The columns asked for, as SQL (`"a", "b"`), or `*`.
    columns: String,
    file: WholeFile,
    connection: Option<Connection>,
    source: Option<Source>,
    tables: Vec<String>,
    ready: VecDeque<Record>,
    names: Option<Fields>,
    given: u64,
    done: bool,
}

impl std::fmt::Debug for SqliteDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDecoder")
            .field("size", &self.size)
            .field("given", &self.given)
            .finish_non_exhaustive()
    }
}

impl SqliteDecoder {
    /// A decoder for a database file of `size` bytes with `options` (`table`, `query`).
    pub fn new(options: &FormatOptions, size: u64) -> Result<SqliteDecoder> {
        options.check(FORMAT, READ_OPTIONS)?;
        let table = options.get("table").map(str::to_owned);
        let query = options.get("query").map(str::to_owned);
        if table.is_some() && query.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                "sqlite options table and query: give one",
            ));
        }
        let mut columns: Vec<String> = Vec::new();
        for name in options.list("columns").unwrap_or_default() {
            let name = quoted(&name);
            if !columns.contains(&name) {
                columns.push(name);
            }
        }
        let columns = match columns.is_empty() {
            true => "*".to_owned(),
            false => columns.join(", "),
        };
        Ok(SqliteDecoder {
            size,
            table,
            query,
            columns,
            file: WholeFile::new(size),
            connection: None,
            source: None,
            tables: Vec::new(),
            ready: VecDeque::new(),
            names: None,
            given: 0,
            done: false,
        })
    }

    /// Opens the database and finds what to read.
    fn open(&mut self, file: Bytes) -> Result<()> {
        let mut connection = Connection::open_in_memory().map_err(sql_error)?;
        connection
            .deserialize_read_exact(
                rusqlite::MAIN_DB,
                std::io::Cursor::new(&file),
                file.len(),
                true,
            )
            .map_err(|e| Error::parse(FORMAT, format!("not a database SQLite opens: {e}")))?;
        let listed: Vec<(String, String)> = connection
            .prepare(
                "SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') \
                 AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
            )
            .and_then(|mut listed| {
                listed
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .map_err(|e| Error::parse(FORMAT, format!("not a database SQLite reads: {e}")))?;
        self.tables = listed.iter().map(|(name, _)| name.clone()).collect();
        let source = match (&self.query, &self.table) {
            (Some(query), _) => Source::Query(match self.columns.as_str() {
                "*" => query.clone(),
                columns => format!("SELECT {columns} FROM ({query})"),
            }),
            (None, Some(name)) if self.tables.contains(name) => {
                table_source(&connection, name, &listed, &self.columns)
            }
            (None, Some(name)) => {
                return Err(self.no_such(format!("no table {name:?}")));
            }
            (None, None) => {
                let tables: Vec<&(String, String)> =
                    listed.iter().filter(|(_, kind)| kind == "table").collect();
                match tables[..] {
                    [(name, _)] => table_source(&connection, name, &listed, &self.columns),
                    [] => return Err(self.no_such("no table".to_owned())),
                    _ => {
                        return Err(
                            self.no_such("several tables: name one with -o table=NAME".to_owned())
                        );
                    }
                }
            }
        };
        drop(file);
        self.connection = Some(connection);
        self.source = Some(source);
        Ok(())
    }

    fn no_such(&self, what: String) -> Error {
        Error::new(
            ErrorKind::InvalidRecord,
            format!("{what} (the tables: {})", self.tables.join(", ")),
        )
        .with_format(FORMAT)
    }

    /// Reads the next rows into `ready`.
    fn read_rows(&mut self) -> Result<()> {
        let (Some(connection), Some(source)) = (&self.connection, &mut self.source) else {
            return Ok(());
        };
        let at = Position {
            record: Some(self.given + 1),
            ..Position::default()
        };
        let failed = |e: rusqlite::Error| sql_error(e).at(at);
        let (sql, after, skip) = match source {
            Source::Table {
                name,
                columns,
                rowid,
                after,
            } => {
                let from = match after {
                    Some(_) => format!("{} WHERE {rowid} > ?1", quoted(name)),
                    None => quoted(name),
                };
                let sql =
                    format!("SELECT {rowid}, {columns} FROM {from} ORDER BY {rowid} LIMIT {PAGE}");
                (sql, *after, 1)
            }
            Source::Query(query) => (query.clone(), None, 0),
        };
        let mut statement = connection.prepare(&sql).map_err(failed)?;
        if self.names.is_none() {
            // Each name checked: rusqlite's `column_names` panics on one that is not UTF-8.
            let mut names = Vec::with_capacity(statement.column_count());
            for i in skip..statement.column_count() {
                names.push(statement.column_name(i).map_err(failed)?.to_owned());
            }
            self.names = Some(Fields::new(names));
        }
        let names = self.names.clone().expect("set");
        let mut rows = match after {
            Some(after) => statement.query([after]),
            None => statement.query([]),
        }
        .map_err(failed)?;
        let mut last = None;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(failed)? {
            if skip == 1 {
                last = Some(row.get::<_, i64>(0).map_err(failed)?);
            }
            let mut values = Vec::with_capacity(names.len());
            for i in skip..skip + names.len() {
                values.push(match row.get_ref(i).map_err(failed)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Real(f) => Value::Float(f),
                    // Text that is not UTF-8 (SQLite does not check) is kept as its bytes.
                    ValueRef::Text(text) => match std::str::from_utf8(text) {
                        Ok(text) => Value::from(text),
                        Err(_) => Value::Bytes(Bytes::copy_from_slice(text)),
                    },
                    ValueRef::Blob(blob) => Value::Bytes(Bytes::copy_from_slice(blob)),
                });
            }
            self.ready
                .push_back(Record::with_fields(names.clone(), values)?);
            count += 1;
        }
        match source {
            Source::Table { after, .. } if count == PAGE => *after = last,
            _ => self.done = true,
        }
        Ok(())
    }

    fn next_step(&mut self) -> Result<Option<RangeStep>> {
        loop {
            if !self.ready.is_empty() {
                return Ok(None);
            }
            if self.done {
                return Ok(Some(RangeStep::End));
            }
            if self.source.is_some() {
                self.read_rows()?;
                continue;
            }
            match self.file.take(FORMAT, "a database")? {
                Ok(file) => self.open(file)?,
                Err(need) => return Ok(Some(need)),
            }
        }
    }
}

/// How a table is read: by rowid, unless it has none (a view, a `WITHOUT ROWID` table, or
/// one whose columns take every name of the rowid).
fn table_source(
    connection: &Connection,
    name: &str,
    listed: &[(String, String)],
    columns: &str,
) -> Source {
    let is_table = listed.iter().any(|(n, kind)| n == name && kind == "table");
    let table_columns: Vec<String> = connection
        .prepare("SELECT lower(name) FROM pragma_table_info(?1)")
        .and_then(|mut s| s.query_map([name], |row| row.get(0))?.collect())
        .unwrap_or_default();
    let rowid = ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|alias| !table_columns.iter().any(|c| c == alias))
        .filter(|alias| {
            let probe = format!("SELECT {alias} FROM {} LIMIT 0", quoted(name));
            is_table && connection.prepare(&probe).is_ok()
        });
    match rowid {
        Some(rowid) => Source::Table {
            name: name.to_owned(),
            columns: columns.to_owned(),
            rowid,
            after: None,
        },
        None => Source::Query(format!("SELECT {columns} FROM {}", quoted(name))),
    }
}

impl SqliteDecoder {
    /// [`SqliteDecoder::next_step`], a panic of rusqlite on a hostile file an error.
    fn guarded_step(&mut self) -> Result<Option<RangeStep>> {
        crate::library_panic::caught(FORMAT, "rusqlite", || self.next_step())?
    }
}

impl RangeDecoder for SqliteDecoder {
    fn step(&mut self) -> Result<RangeStep> {
        match self.guarded_step() {
            Ok(None) => {
                self.given += 1;
                Ok(RangeStep::Record(self.ready.pop_front().expect("ready")))
            }
            Ok(Some(step)) => Ok(step),
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    fn step_into(&mut self, out: &mut VecDeque<Record>, max: usize) -> Result<Option<RangeStep>> {
        match self.guarded_step() {
            Ok(None) => {
                let n = max.max(1).min(self.ready.len());
                out.extend(self.ready.drain(..n));
                self.given += n as u64;
                Ok(None)
            }
            Ok(Some(step)) => Ok(Some(step)),
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    fn push(&mut self, ranges: Vec<Range<u64>>, data: Vec<Bytes>) -> Result<()> {
        let _ = ranges;
        self.file.push(data);
        Ok(())
    }

    /// None: SQLite's columns have affinities, not types; each value has its storage class.
    fn schema(&self) -> Option<&iterable_core::Schema> {
        None
    }

    fn tables(&self) -> Option<&[String]> {
        (!self.tables.is_empty()).then_some(self.tables.as_slice())
    }
}
