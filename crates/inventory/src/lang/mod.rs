//! Installed language packages, found by walking a host or image root: Python
//! distributions ([`python`]), npm packages under `node_modules` ([`npm`]), RubyGems
//! specifications ([`gem`]), Go build information ([`golang`]) and cargo-auditable
//! dependency lists ([`rust`]) inside ELF executables ([`elf`]), and Maven coordinates in Java
//! archives ([`jar`]).
//!
//! The walk (one per root, through [`HostAccess::walk`]) stays on the root's file system,
//! follows no symlink, skips `/proc`, `/sys`, `/dev`, `/run`, version-control and
//! `__pycache__` directories, documentation trees (`share/doc`, `share/man`, …) and every
//! directory tagged as a cache (`CACHEDIR.TAG`, as cargo's
//! `target/`, its registry and caulk's own cache are), and is bounded (entries, depth, bytes
//! read in total): a bound hit is a `limit` issue and the rest is skipped. It reads directory
//! entries everywhere and files only where these things live — a `*.dist-info` or
//! `*.egg-info`, `node_modules/<name>/package.json`, `specifications/*.gemspec`, `*.jar`,
//! `*.war`, `*.ear` — and looks into executables only when they are candidates by place or
//! name (in a `bin`, `sbin` or `libexec` tree, under `/opt`, or a name without a dot: shared
//! libraries and scripts are left out), regular, executable, and start with the ELF magic;
//! of those only the section headers and the two sections needed are read.
//!
//! Every package says where it was found (`file`); a package whose file a distro package
//! installed (dpkg's `info/*.list`) says which (`owned_by`): it is reported in its language
//! ecosystem all the same, and the assessment lowers its confidence (the distro may have
//! backported fixes without changing the upstream version).
//!
//! Each parser is a function of bytes ([`python::parse_metadata`],
//! [`npm::parse_package_json`], [`gem::parse_gemspec`], [`golang::read`], [`rust::parse_dep_v0`],
//! [`jar::scan`]) and is fuzzed; a bad file is an issue and the walk goes on.

pub mod elf;
pub mod gem;
pub mod golang;
pub mod jar;
pub mod npm;
pub mod python;
pub mod rust;

use crate::{DirEntries, EntryKind, Error, HostAccess, Limits, Parsed, RandomRead, purl};
use caulk_model::inventory::{Collector, InstallState, Issue, IssueKind, Package};
use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

/// Top-level directories of a root never walked: kernel and runtime state, not installed
/// software.
const SKIP_TOP: &[&str] = &["proc", "sys", "dev", "run"];
/// Directories never walked wherever they are.
const SKIP_ANY: &[&str] = &[".git", ".hg", ".svn", "__pycache__"];
/// Subdirectories of a `share` directory never walked: documentation, manuals, translations
/// and icons (on this development machine a third of all entries, rustup's HTML docs most of
/// them), never installed code.
const SKIP_IN_SHARE: &[&str] = &["doc", "man", "info", "locale", "icons"];
/// The Cache Directory Tagging signature (<https://bford.info/cachedir/>).
const CACHEDIR_SIGNATURE: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55";
/// Smallest executable looked into: a Go or Rust binary is megabytes, and tiny files are
/// mostly scripts.
const MIN_BINARY: u64 = 4 << 10;

/// Walk `host` from its root and collect the installed language packages.
pub fn collect(host: &dyn HostAccess, limits: &Limits) -> Parsed {
    let mut w = Walker {
        host,
        limits,
        out: Parsed::default(),
        entries: 0,
        bytes: 0,
        bytes_hit: false,
        depth_hit: false,
        unreadable: Vec::new(),
        no_coordinates: BTreeMap::new(),
    };
    host.walk("/", &mut |dir, depth, listing| w.visit(dir, depth, listing));
    for (dir, names) in std::mem::take(&mut w.no_coordinates) {
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        let more = match names.len() {
            n if n > 5 => format!(" and {} more", n - 5),
            _ => String::new(),
        };
        w.out.issues.push(
            Issue::new(
                &dir,
                IssueKind::Unsupported,
                format!(
                    "{} Java archive(s) without META-INF/maven/*/*/pom.properties, Maven coordinates unknown, not inventoried: {}{more}",
                    names.len(),
                    shown.join(", ")
                ),
            )
            .collector(Collector::Jar),
        );
    }
    if !w.unreadable.is_empty() {
        let n = w.unreadable.len();
        let first = w.unreadable[0].clone();
        w.out.issues.push(Issue::new(
            &first.0,
            IssueKind::Unreadable,
            if n == 1 {
                format!("directory not read: {}", first.1)
            } else {
                format!(
                    "directory not read: {} ({} more directories not read)",
                    first.1,
                    n - 1
                )
            },
        ));
    }
    w.out
}

