//! SBOMs: CycloneDX JSON and XML (1.4–1.7) and SPDX 2.2/2.3 JSON and tag-value.
//!
//! A package is a component (CycloneDX) or package (SPDX) with a purl; the ecosystem comes
//! from the purl type, and for distro packages the release from the purl's `distro=`
//! qualifier or, failing that, the SBOM's operating-system component. The source package
//! comes from the purl's `upstream=` qualifier (deb, apk) or the source RPM (rpm). Entries
//! with a version but no purl cannot be matched: they are reported, not guessed.

use crate::os::{OsRelease, ecosystem_for};
use crate::purl::{self, Purl};
use crate::{Limits, Parsed, rpm};
use caulk_model::inventory::{Collector, InstallState, Issue, IssueKind, Package};
use serde_json::Value;

/// Which SBOM format a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDxJson,
    CycloneDxXml,
    SpdxJson,
    SpdxTagValue,
}

pub fn detect(bytes: &[u8]) -> Option<Format> {
    let b = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = b.iter().position(|c| !c.is_ascii_whitespace())?;
    let head = &b[start..b.len().min(start + 4096)];
    let has = |n: &[u8]| head.windows(n.len()).any(|w| w == n);
    match b[start] {
        b'{' if has(b"\"bomFormat\"") => Some(Format::CycloneDxJson),
        b'{' if has(b"\"spdxVersion\"") => Some(Format::SpdxJson),
        // Key order is free in JSON: look at the whole document as a last resort.
        b'{' => {
            let all = |n: &[u8]| b.windows(n.len()).any(|w| w == n);
            if all(b"\"bomFormat\"") {
                Some(Format::CycloneDxJson)
            } else if all(b"\"spdxVersion\"") {
                Some(Format::SpdxJson)
            } else {
                None
            }
        }
        b'<' if has(b"cyclonedx.org/schema/bom") || has(b"<bom") => Some(Format::CycloneDxXml),
        _ if has(b"SPDXVersion:") => Some(Format::SpdxTagValue),
        _ => None,
    }
}

/// Parse an SBOM of any supported format.
pub fn parse(bytes: &[u8], file: &str, limits: &Limits) -> Parsed {
    match detect(bytes) {
        Some(Format::CycloneDxJson) => parse_cyclonedx_json(bytes, file, limits),
        Some(Format::CycloneDxXml) => parse_cyclonedx_xml(bytes, file, limits),
        Some(Format::SpdxJson) => parse_spdx_json(bytes, file, limits),
        Some(Format::SpdxTagValue) => parse_spdx_tag_value(bytes, file, limits),
        None => Parsed {
            packages: vec![],
            issues: vec![Issue::new(
                file,
                IssueKind::Unsupported,
                "not a CycloneDX or SPDX document",
            )],
        },
    }
}

/// The OS an SBOM describes (`alpine` `3.16.0`), used when purls carry no `distro=`.
#[derive(Debug, Clone, Default)]
struct OsHint {
    id: Option<String>,
    version: Option<String>,
}

/// One entry of the SBOM before it becomes a package.
struct Entry<'a> {
    record: String,
    name: Option<&'a str>,
    version: Option<&'a str>,
    purl: Option<&'a str>,
}

fn purl_ns_to_os_id(ns: &str) -> &str {
    match ns {
        "redhat" => "rhel",
        "amazon" | "amzn" => "amzn",
        "oracle" => "ol",
        other => other,
    }
}

