//! `caulk scan`: inventory a target, bring the advisory database up to date from a mirror
//! when asked, assess, and print the remediations. Wiring only: the work is in
//! `caulk-inventory`, `caulk-advisory` and `caulk-assess`.

use crate::{apt_lists, table_fit};
use anyhow::{Context, Result, bail};
use caulk_advisory_db::store::Store;
use caulk_assess::{AssetContext, Config, Policy, ScanOptions};
use caulk_inventory::{FsHost, HostAccess, Limits};
use caulk_model::finding::{
    Criticality, DatabaseImport, DatabaseInfo, Decision, Exposure, FeedAge, Finding, ImportAction,
    IssueStage, ScanIssue, ScanIssueKind, ScanReport, Severity, Status, SuppressionState,
    TargetKind, Tool,
};
use caulk_model::inventory::Inventory;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Remediations ranked by risk removed, unfixed findings, suppressed, issues.
    Table,
    /// The scan report (docs/scan-format.md).
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards (docs/report-formats.md).
    Sarif,
    /// One row per finding, with a header.
    Csv,
    /// CycloneDX 1.6 VEX.
    Cyclonedx,
    /// OpenVEX 0.2.0 statements (exceptions become not_affected).
    Openvex,
    /// A human report: summary, ranked remediations, unfixed, suppressed.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// A finding with CVSS severity critical.
    Critical,
    /// A finding with CVSS severity high or critical.
    High,
    /// A finding whose CVE is in CISA KEV.
    Kev,
    /// A finding whose decision is act-now.
    ActNow,
}

