//! `Location`: a path, `-`, a URL, an object in a store, or a database.

use iterable_core::{Error, ErrorKind, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// A place to read records from or write them to.
///
/// ```
/// use iterable_sources::Location;
/// assert_eq!(Location::parse("-")?, Location::Stdio);
/// assert_eq!(Location::parse("data/x.csv")?.file_name(), Some("x.csv"));
/// assert_eq!(Location::parse("s3://bucket/logs/day.csv.gz")?.file_name(), Some("day.csv.gz"));
/// assert_eq!(Location::parse("https://example.com/x/data.jsonl?sig=1")?.file_name(), Some("data.jsonl"));
/// assert!(Location::parse("ftp://host/a.csv").is_err());
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// A local file.
    Path(PathBuf),
    /// Standard input (reading) or standard output (writing), written `-`.
    Stdio,
    /// An `http://` or `https://` URL.
    Http(String),
    /// An object in S3 or an S3-compatible store, `s3://bucket/key` (or `s3a://`).
    S3 {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
    },
    /// An object in Google Cloud Storage, `gs://bucket/key` (or `gcs://`).
    Gcs {
        /// The bucket.
        bucket: String,
        /// The object's name.
        key: String,
    },
    /// A blob in Azure Blob Storage, `az://container/key` (or `azure://`), the account from
    /// the environment ([`crate::cloud`]), or
    /// `abfss://container@account.dfs.core.windows.net/key` (or `abfs://`, or `.blob.`), which
    /// names it (and a sovereign cloud by its endpoint suffix: `core.chinacloudapi.cn`).
    Azure {
        /// The storage account, when the location names it.
        account: Option<String>,
        /// The endpoint suffix of the account's host when it is not the public cloud's
        /// (`core.windows.net`): a sovereign cloud's, as `core.chinacloudapi.cn`.
        suffix: Option<String>,
        /// The container.
        container: String,
        /// The blob's name.
        key: String,
    },
    /// A database: PostgreSQL, `postgres://user@host:port/db` (or `postgresql://`), or MySQL
    /// and MariaDB, `mysql://user@host:port/db` (or `mariadb://`), with what to read or write
    /// there (`table`, `query`, ...: see [`crate::postgres`] and [`crate::mysql`]), which the
    /// adapters take from the reader's or writer's options.
    Database {
        /// The connection URL, as given.
        url: String,
        /// The source's or sink's options, `key=value`.
        options: Vec<(String, String)>,
    },
}

