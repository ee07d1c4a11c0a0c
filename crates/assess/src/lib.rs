//! `caulk-assess`: match an [`Inventory`] against an advisory database and explain the
//! result — findings with their status, provenance, confidence and priority; the remediations
//! (upgrades) that fix them, ranked by the risk they remove; exceptions applied.
//!
//! The entry point is [`scan`]: it reads advisories through the [`AdvisorySource`] trait (the
//! CLI implements it over the SQLite store; [`source::MemSource`] for tests) and returns a
//! [`ScanReport`] (`caulk_model::finding`). The pieces: [`matching`] (backport-aware lookup
//! and range evaluation), [`priority`] (decision table, composite score and SLA clock, all
//! data: `policy.toml`), [`config`] (`caulk.toml`: asset context, policy overrides,
//! exceptions), [`apt`] (is the fix installable from the host's apt lists). Pure: no I/O, no
//! clock — `today` is an argument.
//!
//! The traps: a distro package is matched against its own release's advisories by *source*
//! name and source version, never against upstream ranges, or every backported fix reads as
//! vulnerable; one vulnerability has many ids (DSA, CVE, GHSA, `x_DEBCHG-CVE-…`) and must be
//! one finding per package, not one per advisory; a DSA covers several CVEs and is an
//! advisory, not a vulnerability; the fix of a vulnerability is the *highest* of the fixed
//! versions its matching entries give, since every one of them must be satisfied; and an
//! informational advisory (RustSec `unmaintained`, `unsound`, `notice`) is not a vulnerability
//! report, but merged by alias with one it is: a finding is marked informational only when
//! every matching entry is.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod apt;
pub mod config;
pub mod digest;
pub mod kernel;
pub mod matching;
pub mod memo;
pub mod priority;
pub mod severity;

pub use caulk_model::source::{self, AdvisorySource, Hit, MemSource, SourceError};
pub use config::{Config, Exception};
pub use priority::{AssetContext, Policy};

use caulk_model::advisory::{
    AdvisoryFacts, CvssScore, CvssVersion, Severity, VendorSeverity, Vulnerability,
};
use caulk_model::finding::{
    self, Confidence, ConfidenceLevel, Cvss, DatabaseInfo, EcosystemCount, Epss, Finding,
    FindingPackage, IssueStage, Kev, MatchedBy, PolicyInfo, Provenance, Remediation, ScanIssue,
    ScanIssueKind, ScanReport, Status, Summary, SuppressedCounts, Target, TargetKind, Tool,
    VulnerabilityRef,
};
use caulk_model::inventory::{InstallState, Inventory, Package};
use caulk_version::{Ecosystem, Scheme};
use foldhash::{HashMap, HashMapExt};
use jiff::civil::Date;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

/// Errors of this crate: configuration that cannot be used. Everything else a scan meets is a
/// [`ScanIssue`] in the report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: {reason}")]
    Config { file: String, reason: String },
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Everything a scan needs besides the advisory source.
#[derive(Debug, Clone)]
pub struct ScanOptions<'a> {
    pub tool: Tool,
    pub target_kind: TargetKind,
    pub target_path: Option<String>,
    /// Path and feeds of the database (the scan fills nothing in here but copies it).
    pub database: DatabaseInfo,
    pub policy: &'a Policy,
    pub context: AssetContext,
    /// `cli`, `config` or `default`.
    pub context_source: String,
    pub config_file: Option<String>,
    pub exceptions: &'a [Exception],
    /// Issues met before the scan (configuration, apt lists), carried into the report.
    pub issues: Vec<ScanIssue>,
    pub apt: Option<&'a caulk_model::apt::AptIndex>,
    pub today: Date,
    pub generated_at: Option<String>,
    /// Findings to leave out of the report; what was left out is said in it.
    pub filter: Option<finding::FindingFilter>,
}

/// Per-scan memo of advisory reads. Filled per phase by the `prefetch_*` methods (one
/// set-based read each); a key the prefetch could not answer is read alone when asked.
#[derive(Default)]
struct Cache {
    facts: HashMap<String, Option<AdvisoryFacts>>,
    /// `advisory_vulnerabilities` as the source answers it.
    linked: HashMap<String, Vec<String>>,
    /// What `vulns_of` decided.
    vulns_of: HashMap<String, Vec<String>>,
    /// `vulnerability` as the source answers it.
    vulnerability: HashMap<String, Option<Vulnerability>>,
    cvss: HashMap<String, Vec<CvssScore>>,
    vendor: HashMap<String, Vec<VendorSeverity>>,
    kev: HashMap<String, Option<caulk_model::advisory::KevEntry>>,
    epss: HashMap<String, Option<caulk_model::advisory::EpssScore>>,
    errors: BTreeSet<String>,
}

/// Ask `fetch` in one set read for the keys of `keys` that `map` does not hold yet; `put`
/// files each answer, and every asked key left unanswered gets the default (known absent).
/// A failed read files nothing: each key is then read alone when the scan asks for it.
fn fill<'k, V: Default, T>(
    map: &mut HashMap<String, V>,
    keys: impl IntoIterator<Item = &'k str>,
    fetch: impl FnOnce(&[&str]) -> Result<Vec<T>, SourceError>,
    mut put: impl FnMut(&mut HashMap<String, V>, T),
) {
    let mut seen = BTreeSet::new();
    let want: Vec<&str> = keys
        .into_iter()
        .filter(|k| !map.contains_key(*k) && seen.insert(*k))
        .collect();
    if want.is_empty() {
        return;
    }
    let Ok(got) = fetch(&want) else {
        return;
    };
    for t in got {
        put(map, t);
    }
    for k in want {
        map.entry(k.to_string()).or_default();
    }
}

impl Cache {
    fn note<T: Default>(&mut self, r: Result<T, SourceError>) -> T {
        r.unwrap_or_else(|e| {
            self.errors.insert(e.to_string());
            T::default()
        })
    }

