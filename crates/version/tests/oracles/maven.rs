//! Differential test: `MavenVersion` against Maven's own `ComparableVersion` (Debian's
//! `maven-artifact` 3.8.7 jar, whose algorithm the 3.9 line keeps), run once per batch through
//! a tiny single-file Java program.
//!
//! Pairs: every vector line (both directions), hand-picked edge cases, and near-miss
//! mutations of the vector files' real strings. Maven accepts every string, so `E` never
//! comes back; the mutation alphabet avoids what caulk rejects (blanks, `\ / : " < > | ? *`,
//! non-ASCII).
//!
//! `ComparableVersion` is not a total order (MNG-6568): caulk departs from it exactly where it
//! contradicts itself. A disagreement is accepted only with a proof: a witness `w` such that
//! Maven's answers on `a`, `b`, `w` admit no total order (a Maven cycle through the pair),
//! found among the prefixes of `a` and `b` and asked of the same jar.

use super::common::*;
use caulk_version::Scheme;
use std::cmp::Ordering;
use std::path::PathBuf;
use std::process::Command;

const ORACLE_JAVA: &str = r#"
import org.apache.maven.artifact.versioning.ComparableVersion;
import java.io.*;
import java.nio.charset.StandardCharsets;

public class Oracle {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        String line;
        while ((line = in.readLine()) != null) {
            int tab = line.indexOf('\t');
            String a = line.substring(0, tab), b = line.substring(tab + 1);
            int c;
            try {
                c = new ComparableVersion(a).compareTo(new ComparableVersion(b));
            } catch (RuntimeException e) {
                out.println("E");
                continue;
            }
            out.println(c < 0 ? "<" : c > 0 ? ">" : "=");
        }
        out.flush();
    }
}
"#;

/// Deliberate differences, each exercised by an edge pair below. They are all Maven cycles
/// (MNG-6568): no total order can agree with every answer Maven gives on the triple.
const MAVEN_DELTAS: &[KnownDelta] = &[
    KnownDelta {
        a: "x",
        b: "0-alpha",
        why: "MNG-6568: Maven says x < 0-alpha < 0 < x; we keep 0-alpha < 0 < x (how each \
              compares with 'nothing') and so say 0-alpha < x. Maven 4 fixed the cycle the \
              same way (scalar qualifiers against lists by content)",
    },
    KnownDelta {
        a: "1-sp",
        b: "1-0-alpha",
        why: "same cycle one level down: Maven says 1-sp < 1-0-alpha < 1 < 1-sp",
    },
    KnownDelta {
        a: "1.0.beta.1",
        b: "1-1",
        why: "Maven says 1.0.beta.1 > 1-1 > 1 > 1.0.beta.1 (a kept zero outranks any list, \
              yet 0.beta is below nothing); we say 1.0.beta.1 < 1 < 1-1",
    },
    KnownDelta {
        a: "1.ga.1",
        b: "1-alpha",
        why: "Maven says 1.ga.1 < 1-alpha < 1 < 1.ga.1 (a qualifier outranked by any list, \
              although ga.1 is above nothing); we say 1-alpha < 1 < 1.ga.1",
    },
];

/// Edge cases beyond the vector files: Maven's own test suite, the cycles above, aliases,
/// huge numbers, separators in odd places.
const EDGE_PAIRS: &[(&str, &str)] = &[
    ("x", "0-alpha"),
    ("0", "x"),
    ("0-alpha", "0"),
    ("1-sp", "1-0-alpha"),
    ("1", "1-sp"),
    ("1-0-alpha", "1"),
    ("1.0.beta.1", "1-1"),
    ("1.ga.1", "1-alpha"),
    ("1.0.final-redhat", "1.0-sp1-redhat"),
    ("1.0.final-redhat-0001", "1.0.sp1-redhat-0001"),
    ("1-ga-1", "1-1"),
    ("1-release", "1"),
    ("1-0.3", "1"),
    ("1.0.RC1", "1.0-RC2"),
    ("1.0.0.X1", "1.0.0-X2"),
    ("2.0.X", "2-X"),
    ("1a1", "1-alpha-1"),
    ("1cr", "1rc"),
    ("1.1", "1.01"),
    ("1", "1."),
    ("1", "1-"),
    ("1", "1--"),
    ("-", "0"),
    (".", "-"),
    ("1..1", "1.0.1"),
    ("99999999999999999999999", "99999999999999999999998"),
    ("1.2147483648", "1.2147483647"),
    ("1.9223372036854775808", "1.9223372036854775807"),
    ("000000000000000000001", "1"),
    ("1.0-SNAPSHOT", "1.0-snapshot"),
    ("1.0_beta", "1.0-beta"),
    ("1.0+build", "1.0"),
];

/// The jar: Debian's `maven-artifact` (package `libmaven3-core-java`, pulled in by `maven`).
fn maven_jar() -> Option<PathBuf> {
    let candidates = [
        "/usr/share/java/maven-artifact-3.x.jar",
        "/usr/share/java/maven3-artifact.jar",
    ];
    match candidates.iter().map(PathBuf::from).find(|p| p.is_file()) {
        Some(p) => Some(p),
        None => missing("maven-artifact jar (apt maven)"),
    }
}

