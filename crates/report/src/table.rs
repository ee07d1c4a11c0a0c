//! The terminal tables of `caulk scan` (remediations ranked by decision, then risk removed, the findings
//! under each with `details`, unfixed findings, exceptions, issues) and of `caulk inventory`,
//! fitted to a width the caller gives ([`table_fit`]): the caller knows the terminal, this
//! module does not look.

use crate::table_fit;
use caulk_model::finding::{Finding, ImportAction, ScanReport, SuppressionState};
use caulk_model::inventory::Inventory;
use std::collections::BTreeMap;
use std::fmt::{self, Write};

/// `caulk scan`'s table for a terminal `width` columns wide.
pub fn scan(report: &ScanReport, details: bool, width: u16) -> String {
    let mut out = String::new();
    // Writing into a String does not fail.
    let _ = scan_table(report, details, width, &mut out);
    out
}

/// Colour a rendered [`scan`] table for a terminal (ANSI SGR): decisions by urgency
/// (act-now bold red, out-of-cycle yellow), "(overdue)" red, the title and section titles
/// bold. Only
/// whole words are coloured, after the table was fitted: the escape sequences take no
/// columns, so the layout is the plain one.
pub fn colour(text: &str) -> String {
    const BOLD: &str = "\x1b[1m";
    const RESET: &str = "\x1b[0m";
    let words: [(&str, &str); 3] = [
        ("act-now", "\x1b[1;31m"),
        ("out-of-cycle", "\x1b[33m"),
        ("(overdue)", "\x1b[31m"),
    ];
    let part_of_word =
        |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || "-_.(".contains(c));
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let title = n == 0
            || [
                "Remediations",
                "Unfixed",
                "Suppressed",
                "Issues",
                "Findings",
            ]
            .iter()
            .any(|t| line.starts_with(t));
        if title {
            let body = line.trim_end_matches('\n');
            out.push_str(BOLD);
            out.push_str(body);
            out.push_str(RESET);
            out.push_str(&line[body.len()..]);
            continue;
        }
        let mut i = 0;
        'scan: while i < line.len() {
            let rest = &line[i..];
            let before = line[..i].chars().next_back();
            if !part_of_word(before) {
                for (w, sgr) in words {
                    if let Some(after) = rest.strip_prefix(w)
                        && !part_of_word(after.chars().next())
                    {
                        out.push_str(sgr);
                        out.push_str(w);
                        out.push_str(RESET);
                        i += w.len();
                        continue 'scan;
                    }
                }
            }
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `caulk inventory --format table`: the host's facts, one line per package (columns hidden
/// to fit `width`), the issues.
pub fn inventory(inv: &Inventory, width: u16) -> String {
    let mut out = String::new();
    let _ = inventory_table(inv, width, &mut out);
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Write a table fitted to the terminal (see [`table_fit`]), and the line naming the
/// columns it had to hide.
fn write_fitted(
    out: &mut String,
    width: u16,
    cols: &[table_fit::Column],
    rows: Vec<Vec<String>>,
) -> fmt::Result {
    let f = table_fit::fit(cols, rows, width);
    writeln!(out, "{}", f.table)?;
    if let Some(note) = f.hidden_note(width) {
        writeln!(out, "{note}")?;
    }
    Ok(())
}

fn short_list(items: &[String], max: usize) -> String {
    let mut s: Vec<String> = items.iter().take(max).cloned().collect();
    if items.len() > max {
        s.push(format!("+{}", items.len() - max));
    }
    s.join(", ")
}

fn scan_table(r: &ScanReport, details: bool, width: u16, out: &mut String) -> fmt::Result {
    let os = r.target.host.os.as_ref();
    let mut head = vec![format!(
        "caulk scan of {}",
        r.target.path.as_deref().unwrap_or("this host")
    )];
    if let Some(p) = os.and_then(|o| o.pretty_name.clone()) {
        head.push(p);
    }
    if let Some(e) = os.and_then(|o| o.ecosystem.clone()) {
        head.push(e);
    }
    head.push(format!("{} packages", r.target.packages));
    writeln!(out, "{}", table_fit::wrap_parts(&head, " · ", width))?;
    let feeds: Vec<String> = r
        .database
        .feeds
        .iter()
        .map(|f| match f.age_days {
            Some(d) => format!("{} ({d} d)", f.feed),
            None => f.feed.clone(),
        })
        .collect();
    let import = match &r.database.import {
        Some(i) if i.action == ImportAction::Reused => " (mirror unchanged, reused)",
        Some(_) => " (imported from the mirror)",
        None => "",
    };
    let mut db = vec![format!("database: {}{import}:", r.database.path)];
    db.extend(feeds);
    // "database: PATH: feed, feed, …": the first feed follows the path on its line.
    let db_line = match db.split_first_mut() {
        Some((path, rest)) if !rest.is_empty() => {
            let first = format!("{path} {}", rest[0]);
            let mut parts = vec![first];
            parts.extend(rest[1..].iter().cloned());
            table_fit::wrap_parts(&parts, ", ", width)
        }
        _ => db.join(" "),
    };
    writeln!(out, "{db_line}")?;
    let policy = [
        format!("policy: {}", r.policy.decision_table),
        format!("criticality {}", r.policy.criticality.as_str()),
        format!(
            "exposure {} ({})",
            r.policy.exposure.as_str(),
            r.policy.context_source
        ),
        format!("SLA clock {}", r.policy.sla_clock.as_str()),
        format!("as of {}", r.today),
    ];
    writeln!(out, "{}", table_fit::wrap_parts(&policy, " · ", width))?;
    let s = &r.summary;
    let counts = [
        format!(
            "findings: {} ({} vulnerabilities) in {} packages",
            s.findings, s.vulnerabilities, s.packages_affected
        ),
        format!("fixed {}", s.by_status.fixed),
        format!("unfixed {}", s.by_status.unfixed),
        format!("act-now {}", s.by_decision.act_now),
        format!("out-of-cycle {}", s.by_decision.out_of_cycle),
        format!("scheduled {}", s.by_decision.scheduled),
        format!("defer {}", s.by_decision.defer),
        format!("KEV {}", s.kev),
        format!("overdue {}", s.overdue),
        format!("suppressed {}", s.suppressed),
    ];
    writeln!(out, "{}", table_fit::wrap_parts(&counts, " · ", width))?;
    if let Some(f) = &r.filter {
        let mut what = Vec::new();
        if let Some(s) = &f.filter.severities {
            let names: Vec<&str> = s.iter().map(|s| s.as_str()).collect();
            what.push(format!("severity {}", names.join(", ")));
        }
        if f.filter.ignore_unfixed {
            what.push("findings with a fix".to_string());
        }
        writeln!(
            out,
            "filtered: only {}; {} left out",
            what.join(" and "),
            plural(f.hidden as usize, "finding", "findings")
        )?;
    }
    // Findings from informational advisories (RustSec unmaintained, unsound, notice): said
    // apart, as cargo-audit does with its warnings; no line when there are none.
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for f in r.findings.iter().filter(|f| !f.is_suppressed()) {
        if let Some(k) = f.informational.as_deref() {
            *kinds.entry(k).or_default() += 1;
        }
    }
    if !kinds.is_empty() {
        let per: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(
            out,
            "informational: {} from advisories that report no vulnerability ({}); cargo-audit shows these as warnings",
            plural(kinds.values().sum(), "finding", "findings"),
            per.join(", ")
        )?;
    }

    writeln!(out)?;
    if r.remediations.is_empty() {
        writeln!(out, "Remediations: none")?;
    } else {
        writeln!(
            out,
            "Remediations ({}, ranked by decision, then risk removed{})",
            r.remediations.len(),
            if s.installability_checked {
                format!("; {} installable now", s.remediations_installable)
            } else {
                String::new()
            }
        )?;
        use table_fit::{droppable, keep};
        // Hidden in this order when the terminal is too narrow.
        let mut cols = vec![
            droppable("#", 6),
            keep("upgrade"),
            droppable("binaries", 1),
            keep("installed → target"),
            droppable("fixes", 5),
            droppable("KEV", 3),
            droppable("max CVSS", 4),
            keep("decision"),
            droppable("due", 7),
            droppable("risk", 2),
        ];
        if s.installability_checked {
            cols.push(keep("installable"));
        }
        // The host's own ecosystem goes without saying; others are named.
        let host_eco = os.and_then(|o| o.ecosystem.clone());
        let mut rows = Vec::new();
        for (i, m) in r.remediations.iter().enumerate() {
            let mut row = vec![
                (i + 1).to_string(),
                if Some(&m.ecosystem) == host_eco.as_ref() {
                    m.package.clone()
                } else {
                    format!("{} ({})", m.package, m.ecosystem)
                },
                short_list(&m.binaries, 3),
                format!("{} → {}", m.installed_version, m.target_version),
                m.vulnerabilities.len().to_string(),
                m.kev_count.to_string(),
                m.max_cvss
                    .map(|c| format!("{c:.1}"))
                    .unwrap_or_else(|| "-".into()),
                m.decision.as_str().to_string(),
                // Overdue at a glance, as in the findings tables.
                match m.due_date {
                    Some(d) if d < r.today => format!("{d} (overdue)"),
                    Some(d) => d.to_string(),
                    None => "-".into(),
                },
                format!("{:.1}", m.risk_removed),
            ];
            if s.installability_checked {
                row.push(match &m.installable {
                    Some(x) => format!("{} ({})", x.version, x.origin),
                    None => match &m.not_installable {
                        Some(why) => format!("no: {why}"),
                        None => "no".into(),
                    },
                });
            }
            rows.push(row);
        }
        write_fitted(out, width, &cols, rows)?;
    }

    if details {
        for m in &r.remediations {
            writeln!(out)?;
            writeln!(
                out,
                "{}: {} {} → {} fixes {}",
                m.id,
                m.package,
                m.installed_version,
                m.target_version,
                plural(m.vulnerabilities.len(), "vulnerability", "vulnerabilities")
            )?;
            let fs: Vec<&Finding> = r
                .findings
                .iter()
                .filter(|f| f.remediation.as_deref() == Some(m.id.as_str()))
                .collect();
            findings_table(out, width, &fs, true)?;
        }
    }

    let unfixed: Vec<&Finding> = r.findings.iter().filter(|f| f.has_no_fix()).collect();
    writeln!(out)?;
    if unfixed.is_empty() {
        writeln!(out, "Unfixed: none")?;
    } else {
        writeln!(
            out,
            "Unfixed: no fix known yet ({})",
            plural(unfixed.len(), "finding", "findings")
        )?;
        findings_table(out, width, &unfixed, false)?;
    }

    let suppressed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.suppression.is_some())
        .collect();
    if !suppressed.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Exceptions: {} suppressed, {} expired (active again)",
            r.suppressed.total, r.suppressed.expired
        )?;
        use table_fit::keep;
        let cols = [
            keep("vulnerability"),
            keep("package"),
            keep("state"),
            keep("reason"),
            keep("owner"),
            keep("expires"),
        ];
        let mut rows = Vec::new();
        for f in suppressed {
            let Some(x) = &f.suppression else { continue };
            rows.push(vec![
                f.vulnerability.id.clone(),
                format!("{} {}", f.package.name, f.package.version),
                match x.state {
                    SuppressionState::Suppressed => "suppressed".to_string(),
                    SuppressionState::Expired => x.note.clone().unwrap_or_else(|| "expired".into()),
                },
                x.reason.clone(),
                x.owner.clone().unwrap_or_default(),
                x.expires.clone().unwrap_or_else(|| "never".into()),
            ]);
        }
        write_fitted(out, width, &cols, rows)?;
    }

    if !r.issues.is_empty() {
        writeln!(out)?;
        writeln!(out, "Issues ({}; the scan went on):", r.issues.len())?;
        const SHOWN: usize = 20;
        for i in r.issues.iter().take(SHOWN) {
            let at = match (&i.file, &i.record) {
                (Some(f), Some(rec)) => format!("{f} [{rec}]: "),
                (Some(f), None) => format!("{f}: "),
                (None, Some(rec)) => format!("[{rec}]: "),
                (None, None) => String::new(),
            };
            writeln!(out, "  {at}{}", i.reason)?;
        }
        if r.issues.len() > SHOWN {
            writeln!(out, "  … {} more in --format json", r.issues.len() - SHOWN)?;
        }
    }
    Ok(())
}

