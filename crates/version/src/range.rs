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
//!
//! One entry evaluated against many versions (a lockfile with one crate at many versions)
//! should be a [`Prepared`]: its event versions are parsed and sorted once, not per version.
//! [`evaluate`] and [`evaluate_in`] run the same code for a single version.

use crate::{Ecosystem, Scheme, Version, VersionError};
use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

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
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
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
#[derive(Debug, Clone)]
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
///
/// Prepares the entry (see [`Prepared`]) and evaluates it once: to evaluate one entry against
/// many versions, keep a [`Prepared`].
pub fn evaluate(
    scheme: Option<Scheme>,
    ecosystem_name: &str,
    affected: &Affected,
    version: &str,
) -> Evaluation {
    Plan::new(scheme, ecosystem_name, affected).evaluate(affected, version)
}

/// One `affected[]` entry prepared for one ecosystem, to be evaluated against many versions:
/// what does not depend on the installed version is done once (range types and schemes
/// checked, event versions parsed and sorted, the `versions` list parsed on first need), so
/// that each [`Prepared::evaluate`] only parses the installed version and walks the events.
/// Its answers are those of [`evaluate_in`], which is the same code run once.
///
/// The preparation is kept from the second evaluation on: an entry evaluated once (most of a
/// distro scan's) costs what [`evaluate_in`] costs and holds no parsed versions afterwards.
#[derive(Debug)]
pub struct Prepared {
    affected: Affected,
    scheme: Option<Scheme>,
    /// For [`Unevaluable::NoScheme`], the only use of the name: empty when `scheme` is known
    /// (no range can lack a scheme then).
    ecosystem_name: String,
    evaluated: AtomicBool,
    plan: OnceLock<Plan>,
}

impl Clone for Prepared {
    fn clone(&self) -> Self {
        Prepared {
            affected: self.affected.clone(),
            scheme: self.scheme,
            ecosystem_name: self.ecosystem_name.clone(),
            evaluated: AtomicBool::new(self.evaluated.load(AtomicOrdering::Relaxed)),
            plan: self.plan.clone(),
        }
    }
}

impl Prepared {
    /// Prepare `affected` for evaluation in `ecosystem`.
    pub fn new(ecosystem: &Ecosystem, affected: Affected) -> Prepared {
        let scheme = ecosystem.scheme();
        let name = match scheme {
            Some(_) => String::new(),
            None => ecosystem.to_string(),
        };
        Prepared::with_scheme(scheme, &name, affected)
    }

    /// Prepare `affected` whose ECOSYSTEM ranges use `scheme` (as [`evaluate`] takes them).
    pub fn with_scheme(
        scheme: Option<Scheme>,
        ecosystem_name: &str,
        affected: Affected,
    ) -> Prepared {
        Prepared {
            affected,
            scheme,
            ecosystem_name: ecosystem_name.to_string(),
            evaluated: AtomicBool::new(false),
            plan: OnceLock::new(),
        }
    }

    /// The entry as given.
    pub fn affected(&self) -> &Affected {
        &self.affected
    }

    /// Evaluate `version`: the same [`Evaluation`] as [`evaluate_in`] on the entry.
    pub fn evaluate(&self, version: &str) -> Evaluation {
        let plan = || Plan::new(self.scheme, &self.ecosystem_name, &self.affected);
        if let Some(p) = self.plan.get() {
            p.evaluate(&self.affected, version)
        } else if !self.evaluated.swap(true, AtomicOrdering::Relaxed) {
            plan().evaluate(&self.affected, version)
        } else {
            self.plan
                .get_or_init(plan)
                .evaluate(&self.affected, version)
        }
    }
}

/// The version-independent part of evaluating one entry. It refers to the entry's ranges and
/// events by index, so it does not hold the entry itself.
#[derive(Debug, Clone)]
struct Plan {
    /// The scheme of the ecosystem (ECOSYSTEM ranges and the `versions` list).
    scheme: Option<Scheme>,
    /// One per range, in record order.
    ranges: Vec<PreparedRange>,
    /// The `versions` list parsed under `scheme` (`None`: does not parse), filled when a
    /// lookup first compares by the scheme.
    versions: OnceLock<Vec<Option<Version>>>,
}

/// One range, prepared.
#[derive(Debug, Clone)]
enum PreparedRange {
    /// Not evaluable whatever the installed version: a GIT range, an unknown type, an
    /// ecosystem without a scheme, no `introduced` event.
    Never(Unevaluable),
    Evaluable {
        /// The scheme the range's versions (and the installed version) are read in.
        scheme: Scheme,
        /// The events parsed and sorted, or the first one (in record order) that does not
        /// parse. That error is reported only when the installed version parses: an
        /// unreadable installed version is reported first.
        events: Result<SortedEvents, Unevaluable>,
    },
}

