//! `caulk server --tls-cert/--tls-key` and `caulk agent --ca` as real processes, with a real
//! TLS handshake on loopback: a CA and the server's certificate are made by the test (rcgen);
//! the agent trusts the pinned CA only, so a server certified by another CA is refused with
//! an error naming the certificate problem; plain HTTP leaves loopback only when asked.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

mod fleet;

use fleet::*;

/// A CA's PEM, and the server's certificate chain and key files signed by it.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path, name: &str) -> Pki {
    std::fs::create_dir_all(dir).unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{name} test CA"));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let p = Pki {
        ca: dir.join(format!("{name}-ca.pem")),
        cert: dir.join(format!("{name}-server.pem")),
        key: dir.join(format!("{name}-server.key")),
    };
    std::fs::write(&p.ca, ca.pem()).unwrap();
    std::fs::write(&p.cert, format!("{}{}", leaf.pem(), ca.pem())).unwrap();
    std::fs::write(&p.key, leaf_key.serialize_pem()).unwrap();
    p
}

fn make_root(root: &Path) {
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\n\
         Version: 3.0.11-1~deb12u2\n\nPackage: bash\nStatus: install ok installed\n\
         Architecture: amd64\nVersion: 5.2.15-2+b2\n",
    )
    .unwrap();
}

fn agent(url: &str, root: &Path, state: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args(["agent", "--once", "--hostname", "tls-host", "--server", url])
        .arg("--root")
        .arg(root)
        .arg("--state-dir")
        .arg(state)
        .args(extra)
        .env_remove("CAULK_ENROLL_TOKEN")
        .env("HOME", state.parent().unwrap())
        .env("CAULK_CACHE_DIR", state.parent().unwrap().join("cache"))
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn enrolment_token(dir: &Path) -> String {
    with_store(dir, async |s| {
        let now = jiff::Timestamp::now();
        s.create_enrolment_token(
            &admin_actor(),
            "tls",
            5,
            now + jiff::SignedDuration::from_hours(1),
            now,
        )
        .await
        .unwrap()
        .token
    })
}

#[test]
fn an_agent_reports_over_https_to_a_server_of_its_pinned_ca_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    let good = pki(&tmp.path().join("pki"), "good");
    let other = pki(&tmp.path().join("pki"), "other");
    let root = tmp.path().join("root");
    make_root(&root);
    let server = Server::start_with(
        &dir,
        Some(BOOTSTRAP),
        &[
            "--tls-cert",
            good.cert.to_str().unwrap(),
            "--tls-key",
            good.key.to_str().unwrap(),
        ],
    );
    assert!(server.tls, "the server did not say https://");
    let url = server.url();
    let token = enrolment_token(&dir);

    // Another CA pinned: the handshake fails, the error names the certificate problem,
    // and nothing is enrolled (the token is not spent).
    let state_wrong = tmp.path().join("wrong/state");
    let out = agent(
        &url,
        &root,
        &state_wrong,
        &["--ca", other.ca.to_str().unwrap(), "--enroll-token", &token],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("invalid peer certificate") && stderr(&out).contains("UnknownIssuer"),
        "{}",
        stderr(&out)
    );
    assert!(!state_wrong.join("credential").exists());
    // The system's roots do not know the test CA either.
    let out = agent(
        &url,
        &root,
        &tmp.path().join("system/state"),
        &["--enroll-token", &token],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("certificate"), "{}", stderr(&out));
    // Plain HTTP to the TLS port is no answer either (and does not upset the server).
    let out = agent(
        &format!("http://{}", server.addr),
        &root,
        &tmp.path().join("plain/state"),
        &["--enroll-token", &token],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // The right CA: enrolled, inventory stored, over TLS.
    let state = tmp.path().join("agent/state");
    let out = agent(
        &url,
        &root,
        &state,
        &["--ca", good.ca.to_str().unwrap(), "--enroll-token", &token],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("enrolled as host") && stderr(&out).contains("inventory sent"),
        "{}",
        stderr(&out)
    );
    let out = agent(&url, &root, &state, &["--ca", good.ca.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("inventory unchanged"),
        "{}",
        stderr(&out)
    );
    let hosts = with_store(&dir, async |s| {
        s.list_hosts(&caulk_store::HostFilter::default(), None, 100)
            .await
            .unwrap()
            .items
    });
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].hostname, "tls-host");
    let inv = with_store(&dir, async |s| s.inventory(hosts[0].id).await.unwrap()).unwrap();
    assert_eq!(inv.packages.len(), 2);
    // The failed attempts spooled their reports (the server was unreachable to them), but
    // only in their own state directories.
    assert!(
        !state.join("spool").exists()
            || std::fs::read_dir(state.join("spool"))
                .unwrap()
                .next()
                .is_none()
    );
    server.stop("-TERM");
}

#[test]
fn plain_http_leaves_loopback_only_when_asked_and_a_ca_needs_https() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    make_root(&root);
    let state = tmp.path().join("agent/state");
    let out = agent("http://192.0.2.10:8080", &root, &state, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refusing plain HTTP") && stderr(&out).contains("--insecure-http"),
        "{}",
        stderr(&out)
    );
    let ca = pki(&tmp.path().join("pki"), "ca").ca;
    let out = agent(
        "http://127.0.0.1:9",
        &root,
        &state,
        &["--ca", ca.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--ca pins"), "{}", stderr(&out));
    // A CA file that holds no certificate is named.
    let out = agent(
        "https://127.0.0.1:9",
        &root,
        &state,
        &["--ca", root.join("etc/os-release").to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("os-release") && stderr(&out).contains("no certificate"),
        "{}",
        stderr(&out)
    );
    // Nothing was collected, enrolled or spooled by a refused configuration.
    assert!(
        !state.exists(),
        "{:?}",
        std::fs::read_dir(&state).map(|d| d.count())
    );
}

#[test]
fn a_server_with_an_unusable_certificate_does_not_start_and_says_which_file() {
    let tmp = tempfile::tempdir().unwrap();
    let good = pki(&tmp.path().join("pki"), "good");
    let other = pki(&tmp.path().join("pki"), "other");
    let run = |cert: &Path, key: &Path| {
        Command::new(env!("CARGO_BIN_EXE_caulk"))
            .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(tmp.path().join("data"))
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .env_remove("CAULK_DATABASE")
            .env_remove("CAULK_BOOTSTRAP_ADMIN_TOKEN")
            .output()
            .unwrap()
    };
    let missing = tmp.path().join("missing.pem");
    let out = run(&missing, &good.key);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("missing.pem"), "{}", stderr(&out));
    // A certificate with another certificate's key.
    let out = run(&good.cert, &other.key);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("other-server.key") && stderr(&out).contains("does not fit"),
        "{}",
        stderr(&out)
    );
    // A key file given as the certificate: no certificate in it.
    let out = run(&good.key, &good.key);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no certificate"), "{}", stderr(&out));
    // --tls-cert without --tls-key is a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args(["server", "--tls-cert"])
        .arg(&good.cert)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--tls-key"), "{}", stderr(&out));
}
