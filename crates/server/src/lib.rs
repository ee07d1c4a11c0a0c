//! `caulk server`: the fleet's HTTP API over the fleet store ([`caulk_store::Store`]). This
//! slice serves `GET /healthz` and, under `/api/v1`, hosts (`GET /hosts`, `GET
//! /hosts/{id}`, `GET /hosts/{id}/inventory`), enrolment tokens (`POST /enrollment-tokens`)
//! and the audit log (`GET /audit`), authenticated by API tokens with roles; and the agent's
//! routes: `POST /enroll` (the enrolment token in the body), `POST /agent/check-in` and `PUT
//! /agent/inventory`, authenticated by agent credentials.
//!
//! Main types: [`Config`] (where to listen, which database, the data directory, the body
//! limit, the TLS files — HTTPS in [`tls`]), [`run`] (open the store, apply migrations,
//! take the bootstrap admin token, bind, serve until SIGTERM/SIGINT, close the store).
//! Wire types live in [`api`], the one error mapping in
//! [`error`].
//!
//! The traps of this domain:
//! - *Every route but `/healthz` needs a credential*: the authentication layer wraps the
//!   whole `/api/v1` router (its fallback included), so a new route cannot forget it; roles
//!   are checked per handler by [`auth::Caller::require`]. `/api/v1/agent` has its own layer
//!   (agent credentials only); `/api/v1/enroll` is the one open route under `/api/v1`.
//! - *Bodies are untrusted and bounded*: a `Content-Length` over the limit is refused with
//!   413 before a byte of the body is read; a streamed body is cut at the limit
//!   (`tower_http::limit::RequestBodyLimitLayer`).
//! - *A revoked or expired token is refused at once*: every request asks the store (no
//!   cache of principals).

pub mod api;
mod assessor;
mod auth;
pub mod error;
mod openapi;
mod routes;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;

use caulk_store::Store;

pub use auth::Caller;
pub use error::ApiError;

/// The largest request body accepted by default: 64 MiB (an inventory of a large host is a
/// few MiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 << 20;

/// How to run a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// `127.0.0.1:8080`; port 0 picks a free port ([`Ready::address`] says which).
    pub listen: String,
    /// `sqlite:PATH` or `postgres://…`, as [`Store::open`] takes it.
    pub database: String,
    /// Where the server keeps its files (created if missing).
    pub data_dir: PathBuf,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    /// `CAULK_BOOTSTRAP_ADMIN_TOKEN`: made the first admin token when the database has none.
    pub bootstrap_admin_token: Option<String>,
    /// A feed mirror imported into `<data-dir>/advisories.db` on start and every
    /// `sync_interval` (`None`: the database already in the data directory, if any).
    pub feeds: Option<PathBuf>,
    /// A mirror over HTTP(S) synced into `<data-dir>/advisories.db` instead (`--feeds-url`).
    pub feeds_url: Option<String>,
    pub sync_interval: std::time::Duration,
    /// The configuration (policy, exceptions) hosts are assessed with (`None`: built-in).
    pub config: Option<PathBuf>,
    /// `--tls-cert`/`--tls-key`: serve HTTPS ([`tls`]) instead of plain HTTP.
    pub tls: Option<tls::TlsFiles>,
}

/// How often the mirror is re-imported by default: 6 hours.
pub const DEFAULT_SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// What the server tells its caller once it listens.
#[derive(Debug, Clone)]
pub struct Ready {
    pub address: SocketAddr,
    pub backend: &'static str,
    pub bootstrap: Bootstrap,
    /// HTTPS (`https://ADDR`) rather than plain HTTP.
    pub tls: bool,
}

/// What became of the bootstrap admin token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bootstrap {
    /// No token was given.
    NotGiven,
    /// The database had no API token: the given one is now its first admin token.
    Taken,
    /// The database has API tokens already: the given one was ignored.
    Ignored,
}

