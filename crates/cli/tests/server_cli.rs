//! `caulk server` as a real process on loopback (`fleet/mod.rs`: started on port 0, driven
//! over HTTP/1.1 from a plain TCP socket, stopped by SIGTERM or SIGINT and required to exit
//! 0).
//!
//! The role table: every route × {admin, operator, auditor, no credential, revoked token,
//! malformed token} → the status it must answer, in one table.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

mod fleet;

use fleet::*;

#[test]
fn every_route_answers_every_role_as_the_table_says() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let server = Server::start(dir, Some(BOOTSTRAP));
    let operator = create_token(dir, "operator");
    let auditor = create_token(dir, "auditor");
    let revoked = create_token(dir, "admin");
    let revoked_id: i64 = revoked.split('_').nth(2).unwrap().parse().unwrap();
    with_store(dir, async |s| {
        s.revoke_api_token(
            &admin_actor(),
            caulk_store::TokenId(revoked_id),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
    });
    let host = create_host(dir, "web-1");

    let enrol = r#"{"max_uses": 3, "expires_in": "24h"}"#;
    let host_path = format!("/api/v1/hosts/{host}");
    let inventory_path = format!("/api/v1/hosts/{host}/inventory");
    let findings_path = format!("/api/v1/hosts/{host}/findings");
    let history_path = format!("/api/v1/hosts/{host}/history");
    // A well-formed enrolment token the store never issued: refused whoever asks (an API
    // token is not an enrolment token).
    let enroll = format!(
        r#"{{"enrollment_token": "caulk_enr_999_{}", "hostname": "x"}}"#,
        "0".repeat(64)
    );
    let check_in = format!(r#"{{"inventory_hash": "{}"}}"#, "0".repeat(64));
    // route, body → admin, operator, auditor, no credential, revoked, malformed
    let table: &[(&str, &str, Option<&str>, [u16; 6])] = &[
        ("GET", "/healthz", None, [200, 200, 200, 200, 200, 200]),
        ("GET", "/api/v1/hosts", None, [200, 200, 200, 401, 401, 401]),
        ("GET", &host_path, None, [200, 200, 200, 401, 401, 401]),
        (
            "GET",
            "/api/v1/hosts/999999",
            None,
            [404, 404, 404, 401, 401, 401],
        ),
        (
            "POST",
            "/api/v1/enrollment-tokens",
            Some(enrol),
            [201, 201, 403, 401, 401, 401],
        ),
        ("GET", "/api/v1/audit", None, [200, 403, 200, 401, 401, 401]),
        // The host has no inventory yet.
        ("GET", &inventory_path, None, [404, 404, 404, 401, 401, 401]),
        (
            "GET",
            "/api/v1/hosts/999999/inventory",
            None,
            [404, 404, 404, 401, 401, 401],
        ),
        ("GET", &findings_path, None, [404, 404, 404, 401, 401, 401]),
        (
            "DELETE",
            "/api/v1/hosts/999999",
            None,
            [404, 403, 403, 401, 401, 401],
        ),
        ("GET", &history_path, None, [200, 200, 200, 401, 401, 401]),
        (
            "GET",
            "/api/v1/tokens",
            None,
            [200, 403, 403, 401, 401, 401],
        ),
        (
            "POST",
            "/api/v1/tokens",
            Some(r#"{"name": "ci", "role": "auditor", "expires_in": "1h"}"#),
            [201, 403, 403, 401, 401, 401],
        ),
        (
            "DELETE",
            "/api/v1/tokens/424242",
            None,
            [404, 403, 403, 401, 401, 401],
        ),
        (
            "GET",
            "/api/v1/enrollment-tokens",
            None,
            [200, 200, 403, 401, 401, 401],
        ),
        (
            "DELETE",
            "/api/v1/enrollment-tokens/424242",
            None,
            [404, 404, 403, 401, 401, 401],
        ),
        (
            "PATCH",
            &host_path,
            Some(r#"{"owner": "ops"}"#),
            [200, 200, 403, 401, 401, 401],
        ),
        (
            "GET",
            "/api/v1/remediations",
            None,
            [200, 200, 200, 401, 401, 401],
        ),
        // This server has no advisory database (no --feeds): 503 once authenticated.
        (
            "GET",
            "/api/v1/vulnerabilities/CVE-2024-0001",
            None,
            [503, 503, 503, 401, 401, 401],
        ),
        ("POST", "/api/v1/enroll", Some(enroll.as_str()), [401; 6]),
        // Agent routes take an agent credential only (agent_cli.rs uses a real one).
        (
            "POST",
            "/api/v1/agent/check-in",
            Some(check_in.as_str()),
            [401; 6],
        ),
        ("PUT", "/api/v1/agent/inventory", Some("{}"), [401; 6]),
        (
            "GET",
            "/api/v1/openapi.json",
            None,
            [200, 200, 200, 401, 401, 401],
        ),
        (
            "POST",
            "/api/v1/advisories/sync",
            None,
            [409, 403, 403, 401, 401, 401],
        ),
        ("GET", "/api/v1/agent/no-such-route", None, [401; 6]),
        (
            "GET",
            "/api/v1/no-such-route",
            None,
            [404, 404, 404, 401, 401, 401],
        ),
    ];
    let callers: [(&str, Option<&str>); 6] = [
        ("admin", Some(BOOTSTRAP)),
        ("operator", Some(&operator)),
        ("auditor", Some(&auditor)),
        ("no credential", None),
        ("revoked", Some(&revoked)),
        ("malformed", Some("not-a-token")),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, want) in table {
        for ((who, token), want) in callers.iter().zip(want) {
            let (got, json) = server.request(method, path, *token, *body);
            if got != *want {
                wrong.push(format!(
                    "{method} {path} as {who}: {got}, want {want}: {json}"
                ));
            }
            if got >= 400 {
                let e = &json["error"];
                assert!(
                    e["code"].is_string() && e["message"].is_string(),
                    "{method} {path} as {who}: error body {json}"
                );
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Every route of the table is in the OpenAPI document, with its method, and the
    // document names no route the server does not serve.
    let (_, doc) = server.request("GET", "/api/v1/openapi.json", Some(&auditor), None);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let paths = doc["paths"].as_object().unwrap();
    let template = |p: &str| -> String {
        p.split('/')
            .map(|seg| {
                if seg.parse::<i64>().is_ok() || seg.starts_with("CVE-") {
                    "{id}"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut documented = std::collections::BTreeSet::new();
    for (method, path, _, want) in table {
        if path.contains("no-such-route") {
            continue;
        }
        let t = template(path);
        let op = &paths
            .get(&t)
            .unwrap_or_else(|| panic!("{t} is not in the OpenAPI document"))[method.to_lowercase()];
        assert!(
            op.is_object(),
            "{method} {t} is not in the OpenAPI document"
        );
        // Each status the table expects is documented (200/201/204 and the errors).
        for code in want.iter().filter(|c| **c != 503 || t.contains("vulnerab")) {
            assert!(
                op["responses"][code.to_string()].is_object(),
                "{method} {t}: status {code} is not documented"
            );
        }
        documented.insert((method.to_lowercase(), t));
    }
    for (p, ops) in paths {
        for m in ops.as_object().unwrap().keys() {
            assert!(
                documented.contains(&(m.clone(), p.clone())),
                "{m} {p} is documented but not in the route table"
            );
        }
    }
    server.stop("-TERM");
}

#[test]
fn hosts_page_by_cursor_tokens_are_issued_audited_and_bad_requests_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let server = Server::start(dir, Some(BOOTSTRAP));
    let admin = Some(BOOTSTRAP);
    for n in ["a", "b", "c"] {
        create_host(dir, &format!("host-{n}"));
    }

    // Cursor pagination: 2 + 1, then the end.
    let (st, page) = server.request("GET", "/api/v1/hosts?limit=2", admin, None);
    assert_eq!(st, 200, "{page}");
    let names: Vec<&str> = page["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["host-a", "host-b"]);
    let next = page["next"].as_str().unwrap();
    let (_, page) = server.request(
        "GET",
        &format!("/api/v1/hosts?limit=2&cursor={next}"),
        admin,
        None,
    );
    assert_eq!(page["hosts"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["hosts"][0]["hostname"], "host-c");
    assert!(page["next"].is_null(), "{page}");
    let id = page["hosts"][0]["id"].as_i64().unwrap();
    let (_, h) = server.request("GET", &format!("/api/v1/hosts/{id}"), admin, None);
    assert_eq!(h["hostname"], "host-c");
    assert_eq!(h["criticality"], "medium");

    // An enrolment token, shown once, audited with who and from where.
    let (st, tok) = server.request(
        "POST",
        "/api/v1/enrollment-tokens",
        admin,
        Some(r#"{"max_uses": 5, "expires_in": "7d", "name": "rack-3"}"#),
    );
    assert_eq!(st, 201, "{tok}");
    assert!(
        tok["token"].as_str().unwrap().starts_with("caulk_enr_"),
        "{tok}"
    );
    let (st, audit) = server.request("GET", "/api/v1/audit?limit=1000", admin, None);
    assert_eq!(st, 200, "{audit}");
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries[0]["action"], "api-token.bootstrap", "{audit}");
    let created = entries
        .iter()
        .find(|e| {
            e["target"].as_str()
                == tok["id"]
                    .as_i64()
                    .map(|i| format!("enrolment-token:{i}"))
                    .as_deref()
        })
        .unwrap_or_else(|| panic!("no audit entry for the enrolment token: {audit}"));
    assert_eq!(created["actor"], "token:0");
    assert_eq!(created["address"], "127.0.0.1");
    assert!(
        !audit.to_string().contains(tok["token"].as_str().unwrap()),
        "no secret in the audit log"
    );
    // Audit pages follow each other.
    let (_, p1) = server.request("GET", "/api/v1/audit?limit=1", admin, None);
    let (_, p2) = server.request(
        "GET",
        &format!(
            "/api/v1/audit?limit=1&cursor={}",
            p1["next"].as_str().unwrap()
        ),
        admin,
        None,
    );
    assert_eq!(p2["entries"][0]["seq"], entries[1]["seq"]);

    // Bad requests: a status and an error body each.
    let post = |body: &str| server.request("POST", "/api/v1/enrollment-tokens", admin, Some(body));
    for (body, want) in [
        ("{not json", 400),
        (r#"{"max_uses": "many", "expires_in": "1h"}"#, 422),
        (r#"{"max_uses": 1}"#, 422),
        (r#"{"max_uses": 1, "expires_in": "1h", "extra": true}"#, 422),
        (r#"{"max_uses": 0, "expires_in": "1h"}"#, 422),
        (r#"{"max_uses": 1, "expires_in": "2y"}"#, 422),
        (r#"{"max_uses": 1, "expires_in": "-1h"}"#, 422),
    ] {
        let (st, e) = post(body);
        assert_eq!(st, want, "{body}: {e}");
        assert!(e["error"]["message"].is_string(), "{body}: {e}");
    }
    let (st, e) = server
        .try_request("POST", "/api/v1/enrollment-tokens", admin, Some("{}"), &[])
        .unwrap();
    assert_eq!(st, 415, "no Content-Type: {e}");
    for path in [
        "/api/v1/hosts?cursor=abc",
        "/api/v1/hosts/abc",
        "/api/v1/hosts?bogus=1",
    ] {
        let (st, e) = server.request("GET", path, admin, None);
        assert_eq!(st, 400, "{path}: {e}");
        assert_eq!(e["error"]["code"], "bad_request");
    }
    let (st, e) = server.request("GET", "/api/v1/hosts?limit=5000", admin, None);
    assert_eq!(st, 422, "{e}");

    server.stop("-INT");
}

#[test]
fn a_body_over_the_limit_is_refused_unread() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path(), Some(BOOTSTRAP));
    // 100 MiB declared, not one byte sent: the answer comes at once (the server would wait
    // for the body if it meant to read it), with or without a credential.
    for token in [Some(BOOTSTRAP), None] {
        let started = Instant::now();
        let (st, e) = server
            .try_request(
                "POST",
                "/api/v1/enrollment-tokens",
                token,
                None,
                &[
                    "Content-Type: application/json",
                    "Content-Length: 104857600",
                ],
            )
            .unwrap();
        assert_eq!(st, 413, "{e}");
        assert_eq!(e["error"]["code"], "too_large", "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    // The open enrolment route reads no more than a small JSON body: 100 KiB of it (well
    // under the 64 MiB inventory limit) is 413, not parsed.
    let big = format!(r#"{{"enrollment_token": "{}"}}"#, "x".repeat(100 << 10));
    let (st, e) = server
        .try_request(
            "POST",
            "/api/v1/enroll",
            None,
            Some(&big),
            &["Content-Type: application/json"],
        )
        .unwrap();
    assert_eq!(st, 413, "{e}");
    server.stop("-TERM");

    // A smaller limit, and a body streamed without a length: cut at the limit.
    let server = Server::start_with(tmp.path(), None, &["--body-limit", "1000"]);
    let (st, e) = server
        .try_request(
            "POST",
            "/api/v1/enrollment-tokens",
            Some(BOOTSTRAP),
            None,
            &["Content-Type: application/json", "Content-Length: 1001"],
        )
        .unwrap();
    assert_eq!(st, 413, "{e}");
    let chunk = "a".repeat(2000);
    let chunked = format!(
        "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n",
        chunk.len()
    );
    let (st, e) = server
        .try_request(
            "POST",
            "/api/v1/enrollment-tokens",
            Some(BOOTSTRAP),
            None,
            &["Content-Type: application/json", &chunked],
        )
        .unwrap();
    assert_eq!(st, 413, "{e}");
    assert_eq!(e["error"]["code"], "too_large", "{e}");
    server.stop("-TERM");
}

#[test]
fn the_bootstrap_token_counts_only_on_an_empty_database_and_must_be_well_formed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // Malformed: the server refuses to start and does not echo the secret.
    let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("HOME", dir)
        .env_remove("CAULK_DATABASE")
        .env("CAULK_BOOTSTRAP_ADMIN_TOKEN", "hunter2-secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CAULK_BOOTSTRAP_ADMIN_TOKEN"), "{err}");
    assert!(!err.contains("hunter2-secret"), "{err}");

    // Without any token the API is closed to everyone.
    let server = Server::start(dir, None);
    let (st, _) = server.request("GET", "/api/v1/hosts", Some(BOOTSTRAP), None);
    assert_eq!(st, 401);
    server.stop("-TERM");

    // First start with it: the first admin token; a later start with another is ignored.
    let server = Server::start(dir, Some(BOOTSTRAP));
    assert_eq!(
        server
            .request("GET", "/api/v1/audit", Some(BOOTSTRAP), None)
            .0,
        200
    );
    server.stop("-TERM");
    let other = BOOTSTRAP.replace("00112233", "99999999");
    let server = Server::start(dir, Some(&other));
    assert_eq!(
        server.request("GET", "/api/v1/audit", Some(&other), None).0,
        401
    );
    assert_eq!(
        server
            .request("GET", "/api/v1/audit", Some(BOOTSTRAP), None)
            .0,
        200
    );
    server.stop("-TERM");
}

#[test]
fn tokens_are_created_listed_without_secrets_and_revoked_over_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let server = Server::start(dir, Some(BOOTSTRAP));
    let (st, made) = server.request(
        "POST",
        "/api/v1/tokens",
        Some(BOOTSTRAP),
        Some(r#"{"name": "alice", "role": "admin", "expires_in": "30d"}"#),
    );
    assert_eq!(st, 201, "{made}");
    let alice = made["token"].as_str().unwrap().to_string();
    assert_eq!(made["role"], "admin");
    for bad in [
        r#"{"name": "x", "role": "root"}"#,
        r#"{"name": "x", "role": "admin", "expires_in": "1y"}"#,
        r#"{"name": "", "role": "admin"}"#,
    ] {
        let (st, body) = server.request("POST", "/api/v1/tokens", Some(&alice), Some(bad));
        assert!(st == 422 || st == 400, "{bad}: {st} {body}");
    }
    // The list names every token and shows no secret.
    let (st, list) = server.request("GET", "/api/v1/tokens", Some(&alice), None);
    assert_eq!(st, 200);
    let text = list.to_string();
    assert!(!text.contains(&alice[alice.len() - 64..]) && !text.contains(&BOOTSTRAP[12..]));
    let ids: Vec<i64> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![0, made["id"].as_i64().unwrap()], "{list}");
    // The last admin token that works is never revoked.
    let (st, body) = server.request(
        "POST",
        "/api/v1/tokens",
        Some(BOOTSTRAP),
        Some(r#"{"name": "ops", "role": "operator"}"#),
    );
    assert_eq!(st, 201, "{body}");
    // The bootstrap token is revoked once a real admin exists: refused at once.
    let (st, _) = server.request("DELETE", "/api/v1/tokens/0", Some(&alice), None);
    assert_eq!(st, 204);
    let (st, _) = server.request("GET", "/api/v1/hosts", Some(BOOTSTRAP), None);
    assert_eq!(st, 401);
    let (st, _) = server.request("DELETE", "/api/v1/tokens/0", Some(&alice), None);
    assert_eq!(st, 204, "revoking twice is no error");
    let alice_id = made["id"].as_i64().unwrap();
    let (st, body) = server.request(
        "DELETE",
        &format!("/api/v1/tokens/{alice_id}"),
        Some(&alice),
        None,
    );
    assert_eq!(st, 409, "{body}");
    let (st, _) = server.request("GET", "/api/v1/tokens", Some(&alice), None);
    assert_eq!(st, 200);
    // Enrolment tokens: listed, revoked, audited.
    let (_, enr) = server.request(
        "POST",
        "/api/v1/enrollment-tokens",
        Some(&alice),
        Some(r#"{"max_uses": 2, "expires_in": "1h"}"#),
    );
    let id = enr["id"].as_i64().unwrap();
    let (st, _) = server.request(
        "DELETE",
        &format!("/api/v1/enrollment-tokens/{id}"),
        Some(&alice),
        None,
    );
    assert_eq!(st, 204);
    let (_, list) = server.request("GET", "/api/v1/enrollment-tokens", Some(&alice), None);
    assert!(!list["tokens"][0]["revoked_at"].is_null(), "{list}");
    assert!(
        !list
            .to_string()
            .contains(&enr["token"].as_str().unwrap()[20..])
    );
    let (_, audit) = server.request("GET", "/api/v1/audit?limit=100", Some(&alice), None);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "api-token.create",
        "api-token.revoke",
        "enrolment-token.revoke",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
    server.stop("-TERM");
}
