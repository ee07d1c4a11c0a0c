//! `caulk db sync` and `caulk db mirror`: bring the feeds from the public sources, an HTTP
//! mirror or a mirror directory, and import what changed.
//!
//! A sync makes a plan (which file of which feed from which URL), downloads the files
//! concurrently into a staging directory beside the database (`<db>.sync/`, mirror layout),
//! checks each download (complete, a readable zip / a complete gzip / JSON, the mirror
//! manifest's size and SHA-256 when there is one), and imports the feeds that changed into a
//! new database; every other feed (not modified, failed, or not selected this time) is copied
//! from the previous database with its status. Nothing is rebuilt when nothing changed: a
//! 304 only updates the feed's check time in place.
//!
//! "Changed" is asked of the source: a conditional request with the ETag and Last-Modified
//! of the last download (kept in the database's `meta`, see [`caulk_advisory_db::store::FetchMeta`]);
//! for a mirror with a manifest, the manifest's SHA-256 against the one imported.
//!
//! The async runtime (tokio, one thread) lives inside [`run`] and [`mirror`]: callers are
//! plain synchronous code.

use crate::Error;
use crate::fetch::{self, Conditional, Downloaded, Fetched, HttpOptions, Jitter};
use crate::progress::{Progress, Silent, bytes_text};
use caulk_advisory_db::import::Observer;
use caulk_advisory_db::import::{self, FetchInfo};
use caulk_advisory_db::manifest::{MANIFEST_NAME, Manifest, ManifestFile};
use caulk_advisory_db::now_unix;
use caulk_advisory_db::store::{FetchMeta, Store};
use caulk_advisory_db::zipread::Limits;
use caulk_model::advisory::FeedStatus;
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// osv.dev's bucket: `<base>/<Ecosystem>/all.zip`, `<base>/ecosystems.txt`.
pub const OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// CISA's Known Exploited Vulnerabilities catalogue.
pub const KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// FIRST EPSS, today's scores of every CVE.
pub const EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

/// Where the public feeds are (overridable: a proxy, a test server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrls {
    pub osv_base: String,
    pub kev: String,
    pub epss: String,
}

impl Default for PublicUrls {
    fn default() -> Self {
        PublicUrls {
            osv_base: OSV_BASE.into(),
            kev: KEV_URL.into(),
            epss: EPSS_URL.into(),
        }
    }
}

/// Where a sync reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// osv.dev, CISA KEV, FIRST EPSS.
    Public(PublicUrls),
    /// An HTTP(S) mirror with the layout of a mirror directory (base URL, no trailing `/`).
    Mirror(String),
    /// A mirror directory.
    Dir(PathBuf),
}

impl Source {
    /// `http://…` or `https://…` is a mirror URL, anything else a directory.
    pub fn parse(s: &str) -> Source {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Source::Mirror(s.trim_end_matches('/').to_string())
        } else {
            Source::Dir(PathBuf::from(s))
        }
    }
}

/// Which OSV ecosystems to sync (KEV, EPSS and NVD always come along).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Selection {
    /// From the public feeds: this host's ecosystems (`/etc/os-release`). From a mirror:
    /// everything it has (its manifest, or its directory); a mirror without a manifest
    /// over HTTP cannot be listed, so this host's ecosystems.
    #[default]
    Default,
    /// These ecosystems (`Debian`, `PyPI`; a release suffix `Debian:12` is dropped).
    Ecosystems(Vec<String>),
    /// Every ecosystem of the source (`ecosystems.txt` of osv.dev, a mirror's manifest).
    All,
}

/// This host's distribution as the caller found it — with `caulk_inventory`'s os-release
/// rule, the one every part of caulk uses — for the feeds [`Selection::Default`] means.
#[derive(Debug, Clone, Default)]
pub struct HostDistro {
    /// What was read, for messages (`/etc/os-release: ID=plan9`).
    pub described: String,
    /// Its OSV ecosystem (`Debian:12`, `Red Hat:enterprise_linux:7`); `None`: not a
    /// distribution caulk knows (the default, so a caller that did not look gets a clear
    /// error rather than a guess).
    pub ecosystem: Option<String>,
    /// Why the distribution could not be read at all (an unreadable os-release), as opposed
    /// to read and not known.
    pub unreadable: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub db: PathBuf,
    pub source: Source,
    pub selection: Selection,
    /// Refuse any network source (a directory is fine).
    pub offline: bool,
    pub http: HttpOptions,
    pub limits: Limits,
    /// Told how the sync goes (default: nobody).
    pub progress: Arc<dyn Progress>,
    /// This host's distribution: the feeds [`Selection::Default`] means for a source that
    /// cannot be listed.
    pub host: HostDistro,
    /// The time to record (Unix seconds); `None`: now.
    pub now_unix: Option<i64>,
}

impl SyncOptions {
    pub fn new(db: PathBuf, source: Source) -> SyncOptions {
        SyncOptions {
            db,
            source,
            selection: Selection::Default,
            offline: false,
            http: HttpOptions::default(),
            limits: Limits::default(),
            progress: Arc::new(Silent),
            host: HostDistro::default(),
            now_unix: None,
        }
    }
}

/// What happened to one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    /// New data downloaded (and imported, unless the import found the file unusable, which
    /// makes it `Failed`).
    Updated { bytes: u64 },
    /// The source has what the database has: nothing downloaded, nothing imported.
    NotModified,
    /// Download, check or import failed: the feed keeps its previous data.
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedResult {
    /// `osv/Debian`, `kev`, `epss`, `nvd`.
    pub feed: String,
    /// The URL (or path) of the feed's first file.
    pub source: String,
    pub outcome: FeedOutcome,
    /// HTTP requests made for the feed (retries included; 0 when the manifest answered).
    pub attempts: u32,
    /// Of those, retries.
    pub retries: u32,
}

