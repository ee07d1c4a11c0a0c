//! Shared domain types of caulk: the words of the glossary (host, package, ecosystem,
//! advisory, finding, …) as Rust types, used by every stage crate.
//!
//! Today it holds the package identity the version layer needs; later stages add Host,
//! Inventory, Advisory, Finding and Plan here. The trap: a distro package is identified by its
//! *source* package within one distro release, a language package by (ecosystem, name).

pub use caulk_version::{Ecosystem, EcosystemKind, Scheme};

/// A package as matched against advisories: ecosystem, name and version string as the
/// package manager reports them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageRef {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

pub mod advisory;
pub mod finding;
pub mod inventory;
