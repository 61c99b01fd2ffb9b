//! The async `Writer`, on futures-io, for every runtime; also a `Sink`.

use crate::{DynWrite, Runtime, Target, ThreadWriter, WriteState};
use futures_io::AsyncWrite;
use futures_sink::Sink;
use iterable_core::{Error, Record, Result};
use iterable_formats::{Format, WriteOptions};
use iterable_sources::{AtomicFile, Location};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// What makes the written bytes appear at the target once they are all out: renaming the
/// temporary file of an atomic write, on the runtime's blocking threads. Lazy: dropped before
/// it is polled, it drops the temporary file, and the target stays as it was.
type Commit = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// Creates `location` for writing on `rt`, in the format the options give or its name says.
///
/// A file is written atomically: bytes go to a temporary file beside it, which
/// [`Writer::finish`] (or closing the `Sink`) renames over the target. An error, or a writer
/// dropped without `finish`, leaves an existing target as it was and no temporary file
/// behind. `-` writes to stdout (then the format must be given). Files and stdout are
/// written on a thread of their own ([`ThreadWriter`]). A remote object (`s3://`) appears
/// when `finish` completes it; an error or a drop leaves none.
pub async fn create_with<Rt: Runtime>(
    rt: &Rt,
    location: &str,
    options: &WriteOptions,
) -> Result<Writer> {
    let (parsed, options) = crate::writing(Location::parse(location)?, options);
    // As errors show it: a database URL without its password.
    let location = &parsed.to_string();
    let locate = |e: Error| e.with_location(location);
    let options = options.for_target(parsed.file_name()).map_err(locate)?;
    let mut state = WriteState::new(&options)
        .map_err(locate)?
        .at(Some(location.to_owned()));
    let on_thread = |output| -> Result<DynWrite> {
        Ok(Box::pin(
            ThreadWriter::start(output).map_err(|e| locate(Error::io(e)))?,
        ))
    };
    let (output, commit) = match Target::of(&parsed)? {
        Target::Remote(_) if state.amends() => return Err(state.cannot_amend_remote()),
        Target::Remote(remote) => (rt.create_remote(&remote).await?, None),
        Target::Stdout => (
            on_thread(Box::new(std::io::stdout()) as Box<dyn std::io::Write + Send>)?,
            None,
        ),
        Target::File(path) => {
            let (amended, file) = rt
                .unblock(move || {
                    let amended = state.amend_file(&path).map(|()| state);
                    (amended, AtomicFile::create(&path))
                })
                .await?;
            state = amended?;
            let (file, atomic) = file.map_err(|e| locate(Error::io(e)))?;
            let on = rt.clone();
            let commit: Commit = Box::pin(async move {
                on.unblock(move || atomic.commit())
                    .await?
                    .map_err(Error::io)
            });
            (on_thread(Box::new(file))?, Some(commit))
        }
    };
    Ok(Writer {
        output,
        state,
        commit,
        closed: false,
    })
}

/// Writes records to any futures-io `AsyncWrite`, in the format the options name.
///
/// ```
/// # futures_lite::future::block_on(async {
/// use iterable_formats::{Format, WriteOptions};
/// let options = WriteOptions { format: Some(Format::CSV), ..Default::default() };
/// let mut writer = iterable_adapter::to_writer(Vec::new(), &options)?;
/// writer.write(&[("a", "x,y")].into_iter().collect()).await?;
/// assert_eq!(writer.finish().await?, b"a\n\"x,y\"\n");
/// # Ok::<(), iterable_core::Error>(()) }).unwrap();
/// ```
pub fn to_writer<W: AsyncWrite + Unpin>(output: W, options: &WriteOptions) -> Result<Writer<W>> {
    Ok(Writer {
        output,
        state: WriteState::new(options)?,
        commit: None,
        closed: false,
    })
}

/// Writes records: [`Writer::write`], [`Writer::write_bulk`], then [`Writer::finish`]; or use it
/// as a `Sink<Record>` (`reader.forward(writer)`), whose close finishes it.
pub struct Writer<W = DynWrite> {
    output: W,
    state: WriteState,
    commit: Option<Commit>,
    /// The output is closed: only the commit is left.
    closed: bool,
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

    /// Writes what is left, flushes and closes the output, and for a file renames the
    /// temporary file over the target (for a remote object, completes it). Returns the
    /// output.
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

    /// Encodes what ends the output, writes what is left, closes the output (which flushes
    /// it), then commits: each step once, however often it is polled.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if !self.closed {
            self.state.finish()?;
            ready!(self.poll_write_pending(cx))?;
            ready!(Pin::new(&mut self.output).poll_close(cx))
                .map_err(|e| self.state.locate(Error::io(e)))?;
            self.closed = true;
        }
        if let Some(commit) = &mut self.commit {
            let committed = ready!(commit.as_mut().poll(cx));
            self.commit = None;
            committed.map_err(|e| self.state.locate(e))?;
        }
        Poll::Ready(Ok(()))
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
