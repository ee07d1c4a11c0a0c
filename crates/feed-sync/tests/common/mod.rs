//! Shared data location and the skip rule (both in `caulk-testkit`).
#![allow(dead_code)]

use std::path::PathBuf;

pub mod http;

/// `rel` under the shared data, or `None` (a SKIP, or a failure in CI) when it is absent.
#[track_caller]
pub fn shared(rel: &str) -> Option<PathBuf> {
    caulk_testkit::data(rel)
}
