//! Compression codecs: which exist, how they are recognised (name, magic bytes), and their
//! sans-IO [`iterable_core::Codec`]s, on compression-codecs (the core under async-compression).
//!
//! Each codec is a cargo feature of this crate (`gzip`, on by default, `bzip2`, `xz`, `zstd`,
//! `lz4`, `brotli`, or `all-codecs`). A codec named in a file name or found by its magic bytes
//! but not built in is an [`ErrorKind::Unsupported`] error naming the feature.

use iterable_core::{Codec, Decompression, DecompressionLimits, Error, ErrorKind, Result};

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecKind {
    /// gzip (RFC 1952), several members read one after another.
    Gzip,
    /// zlib (RFC 1950).
    Zlib,
    /// Raw deflate (RFC 1951).
    Deflate,
    /// bzip2, several streams read one after another.
    Bzip2,
    /// xz.
    Xz,
    /// Legacy lzma (`.lzma`).
    Lzma,
    /// Zstandard, several frames read one after another.
    Zstd,
    /// LZ4 frame format.
    Lz4,
    /// Brotli.
    Brotli,
    /// Snappy, framing format.
    Snappy,
    /// Zip archives: the members matching a pattern, one after another.
    Zip,
}

impl CodecKind {
    /// Every codec.
    pub const ALL: [CodecKind; 11] = [
        CodecKind::Gzip,
        CodecKind::Zlib,
        CodecKind::Deflate,
        CodecKind::Bzip2,
        CodecKind::Xz,
        CodecKind::Lzma,
        CodecKind::Zstd,
        CodecKind::Lz4,
        CodecKind::Brotli,
        CodecKind::Snappy,
        CodecKind::Zip,
    ];

