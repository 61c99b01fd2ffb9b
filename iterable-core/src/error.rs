//! One error type for every layer: what went wrong, in which format, and where.

use std::fmt;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing bytes failed (file system, pipe, socket).
    Io,
    /// The input is not valid in its format.
    Parse,
    /// No format could be determined, or the name given is not a known format.
    UnknownFormat,
    /// The operation is not supported by this format or location.
    Unsupported,
    /// A configured limit was exceeded (for example the maximum record size).
    LimitExceeded,
    /// A record cannot be written as asked (for example a field the CSV header lacks).
    InvalidRecord,
    /// A remote service answered with an error.
    Remote,
}

impl ErrorKind {
    /// A short lowercase name, as shown in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Parse => "parse",
            ErrorKind::UnknownFormat => "unknown format",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::InvalidRecord => "invalid record",
            ErrorKind::Remote => "remote",
        }
    }
}

/// Where in the input an error happened. Every part is optional: a format fills in what it has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Position {
    /// Byte offset from the start of the input, counting from 0: of the decompressed input for
    /// a format's error, of the compressed input for a codec's error (its format is the
    /// codec's name).
    pub byte: Option<u64>,
    /// Line number, counting from 1.
    pub line: Option<u64>,
    /// Record number, counting from 1; a CSV header row is not a record.
    pub record: Option<u64>,
}

impl Position {
    /// True when no part of the position is known.
    pub fn is_unknown(&self) -> bool {
        self.byte.is_none() && self.line.is_none() && self.record.is_none()
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::with_capacity(3);
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(byte) = self.byte {
            parts.push(format!("byte {byte}"));
        }
        if let Some(record) = self.record {
            parts.push(format!("record {record}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// The error of every operation in iterable.
///
/// It carries a [`ErrorKind`], the format that raised it (`"csv"`, `"jsonl"`), a [`Position`],
/// the location (file name) when an adapter knows it, and whether reading can go on after it
/// ([`Error::is_recoverable`]): a bad CSV row or JSON line is recoverable, a record larger than
/// the limit inside an unterminated quote is not.
///
/// ```
/// use iterable_core::{Error, ErrorKind, Position};
/// let e = Error::new(ErrorKind::Parse, "row has 3 fields, the header has 2")
///     .with_format("csv")
///     .at(Position { byte: Some(17), line: Some(3), record: Some(2) })
///     .with_location("data.csv");
/// assert_eq!(e.to_string(), "data.csv: line 3, byte 17, record 2: csv: row has 3 fields, the header has 2");
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: String,
    format: Option<&'static str>,
    position: Position,
    location: Option<String>,
    recoverable: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind`; not recoverable until [`Error::recoverable`] says so.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            format: None,
            position: Position::default(),
            location: None,
            recoverable: false,
            source: None,
        }))
    }

    /// A parse error raised by `format`.
    pub fn parse(format: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Parse, message).with_format(format)
    }

    /// An I/O error. One that carries an [`Error`] (a remote read or write that failed, passed
    /// through `std::io`) gives that error back as it was.
    pub fn io(error: std::io::Error) -> Self {
        let error = match error.downcast::<Error>() {
            Ok(error) => return error,
            Err(error) => error,
        };
        let message = error.to_string();
        Self::new(ErrorKind::Io, message).with_source(error)
    }

    /// Sets the format that raised the error.
    pub fn with_format(mut self, format: &'static str) -> Self {
        self.0.format = Some(format);
        self
    }

    /// Sets the position.
    pub fn at(mut self, position: Position) -> Self {
        self.0.position = position;
        self
    }

    /// Sets the location (a file name or URL) unless one is set already.
    pub fn with_location(mut self, location: impl Into<String>) -> Self {
        if self.0.location.is_none() {
            self.0.location = Some(location.into());
        }
        self
    }

    /// Sets the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// Marks the error as recoverable: the decoder has skipped the bad record and can go on.
    pub fn recoverable(mut self) -> Self {
        self.0.recoverable = true;
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message, without location, position or format.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The format that raised the error, if any.
    pub fn format(&self) -> Option<&'static str> {
        self.0.format
    }

    /// Where in the input the error happened.
    pub fn position(&self) -> Position {
        self.0.position
    }

    /// The location (file name or URL), when known.
    pub fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }

    /// The kind of the underlying `std::io::Error`, for [`ErrorKind::Io`] errors.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        self.0
            .source
            .as_deref()
            .and_then(|e| e.downcast_ref::<std::io::Error>())
            .map(std::io::Error::kind)
    }

    /// True when reading can go on with the next record after this error.
    pub fn is_recoverable(&self) -> bool {
        self.0.recoverable
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.0.location {
            write!(f, "{location}: ")?;
        }
        if !self.0.position.is_unknown() {
            write!(f, "{}: ", self.0.position)?;
        }
        if let Some(format) = self.0.format {
            write!(f, "{format}: ")?;
        }
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("format", &self.0.format)
            .field("position", &self.0.position)
            .field("location", &self.0.location)
            .field("recoverable", &self.0.recoverable)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::io(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_omits_unknown_parts() {
        let e = Error::new(ErrorKind::UnknownFormat, "cannot tell the format of x.bin");
        assert_eq!(e.to_string(), "cannot tell the format of x.bin");
        let e = Error::parse("jsonl", "not an object").at(Position {
            line: Some(4),
            ..Position::default()
        });
        assert_eq!(e.to_string(), "line 4: jsonl: not an object");
    }

    #[test]
    fn location_is_set_once() {
        let e = Error::new(ErrorKind::Io, "x")
            .with_location("a")
            .with_location("b");
        assert_eq!(e.location(), Some("a"));
    }

    #[test]
    fn io_errors_keep_their_source() {
        use std::error::Error as _;
        let e = Error::from(std::io::Error::other("disk on fire"));
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.source().is_some());
        assert_eq!(e.io_kind(), Some(std::io::ErrorKind::Other));
        assert!(!e.is_recoverable());
    }
}
