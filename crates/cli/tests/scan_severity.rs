//! Issue 11, "a scan an administrator can trust": severities that say where they come from
//! (CVSS from the advisory, NVD, or a vendor's rating in words), `unknown` when nothing
//! rates a finding, a USN's CVEs attributed per release (`cves_map`), and Ubuntu Pro hosts
//! matched against the Pro streams. Real Ubuntu records (`../shared/data/ubuntu`) and NVD
//! records (`../shared/data/nvd`) where they exist; small hand-written records modelled on
//! real ones for the rest.

#![allow(clippy::unwrap_used)]

mod common;

use assert_cmd::Command;
use common::write_zip;
use serde_json::{Value, json};
use std::path::Path;

const TODAY: &str = "2026-11-27";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A dpkg status paragraph of an installed binary.
fn dpkg(name: &str, source: &str, version: &str) -> String {
    format!(
        "Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nSource: {source}\nVersion: {version}\n\n"
    )
}

/// A root with an os-release and a dpkg status.
fn root(dir: &Path, os_release: &str, packages: &[String]) {
    write(&dir.join("root/etc/os-release"), os_release);
    write(&dir.join("root/var/lib/dpkg/status"), &packages.concat());
}

const FOCAL: &str =
    "NAME=\"Ubuntu\"\nVERSION_ID=\"20.04\"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=focal\n";
const BOOKWORM: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\nVERSION_CODENAME=bookworm\n";

fn scan_json(dir: &Path, target: &[&str]) -> Value {
    let out = Command::cargo_bin("caulk")
        .unwrap()
        .current_dir(dir)
        .env_remove("CAULK_DB")
        .env("HOME", dir)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("CAULK_CACHE_DIR")
        .args([
            "scan", "--feeds", "feeds", "--db", "adv.db", "--today", TODAY,
        ])
        .args(["--format", "json"])
        .args(target)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn findings<'a>(r: &'a Value, pkg: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"]["name"] == pkg)
        .collect()
}

