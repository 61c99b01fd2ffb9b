//! `convert`, `convert_many` and `pipeline` on tokio.

use crate::{create_with, open_with};
use futures_util::StreamExt;
use iterable_core::{Error, ErrorKind, ProgressTotals, Record, Result};
use iterable_formats::{ConvertOptions, ConvertStats, Converted};
use iterable_sources::Location;
use std::ffi::OsStr;
use std::future::Future;

/// Reads every record of `source` and writes it to `target`; formats come from the names
/// unless the options give them. The target is written atomically. Progress goes to
/// `options.progress`.
pub async fn convert(source: &str, target: &str, options: &ConvertOptions) -> Result<ConvertStats> {
    let options = ConvertOptions {
        jobs: 1,
        ..options.clone()
    };
    pipeline(
        source,
        |record| async move { Ok(Some(record)) },
        target,
        &options,
    )
    .await
}

/// Converts each input (paths or glob patterns; with feature `s3`, also
/// `s3://bucket/logs/*.jsonl.gz`) into `out_dir` (a folder, or an `s3://bucket/prefix/`), one
/// output per input with the same stem and the extension of `options.write.format` (which
/// must be set), up to `options.jobs` at once, each on a task of its own, all S3 objects
/// through one client. A failing input gets its error (naming the file) and leaves no output;
/// the others complete. Errors before any conversion (no
/// match, an output folder that cannot be made, two inputs for one output) fail the call.
pub async fn convert_many(
    inputs: &[String],
    out_dir: impl AsRef<OsStr>,
    options: &ConvertOptions,
) -> Result<Vec<Converted>> {
    let format = options.write.format.ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownFormat,
            "convert_many needs the output format in the options",
        )
    })?;
    let out_dir = Location::parse_os(out_dir.as_ref())?;
    #[cfg(feature = "s3")]
    let clients = iterable_sources::remote::SharedClients::default();
    #[cfg(feature = "s3")]
    let inputs = clients
        .run(Box::pin(iterable_sources::remote::expand(inputs)))
        .await?;
    #[cfg(not(feature = "s3"))]
    let inputs = inputs.to_vec();
    let extension = format.extension();
    let plan = tokio::task::spawn_blocking(move || {
        #[cfg(not(feature = "s3"))]
        let inputs = iterable_sources::expand_locations(&inputs)?;
        iterable_sources::plan_outputs(inputs, &out_dir, extension)
    })
    .await
    .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))??;
    let totals = options
        .progress
        .clone()
        .map(|callback| ProgressTotals::new(callback, plan.len()));
    let jobs = plan.iter().enumerate().map(|(index, (input, output))| {
        let job = ConvertOptions {
            progress: totals.as_ref().map(|t| t.part(index)),
            ..options.clone()
        };
        let (input, output) = (input.to_string(), output.to_string());
        #[cfg(feature = "s3")]
        let clients = clients.clone();
        async move {
            let conversion = async move { convert(&input, &output, &job).await };
            #[cfg(feature = "s3")]
            let conversion = async move { clients.run(conversion).await };
            tokio::spawn(conversion).await.unwrap_or_else(|e| {
                Err(Error::new(
                    ErrorKind::Io,
                    format!("the conversion task failed: {e}"),
                ))
            })
        }
    });
    let results: Vec<Result<ConvertStats>> = futures_util::stream::iter(jobs)
        .buffered(options.jobs.max(1))
        .collect()
        .await;
    Ok(plan
        .into_iter()
        .zip(results)
        .map(|((input, output), result)| Converted {
            input: input.to_string(),
            output: output.to_string(),
            result,
        })
        .collect())
}

/// Reads `source`, passes each record through the async `transform`, and writes what it
/// returns to `target`, in input order. `transform` may change a record, drop it (`None`, an
/// empty `Vec`) or multiply it (a `Vec`); up to `options.jobs` transforms run at once. An
/// error stops the pipeline and leaves the target as it was.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let src = dir.path().join("in.csv");
/// # std::fs::write(&src, "n\n1\n2\n3\n")?;
/// # let (src, dst) = (src.to_str().unwrap(), dir.path().join("out.jsonl"));
/// # let dst = dst.to_str().unwrap();
/// let options = iterable_tokio::ConvertOptions { jobs: 8, ..Default::default() };
/// let twice = |r: iterable_core::Record| async move { Ok(vec![r.clone(), r]) };
/// let stats = iterable_tokio::pipeline(src, twice, dst, &options).await?;
/// assert_eq!(stats.records, 6);
/// # Ok(()) }
/// ```
pub async fn pipeline<F, Fut, I>(
    source: &str,
    transform: F,
    target: &str,
    options: &ConvertOptions,
) -> Result<ConvertStats>
where
    F: FnMut(Record) -> Fut,
    Fut: Future<Output = Result<I>>,
    I: IntoIterator<Item = Record>,
{
    let reader = open_with(source, &options.read).await?;
    let writer = create_with(target, &options.write).await?;
    iterable_formats::adapter::pipeline(reader, writer, transform, options).await
}