    /// Read in one go what the scan will ask about these advisories: their facts, their
    /// linked vulnerabilities and their own vulnerability.
    fn prefetch_advisories<'k>(
        &mut self,
        src: &dyn AdvisorySource,
        ids: impl IntoIterator<Item = &'k str> + Clone,
    ) {
        fill(
            &mut self.facts,
            ids.clone(),
            |k| src.advisory_facts(k),
            |m, f| {
                m.insert(f.id.clone(), Some(f));
            },
        );
        fill(
            &mut self.linked,
            ids.clone(),
            |k| src.advisory_vulnerabilities_many(k),
            |m, (a, v)| m.entry(a).or_default().push(v),
        );
        // `vulns_of` asks for an advisory's own vulnerability only when it is linked to
        // none or to several.
        let unusual: Vec<&str> = ids
            .into_iter()
            .filter(|a| self.linked.get(*a).is_none_or(|l| l.len() != 1))
            .collect();
        self.prefetch_vulnerabilities(src, unusual);
    }

    fn prefetch_vulnerabilities<'k>(
        &mut self,
        src: &dyn AdvisorySource,
        ids: impl IntoIterator<Item = &'k str>,
    ) {
        fill(
            &mut self.vulnerability,
            ids,
            |k| src.vulnerabilities(k),
            |m, (id, v)| {
                m.insert(id, Some(v));
            },
        );
    }

    /// CVSS of every id; KEV and EPSS of the CVE ids among them.
    fn prefetch_scores<'k>(
        &mut self,
        src: &dyn AdvisorySource,
        ids: impl IntoIterator<Item = &'k str> + Clone,
    ) {
        fill(
            &mut self.cvss,
            ids.clone(),
            |k| src.cvss_many(k),
            |m, (id, c)| m.entry(id).or_default().push(c),
        );
        fill(
            &mut self.vendor,
            ids.clone(),
            |k| src.vendor_severity_many(k),
            |m, (id, v)| m.entry(id).or_default().push(v),
        );
        let cves = || ids.clone().into_iter().filter(|i| i.starts_with("CVE-"));
        fill(
            &mut self.kev,
            cves(),
            |k| src.kev_many(k),
            |m, k| {
                m.insert(k.cve_id.clone(), Some(k));
            },
        );
        fill(
            &mut self.epss,
            cves(),
            |k| src.epss_many(k),
            |m, e| {
                m.insert(e.cve_id.clone(), Some(e));
            },
        );
    }

    fn facts(&mut self, src: &dyn AdvisorySource, id: &str) -> Option<&AdvisoryFacts> {
        if !self.facts.contains_key(id) {
            let a = src.advisory(id).map(|a| a.as_ref().map(AdvisoryFacts::of));
            let a = self.note(a);
            self.facts.insert(id.to_string(), a);
        }
        self.facts.get(id).and_then(Option::as_ref)
    }

    fn vulnerability(&mut self, src: &dyn AdvisorySource, id: &str) -> Option<Vulnerability> {
        if let Some(v) = self.vulnerability.get(id) {
            return v.clone();
        }
        let got = src.vulnerability(id);
        let v = self.note(got);
        self.vulnerability.insert(id.to_string(), v.clone());
        v
    }

    /// The display ids of the vulnerabilities an advisory stands for.
    fn vulns_of(&mut self, src: &dyn AdvisorySource, adv: &str) -> Vec<String> {
        if let Some(v) = self.vulns_of.get(adv) {
            return v.clone();
        }
        let mut v = match self.linked.get(adv) {
            Some(v) => v.clone(),
            None => {
                let linked = src.advisory_vulnerabilities(adv);
                self.note(linked)
            }
        };
        if v.len() > 1 {
            // An advisory for several vulnerabilities (a DSA fixing five CVEs) is linked to
            // their groups and to its own; its own group is a vulnerability only when it has
            // a CVE of its own, else it would be a sixth, phantom finding.
            if let Some(own) = self.vulnerability(src, adv)
                && !own.ids.iter().any(|i| i.starts_with("CVE-"))
            {
                v.retain(|x| *x != own.id);
            }
        }
        if v.is_empty() {
            v = vec![
                self.vulnerability(src, adv)
                    .map(|x| x.id)
                    .unwrap_or_else(|| adv.to_string()),
            ];
        }
        self.vulns_of.insert(adv.to_string(), v.clone());
        v
    }

    /// Whether an affected entry is about vulnerability `vuln` (a display id): always,
    /// unless the entry lists its own CVEs (Ubuntu's per-release `cves_map`); then when one
    /// of them belongs to `vuln`.
    fn entry_covers(
        &mut self,
        src: &dyn AdvisorySource,
        entry: &caulk_model::advisory::AffectedPackage,
        vuln: &str,
    ) -> bool {
        let Some(map) = &entry.cves else { return true };
        map.iter()
            .any(|c| c.id == vuln || self.vulnerability(src, &c.id).is_some_and(|v| v.id == vuln))
    }

    /// Every id of a vulnerability (display id included), sorted.
    fn ids_of(&mut self, src: &dyn AdvisorySource, vuln: &str) -> Vec<String> {
        let mut ids = self
            .vulnerability(src, vuln)
            .map(|x| x.ids)
            .unwrap_or_default();
        if !ids.iter().any(|i| i == vuln) {
            ids.push(vuln.to_string());
        }
        ids.sort();
        ids
    }

    fn cvss(&mut self, src: &dyn AdvisorySource, id: &str) -> &[CvssScore] {
        if !self.cvss.contains_key(id) {
            let got = src.cvss(id);
            let v = self.note(got);
            self.cvss.insert(id.to_string(), v);
        }
        self.cvss.get(id).map(Vec::as_slice).unwrap_or_default()
    }

    fn vendor(&mut self, src: &dyn AdvisorySource, id: &str) -> &[VendorSeverity] {
        if !self.vendor.contains_key(id) {
            let got = src.vendor_severity(id);
            let v = self.note(got);
            self.vendor.insert(id.to_string(), v);
        }
        self.vendor.get(id).map(Vec::as_slice).unwrap_or_default()
    }

    fn kev(
        &mut self,
        src: &dyn AdvisorySource,
        cve: &str,
    ) -> Option<caulk_model::advisory::KevEntry> {
        if let Some(v) = self.kev.get(cve) {
            return v.clone();
        }
        let got = src.kev(cve);
        let v = self.note(got);
        self.kev.insert(cve.to_string(), v.clone());
        v
    }

    fn epss(
        &mut self,
        src: &dyn AdvisorySource,
        cve: &str,
    ) -> Option<caulk_model::advisory::EpssScore> {
        if let Some(v) = self.epss.get(cve) {
            return v.clone();
        }
        let got = src.epss(cve);
        let v = self.note(got);
        self.epss.insert(cve.to_string(), v.clone());
        v
    }
}

