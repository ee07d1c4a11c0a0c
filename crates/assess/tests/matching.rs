//! Matching, statuses, identity merge, remediation grouping and exceptions, through
//! `caulk_assess::scan` over an in-memory advisory source.

#![allow(clippy::unwrap_used)]

use caulk_assess::{AssetContext, Config, MemSource, Policy, ScanOptions, scan};
use caulk_model::advisory::{
    Advisory, AffectedPackage, AffectedRange, CvssScore, CvssVersion, EpssScore, EventKind,
    KevEntry, RangeEvent, RansomwareUse, RecordSource, Severity,
};
use caulk_model::finding::{
    DatabaseInfo, Decision, FeedAge, MatchedBy, ScanIssueKind, ScanReport, Status, TargetKind, Tool,
};
use caulk_model::inventory::{Collector, InstallState, Inventory, Package};

fn range(kind: &str, events: &[(EventKind, &str)]) -> AffectedRange {
    AffectedRange {
        kind: kind.into(),
        repo: None,
        events: events
            .iter()
            .map(|(k, v)| RangeEvent {
                kind: *k,
                version: v.to_string(),
            })
            .collect(),
    }
}

fn fixed_in(eco: &str, name: &str, fixed: &str) -> AffectedPackage {
    AffectedPackage {
        ecosystem: eco.into(),
        name: name.into(),
        purl: None,
        ranges: vec![range(
            "ECOSYSTEM",
            &[(EventKind::Introduced, "0"), (EventKind::Fixed, fixed)],
        )],
        versions: vec![],
        informational: None,
        cves: None,
    }
}

fn adv(id: &str, affected: Vec<AffectedPackage>) -> Advisory {
    Advisory {
        id: id.into(),
        modified: "2026-01-01T00:00:00Z".into(),
        published: Some("2026-10-01T00:00:00Z".into()),
        withdrawn: None,
        summary: Some(format!("summary of {id}")),
        aliases: vec![],
        upstream: vec![],
        related: vec![],
        severity: vec![],
        vendor_severity: vec![],
        affected,
        source: RecordSource {
            feed: "osv/Test".into(),
            file: format!("{id}.json"),
        },
    }
}

fn pkg(eco: &str, name: &str, version: &str, source: Option<(&str, &str)>) -> Package {
    Package {
        ecosystem: eco.into(),
        name: name.into(),
        version: version.into(),
        arch: Some("amd64".into()),
        source_name: source.map(|s| s.0.to_string()),
        source_version: source.map(|s| s.1.to_string()),
        purl: None,
        vendor: None,
        file: "/var/lib/dpkg/status".into(),
        owned_by: None,
        state: InstallState::Installed,
        collector: Collector::Dpkg,
    }
}

fn lang(eco: &str, name: &str, version: &str, file: &str) -> Package {
    Package {
        arch: None,
        file: file.into(),
        owned_by: None,
        state: InstallState::Declared,
        collector: Collector::Lockfile,
        ..pkg(eco, name, version, None)
    }
}

fn inventory(packages: Vec<Package>) -> Inventory {
    let mut inv = Inventory {
        packages,
        ..Inventory::default()
    };
    inv.normalize();
    inv
}

fn run_with(
    inv: &Inventory,
    src: &dyn caulk_assess::AdvisorySource,
    config: Option<&Config>,
    feeds: &[&str],
) -> ScanReport {
    let policy = Policy::builtin();
    let exceptions = config.map(|c| c.exceptions.clone()).unwrap_or_default();
    let opts = ScanOptions {
        tool: Tool {
            name: "caulk".into(),
            version: "test".into(),
        },
        target_kind: TargetKind::Inventory,
        target_path: None,
        database: DatabaseInfo {
            path: "mem".into(),
            import: None,
            feeds: feeds
                .iter()
                .map(|f| FeedAge {
                    feed: f.to_string(),
                    ..FeedAge::default()
                })
                .collect(),
        },
        policy: &policy,
        context: AssetContext::default(),
        context_source: "default".into(),
        config_file: None,
        exceptions: &exceptions,
        issues: vec![],
        apt: None,
        today: "2026-11-27".parse().unwrap(),
        generated_at: None,
        filter: None,
    };
    let report = scan(inv, src, &opts);
    // Every scan of these tests is also one through a memo shared with another scan (the
    // fleet server's way): warmed by half the packages, then the whole inventory — the same
    // report, and again from a memo that has every answer.
    let memo = caulk_assess::memo::SourceMemo::new();
    let shared = caulk_assess::memo::Memoized {
        memo: &memo,
        inner: src,
    };
    let mut half = inv.clone();
    half.packages.truncate(inv.packages.len() / 2);
    scan(&half, &shared, &opts);
    let json = |r: &ScanReport| serde_json::to_value(r).unwrap();
    assert_eq!(json(&scan(inv, &shared, &opts)), json(&report), "memoized");
    assert_eq!(json(&scan(inv, &shared, &opts)), json(&report), "warm memo");
    report
}

fn run(inv: &Inventory, src: &MemSource) -> ScanReport {
    run_with(inv, src, None, &[])
}

fn ids(r: &ScanReport) -> Vec<String> {
    let mut v: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{} {}", f.package.name, f.vulnerability.id))
        .collect();
    v.sort();
    v
}

#[test]
fn debian_matches_by_source_name_and_source_version_never_by_binary() {
    let mut src = MemSource::new();
    src.add(adv(
        "DSA-1-1",
        vec![fixed_in("Debian:12", "openssl", "3.0.11-1~deb12u2")],
    ))
    .link("DSA-1-1", &["CVE-2023-0001"]);
    // An entry naming the binary must not match a Debian package: Debian publishes by source.
    src.add(adv("X-BIN", vec![fixed_in("Debian:12", "libssl3", "9.9")]));
    let inv = inventory(vec![
        pkg(
            "Debian:12",
            "libssl3",
            "3.0.11-1~deb12u1",
            Some(("openssl", "3.0.11-1~deb12u1")),
        ),
        pkg(
            "Debian:12",
            "openssl",
            "3.0.11-1~deb12u1",
            Some(("openssl", "3.0.11-1~deb12u1")),
        ),
        pkg(
            "Debian:12",
            "libssl-doc",
            "3.0.11-1~deb12u2",
            Some(("openssl", "3.0.11-1~deb12u2")),
        ),
    ]);
    let r = run(&inv, &src);
    assert_eq!(ids(&r), ["libssl3 CVE-2023-0001", "openssl CVE-2023-0001"]);
    let f = &r.findings[0];
    assert_eq!(f.provenance[0].matched_by, MatchedBy::Source);
    assert_eq!(f.provenance[0].matched_name, "openssl");
    assert_eq!(f.provenance[0].scheme, "dpkg");
    assert_eq!(
        f.provenance[0].range,
        "range 0 (ECOSYSTEM): introduced 0 <= version < fixed 3.0.11-1~deb12u2"
    );
    assert_eq!(f.fixed_version.as_deref(), Some("3.0.11-1~deb12u2"));
    assert_eq!(f.status, Status::Fixed);
    assert_eq!(*f.advisory_ids, ["DSA-1-1"]);
}

