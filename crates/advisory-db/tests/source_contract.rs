//! The `AdvisorySource` contract, run on both implementations: the SQLite store built by
//! the mirror import and the in-memory `MemSource` built from the same real records (parsed,
//! validated and scored as the import does). Every read — single-key and set-based, on every
//! id, alias, upstream id, package and CVE the records name, plus keys nobody has — must give
//! the same answer from both, so the matching tests that run on `MemSource` speak for the
//! store, and the store's identity (computed at import) is the model's merge rule.

#![allow(clippy::unwrap_used)]

use caulk_advisory_db::import::{Options, import_dir};
use caulk_advisory_db::store::{Pool, Store};
use caulk_feeds::{epss, kev, osv, score};
use caulk_model::advisory::RecordSource;
use caulk_model::source::{AdvisorySource, MemSource};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The first `n` members of a real `all.zip` whose ids are not seen yet, as (name, bytes).
fn members(zip: &Path, n: usize, seen: &mut BTreeSet<String>) -> Vec<(String, Vec<u8>)> {
    let mut a = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..a.len() {
        if out.len() == n {
            break;
        }
        let mut f = a.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let Ok(rec) = osv::parse(&data) else { continue };
        if seen.insert(rec.id().to_string()) {
            out.push((name, data));
        }
    }
    out
}

