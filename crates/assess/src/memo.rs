//! An advisory source shared by many scans: [`SourceMemo`] keeps every answer an inner
//! source gave (per key), and [`Memoized`] answers from it, asking the inner source only for
//! the keys nobody asked before.
//!
//! Why: a fleet server assesses thousands of hosts against one database generation, and
//! hosts share most of their packages. Reading and decoding the database is more than half
//! of a host's assessment (BENCHMARKS.md, "scan: third step"); with the memo each
//! (ecosystem, name) lookup, advisory, id and score is read and decoded once per
//! generation. Matching and assessment are unchanged — the scan asks the same questions and
//! gets the same answers — so a memoized scan is the scan (tested: `memo_answers_as_the_source`).
//!
//! The traps: set reads must answer in the inner source's order (the lookups are sorted
//! by name, then as the source gave them; the rest per key, as the source gave them);
//! errors are never kept (the next scan asks again); and a memo belongs to one database
//! generation — drop it with the generation.

use std::collections::BTreeSet;
use std::sync::Mutex;

use caulk_model::advisory::{
    Advisory, AdvisoryFacts, CvssScore, EpssScore, KevEntry, VendorSeverity, Vulnerability,
};
use caulk_model::source::{AdvisorySource, Hit, SourceError};
use foldhash::HashMap;

/// Answers kept per key; `Sync`, to be shared by the threads that scan. Bounded: past
/// [`SourceMemo::with_limit`] (package lookups, each with its affected entries: most of the
/// memory), the lookups start over — a cache, never a changed answer.
#[derive(Debug)]
pub struct SourceMemo {
    limit: usize,
    lookups: Mutex<HashMap<(String, String), Vec<Hit>>>,
    advisories: Mutex<HashMap<String, Option<Advisory>>>,
    facts: Mutex<HashMap<String, Option<AdvisoryFacts>>>,
    linked: Mutex<HashMap<String, Vec<String>>>,
    vulnerability: Mutex<HashMap<String, Option<Vulnerability>>>,
    cvss: Mutex<HashMap<String, Vec<CvssScore>>>,
    vendor: Mutex<HashMap<String, Vec<VendorSeverity>>>,
    kev: Mutex<HashMap<String, Option<KevEntry>>>,
    epss: Mutex<HashMap<String, Option<EpssScore>>>,
}

impl Default for SourceMemo {
    fn default() -> Self {
        SourceMemo::with_limit(DEFAULT_LOOKUPS)
    }
}

/// The lookups kept by default: a fleet of a few distributions asks ~10,000–50,000
/// (ecosystem, name) pairs; a lookup with its entries averages a few KiB.
pub const DEFAULT_LOOKUPS: usize = 100_000;

impl SourceMemo {
    pub fn new() -> SourceMemo {
        SourceMemo::default()
    }

    /// A memo that keeps at most `lookups` (ecosystem, name) lookups (then starts over).
    pub fn with_limit(lookups: usize) -> SourceMemo {
        SourceMemo {
            limit: lookups.max(1),
            lookups: Mutex::default(),
            advisories: Mutex::default(),
            facts: Mutex::default(),
            linked: Mutex::default(),
            vulnerability: Mutex::default(),
            cvss: Mutex::default(),
            vendor: Mutex::default(),
            kev: Mutex::default(),
            epss: Mutex::default(),
        }
    }

    /// Keep `fresh` lookups, starting over first when they would pass the limit.
    fn keep_lookups(&self, fresh: impl IntoIterator<Item = ((String, String), Vec<Hit>)>) {
        let mut m = lock(&self.lookups);
        for (k, v) in fresh {
            if m.len() >= self.limit {
                m.clear();
            }
            m.insert(k, v);
        }
    }

    /// How many (ecosystem, name) lookups are kept.
    pub fn lookups(&self) -> usize {
        self.lookups.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// `inner` seen through `memo`.
pub struct Memoized<'a> {
    pub memo: &'a SourceMemo,
    pub inner: &'a dyn AdvisorySource,
}

impl std::fmt::Debug for Memoized<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memoized")
            .field("memo", &self.memo)
            .finish()
    }
}

/// A poisoned lock (a scan panicked while holding it) is as good as the data in it: the
/// maps are only ever inserted into whole entries.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One key's answer: from the memo, else from `ask` (kept when it succeeds).
fn one<V: Clone>(
    map: &Mutex<HashMap<String, V>>,
    key: &str,
    ask: impl FnOnce() -> Result<V, SourceError>,
) -> Result<V, SourceError> {
    if let Some(v) = lock(map).get(key) {
        return Ok(v.clone());
    }
    let v = ask()?;
    lock(map).insert(key.to_string(), v.clone());
    Ok(v)
}