    /// The name used in options and errors: `gzip`, `zstd`, ...
    pub fn name(self) -> &'static str {
        match self {
            CodecKind::Gzip => "gzip",
            CodecKind::Zlib => "zlib",
            CodecKind::Deflate => "deflate",
            CodecKind::Bzip2 => "bzip2",
            CodecKind::Xz => "xz",
            CodecKind::Lzma => "lzma",
            CodecKind::Zstd => "zstd",
            CodecKind::Lz4 => "lz4",
            CodecKind::Brotli => "brotli",
            CodecKind::Snappy => "snappy",
            CodecKind::Zip => "zip",
        }
    }

    /// File name extensions, without the dot; the first is written.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            CodecKind::Gzip => &["gz", "gzip"],
            CodecKind::Zlib => &["zz", "zlib"],
            CodecKind::Deflate => &["deflate"],
            CodecKind::Bzip2 => &["bz2", "bzip2"],
            CodecKind::Xz => &["xz"],
            CodecKind::Lzma => &["lzma"],
            CodecKind::Zstd => &["zst", "zstd"],
            CodecKind::Lz4 => &["lz4"],
            CodecKind::Brotli => &["br"],
            CodecKind::Snappy => &["sz", "snappy"],
            CodecKind::Zip => &["zip"],
        }
    }

    /// The bytes a stream starts with, for codecs that have distinctive ones.
    pub fn magic(self) -> Option<&'static [u8]> {
        match self {
            CodecKind::Gzip => Some(&[0x1f, 0x8b]),
            CodecKind::Bzip2 => Some(b"BZh"),
            CodecKind::Xz => Some(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]),
            CodecKind::Zstd => Some(&[0x28, 0xb5, 0x2f, 0xfd]),
            CodecKind::Lz4 => Some(&[0x04, 0x22, 0x4d, 0x18]),
            CodecKind::Snappy => Some(b"\xff\x06\x00\x00sNaPpY"),
            CodecKind::Zip => Some(b"PK\x03\x04"),
            CodecKind::Zlib | CodecKind::Deflate | CodecKind::Lzma | CodecKind::Brotli => None,
        }
    }

    /// The cargo feature of `iterable-formats` that builds it.
    pub fn feature(self) -> &'static str {
        match self {
            CodecKind::Gzip | CodecKind::Zlib | CodecKind::Deflate => "gzip",
            CodecKind::Bzip2 => "bzip2",
            CodecKind::Xz | CodecKind::Lzma => "xz",
            CodecKind::Zstd => "zstd",
            CodecKind::Lz4 => "lz4",
            CodecKind::Brotli => "brotli",
            CodecKind::Snappy => "snappy",
            CodecKind::Zip => "zip",
        }
    }

    /// Looks up a codec by name or extension, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<CodecKind> {
        let name = name.to_ascii_lowercase();
        CodecKind::ALL
            .into_iter()
            .find(|c| c.name() == name || c.extensions().contains(&name.as_str()))
    }

    /// The codec a file name's last extension names, and the name without it:
    /// `data.csv.gz` gives gzip and `data.csv`.
    ///
    /// ```
    /// use iterable_formats::compression::CodecKind;
    /// assert_eq!(CodecKind::from_file_name("logs.jsonl.zst"), Some((CodecKind::Zstd, "logs.jsonl")));
    /// assert_eq!(CodecKind::from_file_name("data.csv"), None);
    /// ```
    pub fn from_file_name(name: &str) -> Option<(CodecKind, &str)> {
        let (inner, extension) = name.rsplit_once('.')?;
        CodecKind::from_name(extension).map(|codec| (codec, inner))
    }

    /// The codec whose magic bytes `head` starts with.
    ///
    /// ```
    /// use iterable_formats::compression::CodecKind;
    /// assert_eq!(CodecKind::from_magic(&[0x1f, 0x8b, 8, 0]), Some(CodecKind::Gzip));
    /// assert_eq!(CodecKind::from_magic(b"id,name\n"), None);
    /// ```
    pub fn from_magic(head: &[u8]) -> Option<CodecKind> {
        CodecKind::ALL
            .into_iter()
            .find(|c| c.magic().is_some_and(|magic| head.starts_with(magic)))
    }

    /// A decompressing stage for this codec, under `limits`. Not for zip, whose members are
    /// each decoded from their own start: [`crate::zip::ArchiveDecoder`] reads them.
    pub fn decompression(self, limits: DecompressionLimits) -> Result<Decompression> {
        Ok(Decompression::new(
            self.decompressor()?,
            self.name(),
            limits,
        ))
    }

    /// The decompressing codec. Not for zip: its members are read by
    /// [`crate::zip::ArchiveDecoder`], each from its own start (its own header row), which a
    /// codec that runs their bytes together cannot do.
    pub fn decompressor(self) -> Result<Box<dyn Codec>> {
        if self == CodecKind::Zip {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "zip archives are read member by member (iterable_formats::zip::ArchiveDecoder), not as one stream",
            ));
        }
        #[cfg(feature = "snappy")]
        if self == CodecKind::Snappy {
            return Ok(Box::new(crate::snappy::SnappyDecompressor::new()));
        }
        built::decompressor(self).ok_or_else(|| self.not_built())
    }

    /// The compressing codec, at `level` (the codec's own scale; `None` for its default). A zip
    /// archive gets one member, called `member`.
    pub fn compressor(self, level: Option<i32>, member: &str) -> Result<Box<dyn Codec>> {
        #[cfg(feature = "zip")]
        if self == CodecKind::Zip {
            return Ok(Box::new(crate::zip::ZipCompressor::new(member, level)));
        }
        let _ = member;
        #[cfg(feature = "snappy")]
        if self == CodecKind::Snappy {
            return Ok(Box::new(crate::snappy::SnappyCompressor::new()));
        }
        built::compressor(self, level).ok_or_else(|| self.not_built())
    }

    /// True when this build has the codec (its cargo feature was on).
    pub fn is_built(self) -> bool {
        match self {
            CodecKind::Zip => cfg!(feature = "zip"),
            _ => self.decompressor().is_ok(),
        }
    }

    pub(crate) fn not_built(self) -> Error {
        Error::new(
            ErrorKind::Unsupported,
            format!(
                "{} is not built in: enable the \"{}\" feature of iterable-formats",
                self.name(),
                self.feature()
            ),
        )
    }
}

#[cfg(any(
    feature = "gzip",
    feature = "bzip2",
    feature = "xz",
    feature = "zstd",
    feature = "lz4",
    feature = "brotli"
))]
mod built {
    use super::CodecKind;
    use bytes::BytesMut;
    use compression_codecs::core::Level;
    use compression_codecs::core::util::{PartialBuffer, WriteBuffer};
    use compression_codecs::{DecodeV2, EncodeV2};
    use iterable_core::{Codec, Error, Position, Result};

    /// Output room given to a codec per call.
    const CHUNK: usize = 64 * 1024;

