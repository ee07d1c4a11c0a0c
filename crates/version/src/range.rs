//! OSV `affected` evaluation: is this version inside the ranges or the `versions` list of one
//! OSV `affected[]` entry, and which range and event decided it.
//!
//! The algorithm is the OSV schema's: sort a range's events by version (`introduced: "0"`
//! first), walk them, and let the last event that applies decide (`introduced` ≤ v turns
//! "affected" on, `fixed` ≤ v and `last_affected` < v turn it off); a `limit` caps the range.
//! Several ranges of one entry are OR-ed, and so is the explicit `versions` list.
//!
//! The traps: events come in any order and several `introduced`/`fixed` pairs may share one
//! range; at equal versions an `introduced` is applied before a `fixed` (so `introduced X,
//! fixed X` is empty: the data says X is fixed) and before a `last_affected` (so `introduced X,
//! last_affected X` is exactly X). GIT ranges name commits, not versions: they are reported as
//! not evaluable for package versions, never guessed. A bad event version spoils only its own
//! range, which is reported; the other ranges still decide.

use crate::{Ecosystem, Scheme, Version, VersionError};
use std::cmp::Ordering;
use std::fmt;

/// The `type` of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeKind {
    /// Versions in the ecosystem's own scheme.
    Ecosystem,
    /// SemVer 2.0 versions, whatever the ecosystem.
    Semver,
    /// Git commit hashes.
    Git,
    /// A type this version of caulk does not know; kept, reported as not evaluable.
    Other(String),
}

impl RangeKind {
    pub fn parse(s: &str) -> RangeKind {
        match s {
            "ECOSYSTEM" => RangeKind::Ecosystem,
            "SEMVER" => RangeKind::Semver,
            "GIT" => RangeKind::Git,
            other => RangeKind::Other(other.to_string()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::Semver => "SEMVER",
            RangeKind::Git => "GIT",
            RangeKind::Other(s) => s,
        }
    }
}

/// The kind of an OSV range event. The declaration order is the tie-break order at equal
/// versions (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Introduced,
    LastAffected,
    Fixed,
    Limit,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Introduced => "introduced",
            EventKind::LastAffected => "last_affected",
            EventKind::Fixed => "fixed",
            EventKind::Limit => "limit",
        }
    }
}

/// One event of a range, its version string as written in the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    pub kind: EventKind,
    pub version: String,
}

impl Event {
    pub fn new(kind: EventKind, version: impl Into<String>) -> Event {
        Event {
            kind,
            version: version.into(),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.version)
    }
}

/// One OSV range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

/// The version-matching part of one OSV `affected[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Affected {
    pub ranges: Vec<Range>,
    /// The explicit `versions` list.
    pub versions: Vec<String>,
}

/// The upper end of the interval that holds an affected version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upper {
    /// Affected below this version; it is the fix.
    Fixed(String),
    /// Affected up to and including this version; no fixed version is known from this range.
    LastAffected(String),
    /// Affected below this limit.
    Limit(String),
    /// No upper event: every later version is affected.
    Unbounded,
}

/// Why a version was found affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Inside range number `range` (0-based, record order): `introduced` ≤ v and below `upper`.
    InRange {
        range: usize,
        kind: RangeKind,
        introduced: String,
        upper: Upper,
    },
    /// Listed verbatim (or equal under the scheme) in `versions`.
    Listed { version: String },
}

impl Match {
    /// The fixed version this match points to, if the range gives one.
    pub fn fixed(&self) -> Option<&str> {
        match self {
            Match::InRange {
                upper: Upper::Fixed(v),
                ..
            } => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Match::InRange {
                range,
                kind,
                introduced,
                upper,
            } => {
                write!(
                    f,
                    "range {range} ({}): introduced {introduced} <= version",
                    kind.as_str()
                )?;
                match upper {
                    Upper::Fixed(v) => write!(f, " < fixed {v}"),
                    Upper::LastAffected(v) => write!(f, " <= last_affected {v}"),
                    Upper::Limit(v) => write!(f, " < limit {v}"),
                    Upper::Unbounded => write!(f, ", no fix"),
                }
            }
            Match::Listed { version } => write!(f, "listed in versions as {version}"),
        }
    }
}

