//! What several renderers share: product identifiers (purls), links for vulnerability and
//! advisory ids, file URIs, content-derived document ids and number formatting.

use crate::{Format, ReportError};
use caulk_model::finding::{Finding, FindingPackage, ScanReport};
use caulk_model::purl::build as build_purl;
use serde::Serialize;
use uuid::Uuid;

/// Pretty JSON with a trailing newline.
pub(crate) fn to_json<T: Serialize + ?Sized>(
    value: &T,
    format: Format,
) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|source| ReportError::Json { format, source })?;
    s.push('\n');
    Ok(s)
}

/// A name-based UUID (v5) of a document's content, for ids that must be stable across runs
/// (CycloneDX `serialNumber`, OpenVEX `@id`): the same content gives the same id, different
/// content a different one. `kind` separates the formats' namespaces.
pub(crate) fn content_uuid(kind: &str, content: &[u8]) -> Uuid {
    let ns = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:caulk:report");
    let mut name = Vec::with_capacity(kind.len() + 1 + content.len());
    name.extend_from_slice(kind.as_bytes());
    name.push(0);
    name.extend_from_slice(content);
    Uuid::new_v5(&ns, &name)
}

/// The timestamp of a document: the report's `generated_at`, else midnight UTC of `today`
/// (formats that require a timestamp get one without the renderer reading a clock).
pub(crate) fn document_timestamp(report: &ScanReport) -> String {
    match &report.generated_at {
        Some(t) => t.clone(),
        None => format!("{}T00:00:00Z", report.today),
    }
}

/// A score with one decimal (`9.8`, `5.0`), as CVSS scores are written.
pub(crate) fn score1(x: f64) -> String {
    format!("{x:.1}")
}

/// The package URL of a finding's package: the inventory's when it recorded one, else one
/// derived from the ecosystem (see [`derived_purl`]). The flag says which.
pub(crate) fn package_purl(p: &FindingPackage) -> (String, bool) {
    match p.purl.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(purl) => (purl.to_string(), false),
        None => (derived_purl(p), true),
    }
}

