//! Files written atomically: a temporary file beside the destination, renamed over it only when
//! complete, so a reader sees the old file or the new one, never a partial one.
//!
//! Model files, `rhetor score -o` and `rhetor compare -o` all write through [`AtomicFile`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file being written; it replaces its destination on [`AtomicFile::commit`]. Dropped
/// without a commit (an error, a panic), it removes its temporary file and leaves the
/// destination untouched.
///
/// The temporary file sits beside the destination (a rename does not cross file systems). A
/// symbolic link is followed, so the file it points to is replaced and the link kept, and a
/// replaced file's permissions are kept. A destination that exists but is not a regular file
/// (a device such as `/dev/full`, a directory) is refused rather than replaced.
#[derive(Debug)]
pub struct AtomicFile {
    file: Option<BufWriter<File>>,
    tmp: PathBuf,
    target: PathBuf,
    dir: PathBuf,
}

impl AtomicFile {
    /// Starts writing a new version of `path`.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let (target, permissions) = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => (std::fs::canonicalize(path)?, Some(m.permissions())),
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "exists and is not a regular file; refusing to replace it",
                ))
            }
            Err(_) => (path.to_path_buf(), None),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        // Unique per process and per file, so that concurrent writes never share a file.
        static FILES: AtomicU64 = AtomicU64::new(0);
        let tmp = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            FILES.fetch_add(1, Ordering::Relaxed)
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        let mut this = AtomicFile {
            file: Some(BufWriter::with_capacity(1 << 16, file)),
            tmp,
            target,
            dir,
        };
        // The new file keeps the permissions of the one it replaces.
        if let Some(p) = permissions {
            this.inner()?.get_ref().set_permissions(p)?;
        }
        Ok(this)
    }

    fn inner(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("the file was already committed"))
    }

    /// Flushes, syncs and renames the file over its destination.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("not committed yet");
        let written = file
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all());
        // On failure, Drop removes the temporary file; only a file this value created is
        // removed.
        written.and_then(|()| std::fs::rename(&self.tmp, &self.target))?;
        // Make the rename itself durable; not every file system can sync a directory.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner()?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            drop(self.file.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` atomically (see [`AtomicFile`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    }

    #[test]
    fn commit_replaces_and_drop_abandons() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(&path, b"old").unwrap();
        // (what is done with the file, content afterwards)
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&path).unwrap(), b"old", "dropped: untouched");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new", "committed: replaced");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = AtomicFile::create(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(leftovers(dir.path()).is_empty());
    }
}
