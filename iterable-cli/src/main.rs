//! The `iterable` command: look at, count and convert data files.

use clap::{Args, Parser, Subcommand};
use iterable_core::{Error, ErrorKind, ErrorPolicy, Record};
use iterable_formats::compression::{CodecKind, Compression};
use iterable_formats::{Format, FormatOptions, OptionInfo, ReadOptions, WriteOptions};
use iterable_sync::{Reader, open_with, to_writer};
use std::io::Write;
use std::process::ExitCode;

/// Read, inspect and convert data records (CSV, TSV, JSON Lines, ...).
#[derive(Parser)]
#[command(name = "iterable", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every record as JSON Lines on stdout.
    Cat {
        #[command(flatten)]
        read: ReadArgs,
        /// The input: a path, - for stdin, an http(s):// URL, s3://, gs:// or az:// bucket/key, or a database
        /// (postgres://user@host/db or mysql://user@host/db, -o table=NAME).
        input: String,
    },
    /// Print the first records as JSON Lines on stdout.
    Head {
        /// How many records.
        #[arg(short = 'n', long, default_value_t = 10)]
        lines: u64,
        #[command(flatten)]
        read: ReadArgs,
        /// The input: a path, - for stdin, an http(s):// URL, s3://, gs:// or az:// bucket/key, or a database
        /// (postgres://user@host/db or mysql://user@host/db, -o table=NAME).
        input: String,
    },
    /// Print the number of records.
    Count {
        #[command(flatten)]
        read: ReadArgs,
        /// The input: a path, - for stdin, an http(s):// URL, s3://, gs:// or az:// bucket/key, or a database
        /// (postgres://user@host/db or mysql://user@host/db, -o table=NAME).
        input: String,
    },
    /// Convert records from one format to another; formats come from the names unless given.
    ///
    /// With one input: `convert IN OUT`, OUT a path (written atomically), - for stdout, or
    /// s3://, gs:// or az://bucket/key (a multipart upload, complete or nothing). With several
    /// inputs or glob patterns (`'in/*.csv'`, `'gs://bucket/logs/2024-*.jsonl.gz'`), or when
    /// OUT is a folder or ends in / (`s3://bucket/out/`): each input goes to `OUT/STEM.EXT`,
    /// EXT that of the --to format.
    Convert {
        #[command(flatten)]
        read: ReadArgs,
        /// The output format (`iterable formats` lists them); needed when OUT is - or a folder.
        #[arg(long)]
        to: Option<String>,
        /// An option of the output's format, KEY=VALUE (repeatable): -O delimiter=tab; a
        /// VALUE of @FILE is FILE's text: -O schema=@person.avsc (@@ for a leading @).
        #[arg(short = 'O', long = "out-option", value_name = "KEY=VALUE")]
        out_options: Vec<String>,
        /// How many inputs to convert at once, when there are several (default: the cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Compress the output with this codec (gzip, zstd, bzip2, xz, lzma, lz4, brotli, zlib,
        /// deflate, or none); by default the output name's extension decides (`out.csv.gz`).
        #[arg(long, value_name = "CODEC")]
        compress: Option<String>,
        /// The compression level, on the codec's own scale (gzip 0-9, zstd 1-22, ...).
        #[arg(long)]
        level: Option<i32>,
        /// Inputs (paths, URLs, glob patterns, or - for stdin), then the output.
        #[arg(num_args = 2.., required = true, value_name = "IN... OUT")]
        paths: Vec<String>,
    },
    /// List every format and codec: what each can do, and the options of each format.
    Formats,
    /// List the tables of an input, in order: the sheets of a workbook, the tables of a
    /// database (postgres://user@host/db, mysql://user@host/db).
    Tables {
        #[command(flatten)]
        read: ReadArgs,
        /// The input: a path, - for stdin, an http(s):// URL, s3://, gs:// or az:// bucket/key, or a database
        /// (postgres://user@host/db or mysql://user@host/db, -o table=NAME).
        input: String,
    },
    /// Print the detected format of an input.
    Detect {
        #[command(flatten)]
        read: ReadArgs,
        /// The input: a path, - for stdin, an http(s):// URL, s3://, gs:// or az:// bucket/key, or a database
        /// (postgres://user@host/db or mysql://user@host/db, -o table=NAME).
        input: String,
    },
}