/// A package URL built from a finding's package when the inventory did not record one:
/// `deb`/`rpm`/`apk` with `distro` (and `upstream` for a differing source package) for
/// distro ecosystems, the language types (`pypi`, `npm`, `cargo`, `golang`, `maven`, `gem`,
/// `nuget`, `composer`, `pub`, `hex`, `hackage`, `cran`) otherwise, and `pkg:generic` for an
/// ecosystem caulk does not map. Components are percent-encoded as the purl spec requires
/// and qualifiers sorted, so the result is canonical.
pub fn derived_purl(p: &FindingPackage) -> String {
    let (base, release) = match p.ecosystem.split_once(':') {
        Some((b, r)) => (b, Some(r)),
        None => (p.ecosystem.as_str(), None),
    };
    let arch = p.arch.as_deref().unwrap_or("");
    let upstream = p
        .source_name
        .as_deref()
        .filter(|s| *s != p.name)
        .unwrap_or("");
    let distro = |prefix: &str| -> String {
        match release {
            // `Ubuntu:22.04:LTS` → `ubuntu-22.04`; `Alpine:v3.19` → `alpine-3.19`.
            Some(r) => {
                let r = r.split(':').next().unwrap_or(r);
                format!("{prefix}-{}", r.trim_start_matches('v'))
            }
            None => String::new(),
        }
    };
    let name = p.name.as_str();
    let version = Some(p.version.as_str());
    match base {
        "Debian" | "Ubuntu" => {
            let ns = base.to_ascii_lowercase();
            let d = distro(&ns);
            build_purl(
                "deb",
                Some(&ns),
                name,
                version,
                &[("arch", arch), ("distro", &d), ("upstream", upstream)],
            )
        }
        "Alpine" | "Wolfi" | "Chainguard" => {
            let ns = base.to_ascii_lowercase();
            let d = distro(&ns);
            build_purl(
                "apk",
                Some(&ns),
                name,
                version,
                &[("arch", arch), ("distro", &d), ("upstream", upstream)],
            )
        }
        "AlmaLinux" | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" | "Mageia" | "openEuler" => {
            let ns = match base {
                "AlmaLinux" => "almalinux",
                "Rocky Linux" => "rocky",
                "Red Hat" => "redhat",
                "openSUSE" => "opensuse",
                "SUSE" => "suse",
                "Mageia" => "mageia",
                _ => "openeuler",
            };
            let d = distro(ns);
            build_purl(
                "rpm",
                Some(ns),
                name,
                version,
                &[("arch", arch), ("distro", &d), ("upstream", upstream)],
            )
        }
        "PyPI" => {
            // PEP 503 normalisation, as the purl spec asks for pypi names.
            build_purl("pypi", None, &caulk_model::purl::pep503(name), version, &[])
        }
        "npm" => match name.strip_prefix('@').and_then(|s| s.split_once('/')) {
            Some((scope, n)) => build_purl("npm", Some(&format!("@{scope}")), n, version, &[]),
            None => build_purl("npm", None, name, version, &[]),
        },
        "crates.io" => build_purl("cargo", None, name, version, &[]),
        "Go" => match name.rsplit_once('/') {
            Some((ns, n)) => build_purl("golang", Some(ns), n, version, &[]),
            None => build_purl("golang", None, name, version, &[]),
        },
        "Maven" => match name.split_once(':') {
            Some((group, artifact)) => build_purl("maven", Some(group), artifact, version, &[]),
            None => build_purl("maven", None, name, version, &[]),
        },
        "Packagist" => match name.split_once('/') {
            Some((vendor, n)) => build_purl("composer", Some(vendor), n, version, &[]),
            None => build_purl("composer", None, name, version, &[]),
        },
        "RubyGems" => build_purl("gem", None, name, version, &[]),
        "NuGet" => build_purl("nuget", None, name, version, &[]),
        "Pub" => build_purl("pub", None, name, version, &[]),
        "Hex" => build_purl("hex", None, name, version, &[]),
        "Hackage" => build_purl("hackage", None, name, version, &[]),
        "CRAN" => build_purl("cran", None, name, version, &[]),
        _ => build_purl("generic", None, name, version, &[]),
    }
}

/// True for ids of unregistered databases (`x_DEBCHG-…`): no public page exists for them.
pub(crate) fn is_unregistered(id: &str) -> bool {
    id.starts_with("x_") || id.starts_with("X_")
}

/// Who publishes a vulnerability id and where it can be read: NVD for CVEs, GitHub for
/// GHSAs, OSV for the other registered ids; unregistered ids (`x_…`) have no page.
pub(crate) fn id_source(id: &str) -> (&'static str, Option<String>) {
    if id.starts_with("CVE-") {
        (
            "NVD",
            Some(format!("https://nvd.nist.gov/vuln/detail/{id}")),
        )
    } else if id.starts_with("GHSA-") {
        (
            "GitHub Advisories",
            Some(format!("https://github.com/advisories/{id}")),
        )
    } else if is_unregistered(id) {
        ("unregistered (derived by caulk or a third party)", None)
    } else {
        ("OSV", Some(osv_url(id)))
    }
}

/// The osv.dev page of a registered id.
pub(crate) fn osv_url(id: &str) -> String {
    let mut s = String::from("https://osv.dev/vulnerability/");
    uri_encode(id, &mut s, false);
    s
}

/// Percent-encode a string for a URI path: unreserved characters stay, and `/` too when
/// `keep_slash` (sub-delims such as `:`, `+`, `@` are encoded: safe everywhere).
pub(crate) fn uri_encode(s: &str, out: &mut String, keep_slash: bool) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'.' | b'-' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// A file path as a URI: absolute paths become `file:///…` URIs; relative paths stay
/// relative references (`false` in the flag) to be resolved against the scanned directory.
pub(crate) fn file_uri(path: &str) -> (String, bool) {
    let p = path.replace('\\', "/");
    if let Some(rest) = p.strip_prefix('/') {
        let mut s = String::from("file:///");
        uri_encode(rest, &mut s, true);
        (s, true)
    } else {
        let rest = p.strip_prefix("./").unwrap_or(&p);
        let mut s = String::new();
        uri_encode(rest, &mut s, true);
        (s, false)
    }
}