/// One row per (vulnerability, package-to-upgrade): binaries of one source are collapsed.
fn findings_table(out: &mut String, width: u16, fs: &[&Finding], fixed: bool) -> fmt::Result {
    let mut rows: BTreeMap<(usize, String, String), (Vec<String>, &Finding)> = BTreeMap::new();
    let mut first: std::collections::HashMap<(String, String), usize> = Default::default();
    for (order, f) in fs.iter().enumerate() {
        let pkg = f
            .package
            .source_name
            .clone()
            .unwrap_or_else(|| f.package.name.clone());
        let key = (f.vulnerability.id.clone(), pkg);
        // Rows keep the position of the key's first (most urgent) finding.
        let pos = *first.entry(key.clone()).or_insert(order);
        rows.entry((pos, key.0, key.1))
            .or_insert_with(|| (Vec::new(), f))
            .0
            .push(f.package.name.clone());
    }
    use table_fit::{droppable, keep};
    // Hidden in this order when the terminal is too narrow.
    let cols: &[table_fit::Column] = if fixed {
        &[
            keep("vulnerability"),
            droppable("severity", 5),
            droppable("KEV", 3),
            droppable("EPSS", 4),
            keep("decision"),
            droppable("due", 6),
            keep("fixed in"),
            droppable("advisories", 2),
            droppable("binaries", 1),
        ]
    } else {
        &[
            keep("vulnerability"),
            keep("package"),
            droppable("status", 3),
            droppable("severity", 5),
            droppable("KEV", 2),
            keep("decision"),
            droppable("due", 4),
            droppable("advisories", 1),
        ]
    };
    let mut table_rows = Vec::new();
    for ((_, vuln, pkg), (mut bins, f)) in rows {
        bins.sort();
        bins.dedup();
        let sev = severity_cell(f);
        let kev = if f.kev.is_some() { "yes" } else { "" }.to_string();
        let due = match (&f.priority.due_date, f.priority.overdue) {
            (Some(d), true) => format!("{d} (overdue)"),
            (Some(d), false) => d.to_string(),
            (None, _) => "-".into(),
        };
        let advisories = short_list(&f.advisory_ids, 2);
        // An informational advisory is not a vulnerability: its kind goes under the id.
        let vuln = match &f.informational {
            Some(k) => format!("{vuln}\ninformational: {k}"),
            None => vuln,
        };
        if fixed {
            table_rows.push(vec![
                vuln,
                sev,
                kev,
                f.epss
                    .as_ref()
                    .map(|e| format!("{:.3}", e.score))
                    .unwrap_or_default(),
                f.priority.decision.as_str().to_string(),
                due,
                f.fixed_version.as_deref().unwrap_or_default().to_string(),
                advisories,
                short_list(&bins, 3),
            ]);
        } else {
            table_rows.push(vec![
                vuln,
                format!(
                    "{pkg} {}",
                    f.package
                        .source_version
                        .as_deref()
                        .unwrap_or(&f.package.version)
                ),
                f.status.as_str().to_string(),
                sev,
                kev,
                f.priority.decision.as_str().to_string(),
                due,
                advisories,
            ]);
        }
    }
    write_fitted(out, width, cols, table_rows)
}