#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub db: PathBuf,
    /// Sorted by feed.
    pub feeds: Vec<FeedResult>,
    /// The import, when something changed.
    pub import: Option<import::Report>,
}

impl SyncReport {
    pub fn failed(&self) -> impl Iterator<Item = &FeedResult> {
        self.feeds
            .iter()
            .filter(|f| matches!(f.outcome, FeedOutcome::Failed { .. }))
    }
    pub fn retries(&self) -> u32 {
        self.feeds.iter().map(|f| f.retries).sum()
    }
}

/// `Debian:12` → `Debian`; empty names dropped; sorted, deduplicated.
fn base_names(ecosystems: &[String]) -> Vec<String> {
    ecosystems
        .iter()
        .map(|e| e.split(':').next().unwrap_or("").trim().to_string())
        .filter(|e| !e.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Largest manifest or `ecosystems.txt` accepted (osv.dev's list is ~2 KB; a manifest of
/// thousands of files is well under 1 MiB).
const MAX_SMALL_BYTES: u64 = 16 << 20;

/// Longest ecosystem name accepted (osv.dev's longest is ~20 bytes).
const MAX_ECOSYSTEM_LEN: usize = 100;

/// [`base_names`], each checked: an ecosystem becomes one path component of the staging
/// directory and the mirror (`osv/<name>/all.zip`), so a name from `--ecosystem` or a
/// source's `ecosystems.txt` (`origin`, named in the error) must not be able to leave them.
fn normalise(ecosystems: &[String], origin: &str) -> Result<Vec<String>, Error> {
    let names = base_names(ecosystems);
    for n in &names {
        let why = if n.len() > MAX_ECOSYSTEM_LEN {
            Some("longer than 100 bytes")
        } else if n == "." || n == ".." {
            Some("a `.` or `..` path component")
        } else if n.contains(['/', '\\']) || n.chars().any(char::is_control) {
            Some("a slash, backslash or control character in it")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(Error::Config(format!(
                "{origin}: ecosystem name {n:?} refused: {why}"
            )));
        }
    }
    Ok(names)
}

/// Percent-encode one URL path segment (`Rocky Linux` → `Rocky%20Linux`).
fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The feed a mirror file belongs to (`osv/Debian/all.zip` → `osv/Debian`).
fn feed_of(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        ["osv", eco, "all.zip"] if !eco.is_empty() => Some(format!("osv/{eco}")),
        ["kev", f] if f.ends_with(".json") => Some("kev".into()),
        ["epss", f] if f.ends_with(".csv") || f.ends_with(".csv.gz") => Some("epss".into()),
        ["nvd", f]
            if [".json", ".jsonl", ".json.gz", ".jsonl.gz"]
                .iter()
                .any(|x| f.ends_with(x)) =>
        {
            Some("nvd".into())
        }
        _ => None,
    }
}

fn selected(feed: &str, selection: &Selection) -> bool {
    match (feed.strip_prefix("osv/"), selection) {
        (None, _) | (Some(_), Selection::Default | Selection::All) => true,
        (Some(eco), Selection::Ecosystems(list)) => base_names(list).iter().any(|e| e == eco),
    }
}

/// One file to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    feed: String,
    rel: String,
    url: String,
    /// From the mirror's manifest: what the file must be.
    expect: Option<ManifestFile>,
}

fn host_or_error(host: &HostDistro) -> Result<Vec<String>, Error> {
    match &host.ecosystem {
        Some(e) => Ok(base_names(std::slice::from_ref(e))),
        None => Err(Error::Config(match &host.unreadable {
            Some(why) => format!(
                "cannot tell this host's distribution: {why}; give --ecosystem NAME or --all"
            ),
            None => format!(
                "{} is not a distribution with an OSV ecosystem caulk knows; give --ecosystem NAME or --all",
                host.described
            ),
        })),
    }
}

/// The conventional file names of a feed source without a manifest.
fn conventional(ecosystems: &[String], osv_base: &str, kev: &str, epss: &str) -> Vec<Item> {
    let mut items: Vec<Item> = ecosystems
        .iter()
        .map(|e| Item {
            feed: format!("osv/{e}"),
            rel: format!("osv/{e}/all.zip"),
            url: format!("{osv_base}/{}/all.zip", segment(e)),
            expect: None,
        })
        .collect();
    // The staging name keeps the URL's file name when it has the feed's extension: the
    // import reads `.csv.gz` as gzip and `.csv` as text.
    let name = |url: &str, exts: &[&str], default: &str| {
        let last = url
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("");
        if exts.iter().any(|x| last.ends_with(x))
            && caulk_advisory_db::zipread::safe_name(last).is_ok()
        {
            last.to_string()
        } else {
            default.to_string()
        }
    };
    items.push(Item {
        feed: "kev".into(),
        rel: format!(
            "kev/{}",
            name(kev, &[".json"], "known_exploited_vulnerabilities.json")
        ),
        url: kev.to_string(),
        expect: None,
    });
    items.push(Item {
        feed: "epss".into(),
        rel: format!(
            "epss/{}",
            name(epss, &[".csv", ".csv.gz"], "epss_scores-current.csv.gz")
        ),
        url: epss.to_string(),
        expect: None,
    });
    items.sort_by(|a, b| a.rel.cmp(&b.rel));
    items
}

/// What the previous database knows.
#[derive(Debug, Default)]
struct Previous {
    status: HashMap<String, FeedStatus>,
    fetch: HashMap<String, FetchMeta>,
}

impl Previous {
    fn load(db: &Path) -> Previous {
        let Ok(store) = Store::open(db) else {
            return Previous::default();
        };
        let mut p = Previous::default();
        for s in store.feeds().unwrap_or_default() {
            if let Ok(Some(m)) = store.fetch_meta(&s.feed) {
                p.fetch.insert(s.feed.clone(), m);
            }
            p.status.insert(s.feed.clone(), s);
        }
        p
    }

    /// Validators for a conditional request, when the database holds this feed from this
    /// very URL.
    fn conditional(&self, feed: &str, url: &str) -> Conditional {
        match (self.status.get(feed), self.fetch.get(feed)) {
            (Some(_), Some(m)) if m.url == url => Conditional {
                etag: m.etag.clone(),
                last_modified: m.last_modified.clone(),
            },
            _ => Conditional::default(),
        }
    }
}

/// A directory removed on drop.
#[derive(Debug)]
struct Staging(PathBuf);

impl Staging {
    /// `<db>.sync/`, emptied first (a killed sync leaves one behind).
    fn new(db: &Path) -> Result<Staging, Error> {
        let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".sync");
        let dir = db.with_file_name(name);
        let io = |source| Error::Io {
            path: dir.clone(),
            source,
        };
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        std::fs::create_dir_all(&dir).map_err(io)?;
        Ok(Staging(dir))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            path: PathBuf::from("<tokio runtime>"),
            source,
        })
}

