//! SARIF 2.1.0, shaped for GitHub code scanning: one rule per vulnerability, one result per
//! finding, located at the inventory file the package was read from.
//!
//! The trap: SARIF's `level` describes how bad a result is for a *code* analyser; GitHub
//! ranks security results by the rule's `security-severity` (a CVSS score as a string) and
//! ignores `level` when that is present. We put the decision in `level` (act-now and
//! out-of-cycle → `error`, scheduled → `warning`, defer → `note`), the CVSS score in
//! `security-severity`, and our composite score in `rank` (SARIF's own 0–100 priority).
//! A distro's not-affected verdict is a `pass` result (level `none`). GitHub also requires a
//! `region.startLine`, which an inventory file has no meaningful value for: we say line 1.
//!
//! Locations: inventory paths of a `--root` scan name files *inside* the root, so they are
//! written relative to `%SRCROOT%` (defined as the root's `file:` URI when the root path is
//! absolute), as are paths under a `--path` directory; other absolute paths (a live host)
//! are `file:///` URIs.

use crate::common::{
    exception_text, file_uri, id_source, package_label, score1, to_json, upgrade_name,
};
use crate::{Format, ReportError, sorted_findings};
use caulk_model::finding::{
    ConfidenceLevel, Decision, Finding, ScanReport, Status, SuppressionState, TargetKind,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<String, ArtifactLocation>,
    results: Vec<SarifResult>,
    properties: Value,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    version: String,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: Value,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time_utc: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    properties: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    rank: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

/// The base id relative inventory paths (lockfiles under `--path DIR`) resolve against.
const SRCROOT: &str = "%SRCROOT%";

/// Our decision as a SARIF level (see the module docs for why not the severity).
fn level(f: &Finding) -> &'static str {
    if f.status == Status::NotAffected {
        return "none";
    }
    match f.priority.decision {
        Decision::ActNow | Decision::OutOfCycle => "error",
        Decision::Scheduled => "warning",
        Decision::Defer => "note",
    }
}

fn level_rank(l: &str) -> u8 {
    match l {
        "error" => 3,
        "warning" => 2,
        "note" => 1,
        _ => 0,
    }
}

/// Where inventory paths of this report resolve: the root of a `--root` scan or the
/// directory of a `--path` scan (its `file:` URI when the path is absolute).
fn base_dir(report: &ScanReport) -> Option<&str> {
    match report.target.kind {
        TargetKind::Root | TargetKind::Path => report.target.path.as_deref(),
        _ => None,
    }
}

/// A file of the report as a SARIF artifact location. Paths under the scanned directory and
/// every path of a `--root` scan (they name files inside the root: `/var/lib/dpkg/status` of
/// an image is not the host's) are relative to `%SRCROOT%`; other absolute paths are
/// `file:///` URIs.
fn physical(report: &ScanReport, path: &str) -> PhysicalLocation {
    let base = base_dir(report).map(|b| b.trim_end_matches('/'));
    let inside = base
        .filter(|b| !b.is_empty())
        .and_then(|b| path.strip_prefix(b))
        .and_then(|rest| rest.strip_prefix('/'));
    let relative = match inside {
        Some(rest) => Some(rest),
        None if report.target.kind == TargetKind::Root => Some(path.trim_start_matches('/')),
        None => None,
    };
    let (uri, absolute) = match relative {
        Some(rest) => (file_uri(rest).0, false),
        None => file_uri(path),
    };
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri,
            uri_base_id: (!absolute).then_some(SRCROOT),
        },
        region: Region { start_line: 1 },
    }
}

fn result_message(f: &Finding) -> String {
    let mut m = format!(
        "{} is affected by {}",
        package_label(&f.package),
        f.vulnerability.id
    );
    if let Some(c) = &f.cvss {
        m.push_str(&format!(
            " (CVSS {} {} {})",
            c.version.as_str(),
            score1(c.score),
            c.severity.as_str()
        ));
    }
    match (f.status, &f.fixed_version) {
        (Status::NotAffected, _) => {
            m = format!(
                "{}: the distribution states it is not affected by {}",
                package_label(&f.package),
                f.vulnerability.id
            );
        }
        (Status::WillNotFix, _) => m.push_str(": the distribution will not fix it"),
        (_, Some(fix)) => m.push_str(&format!(
            ": upgrade {} {} → {}",
            upgrade_name(&f.package),
            f.package
                .source_version
                .as_deref()
                .unwrap_or(&f.package.version),
            fix
        )),
        (_, None) => m.push_str(": no fixed version is known yet"),
    }
    m.push_str(&format!(
        ". Decision {} (score {})",
        f.priority.decision,
        score1(f.priority.score)
    ));
    if let Some(d) = &f.priority.due_date {
        m.push_str(&format!(", due {d}"));
        if f.priority.overdue {
            m.push_str(" (overdue)");
        }
    }
    m.push('.');
    if !f.priority.reasons.is_empty() {
        m.push_str(" Reasons: ");
        m.push_str(&f.priority.reasons.join("; "));
        m.push('.');
    }
    if let Some(s) = &f.suppression {
        match s.state {
            SuppressionState::Suppressed => {
                if let Some(t) = exception_text(f) {
                    m.push_str(&format!(" Suppressed by {t}."));
                }
            }
            SuppressionState::Expired => {
                let note = s
                    .note
                    .clone()
                    .unwrap_or_else(|| format!("exception #{} expired", s.exception));
                m.push_str(&format!(" Note: {note}."));
            }
        }
    }
    m
}

