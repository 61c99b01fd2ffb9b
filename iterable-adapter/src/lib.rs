//! The runtime-neutral half of the iterable adapters, written once: `iterable-sync`,
//! `iterable-tokio` and `iterable-smol` keep only what their runtime needs.
//!
//! What is here:
//! - [`Probe`], [`ReadState`] and [`WriteState`]: the reader's and writer's state machines over
//!   a small I/O seam (a blocking `read`, or an async `poll_read`, passed in as a closure), with
//!   the input's codec and format found from its first bytes, and the counts as one
//!   [`ReadStats`].
//! - [`Ahead`]: reading ahead, where a second thread reads and *parses* records into batches
//!   and the reader's own thread or task *builds* them, so that every allocation of a record
//!   stays on one thread; [`Decoding`] is a reader's choice between that and decoding inline.
//!   [`ThreadReader`] reads a blocking input (a file, stdin) on a thread of its own, as a
//!   futures-io `AsyncRead`, and [`ThreadWriter`] writes a blocking output (a file, stdout) on
//!   one, as an `AsyncWrite`.
//! - [`Source`] and [`Target`]: what a [`Location`] is to read from and to write to, and
//!   [`ConvertPlan`], the planning, progress totals and results of `convert_many`, for every
//!   adapter.
//! - The async API over the [`Runtime`] seam: [`Reader`] (a `Stream`), [`Writer`] (a `Sink`),
//!   [`open_with`], [`create_with`], [`convert`], [`convert_many`], [`pipeline`], on
//!   futures-io's `AsyncRead` and `AsyncWrite`. iterable-tokio and iterable-smol implement
//!   [`Runtime`] (blocking work, spawning, the remote clients) and give these the names of the
//!   mirrored API.
//!
//! Why a crate and not a module: this code sits above `iterable-sources` (it opens locations
//! and atomic files, and lists inputs) and below the three adapters, and must itself depend on
//! no runtime. `iterable-formats` cannot hold it (formats do no I/O), `iterable-sources` is
//! about where bytes live, and each adapter must be usable without the others. It uses threads
//! (reading ahead) and futures-io's traits, never an executor: its futures run on whichever one
//! polls them.
#![warn(missing_docs)]

mod ahead;
mod convert;
mod location;
mod ranged;
mod read_state;
mod reader;
mod runtime;
mod thread_reader;
mod thread_writer;
mod write_state;
mod writer;

pub use ahead::{AHEAD_MIN_SIZE, Ahead, Decoding};
pub use convert::{
    ConvertJob, ConvertOptions, ConvertPlan, ConvertStats, Converted, Records, convert,
    convert_many, panicked, pass_schema, pipeline,
};
pub use location::{
    OpenedFile, Source, Target, open_file, reading, remote_fetch, remote_unsupported, writing,
};
pub use ranged::{RangeSource, Ranged, RangedNext, RangedState, RemoteRanges, Spool};
pub use read_state::{ParsedAhead, Probe, Probed, RangedProbe, ReadState, ReadStats, locate};
pub use reader::{Reader, from_reader, from_stream, open_with};
pub use runtime::{DynRead, DynWrite, RemoteInput, Runtime, not_completed};
pub use thread_reader::ThreadReader;
pub use thread_writer::ThreadWriter;
pub use write_state::WriteState;
pub use writer::{Writer, create_with, to_writer};

/// Re-exported for the adapters' signatures.
pub use iterable_sources::Location;
