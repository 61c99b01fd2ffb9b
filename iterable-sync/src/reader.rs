//! `Reader`: records from a file, stdin or any `std::io::Read`.

use crate::ahead::{AHEAD_MIN_SIZE, Ahead};
use iterable_core::{Error, Record, Result};
use iterable_formats::adapter::{Opening, ReadState};
use iterable_formats::{Detection, ReadOptions};
use iterable_sources::Location;
use std::fs::File;
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
    open_here(location, options).map(Reader::read_ahead)
}

/// [`open_with`] for a reader that decodes on the calling thread: for callers that already
/// keep every core busy with readers of their own.
pub(crate) fn open_here(location: &str, options: &ReadOptions) -> Result<Reader> {
    let parsed = Location::parse(location)?;
    let locate = |e: std::io::Error| Error::io(e).with_location(location);
    let (input, size): (Box<dyn Read + Send>, _) = match &parsed {
        Location::Path(path) => {
            let file = File::open(path).map_err(locate)?;
            let size = file.metadata().map_err(locate)?.len();
            (Box::new(file), Some(size))
        }
        Location::Stdio => (Box::new(std::io::stdin()), None),
        #[cfg(any(feature = "http", feature = "s3"))]
        Location::Http(_) | Location::S3 { .. } => {
            let remote = crate::remote::open_remote(&parsed)?;
            let location = Some(parsed.to_string());
            return Reader::new(
                remote.read,
                options,
                remote.name.as_deref(),
                location,
                remote.size,
            );
        }
        #[cfg(not(any(feature = "http", feature = "s3")))]
        Location::Http(_) | Location::S3 { .. } => {
            return Err(parsed.unsupported(
                "remote locations need the \"http\" or \"s3\" feature of iterable-sync",
            ));
        }
    };
    Reader::new(
        input,
        options,
        parsed.file_name(),
        Some(location.to_owned()),
        size,
    )
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
pub fn from_reader<R: Read>(input: R, options: &ReadOptions) -> Result<Reader<R>> {
    Reader::new(input, options, None, None, None)
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
/// and the input is not known to be small (under 1 MiB): a second thread reads the input and
/// parses records into batches ([`iterable_core::ParsedBatch`]), and the calling thread builds
/// them, so that each record is allocated and freed on the thread that uses it. The records
/// and errors are the same either way, and so are the counts once the input is read (on the
/// way, [`Reader::bytes_read`], [`Reader::skipped`] and [`Reader::errors`] run up to a few
/// batches ahead of the records returned). The thread ends with the input, or once the reader
/// is dropped and its next batch is ready: a thread waiting on a read that does not return
/// (a terminal, a stalled connection) waits on. When no thread can be started, the reader
/// decodes on the calling thread. A reader from [`from_reader`], one of an archive whose
/// records get their member's name, and the readers of [`crate::convert_many`] with more than
/// one job always decode on the calling thread.
pub struct Reader<R = Box<dyn Read + Send>> {
    decoding: Decoding<R>,
}

/// Where records are decoded.
// One per reader: its size does not matter, and boxing would add an indirection per record.
#[allow(clippy::large_enum_variant)]
enum Decoding<R> {
    /// On the calling thread.
    Here { input: R, state: ReadState },
    /// Parsed on a second thread, built on the calling one.
    Ahead(Ahead),
}

impl Reader {
    /// Moves the reading and parsing to a second thread when that pays (see [`Reader`]).
    fn read_ahead(self) -> Reader {
        let Decoding::Here { input, state } = self.decoding else {
            return self;
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let small = state.size().is_some_and(|size| size < AHEAD_MIN_SIZE);
        let decoding = if cores < 2 || small || !state.can_parse_ahead() {
            Decoding::Here { input, state }
        } else {
            match Ahead::start(input, state) {
                Ok(ahead) => Decoding::Ahead(ahead),
                // No thread to be had: decode here.
                Err(returned) => {
                    let (input, state) = *returned;
                    Decoding::Here { input, state }
                }
            }
        };
        Reader { decoding }
    }
}

impl<R: Read> Reader<R> {
    fn new(
        mut input: R,
        options: &ReadOptions,
        name: Option<&str>,
        location: Option<String>,
        size: Option<u64>,
    ) -> Result<Self> {
        let locate = |e: Error| match &location {
            Some(l) => e.with_location(l.clone()),
            None => e,
        };
        let mut opening = Opening::new(options, name);
        opening
            .read_head(|buf| input.read(buf))
            .map_err(|e| locate(Error::io(e)))?;
        let state = opening.finish().map_err(locate)?.at(location, size);
        Ok(Reader {
            decoding: Decoding::Here { input, state },
        })
    }

    /// The next record, or `None` at the end.
    pub fn read(&mut self) -> Result<Option<Record>> {
        match &mut self.decoding {
            Decoding::Here { input, state } => state.read_record(|buf| input.read(buf)),
            Decoding::Ahead(ahead) => ahead.read(),
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

    /// How the format was found, and which (with the delimiter once it is known).
    pub fn detection(&self) -> Detection {
        match &self.decoding {
            Decoding::Here { state, .. } => state.detection(),
            Decoding::Ahead(ahead) => ahead.detection(),
        }
    }

    /// Records returned so far.
    pub fn records_read(&self) -> u64 {
        match &self.decoding {
            Decoding::Here { state, .. } => state.records_read(),
            Decoding::Ahead(ahead) => ahead.records_read(),
        }
    }

    /// The input's size in bytes, when known (a local file).
    pub fn size(&self) -> Option<u64> {
        match &self.decoding {
            Decoding::Here { state, .. } => state.size(),
            Decoding::Ahead(ahead) => ahead.size(),
        }
    }

    /// Bytes read from the input so far (by a reader that reads ahead: up to a few batches of
    /// records past the ones returned).
    pub fn bytes_read(&self) -> u64 {
        match &self.decoding {
            Decoding::Here { state, .. } => state.bytes_read(),
            Decoding::Ahead(ahead) => ahead.bytes_read(),
        }
    }

    /// Bad records skipped under the `Skip` and `Collect` error policies.
    pub fn skipped(&self) -> u64 {
        match &self.decoding {
            Decoding::Here { state, .. } => state.skipped(),
            Decoding::Ahead(ahead) => ahead.skipped(),
        }
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        match &self.decoding {
            Decoding::Here { state, .. } => state.errors(),
            Decoding::Ahead(ahead) => ahead.errors(),
        }
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read().transpose()
    }
}