/// The result of fetching one item.
#[derive(Debug, Clone)]
enum Got {
    Body(Downloaded),
    NotModified,
    Failed(String),
}

/// A network source, ready to fetch from.
struct Net {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    http: HttpOptions,
    reporter: Arc<dyn Progress>,
}

impl Net {
    fn new(http: &HttpOptions, reporter: Arc<dyn Progress>) -> Result<Net, Error> {
        Ok(Net {
            rt: runtime()?,
            client: fetch::client(http).map_err(Error::Config)?,
            http: http.clone(),
            reporter,
        })
    }

    /// Fetch a small file whole (the manifest, `ecosystems.txt`), at most
    /// [`MAX_SMALL_BYTES`] (it is then held and parsed in memory); `None` when the source
    /// does not have it.
    fn small(&self, url: &str, dest: &Path) -> Result<Option<Vec<u8>>, Error> {
        let mut j = Jitter::new(0);
        let reporter = self.reporter.clone();
        let http = HttpOptions {
            max_bytes: self.http.max_bytes.min(MAX_SMALL_BYTES),
            ..self.http.clone()
        };
        let got = self.rt.block_on(fetch::download(
            &self.client,
            url,
            &Conditional::default(),
            dest,
            &http,
            url,
            &*self.reporter,
            &mut j,
            |n, reason, d| {
                reporter.note(&format!(
                    "{url}: attempt {n} failed ({reason}); retrying in {d:.1?}"
                ))
            },
        ))?;
        match got.fetched {
            Fetched::Body(_) => std::fs::read(dest).map(Some).map_err(|source| Error::Io {
                path: dest.to_path_buf(),
                source,
            }),
            _ => Ok(None),
        }
    }

    /// Fetch every item to `dest_of(item)`, `concurrency` at once; results in item order,
    /// with the requests each took.
    fn fetch_all(&self, items: Vec<(Item, Conditional, PathBuf)>) -> Vec<(Got, u32)> {
        let n = items.len();
        let sem = Arc::new(tokio::sync::Semaphore::new(self.http.concurrency.max(1)));
        self.rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (i, (item, cond, dest)) in items.into_iter().enumerate() {
                let client = self.client.clone();
                let http = self.http.clone();
                let reporter = self.reporter.clone();
                let sem = sem.clone();
                set.spawn(async move {
                    let _permit = sem.acquire_owned().await;
                    let mut j = Jitter::new(i as u64);
                    let notes = reporter.clone();
                    let feed = item.feed.clone();
                    let r = fetch::download(
                        &client,
                        &item.url,
                        &cond,
                        &dest,
                        &http,
                        &item.feed,
                        &*reporter,
                        &mut j,
                        |n, reason, d| {
                            notes.note(&format!(
                                "{feed}: attempt {n} failed ({reason}); retrying in {d:.1?}"
                            ))
                        },
                    )
                    .await;
                    let got = match r {
                        Ok(a) => (
                            match a.fetched {
                                Fetched::Body(d) => Got::Body(d),
                                Fetched::NotModified => Got::NotModified,
                                Fetched::Missing => Got::Failed(format!(
                                    "{}: not found on the source (404)",
                                    item.url
                                )),
                            },
                            a.attempts,
                        ),
                        Err(e) => (Got::Failed(e.to_string()), e.attempts),
                    };
                    (i, got)
                });
            }
            let mut out: Vec<(Got, u32)> = vec![(Got::Failed("not run".into()), 0); n];
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok((i, got)) => out[i] = got,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(_) => {}
                }
            }
            out
        })
    }
}

