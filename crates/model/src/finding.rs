//! Scan results: the findings of one scan, the remediations that fix them, and the report
//! that carries both with the facts they were computed from.
//!
//! A [`ScanReport`] is what `caulk scan --format json` writes and what every renderer (table,
//! SARIF, CSV, CycloneDX VEX, OpenVEX, Markdown) reads. Its JSON form is versioned by
//! [`FORMAT_VERSION`] and documented in `docs/scan-format.md`; serde derives it from these
//! types, so the field names here are the contract. Changes are additive only: new optional
//! fields (readers use `#[serde(default)]`) and new enum values (the enums that may grow are
//! `#[non_exhaustive]`, so other crates already need a fallback arm).
//!
//! The words: a [`Finding`] is one vulnerability (with all its ids) in one installed package;
//! a [`Remediation`] is one upgrade (package → target version) and the findings it fixes. The
//! trap: for a distro, the package that is upgraded is the *source* package (`openssl`), while
//! what is installed are its binaries (`libssl3`, `openssl`); a remediation names both, and a
//! finding keeps the binary name in `package.name` and the source in `package.source_name`.
//! Every finding carries its reasons: which advisory and range matched ([`Provenance`]), how
//! sure we are ([`Confidence`]) and why it has its priority ([`Priority::reasons`]).
//!
//! Dates are `YYYY-MM-DD` strings and timestamps RFC 3339 strings, as elsewhere in this crate:
//! the model has no clock. Scores are `f64`; fields that are absent are written as `null`,
//! never omitted, so the shape of a finding does not depend on the data.

use crate::Day;
use crate::inventory::Host;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

pub use crate::advisory::{CvssVersion, Severity, VendorSeverity};

/// Version of the scan-result JSON format. Bumped on any change a reader must know about;
/// adding a field or an enum value is not such a change.
pub const FORMAT_VERSION: u32 = 1;

/// The result of scanning one target against one advisory database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The program that wrote the report.
    #[serde(default)]
    pub tool: Tool,
    /// When the scan ran (RFC 3339, UTC), as passed in by the caller; `null` when the caller
    /// wants byte-identical output across runs.
    #[serde(default)]
    pub generated_at: Option<String>,
    /// The date the priorities and due dates were computed for (`YYYY-MM-DD`).
    pub today: Day,
    /// What was scanned.
    pub target: Target,
    /// The advisory database the scan used.
    pub database: DatabaseInfo,
    /// Asset context and the policy tables in force.
    pub policy: PolicyInfo,
    /// Every finding, suppressed ones included (see [`Finding::suppression`]), sorted by
    /// [`Finding::sort_key`]: decision, score, then package and vulnerability.
    pub findings: Vec<Finding>,
    /// Upgrades that fix the fixable, non-suppressed findings, ranked by decision, then risk removed.
    pub remediations: Vec<Remediation>,
    /// Findings hidden by exceptions, counted per exception.
    pub suppressed: SuppressedCounts,
    /// Everything that did not go cleanly (inventory, advisory data, configuration, apt
    /// lists); the scan went on.
    pub issues: Vec<ScanIssue>,
    pub summary: Summary,
    /// The filter the caller asked for (`--severity`, `--ignore-unfixed`) and how many
    /// findings it left out; absent when the report holds every finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterInfo>,
}

/// Which findings a report keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingFilter {
    /// Keep only findings of these severities (`null`: every severity).
    #[serde(default)]
    pub severities: Option<Vec<Severity>>,
    /// Leave out findings with no fix (`unfixed`, `will-not-fix`).
    #[serde(default)]
    pub ignore_unfixed: bool,
}

impl FindingFilter {
    pub fn keeps(&self, f: &Finding) -> bool {
        self.severities
            .as_ref()
            .is_none_or(|s| s.contains(&f.severity))
            && !(self.ignore_unfixed && matches!(f.status, Status::Unfixed | Status::WillNotFix))
    }
}

/// A filter applied to a report, and what it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterInfo {
    #[serde(flatten)]
    pub filter: FindingFilter,
    /// Findings left out.
    pub hidden: u64,
}

