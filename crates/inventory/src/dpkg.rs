//! dpkg: `/var/lib/dpkg/status` and distroless `/var/lib/dpkg/status.d/*`.
//!
//! Only stanzas whose `Status:` says `installed` become packages. Every other state with
//! something on disk (half-installed, unpacked, half-configured, triggers-*, config-files) is
//! reported as an [`IssueKind::PackageState`] issue naming the package: not counted, not
//! hidden. The source package comes from `Source: name (version)`; without it the binary is
//! its own source.

use crate::deb822::{self, LineKind, LineNumbers};
use crate::{Distro, HostAccess, Limits, Parsed, purl};
use caulk_model::inventory::{Collector, InstallState, Issue, IssueKind, Package};

pub const STATUS: &str = "/var/lib/dpkg/status";
pub const STATUS_D: &str = "/var/lib/dpkg/status.d";

/// Read the dpkg database of `host`; `None` when it has none.
pub fn collect(host: &dyn HostAccess, distro: &Distro, limits: &Limits) -> Option<Parsed> {
    let mut out = Parsed::default();
    let mut found = false;
    match host.read(STATUS, limits.max_db_bytes) {
        Ok(Some(b)) => {
            found = true;
            let p = parse_status(&b, STATUS, distro, false, limits);
            out.packages.extend(p.packages);
            out.issues.extend(p.issues);
        }
        Ok(None) => {}
        Err(e) => {
            found = true;
            out.issues.push(e.to_issue(STATUS));
        }
    }
    match host.read_dir(STATUS_D) {
        Ok(Some(entries)) => {
            found = true;
            for (name, _) in entries {
                // Distroless keeps `<pkg>.md5sums` beside each stanza file.
                if name.ends_with(".md5sums") || name.starts_with('.') {
                    continue;
                }
                if out.limit_hit(limits) {
                    out.issues.push(Issue::new(
                        STATUS_D,
                        IssueKind::Limit,
                        format!("more than {} packages; rest ignored", limits.max_records),
                    ));
                    break;
                }
                let path = format!("{STATUS_D}/{name}");
                match host.read(&path, limits.max_text_bytes) {
                    Ok(Some(b)) => {
                        let p = parse_status(&b, &path, distro, true, limits);
                        out.packages.extend(p.packages);
                        out.issues.extend(p.issues);
                    }
                    Ok(None) => {}
                    Err(e) => out.issues.push(e.to_issue(&path)),
                }
            }
        }
        Ok(None) => {}
        Err(e) => {
            found = true;
            out.issues.push(e.to_issue(STATUS_D));
        }
    }
    found.then_some(out)
}

#[derive(Default)]
struct Stanza<'a> {
    /// Where its first line starts.
    start: usize,
    package: Option<&'a [u8]>,
    status: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    arch: Option<&'a [u8]>,
    source: Option<&'a [u8]>,
    any: bool,
}

fn text<'a>(
    v: Option<&'a [u8]>,
    field: &str,
    st: &Stanza<'_>,
    file: &str,
    issues: &mut Vec<Issue>,
    lines: &mut LineNumbers<'_>,
) -> Option<&'a str> {
    let v = v?;
    match std::str::from_utf8(v) {
        Ok(s) if !s.is_empty() => Some(s),
        Ok(_) => None,
        Err(_) => {
            issues.push(
                Issue::new(file, IssueKind::BadInput, format!("{field} is not UTF-8"))
                    .at_line(lines.at(st.start)),
            );
            None
        }
    }
}

