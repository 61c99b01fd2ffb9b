//! MySQL and MariaDB databases, `mysql://user:password@host:port/db` (or `mariadb://`), on
//! mysql_async: natively async, no thread around a blocking driver.
//!
//! **Read** (`-o` options, as for [`crate::postgres`]): `table=NAME` (`db.name` allowed) with
//! `columns=a,b` and `filter=CONDITION`, or `query=SQL`. The rows stream as the server sends
//! them (the binary protocol of a prepared statement), memory flat in the table's size, and
//! go on, written field by field ([`iterable_formats::pgcopy::RowWriter`]), as the binary COPY
//! format ([`iterable_formats::pgcopy`]) with the columns' names and
//! types in its header, which the reader decodes into typed values:
//!
//! | MySQL | value |
//! |---|---|
//! | `TINYINT` .. `BIGINT`, `YEAR` | `Int` (`BIGINT UNSIGNED`: `Decimal`; `TINYINT(1)` stays an integer) |
//! | `FLOAT`, `DOUBLE` | `Float` |
//! | `DECIMAL` | `Decimal`, exactly (past 38 digits a string of its digits) |
//! | `CHAR`, `VARCHAR`, `TEXT`, `ENUM`, `SET` | `String` |
//! | `BINARY`, `VARBINARY`, `BLOB`, geometry | `Bytes` |
//! | `JSON` (MariaDB's too: text checked by `json_valid`) | nested values |
//! | `BIT(1)` | `Bool`; wider `BIT`: `Int` |
//! | `DATE` | `Date` (the zero date `0000-00-00`, and dates with a zero month or day: null) |
//! | `TIME` | `Time`; a `TIME` outside a day (negative, 24 hours or more) is an error |
//! | `DATETIME` | `Timestamp` without a time zone |
//! | `TIMESTAMP` | `Timestamp` in UTC (the session's time zone is UTC) |
//!
//! **Write** (`-O` options, as for [`crate::postgres`]): `table=NAME` (required),
//! `mode=append|create|replace|upsert` with `key=id[,..]` for upserts. The rows go as the
//! lines of one `LOAD DATA LOCAL INFILE`, sent from memory as they come (no file is made,
//! and whatever file the server's request names, it gets the lines, never a file), which
//! the server parses as fast as it loads a file of its own; as multi-row `INSERT`s of up to 8 MiB (a longer row alone, up to the
//! server's `max_allowed_packet`) for an upsert into a table that is there (`ON DUPLICATE
//! KEY UPDATE`, which `LOAD DATA` lacks), into a table of an engine without transactions
//! (MyISAM, Aria: see below), and where the server's `local_infile` is off (MySQL 8's
//! default). Either way in one transaction committed at the end, in strict SQL mode: a
//! value the column cannot hold is an error, never a silent change. `LOAD DATA LOCAL` makes
//! of such errors (a duplicate key, a value too long) warnings and goes on: a load or an
//! `INSERT` the server answers with a warning (a decimal rounded) is an error, as is a load
//! that took fewer rows than were sent; and so is a value an integer or time
//! column would round without a word (`1.5` into an integer column, `10:00:00.5` into a
//! `TIME`; floats into `FLOAT` or `DOUBLE` round as floats do). MySQL commits each
//! `CREATE TABLE` at once, so a new table's rows go first into a temporary table, which goes
//! with the connection: the table is made of them at the end, in one statement
//! (`CREATE TABLE ... SELECT`), and `replace` makes a new table that takes the old one's place
//! (`RENAME TABLE`), leaving the old one as it was when anything fails (one that a foreign key
//! refers to cannot be dropped: the two are swapped back, and that is an error). The rows of a
//! new table are so written twice, once by the client and once by the server. A missing
//! table is made from the columns the writer decided (the schema given, or the first
//! records): `BIT(1)` for booleans (MySQL's `BOOLEAN` is a `TINYINT`), `SMALLINT`, `INT`,
//! `BIGINT`, `FLOAT`, `DOUBLE`, `DECIMAL(p,s)` (wide enough for the first rows' values),
//! `LONGTEXT` (`VARCHAR(255)` in a key), `LONGBLOB`, `DATE`, `TIME(6)` (durations too),
//! `DATETIME(6)` (timestamps with a time zone are stored in UTC, and read back without one),
//! `CHAR(36)` for UUIDs, `JSON` for nested values and lists. A NaN or an infinite float is an
//! error (MySQL holds none). Upserts use `ON DUPLICATE KEY UPDATE` (on MySQL, 8.0.19 or later:
//! `AS new`), and need a primary key or unique index of exactly the key's columns; a key
//! repeated in the input updates the row again. Tables of an engine without transactions
//! (MyISAM) keep the rows written before a failure.
//!
//! **Connection**: the URL's user, password, host, port and database, else `MYSQL_PWD` for the
//! password and `USER` for the user; a URL's password with `@`, `:` or `/` in it is
//! percent-encoded (`%40`). Errors name the location without its user and password.
//!
//! **TLS** (rustls), by the URL's `ssl-mode` and `ssl-ca` (the names of MySQL's own client),
//! with a client certificate for servers that ask for one (`REQUIRE X509`) from the PEM files
//! `ssl-cert` (the certificate and its chain) and `ssl-key` (its unencrypted key):
//!
//! | `ssl-mode` | TLS | the server's certificate |
//! |---|---|---|
//! | `DISABLED` | never | - |
//! | `PREFERRED` (the default), without `ssl-ca` | when the server has it | not checked |
//! | `REQUIRED`, without `ssl-ca` | always | not checked |
//! | `VERIFY_CA`, and `PREFERRED` or `REQUIRED` with `ssl-ca` | always | signed by a root certificate |
//! | `VERIFY_IDENTITY` | always | signed by a root certificate, for the URL's host |
//!
//! The root certificates: the PEM file `ssl-ca` names, else the Mozilla roots
//! (webpki-roots). mysql_async 0.37.1 checks the host's name in `VERIFY_CA` too
//! (blackbeam/mysql_async#404, fixed in its repository but not yet released): until then
//! `VERIFY_CA` is `VERIFY_IDENTITY`. rustls speaks TLS 1.2 and 1.3: a server that has only
//! older versions (MySQL 5.6, some 5.7 builds) fails the handshake, even when TLS is only
//! preferred; `ssl-mode=DISABLED` reaches it. The driver's own parameters (`require_ssl=true`,
//! `verify_ca`, `verify_identity`) are honoured when `ssl-mode` and `ssl-ca` are not given.
//!
//! ```no_run
//! # async fn run() -> iterable_core::Result<()> {
//! let url = "mysql://reader@db.example.com/shop?ssl-mode=VERIFY_IDENTITY&ssl-ca=ca.pem";
//! let tables = iterable_sources::database::tables(url).await?;
//! # Ok(())
//! # }
//! ```

use crate::RemoteBody;
use crate::database::{
    Destination, Mode, Selection, error, receive, receive_header, shown, take_parameters,
};
use crate::upload::{Message, RemoteUpload};
use bytes::{Bytes, BytesMut};
use iterable_core::{
    Date, Decoder, Error, ErrorKind, Position, Record, Result, Time, TimeUnit, Timestamp, Value,
};
use iterable_formats::pgcopy::{self, Columns, PgCopyDecoder, PgType, RowWriter};
use mysql_async::consts::{ColumnFlags, ColumnType};
use mysql_async::prelude::Queryable;
use mysql_async::{
    ClientIdentity, Column, Conn, DriverError, Opts, OptsBuilder, SslOpts, Value as MyValue,
};
use std::sync::Arc;

/// The bytes of rows gathered before they go on as one chunk.
const CHUNK_SIZE: usize = 64 << 10;

/// The part size of a write: rows arrive in pieces of this size.
const PART_SIZE: usize = 1 << 20;

/// The most bytes of `LOAD DATA` lines sent as one packet (fewer when the server's
/// `max_allowed_packet` is smaller).
const LOAD_CHUNK: usize = 1 << 20;

/// The longest `INSERT` sent, whatever the server allows.
const MAX_STATEMENT: usize = 8 << 20;

/// The temporary table that holds the rows of a new table until they are all there.
const STAGING_TABLE: &str = "iterable_staged_rows";

