//! OpenVEX 0.2.0: one statement per (vulnerability, product), the product being the
//! package's purl.
//!
//! Status mapping: an active exception → `not_affected` with an `impact_statement` holding
//! its reason, owner and expiry (OpenVEX wants a justification code *or* an impact
//! statement, never both, and an exception is free text); a distro's not-affected verdict →
//! `not_affected` with an impact statement; a low-confidence match → `under_investigation`;
//! every other finding → `affected` with an `action_statement` (upgrade to the fixed version,
//! or what to do without one). `fixed` is never written: our status `fixed` means a fixed
//! version exists while the vulnerable one is installed, which is VEX `affected`.
//!
//! When findings of one vulnerability in one purl disagree (the same package read from two
//! lockfiles, one suppressed), the statement takes the most urgent: affected, then
//! under_investigation, then not_affected. The document `@id` is a `urn:uuid:` derived from
//! the content; `timestamp` is the report's `generated_at`, else its `today` at midnight UTC.

use crate::common::{
    content_uuid, document_timestamp, exception_text, package_purl, score1, to_json, upgrade_name,
};
use crate::{Format, RenderOptions, ReportError, sorted_findings};
use caulk_model::finding::{ConfidenceLevel, Finding, ScanReport, Status, SuppressionState};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

#[derive(Serialize)]
struct Document {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    author: String,
    timestamp: String,
    version: u32,
    tooling: String,
    statements: Vec<Statement>,
}

#[derive(Serialize)]
struct Statement {
    vulnerability: Vulnerability,
    products: Vec<Product>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_statement: Option<String>,
}

#[derive(Serialize)]
struct Vulnerability {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Serialize)]
struct Product {
    #[serde(rename = "@id")]
    id: String,
    identifiers: Identifiers,
}

#[derive(Serialize)]
struct Identifiers {
    purl: String,
}

/// The VEX status of one finding, ordered so that `max` is the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum VexStatus {
    NotAffected,
    UnderInvestigation,
    Affected,
}

fn status(f: &Finding) -> VexStatus {
    if f.is_suppressed() || f.status == Status::NotAffected {
        VexStatus::NotAffected
    } else if f.confidence.level == ConfidenceLevel::Low {
        VexStatus::UnderInvestigation
    } else {
        VexStatus::Affected
    }
}

fn action(f: &Finding) -> String {
    let p = &f.package;
    match (f.status, &f.fixed_version) {
        (Status::WillNotFix, _) => format!(
            "The distribution ({}) will not fix this vulnerability: mitigate it, remove {}, or \
             record an exception with its reason, owner and expiry.",
            p.ecosystem, p.name
        ),
        (_, Some(fix)) => {
            let target = upgrade_name(p);
            if target != p.name {
                format!(
                    "Upgrade the source package {target} to {fix} or later (installed as {} {}).",
                    p.name, p.version
                )
            } else {
                format!("Upgrade {target} to {fix} or later.")
            }
        }
        (_, None) => format!(
            "No fixed version is known yet: watch the advisories ({}) and mitigate meanwhile.",
            f.advisory_ids.join(", ")
        ),
    }
}

