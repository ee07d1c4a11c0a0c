//! Advisory domain types: what the advisory database knows about a vulnerability and the
//! packages it affects, in the words later stages use (advisory, vulnerability, affected
//! package, fixed version, CVSS, KEV, EPSS, feed).
//!
//! These are the stored, normalised shapes, not the OSV wire format (the `advisory` crate owns
//! that and converts explicitly). Timestamps are kept as the RFC 3339 strings the feeds publish:
//! this crate has no clock. The trap: an advisory (`DSA-5380-1`, `ALSA-2024:0265`) is not a
//! vulnerability; one advisory may fix several vulnerabilities, and one vulnerability has many
//! ids (`CVE-…`, `GHSA-…`, `PYSEC-…`). [`Vulnerability`] is the merged identity.

use caulk_version::range;
use serde::{Deserialize, Serialize};

/// One advisory as stored: an OSV record reduced to what matching and ranking need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    /// RFC 3339, as published.
    pub modified: String,
    pub published: Option<String>,
    /// When set, the advisory is withdrawn: kept, shown, never matched.
    pub withdrawn: Option<String>,
    pub summary: Option<String>,
    pub aliases: Vec<String>,
    pub upstream: Vec<String>,
    pub related: Vec<String>,
    pub severity: Vec<CvssScore>,
    /// The record's own ratings in words (Ubuntu priority, a Red Hat-style severity in an
    /// AlmaLinux summary, GHSA's `database_specific.severity`), each with its source.
    #[serde(default)]
    pub vendor_severity: Vec<VendorSeverity>,
    pub affected: Vec<AffectedPackage>,
    /// Where it came from: feed name and member path.
    pub source: RecordSource,
}

impl Advisory {
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }
}

/// The feed and the file a record was read from, for every report that names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordSource {
    /// `osv/Debian`, `kev`, `epss`, `nvd`.
    pub feed: String,
    /// The zip member or file name (`almalinux9/ALSA-2024:0265.json`).
    pub file: String,
}

/// One `affected[]` entry found by a lookup by (ecosystem, name): the advisory it belongs to
/// and the entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AffectedHit {
    pub advisory: String,
    pub package: AffectedPackage,
}

/// What a scan reads of an advisory besides its affected entries: the facts a finding
/// shows (summary, dates, where it came from). Cheaper than a whole [`Advisory`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryFacts {
    pub id: String,
    pub modified: String,
    pub published: Option<String>,
    pub withdrawn: Option<String>,
    pub summary: Option<String>,
    pub source: RecordSource,
}

impl AdvisoryFacts {
    /// The facts of a whole advisory.
    pub fn of(a: &Advisory) -> AdvisoryFacts {
        AdvisoryFacts {
            id: a.id.clone(),
            modified: a.modified.clone(),
            published: a.published.clone(),
            withdrawn: a.withdrawn.clone(),
            summary: a.summary.clone(),
            source: a.source.clone(),
        }
    }
}

/// One `affected[]` entry: a package of one ecosystem and the versions it is affected in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// The OSV ecosystem string as written (`Debian:12`, `PyPI`, `AlmaLinux:9`).
    pub ecosystem: String,
    /// The package name; for distros, the source package.
    pub name: String,
    pub purl: Option<String>,
    pub ranges: Vec<AffectedRange>,
    pub versions: Vec<String>,
    /// The entry is *informational*, not a vulnerability: RustSec's
    /// `affected[].database_specific.informational`, one of [`INFORMATIONAL_KINDS`]
    /// (`unmaintained`, `unsound`, `notice`) or another kind a newer database writes, kept as
    /// written (trimmed, at most [`MAX_INFORMATIONAL_LEN`] bytes). `None` for an ordinary
    /// entry: a vulnerability. cargo-audit reports informational advisories as warnings.
    #[serde(default)]
    pub informational: Option<String>,
    /// The vulnerabilities this entry is about, when the record says so per entry: Ubuntu's
    /// `affected[].database_specific.cves_map` lists the CVEs of a notice that apply to *this*
    /// release (a USN's `upstream` lists those of every release), each with its own CVSS and
    /// Ubuntu priority. `None`: the entry is about every vulnerability of the record.
    #[serde(default)]
    pub cves: Option<Vec<EntryCve>>,
}

/// One CVE of an entry's per-release map, with the scores the map gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryCve {
    pub id: String,
    #[serde(default)]
    pub cvss: Vec<CvssScore>,
    #[serde(default)]
    pub vendor: Vec<VendorSeverity>,
}

