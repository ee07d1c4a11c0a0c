//! What a sync tells its caller while it works, through [`Progress`]: the caller renders it
//! (the CLI draws bars or writes log lines; a server logs or counts; a test stays silent).
//! This crate never prints.
//!
//! The per-feed result lines come through [`Progress::note`] in plan order once the
//! downloads are done, so two runs with the same outcome tell the same lines whatever the
//! download timing (feeds are fetched concurrently); only retry notices come as they happen.

use caulk_advisory_db::import::Observer;

/// Told how a sync goes. Every method has a default that ignores it; called from several
/// threads at once (downloads run concurrently, the import on its own threads).
pub trait Progress: Observer {
    /// A line for the user: a retry notice, a feed's result, a warning (no prefix; the
    /// caller adds its own).
    fn note(&self, line: &str) {
        let _ = line;
    }
    /// A download starts (`total`: Content-Length when known).
    fn download_started(&self, feed: &str, total: Option<u64>) {
        let _ = (feed, total);
    }
    /// `so_far` bytes of `feed` have arrived.
    fn download_bytes(&self, feed: &str, so_far: u64) {
        let _ = (feed, so_far);
    }
    fn download_finished(&self, feed: &str) {
        let _ = feed;
    }
}

/// Progress nobody hears (the default of the options).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {
    fn records(&self, _feed: &str, _n: u64) {}
}

impl Progress for Silent {}

/// A byte count as the result lines say it (`12 bytes`, `20.5 kB`, `50.0 MB`).
pub fn bytes_text(n: u64) -> String {
    if n >= 10 << 20 {
        format!("{:.1} MB", n as f64 / 1e6)
    } else if n >= 10 << 10 {
        format!("{:.1} kB", n as f64 / 1e3)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(bytes_text(12), "12 bytes");
        assert_eq!(bytes_text(20_480), "20.5 kB");
        assert_eq!(bytes_text(50_000_000), "50.0 MB");
    }
}
