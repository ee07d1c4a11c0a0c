//! `sync::run` and `sync::mirror` against a real HTTP server on loopback (tests/common/http.rs):
//! first sync, 304 Not Modified without a re-import, a 5xx then success, a body cut short, a
//! corrupt zip, a stall, the size bound, `--offline`, an HTTP mirror with a manifest, and a
//! mirror written over HTTP then synced from its directory.

mod common;

use caulk_advisory_db::manifest::Manifest;
use caulk_advisory_db::store::Store;
use caulk_feed_sync::Error;
use caulk_feed_sync::fetch::{HttpOptions, Retry};
use caulk_feed_sync::sync::{
    self, FeedOutcome, MirrorOptions, PublicUrls, Selection, Source, SyncOptions, SyncReport,
};
use common::http::{Fault, Server};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

const ZIP: &str = "/osv/Debian/all.zip";
const KEV: &str = "/kev/known_exploited_vulnerabilities.json";
const EPSS: &str = "/epss/epss_scores-current.csv.gz";

fn record(id: &str, cve: &str, eco: &str, pkg: &str, modified: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"{modified}","aliases":["{cve}"],
        "affected":[{{"package":{{"ecosystem":"{eco}","name":"{pkg}"}},
        "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.0-2"}}]}}]}}]}}"#
    )
}

/// An OSV zip of `n` Debian records (`DSA-2024-1000` …).
fn osv_zip(n: usize, modified: &str) -> Vec<u8> {
    zip_of("DSA-2024-", "Debian:12", n, modified)
}