/// Everything that stops a server from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("creating the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("opening the fleet database {url}: {source}")]
    Open {
        url: String,
        source: caulk_store::Error,
    },
    #[error("CAULK_BOOTSTRAP_ADMIN_TOKEN: {0}")]
    Bootstrap(caulk_store::Error),
    #[error("listening on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("serving: {0}")]
    Serve(std::io::Error),
    #[error("starting the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Config(String),
}

/// The shared state of every handler.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) assessor: std::sync::Arc<assessor::Assessor>,
}

/// Run a server until SIGTERM or SIGINT (then finish the requests in flight, close the
/// store and return). Blocking: it runs its own tokio runtime. `ready` is called once the
/// store is open, migrations are applied and the socket listens.
pub fn run(config: Config, ready: impl FnOnce(&Ready)) -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    rt.block_on(serve(config, ready, shutdown_signal()))
}

/// [`run`] inside a runtime, stopping when `shutdown` completes.
pub async fn serve(
    config: Config,
    ready: impl FnOnce(&Ready),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| Error::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    // A certificate that cannot be used stops the start before anything else happens.
    let tls_config = config.tls.as_ref().map(tls::server_config).transpose()?;
    let store = Store::open(&config.database)
        .await
        .map_err(|source| Error::Open {
            url: caulk_store::redacted(&config.database),
            source,
        })?;
    let bootstrap = match &config.bootstrap_admin_token {
        None => Bootstrap::NotGiven,
        Some(token) => {
            let actor = caulk_store::Actor::new("system:bootstrap", None);
            match store
                .bootstrap_api_token(
                    &actor,
                    "bootstrap-admin",
                    token.trim(),
                    jiff::Timestamp::now(),
                )
                .await
                .map_err(Error::Bootstrap)?
            {
                Some(_) => Bootstrap::Taken,
                None => Bootstrap::Ignored,
            }
        }
    };
    if let Some(dir) = &config.feeds
        && !dir.is_dir()
    {
        return Err(Error::Config(format!(
            "--feeds {}: not a directory",
            dir.display()
        )));
    }
    if let Some(url) = &config.feeds_url {
        let lower = url.to_ascii_lowercase();
        if !lower.starts_with("http://") && !lower.starts_with("https://") {
            return Err(Error::Config(format!(
                "--feeds-url {url}: want an http:// or https:// URL (a directory is --feeds)"
            )));
        }
    }
    // The configuration is read now: a broken one stops the start, not the first assessment.
    let loaded = caulk_app::config::load_explicit(config.config.as_deref())
        .map_err(|e| Error::Config(format!("configuration: {e}")))?;
    let assessor = std::sync::Arc::new(assessor::Assessor::new(
        config.data_dir.join("advisories.db"),
        match (&config.feeds, &config.feeds_url) {
            (Some(d), _) => Some(assessor::FeedSource::Dir(d.clone())),
            (None, Some(u)) => Some(assessor::FeedSource::Url(u.clone())),
            (None, None) => None,
        },
        config.sync_interval,
        loaded,
    ));
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|source| Error::Listen {
            address: config.listen.clone(),
            source,
        })?;
    let address = listener.local_addr().map_err(|source| Error::Listen {
        address: config.listen.clone(),
        source,
    })?;
    ready(&Ready {
        address,
        backend: store.backend_name(),
        bootstrap,
        tls: tls_config.is_some(),
    });
    tokio::spawn(assessor.clone().sync_loop());
    tokio::spawn(assessor.clone().assess_loop(store.clone()));
    let app = routes::router(
        AppState {
            store: store.clone(),
            assessor,
        },
        config.body_limit,
    );
    let served = match tls_config {
        None => {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await
        }
        Some(tls_config) => {
            let tls = tls::TlsListener::new(listener, tls_config).map_err(Error::Serve)?;
            // `tap_io` gives a listener of ours axum's connection info (the peer's address).
            let tls = axum::serve::ListenerExt::tap_io(tls, |_| {});
            axum::serve(tls, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(shutdown)
                .await
        }
    };
    store.close().await;
    served.map_err(Error::Serve)
}

/// SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        // Without a handler there is nothing to wait for; SIGTERM still stops us.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
