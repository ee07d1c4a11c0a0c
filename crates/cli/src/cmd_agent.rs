//! `caulk agent`: the fleet agent ([`caulk_agent`]). Wiring only.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use caulk_agent::Config;

/// Report this host's inventory to a caulk server: enrol on the first run, then send the
/// inventory's hash each cycle and the inventory itself only when the server lacks it.
///
/// Not yet: spooling when the server is unreachable (a failed cycle is retried with
/// backoff), and pinning the server's CA (`https://` trusts the system's roots).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's base URL (`http://caulk.example:8080`).
    #[arg(long, value_name = "URL")]
    server: String,
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
    /// One cycle, then exit: 0 when it succeeded, 2 otherwise (cron, tests).
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
    };
    if args.once {
        let report = caulk_agent::run_once(config).context("caulk agent")?;
        eprintln!("caulk agent: {}", caulk_agent::describe(&report));
    } else {
        caulk_agent::run(config, |line| eprintln!("caulk agent: {line}")).context("caulk agent")?;
    }
    Ok(ExitCode::SUCCESS)
}
