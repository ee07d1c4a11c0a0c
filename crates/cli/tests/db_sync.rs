//! `caulk db sync` and `caulk db mirror` over HTTP, as a user runs them, against a real HTTP
//! server on loopback (the advisory crate's test server): the public-feed path with its URLs
//! pointed at the server, 304 on the second run, a failing feed (exit 1, others updated),
//! `--offline` with a URL (no connection), `mirror DIR --source URL` then a verified
//! `sync --source DIR`, and `status --max-age`.

#[path = "../../feed-sync/tests/common/http.rs"]
mod http;

use assert_cmd::Command;
use http::{Fault, Server};
use predicates::prelude::PredicateBooleanExt;
use std::path::{Path, PathBuf};

mod common;
use common::*;

#[track_caller]
fn feeds() -> Option<PathBuf> {
    shared("feeds")
}

const FILES: [&str; 3] = [
    "osv/crates.io/all.zip",
    "kev/known_exploited_vulnerabilities.json",
    "epss/CVE-2023-4911.epss-changepoints.csv",
];

/// Where the server has the EPSS excerpt (a time-series file is named after its CVE).
const EPSS: &str = "/epss/CVE-2023-4911.epss-changepoints.csv";

/// The server serves crates.io, KEV and EPSS from the shared feeds, under the public names.
fn public_server(feeds: &Path) -> Server {
    let s = Server::start();
    s.put(
        "/osv/crates.io/all.zip",
        std::fs::read(feeds.join(FILES[0])).expect("zip"),
    );
    s.put(
        "/kev.json",
        std::fs::read(feeds.join(FILES[1])).expect("kev"),
    );
    s.put(EPSS, std::fs::read(feeds.join(FILES[2])).expect("epss"));
    s
}

/// `caulk ARGS` with the public URLs pointed at `server`.
fn db_cmd(server: Option<&Server>, args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("caulk").expect("binary");
    c.env_remove("CAULK_DB");
    for v in [
        "CAULK_OSV_URL",
        "CAULK_KEV_URL",
        "CAULK_EPSS_URL",
        "CAULK_OS_RELEASE",
    ] {
        c.env_remove(v);
    }
    if let Some(s) = server {
        c.env("CAULK_OSV_URL", format!("{}/osv", s.url()))
            .env("CAULK_KEV_URL", format!("{}/kev.json", s.url()))
            .env("CAULK_EPSS_URL", format!("{}{EPSS}", s.url()));
    }
    c.args(args);
    c
}

