//! OS facts: os-release (and the older release files) → [`OsInfo`] with the OSV ecosystem
//! string; architecture, hostname, machine-id, kernels, reboot-required.

use crate::{HostAccess, Limits};
use caulk_model::inventory::{Issue, IssueKind, Kernel, OsInfo, RebootRequired};

/// Release files are tiny; anything bigger is not one.
const MAX_RELEASE_FILE: u64 = 64 * 1024;

/// Parsed `KEY=VALUE` pairs of an os-release file, in file order (last one wins on lookup).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    pub fields: Vec<(String, String)>,
}

impl OsRelease {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Parse an os-release file (systemd's `os-release(5)` shell-like syntax). Bad lines become
/// issues naming the line; the rest is kept.
pub fn parse_os_release(text: &[u8], file: &str) -> (OsRelease, Vec<Issue>) {
    let mut out = OsRelease::default();
    let mut issues = Vec::new();
    let text = String::from_utf8_lossy(text);
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        if out.fields.len() >= 256 {
            issues.push(
                Issue::new(
                    file,
                    IssueKind::Limit,
                    "more than 256 assignments; rest ignored",
                )
                .at_line(line_no),
            );
            break;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            issues
                .push(Issue::new(file, IssueKind::BadInput, "expected KEY=VALUE").at_line(line_no));
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            issues.push(
                Issue::new(file, IssueKind::BadInput, format!("bad key {k:?}")).at_line(line_no),
            );
            continue;
        }
        match unquote(v.trim()) {
            Some(v) => out.fields.push((k.to_string(), v)),
            None => issues.push(
                Issue::new(
                    file,
                    IssueKind::BadInput,
                    format!("unterminated quote in {k}"),
                )
                .at_line(line_no),
            ),
        }
    }
    (out, issues)
}

fn unquote(v: &str) -> Option<String> {
    let mut chars = v.chars();
    let Some(q @ ('"' | '\'')) = v.chars().next() else {
        return Some(v.to_string());
    };
    chars.next();
    let mut out = String::new();
    let mut escaped = false;
    for c in chars.by_ref() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' && q == '"' {
            escaped = true;
        } else if c == q {
            return Some(out);
        } else {
            out.push(c);
        }
    }
    None
}

fn major(v: &str) -> &str {
    v.split(['.', ' ', '-']).next().unwrap_or(v)
}

fn major_minor(v: &str) -> String {
    let mut it = v.split('.');
    match (it.next(), it.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}"),
        (Some(a), None) => a.to_string(),
        _ => v.to_string(),
    }
}

const DEBIAN_CODENAMES: &[(&str, &str)] = &[
    ("buzz", "1.1"),
    ("hamm", "2.0"),
    ("slink", "2.1"),
    ("potato", "2.2"),
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4"),
    ("lenny", "5"),
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

const UBUNTU_CODENAMES: &[(&str, &str)] = &[
    ("trusty", "14.04"),
    ("xenial", "16.04"),
    ("bionic", "18.04"),
    ("focal", "20.04"),
    ("jammy", "22.04"),
    ("noble", "24.04"),
    ("resolute", "26.04"),
];

/// Ubuntu LTS releases are the April releases of even years.
fn ubuntu_ecosystem(version_id: &str, version: Option<&str>) -> String {
    let v = major_minor(version_id);
    let lts = version.is_some_and(|x| x.contains("LTS"))
        || v.split_once('.')
            .is_some_and(|(y, m)| m == "04" && y.parse::<u32>().is_ok_and(|y| y % 2 == 0));
    if lts {
        format!("Ubuntu:{v}:LTS")
    } else {
        format!("Ubuntu:{v}")
    }
}

/// `12.4` → `12`; `bookworm/sid` → `12` (testing names its next release); `sid` stays.
fn debian_release(version: &str) -> String {
    let v = version.trim();
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        return major(v).to_string();
    }
    let codename = v.split('/').next().unwrap_or(v);
    DEBIAN_CODENAMES
        .iter()
        .find(|(c, _)| *c == codename)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| codename.to_string())
}