/// The best CVSS among candidates: OSV (vendor) before NVD, then the newest CVSS version,
/// then the highest score, then the vector (for determinism).
fn best_cvss(cands: &[CvssScore]) -> Option<Cvss> {
    let rank = |c: &CvssScore| {
        (
            c.source.starts_with("osv:"),
            match c.version {
                CvssVersion::V4 => 4,
                CvssVersion::V3_1 => 3,
                CvssVersion::V3_0 => 2,
                CvssVersion::V2 => 1,
            },
            finding::OrdF64(c.published_score.unwrap_or(c.base_score)),
            std::cmp::Reverse(c.vector.clone()),
            std::cmp::Reverse(c.source.clone()),
        )
    };
    cands.iter().max_by_key(|c| rank(c)).map(|c| Cvss {
        version: c.version,
        vector: c.vector.clone(),
        score: c.published_score.unwrap_or(c.base_score),
        severity: c.severity,
        source: c.source.clone(),
    })
}

/// The vendor rating a finding shows: the lowest tier (the matching entry's own rating for
/// this release, then the matching advisories', then the other records of the
/// vulnerability), then the most severe, then kind, label and source for determinism.
fn best_vendor(cands: Vec<(u8, VendorSeverity)>) -> Option<VendorSeverity> {
    cands
        .into_iter()
        .min_by(|(ta, a), (tb, b)| {
            ta.cmp(tb)
                .then(b.severity.cmp(&a.severity))
                .then_with(|| (&a.kind, &a.label, &a.source).cmp(&(&b.kind, &b.label, &b.source)))
        })
        .map(|(_, v)| v)
}

/// One vulnerability in one package, while its evidence is collected.
struct Pending<'p> {
    package: &'p Package,
    /// The [`Matched::group`] the evidence came from.
    group: usize,
    vuln: String,
    evidence: Vec<Rc<matching::RawMatch>>,
}

/// What [`matching::match_package`] depends on: the ecosystem and the lookups.
type MatchKey = (String, Vec<(String, MatchedBy, String)>);

/// A package's matches, shared by the packages with the same [`MatchKey`].
struct Matched {
    /// Which [`MatchKey`] this is (its rank of first appearance): packages of one group
    /// share every per-vulnerability fact of their findings ([`VulnCore`]).
    group: usize,
    matches: Vec<Rc<matching::RawMatch>>,
    undetermined: Vec<matching::Undetermined>,
    skipped: Option<String>,
}

/// Scan an inventory. Never fails: problems become issues in the report.
///
/// The phases, each its own function: the target and what the database cannot answer for it
/// ([`target_of`], [`database_issues`]); match every distinct package ([`match_packages`]:
/// the evidence, per distinct ecosystem, name and version); assess the evidence into findings
/// ([`assess_evidence`]); apply exceptions and group the fixes into remediations; wrap it up.
pub fn scan(inv: &Inventory, src: &dyn AdvisorySource, opts: &ScanOptions<'_>) -> ScanReport {
    scan_inner(inv, src, opts, false).0
}

/// [`scan`], and the [`digest::PackageDigest`] of each package of the inventory (same
/// order): what its findings count, for a fleet that tallies hosts from their packages'
/// digests ([`digest::tally`]).
pub fn scan_digested(
    inv: &Inventory,
    src: &dyn AdvisorySource,
    opts: &ScanOptions<'_>,
) -> (ScanReport, Vec<digest::PackageDigest>) {
    let (r, d) = scan_inner(inv, src, opts, true);
    (r, d.unwrap_or_default())
}

fn scan_inner(
    inv: &Inventory,
    src: &dyn AdvisorySource,
    opts: &ScanOptions<'_>,
    digests: bool,
) -> (ScanReport, Option<Vec<digest::PackageDigest>>) {
    let mut issues = opts.issues.clone();
    issues.extend(inventory_issues(inv));
    let target = target_of(inv, opts);
    let (db_issues, no_feed) = database_issues(&target, opts);
    issues.extend(db_issues);

    let evidence = match_packages(inv, src);
    // Packages no advisory could be asked about: skipped by matching, or of an ecosystem the
    // database has no feed for (those are never skipped: their lookups just find nothing).
    let not_checked = no_feed
        + evidence
            .of_package
            .iter()
            .zip(&inv.packages)
            .filter(|(m, p)| m.skipped.is_some() && !lacks_feed(opts, &p.ecosystem))
            .count() as u64;
    let (mut findings, owners, errors, found) = assess_evidence(inv, evidence, src, opts);
    issues.extend(found);

    // Exceptions.
    let by_exception = config::apply(opts.exceptions, &mut findings, opts.today);
    // What a fleet keeps of each package's findings (before any filter).
    let digests = digests.then(|| {
        let mut d = vec![digest::PackageDigest::default(); inv.packages.len()];
        for (f, &i) in findings.iter().zip(&owners) {
            d[i].findings.push(digest::FindingDigest::of(f));
        }
        d
    });
    drop(owners);
    let suppressed = SuppressedCounts {
        total: findings.iter().filter(|f| f.is_suppressed()).count() as u64,
        expired: findings
            .iter()
            .filter(|f| {
                matches!(
                    &f.suppression,
                    Some(s) if s.state == finding::SuppressionState::Expired
                )
            })
            .count() as u64,
        by_exception,
    };

    // The caller's filter (`--severity`, `--ignore-unfixed`), after the exceptions and
    // before the remediations: an upgrade is ranked by what the report shows.
    let filter = opts.filter.as_ref().map(|f| {
        let before = findings.len();
        findings.retain(|x| f.keeps(x));
        finding::FilterInfo {
            filter: f.clone(),
            hidden: (before - findings.len()) as u64,
        }
    });

    let remediations = remediate(&mut findings, opts);

    for e in errors {
        issues.push(ScanIssue {
            stage: IssueStage::Database,
            kind: ScanIssueKind::Unreadable,
            file: Some(opts.database.path.clone()),
            record: None,
            reason: e,
        });
    }
    issues.sort();
    issues.dedup();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));

    let mut summary = summarize(
        inv,
        &findings,
        &remediations,
        &suppressed,
        &issues,
        opts.apt.is_some(),
    );
    summary.packages_not_checked = not_checked;
    let report = ScanReport {
        format_version: finding::FORMAT_VERSION,
        tool: opts.tool.clone(),
        generated_at: opts.generated_at.clone(),
        today: opts.today.into(),
        target,
        database: opts.database.clone(),
        policy: PolicyInfo {
            criticality: opts.context.criticality,
            exposure: opts.context.exposure,
            context_source: opts.context_source.clone(),
            decision_table: opts.policy.name.clone(),
            sla: opts.policy.sla.entries(),
            sla_clock: opts.policy.clock,
            config: opts.config_file.clone(),
        },
        findings,
        remediations,
        suppressed,
        issues,
        summary,
        filter,
    };
    (report, digests)
}

