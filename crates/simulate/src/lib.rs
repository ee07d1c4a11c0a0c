//! `caulk dev simulate`: a fleet of virtual agents driving a real `caulk server` over HTTP,
//! and what the server sustained.
//!
//! Main types: [`Options`] (server, admin token, hosts, concurrency, seed, rounds), [`run`]
//! (enrol every host, send every first inventory, then rounds of unchanged check-ins, then
//! page through `GET /api/v1/hosts`), [`Report`] (per phase: rate, latency p50/p99/max,
//! errors by status, the simulator's own CPU time) and [`fleet::Fleet`] (the hosts'
//! inventories: seeded variations of the real ones in `../shared/data`).
//!
//! Each virtual agent does what `caulk agent` does (`caulk_agent::Agent::cycle`): it enrols
//! with an enrolment token made over the API, hashes its inventory with
//! `caulk_store::inventory_hash`, checks in with the hash and sends the inventory when the
//! server answers `changed: true`. The wire types are `caulk_server::api`'s; the two admin
//! answers that type only serializes (the enrolment token, a page of hosts) are read as JSON
//! values.
//!
//! The traps of this domain:
//! - *The simulator shares the machine*: its own work (building, hashing and serializing
//!   inventories, TLS-free HTTP) takes CPU from the server it measures, so each phase reports
//!   the simulator's CPU seconds beside the wall time.
//! - *A failed request is data*: it is counted by phase and status and the run goes on; the
//!   caller decides (the CLI exits non-zero when any request failed).

pub mod fleet;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use caulk_server::api;
use serde::Serialize;

/// How a simulation runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server's base URL (`http://127.0.0.1:8080`).
    pub server: String,
    /// An API token with the admin or operator role (it makes the enrolment token).
    pub token: String,
    pub hosts: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub seed: u64,
    /// Rounds of unchanged check-ins after the first inventories.
    pub check_ins: u32,
    /// The shared data directory (`../shared/data`).
    pub data: PathBuf,
    /// Write one JSON line per host (hostname, host id, template, packages sent, hash).
    pub manifest: Option<PathBuf>,
    /// The server's process id, to read its CPU time per phase (`/proc/PID/stat`) and its
    /// peak RSS (`/proc/PID/status`) at the end.
    pub server_pid: Option<u32>,
}

/// What stops a simulation before it can measure anything.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading the inventories: {0}")]
    Data(#[from] fleet::DataError),
    #[error("{url}: {message}")]
    Http { url: String, message: String },
    #[error("creating the enrolment token: the server answered {status}: {body}")]
    EnrolmentToken { status: u16, body: String },
    #[error("{path}: {source}")]
    Manifest {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("starting the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Latencies of one phase's requests, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One phase of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: &'static str,
    /// What `rate` counts (`hosts/s`, `check-ins/s`, `pages/s`).
    pub unit: &'static str,
    /// Units done without error.
    pub ok: u64,
    pub seconds: f64,
    pub rate: f64,
    pub latency: Latency,
    /// Failed units by cause: an HTTP status, `transport` or `unexpected answer`.
    pub errors: BTreeMap<String, u64>,
    /// CPU seconds the simulator itself spent (user + system) during the phase.
    pub simulator_cpu_seconds: f64,
    /// CPU seconds the server process spent (user + system, all its threads) during the
    /// phase, when its PID was given (a PostgreSQL server's own processes not counted).
    pub server_cpu_seconds: Option<f64>,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub hosts: u64,
    pub concurrency: usize,
    pub seed: u64,
    pub check_in_rounds: u32,
    /// Hosts per template (`debian-12`, `rhel-8`, …).
    pub templates: BTreeMap<&'static str, u64>,
    /// Packages in all first inventories sent.
    pub packages_sent: u64,
    /// Hosts `GET /api/v1/hosts` listed at the end (the server's whole fleet).
    pub hosts_listed: u64,
    pub phases: Vec<Phase>,
    /// The server's peak and current RSS in KiB (`VmHWM`, `VmRSS`), when its PID was given.
    pub server_vm_hwm_kib: Option<u64>,
    pub server_vm_rss_kib: Option<u64>,
}

impl Report {
    /// Failed units in all phases.
    pub fn errors(&self) -> u64 {
        self.phases.iter().flat_map(|p| p.errors.values()).sum()
    }
}

/// One host's line in the manifest.
#[derive(Debug, Serialize)]
struct ManifestLine<'a> {
    hostname: &'a str,
    host_id: i64,
    template: &'a str,
    ecosystem: Option<&'a str>,
    packages: usize,
    inventory_hash: String,
}

#[derive(Debug, Default)]
struct Stats {
    latencies: Vec<f64>,
    errors: BTreeMap<String, u64>,
}

impl Stats {
    fn ok(&mut self, d: Duration) {
        self.latencies.push(d.as_secs_f64() * 1e3);
    }
    fn err(&mut self, cause: String) {
        *self.errors.entry(cause).or_default() += 1;
    }
}

type Shared = Arc<Mutex<Stats>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Stats> {
    // A panicking worker cannot leave the counters half-updated: take them as they are.
    s.lock().unwrap_or_else(|e| e.into_inner())
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// The process's user + system CPU seconds (Linux `/proc/self/stat`; 0 elsewhere).
fn cpu_seconds() -> f64 {
    cpu_seconds_of("self").unwrap_or(0.0)
}

/// User + system CPU seconds of a process (`self` or a PID), from `/proc/<pid>/stat`.
fn cpu_seconds_of(pid: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based), 11 and 12 after the state field.
    Some((tick(11) + tick(12)) / 100.0)
}

/// `VmHWM` and `VmRSS` of a process, in KiB.
fn vm_of(pid: u32) -> (Option<u64>, Option<u64>) {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (None, None);
    };
    let field = |name: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    (field("VmHWM:"), field("VmRSS:"))
}

