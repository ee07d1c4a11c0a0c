//! Severities in words: the ratings vendors and databases give besides (or instead of) a
//! CVSS vector, each mapped to a band ([`Severity`]) and kept as written with its source.
//!
//! | scale | where in OSV | words → band |
//! |---|---|---|
//! | Ubuntu priority | `severity[]` of type `Ubuntu` (record, entry, and each CVE of an entry's `database_specific.cves_map`) | negligible, low → low; medium; high; critical (`untriaged`: none) |
//! | Red Hat-style severity | the summary's prefix in AlmaLinux, Rocky and Red Hat errata (`Important: kernel security update`) | Low → low; Moderate → medium; Important → high; Critical → critical |
//! | GHSA severity | `database_specific.severity` (GitHub's records) | LOW; MODERATE → medium; HIGH; CRITICAL |
//! | Debian urgency | (no record in today's feeds carries it; the scale is here for the tracker's words) | unimportant, low → low; medium; high (trailing `*` ignored) |
//!
//! A word that is not on its scale gives no rating (the import warns), never a guess. Red
//! Hat's OSV records carry no severity in words (their summaries have no prefix; the CSAF
//! `aggregate_severity` is not converted), nor do SUSE's: they are scored by CVSS only.
//!
//! Pure: no I/O.

use caulk_model::advisory::{Severity, VendorSeverity};

/// The longest rating kept (the longest real word is `negligible`).
pub const MAX_LABEL_LEN: usize = 32;

/// The scales caulk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    UbuntuPriority,
    RedHat,
    Ghsa,
    DebianUrgency,
}

impl Scale {
    /// The band of `label` on this scale; `None` when the word is not on it (or says that
    /// no rating was given yet, like Ubuntu's `untriaged`).
    pub fn band(self, label: &str) -> Option<Severity> {
        let l = label.trim().to_ascii_lowercase();
        Some(match (self, l.trim_end_matches('*')) {
            (Scale::UbuntuPriority, "negligible" | "low") => Severity::Low,
            (Scale::UbuntuPriority, "medium") => Severity::Medium,
            (Scale::UbuntuPriority, "high") => Severity::High,
            (Scale::UbuntuPriority, "critical") => Severity::Critical,
            (Scale::RedHat, "low") => Severity::Low,
            (Scale::RedHat, "moderate") => Severity::Medium,
            (Scale::RedHat, "important") => Severity::High,
            (Scale::RedHat, "critical") => Severity::Critical,
            (Scale::Ghsa, "low") => Severity::Low,
            (Scale::Ghsa, "moderate" | "medium") => Severity::Medium,
            (Scale::Ghsa, "high") => Severity::High,
            (Scale::Ghsa, "critical") => Severity::Critical,
            (Scale::DebianUrgency, "unimportant" | "low") => Severity::Low,
            (Scale::DebianUrgency, "medium") => Severity::Medium,
            (Scale::DebianUrgency, "high") => Severity::High,
            _ => return None,
        })
    }

    /// A rating of `label` on this scale from record `id`, named `kind`, when the word is on
    /// the scale and is a plausible word (bounded, no control characters).
    pub fn rate(self, label: &str, kind: &str, id: &str) -> Option<VendorSeverity> {
        let label = label.trim();
        if label.len() > MAX_LABEL_LEN || label.chars().any(char::is_control) {
            return None;
        }
        Some(VendorSeverity {
            severity: self.band(label)?,
            label: label.to_string(),
            kind: kind.to_string(),
            source: format!("osv:{id}"),
        })
    }
}

/// The kind of Ubuntu's ratings.
pub const UBUNTU_PRIORITY: &str = "Ubuntu priority";

/// Whether `label` is a word Ubuntu writes that gives no rating (`untriaged`): not an error.
pub fn ubuntu_unrated(label: &str) -> bool {
    label.trim().eq_ignore_ascii_case("untriaged")
}

/// The Red Hat-style severity an erratum's summary starts with (`Important: openssl
/// security update`), named after the distribution the id prefix says (`ALSA-` AlmaLinux,
/// `RLSA-` Rocky Linux, `RHSA-` Red Hat, `ELSA-` Oracle Linux). Other records' summaries
/// are not read: a PyPI summary may well start with `Critical:`.
pub fn summary_rating(id: &str, summary: &str) -> Option<VendorSeverity> {
    let prefix = id.split('-').next().unwrap_or("");
    let distro = match prefix {
        "ALSA" | "ALBA" | "ALEA" => "AlmaLinux",
        "RLSA" | "RLBA" | "RLEA" => "Rocky Linux",
        "RHSA" | "RHBA" | "RHEA" => "Red Hat",
        "ELSA" | "ELBA" | "ELEA" => "Oracle Linux",
        _ => return None,
    };
    let (word, _) = summary.split_once(':')?;
    Scale::RedHat.rate(word, &format!("{distro} severity"), id)
}

/// The kind of a `database_specific.severity` rating: GitHub's, else the database's.
pub fn database_kind(id: &str) -> String {
    if id.starts_with("GHSA-") {
        "GHSA severity".to_string()
    } else {
        let prefix = id.split('-').next().unwrap_or("database");
        format!("{prefix} severity")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_map_to_bands_and_others_do_not() {
        let u = Scale::UbuntuPriority;
        assert_eq!(u.band("negligible"), Some(Severity::Low));
        assert_eq!(u.band(" High "), Some(Severity::High));
        assert_eq!(u.band("untriaged"), None);
        assert!(ubuntu_unrated("untriaged"));
        assert_eq!(Scale::RedHat.band("Important"), Some(Severity::High));
        assert_eq!(Scale::RedHat.band("Moderate"), Some(Severity::Medium));
        assert_eq!(Scale::Ghsa.band("MODERATE"), Some(Severity::Medium));
        assert_eq!(Scale::Ghsa.band("severe"), None);
        assert_eq!(Scale::DebianUrgency.band("low**"), Some(Severity::Low));
        assert_eq!(Scale::DebianUrgency.band("not yet assigned"), None);
        let long = "h".repeat(MAX_LABEL_LEN + 1);
        assert_eq!(u.rate(&long, UBUNTU_PRIORITY, "X"), None);
        assert_eq!(u.rate("hi\u{7}gh", UBUNTU_PRIORITY, "X"), None);
    }

    #[test]
    fn erratum_summaries_carry_their_impact() {
        let r = summary_rating("ALSA-2024:0265", "Important: kernel security update")
            .expect("a rating");
        assert_eq!(
            (
                r.severity,
                r.label.as_str(),
                r.kind.as_str(),
                r.source.as_str()
            ),
            (
                Severity::High,
                "Important",
                "AlmaLinux severity",
                "osv:ALSA-2024:0265"
            )
        );
        assert_eq!(r.record(), "ALSA-2024:0265");
        assert_eq!(
            summary_rating("ALSA-2024:1", "new packages: foo"),
            None,
            "not a rating"
        );
        assert_eq!(summary_rating("PYSEC-2024-1", "Critical: RCE in foo"), None);
        assert_eq!(
            summary_rating("RHSA-2024:6220", "Red Hat Security Advisory: x"),
            None
        );
    }
}
