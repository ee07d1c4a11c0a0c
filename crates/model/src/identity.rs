//! Vulnerability identity: which ids name the same vulnerability.
//!
//! Rules (OSV schema §aliases/upstream/related):
//! * `aliases` is identity: the record and each alias are the same vulnerability. Union.
//! * `upstream` means "derived from". A record with exactly **one** upstream id (an
//!   `ALPINE-CVE-…` re-publishing one CVE, a DSA fixing one CVE) is a re-publication of that
//!   vulnerability: union. A record with several upstream ids (a DSA or ALSA erratum fixing
//!   many CVEs) is an *advisory* for several vulnerabilities: it is linked to each of them
//!   ([`Identity::advisory_vulns`]) but never unioned, or its CVEs would collapse into one.
//! * `related` is not identity (a different vulnerability, a sibling bug): never unioned.
//! * A distro's record *named after* a CVE (`UBUNTU-CVE-2023-4911`, `DEBIAN-CVE-…`) is that
//!   CVE, even when its record names the CVE only in `related` (Ubuntu's older layout) or
//!   nowhere: union with the CVE of its name. So is such an id named in another record's
//!   `aliases` or `upstream` (a USN's `upstream` lists `UBUNTU-CVE-…` ids) when no record of
//!   that name is in the database.
//!
//! Union-find over ids with path compression; the display id of a group is its lowest CVE id
//! (ids compare as strings), else its lowest id, so the result is deterministic whatever the
//! input order. Pure: no I/O.

use crate::advisory::Vulnerability;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The id-relevant part of one record.
#[derive(Debug, Clone)]
pub struct Links<'a> {
    pub id: &'a str,
    pub aliases: &'a [String],
    pub upstream: &'a [String],
}

#[derive(Debug, Default)]
struct Uf {
    index: HashMap<String, usize>,
    names: Vec<String>,
    parent: Vec<usize>,
}

impl Uf {
    /// [`Uf::add`], and the CVE an id is named after ([`named_cve`]) is the same.
    fn add_named(&mut self, id: &str) -> usize {
        let me = self.add(id);
        if let Some(cve) = named_cve(id) {
            let j = self.add(cve);
            self.union(me, j);
        }
        me
    }

    fn add(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.names.len();
        self.names.push(id.to_string());
        self.parent.push(i);
        self.index.insert(id.to_string(), i);
        i
    }
    fn find(&mut self, mut i: usize) -> usize {
        let mut root = i;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        while self.parent[i] != root {
            let next = self.parent[i];
            self.parent[i] = root;
            i = next;
        }
        root
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // Attach the larger index under the smaller: deterministic, and shallow enough
            // with path compression.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}

/// The merged identities.
#[derive(Debug, Default)]
pub struct Identity {
    /// id → display id of its vulnerability.
    pub vuln_of: BTreeMap<String, String>,
    /// display id → every id of the group, sorted.
    pub vulns: BTreeMap<String, Vulnerability>,
    /// advisory id → display ids of the vulnerabilities it covers (its own group and, for a
    /// multi-upstream advisory, each upstream's group), sorted.
    pub advisory_vulns: BTreeMap<String, BTreeSet<String>>,
}

/// The CVE a distro record is named after (`UBUNTU-CVE-2023-4911` → `CVE-2023-4911`).
pub fn named_cve(id: &str) -> Option<&str> {
    let cve = ["UBUNTU-", "DEBIAN-"]
        .iter()
        .find_map(|p| id.strip_prefix(p))?;
    let rest = cve.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    (year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit()))
    .then_some(cve)
}

fn display_key(id: &str) -> (bool, &str) {
    (!id.starts_with("CVE-"), id)
}

/// A record's upstream ids that say something: not empty, not the record itself, each once
/// (a record listing one CVE twice is still a re-publication of that one CVE, and an empty
/// id would otherwise join every record that has one into one vulnerability).
fn upstream_of<'a>(r: &Links<'a>) -> Vec<&'a str> {
    let mut ups: Vec<&'a str> = r
        .upstream
        .iter()
        .map(String::as_str)
        .filter(|u| !u.is_empty() && *u != r.id)
        .collect();
    ups.sort_unstable();
    ups.dedup();
    ups
}

