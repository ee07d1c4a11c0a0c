//! Every real inventory in ../shared/data/inventories (and this host's snapshot) parses, with
//! package counts and fields checked against an independent reading of the same file.

#![allow(clippy::unwrap_used)]

mod common;
use caulk_inventory::{Distro, Limits, apk, dpkg, os};
use common::{blocks, field, shared};
use std::collections::BTreeSet;

fn distro(eco: &str, ns: &str) -> Distro {
    Distro {
        ecosystem: eco.into(),
        namespace: ns.into(),
        distro: None,
    }
}

#[test]
fn every_os_release_maps_to_the_right_ecosystem() {
    let Some(dir) = shared("inventories/os-release") else {
        return;
    };
    let expected: &[(&str, Option<&str>)] = &[
        (
            "syft-almalinux_from-os-release.os-release",
            Some("AlmaLinux:8"),
        ),
        ("syft-alpine.os-release", Some("Alpine:v3.11")),
        ("syft-amazon.os-release", Some("Amazon Linux:2")),
        ("syft-arch.os-release", None),
        ("syft-centos.os-release", Some("Red Hat:enterprise_linux:8")),
        ("syft-custom.os-release", Some("Red Hat:enterprise_linux:8")),
        // A distroless os-release has no VERSION_ID: the release comes from debian_version.
        ("syft-debian_from-debian_version.os-release", Some("Debian")),
        ("syft-debian_from-os-release.os-release", Some("Debian:8")),
        (
            "syft-debian_with-point-release.os-release",
            Some("Debian:13"),
        ),
        ("syft-empty.os-release", None),
        ("syft-fedora.os-release", Some("Fedora:36")),
        ("syft-mariner.os-release", Some("Azure Linux:1.0")),
        ("syft-opensuse-leap.os-release", Some("openSUSE:Leap 15.2")),
        ("syft-oraclelinux.os-release", Some("Oracle Linux:8")),
        ("syft-photon.os-release", Some("Photon OS:2.0")),
        (
            "syft-redhat_from-os-release.os-release",
            Some("Red Hat:enterprise_linux:7"),
        ),
        (
            "syft-rockylinux_from-os-release.os-release",
            Some("Rocky Linux:8"),
        ),
        (
            "syft-scientific_from-os-release.os-release",
            Some("Red Hat:enterprise_linux:7"),
        ),
        (
            "syft-sles.os-release",
            Some("SUSE:Linux Enterprise Server 15 SP2"),
        ),
        ("syft-ubuntu.os-release", Some("Ubuntu:20.04:LTS")),
        ("syft-wolfi.os-release", Some("Wolfi")),
    ];
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    assert_eq!(files, names, "every file in the folder has an expectation");
    for (name, want) in expected {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let (rel, issues) = os::parse_os_release(&bytes, name);
        assert!(issues.is_empty(), "{name}: {issues:?}");
        assert_eq!(os::ecosystem_for(&rel).as_deref(), *want, "{name}");
        // Every ecosystem we produce is one the version crate knows, with a scheme.
        if let Some(e) = want {
            let e = caulk_version::Ecosystem::parse(e);
            assert!(e.is_known() && e.scheme().is_some(), "{name}: {e:?}");
        }
    }
}

#[test]
fn bookworm_host_os_release() {
    let Some(p) = shared("debian/bookworm-host/os-release") else {
        return;
    };
    let (rel, _) = os::parse_os_release(&std::fs::read(p).unwrap(), "x");
    assert_eq!(os::ecosystem_for(&rel).as_deref(), Some("Debian:12"));
}

/// (name, version, arch, source name, source version) of installed stanzas, read naively.
fn naive_dpkg(text: &str) -> BTreeSet<(String, String, String, String, String)> {
    let mut out = BTreeSet::new();
    for b in blocks(text) {
        if field(&b, "Status") != Some("install ok installed") {
            continue;
        }
        let name = field(&b, "Package").unwrap().to_string();
        let version = field(&b, "Version").unwrap().to_string();
        let arch = field(&b, "Architecture").unwrap_or("").to_string();
        let (sn, sv) = match field(&b, "Source") {
            None => (name.clone(), version.clone()),
            Some(s) => match s.split_once(" (") {
                Some((n, v)) => (n.to_string(), v.trim_end_matches(')').to_string()),
                None => (s.to_string(), version.clone()),
            },
        };
        out.insert((name, version, arch, sn, sv));
    }
    out
}