struct Timer {
    start: Instant,
    cpu: f64,
    server: Option<(String, f64)>,
}

impl Timer {
    fn start(server_pid: Option<u32>) -> Timer {
        let server = server_pid.and_then(|pid| {
            let pid = pid.to_string();
            let cpu = cpu_seconds_of(&pid)?;
            Some((pid, cpu))
        });
        Timer {
            start: Instant::now(),
            cpu: cpu_seconds(),
            server,
        }
    }

    fn phase(self, name: &'static str, unit: &'static str, stats: Shared) -> Phase {
        let seconds = self.start.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - self.cpu;
        let server_cpu = self
            .server
            .and_then(|(pid, at)| Some(cpu_seconds_of(&pid)? - at));
        let mut st = lock(&stats);
        let mut lat = std::mem::take(&mut st.latencies);
        lat.sort_by(f64::total_cmp);
        let ok = lat.len() as u64;
        Phase {
            name,
            unit,
            ok,
            seconds,
            rate: if seconds > 0.0 {
                ok as f64 / seconds
            } else {
                0.0
            },
            latency: Latency {
                p50_ms: percentile(&lat, 0.50),
                p99_ms: percentile(&lat, 0.99),
                max_ms: lat.last().copied().unwrap_or(0.0),
            },
            errors: std::mem::take(&mut st.errors),
            simulator_cpu_seconds: cpu,
            server_cpu_seconds: server_cpu,
        }
    }
}

/// Run `f(i)` for every `i < n` with `c` in flight.
async fn drive<F, Fut>(n: u64, c: usize, f: F)
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let f = Arc::new(f);
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..c.max(1))
        .map(|_| {
            let (f, next) = (f.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    f(i).await;
                }
            })
        })
        .collect();
    for t in tasks {
        // A worker that panicked has lost only its own host; the others' counts stand.
        let _ = t.await;
    }
}

/// An HTTP failure, as the error table counts it.
#[derive(Debug)]
enum Failure {
    Status(u16, String),
    Transport(String),
    Unexpected(String),
}

impl Failure {
    fn cause(&self) -> String {
        match self {
            Failure::Status(s, _) => s.to_string(),
            Failure::Transport(_) => "transport".into(),
            Failure::Unexpected(_) => "unexpected answer".into(),
        }
    }

    fn detail(&self) -> &str {
        match self {
            Failure::Status(_, m) | Failure::Transport(m) | Failure::Unexpected(m) => m,
        }
    }
}

