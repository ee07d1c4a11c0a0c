//! Differential test against python `cvss` (RedHatProductSecurity/cvss) on random vectors of
//! every version, valid and near-miss (a base metric dropped or given a bad value).
//!
//! The oracle is the venv `.ci/cache/venv` (or `$CAULK_ORACLE_PYTHON`). Missing: a loud SKIP
//! on a developer machine, a failure in CI (`CAULK_REQUIRE_ORACLES=1`). Seeded:
//! `CAULK_ORACLE_SEED` replays a run.

use caulk_feeds::score;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn python() -> Option<PathBuf> {
    let py = std::env::var_os("CAULK_ORACLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../.ci/cache/venv/bin/python"
            ))
        });
    let ok = Command::new(&py)
        .args(["-c", "import cvss"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    if std::env::var("CAULK_REQUIRE_ORACLES").is_ok_and(|v| v == "1") {
        panic!("oracle missing in CI: python with cvss ({})", py.display());
    }
    eprintln!(
        "SKIP: oracle missing: python with cvss ({}) (run .ci/run to install it)",
        py.display()
    );
    None
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

type Metrics = &'static [(&'static str, &'static [&'static str], bool)];

const V2: Metrics = &[
    ("AV", &["L", "A", "N"], true),
    ("AC", &["H", "M", "L"], true),
    ("Au", &["M", "S", "N"], true),
    ("C", &["N", "P", "C"], true),
    ("I", &["N", "P", "C"], true),
    ("A", &["N", "P", "C"], true),
    ("E", &["U", "POC", "F", "H", "ND"], false),
    ("RL", &["OF", "TF", "W", "U", "ND"], false),
    ("RC", &["UC", "UR", "C", "ND"], false),
    ("CDP", &["N", "L", "LM", "MH", "H", "ND"], false),
    ("TD", &["N", "L", "M", "H", "ND"], false),
    ("CR", &["L", "M", "H", "ND"], false),
    ("IR", &["L", "M", "H", "ND"], false),
    ("AR", &["L", "M", "H", "ND"], false),
];
const V3: Metrics = &[
    ("AV", &["N", "A", "L", "P"], true),
    ("AC", &["L", "H"], true),
    ("PR", &["N", "L", "H"], true),
    ("UI", &["N", "R"], true),
    ("S", &["U", "C"], true),
    ("C", &["H", "L", "N"], true),
    ("I", &["H", "L", "N"], true),
    ("A", &["H", "L", "N"], true),
    ("E", &["X", "H", "F", "P", "U"], false),
    ("RL", &["X", "U", "W", "T", "O"], false),
    ("RC", &["X", "C", "R", "U"], false),
    ("CR", &["X", "H", "M", "L"], false),
    ("IR", &["X", "H", "M", "L"], false),
    ("AR", &["X", "H", "M", "L"], false),
    ("MAV", &["X", "N", "A", "L", "P"], false),
    ("MAC", &["X", "L", "H"], false),
    ("MPR", &["X", "N", "L", "H"], false),
    ("MUI", &["X", "N", "R"], false),
    ("MS", &["X", "U", "C"], false),
    ("MC", &["X", "H", "L", "N"], false),
    ("MI", &["X", "H", "L", "N"], false),
    ("MA", &["X", "H", "L", "N"], false),
];
const V4: Metrics = &[
    ("AV", &["N", "A", "L", "P"], true),
    ("AC", &["L", "H"], true),
    ("AT", &["N", "P"], true),
    ("PR", &["N", "L", "H"], true),
    ("UI", &["N", "P", "A"], true),
    ("VC", &["H", "L", "N"], true),
    ("VI", &["H", "L", "N"], true),
    ("VA", &["H", "L", "N"], true),
    ("SC", &["H", "L", "N"], true),
    ("SI", &["H", "L", "N"], true),
    ("SA", &["H", "L", "N"], true),
    ("E", &["X", "A", "P", "U"], false),
    ("CR", &["X", "H", "M", "L"], false),
    ("IR", &["X", "H", "M", "L"], false),
    ("AR", &["X", "H", "M", "L"], false),
    ("MAV", &["X", "N", "A", "L", "P"], false),
    ("MAC", &["X", "L", "H"], false),
    ("MAT", &["X", "N", "P"], false),
    ("MPR", &["X", "N", "L", "H"], false),
    ("MUI", &["X", "N", "P", "A"], false),
    ("MVC", &["X", "H", "L", "N"], false),
    ("MVI", &["X", "H", "L", "N"], false),
    ("MVA", &["X", "H", "L", "N"], false),
    ("MSC", &["X", "H", "L", "N"], false),
    ("MSI", &["X", "S", "H", "L", "N"], false),
    ("MSA", &["X", "S", "H", "L", "N"], false),
];

