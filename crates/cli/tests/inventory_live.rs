//! `caulk inventory` of this machine's `/` agrees with dpkg-query.

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use std::collections::BTreeSet;

/// A host without dpkg is a skip, except in CI (CAULK_REQUIRE_ORACLES=1: CI runs on Debian).
fn absent() {
    caulk_testkit::missing("dpkg-query is absent (not a dpkg host)");
}

fn dpkg_query(format: &str) -> Option<Vec<String>> {
    let out = std::process::Command::new("dpkg-query")
        .args(["-W", "-f", format])
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    })
}

fn inventory_of_root() -> serde_json::Value {
    let out = Command::cargo_bin("caulk")
        .unwrap()
        .args(["inventory", "--root", "/"])
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
fn root_inventory_agrees_with_dpkg_query() {
    // dpkg-query also lists packages in other states (config-files, half-installed); the
    // status column lets the comparison keep only installed ones.
    let Some(rows) = dpkg_query("${db:Status-Status}\t${Package} ${Version} ${Architecture}\n")
    else {
        absent();
        return;
    };
    let Some(src_rows) =
        dpkg_query("${db:Status-Status}\t${Package} ${source:Package} ${source:Version}\n")
    else {
        absent();
        return;
    };
    let installed = |rows: Vec<String>| -> BTreeSet<String> {
        rows.into_iter()
            .filter_map(|l| l.strip_prefix("installed\t").map(str::to_string))
            .collect()
    };
    let want = installed(rows);
    let want_src = installed(src_rows);
    assert!(
        want.len() > 10,
        "dpkg-query listed only {} packages",
        want.len()
    );

    let inv = inventory_of_root();
    assert_eq!(inv["format_version"], 1);
    let pkgs = inv["packages"].as_array().unwrap();
    let dpkg: Vec<&serde_json::Value> = pkgs.iter().filter(|p| p["collector"] == "dpkg").collect();
    let got: BTreeSet<String> = dpkg
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["arch"].as_str().unwrap_or("")
            )
        })
        .collect();
    let got_src: BTreeSet<String> = dpkg
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["name"].as_str().unwrap(),
                p["source_name"].as_str().unwrap(),
                p["source_version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(got.len(), dpkg.len(), "duplicate (name, version, arch)");
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
    assert_eq!(got_src, want_src);
    // The OS facts of a Debian host.
    let os = &inv["host"]["os"];
    if os["id"] == "debian" {
        let eco = os["ecosystem"].as_str().unwrap();
        assert!(eco.starts_with("Debian:"), "{eco}");
        assert!(dpkg.iter().all(|p| p["ecosystem"] == eco));
    }
    // The live host has a running kernel.
    assert!(inv["host"]["kernel"]["running"].is_string());
}

#[test]
fn table_and_cyclonedx_formats() {
    let Some(rows) = dpkg_query("${db:Status-Status}\n") else {
        absent();
        return;
    };
    let n = rows.iter().filter(|r| *r == "installed").count();
    let out = Command::cargo_bin("caulk")
        .unwrap()
        .args(["inventory", "--format", "cyclonedx"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    let libs = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["type"] == "library"
                && c["purl"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("pkg:deb/"))
        })
        .count();
    assert_eq!(libs, n);
    // The table counts every package: dpkg's and the language packages the root walk found.
    let all = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .count();
    let out = Command::cargo_bin("caulk")
        .unwrap()
        .args(["inventory", "--format", "table"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("{all} packages")),
        "{}",
        &text[text.len().saturating_sub(300)..]
    );
}
