//! Parquet (feature `parquet`), on the parquet crate: read by ranges (its footer, then the
//! column chunks of one row group at a time, only the columns asked for), written a row
//! group at a time with a schema given or inferred.
//!
//! Reading is sans-IO: [`ParquetDecoder`] is a [`RangeDecoder`] over the parquet crate's push
//! decoders; the adapters fetch the ranges it asks for from a file (positioned reads), HTTP
//! or S3 (`Range` requests). Values are typed through the [Arrow bridge](crate::arrow): every
//! physical and logical type to [`iterable_core::Value`]s (timestamps of every unit, with or
//! without a zone, dates, times, decimals, lists, structs, maps, dictionary-encoded columns,
//! nulls); every compression the crate has (snappy, gzip, brotli, lz4, zstd) is read.
//!
//! Writing: [`ParquetEncoder`] takes the schema it is given ([`Encoder::set_schema`], which
//! `convert` passes on from a typed source, so widths survive a round trip) or infers one from
//! the first records (`-O infer_rows=N`, widening as they come); a record the schema cannot
//! hold is an error naming the record and the field, never a dropped value. Memory holds one
//! batch of records and one row group's columns (`-O row_group_size=N` rows).
//!
//! What a round trip through our values changes, every change documented and none a loss of
//! a value: float16 columns read as float32 values (written back float32); fixed-size binary
//! as bytes (written back variable-size binary); large strings, binaries and lists as the
//! regular ones; date64 as a date (written back date32); decimals wider than 128 bits
//! (precision above 38) as their exact digits in text, written back as decimals; maps as
//! objects, their keys as text (integer keys kept as integers). Interval columns are
//! refused, naming the column.
//!
//! Errors: a Parquet file is not a sequence of separable records, so an error (a broken
//! page, a cut file) ends the read under every error policy (`skip` and `collect` have no
//! record to skip to); the records of the row groups before it have been given.

use crate::arrow::{BatchRecords, column_indices, schema_from_arrow, unpack_allowed};
use crate::batch_writer::{BatchEncoder, BatchSink, Written, forward_encoder};
use crate::library_panic::caught;
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use iterable_core::{
    Capabilities, Decoder, Encoder, Error, ErrorKind, FormatInfo, Position, RangeDecoder,
    RangeStep, Record, Result, Schema,
};
use parquet::DecodeResult;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_writer::ArrowWriter;
use parquet::arrow::push_decoder::{ParquetPushDecoder, ParquetPushDecoderBuilder};
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaDataPushDecoder};
use parquet::file::properties::WriterProperties;
use std::ops::Range;
use std::sync::Arc;

/// The format's name in errors and options.
pub const FORMAT: &str = "parquet";

/// Parquet in the format registry.
pub struct ParquetFormat;

/// The registry's Parquet.
pub static PARQUET: ParquetFormat = ParquetFormat;

static INFO: FormatInfo = FormatInfo {
    name: "parquet",
    aliases: &[],
    extensions: &["parquet", "pq"],
    mime_types: &["application/vnd.apache.parquet", "application/x-parquet"],
    magic: &[b"PAR1"],
    capabilities: Capabilities::RANDOM_ACCESS,
    description: "Apache Parquet: columnar, typed; read by ranges, only the columns asked for",
};

/// Parquet's read options (`-o KEY=VALUE`).
pub static READ_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "columns",
        default: "",
        help: "the columns to read, comma-separated (only their chunks are fetched); all by default",
    },
    OptionInfo {
        key: "batch_size",
        default: "8192",
        help: "rows decoded at a time",
    },
];

/// Parquet's write options (`-O KEY=VALUE`).
pub static WRITE_OPTIONS: &[OptionInfo] = &[
    OptionInfo {
        key: "compression",
        default: "snappy",
        help: "none, snappy, gzip, brotli, lz4, zstd; a level in brackets: zstd(9)",
    },
    OptionInfo {
        key: "row_group_size",
        default: "100000",
        help: "rows per row group (a row group is held in memory while it is written)",
    },
    OptionInfo {
        key: "infer_rows",
        default: "10000",
        help: "without a schema given, how many records the schema is inferred from",
    },
];

