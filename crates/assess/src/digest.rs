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
            scheme: scheme_for(ecosystem),
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
                    if above(vp.as_ref(), tp.as_ref()) {
                        Some((v, vp))
                    } else {
                        Some((t, tp))
                    }
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

/// The scheme an upgrade's fixed versions are compared in (an ecosystem without one of its
/// own: SemVer's, leniently).
pub fn scheme_for(ecosystem: &str) -> Scheme {
    Ecosystem::parse(ecosystem)
        .scheme()
        .unwrap_or(Scheme::SemVer)
}

/// Whether a fixed version (`v`, parsed) goes above an upgrade's target so far (`t`, parsed),
/// as `Scheme::compare_lenient` would say it: an unparsable one is never above, and nothing is
/// above an unparsable target. The one rule of [`UpgradeTally`] and of a tally of prepared
/// digests.
fn above(v: Option<&caulk_version::Version>, t: Option<&caulk_version::Version>) -> bool {
    match (v, t) {
        (Some(a), Some(b)) => a.try_cmp(b).ok() == Some(Ordering::Greater),
        _ => false,
    }
}

/// A report's order of remediations: the most urgent decision first (an act-now KEV fix
/// before a scheduled one, however many findings that one fixes; a deferred upgrade — a
/// kernel's headers — last), then by the risk each removes, then by id.
pub(crate) fn rank_remediations<R: Ranked>(out: &mut [R]) {
    out.sort_by(|a, b| {
        let (a, b) = (a.rank(), b.rank());
        b.0.cmp(&a.0)
            .then(finding::OrdF64(b.1).cmp(&finding::OrdF64(a.1)))
            .then_with(|| a.2.cmp(b.2))
    });
}

/// What a remediation is ranked by: decision, risk removed, id.
pub(crate) trait Ranked {
    fn rank(&self) -> (Decision, f64, &str);
}

impl Ranked for Remediation {
    fn rank(&self) -> (Decision, f64, &str) {
        (self.decision, self.risk_removed, &self.id)
    }
}

impl Ranked for TalliedRemediation {
    fn rank(&self) -> (Decision, f64, &str) {
        (self.decision, self.risk_removed, &self.id)
    }
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
    /// The report's remediations with what a fleet keeps of them, in the report's order.
    pub remediations: Vec<TalliedRemediation>,
}

/// A remediation of a tally: the report's id, upgrade, target, vulnerabilities, findings,
/// KEV count, highest severity, decision and risk removed. The vulnerability list is shared
/// with every host whose upgrade has the same digests.
#[derive(Debug, Clone, PartialEq)]
pub struct TalliedRemediation {
    pub id: String,
    pub ecosystem: String,
    pub package: String,
    pub target_version: String,
    /// The lockfile or manifest of a language package's upgrade; empty for a distribution's.
    pub file: String,
    /// Sorted.
    pub vulnerabilities: Arc<[Arc<str>]>,
    pub findings: u64,
    pub kev_count: u64,
    pub max_severity: Severity,
    pub decision: Decision,
    pub risk_removed: f64,
}

/// A [`PackageDigest`] made ready to tally, for packages of one version scheme: what its
/// findings add to a host's counts and to its upgrade's remediation, worked out once for
/// every host that has it. Equal prepared digests (same content, same scheme) are
/// interchangeable, and a holder keeps one copy of each.
#[derive(Debug)]
pub struct PreparedDigest {
    digest: PackageDigest,
    scheme: Scheme,
    /// Its active findings counted, and its suppressed ones (`suppressed`).
    counts: Summary,
    /// The distinct vulnerabilities of its active findings, each with its hash.
    vulns: Box<[(u64, Arc<str>)]>,
    fix: Option<FixPart>,
}

/// What a package's fixable findings add to its upgrade.
#[derive(Debug)]
struct FixPart {
    findings: u64,
    /// The target a fold of these findings' fixed versions starts from (the first) and the
    /// first of the highest of them that parse: a fold over the findings and a fold over
    /// these two give the same target (for one scheme's total order), so an upgrade's target
    /// is folded digest by digest.
    first: (Arc<str>, Option<caulk_version::Version>),
    best: Option<(Arc<str>, caulk_version::Version)>,
    /// Per vulnerability its highest score, by id.
    per_vuln: Box<[(Arc<str>, f64)]>,
    /// The ids of `per_vuln` and the sum of their scores: an upgrade of this digest alone.
    vulns: Arc<[Arc<str>]>,
    risk: f64,
    /// The KEV vulnerabilities, by id, each once.
    kev: Box<[Arc<str>]>,
    max_severity: Severity,
    decision: Decision,
}

