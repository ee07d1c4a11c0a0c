//! Differential test: `Pep440Version` against pip's `packaging.version.Version` (parse and
//! order). Seeds: the PyPI vector files, the PyPI OSV export and every spelling PEP 440
//! normalises. The legacy ordering has no oracle any more (packaging 22 removed
//! `LegacyVersion`); it is unit-tested against packaging 21's documented key.

use super::common::*;
use caulk_version::Scheme;
use std::process::Command;

/// Reads `A<TAB>B` lines, prints `<`, `=`, `>` or `E` (`InvalidVersion` on either side).
/// Bytes in, split on `\n` only: text-mode stdin and `splitlines` would also split on `\r`,
/// `\x1c`, `\x85` and `\u2028`, which are whitespace a version may carry.
const PY_ORACLE: &str = r#"
import sys
from packaging.version import Version, InvalidVersion
out = []
for line in sys.stdin.buffer.read().decode("utf-8").split("\n"):
    if not line:
        continue
    a, b = line.split("\t")
    try:
        va, vb = Version(a), Version(b)
    except InvalidVersion:
        out.append("E")
        continue
    out.append("<" if va < vb else ">" if va > vb else "=")
sys.stdout.write("".join(x + "\n" for x in out))
"#;

/// Every alternate spelling and ordering corner, so the mutator starts from each.
const EDGE_SEEDS: &[&str] = &[
    "1!2.0",
    "0!0",
    "v1.0",
    " V1.0\t",
    "\u{1c}1.0\u{85}",
    "1.0a1",
    "1.0.alpha.1",
    "1.0-ALPHA_1",
    "1.0beta2",
    "1.0c1",
    "1.0pre1",
    "1.0-preview-1",
    "1.0rc",
    "1.0-1",
    "1.0rev1",
    "1.0.r1",
    "1.0-r",
    "1.0.post-",
    "1.0.post1.dev2",
    "1.0a1.post1.dev1",
    "1.0a-dev",
    "1.0.dev0",
    "1.0DEV",
    "1.0+abc.5",
    "1.0+ABC-007_x",
    "1.0+local.0.1",
    "1.0.0.0.0",
    "0.0",
    "00001.0002",
    "1.99999999999999999999999999999999",
    "1.0.post99999999999999999999",
    "1.0+99999999999999999999",
];

#[test]
fn pep440_matches_packaging() {
    let Some(py) = python_with("packaging") else {
        return;
    };
    let osv = osv_versions("PyPI");
    let mut seeds = vector_operands(&["pypi-"]);
    seeds.extend(osv.iter().cloned());
    seeds.extend(EDGE_SEEDS.iter().map(|s| s.to_string()));
    let alphabet = [
        ".", "-", "_", "+", "!", "0", "1", "9", "00", "a", "b", "c", "rc", "alpha", "beta", "pre",
        "preview", "post", "rev", "r", "dev", "v", "V", "A", "RC", "DEV", "Post", "x", "z",
        "local", "..", " ", "\u{b}", "\u{1c}", "\u{85}", "\u{a0}", "\u{3000}", "\u{feff}", "ſ",
        "\u{212a}", "\u{661}",
    ];
    let mut rng = Rng::from_env(0x440_2024);
    let mut pairs = both_ways(vector_pairs(&["pypi-versions"]));
    pairs.extend(near_miss_pairs(&seeds, &alphabet, 20_000, &mut rng));
    // Neighbours in sorted order: real releases that share long prefixes.
    pairs.extend(osv.windows(2).map(|w| (w[0].clone(), w[1].clone())));
    let mut cmd = Command::new(py);
    cmd.arg("-c").arg(PY_ORACLE);
    let answers = run_oracle(cmd, &pairs);
    let (accepted, rejected) = judge("pep440", Scheme::Pep440, &pairs, &answers, &[]);
    assert!(
        accepted > 10_000 && rejected > 1_000,
        "too few useful pairs"
    );
}

/// Not an oracle test: packaging 26 has no legacy ordering left to ask. The vector lines it
/// rejects (pre-PEP 440 strings, allow-listed in `tests/data/allowlist/pep440.txt` because
/// `Scheme::compare` is strict) were generated with packaging 21, so they must all hold under
/// `Scheme::parse_lenient`, whose fallback is packaging 21's `LegacyVersion` key.
#[test]
fn pep440_legacy_vector_lines_hold_when_lenient() {
    let Some(data) = shared_data() else {
        return;
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in ["pypi-versions.txt", "pypi-versions-generated.txt"] {
        let text = std::fs::read_to_string(data.join("versions").join(file)).unwrap_or_default();
        for line in text.lines() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [a, op, b] = parts.as_slice() else {
                continue;
            };
            let want = match *op {
                "<" => std::cmp::Ordering::Less,
                "=" | "==" => std::cmp::Ordering::Equal,
                ">" => std::cmp::Ordering::Greater,
                _ => continue,
            };
            if Scheme::Pep440.parse(a).is_ok() && Scheme::Pep440.parse(b).is_ok() {
                continue;
            }
            checked += 1;
            let lenient = |s: &str| {
                Scheme::Pep440
                    .parse_lenient(s)
                    .expect("lenient never fails")
            };
            let got = lenient(a).try_cmp(&lenient(b)).expect("same scheme");
            if got != want {
                failures.push(format!("{file}: {line:?}: lenient order says {got:?}"));
            }
        }
    }
    eprintln!(
        "LEGACY pep440: {checked} vector lines with a non-PEP 440 side, {} hold leniently",
        checked - failures.len()
    );
    assert!(checked > 0, "no legacy vector lines found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