/// The inventory's own issues, as scan issues.
fn inventory_issues(inv: &Inventory) -> impl Iterator<Item = ScanIssue> + '_ {
    inv.issues.iter().map(|i| ScanIssue {
        stage: IssueStage::Inventory,
        kind: i.kind.into(),
        file: Some(i.file.clone()),
        record: match (i.line, &i.record) {
            (_, Some(r)) => Some(r.clone()),
            (Some(l), None) => Some(format!("line {l}")),
            (None, None) => None,
        },
        reason: i.reason.clone(),
    })
}

/// What was scanned: the host, and its packages per ecosystem.
fn target_of(inv: &Inventory, opts: &ScanOptions<'_>) -> Target {
    let mut per_eco: BTreeMap<&str, u64> = BTreeMap::new();
    for p in &inv.packages {
        *per_eco.entry(p.ecosystem.as_str()).or_default() += 1;
    }
    Target {
        kind: opts.target_kind,
        path: opts.target_path.clone(),
        host: inv.host.clone(),
        packages: inv.packages.len() as u64,
        ecosystems: per_eco
            .iter()
            .map(|(e, n)| EcosystemCount {
                ecosystem: e.to_string(),
                packages: *n,
            })
            .collect(),
    }
}

/// What the database cannot answer for this target: ecosystems it has no feed for (reported,
/// not silently clean) and feeds older than the policy allows (a clean scan on old data
/// means little).
/// Whether the database has feeds but none for `ecosystem`'s base.
fn lacks_feed(opts: &ScanOptions<'_>, ecosystem: &str) -> bool {
    let base = Ecosystem::parse(ecosystem).base().to_string();
    !opts.database.feeds.is_empty()
        && !opts
            .database
            .feeds
            .iter()
            .any(|f| f.feed.strip_prefix("osv/") == Some(base.as_str()))
}

/// What the database cannot answer for the target (no feed for an ecosystem, old feeds), and
/// how many packages it has no feed for.
fn database_issues(target: &Target, opts: &ScanOptions<'_>) -> (Vec<ScanIssue>, u64) {
    let mut issues = Vec::new();
    let mut no_feed = 0;
    if !opts.database.feeds.is_empty() {
        let feeds: BTreeSet<&str> = opts
            .database
            .feeds
            .iter()
            .map(|f| f.feed.as_str())
            .collect();
        let mut missing: BTreeMap<String, u64> = BTreeMap::new();
        for e in &target.ecosystems {
            let base = Ecosystem::parse(&e.ecosystem).base().to_string();
            if !feeds.contains(format!("osv/{base}").as_str()) {
                *missing.entry(base).or_default() += e.packages;
            }
        }
        for (base, n) in missing {
            no_feed += n;
            issues.push(ScanIssue {
                stage: IssueStage::Database,
                kind: ScanIssueKind::Unsupported,
                file: None,
                record: Some(format!("osv/{base}")),
                reason: format!(
                    "the database has no osv/{base} feed: {n} {base} package(s) not checked"
                ),
            });
        }
    }
    let max = opts.policy.max_feed_age_days;
    for f in &opts.database.feeds {
        if let Some(age) = f.age_days
            && age > max
        {
            issues.push(ScanIssue {
                stage: IssueStage::Database,
                kind: ScanIssueKind::Stale,
                file: Some(f.source.clone()),
                record: Some(f.feed.clone()),
                reason: format!(
                    "feed {}'s data is {age} days old (more than {max}): newer advisories are missing",
                    f.feed
                ),
            });
        }
    }
    (issues, no_feed)
}

/// The matches of an inventory: per distinct (ecosystem, lookups) — the binaries of one
/// Debian source at one source version, one crate version in several lockfiles — one
/// [`Matched`], shared by the packages that make those lookups; and the advisory reads made
/// on the way, for the next phase.
pub struct Evidence {
    /// Per package of the inventory (same order), its matches.
    of_package: Vec<Rc<Matched>>,
    /// Every distinct match group, in order of first appearance.
    groups: Vec<Rc<Matched>>,
    cache: Cache,
}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evidence")
            .field("packages", &self.of_package.len())
            .field("groups", &self.groups.len())
            .finish()
    }
}

/// Match every package: every lookup of the inventory read per ecosystem in one go, then
/// each distinct lookup set evaluated once (the lookup, the JSON of its ranges and their
/// evaluation are the scan's main cost: `linux` alone has ~2,000 entries).
pub fn match_packages(inv: &Inventory, src: &dyn AdvisorySource) -> Evidence {
    let mut cache = Cache::default();
    let mut memo: HashMap<MatchKey, Rc<Matched>> = HashMap::new();
    let mut groups = Vec::new();
    let mut lookups = matching::LookupCache::default();
    let keys: Vec<MatchKey> = inv
        .packages
        .iter()
        .map(|p| {
            (
                p.ecosystem.clone(),
                matching::lookups(p, &Ecosystem::parse(&p.ecosystem)),
            )
        })
        .collect();
    // The Ubuntu Pro streams each ecosystem is also matched against on a Pro host.
    let pro = inv.host.os.as_ref().and_then(|o| o.ubuntu_pro.as_ref());
    let streams: BTreeMap<&str, Vec<String>> = inv
        .packages
        .iter()
        .map(|p| {
            (
                p.ecosystem.as_str(),
                matching::pro_streams(pro, &p.ecosystem),
            )
        })
        .collect();
    let mut names: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (eco, ls) in &keys {
        for e in
            std::iter::once(eco.as_str()).chain(streams[eco.as_str()].iter().map(String::as_str))
        {
            names
                .entry(e)
                .or_default()
                .extend(ls.iter().map(|l| l.0.as_str()));
        }
    }
    for (eco, ns) in &names {
        lookups.prefetch(src, eco, ns);
    }
    let mut of_package: Vec<Rc<Matched>> = Vec::with_capacity(inv.packages.len());
    for (p, key) in inv.packages.iter().zip(keys) {
        let m = match memo.get(&key) {
            Some(m) => m.clone(),
            None => {
                let m = matching::match_package_in(
                    p,
                    &streams[p.ecosystem.as_str()],
                    src,
                    &mut lookups,
                );
                for e in m.errors {
                    cache.errors.insert(e.to_string());
                }
                let m = Rc::new(Matched {
                    group: memo.len(),
                    matches: m.matches.into_iter().map(Rc::new).collect(),
                    undetermined: m.undetermined,
                    skipped: m.skipped,
                });
                memo.insert(key, m.clone());
                groups.push(m.clone());
                m
            }
        };
        of_package.push(m);
    }
    Evidence {
        of_package,
        groups,
        cache,
    }
}

