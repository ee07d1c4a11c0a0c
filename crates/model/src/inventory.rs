//! Inventory domain types: what a host (or image, or directory) has installed.
//!
//! An [`Inventory`] is the one document every later stage reads: the host's facts ([`Host`],
//! [`OsInfo`], [`Kernel`]), every [`Package`] found with the file it came from, and every
//! [`Issue`] met on the way (a broken record is data, not an abort). Its JSON form is versioned
//! by [`FORMAT_VERSION`] and documented in `docs/inventory-format.md`.
//!
//! The trap: a distro package is matched by its *source* package within one distro release, so
//! a [`Package`] carries the ecosystem with its release (`Debian:12`) and the source name and
//! version next to the binary ones; losing either makes matching silently wrong.

use serde::{Deserialize, Serialize};

/// Version of the inventory JSON format. Bumped on any change a reader must know about;
/// adding an optional field is not such a change.
pub const FORMAT_VERSION: u32 = 1;

/// The inventory of one host, image or directory tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Facts about the host; all optional, an image may have none.
    pub host: Host,
    /// Packages, sorted by [`Package::sort_key`] (see [`Inventory::normalize`]).
    pub packages: Vec<Package>,
    /// Everything that was not read cleanly, sorted.
    #[serde(default)]
    pub issues: Vec<Issue>,
}

impl Default for Inventory {
    fn default() -> Self {
        Inventory {
            format_version: FORMAT_VERSION,
            host: Host::default(),
            packages: Vec::new(),
            issues: Vec::new(),
        }
    }
}

impl Inventory {
    /// Whether this build understands the document's format: readers refuse any other
    /// `format_version` rather than guess.
    pub fn format_supported(&self) -> bool {
        self.format_version == FORMAT_VERSION
    }

    /// Sort packages and issues into their canonical order and drop exact duplicates, so
    /// that two runs over the same input serialize byte for byte the same.
    pub fn normalize(&mut self) {
        self.packages
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.packages.dedup();
        self.issues.sort();
        self.issues.dedup();
        self.host.kernel.installed.sort();
        self.host.kernel.installed.dedup();
    }
}

/// Facts about the host. Every field is optional: a container image has no hostname, a
/// distroless image may have no os-release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
    /// Machine architecture in `uname -m` spelling (`x86_64`, `aarch64`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    #[serde(default)]
    pub kernel: Kernel,
    /// Set when a reboot is known to be needed; `None` when nothing says so (or we cannot tell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_required: Option<RebootRequired>,
}

/// The operating system as its release files describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// os-release `ID` (`debian`, `ubuntu`, `rhel`, …), lower case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// os-release `ID_LIKE`, split on spaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// os-release `VERSION_ID`, or the version found in a fallback file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
    /// The OSV ecosystem of the distro's packages, with its release (`Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Alpine:v3.19`); `None` when the distro is not one caulk maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// The files the facts came from, in the order they were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Ubuntu Pro, when the machine has its client's status file
    /// (`/var/lib/ubuntu-advantage/status.json`): its fixes come in the `Ubuntu:Pro:…`
    /// streams. Absent: no status file (not attached, or not Ubuntu).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ubuntu_pro: Option<UbuntuPro>,
}

/// What the Ubuntu Pro client says about the machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UbuntuPro {
    /// Attached to a Pro subscription.
    pub attached: bool,
    /// The services whose status is `enabled` (`esm-infra`, `esm-apps`, `fips`,
    /// `fips-updates`, …), sorted. Empty when not attached.
    #[serde(default)]
    pub enabled: Vec<String>,
    /// The file it was read from.
    pub file: String,
}

impl UbuntuPro {
    pub fn is_enabled(&self, service: &str) -> bool {
        self.attached && self.enabled.iter().any(|s| s == service)
    }
}

/// Kernels: the one running (live host only) and the ones installed as packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kernel {
    /// `uname -r` of the running kernel, read from `/proc/sys/kernel/osrelease`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<String>,
    /// Kernel releases installed as packages (`6.1.0-18-amd64`, `5.14.0-362.8.1.el9_3.x86_64`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub installed: Vec<String>,
}

/// Compare kernel release strings (`uname -r`: `6.1.0-28-amd64`, `5.14.0-427.el9.x86_64`)
/// segment by segment, digits numerically and letters lexically, as `rpmvercmp` does: good
/// enough to find the newest kernel. The one rule for it (the inventory's reboot check and
/// the assessment's kernel roles).
pub fn kernel_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn segs(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if !b[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let digit = b[i].is_ascii_digit();
            let st = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() && b[i].is_ascii_digit() == digit {
                i += 1;
            }
            out.push((digit, &s[st..i]));
        }
        out
    }
    let (sa, sb) = (segs(a), segs(b));
    for (x, y) in sa.iter().zip(sb.iter()) {
        let o = match (x.0, y.0) {
            (true, true) => {
                let (p, q) = (x.1.trim_start_matches('0'), y.1.trim_start_matches('0'));
                p.len().cmp(&q.len()).then_with(|| p.cmp(q))
            }
            (false, false) => x.1.cmp(y.1),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    sa.len().cmp(&sb.len())
}

/// Why a reboot is needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebootRequired {
    /// Human-readable reasons (`/var/run/reboot-required exists`, `running kernel … is not
    /// the newest installed …`).
    pub reasons: Vec<String>,
    /// Packages that asked for the reboot (Debian's `reboot-required.pkgs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
}

