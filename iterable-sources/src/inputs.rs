//! The inputs of `convert_many`: paths and glob patterns, and where each one's output goes.

use crate::Location;
use iterable_core::{Error, ErrorKind, Result};
use std::path::PathBuf;

/// The characters that make a path or a key a glob pattern.
pub(crate) const WILDCARDS: [char; 3] = ['*', '?', '['];

/// Expands each pattern (`in/*.csv`, `logs/2024-??.jsonl`) into the files it matches, in
/// sorted order; a pattern without wildcards is taken as a path as it is. A pattern that
/// matches nothing is an error naming it.
fn expand_inputs(patterns: &[String]) -> Result<Vec<PathBuf>> {
    let mut inputs = Vec::new();
    for pattern in patterns {
        if !pattern.contains(WILDCARDS) {
            inputs.push(PathBuf::from(pattern));
            continue;
        }
        let paths = glob::glob(pattern).map_err(|e| {
            Error::new(ErrorKind::InvalidRecord, format!("bad pattern: {e}"))
                .with_location(pattern.clone())
        })?;
        let mut matched: Vec<PathBuf> = paths
            .filter_map(std::result::Result::ok)
            .filter(|p| p.is_file())
            .collect();
        if matched.is_empty() {
            return Err(Error::new(ErrorKind::Io, "the pattern matches no file")
                .with_location(pattern.clone()));
        }
        matched.sort();
        inputs.append(&mut matched);
    }
    Ok(inputs)
}

/// A glob over the names of a bucket's objects (`logs/2024-*.jsonl.gz`): `*` and `?` within
/// one path segment, `[abc]`, `**` across segments.
#[cfg(feature = "object-stores")]
pub(crate) struct KeyGlob {
    pattern: glob::Pattern,
    /// What comes before the first wildcard.
    prefix: String,
}

#[cfg(feature = "object-stores")]
impl KeyGlob {
    /// The glob of `pattern`, or `None` when it has no wildcards; `located` names it in errors.
    pub(crate) fn new(pattern: &str, located: &str) -> Result<Option<KeyGlob>> {
        let Some(wildcard) = pattern.find(WILDCARDS) else {
            return Ok(None);
        };
        let glob = glob::Pattern::new(pattern).map_err(|e| {
            Error::new(ErrorKind::InvalidRecord, format!("bad pattern: {e}")).with_location(located)
        })?;
        Ok(Some(KeyGlob {
            pattern: glob,
            prefix: pattern[..wildcard].to_owned(),
        }))
    }

    /// What comes before the first wildcard: every match starts with it.
    #[cfg(feature = "s3")]
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The folder that holds every match: the prefix up to its last `/`.
    #[cfg(any(feature = "gcs", feature = "azure"))]
    pub(crate) fn folder(&self) -> &str {
        self.prefix
            .rsplit_once('/')
            .map_or("", |(folder, _)| folder)
    }

    /// Whether the object `key` matches (folder markers, ending in `/`, hold no records).
    pub(crate) fn matches(&self, key: &str) -> bool {
        let matching = glob::MatchOptions {
            require_literal_separator: true,
            ..Default::default()
        };
        !key.ends_with('/') && self.pattern.matches_with(key, matching)
    }

    /// The keys found, sorted; none is an error.
    pub(crate) fn found(&self, mut keys: Vec<String>, located: &str) -> Result<Vec<String>> {
        if keys.is_empty() {
            return Err(
                Error::new(ErrorKind::Io, "the pattern matches no object").with_location(located)
            );
        }
        keys.sort();
        Ok(keys)
    }
}

/// Extensions of data formats and codecs, which `output_path` takes off a name.
const DATA_EXTENSIONS: [&str; 20] = [
    "csv",
    "tsv",
    "tab",
    "psv",
    "ssv",
    "jsonl",
    "ndjson",
    "jsonlines",
    "json",
    "gz",
    "bz2",
    "xz",
    "lzma",
    "zst",
    "zstd",
    "lz4",
    "br",
    "sz",
    "snappy",
    "zip",
];

