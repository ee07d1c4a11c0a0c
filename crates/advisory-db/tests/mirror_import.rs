//! Import the whole offline mirror (`shared/data/feeds/`): every record accounted for
//! (imported, rejected with a reason, or a duplicate id), lookups answer, withdrawn records
//! are kept but never matched, identities are merged, enrichment is there.

use caulk_advisory_db::import::{Options, import_dir};
use caulk_advisory_db::store::Store;
use caulk_version::Ecosystem;
use caulk_version::range::evaluate_in;
use std::io::Read;

/// Members of each zip, counted independently of the importer.
fn zip_members(path: &std::path::Path) -> u64 {
    let f = std::fs::File::open(path).expect("zip");
    let mut z = zip::ZipArchive::new(f).expect("archive");
    let mut n = 0;
    for i in 0..z.len() {
        let mut e = z.by_index(i).expect("entry");
        if !e.is_dir() {
            let mut sink = Vec::new();
            e.read_to_end(&mut sink).expect("read");
            n += 1;
        }
    }
    n
}

#[test]
fn whole_mirror_is_accounted_for() {
    let Some(dir) = caulk_testkit::data("feeds") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("advisories.db");
    let report = import_dir(&dir, &db, &Options::default()).expect("import");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let store = Store::open(&db).expect("open");
    let feeds = store.feeds().expect("feeds");
    let names: Vec<&str> = feeds.iter().map(|f| f.feed.as_str()).collect();
    assert_eq!(
        names,
        [
            "epss",
            "kev",
            "osv/AlmaLinux",
            "osv/Alpine",
            "osv/Debian",
            "osv/Go",
            "osv/PyPI",
            "osv/crates.io"
        ]
    );
    let mut imported = 0;
    for f in &feeds {
        eprintln!(
            "{}: records {} rejected {} duplicates {} warnings {}",
            f.feed, f.records, f.rejected, f.duplicates, f.warnings
        );
        if let Some(eco) = f.feed.strip_prefix("osv/") {
            let members = zip_members(&dir.join("osv").join(eco).join("all.zip"));
            assert_eq!(
                f.records + f.rejected + f.duplicates,
                members,
                "{}: every member imported, rejected or a duplicate",
                f.feed
            );
            imported += f.records;
            let stored = store.rejections(&f.feed).expect("rejections");
            assert_eq!(stored.len() as u64, f.rejected);
            for r in &stored {
                assert!(!r.file.is_empty() && !r.reason.is_empty(), "{r:?}");
            }
        }
    }
    // Published counts (feeds/README.md); AlmaLinux repeats 43 members under the same ids.
    let by = |n: &str| feeds.iter().find(|f| f.feed == n).expect(n);
    assert_eq!(by("osv/AlmaLinux").duplicates, 43);
    assert_eq!(by("osv/Debian").records, 30866);
    assert_eq!(by("osv/Alpine").records, 2432);
    assert_eq!(by("kev").records, 1404);
    assert_eq!(by("kev").rejected, 0);
    assert_eq!(by("epss").records, 1);
    assert_eq!(store.count("advisories").expect("count"), imported);

    // Lookups by (ecosystem, source package) and evaluation through the version crate.
    let hits = store.lookup("Debian:12", "openssl").expect("lookup");
    assert!(!hits.is_empty());
    let eco = Ecosystem::parse("Debian:12");
    assert!(hits.iter().any(|h| {
        evaluate_in(&eco, &h.package.to_range_affected(), "3.0.11-1~deb12u1").is_affected()
    }));

    // RustSec's informational kinds are kept per entry; vulnerabilities have none. Every
    // crates.io entry of the mirror says which it is: 267 unmaintained, 203 unsound, 6
    // notice, 730 vulnerabilities (counted from the zip).
    let failure = store
        .advisory("RUSTSEC-2020-0036")
        .expect("q")
        .expect("RUSTSEC-2020-0036");
    assert_eq!(
        failure.affected[0].informational.as_deref(),
        Some("unmaintained")
    );
    let time = store
        .advisory("RUSTSEC-2020-0071")
        .expect("q")
        .expect("RUSTSEC-2020-0071");
    assert_eq!(time.affected[0].informational, None);
    let mut kinds: std::collections::BTreeMap<Option<String>, u64> = Default::default();
    {
        let f = std::fs::File::open(dir.join("osv/crates.io/all.zip")).expect("zip");
        let mut z = zip::ZipArchive::new(f).expect("zip");
        for i in 0..z.len() {
            let mut s = String::new();
            z.by_index(i)
                .expect("entry")
                .read_to_string(&mut s)
                .expect("read");
            let v: serde_json::Value = serde_json::from_str(&s).expect("json");
            let id = v["id"].as_str().expect("id");
            let Some(a) = store.advisory(id).expect("q") else {
                continue;
            };
            for (stored, raw) in a.affected.iter().zip(v["affected"].as_array().expect("a")) {
                let want = raw["database_specific"]["informational"].as_str();
                assert_eq!(stored.informational.as_deref(), want, "{id}");
                *kinds.entry(want.map(str::to_string)).or_default() += 1;
            }
        }
    }
    let count = |k: Option<&str>| kinds.get(&k.map(str::to_string)).copied().unwrap_or(0);
    assert_eq!(
        [
            count(Some("unmaintained")),
            count(Some("unsound")),
            count(Some("notice")),
            count(None)
        ],
        [267, 203, 6, 730],
        "{kinds:?}"
    );

    // Withdrawn: stored, shown, never matched.
    let withdrawn = {
        let f = std::fs::File::open(dir.join("osv/Go/all.zip")).expect("zip");
        let mut z = zip::ZipArchive::new(f).expect("zip");
        let mut found = None;
        for i in 0..z.len() {
            let mut e = z.by_index(i).expect("entry");
            let mut s = String::new();
            e.read_to_string(&mut s).expect("read");
            let v: serde_json::Value = serde_json::from_str(&s).expect("json");
            if v.get("withdrawn").is_some() {
                let a = &v["affected"][0]["package"];
                found = Some((
                    v["id"].as_str().expect("id").to_string(),
                    a["ecosystem"].as_str().unwrap_or("").to_string(),
                    a["name"].as_str().unwrap_or("").to_string(),
                ));
                break;
            }
        }
        found.expect("a withdrawn Go record")
    };
    let adv = store
        .advisory(&withdrawn.0)
        .expect("advisory")
        .expect("kept");
    assert!(adv.is_withdrawn());
    let hits = store.lookup(&withdrawn.1, &withdrawn.2).expect("lookup");
    assert!(
        hits.iter().all(|h| h.advisory != withdrawn.0),
        "withdrawn {} matched",
        withdrawn.0
    );

    // Identity: a Debian 12 changelog record, its CVE and other ecosystems' records are one.
    let v = store
        .vulnerability("x_DEBCHG-CVE-2023-4911")
        .expect("q")
        .expect("known");
    assert_eq!(v.id, "CVE-2023-4911");
    assert!(v.ids.contains(&"CVE-2023-4911".to_string()));
    // A DSA fixing several CVEs covers each of them without merging them.
    let dsa = store
        .advisory("DSA-5380-1")
        .expect("q")
        .expect("DSA-5380-1");
    if dsa.upstream.len() > 1 {
        let vulns = store.advisory_vulnerabilities("DSA-5380-1").expect("q");
        assert!(vulns.len() >= dsa.upstream.len(), "{vulns:?}");
        let a = store
            .vulnerability(&dsa.upstream[0])
            .expect("q")
            .expect("v");
        assert!(!a.ids.contains(&dsa.upstream[1]), "{a:?}");
    }

    // Enrichment.
    let kev = store
        .kev("CVE-2023-4911")
        .expect("q")
        .expect("Looney Tunables is in KEV");
    assert_eq!(kev.date_added, "2023-11-21");
    let epss = store.epss("CVE-2023-4911").expect("q").expect("epss");
    assert_eq!(epss.model_version.as_deref(), Some("v4"));
    let scored = store.count("cvss").expect("count");
    assert!(scored > 500, "{scored}");

    set_reads_answer_as_single_reads(&store, &db);
}

