//! The scan use case: inventory a target, bring the advisory database up to date from a
//! mirror when asked, read the host's apt lists for installability, and assess — one code
//! path for `caulk scan` and, later, the server's per-host assessment.

use crate::apt_lists;
use crate::error::{Context, Result};
use crate::target::{self, TargetSpec};
use caulk_advisory_db::store::Store;
use caulk_assess::ScanOptions;
use caulk_model::finding::{
    Criticality, Decision, Exposure, FindingFilter, ScanReport, Severity, Status, TargetKind, Tool,
};
use caulk_model::inventory::Inventory;
use std::path::{Path, PathBuf};

/// Everything one scan needs to know.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    pub target: TargetSpec,
    /// The advisory database file.
    pub db: PathBuf,
    /// A mirror directory to import first (skipped when the database was built from it).
    pub feeds: Option<PathBuf>,
    /// Told how that import goes (progress bars).
    pub import_observer: Option<std::sync::Arc<dyn caulk_advisory_db::import::Observer>>,
    /// The configuration file (`None`: `./caulk.toml` when it exists).
    pub config: Option<PathBuf>,
    /// Asset facts given on the command line (over the configuration's).
    pub criticality: Option<Criticality>,
    pub exposure: Option<Exposure>,
    /// apt `Packages` lists for installability (`None`: the target root's, when it has any).
    pub apt_lists: Option<PathBuf>,
    /// Where the apt-list cache lives (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// The day priorities and due dates are computed for; `None`: today, and the report is
    /// stamped with the time.
    pub today: Option<jiff::civil::Date>,
    /// Findings to leave out of the report (`--severity`, `--ignore-unfixed`).
    pub filter: Option<FindingFilter>,
}

/// A scan's result, with the inventory it assessed.
#[derive(Debug)]
pub struct ScanOutcome {
    pub report: ScanReport,
    pub inventory: Inventory,
    /// Why the report cannot vouch for the target (see [`incomplete`]): an input that could
    /// not be read at all, advisories that could not be read, or nothing that could be
    /// checked. A caller must not call such a scan clean.
    pub incomplete: Vec<target::Unread>,
}