#[test]
fn binnmu_binary_version_is_not_what_is_compared() {
    let mut src = MemSource::new();
    src.add(adv(
        "A-1",
        vec![fixed_in("Debian:12", "foo", "1.2-3+deb12u1")],
    ));
    // Binary 1.2-3+deb12u1+b1 is a rebuild of source 1.2-3 — still vulnerable.
    let inv = inventory(vec![pkg(
        "Debian:12",
        "libfoo1",
        "1.2-3+deb12u1+b1",
        Some(("foo", "1.2-3")),
    )]);
    let r = run(&inv, &src);
    assert_eq!(ids(&r), ["libfoo1 A-1"]);
    assert_eq!(r.findings[0].provenance[0].compared_version, "1.2-3");
    assert_eq!(r.remediations[0].installed_version, "1.2-3");
}

#[test]
fn release_scoping_no_other_release_no_upstream_no_releaseless() {
    let mut src = MemSource::new();
    src.add(adv(
        "DSA-2-1",
        vec![
            fixed_in("Debian:11", "openssl", "9.9"),
            fixed_in("Debian", "openssl", "9.9"),
            fixed_in("Ubuntu:22.04:LTS", "openssl", "9.9"),
        ],
    ));
    let inv = inventory(vec![pkg(
        "Debian:12",
        "openssl",
        "3.0.0-1",
        Some(("openssl", "3.0.0-1")),
    )]);
    assert!(run(&inv, &src).findings.is_empty());

    // A distro package without a release is not matched at all, and says so.
    let inv = inventory(vec![pkg(
        "Debian",
        "openssl",
        "3.0.0-1",
        Some(("openssl", "3.0.0-1")),
    )]);
    let r = run(&inv, &src);
    assert!(r.findings.is_empty());
    assert!(
        r.issues
            .iter()
            .any(|i| i.kind == ScanIssueKind::Unsupported && i.reason.contains("no release")),
        "{:?}",
        r.issues
    );
}

#[test]
fn ubuntu_release_and_pro_stream_are_kept_apart() {
    let mut src = MemSource::new();
    src.add(adv(
        "USN-1-1",
        vec![fixed_in("Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.10")],
    ));
    src.add(adv(
        "USN-2-1",
        vec![fixed_in(
            "Ubuntu:Pro:22.04:LTS",
            "openssl",
            "3.0.2-0ubuntu1.99",
        )],
    ));
    src.add(adv(
        "USN-3-1",
        vec![fixed_in("Ubuntu:20.04:LTS", "openssl", "3.0.2-0ubuntu1.99")],
    ));
    let inv = inventory(vec![pkg(
        "Ubuntu:22.04:LTS",
        "libssl3",
        "3.0.2-0ubuntu1.9",
        Some(("openssl", "3.0.2-0ubuntu1.9")),
    )]);
    assert_eq!(ids(&run(&inv, &src)), ["libssl3 USN-1-1"]);
}

#[test]
fn almalinux_matches_binary_rpm_names_with_epochs() {
    let mut src = MemSource::new();
    src.add(adv(
        "ALSA-2024:0001",
        vec![
            fixed_in("AlmaLinux:9", "openssl-libs", "1:3.0.7-25.el9_3"),
            fixed_in("AlmaLinux:9", "openssl", "1:3.0.7-25.el9_3"),
            fixed_in("AlmaLinux:8", "openssl-libs", "1:9.9-1.el8"),
        ],
    ));
    let inv = inventory(vec![
        pkg(
            "AlmaLinux:9",
            "openssl-libs",
            "1:3.0.7-24.el9",
            Some(("openssl", "1:3.0.7-24.el9")),
        ),
        // Fixed already: the epoch makes 1:3.0.7-25 > 3.0.99.
        pkg(
            "AlmaLinux:9",
            "openssl-perl",
            "1:3.0.7-26.el9",
            Some(("openssl", "1:3.0.7-26.el9")),
        ),
    ]);
    let r = run(&inv, &src);
    assert_eq!(ids(&r), ["openssl-libs ALSA-2024:0001"]);
    let f = &r.findings[0];
    // Matched by its own binary name and by its source RPM's name: two provenance entries.
    let by: Vec<_> = f
        .provenance
        .iter()
        .map(|p| (p.matched_by, p.matched_name.as_str()))
        .collect();
    assert!(by.contains(&(MatchedBy::Binary, "openssl-libs")), "{by:?}");
    assert!(by.contains(&(MatchedBy::Source, "openssl")), "{by:?}");
    assert_eq!(f.provenance[0].scheme, "rpm");
    assert_eq!(r.remediations[0].package, "openssl");
    assert_eq!(r.remediations[0].target_version, "1:3.0.7-25.el9_3");
}

#[test]
fn alpine_matches_by_origin() {
    let mut src = MemSource::new();
    let mut a = adv(
        "ALPINE-CVE-2019-1547",
        vec![fixed_in("Alpine:v3.10", "openssl", "1.1.1d-r0")],
    );
    a.upstream = vec!["CVE-2019-1547".into()];
    src.add(a);
    let inv = inventory(vec![
        pkg(
            "Alpine:v3.10",
            "libcrypto1.1",
            "1.1.1c-r0",
            Some(("openssl", "1.1.1c-r0")),
        ),
        pkg(
            "Alpine:v3.11",
            "libcrypto1.1",
            "1.1.1c-r0",
            Some(("openssl", "1.1.1c-r0")),
        ),
    ]);
    let r = run(&inv, &src);
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert_eq!(f.package.ecosystem, "Alpine:v3.10");
    // Re-publication of one CVE: the CVE is the display id, the ALPINE id an alias.
    assert_eq!(f.vulnerability.id, "CVE-2019-1547");
    assert_eq!(*f.vulnerability.aliases, ["ALPINE-CVE-2019-1547"]);
    assert_eq!(f.provenance[0].scheme, "apk");
}

#[test]
fn pypi_names_normalise_per_pep_503() {
    let mut src = MemSource::new();
    src.add(adv("PYSEC-1", vec![fixed_in("PyPI", "jw.util", "1.3")]));
    src.add(adv("PYSEC-2", vec![fixed_in("PyPI", "pillow", "10.0.1")]));
    // Not the same project: normalisation must not merge distinct names.
    src.add(adv("PYSEC-3", vec![fixed_in("PyPI", "jwutil", "9.9")]));
    let inv = inventory(vec![
        lang("PyPI", "JW_Util", "1.2", "/src/requirements.txt"),
        lang("PyPI", "Pillow", "10.0.0", "/src/requirements.txt"),
    ]);
    let r = run(&inv, &src);
    assert_eq!(ids(&r), ["JW_Util PYSEC-1", "Pillow PYSEC-2"]);
    assert!(
        r.findings
            .iter()
            .all(|f| f.provenance[0].matched_by == MatchedBy::Name)
    );
    assert!(
        r.findings
            .iter()
            .all(|f| f.provenance[0].scheme == "pep440")
    );
    // Declared by a lockfile: medium confidence, with the reason.
    assert!(r.findings[0].confidence.reasons[0].contains("declared by"));
}

