//! The local advisory database: one SQLite file, rebuilt whole by each import and swapped in
//! by `rename`, so a reader sees the old database or the new one, never a mix, and an
//! interrupted import leaves the previous file untouched (the half-built file has another
//! name and is removed on the next run).
//!
//! Lookups are by (ecosystem, package name) as written in the records (`Debian:12`,
//! `openssl`). Withdrawn advisories are stored and can be shown ([`Store::advisory`]), but
//! [`Store::lookup`] never returns them.

use caulk_model::advisory::{
    Advisory, AdvisoryFacts, AffectedPackage, CvssScore, CvssVersion, EpssScore, FeedStatus,
    KevEntry, RansomwareUse, RecordSource, Severity, VendorSeverity, Vulnerability,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// Bumped when the tables change; an older file is rebuilt by the next import.
/// 2: `advisories.raw` holds the original JSON as a raw deflate stream (RFC 1951); `ids`
/// and `advisory_vulns` are `WITHOUT ROWID`; `meta` holds `fetch:<feed>` validators.
/// 3: `affected.informational` (nullable) keeps RustSec's informational kind of an entry
/// (`unmaintained`, `unsound`, `notice`, …); NULL for a vulnerability entry.
/// 4: `affected.cves` (nullable JSON) keeps an entry's own CVE list with its scores (Ubuntu's
/// per-release `cves_map`); `vendor_severity` holds the ratings in words (Ubuntu priority,
/// AlmaLinux severity, GHSA severity) of each record.
pub const SCHEMA_VERSION: i64 = 4;

/// The `meta` key prefix of a feed's HTTP validators.
const FETCH_META_PREFIX: &str = "fetch:";

/// What `sync` remembers about a feed's last download, for the next conditional request:
/// stored as JSON in `meta` under `fetch:<feed>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FetchMeta {
    /// The URL the feed's data came from.
    pub url: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// When the data was downloaded (Unix seconds).
    pub fetched_at_unix: i64,
    /// When the source last confirmed the data (a 200 or a 304), Unix seconds.
    pub checked_at_unix: i64,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub sha256: String,
}

/// Record that the source still has what the database holds (a 304 Not Modified): update
/// the validators of these feeds in place. One small SQLite transaction: the rows of the
/// feeds are not touched, so the file need not be rebuilt.
pub fn update_fetch_meta(path: &Path, metas: &[(String, FetchMeta)]) -> Result<(), StoreError> {
    let _lock = WriteLock::acquire(path)?;
    let sql = |source| StoreError::Sql {
        path: path.to_path_buf(),
        source,
    };
    let mut conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(sql)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    for (feed, m) in metas {
        let json = serde_json::to_string(m).map_err(|source| StoreError::Json {
            path: path.to_path_buf(),
            what: format!("fetch metadata of {feed}"),
            source,
        })?;
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
            params![format!("{FETCH_META_PREFIX}{feed}"), json],
        )
        .map_err(sql)?;
    }
    tx.commit().map_err(sql)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("advisory database {path}: {source}")]
    Sql {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("advisory database {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "advisory database {path}: schema version {found}, this caulk reads {SCHEMA_VERSION}; run `caulk db sync` or `caulk db import`"
    )]
    Schema { path: PathBuf, found: i64 },
    #[error("advisory database {path}: stored JSON in {what}: {source}")]
    Json {
        path: PathBuf,
        what: String,
        #[source]
        source: serde_json::Error,
    },
}

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE feeds(feed TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE advisories(
  id TEXT PRIMARY KEY, feed TEXT NOT NULL, file TEXT NOT NULL, modified TEXT NOT NULL,
  published TEXT, withdrawn TEXT, summary TEXT, aliases TEXT NOT NULL, upstream TEXT NOT NULL,
  related TEXT NOT NULL, raw BLOB NOT NULL);
CREATE TABLE affected(
  advisory TEXT NOT NULL, ord INTEGER NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL,
  purl TEXT, ranges TEXT NOT NULL, versions TEXT NOT NULL, withdrawn INTEGER NOT NULL,
  informational TEXT, cves TEXT);
CREATE TABLE cvss(
  id TEXT NOT NULL, version TEXT NOT NULL, vector TEXT NOT NULL, base_score REAL NOT NULL,
  severity TEXT NOT NULL, published_score REAL, source TEXT NOT NULL);
CREATE TABLE vendor_severity(
  id TEXT NOT NULL, severity TEXT NOT NULL, label TEXT NOT NULL, kind TEXT NOT NULL,
  source TEXT NOT NULL);
CREATE TABLE ids(id TEXT PRIMARY KEY, vuln TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE advisory_vulns(advisory TEXT NOT NULL, vuln TEXT NOT NULL, PRIMARY KEY(advisory, vuln))
  WITHOUT ROWID;
CREATE TABLE kev(
  cve TEXT PRIMARY KEY, vendor_project TEXT NOT NULL, product TEXT NOT NULL,
  vulnerability_name TEXT NOT NULL, date_added TEXT NOT NULL, due_date TEXT NOT NULL,
  known_ransomware_campaign_use TEXT NOT NULL, required_action TEXT NOT NULL);
CREATE TABLE epss(
  cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL NOT NULL, model_version TEXT,
  score_date TEXT);
CREATE TABLE rejections(feed TEXT NOT NULL, file TEXT NOT NULL, id TEXT, reason TEXT NOT NULL);
";

/// Indexes are built after the bulk insert: faster than maintaining them row by row.
/// [`Builder::create_indexes`] builds these (the importer runs it while the identity merge
/// runs on another thread) ...
const INDEXES: &str = "
CREATE INDEX affected_pkg ON affected(ecosystem, name);
CREATE INDEX affected_adv ON affected(advisory);
CREATE INDEX cvss_id ON cvss(id);
CREATE INDEX vendor_severity_id ON vendor_severity(id);
CREATE INDEX rejections_feed ON rejections(feed);
";

/// ... and [`Builder::commit`] this one, after the identities are in.
const ID_INDEXES: &str = "CREATE INDEX ids_vuln ON ids(vuln);";

fn version_str(v: CvssVersion) -> &'static str {
    v.as_str()
}

fn parse_version(s: &str) -> CvssVersion {
    match s {
        "2.0" => CvssVersion::V2,
        "3.0" => CvssVersion::V3_0,
        "3.1" => CvssVersion::V3_1,
        _ => CvssVersion::V4,
    }
}

fn parse_severity(s: &str) -> Severity {
    match s {
        "unknown" => Severity::Unknown,
        "none" => Severity::None,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        _ => Severity::Critical,
    }
}

/// Held while the database at a path is rebuilt or updated in place: writers of one path take
/// turns (a second `caulk db import` waits for the first, then builds on its result), so
/// they never share the temporary file or read a half-replaced database. An advisory lock
/// (`flock`) on `<db>.lock`, released when dropped or when the process dies.
#[derive(Debug)]
pub struct WriteLock {
    _file: std::fs::File,
}

impl WriteLock {
    /// Wait for, then take, the write lock of the database at `db`.
    pub fn acquire(db: &Path) -> Result<WriteLock, StoreError> {
        let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        let path = db.with_file_name(name);
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = db.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(WriteLock { _file: file })
    }
}

/// The temporary file next to `path` an import writes to.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".new");
    path.with_file_name(name)
}

