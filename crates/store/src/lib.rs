//! The fleet store: the authoritative, concurrent state of a caulk fleet — hosts and their
//! risk profile, inventories (current and history), identity (users, API tokens, enrolment
//! tokens, agent credentials) and the hash-chained audit log — on SQLite (embedded, the
//! default) or PostgreSQL, through one API: [`Store`].
//!
//! [`Store`] is a concrete type over the two backends (not a trait object): the server picks
//! the backend from a URL at start ([`Store::open`]) and holds one cloneable value; the
//! contract suite (`tests/contract.rs`) runs every operation on both. Each operation's SQL is
//! written once (`ops.rs`, instantiated per backend); only the bulk set operations of an
//! inventory differ (`json_each` on SQLite, `unnest` of arrays on PostgreSQL). Migrations are
//! per backend (`migrations/{sqlite,postgres}`), applied on open; a database whose schema is
//! newer than this build is refused ([`Error::SchemaTooNew`]).
//!
//! The traps of this domain:
//! - *Commit before acknowledging*: every operation returns only after its transaction
//!   committed (SQLite in WAL mode with `synchronous=NORMAL` survives a killed process; pass
//!   [`SqliteOptions::synchronous_full`] to survive power loss too).
//! - *Secrets are never stored*: tokens are 32 random bytes shown once; the store keeps their
//!   SHA-256 and compares in constant time; passwords are argon2id PHC strings. A revoked or
//!   expired credential is refused by the very next check (no cache).
//! - *Package rows are shared*: an inventory is a set of links from the host to distinct
//!   package rows (keyed by the SHA-256 of every field), so 100,000 hosts of one image store
//!   its packages once; an unchanged check-in (same inventory hash) is one `UPDATE`.
//! - *Enrolment tokens are counted atomically*: the use is taken by one conditional `UPDATE`
//!   inside the enrolment's transaction, so N concurrent enrolments of a 3-use token give
//!   exactly 3 hosts, and a failed enrolment gives its use back.

mod digest;
mod ops;
mod postgres;
mod secret;
mod sqlite;
mod types;
mod validate;

pub use digest::package_key;

/// The hash the store keeps of an inventory: packages as a set (order and exact duplicates
/// do not count), host facts and issues in canonical order. An agent computes it to check in
/// without sending an unchanged inventory ([`Store::check_in_unchanged`]).
pub fn inventory_hash(inventory: &Inventory) -> Result<[u8; 32]> {
    Ok(digest::prepare(inventory)?.hash)
}
pub use secret::{NewSecret, TokenKind};
pub use sqlite::SqliteOptions;
pub use types::*;

use caulk_model::inventory::Inventory;
use jiff::Timestamp;

/// The schema version this build writes and understands (the number of the newest migration).
pub const SCHEMA_VERSION: i64 = 5;

/// The id of the bootstrap admin token ([`Store::bootstrap_api_token`]): ids the store
/// assigns start at 1 on both backends, so 0 never collides with one.
pub const BOOTSTRAP_TOKEN_ID: i64 = 0;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input the store refuses: names the field and why.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// A uniqueness rule (a machine id already enrolled, a user name taken).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A credential was refused; the reason is for logs, never for the caller on the wire.
    #[error("credential refused: {0}")]
    Refused(Refusal),
    #[error(
        "the fleet database has schema version {found}, newer than this caulk knows \
         ({known}): run a caulk at least as new as the one that last opened it"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("stored data is not what this caulk wrote: {0}")]
    Corrupt(String),
    #[error("password hashing: {0}")]
    PasswordHash(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Why a credential was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a token of the expected kind (wrong prefix, length, characters).
    Malformed,
    /// No such credential, or the secret does not match.
    Unknown,
    Revoked,
    Expired,
    /// An enrolment token whose uses are all taken.
    UsedUp,
    /// A disabled user.
    Disabled,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Malformed => "malformed",
            Refusal::Unknown => "unknown or wrong secret",
            Refusal::Revoked => "revoked",
            Refusal::Expired => "expired",
            Refusal::UsedUp => "all uses taken",
            Refusal::Disabled => "disabled",
        })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// The fleet store: cheap to clone (a pool inside), `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    packages: std::sync::Arc<PackageCache>,
}

