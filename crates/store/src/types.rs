//! The store's domain types: ids, hosts, inventory history, identity, audit.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use caulk_model::finding::{Criticality, Exposure};
use caulk_model::inventory::Package;
use jiff::Timestamp;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A host's id: assigned by the store, never reused.
    HostId
);
id_type!(UserId);
id_type!(
    /// An API or enrolment token's id (the part of the token before its secret).
    TokenId
);
id_type!(CredentialId);
id_type!(
    /// A distinct package row, shared by every host that has the package.
    PackageId
);

/// Who did something, and from where: every audited change carries one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `user:alice`, `token:12`, `agent:host-7`, `system`.
    pub who: String,
    /// The peer address of the request, when there was one.
    pub address: Option<String>,
}

impl Actor {
    pub fn new(who: impl Into<String>, address: Option<&str>) -> Actor {
        Actor {
            who: who.into(),
            address: address.map(str::to_string),
        }
    }
}

/// What an API token or user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Operator,
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "operator" => Role::Operator,
            "auditor" => Role::Auditor,
            _ => return None,
        })
    }
}

/// `low`, `medium`, `high`, `critical`.
pub fn criticality_parse(s: &str) -> Option<Criticality> {
    Some(match s {
        "low" => Criticality::Low,
        "medium" => Criticality::Medium,
        "high" => Criticality::High,
        "critical" => Criticality::Critical,
        _ => return None,
    })
}

/// `isolated`, `internal`, `internet`.
pub fn exposure_parse(s: &str) -> Option<Exposure> {
    Some(match s {
        "isolated" => Exposure::Isolated,
        "internal" => Exposure::Internal,
        "internet" => Exposure::Internet,
        _ => return None,
    })
}

/// A host to create or enrol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewHost {
    pub hostname: String,
    /// `/etc/machine-id`; unique among hosts when given.
    pub machine_id: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub groups: BTreeSet<String>,
    pub criticality: Criticality,
    pub exposure: Exposure,
    pub owner: Option<String>,
    pub agent_version: Option<String>,
}

/// A host as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRecord {
    pub id: HostId,
    pub hostname: String,
    pub machine_id: Option<String>,
    /// The OSV ecosystem of its OS (`Debian:12`), from the last inventory.
    pub ecosystem: Option<String>,
    /// The OS's pretty name, from the last inventory.
    pub os: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub groups: BTreeSet<String>,
    pub criticality: Criticality,
    pub exposure: Exposure,
    pub owner: Option<String>,
    pub agent_version: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// When the stored inventory last changed; `None` before the first.
    pub inventory_at: Option<Timestamp>,
    /// What the last assessment found; `None` before the first (or when the server has no
    /// advisory database). Filled by [`crate::Store::host`] and [`crate::Store::list_hosts`].
    pub findings: Option<HostFindings>,
}

/// A host's last assessment, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFindings {
    /// The advisory database generation it was made with.
    pub generation: String,
    pub assessed_at: Timestamp,
    /// The hash of the inventory it was made from.
    pub inventory_hash: [u8; 32],
    /// Whether it was made from the host's current inventory.
    pub current_inventory: bool,
    pub counts: FindingCounts,
}

/// Counts of a host's active findings (the report summary's, in short).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FindingCounts {
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

/// What assessing a host reads from the fleet store ([`crate::Store::assessment_inputs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentInput {
    pub id: HostId,
    pub criticality: Criticality,
    pub exposure: Exposure,
    /// The host facts of its inventory (OS, kernel, Ubuntu Pro).
    pub facts: caulk_model::inventory::Host,
    pub inventory_hash: [u8; 32],
    /// Its packages' rows, in no particular order.
    pub packages: Vec<PackageId>,
}

/// What an assessment of one host stores: its counts and its remediations.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssessment {
    pub generation: String,
    /// The hash of the inventory assessed ([`crate::inventory_hash`]): a later inventory
    /// makes the assessment stale.
    pub inventory_hash: [u8; 32],
    /// The host profile assessed with: a profile changed since makes it stale too.
    pub criticality: Criticality,
    pub exposure: Exposure,
    pub counts: FindingCounts,
    pub remediations: Vec<HostRemediation>,
}

