//! HTTP downloads for `sync` and `mirror`: conditional requests, bounded retries with
//! exponential backoff and jitter, timeouts (connect, stall, overall), a size bound, and a
//! download that goes to a file and is hashed on the way, so nothing is imported from a
//! half-read body.
//!
//! The trap: a body cut short looks like a smaller file unless its length is checked against
//! `Content-Length` (hyper reports the early close, and we check the count again); and a 304
//! is only an answer to a conditional request: unasked for, it is an error, not "nothing
//! new". TLS is rustls with the *ring* provider, installed as the process default when no
//! provider is: two providers in one binary make rustls panic at the first TLS use.

use crate::progress::Progress;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Retries of one download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries in all (1: no retry).
    pub attempts: u32,
    /// The first delay; each retry doubles it, up to `max_delay`. The delay slept is drawn
    /// from its upper half (jitter), so many hosts syncing at once spread out.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// How downloads behave.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// To open the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// One attempt, from the request to the last byte of the body.
    pub timeout: Duration,
    /// No byte received for this long: the attempt fails (and is retried).
    pub stall_timeout: Duration,
    /// The largest body accepted, by `Content-Length` and by count.
    pub max_bytes: u64,
    pub retry: Retry,
    /// Downloads at once.
    pub concurrency: usize,
    /// PEM root certificates to trust instead of the system's (a private mirror, tests).
    pub roots_pem: Vec<Vec<u8>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(60 * 60),
            stall_timeout: Duration::from_secs(60),
            // osv.dev's largest per-ecosystem zips are a few hundred MB.
            max_bytes: 4 << 30,
            retry: Retry::default(),
            concurrency: 4,
            roots_pem: vec![],
        }
    }
}

/// Validators of the copy we hold, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditional {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Conditional {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A body written to the destination file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: u64,
    pub sha256: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Body(Downloaded),
    /// 304: the copy we hold is current.
    NotModified,
    /// 404/410: the source does not have it (the caller decides whether that is an error).
    Missing,
}

/// A download that did not work out, after `attempts` tries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {reason}")]
pub struct FetchError {
    pub url: String,
    pub reason: String,
    pub attempts: u32,
}

/// A result and the number of tries it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted {
    pub fetched: Fetched,
    pub attempts: u32,
}

/// Make ring the process's rustls provider unless one is installed already.
fn install_ring() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race: then its provider is used, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A client with the timeouts of `opts`.
pub fn client(opts: &HttpOptions) -> Result<reqwest::Client, String> {
    install_ring();
    let mut b = reqwest::Client::builder()
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.timeout)
        .read_timeout(opts.stall_timeout)
        .user_agent(concat!("caulk/", env!("CARGO_PKG_VERSION")));
    if !opts.roots_pem.is_empty() {
        let mut certs = Vec::new();
        for pem in &opts.roots_pem {
            certs.extend(
                reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| format!("root certificates: {e}"))?,
            );
        }
        b = b.tls_certs_only(certs);
    }
    b.build().map_err(|e| format!("HTTP client: {}", chain(&e)))
}

/// An error with its causes, `a: b: c` (a cause its parent already says is not repeated).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

fn describe(e: &reqwest::Error, opts: &HttpOptions) -> String {
    if e.is_timeout() {
        format!(
            "timed out (connect {:?}, stall {:?}, overall {:?}): {}",
            opts.connect_timeout,
            opts.stall_timeout,
            opts.timeout,
            chain(e)
        )
    } else if e.is_connect() {
        format!("cannot connect: {}", chain(e))
    } else {
        chain(e)
    }
}

/// Jitter for the backoff: xorshift seeded from the clock and the process id (no need for
/// cryptographic randomness, only for hosts not to retry in step).
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    pub fn new(salt: u64) -> Jitter {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Jitter((nanos ^ (u64::from(std::process::id()) << 32) ^ salt.rotate_left(17)) | 1)
    }
    /// In `[0, 1)`.
    fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The delay before retry number `retry` (1 for the first): exponential, capped, the upper
/// half drawn at random; at least what a `Retry-After` asked for, within the cap.
pub fn backoff(retry: u32, r: &Retry, retry_after: Option<Duration>, j: &mut Jitter) -> Duration {
    let exp = r
        .base_delay
        .saturating_mul(1u32 << retry.saturating_sub(1).min(20))
        .min(r.max_delay);
    let d = exp / 2 + exp.mul_f64(j.next() / 2.0);
    match retry_after {
        Some(ra) => d.max(ra.min(r.max_delay)),
        None => d,
    }
}

enum Failure {
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fatal(String),
}

