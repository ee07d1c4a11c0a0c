//! The wire types of `/api/v1`: every JSON body the server reads or writes is defined here,
//! with explicit conversions from the store's types (nothing derives its wire shape from a
//! store or model type by accident). The agent (`caulk-agent`) uses these same types;
//! to be split into `crates/api` (with the OpenAPI document).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// `GET /healthz`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
    /// The advisory database hosts are assessed with; `null` when the server has none.
    pub advisories: Option<Advisories>,
}

/// A request accepted, carried out in the background.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub status: &'static str,
}

/// The advisory database as `/healthz` shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Advisories {
    /// Which build of it: findings of another generation are being re-derived.
    pub generation: String,
    pub feeds: Vec<String>,
    /// When the last import or sync of the mirror ended, and why it failed if it did (the
    /// database in service is then the previous one).
    pub synced_at: Option<String>,
    pub sync_error: Option<String>,
}

/// A host's findings in short, from its last assessment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HostFindings {
    /// The advisory database generation it was made with.
    pub generation: String,
    pub assessed_at: String,
    /// The counts are of an older inventory, another advisory database generation or an
    /// earlier day: a new assessment is on its way.
    pub stale: bool,
    /// Active findings; then the same by decision, KEV, overdue and severity.
    pub total: u64,
    pub vulnerabilities: u64,
    pub act_now: u64,
    pub out_of_cycle: u64,
    pub scheduled: u64,
    pub defer: u64,
    pub kev: u64,
    pub overdue: u64,
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub unknown: u64,
    pub remediations: u64,
    pub suppressed: u64,
}

/// What makes stored counts current: the advisory generation in service (`None`: no
/// database) and the start of today (due dates and overdue counts move with the day).
#[derive(Debug, Clone)]
pub struct Freshness {
    pub generation: Option<String>,
    pub since: jiff::Timestamp,
}

impl HostFindings {
    fn new(f: caulk_store::HostFindings, now: &Freshness) -> HostFindings {
        let stale = !f.current_inventory
            || now.generation.as_deref().is_some_and(|g| g != f.generation)
            || f.assessed_at < now.since;
        let c = f.counts;
        HostFindings {
            stale,
            generation: f.generation,
            assessed_at: f.assessed_at.to_string(),
            total: c.total,
            vulnerabilities: c.vulnerabilities,
            act_now: c.act_now,
            out_of_cycle: c.out_of_cycle,
            scheduled: c.scheduled,
            defer: c.defer,
            kev: c.kev,
            overdue: c.overdue,
            critical: c.critical,
            high: c.high,
            medium: c.medium,
            low: c.low,
            unknown: c.unknown,
            remediations: c.remediations,
            suppressed: c.suppressed,
        }
    }
}

/// `GET /api/v1/hosts/{id}/history`: what changed when, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    pub events: Vec<HistoryEvent>,
}

/// One inventory that changed something.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryEvent {
    pub at: String,
    /// The host's first inventory: its packages are not listed as added.
    pub initial: bool,
    /// Packages after the change.
    pub packages: u64,
    pub added: Vec<PackageRef>,
    pub removed: Vec<PackageRef>,
    pub changed: Vec<PackageChange>,
}

/// A package as the history names it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PackageRef {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
}

impl From<&caulk_model::inventory::Package> for PackageRef {
    fn from(p: &caulk_model::inventory::Package) -> PackageRef {
        PackageRef {
            ecosystem: p.ecosystem.clone(),
            name: p.name.clone(),
            version: p.version.clone(),
            arch: p.arch.clone(),
        }
    }
}

/// A package in another version (or with other fields).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PackageChange {
    pub ecosystem: String,
    pub name: String,
    pub arch: Option<String>,
    pub from: String,
    pub to: String,
}

impl From<caulk_store::InventoryEvent> for HistoryEvent {
    fn from(e: caulk_store::InventoryEvent) -> HistoryEvent {
        HistoryEvent {
            at: e.at.to_string(),
            initial: e.initial,
            packages: e.packages,
            added: e.added.iter().map(PackageRef::from).collect(),
            removed: e.removed.iter().map(PackageRef::from).collect(),
            changed: e
                .changed
                .iter()
                .map(|(a, b)| PackageChange {
                    ecosystem: b.ecosystem.clone(),
                    name: b.name.clone(),
                    arch: b.arch.clone(),
                    from: a.version.clone(),
                    to: b.version.clone(),
                })
                .collect(),
        }
    }
}

/// The query of `GET /api/v1/hosts/{id}/history`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// At most this many events (1 to 1000, default 50).
    pub limit: Option<u32>,
}

/// `GET /api/v1/remediations`: one page of the fleet's upgrades, most urgent first, then
/// by risk removed; `next` is the cursor of the following page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RemediationPage {
    pub remediations: Vec<FleetRemediation>,
    pub next: Option<String>,
}

