//! `caulk`: the one binary. Argument parsing and wiring only; the work is in the stage crates.

use anyhow::{Context, Result, bail};
use caulk_version::{Scheme, ordering_symbol};
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

mod cmd_agent;
mod cmd_db;
mod cmd_dev;
mod cmd_fleet;
mod cmd_inventory;
mod cmd_scan;
mod cmd_server;
mod output;
mod progress;

#[derive(Debug, Parser)]
#[command(
    name = "caulk",
    version,
    about = "Patch management for fleets: inventory, assess, plan, deploy, verify, report"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Version schemes: compare versions the way each package manager does.
    #[command(subcommand)]
    Version(VersionCommand),
    /// Inventory a host, image or directory: OS facts, distro packages, lockfiles, SBOMs.
    Inventory(cmd_inventory::Args),
    /// The advisory database: sync feeds, mirror them, show their status.
    Db(cmd_db::Args),
    /// Assess a host, image, inventory, SBOM or source tree: findings, priorities and the
    /// upgrades that fix them.
    Scan(cmd_scan::Args),
    /// API tokens of the fleet database (`--database`).
    #[command(subcommand)]
    Token(cmd_fleet::TokenCommand),
    /// Users of the fleet database.
    #[command(subcommand)]
    User(cmd_fleet::UserCommand),
    /// The fleet database's audit log.
    #[command(subcommand)]
    Audit(cmd_fleet::AuditCommand),
    /// The fleet server: the HTTP API over the fleet database, until SIGTERM or SIGINT.
    Server(cmd_server::Args),
    /// Report this host's inventory to a caulk server (enrols on the first run).
    Agent(cmd_agent::Args),
    /// Tools for caulk's developers: `simulate` drives a fleet of virtual agents.
    #[command(subcommand)]
    Dev(cmd_dev::DevCommand),
}

#[derive(Debug, Subcommand)]
enum VersionCommand {
    /// Compare two versions; prints `<`, `=` or `>`.
    ///
    /// ECOSYSTEM is an OSV ecosystem (`Debian:12`, `PyPI`, `AlmaLinux:9`, `npm`, `Go`, …) or a
    /// scheme name (`dpkg`, `rpm`, `apk`, `semver`, `go`, `pub`, `pep440`, `maven`,
    /// `rubygems`, `nuget`, `packagist`, `cran`, `hackage`). Invalid input: a message on
    /// stderr and exit status 2.
    Compare(CompareArgs),
    /// List the version schemes and the ecosystems that use them.
    Schemes,
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// OSV ecosystem or scheme name.
    ecosystem: String,
    /// First version.
    #[arg(required_unless_present = "batch")]
    a: Option<String>,
    /// Second version.
    #[arg(required_unless_present = "batch")]
    b: Option<String>,
    /// Read `A<TAB>B` lines on stdin; print one line per input line: `<`, `=`, `>` or
    /// `error: <reason>`.
    #[arg(long, conflicts_with_all = ["a", "b"])]
    batch: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`caulk db status | head`): nothing more to say to anyone.
        Err(e) if output::stdout_closed() && closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caulk: {}", error_chain(&e));
            ExitCode::from(2)
        }
    }
}