/// Assess a host, image, inventory, SBOM or source tree against the advisory database.
///
/// Without a target option the live host `/` is scanned. Exit status: 0 clean (or nothing at
/// or above `--fail-on`), 1 when `--fail-on` triggers (suppressed findings never do), 2 on
/// errors.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Root directory of the host, mounted image or chroot to scan.
    #[arg(long, value_name = "DIR", conflicts_with = "inventory")]
    root: Option<PathBuf>,
    /// An inventory JSON file written by `caulk inventory`.
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,
    /// SBOM file: CycloneDX JSON/XML or SPDX JSON/tag-value (repeatable).
    #[arg(long = "sbom", value_name = "FILE", conflicts_with = "inventory")]
    sboms: Vec<PathBuf>,
    /// Directory to search for lockfiles (repeatable).
    #[arg(long = "path", value_name = "DIR", conflicts_with = "inventory")]
    paths: Vec<PathBuf>,
    /// The advisory database [default: $XDG_DATA_HOME/caulk/advisories.db].
    #[arg(long, env = "CAULK_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Import this feed mirror into the database first (skipped when the mirror's files
    /// are the ones the database was built from).
    #[arg(long, value_name = "DIR")]
    feeds: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// List the findings under each remediation.
    #[arg(long)]
    details: bool,
    /// Exit 1 when an active finding is at or above this.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Asset criticality [default: caulk.toml, else medium].
    #[arg(long, value_enum)]
    criticality: Option<CriticalityArg>,
    /// Asset exposure [default: caulk.toml, else internal].
    #[arg(long, value_enum)]
    exposure: Option<ExposureArg>,
    /// Configuration: asset context, policy overrides, exceptions [default: ./caulk.toml
    /// when it exists].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory of apt `Packages` indexes (plain, .xz, .gz or .lz4) to check installability
    /// [default: the root's var/lib/apt/lists when it has any].
    #[arg(long, value_name = "DIR")]
    apt_lists: Option<PathBuf>,
    /// Read the apt lists whole instead of through the cache of what they say about the
    /// installed packages (`$CAULK_CACHE_DIR`, else `$XDG_CACHE_HOME/caulk`, else
    /// `~/.cache/caulk`; keyed by each list's size, times and inode).
    #[arg(long)]
    no_cache: bool,
    /// Compute priorities and due dates for this day (YYYY-MM-DD) instead of today; the
    /// report then has no timestamp, so it is byte-for-byte reproducible.
    #[arg(long, value_name = "DATE", hide = true)]
    today: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CriticalityArg {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExposureArg {
    Internet,
    Internal,
    Isolated,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (today, generated_at) = match &args.today {
        Some(d) => (
            d.parse::<jiff::civil::Date>()
                .with_context(|| format!("--today {d:?}: expected YYYY-MM-DD"))?,
            None,
        ),
        None => {
            let now = jiff::Timestamp::now();
            (
                now.to_zoned(jiff::tz::TimeZone::UTC).date(),
                Some(now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
            )
        }
    };
    let mut issues = Vec::new();

    // Configuration.
    let config_path = match &args.config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from("caulk.toml")).filter(|p| p.is_file()),
    };
    let config = match &config_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading configuration {}", p.display()))?;
            let c = Config::parse(&text, &p.display().to_string())?;
            issues.extend(c.issues.iter().cloned());
            c
        }
        None => Config::default(),
    };
    let policy = Policy::from_toml(
        caulk_assess::priority::DEFAULT_POLICY,
        config.policy.as_ref(),
        &config_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "built-in policy".into()),
    )?;
    let criticality = args.criticality.map(|c| match c {
        CriticalityArg::Low => Criticality::Low,
        CriticalityArg::Medium => Criticality::Medium,
        CriticalityArg::High => Criticality::High,
        CriticalityArg::Critical => Criticality::Critical,
    });
    let exposure = args.exposure.map(|e| match e {
        ExposureArg::Internet => Exposure::Internet,
        ExposureArg::Internal => Exposure::Internal,
        ExposureArg::Isolated => Exposure::Isolated,
    });
    let context_source = if criticality.is_some() || exposure.is_some() {
        "cli"
    } else if config.criticality.is_some() || config.exposure.is_some() {
        "config"
    } else {
        "default"
    };
    let context = AssetContext {
        criticality: criticality.or(config.criticality).unwrap_or_default(),
        exposure: exposure.or(config.exposure).unwrap_or_default(),
    };

    // Database.
    let db = match &args.db {
        Some(p) => p.clone(),
        None => caulk_advisory_db::default_db_path()
            .context("no --db given and neither XDG_DATA_HOME nor HOME is set")?,
    };
    let import = match &args.feeds {
        Some(dir) => Some(sync_feeds(dir, &db, &mut issues)?),
        None => None,
    };
    let store = Store::open(&db).with_context(|| {
        format!(
            "opening the advisory database {} (build it with `caulk db import --source DIR` or `caulk scan --feeds DIR`)",
            db.display()
        )
    })?;
    let feeds = store
        .feeds()
        .with_context(|| format!("reading feed status of {}", db.display()))?;
    let database = DatabaseInfo {
        path: db.display().to_string(),
        import,
        feeds: feeds
            .iter()
            .map(|f| FeedAge {
                feed: f.feed.clone(),
                source: f.source.clone(),
                fetched_at: f.fetched_at.clone(),
                age_days: f.fetched_at_unix.and_then(|t| {
                    let day = jiff::Timestamp::from_second(t)
                        .ok()?
                        .to_zoned(jiff::tz::TimeZone::UTC)
                        .date();
                    Some((today - day).get_days() as i64)
                }),
                records: f.records,
            })
            .collect(),
    };

    // Inventory.
    let (inv, kind, path) = collect_inventory(&args)?;

    // Installability.
    let lists_dir = match &args.apt_lists {
        Some(d) => Some(d.clone()),
        None => args
            .root
            .as_ref()
            .map(|r| r.join("var/lib/apt/lists"))
            .or_else(|| (kind == TargetKind::Host).then(|| PathBuf::from("/var/lib/apt/lists")))
            .filter(|d| apt_lists::has_packages_files(d)),
    };
    let apt = match &lists_dir {
        Some(d) => {
            let cache = (!args.no_cache)
                .then(apt_lists::default_cache_dir)
                .flatten();
            // Lists found under `--root` resolve inside it; `--apt-lists` is taken as given.
            let root = args
                .apt_lists
                .is_none()
                .then_some(args.root.as_deref())
                .flatten();
            Some(apt_lists::read_apt_lists(
                d,
                root,
                &inv,
                &mut issues,
                cache.as_deref(),
            )?)
        }
        None => None,
    };

    let opts = ScanOptions {
        tool: Tool {
            name: "caulk".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        target_kind: kind,
        target_path: path,
        database,
        policy: &policy,
        context,
        context_source: context_source.into(),
        config_file: config_path.map(|p| p.display().to_string()),
        exceptions: &config.exceptions,
        issues,
        apt: apt.as_ref(),
        today,
        generated_at,
    };
    let snapshot = store
        .read_snapshot()
        .with_context(|| format!("reading {}", db.display()))?;
    let report = caulk_assess::scan(&inv, &store, &opts);
    drop(snapshot);

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written: std::io::Result<()> = (|| {
        match args.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            }
            Format::Table => render_table(&report, args.details, &mut out)?,
            Format::Sarif
            | Format::Csv
            | Format::Cyclonedx
            | Format::Openvex
            | Format::Markdown => {
                let format = match args.format {
                    Format::Sarif => caulk_report::Format::Sarif,
                    Format::Csv => caulk_report::Format::Csv,
                    Format::Cyclonedx => caulk_report::Format::CycloneDx,
                    Format::Openvex => caulk_report::Format::OpenVex,
                    Format::Markdown | Format::Table | Format::Json => {
                        caulk_report::Format::Markdown
                    }
                };
                let opts = caulk_report::RenderOptions {
                    details: args.details,
                    ..Default::default()
                };
                let text = caulk_report::render(&report, format, &opts)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                out.write_all(text.as_bytes())?;
            }
        }
        out.flush()
    })();
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.context("writing stdout")?,
    }
    let code = match args.fail_on {
        Some(level) if fails(&report, level) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    };
    // The process ends here: freeing a host scan's ~100,000 allocations one by one took ~8 %
    // of its time (BENCHMARKS.md, "scan"); the operating system takes the memory back at once.
    std::mem::forget(report);
    std::mem::forget(inv);
    Ok(code)
}

