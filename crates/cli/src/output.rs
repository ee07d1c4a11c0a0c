//! Where a command's report goes: stdout, or a file given with `-o` that is replaced whole —
//! written beside it under a temporary name and renamed into place only when complete, so a
//! failed or interrupted run never leaves half a report where a pipeline expects a whole one.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

pub enum Sink {
    Stdout(std::io::StdoutLock<'static>),
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
        let Some(path) = path else {
            return Ok(Sink::Stdout(std::io::stdout().lock()));
        };
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
            Sink::File { path, .. } => format!("writing {}", path.display()),
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
            Sink::File { file, .. } => file.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(s) => s.flush(),
            Sink::File { file, .. } => file.flush(),
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
