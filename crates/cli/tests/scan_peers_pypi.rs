//! `caulk scan` side by side with pip-audit on the same PyPI advisories.
//!
//! pip-audit's OSV service (`-s osv --osv-url URL`) asks `POST /v1/query` per pinned
//! requirement and reports every non-withdrawn record the API returns: it does no range
//! matching of its own (pip_audit/_service/osv.py). So the test starts a loopback OSV API
//! ([`OsvServer`], std `TcpListener`, HTTP/1.1 with keep-alive) over the mirror's PyPI export
//! (`../shared/data/feeds/osv/PyPI/all.zip`) that answers the way an index of enumerated
//! versions does: a record is returned when one of its `affected` entries for the package
//! (PEP 503 names) lists the queried version in `versions`. It never evaluates a range, so
//! the comparison does not run caulk's matching twice: caulk evaluates the ECOSYSTEM ranges
//! (and the lists) of the same records it imported into its own database.
//!
//! Requirements files (pinned versions drawn from the records: listed affected versions and
//! fixed versions, three rounds of up to one version per package, the second round spelled
//! `Like_This`) go to both tools; the (file, package, version, advisory id) sets must be equal.
//! A pair only caulk reports is explained when the record's ECOSYSTEM ranges cover the
//! version according to python `packaging` (an independent PEP 440 implementation, from
//! pip-audit's own environment) while its `versions` list lacks it or is absent; anything
//! else fails the test. For agreed pairs, every id pip-audit prints (record id and
//! aliases) must be among the finding's ids.
//!
//! pip-audit: `CAULK_PIP_AUDIT`, else beside `CAULK_ORACLE_PYTHON`, else
//! `.ci/cache/venv/bin/pip-audit`, else `PATH`. Missing: a loud skip, or a failure in CI
//! (`CAULK_REQUIRE_ORACLES=1`). No network: `--no-deps --disable-pip`, proxies unset, the
//! OSV URL on 127.0.0.1, and the server counts the queries it answered.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod common;
use common::*;

fn pip_audit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CAULK_PIP_AUDIT") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let beside_oracle = std::env::var_os("CAULK_ORACLE_PYTHON")
        .map(PathBuf::from)
        .and_then(|p| p.parent().map(|d| d.join("pip-audit")));
    let ci_cache =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.ci/cache/venv/bin/pip-audit");
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("pip-audit"))
            .find(|c| c.is_file())
    });
    [beside_oracle, Some(ci_cache), on_path]
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
}

/// PEP 503: lower case, runs of `-`, `_`, `.` become one `-`.
fn pep503(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A version already in PEP 440 normal form (what `str(Version(v))` gives back unchanged),
/// so the string pip-audit sends is the string the server finds in the lists.
fn is_normal_pep440(v: &str) -> bool {
    let num = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let mut rest = v;
    // Suffixes, outermost first.
    for tag in [".dev", ".post"] {
        if let Some((head, n)) = rest.rsplit_once(tag) {
            if !num(n) {
                return false;
            }
            rest = head;
        }
    }
    for tag in ["rc", "a", "b"] {
        if let Some((head, n)) = rest.rsplit_once(tag) {
            if !num(n) {
                return false;
            }
            rest = head;
            break;
        }
    }
    !rest.is_empty() && rest.split('.').all(num)
}

fn read_zip_records(path: &Path) -> Vec<Value> {
    let f = std::fs::File::open(path).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    (0..z.len())
        .map(|i| {
            let mut s = String::new();
            z.by_index(i).unwrap().read_to_string(&mut s).unwrap();
            serde_json::from_str(&s).unwrap()
        })
        .collect()
}

/// The affected entries of `record` for the (PEP 503) package `name`.
fn entries_for<'a>(record: &'a Value, name: &str) -> Vec<&'a Value> {
    record["affected"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["package"]["ecosystem"] == "PyPI")
        .filter(|a| {
            a["package"]["name"]
                .as_str()
                .is_some_and(|n| pep503(n) == name)
        })
        .collect()
}

fn lists(entry: &Value, version: &str) -> bool {
    entry["versions"]
        .as_array()
        .is_some_and(|vs| vs.iter().any(|v| v == version))
}

// ---------------------------------------------------------------------------------------
// A loopback OSV API.

#[derive(Default)]
struct Served {
    /// (PEP 503 name, version) of every query answered.
    queries: Vec<(String, String)>,
    /// Withdrawn records returned (pip-audit must drop them).
    withdrawn: usize,
    /// Requests that were not a well-formed PyPI query.
    bad: Vec<String>,
}

struct OsvServer {
    url: String,
    served: Arc<Mutex<Served>>,
}