/// OSV ecosystem for a distro purl: `distro=debian-12`, `distro=alpine-3.17.2`,
/// `distro=3.16.0` (trivy: version only), `distro=bookworm`; else the SBOM's OS.
fn distro_ecosystem(p: &Purl, hint: &OsHint) -> Option<String> {
    let ns = p.namespace.as_deref().map(|n| n.to_ascii_lowercase());
    let mut id = ns.as_deref().map(purl_ns_to_os_id).map(str::to_string);
    let mut version = None;
    let mut codename = None;
    match p.qualifier("distro") {
        Some(d) if d.starts_with(|c: char| c.is_ascii_digit()) => version = Some(d.to_string()),
        Some(d) => match d.split_once('-') {
            Some((i, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => {
                id = Some(purl_ns_to_os_id(i).to_string());
                version = Some(v.to_string());
            }
            _ => codename = Some(d.to_string()),
        },
        None => {
            if hint.id.is_some() {
                id = hint.id.clone();
            }
            version = hint.version.clone();
        }
    }
    let mut fields = vec![("ID".to_string(), id?)];
    if let Some(v) = version {
        fields.push(("VERSION_ID".into(), v));
    }
    if let Some(c) = codename {
        fields.push(("VERSION_CODENAME".into(), c.clone()));
        fields.push(("UBUNTU_CODENAME".into(), c));
    }
    ecosystem_for(&OsRelease { fields })
}

/// purl type → OSV ecosystem for language packages.
fn language_ecosystem(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "cargo" => "crates.io",
        "npm" => "npm",
        "pypi" => "PyPI",
        "maven" => "Maven",
        "golang" => "Go",
        "gem" => "RubyGems",
        "composer" => "Packagist",
        "nuget" => "NuGet",
        "pub" => "Pub",
        "hex" => "Hex",
        "swift" => "SwiftURL",
        "cran" => "CRAN",
        "hackage" => "Hackage",
        "bitnami" => "Bitnami",
        "conan" => "ConanCenter",
        "githubactions" | "github" => "GitHub Actions",
        _ => return None,
    })
}

fn to_package(e: &Entry<'_>, file: &str, hint: &OsHint, out: &mut Parsed) {
    let Some(purl_s) = e.purl else {
        if e.version.is_some() {
            out.issues.push(
                Issue::new(
                    file,
                    IssueKind::Unsupported,
                    format!(
                        "{} has no purl: not matchable",
                        e.name.unwrap_or("(unnamed)")
                    ),
                )
                .record(e.record.clone()),
            );
        }
        return;
    };
    let Some(p) = purl::parse(purl_s) else {
        out.issues.push(
            Issue::new(file, IssueKind::BadInput, format!("bad purl {purl_s:?}"))
                .record(e.record.clone()),
        );
        return;
    };
    let (ecosystem, name) = match p.ty.as_str() {
        "deb" | "rpm" | "apk" => {
            let fallback = match p.ty.as_str() {
                "deb" => "Debian",
                "apk" => "Alpine",
                _ => "Red Hat",
            };
            (
                distro_ecosystem(&p, hint).unwrap_or_else(|| fallback.to_string()),
                p.name.clone(),
            )
        }
        ty => {
            let eco = language_ecosystem(ty).map_or_else(|| ty.to_string(), str::to_string);
            let name = match (&p.namespace, ty) {
                (Some(ns), "maven") => format!("{ns}:{}", p.name),
                (Some(ns), _) => format!("{ns}/{}", p.name),
                (None, _) => p.name.clone(),
            };
            (eco, name)
        }
    };
    let mut version = p
        .version
        .clone()
        .or_else(|| e.version.map(str::to_string))
        .unwrap_or_default();
    if p.ty == "rpm"
        && let Some(ep) = p
            .qualifier("epoch")
            .filter(|x| *x != "0" && !version.contains(':'))
    {
        version = format!("{ep}:{version}");
    }
    if version.is_empty() {
        out.issues.push(
            Issue::new(file, IssueKind::BadInput, format!("{name} has no version"))
                .record(e.record.clone()),
        );
        return;
    }
    let (mut source_name, mut source_version) = (None, None);
    match (p.ty.as_str(), p.qualifier("upstream")) {
        ("rpm", Some(u)) => {
            if let Some((n, v, r)) = rpm::split_source_rpm(u) {
                source_name = Some(n.to_string());
                let ep = version.split_once(':').map(|(e, _)| format!("{e}:"));
                source_version = Some(format!("{}{v}-{r}", ep.unwrap_or_default()));
            }
        }
        ("deb" | "apk", Some(u)) => match u.split_once('@') {
            Some((n, v)) => {
                source_name = Some(n.to_string());
                source_version = Some(v.to_string());
            }
            None => source_name = Some(u.to_string()),
        },
        _ => {}
    }
    if matches!(p.ty.as_str(), "deb" | "rpm" | "apk") {
        source_name.get_or_insert_with(|| name.clone());
        source_version.get_or_insert_with(|| version.clone());
    }
    out.packages.push(Package {
        ecosystem,
        name,
        version,
        arch: p.qualifier("arch").map(str::to_string),
        source_name,
        source_version,
        purl: Some(purl_s.to_string()),
        vendor: None,
        file: file.to_string(),
        owned_by: None,
        state: InstallState::Declared,
        collector: Collector::Sbom,
    });
}