/// The table a write makes of its staged rows: its columns' definition, and whether it takes
/// the place of a table that is there (`replace`).
struct Staged {
    definition: String,
    swap: bool,
}

/// The longest row a write takes (as the binary COPY format holds it).
const MAX_ROW: usize = 64 << 20;

/// The session every connection sets up: UTC, UTF-8, strict about values, and `\` no escape
/// character (string literals double their quotes only).
const SESSION: &[&str] = &[
    "SET time_zone = '+00:00'",
    "SET NAMES utf8mb4",
    "SET sql_mode = 'STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES,ERROR_FOR_DIVISION_BY_ZERO,\
     NO_ENGINE_SUBSTITUTION,NO_ZERO_IN_DATE,NO_ZERO_DATE'",
];

/// A driver error in words (the server's code and message when it sent one).
fn db_error(url: &str, what: &str, e: &mysql_async::Error) -> Error {
    error(url, format!("{what}: {e}"))
}

/// An error of the value of record (row) `row`, counted from 1.
fn row_error(url: &str, row: u64, message: String) -> Error {
    let at = Position {
        record: Some(row),
        ..Position::default()
    };
    Error::new(ErrorKind::InvalidRecord, message)
        .at(at)
        .with_location(shown(url))
}

/// The URL parameters read here, not by the driver: the TLS settings (see the [module](self)).
const TLS_PARAMETERS: &[&str] = &["ssl-mode", "ssl-ca", "ssl-cert", "ssl-key"];

/// The connection's settings: the URL's, else `MYSQL_PWD` and `USER`; and whether its TLS is
/// only preferred (to do without when the server has none).
fn opts(url: &str) -> Result<(Opts, bool)> {
    let (_, rest) = url.split_once("://").unwrap_or(("", url));
    let (rest, tls) = take_parameters(rest, TLS_PARAMETERS);
    let opts = Opts::from_url(&format!("mysql://{rest}"))
        .map_err(|e| error(url, format!("not a MySQL URL: {e}")))?;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let given = |name: &str| {
        let value = tls.iter().rev().find(|(n, _)| n == name);
        value.map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    };
    let ca = given("ssl-ca");
    let roots = match ca {
        Some(ca) => SslOpts::default()
            .with_root_certs(vec![std::path::PathBuf::from(ca).into()])
            .with_disable_built_in_roots(true),
        None => SslOpts::default(),
    };
    let unchecked = SslOpts::default().with_danger_accept_invalid_certs(true);
    let identity = match (given("ssl-cert"), given("ssl-key")) {
        (None, None) => None,
        (Some(certificate), Some(key)) => Some(ClientIdentity::new(
            std::path::PathBuf::from(certificate).into(),
            std::path::PathBuf::from(key).into(),
        )),
        _ => return Err(error(url, "give ssl-cert and ssl-key together")),
    };
    let (roots, unchecked) = (
        roots.with_client_identity(identity.clone()),
        unchecked.with_client_identity(identity),
    );
    let mode = given("ssl-mode").map(str::to_ascii_uppercase);
    let (ssl, preferred) = match (mode.as_deref(), ca.is_some()) {
        (None, false) if opts.ssl_opts().is_some() => (opts.ssl_opts().cloned(), false),
        (Some("DISABLED"), _) => (None, false),
        (None | Some("PREFERRED"), false) => (Some(unchecked), true),
        (Some("REQUIRED"), false) => (Some(unchecked), false),
        (None | Some("PREFERRED" | "REQUIRED" | "VERIFY_CA"), _) => {
            (Some(roots.with_danger_skip_domain_validation(true)), false)
        }
        (Some("VERIFY_IDENTITY"), _) => (Some(roots), false),
        (Some(other), _) => {
            return Err(error(
                url,
                format!(
                    "ssl-mode {other:?} is none of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, \
                     VERIFY_IDENTITY"
                ),
            ));
        }
    };
    let mut builder = OptsBuilder::from_opts(opts.clone())
        .prefer_socket(false)
        .ssl_opts(ssl)
        .init(SESSION.to_vec());
    if opts.pass().is_none() {
        builder = builder.pass(var("MYSQL_PWD"));
    }
    if opts.user().is_none() {
        builder = builder.user(Some(var("USER").unwrap_or_else(|| "root".into())));
    }
    Ok((builder.into(), preferred))
}

/// Connects, with TLS as the URL asks: when it is only preferred and the server has none,
/// again without.
async fn connect(url: &str) -> Result<Conn> {
    // mysql_async's TLS takes the process's rustls crypto provider: aws-lc-rs, unless the
    // program chose one (with two providers built in, rustls picks none by itself).
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
    let (opts, preferred) = opts(url)?;
    let connected = match Conn::new(opts.clone()).await {
        Err(mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer)) if preferred => {
            Conn::new(OptsBuilder::from_opts(opts).ssl_opts(None)).await
        }
        connected => connected,
    };
    connected.map_err(|e| db_error(url, "cannot connect", &e))
}

/// `name` (`db.table`, or `table`) as a quoted SQL identifier.
fn quote_name(name: &str) -> String {
    name.split('.').map(quote).collect::<Vec<_>>().join(".")
}

fn quote(identifier: &str) -> String {
    format!("`{}`", identifier.replace('`', "``"))
}

/// How the values of a column are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadAs {
    Integer,
    Float,
    Decimal,
    /// Text, bytes or JSON text: passed on as they are.
    Bytes,
    Bool,
    Bits,
    Date,
    DateTime,
    Timestamp,
    Time,
}

/// The time zone of `TIMESTAMP` values (the session's), one for all of them.
static UTC: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from("UTC"));

/// MySQL's character set number of binary strings.
const BINARY_CHARSET: u16 = 63;

impl ReadAs {
    /// How `column` is read, and the binary COPY type it goes on as; `json`: MariaDB's JSON
    /// column (text checked by `json_valid`).
    fn of(column: &Column, json: bool) -> (ReadAs, &'static str) {
        use ColumnType::*;
        let flags = column.flags();
        let unsigned = flags.contains(ColumnFlags::UNSIGNED_FLAG);
        let integer = |signed, unsigned_type| match unsigned {
            false => (ReadAs::Integer, signed),
            true => (ReadAs::Integer, unsigned_type),
        };
        match column.column_type() {
            MYSQL_TYPE_TINY => integer("int2", "int2"),
            MYSQL_TYPE_SHORT => integer("int2", "int4"),
            MYSQL_TYPE_INT24 | MYSQL_TYPE_LONG => integer("int4", "int8"),
            MYSQL_TYPE_LONGLONG => integer("int8", "numeric"),
            MYSQL_TYPE_YEAR => (ReadAs::Integer, "int2"),
            MYSQL_TYPE_FLOAT => (ReadAs::Float, "float4"),
            MYSQL_TYPE_DOUBLE => (ReadAs::Float, "float8"),
            MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => (ReadAs::Decimal, "numeric"),
            MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => (ReadAs::Date, "date"),
            MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2 => (ReadAs::DateTime, "timestamp"),
            MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2 => (ReadAs::Timestamp, "timestamptz"),
            MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => (ReadAs::Time, "time"),
            MYSQL_TYPE_BIT if column.column_length() == 1 => (ReadAs::Bool, "bool"),
            MYSQL_TYPE_BIT if column.column_length() == 64 => (ReadAs::Bits, "numeric"),
            MYSQL_TYPE_BIT => (ReadAs::Bits, "int8"),
            MYSQL_TYPE_JSON => (ReadAs::Bytes, "json"),
            _ if json => (ReadAs::Bytes, "json"),
            MYSQL_TYPE_ENUM | MYSQL_TYPE_SET => (ReadAs::Bytes, "text"),
            MYSQL_TYPE_VARCHAR
            | MYSQL_TYPE_VAR_STRING
            | MYSQL_TYPE_STRING
            | MYSQL_TYPE_TINY_BLOB
            | MYSQL_TYPE_MEDIUM_BLOB
            | MYSQL_TYPE_LONG_BLOB
            | MYSQL_TYPE_BLOB => {
                let binary = column.character_set() == BINARY_CHARSET
                    && !flags.intersects(ColumnFlags::ENUM_FLAG | ColumnFlags::SET_FLAG);
                match binary {
                    true => (ReadAs::Bytes, "bytea"),
                    false => (ReadAs::Bytes, "text"),
                }
            }
            MYSQL_TYPE_NULL => (ReadAs::Bytes, "text"),
            _ => (ReadAs::Bytes, "bytea"),
        }
    }