fn generate(rng: &mut Rng, prefix: &str, metrics: Metrics) -> String {
    let mut parts = Vec::new();
    let near_miss = rng.below(10) == 0;
    let victim = rng.below(metrics.iter().filter(|m| m.2).count());
    for (i, (k, values, base)) in metrics.iter().enumerate() {
        if !base && rng.below(3) != 0 {
            continue;
        }
        if near_miss && i == victim {
            match rng.below(2) {
                0 => continue,                     // base metric dropped
                _ => parts.push(format!("{k}:Q")), // bad value
            }
            continue;
        }
        parts.push(format!("{k}:{}", values[rng.below(values.len())]));
    }
    format!("{prefix}{}", parts.join("/"))
}

const ORACLE: &str = r#"
import sys
from cvss import CVSS2, CVSS3, CVSS4
for line in sys.stdin:
    v = line.strip()
    try:
        if v.startswith("CVSS:4.0/"):
            print("%s" % CVSS4(v).base_score)
        elif v.startswith("CVSS:3"):
            s = CVSS3(v).scores()
            print("%s %s %s" % s)
        else:
            s = CVSS2(v).scores()
            print("%s %s %s" % s)
    except Exception as e:
        print("E")
    sys.stdout.flush()
"#;

#[test]
fn random_vectors_agree_with_python_cvss() {
    let Some(py) = python() else { return };
    let seed = std::env::var("CAULK_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c5_5e11_u64);
    eprintln!("seed {seed} (replay with CAULK_ORACLE_SEED={seed})");
    let mut rng = Rng(seed.max(1));
    let mut vectors = Vec::new();
    for _ in 0..1500 {
        vectors.push(generate(&mut rng, "", V2));
        vectors.push(generate(&mut rng, "CVSS:3.0/", V3));
        vectors.push(generate(&mut rng, "CVSS:3.1/", V3));
        vectors.push(generate(&mut rng, "CVSS:4.0/", V4));
    }
    let mut child = Command::new(&py)
        .args(["-c", ORACLE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn python");
    let input = vectors.join("\n") + "\n";
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python output");
    writer.join().expect("writer").expect("write");
    let answers: Vec<&str> = std::str::from_utf8(&out.stdout)
        .expect("utf8")
        .lines()
        .collect();
    assert_eq!(answers.len(), vectors.len());
    let num = |s: &str| {
        if s == "None" {
            None
        } else {
            s.parse::<f64>().ok()
        }
    };
    let mut failures = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for (v, a) in vectors.iter().zip(&answers) {
        let ours = score::score(v);
        if *a == "E" {
            invalid += 1;
            if ours.is_ok() {
                failures.push(format!("{v}: python rejects, we scored {ours:?}"));
            }
            continue;
        }
        valid += 1;
        let Ok(s) = ours else {
            failures.push(format!("{v}: python scores {a}, we reject: {ours:?}"));
            continue;
        };
        let theirs: Vec<Option<f64>> = a.split(' ').map(num).collect();
        let mine = [Some(s.base), s.temporal, s.environmental];
        for (k, t) in theirs.iter().enumerate() {
            let same = match (t, mine[k]) {
                (Some(x), Some(y)) => (x - y).abs() < 0.051,
                (None, None) => true,
                _ => false,
            };
            if !same {
                failures.push(format!("{v}: score {k}: python {t:?}, ours {:?}", mine[k]));
            }
        }
    }
    eprintln!("{valid} valid and {invalid} invalid vectors compared");
    assert!(valid > 4000 && invalid > 200, "{valid} {invalid}");
    assert!(
        failures.is_empty(),
        "{} disagreements, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}