fn vulns(r: &Value, pkg: &str) -> Vec<String> {
    let mut v: Vec<String> = findings(r, pkg)
        .iter()
        .map(|f| f["vulnerability"]["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn finding<'a>(r: &'a Value, pkg: &str, vuln: &str) -> &'a Value {
    findings(r, pkg)
        .into_iter()
        .find(|f| f["vulnerability"]["id"] == vuln)
        .unwrap_or_else(|| panic!("no finding {pkg} {vuln}: {:?}", vulns(r, pkg)))
}

fn reasons(f: &Value) -> Vec<&str> {
    f["priority"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

/// The real Ubuntu sample as the mirror's `osv/Ubuntu/all.zip`; `None` (after a loud skip)
/// without the shared data.
fn ubuntu_mirror(dir: &Path) -> Option<()> {
    let zip = caulk_testkit::data("ubuntu/osv-sample.zip")?;
    std::fs::create_dir_all(dir.join("feeds/osv/Ubuntu")).unwrap();
    std::fs::copy(zip, dir.join("feeds/osv/Ubuntu/all.zip")).unwrap();
    Some(())
}

/// Item 8: USN-5844-1 names 8 openssl CVEs in `upstream`, but its 20.04 entry's `cves_map`
/// lists 4: a 20.04 host has 4 findings per binary, not 8. USN-5811-1's 22.04-only sudo CVE
/// (CVE-2022-33070) is not a 20.04 finding.
#[test]
fn a_usn_gives_a_release_only_the_cves_of_its_map() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    if ubuntu_mirror(d).is_none() {
        return;
    }
    root(
        d,
        FOCAL,
        &[
            dpkg("libssl1.1", "openssl", "1.1.1f-1ubuntu2.16"),
            dpkg("openssl", "openssl", "1.1.1f-1ubuntu2.16"),
            dpkg("sudo", "sudo", "1.8.31-1ubuntu1.2"),
        ],
    );
    let r = scan_json(d, &["--root", "root"]);
    let four = [
        "CVE-2022-4304",
        "CVE-2022-4450",
        "CVE-2023-0215",
        "CVE-2023-0286",
    ];
    assert_eq!(vulns(&r, "libssl1.1"), four);
    assert_eq!(vulns(&r, "openssl"), four);
    assert_eq!(vulns(&r, "sudo"), ["CVE-2023-22809"]);
    // The ids are the CVEs (the notice names `UBUNTU-CVE-…`), and the notice is the advisory.
    let f = finding(&r, "libssl1.1", "CVE-2023-0286");
    assert_eq!(f["advisory_ids"], json!(["USN-5844-1"]));
    assert_eq!(f["fixed_version"], "1.1.1f-1ubuntu2.17");
}

/// Item 3 on the real Ubuntu records: the per-CVE CVSS and Ubuntu priority of the matching
/// entry's map are the finding's scores, each named with its source; where the CVSS band
/// and the priority disagree the built-in policy takes the vendor's rating.
#[test]
fn ubuntu_priorities_rate_findings_with_their_source() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    if ubuntu_mirror(d).is_none() {
        return;
    }
    root(
        d,
        FOCAL,
        &[
            dpkg("libssl1.1", "openssl", "1.1.1f-1ubuntu2.16"),
            dpkg("sudo", "sudo", "1.8.31-1ubuntu1.2"),
            dpkg("curl", "curl", "7.68.0-1ubuntu2.18"),
        ],
    );
    let r = scan_json(d, &["--root", "root"]);

    // Agreement: CVSS 7.4 (high) from the map, Ubuntu priority high.
    let f = finding(&r, "libssl1.1", "CVE-2023-0286");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["severity_source"], "cvss");
    assert_eq!(f["cvss"]["score"], 7.4);
    assert_eq!(f["cvss"]["source"], "osv:USN-5844-1");
    assert_eq!(
        f["vendor_severity"],
        json!({"severity": "high", "label": "high", "kind": "Ubuntu priority",
               "source": "osv:USN-5844-1"})
    );
    assert!(
        reasons(f).contains(&"Ubuntu priority (high) in USN-5844-1 agrees: high"),
        "{:?}",
        reasons(f)
    );

    // Disagreement: CVSS 7.8 (high) but Ubuntu says medium; the policy prefers the vendor.
    let f = finding(&r, "sudo", "CVE-2023-22809");
    assert_eq!(f["severity"], "medium", "{:?}", reasons(f));
    assert_eq!(f["severity_source"], "vendor");
    assert_eq!(f["cvss"]["score"], 7.8);
    assert_eq!(f["vendor_severity"]["label"], "medium");
    assert_eq!(f["vendor_severity"]["source"], "osv:USN-5811-1");
    assert_eq!(f["priority"]["sla_days"], 90);
    assert!(
        reasons(f).iter().any(|x| x.starts_with(
            "severity medium from Ubuntu priority (medium) in USN-5811-1 over CVSS high"
        )),
        "{:?}",
        reasons(f)
    );

    // Ubuntu's `low` for two curl CVEs whose CVSS bands are medium (5.9) and medium (5.3).
    let f = finding(&r, "curl", "CVE-2023-28321");
    assert_eq!(
        (&f["severity"], &f["severity_source"]),
        (&json!("low"), &json!("vendor"))
    );
    assert_eq!(r["summary"]["by_severity"]["unknown"], 0);
}

/// Item 3: Debian's records carry no score: the finding says `unknown` (not `none`, CVSS
/// 0.0's band), counts under `by_severity.unknown`, and the reasons say what it is treated
/// as; the table says `unknown` too.
#[test]
fn a_finding_nothing_rates_is_unknown_not_none() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_zip(
        &d.join("feeds/osv/Debian/all.zip"),
        &[
            json!({"id": "DLA-9002-1", "modified": "2026-11-10T00:00:00Z",
                 "published": "2026-11-10T00:00:00Z", "upstream": ["CVE-2026-1111"],
                 "affected": [{"package": {"ecosystem": "Debian:12", "name": "zlib"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}),
        ],
    );
    root(d, BOOKWORM, &[dpkg("zlib1g", "zlib", "1:1.2.13.dfsg-1")]);
    let r = scan_json(d, &["--root", "root"]);
    let f = finding(&r, "zlib1g", "CVE-2026-1111");
    assert_eq!(f["severity"], "unknown");
    assert_eq!(f["severity_source"], Value::Null);
    assert_eq!(f["vendor_severity"], Value::Null);
    assert_eq!(
        reasons(f)[0],
        "severity unknown: no CVSS score and no vendor rating known; treated as medium (score 5)"
    );
    assert_eq!(r["summary"]["by_severity"]["unknown"], 1);
    assert_eq!(r["summary"]["by_severity"]["none"], 0);
    assert_eq!(r["remediations"], json!([]));

    let table = Command::cargo_bin("caulk")
        .unwrap()
        .current_dir(d)
        .env("COLUMNS", "160")
        .env("HOME", d)
        .env_remove("CAULK_DB")
        .args([
            "scan", "--feeds", "feeds", "--db", "adv.db", "--today", TODAY,
        ])
        .args(["--root", "root"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    let row = text
        .lines()
        .find(|l| l.contains("CVE-2026-1111"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("unknown"), "{row}");
}

/// Item 3: the NVD records of a mirror's `nvd/` folder (API 2.0, one bare `cve` object per
/// line, gzipped) score the Debian findings of their CVEs, named `nvd:<source>`; a CVE NVD
/// has no metrics for stays unknown.
#[test]
fn nvd_records_score_findings_of_their_cves() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let Some(nvd) = caulk_testkit::data("nvd/nvd-api-2.0-host-sample.jsonl.gz") else {
        return;
    };
    std::fs::create_dir_all(d.join("feeds/nvd")).unwrap();
    std::fs::copy(nvd, d.join("feeds/nvd/host-sample.jsonl.gz")).unwrap();
    let rec = |id: &str, cve: &str, src: &str| {
        json!({"id": id, "modified": "2026-11-10T00:00:00Z", "aliases": [cve],
               "affected": [{"package": {"ecosystem": "Debian:12", "name": src},
                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]})
    };
    write_zip(
        &d.join("feeds/osv/Debian/all.zip"),
        &[
            rec("x_DEBCHG-CVE-2025-6020", "CVE-2025-6020", "pam"),
            rec("x_DEBCHG-CVE-2023-52452", "CVE-2023-52452", "linux"),
        ],
    );
    root(
        d,
        BOOKWORM,
        &[
            dpkg("libpam-modules", "pam", "1.5.2-6+deb12u1"),
            dpkg("linux-libc-dev", "linux", "6.1.129-1"),
        ],
    );
    let r = scan_json(d, &["--root", "root"]);
    let f = finding(&r, "libpam-modules", "CVE-2025-6020");
    assert_eq!(f["severity_source"], "cvss");
    assert!(
        f["cvss"]["source"].as_str().unwrap().starts_with("nvd:"),
        "{}",
        f["cvss"]
    );
    assert_eq!(f["severity"], f["cvss"]["severity"]);
    let f = finding(&r, "linux-libc-dev", "CVE-2023-52452");
    assert_eq!(f["severity"], "unknown");
}

/// Item 3: an AlmaLinux erratum's summary carries Red Hat's impact (`Important:`): the
/// finding is rated high from it, scored as the policy's CVSS for high, not as unknown.
#[test]
fn an_almalinux_summary_rates_its_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_zip(
        &d.join("feeds/osv/AlmaLinux/all.zip"),
        &[
            json!({"id": "ALSA-2024:0265", "modified": "2024-02-01T00:00:00Z",
                 "published": "2024-01-29T00:00:00Z",
                 "summary": "Important: openssh security update",
                 "upstream": ["CVE-2023-48795", "CVE-2023-51385"],
                 "affected": [{"package": {"ecosystem": "AlmaLinux:9", "name": "openssh"},
                   "ranges": [{"type": "ECOSYSTEM",
                     "events": [{"introduced": "0"}, {"fixed": "8.7p1-34.el9_3.3"}]}]}]}),
        ],
    );
    let inv = json!({"format_version": 1,
        "host": {"os": {"id": "almalinux", "version_id": "9.3", "ecosystem": "AlmaLinux:9"}},
        "packages": [{"ecosystem": "AlmaLinux:9", "name": "openssh", "version": "8.7p1-34.el9",
                      "arch": "x86_64", "source_name": "openssh", "source_version": "8.7p1-34.el9",
                      "file": "rpmdb.sqlite", "state": "installed", "collector": "rpm"}]});
    write(&d.join("inv.json"), &inv.to_string());
    let r = scan_json(d, &["--inventory", "inv.json"]);
    let f = finding(&r, "openssh", "CVE-2023-48795");
    assert_eq!(
        f["vendor_severity"],
        json!({"severity": "high", "label": "Important", "kind": "AlmaLinux severity",
               "source": "osv:ALSA-2024:0265"})
    );
    assert_eq!(
        (&f["severity"], &f["severity_source"]),
        (&json!("high"), &json!("vendor"))
    );
    assert_eq!(f["priority"]["sla_days"], 30);
    assert!(
        reasons(f)[0].starts_with(
            "severity high from AlmaLinux severity (Important) in ALSA-2024:0265; no CVSS score known: scored as CVSS 8.0"
        ),
        "{:?}",
        reasons(f)
    );
}

/// Item 3: a vulnerability merged from several records takes its scores from all of them: a
/// DSA (no score) matched, the GHSA of the same CVE gives the CVSS, the UBUNTU-CVE record
/// (current layout: `severity[]` type `Ubuntu`) the vendor rating; a GHSA's own
/// `database_specific.severity` rates a PyPI finding that has no vector.
#[test]
fn a_merged_vulnerability_takes_scores_from_every_record() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_zip(
        &d.join("feeds/osv/Debian/all.zip"),
        &[
            json!({"id": "DSA-9100-1", "modified": "2026-11-10T00:00:00Z",
                 "upstream": ["CVE-2026-2001"],
                 "affected": [{"package": {"ecosystem": "Debian:12", "name": "python-urllib3"},
                   "ranges": [{"type": "ECOSYSTEM",
                     "events": [{"introduced": "0"}, {"fixed": "1.26.12-1+deb12u2"}]}]}]}),
        ],
    );
    write_zip(
        &d.join("feeds/osv/PyPI/all.zip"),
        &[
            json!({"id": "GHSA-aaaa-bbbb-cccc", "modified": "2026-11-01T00:00:00Z",
                   "aliases": ["CVE-2026-2001"],
                   "severity": [{"type": "CVSS_V3",
                                 "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N"}],
                   "database_specific": {"severity": "MODERATE", "github_reviewed": true},
                   "affected": [{"package": {"ecosystem": "PyPI", "name": "urllib3"},
                     "ranges": [{"type": "ECOSYSTEM",
                       "events": [{"introduced": "0"}, {"fixed": "2.2.2"}]}]}]}),
            json!({"id": "GHSA-dddd-eeee-ffff", "modified": "2026-11-01T00:00:00Z",
                   "aliases": ["CVE-2026-2002"],
                   "database_specific": {"severity": "HIGH", "cwe_ids": ["CWE-20"]},
                   "affected": [{"package": {"ecosystem": "PyPI", "name": "urllib3"},
                     "ranges": [{"type": "ECOSYSTEM",
                       "events": [{"introduced": "0"}, {"fixed": "2.2.3"}]}]}]}),
        ],
    );
    write_zip(
        &d.join("feeds/osv/Ubuntu/all.zip"),
        &[
            json!({"schema_version": "1.7.0", "id": "UBUNTU-CVE-2026-2001",
                 "modified": "2026-11-01T00:00:00Z", "upstream": ["CVE-2026-2001"],
                 "severity": [{"type": "Ubuntu", "score": "low"}],
                 "affected": [{"package": {"ecosystem": "Ubuntu:24.04:LTS",
                                           "name": "python-urllib3"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}),
        ],
    );
    let inv = json!({"format_version": 1,
        "host": {"os": {"id": "debian", "version_id": "12", "ecosystem": "Debian:12"}},
        "packages": [
            {"ecosystem": "Debian:12", "name": "python3-urllib3", "version": "1.26.12-1",
             "arch": "all", "source_name": "python-urllib3", "source_version": "1.26.12-1",
             "file": "status", "state": "installed", "collector": "dpkg"},
            {"ecosystem": "PyPI", "name": "urllib3", "version": "2.0.0",
             "file": "requirements.txt", "state": "declared", "collector": "lockfile"}]});
    write(&d.join("inv.json"), &inv.to_string());
    let r = scan_json(d, &["--inventory", "inv.json"]);

    let f = finding(&r, "python3-urllib3", "CVE-2026-2001");
    assert_eq!(f["advisory_ids"], json!(["DSA-9100-1"]));
    assert_eq!(f["cvss"]["source"], "osv:GHSA-aaaa-bbbb-cccc");
    // Other records rate it (GitHub for the PyPI package, Ubuntu for Ubuntu's build): their
    // words do not rate Debian's package; the CVSS vector of the vulnerability does.
    assert_eq!(f["vendor_severity"], Value::Null);
    assert_eq!(
        (&f["severity"], &f["severity_source"]),
        (&json!("medium"), &json!("cvss"))
    );

    // The PyPI finding of the same CVE: same scores.
    let f = finding(&r, "urllib3", "CVE-2026-2001");
    assert_eq!(f["severity"], "medium");
    // No vector, only GitHub's word.
    let f = finding(&r, "urllib3", "CVE-2026-2002");
    assert_eq!(
        (
            &f["severity"],
            &f["severity_source"],
            &f["vendor_severity"]["label"]
        ),
        (&json!("high"), &json!("vendor"), &json!("HIGH"))
    );
    assert_eq!(f["cvss"], Value::Null);
}

const XENIAL: &str = "NAME=\"Ubuntu\"\nVERSION=\"16.04.7 LTS (Xenial Xerus)\"\nVERSION_ID=\"16.04\"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=xenial\n";

/// The Pro client's status cache of an attached machine with ESM Infra enabled (the shape
/// of client 27+).
const PRO_STATUS: &str = r#"{"_schema_version": "0.1", "attached": true,
  "services": [{"name": "esm-apps", "entitled": "yes", "status": "disabled"},
               {"name": "esm-infra", "entitled": "yes", "status": "enabled"},
               {"name": "fips", "entitled": "yes", "status": "n/a"}]}"#;

/// Item 10: 16.04 gets its fixes only in the `Ubuntu:Pro:16.04:LTS` stream. A Pro host
/// (status file under `/var/lib/ubuntu-advantage/`) is matched against it: tar and sudo
/// below their `+esm` fixes are findings, fixed in the `+esm` version; an installed `+esm`
/// fix is judged against the Pro stream and is no finding. The inventory says which
/// services are enabled.
#[test]
fn a_pro_host_is_matched_against_the_pro_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    if ubuntu_mirror(d).is_none() {
        return;
    }
    root(
        d,
        XENIAL,
        &[
            dpkg("tar", "tar", "1.28-2.1ubuntu0.1"),
            dpkg("sudo", "sudo", "1.8.16-0ubuntu1.10+esm1"),
        ],
    );
    write(
        &d.join("root/var/lib/ubuntu-advantage/status.json"),
        PRO_STATUS,
    );
    let r = scan_json(d, &["--root", "root"]);
    assert_eq!(
        r["target"]["host"]["os"]["ubuntu_pro"],
        json!({"attached": true, "enabled": ["esm-infra"],
               "file": "/var/lib/ubuntu-advantage/status.json"})
    );
    let f = finding(&r, "tar", "CVE-2022-48303");
    assert_eq!(f["fixed_version"], "1.28-2.1ubuntu0.2+esm2");
    assert_eq!(
        f["advisory_ids"],
        json!(["UBUNTU-CVE-2022-48303", "USN-5900-1"])
    );
    assert!(
        f["provenance"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["ecosystem"] == "Ubuntu:Pro:16.04:LTS"),
        "{}",
        f["provenance"]
    );
    assert_eq!(
        r["remediations"][0]["id"],
        "Ubuntu:16.04:LTS/tar@1.28-2.1ubuntu0.2+esm2"
    );
    // The installed `+esm1` sudo has the Pro fix.
    assert_eq!(vulns(&r, "sudo"), Vec::<String>::new());

    // Without Pro the host is not matched against the Pro streams.
    std::fs::remove_file(d.join("root/var/lib/ubuntu-advantage/status.json")).unwrap();
    let r = scan_json(d, &["--root", "root"]);
    assert_eq!(r["target"]["host"]["os"]["ubuntu_pro"], Value::Null);
    assert_eq!(vulns(&r, "tar"), Vec::<String>::new());
}