    /// Writes `value`, read as this says, as a field of `pg_type`.
    fn write(
        self,
        pg_type: PgType,
        value: MyValue,
        row: &mut RowWriter<'_>,
    ) -> std::result::Result<(), String> {
        let typed = match (self, value) {
            (_, MyValue::NULL) => Value::Null,
            (ReadAs::Bytes, MyValue::Bytes(bytes)) => return row.bytes(&bytes),
            (ReadAs::Decimal, MyValue::Bytes(text)) => {
                let text = std::str::from_utf8(&text).map_err(|_| "a DECIMAL not in digits")?;
                return row.numeric(text);
            }
            (ReadAs::Integer, MyValue::Int(i)) => Value::Int(i),
            (ReadAs::Integer, MyValue::UInt(u)) => match i64::try_from(u) {
                Ok(i) => Value::Int(i),
                Err(_) => return row.numeric(&u.to_string()),
            },
            (ReadAs::Float, MyValue::Float(f)) => Value::Float(f64::from(f)),
            (ReadAs::Float, MyValue::Double(f)) => Value::Float(f),
            (ReadAs::Bool | ReadAs::Bits, MyValue::Bytes(bytes)) => {
                let bits = bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
                match (self, i64::try_from(bits)) {
                    (ReadAs::Bool, _) => Value::Bool(bits != 0),
                    (_, Ok(i)) => Value::Int(i),
                    (_, Err(_)) => return row.numeric(&bits.to_string()),
                }
            }
            (ReadAs::Bool, MyValue::Int(i)) => Value::Bool(i != 0),
            (ReadAs::Bits, MyValue::Int(i)) => Value::Int(i),
            (ReadAs::Date, MyValue::Date(y, m, d, ..)) => {
                match Date::from_ymd(y.into(), m.into(), d.into()) {
                    Some(date) => Value::Date(date),
                    // The zero date, or a date with a zero month or day.
                    None => Value::Null,
                }
            }
            (ReadAs::DateTime | ReadAs::Timestamp, MyValue::Date(y, m, d, h, mi, s, us)) => {
                match Date::from_ymd(y.into(), m.into(), d.into()) {
                    Some(date) => {
                        let seconds = i64::from(date.days()) * 86_400
                            + i64::from(h) * 3_600
                            + i64::from(mi) * 60
                            + i64::from(s);
                        let micros = seconds * 1_000_000 + i64::from(us);
                        let zone = (self == ReadAs::Timestamp).then(|| UTC.clone());
                        Value::Timestamp(Timestamp::new(micros, TimeUnit::Microsecond, zone))
                    }
                    None => Value::Null,
                }
            }
            (ReadAs::Time, MyValue::Time(negative, days, h, m, s, us)) => {
                if negative || days > 0 {
                    let sign = if negative { "-" } else { "" };
                    let hours = u64::from(days) * 24 + u64::from(h);
                    return Err(format!(
                        "the TIME {sign}{hours}:{m:02}:{s:02} is not a time of day (read it as \
                         text: -o query=\"SELECT CAST(... AS CHAR) ...\")"
                    ));
                }
                let seconds = i64::from(h) * 3_600 + i64::from(m) * 60 + i64::from(s);
                let micros = seconds * 1_000_000 + i64::from(us);
                Value::Time(Time::new(micros, TimeUnit::Microsecond))
            }
            (read, other) => {
                return Err(format!(
                    "a value {other:?} that a {read:?} column does not hold"
                ));
            }
        };
        row.value(pg_type, &typed)
    }
}

/// The columns of the server's tables that MariaDB's `JSON` made (text checked by
/// `json_valid`), as `(database, table, column)`; none on MySQL, whose JSON is a type.
async fn mariadb_json_columns(
    url: &str,
    conn: &mut Conn,
    columns: &[Column],
) -> Result<Vec<(String, String, String)>> {
    let version: Option<String> = conn
        .query_first("SELECT VERSION()")
        .await
        .map_err(|e| db_error(url, "cannot read", &e))?;
    let mut tables: Vec<(String, String)> = columns
        .iter()
        .map(|c| (c.schema_str().into_owned(), c.org_table_str().into_owned()))
        .filter(|(_, table)| !table.is_empty())
        .collect();
    tables.sort();
    tables.dedup();
    if !version.is_some_and(|v| v.contains("MariaDB")) || tables.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for (schema, table) in tables {
        let clauses: Vec<String> = conn
            .exec(
                "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
                 WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?",
                (&schema, &table),
            )
            .await
            .map_err(|e| db_error(url, "cannot read", &e))?;
        for clause in clauses {
            let clause = clause.trim();
            if let Some(name) = clause
                .strip_prefix("json_valid(`")
                .and_then(|rest| rest.strip_suffix("`)"))
            {
                found.push((schema.clone(), table.clone(), name.replace("``", "`")));
            }
        }
    }
    Ok(found)
}

/// The first warning the server has for the last statement on `conn`, in words.
async fn server_warning(conn: &mut Conn) -> String {
    let warnings: Vec<(String, String, String)> =
        conn.query("SHOW WARNINGS").await.unwrap_or_default();
    warnings.into_iter().next().map_or_else(
        || "a warning".to_owned(),
        |(_, code, m)| format!("{m} ({code})"),
    )
}

/// Stops the query that connection `id` runs, for a reader gone before the end: a connection
/// dropped as it is reads the rest of the rows first (to be reused), which for a big table
/// takes long; a killed query ends at once.
async fn stop_query(url: &str, id: u32) {
    if let Ok(mut other) = connect(url).await {
        let _ = other.query_drop(format!("KILL QUERY {id}")).await;
        let _ = other.disconnect().await;
    }
}

