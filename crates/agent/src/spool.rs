//! The spool: reports the server did not acknowledge, kept in `<state-dir>/spool/` until a
//! later cycle delivers them, oldest first.
//!
//! Each report is one file, `<seq>-<inventory hash>.json` (`seq`: 20 digits, increasing;
//! the hash in the name lets the agent skip spooling the same inventory twice without
//! reading the file), written beside (`.tmp`), fsynced and renamed, mode 0600 in a 0700
//! directory. The spool is bounded ([`MAX_ENTRIES`], [`MAX_BYTES`]): when full, the oldest
//! reports go — the latest inventory is what matters. A report the server refuses as bad
//! (400, 413, 422) or a file that cannot be read back moves to `spool/rejected/`, never
//! retried.

use std::io::Write;
use std::path::{Path, PathBuf};

use caulk_model::inventory::Inventory;
use serde::{Deserialize, Serialize};

use crate::Error;

/// At most this many reports wait.
pub const MAX_ENTRIES: usize = 64;
/// At most this many bytes of reports wait (the newest is kept whatever its size).
pub const MAX_BYTES: u64 = 256 << 20;

/// One report, as spooled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// When the inventory was collected (RFC 3339, UTC).
    pub observed_at: String,
    /// Hex SHA-256 (`caulk_store::inventory_hash`).
    pub inventory_hash: String,
    pub inventory: Inventory,
}

/// A spooled report's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub hash: String,
    pub path: PathBuf,
    pub size: u64,
}

/// The spool of one state directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
    max_entries: usize,
    max_bytes: u64,
}

fn state(path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_path_buf();
    move |source| Error::State { path, source }
}

impl Spool {
    pub fn new(state_dir: &Path) -> Spool {
        Spool {
            dir: state_dir.join("spool"),
            max_entries: MAX_ENTRIES,
            max_bytes: MAX_BYTES,
        }
    }

    /// A spool with other bounds (tests).
    pub fn with_bounds(state_dir: &Path, max_entries: usize, max_bytes: u64) -> Spool {
        Spool {
            max_entries: max_entries.max(1),
            max_bytes,
            ..Spool::new(state_dir)
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The waiting reports, oldest first (files of other names are left alone).
    pub fn entries(&self) -> Result<Vec<Entry>, Error> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(state(&self.dir)(e)),
        };
        let mut out = Vec::new();
        for d in rd {
            let d = d.map_err(state(&self.dir))?;
            let name = d.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some((seq, hash)) = name
                .strip_suffix(".json")
                .and_then(|stem| stem.split_once('-'))
            else {
                continue;
            };
            let Ok(seq) = seq.parse::<u64>() else {
                continue;
            };
            let meta = d.metadata().map_err(state(&d.path()))?;
            if !meta.is_file() {
                continue;
            }
            out.push(Entry {
                seq,
                hash: hash.to_string(),
                path: d.path(),
                size: meta.len(),
            });
        }
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    /// Read a spooled report back; `Err` says why it is unusable (the caller rejects it).
    pub fn read(&self, e: &Entry) -> Result<Result<Report, String>, Error> {
        let bytes = std::fs::read(&e.path).map_err(state(&e.path))?;
        Ok(serde_json::from_slice::<Report>(&bytes).map_err(|err| err.to_string()))
    }

    /// Spool `report` as the newest entry. Nothing is written when the newest entry holds
    /// the same inventory (its earlier observation is the one that dates the change). Then
    /// the oldest entries go while the spool is over its bounds; each dropped one is a line
    /// of `notices`.
    pub fn push(&self, report: &Report, notices: &mut Vec<String>) -> Result<PathBuf, Error> {
        let entries = self.entries()?;
        if let Some(last) = entries.last()
            && last.hash == report.inventory_hash
        {
            return Ok(last.path.clone());
        }
        private_dir(&self.dir)?;
        // A `.tmp` is what a crash left mid-write (one agent per state directory holds the
        // lock, so none is being written now): it never became a report.
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            for d in rd.flatten() {
                if d.file_name().to_string_lossy().ends_with(".json.tmp") {
                    let _ = std::fs::remove_file(d.path());
                }
            }
        }
        let now_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or_default();
        // Increasing whatever the clock does; unique across runs (rejected files keep names).
        let seq = entries
            .last()
            .map_or(0, |e| e.seq.saturating_add(1))
            .max(now_us);
        let name = format!("{seq:020}-{}.json", report.inventory_hash);
        let bytes = serde_json::to_vec(report).map_err(|e| {
            state(&self.dir)(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })?;
        let path = write_private(&self.dir, &name, &bytes)?;

        let mut entries = entries;
        entries.push(Entry {
            seq,
            hash: report.inventory_hash.clone(),
            path: path.clone(),
            size: bytes.len() as u64,
        });
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        let mut drop = 0;
        while entries.len() - drop > 1
            && (entries.len() - drop > self.max_entries || total > self.max_bytes)
        {
            let old = &entries[drop];
            std::fs::remove_file(&old.path).map_err(state(&old.path))?;
            total -= old.size;
            notices.push(format!(
                "spool full ({} reports, {} bytes at most): dropped the oldest report {}",
                self.max_entries,
                self.max_bytes,
                old.path.display()
            ));
            drop += 1;
        }
        Ok(path)
    }

    /// Delete a delivered report.
    pub fn remove(&self, e: &Entry) -> Result<(), Error> {
        std::fs::remove_file(&e.path).map_err(state(&e.path))?;
        sync_dir(&self.dir)
    }

    /// Move a report the server refused as bad to `spool/rejected/`; where it went.
    pub fn reject(&self, e: &Entry) -> Result<PathBuf, Error> {
        let dir = self.dir.join("rejected");
        private_dir(&dir)?;
        let to = dir.join(e.path.file_name().unwrap_or_default());
        std::fs::rename(&e.path, &to).map_err(state(&to))?;
        sync_dir(&dir)?;
        sync_dir(&self.dir)?;
        Ok(to)
    }
}

/// `dir` created (with its parents) 0700, and tightened to 0700 if it existed.
pub(crate) fn private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(state(dir))?;
    // An existing directory keeps its mode under `create`: tighten it whatever it was.
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(state(dir))?;
    Ok(())
}