/// Whether `e` comes from a broken pipe (the caller checks it was stdout's).
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes, `: `-joined as anyhow's `{:#}` does, but each said once: a
/// library error whose message already quotes its cause (SQLite's does, with the path) is
/// not followed by the cause again.
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        // A cause its parent already ends with (`opening X: Permission denied` over
        // `Permission denied`) is said once; one that merely occurs inside it is not the same.
        if text.is_empty() || out == text || out.ends_with(&format!(": {text}")) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Version(VersionCommand::Compare(args)) => compare(args),
        Command::Inventory(args) => cmd_inventory::run(args),
        Command::Db(args) => cmd_db::run(args),
        Command::Scan(args) => cmd_scan::run(args),
        Command::Token(c) => cmd_fleet::token(c),
        Command::User(c) => cmd_fleet::user(c),
        Command::Audit(c) => cmd_fleet::audit(c),
        Command::Server(a) => cmd_server::run(a),
        Command::Agent(a) => cmd_agent::run(a),
        Command::Dev(c) => cmd_dev::run(c),
        Command::Version(VersionCommand::Schemes) => {
            let mut out = output::stdout();
            for s in Scheme::ALL {
                writeln!(out, "{}\t{}", s.name(), scheme_ecosystems(s))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The terminal's width when stdout is one, else `$COLUMNS`, else 120: piped output (and
/// every test) does not depend on the terminal the command was started from.
pub(crate) fn terminal_width() -> u16 {
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

/// The width a plain list (`caulk inventory --format table`) fits: the terminal's, else
/// `$COLUMNS`, else none — piped into `grep`, no column is dropped.
pub(crate) fn list_width() -> u16 {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() || std::env::var_os("COLUMNS").is_some() {
        terminal_width()
    } else {
        u16::MAX
    }
}

fn scheme_ecosystems(s: Scheme) -> &'static str {
    match s {
        Scheme::Dpkg => "Debian, Ubuntu, Echo, TuxCare",
        Scheme::Rpm => {
            "AlmaLinux, Rocky Linux, Red Hat, SUSE, openSUSE, Photon OS, Azure Linux, Mageia, openEuler, Oracle Linux, Amazon Linux, Fedora"
        }
        Scheme::Apk => "Alpine, Wolfi, Chainguard, Alpaquita, MinimOS",
        Scheme::SemVer => "npm, crates.io, Hex, SwiftURL, Bitnami, Julia, GitHub Actions",
        Scheme::Go => "Go, Kubernetes",
        Scheme::Pub => "Pub",
        Scheme::Pep440 => "PyPI",
        Scheme::Maven => "Maven",
        Scheme::RubyGems => "RubyGems",
        Scheme::NuGet => "NuGet",
        Scheme::Packagist => "Packagist",
        Scheme::Cran => "CRAN, Bioconductor",
        Scheme::Hackage => "Hackage, GHC",
    }
}

fn compare(args: CompareArgs) -> Result<ExitCode> {
    let scheme = Scheme::from_name_or_ecosystem(&args.ecosystem)?;
    if args.batch {
        batch(scheme)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(a), Some(b)) = (args.a, args.b) else {
        bail!("two versions are needed (or --batch)");
    };
    let o = scheme.compare(&a, &b)?;
    println!("{}", ordering_symbol(o));
    Ok(ExitCode::SUCCESS)
}

/// One output line per input line, in order, whatever the line holds: a bad line is an
/// `error:` line, never the end of the run.
fn batch(scheme: Scheme) -> Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::with_capacity(1 << 16, output::stdout());
    let mut reader = std::io::BufReader::with_capacity(1 << 16, stdin);
    let mut buf = Vec::with_capacity(256);
    let mut line_no = 0usize;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .context("reading stdin")?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let result = match std::str::from_utf8(raw) {
            Err(_) => Err(format!("line {line_no} is not UTF-8")),
            Ok(line) => match line.split_once('\t') {
                None => Err(format!("line {line_no}: expected A<TAB>B")),
                Some((a, b)) => scheme.compare(a, b).map_err(|e| e.to_string()),
            },
        };
        match result {
            Ok(o) => out.write_all(ordering_symbol(o).as_bytes())?,
            Err(e) => {
                out.write_all(b"error: ")?;
                out.write_all(e.as_bytes())?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush().context("writing stdout")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Quoting(std::io::Error);
    impl std::fmt::Display for Quoting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "advisory database x.db: {}", self.0)
        }
    }
    impl std::error::Error for Quoting {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_is_said_once() {
        let e = anyhow::Error::new(Quoting(std::io::Error::other("Permission denied")))
            .context("importing m into x.db");
        assert_eq!(
            error_chain(&e),
            "importing m into x.db: advisory database x.db: Permission denied"
        );
        let plain = anyhow::Error::new(std::io::Error::other("gone")).context("reading f");
        assert_eq!(error_chain(&plain), "reading f: gone");
        // A cause that only occurs inside the text above it is a different cause.
        let inner = anyhow::Error::new(std::io::Error::other("denied"))
            .context("file denied.txt: read failed");
        assert_eq!(error_chain(&inner), "file denied.txt: read failed: denied");
    }
}
