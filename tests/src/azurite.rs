//! Azurite, the Azure Storage emulator (npm package `azurite`), on 127.0.0.1 for tests: its
//! blob service in a temporary folder of its own, stopped when dropped. `ITERABLE_TEST_AZURITE`
//! names the `azurite-blob` program (tests/run.sh installs it under `target/azurite`);
//! `target/azurite/node_modules/.bin/azurite-blob` is tried without it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The emulator's well-known account.
pub const ACCOUNT: &str = "devstoreaccount1";
/// The emulator's well-known account key; it must appear in no error message.
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A running blob service; dropping it stops it and deletes its files.
pub struct Azurite {
    child: Child,
    endpoint: String,
    _root: tempfile::TempDir,
}

impl Azurite {
    /// Starts the blob service on a free port of 127.0.0.1, its data in a temporary folder
    /// under `parent`; `None` when no Azurite is installed.
    pub fn start_in(parent: &Path) -> Option<Azurite> {
        let program = program()?;
        let root = tempfile::tempdir_in(parent).expect("a temporary folder");
        let mut child = Command::new(&program)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--disableTelemetry",
            ])
            .args(["--skipApiVersionCheck", "--silent", "--location"])
            .arg(root.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        // It says where it listens (Azurite 3.37: "Azurite Blob service successfully listens
        // on http://127.0.0.1:PORT"), the port it was given when asked for port 0.
        let mut said = BufReader::new(child.stdout.take().expect("its output")).lines();
        let endpoint = said
            .by_ref()
            .map_while(std::result::Result::ok)
            .find_map(|line| line.split("listens on ").nth(1).map(str::to_owned))
            .unwrap_or_else(|| panic!("{} did not start", program.display()));
        // What it says later is read and dropped: a closed pipe would stop it.
        std::thread::spawn(move || said.for_each(drop));
        Some(Azurite {
            child,
            endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
            _root: root,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The connection string of the emulator's account, as Azure's tools take it.
    pub fn connection_string(&self) -> String {
        connection_string(&self.endpoint)
    }
}

/// The connection string of the emulator's account served at `endpoint`
/// (`http://127.0.0.1:PORT`: Azurite's, or a proxy's in front of it).
pub fn connection_string(endpoint: &str) -> String {
    format!(
        "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};\
         BlobEndpoint={endpoint}/{ACCOUNT};"
    )
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `azurite-blob` program, if there is one.
fn program() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("ITERABLE_TEST_AZURITE") {
        return Some(PathBuf::from(named));
    }
    let installed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/azurite/node_modules/.bin/azurite-blob");
    installed.exists().then_some(installed)
}