struct Walker<'a> {
    host: &'a dyn HostAccess,
    limits: &'a Limits,
    out: Parsed,
    entries: usize,
    bytes: u64,
    bytes_hit: bool,
    depth_hit: bool,
    /// Directories that could not be listed (path, reason): one issue for all of them.
    unreadable: Vec<(String, String)>,
    /// Java archives without Maven coordinates, by directory: one issue per directory
    /// (`/usr/share/java` has dozens).
    no_coordinates: BTreeMap<String, Vec<String>>,
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn last(dir: &str) -> &str {
    dir.rsplit('/').next().unwrap_or("")
}

fn parent(dir: &str) -> &str {
    dir.rsplit_once('/').map_or("", |x| x.0)
}

impl Walker<'_> {
    fn visit(
        &mut self,
        dir: &str,
        depth: usize,
        listing: Result<&DirEntries, &Error>,
    ) -> ControlFlow<(), Vec<String>> {
        let entries = match listing {
            Ok(e) => e,
            // Removed since its parent was listed (a build's temporary directory): nothing
            // was there to find.
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return ControlFlow::Continue(Vec::new());
            }
            Err(e) => {
                self.unreadable.push((dir.to_string(), e.to_string()));
                return ControlFlow::Continue(Vec::new());
            }
        };
        self.entries += entries.len();
        if self.entries > self.limits.max_root_walk_entries {
            self.out.issues.push(
                Issue::new(
                    "/",
                    IssueKind::Limit,
                    format!(
                        "more than {} directory entries under the root; language package walk stopped at {dir}",
                        self.limits.max_root_walk_entries
                    ),
                ),
            );
            return ControlFlow::Break(());
        }
        if entries
            .iter()
            .any(|(n, k)| n == "CACHEDIR.TAG" && *k == EntryKind::File)
            && self
                .host
                .read_head(&join(dir, "CACHEDIR.TAG"), CACHEDIR_SIGNATURE.len() as u64)
                .ok()
                .flatten()
                .is_some_and(|h| h == CACHEDIR_SIGNATURE)
        {
            return ControlFlow::Continue(Vec::new());
        }
        let here = last(dir);
        let up = last(parent(dir));
        // Inside node_modules only packages (and their own node_modules) are of interest.
        if here == "node_modules" || (up == "node_modules" && here.starts_with('@')) {
            return self.node_modules(dir, depth, entries);
        }
        let in_package = up == "node_modules"
            || (up.starts_with('@') && last(parent(parent(dir))) == "node_modules");
        let mut sub = Vec::new();
        let specs = here == "specifications" || (here == "default" && up == "specifications");
        let bin_tree = dir
            .split('/')
            .any(|c| matches!(c, "bin" | "sbin" | "libexec"))
            || dir == "/opt"
            || dir.starts_with("/opt/");
        // Names without a dot are looked at as executables, except where no program lives:
        // architecture-independent data, headers, variable state.
        let data_tree = dir.split('/').any(|c| matches!(c, "share" | "include"))
            || dir == "/var"
            || dir.starts_with("/var/");
        for (name, kind) in entries {
            match kind {
                EntryKind::Dir => {
                    if name.ends_with(".dist-info") {
                        self.python(&join(dir, name), &join(&join(dir, name), "METADATA"));
                    } else if name.ends_with(".egg-info") {
                        self.python(&join(dir, name), &join(&join(dir, name), "PKG-INFO"));
                    } else if in_package {
                        if name == "node_modules" {
                            sub.push(name.clone());
                        }
                    } else if !(SKIP_ANY.contains(&name.as_str())
                        || depth == 0 && SKIP_TOP.contains(&name.as_str())
                        || here == "share" && SKIP_IN_SHARE.contains(&name.as_str()))
                    {
                        sub.push(name.clone());
                    }
                }
                EntryKind::File if !in_package => {
                    let path = join(dir, name);
                    if name.ends_with(".egg-info") {
                        self.python(&path, &path);
                    } else if specs && name.ends_with(".gemspec") {
                        self.gem(&path, name);
                    } else if jar::is_archive(name) {
                        self.jar(&path);
                    } else if bin_tree || !(data_tree || name.contains('.')) {
                        self.binary(&path);
                    }
                }
                _ => {}
            }
        }
        if depth >= self.limits.max_root_depth && !sub.is_empty() {
            if !self.depth_hit {
                self.depth_hit = true;
                self.out.issues.push(Issue::new(
                    dir,
                    IssueKind::Limit,
                    format!(
                        "deeper than {} directories: not walked further",
                        self.limits.max_root_depth
                    ),
                ));
            }
            sub.clear();
        }
        ControlFlow::Continue(sub)
    }

    /// A `node_modules` directory (or a `@scope` in one): each package's `package.json`;
    /// enter scopes and packages (for their own `node_modules` only).
    fn node_modules(
        &mut self,
        dir: &str,
        depth: usize,
        entries: &DirEntries,
    ) -> ControlFlow<(), Vec<String>> {
        let scope = last(dir).starts_with('@');
        let mut sub = Vec::new();
        for (name, kind) in entries {
            if *kind != EntryKind::Dir || name.starts_with('.') {
                continue; // `.bin`, `.cache`, `.package-lock.json`
            }
            if name.starts_with('@') && !scope {
                sub.push(name.clone());
                continue;
            }
            let pj = join(&join(dir, name), "package.json");
            self.npm(&pj);
            sub.push(name.clone());
        }
        if depth >= self.limits.max_root_depth {
            sub.clear();
        }
        ControlFlow::Continue(sub)
    }

    /// Count `n` bytes against the walk's budget; false once it is spent.
    fn budget(&mut self, file: &str, n: u64) -> bool {
        if self.bytes_hit {
            return false;
        }
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.max_root_read_bytes {
            self.bytes_hit = true;
            self.out.issues.push(
                Issue::new(
                    file,
                    IssueKind::Limit,
                    format!(
                        "more than {} bytes read for language packages; the rest of the walk reads no file",
                        self.limits.max_root_read_bytes
                    ),
                ),
            );
            return false;
        }
        true
    }

    fn issue(&mut self, file: &str, kind: IssueKind, c: Collector, reason: impl Into<String>) {
        self.out
            .issues
            .push(Issue::new(file, kind, reason).collector(c));
    }

    fn add(&mut self, c: Collector, file: &str, name: &str, version: &str) {
        if self.out.packages.len() >= self.limits.max_records {
            if !self.out.issues.iter().any(|i| {
                i.kind == IssueKind::Limit && i.reason.starts_with("more than") && i.file == "/"
            }) {
                self.issue(
                    "/",
                    IssueKind::Limit,
                    c,
                    format!(
                        "more than {} language packages; rest ignored",
                        self.limits.max_records
                    ),
                );
            }
            return;
        }
        self.out.packages.push(package(c, file, name, version));
    }

    /// Read a small file whole (bounded), or report why not.
    fn small(&mut self, file: &str, c: Collector, max: u64, head: bool) -> Option<Vec<u8>> {
        if !self.budget(file, 0) {
            return None;
        }
        let r = if head {
            self.host.read_head(file, max)
        } else {
            self.host.read(file, max)
        };
        match r {
            Ok(Some(b)) => {
                self.budget(file, b.len() as u64);
                Some(b)
            }
            Ok(None) => None,
            Err(e) => {
                let mut i = e.to_issue(file);
                i.collector = Some(c);
                self.out.issues.push(i);
                None
            }
        }
    }

    fn python(&mut self, at: &str, meta: &str) {
        let Some(b) = self.small(meta, Collector::Python, python::HEAD_BYTES, true) else {
            return;
        };
        match python::parse_metadata(&b) {
            Ok((n, v)) => self.add(Collector::Python, at, &n, &v),
            Err(e) => self.issue(meta, IssueKind::BadInput, Collector::Python, e),
        }
    }

    fn npm(&mut self, pj: &str) {
        let Some(b) = self.small(pj, Collector::Npm, npm::MAX_BYTES, false) else {
            return;
        };
        match npm::parse_package_json(&b) {
            Ok((n, v)) => self.add(Collector::Npm, pj, &n, &v),
            Err(e) => self.issue(pj, IssueKind::BadInput, Collector::Npm, e),
        }
    }

    fn gem(&mut self, path: &str, name: &str) {
        let Some(b) = self.small(path, Collector::Gem, gem::MAX_BYTES, false) else {
            return;
        };
        match gem::parse_gemspec(name, &b) {
            Ok((n, v)) => self.add(Collector::Gem, path, &n, &v),
            Err(e) => self.issue(path, IssueKind::BadInput, Collector::Gem, e),
        }
    }

    fn open(&mut self, path: &str, c: Collector) -> Option<Box<dyn RandomRead + '_>> {
        match self.host.open_random(path) {
            Ok(f) => f,
            Err(e) => {
                let mut i = e.to_issue(path);
                i.collector = Some(c);
                self.out.issues.push(i);
                None
            }
        }
    }

    fn jar(&mut self, path: &str) {
        if !self.budget(path, 0) {
            return;
        }
        let host = self.host;
        let f = match host.open_random(path) {
            Ok(Some(f)) => f,
            Ok(None) => return,
            Err(e) => {
                let mut i = e.to_issue(path);
                i.collector = Some(Collector::Jar);
                self.out.issues.push(i);
                return;
            }
        };
        let s = jar::scan(&*f);
        drop(f);
        self.budget(path, s.bytes_read);
        let at = |nested: &Option<String>| match nested {
            Some(n) => format!("{path}!/{n}"),
            None => path.to_string(),
        };
        for a in &s.artifacts {
            let file = at(&a.nested);
            self.add(
                Collector::Jar,
                &file,
                &format!("{}:{}", a.group, a.artifact),
                &a.version,
            );
        }
        for (nested, p) in &s.problems {
            self.issue(&at(nested), IssueKind::BadInput, Collector::Jar, p.clone());
        }
        for nested in &s.without_coordinates {
            let a = at(nested);
            let (d, n) = a.rsplit_once('/').unwrap_or(("", &a));
            self.no_coordinates
                .entry(d.to_string())
                .or_default()
                .push(n.to_string());
        }
    }

    fn binary(&mut self, path: &str) {
        let meta = match self.host.stat(path) {
            Ok(Some(m)) => m,
            _ => return,
        };
        if meta.kind != EntryKind::File || !meta.executable || meta.size < MIN_BINARY {
            return;
        }
        if meta.size > self.limits.max_binary_bytes {
            self.issue(
                path,
                IssueKind::Limit,
                Collector::GoBinary,
                format!(
                    "executable larger than the limit of {} bytes: not looked into",
                    self.limits.max_binary_bytes
                ),
            );
            return;
        }
        if !self.budget(path, 0) {
            return;
        }
        let Some(f) = self.open(path, Collector::GoBinary) else {
            return;
        };
        let r = binary_packages(&*f);
        drop(f);
        self.budget(path, r.bytes_read);
        for (c, name, version) in r.packages {
            self.add(c, path, &name, &version);
        }
        for (c, reason) in r.problems {
            self.issue(path, IssueKind::BadInput, c, reason);
        }
    }
}