#[derive(Args)]
struct ReadArgs {
    /// The input format (`iterable formats` lists them); detected when not given.
    #[arg(long, visible_alias = "from")]
    format: Option<String>,
    /// An option of the input's format, KEY=VALUE (repeatable; `iterable formats` lists them):
    /// -o delimiter=';' -o header=false; a VALUE of @FILE is FILE's text (@@ for a leading @).
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// CSV delimiter (-o delimiter=...): one character, or "tab"; sniffed when neither this
    /// nor the name says.
    #[arg(long)]
    delimiter: Option<String>,
    /// CSV has no header row (-o header=false): fields are named column_1, column_2, ...
    #[arg(long)]
    no_header: bool,
    /// Keep CSV rows with too few or too many fields (-o ragged=lenient): pad with null, keep
    /// extras as column_N.
    #[arg(long)]
    lenient: bool,
    /// Skip bad records instead of stopping; they are reported on stderr at the end.
    #[arg(long)]
    skip_bad: bool,
    /// In a zip archive, read the members whose names match this glob (default: every file).
    #[arg(long, value_name = "GLOB")]
    members: Option<String>,
    /// In a zip archive, give each record this field holding its member's name.
    #[arg(long, value_name = "FIELD")]
    member_field: Option<String>,
    /// The largest record in bytes.
    #[arg(long, default_value_t = iterable_formats::DEFAULT_MAX_RECORD_SIZE)]
    max_record_size: usize,
}

impl ReadArgs {
    fn options(&self) -> Result<ReadOptions, Error> {
        let mut options = ReadOptions {
            max_record_size: self.max_record_size,
            error_policy: if self.skip_bad {
                ErrorPolicy::Collect
            } else {
                ErrorPolicy::Fail
            },
            ..ReadOptions::default()
        };
        options.zip_members = self.members.clone();
        options.member_field = self.member_field.clone();
        if let Some(delimiter) = &self.delimiter {
            options.options.set("delimiter", delimiter.as_str());
        }
        if self.no_header {
            options.options.set("header", "false");
        }
        if self.lenient {
            options.options.set("ragged", "lenient");
        }
        for pair in &self.options {
            set_option(&mut options.options, pair)?;
        }
        match &self.format {
            Some(name) => options.with_format_name(name),
            None => Ok(options),
        }
    }

    fn open(&self, input: &str) -> Result<Reader, Error> {
        open_with(input, &self.options()?)
    }
}

/// How many skipped records are shown one by one.
const ERRORS_SHOWN: usize = 10;

fn report_skipped(reader: &Reader) {
    let errors = reader.errors();
    for error in errors.iter().take(ERRORS_SHOWN) {
        eprintln!("iterable: skipped: {error}");
    }
    let skipped = reader.stats().skipped;
    if skipped > 0 {
        eprintln!("iterable: skipped {skipped} bad records");
    }
}

fn jsonl_to_stdout() -> Result<iterable_sync::Writer<std::io::StdoutLock<'static>>, Error> {
    let options = WriteOptions {
        format: Some(Format::JSONL),
        ..WriteOptions::default()
    };
    to_writer(std::io::stdout().lock(), &options)
}

