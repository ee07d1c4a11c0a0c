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

use crate::Error;
use crate::manifest::Manifest;
use crate::store::{AdvisoryRow, Builder, StoreError};
use crate::zipread::{self, Limits};
use caulk_feeds::{epss, kev, nvd, osv, score};
use caulk_model::advisory::{FeedStatus, RecordSource, Rejection};
use caulk_model::identity as merge;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

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
    /// HTTP validators of the download, stored in the database's `meta` table
    /// (`fetch:<feed>`) for the next conditional request. Written only when the feed's file
    /// was imported; a feed that keeps its old data keeps its old validators.
    pub validators: Option<crate::store::FetchMeta>,
}

/// Told how an import goes, for progress bars (called from the importing thread).
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// `feed` has handled `n` records so far (imported or rejected).
    fn records(&self, feed: &str, n: u64);
    /// The import is over (done or failed): take the bars off the screen.
    fn finished(&self) {}
}

/// Tells the observer the import is over when dropped, on every way out.
struct Finished<'a>(Option<&'a dyn Observer>);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        if let Some(o) = self.0 {
            o.finished();
        }
    }
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
    /// Import only these feeds of the directory (`osv/Debian`, `kev`, …); `None`: all.
    pub only: Option<Vec<String>>,
    /// Keep every feed of the previous database that this import has no file for (its
    /// rows, status and validators are copied over). `sync` sets it: a feed that was not
    /// modified upstream, or that was not selected this time, stays as it was. Without it
    /// the new database holds exactly the directory's feeds.
    pub keep_other_feeds: bool,
    pub observer: Option<Arc<dyn Observer>>,
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
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// [`sha256_hex`] of a file, streamed (feed files are hundreds of MB).
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
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
    /// The day after the import's: a record dated later (a clock gone wrong, a typo) must
    /// not make the feed look fresh.
    not_after: Option<jiff::civil::Date>,
}

impl Acc {
    /// Take a record's date into the feed's data date, unless it is in the future.
    fn saw_date(&mut self, text: &str) {
        let future = text
            .get(..10)
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
            .zip(self.not_after)
            .is_some_and(|(d, limit)| d > limit);
        if !future {
            self.status.saw_date(text);
        }
    }

    fn new(feed: &str, source: String, fetched: Option<i64>, now_unix: i64) -> Acc {
        let not_after = jiff::Timestamp::from_second(now_unix)
            .ok()
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .and_then(|d| d.tomorrow().ok());
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
                data_date: None,
            },
            rejections: vec![],
            not_after,
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
    feed: Arc<str>,
    name: String,
}

/// One OSV member after parsing and validation (done on the parser thread).
#[derive(Debug)]
enum Prepared<'a> {
    Rejected {
        name: String,
        id: Option<String>,
        reason: String,
    },
    Record(Box<PreparedRecord<'a>>),
}

#[derive(Debug)]
struct PreparedRecord<'a> {
    name: String,
    id: String,
    modified: String,
    warnings: Vec<String>,
    row: AdvisoryRow,
    /// The original JSON as a raw deflate stream (borrowed from the archive when the member
    /// was deflated there).
    raw: Cow<'a, [u8]>,
}

/// A zip member on its way from the reader thread to the parser thread.
#[derive(Debug)]
struct Member {
    name: String,
    data: Vec<u8>,
    deflate: Option<zipread::DeflateSpan>,
}

/// Members per channel message: enough to make the hand-over cost vanish, small enough to
/// keep the three threads busy together.
const BATCH: usize = 256;

/// The original JSON, deflated: the archive's own stream when it has one, else compressed
/// here (a stored member).
fn raw_deflate<'a>(m: &Member, archive: &'a [u8]) -> Cow<'a, [u8]> {
    if let Some(span) = m.deflate
        && let (Ok(start), Ok(len)) = (usize::try_from(span.start), usize::try_from(span.len))
        && let Some(stream) = start
            .checked_add(len)
            .and_then(|end| archive.get(start..end))
    {
        return Cow::Borrowed(stream);
    }
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(&m.data);
    Cow::Owned(e.finish().unwrap_or_default())
}

