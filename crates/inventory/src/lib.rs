//! `caulk-inventory`: the collectors that turn a host, an image, a source tree or an SBOM
//! into an [`Inventory`](caulk_model::inventory::Inventory).
//!
//! It owns host access ([`HostAccess`], [`FsHost`], [`MemHost`]), OS facts ([`os`]), the
//! one reader of Debian control files ([`deb822`]), the package databases ([`dpkg`], [`rpm`],
//! [`apk`]), the installed language packages of a root ([`lang`]: one bounded walk),
//! apt's candidate lists ([`apt`]), lockfiles ([`lockfile`]) and SBOMs ([`sbom`]); writing an inventory as CycloneDX is `caulk-report`'s. Every parser is a pure
//! function of bytes (fuzzed); the entry points [`inventory_host`], [`scan_path`] and [`read_sbom`] wire
//! them to a [`HostAccess`].
//!
//! The traps: an image's absolute symlinks must resolve inside its root, not on the machine
//! running caulk; only *installed* packages count (dpkg keeps half-installed and config-files
//! records next to them); a distro package is only matchable with its *source* package and
//! its distro release, so both are carried on every package; and all input is hostile —
//! bounded in size, never a panic, a bad record is an [`Issue`] and the run goes on.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod apk;
pub mod apt;
pub mod deb822;
pub mod dpkg;
mod host;
pub mod lang;
pub mod lockfile;
pub mod os;
pub mod pro;
/// Package URLs live in `caulk-model` (the report renderers build them too); re-exported here
/// for the collectors and the fuzz target.
pub use caulk_model::purl;
pub mod rpm;
pub mod sbom;
pub mod sqlite;

pub use host::{
    CommandOutput, DirEntries, EntryKind, FsHost, HostAccess, MemHost, Meta, RandomRead, WalkStep,
    WalkVisitor,
};

use caulk_model::inventory::{Inventory, Issue, IssueKind, OsInfo, Package};
use caulk_version::{Ecosystem, Scheme};

/// Errors of host access. Collectors turn them into [`Issue`]s; callers of the library see
/// them only from [`HostAccess`] itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: larger than the limit of {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    #[error("{path}: not a regular file")]
    NotRegular { path: String },
    #[error("{path}: too many levels of symbolic links")]
    SymlinkLoop { path: String },
    #[error("{program}: commands run only on the live host")]
    NotLive { program: String },
    #[error("{program}: {reason}")]
    Command { program: String, reason: String },
    #[error("{path}: SQLite: {reason}")]
    Sqlite { path: String, reason: String },
}

impl Error {
    /// The issue this error becomes in an inventory.
    pub fn to_issue(&self, file: &str) -> Issue {
        let kind = match self {
            Error::TooLarge { .. } => IssueKind::Limit,
            Error::Io { .. } | Error::NotRegular { .. } | Error::SymlinkLoop { .. } => {
                IssueKind::Unreadable
            }
            Error::NotLive { .. } | Error::Command { .. } => IssueKind::Unsupported,
            Error::Sqlite { .. } => IssueKind::BadInput,
        };
        Issue::new(file, kind, self.to_string())
    }
}

/// Bounds on every input. Defaults fit a large real host with room to spare.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A package database (dpkg status, apk installed, rpmdb).
    pub max_db_bytes: u64,
    /// A lockfile, SBOM or other text input.
    pub max_text_bytes: u64,
    /// One line of a line-oriented file.
    pub max_line_bytes: usize,
    /// Records (packages, components) read from one file.
    pub max_records: usize,
    /// Directory depth of a `--path` walk.
    pub max_depth: usize,
    /// Directory entries looked at by one `--path` walk.
    pub max_walk_entries: usize,
    /// Nesting depth of JSON/XML/YAML documents.
    pub max_nesting: usize,
    /// Directory entries looked at by the language-package walk of a root ([`lang`]).
    pub max_root_walk_entries: usize,
    /// Directory depth of that walk.
    pub max_root_depth: usize,
    /// Bytes that walk reads from files in total (metadata, headers, sections, zip
    /// directories and entries).
    pub max_root_read_bytes: u64,
    /// Largest executable looked into (only its headers and two sections are read).
    pub max_binary_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_db_bytes: 1 << 30,
            max_text_bytes: 256 << 20,
            max_line_bytes: 1 << 20,
            max_records: 1_000_000,
            max_depth: 12,
            max_walk_entries: 500_000,
            max_nesting: 128,
            max_root_walk_entries: 10_000_000,
            max_root_depth: 48,
            max_root_read_bytes: 2 << 30,
            max_binary_bytes: 4 << 30,
        }
    }
}

