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

    /// True only for the machine caulk runs on, read at `/`: the only case where running
    /// a command or reading `/proc` describes the inventoried system.
    fn is_live(&self) -> bool;

    /// Run a program on the live host; [`Error::NotLive`] anywhere else. Output past
    /// `max_output` bytes is an error, not a truncation.
    fn run(&self, program: &str, args: &[&str], max_output: u64) -> Result<CommandOutput, Error>;
}

/// [`HostAccess`] over a directory of the local filesystem.
#[derive(Debug, Clone)]
pub struct FsHost {
    root: PathBuf,
    live: bool,
}

impl FsHost {
    /// A root directory: a mounted image, a chroot, an unpacked container. Never live.
    pub fn new(root: impl Into<PathBuf>) -> FsHost {
        FsHost {
            root: root.into(),
            live: false,
        }
    }

    /// The machine caulk runs on (`/`), where commands and `/proc` may be used.
    pub fn live() -> FsHost {
        FsHost {
            root: PathBuf::from("/"),
            live: true,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolve `rel` to a path on the local filesystem whose every component lies under the
    /// root: `..` stops at the root, absolute symlink targets restart at the root.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, Error> {
        let mut pending: VecDeque<OsString> = VecDeque::new();
        push_components(&mut pending, Path::new(rel), false);
        let mut stack: Vec<OsString> = Vec::new();
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
        Ok(self.join(&stack))
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
        let rd = match std::fs::read_dir(&full) {
            Ok(rd) => rd,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(source) => {
                return Err(Error::Io {
                    path: path.to_string(),
                    source,
                });
            }
        };
        let mut out = Vec::new();
        for e in rd {
            let e = e.map_err(|source| Error::Io {
                path: path.to_string(),
                source,
            })?;
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
        Ok(Some(out))
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

/// An in-memory host for tests and fuzzing: a map of root-relative paths to contents.
#[derive(Debug, Clone, Default)]
pub struct MemHost {
    files: std::collections::BTreeMap<String, Vec<u8>>,
}

impl MemHost {
    pub fn new() -> MemHost {
        MemHost::default()
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
