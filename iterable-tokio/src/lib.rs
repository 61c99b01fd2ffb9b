//! The tokio adapter of iterable (not built yet).
//!
//! It will expose the same names as `iterable-sync` with `.await` (`open`, `open_with`,
//! `from_reader` over `tokio::io::AsyncRead`, `from_stream`, `create`, `to_writer`, `convert`),
//! feeding the sans-IO decoders of `iterable-formats` from tokio's own I/O on the calling task,
//! plus `tokio_util::codec` adapters for the decoders and encoders.
