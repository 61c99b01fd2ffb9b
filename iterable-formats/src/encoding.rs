//! Text encodings: every text format reads UTF-8, and this stage, sans-IO, turns other
//! encodings into it on the way in (after any codec) and out of it on the way out.
//!
//! Reading, the encoding is `-o encoding=NAME` (any WHATWG label, `cp1251`, `latin1`,
//! `shift_jis`, `utf-16le`..., and `utf-32le`/`utf-32be`; a byte order mark of another Unicode
//! encoding overrides it), else a byte order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), else
//! the content of the first bytes: UTF-16 when every other byte is NUL, an XML declaration's
//! `encoding="..."`, UTF-8 for binary bytes (the format refuses them), UTF-8 when they are UTF-8
//! (a character cut at their end included; or mostly, so that one stray byte in a UTF-8 file
//! is an error rather than the whole file read in another encoding), else chardetng's guess.
//! Only the first bytes are looked at: a file that is ASCII for its first 64 KiB and cp1251
//! later is read as UTF-8, and the format's error for the first cp1251 bytes says so (name the
//! encoding). A zip archive's members are read in the encoding named, else UTF-8.
//!
//! Bytes that are not text in the encoding are an error with their byte offset in the input,
//! after the records before them, or U+FFFD with `-o encoding_errors=replace`. A character cut
//! between two chunks of input is put together whatever the cuts. Byte offsets in other errors
//! count the UTF-8 text the decoder read.
//!
//! Writing, `-O encoding=NAME` (UTF-8 by default; UTF-16 and UTF-32 with a byte order mark): a
//! character the encoding cannot hold is an error naming the record, found before the format
//! writes anything of it; each record's text is encoded from the encoding's first state.

use bytes::BytesMut;
use encoding_rs::{CoderResult, DecoderResult, EncoderResult, Encoding};
use iterable_core::{
    Decoder, Encoder, Error, ErrorKind, ParsedBatch, Position, Record, Result, Value,
};

/// A text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// One of the WHATWG Encoding Standard's (encoding_rs).
    Whatwg(&'static Encoding),
    /// UTF-32, little-endian.
    Utf32Le,
    /// UTF-32, big-endian.
    Utf32Be,
}

impl TextEncoding {
    /// UTF-8.
    pub const UTF_8: TextEncoding = TextEncoding::Whatwg(encoding_rs::UTF_8);

    /// The encoding a label names (ASCII case ignored): WHATWG's labels, `latin-1`, `cp1252`
    /// and the like, and `utf-32`, `utf-32le`, `utf-32be`.
    ///
    /// ```
    /// use iterable_formats::encoding::TextEncoding;
    /// assert_eq!(TextEncoding::from_label("CP1251").unwrap().name(), "windows-1251");
    /// assert_eq!(TextEncoding::from_label("latin-1").unwrap().name(), "windows-1252");
    /// assert!(TextEncoding::from_label("klingon").is_none());
    /// ```
    pub fn from_label(label: &str) -> Option<TextEncoding> {
        let label = label.trim().to_ascii_lowercase();
        match label.as_str() {
            "utf-32" | "utf32" | "utf-32le" | "utf32le" => return Some(TextEncoding::Utf32Le),
            "utf-32be" | "utf32be" => return Some(TextEncoding::Utf32Be),
            _ => {}
        }
        let label = match label.as_str() {
            "latin-1" | "latin_1" => "latin1",
            "utf8" => "utf-8",
            "utf16" | "utf-16" => "utf-16le",
            other => other,
        };
        Encoding::for_label_no_replacement(label.as_bytes()).map(TextEncoding::Whatwg)
    }

    /// Its name: `utf-8`, `windows-1251`, `utf-32le`.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Whatwg(encoding) if encoding == encoding_rs::UTF_8 => "utf-8",
            TextEncoding::Whatwg(encoding) => {
                // encoding_rs's names are the Standard's, in its case: "windows-1251", "UTF-16LE".
                match encoding.name() {
                    "UTF-16LE" => "utf-16le",
                    "UTF-16BE" => "utf-16be",
                    name => name,
                }
            }
            TextEncoding::Utf32Le => "utf-32le",
            TextEncoding::Utf32Be => "utf-32be",
        }
    }

    /// True for UTF-8.
    pub fn is_utf8(self) -> bool {
        self == TextEncoding::UTF_8
    }
}

