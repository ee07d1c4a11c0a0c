//! Access to the host being inventoried: files under a root directory, and (only on the live
//! host) a command runner.

use crate::Error;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Most symlinks followed while resolving one path (Linux's own limit is 40).
const MAX_SYMLINKS: usize = 40;

/// What kind of directory entry [`HostAccess::read_dir`] saw (symlinks are not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Other,
}

/// The output of a command run on the live host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit status; `None` when killed by a signal.
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// What [`HostAccess::stat`] says of a path (a final symlink is not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub kind: EntryKind,
    /// Size in bytes (regular files).
    pub size: u64,
    /// Device id of the file system that holds it: walks stay on one.
    pub dev: u64,
    /// Any execute bit is set.
    pub executable: bool,
}

/// A regular file opened for reads at offsets: ELF headers and sections, a zip's central
/// directory — the parts of a large file a collector needs, never the whole.
pub trait RandomRead {
    /// The file's size when opened.
    fn size(&self) -> u64;
    /// At most `len` bytes from `offset` (fewer only at the end of the file; none past it).
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>>;
}

impl RandomRead for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let end = start.saturating_add(len).min(self.len());
        Ok(self[start..end].to_vec())
    }
}

impl RandomRead for &[u8] {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        (**self).read_at(offset, len)
    }
}

impl RandomRead for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; len];
        let mut got = 0;
        while got < len {
            match FileExt::read_at(self, &mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(got);
        Ok(buf)
    }
}

/// A directory's entries as a walk sees them: sorted by name, symlinks not followed.
pub type DirEntries = Vec<(String, EntryKind)>;

/// What a walk's visitor answers for one directory: the names of the subdirectories to
/// descend into (others are not read), or stop the whole walk.
pub type WalkStep = std::ops::ControlFlow<(), Vec<String>>;

/// The visitor of [`HostAccess::walk`]: `(directory, depth, its entries or why they could
/// not be read)`.
pub type WalkVisitor<'a> = dyn FnMut(&str, usize, Result<&DirEntries, &Error>) -> WalkStep + 'a;

/// Everything a collector may do to the host. Paths are relative to the root (a leading `/`
/// is allowed and means the same); symlinks resolve *inside* the root, so an image's
/// `/etc/os-release -> ../usr/lib/os-release` never escapes to the machine running caulk.
pub trait HostAccess {
    /// A label for messages (`/`, `/mnt/image`).
    fn describe(&self) -> String;

