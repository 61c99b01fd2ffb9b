//! PostgreSQL databases, `postgres://user@host:port/db` (or `postgresql://`), on
//! tokio-postgres: natively async, no thread around a blocking driver.
//!
//! **Read** (`-o` options): `table=NAME` (`schema.name` allowed) with `columns=a,b` and
//! `filter=CONDITION` (an SQL condition), or `query=SQL`. The rows stream by
//! `COPY (...) TO STDOUT (FORMAT binary)`, memory flat in the table's size, as the binary COPY
//! format ([`iterable_formats::pgcopy`]) with the columns' names and types in its header:
//! the reader decodes them into typed values. Columns of types that format does not read
//! (`inet`, `money`, geometric types, ranges, composites) are read as their text (`::text`).
//!
//! **Write** (`-O` options): `table=NAME` (required), `mode=append|create|replace|upsert`
//! (`append` by default: adds rows, making the table when missing; `create`: the table must
//! not exist; `replace`: drops it first; `upsert`: inserts or updates by `key=id[,..]`). The
//! rows go through `COPY ... FROM STDIN (FORMAT binary)`, all in one transaction, committed
//! at the end: a failure, or a writer dropped first, leaves no row behind. A missing table is
//! made from the columns the writer decided (the schema given, or the first records). Text
//! into an existing table of other column types (a CSV into an `integer` column) is rewritten
//! in COPY's text format, which PostgreSQL parses into each column's type, checking every
//! value, as for psql's `\copy`; other rows whose types differ from the table's, upserts, and
//! rows for a view or a table with row-level security or rules (which COPY refuses or skips)
//! are copied into a temporary table and inserted from it with casts to the table's types.
//! An upsert whose input repeats a key is an error (PostgreSQL updates a row once per
//! statement). No records and no schema: no change.
//!
//! **Connection**: the URL's user, password, host, port and database, else the variables
//! libpq reads (`PGUSER`, `PGPASSWORD`, `PGHOST`, `PGPORT`, `PGDATABASE`), else `~/.pgpass`
//! (or `PGPASSFILE`) for the password. TLS (rustls) as libpq chooses it, by the URL's
//! `sslmode` and `sslrootcert` (else `PGSSLMODE`, `PGSSLROOTCERT`): by default (`prefer`)
//! whenever the server has it, the certificate checked with `verify-ca` or `verify-full`
//! ([`tls`] has the table). Errors name the location without its password.
//!
//! ```no_run
//! # async fn run() -> iterable_core::Result<()> {
//! // The server's certificate signed by the CA in ca.pem, and for db.example.com.
//! let url = "postgres://reader@db.example.com/shop?sslmode=verify-full&sslrootcert=ca.pem";
//! let tables = iterable_sources::database::tables(url).await?;
//! # Ok(())
//! # }
//! ```

use crate::RemoteBody;
use crate::database::{
    Destination, Mode, Selection, error, receive_header, shown, take_parameters,
};
use crate::upload::{Message, RemoteUpload};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use iterable_core::{Error, Result};
use iterable_formats::pgcopy::{self, Columns, PgType};
use std::str::FromStr;
use tokio_postgres::types::{Kind, Type};
use tokio_postgres::{Client, Config};

mod text_rows;
pub mod tls;

use text_rows::TextRows;

/// Rows read from the server at most per chunk handed on, of those already there.
const READY_ROWS: usize = 4096;

/// A read's stream of rows being gathered into chunks: the rows already here, the server's
/// header until it is replaced by `described` (emptied once it is), an error to give after the
/// rows before it, and the connection, which lives as long as the read; whether the rows have
/// ended, and the location, to cancel the query of a read dropped before.
struct Gathering<S> {
    rows: std::pin::Pin<Box<S>>,
    head: Option<BytesMut>,
    described: Vec<u8>,
    failed: Option<std::io::Error>,
    client: Client,
    ended: bool,
    url: String,
}

