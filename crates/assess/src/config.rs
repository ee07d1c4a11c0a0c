//! `caulk.toml`: the asset context, policy overrides and exceptions.
//!
//! ```toml
//! [asset]
//! criticality = "high"          # low | medium | high | critical
//! exposure = "internet"         # internet | internal | isolated
//!
//! [policy]                      # merged over the built-in policy.toml (see priority.rs)
//! clock = "detection"
//! sla = { critical = 7 }
//!
//! [[exception]]
//! vulnerability = "CVE-2023-4911"   # any id of the vulnerability (alias or advisory id)
//! package = "glibc"                 # binary or source package name
//! reason = "not reachable: no setuid binaries in this image"
//! owner = "platform-team"
//! expires = "2026-12-31"            # inclusive; omitted: never expires
//! ```
//!
//! A malformed `[[exception]]` is reported and skipped (the findings it meant to hide stay
//! visible, the safe direction); a file that is not TOML, or a bad `[asset]`/`[policy]`, is
//! an error naming the file.

use crate::Error;
use caulk_model::finding::{
    Criticality, ExceptionCount, Exposure, Finding, IssueStage, ScanIssue, ScanIssueKind,
    Suppression, SuppressionState,
};
use jiff::civil::Date;
use serde::Deserialize;

/// A parsed configuration file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file it was read from, for messages.
    pub file: String,
    pub criticality: Option<Criticality>,
    pub exposure: Option<Exposure>,
    /// The `[policy]` table, merged over the built-in policy by `Policy::from_toml`.
    pub policy: Option<toml::Table>,
    pub exceptions: Vec<Exception>,
    /// Exceptions that could not be read.
    pub issues: Vec<ScanIssue>,
}

/// One `[[exception]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// Position in the file (0-based), set by the parser.
    #[serde(skip)]
    pub index: usize,
    #[serde(default)]
    pub vulnerability: Option<String>,
    #[serde(default)]
    pub package: Option<String>,
    /// Only findings from informational advisories of this kind (`unmaintained`, `unsound`,
    /// `notice`): a team that accepts unmaintained crates says so once.
    #[serde(default)]
    pub informational: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub expires: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    asset: Option<Asset>,
    #[serde(default)]
    policy: Option<toml::Table>,
    #[serde(default)]
    exception: Vec<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Asset {
    #[serde(default)]
    criticality: Option<Criticality>,
    #[serde(default)]
    exposure: Option<Exposure>,
}

impl Config {
    /// Parse the text of a configuration file named `file`.
    pub fn parse(text: &str, file: &str) -> Result<Config, Error> {
        let raw: Raw = toml::from_str(text).map_err(|e| Error::Config {
            file: file.to_string(),
            reason: e.to_string(),
        })?;
        let mut cfg = Config {
            file: file.to_string(),
            policy: raw.policy,
            ..Config::default()
        };
        if let Some(a) = raw.asset {
            cfg.criticality = a.criticality;
            cfg.exposure = a.exposure;
        }
        for (index, v) in raw.exception.into_iter().enumerate() {
            let issue = |reason: String| ScanIssue {
                stage: IssueStage::Config,
                kind: ScanIssueKind::BadInput,
                file: Some(file.to_string()),
                // Counted from 1, as the reason says it (the JSON's `exception` index is 0-based).
                record: Some(format!("[[exception]] number {}", index + 1)),
                reason,
            };
            let mut e: Exception = match v.try_into() {
                Ok(e) => e,
                Err(err) => {
                    let err: toml::de::Error = err;
                    cfg.issues.push(issue(format!(
                        "[[exception]] number {} skipped: {}",
                        index + 1,
                        err.message()
                    )));
                    continue;
                }
            };
            e.index = index;
            if e.vulnerability.is_none() && e.package.is_none() && e.informational.is_none() {
                cfg.issues.push(issue(format!(
                    "[[exception]] number {} skipped: it names no vulnerability, package or informational kind",
                    index + 1
                )));
                continue;
            }
            if let Some(x) = &e.expires
                && x.parse::<Date>().is_err()
            {
                cfg.issues.push(issue(format!(
                    "[[exception]] number {} skipped: expires {x:?} is not a YYYY-MM-DD date",
                    index + 1
                )));
                continue;
            }
            cfg.exceptions.push(e);
        }
        Ok(cfg)
    }
}

