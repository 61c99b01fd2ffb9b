//! The smol and async-std adapter of iterable (not built yet).
//!
//! It will expose the same names as `iterable-sync` with `.await`, over `futures-io`'s
//! `AsyncRead` and `AsyncWrite`, so that it runs under smol and async-std alike.