/// `<dir>/<name>`, mode 0600, written beside (`<name>.tmp`), fsynced, renamed into place
/// and the directory fsynced: a crash leaves the old file or the new one, never half.
pub(crate) fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
    let tmp = dir.join(format!("{name}.tmp"));
    let path = dir.join(name);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp).map_err(state(&tmp))?;
    // A file left by an older run may have another mode: set it whatever it was.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(state(&tmp))?;
    }
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(state(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(state(&path))?;
    sync_dir(dir)?;
    Ok(path)
}

/// Make a rename or a removal in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(state(dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn report(hash: char, pad: usize) -> Report {
        let mut inventory = Inventory::default();
        inventory.host.hostname = Some("x".repeat(pad));
        Report {
            observed_at: "2026-01-01T00:00:00Z".into(),
            inventory_hash: hash.to_string().repeat(64),
            inventory,
        }
    }

    #[test]
    fn reports_come_back_oldest_first_and_the_same_inventory_is_spooled_once() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::new(tmp.path());
        assert!(spool.entries().unwrap().is_empty());
        let mut notices = Vec::new();
        let a = spool.push(&report('a', 1), &mut notices).unwrap();
        let b = spool.push(&report('b', 1), &mut notices).unwrap();
        assert_eq!(spool.push(&report('b', 1), &mut notices).unwrap(), b);
        let c = spool.push(&report('a', 1), &mut notices).unwrap();
        assert!(notices.is_empty());
        let entries = spool.entries().unwrap();
        assert_eq!(
            entries.iter().map(|e| e.path.clone()).collect::<Vec<_>>(),
            [a, b, c]
        );
        assert_eq!(
            spool.read(&entries[1]).unwrap().unwrap().inventory_hash,
            "b".repeat(64)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&entries[0].path), 0o600);
            assert_eq!(mode(spool.dir()), 0o700);
        }
        spool.remove(&entries[0]).unwrap();
        let rejected = spool.reject(&entries[1]).unwrap();
        assert!(rejected.starts_with(spool.dir().join("rejected")) && rejected.exists());
        assert_eq!(spool.entries().unwrap(), [entries[2].clone()]);
        // Leftovers of a crash (`.tmp`) and strangers are not reports; the next push
        // clears the leftovers.
        std::fs::write(spool.dir().join("1-x.json.tmp"), "{").unwrap();
        std::fs::write(spool.dir().join("notes.txt"), "").unwrap();
        assert_eq!(spool.entries().unwrap().len(), 1);
        spool.push(&report('c', 1), &mut notices).unwrap();
        assert!(!spool.dir().join("1-x.json.tmp").exists());
        assert!(spool.dir().join("notes.txt").exists());
    }

    #[test]
    fn a_full_spool_drops_its_oldest_reports_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::with_bounds(tmp.path(), 3, u64::MAX);
        let mut notices = Vec::new();
        for (i, h) in ['a', 'b', 'c', 'd', 'e'].into_iter().enumerate() {
            spool.push(&report(h, i + 1), &mut notices).unwrap();
        }
        let hashes: Vec<String> = spool
            .entries()
            .unwrap()
            .iter()
            .map(|e| e.hash[..1].to_string())
            .collect();
        assert_eq!(hashes, ["c", "d", "e"]);
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices[0].contains("dropped the oldest"), "{notices:?}");

        // By size: the newest stays even when it alone is over the bound.
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::with_bounds(tmp.path(), 64, 10);
        let mut notices = Vec::new();
        spool.push(&report('a', 1), &mut notices).unwrap();
        spool.push(&report('b', 1000), &mut notices).unwrap();
        let entries = spool.entries().unwrap();
        assert_eq!(entries.len(), 1);
        assert!(entries[0].hash.starts_with('b'));
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn an_unreadable_report_is_said_so_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::new(tmp.path());
        private_dir(spool.dir()).unwrap();
        std::fs::write(
            spool
                .dir()
                .join(format!("{:020}-{}.json", 1, "f".repeat(64))),
            b"{\"observed_at\": 3",
        )
        .unwrap();
        let e = &spool.entries().unwrap()[0];
        assert!(spool.read(e).unwrap().is_err());
    }
}
