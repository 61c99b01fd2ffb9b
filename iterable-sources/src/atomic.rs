//! `AtomicFile`: writing a local file all or nothing.

use std::fs::File;
use std::path::{Path, PathBuf};

/// A temporary file beside a target, renamed over it by [`AtomicFile::commit`]. Dropped
/// without a commit, it deletes the temporary file: the target stays as it was.
///
/// The temporary file gets the permissions a plain create would give (0666 less the umask),
/// or those of the file it will replace.
///
/// ```
/// use std::io::Write;
/// # let dir = tempfile::tempdir()?;
/// let target = dir.path().join("out.csv");
/// let (mut file, atomic) = iterable_sources::AtomicFile::create(&target)?;
/// file.write_all(b"a\n1\n")?;
/// assert!(!target.exists());
/// atomic.commit()?;
/// assert_eq!(std::fs::read(&target)?, b"a\n1\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AtomicFile {
    temp: tempfile::TempPath,
    target: PathBuf,
    /// The temporary file's handle, to sync it before the rename.
    file: File,
}

impl AtomicFile {
    /// Creates the temporary file; returns it to write to, and the handle that commits it.
    pub fn create(target: &Path) -> std::io::Result<(File, AtomicFile)> {
        let dir = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("output");
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(target).map_or(0o666, |m| m.permissions().mode());
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let (file, temp) = builder.tempfile_in(dir)?.into_parts();
        let handle = file.try_clone()?;
        Ok((
            file,
            AtomicFile {
                temp,
                target: target.to_owned(),
                file: handle,
            },
        ))
    }

    /// Syncs the temporary file to disk and renames it over the target. Blocking: async
    /// adapters call it on their blocking pool.
    pub fn commit(self) -> std::io::Result<()> {
        self.file.sync_all()?;
        self.temp.persist(&self.target).map_err(|e| e.error)
    }
}