/// Starts reading what `options` name: see the [module](self).
pub async fn open(url: &str, options: &[(String, String)]) -> Result<RemoteBody> {
    let select = Selection::of(url, options)?.select(quote, quote_name);
    let mut conn = connect(url).await?;
    let statement = conn
        .prep(select.as_str())
        .await
        .map_err(|e| db_error(url, "cannot read", &e))?;
    let columns = statement.columns();
    let json = mariadb_json_columns(url, &mut conn, &columns).await?;
    let mut reads = Vec::new();
    let mut described: Columns = Vec::new();
    for column in columns.iter() {
        let is_json = json.iter().any(|(schema, table, json_name)| {
            *schema == column.schema_str()
                && *table == column.org_table_str()
                && *json_name == column.org_name_str()
        });
        let (read, type_name) = ReadAs::of(column, is_json);
        let pg_type = PgType::named(type_name).expect("a binary COPY type");
        reads.push((read, pg_type));
        described.push((column.name_str().into_owned(), pg_type));
    }
    let header = pgcopy::header(&described).map_err(|e| e.with_location(shown(url)))?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(2);
    let task_url = url.to_owned();
    let id = conn.id();
    tokio::spawn(async move {
        let url = task_url;
        let fail = |e: Error| Err(std::io::Error::other(e));
        let mut result = match conn.exec_iter(statement, ()).await {
            Ok(result) => result,
            Err(e) => {
                let _ = sender.send(fail(db_error(&url, "cannot read", &e))).await;
                return;
            }
        };
        // The query runs: an empty chunk says so.
        if sender.send(Ok(Bytes::new())).await.is_err() {
            drop(result);
            stop_query(&url, id).await;
            return;
        }
        let mut out = BytesMut::from(&header[..]);
        let mut row = 0u64;
        loop {
            // The next row, unless the reader goes first (a query whose filter matches
            // nothing for long keeps no chunk coming to find that out by).
            let next = {
                let next = std::pin::pin!(result.next());
                let gone = std::pin::pin!(sender.closed());
                match futures_util::future::select(next, gone).await {
                    futures_util::future::Either::Left((next, _)) => Some(next),
                    futures_util::future::Either::Right(_) => None,
                }
            };
            let Some(next) = next else {
                drop(result);
                stop_query(&url, id).await;
                return;
            };
            let values = match next {
                Ok(Some(values)) => values.unwrap(),
                Ok(None) => break,
                Err(e) => {
                    if !out.is_empty() {
                        let _ = sender.send(Ok(out.split().freeze())).await;
                    }
                    let _ = sender
                        .send(fail(db_error(&url, "the read failed", &e)))
                        .await;
                    return;
                }
            };
            row += 1;
            let start = out.len();
            let Ok(mut writer) = RowWriter::start(&mut out, reads.len()) else {
                let e = error(&url, format!("a row of {} columns", reads.len()));
                let _ = sender.send(fail(e)).await;
                return;
            };
            let written = values.into_iter().zip(&reads).enumerate().try_for_each(
                |(i, (value, (read, pg_type)))| {
                    read.write(*pg_type, value, &mut writer).map_err(|message| {
                        let name = described.get(i).map_or("?", |(n, _)| n.as_str());
                        row_error(&url, row, format!("column {name:?}: {message}"))
                    })
                },
            );
            if let Err(e) = written {
                out.truncate(start);
                if !out.is_empty() {
                    let _ = sender.send(Ok(out.split().freeze())).await;
                }
                let _ = sender.send(fail(e)).await;
                return;
            }
            if out.len() >= CHUNK_SIZE && sender.send(Ok(out.split().freeze())).await.is_err() {
                // The reader is gone before the end.
                drop(result);
                stop_query(&url, id).await;
                return;
            }
        }
        // A warning says the rows may not be all there (MariaDB's recursion limit ends a
        // query early with one): an error after them, not a silent end.
        let warnings = result.warnings();
        drop(result);
        if warnings > 0 {
            let shown = server_warning(&mut conn).await;
            let e = error(&url, format!("the read ended with a warning: {shown}"));
            let _ = sender.send(Ok(out.freeze())).await;
            let _ = sender.send(fail(e)).await;
            return;
        }
        out.extend_from_slice(pgcopy::TRAILER);
        let _ = sender.send(Ok(out.freeze())).await;
    });
    match receiver.recv().await {
        Some(Ok(_)) => {}
        Some(Err(e)) => {
            return Err(match e.into_inner().map(|e| e.downcast::<Error>()) {
                Some(Ok(e)) => *e,
                _ => error(url, "the read failed"),
            });
        }
        None => return Err(error(url, "the read ended before it began")),
    }
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((chunk, receiver))
    });
    Ok(RemoteBody::rows(stream))
}

/// The tables and views of the database the URL names, in order; of every database, as
/// `db.name`, when it names none.
pub async fn tables(url: &str) -> Result<Vec<String>> {
    let mut conn = connect(url).await?;
    let rows: Vec<(String, String, bool)> = conn
        .query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_SCHEMA = DATABASE(), FALSE) \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             OR DATABASE() IS NULL AND TABLE_SCHEMA NOT IN \
             ('mysql', 'information_schema', 'performance_schema', 'sys') \
             ORDER BY TABLE_SCHEMA, TABLE_NAME",
        )
        .await
        .map_err(|e| db_error(url, "cannot list the tables", &e))?;
    let _ = conn.disconnect().await;
    Ok(rows
        .into_iter()
        .map(|(schema, name, default)| match default {
            true => name,
            false => format!("{schema}.{name}"),
        })
        .collect())
}

/// Starts writing the table `options` name: see the [module](self). The rows arrive as a
/// binary COPY stream whose header describes its columns (what
/// [`iterable_formats::pgcopy::PgCopyEncoder`] writes).
pub async fn create(url: &str, options: &[(String, String)]) -> Result<RemoteUpload> {
    let destination = Destination::of(url, options)?;
    let mut conn = connect(url).await?;
    let (version, packet): (String, u64) = conn
        .query_first("SELECT VERSION(), @@max_allowed_packet")
        .await
        .map_err(|e| db_error(url, "cannot write", &e))?
        .ok_or_else(|| error(url, "the server did not say its version"))?;
    // (A server of MySQL's protocol without the setting takes no `LOAD DATA LOCAL` either.)
    let local_infile = conn
        .query_first::<bool, _>("SELECT @@local_infile")
        .await
        .ok()
        .flatten()
        .unwrap_or(false);
    let load = Load {
        url: url.to_owned(),
        conn: Some(conn),
        destination,
        mariadb: version.contains("MariaDB"),
        max_packet: usize::try_from(packet)
            .unwrap_or(usize::MAX)
            .saturating_sub(4096)
            .max(4096),
        local_infile,
        made: None,
    };
    Ok(RemoteUpload::spawn(PART_SIZE, false, |received| {
        load.run(received)
    }))
}

/// A write's task: the table, and the connection whose transaction holds the rows.
struct Load {
    url: String,
    /// The connection, until the write ends.
    conn: Option<Conn>,
    destination: Destination,
    mariadb: bool,
    /// The longest statement the server takes (its `max_allowed_packet`, less a margin).
    max_packet: usize,
    /// Whether the server takes `LOAD DATA LOCAL INFILE` (its `local_infile`; MySQL 8 has it
    /// off unless set).
    local_infile: bool,
    /// The table this write is making (dropped again when it fails).
    made: Option<String>,
}

impl Load {
    fn conn(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("connected until the write ends")
    }

    fn fail<'a>(&'a self, what: &'a str) -> impl Fn(mysql_async::Error) -> Error + 'a {
        move |e| db_error(&self.url, &format!("{what} {}", self.destination.table), &e)
    }

    /// Writes the rows; on failure rolls back and drops the table it was making. (Dropped
    /// before it ends, as when the writer is, it drops the connection: the server rolls the
    /// transaction back and drops the temporary table.)
    async fn run(mut self, received: tokio::sync::mpsc::Receiver<Message>) -> Result<()> {
        let outcome = self.load(received).await;
        let mut conn = self.conn.take().expect("connected until the write ends");
        if outcome.is_err() {
            undo(&mut conn, self.made.take()).await;
        }
        let _ = conn.disconnect().await;
        outcome
    }

    /// Takes the stream's header, readies the table, sends the rows (by `LOAD DATA LOCAL
    /// INFILE` where it can, else by `INSERT`s), commits on `Finish`.
    async fn load(&mut self, mut received: tokio::sync::mpsc::Receiver<Message>) -> Result<()> {
        let mut buf = BytesMut::new();
        let (url, destination) = (&self.url, &self.destination);
        let (columns, _, last) = receive_header(url, destination, &mut received, &mut buf).await?;
        if columns.is_empty() {
            // No records, and no schema to make a table of: nothing to do.
            return Ok(());
        }
        let mut incoming = Incoming {
            received,
            buf,
            decoder: PgCopyDecoder::new(None, MAX_ROW),
            last,
            pending: std::collections::VecDeque::new(),
            taken: 0,
        };
        incoming.fill(url, destination).await?;
        let first = incoming.pending.make_contiguous();
        let (into, roundings, staged) = self.ready_table(&columns, first).await?;
        let table = Target {
            name: &into,
            columns: &columns,
            roundings: &roundings,
        };
        let upsert = self.destination.mode == Mode::Upsert;
        let by_load_data = self.local_infile
            && match (&staged, upsert) {
                // The staging table, dropped when anything fails; an upsert's later rows
                // of a key replace earlier ones there either way.
                (Some(_), _) => true,
                // `ON DUPLICATE KEY UPDATE`, which `LOAD DATA` lacks (its `REPLACE` would
                // delete the old row, and what refers to it).
                (None, true) => false,
                // What `LOCAL` makes warnings of would stay, changed, in a table without
                // transactions.
                (None, false) => self.transactional().await?,
            };
        self.conn()
            .query_drop("START TRANSACTION")
            .await
            .map_err(self.fail("cannot write"))?;
        match by_load_data {
            true => self.load_data(&table, upsert, &mut incoming).await?,
            false => self.insert_rows(&table, &mut incoming).await?,
        }
        self.conn()
            .query_drop("COMMIT")
            .await
            .map_err(self.fail("cannot commit"))?;
        if let Some(staged) = staged {
            self.make(staged, &columns).await?;
        }
        Ok(())
    }

