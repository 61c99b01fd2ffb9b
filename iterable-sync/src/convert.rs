//! `convert`: records from one location to another.

use crate::{create_with, open_with};
use iterable_core::Result;
use iterable_formats::{ReadOptions, WriteOptions};

/// What a conversion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConvertStats {
    /// Records written.
    pub records: u64,
    /// Bytes read from the source.
    pub bytes_read: u64,
    /// Bad records skipped under the `Skip` or `Collect` error policies.
    pub skipped: u64,
}

/// Reads every record of `source` and writes it to `target`; formats come from the names
/// unless the options give them. The target is written atomically: on any error it is left
/// as it was.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let src = dir.path().join("in.csv");
/// # std::fs::write(&src, "id,name\n1,Ada\n")?;
/// # let (src, dst) = (src.to_str().unwrap(), dir.path().join("out.jsonl"));
/// # let dst = dst.to_str().unwrap();
/// let stats = iterable_sync::convert(src, dst, &Default::default(), &Default::default())?;
/// assert_eq!(stats.records, 1);
/// assert_eq!(std::fs::read_to_string(dst)?, "{\"id\":\"1\",\"name\":\"Ada\"}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn convert(
    source: &str,
    target: &str,
    read: &ReadOptions,
    write: &WriteOptions,
) -> Result<ConvertStats> {
    let mut reader = open_with(source, read)?;
    let mut writer = create_with(target, write)?;
    while let Some(record) = reader.read()? {
        writer.write(&record)?;
    }
    let records = writer.records_written();
    writer.finish()?;
    Ok(ConvertStats {
        records,
        bytes_read: reader.bytes_read(),
        skipped: reader.skipped(),
    })
}
