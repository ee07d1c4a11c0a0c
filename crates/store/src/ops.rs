//! Every store operation, written once and instantiated per backend (`ops!(sqlx::Sqlite)` in
//! `sqlite.rs`, `ops!(sqlx::Postgres)` in `postgres.rs`): the SQL is the dialect both accept
//! (`$N` parameters, `RETURNING`, `ON CONFLICT`, integer microseconds for times). What differs
//! — opening a write transaction, the migration lock, the set operations of an inventory —
//! is a function of the backend module (`super::…`) with the same name on both sides.

use jiff::Timestamp;

use crate::{Error, Result};

pub(crate) fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn ts(v: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(v).map_err(|e| Error::Corrupt(format!("time {v}: {e}")))
}

pub(crate) fn ts_opt(v: Option<i64>) -> Result<Option<Timestamp>> {
    v.map(ts).transpose()
}

/// A unique-constraint violation as [`Error::Conflict`], anything else as is.
pub(crate) fn conflict_or(e: sqlx::Error, msg: impl FnOnce() -> String) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(msg()),
        _ => Error::Db(e),
    }
}

/// `n` placeholders for parameters `start`, `start + 1`, …: an `IN (…)` list or a `VALUES`
/// row. `$start, …` on PostgreSQL; plain `?` on SQLite (`anonymous`), bound by position: sqlx
/// looks a named SQLite parameter (`$n`, `?n`) up by name, at a cost linear in the statement's
/// parameters, so naming them made a statement of n parameters cost n² to bind (measured: a
/// tenth of a fleet re-match's CPU). A statement mixes neither style with the other.
pub(crate) fn placeholders(anonymous: bool, start: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 5);
    for i in start..start + n {
        if i > start {
            out.push_str(", ");
        }
        if anonymous {
            out.push('?');
        } else {
            out.push('$');
            out.push_str(&i.to_string());
        }
    }
    out
}

/// What identifies a fleet fix: SHA-256 of its ecosystem, package, target version and
/// vulnerability list (JSON), each length-prefixed.
pub(crate) fn fix_key(ecosystem: &str, package: &str, target: &str, vulns: &str) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"caulk-fleet-fix-v1");
    for part in [ecosystem, package, target, vulns] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

/// What storing a new inventory writes after its package rows exist: the host's links
/// (`del` and `ins`, sorted ids), the host row (hash, facts, issues, OS) and the history event.
/// Each backend writes it in one round trip (`write_inventory`) and returns the event's id.
pub(crate) struct InventoryWrite<'a> {
    pub host: i64,
    pub del: &'a [i64],
    pub ins: &'a [i64],
    pub hash: &'a [u8; 32],
    /// When the inventory was observed (µs).
    pub at: i64,
    /// Last seen (µs).
    pub now: i64,
    pub facts: &'a str,
    pub issues: &'a str,
    pub ecosystem: Option<&'a str>,
    pub os: Option<&'a str>,
    pub initial: bool,
    pub packages: i64,
    pub added: i64,
    pub removed: i64,
    pub changed: i64,
}

pub(crate) fn hash32(v: Vec<u8>, what: &str) -> Result<[u8; 32]> {
    v.try_into()
        .map_err(|v: Vec<u8>| Error::Corrupt(format!("{what}: {} bytes, want 32", v.len())))
}

