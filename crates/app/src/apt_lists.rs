//! The host's apt lists (`/var/lib/apt/lists/*Packages*`) read for installability, through a
//! persistent cache. Reading them is the collector's (`caulk_inventory::apt`, through
//! `HostAccess`); this module chooses where they are read ([`ListsDir`]) and keeps what they
//! said.
//!
//! Reading the lists is most of a host scan: bookworm main amd64 is 60 000 stanzas, 50 MB
//! decompressed, of which a host keeps a few thousand candidates. The cache stores those
//! candidates and the issues the read produced, under a key that changes whenever the result
//! could: the cache format and caulk version, the canonical lists directory, every list file
//! (name, size, mtime, ctime, inode, device, mode; or that nothing is there) and the set of
//! wanted package names. A cache that is missing, stale, corrupt or unreadable is a miss: the
//! lists are read as without a cache, and the cache is rewritten (atomically, errors ignored).
//! Output is the same with and without the cache: issues name their file by the directory as
//! given this time.
//!
//! Not cached: a read that met an OS error (a list that could not be opened or read), since
//! that is a fact about this run, not about the lists.
//!
//! Trust: the cache says which fixes are installable, so another local user must not be able
//! to plant one. The cache directory is created private (0700) and a cache file is read only
//! when it and its directory belong to the user running the scan and neither is writable by
//! group or others; anything else is a miss (and is not overwritten through). The cache is
//! state of the machine caulk runs on, not of the host read: it is the one part of this
//! module that uses the filesystem directly.

use crate::error::{Context, Result};
use caulk_inventory::apt::{self, ListIssue, Lists};
use caulk_inventory::{FsHost, HostAccess};
use caulk_model::apt::{AptCandidate, AptIndex};
use caulk_model::finding::{IssueStage, ScanIssue};
use caulk_model::inventory::{Collector, Inventory, IssueKind};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Bump when the cache layout, or what reading a list yields (parsing, issue texts), changes.
const CACHE_FORMAT: u32 = 2;
const CACHE_MAGIC: &[u8; 8] = b"CAULKAPT";
/// A cache file larger than this is not read.
const MAX_CACHE_BYTES: u64 = 64 << 20;

/// The cache directory: `CAULK_CACHE_DIR`, else `$XDG_CACHE_HOME/caulk` (when absolute), else
/// `$HOME/.cache/caulk`.
pub fn default_cache_dir() -> Option<PathBuf> {
    cache_dir_from(|v| std::env::var_os(v))
}

fn cache_dir_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    if let Some(d) = var("CAULK_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CACHE_HOME").map(PathBuf::from)
        && d.is_absolute()
    {
        return Some(d.join("caulk"));
    }
    var("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .map(|h| h.join(".cache").join("caulk"))
}

/// What the cache did for one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheOutcome {
    /// No cache directory, or the lists could not be keyed (a directory that cannot be
    /// resolved).
    Disabled,
    /// Read from the cache.
    Hit,
    /// Read from the lists (the cache was then written, if it could be).
    Miss,
}

/// An apt lists directory: the host it is read through, its path there, and the path issues
/// name it by.
#[derive(Debug, Clone)]
pub struct ListsDir {
    host: FsHost,
    dir: String,
    shown: PathBuf,
}

impl ListsDir {
    /// `--apt-lists DIR`: a directory of the machine caulk runs on, taken as given (its
    /// symlinks are followed wherever they lead).
    pub fn given(dir: &Path) -> Result<ListsDir> {
        let what = || format!("--apt-lists {}", dir.display());
        let abs = std::path::absolute(dir).with_context(what)?;
        let path = abs
            .to_str()
            .with_context(|| format!("{}: not UTF-8", what()))?;
        Ok(ListsDir {
            host: FsHost::new("/"),
            dir: path.to_string(),
            shown: dir.to_path_buf(),
        })
    }

    /// apt's lists of a root (an image, a mounted system, or `/`): they resolve inside it, as
    /// every collector's files do.
    pub fn in_root(root: &Path) -> ListsDir {
        ListsDir {
            host: FsHost::new(root),
            dir: apt::LISTS.to_string(),
            shown: root.join(apt::LISTS.trim_start_matches('/')),
        }
    }

    /// When the archive last published what these lists say (the newest `Date:` of their
    /// `Release` files), if any says.
    pub fn release_date(&self) -> Option<jiff::civil::Date> {
        apt::release_date(&self.host, &self.dir)
    }

