//! Finding the format of an input from its name, or from its first bytes, by asking every
//! format of the registry.

use crate::{Format, FormatOptions, ReadOptions};
use iterable_core::{DetectedBy, Error, ErrorKind, Result};

/// What detection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The format.
    pub format: Format,
    /// How it was found.
    pub by: DetectedBy,
    /// The compression the input goes through first, if any.
    pub codec: Option<crate::compression::CodecKind>,
    /// The format's options in force: what the options give, over what the name implies
    /// (`.tsv`: a tab delimiter), over what the content showed (a sniffed delimiter, an
    /// `encoding` other than UTF-8).
    pub options: FormatOptions,
    /// A text format's encoding and how it was found (`None` before the content is seen, and
    /// for binary formats).
    pub encoding: Option<crate::encoding::EncodingFound>,
}

impl Detection {
    /// What can be known before reading: the format the options name, else the one the file
    /// name says. `None` means the content must decide ([`detect_from_content`]).
    pub fn before_content(options: &ReadOptions, name: Option<&str>) -> Option<Detection> {
        match options.format {
            Some(format) => Some(Detection {
                format,
                by: DetectedBy::Options,
                codec: None,
                options: FormatOptions::default(),
                encoding: None,
            }),
            None => name.and_then(detect_from_name),
        }
    }

    /// How this detection is shown to people: `csv (delimiter ';')`, `jsonl`.
    ///
    /// ```
    /// use iterable_formats::detect_from_name;
    /// assert_eq!(detect_from_name("x.tsv").unwrap().describe(), "csv (delimiter tab)");
    /// ```
    pub fn describe(&self) -> String {
        let options: Vec<String> = self
            .options
            .iter()
            .map(|(key, value)| match value {
                "tab" => format!("{key} tab"),
                _ => format!("{key} {value:?}"),
            })
            .collect();
        match options.is_empty() {
            true => self.format.info().name.to_owned(),
            false => format!("{} ({})", self.format.info().name, options.join(", ")),
        }
    }
}

/// How many bytes content detection wants to see (fewer is fine at the end of the input).
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The format a file name's extension says, with the options it implies: `data.tsv` is CSV
/// with tabs.
///
/// ```
/// use iterable_formats::{detect_from_name, Format};
/// assert_eq!(detect_from_name("logs/2024.ndjson").unwrap().format, Format::JSONL);
/// assert_eq!(detect_from_name("x.tsv").unwrap().options.get("delimiter"), Some("tab"));
/// assert!(detect_from_name("README").is_none());
/// ```
pub fn detect_from_name(name: &str) -> Option<Detection> {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (_, extension) = file.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    let format = Format::all().find(|f| f.info().extensions.contains(&extension.as_str()))?;
    Some(Detection {
        format,
        by: DetectedBy::Name,
        codec: None,
        options: format.spec().implied_options(&extension),
        encoding: None,
    })
}

/// The format the first bytes of an input show: a format whose magic bytes they start with,
/// else the format whose sniffer is surest (ties go to the registry's order), with the dialect
/// it found. `complete` says that `head` is the whole input. `None` when no format claims it.
///
/// ```
/// use iterable_formats::{detect_from_content, Format};
/// let jsonl = detect_from_content(b"  {\"a\":1}\n{\"a\":2}\n", true).unwrap();
/// assert_eq!(jsonl.format, Format::JSONL);
/// let csv = detect_from_content(b"a;b\n1;2\n", true).unwrap();
/// assert_eq!((csv.format, csv.options.get("delimiter")), (Format::CSV, Some(";")));
/// assert!(detect_from_content(&[0x89, 0x00, 0x13, 0xfe, 0x07], true).is_none());
/// ```
pub fn detect_from_content(head: &[u8], complete: bool) -> Option<Detection> {
    let found = |format: Format, options| Detection {
        format,
        by: DetectedBy::Content,
        codec: None,
        options,
        encoding: None,
    };
    if let Some(format) = claimed_by_magic(head) {
        return Some(found(format, FormatOptions::default()));
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if text.iter().all(u8::is_ascii_whitespace) {
        return None; // empty: no format can tell
    }
    let mut best: Option<(u8, Format, FormatOptions)> = None;
    for format in Format::all() {
        let Some(sniffed) = format.spec().sniff(head, complete) else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|(confidence, _, _)| sniffed.confidence > *confidence)
        {
            best = Some((sniffed.confidence, format, sniffed.options));
        }
    }
    best.map(|(_, format, options)| found(format, options))
}

/// The format whose magic bytes `head` starts with and whose sniffer agrees, the surest of
/// them (workbooks of three formats are all zip archives; `ORC` may start a line of text).
pub(crate) fn claimed_by_magic(head: &[u8]) -> Option<Format> {
    let mut best: Option<(u8, Format)> = None;
    for format in Format::all().filter(|f| f.info().has_magic(head)) {
        if let Some(sniffed) = format.spec().sniff(head, false)
            && best.is_none_or(|(confidence, _)| sniffed.confidence > confidence)
        {
            best = Some((sniffed.confidence, format));
        }
    }
    best.map(|(_, format)| format)
}

/// [`detect_from_content`], or the error that explains why the content says nothing: the
/// input (called `name`, when it has one) is empty, or no format claims it.
pub fn detect_head(head: &[u8], complete: bool, name: Option<&str>) -> Result<Detection> {
    detect_from_content(head, complete).ok_or_else(|| {
        let what = name.map_or("the input".to_owned(), str::to_owned);
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let why = if text.iter().all(u8::is_ascii_whitespace) {
            "it is empty".to_owned()
        } else {
            let names: Vec<&str> = Format::all().map(|f| f.info().name).collect();
            format!("its content is none of {}", names.join(", "))
        };
        Error::new(
            ErrorKind::UnknownFormat,
            format!("cannot tell the format of {what}: {why}; name the format in the options"),
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
    if let Some(format) = Format::all().find(|f| f.info().mime_types.contains(&mime.as_str())) {
        // A MIME type of a dialect names that dialect's extension: `text/tab-separated-values`.
        return Some(match mime.as_str() {
            "text/tab-separated-values" => "tsv",
            _ => format.extension(),
        });
    }
    Some(match mime.as_str() {
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
