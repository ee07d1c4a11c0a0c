//! `caulk db`: build the advisory database from a feed mirror, write a mirror, show status.
//! Wiring only: the work is in `caulk-advisory`.

use anyhow::{Context, Result, bail};
use caulk_advisory::import::{self, Options};
use caulk_advisory::manifest::Manifest;
use caulk_advisory::store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    /// Update the database from a mirror. With `--source DIR` the mirror's checksum manifest
    /// (`caulk-mirror.json`) is verified first when present. Fetching from the public feeds
    /// over the network is not built yet: give `--source`.
    Sync(SyncArgs),
    /// Write a mirror (same layout, plus `caulk-mirror.json` with sizes and SHA-256) for an
    /// air-gapped site, copied from `--source DIR`.
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
        match &self.db {
            Some(p) => Ok(p.clone()),
            None => caulk_advisory::default_db_path()
                .context("no --db given and neither XDG_DATA_HOME nor HOME is set"),
        }
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
}

#[derive(Debug, clap::Args)]
struct SyncArgs {
    /// A mirror directory written by `caulk db mirror` (or with the same layout).
    #[arg(long)]
    source: Option<String>,
    #[command(flatten)]
    db: DbArg,
    /// Never use the network.
    #[arg(long)]
    offline: bool,
}

#[derive(Debug, clap::Args)]
struct MirrorArgs {
    /// Where to write the mirror.
    dir: PathBuf,
    /// The feeds to copy from (a mirror directory).
    #[arg(long)]
    source: Option<PathBuf>,
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
    /// Warn about feeds fetched longer ago than this many days.
    #[arg(long, default_value_t = 7)]
    max_age_days: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        DbCommand::Import(a) => {
            let db = a.db.path()?;
            import(&a.source, &db, a.verify)
        }
        DbCommand::Sync(a) => {
            let db = a.db.path()?;
            match a.source {
                Some(s) if !s.contains("://") => {
                    let dir = PathBuf::from(&s);
                    let verify = dir.join(caulk_advisory::manifest::MANIFEST_NAME).exists();
                    if !verify {
                        eprintln!(
                            "caulk: warning: {} has no {}: files are not verified",
                            dir.display(),
                            caulk_advisory::manifest::MANIFEST_NAME
                        );
                    }
                    import(&dir, &db, verify)
                }
                Some(url) if a.offline => bail!("--offline refuses the network source {url}"),
                Some(url) => bail!(
                    "fetching {url} over the network is not built yet; copy a mirror and use --source DIR"
                ),
                None if a.offline => bail!("--offline: nothing to sync from; give --source DIR"),
                None => bail!(
                    "fetching the public feeds is not built yet; use --source DIR with a mirror"
                ),
            }
        }
        DbCommand::Mirror(a) => mirror(&a),
        DbCommand::Status(a) => status(&a),
    }
}

fn import(source: &Path, db: &Path, verify: bool) -> Result<ExitCode> {
    if !source.is_dir() {
        bail!("{}: not a directory", source.display());
    }
    let opts = Options {
        require_manifest: verify,
        ..Options::default()
    };
    let report = import::import_dir(source, db, &opts)
        .with_context(|| format!("importing {} into {}", source.display(), db.display()))?;
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

fn mirror(a: &MirrorArgs) -> Result<ExitCode> {
    let Some(src) = &a.source else {
        bail!("fetching the public feeds is not built yet; give --source DIR to copy a mirror");
    };
    let files = import::discover(src).with_context(|| format!("reading {}", src.display()))?;
    if files.is_empty() {
        bail!(
            "{}: no feed files (osv/<Ecosystem>/all.zip, kev/, epss/, nvd/)",
            src.display()
        );
    }
    for f in &files {
        let to = a.dir.join(&f.rel);
        let bytes =
            std::fs::read(&f.path).with_context(|| format!("reading {}", f.path.display()))?;
        caulk_advisory::write_atomic(&to, &bytes)?;
    }
    let m = Manifest::write(&a.dir, caulk_advisory::now_unix())?;
    eprintln!(
        "{}: {} files, manifest {}",
        a.dir.display(),
        m.files.len(),
        caulk_advisory::manifest::MANIFEST_NAME
    );
    Ok(ExitCode::SUCCESS)
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
    let now = caulk_advisory::now_unix();
    let limit = i64::try_from(a.max_age_days.saturating_mul(86_400)).unwrap_or(i64::MAX);
    let mut stale = Vec::new();
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = feeds
                .iter()
                .map(|f| {
                    let age = f.fetched_at_unix.map(|t| now - t);
                    serde_json::json!({
                        "feed": f.feed,
                        "source": f.source,
                        "fetched_at": f.fetched_at,
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
            writeln!(
                out,
                "{:<16} {:>8} {:>8} {:>6} {:>8} {:<20} {:>5}  source",
                "feed", "records", "rejected", "dups", "warnings", "fetched at", "age"
            )?;
            for f in &feeds {
                let age = f.fetched_at_unix.map(|t| now - t);
                writeln!(
                    out,
                    "{:<16} {:>8} {:>8} {:>6} {:>8} {:<20} {:>5}  {}",
                    f.feed,
                    f.records,
                    f.rejected,
                    f.duplicates,
                    f.warnings,
                    f.fetched_at.as_deref().unwrap_or("-"),
                    age.map(age_text).unwrap_or_else(|| "-".into()),
                    f.source
                )?;
                for r in &f.first_rejections {
                    writeln!(
                        out,
                        "    rejected {} ({}): {}",
                        r.file,
                        r.id.as_deref().unwrap_or("no id"),
                        r.reason
                    )?;
                }
            }
        }
    }
    for f in &feeds {
        if let Some(t) = f.fetched_at_unix
            && now - t > limit
        {
            stale.push(format!(
                "{} is {} old (limit {}d)",
                f.feed,
                age_text(now - t),
                a.max_age_days
            ));
        }
    }
    for s in stale {
        eprintln!("caulk: warning: {s}");
    }
    Ok(ExitCode::SUCCESS)
}