/// The most CVEs kept from one entry's map, and the longest id (a notice for a kernel lists
/// a few hundred; more is not data).
pub const MAX_ENTRY_CVES: usize = 4096;
pub const MAX_ENTRY_CVE_LEN: usize = 64;

/// The informational kinds RustSec defines. Other values are kept as written.
pub const INFORMATIONAL_KINDS: [&str; 3] = ["unmaintained", "unsound", "notice"];

/// The longest informational kind kept; a longer value is not a kind (the entry is then
/// treated as a vulnerability, and the import warns).
pub const MAX_INFORMATIONAL_LEN: usize = 64;

impl AffectedPackage {
    /// The version-matching view used by `caulk_version::range::evaluate`.
    pub fn to_range_affected(&self) -> range::Affected {
        self.clone().take_range_affected()
    }

    /// [`AffectedPackage::to_range_affected`] that moves the ranges and versions out (this
    /// entry keeps its ecosystem, name, purl and informational kind): no copy of every event
    /// string.
    pub fn take_range_affected(&mut self) -> range::Affected {
        range::Affected {
            ranges: std::mem::take(&mut self.ranges)
                .into_iter()
                .map(|r| range::Range {
                    kind: range::RangeKind::parse(&r.kind),
                    events: r
                        .events
                        .into_iter()
                        .map(|e| range::Event::new(e.kind, e.version))
                        .collect(),
                })
                .collect(),
            versions: std::mem::take(&mut self.versions),
        }
    }

    /// Every `fixed` version named by the ranges, in record order.
    pub fn fixed_versions(&self) -> impl Iterator<Item = &str> {
        self.ranges.iter().flat_map(|r| {
            r.events
                .iter()
                .filter(|e| e.kind == EventKind::Fixed)
                .map(|e| e.version.as_str())
        })
    }
}

/// One OSV range: `type` as written (`ECOSYSTEM`, `SEMVER`, `GIT`, or a type caulk does not
/// know, kept as a value), the repository for GIT ranges, and the events in record order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    pub kind: String,
    pub repo: Option<String>,
    pub events: Vec<RangeEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeEvent {
    pub kind: EventKind,
    pub version: String,
}

/// The kind of an OSV range event: the version crate's enum (one definition; its order is
/// the tie-break order range evaluation uses), serialized as OSV spells it.
pub use caulk_version::range::EventKind;

/// The CVSS versions caulk scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V3_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "4.0")]
    V4,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4 => "4.0",
        }
    }
}

/// Qualitative severity: the band of a CVSS score (v2 has no None/Critical bands in its
/// spec; we use the NVD v2 bands Low/Medium/High), or a vendor's rating mapped to a band.
/// `Unknown` is no rating at all — never the same as `None`, CVSS 0.0's band; it orders
/// below every known band, so "the highest severity" of a set is a known one when there is
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A scored CVSS vector and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    pub version: CvssVersion,
    pub vector: String,
    /// The base score computed from the vector (v4: the CVSS-B/BT/BE/BTE score the vector
    /// defines).
    pub base_score: f64,
    pub severity: Severity,
    /// The score the source published, when it published one (NVD does; OSV does not).
    pub published_score: Option<f64>,
    /// `osv:<advisory id>`, `nvd:<source identifier>`.
    pub source: String,
}

/// A severity a vendor or database gave in words rather than as a CVSS vector: Ubuntu's
/// priority, a Red Hat-style impact (AlmaLinux summaries), GHSA's severity, Debian's urgency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VendorSeverity {
    /// The band the rating maps to (`negligible` → low, `Important`/`HIGH` → high, …).
    pub severity: Severity,
    /// The rating as written (`negligible`, `Important`, `MODERATE`).
    pub label: String,
    /// Whose scale it is: `Ubuntu priority`, `AlmaLinux severity`, `GHSA severity`, …
    pub kind: String,
    /// `osv:<record id>`: the record that gave it.
    pub source: String,
}

impl VendorSeverity {
    /// The record id of [`VendorSeverity::source`] (`osv:USN-5844-1` → `USN-5844-1`).
    pub fn record(&self) -> &str {
        self.source
            .split_once(':')
            .map_or(self.source.as_str(), |(_, r)| r)
    }
}

/// CISA Known Exploited Vulnerabilities: one catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve_id: String,
    pub vendor_project: String,
    pub product: String,
    pub vulnerability_name: String,
    /// `YYYY-MM-DD`.
    pub date_added: String,
    /// `YYYY-MM-DD`: the US federal remediation deadline.
    pub due_date: String,
    pub known_ransomware_campaign_use: RansomwareUse,
    pub required_action: String,
}

