//! The parts of a workbook that a sheet needs, fetched by ranges: [`WorkbookParts`] asks for
//! the zip's head and tail, then its central directory, then the members that every sheet
//! needs (the workbook, its relationships, styles, shared strings: not the other sheets, nor
//! pictures, charts and the like), then the member of the sheet asked for; [`Sparse`] serves
//! what was fetched to calamine as one file. A read of a byte that was not fetched (a member
//! that calamine wants after all) makes the decoder fetch the whole file and open it again.

use crate::whole_file::MAX_WHOLE_FILE;
use bytes::Bytes;
use iterable_core::{Error, ErrorKind, RangeStep, Result};
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The bytes of a file of `size` bytes that were fetched, as a `Read + Seek` file; reading a
/// byte that was not is an error, and says so ([`Sparse::missed`]).
#[derive(Debug, Clone)]
pub(super) struct Sparse {
    size: u64,
    /// The parts, by their start.
    parts: Arc<Vec<(u64, Bytes)>>,
    at: u64,
    missed: Arc<AtomicBool>,
}

impl Sparse {
    /// The file of `size` bytes of which `parts` (start, bytes) were fetched.
    pub(super) fn new(size: u64, mut parts: Vec<(u64, Bytes)>) -> Sparse {
        parts.sort_by_key(|(start, _)| *start);
        Sparse {
            size,
            parts: Arc::new(parts),
            at: 0,
            missed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// True once a read asked for a byte that was not fetched.
    pub(super) fn missed(&self) -> bool {
        self.missed.load(Ordering::Relaxed)
    }
}

impl Read for Sparse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.at >= self.size {
            return Ok(0);
        }
        let holding = self
            .parts
            .iter()
            .rev()
            .find(|(start, bytes)| *start <= self.at && self.at < start + bytes.len() as u64);
        let Some((start, bytes)) = holding else {
            self.missed.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other(format!(
                "byte {} of the workbook was not fetched",
                self.at
            )));
        };
        let from = (self.at - start) as usize;
        let n = buf.len().min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        self.at += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let at = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.at.checked_add_signed(d),
        };
        self.at = at.ok_or_else(|| std::io::Error::other("a seek before the file's start"))?;
        Ok(self.at)
    }
}

/// The head fetched first, for calamine's look at the file's first bytes.
const HEAD: u64 = 512;

/// The tail fetched first: the end of central directory record and its longest comment.
const TAIL: u64 = 22 + 65_535;

/// Where the fetching is.
#[derive(Debug)]
enum Stage {
    /// Nothing asked yet.
    Start,
    /// The head and tail asked for.
    Ends,
    /// The central directory asked for, at this range.
    Directory(Range<u64>),
    /// The members every sheet needs asked for.
    Common,
    /// The sheet's member asked for: everything is fetched.
    Sheet,
    /// Done: the parts are ready, or the whole file is needed (`None` from
    /// [`WorkbookParts::step`]).
    Over,
}

/// A member of the zip: its name and the bytes it spans (its local header, data and data
/// descriptor: up to the next member).
#[derive(Debug, Clone)]
struct Member {
    name: String,
    span: Range<u64>,
}

/// Fetches the parts of a workbook of `size` bytes that one sheet needs: see the
/// [module](self).
#[derive(Debug)]
pub(super) struct WorkbookParts {
    size: u64,
    /// The sheet asked for: its name, or its number from 0.
    sheet: super::SheetChoice,
    stage: Stage,
    parts: Vec<(u64, Bytes)>,
    members: Vec<Member>,
    /// The ranges asked for last.
    asked: Vec<Range<u64>>,
    /// The bytes asked for so far.
    fetched: u64,
}

/// What [`WorkbookParts`] wants next.
pub(super) enum Next {
    /// These ranges.
    Need(RangeStep),
    /// The parts are fetched.
    Ready(Sparse),
    /// The zip could not be read by parts (zip64, a directory it cannot find): the whole
    /// file is needed.
    Whole,
}

impl WorkbookParts {
    pub(super) fn new(size: u64, sheet: super::SheetChoice) -> WorkbookParts {
        WorkbookParts {
            size,
            sheet,
            stage: Stage::Start,
            parts: Vec::new(),
            members: Vec::new(),
            asked: Vec::new(),
            fetched: 0,
        }
    }

