//! `Reader`: records from a file, stdin or any `std::io::Read`.

use iterable_adapter::{
    Decoding, OpenedFile, Probe, Probed, Ranged, ReadState, ReadStats, Source, open_file,
};
use iterable_core::{Error, Record, Result};
use iterable_formats::{Detection, ReadOptions};
use iterable_sources::Location;
use std::io::Read;

/// Opens a location (a path, or `-` for stdin) and detects its format: from the file name,
/// else from the first bytes.
///
/// ```no_run
/// for record in iterable_sync::open("data/sample.csv")? {
///     println!("{:?}", record?);
/// }
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn open(location: &str) -> Result<Reader> {
    open_with(location, &ReadOptions::default())
}

/// Opens a location with options: format, CSV dialect, record size limit, error policy.
pub fn open_with(location: &str, options: &ReadOptions) -> Result<Reader> {
    open_on(location, options, true)
}

/// [`open_with`], choosing whether a large input may be parsed ahead on a second thread (not
/// for callers that keep every core busy already).
pub(crate) fn open_on(location: &str, options: &ReadOptions, parse_ahead: bool) -> Result<Reader> {
    let parsed = Location::parse(location)?;
    // A database's rows come from a runtime that reads the connection (a thread of its own
    // for MySQL, the reading thread for PostgreSQL): parsing them on one more thread measured
    // slower than not (a million PostgreSQL rows: 0.83 s against 0.63 s on a busy machine).
    let parse_ahead = parse_ahead && !matches!(parsed, Location::Database { .. });
    let (input, state): (Box<dyn Read + Send>, ReadState) = match Source::of(&parsed) {
        Source::File(path) => match open_file(path, options, location)? {
            OpenedFile::Stream(file, state) => (Box::new(file), state),
            OpenedFile::Ranged(ranged) => return Ok(Reader::ranged(ranged)),
        },
        Source::Stdin => {
            let mut stdin = std::io::stdin();
            let located = Some(location.to_owned());
            match Probe::blocking(&mut stdin, options, None, located, None)? {
                Probed::Stream(state) => (Box::new(stdin), state),
                Probed::Ranges(probe) => {
                    let ranged = Ranged::spool_blocking(probe, |buf| stdin.read(buf))?;
                    return Ok(Reader::ranged(Box::new(ranged)));
                }
            }
        }
        Source::Remote(remote) => {
            let (remote, options) = &iterable_adapter::reading(remote, options);
            let fetch = iterable_adapter::remote_fetch(remote.file_name(), options);
            let mut body = crate::remote::open_remote(remote, fetch)?;
            // Described, and the description's name (its encoding) says the bytes are needed.
            if fetch == iterable_sources::Fetch::Description
                && iterable_adapter::remote_fetch(body.name.as_deref(), options)
                    == iterable_sources::Fetch::Body
            {
                body = crate::remote::open_remote(remote, iterable_sources::Fetch::Body)?;
            }
            let (name, location) = (body.name.as_deref(), Some(remote.to_string()));
            match Probe::blocking(&mut body.read, options, name, location, body.size)? {
                Probed::Stream(state) => (body.read, state),
                // Read where it is: the open fetched only a description (or a body, now dropped).
                Probed::Ranges(probe)
                    if probe.as_is && probe.size().is_some() && body.serves_ranges =>
                {
                    let ranged = Ranged::remote(probe, remote.clone(), body.etag)?;
                    return Ok(Reader::ranged(Box::new(ranged)));
                }
                Probed::Ranges(probe) => {
                    let ranged = Ranged::spool_blocking(probe, |buf| body.read.read(buf))?;
                    return Ok(Reader::ranged(Box::new(ranged)));
                }
            }
        }
    };
    let decoding = if parse_ahead {
        Decoding::start(input, state, Ok)?
    } else {
        Decoding::Inline { input, state }
    };
    Ok(Reader { decoding })
}

