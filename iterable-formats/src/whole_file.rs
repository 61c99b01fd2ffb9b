//! A file that a decoder read by ranges needs whole (a workbook, a database): asked for as one
//! range, once, within a limit on what is held in memory.

use bytes::Bytes;
use iterable_core::{Error, ErrorKind, RangeStep, Result};

pub(crate) use crate::MAX_WHOLE_FILE;

/// A file of `size` bytes fetched whole: see the [module](self).
pub(crate) struct WholeFile {
    size: u64,
    asked: bool,
    file: Option<Bytes>,
}

impl WholeFile {
    /// The file of `size` bytes, not asked for yet.
    pub(crate) fn new(size: u64) -> WholeFile {
        WholeFile {
            size,
            asked: false,
            file: None,
        }
    }

    /// The file once pushed (given once), else the step that asks for it; an error for a
    /// file over [`MAX_WHOLE_FILE`] or one asked for and not given. `what` names it in errors
    /// (`a workbook`) of `format`.
    pub(crate) fn take(
        &mut self,
        format: &'static str,
        what: &str,
    ) -> Result<std::result::Result<Bytes, RangeStep>> {
        if let Some(file) = self.file.take() {
            return Ok(Ok(file));
        }
        if self.asked {
            return Err(Error::parse(format, format!("{what} was not given")));
        }
        if self.size > MAX_WHOLE_FILE {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "{what} of {} bytes, more than the {} MiB read into memory",
                    self.size,
                    MAX_WHOLE_FILE >> 20
                ),
            )
            .with_format(format));
        }
        self.asked = true;
        let whole = 0..self.size;
        Ok(Err(RangeStep::Need(vec![whole])))
    }

    /// The bytes asked for (one range, the whole file).
    pub(crate) fn push(&mut self, data: Vec<Bytes>) {
        self.file = data.into_iter().next();
    }
}
