//! `caulk scan` as a user runs it, on a small deterministic mirror built here: exit codes of
//! `--fail-on`, the JSON fields, mirror reuse, exceptions, and snapshots of the table and the
//! JSON.

#![allow(clippy::unwrap_used)]

mod common;

use assert_cmd::Command;
use common::write_zip;
use predicates::prelude::PredicateBooleanExt;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// 2026-11-20T00:00:00Z: the feed files' mtime, so feed ages are stable.
const FETCHED: u64 = 1_795_132_800;
const TODAY: &str = "2026-11-27";

fn osv(id: &str, published: &str, extra: Value, affected: Value) -> Value {
    let mut v = json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": published,
        "published": published,
        "affected": affected,
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    v
}

fn eco_range(eco: &str, name: &str, events: Value) -> Value {
    json!([{ "package": { "ecosystem": eco, "name": name },
             "ranges": [{ "type": "ECOSYSTEM", "events": events }] }])
}

fn set_mtime(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(FETCHED))
        .unwrap();
}

/// The fixture: `feeds/` (a mirror), `inv.json` (an inventory) and `caulk.toml`, in a fresh
/// directory that is the working directory of every command, so paths in the output are the
/// relative ones given.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let critical = json!({"severity": [{"type": "CVSS_V3",
        "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]});
    let debian = vec![
        // One DSA for two CVEs; the derived record for one of them fixes it earlier.
        osv(
            "DSA-9001-1",
            "2026-11-01T00:00:00Z",
            json!({"summary": "openssl - security update",
                   "upstream": ["CVE-2025-0001", "CVE-2025-0002"],
                   "severity": critical["severity"]}),
            eco_range(
                "Debian:12",
                "openssl",
                json!([{"introduced": "0"}, {"fixed": "3.0.17-1~deb12u2"}]),
            ),
        ),
        osv(
            "x_DEBCHG-CVE-2025-0001",
            "2026-10-15T00:00:00Z",
            json!({"aliases": ["CVE-2025-0001"],
                   "summary": "CVE-2025-0001 named in the Debian 12 changelog of openssl"}),
            eco_range(
                "Debian:12",
                "openssl",
                json!([{"introduced": "0"}, {"fixed": "3.0.17-1~deb12u1"}]),
            ),
        ),
        // In KEV (and EPSS): act-now on a reachable host.
        osv(
            "x_DEBCHG-CVE-2023-4911",
            "2023-10-03T00:00:00Z",
            json!({"aliases": ["CVE-2023-4911"],
                   "summary": "CVE-2023-4911 named in the Debian 12 changelog of glibc"}),
            eco_range(
                "Debian:12",
                "glibc",
                json!([{"introduced": "0"}, {"fixed": "2.36-9+deb12u3"}]),
            ),
        ),
        // No fix yet.
        osv(
            "DLA-9002-1",
            "2026-11-10T00:00:00Z",
            json!({"summary": "zlib - open issue", "upstream": ["CVE-2026-1111"]}),
            eco_range("Debian:12", "zlib", json!([{"introduced": "0"}])),
        ),
        // Another release: must not match a Debian 12 host.
        osv(
            "DSA-8000-1",
            "2025-01-01T00:00:00Z",
            json!({"upstream": ["CVE-2024-8000"]}),
            eco_range(
                "Debian:11",
                "openssl",
                json!([{"introduced": "0"}, {"fixed": "99"}]),
            ),
        ),
    ];
    write_zip(&d.join("feeds/osv/Debian/all.zip"), &debian);
    let rust = vec![
        osv(
            "RUSTSEC-2020-0071",
            "2020-11-18T12:00:00Z",
            json!({"aliases": ["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"],
                   "summary": "Potential segfault in the time crate",
                   "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"}]}),
            json!([{ "package": { "ecosystem": "crates.io", "name": "time" },
                     "database_specific": { "categories": [], "informational": null },
                     "ranges": [{ "type": "SEMVER", "events": [
                         {"introduced": "0.0.0-0"}, {"fixed": "0.2.23"}] }] }]),
        ),
        // An informational advisory (RustSec: unmaintained), not a vulnerability; like most
        // of them, every release is affected.
        osv(
            "RUSTSEC-2099-0001",
            "2026-06-01T12:00:00Z",
            json!({"summary": "time 0.1 is unmaintained"}),
            json!([{ "package": { "ecosystem": "crates.io", "name": "time" },
                     "database_specific": { "categories": [], "informational": "unmaintained" },
                     "ranges": [{ "type": "SEMVER", "events": [{"introduced": "0.0.0-0"}] }] }]),
        ),
    ];
    write_zip(&d.join("feeds/osv/crates.io/all.zip"), &rust);
    let pypi = vec![osv(
        "PYSEC-2099-1",
        "2026-06-01T00:00:00Z",
        json!({"summary": "jw.util: unsafe YAML load"}),
        eco_range(
            "PyPI",
            "jw.util",
            json!([{"introduced": "0"}, {"fixed": "1.3"}]),
        ),
    )];
    write_zip(&d.join("feeds/osv/PyPI/all.zip"), &pypi);
    let kev = json!({
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2025.08.25", "dateReleased": "2025-08-25T17:04:19.9796Z", "count": 1,
        "vulnerabilities": [{
            "cveID": "CVE-2023-4911", "vendorProject": "GNU", "product": "GNU C Library",
            "vulnerabilityName": "GNU C Library Buffer Overflow Vulnerability",
            "dateAdded": "2023-11-21", "shortDescription": "x",
            "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": "2023-12-12", "knownRansomwareCampaignUse": "Unknown",
            "notes": "", "cwes": ["CWE-122"]}]
    });
    std::fs::create_dir_all(d.join("feeds/kev")).unwrap();
    std::fs::write(
        d.join("feeds/kev/known_exploited_vulnerabilities.json"),
        serde_json::to_string_pretty(&kev).unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(d.join("feeds/epss")).unwrap();
    std::fs::write(
        d.join("feeds/epss/epss_scores-2025-03-19.csv"),
        "#model_version:v2025.03.14,score_date:2025-03-19T00:00:00+0000\ncve,epss,percentile\nCVE-2023-4911,0.90524,0.99597\nCVE-2025-0001,0.00100,0.20000\n",
    )
    .unwrap();
    for f in [
        "feeds/osv/Debian/all.zip",
        "feeds/osv/crates.io/all.zip",
        "feeds/osv/PyPI/all.zip",
        "feeds/kev/known_exploited_vulnerabilities.json",
        "feeds/epss/epss_scores-2025-03-19.csv",
    ] {
        set_mtime(&d.join(f));
    }

    let deb = |name: &str, version: &str, src: &str, src_version: &str| {
        json!({"ecosystem": "Debian:12", "name": name, "version": version, "arch": "amd64",
               "source_name": src, "source_version": src_version,
               "file": "/var/lib/dpkg/status", "state": "installed", "collector": "dpkg"})
    };
    let lang = |eco: &str, name: &str, version: &str, file: &str| {
        json!({"ecosystem": eco, "name": name, "version": version, "file": file,
               "state": "declared", "collector": "lockfile"})
    };
    let inv = json!({
        "format_version": 1,
        "host": {"hostname": "web-1", "arch": "x86_64",
                 "os": {"id": "debian", "pretty_name": "Debian GNU/Linux 12 (bookworm)",
                        "version_id": "12", "ecosystem": "Debian:12"}},
        "packages": [
            deb("libc6", "2.36-9+deb12u1", "glibc", "2.36-9+deb12u1"),
            deb("libssl3", "3.0.15-1~deb12u1", "openssl", "3.0.15-1~deb12u1"),
            deb("openssl", "3.0.15-1~deb12u1", "openssl", "3.0.15-1~deb12u1"),
            deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1"),
            lang("PyPI", "JW_Util", "1.2", "/srv/app/requirements.txt"),
            lang("crates.io", "time", "0.1.45", "/srv/app/Cargo.lock"),
            lang("npm", "left-pad", "1.3.0", "/srv/web/package-lock.json"),
        ],
        "issues": []
    });
    std::fs::write(
        d.join("inv.json"),
        serde_json::to_string_pretty(&inv).unwrap(),
    )
    .unwrap();
    dir
}

