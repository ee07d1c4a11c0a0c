//! Fleet administration on the fleet database (`caulk-store`): what an administrator does
//! beside the server — create users and API tokens before there is any, check the audit
//! chain. Blocking wrappers over the async store, each on a runtime of its own (the CLI has
//! no other async work); the server calls the store directly.
//!
//! The database is named as the server names it: `sqlite:PATH` (or a plain path) or
//! `postgres://…`; by default `sqlite:` the `caulk.db` beside the advisory database
//! (`$XDG_DATA_HOME/caulk/`, `~/.local/share/caulk/`).

use crate::error::{Context, Error, Result};
use caulk_store::{Actor, AuditVerification, NewSecret, Role, Store, UserId};

/// The fleet database URL: the one given, else `sqlite:<data dir>/caulk.db`.
pub fn database_url(given: Option<&str>) -> Result<String> {
    if let Some(g) = given {
        return Ok(g.to_string());
    }
    let dir = default_data_dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(sqlite_url(&dir))
}

/// The data directory: the advisory database's (`$XDG_DATA_HOME/caulk/`,
/// `~/.local/share/caulk/`). Not created here.
pub fn default_data_dir() -> Result<std::path::PathBuf> {
    let adv = caulk_advisory_db::default_db_path()
        .context("no data directory given and neither XDG_DATA_HOME nor HOME is set")?;
    Ok(adv
        .parent()
        .context("the default data directory has no parent")?
        .to_path_buf())
}

/// `sqlite:<dir>/caulk.db`: the fleet database of a data directory.
pub fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite:{}", dir.join("caulk.db").display())
}

/// Who a change made from the command line is by: `cli:<login name>`.
pub fn cli_actor() -> Actor {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    Actor::new(format!("cli:{who}"), None)
}

fn run<T>(url: &str, f: impl AsyncFnOnce(&Store) -> caulk_store::Result<T>) -> Result<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::wrap)?;
    rt.block_on(async {
        let store = Store::open(url).await.with_context(|| {
            format!("opening the fleet database {}", caulk_store::redacted(url))
        })?;
        let out = f(&store).await.map_err(Error::wrap);
        store.close().await;
        out
    })
}

/// A new API token with `role`; the secret is in the answer only (shown once).
pub fn create_token(
    url: &str,
    name: &str,
    role: Role,
    expires_in: Option<jiff::SignedDuration>,
) -> Result<NewSecret> {
    let now = jiff::Timestamp::now();
    let expires_at = match expires_in {
        Some(d) => Some(
            now.checked_add(d)
                .map_err(|e| Error::msg(format!("--expires-in: {e}")))?,
        ),
        None => None,
    };
    let actor = cli_actor();
    run(url, async |s: &Store| {
        s.create_api_token(&actor, name, role, expires_at, now)
            .await
    })
    .with_context(|| format!("creating an API token in {}", caulk_store::redacted(url)))
}

/// A new user with `role` and an argon2id hash of `password`.
pub fn add_user(url: &str, name: &str, password: &str, role: Role) -> Result<UserId> {
    let now = jiff::Timestamp::now();
    let actor = cli_actor();
    run(url, async |s: &Store| {
        s.create_user(&actor, name, password, role, now).await
    })
    .with_context(|| format!("adding user {name} to {}", caulk_store::redacted(url)))
}

/// Recompute the audit chain from its first entry.
pub fn verify_audit(url: &str) -> Result<AuditVerification> {
    run(url, async |s: &Store| s.verify_audit().await)
        .with_context(|| format!("verifying the audit log of {}", caulk_store::redacted(url)))
}

/// What the fleet store keeps of a host's assessment: the report's counts and its
/// remediations (the full report is re-derived on demand, by [`crate::scan::assess`]).
pub fn assessment_of(
    r: &caulk_model::finding::ScanReport,
    generation: &str,
    inventory_hash: [u8; 32],
) -> caulk_store::NewAssessment {
    assessment_from(
        &r.summary,
        r.remediations.iter().map(host_remediation_of),
        r.policy.criticality,
        r.policy.exposure,
        generation,
        inventory_hash,
    )
}

/// What the fleet store keeps of a report's remediation.
fn host_remediation_of(m: &caulk_model::finding::Remediation) -> caulk_store::HostRemediation {
    caulk_store::HostRemediation {
        ecosystem: m.ecosystem.clone(),
        package: m.package.clone(),
        target_version: m.target_version.clone(),
        decision: m.decision,
        max_severity: m.max_severity,
        kev: m.kev_count,
        risk_removed: m.risk_removed,
        vulnerabilities: m
            .vulnerabilities
            .iter()
            .map(|v| std::sync::Arc::from(v.as_str()))
            .collect(),
    }
}