/// What collectors need to know about the distro to label packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distro {
    /// OSV ecosystem for this package manager's packages (`Debian:12`).
    pub ecosystem: String,
    /// purl namespace (`debian`, `ubuntu`, `alpine`, `redhat`, …).
    pub namespace: String,
    /// purl `distro=` qualifier (`debian-12`), when the release is known.
    pub distro: Option<String>,
}

impl Distro {
    /// The labels for a package manager whose version `scheme` is given: the host's
    /// ecosystem when it uses that scheme, else `fallback` (the scheme's reference distro,
    /// without release) so that versions still compare.
    pub fn for_scheme(os: Option<&OsInfo>, scheme: Scheme, fallback: &str) -> Distro {
        let id = os.and_then(|o| o.id.clone());
        let eco = os
            .and_then(|o| o.ecosystem.clone())
            .filter(|e| Ecosystem::parse(e).scheme() == Some(scheme));
        let namespace = match id.as_deref() {
            Some("rhel") => "redhat".to_string(),
            Some("ol") => "oracle".to_string(),
            Some("amzn") => "amazon".to_string(),
            Some(i) if eco.is_some() => i.to_string(),
            _ => fallback.to_ascii_lowercase().replace(' ', ""),
        };
        let distro = match (eco.is_some(), id, os.and_then(|o| o.version_id.clone())) {
            (true, Some(i), Some(v)) => Some(format!("{i}-{v}")),
            _ => None,
        };
        Distro {
            ecosystem: eco.unwrap_or_else(|| fallback.to_string()),
            namespace,
            distro,
        }
    }
}

/// The result of one parser over one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub packages: Vec<Package>,
    pub issues: Vec<Issue>,
}

impl Parsed {
    fn limit_hit(&self, limits: &Limits) -> bool {
        self.packages.len() >= limits.max_records
    }
}

/// Split bytes into lines, 1-based numbers, without the `\n` (and a trailing `\r`).
pub(crate) fn lines(b: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut n = 0u64;
    let mut rest = b;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        n += 1;
        let (line, next) = match memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some((n, line))
    })
}

