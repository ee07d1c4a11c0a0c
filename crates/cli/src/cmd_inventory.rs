//! `caulk inventory`: wire the inventory collectors to the command line.

use anyhow::{Context, Result};
use caulk_inventory::{FsHost, Limits};
use caulk_model::inventory::Inventory;
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
    let limits = Limits::default();
    let read_host = args.root.is_some() || (args.paths.is_empty() && args.sboms.is_empty());
    let mut inv = if read_host {
        let root = args.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let canon = root
            .canonicalize()
            .with_context(|| format!("--root {}", root.display()))?;
        let host = if canon == std::path::Path::new("/") {
            FsHost::live()
        } else {
            FsHost::new(canon)
        };
        caulk_inventory::inventory_host(&host, &limits)
    } else {
        Inventory::default()
    };
    // --path and --sbom name files of the machine caulk runs on, whatever --root is.
    let local = FsHost::new("/");
    for p in &args.paths {
        let abs = absolute(p)?;
        caulk_inventory::scan_path(&local, &abs, &limits, &mut inv);
    }
    for s in &args.sboms {
        let abs = absolute(s)?;
        caulk_inventory::read_sbom(&local, &abs, &limits, &mut inv);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written: std::io::Result<()> = (|| {
        match args.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut out, &inv)?;
                writeln!(out)?;
            }
            Format::Cyclonedx => {
                let bom = caulk_inventory::cyclonedx::export(&inv);
                serde_json::to_writer_pretty(&mut out, &bom)?;
                writeln!(out)?;
            }
            Format::Table => table(&inv, &mut out).map_err(std::io::Error::other)?,
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

fn absolute(p: &std::path::Path) -> Result<String> {
    let abs = std::path::absolute(p).with_context(|| format!("{}", p.display()))?;
    abs.to_str()
        .map(str::to_string)
        .with_context(|| format!("{}: path is not UTF-8", p.display()))
}

fn table(inv: &Inventory, out: &mut dyn Write) -> std::io::Result<()> {
    let h = &inv.host;
    let os = h.os.as_ref();
    let facts = [
        ("hostname", h.hostname.clone()),
        ("os", os.and_then(|o| o.pretty_name.clone())),
        ("ecosystem", os.and_then(|o| o.ecosystem.clone())),
        ("arch", h.arch.clone()),
        ("kernel", h.kernel.running.clone()),
        (
            "reboot",
            h.reboot_required.as_ref().map(|r| r.reasons.join("; ")),
        ),
    ];
    for (k, v) in facts {
        if let Some(v) = v {
            writeln!(out, "{k:<10} {v}")?;
        }
    }
    writeln!(out)?;
    let rows: Vec<[String; 5]> = inv
        .packages
        .iter()
        .map(|p| {
            let src = match (&p.source_name, &p.source_version) {
                (Some(n), Some(v)) if *n != p.name || *v != p.version => format!("{n} {v}"),
                _ => String::new(),
            };
            [
                p.ecosystem.clone(),
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
                src,
            ]
        })
        .collect();
    let head = ["ECOSYSTEM", "NAME", "VERSION", "ARCH", "SOURCE"];
    let mut w = head.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: [&str; 5], out: &mut dyn Write| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 4 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<width$}  ", width = w[i]));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(head, out)?;
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]], out)?;
    }
    writeln!(
        out,
        "\n{} packages, {} issues",
        inv.packages.len(),
        inv.issues.len()
    )?;
    for i in &inv.issues {
        let at = match (i.line, &i.record) {
            (Some(l), _) => format!(":{l}"),
            (None, Some(r)) => format!(" [{r}]"),
            _ => String::new(),
        };
        writeln!(out, "issue: {}{at}: {}", i.file, i.reason)?;
    }
    Ok(())
}