fn result_properties(f: &Finding) -> Value {
    let p = &f.package;
    json!({
        "package": {
            "name": p.name,
            "version": p.version,
            "ecosystem": p.ecosystem,
            "sourceName": p.source_name,
            "sourceVersion": p.source_version,
            "purl": p.purl,
            "file": p.file,
        },
        "aliases": f.vulnerability.aliases,
        "advisoryIds": f.advisory_ids,
        "informational": f.informational,
        "severitySource": f.severity_source.map(|s| s.as_str()),
        "vendorSeverity": f.vendor_severity.as_ref().map(|v| json!({
            "severity": v.severity.as_str(),
            "label": v.label,
            "kind": v.kind,
            "source": v.source,
        })),
        "status": f.status.as_str(),
        "fixedVersion": f.fixed_version,
        "severity": f.severity.as_str(),
        "cvss": f.cvss.as_ref().map(|c| json!({
            "version": c.version.as_str(),
            "vector": c.vector,
            "score": c.score,
            "source": c.source,
        })),
        "epss": f.epss.as_ref().map(|e| json!({
            "score": e.score,
            "percentile": e.percentile,
            "date": e.date,
        })),
        "kev": f.kev.as_ref().map(|k| json!({
            "dateAdded": k.date_added,
            "dueDate": k.due_date,
            "knownRansomwareCampaignUse": k.known_ransomware_campaign_use,
        })),
        "priority": {
            "score": f.priority.score,
            "decision": f.priority.decision.as_str(),
            "dueDate": f.priority.due_date,
            "dueDateOrigin": f.priority.due_date_origin,
            "overdue": f.priority.overdue,
            "reasons": f.priority.reasons,
        },
        "confidence": f.confidence.level.as_str(),
        "remediation": f.remediation,
        "provenance": f.provenance.iter().map(|pr| format!(
            "{} ({}, {} {} by {}): {}",
            pr.advisory, pr.feed, pr.ecosystem, pr.matched_name, pr.matched_by.as_str(), pr.range
        )).collect::<Vec<_>>(),
        "exception": f.suppression.as_ref().map(|s| json!({
            "state": match s.state {
                SuppressionState::Suppressed => "suppressed",
                SuppressionState::Expired => "expired",
            },
            "index": s.exception,
            "reason": s.reason,
            "owner": s.owner,
            "expires": s.expires,
            "note": s.note,
        })),
    })
}