impl Location {
    /// Parses a location as written by a user.
    pub fn parse(text: &str) -> Result<Location> {
        if text == "-" {
            return Ok(Location::Stdio);
        }
        if crate::database::System::of(text).is_some() {
            return Ok(Location::Database {
                url: text.to_owned(),
                options: Vec::new(),
            });
        }
        if let Some((scheme, rest)) = text.split_once("://") {
            match scheme.to_ascii_lowercase().as_str() {
                "file" => return Ok(Location::Path(PathBuf::from(rest))),
                "http" | "https" => return Ok(Location::Http(text.to_owned())),
                "s3" | "s3a" => {
                    let (bucket, key) = bucket_and_key(rest, text, "s3://bucket/key")?;
                    return Ok(Location::S3 { bucket, key });
                }
                "gs" | "gcs" => {
                    let (bucket, key) = bucket_and_key(rest, text, "gs://bucket/key")?;
                    return Ok(Location::Gcs { bucket, key });
                }
                "az" | "azure" | "abfs" | "abfss" => {
                    let (container, key) = bucket_and_key(rest, text, "az://container/key")?;
                    let (container, account, suffix) = match container.split_once('@') {
                        Some((container, host)) => {
                            let (account, suffix) = account_of(host, text)?;
                            (container.to_owned(), Some(account), suffix)
                        }
                        None => (container, None, None),
                    };
                    return Ok(Location::Azure {
                        account,
                        suffix,
                        container,
                        key,
                    });
                }
                other
                    if other.len() > 1
                        && other
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'+') =>
                {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!("{scheme}:// locations are not supported"),
                    )
                    .with_location(text));
                }
                _ => {}
            }
        }
        Ok(Location::Path(PathBuf::from(text)))
    }

    /// Parses a location given as an OS string (a `Path`, say): one that is not UTF-8 can
    /// only be a local path.
    pub fn parse_os(text: &std::ffi::OsStr) -> Result<Location> {
        match text.to_str() {
            Some(text) => Location::parse(text),
            None => Ok(Location::Path(PathBuf::from(text))),
        }
    }

    /// The last part of the path, which names the format: `x.csv.gz`. `None` for stdio.
    pub fn file_name(&self) -> Option<&str> {
        match self {
            Location::Path(path) => path.file_name().and_then(|n| n.to_str()),
            Location::Stdio => None,
            Location::Http(url) => {
                let path = url.split(['?', '#']).next().unwrap_or(url);
                let path = path.split_once("://").map_or(path, |(_, rest)| rest);
                path.split_once('/')
                    .and_then(|(_, p)| p.rsplit('/').next())
                    .filter(|n| !n.is_empty())
            }
            Location::S3 { key, .. } | Location::Gcs { key, .. } | Location::Azure { key, .. } => {
                key.rsplit('/').next().filter(|n| !n.is_empty())
            }
            Location::Database { .. } => None,
        }
    }

    /// The local path, for [`Location::Path`].
    pub fn path(&self) -> Option<&Path> {
        match self {
            Location::Path(path) => Some(path),
            _ => None,
        }
    }

    /// The key of an object in a store (`s3://`, `gs://`, `az://`), `None` for other
    /// locations.
    pub fn object_key(&self) -> Option<&str> {
        match self {
            Location::S3 { key, .. } | Location::Gcs { key, .. } | Location::Azure { key, .. } => {
                Some(key)
            }
            _ => None,
        }
    }

    /// The object `key` in the same bucket or container as this location, which is one in a
    /// store ([`Location::object_key`]); any other location comes back as it is.
    pub fn with_object_key(&self, key: String) -> Location {
        let mut other = self.clone();
        if let Location::S3 { key: k, .. }
        | Location::Gcs { key: k, .. }
        | Location::Azure { key: k, .. } = &mut other
        {
            *k = key;
        }
        other
    }

    /// The location as written, credentials and all: what opens it again
    /// ([`Location::parse`] gives it back), never for messages, which take
    /// [`Display`](fmt::Display)'s.
    ///
    /// ```
    /// use iterable_sources::Location;
    /// let url = "mysql://me:secret@db/shop";
    /// let location = Location::parse(url)?;
    /// assert_eq!(location.as_written(), url);
    /// assert_eq!(location.to_string(), "mysql://db/shop");
    /// # Ok::<(), iterable_core::Error>(())
    /// ```
    pub fn as_written(&self) -> String {
        match self {
            Location::Path(path) => path.to_string_lossy().into_owned(),
            Location::Stdio => "-".to_owned(),
            Location::Http(url) | Location::Database { url, .. } => url.clone(),
            Location::S3 { .. } | Location::Gcs { .. } | Location::Azure { .. } => self.to_string(),
        }
    }

    /// The error for a location the operation cannot use (yet, or in this build).
    pub fn unsupported(&self, what: &str) -> Error {
        Error::new(ErrorKind::Unsupported, what.to_owned()).with_location(self.to_string())
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Self {
        Location::Path(path.to_owned())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::Path(path)
    }
}

