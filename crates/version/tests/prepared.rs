//! `range::Prepared` against the reference: one entry prepared once and evaluated for many
//! installed versions must give, for each, exactly the `Evaluation` of the one-shot algorithm.
//!
//! The reference (`reference_evaluate` below) is the one-shot algorithm as it was before the
//! prepared form existed, written here again over the public API only, so that a change in
//! `range.rs` (the order of the checks, the tie-breaks, the `versions` lookup, state carried
//! from one evaluation to the next) shows up as a difference. `evaluate_in` goes through the
//! prepared form too and is checked against the same reference.

use caulk_version::range::{
    Affected, Evaluation, Event, EventKind, Match, Prepared, Range, RangeKind, RangeOutcome,
    Unevaluable, Upper, Verdict, evaluate_in,
};
use caulk_version::{Ecosystem, Scheme, Version, VersionError};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use std::cmp::Ordering;

// ---------------------------------------------------------------------------------------
// The reference: the one-shot algorithm (parse everything per call), kept independent.

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

fn range_scheme(kind: &RangeKind, ecosystem_scheme: Option<Scheme>) -> Option<Scheme> {
    match kind {
        RangeKind::Ecosystem => ecosystem_scheme,
        RangeKind::Semver => match ecosystem_scheme {
            Some(s @ (Scheme::Go | Scheme::Pub)) => Some(s),
            _ => Some(Scheme::SemVer),
        },
        RangeKind::Git | RangeKind::Other(_) => None,
    }
}

fn reference_evaluate(ecosystem: &Ecosystem, affected: &Affected, version: &str) -> Evaluation {
    let scheme = ecosystem.scheme();
    let ecosystem_name = ecosystem.to_string();
    let mut outcomes = Vec::new();
    let mut matched = None;
    for (i, range) in affected.ranges.iter().enumerate() {
        let outcome = reference_range(i, range, scheme, &ecosystem_name, version);
        if matched.is_none()
            && let RangeOutcome::Inside(m) = &outcome
        {
            matched = Some(m.clone());
        }
        outcomes.push(outcome);
    }
    if matched.is_none() {
        matched = reference_listed(scheme, affected, version);
    }
    let verdict = if matched.is_some() {
        Verdict::Affected
    } else if outcomes
        .iter()
        .any(|o| matches!(o, RangeOutcome::NotEvaluable(_)))
    {
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

fn reference_listed(scheme: Option<Scheme>, affected: &Affected, version: &str) -> Option<Match> {
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

fn reference_range(
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
            return RangeOutcome::NotEvaluable(Unevaluable::BadEvent {
                event: Event::new(EventKind::Introduced, version),
                error,
            });
        }
    };
    let mut events: Vec<(Bound, &Event)> = Vec::new();
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
    events.sort_by(|(a, ea), (b, eb)| {
        a.cmp_bound(b)
            .unwrap_or(Ordering::Equal)
            .then(ea.kind.cmp(&eb.kind))
    });
    let limits: Vec<&(Bound, &Event)> = events
        .iter()
        .filter(|(_, e)| e.kind == EventKind::Limit)
        .collect();
    if !limits.is_empty()
        && !limits
            .iter()
            .any(|(b, _)| b.cmp_version(&v) == Ok(Ordering::Greater))
    {
        return RangeOutcome::Outside {
            decided_by: limits.last().map(|(_, e)| (*e).clone()),
        };
    }
    let mut affected_from: Option<usize> = None;
    let mut turned_off_by: Option<&Event> = None;
    for (i, (bound, e)) in events.iter().enumerate() {
        let c = bound.cmp_version(&v).unwrap_or(Ordering::Greater);
        match e.kind {
            EventKind::Introduced if c != Ordering::Greater => affected_from = Some(i),
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
                introduced: events[i].1.version.clone(),
                upper,
            })
        }
        None => RangeOutcome::Outside {
            decided_by: turned_off_by.cloned(),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Generators.

/// Ecosystems of several schemes, and one without a scheme.
const ECOSYSTEMS: &[(&str, Option<Scheme>)] = &[
    ("Debian:12", Some(Scheme::Dpkg)),
    ("npm", Some(Scheme::SemVer)),
    ("PyPI", Some(Scheme::Pep440)),
    ("AlmaLinux:9", Some(Scheme::Rpm)),
    ("Go", Some(Scheme::Go)),
    ("Alpine:v3.19", Some(Scheme::Apk)),
    ("Maven", Some(Scheme::Maven)),
    ("RubyGems", Some(Scheme::RubyGems)),
    ("Linux", None),
];

/// Version strings from a small domain, so that equal versions (exact and under a scheme),
/// versions valid in one scheme and not another, and garbage all come up often.
fn version() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "0", "*", "", "1", "1.0", "1.0.0", "1.2", "1.2.3", "v1.2.3", "2", "2.0.0-rc.1",
            "1:1.0-1", "0:1.0-0", "1.0~rc1", "1.0-1", "1.0.post1", "1.0a1", "1.0.0+build",
            "1.0_rc1-r0", "1.0-r1", "1.0^git1", "abc123", "3.0.11-1~deb12u1", "3.0.11-1",
            "not a version!", "1.0.0-SNAPSHOT", "v0.0.0-20200101000000-abcdefabcdef",
        ])
        .prop_map(str::to_string),
        6 => "([1-2]:)?[0-3](\\.[0-3]){0,2}(-[0-2]|~[a-c0-1]{1,2}|\\+[0-1]|\\.post1|a1|_rc1-r0|-rc\\.1)?",
        1 => "[ -~]{0,5}",
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (
        prop_oneof![
            4 => Just(EventKind::Introduced),
            3 => Just(EventKind::Fixed),
            2 => Just(EventKind::LastAffected),
            1 => Just(EventKind::Limit),
        ],
        version(),
    )
        .prop_map(|(kind, v)| Event::new(kind, v))
}