/// What an executable says about the packages built into it.
#[derive(Debug, Default)]
pub struct BinaryPackages {
    /// (collector, name, version): Go modules and `stdlib`, crates.
    pub packages: Vec<(Collector, String, String)>,
    pub problems: Vec<(Collector, String)>,
    /// Roughly: the header, the section headers and the sections read.
    pub bytes_read: u64,
}

/// The Go modules and Rust crates an ELF executable was built from (nothing for other
/// files). A pure function of the file's bytes, read at offsets.
pub fn binary_packages(f: &dyn RandomRead) -> BinaryPackages {
    let mut out = BinaryPackages {
        bytes_read: 64,
        ..BinaryPackages::default()
    };
    let e = match elf::parse(f) {
        Ok(Some(e)) => e,
        Ok(None) => return out,
        Err(err) => {
            out.problems
                .push((Collector::GoBinary, format!("ELF: {err}")));
            return out;
        }
    };
    out.bytes_read += e.sections.len() as u64 * 64;
    if e.section(".go.buildinfo").is_some() || e.section(".gopclntab").is_some() {
        out.bytes_read += 64 << 10;
        match golang::read(f, &e) {
            Ok(Some(info)) => {
                if let Some(v) = golang::stdlib_version(&info.go_version) {
                    out.packages.push((Collector::GoBinary, "stdlib".into(), v));
                }
                if let Some((p, v)) = &info.main
                    && v.starts_with('v')
                {
                    out.packages
                        .push((Collector::GoBinary, p.clone(), v.clone()));
                }
                for (p, v) in info.deps {
                    // A module replaced by a local directory has no version: its code is not
                    // the registry's.
                    if v.starts_with('v') {
                        out.packages.push((Collector::GoBinary, p, v));
                    }
                }
            }
            Ok(None) => {}
            Err(err) => out.problems.push((Collector::GoBinary, err)),
        }
    }
    if let Some(s) = e.section(rust::SECTION) {
        out.bytes_read += s.size.min(rust::MAX_COMPRESSED);
        match e
            .read_section(f, s, rust::MAX_COMPRESSED)
            .and_then(|b| rust::parse_dep_v0(&b))
        {
            Ok(crates) => out.packages.extend(
                crates
                    .into_iter()
                    .map(|(n, v)| (Collector::RustBinary, n, v)),
            ),
            Err(err) => out
                .problems
                .push((Collector::RustBinary, format!("{}: {err}", rust::SECTION))),
        }
    }
    out
}

