//! Zip archives, streamed: members are read one after another from their local headers (no
//! seeking to the central directory), so a zip arriving on a pipe or from a socket works too.
//! Writing makes an archive of one member.
//!
//! Members may be stored or deflated, with or without a data descriptor (zip64 sizes
//! included); each member's CRC-32 is checked. Encrypted members and other methods are
//! refused with an error naming the member.
//!
//! [`ArchiveDecoder`] decodes the members one after another, each with a decoder of its own;
//! the core's decoding driver sees it as one more decoder and knows nothing of archives.

use bytes::{BufMut, BytesMut};
use flate2::{
    Compress, Compression as Level, Crc, Decompress, FlushCompress, FlushDecompress, Status,
};
use iterable_core::{
    Codec, Decoder, Decompression, DecompressionLimits, Error, ErrorKind, Position, RangeStep,
    Record, Result,
};

const NAME: &str = "zip";
const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL: u32 = 0x0606_4b50;
/// Flags: sizes and CRC follow the data; the name is UTF-8.
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_UTF8: u16 = 1 << 11;
const FLAG_ENCRYPTED: u16 = 1;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// 1980-01-01, the earliest date zip can hold; written for every member.
const DOS_DATE: u16 = (1 << 5) | 1;
/// Output produced per call, about.
const CHUNK: usize = 64 * 1024;

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from(u32_at(bytes, at)) | u64::from(u32_at(bytes, at + 4)) << 32
}

/// The member being read.
struct Member {
    name: String,
    method: u16,
    descriptor: bool,
    zip64: bool,
    /// Stored data left to copy (stored members without a descriptor).
    remaining: u64,
    /// The CRC the header gives (checked now when there is no descriptor).
    crc: u32,
    wanted: bool,
}

enum Stage {
    Header,
    Data(Member),
    Descriptor(Member),
    /// The central directory started: no member follows; the end record is looked for.
    Directory,
    /// The end of central directory record, and its comment, were all there.
    Done,
}

/// Streams the members of a zip archive that match a pattern, one after another.
pub(crate) struct ZipDecompressor {
    pattern: Option<glob::Pattern>,
    stage: Stage,
    inflate: Decompress,
    crc: Crc,
    members_seen: usize,
    /// The name of the member whose bytes come next, until [`ZipDecompressor::take_member_start`]
    /// takes it: output stops there, so that one member's bytes never run into the next's.
    member_start: Option<String>,
    consumed: u64,
}