    /// The path the lists are named by in messages.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// Whether it holds any `Packages` list.
    pub fn has_lists(&self) -> bool {
        apt::list_names(&self.host, &self.dir).is_ok_and(|n| n.is_some_and(|n| !n.is_empty()))
    }

    /// The lists read into an index of the dpkg packages of `inv`; problems become `issues`.
    /// With `cache_dir`, a cache of the result is used and kept there.
    pub fn read(
        &self,
        inv: &Inventory,
        issues: &mut Vec<ScanIssue>,
        cache_dir: Option<&Path>,
    ) -> Result<AptIndex> {
        self.read_inner(inv, issues, cache_dir)
            .map(|(index, _)| index)
    }

    fn names(&self) -> Result<Vec<String>> {
        let what = || format!("--apt-lists {}", self.shown.display());
        match apt::list_names(&self.host, &self.dir) {
            Ok(Some(names)) => Ok(names),
            Ok(None) => {
                let errno = if self.host.exists(&self.dir) {
                    rustix::io::Errno::NOTDIR
                } else {
                    rustix::io::Errno::NOENT
                };
                Err(std::io::Error::from(errno)).with_context(what)
            }
            Err(caulk_inventory::Error::Io { source, .. }) => Err(source).with_context(what),
            Err(e) => Err(e).with_context(what),
        }
    }

    pub(crate) fn read_inner(
        &self,
        inv: &Inventory,
        issues: &mut Vec<ScanIssue>,
        cache_dir: Option<&Path>,
    ) -> Result<(AptIndex, CacheOutcome)> {
        let names = self.names()?;
        let mut wanted: Vec<&str> = inv
            .packages
            .iter()
            .filter(|p| p.collector == Collector::Dpkg)
            .map(|p| p.name.as_str())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let wanted_set: HashSet<&str> = wanted.iter().copied().collect();
        let is_wanted = |p: &str| wanted_set.contains(p);
        let to_issue = |i: ListIssue| ScanIssue {
            stage: IssueStage::Installability,
            kind: i.kind.into(),
            file: names
                .get(i.list)
                .map(|n| self.shown.join(n).display().to_string()),
            record: i.record,
            reason: i.reason,
        };
        let read = || apt::read_lists(&self.host, &self.dir, &names, &is_wanted);

        let Some((cache_dir, file, key)) =
            cache_dir.and_then(|c| self.cache_key(&names, &wanted).map(|(f, k)| (c, f, k)))
        else {
            let got = read();
            issues.extend(got.issues.into_iter().map(to_issue));
            return Ok((got.index, CacheOutcome::Disabled));
        };
        let path = cache_dir.join(&file);
        if let Some((index, cached)) = load(&path, &key, names.len()) {
            issues.extend(cached.into_iter().map(to_issue));
            return Ok((index, CacheOutcome::Hit));
        }
        let got = read();
        // A list replaced while it was read gives a key that no longer describes it.
        if got.cacheable
            && self
                .cache_key(&names, &wanted)
                .is_some_and(|(_, after)| after == key)
        {
            let _ = store(cache_dir, &path, &key, &got);
        }
        issues.extend(got.issues.into_iter().map(to_issue));
        Ok((got.index, CacheOutcome::Miss))
    }

    /// The cache file name for these lists and the key the cache must carry to be valid;
    /// `None` when the directory cannot be resolved. Each list is described where reading
    /// it through the host leads (inside the root), by `stat` of this machine.
    fn cache_key(&self, names: &[String], wanted: &[&str]) -> Option<(String, Vec<u8>)> {
        let canon = self.host.resolve(&self.dir).ok()?.canonicalize().ok()?;
        let dir_hash = Sha256::digest(canon.as_os_str().as_bytes());
        let file: String = dir_hash[..16].iter().map(|b| format!("{b:02x}")).collect();
        let mut key = Vec::with_capacity(256 + 96 * names.len());
        key.extend_from_slice(&CACHE_FORMAT.to_le_bytes());
        put_bytes(&mut key, env!("CARGO_PKG_VERSION").as_bytes())?;
        key.extend_from_slice(&apt::MAX_INDEX_BYTES.to_le_bytes());
        put_bytes(&mut key, canon.as_os_str().as_bytes())?;
        put_u32(&mut key, names.len())?;
        for name in names {
            put_bytes(&mut key, name.as_bytes())?;
            let Some(m) = self
                .host
                .resolve(&apt::list_path(&self.dir, name))
                .ok()
                .and_then(|p| std::fs::metadata(p).ok())
            else {
                // Nothing there to read (a dangling link): reading says so.
                key.push(0);
                continue;
            };
            key.push(1);
            for n in [m.size(), m.ino(), m.dev(), u64::from(m.mode())] {
                key.extend_from_slice(&n.to_le_bytes());
            }
            for n in [m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec()] {
                key.extend_from_slice(&n.to_le_bytes());
            }
        }
        let mut h = Sha256::new();
        for w in wanted {
            h.update((w.len() as u64).to_le_bytes());
            h.update(w.as_bytes());
        }
        key.extend_from_slice(&h.finalize());
        Some((format!("apt-{file}.bin"), key))
    }
}