/// Map os-release fields to the OSV ecosystem of the distro's packages. The choices are
/// documented in `docs/inventory-format.md` ("Ecosystems"). `None` for a distro caulk does
/// not map (Arch, Gentoo, …).
pub fn ecosystem_for(os: &OsRelease) -> Option<String> {
    let id = os.get("ID").unwrap_or("").to_ascii_lowercase();
    let vid = os.get("VERSION_ID");
    let version = os.get("VERSION");
    let pretty = os.get("PRETTY_NAME");
    let with = |base: &str, rel: Option<String>| match rel {
        Some(r) if !r.is_empty() => format!("{base}:{r}"),
        _ => base.to_string(),
    };
    let e = match id.as_str() {
        "debian" => with(
            "Debian",
            vid.map(debian_release)
                .or_else(|| os.get("VERSION_CODENAME").map(debian_release)),
        ),
        "ubuntu" => match vid {
            Some(v) => ubuntu_ecosystem(v, version),
            None => match os
                .get("UBUNTU_CODENAME")
                .or(os.get("VERSION_CODENAME"))
                .and_then(|c| UBUNTU_CODENAMES.iter().find(|(n, _)| *n == c))
            {
                Some((_, v)) => ubuntu_ecosystem(v, None),
                None => "Ubuntu".into(),
            },
        },
        "alpine" => match vid {
            // Edge builds carry `_alpha`/`_git` version ids.
            Some(v) if v.contains('_') => "Alpine:edge".into(),
            Some(v) => format!("Alpine:v{}", major_minor(v)),
            None => "Alpine".into(),
        },
        "almalinux" => with("AlmaLinux", vid.map(|v| major(v).to_string())),
        "rocky" => with("Rocky Linux", vid.map(|v| major(v).to_string())),
        // RHEL and its rebuilds are matched against Red Hat's streams. OSV's Red Hat suffix
        // is a CPE tail (`enterprise_linux:9::baseos`); a host draws from several
        // repositories, so we name the product and release and let matching treat
        // `::<repository>` as a sub-stream.
        "rhel" | "centos" | "scientific" => with(
            "Red Hat",
            vid.map(|v| format!("enterprise_linux:{}", major(v))),
        ),
        "ol" => with("Oracle Linux", vid.map(|v| major(v).to_string())),
        "amzn" => with("Amazon Linux", vid.map(|v| major(v).to_string())),
        "fedora" => with("Fedora", vid.map(str::to_string)),
        "opensuse-leap" | "opensuse-tumbleweed" | "opensuse-leap-micro" | "opensuse" => {
            // OSV's openSUSE release is the PRETTY_NAME without the brand.
            with(
                "openSUSE",
                pretty.map(|p| p.trim_start_matches("openSUSE").trim().to_string()),
            )
        }
        "sles" | "sled" | "sles_sap" | "sle-micro" | "suse" => with(
            "SUSE",
            pretty.map(|p| p.trim_start_matches("SUSE").trim().to_string()),
        ),
        "photon" => with("Photon OS", vid.map(major_minor)),
        // CBL-Mariner was renamed Azure Linux with release 3.0; OSV keeps one ecosystem.
        "mariner" | "azurelinux" => with("Azure Linux", vid.map(major_minor)),
        "wolfi" => "Wolfi".into(),
        "chainguard" => "Chainguard".into(),
        "minimos" => "MinimOS".into(),
        "openeuler" => with(
            "openEuler",
            vid.map(|v| {
                // VERSION="22.03 (LTS-SP1)" → 22.03-LTS-SP1
                match version
                    .and_then(|x| x.split_once('('))
                    .map(|(_, r)| r.trim_end_matches(')').trim())
                {
                    Some(r) if !r.is_empty() => format!("{v}-{r}"),
                    _ => v.to_string(),
                }
            }),
        ),
        "mageia" => with("Mageia", vid.map(|v| major(v).to_string())),
        "alpaquita" => with("Alpaquita", vid.map(str::to_string)),
        _ => {
            // Derivatives that say which Ubuntu they are built on (Linux Mint, Pop!_OS).
            let like = os.get("ID_LIKE").unwrap_or("");
            if like.split_whitespace().any(|x| x == "ubuntu") {
                let code = os.get("UBUNTU_CODENAME")?;
                let (_, v) = UBUNTU_CODENAMES.iter().find(|(c, _)| *c == code)?;
                ubuntu_ecosystem(v, None)
            } else {
                return None;
            }
        }
    };
    Some(e)
}