    /// Sends the rows `incoming` as multi-row `INSERT`s of up to 8 MiB (a longer row alone).
    async fn insert_rows(&mut self, table: &Target<'_>, incoming: &mut Incoming) -> Result<()> {
        let names: Vec<String> = table.columns.iter().map(|(n, _)| quote(n)).collect();
        let head = format!("INSERT INTO {} ({}) VALUES ", table.name, names.join(", "));
        let tail = self.upsert_tail(table.columns);
        let most = self.max_packet.min(MAX_STATEMENT);
        let mut statement = String::with_capacity(most.min(1 << 20));
        let mut literal = String::new();
        while let Some((row, record)) = incoming.next(&self.url, &self.destination).await? {
            literal.clear();
            literal.push('(');
            for (i, value) in record.values().iter().enumerate() {
                if i > 0 {
                    literal.push_str(", ");
                }
                table
                    .check(i, value)
                    .and_then(|()| push_literal(&mut literal, value))
                    .map_err(|message| table.field_error(&self.url, row, i, message))?;
            }
            literal.push(')');
            if head.len() + literal.len() + tail.len() > self.max_packet {
                return Err(error(
                    &self.url,
                    format!(
                        "row {row} is longer than the {} bytes a statement may be here \
                         (the server's max_allowed_packet)",
                        self.max_packet
                    ),
                ));
            }
            // Rows gather into INSERTs of 8 MiB at most; a longer row goes alone.
            if !statement.is_empty() && statement.len() + 2 + literal.len() + tail.len() > most {
                self.insert(&mut statement, &tail).await?;
            }
            if statement.is_empty() {
                statement.push_str(&head);
            } else {
                statement.push_str(", ");
            }
            statement.push_str(&literal);
        }
        if !statement.is_empty() {
            self.insert(&mut statement, &tail).await?;
        }
        Ok(())
    }

    /// Sends the rows `incoming` as the lines of one `LOAD DATA LOCAL INFILE` (`replace`:
    /// later rows of a key replace earlier ones), which the server parses as fast as it reads
    /// a file of its own. A warning, or fewer rows taken than sent, is an error: with `LOCAL`
    /// the server turns what would be errors (a duplicate key, a value that does not fit)
    /// into warnings, and goes on.
    async fn load_data(
        &mut self,
        table: &Target<'_>,
        replace: bool,
        incoming: &mut Incoming,
    ) -> Result<()> {
        // The server waits for the lines up to `net_read_timeout` (30 s), where it waits
        // between statements up to `wait_timeout` (8 hours): rows may come slowly.
        self.conn()
            .query_drop(
                "SET SESSION net_read_timeout = GREATEST(@@net_read_timeout, @@wait_timeout)",
            )
            .await
            .map_err(self.fail("cannot write"))?;
        let statement = table.load_statement(replace);
        let (lines, mut lines_received) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(2);
        let packet = LOAD_CHUNK.min(self.max_packet);
        let conn = self.conn.as_mut().expect("connected until the write ends");
        // A handler for this statement alone: whatever file the server asks for, it gets
        // these lines.
        conn.set_infile_handler(async move {
            let data: mysql_async::InfileData =
                Box::pin(futures_util::stream::poll_fn(move |cx| {
                    lines_received.poll_recv(cx)
                }));
            Ok(data)
        });
        let (loaded, sent) = {
            let query = std::pin::pin!(conn.query_drop(statement));
            let send = std::pin::pin!(send_lines(
                &self.url,
                &self.destination,
                table,
                incoming,
                packet,
                lines
            ));
            match futures_util::future::select(query, send).await {
                futures_util::future::Either::Left((loaded, _)) => {
                    // The server answered before the rows ended: it refused the load.
                    let loaded = loaded.and(Err(mysql_async::Error::Other(
                        "the server ended the load before the rows".into(),
                    )));
                    (loaded, Ok(0))
                }
                futures_util::future::Either::Right((sent, query)) => (query.await, sent),
            }
        };
        let sent = sent?;
        loaded.map_err(self.fail("cannot write"))?;
        self.refuse_warnings().await?;
        // The server's account: "Records: 3  Deleted: 0  Skipped: 0  Warnings: 0".
        let info = self.conn().info().into_owned();
        let count = |name: &str| {
            let (_, after) = info.split_once(&format!("{name}: "))?;
            let digits = after.split(|c: char| !c.is_ascii_digit()).next()?;
            digits.parse::<u64>().ok()
        };
        let records = count("Records");
        // (A `REPLACE`'s affected rows count a replaced row twice.)
        let taken = match replace {
            true => records.unwrap_or(sent),
            false => self.conn().affected_rows(),
        };
        if taken != sent || records.is_some_and(|r| r != sent) || count("Skipped") > Some(0) {
            return Err(error(
                &self.url,
                format!(
                    "cannot write {}: the server took {taken} of the {sent} rows ({info})",
                    self.destination.table
                ),
            ));
        }
        Ok(())
    }

    /// Sends the `INSERT` in `statement` (with `tail`), which it empties; a warning from the
    /// server (a value changed to fit) is an error.
    async fn insert(&mut self, statement: &mut String, tail: &str) -> Result<()> {
        statement.push_str(tail);
        let sent = self.conn().query_drop(statement.as_str()).await;
        // Emptied, its room kept for the next.
        statement.clear();
        sent.map_err(self.fail("cannot write"))?;
        self.refuse_warnings().await
    }

    /// An error when the server answered the last statement with a warning: a value changed
    /// to fit, or, for `LOAD DATA LOCAL`, a row skipped (its key there already).
    async fn refuse_warnings(&mut self) -> Result<()> {
        if self.conn().get_warnings() == 0 {
            return Ok(());
        }
        let message = server_warning(self.conn()).await;
        Err(error(
            &self.url,
            format!(
                "cannot write {}: the server answered with a warning (a value changed to \
                 fit, a duplicate key, say): {message}",
                self.destination.table
            ),
        ))
    }

    /// What follows the rows of an upsert's `INSERT`: the columns to update.
    fn upsert_tail(&self, columns: &Columns) -> String {
        if self.destination.mode != Mode::Upsert {
            return String::new();
        }
        let updates: Vec<String> = columns
            .iter()
            .map(|(name, _)| name)
            .filter(|name| !self.destination.key.contains(name))
            .map(|name| match self.mariadb {
                true => format!("{0} = VALUES({0})", quote(name)),
                false => format!("{0} = new.{0}", quote(name)),
            })
            .collect();
        // A key alone updates nothing: setting the first key column to itself ignores the row.
        let updates = match updates.is_empty() {
            true => {
                let key = quote(&self.destination.key[0]);
                vec![format!("{key} = {key}")]
            }
            false => updates,
        };
        match self.mariadb {
            true => format!(" ON DUPLICATE KEY UPDATE {}", updates.join(", ")),
            false => format!(" AS new ON DUPLICATE KEY UPDATE {}", updates.join(", ")),
        }
    }

