//! `caulk token`, `caulk user`, `caulk audit`: fleet administration on the fleet database
//! ([`caulk_app::fleet`]). Wiring only.

use anyhow::{Context, Result, bail};
use caulk_store::Role;
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// The fleet database, as the server names it.
#[derive(Debug, clap::Args)]
pub struct DatabaseArg {
    /// `sqlite:PATH` or `postgres://…` [default: sqlite: caulk.db beside the advisory
    /// database, `$XDG_DATA_HOME/caulk/` or `~/.local/share/caulk/`].
    #[arg(
        long,
        env = "CAULK_DATABASE",
        hide_env_values = true,
        value_name = "URL"
    )]
    database: Option<String>,
    /// The server's data directory: its `caulk.db` is the database (as `caulk server
    /// --data-dir DIR` uses it).
    #[arg(long, value_name = "DIR", conflicts_with = "database")]
    data_dir: Option<std::path::PathBuf>,
}

impl DatabaseArg {
    fn url(&self) -> Result<String> {
        if let Some(d) = &self.data_dir {
            return Ok(caulk_app::fleet::sqlite_url(d));
        }
        Ok(caulk_app::fleet::database_url(self.database.as_deref())?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    /// Everything, users and tokens included.
    Admin,
    /// Day-to-day changes: hosts, enrolment, deployments.
    Operator,
    /// Read only.
    Auditor,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Operator => Role::Operator,
            RoleArg::Auditor => Role::Auditor,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create an API token; it is printed once, on stdout, and stored only as a hash.
    Create(TokenCreate),
}

#[derive(Debug, clap::Args)]
pub struct TokenCreate {
    #[arg(long, value_enum)]
    role: RoleArg,
    /// A name for it (who or what uses it).
    #[arg(long, default_value = "cli")]
    name: String,
    /// How long it is good for (`90d`, `12h`, `1y`) [default: until revoked].
    #[arg(long, value_name = "DURATION")]
    expires_in: Option<String>,
    #[command(flatten)]
    db: DatabaseArg,
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from the first line of stdin.
    Add(UserAdd),
}

#[derive(Debug, clap::Args)]
pub struct UserAdd {
    name: String,
    #[arg(long, value_enum)]
    role: RoleArg,
    #[command(flatten)]
    db: DatabaseArg,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; exit 1 naming the first broken entry.
    Verify(AuditVerify),
}

#[derive(Debug, clap::Args)]
pub struct AuditVerify {
    #[command(flatten)]
    db: DatabaseArg,
}

/// `90d`, `12h`, `2w`: [`caulk_app::duration::parse`], at most ten years.
fn parse_expiry(s: &str) -> Result<jiff::SignedDuration> {
    caulk_app::duration::parse(s, jiff::SignedDuration::from_hours(24 * 3653))
        .map_err(|e| anyhow::anyhow!("--expires-in {e}"))
}

pub fn token(cmd: TokenCommand) -> Result<ExitCode> {
    match cmd {
        TokenCommand::Create(a) => {
            let url = a.db.url()?;
            let expires = a.expires_in.as_deref().map(parse_expiry).transpose()?;
            let secret = caulk_app::fleet::create_token(&url, &a.name, a.role.into(), expires)?;
            let url = caulk_store::redacted(&url);
            let mut out = crate::output::stdout();
            writeln!(out, "{}", secret.token)?;
            eprintln!(
                "caulk: API token {} ({}, role {}) created in {url}; it is not shown again",
                secret.id.0,
                a.name,
                Role::from(a.role).as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn user(cmd: UserCommand) -> Result<ExitCode> {
    match cmd {
        UserCommand::Add(a) => {
            let url = a.db.url()?;
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            let password = line.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                bail!("no password on stdin (give it as the first line)");
            }
            let id = caulk_app::fleet::add_user(&url, &a.name, password, a.role.into())?;
            let url = caulk_store::redacted(&url);
            eprintln!(
                "caulk: user {} ({}, role {}) added to {url}",
                a.name,
                id.0,
                Role::from(a.role).as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn audit(cmd: AuditCommand) -> Result<ExitCode> {
    match cmd {
        AuditCommand::Verify(a) => {
            let url = a.db.url()?;
            let v = caulk_app::fleet::verify_audit(&url)?;
            let url = caulk_store::redacted(&url);
            let mut out = crate::output::stdout();
            match v.first_broken {
                None => {
                    let n = v.entries;
                    let entries = if n == 1 { "entry" } else { "entries" };
                    writeln!(out, "audit log of {url}: {n} {entries}, chain intact")?;
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    writeln!(
                        out,
                        "audit log of {url}: broken at entry {seq}: {why} ({} entries checked)",
                        v.entries
                    )?;
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