    pub(super) fn decompressor(kind: CodecKind) -> Option<Box<dyn Codec>> {
        let inner: Box<dyn DecodeV2 + Send> = match kind {
            #[cfg(feature = "gzip")]
            CodecKind::Gzip => Box::new(compression_codecs::GzipDecoder::new()),
            #[cfg(feature = "gzip")]
            CodecKind::Zlib => Box::new(compression_codecs::ZlibDecoder::new()),
            #[cfg(feature = "gzip")]
            CodecKind::Deflate => Box::new(compression_codecs::DeflateDecoder::new()),
            #[cfg(feature = "bzip2")]
            CodecKind::Bzip2 => Box::new(compression_codecs::BzDecoder::new()),
            #[cfg(feature = "xz")]
            CodecKind::Xz => Box::new(compression_codecs::XzDecoder::new()),
            #[cfg(feature = "xz")]
            CodecKind::Lzma => Box::new(compression_codecs::LzmaDecoder::new()),
            #[cfg(feature = "zstd")]
            CodecKind::Zstd => Box::new(compression_codecs::ZstdDecoder::new()),
            #[cfg(feature = "lz4")]
            CodecKind::Lz4 => Box::new(compression_codecs::Lz4Decoder::new()),
            #[cfg(feature = "brotli")]
            CodecKind::Brotli => Box::new(compression_codecs::BrotliDecoder::new()),
            #[allow(unreachable_patterns)]
            _ => return None,
        };
        Some(Box::new(Decompressor {
            inner,
            kind,
            stage: Stage::Decoding,
            output_was_full: false,
            consumed: 0,
        }))
    }

    pub(super) fn compressor(kind: CodecKind, level: Option<i32>) -> Option<Box<dyn Codec>> {
        let level = level.map_or(Level::Default, Level::Precise);
        let inner: Box<dyn EncodeV2 + Send> = match kind {
            #[cfg(feature = "gzip")]
            CodecKind::Gzip => Box::new(compression_codecs::GzipEncoder::new(level.into())),
            #[cfg(feature = "gzip")]
            CodecKind::Zlib => Box::new(compression_codecs::ZlibEncoder::new(level.into())),
            #[cfg(feature = "gzip")]
            CodecKind::Deflate => Box::new(compression_codecs::DeflateEncoder::new(level.into())),
            #[cfg(feature = "bzip2")]
            CodecKind::Bzip2 => Box::new(compression_codecs::BzEncoder::new(level.into(), 0)),
            #[cfg(feature = "xz")]
            CodecKind::Xz => Box::new(compression_codecs::XzEncoder::new(level)),
            #[cfg(feature = "xz")]
            CodecKind::Lzma => Box::new(compression_codecs::LzmaEncoder::new(level)),
            #[cfg(feature = "zstd")]
            CodecKind::Zstd => Box::new(compression_codecs::ZstdEncoder::new(match level {
                Level::Precise(n) => n,
                _ => 3,
            })),
            #[cfg(feature = "lz4")]
            CodecKind::Lz4 => Box::new(compression_codecs::Lz4Encoder::new(
                compression_codecs::lz4::params::EncoderParams::default().level(level),
            )),
            #[cfg(feature = "brotli")]
            CodecKind::Brotli => Box::new(compression_codecs::BrotliEncoder::new(
                compression_codecs::brotli::params::EncoderParams::default().quality(level),
            )),
            #[allow(unreachable_patterns)]
            _ => return None,
        };
        Some(Box::new(Compressor { inner, kind }))
    }

