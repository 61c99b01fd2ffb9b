//! The inputs of `convert_many`: paths and glob patterns, and where each one's output goes.

use iterable_core::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// Expands each pattern (`in/*.csv`, `logs/2024-??.jsonl`) into the files it matches, in
/// sorted order; a pattern without wildcards is taken as a path as it is. A pattern that
/// matches nothing is an error naming it.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # for name in ["b.csv", "a.csv", "c.txt"] { std::fs::write(dir.path().join(name), "x\n")?; }
/// let pattern = format!("{}/*.csv", dir.path().display());
/// let found = iterable_sources::expand_inputs(&[pattern])?;
/// assert_eq!(found.iter().map(|p| p.file_name().unwrap()).collect::<Vec<_>>(), ["a.csv", "b.csv"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expand_inputs(patterns: &[String]) -> Result<Vec<PathBuf>> {
    let mut inputs = Vec::new();
    for pattern in patterns {
        if !pattern.contains(['*', '?', '[']) {
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

/// Where `convert_many` writes `input`'s records: in `out_dir`, the same stem, `extension`.
/// The stem is the name less its data and codec extensions: `day.2024.csv.gz` becomes
/// `day.2024.jsonl`.
///
/// ```
/// use std::path::Path;
/// let out = iterable_sources::output_path(Path::new("in/day.2024.csv.gz"), Path::new("out"), "jsonl");
/// assert_eq!(out, Path::new("out/day.2024.jsonl"));
/// ```
pub fn output_path(input: &Path, out_dir: &Path, extension: &str) -> PathBuf {
    let mut stem = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    while let Some((rest, ext)) = stem.rsplit_once('.') {
        if rest.is_empty() || !DATA_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) {
            break;
        }
        stem = rest;
    }
    out_dir.join(format!("{stem}.{extension}"))
}

/// The conversions `convert_many` makes: each input (patterns expanded) with its output in
/// `out_dir`, which is created if missing. Two inputs that would write the same output are
/// an error before anything is written.
pub fn plan_outputs(
    patterns: &[String],
    out_dir: &Path,
    extension: &str,
) -> Result<Vec<(PathBuf, PathBuf)>> {
    let inputs = expand_inputs(patterns)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::io(e).with_location(out_dir.display().to_string()))?;
    let mut plan: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let output = output_path(&input, out_dir, extension);
        if let Some((other, _)) = plan.iter().find(|(_, o)| *o == output) {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "{} and {} would both be written to it",
                    other.display(),
                    input.display()
                ),
            )
            .with_location(output.display().to_string()));
        }
        plan.push((input, output));
    }
    Ok(plan)
}
