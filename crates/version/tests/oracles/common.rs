//! Shared machinery of the differential tests: locating the oracles, a deterministic random
//! generator, near-miss mutation of real version strings, running a batch oracle and judging
//! its answers against ours.
//!
//! Oracle protocol: a program reads `A<TAB>B` lines on stdin and prints exactly one line per
//! input line: `<`, `=`, `>`, or `E` when it rejects either operand as invalid.

#![allow(dead_code)]

use caulk_version::{Scheme, VersionError};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/data` beside the project (or `$CAULK_SHARED_DATA`). Absent: the real seeds are
/// skipped loudly on a developer machine (the generated pairs still run) and the test fails
/// in CI (`caulk-testkit`).
#[track_caller]
pub fn shared_data() -> Option<PathBuf> {
    caulk_testkit::data("")
}

/// Call when an oracle is missing: panics in CI (`CAULK_REQUIRE_ORACLES=1`), prints SKIP
/// otherwise. Returns `None` so callers can write `let Some(x) = ... else { return
/// missing("...") }`.
#[track_caller]
pub fn missing<T>(what: &str) -> Option<T> {
    caulk_testkit::missing(format_args!(
        "oracle missing: {what} (run .ci/run to install it)"
    ));
    None
}

/// The Python of the oracle venv (`$CAULK_ORACLE_PYTHON`, else `.ci/cache/venv`), if it can
/// import `module`.
pub fn python_with(module: &str) -> Option<PathBuf> {
    let py = std::env::var_os("CAULK_ORACLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".ci/cache/venv/bin/python"));
    let ok = Command::new(&py)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(py)
    } else {
        missing(&format!("python with {module} ({})", py.display()))
    }
}

/// `node_modules` holding npm `semver` (`$CAULK_ORACLE_NODE_MODULES`, else `.ci/cache/node`).
pub fn node_modules_with(package: &str) -> Option<PathBuf> {
    let nm = std::env::var_os("CAULK_ORACLE_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".ci/cache/node/node_modules"));
    if nm.join(package).join("package.json").is_file() && which("node").is_some() {
        Some(nm)
    } else {
        missing(&format!(
            "node with npm package {package} in {}",
            nm.display()
        ))
    }
}

/// A program on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// A program on PATH, or a skip/failure naming it.
pub fn require_program(program: &str) -> Option<PathBuf> {
    match which(program) {
        Some(p) => Some(p),
        None => missing(program),
    }
}

/// What an oracle said about one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Order(Ordering),
    Invalid,
}

impl Answer {
    pub fn parse(line: &str) -> Answer {
        match line.trim() {
            "<" => Answer::Order(Ordering::Less),
            "=" => Answer::Order(Ordering::Equal),
            ">" => Answer::Order(Ordering::Greater),
            "E" => Answer::Invalid,
            other => panic!("oracle printed {other:?}, expected <, =, > or E"),
        }
    }
}

/// Run a batch oracle over `pairs`. Operands must not contain tabs or newlines (the mutator
/// never produces them).
pub fn run_oracle(mut cmd: Command, pairs: &[(String, String)]) -> Vec<Answer> {
    let mut input = String::new();
    for (a, b) in pairs {
        assert!(!a.contains(['\t', '\n']) && !b.contains(['\t', '\n']));
        input.push_str(a);
        input.push('\t');
        input.push_str(b);
        input.push('\n');
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start oracle {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("oracle output");
    writer
        .join()
        .expect("writer thread")
        .expect("write to oracle");
    assert!(
        out.status.success(),
        "oracle {cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("oracle output is UTF-8");
    let answers: Vec<Answer> = text.lines().map(Answer::parse).collect();
    assert_eq!(
        answers.len(),
        pairs.len(),
        "oracle {cmd:?} answered {} lines for {} pairs",
        answers.len(),
        pairs.len()
    );
    answers
}

/// Deterministic xorshift64*; the seed is printed so a failure can be replayed with
/// `CAULK_ORACLE_SEED`.
pub struct Rng(u64);

impl Rng {
    pub fn from_env(default_seed: u64) -> Rng {
        let seed = std::env::var("CAULK_ORACLE_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default_seed);
        eprintln!("seed {seed} (replay with CAULK_ORACLE_SEED={seed})");
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// Every operand of the version-vector files whose name starts with one of `prefixes`,
/// deduplicated, in file order.
pub fn vector_operands(prefixes: &[&str]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    vector_pairs(prefixes)
        .into_iter()
        .flat_map(|(a, b)| [a, b])
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

/// Near-miss pairs: mostly (real, mutated real) so the two sides differ in one place, plus
/// (mutated, mutated) and (real, real) pairs. `alphabet` holds the tokens a mutation may
/// insert or substitute (the scheme's separators and letters, digits, and some illegal ones).
pub fn near_miss_pairs(
    seeds: &[String],
    alphabet: &[&str],
    n: usize,
    rng: &mut Rng,
) -> Vec<(String, String)> {
    assert!(!seeds.is_empty(), "no seed versions");
    let mut pairs = Vec::with_capacity(n);
    while pairs.len() < n {
        let a = rng.pick(seeds).clone();
        let pair = match rng.below(10) {
            0 => (a, rng.pick(seeds).clone()),
            1 => {
                let b = mutate(&a, alphabet, rng);
                (mutate(&a, alphabet, rng), b)
            }
            2 => (a.clone(), a),
            _ => {
                let b = mutate(&a, alphabet, rng);
                if rng.chance(50) { (a, b) } else { (b, a) }
            }
        };
        if !pair.0.contains(['\t', '\n']) && !pair.1.contains(['\t', '\n']) {
            pairs.push(pair);
        }
    }
    pairs
}

/// One or two small edits of `s`: change a digit run, replace/insert/delete a character,
/// duplicate or drop a segment.
pub fn mutate(s: &str, alphabet: &[&str], rng: &mut Rng) -> String {
    let mut out = s.to_string();
    let edits = 1 + rng.below(2);
    for _ in 0..edits {
        let chars: Vec<char> = out.chars().collect();
        let len = chars.len();
        let pos = if len == 0 { 0 } else { rng.below(len) };
        out = match rng.below(7) {
            // Bump or change a digit run.
            0 | 1 => {
                let digit_runs: Vec<(usize, usize)> = digit_runs(&chars);
                if let Some(&(st, en)) = digit_runs.get(rng.below(digit_runs.len().max(1))) {
                    let run: String = chars[st..en].iter().collect();
                    let new = match rng.below(5) {
                        0 => "0".to_string(),
                        1 => format!("0{run}"),
                        2 => run.trim_start_matches('0').to_string(),
                        _ => {
                            let n: u64 = run.parse().unwrap_or(0);
                            let delta = 1 + rng.below(3) as u64;
                            if rng.chance(50) {
                                n.saturating_add(delta).to_string()
                            } else {
                                n.saturating_sub(delta).to_string()
                            }
                        }
                    };
                    let mut t: String = chars[..st].iter().collect();
                    t.push_str(&new);
                    t.extend(&chars[en..]);
                    t
                } else {
                    out
                }
            }
            // Replace one character.
            2 => {
                let mut t: String = chars[..pos.min(len)].iter().collect();
                t.push_str(rng.pick::<&str>(alphabet));
                if pos < len {
                    t.extend(&chars[pos + 1..]);
                }
                t
            }
            // Insert a token.
            3 | 4 => {
                let p = if len == 0 { 0 } else { rng.below(len + 1) };
                let mut t: String = chars[..p].iter().collect();
                t.push_str(rng.pick::<&str>(alphabet));
                t.extend(&chars[p..]);
                t
            }
            // Delete a character.
            5 => {
                if len > 1 {
                    let mut t: String = chars[..pos].iter().collect();
                    t.extend(&chars[pos + 1..]);
                    t
                } else {
                    out
                }
            }
            // Append a token and digits (new trailing segment).
            _ => {
                let mut t = out.clone();
                t.push_str(rng.pick::<&str>(alphabet));
                if rng.chance(60) {
                    t.push_str(&rng.below(20).to_string());
                }
                t
            }
        };
    }
    out
}

fn digit_runs(chars: &[char]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let st = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((st, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// A pair on which caulk and the oracle disagree, with an explanation in the allow-list.
pub struct KnownDelta {
    pub a: &'static str,
    pub b: &'static str,
    pub why: &'static str,
}

/// Compare our answers with the oracle's over all pairs; print the agreement figures (the
/// line `AGREEMENT` is quoted in the issue notes) and fail on any disagreement not in
/// `known`. Returns (accepted_by_oracle, rejected_by_oracle).
pub fn judge(
    label: &str,
    scheme: Scheme,
    pairs: &[(String, String)],
    answers: &[Answer],
    known: &[KnownDelta],
) -> (usize, usize) {
    let mut accepted = 0;
    let mut rejected = 0;
    let mut agree = 0;
    let mut both_reject = 0;
    let mut allowed = 0;
    let mut failures = Vec::new();
    for ((a, b), answer) in pairs.iter().zip(answers) {
        let ours: Result<Ordering, VersionError> = scheme.compare(a, b);
        let ok = match (answer, &ours) {
            (Answer::Order(o), Ok(m)) => {
                accepted += 1;
                o == m
            }
            (Answer::Order(_), Err(_)) => {
                accepted += 1;
                false
            }
            (Answer::Invalid, Err(_)) => {
                rejected += 1;
                true
            }
            (Answer::Invalid, Ok(_)) => {
                rejected += 1;
                false
            }
        };
        if ok {
            match answer {
                Answer::Order(_) => agree += 1,
                Answer::Invalid => both_reject += 1,
            }
        } else if known
            .iter()
            .any(|k| (k.a == a && k.b == b) || (k.a == b && k.b == a))
        {
            allowed += 1;
        } else {
            failures.push(format!(
                "  {a:?} vs {b:?}: oracle {answer:?}, caulk {:?}",
                ours.map_err(|e| e.to_string())
            ));
        }
    }
    eprintln!(
        "AGREEMENT {label}: {} pairs; oracle accepted {accepted}, caulk agreed on {agree}; \
         oracle rejected {rejected}, caulk rejected {both_reject}; allow-listed deltas {allowed}; \
         disagreements {}",
        pairs.len(),
        failures.len()
    );
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(40).collect();
        panic!(
            "{label}: {} disagreements with the oracle (first {}):\n{}",
            failures.len(),
            shown.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    (accepted, rejected)
}

/// Every `A OP B` pair of the vector files whose name starts with one of `prefixes`.
pub fn vector_pairs(prefixes: &[&str]) -> Vec<(String, String)> {
    let Some(data) = shared_data() else {
        return Vec::new();
    };
    let mut files = Vec::new();
    let mut dirs = vec![data.join("versions")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read versions dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| prefixes.iter().any(|pre| n.starts_with(pre)))
            {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut pairs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read vector file");
        for line in text.lines().map(str::trim) {
            if line.starts_with('#') || line.starts_with("//") {
                continue;
            }
            if let [a, op, b] = line.split_whitespace().collect::<Vec<_>>()[..]
                && ["<", "=", ">", "=="].contains(&op)
            {
                pairs.push((a.to_string(), b.to_string()));
            }
        }
    }
    pairs
}

/// Each pair and its reverse: both directions must agree with the oracle.
pub fn both_ways(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .flat_map(|(a, b)| [(a.clone(), b.clone()), (b, a)])
        .collect()
}

/// Every version string of an OSV export in `../shared/data/feeds/osv/<ecosystem>/all.zip`
/// (`introduced`, `fixed`, `last_affected`, `limit` and `versions` entries), deduplicated and
/// sorted; empty, with a note, when the export or `unzip` is missing. A JSON string scanner
/// is enough: those keys only ever hold strings or arrays of strings.
pub fn osv_versions(ecosystem: &str) -> Vec<String> {
    let Some(data) = shared_data() else {
        return Vec::new();
    };
    let zip = data.join("feeds/osv").join(ecosystem).join("all.zip");
    let out = Command::new("unzip").arg("-p").arg(&zip).output();
    let Ok(out) = out.as_ref().map(|o| (o.status.success(), &o.stdout)) else {
        eprintln!("note: no real {ecosystem} seeds (unzip missing)");
        return Vec::new();
    };
    if !out.0 {
        eprintln!(
            "note: no real {ecosystem} seeds ({} unreadable)",
            zip.display()
        );
        return Vec::new();
    }
    let text = String::from_utf8_lossy(out.1);
    let b = text.as_bytes();
    let mut found = BTreeSet::new();
    let (mut i, mut key, mut in_versions) = (0, None::<String>, false);
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        escaped = true;
                        j += 1;
                    }
                    j += 1;
                }
                let s = text
                    .get(start..j.min(b.len()))
                    .unwrap_or_default()
                    .to_string();
                i = j + 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if b.get(i) == Some(&b':') {
                    key = Some(s);
                    i += 1;
                    continue;
                }
                let event = key.as_deref().is_some_and(|k| {
                    ["introduced", "fixed", "last_affected", "limit"].contains(&k)
                });
                if (in_versions || event) && !escaped {
                    found.insert(s);
                }
                if !in_versions {
                    key = None;
                }
            }
            b'[' => {
                in_versions = key.as_deref() == Some("versions");
                key = None;
                i += 1;
            }
            b']' => {
                in_versions = false;
                i += 1;
            }
            _ => i += 1,
        }
    }
    eprintln!(
        "{} real {ecosystem} versions from the OSV export",
        found.len()
    );
    found.into_iter().collect()
}