#[test]
fn two_entries_of_one_advisory_both_count() {
    // GHSA-style: one advisory, two `affected[]` entries for one package; 1.1.0 is inside
    // both, so the fix must satisfy both: 1.5.0, not 1.2.3 (still vulnerable). The 1.5.0
    // entry sorts first, so "the last one wins" would fail too.
    let entry = |fixed: &str, introduced: &str| AffectedPackage {
        ecosystem: "crates.io".into(),
        name: "twice".into(),
        purl: None,
        ranges: vec![range(
            "SEMVER",
            &[
                (EventKind::Introduced, introduced),
                (EventKind::Fixed, fixed),
            ],
        )],
        versions: vec![],
        informational: None,
        cves: None,
    };
    let mut src = MemSource::new();
    src.add(adv(
        "GHSA-twic-twic-twic",
        vec![entry("1.5.0", "0.0.0-0"), entry("1.2.3", "1.0.0")],
    ));
    let inv = inventory(vec![lang("crates.io", "twice", "1.1.0", "Cargo.lock")]);
    let r = run(&inv, &src);
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert_eq!(f.provenance.len(), 2, "{:?}", f.provenance);
    assert_eq!(f.fixed_version.as_deref(), Some("1.5.0"));
}

#[test]
fn crates_io_and_npm_use_semver_ranges() {
    let mut src = MemSource::new();
    let mut rs = adv("RUSTSEC-2020-0071", vec![]);
    rs.affected = vec![AffectedPackage {
        ecosystem: "crates.io".into(),
        name: "time".into(),
        purl: None,
        ranges: vec![range(
            "SEMVER",
            &[
                (EventKind::Introduced, "0.0.0-0"),
                (EventKind::Fixed, "0.2.23"),
                (EventKind::Introduced, "0.3.0"),
                (EventKind::Fixed, "0.3.1"),
            ],
        )],
        versions: vec![],
        informational: None,
        cves: None,
    }];
    rs.aliases = vec!["CVE-2020-26235".into(), "GHSA-wcg3-cvx6-7396".into()];
    src.add(rs);
    let mut npm = adv("GHSA-67hx-6x53-jw92", vec![]);
    npm.affected = vec![AffectedPackage {
        ecosystem: "npm".into(),
        name: "@babel/traverse".into(),
        purl: None,
        ranges: vec![range(
            "SEMVER",
            &[(EventKind::Introduced, "0"), (EventKind::Fixed, "7.23.2")],
        )],
        versions: vec![],
        informational: None,
        cves: None,
    }];
    src.add(npm);
    let inv = inventory(vec![
        lang("crates.io", "time", "0.1.45", "/src/Cargo.lock"),
        lang("crates.io", "time", "0.3.1", "/src/Cargo.lock"),
        lang("crates.io", "Time", "0.1.45", "/src/Cargo.lock"),
        lang("npm", "@babel/traverse", "7.22.0", "/web/package-lock.json"),
    ]);
    let r = run(&inv, &src);
    assert_eq!(
        ids(&r),
        ["@babel/traverse GHSA-67hx-6x53-jw92", "time CVE-2020-26235"]
    );
    let t = r
        .findings
        .iter()
        .find(|f| f.package.name == "time")
        .unwrap();
    assert_eq!(t.fixed_version.as_deref(), Some("0.2.23"));
    assert_eq!(
        *t.vulnerability.aliases,
        ["GHSA-wcg3-cvx6-7396", "RUSTSEC-2020-0071"]
    );
    assert_eq!(t.provenance[0].scheme, "semver");
    let rem = r.remediations.iter().find(|m| m.package == "time").unwrap();
    assert_eq!(rem.files, ["/src/Cargo.lock"]);
    assert_eq!(rem.id, "crates.io/time@0.2.23 in /src/Cargo.lock");
}

#[test]
fn withdrawn_advisories_never_match() {
    let mut src = MemSource::new();
    let mut a = adv(
        "GO-2024-0001",
        vec![fixed_in("Go", "example.com/m", "v1.2.0")],
    );
    a.withdrawn = Some("2024-02-01T00:00:00Z".into());
    src.add(a);
    let inv = inventory(vec![lang("Go", "example.com/m", "v1.0.0", "/src/go.mod")]);
    assert!(run(&inv, &src).findings.is_empty());
}

#[test]
fn aliases_merge_into_one_finding_with_every_id_and_the_highest_fix() {
    let mut src = MemSource::new();
    // A DSA re-publishing one CVE, and the changelog-derived record for the same CVE.
    // The highest fix sorts first (DSA-…): "the last one wins" would give deb12u2.
    let mut dsa = adv(
        "DSA-5000-1",
        vec![fixed_in("Debian:12", "curl", "7.88.1-10+deb12u3")],
    );
    dsa.upstream = vec!["CVE-2023-38545".into()];
    src.add(dsa);
    let mut deb = adv(
        "x_DEBCHG-CVE-2023-38545",
        vec![fixed_in("Debian:12", "curl", "7.88.1-10+deb12u2")],
    );
    deb.aliases = vec!["CVE-2023-38545".into()];
    src.add(deb);
    let inv = inventory(vec![pkg(
        "Debian:12",
        "curl",
        "7.88.1-10+deb12u1",
        Some(("curl", "7.88.1-10+deb12u1")),
    )]);
    let r = run(&inv, &src);
    assert_eq!(r.findings.len(), 1, "{:?}", ids(&r));
    let f = &r.findings[0];
    assert_eq!(f.vulnerability.id, "CVE-2023-38545");
    assert_eq!(
        *f.vulnerability.aliases,
        ["DSA-5000-1", "x_DEBCHG-CVE-2023-38545"]
    );
    assert_eq!(*f.advisory_ids, ["DSA-5000-1", "x_DEBCHG-CVE-2023-38545"]);
    assert_eq!(f.provenance.len(), 2);
    // Both entries must be satisfied: the highest of their fixes.
    assert_eq!(f.fixed_version.as_deref(), Some("7.88.1-10+deb12u3"));
    // One registered advisory among them: confidence is not lowered by the x_ record.
    assert_eq!(
        f.confidence.level,
        caulk_model::finding::ConfidenceLevel::High
    );
}

#[test]
fn an_advisory_for_several_cves_gives_one_finding_per_cve() {
    let mut src = MemSource::new();
    let mut dsa = adv(
        "DSA-5400-1",
        vec![fixed_in("Debian:12", "glibc", "2.36-9+deb12u3")],
    );
    dsa.upstream = vec!["CVE-2023-4911".into(), "CVE-2023-4806".into()];
    src.add(dsa)
        .link("DSA-5400-1", &["CVE-2023-4806", "CVE-2023-4911"]);
    let inv = inventory(vec![pkg(
        "Debian:12",
        "libc6",
        "2.36-9+deb12u1",
        Some(("glibc", "2.36-9+deb12u1")),
    )]);
    let r = run(&inv, &src);
    assert_eq!(ids(&r), ["libc6 CVE-2023-4806", "libc6 CVE-2023-4911"]);
    assert!(r.findings.iter().all(|f| *f.advisory_ids == ["DSA-5400-1"]));
    assert_eq!(r.remediations.len(), 1);
    assert_eq!(
        r.remediations[0].vulnerabilities,
        ["CVE-2023-4806", "CVE-2023-4911"]
    );
}

