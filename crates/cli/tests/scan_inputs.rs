//! `caulk scan` on the inputs a user points it at besides a host: a source tree of lockfiles
//! (`--path DIR`) and SBOMs (`--sbom FILE`, repeatable), against the mirror's real crates.io,
//! PyPI and Alpine advisories (imported once into a temporary database). The expected
//! findings are those of the real records (RUSTSEC-2020-0071 for `time` 0.1.45, PYSEC-2021-142
//! for PyYAML 5.3.1, ALPINE-CVE-… for busybox in Alpine 3.10); what must not match (build
//! directories, unpinned requirements, an Alpine release the feed does not cover) must not.

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;
use common::*;

/// The three real feeds of the database, or `None` when the shared data lacks one (a skip,
/// or a failure in CI). Every test checks this first.
#[track_caller]
fn feeds() -> Option<Vec<(&'static str, PathBuf)>> {
    ["crates.io", "PyPI", "Alpine"]
        .into_iter()
        .map(|eco| Some((eco, shared(&format!("feeds/osv/{eco}/all.zip"))?)))
        .collect()
}

/// The database, imported once per test binary from a mirror of three real feeds.
fn db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let zips = feeds().expect("the test checked feeds() first");
        let feeds: Vec<(&str, &Path)> = zips.iter().map(|(e, z)| (*e, z.as_path())).collect();
        let db = import_feeds(tmp.path(), &feeds);
        (tmp, db)
    })
    .1
}

fn scan(cwd: &Path, args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("caulk").unwrap();
    c.current_dir(cwd)
        .env_remove("CAULK_DB")
        .env("COLUMNS", "140")
        .arg("scan")
        .args(args)
        .arg("--db")
        .arg(db())
        .args(["--today", "2026-11-27"]);
    c
}

