//! Differential test: caulk's apk order against python `univers` (`AlpineLinuxVersion`).
//!
//! apk-tools itself is not packaged for Debian, so the oracle is univers, which implements
//! Alpine versions with Gentoo's (pkgcore's) rules. Where Gentoo and apk-tools v3 disagree,
//! apk-tools v3 (`src/version.c`, and its `test/unit/version.data` cases) is right for Alpine,
//! and each such pair is a known delta of one of the classes below, recognised by a predicate
//! on the operands that does not use caulk's parser, or, for ordering deltas, by showing that
//! univers' answer is exactly caulk's answer on the univers-normalised operands. The
//! AGREEMENT line counts them as allow-listed deltas; the classes and their counts are printed.

use super::common::*;
use caulk_version::Scheme;
use std::cmp::Ordering;

/// Reads `A<TAB>B` lines; answers `<`, `=`, `>`, or `E` when univers rejects an operand.
const ORACLE: &str = r#"
import sys
from univers.versions import AlpineLinuxVersion, InvalidVersion
out = []
for raw in sys.stdin.buffer:
    a, b = raw.decode("utf-8", "surrogateescape").rstrip("\n").split("\t", 1)
    try:
        x, y = AlpineLinuxVersion(a), AlpineLinuxVersion(b)
    except (InvalidVersion, ValueError):
        out.append("E")
        continue
    out.append("<" if x < y else ">" if x > y else "=")
sys.stdout.write("".join(o + "\n" for o in out))
"#;

const ALPHABET: &[&str] = &[
    "~", "^", ":", "-", "+", "_", ".", "0", "1", "9", "a", "b", "z", "A", "p", "r", "-r", "-r0",
    "_p", "_rc", "_alpha", "_beta", "_pre", "_git", "_cvs", "_svn", "_hg", "~abc1", "v", " ", "é",
    "!",
];

// Univers rejects what apk-tools v3 accepts.
const LEADING_ZERO: &str = "univers rejects a first number with a leading zero (`006`); \
     apk-tools accepts it (its own test data orders `1.06-r6 < 006`)";
const POST_SUFFIX: &str = "univers (Gentoo) knows no `_cvs _svn _git _hg` suffixes; apk-tools \
     has them as post-release suffixes (`1.2 < 1.2_git1`)";
const COMMIT_HASH: &str = "univers has no `~hash` commit-hash token; apk-tools v3 has \
     (`1.0~1234 < 1.0~2345`)";
const APK2_SHAPE: &str = "apk-tools 2 shape (`6.6.2p1`, `10.2.22.r0`) that univers and apk v3's \
     validator refuse; caulk accepts it on purpose (real Alpine secdb data, osv.dev valid list)";
const FIRST_NUMBER: &str = "apk-tools compares the first number numerically (`01b = 1b`); \
     univers applies Gentoo's string rule to a number with a leading zero (and lets `01b` past its \
     leading-zero check because of the letter)";
const SUFFIX_NUMBER: &str = "apk-tools compares a suffix number as a token of its own, so a \
     bare suffix followed by another suffix meets the other side's number there (`_p_p392 > \
     _p392`: a post-release suffix outranks a suffix number, a pre-release one is lowest); \
     univers (Gentoo) compares each suffix together with its number (`_p` = `_p0 < _p392`)";
// Univers accepts what apk-tools v3 rejects.
const UPPERCASE: &str = "univers (Gentoo) allows an uppercase letter; apk-tools' letter token \
     is a-z only";
const NORMALISED_AWAY: &str = "univers strips blanks and a leading `v`/`V` before parsing; \
     apk-tools has no such normalisation and rejects them";
const AFTER_REVISION: &str = "univers finds `-rN` anywhere and ignores what follows it \
     (`1-r2.5`); apk-tools allows nothing after the revision";
// Both accept, different order.
const ORDER: &str = "univers' order is caulk's order on the univers-normalised operands: \
     a missing `-rN` is `-r0` and a missing suffix number is 0 in univers, while apk-tools ranks \
     any revision or suffix number above its absence (`1 < 1-r0`, `1_rc < 1_rc0`); univers strips \
     trailing zeros from dotted numbers with a leading zero (Gentoo), apk-tools compares them as \
     plain strings (`1.0 < 1.00`, `8.2.0 < 8.2.001` in apk's test data)";

