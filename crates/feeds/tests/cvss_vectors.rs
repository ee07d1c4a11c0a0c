//! Every CVSS vector file of `shared/data/cvss/` scores as the file says.
//!
//! Formats (see shared/data/README.md): `VECTOR - (base, temporal, environmental)` for v2/v3
//! (`None`: not computable), `VECTOR - score` / `VECTOR - (score,)` for v4; claircore lists
//! `VECTOR  score # comment` (the most specific score the vector defines), `*_error.list`
//! (`#OK` must parse, the rest must fail) and `*_roundtrip.list` (must parse).
//! The FIRST v4 calculator tables (`first-cvss-v4-calculator/`) are lookup tables, not
//! vectors; the `cvss` crate embeds the same tables.

use caulk_feeds::score;
use caulk_model::advisory::CvssVersion;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.051
}

fn parse_expected(s: &str) -> Vec<Option<f64>> {
    s.trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            if x == "None" {
                None
            } else {
                Some(x.parse::<f64>().expect("number"))
            }
        })
        .collect()
}

#[test]
fn redhat_and_generated_vectors() {
    let mut total = 0;
    for dir in ["cvss/redhat-cvss-tests", "cvss/generated-random"] {
        let Some(d) = caulk_testkit::data(dir) else {
            return;
        };
        let mut files: Vec<_> = std::fs::read_dir(&d)
            .expect("dir")
            .map(|e| e.expect("e").path())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read");
            let mut failures = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (vector, expected) = line
                    .split_once(" - ")
                    .unwrap_or_else(|| panic!("{}:{}: {line}", f.display(), i + 1));
                let want = parse_expected(expected);
                total += 1;
                let got = match score::score(vector) {
                    Ok(s) => s,
                    Err(e) => {
                        failures.push(format!("{}: {e}", i + 1));
                        continue;
                    }
                };
                let ours = [Some(got.base), got.temporal, got.environmental];
                let n = if vector.starts_with("CVSS:4.0/") {
                    1
                } else {
                    3
                };
                for k in 0..n.min(want.len()) {
                    let ok = match (want[k], ours[k]) {
                        (Some(w), Some(o)) => close(w, o),
                        (None, None) => true,
                        _ => false,
                    };
                    if !ok {
                        failures.push(format!(
                            "{}: {vector}: score {k} want {:?} got {:?}",
                            i + 1,
                            want[k],
                            ours[k]
                        ));
                    }
                }
            }
            assert!(
                failures.is_empty(),
                "{}: {} failures, first: {:?}",
                f.display(),
                failures.len(),
                &failures[..failures.len().min(5)]
            );
        }
    }
    assert!(total > 20_000, "{total}");
}

/// claircore rejects these; python `cvss` (the differential oracle) and the `cvss` crate
/// accept them, and so do we: the order of metrics and a partly given optional group do not
/// change what the vector means, and real feeds are not always tidy.
const CLAIRCORE_STRICTER: [(&str, &str); 5] = [
    (
        "AV:A/AC:L/Au:N/C:C/I:C/A:C/CDP:H/TD:H/CR:H",
        "v2 environmental group given in part",
    ),
    (
        "AV:A/AC:L/Au:N/C:C/I:C/A:C/E:F",
        "v2 temporal group given in part",
    ),
    ("AV:A/AC:L/Au:N/A:C/I:C/C:C", "v2 base metrics out of order"),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/SC:N/VI:L/SI:N/VA:N/SA:N",
        "v4 metrics out of order",
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/E:A/SA:N",
        "v4 metrics out of order",
    ),
];

#[test]
fn claircore_lists() {
    let Some(d) = caulk_testkit::data("cvss/claircore-cvss-lists") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&d)
        .expect("dir")
        .map(|e| e.expect("e").path())
        .collect();
    files.sort();
    let mut checked = 0;
    for f in files {
        let name = f.file_name().expect("name").to_string_lossy().to_string();
        let text = std::fs::read_to_string(&f).expect("read");
        for (i, raw) in text.lines().enumerate() {
            let (body, comment) = raw.split_once('#').unwrap_or((raw, ""));
            let mut cols = body.split_whitespace();
            let Some(vector) = cols.next() else { continue };
            let at = format!("{name}:{}: {raw}", i + 1);
            checked += 1;
            let got = score::score(vector);
            // Each error list tests one version's parser: another version's vector is an
            // error there.
            let want_version = |s: &score::Scored| match &name[..2] {
                "v2" => s.version == CvssVersion::V2,
                "v3" => matches!(s.version, CvssVersion::V3_0 | CvssVersion::V3_1),
                _ => s.version == CvssVersion::V4,
            };
            let got = got.and_then(|s| {
                if !name.ends_with("_error.list") || want_version(&s) {
                    Ok(s)
                } else {
                    Err(score::CvssError {
                        vector: vector.into(),
                        reason: "other version".into(),
                    })
                }
            });
            if name.ends_with("_error.list") {
                if comment.trim() == "OK" {
                    assert!(got.is_ok(), "{at}: {got:?}");
                } else if let Some((_, why)) = CLAIRCORE_STRICTER.iter().find(|(v, _)| *v == vector)
                {
                    assert!(got.is_ok(), "{at}: accepted on purpose ({why}): {got:?}");
                } else {
                    assert!(got.is_err(), "{at}: must fail, scored {got:?}");
                }
            } else if name.ends_with("_roundtrip.list") {
                assert!(got.is_ok(), "{at}: {got:?}");
            } else {
                let want: f64 = cols.next().expect("score column").parse().expect("score");
                let s = got.unwrap_or_else(|e| panic!("{at}: {e}"));
                assert!(
                    close(s.overall(), want),
                    "{at}: got {} ({s:?})",
                    s.overall()
                );
            }
        }
    }
    assert!(checked > 200, "{checked}");
}

/// NVD's host sample (five whole API 2.0 records, one bare `cve` object per line) reads the
/// same whether each line is the bare object or the API's item shape `{"cve": {…}}`.
#[test]
fn nvd_api_items_read_bare_or_wrapped() {
    let Some(p) = caulk_testkit::data("nvd/nvd-api-2.0-host-sample.jsonl.gz") else {
        return;
    };
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(p).expect("open")),
        &mut text,
    )
    .expect("gunzip");
    let bare = caulk_feeds::nvd::parse(&text);
    assert_eq!(bare.cves, 5);
    assert!(bare.rejected.is_empty(), "{:?}", bare.rejected);
    assert!(!bare.scores.is_empty());
    let wrapped: String = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{{\"cve\": {l}}}\n"))
        .collect();
    let w = caulk_feeds::nvd::parse(&wrapped);
    assert_eq!(w.cves, 5);
    assert!(w.rejected.is_empty(), "{:?}", w.rejected);
    assert_eq!(w.scores, bare.scores);
}
