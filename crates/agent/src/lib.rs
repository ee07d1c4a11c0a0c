//! `caulk agent`: enrols a host with the fleet server once, then reports its inventory —
//! the hash first, the whole inventory only when the server says it changed — and spools
//! what it could not deliver.
//!
//! Main types: [`Config`] (server, enrolment token, root, state directory, interval, the
//! pinned CA), [`Agent`] (one HTTP client and the credential), [`Agent::cycle`] (collect →
//! hash → deliver the spool → check in → send when changed; spool the report when the
//! server cannot be reached), [`spool::Spool`], [`run_once`] and [`run`] (a loop with
//! exponential backoff and jitter after a failed cycle, stopped by SIGTERM/SIGINT). The
//! inventory is collected by `caulk_app::target::collect` (the same as `caulk inventory
//! --root`), hashed by `caulk_store::inventory_hash` (the hash the server keeps), and the
//! wire types are `caulk_server::api`'s: one definition of each.
//!
//! The traps of this domain:
//! - *The credential is a secret shown once*: it is written to `<state-dir>/credential`
//!   with mode 0600 in a 0700 directory (written beside and renamed, so a crash never
//!   leaves half a credential), and never printed.
//! - *An enrolment token is spent by enrolling*: the agent enrols only when it has no
//!   credential; a stored credential wins over `--enroll-token`.
//! - *A report is gone only once acknowledged*: a connect error, a timeout or a 5xx
//!   (408/429 too) spools the report (`<state-dir>/spool/`, bounded: the oldest go first);
//!   each cycle delivers the spool oldest first before its own report, deleting an entry
//!   only after a 2xx and stopping at the first failure. A report the server calls bad
//!   (400/413/422) moves to `spool/rejected/`, never retried. Each report carries when it
//!   was observed (`observed_at`), so the server dates it right and never lets a late one
//!   replace a newer inventory.
//! - *The inventory and the credential cross the network*: plain `http://` is refused
//!   unless the server is on loopback or `--insecure-http` says so; `--ca FILE` trusts that
//!   CA alone (not the system's roots) for `https://`.
//! - *One agent per state directory at a time*: a cycle holds `<state-dir>/lock`.

pub mod spool;

use std::path::{Path, PathBuf};
use std::time::Duration;

use caulk_model::inventory::Inventory;
use caulk_server::api;

use spool::{Report, Spool};

/// What the agent's version is, as it tells the server.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest answer read from the server (answers are small JSON objects).
const MAX_ANSWER: usize = 1 << 20;

/// How an agent runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server's base URL (`http://127.0.0.1:8080`).
    pub server: String,
    /// Spent on the first run only (when the state directory has no credential).
    pub enroll_token: Option<String>,
    /// The root to inventory (`None`: the live host `/`).
    pub root: Option<PathBuf>,
    /// The host's name at enrolment (else the inventory's, else the kernel's).
    pub hostname: Option<String>,
    /// Where the credential is kept.
    pub state_dir: PathBuf,
    /// Between two cycles of [`run`].
    pub interval: Duration,
    /// `--ca`: PEM certificates, the only roots trusted for an `https://` server.
    pub ca: Option<PathBuf>,
    /// `--insecure-http`: allow plain `http://` to a host that is not loopback.
    pub insecure_http: bool,
}

/// What stops a cycle.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("collecting the inventory: {0}")]
    Collect(String),
    #[error("hashing the inventory: {0}")]
    Hash(String),
    #[error("state directory {path}: {source}")]
    State {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "not enrolled: {0} has no credential; pass --enroll-token (an enrolment token from \
         POST /api/v1/enrollment-tokens) for the first run"
    )]
    NotEnrolled(PathBuf),
    #[error("no hostname to enrol with: pass --hostname")]
    NoHostname,
    #[error("the server refused the enrolment token (unknown, expired, revoked or used up)")]
    EnrolmentRefused,
    #[error(
        "the server refused this agent's credential ({0}): the host was revoked or removed; \
         delete it and enrol again with --enroll-token"
    )]
    CredentialRefused(PathBuf),
    #[error("{url}: {message}")]
    Http { url: String, message: String },
    #[error("{url}: the server answered {status}: {message}")]
    Server {
        url: String,
        status: u16,
        message: String,
    },
    #[error("starting the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("--server {url}: {message}")]
    ServerUrl { url: String, message: String },
    #[error("--ca {path}: {message}")]
    Ca { path: PathBuf, message: String },
    #[error("another caulk agent is running with the state directory {0}")]
    Busy(PathBuf),
}

