//! NuGet versions, validated and ordered as `NuGet.Versioning`'s `NuGetVersion` with the
//! default `VersionComparer`.
//!
//! Owns [`NuGetVersion`]. A version is one to four numeric parts (each a non-negative
//! `Int32`; missing parts are 0, so `1.0 = 1.0.0.0` and leading zeros are fine: `1.0.01 =
//! 1.0.1`), then optional `-` release labels (dot-separated `[0-9A-Za-z-]+`, no leading zero
//! on an all-digit label) and optional `+` build metadata, which is validated and ignored.
//!
//! The traps: a version with labels is below the same version without (`1.0.0-rc < 1.0.0`);
//! labels compare one by one, a label that parses as an `Int32` (so `-1` counts, and
//! `99999999999` does not) is below any other and compares numerically, other labels compare
//! case-insensitively (`BETA = beta`), and fewer labels sort first. NuGet is laxer than SemVer
//! about the numeric parts (it hands them to `System.Version`, which takes `+1` and inner
//! blanks); we accept digits only there and say so.

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// A NuGet package version, ordered as `VersionComparer.Default` orders it.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    original: String,
    parts: [u32; 4],
    labels: Vec<Label>,
}

#[derive(Debug, Clone)]
enum Label {
    /// A label `Int32.TryParse` accepts.
    Number(i32),
    Text(String),
}

impl Label {
    fn new(text: &str) -> Label {
        parse_int32(text).map_or_else(|| Label::Text(text.to_string()), Label::Number)
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Label::Number(a), Label::Number(b)) => a.cmp(b),
            (Label::Number(_), Label::Text(_)) => Ordering::Less,
            (Label::Text(_), Label::Number(_)) => Ordering::Greater,
            // `StringComparer.OrdinalIgnoreCase`: upper-case both, then compare code units.
            (Label::Text(a), Label::Text(b)) => a
                .bytes()
                .map(|c| c.to_ascii_uppercase())
                .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
        }
    }
}
crate::order_from_ord!(Label);

/// `Int32.TryParse` on a label (whose characters are already `[0-9A-Za-z-]`): an optional
/// `-` and at least one digit, within range.
fn parse_int32(text: &str) -> Option<i32> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // i64 holds any 18-digit run; longer runs with a nonzero head are out of range anyway.
    let significant = digits.trim_start_matches('0');
    if significant.len() > 18 {
        return None;
    }
    let value: i64 = significant.parse().unwrap_or(0);
    let value = if text.starts_with('-') { -value } else { value };
    i32::try_from(value).ok()
}

/// `IsValidPart`: non-empty, `[0-9A-Za-z-]` only, and (for labels) no leading zero on an
/// all-digit part.
fn check_part(part: &str, what: &str, allow_leading_zero: bool) -> Result<(), InvalidVersion> {
    if part.is_empty() {
        return Err(InvalidVersion::new(format!("empty {what}")));
    }
    if let Some(c) = part
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(InvalidVersion::new(format!(
            "character {c:?} not allowed in {what} {part:?}"
        )));
    }
    if !allow_leading_zero
        && part.len() > 1
        && part.starts_with('0')
        && part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(InvalidVersion::new(format!(
            "numeric {what} {part:?} has a leading zero"
        )));
    }
    Ok(())
}

fn parse_number(part: &str) -> Result<u32, InvalidVersion> {
    if part.is_empty() {
        return Err(InvalidVersion::new("empty numeric part"));
    }
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidVersion::new(format!(
            "numeric part {part:?} is not a number"
        )));
    }
    let significant = part.trim_start_matches('0');
    if significant.len() > 10 {
        return Err(InvalidVersion::new(format!(
            "numeric part {part:?} is larger than 2147483647"
        )));
    }
    let value: u64 = significant.parse().unwrap_or(0);
    match u32::try_from(value) {
        Ok(v) if v <= i32::MAX as u32 => Ok(v),
        _ => Err(InvalidVersion::new(format!(
            "numeric part {part:?} is larger than 2147483647"
        ))),
    }
}

