//! RubyGems versions, validated and ordered as `Gem::Version` does (RubyGems 3.3, Ruby 3.1;
//! checked differentially against `ruby`).
//!
//! Owns [`GemVersion`]. A version must match `\A\s*([0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+
//! (\.[0-9A-Za-z-]+)*)?)?\s*\z`; every `-` then means `.pre.`; the string splits into digit
//! runs (numbers, any size) and letter runs (strings); trailing zeros are dropped from the
//! numeric prefix and, separately, from the part that starts at the first string; the two
//! segment lists compare position by position with missing segments as `0`, a string below
//! any number and strings compared byte-wise (case matters: `B < a`).
//!
//! The traps: a version containing any letter is a pre-release (`1.0.a < 1.0`, `1.0-x < 1`),
//! `1.0.a10 = 1.0.a.10` because letters and digits split without a separator, `1.0-1` is
//! `1.0.pre.1` (below `1.0`), and an empty or all-blank string is a valid version equal to
//! `0` (as `Gem::Version.new("")` is); we mirror that.

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// A RubyGems version, ordered as `Gem::Version#<=>`.
#[derive(Debug, Clone)]
pub struct GemVersion {
    original: String,
    /// `Gem::Version#canonical_segments`.
    segments: Vec<Segment>,
}

/// Derived order puts every string below every number, as `Gem::Version#<=>` does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Text(String),
    /// Digits without leading zeros ("" is zero); compared by length, then digit by digit,
    /// like Ruby's arbitrary-precision integers.
    Number(Number),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Number(String);

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Number(n) if n.0.is_empty())
    }
}

/// Ruby's `\s`: space, `\t`, `\n`, `\v`, `\f`, `\r`.
fn is_ruby_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Checks the version body (blanks already trimmed) against `Gem::Version`'s pattern:
/// digits first, dot-separated alphanumeric parts, then an optional `-` pre-release whose
/// dot-separated parts may also contain `-`.
fn check_pattern(body: &str) -> Result<(), &'static str> {
    let bytes = body.as_bytes();
    if bytes.is_empty() {
        return Ok(());
    }
    if !bytes[0].is_ascii_digit() {
        return Err("must start with a digit");
    }
    let (release, pre) = match body.find('-') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut parts = release.split('.');
    // The first part is `[0-9]+` followed by more alphanumerics only through the next
    // `\.[0-9a-zA-Z]+`, so it must be digits alone.
    if !parts
        .next()
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("the first segment must be digits only");
    }
    for p in parts {
        if p.is_empty() {
            return Err("empty segment (two dots in a row, or a trailing dot)");
        }
        if !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("segments may contain only letters and digits");
        }
    }
    if let Some(pre) = pre {
        for p in pre.split('.') {
            if p.is_empty() {
                return Err("empty pre-release segment");
            }
            if !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err("pre-release segments may contain only letters, digits and '-'");
            }
        }
    }
    Ok(())
}

/// `Gem::Version#canonical_segments` of an already validated, trimmed version.
fn canonical_segments(body: &str) -> Vec<Segment> {
    // `-` is `.pre.`: the word "pre" is one more string segment.
    let replaced = body.replace('-', ".pre.");
    let bytes = replaced.as_bytes();
    let mut segments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let digits = replaced[start..i].trim_start_matches('0');
            segments.push(Segment::Number(Number(digits.to_string())));
        } else if bytes[i].is_ascii_alphabetic() {
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            segments.push(Segment::Text(replaced[start..i].to_string()));
        } else {
            i += 1;
        }
    }
    let split = segments
        .iter()
        .position(|s| matches!(s, Segment::Text(_)))
        .unwrap_or(segments.len());
    let mut strings = segments.split_off(split);
    for part in [&mut segments, &mut strings] {
        while part.last().is_some_and(Segment::is_zero) {
            part.pop();
        }
    }
    segments.append(&mut strings);
    segments
}