/// What the fleet store keeps of a summary and remediations (a report's, or a tally's:
/// [`crate::digests::assessment_of_tally`]).
pub(crate) fn assessment_from(
    summary: &caulk_model::finding::Summary,
    remediations: impl IntoIterator<Item = caulk_store::HostRemediation>,
    criticality: caulk_model::finding::Criticality,
    exposure: caulk_model::finding::Exposure,
    generation: &str,
    inventory_hash: [u8; 32],
) -> caulk_store::NewAssessment {
    caulk_store::NewAssessment {
        generation: generation.to_string(),
        inventory_hash,
        criticality,
        exposure,
        counts: counts_of(summary),
        remediations: merged_remediations(remediations),
    }
}

/// A report's remediations, one per (ecosystem, package, target version): a language
/// package's are per lockfile (the same upgrade in two files is two remediations of the
/// report), the fleet's are per upgrade — merged here, vulnerabilities united, the most
/// urgent decision, the highest severity and KEV count kept, risks added.
fn merged_remediations(
    remediations: impl IntoIterator<Item = caulk_store::HostRemediation>,
) -> Vec<caulk_store::HostRemediation> {
    let mut out: Vec<caulk_store::HostRemediation> = remediations.into_iter().collect();
    fn key(x: &caulk_store::HostRemediation) -> (&str, &str, &str) {
        (&x.ecosystem, &x.package, &x.target_version)
    }
    // Stable: equal keys stay in the report's order, the first of them kept.
    out.sort_by(|a, b| key(a).cmp(&key(b)));
    out.dedup_by(|m, x| {
        if key(m) != key(x) {
            return false;
        }
        x.decision = x.decision.max(m.decision);
        x.max_severity = x.max_severity.max(m.max_severity);
        x.kev = x.kev.max(m.kev);
        x.risk_removed += m.risk_removed;
        let mut all: Vec<std::sync::Arc<str>> = x
            .vulnerabilities
            .iter()
            .chain(m.vulnerabilities.iter())
            .cloned()
            .collect();
        all.sort();
        all.dedup();
        x.vulnerabilities = all.into();
        true
    });
    out
}

/// A summary in the fleet's short form.
pub fn counts_of(s: &caulk_model::finding::Summary) -> caulk_store::FindingCounts {
    caulk_store::FindingCounts {
        total: s.findings,
        vulnerabilities: s.vulnerabilities,
        act_now: s.by_decision.act_now,
        out_of_cycle: s.by_decision.out_of_cycle,
        scheduled: s.by_decision.scheduled,
        defer: s.by_decision.defer,
        kev: s.kev,
        overdue: s.overdue,
        critical: s.by_severity.critical,
        high: s.by_severity.high,
        medium: s.by_severity.medium,
        low: s.by_severity.low,
        unknown: s.by_severity.unknown + s.by_severity.none,
        remediations: s.remediations,
        suppressed: s.suppressed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caulk_model::finding::{Decision, Remediation, Severity};

    #[test]
    fn one_upgrade_in_two_lockfiles_is_one_fleet_remediation() {
        let r = |file: &str, vulns: &[&str], d: Decision, s: Severity, kev: u64, risk: f64| {
            Remediation {
                id: format!("npm/lodash@4.17.21 in {file}"),
                ecosystem: "npm".into(),
                package: "lodash".into(),
                target_version: "4.17.21".into(),
                files: vec![file.into()],
                vulnerabilities: vulns.iter().map(|v| v.to_string()).collect(),
                decision: d,
                max_severity: s,
                kev_count: kev,
                risk_removed: risk,
                ..Remediation::default()
            }
        };
        let mut other = r(
            "c/package-lock.json",
            &["CVE-9"],
            Decision::Defer,
            Severity::Low,
            0,
            1.0,
        );
        other.package = "minimist".into();
        let merged = merged_remediations(
            [
                r(
                    "a/package-lock.json",
                    &["CVE-1", "CVE-2"],
                    Decision::Scheduled,
                    Severity::High,
                    0,
                    2.0,
                ),
                r(
                    "b/package-lock.json",
                    &["CVE-2", "CVE-3"],
                    Decision::ActNow,
                    Severity::Medium,
                    1,
                    3.5,
                ),
                other,
            ]
            .iter()
            .map(host_remediation_of),
        );
        assert_eq!(merged.len(), 2);
        let l = &merged[0];
        assert_eq!(
            (
                l.package.as_str(),
                l.decision,
                l.max_severity,
                l.kev,
                l.risk_removed
            ),
            ("lodash", Decision::ActNow, Severity::High, 1, 5.5)
        );
        assert_eq!(
            l.vulnerabilities.iter().map(|v| &**v).collect::<Vec<_>>(),
            vec!["CVE-1", "CVE-2", "CVE-3"]
        );
        assert_eq!(merged[1].package, "minimist");
    }
}
