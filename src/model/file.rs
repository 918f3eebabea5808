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

use std::path::Path;

use super::{Model, ModelData};
use crate::error::ModelFileError;

/// First bytes of every rhetor model file.
pub const MODEL_MAGIC: &[u8; 8] = b"RHETORMD";
/// The model file format this build writes and reads. Bump it whenever [`ModelData`] changes.
pub const MODEL_FORMAT_VERSION: u32 = 12;
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

    /// Writes the model file atomically (see [`crate::atomic_file::AtomicFile`]: a failed
    /// save leaves no file behind and the old model, if any, untouched; a symbolic link is
    /// followed; a replaced file's permissions are kept; a destination that is not a regular
    /// file is refused).
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        crate::atomic_file::write_atomically(path, &self.to_bytes()).map_err(|e| io_error(path, e))
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