/// Parse, validate, score and convert one member. Pure but for the feed name.
fn prepare<'a>(feed: &str, m: &Member, archive: &'a [u8]) -> Prepared<'a> {
    let name = &m.name;
    let rejected = |id: Option<&str>, reason: String| Prepared::Rejected {
        name: name.clone(),
        id: id.map(str::to_string),
        reason,
    };
    if !name.ends_with(".json") {
        return rejected(None, "not a .json member".into());
    }
    let rec = match osv::parse(&m.data) {
        Ok(r) => r,
        Err(e) => return rejected(None, format!("not an OSV record: {e}")),
    };
    let findings = osv::validate(&rec);
    let rejects: Vec<String> = findings
        .iter()
        .filter(|f| f.level == osv::Level::Reject)
        .map(ToString::to_string)
        .collect();
    if !rejects.is_empty() {
        return rejected(rec.id.as_deref(), rejects.join("; "));
    }
    let id = rec.id().to_string();
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
    let adv = rec.into_advisory(
        RecordSource {
            feed: feed.to_string(),
            file: name.clone(),
        },
        severity,
    );
    Prepared::Record(Box::new(PreparedRecord {
        name: name.clone(),
        id,
        modified,
        warnings,
        row: AdvisoryRow::new(adv),
        raw: raw_deflate(m, archive),
    }))
}

/// Store one prepared member (on the writer thread, in archive order: the duplicate rule
/// depends on it). The strings it keeps are taken out of `p`; the rest is left for the
/// parser thread to free (a free on the allocating thread is several times cheaper).
fn apply(
    b: &Builder,
    acc: &mut Acc,
    seen: &mut HashMap<String, Seen>,
    feed: &Arc<str>,
    p: &mut Prepared<'_>,
) -> Result<(), StoreError> {
    let r = match p {
        Prepared::Rejected { name, id, reason } => {
            acc.reject(name, id.as_deref(), std::mem::take(reason));
            return Ok(());
        }
        Prepared::Record(r) => r,
    };
    let replace = seen.contains_key(&r.id);
    if let Some(prev) = seen.get(&r.id) {
        // Same id twice (AlmaLinux publishes one erratum per release folder; a record can
        // sit in several ecosystems' zips): the newer `modified` wins, ties keep the first.
        if r.modified <= prev.modified {
            acc.status.duplicates += 1;
            return Ok(());
        }
        acc.status.duplicates += 1;
        acc.warn(
            &r.name,
            Some(&r.id),
            format!(
                "replaces the older {}/{} of the same id",
                prev.feed, prev.name
            ),
        );
    }
    if !r.warnings.is_empty() {
        acc.warn(&r.name, Some(&r.id), r.warnings.join("; "));
    }
    b.put_row(&r.row, &r.raw, replace)?;
    acc.saw_date(&r.modified);
    seen.insert(
        std::mem::take(&mut r.id),
        Seen {
            modified: std::mem::take(&mut r.modified),
            feed: feed.clone(),
            name: std::mem::take(&mut r.name),
        },
    );
    acc.status.records += 1;
    Ok(())
}

/// Import one OSV `all.zip` through a three-stage pipeline: the reader thread inflates
/// members, the parser thread parses, validates and converts them, this thread writes them
/// to SQLite. Channels are bounded, so memory stays flat whatever the archive size.
fn import_osv_zip(
    b: &Builder,
    acc: &mut Acc,
    seen: &mut HashMap<String, Seen>,
    bytes: &[u8],
    limits: &Limits,
    observer: Option<&dyn Observer>,
) -> Result<(), FileError> {
    let feed = acc.status.feed.clone();
    let feed_arc: Arc<str> = Arc::from(feed.as_str());
    let (read, store_err) = std::thread::scope(|s| {
        let (mtx, mrx) = mpsc::sync_channel::<Vec<Member>>(4);
        let (ptx, prx) = mpsc::sync_channel::<Vec<Prepared<'_>>>(4);
        // Batches go back to the thread that allocated them: members to the reader, which
        // reuses their buffers; prepared records to the parser, which frees them.
        let (mback_tx, mback_rx) = mpsc::channel::<Vec<Member>>();
        let (pback_tx, pback_rx) = mpsc::channel::<Vec<Prepared<'_>>>();
        let reader = s.spawn(move || {
            let mut spare: Vec<Member> = Vec::new();
            let mut batch: Vec<Member> = Vec::with_capacity(BATCH);
            let r = zipread::for_each_entry(std::io::Cursor::new(bytes), limits, |e| {
                if spare.is_empty() {
                    for mut back in mback_rx.try_iter() {
                        spare.append(&mut back);
                    }
                }
                let mut m = spare.pop().unwrap_or(Member {
                    name: String::new(),
                    data: Vec::new(),
                    deflate: None,
                });
                m.name.clear();
                m.name.push_str(e.name);
                m.data.clear();
                m.data.extend_from_slice(e.data);
                m.deflate = e.deflate;
                batch.push(m);
                if batch.len() == BATCH
                    && mtx
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    // The writer stopped: no one wants the rest.
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            });
            if !batch.is_empty() {
                let _ = mtx.send(batch);
            }
            r
        });
        let feed = &feed;
        let parser = s.spawn(move || {
            for batch in mrx {
                for done in pback_rx.try_iter() {
                    drop(done);
                }
                let out: Vec<Prepared<'_>> =
                    batch.iter().map(|m| prepare(feed, m, bytes)).collect();
                let _ = mback_tx.send(batch);
                if ptx.send(out).is_err() {
                    break;
                }
            }
            drop(ptx);
            // Free what the writer hands back until it is done.
            for done in pback_rx {
                drop(done);
            }
        });
        let mut store_err = None;
        'batches: for mut batch in prx.iter() {
            for p in &mut batch {
                if let Err(e) = apply(b, acc, seen, &feed_arc, p) {
                    store_err = Some(e);
                    break 'batches;
                }
            }
            let _ = pback_tx.send(batch);
            if let Some(o) = observer {
                o.records(feed, acc.status.records + acc.status.rejected);
            }
        }
        // Unblock the other threads if the writer stopped early.
        drop(prx);
        drop(pback_tx);
        let read = match reader.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if let Err(panic) = parser.join() {
            std::panic::resume_unwind(panic);
        }
        (read, store_err)
    });
    if let Some(e) = store_err {
        return Err(e.into());
    }
    let entry_errors = read.map_err(|e| FileError::Unusable(e.to_string()))?;
    for e in entry_errors {
        acc.reject(&e.name, None, e.reason);
    }
    Ok(())
}

