//! CSV: a header row and one row per finding (suppressed ones included, marked), in the
//! report's canonical order, RFC 4180 quoting by the `csv` crate.
//!
//! The column set is a contract ([`COLUMNS`]): new columns are appended, never reordered.
//! Empty cell = no value. Lists are joined with a space. The trap: CSV files are opened in
//! spreadsheets, and advisory text is untrusted; a cell starting with `=`, `+`, `-`, `@`,
//! tab or carriage return is a formula there (CSV injection), so text cells starting with one
//! of those get a leading `'`. Numbers we format ourselves never start with one.

use crate::common::score1;
use crate::{ReportError, sorted_findings};
use caulk_model::finding::{Finding, ScanReport, SuppressionState};

/// The header row, in order.
pub const COLUMNS: [&str; 41] = [
    "finding_key",
    "package",
    "version",
    "ecosystem",
    "source_name",
    "source_version",
    "purl",
    "file",
    "arch",
    "vulnerability_id",
    "aliases",
    "advisory_ids",
    "status",
    "fixed_version",
    "severity",
    "cvss_score",
    "cvss_version",
    "cvss_vector",
    "cvss_source",
    "epss_score",
    "epss_percentile",
    "kev",
    "kev_date_added",
    "kev_due_date",
    "decision",
    "priority_score",
    "due_date",
    "overdue",
    "confidence",
    "suppressed",
    "exception_reason",
    "exception_owner",
    "exception_expires",
    "exception_note",
    "remediation",
    "summary",
    // Appended after the first release of the format: columns only ever grow at the end.
    "informational",
    "severity_source",
    "vendor_severity",
    "vendor_severity_kind",
    "vendor_severity_source",
];

/// Neutralise spreadsheet formulas in untrusted text.
fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn opt<S: std::ops::Deref<Target = str>>(s: &Option<S>) -> String {
    s.as_deref().map(text).unwrap_or_default()
}

fn row(f: &Finding) -> Vec<String> {
    let p = &f.package;
    let (suppressed, reason, owner, expires, note) = match &f.suppression {
        None => Default::default(),
        Some(s) => (
            match s.state {
                SuppressionState::Suppressed => "suppressed".to_string(),
                SuppressionState::Expired => "expired".to_string(),
            },
            text(&s.reason),
            opt(&s.owner),
            opt(&s.expires),
            opt(&s.note),
        ),
    };
    vec![
        text(&f.key()),
        text(&p.name),
        text(&p.version),
        text(&p.ecosystem),
        opt(&p.source_name),
        opt(&p.source_version),
        opt(&p.purl),
        opt(&p.file),
        opt(&p.arch),
        text(&f.vulnerability.id),
        text(&f.vulnerability.aliases.join(" ")),
        text(&f.advisory_ids.join(" ")),
        f.status.as_str().to_string(),
        opt(&f.fixed_version),
        f.severity.as_str().to_string(),
        f.cvss.as_ref().map(|c| score1(c.score)).unwrap_or_default(),
        f.cvss
            .as_ref()
            .map(|c| c.version.as_str().to_string())
            .unwrap_or_default(),
        f.cvss.as_ref().map(|c| text(&c.vector)).unwrap_or_default(),
        f.cvss.as_ref().map(|c| text(&c.source)).unwrap_or_default(),
        f.epss
            .as_ref()
            .map(|e| format!("{:.5}", e.score))
            .unwrap_or_default(),
        f.epss
            .as_ref()
            .map(|e| format!("{:.5}", e.percentile))
            .unwrap_or_default(),
        f.kev.is_some().to_string(),
        f.kev
            .as_ref()
            .map(|k| text(&k.date_added))
            .unwrap_or_default(),
        f.kev
            .as_ref()
            .map(|k| text(&k.due_date))
            .unwrap_or_default(),
        f.priority.decision.as_str().to_string(),
        score1(f.priority.score),
        f.priority
            .due_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        f.priority.overdue.to_string(),
        f.confidence.level.as_str().to_string(),
        suppressed,
        reason,
        owner,
        expires,
        note,
        opt(&f.remediation),
        opt(&f.summary),
        opt(&f.informational),
        f.severity_source
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        f.vendor_severity
            .as_ref()
            .map(|v| text(&v.label))
            .unwrap_or_default(),
        f.vendor_severity
            .as_ref()
            .map(|v| text(&v.kind))
            .unwrap_or_default(),
        f.vendor_severity
            .as_ref()
            .map(|v| text(&v.source))
            .unwrap_or_default(),
    ]
}

pub(crate) fn render(report: &ScanReport) -> Result<String, ReportError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(|source| ReportError::Csv {
        key: "(header)".to_string(),
        source,
    })?;
    for f in sorted_findings(report) {
        w.write_record(row(f)).map_err(|source| ReportError::Csv {
            key: f.key(),
            source,
        })?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::CsvFlush(e.into_error()))?;
    String::from_utf8(bytes).map_err(ReportError::CsvUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("-1"), "'-1");
        assert_eq!(text("openssl"), "openssl");
    }
}