    /// Read a whole regular file of at most `max_bytes`. `Ok(None)` when it does not exist;
    /// [`Error::TooLarge`] past the bound; [`Error::NotRegular`] for FIFOs, devices, dirs.
    fn read(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, Error>;

    /// Read at most the first `n` bytes of a regular file (`Ok(None)` when absent).
    fn read_head(&self, path: &str, n: u64) -> Result<Option<Vec<u8>>, Error>;

    /// Open a regular file to read it as a stream, for files too large to hold whole (an apt
    /// index is 50 MB once decompressed). `Ok(None)` when it does not exist;
    /// [`Error::NotRegular`] for FIFOs, devices, dirs, refused before opening. The reader
    /// yields at most `max_bytes`, then fails with [`std::io::ErrorKind::FileTooLarge`]
    /// (carrying [`Error::TooLarge`]) if the file has more: never a silent truncation.
    fn open(&self, path: &str, max_bytes: u64) -> Result<Option<Box<dyn Read + '_>>, Error>;

    /// Whether a path exists (after resolving symlinks inside the root).
    fn exists(&self, path: &str) -> bool;

    /// Entries of a directory, sorted by name; `Ok(None)` when it does not exist.
    fn read_dir(&self, path: &str) -> Result<Option<Vec<(String, EntryKind)>>, Error>;

    /// What a path is, its size, file system and execute bits; `Ok(None)` when it does not
    /// exist. Parent symlinks resolve inside the root; a final symlink is described, not
    /// followed.
    fn stat(&self, path: &str) -> Result<Option<Meta>, Error>;

    /// Open a regular file for reads at offsets. `Ok(None)` when it does not exist;
    /// [`Error::NotRegular`] for FIFOs, devices, dirs, refused before opening.
    fn open_random(&self, path: &str) -> Result<Option<Box<dyn RandomRead + '_>>, Error>;

    /// Walk the tree under `dir` depth first, in name order, following no symlink and
    /// staying on the file system `dir` is on (a directory on another device is not
    /// entered). `visit(path, depth, entries)` is called once per directory read (`dir`
    /// itself has depth 0; `path` is root-relative with a leading `/`) and names the
    /// subdirectories to enter; an unreadable directory is passed as its error.
    fn walk(&self, dir: &str, visit: &mut WalkVisitor<'_>) {
        let start = format!("/{}", dir.trim_matches('/'));
        let Ok(Some(meta)) = self.stat(&start) else {
            return;
        };
        let mut stack = vec![(start, 0usize)];
        while let Some((d, depth)) = stack.pop() {
            let listing = match self.read_dir(&d) {
                Ok(Some(e)) => Ok(e),
                Ok(None) => continue,
                Err(e) => Err(e),
            };
            let step = match &listing {
                Ok(e) => visit(&d, depth, Ok(e)),
                Err(e) => visit(&d, depth, Err(e)),
            };
            let std::ops::ControlFlow::Continue(mut sub) = step else {
                return;
            };
            let Ok(entries) = listing else { continue };
            sub.sort();
            for name in sub.into_iter().rev() {
                if !entries.contains(&(name.clone(), EntryKind::Dir)) {
                    continue;
                }
                let child = if d == "/" {
                    format!("/{name}")
                } else {
                    format!("{d}/{name}")
                };
                if let Ok(Some(m)) = self.stat(&child)
                    && m.kind == EntryKind::Dir
                    && m.dev == meta.dev
                {
                    stack.push((child, depth + 1));
                }
            }
        }
    }

    /// True only for the machine caulk runs on, read at `/`: the only case where running
    /// a command or reading `/proc` describes the inventoried system.
    fn is_live(&self) -> bool;

    /// Run a program on the live host; [`Error::NotLive`] anywhere else. Output past
    /// `max_output` bytes is an error, not a truncation.
    fn run(&self, program: &str, args: &[&str], max_output: u64) -> Result<CommandOutput, Error>;
}

/// [`HostAccess`] over a directory of the local filesystem.
#[derive(Debug)]
pub struct FsHost {
    root: PathBuf,
    live: bool,
    /// The last parent directory resolved and its components: a walk reads many files of
    /// one directory, and resolving each path component by component again was most of
    /// the cost of a root scan.
    parent: std::sync::Mutex<Option<(String, Vec<OsString>)>>,
}

impl Clone for FsHost {
    fn clone(&self) -> FsHost {
        FsHost {
            root: self.root.clone(),
            live: self.live,
            parent: std::sync::Mutex::new(None),
        }
    }
}

impl FsHost {
    /// A root directory: a mounted image, a chroot, an unpacked container. Never live.
    pub fn new(root: impl Into<PathBuf>) -> FsHost {
        FsHost {
            root: root.into(),
            live: false,
            parent: std::sync::Mutex::new(None),
        }
    }

