//! `caulk agent`: enrols a host with the fleet server once, then reports its inventory —
//! the hash first, the whole inventory only when the server says it changed.
//!
//! Main types: [`Config`] (server, enrolment token, root, state directory, interval),
//! [`Agent`] (one HTTP client and the credential), [`Agent::cycle`] (collect → hash →
//! check in → send when changed), [`run_once`] and [`run`] (a loop with exponential backoff
//! and jitter after a failed cycle, stopped by SIGTERM/SIGINT). The inventory is collected
//! by `caulk_app::target::collect` (the same as `caulk inventory --root`), hashed by
//! `caulk_store::inventory_hash` (the hash the server keeps), and the wire types are
//! `caulk_server::api`'s: one definition of each.
//!
//! The traps of this domain:
//! - *The credential is a secret shown once*: it is written to `<state-dir>/credential`
//!   with mode 0600 in a 0700 directory (written beside and renamed, so a crash never
//!   leaves half a credential), and never printed.
//! - *An enrolment token is spent by enrolling*: the agent enrols only when it has no
//!   credential; a stored credential wins over `--enroll-token`.
//! - *Not yet*: no spool (a cycle that cannot reach the server is retried, not stored),
//!   no pinned CA (the system's roots are trusted for `https://`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use caulk_model::inventory::Inventory;
use caulk_server::api;

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
        let opts = caulk_feed_sync::fetch::HttpOptions {
            connect_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(5 * 60),
            stall_timeout: Duration::from_secs(60),
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

    /// One cycle: collect, hash, enrol when not enrolled, check in, send when changed.
    pub async fn cycle(&mut self) -> Result<CycleReport, Error> {
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
        };
        let credential = match self.credential.clone() {
            Some(c) => c,
            None => match read_credential(&self.credential_path())? {
                Some(c) => c,
                None => {
                    let (host, c) = self.enrol(&inventory).await?;
                    report.enrolled = Some(host);
                    c
                }
            },
        };
        self.credential = Some(credential.clone());
        let check_in = api::CheckIn {
            inventory_hash: api::hex(&hash),
        };
        let answer: api::Changed = self
            .agent_request(
                reqwest::Method::POST,
                "/api/v1/agent/check-in",
                &credential,
                json(&check_in),
            )
            .await?;
        if answer.changed {
            let _: api::Changed = self
                .agent_request(
                    reqwest::Method::PUT,
                    "/api/v1/agent/inventory",
                    &credential,
                    json(&inventory),
                )
                .await?;
            report.sent = true;
        }
        Ok(report)
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
        message: chain(&e),
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

fn chain(e: &dyn std::error::Error) -> String {
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
    let state = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::State { path, source }
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(state(dir))?;
    // An existing directory keeps its mode under `create`: tighten it whatever it was.
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(state(dir))?;
    let tmp = dir.join("credential.new");
    let path = dir.join("credential");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp).map_err(state(&tmp))?;
    // A file left by an older run may have another mode: set it whatever it was.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(state(&tmp))?;
    }
    f.write_all(credential.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())
        .map_err(state(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(state(&path))?;
    Ok(())
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
                    Ok(r) => {
                        failures = 0;
                        notice(&describe(&r));
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

/// One line about a cycle.
pub fn describe(r: &CycleReport) -> String {
    let mut s = String::new();
    if let Some(h) = r.enrolled {
        s.push_str(&format!("enrolled as host {h}; "));
    }
    if r.sent {
        s.push_str(&format!("inventory sent ({} packages)", r.packages));
    } else {
        s.push_str("inventory unchanged");
    }
    s
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
