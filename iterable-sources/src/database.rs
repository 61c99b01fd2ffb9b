//! Database locations: which system a URL names, and what PostgreSQL ([`crate::postgres`])
//! and MySQL or MariaDB ([`crate::mysql`]) share: their options, their errors (which name the
//! location without its credentials) and the dispatch of a read, a write or a listing to the
//! client of the URL's system. A system whose feature is off is refused with an
//! [`ErrorKind::Unsupported`] error naming the feature.
// Without a database client, only `System` is used.
#![cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]

#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::RemoteBody;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::upload::RemoteUpload;
use iterable_core::{Error, ErrorKind, Result};

/// The database system a location's URL names, by its scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `mysql://` or `mariadb://`.
    Mysql,
}

impl System {
    /// The system `url`'s scheme names, if it names one.
    ///
    /// ```
    /// use iterable_sources::database::System;
    /// assert_eq!(System::of("mariadb://h/db"), Some(System::Mysql));
    /// assert_eq!(System::of("PostgreSQL://h/db"), Some(System::Postgres));
    /// assert_eq!(System::of("https://h/db"), None);
    /// ```
    pub fn of(url: &str) -> Option<System> {
        let (scheme, _) = url.split_once("://")?;
        match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Some(System::Postgres),
            "mysql" | "mariadb" => Some(System::Mysql),
            _ => None,
        }
    }

    /// The cargo feature that brings the system's client: `postgres`, `mysql`.
    pub fn feature(self) -> &'static str {
        match self {
            System::Postgres => "postgres",
            System::Mysql => "mysql",
        }
    }

    /// The error for a location of this system in a build without its client.
    pub fn unsupported(self, url: &str, adapter: &str) -> Error {
        let scheme = match self {
            System::Postgres => "postgres://",
            System::Mysql => "mysql:// and mariadb://",
        };
        Error::new(
            ErrorKind::Unsupported,
            format!(
                "{scheme} locations need the \"{}\" feature of {adapter}",
                self.feature()
            ),
        )
        .with_location(shown(url))
    }
}

/// The options a read takes.
pub const READ_OPTIONS: &[&str] = &["table", "query", "columns", "filter"];

/// The options a write takes (`infer_rows` is the encoder's: [`iterable_formats::pgcopy`]).
pub const WRITE_OPTIONS: &[&str] = &["table", "mode", "key"];

/// The location as errors show it: without user, password and query.
pub(crate) fn shown(url: &str) -> String {
    crate::location::database_url_shown(url)
}

/// An error of the database at `url`, which it names without credentials.
pub(crate) fn error(url: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Remote, message.into()).with_location(shown(url))
}

/// `url` without its query parameters named in `names`, and those parameters (name and
/// percent-decoded value) in the order given: the parameters a client reads itself, which its
/// driver's URL parser does not know.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn take_parameters(url: &str, names: &[&str]) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), Vec::new());
    };
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match names.contains(&name) {
            true => taken.push((name.to_owned(), percent_decoded(value))),
            false => kept.push(pair),
        }
    }
    match kept.is_empty() {
        true => (base.to_owned(), taken),
        false => (format!("{base}?{}", kept.join("&")), taken),
    }
}

/// `text` with its `%XX` escapes decoded (a `+` stays one, as libpq reads URLs); an escape
/// that is not one, or bytes that are not UTF-8, are kept as they are.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = match bytes.get(at..at + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)),
            _ => None,
        };
        match (escaped, bytes[at]) {
            (Some((high, low)), _) => {
                out.push((high * 16 + low) as u8);
                at += 3;
            }
            (None, b) => {
                out.push(b);
                at += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// The value of option `key`, the last given, unless blank.
pub(crate) fn option<'o>(options: &'o [(String, String)], key: &str) -> Option<&'o str> {
    options
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// An error for the first option not in `known`, listing those that are.
pub(crate) fn check_options(url: &str, options: &[(String, String)], known: &[&str]) -> Result<()> {
    for (key, _) in options {
        if !known.contains(&key.as_str()) {
            let system = System::of(url).map_or("database", System::feature);
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "{system} has no option {key:?} (known: {})",
                    known.join(", ")
                ),
            )
            .with_location(shown(url)));
        }
    }
    Ok(())
}

/// What a read asks for: a table's rows (some of its columns, those meeting a condition) or
/// a query's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection<'o> {
    /// `-o table=NAME`, with `-o columns=a,b` and `-o filter=CONDITION`.
    Table {
        /// The table, `schema.name` or `name`.
        name: &'o str,
        /// The columns, all when `None`.
        columns: Option<Vec<&'o str>>,
        /// The SQL condition.
        filter: Option<&'o str>,
    },
    /// `-o query=SQL`, without a trailing `;`.
    Query(&'o str),
}

