//! `caulk agent`: the fleet agent ([`caulk_agent`]). Wiring only.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use caulk_agent::Config;

/// Report this host's inventory to a caulk server: enrol on the first run, then send the
/// inventory's hash each cycle and the inventory itself only when the server lacks it.
///
/// When the server cannot be reached the report is spooled in `<state-dir>/spool/` and
/// delivered, oldest first, by a later cycle.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's base URL (`https://caulk.example:8443`; plain `http://` only to
    /// loopback unless --insecure-http).
    #[arg(long, value_name = "URL")]
    server: String,
    /// Trust only the CA certificates of this PEM file (not the system's roots) for the
    /// server's certificate.
    #[arg(long, env = "CAULK_CA", value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Allow plain `http://` to a server that is not on loopback (the credential and the
    /// inventory cross the network unencrypted).
    #[arg(long)]
    insecure_http: bool,
    /// An enrolment token (`POST /api/v1/enrollment-tokens`), spent on the first run only.
    #[arg(
        long,
        env = "CAULK_ENROLL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    enroll_token: Option<String>,
    /// The root to inventory, as `caulk inventory --root` [default: the live host `/`].
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The host's name at enrolment [default: the inventory's, else the kernel's].
    #[arg(long, value_name = "NAME")]
    hostname: Option<String>,
    /// Where the agent keeps its credential (created 0700) [default:
    /// `$XDG_STATE_HOME/caulk/agent` or `~/.local/state/caulk/agent`].
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// One cycle, then exit: 0 when it succeeded, 2 otherwise — the report spooled when the
    /// server could not be reached (cron, tests).
    #[arg(long)]
    once: bool,
    /// Time between cycles (`1h`, `30m`, `1d`).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_interval)]
    interval: Duration,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = caulk_app::duration::parse_std(s, jiff::SignedDuration::from_hours(24 * 366))?;
    if d < Duration::from_secs(1) {
        return Err(format!("{s:?}: at least 1s"));
    }
    Ok(d)
}

fn default_state_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("caulk/agent"));
    }
    let home = std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .context("no --state-dir, and neither XDG_STATE_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".local/state/caulk/agent"))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let config = Config {
        server: args.server,
        enroll_token: args.enroll_token,
        root: args.root,
        hostname: args.hostname,
        state_dir: match args.state_dir {
            Some(d) => d,
            None => default_state_dir()?,
        },
        interval: args.interval,
        ca: args.ca,
        insecure_http: args.insecure_http,
    };
    if args.once {
        let report = caulk_agent::run_once(config).context("caulk agent")?;
        for line in caulk_agent::describe(&report) {
            eprintln!("caulk agent: {line}");
        }
        if report.spooled.is_some() {
            return Ok(ExitCode::from(2));
        }
    } else {
        caulk_agent::run(config, |line| eprintln!("caulk agent: {line}")).context("caulk agent")?;
    }
    Ok(ExitCode::SUCCESS)
}
