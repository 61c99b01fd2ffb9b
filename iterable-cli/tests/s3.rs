//! The `iterable` command against an S3 server on 127.0.0.1 (see `iterable_tests::s3_server`),
//! configured as a user would: through the standard AWS environment variables.

use iterable_tests::s3_server::{S3Server, SECRET_KEY};
use iterable_tests::sample;
use std::process::{Command, Output};

/// The command, configured for `s3` through the environment alone.
fn command(s3: &S3Server) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_iterable"));
    for name in S3Server::FOREIGN_ENV {
        command.env_remove(name);
    }
    command.envs(s3.env());
    command
}

fn iterable(s3: &S3Server, args: &[&str]) -> Output {
    command(s3).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn convert_to_s3_then_count_and_cat_from_it() {
    let s3 = S3Server::start();
    s3.bucket("bucket");
    let local_count = stdout(&iterable(&s3, &["count", &sample("sample.csv")]));
    let local_records = stdout(&iterable(&s3, &["cat", &sample("sample.csv")]));
    for target in ["s3://bucket/out.jsonl.zst", "s3://bucket/key.csv.gz"] {
        stdout(&iterable(&s3, &["convert", &sample("sample.csv"), target]));
        assert_eq!(stdout(&iterable(&s3, &["count", target])), local_count);
        assert_eq!(stdout(&iterable(&s3, &["cat", target])), local_records);
    }
    let written = s3.object("bucket", "out.jsonl.zst").unwrap();
    assert_eq!(&written[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd");
    let written = s3.object("bucket", "key.csv.gz").unwrap();
    assert_eq!(&written[..2], &[0x1f, 0x8b], "gzip");

    // Many objects by glob into a prefix, then detection on an object.
    stdout(&iterable(
        &s3,
        &[
            "convert",
            "--to",
            "csv",
            "s3://bucket/*.csv.gz",
            "s3://bucket/back/",
        ],
    ));
    assert_eq!(
        stdout(&iterable(&s3, &["count", "s3://bucket/back/key.csv"])),
        local_count
    );
    let detected = stdout(&iterable(&s3, &["detect", "s3://bucket/key.csv.gz"]));
    assert!(detected.contains("format: csv"), "{detected}");
    assert!(detected.contains("codecs: gzip"), "{detected}");
}

#[test]
fn a_missing_object_fails_with_one_line_and_no_secret() {
    let s3 = S3Server::start();
    s3.bucket("bucket");
    let out = iterable(&s3, &["count", "s3://bucket/missing.csv.gz"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("s3://bucket/missing.csv.gz"), "{stderr}");
    assert!(stderr.contains("no such key"), "{stderr}");
    assert!(!stderr.contains(SECRET_KEY), "{stderr}");

    // Refused credentials.
    let out = command(&s3)
        .args(["count", "s3://bucket/missing.csv.gz"])
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret-never-printed")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("s3://bucket/missing.csv.gz"), "{stderr}");
    assert!(!stderr.contains("wrong-secret-never-printed"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // An endpoint nobody listens on: retried, then one line.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = command(&s3)
        .args(["count", "s3://bucket/x.csv"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("s3://bucket/x.csv: cannot reach the endpoint"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn credentials_and_region_come_from_a_profile_too() {
    let s3 = S3Server::start();
    s3.put("bucket", "data.jsonl", b"{\"a\":1}\n{\"a\":2}\n");
    let dir = tempfile::tempdir().unwrap();
    // A profile whose credentials come from a program, as with credential_process helpers.
    let helper = dir.path().join("credentials.sh");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}'\n",
            iterable_tests::s3_server::ACCESS_KEY,
            SECRET_KEY
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile tests]\nregion = us-east-1\ncredential_process = {}\n",
            helper.display()
        ),
    )
    .unwrap();
    let out = command(&s3)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_REGION")
        .env("AWS_PROFILE", "tests")
        .env("AWS_CONFIG_FILE", &config)
        .args(["count", "s3://bucket/data.jsonl"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "2\n");
}

#[test]
fn one_command_shares_one_client_and_its_connections() {
    let s3 = S3Server::start();
    for i in 0..6 {
        s3.put("many", &format!("in/{i}.jsonl"), b"{\"a\":1}\n");
    }
    let out = iterable(
        &s3,
        &[
            "convert",
            "--to",
            "csv",
            "--jobs",
            "2",
            "s3://many/in/*.jsonl",
            "s3://many/out/",
        ],
    );
    stdout(&out);
    for i in 0..6 {
        assert_eq!(
            s3.object("many", &format!("out/{i}.csv")).unwrap(),
            b"a\n1\n"
        );
    }
    // A list, six reads and six writes: with a client each, twelve connections or more.
    assert!(s3.connections() <= 4, "{} connections", s3.connections());
}
