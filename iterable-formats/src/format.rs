//! How to read and how to write: the options every adapter passes down.

use crate::compression::{CodecKind, Compression};
use crate::{Detection, Format, FormatOptions, detect_from_name};
use iterable_core::{Error, ErrorKind, ErrorPolicy, Result};

/// The default maximum size of one record's bytes: 64 MiB.
pub const DEFAULT_MAX_RECORD_SIZE: usize = 64 << 20;

/// How to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The format; `None` detects it from the name, then from the content.
    pub format: Option<Format>,
    /// The format's options (`-o KEY=VALUE`): CSV's `delimiter`, `header`, ... They win over
    /// what a name implies (`.tsv`) and what is sniffed from the content. A key the format
    /// does not know is an error that lists the known ones.
    pub options: FormatOptions,
    /// The largest record, in bytes, before a [`ErrorKind::LimitExceeded`] error.
    pub max_record_size: usize,
    /// What to do with recoverable errors.
    pub error_policy: ErrorPolicy,
    /// Compression of the input: detected from the name, then the magic bytes, by default.
    pub compression: Compression,
    /// Limits on decompressed size and ratio.
    pub decompression_limits: iterable_core::DecompressionLimits,
    /// For zip archives: a glob on member names (`*.csv`); every file member when `None`. All
    /// members are read in the format of the first.
    pub zip_members: Option<String>,
    /// For zip archives: a field that each record gets, holding its member's name.
    pub member_field: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            options: FormatOptions::default(),
            max_record_size: DEFAULT_MAX_RECORD_SIZE,
            error_policy: ErrorPolicy::Fail,
            compression: Compression::Detect,
            decompression_limits: iterable_core::DecompressionLimits::default(),
            zip_members: None,
            member_field: None,
        }
    }
}

impl ReadOptions {
    /// Sets the format from a name such as `"tsv"` (which also implies the tab delimiter,
    /// unless the options give one).
    ///
    /// ```
    /// use iterable_formats::{Format, ReadOptions};
    /// let options = ReadOptions::default().with_format_name("tsv")?;
    /// assert_eq!(options.format, Some(Format::CSV));
    /// assert_eq!(options.options.get("delimiter"), Some("tab"));
    /// # Ok::<(), iterable_core::Error>(())
    /// ```
    pub fn with_format_name(mut self, name: &str) -> Result<Self> {
        let format = Format::named(name)?;
        self.format = Some(format);
        let implied = format.spec().implied_options(&name.to_ascii_lowercase());
        self.options = implied.merged(&self.options);
        Ok(self)
    }

    /// Sets a format option, as `-o KEY=VALUE` does.
    pub fn with_option(mut self, key: &str, value: &str) -> Self {
        self.options.set(key, value);
        self
    }
}

/// How to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// The format; `None` takes it from the target's name.
    pub format: Option<Format>,
    /// The format's options (`-O KEY=VALUE`): CSV's `delimiter`, `header`, ... They win over
    /// what the target's name implies (`.tsv`).
    pub options: FormatOptions,
    /// Compression of the output: from the target's name (`out.csv.gz`) by default.
    pub compression: Compression,
    /// The codec's compression level, on its own scale; `None` for its default.
    pub compression_level: Option<i32>,
    /// For a zip archive: its member's name (by default the target's name less `.zip`).
    pub zip_member: Option<String>,
}

impl WriteOptions {
    /// Sets the format from a name such as `"tsv"` (which also implies the tab delimiter,
    /// unless the options give one).
    pub fn with_format_name(mut self, name: &str) -> Result<Self> {
        let format = Format::named(name)?;
        self.format = Some(format);
        let implied = format.spec().implied_options(&name.to_ascii_lowercase());
        self.options = implied.merged(&self.options);
        Ok(self)
    }

    /// Sets a format option, as `-O KEY=VALUE` does.
    pub fn with_option(mut self, key: &str, value: &str) -> Self {
        self.options.set(key, value);
        self
    }

    /// The options for writing to a target named `name` (a file name, `None` for stdout):
    /// the name's codec, format and dialect unless these options say otherwise.
    ///
    /// ```
    /// use iterable_formats::{Format, WriteOptions};
    /// let options = WriteOptions::default().for_target(Some("out.tsv.gz"))?;
    /// assert_eq!(options.format, Some(Format::CSV));
    /// assert_eq!(options.options.get("delimiter"), Some("tab"));
    /// # Ok::<(), iterable_core::Error>(())
    /// ```
    pub fn for_target(&self, name: Option<&str>) -> Result<WriteOptions> {
        let mut options = self.clone();
        let mut name = name;
        if let (Compression::Detect, Some((codec, inner))) =
            (self.compression, name.and_then(CodecKind::from_file_name))
        {
            options.compression = Compression::Use(codec);
            if codec == CodecKind::Zip && options.zip_member.is_none() {
                options.zip_member = Some(inner.to_owned());
            }
            name = Some(inner);
        }
        match (self.format, name.and_then(detect_from_name)) {
            (
                None,
                Some(Detection {
                    format,
                    options: implied,
                    ..
                }),
            ) => {
                options.format = Some(format);
                options.options = implied.merged(&self.options);
            }
            (Some(format), Some(named)) if named.format == format => {
                options.options = named.options.merged(&self.options);
            }
            (Some(_), _) => {}
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::UnknownFormat,
                    "cannot tell which format to write from the name; name one in the options",
                ));
            }
        }
        Ok(options)
    }
}
