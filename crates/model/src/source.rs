//! Where advisories come from: the [`AdvisorySource`] trait the scan reads through, and
//! [`MemSource`], an in-memory implementation for tests and small fixtures.
//!
//! `caulk_advisory_db::store::Store` implements the trait over the SQLite database; this
//! crate never touches a file.

use crate::advisory::{
    Advisory, AdvisoryFacts, CvssScore, EpssScore, KevEntry, VendorSeverity, Vulnerability,
};
use crate::identity::{self, Identity};
use std::collections::{BTreeMap, BTreeSet};

/// One `affected[]` entry found by a lookup (the model's type; the store answers with it).
pub use crate::advisory::AffectedHit as Hit;

/// A failed read from an advisory source: what was asked and why it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("advisory source: {what}: {reason}")]
pub struct SourceError {
    /// What was being read (`lookup Debian:12/openssl`, `advisory DSA-5532-1`).
    pub what: String,
    pub reason: String,
}

impl SourceError {
    pub fn new(what: impl Into<String>, reason: impl std::fmt::Display) -> SourceError {
        SourceError {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

/// Read access to an advisory database. Every method answers for one key; the scan caches
/// what it asks, so implementations need not.
pub trait AdvisorySource {
    /// Affected entries of non-withdrawn advisories for exactly this (ecosystem, name),
    /// sorted by advisory id then entry order.
    fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<Hit>, SourceError>;
    /// One advisory by id (withdrawn or not); its `severity` is what [`AdvisorySource::cvss`]
    /// answers for the id (the scan reads it from here and does not ask again).
    fn advisory(&self, id: &str) -> Result<Option<Advisory>, SourceError>;
    /// The vulnerabilities (display ids) an advisory is linked to: its own group and, when
    /// it covers several (a DSA fixing many CVEs), each upstream's group. May be empty (the
    /// scan then uses [`AdvisorySource::vulnerability`] of the advisory).
    fn advisory_vulnerabilities(&self, advisory: &str) -> Result<Vec<String>, SourceError>;
    /// The vulnerability an id belongs to, with all its ids.
    fn vulnerability(&self, id: &str) -> Result<Option<Vulnerability>, SourceError>;
    /// CVSS scores stored under an id (advisory ids: the record's own severity; CVE ids:
    /// NVD).
    fn cvss(&self, id: &str) -> Result<Vec<CvssScore>, SourceError>;
    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, SourceError>;
    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, SourceError>;
    /// The ratings in words stored under an id: the record's own (Ubuntu priority, GHSA
    /// severity, …), in source order. The default reads them from
    /// [`AdvisorySource::advisory`]; an id that is no record has none.
    fn vendor_severity(&self, id: &str) -> Result<Vec<VendorSeverity>, SourceError> {
        Ok(self
            .advisory(id)?
            .map(|a| a.vendor_severity)
            .unwrap_or_default())
    }

    // Set-based reads. A scan asks per phase for every key it needs (all lookups, then the
    // advisories of every match, then the facts of every vulnerability): a database answers
    // each in one statement instead of thousands. The defaults loop over the single-key
    // methods. An error fails the whole set; the scan then asks key by key, so one bad
    // record still costs only its own finding.

    /// [`AdvisorySource::lookup`] for several names of one ecosystem, in any order (each
    /// hit names its package).
    fn lookup_many(&self, ecosystem: &str, names: &[&str]) -> Result<Vec<Hit>, SourceError> {
        let mut out = Vec::new();
        for n in names {
            out.extend(self.lookup(ecosystem, n)?);
        }
        Ok(out)
    }
    /// The facts of the advisories among `ids` that exist.
    fn advisory_facts(&self, ids: &[&str]) -> Result<Vec<AdvisoryFacts>, SourceError> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(a) = self.advisory(id)? {
                out.push(AdvisoryFacts::of(&a));
            }
        }
        Ok(out)
    }
    /// [`AdvisorySource::advisory_vulnerabilities`] of each advisory: `(advisory, vuln)`
    /// pairs.
    fn advisory_vulnerabilities_many(
        &self,
        advisories: &[&str],
    ) -> Result<Vec<(String, String)>, SourceError> {
        let mut out = Vec::new();
        for a in advisories {
            for v in self.advisory_vulnerabilities(a)? {
                out.push((a.to_string(), v));
            }
        }
        Ok(out)
    }
    /// [`AdvisorySource::vulnerability`] of each id that belongs to one: `(id, vuln)`.
    fn vulnerabilities(&self, ids: &[&str]) -> Result<Vec<(String, Vulnerability)>, SourceError> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(v) = self.vulnerability(id)? {
                out.push((id.to_string(), v));
            }
        }
        Ok(out)
    }
    /// [`AdvisorySource::cvss`] of each id: `(id, score)` pairs, each id's in its order.
    fn cvss_many(&self, ids: &[&str]) -> Result<Vec<(String, CvssScore)>, SourceError> {
        let mut out = Vec::new();
        for id in ids {
            for c in self.cvss(id)? {
                out.push((id.to_string(), c));
            }
        }
        Ok(out)
    }
    /// [`AdvisorySource::vendor_severity`] of each id: `(id, rating)` pairs.
    fn vendor_severity_many(
        &self,
        ids: &[&str],
    ) -> Result<Vec<(String, VendorSeverity)>, SourceError> {
        let mut out = Vec::new();
        for id in ids {
            for v in self.vendor_severity(id)? {
                out.push((id.to_string(), v));
            }
        }
        Ok(out)
    }
    /// The KEV entries of the CVE ids that have one.
    fn kev_many(&self, cves: &[&str]) -> Result<Vec<KevEntry>, SourceError> {
        let mut out = Vec::new();
        for c in cves {
            out.extend(self.kev(c)?);
        }
        Ok(out)
    }
    /// The EPSS scores of the CVE ids that have one.
    fn epss_many(&self, cves: &[&str]) -> Result<Vec<EpssScore>, SourceError> {
        let mut out = Vec::new();
        for c in cves {
            out.extend(self.epss(c)?);
        }
        Ok(out)
    }
}

