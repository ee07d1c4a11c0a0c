//! apk: `/lib/apk/db/installed`. One block per package, `K:value` lines, blank line between
//! blocks: `P` name, `V` version, `A` arch, `o` origin (the source package, which Alpine's
//! advisories name). Every block in the file is an installed package.

use crate::{Distro, HostAccess, Limits, Parsed, lines, purl};
use caulk_model::inventory::{Collector, InstallState, Issue, IssueKind, Package};

pub const INSTALLED: &str = "/lib/apk/db/installed";

pub fn collect(host: &dyn HostAccess, distro: &Distro, limits: &Limits) -> Option<Parsed> {
    match host.read(INSTALLED, limits.max_db_bytes) {
        Ok(Some(b)) => Some(parse_installed(&b, INSTALLED, distro, limits)),
        Ok(None) => None,
        Err(e) => Some(Parsed {
            packages: vec![],
            issues: vec![e.to_issue(INSTALLED)],
        }),
    }
}

#[derive(Default)]
struct Block<'a> {
    line: u64,
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
    any: bool,
}

fn finish(b: &Block<'_>, file: &str, distro: &Distro, out: &mut Parsed) {
    if !b.any {
        return;
    }
    let (Some(name), Some(version)) = (b.name, b.version) else {
        out.issues.push(
            Issue::new(file, IssueKind::BadInput, "block without P: or V:")
                .at_line(b.line)
                .record(b.name.unwrap_or("")),
        );
        return;
    };
    let origin = b.origin.unwrap_or(name);
    let purl = purl::build(
        "apk",
        Some(&distro.namespace),
        name,
        Some(version),
        &[
            ("arch", b.arch.unwrap_or("")),
            ("distro", distro.distro.as_deref().unwrap_or("")),
            ("upstream", if origin == name { "" } else { origin }),
        ],
    );
    out.packages.push(Package {
        ecosystem: distro.ecosystem.clone(),
        name: name.to_string(),
        version: version.to_string(),
        arch: b.arch.map(str::to_string),
        source_name: Some(origin.to_string()),
        source_version: Some(version.to_string()),
        purl: Some(purl),
        vendor: None,
        file: file.to_string(),
        owned_by: None,
        state: InstallState::Installed,
        collector: Collector::Apk,
    });
}

pub fn parse_installed(bytes: &[u8], file: &str, distro: &Distro, limits: &Limits) -> Parsed {
    let mut out = Parsed::default();
    let mut b = Block::default();
    for (n, line) in lines(bytes) {
        if line.is_empty() {
            finish(&b, file, distro, &mut out);
            b = Block::default();
            if out.limit_hit(limits) {
                out.issues.push(
                    Issue::new(
                        file,
                        IssueKind::Limit,
                        format!("more than {} packages; rest ignored", limits.max_records),
                    )
                    .at_line(n),
                );
                return out;
            }
            continue;
        }
        if !b.any {
            b.any = true;
            b.line = n;
        }
        if line.len() > limits.max_line_bytes {
            out.issues
                .push(Issue::new(file, IssueKind::Limit, "line too long; skipped").at_line(n));
            continue;
        }
        let (key, val) = match line {
            [k, b':', rest @ ..] => (*k, rest),
            _ => {
                out.issues
                    .push(Issue::new(file, IssueKind::BadInput, "expected K:value").at_line(n));
                continue;
            }
        };
        let slot = match key {
            b'P' => &mut b.name,
            b'V' => &mut b.version,
            b'A' => &mut b.arch,
            b'o' => &mut b.origin,
            _ => continue,
        };
        match std::str::from_utf8(val) {
            Ok(v) if !v.trim().is_empty() => *slot = Some(v.trim()),
            Ok(_) => {}
            Err(_) => out.issues.push(
                Issue::new(
                    file,
                    IssueKind::BadInput,
                    format!("{}: is not UTF-8", key as char),
                )
                .at_line(n),
            ),
        }
    }
    finish(&b, file, distro, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_with_origin() {
        let d = Distro {
            ecosystem: "Alpine:v3.19".into(),
            namespace: "alpine".into(),
            distro: Some("alpine-3.19.1".into()),
        };
        let text = "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\nR:libcrypto.so.3\n\n\
                    P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\nV:1\nA:x86_64\n\nxx\nP:z\nV:2\n";
        let p = parse_installed(text.as_bytes(), INSTALLED, &d, &Limits::default());
        assert_eq!(p.packages.len(), 3, "{:?}", p.issues);
        assert_eq!(p.packages[0].source_name.as_deref(), Some("openssl"));
        assert_eq!(
            p.packages[0].purl.as_deref(),
            Some(
                "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl"
            )
        );
        assert_eq!(p.packages[1].source_name.as_deref(), Some("musl"));
        assert_eq!(p.packages[2].name, "z");
        assert_eq!(p.issues.len(), 2, "{:?}", p.issues);
        assert_eq!(p.issues[0].line, Some(13));
        assert_eq!(p.issues[1].line, Some(16));
    }
}
