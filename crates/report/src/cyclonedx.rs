//! CycloneDX 1.6 (JSON) as a VEX: the affected packages as components and every
//! vulnerability with its ratings, advisories, affected components and analysis.
//!
//! Components are the packages that have findings, one per package URL (`bom-ref` = the
//! purl; the inventory files it was read from are `evidence.occurrences`). The analysis
//! state maps as follows: an active exception → `not_affected` (the reason in `detail`:
//! exceptions carry free text, never one of CycloneDX's justification codes); a distro's
//! not-affected verdict → `not_affected`; a low-confidence match → `in_triage`; anything else
//! → `exploitable`, with response `update` when a fixed version exists and `will_not_fix`
//! for the distro verdict. `resolved` is never written: a finding is a vulnerable version
//! that is installed (our status `fixed` means a fix *exists*).
//!
//! Also here, so caulk writes CycloneDX in one place: [`inventory_bom`], an inventory as an
//! SBOM (no vulnerabilities).
//!
//! The trap: `analysis` belongs to the vulnerability entry, not to each `affects[]` item, so
//! findings of one vulnerability are grouped by their analysis and each group is its own
//! entry (same `id`), in (id, state) order.

use crate::common::{
    content_uuid, document_timestamp, exception_text, id_source, is_unregistered, osv_url,
    package_purl, score1, to_json, upgrade_name,
};
use crate::{Format, ReportError, sorted_findings};
use caulk_model::finding::{
    ConfidenceLevel, CvssVersion, Decision, Finding, ScanReport, Status, SuppressionState,
};
use caulk_model::inventory::Inventory;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Property {
    name: String,
    value: String,
}

fn prop(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: name.to_string(),
        value: value.into(),
    }
}

#[derive(Serialize)]
struct Component {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
}

#[derive(Serialize)]
struct Evidence {
    occurrences: Vec<Occurrence>,
}

#[derive(Serialize)]
struct Occurrence {
    location: String,
}