/// Merge the ids of `records`.
pub fn merge<'a>(records: impl IntoIterator<Item = Links<'a>>) -> Identity {
    let mut uf = Uf::default();
    let records: Vec<Links<'a>> = records.into_iter().collect();
    for r in &records {
        let me = uf.add_named(r.id);
        for a in r.aliases.iter().filter(|a| !a.is_empty()) {
            let j = uf.add_named(a);
            uf.union(me, j);
        }
        let ups = upstream_of(r);
        if let [only] = ups.as_slice() {
            let j = uf.add_named(only);
            uf.union(me, j);
        } else {
            for u in ups {
                uf.add_named(u);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for i in 0..uf.names.len() {
        let root = uf.find(i);
        groups.entry(root).or_default().push(uf.names[i].clone());
    }
    let mut out = Identity::default();
    for (_, mut ids) in groups {
        ids.sort();
        ids.dedup();
        let display = ids
            .iter()
            .min_by(|a, b| display_key(a).cmp(&display_key(b)))
            .cloned()
            .unwrap_or_default();
        for id in &ids {
            out.vuln_of.insert(id.clone(), display.clone());
        }
        out.vulns
            .insert(display.clone(), Vulnerability { id: display, ids });
    }
    for r in &records {
        let mut set = BTreeSet::new();
        if let Some(v) = out.vuln_of.get(r.id) {
            set.insert(v.clone());
        }
        let ups = upstream_of(r);
        if ups.len() > 1 {
            for u in ups {
                if let Some(v) = out.vuln_of.get(u) {
                    set.insert(v.clone());
                }
            }
        }
        out.advisory_vulns
            .entry(r.id.to_string())
            .or_default()
            .extend(set);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn empty_and_repeated_upstream_ids_say_nothing() {
        let empty = s(&[""]);
        let twice = s(&["CVE-2024-7", "CVE-2024-7", ""]);
        let none: Vec<String> = vec![];
        let id = merge([
            Links {
                id: "A-1",
                aliases: &none,
                upstream: &empty,
            },
            Links {
                id: "B-1",
                aliases: &none,
                upstream: &empty,
            },
            Links {
                id: "C-1",
                aliases: &none,
                upstream: &twice,
            },
        ]);
        // Two records with an empty upstream id are not one vulnerability.
        assert_ne!(id.vuln_of["A-1"], id.vuln_of["B-1"]);
        assert!(!id.vuln_of.contains_key(""));
        // One CVE listed twice is still one upstream: a re-publication of it.
        assert_eq!(id.vuln_of["C-1"], "CVE-2024-7");
    }

    #[test]
    fn aliases_merge_transitively_and_related_does_not() {
        let ghsa_aliases = s(&["CVE-2023-1", "PYSEC-2023-9"]);
        let pysec_aliases = s(&["GHSA-aaaa"]);
        let deb_aliases = s(&["CVE-2023-1"]);
        let none: Vec<String> = vec![];
        let id = merge([
            Links {
                id: "GHSA-aaaa",
                aliases: &ghsa_aliases,
                upstream: &none,
            },
            Links {
                id: "PYSEC-2023-9",
                aliases: &pysec_aliases,
                upstream: &none,
            },
            Links {
                id: "x_DEBCHG-CVE-2023-1",
                aliases: &deb_aliases,
                upstream: &none,
            },
            Links {
                id: "OTHER-1",
                aliases: &none,
                upstream: &none,
            },
        ]);
        let v = &id.vulns["CVE-2023-1"];
        assert_eq!(
            v.ids,
            [
                "CVE-2023-1",
                "GHSA-aaaa",
                "PYSEC-2023-9",
                "x_DEBCHG-CVE-2023-1"
            ]
        );
        assert_eq!(id.vuln_of["OTHER-1"], "OTHER-1");
    }

    #[test]
    fn multi_upstream_advisory_links_but_does_not_collapse() {
        let up = s(&["CVE-2023-1", "CVE-2023-2"]);
        let single = s(&["CVE-2023-2"]);
        let none: Vec<String> = vec![];
        let id = merge([
            Links {
                id: "DSA-5380-1",
                aliases: &none,
                upstream: &up,
            },
            Links {
                id: "ALPINE-CVE-2023-2",
                aliases: &none,
                upstream: &single,
            },
        ]);
        assert_ne!(
            id.vuln_of["CVE-2023-1"], id.vuln_of["CVE-2023-2"],
            "CVEs stay apart"
        );
        assert_eq!(id.vuln_of["ALPINE-CVE-2023-2"], "CVE-2023-2");
        assert_eq!(id.vuln_of["DSA-5380-1"], "DSA-5380-1");
        assert_eq!(
            id.advisory_vulns["DSA-5380-1"].iter().collect::<Vec<_>>(),
            ["CVE-2023-1", "CVE-2023-2", "DSA-5380-1"]
        );
    }

    #[test]
    fn a_record_named_after_a_cve_is_that_cve() {
        let none: Vec<String> = vec![];
        let id = merge([Links {
            id: "UBUNTU-CVE-2023-4911",
            aliases: &none,
            upstream: &none,
        }]);
        assert_eq!(id.vuln_of["UBUNTU-CVE-2023-4911"], "CVE-2023-4911");
        assert_eq!(named_cve("DEBIAN-CVE-2024-12345"), Some("CVE-2024-12345"));
        for not in [
            "UBUNTU-CVE-23-1",
            "USN-6409-1",
            "UBUNTU-CVE-2023-4911x",
            "ALSA-2024:1",
        ] {
            assert_eq!(named_cve(not), None, "{not}");
        }
    }

    /// A USN names `UBUNTU-CVE-…` ids in `upstream`; without those records in the database
    /// each must still be its CVE, or the notice's findings carry `UBUNTU-CVE-…` display ids
    /// and miss the CVE's NVD score, KEV and EPSS.
    #[test]
    fn a_named_id_in_upstream_is_its_cve_without_its_own_record() {
        let up = s(&["UBUNTU-CVE-2022-4304", "UBUNTU-CVE-2023-0286"]);
        let none: Vec<String> = vec![];
        let id = merge([Links {
            id: "USN-5844-1",
            aliases: &none,
            upstream: &up,
        }]);
        assert_eq!(id.vuln_of["UBUNTU-CVE-2022-4304"], "CVE-2022-4304");
        assert_eq!(
            id.advisory_vulns["USN-5844-1"].iter().collect::<Vec<_>>(),
            ["CVE-2022-4304", "CVE-2023-0286", "USN-5844-1"]
        );
    }

    #[test]
    fn order_does_not_change_the_result() {
        let a1 = s(&["CVE-1", "GHSA-1"]);
        let a2 = s(&["GHSA-1"]);
        let none: Vec<String> = vec![];
        let r1 = [
            Links {
                id: "PYSEC-1",
                aliases: &a1,
                upstream: &none,
            },
            Links {
                id: "OSV-1",
                aliases: &a2,
                upstream: &none,
            },
        ];
        let mut r2 = r1.clone();
        r2.reverse();
        let (x, y) = (merge(r1), merge(r2));
        assert_eq!(x.vuln_of, y.vuln_of);
        assert_eq!(x.vuln_of["OSV-1"], "CVE-1");
    }
}