/// One upgrade across the fleet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FleetRemediation {
    /// `upgrade openssl (Debian:12) to ≥ 3.0.15-1~deb12u1: fixes 12 vulnerabilities on 40
    /// hosts`.
    pub summary: String,
    pub ecosystem: String,
    /// The package to upgrade (the source package for distributions).
    pub package: String,
    pub target_version: String,
    pub hosts: u64,
    /// Distinct vulnerabilities it fixes across those hosts, and their ids.
    pub vulnerabilities: u64,
    pub vulnerability_ids: Vec<String>,
    pub decision: &'static str,
    pub max_severity: &'static str,
    pub kev: u64,
    pub risk_removed: f64,
}

impl From<caulk_store::FleetRemediation> for FleetRemediation {
    fn from(r: caulk_store::FleetRemediation) -> FleetRemediation {
        let n = r.vulnerabilities.len() as u64;
        FleetRemediation {
            summary: format!(
                "upgrade {} ({}) to ≥ {}: fixes {n} {} on {} {}",
                r.package,
                r.ecosystem,
                r.target_version,
                if n == 1 {
                    "vulnerability"
                } else {
                    "vulnerabilities"
                },
                r.hosts,
                if r.hosts == 1 { "host" } else { "hosts" },
            ),
            ecosystem: r.ecosystem,
            package: r.package,
            target_version: r.target_version,
            hosts: r.hosts,
            vulnerabilities: n,
            vulnerability_ids: r.vulnerabilities,
            decision: r.decision.as_str(),
            max_severity: r.max_severity.as_str(),
            kev: r.kev,
            risk_removed: (r.risk_removed * 100.0).round() / 100.0,
        }
    }
}

/// The query of `GET /api/v1/remediations`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    pub ecosystem: Option<String>,
}

/// `GET /api/v1/vulnerabilities/{id}`: which hosts have it, in which packages.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VulnerabilityHosts {
    /// The id asked for, and every id of the same vulnerability the database knows.
    pub id: String,
    pub aliases: Vec<String>,
    /// Hosts with it; `hosts` lists the first `limit` of them, by id.
    pub total_hosts: u64,
    pub hosts: Vec<VulnerableHost>,
}

/// The query of `GET /api/v1/vulnerabilities/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityQuery {
    /// At most this many hosts listed (1 to 10,000; default 1,000).
    pub limit: Option<u32>,
}

/// A host with a vulnerability.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VulnerableHost {
    pub id: i64,
    pub hostname: String,
    pub packages: Vec<VulnerablePackage>,
}

/// An installed package with a vulnerability.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VulnerablePackage {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub status: String,
    pub fixed_version: Option<String>,
    pub severity: String,
    pub advisories: Vec<String>,
}

/// A host as the API shows it. Times are RFC 3339 (UTC).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Host {
    pub id: i64,
    pub hostname: String,
    pub machine_id: Option<String>,
    /// The OSV ecosystem of its OS (`Debian:12`), from its last inventory.
    pub ecosystem: Option<String>,
    pub os: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub groups: BTreeSet<String>,
    pub criticality: &'static str,
    pub exposure: &'static str,
    pub owner: Option<String>,
    pub agent_version: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub inventory_at: Option<String>,
    /// What its last assessment found; `null` before the first.
    pub findings: Option<HostFindings>,
}

impl Host {
    /// The host as the API shows it; its counts are said stale by `now`.
    pub fn new(h: caulk_store::HostRecord, now: &Freshness) -> Host {
        Host {
            id: h.id.0,
            hostname: h.hostname,
            machine_id: h.machine_id,
            ecosystem: h.ecosystem,
            os: h.os,
            labels: h.labels,
            groups: h.groups,
            criticality: h.criticality.as_str(),
            exposure: h.exposure.as_str(),
            owner: h.owner,
            agent_version: h.agent_version,
            first_seen: h.first_seen.to_string(),
            last_seen: h.last_seen.to_string(),
            inventory_at: h.inventory_at.map(|t| t.to_string()),
            findings: h.findings.map(|f| HostFindings::new(f, now)),
        }
    }
}

/// `GET /api/v1/hosts`: one page; `next` is the cursor of the following page (pass it as
/// `?cursor=`), `null` at the end.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HostPage {
    pub hosts: Vec<Host>,
    pub next: Option<String>,
}

impl HostPage {
    pub fn new(p: caulk_store::Page<caulk_store::HostRecord>, now: &Freshness) -> HostPage {
        HostPage {
            hosts: p.items.into_iter().map(|h| Host::new(h, now)).collect(),
            next: p.next.map(|id| id.0.to_string()),
        }
    }
}

/// The query of `GET /api/v1/hosts`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    pub hostname_prefix: Option<String>,
    pub group: Option<String>,
    pub ecosystem: Option<String>,
    /// `key=value`: hosts with that label.
    pub label: Option<String>,
    pub criticality: Option<String>,
    pub exposure: Option<String>,
}

