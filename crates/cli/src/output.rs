//! Where a command's report goes: stdout, or a file given with `-o` that is replaced whole —
//! written beside it under a temporary name and renamed into place only when complete, so a
//! failed or interrupted run never leaves half a report where a pipeline expects a whole one.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Set when a write to stdout failed because its reader had gone (`caulk … | head`): only
/// then does a broken pipe end the command quietly — a broken pipe elsewhere (a socket, a
/// child's stdin) is an error like any other.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a write to stdout met a closed pipe.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Stdout, noting a closed pipe (see [`stdout_closed`]). Every command writes its output
/// through this.
pub struct Stdout(std::io::StdoutLock<'static>);

pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

fn note<T>(r: std::io::Result<T>) -> std::io::Result<T> {
    if let Err(e) = &r
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    r
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        note(self.0.write(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        note(self.0.flush())
    }
}

pub enum Sink {
    Stdout(Stdout),
    /// Not a regular file (`/dev/null`, a FIFO, a terminal): written in place, never replaced.
    Direct {
        file: std::fs::File,
        path: PathBuf,
    },
    File {
        file: std::fs::File,
        tmp: PathBuf,
        path: PathBuf,
        committed: bool,
    },
}

impl Sink {
    /// Stdout when `path` is `None`, else a temporary file beside `path`.
    pub fn open(path: Option<&Path>) -> Result<Sink> {
        let Some(given) = path.filter(|p| p.as_os_str() != "-") else {
            return Ok(Sink::Stdout(stdout()));
        };
        // A symlink is written through: the file it names is replaced, not the link.
        let resolved;
        let path = match std::fs::symlink_metadata(given) {
            Ok(m) if m.file_type().is_symlink() => {
                resolved = std::fs::canonicalize(given).with_context(|| {
                    format!("--output {}: a symlink to nothing", given.display())
                })?;
                resolved.as_path()
            }
            _ => given,
        };
        let existing = std::fs::metadata(path).ok();
        if let Some(m) = &existing
            && !m.is_file()
        {
            if m.is_dir() {
                anyhow::bail!("--output {}: a directory", given.display());
            }
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("--output {}", given.display()))?;
            return Ok(Sink::Direct {
                file,
                path: given.to_path_buf(),
            });
        }
        let name = path
            .file_name()
            .with_context(|| format!("--output {}: not a file name", path.display()))?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".caulk-{}.tmp", std::process::id()));
        let tmp = dir.join(tmp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .with_context(|| format!("--output {}: creating {}", path.display(), tmp.display()))?;
        // The report keeps the permissions of the file it replaces (a 0600 report stays one).
        if let Some(m) = &existing {
            let _ = file.set_permissions(m.permissions());
        }
        Ok(Sink::File {
            file,
            tmp,
            path: path.to_path_buf(),
            committed: false,
        })
    }

    /// What a write error is about.
    pub fn describe(&self) -> String {
        match self {
            Sink::Stdout(_) => "writing stdout".into(),
            Sink::File { path, .. } | Sink::Direct { path, .. } => {
                format!("writing {}", path.display())
            }
        }
    }

    /// Put a file in place (stdout: nothing to do).
    pub fn commit(&mut self) -> Result<()> {
        if let Sink::File {
            file,
            tmp,
            path,
            committed,
        } = self
        {
            file.sync_all()
                .with_context(|| format!("writing {}", path.display()))?;
            std::fs::rename(&*tmp, &*path).with_context(|| {
                format!(
                    "--output {}: renaming {} into place",
                    path.display(),
                    tmp.display()
                )
            })?;
            *committed = true;
        }
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stdout(s) => s.write(buf),
            Sink::File { file, .. } | Sink::Direct { file, .. } => file.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(s) => s.flush(),
            Sink::File { file, .. } | Sink::Direct { file, .. } => file.flush(),
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Sink::File {
            tmp,
            committed: false,
            ..
        } = self
        {
            let _ = std::fs::remove_file(&*tmp);
        }
    }
}