#[derive(Serialize)]
struct Vulnerability {
    id: String,
    source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    analysis: Analysis,
    affects: Vec<Affects>,
    properties: Vec<Property>,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Source {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

fn source_of(id: &str) -> Source {
    let (name, url) = id_source(id);
    Source {
        name: name.to_string(),
        url,
    }
}

#[derive(Serialize)]
struct Reference {
    id: String,
    source: Source,
}

#[derive(Serialize)]
struct Rating {
    source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
    /// A vendor's rating in words: whose scale and the word (`Ubuntu priority: medium`).
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
}

#[derive(Serialize)]
struct Advisory {
    title: String,
    url: String,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Analysis {
    state: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<&'static str>,
    detail: String,
}

#[derive(Serialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

fn method(v: CvssVersion) -> &'static str {
    match v {
        CvssVersion::V2 => "CVSSv2",
        CvssVersion::V3_0 => "CVSSv3",
        CvssVersion::V3_1 => "CVSSv31",
        CvssVersion::V4 => "CVSSv4",
    }
}

/// The analysis of one finding (see the module docs for the mapping).
fn analysis(f: &Finding) -> Analysis {
    let expired_note = match &f.suppression {
        Some(s) if s.state == SuppressionState::Expired => Some(
            s.note
                .clone()
                .unwrap_or_else(|| format!("exception #{} expired", s.exception)),
        ),
        _ => None,
    };
    let with_note = |d: String| match &expired_note {
        Some(n) => format!("{d}; {n}"),
        None => d,
    };
    if f.is_suppressed() {
        return Analysis {
            state: "not_affected",
            response: Vec::new(),
            detail: format!(
                "Suppressed by {}",
                exception_text(f).unwrap_or_else(|| "an exception".to_string())
            ),
        };
    }
    if f.status == Status::NotAffected {
        return Analysis {
            state: "not_affected",
            response: Vec::new(),
            detail: format!(
                "The distribution ({}) states this package is not affected",
                f.package.ecosystem
            ),
        };
    }
    if f.confidence.level == ConfidenceLevel::Low {
        let mut d = String::from("Low-confidence match");
        if !f.confidence.reasons.is_empty() {
            d.push_str(": ");
            d.push_str(&f.confidence.reasons.join("; "));
        }
        return Analysis {
            state: "in_triage",
            response: Vec::new(),
            detail: with_note(d),
        };
    }
    match f.status {
        Status::WillNotFix => Analysis {
            state: "exploitable",
            response: vec!["will_not_fix"],
            detail: with_note(format!(
                "The installed version is affected and the distribution ({}) will not fix it",
                f.package.ecosystem
            )),
        },
        _ if f.fixed_version.is_some() => Analysis {
            state: "exploitable",
            response: vec!["update"],
            detail: with_note(
                "The installed version is affected; a fixed version is available".to_string(),
            ),
        },
        _ => Analysis {
            state: "exploitable",
            response: Vec::new(),
            detail: with_note(
                "The installed version is affected; no fixed version is known yet".to_string(),
            ),
        },
    }
}

fn component_type(report: &ScanReport) -> &'static str {
    if report.target.host.os.is_some() {
        "operating-system"
    } else {
        "application"
    }
}

fn metadata(report: &ScanReport) -> Metadata {
    let host = &report.target.host;
    let os = host.os.as_ref();
    let name = host
        .hostname
        .clone()
        .or_else(|| report.target.path.clone())
        .or_else(|| os.and_then(|o| o.pretty_name.clone()))
        .unwrap_or_else(|| report.target.kind.as_str().to_string());
    let mut properties = vec![
        prop("caulk:format_version", report.format_version.to_string()),
        prop("caulk:today", report.today.to_string()),
        prop("caulk:target.kind", report.target.kind.as_str()),
        prop("caulk:database", report.database.path.clone()),
        prop(
            "caulk:policy.decision_table",
            report.policy.decision_table.clone(),
        ),
        prop(
            "caulk:policy.criticality",
            report.policy.criticality.as_str(),
        ),
        prop("caulk:policy.exposure", report.policy.exposure.as_str()),
    ];
    if let Some(p) = &report.target.path {
        properties.push(prop("caulk:target.path", p.clone()));
    }
    if let Some(e) = os.and_then(|o| o.ecosystem.clone()) {
        properties.push(prop("caulk:target.ecosystem", e));
    }
    properties.sort();
    Metadata {
        timestamp: document_timestamp(report),
        tools: Tools {
            components: vec![Component {
                ty: "application",
                bom_ref: None,
                name: if report.tool.name.is_empty() {
                    "caulk".to_string()
                } else {
                    report.tool.name.clone()
                },
                version: Some(report.tool.version.clone()).filter(|v| !v.is_empty()),
                description: None,
                purl: None,
                properties: Vec::new(),
                evidence: None,
            }],
        },
        component: Component {
            ty: component_type(report),
            bom_ref: Some("caulk:target".to_string()),
            name,
            version: os.and_then(|o| o.version_id.clone()),
            description: os.and_then(|o| o.pretty_name.clone()),
            purl: None,
            properties: Vec::new(),
            evidence: None,
        },
        properties,
    }
}

/// One component per package URL, from every finding that names it.
fn components(findings: &[&Finding]) -> Vec<Component> {
    struct Acc<'a> {
        first: &'a Finding,
        derived: bool,
        files: BTreeSet<&'a str>,
    }
    let mut by_purl: BTreeMap<String, Acc> = BTreeMap::new();
    for f in findings {
        let (purl, derived) = package_purl(&f.package);
        let acc = by_purl.entry(purl).or_insert(Acc {
            first: f,
            derived,
            files: BTreeSet::new(),
        });
        if let Some(file) = &f.package.file {
            acc.files.insert(file);
        }
    }
    by_purl
        .into_iter()
        .map(|(purl, acc)| {
            let p = &acc.first.package;
            let mut properties = vec![prop("caulk:ecosystem", p.ecosystem.clone())];
            if let Some(s) = &p.source_name {
                properties.push(prop("caulk:source_name", s.clone()));
            }
            if let Some(s) = &p.source_version {
                properties.push(prop("caulk:source_version", s.clone()));
            }
            if let Some(a) = &p.arch {
                properties.push(prop("caulk:arch", a.clone()));
            }
            properties.push(prop(
                "caulk:purl_origin",
                if acc.derived { "derived" } else { "inventory" },
            ));
            Component {
                ty: "library",
                bom_ref: Some(purl.clone()),
                name: p.name.clone(),
                version: Some(p.version.clone()),
                description: None,
                purl: Some(purl),
                properties,
                evidence: (!acc.files.is_empty()).then(|| Evidence {
                    occurrences: acc
                        .files
                        .iter()
                        .map(|f| Occurrence {
                            location: f.to_string(),
                        })
                        .collect(),
                }),
            }
        })
        .collect()
}

