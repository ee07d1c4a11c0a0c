//! Every line of every version-vector file in `../shared/data/versions/` must hold for the
//! scheme that file is about. Deliberate differences are listed, with the reason, in
//! `tests/data/allowlist/<scheme>.txt` (lines `FILE<TAB>LINE<TAB>REASON`, FILE relative to
//! `versions/`, LINE the vector line exactly as in the file); an allow-listed line that starts
//! to pass is reported too, so the list cannot rot.

use caulk_version::{Scheme, ordering_symbol};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `../shared/data/versions`: absent is a skip, or a failure in CI.
#[track_caller]
fn shared_versions() -> Option<PathBuf> {
    caulk_testkit::data("versions")
}

/// Which scheme orders the versions of a vector file (path relative to `versions/`).
/// `None`: the file is not an `A OP B` list for a single scheme (tested elsewhere).
fn scheme_of(rel: &str) -> Option<Scheme> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    Some(match name {
        "rpmvercmp" => Scheme::Rpm,
        "packagist_test_cases.txt" => Scheme::Packagist,
        // NEVRA strings, NEVRA parse cases, and single-version validity lists: tested by
        // the rpm and apk unit tests.
        "compare" | "parse" | "valid_versions.txt" | "invalid_versions.txt" => return None,
        n if n.starts_with("alpine-") => Scheme::Apk,
        n if n.starts_with("cran-") => Scheme::Cran,
        n if n.starts_with("debian-") => Scheme::Dpkg,
        n if n.starts_with("hackage-") => Scheme::Hackage,
        n if n.starts_with("maven-") => Scheme::Maven,
        n if n.starts_with("nuget-") => Scheme::NuGet,
        n if n.starts_with("packagist-") => Scheme::Packagist,
        n if n.starts_with("pub-") => Scheme::Pub,
        n if n.starts_with("pypi-") => Scheme::Pep440,
        n if n.starts_with("redhat-") => Scheme::Rpm,
        n if n.starts_with("rubygems-") => Scheme::RubyGems,
        n if n.starts_with("semver-") => Scheme::SemVer,
        _ => return None,
    })
}

fn list_files(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read versions dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let r = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        };
        if p.is_dir() {
            list_files(&p, &r, out);
        } else {
            out.push((r, p));
        }
    }
}

type Allow = BTreeMap<(String, String), String>;

fn allowlist(scheme: Scheme) -> Allow {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/allowlist")
        .join(format!("{}.txt", scheme.name()));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Allow::new();
    };
    let mut out = Allow::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.splitn(3, '\t').collect();
        assert!(
            parts.len() == 3 && !parts[2].trim().is_empty(),
            "{}:{}: expected FILE<TAB>LINE<TAB>REASON",
            path.display(),
            i + 1
        );
        out.insert(
            (parts[0].to_string(), parts[1].to_string()),
            parts[2].to_string(),
        );
    }
    out
}

fn parse_op(op: &str) -> Option<Ordering> {
    Some(match op {
        "<" => Ordering::Less,
        "=" | "==" => Ordering::Equal,
        ">" => Ordering::Greater,
        _ => return None,
    })
}

/// Runs every vector line of `scheme`'s files; returns (checked, passed, allow-listed).
fn check_scheme(scheme: Scheme) -> Option<(usize, usize, usize)> {
    let dir = shared_versions()?;
    let allow = allowlist(scheme);
    let mut used_allow = BTreeSet::new();
    let mut files = Vec::new();
    list_files(&dir, "", &mut files);
    let (mut checked, mut passed, mut allowed) = (0, 0, 0);
    let mut failures = Vec::new();
    for (rel, path) in files {
        if scheme_of(&rel) != Some(scheme) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read vector file");
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (a, want, b) = match parts.as_slice() {
                [a, op, b] => match parse_op(op) {
                    Some(o) => (*a, o, *b),
                    None => panic!("{rel}:{}: unknown operator in {line:?}", i + 1),
                },
                _ => panic!("{rel}:{}: not `A OP B`: {line:?}", i + 1),
            };
            checked += 1;
            let got = scheme.compare(a, b);
            let ok = got.as_ref().is_ok_and(|o| *o == want);
            // Both directions: the reverse must be the reverse.
            let rev_ok = scheme.compare(b, a).is_ok_and(|o| o == want.reverse());
            let key = (rel.clone(), line.to_string());
            if ok && rev_ok {
                passed += 1;
                if allow.contains_key(&key) {
                    failures.push(format!(
                        "{rel}:{}: {line:?} passes now: remove it from the allow-list",
                        i + 1
                    ));
                }
            } else if allow.contains_key(&key) {
                allowed += 1;
                used_allow.insert(key);
            } else {
                let shown = match &got {
                    Ok(o) => ordering_symbol(*o).to_string(),
                    Err(e) => format!("error: {e}"),
                };
                failures.push(format!(
                    "{rel}:{}: {a} {} {b} expected, caulk says {shown}{}",
                    i + 1,
                    ordering_symbol(want),
                    if ok {
                        " (but the reverse comparison disagrees)"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    for key in allow.keys() {
        if !used_allow.contains(key) && !failures.iter().any(|f| f.contains(&key.1)) {
            failures.push(format!(
                "allow-list entry {}\t{} matches no failing vector line",
                key.0, key.1
            ));
        }
    }
    eprintln!(
        "VECTORS {scheme}: {checked} lines, {passed} pass, {allowed} allow-listed, {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{scheme}: {} vector failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 0, "{scheme}: no vector lines found");
    Some((checked, passed, allowed))
}

macro_rules! vector_test {
    ($name:ident, $scheme:expr) => {
        #[test]
        fn $name() {
            check_scheme($scheme);
        }
    };
}

vector_test!(dpkg, Scheme::Dpkg);
vector_test!(rpm, Scheme::Rpm);
vector_test!(apk, Scheme::Apk);
vector_test!(semver, Scheme::SemVer);
vector_test!(pub_, Scheme::Pub);
vector_test!(pep440, Scheme::Pep440);
vector_test!(maven, Scheme::Maven);
vector_test!(rubygems, Scheme::RubyGems);
vector_test!(nuget, Scheme::NuGet);
vector_test!(packagist, Scheme::Packagist);
vector_test!(cran, Scheme::Cran);
vector_test!(hackage, Scheme::Hackage);

#[test]
fn every_vector_file_is_claimed() {
    let Some(dir) = shared_versions() else {
        return;
    };
    let mut files = Vec::new();
    list_files(&dir, "", &mut files);
    let known_elsewhere = [
        "compare",
        "parse",
        "valid_versions.txt",
        "invalid_versions.txt",
    ];
    for (rel, _) in files {
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        assert!(
            scheme_of(&rel).is_some() || known_elsewhere.contains(&name),
            "vector file {rel} has no scheme: add it to scheme_of"
        );
    }
}
