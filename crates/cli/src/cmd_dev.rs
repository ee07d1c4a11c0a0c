//! `caulk dev`: tools for caulk's developers. `simulate` drives a fleet of virtual agents
//! against a server ([`caulk_simulate`]). Wiring only.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

#[derive(Debug, clap::Subcommand)]
pub enum DevCommand {
    /// Enrol N virtual agents with a caulk server and drive their check-ins concurrently:
    /// first inventories, then unchanged check-ins, then `GET /api/v1/hosts` page by page.
    ///
    /// The inventories are seeded variations of the real ones in the shared data directory
    /// (Debian 12, Debian 10, Ubuntu 18.04, Alpine 3.16 and 3.4, Red Hat UBI 8): versions
    /// shifted to others seen in the data, packages added and removed. Prints rates, latency
    /// percentiles and errors per phase; exits 1 when any request failed.
    Simulate(SimulateArgs),
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The server's base URL (`http://127.0.0.1:8080`).
    #[arg(long, value_name = "URL")]
    server: String,
    /// An admin or operator API token (it makes the enrolment token).
    #[arg(
        long,
        env = "CAULK_API_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    token: String,
    /// Virtual hosts to enrol.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=u64::from(u32::MAX)))]
    hosts: u64,
    /// Requests in flight at once.
    #[arg(long, value_name = "C", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    concurrency: u64,
    /// The fleet's seed: the same seed gives the same hosts and inventories.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Rounds of unchanged check-ins (every host once per round) after the first inventories.
    #[arg(long, value_name = "K", default_value_t = 3)]
    check_ins: u32,
    /// The shared data directory the inventories vary.
    #[arg(
        long,
        value_name = "DIR",
        env = "CAULK_SHARED_DATA",
        default_value = "../shared/data"
    )]
    data: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Write one JSON line per host: hostname, host id, template, packages sent, hash.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// The server's process id on this machine: its peak RSS is reported.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
}

pub fn run(c: DevCommand) -> Result<ExitCode> {
    match c {
        DevCommand::Simulate(a) => simulate(a),
    }
}

fn simulate(a: SimulateArgs) -> Result<ExitCode> {
    let opts = caulk_simulate::Options {
        server: a.server,
        token: a.token,
        hosts: a.hosts,
        concurrency: a.concurrency as usize,
        seed: a.seed,
        check_ins: a.check_ins,
        data: a.data,
        manifest: a.manifest,
        server_pid: a.server_pid,
    };
    let report =
        caulk_simulate::run(opts, |m| eprintln!("simulate: {m}")).context("caulk dev simulate")?;
    let mut out = crate::output::stdout();
    use std::io::Write;
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", table(&report))?;
        let mut line = format!(
            "{} hosts ({}), {} packages sent, {} hosts listed",
            report.hosts,
            report
                .templates
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            report.packages_sent,
            report.hosts_listed
        );
        if let Some(hwm) = report.server_vm_hwm_kib {
            line.push_str(&format!("; server peak RSS {} MiB", hwm / 1024));
        }
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    let errors = report.errors();
    if errors > 0 {
        eprintln!("simulate: {errors} requests failed");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn table(r: &caulk_simulate::Report) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "phase",
        "ok",
        "seconds",
        "rate",
        "p50 ms",
        "p99 ms",
        "max ms",
        "sim CPU s",
        "server CPU s",
        "errors",
    ]);
    for p in &r.phases {
        let errors = if p.errors.is_empty() {
            "0".to_string()
        } else {
            p.errors
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
        t.add_row(vec![
            Cell::new(p.name),
            right(p.ok.to_string()),
            right(format!("{:.2}", p.seconds)),
            right(format!("{:.0} {}", p.rate, p.unit)),
            right(format!("{:.2}", p.latency.p50_ms)),
            right(format!("{:.2}", p.latency.p99_ms)),
            right(format!("{:.2}", p.latency.max_ms)),
            right(format!("{:.2}", p.simulator_cpu_seconds)),
            right(
                p.server_cpu_seconds
                    .map_or_else(|| "-".to_string(), |s| format!("{s:.2}")),
            ),
            Cell::new(errors),
        ]);
    }
    t
}