/// `(id, aliases, upstream)` of one stored advisory.
pub type Links = (String, Vec<String>, Vec<String>);

/// An advisory with its lists already encoded as the JSON the tables hold, so the encoding
/// can run on another thread than the SQLite writer (the importer's parser thread).
#[derive(Debug, Clone)]
pub struct AdvisoryRow {
    pub advisory: Advisory,
    aliases: String,
    upstream: String,
    related: String,
    /// Per affected entry: `(ranges, versions, cves)`.
    affected: Vec<(String, String, Option<String>)>,
}

impl AdvisoryRow {
    pub fn new(advisory: Advisory) -> AdvisoryRow {
        // Encoding strings and plain structs as JSON cannot fail.
        let j = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        AdvisoryRow {
            aliases: j(&advisory.aliases),
            upstream: j(&advisory.upstream),
            related: j(&advisory.related),
            affected: advisory
                .affected
                .iter()
                .map(|p| {
                    (
                        serde_json::to_string(&p.ranges).unwrap_or_else(|_| "[]".into()),
                        j(&p.versions),
                        p.cves.as_ref().and_then(|c| serde_json::to_string(c).ok()),
                    )
                })
                .collect(),
            advisory,
        }
    }
}

/// Writes a new database beside the current one; [`Builder::commit`] swaps it in.
#[derive(Debug)]
pub struct Builder {
    conn: Option<Connection>,
    tmp: PathBuf,
    path: PathBuf,
    indexed: std::cell::Cell<bool>,
}