impl<S> Drop for Gathering<S> {
    /// A read dropped before its end cancels its query, from a task of the runtime it is
    /// dropped in (none: the connection goes with its runtime): the connection would read
    /// the rest of the rows before closing otherwise.
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.ended {
            return;
        }
        let (token, url) = (self.client.cancel_token(), std::mem::take(&mut self.url));
        runtime.spawn(async move {
            let Ok((config, tls)) = config(&url) else {
                return;
            };
            let _ = match sockets_only(&config) {
                true => token.cancel_query(tokio_postgres::NoTls).await,
                false => match tls.connector(&url) {
                    Ok(connector) => token.cancel_query(connector).await,
                    Err(_) => return,
                },
            };
        });
    }
}

/// The part size of a write: COPY data goes to the server in pieces of this size.
const PART_SIZE: usize = 1 << 20;

/// A driver error in words: the server's message, detail, hint and context (a COPY's line
/// and column: `COPY people, line 3, column age: "x"`) when it sent them.
fn db_error(url: &str, what: &str, e: &tokio_postgres::Error) -> Error {
    let message = match e.as_db_error() {
        Some(db) => {
            let mut message = format!("{what}: {} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                message.push_str(&format!("; {detail}"));
            }
            if let Some(hint) = db.hint() {
                message.push_str(&format!("; hint: {hint}"));
            }
            if let Some(context) = db.where_() {
                // PL/pgSQL's is lines of calls, innermost first.
                message.push_str("; ");
                message.push_str(&context.replace('\n', "; "));
            }
            message
        }
        None => {
            let mut message = format!("{what}: {e}");
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        }
    };
    error(url, message)
}

/// The connection's settings and its TLS: the URL's, else libpq's variables and `~/.pgpass`.
fn config(url: &str) -> Result<(Config, tls::Tls)> {
    let (driver_url, parameters) = take_parameters(url, tls::PARAMETERS);
    let mut config = Config::from_str(&driver_url)
        .map_err(|e| error(url, format!("not a PostgreSQL URL: {e}")))?;
    let tls = tls::Tls::of(url, &parameters)?;
    config.ssl_mode(tls.ssl_mode());
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if config.get_hosts().is_empty() {
        config.host(var("PGHOST").as_deref().unwrap_or("localhost"));
    }
    if config.get_ports().is_empty()
        && let Some(port) = var("PGPORT").and_then(|p| p.parse().ok())
    {
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = var("PGUSER")
            .or_else(|| var("USER"))
            .unwrap_or_else(|| "postgres".into());
        config.user(&user);
    }
    if config.get_dbname().is_none()
        && let Some(db) = var("PGDATABASE")
    {
        config.dbname(&db);
    }
    if config.get_password().is_none() {
        if let Some(password) = var("PGPASSWORD") {
            config.password(password);
        } else if let Some(password) = pgpass(&config) {
            config.password(password);
        }
    }
    Ok((config, tls))
}

/// The password `~/.pgpass` (or `PGPASSFILE`) gives the connection, if any: its first line
/// `host:port:database:user:password` that matches, `*` matching anything.
fn pgpass(config: &Config) -> Option<String> {
    let path = match std::env::var_os("PGPASSFILE") {
        Some(path) => std::path::PathBuf::from(path),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first()? {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user()?.to_owned();
    let db = config.get_dbname().unwrap_or(&user).to_owned();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let fields = pgpass_fields(line);
            let [h, p, d, u, password] = <[String; 5]>::try_from(fields).ok()?;
            let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
            (matches(&h, &host) && matches(&p, &port) && matches(&d, &db) && matches(&u, &user))
                .then_some(password)
        })
}

