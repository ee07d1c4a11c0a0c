//! `caulk server`: the fleet server ([`caulk_server`]). Wiring only.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use caulk_server::{Bootstrap, Config, DEFAULT_BODY_LIMIT};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free one). The first line on
    /// stdout says where it listens: `listening on http://ADDR` (`https://` with TLS).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The fleet database: `sqlite:PATH` or `postgres://…` [default: sqlite: caulk.db in
    /// the data directory].
    #[arg(
        long,
        env = "CAULK_DATABASE",
        hide_env_values = true,
        value_name = "URL"
    )]
    database: Option<String>,
    /// Where the server keeps its files [default: `$XDG_DATA_HOME/caulk/` or
    /// `~/.local/share/caulk/`].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The largest request body accepted, in bytes; larger ones get 413 unread.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first); needs
    /// --tls-key. Agents pin the CA that signed it with `caulk agent --ca`.
    #[arg(
        long,
        env = "CAULK_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        env = "CAULK_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
    /// A feed mirror (the layout of `../shared/data/feeds`: `osv/<Ecosystem>/all.zip`,
    /// `kev/`, `epss/`, `nvd/`), imported into `advisories.db` in the data directory on
    /// start and every --sync-interval; after each import the findings of every host are
    /// re-derived. Without it the server assesses with the `advisories.db` already in the
    /// data directory, if any.
    #[arg(
        long,
        env = "CAULK_FEEDS",
        value_name = "DIR",
        conflicts_with = "feeds_url"
    )]
    feeds: Option<PathBuf>,
    /// A feed mirror served over HTTP(S) (made by `caulk db mirror DIR`, served by any web
    /// server), synced into `advisories.db` on start and every --sync-interval with
    /// conditional requests, like `caulk db sync --source URL`.
    #[arg(long, env = "CAULK_FEEDS_URL", value_name = "URL")]
    feeds_url: Option<String>,
    /// Accept a plain http:// --feeds-url on another machine (anyone on the way could
    /// change the advisories).
    #[arg(long, requires = "feeds_url")]
    feeds_insecure_http: bool,
    /// How often the --feeds mirror is re-imported (unchanged files are not).
    #[arg(long, value_name = "DURATION", default_value = "6h", value_parser = parse_interval)]
    sync_interval: std::time::Duration,
    /// The configuration hosts are assessed with (policy, exceptions; the `caulk scan`
    /// format) [default: the built-in policy].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let d = caulk_app::duration::parse_std(s, jiff::SignedDuration::from_hours(24 * 366))?;
    if d < std::time::Duration::from_secs(60) {
        return Err(format!("{s:?}: at least 1m"));
    }
    Ok(d)
}

/// The environment variable whose token becomes the first admin API token of an empty
/// database (`caulk_api_0_` and 64 hex digits: `echo caulk_api_0_$(openssl rand -hex 32)`).
const BOOTSTRAP_VAR: &str = "CAULK_BOOTSTRAP_ADMIN_TOKEN";

pub fn run(args: Args) -> Result<ExitCode> {
    let data_dir = match args.data_dir {
        Some(d) => d,
        None => caulk_app::fleet::default_data_dir()?,
    };
    let database = args
        .database
        .unwrap_or_else(|| caulk_app::fleet::sqlite_url(&data_dir));
    let bootstrap_admin_token = match std::env::var(BOOTSTRAP_VAR) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        Ok(_) | Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("{BOOTSTRAP_VAR} is not UTF-8")
        }
    };
    let config = Config {
        listen: args.listen,
        database,
        data_dir,
        body_limit: args.body_limit,
        bootstrap_admin_token,
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(caulk_server::tls::TlsFiles { cert, key }),
            _ => None,
        },
        feeds: args.feeds,
        feeds_url: args.feeds_url,
        feeds_insecure_http: args.feeds_insecure_http,
        sync_interval: args.sync_interval,
        config: args.config,
    };
    let mut printed = Ok(());
    caulk_server::run(config, |ready| {
        let mut out = std::io::stdout().lock();
        let scheme = if ready.tls { "https" } else { "http" };
        printed =
            writeln!(out, "listening on {scheme}://{}", ready.address).and_then(|()| out.flush());
        match ready.bootstrap {
            Bootstrap::Taken => {
                eprintln!("caulk server: {BOOTSTRAP_VAR} is now the first admin API token")
            }
            Bootstrap::Ignored => eprintln!(
                "caulk server: {BOOTSTRAP_VAR} ignored: the database has API tokens already"
            ),
            Bootstrap::NotGiven => {}
        }
        eprintln!("caulk server: fleet database on {}", ready.backend);
    })
    .context("caulk server")?;
    printed.context("writing the listening address")?;
    Ok(ExitCode::SUCCESS)
}
