//! Differential tests: `SemVer` against npm's `semver` 7 (`semver.compare`, `semver.valid`),
//! and `GoVersion` against the same oracle after writing each Go version the way npm spells
//! it (Go's own rules, from `golang.org/x/mod/semver`, are unit-tested in `src/semver.rs`).
//! Seeds: the SemVer and Pub vector files, the crates.io and Go OSV exports, and edge cases.

use super::common::*;
use caulk_version::Scheme;
use std::process::Command;

/// Reads `A<TAB>B` lines, prints `<`, `=`, `>` or `E` (either operand not `semver.valid`).
const NODE_ORACLE: &str = r#"
const semver = require(require('path').join(process.argv[1], 'semver'));
const out = [];
for (const line of require('fs').readFileSync(0, 'utf8').split('\n')) {
  if (line === '') continue;
  const tab = line.indexOf('\t');
  const a = line.slice(0, tab), b = line.slice(tab + 1);
  if (semver.valid(a) === null || semver.valid(b) === null) { out.push('E'); continue; }
  out.push(['<', '=', '>'][semver.compare(a, b) + 1]);
}
process.stdout.write(out.map((x) => x + '\n').join(''));
"#;

fn node_oracle(node_modules: &std::path::Path) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg("-e").arg(NODE_ORACLE).arg(node_modules);
    cmd
}

/// Deliberate differences from node, each exercised by a pair below.
const SEMVER_DELTAS: &[KnownDelta] = &[
    KnownDelta {
        a: "1.0.0-9007199254740993",
        b: "1.0.0-9007199254740992",
        why: "node compares numeric pre-release identifiers of 2^53 and above as doubles, so \
              these two are equal there; SemVer 2.0.0 (11.4.1) and crates.io compare them \
              numerically, as we do",
    },
    KnownDelta {
        a: "1.0.0-alpha.99999999999999999999",
        b: "1.0.0-alpha.99999999999999999998",
        why: "same: beyond 2^53 node rounds both to 1e20",
    },
];

/// Both operands carry a numeric pre-release identifier of 16+ digits: where node's doubles
/// may call two different numbers equal (see `SEMVER_DELTAS`).
fn both_huge_prerelease_numbers(a: &str, b: &str) -> bool {
    let huge = |s: &str| {
        s.split_once('-').is_some_and(|(_, pre)| {
            pre.split('+')
                .next()
                .unwrap_or_default()
                .split('.')
                .any(|id| id.len() >= 16 && id.bytes().all(|c| c.is_ascii_digit()))
        })
    };
    huge(a) && huge(b)
}

const EDGE_SEEDS: &[&str] = &[
    "9007199254740991.9007199254740991.9007199254740991",
    "1.0.9007199254740991",
    "9007199254740992.0.0",
    " v1.2.3-rc.1+build.5 ",
    "\u{a0}1.2.3\u{feff}",
    "=1.2.3",
    "1.2.3-0",
    "1.2.3-0a",
    "1.2.3--",
    "1.2.3-a-b.c-d+e-f.g",
    "1.2.3+00.01",
    "0.0.0",
    "1.0.0-alpha.1.beta.2",
];

#[test]
fn semver_matches_node_semver() {
    let Some(nm) = node_modules_with("semver") else {
        return;
    };
    let mut seeds = vector_operands(&["semver-", "pub-"]);
    seeds.extend(osv_versions("crates.io"));
    seeds.extend(EDGE_SEEDS.iter().map(|s| s.to_string()));
    let alphabet = [
        ".", "-", "+", "0", "1", "9", "a", "A", "z", "Z", "v", "V", "=", " ", "_", "alpha", "rc",
        "x", "00", "01", "..", "\u{a0}", "\u{feff}", "\u{85}", "\u{b}", "é",
    ];
    let mut rng = Rng::from_env(0x5e3e_2024);
    let mut pairs = both_ways(vector_pairs(&["semver-versions.txt"]));
    pairs.extend(
        SEMVER_DELTAS
            .iter()
            .map(|d| (d.a.to_string(), d.b.to_string())),
    );
    let (near, huge): (Vec<_>, Vec<_>) = near_miss_pairs(&seeds, &alphabet, 25_000, &mut rng)
        .into_iter()
        .partition(|(a, b)| !both_huge_prerelease_numbers(a, b));
    eprintln!(
        "left out {} near-miss pairs with two 16+ digit pre-release numbers",
        huge.len()
    );
    pairs.extend(near);
    let answers = run_oracle(node_oracle(&nm), &pairs);
    let (accepted, rejected) = judge("semver", Scheme::SemVer, &pairs, &answers, SEMVER_DELTAS);
    assert!(accepted > 8_000 && rejected > 1_000, "too few useful pairs");
}

