//! The SQLite backend: one file in WAL mode (readers never wait for the writer), writes in
//! `BEGIN IMMEDIATE` transactions (the write lock is taken up front, so a read-then-write
//! transaction never fails to upgrade), and the inventory's set operations as `json_each`
//! over one JSON parameter (one statement per set, not one per row).

use std::path::Path;
use std::time::Duration;

use caulk_model::inventory::Package;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use crate::digest::{collector_str, state_str};
use crate::secret::hex;
use crate::{Error, Result};

pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_assessment.sql")),
    (3, include_str!("../migrations/sqlite/0003_fleet_fix.sql")),
    (
        4,
        include_str!("../migrations/sqlite/0004_remediations_hash.sql"),
    ),
    (
        5,
        include_str!("../migrations/sqlite/0005_link_autovacuum.sql"),
    ),
];

/// How to open a SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Connections in the pool (readers run in parallel; writers take turns). Default 4.
    pub max_connections: u32,
    /// `synchronous=FULL`: fsync at every commit, so an acknowledged write survives power
    /// loss as well as a killed process (the default, `NORMAL` in WAL mode, survives a killed
    /// process only). Default false.
    pub synchronous_full: bool,
    /// How long a writer waits for another's lock before failing. Default 30 s.
    pub busy_timeout: Duration,
    /// Page cache of each connection, KiB. Default 32 MiB: the link table's indexes of a
    /// large fleet do not fit SQLite's default 2 MiB, and every check-in that changes
    /// something touches pages all over them.
    pub cache_kib: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            max_connections: 4,
            synchronous_full: false,
            busy_timeout: Duration::from_secs(30),
            cache_kib: 32 * 1024,
        }
    }
}

pub(crate) async fn connect(path: &Path, o: SqliteOptions) -> Result<SqlitePool> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(if o.synchronous_full {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        })
        .foreign_keys(true)
        .busy_timeout(o.busy_timeout)
        .pragma("cache_size", format!("-{}", o.cache_kib.max(1024)));
    Ok(SqlitePoolOptions::new()
        .max_connections(o.max_connections.max(1))
        // A connection to a file cannot be lost, and sqlx's ping before each loan is a
        // hand-off to the connection's worker thread and back: a check-in paid two.
        .test_before_acquire(false)
        .connect_with(opts)
        .await?)
}

pub(crate) async fn begin_write(pool: &SqlitePool) -> Result<sqlx::Transaction<'static, Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// `BEGIN IMMEDIATE` already excludes every other writer.
pub(crate) async fn migration_lock(_tx: &mut sqlx::Transaction<'static, Sqlite>) -> Result<()> {
    Ok(())
}

