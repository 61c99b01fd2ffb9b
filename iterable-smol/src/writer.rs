//! `Writer`: records to a file (atomically), stdout, or any futures-io `AsyncWrite`; also a
//! `Sink`.

use futures_io::AsyncWrite;
use futures_sink::Sink;
use iterable_core::{Error, Record, Result};
use iterable_formats::adapter::WriteState;
use iterable_formats::{Format, WriteOptions};
use iterable_sources::{AtomicFile, Location};
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The output of a writer made by [`create`].
pub type DynWrite = Pin<Box<dyn AsyncWrite + Send>>;

/// Creates a location for writing, in the format its name says.
///
/// A file is written atomically: bytes go to a temporary file beside it, which
/// [`Writer::finish`] (or closing the `Sink`) renames over the target. An error, or a writer
/// dropped without `finish`, leaves an existing target as it was and no temporary file
/// behind. `-` writes to stdout (then the format must be given, see [`create_with`]).
///
/// ```
/// # smol::block_on(async {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("out.jsonl");
/// # let path = path.to_str().unwrap();
/// let mut writer = iterable_smol::create(path).await?;
/// writer.write(&[("id", 1)].into_iter().collect()).await?;
/// writer.finish().await?;
/// assert_eq!(std::fs::read_to_string(path)?, "{\"id\":1}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
pub async fn create(location: &str) -> Result<Writer> {
    create_with(location, &WriteOptions::default()).await
}

/// Creates a location for writing with options: format, CSV dialect.
pub async fn create_with(location: &str, options: &WriteOptions) -> Result<Writer> {
    let parsed = Location::parse(location)?;
    let locate = |e: Error| e.with_location(location);
    let options = options.for_target(parsed.file_name()).map_err(locate)?;
    match parsed {
        Location::Http(_) => Err(parsed.unsupported("writing over HTTP is not supported")),
        #[cfg(feature = "s3")]
        Location::S3 { .. } => {
            // The upload runs on async-compat's tokio runtime; each poll enters its context.
            let owned = parsed.clone();
            let create = async move { Box::pin(iterable_sources::remote::create(&owned)).await };
            let upload = crate::bridge::on_tokio(create).await??;
            Ok(Writer {
                output: Box::pin(async_compat::Compat::new(upload)) as DynWrite,
                state: WriteState::new(&options)?.at(Some(location.to_owned())),
                commit: Commit::None,
            })
        }
        #[cfg(not(feature = "s3"))]
        Location::S3 { .. } => {
            Err(parsed.unsupported("writing to S3 needs the \"s3\" feature of iterable-smol"))
        }
        Location::Stdio => to_writer(
            Box::pin(blocking::Unblock::new(std::io::stdout())) as DynWrite,
            &options,
        ),
        Location::Path(path) => {
            let (file, atomic) = blocking::unblock(move || AtomicFile::create(&path))
                .await
                .map_err(|e| locate(Error::io(e)))?;
            Ok(Writer {
                output: Box::pin(async_fs::File::from(file)) as DynWrite,
                state: WriteState::new(&options)?.at(Some(location.to_owned())),
                commit: Commit::Pending(atomic),
            })
        }
    }
}

/// Writes records to any futures-io `AsyncWrite`, in the format the options name.
pub fn to_writer<W: AsyncWrite + Unpin>(output: W, options: &WriteOptions) -> Result<Writer<W>> {
    Ok(Writer {
        output,
        state: WriteState::new(options)?,
        commit: Commit::None,
    })
}

/// What is left to do for an atomic file after its bytes are written.
enum Commit {
    /// Not a file, or committed.
    None,
    /// The temporary file is to be renamed over the target.
    Pending(AtomicFile),
    /// Syncing and renaming on the blocking pool.
    Running(blocking::Task<std::io::Result<()>>),
}

/// Writes records: [`Writer::write`], [`Writer::write_bulk`], then [`Writer::finish`]; or use it
/// as a `Sink<Record>` (`reader.forward(writer)`), whose close finishes it.
pub struct Writer<W = DynWrite> {
    output: W,
    state: WriteState,
    commit: Commit,
}

impl<W: AsyncWrite + Unpin> Writer<W> {
    /// Writes one record. A record that cannot be written as asked (a field the CSV header
    /// lacks) is an error and nothing of it is written.
    pub async fn write(&mut self, record: &Record) -> Result<()> {
        self.state.encode(record)?;
        if self.state.is_full() {
            std::future::poll_fn(|cx| self.poll_write_pending(cx)).await?;
        }
        Ok(())
    }

    /// Writes records in order; stops at the first that fails.
    pub async fn write_bulk<'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> Result<()> {
        for record in records {
            self.write(record).await?;
        }
        Ok(())
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.state.records_written()
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.state.format()
    }

    /// Writes what is left, flushes and closes the output, and for a file renames the
    /// temporary file over the target. Returns the output.
    pub async fn finish(mut self) -> Result<W> {
        std::future::poll_fn(|cx| self.poll_finish(cx)).await?;
        Ok(self.output)
    }

    fn poll_write_pending(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let output = &mut self.output;
        self.state
            .poll_write_pending(cx, |cx, bytes| Pin::new(&mut *output).poll_write(cx, bytes))
    }

    fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        ready!(self.poll_write_pending(cx))?;
        Pin::new(&mut self.output)
            .poll_flush(cx)
            .map_err(|e| self.state.locate(Error::io(e)))
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.state.finish()?;
        ready!(self.poll_flush_all(cx))?;
        ready!(Pin::new(&mut self.output).poll_close(cx))
            .map_err(|e| self.state.locate(Error::io(e)))?;
        loop {
            match std::mem::replace(&mut self.commit, Commit::None) {
                Commit::None => return Poll::Ready(Ok(())),
                Commit::Pending(atomic) => {
                    self.commit = Commit::Running(blocking::unblock(move || atomic.commit()));
                }
                Commit::Running(mut running) => match Pin::new(&mut running).poll(cx) {
                    Poll::Pending => {
                        self.commit = Commit::Running(running);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(())) => return Poll::Ready(Ok(())),
                    Poll::Ready(Err(e)) => {
                        return Poll::Ready(Err(self.state.locate(Error::io(e))));
                    }
                },
            }
        }
    }
}

impl<W: AsyncWrite + Unpin> Sink<Record> for Writer<W> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.state.is_full() {
            this.poll_write_pending(cx)
        } else {
            Poll::Ready(Ok(()))
        }
    }

    fn start_send(self: Pin<&mut Self>, record: Record) -> Result<()> {
        self.get_mut().state.encode(&record)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flush_all(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_finish(cx)
    }
}

impl<W: AsyncWrite + Unpin> iterable_formats::adapter::AsyncRecordWriter for Writer<W> {
    fn write_record(&mut self, record: &Record) -> impl std::future::Future<Output = Result<()>> {
        self.write(record)
    }

    async fn finish_writing(self) -> Result<()> {
        self.finish().await.map(drop)
    }

    fn records_written(&self) -> u64 {
        self.state.records_written()
    }
}