/// What the rule of one vulnerability says, from every finding of it.
fn rule(id: &str, findings: &[&Finding]) -> Rule {
    let summary = findings.iter().find_map(|f| f.summary.clone());
    let aliases: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| f.vulnerability.aliases.iter().map(String::as_str))
        .collect();
    let advisories: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| f.advisory_ids.iter().map(String::as_str))
        .collect();
    // The highest CVSS among the findings (the best score can differ per matching advisory).
    let cvss = findings
        .iter()
        .filter_map(|f| f.cvss.as_ref())
        .max_by(|a, b| a.score.total_cmp(&b.score));
    let kev = findings.iter().find_map(|f| f.kev.as_ref());
    let epss = findings
        .iter()
        .filter_map(|f| f.epss.as_ref())
        .max_by(|a, b| a.score.total_cmp(&b.score));
    let default_level = findings
        .iter()
        .map(|f| level(f))
        .max_by_key(|l| level_rank(l))
        .unwrap_or("warning");
    let confidence = findings
        .iter()
        .map(|f| f.confidence.level)
        .max()
        .unwrap_or(ConfidenceLevel::High);
    // Per package to upgrade: installed → fixed.
    let fixes: BTreeSet<(String, String, String, String)> = findings
        .iter()
        .map(|f| {
            (
                upgrade_name(&f.package).to_string(),
                f.package.ecosystem.clone(),
                f.package
                    .source_version
                    .clone()
                    .unwrap_or_else(|| f.package.version.clone()),
                match (f.status, &f.fixed_version) {
                    (Status::NotAffected, _) => "not affected (distribution)".to_string(),
                    (Status::WillNotFix, _) => "will not be fixed (distribution)".to_string(),
                    (_, Some(v)) => v.to_string(),
                    (_, None) => "no fix known yet".to_string(),
                },
            )
        })
        .collect();

    let title = match &summary {
        Some(s) => format!("{id}: {s}"),
        None => format!("{id} in an installed package"),
    };
    let mut full = title.clone();
    if !aliases.is_empty() {
        full.push_str(&format!(
            ". Also known as {}",
            aliases.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    full.push('.');

    // Informational advisories (unmaintained, unsound, notice) are not vulnerability reports:
    // a rule all of whose findings come from them says so and is tagged with the kinds
    // instead of `vulnerability`, so code scanning can filter them as cargo-audit's warnings.
    let informational: Option<BTreeSet<&str>> = findings
        .iter()
        .map(|f| f.informational.as_deref())
        .collect::<Option<BTreeSet<&str>>>()
        .filter(|k| !k.is_empty());

    let mut text = Vec::new();
    let mut md = Vec::new();
    md.push(format!(
        "**{}**{}",
        md_escape(id),
        summary
            .as_deref()
            .map(|s| format!(" — {}", md_escape(s)))
            .unwrap_or_default()
    ));
    text.push(title.clone());
    if let Some(kinds) = &informational {
        let t = format!(
            "Informational advisory ({}): the advisory database does not report a vulnerability; cargo-audit shows it as a warning",
            kinds.iter().copied().collect::<Vec<_>>().join(", ")
        );
        md.push(md_escape(&t));
        text.push(t);
    }
    if !aliases.is_empty() {
        let a = aliases.iter().copied().collect::<Vec<_>>().join(", ");
        text.push(format!("Also known as: {a}"));
        md.push(format!("Also known as: {}", md_escape(&a)));
    }
    if !advisories.is_empty() {
        let a = advisories.iter().copied().collect::<Vec<_>>().join(", ");
        text.push(format!("Advisories: {a}"));
        md.push(format!("Advisories: {}", md_escape(&a)));
    }
    if let Some(c) = cvss {
        let t = format!(
            "CVSS {} {} ({}), {} from {}",
            c.version.as_str(),
            score1(c.score),
            c.severity.as_str(),
            c.vector,
            c.source
        );
        md.push(md_escape(&t));
        text.push(t);
    }
    if let Some(k) = kev {
        let t = format!(
            "In CISA KEV since {} (due {}, ransomware use: {}){}",
            k.date_added,
            k.due_date,
            k.known_ransomware_campaign_use,
            if k.required_action.is_empty() {
                String::new()
            } else {
                format!(": {}", k.required_action)
            }
        );
        md.push(md_escape(&t));
        text.push(t);
    }
    if let Some(e) = epss {
        let t = format!("EPSS {:.3} (percentile {:.3})", e.score, e.percentile);
        md.push(md_escape(&t));
        text.push(t);
    }
    for (name, eco, installed, fix) in &fixes {
        text.push(format!(
            "{name} ({eco}): installed {installed}, fixed version: {fix}"
        ));
    }
    let mut table =
        String::from("| package | ecosystem | installed | fixed version |\n|---|---|---|---|");
    for (name, eco, installed, fix) in &fixes {
        table.push_str(&format!(
            "\n| {} | {} | {} | {} |",
            md_escape(name),
            md_escape(eco),
            md_escape(installed),
            md_escape(fix)
        ));
    }
    md.push(table);

    let mut tags = vec!["security"];
    match &informational {
        Some(kinds) => {
            tags.push("informational");
            tags.extend(kinds.iter().copied());
        }
        None => tags.push("vulnerability"),
    }
    if kev.is_some() {
        tags.push("kev");
    }
    let mut props = serde_json::Map::new();
    props.insert("tags".into(), json!(tags));
    props.insert(
        "precision".into(),
        json!(match confidence {
            ConfidenceLevel::High => "high",
            ConfidenceLevel::Medium => "medium",
            ConfidenceLevel::Low => "low",
        }),
    );
    if let Some(c) = cvss {
        // GitHub reads this (a string, 0.0–10.0) to rank the alert critical/high/medium/low.
        props.insert("security-severity".into(), json!(score1(c.score)));
    }
    props.insert("aliases".into(), json!(aliases));
    props.insert("advisoryIds".into(), json!(advisories));

    Rule {
        id: id.to_string(),
        short_description: Message { text: title },
        full_description: Message { text: full },
        help: MultiformatMessage {
            text: text.join("\n"),
            markdown: md.join("\n\n"),
        },
        help_uri: id_source(id).1,
        default_configuration: Configuration {
            level: default_level,
        },
        properties: Value::Object(props),
    }
}

/// Escape what Markdown would interpret in help text.
fn md_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                o.push('\\');
                o.push(c);
            }
            '\n' | '\r' => o.push(' '),
            _ => o.push(c),
        }
    }
    o
}

