//! A finding's severity: from its CVSS score, from a vendor's rating in words, or unknown —
//! and what it is scored and ranked as.
//!
//! The rule (data in the policy, see `policy.toml`): with both a CVSS score and a vendor
//! rating (Ubuntu priority, AlmaLinux/Red Hat severity, GHSA severity), the policy's
//! `severity_preference` says which one gives the severity when their bands disagree
//! (`vendor` by default: the distribution rates the package as it ships it); when they
//! agree the CVSS score is kept for the composite score. A vendor rating alone is scored as
//! the policy's representative CVSS of its band (`score.severity_cvss`), not as
//! `unknown_cvss`. With neither, the severity is `unknown` — said so in words — and the
//! decision table sees the policy's `unknown_severity`. Every branch names its sources in
//! the reasons.

use crate::priority::{Policy, SeverityPreference};
use caulk_model::finding::{Cvss, Severity, SeveritySource, VendorSeverity};

/// What a finding's severity is and how it counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Rated {
    /// The severity shown (`unknown` when nothing rates it).
    pub severity: Severity,
    /// Where it came from; `None` when unknown.
    pub source: Option<SeveritySource>,
    /// The severity the decision table and the SLA see: `unknown` → the policy's
    /// `unknown_severity`, CVSS `none` → low.
    pub effective: Severity,
    /// The CVSS number the composite score uses.
    pub score: f64,
    /// In words, in order.
    pub reasons: Vec<String>,
}

/// `severity medium from Ubuntu priority (medium) in USN-5844-1`.
/// Whether a rating of kind `kind` (`Ubuntu priority`, `AlmaLinux severity`, `GHSA
/// severity`, …) rates a package of ecosystem `base` (`distro`: a distribution's package).
/// A distribution's rating rates its own packages only; a database's (GHSA, a language
/// database) rates library packages, never a distribution's build of the code.
pub fn rates(kind: &str, base: &str, distro: bool) -> bool {
    if kind
        .strip_prefix(base)
        .is_some_and(|rest| rest.starts_with(' '))
    {
        return true;
    }
    // Whose scale: the words before the last (`Rocky Linux` of `Rocky Linux severity`). A
    // distribution's is known by the ecosystem table (a package manager's version scheme).
    let owner = kind.rsplit_once(' ').map_or(kind, |(o, _)| o);
    let of_a_distro = matches!(
        caulk_version::Ecosystem::parse(owner).scheme(),
        Some(caulk_version::Scheme::Dpkg | caulk_version::Scheme::Rpm | caulk_version::Scheme::Apk)
    );
    !of_a_distro && !distro
}

fn vendor_words(v: &VendorSeverity) -> String {
    format!("{} ({}) in {}", v.kind, v.label, v.record())
}

fn cvss_words(c: &Cvss) -> String {
    format!(
        "CVSS {} {} ({}) from {}",
        c.version.as_str(),
        c.score,
        c.severity.as_str(),
        c.source
    )
}