impl<'o> Selection<'o> {
    /// The read `options` ask for, checked.
    pub(crate) fn of(url: &str, options: &'o [(String, String)]) -> Result<Selection<'o>> {
        check_options(url, options, READ_OPTIONS)?;
        match (option(options, "table"), option(options, "query")) {
            (Some(name), None) => Ok(Selection::Table {
                name,
                columns: option(options, "columns")
                    .map(|columns| columns.split(',').map(str::trim).collect()),
                filter: option(options, "filter"),
            }),
            (None, Some(query)) => {
                if option(options, "columns").is_some() || option(options, "filter").is_some() {
                    return Err(error(
                        url,
                        "columns and filter go with a table, not a query",
                    ));
                }
                Ok(Selection::Query(query.trim().trim_end_matches(';')))
            }
            (Some(_), Some(_)) => Err(error(url, "give a table or a query, not both")),
            (None, None) => Err(error(
                url,
                "say what to read: -o table=NAME or -o query=SQL (`iterable tables` lists the tables)",
            )),
        }
    }

    /// The `SELECT` of this selection, names quoted by `quote` (one identifier) and
    /// `quote_name` (a `schema.name`), ending in a line break: a query's trailing `--`
    /// comment ends before what follows.
    pub(crate) fn select(
        &self,
        quote: impl Fn(&str) -> String,
        quote_name: impl Fn(&str) -> String,
    ) -> String {
        match self {
            Selection::Table {
                name,
                columns,
                filter,
            } => {
                let columns = match columns {
                    Some(columns) => columns.iter().map(|c| quote(c)).collect::<Vec<_>>(),
                    None => vec!["*".to_owned()],
                };
                let filter = filter.map(|f| format!(" WHERE {f}")).unwrap_or_default();
                format!(
                    "SELECT {} FROM {}{filter}\n",
                    columns.join(", "),
                    quote_name(name)
                )
            }
            Selection::Query(query) => format!("{query}\n"),
        }
    }
}

/// What a write does with the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Adds rows, making the table when missing.
    Append,
    /// Makes the table, which must not exist.
    Create,
    /// Replaces the table.
    Replace,
    /// Inserts rows or updates those whose key is there.
    Upsert,
}

/// What a write asks for: the table, the mode, the key of an upsert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    /// The table, `schema.name` or `name`.
    pub(crate) table: String,
    /// What to do with it.
    pub(crate) mode: Mode,
    /// The key columns of an upsert (empty for the other modes).
    pub(crate) key: Vec<String>,
}

impl Destination {
    /// The write `options` ask for, checked.
    pub(crate) fn of(url: &str, options: &[(String, String)]) -> Result<Destination> {
        check_options(url, options, WRITE_OPTIONS)?;
        let table = option(options, "table")
            .ok_or_else(|| error(url, "say which table to write: -O table=NAME"))?
            .to_owned();
        let mode = match option(options, "mode").unwrap_or("append") {
            "append" => Mode::Append,
            "create" => Mode::Create,
            "replace" => Mode::Replace,
            "upsert" => Mode::Upsert,
            other => {
                return Err(error(
                    url,
                    format!("mode={other:?}: expected append, create, replace or upsert"),
                ));
            }
        };
        let key: Vec<String> = option(options, "key")
            .map(|k| k.split(',').map(|c| c.trim().to_owned()).collect())
            .unwrap_or_default();
        if (mode == Mode::Upsert) == key.is_empty() {
            return Err(error(
                url,
                "mode=upsert goes with -O key=COLUMN[,COLUMN...]",
            ));
        }
        Ok(Destination { table, mode, key })
    }

    /// The error for a table that exists already, in mode `create`.
    pub(crate) fn exists(&self, url: &str) -> Error {
        error(
            url,
            format!(
                "the table {} exists already (-O mode=append adds to it, -O mode=replace \
                 replaces it)",
                self.table
            ),
        )
    }

    /// The error for a field the table has no column for; `known`: the table's columns.
    pub(crate) fn no_column<'k>(
        &self,
        url: &str,
        name: &str,
        known: impl Iterator<Item = &'k str>,
    ) -> Error {
        let known: Vec<&str> = known.collect();
        error(
            url,
            format!(
                "the table {} has no column {name:?} (it has {})",
                self.table,
                known.join(", ")
            ),
        )
    }

    /// The error for a write dropped before it finished.
    pub(crate) fn dropped(&self, url: &str) -> Error {
        error(
            url,
            format!(
                "the write to {} was dropped before it finished; no row was written",
                self.table
            ),
        )
    }
}

/// Appends the next part of a write's rows to `buf`; true when it was the last. An error
/// when the writer went away first.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) async fn receive(
    url: &str,
    destination: &Destination,
    received: &mut tokio::sync::mpsc::Receiver<crate::upload::Message>,
    buf: &mut bytes::BytesMut,
) -> Result<bool> {
    use crate::upload::Message;
    match received.recv().await {
        Some(Message::Part(bytes)) => {
            buf.extend_from_slice(&bytes);
            Ok(false)
        }
        Some(Message::Finish(bytes)) => {
            buf.extend_from_slice(&bytes);
            Ok(true)
        }
        None => Err(destination.dropped(url)),
    }
}

