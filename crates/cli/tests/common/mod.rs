//! Helpers shared by the CLI's integration tests: where `../shared/data` is, how missing data
//! or a missing peer tool is treated (a loud skip on a developer machine, a failure in CI
//! where `CAULK_REQUIRE_ORACLES=1`; both rules live in `caulk-testkit`), and temporary
//! directories.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `rel` under the shared data (`../shared/data`, or `$CAULK_SHARED_DATA`), or `None` when it
/// is absent: a loud skip, or a failure in CI.
#[track_caller]
pub fn shared(rel: &str) -> Option<PathBuf> {
    caulk_testkit::data(rel)
}

/// A missing peer tool: skip loudly, or fail in CI.
#[track_caller]
pub fn missing(what: &str) {
    caulk_testkit::missing(format_args!("{what} (peer comparison not run)"));
}

/// A program on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|c| c.is_file())
    })
}

/// A temporary directory removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

/// Every id of one finding of `caulk scan --format json`: its vulnerability id, aliases and
/// advisory ids (peers report any of them).
pub fn finding_ids(f: &Value) -> BTreeSet<String> {
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("array of ids")
            .iter()
            .map(|i| i.as_str().expect("id is a string").to_string())
            .collect()
    };
    let mut ids: BTreeSet<String> = strs(&f["advisory_ids"]).into_iter().collect();
    ids.extend(strs(&f["vulnerability"]["aliases"]));
    ids.insert(
        f["vulnerability"]["id"]
            .as_str()
            .expect("vulnerability id")
            .to_string(),
    );
    ids
}

/// The name of the directory holding `file` (the tests put each lockfile in its own).
pub fn parent_dir_name(file: &str) -> String {
    Path::new(file)
        .parent()
        .and_then(Path::file_name)
        .expect("file in a named directory")
        .to_string_lossy()
        .to_string()
}

/// `caulk scan --path <path> --db <db> --format json --today <today>`: the report, after
/// asserting the command succeeded.
pub fn scan_path_json(path: &Path, db: &Path, today: &str) -> Value {
    let out = assert_cmd::Command::cargo_bin("caulk")
        .expect("binary")
        .env_remove("CAULK_DB")
        .args(["scan", "--path"])
        .arg(path)
        .arg("--db")
        .arg(db)
        .args(["--format", "json", "--today", today])
        .output()
        .expect("run caulk");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// `caulk db import` of a mirror holding `feeds` (OSV ecosystem name, zip file) into
/// `dir/adv.db`, after asserting the command succeeded; the mirror is built in `dir/mirror`.
pub fn import_feeds(dir: &Path, feeds: &[(&str, &Path)]) -> PathBuf {
    let mirror = dir.join("mirror");
    for (eco, zip) in feeds {
        let to = mirror.join("osv").join(eco);
        std::fs::create_dir_all(&to).expect("create the mirror");
        std::fs::copy(zip, to.join("all.zip")).expect("copy a feed into the mirror");
    }
    let db = dir.join("adv.db");
    assert_cmd::Command::cargo_bin("caulk")
        .expect("binary")
        .env_remove("CAULK_DB")
        .args(["db", "import", "--source"])
        .arg(&mirror)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    db
}

/// An OSV `all.zip` of `records` at `path` (member `<id>.json`, deflated, fixed times: the
/// same bytes every run).
pub fn write_zip(path: &Path, records: &[Value]) {
    std::fs::create_dir_all(path.parent().expect("write the zip")).expect("write the zip");
    let f = std::fs::File::create(path).expect("write the zip");
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for r in records {
        let id = r["id"].as_str().expect("a record with an id");
        z.start_file(format!("{id}.json"), opts)
            .expect("write the zip");
        z.write_all(
            serde_json::to_string_pretty(r)
                .expect("write the zip")
                .as_bytes(),
        )
        .expect("write the zip");
    }
    z.finish().expect("write the zip");
}
