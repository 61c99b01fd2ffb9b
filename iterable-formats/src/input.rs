//! What reading an input takes, found from the options, the input's name and its first bytes:
//! the codec, the format (with its dialect), and the decoder. Sans-IO: the caller reads the
//! first bytes ([`crate::SNIFF_BYTES`] of them, or the whole input when shorter).

use crate::compression::{CodecKind, Compression};
use crate::encoding::{
    EncodingErrors, EncodingFound, EncodingFoundBy, TextEncoding, Transcoder, detect_encoding,
};
use crate::{Detection, Format, FormatOptions, ReadOptions, SNIFF_BYTES, detect_head};
use bytes::BytesMut;
use iterable_core::{Decoder, Decompression, DetectedBy, Error, ErrorKind, Result};

/// The most of a compressed input read to find its format: a codec that gives nothing for a
/// long while (bzip2 works in blocks of up to 900 kB) is given this much before the format is
/// told from what came out.
pub const MAX_HEAD: usize = 16 << 20;

/// What [`prepare_input`] made of an input's first bytes.
#[allow(clippy::large_enum_variant)] // made once per input
pub enum Prepared {
    /// The decoder, and how the format was found.
    Ready(PreparedInput),
    /// The first bytes, given back: a codec gave too little of them to tell the format;
    /// read more and call again.
    NeedMore(BytesMut),
}

/// The decoder of an input and how it was found ([`prepare_input`]).
pub struct PreparedInput {
    /// How the codec and the format were found, with the format's options in force (given,
    /// implied by the name, or sniffed from the first bytes: CSV's delimiter).
    pub detection: Detection,
    /// The decoder: of the decompressed bytes when [`PreparedInput::decompression`] is set,
    /// of the raw bytes otherwise (an archive's decoder unzips them itself). `None` for a
    /// format read by ranges ([`iterable_core::Capabilities::random_access`]): the caller reads
    /// it by ranges ([`crate::Format::ranged_decoder`]), from the input itself when it can seek
    /// and the bytes are not compressed, from a copy of them otherwise.
    pub decoder: Option<Box<dyn Decoder + Send>>,
    /// The bytes the decoder starts with: the first bytes, decompressed when they go through
    /// [`PreparedInput::decompression`]. None of the input is lost.
    pub head: BytesMut,
    /// The decompression that the rest of the input goes through before the decoder.
    pub decompression: Option<Decompression>,
    /// An error met while decompressing the first bytes, after what they gave: the reader
    /// returns it once the records before it are out.
    pub error: Option<Error>,
}

/// Finds the codec (from the options, else the name's last extension, else the magic bytes)
/// and the format inside (from the options, else the name, else the decompressed content) of
/// an input called `name` (`None` for a stream) that starts with `head` (`complete` when that
/// is all of it), and makes its decoder. The format's options are checked: a key it does not
/// know is an error listing those it does.
///
/// Gives the head back ([`Prepared::NeedMore`]) when it goes through a codec that gave fewer
/// than [`SNIFF_BYTES`] bytes and the input goes on: read more (up to [`MAX_HEAD`]) and call
/// again with all of it.
///
/// A zip archive's members are decoded one by one, each as a whole input, all in the format
/// of the first ([`crate::zip::ArchiveDecoder`]); the first member's name names the format.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{DecodeDriver, ErrorPolicy, Step};
/// use iterable_formats::{prepare_input, Format, Prepared, ReadOptions};
///
/// let Prepared::Ready(prepared) = prepare_input(&ReadOptions::default(), None, BytesMut::from("a;b\n1;2\n"), true)? else {
///     panic!("the whole input is there");
/// };
/// assert_eq!(prepared.detection.format, Format::CSV);
/// assert_eq!(prepared.detection.options.get("delimiter"), Some(";"));
/// let mut driver = DecodeDriver::with_buffer(prepared.decoder.unwrap(), prepared.head, ErrorPolicy::Fail);
/// driver.end_input();
/// let Step::Record(record) = driver.step()? else { panic!("a record") };
/// assert_eq!(record.get("b").and_then(|v| v.as_str()), Some("2"));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub fn prepare_input(
    options: &ReadOptions,
    name: Option<&str>,
    head: BytesMut,
    complete: bool,
) -> Result<Prepared> {
    let mut name = name;
    let codec = match options.compression {
        Compression::Use(codec) => Some(codec),
        Compression::None => None,
        Compression::Detect => match name.and_then(CodecKind::from_file_name) {
            Some((codec, inner)) => {
                name = Some(inner);
                Some(codec)
            }
            // A format that is a codec's container (a workbook is a zip archive) is the
            // format, when it is named so or its content says so.
            None => CodecKind::from_magic(&head).filter(|_| {
                let named = Detection::before_content(options, name);
                !match named {
                    Some(named) => named.format.info().has_magic(&head),
                    None => crate::detect::claimed_by_magic(&head).is_some(),
                }
            }),
        },
    };
    let enough = |decoded: &[u8], head: &[u8]| {
        complete || decoded.len() >= SNIFF_BYTES || head.len() >= MAX_HEAD
    };
    match codec {
        Some(CodecKind::Zip) => prepare_archive(options, name, head, complete, enough),
        Some(codec) => {
            let mut decompression = codec.decompression(options.decompression_limits)?;
            let mut decoded = BytesMut::new();
            decompression.push(&head);
            let error = match decompression.run(&mut decoded) {
                Ok(()) if !enough(&decoded, &head) => return Ok(Prepared::NeedMore(head)),
                Ok(()) => None,
                // Nothing came before the error, or a limit struck (a bomb is stopped, not
                // read): failing now loses nothing worth having.
                Err(error) if decoded.is_empty() || error.kind() == ErrorKind::LimitExceeded => {
                    return Err(error);
                }
                Err(error) => Some(error),
            };
            let (detection, _) = detect(options, name, &decoded, complete, Some(codec))?;
            Ok(Prepared::Ready(PreparedInput {
                decoder: stream_decoder(&detection, options.max_record_size)?,
                detection,
                head: decoded,
                decompression: Some(decompression),
                error,
            }))
        }
        None => {
            let (detection, _) = detect(options, name, &head, complete, None)?;
            Ok(Prepared::Ready(PreparedInput {
                decoder: stream_decoder(&detection, options.max_record_size)?,
                detection,
                head,
                decompression: None,
                error: None,
            }))
        }
    }
}

