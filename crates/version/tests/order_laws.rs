//! The laws every scheme's order must keep, checked on the real version strings of
//! `../shared/data/versions/` (per-scheme random strings are covered by each module's proptests):
//! antisymmetry, reflexivity, and transitivity — after sorting with our comparator, every
//! earlier element must be ≤ every later one, which fails if any triple is intransitive.

use caulk_version::{Scheme, Version};
use std::cmp::Ordering;

fn operands(prefixes: &[&str]) -> Option<Vec<String>> {
    let dir = caulk_testkit::data("versions")?;
    let mut out = Vec::new();
    let mut dirs = vec![dir];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !prefixes.iter().any(|x| name.starts_with(x)) {
                continue;
            }
            for line in std::fs::read_to_string(&p).expect("read").lines() {
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
    out.sort();
    out.dedup();
    Some(out)
}

fn check_laws(scheme: Scheme, prefixes: &[&str]) {
    let Some(ops) = operands(prefixes) else {
        return;
    };
    // Spread the sample over the whole list so generated files do not crowd out the rest.
    let valid: Vec<Version> = ops.iter().filter_map(|s| scheme.parse(s).ok()).collect();
    let step = (valid.len() / 600).max(1);
    let mut sample: Vec<Version> = valid.into_iter().step_by(step).collect();
    assert!(
        sample.len() >= 10,
        "{scheme}: only {} valid operands",
        sample.len()
    );
    let cmp = |a: &Version, b: &Version| a.try_cmp(b).expect("same scheme");
    for a in &sample {
        assert_eq!(
            cmp(a, a),
            Ordering::Equal,
            "{scheme}: {a} is not equal to itself"
        );
    }
    // A merge sort never panics on an inconsistent comparator; the full pairwise check after it
    // is what catches intransitivity and antisymmetry failures.
    sample.sort_by(cmp);
    for i in 0..sample.len() {
        for j in i + 1..sample.len() {
            let (a, b) = (&sample[i], &sample[j]);
            let ab = cmp(a, b);
            assert_ne!(
                ab,
                Ordering::Greater,
                "{scheme}: sorted {a} before {b} but {a} > {b}"
            );
            assert_eq!(
                ab,
                cmp(b, a).reverse(),
                "{scheme}: {a} vs {b} not antisymmetric"
            );
        }
    }
    eprintln!(
        "LAWS {scheme}: {} versions, {} pairs",
        sample.len(),
        sample.len() * (sample.len() - 1) / 2
    );
}

#[test]
fn dpkg() {
    check_laws(Scheme::Dpkg, &["debian-"]);
}
#[test]
fn rpm() {
    check_laws(Scheme::Rpm, &["redhat-", "rpmvercmp"]);
}
#[test]
fn apk() {
    check_laws(Scheme::Apk, &["alpine-"]);
}
#[test]
fn semver() {
    check_laws(Scheme::SemVer, &["semver-"]);
}
#[test]
fn pub_() {
    check_laws(Scheme::Pub, &["pub-"]);
}
#[test]
fn pep440() {
    check_laws(Scheme::Pep440, &["pypi-"]);
}
#[test]
fn maven() {
    check_laws(Scheme::Maven, &["maven-"]);
}
#[test]
fn rubygems() {
    check_laws(Scheme::RubyGems, &["rubygems-"]);
}
#[test]
fn nuget() {
    check_laws(Scheme::NuGet, &["nuget-"]);
}
#[test]
fn packagist() {
    check_laws(Scheme::Packagist, &["packagist"]);
}
#[test]
fn cran() {
    check_laws(Scheme::Cran, &["cran-"]);
}
#[test]
fn hackage() {
    check_laws(Scheme::Hackage, &["hackage-"]);
}