impl ZipDecompressor {
    /// Reads the members matching `pattern` (a glob on member names; all files when `None`),
    /// stopping before each one's bytes until its name is taken.
    fn new(pattern: Option<&str>) -> Result<Self> {
        let pattern = pattern
            .map(|p| {
                glob::Pattern::new(p).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidRecord,
                        format!("bad member pattern {p:?}: {e}"),
                    )
                })
            })
            .transpose()?;
        Ok(ZipDecompressor {
            pattern,
            stage: Stage::Header,
            inflate: Decompress::new(false),
            crc: Crc::new(),
            members_seen: 0,
            member_start: None,
            consumed: 0,
        })
    }

    /// The name of the member whose bytes come next, once; output goes on after it is taken.
    fn take_member_start(&mut self) -> Option<String> {
        self.member_start.take()
    }

    fn error(&self, at: usize, message: impl Into<String>) -> Error {
        Error::parse(NAME, message).at(Position {
            byte: Some(self.consumed + at as u64),
            ..Position::default()
        })
    }

    /// Parses a local header at the start of `input`; `None` when it is not all there yet.
    fn header(&mut self, input: &[u8]) -> Result<Option<usize>> {
        let Some(fixed) = input.get(..30) else {
            return Ok(match input.get(..4) {
                Some(sig)
                    if [CENTRAL_HEADER, END_OF_CENTRAL, ZIP64_END_OF_CENTRAL]
                        .contains(&u32_at(sig, 0)) =>
                {
                    // The directory, whose end record must then be there in full.
                    self.stage = Stage::Directory;
                    Some(0)
                }
                _ => None,
            });
        };
        match u32_at(fixed, 0) {
            LOCAL_HEADER => {}
            CENTRAL_HEADER | END_OF_CENTRAL | ZIP64_END_OF_CENTRAL => {
                self.stage = Stage::Directory;
                return Ok(Some(0));
            }
            _ => return Err(self.error(0, "not a zip local header (is this a zip archive?)")),
        }
        let (flags, method) = (u16_at(fixed, 6), u16_at(fixed, 8));
        let (crc, compressed) = (u32_at(fixed, 14), u64::from(u32_at(fixed, 18)));
        let (name_len, extra_len) = (
            usize::from(u16_at(fixed, 26)),
            usize::from(u16_at(fixed, 28)),
        );
        let Some(rest) = input.get(30..30 + name_len + extra_len) else {
            return Ok(None);
        };
        let name = String::from_utf8_lossy(&rest[..name_len]).into_owned();
        let (mut zip64, mut compressed) = (false, compressed);
        let mut extra = &rest[name_len..];
        while extra.len() >= 4 {
            let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
            let body = extra.get(4..4 + len).unwrap_or(&[]);
            if id == 0x0001 {
                zip64 = true;
                if body.len() >= 16 {
                    compressed = u64_at(body, 8);
                }
            }
            extra = extra.get(4 + len..).unwrap_or(&[]);
        }
        let wanted = !name.ends_with('/') && self.pattern.as_ref().is_none_or(|p| p.matches(&name));
        if wanted && flags & FLAG_ENCRYPTED != 0 {
            return Err(self.error(0, format!("member {name:?} is encrypted")));
        }
        let descriptor = flags & FLAG_DESCRIPTOR != 0;
        match method {
            DEFLATED => {}
            STORED if !descriptor => {}
            STORED => {
                return Err(self.error(
                    0,
                    format!(
                        "member {name:?} is stored with sizes after its data: it cannot be streamed"
                    ),
                ));
            }
            other if wanted => {
                return Err(self.error(
                    0,
                    format!(
                        "member {name:?} uses compression method {other}, which is not supported"
                    ),
                ));
            }
            _ => {}
        }
        if wanted {
            self.members_seen += 1;
            self.member_start = Some(name.clone());
        }
        self.inflate.reset(false);
        self.crc.reset();
        self.stage = Stage::Data(Member {
            name,
            method,
            descriptor,
            zip64,
            remaining: compressed,
            crc,
            wanted,
        });
        Ok(Some(30 + name_len + extra_len))
    }

    /// Checks a member's CRC once its data is all out.
    fn check(&self, member: &Member, crc: u32, at: usize) -> Result<()> {
        if member.wanted && crc != self.crc.sum() {
            return Err(self.error(
                at,
                format!(
                    "member {:?} fails its CRC check (corrupt data)",
                    member.name
                ),
            ));
        }
        Ok(())
    }
}