/// A language package found on disk.
fn package(c: Collector, file: &str, name: &str, version: &str) -> Package {
    let (ecosystem, p) = match c {
        Collector::Python => ("PyPI", purl::build("pypi", None, name, Some(version), &[])),
        Collector::Npm => {
            let (ns, short) = match name.rsplit_once('/') {
                Some((s, n)) if s.starts_with('@') => (Some(s), n),
                _ => (None, name),
            };
            ("npm", purl::build("npm", ns, short, Some(version), &[]))
        }
        Collector::Gem => (
            "RubyGems",
            purl::build("gem", None, name, Some(version), &[]),
        ),
        Collector::GoBinary => {
            let (ns, short) = match name.rsplit_once('/') {
                Some((n, s)) => (Some(n), s),
                None => (None, name),
            };
            ("Go", purl::build("golang", ns, short, Some(version), &[]))
        }
        Collector::RustBinary => (
            "crates.io",
            purl::build("cargo", None, name, Some(version), &[]),
        ),
        _ => {
            let (g, a) = name.split_once(':').unwrap_or(("", name));
            (
                "Maven",
                purl::build("maven", Some(g), a, Some(version), &[]),
            )
        }
    };
    Package {
        ecosystem: ecosystem.to_string(),
        name: name.to_string(),
        version: version.to_string(),
        arch: None,
        source_name: None,
        source_version: None,
        purl: Some(p),
        vendor: None,
        file: file.to_string(),
        owned_by: None,
        state: InstallState::Installed,
        collector: c,
    }
}