/// Why a range could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unevaluable {
    /// GIT ranges name commits; a package version says nothing about them.
    GitRange,
    /// A range type this version of caulk does not know.
    UnknownRangeType(String),
    /// The ecosystem has no version order caulk knows.
    NoScheme(String),
    /// An event's version does not parse under the scheme.
    BadEvent { event: Event, error: VersionError },
    /// The range has no `introduced` event (the OSV linter rejects these).
    NoIntroduced,
}

impl fmt::Display for Unevaluable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unevaluable::GitRange => f.write_str("GIT range: commits, not package versions"),
            Unevaluable::UnknownRangeType(t) => write!(f, "unknown range type {t:?}"),
            Unevaluable::NoScheme(e) => write!(f, "no version order known for ecosystem {e:?}"),
            Unevaluable::BadEvent { event, error } => write!(f, "event {event}: {error}"),
            Unevaluable::NoIntroduced => f.write_str("range has no introduced event"),
        }
    }
}

/// What one range says about the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    Inside(Match),
    /// Outside the range; `decided_by` is the event that turned "affected" off (or `None`:
    /// the version is below every `introduced`).
    Outside {
        decided_by: Option<Event>,
    },
    NotEvaluable(Unevaluable),
}

/// The answer for one `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Affected,
    NotAffected,
    /// Nothing matched and at least one range could not be evaluated.
    Undetermined,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// The first match in record order (ranges, then `versions`), when affected.
    pub matched: Option<Match>,
    /// One outcome per range, in record order.
    pub ranges: Vec<RangeOutcome>,
}

impl Evaluation {
    pub fn is_affected(&self) -> bool {
        self.verdict == Verdict::Affected
    }
}

/// A parsed event bound: `introduced: "0"` is below everything, `limit: "*"` above.
enum Bound {
    Min,
    Max,
    At(Version),
}

impl Bound {
    fn cmp_version(&self, v: &Version) -> Result<Ordering, VersionError> {
        match self {
            Bound::Min => Ok(Ordering::Less),
            Bound::Max => Ok(Ordering::Greater),
            Bound::At(b) => b.try_cmp(v),
        }
    }
    fn cmp_bound(&self, other: &Bound) -> Result<Ordering, VersionError> {
        match (self, other) {
            (Bound::Min, Bound::Min) | (Bound::Max, Bound::Max) => Ok(Ordering::Equal),
            (Bound::Min, _) | (_, Bound::Max) => Ok(Ordering::Less),
            (_, Bound::Min) | (Bound::Max, _) => Ok(Ordering::Greater),
            (Bound::At(a), Bound::At(b)) => a.try_cmp(b),
        }
    }
}

/// The scheme a range's versions are written in.
fn range_scheme(kind: &RangeKind, ecosystem_scheme: Option<Scheme>) -> Option<Scheme> {
    match kind {
        RangeKind::Ecosystem => ecosystem_scheme,
        // SEMVER ranges are SemVer whatever the ecosystem; the Go and Pub schemes read SemVer
        // strings too and also read their own ecosystem's installed versions (`v1.2.3`).
        RangeKind::Semver => match ecosystem_scheme {
            Some(s @ (Scheme::Go | Scheme::Pub)) => Some(s),
            _ => Some(Scheme::SemVer),
        },
        RangeKind::Git | RangeKind::Other(_) => None,
    }
}

/// Evaluate `version` against one `affected[]` entry of `ecosystem`.
pub fn evaluate_in(ecosystem: &Ecosystem, affected: &Affected, version: &str) -> Evaluation {
    evaluate(
        ecosystem.scheme(),
        &ecosystem.to_string(),
        affected,
        version,
    )
}