// ---------------------------------------------------------------------------------------
// The cache file.
//
// `CAULKAPT`, u32 key length, key, u32 string count, strings (u32 length, UTF-8), u32 origin
// count, origins (string numbers), u32 candidate count, candidates (6 string numbers:
// package, version, source, source version, arch, origin), u32 issue count, issues (u32 file,
// u8 kind, u32 record string number + 1 or 0, u32 reason string number), then the SHA-256 of
// everything before. Integers little-endian.

fn put_u32(out: &mut Vec<u8>, n: usize) -> Option<()> {
    out.extend_from_slice(&u32::try_from(n).ok()?.to_le_bytes());
    Some(())
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) -> Option<()> {
    put_u32(out, b.len())?;
    out.extend_from_slice(b);
    Some(())
}

fn kind_code(k: IssueKind) -> Option<u8> {
    match k {
        IssueKind::BadInput => Some(0),
        IssueKind::Limit => Some(1),
        IssueKind::Unreadable => Some(2),
        _ => None,
    }
}

fn code_kind(c: u8) -> Option<IssueKind> {
    match c {
        0 => Some(IssueKind::BadInput),
        1 => Some(IssueKind::Limit),
        2 => Some(IssueKind::Unreadable),
        _ => None,
    }
}

/// Strings numbered in the order first met.
#[derive(Debug, Default)]
struct Strings<'a> {
    list: Vec<&'a str>,
    numbers: HashMap<&'a str, u32>,
}

impl<'a> Strings<'a> {
    fn number(&mut self, s: &'a str) -> Option<u32> {
        if let Some(&n) = self.numbers.get(s) {
            return Some(n);
        }
        let n = u32::try_from(self.list.len()).ok()?;
        self.list.push(s);
        self.numbers.insert(s, n);
        Some(n)
    }

    fn put(&mut self, s: &'a str, out: &mut Vec<u8>) -> Option<()> {
        out.extend_from_slice(&self.number(s)?.to_le_bytes());
        Some(())
    }
}

/// The cache file's bytes; `None` if something does not fit the format.
fn encode(key: &[u8], lists: &Lists) -> Option<Vec<u8>> {
    let mut strings = Strings::default();
    let mut body = Vec::new();
    put_u32(&mut body, lists.index.origins.len())?;
    for o in &lists.index.origins {
        strings.put(o, &mut body)?;
    }
    let candidates: Vec<&AptCandidate> = lists.index.candidates().collect();
    put_u32(&mut body, candidates.len())?;
    for c in candidates {
        for s in [
            &c.package,
            &c.version,
            &c.source,
            &c.source_version,
            &c.arch,
            &c.origin,
        ] {
            strings.put(s, &mut body)?;
        }
    }
    put_u32(&mut body, lists.issues.len())?;
    for i in &lists.issues {
        put_u32(&mut body, i.list)?;
        body.push(kind_code(i.kind)?);
        // The record's string number + 1; 0 for none.
        let record = match &i.record {
            Some(r) => strings.number(r)?.checked_add(1)?,
            None => 0,
        };
        body.extend_from_slice(&record.to_le_bytes());
        strings.put(&i.reason, &mut body)?;
    }
    let table: usize = strings.list.iter().map(|s| 4 + s.len()).sum();
    let mut out = Vec::with_capacity(16 + key.len() + table + body.len() + 32);
    out.extend_from_slice(CACHE_MAGIC);
    put_bytes(&mut out, key)?;
    put_u32(&mut out, strings.list.len())?;
    for s in &strings.list {
        put_bytes(&mut out, s.as_bytes())?;
    }
    out.extend_from_slice(&body);
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    Some(out)
}

