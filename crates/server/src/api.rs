//! The wire types of `/api/v1`: every JSON body the server reads or writes is defined here,
//! with explicit conversions from the store's types (nothing derives its wire shape from a
//! store or model type by accident). To be split into `crates/api` (with the OpenAPI
//! document) when the agent needs the same types.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// `GET /healthz`.
#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
}

/// A host as the API shows it. Times are RFC 3339 (UTC).
#[derive(Debug, Serialize)]
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
}

impl From<caulk_store::HostRecord> for Host {
    fn from(h: caulk_store::HostRecord) -> Host {
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
        }
    }
}

/// `GET /api/v1/hosts`: one page; `next` is the cursor of the following page (pass it as
/// `?cursor=`), `null` at the end.
#[derive(Debug, Serialize)]
pub struct HostPage {
    pub hosts: Vec<Host>,
    pub next: Option<String>,
}

impl From<caulk_store::Page<caulk_store::HostRecord>> for HostPage {
    fn from(p: caulk_store::Page<caulk_store::HostRecord>) -> HostPage {
        HostPage {
            hosts: p.items.into_iter().map(Host::from).collect(),
            next: p.next.map(|id| id.0.to_string()),
        }
    }
}

/// The query of `GET /api/v1/hosts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    pub hostname_prefix: Option<String>,
    pub group: Option<String>,
    pub ecosystem: Option<String>,
}

/// `POST /api/v1/enrollment-tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollmentToken {
    pub max_uses: u32,
    /// `24h`, `7d`, `90m`.
    pub expires_in: String,
    /// A name for it (which batch of hosts it is for); `enrollment` by default.
    #[serde(default)]
    pub name: Option<String>,
}

/// The answer to `POST /api/v1/enrollment-tokens`: the token is shown this once.
#[derive(Debug, Serialize)]
pub struct EnrollmentToken {
    pub id: i64,
    pub token: String,
    pub expires_at: String,
}

/// One entry of the audit log.
#[derive(Debug, Serialize)]
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
#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<String>,
}

/// The query of `GET /api/v1/audit`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// Every error: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