/// A range's events sorted by version, ties by kind: each with its parsed bound and its index
/// in the range's `events`.
#[derive(Debug, Clone)]
struct SortedEvents(Vec<(Bound, EventKind, usize)>);

impl PreparedRange {
    fn new(range: &Range, ecosystem_scheme: Option<Scheme>, ecosystem_name: &str) -> Self {
        // The order of these checks is the order of the reasons reported.
        let scheme = match (&range.kind, range_scheme(&range.kind, ecosystem_scheme)) {
            (RangeKind::Git, _) => return PreparedRange::Never(Unevaluable::GitRange),
            (RangeKind::Other(t), _) => {
                return PreparedRange::Never(Unevaluable::UnknownRangeType(t.clone()));
            }
            (_, None) => {
                return PreparedRange::Never(Unevaluable::NoScheme(ecosystem_name.to_string()));
            }
            (_, Some(s)) => s,
        };
        if !range.events.iter().any(|e| e.kind == EventKind::Introduced) {
            return PreparedRange::Never(Unevaluable::NoIntroduced);
        }
        PreparedRange::Evaluable {
            scheme,
            events: SortedEvents::new(range, scheme),
        }
    }
}

impl SortedEvents {
    fn new(range: &Range, scheme: Scheme) -> Result<SortedEvents, Unevaluable> {
        let mut events = Vec::with_capacity(range.events.len());
        for (i, e) in range.events.iter().enumerate() {
            let bound = match (e.kind, e.version.as_str()) {
                (EventKind::Introduced, "0") => Bound::Min,
                (EventKind::Limit, "*") => Bound::Max,
                (_, s) => match scheme.parse_lenient(s) {
                    Ok(p) => Bound::At(p),
                    Err(error) => {
                        return Err(Unevaluable::BadEvent {
                            event: e.clone(),
                            error,
                        });
                    }
                },
            };
            events.push((bound, e.kind, i));
        }
        // Sort by version, ties by event kind (a stable sort: equal events keep record
        // order). Comparisons within one scheme cannot fail, but a failure must not panic: it
        // falls back to "equal" and the kind order.
        events.sort_by(|(a, ka, _), (b, kb, _)| {
            a.cmp_bound(b).unwrap_or(Ordering::Equal).then(ka.cmp(kb))
        });
        Ok(SortedEvents(events))
    }

    /// What the range says about the installed version `v`.
    fn evaluate(&self, index: usize, range: &Range, v: &Version) -> RangeOutcome {
        let events = &self.0;
        let event = |i: usize| &range.events[i];

        // Limits cap the whole range: the version must be below at least one of them.
        let limits = || {
            events
                .iter()
                .filter(|(_, kind, _)| *kind == EventKind::Limit)
        };
        if let Some((_, _, highest)) = limits().next_back()
            && !limits().any(|(b, _, _)| b.cmp_version(v) == Ok(Ordering::Greater))
        {
            return RangeOutcome::Outside {
                decided_by: Some(event(*highest).clone()),
            };
        }

        let mut affected_from: Option<usize> = None;
        let mut turned_off_by: Option<usize> = None;
        for (pos, (bound, kind, i)) in events.iter().enumerate() {
            let c = bound.cmp_version(v).unwrap_or(Ordering::Greater);
            match kind {
                EventKind::Introduced if c != Ordering::Greater => {
                    affected_from = Some(pos);
                }
                EventKind::Fixed if c != Ordering::Greater => {
                    affected_from = None;
                    turned_off_by = Some(*i);
                }
                EventKind::LastAffected if c == Ordering::Less => {
                    affected_from = None;
                    turned_off_by = Some(*i);
                }
                _ => {}
            }
        }
        match affected_from {
            Some(pos) => {
                let introduced = event(events[pos].2).version.clone();
                let upper = events[pos + 1..]
                    .iter()
                    .find_map(|(_, kind, i)| {
                        let v = || event(*i).version.clone();
                        match kind {
                            EventKind::Fixed => Some(Upper::Fixed(v())),
                            EventKind::LastAffected => Some(Upper::LastAffected(v())),
                            EventKind::Limit => Some(Upper::Limit(v())),
                            EventKind::Introduced => None,
                        }
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
                decided_by: turned_off_by.map(|i| event(i).clone()),
            },
        }
    }
}

/// The installed version, parsed once per scheme asked for. One entry asks for at most two
/// schemes (the ecosystem's, and SemVer for SEMVER ranges), so two slots are kept inline (no
/// allocation per evaluation); a third scheme would take the second slot over.
struct Installed<'v> {
    text: &'v str,
    slots: [Option<(Scheme, Result<Version, VersionError>)>; 2],
}

impl<'v> Installed<'v> {
    fn new(text: &'v str) -> Self {
        Installed {
            text,
            slots: [None, None],
        }
    }

