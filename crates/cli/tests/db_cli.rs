//! `caulk db` as a user runs it: import a mirror, status as JSON, mirror + verified sync,
//! a tampered mirror keeps the previous data, and an import killed half-way leaves the
//! previous database answering.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
use common::*;

#[track_caller]
fn feeds() -> Option<PathBuf> {
    shared("feeds")
}

/// A small mirror in `dir`: crates.io, KEV and EPSS copied from the shared feeds.
fn small_mirror(feeds: &Path, dir: &Path) {
    for rel in [
        "osv/crates.io/all.zip",
        "kev/known_exploited_vulnerabilities.json",
        "epss/CVE-2023-4911.epss-changepoints.csv",
    ] {
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(feeds.join(rel), &to).expect("copy");
    }
}

fn caulk() -> Command {
    let mut c = Command::cargo_bin("caulk").expect("binary");
    c.env_remove("CAULK_DB");
    c
}

fn status_json(db: &Path) -> Vec<serde_json::Value> {
    let out = caulk()
        .args(["db", "status", "--format", "json", "--db"])
        .arg(db)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut list = serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .expect("json")
        .as_array()
        .expect("array")
        .clone();
    // The age moves with the clock; everything else must be stable.
    for f in &mut list {
        let obj = f.as_object_mut().expect("object");
        assert!(obj.remove("age_seconds").is_some());
        obj.remove("stale");
    }
    list
}

fn feed<'a>(list: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    list.iter()
        .find(|f| f["feed"] == name)
        .unwrap_or_else(|| panic!("{name} in {list:?}"))
}

#[test]
fn import_then_status_json() {
    let Some(feeds) = feeds() else { return };
    let tmp = tempdir();
    let src = tmp.path().join("mirror");
    small_mirror(&feeds, &src);
    let db = tmp.path().join("db/advisories.db");
    caulk()
        .args(["db", "import", "--source"])
        .arg(&src)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    let list = status_json(&db);
    assert_eq!(list.len(), 3);
    let c = feed(&list, "osv/crates.io");
    assert_eq!(c["records"].as_u64(), Some(1206));
    assert_eq!(c["rejected"].as_u64(), Some(0));
    assert_eq!(feed(&list, "kev")["records"].as_u64(), Some(1404));
    assert!(feed(&list, "epss")["records"].is_u64());
    // The table form names every feed.
    let out = caulk()
        .args(["db", "status", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for f in ["osv/crates.io", "kev", "epss"] {
        assert!(text.contains(f), "{text}");
    }
    // It fits the terminal's width (issue 11, item 12), naming what it hid, and shows the
    // data's own date.
    let out = caulk()
        .env("COLUMNS", "64")
        .args(["db", "status", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .all(|l| l.chars().count() <= 64 || l.starts_with("database ")),
        "{text}"
    );
    assert!(
        text.contains("hidden to fit 64 columns: ") && text.contains("2025-08-25"),
        "{text}"
    );
}

#[test]
fn mirror_then_verified_sync_and_a_tampered_file_keeps_old_data() {
    let Some(feeds) = feeds() else { return };
    let tmp = tempdir();
    let src = tmp.path().join("src");
    small_mirror(&feeds, &src);
    let out = tmp.path().join("out");
    caulk()
        .args(["db", "mirror"])
        .arg(&out)
        .arg("--source")
        .arg(&src)
        .assert()
        .success();
    assert!(out.join("caulk-mirror.json").is_file());
    let db = tmp.path().join("advisories.db");
    caulk()
        .args(["db", "sync", "--offline", "--source"])
        .arg(&out)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    let before = status_json(&db);
    assert_eq!(
        feed(&before, "osv/crates.io")["records"].as_u64(),
        Some(1206)
    );

    // Truncate the zip: the manifest check fails, the feed keeps its previous data, the
    // others are updated, the exit status says something went wrong.
    let zip = out.join("osv/crates.io/all.zip");
    let bytes = std::fs::read(&zip).expect("read");
    std::fs::write(&zip, &bytes[..bytes.len() / 2]).expect("truncate");
    let assert = caulk()
        .args(["db", "sync", "--source"])
        .arg(&out)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("osv/crates.io") && stderr.contains("previous data kept"),
        "{stderr}"
    );
    let after = status_json(&db);
    assert_eq!(
        feed(&after, "osv/crates.io")["records"].as_u64(),
        Some(1206)
    );
    assert_eq!(feed(&after, "kev")["records"].as_u64(), Some(1404));

    // Without a manifest, a corrupt zip is caught by the zip reader instead.
    std::fs::remove_file(out.join("caulk-mirror.json")).expect("rm");
    let assert = caulk()
        .args(["db", "import", "--source"])
        .arg(&out)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("not a readable zip"), "{stderr}");
    assert_eq!(
        feed(&status_json(&db), "osv/crates.io")["records"].as_u64(),
        Some(1206)
    );
}

#[test]
fn network_sync_is_refused_offline() {
    let tmp = tempdir();
    caulk()
        .args(["db", "sync", "--offline", "--db"])
        .arg(tmp.path().join("x.db"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--offline"));
}

#[test]
fn killed_import_leaves_the_previous_database_answering() {
    let Some(feeds) = feeds() else { return };
    let tmp = tempdir();
    let small = tmp.path().join("small");
    small_mirror(&feeds, &small);
    let db = tmp.path().join("advisories.db");
    caulk()
        .args(["db", "import", "--source"])
        .arg(&small)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    let before = status_json(&db);

    // Now the whole mirror, killed once the new file is being written.
    let bin = assert_cmd::cargo::cargo_bin("caulk");
    let mut child = std::process::Command::new(bin)
        .args(["db", "import", "--source"])
        .arg(&feeds)
        .arg("--db")
        .arg(&db)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let tmp_db = tmp.path().join("advisories.db.new");
    let start = Instant::now();
    while !tmp_db.exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(tmp_db.exists(), "the import never started writing");
    std::thread::sleep(Duration::from_millis(300));
    let finished = child.try_wait().expect("wait").is_some();
    child.kill().expect("kill");
    child.wait().expect("reap");
    assert!(!finished, "the import finished before it could be killed");

    assert_eq!(
        status_json(&db),
        before,
        "the previous database is unchanged"
    );
    // And the next import cleans up and succeeds.
    caulk()
        .args(["db", "import", "--source"])
        .arg(&small)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    assert!(!tmp_db.exists());
}