fn write_zip(path: &Path, members: &[(String, Vec<u8>)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data) in members {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

struct Both {
    _tmp: tempfile::TempDir,
    db: PathBuf,
    mem: MemSource,
    /// Every key worth asking about.
    ids: BTreeSet<String>,
    packages: BTreeSet<(String, String)>,
}

fn build(feeds: &Path) -> Both {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    let mut mem = MemSource::new();
    let mut ids = BTreeSet::new();
    let mut packages = BTreeSet::new();
    let mut seen = BTreeSet::new();
    // Debian: DSAs with several upstream CVEs (advisories, not vulnerabilities) and derived
    // single-CVE records; Alpine: single-upstream re-publications; crates.io and PyPI:
    // aliases (GHSA, CVE) and informational advisories; AlmaLinux: errata covering many CVEs.
    for (eco, n) in [
        ("Debian", 300),
        ("Alpine", 150),
        ("crates.io", 200),
        ("PyPI", 150),
        ("AlmaLinux", 100),
    ] {
        let ms = members(&feeds.join(format!("osv/{eco}/all.zip")), n, &mut seen);
        write_zip(&mirror.join(format!("osv/{eco}/all.zip")), &ms);
        for (name, data) in &ms {
            let rec = osv::parse(data).unwrap();
            if osv::validate(&rec)
                .iter()
                .any(|f| f.level == osv::Level::Reject)
            {
                continue;
            }
            let id = rec.id().to_string();
            let mut severity = Vec::new();
            for s in rec.severity_vectors() {
                if let Ok(Some(sc)) = score::score_osv(&s.kind, &s.score) {
                    severity.push(sc.to_model(format!("osv:{id}"), None));
                }
            }
            let adv = rec.into_advisory(
                RecordSource {
                    feed: format!("osv/{eco}"),
                    file: name.clone(),
                },
                severity,
            );
            ids.insert(adv.id.clone());
            ids.extend(adv.aliases.iter().cloned());
            ids.extend(adv.upstream.iter().cloned());
            ids.extend(adv.related.iter().cloned());
            for p in &adv.affected {
                packages.insert((p.ecosystem.clone(), p.name.clone()));
            }
            mem.add(adv);
        }
    }
    let kev_bytes = std::fs::read(feeds.join("kev/known_exploited_vulnerabilities.json")).unwrap();
    std::fs::create_dir_all(mirror.join("kev")).unwrap();
    std::fs::write(
        mirror.join("kev/known_exploited_vulnerabilities.json"),
        &kev_bytes,
    )
    .unwrap();
    for k in kev::parse(&kev_bytes).unwrap().entries {
        ids.insert(k.cve_id.clone());
        mem.add_kev(k);
    }
    let epss_name = "CVE-2023-4911.epss-changepoints.csv";
    let epss_text = std::fs::read_to_string(feeds.join("epss").join(epss_name)).unwrap();
    std::fs::create_dir_all(mirror.join("epss")).unwrap();
    std::fs::write(mirror.join("epss").join(epss_name), &epss_text).unwrap();
    for e in epss::parse(&epss_text, epss_name).unwrap().scores {
        ids.insert(e.cve_id.clone());
        mem.add_epss(e);
    }
    ids.extend(["CVE-1999-0000", "NOPE-1", ""].map(String::from));
    packages.insert(("Debian:12".into(), "no-such-package".into()));
    packages.insert(("NoSuchEcosystem".into(), "openssl".into()));

    let db = tmp.path().join("advisories.db");
    let report = import_dir(&mirror, &db, &Options::default()).unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    Both {
        _tmp: tmp,
        db,
        mem,
        ids,
        packages,
    }
}

/// Ask both sources the same question; the answers must be equal.
macro_rules! same {
    ($store:expr, $mem:expr, $what:expr, |$s:ident| $call:expr) => {{
        let a = {
            let $s: &dyn AdvisorySource = $store;
            $call
        };
        let b = {
            let $s: &dyn AdvisorySource = $mem;
            $call
        };
        assert_eq!(a, b, "{}", $what);
        a
    }};
}

#[test]
fn store_and_memory_source_answer_alike() {
    let Some(feeds) = caulk_testkit::data("feeds") else {
        return;
    };
    let both = build(&feeds);
    let store = Store::open(&both.db).unwrap();
    let _snapshot = store.read_snapshot().unwrap();
    let (s, m): (&Store, &MemSource) = (&store, &both.mem);
    let mut matched = 0;
    for (eco, name) in &both.packages {
        let mut hits = same!(s, m, format!("lookup {eco}/{name}"), |x| x
            .lookup(eco, name)
            .unwrap());
        matched += hits.len();
        hits.sort_by(|a, b| a.advisory.cmp(&b.advisory));
    }
    assert!(matched > 800, "only {matched} hits");
    let mut linked = 0;
    let mut multi = 0;
    for id in &both.ids {
        same!(s, m, format!("advisory {id}"), |x| x.advisory(id).unwrap());
        let v = same!(s, m, format!("vulnerabilities of {id}"), |x| x
            .advisory_vulnerabilities(id)
            .unwrap());
        multi += usize::from(v.len() > 1);
        let vuln = same!(s, m, format!("vulnerability {id}"), |x| x
            .vulnerability(id)
            .unwrap());
        linked += vuln.map_or(0, |v| usize::from(v.ids.len() > 1));
        same!(s, m, format!("cvss {id}"), |x| x.cvss(id).unwrap());
        same!(s, m, format!("kev {id}"), |x| x.kev(id).unwrap());
        same!(s, m, format!("epss {id}"), |x| x.epss(id).unwrap());
    }
    assert!(linked > 300, "only {linked} ids with aliases");
    assert!(
        multi > 50,
        "only {multi} advisories covering several vulnerabilities"
    );

    // Set reads: the same answers as the single-key reads, in any order of keys, with
    // repeats. (Set reads answer in their own order; compare sorted.)
    let keys: Vec<&str> = both.ids.iter().map(String::as_str).rev().collect();
    let mut doubled = keys.clone();
    doubled.extend(keys.iter().take(50));
    /// A set read's answer in a comparable form: each item's debug text, sorted, once.
    fn set<T: std::fmt::Debug>(v: Vec<T>) -> Vec<String> {
        let mut v: Vec<String> = v.into_iter().map(|x| format!("{x:?}")).collect();
        v.sort();
        v.dedup();
        v
    }
    same!(s, m, "advisory_facts", |x| set(x
        .advisory_facts(&doubled)
        .unwrap()));
    same!(s, m, "advisory_vulnerabilities_many", |x| set(x
        .advisory_vulnerabilities_many(&doubled)
        .unwrap()));
    same!(s, m, "vulnerabilities", |x| set(x
        .vulnerabilities(&doubled)
        .unwrap()));
    same!(s, m, "cvss_many", |x| set(x.cvss_many(&doubled).unwrap()));
    same!(s, m, "kev_many", |x| set(x.kev_many(&doubled).unwrap()));
    same!(s, m, "epss_many", |x| set(x.epss_many(&doubled).unwrap()));
    let mut by_eco: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (eco, name) in &both.packages {
        by_eco.entry(eco).or_default().push(name);
    }
    for (eco, names) in by_eco {
        same!(s, m, format!("lookup_many {eco}"), |x| set(x
            .lookup_many(eco, &names)
            .unwrap()));
    }
}

#[test]
fn a_pool_serves_threads_at_once() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Pool>();
    let Some(feeds) = caulk_testkit::data("feeds") else {
        return;
    };
    let both = build(&feeds);
    let pool = Pool::open(&both.db, 4).unwrap();
    let want = both.mem.vulnerability("CVE-2023-4911").unwrap();
    std::thread::scope(|sc| {
        for _ in 0..4 {
            sc.spawn(|| {
                for _ in 0..50 {
                    let s = pool.get().unwrap();
                    assert_eq!(
                        AdvisorySource::vulnerability(&*s, "CVE-2023-4911").unwrap(),
                        want
                    );
                }
            });
        }
    });
}

/// An import renames a new database into place: a pool opened before it must not go on
/// answering from the replaced file through its idle connections.
#[test]
fn a_pool_follows_a_replaced_database() {
    let tmp = tempfile::tempdir().unwrap();
    let record = |id: &str, cve: &str| {
        serde_json::json!({"id": id, "modified": "2026-01-01T00:00:00Z", "aliases": [cve],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "p"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]})
        .to_string()
        .into_bytes()
    };
    let mirror = |id: &str, cve: &str| {
        let dir = tmp.path().join(id);
        write_zip(
            &dir.join("osv/PyPI/all.zip"),
            &[(format!("{id}.json"), record(id, cve))],
        );
        dir
    };
    let db = tmp.path().join("advisories.db");
    let opts = Options::default();
    import_dir(&mirror("PYSEC-1", "CVE-2001-0001"), &db, &opts).unwrap();
    let pool = Pool::open(&db, 4).unwrap();
    let ids = |pool: &Pool| -> Vec<String> {
        let s = pool.get().unwrap();
        s.lookup("PyPI", "p")
            .unwrap()
            .into_iter()
            .map(|h| h.advisory)
            .collect()
    };
    assert_eq!(ids(&pool), ["PYSEC-1"]);
    import_dir(&mirror("PYSEC-2", "CVE-2002-0002"), &db, &opts).unwrap();
    assert_eq!(ids(&pool), ["PYSEC-2"]);
    let _ = Store::open(&db).unwrap();
}