fn json_doc(bytes: &[u8], file: &str, out: &mut Parsed) -> Option<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            out.issues.push(
                Issue::new(file, IssueKind::BadInput, format!("JSON: {e}"))
                    .at_line(e.line() as u64),
            );
            None
        }
    }
}

fn limit_issue(file: &str, limits: &Limits) -> Issue {
    Issue::new(
        file,
        IssueKind::Limit,
        format!("more than {} packages; rest ignored", limits.max_records),
    )
}

pub fn parse_cyclonedx_json(bytes: &[u8], file: &str, limits: &Limits) -> Parsed {
    let mut out = Parsed::default();
    let Some(doc) = json_doc(bytes, file, &mut out) else {
        return out;
    };
    // Flatten nested components (bounded depth), remembering JSON pointers for issues.
    let mut flat: Vec<(String, &Value)> = Vec::new();
    let mut stack: Vec<(String, &Value, usize)> = Vec::new();
    if let Some(cs) = doc.get("components").and_then(Value::as_array) {
        for (i, c) in cs.iter().enumerate().rev() {
            stack.push((format!("/components/{i}"), c, 1));
        }
    }
    while let Some((ptr, c, depth)) = stack.pop() {
        if flat.len() >= limits.max_records {
            out.issues.push(limit_issue(file, limits));
            break;
        }
        flat.push((ptr.clone(), c));
        if let Some(sub) = c.get("components").and_then(Value::as_array) {
            if depth >= limits.max_nesting {
                out.issues.push(
                    Issue::new(file, IssueKind::Limit, "components nested too deep").record(ptr),
                );
                continue;
            }
            for (i, s) in sub.iter().enumerate().rev() {
                stack.push((format!("{ptr}/components/{i}"), s, depth + 1));
            }
        }
    }
    let mut hint = OsHint::default();
    for (_, c) in &flat {
        if c.get("type").and_then(Value::as_str) == Some("operating-system") {
            hint.id = c
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            hint.version = c.get("version").and_then(Value::as_str).map(str::to_string);
        }
    }
    for (ptr, c) in flat {
        if c.get("type").and_then(Value::as_str) == Some("operating-system") {
            continue;
        }
        let e = Entry {
            record: c
                .get("bom-ref")
                .and_then(Value::as_str)
                .map_or(ptr, str::to_string),
            name: c.get("name").and_then(Value::as_str),
            version: c.get("version").and_then(Value::as_str),
            purl: c.get("purl").and_then(Value::as_str),
        };
        to_package(&e, file, &hint, &mut out);
    }
    out
}

pub fn parse_spdx_json(bytes: &[u8], file: &str, limits: &Limits) -> Parsed {
    let mut out = Parsed::default();
    let Some(doc) = json_doc(bytes, file, &mut out) else {
        return out;
    };
    let empty = vec![];
    let pkgs = doc
        .get("packages")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let hint = spdx_os_hint(pkgs.iter().map(|p| {
        (
            p.get("name").and_then(Value::as_str),
            p.get("versionInfo").and_then(Value::as_str),
            p.get("primaryPackagePurpose").and_then(Value::as_str),
        )
    }));
    for (i, p) in pkgs.iter().enumerate() {
        if out.limit_hit(limits) {
            out.issues.push(limit_issue(file, limits));
            break;
        }
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .and_then(|refs| {
                refs.iter()
                    .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            })
            .and_then(|r| r.get("referenceLocator"))
            .and_then(Value::as_str);
        let e = Entry {
            record: p
                .get("SPDXID")
                .and_then(Value::as_str)
                .map_or_else(|| format!("/packages/{i}"), str::to_string),
            name: p.get("name").and_then(Value::as_str),
            version: p.get("versionInfo").and_then(Value::as_str),
            purl,
        };
        if purl.is_none() && is_os_entry(e.name, e.version, &hint) {
            continue;
        }
        to_package(&e, file, &hint, &mut out);
    }
    out
}

const OS_IDS: &[&str] = &[
    "alpine",
    "debian",
    "ubuntu",
    "centos",
    "rhel",
    "redhat",
    "rocky",
    "almalinux",
    "fedora",
    "amazon",
    "amzn",
    "ol",
    "oracle",
    "opensuse",
    "sles",
    "photon",
    "mariner",
    "azurelinux",
    "wolfi",
    "chainguard",
];