impl Codec for ZipDecompressor {
    fn process(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize> {
        let mut at = 0;
        let start_len = output.len();
        while output.len() - start_len < CHUNK && self.member_start.is_none() {
            let rest = &input[at..];
            match std::mem::replace(&mut self.stage, Stage::Done) {
                Stage::Done => {
                    self.stage = Stage::Done;
                    at = input.len();
                    break;
                }
                Stage::Directory => {
                    // Skips the directory up to the end record, which must be there in full.
                    self.stage = Stage::Directory;
                    let found = (0..rest.len().saturating_sub(21))
                        .find(|&i| u32_at(rest, i) == END_OF_CENTRAL);
                    match found {
                        Some(i) => {
                            let end = i + 22 + usize::from(u16_at(rest, i + 20));
                            if end > rest.len() {
                                at += i;
                                break;
                            }
                            at += end;
                            self.stage = Stage::Done;
                        }
                        None => {
                            at += rest.len().saturating_sub(21);
                            break;
                        }
                    }
                }
                Stage::Header => {
                    self.stage = Stage::Header;
                    match self.header(rest)? {
                        Some(n) => at += n,
                        None => break,
                    }
                }
                Stage::Data(mut member) if member.method == STORED => {
                    let n = rest
                        .len()
                        .min(usize::try_from(member.remaining).unwrap_or(usize::MAX));
                    if member.wanted {
                        output.put_slice(&rest[..n]);
                        self.crc.update(&rest[..n]);
                    }
                    at += n;
                    member.remaining -= n as u64;
                    if member.remaining == 0 {
                        self.check(&member, member.crc, at)?;
                        self.stage = Stage::Header;
                    } else {
                        self.stage = Stage::Data(member);
                        break;
                    }
                }
                Stage::Data(member) => {
                    let out_start = output.len();
                    output.resize(out_start + CHUNK, 0);
                    let (before_in, before_out) =
                        (self.inflate.total_in(), self.inflate.total_out());
                    let status = self.inflate.decompress(
                        rest,
                        &mut output[out_start..],
                        FlushDecompress::None,
                    );
                    let used = (self.inflate.total_in() - before_in) as usize;
                    let made = (self.inflate.total_out() - before_out) as usize;
                    output.truncate(out_start + if member.wanted { made } else { 0 });
                    if member.wanted {
                        self.crc.update(&output[out_start..]);
                    }
                    at += used;
                    match status {
                        Ok(Status::StreamEnd) if member.descriptor => {
                            self.stage = Stage::Descriptor(member)
                        }
                        Ok(Status::StreamEnd) => {
                            self.check(&member, member.crc, at)?;
                            self.stage = Stage::Header;
                        }
                        Ok(_) => {
                            self.stage = Stage::Data(member);
                            if used == 0 && made == 0 {
                                break;
                            }
                        }
                        Err(e) => {
                            return Err(self.error(
                                at,
                                format!("member {:?}: corrupt deflate data: {e}", member.name),
                            ));
                        }
                    }
                }
                Stage::Descriptor(member) => {
                    let signed = rest.len() >= 4 && u32_at(rest, 0) == DATA_DESCRIPTOR;
                    let skip = if signed { 4 } else { 0 };
                    let len = skip + if member.zip64 { 20 } else { 12 };
                    if rest.len() < len {
                        self.stage = Stage::Descriptor(member);
                        break;
                    }
                    self.check(&member, u32_at(rest, skip), at)?;
                    at += len;
                    self.stage = Stage::Header;
                }
            }
        }
        self.consumed += at as u64;
        Ok(at)
    }

    fn finish(&mut self, _output: &mut BytesMut) -> Result<()> {
        match &self.stage {
            Stage::Done if self.members_seen > 0 => Ok(()),
            Stage::Done => {
                Err(self.error(0, "the zip archive has no member to read (or none matches)"))
            }
            Stage::Header | Stage::Directory => Err(self.error(
                0,
                "the zip archive is cut short (its central directory is incomplete)",
            )),
            Stage::Data(member) | Stage::Descriptor(member) => Err(self.error(
                0,
                format!("the zip archive is cut short in member {:?}", member.name),
            )),
        }
    }
}

/// The first member of an archive whose first bytes are `head`, and what `head` holds of the
/// members' data (decompressed, from the first member on; past it when it is empty), for
/// detecting the format of the members. `None` when `head` reaches no member. An error after
/// some data is left for the archive's decoder to meet in its turn, after the records before
/// it.
pub(crate) fn peek(
    head: &[u8],
    members: Option<&str>,
    limits: DecompressionLimits,
) -> Result<(Option<String>, BytesMut)> {
    let mut archive = Archive::new(members, limits)?;
    archive.unzip.push(head);
    let mut first = None;
    loop {
        match archive.unzip.run(&mut archive.data) {
            Err(error) if archive.data.is_empty() || error.kind() == ErrorKind::LimitExceeded => {
                return Err(error);
            }
            Err(_) => return Ok((first, archive.data)),
            Ok(()) => {}
        }
        match archive.unzip.codec_mut().take_member_start() {
            Some(member) if first.is_none() => first = Some(member),
            Some(_) if archive.data.is_empty() => {}
            _ => return Ok((first, archive.data)),
        }
    }
}

/// The unzipping half of an [`ArchiveDecoder`].
struct Archive {
    unzip: Decompression<ZipDecompressor>,
    /// Decompressed bytes of the current member, not decoded yet.
    data: BytesMut,
}

impl Archive {
    fn new(members: Option<&str>, limits: DecompressionLimits) -> Result<Archive> {
        Ok(Archive {
            unzip: Decompression::new(ZipDecompressor::new(members)?, NAME, limits),
            data: BytesMut::new(),
        })
    }
}

/// Where an [`ArchiveDecoder`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unzipping {
    /// More of the archive may come.
    Going,
    /// The current member's bytes are all out; the next member starts once its records are.
    MemberEnds,
    /// The archive is over (or broken): the last member's records, then the end (or the error).
    Over,
}

