//! Every SBOM in ../shared/data/inventories parses; the package count is checked against an
//! independent count of purls in the document.

#![allow(clippy::unwrap_used)]

mod common;
use caulk_inventory::{Limits, sbom};
use caulk_model::inventory::IssueKind;
use common::shared;
use serde_json::Value;

fn count_cdx_json(v: &Value) -> usize {
    v.get("components")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| usize::from(c.get("purl").is_some()) + count_cdx_json(c))
                .sum()
        })
        .unwrap_or(0)
}

fn count_spdx_json(v: &Value) -> usize {
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p.get("externalRefs")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|r| r["referenceType"] == "purl"))
        })
        .count()
}

fn independent_count(name: &str, text: &str) -> usize {
    if name.ends_with(".xml") {
        let body = text.split("</metadata>").last().unwrap();
        body.matches("<purl>").count()
    } else if name.ends_with(".json") {
        let v: Value = serde_json::from_str(text).unwrap();
        if v.get("bomFormat").is_some() {
            count_cdx_json(&v)
        } else {
            count_spdx_json(&v)
        }
    } else {
        text.lines()
            .filter(|l| l.starts_with("ExternalRef: PACKAGE-MANAGER purl "))
            .count()
    }
}

#[test]
fn every_sbom_parses_with_independent_counts() {
    // (file, packages, a package we check: (name, ecosystem, version, source name))
    type Probe = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    );
    let cases: &[(&str, usize, Option<Probe>)] = &[
        (
            "inventories/alpine-3.10/syft-alpine-3.10.syft.spdx.json",
            3,
            Some(("ssl_client", "Alpine:v3.10", "1.30.1-r5", Some("busybox"))),
        ),
        (
            "inventories/alpine-3.10/syft-alpine-3.10.vendor.spdx.json",
            0,
            None,
        ),
        (
            "inventories/alpine-3.17/osv-scanner-alpine.cdx.xml",
            14,
            Some((
                "alpine-baselayout-data",
                "Alpine:v3.17",
                "3.4.0-r0",
                Some("alpine-baselayout"),
            )),
        ),
        (
            "inventories/alpine-3.17/osv-scanner-with-duplicates.cdx.xml",
            16,
            None,
        ),
        (
            "inventories/centos-7/trivy-centos-7-cyclonedx.json",
            2,
            Some((
                "openssl-libs",
                "Red Hat:enterprise_linux:7",
                "1:1.0.2k-16.el7",
                Some("openssl-libs"),
            )),
        ),
        ("inventories/centos-7/trivy-centos-7-spdx.json", 2, None),
        ("inventories/centos-7/trivy-centos-7-spdx.txt", 2, None),
        ("inventories/sbom-misc/syft-tag-value.spdx", 4, None),
        (
            "inventories/sbom-misc/trivy-bitnami-elasticsearch.spdx.json",
            5,
            Some(("co.elastic.apm:apm-agent", "Maven", "1.36.0", None)),
        ),
        (
            "inventories/sbom-misc/trivy-bitnami-postgresql.spdx.json",
            4,
            None,
        ),
        (
            "inventories/sbom-misc/trivy-cyclonedx-happy-bom.json",
            7,
            Some(("musl", "Alpine:v3.16", "1.2.3-r0", Some("musl"))),
        ),
        (
            "inventories/sbom-misc/trivy-spdx-happy-bom.json",
            6,
            Some((
                "github.com/package-url/packageurl-go",
                "Go",
                "v0.1.1-0.20220203205134-d70459300c8a",
                None,
            )),
        ),
    ];
    for (rel, want, probe) in cases {
        let Some(p) = shared(rel) else { return };
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(
            independent_count(rel, &text),
            *want,
            "{rel}: independent count"
        );
        let parsed = sbom::parse(&bytes, rel, &Limits::default());
        assert_eq!(parsed.packages.len(), *want, "{rel}: {:?}", parsed.issues);
        assert!(
            parsed
                .issues
                .iter()
                .all(|i| i.kind == IssueKind::Unsupported),
            "{rel}: {:?}",
            parsed.issues
        );
        if let Some((name, eco, version, src)) = probe {
            let pk = parsed
                .packages
                .iter()
                .find(|p| p.name == *name)
                .unwrap_or_else(|| panic!("{rel}: no {name}"));
            assert_eq!(pk.ecosystem, *eco, "{rel}");
            assert_eq!(pk.version, *version, "{rel}");
            assert_eq!(pk.source_name.as_deref(), *src, "{rel}");
        }
    }
}

#[test]
fn sbom_without_purls_reports_each_versioned_entry() {
    let Some(p) = shared("inventories/alpine-3.10/syft-alpine-3.10.vendor.spdx.json") else {
        return;
    };
    let parsed = sbom::parse(&std::fs::read(p).unwrap(), "x", &Limits::default());
    // busybox and ssl_client have versions but no purl; `alpine 3.10` is the OS itself.
    assert_eq!(parsed.issues.len(), 2, "{:?}", parsed.issues);
}
