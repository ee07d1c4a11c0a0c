//! Shared pieces of the fuzz targets: the per-scheme version check and inventory contexts.

use caulk_version::Scheme;
use std::cmp::Ordering;

/// Split the input into two strings at the first NUL (or in the middle), parse both, and
/// check the order's laws on whatever parses.
pub fn check(scheme: Scheme, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = match text.split_once('\0') {
        Some(p) => p,
        None => text.split_at(
            text.char_indices()
                .nth(text.chars().count() / 2)
                .map_or(text.len(), |(i, _)| i),
        ),
    };
    let pa = scheme.parse(a);
    let pb = scheme.parse(b);
    let _ = scheme.parse_lenient(a);
    if let (Ok(x), Ok(y)) = (&pa, &pb) {
        let xy = x.try_cmp(y).expect("same scheme");
        let yx = y.try_cmp(x).expect("same scheme");
        assert_eq!(xy, yx.reverse(), "antisymmetry: {a:?} vs {b:?}");
        assert_eq!(
            x.try_cmp(x).expect("same scheme"),
            Ordering::Equal,
            "reflexive: {a:?}"
        );
        // Display round-trips to an equal version.
        let again = scheme.parse(&x.to_string()).ok();
        if let Some(again) = again {
            assert_eq!(
                again.try_cmp(x).expect("same scheme"),
                Ordering::Equal,
                "display: {a:?}"
            );
        }
    }
}

/// Inventory limits small enough that the fuzzer reaches the limit paths too.
pub fn inventory_limits() -> caulk_inventory::Limits {
    caulk_inventory::Limits {
        max_records: 1000,
        max_line_bytes: 4096,
        max_nesting: 32,
        ..caulk_inventory::Limits::default()
    }
}

/// A distro context for the collectors that need one.
pub fn distro(eco: &str, ns: &str) -> caulk_inventory::Distro {
    caulk_inventory::Distro {
        ecosystem: eco.into(),
        namespace: ns.into(),
        distro: Some(format!("{ns}-1")),
    }
}
