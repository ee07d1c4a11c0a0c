//! `caulk inventory --path` and `--sbom`: lockfiles and SBOMs through the binary.

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

fn run(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("caulk")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn path_reads_this_workspace_cargo_lock() {
    let lock = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock");
    let text = std::fs::read_to_string(lock).unwrap();
    // Independent count: registry packages, one `source = "registry+…"` line each.
    let want = text
        .lines()
        .filter(|l| l.starts_with("source = \"registry+"))
        .count();
    let dir = tempfile_dir();
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::copy(lock, dir.join("app/Cargo.lock")).unwrap();
    // Skipped folders are not read.
    std::fs::create_dir_all(dir.join("app/target")).unwrap();
    std::fs::write(dir.join("app/target/Cargo.lock"), "not toml [").unwrap();
    let inv = run(&["inventory", "--path", dir.to_str().unwrap()]);
    let pkgs = inv["packages"].as_array().unwrap();
    assert_eq!(pkgs.len(), want);
    assert!(pkgs.iter().all(|p| p["ecosystem"] == "crates.io"
        && p["collector"] == "lockfile"
        && p["state"] == "declared"
        && p["purl"].as_str().unwrap().starts_with("pkg:cargo/")));
    assert!(
        inv["issues"].as_array().unwrap().is_empty(),
        "{}",
        inv["issues"]
    );
    // No host was read: --path alone does not inventory /.
    assert!(inv["host"].get("os").is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sbom_option_reads_shared_sboms() {
    let Some(f) =
        caulk_testkit::data("inventories/alpine-3.17/osv-scanner-with-duplicates.cdx.xml")
    else {
        return;
    };
    let inv = run(&["inventory", "--sbom", f.to_str().unwrap()]);
    let pkgs = inv["packages"].as_array().unwrap();
    // 16 purls, of which exact duplicates collapse in the inventory.
    let purls: std::collections::BTreeSet<&str> =
        pkgs.iter().map(|p| p["purl"].as_str().unwrap()).collect();
    assert_eq!(purls.len(), pkgs.len());
    assert!(pkgs.len() < 16 && pkgs.len() >= 14, "{}", pkgs.len());
    assert!(pkgs.iter().all(|p| p["ecosystem"] == "Alpine:v3.17"));
    // A named SBOM that is not there is an error, not an empty inventory.
    Command::cargo_bin("caulk")
        .unwrap()
        .args(["inventory", "--sbom", "/nonexistent/bom.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--sbom /nonexistent/bom.json: no such file",
        ));
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("caulk-inv-paths-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
