//! `Reader`: records from a file, stdin or any `std::io::Read`.

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
/// The reader decodes on the calling thread from reads of 128 KiB; there is no runtime and no
/// thread. After a fatal error it returns no more records; after a recoverable one (a bad row)
/// the next call goes on, or, with [`iterable_core::ErrorPolicy::Skip`] or `Collect`, bad
/// records never surface as errors at all.
pub struct Reader<R = Box<dyn Read + Send>> {
    input: R,
    state: ReadState,
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
        Ok(Reader { input, state })
    }

    /// The next record, or `None` at the end.
    pub fn read(&mut self) -> Result<Option<Record>> {
        let input = &mut self.input;
        self.state.read_record(|buf| input.read(buf))
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
        self.state.detection()
    }

    /// Records returned so far.
    pub fn records_read(&self) -> u64 {
        self.state.records_read()
    }

    /// The input's size in bytes, when known (a local file).
    pub fn size(&self) -> Option<u64> {
        self.state.size()
    }

    /// Bytes read from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.state.bytes_read()
    }

    /// Bad records skipped under the `Skip` and `Collect` error policies.
    pub fn skipped(&self) -> u64 {
        self.state.skipped()
    }

    /// Errors of the records skipped under the `Collect` policy, with their positions.
    pub fn errors(&self) -> &[Error] {
        self.state.errors()
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read().transpose()
    }
}
