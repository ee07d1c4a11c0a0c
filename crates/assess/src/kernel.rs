//! What a kernel package is to the host: a kernel vulnerability matters where the kernel
//! runs. The advisories name the kernel's *source* package (`linux`, `kernel`, `linux-lts`),
//! so every binary built from it matches — the running image, images that are installed but
//! not running, and headers, tools, documentation and metapackages in which no kernel code
//! runs at all. [`role`] tells them apart; the policy (`[kernel]` weights and the `kernel`
//! input of the decision table) says what each is worth. Pure: no I/O.
//!
//! Which image runs is known on a live host (`uname -r`, [`Kernel::running`]); which boots
//! next is taken to be the newest installed image (the bootloader's default on Debian,
//! Ubuntu, RHEL and Alpine). On an image or a root that is not running, nothing runs: the
//! newest image is the one that will.

use caulk_model::inventory::{Inventory, Kernel, Package, kernel_cmp};
use caulk_version::{Ecosystem, Scheme};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// What a binary of a kernel source package is to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KernelRole {
    /// The image of the running kernel.
    Running,
    /// The newest installed image, not running now: it runs after the next boot.
    NextBoot,
    /// An installed image that is neither running nor the newest.
    Installed,
    /// Headers, tools, documentation, debug symbols, metapackages: no kernel code runs
    /// from them; they follow the kernel's upgrade.
    Other,
    /// Not a kernel package (the value a decision-table rule matches for every other
    /// package).
    None,
}

impl KernelRole {
    pub fn as_str(self) -> &'static str {
        match self {
            KernelRole::Running => "running",
            KernelRole::NextBoot => "next-boot",
            KernelRole::Installed => "installed",
            KernelRole::Other => "other",
            KernelRole::None => "none",
        }
    }
}

/// Source packages of the kernel, per distribution family.
fn kernel_source(family: Option<Scheme>, source: &str) -> bool {
    match family {
        Some(Scheme::Dpkg) => {
            source == "linux"
                || [
                    "linux-signed",
                    "linux-latest",
                    "linux-meta",
                    "linux-hwe",
                    "linux-aws",
                    "linux-azure",
                    "linux-gcp",
                    "linux-gke",
                    "linux-oracle",
                    "linux-lowlatency",
                    "linux-kvm",
                    "linux-ibm",
                    "linux-raspi",
                    "linux-oem",
                    "linux-nvidia",
                    "linux-intel",
                    "linux-realtime",
                    "linux-riscv",
                    "linux-xilinx",
                    "linux-bluefield",
                    "linux-fips",
                ]
                .iter()
                .any(|p| {
                    source.strip_prefix(p).is_some_and(|rest| {
                        rest.is_empty()
                            || rest.starts_with('-')
                            || rest.starts_with(|c: char| c.is_ascii_digit())
                    })
                })
                // Debian's LTS kernels: `linux-5.10` (buster), `linux-6.1` (bullseye).
                || source
                    .strip_prefix("linux-")
                    .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        }
        // aports: `linux-lts` builds the `lts` and `virt` flavours, `linux-edge`, `linux-rpi`,
        // `linux-stable` their own.
        Some(Scheme::Apk) => matches!(
            source,
            "linux-lts" | "linux-edge" | "linux-rpi" | "linux-stable"
        ),
        // The RPM family.
        Some(Scheme::Rpm) => matches!(source, "kernel" | "kernel-rt" | "kernel-uek" | "kernel-alt"),
        // Language ecosystems have no kernel.
        _ => false,
    }
}