    /// The machine caulk runs on (`/`), where commands and `/proc` may be used.
    pub fn live() -> FsHost {
        FsHost {
            root: PathBuf::from("/"),
            live: true,
            parent: std::sync::Mutex::new(None),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolve `rel` to a path on the local filesystem whose every component lies under the
    /// root: `..` stops at the root, absolute symlink targets restart at the root.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, Error> {
        match split_last(rel) {
            Some((parent, last)) => {
                let stack = self.parent_stack(rel, parent)?;
                self.resolve_stack(rel, last, stack).map(|s| self.join(&s))
            }
            None => self
                .resolve_stack(rel, rel, Vec::new())
                .map(|s| self.join(&s)),
        }
    }

    /// `rel` with its parent resolved inside the root and its last component as it is (not
    /// followed when it is a symlink).
    fn resolve_parent(&self, rel: &str) -> Result<PathBuf, Error> {
        match split_last(rel) {
            Some((parent, last)) => {
                let mut stack = self.parent_stack(rel, parent)?;
                stack.push(OsString::from(last));
                Ok(self.join(&stack))
            }
            None => self.resolve(rel),
        }
    }

    /// The resolved components of the directory `parent`, from the one-entry cache when it
    /// was the last one resolved.
    fn parent_stack(&self, rel: &str, parent: &str) -> Result<Vec<OsString>, Error> {
        let cached = self.parent.lock().ok().and_then(|c| {
            c.as_ref()
                .filter(|(p, _)| p == parent)
                .map(|(_, s)| s.clone())
        });
        if let Some(s) = cached {
            return Ok(s);
        }
        let s = self.resolve_stack(rel, parent, Vec::new())?;
        if let Ok(mut c) = self.parent.lock() {
            *c = Some((parent.to_string(), s.clone()));
        }
        Ok(s)
    }

    /// Resolve `part` on top of the already resolved components `stack`.
    fn resolve_stack(
        &self,
        rel: &str,
        part: &str,
        mut stack: Vec<OsString>,
    ) -> Result<Vec<OsString>, Error> {
        let mut pending: VecDeque<OsString> = VecDeque::new();
        push_components(&mut pending, Path::new(part), false);
        let mut links = 0usize;
        while let Some(c) = pending.pop_front() {
            if c == ".." {
                stack.pop();
                continue;
            }
            stack.push(c);
            let full = self.join(&stack);
            let Ok(meta) = std::fs::symlink_metadata(&full) else {
                continue;
            };
            if !meta.file_type().is_symlink() {
                continue;
            }
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(Error::SymlinkLoop {
                    path: rel.to_string(),
                });
            }
            let target = std::fs::read_link(&full).map_err(|source| Error::Io {
                path: rel.to_string(),
                source,
            })?;
            stack.pop();
            if target.is_absolute() {
                stack.clear();
            }
            let mut front = VecDeque::new();
            push_components(&mut front, &target, true);
            while let Some(x) = front.pop_back() {
                pending.push_front(x);
            }
        }
        Ok(stack)
    }

    fn join(&self, stack: &[OsString]) -> PathBuf {
        let mut p = self.root.clone();
        for c in stack {
            p.push(c);
        }
        p
    }

    fn open_regular(&self, path: &str) -> Result<Option<std::fs::File>, Error> {
        let full = self.resolve(path)?;
        let meta = match std::fs::metadata(&full) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    path: path.to_string(),
                    source,
                });
            }
        };
        // Checked before opening: opening a FIFO for reading would block forever.
        if !meta.is_file() {
            return Err(Error::NotRegular {
                path: path.to_string(),
            });
        }
        std::fs::File::open(&full)
            .map(Some)
            .map_err(|source| Error::Io {
                path: path.to_string(),
                source,
            })
    }
}