fn status_json(db: &Path) -> Vec<serde_json::Value> {
    let out = db_cmd(None, &["db", "status", "--format", "json", "--db"])
        .arg(db)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

fn records(list: &[serde_json::Value], feed: &str) -> Option<u64> {
    list.iter().find(|f| f["feed"] == feed)?["records"].as_u64()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

#[test]
fn sync_from_the_public_feeds_then_304_then_a_failing_feed() {
    let Some(feeds) = feeds() else { return };
    let server = public_server(&feeds);
    let tmp = tempdir();
    let db = tmp.path().join("advisories.db");
    let sync = |extra: &[&str]| {
        let mut c = db_cmd(
            Some(&server),
            &["db", "sync", "--retry-delay", "10ms", "--db"],
        );
        c.arg(&db).args(extra);
        c
    };
    let a = sync(&["--ecosystem", "crates.io"]).assert().success();
    let err = stderr(&a);
    assert!(err.contains("osv/crates.io: downloaded"), "{err}");
    assert!(err.contains("osv/crates.io: 1206 records"), "{err}");
    let list = status_json(&db);
    assert_eq!(records(&list, "osv/crates.io"), Some(1206));
    assert_eq!(records(&list, "kev"), Some(1404));
    assert!(
        list.iter()
            .all(|f| f["rejected"].is_u64() && f["checked_at"].is_string())
    );
    let source = list.iter().find(|f| f["feed"] == "kev").expect("kev")["source"].clone();
    assert_eq!(source, format!("{}/kev.json", server.url()));

    // Second run: all 304, nothing imported.
    server.clear_log();
    let a = sync(&["--ecosystem", "crates.io"]).assert().success();
    let err = stderr(&a);
    assert!(err.contains("up to date, nothing imported"), "{err}");
    assert!(err.contains("kev: not modified"), "{err}");
    let log = server.log();
    assert_eq!(
        log.iter().map(|l| l.status).collect::<Vec<_>>(),
        [304, 304, 304],
        "{log:?}"
    );

    // A feed that keeps failing: exit 1, named, retried, its data kept.
    server.put("/kev.json", b"{\"vulnerabilities\": []}".to_vec());
    server.always(EPSS, Fault::Status(503));
    let a = sync(&["--ecosystem", "crates.io", "--retries", "2"])
        .assert()
        .code(1);
    let err = stderr(&a);
    assert!(
        err.contains("epss: not updated, previous data kept") && err.contains("503"),
        "{err}"
    );
    assert!(err.contains("after 1 retry"), "{err}");
    let list = status_json(&db);
    assert_eq!(records(&list, "epss"), Some(1), "kept");
    assert_eq!(records(&list, "kev"), Some(0), "updated");
}

#[test]
fn the_host_decides_the_default_ecosystems() {
    let Some(feeds) = feeds() else { return };
    let server = public_server(&feeds);
    let tmp = tempdir();
    let os = tmp.path().join("os-release");
    std::fs::write(&os, "ID=debian\nVERSION_ID=\"12\"\n").expect("write");
    let db = tmp.path().join("advisories.db");
    // This "Debian" host asks for osv/Debian, which the server does not have: a clear
    // failure for that feed — and, as it is the only advisory feed, no database at all (one
    // with KEV and EPSS only would call every package clean).
    let a = db_cmd(Some(&server), &["db", "sync", "--retries", "1", "--db"])
        .arg(&db)
        .env("CAULK_OS_RELEASE", &os)
        .assert()
        .code(2);
    let err = stderr(&a);
    assert!(
        err.contains("osv/Debian") && err.contains("404") && err.contains("no advisories"),
        "{err}"
    );
    assert!(!db.exists(), "a database without advisories was written");
    assert_eq!(
        server.requests("/osv/Debian/all.zip").len(),
        1,
        "{:?}",
        server.log()
    );
    std::fs::write(&os, "ID=plan9\n").expect("write");
    db_cmd(Some(&server), &["db", "sync", "--db"])
        .arg(&db)
        .env("CAULK_OS_RELEASE", &os)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--ecosystem"));
}

#[test]
fn offline_with_a_url_makes_no_connection() {
    let server = Server::start();
    let tmp = tempdir();
    db_cmd(
        None,
        &["db", "sync", "--offline", "--source", &server.url(), "--db"],
    )
    .arg(tmp.path().join("x.db"))
    .assert()
    .code(2)
    .stderr(predicates::str::contains("--offline"));
    db_cmd(None, &["db", "mirror"])
        .arg(tmp.path().join("m"))
        .args(["--offline", "--source", &server.url()])
        .assert()
        .code(2);
    assert_eq!(server.connections(), 0);
}

#[test]
fn mirror_over_http_then_sync_from_the_directory_verifies_checksums() {
    let Some(feeds) = feeds() else { return };
    let tmp = tempdir();
    // An upstream mirror, written by caulk from the shared feeds, served over HTTP.
    let src = tmp.path().join("src");
    for rel in FILES {
        let to = src.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(feeds.join(rel), &to).expect("copy");
    }
    let upstream = tmp.path().join("upstream");
    db_cmd(None, &["db", "mirror"])
        .arg(&upstream)
        .arg("--source")
        .arg(&src)
        .assert()
        .success();
    let server = Server::start();
    server.put_dir(&upstream);

    // The air-gap side's copy, over HTTP.
    let airgap = tmp.path().join("airgap");
    db_cmd(None, &["db", "mirror"])
        .arg(&airgap)
        .args(["--source", &server.url()])
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(airgap.join("caulk-mirror.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["files"].as_array().map(Vec::len), Some(3));

    // Sync from the directory: verified against the manifest.
    let db = tmp.path().join("advisories.db");
    db_cmd(None, &["db", "sync", "--offline", "--source"])
        .arg(&airgap)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    assert_eq!(records(&status_json(&db), "osv/crates.io"), Some(1206));

    // A file changed after the manifest was written: refused, old data kept.
    let kev = airgap.join(FILES[1]);
    let mut bytes = std::fs::read(&kev).expect("read");
    bytes[100] ^= 0x01;
    std::fs::write(&kev, bytes).expect("write");
    let a = db_cmd(None, &["db", "sync", "--offline", "--source"])
        .arg(&airgap)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(1);
    let err = stderr(&a);
    assert!(
        err.contains("kev: not updated") && err.contains("sha256"),
        "{err}"
    );
    assert_eq!(records(&status_json(&db), "kev"), Some(1404));
}

#[test]
fn status_warns_about_old_feeds() {
    let Some(feeds) = feeds() else { return };
    let tmp = tempdir();
    let src = tmp.path().join("src");
    for f in [FILES[0], FILES[1]] {
        let to = src.join(f);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(feeds.join(f), &to).expect("copy");
    }
    let db = tmp.path().join("advisories.db");
    db_cmd(None, &["db", "import", "--source"])
        .arg(&src)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    db_cmd(None, &["db", "status", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stderr(predicates::str::contains("warning").not());
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let a = db_cmd(
        None,
        &[
            "db",
            "status",
            "--max-age",
            "1s",
            "--format",
            "json",
            "--db",
        ],
    )
    .arg(&db)
    .assert()
    .success();
    let err = stderr(&a);
    assert!(
        err.contains("warning: kev is") && err.contains("limit 1s"),
        "{err}"
    );
    let list: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).expect("json");
    assert_eq!(list[0]["stale"], true);
    assert_eq!(list[0]["records"].as_u64(), Some(1404));
    assert_eq!(list[0]["rejected"].as_u64(), Some(0));
    db_cmd(None, &["db", "status", "--max-age", "soon", "--db"])
        .arg(&db)
        .assert()
        .code(2);
}