impl Builder {
    /// Start a new database that will replace `path`. A leftover temporary file from an
    /// interrupted import is removed first.
    pub fn create(path: &Path) -> Result<Builder, StoreError> {
        let tmp = temp_path(path);
        let io = |source| StoreError::Io {
            path: tmp.clone(),
            source,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        match std::fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let sql = |source| StoreError::Sql {
            path: tmp.clone(),
            source,
        };
        let conn = Connection::open(&tmp).map_err(sql)?;
        // The file is private until the rename: no journal, no fsync per statement; one
        // fsync before the rename makes it durable.
        conn.execute_batch(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;
             PRAGMA page_size=8192; PRAGMA cache_size=-65536;",
        )
        .map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        conn.execute_batch("BEGIN").map_err(sql)?;
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?1)",
            params![SCHEMA_VERSION.to_string()],
        )
        .map_err(sql)?;
        Ok(Builder {
            conn: Some(conn),
            tmp,
            path: path.to_path_buf(),
            indexed: std::cell::Cell::new(false),
        })
    }

    fn conn(&self) -> &Connection {
        match &self.conn {
            Some(c) => c,
            // Set in `create`, taken only by `commit` and `drop`, which consume self.
            None => unreachable!("builder connection is open until commit"),
        }
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.tmp.clone(),
            source,
        }
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    /// Store a feed's HTTP validators (see [`FetchMeta`]).
    pub fn put_fetch_meta(&self, feed: &str, m: &FetchMeta) -> Result<(), StoreError> {
        let json = serde_json::to_string(m).map_err(|source| StoreError::Json {
            path: self.tmp.clone(),
            what: format!("fetch metadata of {feed}"),
            source,
        })?;
        self.set_meta(&format!("{FETCH_META_PREFIX}{feed}"), &json)
    }

    /// Insert an advisory with its original JSON as a raw deflate stream. `replace`: an
    /// advisory of the same id was stored before and is replaced (its rows are deleted
    /// first; without indexes during the bulk load that is a scan, so only replacements pay
    /// for it).
    pub fn put_advisory(&self, a: &Advisory, raw: &[u8], replace: bool) -> Result<(), StoreError> {
        self.put_row(&AdvisoryRow::new(a.clone()), raw, replace)
    }

    /// [`Builder::put_advisory`] for a row encoded beforehand (on another thread).
    pub fn put_row(&self, row: &AdvisoryRow, raw: &[u8], replace: bool) -> Result<(), StoreError> {
        let c = self.conn();
        let a = &row.advisory;
        let run = || -> rusqlite::Result<()> {
            if replace {
                c.prepare_cached("DELETE FROM affected WHERE advisory = ?1")?
                    .execute(params![a.id])?;
                c.prepare_cached("DELETE FROM cvss WHERE id = ?1 AND source LIKE 'osv:%'")?
                    .execute(params![a.id])?;
                c.prepare_cached("DELETE FROM vendor_severity WHERE id = ?1")?
                    .execute(params![a.id])?;
            }
            c.prepare_cached(
                "INSERT OR REPLACE INTO advisories(id, feed, file, modified, published, withdrawn,
                 summary, aliases, upstream, related, raw) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
            )?
            .execute(params![
                a.id,
                a.source.feed,
                a.source.file,
                a.modified,
                a.published,
                a.withdrawn,
                a.summary,
                row.aliases,
                row.upstream,
                row.related,
                raw
            ])?;
            let mut ins = c.prepare_cached(
                "INSERT INTO affected(advisory, ord, ecosystem, name, purl, ranges, versions, withdrawn,
                 informational, cves) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            )?;
            for (i, (p, (ranges, versions, cves))) in
                a.affected.iter().zip(&row.affected).enumerate()
            {
                ins.execute(params![
                    a.id,
                    i as i64,
                    p.ecosystem,
                    p.name,
                    p.purl,
                    ranges,
                    versions,
                    a.withdrawn.is_some(),
                    p.informational,
                    cves
                ])?;
            }
            let mut ins = c.prepare_cached(
                "INSERT INTO vendor_severity(id, severity, label, kind, source) VALUES (?1,?2,?3,?4,?5)",
            )?;
            for v in &a.vendor_severity {
                ins.execute(params![
                    a.id,
                    v.severity.as_str(),
                    v.label,
                    v.kind,
                    v.source
                ])?;
            }
            Ok(())
        };
        run().map_err(|e| self.sql(e))?;
        for s in &a.severity {
            self.put_cvss(&a.id, s)?;
        }
        Ok(())
    }

    pub fn put_cvss(&self, id: &str, s: &CvssScore) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO cvss(id, version, vector, base_score, severity, published_score, source)
                 VALUES (?1,?2,?3,?4,?5,?6,?7)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    id,
                    version_str(s.version),
                    s.vector,
                    s.base_score,
                    s.severity.as_str(),
                    s.published_score,
                    s.source
                ])
            })
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    pub fn put_kev(&self, k: &KevEntry) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("INSERT OR REPLACE INTO kev VALUES (?1,?2,?3,?4,?5,?6,?7,?8)")
            .and_then(|mut st| {
                st.execute(params![
                    k.cve_id,
                    k.vendor_project,
                    k.product,
                    k.vulnerability_name,
                    k.date_added,
                    k.due_date,
                    k.known_ransomware_campaign_use.as_str(),
                    k.required_action
                ])
            })
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    pub fn put_epss(&self, e: &EpssScore) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("INSERT OR REPLACE INTO epss VALUES (?1,?2,?3,?4,?5)")
            .and_then(|mut st| {
                st.execute(params![
                    e.cve_id,
                    e.score,
                    e.percentile,
                    e.model_version,
                    e.score_date
                ])
            })
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    pub fn put_identity(&self, id: &caulk_model::identity::Identity) -> Result<(), StoreError> {
        let c = self.conn();
        let run = || -> rusqlite::Result<()> {
            // Both maps are sorted and unique: plain inserts, appended in key order.
            let mut ins = c.prepare_cached("INSERT INTO ids(id, vuln) VALUES (?1, ?2)")?;
            for (i, v) in &id.vuln_of {
                ins.execute(params![i, v])?;
            }
            let mut ins =
                c.prepare_cached("INSERT INTO advisory_vulns(advisory, vuln) VALUES (?1, ?2)")?;
            for (a, vs) in &id.advisory_vulns {
                for v in vs {
                    ins.execute(params![a, v])?;
                }
            }
            Ok(())
        };
        run().map_err(|e| self.sql(e))
    }

    /// Record a feed's status and its rejections (all of them; the status keeps the first).
    pub fn put_feed(
        &self,
        status: &FeedStatus,
        rejections: &[caulk_model::advisory::Rejection],
    ) -> Result<(), StoreError> {
        let c = self.conn();
        let json = serde_json::to_string(status).map_err(|source| StoreError::Json {
            path: self.tmp.clone(),
            what: format!("feed {}", status.feed),
            source,
        })?;
        let run = || -> rusqlite::Result<()> {
            c.execute(
                "INSERT OR REPLACE INTO feeds(feed, status) VALUES (?1, ?2)",
                params![status.feed, json],
            )?;
            let mut ins = c.prepare_cached(
                "INSERT INTO rejections(feed, file, id, reason) VALUES (?1,?2,?3,?4)",
            )?;
            for r in rejections {
                ins.execute(params![r.feed, r.file, r.id, r.reason])?;
            }
            Ok(())
        };
        run().map_err(|e| self.sql(e))
    }

    /// Copy one feed's rows from a previous database (used when the feed's new file is
    /// unusable: the old data is kept rather than lost). Returns the advisories copied.
    pub fn carry_over(&self, old: &Path, feed: &str) -> Result<u64, StoreError> {
        let c = self.conn();
        let run = || -> rusqlite::Result<u64> {
            // SQLite attaches and detaches only outside a transaction.
            c.execute_batch("COMMIT")?;
            c.execute("ATTACH DATABASE ?1 AS old", params![old.to_string_lossy()])?;
            c.execute_batch("BEGIN")?;
            let r = (|| {
                let n = c.execute(
                    "INSERT OR IGNORE INTO advisories SELECT * FROM old.advisories WHERE feed=?1",
                    params![feed],
                )?;
                c.execute(
                    "INSERT INTO affected SELECT a.* FROM old.affected a
                     JOIN main.advisories d ON d.id = a.advisory WHERE d.feed=?1",
                    params![feed],
                )?;
                c.execute(
                    "INSERT INTO cvss SELECT s.* FROM old.cvss s
                     JOIN main.advisories d ON d.id = s.id WHERE d.feed=?1 AND s.source LIKE 'osv:%'",
                    params![feed],
                )?;
                c.execute(
                    "INSERT INTO vendor_severity SELECT s.* FROM old.vendor_severity s
                     JOIN main.advisories d ON d.id = s.id WHERE d.feed=?1",
                    params![feed],
                )?;
                c.execute(
                    "INSERT INTO rejections SELECT * FROM old.rejections WHERE feed=?1",
                    params![feed],
                )?;
                if feed == "kev" {
                    c.execute("INSERT OR IGNORE INTO kev SELECT * FROM old.kev", [])?;
                } else if feed == "epss" {
                    c.execute("INSERT OR IGNORE INTO epss SELECT * FROM old.epss", [])?;
                } else if feed == "nvd" {
                    c.execute(
                        "INSERT INTO cvss SELECT * FROM old.cvss WHERE source LIKE 'nvd:%'",
                        [],
                    )?;
                }
                Ok(n as u64)
            })();
            c.execute_batch("COMMIT; DETACH DATABASE old; BEGIN")?;
            r
        };
        run().map_err(|e| self.sql(e))
    }

    /// Remove every row a feed gave to the database being built.
    pub fn drop_feed(&self, feed: &str) -> Result<(), StoreError> {
        let c = self.conn();
        let run = || -> rusqlite::Result<()> {
            c.execute(
                "DELETE FROM affected WHERE advisory IN (SELECT id FROM advisories WHERE feed=?1)",
                params![feed],
            )?;
            c.execute(
                "DELETE FROM cvss WHERE source LIKE 'osv:%' AND id IN (SELECT id FROM advisories WHERE feed=?1)",
                params![feed],
            )?;
            c.execute(
                "DELETE FROM vendor_severity WHERE id IN (SELECT id FROM advisories WHERE feed=?1)",
                params![feed],
            )?;
            c.execute("DELETE FROM advisories WHERE feed=?1", params![feed])?;
            c.execute("DELETE FROM rejections WHERE feed=?1", params![feed])?;
            match feed {
                "kev" => c.execute("DELETE FROM kev", []).map(|_| ())?,
                "epss" => c.execute("DELETE FROM epss", []).map(|_| ())?,
                "nvd" => c
                    .execute("DELETE FROM cvss WHERE source LIKE 'nvd:%'", [])
                    .map(|_| ())?,
                _ => {}
            }
            Ok(())
        };
        run().map_err(|e| self.sql(e))
    }

    /// Rows of the database being built, for the identity merge: `(id, aliases, upstream)`.
    pub fn links(&self) -> Result<Vec<Links>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT id, aliases, upstream FROM advisories ORDER BY id")
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.sql(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))?;
        Ok(rows
            .into_iter()
            .map(|(id, a, u)| {
                (
                    id,
                    serde_json::from_str(&a).unwrap_or_default(),
                    serde_json::from_str(&u).unwrap_or_default(),
                )
            })
            .collect())
    }

    /// Build the lookup indexes now (else [`Builder::commit`] does). Rows added afterwards
    /// are indexed as they come, which is slower in bulk.
    pub fn create_indexes(&self) -> Result<(), StoreError> {
        if !self.indexed.get() {
            self.conn()
                .execute_batch(INDEXES)
                .map_err(|e| self.sql(e))?;
            self.indexed.set(true);
        }
        Ok(())
    }

    /// Build the indexes, make the file durable and put it in place of the old database.
    pub fn commit(mut self) -> Result<PathBuf, StoreError> {
        let conn = self.conn.take();
        let tmp = self.tmp.clone();
        let sql = |source| StoreError::Sql {
            path: tmp.clone(),
            source,
        };
        if let Some(conn) = conn {
            if !self.indexed.get() {
                conn.execute_batch(INDEXES).map_err(sql)?;
            }
            conn.execute_batch(ID_INDEXES).map_err(sql)?;
            conn.execute_batch("COMMIT").map_err(sql)?;
            // No ANALYZE: every query has one obvious index, and statistics cost a full
            // pass over the tables (import benchmark).
            conn.execute_batch("PRAGMA journal_mode=DELETE;")
                .map_err(sql)?;
            conn.close().map_err(|(_, e)| sql(e))?;
        }
        let io = |source| StoreError::Io {
            path: tmp.clone(),
            source,
        };
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent() {
            // Make the rename durable; not every platform can open a directory.
            if let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }) {
                let _ = d.sync_all();
            }
        }
        Ok(self.path.clone())
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        if self.conn.take().is_some() {
            // Not committed: the previous database stays; remove the partial one.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

pub use caulk_model::advisory::AffectedHit;
use caulk_model::source::{AdvisorySource, Hit, SourceError};

/// An open read transaction on a [`Store`]; ends when dropped.
#[derive(Debug)]
pub struct ReadSnapshot<'a> {
    store: &'a Store,
}

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        // A read transaction has nothing to lose: a failed COMMIT only means SQLite already
        // ended it.
        let _ = self.store.conn.execute_batch("COMMIT");
    }
}

