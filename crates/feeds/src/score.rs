//! CVSS v2, v3.0, v3.1 and v4.0: parse a vector, check it is complete, score it.
//!
//! Scoring is the `cvss` crate's (checked against three implementations). Two things are
//! ours: the completeness check (its v3 parser accepts a vector without some base metrics
//! and scores the missing ones as 0, which silently understates the risk), and the v3
//! temporal score, which the crate does not compute (`roundup(base × E × RL × RC)`, spec
//! §7.2). Environmental scores come from the crate for v2 and v3; v4 has one score for the
//! whole vector.
//!
//! "Not computable" follows the reference implementation (python `cvss`): a v2 temporal or
//! environmental score exists only when the vector gives at least one metric of that group a
//! value other than `ND`. v3 temporal and environmental scores always exist (undefined
//! metrics count as `X`).
//!
//! Pure: no I/O.

use caulk_model::advisory::{CvssScore, CvssVersion, Severity};
use std::fmt;
use std::str::FromStr;

/// The longest vector we parse (a full v4 vector with every metric is about 250 bytes).
pub const MAX_VECTOR_LEN: usize = 512;

/// Why a vector was not scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvssError {
    pub vector: String,
    pub reason: String,
}

impl fmt::Display for CvssError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CVSS vector {:?}: {}", self.vector, self.reason)
    }
}

impl std::error::Error for CvssError {}

fn err(vector: &str, reason: impl Into<String>) -> CvssError {
    CvssError {
        vector: vector.chars().take(120).collect(),
        reason: reason.into(),
    }
}

/// A scored vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub version: CvssVersion,
    /// The vector as given (trimmed, v2 parentheses removed).
    pub vector: String,
    pub base: f64,
    /// v2/v3 only; `None` when not computable from the vector.
    pub temporal: Option<f64>,
    /// v2/v3 only; `None` when not computable from the vector.
    pub environmental: Option<f64>,
    pub severity: Severity,
    /// The most specific score the vector defines: environmental when it gives an
    /// environmental metric, else temporal when it gives a temporal metric, else base (v4:
    /// its single score).
    pub overall: f64,
}

impl Scored {
    pub fn overall(&self) -> f64 {
        self.overall
    }

    pub fn to_model(&self, source: impl Into<String>, published: Option<f64>) -> CvssScore {
        CvssScore {
            version: self.version,
            vector: self.vector.clone(),
            base_score: self.base,
            severity: self.severity,
            published_score: published,
            source: source.into(),
        }
    }
}

fn severity(s: cvss::Severity) -> Severity {
    match s {
        cvss::Severity::None => Severity::None,
        cvss::Severity::Low => Severity::Low,
        cvss::Severity::Medium => Severity::Medium,
        cvss::Severity::High => Severity::High,
        cvss::Severity::Critical => Severity::Critical,
    }
}

/// The v2 bands NVD uses: 0–3.9 low, 4–6.9 medium, 7–10 high.
fn v2_severity(score: f64) -> Severity {
    if score < 4.0 {
        Severity::Low
    } else if score < 7.0 {
        Severity::Medium
    } else {
        Severity::High
    }
}

/// `KEY:VALUE` pairs of a vector body (after any `CVSS:x.y/` prefix), in order.
fn pairs(body: &str) -> Vec<(&str, &str)> {
    body.split('/').filter_map(|p| p.split_once(':')).collect()
}

/// Check that every metric of `required` appears exactly once with a value other than `X`.
fn require(vector: &str, body: &str, required: &[&str]) -> Result<(), CvssError> {
    let ps = pairs(body);
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|m| !ps.iter().any(|(k, v)| k == m && *v != "X"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(err(
            vector,
            format!("missing base metric(s) {}", missing.join(", ")),
        ))
    }
}

const V2_BASE: [&str; 6] = ["AV", "AC", "Au", "C", "I", "A"];
const V3_BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
const V4_BASE: [&str; 11] = [
    "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
];