/// Decodes the members of a zip archive one after another: it takes the archive's raw bytes,
/// unzips the members that match a pattern (under the decompression limits), and decodes each
/// with a fresh decoder, so that every member starts as a whole input would (its header row,
/// its byte offsets). Each record can get a field naming its member.
///
/// Errors of a member's decoder keep their positions within the member; the archive's own
/// (corrupt data, a cut central directory) come after the records decoded before them.
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Codec, Decoder, DecompressionLimits};
/// use iterable_formats::csv::{CsvDecoder, CsvOptions};
/// use iterable_formats::compression::CodecKind;
/// use iterable_formats::zip::ArchiveDecoder;
///
/// // A one-member archive, as the zip compressor writes it.
/// let mut zip = BytesMut::new();
/// let mut compressor = CodecKind::Zip.compressor(None, "people.csv")?;
/// compressor.process(b"name\nAda\nGrace\n", &mut zip)?;
/// compressor.finish(&mut zip)?;
///
/// let make = || Ok(CsvDecoder::new(CsvOptions::default(), 1 << 20));
/// let mut decoder = ArchiveDecoder::new(None, DecompressionLimits::default(), make, Some("file".into()))?;
/// let first = decoder.decode_eof(&mut zip)?.unwrap();
/// assert_eq!(first.get("file").and_then(|v| v.as_str()), Some("people.csv"));
/// assert_eq!(first.get("name").and_then(|v| v.as_str()), Some("Ada"));
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub struct ArchiveDecoder<D> {
    archive: Archive,
    decoder: D,
    make: Box<dyn FnMut() -> Result<D> + Send>,
    /// The member being decoded, and the one after it.
    member: Option<String>,
    next_member: Option<String>,
    member_field: Option<String>,
    unzipping: Unzipping,
    /// The archive's error, returned once the records before it are out.
    error: Option<Error>,
}

impl<D: Decoder> ArchiveDecoder<D> {
    /// Decodes the members matching `members` (a glob on member names; every file when `None`)
    /// with decoders from `make`; with `member_field`, each record gets that field, holding
    /// its member's name.
    pub fn new(
        members: Option<&str>,
        limits: DecompressionLimits,
        mut make: impl FnMut() -> Result<D> + Send + 'static,
        member_field: Option<String>,
    ) -> Result<Self> {
        Ok(ArchiveDecoder {
            archive: Archive::new(members, limits)?,
            decoder: make()?,
            make: Box::new(make),
            member: None,
            next_member: None,
            member_field,
            unzipping: Unzipping::Going,
            error: None,
        })
    }

    /// The member the last record came from.
    pub fn member(&self) -> Option<&str> {
        self.member.as_deref()
    }