fn vuln_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x7675_6c6e).hash_one(id)
}

impl PreparedDigest {
    /// `ecosystem`: of the packages this digest is of (it decides the version scheme).
    pub fn new(digest: PackageDigest, ecosystem: &str) -> PreparedDigest {
        let scheme = scheme_for(ecosystem);
        let mut counts = Summary::default();
        let mut vulns: Vec<&Arc<str>> = Vec::new();
        for f in &digest.findings {
            if f.suppressed {
                counts.suppressed += 1;
                continue;
            }
            count_active(
                &mut counts,
                f.status,
                f.severity,
                f.decision,
                f.kev,
                f.overdue,
                f.informational.as_deref(),
            );
            vulns.push(&f.vulnerability);
        }
        vulns.sort_unstable();
        vulns.dedup();
        let vulns = vulns
            .into_iter()
            .map(|v| (vuln_hash(v), v.clone()))
            .collect();

        let mut fix: Option<FixPart> = None;
        for f in &digest.findings {
            let Some(v) = f.fixable() else { continue };
            let parsed = scheme.parse_lenient(v).ok();
            let part = fix.get_or_insert_with(|| FixPart {
                findings: 0,
                first: (f.fixed_version.clone().unwrap_or_default(), parsed.clone()),
                best: None,
                per_vuln: Box::new([]),
                vulns: Arc::new([]),
                risk: 0.0,
                kev: Box::new([]),
                max_severity: Severity::Unknown,
                decision: Decision::Defer,
            });
            part.findings += 1;
            if let Some(p) = parsed {
                // The first of the highest: a later one replaces it only from above.
                let replace = match &part.best {
                    None => true,
                    Some((_, bp)) => above(Some(&p), Some(bp)),
                };
                if replace {
                    part.best = Some((f.fixed_version.clone().unwrap_or_default(), p));
                }
            }
            part.max_severity = part.max_severity.max(f.severity);
            part.decision = part.decision.max(f.decision);
        }
        if let Some(part) = &mut fix {
            let mut per_vuln: Vec<(Arc<str>, f64)> = Vec::new();
            let mut kev: Vec<Arc<str>> = Vec::new();
            for f in digest.findings.iter().filter(|f| f.fixable().is_some()) {
                per_vuln.push((f.vulnerability.clone(), f.score));
                if f.kev {
                    kev.push(f.vulnerability.clone());
                }
            }
            part.per_vuln = max_per_vuln(per_vuln).into();
            part.vulns = part.per_vuln.iter().map(|v| v.0.clone()).collect();
            part.risk = part.per_vuln.iter().map(|v| v.1).sum::<f64>();
            kev.sort_unstable();
            kev.dedup();
            part.kev = kev.into();
        }
        PreparedDigest {
            digest,
            scheme,
            counts,
            vulns,
            fix,
        }
    }

    pub fn digest(&self) -> &PackageDigest {
        &self.digest
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
}

/// Per vulnerability the highest score, by id.
fn max_per_vuln(mut v: Vec<(Arc<str>, f64)>) -> Vec<(Arc<str>, f64)> {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(Arc<str>, f64)> = Vec::with_capacity(v.len());
    for (id, score) in v {
        match out.last_mut() {
            Some(last) if last.0 == id => last.1 = last.1.max(score),
            _ => out.push((id, score)),
        }
    }
    out
}

/// Add one package's counts (its digest's) to a host's.
fn add_counts(into: &mut Summary, c: &Summary) {
    // Every field named: a count added to `Summary` is a compile error here until it is
    // decided whether a digest carries it.
    let Summary {
        packages: _,
        packages_affected: _,
        findings,
        vulnerabilities: _,
        by_status,
        by_severity,
        by_decision,
        kev,
        overdue,
        informational,
        remediations: _,
        remediations_installable: _,
        installability_checked: _,
        suppressed,
        issues: _,
        packages_not_checked: _,
    } = c;
    into.findings += findings;
    let finding::StatusCounts {
        fixed,
        unfixed,
        will_not_fix,
        not_affected,
    } = by_status;
    into.by_status.fixed += fixed;
    into.by_status.unfixed += unfixed;
    into.by_status.will_not_fix += will_not_fix;
    into.by_status.not_affected += not_affected;
    let finding::SeverityCounts {
        critical,
        high,
        medium,
        low,
        none,
        unknown,
    } = by_severity;
    into.by_severity.critical += critical;
    into.by_severity.high += high;
    into.by_severity.medium += medium;
    into.by_severity.low += low;
    into.by_severity.none += none;
    into.by_severity.unknown += unknown;
    let finding::DecisionCounts {
        act_now,
        out_of_cycle,
        scheduled,
        defer,
    } = by_decision;
    into.by_decision.act_now += act_now;
    into.by_decision.out_of_cycle += out_of_cycle;
    into.by_decision.scheduled += scheduled;
    into.by_decision.defer += defer;
    into.kev += kev;
    into.overdue += overdue;
    into.suppressed += suppressed;
    for (k, n) in informational {
        match into.informational.get_mut(k) {
            Some(x) => *x += n,
            None => {
                into.informational.insert(k.clone(), *n);
            }
        }
    }
}

/// Distinct vulnerability ids, by their hashes (a string comparison only where two ids
/// share a hash).
#[derive(Default)]
struct VulnSet<'d> {
    by_hash: foldhash::HashMap<u64, &'d str>,
    /// Ids whose hash another id has.
    collided: foldhash::HashSet<&'d str>,
}

