//! The server's advisory database and the assessment of its hosts.
//!
//! One advisory database lives in the data directory (`advisories.db`). With `--feeds DIR`
//! it is imported from that mirror on start (unless it was built from exactly those files)
//! and again every `--sync-interval`; each import is a new *generation* (its `built_at`).
//! Findings are never copied from one generation to the next: a host whose stored
//! assessment is of another generation, or of an older inventory, is *stale*, and the
//! background task re-derives it (after every inventory upload, every sync, and on start).
//!
//! A host's findings are `caulk scan`'s: `GET /hosts/{id}/findings` derives the full report
//! on demand with `caulk_app::scan::assess_through`, from the stored inventory and the
//! host's criticality and exposure. The store keeps only what lists need (counts,
//! remediations), and those are tallied from the host's packages' digests
//! (`caulk_app::digests`): each distinct (package, profile, Ubuntu Pro services, kernel role)
//! of the fleet is scanned once per generation and day, by the same scan, and every host
//! that has it reuses its digest. A fleet re-match after a feed update is then one scan per
//! distinct package context plus one tally per host, not one scan per host.
//!
//! The traps: assessment is CPU-bound and blocking (SQLite reads, range evaluation), so it
//! runs on the blocking pool, never on a request's task; an import replaces the database
//! file by renaming, so connections come from a pool that follows the file
//! (`caulk_advisory_db::store::Pool`).

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use caulk_app::scan::{Assess, DatabaseFacts};
use caulk_model::finding::{ScanReport, TargetKind};
use caulk_model::inventory::Inventory;
use caulk_store::{HostId, HostRecord, Store};

use crate::error::ApiError;

/// One generation of the advisory database: connections to it and its facts.
pub(crate) struct Generation {
    pool: caulk_advisory_db::store::Pool,
    pub(crate) facts: DatabaseFacts,
    /// Every advisory read of this generation, shared by the hosts' assessments.
    memo: caulk_assess::memo::SourceMemo,
    /// The digests of the fleet's packages in this generation (and one day): a host whose
    /// packages all have one is tallied from them instead of scanned.
    digests: RwLock<caulk_app::digests::Digests>,
    /// Hosts tallied from digests and hosts scanned whole, with this generation.
    tallied: std::sync::atomic::AtomicU64,
    scanned: std::sync::atomic::AtomicU64,
}

/// At most this many package digests are kept per generation (then they start over), and
/// this many fleet packages in the assessor's cache: memory bounds, never a change of
/// answer.
const DIGESTS: usize = 1_000_000;
const PACKAGES: usize = 2_000_000;

/// Fleet packages by store id: package rows never change, so one cache serves every
/// generation.
type PackageCache = std::collections::HashMap<i64, Arc<caulk_app::digests::FleetPackage>>;

/// A host to assess and its packages.
type HostPackages = (
    caulk_store::AssessmentInput,
    Vec<Arc<caulk_app::digests::FleetPackage>>,
);

/// Where the advisory database stands.
#[derive(Debug, Clone)]
pub(crate) enum Status {
    /// Importing the mirror: not ready.
    Importing,
    /// Ready; `None`: the server has no advisory database (no `--feeds`, none in the data
    /// directory) and assesses nothing.
    Ready,
    /// The first import failed: the server is not healthy.
    Failed(String),
}

/// Where the advisory database comes from.
#[derive(Debug, Clone)]
pub enum FeedSource {
    /// A mirror directory, imported unless the database was built from its files.
    Dir(PathBuf),
    /// A mirror served over HTTP(S) (`caulk db mirror`'s layout, with its manifest), synced
    /// with conditional requests: unchanged feeds are not downloaded again.
    Url(String),
}

pub(crate) struct Assessor {
    db_path: PathBuf,
    feeds: Option<FeedSource>,
    sync_interval: Duration,
    config: Arc<caulk_app::config::Loaded>,
    current: RwLock<Option<Arc<Generation>>>,
    status: RwLock<Status>,
    wake: tokio::sync::Notify,
    sync_now: tokio::sync::Notify,
    last_sync: RwLock<Option<(jiff::Timestamp, Option<String>)>>,
    /// On-demand reports (`GET /hosts/{id}/findings`, `/vulnerabilities/{id}`) at once: a
    /// report is a whole scan on the blocking pool; a client looping over hosts in parallel
    /// waits its turn instead of starving the server.
    on_demand: tokio::sync::Semaphore,
    packages: RwLock<PackageCache>,
}

