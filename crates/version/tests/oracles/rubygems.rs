//! Differential test: `GemVersion` against `Gem::Version` of the installed Ruby (3.1, RubyGems
//! 3.3): `Gem::Version.new(a) <=> Gem::Version.new(b)`, `ArgumentError` (malformed) → `E`.
//! One `ruby` process reads every pair.
//!
//! Pairs: every vector line (both directions), edge cases, and near-miss mutations of the
//! vector files' real strings; the mutation alphabet includes blanks and characters the
//! pattern refuses, so both sides' rejections are exercised.

use super::common::*;
use caulk_version::Scheme;
use std::process::Command;

const RUBY_ORACLE: &str = r#"
out = []
STDIN.each_line do |line|
  a, b = line.chomp("\n").split("\t", 2)
  begin
    r = Gem::Version.new(a) <=> Gem::Version.new(b)
    out << (r.nil? ? "E" : (r < 0 ? "<" : (r > 0 ? ">" : "=")))
  rescue ArgumentError
    out << "E"
  end
end
STDOUT.write(out.map { |x| x + "\n" }.join)
"#;

/// Edge cases: blanks and the empty version (both `0` in RubyGems), case, huge numbers,
/// pre-release spellings, and malformed strings on either side.
const EDGE_PAIRS: &[(&str, &str)] = &[
    ("", "0"),
    ("", ""),
    (" ", "0.0"),
    (" 1.0 ", "1"),
    ("  1.0", "1.0.0"),
    ("1.B", "1.a"),
    ("1.A", "1.a"),
    ("1.0-1", "1.0"),
    ("1.0-1", "1.0.pre.1"),
    ("1.0--1", "1.0.pre.1"),
    ("1.0.0-a", "1.0.0-1"),
    ("1.0a", "1.0.a"),
    ("1.0.a10", "1.0.a.9"),
    ("0.beta.1", "0.0.beta.1"),
    ("5.a", "5.0.0.rc2"),
    ("1.a.0.b", "1.a"),
    (
        "999999999999999999999999999991",
        "999999999999999999999999999999",
    ),
    ("1.00000000000000000000000000001", "1.1"),
    ("a", "1"),
    ("1..0", "1"),
    ("1.", "1"),
    ("1-", "1"),
    ("1.0-", "1"),
    ("1_0", "1"),
    ("1a", "1"),
    ("-1", "1"),
    ("1.0+x", "1"),
];

#[test]
fn rubygems_against_gem_version() {
    let Some(_) = require_program("ruby") else {
        return;
    };
    let seeds = vector_operands(&["rubygems-"]);
    if seeds.is_empty() {
        return;
    }
    let mut rng = Rng::from_env(0x7275_6279);
    let alphabet = [
        ".", "-", "0", "1", "2", "9", "a", "b", "z", "A", "Z", "pre", "rc", "beta", "alpha", "..",
        "-1", ".0", " ", "_", "+", "~",
    ];
    let mut pairs = both_ways(vector_pairs(&["rubygems-versions"]));
    pairs.extend(
        EDGE_PAIRS
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string())),
    );
    pairs.extend(near_miss_pairs(&seeds, &alphabet, 16_000, &mut rng));
    let mut cmd = Command::new("ruby");
    cmd.arg("-e").arg(RUBY_ORACLE);
    let answers = run_oracle(cmd, &pairs);
    let (accepted, rejected) = judge("rubygems", Scheme::RubyGems, &pairs, &answers, &[]);
    assert!(accepted >= 10_000, "too few pairs accepted: {accepted}");
    assert!(
        rejected > 0,
        "the near-miss alphabet should produce malformed versions"
    );
}