/// Name and version of the writer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// What was scanned: where the inventory came from, the host facts, and what it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    /// The root, inventory file, SBOM or directory given (`null` for the live host).
    #[serde(default)]
    pub path: Option<String>,
    /// Host facts from the inventory (hostname, OS, kernel, reboot-required).
    #[serde(default)]
    pub host: Host,
    /// Packages in the inventory.
    pub packages: u64,
    /// Packages per ecosystem, sorted by ecosystem.
    #[serde(default)]
    pub ecosystems: Vec<EcosystemCount>,
}

/// Where the inventory of a scan came from.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TargetKind {
    /// This machine (`/`).
    #[default]
    Host,
    /// A root directory (`--root`: a mounted image, a chroot, a test fixture).
    Root,
    /// An inventory JSON file (`--inventory`).
    Inventory,
    /// An SBOM (`--sbom`).
    Sbom,
    /// A source tree searched for lockfiles (`--path`).
    Path,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Host => "host",
            TargetKind::Root => "root",
            TargetKind::Inventory => "inventory",
            TargetKind::Sbom => "sbom",
            TargetKind::Path => "path",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EcosystemCount {
    pub ecosystem: String,
    pub packages: u64,
}

/// The advisory database of a scan and the age of each feed in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// Path of the database file.
    pub path: String,
    /// The mirror directory imported before the scan (`--feeds`), and whether the database
    /// was rebuilt from it or reused because the mirror had not changed.
    #[serde(default)]
    pub import: Option<DatabaseImport>,
    /// Every feed in the database, sorted by name.
    pub feeds: Vec<FeedAge>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseImport {
    pub mirror: String,
    pub action: ImportAction,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ImportAction {
    /// The mirror differed from what the database recorded: it was imported.
    #[default]
    Imported,
    /// The mirror's files matched what the database recorded: the database was reused.
    Reused,
}

/// One feed of the database and how old it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedAge {
    /// `osv/Debian`, `kev`, `epss`, `nvd`.
    pub feed: String,
    /// Where it was read from (path or URL).
    pub source: String,
    /// When the feed file was fetched (RFC 3339), when known.
    #[serde(default)]
    pub fetched_at: Option<String>,
    /// Whole days between the data's own date (`data_date`) — else `fetched_at` — and the
    /// scan's `today`, when known.
    #[serde(default)]
    pub age_days: Option<i64>,
    pub records: u64,
    /// The data's own date (KEV release, newest OSV `modified`, EPSS score date), when it has
    /// one: what `age_days` counts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_date: Option<Day>,
}

/// The asset context and the policy tables the priorities were computed with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    pub criticality: Criticality,
    pub exposure: Exposure,
    /// Where criticality and exposure came from: `cli`, `config` (`caulk.toml`) or `default`.
    pub context_source: String,
    /// Name of the decision table (`caulk-default-v4` or the name given in `caulk.toml`).
    pub decision_table: String,
    /// Severity → days, in severity order (critical first).
    pub sla: Vec<SlaEntry>,
    /// What starts the SLA clock.
    pub sla_clock: SlaClock,
    /// Path of the configuration file read, if any.
    #[serde(default)]
    pub config: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaEntry {
    pub severity: Severity,
    pub days: u32,
}

/// What starts the SLA clock of a finding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SlaClock {
    /// The day the advisory was published (the vendor made the fix available); a finding
    /// whose advisory has no publication date falls back to the scan date.
    #[default]
    VendorRelease,
    /// The day of the scan (a single scan has no memory; the fleet store keeps first-seen).
    Detection,
}

impl SlaClock {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaClock::VendorRelease => "vendor-release",
            SlaClock::Detection => "detection",
        }
    }
}

/// How much the business depends on the asset.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Criticality {
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Criticality {
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::Medium => "medium",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        }
    }
}

/// How reachable the asset is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    Isolated,
    #[default]
    Internal,
    Internet,
}

impl Exposure {
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Isolated => "isolated",
            Exposure::Internal => "internal",
            Exposure::Internet => "internet",
        }
    }
}

