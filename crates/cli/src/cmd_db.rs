//! `caulk db`: sync the advisory database from the public feeds or a mirror, build it from a
//! mirror directory, write a mirror, show status. Wiring only: the work is in
//! `caulk-feed-sync` (`sync::run`, `sync::mirror`) and `caulk-advisory-db`
//! (`import::import_dir`); progress is drawn by [`crate::progress`].

use crate::progress::{ProgressMode, Reporter};
use anyhow::{Context, Result, bail};
use caulk_advisory_db::import::{self, Options};
use caulk_advisory_db::store::Store;
use caulk_feed_sync::fetch::{HttpOptions, Retry};
use caulk_feed_sync::sync::{self, FeedOutcome, PublicUrls, Selection, Source};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DbCommand {
    /// Build the database from a mirror directory (`osv/<Ecosystem>/all.zip`, `kev/`,
    /// `epss/`, `nvd/`). The previous database stays in place until the new one is complete.
    Import(ImportArgs),
    /// Update the database: from the public feeds (OSV for this host's ecosystems, CISA KEV,
    /// FIRST EPSS) by default, or from a mirror (`--source DIR|URL`). Only feeds that changed
    /// are downloaded (conditional requests) and imported; a feed that cannot be had keeps
    /// its previous data (exit status 1).
    Sync(SyncArgs),
    /// Write or refresh a mirror (same layout, plus `caulk-mirror.json` with sizes and
    /// SHA-256) for an air-gapped site, from the public feeds or `--source DIR|URL`.
    Mirror(MirrorArgs),
    /// Per feed: source, fetch time, records imported, records rejected (first reasons), age.
    Status(StatusArgs),
}

#[derive(Debug, clap::Args)]
struct DbArg {
    /// The database file [default: $XDG_DATA_HOME/caulk/advisories.db].
    #[arg(long, env = "CAULK_DB")]
    db: Option<PathBuf>,
}

impl DbArg {
    fn path(&self) -> Result<PathBuf> {
        Ok(caulk_app::feeds::db_path(self.db.as_deref())?)
    }
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The mirror directory.
    #[arg(long)]
    source: PathBuf,
    #[command(flatten)]
    db: DbArg,
    /// Refuse a mirror without a valid `caulk-mirror.json`.
    #[arg(long)]
    verify: bool,
    #[arg(long, value_enum, default_value = "auto")]
    progress: Progress,
}

/// A duration in jiff's friendly format (`500ms`, `30s`, `5m`, `2h`, `7d`, `1h 30m`,
/// `2 days`), a day being 24 hours; or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: u64 = s.parse().map_err(|_| format!("{s:?}: too many seconds"))?;
        return Ok(Duration::from_secs(n));
    }
    let span: jiff::Span = s
        .parse()
        .map_err(|e| format!("{s:?}: expected a duration such as 500ms, 30s, 5m, 2h, 7d ({e})"))?;
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("{s:?}: {e}"))?;
    Duration::try_from(d).map_err(|_| format!("{s:?}: a duration cannot be negative"))
}

