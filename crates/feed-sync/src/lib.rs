//! Feed sync: bring the local advisory database up to date from the public feeds, a mirror
//! URL or a mirror directory ([`sync::run`]), and write a mirror for air-gapped sites
//! ([`sync::mirror`]), over HTTP ([`fetch`]: conditional requests, retries with backoff,
//! timeouts, rustls with the ring provider) with progress reported to the caller
//! ([`progress`]).
//!
//! Network I/O runs on a tokio runtime private to a call, so callers stay synchronous.
//!
//! The traps: a download can end early and still look like a file, so nothing is imported
//! before it is checked whole (length, zip directory or gzip trailer, manifest SHA-256); a
//! feed whose download fails keeps its previous rows; and a name that comes from the network
//! (an ecosystem listed by a mirror) must stay one path component.

pub mod fetch;
pub mod progress;
pub mod sync;

use std::path::PathBuf;

/// Errors of a sync or a mirror run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The advisory database or the import refused.
    #[error(transparent)]
    Db(#[from] caulk_advisory_db::Error),
    #[error("--offline refuses the network source {source_url}")]
    Offline { source_url: String },
    #[error("sync: {0}")]
    Config(String),
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
}

impl From<caulk_advisory_db::store::StoreError> for Error {
    fn from(e: caulk_advisory_db::store::StoreError) -> Error {
        Error::Db(e.into())
    }
}