    /// Readies the table as the mode says; gives the quoted table to insert into, what each
    /// of `columns` rounds away there, and the table to make of the rows at the end. A new
    /// table's rows go first into a temporary table (a `CREATE TABLE` would commit at once,
    /// and be left behind by a write that never ends; a temporary table goes with its
    /// connection), made of `columns` with decimals as wide as those of `rows`.
    async fn ready_table(
        &mut self,
        columns: &Columns,
        rows: &[Record],
    ) -> Result<(String, Vec<Rounding>, Option<Staged>)> {
        let existing = self.existing_columns().await?;
        let table = quote_name(&self.destination.table);
        let stage = match (self.destination.mode, &existing) {
            (Mode::Create, Some(_)) => return Err(self.destination.exists(&self.url)),
            (Mode::Replace, Some(_)) => Some(true),
            (_, None) => Some(false),
            _ => None,
        };
        if let Some(swap) = stage {
            let key = &self.destination.key;
            let mut parts: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, (name, t))| {
                    let in_key = key.contains(name);
                    format!("{} {}", quote(name), column_type(*t, in_key, rows, i))
                })
                .collect();
            if self.destination.mode == Mode::Upsert {
                let key: Vec<String> = key.iter().map(|k| quote(k)).collect();
                parts.push(format!("PRIMARY KEY ({})", key.join(", ")));
            }
            let definition = parts.join(", ");
            let staging = self.staging_table();
            self.conn()
                .query_drop(format!("CREATE TEMPORARY TABLE {staging} ({definition})"))
                .await
                .map_err(self.fail("cannot make the table"))?;
            // Made here: its times keep microseconds.
            let roundings = columns
                .iter()
                .map(|(_, t)| match t.to_string().as_str() {
                    "time" | "interval" | "timestamp" | "timestamptz" => Rounding::FinerThan(6),
                    _ => Rounding::Nothing,
                })
                .collect();
            return Ok((staging, roundings, Some(Staged { definition, swap })));
        }
        let existing = existing.unwrap_or_default();
        let mut roundings = Vec::new();
        for (name, _) in columns {
            let Some((_, rounding)) = existing.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
            else {
                let known = existing.iter().map(|(n, _)| n.as_str());
                return Err(self.destination.no_column(&self.url, name, known));
            };
            roundings.push(*rounding);
        }
        if self.destination.mode == Mode::Upsert {
            self.check_unique_key().await?;
        }
        Ok((table, roundings, None))
    }

    /// Makes the table of the staged rows (of `columns`), in one statement; for a `replace`,
    /// under a new name, then swapped in for the old table.
    async fn make(&mut self, staged: Staged, columns: &Columns) -> Result<()> {
        let table = quote_name(&self.destination.table);
        let new = match staged.swap {
            true => self.side_table("new")?,
            false => table.clone(),
        };
        let names: Vec<String> = columns.iter().map(|(n, _)| quote(n)).collect();
        // An upsert's later rows win over earlier ones of the same key, as they would in a
        // table that was there.
        let replace = match self.destination.mode {
            Mode::Upsert => "REPLACE ",
            _ => "",
        };
        // One statement, atomic: when it fails there is no table to drop (and one of the same
        // name made meanwhile by another is not this write's).
        let staging = self.staging_table();
        self.conn()
            .query_drop(format!(
                "CREATE TABLE {new} ({}) {replace}SELECT {} FROM {staging}",
                staged.definition,
                names.join(", "),
            ))
            .await
            .map_err(self.fail("cannot make the table"))?;
        if staged.swap {
            self.made = Some(new.clone());
            self.swap(&new).await?;
            self.made = None;
        }
        Ok(())
    }

    /// The temporary table of the staged rows, in the destination's database (a URL may name
    /// none).
    fn staging_table(&self) -> String {
        match self.schema_and_name() {
            (Some(schema), _) => format!("{}.{}", quote(&schema), quote(STAGING_TABLE)),
            (None, _) => quote(STAGING_TABLE),
        }
    }

    /// A table beside the destination for a `replace`'s swap (`role`: `new`, `old`), named
    /// after it and this connection, so that no other write's is touched.
    fn side_table(&mut self, role: &str) -> Result<String> {
        let id = self.conn().id();
        let (schema, name) = self.schema_and_name();
        let side = format!("{name}_iterable_{role}_{id}");
        if side.chars().count() > 64 {
            return Err(error(
                &self.url,
                format!(
                    "the table name {name:?} is too long to replace (MySQL's names hold 64 \
                     characters, and the replacement's is {side:?})"
                ),
            ));
        }
        Ok(match schema {
            Some(schema) => format!("{}.{}", quote(&schema), quote(&side)),
            None => quote(&side),
        })
    }

    /// Gives the new table of a `replace` the old one's name, and drops the old one; when
    /// the old one cannot go (a foreign key refers to it), swaps them back.
    async fn swap(&mut self, new: &str) -> Result<()> {
        let table = quote_name(&self.destination.table);
        let old = self.side_table("old")?;
        // One statement, atomic: the table has its old rows or its new ones.
        self.conn()
            .query_drop(format!("RENAME TABLE {table} TO {old}, {new} TO {table}"))
            .await
            .map_err(self.fail("cannot replace"))?;
        let dropped = self.conn().query_drop(format!("DROP TABLE {old}")).await;
        if let Err(e) = dropped {
            let back = format!("RENAME TABLE {table} TO {new}, {old} TO {table}");
            self.conn()
                .query_drop(back)
                .await
                .map_err(self.fail("cannot put back"))?;
            return Err(db_error(
                &self.url,
                &format!("cannot replace {}", self.destination.table),
                &e,
            ));
        }
        Ok(())
    }

    /// The database and name of the table, the database being the URL's when not given.
    fn schema_and_name(&self) -> (Option<String>, String) {
        match self.destination.table.split_once('.') {
            Some((schema, name)) => (Some(schema.to_owned()), name.to_owned()),
            None => (None, self.destination.table.clone()),
        }
    }

    /// Whether the table's engine has transactions (InnoDB, MyRocks): a failed write
    /// leaves no row there. Not a view's, nor MyISAM's, Aria's or MEMORY's.
    async fn transactional(&mut self) -> Result<bool> {
        let (schema, name) = self.schema_and_name();
        let engine: Option<Option<String>> = self
            .conn()
            .exec_first(
                "SELECT ENGINE FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
                (schema, name),
            )
            .await
            .map_err(self.fail("cannot look up"))?;
        let engine = engine.flatten().unwrap_or_default().to_ascii_lowercase();
        Ok(matches!(engine.as_str(), "innodb" | "rocksdb"))
    }

    /// The table's columns and what their types round away, `None` when there is no such
    /// table.
    async fn existing_columns(&mut self) -> Result<Option<Vec<(String, Rounding)>>> {
        let (schema, name) = self.schema_and_name();
        let columns: Vec<(String, String, Option<u32>)> = self
            .conn()
            .exec(
                "SELECT COLUMN_NAME, DATA_TYPE, DATETIME_PRECISION FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
                 ORDER BY ORDINAL_POSITION",
                (schema, name),
            )
            .await
            .map_err(self.fail("cannot look up"))?;
        let columns: Vec<(String, Rounding)> = columns
            .into_iter()
            .map(|(name, data_type, precision)| {
                let rounding = match (data_type.to_ascii_lowercase().as_str(), precision) {
                    ("tinyint" | "smallint" | "mediumint" | "int" | "bigint", _) => {
                        Rounding::Fraction
                    }
                    ("time" | "datetime" | "timestamp", Some(digits)) => {
                        Rounding::FinerThan(digits)
                    }
                    _ => Rounding::Nothing,
                };
                (name, rounding)
            })
            .collect();
        Ok((!columns.is_empty()).then_some(columns))
    }

    /// An error unless the table has a primary key or unique index of exactly the key's
    /// columns (without one, `ON DUPLICATE KEY` would only ever insert).
    async fn check_unique_key(&mut self) -> Result<()> {
        let (schema, name) = self.schema_and_name();
        let indexes: Vec<(String, Option<String>)> = self
            .conn()
            .exec(
                "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
                 AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX",
                (schema, name),
            )
            .await
            .map_err(self.fail("cannot look up"))?;
        let mut key: Vec<String> = self
            .destination
            .key
            .iter()
            .map(|k| k.to_ascii_lowercase())
            .collect();
        key.sort();
        let mut names: Vec<&str> = indexes.iter().map(|(i, _)| i.as_str()).collect();
        names.dedup();
        let covered = names.iter().any(|index| {
            let mut columns: Vec<String> = indexes
                .iter()
                .filter(|(i, _)| i == index)
                // A functional key part has no column: such an index is no key of columns.
                .map(|(_, c)| c.as_deref().unwrap_or("").to_ascii_lowercase())
                .collect();
            columns.sort();
            columns == key
        });
        match covered {
            true => Ok(()),
            false => Err(error(
                &self.url,
                format!(
                    "the table {} has no primary key or unique index of exactly {} for \
                     mode=upsert to update by",
                    self.destination.table,
                    self.destination.key.join(", ")
                ),
            )),
        }
    }
}