#[derive(Debug, Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// One request with a JSON body (or none); a 2xx answer as `T`.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<T, Failure> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Failure::Transport(caulk_feed_sync::fetch::chain(&e)))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Failure::Transport(caulk_feed_sync::fetch::chain(&e)))?;
        if !(200..300).contains(&status) {
            return Err(Failure::Status(
                status,
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned(),
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| Failure::Unexpected(format!("{path}: {e}")))
    }
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    // Our wire types and inventories serialize infallibly (string keys, no NaN).
    serde_json::to_vec(v).unwrap_or_default()
}

/// What a host's first inventory was.
#[derive(Debug)]
struct Sent {
    hash: [u8; 32],
    packages: usize,
    template: &'static str,
    hostname: String,
    ecosystem: Option<String>,
}

/// A host after enrolment and its first inventory.
#[derive(Debug)]
struct Enrolled {
    host_id: i64,
    credential: String,
}

/// Run a simulation (blocking: a runtime of its own). `notice` is told what starts; the
/// first failure of each kind is told too, with the server's message.
pub fn run(opts: Options, notice: impl Fn(&str) + Send + Sync + 'static) -> Result<Report, Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let out = rt.block_on(run_async(opts, Arc::new(notice)));
    rt.shutdown_timeout(Duration::from_secs(5));
    out
}

type Notice = Arc<dyn Fn(&str) + Send + Sync>;

fn record(stats: &Shared, notice: &Notice, what: &str, f: Failure) {
    let mut st = lock(stats);
    let first = !st.errors.contains_key(&f.cause());
    st.err(f.cause());
    drop(st);
    if first {
        notice(&format!("{what}: {} ({})", f.cause(), f.detail()));
    }
}

