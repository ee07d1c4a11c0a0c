//! Priority: the decision table, the composite score and the SLA clock, as data.
//!
//! [`Policy`] is read from TOML (the built-in `policy.toml`, optionally overridden by the
//! `[policy]` table of `caulk.toml`, merged key by key; arrays such as the rules replace). The
//! decision is the first rule whose conditions all hold; the reasons say which facts went in
//! and which rule decided, in words.

use crate::Error;
use crate::kernel::KernelRole;
use caulk_model::finding::{
    Criticality, Cvss, Decision, DueDateOrigin, Epss, Exposure, Kev, Priority, Severity, SlaClock,
    SlaEntry,
};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The built-in policy, as shipped.
pub const DEFAULT_POLICY: &str = include_str!("policy.toml");

/// The priority policy: decision rules, score weights, SLA table and clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    pub clock: SlaClock,
    /// The severity a finding nothing rates (no CVSS score, no vendor rating) is treated as.
    pub unknown_severity: Severity,
    /// Which gives the severity when a CVSS score and a vendor's rating disagree.
    #[serde(default)]
    pub severity_preference: SeverityPreference,
    pub sla: Sla,
    /// A feed fetched longer ago than this many days is reported as stale (an issue; the
    /// scan goes on).
    #[serde(default = "default_max_feed_age_days")]
    pub max_feed_age_days: i64,
    pub epss: EpssBands,
    pub score: ScoreWeights,
    /// What a kernel vulnerability is worth by what the binary is (the composite score is
    /// multiplied by it).
    #[serde(default)]
    pub kernel: KernelWeights,
    #[serde(rename = "rule")]
    pub rules: Vec<Rule>,
    /// What becomes of overdue findings: tried in order, the first that applies raises the
    /// decision. None in the built-in policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<Escalation>,
}

/// One `[[escalate]]` entry: a finding overdue by more than `overdue_days` whose decision is
/// one of `from` is raised to `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    #[serde(default)]
    pub overdue_days: u32,
    pub from: Vec<Decision>,
    pub to: Decision,
    pub why: String,
}

/// Score multipliers by [`KernelRole`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KernelWeights {
    pub running: f64,
    pub next_boot: f64,
    pub installed: f64,
    pub other: f64,
}

impl Default for KernelWeights {
    fn default() -> Self {
        KernelWeights {
            running: 1.0,
            next_boot: 1.0,
            installed: 0.5,
            other: 0.1,
        }
    }
}

impl KernelWeights {
    pub fn of(&self, r: KernelRole) -> f64 {
        match r {
            KernelRole::Running => self.running,
            KernelRole::NextBoot => self.next_boot,
            KernelRole::Installed => self.installed,
            KernelRole::Other => self.other,
            KernelRole::None => 1.0,
        }
    }
}

/// Which gives a finding's severity when its CVSS score and its vendor's rating (Ubuntu
/// priority, AlmaLinux severity, GHSA severity) fall in different bands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeverityPreference {
    /// The vendor's rating: the distribution rates the package as it ships it.
    #[default]
    Vendor,
    /// The CVSS score's band.
    Cvss,
}

/// The CVSS score standing for each severity band, for a finding that only a vendor's rating
/// rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandScores {
    pub low: f64,
    pub medium: f64,
    pub high: f64,
    pub critical: f64,
}

impl Default for BandScores {
    fn default() -> Self {
        BandScores {
            low: 2.0,
            medium: 5.5,
            high: 8.0,
            critical: 9.5,
        }
    }
}

impl BandScores {
    /// The score of band `s` (`none` is 0.0; `unknown` has no band and scores as medium).
    pub fn of(&self, s: Severity) -> f64 {
        match s {
            Severity::None => 0.0,
            Severity::Low => self.low,
            Severity::High => self.high,
            Severity::Critical => self.critical,
            _ => self.medium,
        }
    }
}

fn default_max_feed_age_days() -> i64 {
    7
}

/// Days to fix, by severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

/// The longest SLA accepted: a due date must stay a calendar date.
pub const MAX_SLA_DAYS: u32 = 36_525;

impl Sla {
    pub fn days(&self, s: Severity) -> u32 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            // Unknown is mapped to `unknown_severity` before a due date is computed.
            Severity::Medium | Severity::Unknown => self.medium,
            Severity::Low | Severity::None => self.low,
        }
    }

    pub fn entries(&self) -> Vec<SlaEntry> {
        [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ]
        .into_iter()
        .map(|severity| SlaEntry {
            severity,
            days: self.days(severity),
        })
        .collect()
    }
}

/// EPSS percentile thresholds of the bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpssBands {
    pub high: f64,
    pub medium: f64,
}

/// An EPSS percentile band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EpssBand {
    High,
    Medium,
    Low,
    Unknown,
}

