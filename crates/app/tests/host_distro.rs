//! One os-release rule: the distribution `caulk db sync` selects feeds for is the one
//! `caulk inventory` and `caulk scan` report, for every real os-release file in
//! `../shared/data/inventories/os-release/` (CentOS was `Red Hat:enterprise_linux:8` to the
//! inventory and refused by sync (ID=centos) when each had its own table).

#![allow(clippy::unwrap_used)]

use caulk_inventory::{FsHost, Limits};
use std::path::PathBuf;

fn os_release_dir() -> Option<PathBuf> {
    caulk_testkit::data("inventories/os-release")
}

#[test]
fn sync_and_inventory_agree_on_every_real_os_release() {
    let Some(dir) = os_release_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{} files", files.len());
    let mut known = 0;
    for f in &files {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::copy(f, root.path().join("etc/os-release")).unwrap();
        let inv = caulk_inventory::inventory_host(&FsHost::new(root.path()), &Limits::default());
        let from_inventory = inv.host.os.and_then(|o| o.ecosystem);
        let for_sync = caulk_app::feeds::host_distro(Some(f)).ecosystem;
        assert_eq!(from_inventory, for_sync, "{}", f.display());
        known += usize::from(for_sync.is_some());
    }
    assert!(known >= 15, "only {known} distributions known");
}

#[test]
fn a_centos_host_syncs_red_hat() {
    let Some(dir) = os_release_dir() else { return };
    let d = caulk_app::feeds::host_distro(Some(&dir.join("syft-centos.os-release")));
    assert_eq!(d.ecosystem.as_deref(), Some("Red Hat:enterprise_linux:8"));
    let plan9 = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(plan9.path(), "ID=plan9\n").unwrap();
    let d = caulk_app::feeds::host_distro(Some(plan9.path()));
    assert_eq!(d.ecosystem, None);
    assert!(d.described.ends_with(": ID=plan9"), "{}", d.described);
}

/// An os-release that cannot be read is said to be unreadable, not "not a distribution".
#[test]
fn an_unreadable_os_release_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = caulk_app::feeds::host_distro(Some(&dir.path().join("missing")));
    assert_eq!(d.ecosystem, None);
    let why = d.unreadable.expect("unreadable");
    assert!(
        why.contains("missing") && why.contains("No such file"),
        "{why}"
    );
    let plan9 = dir.path().join("plan9");
    std::fs::write(&plan9, "ID=plan9\n").unwrap();
    assert_eq!(caulk_app::feeds::host_distro(Some(&plan9)).unreadable, None);
}