impl Error {
    /// The server could not be reached or could not answer now (connect error, timeout,
    /// broken connection, 5xx, 408, 429): the report is worth keeping for later.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Http { .. } => true,
            Error::Server { status, .. } => *status >= 500 || matches!(status, 408 | 429),
            _ => false,
        }
    }

    /// The server says the report itself is bad (400, 413, 422): sending it again would
    /// fail again.
    pub fn is_bad_report(&self) -> bool {
        matches!(
            self,
            Error::Server {
                status: 400 | 413 | 422,
                ..
            }
        )
    }
}

/// What one cycle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleReport {
    /// The host id when this cycle enrolled.
    pub enrolled: Option<i64>,
    /// The inventory was sent (the server did not have its hash).
    pub sent: bool,
    /// Packages in the inventory.
    pub packages: usize,
    /// Hex SHA-256 of this cycle's inventory (`caulk_store::inventory_hash`).
    pub hash: String,
    /// When it was collected (RFC 3339).
    pub observed_at: String,
    /// Spooled reports delivered (acknowledged) this cycle, oldest first.
    pub delivered: Vec<Delivered>,
    /// `Some`: the server could not be reached; this cycle's report waits in the spool.
    pub spooled: Option<Spooled>,
    /// What else happened (a full spool dropped a report, a report was rejected).
    pub notices: Vec<String>,
}

/// A spooled report the server acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub hash: String,
    pub observed_at: String,
    pub outcome: Outcome,
}

/// What the server did with a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It had this inventory already.
    Unchanged,
    /// It stored it.
    Sent,
    /// It holds an inventory observed later, and kept that one.
    Stale,
}

/// A report kept for later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spooled {
    /// Why it was not delivered.
    pub reason: String,
    /// Its file.
    pub path: PathBuf,
    /// Reports waiting now, this one included.
    pub waiting: usize,
}

/// An agent: its configuration, its HTTP client and (once enrolled) its credential.
#[derive(Debug)]
pub struct Agent {
    config: Config,
    client: reqwest::Client,
    base: String,
    credential: Option<String>,
}

impl Agent {
    pub fn new(config: Config) -> Result<Agent, Error> {
        check_server_url(&config.server, config.insecure_http, config.ca.is_some())?;
        let roots_pem = match &config.ca {
            None => Vec::new(),
            Some(path) => vec![read_ca(path)?],
        };
        let opts = caulk_feed_sync::fetch::HttpOptions {
            connect_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(5 * 60),
            stall_timeout: Duration::from_secs(60),
            roots_pem,
            ..Default::default()
        };
        let client = caulk_feed_sync::fetch::client(&opts).map_err(|message| Error::Http {
            url: config.server.clone(),
            message,
        })?;
        let base = config.server.trim_end_matches('/').to_string();
        Ok(Agent {
            config,
            client,
            base,
            credential: None,
        })
    }

    fn credential_path(&self) -> PathBuf {
        self.config.state_dir.join("credential")
    }

    /// One cycle: collect and hash; enrol when not enrolled; deliver the spool, oldest
    /// first; check in and send when changed. When the server cannot be reached the report
    /// is spooled and the cycle answers `Ok` with [`CycleReport::spooled`] set.
    pub async fn cycle(&mut self) -> Result<CycleReport, Error> {
        let _lock = lock_state_dir(&self.config.state_dir)?;
        let observed_at = jiff::Timestamp::now().to_string();
        let spec = caulk_app::target::TargetSpec {
            root: self.config.root.clone(),
            ..Default::default()
        };
        let inventory = tokio::task::spawn_blocking(move || caulk_app::target::collect(&spec))
            .await
            .map_err(|e| Error::Collect(e.to_string()))?
            .map_err(|e| Error::Collect(e.to_string()))?
            .inventory;
        let hash =
            caulk_store::inventory_hash(&inventory).map_err(|e| Error::Hash(e.to_string()))?;
        let mut report = CycleReport {
            enrolled: None,
            sent: false,
            packages: inventory.packages.len(),
            hash: api::hex(&hash),
            observed_at: observed_at.clone(),
            delivered: Vec::new(),
            spooled: None,
            notices: Vec::new(),
        };
        let spool = Spool::new(&self.config.state_dir);
        match self.exchange(&inventory, &spool, &mut report).await {
            Ok(()) => Ok(report),
            Err(e) if e.is_transient() => {
                let kept = Report {
                    observed_at,
                    inventory_hash: report.hash.clone(),
                    inventory,
                };
                let path = spool.push(&kept, &mut report.notices)?;
                report.spooled = Some(Spooled {
                    reason: e.to_string(),
                    path,
                    waiting: spool.entries()?.len(),
                });
                Ok(report)
            }
            Err(e) => Err(e),
        }
    }