impl EpssBand {
    pub fn as_str(self) -> &'static str {
        match self {
            EpssBand::High => "high",
            EpssBand::Medium => "medium",
            EpssBand::Low => "low",
            EpssBand::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreWeights {
    pub unknown_cvss: f64,
    /// The CVSS score of each band, for findings only a vendor's rating rates.
    #[serde(default)]
    pub severity_cvss: BandScores,
    pub kev: f64,
    pub epss: f64,
    pub criticality: CriticalityWeights,
    pub exposure: ExposureWeights,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriticalityWeights {
    pub low: f64,
    pub medium: f64,
    pub high: f64,
    pub critical: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureWeights {
    pub isolated: f64,
    pub internal: f64,
    pub internet: f64,
}

/// One row of the decision table; a condition left out holds for every value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<bool>,
    /// Every matching advisory entry is informational (unmaintained, unsound, notice), not a
    /// vulnerability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<bool>,
    /// A CVSS score is known (false: the severity is the policy's `unknown_severity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_known: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Vec<Severity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Vec<EpssBand>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Vec<Criticality>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Vec<Exposure>>,
    /// What the package is when it is built from a kernel source: running | next-boot |
    /// installed | other; `none` for every other package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<Vec<KernelRole>>,
    pub decision: Decision,
    pub why: String,
    /// `false`: the findings this rule decides get no SLA clock (no due date, never
    /// overdue), as distro verdicts get none — a KEV due date still stands. Left out: the
    /// clock runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<bool>,
    /// With `sla = false`, `false` drops a KEV due date too (a kernel's headers: the KEV
    /// deadline is the kernel's). Left out: a KEV due date stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev_due: Option<bool>,
}

impl Rule {
    fn holds(&self, i: &Inputs) -> bool {
        fn within<T: PartialEq>(list: &Option<Vec<T>>, v: &T) -> bool {
            list.as_ref().is_none_or(|l| l.contains(v))
        }
        self.kev.is_none_or(|k| k == i.kev)
            && self.informational.is_none_or(|x| x == i.informational)
            && self.cvss_known.is_none_or(|x| x == i.cvss_known)
            && within(&self.severity, &i.severity)
            && within(&self.epss, &i.epss)
            && within(&self.criticality, &i.criticality)
            && within(&self.exposure, &i.exposure)
            && within(&self.kernel, &i.kernel)
    }
}

/// The facts a decision is made from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inputs {
    pub kev: bool,
    /// The finding comes only from informational advisories.
    pub informational: bool,
    /// A CVSS score is known.
    pub cvss_known: bool,
    /// Effective severity (unknown and `none` already mapped).
    pub severity: Severity,
    pub epss: EpssBand,
    pub criticality: Criticality,
    pub exposure: Exposure,
    pub kernel: KernelRole,
}

impl Policy {
    /// The built-in policy.
    pub fn builtin() -> Policy {
        match Policy::from_toml(DEFAULT_POLICY, None, "built-in policy.toml") {
            Ok(p) => p,
            // The file is part of the crate and tested; failing here is a build defect.
            Err(e) => unreachable!("built-in policy.toml: {e}"),
        }
    }

    /// The built-in policy with `overrides` (the `[policy]` table of a configuration file,
    /// named `file` in messages) merged in: tables merge key by key, other values replace.
    pub fn from_toml(
        base: &str,
        overrides: Option<&toml::Table>,
        file: &str,
    ) -> Result<Policy, Error> {
        let mut table: toml::Table = toml::from_str(base).map_err(|e| Error::Config {
            file: file.to_string(),
            reason: e.to_string(),
        })?;
        if let Some(o) = overrides {
            merge(&mut table, o);
        }
        let p: Policy = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| Error::Config {
                file: file.to_string(),
                reason: format!("[policy]: {e}"),
            })?;
        p.check().map_err(|reason| Error::Config {
            file: file.to_string(),
            reason: format!("[policy]: {reason}"),
        })?;
        Ok(p)
    }

    fn check(&self) -> Result<(), String> {
        if self.rules.is_empty() {
            return Err("the decision table has no rule".into());
        }
        if !(0.0..=1.0).contains(&self.epss.high) || !(0.0..=1.0).contains(&self.epss.medium) {
            return Err("epss bands must be percentiles in 0..=1".into());
        }
        if self.unknown_severity == Severity::Unknown {
            return Err("unknown_severity must be a severity (critical, high, medium, low)".into());
        }
        let b = &self.score.severity_cvss;
        for (key, v) in [
            ("score.severity_cvss.low", b.low),
            ("score.severity_cvss.medium", b.medium),
            ("score.severity_cvss.high", b.high),
            ("score.severity_cvss.critical", b.critical),
        ] {
            if !v.is_finite() || !(0.0..=10.0).contains(&v) {
                return Err(format!("{key} = {v}: a CVSS score, 0 to 10"));
            }
        }
        if self.epss.medium > self.epss.high {
            return Err("epss.medium must not exceed epss.high".into());
        }
        if !(0..=i64::from(MAX_SLA_DAYS)).contains(&self.max_feed_age_days) {
            return Err(format!(
                "max_feed_age_days = {}: 0 to {MAX_SLA_DAYS} days",
                self.max_feed_age_days
            ));
        }
        let sla = &self.sla;
        for (key, days) in [
            ("critical", sla.critical),
            ("high", sla.high),
            ("medium", sla.medium),
            ("low", sla.low),
        ] {
            if days > MAX_SLA_DAYS {
                return Err(format!(
                    "sla.{key} = {days}: at most {MAX_SLA_DAYS} days (100 years)"
                ));
            }
        }
        let w = &self.score;
        let (c, x) = (&w.criticality, &w.exposure);
        for (key, v) in [
            ("score.unknown_cvss", w.unknown_cvss),
            ("score.kev", w.kev),
            ("score.epss", w.epss),
            ("score.criticality.low", c.low),
            ("score.criticality.medium", c.medium),
            ("score.criticality.high", c.high),
            ("score.criticality.critical", c.critical),
            ("score.exposure.isolated", x.isolated),
            ("score.exposure.internal", x.internal),
            ("score.exposure.internet", x.internet),
            ("kernel.running", self.kernel.running),
            ("kernel.next-boot", self.kernel.next_boot),
            ("kernel.installed", self.kernel.installed),
            ("kernel.other", self.kernel.other),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{key} = {v}: must be a finite number >= 0"));
            }
        }
        Ok(())
    }

