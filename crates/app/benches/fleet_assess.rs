//! The fleet server's assessment of many hosts: `caulk_app::scan::assess` per host (what
//! `caulk scan` does) against `assess_through` a `caulk_assess::memo` shared by every host
//! of one database generation (what the server does), on the same hosts in the same run.
//!
//! Run: `cargo bench -p caulk-app --bench fleet_assess` (`CAULK_BENCH_HOSTS`, default 100).
//! Hosts: variations of the Debian 12 host snapshot (`../shared/data/debian/bookworm-host`):
//! a few packages missing, every 40th package one of four older or newer version strings,
//! per host. Database: `../shared/data/feeds`, imported once into `target/bench-cache/`.
//! Every memoized report is checked equal to the plain one (JSON) before timing counts.

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use caulk_app::scan::{Advisories, Assess, assess, assess_through};
use caulk_model::finding::TargetKind;
use caulk_model::inventory::{Host, Inventory, OsInfo, Package};

fn variant(base: &[Package], i: usize) -> Inventory {
    let mut packages = Vec::with_capacity(base.len());
    for (j, p) in base.iter().enumerate() {
        if j % 89 == 0 && (i + j).is_multiple_of(5) {
            continue;
        }
        let mut p = p.clone();
        if j % 40 == 0 {
            match (i + j) % 4 {
                1 => p.version = format!("{}+v1", p.version),
                2 => p.version = format!("{}~old", p.version),
                _ => {}
            }
        }
        packages.push(p);
    }
    let mut inv = Inventory {
        host: Host {
            hostname: Some(format!("host-{i}")),
            os: Some(OsInfo {
                id: Some("debian".into()),
                version_id: Some("12".into()),
                ecosystem: Some("Debian:12".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        packages,
        ..Default::default()
    };
    inv.normalize();
    inv
}

fn main() {
    let (Some(feeds), Some(status)) = (
        caulk_testkit::data("feeds"),
        caulk_testkit::data_text("debian/bookworm-host/dpkg-status"),
    ) else {
        eprintln!("SKIP: ../shared/data (feeds, debian/bookworm-host) is missing");
        return;
    };
    let hosts: usize = std::env::var("CAULK_BENCH_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let cache = caulk_testkit::workspace_root().join("target/bench-cache");
    std::fs::create_dir_all(&cache).unwrap();
    let db = cache.join("fleet-advisories.db");
    let mut issues = Vec::new();
    caulk_app::feeds::import_unless_current(&feeds, &db, &mut issues, &|m| eprintln!("{m}"), None)
        .unwrap();
    let distro = caulk_inventory::Distro {
        ecosystem: "Debian:12".into(),
        namespace: "debian".into(),
        distro: Some("debian-12".into()),
    };
    let base = caulk_inventory::dpkg::parse_status(
        status.as_bytes(),
        "/var/lib/dpkg/status",
        &distro,
        false,
        &caulk_inventory::Limits::default(),
    )
    .packages;
    let invs: Vec<Inventory> = (0..hosts).map(|i| variant(&base, i)).collect();
    let adv = Advisories::open(&db, None).unwrap();
    let loaded = caulk_app::config::Loaded::builtin().unwrap();
    let a = Assess {
        loaded: &loaded,
        criticality: None,
        exposure: None,
        target_kind: TargetKind::Inventory,
        target_path: None,
        issues: vec![],
        apt: None,
        today: "2026-12-06".parse().unwrap(),
        generated_at: None,
        filter: None,
    };
    // Reports compared by a hash of their JSON, made outside the timed part.
    let digest = |r: &caulk_model::finding::ScanReport| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        serde_json::to_string(r).unwrap().hash(&mut h);
        (h.finish(), r.findings.len())
    };
    let time = |f: &dyn Fn(&Inventory) -> caulk_model::finding::ScanReport| {
        let mut spent = std::time::Duration::ZERO;
        let mut out = Vec::with_capacity(invs.len());
        for inv in &invs {
            let t = Instant::now();
            let r = f(inv);
            spent += t.elapsed();
            out.push(digest(&r));
        }
        (spent, out)
    };

    // Plain: every host read from the database.
    let (plain_time, plain) = time(&|inv| assess(inv, &adv.store, &adv.facts, &a).unwrap());
    // Memoized: one memo for the generation.
    let memo = caulk_assess::memo::SourceMemo::new();
    let src = caulk_assess::memo::Memoized {
        memo: &memo,
        inner: &adv.store,
    };
    let (memo_time, memoized) =
        time(&|inv| assess_through(inv, &adv.store, &src, &adv.facts, &a).unwrap());
    assert!(
        plain == memoized,
        "a memoized report differs from the plain one"
    );
    let findings: usize = plain.iter().map(|r| r.1).sum();
    let per = |d: std::time::Duration| d.as_secs_f64() * 1000.0 / hosts as f64;
    println!(
        "fleet assessment, {hosts} hosts (bookworm variations), {findings} findings in all, reports equal"
    );
    println!(
        "  per host, database each time : {:7.1} ms  ({:6.1} hosts/s)",
        per(plain_time),
        hosts as f64 / plain_time.as_secs_f64()
    );
    println!(
        "  per host, shared memo        : {:7.1} ms  ({:6.1} hosts/s)",
        per(memo_time),
        hosts as f64 / memo_time.as_secs_f64()
    );
    println!(
        "  ratio                        : {:7.2}x",
        plain_time.as_secs_f64() / memo_time.as_secs_f64()
    );
}