/// How an input's encoding was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingFoundBy {
    /// `-o encoding=`.
    Options,
    /// A byte order mark.
    Bom,
    /// The first bytes: they are UTF-8, or look like UTF-16, or chardetng guessed.
    Content,
    /// An XML declaration's `encoding="..."`.
    Declaration,
}

impl EncodingFoundBy {
    /// `options`, `byte order mark`, `content`.
    pub fn as_str(self) -> &'static str {
        match self {
            EncodingFoundBy::Options => "options",
            EncodingFoundBy::Bom => "byte order mark",
            EncodingFoundBy::Content => "content",
            EncodingFoundBy::Declaration => "XML declaration",
        }
    }
}

/// An input's encoding and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingFound {
    /// The encoding.
    pub encoding: TextEncoding,
    /// How it was found.
    pub by: EncodingFoundBy,
}

/// The encoding of an input that starts with `head` (all of it when `complete`), from its
/// byte order mark or its content.
///
/// ```
/// use iterable_formats::encoding::{detect_encoding, EncodingFoundBy};
/// let utf16 = detect_encoding(b"\xFF\xFEa\x00", false);
/// assert_eq!((utf16.encoding.name(), utf16.by), ("utf-16le", EncodingFoundBy::Bom));
/// // "Привет, мир" in cp1251, cut anywhere: not UTF-8, and chardetng knows Cyrillic.
/// let cp1251 = detect_encoding(b"\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0;\xc4\xe0\xeb\xe5\xea\xee\n", false);
/// assert_eq!(cp1251.encoding.name(), "windows-1251");
/// // UTF-8 cut inside a character is still UTF-8.
/// assert!(detect_encoding("Zoë".as_bytes().split_last().unwrap().1, false).encoding.is_utf8());
/// ```
pub fn detect_encoding(head: &[u8], complete: bool) -> EncodingFound {
    let found = |encoding, by| EncodingFound { encoding, by };
    if head.starts_with(b"\xFF\xFE\x00\x00") {
        return found(TextEncoding::Utf32Le, EncodingFoundBy::Bom);
    }
    if head.starts_with(b"\x00\x00\xFE\xFF") {
        return found(TextEncoding::Utf32Be, EncodingFoundBy::Bom);
    }
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return found(TextEncoding::Whatwg(encoding), EncodingFoundBy::Bom);
    }
    if let Some(encoding) = utf16_by_nuls(head) {
        return found(TextEncoding::Whatwg(encoding), EncodingFoundBy::Content);
    }
    if let Some(encoding) = declared(head) {
        return found(encoding, EncodingFoundBy::Declaration);
    }
    // Binary bytes (NULs, control characters) are no text to guess an encoding for: the
    // format refuses them as UTF-8.
    if mostly_utf8(head, complete) || !crate::csv::looks_like_text(head) {
        return found(TextEncoding::UTF_8, EncodingFoundBy::Content);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(head, complete);
    let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    found(TextEncoding::Whatwg(guess), EncodingFoundBy::Content)
}

/// The encoding an XML declaration at the start of `head` names (`<?xml version="1.0"
/// encoding="windows-1251"?>`), when it is one other than UTF-8.
fn declared(head: &[u8]) -> Option<TextEncoding> {
    let declaration = head.strip_prefix(b"<?xml")?;
    let end = memchr::memmem::find(&declaration[..declaration.len().min(256)], b"?>")?;
    let declaration = std::str::from_utf8(&declaration[..end]).ok()?;
    let (_, rest) = declaration.split_once("encoding")?;
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let label = rest[1..].split(quote).next()?;
    TextEncoding::from_label(label).filter(|e| !e.is_utf8())
}