impl<'d> VulnSet<'d> {
    fn insert(&mut self, hash: u64, id: &'d str) {
        match self.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                if *e.get() != id {
                    self.collided.insert(id);
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.by_hash.len() + self.collided.len()
    }
}

/// The counts and remediations of a scan whose packages have these upgrade keys and
/// digests, in any order (the scan's order — the inventory's, as
/// [`Inventory::normalize`](caulk_model::inventory::Inventory::normalize) sorts it — is
/// restored where it matters: among an upgrade's digests). Equal to the report's (tested
/// against whole scans of real and simulated hosts): the same counting ([`count_active`],
/// done once per digest), and per upgrade the same fold of targets, maxima and sets as
/// [`UpgradeTally`], digest by digest instead of finding by finding.
pub fn tally<'d>(
    packages: impl IntoIterator<Item = (&'d UpgradeKey, &'d PreparedDigest, &'d Package)>,
) -> Tally {
    /// An upgrade's packages: their distinct digests, each with the first of its packages
    /// in the scan's order (one copy of a digest adds nothing to a tally that keeps maxima,
    /// sets and the first of equal targets), and their fixable findings.
    #[derive(Default)]
    struct Unit<'d> {
        digests: Vec<(&'d PreparedDigest, &'d Package)>,
        findings: u64,
    }
    let packages: Vec<(&UpgradeKey, &PreparedDigest, &Package)> = packages.into_iter().collect();
    let mut summary = Summary::default();
    // Sized once (an upper bound: shared digests count once).
    let mut vulns = VulnSet {
        by_hash: foldhash::HashMap::with_capacity_and_hasher(
            packages.iter().map(|x| x.1.vulns.len()).sum::<usize>(),
            Default::default(),
        ),
        collided: Default::default(),
    };
    let mut seen: foldhash::HashSet<*const PreparedDigest> =
        foldhash::HashSet::with_capacity_and_hasher(packages.len(), Default::default());
    let mut by_unit: BTreeMap<&UpgradeKey, Unit<'d>> = BTreeMap::new();
    for (key, d, p) in packages {
        add_counts(&mut summary, &d.counts);
        if seen.insert(d as *const PreparedDigest) {
            for (h, id) in &d.vulns {
                vulns.insert(*h, id);
            }
        }
        if let Some(fix) = &d.fix {
            let u = by_unit.entry(key).or_default();
            u.findings += fix.findings;
            match u.digests.iter_mut().find(|x| std::ptr::eq(x.0, d)) {
                Some(x) => {
                    if p.sort_key() < x.1.sort_key() {
                        x.1 = p;
                    }
                }
                None => u.digests.push((d, p)),
            }
        }
    }
    summary.vulnerabilities = vulns.len() as u64;
    let mut remediations = Vec::with_capacity(by_unit.len());
    for (key, mut unit) in by_unit {
        // In the order the scan meets them.
        unit.digests
            .sort_by(|a, b| a.1.sort_key().cmp(&b.1.sort_key()));
        let digests: Vec<&PreparedDigest> = unit.digests.iter().map(|x| x.0).collect();
        let Some(r) = remediation_of(key, &digests, unit.findings) else {
            continue;
        };
        remediations.push(r);
    }
    rank_remediations(&mut remediations);
    summary.remediations = remediations.len() as u64;
    Tally {
        summary,
        remediations,
    }
}

