//! PostgreSQL as a source and a sink, against the real server `tests/run.sh` starts on
//! 127.0.0.1: tables that psql made read with typed values, through every adapter and the
//! command; tables written and read back by psql; writes that fail leave nothing behind.

mod common;

use common::{as_json, read_error, read_sync, write_options};
use iterable_core::{Record, Value};
use iterable_tests::{postgres_database, psql};

const TYPED_TABLE: &str = "
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE TABLE typed (
        id bigint PRIMARY KEY, small smallint, normal integer, ok boolean, r real,
        d double precision, price numeric(10, 2), huge numeric, name text, code varchar(5),
        fixed char(3), doc jsonb, j json, blob bytea, day date, at time, happened timestamp,
        instant timestamptz, took interval, u uuid, tags integer[], grid integer[][],
        words text[], feeling mood, address inet
    );
    INSERT INTO typed VALUES
      (1, -2, 3, true, 1.5, 2.25, 1234.50, 123456789012345678901234567890123456789012.5,
       'Ada é', 'ab', 'x', '{\"a\": [1, null, {\"b\": \"c\"}]}', '[1, 2.5]', '\\x00ff',
       '1969-07-20', '13:45:00.25', '2024-01-31 13:45:00.25', '2024-01-31 13:45:00.25+02',
       '1 day 02:00:00.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,NULL,3}',
       '{{1,2},{3,4}}', '{\"x y\",z}', 'happy', '192.168.0.1/24'),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, NULL,
       'infinity', NULL, '-infinity', NULL, '1 mon 2 days', NULL, '{}', NULL, NULL, NULL, NULL);
";