/// Reads records from any `Read`. Without a format in `options`, it is detected from the
/// first bytes, which are kept for decoding.
///
/// ```
/// let input = &b"{\"id\":1}\n{\"id\":2}\n"[..];
/// let reader = iterable_sync::from_reader(input, &Default::default())?;
/// assert_eq!(reader.count(), 2);
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn from_reader<R: Read>(mut input: R, options: &ReadOptions) -> Result<Reader<R>> {
    let decoding = match Probe::blocking(&mut input, options, None, None, None)? {
        Probed::Stream(state) => Decoding::Inline { input, state },
        Probed::Ranges(probe) => {
            Decoding::Ranged(Box::new(Ranged::spool_blocking(probe, |buf| {
                input.read(buf)
            })?))
        }
    };
    Ok(Reader { decoding })
}

/// Records read from `R`, one at a time ([`Reader::read`]), in batches
/// ([`Reader::read_bulk`]), or as an `Iterator`.
///
/// Every reader reads in chunks of 128 KiB and needs no runtime. After a fatal error it
/// returns no more records; after a recoverable one (a bad row) the next call goes on, or,
/// with [`iterable_core::ErrorPolicy::Skip`] or `Collect`, bad records never surface as errors
/// at all.
///
/// A reader from [`open`] or [`open_with`] reads ahead when the machine has more than one core
/// and the input is not known to be small (under 1 MiB) nor a database's rows: a second thread reads the input and
/// parses records into batches ([`iterable_core::ParsedBatch`]), and the calling thread builds
/// them, so that each record is allocated and freed on the thread that uses it. The records
/// and errors are the same either way, and so are the counts once the input is read (on the
/// way, [`Reader::stats`] and [`Reader::errors`] run up to a few batches ahead of the records
/// returned). The thread ends with the input, or once the reader is dropped and its next batch
/// is ready: a thread waiting on a read that does not return (a terminal, a stalled
/// connection) waits on. When no thread can be started, the reader decodes on the calling
/// thread. A reader from [`from_reader`], and the readers of [`crate::convert_many`] with more
/// than one job, always decode on the calling thread.
///
/// A format read by ranges (Parquet) is read where it is, by positioned reads of a file or
/// `Range` requests to a remote object (only the footer and the chunks of the columns read);
/// an input that cannot be (stdin, compressed, a reader from [`from_reader`]) is copied to a
/// temporary file first, deleted with the reader.
pub struct Reader<R = Box<dyn Read + Send>> {
    decoding: Decoding<R>,
}

impl<R> Reader<R> {
    fn ranged(ranged: Box<Ranged>) -> Reader<R> {
        Reader {
            decoding: Decoding::Ranged(ranged),
        }
    }
}

impl<R: Read> Reader<R> {
    /// The next record, or `None` at the end.
    pub fn read(&mut self) -> Result<Option<Record>> {
        match &mut self.decoding {
            Decoding::Inline { input, state } => state.read_record(|buf| input.read(buf)),
            Decoding::Ahead(ahead) => ahead.read_blocking(),
            Decoding::Ranged(ranged) => ranged.read_blocking(crate::remote::read_ranges),
        }
    }

    /// Up to `n` records; fewer only at the end of the input.
    pub fn read_bulk(&mut self, n: usize) -> Result<Vec<Record>> {
        let mut records = Vec::with_capacity(n.min(4096));
        while records.len() < n {
            match self.read()? {
                Some(record) => records.push(record),
                None => break,
            }
        }
        Ok(records)
    }

    /// What the reader has done so far: records, bytes, the input's size, skipped records.
    pub fn stats(&self) -> ReadStats {
        self.decoding.stats()
    }

    /// How the codec and the format were found, and which (with the format's options in
    /// force: CSV's delimiter).
    pub fn detection(&self) -> &Detection {
        self.decoding.detection()
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        self.decoding.errors()
    }

    /// The records' schema, for a typed format (Parquet, Arrow IPC) once it is known (after the first
    /// read); `None` for formats without one.
    pub fn schema(&self) -> Option<&iterable_core::Schema> {
        self.decoding.schema()
    }

    /// The input's tables (a workbook's sheets, in order) once known (after the first read);
    /// `None` for a format without.
    pub fn tables(&self) -> Option<&[String]> {
        self.decoding.tables()
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read().transpose()
    }
}
