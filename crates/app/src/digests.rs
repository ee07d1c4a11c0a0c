//! The fleet's assessment by package: every distinct package of the fleet is assessed once
//! per context (advisory generation, day, asset profile, Ubuntu Pro streams, kernel role)
//! and remembered as a [`PackageDigest`]; a host all of whose packages have a digest is
//! tallied from them ([`caulk_assess::digest::tally`]) without a scan. The packages of a host
//! never seen in its context are scanned first ([`Digests::missing`]: those packages, with the
//! host's facts and kernel packages, as an inventory for [`crate::scan::assess_digested`], the
//! one code path) and their digests remembered, for this host and the next ones.
//!
//! What a digest depends on is [`caulk_assess::digest`]'s to say; here it is keyed by: the
//! caller's id of the package (a fleet store's package row: immutable content), the host's
//! context (criticality, exposure, Ubuntu Pro services — [`HostContext`]) and the
//! package's kernel role on the host. One [`Digests`] holds one advisory generation and one
//! day (due dates and overdue move with the day): the caller starts a new one when either
//! changes.

use std::collections::HashMap;
use std::sync::Arc;

use caulk_assess::digest::{PackageDigest, PreparedDigest, Tally, UpgradeKey};
use caulk_assess::kernel::{KernelRole, KernelRoles};
use caulk_model::finding::{Criticality, Exposure};
use caulk_model::inventory::{Host, Inventory, Package};

/// A package of the fleet with what its assessment is keyed by, worked out once.
#[derive(Debug, Clone)]
pub struct FleetPackage {
    /// The caller's id of this exact package (the fleet store's package row).
    pub id: i64,
    pub package: Package,
    pub upgrade: UpgradeKey,
    /// Built from a kernel source: its findings depend on the host's kernels.
    pub kernel: bool,
}

impl FleetPackage {
    pub fn new(id: i64, package: Package) -> FleetPackage {
        FleetPackage {
            id,
            upgrade: UpgradeKey::of(&package),
            kernel: caulk_assess::kernel::is_kernel_package(&package),
            package,
        }
    }
}

/// The packages of a host in the order of its normalized inventory (the order a scan sees
/// them in; a remediation's target among equal versions is the first seen).
pub fn sort_packages(packages: &mut [Arc<FleetPackage>]) {
    packages.sort_by(|a, b| a.package.sort_key().cmp(&b.package.sort_key()));
}

/// What a host's packages' findings depend on besides the packages: its profile, its Ubuntu
/// Pro services and its kernels.
#[derive(Debug)]
pub struct HostContext {
    context: u64,
    roles: KernelRoles,
}

impl HostContext {
    /// `packages`: the host's, in any order (only its kernel packages are read).
    pub fn new(
        host: &Host,
        criticality: Criticality,
        exposure: Exposure,
        packages: &[Arc<FleetPackage>],
    ) -> HostContext {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"caulk-digest-context-v1\0");
        h.update(criticality.as_str());
        h.update(b"\0");
        h.update(exposure.as_str());
        h.update(b"\0");
        let pro = host.os.as_ref().and_then(|o| o.ubuntu_pro.as_ref());
        // Serialising a plain struct cannot fail; were it to, the context would only be
        // shared less.
        h.update(serde_json::to_vec(&pro).unwrap_or_default());
        let d: [u8; 32] = h.finalize().into();
        let mut context = [0u8; 8];
        context.copy_from_slice(&d[..8]);
        // The roles only read the host's kernel facts and its kernel packages.
        let kernels = Inventory {
            host: Host {
                kernel: host.kernel.clone(),
                ..Host::default()
            },
            packages: {
                // In the scan's order (the roles keep the first of equals).
                let mut k: Vec<Arc<FleetPackage>> =
                    packages.iter().filter(|p| p.kernel).cloned().collect();
                sort_packages(&mut k);
                k.iter().map(|p| p.package.clone()).collect()
            },
            ..Inventory::default()
        };
        HostContext {
            context: u64::from_le_bytes(context),
            roles: KernelRoles::of(&kernels),
        }
    }

    fn key(&self, p: &FleetPackage) -> Key {
        let role = if p.kernel {
            self.roles.role(&p.package)
        } else {
            None
        };
        (p.id, self.context, role)
    }
}

type Key = (i64, u64, Option<KernelRole>);

/// The digests of one advisory generation and one day.
pub struct Digests {
    generation: String,
    today: jiff::civil::Date,
    map: HashMap<Key, Arc<PreparedDigest>>,
    /// The distinct digests, by content hash.
    shared: HashMap<u64, Vec<Arc<PreparedDigest>>>,
    /// At most this many digests are kept (then the map starts over: a memory bound, never
    /// a change of answer).
    limit: usize,
}

