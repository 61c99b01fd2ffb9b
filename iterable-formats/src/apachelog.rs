//! Web server access logs (`apachelog`): Apache's and nginx's common and combined formats, one
//! record per line.
//!
//! `-o log_format=` picks the layout (combined by default, which is also nginx's default):
//!
//! | `log_format` | Apache `LogFormat` | fields |
//! |---|---|---|
//! | `common` | `%h %l %u %t "%r" %>s %b` | `remote_host remote_logname remote_user time method request protocol status size` |
//! | `combined` | common `"%{Referer}i" "%{User-agent}i"` | common's, then `referer user_agent` |
//! | `vhost_common` | `%v` then common | `vhost`, then common's |
//! | `vhost_combined` | `%v` then combined | `vhost`, then combined's |
//!
//! The names are IterableData's. Values are typed: `status` and `size` integers, `time` a
//! timestamp in UTC with its zone (`[10/Oct/2000:13:55:36 -0700]` is
//! `2000-10-10T20:55:36Z`, zone `-07:00`), and a field that is `-` is null. The request line
//! `"GET /a HTTP/1.1"` gives `method`, `request` (the target) and `protocol`; a request line of
//! another shape (`"-"`, a bare target) is kept whole in `request`, with `method` and
//! `protocol` null. Quoted fields lose the escapes servers write into them (`\"`, `\\`,
//! `\xHH`), unless the bytes they stand for are not UTF-8: then the text is kept as written.
//!
//! Written in the same layouts (`-O log_format=`), from records with those fields: a missing
//! or null field is `-`, `time` must be a timestamp in whole seconds (written in its zone when
//! that is an offset such as `+01:00`, else in UTC), quoted fields are escaped as Apache does;
//! a field the layout has no place for, or a value it cannot hold (a space in a bare field, a
//! status that is not an integer), is an error naming the record, never a value dropped.
//!
//! A line that does not match the layout is a recoverable error naming its line and the byte
//! where it stops matching, never a record silently lost (IterableData drops such lines).
//! Content detection recognises the four layouts.

use crate::lines::{LineDecoder, LineParser, head_lines, within, write_line};
use crate::registry::{FormatOptions, FormatSpec, OptionInfo, Sniffed};
use crate::text;
use bytes::{BufMut, BytesMut};
use iterable_core::{
    Capabilities, Date, Decoder, Encoder, Error, ErrorKind, Fields, FormatInfo, Position, Record,
    Result, TimeUnit, Timestamp, Value,
};
use std::sync::Arc;

/// Web access logs in the format registry.
pub struct ApacheLogFormat;

/// The registry's web access logs.
pub static APACHELOG: ApacheLogFormat = ApacheLogFormat;

/// The format's name in errors and options.
pub const FORMAT: &str = "apachelog";

static INFO: FormatInfo = FormatInfo {
    name: FORMAT,
    aliases: &["accesslog", "weblog", "clf"],
    extensions: &["apachelog"],
    mime_types: &[],
    magic: &[],
    capabilities: Capabilities::STREAMING,
    description: "web server access logs: Apache and nginx common and combined formats",
};

static READ_OPTIONS: &[OptionInfo] = &[OptionInfo {
    key: "log_format",
    default: "combined",
    help: "the layout: common, combined, vhost_common or vhost_combined",
}];

/// A layout of access log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `%h %l %u %t "%r" %>s %b`.
    Common,
    /// Common, then `"%{Referer}i" "%{User-agent}i"`.
    #[default]
    Combined,
    /// `%v`, then common.
    VhostCommon,
    /// `%v`, then combined.
    VhostCombined,
}

impl LogFormat {
    /// Every layout, in the order detection prefers them.
    pub const ALL: [LogFormat; 4] = [
        LogFormat::Combined,
        LogFormat::Common,
        LogFormat::VhostCombined,
        LogFormat::VhostCommon,
    ];