/// A write's rows as they arrive: the parts not decoded yet, the records decoded and not yet
/// taken, and the count of those taken.
struct Incoming {
    received: tokio::sync::mpsc::Receiver<Message>,
    buf: BytesMut,
    decoder: PgCopyDecoder,
    /// Whether the last part came.
    last: bool,
    pending: std::collections::VecDeque<Record>,
    /// The records taken so far: the number of the last one, counting from 1.
    taken: u64,
}

impl Incoming {
    /// Decodes the next part that has records into `pending`, unless records are pending
    /// already; false at the end.
    async fn fill(&mut self, url: &str, destination: &Destination) -> Result<bool> {
        while self.pending.is_empty() {
            loop {
                let record = match self.last {
                    true => self.decoder.decode_eof(&mut self.buf),
                    false => self.decoder.decode(&mut self.buf),
                };
                match record.map_err(|e| e.with_location(shown(url)))? {
                    Some(record) => self.pending.push_back(record),
                    None => break,
                }
            }
            if self.pending.is_empty() {
                if self.last {
                    return Ok(false);
                }
                self.last = receive(url, destination, &mut self.received, &mut self.buf).await?;
            }
        }
        Ok(true)
    }

    /// The next record and its number, counting from 1.
    async fn next(
        &mut self,
        url: &str,
        destination: &Destination,
    ) -> Result<Option<(u64, Record)>> {
        if !self.fill(url, destination).await? {
            return Ok(None);
        }
        let record = self.pending.pop_front().expect("filled");
        self.taken += 1;
        Ok(Some((self.taken, record)))
    }
}

/// The table a write's rows go into: its quoted name, the stream's columns, and what each
/// of them rounds away there.
struct Target<'a> {
    name: &'a str,
    columns: &'a Columns,
    roundings: &'a [Rounding],
}

impl Target<'_> {
    /// An error for a value that column `index` would round.
    fn check(&self, index: usize, value: &Value) -> std::result::Result<(), String> {
        let rounding = self.roundings.get(index).copied();
        rounding.unwrap_or(Rounding::Nothing).check(value)
    }

    /// The error of row `row`'s value in column `index`.
    fn field_error(&self, url: &str, row: u64, index: usize, message: String) -> Error {
        let name = self.columns.get(index).map_or("?", |(n, _)| n.as_str());
        row_error(url, row, format!("column {name:?}: {message}"))
    }

    /// The `LOAD DATA LOCAL INFILE` of lines as [`push_line`] writes them. Booleans and bytes
    /// go through variables: a `BIT` column would take `1` as the character, and bytes go
    /// in hex.
    fn load_statement(&self, replace: bool) -> String {
        let mut targets = Vec::new();
        let mut conversions = Vec::new();
        for (i, (name, t)) in self.columns.iter().enumerate() {
            let name = quote(name);
            let conversion = match (t.is_array(), t.to_string().as_str()) {
                (false, "bool") => "CAST(@v{i} AS UNSIGNED)",
                (false, "bytea") => "UNHEX(@v{i})",
                _ => {
                    targets.push(name);
                    continue;
                }
            };
            targets.push(format!("@v{i}"));
            conversions.push(format!(
                "{name} = {}",
                conversion.replace("{i}", &i.to_string())
            ));
        }
        let set = match conversions.is_empty() {
            true => String::new(),
            false => format!(" SET {}", conversions.join(", ")),
        };
        // The session has NO_BACKSLASH_ESCAPES: '\' is one backslash, and the tab and the
        // newline are written as themselves.
        format!(
            "LOAD DATA LOCAL INFILE 'rows' {}INTO TABLE {} CHARACTER SET utf8mb4 \
             FIELDS TERMINATED BY '\t' ENCLOSED BY '' ESCAPED BY '\\' LINES TERMINATED BY '\n' \
             ({}){set}",
            if replace { "REPLACE " } else { "" },
            self.name,
            targets.join(", "),
        )
    }
}

/// Writes the rows `incoming` as lines of `table` into `lines`, a part's rows at a time in
/// chunks of at most `packet` bytes (the server takes no longer packet); gives how many. On
/// an error it sends one too, which ends the load.
async fn send_lines(
    url: &str,
    destination: &Destination,
    table: &Target<'_>,
    incoming: &mut Incoming,
    packet: usize,
    lines: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<u64> {
    let mut chunk = BytesMut::new();
    let sent = async {
        while let Some((row, record)) = incoming.next(url, destination).await? {
            push_line(&mut chunk, table, &record)
                .map_err(|(i, message)| table.field_error(url, row, i, message))?;
            // What is there goes before waiting for the next part, and in pieces of a
            // packet once a packet is there.
            if chunk.len() >= packet || incoming.pending.is_empty() {
                while !chunk.is_empty() {
                    let piece = chunk.split_to(chunk.len().min(packet)).freeze();
                    if lines.send(Ok(piece)).await.is_err() {
                        // The load ended: its own error says why.
                        return Ok(incoming.taken);
                    }
                }
            }
        }
        Ok(incoming.taken)
    }
    .await;
    if sent.is_err() {
        let _ = lines
            .send(Err(std::io::Error::other("the rows failed")))
            .await;
    }
    sent
}

/// Appends `record` as a line of `LOAD DATA`: its fields separated by tabs, `\N` for null,
/// `\`, tab, newline, carriage return and NUL escaped; errors name the field's index.
fn push_line(
    out: &mut BytesMut,
    table: &Target<'_>,
    record: &Record,
) -> std::result::Result<(), (usize, String)> {
    use std::fmt::Write;
    for (i, value) in record.values().iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\t");
        }
        table.check(i, value).map_err(|m| (i, m))?;
        match value {
            Value::Null => out.extend_from_slice(b"\\N"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"1" } else { b"0" }),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::BigInt(n) => out.extend_from_slice(n.as_str().as_bytes()),
            // The shortest digits that read back as the same float, as text the server
            // parses for the column's type (an `INSERT` gives a double literal instead).
            Value::Float(f) if f.is_finite() => {
                let _ = write!(out, "{f}");
            }
            Value::Float(f) => return Err((i, not_held(f))),
            Value::Decimal(d) => {
                let _ = write!(out, "{d}");
            }
            Value::String(s) => push_escaped(out, s.as_bytes()),
            Value::Bytes(bytes) => push_hex_digits(out, bytes),
            Value::Array(_) | Value::Object(_) => {
                push_escaped(out, json_text(value).map_err(|m| (i, m))?.as_bytes());
            }
            other => match time_text(other).map_err(|m| (i, m))? {
                Some(text) => out.extend_from_slice(text.as_bytes()),
                None => return Err((i, not_held(format_args!("{other:?}")))),
            },
        }
    }
    out.extend_from_slice(b"\n");
    Ok(())
}

/// Appends `text` escaped for `LOAD DATA` (`ESCAPED BY '\'`).
fn push_escaped(out: &mut BytesMut, text: &[u8]) {
    let mut start = 0;
    for (at, &b) in text.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            0 => b"\\0",
            _ => continue,
        };
        out.extend_from_slice(&text[start..at]);
        out.extend_from_slice(escaped);
        start = at + 1;
    }
    out.extend_from_slice(&text[start..]);
}

/// Appends `bytes` as hex digits.
fn push_hex_digits(out: &mut BytesMut, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.extend_from_slice(&hex_pair(b));
    }
}

/// The two hex digits of `b`.
fn hex_pair(b: u8) -> [u8; 2] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]
}

/// Nested values as JSON text.
fn json_text(value: &Value) -> std::result::Result<String, String> {
    let mut json = BytesMut::new();
    iterable_formats::json_text::write_value(value, &mut json).map_err(|e| e.to_string())?;
    String::from_utf8(json.to_vec()).map_err(|e| e.to_string())
}

/// The error of a value MySQL has no type for.
fn not_held(shown: impl std::fmt::Display) -> String {
    format!("{shown}, which MySQL does not hold")
}