/// A read-only view of the database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The file's (device, inode) when it was opened: an import puts a new database in place
    /// by renaming, and a [`Pool`] must not go on lending connections to the replaced file.
    file_id: Option<(u64, u64)>,
}

/// A file's (device, inode), `None` when it cannot be read.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The store as the scan's advisory source: every read names what it asked in its error.
impl AdvisorySource for Store {
    fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<Hit>, SourceError> {
        Store::lookup(self, ecosystem, name)
            .map_err(|e| SourceError::new(format!("lookup {ecosystem}/{name}"), e))
    }
    fn advisory(&self, id: &str) -> Result<Option<Advisory>, SourceError> {
        Store::advisory(self, id).map_err(|e| SourceError::new(format!("advisory {id}"), e))
    }
    fn advisory_vulnerabilities(&self, advisory: &str) -> Result<Vec<String>, SourceError> {
        Store::advisory_vulnerabilities(self, advisory)
            .map_err(|e| SourceError::new(format!("vulnerabilities of {advisory}"), e))
    }
    fn vulnerability(&self, id: &str) -> Result<Option<Vulnerability>, SourceError> {
        Store::vulnerability(self, id)
            .map_err(|e| SourceError::new(format!("vulnerability {id}"), e))
    }
    fn cvss(&self, id: &str) -> Result<Vec<CvssScore>, SourceError> {
        Store::cvss(self, id).map_err(|e| SourceError::new(format!("CVSS of {id}"), e))
    }
    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, SourceError> {
        Store::kev(self, cve).map_err(|e| SourceError::new(format!("KEV {cve}"), e))
    }
    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, SourceError> {
        Store::epss(self, cve).map_err(|e| SourceError::new(format!("EPSS {cve}"), e))
    }

    fn lookup_many(&self, ecosystem: &str, names: &[&str]) -> Result<Vec<Hit>, SourceError> {
        Store::lookup_many(self, ecosystem, names).map_err(|e| {
            SourceError::new(format!("lookup of {} {ecosystem} names", names.len()), e)
        })
    }
    fn advisory_facts(&self, ids: &[&str]) -> Result<Vec<AdvisoryFacts>, SourceError> {
        Store::advisory_facts(self, ids)
            .map_err(|e| SourceError::new(format!("{} advisories", ids.len()), e))
    }
    fn advisory_vulnerabilities_many(
        &self,
        advisories: &[&str],
    ) -> Result<Vec<(String, String)>, SourceError> {
        Store::advisory_vulnerabilities_many(self, advisories).map_err(|e| {
            SourceError::new(
                format!("vulnerabilities of {} advisories", advisories.len()),
                e,
            )
        })
    }
    fn vulnerabilities(&self, ids: &[&str]) -> Result<Vec<(String, Vulnerability)>, SourceError> {
        Store::vulnerabilities(self, ids)
            .map_err(|e| SourceError::new(format!("{} vulnerabilities", ids.len()), e))
    }
    fn cvss_many(&self, ids: &[&str]) -> Result<Vec<(String, CvssScore)>, SourceError> {
        Store::cvss_many(self, ids)
            .map_err(|e| SourceError::new(format!("CVSS of {} ids", ids.len()), e))
    }
    fn vendor_severity(&self, id: &str) -> Result<Vec<VendorSeverity>, SourceError> {
        Store::vendor_severity(self, id)
            .map_err(|e| SourceError::new(format!("vendor severity of {id}"), e))
    }
    fn vendor_severity_many(
        &self,
        ids: &[&str],
    ) -> Result<Vec<(String, VendorSeverity)>, SourceError> {
        Store::vendor_severity_many(self, ids)
            .map_err(|e| SourceError::new(format!("vendor severity of {} ids", ids.len()), e))
    }
    fn kev_many(&self, cves: &[&str]) -> Result<Vec<KevEntry>, SourceError> {
        Store::kev_many(self, cves)
            .map_err(|e| SourceError::new(format!("KEV of {} ids", cves.len()), e))
    }
    fn epss_many(&self, cves: &[&str]) -> Result<Vec<EpssScore>, SourceError> {
        Store::epss_many(self, cves)
            .map_err(|e| SourceError::new(format!("EPSS of {} ids", cves.len()), e))
    }
}

/// A shared handle on one advisory database file for threads that read it at once (a
/// server's request handlers): `Send + Sync`, it lends each caller a [`Store`] of its own
/// (one SQLite connection, used by one thread at a time) and takes it back when the
/// [`Pooled`] guard drops. Connections are opened on demand and at most `max_idle` are kept.
#[derive(Debug)]
pub struct Pool {
    path: PathBuf,
    idle: std::sync::Mutex<Vec<Store>>,
    max_idle: usize,
}

/// A [`Store`] lent by a [`Pool`]; derefs to it and goes back to the pool on drop.
#[derive(Debug)]
pub struct Pooled<'a> {
    pool: &'a Pool,
    store: Option<Store>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        // Present from creation until drop.
        self.store.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.store.take()
            && let Ok(mut idle) = self.pool.idle.lock()
            && idle.len() < self.pool.max_idle
        {
            idle.push(s);
        }
    }
}

impl Pool {
    /// Open the database once (its schema is checked now) and keep that connection.
    pub fn open(path: &Path, max_idle: usize) -> Result<Pool, StoreError> {
        let first = Store::open(path)?;
        Ok(Pool {
            path: path.to_path_buf(),
            idle: std::sync::Mutex::new(vec![first]),
            max_idle: max_idle.max(1),
        })
    }

