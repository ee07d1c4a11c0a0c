//! The simulated fleet: inventories of virtual hosts, deterministic variations (by seed) of
//! the real inventories in `../shared/data`.
//!
//! Each host starts from one of a few real package databases — the Debian 12 host snapshot,
//! Debian 10, Ubuntu 18.04 (two), Alpine 3.16 and 3.4, Red Hat UBI 8 — read by caulk's own
//! collectors (`caulk_inventory::inventory_host` over an in-memory root holding the database
//! and an os-release), then:
//! - *patch level*: the host belongs to one of [`COHORTS`] cohorts per template; in each
//!   cohort about 6 % of the packages that have another real version in the data (the
//!   Debian 12 apt lists' bookworm, -security and -updates candidates; the sibling files of
//!   the same release) are at that version — so hosts share most package rows, as a real
//!   fleet does;
//! - one host in four has one more package at another version of its own;
//! - 0–3 packages removed and 0–3 added (real packages of the same release the template
//!   lacks).
//!
//! Red Hat's UBI 8 data is claircore's RPM manifest JSON, which no collector reads (a
//! container registry's format, not a host's database): its packages are built here, labelled
//! by the same os-release → ecosystem rule (`caulk_inventory::Distro::for_scheme`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use caulk_inventory::{Distro, Limits};
use caulk_inventory::{FsHost, MemHost};
use caulk_model::inventory::{Collector, InstallState, Inventory, Package};
use caulk_version::Scheme;

/// Patch levels per template.
pub const COHORTS: u64 = 8;

/// What loading the data failed on.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DataError {
    pub path: PathBuf,
    pub message: String,
}

/// Another real version a package may be at.
#[derive(Debug, Clone)]
struct Alt {
    version: String,
    source_version: String,
}

#[derive(Debug)]
struct Template {
    name: &'static str,
    weight: u64,
    base: Inventory,
    /// Per base package, the other versions seen in the data.
    alts: Vec<Vec<Alt>>,
    /// Packages of the same release the base lacks.
    extras: Vec<Package>,
}

/// The templates and how hosts vary from them; [`Fleet::host`] is host `i` of a seed.
#[derive(Debug)]
pub struct Fleet {
    templates: Vec<Template>,
    total_weight: u64,
}

/// One virtual host.
#[derive(Debug, Clone)]
pub struct SimHost {
    pub hostname: String,
    pub machine_id: String,
    pub template: &'static str,
    pub inventory: Inventory,
}

/// SplitMix64's finaliser: a good 64-bit mix, the same on every platform and release.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn h(parts: &[u64]) -> u64 {
    parts.iter().fold(0x5eed, |acc, p| mix(acc ^ mix(*p)))
}

fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|e| DataError {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Inventory of an in-memory root: `files` are (root path, contents).
fn collect(files: Vec<(&str, Vec<u8>)>) -> Inventory {
    let mut host = MemHost::new();
    for (p, c) in files {
        host = host.with(p, c);
    }
    caulk_inventory::inventory_host(&host, &Limits::default())
}

fn os_release(id: &str, version_id: &str, pretty: &str) -> Vec<u8> {
    format!("ID={id}\nVERSION_ID=\"{version_id}\"\nPRETTY_NAME=\"{pretty}\"\nNAME=\"{pretty}\"\n")
        .into_bytes()
}

/// The purl of `p` with another name, version and arch (the rest as the collector made it).
fn repurl(purl: Option<&str>, name: &str, version: &str, arch: Option<&str>) -> Option<String> {
    let p = caulk_model::purl::parse(purl?)?;
    let quals: Vec<(&str, &str)> = p
        .qualifiers
        .iter()
        .map(|(k, v)| match (k.as_str(), arch) {
            ("arch", Some(a)) => (k.as_str(), a),
            _ => (k.as_str(), v.as_str()),
        })
        .collect();
    Some(caulk_model::purl::build(
        &p.ty,
        p.namespace.as_deref(),
        name,
        Some(version),
        &quals,
    ))
}

fn shift(p: &mut Package, alt: &Alt) {
    p.purl = repurl(p.purl.as_deref(), &p.name, &alt.version, p.arch.as_deref());
    p.version = alt.version.clone();
    p.source_version = Some(alt.source_version.clone());
}

/// The other versions of each package of `base` among `others` (same name and arch).
fn alts_from(base: &Inventory, others: &[&Inventory]) -> Vec<Vec<Alt>> {
    let mut seen: HashMap<(&str, Option<&str>), BTreeMap<&str, &str>> = HashMap::new();
    for inv in others {
        for p in &inv.packages {
            seen.entry((&p.name, p.arch.as_deref()))
                .or_default()
                .insert(
                    &p.version,
                    p.source_version.as_deref().unwrap_or(&p.version),
                );
        }
    }
    base.packages
        .iter()
        .map(|p| {
            seen.get(&(p.name.as_str(), p.arch.as_deref()))
                .into_iter()
                .flatten()
                .filter(|(v, _)| **v != p.version)
                .map(|(v, s)| Alt {
                    version: v.to_string(),
                    source_version: s.to_string(),
                })
                .collect()
        })
        .collect()
}

/// Packages of `others` whose name `base` lacks, relabelled as `base`'s (ecosystem, purl).
fn extras_from(base: &Inventory, others: &[&Inventory]) -> Vec<Package> {
    let have: BTreeSet<&str> = base.packages.iter().map(|p| p.name.as_str()).collect();
    let Some(like) = base.packages.first() else {
        return Vec::new();
    };
    let mut out: BTreeMap<&str, Package> = BTreeMap::new();
    for inv in others {
        for p in &inv.packages {
            if have.contains(p.name.as_str()) || out.contains_key(p.name.as_str()) {
                continue;
            }
            let mut q = p.clone();
            q.ecosystem = like.ecosystem.clone();
            q.file = like.file.clone();
            q.purl = repurl(like.purl.as_deref(), &p.name, &p.version, p.arch.as_deref());
            out.insert(&p.name, q);
        }
    }
    out.into_values().collect()
}

/// Debian 12: the other versions the bookworm apt lists give for each installed package,
/// and the packages of the other dpkg inventories that bookworm has, at bookworm's version.
fn debian12(base: &Inventory, data: &Path, others: &[&Inventory]) -> (Vec<Vec<Alt>>, Vec<Package>) {
    let dir = data.join("debian");
    let host = FsHost::new(&dir);
    let names = caulk_inventory::apt::list_names(&host, "apt-lists")
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut wanted: BTreeSet<String> = base.packages.iter().map(|p| p.name.clone()).collect();
    let installed = wanted.clone();
    for inv in others {
        wanted.extend(inv.packages.iter().map(|p| p.name.clone()));
    }
    let lists =
        caulk_inventory::apt::read_lists(&host, "apt-lists", &names, &|n| wanted.contains(n));
    let alts = base
        .packages
        .iter()
        .map(|p| {
            let mut v: Vec<Alt> = Vec::new();
            for c in lists.index.of(&p.name) {
                let arch_ok = p.arch.as_deref().is_none_or(|a| a == c.arch);
                if arch_ok && c.version != p.version && !v.iter().any(|a| a.version == c.version) {
                    v.push(Alt {
                        version: c.version.clone(),
                        source_version: c.source_version.clone(),
                    });
                }
            }
            v
        })
        .collect();
    let mut extras = Vec::new();
    if let Some(like) = base.packages.first() {
        for name in wanted.difference(&installed) {
            if let Some(c) = lists.index.of(name).first() {
                let mut q = like.clone();
                q.name = c.package.clone();
                q.version = c.version.clone();
                q.arch = Some(c.arch.clone());
                q.source_name = Some(c.source.clone());
                q.source_version = Some(c.source_version.clone());
                q.purl = repurl(like.purl.as_deref(), &c.package, &c.version, Some(&c.arch));
                q.state = InstallState::Installed;
                extras.push(q);
            }
        }
    }
    (alts, extras)
}

#[derive(serde::Deserialize)]
struct RpmManifest {
    rpms: Vec<RpmEntry>,
}

#[derive(serde::Deserialize)]
struct RpmEntry {
    name: String,
    architecture: String,
    release: String,
    /// `NAME-VERSION-RELEASE.ARCH`: spelled `nerva` in some of claircore's files.
    #[serde(alias = "nerva")]
    nvra: String,
    #[serde(default)]
    version: Option<String>,
    srpm_name: String,
    srpm_nevra: String,
}

/// claircore's RPM manifest of a UBI 8 image as packages, labelled by `os`'s distro.
fn rpm_manifest(path: &Path, os: &Inventory) -> Result<Inventory, DataError> {
    let m: RpmManifest = serde_json::from_slice(&read(path)?).map_err(|e| DataError {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let distro = Distro::for_scheme(os.host.os.as_ref(), Scheme::Rpm, "Red Hat");
    let mut inv = os.clone();
    for r in m.rpms {
        // `NAME-VERSION-RELEASE.ARCH`: the version is what lies between.
        let Some(version) = r.version.clone().or_else(|| {
            r.nvra
                .strip_prefix(&format!("{}-", r.name))
                .and_then(|s| s.strip_suffix(&format!("-{}.{}", r.release, r.architecture)))
                .map(str::to_string)
        }) else {
            continue;
        };
        let evr = format!("{version}-{}", r.release);
        let source_version = r
            .srpm_nevra
            .strip_prefix(&format!("{}-", r.srpm_name))
            .and_then(|s| s.strip_suffix(".src"))
            .map(|s| s.strip_prefix("0:").unwrap_or(s))
            .unwrap_or(&evr)
            .to_string();
        let mut quals = vec![("arch", r.architecture.as_str())];
        if let Some(d) = &distro.distro {
            quals.push(("distro", d.as_str()));
        }
        inv.packages.push(Package {
            ecosystem: distro.ecosystem.clone(),
            purl: Some(caulk_model::purl::build(
                "rpm",
                Some(&distro.namespace),
                &r.name,
                Some(&evr),
                &quals,
            )),
            name: r.name,
            version: evr,
            arch: Some(r.architecture),
            source_name: Some(r.srpm_name),
            source_version: Some(source_version),
            vendor: None,
            file: "var/lib/rpm/rpmdb.sqlite".into(),
            owned_by: None,
            state: InstallState::Installed,
            collector: Collector::Rpm,
        });
    }
    inv.normalize();
    Ok(inv)
}

impl Fleet {
    /// Read the templates from `data` (the `../shared/data` directory).
    pub fn load(data: &Path) -> Result<Fleet, DataError> {
        let inv = data.join("inventories");
        let bookworm = data.join("debian/bookworm-host");
        let dpkg = "var/lib/dpkg/status";
        let apk = "lib/apk/db/installed";
        let deb12 = collect(vec![
            ("etc/os-release", read(&bookworm.join("os-release"))?),
            (dpkg, read(&bookworm.join("dpkg-status"))?),
        ]);
        let deb10 = collect(vec![
            (
                "etc/os-release",
                os_release("debian", "10", "Debian GNU/Linux 10 (buster)"),
            ),
            (
                dpkg,
                read(&inv.join("debian-10/claircore-postgresql.dpkg-status"))?,
            ),
        ]);
        let ubuntu_os = os_release("ubuntu", "18.04", "Ubuntu 18.04.6 LTS");
        let ubu = collect(vec![
            ("etc/os-release", ubuntu_os.clone()),
            (
                dpkg,
                read(&inv.join("ubuntu-18.04/trivy-valid.dpkg-status"))?,
            ),
        ]);
        let ubu_tex = collect(vec![
            ("etc/os-release", ubuntu_os),
            (
                dpkg,
                read(&inv.join("ubuntu-18.04/claircore-texlive.dpkg-status"))?,
            ),
        ]);
        let alpine316 = collect(vec![
            (
                "etc/os-release",
                os_release("alpine", "3.16.2", "Alpine Linux v3.16"),
            ),
            (
                apk,
                read(&inv.join("alpine-3.16/syft-multiple-2-apk-installed"))?,
            ),
        ]);
        let alpine34 = collect(vec![
            (
                "etc/os-release",
                os_release("alpine", "3.4.6", "Alpine Linux v3.4"),
            ),
            (apk, read(&inv.join("alpine-3.4/trivy-apk-installed"))?),
        ]);
        let rhel_os = collect(vec![(
            "etc/os-release",
            os_release("rhel", "8.0", "Red Hat Enterprise Linux 8.0 (Ootpa)"),
        )]);
        let mut ubi = Vec::new();
        let dir = inv.join("rhel-8-ubi8");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| DataError {
                path: dir.clone(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".rpm-manifest.json"))
            .collect();
        files.sort();
        for f in &files {
            ubi.push(rpm_manifest(f, &rhel_os)?);
        }

        let mut templates = Vec::new();
        let (alts, extras) = debian12(&deb12, data, &[&deb10, &ubu, &ubu_tex]);
        templates.push(Template {
            name: "debian-12",
            weight: 55,
            alts,
            extras,
            base: deb12,
        });
        templates.push(Template {
            name: "debian-10",
            weight: 5,
            alts: alts_from(&deb10, &[]),
            extras: Vec::new(),
            base: deb10,
        });
        templates.push(Template {
            name: "ubuntu-18.04",
            weight: 12,
            alts: alts_from(&ubu, &[&ubu_tex]),
            extras: extras_from(&ubu, &[&ubu_tex]),
            base: ubu.clone(),
        });
        templates.push(Template {
            name: "ubuntu-18.04-texlive",
            weight: 4,
            alts: alts_from(&ubu_tex, &[&ubu]),
            extras: extras_from(&ubu_tex, &[&ubu]),
            base: ubu_tex,
        });
        templates.push(Template {
            name: "alpine-3.16",
            weight: 10,
            alts: alts_from(&alpine316, &[]),
            extras: Vec::new(),
            base: alpine316,
        });
        templates.push(Template {
            name: "alpine-3.4",
            weight: 2,
            alts: alts_from(&alpine34, &[]),
            extras: Vec::new(),
            base: alpine34,
        });
        if let Some((first, rest)) = ubi.split_first() {
            let rest: Vec<&Inventory> = rest.iter().collect();
            templates.push(Template {
                name: "rhel-8",
                weight: 12,
                alts: alts_from(first, &rest),
                extras: extras_from(first, &rest),
                base: first.clone(),
            });
        }
        for t in &templates {
            if t.base.packages.is_empty() {
                return Err(DataError {
                    path: data.to_path_buf(),
                    message: format!("template {} has no package", t.name),
                });
            }
        }
        let total_weight = templates.iter().map(|t| t.weight).sum();
        Ok(Fleet {
            templates,
            total_weight,
        })
    }

    /// The templates: name, packages, packages with another version, extra packages.
    pub fn describe(&self) -> Vec<(&'static str, usize, usize, usize)> {
        self.templates
            .iter()
            .map(|t| {
                (
                    t.name,
                    t.base.packages.len(),
                    t.alts.iter().filter(|a| !a.is_empty()).count(),
                    t.extras.len(),
                )
            })
            .collect()
    }

    fn template(&self, seed: u64, i: u64) -> (usize, &Template) {
        let mut pick = h(&[seed, i, 1]) % self.total_weight;
        self.templates
            .iter()
            .enumerate()
            .find(|(_, t)| {
                if pick < t.weight {
                    true
                } else {
                    pick -= t.weight;
                    false
                }
            })
            .unwrap_or((0, &self.templates[0]))
    }

    /// Host `i`'s template, hostname and machine id: what [`Fleet::host`] gives, without
    /// building its inventory (what enrolment needs).
    pub fn identity(&self, seed: u64, i: u64) -> (&'static str, String, String) {
        let (_, t) = self.template(seed, i);
        let hostname = format!("sim-{}-{i:06}", t.name);
        let machine_id = format!("{:016x}{:016x}", h(&[seed, i, 6]), h(&[seed, i, 7]));
        (t.name, hostname, machine_id)
    }

    /// Host `i` of the fleet of `seed`: the same answer for the same arguments.
    pub fn host(&self, seed: u64, i: u64) -> SimHost {
        let (ti, t) = self.template(seed, i);
        let ti = ti as u64;
        let cohort = h(&[seed, i, 2]) % COHORTS;
        let mut inv = t.base.clone();
        for (j, (p, alts)) in inv.packages.iter_mut().zip(&t.alts).enumerate() {
            if alts.is_empty() || cohort == 0 {
                continue;
            }
            let r = h(&[seed, ti, cohort, j as u64]);
            if r % 1000 < 60 {
                shift(p, &alts[((r >> 16) % alts.len() as u64) as usize]);
            }
        }
        let r = h(&[seed, i, 3]);
        if r.is_multiple_of(4) {
            let shiftable: Vec<usize> = (0..t.alts.len())
                .filter(|j| !t.alts[*j].is_empty())
                .collect();
            if !shiftable.is_empty() {
                let j = shiftable[((r >> 8) % shiftable.len() as u64) as usize];
                let alts = &t.alts[j];
                shift(
                    &mut inv.packages[j],
                    &alts[((r >> 32) % alts.len() as u64) as usize],
                );
            }
        }
        let r = h(&[seed, i, 4]);
        for k in 0..(r % 4) {
            if inv.packages.len() > 1 {
                let at = (h(&[r, k]) % inv.packages.len() as u64) as usize;
                inv.packages.remove(at);
            }
        }
        let r = h(&[seed, i, 5]);
        if !t.extras.is_empty() {
            for k in 0..(r % 4) {
                let e = &t.extras[(h(&[r, k]) % t.extras.len() as u64) as usize];
                inv.packages.push(e.clone());
            }
        }
        let (_, hostname, machine_id) = self.identity(seed, i);
        inv.host.hostname = Some(hostname.clone());
        inv.host.machine_id = Some(machine_id.clone());
        inv.normalize();
        SimHost {
            hostname,
            machine_id,
            template: t.name,
            inventory: inv,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn data() -> Option<PathBuf> {
        caulk_testkit::data("inventories")?;
        caulk_testkit::data("debian/bookworm-host")?;
        Some(caulk_testkit::data_root())
    }

    #[test]
    fn hosts_are_deterministic_distinct_and_varied() {
        let Some(d) = data() else { return };
        let fleet = Fleet::load(&d).unwrap();
        eprintln!(
            "templates (name, packages, with another version, extras): {:?}",
            fleet.describe()
        );
        for (name, n, shiftable, _) in fleet.describe() {
            assert!(n > 0, "{name}");
            if name == "debian-12" || name == "rhel-8" {
                assert!(shiftable > 10, "{name}: {shiftable}");
            }
        }
        let a: Vec<SimHost> = (0..200).map(|i| fleet.host(7, i)).collect();
        let b: Vec<SimHost> = (0..200).map(|i| fleet.host(7, i)).collect();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.inventory, y.inventory);
        }
        let names: BTreeSet<&str> = a.iter().map(|h| h.hostname.as_str()).collect();
        assert_eq!(names.len(), 200);
        let templates: BTreeSet<&str> = a.iter().map(|h| h.template).collect();
        assert!(templates.len() >= 4, "{templates:?}");
        let ecosystems: BTreeSet<String> = a
            .iter()
            .filter_map(|h| h.inventory.host.os.as_ref()?.ecosystem.clone())
            .collect();
        assert!(ecosystems.len() >= 4, "{ecosystems:?}");
        // Variations: not every Debian 12 host has the same inventory, but they share most
        // package rows.
        let deb: Vec<&SimHost> = a.iter().filter(|h| h.template == "debian-12").collect();
        let distinct: BTreeSet<String> = deb
            .iter()
            .map(|h| serde_json::to_string(&h.inventory.packages).unwrap())
            .collect();
        assert!(distinct.len() > deb.len() / 2);
        let rows: BTreeSet<(&str, &str, Option<&str>)> = deb
            .iter()
            .flat_map(|h| &h.inventory.packages)
            .map(|p| (p.name.as_str(), p.version.as_str(), p.arch.as_deref()))
            .collect();
        assert!(
            rows.len() < deb[0].inventory.packages.len() * 2,
            "{}",
            rows.len()
        );
        for (i, x) in a.iter().enumerate() {
            let (t, name, mid) = fleet.identity(7, i as u64);
            assert_eq!((t, &name, &mid), (x.template, &x.hostname, &x.machine_id));
        }
        // Another seed, another fleet.
        assert_ne!(fleet.host(8, 0).machine_id, a[0].machine_id);
    }
}