/// Check a downloaded file before anything imports it: complete and readable for its kind,
/// and the size and digest the mirror's manifest gives.
fn verify_file(
    path: &Path,
    rel: &str,
    got: &Downloaded,
    expect: Option<&ManifestFile>,
    limits: &Limits,
) -> Result<(), String> {
    if let Some(m) = expect {
        if m.bytes != got.bytes {
            return Err(format!(
                "{} bytes, {MANIFEST_NAME} says {} (truncated or replaced)",
                got.bytes, m.bytes
            ));
        }
        if !m.sha256.eq_ignore_ascii_case(&got.sha256) {
            return Err(format!(
                "sha256 {}, {MANIFEST_NAME} says {}",
                got.sha256, m.sha256
            ));
        }
    }
    let open = || {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    if rel.ends_with(".zip") {
        let a = zip::ZipArchive::new(open()?)
            .map_err(|e| format!("not a readable zip archive: {e}"))?;
        if a.len() > limits.max_entries {
            return Err(format!(
                "{} entries, over the limit of {}",
                a.len(),
                limits.max_entries
            ));
        }
    } else if rel.ends_with(".gz") {
        let mut d = flate2::read::GzDecoder::new(open()?).take(limits.max_total_bytes + 1);
        let n = std::io::copy(&mut d, &mut std::io::sink())
            .map_err(|e| format!("gzip incomplete or corrupt: {e}"))?;
        if n > limits.max_total_bytes {
            return Err(format!(
                "more than {} bytes uncompressed",
                limits.max_total_bytes
            ));
        }
    } else if rel.ends_with(".json") {
        serde_json::from_reader::<_, serde::de::IgnoredAny>(open()?)
            .map_err(|e| format!("not complete JSON: {e}"))?;
    }
    Ok(())
}

/// The plan of a network source: the items, and the mirror's manifest if it has one.
fn plan_network(
    net: &Net,
    source: &Source,
    selection: &Selection,
    host: &HostDistro,
    scratch: &Path,
) -> Result<(Vec<Item>, Option<Manifest>), Error> {
    match source {
        Source::Public(urls) => {
            let ecos = match selection {
                Selection::Default => host_or_error(host)?,
                Selection::Ecosystems(l) => normalise(l, "--ecosystem")?,
                Selection::All => {
                    let url = format!("{}/ecosystems.txt", urls.osv_base);
                    let bytes = net
                        .small(&url, &scratch.join("ecosystems.txt"))?
                        .ok_or_else(|| Error::Config(format!("{url}: not found")))?;
                    let text = String::from_utf8_lossy(&bytes).to_string();
                    // `Debian:12` lines are subsets of `Debian`.
                    normalise(
                        &text
                            .lines()
                            .filter(|l| !l.contains(':'))
                            .map(str::to_string)
                            .collect::<Vec<_>>(),
                        &url,
                    )?
                }
            };
            Ok((
                conventional(&ecos, &urls.osv_base, &urls.kev, &urls.epss),
                None,
            ))
        }
        Source::Mirror(base) => {
            let base = base.trim_end_matches('/');
            let url = format!("{base}/{MANIFEST_NAME}");
            let manifest = match net.small(&url, &scratch.join(MANIFEST_NAME))? {
                Some(bytes) => Some(
                    Manifest::parse(&bytes).map_err(|e| Error::Config(format!("{url}: {e}")))?,
                ),
                None => None,
            };
            match &manifest {
                Some(m) => {
                    let items = m
                        .files
                        .iter()
                        .filter_map(|f| {
                            let feed = feed_of(&f.path)?;
                            selected(&feed, selection).then(|| Item {
                                feed,
                                rel: f.path.clone(),
                                url: format!(
                                    "{base}/{}",
                                    f.path.split('/').map(segment).collect::<Vec<_>>().join("/")
                                ),
                                expect: Some(f.clone()),
                            })
                        })
                        .collect();
                    Ok((items, manifest))
                }
                None => {
                    let ecos = match selection {
                        Selection::Default => host_or_error(host)?,
                        Selection::Ecosystems(l) => normalise(l, "--ecosystem")?,
                        Selection::All => {
                            return Err(Error::Config(format!(
                                "{base} has no {MANIFEST_NAME}: --all needs it to list the feeds"
                            )));
                        }
                    };
                    let osv = format!("{base}/osv");
                    let kev = format!("{base}/kev/known_exploited_vulnerabilities.json");
                    let epss = format!("{base}/epss/epss_scores-current.csv.gz");
                    Ok((conventional(&ecos, &osv, &kev, &epss), None))
                }
            }
        }
        Source::Dir(_) => Err(Error::Config("a directory is not a network source".into())),
    }
}

/// Items grouped by feed, in plan order (items are sorted by path, so a feed's files are
/// together).
fn by_feed(items: &[Item]) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match out.last_mut() {
            Some((f, v)) if *f == it.feed => v.push(i),
            _ => out.push((it.feed.clone(), vec![i])),
        }
    }
    out
}

fn network_url(source: &Source) -> String {
    match source {
        Source::Public(u) => u.osv_base.clone(),
        Source::Mirror(b) => b.clone(),
        Source::Dir(d) => d.display().to_string(),
    }
}

/// Update the database from the source of `opts`.
///
/// Errors are for the sync as a whole (offline with a network source, a mirror whose
/// manifest cannot be read, the database cannot be written); a feed that cannot be had is a
/// [`FeedOutcome::Failed`] in the report and keeps its previous data.
pub fn run(opts: &SyncOptions) -> Result<SyncReport, Error> {
    let reporter = opts.progress.clone();
    match &opts.source {
        Source::Dir(dir) => sync_dir(dir, opts, reporter),
        source => sync_network(source, opts, reporter),
    }
}