async fn run_async(opts: Options, notice: Notice) -> Result<Report, Error> {
    let fleet = Arc::new(fleet::Fleet::load(&opts.data)?);
    let http_opts = caulk_feed_sync::fetch::HttpOptions {
        connect_timeout: Duration::from_secs(15),
        timeout: Duration::from_secs(120),
        stall_timeout: Duration::from_secs(60),
        ..Default::default()
    };
    let base = opts.server.trim_end_matches('/').to_string();
    let http = caulk_feed_sync::fetch::client(&http_opts).map_err(|message| Error::Http {
        url: base.clone(),
        message,
    })?;
    let client = Client { http, base };
    let n = opts.hosts;
    let c = opts.concurrency.max(1);
    let seed = opts.seed;

    // The enrolment token, made over the API as an administrator does.
    let max_uses = u32::try_from(n).unwrap_or(u32::MAX);
    let body = serde_json::json!({"max_uses": max_uses, "expires_in": "24h", "name": "simulate"});
    let token: serde_json::Value = client
        .call(
            reqwest::Method::POST,
            "/api/v1/enrollment-tokens",
            Some(&opts.token),
            Some(json(&body)),
        )
        .await
        .map_err(|f| match f {
            Failure::Status(status, body) => Error::EnrolmentToken { status, body },
            f => Error::Http {
                url: format!("{}/api/v1/enrollment-tokens", client.base),
                message: f.detail().to_string(),
            },
        })?;
    let enrol_token: Arc<str> = token["token"]
        .as_str()
        .ok_or_else(|| Error::Http {
            url: format!("{}/api/v1/enrollment-tokens", client.base),
            message: format!("no token in the answer: {token}"),
        })?
        .into();

    let slots: Arc<Vec<OnceLock<Enrolled>>> = Arc::new((0..n).map(|_| OnceLock::new()).collect());
    let mut phases = Vec::new();

    // 1. Enrolment: every host trades the token for its credential.
    notice(&format!("enrolling {n} hosts, {c} at a time"));
    let stats = Shared::default();
    let timer = Timer::start(opts.server_pid);
    {
        let (client, fleet, slots, stats, token, notice) = (
            client.clone(),
            fleet.clone(),
            slots.clone(),
            stats.clone(),
            enrol_token.clone(),
            notice.clone(),
        );
        drive(n, c, move |i| {
            let (client, fleet, slots, stats, token, notice) = (
                client.clone(),
                fleet.clone(),
                slots.clone(),
                stats.clone(),
                token.clone(),
                notice.clone(),
            );
            async move {
                let (_, hostname, machine_id) = fleet.identity(seed, i);
                let body = api::EnrollRequest {
                    enrollment_token: token.to_string(),
                    hostname,
                    machine_id: Some(machine_id),
                    agent_version: Some(format!("simulate/{}", env!("CARGO_PKG_VERSION"))),
                };
                let t = Instant::now();
                let r: Result<api::Enrolled, _> = client
                    .call(
                        reqwest::Method::POST,
                        "/api/v1/enroll",
                        None,
                        Some(json(&body)),
                    )
                    .await;
                match r {
                    Ok(e) => {
                        lock(&stats).ok(t.elapsed());
                        let _ = slots[i as usize].set(Enrolled {
                            host_id: e.host_id,
                            credential: e.credential,
                        });
                    }
                    Err(f) => record(&stats, &notice, "enrol", f),
                }
            }
        })
        .await;
    }
    phases.push(timer.phase("enrol", "hosts/s", stats));

    // 2. First inventories: the hash (the server has none: `changed`), then the inventory.
    notice("sending first inventories");
    let hashes: Arc<Vec<OnceLock<Sent>>> = Arc::new((0..n).map(|_| OnceLock::new()).collect());
    let stats = Shared::default();
    let timer = Timer::start(opts.server_pid);
    {
        let (client, fleet, slots, hashes, stats, notice) = (
            client.clone(),
            fleet.clone(),
            slots.clone(),
            hashes.clone(),
            stats.clone(),
            notice.clone(),
        );
        drive(n, c, move |i| {
            let (client, fleet, slots, hashes, stats, notice) = (
                client.clone(),
                fleet.clone(),
                slots.clone(),
                hashes.clone(),
                stats.clone(),
                notice.clone(),
            );
            async move {
                let Some(e) = slots[i as usize].get() else {
                    return;
                };
                let host = fleet.host(seed, i);
                let hash = match caulk_store::inventory_hash(&host.inventory) {
                    Ok(h) => h,
                    Err(err) => {
                        let f = Failure::Unexpected(format!("hashing the inventory: {err}"));
                        return record(&stats, &notice, "first inventory", f);
                    }
                };
                let body = json(&host.inventory);
                let check_in = json(&api::CheckIn {
                    inventory_hash: api::hex(&hash),
                });
                let t = Instant::now();
                let r: Result<api::Changed, _> = client
                    .call(
                        reqwest::Method::POST,
                        "/api/v1/agent/check-in",
                        Some(&e.credential),
                        Some(check_in),
                    )
                    .await;
                match r {
                    Ok(api::Changed { changed: true, .. }) => {}
                    Ok(_) => {
                        let f =
                            Failure::Unexpected("first check-in answered changed: false".into());
                        return record(&stats, &notice, "first inventory", f);
                    }
                    Err(f) => return record(&stats, &notice, "first inventory", f),
                }
                let r: Result<api::Changed, _> = client
                    .call(
                        reqwest::Method::PUT,
                        "/api/v1/agent/inventory",
                        Some(&e.credential),
                        Some(body),
                    )
                    .await;
                match r {
                    Ok(api::Changed { stale: true, .. }) => {
                        let f = Failure::Unexpected("the first inventory was called stale".into());
                        record(&stats, &notice, "first inventory", f);
                    }
                    Ok(_) => {
                        lock(&stats).ok(t.elapsed());
                        let _ = hashes[i as usize].set(Sent {
                            hash,
                            packages: host.inventory.packages.len(),
                            template: host.template,
                            ecosystem: host
                                .inventory
                                .host
                                .os
                                .as_ref()
                                .and_then(|o| o.ecosystem.clone()),
                            hostname: host.hostname,
                        });
                    }
                    Err(f) => record(&stats, &notice, "first inventory", f),
                }
            }
        })
        .await;
    }
    phases.push(timer.phase("first inventory", "hosts/s", stats));

    // 3. Unchanged check-ins: K rounds over every host, the hash only.
    notice(&format!("{} rounds of unchanged check-ins", opts.check_ins));
    let stats = Shared::default();
    let timer = Timer::start(opts.server_pid);
    {
        let (client, slots, stats, notice) =
            (client.clone(), slots.clone(), stats.clone(), notice.clone());
        let bodies: Arc<Vec<Option<Vec<u8>>>> = Arc::new(
            hashes
                .iter()
                .map(|h| {
                    h.get().map(|s| {
                        json(&api::CheckIn {
                            inventory_hash: api::hex(&s.hash),
                        })
                    })
                })
                .collect(),
        );
        drive(n * u64::from(opts.check_ins), c, move |k| {
            let (client, slots, bodies, stats, notice) = (
                client.clone(),
                slots.clone(),
                bodies.clone(),
                stats.clone(),
                notice.clone(),
            );
            async move {
                let i = (k % n) as usize;
                let (Some(e), Some(body)) = (slots[i].get(), &bodies[i]) else {
                    return;
                };
                let t = Instant::now();
                let r: Result<api::Changed, _> = client
                    .call(
                        reqwest::Method::POST,
                        "/api/v1/agent/check-in",
                        Some(&e.credential),
                        Some(body.clone()),
                    )
                    .await;
                match r {
                    Ok(api::Changed { changed: false, .. }) => lock(&stats).ok(t.elapsed()),
                    Ok(_) => record(
                        &stats,
                        &notice,
                        "unchanged check-in",
                        Failure::Unexpected("an unchanged check-in answered changed: true".into()),
                    ),
                    Err(f) => record(&stats, &notice, "unchanged check-in", f),
                }
            }
        })
        .await;
    }
    phases.push(timer.phase("unchanged check-in", "check-ins/s", stats));

    // 4. The administrator's view: every page of `GET /api/v1/hosts`, one at a time.
    notice("paging through GET /api/v1/hosts");
    let stats = Shared::default();
    let timer = Timer::start(opts.server_pid);
    let mut cursor: Option<String> = None;
    let mut listed = 0u64;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/hosts?limit=100&cursor={c}"),
            None => "/api/v1/hosts?limit=100".to_string(),
        };
        let t = Instant::now();
        let r: Result<serde_json::Value, _> = client
            .call(reqwest::Method::GET, &path, Some(&opts.token), None)
            .await;
        match r {
            Ok(page) => {
                lock(&stats).ok(t.elapsed());
                listed += page["hosts"].as_array().map_or(0, |a| a.len() as u64);
                match page["next"].as_str() {
                    Some(next) => cursor = Some(next.to_string()),
                    None => break,
                }
            }
            Err(f) => {
                record(&stats, &notice, "list hosts", f);
                break;
            }
        }
    }
    phases.push(timer.phase("list hosts (pages of 100)", "pages/s", stats));

    let (server_vm_hwm_kib, server_vm_rss_kib) = match opts.server_pid {
        Some(pid) => vm_of(pid),
        None => (None, None),
    };

    // The manifest and the totals.
    let mut templates: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut packages_sent = 0u64;
    let mut manifest = match &opts.manifest {
        Some(p) => Some((
            p.clone(),
            std::io::BufWriter::new(std::fs::File::create(p).map_err(|source| {
                Error::Manifest {
                    path: p.clone(),
                    source,
                }
            })?),
        )),
        None => None,
    };
    for i in 0..n {
        let Some(sent) = hashes[i as usize].get() else {
            *templates.entry(fleet.identity(seed, i).0).or_default() += 1;
            continue;
        };
        *templates.entry(sent.template).or_default() += 1;
        packages_sent += sent.packages as u64;
        if let Some((path, w)) = &mut manifest {
            let line = ManifestLine {
                hostname: &sent.hostname,
                host_id: slots[i as usize].get().map_or(0, |e| e.host_id),
                template: sent.template,
                ecosystem: sent.ecosystem.as_deref(),
                packages: sent.packages,
                inventory_hash: api::hex(&sent.hash),
            };
            use std::io::Write;
            serde_json::to_writer(&mut *w, &line)
                .map_err(std::io::Error::other)
                .and_then(|()| w.write_all(b"\n"))
                .map_err(|source| Error::Manifest {
                    path: path.clone(),
                    source,
                })?;
        }
    }
    if let Some((path, mut w)) = manifest {
        use std::io::Write;
        w.flush()
            .map_err(|source| Error::Manifest { path, source })?;
    }
    Ok(Report {
        hosts: n,
        concurrency: c,
        seed,
        check_in_rounds: opts.check_ins,
        templates,
        packages_sent,
        hosts_listed: listed,
        phases,
        server_vm_hwm_kib,
        server_vm_rss_kib,
    })
}