pub(crate) fn render(report: &ScanReport) -> Result<String, ReportError> {
    let findings = sorted_findings(report);

    // Rules: one per vulnerability id, sorted by id.
    let mut by_vuln: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &findings {
        by_vuln
            .entry(f.vulnerability.id.as_str())
            .or_default()
            .push(f);
    }
    let rule_index: BTreeMap<&str, usize> =
        by_vuln.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rules: Vec<Rule> = by_vuln.iter().map(|(id, fs)| rule(id, fs)).collect();

    // A finding without a file points at the scanned document (SBOM or inventory file).
    let target_file = report
        .target
        .path
        .as_deref()
        .filter(|_| matches!(report.target.kind, TargetKind::Sbom | TargetKind::Inventory));
    let mut results = Vec::with_capacity(findings.len());
    for f in &findings {
        let physical_location = f
            .package
            .file
            .as_deref()
            .or(target_file)
            .map(|p| physical(report, p));
        let location = Location {
            physical_location,
            logical_locations: vec![LogicalLocation {
                name: f.package.name.clone(),
                fully_qualified_name: format!(
                    "{}/{}@{}",
                    f.package.ecosystem, f.package.name, f.package.version
                ),
                kind: "module",
            }],
        };
        let suppressions = match &f.suppression {
            Some(s) if s.state == SuppressionState::Suppressed => vec![Suppression {
                kind: "external",
                status: "accepted",
                justification: exception_text(f).unwrap_or_else(|| s.reason.clone()),
            }],
            _ => Vec::new(),
        };
        let mut fp = BTreeMap::new();
        fp.insert("caulkFindingKey/v1", f.key());
        results.push(SarifResult {
            rule_id: f.vulnerability.id.clone(),
            rule_index: rule_index
                .get(f.vulnerability.id.as_str())
                .copied()
                .unwrap_or(0),
            kind: (f.status == Status::NotAffected).then_some("pass"),
            level: level(f),
            message: Message {
                text: result_message(f),
            },
            locations: vec![location],
            partial_fingerprints: fp,
            rank: f.priority.score.clamp(0.0, 100.0),
            suppressions,
            properties: result_properties(f),
        });
    }

    let notifications = report
        .issues
        .iter()
        .map(|i| {
            let stage = serde_json::to_value(i.stage).unwrap_or(Value::Null);
            let kind = serde_json::to_value(i.kind).unwrap_or(Value::Null);
            let mut text = String::new();
            if let Some(file) = &i.file {
                text.push_str(file);
                text.push_str(": ");
            }
            if let Some(r) = &i.record {
                text.push_str(&format!("[{r}] "));
            }
            text.push_str(&i.reason);
            Notification {
                level: "warning",
                message: Message { text },
                locations: i
                    .file
                    .as_deref()
                    .map(|p| Location {
                        physical_location: Some(physical(report, p)),
                        logical_locations: Vec::new(),
                    })
                    .into_iter()
                    .collect(),
                properties: json!({ "stage": stage, "kind": kind, "record": i.record }),
            }
        })
        .collect();

    let mut original_uri_base_ids = BTreeMap::new();
    if let Some(root) = base_dir(report).filter(|p| p.starts_with('/')) {
        let (mut uri, _) = file_uri(root);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        original_uri_base_ids.insert(
            SRCROOT.to_string(),
            ArtifactLocation {
                uri,
                uri_base_id: None,
            },
        );
    }

    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: if report.tool.name.is_empty() {
                        "caulk".to_string()
                    } else {
                        report.tool.name.clone()
                    },
                    version: report.tool.version.clone(),
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                start_time_utc: report.generated_at.clone(),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids,
            results,
            properties: json!({
                "caulk": {
                    "formatVersion": report.format_version,
                    "today": report.today,
                    "target": {
                        "kind": report.target.kind.as_str(),
                        "path": report.target.path,
                        "hostname": report.target.host.hostname,
                        "os": report.target.host.os.as_ref().and_then(|o| o.pretty_name.clone()),
                        "ecosystem": report.target.host.os.as_ref().and_then(|o| o.ecosystem.clone()),
                    },
                    "database": report.database.path,
                    "decisionTable": report.policy.decision_table,
                    "summary": report.summary,
                }
            }),
        }],
    };
    to_json(&log, Format::Sarif)
}