#[test]
fn unfixed_and_last_affected_are_unfixed_without_remediation() {
    let mut src = MemSource::new();
    let mut a = adv("OPEN-1", vec![]);
    a.affected = vec![AffectedPackage {
        ecosystem: "Debian:12".into(),
        name: "zlib".into(),
        purl: None,
        ranges: vec![range("ECOSYSTEM", &[(EventKind::Introduced, "0")])],
        versions: vec![],
        informational: None,
        cves: None,
    }];
    src.add(a);
    let mut b = adv("OPEN-2", vec![]);
    b.affected = vec![AffectedPackage {
        ecosystem: "Debian:12".into(),
        name: "zlib".into(),
        purl: None,
        ranges: vec![range(
            "ECOSYSTEM",
            &[
                (EventKind::Introduced, "0"),
                (EventKind::LastAffected, "1:1.2.13.dfsg-1"),
            ],
        )],
        versions: vec![],
        informational: None,
        cves: None,
    }];
    src.add(b);
    let inv = inventory(vec![pkg(
        "Debian:12",
        "zlib1g",
        "1:1.2.13.dfsg-1",
        Some(("zlib", "1:1.2.13.dfsg-1")),
    )]);
    let r = run(&inv, &src);
    assert_eq!(r.findings.len(), 2);
    assert!(
        r.findings
            .iter()
            .all(|f| f.status == Status::Unfixed && f.fixed_version.is_none())
    );
    assert!(r.findings.iter().all(|f| f.remediation.is_none()));
    assert!(r.remediations.is_empty());
    assert_eq!(r.summary.by_status.unfixed, 2);
    assert!(
        r.findings[0].priority.due_date.is_some(),
        "the SLA clock runs for unfixed too"
    );
}

fn kev_entry(cve: &str) -> KevEntry {
    KevEntry {
        cve_id: cve.into(),
        vendor_project: "v".into(),
        product: "p".into(),
        vulnerability_name: "n".into(),
        date_added: "2026-11-01".into(),
        due_date: "2026-11-22".into(),
        known_ransomware_campaign_use: RansomwareUse::Known,
        required_action: "patch".into(),
    }
}

fn cvss(score: f64, severity: Severity, source: &str) -> CvssScore {
    CvssScore {
        version: CvssVersion::V3_1,
        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
        base_score: score,
        severity,
        published_score: None,
        source: source.into(),
    }
}

#[test]
fn remediations_group_binaries_take_the_highest_fix_and_rank_by_risk() {
    let mut src = MemSource::new();
    // A-1's finding ranks first (CVSS 7.5) and carries the highest fix: a group that kept
    // the last fix it saw would target 1.0-2.
    src.add(adv("A-1", vec![fixed_in("Debian:12", "foo", "1.0-3")]))
        .link("A-1", &["CVE-2026-0001"]);
    src.add(adv("A-2", vec![fixed_in("Debian:12", "foo", "1.0-2")]))
        .link("A-2", &["CVE-2026-0002"]);
    src.add(adv("B-1", vec![fixed_in("Debian:12", "bar", "2.0-2")]))
        .link("B-1", &["CVE-2026-0003"]);
    src.add_kev(kev_entry("CVE-2026-0003"));
    src.add_cvss(
        "CVE-2026-0003",
        cvss(9.8, Severity::Critical, "nvd:nvd@nist.gov:Primary"),
    );
    src.add_cvss(
        "CVE-2026-0001",
        cvss(5.3, Severity::Medium, "nvd:nvd@nist.gov:Primary"),
    );
    src.add_cvss("A-1", cvss(7.5, Severity::High, "osv:A-1"));
    src.add_epss(EpssScore {
        cve_id: "CVE-2026-0003".into(),
        score: 0.9,
        percentile: 0.99,
        model_version: Some("v2025.03.14".into()),
        score_date: Some("2026-11-26T00:00:00+0000".into()),
    });
    let inv = inventory(vec![
        pkg("Debian:12", "libfoo1", "1.0-1", Some(("foo", "1.0-1"))),
        pkg("Debian:12", "foo-tools", "1.0-1", Some(("foo", "1.0-1"))),
        pkg("Debian:12", "bar", "2.0-1", Some(("bar", "2.0-1"))),
    ]);
    let r = run(&inv, &src);
    assert_eq!(r.findings.len(), 5);
    assert_eq!(r.remediations.len(), 2);
    // bar: one KEV finding outranks foo's four.
    let bar = &r.remediations[0];
    assert_eq!(bar.package, "bar");
    assert_eq!(bar.kev_count, 1);
    assert_eq!(bar.decision, Decision::ActNow);
    assert_eq!(bar.max_cvss, Some(9.8));
    assert_eq!(
        bar.due_date.map(|d| d.to_string()).as_deref(),
        Some("2026-11-22"),
        "KEV due date wins"
    );
    let foo = &r.remediations[1];
    assert_eq!(foo.binaries, ["foo-tools", "libfoo1"]);
    assert_eq!(
        (foo.installed_version.as_str(), foo.target_version.as_str()),
        ("1.0-1", "1.0-3")
    );
    assert_eq!(foo.findings, 4);
    assert_eq!(foo.vulnerabilities, ["CVE-2026-0001", "CVE-2026-0002"]);
    // The OSV (vendor) score is preferred over NVD's.
    let f1 = r
        .findings
        .iter()
        .find(|f| f.vulnerability.id == "CVE-2026-0001")
        .unwrap();
    assert_eq!(f1.cvss.as_ref().unwrap().source, "osv:A-1");
    assert!(r.risk_sorted());
    // Findings: most urgent first.
    assert_eq!(r.findings[0].vulnerability.id, "CVE-2026-0003");
    assert!(r.findings[0].kev.is_some() && r.findings[0].epss.is_some());
    assert!(r.findings.iter().all(|f| f.remediation.is_some()));
}

trait RiskSorted {
    fn risk_sorted(&self) -> bool;
}
impl RiskSorted for ScanReport {
    fn risk_sorted(&self) -> bool {
        self.remediations
            .windows(2)
            .all(|w| w[0].risk_removed >= w[1].risk_removed)
    }
}

#[test]
fn exceptions_hide_findings_from_remediations_and_expired_ones_return() {
    let mut src = MemSource::new();
    src.add(adv("A-1", vec![fixed_in("Debian:12", "foo", "1.0-2")]))
        .link("A-1", &["CVE-2026-0001"]);
    src.add(adv("B-1", vec![fixed_in("Debian:12", "bar", "2.0-2")]))
        .link("B-1", &["CVE-2026-0003"]);
    let cfg = Config::parse(
        r#"
[[exception]]
vulnerability = "CVE-2026-0001"
reason = "mitigated by configuration"
owner = "ops"
expires = "2027-01-31"

[[exception]]
package = "bar"
reason = "replaced soon"
expires = "2026-11-01"
"#,
        "caulk.toml",
    )
    .unwrap();
    let inv = inventory(vec![
        pkg("Debian:12", "libfoo1", "1.0-1", Some(("foo", "1.0-1"))),
        pkg("Debian:12", "bar", "2.0-1", Some(("bar", "2.0-1"))),
    ]);
    let r = run_with(&inv, &src, Some(&cfg), &[]);
    assert_eq!(r.findings.len(), 2, "suppressed findings are shown");
    assert_eq!(r.suppressed.total, 1);
    assert_eq!(r.suppressed.expired, 1);
    assert_eq!(r.summary.findings, 1);
    assert_eq!(r.remediations.len(), 1);
    assert_eq!(r.remediations[0].package, "bar");
    let bar = r.findings.iter().find(|f| f.package.name == "bar").unwrap();
    assert!(
        bar.suppression
            .as_ref()
            .unwrap()
            .note
            .as_deref()
            .unwrap()
            .contains("expired on 2026-11-01")
    );
}

