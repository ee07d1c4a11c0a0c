//! `caulk scan` with the advisory database already imported, against the baselines of
//! issue 5: (a) a scan of this host vs `dpkg-query -W` (target ≤ 2×), (b) a Cargo.lock scan
//! vs cargo-audit on the same day's RustSec data (target ≥ 20× faster), (c) peak memory of
//! the host scan (target ≤ 64 MiB).
//!
//! Run: `cargo bench -p caulk-cli --bench scan`. Runs the release `caulk` binary as a user
//! does (process start, database open, inventory, matching, JSON written to /dev/null), so
//! figures are wall clock per command, median of [`RUNS`]. cargo-audit: `CAULK_CARGO_AUDIT`,
//! `PATH` or `~/.cargo/bin`; skipped when absent. Peak RSS: `/usr/bin/time -f %M`.
//! Data: `../shared/data/feeds` (all feeds, for the host) and its crates.io export (for the
//! lockfiles), `../shared/data/rustsec/advisory-db.tar.gz` (cargo-audit),
//! `../shared/data/debian/bookworm-host` (a reproducible root: this host's dpkg snapshot).

#![allow(clippy::unwrap_used)]

use caulk_testkit::bench::{self, ms, peak_kib};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 11;

/// [`RUNS`] runs of a command after one warm-up: the median.
fn time(make: impl FnMut() -> Command, ok: &[i32]) -> Duration {
    bench::time_command(RUNS, ok, make).median()
}

fn cargo_audit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CAULK_CARGO_AUDIT") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("cargo-audit"))
            .find(|c| c.is_file())
    });
    on_path.or_else(|| {
        std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".cargo/bin/cargo-audit"))
            .filter(|p| p.is_file())
    })
}

fn lockfile(pkgs: &BTreeSet<(String, String)>) -> String {
    let mut out = String::from("version = 3\n");
    for (name, version) in pkgs {
        out.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            "0".repeat(64)
        ));
    }
    out
}

/// Every crate of the crates.io export at every plain version its events name (the
/// "generated" lockfile of `tests/scan_peers.rs`, without the pre-releases).
fn every_advisory(zip: &Path) -> BTreeSet<(String, String)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut out = BTreeSet::new();
    for i in 0..z.len() {
        let mut s = String::new();
        z.by_index(i).unwrap().read_to_string(&mut s).unwrap();
        let r: serde_json::Value = serde_json::from_str(&s).unwrap();
        for a in r["affected"].as_array().into_iter().flatten() {
            let name = a["package"]["name"].as_str().unwrap().to_string();
            out.insert((name.clone(), "0.1.0".to_string()));
            for range in a["ranges"].as_array().into_iter().flatten() {
                for ev in range["events"].as_array().into_iter().flatten() {
                    if let Some(v) = ev.as_object().and_then(|o| o.values().next()?.as_str())
                        && v.split('.').count() == 3
                        && v.split('.').all(|p| p.parse::<u64>().is_ok())
                    {
                        out.insert((name.clone(), v.to_string()));
                    }
                }
            }
        }
    }
    out
}