fn zip_of(prefix: &str, eco: &str, n: usize, modified: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..n {
        let id = format!("{prefix}{}", 1000 + i);
        let cve = format!("CVE-2024-{}", 1000 + i);
        w.start_file(format!("{id}.json"), opts).expect("start");
        w.write_all(record(&id, &cve, eco, &format!("pkg{i}"), modified).as_bytes())
            .expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn kev_json(cves: &[&str]) -> Vec<u8> {
    let entries: Vec<String> = cves
        .iter()
        .map(|c| {
            format!(
                r#"{{"cveID":"{c}","vendorProject":"V","product":"P","vulnerabilityName":"N",
                "dateAdded":"2024-01-02","dueDate":"2024-01-23","requiredAction":"patch",
                "knownRansomwareCampaignUse":"Unknown"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"catalogVersion":"2024.01.02","dateReleased":"2024-01-02T00:00:00Z","vulnerabilities":[{}]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

fn epss_gz(rows: usize) -> Vec<u8> {
    let mut text = String::from(
        "#model_version:v2025.03.14,score_date:2025-03-19T00:00:00+0000\ncve,epss,percentile\n",
    );
    for i in 0..rows {
        text.push_str(&format!("CVE-2024-{},0.{:05},0.5\n", 1000 + i, i + 1));
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).expect("gzip");
    e.finish().expect("gzip")
}

struct Fixture {
    server: Server,
    tmp: tempfile::TempDir,
}

impl Fixture {
    /// A server with Debian (3 records), KEV (2 entries), EPSS (4 rows).
    fn new() -> Fixture {
        let server = Server::start();
        server.put(ZIP, osv_zip(3, "2024-01-01T00:00:00Z"));
        server.put(KEV, kev_json(&["CVE-2024-1000", "CVE-2024-1001"]));
        server.put(EPSS, epss_gz(4));
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(
            tmp.path().join("os-release"),
            "ID=debian\nVERSION_ID=\"12\"\n",
        )
        .expect("os-release");
        Fixture { server, tmp }
    }

    fn db(&self) -> PathBuf {
        self.tmp.path().join("db/advisories.db")
    }

    /// The public-source path with its URLs on the test server; this "host" is Debian.
    fn opts(&self) -> SyncOptions {
        let base = self.server.url();
        let mut o = SyncOptions::new(
            self.db(),
            Source::Public(PublicUrls {
                osv_base: format!("{base}/osv"),
                kev: format!("{base}{KEV}"),
                epss: format!("{base}{EPSS}"),
            }),
        );
        o.host = host_distro(&self.tmp.path().join("os-release"));
        o.http = fast_http();
        o
    }
}

/// The host's distribution from an os-release file, by the inventory's rule (as the CLI
/// finds it).
fn host_distro(path: &std::path::Path) -> sync::HostDistro {
    let text = std::fs::read(path).expect("os-release");
    let (rel, _) = caulk_inventory::os::parse_os_release(&text, "os-release");
    sync::HostDistro {
        described: format!("{}: ID={}", path.display(), rel.get("ID").unwrap_or("")),
        ecosystem: caulk_inventory::os::ecosystem_for(&rel),
        unreadable: None,
    }
}

fn fast_http() -> HttpOptions {
    HttpOptions {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(20),
        stall_timeout: Duration::from_secs(5),
        retry: Retry {
            attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
        },
        ..HttpOptions::default()
    }
}

fn outcome<'a>(r: &'a SyncReport, feed: &str) -> &'a FeedOutcome {
    &r.feeds
        .iter()
        .find(|f| f.feed == feed)
        .unwrap_or_else(|| panic!("{feed} in {:?}", r.feeds))
        .outcome
}

fn records(db: &Path, feed: &str) -> u64 {
    Store::open(db)
        .expect("open")
        .feeds()
        .expect("feeds")
        .into_iter()
        .find(|f| f.feed == feed)
        .unwrap_or_else(|| panic!("{feed} in the database"))
        .records
}

fn statuses(log: &[common::http::Logged]) -> Vec<u16> {
    log.iter().map(|l| l.status).collect()
}

#[test]
fn first_sync_imports_and_the_second_gets_304_without_reimporting() {
    let fx = Fixture::new();
    let mut o = fx.opts();
    o.now_unix = Some(1_700_000_000);
    let r = sync::run(&o).expect("first sync");
    assert_eq!(r.failed().count(), 0, "{:?}", r.feeds);
    for f in ["osv/Debian", "kev", "epss"] {
        assert!(
            matches!(outcome(&r, f), FeedOutcome::Updated { bytes } if *bytes > 0),
            "{f}"
        );
    }
    assert!(r.import.is_some());
    let db = fx.db();
    assert_eq!(records(&db, "osv/Debian"), 3);
    assert_eq!(records(&db, "kev"), 2);
    assert_eq!(records(&db, "epss"), 4);
    let store = Store::open(&db).expect("open");
    let meta = store.fetch_meta("osv/Debian").expect("q").expect("stored");
    assert_eq!(meta.url, format!("{}{ZIP}", fx.server.url()));
    assert!(meta.etag.is_some() && meta.last_modified.is_some());
    assert_eq!(meta.checked_at_unix, 1_700_000_000);
    let built = store.meta("built_at").expect("q");
    let hits = store.lookup("Debian:12", "pkg1").expect("lookup");
    assert_eq!(hits.len(), 1);
    // The original JSON is kept (stored deflated, given back as it was).
    let raw = store.raw("DSA-2024-1001").expect("q").expect("stored");
    assert_eq!(
        String::from_utf8(raw).expect("utf8"),
        record(
            "DSA-2024-1001",
            "CVE-2024-1001",
            "Debian:12",
            "pkg1",
            "2024-01-01T00:00:00Z"
        )
    );
    drop(store);
    // An original larger than a record may be is an error, not a silently cut copy.
    {
        let big = vec![b' '; caulk_feeds::osv::MAX_RECORD_BYTES + 1];
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&big).expect("deflate");
        let deflated = e.finish().expect("deflate");
        let copy = fx.tmp.path().join("big-raw.db");
        std::fs::copy(&db, &copy).expect("copy");
        let c = rusqlite::Connection::open(&copy).expect("open copy");
        c.execute(
            "UPDATE advisories SET raw=?1 WHERE id='DSA-2024-1001'",
            [deflated],
        )
        .expect("update");
        drop(c);
        let e = Store::open(&copy)
            .expect("open")
            .raw("DSA-2024-1001")
            .expect_err("too large");
        assert!(e.to_string().contains("DSA-2024-1001"), "{e}");
    }
    // Every first request was unconditional.
    let log = fx.server.log();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log.iter()
            .all(|l| l.if_none_match.is_none() && l.status == 200)
    );

    // Second sync: conditional requests, all 304, no import, the database not rebuilt.
    fx.server.clear_log();
    o.now_unix = Some(1_700_000_600);
    let r = sync::run(&o).expect("second sync");
    assert!(r.import.is_none(), "nothing changed, nothing imported");
    for f in ["osv/Debian", "kev", "epss"] {
        assert_eq!(outcome(&r, f), &FeedOutcome::NotModified, "{f}");
    }
    let log = fx.server.log();
    assert_eq!(statuses(&log), [304, 304, 304], "{log:?}");
    assert!(log.iter().all(|l| l.if_none_match.is_some()));
    let zip_req = &fx.server.requests(ZIP)[0];
    assert_eq!(zip_req.if_none_match, meta.etag);
    assert_eq!(zip_req.if_modified_since, meta.last_modified);
    let store = Store::open(&db).expect("open");
    assert_eq!(store.meta("built_at").expect("q"), built, "not rebuilt");
    let after = store.fetch_meta("osv/Debian").expect("q").expect("kept");
    assert_eq!(
        after.checked_at_unix, 1_700_000_600,
        "the check is recorded"
    );
    assert_eq!(
        after.fetched_at_unix, 1_700_000_000,
        "the data is as old as it was"
    );
    assert_eq!(after.etag, meta.etag);
    assert!(
        !db.with_file_name("advisories.db.sync").exists(),
        "staging removed"
    );

    // A new version of one feed: only it is downloaded, the others stay and are kept.
    fx.server.clear_log();
    fx.server.put(ZIP, osv_zip(5, "2024-02-01T00:00:00Z"));
    let r = sync::run(&o).expect("third sync");
    assert!(matches!(
        outcome(&r, "osv/Debian"),
        FeedOutcome::Updated { .. }
    ));
    assert_eq!(outcome(&r, "kev"), &FeedOutcome::NotModified);
    assert_eq!(statuses(&fx.server.requests(ZIP)), [200]);
    assert_eq!(records(&db, "osv/Debian"), 5);
    assert_eq!(records(&db, "kev"), 2, "carried over");
    assert_eq!(records(&db, "epss"), 4, "carried over");
    let store = Store::open(&db).expect("open");
    assert!(store.kev("CVE-2024-1001").expect("q").is_some());
    assert!(store.epss("CVE-2024-1003").expect("q").is_some());
    assert!(
        store.fetch_meta("kev").expect("q").is_some(),
        "validators carried over"
    );
}

#[test]
fn a_server_error_is_retried_and_counted() {
    let fx = Fixture::new();
    fx.server.fault(ZIP, Fault::Status(503));
    fx.server.fault(KEV, Fault::Status(502));
    fx.server.fault(KEV, Fault::Status(500));
    let r = sync::run(&fx.opts()).expect("sync");
    assert_eq!(r.failed().count(), 0, "{:?}", r.feeds);
    assert_eq!(statuses(&fx.server.requests(ZIP)), [503, 200]);
    assert_eq!(statuses(&fx.server.requests(KEV)), [502, 500, 200]);
    let by = |f: &str| r.feeds.iter().find(|x| x.feed == f).expect("feed").clone();
    assert_eq!(
        (by("osv/Debian").attempts, by("osv/Debian").retries),
        (2, 1)
    );
    assert_eq!((by("kev").attempts, by("kev").retries), (3, 2));
    assert_eq!(r.retries(), 3);
    assert_eq!(records(&fx.db(), "osv/Debian"), 3);
}

#[test]
fn retries_are_bounded() {
    let fx = Fixture::new();
    fx.server.always(ZIP, Fault::Status(503));
    // A first sync whose only advisory feed fails writes no database: one with KEV alone
    // would call every package clean.
    let err = sync::run(&fx.opts())
        .expect_err("no advisories")
        .to_string();
    assert!(err.contains("no advisories"), "{err}");
    assert!(!fx.db().exists());
    assert_eq!(fx.server.requests(ZIP).len(), 3);
    // With a database to keep: the feed fails after a bounded number of attempts, its old
    // rows stay, and the others are imported.
    let fx = Fixture::new();
    sync::run(&fx.opts()).expect("first sync");
    let before = fx.server.requests(ZIP).len();
    fx.server.always(ZIP, Fault::Status(503));
    let r = sync::run(&fx.opts()).expect("sync");
    let FeedOutcome::Failed { reason } = outcome(&r, "osv/Debian") else {
        panic!("{:?}", r.feeds)
    };
    assert!(
        reason.contains("503") && reason.contains("3 attempts"),
        "{reason}"
    );
    assert_eq!(fx.server.requests(ZIP).len(), before + 3);
    assert_eq!(records(&fx.db(), "osv/Debian"), 3);
    assert_eq!(records(&fx.db(), "kev"), 2);
}

#[test]
fn a_truncated_body_keeps_the_old_data_and_the_other_feeds_are_updated() {
    let fx = Fixture::new();
    let mut o = fx.opts();
    sync::run(&o).expect("first sync");
    assert_eq!(records(&fx.db(), "osv/Debian"), 3);

    fx.server.put(ZIP, osv_zip(6, "2024-02-01T00:00:00Z"));
    fx.server.put(
        KEV,
        kev_json(&["CVE-2024-1000", "CVE-2024-1001", "CVE-2024-1002"]),
    );
    fx.server.always(ZIP, Fault::Truncate);
    o.http.retry.attempts = 2;
    fx.server.clear_log();
    let r = sync::run(&o).expect("sync");
    let FeedOutcome::Failed { reason } = outcome(&r, "osv/Debian") else {
        panic!("{:?}", r.feeds)
    };
    assert!(
        reason.contains(ZIP) && reason.contains("cut short"),
        "{reason}"
    );
    // A cut body is a transient failure: retried, then given up.
    assert_eq!(fx.server.requests(ZIP).len(), 2);
    assert!(matches!(outcome(&r, "kev"), FeedOutcome::Updated { .. }));
    let db = fx.db();
    assert_eq!(records(&db, "osv/Debian"), 3, "old data kept");
    assert_eq!(records(&db, "kev"), 3, "the other feed is updated");
    let store = Store::open(&db).expect("open");
    assert!(store.advisory("DSA-2024-1002").expect("q").is_some());
    assert!(store.advisory("DSA-2024-1004").expect("q").is_none());
    drop(store);

    // Once the body comes whole, the next sync takes it: the failed download did not
    // update the validators.
    fx.server.clear_faults();
    let r = sync::run(&o).expect("sync");
    assert!(matches!(
        outcome(&r, "osv/Debian"),
        FeedOutcome::Updated { .. }
    ));
    assert_eq!(records(&db, "osv/Debian"), 6);
}

#[test]
fn a_corrupt_zip_keeps_the_old_data_and_the_other_feeds_are_updated() {
    let fx = Fixture::new();
    let o = fx.opts();
    sync::run(&o).expect("first sync");
    let mut bad = osv_zip(6, "2024-02-01T00:00:00Z");
    let n = bad.len();
    // Destroy the end of central directory record.
    for b in &mut bad[n - 22..] {
        *b = 0x5a;
    }
    fx.server.put(ZIP, bad);
    fx.server.put(EPSS, epss_gz(7));
    fx.server.clear_log();
    let r = sync::run(&o).expect("sync");
    let FeedOutcome::Failed { reason } = outcome(&r, "osv/Debian") else {
        panic!("{:?}", r.feeds)
    };
    assert!(reason.contains("not a readable zip"), "{reason}");
    assert_eq!(
        fx.server.requests(ZIP).len(),
        1,
        "a complete but corrupt file is not retried"
    );
    assert_eq!(records(&fx.db(), "osv/Debian"), 3);
    assert_eq!(records(&fx.db(), "epss"), 7);
    // A gzip cut short is caught the same way (the server sends it whole: the file is bad).
    let gz = epss_gz(9);
    fx.server.put(EPSS, gz[..gz.len() - 10].to_vec());
    let r = sync::run(&o).expect("sync");
    let FeedOutcome::Failed { reason } = outcome(&r, "epss") else {
        panic!("{:?}", r.feeds)
    };
    assert!(reason.contains("gzip"), "{reason}");
    assert_eq!(records(&fx.db(), "epss"), 7);
}

#[test]
fn a_stalled_download_times_out_and_the_size_bound_holds() {
    let fx = Fixture::new();
    let mut o = fx.opts();
    o.http.stall_timeout = Duration::from_millis(300);
    o.http.retry.attempts = 1;
    fx.server.fault(EPSS, Fault::Stall(Duration::from_secs(3)));
    // EPSS is under the bound, KEV and the zip are over it.
    o.http.max_bytes = 300;
    let start = std::time::Instant::now();
    let r = sync::run(&o).expect("sync");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    let FeedOutcome::Failed { reason } = outcome(&r, "epss") else {
        panic!("{:?}", r.feeds)
    };
    assert!(reason.contains("timed out"), "{reason}");
    for feed in ["kev", "osv/Debian"] {
        let FeedOutcome::Failed { reason } = outcome(&r, feed) else {
            panic!("{:?}", r.feeds)
        };
        assert!(reason.contains("over the limit of 300 bytes"), "{reason}");
    }
    assert!(r.import.is_none());
    assert!(!fx.db().exists(), "nothing to import, nothing written");
}

#[test]
fn offline_makes_no_connection() {
    let fx = Fixture::new();
    let mut o = fx.opts();
    o.offline = true;
    assert!(matches!(sync::run(&o), Err(Error::Offline { .. })));
    o.source = Source::Mirror(fx.server.url());
    assert!(matches!(sync::run(&o), Err(Error::Offline { .. })));
    let mut m = MirrorOptions::new(fx.tmp.path().join("m"), Source::Mirror(fx.server.url()));
    m.offline = true;
    assert!(matches!(sync::mirror(&m), Err(Error::Offline { .. })));
    assert_eq!(fx.server.connections(), 0);
    assert!(!fx.db().exists());
}

#[test]
fn missing_feeds_and_unknown_hosts_are_clear_errors() {
    let fx = Fixture::new();
    let mut o = fx.opts();
    o.selection = Selection::Ecosystems(vec!["PyPI".into(), "Debian:12".into()]);
    let r = sync::run(&o).expect("sync");
    let FeedOutcome::Failed { reason } = outcome(&r, "osv/PyPI") else {
        panic!("{:?}", r.feeds)
    };
    assert!(
        reason.contains("/osv/PyPI/all.zip") && reason.contains("404"),
        "{reason}"
    );
    assert_eq!(records(&fx.db(), "osv/Debian"), 3);

    std::fs::write(fx.tmp.path().join("os-release"), "ID=plan9\n").expect("write");
    let e = sync::run(&fx.opts()).expect_err("unknown host");
    assert!(e.to_string().contains("--ecosystem"), "{e}");
}

/// A mirror directory with a manifest, served over HTTP.
fn served_mirror(fx: &Fixture) -> PathBuf {
    let dir = fx.tmp.path().join("origin");
    for (rel, body) in [
        ("osv/Debian/all.zip", osv_zip(3, "2024-01-01T00:00:00Z")),
        (
            "osv/PyPI/all.zip",
            zip_of("PYSEC-2024-", "PyPI", 2, "2024-01-01T00:00:00Z"),
        ),
        (
            "kev/known_exploited_vulnerabilities.json",
            kev_json(&["CVE-2024-1000"]),
        ),
        ("epss/epss_scores-current.csv.gz", epss_gz(2)),
    ] {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
    Manifest::write(&dir, 1_700_000_000).expect("manifest");
    fx.server.put_dir(&dir);
    dir
}

#[test]
fn an_http_mirror_with_a_manifest_is_checked_and_only_changes_are_fetched() {
    let fx = Fixture::new();
    let origin = served_mirror(&fx);
    let mut o = fx.opts();
    o.source = Source::parse(&format!("{}/", fx.server.url()));
    let r = sync::run(&o).expect("sync");
    assert_eq!(r.failed().count(), 0, "{:?}", r.feeds);
    assert_eq!(
        records(&fx.db(), "osv/PyPI"),
        2,
        "a mirror gives everything it has"
    );

    // Nothing changed: only the manifest is asked for.
    fx.server.clear_log();
    let r = sync::run(&o).expect("sync");
    assert!(r.import.is_none());
    let paths: Vec<String> = fx.server.log().into_iter().map(|l| l.path).collect();
    assert_eq!(paths, ["/caulk-mirror.json"]);

    // A file that does not match the manifest (replaced behind its back) is refused.
    fx.server.put(
        "/osv/PyPI/all.zip",
        zip_of("PYSEC-2024-", "PyPI", 4, "2024-03-01T00:00:00Z"),
    );
    let mut m = Manifest::load(&origin).expect("load").expect("manifest");
    for f in &mut m.files {
        if f.path == "osv/PyPI/all.zip" {
            f.sha256 = "00".repeat(32);
        }
    }
    fx.server
        .put("/caulk-mirror.json", serde_json::to_vec(&m).expect("json"));
    let r = sync::run(&o).expect("sync");
    let FeedOutcome::Failed { reason } = outcome(&r, "osv/PyPI") else {
        panic!("{:?}", r.feeds)
    };
    assert!(reason.contains("caulk-mirror.json says"), "{reason}");
    assert_eq!(records(&fx.db(), "osv/PyPI"), 2);
}

#[test]
fn a_mirror_written_over_http_then_synced_from_its_directory_is_verified() {
    let fx = Fixture::new();
    served_mirror(&fx);
    let out = fx.tmp.path().join("airgap");
    let mut m = MirrorOptions::new(out.clone(), Source::Mirror(fx.server.url()));
    m.http = fast_http();
    let r = sync::mirror(&m).expect("mirror");
    assert_eq!(r.failed().count(), 0, "{:?}", r.feeds);
    let manifest = Manifest::load(&out).expect("load").expect("written");
    assert_eq!(manifest.files.len(), 4);
    assert!(manifest.files.iter().all(|f| f.url.is_some()));
    assert!(!out.join(".caulk-mirror.tmp").exists());

    // Refreshing the mirror fetches nothing new.
    fx.server.clear_log();
    let r = sync::mirror(&m).expect("mirror again");
    assert!(
        r.feeds
            .iter()
            .all(|f| f.outcome == FeedOutcome::NotModified),
        "{:?}",
        r.feeds
    );
    assert_eq!(fx.server.log().len(), 1, "only the manifest");

    // The air-gapped side: sync from the directory, checked against the manifest.
    let mut o = fx.opts();
    o.source = Source::Dir(out.clone());
    let r = sync::run(&o).expect("sync dir");
    assert_eq!(r.failed().count(), 0, "{:?}", r.feeds);
    assert_eq!(records(&fx.db(), "osv/Debian"), 3);
    // Same directory again: nothing to import.
    let r = sync::run(&o).expect("sync dir again");
    assert!(r.import.is_none());
    // A file damaged on the way is caught by the manifest, the feed keeps its data.
    let zip = out.join("osv/Debian/all.zip");
    let bytes = std::fs::read(&zip).expect("read");
    std::fs::write(&zip, &bytes[..bytes.len() - 5]).expect("truncate");
    let r = sync::run(&o).expect("sync dir");
    let FeedOutcome::Failed { reason } = outcome(&r, "osv/Debian") else {
        panic!("{:?}", r.feeds)
    };
    assert!(reason.contains("truncated or replaced"), "{reason}");
    assert_eq!(records(&fx.db(), "osv/Debian"), 3);
}

/// A file that does not match the manifest never touches the database: its newer copy of a
/// record another feed also holds must not replace that feed's copy and then, when the file
/// is dropped, take it away with it.
#[test]
fn a_file_refused_by_the_manifest_takes_nothing_from_other_feeds() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("mirror");
    let one = |eco: &str, modified: &str| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("GHSA-same-same-same.json", opts)
            .expect("start");
        w.write_all(
            record("GHSA-same-same-same", "CVE-2024-9999", eco, "pkg", modified).as_bytes(),
        )
        .expect("write");
        w.finish().expect("finish").into_inner()
    };
    for (eco, modified) in [
        ("Debian", "2024-01-01T00:00:00Z"),
        ("PyPI", "2024-06-01T00:00:00Z"),
    ] {
        let p = dir.join(format!("osv/{eco}/all.zip"));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        let eco = if eco == "Debian" { "Debian:12" } else { eco };
        std::fs::write(p, one(eco, modified)).expect("write");
    }
    Manifest::write(&dir, 1_700_000_000).expect("manifest");
    // Replaced behind the manifest's back: still a valid zip, with a newer copy.
    std::fs::write(
        dir.join("osv/PyPI/all.zip"),
        one("PyPI", "2024-07-01T00:00:00Z"),
    )
    .expect("replace");
    let db = tmp.path().join("adv.db");
    let report =
        caulk_advisory_db::import::import_dir(&dir, &db, &Default::default()).expect("import");
    assert_eq!(
        report
            .failed
            .iter()
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>(),
        ["osv/PyPI"]
    );
    let store = Store::open(&db).expect("open");
    let adv = store
        .advisory("GHSA-same-same-same")
        .expect("read")
        .expect("the Debian feed's copy is still there");
    assert_eq!(adv.source.feed, "osv/Debian");
}

/// What a sync told its caller.
#[derive(Debug, Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl caulk_advisory_db::import::Observer for Recorder {
    fn records(&self, feed: &str, n: u64) {
        self.0
            .lock()
            .expect("lock")
            .push(format!("records {feed} {n}"));
    }
}