/// What a refresh did.
struct Refreshed {
    /// A new generation is current.
    changed: bool,
    /// The import or sync failed (the database already there stays in service): why.
    failed: Option<String>,
}

impl std::fmt::Debug for Assessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assessor")
            .field("db_path", &self.db_path)
            .field("feeds", &self.feeds)
            .finish()
    }
}

impl Assessor {
    pub(crate) fn new(
        db_path: PathBuf,
        feeds: Option<FeedSource>,
        sync_interval: Duration,
        config: caulk_app::config::Loaded,
    ) -> Assessor {
        Assessor {
            db_path,
            feeds,
            sync_interval,
            config: Arc::new(config),
            current: RwLock::new(None),
            status: RwLock::new(Status::Importing),
            wake: tokio::sync::Notify::new(),
            sync_now: tokio::sync::Notify::new(),
            last_sync: RwLock::new(None),
            on_demand: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            packages: RwLock::new(PackageCache::new()),
        }
    }

    pub(crate) fn status(&self) -> Status {
        self.status
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|_| Status::Failed("status lock poisoned".into()))
    }

    pub(crate) fn current(&self) -> Option<Arc<Generation>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    fn set_status(&self, s: Status) {
        if let Ok(mut w) = self.status.write() {
            *w = s;
        }
    }

    /// Hosts' assessments may be stale: look now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Whether a mirror is configured (there is something to sync).
    pub(crate) fn has_feeds(&self) -> bool {
        self.feeds.is_some()
    }

    /// Re-import the mirror now instead of at the next interval.
    pub(crate) fn sync_now(&self) {
        self.sync_now.notify_one();
    }

    /// The generation to assess with, or why there is none.
    pub(crate) fn generation(&self) -> Result<Arc<Generation>, ApiError> {
        match self.status() {
            Status::Importing => Err(ApiError::Unavailable(
                "the advisory database is being imported".into(),
            )),
            Status::Failed(why) => Err(ApiError::Unavailable(format!(
                "the advisory database could not be imported: {why}"
            ))),
            Status::Ready => self.current().ok_or_else(|| {
                ApiError::Unavailable(
                    "the server has no advisory database: start it with --feeds DIR".into(),
                )
            }),
        }
    }

    /// Import the mirror (when there is one) unless the database was built from it, and
    /// make the database the current generation when it is a new one. Blocking. A failed
    /// import leaves the database that is there in service (and says why: `failed`); only
    /// when there is none is it an error.
    fn refresh(&self) -> Result<Refreshed, String> {
        let imported: Result<(), String> = match &self.feeds {
            Some(FeedSource::Dir(dir)) => {
                let mut issues = Vec::new();
                let r = caulk_app::feeds::import_unless_current(
                    dir,
                    &self.db_path,
                    &mut issues,
                    &|m| eprintln!("caulk server: {m}"),
                    None,
                );
                for i in &issues {
                    eprintln!("caulk server: advisory import: {}", i.reason);
                }
                // Feeds the import could not use keep their previous data: the database is
                // still new, and the sync says what it could not update.
                r.map_err(|e| e.to_string())
                    .and_then(|_| match issues.first() {
                        None => Ok(()),
                        Some(i) => Err(format!(
                            "{}: {}",
                            i.file.as_deref().unwrap_or("a feed"),
                            i.reason
                        )),
                    })
            }
            Some(FeedSource::Url(url)) => {
                use caulk_feed_sync::sync;
                let mut opts =
                    sync::SyncOptions::new(self.db_path.clone(), sync::Source::parse(url));
                opts.selection = sync::Selection::All;
                match sync::run(&opts) {
                    Ok(report) => {
                        let failed: Vec<String> = report
                            .failed()
                            .map(|f| format!("{}: {:?}", f.feed, f.outcome))
                            .collect();
                        for f in &failed {
                            eprintln!(
                                "caulk server: advisory sync from {url}: {f} (its previous data is kept)"
                            );
                        }
                        match failed.first() {
                            None => Ok(()),
                            Some(f) => Err(format!("syncing from {url}: {f}")),
                        }
                    }
                    Err(e) => Err(format!("syncing from {url}: {e}")),
                }
            }
            None if !self.db_path.exists() => {
                return Ok(Refreshed {
                    changed: false,
                    failed: None,
                });
            }
            None => Ok(()),
        };
        let failed = match imported {
            Ok(()) => None,
            Err(why) if self.db_path.exists() => {
                eprintln!(
                    "caulk server: {why}; serving the advisory database already in {}",
                    self.db_path.display()
                );
                Some(why)
            }
            Err(why) => return Err(why),
        };
        let pool = caulk_advisory_db::store::Pool::open(&self.db_path, 4)
            .map_err(|e| format!("opening {}: {e}", self.db_path.display()))?;
        let facts = {
            let store = pool
                .get()
                .map_err(|e| format!("opening {}: {e}", self.db_path.display()))?;
            DatabaseFacts::read(&store, &self.db_path, None).map_err(|e| e.to_string())?
        };
        let changed = self
            .current()
            .is_none_or(|c| c.facts.generation != facts.generation);
        if changed {
            eprintln!(
                "caulk server: advisory database {} generation {}",
                self.db_path.display(),
                facts.generation
            );
            if let Ok(mut w) = self.current.write() {
                let digests =
                    caulk_app::digests::Digests::new(&facts.generation, today_utc(), DIGESTS);
                *w = Some(Arc::new(Generation {
                    pool,
                    facts,
                    memo: caulk_assess::memo::SourceMemo::new(),
                    digests: RwLock::new(digests),
                    tallied: Default::default(),
                    scanned: Default::default(),
                }));
            }
        }
        Ok(Refreshed { changed, failed })
    }

    /// When the last refresh ended and why it failed, if it did.
    pub(crate) fn last_sync(&self) -> Option<(jiff::Timestamp, Option<String>)> {
        self.last_sync.read().ok().and_then(|l| l.clone())
    }

    /// The first refresh, then one every sync interval (with a mirror); each new
    /// generation wakes the assessment task. A failed one is tried again sooner: after a
    /// minute, doubling up to the interval.
    pub(crate) async fn sync_loop(self: Arc<Self>) {
        let mut retry = Duration::from_secs(60);
        loop {
            let this = self.clone();
            let r = tokio::task::spawn_blocking(move || this.refresh()).await;
            let failure = match r {
                Ok(Ok(Refreshed { changed, failed })) => {
                    self.set_status(Status::Ready);
                    if changed {
                        self.wake();
                    }
                    failed
                }
                Ok(Err(why)) => {
                    eprintln!("caulk server: advisory database: {why}");
                    // Without any database to serve, the server is not healthy.
                    if self.current().is_none() {
                        self.set_status(Status::Failed(why.clone()));
                    }
                    Some(why)
                }
                Err(e) => Some(format!("the advisory refresh panicked: {e}")),
            };
            if let Ok(mut l) = self.last_sync.write() {
                *l = Some((jiff::Timestamp::now(), failure.clone()));
            }
            if self.feeds.is_none() {
                return;
            }
            let wait = match failure {
                Some(_) => {
                    let w = retry.min(self.sync_interval);
                    retry = (retry * 2).min(self.sync_interval);
                    w
                }
                None => {
                    retry = Duration::from_secs(60);
                    self.sync_interval
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.sync_now.notified() => {}
            }
        }
    }

    /// Re-derive stale assessments whenever woken (and every minute, as a backstop).
    pub(crate) async fn assess_loop(self: Arc<Self>, store: Store) {
        loop {
            if let Some(g) = self.current() {
                let started = std::time::Instant::now();
                let before = g.counts();
                match self.assess_stale(&store, &g).await {
                    Ok(0) => {}
                    Ok(n) => {
                        let (t, s) = g.counts();
                        eprintln!(
                            "caulk server: assessed {n} host(s) with advisory generation {} in {:.1} s ({} tallied from package digests, {} scans of packages without one)",
                            g.facts.generation,
                            started.elapsed().as_secs_f64(),
                            t - before.0,
                            s - before.1
                        );
                    }
                    Err(e) => eprintln!("caulk server: assessing hosts: {e}"),
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(60)) => {}
            }
        }
    }

    /// One pass over the stale hosts, a page at a time: the page's inputs read in one go,
    /// its hosts assessed on as many blocking threads as there are cores (tallied from
    /// their packages' digests, or scanned when a package has none yet), their assessments
    /// written in one transaction. How many were stored.
    async fn assess_stale(&self, store: &Store, g: &Arc<Generation>) -> Result<u64, String> {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut after = None;
        let mut done = 0;
        // The write of the last page, still going.
        let mut writing: Option<tokio::task::JoinHandle<caulk_store::Result<u64>>> = None;
        async fn finish(
            w: Option<tokio::task::JoinHandle<caulk_store::Result<u64>>>,
        ) -> Result<u64, String> {
            match w {
                None => Ok(0),
                Some(w) => w
                    .await
                    .map_err(|e| format!("writing assessments panicked: {e}"))?
                    .map_err(|e| e.to_string()),
            }
        }
        loop {
            let page = store
                .hosts_to_assess(&g.facts.generation, start_of_today(), after, 512)
                .await
                .map_err(|e| e.to_string())?;
            let Some(last) = page.last() else {
                return Ok(done + finish(writing).await?);
            };
            after = Some(last.0);
            let ids: Vec<HostId> = page.iter().map(|p| p.0).collect();
            let inputs = store
                .assessment_inputs(&ids)
                .await
                .map_err(|e| e.to_string())?;
            let hosts = self.fleet_packages(store, inputs).await?;
            let today = today_utc();
            g.digests_for(today);
            // The hosts split into one run per thread, each run in order.
            let per = hosts.len().div_ceil(parallel).max(1);
            let mut runs = Vec::new();
            let mut hosts = hosts.into_iter();
            loop {
                let run: Vec<HostPackages> = hosts.by_ref().take(per).collect();
                if run.is_empty() {
                    break;
                }
                let config = self.config.clone();
                let g = g.clone();
                runs.push(tokio::task::spawn_blocking(move || {
                    run.into_iter()
                        .map(|(input, packages)| {
                            let id = input.id;
                            (id, assess_input(&config, &g, input, packages, today))
                        })
                        .collect::<Vec<_>>()
                }));
            }
            let mut batch = Vec::with_capacity(page.len());
            for r in runs {
                for (id, a) in r
                    .await
                    .map_err(|e| format!("the assessment panicked: {e}"))?
                {
                    match a {
                        Ok(a) => batch.push((id, a)),
                        // The next generation is about to be current: the pass starts over
                        // with it.
                        Err(e) if e.starts_with(REPLACED) => {
                            return Ok(done + finish(writing).await?);
                        }
                        Err(e) => eprintln!("caulk server: assessing host {id}: {e}"),
                    }
                }
            }
            // The page is written while the next one is tallied (one write at a time).
            done += finish(writing.take()).await?;
            let s = store.clone();
            writing = Some(tokio::spawn(async move {
                s.put_assessments(&batch, jiff::Timestamp::now()).await
            }));
            // A new generation arrived: start over with it.
            if self
                .current()
                .is_some_and(|c| c.facts.generation != g.facts.generation)
            {
                return Ok(done + finish(writing).await?);
            }
        }
    }

    /// The hosts' packages from the cache, the ones it lacks read from the store first.
    async fn fleet_packages(
        &self,
        store: &Store,
        inputs: Vec<caulk_store::AssessmentInput>,
    ) -> Result<Vec<HostPackages>, String> {
        let missing: Vec<caulk_store::PackageId> = {
            let cache = self.packages.read().map_err(|e| e.to_string())?;
            let set: std::collections::BTreeSet<caulk_store::PackageId> = inputs
                .iter()
                .flat_map(|i| &i.packages)
                .filter(|p| !cache.contains_key(&p.0))
                .copied()
                .collect();
            set.into_iter().collect()
        };
        if !missing.is_empty() {
            let rows = store
                .packages_by_ids(&missing)
                .await
                .map_err(|e| e.to_string())?;
            let fresh: Vec<(i64, Arc<caulk_app::digests::FleetPackage>)> =
                tokio::task::spawn_blocking(move || {
                    rows.into_iter()
                        .map(|(id, p)| {
                            (
                                id.0,
                                Arc::new(caulk_app::digests::FleetPackage::new(id.0, p)),
                            )
                        })
                        .collect()
                })
                .await
                .map_err(|e| format!("reading packages panicked: {e}"))?;
            let mut cache = self.packages.write().map_err(|e| e.to_string())?;
            if cache.len() + fresh.len() > PACKAGES {
                cache.clear();
            }
            cache.extend(fresh);
        }
        let cache = self.packages.read().map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(inputs.len());
        for mut i in inputs {
            let ids = std::mem::take(&mut i.packages);
            let packages: Vec<_> = ids.iter().map_while(|p| cache.get(&p.0).cloned()).collect();
            // A package missing (the cache cleared by its bound meanwhile, or a row gone):
            // the host waits for the next pass.
            if packages.len() == ids.len() {
                out.push((i, packages));
            }
        }
        Ok(out)
    }

    async fn report_blocking(
        &self,
        g: Arc<Generation>,
        host: HostRecord,
        inv: Inventory,
    ) -> Result<ScanReport, String> {
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || report(&config, &g, &Subject::of(&host), &inv))
            .await
            .map_err(|e| format!("the assessment panicked: {e}"))?
    }

    /// The full report of a host's inventory (for `GET /hosts/{id}/findings`).
    pub(crate) async fn host_report(
        &self,
        g: Arc<Generation>,
        host: HostRecord,
        inv: Inventory,
    ) -> Result<ScanReport, ApiError> {
        let _turn = self
            .on_demand
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.report_blocking(g, host, inv).await.map_err(|e| {
            if e.starts_with(REPLACED) {
                ApiError::Unavailable(e)
            } else {
                ApiError::Internal(e)
            }
        })
    }
}