/// Real Alpine versions: the apk vector files, osv.dev's valid list and installed databases.
fn seeds() -> Vec<String> {
    let mut seeds = vector_operands(&["alpine-"]);
    let Some(data) = shared_data() else {
        return seeds;
    };
    if let Ok(text) = std::fs::read_to_string(data.join("versions/osv.dev/valid_versions.txt")) {
        seeds.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    for f in [
        "inventories/alpine-3.4/trivy-apk-installed",
        "inventories/alpine-3.16/syft-multiple-2-apk-installed",
    ] {
        if let Ok(text) = std::fs::read_to_string(data.join(f)) {
            seeds.extend(
                text.lines()
                    .filter_map(|l| l.strip_prefix("V:"))
                    .map(str::to_string),
            );
        }
    }
    seeds.sort();
    seeds.dedup();
    seeds
}

fn first_number_has_leading_zero(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'0') && b.get(1).is_some_and(u8::is_ascii_digit)
}

/// `_name_`: a suffix without a number, directly followed by another suffix.
fn bare_suffix_then_suffix(s: &str) -> bool {
    s.split('_')
        .skip(1)
        .collect::<Vec<_>>()
        .split_last()
        .is_some_and(|(_, before_last)| {
            before_last
                .iter()
                .any(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase()))
        })
}

/// Why univers rejects an operand that apk-tools (and caulk) accept.
fn univers_lacks(s: &str) -> Option<&'static str> {
    // The numbers-and-letter head, before any suffix, hash or revision.
    let head = s.split(['_', '~', '-']).next().unwrap_or("").as_bytes();
    let apk2_shape = head.windows(2).any(|w| {
        (w[0].is_ascii_lowercase() && w[1].is_ascii_digit())
            || (w[0] == b'.' && w[1].is_ascii_lowercase())
    });
    if first_number_has_leading_zero(s) {
        Some(LEADING_ZERO)
    } else if ["_cvs", "_svn", "_git", "_hg"]
        .iter()
        .any(|x| s.contains(x))
    {
        Some(POST_SUFFIX)
    } else if s.contains('~') {
        Some(COMMIT_HASH)
    } else if apk2_shape {
        Some(APK2_SHAPE)
    } else {
        None
    }
}

/// Why univers accepts an operand that apk-tools (and caulk) reject.
fn univers_tolerates(s: &str) -> Option<&'static str> {
    if s.chars().any(char::is_whitespace) || s.starts_with(['v', 'V']) {
        return Some(NORMALISED_AWAY);
    }
    if s.bytes().any(|c| c.is_ascii_uppercase()) {
        return Some(UPPERCASE);
    }
    // univers' `.*(-r\d+)` takes the last `-r` followed by a digit and drops what follows.
    let (p, _) = s
        .match_indices("-r")
        .filter(|(p, _)| s.as_bytes().get(p + 2).is_some_and(u8::is_ascii_digit))
        .last()?;
    let rest = &s[p + 2..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits < rest.len()).then_some(AFTER_REVISION)
}

/// What univers makes of a version before comparing: no `-r0`, no zero suffix number, and
/// trailing zeros stripped from dotted numbers that start with `0` (an all-zero one stays
/// `0`). Only reshapes well-formed strings (`[0-9a-z._-]`).
fn univers_normalised(s: &str) -> String {
    let (body, rev) = match s.rsplit_once("-r") {
        Some((body, rev)) if rev.bytes().all(|c| c == b'0') => (body, None),
        Some((body, rev)) => (body, Some(rev)),
        None => (s, None),
    };
    let mut parts = body.split('_');
    let dotted = parts.next().unwrap_or("");
    let mut out = String::new();
    for (i, comp) in dotted.split('.').enumerate() {
        if i > 0 {
            out.push('.');
            if comp.starts_with('0') {
                let digits = comp.bytes().take_while(u8::is_ascii_digit).count();
                let kept = comp[..digits].trim_end_matches('0');
                out.push_str(if kept.is_empty() { "0" } else { kept });
                out.push_str(&comp[digits..]);
                continue;
            }
        }
        out.push_str(comp);
    }
    for suffix in parts {
        let name = suffix.trim_end_matches(|c: char| c.is_ascii_digit());
        let number = &suffix[name.len()..];
        out.push('_');
        out.push_str(if number.bytes().all(|c| c == b'0') {
            name
        } else {
            suffix
        });
    }
    if let Some(rev) = rev {
        out.push_str("-r");
        out.push_str(rev);
    }
    out
}

