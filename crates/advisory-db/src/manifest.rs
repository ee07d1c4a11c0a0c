//! The mirror's checksum manifest, `caulk-mirror.json`: every feed file with its size and
//! SHA-256, so an air-gapped site can check a copied mirror before importing it.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

pub const MANIFEST_NAME: &str = "caulk-mirror.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative, `/`-separated: `osv/Debian/all.zip`.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// Where `caulk db mirror` downloaded the file from, and the HTTP validators it got, for
    /// its next conditional request (absent for a copied mirror).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
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
        Manifest::parse(&bytes)
            .map(Some)
            .map_err(|reason| Error::Manifest { path, reason })
    }

    /// Parse a manifest's bytes (read from a file or downloaded from a mirror).
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if m.format != 1 {
            return Err(format!("format {} (this caulk reads 1)", m.format));
        }
        let mut paths = std::collections::HashSet::new();
        for f in &m.files {
            crate::zipread::safe_name(&f.path).map_err(|e| format!("file {:?}: {e}", f.path))?;
            // Two entries for one path would be two downloads into one file.
            if !paths.insert(f.path.as_str()) {
                return Err(format!("file {:?} is listed twice", f.path));
            }
        }
        Ok(m)
    }

    /// The entry of a file.
    pub fn file(&self, rel: &str) -> Option<&ManifestFile> {
        self.files.iter().find(|f| f.path == rel)
    }

    /// Check one file against the manifest.
    pub fn verify(&self, rel: &str, bytes: u64, sha256: &str) -> Result<(), String> {
        match self.file(rel) {
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
        Manifest::write_with(dir, now_unix, &HashMap::new())
    }

    /// [`Manifest::write`], keeping the source URL and validators given per file.
    pub fn write_with(
        dir: &Path,
        now_unix: i64,
        origin: &HashMap<String, ManifestFile>,
    ) -> Result<Manifest, Error> {
        let mut files = Vec::new();
        for f in crate::import::discover(dir)? {
            let bytes = std::fs::read(&f.path).map_err(|source| Error::Io {
                path: f.path.clone(),
                source,
            })?;
            let o = origin.get(&f.rel);
            files.push(ManifestFile {
                bytes: bytes.len() as u64,
                sha256: crate::import::sha256_hex(&bytes),
                url: o.and_then(|o| o.url.clone()),
                etag: o.and_then(|o| o.etag.clone()),
                last_modified: o.and_then(|o| o.last_modified.clone()),
                path: f.rel,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(paths: &[&str]) -> Vec<u8> {
        let files: Vec<String> = paths
            .iter()
            .map(|p| format!(r#"{{"path":"{p}","bytes":1,"sha256":"00"}}"#))
            .collect();
        format!(
            r#"{{"format":1,"created":"2026-11-27T00:00:00Z","files":[{}]}}"#,
            files.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn parse_refuses_repeated_and_escaping_paths() {
        assert!(Manifest::parse(&doc(&["osv/Debian/all.zip", "kev/kev.json"])).is_ok());
        let e = Manifest::parse(&doc(&["osv/Debian/all.zip", "osv/Debian/all.zip"]))
            .expect_err("repeated");
        assert!(e.contains("listed twice"), "{e}");
        let e = Manifest::parse(&doc(&["../x/all.zip"])).expect_err("escaping");
        assert!(e.contains("../x/all.zip"), "{e}");
        assert!(Manifest::parse(b"{").is_err());
    }
}
