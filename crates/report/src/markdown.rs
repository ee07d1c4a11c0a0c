//! Markdown: the report a person reads (a ticket, a pull request, a wiki page) — summary
//! counts, the remediations ranked by decision, then risk removed, the findings no upgrade fixes, the
//! findings exceptions hide (with owner and expiry), and the issues of the scan.
//!
//! The trap: names, versions and advisory text are data, not markup. Identifiers go in code
//! spans and free text is escaped, so a summary containing `|`, `<script>` or `*` neither
//! breaks a table nor renders as HTML or emphasis.

use crate::common::{package_label, score1};
use crate::{Format, RenderOptions, ReportError, sorted_findings};
use caulk_model::finding::{Finding, ScanReport, Status, SuppressionState};
use std::fmt::Write;

/// Escape free text for a table cell or a line.
fn text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                o.push('\\');
                o.push(c);
            }
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\n' | '\r' => o.push(' '),
            _ => o.push(c),
        }
    }
    o
}

/// An identifier as a code span (`|` still needs escaping inside GFM tables; a backtick in
/// the value widens the fence).
fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn or_dash(s: Option<&str>) -> String {
    s.map(text).unwrap_or_else(|| "–".to_string())
}

struct Md {
    out: String,
}

impl Md {
    fn line(&mut self, s: impl AsRef<str>) -> Result<(), ReportError> {
        writeln!(self.out, "{}", s.as_ref()).map_err(|_| ReportError::Fmt {
            format: Format::Markdown,
        })
    }

    fn table(
        &mut self,
        head: &[&str],
        align: &str,
        rows: &[Vec<String>],
    ) -> Result<(), ReportError> {
        self.line(format!("| {} |", head.join(" | ")))?;
        let seps: Vec<&str> = align
            .chars()
            .map(|c| if c == 'r' { "---:" } else { "---" })
            .collect();
        self.line(format!("|{}|", seps.join("|")))?;
        for r in rows {
            self.line(format!("| {} |", r.join(" | ")))?;
        }
        self.line("")
    }
}

fn target_line(report: &ScanReport) -> String {
    let t = &report.target;
    let mut parts = vec![match &t.path {
        Some(p) => format!("{} {}", t.kind.as_str(), code(p)),
        None => t.kind.as_str().to_string(),
    }];
    if let Some(h) = &t.host.hostname {
        parts.push(format!("host {}", code(h)));
    }
    if let Some(os) = &t.host.os {
        if let Some(n) = os.pretty_name.as_deref().or(os.name.as_deref()) {
            parts.push(text(n));
        }
        if let Some(e) = &os.ecosystem {
            parts.push(code(e));
        }
    }
    parts.push(format!("{} packages", t.packages));
    parts.join(" · ")
}

fn finding_pkg(f: &Finding) -> String {
    code(&package_label(&f.package))
}

