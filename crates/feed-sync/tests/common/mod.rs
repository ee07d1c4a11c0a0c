//! Shared data location and the skip rule.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod http;

pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/"
    ))
    .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: shared data {} is absent", p.display());
        None
    }
}