/// Assess the evidence: the advisories of every match read in one go, evidence grouped per
/// (package, vulnerability), the ids and scores of every vulnerability read in one go, then
/// one finding per (package, vulnerability) with its priority. Returns the findings (in
/// package order), the source errors met and the matching issues.
pub fn assess_evidence(
    inv: &Inventory,
    evidence: Evidence,
    src: &dyn AdvisorySource,
    opts: &ScanOptions<'_>,
) -> (Vec<Finding>, Vec<usize>, BTreeSet<String>, Vec<ScanIssue>) {
    let Evidence {
        of_package: matched,
        groups,
        mut cache,
    } = evidence;
    let mut issues = Vec::new();
    let mut pending: BTreeMap<(usize, String), Pending> = BTreeMap::new();
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    cache.prefetch_advisories(
        src,
        groups
            .iter()
            .flat_map(|m| m.matches.iter().map(|rm| rm.hit.advisory.as_str())),
    );
    // The CVEs of the entries' own per-release lists (Ubuntu's `cves_map`), to know which of
    // an advisory's vulnerabilities each entry is about.
    cache.prefetch_vulnerabilities(
        src,
        groups
            .iter()
            .flat_map(|m| m.matches.iter())
            .flat_map(|rm| rm.hit.package.cves.iter().flatten())
            .map(|c| c.id.as_str()),
    );
    for (idx, (p, m)) in inv.packages.iter().zip(&matched).enumerate() {
        if let Some(why) = &m.skipped {
            skipped
                .entry(why.clone())
                .or_default()
                .push(format!("{} {}", p.name, p.version));
        }
        for u in &m.undetermined {
            issues.push(ScanIssue {
                stage: IssueStage::Matching,
                kind: ScanIssueKind::Unevaluable,
                file: None,
                record: Some(format!(
                    "{} {}/{} {}",
                    u.advisory, p.ecosystem, p.name, p.version
                )),
                reason: u.reason.clone(),
            });
        }
        for rm in &m.matches {
            for v in cache.vulns_of(src, &rm.hit.advisory) {
                if !cache.entry_covers(src, &rm.hit.package, &v) {
                    // A USN lists the CVEs of every release in `upstream`; this release's
                    // entry names the ones that apply to it.
                    continue;
                }
                pending
                    .entry((idx, v.clone()))
                    .or_insert_with(|| Pending {
                        package: p,
                        group: m.group,
                        vuln: v,
                        evidence: Vec::new(),
                    })
                    .evidence
                    .push(rm.clone());
            }
        }
    }
    drop(matched);
    // The ids and scores of every vulnerability found, read in one go.
    {
        let vulns: BTreeSet<&str> = pending.keys().map(|(_, v)| v.as_str()).collect();
        cache.prefetch_vulnerabilities(src, vulns.iter().copied());
        let mut ids: BTreeSet<String> = BTreeSet::new();
        for v in &vulns {
            ids.extend(cache.ids_of(src, v));
        }
        for m in &groups {
            ids.extend(m.matches.iter().map(|rm| rm.hit.advisory.clone()));
        }
        cache.prefetch_scores(src, ids.iter().map(String::as_str));
    }
    // The matches live on in `pending` only: freed finding by finding below, which keeps the
    // peak memory of a large scan down.
    drop(groups);
    for (why, pkgs) in skipped {
        let n = pkgs.len();
        let mut shown: Vec<String> = pkgs.into_iter().take(5).collect();
        if n > shown.len() {
            shown.push(format!("and {} more", n - shown.len()));
        }
        issues.push(ScanIssue {
            stage: IssueStage::Matching,
            kind: ScanIssueKind::Unsupported,
            file: None,
            record: Some(shown.join(", ")),
            reason: format!("{n} packages not matched: {why}"),
        });
    }

    // The packages of one group (the binaries of one Debian source) share the facts of each
    // vulnerability: computed once, copied into each package's finding.
    // A kernel source's binaries differ in what they are to the host (the running image,
    // headers): each role gets its own core, as its priority differs.
    let kernels = kernel::KernelRoles::of(inv);
    let mut cores: HashMap<(usize, Option<kernel::KernelRole>, String), Rc<VulnCore>> =
        HashMap::new();
    // `pending` is in package order: one shared package (and its kernel role) per run of
    // findings.
    let mut package: Option<(usize, Arc<FindingPackage>, Option<kernel::KernelRole>)> = None;
    let owners: Vec<usize> = pending.keys().map(|(idx, _)| *idx).collect();
    let findings: Vec<Finding> = pending
        .into_iter()
        .map(|((idx, _), pd)| {
            let (shared, role) = match &package {
                Some((i, p, r)) if *i == idx => (p.clone(), *r),
                _ => {
                    let p = finding_package(pd.package);
                    let r = kernels.role(pd.package);
                    package = Some((idx, p.clone(), r));
                    (p, r)
                }
            };
            let core = cores
                .entry((pd.group, role, pd.vuln.clone()))
                .or_insert_with(|| {
                    let kernel = role.map(|r| (r, kernels.reason(r, pd.package)));
                    Rc::new(vuln_core(&pd, src, &mut cache, opts, kernel))
                })
                .clone();
            finish_finding(pd, shared, &core)
        })
        .collect();
    (findings, owners, std::mem::take(&mut cache.errors), issues)
}

