//! `Writer`: records to a file (atomically), stdout, or any `std::io::Write`.

use bytes::BytesMut;
use iterable_core::{Encoder, Error, ErrorKind, Record, Result};
use iterable_formats::{Format, FormatEncoder, WriteOptions, detect_from_name};
use iterable_sources::Location;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Encoded bytes are handed to the output in pieces of about this size.
const WRITE_SIZE: usize = 128 * 1024;

/// Creates a location for writing, in the format its name says (`out.csv`, `out.jsonl`).
///
/// A file is written atomically: bytes go to a temporary file beside it, which
/// [`Writer::finish`] renames over the target. An error, or a writer dropped without
/// `finish`, leaves an existing target as it was and no temporary file behind. `-` writes to
/// stdout (then the format must be given, see [`create_with`]).
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
    let parsed = Location::parse(location)?;
    let locate = |e: Error| e.with_location(location);
    let options = match (
        options.format,
        parsed.file_name().and_then(detect_from_name),
    ) {
        (_, Some(detection)) => options.resolve(detection.choice),
        (Some(_), None) => options.clone(),
        (None, None) => {
            return Err(locate(Error::new(
                ErrorKind::UnknownFormat,
                "cannot tell which format to write from the name; name one in the options",
            )));
        }
    };
    match parsed {
        Location::Stdio => Ok(to_writer(
            Box::new(std::io::stdout()) as Box<dyn Write + Send>,
            &options,
        )?),
        Location::Path(path) => {
            let (file, atomic) = AtomicTarget::create(&path).map_err(|e| locate(Error::io(e)))?;
            let mut writer = to_writer(Box::new(file) as Box<dyn Write + Send>, &options)?;
            writer.atomic = Some(atomic);
            writer.location = Some(location.to_owned());
            Ok(writer)
        }
    }
}

/// Writes records to any `Write`, in the format the options name.
///
/// ```
/// use iterable_formats::{Format, WriteOptions};
/// let options = WriteOptions { format: Some(Format::Csv), ..Default::default() };
/// let mut writer = iterable_sync::to_writer(Vec::new(), &options)?;
/// writer.write(&[("a", "x,y")].into_iter().collect())?;
/// assert_eq!(writer.finish()?, b"a\n\"x,y\"\n");
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn to_writer<W: Write>(output: W, options: &WriteOptions) -> Result<Writer<W>> {
    let format = options.format.ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownFormat,
            "no format given for writing; name one in the options",
        )
    })?;
    Ok(Writer {
        output,
        encoder: FormatEncoder::new(format, options),
        format,
        buf: BytesMut::with_capacity(WRITE_SIZE + 4096),
        atomic: None,
        location: None,
        records: 0,
    })
}

/// Writes records: [`Writer::write`], [`Writer::write_bulk`], then [`Writer::finish`].
pub struct Writer<W: Write = Box<dyn Write + Send>> {
    output: W,
    encoder: FormatEncoder,
    format: Format,
    buf: BytesMut,
    atomic: Option<AtomicTarget>,
    location: Option<String>,
    records: u64,
}

impl<W: Write> Writer<W> {
    /// Writes one record. A record that cannot be written as asked (a field the CSV header
    /// lacks) is an error and nothing of it is written.
    pub fn write(&mut self, record: &Record) -> Result<()> {
        let start = self.buf.len();
        if let Err(error) = self.encoder.encode(record, &mut self.buf) {
            self.buf.truncate(start);
            return Err(self.locate(error));
        }
        self.records += 1;
        if self.buf.len() >= WRITE_SIZE {
            self.flush_buf()?;
        }
        Ok(())
    }

    /// Writes records in order; stops at the first that fails.
    pub fn write_bulk<'a>(&mut self, records: impl IntoIterator<Item = &'a Record>) -> Result<()> {
        records
            .into_iter()
            .try_for_each(|record| self.write(record))
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes what is left, flushes, and for a file renames the temporary file over the
    /// target. Returns the output.
    pub fn finish(mut self) -> Result<W> {
        self.encoder
            .finish(&mut self.buf)
            .map_err(|e| self.locate(e))?;
        self.flush_buf()?;
        self.output.flush().map_err(|e| self.locate(Error::io(e)))?;
        if let Some(atomic) = self.atomic.take() {
            atomic.commit().map_err(|e| self.locate(Error::io(e)))?;
        }
        Ok(self.output)
    }

    fn flush_buf(&mut self) -> Result<()> {
        if let Err(e) = self.output.write_all(&self.buf) {
            return Err(self.locate(Error::io(e)));
        }
        self.buf.clear();
        Ok(())
    }

    fn locate(&self, error: Error) -> Error {
        match &self.location {
            Some(location) => error.with_location(location.clone()),
            None => error,
        }
    }
}

/// A temporary file beside the target; dropping it deletes the file.
struct AtomicTarget {
    temp: tempfile::TempPath,
    target: PathBuf,
    /// The temporary file's handle, to sync it before the rename.
    file: File,
}

impl AtomicTarget {
    fn create(target: &Path) -> std::io::Result<(File, AtomicTarget)> {
        let dir = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("output");
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // As a plain create would: 0666 less the umask, or the permissions of the file
            // being replaced.
            let mode = std::fs::metadata(target).map_or(0o666, |m| m.permissions().mode());
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let (file, temp) = builder.tempfile_in(dir)?.into_parts();
        let handle = file.try_clone()?;
        Ok((
            file,
            AtomicTarget {
                temp,
                target: target.to_owned(),
                file: handle,
            },
        ))
    }

    fn commit(self) -> std::io::Result<()> {
        self.file.sync_all()?;
        self.temp.persist(&self.target).map_err(|e| e.error)
    }
}
