//! The local advisory database: every feed of a mirror (OSV of every ecosystem, CISA KEV,
//! EPSS, NVD) imported into one SQLite file, derived and rebuildable, read by the scan.
//!
//! Owns: the store ([`store::Store`] to read — `Send + Sync`, and an
//! `AdvisorySource` — and [`store::Builder`] to write), the mirror import
//! ([`import::import_dir`], pipelined) with its checksum manifest ([`manifest`]) and zip
//! reading with limits ([`zipread`]). Feed formats are `caulk-feeds`; fetching them over the
//! network is `caulk-feed-sync`.
//!
//! The traps: an import that dies half-way must leave the previous database as it was (we
//! build a new file and rename it into place); a download can end early and still look like
//! a file, so nothing is imported before it is checked whole; and a zip is untrusted input
//! (entry count, sizes and compression ratio are bounded).

pub mod import;
pub mod manifest;
pub mod store;
pub mod zipread;

use std::path::{Path, PathBuf};

/// Errors of this crate. Record-level problems are not errors: they are counted and
/// reported in the feed status (see [`import`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("mirror manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("import: {0}")]
    Import(String),
}

/// The current time in Unix seconds (the only clock of this crate; callers may pass their
/// own time instead).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Format Unix seconds as RFC 3339 UTC (`2026-11-27T12:00:00Z`).
pub fn rfc3339_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Write a file by writing a sibling and renaming it over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    let tmp = path.with_file_name(name);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)
}

/// The default database path: `$XDG_DATA_HOME/caulk/advisories.db`, else
/// `$HOME/.local/share/caulk/advisories.db`.
pub fn default_db_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty() && Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("caulk").join("advisories.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_from_unix() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_798_372_800), "2026-12-27T12:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }
}