/// The previous database, if there is one this caulk can read (an older schema is rebuilt
/// from scratch: its rows cannot be copied).
fn readable_previous(db: &Path) -> Option<crate::store::Store> {
    if !db.exists() {
        return None;
    }
    crate::store::Store::open(db).ok()
}

/// Import a mirror directory into the database at `db`.
pub fn import_dir(dir: &Path, db: &Path, opts: &Options) -> Result<Report, Error> {
    let _finished = Finished(opts.observer.as_deref());
    let mut files = discover(dir)?;
    if let Some(only) = &opts.only {
        files.retain(|f| only.contains(&f.feed));
    }
    // An empty source must not replace a database with an empty one.
    if files.is_empty() {
        return Err(Error::Import(format!(
            "{}: no feed files (osv/<Ecosystem>/all.zip, kev/, epss/, nvd/){}; the database is left as it was",
            dir.display(),
            if opts.only.is_some() { " selected" } else { "" }
        )));
    }
    let manifest = Manifest::load(dir)?;
    if opts.require_manifest && manifest.is_none() {
        return Err(Error::Manifest {
            path: dir.join(crate::manifest::MANIFEST_NAME),
            reason: "missing: the source is not a `caulk db mirror` directory".into(),
        });
    }
    // Read what we need from the previous database before a new one is started.
    // One writer per database at a time, from before the previous database is read until
    // the new one is in place.
    let _lock = crate::store::WriteLock::acquire(db)?;
    let (previous, old_status, old_fetch) = match readable_previous(db) {
        Some(store) => {
            let status = store.feeds().unwrap_or_default();
            let fetch: HashMap<String, crate::store::FetchMeta> = status
                .iter()
                .filter_map(|f| Some((f.feed.clone(), store.fetch_meta(&f.feed).ok()??)))
                .collect();
            (Some(db.to_path_buf()), status, fetch)
        }
        None => (None, vec![], HashMap::new()),
    };
    let b = Builder::create(db)?;
    let now = opts.now_unix.unwrap_or_else(crate::now_unix);
    b.set_meta("built_at", &crate::rfc3339_utc(now))?;
    // What tells this database from every other build, even one of the same second: a
    // server keeps per-generation memos of what it read.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    b.set_meta(
        "generation",
        &format!(
            "{}.{nanos:09}-{}",
            crate::rfc3339_utc(now),
            std::process::id()
        ),
    )?;
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
        accs.push(Acc::new(&f.feed, source, fetched, now));
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
        let acc = &mut accs[ai];
        let mut import = |acc: &mut Acc| {
            import_file(
                &b,
                acc,
                &mut seen,
                f,
                &bytes,
                &opts.limits,
                opts.observer.as_deref(),
            )
        };
        let (digest, outcome) = match &manifest {
            // Checked before a single row is written: a file that does not match would
            // otherwise replace same-id records of feeds imported before it, and dropping it
            // would then lose them.
            Some(m) => {
                let digest = sha256_hex(&bytes);
                let outcome = match m.verify(&f.rel, bytes.len() as u64, &digest) {
                    Ok(()) => import(acc),
                    Err(reason) => Err(FileError::Unusable(reason)),
                };
                (digest, outcome)
            }
            // No manifest: the digest (recorded in the feed's status) is computed beside the
            // import; it costs as much as inflating a zip.
            None => std::thread::scope(|s| {
                let hasher = s.spawn(|| sha256_hex(&bytes));
                let imported = import(acc);
                match hasher.join() {
                    Ok(d) => (d, imported),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }),
        };
        acc.status.sha256 = Some(match acc.status.sha256.take() {
            Some(prev) => format!("{prev},{digest}"),
            None => digest,
        });
        match outcome {
            Ok(()) => {}
            Err(FileError::Store(e)) => return Err(e.into()),
            Err(FileError::Unusable(reason)) => {
                // Rows this file already gave are dropped: the feed is all old or all new.
                b.drop_feed(&f.feed)?;
                seen.retain(|_, s| *s.feed != *f.feed);
                failed.push(f.feed.clone());
                report
                    .failed
                    .push((f.feed.clone(), format!("{}: {reason}", f.rel)));
            }
        }
    }
    // Feeds that failed, and with `keep_other_feeds` the previous feeds this import had no
    // file for: keep the previous database's rows, status and validators.
    let mut keep: Vec<String> = failed.clone();
    if opts.keep_other_feeds {
        for old in &old_status {
            if !accs.iter().any(|a| a.status.feed == old.feed) && !keep.contains(&old.feed) {
                keep.push(old.feed.clone());
            }
        }
    }
    let mut statuses = Vec::new();
    for feed in &keep {
        if let Some(p) = &previous {
            b.carry_over(p, feed)?;
        }
        if let Some(old) = old_status.iter().find(|s| &s.feed == feed) {
            b.put_feed(old, &[])?;
            statuses.push(old.clone());
        }
        if let Some(meta) = old_fetch.get(feed) {
            b.put_fetch_meta(feed, meta)?;
        }
    }
    for acc in accs {
        if keep.contains(&acc.status.feed) {
            continue;
        }
        if let Some(v) = opts
            .fetched
            .get(&acc.status.feed)
            .and_then(|i| i.validators.as_ref())
        {
            b.put_fetch_meta(&acc.status.feed, v)?;
        }
        b.put_feed(&acc.status, &acc.rejections)?;
        statuses.push(acc.status);
    }
    // A database without advisories answers "clean" for everything (a scan refuses it): a
    // source that gives none (a KEV- or EPSS-only mirror, OSV zips that all failed or are
    // empty) never replaces a database.
    if !statuses
        .iter()
        .any(|s| s.feed.starts_with("osv/") && s.records > 0)
    {
        let failed = if report.failed.is_empty() {
            String::new()
        } else {
            let why: Vec<String> = report
                .failed
                .iter()
                .map(|(f, r)| format!("{f}: {r}"))
                .collect();
            format!(" ({})", why.join("; "))
        };
        return Err(Error::Import(format!(
            "{}: no advisories (no osv/<Ecosystem>/all.zip with records){failed}; a database without them would call every package clean, so the database is left as it was",
            dir.display()
        )));
    }
    // The identity merge (pure) runs beside the index build (SQLite, this thread); the big
    // maps are freed beside the final commit.
    let links = b.links()?;
    let (identity, indexed) = std::thread::scope(|s| {
        let merged = s.spawn(|| {
            merge::merge(links.iter().map(|(id, aliases, upstream)| merge::Links {
                id,
                aliases,
                upstream,
            }))
        });
        let indexed = b.create_indexes();
        match merged.join() {
            Ok(identity) => (identity, indexed),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    indexed?;
    b.put_identity(&identity)?;
    report.vulnerabilities = identity.vulns.len();
    report.db = std::thread::scope(|s| {
        s.spawn(move || drop((identity, links)));
        b.commit()
    })?;
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
    observer: Option<&dyn Observer>,
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
        import_osv_zip(b, acc, seen, bytes, limits, observer)?;
    } else if f.feed == "kev" {
        let k = kev::parse(bytes)
            .map_err(|e| FileError::Unusable(format!("not a KEV catalogue: {e}")))?;
        for e in &k.entries {
            b.put_kev(e)?;
        }
        acc.status.records += k.entries.len() as u64;
        if let Some(d) = &k.date_released {
            acc.saw_date(d);
        }
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
        // A daily file carries its date in the header; a time series on every row.
        for d in e
            .score_date
            .iter()
            .chain(e.scores.iter().filter_map(|s| s.score_date.as_ref()))
        {
            acc.saw_date(d);
        }
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
    if let Some(o) = observer {
        o.records(&f.feed, acc.status.records + acc.status.rejected);
    }
    Ok(())
}
