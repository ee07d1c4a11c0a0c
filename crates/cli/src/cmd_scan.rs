//! `caulk scan`: arguments in, [`caulk_app::scan`] run, the report printed in the format
//! asked for, the exit status from `--fail-on`. Wiring only.

use anyhow::{Context, Result};
use caulk_app::scan::{ScanRequest, failure_reason};
use caulk_app::target::TargetSpec;
use caulk_model::finding::{Criticality, Exposure};
use caulk_model::finding::{FindingFilter, Severity};
use std::io::IsTerminal;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Remediations ranked by decision, then risk removed, unfixed findings, suppressed, issues.
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
    /// Any active finding.
    Any,
    /// A finding with CVSS severity medium or above.
    Medium,
    /// A finding with CVSS severity high or critical.
    High,
    /// A finding with CVSS severity critical.
    Critical,
    /// A finding whose CVE is in CISA KEV.
    Kev,
    /// A finding whose decision is out-of-cycle or act-now.
    OutOfCycle,
    /// A finding whose decision is act-now.
    ActNow,
    /// A finding whose due date has passed.
    Overdue,
}

/// Assess a host, image, inventory, SBOM or source tree against the advisory database.
///
/// Without a target option the live host `/` is scanned. Exit status: 0 clean (or nothing at
/// or above `--fail-on`), 1 when `--fail-on` triggers (suppressed findings never do), 2 on
/// errors — a named input that does not exist, a database without advisories — and when an
/// input gave nothing to check (a truncated or foreign SBOM, a malformed lockfile, a root with
/// no OS and no package database): the report is still written, and says why.
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
    /// Exit 1 when an active finding is at or above this (among the findings the filters
    /// below keep).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Keep only findings of these severities (comma-separated); the report says how many
    /// were left out.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SEVERITY,...")]
    severity: Vec<SeverityArg>,
    /// Leave out findings that have no fix (unfixed, will-not-fix).
    #[arg(long)]
    ignore_unfixed: bool,
    /// Write the report to this file instead of stdout (replaced whole, never left half
    /// written).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Colour in the table: `auto` when stdout is a terminal and NO_COLOR is not set.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
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
enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    /// CVSS 0.0.
    None,
    /// Nothing rates it: no CVSS score, no vendor rating.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