/// As [`Display`](fmt::Display) shows them, URLs go without user, password and query: a
/// location logged with `{:?}` gives away no credential or presigned signature.
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Path(path) => f.debug_tuple("Path").field(path).finish(),
            Location::Stdio => f.write_str("Stdio"),
            Location::Http(url) => f.debug_tuple("Http").field(&without_secrets(url)).finish(),
            Location::S3 { bucket, key } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("key", key)
                .finish(),
            Location::Gcs { bucket, key } => f
                .debug_struct("Gcs")
                .field("bucket", bucket)
                .field("key", key)
                .finish(),
            Location::Azure {
                account,
                suffix,
                container,
                key,
            } => f
                .debug_struct("Azure")
                .field("account", account)
                .field("suffix", suffix)
                .field("container", container)
                .field("key", key)
                .finish(),
            Location::Database { url, options } => f
                .debug_struct("Database")
                .field("url", &database_url_shown(url))
                .field("options", options)
                .finish(),
        }
    }
}

/// Shows the location as a user wrote it, less what must not appear in messages and logs: an
/// HTTP URL's user, password and query (the signature of a presigned URL).
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Path(path) => write!(f, "{}", path.display()),
            Location::Stdio => f.write_str("-"),
            Location::Http(url) => f.write_str(&without_secrets(url)),
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            Location::Gcs { bucket, key } => write!(f, "gs://{bucket}/{key}"),
            Location::Azure {
                account: None,
                container,
                key,
                ..
            } => write!(f, "az://{container}/{key}"),
            Location::Azure {
                account: Some(account),
                suffix,
                container,
                key,
            } => {
                let suffix = suffix.as_deref().unwrap_or(PUBLIC_AZURE);
                write!(f, "abfss://{container}@{account}.dfs.{suffix}/{key}")
            }
            Location::Database { url, options } => {
                f.write_str(&database_url_shown(url))?;
                let table = options.iter().find(|(k, _)| k == "table");
                match table {
                    Some((_, table)) => write!(f, " (table {table})"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// The bucket (or container) and key of an object store's location, `rest` being what follows
/// `scheme://`: an empty key (`gs://bucket/`) names the bucket's top, as a prefix.
fn bucket_and_key(rest: &str, text: &str, form: &str) -> Result<(String, String)> {
    let (bucket, key) = rest.split_once('/').unwrap_or(("", ""));
    if bucket.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidRecord,
            format!("such a location is {form}"),
        )
        .with_location(text));
    }
    Ok((bucket.to_owned(), key.to_owned()))
}

/// The endpoint suffix of Azure's public cloud.
const PUBLIC_AZURE: &str = "core.windows.net";

/// The storage account of `abfss://container@HOST/...`, and the endpoint suffix when it is
/// not the public cloud's: HOST is `account.dfs.SUFFIX` (or `.blob.`).
fn account_of(host: &str, text: &str) -> Result<(String, Option<String>)> {
    let parts = host.split_once('.').and_then(|(account, rest)| {
        let suffix = rest
            .strip_prefix("dfs.")
            .or_else(|| rest.strip_prefix("blob."))?;
        (!account.is_empty() && suffix.contains('.')).then_some((account, suffix))
    });
    match parts {
        Some((account, suffix)) => Ok((
            account.to_owned(),
            (suffix != PUBLIC_AZURE).then(|| suffix.to_owned()),
        )),
        None => Err(Error::new(
            ErrorKind::InvalidRecord,
            "an abfss:// location is abfss://container@account.dfs.core.windows.net/path",
        )
        .with_location(text)),
    }
}

/// A database URL as it may be shown: without user, password and query. A password may hold
/// `@`, `/`, `?` or `#` (written as they are, or as drivers read them): everything up to the
/// last `@` goes, then whatever follows a `?` or `#`.
pub(crate) fn database_url_shown(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    format!("{scheme}://{rest}")
}

/// A URL as it may be shown: without user and password, and with its query (which carries
/// the signature of a presigned URL) replaced by `?...`.
fn without_secrets(url: &str) -> String {
    let (scheme, host, path) = url_parts(url);
    let path = path.split('#').next().unwrap_or("");
    let path = match path.split_once('?') {
        Some((path, _)) => format!("{path}?..."),
        None => path.to_owned(),
    };
    format!("{scheme}://{host}{path}")
}