/// SPDX has no OS type before 2.3's `OPERATING-SYSTEM` purpose; trivy and syft name the OS
/// package after the distro id.
fn spdx_os_hint<'a>(
    pkgs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>, Option<&'a str>)>,
) -> OsHint {
    for (name, version, purpose) in pkgs {
        let Some(n) = name else { continue };
        let n = n.to_ascii_lowercase();
        if purpose == Some("OPERATING-SYSTEM") || OS_IDS.contains(&n.as_str()) {
            return OsHint {
                id: Some(n),
                version: version.map(str::to_string),
            };
        }
    }
    OsHint::default()
}

fn is_os_entry(name: Option<&str>, version: Option<&str>, hint: &OsHint) -> bool {
    name.map(str::to_ascii_lowercase) == hint.id && version.map(str::to_string) == hint.version
}

pub fn parse_spdx_tag_value(bytes: &[u8], file: &str, limits: &Limits) -> Parsed {
    let mut out = Parsed::default();
    let text = String::from_utf8_lossy(bytes);
    // (line, name, version, purl, purpose)
    type TvPackage<'a> = (
        u64,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let mut pkgs: Vec<TvPackage<'_>> = vec![];
    let mut in_text = false;
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        // <text>…</text> values may span lines and contain anything.
        if in_text {
            if line.contains("</text>") {
                in_text = false;
            }
            continue;
        }
        if line.contains("<text>") && !line.contains("</text>") {
            in_text = true;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "PackageName" => {
                if pkgs.len() >= limits.max_records {
                    out.issues.push(limit_issue(file, limits).at_line(n));
                    break;
                }
                pkgs.push((n, Some(v), None, None, None));
            }
            "PackageVersion" => {
                if let Some(p) = pkgs.last_mut() {
                    p.2 = Some(v);
                }
            }
            "PrimaryPackagePurpose" => {
                if let Some(p) = pkgs.last_mut() {
                    p.4 = Some(v);
                }
            }
            "ExternalRef" => {
                let f: Vec<&str> = v.split_whitespace().collect();
                if let (Some(p), ["PACKAGE-MANAGER" | "PACKAGE_MANAGER", "purl", loc]) =
                    (pkgs.last_mut(), &f[..])
                {
                    p.3.get_or_insert(loc);
                }
            }
            _ => {}
        }
    }
    let hint = spdx_os_hint(pkgs.iter().map(|p| (p.1, p.2, p.4)));
    for (line, name, version, purl, _) in pkgs {
        if purl.is_none() && is_os_entry(name, version, &hint) {
            continue;
        }
        let e = Entry {
            record: format!("line {line}"),
            name,
            version,
            purl,
        };
        let before = out.issues.len();
        to_package(&e, file, &hint, &mut out);
        for i in &mut out.issues[before..] {
            i.line = Some(line);
        }
    }
    out
}

