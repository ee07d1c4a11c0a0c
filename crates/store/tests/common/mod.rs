//! What the contract suite and the bench share: the backends to run on (SQLite always, a
//! private PostgreSQL schema when `CAULK_TEST_POSTGRES` is a URL) and realistic inventories
//! (variations of this host's dpkg status snapshot).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::str::FromStr;

use caulk_model::inventory::{Host, Inventory, OsInfo, Package};
use caulk_store::{SqliteOptions, Store};
use sqlx::postgres::PgConnectOptions;

pub const PG_VAR: &str = "CAULK_TEST_POSTGRES";

/// Where a backend's database is, to open it again or reach it with plain SQL.
pub enum Place {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

pub struct Backend {
    pub store: Store,
    pub place: Place,
}

impl Backend {
    pub fn name(&self) -> &'static str {
        self.store.backend_name()
    }

    pub async fn reopen(&self) -> caulk_store::Result<Store> {
        match &self.place {
            Place::Sqlite(p) => Store::open_sqlite(p, SqliteOptions::default()).await,
            Place::Postgres { url, schema } => Store::open_postgres(pg_opts(url, schema), 4).await,
        }
    }

    /// Run plain SQL beside the store (tampering, inspection); rows affected.
    pub async fn raw(&self, sql: &str) -> u64 {
        match &self.place {
            Place::Sqlite(p) => {
                let pool = sqlx::SqlitePool::connect_with(
                    sqlx::sqlite::SqliteConnectOptions::new().filename(p),
                )
                .await
                .unwrap();
                let n = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&pool)
                    .await
                    .unwrap()
                    .rows_affected();
                pool.close().await;
                n
            }
            Place::Postgres { url, schema } => {
                let pool = sqlx::PgPool::connect_with(pg_opts(url, schema))
                    .await
                    .unwrap();
                let n = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&pool)
                    .await
                    .unwrap()
                    .rows_affected();
                pool.close().await;
                n
            }
        }
    }

    /// Every text and blob value of `table`, as bytes.
    pub async fn values(&self, table: &str) -> Vec<Vec<u8>> {
        use sqlx::{Column, Row, TypeInfo};
        let sql = format!("SELECT * FROM {table}");
        let mut out = Vec::new();
        match &self.place {
            Place::Sqlite(p) => {
                let pool = sqlx::SqlitePool::connect_with(
                    sqlx::sqlite::SqliteConnectOptions::new().filename(p),
                )
                .await
                .unwrap();
                for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&pool)
                    .await
                    .unwrap()
                {
                    for (i, _) in r.columns().iter().enumerate() {
                        if let Ok(Some(v)) = r.try_get::<Option<Vec<u8>>, _>(i) {
                            out.push(v);
                        }
                    }
                }
                pool.close().await;
            }
            Place::Postgres { url, schema } => {
                let pool = sqlx::PgPool::connect_with(pg_opts(url, schema))
                    .await
                    .unwrap();
                for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&pool)
                    .await
                    .unwrap()
                {
                    for (i, c) in r.columns().iter().enumerate() {
                        match c.type_info().name() {
                            "TEXT" | "VARCHAR" => {
                                if let Some(v) = r.try_get::<Option<String>, _>(i).unwrap() {
                                    out.push(v.into_bytes());
                                }
                            }
                            "BYTEA" => {
                                if let Some(v) = r.try_get::<Option<Vec<u8>>, _>(i).unwrap() {
                                    out.push(v);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                pool.close().await;
            }
        }
        out
    }

    /// Drop what the backend made (the SQLite directory, the PostgreSQL schema).
    pub async fn cleanup(self) {
        self.store.close().await;
        match &self.place {
            Place::Sqlite(p) => {
                if let Some(d) = p.parent() {
                    let _ = std::fs::remove_dir_all(d);
                }
            }
            Place::Postgres { url, schema } => {
                if let Ok(pool) =
                    sqlx::PgPool::connect_with(PgConnectOptions::from_str(url).unwrap()).await
                {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                    )))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            }
        }
    }
}

pub fn pg_opts(url: &str, schema: &str) -> PgConnectOptions {
    PgConnectOptions::from_str(url)
        .unwrap_or_else(|e| panic!("{PG_VAR}={url}: {e}"))
        .options([("search_path", schema)])
}