fn inventory_table(inv: &Inventory, width: u16, out: &mut String) -> fmt::Result {
    let h = &inv.host;
    let os = h.os.as_ref();
    let facts = [
        ("hostname", h.hostname.clone()),
        ("os", os.and_then(|o| o.pretty_name.clone())),
        ("ecosystem", os.and_then(|o| o.ecosystem.clone())),
        ("arch", h.arch.clone()),
        ("kernel", h.kernel.running.clone()),
        (
            "reboot",
            h.reboot_required.as_ref().map(|r| r.reasons.join("; ")),
        ),
    ];
    for (k, v) in facts {
        if let Some(v) = v {
            writeln!(out, "{k:<10} {v}")?;
        }
    }
    writeln!(out)?;
    let rows: Vec<[String; 5]> = inv
        .packages
        .iter()
        .map(|p| {
            let src = match (&p.source_name, &p.source_version) {
                (Some(n), Some(v)) if *n != p.name || *v != p.version => format!("{n} {v}"),
                _ => String::new(),
            };
            [
                p.ecosystem.clone(),
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
                src,
            ]
        })
        .collect();
    let head = ["ECOSYSTEM", "NAME", "VERSION", "ARCH", "SOURCE"];
    let mut w = head.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    // Fit the terminal: hide SOURCE, then ARCH, then ECOSYSTEM (when every package has the
    // host's, it says nothing), and say so under the table.
    let mut shown = [true; 5];
    let total = |shown: &[bool; 5]| -> usize {
        (0..5)
            .filter(|&i| shown[i])
            .map(|i| w[i] + 2)
            .sum::<usize>()
            - 2
    };
    let mut hidden = Vec::new();
    for i in [4, 3, 0] {
        if total(&shown) <= usize::from(width) {
            break;
        }
        shown[i] = false;
        hidden.push(head[i]);
    }
    let last = (0..5).rev().find(|&i| shown[i]).unwrap_or(0);
    let line = |cells: [&str; 5], out: &mut String| -> fmt::Result {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if !shown[i] {
                continue;
            }
            if i == last {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<width$}  ", width = w[i]));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(head, out)?;
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]], out)?;
    }
    if !hidden.is_empty() {
        writeln!(
            out,
            "(hidden to fit {width} columns: {}; a wider terminal or --format json shows them)",
            hidden.join(", ")
        )?;
    }
    writeln!(
        out,
        "\n{} packages, {} issues",
        inv.packages.len(),
        inv.issues.len()
    )?;
    for i in &inv.issues {
        let at = match (i.line, &i.record) {
            (Some(l), _) => format!(":{l}"),
            (None, Some(r)) => format!(" [{r}]"),
            _ => String::new(),
        };
        writeln!(out, "issue: {}{at}: {}", i.file, i.reason)?;
    }
    Ok(())
}