/// [`run`] for async callers (a server's scheduler, inside its tokio runtime): the sync runs
/// on the runtime's blocking pool, with its own runtime for its downloads, so the caller's
/// workers are never blocked by the import and no runtime is started inside a runtime.
pub async fn run_async(opts: SyncOptions) -> Result<SyncReport, Error> {
    blocking(move || run(&opts)).await
}

/// [`mirror`] for async callers; see [`run_async`].
pub async fn mirror_async(opts: MirrorOptions) -> Result<MirrorReport, Error> {
    blocking(move || mirror(&opts)).await
}

/// Run `f` where blocking is allowed: the current runtime's blocking pool, or a thread of its
/// own when called outside any runtime (any executor can await the result).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) => drop(h.spawn_blocking(job)),
        Err(_) => drop(std::thread::spawn(job)),
    }
    match rx.await {
        Ok(Ok(r)) => r,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => Err(Error::Config(
            "the sync thread ended without an answer".into(),
        )),
    }
}

/// The feeds of a directory, with the digest string the import would record for each.
fn dir_feeds(
    dir: &Path,
    selection: &Selection,
) -> Result<Vec<(String, String, Vec<String>)>, Error> {
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for f in import::discover(dir)? {
        if !selected(&f.feed, selection) {
            continue;
        }
        // The file's own digest, not the manifest's: a file damaged after the manifest was
        // written must not pass for the one imported.
        let digest = import::sha256_file(&f.path)?;
        match out.last_mut() {
            Some((feed, d, rels)) if *feed == f.feed => {
                d.push(',');
                d.push_str(&digest);
                rels.push(f.rel);
            }
            _ => out.push((f.feed.clone(), digest, vec![f.rel])),
        }
    }
    Ok(out)
}

fn sync_dir(
    dir: &Path,
    opts: &SyncOptions,
    reporter: Arc<dyn Progress>,
) -> Result<SyncReport, Error> {
    if !dir.is_dir() {
        return Err(Error::Config(format!("{}: not a directory", dir.display())));
    }
    let has_manifest = dir.join(MANIFEST_NAME).exists();
    if !has_manifest {
        reporter.note(&format!(
            "warning: {} has no {MANIFEST_NAME}: files are not verified",
            dir.display()
        ));
    }
    let previous = Previous::load(&opts.db);
    let feeds = dir_feeds(dir, &opts.selection)?;
    if feeds.is_empty() {
        return Err(Error::Config(format!(
            "{}: no feed files (osv/<Ecosystem>/all.zip, kev/, epss/, nvd/) selected",
            dir.display()
        )));
    }
    let now = opts.now_unix.unwrap_or_else(now_unix);
    let mut results = Vec::new();
    let mut changed = Vec::new();
    for (feed, digest, rels) in &feeds {
        let source = dir.join(&rels[0]).display().to_string();
        let same = previous
            .status
            .get(feed)
            .is_some_and(|s| s.sha256.as_deref() == Some(digest.as_str()));
        results.push(FeedResult {
            feed: feed.clone(),
            source,
            outcome: if same {
                FeedOutcome::NotModified
            } else {
                FeedOutcome::Updated { bytes: 0 }
            },
            attempts: 0,
            retries: 0,
        });
        if !same {
            changed.push(feed.clone());
        }
    }
    for r in &results {
        reporter.note(&result_line(r));
    }
    let mut report = SyncReport {
        db: opts.db.clone(),
        ..SyncReport::default()
    };
    if !changed.is_empty() {
        let fetched = changed
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    FetchInfo {
                        source: results
                            .iter()
                            .find(|r| &r.feed == f)
                            .map(|r| r.source.clone())
                            .unwrap_or_default(),
                        fetched_at_unix: now,
                        validators: None,
                    },
                )
            })
            .collect();
        let r = import::import_dir(
            dir,
            &opts.db,
            &import::Options {
                limits: opts.limits,
                require_manifest: has_manifest,
                fetched,
                now_unix: Some(now),
                only: Some(changed),
                keep_other_feeds: true,
                observer: Some(reporter.clone() as Arc<dyn Observer>),
            },
        )?;
        import_failures(&mut results, &r.failed, &*reporter);
        report.import = Some(r);
    }
    touch_not_modified(&opts.db, &results, &previous, now)?;
    report.feeds = results;
    report.feeds.sort_by(|a, b| a.feed.cmp(&b.feed));
    Ok(report)
}

/// Mark the feeds whose file the import found unusable as failed, and say so.
fn import_failures(
    results: &mut [FeedResult],
    failed: &[(String, String)],
    reporter: &dyn Progress,
) {
    for (feed, reason) in failed {
        if let Some(res) = results.iter_mut().find(|x| &x.feed == feed) {
            res.outcome = FeedOutcome::Failed {
                reason: reason.clone(),
            };
            reporter.note(&result_line(res));
        }
    }
}

/// Record the check time of the feeds the source confirmed.
fn touch_not_modified(
    db: &Path,
    results: &[FeedResult],
    previous: &Previous,
    now: i64,
) -> Result<(), Error> {
    let metas: Vec<(String, FetchMeta)> = results
        .iter()
        .filter(|r| r.outcome == FeedOutcome::NotModified)
        .filter_map(|r| {
            let status = previous.status.get(&r.feed)?;
            let mut m = previous.fetch.get(&r.feed).cloned().unwrap_or(FetchMeta {
                url: r.source.clone(),
                fetched_at_unix: status.fetched_at_unix.unwrap_or(now),
                sha256: status.sha256.clone().unwrap_or_default(),
                ..FetchMeta::default()
            });
            m.checked_at_unix = now;
            Some((r.feed.clone(), m))
        })
        .collect();
    if metas.is_empty() || !db.exists() {
        return Ok(());
    }
    caulk_advisory_db::store::update_fetch_meta(db, &metas)?;
    Ok(())
}