impl std::fmt::Debug for Digests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Digests")
            .field("generation", &self.generation)
            .field("today", &self.today)
            .field("digests", &self.map.len())
            .finish()
    }
}

impl Digests {
    pub fn new(generation: &str, today: jiff::civil::Date, limit: usize) -> Digests {
        Digests {
            generation: generation.to_string(),
            today,
            map: HashMap::new(),
            shared: HashMap::new(),
            limit: limit.max(1),
        }
    }

    /// Whether these digests are of this generation and day.
    pub fn is_of(&self, generation: &str, today: jiff::civil::Date) -> bool {
        self.generation == generation && self.today == today
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The tally of a host from its packages' digests (`packages` in any order); `None` when
    /// one of them has none in this context yet.
    pub fn tally(&self, ctx: &HostContext, packages: &[Arc<FleetPackage>]) -> Option<Tally> {
        let mut found = Vec::with_capacity(packages.len());
        for p in packages {
            found.push(self.map.get(&ctx.key(p))?);
        }
        Some(caulk_assess::digest::tally(
            packages
                .iter()
                .zip(found)
                .map(|(p, d)| (&p.upgrade, &**d, &p.package)),
        ))
    }

    /// What of a host must be scanned for [`Digests::tally`] to answer: its packages that
    /// have no digest in `ctx` — with all its kernel packages when one of them is among
    /// those (the kernel roles are worked out from them) — and its facts, as an inventory; and its packages in that inventory's
    /// order (for [`Digests::remember`]). `None` when nothing is missing.
    pub fn missing(
        &self,
        host: &Host,
        ctx: &HostContext,
        packages: &[Arc<FleetPackage>],
    ) -> Option<(Inventory, Vec<Arc<FleetPackage>>)> {
        let lacks = |p: &FleetPackage| !self.map.contains_key(&ctx.key(p));
        let mut wanted: Vec<Arc<FleetPackage>> =
            packages.iter().filter(|p| lacks(p)).cloned().collect();
        if wanted.is_empty() {
            return None;
        }
        // A kernel package's role depends on the host's other kernel packages: they are
        // scanned with it. (The others' roles are none, whatever else is installed.)
        if wanted.iter().any(|p| p.kernel) {
            wanted = packages
                .iter()
                .filter(|p| p.kernel || lacks(p))
                .cloned()
                .collect();
        }
        sort_packages(&mut wanted);
        let mut inv = Inventory {
            format_version: caulk_model::inventory::FORMAT_VERSION,
            host: host.clone(),
            packages: wanted.iter().map(|p| p.package.clone()).collect(),
            issues: Vec::new(),
        };
        inv.normalize();
        Some((inv, wanted))
    }

    /// Remember the digests of a host's scan: `digests[i]` is the digest of `packages[i]`.
    pub fn remember(
        &mut self,
        ctx: &HostContext,
        packages: &[Arc<FleetPackage>],
        digests: Vec<PackageDigest>,
    ) {
        if self.map.len() + packages.len() > self.limit {
            self.map.clear();
            self.shared.clear();
        }
        for (p, d) in packages.iter().zip(digests) {
            let key = ctx.key(p);
            if self.map.contains_key(&key) {
                continue;
            }
            // One copy of equal digests (the binaries of one source, one package in many
            // contexts): less memory, and a tally counts a shared one's vulnerabilities once.
            // Prepared for the package's version scheme (its upgrade's targets are compared
            // in it): equal digests of two schemes are two.
            let scheme = caulk_assess::digest::scheme_for(&p.package.ecosystem);
            let same = self.shared.entry(d.content_hash()).or_default();
            let d = match same
                .iter()
                .find(|x| *x.digest() == d && x.scheme() == scheme)
            {
                Some(x) => x.clone(),
                None => {
                    let x = Arc::new(PreparedDigest::new(d, &p.package.ecosystem));
                    same.push(x.clone());
                    x
                }
            };
            self.map.insert(key, d);
        }
    }
}

/// What the fleet store keeps of a tally: counts and remediations, as
/// [`crate::fleet::assessment_of`] keeps them of a whole report.
pub fn assessment_of_tally(
    t: Tally,
    criticality: Criticality,
    exposure: Exposure,
    generation: &str,
    inventory_hash: [u8; 32],
) -> caulk_store::NewAssessment {
    crate::fleet::assessment_from(
        &t.summary,
        t.remediations
            .into_iter()
            .map(|m| caulk_store::HostRemediation {
                ecosystem: m.ecosystem,
                package: m.package,
                target_version: m.target_version,
                decision: m.decision,
                max_severity: m.max_severity,
                kev: m.kev_count,
                risk_removed: m.risk_removed,
                vulnerabilities: m.vulnerabilities,
            }),
        criticality,
        exposure,
        generation,
        inventory_hash,
    )
}
