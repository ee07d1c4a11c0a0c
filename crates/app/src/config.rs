//! Configuration precedence, one rule for every caller: an explicit file, else `./caulk.toml`
//! when it exists, else the built-in defaults; asset facts from the command line over the
//! file over the defaults, with the winner named in the report (`context_source`).

use crate::error::{Context, Result};
use caulk_assess::{AssetContext, Config, Policy};
use caulk_model::finding::{Criticality, Exposure, ScanIssue};
use std::path::{Path, PathBuf};

/// A configuration as the scan uses it.
#[derive(Debug)]
pub struct Loaded {
    /// The file read (`None`: built-in defaults only).
    pub path: Option<PathBuf>,
    pub config: Config,
    pub policy: Policy,
    /// Problems the file had that did not stop it (a skipped exception).
    pub issues: Vec<ScanIssue>,
}

/// Load `explicit`, else `./caulk.toml` when it is a file, else nothing; then the policy
/// (the built-in decision table with the file's overrides).
pub fn load(explicit: Option<&Path>) -> Result<Loaded> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("caulk.toml")).filter(|p| p.is_file()),
    };
    let (config, issues) = match &path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading configuration {}", p.display()))?;
            let c = Config::parse(&text, &p.display().to_string())
                .map_err(crate::error::Error::wrap)?;
            let issues = c.issues.clone();
            (c, issues)
        }
        None => (Config::default(), Vec::new()),
    };
    let policy = Policy::from_toml(
        caulk_assess::priority::DEFAULT_POLICY,
        config.policy.as_ref(),
        &path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "built-in policy".into()),
    )
    .map_err(crate::error::Error::wrap)?;
    Ok(Loaded {
        path,
        config,
        policy,
        issues,
    })
}

impl Loaded {
    /// The built-in defaults, no file read.
    pub fn builtin() -> Result<Loaded> {
        let policy = Policy::from_toml(
            caulk_assess::priority::DEFAULT_POLICY,
            None,
            "built-in policy",
        )
        .map_err(crate::error::Error::wrap)?;
        Ok(Loaded {
            path: None,
            config: Config::default(),
            policy,
            issues: Vec::new(),
        })
    }
}

/// Load `explicit`, else the built-in defaults (never `./caulk.toml`: a server's working
/// directory is not its configuration).
pub fn load_explicit(explicit: Option<&Path>) -> Result<Loaded> {
    match explicit {
        Some(p) => load(Some(p)),
        None => Loaded::builtin(),
    }
}

/// The asset context: the command line's values over the configuration's over the defaults,
/// and which of the three decided (`cli`, `config`, `default`).
pub fn asset_context(
    criticality: Option<Criticality>,
    exposure: Option<Exposure>,
    config: &Config,
) -> (AssetContext, &'static str) {
    let source = if criticality.is_some() || exposure.is_some() {
        "cli"
    } else if config.criticality.is_some() || config.exposure.is_some() {
        "config"
    } else {
        "default"
    };
    (
        AssetContext {
            criticality: criticality.or(config.criticality).unwrap_or_default(),
            exposure: exposure.or(config.exposure).unwrap_or_default(),
        },
        source,
    )
}
