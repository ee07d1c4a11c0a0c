//! The application layer's error: what was being done (`reading configuration caulk.toml`,
//! `--root /mnt`) over the error that stopped it, so a caller prints the whole chain
//! (`{:#}` through anyhow, or by walking [`std::error::Error::source`]).

use std::fmt;

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failed use case: a message, with the error that caused it when there is one.
#[derive(Debug)]
pub enum Error {
    /// What was being done, and why it failed.
    Context {
        message: String,
        source: Option<Cause>,
    },
    /// A library's error as it is (its message and its own causes).
    Wrapped(Cause),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error that is only a message.
    pub fn msg(message: impl Into<String>) -> Error {
        Error::Context {
            message: message.into(),
            source: None,
        }
    }

    /// A library's error, unchanged.
    pub fn wrap(e: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Wrapped(Box::new(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Context { message, .. } => f.write_str(message),
            Error::Wrapped(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Context { source, .. } => source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            Error::Wrapped(e) => e.source(),
        }
    }
}

/// `.context(…)` / `.with_context(|| …)` on results and options, as anyhow spells them.
pub trait Context<T> {
    fn context(self, message: impl Into<String>) -> Result<T>;
    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for Result<T, E> {
    fn context(self, message: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::Context {
            message: message.into(),
            source: Some(Box::new(e)),
        })
    }
    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T> {
        self.map_err(|e| Error::Context {
            message: f(),
            source: Some(Box::new(e)),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, message: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| Error::msg(message))
    }
    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T> {
        self.ok_or_else(|| Error::msg(f()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_reads_as_anyhow_prints_it() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = Err::<(), _>(io)
            .context("reading x")
            .with_context(|| "scanning".to_string())
            .expect_err("an error");
        let mut chain = vec![e.to_string()];
        let mut s = std::error::Error::source(&e);
        while let Some(c) = s {
            chain.push(c.to_string());
            s = c.source();
        }
        assert_eq!(chain, ["scanning", "reading x", "gone"]);
        let w = Error::wrap(std::io::Error::other("plain"));
        assert_eq!(w.to_string(), "plain");
        assert!(std::error::Error::source(&w).is_none());
    }
}