/// Evaluate `version` against one `affected[]` entry whose ECOSYSTEM ranges use `scheme`
/// (`None`: the ecosystem has no known order; `ecosystem_name` is only for messages).
pub fn evaluate(
    scheme: Option<Scheme>,
    ecosystem_name: &str,
    affected: &Affected,
    version: &str,
) -> Evaluation {
    let mut outcomes = Vec::with_capacity(affected.ranges.len());
    let mut matched = None;
    for (i, range) in affected.ranges.iter().enumerate() {
        let outcome = evaluate_range(i, range, scheme, ecosystem_name, version);
        if matched.is_none()
            && let RangeOutcome::Inside(m) = &outcome
        {
            matched = Some(m.clone());
        }
        outcomes.push(outcome);
    }
    if matched.is_none() {
        matched = listed(scheme, affected, version);
    }
    let verdict = if matched.is_some() {
        Verdict::Affected
    } else if outcomes
        .iter()
        .any(|o| matches!(o, RangeOutcome::NotEvaluable(_)))
    {
        // A versions list still decides when it is the only evaluable evidence and the
        // ranges are GIT ranges: OSV producers enumerate the tags those commits span.
        if !affected.versions.is_empty()
            && outcomes.iter().all(|o| {
                matches!(
                    o,
                    RangeOutcome::NotEvaluable(Unevaluable::GitRange)
                        | RangeOutcome::Outside { .. }
                )
            })
        {
            Verdict::NotAffected
        } else {
            Verdict::Undetermined
        }
    } else {
        Verdict::NotAffected
    };
    Evaluation {
        verdict,
        matched,
        ranges: outcomes,
    }
}

fn listed(scheme: Option<Scheme>, affected: &Affected, version: &str) -> Option<Match> {
    if let Some(v) = affected.versions.iter().find(|v| *v == version) {
        return Some(Match::Listed { version: v.clone() });
    }
    let scheme = scheme?;
    let parsed = scheme.parse_lenient(version).ok()?;
    affected
        .versions
        .iter()
        .find(|v| {
            scheme
                .parse_lenient(v)
                .ok()
                .and_then(|p| p.try_cmp(&parsed).ok())
                == Some(Ordering::Equal)
        })
        .map(|v| Match::Listed { version: v.clone() })
}

