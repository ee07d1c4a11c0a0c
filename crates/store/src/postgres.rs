//! The PostgreSQL backend: a pool of connections, transactions at READ COMMITTED (every
//! contended write in `ops` is a single conditional `UPDATE`, which PostgreSQL re-checks on
//! the row's newest version), migrations under an advisory lock (two servers starting at
//! once apply them once), and the inventory's set operations as `unnest` of array parameters.

use caulk_model::inventory::Package;
use sqlx::{PgPool, Postgres};

use crate::Result;
use crate::digest::{collector_str, state_str};

pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_assessment.sql"),
    ),
    (3, include_str!("../migrations/postgres/0003_fleet_fix.sql")),
    (
        4,
        include_str!("../migrations/postgres/0004_remediations_hash.sql"),
    ),
    (
        5,
        include_str!("../migrations/postgres/0005_link_autovacuum.sql"),
    ),
];

/// A pooled connection idle for this long is pinged before it is lent (see `Store::open_postgres`).
pub(crate) const PING_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

/// An arbitrary constant naming caulk's migration lock.
const MIGRATION_LOCK: i64 = 0x6361_756c_6b00_0001;

pub(crate) async fn begin_write(pool: &PgPool) -> Result<sqlx::Transaction<'static, Postgres>> {
    Ok(pool.begin().await?)
}

pub(crate) async fn migration_lock(tx: &mut sqlx::Transaction<'static, Postgres>) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn package_ids(
    conn: &mut sqlx::PgConnection,
    keys: &[[u8; 32]],
) -> Result<Vec<(i64, Vec<u8>)>> {
    let keys: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
    Ok(
        sqlx::query_as("SELECT id, key FROM package WHERE key = ANY($1)")
            .bind(keys)
            .fetch_all(&mut *conn)
            .await?,
    )
}

pub(crate) async fn insert_packages(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    pkgs: &[([u8; 32], &Package)],
) -> Result<()> {
    let col = |f: fn(&Package) -> Option<String>| -> Vec<Option<String>> {
        pkgs.iter().map(|(_, p)| f(p)).collect()
    };
    let keys: Vec<Vec<u8>> = pkgs.iter().map(|(k, _)| k.to_vec()).collect();
    // Rows in key order (the caller sorts): concurrent inserters of overlapping sets take
    // the unique index's locks in one order, so they wait for each other, never deadlock.
    sqlx::query(
        "INSERT INTO package (key, ecosystem, name, version, arch, source_name, source_version, \
         purl, vendor, file, owned_by, state, collector) \
         SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], \
         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
         $13::text[]) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(keys)
    .bind(col(|p| Some(p.ecosystem.clone())))
    .bind(col(|p| Some(p.name.clone())))
    .bind(col(|p| Some(p.version.clone())))
    .bind(col(|p| p.arch.clone()))
    .bind(col(|p| p.source_name.clone()))
    .bind(col(|p| p.source_version.clone()))
    .bind(col(|p| p.purl.clone()))
    .bind(col(|p| p.vendor.clone()))
    .bind(col(|p| Some(p.file.clone())))
    .bind(col(|p| p.owned_by.clone()))
    .bind(col(|p| Some(state_str(p.state).to_string())))
    .bind(col(|p| Some(collector_str(p.collector).to_string())))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A first inventory (`w`, its package rows all present) stored in one statement outside
/// any transaction (a statement is atomic): the host row is written only if it has no
/// inventory — the `UPDATE` takes the row's lock and re-checks that on the newest version
/// — and the links and the event only with it. `false`: the host has an inventory (or does
/// not exist); nothing was written.
pub(crate) async fn first_inventory_alone(
    pool: &PgPool,
    w: &crate::ops::InventoryWrite<'_>,
) -> Result<bool> {
    let event: Option<i64> = sqlx::query_scalar(
        "WITH h AS (UPDATE host SET inventory_hash = $2, inventory_at = $3, last_seen = $4, \
         facts = $5, issues = $6, ecosystem = $7, os = $8 \
         WHERE id = $1 AND inventory_hash IS NULL RETURNING id), \
         l AS (INSERT INTO host_package (host_id, package_id) \
         SELECT h.id, u.p FROM h, unnest($9::int8[]) AS u(p)) \
         INSERT INTO inventory_event (host_id, at, hash, initial, packages, added, removed, \
         changed) SELECT h.id, $3, $2, 1, $10, $10, 0, 0 FROM h RETURNING id",
    )
    .bind(w.host)
    .bind(&w.hash[..])
    .bind(w.at)
    .bind(w.now)
    .bind(w.facts)
    .bind(w.issues)
    .bind(w.ecosystem)
    .bind(w.os)
    .bind(w.ins)
    .bind(w.packages)
    .fetch_optional(pool)
    .await?;
    Ok(event.is_some())
}

/// [`crate::ops::InventoryWrite`] as one statement (data-modifying `WITH` clauses): one
/// round trip instead of four. The deleted and inserted links are disjoint sets.
pub(crate) async fn write_inventory(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    w: &crate::ops::InventoryWrite<'_>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "WITH d AS (DELETE FROM host_package WHERE host_id = $1 AND package_id = ANY($2)), \
         l AS (INSERT INTO host_package (host_id, package_id) SELECT $1, unnest($3::int8[])), \
         h AS (UPDATE host SET inventory_hash = $4, inventory_at = $5, last_seen = $6, \
         facts = $7, issues = $8, ecosystem = $9, os = $10 WHERE id = $1) \
         INSERT INTO inventory_event (host_id, at, hash, initial, packages, added, removed, \
         changed) VALUES ($1, $5, $4, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(w.host)
    .bind(w.del)
    .bind(w.ins)
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
    .fetch_one(&mut **tx)
    .await?)
}

pub(crate) async fn insert_changes(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    event: i64,
    rows: &[(&'static str, i64, Option<i64>)],
) -> Result<()> {
    let kinds: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let olds: Vec<Option<i64>> = rows.iter().map(|r| r.2).collect();
    sqlx::query(
        "INSERT INTO inventory_change (event_id, kind, package_id, old_package_id) \
         SELECT $1, * FROM unnest($2::text[], $3::int8[], $4::int8[])",
    )
    .bind(event)
    .bind(kinds)
    .bind(ids)
    .bind(olds)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn links_of_packages(pool: &PgPool, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT package_id, host_id FROM host_package WHERE package_id = ANY($1)")
            .bind(ids)
            .fetch_all(pool)
            .await?,
    )
}

/// Generated lists of parameters are `$n` ([`crate::ops::placeholders`]).
pub(crate) const ANONYMOUS_PARAMS: bool = false;

pub(crate) mod ops {
    crate::ops::ops!(sqlx::Postgres);
}

/// Each named host's package ids (`{ids}`: the placeholders), one row per host (`host_id`, `"id,id,…"`): one
/// row per host to decode instead of one per link.
pub(crate) const LINKS_BY_HOST: &str = "SELECT host_id, string_agg(package_id::text, ',') \
     FROM host_package WHERE host_id IN ({ids}) GROUP BY host_id";