/// One vulnerability in one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Shared by every finding of the package (serialized as the struct itself).
    pub package: Arc<FindingPackage>,
    pub vulnerability: VulnerabilityRef,
    /// Every advisory that matched this package for this vulnerability, sorted
    /// (`DSA-5532-1`, `x_DEBCHG-CVE-2023-5678`, `GHSA-…`).
    pub advisory_ids: Arc<[String]>,
    /// Set when every matching advisory entry is *informational* rather than a
    /// vulnerability (RustSec's `unmaintained`, `unsound`, `notice`; other kinds as the
    /// database wrote them): the kind of the lowest such advisory id. `null` when at least
    /// one matching entry is an ordinary vulnerability. cargo-audit reports these as
    /// warnings.
    #[serde(default)]
    pub informational: Option<Arc<str>>,
    /// One line from the first advisory that has one.
    #[serde(default)]
    pub summary: Option<Arc<str>>,
    pub status: Status,
    /// The fixed version that satisfies every matching advisory entry: the highest of their
    /// fixes; `null` when none is known.
    #[serde(default)]
    pub fixed_version: Option<Arc<str>>,
    /// The best CVSS score known (see `docs/scan-format.md` for the order of preference).
    #[serde(default)]
    pub cvss: Option<Cvss>,
    /// The qualitative severity used for the SLA: from the CVSS score or a vendor's rating
    /// ([`Finding::severity_source`] says which, the policy's `severity_preference` which
    /// wins when they disagree); `unknown` when nothing rates it (`none` is CVSS 0.0's band).
    pub severity: Severity,
    /// Where [`Finding::severity`] came from; `null` when it is `unknown`.
    #[serde(default)]
    pub severity_source: Option<SeveritySource>,
    /// The vendor's own rating in words (Ubuntu priority, AlmaLinux/Red Hat severity, GHSA
    /// severity), with the record that gave it, whether or not it decided the severity.
    #[serde(default)]
    pub vendor_severity: Option<VendorSeverity>,
    #[serde(default)]
    pub epss: Option<Epss>,
    #[serde(default)]
    pub kev: Option<Kev>,
    pub priority: Arc<Priority>,
    /// Why this finding exists: one entry per matching `affected[]` entry, sorted.
    pub provenance: Arc<[Provenance]>,
    pub confidence: Confidence,
    /// The exception that hides this finding, or the note that one expired.
    #[serde(default)]
    pub suppression: Option<Suppression>,
    /// [`Remediation::id`] of the upgrade that fixes this finding, when there is one.
    #[serde(default)]
    pub remediation: Option<String>,
}

impl Finding {
    /// A stable key for this finding across runs (SARIF `partialFingerprints`, CSV keys,
    /// fleet storage): `<ecosystem>/<name>@<version>#<vulnerability id>`, then ` in <file>`
    /// when the package's file is known.
    pub fn key(&self) -> String {
        let p = &self.package;
        let mut k = format!(
            "{}/{}@{}#{}",
            p.ecosystem, p.name, p.version, self.vulnerability.id
        );
        if let Some(f) = &p.file {
            k.push_str(" in ");
            k.push_str(f);
        }
        k
    }

    /// True when an active exception hides it (an expired one does not).
    pub fn is_suppressed(&self) -> bool {
        matches!(
            self.suppression,
            Some(Suppression {
                state: SuppressionState::Suppressed,
                ..
            })
        )
    }

    /// An active finding no upgrade fixes yet (the reports' "unfixed" list): unfixed,
    /// will-not-fix, or fixed without a known version; not suppressed, not a distro's
    /// not-affected verdict.
    pub fn has_no_fix(&self) -> bool {
        !self.is_suppressed()
            && self.status != Status::NotAffected
            && (self.status != Status::Fixed || self.fixed_version.is_none())
    }

    /// The canonical order of findings: most urgent decision first, then higher score, then
    /// ecosystem, package, version, vulnerability id and file. Scores compare with
    /// `total_cmp`, so the order is total.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.priority.decision),
            std::cmp::Reverse(OrdF64(self.priority.score)),
            (
                self.package.ecosystem.as_str(),
                self.package.name.as_str(),
                self.package.version.as_str(),
                self.vulnerability.id.as_str(),
                self.package.file.as_deref().unwrap_or(""),
            ),
        )
    }
}

