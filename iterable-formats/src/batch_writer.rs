//! Records written a batch at a time through an arrow-rs writer (Parquet's `ArrowWriter`,
//! Arrow IPC's file and stream writers), without I/O: one [`BatchEncoder`] takes the schema it
//! is given ([`Encoder::set_schema`], which `convert` passes on from a typed source, so widths
//! survive a round trip) or infers one from the first records (`infer_rows`, widening as they
//! come), checks every record against it (an error names the record and the field, never a
//! dropped value), gathers records into batches through the [Arrow bridge](crate::arrow), and
//! takes the writer's bytes out as they are written. A format gives its writer as a
//! [`BatchSink`].

use crate::arrow::{records_to_batch, schema_to_arrow};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::BytesMut;
use iterable_core::{DataType, Encoder, Error, Field, Record, Result, Schema};
use std::sync::{Arc, Mutex};

/// The bytes a writer writes, taken out as they come.
#[derive(Clone, Default)]
pub(crate) struct Written(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Written {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the writer panicked"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Written {
    /// Moves what was written into `dst`.
    fn drain_into(&self, dst: &mut BytesMut) {
        if let Ok(mut written) = self.0.lock() {
            dst.extend_from_slice(&written);
            written.clear();
        }
    }
}

/// A format's arrow-rs writer, as a [`BatchEncoder`] drives it.
pub(crate) trait BatchSink: Sized + Send {
    /// What the writer is made with (compression and the like).
    type Options: Send;

    /// The format's name, for errors.
    const FORMAT: &'static str;

    /// A writer of batches of `schema` into `out`.
    fn start(out: Written, schema: SchemaRef, options: &Self::Options) -> Result<Self>;

    /// Writes one batch.
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;

    /// Writes whatever ends the file.
    fn finish(self) -> Result<()>;
}

/// Records in one batch handed to the writer.
const BATCH_ROWS: usize = 8192;

/// Writes records through a [`BatchSink`]: see the [module](self).
pub(crate) struct BatchEncoder<S: BatchSink> {
    options: S::Options,
    schema: Option<Schema>,
    /// Whether the schema was given (records are checked) or is being inferred.
    given: bool,
    /// Records waiting for a batch (or for the schema to be inferred).
    pending: Vec<Record>,
    sink: Option<S>,
    written: Written,
    infer_rows: usize,
    /// Records taken so far.
    records: u64,
}

impl<S: BatchSink> BatchEncoder<S> {
    /// An encoder making its writer with `options`, inferring a schema from the first
    /// `infer_rows` records unless one is given first.
    pub(crate) fn new(options: S::Options, infer_rows: usize) -> BatchEncoder<S> {
        BatchEncoder {
            options,
            schema: None,
            given: false,
            pending: Vec::new(),
            sink: None,
            written: Written::default(),
            infer_rows: infer_rows.max(1),
            records: 0,
        }
    }

    /// Hands the pending records to the writer as a batch (starting it, with the schema as
    /// it is, when it is not yet).
    fn flush_pending(&mut self, dst: &mut BytesMut) -> Result<()> {
        if self.pending.is_empty() && self.sink.is_some() {
            return Ok(());
        }
        if self.sink.is_none() {
            let schema = self.schema.take().unwrap_or_default();
            let fields = schema.fields().iter().map(|f| writable(f, !self.given));
            let schema = Schema::new(fields.collect());
            if !self.given {
                // Widened on the way (integers into floats), the schema may no longer hold the
                // first records exactly: an error, not a rounded value.
                let first = self.records - self.pending.len() as u64 + 1;
                for (index, record) in (first..).zip(&self.pending) {
                    schema
                        .check(record, index)
                        .map_err(|e| e.with_format(S::FORMAT))?;
                }
            }
            let arrow = Arc::new(schema_to_arrow(&schema));
            self.sink = Some(S::start(self.written.clone(), arrow, &self.options)?);
            self.schema = Some(schema);
        }
        if !self.pending.is_empty() {
            let schema = self.schema.as_ref().expect("set with the sink");
            let first = self.records - self.pending.len() as u64 + 1;
            let batch =
                records_to_batch(&self.pending, schema, first).map_err(|e| self.explain(e))?;
            self.pending.clear();
            if let Some(sink) = &mut self.sink {
                sink.write(&batch)?;
            }
        }
        self.written.drain_into(dst);
        Ok(())
    }

    /// Says where an inferred schema came from, in an error about a record after those it was
    /// inferred from that it cannot hold.
    fn explain(&self, error: Error) -> Error {
        let after_inference = error
            .position()
            .record
            .is_some_and(|record| record > self.infer_rows as u64);
        if self.given || !after_inference {
            return error.with_format(S::FORMAT);
        }
        let message = format!(
            "{} (the schema was inferred from the first {} records: raise -O infer_rows)",
            error.message(),
            self.infer_rows
        );
        Error::new(error.kind(), message)
            .with_format(S::FORMAT)
            .at(error.position())
    }
}

/// `field` as the writer can hold it: what only nulls were seen for is text (Parquet has no
/// null type, and a column of nulls is most often text that was missing), at every depth; an
/// inferred field is nullable, at every depth, so that a null after the records it was
/// inferred from is written, not refused.
fn writable(field: &Field, inferred: bool) -> Field {
    let data_type = match &field.data_type {
        DataType::Null => DataType::String,
        DataType::List(item) => DataType::List(Box::new(writable(item, inferred))),
        DataType::Struct(fields) => {
            DataType::Struct(fields.iter().map(|f| writable(f, inferred)).collect())
        }
        DataType::Map(key, value) => {
            DataType::Map(key.clone(), Box::new(writable(value, inferred)))
        }
        other => other.clone(),
    };
    Field {
        data_type,
        nullable: field.nullable || inferred || field.data_type == DataType::Null,
        ..field.clone()
    }
}

impl<S: BatchSink> Encoder for BatchEncoder<S> {
    fn set_schema(&mut self, schema: &Schema) -> Result<()> {
        if self.sink.is_none() && self.pending.is_empty() {
            self.schema = Some(schema.clone());
            self.given = true;
        }
        Ok(())
    }

    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        let index = self.records + 1;
        let inferring = !self.given && self.sink.is_none();
        if inferring {
            self.schema
                .get_or_insert_with(Schema::default)
                .widen(record, index)
                .map_err(|e| e.with_format(S::FORMAT))?;
        } else if let Some(schema) = &self.schema {
            schema.check(record, index).map_err(|e| self.explain(e))?;
        }
        self.pending.push(record.clone());
        self.records = index;
        let enough = if inferring {
            self.infer_rows
        } else {
            BATCH_ROWS
        };
        if self.pending.len() >= enough {
            self.flush_pending(dst)?;
        }
        Ok(())
    }

    fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        self.flush_pending(dst)?;
        if let Some(sink) = self.sink.take() {
            sink.finish()?;
        }
        self.written.drain_into(dst);
        Ok(())
    }
}

/// Implements [`Encoder`] for a format's encoder that is a [`BatchEncoder`] inside
/// (`struct ParquetEncoder(BatchEncoder<ParquetSink>)`).
macro_rules! forward_encoder {
    ($encoder:ty) => {
        impl iterable_core::Encoder for $encoder {
            fn set_schema(&mut self, schema: &iterable_core::Schema) -> iterable_core::Result<()> {
                self.0.set_schema(schema)
            }

            fn encode(
                &mut self,
                record: &iterable_core::Record,
                dst: &mut bytes::BytesMut,
            ) -> iterable_core::Result<()> {
                self.0.encode(record, dst)
            }

            fn finish(&mut self, dst: &mut bytes::BytesMut) -> iterable_core::Result<()> {
                self.0.finish(dst)
            }
        }
    };
}

pub(crate) use forward_encoder;
