#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// A file of `../shared/data`, or `None` (with a SKIP line) when the data is not beside
/// the project.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIP: {} absent (../shared/data not beside the project)",
            p.display()
        );
        None
    }
}

/// Stanzas of a deb822 / apk file, split on blank lines (independent of the crate's parser).
pub fn blocks(text: &str) -> Vec<Vec<&str>> {
    let mut out = vec![];
    let mut cur = vec![];
    for l in text.lines() {
        if l.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(l);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub fn field<'a>(block: &[&'a str], name: &str) -> Option<&'a str> {
    block
        .iter()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
}
