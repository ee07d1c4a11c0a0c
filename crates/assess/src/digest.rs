//! What a fleet keeps of a scan, package by package: the few facts of each finding that a
//! report's counts and remediations are made of ([`PackageDigest`]), and the tally that
//! turns the digests of a host's packages back into those counts and remediations
//! ([`tally`]) without building a finding.
//!
//! Why it holds: a package's findings depend on the package, its match group (ecosystem and
//! lookups: the package itself), the Ubuntu Pro streams of its host, its kernel role on its
//! host, the asset context, the day, the policy, the exceptions and the advisory database —
//! never on the host's other packages. A digest taken from one host's scan
//! ([`crate::scan_digested`]) is the digest of that package on every host that agrees on
//! those; the caller keys its digests by them. The counting and the grouping into upgrades
//! are the scan's own ([`count_active`], [`UpgradeTally`], [`rank_remediations`]): one
//! definition, two inputs.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use caulk_model::advisory::Severity;
use caulk_model::finding::{self, Decision, Finding, Remediation, Status, Summary};
use caulk_model::inventory::Package;
use caulk_version::{Ecosystem, Scheme};

/// What counts of one finding.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingDigest {
    pub vulnerability: Arc<str>,
    pub status: Status,
    pub severity: Severity,
    pub decision: Decision,
    /// The priority's composite score (what a remediation's risk removed adds up).
    pub score: f64,
    pub kev: bool,
    pub overdue: bool,
    pub suppressed: bool,
    pub informational: Option<Arc<str>>,
    pub fixed_version: Option<Arc<str>>,
}

impl FindingDigest {
    pub fn of(f: &Finding) -> FindingDigest {
        FindingDigest {
            vulnerability: Arc::from(f.vulnerability.id.as_str()),
            status: f.status,
            severity: f.severity,
            decision: f.priority.decision,
            score: f.priority.score,
            kev: f.kev.is_some(),
            overdue: f.priority.overdue,
            suppressed: f.is_suppressed(),
            informational: f.informational.clone(),
            fixed_version: f.fixed_version.clone(),
        }
    }

    /// Counted by a remediation: active, fixed, with a version to upgrade to.
    fn fixable(&self) -> Option<&str> {
        if self.suppressed || self.status != Status::Fixed {
            return None;
        }
        self.fixed_version.as_deref()
    }
}

/// A package's findings, in the scan's order (by vulnerability id), before any filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageDigest {
    pub findings: Vec<FindingDigest>,
}

impl PackageDigest {
    /// A hash of the whole content (scores by their bits): digests equal by content hash
    /// equal, so a holder can keep one copy of each.
    pub fn content_hash(&self) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = foldhash::fast::FixedState::with_seed(0x0063_6175_6c6b).build_hasher();
        self.findings.len().hash(&mut h);
        for f in &self.findings {
            f.vulnerability.hash(&mut h);
            f.status.hash(&mut h);
            f.severity.hash(&mut h);
            f.decision.hash(&mut h);
            f.score.to_bits().hash(&mut h);
            (f.kev, f.overdue, f.suppressed).hash(&mut h);
            f.informational.hash(&mut h);
            f.fixed_version.hash(&mut h);
        }
        h.finish()
    }
}

/// The upgrade a package's fixes belong to: a distribution package is upgraded with its
/// source (every binary of it at once), a language package in its own file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpgradeKey {
    pub ecosystem: String,
    pub package: String,
    /// The lockfile or manifest; empty for a distribution package.
    pub file: String,
}

impl UpgradeKey {
    pub fn of(p: &Package) -> UpgradeKey {
        upgrade_key(
            &p.ecosystem,
            &p.name,
            p.source_name.as_deref(),
            Some(p.file.as_str()),
            Ecosystem::parse(&p.ecosystem).kind.is_distro(),
        )
    }
}

/// The one rule behind [`UpgradeKey`] (the scan applies it to a finding's package).
pub(crate) fn upgrade_key(
    ecosystem: &str,
    name: &str,
    source_name: Option<&str>,
    file: Option<&str>,
    distro: bool,
) -> UpgradeKey {
    if distro {
        UpgradeKey {
            ecosystem: ecosystem.to_string(),
            package: source_name.unwrap_or(name).to_string(),
            file: String::new(),
        }
    } else {
        UpgradeKey {
            ecosystem: ecosystem.to_string(),
            package: name.to_string(),
            file: file.unwrap_or_default().to_string(),
        }
    }
}

