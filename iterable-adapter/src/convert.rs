//! Conversions: their options and results, `convert_many`'s plan (shared by every adapter),
//! and the async `convert`, `convert_many` and `pipeline`.

use crate::reader::open_on;
use crate::{Runtime, create_with};
use futures_util::StreamExt;
use iterable_core::{
    Error, ErrorKind, ProgressFn, ProgressReporter, ProgressTotals, Record, Result,
};
use iterable_formats::{Format, ReadOptions, WriteOptions};
use iterable_sources::{Location, plan_outputs};
use std::ffi::OsStr;
use std::future::Future;

/// How to convert: reading and writing options, concurrency, progress. Used by `convert`,
/// `convert_many` and `pipeline` in every adapter.
#[derive(Clone, Default)]
pub struct ConvertOptions {
    /// How to read the sources.
    pub read: ReadOptions,
    /// How to write the targets.
    pub write: WriteOptions,
    /// How many inputs (`convert_many`) or records (`pipeline`) are worked on at once; 0 or 1
    /// means one at a time.
    pub jobs: usize,
    /// Called with the progress of each conversion, about every 100 ms and at the end.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ConvertOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvertOptions")
            .field("read", &self.read)
            .field("write", &self.write)
            .field("jobs", &self.jobs)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What a conversion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConvertStats {
    /// Records written.
    pub records: u64,
    /// Bytes read from the source.
    pub bytes_read: u64,
    /// Bad records skipped under the `Skip` or `Collect` error policies.
    pub skipped: u64,
}

/// One input of `convert_many`: where it went and how it ended.
#[derive(Debug)]
pub struct Converted {
    /// The input's location: a path, or a URL such as `s3://bucket/key`.
    pub input: String,
    /// The output's location (absent when the conversion failed).
    pub output: String,
    /// What the conversion did, or its error (which names the file).
    pub result: Result<ConvertStats>,
}

/// The conversions of a `convert_many` call: each input with its output, the options of each,
/// and, once they ran, their results in input order. Every adapter runs the jobs its own way
/// (threads, tasks).
pub struct ConvertPlan {
    conversions: Vec<(Location, Location)>,
    totals: Option<std::sync::Arc<ProgressTotals>>,
    options: ConvertOptions,
}

/// One conversion of a [`ConvertPlan`].
#[derive(Clone)]
pub struct ConvertJob {
    /// Where to read, as written (a URL with its credentials: not for messages).
    pub input: String,
    /// Where to write, as written.
    pub output: String,
    /// How: the call's options, one job at a time, progress reported as this input's part.
    pub options: ConvertOptions,
}

/// Shows the locations as messages do, without credentials.
impl std::fmt::Debug for ConvertJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |text: &str| match Location::parse(text) {
            Ok(location) => location.to_string(),
            Err(_) => "?".to_owned(),
        };
        f.debug_struct("ConvertJob")
            .field("input", &shown(&self.input))
            .field("output", &shown(&self.output))
            .finish_non_exhaustive()
    }
}

