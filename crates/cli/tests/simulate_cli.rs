//! `caulk dev simulate` against a real `caulk server` on loopback: 50 virtual hosts enrolled
//! with distinct names, their first inventories stored with the package counts the
//! simulator says it sent, and unchanged check-ins answered as unchanged.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

mod fleet;

use fleet::*;

#[test]
fn fifty_simulated_hosts_are_listed_with_the_inventories_they_sent() {
    let (Some(_), Some(_)) = (
        caulk_testkit::data("inventories"),
        caulk_testkit::data("debian/bookworm-host"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    std::fs::create_dir_all(&dir).unwrap();
    let server = Server::start(&dir, Some(BOOTSTRAP));
    let manifest = tmp.path().join("manifest.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args(["dev", "simulate", "--hosts", "50", "--concurrency", "8"])
        .args(["--check-ins", "2", "--seed", "42", "--json", "--server"])
        .arg(format!("http://{}", server.addr))
        .arg("--data")
        .arg(caulk_testkit::data_root())
        .arg("--manifest")
        .arg(&manifest)
        .arg("--server-pid")
        .arg(server.child.id().to_string())
        .env("CAULK_API_TOKEN", BOOTSTRAP)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["hosts"], 50);
    assert_eq!(report["hosts_listed"], 50);
    let phases: BTreeMap<&str, &Value> = report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p))
        .collect();
    assert_eq!(phases["enrol"]["ok"], 50);
    assert_eq!(phases["first inventory"]["ok"], 50);
    assert_eq!(phases["unchanged check-in"]["ok"], 100);
    for p in phases.values() {
        assert_eq!(p["errors"], serde_json::json!({}), "{p}");
        assert!(p["rate"].as_f64().unwrap() > 0.0, "{p}");
    }
    assert!(report["server_vm_hwm_kib"].as_u64().unwrap() > 0);
    // A few distinct OS releases.
    assert!(
        report["templates"].as_object().unwrap().len() >= 3,
        "{report}"
    );

    // What the simulator says it sent, host by host.
    let sent: Vec<Value> = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sent.len(), 50);
    let total: u64 = sent.iter().map(|l| l["packages"].as_u64().unwrap()).sum();
    assert_eq!(report["packages_sent"], total);

    // The server's view: 50 hosts with distinct names, each inventory as sent.
    let mut hosts = Vec::new();
    let mut path = "/api/v1/hosts?limit=20".to_string();
    loop {
        let (status, page) = server.request("GET", &path, Some(BOOTSTRAP), None);
        assert_eq!(status, 200, "{page}");
        hosts.extend(page["hosts"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(c) => path = format!("/api/v1/hosts?limit=20&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(hosts.len(), 50);
    let names: BTreeSet<&str> = hosts
        .iter()
        .map(|h| h["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 50);
    let ecosystems: BTreeSet<&str> = hosts
        .iter()
        .filter_map(|h| h["ecosystem"].as_str())
        .collect();
    assert!(ecosystems.len() >= 3, "{ecosystems:?}");
    for line in &sent {
        let id = line["host_id"].as_i64().unwrap();
        let host = hosts.iter().find(|h| h["id"] == id).unwrap();
        assert_eq!(host["hostname"], line["hostname"]);
        assert_eq!(host["ecosystem"], line["ecosystem"]);
        let (status, inv) = server.request(
            "GET",
            &format!("/api/v1/hosts/{id}/inventory"),
            Some(BOOTSTRAP),
            None,
        );
        assert_eq!(status, 200, "{inv}");
        assert_eq!(
            inv["packages"].as_array().unwrap().len() as u64,
            line["packages"].as_u64().unwrap(),
            "{}",
            line["hostname"]
        );
        assert_eq!(inv["host"]["hostname"], line["hostname"]);
    }
    server.stop("-TERM");
}