/// A URL's scheme, host (with its port, without user and password) and the rest (path, query
/// and fragment).
pub(crate) fn url_parts(url: &str) -> (&str, &str, &str) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    (scheme, host, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_credentials() {
        for url in [
            "postgres://reader:s3cret@db.example:5432/shop?password=s3cret",
            "mariadb://reader:s3cret@db.example:3306/shop",
            "https://reader:s3cret@example.com/data.csv?X-Amz-Signature=s3cret",
        ] {
            let shown = format!("{:?}", Location::parse(url).unwrap());
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("example"), "{shown}");
        }
    }

    #[test]
    fn paths_and_schemes() {
        assert_eq!(
            Location::parse("file:///tmp/a.csv").unwrap(),
            Location::Path("/tmp/a.csv".into())
        );
        let err = Location::parse("gopher://example.invalid/a.jsonl").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(
            err.to_string(),
            "gopher://example.invalid/a.jsonl: gopher:// locations are not supported"
        );
        assert_eq!(Location::parse("https://h/").unwrap().file_name(), None);
        assert_eq!(
            Location::parse("s3a://b/k/x.csv").unwrap(),
            Location::S3 {
                bucket: "b".into(),
                key: "k/x.csv".into()
            }
        );
        assert!(Location::parse("s3://bucket").is_err());
        assert_eq!(
            Location::parse("gcs://b/k/x.csv").unwrap(),
            Location::Gcs {
                bucket: "b".into(),
                key: "k/x.csv".into()
            }
        );
        let abfss = "abfss://box@acct.dfs.core.windows.net/d/x.parquet";
        let azure = Location::parse(abfss).unwrap();
        assert_eq!(
            azure,
            Location::Azure {
                account: Some("acct".into()),
                suffix: None,
                container: "box".into(),
                key: "d/x.parquet".into()
            }
        );
        assert_eq!(azure.as_written(), abfss);
        assert_eq!(azure.file_name(), Some("x.parquet"));
        let az = Location::parse("azure://box/a.csv").unwrap();
        assert_eq!(az.to_string(), "az://box/a.csv");
        assert_eq!(Location::parse(&az.as_written()).unwrap(), az);
        let china = Location::parse("abfs://box@acct.blob.core.chinacloudapi.cn/x.csv").unwrap();
        assert_eq!(
            china.as_written(),
            "abfss://box@acct.dfs.core.chinacloudapi.cn/x.csv"
        );
        assert_eq!(Location::parse(&china.as_written()).unwrap(), china);
        for bad in ["gs://bucket", "az:///k", "abfss://box@elsewhere.example/k"] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
        let database = Location::parse("postgresql://u:secret@h:5/db?password=p").unwrap();
        assert_eq!(database.to_string(), "postgresql://h:5/db");
        let slashed = Location::parse("postgres://app:pa/s?s@db/prod").unwrap();
        assert_eq!(slashed.to_string(), "postgres://db/prod");
        for url in [
            "mariadb://app:p@ss@db:3306/prod?ssl-mode=x",
            "mysql://app:pa/ss@db:3306/prod",
            "mysql://app:p?ss@db:3306/prod",
            "postgres://app:p#s@s@db:3306/prod",
        ] {
            let shown = Location::parse(url).unwrap().to_string();
            assert_eq!(shown.split_once("://").unwrap().1, "db:3306/prod", "{url}");
        }
        assert_eq!(database.file_name(), None);
        let presigned = "https://user:pw@h:8/a/b.csv?X-Amz-Signature=abc&X-Amz-Credential=k#f";
        assert_eq!(
            Location::parse(presigned).unwrap().to_string(),
            "https://h:8/a/b.csv?..."
        );
    }
}

/// How much of a remote object an open fetches (`remote::open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Its bytes, streamed from the start.
    Body,
    /// What the server says of it (size, version, type, encoding) without its bytes, for a
    /// format read by ranges: an empty body where the server can describe the object
    /// (`HEAD`, `HeadObject`), its bytes where it cannot.
    Description,
}