/// The name of an output: `name` less its data and codec extensions (`output` when there is
/// no name), then `extension`: `day.2024.csv.gz` becomes `day.2024.jsonl`.
fn output_name(name: Option<&str>, extension: &str) -> String {
    let mut stem = name.unwrap_or("output");
    while let Some((rest, ext)) = stem.rsplit_once('.') {
        if rest.is_empty() || !DATA_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) {
            break;
        }
        stem = rest;
    }
    format!("{stem}.{extension}")
}

/// Expands patterns into locations: local glob patterns (`in/*.csv`, `logs/2024-??.jsonl`)
/// into the files they match, in sorted order, other locations as they are; a pattern that
/// matches nothing is an error naming it. Listing remote objects by pattern needs the async
/// `remote::expand` (feature `s3`): here a remote pattern is an error.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # for name in ["b.csv", "a.csv", "c.txt"] { std::fs::write(dir.path().join(name), "x\n")?; }
/// let pattern = format!("{}/*.csv", dir.path().display());
/// let found = iterable_sources::expand_locations(&[pattern, "-".into()])?;
/// let names: Vec<_> = found.iter().map(|l| l.file_name()).collect();
/// assert_eq!(names, [Some("a.csv"), Some("b.csv"), None]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expand_locations(patterns: &[String]) -> Result<Vec<Location>> {
    let mut inputs = Vec::new();
    for pattern in patterns {
        match Location::parse(pattern)? {
            Location::Path(path) => inputs.extend(
                expand_inputs(&[path.to_string_lossy().into_owned()])?
                    .into_iter()
                    .map(Location::Path),
            ),
            remote if remote.object_key().is_some() && pattern.contains(WILDCARDS) => {
                let feature = match remote {
                    Location::Gcs { .. } => "gcs",
                    Location::Azure { .. } => "azure",
                    _ => "s3",
                };
                return Err(remote.unsupported(&format!(
                    "listing a pattern of objects there needs the \"{feature}\" feature"
                )));
            }
            other => inputs.push(other),
        }
    }
    Ok(inputs)
}

/// The conversions `convert_many` makes: each input with its output in `out_dir` (a folder,
/// created if missing, or an S3 prefix such as `s3://bucket/out/`), the input's name less its
/// data and codec extensions (a database's: its name), then `extension`. Two inputs that
/// would write the same output are an error before anything is written.
///
/// ```
/// use iterable_sources::{Location, plan_outputs};
/// let inputs = vec![
///     Location::parse("in/day.2024.csv.gz")?,
///     Location::parse("postgres://me:secret@db/shop?sslmode=disable")?,
/// ];
/// let plan = plan_outputs(inputs, &Location::parse("s3://bucket/out/")?, "jsonl")?;
/// assert_eq!(plan[0].1.to_string(), "s3://bucket/out/day.2024.jsonl");
/// assert_eq!(plan[1].1.to_string(), "s3://bucket/out/shop.jsonl");
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn plan_outputs(
    inputs: Vec<Location>,
    out_dir: &Location,
    extension: &str,
) -> Result<Vec<(Location, Location)>> {
    if let Location::Path(dir) = out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(e).with_location(dir.display().to_string()))?;
    }
    let mut plan: Vec<(Location, Location)> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = match &input {
            // A database's output is named after it (`shop.jsonl` for `.../shop`).
            Location::Database { url, .. } => output_name(database_name(url).as_deref(), extension),
            other => output_name(other.file_name(), extension),
        };
        let output = match out_dir {
            Location::Path(dir) => Location::Path(dir.join(&name)),
            store => match store.object_key() {
                Some(key) => store.with_object_key(match key.trim_end_matches('/') {
                    "" => name,
                    prefix => format!("{prefix}/{name}"),
                }),
                None => return Err(store.unsupported("not a place to write many outputs to")),
            },
        };
        if let Some((other, _)) = plan.iter().find(|(_, o)| *o == output) {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!("{other} and {input} would both be written to it"),
            )
            .with_location(output.to_string()));
        }
        plan.push((input, output));
    }
    Ok(plan)
}

/// The database a database URL names: the first segment of its path, if any (read from the
/// URL as shown, so that no part of a password can be taken for it).
fn database_name(url: &str) -> Option<String> {
    let shown = crate::location::database_url_shown(url);
    let (_, rest) = shown.split_once("://")?;
    let (_, path) = rest.split_once('/')?;
    path.split('/')
        .next()
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}
