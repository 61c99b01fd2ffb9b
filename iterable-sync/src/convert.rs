//! `convert`, `convert_many` and `pipeline`: records from one place to another.

use crate::reader::open_on;
use crate::{Reader, Writer, create_with, open_with};
use iterable_adapter::{
    ConvertOptions, ConvertPlan, ConvertStats, Converted, Records, pass_schema,
};
use iterable_core::{Error, ErrorKind, ProgressReporter, Record, Result};
use iterable_sources::Location;
use std::ffi::OsStr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Reads every record of `source` and writes it to `target`; formats come from the names
/// unless the options give them. The target is written atomically: on any error it is left
/// as it was. Progress goes to `options.progress`.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let src = dir.path().join("in.csv");
/// # std::fs::write(&src, "id,name\n1,Ada\n")?;
/// # let (src, dst) = (src.to_str().unwrap(), dir.path().join("out.jsonl"));
/// # let dst = dst.to_str().unwrap();
/// let stats = iterable_sync::convert(src, dst, &Default::default())?;
/// assert_eq!(stats.records, 1);
/// assert_eq!(std::fs::read_to_string(dst)?, "{\"id\":\"1\",\"name\":\"Ada\"}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn convert(source: &str, target: &str, options: &ConvertOptions) -> Result<ConvertStats> {
    let options = ConvertOptions {
        jobs: 1,
        ..options.clone()
    };
    let reader = open_with(source, &options.read)?;
    let identity = |record| Ok(Some(record));
    pipeline_from(reader, identity, Records::Same, target, &options)
}

/// Converts each input (paths or glob patterns such as `in/*.csv`; with feature `s3`, also
/// `s3://bucket/logs/*.jsonl.gz`) into `out_dir` (a folder, or an `s3://bucket/prefix/`): one
/// output per input with the same stem and the extension of `options.write.format`, which
/// must be set. Up to `options.jobs` inputs are converted at once, on threads.
///
/// Fails before converting anything when a pattern matches nothing, the output folder cannot
/// be made, or two inputs would write the same output. Otherwise every input gets its
/// [`Converted`]: a failing one carries its error, naming the file, and leaves no output; the
/// others complete.
pub fn convert_many(
    inputs: &[String],
    out_dir: impl AsRef<OsStr>,
    options: &ConvertOptions,
) -> Result<Vec<Converted>> {
    ConvertPlan::output_format(options)?;
    let inputs = crate::remote::expand(inputs)?;
    let out_dir = Location::parse_os(out_dir.as_ref())?;
    let plan = ConvertPlan::new(inputs, &out_dir, options)?;
    let next = AtomicUsize::new(0);
    let jobs = plan.concurrency();
    let mut results: Vec<Option<Result<ConvertStats>>> = (0..plan.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let worker = || {
            let mut done = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = plan.job(index) else {
                    return done;
                };
                // With several inputs at once every core has a reader already: one more thread
                // per reader to read ahead measured 10-20% slower.
                // A conversion that panics fails alone, with an error.
                let convert = std::panic::AssertUnwindSafe(|| {
                    let reader = open_on(&job.input, &job.options.read, jobs == 1)?;
                    let identity = |record| Ok(Some(record));
                    pipeline_from(reader, identity, Records::Same, &job.output, &job.options)
                });
                let converted = std::panic::catch_unwind(convert)
                    .unwrap_or_else(|panic| Err(iterable_adapter::panicked(panic.as_ref())));
                done.push((index, converted));
            }
        };
        let workers: Vec<_> = (0..jobs).map(|_| scope.spawn(worker)).collect();
        for worker in workers {
            for (index, result) in worker.join().unwrap_or_default() {
                results[index] = Some(result);
            }
        }
    });
    Ok(plan.results(results))
}