impl Exception {
    /// Whether the exception names this finding.
    pub fn applies(&self, f: &Finding) -> bool {
        let vuln_ok = self.vulnerability.as_deref().is_none_or(|v| {
            f.vulnerability.id == v
                || f.vulnerability.aliases.iter().any(|a| a == v)
                || f.advisory_ids.iter().any(|a| a == v)
        });
        let pkg_ok = self
            .package
            .as_deref()
            .is_none_or(|p| f.package.name == p || f.package.source_name.as_deref() == Some(p));
        let kind_ok = self
            .informational
            .as_deref()
            .is_none_or(|k| f.informational.as_deref() == Some(k));
        vuln_ok && pkg_ok && kind_ok
    }

    /// True once `today` is after the last day of the exception.
    pub fn expired(&self, today: Date) -> bool {
        self.expires
            .as_deref()
            .and_then(|d| d.parse::<Date>().ok())
            .is_some_and(|d| d < today)
    }

    fn suppression(&self, today: Date) -> Suppression {
        let expired = self.expired(today);
        Suppression {
            state: if expired {
                SuppressionState::Expired
            } else {
                SuppressionState::Suppressed
            },
            exception: self.index,
            vulnerability: self.vulnerability.clone(),
            package: self.package.clone(),
            informational: self.informational.clone(),
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.clone(),
            note: expired.then(|| {
                format!(
                    "exception expired on {}{}: the finding is active again",
                    self.expires.as_deref().unwrap_or("?"),
                    self.owner
                        .as_deref()
                        .map(|o| format!(" (owner: {o})"))
                        .unwrap_or_default()
                )
            }),
        }
    }
}