#[test]
fn tables_psql_made_read_as_typed_values() {
    let url = postgres_database("iterable_read_typed");
    psql(&url, TYPED_TABLE);
    let records = read_sync(&url, &[("table", "typed")]);
    let json = as_json(&records[..1]);
    assert_eq!(
        json[0],
        concat!(
            r#"{"id":1,"small":-2,"normal":3,"ok":true,"r":1.5,"d":2.25,"price":1234.50,"#,
            r#""huge":"123456789012345678901234567890123456789012.5","name":"Ada é","code":"ab","#,
            r#""fixed":"x  ","doc":{"a":[1,null,{"b":"c"}]},"j":[1,2.5],"blob":"AP8=","#,
            r#""day":"1969-07-20","at":"13:45:00.25","happened":"2024-01-31T13:45:00.25","#,
            r#""instant":"2024-01-31T11:45:00.25Z","took":"PT93600.5S","#,
            r#""u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","tags":[1,null,3],"#,
            r#""grid":[[1,2],[3,4]],"words":["x y","z"],"feeling":"happy","#,
            r#""address":"192.168.0.1/24"}"#
        )
    );
    let second = &records[1];
    assert!(matches!(second.get("huge"), Some(Value::Float(f)) if f.is_nan()));
    assert_eq!(second.get("day"), Some(&Value::from("infinity")));
    assert_eq!(second.get("happened"), Some(&Value::from("-infinity")));
    assert_eq!(second.get("took"), Some(&Value::from("P1M2DT0S")));
    assert_eq!(second.get("tags"), Some(&Value::Array(vec![])));
    assert_eq!(second.get("small"), Some(&Value::Null));
    assert_eq!(
        records[0].get("price"),
        Some(&Value::Decimal(iterable_core::Decimal::new(123450, 6, 2)))
    );

    // Columns and a filter; a query.
    let some = read_sync(
        &url,
        &[
            ("table", "public.typed"),
            ("columns", "name, id"),
            ("filter", "id < 2"),
        ],
    );
    assert_eq!(as_json(&some), [r#"{"name":"Ada é","id":1}"#]);
    let queried = read_sync(
        &url,
        &[("query", "SELECT id * 10 AS n FROM typed ORDER BY id;")],
    );
    assert_eq!(as_json(&queried), [r#"{"n":10}"#, r#"{"n":20}"#]);
}

#[test]
fn every_adapter_reads_and_writes_alike() {
    let url = postgres_database("iterable_adapters");
    psql(
        &url,
        "CREATE TABLE people (id integer, name text, born date);
         INSERT INTO people SELECT n, 'person ' || n, DATE '2000-01-01' + n FROM generate_series(1, 2500) n;",
    );
    common::every_adapter_reads_and_writes_a_table(
        &url,
        psql,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
         WHERE attrelid = '{table}'::regclass AND attnum > 0 ORDER BY attnum",
        "bigint\ntext\ndate\n",
    );
}

#[test]
fn typed_values_round_trip_through_a_table() {
    let url = postgres_database("iterable_round_trip");
    psql(&url, TYPED_TABLE);
    // The table read, written to a new one (types from the records), read back the same.
    let records = read_sync(
        &url,
        &[
            ("table", "typed"),
            ("filter", "id = 1"),
            (
                "columns",
                "id,small,normal,ok,d,price,name,doc,blob,day,at,happened,instant,took,tags",
            ),
        ],
    );
    let mut writer = iterable_sync::create_with(
        &url,
        &write_options(&[("table", "copied"), ("mode", "create")]),
    )
    .unwrap();
    writer.write_bulk(&records).unwrap();
    writer.finish().unwrap();
    let back = read_sync(&url, &[("table", "copied")]);
    assert_eq!(as_json(&back), as_json(&records));
    assert_eq!(back[0].get("instant"), records[0].get("instant"));
    // PostgreSQL finds them equal to the original's (an interval's day as 24 hours).
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM copied c JOIN typed t ON t.id = c.id AND c.price = t.price \
                    AND c.doc = t.doc AND c.instant = t.instant AND c.took = t.took \
                    AND c.tags::int[] = t.tags AND c.blob = t.blob AND c.day = t.day AND c.at = t.at"
        ),
        "1\n"
    );
}

#[test]
fn writes_append_replace_upsert_and_cast_into_existing_tables() {
    let url = postgres_database("iterable_modes");
    psql(
        &url,
        "CREATE TABLE scores (id integer PRIMARY KEY, score numeric(5,1), note varchar(10))",
    );
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("scores.csv");
    std::fs::write(&csv, "id,score,note\n1,2.5,first\n2,10,second\n").unwrap();
    let csv = csv.to_str().unwrap();
    let convert = |pairs: &[(&str, &str)]| {
        let options = iterable_sync::ConvertOptions {
            write: write_options(pairs),
            ..Default::default()
        };
        iterable_sync::convert(csv, &url, &options)
    };
    // The CSV's text goes into the integer and numeric columns, cast by PostgreSQL.
    convert(&[("table", "scores")]).unwrap();
    assert_eq!(
        psql(&url, "SELECT * FROM scores ORDER BY id"),
        "1|2.5|first\n2|10.0|second\n"
    );
    // A key already there: append fails, and leaves the table as it was.
    let error = convert(&[("table", "scores"), ("mode", "append")]).unwrap_err();
    assert!(error.to_string().contains("duplicate key"), "{error}");
    assert_eq!(psql(&url, "SELECT count(*) FROM scores"), "2\n");
    // Upsert updates them.
    std::fs::write(csv, "id,score,note\n2,7,updated\n3,1,third\n").unwrap();
    convert(&[("table", "scores"), ("mode", "upsert"), ("key", "id")]).unwrap();
    assert_eq!(
        psql(&url, "SELECT * FROM scores ORDER BY id"),
        "1|2.5|first\n2|7.0|updated\n3|1.0|third\n"
    );
    // Create refuses a table that is there; replace drops it first.
    let error = convert(&[("table", "scores"), ("mode", "create")]).unwrap_err();
    assert!(error.to_string().contains("exists already"), "{error}");
    convert(&[("table", "scores"), ("mode", "replace")]).unwrap();
    assert_eq!(
        psql(&url, "SELECT * FROM scores ORDER BY id"),
        "2|7|updated\n3|1|third\n"
    );
    // A value the column cannot take fails the whole write.
    std::fs::write(csv, "id,score,note\n4,1,fine\n5,1,much too long a note\n").unwrap();
    psql(
        &url,
        "DROP TABLE scores; CREATE TABLE scores (id integer, score integer, note varchar(10))",
    );
    let error = convert(&[("table", "scores")]).unwrap_err();
    assert!(error.to_string().contains("too long"), "{error}");
    // The server's context names the row and the column.
    assert!(error.to_string().contains("line 2, column note"), "{error}");
    assert_eq!(psql(&url, "SELECT count(*) FROM scores"), "0\n");
    // A field the table lacks is named.
    std::fs::write(csv, "id,extra\n1,x\n").unwrap();
    let error = convert(&[("table", "scores")]).unwrap_err();
    assert!(error.to_string().contains("no column \"extra\""), "{error}");
    // Options the sink does not know are listed.
    let error = convert(&[("table", "scores"), ("colour", "red")]).unwrap_err();
    assert!(
        error.to_string().contains("known: table, mode, key"),
        "{error}"
    );
}

#[test]
fn text_with_tabs_newlines_and_backslashes_goes_into_typed_columns_unchanged() {
    let url = postgres_database("iterable_text_rows");
    psql(&url, "CREATE TABLE notes (id integer, body text, day date)");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("notes.csv");
    std::fs::write(
        &csv,
        "id,body,day\n1,\"tab\there\",2024-01-31\n2,\"back\\slash \\N\",1969-07-20\n\
         3,\"two\r\nlines\nКириллица\",2000-02-29\n4,,2001-01-01\n5,\\.,2002-02-02\n",
    )
    .unwrap();
    let options = iterable_sync::ConvertOptions {
        write: write_options(&[("table", "notes")]),
        ..Default::default()
    };
    iterable_sync::convert(csv.to_str().unwrap(), &url, &options).unwrap();
    // Every field as the CSV has it (the empty one empty, not null), the dates parsed.
    assert_eq!(
        psql(
            &url,
            "SELECT id, to_json(body), body IS NULL, day + 1 FROM notes ORDER BY id"
        ),
        concat!(
            "1|\"tab\\there\"|f|2024-02-01\n",
            "2|\"back\\\\slash \\\\N\"|f|1969-07-21\n",
            "3|\"two\\r\\nlines\\nКириллица\"|f|2000-03-01\n",
            "4|\"\"|f|2001-01-02\n",
            "5|\"\\\\.\"|f|2002-02-03\n",
        )
    );
    // A view takes INSERTs but refuses COPY: its rows go in by an INSERT.
    psql(
        &url,
        "CREATE VIEW recent AS SELECT * FROM notes WHERE id > 4",
    );
    std::fs::write(&csv, "id,body,day\n6,through a view,2003-03-03\n").unwrap();
    let options = iterable_sync::ConvertOptions {
        write: write_options(&[("table", "recent")]),
        ..Default::default()
    };
    iterable_sync::convert(csv.to_str().unwrap(), &url, &options).unwrap();
    assert_eq!(
        psql(&url, "SELECT body, day FROM notes WHERE id = 6"),
        "through a view|2003-03-03\n"
    );
}

#[test]
fn a_failed_write_leaves_no_table_and_no_rows() {
    let url = postgres_database("iterable_failures");
    // (The server trusts 127.0.0.1: a password in the URL is not checked, only never shown.)
    let url = url.replacen("postgres@", "postgres:sekrit@", 1);
    let record = |id: i64| -> Record { [("id", Value::Int(id))].into_iter().collect() };
    // Text holding a NUL, which PostgreSQL refuses: its error, and nothing written.
    let nul: Record = [("note", Value::from("a\0b"))].into_iter().collect();
    let error = common::write_with("sync", &url, &write_options(&[("table", "t")]), &[nul]);
    let error = error.unwrap_err();
    assert!(error.to_string().contains("0x00"), "{error}");
    assert_eq!(psql(&url, "SELECT to_regclass('t') IS NULL"), "t\n");
    // A record with a field the first ones did not have: an error, and nothing written.
    let mut writer =
        iterable_sync::create_with(&url, &write_options(&[("table", "t"), ("infer_rows", "2")]))
            .unwrap();
    writer.write_bulk(&[record(1), record(2)]).unwrap();
    let late: Record = [("id", Value::Int(3)), ("late", Value::Int(1))]
        .into_iter()
        .collect();
    let error = writer.write(&late).unwrap_err();
    assert!(error.to_string().contains("\"late\""), "{error}");
    drop(writer);
    assert_eq!(psql(&url, "SELECT to_regclass('t') IS NULL"), "t\n");
    // Dropped before finish, after rows went to the server: rolled back.
    common::tokio_runtime().block_on(async {
        let mut writer = iterable_tokio::create_with(&url, &write_options(&[("table", "t")]))
            .await
            .unwrap();
        let many: Vec<Record> = (0..300_000).map(record).collect();
        writer.write_bulk(&many).await.unwrap();
        drop(writer);
    });
    wait_for_writers_to_end(&url);
    assert_eq!(psql(&url, "SELECT to_regclass('t') IS NULL"), "t\n");
    // Into a table that is there, of the same types: rows COPYed straight in, then a record
    // that fails; the table keeps only what it had.
    psql(
        &url,
        "CREATE TABLE kept (id bigint); INSERT INTO kept VALUES (-1)",
    );
    let mut writer =
        iterable_sync::create_with(&url, &write_options(&[("table", "kept")])).unwrap();
    let many: Vec<Record> = (0..300_000).map(record).collect();
    writer.write_bulk(&many).unwrap();
    let error = writer.write(&late).unwrap_err();
    assert!(error.to_string().contains("\"late\""), "{error}");
    assert!(!error.to_string().contains("sekrit"));
    drop(writer);
    wait_for_writers_to_end(&url);
    assert_eq!(psql(&url, "SELECT count(*), min(id) FROM kept"), "1|-1\n");
}

#[test]
fn a_reader_dropped_early_ends_its_session() {
    let url = postgres_database("iterable_early_stop");
    // Ten billion rows, which the server streams as they are asked for (a set-returning
    // function in the select list streams; in FROM it would be stored first): read one, then drop
    // the reader (iterable-sync's, whose connection runs on the reading thread). The session
    // ends, not read to its end (which would take hours).
    let query = "SELECT generate_series(1, 10000000000) AS n";
    let mut reader =
        iterable_sync::open_with(&url, &common::read_options(&[("query", query)])).unwrap();
    let first = reader.next().unwrap().unwrap();
    assert_eq!(as_json(&[first]), [r#"{"n":1}"#]);
    // Read on and dropped inside async code, where its runtime cannot block the thread.
    common::tokio_runtime().block_on(async move {
        let second = reader.next().unwrap().unwrap();
        assert_eq!(as_json(&[second]), [r#"{"n":2}"#]);
        drop(reader);
    });
    wait_for_writers_to_end(&url);
    // iterable-tokio's reader, and iterable-smol's (through its bridge to tokio): their query
    // is cancelled, as the connection would read the rest of the rows before closing.
    let options = common::read_options(&[("query", query)]);
    common::tokio_runtime().block_on(async {
        let mut reader = iterable_tokio::open_with(&url, &options).await.unwrap();
        let first = reader.read().await.unwrap().unwrap();
        assert_eq!(as_json(&[first]), [r#"{"n":1}"#]);
    });
    wait_for_writers_to_end(&url);
    smol::block_on(async {
        let mut reader = iterable_smol::open_with(&url, &options).await.unwrap();
        let first = reader.read().await.unwrap().unwrap();
        assert_eq!(as_json(&[first]), [r#"{"n":1}"#]);
    });
    wait_for_writers_to_end(&url);
}

/// Waits until no other session is connected to the database at `url` (a dropped writer's
/// or reader's connection closes in the background), so that what it left can be seen.
fn wait_for_writers_to_end(url: &str) {
    for _ in 0..100 {
        let others = psql(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid()",
        );
        if others == "0\n" {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("a writer's session is still connected to {url}");
}

#[test]
fn errors_name_the_location_but_never_the_password() {
    let url = postgres_database("iterable_errors");
    let with_password = url.replacen("postgres@", "postgres:sekrit@", 1);
    let missing = format!("{}_missing", with_password);
    let error = read_error(&missing, &[("table", "x")]);
    let text = error.to_string();
    assert!(
        text.contains("does not exist") && text.contains("127.0.0.1"),
        "{text}"
    );
    assert!(!text.contains("sekrit"), "{text}");
    let error = read_error(&with_password, &[("table", "nope")]);
    assert!(
        error.to_string().contains("\"nope\" does not exist"),
        "{error}"
    );
    assert!(!error.to_string().contains("sekrit"));
    let error = read_error(&url, &[]);
    assert!(error.to_string().contains("-o table=NAME"), "{error}");
    let error = read_error(&url, &[("tabel", "x")]);
    assert!(
        error
            .to_string()
            .contains("known: table, query, columns, filter"),
        "{error}"
    );
}

/// Whether the connection that runs it is encrypted.
const ENCRYPTED: &str = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

#[test]
fn tls_as_the_url_or_the_server_asks() {
    let encrypted = |url: &str| as_json(&read_sync(url, &[("query", ENCRYPTED)]));
    let refused = |url: &str| read_error(url, &[("query", ENCRYPTED)]).to_string();
    let url = postgres_database("iterable_tls");
    let certs = std::env::var("ITERABLE_TEST_POSTGRES_TLS")
        .expect("tests/run.sh starts the PostgreSQL server with TLS");
    let (ca, other_ca) = (format!("{certs}/ca.crt"), format!("{certs}/other-ca.crt"));
    let (yes, no) = (vec![r#"{"ssl":true}"#], vec![r#"{"ssl":false}"#]);
    // By default TLS whenever the server has it, as libpq's sslmode=prefer.
    assert_eq!(encrypted(&url), yes);
    assert_eq!(encrypted(&format!("{url}?sslmode=disable")), no);
    assert_eq!(encrypted(&format!("{url}?sslmode=require")), yes);
    // The server's certificate is for localhost, not 127.0.0.1: verify-ca checks who signed
    // it, verify-full the host's name as well.
    assert_eq!(
        encrypted(&format!("{url}?sslmode=verify-ca&sslrootcert={ca}")),
        yes
    );
    let error = refused(&format!("{url}?sslmode=verify-full&sslrootcert={ca}"));
    assert!(
        error.contains("not valid for name \"127.0.0.1\""),
        "{error}"
    );
    let localhost = url.replacen("127.0.0.1", "localhost", 1);
    assert_eq!(
        encrypted(&format!("{localhost}?sslmode=verify-full&sslrootcert={ca}")),
        yes
    );
    // Signed by an authority not trusted: refused, also by require given root certificates.
    for mode in ["verify-ca", "verify-full", "require"] {
        let error = refused(&format!(
            "{localhost}?sslmode={mode}&sslrootcert={other_ca}"
        ));
        assert!(
            error.contains("invalid peer certificate"),
            "{mode}: {error}"
        );
    }
    let error = refused(&format!(
        "{url}?sslmode=verify-ca&sslrootcert={certs}/none.crt"
    ));
    assert!(error.contains("cannot read root certificates"), "{error}");
    let error = refused(&format!("{url}?sslmode=verify"));
    assert!(error.contains("none of disable, allow, prefer"), "{error}");
    // A role the server lets in by TLS only.
    let tls_only = url.replacen("postgres@", "iterable_tls@", 1);
    assert_eq!(encrypted(&tls_only), yes);
    let error = refused(&format!("{tls_only}?sslmode=disable"));
    assert!(error.contains("no encryption"), "{error}");
    // A role the server lets in by its client certificate only.
    let certified = url.replacen("postgres@", "iterable_cert@", 1);
    let identity = format!("sslcert={certs}/client.crt&sslkey={certs}/client.key");
    let who = [("query", "SELECT current_user AS who")];
    let records = read_sync(&format!("{certified}?{identity}"), &who);
    assert_eq!(as_json(&records), [r#"{"who":"iterable_cert"}"#]);
    let error = read_error(&certified, &who).to_string();
    assert!(
        error.contains("requires a valid client certificate"),
        "{error}"
    );
    // By the server's Unix socket (in the directory above the certificates'): no TLS there.
    let socket_dir = std::path::Path::new(&certs)
        .parent()
        .unwrap()
        .to_str()
        .unwrap();
    let by_socket = url.replacen("127.0.0.1", &socket_dir.replace('/', "%2F"), 1);
    assert_eq!(encrypted(&by_socket), no);
}