/// Run one scan. `notice` hears about slow steps before they start (a mirror import).
pub fn scan(req: &ScanRequest, notice: &dyn Fn(&str)) -> Result<ScanOutcome> {
    let (today, generated_at) = match req.today {
        Some(d) => (d, None),
        None => {
            let now = jiff::Timestamp::now();
            (
                now.to_zoned(jiff::tz::TimeZone::UTC).date(),
                Some(now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
            )
        }
    };

    // A typo in a target is an error before anything is read or written.
    target::preflight(&req.target)?;
    let loaded = crate::config::load(req.config.as_deref())?;
    let mut issues = loaded.issues.clone();

    let db = &req.db;
    let import = match &req.feeds {
        Some(dir) => Some(crate::feeds::import_unless_current(
            dir,
            db,
            &mut issues,
            notice,
            req.import_observer.clone(),
        )?),
        None => None,
    };
    let opened = Advisories::open(db, import)?;

    let collected = target::collect(&req.target)?;
    let unread = target::unread(&req.target, &collected.inventory);
    let mut inv = collected.inventory;
    inv.normalize();

    let lists = match &req.apt_lists {
        Some(d) => Some(apt_lists::ListsDir::given(d)?),
        // Lists found under the target root (the live host's is `/`) resolve inside it.
        None => req
            .target
            .root
            .as_deref()
            .or_else(|| (collected.kind == TargetKind::Host).then(|| Path::new("/")))
            .map(apt_lists::ListsDir::in_root)
            .filter(apt_lists::ListsDir::has_lists),
    };
    // Old lists make "not installable" mean "not known yet": say how old they are.
    if let Some(l) = &lists
        && let Some(published) = l.release_date()
    {
        let age = (today - published).get_days();
        let max = loaded.policy.max_feed_age_days;
        if i64::from(age) > max {
            issues.push(caulk_model::finding::ScanIssue {
                stage: caulk_model::finding::IssueStage::Installability,
                kind: caulk_model::finding::ScanIssueKind::Stale,
                file: Some(l.shown().display().to_string()),
                record: None,
                reason: format!(
                    "the apt lists were published {published} ({age} days before {today}, more than {max}): run `apt update`; what they call not installable may be available"
                ),
            });
        }
    }
    let apt = lists
        .map(|l| l.read(&inv, &mut issues, req.cache_dir.as_deref()))
        .transpose()?;

    let report = assess(
        &inv,
        &opened.store,
        &opened.facts,
        &Assess {
            loaded: &loaded,
            criticality: req.criticality,
            exposure: req.exposure,
            target_kind: collected.kind,
            target_path: collected.path,
            issues,
            apt: apt.as_ref(),
            today,
            generated_at,
            filter: req.filter.clone(),
        },
    )?;
    let incomplete = incomplete(unread, &report);
    Ok(ScanOutcome {
        report,
        inventory: inv,
        incomplete,
    })
}

/// An advisory database as an assessment describes it: its path, feeds, what the import
/// did and its generation. Cheap to clone and shareable between threads (the server keeps
/// one per database generation, beside a pool of connections).
#[derive(Debug, Clone)]
pub struct DatabaseFacts {
    pub path: PathBuf,
    pub feeds: Vec<caulk_model::advisory::FeedStatus>,
    pub import: Option<caulk_model::finding::DatabaseImport>,
    /// What identifies this database's content ([`generation_of`]): a new import is a new
    /// generation, and findings derived from another are stale.
    pub generation: String,
}

/// An advisory database opened for assessing: a connection and its facts.
#[derive(Debug)]
pub struct Advisories {
    pub store: Store,
    pub facts: DatabaseFacts,
}

impl Advisories {
    /// Open `db`, refusing a database without advisories (it would answer "clean" for
    /// everything).
    pub fn open(
        db: &Path,
        import: Option<caulk_model::finding::DatabaseImport>,
    ) -> Result<Advisories> {
        let store = Store::open(db).with_context(|| {
            format!(
                "opening the advisory database {} (build it with `caulk db import --source DIR` or `caulk scan --feeds DIR`)",
                db.display()
            )
        })?;
        let facts = DatabaseFacts::read(&store, db, import)?;
        Ok(Advisories { store, facts })
    }
}

impl DatabaseFacts {
    /// The facts of an open database, refusing one without advisories (it would answer
    /// "clean" for everything).
    pub fn read(
        store: &Store,
        db: &Path,
        import: Option<caulk_model::finding::DatabaseImport>,
    ) -> Result<DatabaseFacts> {
        let feeds = store
            .feeds()
            .with_context(|| format!("reading feed status of {}", db.display()))?;
        if !feeds.iter().any(|f| f.feed.starts_with("osv/")) {
            return Err(crate::Error::msg(format!(
                "the advisory database {} has no advisories (no osv/ feed): nothing can be checked; build it with `caulk db import --source DIR` or `caulk scan --feeds DIR`",
                db.display()
            )));
        }
        let generation = generation_of(store, db)?;
        Ok(DatabaseFacts {
            path: db.to_path_buf(),
            feeds,
            import,
            generation,
        })
    }
}

/// What identifies a database's content: its `generation` (unique per build), else, for a
/// database built before there was one, when it was built.
pub fn generation_of(store: &Store, db: &Path) -> Result<String> {
    let read = |k: &str| {
        store
            .meta(k)
            .with_context(|| format!("reading {}", db.display()))
    };
    Ok(match read("generation")? {
        Some(g) => g,
        None => read("built_at")?.unwrap_or_default(),
    })
}

/// What assessing one inventory needs besides the inventory and the database.
#[derive(Debug, Clone)]
pub struct Assess<'a> {
    pub loaded: &'a crate::config::Loaded,
    /// Asset facts given by the caller (the command line, the fleet's host profile), over
    /// the configuration's.
    pub criticality: Option<Criticality>,
    pub exposure: Option<Exposure>,
    pub target_kind: TargetKind,
    pub target_path: Option<String>,
    /// Issues met before (configuration, apt lists), carried into the report.
    pub issues: Vec<caulk_model::finding::ScanIssue>,
    pub apt: Option<&'a caulk_model::apt::AptIndex>,
    pub today: jiff::civil::Date,
    pub generated_at: Option<String>,
    pub filter: Option<FindingFilter>,
}