#[test]
fn every_dpkg_status_file() {
    let cases = [
        (
            "inventories/debian-10/claircore-postgresql.dpkg-status",
            3,
            0,
        ),
        (
            "inventories/ubuntu-18.04/claircore-texlive.dpkg-status",
            357,
            0,
        ),
        // One `deinstall ok config-files` stanza: reported, not counted.
        ("inventories/ubuntu-18.04/trivy-valid.dpkg-status", 90, 1),
        ("debian/bookworm-host/dpkg-status", 743, 0),
    ];
    for (rel, want, state_issues) in cases {
        let Some(p) = shared(rel) else { return };
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let naive = naive_dpkg(&text);
        // The count, independently: stanzas with an exact installed Status line.
        let counted = blocks(&text)
            .iter()
            .filter(|b| b.contains(&"Status: install ok installed"))
            .count();
        assert_eq!(counted, want, "{rel}: independent count");
        assert_eq!(naive.len(), want, "{rel}: naive set");
        let parsed = dpkg::parse_status(
            &bytes,
            rel,
            &distro("Debian:12", "debian"),
            false,
            &Limits::default(),
        );
        assert_eq!(parsed.packages.len(), want, "{rel}: {:?}", parsed.issues);
        let ours: BTreeSet<_> = parsed
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.arch.clone().unwrap_or_default(),
                    p.source_name.clone().unwrap(),
                    p.source_version.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(ours, naive, "{rel}");
        assert_eq!(
            parsed.issues.len(),
            state_issues,
            "{rel}: {:?}",
            parsed.issues
        );
        assert!(parsed.packages.iter().all(|p| {
            p.purl
                .as_deref()
                .is_some_and(|u| u.starts_with("pkg:deb/debian/"))
        }));
    }
}

#[test]
fn bookworm_sources_that_differ_are_kept() {
    let Some(p) = shared("debian/bookworm-host/dpkg-status") else {
        return;
    };
    let bytes = std::fs::read(&p).unwrap();
    let parsed = dpkg::parse_status(
        &bytes,
        "s",
        &distro("Debian:12", "debian"),
        false,
        &Limits::default(),
    );
    let find = |n: &str| parsed.packages.iter().find(|p| p.name == n).unwrap();
    // libssl3's source is openssl; binNMU'd packages have a source version of their own.
    assert_eq!(find("libssl3").source_name.as_deref(), Some("openssl"));
    let differing = parsed
        .packages
        .iter()
        .filter(|p| p.source_version.as_deref() != Some(p.version.as_str()))
        .count();
    let naive_differing = blocks(&String::from_utf8_lossy(&bytes))
        .iter()
        .filter(|b| field(b, "Source").is_some_and(|s| s.contains(" (")))
        .count();
    assert_eq!(differing, naive_differing);
    assert!(differing > 0);
}

#[test]
fn every_apk_installed_file() {
    for (rel, want, bad) in [
        (
            "inventories/alpine-3.16/syft-multiple-2-apk-installed",
            14,
            0,
        ),
        // 16 `P:` blocks, one of them (`invalidPackageWithoutAVersion`) without `V:`.
        ("inventories/alpine-3.4/trivy-apk-installed", 15, 1),
    ] {
        let Some(p) = shared(rel) else { return };
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let naive: BTreeSet<(String, String, String, String)> = blocks(&text)
            .iter()
            .filter_map(|b| {
                let n = field(b, "P")?.to_string();
                Some((
                    n.clone(),
                    field(b, "V")?.to_string(),
                    field(b, "A").unwrap_or("").to_string(),
                    field(b, "o").map(str::to_string).unwrap_or(n),
                ))
            })
            .collect();
        assert_eq!(naive.len(), want, "{rel}: independent count");
        let parsed = apk::parse_installed(
            &bytes,
            rel,
            &distro("Alpine:v3.16", "alpine"),
            &Limits::default(),
        );
        assert_eq!(parsed.issues.len(), bad, "{rel}: {:?}", parsed.issues);
        assert_eq!(
            blocks(&text)
                .iter()
                .filter(|b| field(b, "P").is_some())
                .count(),
            want + bad
        );
        let ours: BTreeSet<_> = parsed
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.arch.clone().unwrap_or_default(),
                    p.source_name.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(ours, naive, "{rel}");
    }
}