#[test]
fn undetermined_ranges_and_bad_versions_are_issues_not_findings() {
    let mut src = MemSource::new();
    let mut a = adv("PYSEC-GIT", vec![]);
    a.affected = vec![AffectedPackage {
        ecosystem: "PyPI".into(),
        name: "gitonly".into(),
        purl: None,
        ranges: vec![AffectedRange {
            kind: "GIT".into(),
            repo: Some("https://example.invalid/r".into()),
            events: vec![RangeEvent {
                kind: EventKind::Introduced,
                version: "0".into(),
            }],
        }],
        versions: vec![],
        informational: None,
        cves: None,
    }];
    src.add(a);
    src.add(adv("A-1", vec![fixed_in("Debian:12", "foo", "1.0-2")]));
    let inv = inventory(vec![
        lang("PyPI", "gitonly", "1.0", "/r.txt"),
        pkg(
            "Debian:12",
            "foo",
            "not a version!",
            Some(("foo", "not a version!")),
        ),
    ]);
    let r = run(&inv, &src);
    assert!(r.findings.is_empty());
    assert!(r.issues.iter().any(|i| i.kind == ScanIssueKind::Unevaluable
        && i.record.as_deref().unwrap().starts_with("PYSEC-GIT")));
    assert!(
        r.issues
            .iter()
            .any(|i| i.reason.contains("not a valid dpkg version")),
        "{:?}",
        r.issues
    );
}

#[test]
fn ecosystems_without_a_feed_are_reported() {
    let src = MemSource::new();
    let inv = inventory(vec![
        lang("npm", "left-pad", "1.0.0", "/p.json"),
        pkg("Debian:12", "foo", "1.0-1", Some(("foo", "1.0-1"))),
    ]);
    let r = run_with(&inv, &src, None, &["osv/Debian", "kev"]);
    let missing: Vec<_> = r
        .issues
        .iter()
        .filter_map(|i| i.record.as_deref())
        .collect();
    assert_eq!(missing, ["osv/npm"]);
}

#[test]
fn stale_feeds_are_reported() {
    let src = MemSource::new();
    let inv = inventory(vec![pkg(
        "Debian:12",
        "foo",
        "1.0-1",
        Some(("foo", "1.0-1")),
    )]);
    let policy = Policy::builtin();
    let mut feeds = vec![];
    for (feed, age) in [("osv/Debian", Some(8)), ("kev", Some(7)), ("epss", None)] {
        feeds.push(FeedAge {
            feed: feed.into(),
            source: format!("/m/{feed}"),
            age_days: age,
            ..FeedAge::default()
        });
    }
    let opts = ScanOptions {
        tool: Tool::default(),
        target_kind: TargetKind::Host,
        target_path: None,
        database: DatabaseInfo {
            path: "db".into(),
            import: None,
            feeds,
        },
        policy: &policy,
        context: AssetContext::default(),
        context_source: "default".into(),
        config_file: None,
        exceptions: &[],
        issues: vec![],
        apt: None,
        today: "2026-11-27".parse().unwrap(),
        generated_at: None,
        filter: None,
    };
    let stale = |opts: &ScanOptions<'_>| -> Vec<String> {
        scan(&inv, &src, opts)
            .issues
            .iter()
            .filter(|i| i.kind == ScanIssueKind::Stale)
            .map(|i| i.record.clone().unwrap())
            .collect()
    };
    assert_eq!(stale(&opts), ["osv/Debian"]);

    // The limit is policy data: a site's `[policy]` may move it.
    let lax: toml::Table = toml::from_str("max_feed_age_days = 8").unwrap();
    let lax = Policy::from_toml(caulk_assess::priority::DEFAULT_POLICY, Some(&lax), "t").unwrap();
    assert!(
        stale(&ScanOptions {
            policy: &lax,
            ..opts.clone()
        })
        .is_empty()
    );
    let strict: toml::Table = toml::from_str("max_feed_age_days = 6").unwrap();
    let strict =
        Policy::from_toml(caulk_assess::priority::DEFAULT_POLICY, Some(&strict), "t").unwrap();
    assert_eq!(
        stale(&ScanOptions {
            policy: &strict,
            ..opts.clone()
        }),
        ["kev", "osv/Debian"]
    );
    let bad: toml::Table = toml::from_str("max_feed_age_days = -1").unwrap();
    let e = Policy::from_toml(caulk_assess::priority::DEFAULT_POLICY, Some(&bad), "t")
        .expect_err("negative");
    assert!(e.to_string().contains("max_feed_age_days"), "{e}");
}

#[test]
fn output_does_not_depend_on_input_order() {
    let mut src = MemSource::new();
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        src.add(adv(
            &format!("A-{i}"),
            vec![fixed_in("Debian:12", name, "2")],
        ));
    }
    let pkgs = vec![
        pkg("Debian:12", "a", "1", Some(("a", "1"))),
        pkg("Debian:12", "b", "1", Some(("b", "1"))),
        pkg("Debian:12", "c", "1", Some(("c", "1"))),
    ];
    let mut rev = pkgs.clone();
    rev.reverse();
    let one = serde_json::to_string(&run(&inventory(pkgs), &src)).unwrap();
    let two = serde_json::to_string(&run(
        &Inventory {
            packages: rev,
            ..Inventory::default()
        },
        &src,
    ))
    .unwrap();
    assert_eq!(one, two);
}

/// An advisory source that counts what the scan asks.
struct Counting {
    inner: MemSource,
    lookups: std::cell::RefCell<std::collections::BTreeMap<(String, String), usize>>,
    cvss: std::cell::RefCell<Vec<String>>,
}

impl caulk_assess::AdvisorySource for Counting {
    fn lookup(
        &self,
        ecosystem: &str,
        name: &str,
    ) -> Result<Vec<caulk_assess::Hit>, caulk_assess::SourceError> {
        *self
            .lookups
            .borrow_mut()
            .entry((ecosystem.to_string(), name.to_string()))
            .or_default() += 1;
        self.inner.lookup(ecosystem, name)
    }
    fn advisory(&self, id: &str) -> Result<Option<Advisory>, caulk_assess::SourceError> {
        self.inner.advisory(id)
    }
    fn advisory_vulnerabilities(
        &self,
        advisory: &str,
    ) -> Result<Vec<String>, caulk_assess::SourceError> {
        self.inner.advisory_vulnerabilities(advisory)
    }
    fn vulnerability(
        &self,
        id: &str,
    ) -> Result<Option<caulk_model::advisory::Vulnerability>, caulk_assess::SourceError> {
        self.inner.vulnerability(id)
    }
    fn cvss(&self, id: &str) -> Result<Vec<CvssScore>, caulk_assess::SourceError> {
        self.cvss.borrow_mut().push(id.to_string());
        self.inner.cvss(id)
    }
    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, caulk_assess::SourceError> {
        self.inner.kev(cve)
    }
    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, caulk_assess::SourceError> {
        self.inner.epss(cve)
    }
}