fn header(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn try_once(
    client: &reqwest::Client,
    url: &str,
    cond: &Conditional,
    dest: &Path,
    opts: &HttpOptions,
    feed: &str,
    reporter: &dyn Progress,
) -> Result<Fetched, Failure> {
    use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
    let mut req = client.get(url);
    if let Some(e) = &cond.etag {
        req = req.header(IF_NONE_MATCH, e);
    }
    if let Some(lm) = &cond.last_modified {
        req = req.header(IF_MODIFIED_SINCE, lm);
    }
    let resp = req.send().await.map_err(|e| Failure::Retry {
        reason: describe(&e, opts),
        retry_after: None,
    })?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return if cond.is_empty() {
            Err(Failure::Fatal(
                "304 Not Modified to a request that was not conditional".into(),
            ))
        } else {
            Ok(Fetched::NotModified)
        };
    }
    if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
        return Ok(Fetched::Missing);
    }
    if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
    {
        let retry_after = header(&resp, RETRY_AFTER)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Err(Failure::Retry {
            reason: format!("HTTP {status}"),
            retry_after,
        });
    }
    if !status.is_success() {
        return Err(Failure::Fatal(format!("HTTP {status}")));
    }
    let total = resp.content_length();
    if let Some(t) = total
        && t > opts.max_bytes
    {
        return Err(Failure::Fatal(format!(
            "{t} bytes announced, over the limit of {} bytes",
            opts.max_bytes
        )));
    }
    let etag = header(&resp, ETAG);
    let last_modified = header(&resp, LAST_MODIFIED);
    let io = |e: std::io::Error| Failure::Fatal(format!("{}: {e}", dest.display()));
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = std::fs::File::create(dest).map_err(io)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
    let mut hasher = Sha256::new();
    let mut n: u64 = 0;
    reporter.download_started(feed, total);
    let mut resp = resp;
    let body = loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                n += c.len() as u64;
                if n > opts.max_bytes {
                    break Err(Failure::Fatal(format!(
                        "body over the limit of {} bytes",
                        opts.max_bytes
                    )));
                }
                hasher.update(&c);
                if let Err(e) = w.write_all(&c) {
                    break Err(io(e));
                }
                reporter.download_bytes(feed, n);
            }
            Ok(None) => break Ok(()),
            Err(e) => {
                break Err(Failure::Retry {
                    reason: format!(
                        "body cut short after {n}{} bytes: {}",
                        total.map(|t| format!(" of {t}")).unwrap_or_default(),
                        describe(&e, opts)
                    ),
                    retry_after: None,
                });
            }
        }
    };
    reporter.download_finished(feed);
    body?;
    if let Some(t) = total
        && n != t
    {
        return Err(Failure::Retry {
            reason: format!("body cut short: {n} of {t} bytes"),
            retry_after: None,
        });
    }
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(Fetched::Body(Downloaded {
        bytes: n,
        sha256: caulk_advisory_db::import::hex(&hasher.finalize()),
        etag,
        last_modified,
    }))
}

/// Download `url` to `dest` (created or truncated), retrying transient failures (connection
/// errors, timeouts, 5xx, 408, 429, bodies cut short). `on_retry(attempt, reason, delay)` is
/// told before each wait.
#[allow(clippy::too_many_arguments)]
pub async fn download(
    client: &reqwest::Client,
    url: &str,
    cond: &Conditional,
    dest: &Path,
    opts: &HttpOptions,
    feed: &str,
    reporter: &dyn Progress,
    jitter: &mut Jitter,
    mut on_retry: impl FnMut(u32, &str, Duration),
) -> Result<Attempted, FetchError> {
    let attempts = opts.retry.attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match try_once(client, url, cond, dest, opts, feed, reporter).await {
            Ok(fetched) => {
                if !matches!(fetched, Fetched::Body(_)) {
                    let _ = std::fs::remove_file(dest);
                }
                return Ok(Attempted {
                    fetched,
                    attempts: attempt,
                });
            }
            Err(Failure::Fatal(reason)) => {
                let _ = std::fs::remove_file(dest);
                return Err(FetchError {
                    url: url.to_string(),
                    reason,
                    attempts: attempt,
                });
            }
            Err(Failure::Retry {
                reason,
                retry_after,
            }) => {
                let _ = std::fs::remove_file(dest);
                if attempt >= attempts {
                    return Err(FetchError {
                        url: url.to_string(),
                        reason: if attempts > 1 {
                            format!("{reason} (gave up after {attempt} attempts)")
                        } else {
                            reason
                        },
                        attempts: attempt,
                    });
                }
                let d = backoff(attempt, &opts.retry, retry_after, jitter);
                on_retry(attempt, &reason, d);
                tokio::time::sleep(d).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_in_the_upper_half() {
        let r = Retry {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        let mut j = Jitter::new(1);
        for _ in 0..50 {
            let d1 = backoff(1, &r, None, &mut j);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = backoff(3, &r, None, &mut j);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            let d9 = backoff(9, &r, None, &mut j);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_millis(1000));
        }
        // Retry-After is honoured up to the cap.
        let d = backoff(1, &r, Some(Duration::from_millis(700)), &mut j);
        assert!(d >= Duration::from_millis(700), "{d:?}");
        let d = backoff(1, &r, Some(Duration::from_secs(3600)), &mut j);
        assert!(d <= Duration::from_millis(1000), "{d:?}");
        // Huge retry numbers do not overflow.
        assert!(backoff(u32::MAX, &r, None, &mut j) <= Duration::from_millis(1000));
    }

    #[test]
    fn jitter_varies() {
        let mut j = Jitter::new(7);
        let a: Vec<f64> = (0..8).map(|_| j.next()).collect();
        assert!(a.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(a.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn ring_is_the_provider() {
        let c = client(&HttpOptions::default());
        assert!(c.is_ok(), "{:?}", c.err());
        let p = rustls::crypto::CryptoProvider::get_default().expect("installed");
        let ring = rustls::crypto::ring::default_provider();
        assert_eq!(p.cipher_suites.len(), ring.cipher_suites.len());
    }
}