/// True when `head` is UTF-8: all of it (a character cut at its end included), or at least as
/// many characters beyond ASCII in UTF-8 as bytes that are not. A UTF-8 file with a stray
/// byte stays UTF-8 (the byte is an error there), rather than every character of it being
/// read in a guessed legacy encoding.
fn mostly_utf8(head: &[u8], complete: bool) -> bool {
    let (mut characters, mut strays) = (0usize, 0usize);
    let mut chunks = head.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        characters += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        let last = chunks.peek().is_none();
        // A character cut by the end of the head is no stray.
        let cut = last && !complete && chunk.invalid().len() < 4;
        if !chunk.invalid().is_empty() && !cut {
            strays += 1;
        }
    }
    strays == 0 || (characters > 0 && characters >= strays)
}

/// UTF-16 without a byte order mark: NULs in nearly every other byte (ASCII text in UTF-16),
/// and none in the others.
fn utf16_by_nuls(head: &[u8]) -> Option<&'static Encoding> {
    let sample = &head[..head.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    match (even * 10 >= pairs * 7, odd * 10 >= pairs * 7) {
        (false, true) if even == 0 => Some(encoding_rs::UTF_16LE),
        (true, false) if odd == 0 => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// What to do with bytes that are not text in the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingErrors {
    /// An error with their position (the default).
    #[default]
    Fail,
    /// U+FFFD, the replacement character, for each.
    Replace,
}

/// A streaming transcoder of text in `encoding` into UTF-8, sans-IO.
pub struct Transcoder {
    encoding: TextEncoding,
    errors: EncodingErrors,
    whatwg: Option<encoding_rs::Decoder>,
    /// UTF-32: the bytes of a character cut by the end of a chunk.
    pending: Vec<u8>,
    bom_checked: bool,
    /// Bytes of the input transcoded so far.
    consumed: u64,
}

impl std::fmt::Debug for Transcoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcoder")
            .field("encoding", &self.encoding.name())
            .field("consumed", &self.consumed)
            .finish()
    }
}

impl Transcoder {
    /// A transcoder from `encoding`; a byte order mark at the start is dropped, and decides
    /// when it names another Unicode encoding (`utf-16` named, the file big-endian).
    pub fn new(encoding: TextEncoding, errors: EncodingErrors) -> Transcoder {
        let whatwg = match encoding {
            // A byte order mark, if any, decides (`utf-16` named, a file with a big-endian one).
            TextEncoding::Whatwg(encoding) => Some(encoding.new_decoder()),
            _ => None,
        };
        Transcoder {
            encoding,
            errors,
            whatwg,
            pending: Vec::new(),
            bom_checked: false,
            consumed: 0,
        }
    }