    /// Where a decompressor stands in the current gzip member, bzip2 stream or zstd frame.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Stage {
        Decoding,
        /// The stream's end was read; its last output is being drained.
        Finishing,
        /// Complete. More input starts a new member, stream or frame.
        Ended,
    }

    /// Decompression with restarts: when a gzip member, bzip2 stream or zstd frame ends and
    /// input follows, the next one is read.
    struct Decompressor {
        inner: Box<dyn DecodeV2 + Send>,
        kind: CodecKind,
        stage: Stage,
        /// The last call filled its output: more may come without more input.
        output_was_full: bool,
        /// Compressed bytes consumed so far.
        consumed: u64,
    }

    impl Decompressor {
        fn error(&self, error: std::io::Error, at: usize) -> Error {
            Error::parse(
                self.kind.name(),
                format!("corrupt {} stream: {error}", self.kind.name()),
            )
            .with_source(error)
            .at(Position {
                byte: Some(self.consumed + at as u64),
                ..Position::default()
            })
        }

        fn truncated(&self) -> Error {
            let what = if self.consumed == 0 {
                "empty"
            } else {
                "cut short"
            };
            Error::parse(
                self.kind.name(),
                format!(
                    "the {} stream is {what} (truncated input?)",
                    self.kind.name()
                ),
            )
            .at(Position {
                byte: Some(self.consumed),
                ..Position::default()
            })
        }

        /// One step into `output`'s spare room: decode some of `input`, or drain.
        fn step(&mut self, input: &[u8], out: &mut WriteBuffer<'_>) -> std::io::Result<usize> {
            let mut consumed = 0;
            if self.stage == Stage::Decoding && (!input.is_empty() || self.output_was_full) {
                let mut input = PartialBuffer::new(input);
                let ended = self.inner.decode(&mut input, out);
                consumed = input.written_len();
                if ended? {
                    self.stage = Stage::Finishing;
                }
            }
            if self.stage == Stage::Finishing && self.inner.finish(out)? {
                self.stage = Stage::Ended;
            }
            Ok(consumed)
        }
    }

    impl Codec for Decompressor {
        fn process(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize> {
            if self.stage == Stage::Ended {
                if input.is_empty() {
                    return Ok(0);
                }
                self.inner.reinit().map_err(|e| self.error(e, 0))?;
                self.stage = Stage::Decoding;
            }
            let start = output.len();
            output.resize(start + CHUNK, 0);
            let mut out = WriteBuffer::new_initialized(&mut output[start..]);
            let stepped = self.step(input, &mut out);
            let written = out.written_len();
            self.output_was_full = written == CHUNK;
            output.truncate(start + written);
            let consumed = stepped.map_err(|e| self.error(e, 0))?;
            self.consumed += consumed as u64;
            Ok(consumed)
        }

        fn finish(&mut self, output: &mut BytesMut) -> Result<()> {
            while self.stage == Stage::Finishing
                || (self.stage == Stage::Decoding && self.output_was_full)
            {
                self.process(&[], output)?;
            }
            match self.stage {
                Stage::Ended => Ok(()),
                _ => Err(self.truncated()),
            }
        }
    }

    struct Compressor {
        inner: Box<dyn EncodeV2 + Send>,
        kind: CodecKind,
    }

    impl Codec for Compressor {
        fn process(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize> {
            let start = output.len();
            output.resize(start + CHUNK, 0);
            let mut input = PartialBuffer::new(input);
            let mut out = WriteBuffer::new_initialized(&mut output[start..]);
            let encoded = self.inner.encode(&mut input, &mut out);
            let written = out.written_len();
            output.truncate(start + written);
            encoded.map_err(|e| {
                Error::new(iterable_core::ErrorKind::Io, e.to_string())
                    .with_format(self.kind.name())
            })?;
            Ok(input.written_len())
        }

        fn finish(&mut self, output: &mut BytesMut) -> Result<()> {
            loop {
                let start = output.len();
                output.resize(start + CHUNK, 0);
                let mut out = WriteBuffer::new_initialized(&mut output[start..]);
                let finished = self.inner.finish(&mut out);
                let written = out.written_len();
                output.truncate(start + written);
                let done = finished.map_err(|e| {
                    Error::new(iterable_core::ErrorKind::Io, e.to_string())
                        .with_format(self.kind.name())
                })?;
                if done {
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(not(any(
    feature = "gzip",
    feature = "bzip2",
    feature = "xz",
    feature = "zstd",
    feature = "lz4",
    feature = "brotli"
)))]
mod built {
    use super::CodecKind;
    use iterable_core::Codec;

    pub(super) fn decompressor(_: CodecKind) -> Option<Box<dyn Codec>> {
        None
    }

    pub(super) fn compressor(_: CodecKind, _: Option<i32>) -> Option<Box<dyn Codec>> {
        None
    }
}

/// Whether input or output is compressed, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// From the file name, then (reading) from the magic bytes.
    #[default]
    Detect,
    /// Not compressed, whatever the name says.
    None,
    /// This codec.
    Use(CodecKind),
}

impl Compression {
    /// Parses `none`, `auto`, or a codec name.
    pub fn from_name(name: &str) -> Option<Compression> {
        match name.to_ascii_lowercase().as_str() {
            "none" => Some(Compression::None),
            "auto" | "detect" => Some(Compression::Detect),
            other => CodecKind::from_name(other).map(Compression::Use),
        }
    }
}