/// `knownRansomwareCampaignUse`: CISA writes `Known` or `Unknown`; anything else is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RansomwareUse {
    Known,
    Unknown,
    Other(String),
}

impl RansomwareUse {
    pub fn parse(s: &str) -> RansomwareUse {
        match s.trim() {
            x if x.eq_ignore_ascii_case("known") => RansomwareUse::Known,
            x if x.eq_ignore_ascii_case("unknown") => RansomwareUse::Unknown,
            x => RansomwareUse::Other(x.to_string()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            RansomwareUse::Known => "Known",
            RansomwareUse::Unknown => "Unknown",
            RansomwareUse::Other(s) => s,
        }
    }
}

/// FIRST EPSS: the probability of exploitation activity in the next 30 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    pub cve_id: String,
    /// 0.0 ..= 1.0
    pub score: f64,
    /// 0.0 ..= 1.0
    pub percentile: f64,
    /// `v2025.03.14`, from the file's `#model_version:…` line.
    pub model_version: Option<String>,
    /// `2025-03-19T00:00:00+0000`, from the file's `score_date:…`.
    pub score_date: Option<String>,
}

/// One vulnerability with all its ids: the merge of records that are the same vulnerability
/// (through `aliases`, and `upstream` when it names exactly one id), and the advisories that
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// The display id: the lowest CVE id of the group, else the lowest id.
    pub id: String,
    /// Every id of the group, sorted.
    pub ids: Vec<String>,
}

/// A record that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rejection {
    pub feed: String,
    pub file: String,
    pub id: Option<String>,
    pub reason: String,
}

/// What the database knows about one feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedStatus {
    /// `osv/Debian`, `kev`, `epss`, `nvd`.
    pub feed: String,
    /// Where it was read from (a path or URL).
    pub source: String,
    /// When the feed's file was fetched (RFC 3339, UTC), when known.
    pub fetched_at: Option<String>,
    /// Unix seconds of `fetched_at`, for age computations.
    pub fetched_at_unix: Option<i64>,
    /// Records imported.
    pub records: u64,
    /// Records rejected (each with a reason in `first_rejections`, up to a limit).
    pub rejected: u64,
    /// Records that repeat an id already imported (identical or superseded).
    pub duplicates: u64,
    /// Records imported with warnings (lint findings that do not prevent matching).
    pub warnings: u64,
    pub first_rejections: Vec<Rejection>,
    pub first_warnings: Vec<Rejection>,
    /// SHA-256 of the feed file as imported.
    pub sha256: Option<String>,
    /// The data's own date: KEV's `dateReleased`, the newest `modified` of the OSV records,
    /// the EPSS score date. A copy of an old file is as old as its data, whatever its file
    /// time; `None` when the data carries no date (or the database predates this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_date: Option<crate::Day>,
}

impl FeedStatus {
    /// Take `text`'s date (`YYYY-MM-DD…`, as RFC 3339 timestamps start) into
    /// [`FeedStatus::data_date`] when it is newer; anything else is ignored.
    pub fn saw_date(&mut self, text: &str) {
        let Some(day) = text.get(..10).and_then(|d| d.parse::<crate::Day>().ok()) else {
            return;
        };
        // Earlier dates are placeholders, not data (golang/vulndb writes 0001-01-01 in every
        // record's `modified`): the feed then has no date of its own.
        if day.date() < jiff::civil::date(1995, 1, 1) {
            return;
        }
        if self.data_date.is_none_or(|d| day > d) {
            self.data_date = Some(day);
        }
    }
}

#[cfg(test)]
mod feed_date_tests {
    use super::*;

    #[test]
    fn a_feed_is_as_old_as_its_newest_dated_record() {
        let mut f = FeedStatus {
            feed: "osv/Go".into(),
            source: "s".into(),
            fetched_at: None,
            fetched_at_unix: None,
            records: 0,
            rejected: 0,
            duplicates: 0,
            warnings: 0,
            first_rejections: vec![],
            first_warnings: vec![],
            sha256: None,
            data_date: None,
        };
        // golang/vulndb's placeholder is no date; neither is junk.
        for t in [
            "0001-01-01T00:00:00Z",
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
        ] {
            f.saw_date(t);
        }
        assert_eq!(f.data_date, None);
        for t in [
            "2024-05-01T10:00:00Z",
            "2025-08-25T15:01:13.5452Z",
            "2025-03-19",
        ] {
            f.saw_date(t);
        }
        assert_eq!(
            f.data_date.map(|d| d.to_string()).as_deref(),
            Some("2025-08-25")
        );
    }
}