impl FormatSpec for ParquetFormat {
    fn is_text(&self) -> bool {
        false
    }

    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        WRITE_OPTIONS
    }

    /// Its magic bytes, `PAR1`, are the sure sign; nothing else is.
    fn sniff(&self, head: &[u8], _complete: bool) -> Option<Sniffed> {
        INFO.has_magic(head).then(|| Sniffed::with(100))
    }

    fn decoder(
        &self,
        _options: &FormatOptions,
        _max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "parquet is read by ranges, not as a stream (ranged_decoder)",
        )
        .with_format(FORMAT))
    }

    fn ranged_decoder(&self, options: &FormatOptions, size: u64) -> Result<Box<dyn RangeDecoder>> {
        Ok(Box::new(ParquetDecoder::new(options, size)?))
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(ParquetEncoder::new(options)?))
    }
}

fn parquet_error(error: impl std::fmt::Display) -> Error {
    Error::parse(FORMAT, error.to_string())
}

fn number(options: &FormatOptions, key: &str, default: usize) -> Result<usize> {
    Ok(options
        .parsed(FORMAT, key, "a whole number above 0", |v| {
            v.parse::<usize>().ok().filter(|n| *n > 0)
        })?
        .unwrap_or(default))
}

/// The largest footer (the file's metadata) read: a hostile length is an error, not an
/// allocation of gigabytes.
const MAX_FOOTER_SIZE: u64 = 64 << 20;

/// Where a [`ParquetDecoder`] stands.
enum Reading {
    /// Decoding the footer's metadata.
    Metadata(Box<ParquetMetaDataPushDecoder>),
    /// Decoding the row groups.
    Data(Box<ParquetPushDecoder>),
    /// Every row group is decoded.
    Done,
}

/// Reads a Parquet file's records by ranges: the footer first, then, a row group at a time,
/// the chunks of the columns asked for (`columns`, or all).
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use iterable_core::{DataType, Encoder, Field, RangeDecoder, RangeStep, Record, Schema, Value};
/// use iterable_formats::FormatOptions;
/// use iterable_formats::parquet::{ParquetDecoder, ParquetEncoder};
///
/// // A small file, written by the encoder.
/// let mut encoder = ParquetEncoder::new(&FormatOptions::default())?;
/// let mut file = BytesMut::new();
/// for id in 0..3 {
///     encoder.encode(&[("id", Value::Int(id)), ("name", Value::from("x"))].into_iter().collect(), &mut file)?;
/// }
/// encoder.finish(&mut file)?;
/// let file = file.freeze();
///
/// // Read back its `id` column alone, serving the ranges the decoder asks for.
/// let options = FormatOptions::default().with("columns", "id");
/// let mut decoder = ParquetDecoder::new(&options, file.len() as u64)?;
/// let mut ids = Vec::new();
/// loop {
///     match decoder.step()? {
///         RangeStep::Need(ranges) => {
///             let data = ranges.iter().map(|r| file.slice(r.start as usize..r.end as usize)).collect();
///             decoder.push(ranges, data)?;
///         }
///         RangeStep::Record(record) => ids.push(record.get("id").cloned()),
///         RangeStep::End => break,
///     }
/// }
/// assert_eq!(ids, [Some(Value::Int(0)), Some(Value::Int(1)), Some(Value::Int(2))]);
/// assert_eq!(decoder.schema().unwrap().fields().len(), 1);
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct ParquetDecoder {
    reading: Reading,
    columns: Option<Vec<String>>,
    batch_size: usize,
    /// The file's size.
    size: u64,
    /// Where each column asked for is in the batches, when not in the order asked for.
    order: Option<Vec<usize>>,
    records: Option<BatchRecords>,
    schema: Option<Schema>,
    /// Records given so far.
    given: u64,
}