    /// A store of this caller's own: an idle one, else a new connection. When the file was
    /// replaced since the idle connections were opened (an import or a sync renamed a new
    /// database into place), they are closed and a connection to the new file is opened.
    pub fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let now = file_id(&self.path);
        let idle = self.idle.lock().ok().and_then(|mut v| {
            if v.iter().any(|s| s.file_id != now) {
                v.clear();
            }
            v.pop()
        });
        let store = match idle {
            Some(s) => s,
            None => Store::open(&self.path)?,
        };
        Ok(Pooled {
            pool: self,
            store: Some(store),
        })
    }
}

/// A `kev` row (`SELECT *`).
fn kev_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KevEntry> {
    Ok(KevEntry {
        cve_id: r.get(0)?,
        vendor_project: r.get(1)?,
        product: r.get(2)?,
        vulnerability_name: r.get(3)?,
        date_added: r.get(4)?,
        due_date: r.get(5)?,
        known_ransomware_campaign_use: RansomwareUse::parse(&r.get::<_, String>(6)?),
        required_action: r.get(7)?,
    })
}

/// An `epss` row (`SELECT *`).
fn epss_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EpssScore> {
    Ok(EpssScore {
        cve_id: r.get(0)?,
        score: r.get(1)?,
        percentile: r.get(2)?,
        model_version: r.get(3)?,
        score_date: r.get(4)?,
    })
}