/// The vulnerability id of a finding, and its kind when it comes only from informational
/// advisories (unmaintained, unsound, notice): those are not vulnerability reports.
fn vuln(f: &Finding) -> String {
    match &f.informational {
        Some(k) => format!("{} (informational: {})", code(&f.vulnerability.id), text(k)),
        None => code(&f.vulnerability.id),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "" }
}

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> Result<String, ReportError> {
    let mut md = Md { out: String::new() };
    let s = &report.summary;
    let findings = sorted_findings(report);

    md.line("# caulk scan report")?;
    md.line("")?;
    md.line(format!("- **Target:** {}", target_line(report)))?;
    let feeds: Vec<String> = report
        .database
        .feeds
        .iter()
        .map(|f| match f.age_days {
            Some(d) => format!("{} ({} d)", code(&f.feed), d),
            None => code(&f.feed),
        })
        .collect();
    md.line(format!(
        "- **Database:** {}{}",
        code(&report.database.path),
        if feeds.is_empty() {
            String::new()
        } else {
            format!(" · feeds {}", feeds.join(", "))
        }
    ))?;
    let p = &report.policy;
    md.line(format!(
        "- **Policy:** {} · criticality {} · exposure {} ({}) · SLA clock {}",
        code(&p.decision_table),
        p.criticality.as_str(),
        p.exposure.as_str(),
        text(&p.context_source),
        p.sla_clock.as_str()
    ))?;
    md.line(format!(
        "- **As of:** {}{}",
        report.today,
        report
            .generated_at
            .as_deref()
            .map(|g| format!(" (generated {})", text(g)))
            .unwrap_or_default()
    ))?;
    md.line("")?;

    md.line("## Summary")?;
    md.line("")?;
    let by_d = &s.by_decision;
    let by_sev = &s.by_severity;
    let by_st = &s.by_status;
    let installable = if s.installability_checked {
        format!("{} installable now", s.remediations_installable)
    } else {
        "installability not checked".to_string()
    };
    // Active findings from informational advisories, per kind: shown only when there are
    // some (most scans have none).
    let mut kinds: std::collections::BTreeMap<&str, u64> = Default::default();
    for f in findings.iter().filter(|f| !f.is_suppressed()) {
        if let Some(k) = f.informational.as_deref() {
            *kinds.entry(k).or_default() += 1;
        }
    }
    let informational_row = (!kinds.is_empty()).then(|| {
        vec![
            "from informational advisories (not vulnerabilities)".to_string(),
            format!(
                "{} ({})",
                kinds.values().sum::<u64>(),
                kinds
                    .iter()
                    .map(|(k, n)| format!("{} {n}", text(k)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            ),
        ]
    });
    md.table(
        &["", "count"],
        "lr",
        &[
            vec!["active findings".into(), s.findings.to_string()],
            vec!["vulnerabilities".into(), s.vulnerabilities.to_string()],
            vec![
                "packages affected".into(),
                format!("{} of {}", s.packages_affected, s.packages),
            ],
            vec![
                "act-now · out-of-cycle · scheduled · defer".into(),
                format!(
                    "{} · {} · {} · {}",
                    by_d.act_now, by_d.out_of_cycle, by_d.scheduled, by_d.defer
                ),
            ],
            vec![
                "critical · high · medium · low · none (CVSS 0.0) · unknown (nothing rates it)"
                    .into(),
                format!(
                    "{} · {} · {} · {} · {} · {}",
                    by_sev.critical,
                    by_sev.high,
                    by_sev.medium,
                    by_sev.low,
                    by_sev.none,
                    by_sev.unknown
                ),
            ],
            vec![
                "fixed · unfixed · will-not-fix · not-affected".into(),
                format!(
                    "{} · {} · {} · {}",
                    by_st.fixed, by_st.unfixed, by_st.will_not_fix, by_st.not_affected
                ),
            ],
        ]
        .into_iter()
        .chain(informational_row)
        .chain([
            vec!["in CISA KEV".into(), s.kev.to_string()],
            vec!["overdue".into(), s.overdue.to_string()],
            vec![
                "remediations".into(),
                format!("{} ({installable})", s.remediations),
            ],
            vec![
                "suppressed by exceptions".into(),
                format!(
                    "{} (expired, active again: {})",
                    report.suppressed.total, report.suppressed.expired
                ),
            ],
            vec!["scan issues".into(), s.issues.to_string()],
        ])
        .collect::<Vec<_>>(),
    )?;

    md.line(format!(
        "## Remediations ({}, ranked by decision, then risk removed)",
        report.remediations.len()
    ))?;
    md.line("")?;
    if report.remediations.is_empty() {
        md.line("No upgrade is needed: no active finding has a fixed version.")?;
        md.line("")?;
    } else {
        let rows: Vec<Vec<String>> = report
            .remediations
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let bins: Vec<String> = r.binaries.iter().map(|b| code(b)).collect();
                vec![
                    (i + 1).to_string(),
                    format!("{} ({})", code(&r.package), text(&r.ecosystem)),
                    bins.join(", "),
                    format!(
                        "{} → {}",
                        code(&r.installed_version),
                        code(&r.target_version)
                    ),
                    r.findings.to_string(),
                    r.kev_count.to_string(),
                    r.max_cvss.map(score1).unwrap_or_else(|| "–".into()),
                    r.decision.as_str().to_string(),
                    or_dash(r.due_date.map(|d| d.to_string()).as_deref()),
                    score1(r.risk_removed),
                    match &r.installable {
                        Some(c) => format!("{} from {}", code(&c.version), text(&c.origin)),
                        None if s.installability_checked => match &r.not_installable {
                            Some(why) => format!("not available: {}", text(why)),
                            None => "not available".into(),
                        },
                        None => "–".into(),
                    },
                ]
            })
            .collect();
        md.table(
            &[
                "#",
                "upgrade",
                "binaries",
                "installed → target",
                "fixes",
                "KEV",
                "max CVSS",
                "decision",
                "due",
                "risk removed",
                "installable",
            ],
            "rlllrrrllrl",
            &rows,
        )?;
        if opts.details {
            for (i, r) in report.remediations.iter().enumerate() {
                md.line(format!(
                    "### {}. {} → {}",
                    i + 1,
                    code(&r.package),
                    code(&r.target_version)
                ))?;
                md.line("")?;
                for f in findings
                    .iter()
                    .filter(|f| f.remediation.as_deref() == Some(&r.id))
                {
                    md.line(format!(
                        "- {} in {}: {}, {}{}{}",
                        vuln(f),
                        finding_pkg(f),
                        f.severity.as_str(),
                        f.priority.decision.as_str(),
                        f.priority
                            .due_date
                            .map(|d| format!(", due {d}"))
                            .unwrap_or_default(),
                        if f.kev.is_some() { ", **KEV**" } else { "" }
                    ))?;
                }
                if !r.files.is_empty() {
                    let files: Vec<String> = r.files.iter().map(|f| code(f)).collect();
                    md.line(format!("- files: {}", files.join(", ")))?;
                }
                md.line("")?;
            }
        }
    }

    let unfixed: Vec<&&Finding> = findings.iter().filter(|f| f.has_no_fix()).collect();
    md.line(format!("## Unfixed findings ({})", unfixed.len()))?;
    md.line("")?;
    if unfixed.is_empty() {
        md.line("None.")?;
        md.line("")?;
    } else {
        md.line(
            "No upgrade removes these yet: mitigate, accept with an exception, or wait for a fix.",
        )?;
        md.line("")?;
        let rows: Vec<Vec<String>> = unfixed
            .iter()
            .map(|f| {
                vec![
                    vuln(f),
                    finding_pkg(f),
                    f.status.as_str().to_string(),
                    f.severity.as_str().to_string(),
                    f.cvss
                        .as_ref()
                        .map(|c| score1(c.score))
                        .unwrap_or_else(|| "–".into()),
                    yes(f.kev.is_some()).to_string(),
                    f.priority.decision.as_str().to_string(),
                    or_dash(f.priority.due_date.map(|d| d.to_string()).as_deref()),
                    f.advisory_ids
                        .iter()
                        .map(|a| code(a))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        md.table(
            &[
                "vulnerability",
                "package",
                "status",
                "severity",
                "CVSS",
                "KEV",
                "decision",
                "due",
                "advisories",
            ],
            "lllllllll",
            &rows,
        )?;
    }

    let not_affected: Vec<&&Finding> = findings
        .iter()
        .filter(|f| !f.is_suppressed() && f.status == Status::NotAffected)
        .collect();
    if !not_affected.is_empty() {
        md.line(format!(
            "## Not affected per the distribution ({})",
            not_affected.len()
        ))?;
        md.line("")?;
        for f in &not_affected {
            let adv: Vec<String> = f.advisory_ids.iter().map(|a| code(a)).collect();
            md.line(format!(
                "- {} in {} ({})",
                vuln(f),
                finding_pkg(f),
                adv.join(", ")
            ))?;
        }
        md.line("")?;
    }

    if opts.details {
        let active: Vec<&&Finding> = findings.iter().filter(|f| !f.is_suppressed()).collect();
        md.line(format!("## All active findings ({})", active.len()))?;
        md.line("")?;
        let rows: Vec<Vec<String>> = active
            .iter()
            .map(|f| {
                vec![
                    vuln(f),
                    finding_pkg(f),
                    f.fixed_version
                        .as_deref()
                        .map(code)
                        .unwrap_or_else(|| "–".into()),
                    f.severity.as_str().to_string(),
                    yes(f.kev.is_some()).to_string(),
                    f.priority.decision.as_str().to_string(),
                    score1(f.priority.score),
                    or_dash(f.priority.due_date.map(|d| d.to_string()).as_deref()),
                    f.confidence.level.as_str().to_string(),
                ]
            })
            .collect();
        md.table(
            &[
                "vulnerability",
                "package",
                "fixed version",
                "severity",
                "KEV",
                "decision",
                "score",
                "due",
                "confidence",
            ],
            "llllllrll",
            &rows,
        )?;
    }

    let suppressed: Vec<&&Finding> = findings.iter().filter(|f| f.is_suppressed()).collect();
    md.line(format!(
        "## Suppressed by exceptions ({})",
        suppressed.len()
    ))?;
    md.line("")?;
    if suppressed.is_empty() {
        md.line("None.")?;
        md.line("")?;
    } else {
        let rows: Vec<Vec<String>> = suppressed
            .iter()
            .filter_map(|f| {
                let s = f.suppression.as_ref()?;
                Some(vec![
                    vuln(f),
                    finding_pkg(f),
                    f.severity.as_str().to_string(),
                    format!("#{}", s.exception),
                    text(&s.reason),
                    or_dash(s.owner.as_deref()),
                    s.expires
                        .as_deref()
                        .map(text)
                        .unwrap_or_else(|| "never".into()),
                ])
            })
            .collect();
        md.table(
            &[
                "vulnerability",
                "package",
                "severity",
                "exception",
                "reason",
                "owner",
                "expires",
            ],
            "lllllll",
            &rows,
        )?;
    }

    let expired: Vec<&&Finding> = findings
        .iter()
        .filter(|f| matches!(&f.suppression, Some(s) if s.state == SuppressionState::Expired))
        .collect();
    if !expired.is_empty() {
        md.line(format!(
            "## Expired exceptions: findings active again ({})",
            expired.len()
        ))?;
        md.line("")?;
        let rows: Vec<Vec<String>> = expired
            .iter()
            .filter_map(|f| {
                let s = f.suppression.as_ref()?;
                Some(vec![
                    vuln(f),
                    finding_pkg(f),
                    format!("#{}", s.exception),
                    text(&s.reason),
                    or_dash(s.owner.as_deref()),
                    or_dash(s.expires.as_deref()),
                ])
            })
            .collect();
        md.table(
            &[
                "vulnerability",
                "package",
                "exception",
                "reason",
                "owner",
                "expired",
            ],
            "llllll",
            &rows,
        )?;
    }

    let stale: Vec<String> = report
        .suppressed
        .by_exception
        .iter()
        .filter(|e| e.findings == 0)
        .map(|e| {
            let sel: Vec<String> = [e.vulnerability.as_deref(), e.package.as_deref()]
                .into_iter()
                .flatten()
                .map(code)
                .collect();
            format!(
                "- #{} ({}): {}{}",
                e.exception,
                sel.join(", "),
                text(&e.reason),
                if e.expired { " — expired" } else { "" }
            )
        })
        .collect();
    if !stale.is_empty() {
        md.line(format!(
            "## Exceptions that matched nothing ({})",
            stale.len()
        ))?;
        md.line("")?;
        for l in stale {
            md.line(l)?;
        }
        md.line("")?;
    }

    if !report.issues.is_empty() {
        md.line(format!(
            "## Scan issues ({}; the scan went on)",
            report.issues.len()
        ))?;
        md.line("")?;
        for i in &report.issues {
            let stage = serde_json::to_value(i.stage)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let kind = serde_json::to_value(i.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let mut l = format!("- {stage}/{kind}");
            if let Some(f) = &i.file {
                l.push_str(&format!(" {}", code(f)));
            }
            if let Some(r) = &i.record {
                l.push_str(&format!(" [{}]", code(r)));
            }
            l.push_str(&format!(": {}", text(&i.reason)));
            md.line(l)?;
        }
        md.line("")?;
    }

    // One trailing newline, not two.
    while md.out.ends_with("\n\n") {
        md.out.pop();
    }
    Ok(md.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_not_markup() {
        assert_eq!(text("a|b <script>*x*"), "a\\|b &lt;script&gt;\\*x\\*");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "`` a`b ``");
    }
}