impl ColorArg {
    /// Whether to colour output going to a terminal (`to_terminal`): `auto` colours only
    /// there, and never when `NO_COLOR` is set to anything non-empty (no-color.org) or
    /// `TERM=dumb`.
    pub fn enabled(self, to_terminal: bool) -> bool {
        match self {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                to_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
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
    let today = match &args.today {
        Some(d) => Some(
            d.parse::<jiff::civil::Date>()
                .with_context(|| format!("--today {d:?}: expected YYYY-MM-DD"))?,
        ),
        None => None,
    };
    let req = ScanRequest {
        target: TargetSpec {
            root: args.root.clone(),
            paths: args.paths.clone(),
            sboms: args.sboms.clone(),
            inventory: args.inventory.clone(),
        },
        db: caulk_app::feeds::db_path(args.db.as_deref())?,
        feeds: args.feeds.clone(),
        config: args.config.clone(),
        criticality: args.criticality.map(|c| match c {
            CriticalityArg::Low => Criticality::Low,
            CriticalityArg::Medium => Criticality::Medium,
            CriticalityArg::High => Criticality::High,
            CriticalityArg::Critical => Criticality::Critical,
        }),
        exposure: args.exposure.map(|e| match e {
            ExposureArg::Internet => Exposure::Internet,
            ExposureArg::Internal => Exposure::Internal,
            ExposureArg::Isolated => Exposure::Isolated,
        }),
        apt_lists: args.apt_lists.clone(),
        cache_dir: (!args.no_cache)
            .then(caulk_app::scan::default_cache_dir)
            .flatten(),
        today,
        filter: (!args.severity.is_empty() || args.ignore_unfixed).then(|| FindingFilter {
            severities: (!args.severity.is_empty()).then(|| {
                args.severity
                    .iter()
                    .map(|s| match s {
                        SeverityArg::Critical => Severity::Critical,
                        SeverityArg::High => Severity::High,
                        SeverityArg::Medium => Severity::Medium,
                        SeverityArg::Low => Severity::Low,
                        SeverityArg::None => Severity::None,
                        SeverityArg::Unknown => Severity::Unknown,
                    })
                    .collect()
            }),
            ignore_unfixed: args.ignore_unfixed,
        }),
        import_observer: Some(crate::progress::Reporter::for_import()),
    };
    let outcome = caulk_app::scan::scan(&req, &|m| eprintln!("caulk: {m}"))?;
    let report = outcome.report;

    let stdout = std::io::stdout();
    let to_terminal = args.output.is_none() && stdout.is_terminal();
    let colour = args.color.enabled(to_terminal);
    let mut sink = crate::output::Sink::open(args.output.as_deref())?;
    let mut out = std::io::BufWriter::new(&mut sink);
    let written: std::io::Result<()> = (|| {
        match args.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            }
            Format::Table => {
                let text =
                    caulk_report::table::scan(&report, args.details, crate::terminal_width());
                let text = if colour {
                    caulk_report::table::colour(&text)
                } else {
                    text
                };
                out.write_all(text.as_bytes())?
            }
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
    drop(out);
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.with_context(|| sink.describe())?,
    }
    sink.commit()?;
    // An input that could not be read, advisories that could not be read, or nothing
    // checkable make the scan no proof of anything: said on stderr, and exit 2 whatever
    // `--fail-on` says (the report above still shows what was read).
    for u in &outcome.incomplete {
        eprintln!("caulk: {} gave nothing to check: {}", u.input, u.reason);
    }
    // The report's issues are at the end of stdout, where a pipeline may not look: packages
    // left unchecked and old feeds are said here too, in a line each.
    use caulk_model::finding::{IssueStage, ScanIssueKind};
    let db_issues = |k: ScanIssueKind| {
        report
            .issues
            .iter()
            .filter(move |i| i.stage == IssueStage::Database && i.kind == k)
    };
    for i in db_issues(ScanIssueKind::Unsupported) {
        eprintln!("caulk: warning: {}", i.reason);
    }
    let stale: Vec<String> = db_issues(ScanIssueKind::Stale)
        .filter_map(|i| {
            let feed = i.record.as_deref()?;
            let age = report
                .database
                .feeds
                .iter()
                .find(|f| f.feed == feed)?
                .age_days?;
            Some(format!("{feed} {age} d"))
        })
        .collect();
    if !stale.is_empty() {
        eprintln!(
            "caulk: warning: old feed data ({}): newer advisories are missing",
            stale.join(", ")
        );
    }
    let code = if !outcome.incomplete.is_empty() {
        eprintln!(
            "caulk: the scan is incomplete: {} input(s) gave nothing to check",
            outcome.incomplete.len()
        );
        ExitCode::from(2)
    } else {
        match args.fail_on.and_then(|l| failure_reason(&report, l.into())) {
            Some(why) => {
                eprintln!("caulk: {why}");
                ExitCode::from(1)
            }
            None => ExitCode::SUCCESS,
        }
    };
    // The process ends here: freeing a host scan's ~100,000 allocations one by one took ~8 %
    // of its time (BENCHMARKS.md, "scan"); the operating system takes the memory back at once.
    std::mem::forget(report);
    std::mem::forget(outcome.inventory);
    Ok(code)
}

impl From<FailOn> for caulk_app::scan::FailOn {
    fn from(f: FailOn) -> caulk_app::scan::FailOn {
        match f {
            FailOn::Any => caulk_app::scan::FailOn::Any,
            FailOn::Medium => caulk_app::scan::FailOn::Medium,
            FailOn::High => caulk_app::scan::FailOn::High,
            FailOn::Critical => caulk_app::scan::FailOn::Critical,
            FailOn::Kev => caulk_app::scan::FailOn::Kev,
            FailOn::OutOfCycle => caulk_app::scan::FailOn::OutOfCycle,
            FailOn::ActNow => caulk_app::scan::FailOn::ActNow,
            FailOn::Overdue => caulk_app::scan::FailOn::Overdue,
        }
    }
}