impl OsvServer {
    /// Serve `records` on 127.0.0.1 (a free port) until the test process ends.
    fn start(records: &[Value]) -> OsvServer {
        let mut index: HashMap<String, Vec<Arc<Value>>> = HashMap::new();
        for r in records {
            let r = Arc::new(r.clone());
            let mut names: Vec<String> = r["affected"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["package"]["name"].as_str().map(pep503))
                .collect();
            names.sort();
            names.dedup();
            for n in names {
                index.entry(n).or_default().push(r.clone());
            }
        }
        let index = Arc::new(index);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/query", listener.local_addr().unwrap());
        let served = Arc::new(Mutex::new(Served::default()));
        let s2 = served.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (index, served) = (index.clone(), s2.clone());
                std::thread::spawn(move || {
                    let _ = serve_connection(conn, &index, &served);
                });
            }
        });
        OsvServer { url, served }
    }
}

/// One keep-alive connection: requests until the client closes it.
fn serve_connection(
    conn: TcpStream,
    index: &HashMap<String, Vec<Arc<Value>>>,
    served: &Mutex<Served>,
) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    let mut out = conn.try_clone()?;
    let mut rd = BufReader::new(conn);
    loop {
        let mut request_line = String::new();
        if rd.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let request_line = request_line.trim_end().to_string();
        let mut length = 0usize;
        let mut close = false;
        loop {
            let mut h = String::new();
            if rd.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let v = v.trim();
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.parse().unwrap_or(0),
                    "connection" => close = v.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        rd.read_exact(&mut body)?;
        let (status, reply) = answer(&request_line, &body, index, served);
        let bytes = serde_json::to_vec(&reply).unwrap_or_default();
        let mut msg = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n",
            bytes.len(),
            if close { "Connection: close\r\n" } else { "" }
        )
        .into_bytes();
        msg.extend_from_slice(&bytes);
        // One write: a header and a body in two segments would meet delayed ACKs.
        out.write_all(&msg)?;
        out.flush()?;
        if close {
            return Ok(());
        }
    }
}

fn answer(
    request_line: &str,
    body: &[u8],
    index: &HashMap<String, Vec<Arc<Value>>>,
    served: &Mutex<Served>,
) -> (&'static str, Value) {
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let bad = |why: String| {
        served.lock().unwrap().bad.push(why.clone());
        ("400 Bad Request", json!({ "code": 3, "message": why }))
    };
    if method != "POST" || path != "/v1/query" {
        served.lock().unwrap().bad.push(format!("{method} {path}"));
        return (
            "404 Not Found",
            json!({ "code": 5, "message": "not found" }),
        );
    }
    let Ok(q) = serde_json::from_slice::<Value>(body) else {
        return bad(format!("not JSON: {}", String::from_utf8_lossy(body)));
    };
    let (Some(name), Some(eco), Some(version)) = (
        q["package"]["name"].as_str(),
        q["package"]["ecosystem"].as_str(),
        q["version"].as_str(),
    ) else {
        return bad(format!("not a package/version query: {q}"));
    };
    if eco != "PyPI" {
        return bad(format!("ecosystem {eco}"));
    }
    let name = pep503(name);
    let vulns: Vec<&Value> = index
        .get(&name)
        .into_iter()
        .flatten()
        .filter(|r| entries_for(r, &name).iter().any(|a| lists(a, version)))
        .map(|r| r.as_ref())
        .collect();
    let mut s = served.lock().unwrap();
    s.queries.push((name, version.to_string()));
    s.withdrawn += vulns.iter().filter(|r| r["withdrawn"].is_string()).count();
    // osv.dev answers `{}` when nothing matches.
    if vulns.is_empty() {
        ("200 OK", json!({}))
    } else {
        ("200 OK", json!({ "vulns": vulns }))
    }
}

// ---------------------------------------------------------------------------------------

const ROUNDS: usize = 3;

/// Up to [`ROUNDS`] pinned versions per package, drawn from the records (in id order): the
/// first and last listed affected version of each entry and each fixed version, in normal
/// form only.
fn picks(records: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut by_name: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for r in records {
        for a in r["affected"].as_array().into_iter().flatten() {
            if let Some(n) = a["package"]["name"].as_str() {
                by_name.entry(pep503(n)).or_default().push(r);
            }
        }
    }
    let mut out = BTreeMap::new();
    for (name, mut recs) in by_name {
        recs.sort_by_key(|r| r["id"].as_str().unwrap_or("").to_string());
        recs.dedup_by_key(|r| r["id"].as_str().unwrap_or("").to_string());
        let mut cands = Vec::new();
        for r in recs {
            for a in entries_for(r, &name) {
                if let Some(vs) = a["versions"].as_array()
                    && let (Some(first), Some(last)) = (vs.first(), vs.last())
                {
                    cands.push(first.as_str().unwrap_or("").to_string());
                    cands.push(last.as_str().unwrap_or("").to_string());
                }
                for range in a["ranges"].as_array().into_iter().flatten() {
                    if range["type"] != "ECOSYSTEM" {
                        continue;
                    }
                    for ev in range["events"].as_array().into_iter().flatten() {
                        if let Some(f) = ev["fixed"].as_str() {
                            cands.push(f.to_string());
                        }
                    }
                }
            }
        }
        let mut chosen: Vec<String> = Vec::new();
        for c in cands {
            if is_normal_pep440(&c) && !chosen.contains(&c) {
                chosen.push(c);
            }
        }
        chosen.truncate(ROUNDS);
        if !chosen.is_empty() {
            out.insert(name, chosen);
        }
    }
    out
}

