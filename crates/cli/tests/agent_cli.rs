//! `caulk agent` against a real `caulk server` on loopback, both as processes: enrolment
//! with a token made over the API, the credential file, the inventory sent only when its
//! hash changed, the history's diff, a used-up token, and an agent credential refused where
//! an API token is wanted.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod fleet;

use fleet::*;

/// A root the agent and `caulk inventory` read: the Debian 12 host snapshot's dpkg status
/// and os-release in their places.
fn make_root(root: &Path, host: &Path) {
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy(host.join("dpkg-status"), root.join("var/lib/dpkg/status")).unwrap();
    std::fs::copy(host.join("os-release"), root.join("etc/os-release")).unwrap();
}

fn agent(server: &Server, root: &Path, state: &Path, token: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caulk"));
    cmd.args(["agent", "--once", "--hostname", "deb12-test", "--server"])
        .arg(format!("http://{}", server.addr))
        .arg("--root")
        .arg(root)
        .arg("--state-dir")
        .arg(state)
        .env_remove("CAULK_ENROLL_TOKEN")
        .env("HOME", state.parent().unwrap())
        .env("CAULK_CACHE_DIR", state.parent().unwrap().join("cache"));
    if let Some(t) = token {
        cmd.args(["--enroll-token", t]);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
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

/// Packages as comparable values (the fields the inventory format gives).
fn packages(inv: &Value) -> Vec<Value> {
    let mut v = inv["packages"].as_array().unwrap().clone();
    v.sort_by_key(|p| p.to_string());
    v
}

fn inventory_of(root: &Path, home: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args(["inventory", "--format", "json", "--root"])
        .arg(root)
        .env("HOME", home)
        .env("CAULK_CACHE_DIR", home.join("cache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn history(dir: &Path, host: i64) -> Vec<caulk_store::InventoryEvent> {
    with_store(dir, async |s| {
        s.inventory_history(caulk_store::HostId(host), 10)
            .await
            .unwrap()
    })
}

/// Change the version of the first package of a dpkg status file; its name and both
/// versions.
fn bump_one_version(status: &Path) -> (String, String, String) {
    let text = std::fs::read_to_string(status).unwrap();
    let mut name = String::new();
    let mut out = String::new();
    let mut done = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("Package: ") {
            name = n.to_string();
        }
        match line.strip_prefix("Version: ") {
            Some(v) if done.is_none() => {
                let new = format!("{v}+caulk1");
                out.push_str(&format!("Version: {new}\n"));
                done = Some((name.clone(), v.to_string(), new));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    std::fs::write(status, out).unwrap();
    done.unwrap()
}

#[test]
fn an_agent_enrols_reports_its_inventory_and_sends_it_again_only_when_it_changed() {
    let Some(host_data) = caulk_testkit::data("debian/bookworm-host") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    let root = tmp.path().join("root");
    let state = tmp.path().join("agent/state");
    make_root(&root, &host_data);
    let server = Server::start(&dir, Some(BOOTSTRAP));
    let token = enrolment_token(&server, 1);

    // First run: enrols, writes the credential, sends the inventory.
    let out = agent(&server, &root, &state, Some(&token));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("enrolled as host") && stderr(&out).contains("inventory sent"),
        "{}",
        stderr(&out)
    );
    let cred_path = state.join("credential");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cred_path), 0o600);
        assert_eq!(mode(&state), 0o700);
    }
    let credential = std::fs::read_to_string(&cred_path)
        .unwrap()
        .trim()
        .to_string();
    assert!(
        !stderr(&out).contains(&credential),
        "the credential was printed"
    );

    let (status, page) = server.request("GET", "/api/v1/hosts", Some(BOOTSTRAP), None);
    assert_eq!(status, 200, "{page}");
    let hosts = page["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{page}");
    assert_eq!(hosts[0]["hostname"], "deb12-test");
    assert_eq!(hosts[0]["ecosystem"], "Debian:12");
    let id = hosts[0]["id"].as_i64().unwrap();

    let inv_path = format!("/api/v1/hosts/{id}/inventory");
    let (status, stored) = server.request("GET", &inv_path, Some(BOOTSTRAP), None);
    assert_eq!(status, 200, "{stored}");
    let local = inventory_of(&root, tmp.path());
    assert!(packages(&local).len() > 100);
    assert_eq!(packages(&stored), packages(&local));
    assert_eq!(stored["host"]["os"], local["host"]["os"]);
    assert_eq!(history(&dir, id).len(), 1);

    // Second run, same root: the hash is the stored one, nothing is sent.
    let out = agent(&server, &root, &state, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("inventory unchanged"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        history(&dir, id).len(),
        1,
        "an unchanged check-in made history"
    );

    // One version changed: the third run sends it and the history has the diff.
    let (name, old, new) = bump_one_version(&root.join("var/lib/dpkg/status"));
    let out = agent(&server, &root, &state, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("inventory sent"), "{}", stderr(&out));
    let events = history(&dir, id);
    assert_eq!(events.len(), 2);
    let last = &events[0];
    assert!(last.added.is_empty() && last.removed.is_empty(), "{last:?}");
    assert_eq!(last.changed.len(), 1, "{last:?}");
    let (before, after) = &last.changed[0];
    assert_eq!(
        (&before.name, &before.version, &after.version),
        (&name, &old, &new)
    );

    // The token had one use: a second agent is refused, clearly.
    let other_state = tmp.path().join("agent2/state");
    let out = agent(&server, &root, &other_state, Some(&token));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refused the enrolment token"),
        "{}",
        stderr(&out)
    );
    assert!(!other_state.join("credential").exists());

    // An agent credential is not an API token, nor an API token an agent credential.
    let (status, body) = server.request("GET", "/api/v1/hosts", Some(&credential), None);
    assert_eq!(status, 401, "{body}");
    let (status, body) = server.request(
        "POST",
        "/api/v1/agent/check-in",
        Some(BOOTSTRAP),
        Some(&format!(r#"{{"inventory_hash": "{}"}}"#, "0".repeat(64))),
    );
    assert_eq!(status, 401, "{body}");
    // The credential itself works there; a bad hash is a 422 naming the field.
    let (status, body) = server.request(
        "POST",
        "/api/v1/agent/check-in",
        Some(&credential),
        Some(&format!(r#"{{"inventory_hash": "{}"}}"#, "0".repeat(64))),
    );
    assert_eq!(
        (status, &body),
        (200, &serde_json::json!({"changed": true}))
    );
    let (status, body) = server.request(
        "POST",
        "/api/v1/agent/check-in",
        Some(&credential),
        Some(r#"{"inventory_hash": "xyz"}"#),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("inventory_hash")
    );
    // An inventory of a format this server does not read is refused.
    let (status, body) = server.request(
        "PUT",
        "/api/v1/agent/inventory",
        Some(&credential),
        Some(r#"{"format_version": 99, "host": {}, "packages": []}"#),
    );
    assert_eq!(status, 422, "{body}");
    // Bad bodies get the JSON extractor's answers (read again by it: the bad field is
    // named); a plain `application/json` body that parses is read once.
    let json: &[&str] = &["Content-Type: application/json"];
    let cases: [(&str, &[&str], u16, &str); 5] = [
        (
            r#"{"format_version": 1, "host": {}, "packages": [{"name": 5}]}"#,
            json,
            422,
            "packages[0]",
        ),
        (r#"{"format_version": 1, "host": {"#, json, 400, "JSON"),
        (
            r#"{"format_version": 1, "host": {}, "packages": []} x"#,
            json,
            400,
            "trailing characters",
        ),
        (
            r#"{"format_version": 1, "host": {}, "packages": []}"#,
            &[],
            415,
            "Content-Type",
        ),
        (
            r#"{"format_version": 1, "host": {}, "packages": []}"#,
            &["Content-Type: application/json; charset=utf-8"],
            200,
            "",
        ),
    ];
    for (body, headers, want, says) in cases {
        let (status, answer) = server
            .try_request(
                "PUT",
                "/api/v1/agent/inventory",
                Some(&credential),
                Some(body),
                headers,
            )
            .unwrap();
        assert_eq!(status, want, "{body}: {answer}");
        if want != 200 {
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(message.contains(says), "{body}: {message}");
        }
    }
    server.stop("-TERM");
}

#[test]
fn an_agent_without_a_credential_or_a_token_says_how_to_enrol() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let server = Server::start(&dir, Some(BOOTSTRAP));
    let out = agent(&server, &root, &tmp.path().join("agent/state"), None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--enroll-token"), "{}", stderr(&out));
    server.stop("-TERM");
}

/// Without `--once`: the first cycle fails (no server listens yet), its report is spooled
/// and the cycle retried after a backoff; once the server is there the spooled report and
/// the inventory arrive; SIGTERM stops the loop with exit 0.
#[test]
fn a_looping_agent_retries_a_failed_cycle_and_stops_on_sigterm() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let Some(host_data) = caulk_testkit::data("debian/bookworm-host") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    let root = tmp.path().join("root");
    let state = tmp.path().join("agent/state");
    make_root(&root, &host_data);
    let server = Server::start(&dir, Some(BOOTSTRAP));
    let token = enrolment_token(&server, 1);
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    // First against a port nobody listens on: a failed cycle, retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let start = |url: String| {
        Command::new(env!("CARGO_BIN_EXE_caulk"))
            .args([
                "agent",
                "--interval",
                "1h",
                "--hostname",
                "looper",
                "--server",
            ])
            .arg(url)
            .arg("--root")
            .arg(&root)
            .arg("--state-dir")
            .arg(&state)
            .args(["--enroll-token", &token])
            .env("HOME", tmp.path())
            .env("CAULK_CACHE_DIR", tmp.path().join("cache"))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // stderr is read as it comes, so the test waits for what it needs, not a guessed time.
    let watch = |child: &mut std::process::Child| {
        let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        out
    };
    let stop = |mut child: std::process::Child| {
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            assert!(Instant::now() < deadline, "caulk agent ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "caulk agent exited with {status}");
    };
    let mut failing = start(format!("http://{closed_addr}"));
    let err = watch(&mut failing);
    // The retry comes 5–10 s later: SIGTERM during the backoff.
    wait("the first cycle never failed", &|| {
        err.lock().unwrap().contains("next attempt in")
    });
    stop(failing);
    assert!(
        err.lock().unwrap().contains("report not delivered"),
        "{}",
        err.lock().unwrap()
    );
    assert!(!state.join("credential").exists());
    let spooled = std::fs::read_dir(state.join("spool")).unwrap().count();
    assert_eq!(spooled, 1, "{}", err.lock().unwrap());

    // Then against the server: enrols, sends, and sleeps its interval until SIGTERM.
    let mut agent = start(format!("http://{}", server.addr));
    let err = watch(&mut agent);
    let hosts = || {
        let (_, page) = server.request("GET", "/api/v1/hosts", Some(BOOTSTRAP), None);
        page["hosts"].as_array().cloned().unwrap_or_default()
    };
    wait("the looping agent's inventory never arrived", &|| {
        hosts()
            .first()
            .is_some_and(|h| h["inventory_at"].is_string())
    });
    // The spooled report (the same inventory) goes first; this cycle's finds it there.
    wait("the agent never said it delivered", &|| {
        let e = err.lock().unwrap();
        e.contains("spooled report delivered") && e.contains("inventory unchanged")
    });
    assert!(
        !state
            .join("spool")
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().ends_with(".json") })
    );
    stop(agent);
    server.stop("-TERM");
}