    /// Appends the UTF-8 of all of `src` (the input's next bytes; `last`: its end) to `dst`.
    /// Bytes that are not text in the encoding are an error with their offset in the input,
    /// after `dst` has what came before them (unless they are replaced).
    pub fn push(&mut self, src: &[u8], dst: &mut BytesMut, last: bool) -> Result<()> {
        // Offsets of malformed bytes, which may have come in an earlier push: from the end of
        // what the decoder read back by the bytes' length (encoding_rs), or from the start of
        // the bytes carried over (UTF-32).
        let carried = self.pending.len() as u64;
        let consumed = self.consumed;
        let result = match &mut self.whatwg {
            Some(decoder) => whatwg(decoder, self.errors, src, dst, last)
                .map_err(|(read, back)| (consumed + read).saturating_sub(back)),
            None => self
                .utf32(src, dst, last)
                .map_err(|at| consumed.saturating_sub(carried) + at),
        };
        self.consumed += src.len() as u64;
        result.map_err(|at| {
            Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "the bytes at offset {at} are not {} text (name the encoding with -o encoding=, or -o encoding_errors=replace)",
                    self.encoding.name()
                ),
            )
            .at(Position {
                byte: Some(at),
                ..Position::default()
            })
        })
    }

    fn utf32(
        &mut self,
        src: &[u8],
        dst: &mut BytesMut,
        last: bool,
    ) -> std::result::Result<(), u64> {
        // An error is the offset of the bad word from the start of the bytes carried over.
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(src);
        // A byte order mark of the other order says which it is.
        if !self.bom_checked && bytes.len() >= 4 {
            let swapped = match self.encoding {
                TextEncoding::Utf32Le => bytes.starts_with(b"\x00\x00\xFE\xFF"),
                _ => bytes.starts_with(b"\xFF\xFE\x00\x00"),
            };
            if swapped {
                self.encoding = match self.encoding {
                    TextEncoding::Utf32Le => TextEncoding::Utf32Be,
                    _ => TextEncoding::Utf32Le,
                };
            }
        }
        let big_endian = self.encoding == TextEncoding::Utf32Be;
        let mut chunks = bytes.chunks_exact(4);
        let mut at = 0u64;
        for chunk in &mut chunks {
            let word = [chunk[0], chunk[1], chunk[2], chunk[3]];
            let code = if big_endian {
                u32::from_be_bytes(word)
            } else {
                u32::from_le_bytes(word)
            };
            let first = !std::mem::replace(&mut self.bom_checked, true);
            if !(first && code == 0xFEFF) {
                match char::from_u32(code) {
                    Some(c) => dst.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    None if self.errors == EncodingErrors::Replace => {
                        dst.extend_from_slice("\u{FFFD}".as_bytes())
                    }
                    None => return Err(at),
                }
            }
            at += 4;
        }
        let rest = chunks.remainder();
        if last && !rest.is_empty() {
            if self.errors == EncodingErrors::Replace {
                dst.extend_from_slice("\u{FFFD}".as_bytes());
                return Ok(());
            }
            return Err(at);
        }
        self.pending = rest.to_vec();
        Ok(())
    }
}

/// `src` through an encoding_rs decoder into `dst`; an error gives how much of `src` was read
/// and how far back from there the malformed bytes start (they may start in an earlier `src`).
fn whatwg(
    decoder: &mut encoding_rs::Decoder,
    errors: EncodingErrors,
    mut src: &[u8],
    dst: &mut BytesMut,
    last: bool,
) -> std::result::Result<(), (u64, u64)> {
    let mut offset = 0usize;
    loop {
        let room = decoder
            .max_utf8_buffer_length(src.len())
            .unwrap_or(src.len() * 3 + 16)
            .max(16);
        let start = dst.len();
        dst.resize(start + room, 0);
        let (done, read, written) = match errors {
            EncodingErrors::Replace => {
                let (result, read, written, _) =
                    decoder.decode_to_utf8(src, &mut dst[start..], last);
                (matches!(result, CoderResult::InputEmpty), read, written)
            }
            EncodingErrors::Fail => {
                let (result, read, written) =
                    decoder.decode_to_utf8_without_replacement(src, &mut dst[start..], last);
                match result {
                    DecoderResult::InputEmpty => (true, read, written),
                    DecoderResult::OutputFull => (false, read, written),
                    DecoderResult::Malformed(bad, extra) => {
                        dst.truncate(start + written);
                        let back = u64::from(bad) + u64::from(extra);
                        return Err(((offset + read) as u64, back));
                    }
                }
            }
        };
        dst.truncate(start + written);
        offset += read;
        src = &src[read..];
        if done {
            return Ok(());
        }
    }
}

/// A decoder of text in another encoding: its input transcoded into UTF-8 for the decoder of
/// its format.
pub struct TranscodingDecoder {
    inner: Box<dyn Decoder + Send>,
    transcoder: Transcoder,
    /// The UTF-8 text the inner decoder reads.
    text: BytesMut,
    ended: bool,
    /// Bytes that were not text: the error given once the records before them are out.
    failed: Option<Error>,
    /// Everything after such bytes is dropped.
    broken: bool,
}

impl TranscodingDecoder {
    /// `inner`, reading the UTF-8 that `transcoder` makes of the input.
    pub fn new(inner: Box<dyn Decoder + Send>, transcoder: Transcoder) -> TranscodingDecoder {
        TranscodingDecoder {
            inner,
            transcoder,
            text: BytesMut::new(),
            ended: false,
            failed: None,
            broken: false,
        }
    }