fn finish(
    st: &Stanza<'_>,
    file: &str,
    distro: &Distro,
    status_optional: bool,
    out: &mut Parsed,
    lines: &mut LineNumbers<'_>,
) {
    if !st.any {
        return;
    }
    let issues = &mut out.issues;
    let Some(name) = text(st.package, "Package", st, file, issues, lines) else {
        issues.push(
            Issue::new(file, IssueKind::BadInput, "stanza without Package")
                .at_line(lines.at(st.start)),
        );
        return;
    };
    if name.contains(char::is_whitespace) {
        issues.push(
            Issue::new(file, IssueKind::BadInput, "Package contains whitespace")
                .at_line(lines.at(st.start))
                .record(name),
        );
        return;
    }
    let status = text(st.status, "Status", st, file, issues, lines);
    let version = text(st.version, "Version", st, file, issues, lines);
    let state = match status {
        Some(s) => {
            let w: Vec<&str> = s.split_ascii_whitespace().collect();
            let [_want, eflag, state] = w[..] else {
                issues.push(
                    Issue::new(file, IssueKind::BadInput, format!("bad Status {s:?}"))
                        .at_line(lines.at(st.start))
                        .record(name),
                );
                return;
            };
            if eflag != "ok" {
                issues.push(
                    Issue::new(
                        file,
                        IssueKind::PackageState,
                        format!("{name} has error flag {eflag} (needs reinstallation)"),
                    )
                    .at_line(lines.at(st.start))
                    .record(name),
                );
            }
            state
        }
        None if status_optional => "installed",
        None => {
            issues.push(
                Issue::new(file, IssueKind::BadInput, "stanza without Status")
                    .at_line(lines.at(st.start))
                    .record(name),
            );
            return;
        }
    };
    match state {
        "installed" => {}
        // Nothing of it is on disk: not worth a word.
        "not-installed" => return,
        "config-files" | "half-installed" | "unpacked" | "half-configured" | "triggers-awaited"
        | "triggers-pending" => {
            issues.push(
                Issue::new(
                    file,
                    IssueKind::PackageState,
                    format!(
                        "{name} {} is {state}: not counted as installed",
                        version.unwrap_or("(no version)")
                    ),
                )
                .at_line(lines.at(st.start))
                .record(name),
            );
            return;
        }
        other => {
            issues.push(
                Issue::new(
                    file,
                    IssueKind::BadInput,
                    format!("unknown package state {other:?}"),
                )
                .at_line(lines.at(st.start))
                .record(name),
            );
            return;
        }
    }
    let Some(version) = version else {
        issues.push(
            Issue::new(
                file,
                IssueKind::BadInput,
                "installed package without Version",
            )
            .at_line(lines.at(st.start))
            .record(name),
        );
        return;
    };
    let arch = text(st.arch, "Architecture", st, file, issues, lines);
    let source = text(st.source, "Source", st, file, issues, lines);
    let (src_name, src_version) = deb822::source_of(source, name, version);
    let upstream = if src_name == name && src_version == version {
        String::new()
    } else if src_version == version {
        src_name.to_string()
    } else {
        format!("{src_name}@{src_version}")
    };
    let purl = purl::build(
        "deb",
        Some(&distro.namespace),
        name,
        Some(version),
        &[
            ("arch", arch.unwrap_or("")),
            ("distro", distro.distro.as_deref().unwrap_or("")),
            ("upstream", &upstream),
        ],
    );
    out.packages.push(Package {
        ecosystem: distro.ecosystem.clone(),
        name: name.to_string(),
        version: version.to_string(),
        arch: arch.map(str::to_string),
        source_name: Some(src_name.to_string()),
        source_version: Some(src_version.to_string()),
        purl: Some(purl),
        vendor: None,
        file: file.to_string(),
        owned_by: None,
        state: InstallState::Installed,
        collector: Collector::Dpkg,
    });
}