/// The kernel release (`uname -r`) an image package installs, when `p` is one.
fn image_release(family: Option<Scheme>, p: &Package) -> Option<String> {
    match family {
        Some(Scheme::Dpkg) => {
            let rest = p
                .name
                .strip_prefix("linux-image-")
                .or_else(|| p.name.strip_prefix("linux-modules-"))?;
            if rest.ends_with("-dbg") || rest.ends_with("-dbgsym") {
                return None;
            }
            // Ubuntu's `linux-modules-extra-<release>` (most drivers) and other module
            // packages named `linux-modules-<what>-<release>`.
            let rest = match rest.find(|c: char| c.is_ascii_digit()) {
                Some(i) if i > 0 && rest[..i].ends_with('-') && !rest.starts_with("unsigned-") => {
                    &rest[i..]
                }
                _ => rest,
            };
            let rest = rest.strip_prefix("unsigned-").unwrap_or(rest);
            let rest = rest.strip_suffix("-unsigned").unwrap_or(rest);
            // `linux-image-amd64` is a metapackage: no kernel of its own.
            rest.starts_with(|c: char| c.is_ascii_digit())
                .then(|| rest.to_string())
        }
        Some(Scheme::Apk) => {
            // `linux-<flavour>` is the image (`linux-lts`, `linux-virt`); `-dev`, `-doc`
            // and the like are not.
            let flavor = p.name.strip_prefix("linux-")?;
            if flavor.is_empty() || flavor.contains('-') {
                return None;
            }
            // 6.6.31-r0 installs 6.6.31-0-lts.
            let (v, r) = p.version.rsplit_once("-r")?;
            Some(format!("{v}-{r}-{flavor}"))
        }
        Some(Scheme::Rpm) => {
            let image = matches!(
                p.name.as_str(),
                "kernel"
                    | "kernel-core"
                    | "kernel-modules"
                    | "kernel-modules-core"
                    | "kernel-modules-extra"
                    | "kernel-rt"
                    | "kernel-rt-core"
                    | "kernel-rt-modules"
                    | "kernel-uek"
                    | "kernel-uek-core"
                    | "kernel-uek-modules"
                    | "kernel-64k"
                    | "kernel-64k-core"
                    | "kernel-64k-modules"
                    | "kernel-debug"
                    | "kernel-debug-core"
                    | "kernel-debug-modules"
            );
            if !image {
                return None;
            }
            let v = p
                .version
                .split_once(':')
                .map_or(p.version.as_str(), |x| x.1);
            let mut release = match &p.arch {
                Some(a) => format!("{v}.{a}"),
                None => v.to_string(),
            };
            // RHEL 9 names these flavours in `uname -r`: `….x86_64+rt`, `+64k`, `+debug`.
            for flavour in ["rt", "64k", "debug"] {
                if p.name.starts_with(&format!("kernel-{flavour}")) {
                    release.push('+');
                    release.push_str(flavour);
                }
            }
            Some(release)
        }
        _ => None,
    }
}

/// Whether `p` is built from a kernel source: the packages whose findings depend on the
/// host's running and installed kernels ([`KernelRoles`]).
pub fn is_kernel_package(p: &Package) -> bool {
    p.source_name
        .as_deref()
        .is_some_and(|s| kernel_source(Ecosystem::parse(&p.ecosystem).scheme(), s))
}

/// The roles of an inventory's kernel packages, worked out once per scan.
#[derive(Debug, Default)]
pub struct KernelRoles {
    running: Option<String>,
    /// The newest installed image's release, per ecosystem and flavour (a host boots its
    /// flavour: `generic` or `lowlatency`, `kernel` or `kernel-rt`).
    newest: Vec<((String, String), String)>,
}

impl KernelRoles {
    pub fn of(inv: &Inventory) -> KernelRoles {
        let Kernel { running, .. } = &inv.host.kernel;
        let mut newest: Vec<((String, String), String, &Package)> = Vec::new();
        for p in &inv.packages {
            let eco = Ecosystem::parse(&p.ecosystem);
            let family = eco.scheme();
            let Some(source) = p.source_name.as_deref() else {
                continue;
            };
            if !kernel_source(family, source) {
                continue;
            }
            let Some(release) = image_release(family, p) else {
                continue;
            };
            let newer = |old: &Package| -> bool {
                // Images of one flavour compare by package version; across names (Debian's
                // ABI is in the name) by the release itself.
                let by_version = eco
                    .scheme()
                    .and_then(|s| s.compare_lenient(&p.version, &old.version));
                match by_version {
                    Some(o) if o != Ordering::Equal => o == Ordering::Greater,
                    _ => {
                        kernel_cmp(&release, &image_release(family, old).unwrap_or_default())
                            == Ordering::Greater
                    }
                }
            };
            let key = (p.ecosystem.clone(), flavour_of(&release));
            match newest.iter_mut().find(|(k, _, _)| *k == key) {
                Some(slot) if newer(slot.2) => *slot = (key, release, p),
                Some(_) => {}
                None => newest.push((key, release, p)),
            }
        }
        KernelRoles {
            running: running.clone(),
            newest: newest.into_iter().map(|(k, r, _)| (k, r)).collect(),
        }
    }