    pub fn epss_band(&self, e: Option<&Epss>) -> EpssBand {
        match e {
            None => EpssBand::Unknown,
            Some(e) if e.percentile >= self.epss.high => EpssBand::High,
            Some(e) if e.percentile >= self.epss.medium => EpssBand::Medium,
            Some(_) => EpssBand::Low,
        }
    }

    /// The decision for these inputs and the index of the rule that made it.
    pub fn decide(&self, i: &Inputs) -> (Decision, Option<usize>) {
        match self.rules.iter().position(|r| r.holds(i)) {
            Some(n) => (self.rules[n].decision, Some(n)),
            None => (Decision::Defer, None),
        }
    }

    fn criticality_weight(&self, c: Criticality) -> f64 {
        let w = &self.score.criticality;
        match c {
            Criticality::Low => w.low,
            Criticality::Medium => w.medium,
            Criticality::High => w.high,
            Criticality::Critical => w.critical,
        }
    }

    fn exposure_weight(&self, e: Exposure) -> f64 {
        let w = &self.score.exposure;
        match e {
            Exposure::Isolated => w.isolated,
            Exposure::Internal => w.internal,
            Exposure::Internet => w.internet,
        }
    }
}

/// Deep merge: tables merge key by key; any other value (arrays included) replaces.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// What a finding's priority is computed from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub cvss: Option<&'a Cvss>,
    /// The vendor's rating in words, when one is known.
    pub vendor: Option<&'a caulk_model::finding::VendorSeverity>,
    pub kev: Option<&'a Kev>,
    pub epss: Option<&'a Epss>,
    /// Earliest publication date of the advisories that matched.
    pub published: Option<Date>,
    /// False for distro verdicts (will-not-fix, not-affected): no clock runs.
    pub clock_runs: bool,
    /// The informational kind (`unmaintained`, `unsound`, `notice`, …) when every matching
    /// advisory entry is informational.
    pub informational: Option<&'a str>,
    /// What the package is to the host when it is built from a kernel source, and why.
    pub kernel: Option<(KernelRole, &'a str)>,
}

/// The asset's context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssetContext {
    pub criticality: Criticality,
    pub exposure: Exposure,
}

