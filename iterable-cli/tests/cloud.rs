//! The `iterable` command against Google Cloud Storage and Azure Blob Storage on 127.0.0.1,
//! configured as a user would, through each cloud's standard variables: GCS's XML API served
//! by an unsigned S3-protocol server (`iterable_tests::s3_server`) at `STORAGE_EMULATOR_HOST`,
//! and Azurite through `AZURE_STORAGE_CONNECTION_STRING`.

use iterable_tests::azurite::{ACCOUNT_KEY, Azurite};
use iterable_tests::s3_server::S3Server;
use iterable_tests::sample;
use std::process::{Command, Output};

/// Both stores, with a command configured for them through the environment alone.
struct Stores {
    gcs: S3Server,
    azure: Azurite,
}

impl Stores {
    fn start() -> Stores {
        let gcs = S3Server::start_unsigned_in(&std::env::temp_dir());
        let azure = Azurite::start_in(&std::env::temp_dir())
            .expect("Azurite is not installed: tests/run.sh installs it under target/azurite");
        Stores { gcs, azure }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_iterable"));
        for (name, _) in std::env::vars() {
            if name.starts_with("GOOGLE_") || name.starts_with("AZURE_") {
                command.env_remove(name);
            }
        }
        command
            .env("STORAGE_EMULATOR_HOST", self.gcs.endpoint())
            .env(
                "AZURE_STORAGE_CONNECTION_STRING",
                self.azure.connection_string(),
            );
        command
    }