fn range() -> impl Strategy<Value = Range> {
    (
        prop_oneof![
            6 => Just(RangeKind::Ecosystem),
            2 => Just(RangeKind::Semver),
            1 => Just(RangeKind::Git),
            1 => Just(RangeKind::parse("CALVER")),
        ],
        prop::collection::vec(event(), 0..7),
    )
        .prop_map(|(kind, events)| Range { kind, events })
}

fn affected() -> impl Strategy<Value = Affected> {
    (
        prop::collection::vec(range(), 0..4),
        prop_oneof![
            2 => Just(Vec::new()),
            1 => prop::collection::vec(version(), 1..6),
        ],
    )
        .prop_map(|(ranges, versions)| Affected { ranges, versions })
}

/// An entry, its ecosystem, and installed versions to try: random ones plus every version the
/// entry names (the boundaries).
fn case() -> impl Strategy<Value = (usize, Affected, Vec<String>)> {
    (
        0..ECOSYSTEMS.len(),
        affected(),
        prop::collection::vec(version(), 1..20),
    )
        .prop_map(|(eco, a, mut installed)| {
            installed.extend(
                a.ranges
                    .iter()
                    .flat_map(|r| r.events.iter().map(|e| e.version.clone())),
            );
            installed.extend(a.versions.iter().cloned());
            (eco, a, installed)
        })
}

// ---------------------------------------------------------------------------------------
// Properties.

#[test]
fn ecosystems_have_the_schemes_the_generator_assumes() {
    for (name, scheme) in ECOSYSTEMS {
        assert_eq!(Ecosystem::parse(name).scheme(), *scheme, "{name}");
    }
}

