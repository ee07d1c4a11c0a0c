//! rpm databases made here by Debian's rpm tools: rpmbuild builds small packages, `rpm
//! --initdb` + `rpm -i --justdb` install them into an SQLite rpmdb, `db5.3_load` copies the
//! same headers into a Berkeley DB hash `Packages` file, and `rpm -qa --dbpath` (with the
//! `bdb_ro` backend for the latter) is the oracle for both.

#![allow(clippy::unwrap_used)]

use caulk_inventory::{Distro, FsHost, Limits, rpm};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A missing tool is a skip on a developer machine and a failure in CI.
fn skip(why: &str) {
    caulk_testkit::missing(why);
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const SUBPACKAGES: usize = 40;
const BIG_FILES: usize = 600;

fn spec_big() -> String {
    let mut s = String::from(
        "Name: caulk-fix\nVersion: 1.2.3\nRelease: 4.el9\nEpoch: 1\nSummary: fixture\n\
         License: MIT\nVendor: Caulk Test\nBuildArch: noarch\n%description\nfixture\n",
    );
    for i in 0..SUBPACKAGES {
        s.push_str(&format!(
            "%package -n caulk-fix-sub{i}\nSummary: sub {i}\n%description -n caulk-fix-sub{i}\nsub\n"
        ));
    }
    // Many files make a header larger than a page: SQLite overflow pages, BDB overflow chains.
    s.push_str(&format!(
        "%install\nmkdir -p %{{buildroot}}/usr/share/caulk-fix\n\
         for i in $(seq 1 {BIG_FILES}); do echo $i > %{{buildroot}}/usr/share/caulk-fix/file-with-a-long-name-$i; done\n\
         %files\n/usr/share/caulk-fix\n"
    ));
    for i in 0..SUBPACKAGES {
        s.push_str(&format!("%files -n caulk-fix-sub{i}\n"));
    }
    s
}

const SPEC_PLAIN: &str = "Name: caulk-plain\nVersion: 0.1~rc1\nRelease: 1\nSummary: plain\n\
License: MIT\n%description\nplain\n%files\n";

struct Fixture {
    root: PathBuf,
    sqlite_db: PathBuf,
    bdb_db: Option<PathBuf>,
}

fn fixture() -> Option<&'static Fixture> {
    static F: OnceLock<Option<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        if !have("rpmbuild") || !have("rpm") {
            skip("rpm/rpmbuild absent (apt package rpm)");
            return None;
        }
        // One directory per process: nextest runs each test in a process of its own.
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("caulk-rpm-fixture-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("big.spec"), spec_big()).unwrap();
        std::fs::write(base.join("plain.spec"), SPEC_PLAIN).unwrap();
        let top = base.join("top");
        for spec in ["big.spec", "plain.spec"] {
            run(Command::new("rpmbuild")
                .arg("-bb")
                .arg("--quiet")
                .arg("--define")
                .arg(format!("_topdir {}", top.display()))
                .arg("--define")
                .arg("debug_package %{nil}")
                .arg(base.join(spec)));
        }
        let mut rpms = vec![];
        for d in std::fs::read_dir(top.join("RPMS")).unwrap() {
            for f in std::fs::read_dir(d.unwrap().path()).unwrap() {
                rpms.push(f.unwrap().path());
            }
        }
        assert_eq!(rpms.len(), SUBPACKAGES + 2);
        let root = base.join("root");
        let db = root.join("var/lib/rpm");
        std::fs::create_dir_all(&db).unwrap();
        run(Command::new("rpm").arg("--initdb").arg("--dbpath").arg(&db));
        run(Command::new("rpm")
            .args([
                "-i",
                "--justdb",
                "--nodeps",
                "--noscripts",
                "--notriggers",
                "--ignorearch",
                "--ignoreos",
                "--dbpath",
            ])
            .arg(&db)
            .args(&rpms));
        // Fold the WAL into the main file, as rpm does when it closes cleanly.
        if have("sqlite3") {
            run(Command::new("sqlite3")
                .arg(db.join("rpmdb.sqlite"))
                .arg("PRAGMA wal_checkpoint(TRUNCATE);"));
        }
        let bdb_db = make_bdb(&base, &db.join("rpmdb.sqlite"));
        Some(Fixture {
            root,
            sqlite_db: db,
            bdb_db,
        })
    })
    .as_ref()
}