fn duration_text(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_millis() != 0 || s == 0 {
        format!("{}ms", d.as_millis())
    } else if s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Progress {
    /// Bars when stderr is a terminal, lines otherwise.
    Auto,
    Bars,
    Lines,
    Quiet,
}

impl Progress {
    fn reporter(self) -> std::sync::Arc<Reporter> {
        std::sync::Arc::new(Reporter::new(match self {
            Progress::Auto => ProgressMode::Auto,
            Progress::Bars => ProgressMode::Bars,
            Progress::Lines => ProgressMode::Lines,
            Progress::Quiet => ProgressMode::Quiet,
        }))
    }
}

/// What to fetch and how.
#[derive(Debug, clap::Args)]
struct NetArgs {
    /// Sync this OSV ecosystem (repeatable; `Debian:12` means `Debian`) instead of this
    /// host's (from /etc/os-release).
    #[arg(long = "ecosystem", value_name = "NAME", conflicts_with = "all")]
    ecosystems: Vec<String>,
    /// Every ecosystem of the source (osv.dev's `ecosystems.txt`, a mirror's manifest).
    #[arg(long)]
    all: bool,
    /// Never use the network (a `--source DIR` still works).
    #[arg(long)]
    offline: bool,
    /// Tries per file for transient failures (connection, timeout, 5xx, 429, cut body).
    #[arg(long, default_value_t = 4, value_name = "N")]
    retries: u32,
    /// First delay between tries, doubled each time (with jitter), at most 30s.
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    retry_delay: Duration,
    /// Time to connect.
    #[arg(long, default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    connect_timeout: Duration,
    /// Time without a byte before a download is abandoned (and retried).
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    stall_timeout: Duration,
    /// Time for one whole download.
    #[arg(long, default_value = "1h", value_parser = parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// The largest file accepted, in bytes.
    #[arg(long, default_value_t = 4 << 30, value_name = "BYTES")]
    max_download: u64,
    /// osv.dev's bucket (`<URL>/<Ecosystem>/all.zip`).
    #[arg(long, env = "CAULK_OSV_URL", default_value = sync::OSV_BASE, value_name = "URL")]
    osv_url: String,
    /// CISA KEV catalogue.
    #[arg(long, env = "CAULK_KEV_URL", default_value = sync::KEV_URL, value_name = "URL")]
    kev_url: String,
    /// FIRST EPSS daily scores.
    #[arg(long, env = "CAULK_EPSS_URL", default_value = sync::EPSS_URL, value_name = "URL")]
    epss_url: String,
    /// The os-release file that names this host's distribution [default: the live host's,
    /// read as `caulk inventory` reads it].
    #[arg(long, env = "CAULK_OS_RELEASE", hide = true)]
    os_release: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    progress: Progress,
}

impl NetArgs {
    fn selection(&self) -> Selection {
        if self.all {
            Selection::All
        } else if self.ecosystems.is_empty() {
            Selection::Default
        } else {
            Selection::Ecosystems(self.ecosystems.clone())
        }
    }

    fn source(&self, source: Option<&str>) -> Source {
        match source {
            Some(s) => Source::parse(s),
            None => Source::Public(PublicUrls {
                osv_base: self.osv_url.trim_end_matches('/').to_string(),
                kev: self.kev_url.clone(),
                epss: self.epss_url.clone(),
            }),
        }
    }

    fn http(&self) -> HttpOptions {
        HttpOptions {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            stall_timeout: self.stall_timeout,
            max_bytes: self.max_download,
            retry: Retry {
                attempts: self.retries.max(1),
                base_delay: self.retry_delay,
                max_delay: Duration::from_secs(30).max(self.retry_delay),
            },
            ..HttpOptions::default()
        }
    }

    fn progress(&self) -> std::sync::Arc<Reporter> {
        self.progress.reporter()
    }
}

#[derive(Debug, clap::Args)]
struct SyncArgs {
    /// A mirror: a directory written by `caulk db mirror` (or with the same layout), or its
    /// URL (`https://mirror.example/caulk`). Default: the public feeds.
    #[arg(long, value_name = "DIR|URL")]
    source: Option<String>,
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    net: NetArgs,
}

#[derive(Debug, clap::Args)]
struct MirrorArgs {
    /// Where to write the mirror.
    dir: PathBuf,
    /// Copy from this mirror directory or URL. Default: the public feeds.
    #[arg(long, value_name = "DIR|URL")]
    source: Option<String>,
    #[command(flatten)]
    net: NetArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
struct StatusArgs {
    #[command(flatten)]
    db: DbArg,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Warn about feeds not confirmed current for longer than this (`7d`, `36h`).
    #[arg(long, default_value = "7d", value_parser = parse_duration, value_name = "DURATION")]
    max_age: Duration,
    /// The same in days (older spelling).
    #[arg(long, hide = true, conflicts_with = "max_age")]
    max_age_days: Option<u64>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        DbCommand::Import(a) => {
            let db = a.db.path()?;
            import(&a.source, &db, a.verify, a.progress)
        }
        DbCommand::Sync(a) => {
            let db = a.db.path()?;
            sync_cmd(&a, &db)
        }
        DbCommand::Mirror(a) => mirror(&a),
        DbCommand::Status(a) => status(&a),
    }
}

fn import(source: &Path, db: &Path, verify: bool, progress: Progress) -> Result<ExitCode> {
    if !source.is_dir() {
        bail!("{}: not a directory", source.display());
    }
    let reporter = progress.reporter();
    let opts = Options {
        require_manifest: verify,
        observer: Some(reporter.clone()),
        ..Options::default()
    };
    let report = import::import_dir(source, db, &opts);
    reporter.finish();
    let report =
        report.with_context(|| format!("importing {} into {}", source.display(), db.display()))?;
    let mut err = std::io::stderr().lock();
    for f in &report.feeds {
        writeln!(
            err,
            "{}: {} records, {} rejected, {} duplicates, {} warnings",
            f.feed, f.records, f.rejected, f.duplicates, f.warnings
        )?;
        for r in &f.first_rejections {
            writeln!(
                err,
                "  rejected {} ({}): {}",
                r.file,
                r.id.as_deref().unwrap_or("no id"),
                r.reason
            )?;
        }
    }
    for (feed, reason) in &report.failed {
        writeln!(
            err,
            "caulk: {feed}: not updated, previous data kept: {reason}"
        )?;
    }
    writeln!(
        err,
        "{}: {} vulnerabilities",
        report.db.display(),
        report.vulnerabilities
    )?;
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn sync_cmd(a: &SyncArgs, db: &Path) -> Result<ExitCode> {
    let source = a.net.source(a.source.as_deref());
    let mut opts = sync::SyncOptions::new(db.to_path_buf(), source);
    opts.selection = a.net.selection();
    opts.offline = a.net.offline;
    opts.http = a.net.http();
    let reporter = a.net.progress();
    opts.progress = reporter.clone();
    opts.host = caulk_app::feeds::host_distro(a.net.os_release.as_deref());
    let report = sync::run(&opts);
    // The bars go before the summary is printed.
    reporter.finish();
    let report = report.with_context(|| format!("syncing {}", db.display()))?;
    let mut err = std::io::stderr().lock();
    if let Some(imported) = &report.import {
        for f in &imported.feeds {
            let updated = report
                .feeds
                .iter()
                .any(|r| r.feed == f.feed && matches!(r.outcome, FeedOutcome::Updated { .. }));
            if !updated {
                continue;
            }
            writeln!(
                err,
                "{}: {} records, {} rejected, {} duplicates, {} warnings",
                f.feed, f.records, f.rejected, f.duplicates, f.warnings
            )?;
            for r in &f.first_rejections {
                writeln!(
                    err,
                    "  rejected {} ({}): {}",
                    r.file,
                    r.id.as_deref().unwrap_or("no id"),
                    r.reason
                )?;
            }
        }
        writeln!(
            err,
            "{}: {} vulnerabilities",
            imported.db.display(),
            imported.vulnerabilities
        )?;
    } else {
        writeln!(err, "{}: up to date, nothing imported", report.db.display())?;
    }
    Ok(if report.failed().count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn mirror(a: &MirrorArgs) -> Result<ExitCode> {
    let source = a.net.source(a.source.as_deref());
    let mut opts = sync::MirrorOptions::new(a.dir.clone(), source);
    opts.selection = a.net.selection();
    opts.offline = a.net.offline;
    opts.http = a.net.http();
    let reporter = a.net.progress();
    opts.progress = reporter.clone();
    opts.host = caulk_app::feeds::host_distro(a.net.os_release.as_deref());
    let report = sync::mirror(&opts);
    reporter.finish();
    let report = report.with_context(|| format!("writing the mirror {}", a.dir.display()))?;
    eprintln!(
        "{}: {} files, manifest {}",
        a.dir.display(),
        report.manifest.as_ref().map_or(0, |m| m.files.len()),
        caulk_advisory_db::manifest::MANIFEST_NAME
    );
    Ok(if report.failed().count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn age_text(secs: i64) -> String {
    let d = secs / 86_400;
    if d > 0 {
        format!("{d}d")
    } else {
        format!("{}h", secs / 3600)
    }
}

fn status(a: &StatusArgs) -> Result<ExitCode> {
    let db = a.db.path()?;
    let store = Store::open(&db)?;
    let feeds = store.feeds()?;
    let now = caulk_advisory_db::now_unix();
    let max_age = match a.max_age_days {
        Some(d) => Duration::from_secs(d.saturating_mul(86_400)),
        None => a.max_age,
    };
    let limit = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
    // The data is as current as the last time the source confirmed it (a 304 counts).
    let mut checked = Vec::new();
    for f in &feeds {
        let meta = store.fetch_meta(&f.feed)?;
        let at = meta
            .map(|m| m.checked_at_unix)
            .into_iter()
            .chain(f.fetched_at_unix)
            .max();
        checked.push(at);
    }
    let mut out = crate::output::stdout();
    match a.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = feeds
                .iter()
                .zip(&checked)
                .map(|(f, checked)| {
                    let age = checked.map(|t| now - t);
                    serde_json::json!({
                        "feed": f.feed,
                        "source": f.source,
                        "fetched_at": f.fetched_at,
                        "checked_at": checked.map(caulk_advisory_db::rfc3339_utc),
                        "age_seconds": age,
                        "stale": age.is_some_and(|x| x > limit),
                        "records": f.records,
                        "rejected": f.rejected,
                        "duplicates": f.duplicates,
                        "warnings": f.warnings,
                        "first_rejections": f.first_rejections.iter().map(|r| serde_json::json!({
                            "file": r.file, "id": r.id, "reason": r.reason,
                        })).collect::<Vec<_>>(),
                        "sha256": f.sha256,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        Format::Table => {
            writeln!(out, "database {}", db.display())?;
            if let Some(b) = store.meta("built_at")? {
                writeln!(out, "built at {b}")?;
            }
            use caulk_report::table_fit::{droppable, fit, keep};
            let cols = [
                keep("feed"),
                keep("records"),
                droppable("rejected", 4),
                droppable("dups", 3),
                droppable("warnings", 5),
                keep("data date"),
                droppable("checked at", 6),
                keep("checked"),
                droppable("source", 1),
            ];
            let rows: Vec<Vec<String>> = feeds
                .iter()
                .zip(&checked)
                .map(|(f, checked)| {
                    vec![
                        f.feed.clone(),
                        f.records.to_string(),
                        f.rejected.to_string(),
                        f.duplicates.to_string(),
                        f.warnings.to_string(),
                        f.data_date
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "-".into()),
                        checked
                            .map(caulk_advisory_db::rfc3339_utc)
                            .unwrap_or_else(|| "-".into()),
                        checked
                            .map(|t| format!("{} ago", age_text(now - t)))
                            .unwrap_or_else(|| "-".into()),
                        f.source.clone(),
                    ]
                })
                .collect();
            let width = crate::terminal_width();
            let fitted = fit(&cols, rows, width);
            writeln!(out, "{}", fitted.table)?;
            if let Some(note) = fitted.hidden_note(width) {
                writeln!(out, "{note}")?;
            }
            for f in &feeds {
                for r in &f.first_rejections {
                    writeln!(
                        out,
                        "{} rejected {} ({}): {}",
                        f.feed,
                        r.file,
                        r.id.as_deref().unwrap_or("no id"),
                        r.reason
                    )?;
                }
            }
        }
    }
    for (f, checked) in feeds.iter().zip(&checked) {
        if let Some(t) = checked
            && now - t > limit
        {
            eprintln!(
                "caulk: warning: {} is {} old (limit {}); run `caulk db sync`",
                f.feed,
                age_text(now - t),
                duration_text(max_age)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_jiff_says_with_24_hour_days() {
        let ok = [
            ("500ms", Duration::from_millis(500)),
            ("30s", Duration::from_secs(30)),
            ("45", Duration::from_secs(45)),
            ("5m", Duration::from_secs(300)),
            ("2h", Duration::from_secs(7200)),
            ("7d", Duration::from_secs(7 * 86_400)),
            ("1h 30m", Duration::from_secs(5400)),
            ("2 days", Duration::from_secs(2 * 86_400)),
        ];
        for (text, want) in ok {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
            assert_eq!(parse_duration(&duration_text(want)), Ok(want), "{text}");
        }
        for bad in ["", "soon", "5 parsecs", "-5m", "1y"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
