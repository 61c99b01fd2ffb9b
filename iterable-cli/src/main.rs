//! The `iterable` command: look at, count and convert data files.

use clap::{Args, Parser, Subcommand};
use iterable_core::{Error, ErrorKind, ErrorPolicy, Record};
use iterable_formats::csv::RaggedRows;
use iterable_formats::{Format, ReadOptions, WriteOptions};
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
        /// The input: a path, or - for stdin.
        input: String,
    },
    /// Print the first records as JSON Lines on stdout.
    Head {
        /// How many records.
        #[arg(short = 'n', long, default_value_t = 10)]
        lines: u64,
        #[command(flatten)]
        read: ReadArgs,
        /// The input: a path, or - for stdin.
        input: String,
    },
    /// Print the number of records.
    Count {
        #[command(flatten)]
        read: ReadArgs,
        /// The input: a path, or - for stdin.
        input: String,
    },
    /// Convert records from one format to another; formats come from the names unless given.
    Convert {
        #[command(flatten)]
        read: ReadArgs,
        /// The output format (csv, tsv, psv, ssv, jsonl, ndjson); needed when OUTPUT is -.
        #[arg(long)]
        to: Option<String>,
        /// The input: a path, or - for stdin.
        input: String,
        /// The output: a path (written atomically), or - for stdout.
        output: String,
    },
    /// Print the detected format of an input.
    Detect {
        #[command(flatten)]
        read: ReadArgs,
        /// The input: a path, or - for stdin.
        input: String,
    },
}

#[derive(Args)]
struct ReadArgs {
    /// The input format (csv, tsv, psv, ssv, jsonl, ndjson); detected when not given.
    #[arg(long, visible_alias = "from")]
    format: Option<String>,
    /// CSV delimiter: one character, or "tab"; sniffed when neither this nor the name says.
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// CSV has no header row: fields are named column_1, column_2, ...
    #[arg(long)]
    no_header: bool,
    /// Keep CSV rows with too few or too many fields (pad with null, keep extras as column_N).
    #[arg(long)]
    lenient: bool,
    /// Skip bad records instead of stopping; they are reported on stderr at the end.
    #[arg(long)]
    skip_bad: bool,
    /// The largest record in bytes.
    #[arg(long, default_value_t = iterable_formats::DEFAULT_MAX_RECORD_SIZE)]
    max_record_size: usize,
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err(format!("{text:?} is not one ASCII character or \"tab\"")),
    }
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
        options.csv.delimiter = self.delimiter;
        options.csv.has_header = !self.no_header;
        if self.lenient {
            options.csv.ragged = RaggedRows::Lenient;
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
    if reader.skipped() > 0 {
        eprintln!("iterable: skipped {} bad records", reader.skipped());
    }
}

fn jsonl_to_stdout() -> Result<iterable_sync::Writer<std::io::StdoutLock<'static>>, Error> {
    let options = WriteOptions {
        format: Some(Format::JsonLines),
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
        Command::Convert {
            read,
            to,
            input,
            output,
        } => {
            let mut reader = read.open(&input)?;
            let mut write_options = WriteOptions::default();
            if let Some(name) = &to {
                write_options = write_options.with_format_name(name)?;
            }
            let mut writer = iterable_sync::create_with(&output, &write_options)?;
            while let Some(record) = reader.read()? {
                writer.write(&record)?;
            }
            writer.finish()?;
            report_skipped(&reader);
            Ok(())
        }
        Command::Detect { read, input } => {
            let mut reader = read.open(&input)?;
            // The CSV delimiter is sniffed when the first record is decoded.
            let first: Option<Record> = reader.read().ok().flatten();
            let detection = reader.detection();
            let mut out = std::io::stdout().lock();
            let info = detection.choice.format.info();
            writeln!(out, "format: {}", info.name)?;
            if let Some(delimiter) = detection
                .choice
                .delimiter
                .filter(|_| detection.choice.format == Format::Csv)
            {
                writeln!(out, "delimiter: {:?}", delimiter as char)?;
            }
            writeln!(out, "detected by: {}", detection.by.as_str())?;
            writeln!(out, "codecs: none")?;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`iterable cat big.csv | head`) is the reader's choice, not a failure.
        Err(error) if error.io_kind() == Some(std::io::ErrorKind::BrokenPipe) => ExitCode::SUCCESS,
        Err(error) => {
            let kind = error.kind();
            eprintln!("iterable: {error}");
            if kind == ErrorKind::UnknownFormat {
                eprintln!("iterable: hint: give the format with --format (csv, tsv, jsonl, ...)");
            }
            ExitCode::FAILURE
        }
    }
}
