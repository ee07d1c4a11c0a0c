//! Build the advisory database from a mirror directory with the layout of the public feeds:
//!
//! ```text
//! osv/<Ecosystem>/all.zip   one OSV record per member
//! kev/*.json                CISA KEV catalogue
//! epss/*.csv[.gz]           FIRST EPSS (daily file, or a per-CVE time series)
//! nvd/*.json[l]             NVD CVE API 2.0 records (optional CVSS source)
//! caulk-mirror.json         checksum manifest (written by `caulk db mirror`), optional here
//! ```
//!
//! Every record is accounted for: imported, rejected (file, id, reason) or a duplicate of an
//! id already imported (the newer `modified` wins). A feed whose file is unusable (not a zip,
//! over the limits, checksum mismatch) keeps its rows from the previous database, and the
//! failure is reported. The new database replaces the old one only when complete.

use crate::manifest::Manifest;
use crate::store::{Builder, StoreError};
use crate::zipread::{self, Limits};
use crate::{Error, epss, kev, merge, nvd, osv, score};
use caulk_model::advisory::{FeedStatus, RecordSource, Rejection};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How many rejections and warnings a feed status keeps (all rejections are in the
/// `rejections` table).
pub const FIRST_REASONS: usize = 10;

/// One feed file found in a mirror.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedFile {
    /// `osv/Debian`, `kev`, `epss`, `nvd`.
    pub feed: String,
    /// Path relative to the mirror root, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
}

/// When a feed file was fetched, if the caller knows better than the file's mtime.
#[derive(Debug, Clone, Default)]
pub struct FetchInfo {
    pub source: String,
    pub fetched_at_unix: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub limits: Limits,
    /// Require `caulk-mirror.json` and verify every file against it.
    pub require_manifest: bool,
    /// Per feed: where and when it was fetched (from `sync`).
    pub fetched: HashMap<String, FetchInfo>,
    /// Tag the import with this time (Unix seconds); `None`: now.
    pub now_unix: Option<i64>,
}

/// What an import did, per feed, plus failures that kept old data.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub feeds: Vec<FeedStatus>,
    /// `(feed, reason)`: feeds whose new file was unusable.
    pub failed: Vec<(String, String)>,
    pub db: PathBuf,
    pub vulnerabilities: usize,
}