/// A Go version written as npm reads it, or `None` when it is not a Go version for sure
/// (characters outside the grammar, a second `v`): `v` dropped, `v1`/`v1.2` filled out.
fn go_as_npm(s: &str) -> Option<String> {
    let body = s.strip_prefix('v').unwrap_or(s);
    let grammar = |c: u8| c.is_ascii_alphanumeric() || b".-+".contains(&c);
    if body.is_empty() || body.starts_with('v') || !body.bytes().all(grammar) {
        return None;
    }
    if body.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        match body.bytes().filter(|&c| c == b'.').count() {
            0 => return Some(format!("{body}.0.0")),
            1 => return Some(format!("{body}.0")),
            _ => {}
        }
    }
    Some(body.to_string())
}

/// node refuses numbers above 2^53-1 and rounds huge pre-release numbers; Go does neither,
/// so pairs with a 16+ digit run say nothing about Go (unit tests cover them).
fn has_long_number(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() >= 16)
}

const GO_EDGE_SEEDS: &[&str] = &[
    "v1",
    "v1.2",
    "v0.0.0-20191109021931-daa7c04131f5",
    "v1.2.3-pre.0.20191109021931-daa7c04131f5",
    "v1.2.4-0.20191109021931-daa7c04131f5",
    "v2.0.0+incompatible",
    "v1.2.3-456-789",
    "v1.2.3+meta-pre.sha.256a",
    "0",
    "v0",
];

#[test]
fn go_matches_node_semver_after_conversion() {
    let Some(nm) = node_modules_with("semver") else {
        return;
    };
    let osv = osv_versions("Go");
    let mut seeds: Vec<String> = osv
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if i % 2 == 0 {
                format!("v{v}")
            } else {
                v.clone()
            }
        })
        .collect();
    seeds.extend(vector_operands(&["semver-"]));
    seeds.extend(GO_EDGE_SEEDS.iter().map(|s| s.to_string()));
    let alphabet = [
        ".",
        "-",
        "+",
        "0",
        "1",
        "9",
        "a",
        "z",
        "v",
        "V",
        "incompatible",
        "0.",
        "-0.",
        "20191109021931",
        "x",
        " ",
        "00",
        "_",
    ];
    let mut rng = Rng::from_env(0x60_2024);
    let mut all = both_ways(vector_pairs(&["semver-versions.txt"]));
    all.extend(near_miss_pairs(&seeds, &alphabet, 15_000, &mut rng));
    // Neighbours in sorted order: real pseudo-versions and tags that share long prefixes.
    all.extend(osv.windows(2).map(|w| (w[0].clone(), w[1].clone())));
    let (pairs, skipped): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|(a, b)| !has_long_number(a) && !has_long_number(b));
    eprintln!("left out {} pairs with a 16+ digit number", skipped.len());

    let mut answers = vec![Answer::Invalid; pairs.len()];
    let mut asked = Vec::new();
    let mut asked_at = Vec::new();
    for (i, (a, b)) in pairs.iter().enumerate() {
        if let (Some(a), Some(b)) = (go_as_npm(a), go_as_npm(b)) {
            asked.push((a, b));
            asked_at.push(i);
        }
    }
    for (i, answer) in asked_at
        .into_iter()
        .zip(run_oracle(node_oracle(&nm), &asked))
    {
        answers[i] = answer;
    }
    let (accepted, rejected) = judge("go", Scheme::Go, &pairs, &answers, &[]);
    assert!(accepted > 8_000 && rejected > 1_000, "too few useful pairs");
}