fn print_records(mut reader: Reader, limit: Option<u64>) -> Result<(), Error> {
    let mut writer = jsonl_to_stdout()?;
    let mut outcome = Ok(());
    while limit.is_none_or(|n| writer.records_written() < n) {
        match reader.read() {
            Ok(Some(record)) => writer.write(&record)?,
            Ok(None) => break,
            Err(error) => {
                outcome = Err(error);
                break;
            }
        }
    }
    // The records before a bad one are printed before its error.
    drop(writer.finish()?);
    report_skipped(&reader);
    outcome
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

fn show(bar: &indicatif::ProgressBar, progress: &iterable_core::Progress) {
    if let Some(total) = progress.total_bytes {
        bar.set_length(total);
    }
    bar.set_position(progress.bytes_read);
    bar.set_message(format!("{} records", progress.records));
}

fn convert_one(
    read: &ReadArgs,
    write: &WriteOptions,
    input: &str,
    output: &str,
) -> Result<(), Error> {
    let mut reader = read.open(input)?;
    let mut writer = iterable_sync::create_with(output, write)?;
    let bar = progress_bar();
    let mut progress = iterable_core::ProgressReporter::new(
        bar.clone()
            .map(|bar| std::sync::Arc::new(move |p: &iterable_core::Progress| show(&bar, p)) as _),
        reader.stats().size,
    );
    let mut next = reader.read()?;
    // A typed source's schema (Parquet's) goes on to a typed output as it is.
    if let Some(schema) = reader.schema() {
        writer.set_schema(schema)?;
    }
    while let Some(record) = next {
        writer.write(&record)?;
        let stats = reader.stats();
        progress.update(stats.records_read, stats.bytes_read);
        next = reader.read()?;
    }
    writer.finish()?;
    let stats = reader.stats();
    progress.done(stats.records_read, stats.bytes_read);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report_skipped(&reader);
    Ok(())
}

fn convert_many(
    read: &ReadArgs,
    write: WriteOptions,
    jobs: Option<usize>,
    inputs: &[String],
    out_dir: &str,
) -> Result<(), Error> {
    if write.format.is_none() {
        return Err(Error::new(
            ErrorKind::UnknownFormat,
            "converting into a folder needs the output format: give --to",
        ));
    }
    let bar = progress_bar();
    let options = iterable_sync::ConvertOptions {
        read: read.options()?,
        write,
        jobs: jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        progress: bar
            .clone()
            .map(|bar| std::sync::Arc::new(move |p: &iterable_core::Progress| show(&bar, p)) as _),
    };
    let converted = iterable_sync::convert_many(inputs, out_dir, &options)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut failed = 0;
    for item in &converted {
        match &item.result {
            Ok(stats) if stats.skipped > 0 => eprintln!(
                "iterable: {}: skipped {} bad records",
                item.input, stats.skipped
            ),
            Ok(_) => {}
            Err(error) => {
                failed += 1;
                eprintln!("iterable: {error}");
            }
        }
    }
    if failed > 0 {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "{failed} of {} inputs failed; the others were converted",
                converted.len()
            ),
        ));
    }
    Ok(())
}

/// Sets an option given as `KEY=VALUE` (`-o`, `-O`); a value `@FILE` is the text of FILE
/// (`-O schema=@person.avsc`), and `@@...` is the text `@...` itself.
fn set_option(options: &mut FormatOptions, pair: &str) -> Result<(), Error> {
    options.set_pair(pair)?;
    let Some((key, value)) = pair.split_once('=') else {
        return Ok(());
    };
    if let Some(literal) = value.strip_prefix("@@") {
        options.set(key.trim(), format!("@{literal}"));
    } else if let Some(path) = value.strip_prefix('@').filter(|path| !path.is_empty()) {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(ErrorKind::Io, format!("option {}=@{path}: {e}", key.trim()))
        })?;
        options.set(key.trim(), text);
    }
    Ok(())
}

fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Cat { read, input } => print_records(read.open(&input)?, None),
        Command::Head { lines, read, input } => print_records(read.open(&input)?, Some(lines)),
        Command::Count { read, input } => {
            let mut reader = read.open(&input)?;
            let mut count = 0u64;
            while reader.read()?.is_some() {
                count += 1;
            }
            println!("{count}");
            report_skipped(&reader);
            Ok(())
        }
        Command::Formats => print_formats(),
        Command::Tables { read, input } => {
            if let Some(tables) = iterable_sync::database_tables(&input)? {
                let mut out = std::io::stdout().lock();
                for table in tables {
                    writeln!(out, "{table}")?;
                }
                return Ok(());
            }
            let mut reader = read.open(&input)?;
            let first = reader.read();
            let Some(tables) = reader.tables() else {
                first?;
                let format = reader.detection().format.info().name;
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("{input}: {format} has no tables (workbooks have their sheets)"),
                ));
            };
            let mut out = std::io::stdout().lock();
            for table in tables {
                writeln!(out, "{table}")?;
            }
            Ok(())
        }
        Command::Convert {
            read,
            to,
            out_options,
            jobs,
            compress,
            level,
            mut paths,
        } => {
            let output = paths.pop().unwrap_or_default();
            let mut write_options = WriteOptions {
                compression_level: level,
                ..WriteOptions::default()
            };
            for pair in &out_options {
                set_option(&mut write_options.options, pair)?;
            }
            if let Some(name) = &to {
                write_options = write_options.with_format_name(name)?;
            }
            if let Some(name) = &compress {
                write_options.compression = Compression::from_name(name).ok_or_else(|| {
                    Error::new(ErrorKind::UnknownFormat, format!("unknown codec {name:?}"))
                })?;
            }
            let many = paths.len() > 1
                || paths.iter().any(|p| p.contains(['*', '?', '[']))
                || output.ends_with('/')
                || std::path::Path::new(&output).is_dir();
            if many {
                convert_many(&read, write_options, jobs, &paths, &output)
            } else {
                convert_one(&read, &write_options, &paths[0], &output)
            }
        }
        Command::Detect { read, input } => {
            let mut reader = read.open(&input)?;
            // The first record names the fields.
            let first: Option<Record> = reader.read().ok().flatten();
            let detection = reader.detection();
            let mut out = std::io::stdout().lock();
            writeln!(out, "format: {}", detection.format.info().name)?;
            for (key, value) in detection.options.iter().filter(|(k, _)| *k != "encoding") {
                let value = if value == "tab" { "\\t" } else { value };
                writeln!(out, "{key}: '{value}'")?;
            }
            writeln!(out, "detected by: {}", detection.by.as_str())?;
            if let Some(found) = detection.encoding {
                writeln!(
                    out,
                    "encoding: {} (by {})",
                    found.encoding.name(),
                    found.by.as_str()
                )?;
            }
            match detection.codec {
                Some(codec) => writeln!(out, "codecs: {}", codec.name())?,
                None => writeln!(out, "codecs: none")?,
            }
            if let Some(first) = first {
                writeln!(
                    out,
                    "fields: {}",
                    first.names().collect::<Vec<_>>().join(", ")
                )?;
            }
            Ok(())
        }
    }
}

/// `iterable formats`: every format of the registry and every codec.
fn print_formats() -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    for format in Format::all() {
        let info = format.info();
        let can = &info.capabilities;
        let mut what = Vec::new();
        for (yes, word) in [(can.read, "read"), (can.write, "write")] {
            if yes {
                what.push(word);
            }
        }
        what.push(if can.random_access {
            "random access"
        } else {
            "streaming"
        });
        writeln!(out, "{}: {}", info.name, info.description)?;
        writeln!(out, "  can: {}", what.join(", "))?;
        if !info.aliases.is_empty() {
            writeln!(out, "  aliases: {}", info.aliases.join(", "))?;
        }
        let extensions: Vec<String> = info.extensions.iter().map(|e| format!(".{e}")).collect();
        writeln!(out, "  extensions: {}", extensions.join(" "))?;
        if !info.mime_types.is_empty() {
            writeln!(out, "  MIME types: {}", info.mime_types.join(", "))?;
        }
        print_options(&mut out, "read options (-o)", &format.read_options())?;
        print_options(&mut out, "write options (-O)", &format.write_options())?;
    }
    writeln!(out, "codecs:")?;
    for codec in CodecKind::ALL {
        let extensions: Vec<String> = codec.extensions().iter().map(|e| format!(".{e}")).collect();
        let built = if codec.is_built() {
            ""
        } else {
            " (not built in)"
        };
        writeln!(out, "  {}: {}{built}", codec.name(), extensions.join(" "))?;
    }
    Ok(())
}

fn print_options(out: &mut impl Write, title: &str, options: &[OptionInfo]) -> Result<(), Error> {
    if options.is_empty() {
        return Ok(());
    }
    writeln!(out, "  {title}:")?;
    for option in options {
        let default = match option.default {
            "" => String::new(),
            default => format!(" (default {default})"),
        };
        writeln!(out, "    {}{default}: {}", option.key, option.help)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`iterable cat big.csv | head`) is the reader's choice, not a failure.
        Err(error) if error.io_kind() == Some(std::io::ErrorKind::BrokenPipe) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("iterable: {error}");
            if error.message().starts_with("cannot tell the format") {
                eprintln!(
                    "iterable: hint: name the input format with --format (`iterable formats` lists them)"
                );
            } else if error
                .message()
                .starts_with("cannot tell which format to write")
            {
                eprintln!(
                    "iterable: hint: name the output format with --to (`iterable formats` lists them)"
                );
            }
            ExitCode::FAILURE
        }
    }
}
