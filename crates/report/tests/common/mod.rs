//! The fixture every renderer test reads: a deterministic scan of a Debian 12 host with a
//! Python and a Rust project on it, built in code (no I/O), covering each case a renderer
//! maps differently — a fixed KEV finding, one source package with two affected binaries, an
//! unfixed finding whose exception expired, a language package with a CVSS 4.0 score, a
//! finding suppressed by an exception, a will-not-fix and a not-affected distro verdict, a
//! low-confidence match, and a finding from an informational advisory (an unmaintained
//! crate) — plus scan issues and a stale exception.

#![allow(dead_code)]

use caulk_model::advisory::{CvssVersion, Severity};
use caulk_model::finding::*;
use caulk_model::inventory::{Host, OsInfo};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

pub const TODAY: &str = "2026-11-27";

fn cvss(version: CvssVersion, vector: &str, score: f64, severity: Severity, source: &str) -> Cvss {
    Cvss {
        version,
        vector: vector.into(),
        score,
        severity,
        source: source.into(),
    }
}

fn deb(name: &str, version: &str, source: &str, purl: bool) -> FindingPackage {
    let upstream = if source != name {
        format!("&upstream={source}")
    } else {
        String::new()
    };
    FindingPackage {
        name: name.into(),
        version: version.into(),
        ecosystem: "Debian:12".into(),
        source_name: Some(source.into()),
        source_version: Some(version.into()),
        purl: purl.then(|| {
            format!(
                "pkg:deb/debian/{name}@{}?arch=amd64&distro=debian-12{upstream}",
                version.replace('+', "%2B").replace(':', "%3A")
            )
        }),
        file: Some("/var/lib/dpkg/status".into()),
        arch: Some("amd64".into()),
    }
}

fn prov(
    advisory: &str,
    eco: &str,
    name: &str,
    by: MatchedBy,
    compared: &str,
    fixed: Option<&str>,
    scheme: &str,
) -> Provenance {
    Provenance {
        advisory: advisory.into(),
        feed: format!("osv/{}", eco.split(':').next().unwrap_or(eco)),
        file: format!("{advisory}.json"),
        ecosystem: eco.into(),
        matched_name: name.into(),
        matched_by: by,
        compared_version: compared.into(),
        range: match fixed {
            Some(f) => format!("range 0 (ECOSYSTEM): introduced 0 <= version < fixed {f}"),
            None => "range 0 (ECOSYSTEM): introduced 0 <= version".into(),
        },
        fixed_version: fixed.map(Into::into),
        scheme: scheme.into(),
    }
}

/// A fixture date.
pub fn day(s: &str) -> caulk_model::Day {
    s.parse().expect("fixture date")
}

fn priority(
    score: f64,
    decision: Decision,
    due: Option<&str>,
    origin: Option<&str>,
    sla: Option<u32>,
    overdue: bool,
    reasons: &[&str],
) -> Arc<Priority> {
    Arc::new(Priority {
        score,
        decision,
        reasons: reasons.iter().map(|s| s.to_string()).collect(),
        due_date: due.map(day),
        sla_days: sla,
        due_date_origin: origin.map(|o| serde_json::from_value(o.into()).expect("origin")),
        overdue,
    })
}

fn high() -> Confidence {
    Confidence {
        level: ConfidenceLevel::High,
        reasons: vec![],
    }
}

fn finding(package: FindingPackage, id: &str, aliases: &[&str], advisories: &[&str]) -> Finding {
    Finding {
        package: Arc::new(package),
        vulnerability: VulnerabilityRef {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
        },
        advisory_ids: advisories.iter().map(|s| s.to_string()).collect(),
        informational: None,
        summary: None,
        status: Status::Fixed,
        fixed_version: None,
        cvss: None,
        severity: Severity::Unknown,
        severity_source: None,
        vendor_severity: None,
        epss: None,
        kev: None,
        priority: Arc::default(),
        provenance: Arc::new([]),
        confidence: high(),
        suppression: None,
        remediation: None,
    }
}