/// Receives a write's rows into `buf` until their binary COPY header is whole: the columns
/// it names, the header's length, and whether the last part came.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) async fn receive_header(
    url: &str,
    destination: &Destination,
    received: &mut tokio::sync::mpsc::Receiver<crate::upload::Message>,
    buf: &mut bytes::BytesMut,
) -> Result<(iterable_formats::pgcopy::Columns, usize, bool)> {
    loop {
        let last = receive(url, destination, received, buf).await?;
        match iterable_formats::pgcopy::read_header(buf) {
            Ok(Some((Some(columns), len))) => return Ok((columns, len, last)),
            Ok(Some((None, _))) => {
                return Err(error(
                    url,
                    "the rows do not say their columns (write them with the pgcopy format)",
                ));
            }
            Ok(None) if !last => continue,
            Ok(None) => return Err(error(url, "the rows end within their header")),
            Err(e) => return Err(e.with_location(shown(url))),
        }
    }
}

/// Starts reading the database at `url`: see [`crate::postgres`] and [`crate::mysql`].
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub async fn open(url: &str, options: &[(String, String)]) -> Result<RemoteBody> {
    match System::of(url) {
        #[cfg(feature = "postgres")]
        Some(System::Postgres) => crate::postgres::open(url, options).await,
        #[cfg(feature = "mysql")]
        Some(System::Mysql) => crate::mysql::open(url, options).await,
        other => Err(not_built(url, other)),
    }
}

/// Starts writing a table of the database at `url`: see [`crate::postgres`] and
/// [`crate::mysql`].
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub async fn create(url: &str, options: &[(String, String)]) -> Result<RemoteUpload> {
    match System::of(url) {
        #[cfg(feature = "postgres")]
        Some(System::Postgres) => crate::postgres::create(url, options).await,
        #[cfg(feature = "mysql")]
        Some(System::Mysql) => crate::mysql::create(url, options).await,
        other => Err(not_built(url, other)),
    }
}

/// The tables and views of the database at `url`, in order: `schema.name`, or just `name`
/// in the default schema (PostgreSQL's `public`, MySQL's database of the URL).
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub async fn tables(url: &str) -> Result<Vec<String>> {
    match System::of(url) {
        #[cfg(feature = "postgres")]
        Some(System::Postgres) => crate::postgres::tables(url).await,
        #[cfg(feature = "mysql")]
        Some(System::Mysql) => crate::mysql::tables(url).await,
        other => Err(not_built(url, other)),
    }
}

/// The error for a database URL whose system this build has no client for.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn not_built(url: &str, system: Option<System>) -> Error {
    match system {
        Some(system) => system.unsupported(url, "the iterable adapter"),
        None => error(url, "not a database URL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(options: &[(&str, &str)]) -> Vec<(String, String)> {
        options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selections_are_checked() {
        let url = "mysql://u:secret@h/db";
        let options = owned(&[("table", "t"), ("columns", "a, b"), ("filter", "a > 1")]);
        let selection = Selection::of(url, &options).unwrap();
        let select = selection.select(|c| format!("`{c}`"), |n| format!("`{n}`"));
        assert_eq!(select, "SELECT `a`, `b` FROM `t` WHERE a > 1\n");
        let both = owned(&[("table", "t"), ("query", "select 1")]);
        let message = Selection::of(url, &both).unwrap_err().to_string();
        assert_eq!(message, "mysql://h/db: give a table or a query, not both");
        let unknown = owned(&[("tabel", "t")]);
        let message = Selection::of(url, &unknown).unwrap_err().to_string();
        assert!(
            message.contains("known: table, query, columns, filter"),
            "{message}"
        );
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    #[test]
    fn parameters_are_taken_out_of_urls() {
        let url = "postgres://u@h/db?application_name=a&sslmode=verify-full&sslrootcert=%2Ftmp%2Fca+1%20.pem";
        let (rest, taken) = take_parameters(url, &["sslmode", "sslrootcert"]);
        assert_eq!(rest, "postgres://u@h/db?application_name=a");
        assert_eq!(
            taken,
            owned(&[
                ("sslmode", "verify-full"),
                ("sslrootcert", "/tmp/ca+1 .pem")
            ])
        );
        let (rest, taken) = take_parameters("mysql://h/db?ssl-mode=DISABLED", &["ssl-mode"]);
        assert_eq!((rest.as_str(), taken.len()), ("mysql://h/db", 1));
        assert_eq!(
            take_parameters("mysql://h/db", &["ssl-mode"]).0,
            "mysql://h/db"
        );
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%zz%41"), "%zzA");
    }

    #[test]
    fn destinations_are_checked() {
        let url = "postgres://h/db";
        let upsert = owned(&[("table", "t"), ("mode", "upsert"), ("key", "id, day")]);
        let destination = Destination::of(url, &upsert).unwrap();
        assert_eq!(destination.key, ["id", "day"]);
        let keyless = owned(&[("table", "t"), ("mode", "upsert")]);
        assert!(Destination::of(url, &keyless).is_err());
        let keyed = owned(&[("table", "t"), ("key", "id")]);
        assert!(Destination::of(url, &keyed).is_err());
    }
}
