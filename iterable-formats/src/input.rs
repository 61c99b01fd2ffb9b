//! What reading an input takes, found from the options, the input's name and its first bytes:
//! the codec, the format (with its dialect), and the decoder. Sans-IO: the caller reads the
//! first bytes ([`crate::SNIFF_BYTES`] of them, or the whole input when shorter).

use crate::compression::{CodecKind, Compression};
use crate::csv::sniff_delimiter;
use crate::{Detection, Format, FormatDecoder, ReadOptions, detect_head};
use bytes::BytesMut;
use iterable_core::{Decoder, Decompression, Result};

/// The decoder of an input and how it was found ([`prepare_input`]).
pub struct PreparedInput {
    /// How the codec and the format were found; for CSV, with the delimiter (given, implied
    /// by the name, or sniffed from the first bytes).
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
/// an input called `name` (`None` for a stream) that starts with `head`, and makes its
/// decoder.
///
/// A zip archive's members are decoded one by one, each as a whole input, all in the format
/// of the first ([`crate::zip::ArchiveDecoder`]); the first member's name names the format.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{DecodeDriver, ErrorPolicy, Step};
/// use iterable_formats::{prepare_input, Format, ReadOptions};
///
/// let prepared = prepare_input(&ReadOptions::default(), None, BytesMut::from("a;b\n1;2\n"))?;
/// assert_eq!(prepared.detection.choice.format, Format::Csv);
/// assert_eq!(prepared.detection.choice.delimiter, Some(b';'));
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
        Some(CodecKind::Zip) => prepare_archive(options, name, head),
        Some(codec) => {
            let mut decompression = codec.decompression(options.decompression_limits)?;
            let mut decoded = BytesMut::new();
            decompression.push(&head);
            decompression.run(&mut decoded)?;
            let (detection, resolved) = detect(options, name, &decoded, Some(codec))?;
            Ok(PreparedInput {
                detection,
                decoder: Box::new(FormatDecoder::new(detection.choice.format, &resolved)),
                head: decoded,
                decompression: Some(decompression),
            })
        }
        None => {
            let (detection, resolved) = detect(options, name, &head, None)?;
            Ok(PreparedInput {
                detection,
                decoder: Box::new(FormatDecoder::new(detection.choice.format, &resolved)),
                head,
                decompression: None,
            })
        }
    }
}

/// The format from the options, else the name, else `content`; and the options resolved for
/// it, with CSV's delimiter sniffed from `content` when nothing gives it.
fn detect(
    options: &ReadOptions,
    name: Option<&str>,
    content: &[u8],
    codec: Option<CodecKind>,
) -> Result<(Detection, ReadOptions)> {
    let mut detection = match Detection::before_content(options, name) {
        Some(detection) => detection,
        None => detect_head(content)?,
    };
    detection.codec = codec;
    let mut resolved = options.resolve(detection.choice);
    if detection.choice.format == Format::Csv && resolved.csv.delimiter.is_none() {
        let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
        let sample = &content[..content.len().min(crate::SNIFF_BYTES)];
        resolved.csv.delimiter = Some(sniff_delimiter(sample, resolved.csv.quote));
    }
    detection.choice.delimiter = resolved.csv.delimiter.or(detection.choice.delimiter);
    if detection.choice.format != Format::Csv {
        detection.choice.delimiter = None;
    }
    Ok((detection, resolved))
}

#[cfg(feature = "zip")]
fn prepare_archive(
    options: &ReadOptions,
    name: Option<&str>,
    head: BytesMut,
) -> Result<PreparedInput> {
    let limits = options.decompression_limits;
    let members = options.zip_members.as_deref();
    let (first, content) = crate::zip::peek(&head, members, limits)?;
    let name = first.as_deref().or(name);
    let (detection, resolved) = detect(options, name, &content, Some(CodecKind::Zip))?;
    let format = detection.choice.format;
    let decoder = crate::zip::ArchiveDecoder::new(
        members,
        limits,
        move || FormatDecoder::new(format, &resolved),
        options.member_field.clone(),
    )?;
    Ok(PreparedInput {
        detection,
        decoder: Box::new(decoder),
        head,
        decompression: None,
    })
}

#[cfg(not(feature = "zip"))]
fn prepare_archive(_: &ReadOptions, _: Option<&str>, _: BytesMut) -> Result<PreparedInput> {
    Err(CodecKind::Zip.not_built())
}