/// What a finding says about its vulnerability, the same for every package of one match
/// group: ids, advisories, provenance, fix, scores and priority.
///
/// The parts a finding shows as they are are reference-counted, so the findings of one core
/// share them (a host scan has ~5,000 findings).
struct VulnCore {
    /// Every id of the vulnerability but the finding's own, sorted.
    aliases: Arc<[String]>,
    advisory_ids: Arc<[String]>,
    /// The informational kind when every matching entry is informational.
    informational: Option<Arc<str>>,
    provenance: Arc<[Provenance]>,
    summary: Option<Arc<str>>,
    status: Status,
    fixed: Option<Arc<str>>,
    /// Matching advisories that know no fix.
    unfixed_entries: Vec<String>,
    cvss: Option<Cvss>,
    severity: Severity,
    severity_source: Option<finding::SeveritySource>,
    vendor_severity: Option<VendorSeverity>,
    epss: Option<Epss>,
    kev: Option<Kev>,
    priority: Arc<finding::Priority>,
}

/// The informational kind of a finding: set only when every matching entry is informational
/// (one vulnerability entry makes the finding a vulnerability); when the kinds differ, the
/// kind of the lowest advisory id (then the lowest kind), so the answer does not depend on
/// the order the evidence came in.
fn informational_kind(evidence: &[Rc<matching::RawMatch>]) -> Option<String> {
    let mut lowest: Option<(&str, &str)> = None;
    for m in evidence {
        let kind = m.hit.package.informational.as_deref()?;
        let key = (m.hit.advisory.as_str(), kind);
        if lowest.is_none_or(|l| key < l) {
            lowest = Some(key);
        }
    }
    lowest.map(|(_, k)| k.to_string())
}

fn vuln_core(
    pd: &Pending<'_>,
    src: &dyn AdvisorySource,
    cache: &mut Cache,
    opts: &ScanOptions<'_>,
    kernel: Option<(kernel::KernelRole, String)>,
) -> VulnCore {
    let p = pd.package;
    let eco = Ecosystem::parse(&p.ecosystem);
    let scheme = eco.scheme().unwrap_or(Scheme::SemVer);

    let ids = cache.ids_of(src, &pd.vuln);
    let mut advisory_ids: Vec<String> =
        pd.evidence.iter().map(|m| m.hit.advisory.clone()).collect();
    advisory_ids.sort();
    advisory_ids.dedup();
    let informational = informational_kind(&pd.evidence);

    // Provenance, and the facts of the matching advisories.
    let mut provenance = Vec::new();
    let mut published: Option<Date> = None;
    for m in &pd.evidence {
        let (feed, file) = match cache.facts(src, &m.hit.advisory) {
            Some(a) => {
                if let Some(d) = a.published.as_deref().and_then(priority::parse_date) {
                    published = Some(published.map_or(d, |p| p.min(d)));
                }
                (a.source.feed.clone(), a.source.file.clone())
            }
            None => (String::new(), String::new()),
        };
        provenance.push(Provenance {
            advisory: m.hit.advisory.clone(),
            feed,
            file,
            ecosystem: m.hit.package.ecosystem.clone(),
            matched_name: m.hit.package.name.clone(),
            matched_by: m.matched_by,
            compared_version: m.compared_version.clone(),
            range: m.matched.to_string(),
            fixed_version: m.matched.fixed().map(str::to_string),
            scheme: m.scheme.name().to_string(),
        });
    }
    provenance.sort();
    provenance.dedup();
    // The summary of the lowest advisory id that has one, whatever the evidence order.
    let summary = advisory_ids
        .iter()
        .find_map(|id| cache.facts(src, id).and_then(|a| a.summary.clone()));

    // Fixed version: every matching entry must be satisfied, so the highest of their fixes.
    let mut fixed: Option<String> = None;
    let mut unfixed_entries = Vec::new();
    for pr in &provenance {
        match &pr.fixed_version {
            Some(v) => {
                let s = Scheme::from_name_or_ecosystem(&pr.scheme).unwrap_or(scheme);
                fixed = match fixed {
                    Some(cur) if s.compare_lenient(v, &cur) != Some(Ordering::Greater) => Some(cur),
                    _ => Some(v.clone()),
                };
            }
            None => unfixed_entries.push(pr.advisory.clone()),
        }
    }
    let status = if fixed.is_some() {
        Status::Fixed
    } else {
        Status::Unfixed
    };

    // Scores: everything stored under the matching advisories' ids (their own severity) and
    // the vulnerability's other ids (NVD under CVE ids; the severity of aliased advisories
    // that did not match).
    // An entry's own per-release scores (Ubuntu's `cves_map`) count for the CVEs of this
    // vulnerability it names.
    let mut cvss_cands: Vec<CvssScore> = Vec::new();
    // Vendor ratings by tier: 0, the matching entries' own (per release); 1, the matching
    // advisories'; 2, the other records of the vulnerability (a UBUNTU-CVE record, a GHSA).
    let mut vendor_cands: Vec<(u8, VendorSeverity)> = Vec::new();
    for m in &pd.evidence {
        for c in m.hit.package.cves.iter().flatten() {
            if ids.iter().any(|i| {
                *i == c.id || caulk_model::identity::named_cve(i).is_some_and(|n| n == c.id)
            }) {
                cvss_cands.extend_from_slice(&c.cvss);
                vendor_cands.extend(c.vendor.iter().map(|v| (0, v.clone())));
            }
        }
    }
    // A handful of ids: a linear check beats a set.
    let mut scored: Vec<&str> = Vec::with_capacity(advisory_ids.len() + ids.len());
    let base = eco.base().to_string();
    let distro = matches!(scheme, Scheme::Dpkg | Scheme::Rpm | Scheme::Apk);
    for id in advisory_ids.iter().chain(ids.iter()) {
        if !scored.contains(&id.as_str()) {
            scored.push(id);
            cvss_cands.extend_from_slice(cache.cvss(src, id));
            let tier = if advisory_ids.contains(id) { 1 } else { 2 };
            // Another record's rating counts only where it rates this kind of package: Ubuntu's
            // priority rates Ubuntu's build, not Debian's; GitHub's rates the library
            // ecosystems, not a distribution's package.
            vendor_cands.extend(
                cache
                    .vendor(src, id)
                    .iter()
                    .filter(|v| tier < 2 || severity::rates(&v.kind, &base, distro))
                    .map(|v| (tier, v.clone())),
            );
        }
    }
    let cvss = best_cvss(&cvss_cands);
    let vendor = best_vendor(vendor_cands);
    let cves: Vec<&String> = ids.iter().filter(|i| i.starts_with("CVE-")).collect();
    let kev = cves.iter().find_map(|c| cache.kev(src, c)).map(|k| Kev {
        cve_id: k.cve_id,
        date_added: k.date_added,
        due_date: k.due_date,
        known_ransomware_campaign_use: k.known_ransomware_campaign_use.as_str().to_string(),
        vulnerability_name: k.vulnerability_name,
        required_action: k.required_action,
    });
    let epss = cves
        .iter()
        .filter_map(|c| cache.epss(src, c))
        .max_by(|a, b| a.score.total_cmp(&b.score).then(b.cve_id.cmp(&a.cve_id)))
        .map(|e| Epss {
            score: e.score,
            percentile: e.percentile,
            date: e.score_date,
            model_version: e.model_version,
        });
    let rated = severity::rate(opts.policy, cvss.as_ref(), vendor.as_ref());
    let priority = priority::prioritize(
        opts.policy,
        &priority::Facts {
            cvss: cvss.as_ref(),
            vendor: vendor.as_ref(),
            kev: kev.as_ref(),
            epss: epss.as_ref(),
            published,
            clock_runs: matches!(status, Status::Fixed | Status::Unfixed),
            informational: informational.as_deref(),
            kernel: kernel.as_ref().map(|(r, why)| (*r, why.as_str())),
        },
        &opts.context,
        opts.today,
    );
    let priority = Arc::new(priority);

    VulnCore {
        aliases: ids.iter().filter(|i| **i != pd.vuln).cloned().collect(),
        advisory_ids: advisory_ids.into(),
        informational: informational.map(Arc::from),
        provenance: provenance.into(),
        summary: summary.map(Arc::from),
        status,
        fixed: fixed.map(Arc::from),
        unfixed_entries,
        cvss,
        severity: rated.severity,
        severity_source: rated.source,
        vendor_severity: vendor,
        epss,
        kev,
        priority,
    }
}