/// Turn a `/etc/redhat-release` line into os-release fields
/// (`Rocky Linux release 9.3 (Blue Onyx)` → ID=rocky, VERSION_ID=9.3).
pub fn parse_redhat_release(text: &str) -> Option<OsRelease> {
    let line = text.lines().next()?.trim();
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?;
    let lname = name.to_ascii_lowercase();
    let id = if lname.starts_with("red hat") {
        "rhel"
    } else if lname.starts_with("centos") {
        "centos"
    } else if lname.starts_with("rocky") {
        "rocky"
    } else if lname.starts_with("almalinux") {
        "almalinux"
    } else if lname.starts_with("fedora") {
        "fedora"
    } else if lname.starts_with("oracle") {
        "ol"
    } else if lname.starts_with("scientific") {
        "scientific"
    } else {
        return None;
    };
    Some(OsRelease {
        fields: vec![
            ("ID".into(), id.into()),
            ("NAME".into(), name.into()),
            ("VERSION_ID".into(), version.into()),
            ("PRETTY_NAME".into(), line.into()),
        ],
    })
}

fn read_text(host: &dyn HostAccess, path: &str, issues: &mut Vec<Issue>) -> Option<String> {
    match host.read(path, MAX_RELEASE_FILE) {
        Ok(Some(b)) => Some(String::from_utf8_lossy(&b).into_owned()),
        Ok(None) => None,
        Err(e) => {
            issues.push(e.to_issue(path));
            None
        }
    }
}

/// Read the OS identity of `host`. Order: `etc/os-release`, `usr/lib/os-release`, then the
/// per-distro files; the per-distro files also fill a missing `VERSION_ID` (distroless
/// Debian images ship an os-release without one).
pub fn detect_os(host: &dyn HostAccess, issues: &mut Vec<Issue>) -> Option<OsInfo> {
    let mut files = Vec::new();
    let mut rel: Option<OsRelease> = None;
    for p in ["/etc/os-release", "/usr/lib/os-release"] {
        if let Some(t) = read_text(host, p, issues) {
            let (r, mut is) = parse_os_release(t.as_bytes(), p);
            issues.append(&mut is);
            files.push(p.to_string());
            if !r.fields.is_empty() {
                rel = Some(r);
                break;
            }
        }
    }
    let id = rel
        .as_ref()
        .and_then(|r| r.get("ID"))
        .map(str::to_ascii_lowercase);
    let needs_version = rel.as_ref().is_none_or(|r| r.get("VERSION_ID").is_none());
    if needs_version
        && matches!(id.as_deref(), None | Some("debian"))
        && let Some(t) = read_text(host, "/etc/debian_version", issues)
    {
        let v = t.trim().to_string();
        if !v.is_empty() {
            files.push("/etc/debian_version".into());
            let r = rel.get_or_insert_with(|| OsRelease {
                fields: vec![("ID".into(), "debian".into())],
            });
            r.fields.push(("VERSION_ID".into(), debian_release(&v)));
        }
    }
    if needs_version
        && matches!(id.as_deref(), None | Some("alpine"))
        && !files.iter().any(|f| f == "/etc/debian_version")
        && let Some(t) = read_text(host, "/etc/alpine-release", issues)
    {
        let v = t.trim().to_string();
        if !v.is_empty() {
            files.push("/etc/alpine-release".into());
            let r = rel.get_or_insert_with(|| OsRelease {
                fields: vec![("ID".into(), "alpine".into())],
            });
            r.fields.push(("VERSION_ID".into(), v));
        }
    }
    if rel.as_ref().is_none_or(|r| r.get("ID").is_none())
        && let Some(t) = read_text(host, "/etc/redhat-release", issues)
    {
        match parse_redhat_release(&t) {
            Some(r) => {
                files.push("/etc/redhat-release".into());
                rel = Some(r);
            }
            None => issues.push(Issue::new(
                "/etc/redhat-release",
                IssueKind::Unsupported,
                format!(
                    "unrecognised release line {:?}",
                    t.lines().next().unwrap_or("")
                ),
            )),
        }
    }
    let rel = rel?;
    Some(os_info(&rel, files))
}