fn evaluate_range(
    index: usize,
    range: &Range,
    ecosystem_scheme: Option<Scheme>,
    ecosystem_name: &str,
    version: &str,
) -> RangeOutcome {
    let scheme = match (&range.kind, range_scheme(&range.kind, ecosystem_scheme)) {
        (RangeKind::Git, _) => return RangeOutcome::NotEvaluable(Unevaluable::GitRange),
        (RangeKind::Other(t), _) => {
            return RangeOutcome::NotEvaluable(Unevaluable::UnknownRangeType(t.clone()));
        }
        (_, None) => {
            return RangeOutcome::NotEvaluable(Unevaluable::NoScheme(ecosystem_name.to_string()));
        }
        (_, Some(s)) => s,
    };
    if !range.events.iter().any(|e| e.kind == EventKind::Introduced) {
        return RangeOutcome::NotEvaluable(Unevaluable::NoIntroduced);
    }
    let v = match scheme.parse_lenient(version) {
        Ok(v) => v,
        Err(error) => {
            // The installed version itself is unreadable in this range's scheme.
            return RangeOutcome::NotEvaluable(Unevaluable::BadEvent {
                event: Event::new(EventKind::Introduced, version),
                error,
            });
        }
    };
    let mut events: Vec<(Bound, &Event)> = Vec::with_capacity(range.events.len());
    for e in &range.events {
        let bound = match (e.kind, e.version.as_str()) {
            (EventKind::Introduced, "0") => Bound::Min,
            (EventKind::Limit, "*") => Bound::Max,
            (_, s) => match scheme.parse_lenient(s) {
                Ok(p) => Bound::At(p),
                Err(error) => {
                    return RangeOutcome::NotEvaluable(Unevaluable::BadEvent {
                        event: e.clone(),
                        error,
                    });
                }
            },
        };
        events.push((bound, e));
    }
    // Sort by version, ties by event kind. Comparisons within one scheme cannot fail, but a
    // failure must not panic: it falls back to "equal" and the kind order.
    events.sort_by(|(a, ea), (b, eb)| {
        a.cmp_bound(b)
            .unwrap_or(Ordering::Equal)
            .then(ea.kind.cmp(&eb.kind))
    });

    // Limits cap the whole range: the version must be below at least one of them.
    let limits: Vec<&(Bound, &Event)> = events
        .iter()
        .filter(|(_, e)| e.kind == EventKind::Limit)
        .collect();
    if !limits.is_empty()
        && !limits
            .iter()
            .any(|(b, _)| b.cmp_version(&v) == Ok(Ordering::Greater))
    {
        let highest = limits.last().map(|(_, e)| (*e).clone());
        return RangeOutcome::Outside {
            decided_by: highest,
        };
    }

    let mut affected_from: Option<usize> = None;
    let mut turned_off_by: Option<&Event> = None;
    for (i, (bound, e)) in events.iter().enumerate() {
        let c = bound.cmp_version(&v).unwrap_or(Ordering::Greater);
        match e.kind {
            EventKind::Introduced if c != Ordering::Greater => {
                affected_from = Some(i);
            }
            EventKind::Fixed if c != Ordering::Greater => {
                affected_from = None;
                turned_off_by = Some(e);
            }
            EventKind::LastAffected if c == Ordering::Less => {
                affected_from = None;
                turned_off_by = Some(e);
            }
            _ => {}
        }
    }
    match affected_from {
        Some(i) => {
            let introduced = events[i].1.version.clone();
            let upper = events[i + 1..]
                .iter()
                .find_map(|(_, e)| match e.kind {
                    EventKind::Fixed => Some(Upper::Fixed(e.version.clone())),
                    EventKind::LastAffected => Some(Upper::LastAffected(e.version.clone())),
                    EventKind::Limit => Some(Upper::Limit(e.version.clone())),
                    EventKind::Introduced => None,
                })
                .unwrap_or(Upper::Unbounded);
            RangeOutcome::Inside(Match::InRange {
                range: index,
                kind: range.kind.clone(),
                introduced,
                upper,
            })
        }
        None => RangeOutcome::Outside {
            decided_by: turned_off_by.cloned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: RangeKind, events: &[(EventKind, &str)]) -> Range {
        Range {
            kind,
            events: events.iter().map(|(k, v)| Event::new(*k, *v)).collect(),
        }
    }

    fn eco(events: &[(EventKind, &str)]) -> Affected {
        Affected {
            ranges: vec![range(RangeKind::Ecosystem, events)],
            versions: vec![],
        }
    }

    use EventKind::{Fixed, Introduced, LastAffected, Limit};

    fn affected(scheme: Scheme, a: &Affected, v: &str) -> bool {
        evaluate(Some(scheme), "test", a, v).is_affected()
    }

    #[test]
    fn introduced_fixed_is_half_open() {
        let a = eco(&[(Introduced, "1.0.0"), (Fixed, "1.2.0")]);
        assert!(!affected(Scheme::SemVer, &a, "0.9.0"));
        assert!(affected(Scheme::SemVer, &a, "1.0.0"));
        assert!(affected(Scheme::SemVer, &a, "1.1.9"));
        assert!(!affected(Scheme::SemVer, &a, "1.2.0"));
        assert!(!affected(Scheme::SemVer, &a, "2.0.0"));
        let e = evaluate(Some(Scheme::SemVer), "npm", &a, "1.1.0");
        assert_eq!(e.matched.as_ref().and_then(|m| m.fixed()), Some("1.2.0"));
        assert_eq!(
            e.matched.map(|m| m.to_string()).as_deref(),
            Some("range 0 (ECOSYSTEM): introduced 1.0.0 <= version < fixed 1.2.0")
        );
    }

    #[test]
    fn introduced_zero_is_below_everything() {
        let a = eco(&[(Introduced, "0"), (Fixed, "2.0")]);
        assert!(affected(Scheme::Dpkg, &a, "0:0"));
        assert!(affected(Scheme::Dpkg, &a, "1.9-9"));
        assert!(!affected(Scheme::Dpkg, &a, "2.0"));
        assert!(!affected(Scheme::Dpkg, &a, "1:0.1"));
    }

    #[test]
    fn last_affected_is_inclusive() {
        let a = eco(&[(Introduced, "0"), (LastAffected, "1.4")]);
        assert!(affected(Scheme::Pep440, &a, "1.4"));
        assert!(affected(Scheme::Pep440, &a, "1.4.0"));
        assert!(!affected(Scheme::Pep440, &a, "1.4.post1"));
        let e = evaluate(Some(Scheme::Pep440), "PyPI", &a, "1.0");
        assert_eq!(
            e.matched,
            Some(Match::InRange {
                range: 0,
                kind: RangeKind::Ecosystem,
                introduced: "0".into(),
                upper: Upper::LastAffected("1.4".into()),
            })
        );
    }

    #[test]
    fn events_in_any_order_and_several_intervals() {
        // [1, 2) and [3, 4) written out of order in one range.
        let a = eco(&[
            (Fixed, "4"),
            (Introduced, "3"),
            (Fixed, "2"),
            (Introduced, "1"),
        ]);
        for (v, want) in [
            ("0.5", false),
            ("1", true),
            ("1.5", true),
            ("2", false),
            ("2.5", false),
            ("3", true),
            ("3.9", true),
            ("4", false),
        ] {
            assert_eq!(affected(Scheme::Pep440, &a, v), want, "{v}");
        }
        let e = evaluate(Some(Scheme::Pep440), "PyPI", &a, "2.5");
        assert_eq!(
            e.ranges[0],
            RangeOutcome::Outside {
                decided_by: Some(Event::new(Fixed, "2"))
            }
        );
        let e = evaluate(Some(Scheme::Pep440), "PyPI", &a, "3.5");
        assert_eq!(
            e.matched
                .and_then(|m| m.fixed().map(str::to_string))
                .as_deref(),
            Some("4")
        );
    }

    #[test]
    fn equal_introduced_and_fixed_is_empty() {
        let a = eco(&[(Introduced, "1.0"), (Fixed, "1.0")]);
        assert!(!affected(Scheme::Pep440, &a, "1.0"));
        let a = eco(&[(Introduced, "1.0"), (LastAffected, "1.0")]);
        assert!(affected(Scheme::Pep440, &a, "1.0"));
        assert!(!affected(Scheme::Pep440, &a, "1.0.1"));
    }

    #[test]
    fn unbounded_introduced() {
        let a = eco(&[(Introduced, "2.0.0")]);
        assert!(affected(Scheme::SemVer, &a, "9.9.9"));
        assert!(!affected(Scheme::SemVer, &a, "1.9.9"));
        let e = evaluate(Some(Scheme::SemVer), "npm", &a, "2.0.0");
        assert!(matches!(
            e.matched,
            Some(Match::InRange {
                upper: Upper::Unbounded,
                ..
            })
        ));
    }

    #[test]
    fn limit_caps_the_range() {
        let a = eco(&[(Introduced, "0"), (Limit, "3.0")]);
        assert!(affected(Scheme::Pep440, &a, "2.9"));
        assert!(!affected(Scheme::Pep440, &a, "3.0"));
        let a = eco(&[(Introduced, "0"), (Limit, "*")]);
        assert!(affected(Scheme::Pep440, &a, "99"));
    }

    #[test]
    fn several_ranges_are_ored_and_versions_list_counts() {
        let a = Affected {
            ranges: vec![
                range(RangeKind::Ecosystem, &[(Introduced, "1.0"), (Fixed, "1.1")]),
                range(RangeKind::Ecosystem, &[(Introduced, "2.0"), (Fixed, "2.1")]),
            ],
            versions: vec!["3.0".into()],
        };
        assert!(affected(Scheme::Pep440, &a, "1.0.5"));
        assert!(affected(Scheme::Pep440, &a, "2.0.5"));
        assert!(!affected(Scheme::Pep440, &a, "1.5"));
        let e = evaluate(Some(Scheme::Pep440), "PyPI", &a, "3.0.0");
        assert_eq!(
            e.matched,
            Some(Match::Listed {
                version: "3.0".into()
            })
        );
        let e = evaluate(Some(Scheme::Pep440), "PyPI", &a, "2.0.5");
        assert!(matches!(e.matched, Some(Match::InRange { range: 1, .. })));
    }

    #[test]
    fn git_ranges_are_not_evaluable() {
        let a = Affected {
            ranges: vec![range(
                RangeKind::Git,
                &[(Introduced, "0"), (Fixed, "abc123")],
            )],
            versions: vec![],
        };
        let e = evaluate(Some(Scheme::SemVer), "npm", &a, "1.0.0");
        assert_eq!(e.verdict, Verdict::Undetermined);
        assert_eq!(
            e.ranges[0],
            RangeOutcome::NotEvaluable(Unevaluable::GitRange)
        );
        // With the tags enumerated, the versions list decides.
        let a = Affected {
            versions: vec!["1.0.0".into()],
            ..a
        };
        assert!(evaluate(Some(Scheme::SemVer), "npm", &a, "1.0.0").is_affected());
        assert_eq!(
            evaluate(Some(Scheme::SemVer), "npm", &a, "1.0.1").verdict,
            Verdict::NotAffected
        );
    }

    #[test]
    fn a_bad_event_spoils_only_its_range() {
        let a = Affected {
            ranges: vec![
                range(
                    RangeKind::Ecosystem,
                    &[(Introduced, "0"), (Fixed, "not a version!")],
                ),
                range(RangeKind::Ecosystem, &[(Introduced, "0"), (Fixed, "1.5.0")]),
            ],
            versions: vec![],
        };
        let e = evaluate(Some(Scheme::SemVer), "npm", &a, "1.0.0");
        assert!(e.is_affected());
        assert!(matches!(
            e.ranges[0],
            RangeOutcome::NotEvaluable(Unevaluable::BadEvent { .. })
        ));
        let e = evaluate(Some(Scheme::SemVer), "npm", &a, "1.6.0");
        assert_eq!(e.verdict, Verdict::Undetermined);
    }

    #[test]
    fn unknown_range_type_and_scheme() {
        let a = Affected {
            ranges: vec![range(RangeKind::parse("CALVER"), &[(Introduced, "0")])],
            versions: vec![],
        };
        assert_eq!(
            evaluate(Some(Scheme::SemVer), "npm", &a, "1.0.0").ranges[0],
            RangeOutcome::NotEvaluable(Unevaluable::UnknownRangeType("CALVER".into()))
        );
        let a = eco(&[(Introduced, "0")]);
        let e = evaluate_in(&Ecosystem::parse("Linux"), &a, "6.1");
        assert_eq!(e.verdict, Verdict::Undetermined);
        assert_eq!(
            e.ranges[0],
            RangeOutcome::NotEvaluable(Unevaluable::NoScheme("Linux".into()))
        );
    }

    #[test]
    fn range_without_introduced_is_reported() {
        let a = eco(&[(Fixed, "1.0")]);
        let e = evaluate(Some(Scheme::Pep440), "PyPI", &a, "0.5");
        assert_eq!(
            e.ranges[0],
            RangeOutcome::NotEvaluable(Unevaluable::NoIntroduced)
        );
    }

    #[test]
    fn semver_range_in_go_reads_v_prefixed_installed_versions() {
        let a = Affected {
            ranges: vec![range(
                RangeKind::Semver,
                &[(Introduced, "0"), (Fixed, "1.2.3")],
            )],
            versions: vec![],
        };
        let go = Ecosystem::parse("Go");
        assert!(evaluate_in(&go, &a, "v1.2.2").is_affected());
        assert!(!evaluate_in(&go, &a, "v1.2.3").is_affected());
        assert!(evaluate_in(&Ecosystem::parse("npm"), &a, "1.2.2").is_affected());
    }

    #[test]
    fn debian_backport_versions() {
        // A typical DSA: fixed in the +deb12u1 backport.
        let a = eco(&[(Introduced, "0"), (Fixed, "3.0.11-1~deb12u1")]);
        let deb = Ecosystem::parse("Debian:12");
        assert!(evaluate_in(&deb, &a, "3.0.9-1").is_affected());
        assert!(evaluate_in(&deb, &a, "3.0.11-1~deb12u0").is_affected());
        assert!(!evaluate_in(&deb, &a, "3.0.11-1~deb12u1").is_affected());
        assert!(!evaluate_in(&deb, &a, "3.0.11-1").is_affected());
    }
}
