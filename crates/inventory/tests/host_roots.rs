//! Whole-host inventories of synthetic roots on disk (images, distroless, broken files).

#![allow(clippy::unwrap_used)]

use caulk_inventory::{FsHost, Limits, inventory_host};
use caulk_model::inventory::{Inventory, IssueKind};
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn distroless_image_with_status_d_and_symlinked_os_release() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "usr/lib/os-release",
        "PRETTY_NAME=\"Distroless\"\nID=debian\n",
    );
    std::fs::create_dir_all(r.join("etc")).unwrap();
    // Absolute target: must resolve inside the root, not to this machine's /usr/lib.
    std::os::unix::fs::symlink("/usr/lib/os-release", r.join("etc/os-release")).unwrap();
    write(r, "etc/debian_version", "12.7\n");
    write(
        r,
        "var/lib/dpkg/status.d/libssl3",
        "Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\nSource: openssl\n",
    );
    write(
        r,
        "var/lib/dpkg/status.d/libssl3.md5sums",
        "abc  usr/lib/x\n",
    );
    write(
        r,
        "var/lib/dpkg/status.d/base",
        "Package: base-files\nVersion: 12.4+deb12u7\nArchitecture: amd64\n",
    );
    write(r, "etc/machine-id", "uninitialized\n");
    write(r, "var/run/reboot-required", "");
    let inv = inventory_host(&FsHost::new(r), &Limits::default());
    let os = inv.host.os.as_ref().unwrap();
    assert_eq!(os.ecosystem.as_deref(), Some("Debian:12"));
    assert_eq!(os.files, ["/etc/os-release", "/etc/debian_version"]);
    let names: Vec<_> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["base-files", "libssl3"]);
    assert_eq!(inv.packages[1].file, "/var/lib/dpkg/status.d/libssl3");
    assert_eq!(
        inv.packages[1].purl.as_deref(),
        Some(
            "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl"
        )
    );
    assert!(inv.issues.is_empty(), "{:?}", inv.issues);
    assert_eq!(inv.host.machine_id, None);
    assert!(inv.host.reboot_required.is_some());
    // Not the live host: no running kernel, no hostname from /proc.
    assert_eq!(inv.host.kernel.running, None);
}

#[test]
fn alpine_root_with_kernel_and_arch() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "etc/alpine-release", "3.19.1\n");
    write(
        r,
        "lib/apk/db/installed",
        "P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\n\
         P:linux-lts\nV:6.6.14-r0\nA:x86_64\no:linux-lts\n\n",
    );
    write(r, "etc/hostname", "box\n");
    write(r, "etc/machine-id", "0123456789abcdef0123456789ABCDEF\n");
    // An ELF header for aarch64 as the shell.
    let mut elf = vec![0u8; 64];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2;
    elf[5] = 1;
    elf[18] = 0xb7;
    std::fs::create_dir_all(r.join("bin")).unwrap();
    std::fs::write(r.join("bin/busybox"), &elf).unwrap();
    std::os::unix::fs::symlink("/bin/busybox", r.join("bin/sh")).unwrap();
    let inv = inventory_host(&FsHost::new(r), &Limits::default());
    assert_eq!(
        inv.host.os.as_ref().unwrap().ecosystem.as_deref(),
        Some("Alpine:v3.19")
    );
    assert_eq!(inv.host.arch.as_deref(), Some("aarch64"));
    assert_eq!(inv.host.hostname.as_deref(), Some("box"));
    assert_eq!(
        inv.host.machine_id.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(inv.host.kernel.installed, ["6.6.14-0-lts"]);
    assert_eq!(inv.packages.len(), 2);
    assert!(inv.packages.iter().all(|p| p.ecosystem == "Alpine:v3.19"));
}

#[test]
fn unknown_distro_and_oversized_files_are_issues() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "var/lib/dpkg/status",
        "Package: a\nStatus: install ok installed\nVersion: 1\n",
    );
    write(r, "lib/apk/db/installed", &"P:x\n".repeat(100));
    let lim = Limits {
        max_db_bytes: 200,
        ..Limits::default()
    };
    let inv = inventory_host(&FsHost::new(r), &lim);
    assert_eq!(inv.packages.len(), 1);
    // Without os-release the ecosystem is the scheme's reference distro, without release.
    assert_eq!(inv.packages[0].ecosystem, "Debian");
    let kinds: Vec<_> = inv
        .issues
        .iter()
        .map(|i| (i.file.as_str(), i.kind))
        .collect();
    assert!(
        kinds.contains(&("/lib/apk/db/installed", IssueKind::Limit)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("/etc/os-release", IssueKind::Unsupported)),
        "{kinds:?}"
    );
}

#[test]
fn json_round_trip_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "etc/os-release",
        "ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\n",
    );
    write(
        r,
        "var/lib/dpkg/status",
        "Package: b\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\n\n\
         Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n\
         Package: c\nStatus: deinstall ok config-files\nVersion: 1\n",
    );
    let inv = inventory_host(&FsHost::new(r), &Limits::default());
    let s1 = serde_json::to_string_pretty(&inv).unwrap();
    let back: Inventory = serde_json::from_str(&s1).unwrap();
    assert_eq!(back, inv);
    let again = inventory_host(&FsHost::new(r), &Limits::default());
    assert_eq!(
        serde_json::to_string_pretty(&again).unwrap(),
        s1,
        "deterministic output"
    );
    assert!(s1.contains("\"format_version\": 1"));
    assert!(s1.contains("\"ecosystem\": \"Ubuntu:22.04:LTS\""));
    assert!(s1.contains("\"kind\": \"package-state\""));
    assert_eq!(inv.packages[0].name, "a");
}