/// Whether an active finding is at or above `level`.
fn fails(r: &ScanReport, level: FailOn) -> bool {
    r.findings
        .iter()
        .filter(|f| !f.is_suppressed() && f.status != Status::NotAffected)
        .any(|f| match level {
            FailOn::Critical => f.severity == Severity::Critical,
            FailOn::High => f.severity >= Severity::High,
            FailOn::Kev => f.kev.is_some(),
            FailOn::ActNow => f.priority.decision == Decision::ActNow,
        })
}

/// Import the mirror unless the database was built from exactly these files.
fn sync_feeds(dir: &Path, db: &Path, issues: &mut Vec<ScanIssue>) -> Result<DatabaseImport> {
    use caulk_advisory_db::import;
    if !dir.is_dir() {
        bail!("--feeds {}: not a directory", dir.display());
    }
    let files = import::discover(dir).with_context(|| format!("reading {}", dir.display()))?;
    if files.is_empty() {
        bail!(
            "--feeds {}: no feed files (osv/<Ecosystem>/all.zip, kev/, epss/, nvd/)",
            dir.display()
        );
    }
    let mirror = dir.display().to_string();
    if db.exists()
        && let Ok(store) = Store::open(db)
        && let Ok(feeds) = store.feeds()
    {
        // The import records per feed the SHA-256 of its files, comma-joined in discovery
        // order.
        let mut want: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for f in &files {
            want.entry(f.feed.as_str())
                .or_default()
                .push(import::sha256_file(&f.path)?);
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
    eprintln!("caulk: importing {} into {}", dir.display(), db.display());
    let report = import::import_dir(dir, db, &import::Options::default())
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

fn absolute(p: &Path) -> Result<String> {
    let abs = std::path::absolute(p).with_context(|| format!("{}", p.display()))?;
    abs.to_str()
        .map(str::to_string)
        .with_context(|| format!("{}: path is not UTF-8", p.display()))
}

fn collect_inventory(args: &Args) -> Result<(Inventory, TargetKind, Option<String>)> {
    let limits = Limits::default();
    if let Some(file) = &args.inventory {
        // Bounded and regular files only, as every other input.
        let abs = absolute(file)?;
        let text = FsHost::new("/")
            .read(&abs, limits.max_text_bytes)
            .with_context(|| format!("reading {}", file.display()))?
            .with_context(|| format!("reading {}: no such file", file.display()))?;
        let inv: Inventory = serde_json::from_slice(&text)
            .with_context(|| format!("{}: not an inventory JSON document", file.display()))?;
        if !inv.format_supported() {
            bail!(
                "{}: inventory format_version {} is not supported (this caulk reads {})",
                file.display(),
                inv.format_version,
                caulk_model::inventory::FORMAT_VERSION
            );
        }
        return Ok((inv, TargetKind::Inventory, Some(file.display().to_string())));
    }
    let read_host = args.root.is_some() || (args.paths.is_empty() && args.sboms.is_empty());
    let mut kind = TargetKind::Host;
    let mut path = None;
    let mut inv = if read_host {
        let root = args.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let canon = root
            .canonicalize()
            .with_context(|| format!("--root {}", root.display()))?;
        let host = if canon == Path::new("/") {
            FsHost::live()
        } else {
            kind = TargetKind::Root;
            path = Some(root.display().to_string());
            FsHost::new(canon)
        };
        caulk_inventory::inventory_host(&host, &limits)
    } else {
        Inventory::default()
    };
    let local = FsHost::new("/");
    for p in &args.paths {
        let abs = absolute(p)?;
        caulk_inventory::scan_path(&local, &abs, &limits, &mut inv);
        if !read_host {
            kind = TargetKind::Path;
            path.get_or_insert_with(|| p.display().to_string());
        }
    }
    for s in &args.sboms {
        let abs = absolute(s)?;
        caulk_inventory::read_sbom(&local, &abs, &limits, &mut inv);
        if !read_host && args.paths.is_empty() {
            kind = TargetKind::Sbom;
            path.get_or_insert_with(|| s.display().to_string());
        }
    }
    inv.normalize();
    Ok((inv, kind, path))
}

// ---------------------------------------------------------------------------------------
// Table output.

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The terminal's width when stdout is one, else `$COLUMNS`, else 120: piped output (and
/// every test) does not depend on the terminal the command was started from.
fn terminal_width() -> u16 {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal()
        && let Some(w) = comfy_table::Table::new().width()
    {
        return w;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(120)
}

/// Write a table fitted to the terminal (see [`table_fit`]), and the line naming the
/// columns it had to hide.
fn write_fitted(
    out: &mut dyn Write,
    cols: &[table_fit::Column],
    rows: Vec<Vec<String>>,
) -> std::io::Result<()> {
    let width = terminal_width();
    let f = table_fit::fit(cols, rows, width);
    writeln!(out, "{}", f.table)?;
    if let Some(note) = f.hidden_note(width) {
        writeln!(out, "{note}")?;
    }
    Ok(())
}

fn short_list(items: &[String], max: usize) -> String {
    let mut s: Vec<String> = items.iter().take(max).cloned().collect();
    if items.len() > max {
        s.push(format!("+{}", items.len() - max));
    }
    s.join(", ")
}

fn render_table(r: &ScanReport, details: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let os = r.target.host.os.as_ref();
    let mut head = vec![format!(
        "caulk scan of {}",
        r.target.path.as_deref().unwrap_or("this host")
    )];
    if let Some(p) = os.and_then(|o| o.pretty_name.clone()) {
        head.push(p);
    }
    if let Some(e) = os.and_then(|o| o.ecosystem.clone()) {
        head.push(e);
    }
    head.push(format!("{} packages", r.target.packages));
    let width = terminal_width();
    writeln!(out, "{}", table_fit::wrap_parts(&head, " · ", width))?;
    let feeds: Vec<String> = r
        .database
        .feeds
        .iter()
        .map(|f| match f.age_days {
            Some(d) => format!("{} ({d} d)", f.feed),
            None => f.feed.clone(),
        })
        .collect();
    let import = match &r.database.import {
        Some(i) if i.action == ImportAction::Reused => " (mirror unchanged, reused)",
        Some(_) => " (imported from the mirror)",
        None => "",
    };
    let mut db = vec![format!("database: {}{import}:", r.database.path)];
    db.extend(feeds);
    // "database: PATH: feed, feed, …": the first feed follows the path on its line.
    let db_line = match db.split_first_mut() {
        Some((path, rest)) if !rest.is_empty() => {
            let first = format!("{path} {}", rest[0]);
            let mut parts = vec![first];
            parts.extend(rest[1..].iter().cloned());
            table_fit::wrap_parts(&parts, ", ", width)
        }
        _ => db.join(" "),
    };
    writeln!(out, "{db_line}")?;
    let policy = [
        format!("policy: {}", r.policy.decision_table),
        format!("criticality {}", r.policy.criticality.as_str()),
        format!(
            "exposure {} ({})",
            r.policy.exposure.as_str(),
            r.policy.context_source
        ),
        format!("SLA clock {}", r.policy.sla_clock.as_str()),
        format!("as of {}", r.today),
    ];
    writeln!(out, "{}", table_fit::wrap_parts(&policy, " · ", width))?;
    let s = &r.summary;
    let counts = [
        format!(
            "findings: {} ({} vulnerabilities) in {} packages",
            s.findings, s.vulnerabilities, s.packages_affected
        ),
        format!("fixed {}", s.by_status.fixed),
        format!("unfixed {}", s.by_status.unfixed),
        format!("act-now {}", s.by_decision.act_now),
        format!("out-of-cycle {}", s.by_decision.out_of_cycle),
        format!("scheduled {}", s.by_decision.scheduled),
        format!("defer {}", s.by_decision.defer),
        format!("KEV {}", s.kev),
        format!("overdue {}", s.overdue),
        format!("suppressed {}", s.suppressed),
    ];
    writeln!(out, "{}", table_fit::wrap_parts(&counts, " · ", width))?;
    // Findings from informational advisories (RustSec unmaintained, unsound, notice): said
    // apart, as cargo-audit does with its warnings; no line when there are none.
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for f in r.findings.iter().filter(|f| !f.is_suppressed()) {
        if let Some(k) = f.informational.as_deref() {
            *kinds.entry(k).or_default() += 1;
        }
    }
    if !kinds.is_empty() {
        let per: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(
            out,
            "informational: {} from advisories that report no vulnerability ({}); cargo-audit shows these as warnings",
            plural(kinds.values().sum(), "finding", "findings"),
            per.join(", ")
        )?;
    }

    writeln!(out)?;
    if r.remediations.is_empty() {
        writeln!(out, "Remediations: none")?;
    } else {
        writeln!(
            out,
            "Remediations ({}, ranked by risk removed{})",
            r.remediations.len(),
            if s.installability_checked {
                format!("; {} installable now", s.remediations_installable)
            } else {
                String::new()
            }
        )?;
        use table_fit::{droppable, keep};
        // Hidden in this order when the terminal is too narrow.
        let mut cols = vec![
            droppable("#", 6),
            keep("upgrade"),
            droppable("binaries", 1),
            keep("installed → target"),
            droppable("fixes", 5),
            droppable("KEV", 3),
            droppable("max CVSS", 4),
            keep("decision"),
            droppable("due", 7),
            droppable("risk", 2),
        ];
        if s.installability_checked {
            cols.push(keep("installable"));
        }
        // The host's own ecosystem goes without saying; others are named.
        let host_eco = os.and_then(|o| o.ecosystem.clone());
        let mut rows = Vec::new();
        for (i, m) in r.remediations.iter().enumerate() {
            let mut row = vec![
                (i + 1).to_string(),
                if Some(&m.ecosystem) == host_eco.as_ref() {
                    m.package.clone()
                } else {
                    format!("{} ({})", m.package, m.ecosystem)
                },
                short_list(&m.binaries, 3),
                format!("{} → {}", m.installed_version, m.target_version),
                m.vulnerabilities.len().to_string(),
                m.kev_count.to_string(),
                m.max_cvss
                    .map(|c| format!("{c:.1}"))
                    .unwrap_or_else(|| "-".into()),
                m.decision.as_str().to_string(),
                m.due_date.clone().unwrap_or_else(|| "-".into()),
                format!("{:.1}", m.risk_removed),
            ];
            if s.installability_checked {
                row.push(match &m.installable {
                    Some(x) => format!("{} ({})", x.version, x.origin),
                    None => "no".into(),
                });
            }
            rows.push(row);
        }
        write_fitted(out, &cols, rows)?;
    }

    if details {
        for m in &r.remediations {
            writeln!(out)?;
            writeln!(
                out,
                "{}: {} {} → {} fixes {}",
                m.id,
                m.package,
                m.installed_version,
                m.target_version,
                plural(m.vulnerabilities.len(), "vulnerability", "vulnerabilities")
            )?;
            let fs: Vec<&Finding> = r
                .findings
                .iter()
                .filter(|f| f.remediation.as_deref() == Some(m.id.as_str()))
                .collect();
            findings_table(out, &fs, true)?;
        }
    }

    let unfixed: Vec<&Finding> = r.findings.iter().filter(|f| f.has_no_fix()).collect();
    writeln!(out)?;
    if unfixed.is_empty() {
        writeln!(out, "Unfixed: none")?;
    } else {
        writeln!(
            out,
            "Unfixed: no fix known yet ({})",
            plural(unfixed.len(), "finding", "findings")
        )?;
        findings_table(out, &unfixed, false)?;
    }

    let suppressed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.suppression.is_some())
        .collect();
    if !suppressed.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Exceptions: {} suppressed, {} expired (active again)",
            r.suppressed.total, r.suppressed.expired
        )?;
        use table_fit::keep;
        let cols = [
            keep("vulnerability"),
            keep("package"),
            keep("state"),
            keep("reason"),
            keep("owner"),
            keep("expires"),
        ];
        let mut rows = Vec::new();
        for f in suppressed {
            let Some(x) = &f.suppression else { continue };
            rows.push(vec![
                f.vulnerability.id.clone(),
                format!("{} {}", f.package.name, f.package.version),
                match x.state {
                    SuppressionState::Suppressed => "suppressed".to_string(),
                    SuppressionState::Expired => x.note.clone().unwrap_or_else(|| "expired".into()),
                },
                x.reason.clone(),
                x.owner.clone().unwrap_or_default(),
                x.expires.clone().unwrap_or_else(|| "never".into()),
            ]);
        }
        write_fitted(out, &cols, rows)?;
    }

    if !r.issues.is_empty() {
        writeln!(out)?;
        writeln!(out, "Issues ({}; the scan went on):", r.issues.len())?;
        const SHOWN: usize = 20;
        for i in r.issues.iter().take(SHOWN) {
            let at = match (&i.file, &i.record) {
                (Some(f), Some(rec)) => format!("{f} [{rec}]: "),
                (Some(f), None) => format!("{f}: "),
                (None, Some(rec)) => format!("[{rec}]: "),
                (None, None) => String::new(),
            };
            writeln!(out, "  {at}{}", i.reason)?;
        }
        if r.issues.len() > SHOWN {
            writeln!(out, "  … {} more in --format json", r.issues.len() - SHOWN)?;
        }
    }
    Ok(())
}

/// One row per (vulnerability, package-to-upgrade): binaries of one source are collapsed.
fn findings_table(out: &mut dyn Write, fs: &[&Finding], fixed: bool) -> std::io::Result<()> {
    let mut rows: BTreeMap<(usize, String, String), (Vec<String>, &Finding)> = BTreeMap::new();
    let mut first: std::collections::HashMap<(String, String), usize> = Default::default();
    for (order, f) in fs.iter().enumerate() {
        let pkg = f
            .package
            .source_name
            .clone()
            .unwrap_or_else(|| f.package.name.clone());
        let key = (f.vulnerability.id.clone(), pkg);
        // Rows keep the position of the key's first (most urgent) finding.
        let pos = *first.entry(key.clone()).or_insert(order);
        rows.entry((pos, key.0, key.1))
            .or_insert_with(|| (Vec::new(), f))
            .0
            .push(f.package.name.clone());
    }
    use table_fit::{droppable, keep};
    // Hidden in this order when the terminal is too narrow.
    let cols: &[table_fit::Column] = if fixed {
        &[
            keep("vulnerability"),
            droppable("severity", 5),
            droppable("KEV", 3),
            droppable("EPSS", 4),
            keep("decision"),
            droppable("due", 6),
            keep("fixed in"),
            droppable("advisories", 2),
            droppable("binaries", 1),
        ]
    } else {
        &[
            keep("vulnerability"),
            keep("package"),
            droppable("status", 3),
            droppable("severity", 5),
            droppable("KEV", 2),
            keep("decision"),
            droppable("due", 4),
            droppable("advisories", 1),
        ]
    };
    let mut table_rows = Vec::new();
    for ((_, vuln, pkg), (mut bins, f)) in rows {
        bins.sort();
        bins.dedup();
        let sev = match &f.cvss {
            Some(c) => format!("{} {:.1}", f.severity.as_str(), c.score),
            None => "unknown".into(),
        };
        let kev = if f.kev.is_some() { "yes" } else { "" }.to_string();
        let due = match (&f.priority.due_date, f.priority.overdue) {
            (Some(d), true) => format!("{d} (overdue)"),
            (Some(d), false) => d.clone(),
            (None, _) => "-".into(),
        };
        let advisories = short_list(&f.advisory_ids, 2);
        // An informational advisory is not a vulnerability: its kind goes under the id.
        let vuln = match &f.informational {
            Some(k) => format!("{vuln}\ninformational: {k}"),
            None => vuln,
        };
        if fixed {
            table_rows.push(vec![
                vuln,
                sev,
                kev,
                f.epss
                    .as_ref()
                    .map(|e| format!("{:.3}", e.score))
                    .unwrap_or_default(),
                f.priority.decision.as_str().to_string(),
                due,
                f.fixed_version.as_deref().unwrap_or_default().to_string(),
                advisories,
                short_list(&bins, 3),
            ]);
        } else {
            table_rows.push(vec![
                vuln,
                format!(
                    "{pkg} {}",
                    f.package
                        .source_version
                        .as_deref()
                        .unwrap_or(&f.package.version)
                ),
                f.status.as_str().to_string(),
                sev,
                kev,
                f.priority.decision.as_str().to_string(),
                due,
                advisories,
            ]);
        }
    }
    write_fitted(out, cols, table_rows)
}
