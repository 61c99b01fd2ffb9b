//! Finding the format of an input from its name, or from its first bytes.

use crate::{Format, FormatChoice, ReadOptions};
use iterable_core::{DetectedBy, Error, ErrorKind, Result};

/// What detection found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detection {
    /// The format and the dialect its name implies.
    pub choice: FormatChoice,
    /// How it was found.
    pub by: DetectedBy,
    /// The compression the input goes through first, if any.
    pub codec: Option<crate::compression::CodecKind>,
}

impl Detection {
    /// What can be known before reading: the format the options name, else the one the file
    /// name says. `None` means the content must decide ([`detect_from_content`]).
    pub fn before_content(options: &ReadOptions, name: Option<&str>) -> Option<Detection> {
        match options.format {
            Some(format) => Some(Detection {
                choice: FormatChoice::plain(format),
                by: DetectedBy::Options,
                codec: None,
            }),
            None => name.and_then(detect_from_name),
        }
    }
}

/// How many bytes content detection wants to see (fewer is fine at the end of the input).
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The format a file name's extension says: `data.tsv` is CSV with tabs.
///
/// ```
/// use iterable_formats::{detect_from_name, Format};
/// assert_eq!(detect_from_name("logs/2024.ndjson").unwrap().choice.format, Format::JsonLines);
/// assert!(detect_from_name("README").is_none());
/// ```
pub fn detect_from_name(name: &str) -> Option<Detection> {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (_, extension) = file.rsplit_once('.')?;
    FormatChoice::from_name(extension).map(|choice| Detection {
        choice,
        by: DetectedBy::Name,
        codec: None,
    })
}

/// The format the first bytes of an input suggest: JSON Lines when the first non-blank byte
/// opens an object, otherwise delimited text (whose delimiter the CSV decoder sniffs).
/// `None` for empty input and for a JSON array, which no format here reads yet.
///
/// ```
/// use iterable_formats::{detect_from_content, Format};
/// assert_eq!(detect_from_content(b"  {\"a\":1}\n").unwrap().choice.format, Format::JsonLines);
/// assert_eq!(detect_from_content(b"a;b\n1;2\n").unwrap().choice.format, Format::Csv);
/// ```
pub fn detect_from_content(head: &[u8]) -> Option<Detection> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace())?;
    let format = match first {
        b'{' => Format::JsonLines,
        b'[' => return None,
        _ => Format::Csv,
    };
    Some(Detection {
        choice: FormatChoice::plain(format),
        by: DetectedBy::Content,
        codec: None,
    })
}

/// [`detect_from_content`], or the error that explains why the content says nothing.
pub fn detect_head(head: &[u8]) -> Result<Detection> {
    detect_from_content(head).ok_or_else(|| {
        let why = if head.iter().all(u8::is_ascii_whitespace) {
            "the input is empty"
        } else {
            "the content is neither JSON Lines nor delimited text"
        };
        Error::new(
            ErrorKind::UnknownFormat,
            format!("cannot tell the format: {why}; name one in the options"),
        )
    })
}

/// The file extension a `Content-Type` stands for, to name an HTTP body whose URL says
/// nothing: `text/csv` is `csv`, `application/x-ndjson` is `jsonl`, `application/gzip` is `gz`.
///
/// ```
/// use iterable_formats::extension_for_content_type;
/// assert_eq!(extension_for_content_type("text/csv; charset=utf-8"), Some("csv"));
/// assert_eq!(extension_for_content_type("text/html"), None);
/// ```
pub fn extension_for_content_type(content_type: &str) -> Option<&'static str> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match mime.as_str() {
        "text/csv" | "application/csv" => "csv",
        "text/tab-separated-values" => "tsv",
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines" => "jsonl",
        "application/gzip" | "application/x-gzip" => "gz",
        "application/zstd" => "zst",
        "application/x-bzip2" => "bz2",
        "application/x-xz" => "xz",
        "application/zip" => "zip",
        _ => return None,
    })
}

/// The name a remote body is detected by: the URL's last segment when it names a format or a
/// codec, else one made from the `Content-Type` (`body.csv`), else the URL's segment as it is;
/// then, when the `Content-Encoding` names a codec (`gzip`, `br`, `zstd`, `deflate`) that the
/// name does not, that codec's extension is added: the bytes arrive as the server encoded them.
///
/// ```
/// use iterable_formats::name_for_body;
/// assert_eq!(name_for_body(Some("day.csv.gz"), Some("application/octet-stream"), None).as_deref(), Some("day.csv.gz"));
/// assert_eq!(name_for_body(Some("export"), Some("application/x-ndjson"), None).as_deref(), Some("body.jsonl"));
/// assert_eq!(name_for_body(Some("day.csv"), None, Some("br")).as_deref(), Some("day.csv.br"));
/// assert_eq!(name_for_body(Some("day.csv.gz"), None, Some("gzip")).as_deref(), Some("day.csv.gz"));
/// assert_eq!(name_for_body(None, None, Some("aws-chunked")), None);
/// ```
pub fn name_for_body(
    url_name: Option<&str>,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
) -> Option<String> {
    let named = url_name.filter(|n| {
        detect_from_name(n).is_some() || crate::compression::CodecKind::from_file_name(n).is_some()
    });
    let typed = content_type
        .and_then(extension_for_content_type)
        .map(|extension| format!("body.{extension}"));
    let name = named
        .map(str::to_owned)
        .or(typed)
        .or(url_name.map(str::to_owned));
    let encoded = content_encoding.and_then(extension_for_content_encoding);
    match (name, encoded) {
        (Some(name), Some(extension))
            if crate::compression::CodecKind::from_file_name(&name).is_none() =>
        {
            Some(format!("{name}.{extension}"))
        }
        (None, Some(extension)) => Some(format!("body.{extension}")),
        (name, _) => name,
    }
}

/// The codec extension of an HTTP `Content-Encoding` (`gzip`, `x-gzip`, `br`, `zstd`,
/// `deflate`, which is zlib in HTTP); `None` for `identity`, S3's `aws-chunked` and anything
/// else. Of a list (`br, aws-chunked`), the one codec it names.
fn extension_for_content_encoding(encoding: &str) -> Option<&'static str> {
    let mut codecs = encoding
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !matches!(e.as_str(), "" | "identity" | "aws-chunked"));
    let codec = codecs.next()?;
    if codecs.next().is_some() {
        return None; // two encodings in a row: leave it to the magic bytes
    }
    Some(match codec.as_str() {
        "gzip" | "x-gzip" => "gz",
        "br" => "br",
        "zstd" => "zst",
        "deflate" => "zz",
        _ => return None,
    })
}