fn caulk(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("caulk").unwrap();
    c.current_dir(dir)
        .env("COLUMNS", "140")
        .env_remove("CAULK_DB")
        .env("HOME", dir)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("CAULK_CACHE_DIR");
    c
}

fn scan(dir: &Path, extra: &[&str]) -> Command {
    scan_on(dir, TODAY, extra)
}

fn scan_on(dir: &Path, today: &str, extra: &[&str]) -> Command {
    let mut c = caulk(dir);
    c.args([
        "scan",
        "--inventory",
        "inv.json",
        "--feeds",
        "feeds",
        "--db",
        "adv.db",
        "--today",
        today,
    ])
    .args(extra);
    c
}

fn json_of(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = scan(dir, &args).output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn finding<'a>(r: &'a Value, pkg: &str, vuln: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == pkg && f["vulnerability"]["id"] == vuln)
        .unwrap_or_else(|| panic!("no finding {pkg} {vuln}"))
}

#[test]
fn fail_on_exit_codes() {
    let dir = fixture();
    let d = dir.path();
    scan(d, &["--fail-on", "kev"]).assert().code(1);
    scan(d, &["--fail-on", "critical"]).assert().code(1);
    scan(d, &["--fail-on", "high"]).assert().code(1);
    scan(d, &["--fail-on", "act-now"]).assert().code(1);
    for level in ["any", "medium", "out-of-cycle", "overdue"] {
        scan(d, &["--fail-on", level]).assert().code(1);
    }
    // The reason is one line on stderr: the threshold, the first finding, how many more.
    scan(d, &["--fail-on", "kev"]).assert().code(1).stderr(
        predicates::str::is_match(
            "\ncaulk: --fail-on kev: CVE-2023-4911 in libc6 2.36-9\\+deb12u1: in CISA KEV\n$",
        )
        .unwrap(),
    );
    // Before anything is due, nothing is overdue.
    scan_on(d, "2020-01-01", &["--fail-on", "overdue"])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("--fail-on").not());
    // Isolated: the KEV finding is out-of-cycle, nothing is act-now.
    scan(d, &["--fail-on", "act-now", "--exposure", "isolated"])
        .assert()
        .code(0);
    scan(d, &[]).assert().code(0);

    // Exceptions: suppressed findings never trigger; expired ones do again.
    std::fs::write(
        d.join("caulk.toml"),
        "[[exception]]\nvulnerability = \"CVE-2023-4911\"\nreason = \"no setuid binaries\"\nowner = \"ops\"\nexpires = \"2026-12-31\"\n",
    )
    .unwrap();
    scan(d, &["--fail-on", "kev"]).assert().code(0);
    scan_on(d, "2027-01-01", &["--fail-on", "kev"])
        .assert()
        .code(1);
}