    /// Transcodes what `buf` holds (all of it) into the text.
    fn fill(&mut self, buf: &mut BytesMut, eof: bool) {
        if self.broken {
            buf.clear();
            return;
        }
        if !buf.is_empty() || (eof && !self.ended) {
            if let Err(error) = self.transcoder.push(buf, &mut self.text, eof) {
                self.failed = Some(error);
                self.broken = true;
            }
            buf.clear();
        }
        self.ended |= eof;
    }

    /// The inner decoder's answer; when it has no more records before bytes that were not
    /// text, their error.
    fn after(&mut self, got: Result<bool>) -> Result<bool> {
        match got {
            Ok(false) => match self.failed.take() {
                Some(error) => Err(error),
                None => Ok(false),
            },
            other => other,
        }
    }
}

impl Decoder for TranscodingDecoder {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.fill(buf, false);
        let mut record = None;
        let got = self.inner.decode(&mut self.text).map(|r| {
            record = r;
            record.is_some()
        });
        self.after(got)?;
        Ok(record)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        let broken = self.broken;
        self.fill(buf, !self.broken);
        let mut record = None;
        // After bytes that were not text, the records before them are whole ones only.
        let got = match broken || self.failed.is_some() {
            true => self.inner.decode(&mut self.text),
            false => self.inner.decode_eof(&mut self.text),
        }
        .map(|r| {
            record = r;
            record.is_some()
        });
        self.after(got)?;
        Ok(record)
    }

    fn schema(&self) -> Option<&iterable_core::Schema> {
        self.inner.schema()
    }

    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut ParsedBatch,
    ) -> Result<bool> {
        let broken = self.broken;
        self.fill(buf, eof && !self.broken);
        let got = self.inner.decode_into(
            &mut self.text,
            eof && !broken && self.failed.is_none(),
            batch,
        );
        self.after(got)
    }
}

/// Where UTF-8 text goes out in another encoding.
enum Output {
    /// A fresh encoder for each record's text, ended each time: a stateful encoding
    /// (ISO-2022-JP) then starts every record in its first state.
    Whatwg(&'static Encoding),
    /// UTF-16 or UTF-32 (big-endian when true), written by hand: encoding_rs writes neither.
    Utf16(bool),
    Utf32(bool),
}

/// An encoder writing its format's UTF-8 in another encoding.
pub struct TranscodingEncoder {
    inner: Box<dyn Encoder + Send>,
    output: Output,
    name: &'static str,
    /// The inner encoder's UTF-8, before it goes out.
    text: BytesMut,
    bom_written: bool,
    records: u64,
}

impl TranscodingEncoder {
    /// `inner`, its output written in `encoding`.
    pub fn new(inner: Box<dyn Encoder + Send>, encoding: TextEncoding) -> TranscodingEncoder {
        let output = match encoding {
            TextEncoding::Whatwg(e) if e == encoding_rs::UTF_16LE => Output::Utf16(false),
            TextEncoding::Whatwg(e) if e == encoding_rs::UTF_16BE => Output::Utf16(true),
            TextEncoding::Whatwg(e) => Output::Whatwg(e),
            TextEncoding::Utf32Le => Output::Utf32(false),
            TextEncoding::Utf32Be => Output::Utf32(true),
        };
        TranscodingEncoder {
            inner,
            output,
            name: encoding.name(),
            text: BytesMut::new(),
            bom_written: false,
            records: 0,
        }
    }