    /// The ranges asked for, pushed.
    pub(super) fn push(&mut self, data: Vec<Bytes>) {
        let asked = std::mem::take(&mut self.asked);
        self.parts
            .extend(asked.into_iter().map(|r| r.start).zip(data));
    }

    fn ask(&mut self, ranges: Vec<Range<u64>>) -> Result<Next> {
        let ranges: Vec<Range<u64>> = ranges.into_iter().filter(|r| r.start < r.end).collect();
        if ranges.is_empty() {
            return self.step();
        }
        self.fetched += ranges.iter().map(|r| r.end - r.start).sum::<u64>();
        if self.fetched > MAX_WHOLE_FILE {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the parts of the workbook a sheet needs pass the {} MiB read into memory",
                    MAX_WHOLE_FILE >> 20
                ),
            ));
        }
        self.asked.clone_from(&ranges);
        Ok(Next::Need(RangeStep::Need(ranges)))
    }

    /// The bytes at `range`, when a part holds them all.
    fn bytes(&self, range: Range<u64>) -> Option<&[u8]> {
        self.parts.iter().find_map(|(start, bytes)| {
            let end = start + bytes.len() as u64;
            (*start <= range.start && range.end <= end)
                .then(|| &bytes[(range.start - start) as usize..(range.end - start) as usize])
        })
    }

    /// The member called `name`, inflated, when it was fetched.
    fn member(&self, name: &str) -> Option<Vec<u8>> {
        let member = self.members.iter().find(|m| m.name == name)?;
        let bytes = self.bytes(member.span.clone())?;
        if bytes.len() < 30 || !bytes.starts_with(b"PK\x03\x04") {
            return None;
        }
        let field = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
        let (method, name_len, extra_len) = (field(8), field(26), field(28));
        let data = bytes.get(30 + name_len + extra_len..)?;
        match method {
            0 => Some(data.to_vec()),
            8 => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(data)
                    .take(64 << 20)
                    .read_to_end(&mut out)
                    .ok()?;
                Some(out)
            }
            _ => None,
        }
    }

    /// The next ranges to fetch, the parts once fetched, or [`Next::Whole`].
    pub(super) fn step(&mut self) -> Result<Next> {
        match std::mem::replace(&mut self.stage, Stage::Over) {
            Stage::Start => {
                self.stage = Stage::Ends;
                let tail = self.size.saturating_sub(TAIL).max(HEAD.min(self.size));
                self.ask(vec![0..HEAD.min(self.size), tail..self.size])
            }
            Stage::Ends => match self.end_of_directory() {
                Some(directory) if self.bytes(directory.clone()).is_some() => {
                    self.stage = Stage::Directory(directory);
                    self.step()
                }
                Some(directory) => {
                    self.stage = Stage::Directory(directory.clone());
                    self.ask(vec![directory])
                }
                None => Ok(Next::Whole),
            },
            Stage::Directory(directory) => {
                let Some(members) = self.directory(directory) else {
                    return Ok(Next::Whole);
                };
                self.members = members;
                self.stage = Stage::Common;
                let common: Vec<Range<u64>> = self
                    .members
                    .iter()
                    .filter(|m| needed_by_every_sheet(&m.name))
                    .map(|m| m.span.clone())
                    .collect();
                self.ask(common)
            }
            Stage::Common => {
                self.stage = Stage::Sheet;
                match self.sheet_member() {
                    Some(span) => self.ask(vec![span]),
                    // A workbook whose sheets this cannot tell (xlsb's binary workbook):
                    // every sheet.
                    None => {
                        let sheets: Vec<Range<u64>> = self
                            .members
                            .iter()
                            .filter(|m| !needed_by_every_sheet(&m.name) && is_sheet(&m.name))
                            .map(|m| m.span.clone())
                            .collect();
                        self.ask(sheets)
                    }
                }
            }
            Stage::Sheet => Ok(Next::Ready(Sparse::new(
                self.size,
                std::mem::take(&mut self.parts),
            ))),
            Stage::Over => Ok(Next::Whole),
        }
    }

    /// The range of the central directory, from the end of central directory record; `None`
    /// for a zip64 archive or a tail without the record.
    fn end_of_directory(&self) -> Option<Range<u64>> {
        let tail_start = self.size.saturating_sub(TAIL).max(HEAD.min(self.size));
        let tail = self.bytes(tail_start..self.size)?;
        let at = (0..tail.len().saturating_sub(21))
            .rev()
            .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))?;
        let record = &tail[at..];
        let size = u64::from(u32::from_le_bytes(record[12..16].try_into().ok()?));
        let offset = u64::from(u32::from_le_bytes(record[16..20].try_into().ok()?));
        if size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            return None;
        }
        let end = offset.checked_add(size)?;
        (end <= tail_start + at as u64).then_some(offset..end)
    }

    /// The members listed in the central directory at `range`, each spanning up to the next.
    fn directory(&self, range: Range<u64>) -> Option<Vec<Member>> {
        let directory = self.bytes(range.clone())?;
        let mut found: Vec<(String, u64)> = Vec::new();
        let mut at = 0;
        while directory.len() >= at + 46 && directory[at..].starts_with(b"PK\x01\x02") {
            let field = |i: usize| u16::from_le_bytes([directory[at + i], directory[at + i + 1]]);
            let (name_len, extra_len, comment_len) =
                (field(28) as usize, field(30) as usize, field(32) as usize);
            let offset = u32::from_le_bytes(directory[at + 42..at + 46].try_into().ok()?);
            let name = directory.get(at + 46..at + 46 + name_len)?;
            if offset == 0xFFFF_FFFF {
                return None;
            }
            found.push((
                String::from_utf8_lossy(name).into_owned(),
                u64::from(offset),
            ));
            at += 46 + name_len + extra_len + comment_len;
        }
        let mut starts: Vec<u64> = found.iter().map(|(_, start)| *start).collect();
        starts.push(range.start);
        starts.sort_unstable();
        found
            .into_iter()
            .map(|(name, start)| {
                let end = *starts.iter().find(|s| **s > start)?;
                Some(Member {
                    name,
                    span: start..end,
                })
            })
            .collect()
    }

    /// The span of the member holding the sheet asked for, from the workbook and its
    /// relationships; `None` when they do not tell (an xlsb, an ods, a sheet not there).
    fn sheet_member(&self) -> Option<Range<u64>> {
        let workbook = self.member("xl/workbook.xml")?;
        let rels = self.member("xl/_rels/workbook.xml.rels")?;
        let sheets = elements(&workbook, "sheet");
        let chosen = match &self.sheet {
            super::SheetChoice::Named(name) => sheets
                .iter()
                .find(|s| attribute(s, "name") == Some(name.as_str()))?,
            super::SheetChoice::Number(n) => sheets.get(*n)?,
        };
        let id = attribute(chosen, "r:id")?;
        let relationships = elements(&rels, "Relationship");
        let target = relationships
            .iter()
            .find(|r| attribute(r, "Id") == Some(id))
            .and_then(|r| attribute(r, "Target"))?;
        let path = match target.strip_prefix('/') {
            Some(absolute) => absolute.to_owned(),
            None => format!("xl/{target}"),
        };
        self.members
            .iter()
            .find(|m| m.name == path)
            .map(|m| m.span.clone())
    }
}