/// Count one active (not suppressed) finding into a summary. The scan's summary and the
/// fleet's tally both count through here.
pub(crate) fn count_active(
    s: &mut Summary,
    status: Status,
    severity: Severity,
    decision: Decision,
    kev: bool,
    overdue: bool,
    informational: Option<&str>,
) {
    s.findings += 1;
    match status {
        Status::Fixed => s.by_status.fixed += 1,
        Status::Unfixed => s.by_status.unfixed += 1,
        Status::WillNotFix => s.by_status.will_not_fix += 1,
        Status::NotAffected => s.by_status.not_affected += 1,
        // A status this build does not know yet: counted nowhere rather than guessed.
        _ => {}
    }
    match severity {
        Severity::Critical => s.by_severity.critical += 1,
        Severity::High => s.by_severity.high += 1,
        Severity::Medium => s.by_severity.medium += 1,
        Severity::Low => s.by_severity.low += 1,
        Severity::None => s.by_severity.none += 1,
        Severity::Unknown => s.by_severity.unknown += 1,
    }
    match decision {
        Decision::ActNow => s.by_decision.act_now += 1,
        Decision::OutOfCycle => s.by_decision.out_of_cycle += 1,
        Decision::Scheduled => s.by_decision.scheduled += 1,
        Decision::Defer => s.by_decision.defer += 1,
    }
    if kev {
        s.kev += 1;
    }
    if overdue {
        s.overdue += 1;
    }
    if let Some(k) = informational {
        *s.informational.entry(k.to_string()).or_default() += 1;
    }
}

/// One upgrade's fixes added up, finding by finding in the scan's order: the target (the
/// highest fixed version; the first seen among equals), the risk removed (per vulnerability
/// its highest score, summed), the KEV vulnerabilities, the highest severity and decision.
pub(crate) struct UpgradeTally<'f> {
    scheme: Scheme,
    target: Option<(&'f str, Option<caulk_version::Version>)>,
    per_vuln: foldhash::HashMap<&'f str, f64>,
    kev: foldhash::HashSet<&'f str>,
    max_severity: Severity,
    decision: Decision,
}

/// What an [`UpgradeTally`] came to.
pub(crate) struct UpgradeTotals {
    pub target: Option<String>,
    pub vulnerabilities: Vec<String>,
    pub kev_count: u64,
    pub max_severity: Severity,
    pub decision: Decision,
    /// Rounded to one decimal, as reports show it.
    pub risk_removed: f64,
}

impl<'f> UpgradeTally<'f> {
    pub(crate) fn new(ecosystem: &str) -> UpgradeTally<'f> {
        UpgradeTally {
            scheme: Ecosystem::parse(ecosystem)
                .scheme()
                .unwrap_or(Scheme::SemVer),
            target: None,
            per_vuln: foldhash::HashMap::default(),
            kev: foldhash::HashSet::default(),
            max_severity: Severity::Unknown,
            decision: Decision::Defer,
        }
    }

    pub(crate) fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub(crate) fn add(
        &mut self,
        fixed: Option<&'f str>,
        vulnerability: &'f str,
        score: f64,
        kev: bool,
        severity: Severity,
        decision: Decision,
    ) {
        if let Some(v) = fixed {
            let scheme = self.scheme;
            // A group is often one version repeated over hundreds of findings: each distinct
            // string is parsed once.
            self.target = match self.target.take() {
                Some((t, tp)) if t == v => Some((t, tp)),
                Some((t, tp)) => {
                    let vp = scheme.parse_lenient(v).ok();
                    // `v` above the target, as `Scheme::compare_lenient` would say it
                    // (unparsable: not above).
                    let above = match (&vp, &tp) {
                        (Some(a), Some(b)) => a.try_cmp(b).ok() == Some(Ordering::Greater),
                        _ => false,
                    };
                    if above { Some((v, vp)) } else { Some((t, tp)) }
                }
                None => Some((v, scheme.parse_lenient(v).ok())),
            };
        }
        let s = self.per_vuln.entry(vulnerability).or_insert(0.0);
        *s = s.max(score);
        if kev {
            self.kev.insert(vulnerability);
        }
        self.max_severity = self.max_severity.max(severity);
        self.decision = self.decision.max(decision);
    }

    pub(crate) fn finish(self) -> UpgradeTotals {
        // Summed in vulnerability id order: the same float whatever order they came in.
        let mut per_vuln: Vec<(&str, f64)> = self.per_vuln.into_iter().collect();
        per_vuln.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let risk: f64 = per_vuln.iter().map(|v| v.1).sum();
        UpgradeTotals {
            target: self.target.map(|t| t.0.to_string()),
            vulnerabilities: per_vuln.iter().map(|v| v.0.to_string()).collect(),
            kev_count: self.kev.len() as u64,
            max_severity: self.max_severity,
            decision: self.decision,
            risk_removed: (risk * 10.0).round() / 10.0,
        }
    }
}