/// The decoder of a streamed format; `None` for one read by ranges (its options checked).
fn stream_decoder(
    detection: &Detection,
    max_record_size: usize,
) -> Result<Option<Box<dyn Decoder + Send>>> {
    let format = detection.format;
    if format.info().capabilities.random_access {
        detection
            .options
            .check(format.info().name, format.spec().read_options())?;
        return Ok(None);
    }
    format
        .decoder(&detection.options, max_record_size)
        .map(Some)
}

/// The format from the options, else the name, else `content`; with the options in force:
/// the options', over the name's, over the dialect `content` shows. Also gives the options
/// without what was sniffed (for an archive's members, which each show their own).
///
/// A text format's encoding is found first (named, else a byte order mark or the content:
/// [`detect_encoding`]); content in another encoding than UTF-8 is sniffed as UTF-8, and the
/// encoding goes into the options, so that the decoder transcodes.
fn detect(
    options: &ReadOptions,
    name: Option<&str>,
    content: &[u8],
    complete: bool,
    codec: Option<CodecKind>,
) -> Result<(Detection, FormatOptions)> {
    // Binary formats are told by their magic bytes, in no encoding.
    let binary = Format::all().any(|f| !f.spec().is_text() && f.info().has_magic(content));
    let found = match options
        .options
        .get("encoding")
        .map(TextEncoding::from_label)
    {
        Some(Some(encoding)) => Some(EncodingFound {
            encoding,
            by: EncodingFoundBy::Options,
        }),
        // An unknown name is the decoder's error to give.
        Some(None) => None,
        None if binary => None,
        None => Some(detect_encoding(content, complete)),
    };
    let transcoded;
    let text = match found {
        Some(found) if !found.encoding.is_utf8() => {
            let mut utf8 = BytesMut::new();
            let mut transcoder = Transcoder::new(found.encoding, EncodingErrors::Replace);
            // Replacement characters, if any, are for the sniffers only.
            let _ = transcoder.push(content, &mut utf8, complete);
            transcoded = utf8;
            &transcoded[..]
        }
        _ => content,
    };
    let (mut detection, named) = match Detection::before_content(options, name) {
        Some(detection) => {
            let named = detection.options.clone();
            (detection, named)
        }
        None => (detect_head(text, complete, name)?, FormatOptions::default()),
    };
    detection.codec = codec;
    if detection.by != DetectedBy::Content {
        let sniffed = detection.format.spec().sniff(text, complete);
        if let Some(sniffed) = sniffed {
            detection.options = sniffed.options.merged(&detection.options);
        }
    }
    let named = named.merged(&options.options);
    if detection.format.spec().is_text() {
        detection.encoding = found;
        // Not for an archive's members (`named`): each may be in its own; they are read in
        // the encoding the options name, else UTF-8.
        if let Some(found) =
            found.filter(|f| f.by != EncodingFoundBy::Options && !f.encoding.is_utf8())
        {
            detection.options.set("encoding", found.encoding.name());
        }
    }
    detection.options = detection.options.merged(&options.options);
    Ok((detection, named))
}

#[cfg(feature = "zip")]
fn prepare_archive(
    options: &ReadOptions,
    name: Option<&str>,
    head: BytesMut,
    complete: bool,
    enough: impl Fn(&[u8], &[u8]) -> bool,
) -> Result<Prepared> {
    let limits = options.decompression_limits;
    let members = options.zip_members.as_deref();
    let (first, content) = crate::zip::peek(&head, members, limits)?;
    if !enough(&content, &head) {
        return Ok(Prepared::NeedMore(head));
    }
    let name = first.as_deref().or(name);
    let (detection, unsniffed) = detect(options, name, &content, complete, Some(CodecKind::Zip))?;
    // Each member shows its own dialect (CSV's delimiter), as a whole input would.
    let (format, format_options) = (detection.format, unsniffed);
    let max_record_size = options.max_record_size;
    let make = move || -> Result<Box<dyn Decoder + Send>> {
        match format.info().capabilities.random_access {
            // A member is a stream: held in memory, then read by ranges.
            true => Ok(Box::new(crate::zip::RangedMember::new(
                format,
                format_options.clone(),
            ))),
            false => format.decoder(&format_options, max_record_size),
        }
    };
    let decoder =
        crate::zip::ArchiveDecoder::new(members, limits, make, options.member_field.clone())?;
    Ok(Prepared::Ready(PreparedInput {
        detection,
        decoder: Some(Box::new(decoder)),
        head,
        decompression: None,
        error: None,
    }))
}

#[cfg(not(feature = "zip"))]
fn prepare_archive(
    _: &ReadOptions,
    _: Option<&str>,
    _: BytesMut,
    _: bool,
    _: impl Fn(&[u8], &[u8]) -> bool,
) -> Result<Prepared> {
    Err(CodecKind::Zip.not_built())
}