/// How an assessment that met a newly imported database fails (it is retried with it).
const REPLACED: &str = "the advisory database was replaced during the assessment";

/// Midnight UTC today: an assessment made before it counts due dates from another day.
pub(crate) fn start_of_today() -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    now.to_zoned(jiff::tz::TimeZone::UTC)
        .start_of_day()
        .map(|z| z.timestamp())
        .unwrap_or(now)
}

/// What a report is of besides the inventory: the profile its priorities weigh and the
/// name it shows as its target.
pub(crate) struct Subject {
    criticality: caulk_model::finding::Criticality,
    exposure: caulk_model::finding::Exposure,
    name: String,
}

impl Subject {
    fn of(h: &HostRecord) -> Subject {
        Subject {
            criticality: h.criticality,
            exposure: h.exposure,
            name: format!("host {} ({})", h.id, h.hostname),
        }
    }
}

/// A host's report: `caulk scan --inventory` of its inventory, with its profile's
/// criticality and exposure. Blocking.
pub(crate) fn report(
    config: &caulk_app::config::Loaded,
    g: &Generation,
    subject: &Subject,
    inv: &Inventory,
) -> Result<ScanReport, String> {
    Ok(report_on(config, g, subject, inv, today_utc(), false)?.0)
}

/// [`report`] for `today`, and with its packages' digests when `digests`.
fn report_on(
    config: &caulk_app::config::Loaded,
    g: &Generation,
    subject: &Subject,
    inv: &Inventory,
    today: jiff::civil::Date,
    digests: bool,
) -> Result<(ScanReport, Vec<caulk_assess::digest::PackageDigest>), String> {
    let store = g
        .pool
        .get()
        .map_err(|e| format!("opening {}: {e}", g.facts.path.display()))?;
    // An import renames a new file into place; the pool then opens that one. Its answers
    // must not mix with this generation's memo.
    let built = caulk_app::scan::generation_of(&store, &g.facts.path).map_err(|e| e.to_string())?;
    if built != g.facts.generation {
        return Err(format!(
            "{REPLACED} (generation {} → {built}): try again",
            g.facts.generation
        ));
    }
    let src = caulk_assess::memo::Memoized {
        memo: &g.memo,
        inner: &*store,
    };
    let now = jiff::Timestamp::now();
    let a = Assess {
        loaded: config,
        criticality: Some(subject.criticality),
        exposure: Some(subject.exposure),
        target_kind: TargetKind::Inventory,
        target_path: Some(subject.name.clone()),
        issues: config.issues.clone(),
        apt: None,
        today,
        generated_at: Some(now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        filter: None,
    };
    if digests {
        caulk_app::scan::assess_digested(inv, &store, &src, &g.facts, &a).map_err(|e| e.to_string())
    } else {
        caulk_app::scan::assess_through(inv, &store, &src, &g.facts, &a)
            .map(|r| (r, Vec::new()))
            .map_err(|e| e.to_string())
    }
}

/// The assessment of one host: tallied from its packages' digests when every one has a
/// digest in its context, else its inventory scanned whole (and its packages' digests
/// remembered for the next hosts). Blocking.
fn assess_input(
    config: &caulk_app::config::Loaded,
    g: &Generation,
    input: caulk_store::AssessmentInput,
    packages: Vec<Arc<caulk_app::digests::FleetPackage>>,
    today: jiff::civil::Date,
) -> Result<caulk_store::NewAssessment, String> {
    use caulk_app::digests::{HostContext, assessment_of_tally};
    fn poisoned<T>(_: T) -> String {
        "the digests' lock is poisoned".to_string()
    }
    // In the store's order: the tally and the context need no other.
    let ctx = HostContext::new(&input.facts, input.criticality, input.exposure, &packages);
    let gen_ = &g.facts.generation;
    // Twice at most: a scan of the missing packages, then the tally. (A third round only
    // if the digests' memory bound started them over in between.)
    for _ in 0..3 {
        let missing = {
            let d = g.digests.read().map_err(poisoned)?;
            if !d.is_of(gen_, today) {
                return Err(format!("{REPLACED} (a new day began): try again"));
            }
            if let Some(t) = d.tally(&ctx, &packages) {
                g.tallied.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return Ok(assessment_of_tally(
                    t,
                    input.criticality,
                    input.exposure,
                    gen_,
                    input.inventory_hash,
                ));
            }
            d.missing(&input.facts, &ctx, &packages)
        };
        let Some((inv, scanned)) = missing else {
            continue;
        };
        let subject = Subject {
            criticality: input.criticality,
            exposure: input.exposure,
            name: format!("host {}", input.id),
        };
        let (_, digests) = report_on(config, g, &subject, &inv, today, true)?;
        g.scanned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut d = g.digests.write().map_err(poisoned)?;
        if d.is_of(gen_, today) && digests.len() == scanned.len() {
            d.remember(&ctx, &scanned, digests);
        }
    }
    Err(format!(
        "host {}: its packages' digests were evicted while it was assessed; it is assessed again in the next pass",
        input.id
    ))
}

/// Today in UTC: the day due dates and overdue counts are computed for.
fn today_utc() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

impl Generation {
    /// Hosts tallied from digests and hosts scanned whole so far.
    fn counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.tallied.load(Relaxed), self.scanned.load(Relaxed))
    }

    /// Start this generation's digests over when they are of another day.
    fn digests_for(&self, today: jiff::civil::Date) {
        if let Ok(mut d) = self.digests.write()
            && !d.is_of(&self.facts.generation, today)
        {
            *d = caulk_app::digests::Digests::new(&self.facts.generation, today, DIGESTS);
        }
    }
}