/// Assess an inventory against an opened database: the one code path from an inventory to
/// findings and remediations, for `caulk scan` and for the fleet server's hosts.
pub fn assess(
    inv: &Inventory,
    store: &Store,
    db: &DatabaseFacts,
    a: &Assess<'_>,
) -> Result<ScanReport> {
    assess_through(inv, store, store, db, a)
}

/// [`assess`] reading advisories through `src` (a [`caulk_assess::memo::Memoized`] view of
/// `store` shared by many assessments), inside one read transaction of `store`.
pub fn assess_through(
    inv: &Inventory,
    store: &Store,
    src: &dyn caulk_model::source::AdvisorySource,
    db: &DatabaseFacts,
    a: &Assess<'_>,
) -> Result<ScanReport> {
    Ok(assess_inner(inv, store, src, db, a, false)?.0)
}

/// [`assess_through`], and the digest of each package of `inv` (same order): what the fleet
/// tallies other hosts with the same packages from ([`crate::digests`]).
pub fn assess_digested(
    inv: &Inventory,
    store: &Store,
    src: &dyn caulk_model::source::AdvisorySource,
    db: &DatabaseFacts,
    a: &Assess<'_>,
) -> Result<(ScanReport, Vec<caulk_assess::digest::PackageDigest>)> {
    let (r, d) = assess_inner(inv, store, src, db, a, true)?;
    Ok((r, d.unwrap_or_default()))
}

fn assess_inner(
    inv: &Inventory,
    store: &Store,
    src: &dyn caulk_model::source::AdvisorySource,
    db: &DatabaseFacts,
    a: &Assess<'_>,
    digests: bool,
) -> Result<(ScanReport, Option<Vec<caulk_assess::digest::PackageDigest>>)> {
    let (context, context_source) =
        crate::config::asset_context(a.criticality, a.exposure, &a.loaded.config);
    let database = crate::feeds::database_info(&db.path, db.import.clone(), &db.feeds, a.today);
    let opts = ScanOptions {
        tool: Tool {
            name: "caulk".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        target_kind: a.target_kind,
        target_path: a.target_path.clone(),
        database,
        policy: &a.loaded.policy,
        context,
        context_source: context_source.into(),
        config_file: a.loaded.path.as_ref().map(|p| p.display().to_string()),
        exceptions: &a.loaded.config.exceptions,
        issues: a.issues.clone(),
        apt: a.apt,
        today: a.today,
        generated_at: a.generated_at.clone(),
        filter: a.filter.clone(),
    };
    let snapshot = store
        .read_snapshot()
        .with_context(|| format!("reading {}", db.path.display()))?;
    let out = if digests {
        let (r, d) = caulk_assess::scan_digested(inv, src, &opts);
        (r, Some(d))
    } else {
        (caulk_assess::scan(inv, src, &opts), None)
    };
    drop(snapshot);
    Ok(out)
}

/// Why a scan proves nothing about (part of) its target: `unread` (inputs that gave nothing,
/// [`target::unread`]), then what the report says went wrong on the way — advisories that
/// could not be read from the database, and a target of which not one package could be
/// checked (no packages found, or none in an ecosystem the database has advisories for).
pub fn incomplete(mut unread: Vec<target::Unread>, r: &ScanReport) -> Vec<target::Unread> {
    use caulk_model::finding::{IssueStage, ScanIssueKind};
    let db = &r.database.path;
    if let Some(i) = r
        .issues
        .iter()
        .find(|i| i.stage == IssueStage::Database && i.kind == ScanIssueKind::Unreadable)
    {
        let n = r
            .issues
            .iter()
            .filter(|i| i.stage == IssueStage::Database && i.kind == ScanIssueKind::Unreadable)
            .count();
        let more = if n > 1 {
            format!(" (and {} more read errors)", n - 1)
        } else {
            String::new()
        };
        unread.push(target::Unread {
            input: format!("the advisory database {db}"),
            reason: format!("advisories could not be read: {}{more}", i.reason),
        });
    }
    let packages = r.target.packages;
    // Read whole, and declaring nothing (an SBOM without components, an inventory of an
    // empty image) is an answer; a host or a source tree in which nothing was found is not.
    let may_be_empty = matches!(r.target.kind, TargetKind::Sbom | TargetKind::Inventory);
    if packages == 0 {
        // Already explained when an input was lost.
        if unread.is_empty() && !may_be_empty {
            unread.push(target::Unread {
                input: "the target".into(),
                reason: "no packages were found in it".into(),
            });
        }
    } else if r.summary.packages_not_checked >= packages {
        let names: Vec<&str> = r
            .target
            .ecosystems
            .iter()
            .map(|e| e.ecosystem.as_str())
            .collect();
        unread.push(target::Unread {
            input: format!("the advisory database {db}"),
            reason: format!(
                "not one of the target's {packages} packages could be checked ({}): see the issues",
                names.join(", ")
            ),
        });
    }
    unread
}

/// A `--fail-on` threshold: the least an active finding (not suppressed, not
/// `not-affected`) must be for the scan to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any active finding.
    Any,
    /// CVSS severity medium or above.
    Medium,
    /// CVSS severity high or critical.
    High,
    /// CVSS severity critical.
    Critical,
    /// The CVE is in CISA KEV.
    Kev,
    /// The decision is out-of-cycle or act-now.
    OutOfCycle,
    /// The decision is act-now.
    ActNow,
    /// The due date has passed.
    Overdue,
}