/// One upgrade's remediation from its packages' distinct digests (in the order first seen;
/// each with fixable findings) and their fixable findings' count.
fn remediation_of(
    key: &UpgradeKey,
    digests: &[&PreparedDigest],
    findings: u64,
) -> Option<TalliedRemediation> {
    let parts: Vec<&FixPart> = digests.iter().filter_map(|d| d.fix.as_ref()).collect();
    // The target: [`UpgradeTally`]'s fold, offered each digest's first and best version.
    let mut fold: Option<(&Arc<str>, Option<&caulk_version::Version>)> = None;
    for p in &parts {
        for (v, vp) in std::iter::once((&p.first.0, p.first.1.as_ref()))
            .chain(p.best.as_ref().map(|(b, bp)| (b, Some(bp))))
        {
            fold = match fold {
                Some((t, tp)) if **t == **v => Some((t, tp)),
                Some((t, tp)) => {
                    if above(vp, tp) {
                        Some((v, vp))
                    } else {
                        Some((t, tp))
                    }
                }
                None => Some((v, vp)),
            };
        }
    }
    let target = fold?.0.to_string();
    let (vulnerabilities, risk, kev_count) = match parts.as_slice() {
        [one] => (one.vulns.clone(), one.risk, one.kev.len() as u64),
        many => {
            let per_vuln = max_per_vuln(
                many.iter()
                    .flat_map(|p| p.per_vuln.iter().cloned())
                    .collect(),
            );
            let mut kev: Vec<&Arc<str>> = many.iter().flat_map(|p| p.kev.iter()).collect();
            kev.sort_unstable();
            kev.dedup();
            (
                per_vuln.iter().map(|v| v.0.clone()).collect(),
                per_vuln.iter().map(|v| v.1).sum::<f64>(),
                kev.len() as u64,
            )
        }
    };
    Some(TalliedRemediation {
        id: remediation_id(key, &target),
        ecosystem: key.ecosystem.clone(),
        package: key.package.clone(),
        target_version: target,
        file: key.file.clone(),
        vulnerabilities,
        findings,
        kev_count,
        max_severity: parts
            .iter()
            .map(|p| p.max_severity)
            .max()
            .unwrap_or(Severity::Unknown),
        decision: parts
            .iter()
            .map(|p| p.decision)
            .max()
            .unwrap_or(Decision::Defer),
        // Summed in vulnerability id order (as [`UpgradeTally::finish`]), rounded as
        // reports show it.
        risk_removed: (risk * 10.0).round() / 10.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tally before digests were prepared: every fixable finding of an upgrade's distinct
    /// digests (first seen in the scan's order) through [`UpgradeTally`], one by one.
    fn reference(packages: &[(UpgradeKey, Arc<PreparedDigest>, Package)]) -> Tally {
        let mut order: Vec<usize> = (0..packages.len()).collect();
        order.sort_by(|&a, &b| packages[a].2.sort_key().cmp(&packages[b].2.sort_key()));
        let mut summary = Summary::default();
        let mut vulns = std::collections::BTreeSet::new();
        let mut units: BTreeMap<&UpgradeKey, (Vec<&PackageDigest>, u64)> = BTreeMap::new();
        for &i in &order {
            let (key, d, _) = &packages[i];
            let d = d.digest();
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
                vulns.insert(f.vulnerability.clone());
                fixable += u64::from(f.fixable().is_some());
            }
            if fixable > 0 {
                let u = units.entry(key).or_default();
                u.1 += fixable;
                if !u.0.iter().any(|x| std::ptr::eq(*x, d)) {
                    u.0.push(d);
                }
            }
        }
        summary.vulnerabilities = vulns.len() as u64;
        let mut remediations = Vec::new();
        for (key, (digests, findings)) in units {
            let mut t = UpgradeTally::new(&key.ecosystem);
            for f in digests.iter().flat_map(|d| &d.findings) {
                if f.fixable().is_some() {
                    t.add(
                        f.fixable(),
                        &f.vulnerability,
                        f.score,
                        f.kev,
                        f.severity,
                        f.decision,
                    );
                }
            }
            let t = t.finish();
            let Some(target) = t.target else { continue };
            remediations.push(TalliedRemediation {
                id: remediation_id(key, &target),
                ecosystem: key.ecosystem.clone(),
                package: key.package.clone(),
                target_version: target,
                file: key.file.clone(),
                vulnerabilities: t
                    .vulnerabilities
                    .iter()
                    .map(|v| Arc::from(v.as_str()))
                    .collect(),
                findings,
                kev_count: t.kev_count,
                max_severity: t.max_severity,
                decision: t.decision,
                risk_removed: t.risk_removed,
            });
        }
        rank_remediations(&mut remediations);
        summary.remediations = remediations.len() as u64;
        Tally {
            summary,
            remediations,
        }
    }

    /// Random hosts whose upgrades mix digests with fixed versions that are equal but spelt
    /// differently (`1.0-1`, `1.0-01`), unparsable, shared between packages, suppressed and
    /// not fixed: the prepared tally, fed in any order, equals the finding-by-finding one.
    #[test]
    fn a_tally_of_prepared_digests_equals_the_finding_by_finding_one() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| -> usize {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        // Mostly equal pairs: a fold that keeps the last of equals, not the first, must show.
        let versions = [
            "1.0-1", "1.0-01", "1.0-1", "1.0-01", "0.9-1", "1.2-1", "1.2-01", "2:0.1-1", "1 0",
            "1:", "bad!",
        ];
        let vulns = ["CVE-1", "CVE-2", "CVE-3", "CVE-4", "CVE-5", "DSA-6"];
        let statuses = [Status::Fixed, Status::Fixed, Status::Fixed, Status::Unfixed];
        let severities = [
            Severity::Low,
            Severity::High,
            Severity::Unknown,
            Severity::Critical,
        ];
        let decisions = [Decision::Defer, Decision::Scheduled, Decision::ActNow];
        let mut remediations = 0;
        for host in 0..3000 {
            let pool: Vec<Arc<PreparedDigest>> = (0..1 + next(5))
                .map(|_| {
                    let findings = (0..next(9))
                        .map(|_| FindingDigest {
                            vulnerability: Arc::from(vulns[next(vulns.len())]),
                            status: statuses[next(statuses.len())],
                            severity: severities[next(severities.len())],
                            decision: decisions[next(decisions.len())],
                            score: [1.5, 2.25, 7.0, 0.1][next(4)],
                            kev: next(4) == 0,
                            overdue: next(3) == 0,
                            suppressed: next(6) == 0,
                            informational: (next(8) == 0).then(|| Arc::from("unmaintained")),
                            fixed_version: (next(5) != 0)
                                .then(|| Arc::from(versions[next(versions.len())])),
                        })
                        .collect();
                    Arc::new(PreparedDigest::new(PackageDigest { findings }, "Debian:12"))
                })
                .collect();
            let mut packages: Vec<(UpgradeKey, Arc<PreparedDigest>, Package)> = (0..1 + next(8))
                .map(|i| {
                    let source = ["openssl", "glibc", "zlib"][next(3)];
                    let p = Package {
                        ecosystem: "Debian:12".into(),
                        name: format!("{source}-bin{i}"),
                        version: "1".into(),
                        arch: None,
                        source_name: Some(source.into()),
                        source_version: None,
                        purl: None,
                        vendor: None,
                        file: "/var/lib/dpkg/status".into(),
                        owned_by: None,
                        state: caulk_model::inventory::InstallState::Installed,
                        collector: caulk_model::inventory::Collector::Dpkg,
                    };
                    (UpgradeKey::of(&p), pool[next(pool.len())].clone(), p)
                })
                .collect();
            let want = reference(&packages);
            packages.reverse();
            let got = tally(packages.iter().map(|(k, d, p)| (k, &**d, p)));
            assert_eq!(got, want, "host {host}");
            remediations += want.remediations.len();
        }
        assert!(
            remediations > 3000,
            "only {remediations} remediations compared"
        );
    }

    #[test]
    fn equal_versions_spelt_apart_and_unparsable_ones_are_what_the_test_mixes() {
        let s = scheme_for("Debian:12");
        let a = s.parse_lenient("1.0-1").unwrap();
        let b = s.parse_lenient("1.0-01").unwrap();
        assert_eq!(a.try_cmp(&b).unwrap(), Ordering::Equal);
        // Errors for dpkg too ("embedded spaces", "nothing after colon"); `bad!` is only
        // a warning there, and parses here as it does there.
        for bad in ["1 0", "1:"] {
            assert!(s.parse_lenient(bad).is_err(), "{bad:?} parses");
        }
        let c = s.parse_lenient("1.2-1").unwrap();
        let d = s.parse_lenient("1.2-01").unwrap();
        assert_eq!(c.try_cmp(&d).unwrap(), Ordering::Equal);
    }
}