fn json_ids(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

pub(crate) async fn package_ids(
    conn: &mut sqlx::SqliteConnection,
    keys: &[[u8; 32]],
) -> Result<Vec<(i64, Vec<u8>)>> {
    let hexes: Vec<String> = keys.iter().map(|k| hex(k)).collect();
    let json = serde_json::to_string(&hexes).map_err(|e| Error::Corrupt(e.to_string()))?;
    Ok(sqlx::query_as(
        "SELECT id, key FROM package WHERE key IN (SELECT unhex(value) FROM json_each($1))",
    )
    .bind(json)
    .fetch_all(&mut *conn)
    .await?)
}

pub(crate) async fn insert_packages(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    pkgs: &[([u8; 32], &Package)],
) -> Result<()> {
    let rows: Vec<serde_json::Value> = pkgs
        .iter()
        .map(|(k, p)| {
            serde_json::json!([
                hex(k),
                p.ecosystem,
                p.name,
                p.version,
                p.arch,
                p.source_name,
                p.source_version,
                p.purl,
                p.vendor,
                p.file,
                p.owned_by,
                state_str(p.state),
                collector_str(p.collector)
            ])
        })
        .collect();
    let json = serde_json::to_string(&rows).map_err(|e| Error::Corrupt(e.to_string()))?;
    // `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
    sqlx::query(
        "INSERT INTO package (key, ecosystem, name, version, arch, source_name, source_version, \
         purl, vendor, file, owned_by, state, collector) \
         SELECT unhex(value->>0), value->>1, value->>2, value->>3, value->>4, value->>5, \
         value->>6, value->>7, value->>8, value->>9, value->>10, value->>11, value->>12 \
         FROM json_each($1) WHERE true ON CONFLICT (key) DO NOTHING",
    )
    .bind(json)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Nothing on SQLite: a write outside a transaction is one statement, and storing an
/// inventory takes three (no data-modifying `WITH`). Storing a first inventory's statements
/// in the batch that locks the host was measured (one hand-off less) and gained nothing
/// beyond the spread of runs, so it goes the transaction's way, like any other.
pub(crate) async fn first_inventory_alone(
    _pool: &SqlitePool,
    _w: &crate::ops::InventoryWrite<'_>,
) -> Result<bool> {
    Ok(false)
}

/// [`crate::ops::InventoryWrite`] as one batch of four statements: one hand-off to the
/// connection's worker thread instead of four (sqlx binds each statement's `$N` from the
/// one argument list).
pub(crate) async fn write_inventory(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    w: &crate::ops::InventoryWrite<'_>,
) -> Result<i64> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM host_package WHERE host_id = $1 \
         AND package_id IN (SELECT value FROM json_each($2)); \
         INSERT INTO host_package (host_id, package_id) SELECT $1, value FROM json_each($3); \
         UPDATE host SET inventory_hash = $4, inventory_at = $5, last_seen = $6, facts = $7, \
         issues = $8, ecosystem = $9, os = $10 WHERE id = $1; \
         INSERT INTO inventory_event (host_id, at, hash, initial, packages, added, removed, \
         changed) VALUES ($1, $5, $4, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(w.host)
    .bind(json_ids(w.del))
    .bind(json_ids(w.ins))
    .bind(&w.hash[..])
    .bind(w.at)
    .bind(w.now)
    .bind(w.facts)
    .bind(w.issues)
    .bind(w.ecosystem)
    .bind(w.os)
    .bind(i64::from(w.initial))
    .bind(w.packages)
    .bind(w.added)
    .bind(w.removed)
    .bind(w.changed)
    .fetch_all(&mut **tx)
    .await?;
    match ids.as_slice() {
        [id] => Ok(*id),
        _ => Err(Error::Corrupt(format!(
            "storing an inventory: {} event ids returned, want 1",
            ids.len()
        ))),
    }
}

pub(crate) async fn insert_changes(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    event: i64,
    rows: &[(&'static str, i64, Option<i64>)],
) -> Result<()> {
    let json = serde_json::to_string(rows).map_err(|e| Error::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO inventory_change (event_id, kind, package_id, old_package_id) \
         SELECT $1, value->>0, value->>1, value->>2 FROM json_each($2)",
    )
    .bind(event)
    .bind(json)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn links_of_packages(pool: &SqlitePool, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT package_id, host_id FROM host_package \
         WHERE package_id IN (SELECT value FROM json_each($1))",
    )
    .bind(json_ids(ids))
    .fetch_all(pool)
    .await?)
}

/// Generated lists of parameters are plain `?`, bound by position ([`crate::ops::placeholders`]).
pub(crate) const ANONYMOUS_PARAMS: bool = true;

pub(crate) mod ops {
    crate::ops::ops!(sqlx::Sqlite);
}

/// Each named host's package ids (`{ids}`: the placeholders), one row per host (`host_id`, `"id,id,…"`): one
/// row per host to decode instead of one per link.
pub(crate) const LINKS_BY_HOST: &str = "SELECT host_id, group_concat(package_id) FROM host_package \
     WHERE host_id IN ({ids}) GROUP BY host_id";