/// `YYYY-MM-DD` at the start of a date or RFC 3339 string.
pub fn parse_date(s: &str) -> Option<Date> {
    s.get(..10)?.parse().ok()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The reason line of a finding from informational advisories, in words.
pub fn informational_reason(kind: &str) -> String {
    let what = match kind {
        "unmaintained" => "the package is no longer maintained",
        "unsound" => "the package's safe API can cause undefined behaviour",
        "notice" => "a notice about the package",
        _ => "a kind this caulk does not know",
    };
    format!(
        "informational advisory ({kind}): {what}; the advisory database does not report it as a vulnerability, and cargo-audit shows it as a warning"
    )
}

/// Compute a finding's priority.
pub fn prioritize(policy: &Policy, f: &Facts<'_>, ctx: &AssetContext, today: Date) -> Priority {
    let mut reasons = Vec::new();
    if let Some(kind) = f.informational {
        reasons.push(informational_reason(kind));
    }
    let rated = crate::severity::rate(policy, f.cvss, f.vendor);
    let (cvss_score, severity) = (rated.score, rated.effective);
    reasons.extend(rated.reasons);
    if let Some(k) = f.kev {
        let ransomware = if k
            .known_ransomware_campaign_use
            .eq_ignore_ascii_case("known")
        {
            "; known ransomware use"
        } else {
            ""
        };
        reasons.push(format!(
            "{} is in CISA KEV since {} (federal due date {}{ransomware})",
            k.cve_id, k.date_added, k.due_date
        ));
    }
    let band = policy.epss_band(f.epss);
    match f.epss {
        Some(e) => reasons.push(format!(
            "EPSS {:.3} (percentile {:.3}, {} band){}",
            e.score,
            e.percentile,
            band.as_str(),
            e.date
                .as_deref()
                .map(|d| format!(" on {}", d.get(..10).unwrap_or(d)))
                .unwrap_or_default()
        )),
        None => reasons.push("no EPSS score known".to_string()),
    }
    reasons.push(format!(
        "asset criticality {}, exposure {}",
        ctx.criticality.as_str(),
        ctx.exposure.as_str()
    ));
    let kernel = f.kernel.map_or(KernelRole::None, |(r, _)| r);
    if let Some((r, why)) = f.kernel {
        let w = policy.kernel.of(r);
        reasons.push(if w == 1.0 {
            why.to_string()
        } else {
            format!("{why} (kernel weight {w} for {})", r.as_str())
        });
    }
    let inputs = Inputs {
        kev: f.kev.is_some(),
        informational: f.informational.is_some(),
        cvss_known: f.cvss.is_some(),
        severity,
        epss: band,
        criticality: ctx.criticality,
        exposure: ctx.exposure,
        kernel,
    };
    let (decision, rule) = policy.decide(&inputs);
    match rule {
        Some(n) => reasons.push(format!(
            "{}: rule {} of {}: {}",
            decision.as_str(),
            n + 1,
            policy.name,
            policy.rules[n].why
        )),
        None => reasons.push(format!("defer: no rule of {} matched", policy.name)),
    }

    let threat =
        1.0 + if f.kev.is_some() {
            policy.score.kev
        } else {
            0.0
        } + policy.score.epss * f.epss.map_or(0.0, |e| e.score);
    let score = round1(
        (10.0
            * cvss_score
            * threat
            * policy.criticality_weight(ctx.criticality)
            * policy.exposure_weight(ctx.exposure)
            * policy.kernel.of(kernel))
        .clamp(0.0, 100.0),
    );

    let mut p = Priority {
        score,
        decision,
        reasons,
        due_date: None,
        sla_days: None,
        due_date_origin: None,
        overdue: false,
    };
    if !f.clock_runs {
        return p;
    }
    let kev_due = f.kev.and_then(|k| parse_date(&k.due_date));
    if let Some(n) = rule.filter(|&n| policy.rules[n].sla == Some(false)) {
        // No SLA clock; a KEV due date (a federal deadline, not ours) still stands unless the
        // rule says it is not this package's.
        let kev_due = kev_due.filter(|_| policy.rules[n].kev_due != Some(false));
        match kev_due {
            Some(k) => {
                p.reasons.push(format!(
                    "due {k}: the KEV due date (rule {} of {} runs no SLA clock)",
                    n + 1,
                    policy.name
                ));
                p.due_date_origin = Some(DueDateOrigin::Kev);
                p.due_date = Some(k.into());
                if k < today {
                    p.overdue = true;
                    let late = (today - k).get_days();
                    p.reasons.push(format!("overdue by {late} days"));
                    escalate(policy, &mut p, late);
                }
            }
            None => p.reasons.push(format!(
                "no due date: rule {} of {} runs no SLA clock",
                n + 1,
                policy.name
            )),
        }
        return p;
    }
    let days = policy.sla.days(severity);
    p.sla_days = Some(days);
    let (origin, origin_name) = match (policy.clock, f.published) {
        (SlaClock::VendorRelease, Some(d)) => (d, "vendor release"),
        (SlaClock::VendorRelease, None) => (today, "detection (no publication date known)"),
        (_, _) => (today, "detection"),
    };
    let sla_due = origin
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .ok();
    let due = match (kev_due, sla_due) {
        (Some(k), s) => {
            p.due_date_origin = Some(DueDateOrigin::Kev);
            let sla_text = s
                .map(|s| format!(" over the SLA date {s}"))
                .unwrap_or_default();
            p.reasons
                .push(format!("due {k}: the KEV due date wins{sla_text}"));
            Some(k)
        }
        (None, Some(s)) => {
            p.due_date_origin = Some(match (policy.clock, f.published) {
                (SlaClock::VendorRelease, Some(_)) => DueDateOrigin::VendorRelease,
                _ => DueDateOrigin::Detection,
            });
            p.reasons.push(format!(
                "due {s}: {} SLA of {days} days from {origin_name} {origin}",
                severity.as_str()
            ));
            Some(s)
        }
        (None, None) => None,
    };
    if let Some(d) = due {
        p.due_date = Some(d.into());
        if d < today {
            p.overdue = true;
            let late = (today - d).get_days();
            p.reasons.push(format!("overdue by {late} days"));
            escalate(policy, &mut p, late);
        }
    }
    p
}

/// Raise an overdue finding's decision by the first `[[escalate]]` entry that applies (policy
/// data): never lowers one.
fn escalate(policy: &Policy, p: &mut Priority, late_days: i32) {
    let Some((n, e)) = policy.escalate.iter().enumerate().find(|(_, e)| {
        i64::from(late_days) > i64::from(e.overdue_days)
            && e.from.contains(&p.decision)
            && e.to > p.decision
    }) else {
        return;
    };
    p.reasons.push(format!(
        "{}: escalated from {} by escalation {} of {}: overdue by more than {} days: {}",
        e.to.as_str(),
        p.decision.as_str(),
        n + 1,
        policy.name,
        e.overdue_days,
        e.why
    ));
    p.decision = e.to;
}

#[cfg(test)]
mod tests {
    use super::*;
    use caulk_model::finding::CvssVersion;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn cvss(score: f64, severity: Severity) -> Cvss {
        Cvss {
            version: CvssVersion::V3_1,
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            score,
            severity,
            source: "osv:TEST-1".into(),
        }
    }

    fn kev() -> Kev {
        Kev {
            cve_id: "CVE-2023-4911".into(),
            date_added: "2023-11-21".into(),
            due_date: "2023-12-12".into(),
            known_ransomware_campaign_use: "Unknown".into(),
            ..Kev::default()
        }
    }

    fn facts<'a>(c: Option<&'a Cvss>, k: Option<&'a Kev>, e: Option<&'a Epss>) -> Facts<'a> {
        Facts {
            cvss: c,
            vendor: None,
            kev: k,
            epss: e,
            published: Some(date("2026-11-01")),
            clock_runs: true,
            informational: None,
            kernel: None,
        }
    }

    fn informational<'a>(kind: &'a str, f: Facts<'a>) -> Facts<'a> {
        Facts {
            informational: Some(kind),
            ..f
        }
    }

    #[test]
    fn builtin_policy_parses_and_has_the_default_sla() {
        let p = Policy::builtin();
        assert_eq!(p.name, "caulk-default-v4");
        assert_eq!(
            (p.sla.critical, p.sla.high, p.sla.medium, p.sla.low),
            (15, 30, 90, 180)
        );
        assert_eq!(p.clock, SlaClock::VendorRelease);
        assert!(p.rules.len() >= 5);
    }

    /// The decision table, row by row, for the cases that matter.
    /// Issue 11, item 4: a kernel flaw matters where the kernel runs. The headers and tools
    /// of the kernel source are deferred with no clock, even in KEV; the running image is
    /// ranked as any package; an old installed image weighs half.
    #[test]
    fn kernel_findings_rank_by_what_the_binary_is() {
        let p = Policy::builtin();
        let ctx = AssetContext::default();
        let today = date("2026-12-01");
        let high = cvss(7.8, Severity::High);
        let k = kev();
        let with = |role: KernelRole, why: &'static str| Facts {
            kernel: Some((role, why)),
            ..facts(Some(&high), Some(&k), None)
        };
        let running = prioritize(
            &p,
            &with(KernelRole::Running, "the running kernel"),
            &ctx,
            today,
        );
        let plain = prioritize(&p, &facts(Some(&high), Some(&k), None), &ctx, today);
        assert_eq!(running.decision, plain.decision);
        assert_eq!(running.score, plain.score);
        assert!(running.reasons.iter().any(|r| r == "the running kernel"));
        let headers = prioritize(
            &p,
            &with(KernelRole::Other, "linux-libc-dev: headers"),
            &ctx,
            today,
        );
        assert_eq!(headers.decision, Decision::Defer);
        assert!(
            headers.due_date.is_none() && !headers.overdue,
            "{headers:?}"
        );
        assert!(
            (headers.score - plain.score * 0.1).abs() < 0.11,
            "{headers:?}"
        );
        assert!(
            headers
                .reasons
                .iter()
                .any(|r| r.contains("kernel weight 0.1 for other")),
            "{:?}",
            headers.reasons
        );
        let old = prioritize(&p, &with(KernelRole::Installed, "old image"), &ctx, today);
        assert!(old.score < running.score && old.score > headers.score);
        let next = prioritize(&p, &with(KernelRole::NextBoot, "next boot"), &ctx, today);
        assert_eq!(next.decision, running.decision);
        // A site can weigh differently, in data.
        let mut o = toml::Table::new();
        o.insert(
            "kernel".into(),
            toml::Value::Table(
                toml::from_str("running = 1.0\nnext-boot = 1.0\ninstalled = 1.0\nother = 1.0")
                    .unwrap(),
            ),
        );
        let flat = Policy::from_toml(DEFAULT_POLICY, Some(&o), "caulk.toml").unwrap();
        let h = prioritize(&flat, &with(KernelRole::Other, "h"), &ctx, today);
        assert_eq!(h.score, plain.score);
    }

    /// Issue 11, item 5: overdue findings may be escalated, by policy data.
    #[test]
    fn overdue_findings_escalate_by_policy_data() {
        let ctx = AssetContext::default();
        let med = cvss(5.5, Severity::Medium);
        let f = facts(Some(&med), None, None);
        // Published 2026-11-01, medium: due 2027-01-30.
        let builtin = Policy::builtin();
        let late = prioritize(&builtin, &f, &ctx, date("2027-06-01"));
        assert!(late.overdue);
        assert_eq!(
            late.decision,
            Decision::Scheduled,
            "the built-in policy escalates nothing"
        );
        let o: toml::Table = toml::from_str(
            r#"
[[escalate]]
overdue_days = 90
from = ["scheduled", "defer"]
to = "out-of-cycle"
why = "the maintenance window has passed more than once"
"#,
        )
        .unwrap();
        let p = Policy::from_toml(DEFAULT_POLICY, Some(&o), "caulk.toml").unwrap();
        // 30 days late: not yet.
        let r = prioritize(&p, &f, &ctx, date("2027-03-01"));
        assert_eq!(r.decision, Decision::Scheduled);
        // 122 days late: escalated, with the reason.
        let r = prioritize(&p, &f, &ctx, date("2027-06-01"));
        assert_eq!(r.decision, Decision::OutOfCycle);
        assert!(
            r.reasons.last().unwrap().starts_with(
                "out-of-cycle: escalated from scheduled by escalation 1 of caulk-default-v4: overdue by more than 90 days"
            ),
            "{:?}",
            r.reasons
        );
        // Never lowered: an act-now KEV finding stays act-now.
        let k = kev();
        let r = prioritize(
            &p,
            &facts(Some(&med), Some(&k), None),
            &ctx,
            date("2027-06-01"),
        );
        assert_eq!(r.decision, Decision::ActNow);
    }

    #[test]
    fn decision_table() {
        let p = Policy::builtin();
        let ctx = |criticality, exposure| AssetContext {
            criticality,
            exposure,
        };
        use Criticality as C;
        use Exposure as X;
        let crit = cvss(9.8, Severity::Critical);
        let high = cvss(7.5, Severity::High);
        let med = cvss(5.0, Severity::Medium);
        let low = cvss(2.0, Severity::Low);
        let k = kev();
        let hot = Epss {
            score: 0.9,
            percentile: 0.99,
            date: None,
            model_version: None,
        };
        let cold = Epss {
            score: 0.001,
            percentile: 0.1,
            date: None,
            model_version: None,
        };
        let today = date("2026-11-27");
        let cases: Vec<(Facts, AssetContext, Decision)> = vec![
            (
                facts(Some(&low), Some(&k), None),
                ctx(C::Low, X::Internal),
                Decision::ActNow,
            ),
            (
                facts(Some(&low), Some(&k), None),
                ctx(C::Low, X::Isolated),
                Decision::OutOfCycle,
            ),
            (
                facts(Some(&crit), None, Some(&hot)),
                ctx(C::Medium, X::Internet),
                Decision::ActNow,
            ),
            (
                facts(Some(&crit), None, Some(&hot)),
                ctx(C::Medium, X::Internal),
                Decision::OutOfCycle,
            ),
            (
                facts(Some(&high), None, Some(&hot)),
                ctx(C::Low, X::Isolated),
                Decision::OutOfCycle,
            ),
            (
                facts(Some(&crit), None, Some(&cold)),
                ctx(C::Medium, X::Internal),
                Decision::OutOfCycle,
            ),
            (
                facts(Some(&crit), None, None),
                ctx(C::Medium, X::Isolated),
                Decision::Scheduled,
            ),
            (
                facts(Some(&high), None, None),
                ctx(C::Critical, X::Internet),
                Decision::OutOfCycle,
            ),
            (
                facts(Some(&high), None, None),
                ctx(C::Medium, X::Internet),
                Decision::Scheduled,
            ),
            (
                facts(Some(&med), None, None),
                ctx(C::Medium, X::Internal),
                Decision::Scheduled,
            ),
            (
                facts(None, None, None),
                ctx(C::Medium, X::Internal),
                Decision::Scheduled,
            ),
            (
                facts(Some(&low), None, None),
                ctx(C::High, X::Internet),
                Decision::Defer,
            ),
            (
                facts(Some(&low), None, Some(&hot)),
                ctx(C::Low, X::Internal),
                Decision::Scheduled,
            ),
            // Informational advisories: no CVSS → defer, wherever the asset is ...
            (
                informational("unmaintained", facts(None, None, None)),
                ctx(C::Critical, X::Internet),
                Decision::Defer,
            ),
            (
                informational("unsound", facts(None, None, Some(&hot))),
                ctx(C::Medium, X::Internal),
                Decision::Defer,
            ),
            // ... but KEV and a CVSS score still count.
            (
                informational("unmaintained", facts(None, Some(&k), None)),
                ctx(C::Medium, X::Internal),
                Decision::ActNow,
            ),
            (
                informational("unmaintained", facts(Some(&crit), None, None)),
                ctx(C::Medium, X::Internal),
                Decision::OutOfCycle,
            ),
            (
                informational("unsound", facts(Some(&med), None, None)),
                ctx(C::Medium, X::Internal),
                Decision::Scheduled,
            ),
        ];
        for (i, (f, c, want)) in cases.iter().enumerate() {
            let got = prioritize(&p, f, c, today);
            assert_eq!(got.decision, *want, "case {i}: {:?}", got.reasons);
            assert!(
                got.reasons.iter().any(|r| r.contains("rule ")),
                "case {i} names its rule: {:?}",
                got.reasons
            );
        }
    }

    #[test]
    fn informational_findings_say_so_first() {
        let p = Policy::builtin();
        let today = date("2026-11-27");
        let pr = prioritize(
            &p,
            &informational("unmaintained", facts(None, None, None)),
            &AssetContext::default(),
            today,
        );
        assert_eq!(
            pr.reasons[0],
            "informational advisory (unmaintained): the package is no longer maintained; the advisory database does not report it as a vulnerability, and cargo-audit shows it as a warning"
        );
        assert!(
            pr.reasons
                .iter()
                .any(|r| r.starts_with("defer: rule 4 of caulk-default-v4: informational")),
            "{:?}",
            pr.reasons
        );
        // Other kinds are named as written.
        let pr = prioritize(
            &p,
            &informational("deprecated-api", facts(None, None, None)),
            &AssetContext::default(),
            today,
        );
        assert!(
            pr.reasons[0].starts_with("informational advisory (deprecated-api): a kind"),
            "{:?}",
            pr.reasons
        );
        // An ordinary finding has no such line.
        let pr = prioritize(
            &p,
            &facts(None, None, None),
            &AssetContext::default(),
            today,
        );
        assert!(!pr.reasons.iter().any(|r| r.contains("informational")));
        assert_eq!(pr.decision, Decision::Scheduled);
    }

    #[test]
    fn deferred_notices_run_no_sla_clock() {
        let p = Policy::builtin();
        let today = date("2026-11-27");
        let mut notice = informational("unmaintained", facts(None, None, None));
        notice.published = Some(date("2020-01-01"));
        let pr = prioritize(&p, &notice, &AssetContext::default(), today);
        assert_eq!(pr.decision, Decision::Defer);
        assert_eq!(
            (
                pr.due_date.map(|d| d.to_string()).as_deref(),
                pr.sla_days,
                pr.overdue
            ),
            (None, None, false)
        );
        assert_eq!(
            pr.reasons.last().map(String::as_str),
            Some("no due date: rule 4 of caulk-default-v4 runs no SLA clock")
        );
        // The same advisory with a CVSS score is a vulnerability to fix: its clock runs.
        let c = cvss(9.8, Severity::Critical);
        let mut scored = informational("unsound", facts(Some(&c), None, None));
        scored.published = Some(date("2020-01-01"));
        let pr = prioritize(&p, &scored, &AssetContext::default(), today);
        assert_eq!(pr.decision, Decision::OutOfCycle);
        assert_eq!(
            pr.due_date.map(|d| d.to_string()).as_deref(),
            Some("2020-01-16")
        );
        assert!(pr.overdue);
        // An ordinary finding with no CVSS (every Debian finding) keeps its clock.
        let mut plain = facts(None, None, None);
        plain.published = Some(date("2020-01-01"));
        let pr = prioritize(&p, &plain, &AssetContext::default(), today);
        assert_eq!(pr.sla_days, Some(90));
        assert!(pr.overdue);
    }

    #[test]
    fn composite_score_grows_with_threat_and_context() {
        let p = Policy::builtin();
        let c = cvss(9.8, Severity::Critical);
        let k = kev();
        let today = date("2026-11-27");
        let base = AssetContext::default();
        let plain = prioritize(&p, &facts(Some(&c), None, None), &base, today).score;
        let with_kev = prioritize(&p, &facts(Some(&c), Some(&k), None), &base, today).score;
        let exposed = prioritize(
            &p,
            &facts(Some(&c), None, None),
            &AssetContext {
                criticality: Criticality::Critical,
                exposure: Exposure::Internet,
            },
            today,
        )
        .score;
        // 10 × 9.8 × 1 × 0.8 × 0.8
        assert_eq!(plain, 62.7);
        assert!(with_kev > plain && exposed > plain);
        assert_eq!(exposed, 100.0, "clamped");
    }

    #[test]
    fn sla_due_dates_count_from_vendor_release_and_kev_wins() {
        let p = Policy::builtin();
        let today = date("2026-11-27");
        let c = cvss(9.8, Severity::Critical);
        let pr = prioritize(
            &p,
            &facts(Some(&c), None, None),
            &AssetContext::default(),
            today,
        );
        assert_eq!(pr.sla_days, Some(15));
        assert_eq!(
            pr.due_date.map(|d| d.to_string()).as_deref(),
            Some("2026-11-16")
        );
        assert_eq!(
            pr.due_date_origin.map(|o| o.as_str()),
            Some("vendor-release")
        );
        assert!(pr.overdue);
        assert!(
            pr.reasons.iter().any(|r| r == "overdue by 11 days"),
            "{:?}",
            pr.reasons
        );

        let k = kev();
        let pr = prioritize(
            &p,
            &facts(Some(&c), Some(&k), None),
            &AssetContext::default(),
            today,
        );
        assert_eq!(
            pr.due_date.map(|d| d.to_string()).as_deref(),
            Some("2023-12-12")
        );
        assert_eq!(pr.due_date_origin.map(|o| o.as_str()), Some("kev"));

        // Unknown severity: the medium SLA.
        let mut f = facts(None, None, None);
        f.published = None;
        let pr = prioritize(&p, &f, &AssetContext::default(), today);
        assert_eq!(pr.sla_days, Some(90));
        assert_eq!(
            pr.due_date.map(|d| d.to_string()).as_deref(),
            Some("2027-02-25")
        );
        assert_eq!(pr.due_date_origin.map(|o| o.as_str()), Some("detection"));
        assert!(!pr.overdue);

        // Distro verdicts: no clock.
        let mut f = facts(Some(&c), None, None);
        f.clock_runs = false;
        let pr = prioritize(&p, &f, &AssetContext::default(), today);
        assert_eq!((pr.due_date, pr.sla_days), (None, None));
    }

    #[test]
    fn detection_clock_and_overrides_merge() {
        let over: toml::Table = toml::from_str(
            "clock = \"detection\"\nname = \"site\"\n[sla]\ncritical = 7\n[[rule]]\ndecision = \"act-now\"\nwhy = \"everything now\"\n",
        )
        .unwrap();
        let p = Policy::from_toml(DEFAULT_POLICY, Some(&over), "caulk.toml").unwrap();
        assert_eq!(p.sla.critical, 7);
        assert_eq!(p.sla.high, 30, "untouched keys keep the built-in value");
        assert_eq!(p.rules.len(), 1, "arrays replace");
        let c = cvss(9.8, Severity::Critical);
        let today = date("2026-11-27");
        let pr = prioritize(
            &p,
            &facts(Some(&c), None, None),
            &AssetContext::default(),
            today,
        );
        assert_eq!(pr.decision, Decision::ActNow);
        assert_eq!(
            pr.due_date.map(|d| d.to_string()).as_deref(),
            Some("2026-12-04")
        );
        assert!(pr.reasons.iter().any(|r| r.contains("rule 1 of site")));
    }

    #[test]
    fn a_rule_without_sla_clock_keeps_the_kev_due_date() {
        let over: toml::Table = toml::from_str(
            "name = \"site\"\n[[rule]]\ndecision = \"defer\"\nwhy = \"nothing runs a clock\"\nsla = false\n",
        )
        .unwrap();
        let p = Policy::from_toml(DEFAULT_POLICY, Some(&over), "caulk.toml").unwrap();
        let today = date("2026-11-27");
        let k = kev();
        let pr = prioritize(
            &p,
            &facts(None, Some(&k), None),
            &AssetContext::default(),
            today,
        );
        assert_eq!(pr.decision, Decision::Defer);
        assert_eq!(
            (
                pr.due_date.map(|d| d.to_string()).as_deref(),
                pr.due_date_origin.map(|o| o.as_str()),
                pr.sla_days
            ),
            (Some("2023-12-12"), Some("kev"), None)
        );
        assert!(pr.overdue);
        assert!(
            pr.reasons
                .iter()
                .any(|r| r == "due 2023-12-12: the KEV due date (rule 1 of site runs no SLA clock)"),
            "{:?}",
            pr.reasons
        );
        // Without KEV: no due date at all.
        let pr = prioritize(
            &p,
            &facts(None, None, None),
            &AssetContext::default(),
            today,
        );
        assert_eq!((pr.due_date, pr.overdue), (None, false));
    }

    #[test]
    fn out_of_range_numbers_are_refused_not_panicked_on() {
        for (over, key) in [
            ("[sla]\nmedium = 4000000000\n", "sla.medium"),
            ("[score]\nkev = nan\n", "score.kev"),
            ("[score]\nepss = -1.0\n", "score.epss"),
            (
                "[score.exposure]\ninternet = inf\n",
                "score.exposure.internet",
            ),
        ] {
            let over: toml::Table = toml::from_str(over).unwrap();
            let e = Policy::from_toml(DEFAULT_POLICY, Some(&over), "caulk.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains("caulk.toml") && e.contains(key), "{key}: {e}");
        }
        // The largest accepted SLA still gives a date.
        let over: toml::Table = toml::from_str("[sla]\nmedium = 36525\n").unwrap();
        let p = Policy::from_toml(DEFAULT_POLICY, Some(&over), "caulk.toml").unwrap();
        let pr = prioritize(
            &p,
            &facts(None, None, None),
            &AssetContext::default(),
            date("2026-11-27"),
        );
        assert_eq!(
            pr.due_date.map(|d| d.to_string()).as_deref(),
            Some("2126-11-02")
        );
    }

    #[test]
    fn bad_policy_names_the_file_and_key() {
        let over: toml::Table = toml::from_str("[sla]\ncritcal = 7\n").unwrap();
        let e = Policy::from_toml(DEFAULT_POLICY, Some(&over), "/etc/caulk.toml").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("/etc/caulk.toml") && msg.contains("critcal"),
            "{msg}"
        );
        let over: toml::Table = toml::from_str("rule = []\n").unwrap();
        assert!(Policy::from_toml(DEFAULT_POLICY, Some(&over), "x").is_err());
    }
}