    /// `p`'s role, `None` when it is not built from a kernel source package.
    pub fn role(&self, p: &Package) -> Option<KernelRole> {
        let eco = Ecosystem::parse(&p.ecosystem);
        let family = eco.scheme();
        if !kernel_source(family, p.source_name.as_deref()?) {
            return None;
        }
        let Some(release) = image_release(family, p) else {
            return Some(KernelRole::Other);
        };
        // RHEL 8's real-time kernel has no `+rt` in `uname -r`; RHEL 9's has.
        let plain = release.split_once('+').map_or(release.as_str(), |(r, _)| r);
        if let Some(running) = self.running.as_deref()
            && (running == release || running == plain)
        {
            return Some(KernelRole::Running);
        }
        let key = (p.ecosystem.clone(), flavour_of(&release));
        let newest = self
            .newest
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, r)| r.as_str());
        Some(if newest == Some(release.as_str()) {
            KernelRole::NextBoot
        } else {
            KernelRole::Installed
        })
    }

    /// Why, in words, for a finding's reasons.
    pub fn reason(&self, role: KernelRole, p: &Package) -> String {
        let running = self.running.as_deref();
        match role {
            KernelRole::Running => format!("kernel image {}: the running kernel", p.name),
            KernelRole::NextBoot => match running {
                Some(r) => format!(
                    "kernel image {}: the newest installed, not running (running: {r}); it runs after the next boot",
                    p.name
                ),
                None => format!(
                    "kernel image {}: the newest installed (running kernel unknown: not a live host); it is the one that boots",
                    p.name
                ),
            },
            KernelRole::Installed => format!(
                "kernel image {}: installed but neither running ({}) nor the newest; it runs only if chosen at boot",
                p.name,
                running.unwrap_or("unknown")
            ),
            KernelRole::Other => format!(
                "{} is built from the kernel source {} but holds no kernel that runs (headers, tools, documentation or a metapackage); it follows the kernel's upgrade",
                p.name,
                p.source_name.as_deref().unwrap_or("?")
            ),
            KernelRole::None => String::new(),
        }
    }
}