/// `PATCH /api/v1/hosts/{id}`: the host's profile; a field left out is left alone, `owner:
/// null` clears the owner; `labels` and `groups` replace the host's.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostPatch {
    pub criticality: Option<String>,
    pub exposure: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub owner: Option<Option<String>>,
    pub labels: Option<BTreeMap<String, String>>,
    pub groups: Option<BTreeSet<String>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /api/v1/enrollment-tokens`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollmentToken {
    pub max_uses: u32,
    /// `24h`, `7d`, `90m`.
    pub expires_in: String,
    /// A name for it (which batch of hosts it is for); `enrollment` by default.
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /api/v1/tokens`: a new API token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    pub name: String,
    /// `admin`, `operator` or `auditor`.
    pub role: String,
    /// `90d`, `12h`; none: it never expires.
    #[serde(default)]
    pub expires_in: Option<String>,
}

/// The answer to `POST /api/v1/tokens`: the token is shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTokenCreated {
    pub id: i64,
    pub token: String,
    pub role: &'static str,
    pub expires_at: Option<String>,
}

/// An API token as `GET /api/v1/tokens` lists it (never its secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: &'static str,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<caulk_store::ApiTokenInfo> for ApiToken {
    fn from(t: caulk_store::ApiTokenInfo) -> ApiToken {
        ApiToken {
            id: t.id.0,
            name: t.name,
            role: t.role.as_str(),
            created_at: t.created_at.to_string(),
            expires_at: t.expires_at.map(|x| x.to_string()),
            revoked_at: t.revoked_at.map(|x| x.to_string()),
        }
    }
}

/// `GET /api/v1/tokens`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTokenList {
    pub tokens: Vec<ApiToken>,
}

/// An enrolment token as `GET /api/v1/enrollment-tokens` lists it (never its secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnrollmentTokenInfo {
    pub id: i64,
    pub name: String,
    pub max_uses: u32,
    pub uses: u32,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

impl From<caulk_store::EnrolmentTokenInfo> for EnrollmentTokenInfo {
    fn from(t: caulk_store::EnrolmentTokenInfo) -> EnrollmentTokenInfo {
        EnrollmentTokenInfo {
            id: t.id.0,
            name: t.name,
            max_uses: t.max_uses,
            uses: t.uses,
            created_at: t.created_at.to_string(),
            expires_at: t.expires_at.to_string(),
            revoked_at: t.revoked_at.map(|x| x.to_string()),
        }
    }
}

/// `GET /api/v1/enrollment-tokens`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnrollmentTokenList {
    pub tokens: Vec<EnrollmentTokenInfo>,
}

/// The answer to `POST /api/v1/enrollment-tokens`: the token is shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnrollmentToken {
    pub id: i64,
    pub token: String,
    pub expires_at: String,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub address: Option<String>,
    pub detail: String,
    /// Hex SHA-256 of the previous entry's hash and this entry.
    pub prev_hash: String,
    pub hash: String,
}

impl From<caulk_store::AuditEntry> for AuditEntry {
    fn from(e: caulk_store::AuditEntry) -> AuditEntry {
        AuditEntry {
            seq: e.seq,
            at: e.at.to_string(),
            actor: e.actor,
            action: e.action,
            target: e.target,
            address: e.address,
            detail: e.detail,
            prev_hash: hex(&e.prev_hash),
            hash: hex(&e.hash),
        }
    }
}

/// `GET /api/v1/audit`: entries in order; `next` is the cursor of the following page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<String>,
}

/// The query of `GET /api/v1/audit`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// `POST /api/v1/enroll`: an agent trades an enrolment token for its host and credential.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub enrollment_token: String,
    pub hostname: String,
    #[serde(default)]
    pub machine_id: Option<String>,
    #[serde(default)]
    pub agent_version: Option<String>,
}

/// The answer to `POST /api/v1/enroll`: the agent credential is shown this once.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Enrolled {
    pub host_id: i64,
    pub credential: String,
}

/// `POST /api/v1/agent/check-in`: the hex SHA-256 the agent computed of its inventory
/// (`caulk_store::inventory_hash`).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    pub inventory_hash: String,
}

/// The answer to a check-in (`changed: true`: send the inventory) and to `PUT
/// /api/v1/agent/inventory` (`changed`: whether the stored inventory changed; `stale: true`:
/// not stored, the stored inventory was observed after this one — present only then).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Changed {
    pub changed: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// The query of `PUT /api/v1/agent/inventory`: `observed_at` (RFC 3339), when the agent
/// collected the inventory — a spooled report arrives late. Optional (an agent without it
/// means "now"); a server that does not know it ignores it.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
}

/// The body of `PUT /api/v1/agent/inventory` and of `GET /api/v1/hosts/{id}/inventory`: the
/// inventory JSON format (`docs/inventory-format.md`, `caulk inventory --format json`), whose
/// one definition is `caulk_model::inventory`; readers check `format_version` first.
pub type Inventory = caulk_model::inventory::Inventory;

/// The 32 bytes of a 64-digit hex string.
pub fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

/// Every error: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
}

/// Lowercase hex of `b`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