/// The distinct keys of `keys`, sorted, and those the memo lacks.
fn missing<'k, V>(
    map: &Mutex<HashMap<String, V>>,
    keys: &[&'k str],
) -> (Vec<&'k str>, Vec<&'k str>) {
    let all: Vec<&str> = keys
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let m = lock(map);
    let lacking = all
        .iter()
        .copied()
        .filter(|k| !m.contains_key(*k))
        .collect();
    (all, lacking)
}

/// A set read of per-key lists: ask for the missing keys in one go, keep every asked key's
/// list (empty when the source had nothing), answer `(key, item)` pairs in key order.
fn many_lists<V: Clone>(
    map: &Mutex<HashMap<String, Vec<V>>>,
    keys: &[&str],
    ask: impl FnOnce(&[&str]) -> Result<Vec<(String, V)>, SourceError>,
) -> Result<Vec<(String, V)>, SourceError> {
    let (all, lacking) = missing(map, keys);
    if !lacking.is_empty() {
        let got = ask(&lacking)?;
        let mut fresh: HashMap<String, Vec<V>> = lacking
            .iter()
            .map(|k| (k.to_string(), Vec::new()))
            .collect();
        for (k, v) in got {
            fresh.entry(k).or_default().push(v);
        }
        lock(map).extend(fresh);
    }
    let m = lock(map);
    Ok(all
        .iter()
        .flat_map(|k| {
            m.get(*k)
                .into_iter()
                .flatten()
                .map(|v| (k.to_string(), v.clone()))
        })
        .collect())
}

/// A set read of at most one item per key: like [`many_lists`], answering the items.
fn many_options<V: Clone>(
    map: &Mutex<HashMap<String, Option<V>>>,
    keys: &[&str],
    key_of: impl Fn(&V) -> &str,
    ask: impl FnOnce(&[&str]) -> Result<Vec<V>, SourceError>,
) -> Result<Vec<V>, SourceError> {
    let (all, lacking) = missing(map, keys);
    if !lacking.is_empty() {
        let got = ask(&lacking)?;
        let mut fresh: HashMap<String, Option<V>> =
            lacking.iter().map(|k| (k.to_string(), None)).collect();
        for v in got {
            fresh.insert(key_of(&v).to_string(), Some(v));
        }
        lock(map).extend(fresh);
    }
    let m = lock(map);
    Ok(all
        .iter()
        .filter_map(|k| m.get(*k).cloned().flatten())
        .collect())
}

