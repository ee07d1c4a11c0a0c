//! Helpers shared by the CLI's integration tests: where `../shared/data` is, how a missing
//! peer tool is treated (a loud skip on a developer machine, a failure in CI where
//! `CAULK_REQUIRE_ORACLES=1`), and temporary directories.

#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/data` beside the project.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

pub fn require_oracles() -> bool {
    std::env::var("CAULK_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

/// Skip loudly, or fail in CI.
pub fn missing(what: &str) {
    if require_oracles() {
        panic!("CAULK_REQUIRE_ORACLES=1 but {what}");
    }
    eprintln!("SKIP (peer comparison not run): {what}");
}

/// A program on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|c| c.is_file())
    })
}

/// A temporary directory removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}