impl NuGetVersion {
    /// Parses what `NuGetVersion.TryParse` accepts (blanks around the version are trimmed),
    /// except signs or blanks inside the numeric parts.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let body = s.trim_matches(|c: char| c.is_ascii_whitespace());
        if body.is_empty() {
            return Err(InvalidVersion::new("empty version"));
        }
        // The first `-` or `+` ends the numeric part; after a `-`, the first `+` ends the
        // labels. A `-` inside the labels or the metadata is just a character.
        let (numeric, rest) = match body.find(['-', '+']) {
            Some(i) => (&body[..i], Some(&body[i..])),
            None => (body, None),
        };
        let (labels, metadata) = match rest {
            Some(r) if r.starts_with('-') => match r[1..].find('+') {
                Some(j) => (Some(&r[1..1 + j]), Some(&r[2 + j..])),
                None => (Some(&r[1..]), None),
            },
            Some(r) => (None, Some(&r[1..])),
            None => (None, None),
        };
        let numbers: Vec<&str> = numeric.split('.').collect();
        if numbers.len() > 4 {
            return Err(InvalidVersion::new(format!(
                "{} numeric parts; NuGet allows at most 4",
                numbers.len()
            )));
        }
        let mut parts = [0u32; 4];
        for (slot, text) in parts.iter_mut().zip(&numbers) {
            *slot = parse_number(text)?;
        }
        let labels = match labels {
            Some(l) => {
                let mut out = Vec::new();
                for part in l.split('.') {
                    check_part(part, "release label", false)?;
                    out.push(Label::new(part));
                }
                out
            }
            None => Vec::new(),
        };
        if let Some(m) = metadata {
            for part in m.split('.') {
                check_part(part, "build metadata part", true)?;
            }
        }
        Ok(NuGetVersion {
            original: s.to_string(),
            parts,
            labels,
        })
    }

    /// Whether the version has release labels (a pre-release).
    pub fn is_prerelease(&self) -> bool {
        !self.labels.is_empty()
    }
}

impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Label by label; a list that runs out first is lower.
                (false, false) => self.labels.cmp(&other.labels),
            }
        })
    }
}
crate::order_from_ord!(NuGetVersion);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> NuGetVersion {
        NuGetVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn order(a: &str, b: &str) -> Ordering {
        v(a).cmp(&v(b))
    }

    #[test]
    fn nuget_orderings() {
        for (a, b) in [
            ("1.0.0", "1.0.0.1"),
            ("1.0.0-rc", "1.0.0"),
            ("1.0.0-beta", "1.0.0-beta.1"),
            ("1.0.0-beta.2", "1.0.0-beta.10"),
            ("1.0.0-1", "1.0.0-a"),
            ("1.0.0-beta.1", "1.0.0-beta.a"),
            ("1.0.0--2", "1.0.0--1"),
            ("1.0.0-99999999999", "1.0.0-a"),
            ("1.0.0-2147483647", "1.0.0-2147483648"),
            ("1.0.0-alpha", "1.0.0-Beta"),
            ("1.999.9999", "2.1.1"),
        ] {
            assert_eq!(order(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(order(b, a), Ordering::Greater, "{b} > {a}");
        }
        for (a, b) in [
            ("1", "1.0.0.0"),
            ("1.0.01", "1.0.1.0"),
            ("1.0.0-BETA", "1.0.0-beta"),
            ("1.0.0+a", "1.0.0+b"),
            ("1.0.0-rc.1+x", "1.0.0-RC.1"),
            (" 1.0 ", "1.0"),
            ("1.0.0--01", "1.0.0--1"),
        ] {
            assert_eq!(order(a, b), Ordering::Equal, "{a} = {b}");
        }
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            " ",
            "a",
            "1.0.0.0.0",
            "1..0",
            "1.0.",
            ".1",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-beta+",
            "1.0.0-beta..1",
            "1.0.0-01",
            "1.0.0-beta_1",
            "1.0.0+a+b",
            "2147483648.0",
            "-1.0",
            "+1.0",
            "1.+2",
            "1. 2",
            "1.0\u{e9}",
        ] {
            assert!(NuGetVersion::parse(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "1",
            "1.0.0-0",
            "1.0.0+01",
            "1.0.0-a-b.c",
            "2147483647.0",
            "1.0.0-0a",
        ] {
            assert!(NuGetVersion::parse(good).is_ok(), "{good:?} rejected");
        }
    }

    #[test]
    fn display_is_the_input() {
        assert_eq!(v("1.0.0-Beta+meta").to_string(), "1.0.0-Beta+meta");
        assert!(v("1.0-a").is_prerelease());
    }

    fn version_string() -> impl Strategy<Value = String> {
        (
            prop::collection::vec("(0|1|2|01|10)", 1..5),
            prop::option::of(prop::collection::vec(
                "(0|1|2|10|-1|a|A|b|beta|BETA|rc|x-y|99999999999)",
                1..4,
            )),
            prop::option::of("[a-z0-9]{1,3}"),
        )
            .prop_map(|(nums, labels, meta)| {
                let mut s = nums.join(".");
                if let Some(l) = labels {
                    s.push('-');
                    s.push_str(&l.join("."));
                }
                if let Some(m) = meta {
                    s.push('+');
                    s.push_str(&m);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = NuGetVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_ascii(s in "[ -~]{0,40}") {
            if let Ok(x) = NuGetVersion::parse(&s) {
                prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            }
        }

        #[test]
        fn order_laws(a in version_string(), b in version_string(), c in version_string()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }
    }
}