/// A date, time, timestamp or duration as MySQL reads it (a timestamp in UTC, with a space
/// and no `Z`); `None` for other values.
fn time_text(value: &Value) -> std::result::Result<Option<String>, String> {
    Ok(Some(match value {
        Value::Date(_) | Value::Time(_) => iterable_formats::text::to_text(value)?,
        Value::Timestamp(t) => {
            let text = t.to_string();
            text.trim_end_matches('Z').replacen('T', " ", 1)
        }
        Value::Duration(d) => {
            let micros = match d.unit() {
                TimeUnit::Second => d.value().checked_mul(1_000_000),
                TimeUnit::Millisecond => d.value().checked_mul(1_000),
                TimeUnit::Microsecond => Some(d.value()),
                TimeUnit::Nanosecond => Some(d.value() / 1_000),
            }
            .ok_or("a duration too long for TIME")?;
            let sign = if micros < 0 { "-" } else { "" };
            let micros = micros.unsigned_abs();
            let (seconds, fraction) = (micros / 1_000_000, micros % 1_000_000);
            format!(
                "{sign}{}:{:02}:{:02}.{fraction:06}",
                seconds / 3_600,
                seconds / 60 % 60,
                seconds % 60
            )
        }
        _ => return Ok(None),
    }))
}

/// What a column's type rounds away, which the server would do without a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rounding {
    /// Nothing the server does not warn of.
    Nothing,
    /// An integer column: fractions.
    Fraction,
    /// A time or timestamp column: fractions of a second past this many digits.
    FinerThan(u32),
}

impl Rounding {
    /// An error for a value that the column would round.
    fn check(self, value: &Value) -> std::result::Result<(), String> {
        let rounded = match (self, value) {
            (Rounding::Nothing, _) => false,
            (Rounding::Fraction, Value::Float(f)) => f.fract() != 0.0,
            (Rounding::Fraction, Value::Decimal(d)) => {
                d.scale() > 0 && d.unscaled() % 10i128.pow(u32::from(d.scale().unsigned_abs())) != 0
            }
            (Rounding::Fraction, Value::String(s)) => {
                s.trim().parse::<f64>().is_ok_and(|f| f.fract() != 0.0)
            }
            (Rounding::FinerThan(digits), Value::Time(t)) => finer(t.value(), t.unit(), digits),
            (Rounding::FinerThan(digits), Value::Timestamp(t)) => {
                finer(t.value(), t.unit(), digits)
            }
            (Rounding::FinerThan(digits), Value::Duration(d)) => finer(d.value(), d.unit(), digits),
            (Rounding::FinerThan(digits), Value::String(s)) if s.contains(':') => {
                s.rsplit_once('.').is_some_and(|(_, fraction)| {
                    let fraction = fraction.bytes().take_while(u8::is_ascii_digit);
                    fraction.skip(digits as usize).any(|b| b != b'0')
                })
            }
            _ => false,
        };
        match (rounded, self) {
            (false, _) => Ok(()),
            (true, Rounding::FinerThan(digits)) => Err(format!(
                "{} is finer than the column's {digits} digits of a second, and would be rounded",
                iterable_formats::text::to_text(value)?
            )),
            (true, _) => Err(format!(
                "{} would be rounded to fit an integer column",
                iterable_formats::text::to_text(value)?
            )),
        }
    }
}

/// Whether `value` steps of `unit` have a fraction of a second past `digits` digits.
fn finer(value: i64, unit: TimeUnit, digits: u32) -> bool {
    let kept = 10i64.pow(digits.min(9));
    let per_second = unit.per_second();
    per_second > kept && value % (per_second / kept) != 0
}

/// Rolls back the transaction and drops the table `made`, as far as the connection lets.
async fn undo(conn: &mut Conn, made: Option<String>) {
    let _ = conn.query_drop("ROLLBACK").await;
    if let Some(made) = made {
        let _ = conn
            .query_drop(format!("DROP TABLE IF EXISTS {made}"))
            .await;
    }
}

/// The MySQL type of a new column of binary COPY type `t` (`in_key`: part of the primary
/// key), a `DECIMAL` as wide as the values in column `index` of `rows` need.
fn column_type(t: PgType, in_key: bool, rows: &[Record], index: usize) -> String {
    if t.is_array() {
        return "JSON".to_owned();
    }
    match t.to_string().as_str() {
        // MySQL's BOOLEAN is TINYINT(1), which holds -128 to 127 and reads as integers.
        "bool" => "BIT(1)".to_owned(),
        "int2" => "SMALLINT".to_owned(),
        "int4" => "INT".to_owned(),
        "int8" => "BIGINT".to_owned(),
        "oid" => "INT UNSIGNED".to_owned(),
        "float4" => "FLOAT".to_owned(),
        "float8" => "DOUBLE".to_owned(),
        "numeric" => {
            let (mut whole, mut fraction) = (1usize, 0usize);
            for record in rows {
                if let Some(Value::Decimal(d)) = record.values().get(index) {
                    let text = d.to_string();
                    let digits = text.trim_start_matches('-');
                    let (w, f) = digits.split_once('.').unwrap_or((digits, ""));
                    whole = whole.max(w.trim_start_matches('0').len());
                    fraction = fraction.max(f.len());
                }
            }
            let fraction = fraction.min(30);
            let precision = (whole + fraction).clamp(1, 65);
            format!("DECIMAL({precision},{})", fraction.min(precision))
        }
        "json" | "jsonb" => "JSON".to_owned(),
        "bytea" if in_key => "VARBINARY(255)".to_owned(),
        "bytea" => "LONGBLOB".to_owned(),
        "date" => "DATE".to_owned(),
        "time" | "interval" => "TIME(6)".to_owned(),
        "timestamp" | "timestamptz" => "DATETIME(6)".to_owned(),
        "uuid" => "CHAR(36)".to_owned(),
        _ if in_key => "VARCHAR(255)".to_owned(),
        _ => "LONGTEXT".to_owned(),
    }
}

/// Appends `value` as an SQL literal (with `NO_BACKSLASH_ESCAPES`: only quotes are doubled).
fn push_literal(out: &mut String, value: &Value) -> std::result::Result<(), String> {
    use std::fmt::Write;
    match value {
        Value::Null => out.push_str("NULL"),
        Value::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(n) => out.push_str(n.as_str()),
        Value::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f:e}");
        }
        Value::Float(f) => return Err(not_held(f)),
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::String(s) => push_string(out, s),
        Value::Bytes(bytes) => push_hex(out, bytes),
        Value::Array(_) | Value::Object(_) => push_string(out, &json_text(value)?),
        other => match time_text(other)? {
            Some(text) => {
                let _ = write!(out, "'{text}'");
            }
            None => return Err(not_held(format_args!("{other:?}"))),
        },
    }
    Ok(())
}

/// A string literal; one holding a NUL goes as UTF-8 bytes in hex.
fn push_string(out: &mut String, s: &str) {
    if s.contains('\0') {
        out.push_str("CONVERT(");
        push_hex(out, s.as_bytes());
        out.push_str(" USING utf8mb4)");
        return;
    }
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    out.push_str("X'");
    for &b in bytes {
        out.extend(hex_pair(b).map(char::from));
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(value: &Value) -> String {
        let mut out = String::new();
        push_literal(&mut out, value).unwrap();
        out
    }

    #[test]
    fn literals_escape_quotes_and_keep_values_exact() {
        assert_eq!(literal(&Value::from("it's \\ ok")), "'it''s \\ ok'");
        assert_eq!(
            literal(&Value::from("a\0b")),
            "CONVERT(X'610062' USING utf8mb4)"
        );
        assert_eq!(
            literal(&Value::Bytes(Bytes::from_static(b"\x00\xff"))),
            "X'00FF'"
        );
        assert_eq!(literal(&Value::Float(0.1)), "1e-1");
        assert_eq!(literal(&Value::Float(-2.5e300)), "-2.5e300");
        let duration = iterable_core::Duration::new(-90_061_500_000, TimeUnit::Microsecond);
        assert_eq!(literal(&Value::Duration(duration)), "'-25:01:01.500000'");
        let at = Timestamp::new(1_500_000, TimeUnit::Microsecond, Some(Arc::from("UTC")));
        assert_eq!(literal(&Value::Timestamp(at)), "'1970-01-01 00:00:01.5'");
        assert!(push_literal(&mut String::new(), &Value::Float(f64::NAN)).is_err());
    }

    #[test]
    fn names_are_quoted() {
        assert_eq!(quote_name("db.ta`b"), "`db`.`ta``b`");
    }
}