/// Parse and score any CVSS vector: `CVSS:4.0/…`, `CVSS:3.1/…`, `CVSS:3.0/…`, or a bare (or
/// parenthesised) v2 vector.
pub fn score(vector: &str) -> Result<Scored, CvssError> {
    let v = vector.trim();
    if v.len() > MAX_VECTOR_LEN {
        return Err(err(v, format!("longer than {MAX_VECTOR_LEN} bytes")));
    }
    if let Some(body) = v.strip_prefix("CVSS:4.0/") {
        score_v4(v, body)
    } else if let Some(body) = v.strip_prefix("CVSS:3.1/") {
        score_v3(v, body, CvssVersion::V3_1)
    } else if let Some(body) = v.strip_prefix("CVSS:3.0/") {
        score_v3(v, body, CvssVersion::V3_0)
    } else if v.starts_with("CVSS:") {
        // v2 vectors have no prefix (the v2 guide; NVD and OSV write them bare).
        Err(err(v, "unknown CVSS version prefix"))
    } else {
        let body = v
            .strip_prefix('(')
            .and_then(|b| b.strip_suffix(')'))
            .unwrap_or(v);
        score_v2(v, body)
    }
}

/// Score an OSV `severity[]` entry: `CVSS_V2`, `CVSS_V3`, `CVSS_V4`. Other types
/// (`Ubuntu`: a word, not a vector) give `Ok(None)`. A vector whose version does not match
/// the type is an error.
pub fn score_osv(kind: &str, vector: &str) -> Result<Option<Scored>, CvssError> {
    let want: &[CvssVersion] = match kind {
        "CVSS_V2" => &[CvssVersion::V2],
        "CVSS_V3" => &[CvssVersion::V3_0, CvssVersion::V3_1],
        "CVSS_V4" => &[CvssVersion::V4],
        _ => return Ok(None),
    };
    let s = score(vector)?;
    if !want.contains(&s.version) {
        return Err(err(
            vector,
            format!(
                "severity type {kind} holds a CVSS {} vector",
                s.version.as_str()
            ),
        ));
    }
    Ok(Some(s))
}

fn score_v2(vector: &str, body: &str) -> Result<Scored, CvssError> {
    require(vector, body, &V2_BASE)?;
    let parsed = cvss::v2::Vector::from_str(body).map_err(|e| err(vector, e.to_string()))?;
    let ps = pairs(body);
    let defined = |group: &[&str]| ps.iter().any(|(k, val)| group.contains(k) && *val != "ND");
    let base = parsed.score().value();
    let temporal = defined(&["E", "RL", "RC"]).then(|| parsed.temporal_score().value());
    let environmental =
        defined(&["CDP", "TD", "CR", "IR", "AR"]).then(|| parsed.environmental_score().value());
    Ok(Scored {
        version: CvssVersion::V2,
        vector: body.to_string(),
        base,
        temporal,
        environmental,
        severity: v2_severity(base),
        overall: environmental.or(temporal).unwrap_or(base),
    })
}

fn score_v3(vector: &str, body: &str, version: CvssVersion) -> Result<Scored, CvssError> {
    require(vector, body, &V3_BASE)?;
    let parsed = cvss::v3::Vector::from_str(vector).map_err(|e| err(vector, e.to_string()))?;
    let base = parsed.base_score();
    let (temporal, environmental) = v3_temporal_environmental(body, base.value(), version);
    let defined = |group: &[&str]| {
        pairs(body)
            .iter()
            .any(|(k, v)| group.contains(k) && *v != "X")
    };
    let overall = if defined(&[
        "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
    ]) {
        environmental
    } else if defined(&["E", "RL", "RC"]) {
        temporal
    } else {
        base.value()
    };
    Ok(Scored {
        overall,
        version,
        vector: vector.to_string(),
        base: base.value(),
        temporal: Some(temporal),
        environmental: Some(environmental),
        severity: severity(base.severity()),
    })
}

/// CVSS v3 Roundup without floating-point artefacts (v3.1 spec Appendix A; applied to v3.0
/// too, where the spec's "smallest one-decimal number ≥ input" means the same thing and the
/// `cvss` crate's plain `ceil` turns 5.0 × 0.92 into 4.7).
fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