/// The finding-side copy of an installed package, shared by the package's findings.
fn finding_package(p: &Package) -> Arc<FindingPackage> {
    let distro = Ecosystem::parse(&p.ecosystem).kind.is_distro();
    Arc::new(FindingPackage {
        name: p.name.clone(),
        version: p.version.clone(),
        ecosystem: p.ecosystem.clone(),
        source_name: p.source_name.clone(),
        source_version: p.source_version.clone(),
        purl: p.purl.clone(),
        file: Some(p.file.clone()),
        arch: if distro { p.arch.clone() } else { None },
    })
}

/// One package's finding from the facts of its vulnerability.
fn finish_finding(pd: Pending<'_>, package: Arc<FindingPackage>, core: &VulnCore) -> Finding {
    let p = pd.package;
    let status = core.status;
    let advisory_ids = &core.advisory_ids;
    let provenance = &core.provenance;
    let unfixed_entries = &core.unfixed_entries;
    // Confidence: what weakens the evidence.
    let mut low = Vec::new();
    let mut medium = Vec::new();
    if p.state == InstallState::Declared {
        medium.push(format!("declared by {}, not verified as installed", p.file));
    }
    if let Some(owner) = &p.owned_by {
        medium.push(format!(
            "{} was installed by the distro package {owner}: the distro may have backported the fix without changing the upstream version (its own advisories for {owner} decide)",
            p.file
        ));
    }
    if advisory_ids.iter().all(|a| a.starts_with("x_")) {
        medium.push(format!(
            "only from {} (an unregistered, derived database: x_ prefix)",
            advisory_ids.join(", ")
        ));
    }
    if provenance
        .iter()
        .any(|pr| pr.matched_by == MatchedBy::Source && p.source_version.is_none())
    {
        low.push(
            "source version unknown: the binary version was compared with source advisories"
                .to_string(),
        );
    }
    if status == Status::Fixed && !unfixed_entries.is_empty() {
        medium.push(format!(
            "{} knows no fix while other advisories do",
            unfixed_entries.join(", ")
        ));
    }
    let confidence = if !low.is_empty() {
        low.extend(medium);
        Confidence {
            level: ConfidenceLevel::Low,
            reasons: low,
        }
    } else if !medium.is_empty() {
        Confidence {
            level: ConfidenceLevel::Medium,
            reasons: medium,
        }
    } else {
        Confidence::default()
    };

    Finding {
        package,
        vulnerability: VulnerabilityRef {
            id: pd.vuln,
            aliases: core.aliases.clone(),
        },
        advisory_ids: advisory_ids.clone(),
        informational: core.informational.clone(),
        summary: core.summary.clone(),
        status,
        fixed_version: core.fixed.clone(),
        cvss: core.cvss.clone(),
        severity: core.severity,
        severity_source: core.severity_source,
        vendor_severity: core.vendor_severity.clone(),
        epss: core.epss.clone(),
        kev: core.kev.clone(),
        priority: core.priority.clone(),
        provenance: provenance.clone(),
        confidence,
        suppression: None,
        remediation: None,
    }
}

/// The upgrade a finding's fix belongs to ([`digest::UpgradeKey`]), whether its package is a
/// distribution's, and the version compared against (a source match's is the source version).
fn upgrade_unit<'f>(
    f: &'f Finding,
    distro: &mut HashMap<String, bool>,
) -> (digest::UpgradeKey, &'f str, bool) {
    let is_distro = match distro.get(f.package.ecosystem.as_str()) {
        Some(d) => *d,
        None => {
            let d = Ecosystem::parse(&f.package.ecosystem).kind.is_distro();
            distro.insert(f.package.ecosystem.clone(), d);
            d
        }
    };
    let key = digest::upgrade_key(
        &f.package.ecosystem,
        &f.package.name,
        f.package.source_name.as_deref(),
        f.package.file.as_deref(),
        is_distro,
    );
    let installed = if is_distro {
        f.provenance
            .iter()
            .find(|p| p.matched_by == MatchedBy::Source)
            .map(|p| p.compared_version.as_str())
            .unwrap_or(f.package.version.as_str())
    } else {
        f.package.version.as_str()
    };
    (key, installed, is_distro)
}

