//! The fleet server as a real process, for the CLI tests that drive it (`server_cli.rs`,
//! `agent_cli.rs`): started on port 0 (its first stdout line says where it listens), driven
//! over HTTP/1.1 from a plain TCP socket (so a test can send headers without a body),
//! stopped by SIGTERM or SIGINT and required to exit 0.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BOOTSTRAP: &str =
    "caulk_api_0_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// A running `caulk server`; killed (SIGKILL) if a test fails before stopping it.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Serves HTTPS (`--tls-cert`): [`Server::request`] (plain HTTP) cannot drive it.
    pub tls: bool,
}

impl Server {
    pub fn start(data_dir: &Path, bootstrap: Option<&str>) -> Server {
        Server::start_with(data_dir, bootstrap, &[])
    }

    pub fn start_with(data_dir: &Path, bootstrap: Option<&str>, args: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_caulk"));
        cmd.args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env("HOME", data_dir)
            .env_remove("XDG_DATA_HOME")
            .env_remove("CAULK_DATABASE")
            .env_remove("CAULK_FEEDS")
            .env_remove("CAULK_FEEDS_URL")
            .env_remove("CAULK_BOOTSTRAP_ADMIN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(t) = bootstrap {
            cmd.env("CAULK_BOOTSTRAP_ADMIN_TOKEN", t);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let line = line.trim();
        let (tls, addr) = match line.strip_prefix("listening on https://") {
            Some(a) => (true, a),
            None => (
                false,
                line.strip_prefix("listening on http://")
                    .unwrap_or_else(|| panic!("first line: {line:?}")),
            ),
        };
        let addr = addr.parse().unwrap();
        let s = Server { child, addr, tls };
        if tls {
            // The line comes once the store is open and the socket listens.
            return s;
        }
        // An import of a feed mirror on start takes a while in a debug build.
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok((200, body)) = s.try_request("GET", "/healthz", None, None, &[]) {
                assert_eq!(body["status"], "ok", "{body}");
                break;
            }
            assert!(Instant::now() < deadline, "/healthz never answered 200");
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[&str],
    ) -> std::io::Result<(u16, Value)> {
        let mut s = TcpStream::connect(self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(20)))?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for h in headers {
            req.push_str(h);
            req.push_str("\r\n");
        }
        if let Some(b) = body {
            req.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        if let Some(b) = body {
            req.push_str(b);
        }
        s.write_all(req.as_bytes())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {text}"));
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {body:?}"))
        };
        Ok((status, json))
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let headers: &[&str] = if body.is_some() {
            &["Content-Type: application/json"]
        } else {
            &[]
        };
        self.try_request(method, path, token, body, headers)
            .unwrap()
    }

    /// Send `signal` and require a clean exit (0) within 20 s.
    pub fn stop(mut self, signal: &str) {
        let pid = self.child.id().to_string();
        let st = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(st.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                assert!(st.success(), "caulk server exited with {st} after {signal}");
                return;
            }
            assert!(Instant::now() < deadline, "caulk server ignored {signal}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Server {
    /// SIGKILL, and wait for it to be gone.
    pub fn kill9(mut self) {
        let pid = self.child.id().to_string();
        let st = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(st.success());
        let st = self.child.wait().unwrap();
        assert!(!st.success(), "caulk server exited with {st} after SIGKILL");
    }

    /// A URL of this server.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn db_url(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("caulk.db").display())
}

/// `caulk token create --role ROLE` against the server's database (as an administrator
/// does beside a running server).
pub fn create_token(dir: &Path, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_caulk"))
        .args([
            "token",
            "create",
            "--role",
            role,
            "--name",
            role,
            // The server's data directory names its database, as `caulk server` reads it.
            "--data-dir",
        ])
        .arg(dir)
        .env("HOME", dir)
        .env("USER", "test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// What the API cannot do yet (create hosts, revoke tokens), done on the store directly.
pub fn with_store<T>(dir: &Path, f: impl AsyncFnOnce(&caulk_store::Store) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = caulk_store::Store::open(&db_url(dir)).await.unwrap();
        let out = f(&s).await;
        s.close().await;
        out
    })
}

pub fn admin_actor() -> caulk_store::Actor {
    caulk_store::Actor::new("test", None)
}

pub fn create_host(dir: &Path, name: &str) -> i64 {
    with_store(dir, async |s| {
        let h = caulk_store::NewHost {
            hostname: name.into(),
            ..Default::default()
        };
        s.create_host(&admin_actor(), &h, jiff::Timestamp::now())
            .await
            .unwrap()
            .id
            .0
    })
}