/// Performance regression guard (BENCHMARKS.md, "scan"): the binaries of one source and the
/// versions of one crate share a lookup, and each id's scores are asked once per scan; the
/// findings are the same as when each package is matched on its own.
#[test]
fn each_name_is_looked_up_once_per_scan() {
    let mut inner = MemSource::new();
    inner
        .add(Advisory {
            severity: vec![cvss(7.5, Severity::High, "osv:A-1")],
            ..adv("A-1", vec![fixed_in("Debian:12", "foo", "1.0-2")])
        })
        .link("A-1", &["CVE-2026-0001"]);
    inner.add_cvss(
        "CVE-2026-0001",
        cvss(9.8, Severity::Critical, "nvd:nvd@nist.gov:Primary"),
    );
    inner.add(adv(
        "RUSTSEC-2026-0001",
        vec![AffectedPackage {
            ranges: vec![range(
                "SEMVER",
                &[
                    (EventKind::Introduced, "0.0.0-0"),
                    (EventKind::Fixed, "1.0.0"),
                    (EventKind::Introduced, "2.0.0"),
                    (EventKind::Fixed, "2.0.5"),
                ],
            )],
            ..fixed_in("crates.io", "bar", "unused")
        }],
    ));
    let src = Counting {
        inner,
        lookups: Default::default(),
        cvss: Default::default(),
    };
    let inv = inventory(vec![
        pkg("Debian:12", "libfoo1", "1.0-1", Some(("foo", "1.0-1"))),
        pkg("Debian:12", "foo-bin", "1.0-1", Some(("foo", "1.0-1"))),
        pkg("Debian:12", "foo-doc", "1.0-1", Some(("foo", "1.0-1"))),
        lang("crates.io", "bar", "0.9.0", "/a/Cargo.lock"),
        lang("crates.io", "bar", "2.0.1", "/a/Cargo.lock"),
        lang("crates.io", "bar", "2.0.5", "/a/Cargo.lock"),
        lang("crates.io", "bar", "0.9.0", "/b/Cargo.lock"),
    ]);
    let policy = Policy::builtin();
    let opts = ScanOptions {
        tool: Tool {
            name: "caulk".into(),
            version: "test".into(),
        },
        target_kind: TargetKind::Inventory,
        target_path: None,
        database: DatabaseInfo::default(),
        policy: &policy,
        context: AssetContext::default(),
        context_source: "default".into(),
        config_file: None,
        exceptions: &[],
        issues: vec![],
        apt: None,
        today: "2026-11-27".parse().unwrap(),
        generated_at: None,
        filter: None,
    };
    let r = scan(&inv, &src, &opts);
    let mut got: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f.package.name,
                f.package.version,
                f.package.file.as_deref().unwrap_or(""),
                f.vulnerability.id
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "bar 0.9.0 /a/Cargo.lock RUSTSEC-2026-0001",
            "bar 0.9.0 /b/Cargo.lock RUSTSEC-2026-0001",
            "bar 2.0.1 /a/Cargo.lock RUSTSEC-2026-0001",
            "foo-bin 1.0-1 /var/lib/dpkg/status CVE-2026-0001",
            "foo-doc 1.0-1 /var/lib/dpkg/status CVE-2026-0001",
            "libfoo1 1.0-1 /var/lib/dpkg/status CVE-2026-0001",
        ]
    );
    // Matched one by one, the same findings.
    let alone: usize = inv
        .packages
        .iter()
        .map(|p| {
            scan(&inventory(vec![p.clone()]), &src.inner, &opts)
                .findings
                .len()
        })
        .sum();
    assert_eq!(alone, got.len());
    let lookups = src.lookups.borrow();
    assert_eq!(
        lookups.values().copied().collect::<Vec<_>>(),
        [1, 1],
        "{lookups:?}"
    );
    // Scores are asked once per id for the whole scan: the advisory's own severity and the
    // CVE's NVD score, each once however many packages share them.
    let asked = src.cvss.borrow();
    let mut once = asked.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), asked.len(), "asked twice: {asked:?}");
    assert!(asked.iter().any(|i| i == "A-1"), "{asked:?}");
    assert!(asked.iter().any(|i| i == "CVE-2026-0001"), "{asked:?}");
    let f = r
        .findings
        .iter()
        .find(|f| f.package.name == "libfoo1")
        .unwrap();
    assert_eq!(f.cvss.as_ref().unwrap().source, "osv:A-1", "OSV before NVD");
}

/// A source whose set-based reads all fail (a database error in one statement): the scan
/// reads key by key instead and reports the same.
struct SetsFail(MemSource);

impl caulk_assess::AdvisorySource for SetsFail {
    fn lookup(
        &self,
        ecosystem: &str,
        name: &str,
    ) -> Result<Vec<caulk_assess::Hit>, caulk_assess::SourceError> {
        self.0.lookup(ecosystem, name)
    }
    fn advisory(&self, id: &str) -> Result<Option<Advisory>, caulk_assess::SourceError> {
        self.0.advisory(id)
    }
    fn advisory_vulnerabilities(
        &self,
        advisory: &str,
    ) -> Result<Vec<String>, caulk_assess::SourceError> {
        self.0.advisory_vulnerabilities(advisory)
    }
    fn vulnerability(
        &self,
        id: &str,
    ) -> Result<Option<caulk_model::advisory::Vulnerability>, caulk_assess::SourceError> {
        self.0.vulnerability(id)
    }
    fn cvss(&self, id: &str) -> Result<Vec<CvssScore>, caulk_assess::SourceError> {
        self.0.cvss(id)
    }
    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, caulk_assess::SourceError> {
        self.0.kev(cve)
    }
    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, caulk_assess::SourceError> {
        self.0.epss(cve)
    }
    fn lookup_many(
        &self,
        _: &str,
        _: &[&str],
    ) -> Result<Vec<caulk_assess::Hit>, caulk_assess::SourceError> {
        Err(caulk_assess::SourceError::new("lookups", "disk I/O error"))
    }
    fn advisory_facts(
        &self,
        _: &[&str],
    ) -> Result<Vec<caulk_model::advisory::AdvisoryFacts>, caulk_assess::SourceError> {
        Err(caulk_assess::SourceError::new(
            "advisories",
            "disk I/O error",
        ))
    }
    fn advisory_vulnerabilities_many(
        &self,
        _: &[&str],
    ) -> Result<Vec<(String, String)>, caulk_assess::SourceError> {
        Err(caulk_assess::SourceError::new("links", "disk I/O error"))
    }
    fn vulnerabilities(
        &self,
        _: &[&str],
    ) -> Result<Vec<(String, caulk_model::advisory::Vulnerability)>, caulk_assess::SourceError>
    {
        Err(caulk_assess::SourceError::new(
            "vulnerabilities",
            "disk I/O error",
        ))
    }
    fn cvss_many(&self, _: &[&str]) -> Result<Vec<(String, CvssScore)>, caulk_assess::SourceError> {
        Err(caulk_assess::SourceError::new("cvss", "disk I/O error"))
    }
    fn kev_many(&self, _: &[&str]) -> Result<Vec<KevEntry>, caulk_assess::SourceError> {
        Err(caulk_assess::SourceError::new("kev", "disk I/O error"))
    }
    fn epss_many(&self, _: &[&str]) -> Result<Vec<EpssScore>, caulk_assess::SourceError> {
        Err(caulk_assess::SourceError::new("epss", "disk I/O error"))
    }
}

