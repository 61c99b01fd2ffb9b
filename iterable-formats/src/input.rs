//! What reading an input takes, found from the options, the input's name and its first bytes:
//! the codec, the format (with its dialect), and the decoder. Sans-IO: the caller reads the
//! first bytes ([`crate::SNIFF_BYTES`] of them, or the whole input when shorter).

use crate::compression::{CodecKind, Compression};
use crate::{Detection, ReadOptions, detect_head};
use bytes::BytesMut;
use iterable_core::{Decoder, Decompression, DetectedBy, Result};

/// The decoder of an input and how it was found ([`prepare_input`]).
pub struct PreparedInput {
    /// How the codec and the format were found, with the format's options in force (given,
    /// implied by the name, or sniffed from the first bytes: CSV's delimiter).
    pub detection: Detection,
    /// The decoder: of the decompressed bytes when [`PreparedInput::decompression`] is set,
    /// of the raw bytes otherwise (an archive's decoder unzips them itself).
    pub decoder: Box<dyn Decoder + Send>,
    /// The bytes the decoder starts with: the first bytes, decompressed when they go through
    /// [`PreparedInput::decompression`]. None of the input is lost.
    pub head: BytesMut,
    /// The decompression that the rest of the input goes through before the decoder.
    pub decompression: Option<Decompression>,
}

/// Finds the codec (from the options, else the name's last extension, else the magic bytes)
/// and the format inside (from the options, else the name, else the decompressed content) of
/// an input called `name` (`None` for a stream) that starts with `head` (`complete` when that
/// is all of it), and makes its decoder. The format's options are checked: a key it does not
/// know is an error listing those it does.
///
/// A zip archive's members are decoded one by one, each as a whole input, all in the format
/// of the first ([`crate::zip::ArchiveDecoder`]); the first member's name names the format.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{DecodeDriver, ErrorPolicy, Step};
/// use iterable_formats::{prepare_input, Format, ReadOptions};
///
/// let prepared = prepare_input(&ReadOptions::default(), None, BytesMut::from("a;b\n1;2\n"), true)?;
/// assert_eq!(prepared.detection.format, Format::CSV);
/// assert_eq!(prepared.detection.options.get("delimiter"), Some(";"));
/// let mut driver = DecodeDriver::with_buffer(prepared.decoder, prepared.head, ErrorPolicy::Fail);
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
) -> Result<PreparedInput> {
    let mut name = name;
    let codec = match options.compression {
        Compression::Use(codec) => Some(codec),
        Compression::None => None,
        Compression::Detect => match name.and_then(CodecKind::from_file_name) {
            Some((codec, inner)) => {
                name = Some(inner);
                Some(codec)
            }
            None => CodecKind::from_magic(&head),
        },
    };
    match codec {
        Some(CodecKind::Zip) => prepare_archive(options, name, head, complete),
        Some(codec) => {
            let mut decompression = codec.decompression(options.decompression_limits)?;
            let mut decoded = BytesMut::new();
            decompression.push(&head);
            decompression.run(&mut decoded)?;
            let detection = detect(options, name, &decoded, complete, Some(codec))?;
            Ok(PreparedInput {
                decoder: detection
                    .format
                    .decoder(&detection.options, options.max_record_size)?,
                detection,
                head: decoded,
                decompression: Some(decompression),
            })
        }
        None => {
            let detection = detect(options, name, &head, complete, None)?;
            Ok(PreparedInput {
                decoder: detection
                    .format
                    .decoder(&detection.options, options.max_record_size)?,
                detection,
                head,
                decompression: None,
            })
        }
    }
}

/// The format from the options, else the name, else `content`; with the options in force:
/// the options', over the name's, over the dialect `content` shows.
fn detect(
    options: &ReadOptions,
    name: Option<&str>,
    content: &[u8],
    complete: bool,
    codec: Option<CodecKind>,
) -> Result<Detection> {
    let mut detection = match Detection::before_content(options, name) {
        Some(detection) => detection,
        None => detect_head(content, complete, name)?,
    };
    detection.codec = codec;
    if detection.by != DetectedBy::Content {
        let sniffed = detection.format.spec().sniff(content, complete);
        if let Some(sniffed) = sniffed {
            detection.options = sniffed.options.merged(&detection.options);
        }
    }
    detection.options = detection.options.merged(&options.options);
    Ok(detection)
}

#[cfg(feature = "zip")]
fn prepare_archive(
    options: &ReadOptions,
    name: Option<&str>,
    head: BytesMut,
    complete: bool,
) -> Result<PreparedInput> {
    let limits = options.decompression_limits;
    let members = options.zip_members.as_deref();
    let (first, content) = crate::zip::peek(&head, members, limits)?;
    let name = first.as_deref().or(name);
    let detection = detect(options, name, &content, complete, Some(CodecKind::Zip))?;
    let (format, format_options) = (detection.format, detection.options.clone());
    let max_record_size = options.max_record_size;
    let make = move || format.decoder(&format_options, max_record_size);
    let decoder =
        crate::zip::ArchiveDecoder::new(members, limits, make, options.member_field.clone())?;
    Ok(PreparedInput {
        detection,
        decoder: Box::new(decoder),
        head,
        decompression: None,
    })
}

#[cfg(not(feature = "zip"))]
fn prepare_archive(
    _: &ReadOptions,
    _: Option<&str>,
    _: BytesMut,
    _: bool,
) -> Result<PreparedInput> {
    Err(CodecKind::Zip.not_built())
}