/// What a finding's severity was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SeveritySource {
    /// The CVSS score's band ([`Finding::cvss`]).
    Cvss,
    /// The vendor's rating ([`Finding::vendor_severity`]).
    Vendor,
}

impl SeveritySource {
    pub fn as_str(self) -> &'static str {
        match self {
            SeveritySource::Cvss => "cvss",
            SeveritySource::Vendor => "vendor",
        }
    }
}

/// `f64` ordered by `total_cmp`, for sort keys.
#[derive(Debug, Clone, Copy)]
pub struct OrdF64(pub f64);

impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The installed package of a finding, as the inventory reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FindingPackage {
    /// Binary (installed) package name.
    pub name: String,
    pub version: String,
    /// OSV ecosystem with release (`Debian:12`, `PyPI`).
    pub ecosystem: String,
    /// Source package (dpkg `Source:`, source RPM name, apk origin); `null` for language
    /// packages.
    #[serde(default)]
    pub source_name: Option<String>,
    #[serde(default)]
    pub source_version: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
    /// The file the package was read from (dpkg status, lockfile, SBOM).
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub arch: Option<String>,
}

/// The vulnerability of a finding: the display id and every other id it is known by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VulnerabilityRef {
    /// The lowest CVE id of the merged group, else the lowest id.
    pub id: String,
    /// Every other id of the group (advisory ids included), sorted; never contains `id`.
    pub aliases: Arc<[String]>,
}

/// Status of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Status {
    /// Affected, and a fixed version exists.
    Fixed,
    /// Affected, no fixed version is known yet.
    Unfixed,
    /// The distro says it will not fix it (Debian `<ignored>`/`<no-dsa>`, Ubuntu `ignored`,
    /// Red Hat "Will not fix").
    WillNotFix,
    /// The distro says this package is not affected although upstream is.
    NotAffected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fixed => "fixed",
            Status::Unfixed => "unfixed",
            Status::WillNotFix => "will-not-fix",
            Status::NotAffected => "not-affected",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The CVSS score a finding is ranked with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    pub version: CvssVersion,
    pub vector: String,
    /// The published score when the source published one, else the score computed from the
    /// vector.
    pub score: f64,
    pub severity: Severity,
    /// `osv:<advisory id>` or `nvd:<source identifier>`.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// Probability of exploitation activity in the next 30 days, 0..=1.
    pub score: f64,
    /// 0..=1.
    pub percentile: f64,
    /// Score date (as the EPSS file states it), when known.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub model_version: Option<String>,
}

/// The CISA KEV entry of the finding's CVE.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kev {
    pub cve_id: String,
    /// `YYYY-MM-DD`.
    pub date_added: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// `Known`, `Unknown` or what CISA wrote.
    pub known_ransomware_campaign_use: String,
    #[serde(default)]
    pub vulnerability_name: String,
    #[serde(default)]
    pub required_action: String,
}

/// What to do about a finding, and by when.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    /// Composite risk score, 0.0..=100.0 (formula in `docs/scan-format.md`).
    pub score: f64,
    pub decision: Decision,
    /// Why, in words, one sentence each, in the order they were applied.
    pub reasons: Vec<String>,
    /// `YYYY-MM-DD`; `null` for distro verdicts (will-not-fix, not-affected): no clock runs.
    #[serde(default)]
    pub due_date: Option<Day>,
    /// Days the SLA table grants for this severity (`null` when no clock applies).
    #[serde(default)]
    pub sla_days: Option<u32>,
    /// What the due date was counted from: `kev` (the KEV due date won), `vendor-release`
    /// or `detection`.
    #[serde(default)]
    pub due_date_origin: Option<DueDateOrigin>,
    /// True when the due date is before the scan's `today`.
    #[serde(default)]
    pub overdue: bool,
}