impl ParquetDecoder {
    /// A decoder for a file of `size` bytes with `options` ([`READ_OPTIONS`]).
    pub fn new(options: &FormatOptions, size: u64) -> Result<ParquetDecoder> {
        options.check(FORMAT, READ_OPTIONS)?;
        let columns = options.list("columns");
        // The page indexes are not used: not read (they would count towards the footer).
        let metadata = ParquetMetaDataPushDecoder::try_new(size)
            .map_err(parquet_error)?
            .with_page_index_policy(PageIndexPolicy::Skip);
        Ok(ParquetDecoder {
            reading: Reading::Metadata(Box::new(metadata)),
            columns,
            batch_size: number(options, "batch_size", 8192)?,
            size,
            order: None,
            records: None,
            schema: None,
            given: 0,
        })
    }

    /// The push decoder of the row groups, once the metadata is known.
    fn data_decoder(
        &mut self,
        metadata: parquet::file::metadata::ParquetMetaData,
    ) -> Result<ParquetPushDecoder> {
        let builder = ParquetPushDecoderBuilder::try_new_decoder(Arc::new(metadata))
            .map_err(parquet_error)?
            .with_batch_size(self.batch_size);
        let arrow_schema = builder.schema().clone();
        let (builder, projected) = match &self.columns {
            None => (builder, (*arrow_schema).clone()),
            Some(names) => {
                let roots = column_indices(FORMAT, &arrow_schema, names)?;
                // The batches hold the columns in the file's order: they are put in the order
                // asked for.
                let mut in_file = roots.clone();
                in_file.sort_unstable();
                let order: Vec<usize> = roots
                    .iter()
                    .map(|root| in_file.partition_point(|r| r < root))
                    .collect();
                self.order = (order != (0..order.len()).collect::<Vec<_>>()).then_some(order);
                let projected = arrow_schema::Schema::new(
                    roots
                        .iter()
                        .map(|&root| arrow_schema.field(root).clone())
                        .collect::<Vec<_>>(),
                );
                let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
                (builder.with_projection(mask), projected)
            }
        };
        self.schema = Some(schema_from_arrow(&projected)?);
        builder.build().map_err(parquet_error)
    }
}

impl RangeDecoder for ParquetDecoder {
    fn step(&mut self) -> Result<RangeStep> {
        self.guarded(Self::next_step)
    }

    fn step_into(
        &mut self,
        out: &mut std::collections::VecDeque<Record>,
        max: usize,
    ) -> Result<Option<RangeStep>> {
        self.guarded(|this| {
            if let Some(records) = &mut this.records {
                let before = out.len();
                out.extend(records.by_ref().take(max.max(1)));
                let moved = out.len() - before;
                if moved > 0 {
                    this.given += moved as u64;
                    return Ok(None);
                }
                this.records = None;
            }
            match this.next_step()? {
                RangeStep::Record(record) => {
                    out.push_back(record);
                    Ok(None)
                }
                other => Ok(Some(other)),
            }
        })
    }

    fn push(&mut self, ranges: Vec<Range<u64>>, data: Vec<Bytes>) -> Result<()> {
        self.guarded(|this| {
            match &mut this.reading {
                Reading::Metadata(metadata) => metadata.push_ranges(ranges, data),
                Reading::Data(decoder) => decoder.push_ranges(ranges, data),
                Reading::Done => Ok(()),
            }
            .map_err(parquet_error)
        })
    }

    fn schema(&self) -> Option<&Schema> {
        self.schema.as_ref()
    }
}

impl ParquetDecoder {
    /// Runs `work` on the parquet crate, a panic of it on hostile input turned into an error
    /// that ends the reading (the file's metadata is checked first, so that the known ones do
    /// not happen).
    fn guarded<T>(&mut self, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        caught(FORMAT, "the parquet crate", || work(self)).unwrap_or_else(|panic| {
            self.reading = Reading::Done;
            self.records = None;
            Err(panic)
        })
    }

