//! The fleet store under a fleet's load: `cargo bench -p caulk-store --bench store`.
//!
//! Creates `CAULK_BENCH_HOSTS` hosts (default 10,000), stores a first inventory for each
//! (variations of this host's 743-package dpkg snapshot: 35 variants of versions and missing
//! packages, one host in ten with a package of its own), then checks every host in again
//! with the same inventory, then pages through `list_hosts` 100 at a time. `CAULK_BENCH_TASKS`
//! (default 4) concurrent callers, as a server's request handlers would be. On SQLite always,
//! on PostgreSQL too when `CAULK_TEST_POSTGRES` is set.
//!
//! Baselines, measured in the same run on the same backend (the floor any design pays): a
//! first inventory against one transaction inserting the host's link rows into a bare,
//! index-free table; an unchanged check-in against a bare `UPDATE … WHERE id = ?`.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use caulk_model::inventory::Inventory;
use caulk_store::{Actor, HostFilter, HostId, InventoryOutcome, NewHost};
use jiff::Timestamp;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Fleet {
    variants: HashMap<(usize, usize), Arc<Inventory>>,
    base: Vec<caulk_model::inventory::Package>,
}

impl Fleet {
    /// Host `i`'s inventory, shared when it has no package of its own.
    fn inventory(&self, i: usize) -> Arc<Inventory> {
        if i.is_multiple_of(10) {
            Arc::new(common::fleet_inventory(&self.base, i))
        } else {
            self.variants[&((i / 3) % 5, i % 7)].clone()
        }
    }
}

