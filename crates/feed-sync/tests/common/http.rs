//! A small HTTP/1.1 server on loopback for the sync tests: real sockets, real HTTP, one
//! thread per connection, `Connection: close`. It serves byte strings by path, answers
//! conditional requests (ETag / If-Modified-Since) with 304, logs every request, counts
//! connections, and injects faults: a status code, a body cut short (full `Content-Length`,
//! half the bytes, then the connection closed), a stall.
//!
//! Also used by the CLI tests (`#[path]`), so it depends on std only.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a short body.
    Status(u16),
    /// Announce the whole length, send half, close.
    Truncate,
    /// Send the headers, then nothing for this long, then the body.
    Stall(Duration),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub status: u16,
}

#[derive(Debug, Clone)]
struct Resource {
    body: Vec<u8>,
    etag: String,
    last_modified: String,
}

#[derive(Debug, Default)]
struct State {
    files: HashMap<String, Resource>,
    /// Faults per path, used one per request, in order; `always` ones never run out.
    faults: HashMap<String, VecDeque<Fault>>,
    always: HashMap<String, Fault>,
    log: Vec<Logged>,
    version: u64,
}

#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

fn etag_of(body: &[u8], version: u64) -> String {
    // FNV-1a: enough to tell versions apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{:x}-{version}\"", h)
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State::default()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, connections, stop) = (state.clone(), connections.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let state = state.clone();
                    std::thread::spawn(move || {
                        let _ = serve(conn, &state);
                    });
                }
            })
        };
        Server {
            addr,
            state,
            connections,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serve `body` at `path` (`/osv/Debian/all.zip`), with a new ETag and Last-Modified.
    pub fn put(&self, path: &str, body: Vec<u8>) {
        let mut s = self.state.lock().expect("state");
        s.version += 1;
        let v = s.version;
        let etag = etag_of(&body, v);
        // A distinct, valid HTTP date per version.
        let last_modified = format!("Wed, 01 Jan 2025 00:{:02}:{:02} GMT", (v / 60) % 60, v % 60);
        s.files.insert(
            path.to_string(),
            Resource {
                body,
                etag,
                last_modified,
            },
        );
    }

    /// Serve every file under `dir` at its relative path.
    pub fn put_dir(&self, dir: &std::path::Path) {
        fn walk(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(d).expect("read_dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(dir, &mut files);
        files.sort();
        for f in files {
            let rel = f.strip_prefix(dir).expect("under dir");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect::<Vec<_>>()
                .join("/");
            self.put(&format!("/{rel}"), std::fs::read(&f).expect("read"));
        }
    }

    pub fn remove(&self, path: &str) {
        self.state.lock().expect("state").files.remove(path);
    }

    /// The next request to `path` gets `fault` (queued after earlier ones).
    pub fn fault(&self, path: &str, fault: Fault) {
        self.state
            .lock()
            .expect("state")
            .faults
            .entry(path.to_string())
            .or_default()
            .push_back(fault);
    }

    /// Every request to `path` gets `fault`, until `clear_faults`.
    pub fn always(&self, path: &str, fault: Fault) {
        self.state
            .lock()
            .expect("state")
            .always
            .insert(path.to_string(), fault);
    }

    pub fn clear_faults(&self) {
        let mut s = self.state.lock().expect("state");
        s.faults.clear();
        s.always.clear();
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().expect("state").log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().expect("state").log.clear();
    }

    /// Requests logged for `path`.
    pub fn requests(&self, path: &str) -> Vec<Logged> {
        self.log().into_iter().filter(|l| l.path == path).collect()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers: HashMap<String, String> = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    // Drain nothing: GET has no body.
    let _ = reader.get_ref().set_read_timeout(None);
    let path = target.split('?').next().unwrap_or("").to_string();
    let (resource, fault) = {
        let mut s = state
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let fault = s
            .faults
            .get_mut(&path)
            .and_then(VecDeque::pop_front)
            .or_else(|| s.always.get(&path).cloned());
        (s.files.get(&path).cloned(), fault)
    };
    let if_none_match = headers.get("if-none-match").cloned();
    let if_modified_since = headers.get("if-modified-since").cloned();
    let not_modified =
        resource
            .as_ref()
            .is_some_and(|r| match (&if_none_match, &if_modified_since) {
                (Some(inm), _) => inm.split(',').any(|t| t.trim() == r.etag),
                (None, Some(ims)) => *ims == r.last_modified,
                (None, None) => false,
            });
    let status = match (&fault, &resource) {
        (Some(Fault::Status(code)), _) => *code,
        (_, None) => 404,
        (_, Some(_)) if not_modified => 304,
        (_, Some(_)) => 200,
    };
    // Logged before the answer: a test that reads the log after the client is done sees it.
    if let Ok(mut s) = state.lock() {
        s.log.push(Logged {
            method: method.clone(),
            path,
            if_none_match,
            if_modified_since,
            status,
        });
    }
    let mut out = conn;
    match (&resource, status) {
        (Some(r), 304) => write!(
            out,
            "HTTP/1.1 304 Not Modified\r\nETag: {}\r\nLast-Modified: {}\r\nConnection: close\r\n\r\n",
            r.etag, r.last_modified
        )?,
        (Some(r), 200) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {}\r\nLast-Modified: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                r.body.len(),
                r.etag,
                r.last_modified
            )?;
            if method != "HEAD" {
                match &fault {
                    Some(Fault::Truncate) => {
                        out.write_all(&r.body[..r.body.len() / 2])?;
                        out.flush()?;
                        let _ = out.shutdown(std::net::Shutdown::Both);
                        return Ok(());
                    }
                    Some(Fault::Stall(d)) => {
                        out.flush()?;
                        std::thread::sleep(*d);
                        let _ = out.write_all(&r.body);
                    }
                    _ => out.write_all(&r.body)?,
                }
            }
        }
        (_, code) => {
            let body = format!("status {code}\n");
            write!(
                out,
                "HTTP/1.1 {code} {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                reason(code),
                body.len()
            )?;
        }
    }
    let _ = out.flush();
    // Let the client see the end of the response before the socket goes.
    let _ = out.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 256];
    let _ = out.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = out.read(&mut sink);
    Ok(())
}
