//! Ground truth: scanning this host's snapshot (`../shared/data/debian/bookworm-host/`: dpkg
//! status and os-release, put into a temporary root) against the offline mirror
//! (`../shared/data/feeds/`) flags every source package that has a pending security update
//! (`pending-security-updates.json`, made from `apt list --upgradable` and the candidates'
//! changelogs) with a fixed version, and every CVE that file lists for it is among the
//! finding's ids. Each miss is listed below with its reason; the test fails on any other
//! miss, and on an allowed miss that no longer happens (so the list stays true).

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

mod common;
use common::*;

/// Source packages the ground truth lists that a CVE feed cannot flag.
const PACKAGES_WITHOUT_CVES: &[(&str, &str)] = &[
    (
        "ca-certificates",
        "the update changes the CA bundle; its changelog names no CVE",
    ),
    ("tzdata", "time zone data; its changelog names no CVE"),
    ("unzip", "its new changelog entry names no CVE"),
];

/// (source, CVE) pairs of the ground truth that the scan does not report, and why. All four
/// follow from how the mirror's Debian 12 records are derived (feeds/README.md, "Checks of
/// (b)": "Missed: none is a fault of the feed").
const ALLOWED_MISSES: &[(&str, &str, &str)] = &[
    (
        "librsvg",
        "CVE-2023-38633",
        "the ground truth counts the unstable entry 2.54.7+dfsg-1 as newer than the installed \
         backport 2.54.7+dfsg-1~deb12u1, which already has the fix: not vulnerable",
    ),
    (
        "postgresql-15",
        "CVE-2025-8714",
        "fixed in 15.14 (<= installed 15.18-0+deb12u1); the pending 15.19 entry only refers \
         back to the earlier fix",
    ),
    (
        "postgresql-15",
        "CVE-2026-6473",
        "fixed in 15.18 (= installed); the pending entry only says 'same type of problem as'",
    ),
    (
        "linux",
        "CVE-2024-27022",
        "first named in 6.1.90-1 (the oldest-entry rule makes that the fix, <= installed \
         6.1.187-1); named again in a 6.1.192-1 stable backport",
    ),
];

#[test]
fn bookworm_host_pending_security_updates_are_all_flagged() {
    let Some(host) = shared("debian/bookworm-host") else {
        return;
    };
    let (Some(feeds), Some(lists)) = (shared("feeds"), shared("debian/apt-lists")) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy(host.join("dpkg-status"), root.join("var/lib/dpkg/status")).unwrap();
    std::fs::copy(host.join("os-release"), root.join("etc/os-release")).unwrap();
    std::fs::copy(host.join("debian_version"), root.join("etc/debian_version")).unwrap();

    let out = Command::cargo_bin("caulk")
        .unwrap()
        .env_remove("CAULK_DB")
        .args(["scan", "--root"])
        .arg(&root)
        .arg("--feeds")
        .arg(feeds)
        .arg("--db")
        .arg(tmp.path().join("adv.db"))
        .arg("--apt-lists")
        .arg(lists)
        .args(["--today", "2026-11-27", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["target"]["host"]["os"]["ecosystem"], "Debian:12");

    // Every id of every finding, and the fixed versions, per source package.
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut fixed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let src = f["package"]["source_name"].as_str().unwrap().to_string();
        let set = ids.entry(src.clone()).or_default();
        set.insert(f["vulnerability"]["id"].as_str().unwrap().to_string());
        for a in f["vulnerability"]["aliases"].as_array().unwrap() {
            set.insert(a.as_str().unwrap().to_string());
        }
        if let Some(v) = f["fixed_version"].as_str() {
            fixed.entry(src).or_default().insert(v.to_string());
        }
    }
    let remediations: BTreeMap<String, &Value> = report["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["package"].as_str().unwrap().to_string(), r))
        .collect();

    let truth: Value =
        serde_json::from_slice(&std::fs::read(host.join("pending-security-updates.json")).unwrap())
            .unwrap();
    let mut flagged = 0;
    let mut pairs = 0;
    let mut matched = 0;
    let mut missed_pkgs = Vec::new();
    let mut missed_pairs = Vec::new();
    let mut installable = 0;
    for e in truth.as_array().unwrap() {
        let src = e["source"].as_str().unwrap();
        let cves: Vec<&str> = e["cves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        if fixed.contains_key(src) {
            flagged += 1;
            // The remediation's target is installable from the apt lists, and the
            // candidate apt would install is at or above it.
            let rem = remediations[src];
            if !rem["installable"].is_null() {
                installable += 1;
            }
        } else {
            missed_pkgs.push(src.to_string());
        }
        for c in cves {
            pairs += 1;
            if ids.get(src).is_some_and(|s| s.contains(c)) {
                matched += 1;
            } else {
                missed_pairs.push((src.to_string(), c.to_string()));
            }
        }
    }
    let extra: Vec<&String> = fixed
        .keys()
        .filter(|k| {
            !truth
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["source"] == k.as_str())
        })
        .collect();
    println!(
        "ground truth: {} source packages, {flagged} flagged with a fixed version ({installable} installable from the apt lists), {} without CVEs in the truth",
        truth.as_array().unwrap().len(),
        missed_pkgs.len()
    );
    println!(
        "ground truth: {pairs} (package, CVE) pairs, {matched} among the finding ids, {} missed",
        missed_pairs.len()
    );
    println!(
        "extra source packages flagged (pending point-release updates, outside the truth's scope): {} {extra:?}",
        extra.len()
    );
    println!(
        "scan: {} findings, {} vulnerabilities, {} remediations",
        report["summary"]["findings"],
        report["summary"]["vulnerabilities"],
        report["summary"]["remediations"]
    );

    let want_pkgs: Vec<String> = PACKAGES_WITHOUT_CVES
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(
        missed_pkgs, want_pkgs,
        "unexplained unflagged source packages"
    );
    let mut want_pairs: Vec<(String, String)> = ALLOWED_MISSES
        .iter()
        .map(|(p, c, _)| (p.to_string(), c.to_string()))
        .collect();
    want_pairs.sort();
    missed_pairs.sort();
    assert_eq!(
        missed_pairs, want_pairs,
        "unexplained (or no longer missed) CVEs"
    );
    assert_eq!(flagged, 32);
    assert_eq!(
        installable, flagged,
        "every flagged fix is installable from the apt lists"
    );
    // The mirror's data is older than the scan date (its own dates say so: KEV 2025-08-25,
    // crates.io 2026-08-21, …): stale feeds are reported, and nothing else is.
    let issues = report["issues"].as_array().unwrap();
    assert!(
        issues.iter().all(|i| i["kind"] == "stale"),
        "{}",
        report["issues"]
    );
    let stale: Vec<&str> = issues
        .iter()
        .map(|i| i["record"].as_str().unwrap())
        .collect();
    assert!(stale.contains(&"kev"), "{stale:?}");
    assert!(!stale.contains(&"osv/Debian"), "{stale:?}");
}