impl caulk_feed_sync::progress::Progress for Recorder {
    fn note(&self, line: &str) {
        self.0.lock().expect("lock").push(format!("note {line}"));
    }
    fn download_started(&self, feed: &str, _total: Option<u64>) {
        self.0.lock().expect("lock").push(format!("start {feed}"));
    }
    fn download_finished(&self, feed: &str) {
        self.0.lock().expect("lock").push(format!("done {feed}"));
    }
}

#[test]
fn progress_reaches_the_caller_and_nothing_is_printed_by_the_library() {
    let fx = Fixture::new();
    fx.server.remove(KEV);
    let rec = std::sync::Arc::new(Recorder::default());
    let mut o = fx.opts();
    o.progress = rec.clone();
    let r = sync::run(&o).expect("sync");
    assert_eq!(r.failed().count(), 1);
    let events = rec.0.lock().expect("lock").clone();
    // The 404 of kev has no body to download.
    for f in ["osv/Debian", "epss"] {
        assert!(events.contains(&format!("start {f}")), "{f}: {events:?}");
        assert!(events.contains(&format!("done {f}")), "{f}: {events:?}");
    }
    assert!(
        events.iter().any(|e| e.starts_with("records osv/Debian")),
        "{events:?}"
    );
    let notes: Vec<&String> = events.iter().filter(|e| e.starts_with("note ")).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("kev") && n.contains("not updated")),
        "{notes:?}"
    );
}

/// A server calls the sync from inside its own tokio runtime: `run_async` works there
/// (the blocking `run` would start a runtime inside a runtime, which panics).
#[test]
fn the_async_api_runs_inside_a_runtime() {
    let fx = Fixture::new();
    let o = fx.opts();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let r = rt.block_on(sync::run_async(o)).expect("sync");
    assert_eq!(r.failed().count(), 0, "{:?}", r.feeds);
    assert_eq!(records(&fx.db(), "osv/Debian"), 3);
    let mut m = sync::MirrorOptions::new(fx.tmp.path().join("mirror"), fx.opts().source);
    m.http = fast_http();
    m.host = fx.opts().host;
    let mr = rt.block_on(sync::mirror_async(m)).expect("mirror");
    assert_eq!(mr.feeds.len(), 3, "{:?}", mr.feeds);
    assert!(mr.manifest.is_some());
}