/// A report's order of remediations: the most urgent decision first (an act-now KEV fix
/// before a scheduled one, however many findings that one fixes; a deferred upgrade — a
/// kernel's headers — last), then by the risk each removes, then by id.
pub(crate) fn rank_remediations(out: &mut [Remediation]) {
    out.sort_by(|a, b| {
        b.decision
            .cmp(&a.decision)
            .then(finding::OrdF64(b.risk_removed).cmp(&finding::OrdF64(a.risk_removed)))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// A remediation's id: `eco/package@target`, and ` in file` for a language package.
pub(crate) fn remediation_id(key: &UpgradeKey, target: &str) -> String {
    let mut id = format!("{}/{}@{target}", key.ecosystem, key.package);
    if !key.file.is_empty() {
        id.push_str(" in ");
        id.push_str(&key.file);
    }
    id
}

/// What a host's scan counts and fixes, from its packages' digests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// The counts of the report's summary: findings, vulnerabilities, by status, severity
    /// and decision, KEV, overdue, informational, remediations, suppressed. (Not what needs
    /// the rest of the scan: packages, issues, installability, packages not checked.)
    pub summary: Summary,
    /// The report's remediations with what a fleet keeps of them: id, ecosystem, package,
    /// target version, vulnerabilities, findings, KEV count, highest severity, decision and
    /// risk removed; in the report's order.
    pub remediations: Vec<Remediation>,
}

/// The counts and remediations of a scan whose packages (in the inventory's order, as
/// [`Inventory::normalize`](caulk_model::inventory::Inventory::normalize) leaves it) have
/// these digests and upgrade keys. Equal to the report's (tested against whole scans of
/// real and simulated hosts).
pub fn tally<'d>(packages: impl IntoIterator<Item = (&'d UpgradeKey, &'d PackageDigest)>) -> Tally {
    /// An upgrade's packages: their distinct digests (one copy of a digest adds nothing to
    /// a tally that keeps maxima, sets and the first of equal targets) and fixable findings.
    #[derive(Default)]
    struct Unit<'d> {
        digests: Vec<&'d PackageDigest>,
        findings: u64,
    }
    let mut summary = Summary::default();
    let mut vulns: foldhash::HashSet<&str> = foldhash::HashSet::default();
    let mut seen: foldhash::HashSet<*const PackageDigest> = foldhash::HashSet::default();
    let mut by_unit: BTreeMap<&UpgradeKey, Unit<'d>> = BTreeMap::new();
    for (key, d) in packages {
        let first = seen.insert(d as *const PackageDigest);
        let mut fixable = 0;
        for f in &d.findings {
            if f.suppressed {
                summary.suppressed += 1;
                continue;
            }
            count_active(
                &mut summary,
                f.status,
                f.severity,
                f.decision,
                f.kev,
                f.overdue,
                f.informational.as_deref(),
            );
            if first {
                vulns.insert(&f.vulnerability);
            }
            if f.fixable().is_some() {
                fixable += 1;
            }
        }
        if fixable > 0 {
            let u = by_unit.entry(key).or_default();
            u.findings += fixable;
            if !u.digests.iter().any(|x| std::ptr::eq(*x, d)) {
                u.digests.push(d);
            }
        }
    }
    summary.vulnerabilities = vulns.len() as u64;
    let mut remediations = Vec::with_capacity(by_unit.len());
    for (key, unit) in by_unit {
        let mut t = UpgradeTally::new(&key.ecosystem);
        for f in unit
            .digests
            .iter()
            .flat_map(|d| &d.findings)
            .filter(|f| f.fixable().is_some())
        {
            t.add(
                f.fixable(),
                &f.vulnerability,
                f.score,
                f.kev,
                f.severity,
                f.decision,
            );
        }
        let t = t.finish();
        let Some(target) = t.target else { continue };
        remediations.push(Remediation {
            id: remediation_id(key, &target),
            ecosystem: key.ecosystem.clone(),
            package: key.package.clone(),
            target_version: target,
            files: if key.file.is_empty() {
                Vec::new()
            } else {
                vec![key.file.clone()]
            },
            vulnerabilities: t.vulnerabilities,
            findings: unit.findings,
            kev_count: t.kev_count,
            max_severity: t.max_severity,
            decision: t.decision,
            risk_removed: t.risk_removed,
            ..Remediation::default()
        });
    }
    rank_remediations(&mut remediations);
    summary.remediations = remediations.len() as u64;
    Tally {
        summary,
        remediations,
    }
}
