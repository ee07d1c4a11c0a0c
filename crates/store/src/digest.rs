//! Pure parts of storing an inventory and the audit chain: package keys, the inventory hash,
//! the diff between two inventories, the audit entry hash. No SQL here.

use std::collections::{BTreeMap, HashMap, HashSet};

use caulk_model::inventory::{Collector, InstallState, Inventory, Package};
use sha2::{Digest, Sha256};

use crate::{Error, PackageId, Result};

fn put(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

fn put_opt(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put(h, s);
        }
    }
}

pub(crate) fn state_str(s: InstallState) -> &'static str {
    match s {
        InstallState::Installed => "installed",
        InstallState::Declared => "declared",
    }
}

pub(crate) fn state_parse(s: &str) -> Result<InstallState> {
    Ok(match s {
        "installed" => InstallState::Installed,
        "declared" => InstallState::Declared,
        _ => return Err(Error::Corrupt(format!("package state {s:?}"))),
    })
}

pub(crate) fn collector_str(c: Collector) -> &'static str {
    match c {
        Collector::Dpkg => "dpkg",
        Collector::Rpm => "rpm",
        Collector::Apk => "apk",
        Collector::Lockfile => "lockfile",
        Collector::Sbom => "sbom",
        Collector::Python => "python",
        Collector::Npm => "npm",
        Collector::Gem => "gem",
        Collector::GoBinary => "go-binary",
        Collector::RustBinary => "rust-binary",
        Collector::Jar => "jar",
    }
}

pub(crate) fn collector_parse(s: &str) -> Result<Collector> {
    Ok(match s {
        "dpkg" => Collector::Dpkg,
        "rpm" => Collector::Rpm,
        "apk" => Collector::Apk,
        "lockfile" => Collector::Lockfile,
        "sbom" => Collector::Sbom,
        "python" => Collector::Python,
        "npm" => Collector::Npm,
        "gem" => Collector::Gem,
        "go-binary" => Collector::GoBinary,
        "rust-binary" => Collector::RustBinary,
        "jar" => Collector::Jar,
        _ => return Err(Error::Corrupt(format!("package collector {s:?}"))),
    })
}

/// The key of a distinct package row: SHA-256 of every field, length-prefixed (two packages
/// share a row only when they are equal in every field).
pub fn package_key(p: &Package) -> [u8; 32] {
    let mut h = Sha256::new();
    put_package(&mut h, p);
    h.finalize().into()
}

/// An inventory ready to store: its distinct packages in canonical order, the facts and
/// issues as JSON, and the hash of it all. The package keys are computed only when the
/// inventory changed ([`Prepared::keyed`]): an unchanged check-in hashes the inventory in one
/// stream instead of 700 small SHA-256 computations.
pub(crate) struct Prepared<'a> {
    pub packages: Vec<&'a Package>,
    pub facts: String,
    pub issues: String,
    pub hash: [u8; 32],
}

impl<'a> Prepared<'a> {
    /// The distinct packages with their row keys, sorted by key (the order rows are
    /// inserted in, so that concurrent writers lock index entries in one order).
    pub(crate) fn keyed(&self) -> Vec<([u8; 32], &'a Package)> {
        let mut v: Vec<([u8; 32], &Package)> =
            self.packages.iter().map(|p| (package_key(p), *p)).collect();
        v.sort_unstable_by_key(|a| a.0);
        v
    }
}

/// Every field, for the canonical order (ties on `sort_key` broken by the rest).
#[allow(clippy::type_complexity)]
fn full_key(
    p: &Package,
) -> (
    (&str, &str, &str, &str, &str),
    (Option<&str>, Option<&str>, Option<&str>, Option<&str>),
    (Option<&str>, Option<&str>, InstallState, Collector),
) {
    (
        p.sort_key(),
        (
            p.source_name.as_deref(),
            p.source_version.as_deref(),
            p.purl.as_deref(),
            p.vendor.as_deref(),
        ),
        (
            p.arch.as_deref(),
            p.owned_by.as_deref(),
            p.state,
            p.collector,
        ),
    )
}

fn put_package(h: &mut Sha256, p: &Package) {
    put(h, &p.ecosystem);
    put(h, &p.name);
    put(h, &p.version);
    put_opt(h, p.arch.as_deref());
    put_opt(h, p.source_name.as_deref());
    put_opt(h, p.source_version.as_deref());
    put_opt(h, p.purl.as_deref());
    put_opt(h, p.vendor.as_deref());
    put(h, &p.file);
    put_opt(h, p.owned_by.as_deref());
    put(h, state_str(p.state));
    put(h, collector_str(p.collector));
}

pub(crate) fn prepare(inv: &Inventory) -> Result<Prepared<'_>> {
    let mut packages: Vec<&Package> = inv.packages.iter().collect();
    // Usually sorted already (collectors normalise): the sort is then one pass.
    packages.sort_by(|a, b| full_key(a).cmp(&full_key(b)));
    packages.dedup_by(|a, b| a == b);
    // Facts and issues in canonical order, so that an equal inventory hashes equal.
    let mut host = inv.host.clone();
    host.kernel.installed.sort();
    host.kernel.installed.dedup();
    let mut issues = inv.issues.clone();
    issues.sort();
    issues.dedup();
    let facts = serde_json::to_string(&host).map_err(|e| Error::Corrupt(e.to_string()))?;
    let issues = serde_json::to_string(&issues).map_err(|e| Error::Corrupt(e.to_string()))?;
    let mut h = Sha256::new();
    h.update(b"caulk-inventory-v1\0");
    put(&mut h, &facts);
    put(&mut h, &issues);
    h.update((packages.len() as u64).to_be_bytes());
    for p in &packages {
        put_package(&mut h, p);
    }
    Ok(Prepared {
        packages,
        facts,
        issues,
        hash: h.finalize().into(),
    })
}