fn json(cwd: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let out = scan(cwd, &a).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn findings(r: &Value) -> &Vec<Value> {
    r["findings"].as_array().unwrap()
}

/// (ecosystem, name, version, vulnerability id) of every finding.
fn rows(r: &Value) -> BTreeSet<(String, String, String, String)> {
    findings(r)
        .iter()
        .map(|f| {
            (
                f["package"]["ecosystem"].as_str().unwrap().to_string(),
                f["package"]["name"].as_str().unwrap().to_string(),
                f["package"]["version"].as_str().unwrap().to_string(),
                f["vulnerability"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn finding<'a>(r: &'a Value, name: &str, vuln: &str) -> &'a Value {
    findings(r)
        .iter()
        .find(|f| f["package"]["name"] == name && f["vulnerability"]["id"] == vuln)
        .unwrap_or_else(|| panic!("no finding {name} {vuln} in {:?}", rows(r)))
}

fn cargo_lock(pkgs: &[(&str, &str)]) -> String {
    let mut s = String::from("version = 3\n");
    for (n, v) in pkgs {
        s.push_str(&format!(
            "\n[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            "0".repeat(64)
        ));
    }
    s
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn path_scans_every_lockfile_under_a_tree_and_skips_build_dirs() {
    if feeds().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let app = d.join("tree/app");
    let crates = [
        ("time", "0.1.45"),
        ("smallvec", "1.6.0"),
        ("regex", "1.5.4"),
        ("serde", "1.0.200"),
    ];
    write(&app.join("Cargo.lock"), &cargo_lock(&crates));
    write(
        &app.join("py/requirements-dev.txt"),
        "# dev tools\nPyYAML[extra]==5.3.1  # pinned\nDjango==3.2 ; python_version > \"3\"\nrequests>=2\n-r other.txt\n",
    );
    write(
        &app.join("poetry.lock"),
        "[[package]]\nname = \"Jinja2\"\nversion = \"2.10\"\n",
    );
    write(
        &d.join("tree/web/package-lock.json"),
        r#"{"lockfileVersion":3,"packages":{"":{},"node_modules/left-pad":{"version":"1.3.0"}}}"#,
    );
    // Build outputs and vendored trees are not the project's lockfiles.
    write(
        &app.join("target/debug/Cargo.lock"),
        &cargo_lock(&[("hyper", "0.14.9")]),
    );
    write(
        &app.join("node_modules/x/requirements.txt"),
        "urllib3==1.24.1\n",
    );

    let r = json(d, &["--path", "tree"]);
    assert_eq!(r["target"]["kind"], "path");
    assert_eq!(r["target"]["path"], "tree");
    // 4 crates + PyYAML, Django, Jinja2 + left-pad; nothing from target/ or node_modules/,
    // not the unpinned `requests`.
    assert_eq!(r["target"]["packages"], 8, "{}", r["target"]);
    let files: BTreeSet<String> = findings(&r)
        .iter()
        .map(|f| f["package"]["file"].as_str().unwrap().to_string())
        .collect();
    let abs = |rel: &str| {
        std::path::absolute(d.join(rel))
            .unwrap()
            .display()
            .to_string()
    };
    assert_eq!(
        files,
        BTreeSet::from([
            abs("tree/app/Cargo.lock"),
            abs("tree/app/poetry.lock"),
            abs("tree/app/py/requirements-dev.txt"),
        ])
    );
    assert!(
        !findings(&r)
            .iter()
            .any(|f| f["package"]["name"] == "hyper" || f["package"]["name"] == "urllib3")
    );
    assert!(!findings(&r).iter().any(|f| f["package"]["name"] == "serde"));

    // Real records, with their ids, fixes and remediations per lockfile.
    let t = finding(&r, "time", "CVE-2020-26235");
    assert_eq!(t["advisory_ids"], serde_json::json!(["RUSTSEC-2020-0071"]));
    assert_eq!(t["package"]["ecosystem"], "crates.io");
    // 0.2.0-0.2.6 are unaffected: the smallest fix above 0.1.45 is 0.2.0.
    assert_eq!(t["fixed_version"], "0.2.0");
    assert_eq!(t["provenance"][0]["scheme"], "semver");
    assert_eq!(
        t["remediation"],
        format!("crates.io/time@0.2.0 in {}", abs("tree/app/Cargo.lock"))
    );
    let y = finding(&r, "pyyaml", "CVE-2020-14343");
    assert_eq!(y["advisory_ids"], serde_json::json!(["PYSEC-2021-142"]));
    assert!(
        y["vulnerability"]["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "PYSEC-2021-142")
    );
    assert_eq!(y["fixed_version"], "5.4");
    assert_eq!(y["provenance"][0]["scheme"], "pep440");
    assert_eq!(
        y["confidence"]["level"], "medium",
        "declared, not installed"
    );
    assert_eq!(
        y["remediation"],
        format!(
            "PyPI/pyyaml@5.4 in {}",
            abs("tree/app/py/requirements-dev.txt")
        )
    );
    assert!(
        findings(&r)
            .iter()
            .any(|f| f["package"]["name"] == "jinja2" && f["package"]["version"] == "2.10")
    );
    assert!(
        findings(&r)
            .iter()
            .filter(|f| f["package"]["name"] == "django")
            .count()
            > 10
    );
    let smallvec = finding(&r, "smallvec", "CVE-2021-25900");
    assert_eq!(smallvec["severity"], "critical");
    // npm has no feed in this database: said, not silently clean.
    assert!(
        r["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["record"] == "osv/npm" && i["kind"] == "unsupported"),
        "{}",
        r["issues"]
    );

    // --fail-on: a critical finding fails the build; no KEV feed, nothing in KEV.
    scan(d, &["--path", "tree", "--fail-on", "critical"])
        .assert()
        .code(1);
    scan(d, &["--path", "tree", "--fail-on", "kev"])
        .assert()
        .code(0);
    // The table names the lockfile's upgrades.
    let out = scan(d, &["--path", "tree"]).output().unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("caulk scan of tree"), "{table}");
    assert!(table.contains("time (crates.io)"), "{table}");
    assert!(table.contains("0.1.45 → 0.2.0"), "{table}");

    // A clean tree: fixed releases only.
    write(
        &d.join("clean/Cargo.lock"),
        &cargo_lock(&[("serde", "1.0.200"), ("smallvec", "1.13.2")]),
    );
    write(
        &d.join("clean/requirements.txt"),
        "PyYAML==6.0.1\njinja2==3.1.6\n",
    );
    let c = json(d, &["--path", "clean"]);
    assert_eq!(c["target"]["packages"], 4);
    assert!(findings(&c).is_empty(), "{:?}", rows(&c));
    scan(d, &["--path", "clean", "--fail-on", "high"])
        .assert()
        .code(0);

    // Two --path directories add up.
    let both = json(d, &["--path", "tree", "--path", "clean"]);
    assert_eq!(both["target"]["packages"], 12);
    assert_eq!(both["target"]["path"], "tree");
    assert_eq!(rows(&both), rows(&r));
}

#[test]
fn sbom_cyclonedx_and_spdx_match_language_and_distro_purls() {
    let (Some(_), Some(inv)) = (feeds(), shared("inventories")) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let bom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "application", "name": "svc"}},
        "components": [
            {"type": "library", "name": "time", "version": "0.1.45",
             "purl": "pkg:cargo/time@0.1.45"},
            {"type": "library", "name": "PyYAML", "version": "5.3.1",
             "purl": "pkg:pypi/PyYAML@5.3.1"},
            {"type": "library", "name": "busybox", "version": "1.29.3-r9",
             "purl": "pkg:apk/alpine/busybox@1.29.3-r9?arch=x86_64&distro=alpine-3.10.9"},
            // A binary of the busybox origin: matched by its source.
            {"type": "library", "name": "ssl_client", "version": "1.29.3-r9",
             "purl": "pkg:apk/alpine/ssl_client@1.29.3-r9?arch=x86_64&upstream=busybox&distro=alpine-3.10.9"},
            // Same version in a release the feed has no data for: no finding (never
            // matched against another release's advisories).
            {"type": "library", "name": "busybox", "version": "1.29.3-r9",
             "purl": "pkg:apk/alpine/busybox@1.29.3-r9?arch=x86_64&distro=alpine-3.17.0"},
            {"type": "library", "name": "left-pad", "version": "1.3.0",
             "purl": "pkg:npm/left-pad@1.3.0"},
            {"type": "library", "name": "mystery", "version": "1.0"}
        ]
    });
    write(
        &d.join("bom.cdx.json"),
        &serde_json::to_string_pretty(&bom).unwrap(),
    );
    // Real SBOMs: Alpine 3.17 (CycloneDX XML, no 3.17 data in the feed) and Alpine 3.10
    // (SPDX JSON from syft; its busybox 1.30.1-r5 is past every 3.10 fix).
    let xml = inv.join("alpine-3.17/osv-scanner-alpine.cdx.xml");
    let spdx = inv.join("alpine-3.10/syft-alpine-3.10.syft.spdx.json");
    let r = json(
        d,
        &[
            "--sbom",
            "bom.cdx.json",
            "--sbom",
            xml.to_str().unwrap(),
            "--sbom",
            spdx.to_str().unwrap(),
        ],
    );
    assert_eq!(r["target"]["kind"], "sbom");
    assert_eq!(r["target"]["path"], "bom.cdx.json");
    // 6 with a purl + 14 from the XML (busybox there has none) + 3 from the SPDX.
    assert_eq!(r["target"]["packages"], 23, "{}", r["target"]);
    let s = |a: &str, b: &str, c: &str, e: &str| {
        (a.to_string(), b.to_string(), c.to_string(), e.to_string())
    };
    assert_eq!(
        rows(&r),
        BTreeSet::from([
            s("crates.io", "time", "0.1.45", "CVE-2020-26235"),
            s("PyPI", "PyYAML", "5.3.1", "CVE-2020-14343"),
            s("Alpine:v3.10", "busybox", "1.29.3-r9", "CVE-2018-20679"),
            s("Alpine:v3.10", "busybox", "1.29.3-r9", "CVE-2019-5747"),
            s("Alpine:v3.10", "ssl_client", "1.29.3-r9", "CVE-2018-20679"),
            s("Alpine:v3.10", "ssl_client", "1.29.3-r9", "CVE-2019-5747"),
        ])
    );
    let b = finding(&r, "ssl_client", "CVE-2019-5747");
    assert_eq!(b["package"]["source_name"], "busybox");
    assert_eq!(
        b["advisory_ids"],
        serde_json::json!(["ALPINE-CVE-2019-5747"])
    );
    assert_eq!(b["provenance"][0]["matched_by"], "source");
    assert_eq!(b["provenance"][0]["scheme"], "apk");
    assert_eq!(b["provenance"][0]["ecosystem"], "Alpine:v3.10");
    assert_eq!(b["fixed_version"], "1.29.3-r10");
    // One upgrade of the busybox origin fixes both binaries.
    let rem: Vec<&Value> = r["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["package"] == "busybox")
        .collect();
    assert_eq!(rem.len(), 1);
    assert_eq!(
        rem[0]["binaries"],
        serde_json::json!(["busybox", "ssl_client"])
    );
    assert_eq!(rem[0]["target_version"], "1.29.3-r10");
    let eco: Vec<&Value> = r["target"]["ecosystems"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert!(
        eco.iter()
            .any(|e| e["ecosystem"] == "Alpine:v3.17" && e["packages"] == 15),
        "{eco:?}"
    );
    let issues = r["issues"].as_array().unwrap();
    let has = |pred: &dyn Fn(&Value) -> bool| issues.iter().any(pred);
    assert!(
        has(&|i| i["reason"]
            .as_str()
            .is_some_and(|s| s.contains("mystery has no purl"))),
        "{issues:?}"
    );
    assert!(
        has(&|i| i["record"] == "osv/npm" && i["kind"] == "unsupported"),
        "{issues:?}"
    );
    // A file that is not an SBOM is an error of that file, not a clean result: the report
    // names it, and the scan exits 2 (incomplete).
    write(&d.join("notes.json"), "{\"hello\": 1}");
    let out = scan(d, &["--sbom", "notes.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("notes.json gave nothing to check"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(n["target"]["packages"], 0);
    assert!(
        n["issues"].as_array().unwrap().iter().any(|i| i["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("notes.json"))),
        "{}",
        n["issues"]
    );
}

/// Issue 11, item 9: Ubuntu's older `UBUNTU-CVE-*` records name their CVE only in `related`;
/// the finding is still the CVE, so CISA KEV attaches (Looney Tunables is in KEV).
#[test]
fn an_ubuntu_cve_record_is_its_cve_and_kev_attaches() {
    let (Some(sample), Some(kev)) = (
        caulk_testkit::data("ubuntu/osv-sample.zip"),
        caulk_testkit::data("kev/known_exploited_vulnerabilities.json"),
    ) else {
        return;
    };
    let tmp = tempdir();
    let d = tmp.path();
    let mirror = d.join("mirror");
    std::fs::create_dir_all(mirror.join("osv/Ubuntu")).unwrap();
    std::fs::create_dir_all(mirror.join("kev")).unwrap();
    std::fs::copy(&sample, mirror.join("osv/Ubuntu/all.zip")).unwrap();
    std::fs::copy(
        &kev,
        mirror.join("kev/known_exploited_vulnerabilities.json"),
    )
    .unwrap();
    let inv = serde_json::json!({
        "format_version": 1,
        "host": {"os": {"id": "ubuntu", "version_id": "22.04", "ecosystem": "Ubuntu:22.04:LTS"}},
        "packages": [{"ecosystem": "Ubuntu:22.04:LTS", "name": "libc6", "version": "2.35-0ubuntu3.1",
                      "source_name": "glibc", "source_version": "2.35-0ubuntu3.1", "arch": "amd64",
                      "file": "/var/lib/dpkg/status", "state": "installed", "collector": "dpkg"}],
        "issues": []
    });
    std::fs::write(d.join("inv.json"), inv.to_string()).unwrap();
    let out = assert_cmd::Command::cargo_bin("caulk")
        .unwrap()
        .env_remove("CAULK_DB")
        .current_dir(d)
        .args([
            "scan",
            "--inventory",
            "inv.json",
            "--feeds",
            "mirror",
            "--db",
            "adv.db",
        ])
        .args(["--today", "2026-11-27", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["advisory_ids"]
                .to_string()
                .contains("UBUNTU-CVE-2023-4911")
        })
        .unwrap_or_else(|| panic!("{}", r["findings"]));
    assert_eq!(f["vulnerability"]["id"], "CVE-2023-4911");
    assert_eq!(f["kev"]["date_added"], "2023-11-21", "{}", f["kev"]);
}