#[test]
fn errors_exit_2() {
    let dir = fixture();
    let d = dir.path();
    // No database and no --feeds.
    caulk(d)
        .args(["scan", "--inventory", "inv.json", "--db", "none.db"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("none.db"));
    // A configuration that is not TOML names its file.
    std::fs::write(d.join("bad.toml"), "[asset\n").unwrap();
    scan(d, &["--config", "bad.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.toml"));
    // An unreadable inventory.
    caulk(d)
        .args([
            "scan",
            "--inventory",
            "missing.json",
            "--feeds",
            "feeds",
            "--db",
            "adv.db",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("missing.json"));
    let inventory = |name: &str| {
        caulk(d)
            .args([
                "scan",
                "--inventory",
                name,
                "--feeds",
                "feeds",
                "--db",
                "adv.db",
            ])
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
    };
    // Malformed JSON and an unknown format version name the file and the problem.
    std::fs::write(
        d.join("cut.json"),
        "{\"format_version\": 1, \"packages\": [",
    )
    .unwrap();
    inventory("cut.json").stderr(
        predicates::str::contains("cut.json")
            .and(predicates::str::contains("not an inventory JSON document")),
    );
    let mut future: Value =
        serde_json::from_slice(&std::fs::read(d.join("inv.json")).unwrap()).unwrap();
    future["format_version"] = json!(999);
    std::fs::write(d.join("future.json"), future.to_string()).unwrap();
    inventory("future.json").stderr(predicates::str::contains("format_version 999"));
    // A FIFO is refused, not waited on.
    let made = std::process::Command::new("mkfifo")
        .arg(d.join("fifo.json"))
        .status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    inventory("fifo.json").stderr(predicates::str::contains("not a regular file"));
}

#[test]
fn json_has_the_documented_fields() {
    let dir = fixture();
    let d = dir.path();
    let r = json_of(d, &[]);
    assert_eq!(r["format_version"], 1);
    assert_eq!(r["generated_at"], Value::Null);
    assert_eq!(r["today"], TODAY);
    assert_eq!(r["database"]["import"]["action"], "imported");
    assert_eq!(r["target"]["kind"], "inventory");
    assert_eq!(r["target"]["path"], "inv.json");

    // One vulnerability, two advisories, one finding per binary, all ids.
    let f = finding(&r, "libssl3", "CVE-2025-0001");
    assert_eq!(f["package"]["ecosystem"], "Debian:12");
    assert_eq!(f["package"]["source_name"], "openssl");
    assert_eq!(f["package"]["version"], "3.0.15-1~deb12u1");
    // The DSA covers two CVEs: an advisory of this vulnerability, not one of its names.
    assert_eq!(
        f["vulnerability"]["aliases"],
        json!(["x_DEBCHG-CVE-2025-0001"])
    );
    assert_eq!(
        f["advisory_ids"],
        json!(["DSA-9001-1", "x_DEBCHG-CVE-2025-0001"])
    );
    assert_eq!(f["status"], "fixed");
    assert_eq!(f["fixed_version"], "3.0.17-1~deb12u2");
    assert_eq!(f["cvss"]["score"], 9.8);
    assert_eq!(f["cvss"]["source"], "osv:DSA-9001-1");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["priority"]["decision"], "out-of-cycle");
    assert_eq!(f["priority"]["sla_days"], 15);
    assert_eq!(f["priority"]["due_date"], "2026-10-30");
    assert_eq!(f["priority"]["overdue"], true);
    assert!(f["priority"]["reasons"].as_array().unwrap().len() >= 4);
    let prov = f["provenance"].as_array().unwrap();
    assert_eq!(prov.len(), 2);
    assert_eq!(prov[0]["matched_by"], "source");
    assert_eq!(prov[0]["scheme"], "dpkg");
    assert_eq!(prov[0]["feed"], "osv/Debian");
    assert_eq!(
        prov[0]["range"],
        "range 0 (ECOSYSTEM): introduced 0 <= version < fixed 3.0.17-1~deb12u2"
    );
    assert_eq!(f["remediation"], "Debian:12/openssl@3.0.17-1~deb12u2");
    assert_eq!(f["confidence"]["level"], "high");

    // KEV: act-now, the KEV due date wins.
    let g = finding(&r, "libc6", "CVE-2023-4911");
    assert_eq!(g["kev"]["due_date"], "2023-12-12");
    assert_eq!(g["priority"]["decision"], "act-now");
    assert_eq!(g["priority"]["due_date"], "2023-12-12");
    assert_eq!(g["priority"]["due_date_origin"], "kev");
    assert_eq!(g["epss"]["percentile"], 0.99597);
    assert_eq!(g["confidence"]["level"], "medium", "only an x_ record");

    // Unfixed: null fixed version, no remediation, never hidden.
    let z = finding(&r, "zlib1g", "CVE-2026-1111");
    assert_eq!(z["status"], "unfixed");
    assert_eq!(z["fixed_version"], Value::Null);
    assert_eq!(z["remediation"], Value::Null);

    // Language ecosystems: PEP 503 and SEMVER.
    let p = finding(&r, "JW_Util", "PYSEC-2099-1");
    assert_eq!(p["provenance"][0]["matched_name"], "jw.util");
    assert_eq!(p["provenance"][0]["matched_by"], "name");
    let t = finding(&r, "time", "CVE-2020-26235");
    assert_eq!(t["provenance"][0]["scheme"], "semver");
    assert_eq!(t["informational"], Value::Null, "a vulnerability");
    // An informational advisory: marked with its kind, deferred, said so in words.
    let u = finding(&r, "time", "RUSTSEC-2099-0001");
    assert_eq!(u["informational"], "unmaintained");
    assert_eq!(u["priority"]["decision"], "defer");
    assert!(
        u["priority"]["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("informational advisory (unmaintained): "),
        "{}",
        u["priority"]["reasons"]
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("informational").is_some()),
        "the field is always written, null for vulnerabilities"
    );

    // Other releases never match.
    assert!(
        !r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["vulnerability"]["id"] == "CVE-2024-8000")
    );
    // npm has no feed: reported.
    assert!(
        r["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["record"] == "osv/npm" && i["kind"] == "unsupported")
    );

    // Remediations by decision, then risk removed: one KEV CVE of unknown severity (act-now;
    // 10 × 5.0 × (1 + 1 + 0.5 × 0.905) × 0.8 × 0.8 = 78.5) comes before two critical CVEs
    // (out-of-cycle; 62.8 + 62.7), though they remove more risk.
    let rem = r["remediations"].as_array().unwrap();
    assert_eq!(rem[0]["package"], "glibc");
    assert_eq!(rem[0]["kev_count"], 1);
    assert_eq!(rem[0]["risk_removed"], 78.5);
    assert_eq!(rem[0]["decision"], "act-now");
    assert_eq!(rem[1]["package"], "openssl");
    assert_eq!(rem[1]["risk_removed"], 125.5);
    let ossl = rem.iter().find(|m| m["package"] == "openssl").unwrap();
    assert_eq!(ossl["binaries"], json!(["libssl3", "openssl"]));
    assert_eq!(ossl["installed_version"], "3.0.15-1~deb12u1");
    assert_eq!(ossl["target_version"], "3.0.17-1~deb12u2");
    assert_eq!(ossl["findings"], 4);
    assert_eq!(
        ossl["vulnerabilities"],
        json!(["CVE-2025-0001", "CVE-2025-0002"])
    );
    assert_eq!(ossl["installable"], Value::Null);
    assert_eq!(r["summary"]["installability_checked"], false);
    assert_eq!(
        r["summary"]["by_status"]["unfixed"], 2,
        "zlib, and time's informational"
    );

    // The second run finds the mirror unchanged and reuses the database.
    let again = json_of(d, &[]);
    assert_eq!(again["database"]["import"]["action"], "reused");
    assert_eq!(again["findings"], r["findings"]);
}

#[test]
fn a_changed_mirror_is_imported_again() {
    let dir = fixture();
    let d = dir.path();
    assert_eq!(json_of(d, &[])["database"]["import"]["action"], "imported");
    std::fs::write(
        d.join("feeds/epss/epss_scores-2025-03-19.csv"),
        "#model_version:v2025.03.14,score_date:2025-03-19T00:00:00+0000\ncve,epss,percentile\nCVE-2023-4911,0.5,0.6\n",
    )
    .unwrap();
    let r = json_of(d, &[]);
    assert_eq!(r["database"]["import"]["action"], "imported");
    assert_eq!(
        finding(&r, "libc6", "CVE-2023-4911")["epss"]["percentile"],
        0.6
    );
}

/// A database of an older schema (2: no `affected.informational`) is not read; the next
/// import rebuilds it whole, as for every schema change: `scan --feeds` imports the mirror
/// (it cannot be "reused"), `scan` without `--feeds` says what to run, `db import` replaces
/// the file.
#[test]
fn an_older_schema_database_is_rebuilt() {
    let dir = fixture();
    let d = dir.path();
    let first = json_of(d, &[]);
    assert_eq!(first["database"]["import"]["action"], "imported");
    let downgrade = || {
        let c = rusqlite::Connection::open(d.join("adv.db")).unwrap();
        c.execute_batch(
            "ALTER TABLE affected DROP COLUMN informational;
             UPDATE meta SET value = '2' WHERE key = 'schema_version';",
        )
        .unwrap();
    };
    downgrade();
    caulk(d)
        .args(["scan", "--inventory", "inv.json", "--db", "adv.db"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("schema version 2"))
        .stderr(predicates::str::contains("caulk db import"));
    let again = json_of(d, &[]);
    assert_eq!(again["database"]["import"]["action"], "imported");
    assert_eq!(again["findings"], first["findings"]);
    assert_eq!(json_of(d, &[])["database"]["import"]["action"], "reused");

    downgrade();
    caulk(d)
        .args(["db", "import", "--source", "feeds", "--db", "adv.db"])
        .assert()
        .success();
    let after = json_of(d, &[]);
    assert_eq!(after["database"]["import"]["action"], "reused");
    assert_eq!(after["findings"], first["findings"]);
}

#[test]
fn apt_lists_say_what_is_installable() {
    let dir = fixture();
    let d = dir.path();
    let lists = d.join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    std::fs::write(
        lists.join("deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages"),
        "Package: libssl3\nSource: openssl\nVersion: 3.0.17-1~deb12u3\nArchitecture: amd64\n\nPackage: libc6\nSource: glibc\nVersion: 2.36-9+deb12u2\nArchitecture: amd64\n",
    )
    .unwrap();
    let r = json_of(d, &["--apt-lists", "lists"]);
    let rem = r["remediations"].as_array().unwrap();
    let ossl = rem.iter().find(|m| m["package"] == "openssl").unwrap();
    assert_eq!(
        ossl["installable"],
        json!({"version": "3.0.17-1~deb12u3", "origin": "bookworm-security/main"})
    );
    // glibc's candidate is older than the fix: not installable.
    let glibc = rem.iter().find(|m| m["package"] == "glibc").unwrap();
    assert_eq!(glibc["installable"], Value::Null);
    // … and the report says why: what the lists offer at most.
    assert_eq!(
        glibc["not_installable"],
        "the lists offer 2.36-9+deb12u2 at most (bookworm-security/main); run apt update, or the fix is not published for this release yet"
    );
    assert_eq!(r["summary"]["installability_checked"], true);
    assert_eq!(r["summary"]["remediations_installable"], 1);
    assert!(
        !r["issues"].to_string().contains("apt update"),
        "no release date, no age: {}",
        r["issues"]
    );

    // Lists whose release file is old say so (the data's own date, not the file's).
    std::fs::write(
        lists.join("deb.debian.org_debian-security_dists_bookworm-security_InRelease"),
        "Origin: Debian\nDate: Sat, 16 May 2026 10:54:28 UTC\n",
    )
    .unwrap();
    let r = json_of(d, &["--apt-lists", "lists", "--no-cache"]);
    let stale: Vec<&Value> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["stage"] == "installability" && i["kind"] == "stale")
        .collect();
    assert_eq!(stale.len(), 1, "{}", r["issues"]);
    assert!(
        stale[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("the apt lists were published 2026-05-16 ("),
        "{}",
        stale[0]
    );
}

/// The apt lists are read through a cache (`~/.cache/caulk/apt-*.bin`): a second scan gives
/// the same report from it, a changed list is read again, `--no-cache` writes nothing.
#[test]
fn apt_list_cache_answers_as_the_lists_do() {
    let dir = fixture();
    let d = dir.path();
    let lists = d.join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    let list = lists
        .join("deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages");
    let write = |v: &str| {
        std::fs::write(
            &list,
            format!("Package: libssl3\nSource: openssl\nVersion: {v}\nArchitecture: amd64\n\nbroken stanza\n"),
        )
        .unwrap()
    };
    let cache_files = || -> Vec<PathBuf> {
        // The cache's files but its CACHEDIR.TAG.
        std::fs::read_dir(d.join(".cache/caulk"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| !p.ends_with("CACHEDIR.TAG"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let installable = |r: &Value| {
        let rem = r["remediations"].as_array().unwrap();
        rem.iter().find(|m| m["package"] == "openssl").unwrap()["installable"]["version"].clone()
    };
    // --no-cache: no cache written (after a first scan that imports the database).
    write("3.0.17-1~deb12u3");
    stdout_of(d, &["--format", "json"]);
    let plain = stdout_of(
        d,
        &["--apt-lists", "lists", "--format", "json", "--no-cache"],
    );
    assert!(cache_files().is_empty(), "{:?}", cache_files());
    // First scan writes the cache; the second reads it and says the same, issues included.
    let first = stdout_of(d, &["--apt-lists", "lists", "--format", "json"]);
    assert_eq!(cache_files().len(), 1, "{:?}", cache_files());
    let second = stdout_of(d, &["--apt-lists", "lists", "--format", "json"]);
    assert_eq!(first, plain);
    assert_eq!(second, plain);
    let r: Value = serde_json::from_str(&second).unwrap();
    assert_eq!(installable(&r), "3.0.17-1~deb12u3");
    assert!(
        r["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["stage"] == "installability" && i["record"] == "stanza 2"),
        "the malformed stanza is still reported from the cache: {}",
        r["issues"]
    );
    // A new list (another size) is read again.
    write("3.0.17-1~deb12u10");
    let r: Value =
        serde_json::from_str(&stdout_of(d, &["--apt-lists", "lists", "--format", "json"])).unwrap();
    assert_eq!(installable(&r), "3.0.17-1~deb12u10");
}

/// Regression: apt lists compressed with lz4 (the default of many images, and of this
/// development machine) were ignored, so installability was silently "not checked".
#[test]
fn lz4_compressed_apt_lists_are_read() {
    use std::io::Write;
    let dir = fixture();
    let d = dir.path();
    let lists = d.join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    let text =
        "Package: libssl3\nSource: openssl\nVersion: 3.0.17-1~deb12u3\nArchitecture: amd64\n";
    let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
    enc.write_all(text.as_bytes()).unwrap();
    std::fs::write(
        lists.join(
            "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4",
        ),
        enc.finish().unwrap(),
    )
    .unwrap();
    let r = json_of(d, &["--apt-lists", "lists"]);
    let rem = r["remediations"].as_array().unwrap();
    let ossl = rem.iter().find(|m| m["package"] == "openssl").unwrap();
    assert_eq!(
        ossl["installable"],
        json!({"version": "3.0.17-1~deb12u3", "origin": "bookworm-security/main"})
    );
}

fn stdout_of(dir: &Path, extra: &[&str]) -> String {
    let out = scan(dir, extra).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn snapshot_table() {
    let dir = fixture();
    let d = dir.path();
    std::fs::write(
        d.join("caulk.toml"),
        "[asset]\ncriticality = \"high\"\n\n[[exception]]\nvulnerability = \"CVE-2020-26235\"\nreason = \"time 0.1 is not reachable from the API\"\nowner = \"app-team\"\nexpires = \"2026-12-31\"\n\n[[exception]]\npackage = \"zlib1g\"\nreason = \"waiting for upstream\"\nexpires = \"2026-11-01\"\n",
    )
    .unwrap();
    let table = stdout_of(d, &[]);
    let details = stdout_of(d, &["--details"]);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("scan_table", table);
        insta::assert_snapshot!("scan_table_details", details);
    });
}

#[test]
fn snapshot_json() {
    let dir = fixture();
    let d = dir.path();
    let out = stdout_of(d, &["--format", "json"]);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("scan_json", out);
    });
}

/// Issue 11, blocker 2: a target that could not be read never scans clean. An input named on
/// the command line that does not exist is an error before anything is read; one that was
/// read but gave nothing to check (a truncated or foreign SBOM, a malformed lockfile, a root
/// that is no host) still prints the report, says so on stderr, and exits 2 whatever
/// `--fail-on` says.
#[test]
fn unreadable_targets_never_scan_clean() {
    let dir = fixture();
    let d = dir.path();
    scan(d, &[]).assert().success();
    let cdx = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "left-pad", "version": "1.3.0",
         "purl": "pkg:npm/left-pad@1.3.0"}]})
    .to_string();
    std::fs::write(d.join("cut.cdx.json"), &cdx[..cdx.len() / 2]).unwrap();
    std::fs::write(
        d.join("cut.cdx.xml"),
        "<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"><components><component type=\"library\"><name>x</na",
    )
    .unwrap();
    std::fs::write(d.join("garbage.json"), "garbage").unwrap();
    std::fs::create_dir_all(d.join("lock")).unwrap();
    std::fs::write(
        d.join("lock/Cargo.lock"),
        "[[package]]\nname = \"time\"\nversion = \n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("empty-root")).unwrap();
    std::fs::write(d.join("a-file"), "").unwrap();
    let bad = |args: &[&str], says: &[&str]| {
        let mut c = caulk(d);
        c.arg("scan")
            .args(args)
            .args(["--db", "adv.db", "--today", TODAY, "--fail-on", "high"]);
        let a = c.assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        for s in says {
            assert!(err.contains(s), "{args:?}: {err}");
        }
    };
    // Named inputs that are not there: an error before the scan.
    bad(
        &["--sbom", "missing.json"],
        &["--sbom missing.json: no such file"],
    );
    bad(
        &["--path", "nonexistent"],
        &["--path nonexistent: no such directory"],
    );
    bad(&["--root", "nonexistent"], &["--root nonexistent"]);
    bad(&["--root", "a-file"], &["--root a-file: not a directory"]);
    // Read, but nothing to check.
    let incomplete = "the scan is incomplete: 1 input(s) gave nothing to check";
    bad(
        &["--sbom", "cut.cdx.json"],
        &["cut.cdx.json gave nothing to check: JSON", incomplete],
    );
    bad(
        &["--sbom", "cut.cdx.xml"],
        &["cut.cdx.xml gave nothing to check: XML", incomplete],
    );
    bad(
        &["--sbom", "garbage.json"],
        &[
            "garbage.json gave nothing to check: not a CycloneDX or SPDX document",
            incomplete,
        ],
    );
    bad(
        &["--path", "lock"],
        &["Cargo.lock gave nothing to check: TOML", incomplete],
    );
    bad(
        &["--root", "empty-root"],
        &[
            "--root empty-root gave nothing to check: no os-release and no package database",
            incomplete,
        ],
    );
    // Read, but not one package could be checked: a host root with an OS and no package
    // database, an SBOM of an ecosystem the database has no advisories for.
    std::fs::create_dir_all(d.join("os-only/etc")).unwrap();
    std::fs::write(
        d.join("os-only/etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )
    .unwrap();
    bad(
        &["--root", "os-only"],
        &["the target gave nothing to check: no packages were found in it"],
    );
    std::fs::write(d.join("npm.cdx.json"), &cdx).unwrap();
    bad(
        &["--sbom", "npm.cdx.json"],
        &[
            "not one of the target's 1 packages could be checked (npm)",
            "warning: the database has no osv/npm feed: 1 npm package(s) not checked",
        ],
    );
    // An SBOM read whole that declares nothing is an answer, not a lost input.
    std::fs::write(
        d.join("empty.cdx.json"),
        json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}).to_string(),
    )
    .unwrap();
    caulk(d)
        .args([
            "scan",
            "--sbom",
            "empty.cdx.json",
            "--db",
            "adv.db",
            "--today",
            TODAY,
        ])
        .args(["--fail-on", "high"])
        .assert()
        .code(0);
    // An Ubuntu host caulk cannot place (no release): every package skipped by matching.
    std::fs::create_dir_all(d.join("ubuntu-nover/etc")).unwrap();
    std::fs::create_dir_all(d.join("ubuntu-nover/var/lib/dpkg")).unwrap();
    std::fs::write(d.join("ubuntu-nover/etc/os-release"), "ID=ubuntu\n").unwrap();
    std::fs::write(
        d.join("ubuntu-nover/var/lib/dpkg/status"),
        "Package: bash\nStatus: install ok installed\nVersion: 5.1-6ubuntu1\nArchitecture: amd64\n\n",
    )
    .unwrap();
    bad(
        &["--root", "ubuntu-nover"],
        &["not one of the target's 1 packages could be checked"],
    );
    // A named input is checked before a mirror is imported: the database is not touched.
    let before = std::fs::read(d.join("adv.db")).unwrap();
    caulk(d)
        .args(["scan", "--sbom", "missing.json", "--feeds", "empty-root"])
        .args(["--db", "adv.db"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--sbom missing.json: no such file",
        ));
    assert!(std::fs::read(d.join("adv.db")).unwrap() == before);
    // A database whose advisories cannot be read (a table gone: what a damaged file or a
    // half-applied manual change gives) is not a clean answer.
    std::fs::copy(d.join("adv.db"), d.join("broken.db")).unwrap();
    rusqlite::Connection::open(d.join("broken.db"))
        .unwrap()
        .execute_batch("DROP TABLE affected;")
        .unwrap();
    let a = caulk(d)
        .args(["scan", "--inventory", "inv.json", "--db", "broken.db"])
        .args(["--today", TODAY])
        .assert();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    let status = a.get_output().status.code();
    assert_eq!(status, Some(2), "{err}");
    assert!(
        err.contains("broken.db gave nothing to check: advisories could not be read")
            && err.contains("no such table: affected"),
        "{err}"
    );
    // The report is still written: the issue is in it.
    let out = caulk(d)
        .args([
            "scan",
            "--sbom",
            "cut.cdx.json",
            "--db",
            "adv.db",
            "--today",
            TODAY,
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["issues"][0]["kind"], "bad-input", "{}", r["issues"]);
}

/// Issue 11, blocker 1: an empty source never replaces a database, and a database without
/// advisories is refused by the scan instead of answering "clean".
#[test]
fn an_empty_source_keeps_the_database_and_an_empty_database_is_refused() {
    let dir = fixture();
    let d = dir.path();
    scan(d, &[]).assert().success();
    let before = std::fs::read(d.join("adv.db")).unwrap();
    std::fs::create_dir_all(d.join("empty-mirror")).unwrap();
    caulk(d)
        .args(["db", "import", "--source", "empty-mirror", "--db", "adv.db"])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("no feed files")
                .and(predicates::str::contains("left as it was")),
        );
    assert!(
        std::fs::read(d.join("adv.db")).unwrap() == before,
        "the database changed"
    );
    caulk(d)
        .args([
            "scan",
            "--inventory",
            "inv.json",
            "--db",
            "adv.db",
            "--today",
            TODAY,
        ])
        .args(["--fail-on", "high"])
        .assert()
        .code(1);
    // A mirror with KEV only: a database that can check nothing.
    std::fs::create_dir_all(d.join("kev-only/kev")).unwrap();
    std::fs::copy(
        d.join("feeds/kev/known_exploited_vulnerabilities.json"),
        d.join("kev-only/kev/known_exploited_vulnerabilities.json"),
    )
    .unwrap();
    caulk(d)
        .args(["db", "import", "--source", "kev-only", "--db", "adv.db"])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("no advisories")
                .and(predicates::str::contains("left as it was")),
        );
    assert!(
        std::fs::read(d.join("adv.db")).unwrap() == before,
        "the database changed"
    );
    // A database that lost its advisory feeds anyway (edited by hand, an old caulk): the
    // scan refuses it.
    std::fs::copy(d.join("adv.db"), d.join("kev.db")).unwrap();
    rusqlite::Connection::open(d.join("kev.db"))
        .unwrap()
        .execute_batch("DELETE FROM feeds WHERE feed LIKE 'osv/%';")
        .unwrap();
    caulk(d)
        .args([
            "scan",
            "--inventory",
            "inv.json",
            "--db",
            "kev.db",
            "--today",
            TODAY,
        ])
        .args(["--fail-on", "high"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "has no advisories (no osv/ feed)",
        ));
}