/// Temporal and environmental scores (v3.1 spec §7.2–7.3, v3.0 §8.2–8.3), computed here:
/// the crate has no temporal score and its environmental score has the rounding artefact.
/// The vector has been parsed by the crate already, so every value is a known letter.
fn v3_temporal_environmental(body: &str, base: f64, version: CvssVersion) -> (f64, f64) {
    let ps = pairs(body);
    let get = |k: &str| ps.iter().rev().find(|(m, _)| *m == k).map(|(_, v)| *v);
    // A modified metric that is absent or X takes the base metric's value.
    let modified = |k: &str| match get(&format!("M{k}")) {
        Some(v) if v != "X" => Some(v),
        _ => get(k),
    };
    let e = match get("E") {
        Some("F") => 0.97,
        Some("P") => 0.94,
        Some("U") => 0.91,
        _ => 1.0,
    };
    let rl = match get("RL") {
        Some("W") => 0.97,
        Some("T") => 0.96,
        Some("O") => 0.95,
        _ => 1.0,
    };
    let rc = match get("RC") {
        Some("R") => 0.96,
        Some("U") => 0.92,
        _ => 1.0,
    };
    let temporal = roundup(base * e * rl * rc);

    let req = |k: &str| -> f64 {
        match get(k) {
            Some("H") => 1.5,
            Some("L") => 0.5,
            _ => 1.0,
        }
    };
    let cia = |k: &str| -> f64 {
        match modified(k) {
            Some("H") => 0.56,
            Some("L") => 0.22,
            _ => 0.0,
        }
    };
    let changed = modified("S") == Some("C");
    let av = match modified("AV") {
        Some("N") => 0.85,
        Some("A") => 0.62,
        Some("L") => 0.55,
        _ => 0.2,
    };
    let ac = if modified("AC") == Some("H") {
        0.44
    } else {
        0.77
    };
    let pr = match (modified("PR"), changed) {
        (Some("L"), false) => 0.62,
        (Some("L"), true) => 0.68,
        (Some("H"), false) => 0.27,
        (Some("H"), true) => 0.5,
        _ => 0.85,
    };
    let ui = if modified("UI") == Some("R") {
        0.62
    } else {
        0.85
    };
    let miss: f64 = (1.0
        - (1.0 - cia("C") * req("CR"))
            * (1.0 - cia("I") * req("IR"))
            * (1.0 - cia("A") * req("AR")))
    .min(0.915);
    let m_impact: f64 = if !changed {
        6.42 * miss
    } else if version == CvssVersion::V3_0 {
        7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15)
    } else {
        7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13)
    };
    let m_expl: f64 = 8.22 * av * ac * pr * ui;
    let environmental = if m_impact <= 0.0 {
        0.0
    } else if !changed {
        roundup(roundup((m_impact + m_expl).min(10.0)) * e * rl * rc)
    } else {
        roundup(roundup((1.08 * (m_impact + m_expl)).min(10.0)) * e * rl * rc)
    };
    (temporal, environmental)
}

fn score_v4(vector: &str, body: &str) -> Result<Scored, CvssError> {
    require(vector, body, &V4_BASE)?;
    let parsed = cvss::v4::Vector::from_str(vector).map_err(|e| err(vector, e.to_string()))?;
    let s = parsed.score();
    let value = s.clone().value();
    Ok(Scored {
        version: CvssVersion::V4,
        vector: vector.to_string(),
        severity: severity(s.clone().severity()),
        overall: value,
        base: value,
        temporal: None,
        environmental: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_v3_is_rejected_although_the_crate_would_score_it() {
        let v = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H";
        assert!(
            cvss::v3::Vector::from_str(v).is_ok(),
            "the trap this check exists for"
        );
        let e = score(v).expect_err("S is missing");
        assert!(e.reason.contains("missing base metric(s) S"), "{e}");
    }

    #[test]
    fn scores_each_version() {
        let s = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("v3.1");
        assert_eq!(
            (s.version, s.base, s.severity),
            (CvssVersion::V3_1, 9.8, Severity::Critical)
        );
        let s = score("AV:N/AC:L/Au:N/C:P/I:P/A:P").expect("v2");
        assert_eq!(
            (s.version, s.base, s.severity),
            (CvssVersion::V2, 7.5, Severity::High)
        );
        assert_eq!(s.temporal, None);
        let s = score("(AV:N/AC:L/Au:N/C:P/I:P/A:P)").expect("v2 in parentheses");
        assert_eq!(s.base, 7.5);
        let s =
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").expect("v4");
        assert_eq!((s.version, s.base), (CvssVersion::V4, 9.3));
    }

    #[test]
    fn osv_types() {
        assert!(score_osv("Ubuntu", "high").expect("not a vector").is_none());
        assert!(score_osv("CVSS_V2", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(
            score_osv("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                .expect("ok")
                .is_some()
        );
    }

    #[test]
    fn garbage_never_panics() {
        for v in [
            "",
            "CVSS:",
            "CVSS:3.1/",
            "CVSS:4.0/AV",
            "AV:N",
            "CVSS:9.9/AV:N",
            "////",
            "A:B:C",
        ] {
            assert!(score(v).is_err(), "{v}");
        }
    }
}
