//! The fleet end to end, every part a real process on loopback: `caulk server --feeds` on
//! the offline mirror, two `caulk agent`s with their own roots (the Debian 12 host snapshot,
//! an Alpine 3.4 host), then through the API: both hosts with their findings counts, each
//! host's findings equal to `caulk scan` of the same inventory against the server's
//! advisory database, the fleet's remediations, a vulnerability's hosts — and the same
//! routes refused without a credential, with an agent's credential, and to a wrong role.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

mod fleet;
#[path = "../../feed-sync/tests/common/http.rs"]
mod http;

use fleet::*;

fn shared(rel: &str) -> Option<PathBuf> {
    let p = caulk_testkit::data(rel);
    if p.is_none() {
        caulk_testkit::missing(format!("../shared/data/{rel}"));
    }
    p
}

fn debian_root(root: &Path, host: &Path) {
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy(host.join("dpkg-status"), root.join("var/lib/dpkg/status")).unwrap();
    std::fs::copy(host.join("os-release"), root.join("etc/os-release")).unwrap();
}

fn alpine_root(root: &Path, installed: &Path) {
    std::fs::create_dir_all(root.join("lib/apk/db")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy(installed, root.join("lib/apk/db/installed")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.4.6\nPRETTY_NAME=\"Alpine Linux v3.4\"\n",
    )
    .unwrap();
}

fn agent(server: &Server, name: &str, root: &Path, state: &Path, token: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args(["agent", "--once", "--hostname", name, "--server"])
        .arg(format!("http://{}", server.addr))
        .arg("--root")
        .arg(root)
        .arg("--state-dir")
        .arg(state)
        .args(["--enroll-token", token])
        .env("HOME", state.parent().unwrap())
        .env("CAULK_CACHE_DIR", state.parent().unwrap().join("cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "agent {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "agent {name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `caulk scan` of `inventory` (a file) against the server's advisory database, as the
/// host's profile (criticality, exposure) says.
fn scan(dir: &Path, inventory: &Path, host: &Value) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args(["scan", "--format", "json", "--inventory"])
        .arg(inventory)
        .arg("--db")
        .arg(dir.join("advisories.db"))
        .args(["--criticality", host["criticality"].as_str().unwrap()])
        .args(["--exposure", host["exposure"].as_str().unwrap()])
        .env("HOME", dir)
        .env("CAULK_CACHE_DIR", dir.join("cache"))
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "caulk scan: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Ask `probe` every 100 ms until it answers `Ok`; after `secs`, fail with `what` and what
/// it saw last.
fn wait_for<T>(what: &str, secs: u64, mut probe: impl FnMut() -> Result<T, Value>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match probe() {
            Ok(v) => return v,
            Err(seen) => assert!(Instant::now() < deadline, "{what}: {seen}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Wait until the list has `n` hosts, each with counts that are not stale.
fn assessed_hosts(server: &Server, token: &str, n: usize) -> Vec<Value> {
    wait_for("hosts never all assessed", 300, || {
        let (st, page) = server.request("GET", "/api/v1/hosts", Some(token), None);
        assert_eq!(st, 200, "{page}");
        let hosts = page["hosts"].as_array().unwrap().clone();
        let fresh = |h: &Value| h["findings"]["stale"] == false;
        if hosts.len() == n && hosts.iter().all(fresh) {
            Ok(hosts)
        } else {
            Err(page)
        }
    })
}

#[test]
fn two_agents_their_findings_equal_caulk_scan_and_the_fleet_remediations() {
    let (Some(feeds), Some(deb), Some(apk)) = (
        shared("feeds"),
        shared("debian/bookworm-host"),
        shared("inventories/alpine-3.4/trivy-apk-installed"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    std::fs::create_dir_all(&dir).unwrap();
    let server = Server::start_with(&dir, Some(BOOTSTRAP), &["--feeds", feeds.to_str().unwrap()]);
    let (st, health) = server.request("GET", "/healthz", None, None);
    assert_eq!(st, 200);
    let generation = health["advisories"]["generation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        health["advisories"]["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "osv/Debian"),
        "{health}"
    );

    let (st, tok) = server.request(
        "POST",
        "/api/v1/enrollment-tokens",
        Some(BOOTSTRAP),
        Some(r#"{"max_uses": 3, "expires_in": "1h"}"#),
    );
    assert_eq!(st, 201, "{tok}");
    let token = tok["token"].as_str().unwrap();
    let deb_root = tmp.path().join("deb-root");
    debian_root(&deb_root, &deb);
    let apk_root = tmp.path().join("apk-root");
    alpine_root(&apk_root, &apk);
    agent(
        &server,
        "deb12",
        &deb_root,
        &tmp.path().join("a1/state"),
        token,
    );
    agent(
        &server,
        "alpine34",
        &apk_root,
        &tmp.path().join("a2/state"),
        token,
    );
    // A second host of the same image (its assessment is reused, and must be its own).
    agent(
        &server,
        "deb12-b",
        &deb_root,
        &tmp.path().join("a3/state"),
        token,
    );

    let auditor = create_token(&dir, "auditor");
    let hosts = assessed_hosts(&server, &auditor, 3);
    let by_name = |n: &str| hosts.iter().find(|h| h["hostname"] == n).unwrap().clone();
    let (deb_host, apk_host) = (by_name("deb12"), by_name("alpine34"));
    assert_eq!(deb_host["ecosystem"], "Debian:12");
    assert_eq!(apk_host["ecosystem"], "Alpine:v3.4");

    // Each host's findings: `caulk scan` of the inventory the server stored.
    for h in [&deb_host, &apk_host, &by_name("deb12-b")] {
        let id = h["id"].as_i64().unwrap();
        let (st, inv) = server.request(
            "GET",
            &format!("/api/v1/hosts/{id}/inventory"),
            Some(&auditor),
            None,
        );
        assert_eq!(st, 200);
        let file = tmp.path().join(format!("inventory-{id}.json"));
        std::fs::write(&file, serde_json::to_vec(&inv).unwrap()).unwrap();
        let expected = scan(&dir, &file, h);
        let (st, got) = server.request(
            "GET",
            &format!("/api/v1/hosts/{id}/findings"),
            Some(&auditor),
            None,
        );
        assert_eq!(st, 200, "{got}");
        let n = expected["findings"].as_array().unwrap().len();
        assert!(n > 0, "{} has no findings", h["hostname"]);
        assert_eq!(got["findings"], expected["findings"], "{}", h["hostname"]);
        assert_eq!(got["remediations"], expected["remediations"]);
        assert_eq!(got["summary"], expected["summary"]);
        // The list's counts are the report's.
        let f = &h["findings"];
        assert_eq!(f["generation"], generation.as_str());
        assert_eq!(f["stale"], false, "{f}");
        assert_eq!(f["total"], expected["summary"]["findings"]);
        assert_eq!(f["kev"], expected["summary"]["kev"]);
        assert_eq!(f["act_now"], expected["summary"]["by_decision"]["act_now"]);
        assert_eq!(f["remediations"], expected["summary"]["remediations"]);
    }

    // The fleet's remediations: every host's, merged; the Debian host's openjdk upgrade is
    // there with one host and the scan's vulnerabilities.
    let (st, rem) = server.request(
        "GET",
        "/api/v1/remediations?limit=1000",
        Some(&auditor),
        None,
    );
    assert_eq!(st, 200, "{rem}");
    let rem = rem["remediations"].as_array().unwrap();
    let total: usize = [&deb_host, &apk_host, &by_name("deb12-b")]
        .iter()
        .map(|h| h["findings"]["remediations"].as_u64().unwrap() as usize)
        .sum();
    assert!(
        !rem.is_empty() && rem.len() <= total,
        "{} vs {total}",
        rem.len()
    );
    let ecosystems: std::collections::BTreeSet<&str> = rem
        .iter()
        .map(|r| r["ecosystem"].as_str().unwrap())
        .collect();
    assert!(
        ecosystems.contains("Debian:12") && ecosystems.contains("Alpine:v3.4"),
        "{ecosystems:?}"
    );
    // Ranked: decision first, then risk removed.
    let rank = |d: &str| {
        ["defer", "scheduled", "out-of-cycle", "act-now"]
            .iter()
            .position(|x| *x == d)
            .unwrap()
    };
    for w in rem.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let (da, db) = (
            rank(a["decision"].as_str().unwrap()),
            rank(b["decision"].as_str().unwrap()),
        );
        assert!(
            da > db || (da == db && a["risk_removed"].as_f64() >= b["risk_removed"].as_f64()),
            "{a} before {b}"
        );
    }
    // The two Debian hosts are one image: each Debian upgrade applies to both.
    for r in rem {
        let want = if r["ecosystem"] == "Debian:12" { 2 } else { 1 };
        assert_eq!(r["hosts"], want, "{r}");
    }
    let first = &rem[0];
    assert_eq!(
        first["vulnerabilities"].as_u64().unwrap() as usize,
        first["vulnerability_ids"].as_array().unwrap().len()
    );
    assert!(
        first["summary"].as_str().unwrap().starts_with("upgrade "),
        "{first}"
    );

    // A vulnerability's hosts: one of the Debian host's CVEs names that host and package.
    let (_, deb_findings) = server.request(
        "GET",
        &format!("/api/v1/hosts/{}/findings", deb_host["id"]),
        Some(&auditor),
        None,
    );
    let f = deb_findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["vulnerability"]["id"]
                .as_str()
                .unwrap()
                .starts_with("CVE-")
                && f["status"] == "fixed"
        })
        .unwrap()
        .clone();
    let cve = f["vulnerability"]["id"].as_str().unwrap();
    let (st, v) = server.request(
        "GET",
        &format!("/api/v1/vulnerabilities/{cve}"),
        Some(&auditor),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let vh = v["hosts"].as_array().unwrap();
    assert_eq!(vh.len(), 2, "{v}");
    assert_eq!(v["total_hosts"], 2);
    let (_, v1) = server.request(
        "GET",
        &format!("/api/v1/vulnerabilities/{cve}?limit=1"),
        Some(&auditor),
        None,
    );
    assert_eq!(
        (v1["hosts"].as_array().unwrap().len(), &v1["total_hosts"]),
        (1, &Value::from(2))
    );
    assert_eq!(vh[0]["hostname"], "deb12");
    assert_eq!(vh[1]["hostname"], "deb12-b");
    assert!(
        vh[0]["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == f["package"]["name"] && p["version"] == f["package"]["version"]),
        "{v}"
    );
    let (st, _) = server.request(
        "GET",
        "/api/v1/vulnerabilities/CVE-1999-99999",
        Some(&auditor),
        None,
    );
    assert_eq!(st, 404);

    // Refused: no credential, an agent's credential, a garbage id.
    let deb_id = deb_host["id"].as_i64().unwrap();
    let credential = std::fs::read_to_string(tmp.path().join("a1/state/credential")).unwrap();
    for path in [
        format!("/api/v1/hosts/{deb_id}/findings"),
        "/api/v1/remediations".to_string(),
        format!("/api/v1/vulnerabilities/{cve}"),
    ] {
        let (st, body) = server.request("GET", &path, None, None);
        assert_eq!(st, 401, "{path}: {body}");
        let (st, body) = server.request("GET", &path, Some(credential.trim()), None);
        assert_eq!(st, 401, "{path} with an agent credential: {body}");
    }
    // The host's history: one first inventory.
    let (st, hist) = server.request(
        "GET",
        &format!("/api/v1/hosts/{deb_id}/history"),
        Some(&auditor),
        None,
    );
    assert_eq!(st, 200, "{hist}");
    assert_eq!(hist["events"].as_array().unwrap().len(), 1, "{hist}");
    assert_eq!(hist["events"][0]["initial"], true);
    assert_eq!(hist["events"][0]["packages"], 743);

    // A new risk profile re-derives the host's findings with it (an auditor may not set it).
    let patch = r#"{"criticality": "critical", "exposure": "internet", "owner": "web-team", "labels": {"site": "fra1"}, "groups": ["web"]}"#;
    let path = format!("/api/v1/hosts/{deb_id}");
    let (st, _) = server.request("PATCH", &path, Some(&auditor), Some(patch));
    assert_eq!(st, 403);
    let (st, bad) = server.request(
        "PATCH",
        &path,
        Some(BOOTSTRAP),
        Some(r#"{"criticality": "urgent"}"#),
    );
    assert_eq!(st, 422, "{bad}");
    let (st, patched) = server.request("PATCH", &path, Some(BOOTSTRAP), Some(patch));
    assert_eq!(st, 200, "{patched}");
    assert_eq!(
        (
            &patched["criticality"],
            &patched["exposure"],
            &patched["owner"]
        ),
        (
            &Value::from("critical"),
            &Value::from("internet"),
            &Value::from("web-team")
        )
    );
    let repatched = wait_for("never re-assessed", 120, || {
        let (_, h) = server.request("GET", &path, Some(&auditor), None);
        if h["findings"]["stale"] == false {
            Ok(h)
        } else {
            Err(h)
        }
    });
    let file = tmp.path().join(format!("inventory-{deb_id}.json"));
    let expected = scan(&dir, &file, &repatched);
    assert_eq!(
        repatched["findings"]["act_now"],
        expected["summary"]["by_decision"]["act_now"]
    );
    assert_eq!(
        repatched["findings"]["out_of_cycle"],
        expected["summary"]["by_decision"]["out_of_cycle"]
    );
    let (_, got) = server.request("GET", &format!("{path}/findings"), Some(&auditor), None);
    assert_eq!(got["findings"], expected["findings"]);
    assert_eq!(got["policy"]["criticality"], "critical");
    let (_, page) = server.request(
        "GET",
        "/api/v1/hosts?label=site=fra1&criticality=critical",
        Some(&auditor),
        None,
    );
    assert_eq!(page["hosts"].as_array().unwrap().len(), 1, "{page}");
    let (_, page) = server.request(
        "GET",
        "/api/v1/hosts?group=web&exposure=internal",
        Some(&auditor),
        None,
    );
    assert_eq!(page["hosts"].as_array().unwrap().len(), 0, "{page}");

    let (st, _) = server.request("GET", "/api/v1/hosts/999999/findings", Some(&auditor), None);
    assert_eq!(st, 404);
    let (st, _) = server.request("GET", "/api/v1/remediations?cursor=x", Some(&auditor), None);
    assert_eq!(st, 400);

    // Deleting a host takes its upgrades out of the fleet's list (an admin's act).
    let apk_path = format!("/api/v1/hosts/{}", apk_host["id"]);
    let (st, _) = server.request("DELETE", &apk_path, Some(&auditor), None);
    assert_eq!(st, 403);
    let (st, _) = server.request("DELETE", &apk_path, Some(BOOTSTRAP), None);
    assert_eq!(st, 204);
    let (st, _) = server.request("GET", &apk_path, Some(&auditor), None);
    assert_eq!(st, 404);
    let (_, rem) = server.request(
        "GET",
        "/api/v1/remediations?limit=1000",
        Some(&auditor),
        None,
    );
    assert!(
        rem["remediations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ecosystem"] == "Debian:12"),
        "{rem}"
    );
    server.stop("-TERM");
}

/// One agent on an Alpine 3.4 root under `tmp`, enrolled with a token made for it; the
/// host list once its findings are in.
fn one_alpine_host(server: &Server, tmp: &Path, apk: &Path) -> Vec<Value> {
    let (st, tok) = server.request(
        "POST",
        "/api/v1/enrollment-tokens",
        Some(BOOTSTRAP),
        Some(r#"{"max_uses": 1, "expires_in": "1h"}"#),
    );
    assert_eq!(st, 201, "{tok}");
    let root = tmp.join("root");
    alpine_root(&root, apk);
    let token = tok["token"].as_str().unwrap();
    agent(server, "alpine34", &root, &tmp.join("a/state"), token);
    assessed_hosts(server, BOOTSTRAP, 1)
}

/// A mirror directory with the shared feeds' Alpine advisories only.
fn alpine_mirror(feeds: &Path, dir: &Path) {
    std::fs::create_dir_all(dir.join("osv/Alpine")).unwrap();
    std::fs::copy(
        feeds.join("osv/Alpine/all.zip"),
        dir.join("osv/Alpine/all.zip"),
    )
    .unwrap();
}

fn health_generation(server: &Server) -> String {
    let (st, h) = server.request("GET", "/healthz", None, None);
    assert_eq!(st, 200, "{h}");
    h["advisories"]["generation"].as_str().unwrap().to_string()
}

#[test]
fn a_sync_of_a_changed_mirror_re_derives_every_hosts_findings() {
    let (Some(feeds), Some(apk)) = (
        shared("feeds"),
        shared("inventories/alpine-3.4/trivy-apk-installed"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    alpine_mirror(&feeds, &mirror);
    let dir = tmp.path().join("server");
    std::fs::create_dir_all(&dir).unwrap();
    let server = Server::start_with(
        &dir,
        Some(BOOTSTRAP),
        &["--feeds", mirror.to_str().unwrap()],
    );
    let g1 = health_generation(&server);
    let before = one_alpine_host(&server, tmp.path(), &apk);
    assert_eq!(before[0]["findings"]["generation"], g1.as_str());
    assert_eq!(before[0]["findings"]["kev"], 0);

    // Only an admin may ask for a sync.
    let operator = create_token(&dir, "operator");
    let (st, _) = server.request("POST", "/api/v1/advisories/sync", Some(&operator), None);
    assert_eq!(st, 403);

    // The mirror gains the KEV catalogue: a new generation, and the host's findings are
    // derived again with it.
    std::fs::create_dir_all(mirror.join("kev")).unwrap();
    std::fs::copy(
        feeds.join("kev/known_exploited_vulnerabilities.json"),
        mirror.join("kev/known_exploited_vulnerabilities.json"),
    )
    .unwrap();
    let (st, body) = server.request("POST", "/api/v1/advisories/sync", Some(BOOTSTRAP), None);
    assert_eq!(st, 202, "{body}");
    let g2 = wait_for("no new generation after the sync", 120, || {
        let g = health_generation(&server);
        if g != g1 { Ok(g) } else { Err(Value::from(g)) }
    });
    let after = wait_for("never re-derived", 120, || {
        let (_, page) = server.request("GET", "/api/v1/hosts", Some(BOOTSTRAP), None);
        let h = page["hosts"][0].clone();
        if h["findings"]["generation"] == g2.as_str() && h["findings"]["stale"] == false {
            Ok(h)
        } else {
            Err(h)
        }
    });
    // The same findings, now with what KEV says of them — as `caulk scan` of the inventory
    // against the new database says.
    let id = after["id"].as_i64().unwrap();
    let (_, inv) = server.request(
        "GET",
        &format!("/api/v1/hosts/{id}/inventory"),
        Some(BOOTSTRAP),
        None,
    );
    let file = tmp.path().join("inv.json");
    std::fs::write(&file, serde_json::to_vec(&inv).unwrap()).unwrap();
    let expected = scan(&dir, &file, &after);
    assert_eq!(after["findings"]["kev"], expected["summary"]["kev"]);
    assert_eq!(after["findings"]["total"], before[0]["findings"]["total"]);

    // A sync of an unchanged mirror makes no new generation.
    let h = sync_and_wait(&server);
    assert_eq!(h["advisories"]["generation"], g2.as_str(), "{h}");
    assert!(h["advisories"]["sync_error"].is_null(), "{h}");

    // A broken feed in the mirror: the sync says so, the feed keeps its previous data.
    std::fs::write(mirror.join("osv/Alpine/all.zip"), b"not a zip").unwrap();
    let h = sync_and_wait(&server);
    assert!(
        h["advisories"]["sync_error"]
            .as_str()
            .unwrap()
            .contains("osv/Alpine"),
        "{h}"
    );
    assert_eq!(
        h["advisories"]["feeds"],
        serde_json::json!(["kev", "osv/Alpine"]),
        "{h}"
    );
    let g3 = h["advisories"]["generation"].as_str().unwrap().to_string();
    // A mirror with nothing in it: the sync fails, and the database in service stays — so
    // after a restart too (the server is healthy, serving what it has).
    std::fs::remove_dir_all(mirror.join("osv")).unwrap();
    std::fs::remove_dir_all(mirror.join("kev")).unwrap();
    let h = sync_and_wait(&server);
    assert_eq!(h["advisories"]["generation"], g3.as_str(), "{h}");
    assert!(h["advisories"]["sync_error"].is_string(), "{h}");
    server.stop("-TERM");
    let server = Server::start_with(
        &dir,
        Some(BOOTSTRAP),
        &["--feeds", mirror.to_str().unwrap()],
    );
    let (st, h) = server.request("GET", "/healthz", None, None);
    assert_eq!(st, 200, "{h}");
    assert_eq!(h["advisories"]["generation"], g3.as_str(), "{h}");
    assert!(h["advisories"]["sync_error"].is_string(), "{h}");
    server.stop("-TERM");
}

/// Ask for a sync and wait until it ended (`synced_at` moves): the health it leaves.
fn sync_and_wait(server: &Server) -> Value {
    let (_, before) = server.request("GET", "/healthz", None, None);
    let (st, body) = server.request("POST", "/api/v1/advisories/sync", Some(BOOTSTRAP), None);
    assert_eq!(st, 202, "{body}");
    wait_for("the sync never ended", 120, || {
        let (_, h) = server.request("GET", "/healthz", None, None);
        if h["advisories"]["synced_at"] != before["advisories"]["synced_at"] {
            Ok(h)
        } else {
            Err(h)
        }
    })
}

#[test]
fn a_server_syncs_its_advisories_from_a_mirror_over_http() {
    let (Some(feeds), Some(apk)) = (
        shared("feeds"),
        shared("inventories/alpine-3.4/trivy-apk-installed"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // A mirror made by `caulk db mirror` (with its manifest), served over HTTP.
    let src = tmp.path().join("src");
    alpine_mirror(&feeds, &src);
    let mirror = tmp.path().join("mirror");
    let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args(["db", "mirror"])
        .arg(&mirror)
        .arg("--source")
        .arg(&src)
        .env("HOME", tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let web = http::Server::start();
    web.put_dir(&mirror);

    let dir = tmp.path().join("server");
    std::fs::create_dir_all(&dir).unwrap();
    let server = Server::start_with(&dir, Some(BOOTSTRAP), &["--feeds-url", &web.url()]);
    let (_, health) = server.request("GET", "/healthz", None, None);
    assert_eq!(
        health["advisories"]["feeds"],
        serde_json::json!(["osv/Alpine"]),
        "{health}"
    );
    let g1 = health_generation(&server);
    let hosts = one_alpine_host(&server, tmp.path(), &apk);
    assert!(
        hosts[0]["findings"]["total"].as_u64().unwrap() > 0,
        "{}",
        hosts[0]
    );
    // A sync of an unchanged mirror downloads nothing new: the same generation.
    let h = sync_and_wait(&server);
    assert_eq!(h["advisories"]["generation"], g1.as_str(), "{h}");
    assert!(h["advisories"]["sync_error"].is_null(), "{h}");
    server.stop("-TERM");
}