impl ConvertPlan {
    /// The format `convert_many` writes: it must be set in the options, since the outputs are
    /// named after it.
    pub fn output_format(options: &ConvertOptions) -> Result<Format> {
        options.write.format.ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownFormat,
                "convert_many needs the output format in the options",
            )
        })
    }

    /// Plans converting `inputs` (already expanded) into `out_dir`, a folder (made when
    /// missing: this blocks) or an S3 prefix; one output per input, with the same stem and
    /// the extension of the options' output format. Fails when two inputs would write the
    /// same output.
    pub fn new(
        inputs: Vec<Location>,
        out_dir: &Location,
        options: &ConvertOptions,
    ) -> Result<ConvertPlan> {
        let format = ConvertPlan::output_format(options)?;
        let conversions = plan_outputs(inputs, out_dir, format.extension())?;
        let totals = options
            .progress
            .clone()
            .map(|callback| ProgressTotals::new(callback, conversions.len()));
        Ok(ConvertPlan {
            conversions,
            totals,
            options: options.clone(),
        })
    }

    /// How many conversions.
    pub fn len(&self) -> usize {
        self.conversions.len()
    }

    /// True when there is nothing to convert.
    pub fn is_empty(&self) -> bool {
        self.conversions.is_empty()
    }

    /// How many conversions run at once: the options' `jobs`, at least 1, at most all.
    pub fn concurrency(&self) -> usize {
        self.options.jobs.clamp(1, self.len().max(1))
    }

    /// The conversion at `index`.
    pub fn job(&self, index: usize) -> Option<ConvertJob> {
        let (input, output) = self.conversions.get(index)?;
        Some(ConvertJob {
            input: input.as_written(),
            output: output.as_written(),
            options: ConvertOptions {
                progress: self.totals.as_ref().map(|t| t.part(index)),
                jobs: 1,
                ..self.options.clone()
            },
        })
    }

    /// Every conversion with its result, in input order; a missing result is an error.
    pub fn results(
        self,
        results: impl IntoIterator<Item = Option<Result<ConvertStats>>>,
    ) -> Vec<Converted> {
        let mut results = results.into_iter();
        self.conversions
            .into_iter()
            .map(|(input, output)| Converted {
                result: results.next().flatten().unwrap_or_else(|| {
                    Err(Error::new(ErrorKind::Io, "the conversion did not run"))
                }),
                input: input.to_string(),
                output: output.to_string(),
            })
            .collect()
    }
}

/// Reads every record of `source` and writes it to `target` on `rt`; formats come from the
/// names unless the options give them. The target is written atomically. Progress goes to
/// `options.progress`.
pub async fn convert<Rt: Runtime>(
    rt: &Rt,
    source: &str,
    target: &str,
    options: &ConvertOptions,
) -> Result<ConvertStats> {
    let options = ConvertOptions {
        jobs: 1,
        ..options.clone()
    };
    let identity = |record| async move { Ok(Some(record)) };
    let reader = crate::open_with(rt, source, &options.read).await?;
    pipeline_from(rt, reader, identity, Records::Same, target, &options).await
}

/// Converts each input (paths or glob patterns; where the runtime reaches S3, also
/// `s3://bucket/logs/*.jsonl.gz`) into `out_dir` (a folder, or an `s3://bucket/prefix/`) on
/// `rt`: one output per input with the same stem and the extension of `options.write.format`
/// (which must be set), up to `options.jobs` at once, each a task of its own
/// ([`Runtime::spawn`]), all remote objects through one set of clients. A failing input gets
/// its error (naming the file) and leaves no output; the others complete. Errors before any
/// conversion (no match, an output folder that cannot be made, two inputs for one output)
/// fail the call.
///
/// With one job at a time, each input is read ahead on a second thread (large local files);
/// with more, every core has a conversion already, and each reader decodes on its task.
pub async fn convert_many<Rt: Runtime>(
    rt: &Rt,
    inputs: &[String],
    out_dir: impl AsRef<OsStr>,
    options: &ConvertOptions,
) -> Result<Vec<Converted>> {
    ConvertPlan::output_format(options)?;
    let rt = rt.sharing_clients();
    let out_dir = Location::parse_os(out_dir.as_ref())?;
    let inputs = rt.expand(inputs).await?;
    let owned = options.clone();
    let plan = rt
        .unblock(move || ConvertPlan::new(inputs, &out_dir, &owned))
        .await??;
    let concurrency = plan.concurrency();
    let jobs = (0..plan.len())
        .filter_map(|index| plan.job(index))
        .map(|job| {
            let on = rt.clone();
            let run = async move {
                let identity = |record| async move { Ok(Some(record)) };
                let reader = open_on(&on, &job.input, &job.options.read, concurrency == 1).await?;
                let same = Records::Same;
                pipeline_from(&on, reader, identity, same, &job.output, &job.options).await
            };
            // A conversion that panics fails alone, with an error, on every runtime.
            let run = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run));
            let run = async move {
                run.await
                    .unwrap_or_else(|panic| Err(panicked(panic.as_ref())))
            };
            let spawned = rt.spawn(run);
            async move { Some(spawned.await.and_then(|result| result)) }
        });
    let results: Vec<_> = futures_util::stream::iter(jobs)
        .buffered(concurrency)
        .collect()
        .await;
    Ok(plan.results(results))
}