/// Apply exceptions: the first active exception that names a finding suppresses it; if
/// only expired ones name it, the first of those is noted. Returns per-exception counts in
/// configuration order.
pub fn apply(
    exceptions: &[Exception],
    findings: &mut [Finding],
    today: Date,
) -> Vec<ExceptionCount> {
    let mut counts: Vec<ExceptionCount> = exceptions
        .iter()
        .map(|e| ExceptionCount {
            exception: e.index,
            vulnerability: e.vulnerability.clone(),
            package: e.package.clone(),
            informational: e.informational.clone(),
            reason: e.reason.clone(),
            owner: e.owner.clone(),
            expires: e.expires.clone(),
            expired: e.expired(today),
            findings: 0,
        })
        .collect();
    for f in findings.iter_mut() {
        let matching: Vec<usize> = exceptions
            .iter()
            .enumerate()
            .filter(|(_, e)| e.applies(f))
            .map(|(i, _)| i)
            .collect();
        let chosen = matching
            .iter()
            .find(|&&i| !exceptions[i].expired(today))
            .or(matching.first());
        if let Some(&i) = chosen {
            f.suppression = Some(exceptions[i].suppression(today));
            counts[i].findings += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use caulk_model::finding::{FindingPackage, VulnerabilityRef};

    fn finding(name: &str, source: &str, id: &str, aliases: &[&str]) -> Finding {
        Finding {
            package: std::sync::Arc::new(FindingPackage {
                name: name.into(),
                version: "1".into(),
                ecosystem: "Debian:12".into(),
                source_name: Some(source.into()),
                ..FindingPackage::default()
            }),
            vulnerability: VulnerabilityRef {
                id: id.into(),
                aliases: aliases.iter().map(|s| s.to_string()).collect(),
            },
            advisory_ids: ["DSA-1-1".to_string()].into(),
            informational: None,
            summary: None,
            status: caulk_model::finding::Status::Fixed,
            fixed_version: Some("2".into()),
            cvss: None,
            severity: caulk_model::finding::Severity::Unknown,
            severity_source: None,
            vendor_severity: None,
            epss: None,
            kev: None,
            priority: Default::default(),
            provenance: Default::default(),
            confidence: Default::default(),
            suppression: None,
            remediation: None,
        }
    }

    const CFG: &str = r#"
[asset]
criticality = "high"
exposure = "internet"

[[exception]]
vulnerability = "CVE-2023-0001"
reason = "not reachable"
owner = "alice"
expires = "2026-12-31"

[[exception]]
package = "openssl"
reason = "replaced next sprint"
expires = "2026-01-31"

[[exception]]
reason = "names nothing"

[[exception]]
vulnerability = "CVE-2023-0003"
reason = "bad date"
expires = "soon"

[[exception]]
vulnerability = "GHSA-xxxx"
reason = "alias match"
colour = "red"
"#;

    #[test]
    fn parses_asset_and_skips_bad_exceptions_with_issues() {
        let c = Config::parse(CFG, "caulk.toml").unwrap();
        assert_eq!(c.criticality, Some(Criticality::High));
        assert_eq!(c.exposure, Some(Exposure::Internet));
        assert_eq!(c.exceptions.len(), 2);
        assert_eq!(c.issues.len(), 3, "{:?}", c.issues);
        assert!(
            c.issues
                .iter()
                .all(|i| i.file.as_deref() == Some("caulk.toml"))
        );
        assert!(
            c.issues[0].reason.contains("names no"),
            "{}",
            c.issues[0].reason
        );
        assert!(c.issues[1].reason.contains("soon"));
        assert!(
            c.issues[2].reason.contains("colour"),
            "{}",
            c.issues[2].reason
        );
        // The record and the reason count exceptions the same way, from 1.
        let records: Vec<&str> = c
            .issues
            .iter()
            .filter_map(|i| i.record.as_deref())
            .collect();
        assert_eq!(
            records,
            [
                "[[exception]] number 3",
                "[[exception]] number 4",
                "[[exception]] number 5"
            ]
        );
        assert!(
            c.issues[0]
                .reason
                .starts_with("[[exception]] number 3 skipped")
        );
    }

    #[test]
    fn not_toml_is_an_error_naming_the_file() {
        let e = Config::parse("[asset\n", "/etc/caulk.toml").unwrap_err();
        assert!(e.to_string().contains("/etc/caulk.toml"));
        let e = Config::parse("[asset]\ncriticality = \"huge\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("huge"), "{e}");
    }

    #[test]
    fn exceptions_suppress_and_expired_ones_come_back_with_a_note() {
        let c = Config::parse(CFG, "caulk.toml").unwrap();
        let today: Date = "2026-11-27".parse().unwrap();
        let mut fs = vec![
            finding("libfoo1", "foo", "CVE-2023-0001", &[]),
            finding("libssl3", "openssl", "CVE-2023-0002", &[]),
            finding("bar", "bar", "CVE-2023-0009", &["CVE-2023-0001-ALIAS"]),
            finding("bar", "bar", "CVE-2023-0010", &["CVE-2023-0001"]),
        ];
        let counts = apply(&c.exceptions, &mut fs, today);
        assert!(fs[0].is_suppressed());
        assert_eq!(
            fs[0].suppression.as_ref().unwrap().owner.as_deref(),
            Some("alice")
        );
        // The openssl exception expired: active again, with a note.
        assert!(!fs[1].is_suppressed());
        let s = fs[1].suppression.as_ref().unwrap();
        assert_eq!(s.state, SuppressionState::Expired);
        assert!(s.note.as_deref().unwrap().contains("expired on 2026-01-31"));
        assert!(fs[2].suppression.is_none());
        assert!(fs[3].is_suppressed(), "an alias names the vulnerability");
        assert_eq!(
            counts.iter().map(|c| c.findings).collect::<Vec<_>>(),
            [2, 1]
        );
        assert_eq!(
            counts.iter().map(|c| c.expired).collect::<Vec<_>>(),
            [false, true]
        );
        // The last day still holds.
        assert!(!c.exceptions[0].expired("2026-12-31".parse().unwrap()));
        assert!(c.exceptions[0].expired("2027-01-01".parse().unwrap()));
    }

    #[test]
    fn an_exception_can_name_an_informational_kind() {
        let c = Config::parse(
            r#"
[[exception]]
informational = "unmaintained"
reason = "we accept unmaintained crates; reviewed quarterly"
owner = "platform"

[[exception]]
informational = "unsound"
package = "bar"
reason = "only bar's unsound advisories"
"#,
            "caulk.toml",
        )
        .unwrap();
        assert!(c.issues.is_empty(), "{:?}", c.issues);
        let today: Date = "2026-11-27".parse().unwrap();
        let kind = |mut f: Finding, k: Option<&str>| {
            f.informational = k.map(Into::into);
            f
        };
        let mut fs = vec![
            kind(
                finding("failure", "failure", "RUSTSEC-1", &[]),
                Some("unmaintained"),
            ),
            kind(finding("foo", "foo", "RUSTSEC-2", &[]), Some("unsound")),
            kind(finding("bar", "bar", "RUSTSEC-3", &[]), Some("unsound")),
            kind(finding("baz", "baz", "CVE-2026-1", &[]), None),
        ];
        let counts = apply(&c.exceptions, &mut fs, today);
        let hidden: Vec<bool> = fs.iter().map(Finding::is_suppressed).collect();
        assert_eq!(hidden, [true, false, true, false]);
        assert_eq!(
            fs[0].suppression.as_ref().unwrap().informational.as_deref(),
            Some("unmaintained")
        );
        assert_eq!(
            counts.iter().map(|c| c.findings).collect::<Vec<_>>(),
            [1, 1]
        );
        assert_eq!(counts[1].informational.as_deref(), Some("unsound"));
    }
}