impl GemVersion {
    /// Parses what `Gem::Version.new` accepts; blanks around the version are allowed, and an
    /// empty or blank string is version `0`.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let body = s.trim_matches(|c: char| c.is_ascii() && is_ruby_space(c as u8));
        if let Some(c) = body.chars().find(|c| !c.is_ascii()) {
            return Err(InvalidVersion::new(format!(
                "malformed version number string: non-ASCII character {c:?}"
            )));
        }
        check_pattern(body).map_err(|why| {
            InvalidVersion::new(format!("malformed version number string: {why}"))
        })?;
        Ok(GemVersion {
            original: s.to_string(),
            segments: canonical_segments(body),
        })
    }

    /// Whether `Gem::Version#prerelease?` holds: any letter in the version.
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Text(_)))
    }
}

impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number(Number(String::new()));
        crate::cmp_padded(&self.segments, &other.segments, &zero)
    }
}
crate::order_from_ord!(GemVersion);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> GemVersion {
        GemVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn order(a: &str, b: &str) -> Ordering {
        v(a).cmp(&v(b))
    }

    #[test]
    fn rubygems_test_suite_orderings() {
        for (a, b) in [
            ("1.0", "1.0.a"),
            ("1.8.2", "0.0.0"),
            ("1.8.2", "1.8.2.a"),
            ("1.8.2.b", "1.8.2.a"),
            ("1.8.2.a10", "1.8.2.a9"),
            ("1.0.a10", "1.0.a.9"),
            ("1.0.b1", "1.0.a.2"),
            ("5.0.0.rc2", "5.a"),
            ("1.0", "1.0-1"),
            ("1.0.0-1", "1.0.0-a"),
            ("3.10", "3.2"),
        ] {
            assert_eq!(order(a, b), Ordering::Greater, "{a} > {b}");
            assert_eq!(order(b, a), Ordering::Less, "{b} < {a}");
        }
        for (a, b) in [
            ("1.0", "1"),
            ("1.0.0", "1"),
            ("1.0.a2", "1.0.a.2"),
            ("1.a", "1.0.a"),
            ("0.beta.1", "0.0.beta.1"),
            ("1.a.0", "1.a"),
            ("", "0"),
            ("  ", "0.0"),
            (" 1.0 ", "1"),
            ("1-1", "1.pre.1"),
            ("0001", "1"),
        ] {
            assert_eq!(order(a, b), Ordering::Equal, "{a} = {b}");
        }
    }

    #[test]
    fn strings_compare_bytewise() {
        assert_eq!(order("1.B", "1.a"), Ordering::Less);
        assert_eq!(order("1.a", "1"), Ordering::Less);
        assert!(v("1.0.a").is_prerelease());
        assert!(!v("1.0").is_prerelease());
    }

    #[test]
    fn huge_numbers() {
        assert_eq!(
            order(
                "999999999999999999999999999991",
                "999999999999999999999999999999"
            ),
            Ordering::Less
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "a",
            "1..0",
            "1.",
            "1-",
            "-1",
            "1.0-",
            "1.0-a..b",
            "1_0",
            "1.0+x",
            "1 0",
            ".1",
            "1.0-a.",
            "1a",
            "junk",
            "1.0\u{e9}",
        ] {
            assert!(GemVersion::parse(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["1", "1.0a", "1.0-a-b.c", "1.0-1-2", "\t1.2\n", "1.A"] {
            assert!(GemVersion::parse(good).is_ok(), "{good:?} rejected");
        }
    }

    #[test]
    fn display_is_the_input() {
        assert_eq!(v(" 1.0-rc1").to_string(), " 1.0-rc1");
    }

    fn version_string() -> impl Strategy<Value = String> {
        (
            "[0-9]{1,3}",
            prop::collection::vec("\\.([0-9]{1,3}|[a-cA-C]{1,2}|[0-9][a-b]|[a-b][0-9])", 0..4),
            prop::option::of(prop::collection::vec("[0-9a-b-]{1,3}", 1..3)),
        )
            .prop_map(|(head, rest, pre)| {
                let mut s = head + &rest.concat();
                if let Some(pre) = pre {
                    s.push('-');
                    s.push_str(&pre.join("."));
                }
                s
            })
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = GemVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_ascii(s in "[ -~\\t]{0,40}") {
            if let Ok(x) = GemVersion::parse(&s) {
                prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            }
        }

        #[test]
        fn order_laws(a in version_string(), b in version_string(), c in version_string()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }
    }
}