fn push_components(out: &mut VecDeque<OsString>, p: &Path, keep_dotdot: bool) {
    for c in p.components() {
        match c {
            Component::Normal(x) => out.push_back(x.to_os_string()),
            Component::ParentDir if keep_dotdot => out.push_back(OsString::from("..")),
            Component::ParentDir => out.push_back(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
}

/// A directory listed for a walk: its entries, and the names of those that are directories
/// on the walk's device (lstat: not symlinks, not mount points).
struct Listed {
    entries: Result<DirEntries, Error>,
    subdirs: Vec<String>,
}

fn list_for_walk(real: &Path, dev: u64) -> Listed {
    let path = real.display().to_string();
    let entries = list_dir(real, &path);
    let subdirs = match &entries {
        Ok(e) => e
            .iter()
            .filter(|(_, k)| *k == EntryKind::Dir)
            .filter(|(n, _)| {
                std::fs::symlink_metadata(real.join(n))
                    .is_ok_and(|m| m.is_dir() && meta_of(&m).dev == dev)
            })
            .map(|(n, _)| n.clone())
            .collect(),
        Err(_) => Vec::new(),
    };
    Listed { entries, subdirs }
}

/// The listing thread of [`FsHost::walk`]: directories wanted (a stack: the walk's next one
/// on top), listings done, and a stop flag.
#[derive(Default)]
struct Prefetch {
    state: std::sync::Mutex<PrefetchState>,
    ready: std::sync::Condvar,
}

#[derive(Default)]
struct PrefetchState {
    wanted: Vec<PathBuf>,
    busy: Option<PathBuf>,
    done: std::collections::HashMap<PathBuf, Listed>,
    stop: bool,
}

impl Prefetch {
    fn lock(&self) -> std::sync::MutexGuard<'_, PrefetchState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn want(&self, dirs: Vec<PathBuf>) {
        if dirs.is_empty() {
            return;
        }
        self.lock().wanted.extend(dirs);
        self.ready.notify_all();
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.ready.notify_all();
    }

    /// The listing of `dir`: prefetched, being listed (wait for it), or listed here.
    fn take(&self, dir: &Path, dev: u64) -> Listed {
        let mut st = self.lock();
        loop {
            if let Some(l) = st.done.remove(dir) {
                return l;
            }
            if st.busy.as_deref() != Some(dir) {
                if let Some(i) = st.wanted.iter().rposition(|w| w == dir) {
                    st.wanted.remove(i);
                }
                drop(st);
                return list_for_walk(dir, dev);
            }
            st = self.ready.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn work(&self, dev: u64) {
        let mut st = self.lock();
        loop {
            if st.stop {
                return;
            }
            // The top of the stack is what the walk lists itself next: take the one below.
            let n = st.wanted.len();
            if n < 2 {
                st = self.ready.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let dir = st.wanted.remove(n - 2);
            st.busy = Some(dir.clone());
            drop(st);
            let l = list_for_walk(&dir, dev);
            st = self.lock();
            st.busy = None;
            st.done.insert(dir, l);
            self.ready.notify_all();
        }
    }
}

/// `(parent, last)` of a path whose last component is a name (not `.`, `..` or empty).
fn split_last(rel: &str) -> Option<(&str, &str)> {
    let (parent, last) = rel.trim_end_matches('/').rsplit_once('/')?;
    (!last.is_empty() && last != "." && last != "..").then_some((parent, last))
}

fn meta_of(m: &std::fs::Metadata) -> Meta {
    use std::os::unix::fs::MetadataExt;
    let t = m.file_type();
    Meta {
        kind: if t.is_symlink() {
            EntryKind::Symlink
        } else if t.is_dir() {
            EntryKind::Dir
        } else if t.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        },
        size: m.len(),
        dev: m.dev(),
        executable: m.mode() & 0o111 != 0,
    }
}

/// The entries of the local directory `full` (named `path` in errors), sorted; kinds from
/// the directory itself (no stat per entry).
fn list_dir(full: &Path, path: &str) -> Result<DirEntries, Error> {
    let io = |source| Error::Io {
        path: path.to_string(),
        source,
    };
    let mut out = Vec::new();
    for e in std::fs::read_dir(full).map_err(io)? {
        let e = e.map_err(io)?;
        let kind = match e.file_type() {
            Ok(t) if t.is_symlink() => EntryKind::Symlink,
            Ok(t) if t.is_dir() => EntryKind::Dir,
            Ok(t) if t.is_file() => EntryKind::File,
            _ => EntryKind::Other,
        };
        // Names that are not UTF-8 cannot be named in an inventory; skipping them here is
        // reported by the caller as nothing, which is acceptable: no package database
        // or lockfile has such a name.
        if let Ok(name) = e.file_name().into_string() {
            out.push((name, kind));
        }
    }
    out.sort();
    Ok(out)
}

impl HostAccess for FsHost {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn read(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, Error> {
        let Some(f) = self.open_regular(path)? else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        f.take(max_bytes.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|source| Error::Io {
                path: path.to_string(),
                source,
            })?;
        if buf.len() as u64 > max_bytes {
            return Err(Error::TooLarge {
                path: path.to_string(),
                limit: max_bytes,
            });
        }
        Ok(Some(buf))
    }

    fn read_head(&self, path: &str, n: u64) -> Result<Option<Vec<u8>>, Error> {
        let Some(f) = self.open_regular(path)? else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        f.take(n)
            .read_to_end(&mut buf)
            .map_err(|source| Error::Io {
                path: path.to_string(),
                source,
            })?;
        Ok(Some(buf))
    }

    fn open(&self, path: &str, max_bytes: u64) -> Result<Option<Box<dyn Read + '_>>, Error> {
        Ok(self
            .open_regular(path)?
            .map(|f| Box::new(Bounded::new(f, path, max_bytes)) as Box<dyn Read>))
    }

    fn exists(&self, path: &str) -> bool {
        self.resolve(path)
            .map(|p| std::fs::metadata(p).is_ok())
            .unwrap_or(false)
    }

    fn read_dir(&self, path: &str) -> Result<Option<Vec<(String, EntryKind)>>, Error> {
        let full = self.resolve(path)?;
        match list_dir(&full, path) {
            Ok(e) => Ok(Some(e)),
            Err(Error::Io { source, .. })
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn stat(&self, path: &str) -> Result<Option<Meta>, Error> {
        let full = self.resolve_parent(path)?;
        match std::fs::symlink_metadata(&full) {
            Ok(m) => Ok(Some(meta_of(&m))),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(source) => Err(Error::Io {
                path: path.to_string(),
                source,
            }),
        }
    }

    fn open_random(&self, path: &str) -> Result<Option<Box<dyn RandomRead + '_>>, Error> {
        Ok(self
            .open_regular(path)?
            .map(|f| Box::new(f) as Box<dyn RandomRead>))
    }

    fn walk(&self, dir: &str, visit: &mut WalkVisitor<'_>) {
        // The start is resolved inside the root once; below it only directory entries that
        // are directories (not symlinks, checked again with lstat before entering) on the
        // start's device are followed, so every path stays a real path under the start.
        let start = format!("/{}", dir.trim_matches('/'));
        let Ok(real) = self.resolve(&start) else {
            return;
        };
        let Ok(meta) = std::fs::metadata(&real) else {
            return;
        };
        let dev = meta_of(&meta).dev;
        // A second thread lists the directories the walk will visit next (the top of its
        // stack first) while this one visits and reads files: on two cores the walk of `/`
        // took half the time. The visiting order stays the depth-first name order.
        let pf = Prefetch::default();
        std::thread::scope(|scope| {
            scope.spawn(|| pf.work(dev));
            let mut stack = vec![(real, start, 0usize)];
            while let Some((real, d, depth)) = stack.pop() {
                let Listed { entries, subdirs } = pf.take(&real, dev);
                let step = match &entries {
                    Ok(e) => visit(&d, depth, Ok(e)),
                    Err(e) => visit(&d, depth, Err(e)),
                };
                let std::ops::ControlFlow::Continue(mut sub) = step else {
                    break;
                };
                sub.sort();
                let mut next = Vec::new();
                for name in sub.into_iter().rev() {
                    if subdirs.binary_search(&name).is_err() {
                        continue;
                    }
                    let child = if d == "/" {
                        format!("/{name}")
                    } else {
                        format!("{d}/{name}")
                    };
                    next.push(real.join(&name));
                    stack.push((real.join(&name), child, depth + 1));
                }
                pf.want(next);
            }
            pf.stop();
        });
    }

    fn is_live(&self) -> bool {
        self.live
    }

    fn run(&self, program: &str, args: &[&str], max_output: u64) -> Result<CommandOutput, Error> {
        if !self.live {
            return Err(Error::NotLive {
                program: program.to_string(),
            });
        }
        let out = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| Error::Command {
                program: program.to_string(),
                reason: e.to_string(),
            })?;
        if (out.stdout.len() as u64).saturating_add(out.stderr.len() as u64) > max_output {
            return Err(Error::Command {
                program: program.to_string(),
                reason: format!("output larger than {max_output} bytes"),
            });
        }
        Ok(CommandOutput {
            status: out.status.code(),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

/// A reader of at most `limit` bytes of `inner` that fails, rather than stops, when there are
/// more.
struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
    path: String,
}

impl<R: Read> Bounded<R> {
    fn new(inner: R, path: &str, limit: u64) -> Bounded<R> {
        Bounded {
            inner,
            left: limit,
            limit,
            path: path.to_string(),
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // At the bound: the end of the file, or one byte too many.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    Error::TooLarge {
                        path: self.path.clone(),
                        limit: self.limit,
                    },
                )),
            };
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// An in-memory host for tests and fuzzing: a map of root-relative paths to contents, some
/// of them executable, and directories that are other file systems (mount points).
#[derive(Debug, Clone, Default)]
pub struct MemHost {
    files: std::collections::BTreeMap<String, Vec<u8>>,
    executable: std::collections::BTreeSet<String>,
    mounts: Vec<String>,
}

impl MemHost {
    pub fn new() -> MemHost {
        MemHost::default()
    }

    /// A file with its execute bits set.
    pub fn with_executable(mut self, path: &str, contents: impl Into<Vec<u8>>) -> MemHost {
        self.executable.insert(MemHost::key(path));
        self.with(path, contents)
    }

    /// `dir` and what is under it are another file system (a device id of their own).
    pub fn with_mount(mut self, dir: &str) -> MemHost {
        self.mounts.push(MemHost::key(dir));
        self
    }

    fn dev(&self, key: &str) -> u64 {
        let mut dev = 0;
        for (i, m) in self.mounts.iter().enumerate() {
            if key == m || key.starts_with(&format!("{m}/")) {
                dev = i as u64 + 1;
            }
        }
        dev
    }

    pub fn with(mut self, path: &str, contents: impl Into<Vec<u8>>) -> MemHost {
        self.files
            .insert(path.trim_start_matches('/').to_string(), contents.into());
        self
    }

    fn key(path: &str) -> String {
        path.trim_start_matches('/')
            .trim_end_matches('/')
            .to_string()
    }
}

impl HostAccess for MemHost {
    fn describe(&self) -> String {
        "(memory)".into()
    }

    fn read(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, Error> {
        match self.files.get(&MemHost::key(path)) {
            None => Ok(None),
            Some(b) if b.len() as u64 > max_bytes => Err(Error::TooLarge {
                path: path.to_string(),
                limit: max_bytes,
            }),
            Some(b) => Ok(Some(b.clone())),
        }
    }

    fn read_head(&self, path: &str, n: u64) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .files
            .get(&MemHost::key(path))
            .map(|b| b[..b.len().min(n as usize)].to_vec()))
    }

    fn open(&self, path: &str, max_bytes: u64) -> Result<Option<Box<dyn Read + '_>>, Error> {
        Ok(self
            .files
            .get(&MemHost::key(path))
            .map(|b| Box::new(Bounded::new(&b[..], path, max_bytes)) as Box<dyn Read>))
    }

    fn exists(&self, path: &str) -> bool {
        let k = MemHost::key(path);
        let dir = format!("{k}/");
        self.files.contains_key(&k) || self.files.keys().any(|f| f.starts_with(&dir))
    }

    fn read_dir(&self, path: &str) -> Result<Option<Vec<(String, EntryKind)>>, Error> {
        let k = MemHost::key(path);
        let prefix = if k.is_empty() { k } else { format!("{k}/") };
        let mut out: Vec<(String, EntryKind)> = Vec::new();
        for f in self.files.keys() {
            let Some(rest) = f.strip_prefix(&prefix) else {
                continue;
            };
            let e = match rest.split_once('/') {
                Some((d, _)) => (d.to_string(), EntryKind::Dir),
                None => (rest.to_string(), EntryKind::File),
            };
            if !out.contains(&e) {
                out.push(e);
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        out.sort();
        Ok(Some(out))
    }

    fn stat(&self, path: &str) -> Result<Option<Meta>, Error> {
        let k = MemHost::key(path);
        let (kind, size) = match self.files.get(&k) {
            Some(b) => (EntryKind::File, b.len() as u64),
            None if k.is_empty() || self.exists(path) => (EntryKind::Dir, 0),
            None => return Ok(None),
        };
        Ok(Some(Meta {
            kind,
            size,
            dev: self.dev(&k),
            executable: kind == EntryKind::Dir || self.executable.contains(&k),
        }))
    }

    fn open_random(&self, path: &str) -> Result<Option<Box<dyn RandomRead + '_>>, Error> {
        let k = MemHost::key(path);
        match self.files.get(&k) {
            Some(b) => Ok(Some(Box::new(&b[..]) as Box<dyn RandomRead>)),
            None if self.exists(path) => Err(Error::NotRegular {
                path: path.to_string(),
            }),
            None => Ok(None),
        }
    }

    fn is_live(&self) -> bool {
        false
    }

    fn run(&self, program: &str, _args: &[&str], _max: u64) -> Result<CommandOutput, Error> {
        Err(Error::NotLive {
            program: program.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("usr/lib/os-release"), "ID=inside\n").unwrap();
        std::os::unix::fs::symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
        // `..` past the root stays at the root.
        std::os::unix::fs::symlink("../../../../usr/lib/os-release", root.join("etc/up")).unwrap();
        let h = FsHost::new(root);
        assert_eq!(
            h.read("etc/os-release", 100).unwrap().unwrap(),
            b"ID=inside\n"
        );
        assert_eq!(h.read("/etc/up", 100).unwrap().unwrap(), b"ID=inside\n");
        assert!(h.read("etc/missing", 100).unwrap().is_none());
        assert!(matches!(
            h.read("etc/os-release", 3),
            Err(Error::TooLarge { limit: 3, .. })
        ));
        assert!(matches!(h.read("etc", 100), Err(Error::NotRegular { .. })));
    }

    #[test]
    fn symlink_loops_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let h = FsHost::new(dir.path());
        assert!(matches!(h.read("a", 10), Err(Error::SymlinkLoop { .. })));
    }

    #[test]
    fn fifo_is_refused_not_blocked_on() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        let ok = std::process::Command::new("mkfifo").arg(&p).status();
        if !matches!(ok, Ok(s) if s.success()) {
            eprintln!("SKIP: mkfifo unavailable");
            return;
        }
        let h = FsHost::new(dir.path());
        assert!(matches!(h.read("fifo", 10), Err(Error::NotRegular { .. })));
    }

    fn read_all(r: Option<Box<dyn Read + '_>>) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.expect("a file").read_to_end(&mut out).map(|_| out)
    }

    #[test]
    fn open_streams_a_file_inside_the_root_up_to_a_bound() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("usr/lib/os-release"), "ID=inside\n").unwrap();
        std::fs::write(dir.path().join("outside"), "ID=outside\n").unwrap();
        std::os::unix::fs::symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
        std::os::unix::fs::symlink("../../outside", root.join("etc/up")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("etc/abs")).unwrap();
        let mem = MemHost::new().with("etc/os-release", "ID=inside\n");
        let fs = FsHost::new(&root);
        for h in [&fs as &dyn HostAccess, &mem] {
            let what = h.describe();
            assert_eq!(
                read_all(h.open("/etc/os-release", 100).unwrap()).unwrap(),
                b"ID=inside\n",
                "{what}"
            );
            // Exactly the bound is whole; one byte over is an error, not a cut copy.
            assert_eq!(
                read_all(h.open("etc/os-release", 10).unwrap()).unwrap(),
                b"ID=inside\n"
            );
            let e = read_all(h.open("etc/os-release", 9).unwrap()).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge, "{what}");
            assert!(e.to_string().contains("limit of 9 bytes"), "{e}");
            assert!(h.open("etc/missing", 100).unwrap().is_none(), "{what}");
        }
        // `..` and absolute links stay in the root: both name files that are not there.
        assert!(fs.open("etc/up", 100).unwrap().is_none());
        assert!(fs.open("etc/abs", 100).unwrap().is_none());
        assert!(matches!(fs.open("etc", 100), Err(Error::NotRegular { .. })));
    }

    #[test]
    fn open_refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("fifo"))
            .status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let h = FsHost::new(dir.path());
        assert!(matches!(h.open("fifo", 10), Err(Error::NotRegular { .. })));
    }

    #[test]
    fn commands_only_on_the_live_host() {
        let h = FsHost::new("/");
        assert!(matches!(h.run("true", &[], 10), Err(Error::NotLive { .. })));
        let out = FsHost::live().run("echo", &["hi"], 100).unwrap();
        assert_eq!(out.stdout, b"hi\n");
        assert!(FsHost::live().run("echo", &["hi"], 2).is_err());
    }
}
