//! The agent's spool against a real `caulk server` killed with SIGKILL in a burst of
//! check-ins (issue 12's "Prove it"): every report an agent was told was stored is in the
//! database after the restart, and the reports the agents could not deliver arrive from their
//! spools on their next run, in the order they were observed. Also: a report the server calls
//! bad is set aside in `spool/rejected/`, not retried.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

mod fleet;

use fleet::*;

/// An agent: its root and its state directory.
struct Host {
    name: String,
    root: PathBuf,
    state: PathBuf,
}

/// A root from the shared data: the package database `db` at `db_at`, the os-release.
fn make_root(root: &Path, db: &Path, db_at: &str, os_release: &Path) {
    let at = root.join(db_at);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy(db, at).unwrap();
    std::fs::copy(os_release, root.join("etc/os-release")).unwrap();
}

/// Each round of the burst installs another version of one Python package, so every round
/// has an inventory of its own.
fn set_round(root: &Path, round: u32) {
    let site = root.join("usr/local/lib/python3.11/site-packages");
    let _ = std::fs::remove_dir_all(&site);
    let dist = site.join(format!("caulk_burst-0.{round}.dist-info"));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("METADATA"),
        format!("Metadata-Version: 2.1\nName: caulk-burst\nVersion: 0.{round}\n"),
    )
    .unwrap();
}