/// Issue 11, item 12: `-o FILE`, `--severity`, `--ignore-unfixed`, colour.
#[test]
fn output_file_filters_and_colour() {
    let dir = fixture();
    let d = dir.path();
    let all: Value = serde_json::from_str(&stdout_of(d, &["--format", "json"])).unwrap();
    let n = all["findings"].as_array().unwrap().len();
    assert!(all.get("filter").is_none(), "no filter, no key");

    // -o: the report goes to the file, nothing to stdout; no temporary file is left.
    let a = scan(d, &["--format", "json", "-o", "out.json"])
        .assert()
        .success();
    assert!(a.get_output().stdout.is_empty());
    let written: Value =
        serde_json::from_slice(&std::fs::read(d.join("out.json")).unwrap()).unwrap();
    assert!(
        written["findings"] == all["findings"],
        "the file holds the report"
    );
    assert!(
        !std::fs::read_dir(d).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "a temporary file was left"
    );
    // `-` is stdout; a symlink is written through (the link stays); a FIFO (as /dev/null
    // would be, a device) is written in place, never replaced by a regular file.
    let out = scan(d, &["--format", "json", "-o", "-"]).output().unwrap();
    assert!(serde_json::from_slice::<Value>(&out.stdout).is_ok());
    std::fs::write(d.join("real.json"), "old").unwrap();
    std::os::unix::fs::symlink(d.join("real.json"), d.join("link.json")).unwrap();
    scan(d, &["--format", "json", "-o", "link.json"])
        .assert()
        .success();
    assert!(
        std::fs::symlink_metadata(d.join("link.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let through: Value =
        serde_json::from_slice(&std::fs::read(d.join("real.json")).unwrap()).unwrap();
    assert!(through["findings"] == all["findings"]);
    let fifo = d.join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    scan(d, &["--format", "json", "-o", "fifo"])
        .assert()
        .success();
    let got = reader.join().unwrap();
    assert!(serde_json::from_slice::<Value>(&got).is_ok());
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
    // A directory that does not exist: an error naming it, exit 2.
    scan(d, &["-o", "no/such/dir/out.txt"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--output no/such/dir/out.txt"));

    // --severity: only those findings, the rest counted as left out; --fail-on sees the
    // filtered report.
    let crit: Value = serde_json::from_str(&stdout_of(
        d,
        &["--format", "json", "--severity", "critical"],
    ))
    .unwrap();
    let kept = crit["findings"].as_array().unwrap();
    assert!(!kept.is_empty());
    assert!(kept.iter().all(|f| f["severity"] == "critical"));
    assert_eq!(
        crit["filter"]["hidden"].as_u64().unwrap() as usize,
        n - kept.len()
    );
    assert_eq!(crit["filter"]["severities"], json!(["critical"]));
    scan(d, &["--severity", "low", "--fail-on", "any"])
        .assert()
        .code(0);
    // --ignore-unfixed: no finding without a fix; the table says what was left out.
    let fixed: Value =
        serde_json::from_str(&stdout_of(d, &["--format", "json", "--ignore-unfixed"])).unwrap();
    let kept = fixed["findings"].as_array().unwrap();
    assert!(kept.len() < n);
    assert!(
        kept.iter()
            .all(|f| f["status"] != "unfixed" && f["status"] != "will-not-fix")
    );
    let table = stdout_of(d, &["--ignore-unfixed"]);
    assert!(
        table.contains("filtered: only findings with a fix;"),
        "{table}"
    );

    // Colour: never when asked, or by default into a pipe; always when asked, and NO_COLOR
    // does not override an explicit --color always.
    assert!(!stdout_of(d, &[]).contains('\x1b'));
    let coloured = stdout_of(d, &["--color", "always"]);
    assert!(coloured.contains("\x1b[1;31mact-now\x1b[0m"), "{coloured}");
    let mut c = scan(d, &["--color", "auto"]);
    c.env("NO_COLOR", "1");
    assert!(
        !String::from_utf8(c.output().unwrap().stdout)
            .unwrap()
            .contains('\x1b')
    );
}

/// Issue 11, item 12: a closed pipe (`caulk … | head`) ends quietly: exit 0, nothing on
/// stderr. The reading end is closed before the command starts, so its first write fails.
#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = fixture();
    let d = dir.path();
    scan(d, &[]).assert().success();
    for args in [
        &["db", "status", "--db", "adv.db"][..],
        &["inventory", "--format", "table"][..],
        &[
            "scan",
            "--inventory",
            "inv.json",
            "--db",
            "adv.db",
            "--today",
            TODAY,
        ][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("caulk"))
            .current_dir(d)
            .env("HOME", d)
            .env_remove("CAULK_DB")
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
}