/// The flavour part of a kernel release: after a `+` (`…x86_64+rt`), else its `-`
/// segments that do not start with a digit (`6.1.0-28-cloud-amd64` → `cloud-amd64`,
/// `5.15.0-91-generic` → `generic`, `6.6.31-0-virt` → `virt`; RPM's plain release → ``).
fn flavour_of(release: &str) -> String {
    if let Some((_, f)) = release.split_once('+') {
        return f.to_string();
    }
    release
        .split('-')
        .filter(|seg| !seg.starts_with(|c: char| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pkg(eco: &str, name: &str, version: &str, source: &str, arch: &str) -> Package {
        serde_json::from_value(serde_json::json!({
            "ecosystem": eco, "name": name, "version": version, "arch": arch,
            "source_name": source, "source_version": version,
            "file": "/var/lib/dpkg/status", "state": "installed", "collector": "dpkg"}))
        .unwrap()
    }

    fn inv(running: Option<&str>, packages: Vec<Package>) -> Inventory {
        let mut i = Inventory::default();
        i.host.kernel.running = running.map(str::to_string);
        i.packages = packages;
        i
    }

    #[test]
    fn debian_images_headers_and_tools() {
        let old = pkg(
            "Debian:12",
            "linux-image-6.1.0-27-amd64",
            "6.1.115-1",
            "linux-signed-amd64",
            "amd64",
        );
        let new = pkg(
            "Debian:12",
            "linux-image-6.1.0-28-amd64",
            "6.1.119-1",
            "linux-signed-amd64",
            "amd64",
        );
        let older = pkg(
            "Debian:12",
            "linux-image-6.1.0-9-amd64",
            "6.1.27-1",
            "linux-signed-amd64",
            "amd64",
        );
        let meta = pkg(
            "Debian:12",
            "linux-image-amd64",
            "6.1.119-1",
            "linux-signed-amd64",
            "amd64",
        );
        let libc = pkg("Debian:12", "linux-libc-dev", "6.1.119-1", "linux", "amd64");
        let perf = pkg("Debian:12", "linux-perf", "6.1.119-1", "linux", "amd64");
        let pam = pkg("Debian:12", "libpam0g", "1.5.2-6", "pam", "amd64");
        let all = vec![
            old.clone(),
            new.clone(),
            older.clone(),
            meta.clone(),
            libc.clone(),
            perf.clone(),
            pam.clone(),
        ];
        let r = KernelRoles::of(&inv(Some("6.1.0-27-amd64"), all.clone()));
        assert_eq!(r.role(&old), Some(KernelRole::Running));
        assert_eq!(r.role(&new), Some(KernelRole::NextBoot));
        assert_eq!(r.role(&older), Some(KernelRole::Installed));
        assert_eq!(r.role(&meta), Some(KernelRole::Other));
        assert_eq!(r.role(&libc), Some(KernelRole::Other));
        assert_eq!(r.role(&perf), Some(KernelRole::Other));
        assert_eq!(r.role(&pam), None);
        // This machine's case: the running kernel is no Debian package at all.
        let r = KernelRoles::of(&inv(
            Some("6.18.44-fc-v1300"),
            vec![libc.clone(), perf.clone()],
        ));
        assert_eq!(r.role(&libc), Some(KernelRole::Other));
        // Not a live host: the newest image is the one that boots.
        let r = KernelRoles::of(&inv(None, all));
        assert_eq!(r.role(&new), Some(KernelRole::NextBoot));
        assert_eq!(r.role(&old), Some(KernelRole::Installed));
        assert!(
            r.reason(KernelRole::NextBoot, &new)
                .contains("not a live host")
        );
    }

    #[test]
    fn rpm_and_alpine_images() {
        let core = pkg(
            "AlmaLinux:9",
            "kernel-core",
            "5.14.0-427.13.1.el9_4",
            "kernel",
            "x86_64",
        );
        let newer = pkg(
            "AlmaLinux:9",
            "kernel-core",
            "5.14.0-503.11.1.el9_5",
            "kernel",
            "x86_64",
        );
        let headers = pkg(
            "AlmaLinux:9",
            "kernel-headers",
            "5.14.0-503.11.1.el9_5",
            "kernel",
            "x86_64",
        );
        let tools = pkg(
            "AlmaLinux:9",
            "kernel-tools",
            "5.14.0-503.11.1.el9_5",
            "kernel",
            "x86_64",
        );
        let r = KernelRoles::of(&inv(
            Some("5.14.0-427.13.1.el9_4.x86_64"),
            vec![core.clone(), newer.clone(), headers.clone(), tools.clone()],
        ));
        assert_eq!(r.role(&core), Some(KernelRole::Running));
        assert_eq!(r.role(&newer), Some(KernelRole::NextBoot));
        assert_eq!(r.role(&headers), Some(KernelRole::Other));
        assert_eq!(r.role(&tools), Some(KernelRole::Other));

        let lts = pkg(
            "Alpine:v3.20",
            "linux-lts",
            "6.6.31-r0",
            "linux-lts",
            "x86_64",
        );
        let dev = pkg(
            "Alpine:v3.20",
            "linux-lts-dev",
            "6.6.31-r0",
            "linux-lts",
            "x86_64",
        );
        let r = KernelRoles::of(&inv(Some("6.6.31-0-lts"), vec![lts.clone(), dev.clone()]));
        assert_eq!(r.role(&lts), Some(KernelRole::Running));
        assert_eq!(r.role(&dev), Some(KernelRole::Other));
    }

    /// Review findings: Alpine's `linux-virt` (origin `linux-lts`), Ubuntu's
    /// `linux-modules-extra-*`, RHEL's real-time kernel, Debian's LTS kernel sources, and the
    /// newest image counted per flavour.
    #[test]
    fn subpackages_flavours_and_lts_sources() {
        let virt = pkg(
            "Alpine:v3.20",
            "linux-virt",
            "6.6.31-r0",
            "linux-lts",
            "x86_64",
        );
        let lts = pkg(
            "Alpine:v3.20",
            "linux-lts",
            "6.6.31-r0",
            "linux-lts",
            "x86_64",
        );
        let r = KernelRoles::of(&inv(Some("6.6.31-0-virt"), vec![virt.clone(), lts.clone()]));
        assert_eq!(r.role(&virt), Some(KernelRole::Running));
        assert_eq!(
            r.role(&lts),
            Some(KernelRole::NextBoot),
            "the newest lts image"
        );

        let extra = pkg(
            "Ubuntu:22.04:LTS",
            "linux-modules-extra-5.15.0-91-generic",
            "5.15.0-91.101",
            "linux",
            "amd64",
        );
        let low = pkg(
            "Ubuntu:22.04:LTS",
            "linux-image-5.15.0-92-lowlatency",
            "5.15.0-92.102",
            "linux-signed-lowlatency",
            "amd64",
        );
        let generic = pkg(
            "Ubuntu:22.04:LTS",
            "linux-image-5.15.0-91-generic",
            "5.15.0-91.101",
            "linux-signed",
            "amd64",
        );
        let r = KernelRoles::of(&inv(
            Some("5.15.0-91-generic"),
            vec![extra.clone(), low.clone(), generic.clone()],
        ));
        assert_eq!(r.role(&extra), Some(KernelRole::Running));
        assert_eq!(r.role(&generic), Some(KernelRole::Running));
        // The newest lowlatency image is that flavour's next boot, not an "older image".
        assert_eq!(r.role(&low), Some(KernelRole::NextBoot));

        let rt9 = pkg(
            "AlmaLinux:9",
            "kernel-rt-core",
            "5.14.0-427.13.1.el9_4",
            "kernel-rt",
            "x86_64",
        );
        let r = KernelRoles::of(&inv(
            Some("5.14.0-427.13.1.el9_4.x86_64+rt"),
            vec![rt9.clone()],
        ));
        assert_eq!(r.role(&rt9), Some(KernelRole::Running));
        let rt8 = pkg(
            "AlmaLinux:8",
            "kernel-rt-core",
            "4.18.0-513.5.1.rt7.307.el8_9",
            "kernel-rt",
            "x86_64",
        );
        let r = KernelRoles::of(&inv(
            Some("4.18.0-513.5.1.rt7.307.el8_9.x86_64"),
            vec![rt8.clone()],
        ));
        assert_eq!(r.role(&rt8), Some(KernelRole::Running));

        let lts_headers = pkg(
            "Debian:11",
            "linux-headers-6.1.0-0.deb11.21-common",
            "6.1.90-1~deb11u1",
            "linux-6.1",
            "all",
        );
        let r = KernelRoles::of(&inv(None, vec![lts_headers.clone()]));
        assert_eq!(r.role(&lts_headers), Some(KernelRole::Other));
        let raspi = pkg(
            "Ubuntu:20.04:LTS",
            "linux-libc-dev",
            "5.4.0-1100.112",
            "linux-raspi2",
            "arm64",
        );
        assert_eq!(
            KernelRoles::of(&inv(None, vec![])).role(&raspi),
            Some(KernelRole::Other)
        );
    }
}