proptest! {
    // No failure file: an integration test has no `lib.rs` to put it next to; a failure
    // prints the minimal case.
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// One prepared entry, many versions (forwards, then backwards: nothing carries over
    /// from one evaluation to the next), each equal to the reference and to `evaluate_in`.
    #[test]
    fn prepared_equals_one_shot_evaluation((eco, affected, installed) in case()) {
        let eco = Ecosystem::parse(ECOSYSTEMS[eco].0);
        let prepared = Prepared::new(&eco, affected.clone());
        prop_assert_eq!(prepared.affected(), &affected);
        for v in installed.iter().chain(installed.iter().rev()) {
            let want = reference_evaluate(&eco, &affected, v);
            prop_assert_eq!(
                prepared.evaluate(v),
                want.clone(),
                "prepared, installed {:?}, {:?} in {}",
                v,
                affected,
                eco
            );
            prop_assert_eq!(
                evaluate_in(&eco, &affected, v),
                want,
                "evaluate_in, installed {:?}, {:?} in {}",
                v,
                affected,
                eco
            );
        }
        // A copy answers as the original (whether or not it had kept its preparation).
        let copy = prepared.clone();
        for v in &installed {
            prop_assert_eq!(copy.evaluate(v), reference_evaluate(&eco, &affected, v));
        }
    }
}

/// The generator reaches the cases where the prepared form could go wrong: every verdict,
/// both kinds of `versions` match, an installed version and an event version both unreadable
/// in one range (the order of those two checks), limits deciding, GIT ranges left to the
/// `versions` list.
#[test]
fn the_generator_reaches_the_hard_cases() {
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let mut seen = [0usize; 9];
    for _ in 0..2000 {
        let (eco, affected, installed) =
            strategy.new_tree(&mut runner).expect("generate").current();
        let eco = Ecosystem::parse(ECOSYSTEMS[eco].0);
        for v in &installed {
            let e = reference_evaluate(&eco, &affected, v);
            seen[0] += usize::from(e.verdict == Verdict::Affected);
            seen[1] += usize::from(e.verdict == Verdict::NotAffected);
            seen[2] += usize::from(e.verdict == Verdict::Undetermined);
            match &e.matched {
                Some(Match::Listed { version }) if version == v => seen[3] += 1,
                Some(Match::Listed { .. }) => seen[4] += 1,
                _ => {}
            }
            for (r, o) in affected.ranges.iter().zip(&e.ranges) {
                let scheme = range_scheme(&r.kind, eco.scheme());
                if let (Some(s), RangeOutcome::NotEvaluable(Unevaluable::BadEvent { .. })) =
                    (scheme, o)
                    && s.parse_lenient(v).is_err()
                    && r.events.iter().any(|ev| {
                        !(ev.kind == EventKind::Introduced && ev.version == "0"
                            || ev.kind == EventKind::Limit && ev.version == "*")
                            && s.parse_lenient(&ev.version).is_err()
                    })
                {
                    seen[5] += 1;
                }
                if let RangeOutcome::Outside {
                    decided_by:
                        Some(Event {
                            kind: EventKind::Limit,
                            ..
                        }),
                } = o
                {
                    seen[6] += 1;
                }
                if let RangeOutcome::Inside(Match::InRange {
                    upper: Upper::Limit(_),
                    ..
                }) = o
                {
                    seen[7] += 1;
                }
            }
            seen[8] += usize::from(
                e.verdict == Verdict::NotAffected
                    && e.ranges
                        .contains(&RangeOutcome::NotEvaluable(Unevaluable::GitRange)),
            );
        }
    }
    eprintln!(
        "affected {} not-affected {} undetermined {} listed-exact {} listed-by-scheme {} \
         installed-and-event-bad {} outside-by-limit {} inside-below-limit {} git-left-to-versions {}",
        seen[0], seen[1], seen[2], seen[3], seen[4], seen[5], seen[6], seen[7], seen[8]
    );
    for (i, n) in seen.iter().enumerate() {
        assert!(*n >= 10, "case {i} reached only {n} times: {seen:?}");
    }
}