/// Build [`OsInfo`] from parsed fields.
pub fn os_info(rel: &OsRelease, files: Vec<String>) -> OsInfo {
    OsInfo {
        id: rel.get("ID").map(str::to_ascii_lowercase),
        id_like: rel
            .get("ID_LIKE")
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        name: rel.get("NAME").map(str::to_string),
        pretty_name: rel.get("PRETTY_NAME").map(str::to_string),
        version_id: rel.get("VERSION_ID").map(str::to_string),
        version_codename: rel.get("VERSION_CODENAME").map(str::to_string),
        ecosystem: ecosystem_for(rel),
        files,
        ubuntu_pro: None,
    }
}

/// Machine architecture from the ELF header of the root's shell: works on an image without
/// running anything in it. `uname -m` spelling.
pub fn detect_arch(host: &dyn HostAccess) -> Option<String> {
    for p in [
        "/bin/sh",
        "/usr/bin/sh",
        "/bin/busybox",
        "/bin/bash",
        "/usr/bin/env",
    ] {
        if let Ok(Some(h)) = host.read_head(p, 64)
            && let Some(a) = elf_arch(&h)
        {
            return Some(a.to_string());
        }
    }
    None
}

/// `uname -m` name of an ELF file's machine.
pub fn elf_arch(h: &[u8]) -> Option<&'static str> {
    if h.len() < 20 || &h[..4] != b"\x7fELF" {
        return None;
    }
    let class64 = h[4] == 2;
    let le = h[5] == 1;
    let m = if le {
        u16::from_le_bytes([h[18], h[19]])
    } else {
        u16::from_be_bytes([h[18], h[19]])
    };
    Some(match (m, class64, le) {
        (0x3e, _, _) => "x86_64",
        (0x03, _, _) => "i686",
        (0xb7, _, _) => "aarch64",
        (0x28, _, _) => "armv7l",
        (0xf3, true, _) => "riscv64",
        (0x15, true, true) => "ppc64le",
        (0x15, true, false) => "ppc64",
        (0x16, _, _) => "s390x",
        (0x102, _, _) => "loongarch64",
        (0x08, true, _) => "mips64",
        (0x08, false, _) => "mips",
        _ => return None,
    })
}

fn first_line(host: &dyn HostAccess, path: &str, issues: &mut Vec<Issue>) -> Option<String> {
    let t = read_text(host, path, issues)?;
    let l = t.lines().next()?.trim().to_string();
    (!l.is_empty()).then_some(l)
}

pub fn detect_hostname(host: &dyn HostAccess, issues: &mut Vec<Issue>) -> Option<String> {
    if host.is_live()
        && let Some(h) = first_line(host, "/proc/sys/kernel/hostname", issues)
    {
        return Some(h);
    }
    first_line(host, "/etc/hostname", issues)
}

pub fn detect_machine_id(host: &dyn HostAccess, issues: &mut Vec<Issue>) -> Option<String> {
    for p in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
        if let Some(id) = first_line(host, p, issues) {
            if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Some(id.to_ascii_lowercase());
            }
            // systemd images ship `uninitialized` until first boot.
            if id != "uninitialized" {
                issues.push(Issue::new(
                    p,
                    IssueKind::BadInput,
                    "machine-id is not 32 hex digits",
                ));
            }
        }
    }
    None
}