fn import(bin: &str, mirror: &Path, db: &Path) -> Duration {
    let _ = std::fs::remove_file(db);
    let t = Instant::now();
    let st = Command::new(bin)
        .args(["db", "import", "--source"])
        .arg(mirror)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "import {}", mirror.display());
    t.elapsed()
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_caulk");
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let feeds = data.join("feeds");
    if !feeds.is_dir() {
        eprintln!("SKIP: {} absent", feeds.display());
        return;
    }
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scan-bench");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();

    // Databases, imported once (not measured against a target).
    let all_db = work.join("all.db");
    let t = import(bin, &feeds, &all_db);
    println!("import of {} : {}", feeds.display(), ms(t));
    let rs_mirror = work.join("mirror-crates");
    std::fs::create_dir_all(rs_mirror.join("osv/crates.io")).unwrap();
    let rs_zip = feeds.join("osv/crates.io/all.zip");
    std::fs::copy(&rs_zip, rs_mirror.join("osv/crates.io/all.zip")).unwrap();
    let rs_db = work.join("crates.db");
    import(bin, &rs_mirror, &rs_db);

    // (a) host scans vs dpkg-query -W.
    println!("\n(a) host scan vs dpkg-query -W (median of {RUNS}, wall clock)");
    let snapshot = data.join("debian/bookworm-host");
    let root = work.join("bookworm-root");
    std::fs::create_dir_all(root.join("var/lib/dpkg/info")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg/updates")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy(
        snapshot.join("dpkg-status"),
        root.join("var/lib/dpkg/status"),
    )
    .unwrap();
    std::fs::copy(snapshot.join("os-release"), root.join("etc/os-release")).unwrap();
    let have_dpkg = Command::new("dpkg-query")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok();
    let mut host_peak_cmd = None;
    for (label, root_arg, admindir) in [
        ("this host (--root /)", PathBuf::from("/"), None),
        (
            "bookworm snapshot root (743 packages)",
            root.clone(),
            Some(root.join("var/lib/dpkg")),
        ),
    ] {
        if !root_arg.join("var/lib/dpkg/status").is_file() {
            println!("{label}: no dpkg status, skipped");
            continue;
        }
        let cache_dir = work.join("cache");
        let scan_with = |format: &'static str, cache: bool| {
            let (root_arg, db, cache_dir) = (root_arg.clone(), all_db.clone(), cache_dir.clone());
            move || {
                let mut c = Command::new(bin);
                c.env("CAULK_CACHE_DIR", &cache_dir)
                    .args(["scan", "--root"])
                    .arg(&root_arg)
                    .arg("--db")
                    .arg(&db)
                    .args(["--format", format]);
                if !cache {
                    c.arg("--no-cache");
                }
                c
            }
        };
        let scan = |format: &'static str| scan_with(format, true);
        let json = time(scan("json"), &[0]);
        let table = time(scan("table"), &[0]);
        // The apt lists read whole (`--no-cache`) vs through the cache (warm after the
        // warm-up run); only the host has lists.
        if root_arg.join("var/lib/apt/lists").is_dir() {
            let uncached = time(scan_with("table", false), &[0]);
            println!(
                "{label}: apt lists read whole (--no-cache) {} vs cached {} ({:.2}×)",
                ms(uncached),
                ms(table),
                table.as_secs_f64() / uncached.as_secs_f64()
            );
        }
        let base = have_dpkg.then(|| {
            let admindir = admindir.clone();
            time(
                move || {
                    let mut c = Command::new("dpkg-query");
                    if let Some(a) = &admindir {
                        c.arg(format!("--admindir={}", a.display()));
                    }
                    c.arg("-W");
                    c
                },
                &[0],
            )
        });
        let ratio = |d: Duration| match base {
            Some(b) => format!("{:.1}×", d.as_secs_f64() / b.as_secs_f64()),
            None => "-".into(),
        };
        println!(
            "{label}: caulk scan --format json {} ({}) · --format table {} ({}) · dpkg-query -W {}",
            ms(json),
            ratio(json),
            ms(table),
            ratio(table),
            base.map(ms).unwrap_or_else(|| "absent".into())
        );
        if host_peak_cmd.is_none() {
            host_peak_cmd = Some(scan("json")());
        }
    }

    // (b) Cargo.lock scans vs cargo-audit on the same advisories.
    println!("\n(b) Cargo.lock scan vs cargo-audit (median of {RUNS}, wall clock)");
    let locks = work.join("locks");
    let ws = locks.join("workspace");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"),
        ws.join("Cargo.lock"),
    )
    .unwrap();
    let picked: BTreeSet<(String, String)> = [
        ("time", "0.1.45"),
        ("smallvec", "1.6.0"),
        ("hyper", "0.14.9"),
        ("tokio", "1.8.0"),
        ("openssl", "0.10.38"),
        ("regex", "1.5.4"),
        ("h2", "0.3.15"),
        ("chrono", "0.4.19"),
        ("rustls", "0.20.0"),
        ("atty", "0.2.14"),
        ("serde", "1.0.200"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let vulnerable = locks.join("vulnerable");
    std::fs::create_dir_all(&vulnerable).unwrap();
    std::fs::write(vulnerable.join("Cargo.lock"), lockfile(&picked)).unwrap();
    let every = every_advisory(&rs_zip);
    let big = locks.join("every-advisory");
    std::fs::create_dir_all(&big).unwrap();
    std::fs::write(big.join("Cargo.lock"), lockfile(&every)).unwrap();

    let audit = cargo_audit();
    let advisory_db = work.join("advisory-db");
    if audit.is_some() {
        std::fs::create_dir_all(&advisory_db).unwrap();
        let st = Command::new("tar")
            .arg("-xzf")
            .arg(data.join("rustsec/advisory-db.tar.gz"))
            .arg("-C")
            .arg(&advisory_db)
            .status()
            .unwrap();
        assert!(st.success());
    } else {
        println!("cargo-audit absent (CAULK_CARGO_AUDIT, PATH, ~/.cargo/bin): baseline skipped");
    }
    let cargo_home = work.join("cargo-home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    let mut lock_peak_cmds = Vec::new();
    for (label, dir) in [
        ("this workspace's Cargo.lock", &ws),
        ("vulnerable Cargo.lock", &vulnerable),
        ("every-advisory Cargo.lock", &big),
    ] {
        let n = std::fs::read_to_string(dir.join("Cargo.lock"))
            .unwrap()
            .matches("[[package]]")
            .count();
        let caulk_cmd = {
            let (dir, db) = (dir.clone(), rs_db.clone());
            move || {
                let mut c = Command::new(bin);
                c.args(["scan", "--path"])
                    .arg(&dir)
                    .arg("--db")
                    .arg(&db)
                    .args(["--format", "json"]);
                c
            }
        };
        let ours = time(caulk_cmd.clone(), &[0]);
        lock_peak_cmds.push((label, caulk_cmd()));
        let theirs = audit.as_ref().map(|a| {
            let (a, dir, db, home) = (
                a.clone(),
                dir.clone(),
                advisory_db.clone(),
                cargo_home.clone(),
            );
            time(
                move || {
                    let mut c = Command::new(&a);
                    c.env("CARGO_HOME", &home)
                        .arg("audit")
                        .arg("--db")
                        .arg(&db)
                        .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
                        .arg(dir.join("Cargo.lock"));
                    c
                },
                &[0, 1],
            )
        });
        println!(
            "{label} ({n} packages): caulk {} · cargo-audit {}{}",
            ms(ours),
            theirs.map(ms).unwrap_or_else(|| "absent".into()),
            theirs
                .map(|t| format!(
                    " · caulk is {:.1}× faster",
                    t.as_secs_f64() / ours.as_secs_f64()
                ))
                .unwrap_or_default()
        );
    }

    // (c) Peak memory.
    println!("\n(c) peak RSS (/usr/bin/time -f %M)");
    if let Some(cmd) = &host_peak_cmd {
        match peak_kib(cmd) {
            Some(k) => println!(
                "caulk scan --root / --format json: {k} KiB ({:.1} MiB)",
                k as f64 / 1024.0
            ),
            None => println!("/usr/bin/time absent: not measured"),
        }
    }
    for (label, cmd) in &lock_peak_cmds {
        if let Some(k) = peak_kib(cmd) {
            println!("caulk scan --path ({label}): {k} KiB");
        }
    }
    if have_dpkg {
        let mut c = Command::new("dpkg-query");
        c.arg("-W");
        if let Some(k) = peak_kib(&c) {
            println!("dpkg-query -W: {k} KiB");
        }
    }
    if let Some(a) = &audit {
        let mut c = Command::new(a);
        c.env("CARGO_HOME", &cargo_home)
            .arg("audit")
            .arg("--db")
            .arg(&advisory_db)
            .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
            .arg(ws.join("Cargo.lock"));
        if let Some(k) = peak_kib(&c) {
            println!("cargo-audit (workspace Cargo.lock): {k} KiB");
        }
    }
}