/// A `cvss` score from columns `version, vector, base_score, severity, published_score,
/// source` starting at column `at`.
fn cvss_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<CvssScore> {
    Ok(CvssScore {
        version: parse_version(&r.get::<_, String>(at)?),
        vector: r.get(at + 1)?,
        base_score: r.get(at + 2)?,
        severity: parse_severity(&r.get::<_, String>(at + 3)?),
        published_score: r.get(at + 4)?,
        source: r.get(at + 5)?,
    })
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let sql = |source| StoreError::Sql {
            path: path.to_path_buf(),
            source,
        };
        if !path.exists() {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no advisory database here; run `caulk db sync` or `caulk db import`",
                ),
            });
        }
        // Taken before the open: if an import renames a new file in between, the id is the
        // old one and a pool reopens once more — never the other way round.
        let file_id = file_id(path);
        // NO_MUTEX: a `Connection` is used by one thread at a time (it is not `Sync`), so
        // SQLite need not lock it on every call (~300,000 locks in a host scan).
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        let found: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key='schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        let found = found.and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        if found != SCHEMA_VERSION {
            return Err(StoreError::Schema {
                path: path.to_path_buf(),
                found,
            });
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            file_id,
        })
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    /// [`Store::json`] with the error's label (`<record> <column>`) built only on error: a
    /// scan decodes thousands of cells.
    fn json_of<T: serde::de::DeserializeOwned>(
        &self,
        record: &str,
        column: &str,
        s: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(s).map_err(|source| StoreError::Json {
            path: self.path.clone(),
            what: format!("{record} {column}"),
            source,
        })
    }

    fn json<T: serde::de::DeserializeOwned>(&self, what: &str, s: &str) -> Result<T, StoreError> {
        serde_json::from_str(s).map_err(|source| StoreError::Json {
            path: self.path.clone(),
            what: what.to_string(),
            source,
        })
    }

    /// Hold one read transaction until the returned guard drops: every read in between sees
    /// one snapshot, and SQLite stops taking and releasing the file lock per statement (a host
    /// scan makes ~25,000 reads). The only in-place writer (`sync` updating check times) waits
    /// for it, up to the busy timeout; imports replace the file by rename and never wait.
    pub fn read_snapshot(&self) -> Result<ReadSnapshot<'_>, StoreError> {
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(|e| self.sql(e))?;
        Ok(ReadSnapshot { store: self })
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM meta WHERE key=?1")
            .and_then(|mut st| st.query_row(params![key], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    /// Affected entries of non-withdrawn advisories for (ecosystem, name), sorted by advisory
    /// id then entry order.
    pub fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<AffectedHit>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT advisory, ecosystem, name, purl, ranges, versions, informational, cves
                 FROM affected WHERE ecosystem=?1 AND name=?2 AND withdrawn=0 ORDER BY advisory, ord",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map(params![ecosystem, name], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (advisory, ecosystem, name, purl, ranges, versions, informational, cves) =
                row.map_err(|e| self.sql(e))?;
            out.push(AffectedHit {
                package: AffectedPackage {
                    ecosystem,
                    name,
                    purl,
                    informational,
                    cves: self.cves_of(&advisory, cves.as_deref())?,
                    ranges: self.json_of(&advisory, "ranges", &ranges)?,
                    versions: self.json_of(&advisory, "versions", &versions)?,
                },
                advisory,
            });
        }
        Ok(out)
    }

    /// One advisory by id, withdrawn or not.
    pub fn advisory(&self, id: &str) -> Result<Option<Advisory>, StoreError> {
        let row = self
            .conn
            .prepare_cached("SELECT id, feed, file, modified, published, withdrawn, summary, aliases, upstream, related
                 FROM advisories WHERE id=?1")
            .and_then(|mut st| st.query_row(params![id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, String>(9)?,
                    ))
                }).optional())
            .map_err(|e| self.sql(e))?;
        let Some((
            id,
            feed,
            file,
            modified,
            published,
            withdrawn,
            summary,
            aliases,
            upstream,
            related,
        )) = row
        else {
            return Ok(None);
        };
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT ecosystem, name, purl, ranges, versions, informational, cves FROM affected
                 WHERE advisory=?1 ORDER BY ord",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut affected = Vec::new();
        for row in rows {
            let (ecosystem, name, purl, ranges, versions, informational, cves) =
                row.map_err(|e| self.sql(e))?;
            affected.push(AffectedPackage {
                cves: self.cves_of(&id, cves.as_deref())?,
                ecosystem,
                name,
                purl,
                informational,
                ranges: self.json_of(&id, "ranges", &ranges)?,
                versions: self.json_of(&id, "versions", &versions)?,
            });
        }
        Ok(Some(Advisory {
            severity: self.cvss(&id)?,
            vendor_severity: self.vendor_severity(&id)?,
            aliases: self.json_of(&id, "aliases", &aliases)?,
            upstream: self.json_of(&id, "upstream", &upstream)?,
            related: self.json_of(&id, "related", &related)?,
            id,
            modified,
            published,
            withdrawn,
            summary,
            affected,
            source: RecordSource { feed, file },
        }))
    }

    /// The original JSON of an advisory (stored deflated; capped at the record size limit).
    pub fn raw(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        use std::io::Read;
        let stored: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT raw FROM advisories WHERE id=?1")
            .and_then(|mut st| st.query_row(params![id], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let err = |kind, reason: String| StoreError::Io {
            path: self.path.clone(),
            source: std::io::Error::new(kind, format!("original JSON of {id}: {reason}")),
        };
        // One byte past the bound tells a record that is too large from one that fits: a
        // truncated original would pass for the record.
        let cap = caulk_feeds::osv::MAX_RECORD_BYTES as u64;
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(stored.as_slice())
            .take(cap + 1)
            .read_to_end(&mut out)
            .map_err(|source| err(source.kind(), source.to_string()))?;
        if out.len() as u64 > cap {
            return Err(err(
                std::io::ErrorKind::InvalidData,
                format!("more than {cap} bytes inflated"),
            ));
        }
        Ok(Some(out))
    }

    /// A feed's HTTP validators from its last download, if it came from `sync`.
    pub fn fetch_meta(&self, feed: &str) -> Result<Option<FetchMeta>, StoreError> {
        match self.meta(&format!("{FETCH_META_PREFIX}{feed}"))? {
            None => Ok(None),
            Some(s) => self
                .json(&format!("fetch metadata of {feed}"), &s)
                .map(Some),
        }
    }

    /// CVSS scores stored under `id` (from OSV severity or NVD), in source order.
    pub fn cvss(&self, id: &str) -> Result<Vec<CvssScore>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT version, vector, base_score, severity, published_score, source FROM cvss
                 WHERE id=?1 ORDER BY source, version, vector",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map(params![id], |r| cvss_row(r, 0))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// An entry's stored CVE list (`affected.cves`), decoded.
    fn cves_of(
        &self,
        advisory: &str,
        cves: Option<&str>,
    ) -> Result<Option<Vec<caulk_model::advisory::EntryCve>>, StoreError> {
        cves.map(|c| self.json_of(advisory, "cves", c)).transpose()
    }

    /// The ratings in words stored under `id` (its record's own), in (source, kind, label)
    /// order.
    pub fn vendor_severity(&self, id: &str) -> Result<Vec<VendorSeverity>, StoreError> {
        Ok(self
            .vendor_severity_many(&[id])?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// [`Store::vendor_severity`] for several ids: `(id, rating)` pairs in (id, source, kind,
    /// label) order.
    pub fn vendor_severity_many(
        &self,
        ids: &[&str],
    ) -> Result<Vec<(String, VendorSeverity)>, StoreError> {
        let mut out = self.query_keys(
            "SELECT v.id, v.severity, v.label, v.kind, v.source
             FROM json_each(?1) k CROSS JOIN vendor_severity v WHERE v.id=k.value",
            ids,
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    VendorSeverity {
                        severity: parse_severity(&r.get::<_, String>(1)?),
                        label: r.get(2)?,
                        kind: r.get(3)?,
                        source: r.get(4)?,
                    },
                ))
            },
        )?;
        out.sort_by(|(ai, a), (bi, b)| {
            (ai, &a.source, &a.kind, &a.label).cmp(&(bi, &b.source, &b.kind, &b.label))
        });
        Ok(out)
    }

    /// The vulnerability an id belongs to, with all its ids.
    pub fn vulnerability(&self, id: &str) -> Result<Option<Vulnerability>, StoreError> {
        let vuln: Option<String> = self
            .conn
            .prepare_cached("SELECT vuln FROM ids WHERE id=?1")
            .and_then(|mut st| st.query_row(params![id], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))?;
        let Some(vuln) = vuln else { return Ok(None) };
        let mut st = self
            .conn
            .prepare_cached("SELECT id FROM ids WHERE vuln=?1 ORDER BY id")
            .map_err(|e| self.sql(e))?;
        let ids = st
            .query_map(params![vuln], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))?;
        Ok(Some(Vulnerability { id: vuln, ids }))
    }

    /// The vulnerabilities an advisory covers (display ids, sorted).
    pub fn advisory_vulnerabilities(&self, advisory: &str) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT vuln FROM advisory_vulns WHERE advisory=?1 ORDER BY vuln")
            .map_err(|e| self.sql(e))?;
        st.query_map(params![advisory], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))
    }

    pub fn kev(&self, cve: &str) -> Result<Option<KevEntry>, StoreError> {
        self.conn
            .prepare_cached("SELECT * FROM kev WHERE cve=?1")
            .and_then(|mut st| st.query_row(params![cve], kev_row).optional())
            .map_err(|e| self.sql(e))
    }

    pub fn epss(&self, cve: &str) -> Result<Option<EpssScore>, StoreError> {
        self.conn
            .prepare_cached("SELECT * FROM epss WHERE cve=?1")
            .and_then(|mut st| st.query_row(params![cve], epss_row).optional())
            .map_err(|e| self.sql(e))
    }

    // -----------------------------------------------------------------------------------
    // Set-based reads: one statement for a whole list of keys (a host scan asks for
    // thousands), the keys passed as one JSON array and expanded by `json_each`, so the
    // statement text never depends on the number of keys. Each statement *starts* from the
    // key list (`json_each(..) CROSS JOIN table`): one index probe per key, where `IN
    // (SELECT value FROM json_each(..))` first copies the keys into a temporary B-tree. So
    // the keys are deduplicated here, and the rows sorted in Rust, not by `ORDER BY` (which
    // would copy every row through another temporary B-tree).

    fn keys_json(keys: &[&str]) -> String {
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        serde_json::to_string(&keys).unwrap_or_else(|_| "[]".to_string())
    }

    /// Run `sql`, whose `?1` is the JSON array of `keys`, and map every row.
    fn query_keys<T>(
        &self,
        sql: &str,
        keys: &[&str],
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.sql(e))?;
        let rows = st
            .query_map(params![Self::keys_json(keys)], row)
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// [`Store::lookup`] for several names of one ecosystem: the entries of every name, in
    /// (name, advisory, entry order) order.
    pub fn lookup_many(
        &self,
        ecosystem: &str,
        names: &[&str],
    ) -> Result<Vec<AffectedHit>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                // No ORDER BY: SQLite would copy every row, ranges and all, through a
                // temporary B-tree (a third of the read); sorted below instead.
                "SELECT a.advisory, a.ecosystem, a.name, a.purl, a.ranges, a.versions,
                        a.informational, a.ord, a.cves
                 FROM json_each(?2) k CROSS JOIN affected a
                 WHERE a.ecosystem=?1 AND a.name=k.value AND a.withdrawn=0",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows = st
            .query(params![ecosystem, Self::keys_json(names)])
            .map_err(|e| self.sql(e))?;
        let mut out: Vec<(i64, AffectedHit)> = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            let advisory: String = r.get(0).map_err(|e| self.sql(e))?;
            let ord: i64 = r.get(7).map_err(|e| self.sql(e))?;
            let ranges = r.get_ref(4).and_then(|v| Ok(v.as_str()?));
            let versions = r.get_ref(5).and_then(|v| Ok(v.as_str()?));
            let (ranges, versions) = (
                ranges.map_err(|e| self.sql(e))?,
                versions.map_err(|e| self.sql(e))?,
            );
            let hit = AffectedHit {
                package: AffectedPackage {
                    ecosystem: r.get(1).map_err(|e| self.sql(e))?,
                    name: r.get(2).map_err(|e| self.sql(e))?,
                    purl: r.get(3).map_err(|e| self.sql(e))?,
                    informational: r.get(6).map_err(|e| self.sql(e))?,
                    cves: {
                        let c = r.get_ref(8).and_then(|v| Ok(v.as_str_or_null()?));
                        self.cves_of(&advisory, c.map_err(|e| self.sql(e))?)?
                    },
                    ranges: self.json_of(&advisory, "ranges", ranges)?,
                    versions: if versions == "[]" {
                        Vec::new()
                    } else {
                        self.json_of(&advisory, "versions", versions)?
                    },
                },
                advisory,
            };
            out.push((ord, hit));
        }
        out.sort_unstable_by(|(ao, a), (bo, b)| {
            (&a.package.name, &a.advisory, ao).cmp(&(&b.package.name, &b.advisory, bo))
        });
        Ok(out.into_iter().map(|(_, h)| h).collect())
    }

    /// The facts (no affected entries, no severity) of the advisories among `ids` that
    /// exist, withdrawn or not, in id order.
    pub fn advisory_facts(&self, ids: &[&str]) -> Result<Vec<AdvisoryFacts>, StoreError> {
        let mut out = self.query_keys(
            "SELECT a.id, a.feed, a.file, a.modified, a.published, a.withdrawn, a.summary
             FROM json_each(?1) k CROSS JOIN advisories a WHERE a.id=k.value",
            ids,
            |r| {
                Ok(AdvisoryFacts {
                    id: r.get(0)?,
                    source: RecordSource {
                        feed: r.get(1)?,
                        file: r.get(2)?,
                    },
                    modified: r.get(3)?,
                    published: r.get(4)?,
                    withdrawn: r.get(5)?,
                    summary: r.get(6)?,
                })
            },
        )?;
        out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// [`Store::cvss`] for several ids: `(id, score)` pairs in (id, source order) order.
    pub fn cvss_many(&self, ids: &[&str]) -> Result<Vec<(String, CvssScore)>, StoreError> {
        // Sorted as `Store::cvss` orders, by the stored text of `version`.
        let mut out = self.query_keys(
            "SELECT c.id, c.version, c.vector, c.base_score, c.severity, c.published_score,
                    c.source, c.version
             FROM json_each(?1) k CROSS JOIN cvss c WHERE c.id=k.value",
            ids,
            |r| Ok((r.get::<_, String>(7)?, r.get(0)?, cvss_row(r, 1)?)),
        )?;
        out.sort_by(|(av, aid, a), (bv, bid, b)| {
            (aid, &a.source, av, &a.vector).cmp(&(bid, &b.source, bv, &b.vector))
        });
        Ok(out.into_iter().map(|(_, id, c)| (id, c)).collect())
    }

    /// [`Store::vulnerability`] for several ids: `(asked id, vulnerability)` for the ids
    /// that belong to one, in id order.
    pub fn vulnerabilities(
        &self,
        ids: &[&str],
    ) -> Result<Vec<(String, Vulnerability)>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.vuln, b.id
                 FROM json_each(?1) k CROSS JOIN ids a CROSS JOIN ids b
                 WHERE a.id=k.value AND b.vuln=a.vuln",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows = st
            .query(params![Self::keys_json(ids)])
            .map_err(|e| self.sql(e))?;
        let mut out: Vec<(String, Vulnerability)> = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            let asked = r.get_ref(0).and_then(|v| Ok(v.as_str()?));
            let asked = asked.map_err(|e| self.sql(e))?;
            let member: String = r.get(2).map_err(|e| self.sql(e))?;
            match out.last_mut() {
                Some((a, v)) if a == asked => v.ids.push(member),
                _ => out.push((
                    asked.to_string(),
                    Vulnerability {
                        id: r.get(1).map_err(|e| self.sql(e))?,
                        ids: vec![member],
                    },
                )),
            }
        }
        // The rows of one key are consecutive (the key list is the outer loop, deduplicated).
        for (_, v) in &mut out {
            v.ids.sort_unstable();
        }
        out.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        Ok(out)
    }

    /// [`Store::advisory_vulnerabilities`] for several advisories: `(advisory, vuln)` pairs
    /// in (advisory, vuln) order.
    pub fn advisory_vulnerabilities_many(
        &self,
        advisories: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut out: Vec<(String, String)> = self.query_keys(
            "SELECT v.advisory, v.vuln
             FROM json_each(?1) k CROSS JOIN advisory_vulns v WHERE v.advisory=k.value",
            advisories,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        out.sort_unstable();
        Ok(out)
    }

    /// [`Store::kev`] for several CVE ids: the entries found, in id order.
    pub fn kev_many(&self, cves: &[&str]) -> Result<Vec<KevEntry>, StoreError> {
        let mut out = self.query_keys(
            "SELECT v.* FROM json_each(?1) k CROSS JOIN kev v WHERE v.cve=k.value",
            cves,
            kev_row,
        )?;
        out.sort_unstable_by(|a, b| a.cve_id.cmp(&b.cve_id));
        Ok(out)
    }

    /// [`Store::epss`] for several CVE ids: the scores found, in id order.
    pub fn epss_many(&self, cves: &[&str]) -> Result<Vec<EpssScore>, StoreError> {
        let mut out = self.query_keys(
            "SELECT e.* FROM json_each(?1) k CROSS JOIN epss e WHERE e.cve=k.value",
            cves,
            epss_row,
        )?;
        out.sort_unstable_by(|a, b| a.cve_id.cmp(&b.cve_id));
        Ok(out)
    }

    /// Every feed's status, sorted by feed name.
    pub fn feeds(&self) -> Result<Vec<FeedStatus>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT feed, status FROM feeds ORDER BY feed")
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.sql(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))?;
        rows.iter()
            .map(|(feed, s)| self.json(&format!("feed {feed}"), s))
            .collect()
    }

    /// Every rejection of a feed, in import order.
    pub fn rejections(
        &self,
        feed: &str,
    ) -> Result<Vec<caulk_model::advisory::Rejection>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT feed, file, id, reason FROM rejections WHERE feed=?1 ORDER BY rowid")
            .map_err(|e| self.sql(e))?;
        st.query_map(params![feed], |r| {
            Ok(caulk_model::advisory::Rejection {
                feed: r.get(0)?,
                file: r.get(1)?,
                id: r.get(2)?,
                reason: r.get(3)?,
            })
        })
        .map_err(|e| self.sql(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.sql(e))
    }

    /// Number of rows in a table (`advisories`, `affected`, `kev`, …) for reports and tests.
    pub fn count(&self, table: &str) -> Result<u64, StoreError> {
        const TABLES: [&str; 9] = [
            "vendor_severity",
            "advisories",
            "affected",
            "cvss",
            "ids",
            "advisory_vulns",
            "kev",
            "epss",
            "rejections",
        ];
        let Some(t) = TABLES.iter().find(|t| **t == table) else {
            return Ok(0);
        };
        self.conn
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use caulk_model::advisory::{AffectedRange, EventKind, RangeEvent};

    fn entry(name: &str, informational: Option<&str>) -> AffectedPackage {
        AffectedPackage {
            ecosystem: "crates.io".into(),
            name: name.into(),
            purl: None,
            ranges: vec![AffectedRange {
                kind: "SEMVER".into(),
                repo: None,
                events: vec![RangeEvent {
                    kind: EventKind::Introduced,
                    version: "0.0.0-0".into(),
                }],
            }],
            versions: vec![],
            informational: informational.map(str::to_string),
            cves: None,
        }
    }

    fn advisory(id: &str, feed: &str, affected: Vec<AffectedPackage>) -> Advisory {
        Advisory {
            id: id.into(),
            modified: "2024-01-01T00:00:00Z".into(),
            published: None,
            withdrawn: None,
            summary: None,
            aliases: vec![],
            upstream: vec![],
            related: vec![],
            severity: vec![],
            vendor_severity: vec![],
            affected,
            source: RecordSource {
                feed: feed.into(),
                file: format!("{id}.json"),
            },
        }
    }

    /// A database holding one informational advisory (two entries: `unmaintained` and a kind
    /// no database defines yet) and one vulnerability.
    fn build(path: &Path) {
        let b = Builder::create(path).unwrap();
        let info = advisory(
            "RUSTSEC-2020-0036",
            "osv/crates.io",
            vec![
                entry("failure", Some("unmaintained")),
                entry("failure_derive", Some("some-future-kind")),
            ],
        );
        let vuln = advisory(
            "RUSTSEC-2020-0071",
            "osv/crates.io",
            vec![entry("time", None)],
        );
        b.put_advisory(&info, b"", false).unwrap();
        b.put_advisory(&vuln, b"", false).unwrap();
        b.commit().unwrap();
    }

    fn kinds(hits: &[AffectedHit]) -> Vec<(&str, Option<&str>)> {
        hits.iter()
            .map(|h| (h.package.name.as_str(), h.package.informational.as_deref()))
            .collect()
    }

    #[test]
    fn informational_kind_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("adv.db");
        build(&db);
        let s = Store::open(&db).unwrap();
        assert_eq!(
            kinds(&s.lookup("crates.io", "failure").unwrap()),
            [("failure", Some("unmaintained"))]
        );
        assert_eq!(
            kinds(&s.lookup("crates.io", "time").unwrap()),
            [("time", None)]
        );
        assert_eq!(
            kinds(
                &s.lookup_many("crates.io", &["failure_derive", "time", "failure"])
                    .unwrap()
            ),
            [
                ("failure", Some("unmaintained")),
                ("failure_derive", Some("some-future-kind")),
                ("time", None)
            ]
        );
        let a = s.advisory("RUSTSEC-2020-0036").unwrap().unwrap();
        let got: Vec<Option<&str>> = a
            .affected
            .iter()
            .map(|p| p.informational.as_deref())
            .collect();
        assert_eq!(got, [Some("unmaintained"), Some("some-future-kind")]);
        let v = s.advisory("RUSTSEC-2020-0071").unwrap().unwrap();
        assert_eq!(v.affected[0].informational, None);
    }

    #[test]
    fn carried_over_rows_keep_the_kind() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join("old.db");
        build(&old);
        let db = tmp.path().join("adv.db");
        let b = Builder::create(&db).unwrap();
        assert_eq!(b.carry_over(&old, "osv/crates.io").unwrap(), 2);
        b.commit().unwrap();
        let s = Store::open(&db).unwrap();
        assert_eq!(
            kinds(&s.lookup("crates.io", "failure").unwrap()),
            [("failure", Some("unmaintained"))]
        );
        assert_eq!(
            kinds(&s.lookup("crates.io", "time").unwrap()),
            [("time", None)]
        );
    }

    /// An entry's own CVE list (Ubuntu's `cves_map`, with scores) and a record's ratings in
    /// words are stored, read back by every read path, and carried over with their feed.
    #[test]
    fn entry_cves_and_vendor_ratings_round_trip() {
        use caulk_model::advisory::{EntryCve, VendorSeverity};
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join("old.db");
        let rating = |label: &str, sev: Severity| VendorSeverity {
            severity: sev,
            label: label.into(),
            kind: "Ubuntu priority".into(),
            source: "osv:USN-1-1".into(),
        };
        let mut e = entry("openssl", None);
        e.ecosystem = "Ubuntu:20.04:LTS".into();
        e.cves = Some(vec![EntryCve {
            id: "CVE-2023-0286".into(),
            cvss: vec![CvssScore {
                version: CvssVersion::V3_1,
                vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H".into(),
                base_score: 7.4,
                severity: Severity::High,
                published_score: None,
                source: "osv:USN-1-1".into(),
            }],
            vendor: vec![rating("high", Severity::High)],
        }]);
        let mut a = advisory(
            "USN-1-1",
            "osv/Ubuntu",
            vec![e.clone(), entry("curl", None)],
        );
        a.vendor_severity = vec![rating("negligible", Severity::Low)];
        let b = Builder::create(&old).unwrap();
        b.put_advisory(&a, b"", false).unwrap();
        b.commit().unwrap();
        let db = tmp.path().join("adv.db");
        let b = Builder::create(&db).unwrap();
        assert_eq!(b.carry_over(&old, "osv/Ubuntu").unwrap(), 1);
        b.commit().unwrap();
        for path in [&old, &db] {
            let s = Store::open(path).unwrap();
            let hits = s.lookup("Ubuntu:20.04:LTS", "openssl").unwrap();
            assert_eq!(hits[0].package.cves, e.cves);
            let hits = s.lookup_many("Ubuntu:20.04:LTS", &["openssl"]).unwrap();
            assert_eq!(hits[0].package.cves, e.cves);
            let got = s.advisory("USN-1-1").unwrap().unwrap();
            assert_eq!(got.affected[0].cves, e.cves);
            assert_eq!(got.affected[1].cves, None);
            assert_eq!(got.vendor_severity, a.vendor_severity);
            assert_eq!(
                s.vendor_severity_many(&["USN-1-1", "CVE-0"]).unwrap(),
                [("USN-1-1".to_string(), rating("negligible", Severity::Low))]
            );
        }
    }

    /// A schema-2 file (no `affected.informational`) is not read: the error says which
    /// version it is and what to run; the next import replaces it.
    #[test]
    fn an_older_schema_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("adv.db");
        build(&db);
        {
            let c = Connection::open(&db).unwrap();
            c.execute_batch(
                "ALTER TABLE affected DROP COLUMN informational;
                 UPDATE meta SET value = '2' WHERE key = 'schema_version';",
            )
            .unwrap();
        }
        let e = Store::open(&db).unwrap_err();
        assert!(matches!(e, StoreError::Schema { found: 2, .. }), "{e}");
        assert!(e.to_string().contains("caulk db import"), "{e}");
        build(&db);
        assert!(Store::open(&db).is_ok());
    }
}
