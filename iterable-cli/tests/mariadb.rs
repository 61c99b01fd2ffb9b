//! The `iterable` command against the MariaDB server `tests/run.sh` starts on 127.0.0.1.

use iterable_tests::mariadb_database;

#[test]
fn the_command_lists_converts_and_reads_tables() {
    let url = mariadb_database("iterable_command");
    // The password from MYSQL_PWD, not the URL.
    let password = iterable_tests::MariadbUrl::parse(&url).password;
    let url = url.replacen(&format!(":{password}@"), "@", 1);
    let url = url.replacen("mysql://", "mariadb://", 1);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, "id,name\n1,Ada\n2,Grace\n").unwrap();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_iterable"))
            .args(args)
            .env("MYSQL_PWD", &password)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    run(&["convert", csv.to_str().unwrap(), &url, "-O", "table=people"]);
    assert_eq!(run(&["tables", &url]), "people\n");
    assert_eq!(
        run(&["cat", &url, "-o", "table=people"]),
        "{\"id\":\"1\",\"name\":\"Ada\"}\n{\"id\":\"2\",\"name\":\"Grace\"}\n"
    );
    assert_eq!(
        run(&[
            "count",
            &url,
            "-o",
            "query=SELECT * FROM people WHERE name > 'B'"
        ]),
        "1\n"
    );
    let out = dir.path().join("back.jsonl");
    run(&["convert", "-o", "table=people", &url, out.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
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