#[test]
fn failed_set_reads_fall_back_to_single_reads() {
    let mut src = MemSource::new();
    src.add(adv("A-1", vec![fixed_in("Debian:12", "foo", "1.0-2")]))
        .link("A-1", &["CVE-2026-0001", "CVE-2026-0002"]);
    src.add(adv("B-1", vec![fixed_in("Debian:12", "bar", "2.0-2")]));
    src.add_kev(kev_entry("CVE-2026-0001"));
    src.add_cvss("A-1", cvss(7.5, Severity::High, "osv:A-1"));
    src.add_cvss(
        "CVE-2026-0002",
        cvss(9.8, Severity::Critical, "nvd:nvd@nist.gov:Primary"),
    );
    src.add_epss(EpssScore {
        cve_id: "CVE-2026-0001".into(),
        score: 0.9,
        percentile: 0.99,
        model_version: None,
        score_date: None,
    });
    let inv = inventory(vec![
        pkg("Debian:12", "libfoo1", "1.0-1", Some(("foo", "1.0-1"))),
        pkg("Debian:12", "foo-tools", "1.0-1", Some(("foo", "1.0-1"))),
        pkg("Debian:12", "bar", "2.0-1", Some(("bar", "2.0-1"))),
    ]);
    let want = run(&inv, &src);
    assert_eq!(want.findings.len(), 5, "{:?}", ids(&want));
    assert!(
        want.findings
            .iter()
            .any(|f| f.kev.is_some() && f.epss.is_some())
    );
    let got = run_with(&inv, &SetsFail(src), None, &[]);
    assert_eq!(
        serde_json::to_value(&got).unwrap(),
        serde_json::to_value(&want).unwrap()
    );
}

/// An entry marked informational (RustSec `unmaintained`, `unsound`, `notice`).
fn informational(eco: &str, name: &str, kind: &str) -> AffectedPackage {
    AffectedPackage {
        informational: Some(kind.into()),
        ranges: vec![range("SEMVER", &[(EventKind::Introduced, "0.0.0-0")])],
        ..fixed_in(eco, name, "unused")
    }
}

#[test]
fn informational_only_findings_are_marked_and_mixed_ones_are_not() {
    let mut src = MemSource::new();
    // `failure`: unmaintained only → marked, deferred, with the reason in words.
    src.add(adv(
        "RUSTSEC-2020-0036",
        vec![informational("crates.io", "failure", "unmaintained")],
    ));
    // `mixed`: one vulnerability of two advisories is informational, the other not → not
    // marked: at least one matching entry reports a vulnerability.
    let mut info = adv(
        "RUSTSEC-2026-0002",
        vec![informational("crates.io", "mixed", "unsound")],
    );
    info.aliases = vec!["CVE-2026-0002".into()];
    src.add(info);
    let mut vuln = adv(
        "GHSA-mixd-mixd-mixd",
        vec![fixed_in("crates.io", "mixed", "2.0.0")],
    );
    vuln.aliases = vec!["CVE-2026-0002".into()];
    src.add(vuln);
    // `kinds`: two informational advisories of one vulnerability that disagree → the kind
    // of the lowest advisory id, whatever order they come in.
    let mut a = adv(
        "RUSTSEC-2026-0010",
        vec![informational("crates.io", "kinds", "unsound")],
    );
    a.aliases = vec!["RUSTSEC-2026-0011".into()];
    src.add(a);
    src.add(adv(
        "RUSTSEC-2026-0011",
        vec![informational("crates.io", "kinds", "notice")],
    ));
    // `plain`: an ordinary advisory.
    src.add(adv(
        "RUSTSEC-2026-0020",
        vec![fixed_in("crates.io", "plain", "1.0.1")],
    ));
    let inv = inventory(vec![
        lang("crates.io", "failure", "0.1.8", "/src/Cargo.lock"),
        lang("crates.io", "mixed", "1.0.0", "/src/Cargo.lock"),
        lang("crates.io", "kinds", "1.0.0", "/src/Cargo.lock"),
        lang("crates.io", "plain", "1.0.0", "/src/Cargo.lock"),
    ]);
    let r = run(&inv, &src);
    let kind = |name: &str| {
        let f = r
            .findings
            .iter()
            .find(|f| f.package.name == name)
            .unwrap_or_else(|| panic!("{name}"));
        (f.informational.as_deref(), f)
    };

    let (k, f) = kind("failure");
    assert_eq!(k, Some("unmaintained"));
    assert_eq!(f.status, Status::Unfixed);
    assert_eq!(f.priority.decision, Decision::Defer, "{:?}", f.priority);
    assert!(
        f.priority.reasons[0].starts_with("informational advisory (unmaintained): "),
        "{:?}",
        f.priority.reasons
    );

    let (k, f) = kind("mixed");
    assert_eq!(k, None, "one matching entry is a vulnerability");
    assert_eq!(
        *f.advisory_ids,
        ["GHSA-mixd-mixd-mixd", "RUSTSEC-2026-0002"],
        "one finding of both advisories"
    );
    assert!(
        !f.priority
            .reasons
            .iter()
            .any(|r| r.contains("informational")),
        "{:?}",
        f.priority.reasons
    );
    assert_eq!(f.priority.decision, Decision::Scheduled);

    let (k, f) = kind("kinds");
    assert_eq!(*f.advisory_ids, ["RUSTSEC-2026-0010", "RUSTSEC-2026-0011"]);
    assert_eq!(k, Some("unsound"), "the kind of RUSTSEC-2026-0010");

    let (k, _) = kind("plain");
    assert_eq!(k, None);

    // The JSON says `null` for ordinary findings, never omits the field.
    let j = serde_json::to_value(&r).unwrap();
    for f in j["findings"].as_array().unwrap() {
        assert!(f.get("informational").is_some(), "{f}");
    }
}