/// `apache-superset` → `Apache_Superset`: another spelling of the same project.
fn respell(name: &str) -> String {
    name.split('-')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// Python `packaging`: does any ECOSYSTEM range of these entries cover the version? One
/// process for every question: `[{version, ranges: [[[kind, value], …], …]}]` → `[bool]`.
const RANGE_ORACLE: &str = r#"
import json, sys
from packaging.version import Version
def V(s):
    return Version("0") if s == "0" else Version(s)
out = []
for q in json.load(sys.stdin):
    v = Version(q["version"])
    hit = False
    for events in q["ranges"]:
        state = False
        # Stable sort: `introduced X, fixed X` stays an empty interval.
        for kind, value in sorted(events, key=lambda e: V(e[1])):
            at = V(value)
            if kind == "introduced" and v >= at:
                state = True
            elif kind == "fixed" and v >= at:
                state = False
            elif kind == "last_affected" and v > at:
                state = False
        hit = hit or state
    out.append(hit)
print(json.dumps(out))
"#;

fn ranges_cover(python: &Path, questions: &[Value]) -> Vec<bool> {
    let mut child = std::process::Command::new(python)
        .args(["-c", RANGE_ORACLE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::to_vec(questions).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "python packaging range oracle failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

type Key = (String, String, String, String);

#[test]
fn pip_audit_agrees_on_the_same_pypi_advisories() {
    let Some(zip) = shared("feeds/osv/PyPI/all.zip") else {
        return;
    };
    let Some(pip_audit) = pip_audit() else {
        missing("pip-audit is not installed (pip install pip-audit, or set CAULK_PIP_AUDIT)");
        return;
    };
    let python = pip_audit.with_file_name("python");
    if !python.is_file() {
        missing(&format!(
            "{} has no python beside it (for the packaging range oracle)",
            pip_audit.display()
        ));
        return;
    }
    let v = std::process::Command::new(&pip_audit)
        .arg("--version")
        .output()
        .unwrap();
    eprintln!(
        "peer: {} ({})",
        String::from_utf8_lossy(&v.stdout).trim(),
        pip_audit.display()
    );
    let records = read_zip_records(&zip);
    let by_id: BTreeMap<String, &Value> = records
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();

    // caulk's database: a mirror holding only the PyPI feed.
    let db = import_feeds(t, &[("PyPI", &zip)]);

    // The requirements files.
    let picks = picks(&records);
    let reqs = t.join("reqs");
    let mut pinned = 0;
    for round in 0..ROUNDS {
        let dir = reqs.join(format!("r{round}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::from("# pinned by crates/cli/tests/scan_peers_pypi.rs\n");
        for (name, versions) in &picks {
            if let Some(v) = versions.get(round) {
                let spelled = if round == 1 {
                    respell(name)
                } else {
                    name.clone()
                };
                text.push_str(&format!("{spelled}=={v}\n"));
                pinned += 1;
            }
        }
        std::fs::write(dir.join("requirements.txt"), text).unwrap();
    }

    // pip-audit against the loopback OSV API.
    let server = OsvServer::start(&records);
    let mut audit: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    let mut dependencies = 0;
    for round in 0..ROUNDS {
        let label = format!("r{round}");
        let mut cmd = std::process::Command::new(&pip_audit);
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env_remove(var);
        }
        let out = cmd
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .env("HOME", t)
            .env("PIP_NO_INPUT", "1")
            .arg("-r")
            .arg(reqs.join(&label).join("requirements.txt"))
            .args(["--no-deps", "--disable-pip", "-s", "osv", "--osv-url"])
            .arg(&server.url)
            .args(["-f", "json", "--progress-spinner", "off", "--timeout", "60"])
            .arg("--cache-dir")
            .arg(t.join("pip-audit-cache"))
            .output()
            .unwrap();
        // 0: nothing found, 1: vulnerabilities found.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "pip-audit {label}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "pip-audit JSON {label}: {e}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        for d in r["dependencies"].as_array().unwrap() {
            dependencies += 1;
            assert!(
                d.get("skip_reason").is_none(),
                "pip-audit skipped a dependency: {d}"
            );
            let name = pep503(d["name"].as_str().unwrap());
            let version = d["version"].as_str().unwrap().to_string();
            for v in d["vulns"].as_array().unwrap() {
                let mut ids: BTreeSet<String> = v["aliases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect();
                let id = v["id"].as_str().unwrap().to_string();
                ids.insert(id.clone());
                audit.insert((label.clone(), name.clone(), version.clone(), id), ids);
            }
        }
    }
    let served = std::mem::take(&mut *server.served.lock().unwrap());
    assert!(served.bad.is_empty(), "bad requests: {:?}", served.bad);
    assert_eq!(dependencies, pinned, "pip-audit read every pin");
    assert_eq!(
        served.queries.len(),
        pinned,
        "pip-audit asked the loopback API once per pin"
    );

    // caulk on the same files.
    let report = common::scan_path_json(&reqs, &db, "2026-11-27");
    assert_eq!(report["summary"]["packages"], pinned);
    let mut caulk: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let file = f["package"]["file"].as_str().unwrap();
        let label = parent_dir_name(file);
        let ids = finding_ids(f);
        for a in f["advisory_ids"].as_array().unwrap() {
            caulk.insert(
                (
                    label.clone(),
                    pep503(f["package"]["name"].as_str().unwrap()),
                    f["package"]["version"].as_str().unwrap().to_string(),
                    a.as_str().unwrap().to_string(),
                ),
                ids.clone(),
            );
        }
    }

    // Compare.
    let mut unexplained = Vec::new();
    let mut agreed = 0;
    for (k, pa_ids) in &audit {
        match caulk.get(k) {
            None => unexplained.push(format!("only pip-audit {k:?}")),
            Some(ours) => {
                agreed += 1;
                let lost: Vec<&String> = pa_ids.difference(ours).collect();
                if !lost.is_empty() {
                    unexplained.push(format!("{k:?}: pip-audit ids {lost:?} not among {ours:?}"));
                }
            }
        }
    }
    // Only caulk: ask python `packaging` whether the record's ranges cover the version.
    let only_caulk: Vec<&Key> = caulk.keys().filter(|k| !audit.contains_key(*k)).collect();
    let questions: Vec<Value> = only_caulk
        .iter()
        .map(|(_, name, version, adv)| {
            let ranges: Vec<Vec<(String, String)>> = by_id
                .get(adv)
                .map(|r| entries_for(r, name))
                .unwrap_or_default()
                .iter()
                .flat_map(|a| a["ranges"].as_array().into_iter().flatten())
                .filter(|r| r["type"] == "ECOSYSTEM")
                .map(|r| {
                    r["events"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e.as_object()?.iter().next())
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect()
                })
                .collect();
            json!({ "version": version, "ranges": ranges })
        })
        .collect();
    let covered = if questions.is_empty() {
        Vec::new()
    } else {
        ranges_cover(&python, &questions)
    };
    let mut reasons: BTreeMap<&str, Vec<&Key>> = BTreeMap::new();
    for (k, cov) in only_caulk.iter().zip(&covered) {
        let (_, name, version, adv) = k;
        let Some(r) = by_id.get(adv) else {
            unexplained.push(format!("only caulk {k:?}: no such record"));
            continue;
        };
        let entries = entries_for(r, name);
        let has_list = entries
            .iter()
            .any(|a| a["versions"].as_array().is_some_and(|vs| !vs.is_empty()));
        let listed = entries.iter().any(|a| lists(a, version));
        let why = match (*cov, has_list, listed) {
            (true, false, _) => {
                "the record enumerates no versions (the API cannot match it); its ECOSYSTEM range covers the version"
            }
            (true, true, false) => {
                "the record's ECOSYSTEM range covers the version but its `versions` list omits it"
            }
            _ => {
                unexplained.push(format!(
                    "only caulk {k:?} (packaging: range covers = {cov}, listed = {listed})"
                ));
                continue;
            }
        };
        reasons.entry(why).or_default().push(k);
    }
    assert_eq!(covered.len(), only_caulk.len());

    eprintln!(
        "{pinned} pins in {ROUNDS} files ({} packages) · pip-audit {} (package, advisory) pairs · caulk {} · agreed {agreed} · withdrawn records served and dropped by pip-audit: {}",
        picks.len(),
        audit.len(),
        caulk.len(),
        served.withdrawn
    );
    for (why, keys) in &reasons {
        eprintln!(
            "explained, only caulk: {} × {why}, e.g. {:?}",
            keys.len(),
            &keys[..keys.len().min(4)]
        );
    }
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    assert!(agreed > 3000, "{agreed}");
}