impl FailOn {
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Any => "any",
            FailOn::Medium => "medium",
            FailOn::High => "high",
            FailOn::Critical => "critical",
            FailOn::Kev => "kev",
            FailOn::OutOfCycle => "out-of-cycle",
            FailOn::ActNow => "act-now",
            FailOn::Overdue => "overdue",
        }
    }

    fn holds(self, f: &caulk_model::finding::Finding) -> bool {
        match self {
            FailOn::Any => true,
            FailOn::Medium => f.severity >= Severity::Medium,
            FailOn::High => f.severity >= Severity::High,
            FailOn::Critical => f.severity == Severity::Critical,
            FailOn::Kev => f.kev.is_some(),
            FailOn::OutOfCycle => f.priority.decision >= Decision::OutOfCycle,
            FailOn::ActNow => f.priority.decision == Decision::ActNow,
            FailOn::Overdue => f.priority.overdue,
        }
    }
}

/// The active findings (not suppressed, not `not-affected`) at or above `level`, in the
/// report's order (most urgent first).
pub fn failing(r: &ScanReport, level: FailOn) -> Vec<&caulk_model::finding::Finding> {
    r.findings
        .iter()
        .filter(|f| !f.is_suppressed() && f.status != Status::NotAffected)
        .filter(|f| level.holds(f))
        .collect()
}

/// Why `--fail-on level` failed, in one line: the first finding and how many there are.
pub fn failure_reason(r: &ScanReport, level: FailOn) -> Option<String> {
    let hits = failing(r, level);
    let f = hits.first()?;
    let what = match level {
        FailOn::Any => "a finding".to_string(),
        FailOn::Medium | FailOn::High | FailOn::Critical => {
            format!("severity {}", f.severity.as_str())
        }
        FailOn::Kev => "in CISA KEV".to_string(),
        FailOn::OutOfCycle | FailOn::ActNow => {
            format!("decision {}", f.priority.decision.as_str())
        }
        FailOn::Overdue => match f.priority.due_date {
            Some(d) => format!("overdue since {d}"),
            None => "overdue".to_string(),
        },
    };
    let more = match hits.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more finding)".to_string(),
        n => format!(" (and {n} more findings)"),
    };
    Some(format!(
        "--fail-on {}: {} in {} {}: {what}{more}",
        level.as_str(),
        f.vulnerability.id,
        f.package.name,
        f.package.version
    ))
}

/// The default location of the apt-list cache (`$CAULK_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/caulk`, else `~/.cache/caulk`).
pub fn default_cache_dir() -> Option<PathBuf> {
    apt_lists::default_cache_dir()
}