impl AdvisorySource for Memoized<'_> {
    fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<Hit>, SourceError> {
        let key = (ecosystem.to_string(), name.to_string());
        if let Some(v) = lock(&self.memo.lookups).get(&key) {
            return Ok(v.clone());
        }
        // The single read, not a set of one: a caller falls back to it when sets fail.
        let v = self.inner.lookup(ecosystem, name)?;
        self.memo.keep_lookups([(key, v.clone())]);
        Ok(v)
    }

    fn advisory(&self, id: &str) -> Result<Option<Advisory>, SourceError> {
        one(&self.memo.advisories, id, || self.inner.advisory(id))
    }

    fn advisory_vulnerabilities(&self, advisory: &str) -> Result<Vec<String>, SourceError> {
        one(&self.memo.linked, advisory, || {
            self.inner.advisory_vulnerabilities(advisory)
        })
    }

    fn vulnerability(&self, id: &str) -> Result<Option<Vulnerability>, SourceError> {
        one(&self.memo.vulnerability, id, || {
            self.inner.vulnerability(id)
        })
    }

    fn cvss(&self, id: &str) -> Result<Vec<CvssScore>, SourceError> {
        one(&self.memo.cvss, id, || self.inner.cvss(id))
    }

    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, SourceError> {
        one(&self.memo.kev, cve, || self.inner.kev(cve))
    }

    fn epss(&self, cve: &str) -> Result<Option<EpssScore>, SourceError> {
        one(&self.memo.epss, cve, || self.inner.epss(cve))
    }

    fn vendor_severity(&self, id: &str) -> Result<Vec<VendorSeverity>, SourceError> {
        one(&self.memo.vendor, id, || self.inner.vendor_severity(id))
    }

    fn lookup_many(&self, ecosystem: &str, names: &[&str]) -> Result<Vec<Hit>, SourceError> {
        let all: Vec<&str> = names
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let lacking: Vec<&str> = {
            let m = lock(&self.memo.lookups);
            all.iter()
                .copied()
                .filter(|n| !m.contains_key(&(ecosystem.to_string(), n.to_string())))
                .collect()
        };
        let mut fresh: HashMap<(String, String), Vec<Hit>> = HashMap::default();
        if !lacking.is_empty() {
            let got = self.inner.lookup_many(ecosystem, &lacking)?;
            fresh = lacking
                .iter()
                .map(|n| ((ecosystem.to_string(), n.to_string()), Vec::new()))
                .collect();
            for h in got {
                fresh
                    .entry((ecosystem.to_string(), h.package.name.clone()))
                    .or_default()
                    .push(h);
            }
        }
        // The answer from the memo as it was and what was just read (keeping the fresh
        // ones may start the memo over).
        let out = {
            let m = lock(&self.memo.lookups);
            all.iter()
                .flat_map(|n| {
                    let k = (ecosystem.to_string(), n.to_string());
                    fresh
                        .get(&k)
                        .or_else(|| m.get(&k))
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        self.memo.keep_lookups(fresh);
        Ok(out)
    }

    fn advisory_facts(&self, ids: &[&str]) -> Result<Vec<AdvisoryFacts>, SourceError> {
        many_options(
            &self.memo.facts,
            ids,
            |f| f.id.as_str(),
            |k| self.inner.advisory_facts(k),
        )
    }

    fn advisory_vulnerabilities_many(
        &self,
        advisories: &[&str],
    ) -> Result<Vec<(String, String)>, SourceError> {
        many_lists(&self.memo.linked, advisories, |k| {
            self.inner.advisory_vulnerabilities_many(k)
        })
    }

    fn vulnerabilities(&self, ids: &[&str]) -> Result<Vec<(String, Vulnerability)>, SourceError> {
        let (all, lacking) = missing(&self.memo.vulnerability, ids);
        if !lacking.is_empty() {
            let got = self.inner.vulnerabilities(&lacking)?;
            let mut fresh: HashMap<String, Option<Vulnerability>> =
                lacking.iter().map(|k| (k.to_string(), None)).collect();
            for (k, v) in got {
                fresh.insert(k, Some(v));
            }
            lock(&self.memo.vulnerability).extend(fresh);
        }
        let m = lock(&self.memo.vulnerability);
        Ok(all
            .iter()
            .filter_map(|k| m.get(*k).cloned().flatten().map(|v| (k.to_string(), v)))
            .collect())
    }

    fn cvss_many(&self, ids: &[&str]) -> Result<Vec<(String, CvssScore)>, SourceError> {
        many_lists(&self.memo.cvss, ids, |k| self.inner.cvss_many(k))
    }

    fn vendor_severity_many(
        &self,
        ids: &[&str],
    ) -> Result<Vec<(String, VendorSeverity)>, SourceError> {
        many_lists(&self.memo.vendor, ids, |k| {
            self.inner.vendor_severity_many(k)
        })
    }

    fn kev_many(&self, cves: &[&str]) -> Result<Vec<KevEntry>, SourceError> {
        many_options(
            &self.memo.kev,
            cves,
            |k| k.cve_id.as_str(),
            |k| self.inner.kev_many(k),
        )
    }

    fn epss_many(&self, cves: &[&str]) -> Result<Vec<EpssScore>, SourceError> {
        many_options(
            &self.memo.epss,
            cves,
            |e| e.cve_id.as_str(),
            |k| self.inner.epss_many(k),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caulk_model::advisory::{Advisory, AffectedPackage, RecordSource};
    use caulk_model::source::MemSource;

    fn adv(id: &str, name: &str) -> Advisory {
        Advisory {
            id: id.into(),
            modified: "2026-01-01T00:00:00Z".into(),
            published: None,
            withdrawn: None,
            summary: None,
            aliases: vec![],
            upstream: vec![],
            related: vec![],
            severity: vec![],
            vendor_severity: vec![],
            affected: vec![AffectedPackage {
                ecosystem: "PyPI".into(),
                name: name.into(),
                purl: None,
                ranges: vec![],
                versions: vec!["1.0".into()],
                informational: None,
                cves: None,
            }],
            source: RecordSource {
                feed: "osv/PyPI".into(),
                file: format!("{id}.json"),
            },
        }
    }

    #[test]
    fn a_memo_past_its_limit_starts_over_and_answers_the_same() {
        let mut src = MemSource::new();
        for (i, n) in ["a", "b", "c"].iter().enumerate() {
            src.add(adv(&format!("PYSEC-{i}"), n));
        }
        let memo = SourceMemo::with_limit(2);
        let m = Memoized {
            memo: &memo,
            inner: &src,
        };
        for round in 0..3 {
            // `lookup_many` answers in any order (each hit names its package).
            let sorted = |mut v: Vec<Hit>| {
                v.sort_by(|a, b| {
                    (&a.package.name, &a.advisory).cmp(&(&b.package.name, &b.advisory))
                });
                v
            };
            let got = sorted(m.lookup_many("PyPI", &["c", "a", "b"]).unwrap());
            let want = sorted(src.lookup_many("PyPI", &["c", "a", "b"]).unwrap());
            assert_eq!(got.len(), 3);
            assert_eq!(got, want, "round {round}");
            assert_eq!(
                m.lookup("PyPI", "b").unwrap(),
                src.lookup("PyPI", "b").unwrap()
            );
            assert!(memo.lookups() <= 2, "{}", memo.lookups());
        }
    }
}
