//! Comparisons per second per scheme, on pairs of real version strings from
//! `../shared/data/versions/`. Each scheme is measured twice: `compare` (parse both strings
//! and order them, what the CLI and a one-off match do) and `cmp` (order two already parsed
//! versions, what range evaluation over a pre-parsed advisory does). The baseline, measured
//! in the same run over the same pairs, is SipHash of both raw strings; figures are given as
//! a ratio to it so they survive a change of machine.
//!
//! A second table measures OSV range evaluation of one `affected[]` entry against every
//! operand of a scheme: `evaluate_in` per version (the entry's events parsed and sorted on
//! every call) against one `range::Prepared` evaluated for each version.
//!
//! Run: `cargo bench -p caulk-version --bench compare` (set `CAULK_BENCH_PAIRS` to change the
//! pair count, default 200000).

use caulk_version::range::{Affected, Event, EventKind, Prepared, Range, RangeKind, evaluate_in};
use caulk_version::{Ecosystem, Scheme};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn operands(prefixes: &[&str]) -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/versions");
    let mut out = Vec::new();
    let mut dirs = vec![dir];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !prefixes.iter().any(|x| name.starts_with(x)) {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for line in text.lines() {
                let parts: Vec<&str> = line.split_whitespace().collect();
                if let [a, op, b] = parts.as_slice()
                    && ["<", "=", ">", "=="].contains(op)
                {
                    out.push(a.to_string());
                    out.push(b.to_string());
                }
            }
        }
    }
    out
}

/// The baseline: SipHash (std's `DefaultHasher`) of a string, i.e. the cost of reading every
/// byte once through a real function. (`str::cmp` stops at the first differing byte and
/// vectorises, so it measures almost nothing.)
fn siphash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// What `f` counts, and the best of three timed runs after a warm-up (the run least
/// disturbed by other load).
fn time<F: FnMut() -> usize>(mut f: F) -> (Duration, usize) {
    let n = f();
    (caulk_testkit::bench::time(3, f).best(), n)
}

fn main() {
    let n_pairs: usize = std::env::var("CAULK_BENCH_PAIRS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let cases: &[(Scheme, &[&str])] = &[
        (Scheme::Dpkg, &["debian-"]),
        (Scheme::Rpm, &["redhat-", "rpmvercmp"]),
        (Scheme::Apk, &["alpine-"]),
        (Scheme::SemVer, &["semver-"]),
        (Scheme::Pub, &["pub-"]),
        (Scheme::Pep440, &["pypi-"]),
        (Scheme::Maven, &["maven-"]),
        (Scheme::RubyGems, &["rubygems-"]),
        (Scheme::NuGet, &["nuget-"]),
        (Scheme::Packagist, &["packagist"]),
        (Scheme::Cran, &["cran-"]),
        (Scheme::Hackage, &["hackage-"]),
    ];
    println!(
        "{:<10} {:>8} {:>14} {:>14} {:>14} {:>10} {:>10}",
        "scheme", "pairs", "siphash2/s", "compare/s", "cmp/s", "compare×", "cmp×"
    );
    for (scheme, prefixes) in cases {
        let ops: Vec<String> = operands(prefixes)
            .into_iter()
            .filter(|s| scheme.parse(s).is_ok())
            .collect();
        if ops.len() < 2 {
            println!(
                "{:<10} skipped: no valid operands (../shared absent?)",
                scheme.name()
            );
            continue;
        }
        // Deterministic pairs: a walk with two strides over the operand list.
        let pairs: Vec<(&str, &str)> = (0..n_pairs)
            .map(|i| {
                (
                    ops[(i * 7919) % ops.len()].as_str(),
                    ops[(i * 104_729 + 1) % ops.len()].as_str(),
                )
            })
            .collect();
        let parsed: Vec<_> = pairs
            .iter()
            .filter_map(|(a, b)| Some((scheme.parse(a).ok()?, scheme.parse(b).ok()?)))
            .collect();
        let (t_base, _) = time(|| {
            pairs
                .iter()
                .filter(|(a, b)| siphash(black_box(a)) < siphash(black_box(b)))
                .count()
        });
        let (t_cmp_str, _) = time(|| {
            pairs
                .iter()
                .filter(|(a, b)| {
                    scheme
                        .compare(black_box(a), black_box(b))
                        .is_ok_and(|o| o.is_lt())
                })
                .count()
        });
        let (t_cmp, _) = time(|| {
            parsed
                .iter()
                .filter(|(a, b)| black_box(a).try_cmp(black_box(b)).is_ok_and(|o| o.is_lt()))
                .count()
        });
        let rate = |t: Duration, n: usize| n as f64 / t.as_secs_f64();
        println!(
            "{:<10} {:>8} {:>14.0} {:>14.0} {:>14.0} {:>9.1}× {:>9.1}×",
            scheme.name(),
            pairs.len(),
            rate(t_base, pairs.len()),
            rate(t_cmp_str, pairs.len()),
            rate(t_cmp, parsed.len()),
            t_cmp_str.as_secs_f64() / t_base.as_secs_f64(),
            (t_cmp.as_secs_f64() / parsed.len() as f64)
                / (t_base.as_secs_f64() / pairs.len() as f64),
        );
    }
    println!(
        "compare× and cmp×: time per pair relative to SipHash-ing both raw strings (lower is better)"
    );
    ranges();
}