/// A `.pgpass` line's fields, split at `:` but not `\:`, with `\\` and `\:` unescaped.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// Connects; the connection is driven by a task on the current tokio runtime, which ends
/// when the client is dropped. A server reached by Unix sockets only is reached without
/// TLS, which PostgreSQL has on TCP only (there `sslmode=require` is refused by the server).
async fn connect(url: &str) -> Result<Client> {
    let (config, tls) = config(url)?;
    let connected = match sockets_only(&config) {
        true => config
            .connect(tokio_postgres::NoTls)
            .await
            .map(|(client, connection)| {
                tokio::spawn(connection);
                client
            }),
        false => config
            .connect(tls.connector(url)?)
            .await
            .map(|(client, connection)| {
                tokio::spawn(connection);
                client
            }),
    };
    connected.map_err(|e| db_error(url, "cannot connect", &e))
}

/// Whether every host of `config` is a Unix socket's directory.
fn sockets_only(config: &Config) -> bool {
    config
        .get_hosts()
        .iter()
        .all(|host| !matches!(host, tokio_postgres::config::Host::Tcp(_)))
}

/// `name` (`schema.table`, or `table`) as a quoted SQL identifier.
fn quote_name(name: &str) -> String {
    name.split('.').map(quote).collect::<Vec<_>>().join(".")
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The binary COPY type a column of type `t` is read as, `None` for a type read as text.
fn read_type(t: &Type) -> Option<PgType> {
    match t.kind() {
        Kind::Simple if t.schema() == "pg_catalog" => PgType::from_name(t.name()),
        Kind::Enum(_) => PgType::from_name("text"),
        Kind::Domain(base) => read_type(base),
        Kind::Array(element) => match element.kind() {
            Kind::Array(_) => None,
            _ => read_type(element)
                .filter(|e| !e.is_array())
                .and_then(|e| PgType::from_name(&format!("{e}[]"))),
        },
        _ => None,
    }
}

/// Starts reading what `options` name: see the [module](self).
pub async fn open(url: &str, options: &[(String, String)]) -> Result<RemoteBody> {
    let select = Selection::of(url, options)?.select(quote, quote_name);
    let client = connect(url).await?;
    let statement = client
        .prepare(&select)
        .await
        .map_err(|e| db_error(url, "cannot read", &e))?;
    let mut columns: Columns = Vec::new();
    let mut expressions = Vec::new();
    let mut cast = false;
    for column in statement.columns() {
        let name = column.name().to_owned();
        match read_type(column.type_()) {
            Some(pg_type) => {
                expressions.push(format!("q.{}", quote(&name)));
                columns.push((name, pg_type));
            }
            None => {
                cast = true;
                expressions.push(format!("q.{}::text", quote(&name)));
                columns.push((name, PgType::named("text")?));
            }
        }
    }
    let query = match cast {
        false => select,
        true => format!("SELECT {} FROM ({select}) AS q", expressions.join(", ")),
    };
    let copy = format!("COPY ({query}) TO STDOUT (FORMAT binary)");
    let stream = client
        .copy_out(copy.as_str())
        .await
        .map_err(|e| db_error(url, "cannot read", &e))?;
    let described = pgcopy::header(&columns).map_err(|e| e.with_location(shown(url)))?;
    let url = url.to_owned();
    // The server sends a message per row: the rows already here go on as one chunk, and the
    // server's header gives way to one that describes the columns.
    let rows = Box::pin(stream.ready_chunks(READY_ROWS));
    let state = Gathering {
        rows,
        head: Some(BytesMut::new()),
        described,
        failed: None,
        client,
        ended: false,
        url: url.clone(),
    };
    let stream = futures_util::stream::unfold(Some(state), move |state| {
        let url = url.clone();
        async move {
            let mut state = state?;
            if let Some(failed) = state.failed.take() {
                state.ended = true;
                return Some((Err(failed), None));
            }
            loop {
                let Some(batch) = state.rows.next().await else {
                    state.ended = true;
                    if state.head.is_some() {
                        let e = error(&url, "the server sent no rows, not even a header");
                        return Some((Err(std::io::Error::other(e)), None));
                    }
                    return None;
                };
                let mut out = match state.head.take() {
                    Some(head) => head,
                    None => BytesMut::new(),
                };
                for message in batch {
                    match message {
                        Ok(bytes) => out.extend_from_slice(&bytes),
                        Err(e) => {
                            let e = db_error(&url, "the read failed", &e);
                            state.failed = Some(std::io::Error::other(e));
                            break;
                        }
                    }
                }
                if state.head.is_none() && !state.described.is_empty() {
                    // Still the server's header: replaced once it is all here.
                    match pgcopy::read_header(&out) {
                        Ok(None) if state.failed.is_none() => {
                            state.head = Some(out);
                            continue;
                        }
                        Ok(None) => {}
                        Ok(Some((_, len))) => {
                            let mut rows = BytesMut::from(&state.described[..]);
                            rows.extend_from_slice(&out[len..]);
                            out = rows;
                            state.described.clear();
                        }
                        Err(e) => return Some((Err(std::io::Error::other(e)), None)),
                    }
                }
                if out.is_empty() && state.failed.is_some() {
                    return Some((Err(state.failed.take().expect("failed")), None));
                }
                return Some((Ok(out.freeze()), Some(state)));
            }
        }
    });
    Ok(RemoteBody::rows(stream))
}

/// The tables and views of the database at `url`, `schema.name` (just `name` in `public`),
/// in order.
pub async fn tables(url: &str) -> Result<Vec<String>> {
    let client = connect(url).await?;
    let rows = client
        .query(
            "SELECT table_schema::text, table_name::text FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
             ORDER BY table_schema <> 'public', table_schema, table_name",
            &[],
        )
        .await
        .map_err(|e| db_error(url, "cannot list the tables", &e))?;
    Ok(rows
        .iter()
        .map(|row| {
            let (schema, name): (String, String) = (row.get(0), row.get(1));
            match schema.as_str() {
                "public" => name,
                _ => format!("{schema}.{name}"),
            }
        })
        .collect())
}

/// Starts writing the table `options` name: see the [module](self). The rows arrive as a
/// binary COPY stream whose header describes its columns (what
/// [`iterable_formats::pgcopy::PgCopyEncoder`] writes).
pub async fn create(url: &str, options: &[(String, String)]) -> Result<RemoteUpload> {
    let destination = Destination::of(url, options)?;
    let client = connect(url).await?;
    let load = Load {
        url: url.to_owned(),
        client,
        destination,
    };
    Ok(RemoteUpload::spawn(PART_SIZE, false, |received| {
        load.run(received)
    }))
}

/// Where a write's rows go.
enum Target {
    /// Into the table, as they are.
    Table,
    /// Into the table, rewritten in COPY's text format for PostgreSQL to parse each field as
    /// its column's type: all the rows' columns are text, and some of the table's are not (a
    /// CSV into typed columns).
    TableAsText,
    /// Into the temporary table named, then from it into the table with casts to its column
    /// types, or by an upsert.
    Staged(String),
}

/// A write's task: the table, and the connection whose transaction holds the rows.
struct Load {
    url: String,
    client: Client,
    destination: Destination,
}

impl Load {
    fn fail<'a>(&'a self, what: &'a str) -> impl Fn(tokio_postgres::Error) -> Error + 'a {
        move |e| db_error(&self.url, &format!("{what} {}", self.destination.table), &e)
    }

    /// Takes the stream's header, readies the table, copies the rows, commits on `Finish`.
    /// Anything else (an error, the writer dropped) drops the connection, and the server
    /// rolls the transaction back.
    async fn run(self, mut received: tokio::sync::mpsc::Receiver<Message>) -> Result<()> {
        let mut head = BytesMut::new();
        let (url, destination) = (&self.url, &self.destination);
        let (columns, header_len, mut last) =
            receive_header(url, destination, &mut received, &mut head).await?;
        if columns.is_empty() {
            // No records, and no schema to make a table of: nothing to do.
            return Ok(());
        }
        self.client
            .batch_execute("BEGIN")
            .await
            .map_err(self.fail("cannot write"))?;
        let into = self.ready_table(&columns).await?;
        let names: Vec<String> = columns.iter().map(|(n, _)| quote(n)).collect();
        let (table, format) = match &into {
            Target::Table => (quote_name(&self.destination.table), " (FORMAT binary)"),
            Target::TableAsText => (quote_name(&self.destination.table), ""),
            Target::Staged(staged) => (quote(staged), " (FORMAT binary)"),
        };
        let copy = format!("COPY {table} ({}) FROM STDIN{format}", names.join(", "));
        let sink = self
            .client
            .copy_in::<_, Bytes>(copy.as_str())
            .await
            .map_err(self.fail("cannot write"))?;
        let mut sink = Box::pin(sink);
        let mut text =
            matches!(into, Target::TableAsText).then(|| TextRows::new(header_len, columns.len()));
        let mut next = Some(head.freeze());
        while let Some(bytes) = next.take() {
            let bytes = match &mut text {
                Some(text) => text.push(&bytes).map_err(|e| self.malformed(&e))?,
                None => bytes,
            };
            if !bytes.is_empty() {
                sink.send(bytes).await.map_err(self.fail("cannot write"))?;
            }
            if last {
                break;
            }
            next = match received.recv().await {
                Some(Message::Part(bytes)) => Some(bytes),
                Some(Message::Finish(bytes)) => {
                    last = true;
                    Some(bytes)
                }
                None => return Err(self.dropped()),
            };
        }
        if let Some(text) = &text {
            text.finish().map_err(|e| self.malformed(&e))?;
        }
        sink.as_mut()
            .finish()
            .await
            .map_err(self.fail("cannot write"))?;
        if let Target::Staged(staged) = into {
            self.insert_staged(&staged, &columns).await?;
        }
        self.client
            .batch_execute("COMMIT")
            .await
            .map_err(self.fail("cannot commit"))?;
        Ok(())
    }

    fn dropped(&self) -> Error {
        self.destination.dropped(&self.url)
    }

    /// The rows given are not a binary COPY stream of the columns its header names.
    fn malformed(&self, what: &str) -> Error {
        let table = &self.destination.table;
        error(
            &self.url,
            format!("cannot write {table}: the rows given are malformed: {what}"),
        )
    }

    /// Makes the table as the mode says, and says where the rows go: see [`Target`].
    async fn ready_table(&self, columns: &Columns) -> Result<Target> {
        let existing = self.existing_columns().await?;
        let definition = || {
            let mut parts: Vec<String> = columns
                .iter()
                .map(|(name, t)| format!("{} {t}", quote(name)))
                .collect();
            if self.destination.mode == Mode::Upsert {
                let key: Vec<String> = self.destination.key.iter().map(|k| quote(k)).collect();
                parts.push(format!("PRIMARY KEY ({})", key.join(", ")));
            }
            parts.join(", ")
        };
        let table = quote_name(&self.destination.table);
        let make = |sql: String| async move {
            self.client
                .batch_execute(&sql)
                .await
                .map_err(self.fail("cannot make the table"))
        };
        match (self.destination.mode, existing) {
            (Mode::Create, Some(_)) => Err(self.destination.exists(&self.url)),
            (Mode::Replace, Some(_)) => {
                make(format!(
                    "DROP TABLE {table}; CREATE TABLE {table} ({})",
                    definition()
                ))
                .await?;
                Ok(Target::Table)
            }
            (_, None) => {
                make(format!("CREATE TABLE {table} ({})", definition())).await?;
                Ok(Target::Table)
            }
            (mode, Some(existing)) => {
                let mut same = true;
                for (name, t) in columns {
                    let Some((_, theirs)) = existing.iter().find(|(n, _)| n == name) else {
                        let known = existing.iter().map(|(n, _)| n.as_str());
                        return Err(self.destination.no_column(&self.url, name, known));
                    };
                    same &= PgType::from_name(theirs) == Some(*t);
                }
                if mode == Mode::Append && self.takes_copy().await? {
                    let text = PgType::from_name("text");
                    if same {
                        return Ok(Target::Table);
                    } else if columns.iter().all(|(_, t)| Some(*t) == text) {
                        return Ok(Target::TableAsText);
                    }
                }
                let staged = "iterable_staged_rows".to_owned();
                let definition: Vec<String> = columns
                    .iter()
                    .map(|(name, t)| format!("{} {t}", quote(name)))
                    .collect();
                make(format!(
                    "CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP",
                    quote(&staged),
                    definition.join(", ")
                ))
                .await?;
                Ok(Target::Staged(staged))
            }
        }
    }

    /// Whether `COPY ... FROM` into the table does what an `INSERT` would: it is a table (a
    /// view refuses COPY), without row-level security (which refuses it) or rules (which it
    /// skips). Rows for anything else go in by an `INSERT` from a temporary table.
    async fn takes_copy(&self) -> Result<bool> {
        let row = self
            .client
            .query_opt(
                "SELECT c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND NOT c.relhasrules \
                 FROM pg_class c WHERE c.oid = to_regclass($1)",
                &[&quote_name(&self.destination.table)],
            )
            .await
            .map_err(self.fail("cannot look up"))?;
        Ok(row.is_some_and(|row| row.get::<_, bool>(0)))
    }

    /// The table's columns and their types (`format_type`'s text), `None` when there is no
    /// such table.
    async fn existing_columns(&self) -> Result<Option<Vec<(String, String)>>> {
        let rows = self
            .client
            .query(
                "SELECT a.attname::text, format_type(a.atttypid, NULL) FROM pg_attribute a \
                 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY a.attnum",
                &[&quote_name(&self.destination.table)],
            )
            .await
            .map_err(self.fail("cannot look up"))?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.iter()
                .map(|row| (row.get::<_, String>(0), row.get::<_, String>(1)))
                .collect(),
        ))
    }

    /// Inserts the staged rows into the table, cast to its column types; for an upsert,
    /// updating the rows whose key is there.
    async fn insert_staged(&self, staged: &str, columns: &Columns) -> Result<()> {
        let existing = self.existing_columns().await?.unwrap_or_default();
        let names: Vec<String> = columns.iter().map(|(n, _)| quote(n)).collect();
        let values: Vec<String> = columns
            .iter()
            .map(|(name, _)| {
                let theirs = existing.iter().find(|(n, _)| n == name).map(|(_, t)| t);
                match theirs {
                    Some(t) => format!("{}::{t}", quote(name)),
                    None => quote(name),
                }
            })
            .collect();
        let mut sql = format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            quote_name(&self.destination.table),
            names.join(", "),
            values.join(", "),
            quote(staged)
        );
        if self.destination.mode == Mode::Upsert {
            let key: Vec<String> = self.destination.key.iter().map(|k| quote(k)).collect();
            let updates: Vec<String> = columns
                .iter()
                .filter(|(name, _)| !self.destination.key.contains(name))
                .map(|(name, _)| format!("{0} = EXCLUDED.{0}", quote(name)))
                .collect();
            sql.push_str(&format!(" ON CONFLICT ({})", key.join(", ")));
            match updates.is_empty() {
                true => sql.push_str(" DO NOTHING"),
                false => sql.push_str(&format!(" DO UPDATE SET {}", updates.join(", "))),
            }
        }
        self.client
            .batch_execute(&sql)
            .await
            .map_err(self.fail("cannot write"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_lines_split_at_unescaped_colons() {
        assert_eq!(
            pgpass_fields(r"h:5432:*:u:pa\:ss\\"),
            ["h", "5432", "*", "u", r"pa:ss\"]
        );
    }

    #[test]
    fn names_are_quoted() {
        assert_eq!(quote_name("s.Ta\"b"), "\"s\".\"Ta\"\"b\"");
    }
}