/// Rate a finding from its best CVSS score and its vendor's rating.
pub fn rate(policy: &Policy, cvss: Option<&Cvss>, vendor: Option<&VendorSeverity>) -> Rated {
    let band_score = |s: Severity| policy.score.severity_cvss.of(s);
    let effective = |s: Severity| {
        let s = match s {
            Severity::Unknown => policy.unknown_severity,
            s => s,
        };
        if s == Severity::None {
            Severity::Low
        } else {
            s
        }
    };
    let preference = policy.severity_preference;
    match (cvss, vendor) {
        (Some(c), None) => Rated {
            severity: c.severity,
            source: Some(SeveritySource::Cvss),
            effective: effective(c.severity),
            score: c.score,
            reasons: vec![cvss_words(c)],
        },
        (Some(c), Some(v)) if c.severity == v.severity => Rated {
            severity: c.severity,
            source: Some(SeveritySource::Cvss),
            effective: effective(c.severity),
            score: c.score,
            reasons: vec![
                cvss_words(c),
                format!("{} agrees: {}", vendor_words(v), v.severity.as_str()),
            ],
        },
        (Some(c), Some(v)) if preference == SeverityPreference::Cvss => Rated {
            severity: c.severity,
            source: Some(SeveritySource::Cvss),
            effective: effective(c.severity),
            score: c.score,
            reasons: vec![
                cvss_words(c),
                format!(
                    "severity {} from CVSS over {} ({}): the policy prefers CVSS (severity_preference = \"cvss\")",
                    c.severity.as_str(),
                    vendor_words(v),
                    v.severity.as_str()
                ),
            ],
        },
        (Some(c), Some(v)) => {
            let score = band_score(v.severity);
            Rated {
                severity: v.severity,
                source: Some(SeveritySource::Vendor),
                effective: effective(v.severity),
                score,
                reasons: vec![
                    cvss_words(c),
                    format!(
                        "severity {} from {} over CVSS {}: the policy prefers the vendor's rating (severity_preference = \"vendor\"); scored as CVSS {score:.1}, the policy's score for {}",
                        v.severity.as_str(),
                        vendor_words(v),
                        c.severity.as_str(),
                        v.severity.as_str()
                    ),
                ],
            }
        }
        (None, Some(v)) => {
            let score = band_score(v.severity);
            Rated {
                severity: v.severity,
                source: Some(SeveritySource::Vendor),
                effective: effective(v.severity),
                score,
                reasons: vec![format!(
                    "severity {} from {}; no CVSS score known: scored as CVSS {score:.1}, the policy's score for {}",
                    v.severity.as_str(),
                    vendor_words(v),
                    v.severity.as_str()
                )],
            }
        }
        (None, None) => Rated {
            severity: Severity::Unknown,
            source: None,
            effective: effective(Severity::Unknown),
            score: policy.score.unknown_cvss,
            reasons: vec![format!(
                "severity unknown: no CVSS score and no vendor rating known; treated as {} (score {})",
                effective(Severity::Unknown).as_str(),
                policy.score.unknown_cvss
            )],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caulk_model::finding::CvssVersion;

    fn cvss(score: f64, severity: Severity) -> Cvss {
        Cvss {
            version: CvssVersion::V3_1,
            vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H".into(),
            score,
            severity,
            source: "osv:USN-5844-1".into(),
        }
    }

    fn ubuntu(label: &str, severity: Severity) -> VendorSeverity {
        VendorSeverity {
            severity,
            label: label.into(),
            kind: "Ubuntu priority".into(),
            source: "osv:USN-5844-1".into(),
        }
    }

    #[test]
    fn unknown_is_said_and_treated_as_the_policy_says() {
        let p = Policy::builtin();
        let r = rate(&p, None, None);
        assert_eq!((r.severity, r.source), (Severity::Unknown, None));
        assert_eq!(r.effective, Severity::Medium);
        assert_eq!(r.score, 5.0);
        assert_eq!(
            r.reasons,
            [
                "severity unknown: no CVSS score and no vendor rating known; treated as medium (score 5)"
            ]
        );
    }

    #[test]
    fn a_vendor_rating_alone_scores_as_its_band() {
        let p = Policy::builtin();
        let r = rate(&p, None, Some(&ubuntu("negligible", Severity::Low)));
        assert_eq!(
            (r.severity, r.source, r.effective),
            (Severity::Low, Some(SeveritySource::Vendor), Severity::Low)
        );
        assert_eq!(r.score, p.score.severity_cvss.low);
        assert!(
            r.reasons[0].starts_with(
                "severity low from Ubuntu priority (negligible) in USN-5844-1; no CVSS score known"
            ),
            "{:?}",
            r.reasons
        );
    }

    #[test]
    fn disagreement_is_the_policys_call() {
        let c = cvss(7.4, Severity::High);
        let v = ubuntu("medium", Severity::Medium);
        let p = Policy::builtin();
        assert_eq!(p.severity_preference, SeverityPreference::Vendor);
        let r = rate(&p, Some(&c), Some(&v));
        assert_eq!(
            (r.severity, r.source, r.score),
            (
                Severity::Medium,
                Some(SeveritySource::Vendor),
                p.score.severity_cvss.medium
            )
        );
        assert!(r.reasons[1].contains("over CVSS high"), "{:?}", r.reasons);

        let over: toml::Table = toml::from_str("severity_preference = \"cvss\"").unwrap();
        let p = Policy::from_toml(crate::priority::DEFAULT_POLICY, Some(&over), "x").unwrap();
        let r = rate(&p, Some(&c), Some(&v));
        assert_eq!(
            (r.severity, r.source, r.score),
            (Severity::High, Some(SeveritySource::Cvss), 7.4)
        );
        // Agreement keeps the CVSS number whatever the preference.
        let r = rate(&p, Some(&c), Some(&ubuntu("high", Severity::High)));
        assert_eq!((r.severity, r.score), (Severity::High, 7.4));
        assert!(r.reasons[1].ends_with("agrees: high"), "{:?}", r.reasons);
    }
}

#[cfg(test)]
mod rates_tests {
    use super::rates;

    /// Review finding: a Debian finding took Ubuntu's priority (or GitHub's rating) of the
    /// same CVE through the merged identity.
    #[test]
    fn a_rating_rates_only_its_own_kind_of_package() {
        assert!(rates("Ubuntu priority", "Ubuntu", true));
        assert!(!rates("Ubuntu priority", "Debian", true));
        assert!(!rates("GHSA severity", "Debian", true));
        assert!(rates("GHSA severity", "PyPI", false));
        assert!(rates("AlmaLinux severity", "AlmaLinux", true));
        assert!(!rates("AlmaLinux severity", "Rocky Linux", true));
        assert!(!rates("Ubuntu priority", "PyPI", false));
        assert!(rates("PYSEC severity", "PyPI", false));
        // Distributions are known by the ecosystem table, not by a list of names here.
        assert!(!rates("Rocky Linux severity", "PyPI", false));
        assert!(!rates("Debian urgency", "npm", false));
        assert!(!rates("SUSE severity", "Debian", true));
    }
}
