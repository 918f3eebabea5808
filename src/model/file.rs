//! The model file: one self-contained, versioned, checksummed file.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `RHETORMD` |
//! | 4 | format version ([`MODEL_FORMAT_VERSION`]) |
//! | 8 | payload length in bytes |
//! | 4 | CRC-32 of the payload |
//! | n | payload: [`ModelData`] in postcard encoding |
//!
//! A file is written to a temporary file in the same directory, flushed to disk and then
//! renamed over the destination, so a reader sees either the old file or the new one, never a
//! partial one. Loading checks the magic, the version, the length and the checksum before
//! decoding, and then the consistency of what was decoded; each failure names the file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Model, ModelData};
use crate::error::ModelFileError;

/// First bytes of every rhetor model file.
pub const MODEL_MAGIC: &[u8; 8] = b"RHETORMD";
/// The model file format this build writes and reads. Bump it whenever [`ModelData`] changes.
pub const MODEL_FORMAT_VERSION: u32 = 5;
const HEADER_LEN: usize = 8 + 4 + 8 + 4;

fn io_error(path: &Path, source: std::io::Error) -> ModelFileError {
    ModelFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn damaged(path: &Path, detail: impl Into<String>) -> ModelFileError {
    ModelFileError::Damaged {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

impl ModelData {
    /// Encodes the model file bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = postcard::to_stdvec(self).expect("model data is always serialisable");
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MODEL_MAGIC);
        out.extend_from_slice(&MODEL_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Decodes model file bytes; `path` is only used in error messages.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ModelData, ModelFileError> {
        if bytes.len() < MODEL_MAGIC.len() || &bytes[..8] != MODEL_MAGIC {
            return Err(ModelFileError::NotAModel {
                path: path.to_path_buf(),
            });
        }
        if bytes.len() < HEADER_LEN {
            return Err(damaged(path, "truncated header"));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != MODEL_FORMAT_VERSION {
            return Err(ModelFileError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
                supported: MODEL_FORMAT_VERSION,
            });
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
        let payload = &bytes[HEADER_LEN..];
        if payload.len() as u64 != len {
            return Err(damaged(
                path,
                format!(
                    "the header announces {len} bytes of data but the file holds {}; it was probably truncated",
                    payload.len()
                ),
            ));
        }
        if crc32fast::hash(payload) != crc {
            return Err(damaged(path, "checksum mismatch"));
        }
        let data: ModelData = postcard::from_bytes(payload)
            .map_err(|e| damaged(path, format!("cannot decode: {e}")))?;
        Model::check_data(&data).map_err(|e| damaged(path, e))?;
        Ok(data)
    }

    /// Writes the model file atomically (temporary file, flush, rename).
    ///
    /// The temporary file sits beside the destination (a rename does not cross file systems)
    /// and is removed when anything fails, so a failed save leaves no file behind and the old
    /// model, if any, untouched. A symbolic link is followed, so the file it points to is
    /// replaced and the link kept, and a replaced file's permissions are kept. A destination
    /// that exists but is not a regular file (a device such as `/dev/full`, a directory) is
    /// refused rather than replaced.
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        let (target, permissions) = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => (
                std::fs::canonicalize(path).map_err(|e| io_error(path, e))?,
                Some(m.permissions()),
            ),
            Ok(_) => {
                return Err(io_error(
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "exists and is not a regular file; refusing to replace it",
                    ),
                ))
            }
            Err(_) => (path.to_path_buf(), None),
        };
        let bytes = self.to_bytes();
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        // Unique per process and per save, so that concurrent saves never share a file.
        static SAVES: AtomicU64 = AtomicU64::new(0);
        let tmp = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            SAVES.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            // The new file keeps the permissions of the one it replaces.
            let written = permissions
                .map_or(Ok(()), |p| f.set_permissions(p))
                .and_then(|()| f.write_all(&bytes))
                .and_then(|()| f.sync_all());
            drop(f);
            // Remove the partial file before reporting anything; only a temporary file that
            // this call created is removed.
            if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &target)) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            // Make the rename itself durable; not every file system can sync a directory.
            if let Ok(d) = std::fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        result.map_err(|e| io_error(path, e))
    }
}

impl Model {
    /// Loads and checks a model file.
    pub fn load(path: &Path) -> Result<Model, ModelFileError> {
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        Ok(Model::from_data(ModelData::from_bytes(&bytes, path)?))
    }

    /// Loads a model from bytes (for an embedded model); `name` is used in error messages.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Model, ModelFileError> {
        Ok(Model::from_data(ModelData::from_bytes(
            bytes,
            Path::new(name),
        )?))
    }

    /// Writes the model file atomically.
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        self.data.save(path)
    }
}
