//! `caulk token create`, `caulk user add`, `caulk audit verify` on a SQLite fleet database:
//! a token is printed once and stored as a hash, every change is in the audit chain, and a
//! tampered entry is named.

#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

fn caulk(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("caulk").unwrap();
    c.current_dir(dir)
        .env("HOME", dir)
        .env("USER", "alice")
        .env_remove("XDG_DATA_HOME")
        .env_remove("CAULK_DATABASE");
    c
}

#[test]
fn tokens_users_and_the_audit_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let url = format!("sqlite:{}", d.join("fleet.db").display());

    let out = caulk(d)
        .args([
            "token",
            "create",
            "--role",
            "admin",
            "--name",
            "ops",
            "--expires-in",
            "90d",
        ])
        .args(["--database", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    let token = token.trim();
    assert!(token.starts_with("caulk_api_"), "{token}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not shown again"),
        "the secret is said to be shown once"
    );
    // Stored as a hash only: the secret part appears nowhere in the database files.
    let secret = token.rsplit('_').next().unwrap();
    for f in std::fs::read_dir(d).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the token is stored in clear"
        );
    }

    caulk(d)
        .args([
            "user",
            "add",
            "bob",
            "--role",
            "auditor",
            "--database",
            &url,
        ])
        .write_stdin("correct horse battery staple\n")
        .assert()
        .success();
    caulk(d)
        .args([
            "user",
            "add",
            "bob",
            "--role",
            "auditor",
            "--database",
            &url,
        ])
        .write_stdin("again\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bob"));
    caulk(d)
        .args([
            "user",
            "add",
            "carol",
            "--role",
            "admin",
            "--database",
            &url,
        ])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no password"));
    caulk(d)
        .args(["token", "create", "--role", "admin", "--expires-in", "soon"])
        .args(["--database", &url])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--expires-in"));

    let ok = caulk(d)
        .args(["audit", "verify", "--database", &url])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let text = String::from_utf8(ok.stdout).unwrap();
    assert!(text.contains("2 entries, chain intact"), "{text}");

    // Tamper with the first entry (who did it): the chain names it.
    rusqlite::Connection::open(d.join("fleet.db"))
        .unwrap()
        .execute_batch("UPDATE audit SET actor = 'cli:mallory' WHERE seq = 1;")
        .unwrap();
    let bad = caulk(d)
        .args(["audit", "verify", "--database", &url])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8(bad.stdout).unwrap();
    assert!(text.contains("broken at entry 1"), "{text}");

    // A PostgreSQL password is never shown: not in an error, not in --help.
    let out = caulk(d)
        .args(["audit", "verify"])
        .args(["--database", "postgres://caulk:hunter2@127.0.0.1:1/caulk"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("caulk:***@127.0.0.1:1") && !err.contains("hunter2"),
        "{err}"
    );
    let help = caulk(d)
        .env("CAULK_DATABASE", "postgres://caulk:hunter2@db/caulk")
        .args(["audit", "verify", "--help"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&help.stdout).contains("hunter2"));
}
