//! `caulk inventory`: arguments in, [`caulk_app::target::collect`] run, the inventory
//! printed. Wiring only.

use anyhow::{Context, Result};
use caulk_app::target::TargetSpec;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The inventory JSON (docs/inventory-format.md).
    Json,
    /// A human-readable table.
    Table,
    /// CycloneDX 1.6 JSON with purls.
    Cyclonedx,
}

/// Inventory a host or image (`--root`), source trees (`--path`) and SBOMs (`--sbom`).
///
/// Without any option the live host `/` is read. With only `--path`/`--sbom`, no host is read
/// unless `--root` is given too. Nothing is executed inside `--root`; commands run only when
/// the root is `/`. Problems met on the way are listed in the output (`issues`); the exit
/// status is 0 unless the output cannot be written.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Root directory of the host, mounted image or chroot to read.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Directory to search for lockfiles (repeatable).
    #[arg(long = "path", value_name = "DIR")]
    paths: Vec<PathBuf>,
    /// SBOM file to read: CycloneDX JSON/XML or SPDX JSON/tag-value (repeatable).
    #[arg(long = "sbom", value_name = "FILE")]
    sboms: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let inv = caulk_app::target::collect(&TargetSpec {
        root: args.root.clone(),
        paths: args.paths.clone(),
        sboms: args.sboms.clone(),
        inventory: None,
    })?
    .inventory;
    let mut out = std::io::BufWriter::new(crate::output::stdout());
    let written: std::io::Result<()> = (|| {
        match args.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut out, &inv)?;
                writeln!(out)?;
            }
            Format::Cyclonedx => {
                let bom = caulk_report::inventory_bom(&inv);
                serde_json::to_writer_pretty(&mut out, &bom)?;
                writeln!(out)?;
            }
            Format::Table => {
                out.write_all(caulk_report::table::inventory(&inv, crate::list_width()).as_bytes())?
            }
        }
        out.flush()
    })();
    match written {
        // `caulk inventory | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        r => {
            r.context("writing stdout")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