    /// Its name, as `-o log_format=` takes it.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Common => "common",
            LogFormat::Combined => "combined",
            LogFormat::VhostCommon => "vhost_common",
            LogFormat::VhostCombined => "vhost_combined",
        }
    }

    fn parts(self) -> &'static [Part] {
        use Part::*;
        match self {
            LogFormat::Common => &[Host, Logname, User, Time, Request, Status, Size],
            LogFormat::Combined => &[
                Host, Logname, User, Time, Request, Status, Size, Referer, UserAgent,
            ],
            LogFormat::VhostCommon => &[Vhost, Host, Logname, User, Time, Request, Status, Size],
            LogFormat::VhostCombined => &[
                Vhost, Host, Logname, User, Time, Request, Status, Size, Referer, UserAgent,
            ],
        }
    }

    fn names(self) -> Fields {
        Fields::new(
            self.parts()
                .iter()
                .flat_map(|part| part.names().iter().copied()),
        )
    }
}

/// One field of a layout, as written in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Vhost,
    Host,
    Logname,
    User,
    Time,
    Request,
    Status,
    Size,
    Referer,
    UserAgent,
}

impl Part {
    /// The record's fields it fills.
    fn names(self) -> &'static [&'static str] {
        match self {
            Part::Vhost => &["vhost"],
            Part::Host => &["remote_host"],
            Part::Logname => &["remote_logname"],
            Part::User => &["remote_user"],
            Part::Time => &["time"],
            Part::Request => &["method", "request", "protocol"],
            Part::Status => &["status"],
            Part::Size => &["size"],
            Part::Referer => &["referer"],
            Part::UserAgent => &["user_agent"],
        }
    }
}

fn log_format(options: &FormatOptions) -> Result<LogFormat> {
    Ok(options
        .parsed(
            FORMAT,
            "log_format",
            "common, combined, vhost_common or vhost_combined",
            |v| LogFormat::ALL.into_iter().find(|f| f.name() == v),
        )?
        .unwrap_or_default())
}

impl FormatSpec for ApacheLogFormat {
    fn info(&self) -> &'static FormatInfo {
        &INFO
    }

    fn read_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn write_options(&self) -> &'static [OptionInfo] {
        READ_OPTIONS
    }

    fn encoder(&self, options: &FormatOptions) -> Result<Box<dyn Encoder + Send>> {
        Ok(Box::new(ApacheLogEncoder::new(log_format(options)?)))
    }

    /// The first complete line matches a layout, and nine in ten of the first 20 (all but one
    /// when fewer): 85,
    /// with that layout as the `log_format` option.
    fn sniff(&self, head: &[u8], complete: bool) -> Option<Sniffed> {
        let lines = head_lines(head, complete, 20);
        if lines.is_empty() {
            return None;
        }
        // The first line matches, and nine in ten of the others (one bad line in a short sample):
        // a few bad lines are errors to read, not another format.
        let layout = LogFormat::ALL.into_iter().find(|&layout| {
            let mut parser = ApacheLogParser::new(layout);
            let mut matches = lines
                .iter()
                .map(|line| parser.parse(line, Position::default()).is_ok());
            matches.next() == Some(true)
                && matches.filter(|&m| !m).count() <= (lines.len() / 10).max(1)
        })?;
        Some(Sniffed {
            confidence: 85,
            options: FormatOptions::default().with("log_format", layout.name()),
        })
    }

    fn decoder(
        &self,
        options: &FormatOptions,
        max_record_size: usize,
    ) -> Result<Box<dyn Decoder + Send>> {
        Ok(Box::new(ApacheLogDecoder::new(
            log_format(options)?,
            max_record_size,
        )))
    }
}

/// Decodes access logs: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Decoder, Value};
/// use iterable_formats::apachelog::{ApacheLogDecoder, LogFormat};
///
/// let line = b"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08\"\n";
/// let mut decoder = ApacheLogDecoder::new(LogFormat::Combined, 1 << 20);
/// let record = decoder.decode(&mut BytesMut::from(&line[..]))?.unwrap();
/// assert_eq!(record.get("remote_logname"), Some(&Value::Null));
/// assert_eq!(record.get("request").and_then(|v| v.as_str()), Some("/apache_pb.gif"));
/// assert_eq!(record.get("status"), Some(&Value::Int(200)));
/// assert_eq!(record.get("time").unwrap().typed_text().unwrap(), "2000-10-10T20:55:36Z");
/// # Ok::<(), iterable_core::Error>(())
/// ```
pub type ApacheLogDecoder = LineDecoder<ApacheLogParser>;