fn vulnerability(id: &str, an: Analysis, group: &[&Finding]) -> Vulnerability {
    let aliases: BTreeSet<&str> = group
        .iter()
        .flat_map(|f| f.vulnerability.aliases.iter().map(String::as_str))
        .collect();
    let advisory_ids: BTreeSet<&str> = group
        .iter()
        .flat_map(|f| f.advisory_ids.iter().map(String::as_str))
        .collect();

    // Ratings: each distinct CVSS of the group.
    let mut ratings: BTreeMap<(String, String, String), Rating> = BTreeMap::new();
    for c in group.iter().filter_map(|f| f.cvss.as_ref()) {
        ratings
            .entry((c.source.clone(), c.vector.clone(), score1(c.score)))
            .or_insert_with(|| Rating {
                source: Source {
                    name: c.source.clone(),
                    url: None,
                },
                score: Some(c.score),
                severity: c.severity.as_str(),
                method: method(c.version),
                vector: Some(c.vector.clone()),
                justification: None,
            });
    }
    // And each distinct vendor rating in words (no score: `method` other).
    for v in group.iter().filter_map(|f| f.vendor_severity.as_ref()) {
        ratings
            .entry((v.source.clone(), v.kind.clone(), v.label.clone()))
            .or_insert_with(|| Rating {
                source: Source {
                    name: v.source.clone(),
                    url: None,
                },
                score: None,
                severity: v.severity.as_str(),
                method: "other",
                vector: None,
                justification: Some(format!("{}: {}", v.kind, v.label)),
            });
    }

    // Affects: one per component, the installed version and, when known, the fixed one.
    let mut affects: BTreeMap<String, BTreeSet<AffectedVersion>> = BTreeMap::new();
    for f in group {
        let (purl, _) = package_purl(&f.package);
        let status = match (an.state, f.status) {
            (_, Status::NotAffected) => "unaffected",
            ("in_triage", _) => "unknown",
            _ => "affected",
        };
        let versions = affects.entry(purl).or_default();
        versions.insert(AffectedVersion {
            version: f.package.version.clone(),
            status,
        });
        if let Some(fix) = &f.fixed_version {
            // A distro's fixed version is a source version; for binaries built from the
            // source it is also the binary version that fixes it.
            versions.insert(AffectedVersion {
                version: fix.to_string(),
                status: "unaffected",
            });
        }
    }

    // Recommendation: the upgrades that fix the exploitable findings of the group.
    let mut upgrades: BTreeMap<(String, String, String, String), BTreeSet<&str>> = BTreeMap::new();
    if an.state != "not_affected" {
        for f in group {
            if let Some(fix) = &f.fixed_version {
                upgrades
                    .entry((
                        upgrade_name(&f.package).to_string(),
                        f.package.ecosystem.clone(),
                        f.package
                            .source_version
                            .clone()
                            .unwrap_or_else(|| f.package.version.clone()),
                        fix.to_string(),
                    ))
                    .or_default()
                    .insert(&f.package.name);
            }
        }
    }
    let recommendation = (!upgrades.is_empty()).then(|| {
        upgrades
            .iter()
            .map(|((name, eco, from, to), bins)| {
                let mut s = format!("Upgrade {name} ({eco}) from {from} to {to}");
                if bins.iter().any(|b| b != name) {
                    let bins: Vec<&str> = bins.iter().copied().collect();
                    s.push_str(&format!(" (installed binaries: {})", bins.join(", ")));
                }
                s
            })
            .collect::<Vec<_>>()
            .join("; ")
            + "."
    });

    let mut properties = Vec::new();
    let decision = group
        .iter()
        .map(|f| f.priority.decision)
        .max()
        .unwrap_or(Decision::Defer);
    let score = group
        .iter()
        .map(|f| f.priority.score)
        .fold(0.0_f64, f64::max);
    properties.push(prop("caulk:priority.decision", decision.as_str()));
    properties.push(prop("caulk:priority.score", score1(score)));
    if let Some(d) = group.iter().filter_map(|f| f.priority.due_date).min() {
        properties.push(prop("caulk:priority.due_date", d.to_string()));
    }
    if group.iter().any(|f| f.priority.overdue) {
        properties.push(prop("caulk:priority.overdue", "true"));
    }
    if let Some(k) = group.iter().find_map(|f| f.kev.as_ref()) {
        properties.push(prop("caulk:kev.date_added", k.date_added.clone()));
        properties.push(prop("caulk:kev.due_date", k.due_date.clone()));
        properties.push(prop(
            "caulk:kev.known_ransomware_campaign_use",
            k.known_ransomware_campaign_use.clone(),
        ));
    }
    if let Some(e) = group
        .iter()
        .filter_map(|f| f.epss.as_ref())
        .max_by(|a, b| a.score.total_cmp(&b.score))
    {
        properties.push(prop("caulk:epss.score", format!("{:.5}", e.score)));
        properties.push(prop(
            "caulk:epss.percentile",
            format!("{:.5}", e.percentile),
        ));
        if let Some(d) = &e.date {
            properties.push(prop("caulk:epss.date", d.clone()));
        }
    }
    properties.push(prop(
        "caulk:advisory_ids",
        advisory_ids.iter().copied().collect::<Vec<_>>().join(" "),
    ));
    let statuses: BTreeSet<&str> = group.iter().map(|f| f.status.as_str()).collect();
    properties.push(prop(
        "caulk:status",
        statuses.into_iter().collect::<Vec<_>>().join(" "),
    ));
    // Findings from informational advisories only (unmaintained, unsound, notice): the
    // kinds, when every finding of the entry is one.
    if let Some(kinds) = group
        .iter()
        .map(|f| f.informational.as_deref())
        .collect::<Option<BTreeSet<&str>>>()
        .filter(|k| !k.is_empty())
    {
        properties.push(prop(
            "caulk:informational",
            kinds.into_iter().collect::<Vec<_>>().join(" "),
        ));
    }
    properties.sort();

    Vulnerability {
        id: id.to_string(),
        source: source_of(id),
        references: aliases
            .iter()
            .map(|a| Reference {
                id: a.to_string(),
                source: source_of(a),
            })
            .collect(),
        ratings: ratings.into_values().collect(),
        description: group
            .iter()
            .find_map(|f| f.summary.as_deref().map(str::to_string)),
        recommendation,
        advisories: advisory_ids
            .iter()
            .filter(|a| !is_unregistered(a))
            .map(|a| Advisory {
                title: a.to_string(),
                url: osv_url(a),
            })
            .collect(),
        analysis: an,
        affects: affects
            .into_iter()
            .map(|(reference, versions)| Affects {
                reference,
                versions: versions.into_iter().collect(),
            })
            .collect(),
        properties,
    }
}

