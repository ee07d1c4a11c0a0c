//! What the host's apt `Packages` indexes offer for the installed packages: the candidates an
//! upgrade could come from. Collected by `caulk-inventory` (`apt`), cached by `caulk-app`,
//! consumed by the assessment's installability check (`caulk-assess`, `apt`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// One binary package of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptCandidate {
    pub package: String,
    pub version: String,
    pub source: String,
    pub source_version: String,
    pub arch: String,
    /// `bookworm-security/main`, or the index file name.
    pub origin: String,
}

/// The binaries of some `Packages` indexes, by package name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AptIndex {
    by_name: HashMap<String, Vec<AptCandidate>>,
    /// The origins read, in order.
    pub origins: Vec<String>,
}

impl AptIndex {
    pub fn new() -> AptIndex {
        AptIndex::default()
    }

    pub fn len(&self) -> usize {
        self.by_name.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Add a candidate after those of its package.
    pub fn push(&mut self, c: AptCandidate) {
        match self.by_name.get_mut(&c.package) {
            Some(v) => v.push(c),
            None => {
                self.by_name.insert(c.package.clone(), vec![c]);
            }
        }
    }

    /// The candidates of one package, in the order read.
    pub fn of(&self, package: &str) -> &[AptCandidate] {
        self.by_name.get(package).map_or(&[], Vec::as_slice)
    }

    /// Rebuild an index from what [`AptIndex::candidates`] and [`AptIndex::origins`] gave
    /// (a cache): the candidates of one package keep the order they come in.
    pub fn from_parts(
        candidates: impl IntoIterator<Item = AptCandidate>,
        origins: Vec<String>,
    ) -> AptIndex {
        let candidates = candidates.into_iter();
        let mut by_name = HashMap::with_capacity(candidates.size_hint().0);
        // Runs of one package (as `candidates` gives them) take one lookup.
        let mut run: Vec<AptCandidate> = Vec::new();
        for c in candidates {
            if run.last().is_some_and(|l| l.package != c.package) {
                Self::add_run(&mut by_name, std::mem::take(&mut run));
            }
            run.push(c);
        }
        Self::add_run(&mut by_name, run);
        AptIndex { by_name, origins }
    }

    fn add_run(by_name: &mut HashMap<String, Vec<AptCandidate>>, run: Vec<AptCandidate>) {
        let Some(first) = run.first() else {
            return;
        };
        match by_name.entry(first.package.clone()) {
            Entry::Vacant(e) => {
                e.insert(run);
            }
            Entry::Occupied(e) => e.into_mut().extend(run),
        }
    }

    /// Every candidate, by package name (sorted), each package's in the order read.
    pub fn candidates(&self) -> impl Iterator<Item = &AptCandidate> {
        let mut names: Vec<&String> = self.by_name.keys().collect();
        names.sort_unstable();
        names.into_iter().flat_map(|n| self.by_name[n].iter())
    }

    /// Merge `other` into this index (its candidates after ours; its origins appended).
    pub fn merge(&mut self, other: AptIndex) {
        for (name, cands) in other.by_name {
            self.by_name.entry(name).or_default().extend(cands);
        }
        self.origins.extend(other.origins);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(package: &str, version: &str, origin: &str) -> AptCandidate {
        AptCandidate {
            package: package.into(),
            version: version.into(),
            source: package.into(),
            source_version: version.into(),
            arch: "amd64".into(),
            origin: origin.into(),
        }
    }

    #[test]
    fn parts_rebuild_the_index_and_merge_keeps_the_order_read() {
        let mut a = AptIndex::new();
        a.push(cand("b", "1", "main"));
        a.push(cand("a", "1", "main"));
        a.push(cand("b", "2", "main"));
        a.origins.push("main".into());
        let mut sec = AptIndex::new();
        sec.push(cand("b", "3", "security"));
        sec.origins.push("security".into());
        a.merge(sec);
        assert_eq!(a.len(), 4);
        let versions: Vec<&str> = a.of("b").iter().map(|c| c.version.as_str()).collect();
        assert_eq!(versions, ["1", "2", "3"]);
        assert!(a.of("c").is_empty());
        let again = AptIndex::from_parts(a.candidates().cloned(), a.origins.clone());
        assert_eq!(again, a);
        let names: Vec<&str> = a.candidates().map(|c| c.package.as_str()).collect();
        assert_eq!(names, ["a", "b", "b", "b"]);
    }
}