/// An in-memory advisory source. Identity is the database's own rule
/// ([`crate::identity::merge`] over every advisory's `aliases` and `upstream`), so an advisory
/// with several `upstream` ids covers each of them and one with a single `upstream` id is that
/// vulnerability; [`MemSource::link`] adds coverage the records do not state. Display ids are
/// the lowest CVE id, else the lowest id.
#[derive(Debug, Default)]
pub struct MemSource {
    advisories: BTreeMap<String, Advisory>,
    links: BTreeMap<String, Vec<String>>,
    cvss: BTreeMap<String, Vec<CvssScore>>,
    kev: BTreeMap<String, KevEntry>,
    epss: BTreeMap<String, EpssScore>,
    /// Derived from `advisories` and `links` on first read; reset by every change.
    identity: std::sync::OnceLock<Identity>,
}

impl Clone for MemSource {
    fn clone(&self) -> MemSource {
        MemSource {
            advisories: self.advisories.clone(),
            links: self.links.clone(),
            cvss: self.cvss.clone(),
            kev: self.kev.clone(),
            epss: self.epss.clone(),
            identity: std::sync::OnceLock::new(),
        }
    }
}

impl MemSource {
    pub fn new() -> MemSource {
        MemSource::default()
    }

    /// Add an advisory; its `severity` is what [`AdvisorySource::cvss`] answers for its id.
    pub fn add(&mut self, a: Advisory) -> &mut Self {
        self.identity = std::sync::OnceLock::new();
        if !a.severity.is_empty() {
            self.cvss.insert(a.id.clone(), a.severity.clone());
        }
        self.advisories.insert(a.id.clone(), a);
        self
    }

    /// Say that `advisory` covers several vulnerabilities (its `upstream` CVEs).
    pub fn link(&mut self, advisory: &str, vulns: &[&str]) -> &mut Self {
        self.identity = std::sync::OnceLock::new();
        self.links.insert(
            advisory.to_string(),
            vulns.iter().map(|v| v.to_string()).collect(),
        );
        self
    }

    pub fn add_cvss(&mut self, id: &str, s: CvssScore) -> &mut Self {
        self.cvss.entry(id.to_string()).or_default().push(s);
        self
    }

    pub fn add_kev(&mut self, k: KevEntry) -> &mut Self {
        self.kev.insert(k.cve_id.clone(), k);
        self
    }

    pub fn add_epss(&mut self, e: EpssScore) -> &mut Self {
        self.epss.insert(e.cve_id.clone(), e);
        self
    }

    fn identity(&self) -> &Identity {
        self.identity.get_or_init(|| {
            let none: &[String] = &[];
            let linked = self.links.values().flatten().map(|v| identity::Links {
                id: v,
                aliases: none,
                upstream: none,
            });
            identity::merge(
                self.advisories
                    .values()
                    .map(|a| identity::Links {
                        id: &a.id,
                        aliases: &a.aliases,
                        upstream: &a.upstream,
                    })
                    .chain(linked),
            )
        })
    }
}

impl AdvisorySource for MemSource {
    fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<Hit>, SourceError> {
        let mut out = Vec::new();
        for a in self.advisories.values() {
            if a.is_withdrawn() {
                continue;
            }
            for p in &a.affected {
                if p.ecosystem == ecosystem && p.name == name {
                    out.push(Hit {
                        advisory: a.id.clone(),
                        package: p.clone(),
                    });
                }
            }
        }
        Ok(out)
    }

    fn advisory(&self, id: &str) -> Result<Option<Advisory>, SourceError> {
        // As the store does: an advisory's severity is what `cvss` answers for its id.
        Ok(self.advisories.get(id).map(|a| Advisory {
            severity: self.cvss.get(id).cloned().unwrap_or_default(),
            ..a.clone()
        }))
    }

    fn advisory_vulnerabilities(&self, advisory: &str) -> Result<Vec<String>, SourceError> {
        // As the store does: the advisory's own group and, for an advisory with several
        // upstream ids, each of theirs; plus the linked ones.
        let id = self.identity();
        let mut v: BTreeSet<String> = id.advisory_vulns.get(advisory).cloned().unwrap_or_default();
        for l in self.links.get(advisory).into_iter().flatten() {
            v.extend(id.vuln_of.get(l).cloned());
        }
        Ok(v.into_iter().collect())
    }

    fn vulnerability(&self, id: &str) -> Result<Option<Vulnerability>, SourceError> {
        let identity = self.identity();
        Ok(identity
            .vuln_of
            .get(id)
            .and_then(|display| identity.vulns.get(display))
            .cloned())
    }

    fn cvss(&self, id: &str) -> Result<Vec<CvssScore>, SourceError> {
        Ok(self.cvss.get(id).cloned().unwrap_or_default())
    }

    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, SourceError> {
        Ok(self.kev.get(cve).cloned())
    }

    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, SourceError> {
        Ok(self.epss.get(cve).cloned())
    }
}