fn run_agent(url: &str, host: &Host, token: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caulk"));
    cmd.args(["agent", "--once", "--hostname", &host.name, "--server", url])
        .arg("--root")
        .arg(&host.root)
        .arg("--state-dir")
        .arg(&host.state)
        .env_remove("CAULK_ENROLL_TOKEN")
        .env("HOME", host.state.parent().unwrap())
        .env(
            "CAULK_CACHE_DIR",
            host.state.parent().unwrap().join("cache"),
        );
    if let Some(t) = token {
        cmd.args(["--enroll-token", t]);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The 64 hex digits after `hash ` in `line`.
fn hash_in(line: &str) -> String {
    let at = line
        .find("hash ")
        .unwrap_or_else(|| panic!("no hash: {line}"))
        + 5;
    line[at..at + 64].to_string()
}

/// What one `--once` run said about its own report.
#[derive(Debug, Clone, PartialEq)]
enum Fate {
    /// Acknowledged by the server (stored, or it had it).
    Acked {
        hash: String,
        packages: usize,
    },
    Spooled {
        hash: String,
    },
}

/// This run's fate and the spooled reports it delivered (hashes, oldest first).
fn fate(out: &Output) -> (Fate, Vec<String>) {
    let err = stderr(out);
    let mut delivered = Vec::new();
    let mut fate = None;
    for line in err.lines() {
        if line.contains("spooled report delivered") {
            delivered.push(hash_in(line));
        } else if line.contains("inventory sent (") {
            let packages = line
                .split("inventory sent (")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap();
            assert!(out.status.success(), "{err}");
            fate = Some(Fate::Acked {
                hash: hash_in(line),
                packages,
            });
        } else if line.contains("inventory unchanged") {
            assert!(out.status.success(), "{err}");
            fate = Some(Fate::Acked {
                hash: hash_in(line),
                packages: usize::MAX,
            });
        } else if line.contains("report not delivered") {
            assert_eq!(out.status.code(), Some(2), "{err}");
            fate = Some(Fate::Spooled {
                hash: hash_in(line),
            });
        }
    }
    (
        fate.unwrap_or_else(|| panic!("no outcome in: {err}")),
        delivered,
    )
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The hashes of a host's inventory history, oldest first, read from the database file.
fn history_hashes(dir: &Path, host: i64) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        dir.join("caulk.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = db
        .prepare("SELECT hash FROM inventory_event WHERE host_id = ?1 ORDER BY id")
        .unwrap();
    st.query_map([host], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|h| hex(&h.unwrap()))
        .collect()
}

fn spool_entries(state: &Path) -> Vec<String> {
    match std::fs::read_dir(state.join("spool")) {
        Ok(rd) => {
            let mut v: Vec<String> = rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect();
            v.sort();
            v
        }
        Err(_) => Vec::new(),
    }
}

fn enrolment_token(server: &Server, max_uses: u32) -> String {
    let body = format!(r#"{{"max_uses": {max_uses}, "expires_in": "1h"}}"#);
    let (status, json) = server.request(
        "POST",
        "/api/v1/enrollment-tokens",
        Some(BOOTSTRAP),
        Some(&body),
    );
    assert_eq!(status, 201, "{json}");
    json["token"].as_str().unwrap().to_string()
}

#[test]
fn a_server_killed_in_a_burst_loses_no_acknowledged_report_and_spools_deliver_the_rest_in_order() {
    const ROUNDS: u32 = 6;
    let data = |rel: &str| caulk_testkit::data(rel);
    let Some(bookworm) = data("debian/bookworm-host") else {
        return;
    };
    let Some(inv) = data("inventories") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    // (name, package database, where it goes, os-release): a Debian 12 host, a Debian 10
    // and an Ubuntu dpkg status, two Alpine installed databases.
    let sources: [(&str, PathBuf, &str, PathBuf); 5] = [
        (
            "deb12",
            bookworm.join("dpkg-status"),
            "var/lib/dpkg/status",
            bookworm.join("os-release"),
        ),
        (
            "ubuntu",
            inv.join("ubuntu-18.04/trivy-valid.dpkg-status"),
            "var/lib/dpkg/status",
            inv.join("os-release/syft-ubuntu.os-release"),
        ),
        (
            "deb10",
            inv.join("debian-10/claircore-postgresql.dpkg-status"),
            "var/lib/dpkg/status",
            bookworm.join("os-release"),
        ),
        (
            "alpine316",
            inv.join("alpine-3.16/syft-multiple-2-apk-installed"),
            "lib/apk/db/installed",
            inv.join("os-release/syft-alpine.os-release"),
        ),
        (
            "alpine34",
            inv.join("alpine-3.4/trivy-apk-installed"),
            "lib/apk/db/installed",
            inv.join("os-release/syft-alpine.os-release"),
        ),
    ];
    let mut hosts = Vec::new();
    for (name, db, at, os) in &sources {
        if !db.exists() {
            caulk_testkit::missing(format_args!("shared data {}", db.display()));
            return;
        }
        let root = tmp.path().join(name).join("root");
        make_root(&root, db, at, os);
        set_round(&root, 0);
        hosts.push(Host {
            name: name.to_string(),
            root,
            state: tmp.path().join(name).join("state"),
        });
    }
    let hosts = Arc::new(hosts);

    let server = Server::start(&dir, Some(BOOTSTRAP));
    let url = format!("http://{}", server.addr);
    let token = enrolment_token(&server, hosts.len() as u32);

    // Enrol everyone; each host's reports, in the order observed (hash, acknowledged?).
    let mut ids = Vec::new();
    let mut reports: Vec<Vec<(String, bool)>> = Vec::new();
    for h in hosts.iter() {
        let out = run_agent(&url, h, Some(&token));
        let err = stderr(&out);
        let id: i64 = err
            .split("enrolled as host ")
            .nth(1)
            .and_then(|s| s.split(';').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{}: {err}", h.name));
        ids.push(id);
        let (Fate::Acked { hash, .. }, _) = fate(&out) else {
            panic!("{}: {err}", h.name)
        };
        reports.push(vec![(hash, true)]);
    }

    // The burst: every agent runs ROUNDS cycles back to back, each with a new inventory,
    // all agents at once; the server is killed once half of them were acknowledged.
    let acked = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..hosts.len())
        .map(|i| {
            let (hosts, acked, url) = (hosts.clone(), acked.clone(), url.clone());
            std::thread::spawn(move || {
                let h = &hosts[i];
                let mut fates = Vec::new();
                for round in 1..=ROUNDS {
                    set_round(&h.root, round);
                    let out = run_agent(&url, h, None);
                    let (f, delivered) = fate(&out);
                    if matches!(f, Fate::Acked { .. }) {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    fates.push((f, delivered));
                }
                fates
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Half way through: reports in flight, some stored, some not.
    while acked.load(Ordering::SeqCst) < hosts.len() * ROUNDS as usize / 2 {
        assert!(Instant::now() < deadline, "the burst never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    let acked_before_kill = acked.load(Ordering::SeqCst);
    let mut spooled_total = 0;
    for (i, t) in threads.into_iter().enumerate() {
        for (f, delivered) in t.join().unwrap() {
            // Nothing was spooled before the kill, so nothing could be delivered in the burst.
            assert!(delivered.is_empty(), "{delivered:?}");
            match f {
                Fate::Acked { hash, .. } => reports[i].push((hash, true)),
                Fate::Spooled { hash } => {
                    spooled_total += 1;
                    reports[i].push((hash, false));
                }
            }
        }
    }
    eprintln!(
        "burst: {} reports, {acked_before_kill} acknowledged when the server was killed, \
         {spooled_total} spooled",
        hosts.len() * ROUNDS as usize
    );
    assert!(
        spooled_total > 0,
        "the kill came after the burst ({acked_before_kill} acknowledged)"
    );
    for (i, h) in hosts.iter().enumerate() {
        let spooled = reports[i].iter().filter(|r| !r.1).count();
        let waiting = spool_entries(&h.state);
        assert_eq!(waiting.len(), spooled, "{}: {waiting:?}", h.name);
        #[cfg(unix)]
        for name in &waiting {
            use std::os::unix::fs::PermissionsExt;
            let m = std::fs::metadata(h.state.join("spool").join(name)).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o600);
        }
    }

    // Restart on the same database: every acknowledged report is in its host's history.
    let server = Server::start(&dir, Some(BOOTSTRAP));
    let url = format!("http://{}", server.addr);
    for (i, h) in hosts.iter().enumerate() {
        let stored = history_hashes(&dir, ids[i]);
        for (hash, ack) in &reports[i] {
            if *ack {
                assert!(
                    stored.contains(hash),
                    "{}: acknowledged report {hash} lost; history {stored:?}",
                    h.name
                );
            }
        }
    }

    // Each agent's next run delivers its spool, oldest first, then finds its inventory there.
    let mut last_packages = BTreeMap::new();
    let mut had_it = 0;
    for (i, h) in hosts.iter().enumerate() {
        let out = run_agent(&url, h, None);
        let (f, delivered) = fate(&out);
        had_it += stderr(&out).matches("the server had it").count();
        let spooled: Vec<String> = reports[i]
            .iter()
            .filter(|r| !r.1)
            .map(|r| r.0.clone())
            .collect();
        assert_eq!(delivered, spooled, "{}: {}", h.name, stderr(&out));
        let Fate::Acked { hash, .. } = f else {
            panic!("{}: {}", h.name, stderr(&out))
        };
        assert_eq!(&hash, &reports[i].last().unwrap().0, "{}", h.name);
        assert!(spool_entries(&h.state).is_empty(), "{}", h.name);
        // In order: the history is every report, as observed (each round changed the
        // inventory, so each is one event; a report stored but not acknowledged before the
        // kill came back from the spool as one the server had).
        let want: Vec<String> = reports[i].iter().map(|r| r.0.clone()).collect();
        assert_eq!(history_hashes(&dir, ids[i]), want, "{}", h.name);
        // Packages the last report held: the root's packages as `caulk inventory` sees them.
        let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
            .args(["inventory", "--format", "json", "--root"])
            .arg(&h.root)
            .env("HOME", tmp.path())
            .env("CAULK_CACHE_DIR", tmp.path().join("cache"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let local: Value = serde_json::from_slice(&out.stdout).unwrap();
        last_packages.insert(ids[i], local["packages"].as_array().unwrap().len());
    }

    eprintln!("{had_it} spooled reports had been stored before the kill without an answer");

    // The API: every host once, each with its last inventory (hash and package count).
    let (status, page) = server.request("GET", "/api/v1/hosts", Some(BOOTSTRAP), None);
    assert_eq!(status, 200, "{page}");
    let listed = page["hosts"].as_array().unwrap();
    assert_eq!(listed.len(), hosts.len(), "{page}");
    for (i, h) in hosts.iter().enumerate() {
        let (status, body) = server.request(
            "GET",
            &format!("/api/v1/hosts/{}/inventory", ids[i]),
            Some(BOOTSTRAP),
            None,
        );
        assert_eq!(status, 200, "{body}");
        let inv: caulk_model::inventory::Inventory = serde_json::from_value(body).unwrap();
        assert_eq!(
            hex(&caulk_store::inventory_hash(&inv).unwrap()),
            reports[i].last().unwrap().0,
            "{}",
            h.name
        );
        assert_eq!(inv.packages.len(), last_packages[&ids[i]], "{}", h.name);
        assert!(
            inv.packages
                .iter()
                .any(|p| p.name == "caulk-burst" && p.version == format!("0.{ROUNDS}")),
            "{}",
            h.name
        );
    }
    server.stop("-TERM");
}

#[test]
fn a_report_the_server_calls_bad_is_set_aside_and_the_rest_still_arrive() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    let h = Host {
        name: "small".into(),
        root: tmp.path().join("root"),
        state: tmp.path().join("agent/state"),
    };
    std::fs::create_dir_all(h.root.join("etc")).unwrap();
    std::fs::write(
        h.root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    set_round(&h.root, 1);
    let server = Server::start(&dir, Some(BOOTSTRAP));
    let url = format!("http://{}", server.addr);
    let token = enrolment_token(&server, 1);
    let out = run_agent(&url, &h, Some(&token));
    assert!(out.status.success(), "{}", stderr(&out));

    // The server goes away: round 2 is spooled.
    server.stop("-TERM");
    set_round(&h.root, 2);
    let out = run_agent(&url, &h, None);
    let (Fate::Spooled { hash: round2 }, _) = fate(&out) else {
        panic!("{}", stderr(&out))
    };
    // Beside it, after it: a report of a format no server reads, and a file that is not JSON.
    let spool = h.state.join("spool");
    let bad = serde_json::json!({
        "observed_at": "2026-01-01T00:00:00Z",
        "inventory_hash": "0".repeat(64),
        "inventory": {"format_version": 99, "host": {}, "packages": []},
    });
    let bad_name = format!("{:020}-{}.json", u64::MAX - 2, "0".repeat(64));
    std::fs::write(spool.join(&bad_name), bad.to_string()).unwrap();
    let torn_name = format!("{:020}-{}.json", u64::MAX - 1, "1".repeat(64));
    std::fs::write(spool.join(&torn_name), "{\"observed_at\":").unwrap();

    let server = Server::start(&dir, Some(BOOTSTRAP));
    let url = format!("http://{}", server.addr);
    set_round(&h.root, 3);
    let out = run_agent(&url, &h, None);
    let err = stderr(&out);
    let (Fate::Acked { .. }, delivered) = fate(&out) else {
        panic!("{err}")
    };
    assert_eq!(delivered, [round2], "{err}");
    assert!(
        err.contains("the server refused spooled report") && err.contains("422"),
        "{err}"
    );
    assert!(err.contains("is unreadable"), "{err}");
    assert!(spool_entries(&h.state).is_empty());
    let mut rejected: Vec<String> = std::fs::read_dir(spool.join("rejected"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    rejected.sort();
    assert_eq!(rejected, [bad_name, torn_name]);
    // Rejected reports stay rejected: the next run has nothing to deliver.
    let out = run_agent(&url, &h, None);
    let (f, delivered) = fate(&out);
    assert!(matches!(f, Fate::Acked { .. }) && delivered.is_empty());
    assert!(!stderr(&out).contains("refused"), "{}", stderr(&out));

    // Over the wire: an inventory observed before the stored one is not stored, said so;
    // without `observed_at` (an older agent) it is "now"; a bad time is a 422.
    let credential = std::fs::read_to_string(h.state.join("credential")).unwrap();
    let credential = credential.trim();
    let old = r#"{"format_version": 1, "host": {}, "packages": []}"#;
    let (status, body) = server.request(
        "PUT",
        "/api/v1/agent/inventory?observed_at=2020-01-01T00:00:00Z",
        Some(credential),
        Some(old),
    );
    assert_eq!(
        (status, body),
        (200, serde_json::json!({"changed": false, "stale": true}))
    );
    let (status, body) = server.request(
        "PUT",
        "/api/v1/agent/inventory?observed_at=yesterday",
        Some(credential),
        Some(old),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("observed_at")
    );
    let (status, body) = server.request(
        "PUT",
        "/api/v1/agent/inventory",
        Some(credential),
        Some(old),
    );
    assert_eq!((status, body), (200, serde_json::json!({"changed": true})));
    server.stop("-TERM");
}