    /// The next record of the members, through `decode(decoder, member's bytes, member over)`
    /// (which builds it, or parses it into a batch).
    fn next<T>(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        mut decode: impl FnMut(&mut D, &mut BytesMut, bool) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        loop {
            if !buf.is_empty() {
                self.archive.unzip.push(&buf.split());
            }
            // A member's last record is whole only when the member ended well: before the
            // archive's error, what is cut off is not a record.
            let member_over = match self.unzipping {
                Unzipping::Going => false,
                Unzipping::MemberEnds => true,
                Unzipping::Over => self.error.is_none(),
            };
            if let Some(record) = decode(&mut self.decoder, &mut self.archive.data, member_over)? {
                return Ok(Some(record));
            }
            match self.unzipping {
                Unzipping::Over => return self.error.take().map_or(Ok(None), Err),
                Unzipping::MemberEnds => {
                    // The member's records are out: a fresh decoder for the next one.
                    self.decoder = (self.make)()?;
                    self.member = self.next_member.take();
                    self.archive.data.clear();
                    self.unzipping = Unzipping::Going;
                }
                Unzipping::Going => {
                    if !self.unzip(eof) {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// The next record, built, with its member's name when asked.
    fn next_record(&mut self, buf: &mut BytesMut, eof: bool) -> Result<Option<Record>> {
        let record = self.next(buf, eof, |decoder, data, over| match over {
            true => decoder.decode_eof(data),
            false => decoder.decode(data),
        })?;
        Ok(record.map(|mut record| {
            if let (Some(field), Some(member)) = (&self.member_field, &self.member) {
                record.insert(field.as_str(), member.as_str());
            }
            record
        }))
    }

    /// Unzips what there is; false when that gave nothing new and more input is needed.
    fn unzip(&mut self, eof: bool) -> bool {
        let before = self.archive.data.len();
        if let Err(error) = self.archive.unzip.run(&mut self.archive.data) {
            self.error = Some(error);
            self.unzipping = Unzipping::Over;
            return true;
        }
        if let Some(member) = self.archive.unzip.codec_mut().take_member_start() {
            if self.member.is_none() && self.archive.data.is_empty() {
                self.member = Some(member);
            } else {
                self.next_member = Some(member);
                self.unzipping = Unzipping::MemberEnds;
            }
            return true;
        }
        if self.archive.data.len() > before {
            return true;
        }
        if !eof {
            return false;
        }
        if let Err(error) = self.archive.unzip.finish(&mut self.archive.data) {
            self.error = Some(error);
        }
        self.unzipping = Unzipping::Over;
        true
    }
}

impl<D: Decoder> Decoder for ArchiveDecoder<D> {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next_record(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        self.next_record(buf, true)
    }

    /// Without a member field, the members' decoders parse straight into the batch; with one,
    /// each record is built (to get its field) and flattened.
    fn decode_into(
        &mut self,
        buf: &mut BytesMut,
        eof: bool,
        batch: &mut iterable_core::ParsedBatch,
    ) -> Result<bool> {
        if self.member_field.is_some() {
            return Ok(self
                .next_record(buf, eof)?
                .map(|record| batch.push_built(&record))
                .is_some());
        }
        let parsed = self.next(buf, eof, |decoder, data, over| {
            Ok(decoder.decode_into(data, over, batch)?.then_some(()))
        })?;
        Ok(parsed.is_some())
    }

    /// The current member's schema, for a typed stream format.
    fn schema(&self) -> Option<&iterable_core::Schema> {
        self.decoder.schema()
    }
}

/// The largest member of a format read by ranges that is held in memory to be read.
pub const MAX_RANGED_MEMBER: usize = 1 << 30;

/// A member of a format read by ranges (Parquet): a zip member is a stream, so its bytes are
/// held in memory to the member's end (at most [`MAX_RANGED_MEMBER`]; up to twice that while
/// the buffer grows), then read by ranges from there. (The formats crate does no I/O: for a
/// larger member, unzip the archive.) The member's schema does not reach a writer: `convert`
/// of a zipped Parquet file to Parquet infers the schema from the records.
pub struct RangedMember {
    format: crate::Format,
    options: crate::FormatOptions,
    bytes: BytesMut,
    /// The member's bytes and its decoder, once the member is whole.
    reading: Option<(bytes::Bytes, Box<dyn iterable_core::RangeDecoder>)>,
    /// The ranges pushed last: asked for again at once, the decoder makes no progress.
    pushed: Vec<std::ops::Range<u64>>,
    ended: bool,
}

impl RangedMember {
    /// A member of `format`, read with `options`.
    pub fn new(format: crate::Format, options: crate::FormatOptions) -> RangedMember {
        RangedMember {
            format,
            options,
            bytes: BytesMut::new(),
            reading: None,
            pushed: Vec::new(),
            ended: false,
        }
    }

    fn take(&mut self, buf: &mut BytesMut) -> Result<()> {
        if self.bytes.len() + buf.len() > MAX_RANGED_MEMBER {
            self.ended = true;
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "a {} member of a zip archive is read in memory, up to {MAX_RANGED_MEMBER} bytes: unzip the archive first",
                    self.format
                ),
            ));
        }
        self.bytes.unsplit(buf.split());
        Ok(())
    }
}

impl Decoder for RangedMember {
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        if !self.ended {
            self.take(buf)?;
        }
        Ok(None)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Record>> {
        if self.ended {
            return Ok(None);
        }
        if self.reading.is_none() {
            self.take(buf)?;
            let bytes = std::mem::take(&mut self.bytes).freeze();
            let decoder = self
                .format
                .ranged_decoder(&self.options, bytes.len() as u64);
            let decoder = decoder.inspect_err(|_| self.ended = true)?;
            self.reading = Some((bytes, decoder));
        }
        let Some((bytes, decoder)) = self.reading.as_mut() else {
            return Ok(None);
        };
        let (format, pushed) = (self.format, &mut self.pushed);
        let outcome = (|| loop {
            match decoder.step()? {
                RangeStep::Record(record) => return Ok(Some(record)),
                RangeStep::End => return Ok(None),
                RangeStep::Need(ranges) => {
                    if ranges.is_empty() || ranges == *pushed {
                        return Err(Error::parse(
                            format.info().name,
                            "the decoder makes no progress (it asks again for what it was given)",
                        ));
                    }
                    pushed.clone_from(&ranges);
                    let size = bytes.len() as u64;
                    if let Some(range) = ranges.iter().find(|r| r.start > r.end || r.end > size) {
                        return Err(Error::parse(
                            format.info().name,
                            format!(
                                "the member asks for bytes {}..{} of {size} (is it cut short?)",
                                range.start, range.end
                            ),
                        ));
                    }
                    let data = ranges
                        .iter()
                        .map(|r| bytes.slice(r.start as usize..r.end as usize))
                        .collect();
                    decoder.push(ranges, data)?;
                }
            }
        })();
        if !matches!(outcome, Ok(Some(_))) {
            // Over: an error ends the member, as it ends a file read by ranges.
            self.ended = true;
            self.reading = None;
        }
        outcome
    }
}

/// Writes a zip archive member after member, sans-IO: each member deflated as its bytes
/// come (sizes and CRC-32 in a data descriptor after it), the central directory at the end.
pub(crate) struct ZipWriter {
    level: Level,
    /// The member being written, and where its local header starts.
    member: Option<(String, Compress, Crc, u64)>,
    /// The central directory's headers so far.
    directory: Vec<u8>,
    members: u16,
    written: u64,
}

impl ZipWriter {
    /// An archive whose members are compressed at `level` (0-9).
    pub(crate) fn new(level: Option<i32>) -> Self {
        let level = level.map_or(Level::default(), |l| Level::new(l.clamp(0, 9) as u32));
        ZipWriter {
            level,
            member: None,
            directory: Vec::new(),
            members: 0,
            written: 0,
        }
    }

    fn put(&mut self, output: &mut BytesMut, bytes: &[u8]) {
        output.put_slice(bytes);
        self.written += bytes.len() as u64;
    }

    /// Ends the member being written, if any, and starts one called `name`.
    pub(crate) fn start(&mut self, name: &str, output: &mut BytesMut) -> Result<()> {
        self.end_member(output)?;
        self.members = self.members.checked_add(1).ok_or_else(|| {
            Error::new(ErrorKind::LimitExceeded, "a zip of over 65,535 members").with_format(NAME)
        })?;
        let mut h = Vec::with_capacity(30 + name.len());
        h.put_u32_le(LOCAL_HEADER);
        h.put_u16_le(20);
        h.put_u16_le(FLAG_DESCRIPTOR | FLAG_UTF8);
        h.put_u16_le(DEFLATED);
        h.put_u16_le(0); // time
        h.put_u16_le(DOS_DATE);
        h.put_u32_le(0); // crc, after the data
        h.put_u64_le(0); // sizes, after the data
        h.put_u16_le(name.len() as u16);
        h.put_u16_le(0);
        h.put_slice(name.as_bytes());
        let offset = self.written;
        self.put(output, &h);
        self.member = Some((
            name.to_owned(),
            Compress::new(self.level, false),
            Crc::new(),
            offset,
        ));
        Ok(())
    }

    /// Deflates some of `input` into the member being written; returns how much it took.
    pub(crate) fn write(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize> {
        let (used, _) = self.deflate(input, output, FlushCompress::None)?;
        if let Some((_, _, crc, _)) = &mut self.member {
            crc.update(&input[..used]);
        }
        Ok(used)
    }

    /// Deflates all of `input` into the member being written.
    pub(crate) fn write_all(&mut self, mut input: &[u8], output: &mut BytesMut) -> Result<()> {
        while !input.is_empty() {
            let used = self.write(input, output)?;
            input = &input[used..];
        }
        Ok(())
    }

    fn deflate(
        &mut self,
        input: &[u8],
        output: &mut BytesMut,
        flush: FlushCompress,
    ) -> Result<(usize, Status)> {
        let Some((_, deflate, _, _)) = &mut self.member else {
            return Err(Error::new(ErrorKind::Io, "no zip member started").with_format(NAME));
        };
        let start = output.len();
        output.resize(start + CHUNK, 0);
        let (before_in, before_out) = (deflate.total_in(), deflate.total_out());
        let status = deflate.compress(input, &mut output[start..], flush);
        let made = (deflate.total_out() - before_out) as usize;
        let used = (deflate.total_in() - before_in) as usize;
        output.truncate(start + made);
        self.written += made as u64;
        let status =
            status.map_err(|e| Error::new(ErrorKind::Io, e.to_string()).with_format(NAME))?;
        Ok((used, status))
    }

    /// Ends the member being written: the rest of its deflated bytes, its data descriptor,
    /// its header in the central directory.
    fn end_member(&mut self, output: &mut BytesMut) -> Result<()> {
        if self.member.is_none() {
            return Ok(());
        }
        while self.deflate(&[], output, FlushCompress::Finish)?.1 != Status::StreamEnd {}
        let Some((name, deflate, crc, offset)) = self.member.take() else {
            return Ok(());
        };
        let (compressed, size) = (deflate.total_out(), deflate.total_in());
        let (Ok(compressed), Ok(size), Ok(offset)) = (
            u32::try_from(compressed),
            u32::try_from(size),
            u32::try_from(offset),
        ) else {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                "a zip over 4 GiB needs zip64, which is not written",
            )
            .with_format(NAME));
        };
        let crc = crc.sum();
        let mut tail = Vec::new();
        tail.put_u32_le(DATA_DESCRIPTOR);
        tail.put_u32_le(crc);
        tail.put_u32_le(compressed);
        tail.put_u32_le(size);
        self.put(output, &tail);
        let directory = &mut self.directory;
        directory.put_u32_le(CENTRAL_HEADER);
        directory.put_u16_le((3 << 8) | 20); // made by: Unix, version 2.0
        directory.put_u16_le(20); // needed
        directory.put_u16_le(FLAG_DESCRIPTOR | FLAG_UTF8);
        directory.put_u16_le(DEFLATED);
        directory.put_u16_le(0);
        directory.put_u16_le(DOS_DATE);
        directory.put_u32_le(crc);
        directory.put_u32_le(compressed);
        directory.put_u32_le(size);
        directory.put_u16_le(name.len() as u16);
        directory.put_slice(&[0; 8]); // extra, comment, disk, internal attributes
        directory.put_u32_le(0o100644 << 16); // external attributes: a regular file, rw-r--r--
        directory.put_u32_le(offset); // the local header's offset
        directory.put_slice(name.as_bytes());
        Ok(())
    }

    /// Ends the last member and writes the central directory.
    pub(crate) fn finish(&mut self, output: &mut BytesMut) -> Result<()> {
        self.end_member(output)?;
        let Ok(directory_start) = u32::try_from(self.written) else {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                "a zip over 4 GiB needs zip64, which is not written",
            )
            .with_format(NAME));
        };
        let directory = std::mem::take(&mut self.directory);
        self.put(output, &directory);
        let mut end = Vec::new();
        end.put_u32_le(END_OF_CENTRAL);
        end.put_slice(&[0; 4]); // disks
        end.put_u16_le(self.members);
        end.put_u16_le(self.members);
        end.put_u32_le(directory.len() as u32);
        end.put_u32_le(directory_start);
        end.put_u16_le(0);
        self.put(output, &end);
        Ok(())
    }
}

/// Writes a zip archive of one deflated member: the compressing codec of `.zip` outputs.
pub(crate) struct ZipCompressor {
    name: String,
    archive: ZipWriter,
    started: bool,
}

impl ZipCompressor {
    /// One member called `name`, compressed at `level` (0-9).
    pub(crate) fn new(name: &str, level: Option<i32>) -> Self {
        ZipCompressor {
            name: name.to_owned(),
            archive: ZipWriter::new(level),
            started: false,
        }
    }
}

impl Codec for ZipCompressor {
    fn process(&mut self, input: &[u8], output: &mut BytesMut) -> Result<usize> {
        if !self.started {
            self.started = true;
            self.archive.start(&self.name, output)?;
        }
        self.archive.write(input, output)
    }

    fn finish(&mut self, output: &mut BytesMut) -> Result<()> {
        self.process(&[], output)?;
        self.archive.finish(output)
    }
}
