//! The mirror's checksum manifest, `caulk-mirror.json`: every feed file with its size and
//! SHA-256, so an air-gapped site can check a copied mirror before importing it.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const MANIFEST_NAME: &str = "caulk-mirror.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative, `/`-separated: `osv/Debian/all.zip`.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// RFC 3339, UTC.
    pub created: String,
    /// Sorted by path.
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    /// Read `dir/caulk-mirror.json` if it exists.
    pub fn load(dir: &Path) -> Result<Option<Manifest>, Error> {
        let path = dir.join(MANIFEST_NAME);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if m.format != 1 {
            return Err(Error::Manifest {
                path,
                reason: format!("format {} (this caulk reads 1)", m.format),
            });
        }
        Ok(Some(m))
    }

    /// Check one file against the manifest.
    pub fn verify(&self, rel: &str, bytes: u64, sha256: &str) -> Result<(), String> {
        match self.files.iter().find(|f| f.path == rel) {
            None => Err(format!("{rel} is not in {MANIFEST_NAME}")),
            Some(f) if f.bytes != bytes => Err(format!(
                "{rel}: {bytes} bytes, {MANIFEST_NAME} says {} (truncated or replaced)",
                f.bytes
            )),
            Some(f) if !f.sha256.eq_ignore_ascii_case(sha256) => Err(format!(
                "{rel}: sha256 {sha256}, {MANIFEST_NAME} says {}",
                f.sha256
            )),
            Some(_) => Ok(()),
        }
    }

    /// Write a manifest for the feed files of `dir`.
    pub fn write(dir: &Path, now_unix: i64) -> Result<Manifest, Error> {
        let mut files = Vec::new();
        for f in crate::import::discover(dir)? {
            let bytes = std::fs::read(&f.path).map_err(|source| Error::Io {
                path: f.path.clone(),
                source,
            })?;
            files.push(ManifestFile {
                path: f.rel,
                bytes: bytes.len() as u64,
                sha256: crate::import::sha256_hex(&bytes),
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let m = Manifest {
            format: 1,
            created: crate::rfc3339_utc(now_unix),
            files,
        };
        let path = dir.join(MANIFEST_NAME);
        let json = serde_json::to_vec_pretty(&m).map_err(|e| Error::Manifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        crate::write_atomic(&path, &json)?;
        Ok(m)
    }
}
