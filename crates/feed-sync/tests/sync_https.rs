//! `sync` over HTTPS on loopback: rustls with the ring provider on both sides (test
//! certificates from rcgen). A second provider in the tree would panic at the first TLS use;
//! an unknown issuer must be a clear per-feed error, not a panic.

use caulk_advisory_db::store::Store;
use caulk_feed_sync::fetch::{HttpOptions, Retry};
use caulk_feed_sync::sync::{self, FeedOutcome, PublicUrls, Selection, Source, SyncOptions};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

struct Tls {
    ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

/// A CA and a leaf for 127.0.0.1 signed by it.
fn certificates() -> Tls {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("leaf params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone(), CertificateDer::from(ca.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .expect("server config");
    Tls {
        ca_pem: ca.pem(),
        config: Arc::new(config),
    }
}

/// Serve `files` (path → body) over HTTPS until the test ends; returns the base URL.
fn serve(config: Arc<rustls::ServerConfig>, files: Vec<(&'static str, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let files = Arc::new(files);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let (config, files) = (config.clone(), files.clone());
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let path = {
                    let mut r = BufReader::new(&mut tls);
                    let mut line = String::new();
                    if r.read_line(&mut line).is_err() {
                        return; // handshake refused by the client
                    }
                    loop {
                        let mut h = String::new();
                        match r.read_line(&mut h) {
                            Ok(0) | Err(_) => break,
                            Ok(_) if h.trim().is_empty() => break,
                            Ok(_) => {}
                        }
                    }
                    line.split_whitespace().nth(1).unwrap_or("").to_string()
                };
                let body = files
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, b)| b.clone());
                let head = match &body {
                    Some(b) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        b.len()
                    ),
                    None => {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_string()
                    }
                };
                let _ = tls.write_all(head.as_bytes());
                if let Some(b) = body {
                    let _ = tls.write_all(&b);
                }
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    format!("https://{addr}")
}

fn osv_zip() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("GHSA-tls1-0000-0000.json", opts)
        .expect("start");
    w.write_all(
        br#"{"id":"GHSA-tls1-0000-0000","modified":"2024-01-01T00:00:00Z",
        "affected":[{"package":{"ecosystem":"crates.io","name":"rustls"},
        "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.23.0"}]}]}]}"#,
    )
    .expect("write");
    w.finish().expect("finish").into_inner()
}

fn options(base: &str, db: std::path::PathBuf) -> SyncOptions {
    let mut o = SyncOptions::new(
        db,
        Source::Public(PublicUrls {
            osv_base: format!("{base}/osv"),
            kev: format!("{base}/kev.json"),
            epss: format!("{base}/epss.csv.gz"),
        }),
    );
    o.selection = Selection::Ecosystems(vec!["crates.io".into()]);
    o.http = HttpOptions {
        retry: Retry {
            attempts: 1,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
        },
        ..HttpOptions::default()
    };
    o
}

#[test]
fn sync_over_https_with_the_ring_provider() {
    let tls = certificates();
    let base = serve(
        tls.config.clone(),
        vec![
            ("/osv/crates.io/all.zip", osv_zip()),
            ("/kev.json", br#"{"vulnerabilities":[]}"#.to_vec()),
        ],
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("advisories.db");

    // Trusting the test CA: the zip and KEV come through; EPSS is absent (404).
    let mut o = options(&base, db.clone());
    o.http.roots_pem = vec![tls.ca_pem.clone().into_bytes()];
    let r = sync::run(&o).expect("sync");
    let by = |f: &str| {
        r.feeds
            .iter()
            .find(|x| x.feed == f)
            .expect(f)
            .outcome
            .clone()
    };
    assert!(
        matches!(by("osv/crates.io"), FeedOutcome::Updated { .. }),
        "{:?}",
        r.feeds
    );
    assert!(
        matches!(by("kev"), FeedOutcome::Updated { .. }),
        "{:?}",
        r.feeds
    );
    assert!(
        matches!(by("epss"), FeedOutcome::Failed { .. }),
        "{:?}",
        r.feeds
    );
    let store = Store::open(&db).expect("open");
    assert_eq!(
        store.lookup("crates.io", "rustls").expect("lookup").len(),
        1
    );
    drop(store);

    // Not trusting it (the system roots only): a certificate error per feed, no panic.
    let tmp2 = tempfile::tempdir().expect("tmp");
    let r = sync::run(&options(&base, tmp2.path().join("a.db"))).expect("sync");
    let FeedOutcome::Failed { reason } = &r.feeds[0].outcome else {
        panic!("{:?}", r.feeds)
    };
    assert!(reason.to_lowercase().contains("certificate"), "{reason}");
}