/// Writes the Java source to a fresh temporary directory and returns the command that
/// runs it (Java 11+ single-file source launch; the JVM starts once per batch).
fn java_oracle(jar: &std::path::Path) -> (Command, PathBuf) {
    let dir = std::env::temp_dir().join(format!("caulk-maven-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create oracle temp dir");
    let src = dir.join("Oracle.java");
    std::fs::write(&src, ORACLE_JAVA).expect("write Oracle.java");
    let mut cmd = Command::new("java");
    cmd.arg("-cp").arg(jar).arg(&src);
    (cmd, dir)
}

fn sign(a: Answer) -> Option<i8> {
    match a {
        Answer::Order(Ordering::Less) => Some(-1),
        Answer::Order(Ordering::Equal) => Some(0),
        Answer::Order(Ordering::Greater) => Some(1),
        Answer::Invalid => None,
    }
}

/// Whether some total preorder on {a, b, w} matches the three answers `ab`, `bw`, `wa`.
fn consistent(ab: i8, bw: i8, wa: i8) -> bool {
    let s = |x: i8, y: i8| (x > y) as i8 - (x < y) as i8;
    (0..3).any(|ra| {
        (0..3).any(|rb| (0..3).any(|rw| s(ra, rb) == ab && s(rb, rw) == bw && s(rw, ra) == wa))
    })
}

/// Witness candidates for a pair: every prefix of either string that caulk accepts, and the
/// smallest versions.
fn witnesses(a: &str, b: &str) -> Vec<String> {
    let mut out: Vec<String> = ["0", "1"].iter().map(|s| s.to_string()).collect();
    for s in [a, b] {
        for end in 1..=s.len() {
            if s.is_char_boundary(end) {
                out.push(s[..end].to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out.retain(|w| Scheme::Maven.parse(w).is_ok());
    out
}

/// For every pair where caulk and Maven disagree, looks for a Maven cycle through it. Returns
/// the proven pairs as known deltas (with the cycle as the reason) and prints them.
fn proven_cycles(
    jar: &std::path::Path,
    pairs: &[(String, String)],
    answers: &[Answer],
) -> Vec<KnownDelta> {
    let mut disagreements = Vec::new();
    for ((a, b), answer) in pairs.iter().zip(answers) {
        let ours = Scheme::Maven.compare(a, b).ok();
        if let (Some(theirs), Some(ours)) = (sign(*answer), ours)
            && theirs != ours as i8
            && !MAVEN_DELTAS
                .iter()
                .any(|k| (k.a == a && k.b == b) || (k.a == b && k.b == a))
        {
            disagreements.push((a.clone(), b.clone(), theirs));
        }
    }
    if disagreements.is_empty() {
        return Vec::new();
    }
    let mut questions = Vec::new();
    let mut index = Vec::new();
    for (n, (a, b, _)) in disagreements.iter().enumerate() {
        for w in witnesses(a, b) {
            questions.push((b.clone(), w.clone()));
            questions.push((w.clone(), a.clone()));
            index.push((n, w));
        }
    }
    let (cmd, dir) = java_oracle(jar);
    let replies = run_oracle(cmd, &questions);
    let _ = std::fs::remove_dir_all(dir);
    let mut proven = Vec::new();
    let mut done = vec![false; disagreements.len()];
    for (k, (n, w)) in index.iter().enumerate() {
        if done[*n] {
            continue;
        }
        let (a, b, ab) = &disagreements[*n];
        if let (Some(bw), Some(wa)) = (sign(replies[2 * k]), sign(replies[2 * k + 1]))
            && !consistent(*ab, bw, wa)
        {
            done[*n] = true;
            let sym = |x: i8| ["<", "=", ">"][(x + 1) as usize];
            let why = format!(
                "Maven cycle: {a} {} {b}, {b} {} {w}, {w} {} {a}",
                sym(*ab),
                sym(bw),
                sym(wa)
            );
            eprintln!("  forced delta {a:?} vs {b:?}: {why}");
            proven.push(KnownDelta {
                a: Box::leak(a.clone().into_boxed_str()),
                b: Box::leak(b.clone().into_boxed_str()),
                why: Box::leak(why.into_boxed_str()),
            });
        }
    }
    eprintln!(
        "FORCED maven: {} of {} disagreements proven by a Maven cycle",
        proven.len(),
        disagreements.len()
    );
    proven
}

#[test]
fn maven_against_comparable_version() {
    let Some(_) = require_program("java") else {
        return;
    };
    let Some(jar) = maven_jar() else {
        return;
    };
    let seeds = vector_operands(&["maven-"]);
    if seeds.is_empty() {
        return;
    }
    let mut rng = Rng::from_env(0x006d_6176_656e);
    let alphabet = [
        ".", "-", "0", "1", "2", "9", "a", "b", "m", "x", "rc", "cr", "sp", "ga", "final", "alpha",
        "beta", "SNAPSHOT", "RELEASE", "Final", "RC", "M", "_", "+", "-0", ".0", "-1",
    ];
    let mut pairs = both_ways(vector_pairs(&["maven-versions"]));
    pairs.extend(
        EDGE_PAIRS
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string())),
    );
    pairs.extend(near_miss_pairs(&seeds, &alphabet, 12_000, &mut rng));
    // The alphabet cannot produce what caulk rejects; keep the harness honest about it.
    for (a, b) in &pairs {
        assert!(
            Scheme::Maven.parse(a).is_ok() && Scheme::Maven.parse(b).is_ok(),
            "generated an operand caulk rejects: {a:?} / {b:?}"
        );
    }
    let (cmd, dir) = java_oracle(&jar);
    let answers = run_oracle(cmd, &pairs);
    let _ = std::fs::remove_dir_all(dir);
    let mut known: Vec<KnownDelta> = MAVEN_DELTAS
        .iter()
        .map(|k| KnownDelta {
            a: k.a,
            b: k.b,
            why: k.why,
        })
        .collect();
    known.extend(proven_cycles(&jar, &pairs, &answers));
    let (accepted, rejected) = judge("maven", Scheme::Maven, &pairs, &answers, &known);
    assert!(accepted >= 10_000, "too few pairs accepted: {accepted}");
    assert_eq!(rejected, 0, "ComparableVersion rejects nothing");
}