/// True for a member every sheet may need: the package's and the workbook's parts, not the
/// sheets themselves, nor what only they show (pictures, charts, drawings) or carry.
fn needed_by_every_sheet(name: &str) -> bool {
    const SKIPPED: &[&str] = &[
        "xl/media/",
        "xl/drawings/",
        "xl/charts/",
        "xl/embeddings/",
        "xl/printerSettings/",
        "xl/pivotCache/",
        "xl/pivotTables/",
        "xl/externalLinks/",
        "docProps/thumbnail",
        "Pictures/",
        "Thumbnails/",
    ];
    !is_sheet(name) && !SKIPPED.iter().any(|prefix| name.starts_with(prefix))
}

/// True for a sheet's own member (not its relationships).
fn is_sheet(name: &str) -> bool {
    (name.starts_with("xl/worksheets/") || name.starts_with("xl/chartsheets/"))
        && !name.contains("/_rels/")
}

/// The attributes (name, value) of each element whose local name is `name` in `xml`, in
/// order; what follows a part that is not well-formed is left out.
fn elements(xml: &[u8], name: &str) -> Vec<Vec<(String, String)>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut found = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(element) | Event::Empty(element))
                if element.local_name().into_inner() == name =>
            {
                let attributes = element
                    .attributes()
                    .flatten()
                    .filter_map(|a| {
                        let value = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()?;
                        Some((a.key.into_inner().to_owned(), value.into_owned()))
                    })
                    .collect();
                found.push(attributes);
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    found
}

/// The value of the attribute called `name`.
fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}