/// What a due date was counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DueDateOrigin {
    /// CISA's KEV due date, earlier than the SLA's.
    Kev,
    /// The SLA counted from the earliest publication of the matching advisories.
    VendorRelease,
    /// The SLA counted from the scan's `today`.
    Detection,
}

impl DueDateOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            DueDateOrigin::Kev => "kev",
            DueDateOrigin::VendorRelease => "vendor-release",
            DueDateOrigin::Detection => "detection",
        }
    }
}

/// The SSVC-style decision. Ordered from least to most urgent.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// No action beyond normal updates.
    #[default]
    Defer,
    /// Fix in the next regular maintenance window.
    Scheduled,
    /// Fix sooner than the regular window.
    OutOfCycle,
    /// Fix now.
    ActNow,
}

impl Decision {
    pub const ALL: [Decision; 4] = [
        Decision::ActNow,
        Decision::OutOfCycle,
        Decision::Scheduled,
        Decision::Defer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Defer => "defer",
            Decision::Scheduled => "scheduled",
            Decision::OutOfCycle => "out-of-cycle",
            Decision::ActNow => "act-now",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "defer" => Some(Decision::Defer),
            "scheduled" => Some(Decision::Scheduled),
            "out-of-cycle" => Some(Decision::OutOfCycle),
            "act-now" => Some(Decision::ActNow),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One matching `affected[]` entry: why the package is affected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Provenance {
    pub advisory: String,
    /// `osv/Debian`, `osv/PyPI`, …
    pub feed: String,
    /// The record's file in the feed (zip member).
    pub file: String,
    /// The affected entry's ecosystem as written (`Debian:12`).
    pub ecosystem: String,
    /// The package name the entry names.
    pub matched_name: String,
    /// Which of the installed package's names matched it.
    pub matched_by: MatchedBy,
    /// The installed version that was compared (the source version for source matches).
    pub compared_version: String,
    /// Which range and events decided, as `caulk_version::range::Match` displays it
    /// (`range 0 (ECOSYSTEM): introduced 0 <= version < fixed 3.0.17-1~deb12u2`).
    pub range: String,
    /// The fixed version this entry gives, if any.
    #[serde(default)]
    pub fixed_version: Option<String>,
    /// The version scheme that compared (`dpkg`, `rpm`, `apk`, `pep440`, `semver`, …).
    pub scheme: String,
}

/// Which name of the installed package an advisory matched.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MatchedBy {
    /// The source package name (Debian/Ubuntu `Source:`, source RPM, apk origin).
    Source,
    /// The binary package name (distros that publish by binary package, or a package with
    /// no recorded source).
    Binary,
    /// A language package's name, after the ecosystem's normalisation (PEP 503 for PyPI).
    #[default]
    Name,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Source => "source",
            MatchedBy::Binary => "binary",
            MatchedBy::Name => "name",
        }
    }
}

/// How sure we are that the finding is real.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confidence {
    pub level: ConfidenceLevel,
    /// What lowered it (empty for `high`).
    pub reasons: Vec<String>,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ConfidenceLevel {
    Low,
    Medium,
    #[default]
    High,
}

impl ConfidenceLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfidenceLevel::Low => "low",
            ConfidenceLevel::Medium => "medium",
            ConfidenceLevel::High => "high",
        }
    }
}

/// An exception applied to a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub state: SuppressionState,
    /// 0-based index of the `[[exception]]` in the configuration file.
    pub exception: usize,
    /// The selectors of the exception, as written.
    #[serde(default)]
    pub vulnerability: Option<String>,
    #[serde(default)]
    pub package: Option<String>,
    /// The exception's informational-kind selector (`unmaintained`, …), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, inclusive: the exception holds through that day.
    #[serde(default)]
    pub expires: Option<String>,
    /// For `expired`: `exception expired on 2026-01-31 (owner: …)`.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionState {
    /// An active exception hides the finding: it is counted, shown as suppressed, and never
    /// triggers `--fail-on`.
    #[default]
    Suppressed,
    /// The exception has expired: the finding is active again, with a note.
    Expired,
}