impl ApacheLogDecoder {
    /// A decoder of lines in `layout`, refusing lines longer than `max_record_size` bytes.
    pub fn new(layout: LogFormat, max_record_size: usize) -> ApacheLogDecoder {
        LineDecoder::with_parser(ApacheLogParser::new(layout), max_record_size)
    }
}

/// One access log line into a record (the [`LineParser`] of [`ApacheLogDecoder`]).
#[derive(Debug)]
pub struct ApacheLogParser {
    layout: LogFormat,
    names: Fields,
    /// The zones seen, shared by the timestamps that have them.
    zones: Vec<(i32, Arc<str>)>,
}

impl ApacheLogParser {
    /// A parser of lines in `layout`.
    pub fn new(layout: LogFormat) -> ApacheLogParser {
        ApacheLogParser {
            layout,
            names: layout.names(),
            zones: Vec::new(),
        }
    }

    fn zone(&mut self, offset_minutes: i32) -> Arc<str> {
        if let Some((_, zone)) = self.zones.iter().find(|(m, _)| *m == offset_minutes) {
            return zone.clone();
        }
        let zone: Arc<str> = text::offset_zone(offset_minutes).into();
        if self.zones.len() < 64 {
            self.zones.push((offset_minutes, zone.clone()));
        }
        zone
    }
}

/// Where a line stops matching, and why.
struct Mismatch(usize, String);

impl LineParser for ApacheLogParser {
    const FORMAT: &'static str = FORMAT;