/// Bytes read front to back; every read is bounds-checked.
#[derive(Debug)]
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.rest.split_at_checked(n)?;
        self.rest = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// A count of items of at least `size` bytes each, checked against what is left.
    fn count(&mut self, size: usize) -> Option<usize> {
        let n = usize::try_from(self.u32()?).ok()?;
        (n.checked_mul(size)? <= self.rest.len()).then_some(n)
    }
}

/// The cached index and issues at `path`, if the file is there, readable, whole and keyed
/// `key`, for `files` lists.
fn load(path: &Path, key: &[u8], files: usize) -> Option<(AptIndex, Vec<ListIssue>)> {
    if !private(path.parent()?) {
        return None;
    }
    let f = std::fs::File::open(path).ok()?;
    let m = f.metadata().ok()?;
    if !m.is_file() || !owned_private(&m) || m.len() > MAX_CACHE_BYTES {
        return None;
    }
    let mut data = Vec::new();
    f.take(MAX_CACHE_BYTES + 1).read_to_end(&mut data).ok()?;
    if data.len() as u64 > MAX_CACHE_BYTES {
        return None;
    }
    decode(&data, key, files)
}

fn decode(data: &[u8], key: &[u8], files: usize) -> Option<(AptIndex, Vec<ListIssue>)> {
    let (body, sum) = data.split_at_checked(data.len().checked_sub(32)?)?;
    let mut r = Reader { rest: body };
    if r.take(CACHE_MAGIC.len())? != CACHE_MAGIC {
        return None;
    }
    let key_len = usize::try_from(r.u32()?).ok()?;
    if r.take(key_len)? != key {
        return None;
    }
    if Sha256::digest(body).as_slice() != sum {
        return None;
    }
    let n = r.count(4)?;
    let mut strings = Vec::with_capacity(n);
    for _ in 0..n {
        let len = usize::try_from(r.u32()?).ok()?;
        strings.push(std::str::from_utf8(r.take(len)?).ok()?);
    }
    let string =
        |r: &mut Reader| -> Option<&str> { strings.get(usize::try_from(r.u32()?).ok()?).copied() };
    let n = r.count(4)?;
    let mut origins = Vec::with_capacity(n);
    for _ in 0..n {
        origins.push(string(&mut r)?.to_string());
    }
    let n = r.count(24)?;
    let mut candidates = Vec::with_capacity(n);
    for _ in 0..n {
        candidates.push(AptCandidate {
            package: string(&mut r)?.to_string(),
            version: string(&mut r)?.to_string(),
            source: string(&mut r)?.to_string(),
            source_version: string(&mut r)?.to_string(),
            arch: string(&mut r)?.to_string(),
            origin: string(&mut r)?.to_string(),
        });
    }
    let n = r.count(13)?;
    let mut issues = Vec::with_capacity(n);
    for _ in 0..n {
        let file = usize::try_from(r.u32()?).ok()?;
        if file >= files {
            return None;
        }
        let kind = code_kind(r.u8()?)?;
        let record = match r.u32()? {
            0 => None,
            n => Some(strings.get(usize::try_from(n - 1).ok()?)?.to_string()),
        };
        let reason = string(&mut r)?.to_string();
        issues.push(ListIssue {
            list: file,
            kind,
            record,
            reason,
        });
    }
    if !r.rest.is_empty() {
        return None;
    }
    Some((AptIndex::from_parts(candidates, origins), issues))
}

/// Owned by the user running this process and not writable by group or others.
fn owned_private(m: &std::fs::Metadata) -> bool {
    m.uid() == rustix::process::geteuid().as_raw() && m.mode() & 0o022 == 0
}

/// `dir` (not followed if a symlink) is a directory that is [`owned_private`].
fn private(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && owned_private(&m))
}