pub(crate) fn render(report: &ScanReport) -> Result<String, ReportError> {
    let findings = sorted_findings(report);
    let mut groups: BTreeMap<(&str, Analysis), Vec<&Finding>> = BTreeMap::new();
    for f in &findings {
        groups
            .entry((f.vulnerability.id.as_str(), analysis(f)))
            .or_default()
            .push(f);
    }
    let mut bom = Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: None,
        version: 1,
        metadata: metadata(report),
        components: components(&findings),
        vulnerabilities: groups
            .into_iter()
            .map(|((id, an), group)| vulnerability(id, an, &group))
            .collect(),
    };
    // The serial number names this content: render without it, hash, then set it.
    let body = serde_json::to_vec(&bom).map_err(|source| ReportError::Json {
        format: Format::CycloneDx,
        source,
    })?;
    bom.serial_number = Some(format!("urn:uuid:{}", content_uuid("cyclonedx-1.6", &body)));
    to_json(&bom, Format::CycloneDx)
}

/// An inventory as a CycloneDX 1.6 JSON SBOM (`caulk inventory --format cyclonedx`): one
/// component per package, with its purl; the host's OS as an `operating-system` component.
/// Deterministic: components follow the inventory's order and carry no timestamps or random
/// serial numbers.
pub fn inventory_bom(inv: &Inventory) -> Value {
    let mut components = Vec::new();
    if let Some(os) = &inv.host.os {
        components.push(json!({
            "type": "operating-system",
            "bom-ref": "os",
            "name": os.id.clone().unwrap_or_default(),
            "version": os.version_id.clone().unwrap_or_default(),
            "description": os.pretty_name.clone().unwrap_or_default(),
            "properties": [{"name": "caulk:ecosystem", "value": os.ecosystem.clone().unwrap_or_default()}],
        }));
    }
    for (i, p) in inv.packages.iter().enumerate() {
        let mut props = vec![
            json!({"name": "caulk:ecosystem", "value": p.ecosystem}),
            json!({"name": "caulk:file", "value": p.file}),
        ];
        if let Some(a) = &p.arch {
            props.push(json!({"name": "caulk:arch", "value": a}));
        }
        if let Some(s) = &p.source_name {
            props.push(json!({"name": "caulk:source_name", "value": s}));
        }
        if let Some(s) = &p.source_version {
            props.push(json!({"name": "caulk:source_version", "value": s}));
        }
        let mut c = json!({
            "type": "library",
            "bom-ref": format!("pkg-{}", i + 1),
            "name": p.name,
            "version": p.version,
            "properties": props,
        });
        if let Some(u) = &p.purl {
            c["purl"] = json!(u);
        }
        if let Some(v) = &p.vendor {
            c["publisher"] = json!(v);
        }
        components.push(c);
    }
    let mut meta = json!({
        "tools": {"components": [{"type": "application", "name": "caulk", "version": env!("CARGO_PKG_VERSION")}]},
    });
    if let Some(h) = &inv.host.hostname {
        meta["component"] = json!({"type": "device", "bom-ref": "host", "name": h});
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": meta,
        "components": components,
    })
}