/// Kernel release of the running kernel (live host only) and of kernels in `boot/`.
pub fn detect_kernel(host: &dyn HostAccess, issues: &mut Vec<Issue>) -> Kernel {
    let running = if host.is_live() {
        first_line(host, "/proc/sys/kernel/osrelease", issues)
    } else {
        None
    };
    let mut installed = Vec::new();
    if let Ok(Some(entries)) = host.read_dir("/boot") {
        for (name, _) in entries {
            if let Some(r) = name.strip_prefix("vmlinuz-")
                && !r.is_empty()
                && !r.contains("rescue")
            {
                installed.push(r.to_string());
            }
        }
    }
    Kernel { running, installed }
}

pub use caulk_model::inventory::kernel_cmp;

/// Debian/Ubuntu's flag file, and the RHEL `needs-restarting -r` rule for kernels: the
/// running kernel is not the newest installed one.
pub fn detect_reboot(
    host: &dyn HostAccess,
    kernel: &Kernel,
    issues: &mut Vec<Issue>,
    limits: &Limits,
) -> Option<RebootRequired> {
    let mut reasons = Vec::new();
    let mut packages = Vec::new();
    for p in ["/var/run/reboot-required", "/run/reboot-required"] {
        if host.exists(p) {
            reasons.push(format!("{p} exists"));
            let pk = format!("{p}.pkgs");
            if let Ok(Some(b)) = host.read(&pk, limits.max_text_bytes) {
                packages.extend(
                    String::from_utf8_lossy(&b)
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
            }
            break;
        }
    }
    if let Some(running) = &kernel.running
        && let Some(newest) = kernel.installed.iter().max_by(|a, b| kernel_cmp(a, b))
        && kernel_cmp(newest, running) == std::cmp::Ordering::Greater
    {
        reasons.push(format!(
            "running kernel {running} is older than the newest installed kernel {newest}"
        ));
    }
    let _ = issues;
    packages.sort();
    packages.dedup();
    (!reasons.is_empty()).then_some(RebootRequired { reasons, packages })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemHost;

    fn eco(text: &str) -> Option<String> {
        let (r, issues) = parse_os_release(text.as_bytes(), "x");
        assert!(issues.is_empty(), "{issues:?}");
        ecosystem_for(&r)
    }

    #[test]
    fn quoting_and_comments() {
        let (r, issues) = parse_os_release(
            b"# c\nNAME=\"A \\\"B\\\"\"\nID='x y'\nBAD LINE\nV=plain\nQ=\"open\n",
            "f",
        );
        assert_eq!(r.get("NAME"), Some("A \"B\""));
        assert_eq!(r.get("ID"), Some("x y"));
        assert_eq!(r.get("V"), Some("plain"));
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].line, Some(4));
        assert_eq!(issues[1].line, Some(6));
    }

    #[test]
    fn ecosystem_rules() {
        assert_eq!(
            eco("ID=ubuntu\nVERSION_ID=\"22.04\"").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert_eq!(
            eco("ID=ubuntu\nVERSION_ID=\"23.10\"").as_deref(),
            Some("Ubuntu:23.10")
        );
        assert_eq!(
            eco("ID=alpine\nVERSION_ID=3.19.1").as_deref(),
            Some("Alpine:v3.19")
        );
        assert_eq!(
            eco("ID=alpine\nVERSION_ID=3.20.0_alpha20240329").as_deref(),
            Some("Alpine:edge")
        );
        assert_eq!(
            eco("ID=debian\nVERSION_ID=\"12\"").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            eco("ID=debian\nVERSION_CODENAME=trixie").as_deref(),
            Some("Debian:13")
        );
        assert_eq!(
            eco("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nUBUNTU_CODENAME=jammy").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert_eq!(
            eco("ID=openEuler\nVERSION_ID=\"22.03\"\nVERSION=\"22.03 (LTS-SP1)\"").as_deref(),
            Some("openEuler:22.03-LTS-SP1")
        );
        assert_eq!(
            eco("ID=azurelinux\nVERSION_ID=\"3.0\"").as_deref(),
            Some("Azure Linux:3.0")
        );
        assert_eq!(eco("ID=gentoo"), None);
    }

    #[test]
    fn debian_version_file_fills_in_distroless() {
        let h = MemHost::new()
            .with(
                "/etc/os-release",
                "ID=\"debian\"\nPRETTY_NAME=\"Distroless\"\n",
            )
            .with("/etc/debian_version", "12.5\n");
        let mut issues = vec![];
        let os = detect_os(&h, &mut issues).unwrap();
        assert_eq!(os.ecosystem.as_deref(), Some("Debian:12"));
        assert_eq!(os.files, ["/etc/os-release", "/etc/debian_version"]);
        let h = MemHost::new().with("/etc/debian_version", "trixie/sid\n");
        assert_eq!(
            detect_os(&h, &mut issues).unwrap().ecosystem.as_deref(),
            Some("Debian:13")
        );
        assert!(issues.is_empty());
    }

    #[test]
    fn fallback_files() {
        let mut issues = vec![];
        let h = MemHost::new().with("/usr/lib/os-release", "ID=fedora\nVERSION_ID=39\n");
        assert_eq!(
            detect_os(&h, &mut issues).unwrap().ecosystem.as_deref(),
            Some("Fedora:39")
        );
        let h = MemHost::new().with(
            "/etc/redhat-release",
            "Rocky Linux release 9.3 (Blue Onyx)\n",
        );
        let os = detect_os(&h, &mut issues).unwrap();
        assert_eq!(os.ecosystem.as_deref(), Some("Rocky Linux:9"));
        assert_eq!(os.id.as_deref(), Some("rocky"));
        let h = MemHost::new().with(
            "/etc/redhat-release",
            "CentOS Linux release 7.9.2009 (Core)\n",
        );
        assert_eq!(
            detect_os(&h, &mut issues).unwrap().ecosystem.as_deref(),
            Some("Red Hat:enterprise_linux:7")
        );
        let h = MemHost::new().with("/etc/alpine-release", "3.18.4\n");
        assert_eq!(
            detect_os(&h, &mut issues).unwrap().ecosystem.as_deref(),
            Some("Alpine:v3.18")
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert!(detect_os(&MemHost::new(), &mut issues).is_none());
    }

    #[test]
    fn elf_machines() {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[18] = 0x3e;
        assert_eq!(elf_arch(&h), Some("x86_64"));
        h[18] = 0xb7;
        assert_eq!(elf_arch(&h), Some("aarch64"));
        assert_eq!(elf_arch(b"#!/bin/sh"), None);
    }

    #[test]
    fn kernel_order_and_reboot() {
        assert!(kernel_cmp("6.1.0-21-amd64", "6.1.0-18-amd64").is_gt());
        assert!(kernel_cmp("6.1.0-9-amd64", "6.1.0-18-amd64").is_lt());
        assert!(kernel_cmp("5.14.0-362.8.1.el9_3.x86_64", "5.14.0-70.13.1.el9_0.x86_64").is_gt());
        let k = Kernel {
            running: Some("6.1.0-18-amd64".into()),
            installed: vec!["6.1.0-18-amd64".into(), "6.1.0-21-amd64".into()],
        };
        let h = MemHost::new().with("/var/run/reboot-required", "").with(
            "/var/run/reboot-required.pkgs",
            "linux-image-6.1.0-21-amd64\n",
        );
        let r = detect_reboot(&h, &k, &mut vec![], &Limits::default()).unwrap();
        assert_eq!(r.reasons.len(), 2, "{r:?}");
        assert_eq!(r.packages, ["linux-image-6.1.0-21-amd64"]);
        let k2 = Kernel {
            running: Some("6.1.0-21-amd64".into()),
            installed: k.installed.clone(),
        };
        assert!(detect_reboot(&MemHost::new(), &k2, &mut vec![], &Limits::default()).is_none());
    }
}