/// One upgrade and what it fixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    /// `<ecosystem>/<package>@<target_version>` (plus ` in <file>` for language packages).
    pub id: String,
    pub ecosystem: String,
    /// The package to upgrade: the source package for distros, else the package name.
    pub package: String,
    /// Installed binary packages of that source that the upgrade replaces, sorted (for
    /// language packages: the package name itself).
    pub binaries: Vec<String>,
    /// Installed version (the source version for distros); when binaries disagree, the
    /// lowest.
    pub installed_version: String,
    /// The smallest version that fixes every finding of the remediation.
    pub target_version: String,
    /// Files the packages were read from (lockfiles to edit), sorted.
    #[serde(default)]
    pub files: Vec<String>,
    /// Vulnerability ids (display ids) fixed, sorted.
    pub vulnerabilities: Vec<String>,
    /// Findings fixed (a vulnerability in two binaries counts twice).
    pub findings: u64,
    /// Vulnerabilities in CISA KEV among those fixed.
    pub kev_count: u64,
    /// Highest CVSS score among the fixed findings.
    #[serde(default)]
    pub max_cvss: Option<f64>,
    pub max_severity: Severity,
    /// Most urgent decision among the fixed findings.
    pub decision: Decision,
    /// Earliest due date among the fixed findings.
    #[serde(default)]
    pub due_date: Option<Day>,
    /// Sum of the fixed findings' priority scores, one per vulnerability (the rank key).
    pub risk_removed: f64,
    /// Whether a version ≥ `target_version` is available in the package sources given
    /// (apt lists); `null` when not checked or not available — see
    /// [`ScanReport::summary`]`.installability_checked`.
    #[serde(default)]
    pub installable: Option<Installable>,
    /// Why not, when the lists were checked and offer no such version: `not in the apt
    /// lists`, or the highest version they offer (`the lists offer 1.2-3 at most`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_installable: Option<String>,
}

impl Default for Remediation {
    fn default() -> Self {
        Remediation {
            id: String::new(),
            ecosystem: String::new(),
            package: String::new(),
            binaries: Vec::new(),
            installed_version: String::new(),
            target_version: String::new(),
            files: Vec::new(),
            vulnerabilities: Vec::new(),
            findings: 0,
            kev_count: 0,
            max_cvss: None,
            max_severity: Severity::Unknown,
            decision: Decision::Defer,
            due_date: None,
            risk_removed: 0.0,
            installable: None,
            not_installable: None,
        }
    }
}

/// A candidate that can be installed now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installable {
    /// The highest available version (≥ the target).
    pub version: String,
    /// Where it comes from: the suite/codename and component (`bookworm-security/main`),
    /// else the index file name.
    pub origin: String,
}

/// Findings hidden by exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressedCounts {
    /// Findings an active exception hides.
    pub total: u64,
    /// Findings whose exception expired (active again, with a note).
    pub expired: u64,
    /// Per exception, in configuration order; exceptions that matched nothing are listed
    /// with 0 so stale ones can be cleaned up.
    pub by_exception: Vec<ExceptionCount>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionCount {
    pub exception: usize,
    #[serde(default)]
    pub vulnerability: Option<String>,
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
    pub expired: bool,
    pub findings: u64,
}