/// "libssl3 3.0.15-1~deb12u1 (Debian:12, source openssl)" — a package as people name it.
pub(crate) fn package_label(p: &FindingPackage) -> String {
    let mut s = format!("{} {} ({}", p.name, p.version, p.ecosystem);
    if let Some(src) = p.source_name.as_deref().filter(|s| *s != p.name) {
        s.push_str(", source ");
        s.push_str(src);
        if let Some(sv) = p.source_version.as_deref().filter(|v| *v != p.version) {
            s.push(' ');
            s.push_str(sv);
        }
    }
    s.push(')');
    s
}

/// The package a remediation upgrades for this finding: the source package for distros.
pub(crate) fn upgrade_name(p: &FindingPackage) -> &str {
    p.source_name.as_deref().unwrap_or(&p.name)
}

/// The exception of a suppressed finding in words: "exception #0: reason (owner: x,
/// expires 2026-12-31)".
pub(crate) fn exception_text(f: &Finding) -> Option<String> {
    let s = f.suppression.as_ref()?;
    let mut t = format!(
        "exception #{} in the configuration: {}",
        s.exception, s.reason
    );
    let mut extra = Vec::new();
    if let Some(o) = &s.owner {
        extra.push(format!("owner: {o}"));
    }
    match &s.expires {
        Some(e) => extra.push(format!("expires: {e}")),
        None => extra.push("expires: never".to_string()),
    }
    t.push_str(&format!(" ({})", extra.join(", ")));
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(eco: &str, name: &str, version: &str) -> FindingPackage {
        FindingPackage {
            name: name.into(),
            version: version.into(),
            ecosystem: eco.into(),
            ..Default::default()
        }
    }

    #[test]
    fn derived_purls() {
        let mut p = pkg("Debian:12", "libssl3", "3.0.15-1~deb12u1");
        p.arch = Some("amd64".into());
        p.source_name = Some("openssl".into());
        assert_eq!(
            derived_purl(&p),
            "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl"
        );
        let p = pkg("Debian:12", "zlib1g", "1:1.2.13.dfsg-1+b1");
        assert_eq!(
            derived_purl(&p),
            "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1%2Bb1?distro=debian-12"
        );
        assert_eq!(
            derived_purl(&pkg("Ubuntu:22.04:LTS", "bash", "5.1-6ubuntu1")),
            "pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=ubuntu-22.04"
        );
        assert_eq!(
            derived_purl(&pkg("Alpine:v3.19", "musl", "1.2.4-r2")),
            "pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.19"
        );
        assert_eq!(
            derived_purl(&pkg("PyPI", "JW_Util", "1.2")),
            "pkg:pypi/jw-util@1.2"
        );
        assert_eq!(
            derived_purl(&pkg("npm", "@babel/core", "7.0.0")),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            derived_purl(&pkg("Go", "github.com/pkg/errors", "v0.9.1")),
            "pkg:golang/github.com/pkg/errors@v0.9.1"
        );
        assert_eq!(
            derived_purl(&pkg(
                "Maven",
                "org.apache.logging.log4j:log4j-core",
                "2.14.1"
            )),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(
            derived_purl(&pkg("SwiftURL", "x y", "1")),
            "pkg:generic/x%20y@1"
        );
    }

    #[test]
    fn file_uris() {
        assert_eq!(
            file_uri("/var/lib/dpkg/status"),
            ("file:///var/lib/dpkg/status".to_string(), true)
        );
        assert_eq!(
            file_uri("./app/requirements dev.txt"),
            ("app/requirements%20dev.txt".to_string(), false)
        );
    }

    #[test]
    fn content_uuids_are_stable_v5() {
        let a = content_uuid("x", b"abc");
        assert_eq!(a, content_uuid("x", b"abc"));
        assert_ne!(a, content_uuid("y", b"abc"));
        assert_ne!(a, content_uuid("x", b"abd"));
        assert_eq!(a.get_version_num(), 5);
    }
}