/// Run `f(i)` for every `i < n` on `tasks` concurrent tasks; the wall time.
async fn run<F, Fut>(n: usize, tasks: usize, f: F) -> Duration
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let f = Arc::new(f);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (f, next) = (f.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    f(i).await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    t.elapsed()
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

async fn bench(b: &common::Backend, fleet: Arc<Fleet>, hosts: usize, tasks: usize) {
    let s = b.store.clone();
    let now = Timestamp::now();
    let actor = Actor::new("bench", None);

    let ids: Arc<Vec<HostId>> = {
        let s = s.clone();
        let ids = Arc::new(std::sync::Mutex::new(vec![HostId(0); hosts]));
        let out = ids.clone();
        let d = run(hosts, tasks, move |i| {
            let (s, ids, actor) = (s.clone(), ids.clone(), actor.clone());
            async move {
                let h = NewHost {
                    hostname: format!("host-{i}"),
                    machine_id: Some(format!("{i:032x}")),
                    ..Default::default()
                };
                let id = s.create_host(&actor, &h, now).await.unwrap().id;
                ids.lock().unwrap()[i] = id;
            }
        })
        .await;
        println!("  create host (audited):        {:>8.0} /s", rate(hosts, d));
        Arc::new(std::mem::take(&mut *out.lock().unwrap()))
    };

    let (s1, f1, i1) = (s.clone(), fleet.clone(), ids.clone());
    let first = run(hosts, tasks, move |i| {
        let (s, f, ids) = (s1.clone(), f1.clone(), i1.clone());
        async move {
            let out = s
                .record_inventory(ids[i], &f.inventory(i), now)
                .await
                .unwrap();
            assert!(matches!(out, InventoryOutcome::First { .. }));
        }
    })
    .await;
    let (s2, f2, i2) = (s.clone(), fleet.clone(), ids.clone());
    let unchanged = run(hosts, tasks, move |i| {
        let (s, f, ids) = (s2.clone(), f2.clone(), i2.clone());
        async move {
            let out = s
                .record_inventory(ids[i], &f.inventory(i), now)
                .await
                .unwrap();
            assert_eq!(out, InventoryOutcome::Unchanged);
        }
    })
    .await;

    // An agent that sends only its inventory's hash (computed on the agent).
    let hashes: Arc<Vec<[u8; 32]>> = Arc::new(
        (0..hosts)
            .map(|i| caulk_store::inventory_hash(&fleet.inventory(i)).unwrap())
            .collect(),
    );
    let (s3, h3, i3) = (s.clone(), hashes.clone(), ids.clone());
    let hash_only = run(hosts, tasks, move |i| {
        let (s, h, ids) = (s3.clone(), h3.clone(), i3.clone());
        async move {
            assert!(s.check_in_unchanged(ids[i], &h[i], now).await.unwrap());
        }
    })
    .await;

    // Listing: every page of 100, one caller, latency per page.
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let t = Instant::now();
        let p = s
            .list_hosts(&HostFilter::default(), after, 100)
            .await
            .unwrap();
        pages.push(t.elapsed());
        match p.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    pages.sort();
    let p99 = pages[(pages.len() * 99 / 100).min(pages.len() - 1)];

    let (base_first, base_unchanged) = baseline(b, &fleet, &ids, tasks).await;
    let st = s.stats().await.unwrap();
    println!(
        "  first inventory:              {:>8.0} hosts/s  ({:.2}x the time of the bare link insert, {:.0} hosts/s)",
        rate(hosts, first),
        first.as_secs_f64() / base_first.as_secs_f64(),
        rate(hosts, base_first)
    );
    println!(
        "  unchanged check-in:           {:>8.0} /s       ({:.2}x the time of a bare UPDATE, {:.0} /s)",
        rate(hosts, unchanged),
        unchanged.as_secs_f64() / base_unchanged.as_secs_f64(),
        rate(hosts, base_unchanged)
    );
    println!(
        "  unchanged check-in, hash only: {:>8.0} /s       ({:.2}x the time of a bare UPDATE)",
        rate(hosts, hash_only),
        hash_only.as_secs_f64() / base_unchanged.as_secs_f64()
    );
    println!(
        "  list_hosts page of 100:       median {:.2} ms, p99 {:.2} ms ({} pages)",
        pages[pages.len() / 2].as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        pages.len()
    );
    println!(
        "  rows: {} hosts, {} distinct packages, {} host→package links ({:.0} links per package row)",
        st.hosts,
        st.packages,
        st.host_packages,
        st.host_packages as f64 / st.packages as f64
    );
    if let common::Place::Sqlite(p) = &b.place {
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        println!(
            "  file: {:.1} MB (+ WAL {:.1} MB)",
            size(p) as f64 / 1e6,
            size(&p.with_extension("db-wal")) as f64 / 1e6
        );
    }
}

/// The same two loads with nothing of the store's logic: link rows into a bare table, and a
/// bare UPDATE of one row, each its own transaction, on the same backend.
async fn baseline(
    b: &common::Backend,
    fleet: &Arc<Fleet>,
    ids: &Arc<Vec<HostId>>,
    tasks: usize,
) -> (Duration, Duration) {
    b.raw("CREATE TABLE bench_links (host_id BIGINT NOT NULL, package_id BIGINT NOT NULL)")
        .await;
    let n = ids.len();
    let link_counts: Arc<Vec<usize>> =
        Arc::new((0..n).map(|i| fleet.inventory(i).packages.len()).collect());
    match &b.place {
        common::Place::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .pragma("cache_size", "-32768")
                    .busy_timeout(Duration::from_secs(30)),
            )
            .await
            .unwrap();
            let (p1, lc) = (pool.clone(), link_counts.clone());
            let first = run(n, tasks, move |i| {
                let (pool, lc) = (p1.clone(), lc.clone());
                async move {
                    let json =
                        serde_json::to_string(&(0..lc[i] as i64).collect::<Vec<_>>()).unwrap();
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
                    sqlx::query("INSERT INTO bench_links SELECT $1, value FROM json_each($2)")
                        .bind(i as i64)
                        .bind(json)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
            .await;
            let (p2, ids) = (pool.clone(), ids.clone());
            let unchanged = run(n, tasks, move |i| {
                let (pool, ids) = (p2.clone(), ids.clone());
                async move {
                    sqlx::query("UPDATE host SET last_seen = last_seen + 1 WHERE id = $1")
                        .bind(ids[i].0)
                        .execute(&pool)
                        .await
                        .unwrap();
                }
            })
            .await;
            pool.close().await;
            (first, unchanged)
        }
        common::Place::Postgres { url, schema } => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect_with(common::pg_opts(url, schema))
                .await
                .unwrap();
            let (p1, lc) = (pool.clone(), link_counts.clone());
            let first = run(n, tasks, move |i| {
                let (pool, lc) = (p1.clone(), lc.clone());
                async move {
                    let v: Vec<i64> = (0..lc[i] as i64).collect();
                    let mut tx = pool.begin().await.unwrap();
                    sqlx::query("INSERT INTO bench_links SELECT $1, unnest($2::int8[])")
                        .bind(i as i64)
                        .bind(v)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
            .await;
            let (p2, ids) = (pool.clone(), ids.clone());
            let unchanged = run(n, tasks, move |i| {
                let (pool, ids) = (p2.clone(), ids.clone());
                async move {
                    sqlx::query("UPDATE host SET last_seen = last_seen + 1 WHERE id = $1")
                        .bind(ids[i].0)
                        .execute(&pool)
                        .await
                        .unwrap();
                }
            })
            .await;
            pool.close().await;
            (first, unchanged)
        }
    }
}

fn main() {
    let hosts = env_usize("CAULK_BENCH_HOSTS", 10_000);
    let tasks = env_usize("CAULK_BENCH_TASKS", 4);
    let Some(base) = common::snapshot_packages() else {
        return;
    };
    let mut variants = HashMap::new();
    for g in 0..5 {
        for m in 0..7 {
            variants.insert((g, m), Arc::new(common::fleet_variant(&base, g, m)));
        }
    }
    let fleet = Arc::new(Fleet { variants, base });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!(
            "caulk-store: {hosts} hosts, {} packages each (743-package snapshot, 35 variants), {tasks} concurrent callers",
            fleet.inventory(1).packages.len()
        );
        let inv = fleet.inventory(1);
        let t = Instant::now();
        for _ in 0..200 {
            std::hint::black_box(caulk_store::inventory_hash(&inv).unwrap());
        }
        println!(
            "inventory_hash of one inventory: {:.3} ms (one core)",
            t.elapsed().as_secs_f64() * 1e3 / 200.0
        );
        let b = common::sqlite("bench").await;
        println!("sqlite (WAL, synchronous=NORMAL):");
        bench(&b, fleet.clone(), hosts, tasks).await;
        b.cleanup().await;
        if std::env::var(common::PG_VAR).is_ok_and(|v| !v.is_empty()) {
            let b = common::postgres("bench").await.unwrap();
            println!("postgres:");
            bench(&b, fleet.clone(), hosts, tasks).await;
            b.cleanup().await;
        } else {
            println!("postgres: skipped ({} not set)", common::PG_VAR);
        }
    });
}