/// The set-based reads the scan uses answer exactly what the single-key reads answer, on
/// the real data: names of every ecosystem, their advisories, vulnerabilities and scores,
/// plus keys that exist nowhere.
fn set_reads_answer_as_single_reads(store: &Store, db: &std::path::Path) {
    use caulk_model::advisory::AdvisoryFacts;
    // The set reads get their keys reversed and with repeats; their answers must still be
    // the sorted, once-each answers of the single reads (asked in sorted order here).
    fn scrambled<'a>(keys: &[&'a str]) -> Vec<&'a str> {
        keys.iter()
            .rev()
            .chain(keys.iter().step_by(3))
            .copied()
            .collect()
    }
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let ecosystems: Vec<String> = conn
        .prepare("SELECT DISTINCT ecosystem FROM affected ORDER BY ecosystem")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .expect("ecosystems");
    assert!(ecosystems.len() > 5, "{ecosystems:?}");
    let (mut hits, mut advisories) = (0, std::collections::BTreeSet::new());
    for eco in &ecosystems {
        let mut names: Vec<String> = conn
            .prepare(
                "SELECT DISTINCT name FROM affected WHERE ecosystem=?1 ORDER BY name LIMIT 150",
            )
            .and_then(|mut st| st.query_map([eco], |r| r.get(0))?.collect())
            .expect("names");
        names.push("no-such-package-anywhere".into());
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let many = store
            .lookup_many(eco, &scrambled(&names))
            .expect("lookup_many");
        let mut single = Vec::new();
        for n in &names {
            single.extend(store.lookup(eco, n).expect("lookup"));
        }
        assert_eq!(many, single, "{eco}");
        hits += many.len();
        advisories.extend(many.into_iter().map(|h| h.advisory));
    }
    assert!(hits > 1000, "{hits}");
    advisories.insert("NO-SUCH-ADVISORY-1".into());
    let ids: Vec<&str> = advisories.iter().map(String::as_str).collect();

    let facts = store.advisory_facts(&scrambled(&ids)).expect("facts");
    let mut single = Vec::new();
    for id in &ids {
        if let Some(a) = store.advisory(id).expect("advisory") {
            single.push(AdvisoryFacts::of(&a));
        }
    }
    assert_eq!(facts, single);
    assert_eq!(facts.len(), ids.len() - 1);

    let links = store
        .advisory_vulnerabilities_many(&scrambled(&ids))
        .expect("links");
    let mut single = Vec::new();
    for id in &ids {
        for v in store.advisory_vulnerabilities(id).expect("links") {
            single.push((id.to_string(), v));
        }
    }
    assert_eq!(links, single);

    let mut all_ids: std::collections::BTreeSet<String> =
        links.iter().map(|(_, v)| v.clone()).collect();
    all_ids.extend(advisories.iter().cloned());
    let all: Vec<&str> = all_ids.iter().map(String::as_str).collect();
    let vulns = store
        .vulnerabilities(&scrambled(&all))
        .expect("vulnerabilities");
    let mut single = Vec::new();
    for id in &all {
        if let Some(v) = store.vulnerability(id).expect("vulnerability") {
            single.push((id.to_string(), v));
        }
    }
    assert_eq!(vulns, single);

    let mut every: std::collections::BTreeSet<String> = all_ids.clone();
    for (_, v) in &vulns {
        every.extend(v.ids.iter().cloned());
    }
    every.insert("CVE-2023-4911".into());
    let every: Vec<&str> = every.iter().map(String::as_str).collect();
    let cvss = store.cvss_many(&scrambled(&every)).expect("cvss");
    let mut single = Vec::new();
    for id in &every {
        for c in store.cvss(id).expect("cvss") {
            single.push((id.to_string(), c));
        }
    }
    assert_eq!(cvss, single);
    assert!(!cvss.is_empty());
    let kev = store.kev_many(&scrambled(&every)).expect("kev");
    let single: Vec<_> = every
        .iter()
        .filter_map(|c| store.kev(c).expect("kev"))
        .collect();
    assert_eq!(kev, single);
    assert!(!kev.is_empty());
    let epss = store.epss_many(&scrambled(&every)).expect("epss");
    let single: Vec<_> = every
        .iter()
        .filter_map(|c| store.epss(c).expect("epss"))
        .collect();
    assert_eq!(epss, single);
    assert!(!epss.is_empty());
}

