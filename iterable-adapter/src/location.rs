//! What a location is to read from or write to, decided once for every adapter.

use crate::{Probe, ReadState};
use iterable_core::{Error, Result};
use iterable_formats::ReadOptions;
use iterable_sources::Location;
use std::path::PathBuf;

/// Where a reader's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// A remote object (`http(s)://`, `s3://`), through the adapter's clients.
    Remote(Location),
}

impl Source {
    /// The source `location` names.
    pub fn of(location: &Location) -> Source {
        match location {
            Location::Path(path) => Source::File(path.clone()),
            Location::Stdio => Source::Stdin,
            remote @ (Location::Http(_) | Location::S3 { .. }) => Source::Remote(remote.clone()),
        }
    }
}

/// Where a writer's bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A local file, written atomically.
    File(PathBuf),
    /// Standard output.
    Stdout,
    /// A remote object (`s3://`), through the adapter's clients.
    Remote(Location),
}

impl Target {
    /// The target `location` names; HTTP has no standard way to take an upload, so an
    /// `http(s)://` location is refused.
    pub fn of(location: &Location) -> Result<Target> {
        match location {
            Location::Path(path) => Ok(Target::File(path.clone())),
            Location::Stdio => Ok(Target::Stdout),
            Location::Http(_) => Err(location.unsupported("writing over HTTP is not supported")),
            remote @ Location::S3 { .. } => Ok(Target::Remote(remote.clone())),
        }
    }
}

/// The error for a remote location in an adapter built without its client: names the feature
/// of `adapter` (`"iterable-tokio"`) that brings it.
pub fn remote_unsupported(location: &Location, adapter: &str) -> Error {
    let feature = match location {
        Location::S3 { .. } => "s3",
        _ => "http",
    };
    location.unsupported(&format!(
        "{} locations need the \"{feature}\" feature of {adapter}",
        if feature == "s3" {
            "s3://"
        } else {
            "http(s)://"
        }
    ))
}

/// Opens a local file and probes it (blocking): its head read, its codec and format found.
/// Returns the file, positioned after the head, with the reader's state, which names the file
/// in errors and knows its size.
pub fn open_file(
    path: PathBuf,
    options: &ReadOptions,
    location: &str,
) -> Result<(std::fs::File, ReadState)> {
    let locate = |e: std::io::Error| Error::io(e).with_location(location);
    let mut file = std::fs::File::open(&path).map_err(locate)?;
    let size = file.metadata().map_err(locate)?.len();
    let name = path.file_name().and_then(|n| n.to_str());
    let location = Some(location.to_owned());
    let state = Probe::blocking(&mut file, options, name, location, Some(size))?;
    Ok((file, state))
}