/// The ids of a vulnerability and the package names its records name (the candidates),
/// from the advisory database. Blocking. `None`: no such id.
pub(crate) fn vulnerability_names(
    g: &Generation,
    id: &str,
) -> Result<Option<(caulk_model::advisory::Vulnerability, Vec<String>)>, String> {
    let store = g
        .pool
        .get()
        .map_err(|e| format!("opening {}: {e}", g.facts.path.display()))?;
    let Some(v) = store.vulnerability(id).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let mut names = std::collections::BTreeSet::new();
    for i in &v.ids {
        if let Some(a) = store.advisory(i).map_err(|e| e.to_string())? {
            names.extend(a.affected.into_iter().map(|p| p.name));
        }
    }
    Ok(Some((v, names.into_iter().collect())))
}

/// The findings of `id` among `packages` (installed somewhere in the fleet): the packages
/// assessed as one inventory by the scan's code path, the findings of that vulnerability
/// kept. Blocking.
pub(crate) fn vulnerable_packages(
    config: &caulk_app::config::Loaded,
    g: &Generation,
    ids: &[String],
    packages: Vec<caulk_model::inventory::Package>,
) -> Result<Vec<caulk_model::finding::Finding>, String> {
    let mut inv = Inventory {
        packages,
        ..Inventory::default()
    };
    inv.normalize();
    let subject = Subject {
        criticality: Default::default(),
        exposure: Default::default(),
        name: "the fleet's installed packages".into(),
    };
    let r = report(config, g, &subject, &inv)?;
    Ok(r.findings
        .into_iter()
        .filter(|f| {
            ids.contains(&f.vulnerability.id)
                || f.vulnerability.aliases.iter().any(|a| ids.contains(a))
        })
        .collect())
}