/// Item 10 of issue 11: on an Ubuntu Pro host the `Ubuntu:Pro:<release>:LTS` stream is
/// consulted too, and it is the newer word for the release: an advisory whose plain entry
/// knows no fix but whose Pro entry finds the installed `+esm` version fixed is no finding;
/// one whose Pro entry still finds it affected takes the Pro fix. Without Pro (or with
/// only services that have no stream) nothing changes.
#[test]
fn a_pro_host_is_judged_against_the_pro_stream() {
    use caulk_model::inventory::{OsInfo, UbuntuPro};
    let unfixed = |eco: &str, name: &str| AffectedPackage {
        ranges: vec![range("ECOSYSTEM", &[(EventKind::Introduced, "0")])],
        ..fixed_in(eco, name, "0")
    };
    let mut src = MemSource::new();
    src.add(adv(
        "UBUNTU-CVE-2024-0001",
        vec![
            unfixed("Ubuntu:20.04:LTS", "libxml2"),
            fixed_in(
                "Ubuntu:Pro:20.04:LTS",
                "libxml2",
                "2.9.10+dfsg-5ubuntu0.20.04.7+esm1",
            ),
        ],
    ));
    src.add(adv(
        "UBUNTU-CVE-2024-0002",
        vec![fixed_in(
            "Ubuntu:Pro:20.04:LTS",
            "libxml2",
            "2.9.10+dfsg-5ubuntu0.20.04.7+esm2",
        )],
    ));
    let installed = "2.9.10+dfsg-5ubuntu0.20.04.7+esm1";
    let host = |enabled: &[&str]| {
        let mut inv = inventory(vec![pkg(
            "Ubuntu:20.04:LTS",
            "libxml2",
            installed,
            Some(("libxml2", installed)),
        )]);
        inv.host.os = Some(OsInfo {
            id: Some("ubuntu".into()),
            ecosystem: Some("Ubuntu:20.04:LTS".into()),
            ubuntu_pro: Some(UbuntuPro {
                attached: true,
                enabled: enabled.iter().map(|s| s.to_string()).collect(),
                file: "/var/lib/ubuntu-advantage/status.json".into(),
            }),
            ..OsInfo::default()
        });
        inv
    };
    let ids = |r: &ScanReport| -> Vec<(String, Option<String>)> {
        r.findings
            .iter()
            .map(|f| {
                (
                    f.vulnerability.id.clone(),
                    f.fixed_version.as_deref().map(str::to_string),
                )
            })
            .collect()
    };
    let r = run_with(&host(&["esm-infra"]), &src, None, &[]);
    assert_eq!(
        ids(&r),
        [(
            "CVE-2024-0002".to_string(),
            Some("2.9.10+dfsg-5ubuntu0.20.04.7+esm2".to_string())
        )]
    );
    // Not Pro (nothing enabled that has a stream): the plain stream alone, which knows no fix.
    for enabled in [&[][..], &["livepatch"][..]] {
        let r = run_with(&host(enabled), &src, None, &[]);
        assert_eq!(
            ids(&r),
            [("CVE-2024-0001".to_string(), None)],
            "{enabled:?}"
        );
    }
    assert_eq!(
        caulk_assess::matching::pro_streams(
            host(&["fips-updates", "esm-apps"])
                .host
                .os
                .as_ref()
                .and_then(|o| o.ubuntu_pro.as_ref()),
            "Ubuntu:20.04:LTS"
        ),
        ["Ubuntu:Pro:20.04:LTS", "Ubuntu:Pro:FIPS-updates:20.04:LTS"]
    );
    // Not for a non-LTS release, another distro, or a Pro stream itself.
    let pro = UbuntuPro {
        attached: true,
        enabled: vec!["esm-infra".into()],
        file: String::new(),
    };
    for eco in ["Ubuntu:23.10", "Debian:12", "Ubuntu:Pro:20.04:LTS"] {
        assert!(
            caulk_assess::matching::pro_streams(Some(&pro), eco).is_empty(),
            "{eco}"
        );
    }
}

fn cvss98_nvd() -> caulk_model::advisory::CvssScore {
    caulk_model::advisory::CvssScore {
        version: caulk_model::advisory::CvssVersion::V3_1,
        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
        base_score: 9.8,
        severity: caulk_model::advisory::Severity::Critical,
        published_score: Some(9.8),
        source: "nvd".into(),
    }
}

/// Review finding: a Debian finding took its severity from Ubuntu's priority (or GitHub's
/// rating) of the same CVE through the merged identity. A distribution's rating rates its
/// own packages only.
#[test]
fn a_debian_finding_never_takes_ubuntus_or_githubs_rating() {
    use caulk_model::advisory::VendorSeverity;
    let mut src = MemSource::new();
    let mut deb = adv(
        "DEBIAN-CVE-2024-1111",
        vec![fixed_in("Debian:12", "glibc", "2.36-9+deb12u4")],
    );
    deb.upstream = vec!["CVE-2024-1111".into()];
    src.add(deb);
    src.add_cvss("CVE-2024-1111", cvss98_nvd());
    let mut ubu = adv(
        "UBUNTU-CVE-2024-1111",
        vec![fixed_in("Ubuntu:22.04:LTS", "glibc", "2.35-0ubuntu3.5")],
    );
    ubu.upstream = vec!["CVE-2024-1111".into()];
    ubu.vendor_severity = vec![VendorSeverity {
        severity: caulk_model::advisory::Severity::Low,
        label: "negligible".into(),
        kind: "Ubuntu priority".into(),
        source: "osv:UBUNTU-CVE-2024-1111".into(),
    }];
    src.add(ubu);
    let mut ghsa = adv("GHSA-aaaa-bbbb-cccc", vec![]);
    ghsa.aliases = vec!["CVE-2024-1111".into()];
    ghsa.vendor_severity = vec![VendorSeverity {
        severity: caulk_model::advisory::Severity::Low,
        label: "LOW".into(),
        kind: "GHSA severity".into(),
        source: "osv:GHSA-aaaa-bbbb-cccc".into(),
    }];
    src.add(ghsa);
    let inv = inventory(vec![pkg(
        "Debian:12",
        "libc6",
        "2.36-9+deb12u3",
        Some(("glibc", "2.36-9+deb12u3")),
    )]);
    let r = run(&inv, &src);
    assert_eq!(r.findings.len(), 1, "{:?}", ids(&r));
    let f = &r.findings[0];
    assert_eq!(
        f.severity,
        caulk_model::advisory::Severity::Critical,
        "{:?}",
        f.priority.reasons
    );
    assert!(f.vendor_severity.is_none(), "{:?}", f.vendor_severity);
}

/// Review finding: packages matching skips (an Ubuntu host caulk cannot place) are counted
/// as not checked, so a scan of nothing else is incomplete.
#[test]
fn packages_matching_skips_are_counted_as_not_checked() {
    let src = MemSource::new();
    let inv = inventory(vec![pkg(
        "Ubuntu",
        "libc6",
        "2.35-0ubuntu3.4",
        Some(("glibc", "2.35-0ubuntu3.4")),
    )]);
    let r = run_with(&inv, &src, None, &["osv/Ubuntu"]);
    assert_eq!(r.target.packages, 1);
    assert_eq!(r.summary.packages_not_checked, 1, "{:#?}", r.issues);
    // With no feed for the ecosystem, counted once, not twice.
    let r = run_with(&inv, &src, None, &["osv/Debian"]);
    assert_eq!(r.summary.packages_not_checked, 1, "{:#?}", r.issues);
}