/// List the feed files of a mirror directory, sorted.
pub fn discover(dir: &Path) -> Result<Vec<FeedFile>, Error> {
    let io = |path: &Path, source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    let osv_dir = dir.join("osv");
    if osv_dir.is_dir() {
        for e in std::fs::read_dir(&osv_dir).map_err(|e| io(&osv_dir, e))? {
            let e = e.map_err(|e| io(&osv_dir, e))?;
            let zip = e.path().join("all.zip");
            if zip.is_file() {
                let eco = e.file_name().to_string_lossy().to_string();
                out.push(FeedFile {
                    feed: format!("osv/{eco}"),
                    rel: format!("osv/{eco}/all.zip"),
                    path: zip,
                });
            }
        }
    }
    for (feed, exts) in [
        ("kev", &[".json"][..]),
        ("epss", &[".csv", ".csv.gz"][..]),
        ("nvd", &[".json", ".jsonl", ".json.gz", ".jsonl.gz"][..]),
    ] {
        let d = dir.join(feed);
        if !d.is_dir() {
            continue;
        }
        for e in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
            let e = e.map_err(|e| io(&d, e))?;
            let name = e.file_name().to_string_lossy().to_string();
            if e.path().is_file() && exts.iter().any(|x| name.ends_with(x)) {
                out.push(FeedFile {
                    feed: feed.to_string(),
                    rel: format!("{feed}/{name}"),
                    path: e.path(),
                });
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn gunzip_capped(bytes: &[u8], cap: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("{what}: gzip: {e}"))?;
    if out.len() as u64 > cap {
        return Err(format!("{what}: more than {cap} bytes uncompressed"));
    }
    Ok(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn mtime_unix(path: &Path) -> Option<i64> {
    let m = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(m.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64)
}

/// Per-feed accumulator.
#[derive(Debug)]
struct Acc {
    status: FeedStatus,
    rejections: Vec<Rejection>,
}

impl Acc {
    fn new(feed: &str, source: String, fetched: Option<i64>) -> Acc {
        Acc {
            status: FeedStatus {
                feed: feed.to_string(),
                source,
                fetched_at: fetched.map(crate::rfc3339_utc),
                fetched_at_unix: fetched,
                records: 0,
                rejected: 0,
                duplicates: 0,
                warnings: 0,
                first_rejections: vec![],
                first_warnings: vec![],
                sha256: None,
            },
            rejections: vec![],
        }
    }
    fn reject(&mut self, file: &str, id: Option<&str>, reason: String) {
        let r = Rejection {
            feed: self.status.feed.clone(),
            file: file.to_string(),
            id: id.map(str::to_string),
            reason,
        };
        self.status.rejected += 1;
        if self.status.first_rejections.len() < FIRST_REASONS {
            self.status.first_rejections.push(r.clone());
        }
        self.rejections.push(r);
    }
    fn warn(&mut self, file: &str, id: Option<&str>, reason: String) {
        self.status.warnings += 1;
        if self.status.first_warnings.len() < FIRST_REASONS {
            self.status.first_warnings.push(Rejection {
                feed: self.status.feed.clone(),
                file: file.to_string(),
                id: id.map(str::to_string),
                reason,
            });
        }
    }
}

/// Where an id was first imported: for the duplicate rule.
#[derive(Debug)]
struct Seen {
    modified: String,
    at: String,
}

/// Import one OSV record. Returns whether it was stored.
fn import_osv_record(
    b: &Builder,
    acc: &mut Acc,
    seen: &mut HashMap<String, Seen>,
    name: &str,
    bytes: &[u8],
) -> Result<(), StoreError> {
    let feed = acc.status.feed.clone();
    if !name.ends_with(".json") {
        acc.reject(name, None, "not a .json member".into());
        return Ok(());
    }
    let rec = match osv::parse(bytes) {
        Ok(r) => r,
        Err(e) => {
            acc.reject(name, None, format!("not an OSV record: {e}"));
            return Ok(());
        }
    };
    let findings = osv::validate(&rec);
    let id = rec.id.as_deref();
    let rejects: Vec<String> = findings
        .iter()
        .filter(|f| f.level == osv::Level::Reject)
        .map(ToString::to_string)
        .collect();
    if !rejects.is_empty() {
        acc.reject(name, id, rejects.join("; "));
        return Ok(());
    }
    let id = rec.id();
    let mut warnings: Vec<String> = findings.iter().map(ToString::to_string).collect();
    let stem = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .trim_end_matches(".json");
    if stem != id {
        warnings.push(format!("member name {name:?} does not match id {id:?}"));
    }
    let mut severity = Vec::new();
    for (i, s) in rec.severity_vectors().into_iter().enumerate() {
        match score::score_osv(&s.kind, &s.score) {
            Ok(Some(sc)) => severity.push(sc.to_model(format!("osv:{id}"), None)),
            Ok(None) => {}
            Err(e) => warnings.push(format!("severity[{i}] ({}): {}", s.kind, e.reason)),
        }
    }
    let modified = rec.modified.clone().unwrap_or_default();
    let replace = seen.contains_key(id);
    if let Some(prev) = seen.get(id) {
        // Same id twice (AlmaLinux publishes one erratum per release folder; a record can
        // sit in several ecosystems' zips): the newer `modified` wins, ties keep the first.
        if modified <= prev.modified {
            acc.status.duplicates += 1;
            return Ok(());
        }
        acc.status.duplicates += 1;
        acc.warn(
            name,
            Some(id),
            format!("replaces the older {} of the same id", prev.at),
        );
    }
    if !warnings.is_empty() {
        acc.warn(name, Some(id), warnings.join("; "));
    }
    let adv = rec.to_advisory(
        RecordSource {
            feed: feed.clone(),
            file: name.to_string(),
        },
        severity,
    );
    b.put_advisory(&adv, bytes, replace)?;
    seen.insert(
        id.to_string(),
        Seen {
            modified,
            at: format!("{feed}/{name}"),
        },
    );
    acc.status.records += 1;
    Ok(())
}

/// Import a mirror directory into the database at `db`.
pub fn import_dir(dir: &Path, db: &Path, opts: &Options) -> Result<Report, Error> {
    let files = discover(dir)?;
    let manifest = Manifest::load(dir)?;
    if opts.require_manifest && manifest.is_none() {
        return Err(Error::Manifest {
            path: dir.join(crate::manifest::MANIFEST_NAME),
            reason: "missing: the source is not a `caulk db mirror` directory".into(),
        });
    }
    let previous = db.exists().then(|| db.to_path_buf());
    let b = Builder::create(db)?;
    let now = opts.now_unix.unwrap_or_else(crate::now_unix);
    b.set_meta("built_at", &crate::rfc3339_utc(now))?;
    b.set_meta("source", &dir.to_string_lossy())?;

    let mut report = Report::default();
    let mut accs: Vec<Acc> = Vec::new();
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let acc_for = |accs: &mut Vec<Acc>, f: &FeedFile| -> usize {
        if let Some(i) = accs.iter().position(|a| a.status.feed == f.feed) {
            return i;
        }
        let info = opts.fetched.get(&f.feed);
        let source = info
            .map(|i| i.source.clone())
            .unwrap_or_else(|| f.path.to_string_lossy().to_string());
        let fetched = info
            .map(|i| i.fetched_at_unix)
            .or_else(|| mtime_unix(&f.path));
        accs.push(Acc::new(&f.feed, source, fetched));
        accs.len() - 1
    };
    // A feed that failed keeps its old rows; its other files are skipped.
    let mut failed: Vec<String> = Vec::new();
    for f in &files {
        if failed.contains(&f.feed) {
            continue;
        }
        let ai = acc_for(&mut accs, f);
        let bytes = read_file(&f.path)?;
        let digest = sha256_hex(&bytes);
        let verified = match &manifest {
            Some(m) => m.verify(&f.rel, bytes.len() as u64, &digest),
            None => Ok(()),
        };
        let outcome = match verified {
            Err(reason) => Err(FileError::Unusable(reason)),
            Ok(()) => {
                let acc = &mut accs[ai];
                acc.status.sha256 = Some(match acc.status.sha256.take() {
                    Some(prev) => format!("{prev},{digest}"),
                    None => digest,
                });
                import_file(&b, acc, &mut seen, f, &bytes, &opts.limits)
            }
        };
        match outcome {
            Ok(()) => {}
            Err(FileError::Store(e)) => return Err(e.into()),
            Err(FileError::Unusable(reason)) => {
                // Rows this file already gave are dropped: the feed is all old or all new.
                b.drop_feed(&f.feed)?;
                let prefix = format!("{}/", f.feed);
                seen.retain(|_, s| !s.at.starts_with(&prefix));
                failed.push(f.feed.clone());
                report
                    .failed
                    .push((f.feed.clone(), format!("{}: {reason}", f.rel)));
            }
        }
    }
    // Feeds that failed: keep the previous database's rows and status.
    let old_status: Vec<FeedStatus> = match &previous {
        Some(p) => crate::store::Store::open(p)
            .and_then(|s| s.feeds())
            .unwrap_or_default(),
        None => vec![],
    };
    let mut statuses = Vec::new();
    for acc in accs {
        if failed.contains(&acc.status.feed) {
            let feed = acc.status.feed.clone();
            if let Some(p) = &previous {
                b.carry_over(p, &feed)?;
            }
            if let Some(old) = old_status.iter().find(|s| s.feed == feed) {
                b.put_feed(old, &[])?;
                statuses.push(old.clone());
            }
            continue;
        }
        b.put_feed(&acc.status, &acc.rejections)?;
        statuses.push(acc.status);
    }
    let links = b.links()?;
    let identity = merge::merge(links.iter().map(|(id, aliases, upstream)| merge::Links {
        id,
        aliases,
        upstream,
    }));
    b.put_identity(&identity)?;
    report.vulnerabilities = identity.vulns.len();
    report.db = b.commit()?;
    statuses.sort_by(|a, b| a.feed.cmp(&b.feed));
    report.feeds = statuses;
    Ok(report)
}

#[derive(Debug)]
enum FileError {
    /// The whole file is unusable: keep the old data.
    Unusable(String),
    Store(StoreError),
}

impl From<StoreError> for FileError {
    fn from(e: StoreError) -> Self {
        FileError::Store(e)
    }
}

fn import_file(
    b: &Builder,
    acc: &mut Acc,
    seen: &mut HashMap<String, Seen>,
    f: &FeedFile,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(), FileError> {
    let name = f
        .path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let text_of = |bytes: &[u8]| -> Result<String, FileError> {
        let raw = if name.ends_with(".gz") {
            gunzip_capped(bytes, limits.max_total_bytes, &f.rel).map_err(FileError::Unusable)?
        } else {
            bytes.to_vec()
        };
        String::from_utf8(raw).map_err(|e| FileError::Unusable(format!("not UTF-8: {e}")))
    };
    if f.feed.starts_with("osv/") {
        let mut store_err: Option<StoreError> = None;
        let entry_errors = zipread::read_entries(std::io::Cursor::new(bytes), limits, |n, data| {
            if store_err.is_some() {
                return;
            }
            if let Err(e) = import_osv_record(b, acc, seen, n, data) {
                store_err = Some(e);
            }
        })
        .map_err(|e| FileError::Unusable(e.to_string()))?;
        if let Some(e) = store_err {
            return Err(e.into());
        }
        for e in entry_errors {
            acc.reject(&e.name, None, e.reason);
        }
    } else if f.feed == "kev" {
        let k = kev::parse(bytes)
            .map_err(|e| FileError::Unusable(format!("not a KEV catalogue: {e}")))?;
        for e in &k.entries {
            b.put_kev(e)?;
        }
        acc.status.records += k.entries.len() as u64;
        for (_, id, reason) in k.rejected {
            acc.reject(&f.rel, id.as_deref(), reason);
        }
    } else if f.feed == "epss" {
        let text = text_of(bytes)?;
        let e = epss::parse(&text, &name).map_err(FileError::Unusable)?;
        for s in &e.scores {
            b.put_epss(s)?;
        }
        acc.status.records += e.scores.len() as u64;
        for (_, reason) in e.rejected {
            acc.reject(&f.rel, None, reason);
        }
    } else if f.feed == "nvd" {
        let text = text_of(bytes)?;
        let n = nvd::parse(&text);
        for (cve, s) in &n.scores {
            b.put_cvss(cve, s)?;
        }
        acc.status.records += n.cves as u64;
        for (cve, reason) in n.rejected {
            acc.reject(&f.rel, (!cve.is_empty()).then_some(cve.as_str()), reason);
        }
        for (cve, m) in n.mismatches {
            acc.warn(&f.rel, Some(&cve), m);
        }
    }
    Ok(())
}