impl Assessor {
    /// `GET /vulnerabilities/{id}`: the hosts with a package that has it.
    pub(crate) async fn vulnerability_hosts(
        &self,
        store: &Store,
        id: &str,
        limit: usize,
    ) -> Result<crate::api::VulnerabilityHosts, ApiError> {
        use std::collections::{BTreeMap, HashMap};
        let g = self.generation()?;
        let _turn = self
            .on_demand
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let (v, names) = {
            let g = g.clone();
            let asked = id.to_string();
            tokio::task::spawn_blocking(move || vulnerability_names(&g, &asked))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .map_err(ApiError::Internal)?
                .ok_or_else(|| {
                    ApiError::NotFound(format!("no vulnerability {id} in the advisory database"))
                })?
        };
        // The spellings a registry treats as one name (PyPI: case, `-`, `_`, `.`).
        let mut spellings = std::collections::BTreeSet::new();
        for n in &names {
            let l = n.to_ascii_lowercase();
            spellings.insert(l.replace(['_', '.'], "-"));
            spellings.insert(l.replace(['-', '.'], "_"));
            spellings.insert(l.replace(['-', '_'], "."));
            spellings.insert(l);
        }
        let mut rows = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for n in &spellings {
            for (id, p) in store.packages_named(n).await? {
                if seen.insert(id) {
                    rows.push((id, p));
                }
            }
        }
        // One finding per package row: the row is found again by its fields.
        // Not by arch: a finding names it for distribution packages only.
        type Key = (String, String, String, Option<String>);
        let key = |e: &str, n: &str, v: &str, f: Option<&str>| -> Key {
            (
                e.to_string(),
                n.to_string(),
                v.to_string(),
                f.map(str::to_string),
            )
        };
        let mut by_key: HashMap<Key, Vec<caulk_store::PackageId>> = HashMap::new();
        for (pid, p) in &rows {
            by_key
                .entry(key(
                    &p.ecosystem,
                    &p.name,
                    &p.version,
                    Some(p.file.as_str()),
                ))
                .or_default()
                .push(*pid);
        }
        let packages: Vec<_> = rows.into_iter().map(|(_, p)| p).collect();
        let findings = {
            let config = self.config.clone();
            let g = g.clone();
            let ids = v.ids.clone();
            tokio::task::spawn_blocking(move || vulnerable_packages(&config, &g, &ids, packages))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .map_err(ApiError::Internal)?
        };
        let mut affected: HashMap<caulk_store::PackageId, crate::api::VulnerablePackage> =
            HashMap::new();
        for f in &findings {
            if f.status == caulk_model::finding::Status::NotAffected {
                continue;
            }
            let p = &f.package;
            let k = key(&p.ecosystem, &p.name, &p.version, p.file.as_deref());
            for pid in by_key.get(&k).into_iter().flatten() {
                affected.insert(
                    *pid,
                    crate::api::VulnerablePackage {
                        ecosystem: p.ecosystem.clone(),
                        name: p.name.clone(),
                        version: p.version.clone(),
                        status: f.status.as_str().to_string(),
                        fixed_version: f.fixed_version.as_deref().map(str::to_string),
                        severity: f.severity.as_str().to_string(),
                        advisories: f.advisory_ids.to_vec(),
                    },
                );
            }
        }
        let ids: Vec<caulk_store::PackageId> = affected.keys().copied().collect();
        let mut hosts: BTreeMap<HostId, Vec<crate::api::VulnerablePackage>> = BTreeMap::new();
        for (pid, h) in store.hosts_with_packages(&ids).await? {
            if let Some(p) = affected.get(&pid) {
                hosts.entry(h).or_default().push(p.clone());
            }
        }
        let total = hosts.len() as u64;
        let mut out = Vec::with_capacity(hosts.len().min(limit));
        for (h, mut packages) in hosts.into_iter().take(limit) {
            packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
            let hostname = store.host(h).await?.hostname;
            out.push(crate::api::VulnerableHost {
                id: h.0,
                hostname,
                packages,
            });
        }
        Ok(crate::api::VulnerabilityHosts {
            id: id.to_string(),
            aliases: v.ids.into_iter().filter(|i| i != id).collect(),
            total_hosts: total,
            hosts: out,
        })
    }
}