macro_rules! ops {
    ($db:ty) => {
        use std::collections::{BTreeMap, BTreeSet, HashMap};

        use caulk_model::inventory::{Inventory, Package};
        use jiff::Timestamp;
        use sqlx::Row;

        use crate::digest::{self, Identity};
        use crate::ops::{conflict_or, fix_key, hash32, ts, ts_opt, us};

        /// This backend's placeholders for parameters `start..start + n` ([`crate::ops::placeholders`]).
        fn params(start: usize, n: usize) -> String {
            crate::ops::placeholders(super::ANONYMOUS_PARAMS, start, n)
        }
        use crate::secret::{self, TokenKind};
        use crate::types::{criticality_parse, exposure_parse};
        use crate::validate;
        use crate::*;

        type Pool = sqlx::Pool<$db>;
        type Tx = sqlx::Transaction<'static, $db>;
        type DbRow = <$db as sqlx::Database>::Row;

        const HOST_COLS: &str = "id, hostname, machine_id, ecosystem, os, criticality, exposure, \
             owner, agent_version, first_seen, last_seen, inventory_at";
        const PACKAGE_COLS: &str = "p.ecosystem, p.name, p.version, p.arch, p.source_name, \
             p.source_version, p.purl, p.vendor, p.file, p.owned_by, p.state, p.collector";

        // --- schema ---------------------------------------------------------------------

        pub(crate) async fn schema_version(pool: &Pool) -> Result<i64> {
            let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM caulk_schema")
                .fetch_one(pool)
                .await?;
            Ok(v.unwrap_or(0))
        }

        pub(crate) async fn migrate(pool: &Pool) -> Result<()> {
            let mut tx = super::begin_write(pool).await?;
            super::migration_lock(&mut tx).await?;
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS caulk_schema \
                 (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .execute(&mut *tx)
            .await?;
            let current: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM caulk_schema")
                    .fetch_one(&mut *tx)
                    .await?;
            let current = current.unwrap_or(0);
            if current > SCHEMA_VERSION {
                return Err(Error::SchemaTooNew {
                    found: current,
                    known: SCHEMA_VERSION,
                });
            }
            for &(version, sql) in super::MIGRATIONS {
                if version > current {
                    sqlx::raw_sql(sql).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO caulk_schema (version, applied_at) VALUES ($1, $2)")
                        .bind(version)
                        .bind(us(Timestamp::now()))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        }

        // --- audit ----------------------------------------------------------------------

        /// Append to the chain inside `tx`: compare-and-swap of the head row, so concurrent
        /// appenders never share a predecessor (the loser reads the new head and retries).
        async fn audit_in_tx(
            tx: &mut Tx,
            actor: &Actor,
            action: &str,
            target: &str,
            detail: &str,
            now: Timestamp,
        ) -> Result<i64> {
            loop {
                let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(&mut **tx)
                    .await?;
                let seq: i64 = row.try_get(0)?;
                let prev = hash32(row.try_get(1)?, "audit head")?;
                let next = seq + 1;
                let at = us(now);
                let hash = digest::audit_hash(
                    &prev,
                    next,
                    at,
                    &actor.who,
                    action,
                    target,
                    actor.address.as_deref(),
                    detail,
                );
                let moved = sqlx::query(
                    "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3",
                )
                .bind(next)
                .bind(&hash[..])
                .bind(seq)
                .execute(&mut **tx)
                .await?
                .rows_affected();
                if moved != 1 {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO audit (seq, at, actor, action, target, address, detail, \
                     prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(next)
                .bind(at)
                .bind(&actor.who)
                .bind(action)
                .bind(target)
                .bind(actor.address.as_deref())
                .bind(detail)
                .bind(&prev[..])
                .bind(&hash[..])
                .execute(&mut **tx)
                .await?;
                return Ok(next);
            }
        }

        fn validate_actor(a: &Actor) -> Result<()> {
            validate::text("actor", &a.who, 255)?;
            if let Some(addr) = &a.address {
                validate::text("address", addr, 64)?;
            }
            Ok(())
        }

        pub(crate) async fn append_audit(
            pool: &Pool,
            e: &AuditRecord,
            now: Timestamp,
        ) -> Result<i64> {
            validate_actor(&e.actor)?;
            validate::name("action", &e.action)?;
            validate::text("target", &e.target, 255)?;
            if e.detail.len() > 65_536 || e.detail.contains('\0') {
                return Err(Error::Invalid {
                    field: "detail",
                    reason: "over 64 KiB or with a NUL".into(),
                });
            }
            let mut tx = super::begin_write(pool).await?;
            let seq = audit_in_tx(&mut tx, &e.actor, &e.action, &e.target, &e.detail, now).await?;
            tx.commit().await?;
            Ok(seq)
        }

        fn audit_from_row(r: &DbRow) -> Result<AuditEntry> {
            Ok(AuditEntry {
                seq: r.try_get(0)?,
                at: ts(r.try_get(1)?)?,
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                target: r.try_get(4)?,
                address: r.try_get(5)?,
                detail: r.try_get(6)?,
                prev_hash: hash32(r.try_get(7)?, "audit prev_hash")?,
                hash: hash32(r.try_get(8)?, "audit hash")?,
            })
        }

        pub(crate) async fn audit_log(pool: &Pool, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
            sqlx::query(
                "SELECT seq, at, actor, action, target, address, detail, prev_hash, hash \
                 FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit.clamp(1, 10_000)))
            .fetch_all(pool)
            .await?
            .iter()
            .map(audit_from_row)
            .collect()
        }

        pub(crate) async fn verify_audit(pool: &Pool) -> Result<AuditVerification> {
            let mut prev = [0u8; 32];
            let mut expect = 1i64;
            let mut entries = 0u64;
            loop {
                // A corrupt row (a hash of the wrong length) is a broken entry, not an error.
                let rows = sqlx::query(
                    "SELECT seq, at, actor, action, target, address, detail, prev_hash, hash \
                     FROM audit WHERE seq >= $1 ORDER BY seq LIMIT 1000",
                )
                .bind(expect)
                .fetch_all(pool)
                .await?;
                if rows.is_empty() {
                    break;
                }
                for r in &rows {
                    let seq: i64 = r.try_get(0)?;
                    let broken = |why: String| {
                        Ok(AuditVerification {
                            entries,
                            first_broken: Some((seq, why)),
                        })
                    };
                    if seq != expect {
                        return Ok(AuditVerification {
                            entries,
                            first_broken: Some((expect, format!("entry {expect} is missing (next is {seq})"))),
                        });
                    }
                    let e = match audit_from_row(r) {
                        Ok(e) => e,
                        Err(err) => return broken(format!("unreadable: {err}")),
                    };
                    if e.prev_hash != prev {
                        return broken("its prev_hash is not the hash of the entry before".into());
                    }
                    let h = digest::audit_hash(
                        &prev,
                        e.seq,
                        us(e.at),
                        &e.actor,
                        &e.action,
                        &e.target,
                        e.address.as_deref(),
                        &e.detail,
                    );
                    if h != e.hash {
                        return broken("its content does not match its hash (altered)".into());
                    }
                    prev = e.hash;
                    expect += 1;
                    entries += 1;
                }
            }
            let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?;
            let head_seq: i64 = head.try_get(0)?;
            let head_hash: Vec<u8> = head.try_get(1)?;
            if head_seq != expect - 1 || head_hash != prev {
                return Ok(AuditVerification {
                    entries,
                    first_broken: Some((
                        expect,
                        format!("the chain ends at {} but its head says {head_seq} (entries removed from the end)", expect - 1),
                    )),
                });
            }
            Ok(AuditVerification {
                entries,
                first_broken: None,
            })
        }

        // --- hosts ----------------------------------------------------------------------

        fn host_from_row(r: &DbRow) -> Result<HostRecord> {
            let crit: String = r.try_get(5)?;
            let expo: String = r.try_get(6)?;
            Ok(HostRecord {
                id: HostId(r.try_get(0)?),
                hostname: r.try_get(1)?,
                machine_id: r.try_get(2)?,
                ecosystem: r.try_get(3)?,
                os: r.try_get(4)?,
                labels: BTreeMap::new(),
                groups: BTreeSet::new(),
                criticality: criticality_parse(&crit)
                    .ok_or_else(|| Error::Corrupt(format!("criticality {crit:?}")))?,
                exposure: exposure_parse(&expo)
                    .ok_or_else(|| Error::Corrupt(format!("exposure {expo:?}")))?,
                owner: r.try_get(7)?,
                agent_version: r.try_get(8)?,
                first_seen: ts(r.try_get(9)?)?,
                last_seen: ts(r.try_get(10)?)?,
                inventory_at: ts_opt(r.try_get(11)?)?,
                findings: None,
            })
        }

        async fn set_labels_groups(
            tx: &mut Tx,
            id: HostId,
            labels: Option<&BTreeMap<String, String>>,
            groups: Option<&BTreeSet<String>>,
        ) -> Result<()> {
            if let Some(labels) = labels {
                sqlx::query("DELETE FROM host_label WHERE host_id = $1")
                    .bind(id.0)
                    .execute(&mut **tx)
                    .await?;
                for (k, v) in labels {
                    sqlx::query("INSERT INTO host_label (host_id, key, value) VALUES ($1, $2, $3)")
                        .bind(id.0)
                        .bind(k)
                        .bind(v)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            if let Some(groups) = groups {
                sqlx::query("DELETE FROM host_group WHERE host_id = $1")
                    .bind(id.0)
                    .execute(&mut **tx)
                    .await?;
                for g in groups {
                    sqlx::query("INSERT INTO host_group (host_id, name) VALUES ($1, $2)")
                        .bind(id.0)
                        .bind(g)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            Ok(())
        }

        async fn insert_host(tx: &mut Tx, h: &NewHost, now: Timestamp) -> Result<HostRecord> {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO host (hostname, machine_id, criticality, exposure, owner, \
                 agent_version, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 RETURNING id",
            )
            .bind(&h.hostname)
            .bind(h.machine_id.as_deref())
            .bind(h.criticality.as_str())
            .bind(h.exposure.as_str())
            .bind(h.owner.as_deref())
            .bind(h.agent_version.as_deref())
            .bind(us(now))
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| {
                conflict_or(e, || {
                    format!(
                        "machine id {} is already enrolled",
                        h.machine_id.as_deref().unwrap_or("")
                    )
                })
            })?;
            let id = HostId(id);
            set_labels_groups(tx, id, Some(&h.labels), Some(&h.groups)).await?;
            // Times as stored (microseconds), so the record equals a later read.
            let now = ts(us(now))?;
            Ok(HostRecord {
                id,
                hostname: h.hostname.clone(),
                machine_id: h.machine_id.clone(),
                ecosystem: None,
                os: None,
                labels: h.labels.clone(),
                groups: h.groups.clone(),
                criticality: h.criticality,
                exposure: h.exposure,
                owner: h.owner.clone(),
                agent_version: h.agent_version.clone(),
                first_seen: now,
                last_seen: now,
                inventory_at: None,
                findings: None,
            })
        }

        pub(crate) async fn create_host(
            pool: &Pool,
            actor: &Actor,
            h: &NewHost,
            now: Timestamp,
        ) -> Result<HostRecord> {
            validate_actor(actor)?;
            validate::new_host(h)?;
            let mut tx = super::begin_write(pool).await?;
            let rec = insert_host(&mut tx, h, now).await?;
            audit_in_tx(&mut tx, actor, "host.create", &format!("host:{}", rec.id), &h.hostname, now)
                .await?;
            tx.commit().await?;
            Ok(rec)
        }

        async fn new_agent_credential(tx: &mut Tx, host: HostId, now: Timestamp) -> Result<NewSecret> {
            let s = secret::random_secret();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO agent_credential (host_id, secret_hash, created_at) \
                 VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(host.0)
            .bind(&secret::sha256(s.as_bytes())[..])
            .bind(us(now))
            .fetch_one(&mut **tx)
            .await?;
            Ok(NewSecret {
                id: TokenId(id),
                token: secret::format_token(TokenKind::Agent, id, &s),
            })
        }

        pub(crate) async fn enrol(
            pool: &Pool,
            token: &str,
            h: &NewHost,
            address: Option<&str>,
            now: Timestamp,
        ) -> Result<Enrolment> {
            let (tid, digest) = secret::parse_token(TokenKind::Enrolment, token)?;
            validate::new_host(h)?;
            let actor = Actor::new(format!("enrolment-token:{tid}"), address);
            validate_actor(&actor)?;
            // A token whose secret does not match is refused by a read, before the write
            // lock: the route is open to anyone, and guessing must not hold the one writer.
            let stored: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT secret_hash FROM enrolment_token WHERE id = $1")
                    .bind(tid.0)
                    .fetch_optional(pool)
                    .await?;
            if !stored.is_some_and(|s| secret::digest_matches(&digest, &s)) {
                return Err(Error::Refused(Refusal::Unknown));
            }
            let mut tx = super::begin_write(pool).await?;
            // The use is taken here, atomically; dropping `tx` on any later error gives it back.
            let taken: Option<Vec<u8>> = sqlx::query_scalar(
                "UPDATE enrolment_token SET uses = uses + 1 WHERE id = $1 AND uses < max_uses \
                 AND revoked_at IS NULL AND expires_at > $2 RETURNING secret_hash",
            )
            .bind(tid.0)
            .bind(us(now))
            .fetch_optional(&mut *tx)
            .await?;
            match taken {
                Some(stored) if secret::digest_matches(&digest, &stored) => {}
                Some(_) => return Err(Error::Refused(Refusal::Unknown)),
                None => {
                    let row = sqlx::query(
                        "SELECT secret_hash, revoked_at, expires_at FROM enrolment_token WHERE id = $1",
                    )
                    .bind(tid.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let why = match row {
                        None => Refusal::Unknown,
                        Some(r) => {
                            let stored: Vec<u8> = r.try_get(0)?;
                            let revoked: Option<i64> = r.try_get(1)?;
                            let expires: i64 = r.try_get(2)?;
                            if !secret::digest_matches(&digest, &stored) {
                                Refusal::Unknown
                            } else if revoked.is_some() {
                                Refusal::Revoked
                            } else if expires <= us(now) {
                                Refusal::Expired
                            } else {
                                Refusal::UsedUp
                            }
                        }
                    };
                    return Err(Error::Refused(why));
                }
            }
            // A machine enrolled before enrols again because its agent lost the answer:
            // the host never reported, so the same host gets a new credential and the old
            // ones are revoked — never a second host for one machine, never a machine locked
            // out. A host that has reported is not handed over on a machine id alone (the id
            // is no secret: a token holder could take the host over and hide its findings):
            // that is a conflict an operator resolves.
            let known: Option<(i64, Option<i64>)> = match &h.machine_id {
                Some(m) => sqlx::query_as("SELECT id, inventory_at FROM host WHERE machine_id = $1")
                    .bind(m)
                    .fetch_optional(&mut *tx)
                    .await?,
                None => None,
            };
            if let Some((id, Some(_))) = known {
                return Err(Error::Conflict(format!(
                    "machine id {} is enrolled as host {id}, which has reported: delete that host (DELETE /api/v1/hosts/{id}) to enrol the machine again",
                    h.machine_id.as_deref().unwrap_or_default()
                )));
            }
            if let Some((id, None)) = known {
                let id = HostId(id);
                sqlx::query(
                    "UPDATE host SET hostname = $2, agent_version = COALESCE($3, agent_version), \
                     last_seen = $4 WHERE id = $1",
                )
                .bind(id.0)
                .bind(&h.hostname)
                .bind(h.agent_version.as_deref())
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
                let revoked = sqlx::query(
                    "UPDATE agent_credential SET revoked_at = $2 WHERE host_id = $1 AND revoked_at IS NULL",
                )
                .bind(id.0)
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let credential = new_agent_credential(&mut tx, id, now).await?;
                let detail = serde_json::json!({
                    "hostname": h.hostname,
                    "credentials_revoked": revoked,
                })
                .to_string();
                audit_in_tx(&mut tx, &actor, "host.re-enrol", &format!("host:{id}"), &detail, now)
                    .await?;
                tx.commit().await?;
                let host = host(pool, id).await?;
                return Ok(Enrolment { host, credential });
            }
            let host = insert_host(&mut tx, h, now).await?;
            let credential = new_agent_credential(&mut tx, host.id, now).await?;
            audit_in_tx(&mut tx, &actor, "host.enrol", &format!("host:{}", host.id), &h.hostname, now)
                .await?;
            tx.commit().await?;
            Ok(Enrolment { host, credential })
        }

        async fn fill_labels(conn: &Pool, hosts: &mut [HostRecord]) -> Result<()> {
            if hosts.is_empty() {
                return Ok(());
            }
            let at: HashMap<i64, usize> = hosts.iter().enumerate().map(|(i, h)| (h.id.0, i)).collect();
            // The page's ids themselves (at most 1,000 parameters), not the range between
            // its first and last: a filtered page may span the whole table.
            let ids: Vec<i64> = hosts.iter().map(|h| h.id.0).collect();
            let list = params(1, ids.len());
            let sql = format!("SELECT host_id, key, value FROM host_label WHERE host_id IN ({list})");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in &ids {
                q = q.bind(*id);
            }
            for r in q.fetch_all(conn).await? {
                if let Some(&i) = at.get(&r.try_get::<i64, _>(0)?) {
                    hosts[i].labels.insert(r.try_get(1)?, r.try_get(2)?);
                }
            }
            let sql = format!("SELECT host_id, name FROM host_group WHERE host_id IN ({list})");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in &ids {
                q = q.bind(*id);
            }
            for r in q.fetch_all(conn).await? {
                if let Some(&i) = at.get(&r.try_get::<i64, _>(0)?) {
                    hosts[i].groups.insert(r.try_get(1)?);
                }
            }
            let sql = format!(
                "SELECT a.host_id, a.generation, a.assessed_at, a.inventory_hash, a.counts, \
                 CAST(CASE WHEN a.inventory_hash = h.inventory_hash THEN 1 ELSE 0 END AS BIGINT) \
                 FROM host_assessment a JOIN host h ON h.id = a.host_id \
                 WHERE a.host_id IN ({list})"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in &ids {
                q = q.bind(*id);
            }
            for r in q.fetch_all(conn).await? {
                if let Some(&i) = at.get(&r.try_get::<i64, _>(0)?) {
                    let counts: String = r.try_get(4)?;
                    hosts[i].findings = Some(HostFindings {
                        generation: r.try_get(1)?,
                        assessed_at: ts(r.try_get(2)?)?,
                        inventory_hash: hash32(r.try_get(3)?, "assessment inventory hash")?,
                        current_inventory: r.try_get::<i64, _>(5)? == 1,
                        counts: serde_json::from_str(&counts).map_err(|e| {
                            Error::Corrupt(format!("assessment counts of host {}: {e}", hosts[i].id))
                        })?,
                    });
                }
            }
            Ok(())
        }

        // --- assessments ----------------------------------------------------------------

        fn decision_rank(d: caulk_model::finding::Decision) -> i64 {
            use caulk_model::finding::Decision as D;
            match d {
                D::Defer => 0,
                D::Scheduled => 1,
                D::OutOfCycle => 2,
                D::ActNow => 3,
            }
        }

        fn decision_of(v: i64) -> Result<caulk_model::finding::Decision> {
            use caulk_model::finding::Decision as D;
            Ok(match v {
                0 => D::Defer,
                1 => D::Scheduled,
                2 => D::OutOfCycle,
                3 => D::ActNow,
                _ => return Err(Error::Corrupt(format!("decision rank {v}"))),
            })
        }

        fn severity_rank(s: caulk_model::finding::Severity) -> i64 {
            use caulk_model::finding::Severity as S;
            match s {
                S::Unknown => 0,
                S::None => 1,
                S::Low => 2,
                S::Medium => 3,
                S::High => 4,
                S::Critical => 5,
            }
        }

        fn severity_of(v: i64) -> Result<caulk_model::finding::Severity> {
            use caulk_model::finding::Severity as S;
            Ok(match v {
                0 => S::Unknown,
                1 => S::None,
                2 => S::Low,
                3 => S::Medium,
                4 => S::High,
                5 => S::Critical,
                _ => return Err(Error::Corrupt(format!("severity rank {v}"))),
            })
        }

        /// Replace the host's assessment, unless the host's inventory changed since the one
        /// assessed (then a newer assessment is due, and this one is dropped: `false`).
        pub(crate) async fn put_assessment(
            pool: &Pool,
            id: HostId,
            a: &NewAssessment,
            now: Timestamp,
        ) -> Result<bool> {
            Ok(put_assessments(pool, std::slice::from_ref(&(id, a.clone())), now).await? == 1)
        }

        /// Store a batch of assessments in one transaction: each host's replaces its last,
        /// unless the host's inventory or profile changed since (then it is left out). A few
        /// statements per batch, not per row: a fleet re-match writes ~100 remediation rows
        /// per host. How many were stored.
        pub(crate) async fn put_assessments(
            pool: &Pool,
            batch: &[(HostId, NewAssessment)],
            now: Timestamp,
        ) -> Result<u64> {
            let (Some(lo), Some(hi)) = (
                batch.iter().map(|b| b.0.0).min(),
                batch.iter().map(|b| b.0.0).max(),
            ) else {
                return Ok(0);
            };
            let mut tx = super::begin_write(pool).await?;
            // Each host's inventory hash and profile, and the hash of its stored
            // remediation rows.
            type Current = (Option<Vec<u8>>, String, String, Option<Vec<u8>>);
            let mut current: HashMap<i64, Current> = HashMap::new();
            for row in sqlx::query(
                // (The range on both sides: PostgreSQL otherwise reads all assessments.)
                "SELECT h.id, h.inventory_hash, h.criticality, h.exposure, a.remediations_hash \
                 FROM host h LEFT JOIN host_assessment a \
                 ON a.host_id = h.id AND a.host_id BETWEEN $1 AND $2 \
                 WHERE h.id BETWEEN $1 AND $2",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(&mut *tx)
            .await?
            {
                current.insert(
                    row.try_get(0)?,
                    (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?, row.try_get(4)?),
                );
            }
            let mut seen = BTreeSet::new();
            let mut fresh: Vec<(HostId, &NewAssessment, String)> = Vec::new();
            for (id, a) in batch {
                let Some((hash, crit, expo, _)) = current.get(&id.0) else {
                    // A host deleted since: nothing to store (a single put says so).
                    if batch.len() == 1 {
                        return Err(Error::NotFound {
                            what: "host",
                            id: id.to_string(),
                        });
                    }
                    continue;
                };
                if hash.as_deref() != Some(&a.inventory_hash[..])
                    || crit != a.criticality.as_str()
                    || expo != a.exposure.as_str()
                    || !seen.insert(id.0)
                {
                    continue;
                }
                let counts = serde_json::to_string(&a.counts)
                    .map_err(|e| Error::Corrupt(format!("assessment counts: {e}")))?;
                fresh.push((*id, a, counts));
            }
            if fresh.is_empty() {
                tx.commit().await?;
                return Ok(0);
            }
            // Placeholders `($k, …)` for `rows` rows of `cols` values.
            let values = |rows: usize, cols: usize| -> String {
                (0..rows)
                    .map(|r| format!("({})", params(r * cols + 1, cols)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };

            // One row per (host, ecosystem, package, target version): a host's remediations
            // come merged per key (`caulk_app::fleet::assessment_of`); a repeated key is
            // merged here as the single-row upsert did (the row, its decision and its risk:
            // a repeated key adds only those).
            type Row<'r> = (&'r HostRemediation, i64, f64);
            let mut rows: BTreeMap<(i64, &str, &str, &str), Row<'_>> = BTreeMap::new();
            for (id, a, _) in &fresh {
                for r in &a.remediations {
                    let key = (id.0, r.ecosystem.as_str(), r.package.as_str(), r.target_version.as_str());
                    let decision = decision_rank(r.decision);
                    match rows.get_mut(&key) {
                        Some(x) => {
                            x.1 = x.1.max(decision);
                            x.2 += r.risk_removed;
                        }
                        None => {
                            rows.insert(key, (r, decision, r.risk_removed));
                        }
                    }
                }
            }
            let rows: Vec<((i64, &str, &str, &str), Row<'_>)> = rows.into_iter().collect();
            // Each distinct (ecosystem, package, target, vulnerabilities) once in fleet_fix;
            // hosts share most (each distinct one's key is worked out once, by the list's
            // address: a list shared by many hosts is one key; equal lists at two addresses
            // are worked out twice, and stored once).
            type FixOf<'r> = (&'r str, &'r str, &'r str, usize);
            let mut known: HashMap<FixOf<'_>, [u8; 32]> = HashMap::new();
            let mut fixes: BTreeMap<[u8; 32], (&HostRemediation, String)> = BTreeMap::new();
            let mut fix_of: Vec<[u8; 32]> = Vec::with_capacity(rows.len());
            for (_, (r, _, _)) in &rows {
                let what: FixOf<'_> =
                    (&r.ecosystem, &r.package, &r.target_version, r.vulnerabilities.as_ptr() as usize);
                if let Some(key) = known.get(&what) {
                    fix_of.push(*key);
                    continue;
                }
                let vulns = serde_json::to_string(&r.vulnerabilities)
                    .map_err(|e| Error::Corrupt(format!("remediation vulnerabilities: {e}")))?;
                let key = fix_key(&r.ecosystem, &r.package, &r.target_version, &vulns);
                known.insert(what, key);
                fix_of.push(key);
                fixes.entry(key).or_insert((*r, vulns));
            }

            // What each host's rows come to: a host whose rows hash as the stored ones is
            // left alone (the next day, a feed update that changes other packages).
            let mut rows_hash: HashMap<i64, [u8; 32]> = HashMap::with_capacity(fresh.len());
            {
                use sha2::Digest;
                let mut at = 0;
                for (id, _, _) in &fresh {
                    let mut h = sha2::Sha256::new();
                    h.update(b"caulk-host-remediations-v1");
                    while let Some(((host, eco, pkg, target), (r, decision, risk))) =
                        rows.get(at).filter(|x| x.0.0 == id.0)
                    {
                        for part in [*eco, *pkg, *target] {
                            h.update((part.len() as u64).to_le_bytes());
                            h.update(part.as_bytes());
                        }
                        h.update(decision.to_le_bytes());
                        h.update(severity_rank(r.max_severity).to_le_bytes());
                        h.update(r.kev.to_le_bytes());
                        h.update(risk.to_bits().to_le_bytes());
                        h.update(fix_of[at]);
                        debug_assert_eq!(*host, id.0);
                        at += 1;
                    }
                    rows_hash.insert(id.0, h.finalize().into());
                }
            }
            let unchanged = |host: i64| -> bool {
                current.get(&host).and_then(|c| c.3.as_deref())
                    == rows_hash.get(&host).map(|h| &h[..])
            };

            // Statements of up to 200 rows (1,800 parameters: under both backends' limits).
            for chunk in fresh.chunks(200) {
                let sql = format!(
                    "INSERT INTO host_assessment (host_id, generation, inventory_hash, assessed_at, \
                     total, act_now, kev, overdue, counts, remediations_hash) VALUES {} \
                     ON CONFLICT (host_id) DO UPDATE SET generation = excluded.generation, \
                     inventory_hash = excluded.inventory_hash, assessed_at = excluded.assessed_at, \
                     total = excluded.total, act_now = excluded.act_now, kev = excluded.kev, \
                     overdue = excluded.overdue, counts = excluded.counts, \
                     remediations_hash = excluded.remediations_hash",
                    values(chunk.len(), 10)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, a, counts) in chunk {
                    q = q
                        .bind(id.0)
                        .bind(a.generation.clone())
                        .bind(a.inventory_hash.to_vec())
                        .bind(us(now))
                        .bind(a.counts.total as i64)
                        .bind(a.counts.act_now as i64)
                        .bind(a.counts.kev as i64)
                        .bind(a.counts.overdue as i64)
                        .bind(counts.clone())
                        .bind(rows_hash.get(&id.0).map(|h| h.to_vec()));
                }
                q.execute(&mut *tx).await?;
            }
            let changed_hosts: Vec<i64> = fresh
                .iter()
                .map(|f| f.0.0)
                .filter(|h| !unchanged(*h))
                .collect();
            if changed_hosts.is_empty() {
                tx.commit().await?;
                return Ok(fresh.len() as u64);
            }

            let fixes: Vec<([u8; 32], (&HostRemediation, String))> = fixes.into_iter().collect();
            let mut fix_ids: HashMap<[u8; 32], i64> = HashMap::with_capacity(fixes.len());
            for chunk in fixes.chunks(200) {
                let sql = format!(
                    "INSERT INTO fleet_fix (key, ecosystem, package, target_version, vulns) \
                     VALUES {} ON CONFLICT (key) DO NOTHING",
                    values(chunk.len(), 5)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (key, (r, vulns)) in chunk {
                    q = q
                        .bind(key.to_vec())
                        .bind(r.ecosystem.clone())
                        .bind(r.package.clone())
                        .bind(r.target_version.clone())
                        .bind(vulns.clone());
                }
                q.execute(&mut *tx).await?;
                let sql = format!(
                    "SELECT id, key FROM fleet_fix WHERE key IN ({})",
                    params(1, chunk.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (key, _) in chunk {
                    q = q.bind(key.to_vec());
                }
                for r in q.fetch_all(&mut *tx).await? {
                    fix_ids.insert(hash32(r.try_get(1)?, "fix key")?, r.try_get(0)?);
                }
            }

            // The changed hosts' rows: read, and only what differs written — a row equal to
            // the new one stays, a changed one is updated in place (its indexed key
            // untouched), a new one inserted, a vanished one deleted.
            type Value = (i64, i64, i64, f64, i64);
            let mut old: HashMap<(i64, String, String, String), Value> = HashMap::new();
            for chunk in changed_hosts.chunks(200) {
                let sql = format!(
                    "SELECT host_id, ecosystem, package, target_version, decision, severity, kev, \
                     risk, fix_id FROM host_remediation WHERE host_id IN ({})",
                    params(1, chunk.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(*id);
                }
                for r in q.fetch_all(&mut *tx).await? {
                    old.insert(
                        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?),
                        (r.try_get(4)?, r.try_get(5)?, r.try_get(6)?, r.try_get(7)?, r.try_get(8)?),
                    );
                }
            }
            let mut changed: Vec<((i64, &str, &str, &str), Value)> = Vec::new();
            for (((host, eco, pkg, target), (r, decision, risk)), key) in rows.iter().zip(&fix_of) {
                if unchanged(*host) {
                    continue;
                }
                let fix = *fix_ids
                    .get(key)
                    .ok_or_else(|| Error::Corrupt(format!("fleet fix of {} not stored", r.package)))?;
                let value: Value = (*decision, severity_rank(r.max_severity), r.kev as i64, *risk, fix);
                let was = old.remove(&(*host, eco.to_string(), pkg.to_string(), target.to_string()));
                if was != Some(value) {
                    changed.push(((*host, eco, pkg, target), value));
                }
            }
            for chunk in changed.chunks(200) {
                let sql = format!(
                    "INSERT INTO host_remediation (host_id, ecosystem, package, target_version, \
                     decision, severity, kev, risk, fix_id) VALUES {} \
                     ON CONFLICT (host_id, ecosystem, package, target_version) DO UPDATE SET \
                     decision = excluded.decision, severity = excluded.severity, \
                     kev = excluded.kev, risk = excluded.risk, fix_id = excluded.fix_id",
                    values(chunk.len(), 9)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for ((host, eco, pkg, target), (decision, severity, kev, risk, fix)) in chunk {
                    q = q
                        .bind(*host)
                        .bind(eco.to_string())
                        .bind(pkg.to_string())
                        .bind(target.to_string())
                        .bind(*decision)
                        .bind(*severity)
                        .bind(*kev)
                        .bind(*risk)
                        .bind(*fix);
                }
                q.execute(&mut *tx).await?;
            }
            let vanished: Vec<(i64, String, String, String)> = old.into_keys().collect();
            for chunk in vanished.chunks(200) {
                let sql = format!(
                    "DELETE FROM host_remediation WHERE (host_id, ecosystem, package, target_version) \
                     IN (VALUES {})",
                    values(chunk.len(), 4)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (host, eco, pkg, target) in chunk {
                    q = q.bind(*host).bind(eco.clone()).bind(pkg.clone()).bind(target.clone());
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(fresh.len() as u64)
        }

        /// What assessing these hosts reads besides advisories: profile, facts, inventory
        /// hash and package ids of each (hosts without an inventory left out).
        /// Two reads per 100 hosts.
        pub(crate) async fn assessment_inputs(pool: &Pool, ids: &[HostId]) -> Result<Vec<AssessmentInput>> {
            let mut out: BTreeMap<i64, AssessmentInput> = BTreeMap::new();
            // By id, not by id range: the stale hosts of a fleet in steady state are a few,
            // far apart.
            for chunk in ids.chunks(100) {
                let sql = format!(
                    "SELECT id, criticality, exposure, facts, inventory_hash FROM host \
                     WHERE id IN ({}) AND inventory_hash IS NOT NULL AND facts IS NOT NULL",
                    params(1, chunk.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id.0);
                }
                for r in q.fetch_all(pool).await? {
                    let id: i64 = r.try_get(0)?;
                    let crit: String = r.try_get(1)?;
                    let expo: String = r.try_get(2)?;
                    let facts: String = r.try_get(3)?;
                    out.insert(
                        id,
                        AssessmentInput {
                            id: HostId(id),
                            criticality: criticality_parse(&crit)
                                .ok_or_else(|| Error::Corrupt(format!("criticality {crit:?}")))?,
                            exposure: exposure_parse(&expo)
                                .ok_or_else(|| Error::Corrupt(format!("exposure {expo:?}")))?,
                            facts: serde_json::from_str(&facts)
                                .map_err(|e| Error::Corrupt(format!("host {id} facts: {e}")))?,
                            inventory_hash: hash32(r.try_get(4)?, "inventory hash")?,
                            packages: Vec::new(),
                        },
                    );
                }
                let sql = super::LINKS_BY_HOST.replace("{ids}", &params(1, chunk.len()));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id.0);
                }
                for r in q.fetch_all(pool).await? {
                    let h: i64 = r.try_get(0)?;
                    let Some(a) = out.get_mut(&h) else { continue };
                    let list: Option<String> = r.try_get(1)?;
                    for id in list.as_deref().unwrap_or_default().split(',').filter(|s| !s.is_empty()) {
                        a.packages.push(PackageId(id.parse().map_err(|e| {
                            Error::Corrupt(format!("host {h}: package id {id:?}: {e}"))
                        })?));
                    }
                }
            }
            Ok(out.into_values().collect())
        }

        /// Package rows by id (ids that name no row are left out).
        pub(crate) async fn packages_by_ids(pool: &Pool, ids: &[PackageId]) -> Result<Vec<(PackageId, Package)>> {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(100) {
                let sql = format!(
                    "SELECT p.id, {PACKAGE_COLS} FROM package p WHERE p.id IN ({})",
                    params(1, chunk.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id.0);
                }
                for r in q.fetch_all(pool).await? {
                    out.push((PackageId(r.try_get(0)?), package_from_row(&r, 1)?));
                }
            }
            Ok(out)
        }

        /// Hosts with an inventory whose assessment is missing, of another generation or of
        /// an older inventory, after `after`, by id: (host, its inventory hash).
        pub(crate) async fn hosts_to_assess(
            pool: &Pool,
            generation: &str,
            assessed_since: Timestamp,
            after: Option<HostId>,
            limit: u32,
        ) -> Result<Vec<(HostId, [u8; 32])>> {
            sqlx::query(
                "SELECT h.id, h.inventory_hash FROM host h \
                 LEFT JOIN host_assessment a ON a.host_id = h.id \
                 WHERE h.id > $1 AND h.inventory_hash IS NOT NULL \
                 AND (a.host_id IS NULL OR a.generation <> $2 OR a.inventory_hash <> h.inventory_hash \
                      OR a.assessed_at < $4) \
                 ORDER BY h.id LIMIT $3",
            )
            .bind(after.map_or(0, |h| h.0))
            .bind(generation)
            .bind(i64::from(limit.clamp(1, 100_000)))
            .bind(us(assessed_since))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| Ok((HostId(r.try_get(0)?), hash32(r.try_get(1)?, "inventory hash")?)))
            .collect()
        }

        /// The fleet's remediations, most urgent first, then by risk removed: `offset` rows
        /// skipped, at most `limit`, and whether more follow.
        pub(crate) async fn fleet_remediations(
            pool: &Pool,
            ecosystem: Option<&str>,
            offset: u64,
            limit: u32,
        ) -> Result<(Vec<FleetRemediation>, bool)> {
            if !(1..=1000).contains(&limit) {
                return Err(Error::Invalid {
                    field: "limit",
                    reason: format!("{limit}, want 1 to 1000"),
                });
            }
            let rows = sqlx::query(
                "SELECT ecosystem, package, target_version, COUNT(*), MAX(decision), \
                 MAX(severity), MAX(kev), SUM(risk) FROM host_remediation \
                 WHERE ($1 IS NULL OR ecosystem = $1) \
                 GROUP BY ecosystem, package, target_version \
                 ORDER BY MAX(decision) DESC, SUM(risk) DESC, ecosystem, package, target_version \
                 LIMIT $2 OFFSET $3",
            )
            .bind(ecosystem)
            .bind(i64::from(limit) + 1)
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(pool)
            .await?;
            let more = rows.len() > limit as usize;
            let mut out = Vec::with_capacity(rows.len().min(limit as usize));
            for r in rows.iter().take(limit as usize) {
                let ecosystem: String = r.try_get(0)?;
                let package: String = r.try_get(1)?;
                let target_version: String = r.try_get(2)?;
                let mut vulns = BTreeSet::new();
                // Hosts of one upgrade mostly fix the same list: each distinct list read once.
                for v in sqlx::query_scalar::<_, String>(
                    "SELECT f.vulns FROM fleet_fix f WHERE f.id IN (SELECT DISTINCT fix_id \
                     FROM host_remediation WHERE ecosystem = $1 AND package = $2 \
                     AND target_version = $3)",
                )
                .bind(&ecosystem)
                .bind(&package)
                .bind(&target_version)
                .fetch_all(pool)
                .await?
                {
                    let ids: Vec<String> = serde_json::from_str(&v).map_err(|e| {
                        Error::Corrupt(format!("remediation vulnerabilities of {package}: {e}"))
                    })?;
                    vulns.extend(ids);
                }
                out.push(FleetRemediation {
                    hosts: r.try_get::<i64, _>(3)? as u64,
                    decision: decision_of(r.try_get(4)?)?,
                    max_severity: severity_of(r.try_get(5)?)?,
                    kev: r.try_get::<i64, _>(6)? as u64,
                    risk_removed: r.try_get(7)?,
                    vulnerabilities: vulns.into_iter().collect(),
                    ecosystem,
                    package,
                    target_version,
                });
            }
            Ok((out, more))
        }

        pub(crate) async fn host(pool: &Pool, id: HostId) -> Result<HostRecord> {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {HOST_COLS} FROM host WHERE id = $1")))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "host",
                    id: id.to_string(),
                })?;
            let mut h = [host_from_row(&row)?];
            fill_labels(pool, &mut h).await?;
            let [h] = h;
            Ok(h)
        }

        pub(crate) async fn list_hosts(
            pool: &Pool,
            f: &HostFilter,
            after: Option<HostId>,
            limit: u32,
        ) -> Result<Page<HostRecord>> {
            if !(1..=1000).contains(&limit) {
                return Err(Error::Invalid {
                    field: "limit",
                    reason: format!("{limit}, want 1 to 1000"),
                });
            }
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {HOST_COLS} FROM host h WHERE h.id > $1 \
                 AND ($2 IS NULL OR h.criticality = $2) \
                 AND ($3 IS NULL OR h.exposure = $3) \
                 AND ($4 IS NULL OR h.ecosystem = $4) \
                 AND ($5 IS NULL OR EXISTS (SELECT 1 FROM host_label l \
                      WHERE l.host_id = h.id AND l.key = $5 AND l.value = $6)) \
                 AND ($7 IS NULL OR EXISTS (SELECT 1 FROM host_group g \
                      WHERE g.host_id = h.id AND g.name = $7)) \
                 AND ($8 IS NULL OR substr(h.hostname, 1, length($8)) = $8) \
                 ORDER BY h.id LIMIT $9"
            )))
            .bind(after.map_or(0, |h| h.0))
            .bind(f.criticality.map(|c| c.as_str()))
            .bind(f.exposure.map(|e| e.as_str()))
            .bind(f.ecosystem.as_deref())
            .bind(f.label.as_ref().map(|l| l.0.as_str()))
            .bind(f.label.as_ref().map(|l| l.1.as_str()))
            .bind(f.group.as_deref())
            .bind(f.hostname_prefix.as_deref())
            .bind(i64::from(limit) + 1)
            .fetch_all(pool)
            .await?;
            let mut items = rows.iter().map(host_from_row).collect::<Result<Vec<_>>>()?;
            let next = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|h| h.id)
            } else {
                None
            };
            fill_labels(pool, &mut items).await?;
            Ok(Page { items, next })
        }

        pub(crate) async fn update_host(
            pool: &Pool,
            actor: &Actor,
            id: HostId,
            u: &HostUpdate,
            now: Timestamp,
        ) -> Result<HostRecord> {
            validate_actor(actor)?;
            validate::host_update(u)?;
            let mut tx = super::begin_write(pool).await?;
            let n = sqlx::query(
                "UPDATE host SET criticality = COALESCE($2, criticality), \
                 exposure = COALESCE($3, exposure), \
                 owner = CASE WHEN $4 = 1 THEN $5 ELSE owner END WHERE id = $1",
            )
            .bind(id.0)
            .bind(u.criticality.map(|c| c.as_str()))
            .bind(u.exposure.map(|e| e.as_str()))
            .bind(i64::from(u.owner.is_some()))
            .bind(u.owner.clone().flatten())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound {
                    what: "host",
                    id: id.to_string(),
                });
            }
            set_labels_groups(&mut tx, id, u.labels.as_ref(), u.groups.as_ref()).await?;
            // Criticality and exposure weigh every finding's priority: the assessment made
            // with the old ones is stale.
            if u.criticality.is_some() || u.exposure.is_some() {
                for table in ["host_assessment", "host_remediation"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE host_id = $1"
                    )))
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let detail = serde_json::json!({
                "criticality": u.criticality.map(|c| c.as_str()),
                "exposure": u.exposure.map(|e| e.as_str()),
                "owner": u.owner,
                "labels": u.labels,
                "groups": u.groups,
            })
            .to_string();
            audit_in_tx(&mut tx, actor, "host.update", &format!("host:{id}"), &detail, now).await?;
            tx.commit().await?;
            host(pool, id).await
        }

        pub(crate) async fn heartbeat(
            pool: &Pool,
            id: HostId,
            agent_version: Option<&str>,
            now: Timestamp,
        ) -> Result<()> {
            if let Some(v) = agent_version {
                validate::text("agent version", v, 64)?;
            }
            let n = sqlx::query(
                "UPDATE host SET last_seen = $2, agent_version = COALESCE($3, agent_version) \
                 WHERE id = $1",
            )
            .bind(id.0)
            .bind(us(now))
            .bind(agent_version)
            .execute(pool)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound {
                    what: "host",
                    id: id.to_string(),
                });
            }
            Ok(())
        }

        // --- inventories ----------------------------------------------------------------

        fn package_from_row(r: &DbRow, at: usize) -> Result<Package> {
            let state: String = r.try_get(at + 10)?;
            let collector: String = r.try_get(at + 11)?;
            Ok(Package {
                ecosystem: r.try_get(at)?,
                name: r.try_get(at + 1)?,
                version: r.try_get(at + 2)?,
                arch: r.try_get(at + 3)?,
                source_name: r.try_get(at + 4)?,
                source_version: r.try_get(at + 5)?,
                purl: r.try_get(at + 6)?,
                vendor: r.try_get(at + 7)?,
                file: r.try_get(at + 8)?,
                owned_by: r.try_get(at + 9)?,
                state: digest::state_parse(&state)?,
                collector: digest::collector_parse(&collector)?,
            })
        }

        pub(crate) async fn check_in_unchanged(
            pool: &Pool,
            id: HostId,
            hash: &[u8; 32],
            now: Timestamp,
        ) -> Result<bool> {
            let n = sqlx::query(
                "UPDATE host SET last_seen = $1 WHERE id = $2 AND inventory_hash = $3",
            )
            .bind(us(now))
            .bind(id.0)
            .bind(&hash[..])
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        }

        /// Fill the unknown `ids` of `keyed` (same order) from `found`.
        fn fill_ids(
            keyed: &[([u8; 32], &Package)],
            ids: &mut [Option<i64>],
            found: &HashMap<[u8; 32], i64>,
        ) {
            for ((k, _), id) in keyed.iter().zip(ids.iter_mut()) {
                if id.is_none() {
                    *id = found.get(k).copied();
                }
            }
        }

        pub(crate) async fn record_inventory(
            pool: &Pool,
            cache: &PackageCache,
            id: HostId,
            inv: &Inventory,
            observed: Option<Timestamp>,
            now: Timestamp,
        ) -> Result<InventoryOutcome> {
            validate::inventory(inv)?;
            // An agent's clock ahead of ours never dates an inventory in our future.
            let late_check = observed.is_some();
            let observed = observed.map_or(now, |o| o.min(now));
            let prep = digest::prepare(inv)?;
            // No read of the stored hash before the write transaction: agents send a whole
            // inventory only after a check-in with its hash answered "changed", so such a
            // read would find a different hash nearly always, at a round trip per inventory.
            // An unchanged one is found (and only last seen written) in the transaction.
            // Package ids of committed rows, found before the write transaction (the cache,
            // then one read): only what is new is looked up while holding the write lock.
            // `ids[i]` is the row of `keyed[i]`.
            let keyed = prep.keyed();
            let mut ids = cache.lookup(keyed.iter().map(|k| &k.0));
            if ids.iter().any(Option::is_none) {
                let unknown: Vec<[u8; 32]> = keyed
                    .iter()
                    .zip(&ids)
                    .filter(|(_, id)| id.is_none())
                    .map(|(k, _)| k.0)
                    .collect();
                let mut conn = pool.acquire().await?;
                let mut found = HashMap::new();
                for (pid, key) in super::package_ids(&mut conn, &unknown).await? {
                    found.insert(hash32(key, "package key")?, pid);
                }
                cache.remember(found.iter().map(|(k, v)| (*k, *v)));
                fill_ids(&keyed, &mut ids, &found);
            }

            // When every package row exists (a fleet's usual case), what a first inventory
            // writes is known before the host's state is: PostgreSQL stores it in one
            // statement that checks the host has none (`first_inventory_alone`).
            let os = inv.host.os.as_ref();
            let first_links: Option<Vec<i64>> = ids.iter().copied().collect::<Option<Vec<i64>>>().map(|mut v| {
                v.sort_unstable();
                v.dedup();
                v
            });
            let first_write = first_links.as_ref().map(|links| crate::ops::InventoryWrite {
                host: id.0,
                del: &[],
                ins: links,
                hash: &prep.hash,
                at: us(observed),
                now: us(now),
                facts: &prep.facts,
                issues: &prep.issues,
                ecosystem: os.and_then(|o| o.ecosystem.as_deref()),
                os: os.and_then(|o| o.pretty_name.as_deref().or(o.name.as_deref())),
                initial: true,
                packages: links.len() as i64,
                added: links.len() as i64,
                removed: 0,
                changed: 0,
            });
            if let Some(w) = &first_write
                && super::first_inventory_alone(pool, w).await?
            {
                return Ok(InventoryOutcome::First {
                    packages: w.packages as u64,
                });
            }

            let mut tx = super::begin_write(pool).await?;
            // An UPDATE, not a SELECT: it takes the host's row lock (PostgreSQL), so two
            // check-ins of one host take turns and the second sees the first's inventory.
            let stored: Option<(Option<Vec<u8>>, Option<i64>)> = sqlx::query_as(
                "UPDATE host SET last_seen = $2 WHERE id = $1 RETURNING inventory_hash, inventory_at",
            )
            .bind(id.0)
            .bind(us(now))
            .fetch_optional(&mut *tx)
            .await?;
            let Some((stored, stored_at)) = stored else {
                return Err(Error::NotFound {
                    what: "host",
                    id: id.to_string(),
                });
            };
            if stored.as_deref() == Some(&prep.hash[..]) {
                // Another check-in of the same inventory got here first.
                tx.commit().await?;
                return Ok(InventoryOutcome::Unchanged);
            }
            if late_check && stored_at.is_some_and(|at| us(observed) < at) {
                // A late report (an agent's spool): the stored inventory was observed after
                // it, so it must not replace it.
                tx.commit().await?;
                return Ok(InventoryOutcome::Stale);
            }
            let first = stored.is_none();

            // New package rows (shared from then on); remembered only once committed.
            let missing: Vec<([u8; 32], &Package)> = keyed
                .iter()
                .zip(&ids)
                .filter(|(_, id)| id.is_none())
                .map(|(k, _)| *k)
                .collect();
            let mut inserted = Vec::new();
            if !missing.is_empty() {
                super::insert_packages(&mut tx, &missing).await?;
                let mk: Vec<[u8; 32]> = missing.iter().map(|m| m.0).collect();
                let mut found = HashMap::with_capacity(mk.len());
                for (pid, key) in super::package_ids(&mut tx, &mk).await? {
                    found.insert(hash32(key, "package key")?, pid);
                }
                fill_ids(&keyed, &mut ids, &found);
                inserted.extend(found);
            }
            let ids: Vec<i64> = ids
                .into_iter()
                .collect::<Option<_>>()
                .ok_or_else(|| Error::Corrupt("a package row vanished while storing".into()))?;
            // The new rows' ids (sorted, distinct); their identities (for the history's
            // diff) only when there is an older inventory to compare with: a first
            // inventory's event counts them.
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            let n_new = sorted.len();
            let new: HashMap<PackageId, Identity> = if first {
                HashMap::new()
            } else {
                ids.iter()
                    .zip(&keyed)
                    .map(|(pid, (_, p))| (PackageId(*pid), digest::identity(p)))
                    .collect()
            };

            let mut old: HashMap<PackageId, Identity> = HashMap::new();
            if !first {
                for r in sqlx::query(
                    "SELECT p.id, p.ecosystem, p.name, p.arch, p.file FROM host_package hp \
                     JOIN package p ON p.id = hp.package_id WHERE hp.host_id = $1",
                )
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?
                {
                    old.insert(
                        PackageId(r.try_get(0)?),
                        (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?),
                    );
                }
            }
            let (del, ins) = if first {
                (Vec::new(), sorted)
            } else {
                let mut del: Vec<i64> =
                    old.keys().filter(|k| !new.contains_key(k)).map(|k| k.0).collect();
                let mut ins: Vec<i64> =
                    new.keys().filter(|k| !old.contains_key(k)).map(|k| k.0).collect();
                del.sort_unstable();
                ins.sort_unstable();
                (del, ins)
            };
            let (added, removed, changed) = if first {
                (Vec::new(), Vec::new(), Vec::new())
            } else {
                digest::diff(&old, &new)
            };
            let (na, nr, nc) = if first {
                (n_new as i64, 0, 0)
            } else {
                (added.len() as i64, removed.len() as i64, changed.len() as i64)
            };
            // The links, the host row and the history event in one round trip.
            let event = super::write_inventory(
                &mut tx,
                &crate::ops::InventoryWrite {
                    host: id.0,
                    del: &del,
                    ins: &ins,
                    hash: &prep.hash,
                    at: us(observed),
                    now: us(now),
                    facts: &prep.facts,
                    issues: &prep.issues,
                    ecosystem: os.and_then(|o| o.ecosystem.as_deref()),
                    os: os.and_then(|o| o.pretty_name.as_deref().or(o.name.as_deref())),
                    initial: first,
                    packages: n_new as i64,
                    added: na,
                    removed: nr,
                    changed: nc,
                },
            )
            .await?;
            if !first {
                let rows: Vec<(&'static str, i64, Option<i64>)> = added
                    .iter()
                    .map(|a| ("added", a.0, None))
                    .chain(removed.iter().map(|r| ("removed", r.0, None)))
                    .chain(changed.iter().map(|(o, n)| ("changed", n.0, Some(o.0))))
                    .collect();
                if !rows.is_empty() {
                    super::insert_changes(&mut tx, event, &rows).await?;
                }
            }
            tx.commit().await?;
            cache.remember(inserted);
            Ok(if first {
                InventoryOutcome::First {
                    packages: n_new as u64,
                }
            } else {
                InventoryOutcome::Changed {
                    added: added.len() as u64,
                    removed: removed.len() as u64,
                    changed: changed.len() as u64,
                }
            })
        }

        pub(crate) async fn inventory(pool: &Pool, id: HostId) -> Result<Option<Inventory>> {
            let row = sqlx::query("SELECT facts, issues FROM host WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "host",
                    id: id.to_string(),
                })?;
            let facts: Option<String> = row.try_get(0)?;
            let issues: Option<String> = row.try_get(1)?;
            let (Some(facts), Some(issues)) = (facts, issues) else {
                return Ok(None);
            };
            let packages = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {PACKAGE_COLS} FROM host_package hp JOIN package p ON p.id = hp.package_id \
                 WHERE hp.host_id = $1"
            )))
            .bind(id.0)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| package_from_row(r, 0))
            .collect::<Result<Vec<_>>>()?;
            let mut inv = Inventory {
                format_version: caulk_model::inventory::FORMAT_VERSION,
                host: serde_json::from_str(&facts)
                    .map_err(|e| Error::Corrupt(format!("host {id} facts: {e}")))?,
                packages,
                issues: serde_json::from_str(&issues)
                    .map_err(|e| Error::Corrupt(format!("host {id} issues: {e}")))?,
            };
            inv.normalize();
            Ok(Some(inv))
        }

        async fn package_by_id(pool: &Pool, cache: &mut HashMap<i64, Package>, pid: i64) -> Result<Package> {
            if let Some(p) = cache.get(&pid) {
                return Ok(p.clone());
            }
            let r = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {PACKAGE_COLS} FROM package p WHERE p.id = $1")))
                .bind(pid)
                .fetch_one(pool)
                .await?;
            let p = package_from_row(&r, 0)?;
            cache.insert(pid, p.clone());
            Ok(p)
        }

        pub(crate) async fn inventory_history(
            pool: &Pool,
            id: HostId,
            limit: u32,
        ) -> Result<Vec<InventoryEvent>> {
            let events = sqlx::query(
                "SELECT id, at, initial, packages FROM inventory_event WHERE host_id = $1 \
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(id.0)
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(pool)
            .await?;
            let mut cache = HashMap::new();
            let mut out = Vec::with_capacity(events.len());
            for e in &events {
                let eid: i64 = e.try_get(0)?;
                let mut ev = InventoryEvent {
                    at: ts(e.try_get(1)?)?,
                    initial: e.try_get::<i64, _>(2)? != 0,
                    packages: e.try_get::<i64, _>(3)? as u64,
                    added: vec![],
                    removed: vec![],
                    changed: vec![],
                };
                let changes = sqlx::query(
                    "SELECT kind, package_id, old_package_id FROM inventory_change \
                     WHERE event_id = $1",
                )
                .bind(eid)
                .fetch_all(pool)
                .await?;
                for c in &changes {
                    let kind: String = c.try_get(0)?;
                    let p = package_by_id(pool, &mut cache, c.try_get(1)?).await?;
                    match kind.as_str() {
                        "added" => ev.added.push(p),
                        "removed" => ev.removed.push(p),
                        _ => {
                            let old: Option<i64> = c.try_get(2)?;
                            let old = old.ok_or_else(|| Error::Corrupt("a change without its old package".into()))?;
                            ev.changed.push((package_by_id(pool, &mut cache, old).await?, p));
                        }
                    }
                }
                ev.added.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                ev.removed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                ev.changed.sort_by(|a, b| a.1.sort_key().cmp(&b.1.sort_key()));
                out.push(ev);
            }
            Ok(out)
        }

        pub(crate) async fn fleet_packages(
            pool: &Pool,
            after: Option<PackageId>,
            limit: u32,
        ) -> Result<Vec<(PackageId, Package)>> {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT p.id, {PACKAGE_COLS} FROM package p WHERE p.id > $1 AND EXISTS \
                 (SELECT 1 FROM host_package hp WHERE hp.package_id = p.id) ORDER BY p.id LIMIT $2"
            )))
            .bind(after.map_or(0, |p| p.0))
            .bind(i64::from(limit.clamp(1, 100_000)))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| Ok((PackageId(r.try_get(0)?), package_from_row(r, 1)?)))
            .collect()
        }

        pub(crate) async fn packages_named(
            pool: &Pool,
            name: &str,
        ) -> Result<Vec<(PackageId, Package)>> {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT p.id, {PACKAGE_COLS} FROM package p \
                 WHERE (lower(p.name) = lower($1) OR lower(p.source_name) = lower($1)) \
                 AND EXISTS (SELECT 1 FROM host_package hp WHERE hp.package_id = p.id) ORDER BY p.id"
            )))
            .bind(name)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| Ok((PackageId(r.try_get(0)?), package_from_row(r, 1)?)))
            .collect()
        }

        pub(crate) async fn hosts_with_packages(
            pool: &Pool,
            packages: &[PackageId],
        ) -> Result<Vec<(PackageId, HostId)>> {
            if packages.is_empty() {
                return Ok(Vec::new());
            }
            let ids: Vec<i64> = packages.iter().map(|p| p.0).collect();
            let mut out: Vec<(PackageId, HostId)> = super::links_of_packages(pool, &ids)
                .await?
                .into_iter()
                .map(|(p, h)| (PackageId(p), HostId(h)))
                .collect();
            out.sort_unstable();
            Ok(out)
        }

        pub(crate) async fn stats(pool: &Pool) -> Result<StoreStats> {
            let r = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM host), (SELECT COUNT(*) FROM package), \
                 (SELECT COUNT(*) FROM host_package)",
            )
            .fetch_one(pool)
            .await?;
            Ok(StoreStats {
                hosts: r.try_get::<i64, _>(0)? as u64,
                packages: r.try_get::<i64, _>(1)? as u64,
                host_packages: r.try_get::<i64, _>(2)? as u64,
            })
        }

        // --- identity -------------------------------------------------------------------

        pub(crate) async fn create_user(
            pool: &Pool,
            actor: &Actor,
            name: &str,
            password: &str,
            role: Role,
            now: Timestamp,
        ) -> Result<UserId> {
            validate_actor(actor)?;
            validate::name("user name", name)?;
            validate::password(password)?;
            let phc = secret::hash_password(password).await?;
            let mut tx = super::begin_write(pool).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO app_user (name, password_hash, role, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(&phc)
            .bind(role.as_str())
            .bind(us(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, || format!("user {name} exists")))?;
            audit_in_tx(&mut tx, actor, "user.create", &format!("user:{name}"), role.as_str(), now).await?;
            tx.commit().await?;
            Ok(UserId(id))
        }

        pub(crate) async fn verify_password(pool: &Pool, name: &str, password: &str) -> Result<Principal> {
            if password.len() > 1024 {
                return Err(Error::Refused(Refusal::Unknown));
            }
            let row = sqlx::query(
                "SELECT id, password_hash, role, disabled_at FROM app_user WHERE name = $1",
            )
            .bind(name)
            .fetch_optional(pool)
            .await?;
            let phc: Option<String> = row.as_ref().map(|r| r.try_get(1)).transpose()?;
            if !secret::verify_password(password, phc).await? {
                return Err(Error::Refused(Refusal::Unknown));
            }
            let r = row.ok_or(Error::Refused(Refusal::Unknown))?;
            if r.try_get::<Option<i64>, _>(3)?.is_some() {
                return Err(Error::Refused(Refusal::Disabled));
            }
            let role: String = r.try_get(2)?;
            Ok(Principal::User {
                id: UserId(r.try_get(0)?),
                name: name.to_string(),
                role: Role::parse(&role).ok_or_else(|| Error::Corrupt(format!("role {role:?}")))?,
            })
        }

        pub(crate) async fn disable_user(pool: &Pool, actor: &Actor, id: UserId, now: Timestamp) -> Result<()> {
            validate_actor(actor)?;
            let mut tx = super::begin_write(pool).await?;
            let n = sqlx::query("UPDATE app_user SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL")
                .bind(id.0)
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM app_user WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                return if exists.is_some() {
                    Ok(())
                } else {
                    Err(Error::NotFound { what: "user", id: id.to_string() })
                };
            }
            audit_in_tx(&mut tx, actor, "user.disable", &format!("user:{id}"), "", now).await?;
            tx.commit().await?;
            Ok(())
        }

        pub(crate) async fn create_api_token(
            pool: &Pool,
            actor: &Actor,
            name: &str,
            role: Role,
            expires_at: Option<Timestamp>,
            now: Timestamp,
        ) -> Result<NewSecret> {
            validate_actor(actor)?;
            validate::name("token name", name)?;
            if expires_at.is_some_and(|e| e <= now) {
                return Err(Error::Invalid { field: "expiry", reason: "in the past".into() });
            }
            let s = secret::random_secret();
            let mut tx = super::begin_write(pool).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_token (name, role, secret_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(name)
            .bind(role.as_str())
            .bind(&secret::sha256(s.as_bytes())[..])
            .bind(us(now))
            .bind(expires_at.map(us))
            .fetch_one(&mut *tx)
            .await?;
            audit_in_tx(&mut tx, actor, "api-token.create", &format!("api-token:{id}"), &format!("{name} {}", role.as_str()), now).await?;
            tx.commit().await?;
            Ok(NewSecret { id: TokenId(id), token: secret::format_token(TokenKind::Api, id, &s) })
        }

        pub(crate) async fn authenticate_api_token(pool: &Pool, token: &str, now: Timestamp) -> Result<Principal> {
            let (id, digest) = secret::parse_token(TokenKind::Api, token)?;
            let r = sqlx::query(
                "SELECT name, role, secret_hash, expires_at, revoked_at FROM api_token WHERE id = $1",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
            .ok_or(Error::Refused(Refusal::Unknown))?;
            let stored: Vec<u8> = r.try_get(2)?;
            if !secret::digest_matches(&digest, &stored) {
                return Err(Error::Refused(Refusal::Unknown));
            }
            if r.try_get::<Option<i64>, _>(4)?.is_some() {
                return Err(Error::Refused(Refusal::Revoked));
            }
            if r.try_get::<Option<i64>, _>(3)?.is_some_and(|e| e <= us(now)) {
                return Err(Error::Refused(Refusal::Expired));
            }
            let role: String = r.try_get(1)?;
            Ok(Principal::ApiToken {
                id,
                name: r.try_get(0)?,
                role: Role::parse(&role).ok_or_else(|| Error::Corrupt(format!("role {role:?}")))?,
            })
        }

        pub(crate) async fn bootstrap_api_token(
            pool: &Pool,
            actor: &Actor,
            name: &str,
            token: &str,
            now: Timestamp,
        ) -> Result<Option<TokenId>> {
            validate_actor(actor)?;
            validate::name("token name", name)?;
            let (id, digest) = secret::parse_token(TokenKind::Api, token).map_err(|_| Error::Invalid {
                field: "bootstrap token",
                reason: format!(
                    "want caulk_api_{BOOTSTRAP_TOKEN_ID}_ and 64 lowercase hex digits \
                     (echo caulk_api_{BOOTSTRAP_TOKEN_ID}_$(openssl rand -hex 32))"
                ),
            })?;
            if id.0 != BOOTSTRAP_TOKEN_ID {
                return Err(Error::Invalid {
                    field: "bootstrap token",
                    reason: format!("its id must be {BOOTSTRAP_TOKEN_ID}, not {id}"),
                });
            }
            let mut tx = super::begin_write(pool).await?;
            let any: Option<i64> = sqlx::query_scalar("SELECT id FROM api_token LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
            if any.is_some() {
                return Ok(None);
            }
            let inserted = sqlx::query(
                "INSERT INTO api_token (id, name, role, secret_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (id) DO NOTHING",
            )
            .bind(BOOTSTRAP_TOKEN_ID)
            .bind(name)
            .bind(Role::Admin.as_str())
            .bind(&digest[..])
            .bind(us(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                // Another server took the bootstrap at the same moment (PostgreSQL).
                return Ok(None);
            }
            audit_in_tx(
                &mut tx,
                actor,
                "api-token.bootstrap",
                &format!("api-token:{BOOTSTRAP_TOKEN_ID}"),
                &format!("{name} admin"),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(Some(id))
        }

        /// Set `revoked_at` on one row of `table` (a constant of ours); audited when it changed.
        async fn revoke(
            pool: &Pool,
            actor: &Actor,
            update: &'static str,
            exists: &'static str,
            what: &'static str,
            id: i64,
            now: Timestamp,
        ) -> Result<()> {
            validate_actor(actor)?;
            let mut tx = super::begin_write(pool).await?;
            let n = sqlx::query(update).bind(id).bind(us(now)).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                let found: Option<i64> = sqlx::query_scalar(exists).bind(id).fetch_optional(&mut *tx).await?;
                return match found {
                    Some(_) => Ok(()),
                    None => Err(Error::NotFound { what, id: id.to_string() }),
                };
            }
            audit_in_tx(&mut tx, actor, &format!("{what}.revoke"), &format!("{what}:{id}"), "", now).await?;
            tx.commit().await?;
            Ok(())
        }

        pub(crate) async fn api_tokens(pool: &Pool) -> Result<Vec<ApiTokenInfo>> {
            sqlx::query(
                "SELECT id, name, role, created_at, expires_at, revoked_at FROM api_token ORDER BY id",
            )
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                let role: String = r.try_get(2)?;
                Ok(ApiTokenInfo {
                    id: TokenId(r.try_get(0)?),
                    name: r.try_get(1)?,
                    role: Role::parse(&role)
                        .ok_or_else(|| Error::Corrupt(format!("token role {role:?}")))?,
                    created_at: ts(r.try_get(3)?)?,
                    expires_at: ts_opt(r.try_get(4)?)?,
                    revoked_at: ts_opt(r.try_get(5)?)?,
                })
            })
            .collect()
        }

        pub(crate) async fn enrolment_tokens(pool: &Pool) -> Result<Vec<EnrolmentTokenInfo>> {
            sqlx::query(
                "SELECT id, name, max_uses, uses, created_at, expires_at, revoked_at \
                 FROM enrolment_token ORDER BY id",
            )
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(EnrolmentTokenInfo {
                    id: TokenId(r.try_get(0)?),
                    name: r.try_get(1)?,
                    max_uses: r.try_get::<i64, _>(2)? as u32,
                    uses: r.try_get::<i64, _>(3)? as u32,
                    created_at: ts(r.try_get(4)?)?,
                    expires_at: ts(r.try_get(5)?)?,
                    revoked_at: ts_opt(r.try_get(6)?)?,
                })
            })
            .collect()
        }

        pub(crate) async fn revoke_api_token(pool: &Pool, actor: &Actor, id: TokenId, now: Timestamp) -> Result<()> {
            revoke(
                pool,
                actor,
                "UPDATE api_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                "SELECT id FROM api_token WHERE id = $1",
                "api-token",
                id.0,
                now,
            )
            .await
        }

        pub(crate) async fn create_enrolment_token(
            pool: &Pool,
            actor: &Actor,
            name: &str,
            max_uses: u32,
            expires_at: Timestamp,
            now: Timestamp,
        ) -> Result<NewSecret> {
            validate_actor(actor)?;
            validate::name("token name", name)?;
            if !(1..=1_000_000).contains(&max_uses) {
                return Err(Error::Invalid { field: "max uses", reason: format!("{max_uses}, want 1 to 1000000") });
            }
            if expires_at <= now {
                return Err(Error::Invalid { field: "expiry", reason: "in the past".into() });
            }
            let s = secret::random_secret();
            let mut tx = super::begin_write(pool).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO enrolment_token (name, secret_hash, max_uses, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(name)
            .bind(&secret::sha256(s.as_bytes())[..])
            .bind(i64::from(max_uses))
            .bind(us(now))
            .bind(us(expires_at))
            .fetch_one(&mut *tx)
            .await?;
            audit_in_tx(&mut tx, actor, "enrolment-token.create", &format!("enrolment-token:{id}"), &format!("{name} max_uses={max_uses}"), now).await?;
            tx.commit().await?;
            Ok(NewSecret { id: TokenId(id), token: secret::format_token(TokenKind::Enrolment, id, &s) })
        }

        pub(crate) async fn enrolment_token(pool: &Pool, id: TokenId) -> Result<EnrolmentTokenInfo> {
            let r = sqlx::query(
                "SELECT name, max_uses, uses, created_at, expires_at, revoked_at \
                 FROM enrolment_token WHERE id = $1",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| Error::NotFound { what: "enrolment-token", id: id.to_string() })?;
            Ok(EnrolmentTokenInfo {
                id,
                name: r.try_get(0)?,
                max_uses: r.try_get::<i64, _>(1)? as u32,
                uses: r.try_get::<i64, _>(2)? as u32,
                created_at: ts(r.try_get(3)?)?,
                expires_at: ts(r.try_get(4)?)?,
                revoked_at: ts_opt(r.try_get(5)?)?,
            })
        }

        pub(crate) async fn revoke_enrolment_token(pool: &Pool, actor: &Actor, id: TokenId, now: Timestamp) -> Result<()> {
            revoke(
                pool,
                actor,
                "UPDATE enrolment_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                "SELECT id FROM enrolment_token WHERE id = $1",
                "enrolment-token",
                id.0,
                now,
            )
            .await
        }

        pub(crate) async fn authenticate_agent(pool: &Pool, token: &str, _now: Timestamp) -> Result<HostId> {
            let (id, digest) = secret::parse_token(TokenKind::Agent, token)?;
            let r = sqlx::query("SELECT host_id, secret_hash, revoked_at FROM agent_credential WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
                .ok_or(Error::Refused(Refusal::Unknown))?;
            let stored: Vec<u8> = r.try_get(1)?;
            if !secret::digest_matches(&digest, &stored) {
                return Err(Error::Refused(Refusal::Unknown));
            }
            if r.try_get::<Option<i64>, _>(2)?.is_some() {
                return Err(Error::Refused(Refusal::Revoked));
            }
            Ok(HostId(r.try_get(0)?))
        }

        pub(crate) async fn delete_host(pool: &Pool, actor: &Actor, host: HostId, now: Timestamp) -> Result<()> {
            validate_actor(actor)?;
            let mut tx = super::begin_write(pool).await?;
            let name: Option<String> = sqlx::query_scalar("SELECT hostname FROM host WHERE id = $1")
                .bind(host.0)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(name) = name else {
                return Err(Error::NotFound { what: "host", id: host.to_string() });
            };
            // The links and derived rows have no foreign keys (see the schema): each by hand.
            for sql in [
                "DELETE FROM host_remediation WHERE host_id = $1",
                "DELETE FROM host_assessment WHERE host_id = $1",
                "DELETE FROM host_package WHERE host_id = $1",
                "DELETE FROM inventory_change WHERE event_id IN (SELECT id FROM inventory_event WHERE host_id = $1)",
                "DELETE FROM inventory_event WHERE host_id = $1",
                "DELETE FROM agent_credential WHERE host_id = $1",
                "DELETE FROM host_label WHERE host_id = $1",
                "DELETE FROM host_group WHERE host_id = $1",
                "DELETE FROM host WHERE id = $1",
            ] {
                sqlx::query(sql).bind(host.0).execute(&mut *tx).await?;
            }
            audit_in_tx(&mut tx, actor, "host.delete", &format!("host:{host}"), &name, now).await?;
            tx.commit().await?;
            Ok(())
        }

        pub(crate) async fn revoke_agent_credentials(pool: &Pool, actor: &Actor, host: HostId, now: Timestamp) -> Result<u64> {
            validate_actor(actor)?;
            let mut tx = super::begin_write(pool).await?;
            let n = sqlx::query("UPDATE agent_credential SET revoked_at = $2 WHERE host_id = $1 AND revoked_at IS NULL")
                .bind(host.0)
                .bind(us(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                audit_in_tx(&mut tx, actor, "agent-credential.revoke", &format!("host:{host}"), &format!("{n} credentials"), now).await?;
            }
            tx.commit().await?;
            Ok(n)
        }
    };
}

pub(crate) use ops;
