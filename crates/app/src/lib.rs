//! The application layer: the use cases the CLI, the server and the agent share, each one
//! function from a request to a result, with no argument parsing and no terminal.
//!
//! Owns: [`target`] (what to inventory — a root, lockfile trees, SBOMs, an inventory file —
//! and the one way of collecting it), [`config`] (configuration precedence: explicit file,
//! `./caulk.toml`, defaults; asset facts from the caller over the file), [`feeds`] (import a
//! mirror unless the database was built from it; the database as a report describes it),
//! [`scan`] (inventory → database → apt lists → assessment; `--fail-on` thresholds) and
//! [`apt_lists`] (the host's apt lists read for installability, through a private cache)
//! [`fleet`] (users, API tokens and the audit chain of the fleet database) and [`digests`]
//! (the fleet's assessment by package: each distinct package assessed once per context).
//!
//! The trap: this is where I/O meets the pure stage crates, so every rule a caller might be
//! tempted to copy (which config wins, when a mirror is re-imported, where the apt lists of
//! a root are) lives here once; callers print, this crate returns. Errors ([`Error`]) carry
//! what was being done over what failed, and print as one chain.

pub mod apt_lists;
pub mod config;
pub mod digests;
pub mod duration;
pub mod error;
pub mod feeds;
pub mod fleet;
pub mod scan;
pub mod target;

pub use error::{Context, Error, Result};
