//! `Location`: a path, `-`, or (later) a remote URL.

use iterable_core::{Error, ErrorKind, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// A place to read records from or write them to.
///
/// ```
/// use iterable_sources::Location;
/// assert_eq!(Location::parse("-")?, Location::Stdio);
/// assert_eq!(Location::parse("data/x.csv")?.file_name(), Some("x.csv"));
/// assert!(Location::parse("s3://bucket/key.csv").is_err());
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// A local file.
    Path(PathBuf),
    /// Standard input (reading) or standard output (writing), written `-`.
    Stdio,
}

impl Location {
    /// Parses a location as written by a user.
    pub fn parse(text: &str) -> Result<Location> {
        if text == "-" {
            return Ok(Location::Stdio);
        }
        if let Some((scheme, _)) = text.split_once("://") {
            let is_scheme = scheme.len() > 1
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+');
            if is_scheme && scheme != "file" {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("{scheme}:// locations are not supported yet"),
                )
                .with_location(text));
            }
            if scheme == "file" {
                return Ok(Location::Path(PathBuf::from(&text["file://".len()..])));
            }
        }
        Ok(Location::Path(PathBuf::from(text)))
    }

    /// The last part of the path, which names the format: `x.csv.gz`. `None` for stdio.
    pub fn file_name(&self) -> Option<&str> {
        match self {
            Location::Path(path) => path.file_name().and_then(|n| n.to_str()),
            Location::Stdio => None,
        }
    }

    /// The local path, for [`Location::Path`].
    pub fn path(&self) -> Option<&Path> {
        match self {
            Location::Path(path) => Some(path),
            Location::Stdio => None,
        }
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

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Path(path) => write!(f, "{}", path.display()),
            Location::Stdio => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_schemes() {
        assert_eq!(
            Location::parse("file:///tmp/a.csv").unwrap(),
            Location::Path("/tmp/a.csv".into())
        );
        let err = Location::parse("https://example.invalid/a.jsonl").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(
            err.to_string(),
            "https://example.invalid/a.jsonl: https:// locations are not supported yet"
        );
    }
}
