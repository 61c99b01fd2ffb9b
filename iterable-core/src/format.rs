//! How a format describes itself, and what detection found.

/// What a format can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Records can be read.
    pub read: bool,
    /// Records can be written.
    pub write: bool,
    /// Reading needs only a forward pass over the bytes (no random access).
    pub streaming: bool,
    /// Reading needs byte ranges from anywhere in the input (a footer, a directory).
    pub random_access: bool,
}

/// A format's description, given once by the format itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatInfo {
    /// The short name used in options and on the command line: `"csv"`, `"jsonl"`.
    pub name: &'static str,
    /// Other names accepted for it (`"ndjson"`).
    pub aliases: &'static [&'static str],
    /// File name extensions, without the dot, that select it; the first is written.
    pub extensions: &'static [&'static str],
    /// MIME types (`Content-Type`s) that name it: `text/csv`.
    pub mime_types: &'static [&'static str],
    /// Bytes that its content starts with, when it has any: `PAR1`.
    pub magic: &'static [&'static [u8]],
    /// What it can do.
    pub capabilities: Capabilities,
    /// What it is, in a few words: `"comma-separated values (RFC 4180) and their kin"`.
    pub description: &'static str,
}

impl FormatInfo {
    /// True when `name` is this format's name or one of its aliases (ASCII case ignored).
    pub fn is_called(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// True when `head` starts with one of the format's magic byte strings.
    pub fn has_magic(&self, head: &[u8]) -> bool {
        self.magic.iter().any(|magic| head.starts_with(magic))
    }
}

impl Capabilities {
    /// Read and write, streaming: the text formats.
    pub const STREAMING: Capabilities = Capabilities {
        read: true,
        write: true,
        streaming: true,
        random_access: false,
    };

    /// Read by ranges from anywhere in the input, written as a stream: the columnar formats.
    pub const RANDOM_ACCESS: Capabilities = Capabilities {
        read: true,
        write: true,
        streaming: false,
        random_access: true,
    };
}

/// How a format was determined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectedBy {
    /// The caller named it.
    Options,
    /// The location's file name extension.
    Name,
    /// The first bytes of the content.
    Content,
}

impl DetectedBy {
    /// A short description: `"options"`, `"name"`, `"content"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DetectedBy::Options => "options",
            DetectedBy::Name => "name",
            DetectedBy::Content => "content",
        }
    }
}