    fn iterable(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Makes an Azure container, with Microsoft's own client.
    fn container(&self, name: &str) {
        self.peer(&["container", name]);
    }

    /// What Microsoft's own client prints, run with `args` (tests/peers/azure_blob.py).
    fn peer(&self, args: &[&str]) -> String {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/peers/azure_blob.py");
        let python = std::env::var("ITERABLE_TEST_PYTHON").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/test-venv/bin/python"
            )
            .to_owned()
        });
        let ran = Command::new(python)
            .arg(script)
            .args(args)
            .env(
                "AZURE_STORAGE_CONNECTION_STRING",
                self.azure.connection_string(),
            )
            .output()
            .unwrap();
        assert!(
            ran.status.success(),
            "{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        String::from_utf8(ran.stdout).unwrap()
    }
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn convert_to_each_store_then_count_cat_and_convert_between_them() {
    let stores = Stores::start();
    stores.gcs.bucket("bucket");
    stores.container("box");
    let local_count = stdout(&stores.iterable(&["count", &sample("sample.csv")]));
    let local_records = stdout(&stores.iterable(&["cat", &sample("sample.csv")]));
    for target in ["gs://bucket/out.jsonl.zst", "az://box/key.csv.gz"] {
        stdout(&stores.iterable(&["convert", &sample("sample.csv"), target]));
        assert_eq!(
            stdout(&stores.iterable(&["count", target])),
            local_count,
            "{target}"
        );
        assert_eq!(
            stdout(&stores.iterable(&["cat", target])),
            local_records,
            "{target}"
        );
    }
    let written = stores.gcs.object("bucket", "out.jsonl.zst").unwrap();
    assert_eq!(&written[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd");
    // A glob in one store into a prefix of the other, as parquet (read back by ranges).
    let args = [
        "convert",
        "--to",
        "parquet",
        "gs://bucket/*.jsonl.zst",
        "az://box/back/",
    ];
    stdout(&stores.iterable(&args));
    let back = "abfss://box@devstoreaccount1.dfs.core.windows.net/back/out.parquet";
    let count = stdout(&stores.iterable(&["count", "az://box/back/out.parquet"]));
    assert_eq!(count, local_count);
    // Naming the account in the location works too (it is the connection string's here).
    let out = stores.command().args(["count", back]).output().unwrap();
    assert_eq!(stdout(&out), local_count);
    let detected = stdout(&stores.iterable(&["detect", "az://box/key.csv.gz"]));
    assert!(detected.contains("format: csv"), "{detected}");
    assert!(detected.contains("codecs: gzip"), "{detected}");
}

#[test]
fn missing_objects_and_refused_keys_fail_with_one_line_and_no_secret() {
    let stores = Stores::start();
    stores.gcs.bucket("bucket");
    stores.container("box");
    for location in ["gs://bucket/missing.csv", "az://box/missing.csv"] {
        let stderr = one_line_error(&stores.iterable(&["count", location]));
        assert!(
            stderr.contains(&format!("{location}: no such object")),
            "{stderr}"
        );
        assert!(!stderr.contains(ACCOUNT_KEY), "{stderr}");
    }
    // A key set on its own wins over the connection string's: a wrong one is refused.
    let wrong = "d3Jvbmcta2V5LW5ldmVyLXByaW50ZWQ=";
    let out = stores
        .command()
        .env("AZURE_STORAGE_ACCOUNT_KEY", wrong)
        .args(["count", "az://box/missing.csv"])
        .output()
        .unwrap();
    let stderr = one_line_error(&out);
    assert!(
        stderr.starts_with("iterable: az://box/missing.csv: "),
        "{stderr}"
    );
    assert!(
        !stderr.contains(wrong) && !stderr.contains(ACCOUNT_KEY),
        "{stderr}"
    );
    assert!(!stderr.contains("no such object"), "{stderr}");
}

#[test]
fn azure_takes_a_sas_token_or_the_emulator_switch_as_its_tools_do() {
    let stores = Stores::start();
    stores.container("shared");
    let sas = stores.peer(&["sas", "shared"]).trim().to_owned();
    let signature = sas
        .split('&')
        .find(|p| p.starts_with("sig="))
        .unwrap()
        .to_owned();
    let endpoint = format!(
        "{}/{}",
        stores.azure.endpoint(),
        iterable_tests::azurite::ACCOUNT
    );
    let local_count = stdout(&stores.iterable(&["count", &sample("sample.csv")]));
    // A connection string with a SAS and no key, as the portal gives one.
    let with_sas = format!("BlobEndpoint={endpoint};SharedAccessSignature={sas}");
    let run = |connection: &str, args: &[&str]| {
        stores
            .command()
            .env("AZURE_STORAGE_CONNECTION_STRING", connection)
            .args(args)
            .output()
            .unwrap()
    };
    stdout(&run(
        &with_sas,
        &["convert", &sample("sample.csv"), "az://shared/by-sas.csv"],
    ));
    assert_eq!(
        stdout(&run(&with_sas, &["count", "az://shared/by-sas.csv"])),
        local_count
    );
    // The token refused on another container: one line, without the token.
    let stderr = one_line_error(&run(&with_sas, &["count", "az://elsewhere/x.csv"]));
    assert!(stderr.contains("az://elsewhere/x.csv: "), "{stderr}");
    assert!(
        !stderr.contains(&signature) && !stderr.contains(&sas),
        "{stderr}"
    );
    // AZURE_STORAGE_SAS_TOKEN with the account and endpoint set one by one.
    let out = stores
        .command()
        .env_remove("AZURE_STORAGE_CONNECTION_STRING")
        .env(
            "AZURE_STORAGE_ACCOUNT_NAME",
            iterable_tests::azurite::ACCOUNT,
        )
        .env("AZURE_STORAGE_SAS_TOKEN", &sas)
        .env("AZURE_STORAGE_ENDPOINT", &endpoint)
        .env("AZURE_ALLOW_HTTP", "true")
        .args(["count", "az://shared/by-sas.csv"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), local_count);
    // A SAS token set on its own replaces the connection string's key: a bad one is refused.
    let out = stores
        .command()
        .env(
            "AZURE_STORAGE_SAS_TOKEN",
            "sv=2021-08-06&sig=bm90LWEtc2lnbmF0dXJl",
        )
        .args(["count", "az://shared/by-sas.csv"])
        .output()
        .unwrap();
    let stderr = one_line_error(&out);
    assert!(!stderr.contains("bm90LWEtc2lnbmF0dXJl"), "{stderr}");
    // The emulator switch: Azurite's well-known account at AZURITE_BLOB_STORAGE_URL.
    let out = stores
        .command()
        .env_remove("AZURE_STORAGE_CONNECTION_STRING")
        .env("AZURE_STORAGE_USE_EMULATOR", "true")
        .env("AZURITE_BLOB_STORAGE_URL", stores.azure.endpoint())
        .args(["count", "az://shared/by-sas.csv"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), local_count);
    // A connection string that is not one: its settings are never shown.
    let stderr = one_line_error(&run("AccountKey", &["count", "az://shared/by-sas.csv"]));
    assert!(stderr.contains("Name=value"), "{stderr}");
}

#[test]
fn gcs_signs_with_a_service_account_key_and_shares_one_client() {
    let stores = Stores::start();
    for i in 0..6 {
        stores
            .gcs
            .put("many", &format!("in/{i}.jsonl"), b"{\"a\":1}\n");
    }
    // A service account's key, as the console gives one, here pointed at the test server.
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("key.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let email = "reader@iterable-tests.iam.gserviceaccount.com";
    let key = format!(
        r#"{{"type": "service_account", "private_key_id": "key-1", "private_key": {:?}, "client_email": "{email}", "gcs_base_url": "{}"}}"#,
        std::fs::read_to_string(&pem).unwrap(),
        stores.gcs.endpoint()
    );
    let key_file = dir.path().join("service-account.json");
    std::fs::write(&key_file, key).unwrap();
    let signed = || {
        let mut command = stores.command();
        command
            .env_remove("STORAGE_EMULATOR_HOST")
            .env("GOOGLE_SERVICE_ACCOUNT", &key_file)
            .env("GOOGLE_ALLOW_HTTP", "true"); // the test server speaks plain HTTP
        command
    };
    let before = stores.gcs.connections();
    let out = signed()
        .args([
            "convert",
            "--to",
            "csv",
            "--jobs",
            "2",
            "gs://many/in/*.jsonl",
            "gs://many/out/",
        ])
        .output()
        .unwrap();
    stdout(&out);
    for i in 0..6 {
        let written = stores.gcs.object("many", &format!("out/{i}.csv"));
        assert_eq!(written.as_deref(), Some(&b"a\n1\n"[..]));
    }
    // A list, six reads and six writes through one client.
    let connections = stores.gcs.connections() - before;
    assert!(connections <= 4, "{connections} connections");
    // The requests carried a token the key signed: a JWT naming the account and the key.
    let token = stores
        .gcs
        .last_authorization()
        .expect("an Authorization header");
    let jwt = token.strip_prefix("Bearer ").expect("a bearer token");
    let part = |n: usize| {
        use base64::Engine;
        let text = jwt.split('.').nth(n).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    };
    assert!(part(0).contains(r#""kid":"key-1""#), "{}", part(0));
    assert!(
        part(1).contains(&format!(r#""iss":"{email}""#)),
        "{}",
        part(1)
    );
    // A credentials file that is not there: one line naming the location.
    let out = signed()
        .env("GOOGLE_SERVICE_ACCOUNT", dir.path().join("missing.json"))
        .args(["count", "gs://many/in/0.jsonl"])
        .output()
        .unwrap();
    let stderr = one_line_error(&out);
    assert!(stderr.starts_with("iterable: gs://many"), "{stderr}");
}