    /// Everything of a cycle that talks to the server.
    async fn exchange(
        &mut self,
        inventory: &Inventory,
        spool: &Spool,
        report: &mut CycleReport,
    ) -> Result<(), Error> {
        let credential = match self.credential.clone() {
            Some(c) => c,
            None => match read_credential(&self.credential_path())? {
                Some(c) => c,
                None => {
                    let (host, c) = self.enrol(inventory).await?;
                    report.enrolled = Some(host);
                    c
                }
            },
        };
        self.credential = Some(credential.clone());
        self.deliver_spool(&credential, spool, report).await?;
        let outcome = self
            .deliver(&credential, &report.hash, &report.observed_at, inventory)
            .await?;
        report.sent = outcome == Outcome::Sent;
        if outcome == Outcome::Stale {
            report.notices.push(format!(
                "the server holds an inventory observed after this one ({}): not stored",
                report.observed_at
            ));
        }
        Ok(())
    }

    /// Deliver the spooled reports oldest first; each is deleted once acknowledged. The
    /// first failure stops the delivery (and is returned) unless the server calls the
    /// report bad: then it moves to `spool/rejected/` and the next one goes.
    async fn deliver_spool(
        &self,
        credential: &str,
        spool: &Spool,
        report: &mut CycleReport,
    ) -> Result<(), Error> {
        for entry in spool.entries()? {
            let kept = match spool.read(&entry)? {
                Ok(kept) => kept,
                Err(why) => {
                    let to = spool.reject(&entry)?;
                    report.notices.push(format!(
                        "spooled report {} is unreadable ({why}): moved to {}",
                        entry.path.display(),
                        to.display()
                    ));
                    continue;
                }
            };
            // The hash the server compares is computed here again, not trusted from the file.
            let hash = caulk_store::inventory_hash(&kept.inventory)
                .map(|h| api::hex(&h))
                .map_err(|e| Error::Hash(e.to_string()))?;
            match self
                .deliver(credential, &hash, &kept.observed_at, &kept.inventory)
                .await
            {
                Ok(outcome) => {
                    spool.remove(&entry)?;
                    report.delivered.push(Delivered {
                        hash,
                        observed_at: kept.observed_at,
                        outcome,
                    });
                }
                Err(e) if e.is_bad_report() => {
                    let to = spool.reject(&entry)?;
                    report.notices.push(format!(
                        "the server refused spooled report {} ({e}): moved to {}",
                        entry.path.display(),
                        to.display()
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// One report: the hash first, the inventory (with when it was observed) only when the
    /// server lacks it.
    async fn deliver(
        &self,
        credential: &str,
        hash: &str,
        observed_at: &str,
        inventory: &Inventory,
    ) -> Result<Outcome, Error> {
        let check_in = api::CheckIn {
            inventory_hash: hash.to_string(),
        };
        let answer: api::Changed = self
            .agent_request(
                reqwest::Method::POST,
                "/api/v1/agent/check-in",
                credential,
                json(&check_in),
            )
            .await?;
        if !answer.changed {
            return Ok(Outcome::Unchanged);
        }
        // `api::InventoryQuery`'s one field.
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("observed_at", observed_at)
            .finish();
        let path = format!("/api/v1/agent/inventory?{query}");
        let answer: api::Changed = self
            .agent_request(reqwest::Method::PUT, &path, credential, json(inventory))
            .await?;
        Ok(if answer.stale {
            Outcome::Stale
        } else if answer.changed {
            Outcome::Sent
        } else {
            Outcome::Unchanged
        })
    }

    /// Trade the enrolment token for a host and a credential, and keep the credential.
    async fn enrol(&self, inventory: &Inventory) -> Result<(i64, String), Error> {
        let path = self.credential_path();
        let token = self
            .config
            .enroll_token
            .clone()
            .ok_or_else(|| Error::NotEnrolled(path.clone()))?;
        let hostname = self
            .config
            .hostname
            .clone()
            .or_else(|| inventory.host.hostname.clone())
            .or_else(kernel_hostname)
            .ok_or(Error::NoHostname)?;
        let body = api::EnrollRequest {
            enrollment_token: token,
            hostname,
            machine_id: inventory.host.machine_id.clone(),
            agent_version: Some(AGENT_VERSION.to_string()),
        };
        let url = format!("{}/api/v1/enroll", self.base);
        let req = self.client.post(&url);
        let (status, bytes) = send(req, json(&body), &url).await?;
        if status == 401 {
            return Err(Error::EnrolmentRefused);
        }
        let enrolled: api::Enrolled = decode(status, &bytes, &url)?;
        write_credential(&self.config.state_dir, &enrolled.credential)?;
        Ok((enrolled.host_id, enrolled.credential))
    }

    async fn agent_request<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        credential: &str,
        body: Vec<u8>,
    ) -> Result<T, Error> {
        let url = format!("{}{path}", self.base);
        let req = self.client.request(method, &url).bearer_auth(credential);
        let (status, bytes) = send(req, body, &url).await?;
        if status == 401 {
            return Err(Error::CredentialRefused(self.credential_path()));
        }
        decode(status, &bytes, &url)
    }
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    // Our own wire types and the inventory serialize infallibly (string keys, no floats
    // that are not finite).
    serde_json::to_vec(v).unwrap_or_default()
}

/// Send a JSON body; the status and the answer (bounded).
async fn send(
    req: reqwest::RequestBuilder,
    body: Vec<u8>,
    url: &str,
) -> Result<(u16, Vec<u8>), Error> {
    let http = |e: reqwest::Error| Error::Http {
        url: url.to_string(),
        message: caulk_feed_sync::fetch::chain(&e),
    };
    let mut resp = req
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(http)?;
    let status = resp.status().as_u16();
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(http)? {
        if bytes.len() + chunk.len() > MAX_ANSWER {
            return Err(Error::Http {
                url: url.to_string(),
                message: format!("the answer is over {MAX_ANSWER} bytes"),
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((status, bytes))
}

/// A 2xx answer as `T`; anything else as an error with the server's message.
fn decode<T: serde::de::DeserializeOwned>(
    status: u16,
    bytes: &[u8],
    url: &str,
) -> Result<T, Error> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(bytes).map_err(|e| Error::Http {
            url: url.to_string(),
            message: format!("an answer this agent does not understand: {e}"),
        });
    }
    let message = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned());
    Err(Error::Server {
        url: url.to_string(),
        status,
        message,
    })
}

/// The kernel's hostname (Linux), for an agent on the live host.
fn kernel_hostname() -> Option<String> {
    let s = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn read_credential(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::State {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// `<dir>/credential`, mode 0600, in a directory created 0700; written beside and renamed.
fn write_credential(dir: &Path, credential: &str) -> Result<(), Error> {
    spool::private_dir(dir)?;
    spool::write_private(dir, "credential", format!("{credential}\n").as_bytes())?;
    Ok(())
}

/// `<state-dir>/lock`, held (an exclusive advisory lock) for the cycle: two agents on one
/// state directory would deliver one spool twice.
fn lock_state_dir(dir: &Path) -> Result<std::fs::File, Error> {
    spool::private_dir(dir)?;
    let path = dir.join("lock");
    let state = |source| Error::State {
        path: path.clone(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let f = opts.open(&path).map_err(state)?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Busy(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(state(e)),
    }
}

/// Plain HTTP only to loopback unless `insecure_http`; `--ca` only with `https://`.
fn check_server_url(server: &str, insecure_http: bool, pinned: bool) -> Result<(), Error> {
    let bad = |message: String| Error::ServerUrl {
        url: server.to_string(),
        message,
    };
    let url = reqwest::Url::parse(server).map_err(|e| {
        bad(format!(
            "not a URL ({e}); want https://HOST[:PORT] (or http:// on loopback)"
        ))
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if pinned => Err(bad(
            "--ca pins the CA of an https:// server; this URL is plain HTTP".into(),
        )),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback || insecure_http {
                Ok(())
            } else {
                Err(bad(
                    "refusing plain HTTP to a host that is not loopback: the credential and \
                     the inventory would cross the network unencrypted; use https:// (with \
                     --ca to pin the server's CA), or pass --insecure-http"
                        .into(),
                ))
            }
        }
        other => Err(bad(format!("scheme {other}: want https:// or http://"))),
    }
}

/// The PEM certificates of `--ca` (at least one).
fn read_ca(path: &Path) -> Result<Vec<u8>, Error> {
    let bad = |message: String| Error::Ca {
        path: path.to_path_buf(),
        message,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(pem),
        Ok(_) => Err(bad(
            "no certificate in it (want PEM `BEGIN CERTIFICATE` blocks)".into(),
        )),
        Err(e) => Err(bad(format!(
            "not a PEM certificate bundle: {}",
            caulk_feed_sync::fetch::chain(&e)
        ))),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// One cycle (`caulk agent --once`). Blocking: a runtime of its own.
pub fn run_once(config: Config) -> Result<CycleReport, Error> {
    let rt = runtime()?;
    let out = rt.block_on(async { Agent::new(config)?.cycle().await });
    rt.shutdown_timeout(Duration::from_secs(5));
    out
}

/// The delay before the next attempt after `failures` failed cycles in a row: 10 s
/// doubling, at most `cap`, with full jitter (uniform in [d/2, d]) so a fleet that lost its
/// server does not come back in step.
pub fn backoff(failures: u32, cap: Duration, jitter: u64) -> Duration {
    let base = Duration::from_secs(10);
    let d = base
        .checked_mul(1u32 << failures.saturating_sub(1).min(16))
        .unwrap_or(cap)
        .min(cap);
    let half = d / 2;
    let ms = half.as_millis() as u64;
    half + Duration::from_millis(if ms == 0 { 0 } else { jitter % (ms + 1) })
}

/// A random number for jitter: std's per-process random hash keys, no extra dependency.
fn jitter() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// Cycles every `config.interval` until SIGTERM or SIGINT; a failed cycle is retried after
/// [`backoff`] (capped at the interval). `notice` is told what each cycle did.
pub fn run(config: Config, notice: impl Fn(&str)) -> Result<(), Error> {
    let rt = runtime()?;
    let interval = config.interval;
    let out = rt.block_on(async {
        let mut agent = Agent::new(config)?;
        let shutdown = caulk_server::shutdown_signal();
        tokio::pin!(shutdown);
        let mut failures = 0u32;
        loop {
            let delay = tokio::select! {
                () = &mut shutdown => return Ok(()),
                r = agent.cycle() => match r {
                    Ok(r) if r.spooled.is_some() => {
                        failures = failures.saturating_add(1);
                        let d = backoff(failures, interval.max(Duration::from_secs(10)), jitter());
                        for line in describe(&r) {
                            notice(&line);
                        }
                        notice(&format!("next attempt in {}s", d.as_secs()));
                        d
                    }
                    Ok(r) => {
                        failures = 0;
                        for line in describe(&r) {
                            notice(&line);
                        }
                        interval
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let d = backoff(failures, interval.max(Duration::from_secs(10)), jitter());
                        notice(&format!("cycle failed: {e}; next attempt in {}s", d.as_secs()));
                        d
                    }
                },
            };
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(delay) => {}
            }
        }
    });
    rt.shutdown_timeout(Duration::from_secs(5));
    out
}

/// What a cycle did, a line each: the spooled reports delivered, the notices, then this
/// cycle's report (hashes in full: they name the inventories the server holds).
pub fn describe(r: &CycleReport) -> Vec<String> {
    let mut lines = Vec::new();
    for d in &r.delivered {
        let what = match d.outcome {
            Outcome::Sent => "stored",
            Outcome::Unchanged => "the server had it",
            Outcome::Stale => "not stored, the server holds a later inventory",
        };
        lines.push(format!(
            "spooled report delivered (observed {}, hash {}): {what}",
            d.observed_at, d.hash
        ));
    }
    lines.extend(r.notices.iter().cloned());
    let mut s = String::new();
    if let Some(h) = r.enrolled {
        s.push_str(&format!("enrolled as host {h}; "));
    }
    match &r.spooled {
        Some(sp) => s.push_str(&format!(
            "report not delivered ({}); spooled ({} packages, hash {}) as {}; {} waiting",
            sp.reason,
            r.packages,
            r.hash,
            sp.path.display(),
            sp.waiting
        )),
        None if r.sent => s.push_str(&format!(
            "inventory sent ({} packages, hash {})",
            r.packages, r.hash
        )),
        None => s.push_str(&format!("inventory unchanged (hash {})", r.hash)),
    }
    lines.push(s);
    lines
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_in_the_upper_half() {
        let cap = Duration::from_secs(3600);
        for j in [0, 1, 12345, u64::MAX] {
            let d1 = backoff(1, cap, j);
            assert!(d1 >= Duration::from_secs(5) && d1 <= Duration::from_secs(10));
            let d3 = backoff(3, cap, j);
            assert!(d3 >= Duration::from_secs(20) && d3 <= Duration::from_secs(40));
            let big = backoff(40, cap, j);
            assert!(big >= cap / 2 && big <= cap);
        }
        assert_eq!(backoff(1, cap, 0), Duration::from_secs(5));
    }

    #[test]
    fn plain_http_is_for_loopback_unless_asked_and_a_pinned_ca_wants_https() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:8080/",
            "http://localhost:1",
            "http://LOCALHOST",
            "https://caulk.example:8443",
            "https://10.0.0.1",
        ] {
            assert!(check_server_url(ok, false, false).is_ok(), "{ok}");
        }
        for refused in [
            "http://10.0.0.1:8080",
            "http://caulk.example",
            "http://localhost.example",
            "http://[::2]",
        ] {
            let e = check_server_url(refused, false, false).unwrap_err();
            assert!(e.to_string().contains("--insecure-http"), "{refused}: {e}");
            assert!(check_server_url(refused, true, false).is_ok(), "{refused}");
        }
        let e = check_server_url("http://127.0.0.1", false, true).unwrap_err();
        assert!(e.to_string().contains("--ca pins"), "{e}");
        assert!(check_server_url("https://h", false, true).is_ok());
        for bad in ["ftp://h", "caulk.example:8080", ""] {
            assert!(
                matches!(
                    check_server_url(bad, true, false),
                    Err(Error::ServerUrl { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_bad_report_is_not_retried_and_an_unreachable_server_is_transient() {
        let server = |status| Error::Server {
            url: "u".into(),
            status,
            message: "m".into(),
        };
        for s in [400, 413, 422] {
            assert!(
                server(s).is_bad_report() && !server(s).is_transient(),
                "{s}"
            );
        }
        for s in [500, 502, 503, 408, 429] {
            assert!(
                server(s).is_transient() && !server(s).is_bad_report(),
                "{s}"
            );
        }
        for s in [401, 403, 404] {
            assert!(
                !server(s).is_transient() && !server(s).is_bad_report(),
                "{s}"
            );
        }
        let http = Error::Http {
            url: "u".into(),
            message: "connection refused".into(),
        };
        assert!(http.is_transient());
        assert!(!Error::EnrolmentRefused.is_transient());
    }

    #[test]
    fn one_agent_per_state_directory_at_a_time() {
        let tmp = tempfile::tempdir().unwrap();
        let held = lock_state_dir(tmp.path()).unwrap();
        assert!(matches!(lock_state_dir(tmp.path()), Err(Error::Busy(_))));
        drop(held);
        assert!(lock_state_dir(tmp.path()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn the_credential_is_written_0600_in_a_0700_directory() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state/agent");
        write_credential(&dir, "caulk_agt_1_ab").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("credential")), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(
            read_credential(&dir.join("credential")).unwrap().as_deref(),
            Some("caulk_agt_1_ab")
        );
        assert_eq!(read_credential(&dir.join("missing")).unwrap(), None);
        // A state directory that already existed, open to all, is tightened too.
        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        write_credential(&open, "caulk_agt_2_cd").unwrap();
        assert_eq!(mode(&open), 0o700);
    }
}