/// Reads `source`, passes each record through `transform`, and writes what it returns to
/// `target`, in input order. `transform` may change a record, drop it (return `None` or an
/// empty `Vec`) or multiply it (a `Vec`); an error from it stops the pipeline and leaves the
/// target as it was. With `options.jobs` above 1, batches of records are transformed on that
/// many threads.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let src = dir.path().join("in.csv");
/// # std::fs::write(&src, "n\n1\n2\n3\n")?;
/// # let (src, dst) = (src.to_str().unwrap(), dir.path().join("out.jsonl"));
/// # let dst = dst.to_str().unwrap();
/// use iterable_core::Value;
/// let odd = |r: iterable_core::Record| Ok((r.get("n") != Some(&Value::from("2"))).then_some(r));
/// let stats = iterable_sync::pipeline(src, odd, dst, &Default::default())?;
/// assert_eq!(stats.records, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pipeline<F, I>(
    source: &str,
    transform: F,
    target: &str,
    options: &ConvertOptions,
) -> Result<ConvertStats>
where
    F: Fn(Record) -> Result<I> + Sync,
    I: IntoIterator<Item = Record> + Send,
{
    let reader = open_with(source, &options.read)?;
    pipeline_from(reader, transform, Records::Changed, target, options)
}

/// [`pipeline`] from a reader already open.
fn pipeline_from<F, I>(
    mut reader: Reader,
    transform: F,
    records: Records,
    target: &str,
    options: &ConvertOptions,
) -> Result<ConvertStats>
where
    F: Fn(Record) -> Result<I> + Sync,
    I: IntoIterator<Item = Record> + Send,
{
    let mut writer = create_with(target, &options.write)?;
    let mut progress = ProgressReporter::new(options.progress.clone(), reader.stats().size);
    let jobs = options.jobs.max(1);
    let mut first = Some(reader.read()?);
    pass_schema(records, reader.schema(), |schema| writer.set_schema(schema))?;
    if jobs == 1 {
        loop {
            let read = match first.take() {
                Some(read) => read,
                None => reader.read()?,
            };
            let Some(record) = read else { break };
            for out in transform(record)? {
                writer.write(&out)?;
            }
            let stats = reader.stats();
            progress.update(stats.records_read, stats.bytes_read);
        }
    } else {
        loop {
            let mut batch = Vec::new();
            batch.extend(first.take().flatten());
            batch.extend(reader.read_bulk(jobs * 256 - batch.len())?);
            if batch.is_empty() {
                break;
            }
            for out in transform_batch(batch, &transform, jobs)? {
                writer.write(&out)?;
            }
            let stats = reader.stats();
            progress.update(stats.records_read, stats.bytes_read);
        }
    }
    finish(reader, writer, &mut progress)
}

/// Transforms `batch` on `jobs` threads, results in input order.
fn transform_batch<F, I>(batch: Vec<Record>, transform: &F, jobs: usize) -> Result<Vec<Record>>
where
    F: Fn(Record) -> Result<I> + Sync,
    I: IntoIterator<Item = Record> + Send,
{
    let per_thread = batch.len().div_ceil(jobs);
    let mut batch = batch.into_iter();
    let chunks: Vec<Vec<Record>> = (0..jobs)
        .map(|_| batch.by_ref().take(per_thread).collect())
        .collect();
    let outputs: Vec<Result<Vec<Record>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(chunk.len());
                    for record in chunk {
                        out.extend(transform(record)?);
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorKind::InvalidRecord,
                        "the transform panicked",
                    ))
                })
            })
            .collect()
    });
    let mut records = Vec::new();
    for output in outputs {
        records.extend(output?);
    }
    Ok(records)
}

fn finish(reader: Reader, writer: Writer, progress: &mut ProgressReporter) -> Result<ConvertStats> {
    let records = writer.records_written();
    writer.finish()?;
    let stats = reader.stats();
    progress.done(stats.records_read, stats.bytes_read);
    Ok(ConvertStats {
        records,
        bytes_read: stats.bytes_read,
        skipped: stats.skipped,
    })
}