    fn parsed(&mut self, scheme: Scheme) -> &Result<Version, VersionError> {
        let i = match &self.slots {
            [Some((s, _)), _] if *s == scheme => 0,
            [_, Some((s, _))] if *s == scheme => 1,
            [None, _] => 0,
            _ => 1,
        };
        let slot = &mut self.slots[i];
        if slot.as_ref().is_some_and(|(s, _)| *s != scheme) {
            *slot = None;
        }
        let text = self.text;
        &slot
            .get_or_insert_with(|| (scheme, scheme.parse_lenient(text)))
            .1
    }
}

impl Plan {
    fn new(scheme: Option<Scheme>, ecosystem_name: &str, affected: &Affected) -> Plan {
        Plan {
            scheme,
            ranges: affected
                .ranges
                .iter()
                .map(|r| PreparedRange::new(r, scheme, ecosystem_name))
                .collect(),
            versions: OnceLock::new(),
        }
    }

    /// Evaluate `version` against `affected`, the entry this plan was made from.
    fn evaluate(&self, affected: &Affected, version: &str) -> Evaluation {
        debug_assert_eq!(self.ranges.len(), affected.ranges.len());
        let mut installed = Installed::new(version);
        let mut outcomes = Vec::with_capacity(affected.ranges.len());
        let mut matched = None;
        for (i, (range, prepared)) in affected.ranges.iter().zip(&self.ranges).enumerate() {
            let outcome = evaluate_range(i, range, prepared, &mut installed);
            if matched.is_none()
                && let RangeOutcome::Inside(m) = &outcome
            {
                matched = Some(m.clone());
            }
            outcomes.push(outcome);
        }
        if matched.is_none() {
            matched = self.listed(affected, &mut installed);
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

    /// The `versions` entry naming the installed version: the first written exactly as it,
    /// else the first equal to it under the ecosystem's scheme.
    fn listed(&self, affected: &Affected, installed: &mut Installed<'_>) -> Option<Match> {
        if let Some(v) = affected.versions.iter().find(|v| *v == installed.text) {
            return Some(Match::Listed { version: v.clone() });
        }
        let scheme = self.scheme?;
        let parsed = installed.parsed(scheme).as_ref().ok()?;
        let versions = self.versions.get_or_init(|| {
            affected
                .versions
                .iter()
                .map(|v| scheme.parse_lenient(v).ok())
                .collect()
        });
        versions
            .iter()
            .position(|p| p.as_ref().and_then(|p| p.try_cmp(parsed).ok()) == Some(Ordering::Equal))
            .map(|i| Match::Listed {
                version: affected.versions[i].clone(),
            })
    }
}

fn evaluate_range(
    index: usize,
    range: &Range,
    prepared: &PreparedRange,
    installed: &mut Installed<'_>,
) -> RangeOutcome {
    let (scheme, events) = match prepared {
        PreparedRange::Never(why) => return RangeOutcome::NotEvaluable(why.clone()),
        PreparedRange::Evaluable { scheme, events } => (*scheme, events),
    };
    let text = installed.text;
    let v = match installed.parsed(scheme) {
        Ok(v) => v,
        Err(error) => {
            // The installed version itself is unreadable in this range's scheme.
            return RangeOutcome::NotEvaluable(Unevaluable::BadEvent {
                event: Event::new(EventKind::Introduced, text),
                error: error.clone(),
            });
        }
    };
    match events {
        Ok(events) => events.evaluate(index, range, v),
        Err(why) => RangeOutcome::NotEvaluable(why.clone()),
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
    fn prepared_answers_as_evaluate_in_on_every_call() {
        let a = Affected {
            ranges: vec![
                range(RangeKind::Ecosystem, &[(Introduced, "0"), (Fixed, "1.5-1")]),
                range(RangeKind::Git, &[(Introduced, "0"), (Fixed, "abc123")]),
            ],
            versions: vec!["2.0-1".into(), "0:2.1-1".into()],
        };
        let deb = Ecosystem::parse("Debian:12");
        let p = Prepared::new(&deb, a.clone());
        assert_eq!(p.affected(), &a);
        // The first call prepares for itself, later ones share what the second kept.
        for v in [
            "1.0-1",
            "1.5-1",
            "2.0-1",
            "2.1-1",
            "1:0",
            "bad version",
            "1.0-1",
        ] {
            let want = evaluate_in(&deb, &a, v);
            assert_eq!(p.evaluate(v), want, "{v}");
            assert_eq!(p.clone().evaluate(v), want, "{v}, clone");
        }
        assert_eq!(
            p.evaluate("2.1-1").matched,
            Some(Match::Listed {
                version: "0:2.1-1".into()
            })
        );
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