fn notes(f: &Finding) -> String {
    let state = match (f.status, &f.fixed_version) {
        (Status::NotAffected, _) => "the distribution states it is not affected".to_string(),
        (Status::WillNotFix, _) => "the distribution will not fix it".to_string(),
        (_, Some(fix)) => format!("a fixed version exists: {fix}"),
        (_, None) => "no fixed version is known yet".to_string(),
    };
    let mut n = format!("caulk finding {}: ", f.key());
    if let Some(k) = &f.informational {
        n.push_str(&format!(
            "informational advisory ({k}), not a vulnerability report; "
        ));
    }
    n.push_str(&format!(
        "{state}; decision {} (score {})",
        f.priority.decision,
        score1(f.priority.score)
    ));
    if let Some(d) = &f.priority.due_date {
        n.push_str(&format!(", due {d}"));
        if f.priority.overdue {
            n.push_str(" (overdue)");
        }
    }
    if let Some(c) = &f.cvss {
        n.push_str(&format!(
            ", CVSS {} {}",
            c.version.as_str(),
            score1(c.score)
        ));
    }
    if let Some(k) = &f.kev {
        n.push_str(&format!(", in CISA KEV since {}", k.date_added));
    }
    if f.confidence.level != ConfidenceLevel::High && !f.confidence.reasons.is_empty() {
        n.push_str(&format!(
            ", confidence {}: {}",
            f.confidence.level.as_str(),
            f.confidence.reasons.join("; ")
        ));
    }
    if let Some(s) = &f.suppression
        && s.state == SuppressionState::Expired
    {
        n.push_str("; ");
        n.push_str(
            s.note
                .as_deref()
                .unwrap_or("the exception expired: the finding is active again"),
        );
    }
    n
}

fn statement(id: &str, purl: &str, group: &[&Finding]) -> Statement {
    // The most urgent finding decides; its siblings only add aliases.
    let st = group
        .iter()
        .map(|f| status(f))
        .max()
        .unwrap_or(VexStatus::Affected);
    let lead = group
        .iter()
        .copied()
        .find(|f| status(f) == st)
        .or_else(|| group.first().copied());
    let aliases: BTreeSet<String> = group
        .iter()
        .flat_map(|f| f.vulnerability.aliases.iter().cloned())
        .collect();
    let notes: BTreeSet<String> = group.iter().map(|f| notes(f)).collect();
    let (status, impact_statement, action_statement) = match (st, lead) {
        (VexStatus::NotAffected, Some(f)) => (
            "not_affected",
            Some(match exception_text(f).filter(|_| f.is_suppressed()) {
                Some(t) => format!("Not affected per {t}."),
                None => format!(
                    "The distribution ({}) states this package is not affected.",
                    f.package.ecosystem
                ),
            }),
            None,
        ),
        (VexStatus::UnderInvestigation, _) => ("under_investigation", None, None),
        (_, Some(f)) => ("affected", None, Some(action(f))),
        (_, None) => (
            "affected",
            None,
            Some("Upgrade to a fixed version.".to_string()),
        ),
    };
    Statement {
        vulnerability: Vulnerability {
            name: id.to_string(),
            aliases: aliases.into_iter().collect(),
            description: group
                .iter()
                .find_map(|f| f.summary.as_deref().map(str::to_string)),
        },
        products: vec![Product {
            id: purl.to_string(),
            identifiers: Identifiers {
                purl: purl.to_string(),
            },
        }],
        status,
        status_notes: Some(notes.into_iter().collect::<Vec<_>>().join(" | ")),
        impact_statement,
        action_statement,
    }
}

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> Result<String, ReportError> {
    let findings = sorted_findings(report);
    let mut groups: BTreeMap<(&str, String), Vec<&Finding>> = BTreeMap::new();
    for f in &findings {
        let (purl, _) = package_purl(&f.package);
        groups
            .entry((f.vulnerability.id.as_str(), purl))
            .or_default()
            .push(f);
    }
    let tool = if report.tool.name.is_empty() {
        "caulk"
    } else {
        report.tool.name.as_str()
    };
    let mut doc = Document {
        context: CONTEXT,
        id: String::new(),
        author: opts.author.clone().unwrap_or_else(|| tool.to_string()),
        timestamp: document_timestamp(report),
        version: 1,
        tooling: format!("{tool} {}", report.tool.version).trim().to_string(),
        statements: groups
            .iter()
            .map(|((id, purl), group)| statement(id, purl, group))
            .collect(),
    };
    let body = serde_json::to_vec(&doc).map_err(|source| ReportError::Json {
        format: Format::OpenVex,
        source,
    })?;
    doc.id = format!("urn:uuid:{}", content_uuid("openvex-0.2.0", &body));
    to_json(&doc, Format::OpenVex)
}
