//! Differential tests: caulk's version schemes against the real package managers.
//! One module per oracle; see `common.rs` for the protocol and the near-miss generator.

mod apk;
mod common;
mod dpkg;
mod maven;
mod pep440;
mod rpm;
mod rubygems;
mod semver;