fn unique(name: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("caulk_t_{clean}_{}_{n}", std::process::id())
}

/// A fresh SQLite store in a directory of its own.
pub async fn sqlite(name: &str) -> Backend {
    let dir = std::env::temp_dir().join(unique(name));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fleet.db");
    let store = Store::open_sqlite(&path, SqliteOptions::default())
        .await
        .unwrap();
    Backend {
        store,
        place: Place::Sqlite(path),
    }
}

/// A fresh PostgreSQL store in a schema of its own, or `None` (after the skip-or-fail rule)
/// without `CAULK_TEST_POSTGRES`.
pub async fn postgres(name: &str) -> Option<Backend> {
    let Some(url) = std::env::var(PG_VAR).ok().filter(|u| !u.is_empty()) else {
        caulk_testkit::missing(format_args!(
            "{PG_VAR} is not set (a PostgreSQL URL): the PostgreSQL half of the store's contract suite did not run"
        ));
        return None;
    };
    let schema = unique(name);
    let admin = sqlx::PgPool::connect_with(PgConnectOptions::from_str(&url).unwrap())
        .await
        .unwrap_or_else(|e| panic!("{PG_VAR}={url}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    )))
    .execute(&admin)
    .await
    .unwrap();
    admin.close().await;
    let store = Store::open_postgres(pg_opts(&url, &schema), 8)
        .await
        .unwrap();
    Some(Backend {
        store,
        place: Place::Postgres { url, schema },
    })
}

/// Every backend this run can test: SQLite, and PostgreSQL when configured.
pub async fn backends(name: &str) -> Vec<Backend> {
    // PostgreSQL first: its skip-or-fail panics before a SQLite directory exists to leak.
    let pg = postgres(name).await;
    let mut v = vec![sqlite(name).await];
    v.extend(pg);
    v
}

/// The packages of this host's snapshot (743 dpkg packages), or `None` after the skip rule.
pub fn snapshot_packages() -> Option<Vec<Package>> {
    let text = caulk_testkit::data_text("debian/bookworm-host/dpkg-status")?;
    let distro = caulk_inventory::Distro {
        ecosystem: "Debian:12".into(),
        namespace: "debian".into(),
        distro: Some("debian-12".into()),
    };
    let parsed = caulk_inventory::dpkg::parse_status(
        text.as_bytes(),
        "/var/lib/dpkg/status",
        &distro,
        false,
        &caulk_inventory::Limits::default(),
    );
    assert!(parsed.packages.len() > 500, "{}", parsed.packages.len());
    Some(parsed.packages)
}

/// An inventory of host number `i` of a fleet built from `base`: most hosts share most
/// packages; some lag a version behind on a few, some miss a few, some have a package of
/// their own — as hosts of one image drift in real life.
pub fn fleet_inventory(base: &[Package], i: usize) -> Inventory {
    let mut inv = fleet_variant(base, i / 3, i);
    inv.host.hostname = Some(format!("host-{i}"));
    if i.is_multiple_of(10) {
        let mut p = base[0].clone();
        p.name = format!("local-tool-{i}");
        inv.packages.push(p);
    }
    inv
}

/// The shared part of [`fleet_inventory`]: depends on `generation % 5` and `missing % 7`
/// only (35 variants), so a bench can build each once.
pub fn fleet_variant(base: &[Package], generation: usize, missing: usize) -> Inventory {
    let mut packages: Vec<Package> = Vec::with_capacity(base.len() + 1);
    for (j, p) in base.iter().enumerate() {
        // About 1 host in 7 misses package j for a small set of j.
        if j % 97 == 0 && (missing + j).is_multiple_of(7) {
            continue;
        }
        let mut p = p.clone();
        // One of 5 version generations of every 50th package.
        if j % 50 == 0 {
            let g = (generation + j) % 5;
            if g > 0 {
                p.version = format!("{}+fleet{g}", p.version);
            }
        }
        packages.push(p);
    }
    Inventory {
        host: Host {
            hostname: None,
            arch: Some("x86_64".into()),
            os: Some(OsInfo {
                id: Some("debian".into()),
                pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                version_id: Some("12".into()),
                ecosystem: Some("Debian:12".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        packages,
        ..Default::default()
    }
}