/// `evaluate_in` per version against one `Prepared` for many versions.
fn ranges() {
    let cases: &[(&str, Scheme, &[&str])] = &[
        ("Debian:12", Scheme::Dpkg, &["debian-"]),
        ("crates.io", Scheme::SemVer, &["semver-"]),
        ("PyPI", Scheme::Pep440, &["pypi-"]),
    ];
    println!();
    println!(
        "{:<10} {:>8} {:>14} {:>14} {:>10}",
        "entry", "versions", "evaluate_in/s", "prepared/s", "speed-up"
    );
    for (ecosystem, scheme, prefixes) in cases {
        let eco = Ecosystem::parse(ecosystem);
        let mut ops: Vec<String> = operands(prefixes)
            .into_iter()
            .filter(|s| scheme.parse(s).is_ok())
            .collect();
        ops.sort();
        ops.dedup();
        if ops.len() < 10 {
            println!("{ecosystem:<10} skipped: no valid operands (../shared absent?)");
            continue;
        }
        // A typical multi-interval entry: events at quantiles of the operands in their
        // scheme's order, written out of order, and a short `versions` list.
        let mut sorted: Vec<&String> = ops.iter().collect();
        sorted.sort_by(|a, b| scheme.compare(a, b).unwrap_or(std::cmp::Ordering::Equal));
        let at = |q: usize| sorted[sorted.len() * q / 100].clone();
        let affected = Affected {
            ranges: vec![Range {
                kind: RangeKind::Ecosystem,
                events: vec![
                    Event::new(EventKind::Fixed, at(90)),
                    Event::new(EventKind::Introduced, at(80)),
                    Event::new(EventKind::Introduced, "0"),
                    Event::new(EventKind::Fixed, at(20)),
                    Event::new(EventKind::Introduced, at(40)),
                    Event::new(EventKind::LastAffected, at(60)),
                ],
            }],
            versions: (0..8).map(|i| at(5 + i * 12)).collect(),
        };
        let (t_once, n_once) = time(|| {
            ops.iter()
                .filter(|v| evaluate_in(&eco, black_box(&affected), v).is_affected())
                .count()
        });
        let (t_prep, n_prep) = time(|| {
            let p = Prepared::new(&eco, black_box(affected.clone()));
            ops.iter().filter(|v| p.evaluate(v).is_affected()).count()
        });
        assert_eq!(n_once, n_prep, "{ecosystem}: the two ways disagree");
        let rate = |t: Duration| ops.len() as f64 / t.as_secs_f64();
        println!(
            "{:<10} {:>8} {:>14.0} {:>14.0} {:>9.1}×",
            ecosystem,
            ops.len(),
            rate(t_once),
            rate(t_prep),
            t_once.as_secs_f64() / t_prep.as_secs_f64()
        );
    }
}
