//! Renderers of scan results: a [`ScanReport`] in, one document out — SARIF 2.1.0, CSV,
//! CycloneDX 1.6 VEX, OpenVEX 0.2.0, Markdown (and the report's own JSON) — and the
//! terminal tables of a scan and an inventory ([`table`], fitted to a given width by
//! [`table_fit`]).
//!
//! This crate owns the mapping from caulk's words (finding, status, decision, exception) to
//! each format's words, and nothing else: it is pure (no I/O, no clock, no environment), so
//! every document is a function of the report and the [`RenderOptions`]. Output is
//! deterministic: findings in [`Finding::sort_key`] order, everything else sorted, no
//! timestamp but the report's own (`generated_at`, else `today`), and document identifiers
//! (CycloneDX `serialNumber`, OpenVEX `@id`) are name-based UUIDs (v5) of the document's
//! content, so the same report renders to the same bytes. The entry point is [`render`];
//! formats are [`Format`]; errors are [`ReportError`]. Field-by-field mappings are in
//! `docs/report-formats.md`.
//!
//! The traps, each handled in its module:
//! - **SARIF levels are not our decisions.** `level` (`error`/`warning`/`note`) carries the
//!   decision (act-now and out-of-cycle → `error`, scheduled → `warning`, defer → `note`),
//!   while GitHub code scanning ranks security results by the rule's `security-severity`
//!   (the CVSS score) and ignores `level` when it is present; our composite score goes in
//!   `rank`. A suppressed finding is still a result, carrying `suppressions`.
//! - **Our `fixed` is not VEX `fixed`.** [`Status::Fixed`] means "a fixed version exists"
//!   while the installed version is still vulnerable: VEX `affected` / CycloneDX
//!   `exploitable` with an upgrade action. VEX `fixed` / CycloneDX `resolved` mean the
//!   installed product contains the fix, which a scan never reports for a finding.
//! - **Exceptions are not_affected with a reason, never a justification code.** An exception
//!   carries free text, so it becomes an OpenVEX `impact_statement` (the schema allows a
//!   justification *or* an impact statement, not both) and a CycloneDX `detail`.
//! - **CycloneDX analysis is per vulnerability entry, not per affected component**, so one
//!   vulnerability whose findings disagree (suppressed in one package, not in another) is
//!   written as several entries, one per distinct analysis.
//!
//! [`Finding::sort_key`]: caulk_model::finding::Finding::sort_key
//! [`Status::Fixed`]: caulk_model::finding::Status::Fixed

use caulk_model::finding::{FORMAT_VERSION, Finding, ScanReport};
use std::fmt;
use std::str::FromStr;

mod common;
mod csv_out;
mod cyclonedx;
mod markdown;
mod openvex;
mod sarif;
pub mod table;
pub mod table_fit;

pub use common::derived_purl;
pub use cyclonedx::inventory_bom;

/// An output format of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// SARIF 2.1.0 (JSON), shaped for GitHub code scanning.
    Sarif,
    /// CSV (RFC 4180) with a header row, one row per finding.
    Csv,
    /// CycloneDX 1.6 JSON: the affected components and a VEX `vulnerabilities[]`.
    CycloneDx,
    /// OpenVEX 0.2.0 JSON: one statement per (vulnerability, product).
    OpenVex,
    /// A human report in GitHub-flavoured Markdown.
    Markdown,
    /// The scan report itself (`docs/scan-format.md`), pretty-printed.
    Json,
}

impl Format {
    /// Every format, in CLI order.
    pub const ALL: [Format; 6] = [
        Format::Json,
        Format::Sarif,
        Format::Csv,
        Format::CycloneDx,
        Format::OpenVex,
        Format::Markdown,
    ];