fn explain(a: &str, b: &str, oracle: Answer) -> Option<&'static str> {
    let apk = |s: &str| Scheme::Apk.parse(s);
    match oracle {
        Answer::Invalid => {
            // caulk accepted both: univers must have refused one for a known reason.
            univers_lacks(a).or_else(|| univers_lacks(b))
        }
        Answer::Order(o) => {
            let rejected = |s: &str| apk(s).is_err().then(|| univers_tolerates(s)).flatten();
            if apk(a).is_err() || apk(b).is_err() {
                return rejected(a).or_else(|| rejected(b));
            }
            if first_number_has_leading_zero(a) || first_number_has_leading_zero(b) {
                return Some(FIRST_NUMBER);
            }
            if bare_suffix_then_suffix(a) || bare_suffix_then_suffix(b) {
                return Some(SUFFIX_NUMBER);
            }
            let (na, nb) = (univers_normalised(a), univers_normalised(b));
            let reshaped = na != a || nb != b;
            let on_normalised = Scheme::Apk.compare(&na, &nb).ok()?;
            (reshaped && on_normalised == o).then_some(ORDER)
        }
    }
}

/// Hand-written corners: one per documented delta class, and the shapes the mutator rarely
/// makes (huge numbers, every suffix, hashes, apk-tools 2 shapes).
const EDGES: &[(&str, &str)] = &[
    ("1", "1-r0"),
    ("1.2_rc", "1.2_rc0"),
    ("1.0", "1.00"),
    ("8.2.0", "8.2.001"),
    ("8.2.0015", "8.2.002"),
    ("006", "1.0.0"),
    ("1.2_git1", "1.2_hg1"),
    ("1.0~1234", "1.0~2345"),
    ("6.6.2p1-r0", "6.6.2_p1-r0"),
    ("10.2.22.r0", "10.2.24.r0"),
    ("1.2B", "1.2b"),
    ("v1.2", "1.2"),
    ("1.2-r1.5", "1.2-r1"),
    ("1.0_alpha_pre2", "1.0_alpha"),
    ("99999999999999999999999", "100000000000000000000000"),
    ("1.99999999999999999999999", "1.100000000000000000000000"),
    ("1_p99999999999999999999", "1_p100000000000000000000"),
    ("01b", "1b"),
    ("1.9.3_p_p392-r0", "1.9.3_p392-r0"),
    ("1.2_rc_pre", "1.2_rc1"),
    ("", "1"),
];

#[test]
fn apk_agrees_with_univers() {
    let Some(python) = python_with("univers") else {
        return;
    };
    let seeds = seeds();
    if seeds.is_empty() {
        return;
    }
    let mut rng = Rng::from_env(0x00a1_e1e5);
    let mut pairs = near_miss_pairs(&seeds, ALPHABET, 12_000, &mut rng);
    pairs.extend(vector_pairs(&["alpine-"]));
    pairs.extend(EDGES.iter().map(|(a, b)| (a.to_string(), b.to_string())));

    let mut cmd = std::process::Command::new(python);
    cmd.args(["-c", ORACLE]);
    let answers = run_oracle(cmd, &pairs);

    let mut known = Vec::new();
    for ((a, b), &answer) in pairs.iter().zip(&answers) {
        let ours = Scheme::Apk.compare(a, b);
        let agrees = match (answer, &ours) {
            (Answer::Order(o), Ok(m)) => o == *m,
            (Answer::Invalid, Err(_)) => true,
            _ => false,
        };
        if agrees {
            continue;
        }
        if let Some(why) = explain(a, b, answer) {
            known.push(KnownDelta {
                a: Box::leak(a.clone().into_boxed_str()),
                b: Box::leak(b.clone().into_boxed_str()),
                why,
            });
        }
    }
    for why in [
        LEADING_ZERO,
        POST_SUFFIX,
        COMMIT_HASH,
        APK2_SHAPE,
        FIRST_NUMBER,
        SUFFIX_NUMBER,
        UPPERCASE,
        NORMALISED_AWAY,
        AFTER_REVISION,
        ORDER,
    ] {
        let n = known.iter().filter(|k| k.why == why).count();
        eprintln!("apk known deltas ({n} pairs): {why}");
    }
    judge(
        "apk (python univers AlpineLinuxVersion)",
        Scheme::Apk,
        &pairs,
        &answers,
        &known,
    );
    // The corners that univers gets right must hold exactly.
    let apk = |a: &str, b: &str| Scheme::Apk.compare(a, b).ok();
    assert_eq!(apk("8.2.0015", "8.2.002"), Some(Ordering::Less));
    assert_eq!(
        apk("99999999999999999999999", "100000000000000000000000"),
        Some(Ordering::Less)
    );
}