/// The error of a conversion that panicked, with the panic's message.
pub fn panicked(panic: &(dyn std::any::Any + Send)) -> Error {
    let message = panic
        .downcast_ref::<&str>()
        .map(|m| (*m).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    Error::new(ErrorKind::Io, format!("the conversion panicked: {message}"))
}

/// Reads `source`, passes each record through the async `transform`, and writes what it
/// returns to `target`, in input order, on `rt`. `transform` may change a record, drop it
/// (`None`, an empty `Vec`) or multiply it (a `Vec`); up to `options.jobs` transforms run at
/// once. An error stops the pipeline and leaves the target as it was.
pub async fn pipeline<Rt, F, Fut, I>(
    rt: &Rt,
    source: &str,
    transform: F,
    target: &str,
    options: &ConvertOptions,
) -> Result<ConvertStats>
where
    Rt: Runtime,
    F: FnMut(Record) -> Fut,
    Fut: Future<Output = Result<I>>,
    I: IntoIterator<Item = Record>,
{
    let reader = crate::open_with(rt, source, &options.read).await?;
    pipeline_from(rt, reader, transform, Records::Changed, target, options).await
}

/// Whether a pipeline writes the records it reads as they are (a conversion: a typed source's
/// schema is passed on to the output) or changed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// As they are read.
    Same,
    /// Changed by a transform.
    Changed,
}

/// The reader's schema, passed on to the writer before the first record when the records are
/// written as they are read (after the first read, when the reader knows it).
pub fn pass_schema(
    records: Records,
    schema: Option<&iterable_core::Schema>,
    mut set_schema: impl FnMut(&iterable_core::Schema) -> Result<()>,
) -> Result<()> {
    match (records, schema) {
        (Records::Same, Some(schema)) => set_schema(schema),
        _ => Ok(()),
    }
}

/// [`pipeline`] from a reader already open.
async fn pipeline_from<Rt, F, Fut, I>(
    rt: &Rt,
    mut reader: crate::Reader,
    mut transform: F,
    records: Records,
    target: &str,
    options: &ConvertOptions,
) -> Result<ConvertStats>
where
    Rt: Runtime,
    F: FnMut(Record) -> Fut,
    Fut: Future<Output = Result<I>>,
    I: IntoIterator<Item = Record>,
{
    let mut writer = create_with(rt, target, &options.write).await?;
    let mut progress = ProgressReporter::new(options.progress.clone(), reader.stats().size);
    let jobs = options.jobs.max(1);
    let mut first = Some(reader.read().await?);
    pass_schema(records, reader.schema(), |schema| writer.set_schema(schema))?;
    if jobs == 1 {
        // One at a time: no queue of futures (it costs an allocation per record).
        loop {
            let read = match first.take() {
                Some(read) => read,
                None => reader.read().await?,
            };
            let Some(record) = read else { break };
            for record in transform(record).await? {
                writer.write(&record).await?;
            }
            let stats = reader.stats();
            progress.update(stats.records_read, stats.bytes_read);
        }
    } else {
        let mut running = futures_util::stream::FuturesOrdered::new();
        let mut input_done = false;
        loop {
            while !input_done && running.len() < jobs {
                let read = match first.take() {
                    Some(read) => read,
                    None => reader.read().await?,
                };
                match read {
                    Some(record) => running.push_back(transform(record)),
                    None => input_done = true,
                }
            }
            let Some(output) = running.next().await else {
                break;
            };
            for record in output? {
                writer.write(&record).await?;
            }
            let stats = reader.stats();
            progress.update(stats.records_read, stats.bytes_read);
        }
    }
    let records = writer.records_written();
    writer.finish().await?;
    let stats = reader.stats();
    progress.done(stats.records_read, stats.bytes_read);
    Ok(ConvertStats {
        records,
        bytes_read: stats.bytes_read,
        skipped: stats.skipped,
    })
}