fn result_line(r: &FeedResult) -> String {
    let retries = match r.retries {
        0 => String::new(),
        1 => ", after 1 retry".into(),
        n => format!(", after {n} retries"),
    };
    match &r.outcome {
        FeedOutcome::Updated { bytes } if *bytes > 0 => format!(
            "{}: {} {} from {}{retries}",
            r.feed,
            if r.source.contains("://") {
                "downloaded"
            } else {
                "copied"
            },
            bytes_text(*bytes),
            r.source
        ),
        FeedOutcome::Updated { .. } => format!("{}: new data in {}", r.feed, r.source),
        FeedOutcome::NotModified => {
            format!("{}: not modified since the last sync{retries}", r.feed)
        }
        FeedOutcome::Failed { reason } => {
            format!(
                "{}: not updated, previous data kept: {reason}{retries}",
                r.feed
            )
        }
    }
}

fn sync_network(
    source: &Source,
    opts: &SyncOptions,
    reporter: Arc<dyn Progress>,
) -> Result<SyncReport, Error> {
    if opts.offline {
        return Err(Error::Offline {
            source_url: network_url(source),
        });
    }
    let previous = Previous::load(&opts.db);
    let staging = Staging::new(&opts.db)?;
    let scratch = staging.0.join(".caulk");
    let net = Net::new(&opts.http, reporter.clone())?;
    let (items, manifest) = plan_network(&net, source, &opts.selection, &opts.host, &scratch)?;
    let now = opts.now_unix.unwrap_or_else(now_unix);
    let feeds = by_feed(&items);

    // With a manifest, a feed whose digests are the ones imported is not downloaded.
    let mut unchanged: BTreeSet<String> = BTreeSet::new();
    if manifest.is_some() {
        for (feed, idx) in &feeds {
            let digest = idx
                .iter()
                .filter_map(|&i| items[i].expect.as_ref().map(|m| m.sha256.clone()))
                .collect::<Vec<_>>()
                .join(",");
            if previous
                .status
                .get(feed)
                .is_some_and(|s| s.sha256.as_deref() == Some(digest.as_str()))
            {
                unchanged.insert(feed.clone());
            }
        }
    }
    let mut work = Vec::new();
    let mut work_index: HashMap<usize, usize> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        if unchanged.contains(&it.feed) {
            continue;
        }
        let cond = if it.expect.is_some() {
            Conditional::default()
        } else {
            previous.conditional(&it.feed, &it.url)
        };
        work_index.insert(i, work.len());
        work.push((it.clone(), cond, staging.0.join(&it.rel)));
    }
    let got = net.fetch_all(work);

    let mut results = Vec::new();
    let mut fetched: HashMap<String, FetchInfo> = HashMap::new();
    for (feed, idx) in &feeds {
        let first = &items[idx[0]];
        let mut result = FeedResult {
            feed: feed.clone(),
            source: first.url.clone(),
            outcome: FeedOutcome::NotModified,
            attempts: 0,
            retries: 0,
        };
        if unchanged.contains(feed) {
            results.push(result);
            continue;
        }
        let mut bytes = 0;
        let mut failures = Vec::new();
        let mut any_body = false;
        let mut single: Option<Downloaded> = None;
        for &i in idx {
            let Some(&w) = work_index.get(&i) else {
                continue;
            };
            let (g, attempts) = &got[w];
            result.attempts += attempts;
            result.retries += attempts.saturating_sub(1);
            match g {
                Got::Body(d) => {
                    any_body = true;
                    bytes += d.bytes;
                    let path = staging.0.join(&items[i].rel);
                    if let Err(reason) = verify_file(
                        &path,
                        &items[i].rel,
                        d,
                        items[i].expect.as_ref(),
                        &opts.limits,
                    ) {
                        failures.push(format!("{}: {reason}", items[i].url));
                    }
                    single = Some(d.clone());
                }
                Got::NotModified => {}
                Got::Failed(reason) => failures.push(reason.clone()),
            }
        }
        if !failures.is_empty() {
            // None of the feed's files is imported: the feed is all old or all new.
            for &i in idx {
                let _ = std::fs::remove_file(staging.0.join(&items[i].rel));
            }
            result.outcome = FeedOutcome::Failed {
                reason: failures.join("; "),
            };
        } else if any_body {
            result.outcome = FeedOutcome::Updated { bytes };
            let validators = single.filter(|_| idx.len() == 1).map(|d| FetchMeta {
                url: first.url.clone(),
                etag: d.etag,
                last_modified: d.last_modified,
                fetched_at_unix: now,
                checked_at_unix: now,
                bytes: d.bytes,
                sha256: d.sha256,
            });
            fetched.insert(
                feed.clone(),
                FetchInfo {
                    source: first.url.clone(),
                    fetched_at_unix: now,
                    validators: validators.or_else(|| {
                        Some(FetchMeta {
                            url: first.url.clone(),
                            fetched_at_unix: now,
                            checked_at_unix: now,
                            bytes,
                            ..FetchMeta::default()
                        })
                    }),
                },
            );
        }
        results.push(result);
    }

    for r in &results {
        reporter.note(&result_line(r));
    }
    let mut report = SyncReport {
        db: opts.db.clone(),
        ..SyncReport::default()
    };
    if !fetched.is_empty() {
        let _ = std::fs::remove_dir_all(&scratch);
        let r = import::import_dir(
            &staging.0,
            &opts.db,
            &import::Options {
                limits: opts.limits,
                require_manifest: false,
                fetched,
                now_unix: Some(now),
                only: None,
                keep_other_feeds: true,
                observer: Some(reporter.clone() as Arc<dyn Observer>),
            },
        )?;
        import_failures(&mut results, &r.failed, &*reporter);
        report.import = Some(r);
    }
    touch_not_modified(&opts.db, &results, &previous, now)?;
    report.feeds = results;
    report.feeds.sort_by(|a, b| a.feed.cmp(&b.feed));
    Ok(report)
}