/// How sure we are that a package is on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstallState {
    /// The package manager's database says installed (dpkg `installed`, an rpmdb or apk db
    /// record).
    Installed,
    /// Named by a lockfile or SBOM: declared, not verified on disk.
    Declared,
}

/// Which collector found a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Collector {
    Dpkg,
    Rpm,
    Apk,
    Lockfile,
    Sbom,
    /// Installed language packages found by walking a root (`caulk_inventory::lang`): Python
    /// `*.dist-info`/`*.egg-info`, `node_modules/*/package.json`, RubyGems specifications, Go
    /// build information and cargo-auditable sections of binaries, Java archives.
    Python,
    Npm,
    Gem,
    GoBinary,
    RustBinary,
    Jar,
}

impl Collector {
    /// Whether the collector found the package by walking a root for language packages (a
    /// bad file met that way is reported, not a lost input: nobody named it).
    pub fn walks_root(self) -> bool {
        matches!(
            self,
            Collector::Python
                | Collector::Npm
                | Collector::Gem
                | Collector::GoBinary
                | Collector::RustBinary
                | Collector::Jar
        )
    }
}

/// One package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Package {
    /// OSV ecosystem string (`Debian:12`, `crates.io`, `npm`, …).
    pub ecosystem: String,
    /// Binary package name as the package manager reports it.
    pub name: String,
    /// Version as the package manager reports it; for rpm `[EPOCH:]VERSION-RELEASE`, built from
    /// the separate header fields.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package name (dpkg `Source:`, rpm `SOURCERPM` name, apk origin). Always set
    /// for distro packages: equal to `name` when the package manager records none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version; equal to `version` when the package manager records none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Package URL (`pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// rpm `VENDOR`, apk maintainer-independent origin repository, … when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The file the package was read from (inside `--root` for distro databases; for a
    /// language package the dist-info directory, `package.json`, gemspec, binary or archive —
    /// `outer.jar!/inner.jar` for a nested archive).
    pub file: String,
    /// The distro package whose file list holds `file` (dpkg's `info/*.list`): a language
    /// package installed by the distro, whose version may carry the distro's backported
    /// fixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    pub state: InstallState,
    pub collector: Collector,
}

impl Package {
    /// The canonical order: ecosystem, name, version, arch, file.
    pub fn sort_key(&self) -> (&str, &str, &str, &str, &str) {
        (
            &self.ecosystem,
            &self.name,
            &self.version,
            self.arch.as_deref().unwrap_or(""),
            &self.file,
        )
    }
}

/// What kind of trouble an [`Issue`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueKind {
    /// The input is malformed: a record or the whole file was skipped.
    BadInput,
    /// A bound was hit (file size, line length, entry count, depth); the rest was skipped.
    Limit,
    /// The input could not be read (permissions, I/O).
    Unreadable,
    /// A package in a state other than installed (dpkg half-installed, config-files, …):
    /// not counted as installed, but not hidden either.
    PackageState,
    /// Recognised but not supported (an rpmdb format we do not read, an unknown distro).
    Unsupported,
}

/// One problem met while collecting; the run went on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Issue {
    /// The file concerned (inside `--root` for distro files).
    pub file: String,
    /// 1-based line, when the input is line-oriented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Record identifier (package name, rpmdb header number, JSON pointer, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    pub kind: IssueKind,
    pub reason: String,
    /// The collector that met the problem, when it is a root walk's (see
    /// [`Collector::walks_root`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<Collector>,
}

impl Issue {
    pub fn new(file: impl Into<String>, kind: IssueKind, reason: impl Into<String>) -> Issue {
        Issue {
            file: file.into(),
            line: None,
            record: None,
            kind,
            reason: reason.into(),
            collector: None,
        }
    }

    pub fn collector(mut self, c: Collector) -> Issue {
        self.collector = Some(c);
        self
    }

    pub fn at_line(mut self, line: u64) -> Issue {
        self.line = Some(line);
        self
    }

    pub fn record(mut self, record: impl Into<String>) -> Issue {
        self.record = Some(record.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(eco: &str, name: &str, version: &str) -> Package {
        Package {
            ecosystem: eco.into(),
            name: name.into(),
            version: version.into(),
            arch: None,
            source_name: None,
            source_version: None,
            purl: None,
            vendor: None,
            file: "f".into(),
            owned_by: None,
            state: InstallState::Installed,
            collector: Collector::Dpkg,
        }
    }

    #[test]
    fn normalize_sorts_and_dedups() {
        let mut inv = Inventory {
            packages: vec![
                pkg("npm", "b", "1"),
                pkg("Debian:12", "z", "1"),
                pkg("npm", "a", "2"),
                pkg("npm", "a", "1"),
                pkg("npm", "a", "1"),
            ],
            ..Inventory::default()
        };
        inv.normalize();
        let got: Vec<_> = inv
            .packages
            .iter()
            .map(|p| format!("{} {} {}", p.ecosystem, p.name, p.version))
            .collect();
        assert_eq!(got, ["Debian:12 z 1", "npm a 1", "npm a 2", "npm b 1"]);
    }
}