/// Copy the headers of the SQLite rpmdb into a Berkeley DB hash `Packages` with
/// `db5.3_load`; keys are native-endian header numbers, as rpm writes them.
fn make_bdb(base: &Path, sqlite_path: &Path) -> Option<PathBuf> {
    if !have("db5.3_load") && Command::new("db5.3_load").arg("-V").output().is_err() {
        skip("db5.3_load absent (apt package db5.3-util)");
        return None;
    }
    let bytes = std::fs::read(sqlite_path).unwrap();
    let rows = caulk_inventory::sqlite::rowid_blobs(&bytes, "Packages").unwrap();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut dump =
        String::from("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n");
    for (h, blob) in rows {
        dump.push_str(&format!(
            " {}\n {}\n",
            hex(&(h as u32).to_ne_bytes()),
            hex(&blob)
        ));
    }
    dump.push_str("DATA=END\n");
    let dir = base.join("bdbroot/var/lib/rpm");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(base.join("dump.txt"), dump).unwrap();
    run(Command::new("db5.3_load")
        .arg("-f")
        .arg(base.join("dump.txt"))
        .arg(dir.join("Packages")));
    Some(dir)
}

type Row = (String, String, String, String, String);

/// The oracle: rpm's own listing, as (name, [epoch:]version-release, arch, sourcerpm, vendor).
fn rpm_qa(dbpath: &Path, bdb: bool) -> BTreeSet<Row> {
    let mut cmd = Command::new("rpm");
    if bdb {
        cmd.args(["--define", "_db_backend bdb_ro"]);
    }
    let out = cmd
        .arg("--dbpath")
        .arg(dbpath)
        .args([
            "-qa",
            "--qf",
            "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{VENDOR}\n",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let evr = if f[1] == "(none)" {
                format!("{}-{}", f[2], f[3])
            } else {
                format!("{}:{}-{}", f[1], f[2], f[3])
            };
            let none = |s: &str| {
                if s == "(none)" {
                    String::new()
                } else {
                    s.to_string()
                }
            };
            (f[0].to_string(), evr, none(f[4]), none(f[5]), none(f[6]))
        })
        .collect()
}

fn ours(p: &caulk_inventory::Parsed) -> BTreeSet<Row> {
    p.packages
        .iter()
        .map(|p| {
            let srpm = p
                .purl
                .as_deref()
                .and_then(|u| u.split("upstream=").nth(1))
                .unwrap_or("");
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
                srpm.to_string(),
                p.vendor.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn distro() -> Distro {
    Distro {
        ecosystem: "Rocky Linux:9".into(),
        namespace: "rocky".into(),
        distro: Some("rocky-9.3".into()),
    }
}

#[test]
fn sqlite_rpmdb_agrees_with_rpm_qa() {
    let Some(f) = fixture() else { return };
    let oracle = rpm_qa(&f.sqlite_db, false);
    assert_eq!(oracle.len(), SUBPACKAGES + 2);
    let bytes = std::fs::read(f.sqlite_db.join("rpmdb.sqlite")).unwrap();
    let parsed = rpm::parse_sqlite(&bytes, "rpmdb.sqlite", &distro(), &Limits::default());
    assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
    assert_eq!(ours(&parsed), oracle);
    let big = parsed
        .packages
        .iter()
        .find(|p| p.name == "caulk-fix")
        .unwrap();
    assert_eq!(big.version, "1:1.2.3-4.el9");
    assert_eq!(big.source_name.as_deref(), Some("caulk-fix"));
    assert_eq!(big.source_version.as_deref(), Some("1:1.2.3-4.el9"));
    let sub = parsed
        .packages
        .iter()
        .find(|p| p.name == "caulk-fix-sub7")
        .unwrap();
    assert_eq!(sub.source_name.as_deref(), Some("caulk-fix"));
}

#[test]
fn sqlite_rpmdb_through_the_host_collector() {
    let Some(f) = fixture() else { return };
    let host = FsHost::new(&f.root);
    let parsed = rpm::collect(&host, &distro(), &Limits::default()).unwrap();
    assert_eq!(
        parsed.packages.len(),
        SUBPACKAGES + 2,
        "{:?}",
        parsed.issues
    );
    assert!(
        parsed
            .packages
            .iter()
            .all(|p| p.file == "/var/lib/rpm/rpmdb.sqlite")
    );
}

#[test]
fn berkeley_db_packages_agrees_with_rpm_qa() {
    let Some(f) = fixture() else { return };
    let Some(dir) = &f.bdb_db else { return };
    let oracle = rpm_qa(dir, true);
    assert_eq!(oracle.len(), SUBPACKAGES + 2);
    let bytes = std::fs::read(dir.join("Packages")).unwrap();
    let parsed = rpm::parse_bdb(&bytes, "Packages", &distro(), &Limits::default());
    assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
    assert_eq!(ours(&parsed), oracle);
    // Damaged copies: issues or fewer packages, never a panic.
    for cut in [600, 4096, 4097, bytes.len() / 2, bytes.len() - 1] {
        let _ = rpm::parse_bdb(&bytes[..cut], "Packages", &distro(), &Limits::default());
    }
    let mut flipped = bytes.clone();
    for i in (0..flipped.len()).step_by(97) {
        flipped[i] ^= 0x5a;
    }
    let _ = rpm::parse_bdb(&flipped, "Packages", &distro(), &Limits::default());
}
