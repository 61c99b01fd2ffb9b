//! The `iterable` command against the PostgreSQL and MariaDB servers `tests/run.sh` starts on
//! 127.0.0.1.

use iterable_tests::{MariadbUrl, mariadb_database, postgres_database};

/// Runs the command with `args` and the environment `env`; its standard output.
fn run(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A CSV converted into a new table of the database at `url`, which `iterable tables` lists
/// and `cat`, `count` and `convert` read back.
fn lists_converts_and_reads(url: &str, env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, "id,name\n1,Ada\n2,Grace\n").unwrap();
    let csv = csv.to_str().unwrap();
    run(&["convert", csv, url, "-O", "table=people"], env);
    assert_eq!(run(&["tables", url], env), "people\n");
    assert_eq!(
        run(&["cat", url, "-o", "table=people"], env),
        "{\"id\":\"1\",\"name\":\"Ada\"}\n{\"id\":\"2\",\"name\":\"Grace\"}\n"
    );
    let query = "query=SELECT * FROM people WHERE name > 'B'";
    assert_eq!(run(&["count", url, "-o", query], env), "1\n");
    let out = dir.path().join("back.jsonl");
    run(
        &["convert", "-o", "table=people", url, out.to_str().unwrap()],
        env,
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
}

#[test]
fn the_command_lists_converts_and_reads_postgres_tables() {
    lists_converts_and_reads(&postgres_database("iterable_command"), &[]);
    // Over TLS, the server's certificate checked as libpq's variables ask (it is for
    // localhost), and refused when an authority not trusted signed it.
    let certs = std::env::var("ITERABLE_TEST_POSTGRES_TLS")
        .expect("tests/run.sh starts the PostgreSQL server with TLS");
    let url = postgres_database("iterable_command_tls").replacen("127.0.0.1", "localhost", 1);
    let ca = format!("{certs}/ca.crt");
    let verify = [("PGSSLMODE", "verify-full"), ("PGSSLROOTCERT", ca.as_str())];
    lists_converts_and_reads(&url, &verify);
    let other_ca = format!("{certs}/other-ca.crt");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(["tables", &url])
        .envs([("PGSSLMODE", "verify-full"), ("PGSSLROOTCERT", &other_ca)])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid peer certificate"), "{stderr}");
}

#[test]
fn the_command_lists_converts_and_reads_mariadb_tables() {
    let url = mariadb_database("iterable_command");
    // The password from MYSQL_PWD, not the URL; the mariadb:// scheme.
    let password = MariadbUrl::parse(&url).password;
    let url = url.replacen(&format!(":{password}@"), "@", 1);
    let url = url.replacen("mysql://", "mariadb://", 1);
    lists_converts_and_reads(&url, &[("MYSQL_PWD", &password)]);
    // Without the password: refused, and said so.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(["tables", &url])
        .env_remove("MYSQL_PWD")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Access denied"), "{stderr}");
}
