//! The writer's state, with no I/O: the encoder and the bytes not written yet; the adapters
//! write them out through their own write calls.

use crate::locate;
use iterable_core::{EncodeBuffer, Encoder, Error, ErrorKind, Record, Result};
use iterable_formats::{Format, WriteOptions};
use std::task::{Context, Poll, ready};

/// A writer's state: the encoder and the bytes not written yet, labelled with the location.
pub struct WriteState {
    out: EncodeBuffer<Box<dyn Encoder + Send>>,
    format: Format,
    location: Option<String>,
}

impl WriteState {
    /// The state for writing with `options`, whose format must be set (see
    /// [`WriteOptions::for_target`]).
    pub fn new(options: &WriteOptions) -> Result<WriteState> {
        let options = options.for_target(None)?;
        let format = options.format.ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownFormat,
                "no format to write: name one in the options",
            )
        })?;
        let mut out = EncodeBuffer::new(format.encoder(&options.options)?);
        if let iterable_formats::compression::Compression::Use(codec) = options.compression {
            let member = options.zip_member.as_deref().unwrap_or("data");
            out = out.with_compression(codec.compressor(options.compression_level, member)?);
        }
        Ok(WriteState {
            out,
            format,
            location: None,
        })
    }

    /// Names the output in errors.
    pub fn at(mut self, location: Option<String>) -> WriteState {
        self.location = location;
        self
    }

    /// Tells a typed format (Parquet) the schema of the records to come, before the first.
    pub fn set_schema(&mut self, schema: &iterable_core::Schema) -> Result<()> {
        self.out
            .set_schema(schema)
            .map_err(|e| locate(&self.location, e))
    }

    /// True when the format adds to an output that exists ([`Format::amends`]): a writer
    /// then gives it the target as it is ([`WriteState::amend_file`]), and refuses targets
    /// it cannot read back (remote objects).
    pub fn amends(&self) -> bool {
        self.format.amends()
    }

    /// For a format that amends its output, reads the file at `path` when there is one and
    /// gives it to the encoder ([`iterable_core::Encoder::amend`]); nothing for other
    /// formats or a missing or empty file. Blocking: async adapters call it on their
    /// blocking pool.
    pub fn amend_file(&mut self, path: &std::path::Path) -> Result<()> {
        if !self.amends() {
            return Ok(());
        }
        let existing = match crate::ranged::read_whole(path) {
            Ok(existing) => existing,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.locate(Error::io(e))),
        };
        if existing.is_empty() {
            return Ok(());
        }
        if self.out.is_compressed() {
            return Err(self.locate(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "{} adds to the file there, which cannot be done through compression: \
                     write it uncompressed, or to a new file",
                    self.format
                ),
            )));
        }
        self.out
            .amend(existing.into())
            .map_err(|e| locate(&self.location, e))
    }

    /// The error for a target that a format which amends its output cannot read back.
    pub fn cannot_amend_remote(&self) -> Error {
        self.locate(Error::new(
            ErrorKind::Unsupported,
            format!(
                "{} adds to the output there, and is written to local files and stdout only",
                self.format
            ),
        ))
    }

    /// Encodes one record; on error nothing of it is kept.
    pub fn encode(&mut self, record: &Record) -> Result<()> {
        self.out
            .encode(record)
            .map_err(|e| locate(&self.location, e))
    }

    /// Encodes what ends the output.
    pub fn finish(&mut self) -> Result<()> {
        self.out.finish().map_err(|e| locate(&self.location, e))
    }

    /// True once enough bytes gathered to be worth a write.
    pub fn is_full(&self) -> bool {
        self.out.is_full()
    }

    /// Writes out the pending bytes through a blocking `write_all`.
    pub fn write_pending(
        &mut self,
        write_all: impl FnOnce(&[u8]) -> std::io::Result<()>,
    ) -> Result<()> {
        write_all(self.out.pending()).map_err(|e| self.locate(Error::io(e)))?;
        let n = self.out.pending().len();
        self.out.consume(n);
        Ok(())
    }

    /// Writes out the pending bytes through an async `poll_write`.
    pub fn poll_write_pending(
        &mut self,
        cx: &mut Context<'_>,
        mut poll_write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<std::io::Result<usize>>,
    ) -> Poll<Result<()>> {
        while !self.out.pending().is_empty() {
            match ready!(poll_write(cx, self.out.pending())) {
                Ok(0) => {
                    return Poll::Ready(Err(
                        self.locate(Error::io(std::io::ErrorKind::WriteZero.into()))
                    ));
                }
                Ok(n) => self.out.consume(n),
                Err(e) => return Poll::Ready(Err(self.locate(Error::io(e)))),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.out.records()
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Adds the location to an error.
    pub fn locate(&self, error: Error) -> Error {
        locate(&self.location, error)
    }
}