/// Package key → package row id, of committed rows only. Package rows are never deleted or
/// changed, so an entry never goes stale; a fleet's shared packages then cost no SQL at all
/// when a host stores its first inventory. Bounded: cleared when full.
#[derive(Debug, Default)]
pub(crate) struct PackageCache(
    std::sync::Mutex<std::collections::HashMap<[u8; 32], i64, KeyHashState>>,
);

impl PackageCache {
    const MAX: usize = 2_000_000;

    /// The id known for each of `keys`, in their order.
    pub(crate) fn lookup<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k [u8; 32]>,
    ) -> Vec<Option<i64>> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        keys.into_iter().map(|k| map.get(k).copied()).collect()
    }

    /// Remember committed rows.
    pub(crate) fn remember(&self, rows: impl IntoIterator<Item = ([u8; 32], i64)>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for (k, id) in rows {
            if map.len() >= Self::MAX {
                map.clear();
            }
            map.insert(k, id);
        }
    }
}

/// The hasher of [`PackageCache`]: its keys are SHA-256 digests already, so one multiply
/// of their first 8 bytes by a secret odd number (folded to 64 bits) spreads them as well
/// as SipHash over all 32 bytes, at a fraction of the cost. The factor is random per
/// process: an agent cannot grind packages whose keys pile into one bucket without it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyHashState(u64);

impl Default for KeyHashState {
    fn default() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(0);
        KeyHashState(h.finish() | 1)
    }
}

impl std::hash::BuildHasher for KeyHashState {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher {
            factor: self.0,
            acc: 0,
        }
    }
}

pub(crate) struct KeyHasher {
    factor: u64,
    acc: u64,
}

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let m = u128::from(self.acc) * u128::from(self.factor);
        (m as u64) ^ ((m >> 64) as u64)
    }

    /// `[u8; 32]` hashes as its length, then its bytes: the first 8 bytes of each write
    /// are mixed in (all of a shorter one).
    fn write(&mut self, bytes: &[u8]) {
        let mut b = [0u8; 8];
        let n = bytes.len().min(8);
        b[..n].copy_from_slice(&bytes[..n]);
        self.acc = self.acc.rotate_left(29) ^ u64::from_le_bytes(b);
    }

    fn write_usize(&mut self, n: usize) {
        self.acc = self.acc.rotate_left(29) ^ n as u64;
    }
}

