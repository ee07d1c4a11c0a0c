//! What to inventory: a host root, source trees, SBOMs, or an inventory file someone else
//! wrote — and the one way of turning that into an [`Inventory`], shared by `caulk
//! inventory`, `caulk scan` and (later) the agent.

use crate::error::{Context, Error, Result};
use caulk_inventory::{FsHost, HostAccess, Limits};
use caulk_model::finding::TargetKind;
use caulk_model::inventory::Inventory;
use std::path::{Path, PathBuf};

/// The inputs of one inventory. Without `root`, `paths` or `sboms` the live host `/` is
/// read; with only `paths`/`sboms`, no host is read. `paths` and `sboms` name files of the
/// machine caulk runs on, whatever `root` is.
#[derive(Debug, Clone, Default)]
pub struct TargetSpec {
    /// Root directory of a host, mounted image or chroot.
    pub root: Option<PathBuf>,
    /// Directories searched for lockfiles.
    pub paths: Vec<PathBuf>,
    /// SBOM files (CycloneDX JSON/XML, SPDX JSON/tag-value).
    pub sboms: Vec<PathBuf>,
    /// An inventory JSON file (`caulk inventory` output); excludes the others.
    pub inventory: Option<PathBuf>,
}

/// An inventory and what it is of.
#[derive(Debug)]
pub struct Collected {
    pub inventory: Inventory,
    pub kind: TargetKind,
    /// The target as the user named it (`None`: the live host).
    pub path: Option<String>,
}

impl TargetSpec {
    /// Whether a host (the live one or `root`) is read.
    pub fn reads_host(&self) -> bool {
        self.root.is_some() || (self.paths.is_empty() && self.sboms.is_empty())
    }
}

/// An absolute, UTF-8 path (collectors take paths as strings).
fn absolute(p: &Path) -> Result<String> {
    let abs = std::path::absolute(p).with_context(|| format!("{}", p.display()))?;
    abs.to_str()
        .map(str::to_string)
        .with_context(|| format!("{}: path is not UTF-8", p.display()))
}

/// Read an inventory JSON file: bounded, regular files only, format version checked.
pub fn read_inventory_file(file: &Path, limits: &Limits) -> Result<Inventory> {
    let abs = absolute(file)?;
    let text = FsHost::new("/")
        .read(&abs, limits.max_text_bytes)
        .with_context(|| format!("reading {}", file.display()))?
        .with_context(|| format!("reading {}: no such file", file.display()))?;
    let inv: Inventory = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not an inventory JSON document", file.display()))?;
    if !inv.format_supported() {
        return Err(Error::msg(format!(
            "{}: inventory format_version {} is not supported (this caulk reads {})",
            file.display(),
            inv.format_version,
            caulk_model::inventory::FORMAT_VERSION
        )));
    }
    Ok(inv)
}

/// Collect the inventory `spec` names, in the order the collectors ran (not normalized:
/// [`Inventory::normalize`] sorts and merges when the caller wants it).
pub fn collect(spec: &TargetSpec) -> Result<Collected> {
    let limits = Limits::default();
    if let Some(file) = &spec.inventory {
        return Ok(Collected {
            inventory: read_inventory_file(file, &limits)?,
            kind: TargetKind::Inventory,
            path: Some(file.display().to_string()),
        });
    }
    preflight(spec)?;
    let read_host = spec.reads_host();
    let mut kind = TargetKind::Host;
    let mut path = None;
    let mut inv = if read_host {
        let root = spec.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let canon = root
            .canonicalize()
            .with_context(|| format!("--root {}", root.display()))?;
        if !canon.is_dir() {
            return Err(Error::msg(format!(
                "--root {}: not a directory",
                root.display()
            )));
        }
        let host = if canon == Path::new("/") {
            FsHost::live()
        } else {
            kind = TargetKind::Root;
            path = Some(root.display().to_string());
            FsHost::new(canon)
        };
        caulk_inventory::inventory_host(&host, &limits)
    } else {
        Inventory::default()
    };
    let local = FsHost::new("/");
    for p in &spec.paths {
        let abs = absolute(p)?;
        caulk_inventory::scan_path(&local, &abs, &limits, &mut inv);
        if !read_host {
            kind = TargetKind::Path;
            path.get_or_insert_with(|| p.display().to_string());
        }
    }
    for s in &spec.sboms {
        let abs = absolute(s)?;
        caulk_inventory::read_sbom(&local, &abs, &limits, &mut inv);
        if !read_host && spec.paths.is_empty() {
            kind = TargetKind::Sbom;
            path.get_or_insert_with(|| s.display().to_string());
        }
    }
    Ok(Collected {
        inventory: inv,
        kind,
        path,
    })
}