pub fn findings() -> Vec<Finding> {
    let mut out = Vec::new();

    // 1. glibc: fixed, in KEV, act-now, overdue (the KEV due date won).
    let mut f = finding(
        deb("libc6", "2.36-9+deb12u1", "glibc", true),
        "CVE-2023-4911",
        &["DSA-5514-1"],
        &["DSA-5514-1"],
    );
    f.summary = Some("glibc - security update".into());
    f.fixed_version = Some("2.36-9+deb12u3".into());
    f.cvss = Some(cvss(
        CvssVersion::V3_1,
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        7.8,
        Severity::High,
        "nvd:nvd@nist.gov",
    ));
    f.severity = Severity::High;
    f.epss = Some(Epss {
        score: 0.90524,
        percentile: 0.99597,
        date: Some("2025-03-19T00:00:00+0000".into()),
        model_version: Some("v2025.03.14".into()),
    });
    f.kev = Some(Kev {
        cve_id: "CVE-2023-4911".into(),
        date_added: "2023-11-21".into(),
        due_date: "2023-12-12".into(),
        known_ransomware_campaign_use: "Unknown".into(),
        vulnerability_name: "GNU C Library Buffer Overflow Vulnerability".into(),
        required_action: "Apply mitigations per vendor instructions.".into(),
    });
    f.priority = priority(
        100.0,
        Decision::ActNow,
        Some("2023-12-12"),
        Some("kev"),
        Some(30),
        true,
        &[
            "CVSS 3.1 7.8 (high) from nvd:nvd@nist.gov",
            "CVE-2023-4911 is in CISA KEV since 2023-11-21 (federal due date 2023-12-12)",
            "act-now: rule 1 of caulk-default-v1: exploited in the wild (CISA KEV)",
            "overdue by 1081 days",
        ],
    );
    f.provenance = Arc::new([prov(
        "DSA-5514-1",
        "Debian:12",
        "glibc",
        MatchedBy::Source,
        "2.36-9+deb12u1",
        Some("2.36-9+deb12u3"),
        "dpkg",
    )]);
    f.remediation = Some("Debian:12/glibc@2.36-9+deb12u3".into());
    out.push(f);

    // 2, 3. openssl: one source, two affected binaries, critical CVSS, out-of-cycle.
    for bin in ["libssl3", "openssl"] {
        let mut f = finding(
            deb(bin, "3.0.15-1~deb12u1", "openssl", true),
            "CVE-2025-0001",
            &["DSA-9001-1", "x_DEBCHG-CVE-2025-0001"],
            &["DSA-9001-1", "x_DEBCHG-CVE-2025-0001"],
        );
        f.summary = Some("openssl - security update".into());
        f.fixed_version = Some("3.0.17-1~deb12u2".into());
        f.cvss = Some(cvss(
            CvssVersion::V3_1,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            9.8,
            Severity::Critical,
            "osv:DSA-9001-1",
        ));
        f.severity = Severity::Critical;
        f.epss = Some(Epss {
            score: 0.001,
            percentile: 0.2,
            date: Some("2025-03-19T00:00:00+0000".into()),
            model_version: None,
        });
        f.priority = priority(
            62.8,
            Decision::OutOfCycle,
            Some("2026-10-30"),
            Some("vendor-release"),
            Some(15),
            true,
            &[
                "CVSS 3.1 9.8 (critical) from osv:DSA-9001-1",
                "out-of-cycle: rule 5 of caulk-default-v1: critical severity on a reachable asset",
                "due 2026-10-30: critical SLA of 15 days from vendor release 2026-10-15",
            ],
        );
        f.provenance = Arc::new([
            prov(
                "DSA-9001-1",
                "Debian:12",
                "openssl",
                MatchedBy::Source,
                "3.0.15-1~deb12u1",
                Some("3.0.17-1~deb12u2"),
                "dpkg",
            ),
            prov(
                "x_DEBCHG-CVE-2025-0001",
                "Debian:12",
                "openssl",
                MatchedBy::Source,
                "3.0.15-1~deb12u1",
                Some("3.0.17-1~deb12u1"),
                "dpkg",
            ),
        ]);
        f.remediation = Some("Debian:12/openssl@3.0.17-1~deb12u2".into());
        out.push(f);
    }

    // 4. zlib: unfixed, no CVSS but a vendor's rating in words, its exception expired
    // (active again); no purl recorded.
    let mut f = finding(
        deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", false),
        "CVE-2026-1111",
        &[],
        &["DLA-9002-1"],
    );
    f.status = Status::Unfixed;
    f.severity = Severity::Low;
    f.severity_source = Some(caulk_model::finding::SeveritySource::Vendor);
    f.vendor_severity = Some(caulk_model::finding::VendorSeverity {
        severity: Severity::Low,
        label: "unimportant".into(),
        kind: "Debian urgency".into(),
        source: "osv:DLA-9002-1".into(),
    });
    f.priority = priority(
        40.0,
        Decision::Scheduled,
        Some("2027-02-25"),
        Some("vendor-release"),
        Some(90),
        false,
        &[
            "severity low from Debian urgency (unimportant) in DLA-9002-1; no CVSS score known: scored as CVSS 2.0, the policy's score for low",
            "scheduled: rule 9 of caulk-default-v1",
        ],
    );
    f.provenance = Arc::new([prov(
        "DLA-9002-1",
        "Debian:12",
        "zlib",
        MatchedBy::Source,
        "1:1.2.13.dfsg-1",
        None,
        "dpkg",
    )]);
    f.suppression = Some(Suppression {
        state: SuppressionState::Expired,
        exception: 1,
        vulnerability: Some("CVE-2026-1111".into()),
        package: None,
        informational: None,
        reason: "waiting for upstream".into(),
        owner: None,
        expires: Some("2026-11-01".into()),
        note: Some("exception expired on 2026-11-01: the finding is active again".into()),
    });
    out.push(f);

    // 5. A PyPI package in a requirements file: CVSS 4.0, no CVE, markup in the summary.
    let mut f = finding(
        FindingPackage {
            name: "JW_Util".into(),
            version: "1.2".into(),
            ecosystem: "PyPI".into(),
            source_name: None,
            source_version: None,
            purl: Some("pkg:pypi/jw-util@1.2".into()),
            file: Some("app/requirements.txt".into()),
            arch: None,
        },
        "GHSA-2222-3333-4444",
        &["PYSEC-2024-99"],
        &["GHSA-2222-3333-4444", "PYSEC-2024-99"],
    );
    f.summary = Some("Unsafe *YAML* loading in <JW_Util> | config parser".into());
    f.fixed_version = Some("1.3".into());
    f.cvss = Some(cvss(
        CvssVersion::V4,
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
        6.9,
        Severity::Medium,
        "osv:GHSA-2222-3333-4444",
    ));
    f.severity = Severity::Medium;
    f.priority = priority(
        40.0,
        Decision::Scheduled,
        Some("2026-08-30"),
        Some("vendor-release"),
        Some(90),
        true,
        &[
            "CVSS 4.0 6.9 (medium) from osv:GHSA-2222-3333-4444",
            "scheduled: rule 8 of caulk-default-v1",
        ],
    );
    f.provenance = Arc::new([prov(
        "GHSA-2222-3333-4444",
        "PyPI",
        "jw-util",
        MatchedBy::Name,
        "1.2",
        Some("1.3"),
        "pep440",
    )]);
    f.confidence = Confidence {
        level: ConfidenceLevel::Medium,
        reasons: vec!["declared in a lockfile, not seen installed".into()],
    };
    f.remediation = Some("PyPI/JW_Util@1.3 in app/requirements.txt".into());
    out.push(f);

    // 6. A crate suppressed by an exception (owner, expiry).
    let mut f = finding(
        FindingPackage {
            name: "time".into(),
            version: "0.1.45".into(),
            ecosystem: "crates.io".into(),
            source_name: None,
            source_version: None,
            purl: Some("pkg:cargo/time@0.1.45".into()),
            file: Some("Cargo.lock".into()),
            arch: None,
        },
        "CVE-2020-26235",
        &["GHSA-wcg3-cvx6-7396", "RUSTSEC-2020-0071"],
        &["GHSA-wcg3-cvx6-7396", "RUSTSEC-2020-0071"],
    );
    f.summary = Some("Potential segfault in the time crate".into());
    f.fixed_version = Some("0.2.23".into());
    f.cvss = Some(cvss(
        CvssVersion::V3_1,
        "CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
        6.2,
        Severity::Medium,
        "osv:GHSA-wcg3-cvx6-7396",
    ));
    f.severity = Severity::Medium;
    f.priority = priority(
        31.0,
        Decision::Scheduled,
        Some("2021-02-08"),
        Some("vendor-release"),
        Some(90),
        true,
        &["CVSS 3.1 6.2 (medium) from osv:GHSA-wcg3-cvx6-7396"],
    );
    f.provenance = Arc::new([prov(
        "RUSTSEC-2020-0071",
        "crates.io",
        "time",
        MatchedBy::Name,
        "0.1.45",
        Some("0.2.23"),
        "semver",
    )]);
    f.confidence = Confidence {
        level: ConfidenceLevel::Medium,
        reasons: vec!["declared in a lockfile, not seen installed".into()],
    };
    f.suppression = Some(Suppression {
        state: SuppressionState::Suppressed,
        exception: 0,
        vulnerability: Some("CVE-2020-26235".into()),
        package: Some("time".into()),
        informational: None,
        reason: "time 0.1 is not reachable from the API".into(),
        owner: Some("app-team".into()),
        expires: Some("2026-12-31".into()),
        note: None,
    });
    out.push(f);

    // 7. A distro will-not-fix verdict, CVSS 2.0, a summary that looks like a formula.
    let mut f = finding(
        deb("libtiff6", "4.5.0-6+deb12u1", "tiff", true),
        "CVE-2023-6277",
        &["DEBIAN-CVE-2023-6277"],
        &["DEBIAN-CVE-2023-6277"],
    );
    f.summary = Some("-- crafted TIFF file leads to excessive memory use".into());
    f.status = Status::WillNotFix;
    f.cvss = Some(cvss(
        CvssVersion::V2,
        "AV:N/AC:M/Au:N/C:N/I:N/A:P",
        4.3,
        Severity::Medium,
        "nvd:nvd@nist.gov",
    ));
    f.severity = Severity::Medium;
    f.priority = priority(
        27.5,
        Decision::Defer,
        None,
        None,
        None,
        false,
        &["the distribution will not fix it (no-dsa): no SLA clock runs"],
    );
    f.provenance = Arc::new([prov(
        "DEBIAN-CVE-2023-6277",
        "Debian:12",
        "tiff",
        MatchedBy::Source,
        "4.5.0-6+deb12u1",
        None,
        "dpkg",
    )]);
    out.push(f);

    // 8. A low-confidence match (source match without a known source version).
    let mut f = finding(
        deb("perl-base", "5.36.0-7", "perl", true),
        "CVE-2023-47038",
        &["DSA-5580-1"],
        &["DSA-5580-1"],
    );
    Arc::make_mut(&mut f.package).source_version = None;
    f.summary = Some("perl - security update".into());
    f.fixed_version = Some("5.36.0-7+deb12u1".into());
    f.cvss = Some(cvss(
        CvssVersion::V3_1,
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        7.8,
        Severity::High,
        "nvd:secalert@redhat.com",
    ));
    f.severity = Severity::High;
    f.priority = priority(
        44.8,
        Decision::OutOfCycle,
        Some("2026-12-01"),
        Some("vendor-release"),
        Some(30),
        false,
        &["CVSS 3.1 7.8 (high) from nvd:secalert@redhat.com"],
    );
    f.provenance = Arc::new([prov(
        "DSA-5580-1",
        "Debian:12",
        "perl",
        MatchedBy::Source,
        "5.36.0-7",
        Some("5.36.0-7+deb12u1"),
        "dpkg",
    )]);
    f.confidence = Confidence {
        level: ConfidenceLevel::Low,
        reasons: vec!["matched by source name perl without a recorded source version".into()],
    };
    f.remediation = Some("Debian:12/perl@5.36.0-7+deb12u1".into());
    out.push(f);

    // 9. A distro not-affected verdict.
    let mut f = finding(
        deb("libxml2", "2.9.14+dfsg-1.3~deb12u1", "libxml2", true),
        "CVE-2024-25062",
        &[],
        &["DEBIAN-CVE-2024-25062"],
    );
    f.status = Status::NotAffected;
    f.cvss = Some(cvss(
        CvssVersion::V3_1,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        7.5,
        Severity::High,
        "nvd:nvd@nist.gov",
    ));
    f.severity = Severity::High;
    f.priority = priority(
        0.0,
        Decision::Defer,
        None,
        None,
        None,
        false,
        &["the distribution states this package is not affected: no SLA clock runs"],
    );
    f.provenance = Arc::new([prov(
        "DEBIAN-CVE-2024-25062",
        "Debian:12",
        "libxml2",
        MatchedBy::Source,
        "2.9.14+dfsg-1.3~deb12u1",
        None,
        "dpkg",
    )]);
    out.push(f);

    // 10. An informational advisory (RustSec: unmaintained), not a vulnerability: unfixed,
    // no CVSS, deferred by the rule for informational findings.
    let mut f = finding(
        FindingPackage {
            name: "atty".into(),
            version: "0.2.14".into(),
            ecosystem: "crates.io".into(),
            source_name: None,
            source_version: None,
            purl: Some("pkg:cargo/atty@0.2.14".into()),
            file: Some("Cargo.lock".into()),
            arch: None,
        },
        "RUSTSEC-2024-0375",
        &[],
        &["RUSTSEC-2024-0375"],
    );
    f.informational = Some("unmaintained".into());
    f.summary = Some("`atty` is unmaintained".into());
    f.status = Status::Unfixed;
    f.priority = priority(
        50.0,
        Decision::Defer,
        Some("2024-12-24"),
        Some("vendor-release"),
        Some(90),
        true,
        &[
            "informational advisory (unmaintained): the package is no longer maintained; the advisory database does not report it as a vulnerability, and cargo-audit shows it as a warning",
            "no CVSS score known: treated as medium (score 5)",
            "defer: rule 3 of caulk-default-v1: informational advisory with no CVSS score: no vulnerability to fix; plan a replacement in normal maintenance",
            "overdue by 703 days",
        ],
    );
    f.provenance = Arc::new([Provenance {
        range: "range 0 (SEMVER): introduced 0.0.0-0 <= version".into(),
        ..prov(
            "RUSTSEC-2024-0375",
            "crates.io",
            "atty",
            MatchedBy::Name,
            "0.2.14",
            None,
            "semver",
        )
    }]);
    f.confidence = Confidence {
        level: ConfidenceLevel::Medium,
        reasons: vec!["declared in a lockfile, not seen installed".into()],
    };
    out.push(f);

    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // A scored finding's severity is its CVSS band (as the scan sets it).
    for f in &mut out {
        if f.cvss.is_some() && f.severity_source.is_none() {
            f.severity_source = Some(caulk_model::finding::SeveritySource::Cvss);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn remediation(
    id: &str,
    eco: &str,
    package: &str,
    binaries: &[&str],
    installed: &str,
    target: &str,
    files: &[&str],
    vulns: &[&str],
    findings: u64,
    kev: u64,
    max_cvss: Option<f64>,
    sev: Severity,
    decision: Decision,
    due: Option<&str>,
    risk: f64,
) -> Remediation {
    Remediation {
        id: id.into(),
        ecosystem: eco.into(),
        package: package.into(),
        binaries: binaries.iter().map(|s| s.to_string()).collect(),
        installed_version: installed.into(),
        target_version: target.into(),
        files: files.iter().map(|s| s.to_string()).collect(),
        vulnerabilities: vulns.iter().map(|s| s.to_string()).collect(),
        findings,
        kev_count: kev,
        max_cvss,
        max_severity: sev,
        decision,
        due_date: due.map(day),
        risk_removed: risk,
        installable: None,
        not_installable: None,
    }
}

pub fn report() -> ScanReport {
    let mut glibc = remediation(
        "Debian:12/glibc@2.36-9+deb12u3",
        "Debian:12",
        "glibc",
        &["libc6"],
        "2.36-9+deb12u1",
        "2.36-9+deb12u3",
        &["/var/lib/dpkg/status"],
        &["CVE-2023-4911"],
        1,
        1,
        Some(7.8),
        Severity::High,
        Decision::ActNow,
        Some("2023-12-12"),
        100.0,
    );
    glibc.installable = Some(Installable {
        version: "2.36-9+deb12u4".into(),
        origin: "bookworm-security/main".into(),
    });
    let remediations = vec![
        glibc,
        remediation(
            "Debian:12/openssl@3.0.17-1~deb12u2",
            "Debian:12",
            "openssl",
            &["libssl3", "openssl"],
            "3.0.15-1~deb12u1",
            "3.0.17-1~deb12u2",
            &["/var/lib/dpkg/status"],
            &["CVE-2025-0001"],
            2,
            0,
            Some(9.8),
            Severity::Critical,
            Decision::OutOfCycle,
            Some("2026-10-30"),
            62.8,
        ),
        remediation(
            "Debian:12/perl@5.36.0-7+deb12u1",
            "Debian:12",
            "perl",
            &["perl-base"],
            "5.36.0-7",
            "5.36.0-7+deb12u1",
            &["/var/lib/dpkg/status"],
            &["CVE-2023-47038"],
            1,
            0,
            Some(7.8),
            Severity::High,
            Decision::OutOfCycle,
            Some("2026-12-01"),
            44.8,
        ),
        remediation(
            "PyPI/JW_Util@1.3 in app/requirements.txt",
            "PyPI",
            "JW_Util",
            &["JW_Util"],
            "1.2",
            "1.3",
            &["app/requirements.txt"],
            &["GHSA-2222-3333-4444"],
            1,
            0,
            Some(6.9),
            Severity::Medium,
            Decision::Scheduled,
            Some("2026-08-30"),
            40.0,
        ),
    ];
    ScanReport {
        format_version: FORMAT_VERSION,
        tool: Tool {
            name: "caulk".into(),
            version: "0.1.0".into(),
        },
        generated_at: None,
        today: day(TODAY),
        target: Target {
            kind: TargetKind::Root,
            path: Some("/srv/images/web-1".into()),
            host: Host {
                hostname: Some("web-1".into()),
                arch: Some("x86_64".into()),
                os: Some(OsInfo {
                    id: Some("debian".into()),
                    pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                    version_id: Some("12".into()),
                    version_codename: Some("bookworm".into()),
                    ecosystem: Some("Debian:12".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            packages: 412,
            ecosystems: vec![
                EcosystemCount {
                    ecosystem: "Debian:12".into(),
                    packages: 380,
                },
                EcosystemCount {
                    ecosystem: "PyPI".into(),
                    packages: 20,
                },
                EcosystemCount {
                    ecosystem: "crates.io".into(),
                    packages: 12,
                },
            ],
        },
        database: DatabaseInfo {
            path: "/var/lib/caulk/advisories.db".into(),
            import: None,
            feeds: vec![
                FeedAge {
                    feed: "epss".into(),
                    source: "feeds/epss.csv".into(),
                    fetched_at: Some("2026-11-20T00:00:00Z".into()),
                    age_days: Some(7),
                    records: 2,
                    data_date: None,
                },
                FeedAge {
                    feed: "kev".into(),
                    source: "feeds/kev.json".into(),
                    fetched_at: Some("2026-11-20T00:00:00Z".into()),
                    age_days: Some(7),
                    records: 1,
                    data_date: None,
                },
                FeedAge {
                    feed: "osv/Debian".into(),
                    source: "feeds/osv/Debian/all.zip".into(),
                    fetched_at: None,
                    age_days: None,
                    records: 9,
                    data_date: None,
                },
            ],
        },
        policy: PolicyInfo {
            criticality: Criticality::High,
            exposure: Exposure::Internet,
            context_source: "config".into(),
            decision_table: "caulk-default-v1".into(),
            sla: vec![
                SlaEntry {
                    severity: Severity::Critical,
                    days: 15,
                },
                SlaEntry {
                    severity: Severity::High,
                    days: 30,
                },
                SlaEntry {
                    severity: Severity::Medium,
                    days: 90,
                },
                SlaEntry {
                    severity: Severity::Low,
                    days: 180,
                },
            ],
            sla_clock: SlaClock::VendorRelease,
            config: Some("/etc/caulk/caulk.toml".into()),
        },
        findings: findings(),
        remediations,
        suppressed: SuppressedCounts {
            total: 1,
            expired: 1,
            by_exception: vec![
                ExceptionCount {
                    exception: 0,
                    vulnerability: Some("CVE-2020-26235".into()),
                    package: Some("time".into()),
                    informational: None,
                    reason: "time 0.1 is not reachable from the API".into(),
                    owner: Some("app-team".into()),
                    expires: Some("2026-12-31".into()),
                    expired: false,
                    findings: 1,
                },
                ExceptionCount {
                    exception: 1,
                    vulnerability: Some("CVE-2026-1111".into()),
                    package: None,
                    informational: None,
                    reason: "waiting for upstream".into(),
                    owner: None,
                    expires: Some("2026-11-01".into()),
                    expired: true,
                    findings: 1,
                },
                ExceptionCount {
                    exception: 2,
                    vulnerability: Some("CVE-2019-0001".into()),
                    package: None,
                    informational: None,
                    reason: "old ticket OPS-12".into(),
                    owner: Some("ops".into()),
                    expires: None,
                    expired: false,
                    findings: 0,
                },
            ],
        },
        issues: vec![
            ScanIssue {
                stage: IssueStage::Inventory,
                kind: ScanIssueKind::BadInput,
                file: Some("/var/lib/dpkg/status".into()),
                record: Some("broken-pkg".into()),
                reason: "stanza without a Version field".into(),
            },
            ScanIssue {
                stage: IssueStage::Database,
                kind: ScanIssueKind::Unsupported,
                file: None,
                record: None,
                reason: "the database has no osv/npm feed: 3 npm packages were not checked".into(),
            },
        ],
        summary: Summary {
            packages: 412,
            packages_affected: 9,
            findings: 9,
            vulnerabilities: 8,
            by_status: StatusCounts {
                fixed: 5,
                unfixed: 2,
                will_not_fix: 1,
                not_affected: 1,
            },
            by_severity: SeverityCounts {
                critical: 2,
                high: 3,
                medium: 2,
                low: 1,
                none: 0,
                unknown: 1,
            },
            by_decision: DecisionCounts {
                act_now: 1,
                out_of_cycle: 3,
                scheduled: 2,
                defer: 3,
            },
            kev: 1,
            informational: Default::default(),
            overdue: 4,
            remediations: 4,
            remediations_installable: 1,
            installability_checked: true,
            suppressed: 1,
            issues: 2,
        },
        filter: None,
    }
}

/// A scan that found nothing: the same target, no findings.
pub fn empty_report() -> ScanReport {
    let mut r = report();
    r.findings.clear();
    r.remediations.clear();
    r.suppressed = SuppressedCounts::default();
    r.issues.clear();
    r.summary = Summary {
        packages: 412,
        ..Default::default()
    };
    r
}

// --- oracle plumbing (same protocol as crates/version/tests/oracles/common.rs) -------------

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// In CI (`CAULK_REQUIRE_ORACLES=1`) a missing oracle is a failure; elsewhere a loud skip
/// (`caulk-testkit`).
#[track_caller]
pub fn missing<T>(what: &str) -> Option<T> {
    caulk_testkit::missing(format_args!(
        "oracle missing: {what} (run .ci/run to install it)"
    ));
    None
}

/// The Python of the oracle venv (`$CAULK_ORACLE_PYTHON`, else `.ci/cache/venv`), if it can
/// import every module of `modules`.
pub fn python_with(modules: &[&str]) -> Option<PathBuf> {
    let py = std::env::var_os("CAULK_ORACLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".ci/cache/venv/bin/python"));
    let ok = Command::new(&py)
        .args(["-c", &format!("import {}", modules.join(", "))])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(py)
    } else {
        missing(&format!(
            "python with {} ({})",
            modules.join(", "),
            py.display()
        ))
    }
}