/// Write the cache file `path` atomically; `None` on any error (the cache is optional).
fn store(cache_dir: &Path, path: &Path, key: &[u8], lists: &Lists) -> Option<()> {
    let bytes = encode(key, lists)?;
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(cache_dir)
            .ok()?;
    }
    if !private(cache_dir) {
        return None;
    }
    // The Cache Directory Tagging mark: a root scan's language-package walk (and backup
    // tools) skip a tagged directory, so caulk never inventories its own cache.
    let tag = cache_dir.join("CACHEDIR.TAG");
    if std::fs::symlink_metadata(&tag).is_err() {
        let _ = std::fs::write(
            &tag,
            "Signature: 8a477f597d28d172789f06886806bc55\n\
             # This file is a cache directory tag created by caulk.\n\
             # For information about cache directory tags, see https://bford.info/cachedir/\n",
        );
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let written = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
    }
    .and_then(|mut f| f.write_all(&bytes))
    .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return None;
    }
    Some(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use caulk_model::finding::ScanIssueKind;
    use caulk_model::inventory::{InstallState, Package};
    use std::time::{Duration, SystemTime};

    const MAIN: &str = "Package: libssl3\nSource: openssl\nVersion: 3.0.17-1~deb12u2\nArchitecture: amd64\n\nPackage: openssl\nVersion: 3.0.17-1~deb12u2\nArchitecture: amd64\n\nPackage: unrelated\nVersion: 1\n\nArchitecture: all\n";
    const SEC: &str = "Package: libssl3\nSource: openssl\nVersion: 3.0.22-1~deb12u2\nArchitecture: amd64\n\nPackage: curl\nSource: curl (7.88.1-10)\nVersion: 7.88.1-10+b1\nArchitecture: amd64\n";
    const MAIN_FILE: &str = "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages";
    const SEC_FILE: &str =
        "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages";

    fn inv(names: &[&str]) -> Inventory {
        let mut inv = Inventory::default();
        for n in names {
            inv.packages.push(Package {
                ecosystem: "Debian:12".into(),
                name: n.to_string(),
                version: "1".into(),
                arch: Some("amd64".into()),
                source_name: None,
                source_version: None,
                purl: None,
                vendor: None,
                file: "/var/lib/dpkg/status".into(),
                owned_by: None,
                state: InstallState::Installed,
                collector: Collector::Dpkg,
            });
        }
        inv
    }

    /// A lists directory and an empty place for the cache.
    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let lists = tmp.path().join("lists");
        std::fs::create_dir(&lists).unwrap();
        std::fs::write(lists.join(MAIN_FILE), MAIN).unwrap();
        std::fs::write(lists.join(SEC_FILE), SEC).unwrap();
        std::fs::write(lists.join("lock"), "").unwrap();
        let cache = tmp.path().join("cache").join("caulk");
        (tmp, lists, cache)
    }

    fn read(
        lists: &Path,
        inv: &Inventory,
        cache: Option<&Path>,
    ) -> (AptIndex, Vec<ScanIssue>, CacheOutcome) {
        let mut issues = Vec::new();
        let (index, outcome) = ListsDir::given(lists)
            .unwrap()
            .read_inner(inv, &mut issues, cache)
            .unwrap();
        (index, issues, outcome)
    }

    /// The cache's files but its `CACHEDIR.TAG`.
    fn cache_files(cache: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(cache)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| !p.ends_with("CACHEDIR.TAG"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    const WANTED: &[&str] = &["libssl3", "openssl", "curl"];

    /// Lists inside a root resolve inside it: an absolute symlink names a file of the root,
    /// not of the host; a FIFO is skipped, not opened (opening one blocks).
    #[test]
    fn lists_in_a_root_stay_in_it_and_fifos_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let lists = root.join("var/lib/apt/lists");
        std::fs::create_dir_all(&lists).unwrap();
        std::fs::write(lists.join(MAIN_FILE), MAIN).unwrap();
        // Outside the root: a planted fix the scan must not see.
        let outside = tmp.path().join("planted_Packages");
        std::fs::write(
            &outside,
            "Package: openssl\nVersion: 99.0\nArchitecture: amd64\n\n",
        )
        .unwrap();
        let link = "evil.example_dists_x_main_binary-amd64_Packages";
        std::os::unix::fs::symlink(&outside, lists.join(link)).unwrap();
        let fifo = lists.join("fifo.example_dists_x_main_binary-amd64_Packages");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");

        let inv = inv(WANTED);
        let mut issues = Vec::new();
        let (index, _) = ListsDir::in_root(&root)
            .read_inner(&inv, &mut issues, None)
            .unwrap();
        let bins = vec![("openssl".to_string(), Some("amd64".to_string()))];
        assert!(
            caulk_assess::apt::installable(&index, "openssl", "99.0", &bins).is_none(),
            "a list outside the root was read"
        );
        let about = |name: &str| {
            issues
                .iter()
                .find(|i| i.file.as_deref().is_some_and(|f| f.ends_with(name)))
                .map(|i| i.reason.clone())
        };
        assert_eq!(
            about("fifo.example_dists_x_main_binary-amd64_Packages").as_deref(),
            Some("not a regular file: skipped")
        );
        assert!(
            about(link).is_some(),
            "the dangling in-root link is an issue: {issues:?}"
        );
        // Without a root (the live host, `--apt-lists`), the link is followed as given.
        let mut issues = Vec::new();
        let (index, _) = ListsDir::given(&lists)
            .unwrap()
            .read_inner(&inv, &mut issues, None)
            .unwrap();
        assert!(caulk_assess::apt::installable(&index, "openssl", "99.0", &bins).is_some());
    }

    #[test]
    fn a_miss_writes_the_cache_and_a_hit_gives_the_same_index_and_issues() {
        let (_tmp, lists, cache) = setup();
        let inv = inv(WANTED);
        let (want, want_issues, o) = read(&lists, &inv, None);
        assert_eq!(o, CacheOutcome::Disabled);
        assert_eq!(want.len(), 4);
        assert_eq!(want_issues.len(), 1, "{want_issues:?}");
        assert_eq!(want_issues[0].record.as_deref(), Some("stanza 4"));

        let (got, issues, o) = read(&lists, &inv, Some(&cache));
        assert_eq!(o, CacheOutcome::Miss);
        assert_eq!((&got, &issues), (&want, &want_issues));
        let files = cache_files(&cache);
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().to_string();
        assert!(name.starts_with("apt-") && name.ends_with(".bin"), "{name}");
        // Tagged as a cache: a root scan's walk (and backup tools) skip it.
        let tag = std::fs::read(cache.join("CACHEDIR.TAG")).unwrap();
        assert!(tag.starts_with(b"Signature: 8a477f597d28d172789f06886806bc55"));

        let (got, issues, o) = read(&lists, &inv, Some(&cache));
        assert_eq!(o, CacheOutcome::Hit);
        assert_eq!((&got, &issues), (&want, &want_issues));
        let bins = vec![("libssl3".to_string(), Some("amd64".to_string()))];
        let fix = caulk_assess::apt::installable(&got, "openssl", "3.0.20", &bins).unwrap();
        assert_eq!(fix.origin, "bookworm-security/main");
        assert_eq!(cache_files(&cache), files, "no temporary file left");
    }

    /// A cache another user could have written is never read, and a planted answer (a fix
    /// "installable" from nowhere) does not reach the index.
    #[test]
    fn a_cache_others_can_write_is_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, lists, cache) = setup();
        let inv = inv(WANTED);
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Miss);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let file = cache_files(&cache).remove(0);
        assert_eq!(mode(&cache), 0o700, "created private");
        assert_eq!(mode(&file), 0o600, "written private");
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Hit);
        // A group- or world-writable file: a miss, and the rewrite replaces it privately.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Miss);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Hit);
        // A world-writable directory: never read nor written.
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
        let before = std::fs::read(&file).unwrap();
        let (got, _, o) = read(&lists, &inv, Some(&cache));
        assert_eq!(o, CacheOutcome::Miss);
        assert_eq!(got.len(), 4);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "not rewritten either"
        );
    }

    #[test]
    fn issues_name_the_directory_as_given_this_time() {
        let (tmp, lists, cache) = setup();
        let inv = inv(WANTED);
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Miss);
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&lists, &link).unwrap();
        let (want, want_issues, _) = read(&link, &inv, None);
        let (got, issues, o) = read(&link, &inv, Some(&cache));
        assert_eq!(o, CacheOutcome::Hit, "same canonical directory");
        assert_eq!((&got, &issues), (&want, &want_issues));
        assert!(issues[0].file.as_deref().unwrap().contains("/link/"));
    }

    #[test]
    fn a_changed_list_is_a_miss() {
        let (_tmp, lists, cache) = setup();
        let inv = inv(WANTED);
        read(&lists, &inv, Some(&cache));
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Hit);

        // Size.
        let more =
            format!("{SEC}\nPackage: curl\nVersion: 7.88.1-10+deb12u9\nArchitecture: amd64\n");
        std::fs::write(lists.join(SEC_FILE), &more).unwrap();
        let (got, _, o) = read(&lists, &inv, Some(&cache));
        assert_eq!(o, CacheOutcome::Miss);
        assert_eq!(got.len(), 5);
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Hit);

        // Same size and content, another mtime.
        let f = std::fs::File::options()
            .write(true)
            .open(lists.join(SEC_FILE))
            .unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000))
            .unwrap();
        drop(f);
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Miss);
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Hit);

        // A list removed, a list added.
        std::fs::remove_file(lists.join(MAIN_FILE)).unwrap();
        let (got, _, o) = read(&lists, &inv, Some(&cache));
        assert_eq!((got.len(), o), (3, CacheOutcome::Miss));
        std::fs::write(lists.join(MAIN_FILE), MAIN).unwrap();
        let (got, _, o) = read(&lists, &inv, Some(&cache));
        assert_eq!((got.len(), o), (5, CacheOutcome::Miss));
        assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Hit);
    }

    #[test]
    fn another_wanted_set_is_a_miss() {
        let (_tmp, lists, cache) = setup();
        read(&lists, &inv(WANTED), Some(&cache));
        let (got, _, o) = read(&lists, &inv(&["libssl3", "openssl"]), Some(&cache));
        assert_eq!((got.len(), o), (3, CacheOutcome::Miss));
        let (got, _, o) = read(&lists, &inv(&["libssl3", "openssl"]), Some(&cache));
        assert_eq!((got.len(), o), (3, CacheOutcome::Hit));
        // Order and duplicates of the inventory do not matter.
        let (got, _, o) = read(
            &lists,
            &inv(&["openssl", "libssl3", "openssl"]),
            Some(&cache),
        );
        assert_eq!((got.len(), o), (3, CacheOutcome::Hit));
        // Names are not merely concatenated.
        let (got, _, o) = read(&lists, &inv(&["libssl3open", "ssl"]), Some(&cache));
        assert_eq!((got.len(), o), (0, CacheOutcome::Miss));
    }

    #[test]
    fn a_corrupt_cache_is_a_miss_and_is_rewritten() {
        let (_tmp, lists, cache) = setup();
        let inv = inv(WANTED);
        let (want, want_issues, _) = read(&lists, &inv, None);
        read(&lists, &inv, Some(&cache));
        let file = cache_files(&cache).remove(0);
        let good = std::fs::read(&file).unwrap();

        // Every truncation and every flipped byte is refused by the decoder.
        let mut names: Vec<String> = vec![MAIN_FILE.into(), SEC_FILE.into()];
        names.sort();
        let key = ListsDir::given(&lists)
            .unwrap()
            .cache_key(&names, WANTED_SORTED)
            .unwrap()
            .1;
        assert!(decode(&good, &key, 2).is_some());
        for len in 0..good.len() {
            assert!(
                decode(&good[..len], &key, 2).is_none(),
                "truncated to {len}"
            );
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            assert!(decode(&bad, &key, 2).is_none(), "byte {i} flipped");
        }

        let mut garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        garbage[..8].copy_from_slice(CACHE_MAGIC);
        for bytes in [&good[..good.len() / 2], &[][..], &garbage[..]] {
            std::fs::write(&file, bytes).unwrap();
            let (got, issues, o) = read(&lists, &inv, Some(&cache));
            assert_eq!(o, CacheOutcome::Miss);
            assert_eq!((&got, &issues), (&want, &want_issues));
            assert_eq!(std::fs::read(&file).unwrap(), good, "rewritten");
            assert_eq!(read(&lists, &inv, Some(&cache)).2, CacheOutcome::Hit);
        }
    }

    const WANTED_SORTED: &[&str] = &["curl", "libssl3", "openssl"];

    #[test]
    fn an_unusable_cache_dir_changes_nothing() {
        let (tmp, lists, _) = setup();
        let inv = inv(WANTED);
        let (want, want_issues, _) = read(&lists, &inv, None);
        // A directory that cannot be created: its parent is a file.
        std::fs::write(tmp.path().join("file"), "").unwrap();
        let cache = tmp.path().join("file").join("caulk");
        for _ in 0..2 {
            let (got, issues, o) = read(&lists, &inv, Some(&cache));
            assert_eq!(o, CacheOutcome::Miss);
            assert_eq!((&got, &issues), (&want, &want_issues));
        }
        // A cache file that is a directory.
        let cache = tmp.path().join("cache2");
        read(&lists, &inv, Some(&cache));
        let file = cache_files(&cache).remove(0);
        std::fs::remove_file(&file).unwrap();
        std::fs::create_dir(&file).unwrap();
        for _ in 0..2 {
            let (got, issues, o) = read(&lists, &inv, Some(&cache));
            assert_eq!(o, CacheOutcome::Miss);
            assert_eq!((&got, &issues), (&want, &want_issues));
        }
    }

    #[test]
    fn an_os_error_is_not_cached() {
        let (_tmp, lists, cache) = setup();
        // A regular file that opens, then fails to read: EIO (even for root).
        std::os::unix::fs::symlink("/proc/self/mem", lists.join("x_Packages")).unwrap();
        let inv = inv(WANTED);
        for _ in 0..2 {
            let (got, issues, o) = read(&lists, &inv, Some(&cache));
            assert_eq!(o, CacheOutcome::Miss);
            assert_eq!(got.len(), 4);
            assert!(
                issues.iter().any(|i| i.kind == ScanIssueKind::Unreadable),
                "{issues:?}"
            );
        }
        assert!(cache_files(&cache).is_empty());
    }

    #[test]
    fn compressed_lists_read_as_plain_ones_and_corrupt_ones_are_issues() {
        use std::io::Write;
        let (_tmp, lists, _cache) = setup();
        let inv = inv(WANTED);
        let (want, _, _) = read(&lists, &inv, None);
        std::fs::remove_file(lists.join(MAIN_FILE)).unwrap();
        std::fs::remove_file(lists.join(SEC_FILE)).unwrap();
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(MAIN.as_bytes()).unwrap();
        std::fs::write(lists.join(format!("{MAIN_FILE}.xz")), xz.finish().unwrap()).unwrap();
        // Two gzip members, as `cat a.gz b.gz` makes: both are read.
        let (half, rest) = SEC.split_at(SEC.find("\n\n").unwrap() + 2);
        let mut gz = Vec::new();
        for part in [half, rest] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part.as_bytes()).unwrap();
            gz.extend(e.finish().unwrap());
        }
        std::fs::write(lists.join(format!("{SEC_FILE}.gz")), gz).unwrap();
        let (got, _, _) = read(&lists, &inv, None);
        assert_eq!(got, want);
        // A truncated xz file is the file's problem: a bad-input issue naming it.
        let xz_path = lists.join(format!("{MAIN_FILE}.xz"));
        let bytes = std::fs::read(&xz_path).unwrap();
        std::fs::write(&xz_path, &bytes[..bytes.len() / 2]).unwrap();
        let (_, issues, _) = read(&lists, &inv, None);
        assert!(
            issues.iter().any(|i| i.kind == ScanIssueKind::BadInput
                && i.reason.starts_with("decompressing")
                && i.file.as_deref().is_some_and(|f| f.ends_with(".xz"))),
            "{issues:?}"
        );
    }

    #[test]
    fn a_skipped_entry_is_reported_on_every_run_and_does_not_stop_the_cache() {
        let (_tmp, lists, cache) = setup();
        std::fs::create_dir(lists.join("x_Packages")).unwrap();
        let inv = inv(WANTED);
        for want in [CacheOutcome::Miss, CacheOutcome::Hit] {
            let (got, issues, o) = read(&lists, &inv, Some(&cache));
            assert_eq!((o, got.len()), (want, 4));
            assert!(
                issues
                    .iter()
                    .any(|i| i.reason == "not a regular file: skipped"),
                "{issues:?}"
            );
        }
    }

    #[test]
    fn the_cache_dir_comes_from_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        let all = &[
            ("CAULK_CACHE_DIR", "/c"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(cache_dir_from(env(all)), Some(PathBuf::from("/c")));
        let xdg = &[
            ("CAULK_CACHE_DIR", ""),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(cache_dir_from(env(xdg)), Some(PathBuf::from("/x/caulk")));
        let rel = &[("XDG_CACHE_HOME", "x"), ("HOME", "/h")];
        assert_eq!(
            cache_dir_from(env(rel)),
            Some(PathBuf::from("/h/.cache/caulk"))
        );
        assert_eq!(cache_dir_from(env(&[("HOME", "h")])), None);
        assert_eq!(cache_dir_from(env(&[])), None);
    }
}