/// Every input named on the command line exists and is of the right kind, before anything
/// is read or written (a scan checks it before importing a mirror): a typo must be an
/// error, not a clean scan of nothing.
pub fn preflight(spec: &TargetSpec) -> Result<()> {
    /// `flag path` must be a directory (`dir`) or a regular file.
    fn check(flag: &str, p: &Path, dir: bool) -> Result<()> {
        let (ok, kind) = if dir {
            (p.is_dir(), "directory")
        } else {
            (p.is_file(), "file")
        };
        if ok {
            return Ok(());
        }
        let why = match (p.exists(), dir) {
            (false, _) => format!("no such {kind}"),
            (true, true) => "not a directory".into(),
            (true, false) => "not a regular file".into(),
        };
        Err(Error::msg(format!("{flag} {}: {why}", p.display())))
    }
    if let Some(f) = &spec.inventory {
        check("--inventory", f, false)?;
    }
    if let Some(r) = &spec.root {
        check("--root", r, true)?;
    }
    for p in &spec.paths {
        check("--path", p, true)?;
    }
    for s in &spec.sboms {
        check("--sbom", s, false)?;
    }
    Ok(())
}

/// An input that gave nothing because it could not be read: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub input: String,
    pub reason: String,
}

/// The inputs of `inv` that could not be read at all: a file the collectors refused whole
/// (malformed or unreadable, and not one package came from it — a bad record in a file that
/// gave other packages is a reported issue, not a lost input), an SBOM named on the command
/// line that is not one, and a root in which neither an OS nor a package database was found.
pub fn unread(spec: &TargetSpec, inv: &Inventory) -> Vec<Unread> {
    use caulk_model::inventory::IssueKind;
    use std::collections::BTreeMap;
    let gave: std::collections::HashSet<&str> =
        inv.packages.iter().map(|p| p.file.as_str()).collect();
    // An SBOM named on the command line that is no SBOM at all is lost too.
    let named: std::collections::HashSet<String> =
        spec.sboms.iter().filter_map(|s| absolute(s).ok()).collect();
    let mut lost: BTreeMap<&str, &str> = BTreeMap::new();
    for i in &inv.issues {
        // A bad file met by the root walk for language packages is reported, not a lost
        // input: nobody named it, and one broken package.json must not fail a host scan.
        if i.collector.is_some_and(|c| c.walks_root()) {
            continue;
        }
        let whole = match i.kind {
            IssueKind::BadInput | IssueKind::Unreadable | IssueKind::Limit => true,
            IssueKind::Unsupported => named.contains(&i.file),
            _ => false,
        };
        // OS facts (os-release, machine-id, …) and directories met on a walk are not inputs
        // packages come from: their issues are reported, not counted as lost input.
        let facts = ["/etc/", "/proc/", "/sys/", "/run/"]
            .iter()
            .any(|p| i.file.starts_with(p));
        // A directory of the root (`--root DIR`: collectors name paths inside it) or of
        // the machine caulk runs on (`--path`).
        let dir = std::path::Path::new(&i.file).is_dir()
            || spec
                .root
                .as_ref()
                .is_some_and(|r| r.join(i.file.trim_start_matches('/')).is_dir());
        if whole && !facts && !dir && !gave.contains(i.file.as_str()) {
            lost.entry(i.file.as_str()).or_insert(i.reason.as_str());
        }
    }
    let mut out: Vec<Unread> = lost
        .into_iter()
        .map(|(f, r)| Unread {
            input: f.to_string(),
            reason: r.to_string(),
        })
        .collect();
    if let Some(root) = &spec.root
        && inv.host.os.is_none()
        && !inv.packages.iter().any(|p| {
            matches!(
                p.collector,
                caulk_model::inventory::Collector::Dpkg
                    | caulk_model::inventory::Collector::Rpm
                    | caulk_model::inventory::Collector::Apk
            )
        })
    {
        out.push(Unread {
            input: format!("--root {}", root.display()),
            reason: "no os-release and no package database (dpkg, rpm, apk) found: not a host or image root".into(),
        });
    }
    out
}