/// Run `ops::$f` on whichever backend the store has.
macro_rules! dispatch {
    ($self:ident . $f:ident ( $($a:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(p) => sqlite::ops::$f(p, $($a),*).await,
            Backend::Postgres(p) => postgres::ops::$f(p, $($a),*).await,
        }
    };
}

/// `url` fit to show (messages, logs): a PostgreSQL password, in the authority
/// (`postgres://user:secret@host/db`) or as a `password=` parameter, becomes `***`.
pub fn redacted(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let end = out[start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@').map(|i| start + i)
            && let Some(colon) = out[start..at].find(':').map(|i| start + i)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

impl Store {
    /// Open by URL: `postgres://…`/`postgresql://…` for PostgreSQL, `sqlite:PATH` or a plain
    /// path for SQLite (created if missing). Migrations are applied before this returns.
    pub async fn open(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts: sqlx::postgres::PgConnectOptions = url.parse()?;
            Store::open_postgres(opts, 16).await
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or(url.strip_prefix("sqlite:"));
            Store::open_sqlite(
                std::path::Path::new(path.unwrap_or(url)),
                SqliteOptions::default(),
            )
            .await
        }
    }

    /// Open (create) a SQLite store file: WAL, foreign keys, a busy timeout for writers.
    pub async fn open_sqlite(path: &std::path::Path, opts: SqliteOptions) -> Result<Store> {
        let pool = sqlite::connect(path, opts).await?;
        sqlite::ops::migrate(&pool).await?;
        Ok(Store {
            backend: Backend::Sqlite(pool),
            packages: Default::default(),
        })
    }

    /// Connect to PostgreSQL with a pool of `max_connections`. Tables go to the first schema
    /// of the connection's `search_path` (set `options` on `opts` to place them elsewhere).
    pub async fn open_postgres(
        opts: sqlx::postgres::PgConnectOptions,
        max_connections: u32,
    ) -> Result<Store> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(max_connections)
            // sqlx pings every connection it lends (a round trip to the server before each
            // statement outside a transaction: a check-in paid two); a connection that was
            // in use a moment ago is alive, so only one idle for a while is tested — a dead
            // one is then replaced instead of failing a request.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= postgres::PING_AFTER_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(opts)
            .await?;
        postgres::ops::migrate(&pool).await?;
        Ok(Store {
            backend: Backend::Postgres(pool),
            packages: Default::default(),
        })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The schema version recorded in the database.
    pub async fn schema_version(&self) -> Result<i64> {
        dispatch!(self.schema_version())
    }

    /// Close the pool, waiting for connections to finish (SQLite checkpoints its WAL).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(p) => p.close().await,
            Backend::Postgres(p) => p.close().await,
        }
    }

    // --- hosts ----------------------------------------------------------------------------

    /// Create a host directly (an operator registering it); audited.
    pub async fn create_host(
        &self,
        actor: &Actor,
        host: &NewHost,
        now: Timestamp,
    ) -> Result<HostRecord> {
        dispatch!(self.create_host(actor, host, now))
    }

    /// Enrol a host with an enrolment token: takes one use, creates the host and its agent
    /// credential, audits, in one transaction (a failed enrolment gives the use back).
    pub async fn enrol(
        &self,
        enrolment_token: &str,
        host: &NewHost,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<Enrolment> {
        dispatch!(self.enrol(enrolment_token, host, address, now))
    }

    pub async fn host(&self, id: HostId) -> Result<HostRecord> {
        dispatch!(self.host(id))
    }

    /// Hosts matching `filter` in id order, after `after` (the previous page's
    /// [`Page::next`]), at most `limit` (1..=1000). Ids never move, so a page boundary is
    /// stable while hosts are added.
    pub async fn list_hosts(
        &self,
        filter: &HostFilter,
        after: Option<HostId>,
        limit: u32,
    ) -> Result<Page<HostRecord>> {
        dispatch!(self.list_hosts(filter, after, limit))
    }

    /// Change a host's risk profile, labels, groups or owner; audited.
    pub async fn update_host(
        &self,
        actor: &Actor,
        id: HostId,
        update: &HostUpdate,
        now: Timestamp,
    ) -> Result<HostRecord> {
        dispatch!(self.update_host(actor, id, update, now))
    }

    /// An agent's heartbeat: last seen (and the agent's version when given).
    pub async fn heartbeat(
        &self,
        id: HostId,
        agent_version: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(self.heartbeat(id, agent_version, now))
    }

    // --- inventories ----------------------------------------------------------------------

    /// Store a host's inventory. Unchanged (same hash as the stored one): one `UPDATE` of
    /// last seen, which reads the stored hash in the write transaction (agents check in with
    /// the hash first, [`Store::check_in_unchanged`], so a whole unchanged inventory is
    /// rare). Changed: the package rows it needs (shared), the host's links, and a history
    /// event with the diff, in one transaction (on PostgreSQL, a first inventory of known
    /// package rows in one statement).
    pub async fn record_inventory(
        &self,
        id: HostId,
        inventory: &Inventory,
        now: Timestamp,
    ) -> Result<InventoryOutcome> {
        dispatch!(self.record_inventory(&self.packages, id, inventory, None, now))
    }

    /// [`Store::record_inventory`] of an inventory observed at `observed` (by the agent's
    /// clock; a time after `now` counts as `now`), which dates the inventory and its history
    /// event. An inventory observed before the stored one is [`InventoryOutcome::Stale`] and
    /// not stored: a late report (an agent's spool) never replaces a newer inventory.
    pub async fn record_inventory_observed(
        &self,
        id: HostId,
        inventory: &Inventory,
        observed: Timestamp,
        now: Timestamp,
    ) -> Result<InventoryOutcome> {
        dispatch!(self.record_inventory(&self.packages, id, inventory, Some(observed), now))
    }

    /// The cheap check-in of an agent that sends only its inventory's hash
    /// ([`inventory_hash`]): `true` (and last seen written) when it is the stored one;
    /// `false` means the agent must send the whole inventory.
    pub async fn check_in_unchanged(
        &self,
        id: HostId,
        hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<bool> {
        dispatch!(self.check_in_unchanged(id, hash, now))
    }

    /// The host's current inventory (packages in canonical order), `None` before its first.
    pub async fn inventory(&self, id: HostId) -> Result<Option<Inventory>> {
        dispatch!(self.inventory(id))
    }

    /// The host's inventory history, newest first, at most `limit` events.
    pub async fn inventory_history(&self, id: HostId, limit: u32) -> Result<Vec<InventoryEvent>> {
        dispatch!(self.inventory_history(id, limit))
    }

    /// Distinct packages installed on at least one host, by id, after `after`: what fleet
    /// matching assesses once per distinct (ecosystem, package, version).
    pub async fn fleet_packages(
        &self,
        after: Option<PackageId>,
        limit: u32,
    ) -> Result<Vec<(PackageId, caulk_model::inventory::Package)>> {
        dispatch!(self.fleet_packages(after, limit))
    }

    /// Installed packages (on at least one host) named `name` or built from the source
    /// package `name` (ASCII case ignored), in any ecosystem: the candidates of a
    /// vulnerability's hosts. A scan of the package table.
    pub async fn packages_named(
        &self,
        name: &str,
    ) -> Result<Vec<(PackageId, caulk_model::inventory::Package)>> {
        dispatch!(self.packages_named(name))
    }

    /// Which hosts have which of `packages`: (package, host) pairs sorted. One pass over the
    /// links (there is no index by package, see the schema): ask once per assessment with
    /// every affected package, not once per package.
    pub async fn hosts_with_packages(
        &self,
        packages: &[PackageId],
    ) -> Result<Vec<(PackageId, HostId)>> {
        dispatch!(self.hosts_with_packages(packages))
    }

    /// Replace the host's assessment (counts and remediations), unless its inventory changed
    /// since the one assessed: then nothing is written and the answer is `false`.
    pub async fn put_assessment(
        &self,
        id: HostId,
        a: &NewAssessment,
        now: Timestamp,
    ) -> Result<bool> {
        dispatch!(self.put_assessment(id, a, now))
    }

    /// Store a batch of assessments in one transaction; a host whose inventory or profile
    /// changed since its assessment was made is left out. How many were stored.
    pub async fn put_assessments(
        &self,
        batch: &[(HostId, NewAssessment)],
        now: Timestamp,
    ) -> Result<u64> {
        dispatch!(self.put_assessments(batch, now))
    }

    /// What assessing these hosts needs from the fleet store: each one's profile, facts,
    /// inventory hash and package ids (hosts without an inventory left out), in id order.
    pub async fn assessment_inputs(&self, ids: &[HostId]) -> Result<Vec<AssessmentInput>> {
        dispatch!(self.assessment_inputs(ids))
    }

    /// Package rows by id; ids that name no row are left out.
    pub async fn packages_by_ids(
        &self,
        ids: &[PackageId],
    ) -> Result<Vec<(PackageId, caulk_model::inventory::Package)>> {
        dispatch!(self.packages_by_ids(ids))
    }

    /// Hosts with an inventory whose assessment is missing or stale (another advisory
    /// database `generation`, an older inventory, made before `assessed_since` — the start
    /// of the day, as due dates and overdue counts move with the day), after `after`, by
    /// id, at most `limit`.
    pub async fn hosts_to_assess(
        &self,
        generation: &str,
        assessed_since: Timestamp,
        after: Option<HostId>,
        limit: u32,
    ) -> Result<Vec<(HostId, [u8; 32])>> {
        dispatch!(self.hosts_to_assess(generation, assessed_since, after, limit))
    }

    /// The fleet's remediations: every host's, merged per (ecosystem, package, target
    /// version), most urgent first, then by the risk they remove; a page from `offset`, and
    /// whether more follow.
    pub async fn fleet_remediations(
        &self,
        ecosystem: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<FleetRemediation>, bool)> {
        dispatch!(self.fleet_remediations(ecosystem, offset, limit))
    }

    /// Row counts (hosts, distinct packages, host→package links).
    pub async fn stats(&self) -> Result<StoreStats> {
        dispatch!(self.stats())
    }

    // --- identity -------------------------------------------------------------------------

    /// A user with an argon2id password hash; audited.
    pub async fn create_user(
        &self,
        actor: &Actor,
        name: &str,
        password: &str,
        role: Role,
        now: Timestamp,
    ) -> Result<UserId> {
        dispatch!(self.create_user(actor, name, password, role, now))
    }

    /// Check a user's password (argon2, constant time; an unknown user costs the same).
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Principal> {
        dispatch!(self.verify_password(name, password))
    }

    pub async fn disable_user(&self, actor: &Actor, id: UserId, now: Timestamp) -> Result<()> {
        dispatch!(self.disable_user(actor, id, now))
    }

    /// A new API token with a role; the secret is in the answer only.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<NewSecret> {
        dispatch!(self.create_api_token(actor, name, role, expires_at, now))
    }

    /// The principal of an API token, or [`Error::Refused`].
    pub async fn authenticate_api_token(&self, token: &str, now: Timestamp) -> Result<Principal> {
        dispatch!(self.authenticate_api_token(token, now))
    }

    /// Make `token` the first admin API token, when the database has no API token at all
    /// (a server's first start: `CAULK_BOOTSTRAP_ADMIN_TOKEN`). The token is chosen by the
    /// administrator, so its format is checked: `caulk_api_0_` and 64 lowercase hex digits
    /// (id [`BOOTSTRAP_TOKEN_ID`], which the store never assigns itself; 256 random bits).
    /// Only its SHA-256 is kept; audited as `api-token.bootstrap`. `Ok(None)`: there were
    /// tokens already, nothing changed (the variable is ignored on later starts).
    pub async fn bootstrap_api_token(
        &self,
        actor: &Actor,
        name: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<TokenId>> {
        dispatch!(self.bootstrap_api_token(actor, name, token, now))
    }

    /// Every API token (its secret never), by id.
    pub async fn api_tokens(&self) -> Result<Vec<ApiTokenInfo>> {
        dispatch!(self.api_tokens())
    }

    /// Every enrolment token (its secret never), by id.
    pub async fn enrolment_tokens(&self) -> Result<Vec<EnrolmentTokenInfo>> {
        dispatch!(self.enrolment_tokens())
    }

    pub async fn revoke_api_token(&self, actor: &Actor, id: TokenId, now: Timestamp) -> Result<()> {
        dispatch!(self.revoke_api_token(actor, id, now))
    }

    /// A new enrolment token good for `max_uses` enrolments until `expires_at`.
    pub async fn create_enrolment_token(
        &self,
        actor: &Actor,
        name: &str,
        max_uses: u32,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<NewSecret> {
        dispatch!(self.create_enrolment_token(actor, name, max_uses, expires_at, now))
    }

    pub async fn enrolment_token(&self, id: TokenId) -> Result<EnrolmentTokenInfo> {
        dispatch!(self.enrolment_token(id))
    }

    pub async fn revoke_enrolment_token(
        &self,
        actor: &Actor,
        id: TokenId,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(self.revoke_enrolment_token(actor, id, now))
    }

    /// The host an agent credential belongs to, or [`Error::Refused`].
    pub async fn authenticate_agent(&self, credential: &str, now: Timestamp) -> Result<HostId> {
        dispatch!(self.authenticate_agent(credential, now))
    }

    /// Delete a host with its inventory links, history, assessment, credentials, labels
    /// and groups (the shared package rows stay); audited.
    pub async fn delete_host(&self, actor: &Actor, host: HostId, now: Timestamp) -> Result<()> {
        dispatch!(self.delete_host(actor, host, now))
    }

    /// Revoke every live credential of a host (the agent must enrol again); the count.
    pub async fn revoke_agent_credentials(
        &self,
        actor: &Actor,
        host: HostId,
        now: Timestamp,
    ) -> Result<u64> {
        dispatch!(self.revoke_agent_credentials(actor, host, now))
    }

    // --- audit ----------------------------------------------------------------------------

    /// Append an entry for a change made outside the store's own operations (the store's
    /// mutations audit themselves in their transaction). Returns its sequence number.
    pub async fn append_audit(&self, entry: &AuditRecord, now: Timestamp) -> Result<i64> {
        dispatch!(self.append_audit(entry, now))
    }

    /// Audit entries in order, after sequence number `after`.
    pub async fn audit_log(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        dispatch!(self.audit_log(after, limit))
    }

    /// Recompute the chain from the first entry; the first entry that does not follow.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        dispatch!(self.verify_audit())
    }
}

#[cfg(test)]
mod redacted_tests {
    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            super::redacted("postgres://caulk:s3cr:et@db.example:5432/caulk"),
            "postgres://caulk:***@db.example:5432/caulk"
        );
        assert_eq!(
            super::redacted("postgresql://db/caulk?user=u&password=hunter2&sslmode=require"),
            "postgresql://db/caulk?user=u&password=***&sslmode=require"
        );
        assert_eq!(super::redacted("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(
            super::redacted("sqlite:/var/lib/caulk/caulk.db"),
            "sqlite:/var/lib/caulk/caulk.db"
        );
    }
}