/// The severity column: the band and what gave it — the CVSS score, or whose rating
/// (`medium (Ubuntu)`) — or `unknown` when nothing rates the finding.
fn severity_cell(f: &Finding) -> String {
    use caulk_model::finding::SeveritySource;
    match (f.severity_source, &f.cvss, &f.vendor_severity) {
        (Some(SeveritySource::Cvss), Some(c), _) => {
            format!("{} {:.1}", f.severity.as_str(), c.score)
        }
        (Some(SeveritySource::Vendor), _, Some(v)) => format!(
            "{} ({})",
            f.severity.as_str(),
            v.kind.split_whitespace().next().unwrap_or("vendor")
        ),
        _ if f.severity == caulk_model::finding::Severity::Unknown => "unknown".into(),
        _ => f.severity.as_str().to_string(),
    }
}

#[cfg(test)]
mod colour_tests {
    #[test]
    fn colour_marks_whole_words_and_takes_no_columns() {
        let plain = "caulk scan of x\n\n Remediations (2)\n| 1 | act-now | 2026-01-01 (overdue) |\n| 2 | not-act-now | out-of-cycle |\n";
        let c = super::colour(plain);
        assert!(c.contains("\x1b[1;31mact-now\x1b[0m |"), "{c}");
        assert!(c.contains("\x1b[31m(overdue)\x1b[0m"), "{c}");
        assert!(c.contains("\x1b[33mout-of-cycle\x1b[0m"), "{c}");
        // Inside another word: left alone.
        assert!(c.contains("| not-act-now |"), "{c}");
        // Without the escapes, the text is the plain one, byte for byte.
        let mut stripped = String::new();
        let mut rest = c.as_str();
        while let Some(i) = rest.find('\x1b') {
            stripped.push_str(&rest[..i]);
            let end = rest[i..].find('m').map_or(rest.len(), |m| i + m + 1);
            rest = &rest[end..];
        }
        stripped.push_str(rest);
        assert_eq!(stripped, plain);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod inventory_tests {
    use caulk_model::inventory::{Inventory, Package};

    #[test]
    fn the_package_list_fits_the_width_it_is_given() {
        let mut inv = Inventory::default();
        let p: Package = serde_json::from_value(serde_json::json!({
            "ecosystem": "Debian:12", "name": "libssl3", "version": "3.0.15-1~deb12u1",
            "arch": "amd64", "source_name": "openssl", "source_version": "3.0.15-1~deb12u1",
            "file": "/var/lib/dpkg/status", "state": "installed", "collector": "dpkg"}))
        .unwrap();
        inv.packages.push(p);
        let wide = super::inventory(&inv, u16::MAX);
        assert!(
            wide.contains("openssl 3.0.15-1~deb12u1") && !wide.contains("hidden"),
            "{wide}"
        );
        let narrow = super::inventory(&inv, 40);
        let table: Vec<&str> = narrow.lines().filter(|l| l.contains("libssl3")).collect();
        assert!(table.iter().all(|l| l.chars().count() <= 40), "{narrow}");
        assert!(
            narrow.contains("hidden to fit 40 columns: SOURCE, ARCH"),
            "{narrow}"
        );
    }
}
