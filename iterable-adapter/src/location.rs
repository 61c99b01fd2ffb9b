//! What a location is to read from or write to, decided once for every adapter.

use crate::{Probe, Probed, ReadState};
use iterable_core::{Error, Result};
use iterable_formats::{Format, FormatOptions, ReadOptions, WriteOptions};
use iterable_sources::Location;
use std::path::PathBuf;

/// Where a reader's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// A remote object (`http(s)://`, `s3://`, `gs://`, `az://`) or a database, through the
    /// adapter's clients.
    Remote(Location),
}

impl Source {
    /// The source `location` names.
    pub fn of(location: &Location) -> Source {
        match location {
            Location::Path(path) => Source::File(path.clone()),
            Location::Stdio => Source::Stdin,
            remote @ (Location::Http(_)
            | Location::S3 { .. }
            | Location::Gcs { .. }
            | Location::Azure { .. }
            | Location::Database { .. }) => Source::Remote(remote.clone()),
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
    /// A remote object (`s3://`, `gs://`, `az://`) or a database, through the adapter's
    /// clients.
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
            remote @ (Location::S3 { .. }
            | Location::Gcs { .. }
            | Location::Azure { .. }
            | Location::Database { .. }) => Ok(Target::Remote(remote.clone())),
        }
    }
}

/// The error for a remote location in an adapter built without its client: names the feature
/// of `adapter` (`"iterable-tokio"`) that brings it.
pub fn remote_unsupported(location: &Location, adapter: &str) -> Error {
    let (feature, scheme) = match location {
        Location::S3 { .. } => ("s3", "s3://"),
        Location::Gcs { .. } => ("gcs", "gs://"),
        Location::Azure { .. } => ("azure", "az://"),
        Location::Database { url, .. } => match iterable_sources::database::System::of(url) {
            Some(system) => return system.unsupported(url, adapter),
            None => return location.unsupported("not a database URL"),
        },
        _ => ("http", "http(s)://"),
    };
    location.unsupported(&format!(
        "{scheme} locations need the \"{feature}\" feature of {adapter}"
    ))
}

/// A local file once opened and probed.
// The stream is the common case, and it is moved once: boxing it would cost more.
#[allow(clippy::large_enum_variant)]
pub enum OpenedFile {
    /// A stream: the file, positioned after its head, and the reader's state.
    Stream(std::fs::File, ReadState),
    /// A format read by ranges: from the file itself, or from a copy of its decompressed
    /// bytes.
    Ranged(Box<crate::Ranged>),
}

/// Opens a local file and probes it (blocking): its head read, its codec and format found;
/// errors name the file and the state knows its size. A compressed file (or a pipe) in a
/// format read by ranges is copied (decompressed) into a temporary file here.
pub fn open_file(path: PathBuf, options: &ReadOptions, location: &str) -> Result<OpenedFile> {
    use std::io::Read;
    let locate = |e: std::io::Error| Error::io(e).with_location(location);
    let mut file = std::fs::File::open(&path).map_err(locate)?;
    let metadata = file.metadata().map_err(locate)?;
    // A FIFO, `/dev/stdin` or a process substitution has no size and cannot be read at
    // offsets: read by ranges, it is copied first.
    let regular = metadata.is_file();
    let size = regular.then_some(metadata.len());
    let name = path.file_name().and_then(|n| n.to_str());
    let located = Some(location.to_owned());
    let mut ranged = match Probe::blocking(&mut file, options, name, located, size)? {
        Probed::Stream(state) => return Ok(OpenedFile::Stream(file, state)),
        Probed::Ranges(probe) if probe.as_is && regular => crate::Ranged::file(probe, file)?,
        Probed::Ranges(probe) => crate::Ranged::spool_blocking(probe, |buf| file.read(buf))?,
    };
    // The files beside it that its format reads too (a DBF table's memo file).
    ranged.state.read_companions(&path)?;
    Ok(OpenedFile::Ranged(Box::new(ranged)))
}

/// How much of a remote object named `name` to fetch on opening it: only its description
/// ([`iterable_sources::Fetch::Description`]: size and version, by `HEAD`) when the name or `options` already
/// say it is read by ranges as it is (Parquet, no codec), so that no byte is streamed only to
/// be dropped; its body otherwise. Asked again with the name the description gives (its
/// `Content-Encoding` may add a codec): when the answer changes, the body is needed.
///
/// ```
/// use iterable_adapter::remote_fetch;
/// use iterable_sources::Fetch;
/// let options = Default::default();
/// assert_eq!(remote_fetch(Some("big.csv"), &options), Fetch::Body);
/// # #[cfg(feature = "parquet")]
/// assert_eq!(remote_fetch(Some("big.parquet"), &options), Fetch::Description);
/// # #[cfg(feature = "parquet")]
/// assert_eq!(remote_fetch(Some("big.parquet.gz"), &options), Fetch::Body);
/// ```
pub fn remote_fetch(name: Option<&str>, options: &ReadOptions) -> iterable_sources::Fetch {
    use iterable_formats::{Prepared, prepare_input};
    // With no bytes at all, only the name and the options can tell.
    match prepare_input(options, name, Default::default(), true) {
        Ok(Prepared::Ready(ready)) if ready.decoder.is_none() && ready.decompression.is_none() => {
            iterable_sources::Fetch::Description
        }
        _ => iterable_sources::Fetch::Body,
    }
}

/// The location a reader reads and the options its decoder takes: a database location
/// (`postgres://`, `mysql://`) takes the reader's format options (`-o table=people`) as its own, and its
/// rows come as the binary COPY format; any other location reads with `options` as they are.
pub fn reading(location: Location, options: &ReadOptions) -> (Location, ReadOptions) {
    match location {
        Location::Database { url, .. } => {
            let taken = options.options.iter();
            let taken = taken.map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            let options = ReadOptions {
                format: Format::from_name("pgcopy"),
                options: FormatOptions::default(),
                compression: iterable_formats::compression::Compression::None,
                ..options.clone()
            };
            let location = Location::Database {
                url,
                options: taken,
            };
            (location, options)
        }
        other => (other, options.clone()),
    }
}

/// The location a writer writes and the options its encoder takes: a database location takes
/// the writer's format options (`-O table=people -O mode=append`) as its own, but those of the
/// binary COPY format it is written in (`infer_rows`); any other location writes with `options`
/// as they are.
pub fn writing(location: Location, options: &WriteOptions) -> (Location, WriteOptions) {
    match location {
        Location::Database { url, .. } => {
            let format = Format::from_name("pgcopy");
            let encoder_keys: Vec<&str> = format
                .map(|f| f.write_options().iter().map(|o| o.key).collect())
                .unwrap_or_default();
            let mut kept = FormatOptions::default();
            let mut taken = Vec::new();
            for (key, value) in options.options.iter() {
                if encoder_keys.contains(&key) {
                    kept.set(key, value);
                } else {
                    taken.push((key.to_owned(), value.to_owned()));
                }
            }
            let options = WriteOptions {
                format,
                options: kept,
                compression: iterable_formats::compression::Compression::None,
                ..options.clone()
            };
            let location = Location::Database {
                url,
                options: taken,
            };
            (location, options)
        }
        other => (other, options.clone()),
    }
}
