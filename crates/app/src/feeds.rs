//! The advisory database as a use case sees it: bring it up to date from a mirror directory
//! unless it was built from exactly those files, and describe it (path, import, feed ages)
//! for a report.

use crate::error::{Context, Error, Result};
use caulk_advisory_db::import;
use caulk_advisory_db::store::Store;
use caulk_feed_sync::sync::HostDistro;
use caulk_model::advisory::FeedStatus;
use caulk_model::finding::{
    DatabaseImport, DatabaseInfo, FeedAge, ImportAction, IssueStage, ScanIssue, ScanIssueKind,
};
use std::collections::BTreeMap;
use std::path::Path;

/// The database path: the one given, else `$XDG_DATA_HOME/caulk/advisories.db`, else
/// `~/.local/share/caulk/advisories.db`.
pub fn db_path(given: Option<&Path>) -> Result<std::path::PathBuf> {
    match given {
        Some(p) => Ok(p.to_path_buf()),
        None => caulk_advisory_db::default_db_path()
            .context("no --db given and neither XDG_DATA_HOME nor HOME is set"),
    }
}

/// Import the mirror `dir` into `db` unless the database was built from exactly these files
/// (the import records per feed the SHA-256 of its files, comma-joined in discovery order).
/// `notice` hears about an import before it starts (it takes a while); feeds the import could
/// not use become `issues` (their previous rows are kept).
pub fn import_unless_current(
    dir: &Path,
    db: &Path,
    issues: &mut Vec<ScanIssue>,
    notice: &dyn Fn(&str),
    observer: Option<std::sync::Arc<dyn import::Observer>>,
) -> Result<DatabaseImport> {
    if !dir.is_dir() {
        return Err(Error::msg(format!(
            "--feeds {}: not a directory",
            dir.display()
        )));
    }
    let files = import::discover(dir).with_context(|| format!("reading {}", dir.display()))?;
    if files.is_empty() {
        return Err(Error::msg(format!(
            "--feeds {}: no feed files (osv/<Ecosystem>/all.zip, kev/, epss/, nvd/)",
            dir.display()
        )));
    }
    let mirror = dir.display().to_string();
    if db.exists()
        && let Ok(store) = Store::open(db)
        && let Ok(feeds) = store.feeds()
    {
        let mut want: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for f in &files {
            want.entry(f.feed.as_str())
                .or_default()
                .push(import::sha256_file(&f.path).map_err(Error::wrap)?);
        }
        let have: BTreeMap<&str, Option<&str>> = feeds
            .iter()
            .map(|f| (f.feed.as_str(), f.sha256.as_deref()))
            .collect();
        let same = want.len() == have.len()
            && want
                .iter()
                .all(|(feed, d)| have.get(feed).copied().flatten() == Some(d.join(",").as_str()));
        if same {
            return Ok(DatabaseImport {
                mirror,
                action: ImportAction::Reused,
            });
        }
    }
    if let Some(parent) = db.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    notice(&format!(
        "importing {} into {}",
        dir.display(),
        db.display()
    ));
    let opts = import::Options {
        observer,
        ..import::Options::default()
    };
    let report = import::import_dir(dir, db, &opts)
        .with_context(|| format!("importing {} into {}", dir.display(), db.display()))?;
    for (feed, reason) in &report.failed {
        issues.push(ScanIssue {
            stage: IssueStage::Database,
            kind: ScanIssueKind::BadInput,
            file: Some(feed.clone()),
            record: None,
            reason: format!("not updated, previous data kept: {reason}"),
        });
    }
    Ok(DatabaseImport {
        mirror,
        action: ImportAction::Imported,
    })
}

/// The database as a report describes it: where, what the import did, each feed's age in
/// days on `today` — from the data's own date when it has one, else from when its file was
/// fetched.
pub fn database_info(
    db: &Path,
    import: Option<DatabaseImport>,
    feeds: &[FeedStatus],
    today: jiff::civil::Date,
) -> DatabaseInfo {
    DatabaseInfo {
        path: db.display().to_string(),
        import,
        feeds: feeds
            .iter()
            .map(|f| FeedAge {
                feed: f.feed.clone(),
                source: f.source.clone(),
                fetched_at: f.fetched_at.clone(),
                // The data's own date when it has one: a copy of an old file is old.
                age_days: f
                    .data_date
                    .map(|d| d.date())
                    .or_else(|| {
                        Some(
                            jiff::Timestamp::from_second(f.fetched_at_unix?)
                                .ok()?
                                .to_zoned(jiff::tz::TimeZone::UTC)
                                .date(),
                        )
                    })
                    .map(|day| (today - day).get_days() as i64),
                records: f.records,
                data_date: f.data_date,
            })
            .collect(),
    }
}

/// This host's distribution for feed selection, by the inventory's os-release rule (the one
/// `caulk inventory` and `caulk scan` use, so a CentOS host is `Red Hat` everywhere): the
/// os-release file given, else the live host's (`/etc/os-release`, `/usr/lib/os-release`,
/// then the per-distribution release files).
pub fn host_distro(os_release: Option<&Path>) -> HostDistro {
    use caulk_inventory::os;
    match os_release {
        Some(path) => match std::fs::read(path) {
            Ok(text) => {
                let (rel, _) = os::parse_os_release(&text, &path.display().to_string());
                HostDistro {
                    described: format!("{}: ID={}", path.display(), rel.get("ID").unwrap_or("")),
                    ecosystem: os::ecosystem_for(&rel),
                    unreadable: None,
                }
            }
            Err(e) => HostDistro {
                described: format!("{}: {e}", path.display()),
                ecosystem: None,
                unreadable: Some(format!("{}: {e}", path.display())),
            },
        },
        None => {
            let mut issues = Vec::new();
            let info = os::detect_os(&caulk_inventory::FsHost::live(), &mut issues);
            let id = info.as_ref().and_then(|i| i.id.clone()).unwrap_or_default();
            let files = info
                .as_ref()
                .map(|i| i.files.join(", "))
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| "/etc/os-release".into());
            // No OS facts at all: say what went wrong reading them.
            let unreadable = info
                .is_none()
                .then(|| issues.first().map(|i| format!("{}: {}", i.file, i.reason)))
                .flatten();
            HostDistro {
                described: format!("{files}: ID={id}"),
                ecosystem: info.and_then(|i| i.ecosystem),
                unreadable,
            }
        }
    }
}