    fn parse(&mut self, line: &[u8], position: Position) -> Result<Option<Record>> {
        let mut values = Vec::with_capacity(self.names.len());
        let mut at = 0;
        let layout = self.layout;
        let result: std::result::Result<(), Mismatch> = (|| {
            for (i, &part) in layout.parts().iter().enumerate() {
                if at >= line.len() {
                    return Err(Mismatch(
                        at,
                        format!("the line ends before its {} field", part.names()[0]),
                    ));
                }
                if i > 0 {
                    let spaces = line[at..].iter().take_while(|&&b| b == b' ').count();
                    if spaces == 0 {
                        return Err(Mismatch(at, "expected a space between fields".into()));
                    }
                    at += spaces;
                }
                let start = at;
                match part {
                    Part::Time => {
                        let (text, next) = delimited(line, at, b'[', b']', "the time in [...]")?;
                        at = next;
                        let (seconds, offset) = parse_time(text).ok_or_else(|| {
                            Mismatch(
                                start,
                                format!(
                                    "{:?} is not a time like 10/Oct/2000:13:55:36 -0700",
                                    String::from_utf8_lossy(text)
                                ),
                            )
                        })?;
                        let zone = self.zone(offset);
                        values.push(Value::Timestamp(Timestamp::new(
                            seconds,
                            TimeUnit::Second,
                            Some(zone),
                        )));
                    }
                    Part::Request => {
                        let (text, next) = quoted(line, at, "the request line in quotes")?;
                        at = next;
                        let mut pieces = text.split(' ');
                        match (pieces.next(), pieces.next(), pieces.next(), pieces.next()) {
                            (Some(method), Some(target), Some(protocol), None)
                                if !method.is_empty()
                                    && !target.is_empty()
                                    && protocol.starts_with("HTTP/") =>
                            {
                                values.push(Value::from(method));
                                values.push(Value::from(target));
                                values.push(Value::from(protocol));
                            }
                            _ => {
                                values.push(Value::Null);
                                values.push(dash_or(&text));
                                values.push(Value::Null);
                            }
                        }
                    }
                    Part::Referer | Part::UserAgent => {
                        let (text, next) = quoted(line, at, "a quoted field")?;
                        at = next;
                        values.push(dash_or(&text));
                    }
                    Part::Status | Part::Size => {
                        let (text, next) = bare(line, at);
                        at = next;
                        let value = if text == b"-" && part == Part::Size {
                            Value::Null
                        } else {
                            let number = std::str::from_utf8(text)
                                .ok()
                                .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                                .and_then(|t| t.parse::<i64>().ok());
                            match number {
                                Some(n) => Value::Int(n),
                                None => {
                                    let what = if part == Part::Status {
                                        "the status, a number"
                                    } else {
                                        "the size, a number or -"
                                    };
                                    return Err(Mismatch(
                                        start,
                                        format!(
                                            "expected {what}, found {:?}",
                                            String::from_utf8_lossy(text)
                                        ),
                                    ));
                                }
                            }
                        };
                        values.push(value);
                    }
                    Part::Vhost | Part::Host | Part::Logname | Part::User => {
                        let (text, next) = bare(line, at);
                        at = next;
                        if text.is_empty() {
                            return Err(Mismatch(start, "a field is missing".into()));
                        }
                        let text = std::str::from_utf8(text)
                            .map_err(|_| Mismatch(start, "the field is not UTF-8 text".into()))?;
                        values.push(dash_or(text));
                    }
                }
            }
            let rest = line[at..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            if at + rest < line.len() {
                return Err(Mismatch(
                    at,
                    format!("text after the last field of the {} format", layout.name()),
                ));
            }
            Ok(())
        })();
        match result {
            Ok(()) => Record::with_fields(self.names.clone(), values).map(Some),
            Err(Mismatch(offset, why)) => Err(Error::new(
                ErrorKind::InvalidRecord,
                format!(
                    "the line does not match the {} log format: {why}",
                    layout.name()
                ),
            )
            .at(within(position, offset))),
        }
    }
}

/// Encodes records as access log lines: see the [module](self).
///
/// ```
/// use bytes::BytesMut;
/// use iterable_core::{Encoder, Record, Timestamp, TimeUnit, Value};
/// use iterable_formats::apachelog::{ApacheLogEncoder, LogFormat};
///
/// let r: Record = [
///     ("remote_host", Value::from("10.0.0.1")),
///     ("time", Value::Timestamp(Timestamp::new(971_211_336, TimeUnit::Second, Some("-07:00".into())))),
///     ("method", Value::from("GET")), ("request", Value::from("/")), ("protocol", Value::from("HTTP/1.0")),
///     ("status", Value::Int(200)), ("size", Value::Int(2326)),
/// ].into_iter().collect();
/// let mut out = BytesMut::new();
/// ApacheLogEncoder::new(LogFormat::Common).encode(&r, &mut out)?;
/// assert_eq!(&out[..], &b"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326\n"[..]);
/// # Ok::<(), iterable_core::Error>(())
/// ```
#[derive(Debug)]
pub struct ApacheLogEncoder {
    layout: LogFormat,
    names: Fields,
    records: u64,
}

impl ApacheLogEncoder {
    /// An encoder writing lines in `layout`.
    pub fn new(layout: LogFormat) -> ApacheLogEncoder {
        ApacheLogEncoder {
            layout,
            names: layout.names(),
            records: 0,
        }
    }
}

/// One record as a line in `layout`, whose fields are `names`.
fn write_entry(
    layout: LogFormat,
    names: &Fields,
    record: &Record,
    out: &mut BytesMut,
) -> std::result::Result<(), String> {
    if let Some(extra) = record.names().find(|name| names.position(name).is_none()) {
        return Err(format!(
            "the field {extra:?} has no place in the {} log format (its fields: {})",
            layout.name(),
            names.iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let field = |name: &str| record.get(name).filter(|v| !v.is_null());
    for (i, &part) in layout.parts().iter().enumerate() {
        if i > 0 {
            out.put_u8(b' ');
        }
        let name = part.names()[0];
        match part {
            Part::Time => match field(name) {
                Some(Value::Timestamp(time)) => write_time(time, out)?,
                Some(other) => return Err(format!("time must be a timestamp, not {other:?}")),
                None => return Err("time is missing".into()),
            },
            Part::Request => {
                let text = match (field("method"), field("request"), field("protocol")) {
                    (None, target, None) => target
                        .map(scalar_text)
                        .transpose()?
                        .unwrap_or_else(|| "-".into()),
                    (Some(method), Some(target), Some(protocol)) => {
                        let pieces = [
                            scalar_text(method)?,
                            scalar_text(target)?,
                            scalar_text(protocol)?,
                        ];
                        if pieces.iter().any(|p| p.is_empty() || p.contains(' ')) {
                            return Err(
                                "method, request and protocol must be words without spaces".into(),
                            );
                        }
                        pieces.join(" ")
                    }
                    _ => return Err("method and protocol go together, with a request".into()),
                };
                write_quoted(&text, out);
            }
            Part::Referer | Part::UserAgent => {
                let text = field(name).map(scalar_text).transpose()?;
                write_quoted(text.as_deref().unwrap_or("-"), out);
            }
            Part::Status | Part::Size => match field(name) {
                Some(Value::Int(n)) if *n >= 0 => {
                    out.put_slice(itoa::Buffer::new().format(*n).as_bytes())
                }
                None if part == Part::Size => out.put_u8(b'-'),
                other => return Err(format!("{name} must be a whole number, not {other:?}")),
            },
            Part::Vhost | Part::Host | Part::Logname | Part::User => {
                let text = field(name).map(scalar_text).transpose()?;
                let text = text.as_deref().unwrap_or("-");
                if text.is_empty() || text.contains([' ', '\t', '\n', '\r', '"', '[']) {
                    return Err(format!(
                        "{name} {text:?} cannot be written: it must be a word without spaces or quotes"
                    ));
                }
                out.put_slice(text.as_bytes());
            }
        }
    }
    out.put_u8(b'\n');
    Ok(())
}

/// The text of a scalar value; nested values have no place in a log line.
fn scalar_text(value: &Value) -> std::result::Result<String, String> {
    if matches!(value, Value::Array(_) | Value::Object(_)) {
        return Err(format!("a log line cannot hold the nested value {value:?}"));
    }
    text::to_text(value)
}

/// `[10/Oct/2000:13:55:36 -0700]`, in the timestamp's zone when it is an offset, else UTC.
fn write_time(time: &Timestamp, out: &mut BytesMut) -> std::result::Result<(), String> {
    let per = time.unit().per_second();
    if time.value().rem_euclid(per) != 0 {
        return Err(format!(
            "the time {time} has fractions of a second, which the log format cannot hold"
        ));
    }
    let offset = time.zone().and_then(text::offset_minutes).unwrap_or(0);
    let local = time
        .value()
        .div_euclid(per)
        .checked_add(i64::from(offset) * 60)
        .ok_or_else(|| format!("the time {time} is out of range"))?;
    let days = i32::try_from(local.div_euclid(86_400))
        .map_err(|_| format!("the time {time} is out of range"))?;
    let (year, month, day) = Date::from_days(days).ymd();
    if !(0..=9999).contains(&year) {
        return Err(format!("the time {time} is out of the log format's years"));
    }
    let clock = local.rem_euclid(86_400);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let sign = if offset < 0 { '-' } else { '+' };
    let m = offset.unsigned_abs();
    let text = format!(
        "[{day:02}/{}/{year:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}]",
        MONTHS[month as usize - 1],
        clock / 3_600,
        clock / 60 % 60,
        clock % 60,
        m / 60,
        m % 60
    );
    out.put_slice(text.as_bytes());
    Ok(())
}

/// `text` in quotes, with `"`, `\\` and control characters escaped as Apache does.
fn write_quoted(text: &str, out: &mut BytesMut) {
    out.put_u8(b'"');
    for &b in text.as_bytes() {
        match b {
            b'"' | b'\\' => {
                out.put_u8(b'\\');
                out.put_u8(b);
            }
            0..=0x1f | 0x7f => out.put_slice(format!("\\x{b:02x}").as_bytes()),
            _ => out.put_u8(b),
        }
    }
    out.put_u8(b'"');
}

impl Encoder for ApacheLogEncoder {
    fn encode(&mut self, record: &Record, out: &mut BytesMut) -> Result<()> {
        let (layout, names) = (self.layout, &self.names);
        write_line(FORMAT, &mut self.records, out, |out| {
            write_entry(layout, names, record, out)
        })
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<()> {
        Ok(())
    }
}

fn dash_or(text: &str) -> Value {
    if text == "-" {
        Value::Null
    } else {
        Value::from(text)
    }
}

/// The field at `at`, up to the next space.
fn bare(line: &[u8], at: usize) -> (&[u8], usize) {
    let end = memchr::memchr(b' ', &line[at..]).map_or(line.len(), |i| at + i);
    (&line[at..end], end)
}

/// The text between `open` and `close` at `at`, and where it ends.
fn delimited<'a>(
    line: &'a [u8],
    at: usize,
    open: u8,
    close: u8,
    what: &str,
) -> std::result::Result<(&'a [u8], usize), Mismatch> {
    if line.get(at) != Some(&open) {
        return Err(Mismatch(at, format!("expected {what}")));
    }
    let end = memchr::memchr(close, &line[at + 1..])
        .ok_or_else(|| Mismatch(at, format!("{what} is not closed")))?;
    Ok((&line[at + 1..at + 1 + end], at + end + 2))
}

/// The quoted text at `at` with its escapes taken off, and where it ends.
fn quoted(line: &[u8], at: usize, what: &str) -> std::result::Result<(String, usize), Mismatch> {
    if line.get(at) != Some(&b'"') {
        return Err(Mismatch(at, format!("expected {what}")));
    }
    let mut i = at + 1;
    let mut unescaped = Vec::new();
    loop {
        match line.get(i) {
            None => return Err(Mismatch(at, format!("{what} is not closed"))),
            Some(b'"') => break,
            Some(b'\\') => match line.get(i + 1) {
                Some(&c @ (b'"' | b'\\')) => {
                    unescaped.push(c);
                    i += 2;
                }
                Some(b'x') => match line.get(i + 2..i + 4).and_then(hex_byte) {
                    Some(byte) => {
                        unescaped.push(byte);
                        i += 4;
                    }
                    None => {
                        unescaped.push(b'\\');
                        i += 1;
                    }
                },
                _ => {
                    unescaped.push(b'\\');
                    i += 1;
                }
            },
            Some(&b) => {
                unescaped.push(b);
                i += 1;
            }
        }
    }
    let raw = &line[at + 1..i];
    let text = match String::from_utf8(unescaped) {
        Ok(text) => text,
        Err(_) => std::str::from_utf8(raw)
            .map_err(|_| Mismatch(at, format!("{what} is not UTF-8 text")))?
            .to_owned(),
    };
    Ok((text, i + 1))
}

fn hex_byte(digits: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(digits).ok()?;
    u8::from_str_radix(text, 16)
        .ok()
        .filter(|_| digits.iter().all(u8::is_ascii_hexdigit))
}

/// `10/Oct/2000:13:55:36 -0700` as seconds since the epoch (UTC) and the offset in minutes.
fn parse_time(text: &[u8]) -> Option<(i64, i32)> {
    let text = std::str::from_utf8(text).ok()?;
    let (clock, zone) = text.split_once(' ')?;
    let mut parts = clock.splitn(3, '/');
    let day: u32 = digits(parts.next()?, 1, 2)?;
    let month = parts.next()?;
    let rest = parts.next()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m.eq_ignore_ascii_case(month))? as u32
        + 1;
    let mut fields = rest.split(':');
    let year: i32 = digits(fields.next()?, 4, 4)?;
    let hour: i64 = digits(fields.next()?, 2, 2)?;
    let minute: i64 = digits(fields.next()?, 2, 2)?;
    let second: i64 = digits(fields.next()?, 2, 2)?;
    if fields.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let (sign, hhmm) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    if hhmm.len() != 4 || !hhmm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let zone_hours: i32 = digits(&hhmm[..2], 2, 2)?;
    let zone_minutes: i32 = digits(&hhmm[2..], 2, 2)?;
    if zone_minutes > 59 {
        return None;
    }
    let offset = sign * (zone_hours * 60 + zone_minutes);
    let days = i64::from(Date::from_ymd(year, month, day)?.days());
    let local = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Some((local - i64::from(offset) * 60, offset))
}

/// `text` as a number of `min..=max` ASCII digits.
fn digits<T: std::str::FromStr>(text: &str, min: usize, max: usize) -> Option<T> {
    (text.len() >= min && text.len() <= max && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(layout: LogFormat, input: &[u8]) -> Vec<Result<Record>> {
        crate::lines::decode_all(ApacheLogDecoder::new(layout, 1 << 20), input)
    }

    #[test]
    fn every_field_is_named_and_typed() {
        let rows = decode_all(
            LogFormat::Combined,
            b"::1 - - [01/Jan/2024:00:30:00 +0130] \"POST /q?a=\\\"b\\\" HTTP/2.0\" 404 - \"-\" \"curl/8 \\x22x\\x22\"\n",
        );
        let r = rows[0].as_ref().unwrap();
        assert_eq!(
            r.names().collect::<Vec<_>>(),
            [
                "remote_host",
                "remote_logname",
                "remote_user",
                "time",
                "method",
                "request",
                "protocol",
                "status",
                "size",
                "referer",
                "user_agent"
            ]
        );
        assert_eq!(r.get("remote_host").and_then(Value::as_str), Some("::1"));
        assert_eq!(r.get("remote_user"), Some(&Value::Null));
        let Some(Value::Timestamp(time)) = r.get("time") else {
            panic!()
        };
        assert_eq!(time.to_string(), "2023-12-31T23:00:00Z");
        assert_eq!(time.zone(), Some("+01:30"));
        assert_eq!(r.get("method").and_then(Value::as_str), Some("POST"));
        assert_eq!(r.get("request").and_then(Value::as_str), Some("/q?a=\"b\""));
        assert_eq!(r.get("status"), Some(&Value::Int(404)));
        assert_eq!(r.get("size"), Some(&Value::Null));
        assert_eq!(r.get("referer"), Some(&Value::Null));
        assert_eq!(
            r.get("user_agent").and_then(Value::as_str),
            Some("curl/8 \"x\"")
        );
    }

    #[test]
    fn a_request_line_of_another_shape_is_kept_whole() {
        let rows = decode_all(LogFormat::Common, b"h - - [10/Oct/2000:13:55:36 -0700] \"\\x16\\x03\" 400 0\nh - - [10/Oct/2000:13:55:36 -0700] \"-\" 408 0\n");
        let r = rows[0].as_ref().unwrap();
        assert_eq!(r.get("method"), Some(&Value::Null));
        assert_eq!(
            r.get("request").and_then(Value::as_str),
            Some("\u{16}\u{3}")
        );
        assert_eq!(rows[1].as_ref().unwrap().get("request"), Some(&Value::Null));
    }

    #[test]
    fn a_line_that_does_not_match_names_its_line_and_byte() {
        let rows = decode_all(
            LogFormat::Common,
            b"h - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\nh - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" ok 1\nh - - [32/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\nh - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 extra\nv h - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n",
        );
        assert_eq!(rows.len(), 5);
        assert!(rows[0].is_ok());
        let errors: Vec<&Error> = rows[1..].iter().map(|r| r.as_ref().unwrap_err()).collect();
        assert!(
            errors
                .iter()
                .all(|e| e.is_recoverable() && e.format() == Some(FORMAT))
        );
        assert_eq!(
            errors[0].position(),
            Position {
                byte: Some(110),
                line: Some(2),
                record: Some(2)
            }
        );
        assert!(
            errors[0].message().contains("status"),
            "{}",
            errors[0].message()
        );
        assert_eq!(errors[1].position().byte, Some(115 + 6));
        assert!(errors[2].message().contains("after the last field"));
        assert_eq!(errors[3].position().line, Some(5));
    }

    #[test]
    fn content_detection_finds_the_layout() {
        let common = b"h - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n";
        let sniffed = APACHELOG.sniff(common, true).unwrap();
        assert_eq!(sniffed.options.get("log_format"), Some("common"));
        let vhost = b"example.com h - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"ua\"\n";
        assert_eq!(
            APACHELOG
                .sniff(vhost, true)
                .unwrap()
                .options
                .get("log_format"),
            Some("vhost_combined")
        );
        assert!(APACHELOG.sniff(b"a,b\n1,2\n", true).is_none());
        let one_bad = [&common[..], b"broken\n", &common[..]].concat();
        assert!(APACHELOG.sniff(&one_bad, true).is_some());
        let first_bad = [&b"broken\n"[..], &common[..]].concat();
        assert!(APACHELOG.sniff(&first_bad, true).is_none());
    }
}
