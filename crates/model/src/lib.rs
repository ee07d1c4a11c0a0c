//! Shared domain types of caulk: the words of the glossary (host, package, ecosystem,
//! advisory, finding, …) as Rust types, used by every stage crate.
//!
//! Modules: [`inventory`] (what a host has), [`apt`] (what its apt indexes offer for it),
//! [`advisory`] (what the feeds say), [`finding`]
//! (the scan result: findings, priorities, remediations), [`purl`] (package URLs), [`identity`] (which ids name one vulnerability: the one merge
//! rule the database import and the in-memory source share), [`source`] (the
//! [`source::AdvisorySource`] read trait every advisory store implements, and
//! [`source::MemSource`]). The trap: a
//! distro package is identified by its *source* package within one distro release, a language
//! package by (ecosystem, name); losing the release or the source name makes matching wrong.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub use caulk_version::{Ecosystem, EcosystemKind, Scheme};
pub use day::Day;

pub mod advisory;
pub mod apt;
pub mod day;
pub mod finding;
pub mod identity;
pub mod inventory;
pub mod purl;
pub mod source;
