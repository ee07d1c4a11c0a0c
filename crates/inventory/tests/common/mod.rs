#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// A file of the shared data, or `None` when it is absent: a SKIP line on a developer
/// machine, a failure in CI (`caulk-testkit`).
#[track_caller]
pub fn shared(rel: &str) -> Option<PathBuf> {
    caulk_testkit::data(rel)
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
