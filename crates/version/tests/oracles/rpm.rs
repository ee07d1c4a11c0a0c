//! Differential test: caulk's RPM EVR order against rpm 4.18 itself, one `rpm --eval` process
//! running a Lua loop over the pairs.
//!
//! In rpm 4.18 `rpm.vercmp(a, b)` is not the plain `rpmvercmp`: it parses both sides as EVR
//! (`rpmverParse`) and compares with `rpmverCmp`: epoch (missing = 0), version, then release,
//! where a missing release sorts before any release (checked: `1:1 > 2`, `1.0 < 1.0-5`,
//! `1.0- > 1.0`, `:1 = 1`). It rejects only the empty string.
//!
//! caulk rejects two more shapes on purpose (see `src/rpm.rs`): an empty version part (`1:`,
//! `-1`) and an epoch beyond 32 bits. Near-miss mutation produces them, rpm orders them, so each
//! such pair is a known delta, recognised by [`documented_rejection`] (written independently
//! of the parser) and counted in the AGREEMENT line.

use super::common::*;
use caulk_version::Scheme;
use caulk_version::rpm::Nevra;
use std::process::Command;

/// No `%`, braces or backslashes: the body goes through rpm's macro expander.
const ORACLE: &str = r#"%{lua:
local tab, nl = string.char(9), string.char(10)
for line in io.lines() do
  local t = string.find(line, tab, 1, true)
  local ok, r = pcall(rpm.vercmp, string.sub(line, 1, t - 1), string.sub(line, t + 1))
  if not ok then io.write("E", nl)
  elseif r < 0 then io.write("<", nl)
  elseif r > 0 then io.write(">", nl)
  else io.write("=", nl) end
end
io.flush()
}"#;

const ALPHABET: &[&str] = &[
    "~", "^", ":", "-", "+", "_", ".", "0", "1", "9", "a", "z", "A", "el9", "fc39", "git", "~rc1",
    "^git1", "1:", "0:", " ", "é", "α", "!", "%", "/",
];

const EMPTY_VERSION: &str = "caulk rejects an EVR whose version part is empty (`1:`, `-1`, \
     `1:-2`): nothing to order and no package can carry it; rpm.vercmp compares the empty string";
const EPOCH_TOO_BIG: &str = "caulk rejects an epoch above 2^32-1 (RPM's Epoch tag is 32-bit); \
     rpm.vercmp compares epoch digit strings of any length";

/// Why caulk's documented policy rejects an EVR that rpm accepts, if it does.
fn documented_rejection(s: &str) -> Option<&'static str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, rest) = match s.as_bytes().get(digits) {
        Some(b':') => (&s[..digits], &s[digits + 1..]),
        _ => ("", s),
    };
    let version = rest.rsplit_once('-').map_or(rest, |(v, _)| v);
    if !s.is_empty() && version.is_empty() {
        return Some(EMPTY_VERSION);
    }
    let significant = epoch.trim_start_matches('0');
    if significant.len() > 10
        || significant
            .parse::<u64>()
            .is_ok_and(|e| e > u64::from(u32::MAX))
    {
        return Some(EPOCH_TOO_BIG);
    }
    None
}

/// Hand-written corners: both rejection classes, rpm's EVR split quirks, `~` and `^`,
/// non-ASCII separators, huge numbers, the empty string (rpm's only rejection).
fn edges() -> Vec<(String, String)> {
    let huge = "9".repeat(40);
    let huger = format!("1{}", "0".repeat(40));
    [
        ("4294967295:1", "4294967296:1"),
        ("99999999999999999999999:1", "1"),
        ("1:", "1"),
        ("1:-2", "1"),
        ("-1", "0"),
        (":1", "1"),
        ("1.0", "1.0-"),
        ("1.0-", "1.0-0"),
        ("1.0", "1.0-5"),
        ("a:1", "1"),
        ("1-2-3", "1-2"),
        ("~", "^"),
        ("1.0~rc1^git", "1.0"),
        ("1.m+e2:1", "4.m+e1:1"),
        ("1.1.α", "1.1.β"),
        ("", "1"),
        (huge.as_str(), huger.as_str()),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// EVRs of real installed packages (UBI 8 manifests), read from their NEVRA labels.
fn manifest_evrs() -> Vec<String> {
    let Some(data) = shared_data() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(data.join("inventories/rhel-8-ubi8")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("\"nerva\": \"")
                && let Ok(n) = Nevra::parse(rest.trim_end_matches(['"', ',']))
            {
                out.push(n.evr().to_string());
            }
        }
    }
    out
}

#[test]
fn rpm_agrees_with_rpm() {
    if require_program("rpm").is_none() || require_program("bash").is_none() {
        return;
    }
    let mut seeds = vector_operands(&["redhat-", "rpmvercmp"]);
    if seeds.is_empty() {
        return;
    }
    seeds.extend(manifest_evrs());
    seeds.sort();
    seeds.dedup();

    let mut rng = Rng::from_env(0x0052_504d);
    let mut pairs = near_miss_pairs(&seeds, ALPHABET, 12_000, &mut rng);
    pairs.extend(vector_pairs(&["redhat-", "rpmvercmp"]));
    pairs.extend(edges());

    // rpm prints the macro's (empty) expansion after the Lua output: drop that last line.
    let mut cmd = Command::new("bash");
    cmd.args([
        "-o",
        "pipefail",
        "-c",
        r#"rpm --eval "$1" | sed '/^$/d'"#,
        "rpm-oracle",
        ORACLE,
    ]);
    let answers = run_oracle(cmd, &pairs);

    let known: Vec<KnownDelta> = pairs
        .iter()
        .zip(&answers)
        .filter(|(_, ans)| matches!(ans, Answer::Order(_)))
        .filter_map(|((a, b), _)| {
            // Only where caulk does reject that operand: a delta never hides a misordering.
            let rejected =
                |s: &str| documented_rejection(s).filter(|_| Scheme::Rpm.parse(s).is_err());
            let why = rejected(a).or_else(|| rejected(b))?;
            Some(KnownDelta {
                a: Box::leak(a.clone().into_boxed_str()),
                b: Box::leak(b.clone().into_boxed_str()),
                why,
            })
        })
        .collect();
    for why in [EMPTY_VERSION, EPOCH_TOO_BIG] {
        let n = known.iter().filter(|k| k.why == why).count();
        eprintln!("rpm known deltas ({n} pairs): {why}");
    }
    judge(
        "rpm (rpm 4.18 rpm.vercmp)",
        Scheme::Rpm,
        &pairs,
        &answers,
        &known,
    );
}