#[derive(Debug, Clone)]
pub struct MirrorOptions {
    /// The mirror directory to write (created if needed).
    pub dir: PathBuf,
    pub source: Source,
    pub selection: Selection,
    pub offline: bool,
    pub http: HttpOptions,
    pub limits: Limits,
    /// Told how the sync goes (default: nobody).
    pub progress: Arc<dyn Progress>,
    pub host: HostDistro,
    pub now_unix: Option<i64>,
}

impl MirrorOptions {
    pub fn new(dir: PathBuf, source: Source) -> MirrorOptions {
        MirrorOptions {
            dir,
            source,
            selection: Selection::Default,
            offline: false,
            http: HttpOptions::default(),
            limits: Limits::default(),
            progress: Arc::new(Silent),
            host: HostDistro::default(),
            now_unix: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MirrorReport {
    pub dir: PathBuf,
    /// One per file fetched or copied, sorted by feed.
    pub feeds: Vec<FeedResult>,
    /// The manifest written.
    pub manifest: Option<Manifest>,
}

impl MirrorReport {
    pub fn failed(&self) -> impl Iterator<Item = &FeedResult> {
        self.feeds
            .iter()
            .filter(|f| matches!(f.outcome, FeedOutcome::Failed { .. }))
    }
}

/// Write or refresh a mirror directory (the feed layout plus `caulk-mirror.json`) for an
/// air-gapped site. A file is replaced only by a complete, checked download (written beside
/// it, then renamed); a file that cannot be had keeps its previous copy and is reported.
pub fn mirror(opts: &MirrorOptions) -> Result<MirrorReport, Error> {
    let reporter = opts.progress.clone();
    let io = |path: &Path, source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(&opts.dir).map_err(|e| io(&opts.dir, e))?;
    let old = Manifest::load(&opts.dir).ok().flatten();
    let mut origin: HashMap<String, ManifestFile> = old
        .iter()
        .flat_map(|m| m.files.iter())
        .map(|f| (f.path.clone(), f.clone()))
        .collect();
    let mut results = Vec::new();
    match &opts.source {
        Source::Dir(src) => {
            let src_manifest = Manifest::load(src)?;
            let files: Vec<_> = import::discover(src)?
                .into_iter()
                .filter(|f| selected(&f.feed, &opts.selection))
                .collect();
            if files.is_empty() {
                return Err(Error::Config(format!(
                    "{}: no feed files (osv/<Ecosystem>/all.zip, kev/, epss/, nvd/)",
                    src.display()
                )));
            }
            for f in &files {
                let bytes = std::fs::read(&f.path).map_err(|e| io(&f.path, e))?;
                let check = match &src_manifest {
                    Some(m) => m.verify(&f.rel, bytes.len() as u64, &import::sha256_hex(&bytes)),
                    None => Ok(()),
                };
                let outcome = match check {
                    Ok(()) => {
                        caulk_advisory_db::write_atomic(&opts.dir.join(&f.rel), &bytes)?;
                        origin.remove(&f.rel);
                        FeedOutcome::Updated {
                            bytes: bytes.len() as u64,
                        }
                    }
                    Err(reason) => FeedOutcome::Failed { reason },
                };
                results.push(FeedResult {
                    feed: f.feed.clone(),
                    source: f.path.display().to_string(),
                    outcome,
                    attempts: 0,
                    retries: 0,
                });
            }
        }
        source => {
            if opts.offline {
                return Err(Error::Offline {
                    source_url: network_url(source),
                });
            }
            // The source's manifest goes here, not among the mirror's files.
            let scratch = opts.dir.join(".caulk-mirror.tmp");
            let net = Net::new(&opts.http, reporter.clone())?;
            let (items, _) = plan_network(&net, source, &opts.selection, &opts.host, &scratch)?;
            let mut work = Vec::new();
            let mut skipped = Vec::new();
            for it in &items {
                // A mirror source's manifest tells whether our copy is current; otherwise
                // ask with the validators of our copy.
                let local = origin
                    .get(&it.rel)
                    .filter(|_| opts.dir.join(&it.rel).is_file());
                if let (Some(want), Some(have)) = (&it.expect, local)
                    && want.sha256.eq_ignore_ascii_case(&have.sha256)
                {
                    skipped.push(it.clone());
                    continue;
                }
                let cond = match local {
                    Some(l) if l.url.as_deref() == Some(it.url.as_str()) && it.expect.is_none() => {
                        Conditional {
                            etag: l.etag.clone(),
                            last_modified: l.last_modified.clone(),
                        }
                    }
                    _ => Conditional::default(),
                };
                let mut part = it.rel.clone();
                part.push_str(".part");
                work.push((it.clone(), cond, opts.dir.join(part)));
            }
            let got = net.fetch_all(work.clone());
            for it in skipped {
                results.push(FeedResult {
                    feed: it.feed.clone(),
                    source: it.url.clone(),
                    outcome: FeedOutcome::NotModified,
                    attempts: 0,
                    retries: 0,
                });
            }
            for ((it, _, part), (g, attempts)) in work.iter().zip(got) {
                let outcome = match g {
                    Got::NotModified => FeedOutcome::NotModified,
                    Got::Failed(reason) => FeedOutcome::Failed { reason },
                    Got::Body(d) => {
                        match verify_file(part, &it.rel, &d, it.expect.as_ref(), &opts.limits) {
                            Err(reason) => {
                                let _ = std::fs::remove_file(part);
                                FeedOutcome::Failed {
                                    reason: format!("{}: {reason}", it.url),
                                }
                            }
                            Ok(()) => {
                                let to = opts.dir.join(&it.rel);
                                std::fs::rename(part, &to).map_err(|e| io(&to, e))?;
                                origin.insert(
                                    it.rel.clone(),
                                    ManifestFile {
                                        path: it.rel.clone(),
                                        bytes: d.bytes,
                                        sha256: d.sha256.clone(),
                                        url: Some(it.url.clone()),
                                        etag: d.etag.clone(),
                                        last_modified: d.last_modified.clone(),
                                    },
                                );
                                FeedOutcome::Updated { bytes: d.bytes }
                            }
                        }
                    }
                };
                results.push(FeedResult {
                    feed: it.feed.clone(),
                    source: it.url.clone(),
                    outcome,
                    attempts,
                    retries: attempts.saturating_sub(1),
                });
            }
            let _ = std::fs::remove_dir_all(&scratch);
        }
    }
    results.sort_by(|a, b| (&a.feed, &a.source).cmp(&(&b.feed, &b.source)));
    for r in &results {
        reporter.note(&result_line(r));
    }
    let now = opts.now_unix.unwrap_or_else(now_unix);
    let manifest = Manifest::write_with(&opts.dir, now, &origin)?;
    Ok(MirrorReport {
        dir: opts.dir.clone(),
        feeds: results,
        manifest: Some(manifest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_are_normalised_and_urls_encoded() {
        assert_eq!(
            normalise(
                &[
                    "Debian:12".into(),
                    "PyPI".into(),
                    "Debian".into(),
                    " ".into()
                ],
                "test"
            )
            .expect("valid names"),
            ["Debian", "PyPI"]
        );
        // A name is one path component of the staging directory and the mirror.
        for bad in ["..", ".", "../../etc", "a/b", "a\\b", "a\u{0}b", "a\nb"] {
            let e = normalise(
                &[bad.to_string(), "PyPI".into()],
                "https://x/ecosystems.txt",
            )
            .expect_err("refused")
            .to_string();
            assert!(
                e.contains("https://x/ecosystems.txt") && e.contains("refused"),
                "{bad:?}: {e}"
            );
        }
        assert!(normalise(&["x".repeat(101)], "--ecosystem").is_err());
        assert!(normalise(&["Rocky Linux".into(), "crates.io".into()], "t").is_ok());
        assert_eq!(segment("Rocky Linux"), "Rocky%20Linux");
        assert_eq!(segment("crates.io"), "crates.io");
        let items = conventional(
            &["Rocky Linux".into()],
            "http://m/osv",
            "http://k",
            "http://e",
        );
        assert_eq!(
            items.iter().map(|i| i.url.as_str()).collect::<Vec<_>>(),
            ["http://e", "http://k", "http://m/osv/Rocky%20Linux/all.zip"]
        );
        assert_eq!(items[0].rel, "epss/epss_scores-current.csv.gz");
        let items = conventional(
            &[],
            "http://m/osv",
            "http://k/kev.json?x=1",
            "http://e/s.csv",
        );
        assert_eq!(items[0].rel, "epss/s.csv");
        assert_eq!(items[1].rel, "kev/kev.json");
    }

    #[test]
    fn mirror_paths_map_to_feeds() {
        assert_eq!(feed_of("osv/Debian/all.zip").as_deref(), Some("osv/Debian"));
        assert_eq!(
            feed_of("kev/known_exploited_vulnerabilities.json").as_deref(),
            Some("kev")
        );
        assert_eq!(feed_of("epss/x.csv.gz").as_deref(), Some("epss"));
        assert_eq!(feed_of("nvd/a.jsonl").as_deref(), Some("nvd"));
        assert_eq!(feed_of("osv/Debian/other.zip"), None);
        assert_eq!(feed_of("README.md"), None);
        let only_debian = Selection::Ecosystems(vec!["Debian:12".into()]);
        assert!(selected("osv/Debian", &only_debian));
        assert!(!selected("osv/PyPI", &only_debian));
        assert!(selected("kev", &only_debian));
    }

    #[test]
    fn sources_parse() {
        assert_eq!(
            Source::parse("http://127.0.0.1:8080/m/"),
            Source::Mirror("http://127.0.0.1:8080/m".into())
        );
        assert_eq!(Source::parse("/srv/m"), Source::Dir("/srv/m".into()));
    }

    #[test]
    fn offline_refuses_network_sources_before_any_connection() {
        let tmp = std::env::temp_dir().join(format!("caulk-offline-{}", std::process::id()));
        let mut o = SyncOptions::new(tmp.join("a.db"), Source::Public(PublicUrls::default()));
        o.offline = true;
        assert!(matches!(run(&o), Err(Error::Offline { .. })));
        assert!(!tmp.exists(), "nothing written");
    }
}