    /// The CLI name (`sarif`, `csv`, `cyclonedx`, `openvex`, `markdown`, `json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Sarif => "sarif",
            Format::Csv => "csv",
            Format::CycloneDx => "cyclonedx",
            Format::OpenVex => "openvex",
            Format::Markdown => "markdown",
            Format::Json => "json",
        }
    }

    /// The usual file extension for this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Sarif => "sarif",
            Format::Csv => "csv",
            Format::CycloneDx => "cdx.json",
            Format::OpenVex => "openvex.json",
            Format::Markdown => "md",
            Format::Json => "json",
        }
    }

    /// The media type of the document.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Sarif => "application/sarif+json",
            Format::Csv => "text/csv",
            Format::CycloneDx => "application/vnd.cyclonedx+json",
            Format::OpenVex => "application/json",
            Format::Markdown => "text/markdown",
            Format::Json => "application/json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ReportError;

    /// Parse a CLI name; case-insensitive, and `cdx`/`vex`/`md` are accepted as short forms.
    fn from_str(s: &str) -> Result<Format, ReportError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sarif" => Ok(Format::Sarif),
            "csv" => Ok(Format::Csv),
            "cyclonedx" | "cdx" => Ok(Format::CycloneDx),
            "openvex" | "vex" => Ok(Format::OpenVex),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            _ => Err(ReportError::UnknownFormat {
                name: s.to_string(),
            }),
        }
    }
}

/// Choices that are not in the report. Build with `..Default::default()` so new fields do
/// not break callers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Markdown: list the vulnerabilities under each remediation and add a table of every
    /// active finding. The other formats always carry every finding.
    pub details: bool,
    /// OpenVEX `author` (required by the format): who makes the statements. Defaults to the
    /// report's tool name (`caulk`); an organisation should put its own name here.
    pub author: Option<String>,
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    #[error(
        "unknown report format {name:?}: expected one of sarif, csv, cyclonedx, openvex, markdown, json"
    )]
    UnknownFormat { name: String },
    #[error(
        "scan report format_version {found} is not supported: this build reads version {supported}"
    )]
    UnsupportedFormatVersion { found: u32, supported: u32 },
    #[error("cannot serialize the {format} document: {source}")]
    Json {
        format: Format,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write the CSV row of finding {key}: {source}")]
    Csv {
        key: String,
        #[source]
        source: csv::Error,
    },
    #[error("cannot finish the CSV document: {0}")]
    CsvFlush(#[source] std::io::Error),
    #[error("the CSV document is not UTF-8: {0}")]
    CsvUtf8(#[source] std::string::FromUtf8Error),
    #[error("cannot format the {format} document")]
    Fmt { format: Format },
}

/// Render `report` as `format`. The result ends with a newline.
///
/// Refuses a report whose `format_version` this build does not know (readers must not
/// guess); an empty report renders to a valid, empty document (see `docs/report-formats.md`
/// for the OpenVEX exception).
pub fn render(
    report: &ScanReport,
    format: Format,
    opts: &RenderOptions,
) -> Result<String, ReportError> {
    if report.format_version != FORMAT_VERSION {
        return Err(ReportError::UnsupportedFormatVersion {
            found: report.format_version,
            supported: FORMAT_VERSION,
        });
    }
    match format {
        Format::Sarif => sarif::render(report),
        Format::Csv => csv_out::render(report),
        Format::CycloneDx => cyclonedx::render(report),
        Format::OpenVex => openvex::render(report, opts),
        Format::Markdown => markdown::render(report, opts),
        Format::Json => common::to_json(report, Format::Json),
    }
}

/// The findings in their canonical order ([`Finding::sort_key`]), whatever order the report
/// holds them in: every renderer walks this.
pub(crate) fn sorted_findings(report: &ScanReport) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = report.findings.iter().collect();
    v.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>().expect("parse"), f);
            assert_eq!(f.to_string(), f.as_str());
        }
        assert_eq!(
            "CycloneDX".parse::<Format>().expect("parse"),
            Format::CycloneDx
        );
        assert_eq!("md".parse::<Format>().expect("parse"), Format::Markdown);
        let e = "table"
            .parse::<Format>()
            .expect_err("table is the CLI's own");
        assert!(e.to_string().contains("\"table\""), "{e}");
    }
}