/// Two imports into one path at once take turns (a write lock on `<db>.lock`): both
/// succeed and the database is whole, where they used to delete each other's temporary
/// file ("No such file or directory").
#[test]
fn concurrent_imports_into_one_database_take_turns() {
    let Some(sample) = caulk_testkit::data("ubuntu/osv-sample.zip") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let mirror = tmp.path().join("mirror");
    std::fs::create_dir_all(mirror.join("osv/Ubuntu")).expect("mkdir");
    std::fs::copy(&sample, mirror.join("osv/Ubuntu/all.zip")).expect("copy");
    let db = tmp.path().join("adv.db");
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| import_dir(&mirror, &db, &Options::default())))
            .collect();
        for r in runs {
            let report = r.join().expect("no panic").expect("import");
            assert!(report.failed.is_empty(), "{:?}", report.failed);
        }
    });
    let store = Store::open(&db).expect("open");
    let feeds = store.feeds().expect("feeds");
    assert_eq!(feeds.len(), 1);
    assert_eq!(feeds[0].records, 8);
    assert!(!tmp.path().join("adv.db.new").exists());
}

/// A feed is as old as its newest record, but a record dated after the import (a clock gone
/// wrong, a typo) does not make it look fresh.
#[test]
fn a_record_from_the_future_does_not_make_a_feed_fresh() {
    use std::io::Write;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("mirror/osv/PyPI");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut z = zip::ZipWriter::new(std::fs::File::create(dir.join("all.zip")).expect("zip"));
    for (id, modified) in [
        ("PYSEC-1", "2026-03-01T00:00:00Z"),
        ("PYSEC-2", "2099-01-01T00:00:00Z"),
    ] {
        z.start_file(
            format!("{id}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .expect("member");
        let rec = format!(
            r#"{{"id":"{id}","modified":"{modified}","affected":[{{"package":{{"ecosystem":"PyPI","name":"p"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}}]}}]}}]}}"#
        );
        z.write_all(rec.as_bytes()).expect("write");
    }
    z.finish().expect("finish");
    let db = tmp.path().join("adv.db");
    let opts = Options {
        // 2026-12-06
        now_unix: Some(1_796_515_200),
        ..Options::default()
    };
    import_dir(&tmp.path().join("mirror"), &db, &opts).expect("import");
    let feeds = Store::open(&db).expect("open").feeds().expect("feeds");
    assert_eq!(
        feeds[0].data_date.map(|d| d.to_string()).as_deref(),
        Some("2026-03-01")
    );
}