/// What identifies "the same package" across versions: ecosystem, name, arch, file.
pub(crate) type Identity = (String, String, Option<String>, String);

pub(crate) fn identity(p: &Package) -> Identity {
    (
        p.ecosystem.clone(),
        p.name.clone(),
        p.arch.clone(),
        p.file.clone(),
    )
}

/// The diff between the stored links (`old`: id → identity) and the new package ids
/// (`new`: id → identity): (added, removed, changed as (old, new)). A package whose identity
/// appears once on each side in different rows is *changed*; anything else is added or
/// removed. Sorted by id.
pub(crate) fn diff(
    old: &HashMap<PackageId, Identity>,
    new: &HashMap<PackageId, Identity>,
) -> (Vec<PackageId>, Vec<PackageId>, Vec<(PackageId, PackageId)>) {
    let removed: Vec<PackageId> = old
        .keys()
        .filter(|id| !new.contains_key(id))
        .copied()
        .collect();
    let added: Vec<PackageId> = new
        .keys()
        .filter(|id| !old.contains_key(id))
        .copied()
        .collect();
    let mut by_ident: BTreeMap<&Identity, (Vec<PackageId>, Vec<PackageId>)> = BTreeMap::new();
    for id in &removed {
        by_ident.entry(&old[id]).or_default().0.push(*id);
    }
    for id in &added {
        by_ident.entry(&new[id]).or_default().1.push(*id);
    }
    let mut changed = Vec::new();
    let mut paired: HashSet<PackageId> = HashSet::new();
    for (r, a) in by_ident.values() {
        if let ([r], [a]) = (r.as_slice(), a.as_slice()) {
            changed.push((*r, *a));
            paired.insert(*r);
            paired.insert(*a);
        }
    }
    let mut added: Vec<PackageId> = added.into_iter().filter(|i| !paired.contains(i)).collect();
    let mut removed: Vec<PackageId> = removed
        .into_iter()
        .filter(|i| !paired.contains(i))
        .collect();
    added.sort();
    removed.sort();
    changed.sort();
    (added, removed, changed)
}

/// The hash of an audit entry, chained to its predecessor's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_hash(
    prev: &[u8; 32],
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    address: Option<&str>,
    detail: &str,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"caulk-audit-v1\0");
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    put(&mut h, actor);
    put(&mut h, action);
    put(&mut h, target);
    put_opt(&mut h, address);
    put(&mut h, detail);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(n: &str) -> Identity {
        (
            "Debian:12".into(),
            n.into(),
            Some("amd64".into()),
            "status".into(),
        )
    }

    /// The stored names are the inventory JSON's names (the model's serde), one per variant.
    #[test]
    fn stored_names_are_the_json_names() {
        for name in [
            "dpkg",
            "rpm",
            "apk",
            "lockfile",
            "sbom",
            "python",
            "npm",
            "gem",
            "go-binary",
            "rust-binary",
            "jar",
        ] {
            let c = collector_parse(name).expect(name);
            assert_eq!(serde_json::to_value(c).expect("json"), name);
            assert_eq!(collector_str(c), name);
        }
        for name in ["installed", "declared"] {
            let s = state_parse(name).expect(name);
            assert_eq!(serde_json::to_value(s).expect("json"), name);
            assert_eq!(state_str(s), name);
        }
    }

    #[test]
    fn a_version_change_is_one_changed_entry() {
        let old = HashMap::from([(PackageId(1), ident("a")), (PackageId(2), ident("b"))]);
        let new = HashMap::from([
            (PackageId(1), ident("a")),
            (PackageId(3), ident("b")),
            (PackageId(4), ident("c")),
        ]);
        let (a, r, c) = diff(&old, &new);
        assert_eq!(a, vec![PackageId(4)]);
        assert!(r.is_empty());
        assert_eq!(c, vec![(PackageId(2), PackageId(3))]);
    }

    #[test]
    fn ambiguous_identities_are_added_and_removed() {
        let old = HashMap::from([(PackageId(1), ident("a")), (PackageId(2), ident("a"))]);
        let new = HashMap::from([(PackageId(3), ident("a"))]);
        let (a, r, c) = diff(&old, &new);
        assert_eq!(
            (a, r, c),
            (vec![PackageId(3)], vec![PackageId(1), PackageId(2)], vec![])
        );
    }

    #[test]
    fn package_order_does_not_change_the_hash() {
        let p = |n: &str| Package {
            ecosystem: "Debian:12".into(),
            name: n.into(),
            version: "1".into(),
            arch: None,
            source_name: None,
            source_version: None,
            purl: None,
            vendor: None,
            file: "f".into(),
            owned_by: None,
            state: InstallState::Installed,
            collector: Collector::Dpkg,
        };
        let a = Inventory {
            packages: vec![p("x"), p("y")],
            ..Default::default()
        };
        let b = Inventory {
            packages: vec![p("y"), p("x"), p("y")],
            ..Default::default()
        };
        assert_eq!(prepare(&a).expect("a").hash, prepare(&b).expect("b").hash);
        let c = Inventory {
            packages: vec![p("x")],
            ..Default::default()
        };
        assert_ne!(prepare(&a).expect("a").hash, prepare(&c).expect("c").hash);
    }
}
