//! A stand-in for the fuzzers in CI: every parser over thousands of deterministic mutations
//! (byte flips, truncations, splices) of the real inputs must return, never panic, and keep
//! its outputs within the limits.

#![allow(clippy::unwrap_used)]

mod common;
use caulk_inventory::{Distro, Limits, apk, dpkg, lockfile, os, purl, rpm, sbom};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, src: &[u8]) -> Vec<u8> {
    let mut v = src.to_vec();
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                if !v.is_empty() {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
            }
        }
        1 => v.truncate(rng.below(v.len() + 1)),
        2 => {
            // Duplicate a slice somewhere else.
            if !v.is_empty() {
                let a = rng.below(v.len());
                let b = (a + rng.below(64)).min(v.len());
                let chunk = v[a..b].to_vec();
                let at = rng.below(v.len());
                v.splice(at..at, chunk);
            }
        }
        _ => {
            // Delete a slice.
            if !v.is_empty() {
                let a = rng.below(v.len());
                let b = (a + rng.below(256)).min(v.len());
                v.drain(a..b);
            }
        }
    }
    v
}

fn distro() -> Distro {
    Distro {
        ecosystem: "Debian:12".into(),
        namespace: "debian".into(),
        distro: Some("debian-12".into()),
    }
}

fn check_all(data: &[u8], limits: &Limits) {
    let d = distro();
    let p = dpkg::parse_status(data, "s", &d, false, limits);
    assert!(p.packages.len() <= limits.max_records);
    let _ = dpkg::parse_status(data, "s", &d, true, limits);
    let p = apk::parse_installed(data, "a", &d, limits);
    assert!(p.packages.len() <= limits.max_records);
    let _ = sbom::parse(data, "b", limits);
    let _ = sbom::parse_cyclonedx_xml(data, "b", limits);
    let _ = sbom::parse_spdx_tag_value(data, "b", limits);
    let (r, _) = os::parse_os_release(data, "o");
    let _ = os::ecosystem_for(&r);
    let _ = rpm::parse_header(data);
    let _ = rpm::parse_sqlite(data, "r", &d, limits);
    let _ = rpm::parse_bdb(data, "r", &d, limits);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = purl::parse(s);
        let _ = os::parse_redhat_release(s);
    }
}

#[test]
fn mutated_real_inputs_never_panic() {
    let Some(dir) = common::shared("inventories") else {
        return;
    };
    let mut inputs: Vec<Vec<u8>> = vec![];
    for e in walk(&dir) {
        inputs.push(std::fs::read(e).unwrap());
    }
    // An SQLite file with overflow chains and interior pages, as an rpmdb has them.
    let db = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mutations-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let made = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(
            "PRAGMA page_size=512; CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, \
             blob BLOB NOT NULL); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n \
             WHERE i < 60) INSERT INTO Packages(blob) SELECT randomblob(i * 23) FROM n;",
        )
        .status()
        .is_ok_and(|s| s.success());
    if made {
        inputs.push(std::fs::read(&db).unwrap());
    } else {
        caulk_testkit::missing("the sqlite3 CLI is absent (sqlite part not run)");
    }
    // This workspace's Cargo.lock (no real lockfiles in shared data).
    inputs.push(std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).unwrap());
    let limits = Limits {
        max_records: 50,
        max_line_bytes: 2048,
        max_nesting: 16,
        ..Limits::default()
    };
    // CAULK_MUTATION_ROUNDS raises the count for a longer local run.
    let rounds: usize = std::env::var("CAULK_MUTATION_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let seed = std::env::var("CAULK_MUTATION_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed);
    for src in &inputs {
        // Keep the big files' work bounded: mutate their first 16 KiB.
        let src = &src[..src.len().min(16 << 10)];
        check_all(src, &limits);
        for _ in 0..rounds {
            let m = mutate(&mut rng, src);
            check_all(&m, &limits);
            for k in [
                lockfile::Kind::CargoLock,
                lockfile::Kind::NpmLock,
                lockfile::Kind::YarnLock,
                lockfile::Kind::PnpmLock,
                lockfile::Kind::Requirements,
                lockfile::Kind::GoMod,
                lockfile::Kind::GemfileLock,
                lockfile::Kind::GradleLockfile,
            ] {
                let p = lockfile::parse(k, &m, "l", &limits);
                assert!(p.packages.len() <= limits.max_records);
            }
        }
    }
    assert!(inputs.len() >= 40, "{} inputs", inputs.len());
    let _ = std::fs::remove_file(&db);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}