pub fn parse_cyclonedx_xml(bytes: &[u8], file: &str, limits: &Limits) -> Parsed {
    use quick_xml::events::Event;
    let mut out = Parsed::default();
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(true);
    // Open elements (local names); components being read: (type, bom-ref, name, version, purl).
    let mut path: Vec<String> = Vec::new();
    type Comp = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut open: Vec<Comp> = Vec::new();
    let mut done: Vec<Comp> = Vec::new();
    let mut buf = Vec::new();
    let mut text = String::new();
    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                out.issues.push(
                    Issue::new(file, IssueKind::BadInput, format!("XML: {e}"))
                        .record(format!("byte {}", reader.buffer_position())),
                );
                break;
            }
        };
        match ev {
            Event::Start(s) => {
                let local = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                if path.len() >= limits.max_nesting {
                    out.issues
                        .push(Issue::new(file, IssueKind::Limit, "XML nested too deep"));
                    break;
                }
                if local == "component" && !path.iter().any(|p| p == "metadata") {
                    let mut ty = String::new();
                    let mut r = String::new();
                    for a in s.attributes().flatten() {
                        let v = a
                            .unescape_value()
                            .map(|v| v.into_owned())
                            .unwrap_or_default();
                        match a.key.local_name().as_ref() {
                            b"type" => ty = v,
                            b"bom-ref" => r = v,
                            _ => {}
                        }
                    }
                    open.push((ty, r, None, None, None));
                }
                path.push(local);
                text.clear();
            }
            Event::End(_) => {
                let n = path.len();
                // A field belongs to the innermost open component when its parent is it.
                if n >= 2
                    && path[n - 2] == "component"
                    && let Some(c) = open.last_mut()
                {
                    let v = Some(std::mem::take(&mut text));
                    match path[n - 1].as_str() {
                        "name" => c.2 = v,
                        "version" => c.3 = v,
                        "purl" => c.4 = v,
                        _ => {}
                    }
                }
                text.clear();
                if let Some(last) = path.pop()
                    && last == "component"
                    && !path.iter().any(|p| p == "metadata")
                    && let Some(c) = open.pop()
                {
                    if done.len() >= limits.max_records {
                        out.issues.push(limit_issue(file, limits));
                        break;
                    }
                    done.push(c);
                }
            }
            Event::Text(t) if text.len() < limits.max_line_bytes => {
                text.push_str(&t.decode().unwrap_or_default());
            }
            Event::CData(t) if text.len() < limits.max_line_bytes => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            // quick-xml hands entity references (`&amp;` in a purl) over separately.
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                let c = match name.as_str() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                match c {
                    Some(c) => text.push(c),
                    None => {
                        text.push('&');
                        text.push_str(&name);
                        text.push(';');
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let mut hint = OsHint::default();
    for c in &done {
        if c.0 == "operating-system" {
            hint.id = c.2.as_deref().map(str::to_ascii_lowercase);
            hint.version = c.3.clone();
        }
    }
    for (i, c) in done.iter().enumerate() {
        if c.0 == "operating-system" {
            continue;
        }
        let e = Entry {
            record: if c.1.is_empty() {
                format!("component {}", i + 1)
            } else {
                c.1.clone()
            },
            name: c.2.as_deref(),
            version: c.3.as_deref(),
            purl: c.4.as_deref(),
        };
        to_package(&e, file, &hint, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distro_from_purls() {
        let h = OsHint::default();
        let eco = |s: &str| distro_ecosystem(&purl::parse(s).unwrap(), &h);
        assert_eq!(
            eco("pkg:deb/debian/a@1?distro=debian-12").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            eco("pkg:deb/debian/a@1?distro=bookworm").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            eco("pkg:deb/ubuntu/a@1?distro=ubuntu-22.04").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert_eq!(
            eco("pkg:deb/ubuntu/a@1?distro=jammy").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert_eq!(
            eco("pkg:apk/alpine/a@1?distro=3.16.0").as_deref(),
            Some("Alpine:v3.16")
        );
        assert_eq!(
            eco("pkg:rpm/centos/a@1-1?distro=centos-7.6.1810").as_deref(),
            Some("Red Hat:enterprise_linux:7")
        );
        assert_eq!(
            eco("pkg:rpm/redhat/a@1-1?distro=rhel-9.3").as_deref(),
            Some("Red Hat:enterprise_linux:9")
        );
    }

    #[test]
    fn upstream_and_garbage() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
            {"type":"library","name":"libc6","version":"2.36-9","purl":"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc%402.36-9"},
            {"type":"library","name":"x","version":"1"},
            {"type":"library","name":"y","purl":"pkg:"},
            {"type":"library","name":"parent","purl":"pkg:npm/parent@1.0.0","components":[
                {"type":"library","purl":"pkg:npm/%40s/child@2.0.0"}]}]}"#;
        let p = parse(doc, "bom.json", &Limits::default());
        assert_eq!(p.packages.len(), 3, "{:?}", p.issues);
        let libc = &p.packages[0];
        assert_eq!(libc.ecosystem, "Debian:12");
        assert_eq!(libc.version, "2.36-9+deb12u4");
        assert_eq!(libc.source_name.as_deref(), Some("glibc"));
        assert_eq!(libc.source_version.as_deref(), Some("2.36-9"));
        assert_eq!(p.packages[2].name, "@s/child");
        assert_eq!(p.issues.len(), 2);
        let p = parse(b"{\"bomFormat\": ", "b", &Limits::default());
        assert_eq!(p.issues.len(), 1);
        assert_eq!(
            parse(b"hello", "b", &Limits::default()).issues[0].kind,
            IssueKind::Unsupported
        );
    }
}
