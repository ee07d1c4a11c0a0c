//! CRAN (and Bioconductor) versions, validated and ordered as R's `package_version`.
//!
//! Owns [`CranVersion`]. A version is at least two non-negative integers separated by `.` or
//! `-` (R's `valid_package_version`, `([[:digit:]]+[.-]){1,}[[:digit:]]+`); the separators
//! mean the same, leading zeros do not count (`0.01.0 = 0.1-0`), and versions compare
//! component by component with a missing component below any present one (`1.8 < 1.8.0`).
//!
//! The traps: components are numbers, not decimals (`0.9 < 0.75`), and `1.0-1` is simply
//! `1.0.1` (the dash is not a pre-release marker). R keeps components as integers, so a
//! component above 2147483647 has no value there; we reject it instead of guessing, and we
//! reject a single component (`package_version("1")` is an error in R).

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// An R package version, ordered as `package_version` orders it.
#[derive(Debug, Clone)]
pub struct CranVersion {
    original: String,
    parts: Vec<u32>,
}

impl CranVersion {
    /// Parses what `package_version` accepts: digits separated by `.` or `-`, at least two
    /// components, nothing else.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        if s.is_empty() {
            return Err(InvalidVersion::new("empty version"));
        }
        let mut parts = Vec::new();
        for part in s.split(['.', '-']) {
            if part.is_empty() {
                return Err(InvalidVersion::new(
                    "empty component (separators must sit between numbers)",
                ));
            }
            if let Some(c) = part.chars().find(|c| !c.is_ascii_digit()) {
                return Err(InvalidVersion::new(format!(
                    "character {c:?} not allowed: R versions are numbers separated by '.' or '-'"
                )));
            }
            let significant = part.trim_start_matches('0');
            let value = if significant.len() > 10 {
                None
            } else {
                significant
                    .parse::<u64>()
                    .ok()
                    .or(significant.is_empty().then_some(0))
                    .and_then(|v| u32::try_from(v).ok())
                    .filter(|v| *v <= i32::MAX as u32)
            };
            match value {
                Some(v) => parts.push(v),
                None => {
                    return Err(InvalidVersion::new(format!(
                        "component {part} does not fit R's integer (at most 2147483647)"
                    )));
                }
            }
        }
        if parts.len() < 2 {
            return Err(InvalidVersion::new(
                "R package versions have at least two components (like 1.0)",
            ));
        }
        Ok(CranVersion {
            original: s.to_string(),
            parts,
        })
    }
}

impl fmt::Display for CranVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for CranVersion {
    /// Component by component; when one runs out, the shorter is lower.
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts)
    }
}
crate::order_from_ord!(CranVersion);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> CranVersion {
        CranVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn r_orderings() {
        for (a, b) in [
            ("0.9", "0.75"),
            ("1.8", "1.8.0"),
            ("0.01", "0.1-0"),
            ("1.0-0", "1.1-0"),
            ("0.1-2", "0.2-2"),
            ("0.3.2", "0.3.2.0"),
            ("1.2147483646", "1.2147483647"),
        ] {
            assert_eq!(v(a).cmp(&v(b)), Ordering::Less, "{a} < {b}");
            assert_eq!(v(b).cmp(&v(a)), Ordering::Greater, "{b} > {a}");
        }
        assert_eq!(v("0.01.0"), v("0.1-0"));
        assert_eq!(v("1-2-3"), v("1.2.3"));
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "1",
            "1.",
            ".1",
            "1..0",
            "1.0-",
            "1.a",
            "1.0 ",
            " 1.0",
            "1.0_1",
            "1.2147483648",
            "1.99999999999999999999",
            "v1.0",
            "1.0\u{0663}",
        ] {
            assert!(CranVersion::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(CranVersion::parse("1.2147483647").is_ok());
        assert!(CranVersion::parse("0000000000000001.0").is_ok());
    }

    #[test]
    fn display_is_the_input() {
        assert_eq!(v("1.0-3").to_string(), "1.0-3");
    }

    fn version_string() -> impl Strategy<Value = String> {
        (
            "(0|1|2|10|01)",
            prop::collection::vec("[.-](0|1|2|10|01)", 1..4),
        )
            .prop_map(|(h, t)| h + &t.concat())
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = CranVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_digits(s in "[0-9.-]{0,40}") {
            if let Ok(x) = CranVersion::parse(&s) {
                prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            }
        }

        #[test]
        fn order_laws(a in version_string(), b in version_string(), c in version_string()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }
    }
}
