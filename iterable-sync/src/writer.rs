//! `Writer`: records to a file (atomically), stdout, or any `std::io::Write`.

use iterable_adapter::{Target, WriteState};
use iterable_core::{Error, Record, Result};
use iterable_formats::{Format, WriteOptions};
use iterable_sources::{AtomicFile, Location};
use std::io::Write;

/// Creates a location for writing, in the format its name says (`out.csv`, `out.jsonl`).
///
/// A file is written atomically: bytes go to a temporary file beside it, which
/// [`Writer::finish`] renames over the target. An error, or a writer dropped without
/// `finish`, leaves an existing target as it was and no temporary file behind. `-` writes to
/// stdout (then the format must be given, see [`create_with`]). An `s3://bucket/key` object
/// (feature `s3`) is written by multipart upload as records come and appears when `finish`
/// completes it; an error or a drop aborts it and leaves no object.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("out.jsonl");
/// # let path = path.to_str().unwrap();
/// let mut writer = iterable_sync::create(path)?;
/// let record: iterable_core::Record = [("id", 1)].into_iter().collect();
/// writer.write(&record)?;
/// writer.finish()?;
/// assert_eq!(std::fs::read_to_string(path)?, "{\"id\":1}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create(location: &str) -> Result<Writer> {
    create_with(location, &WriteOptions::default())
}

/// Creates a location for writing with options: format, CSV dialect.
pub fn create_with(location: &str, options: &WriteOptions) -> Result<Writer> {
    let (parsed, options) = iterable_adapter::writing(Location::parse(location)?, options);
    // As errors show it: a database URL without its password.
    let location = &parsed.to_string();
    let locate = |e: Error| e.with_location(location);
    let options = options.for_target(parsed.file_name()).map_err(locate)?;
    let mut state = WriteState::new(&options)
        .map_err(locate)?
        .at(Some(location.to_owned()));
    let (output, commit): (Box<dyn Write + Send>, _) = match Target::of(&parsed)? {
        Target::Remote(_) if state.amends() => return Err(state.cannot_amend_remote()),
        #[cfg(feature = "uploads")]
        Target::Remote(remote) => {
            let (output, commit) = crate::remote::create(&remote)?;
            (Box::new(output), Commit::Remote(commit))
        }
        #[cfg(not(feature = "uploads"))]
        Target::Remote(remote) => {
            return Err(iterable_adapter::remote_unsupported(
                &remote,
                "iterable-sync",
            ));
        }
        Target::Stdout => (Box::new(std::io::stdout()), Commit::None),
        Target::File(path) => {
            state.amend_file(&path)?;
            let (file, atomic) = AtomicFile::create(&path).map_err(|e| locate(Error::io(e)))?;
            (Box::new(file), Commit::File(atomic))
        }
    };
    Ok(Writer {
        output,
        state,
        commit,
    })
}

/// Writes records to any `Write`, in the format the options name.
///
/// ```
/// use iterable_formats::{Format, WriteOptions};
/// let options = WriteOptions { format: Some(Format::CSV), ..Default::default() };
/// let mut writer = iterable_sync::to_writer(Vec::new(), &options)?;
/// writer.write(&[("a", "x,y")].into_iter().collect())?;
/// assert_eq!(writer.finish()?, b"a\n\"x,y\"\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn to_writer<W: Write>(output: W, options: &WriteOptions) -> Result<Writer<W>> {
    Ok(Writer {
        output,
        state: WriteState::new(options)?,
        commit: Commit::None,
    })
}

/// Writes records: [`Writer::write`], [`Writer::write_bulk`], then [`Writer::finish`].
pub struct Writer<W: Write = Box<dyn Write + Send>> {
    output: W,
    state: WriteState,
    commit: Commit,
}

/// What makes the written bytes appear at the target, after the last is written.
enum Commit {
    /// Nothing: a stream or a caller's `Write`.
    None,
    /// Renaming the temporary file over the target.
    File(AtomicFile),
    /// Completing the upload.
    #[cfg(feature = "uploads")]
    Remote(crate::remote::RemoteCommit),
}

impl<W: Write> Writer<W> {
    /// Writes one record. A record that cannot be written as asked (a field the CSV header
    /// lacks) is an error and nothing of it is written.
    pub fn write(&mut self, record: &Record) -> Result<()> {
        self.state.encode(record)?;
        if self.state.is_full() {
            let output = &mut self.output;
            self.state.write_pending(|bytes| output.write_all(bytes))?;
        }
        Ok(())
    }

    /// Writes records in order; stops at the first that fails.
    pub fn write_bulk<'a>(&mut self, records: impl IntoIterator<Item = &'a Record>) -> Result<()> {
        records
            .into_iter()
            .try_for_each(|record| self.write(record))
    }

    /// Tells a typed format (Parquet) the schema of the records to come, before the first
    /// (`convert` passes a typed source's on); without it, a typed format infers one from
    /// the first records. Formats without types ignore it.
    pub fn set_schema(&mut self, schema: &iterable_core::Schema) -> Result<()> {
        self.state.set_schema(schema)
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.state.records_written()
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.state.format()
    }

    /// Writes what is left, flushes, and for a file renames the temporary file over the
    /// target (for an S3 object, completes the upload). Returns the output.
    pub fn finish(mut self) -> Result<W> {
        self.state.finish()?;
        let output = &mut self.output;
        self.state.write_pending(|bytes| {
            output.write_all(bytes)?;
            output.flush()
        })?;
        let committed = match std::mem::replace(&mut self.commit, Commit::None) {
            Commit::None => Ok(()),
            Commit::File(atomic) => atomic.commit(),
            #[cfg(feature = "uploads")]
            Commit::Remote(upload) => upload.complete(),
        };
        committed.map_err(|e| self.state.locate(Error::io(e)))?;
        Ok(self.output)
    }
}