/// Group the active, fixable findings by upgrade (package → target version), rank by risk
/// removed, and link each finding to its remediation.
fn remediate(findings: &mut [Finding], opts: &ScanOptions<'_>) -> Vec<Remediation> {
    let mut is_distro: HashMap<String, bool> = HashMap::new();
    let mut by_unit: BTreeMap<digest::UpgradeKey, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.is_suppressed() || f.status != Status::Fixed || f.fixed_version.is_none() {
            continue;
        }
        let (key, _, _) = upgrade_unit(f, &mut is_distro);
        by_unit.entry(key).or_default().push(i);
    }
    let mut out = Vec::new();
    for (key, idxs) in by_unit {
        let mut tally = digest::UpgradeTally::new(&key.ecosystem);
        let scheme = tally.scheme();
        let mut installed: Option<(&str, Option<caulk_version::Version>)> = None;
        let mut binaries = BTreeSet::new();
        let mut bin_arch = BTreeSet::new();
        let mut last_bin: Option<(&str, Option<&str>)> = None;
        let mut files = BTreeSet::new();
        let mut max_cvss: Option<f64> = None;
        let mut due: Option<caulk_model::Day> = None;
        for &i in &idxs {
            let f = &findings[i];
            let (_, inst, _) = upgrade_unit(f, &mut is_distro);
            tally.add(
                f.fixed_version.as_deref(),
                f.vulnerability.id.as_str(),
                f.priority.score,
                f.kev.is_some(),
                f.severity,
                f.priority.decision,
            );
            installed = match installed {
                Some((c, cp)) if c == inst => Some((c, cp)),
                Some((c, cp)) => {
                    let ip = scheme.parse_lenient(inst).ok();
                    // Kept unless the new one is lower (`compare_lenient(inst, cur) == Less`).
                    let lower = match (&ip, &cp) {
                        (Some(a), Some(b)) => a.try_cmp(b).ok() == Some(Ordering::Less),
                        _ => false,
                    };
                    if lower {
                        Some((inst, ip))
                    } else {
                        Some((c, cp))
                    }
                }
                None => Some((inst, scheme.parse_lenient(inst).ok())),
            };
            // Consecutive findings are mostly of one package: skip the set when it is the
            // last one seen.
            let ba = (f.package.name.as_str(), f.package.arch.as_deref());
            if last_bin != Some(ba) {
                last_bin = Some(ba);
                binaries.insert(ba.0);
                bin_arch.insert(ba);
            }
            if let Some(fl) = &f.package.file {
                files.insert(fl.as_str());
            }
            if let Some(c) = &f.cvss {
                max_cvss = Some(max_cvss.map_or(c.score, |m: f64| m.max(c.score)));
            }
            if let Some(d) = f.priority.due_date
                && due.is_none_or(|cur| d < cur)
            {
                due = Some(d);
            }
        }
        let totals = tally.finish();
        let installed = installed.map(|t| t.0.to_string());
        let bin_arch: Vec<(String, Option<String>)> = bin_arch
            .into_iter()
            .map(|(n, a)| (n.to_string(), a.map(str::to_string)))
            .collect();
        let binaries: Vec<String> = binaries.into_iter().map(str::to_string).collect();
        let files: Vec<String> = files.into_iter().map(str::to_string).collect();
        let (Some(target), Some(installed)) = (totals.target, installed) else {
            continue;
        };
        let id = digest::remediation_id(&key, &target);
        let digest::UpgradeKey {
            ecosystem: eco,
            package: pkg,
            file,
        } = key;
        let (installable, not_installable) = match (opts.apt, Ecosystem::parse(&eco).scheme()) {
            (Some(index), Some(Scheme::Dpkg)) => {
                match apt::installable(index, &pkg, &target, &bin_arch) {
                    Some(i) => (Some(i), None),
                    None => (None, Some(apt::not_installable(index, &pkg, &bin_arch))),
                }
            }
            _ => (None, None),
        };
        for &i in &idxs {
            findings[i].remediation = Some(id.clone());
        }
        out.push(Remediation {
            id,
            ecosystem: eco,
            package: pkg,
            binaries,
            installed_version: installed,
            target_version: target,
            files: if file.is_empty() {
                // Distro packages: the package database(s) they came from.
                files
            } else {
                vec![file]
            },
            vulnerabilities: totals.vulnerabilities,
            findings: idxs.len() as u64,
            kev_count: totals.kev_count,
            max_cvss,
            max_severity: totals.max_severity,
            decision: totals.decision,
            due_date: due,
            risk_removed: totals.risk_removed,
            installable,
            not_installable,
        });
    }
    digest::rank_remediations(&mut out);
    out
}

fn summarize(
    inv: &Inventory,
    findings: &[Finding],
    remediations: &[Remediation],
    suppressed: &SuppressedCounts,
    issues: &[ScanIssue],
    apt_checked: bool,
) -> Summary {
    let mut s = Summary {
        packages: inv.packages.len() as u64,
        remediations: remediations.len() as u64,
        remediations_installable: remediations
            .iter()
            .filter(|r| r.installable.is_some())
            .count() as u64,
        installability_checked: apt_checked,
        suppressed: suppressed.total,
        issues: issues.len() as u64,
        ..Summary::default()
    };
    // Only counted: hash sets (thousands of findings).
    let mut pkgs = foldhash::HashSet::default();
    let mut vulns = foldhash::HashSet::default();
    for f in findings.iter().filter(|f| !f.is_suppressed()) {
        pkgs.insert((
            &f.package.ecosystem,
            &f.package.name,
            &f.package.version,
            &f.package.file,
        ));
        vulns.insert(&f.vulnerability.id);
        digest::count_active(
            &mut s,
            f.status,
            f.severity,
            f.priority.decision,
            f.kev.is_some(),
            f.priority.overdue,
            f.informational.as_deref(),
        );
    }
    s.packages_affected = pkgs.len() as u64;
    s.vulnerabilities = vulns.len() as u64;
    s
}