    /// Sends the text out; a character the encoding cannot hold is an error, and then none
    /// of the text goes out.
    fn flush(&mut self, dst: &mut BytesMut) -> Result<()> {
        let text = std::str::from_utf8(&self.text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidRecord,
                format!("the output is not UTF-8 text: {e}"),
            )
        })?;
        let start = dst.len();
        match &mut self.output {
            // A byte order mark first, so that readers know the order.
            Output::Utf16(big) => {
                if !self.bom_written {
                    put_utf16('\u{FEFF}', *big, dst);
                }
                for c in text.chars() {
                    put_utf16(c, *big, dst);
                }
            }
            Output::Utf32(big) => {
                let chars = std::iter::once('\u{FEFF}')
                    .filter(|_| !self.bom_written)
                    .chain(text.chars());
                for c in chars {
                    let word = u32::from(c);
                    dst.extend_from_slice(&if *big {
                        word.to_be_bytes()
                    } else {
                        word.to_le_bytes()
                    });
                }
            }
            Output::Whatwg(encoding) => {
                let mut encoder = encoding.new_encoder();
                let mut src = text;
                loop {
                    let room = encoder
                        .max_buffer_length_from_utf8_without_replacement(src.len())
                        .unwrap_or(src.len() * 4 + 16)
                        .max(16);
                    let at = dst.len();
                    dst.resize(at + room, 0);
                    let (result, read, written) =
                        encoder.encode_from_utf8_without_replacement(src, &mut dst[at..], true);
                    dst.truncate(at + written);
                    src = &src[read..];
                    match result {
                        EncoderResult::InputEmpty => break,
                        EncoderResult::OutputFull => {}
                        EncoderResult::Unmappable(c) => {
                            dst.truncate(start);
                            self.text.clear();
                            return Err(Error::new(
                                ErrorKind::InvalidRecord,
                                format!("the character {c:?} cannot be written in {}", self.name),
                            )
                            .at(Position {
                                record: Some(self.records),
                                ..Position::default()
                            }));
                        }
                    }
                }
            }
        }
        self.bom_written = true;
        self.text.clear();
        Ok(())
    }
}

fn put_utf16(c: char, big_endian: bool, dst: &mut BytesMut) {
    for unit in c.encode_utf16(&mut [0; 2]) {
        dst.extend_from_slice(&if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
}

/// The first character in `record` (its names and strings, nested ones too) that `encoding`
/// cannot hold.
fn unmappable(record: &Record, encoding: &'static Encoding) -> Option<char> {
    fn text(text: &str, encoding: &'static Encoding) -> Option<char> {
        if text.is_ascii() {
            return None;
        }
        let mut encoder = encoding.new_encoder();
        let mut out = vec![0; encoder.max_buffer_length_from_utf8_without_replacement(text.len())?];
        match encoder
            .encode_from_utf8_without_replacement(text, &mut out, true)
            .0
        {
            EncoderResult::Unmappable(c) => Some(c),
            _ => None,
        }
    }
    fn value(v: &Value, encoding: &'static Encoding) -> Option<char> {
        match v {
            Value::String(s) => text(s, encoding),
            Value::Array(items) => items.iter().find_map(|item| value(item, encoding)),
            Value::Object(record) => unmappable(record, encoding),
            _ => None,
        }
    }
    record
        .iter()
        .find_map(|(name, v)| text(name, encoding).or_else(|| value(v, encoding)))
}

impl Encoder for TranscodingEncoder {
    fn encode(&mut self, record: &Record, dst: &mut BytesMut) -> Result<()> {
        self.records += 1;
        // Checked first, so that what the format writes once (a header, an opening bracket)
        // is never taken back with a record it cannot write.
        if let Output::Whatwg(encoding) = self.output
            && let Some(c) = unmappable(record, encoding)
        {
            return Err(Error::new(
                ErrorKind::InvalidRecord,
                format!("the character {c:?} cannot be written in {}", self.name),
            )
            .at(Position {
                record: Some(self.records),
                ..Position::default()
            }));
        }
        let start = self.text.len();
        if let Err(error) = self.inner.encode(record, &mut self.text) {
            self.text.truncate(start);
            return Err(error);
        }
        self.flush(dst)
    }

    fn finish(&mut self, dst: &mut BytesMut) -> Result<()> {
        let start = self.text.len();
        if let Err(error) = self.inner.finish(&mut self.text) {
            self.text.truncate(start);
            return Err(error);
        }
        self.flush(dst)
    }

    fn set_schema(&mut self, schema: &iterable_core::Schema) -> Result<()> {
        self.inner.set_schema(schema)
    }
}