/// Mark the language packages whose file a dpkg package installed (`owned_by`), from
/// dpkg's file lists (`/var/lib/dpkg/info/*.list`). Only read when some package lies where
/// a distro installs (not `/usr/local`, `/opt`, `/home`, `/root`, `/srv`, `/tmp`).
pub fn mark_dpkg_owned(host: &dyn HostAccess, limits: &Limits, packages: &mut [Package]) {
    let local = ["/usr/local/", "/opt/", "/home/", "/root/", "/srv/", "/tmp/"];
    let wanted: HashMap<String, Vec<usize>> = {
        let mut m: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in packages.iter().enumerate() {
            if !p.collector.walks_root() || local.iter().any(|l| p.file.starts_with(l)) {
                continue;
            }
            let f = p.file.split("!/").next().unwrap_or(&p.file);
            m.entry(f.to_string()).or_default().push(i);
        }
        m
    };
    if wanted.is_empty() {
        return;
    }
    let dir = "/var/lib/dpkg/info";
    let Ok(Some(entries)) = host.read_dir(dir) else {
        return;
    };
    let mut owners: BTreeMap<usize, String> = BTreeMap::new();
    let mut total = 0u64;
    for (name, kind) in entries {
        let Some(pkg) = name.strip_suffix(".list") else {
            continue;
        };
        if kind != EntryKind::File {
            continue;
        }
        let Ok(Some(b)) = host.read(&join(dir, &name), limits.max_text_bytes) else {
            continue;
        };
        total += b.len() as u64;
        if total > limits.max_db_bytes {
            break;
        }
        let pkg = pkg.split(':').next().unwrap_or(pkg);
        for (_, line) in crate::lines(&b) {
            let Ok(l) = std::str::from_utf8(line) else {
                continue;
            };
            // Merged /usr: a list may say /bin/x where the walk saw /usr/bin/x.
            let merged = ["/bin/", "/sbin/", "/lib/", "/lib64/"]
                .iter()
                .any(|p| l.starts_with(p))
                .then(|| format!("/usr{l}"));
            for key in std::iter::once(l).chain(merged.as_deref()) {
                if let Some(ix) = wanted.get(key) {
                    for &i in ix {
                        owners.entry(i).or_insert_with(|| pkg.to_string());
                    }
                }
            }
        }
    }
    for (i, o) in owners {
        packages[i].owned_by = Some(o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FsHost, MemHost};
    use std::io::Write;

    /// A little-endian ELF64 file with the given (name, address, bytes) sections (the same
    /// shape as `fuzz/seed-corpora.py`'s `elf64`).
    pub(crate) fn elf64(sections: &[(&str, u64, &[u8])]) -> Vec<u8> {
        let mut all: Vec<(&str, u64, Vec<u8>)> = sections
            .iter()
            .map(|(n, a, d)| (*n, *a, d.to_vec()))
            .collect();
        let mut names = vec![0u8];
        let mut name_off = Vec::new();
        for (n, _, _) in sections.iter().chain([(".shstrtab", 0, &b""[..])].iter()) {
            name_off.push(names.len() as u32);
            names.extend_from_slice(n.as_bytes());
            names.push(0);
        }
        all.push((".shstrtab", 0, names));
        let mut body = Vec::new();
        let mut placed = Vec::new();
        for (_, addr, data) in &all {
            placed.push((64 + body.len() as u64, data.len() as u64, *addr));
            body.extend_from_slice(data);
            body.resize(body.len().next_multiple_of(16), 0);
        }
        let shoff = 64 + body.len() as u64;
        let mut out = b"\x7fELF\x02\x01\x01".to_vec();
        out.resize(16, 0);
        out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        out.extend_from_slice(&62u16.to_le_bytes()); // x86-64
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&[0; 16]); // entry, phoff
        out.extend_from_slice(&shoff.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        for h in [64u16, 56, 0, 64, all.len() as u16 + 1, all.len() as u16] {
            out.extend_from_slice(&h.to_le_bytes());
        }
        out.extend_from_slice(&body);
        out.extend_from_slice(&[0; 64]);
        for (i, (off, size, addr)) in placed.iter().enumerate() {
            out.extend_from_slice(&name_off[i].to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&2u64.to_le_bytes());
            out.extend_from_slice(&addr.to_le_bytes());
            out.extend_from_slice(&off.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&[0; 8]);
            out.extend_from_slice(&16u64.to_le_bytes());
            out.extend_from_slice(&0u64.to_le_bytes());
        }
        out
    }

    const MODINFO: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6path\texample.com/cmd/tool\nmod\texample.com/tool\tv1.4.0\th1:m=\ndep\tgolang.org/x/net\tv0.17.0\th1:n=\nbuild\t-compiler=gc\n\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

    fn zlib(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn names(b: &BinaryPackages) -> Vec<String> {
        let mut v: Vec<String> = b
            .packages
            .iter()
            .map(|(c, n, v)| format!("{c:?} {n} {v}"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn go_inline_layout_and_auditable_section() {
        let vers = b"go1.21.5";
        let mut blob = b"\xff Go buildinf:\x08\x02".to_vec();
        blob.resize(32, 0);
        blob.push(vers.len() as u8);
        blob.extend_from_slice(vers);
        // MODINFO is longer than 127 bytes: a two-byte varint.
        blob.push((MODINFO.len() as u8 & 0x7f) | 0x80);
        blob.push((MODINFO.len() >> 7) as u8);
        blob.extend_from_slice(MODINFO);
        let dep = zlib(br#"{"packages":[{"name":"tool","version":"0.1.0","source":"local","root":true},{"name":"regex","version":"1.10.2","source":"crates.io"}]}"#);
        let elf = elf64(&[
            (".text", 0x40_1000, b"\x90\x90"),
            (".go.buildinfo", 0x50_0000, &blob),
            (".dep-v0", 0, &dep),
        ]);
        let got = binary_packages(&&elf[..]);
        assert!(got.problems.is_empty(), "{:?}", got.problems);
        assert_eq!(
            names(&got),
            [
                "GoBinary example.com/tool v1.4.0",
                "GoBinary golang.org/x/net v0.17.0",
                "GoBinary stdlib v1.21.5",
                "RustBinary regex 1.10.2",
            ]
        );
    }

    #[test]
    fn go_pointer_layout_before_1_18() {
        let vers = b"go1.16.15";
        let base = 0x60_0000u64;
        let mut data = Vec::new();
        for x in [
            base + 32,
            vers.len() as u64,
            base + 32 + vers.len() as u64,
            MODINFO.len() as u64,
        ] {
            data.extend_from_slice(&x.to_le_bytes());
        }
        data.extend_from_slice(vers);
        data.extend_from_slice(MODINFO);
        let mut blob = b"\xff Go buildinf:\x08\x00".to_vec();
        blob.extend_from_slice(&base.to_le_bytes());
        blob.extend_from_slice(&(base + 16).to_le_bytes());
        let elf = elf64(&[(".go.buildinfo", 0x50_0000, &blob), (".data", base, &data)]);
        let got = binary_packages(&&elf[..]);
        assert!(got.problems.is_empty(), "{:?}", got.problems);
        assert_eq!(
            names(&got),
            [
                "GoBinary example.com/tool v1.4.0",
                "GoBinary golang.org/x/net v0.17.0",
                "GoBinary stdlib v1.16.15",
            ]
        );
        // A pointer outside every section is a problem, not a panic.
        let mut bad = blob.clone();
        bad[16..24].copy_from_slice(&0xdead_0000u64.to_le_bytes());
        let elf = elf64(&[(".go.buildinfo", 0x50_0000, &bad), (".data", base, &data)]);
        let got = binary_packages(&&elf[..]);
        assert!(
            got.packages.is_empty() && got.problems.len() == 1,
            "{got:?}"
        );
    }

    fn mem_tree() -> MemHost {
        let jar = jar::tests::zip(&[(
            "META-INF/maven/org.yaml/snakeyaml/pom.properties",
            b"groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n",
            true,
        )]);
        let go = {
            let mut blob = b"\xff Go buildinf:\x08\x02".to_vec();
            blob.resize(32, 0);
            blob.extend_from_slice(b"\x08go1.22.1\x00");
            elf64(&[
                (".go.buildinfo", 0x50_0000, &blob),
                (".pad", 0, &[0u8; 5000]),
            ])
        };
        MemHost::new()
            .with(
                "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\n",
            )
            .with(
                "usr/lib/python3/dist-packages/six-1.16.0.egg-info",
                "Name: six\nVersion: 1.16.0\n",
            )
            .with(
                "usr/lib/python3/dist-packages/bad.dist-info/METADATA",
                "Name: bad\n",
            )
            .with(
                "var/lib/dpkg/info/python3-yaml:amd64.list",
                "/.\n/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info\n",
            )
            .with(
                "srv/app/node_modules/lodash/package.json",
                r#"{"name":"lodash","version":"4.17.20"}"#,
            )
            .with(
                "srv/app/node_modules/lodash/lib/package.json",
                r#"{"name":"inner","version":"9"}"#,
            )
            .with(
                "srv/app/node_modules/@babel/core/package.json",
                r#"{"name":"@babel/core","version":"7.0.0"}"#,
            )
            .with(
                "srv/app/node_modules/@babel/core/node_modules/semver/package.json",
                r#"{"name":"semver","version":"5.7.1"}"#,
            )
            .with(
                "srv/app/node_modules/.bin/x/package.json",
                r#"{"name":"dot","version":"1"}"#,
            )
            .with(
                "srv/app/package.json",
                r#"{"name":"project","version":"1.0.0"}"#,
            )
            .with(
                "var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec",
                "s.name = \"rake\"\ns.version = \"13.0.6\"\n",
            )
            .with("opt/app/lib/snakeyaml.jar", jar)
            .with_executable("usr/local/bin/tool", go.clone())
            .with("usr/local/bin/not-executable", go.clone())
            .with(
                "proc/1/root/x.dist-info/METADATA",
                "Name: proc\nVersion: 1\n",
            )
            .with(
                "home/u/target/CACHEDIR.TAG",
                "Signature: 8a477f597d28d172789f06886806bc55\n",
            )
            .with(
                "home/u/target/y.dist-info/METADATA",
                "Name: cached\nVersion: 1\n",
            )
            .with(
                "mnt/other/z.dist-info/METADATA",
                "Name: other-fs\nVersion: 1\n",
            )
            .with_mount("mnt/other")
    }

    #[test]
    fn a_root_walk_finds_each_ecosystem_where_it_lives() {
        let h = mem_tree();
        let mut p = collect(&h, &Limits::default());
        mark_dpkg_owned(&h, &Limits::default(), &mut p.packages);
        let mut got: Vec<String> = p
            .packages
            .iter()
            .map(|p| {
                format!(
                    "{} {} {} {} {}{}",
                    p.ecosystem,
                    p.name,
                    p.version,
                    p.file,
                    p.purl.as_deref().unwrap_or("-"),
                    p.owned_by
                        .as_deref()
                        .map(|o| format!(" owned_by={o}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                "Go stdlib v1.22.1 /usr/local/bin/tool pkg:golang/stdlib@v1.22.1",
                "Maven org.yaml:snakeyaml 1.33 /opt/app/lib/snakeyaml.jar pkg:maven/org.yaml/snakeyaml@1.33",
                "PyPI pyyaml 6.0 /usr/lib/python3/dist-packages/PyYAML-6.0.dist-info pkg:pypi/pyyaml@6.0 owned_by=python3-yaml",
                "PyPI six 1.16.0 /usr/lib/python3/dist-packages/six-1.16.0.egg-info pkg:pypi/six@1.16.0",
                "RubyGems rake 13.0.6 /var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec pkg:gem/rake@13.0.6",
                "npm @babel/core 7.0.0 /srv/app/node_modules/@babel/core/package.json pkg:npm/%40babel/core@7.0.0",
                "npm lodash 4.17.20 /srv/app/node_modules/lodash/package.json pkg:npm/lodash@4.17.20",
                "npm semver 5.7.1 /srv/app/node_modules/@babel/core/node_modules/semver/package.json pkg:npm/semver@5.7.1",
            ]
        );
        let issues: Vec<String> = p
            .issues
            .iter()
            .map(|i| format!("{:?} {} {}", i.kind, i.file, i.reason))
            .collect();
        assert_eq!(
            issues,
            ["BadInput /usr/lib/python3/dist-packages/bad.dist-info/METADATA no Version header"]
        );
        assert!(
            p.issues
                .iter()
                .all(|i| i.collector == Some(Collector::Python))
        );
    }

    #[test]
    fn bounds_are_limit_issues() {
        let h = mem_tree();
        let lim = Limits {
            max_root_walk_entries: 10,
            ..Limits::default()
        };
        let p = collect(&h, &lim);
        assert!(
            p.issues
                .iter()
                .any(|i| i.kind == IssueKind::Limit && i.reason.contains("walk stopped"))
        );
        let lim = Limits {
            max_root_depth: 2,
            ..Limits::default()
        };
        let p = collect(&h, &lim);
        assert!(
            p.issues
                .iter()
                .any(|i| i.kind == IssueKind::Limit && i.reason.contains("deeper than 2"))
        );
        assert!(
            p.packages.iter().all(|p| p.file.matches('/').count() <= 5),
            "{:?}",
            p.packages
        );
        let lim = Limits {
            max_root_read_bytes: 100,
            ..Limits::default()
        };
        let p = collect(&h, &lim);
        assert!(
            p.issues
                .iter()
                .any(|i| i.kind == IssueKind::Limit && i.reason.contains("bytes read"))
        );
        assert!(p.packages.len() < 3);
    }

    /// Regression: a directory removed between the listing of its parent and its own (a
    /// build's temporary directory under `/tmp`) made `caulk scan` of `/` exit 2 now and then.
    #[test]
    fn a_directory_that_vanished_is_no_issue() {
        let mut w = Walker {
            host: &MemHost::new(),
            limits: &Limits::default(),
            out: Parsed::default(),
            entries: 0,
            bytes: 0,
            bytes_hit: false,
            depth_hit: false,
            unreadable: Vec::new(),
            no_coordinates: BTreeMap::new(),
        };
        let gone = Error::Io {
            path: "/tmp/.tmpX".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(
            w.visit("/tmp/.tmpX", 2, Err(&gone)),
            ControlFlow::Continue(Vec::new())
        );
        assert!(w.unreadable.is_empty());
        let denied = Error::Io {
            path: "/root".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let _ = w.visit("/root", 1, Err(&denied));
        assert_eq!(w.unreadable.len(), 1);
    }

    /// The same walk on a real directory: symlinks are not followed, the file system is
    /// the root's, tagged caches and `/proc` are skipped.
    #[test]
    fn fs_walk_follows_no_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside/site-packages/evil-1.0.dist-info");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("METADATA"), "Name: evil\nVersion: 1.0\n").unwrap();
        let site = root.join("usr/lib/python3.11/site-packages");
        std::fs::create_dir_all(site.join("ok-2.0.dist-info")).unwrap();
        std::fs::write(
            site.join("ok-2.0.dist-info/METADATA"),
            "Name: ok\nVersion: 2.0\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("outside/site-packages/evil-1.0.dist-info"),
            site.join("evil-1.0.dist-info"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("proc/x.dist-info")).unwrap();
        std::fs::write(
            root.join("proc/x.dist-info/METADATA"),
            "Name: p\nVersion: 1\n",
        )
        .unwrap();
        let p = collect(&FsHost::new(&root), &Limits::default());
        let got: Vec<_> = p
            .packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.file))
            .collect();
        assert_eq!(
            got,
            ["ok /usr/lib/python3.11/site-packages/ok-2.0.dist-info"]
        );
        assert!(p.issues.is_empty(), "{:?}", p.issues);
    }
}