/// One remediation of one host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostRemediation {
    pub ecosystem: String,
    pub package: String,
    pub target_version: String,
    pub decision: caulk_model::finding::Decision,
    pub max_severity: caulk_model::finding::Severity,
    pub kev: u64,
    pub risk_removed: f64,
    /// Vulnerability ids fixed, sorted. Shared: the hosts of a fleet mostly fix the same
    /// lists, and a fleet assessment hands the same list to all of them.
    pub vulnerabilities: Arc<[Arc<str>]>,
}

/// One upgrade across the fleet: the hosts' remediations with the same (ecosystem,
/// package, target version), merged.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetRemediation {
    pub ecosystem: String,
    pub package: String,
    pub target_version: String,
    /// Hosts the upgrade applies to.
    pub hosts: u64,
    /// Distinct vulnerability ids it fixes on them, sorted.
    pub vulnerabilities: Vec<String>,
    /// The most urgent decision and highest severity among the hosts'.
    pub decision: caulk_model::finding::Decision,
    pub max_severity: caulk_model::finding::Severity,
    /// The most KEV vulnerabilities it fixes on one host.
    pub kev: u64,
    /// The sum over hosts of the risk it removes: the fleet-wide rank key.
    pub risk_removed: f64,
}

/// A change to a host's profile: `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostUpdate {
    pub labels: Option<BTreeMap<String, String>>,
    pub groups: Option<BTreeSet<String>>,
    pub criticality: Option<Criticality>,
    pub exposure: Option<Exposure>,
    /// `Some(None)` clears the owner.
    pub owner: Option<Option<String>>,
}

/// Which hosts a listing returns (all conditions must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFilter {
    pub criticality: Option<Criticality>,
    pub exposure: Option<Exposure>,
    pub ecosystem: Option<String>,
    /// A label key and its value.
    pub label: Option<(String, String)>,
    pub group: Option<String>,
    pub hostname_prefix: Option<String>,
}

/// One page of a listing; `next` is the cursor of the following page, `None` at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<HostId>,
}

/// What an enrolment gives the agent: its host and its credential (shown once).
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub host: HostRecord,
    pub credential: crate::NewSecret,
}

/// What [`crate::Store::record_inventory`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryOutcome {
    /// Same inventory as stored: only last seen was written.
    Unchanged,
    /// Observed before the stored inventory (a late report): not stored, only last seen
    /// was written.
    Stale,
    /// The first inventory of the host.
    First { packages: u64 },
    Changed {
        added: u64,
        removed: u64,
        changed: u64,
    },
}

/// One change of a host's inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryEvent {
    pub at: Timestamp,
    /// The first inventory of the host (its packages are not repeated as `added`).
    pub initial: bool,
    /// Packages in the inventory after the change.
    pub packages: u64,
    pub added: Vec<Package>,
    pub removed: Vec<Package>,
    /// (before, after): the same package (ecosystem, name, arch, file) in another version
    /// or with other fields.
    pub changed: Vec<(Package, Package)>,
}

/// Row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
    pub hosts: u64,
    pub packages: u64,
    pub host_packages: u64,
}

/// Who a credential or password belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User {
        id: UserId,
        name: String,
        role: Role,
    },
    ApiToken {
        id: TokenId,
        name: String,
        role: Role,
    },
}

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Principal::User { role, .. } | Principal::ApiToken { role, .. } => *role,
        }
    }
}

/// An enrolment token as stored (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentTokenInfo {
    pub id: TokenId,
    pub name: String,
    pub max_uses: u32,
    pub uses: u32,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// An API token as listings show it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenInfo {
    pub id: TokenId,
    pub name: String,
    pub role: Role,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// An audit entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub actor: Actor,
    /// `host.create`, `token.revoke`, … (dotted, lowercase).
    pub action: String,
    /// `host:12`, `user:alice`, …
    pub target: String,
    /// Free text or JSON with what changed.
    pub detail: String,
}

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub address: Option<String>,
    pub detail: String,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

/// The result of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Entries checked.
    pub entries: u64,
    /// The first entry that does not follow from its predecessor, and why.
    pub first_broken: Option<(i64, String)>,
}