/// Parse a dpkg status file (deb822 stanzas). `status_optional`: a stanza without `Status`
/// counts as installed (distroless `status.d` files have none).
pub fn parse_status(
    bytes: &[u8],
    file: &str,
    distro: &Distro,
    status_optional: bool,
    limits: &Limits,
) -> Parsed {
    let mut out = Parsed::default();
    // Lines are counted only for the issues that name one.
    let mut lines = LineNumbers::new(bytes);
    for p in deb822::paragraphs(bytes).max_line(limits.max_line_bytes) {
        let mut st = Stanza::default();
        for line in p.lines() {
            if line.kind == LineKind::TooLong {
                out.issues.push(
                    Issue::new(
                        file,
                        IssueKind::Limit,
                        format!("line longer than {} bytes skipped", limits.max_line_bytes),
                    )
                    .at_line(lines.at(line.offset)),
                );
                continue;
            }
            if !st.any {
                st.start = line.offset;
                st.any = true;
            }
            let (key, val) = match line.kind {
                LineKind::Field { name, value } => (name, value),
                LineKind::Malformed => {
                    out.issues.push(
                        Issue::new(file, IssueKind::BadInput, "expected Field: value")
                            .at_line(lines.at(line.offset)),
                    );
                    continue;
                }
                // Continuation of a multi-line field, or a comment.
                _ => continue,
            };
            let slot = match key.len() {
                6 if key.eq_ignore_ascii_case(b"Status") => &mut st.status,
                6 if key.eq_ignore_ascii_case(b"Source") => &mut st.source,
                7 if key.eq_ignore_ascii_case(b"Package") => &mut st.package,
                7 if key.eq_ignore_ascii_case(b"Version") => &mut st.version,
                12 if key.eq_ignore_ascii_case(b"Architecture") => &mut st.arch,
                _ => continue,
            };
            *slot = Some(val);
        }
        finish(&st, file, distro, status_optional, &mut out, &mut lines);
        if let Some(end) = p.closed_at()
            && out.limit_hit(limits)
        {
            out.issues.push(
                Issue::new(
                    file,
                    IssueKind::Limit,
                    format!("more than {} packages; rest ignored", limits.max_records),
                )
                .at_line(lines.at(end)),
            );
            return out;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deb12() -> Distro {
        Distro {
            ecosystem: "Debian:12".into(),
            namespace: "debian".into(),
            distro: Some("debian-12".into()),
        }
    }

    const SAMPLE: &str = "\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit
 This package is part of the OpenSSL project.
 .
 More text: with colons

Package: bsdutils
Status: install ok installed
Architecture: amd64
Source: util-linux (2.38.1-5)
Version: 1:2.38.1-5+b1

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: broken
Status: install reinstreq half-installed
Version: 2.0

Package: gone
Status: purge ok not-installed

Package: held
Status: hold ok installed
Architecture: all
Version: 5
";

    #[test]
    fn installed_only_with_source_and_states_reported() {
        let p = parse_status(
            SAMPLE.as_bytes(),
            STATUS,
            &deb12(),
            false,
            &Limits::default(),
        );
        let names: Vec<_> = p.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libssl3", "bsdutils", "held"]);
        let ssl = &p.packages[0];
        assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
        assert_eq!(ssl.source_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(
            ssl.purl.as_deref(),
            Some(
                "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
            )
        );
        let bsd = &p.packages[1];
        assert_eq!(bsd.version, "1:2.38.1-5+b1");
        assert_eq!(bsd.source_name.as_deref(), Some("util-linux"));
        assert_eq!(bsd.source_version.as_deref(), Some("2.38.1-5"));
        let held = &p.packages[2];
        assert_eq!(held.source_name.as_deref(), Some("held"));
        assert_eq!(held.source_version.as_deref(), Some("5"));
        // config-files, half-installed, reinstreq: three issues, none for not-installed.
        let reasons: Vec<_> = p.issues.iter().map(|i| i.reason.as_str()).collect();
        assert_eq!(p.issues.len(), 3, "{reasons:?}");
        assert!(p.issues.iter().all(|i| i.kind == IssueKind::PackageState));
        assert_eq!(p.issues[0].line, Some(19));
        assert!(reasons[0].contains("oldpkg 1.0 is config-files"));
    }

    #[test]
    fn bad_stanzas_are_issues_and_the_run_goes_on() {
        let text = "Package: a\nVersion: 1\n\nStatus: install ok installed\nVersion: 1\n\n\
                    nonsense line\nPackage: b\nStatus: install ok installed\nVersion: 2\n\n\
                    Package: c\nStatus: weird\nVersion: 3\n";
        let p = parse_status(text.as_bytes(), STATUS, &deb12(), false, &Limits::default());
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].name, "b");
        assert_eq!(p.issues.len(), 4, "{:?}", p.issues);
        // status.d style: no Status means installed.
        let p = parse_status(
            b"Package: a\nVersion: 1\n",
            "/x",
            &deb12(),
            true,
            &Limits::default(),
        );
        assert_eq!(p.packages.len(), 1);
    }

    #[test]
    fn crlf_and_limits() {
        let text = "Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n\r\n\
                    Package: b\r\nStatus: install ok installed\r\nVersion: 2\r\n";
        let lim = Limits {
            max_records: 1,
            ..Limits::default()
        };
        let p = parse_status(text.as_bytes(), STATUS, &deb12(), false, &lim);
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].version, "1");
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].kind, IssueKind::Limit);
    }
}