    fn next_step(&mut self) -> Result<RangeStep> {
        loop {
            if let Some(records) = &mut self.records {
                if let Some(record) = records.next() {
                    self.given += 1;
                    return Ok(RangeStep::Record(record));
                }
                self.records = None;
            }
            match &mut self.reading {
                Reading::Done => return Ok(RangeStep::End),
                Reading::Metadata(metadata) => {
                    match metadata.try_decode().map_err(parquet_error)? {
                        DecodeResult::NeedsData(ranges) => {
                            let asked: u64 =
                                ranges.iter().map(|r| r.end.saturating_sub(r.start)).sum();
                            if asked > MAX_FOOTER_SIZE {
                                return Err(Error::new(
                                    ErrorKind::LimitExceeded,
                                    format!(
                                        "the footer claims {asked} bytes, more than the {} MiB a footer may take",
                                        MAX_FOOTER_SIZE >> 20
                                    ),
                                )
                                .with_format(FORMAT));
                            }
                            return Ok(RangeStep::Need(ranges));
                        }
                        DecodeResult::Data(metadata) => {
                            check_metadata(&metadata, self.size)?;
                            let data = self.data_decoder(metadata)?;
                            self.reading = Reading::Data(Box::new(data));
                        }
                        DecodeResult::Finished => self.reading = Reading::Done,
                    }
                }
                Reading::Data(data) => {
                    let decoded = data.try_decode().map_err(|e| {
                        parquet_error(e).at(Position {
                            record: Some(self.given + 1),
                            ..Position::default()
                        })
                    })?;
                    match decoded {
                        DecodeResult::NeedsData(ranges) => return Ok(RangeStep::Need(ranges)),
                        DecodeResult::Data(batch) => {
                            let batch = match &self.order {
                                Some(order) => batch.project(order).map_err(parquet_error)?,
                                None => batch,
                            };
                            self.records = Some(BatchRecords::new(&batch)?)
                        }
                        DecodeResult::Finished => self.reading = Reading::Done,
                    }
                }
            }
        }
    }
}

/// Refuses metadata whose column chunks lie outside the file (the parquet crate panics on
/// negative ones, and asks for ranges beyond the end on others), or claim to unpack beyond
/// the default decompression limits (10,000 to 1, past the first MiB; 1 TiB in all).
fn check_metadata(metadata: &parquet::file::metadata::ParquetMetaData, size: u64) -> Result<()> {
    for (group, row_group) in metadata.row_groups().iter().enumerate() {
        for column in row_group.columns() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let length = column.compressed_size();
            let end = u64::try_from(start)
                .ok()
                .zip(u64::try_from(length).ok())
                .and_then(|(start, length)| start.checked_add(length));
            if end.is_none_or(|end| end > size) || row_group.num_rows() < 0 {
                return Err(Error::parse(
                    FORMAT,
                    format!(
                        "row group {group}: column {} claims bytes {start}..+{length} of a file of {size}",
                        column.column_path()
                    ),
                ));
            }
            let unpacked = u64::try_from(column.uncompressed_size()).unwrap_or(u64::MAX);
            let limits = iterable_core::DecompressionLimits::default();
            let allowed = unpack_allowed(length as u64, limits.max_ratio, 1 << 20);
            if unpacked > allowed.min(limits.max_size) {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "row group {group}: column {} claims {unpacked} bytes uncompressed from {length}, beyond the decompression limits",
                        column.column_path()
                    ),
                )
                .with_format(FORMAT));
            }
        }
    }
    Ok(())
}

/// Parquet's writer, for the [`BatchEncoder`].
struct ParquetSink(ArrowWriter<Written>);

impl BatchSink for ParquetSink {
    type Options = WriterProperties;
    const FORMAT: &'static str = FORMAT;

    fn start(out: Written, schema: SchemaRef, properties: &WriterProperties) -> Result<Self> {
        ArrowWriter::try_new(out, schema, Some(properties.clone()))
            .map(ParquetSink)
            .map_err(parquet_error)
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.0.write(batch).map_err(parquet_error)
    }

