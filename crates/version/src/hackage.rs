//! Hackage versions (Haskell PVP, as Cabal parses them): dotted non-negative integers.
//!
//! Owns [`HackageVersion`]. A version is one or more components separated by `.`; Cabal's
//! parser refuses a leading zero (`1.01`) and more than nine digits in a component, and so do
//! we. Versions compare as lists: component by component, and a version that is a prefix of
//! another is lower (`1.0 < 1.0.0`, unlike most schemes, where trailing zeros vanish).
//!
//! The trap: trailing zeros are significant, and the old `-tag` suffixes (`1.0-beta`) are
//! deprecated and ignored by Cabal for ordering; Hackage refuses them, and we reject them
//! rather than silently drop a part of the input.

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// A Hackage (Cabal) package version, ordered as Cabal's `Version` orders it.
#[derive(Debug, Clone)]
pub struct HackageVersion {
    original: String,
    parts: Vec<u32>,
}

impl HackageVersion {
    /// Parses what Cabal's version parser accepts, without tags.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        if s.is_empty() {
            return Err(InvalidVersion::new("empty version"));
        }
        if s.contains('-') {
            return Err(InvalidVersion::new(
                "version tags (`-tag`) are deprecated and not part of a Hackage version",
            ));
        }
        let mut parts = Vec::new();
        for part in s.split('.') {
            if part.is_empty() {
                return Err(InvalidVersion::new(
                    "empty component (dots must sit between numbers)",
                ));
            }
            if let Some(c) = part.chars().find(|c| !c.is_ascii_digit()) {
                return Err(InvalidVersion::new(format!(
                    "character {c:?} not allowed: Hackage versions are dotted numbers"
                )));
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(InvalidVersion::new(format!(
                    "component {part} has a leading zero"
                )));
            }
            if part.len() > 9 {
                return Err(InvalidVersion::new(format!(
                    "component {part} has more than 9 digits"
                )));
            }
            parts.push(part.parse::<u32>().map_err(|e| {
                InvalidVersion::new(format!("component {part} is not a number: {e}"))
            })?);
        }
        Ok(HackageVersion {
            original: s.to_string(),
            parts,
        })
    }
}

impl fmt::Display for HackageVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for HackageVersion {
    /// Lexicographic on the components: a prefix is lower.
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts)
    }
}
crate::order_from_ord!(HackageVersion);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> HackageVersion {
        HackageVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn pvp_orderings() {
        for (a, b) in [
            ("1.0", "1.0.0"),
            ("0.1.0", "0.1.0.0"),
            ("0", "0.1.26.0"),
            ("0.11.3.0", "1.0.0.0"),
            ("1.9", "1.10"),
            ("999999998", "999999999"),
        ] {
            assert_eq!(v(a).cmp(&v(b)), Ordering::Less, "{a} < {b}");
            assert_eq!(v(b).cmp(&v(a)), Ordering::Greater, "{b} > {a}");
        }
        assert_eq!(v("1.2.3"), v("1.2.3"));
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            ".",
            "1.",
            ".1",
            "1..2",
            "01",
            "1.01",
            "1.0-beta",
            "1.a",
            "v1",
            " 1",
            "1000000000",
            "1.0\u{0663}",
        ] {
            assert!(HackageVersion::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(HackageVersion::parse("0.0.0").is_ok());
    }

    #[test]
    fn display_is_the_input() {
        assert_eq!(v("1.2.0.0").to_string(), "1.2.0.0");
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop::collection::vec("(0|1|2|10)", 1..5).prop_map(|p| p.join("."))
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = HackageVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_digits(s in "[0-9.-]{0,40}") {
            if let Ok(x) = HackageVersion::parse(&s) {
                prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            }
        }

        #[test]
        fn order_laws(a in version_string(), b in version_string(), c in version_string()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }
    }
}