/// A problem met during the scan; the scan went on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanIssue {
    pub stage: IssueStage,
    pub kind: ScanIssueKind,
    /// The file concerned, when there is one.
    #[serde(default)]
    pub file: Option<String>,
    /// The record concerned (package, advisory id, exception index, …).
    #[serde(default)]
    pub record: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum IssueStage {
    Inventory,
    Database,
    Matching,
    Config,
    Installability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ScanIssueKind {
    /// Malformed input: a record was skipped.
    BadInput,
    /// A bound was hit.
    Limit,
    /// Could not be read.
    Unreadable,
    /// A package in a state other than installed.
    PackageState,
    /// Recognised but not supported (an ecosystem with no advisories or version order).
    Unsupported,
    /// An advisory range could not be evaluated for a package (GIT range, bad event, …).
    Unevaluable,
    /// A feed is old.
    Stale,
}

impl From<crate::inventory::IssueKind> for ScanIssueKind {
    fn from(k: crate::inventory::IssueKind) -> Self {
        use crate::inventory::IssueKind as I;
        match k {
            I::BadInput => ScanIssueKind::BadInput,
            I::Limit => ScanIssueKind::Limit,
            I::Unreadable => ScanIssueKind::Unreadable,
            I::PackageState => ScanIssueKind::PackageState,
            I::Unsupported => ScanIssueKind::Unsupported,
        }
    }
}

/// Counts over the findings. "Active" means not hidden by an active exception.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub packages: u64,
    /// Packages with at least one active finding.
    pub packages_affected: u64,
    /// Active findings.
    pub findings: u64,
    /// Distinct vulnerability ids among the active findings.
    pub vulnerabilities: u64,
    pub by_status: StatusCounts,
    pub by_severity: SeverityCounts,
    pub by_decision: DecisionCounts,
    /// Active findings whose CVE is in KEV.
    pub kev: u64,
    /// Active findings past their due date.
    pub overdue: u64,
    /// Active findings from informational advisories (not vulnerabilities), per kind
    /// (`unmaintained`, `unsound`, `notice`, or a kind as the feed wrote it); empty when none.
    /// Added within format 1: readers of older reports get an empty map.
    #[serde(default)]
    pub informational: std::collections::BTreeMap<String, u64>,
    pub remediations: u64,
    /// Remediations with an installable candidate.
    pub remediations_installable: u64,
    /// True when package sources (apt lists) were read, so `installable: null` means "not
    /// available there" rather than "not checked".
    pub installability_checked: bool,
    pub suppressed: u64,
    pub issues: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub fixed: u64,
    pub unfixed: u64,
    pub will_not_fix: u64,
    pub not_affected: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    /// CVSS 0.0 (the CVSS band `none`). Before caulk knew `unknown`, findings with no
    /// score were counted here.
    pub none: u64,
    /// Nothing rates it: no CVSS score, no vendor rating.
    #[serde(default)]
    pub unknown: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionCounts {
    pub act_now: u64,
    pub out_of_cycle: u64,
    pub scheduled: u64,
    pub defer: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_no_fix_is_the_unfixed_list() {
        let f = |status, fixed: Option<&str>, suppressed: bool| Finding {
            package: Arc::default(),
            vulnerability: VulnerabilityRef::default(),
            advisory_ids: Arc::new([]),
            informational: None,
            summary: None,
            status,
            fixed_version: fixed.map(Arc::from),
            cvss: None,
            severity: Severity::Unknown,
            severity_source: None,
            vendor_severity: None,
            epss: None,
            kev: None,
            priority: Arc::default(),
            provenance: Arc::new([]),
            confidence: Confidence::default(),
            suppression: suppressed.then(|| Suppression {
                state: SuppressionState::Suppressed,
                ..Suppression::default()
            }),
            remediation: None,
        };
        assert!(f(Status::Unfixed, None, false).has_no_fix());
        assert!(f(Status::WillNotFix, None, false).has_no_fix());
        assert!(
            f(Status::Fixed, None, false).has_no_fix(),
            "no version to install"
        );
        assert!(!f(Status::Fixed, Some("2"), false).has_no_fix());
        assert!(!f(Status::NotAffected, None, false).has_no_fix());
        assert!(!f(Status::Unfixed, None, true).has_no_fix(), "suppressed");
    }

    #[test]
    fn enums_serialize_kebab_case() {
        let j = serde_json::to_string(&(
            Decision::OutOfCycle,
            Status::WillNotFix,
            MatchedBy::Source,
            SlaClock::VendorRelease,
            ScanIssueKind::PackageState,
        ))
        .expect("serialize");
        assert_eq!(
            j,
            r#"["out-of-cycle","will-not-fix","source","vendor-release","package-state"]"#
        );
    }

    #[test]
    fn decisions_order_by_urgency() {
        assert!(Decision::ActNow > Decision::OutOfCycle);
        assert!(Decision::OutOfCycle > Decision::Scheduled);
        assert!(Decision::Scheduled > Decision::Defer);
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
    }
}