    fn finish(self) -> Result<()> {
        self.0.close().map(drop).map_err(parquet_error)
    }
}

/// Writes records as a Parquet file, a row group at a time: see the [module](self).
pub struct ParquetEncoder(BatchEncoder<ParquetSink>);

impl ParquetEncoder {
    /// An encoder with `options` ([`WRITE_OPTIONS`]).
    pub fn new(options: &FormatOptions) -> Result<ParquetEncoder> {
        options.check(FORMAT, WRITE_OPTIONS)?;
        let compression = match options.get("compression") {
            None => Compression::SNAPPY,
            Some(name) => compression(name)?,
        };
        let properties = WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(number(options, "row_group_size", 100_000)?))
            .build();
        let infer_rows = number(options, "infer_rows", 10_000)?;
        Ok(ParquetEncoder(BatchEncoder::new(properties, infer_rows)))
    }
}

forward_encoder!(ParquetEncoder);

/// A compression by name, with an optional level: `zstd`, `zstd(9)`, `gzip(6)`, `none`.
fn compression(name: &str) -> Result<Compression> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidRecord,
            format!(
                "{FORMAT} option compression={name:?}: expected none, snappy, gzip, brotli, lz4 or zstd, with a level in brackets if wanted"
            ),
        )
    };
    let (codec, level) = match name.split_once('(') {
        Some((codec, level)) => {
            let level = level.strip_suffix(')').ok_or_else(bad)?;
            (codec, Some(level.trim().parse::<i32>().map_err(|_| bad())?))
        }
        None => (name, None),
    };
    let level_error = |e: parquet::errors::ParquetError| {
        Error::new(
            ErrorKind::InvalidRecord,
            format!("{FORMAT} option compression={name:?}: {e}"),
        )
    };
    Ok(match codec.trim().to_ascii_lowercase().as_str() {
        "none" | "uncompressed" => Compression::UNCOMPRESSED,
        "snappy" => Compression::SNAPPY,
        "lz4" | "lz4_raw" => Compression::LZ4_RAW,
        "gzip" => Compression::GZIP(match level {
            Some(level) => {
                GzipLevel::try_new(u32::try_from(level).map_err(|_| bad())?).map_err(level_error)?
            }
            None => GzipLevel::default(),
        }),
        "brotli" => Compression::BROTLI(match level {
            Some(level) => BrotliLevel::try_new(u32::try_from(level).map_err(|_| bad())?)
                .map_err(level_error)?,
            None => BrotliLevel::default(),
        }),
        "zstd" => Compression::ZSTD(match level {
            Some(level) => ZstdLevel::try_new(level).map_err(level_error)?,
            None => ZstdLevel::default(),
        }),
        _ => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves `step`'s first request, the footer's last 8 bytes, claiming `length` bytes of
    /// metadata, in a file of `size` bytes; gives the next step.
    fn footer_claiming(length: u32, size: u64) -> Result<RangeStep> {
        let mut decoder = ParquetDecoder::new(&FormatOptions::default(), size)?;
        let RangeStep::Need(ranges) = decoder.step()? else {
            panic!("the footer first");
        };
        let data = ranges
            .iter()
            .map(|r| {
                // The tail of the file: the metadata's length, then the magic bytes.
                let mut tail = vec![0u8; (r.end - r.start) as usize];
                let n = tail.len();
                tail[n - 8..n - 4].copy_from_slice(&length.to_le_bytes());
                tail[n - 4..].copy_from_slice(b"PAR1");
                Bytes::from(tail)
            })
            .collect();
        decoder.push(ranges, data)?;
        decoder.step()
    }

    #[test]
    fn a_huge_footer_is_refused_before_it_is_read() {
        let error = footer_claiming(100 << 20, 1 << 40).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
        assert!(error.to_string().contains("104857600 bytes"), "{error}");
        // A footer within the limit is asked for.
        assert!(matches!(
            footer_claiming(1 << 20, 1 << 40),
            Ok(RangeStep::Need(_))
        ));
    }
}