#[inline]
fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Inventory a host or image: OS facts, then every distro package database found, then the
/// installed language packages (a walk of the root, [`lang`]), then kernels and reboot state. Nothing is executed unless `host.is_live()`.
pub fn inventory_host(host: &dyn HostAccess, limits: &Limits) -> Inventory {
    let mut inv = Inventory::default();
    let mut issues = Vec::new();
    let os_info = os::detect_os(host, &mut issues);
    inv.host.arch = os::detect_arch(host);
    inv.host.hostname = os::detect_hostname(host, &mut issues);
    inv.host.machine_id = os::detect_machine_id(host, &mut issues);
    let mut kernel = os::detect_kernel(host, &mut issues);

    let mut found_db = false;
    let d = Distro::for_scheme(os_info.as_ref(), Scheme::Dpkg, "Debian");
    if let Some(p) = dpkg::collect(host, &d, limits) {
        found_db = true;
        inv.packages.extend(p.packages);
        issues.extend(p.issues);
    }
    let d = Distro::for_scheme(os_info.as_ref(), Scheme::Apk, "Alpine");
    if let Some(p) = apk::collect(host, &d, limits) {
        found_db = true;
        inv.packages.extend(p.packages);
        issues.extend(p.issues);
    }
    let d = Distro::for_scheme(os_info.as_ref(), Scheme::Rpm, "Red Hat");
    if let Some(p) = rpm::collect(host, &d, limits) {
        found_db = true;
        inv.packages.extend(p.packages);
        issues.extend(p.issues);
    }
    if found_db && os_info.as_ref().is_none_or(|o| o.ecosystem.is_none()) {
        issues.push(Issue::new(
            "/etc/os-release",
            IssueKind::Unsupported,
            "distro release unknown: distro packages carry an ecosystem without release",
        ));
    }
    let mut lang = lang::collect(host, limits);
    lang::mark_dpkg_owned(host, limits, &mut lang.packages);
    inv.packages.extend(lang.packages);
    issues.extend(lang.issues);
    kernel
        .installed
        .extend(inv.packages.iter().filter_map(installed_kernel));
    kernel.installed.sort();
    kernel.installed.dedup();
    inv.host.reboot_required = os::detect_reboot(host, &kernel, &mut issues, limits);
    inv.host.kernel = kernel;
    let mut os_info = os_info;
    if let Some(os) = &mut os_info
        && os
            .ecosystem
            .as_deref()
            .is_some_and(|e| e.starts_with("Ubuntu:"))
    {
        os.ubuntu_pro = pro::detect(host, &mut issues);
    }
    inv.host.os = os_info;
    inv.issues = issues;
    inv.normalize();
    inv
}

/// The `uname -r` of a kernel package, when `p` is one.
pub fn installed_kernel(p: &Package) -> Option<String> {
    use caulk_model::inventory::Collector;
    match p.collector {
        Collector::Dpkg => {
            let r = p.name.strip_prefix("linux-image-")?;
            // Meta packages (`linux-image-amd64`) do not start with a digit.
            let r = r.strip_prefix("unsigned-").unwrap_or(r);
            r.starts_with(|c: char| c.is_ascii_digit())
                .then(|| r.to_string())
        }
        Collector::Rpm => {
            if !matches!(
                p.name.as_str(),
                "kernel" | "kernel-core" | "kernel-uek" | "kernel-uek-core" | "kernel-rt-core"
            ) {
                return None;
            }
            // uname -r on RHEL is VERSION-RELEASE.ARCH, without epoch.
            let v = p
                .version
                .split_once(':')
                .map_or(p.version.as_str(), |x| x.1);
            Some(format!("{v}.{}", p.arch.as_deref()?))
        }
        Collector::Apk => {
            let flavor = p.name.strip_prefix("linux-")?;
            if !matches!(flavor, "lts" | "virt" | "edge" | "rpi" | "stable") {
                return None;
            }
            let (v, r) = p.version.rsplit_once("-r")?;
            Some(format!("{v}-{r}-{flavor}"))
        }
        _ => None,
    }
}

/// Scan a directory tree for lockfiles (see [`lockfile`]) and add what they declare.
pub fn scan_path(host: &dyn HostAccess, dir: &str, limits: &Limits, inv: &mut Inventory) {
    let p = lockfile::scan(host, dir, limits);
    inv.packages.extend(p.packages);
    inv.issues.extend(p.issues);
    inv.normalize();
}

/// Read an SBOM file (CycloneDX JSON/XML, SPDX JSON/tag-value) and add its packages.
pub fn read_sbom(host: &dyn HostAccess, file: &str, limits: &Limits, inv: &mut Inventory) {
    match host.read(file, limits.max_text_bytes) {
        Ok(Some(bytes)) => {
            let p = sbom::parse(&bytes, file, limits);
            inv.packages.extend(p.packages);
            inv.issues.extend(p.issues);
        }
        Ok(None) => inv
            .issues
            .push(Issue::new(file, IssueKind::Unreadable, "no such file")),
        Err(e) => inv.issues.push(e.to_issue(file)),
    }
    inv.normalize();
}
