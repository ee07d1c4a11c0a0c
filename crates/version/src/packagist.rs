//! Packagist (Composer) versions: normalized as Composer's `VersionParser::normalize` does,
//! then ordered as PHP's `version_compare` orders the normalized strings (which is what
//! Composer's constraints do).
//!
//! Owns [`PackagistVersion`]. Normalization: an optional `v`, one to four numbers (the first
//! at most five digits; the rest padded with `.0`) or a date (`2010-01-02`, `20100102`), then
//! an optional stability (`stable`, `beta`/`b`, `RC`, `alpha`/`a`, `patch`/`pl`/`p`, any case,
//! with optional numbers) and an optional `-dev`; `+build` metadata is dropped; `dev-<name>`
//! (and `master`, `trunk`, `default`) are branches; `1.x-dev`-style numeric branches become
//! `1.9999999.9999999.9999999-dev`. Ordering: the normalized string splits into digit runs
//! and letter runs; numbers compare numerically (any size), words by PHP's special forms
//! (`dev` < `alpha`/`a` < `beta`/`b` < `RC`/`rc` < number < `patch`/`pl`/`p`, matched by
//! prefix, any other word below `dev`), and a missing part sits between `RC` and the numbers.
//!
//! The traps: normalization matters (`1.0 = 1.0.0`, `1.0-BETA1 = 1.0.0-beta1`, and `5.1-stable
//! = 5.1`, where raw `version_compare` says otherwise); `version_compare` alone is
//! case-sensitive and orders a string ending in a separator below itself, which is why we
//! compare normalized versions and skip empty parts. Branch names order by their words only
//! (`dev-foo = dev-fob`), as in PHP. We reject what Composer cannot normalize (`1.0.post1`,
//! `1.2.3.#`, a six-digit major that is not a date), blanks inside the version, and the
//! constraint-only forms `1.0 as 2.0` and `1.0@dev`.

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// A Composer package version, ordered as Composer compares normalized versions.
#[derive(Debug, Clone)]
pub struct PackagistVersion {
    original: String,
    normalized: String,
    parts: Vec<Part>,
}

/// One part of a normalized version, in `version_compare`'s order. A missing part sits
/// between `Rc` and `Number`, so `1.0.0.0-RC1 < 1.0.0.0 < 1.0.0.0.1 < 1.0.0.0-patch1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// A word that is none of PHP's special forms.
    Other,
    Dev,
    Alpha,
    Beta,
    Rc,
    Missing,
    /// Digits without leading zeros; ordered by length first (see `Ord for Digits`).
    Number(Digits),
    Patch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Digits(String);

impl Ord for Digits {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}
impl PartialOrd for Digits {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// PHP's `compare_special_version_forms`: case-sensitive prefix matches, first hit wins.
fn word_part(word: &str) -> Part {
    if word.starts_with("dev") {
        Part::Dev
    } else if word.starts_with('a') {
        Part::Alpha
    } else if word.starts_with('b') {
        Part::Beta
    } else if word.starts_with("RC") || word.starts_with("rc") {
        Part::Rc
    } else if word.starts_with('p') {
        Part::Patch
    } else {
        Part::Other
    }
}

/// `version_compare`'s canonical form, split: maximal digit runs and letter runs; every other
/// character only separates.
fn parts_of(normalized: &str) -> Vec<Part> {
    let bytes = normalized.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let digits = normalized[start..i].trim_start_matches('0');
            out.push(Part::Number(Digits(digits.to_string())));
        } else if bytes[i].is_ascii_alphabetic() {
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(word_part(&normalized[start..i]));
        } else {
            i += 1;
        }
    }
    out
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn digit_run(s: &[u8], from: usize) -> usize {
    s[from.min(s.len())..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

fn strip_v(s: &str) -> &str {
    s.strip_prefix(['v', 'V']).unwrap_or(s)
}

/// The stability words of `VersionParser::$modifierRegex`, in the regex's alternation order.
const STABILITIES: [&str; 9] = [
    "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
];

/// `([.-]?dev)?$`: `Some(has_dev)` when `tail` is empty or exactly a dev suffix.
fn dev_suffix(tail: &str) -> Option<bool> {
    if tail.is_empty() {
        return Some(false);
    }
    let t = tail.strip_prefix(['.', '-']).unwrap_or(tail);
    t.eq_ignore_ascii_case("dev").then_some(true)
}

/// `(?:[.-]?\d+)*+`: how many bytes of numbers follow a stability word.
fn stability_numbers(s: &[u8]) -> usize {
    let mut i = 0;
    loop {
        let j = if matches!(s.get(i), Some(b'.' | b'-')) {
            i + 1
        } else {
            i
        };
        let n = digit_run(s, j);
        if n == 0 {
            return i;
        }
        i = j + n;
    }
}

/// Matches `$modifierRegex$` against what follows the numbers and appends its normalized
/// form to `version`: `-<stability><numbers>` and `-dev`. `None` when it does not match.
fn apply_modifier(version: String, rest: &str) -> Option<String> {
    let separated = rest.strip_prefix(['.', '_', '-']);
    // The regex tries the optional separator first and backtracks to none.
    for r in separated.into_iter().chain([rest]) {
        for word in STABILITIES {
            if !starts_with_ignore_case(r, word) {
                continue;
            }
            let matched = &r[..word.len()];
            let after = &r[word.len()..];
            let n = stability_numbers(after.as_bytes());
            let Some(dev) = dev_suffix(&after[n..]) else {
                continue;
            };
            // Composer compares the captured word case-sensitively here: only a lower-case
            // `stable` means "no modifier", and then any `-dev` is dropped with it.
            if matched == "stable" {
                return Some(version);
            }
            let mut out = version;
            out.push('-');
            out.push_str(&expand_stability(matched));
            out.push_str(after[..n].trim_start_matches(['.', '-']));
            if dev {
                out.push_str("-dev");
            }
            return Some(out);
        }
        if let Some(dev) = dev_suffix(r) {
            let mut out = version;
            if dev {
                out.push_str("-dev");
            }
            return Some(out);
        }
    }
    None
}

/// `VersionParser::expandStability`.
fn expand_stability(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    match lower.as_str() {
        "a" => "alpha".to_string(),
        "b" => "beta".to_string(),
        "p" | "pl" => "patch".to_string(),
        "rc" => "RC".to_string(),
        _ => lower,
    }
}

/// Classical versions: `v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?` then the modifier. Taking
/// every `.digits` group greedily is the only way to match: a skipped group would leave a
/// digit where only a separator, a word or the end may follow.
fn classical(v: &str) -> Option<String> {
    let s = strip_v(v);
    let b = s.as_bytes();
    let major = digit_run(b, 0);
    if major == 0 || major > 5 {
        return None;
    }
    let mut version = s[..major].to_string();
    let mut pos = major;
    let mut groups = 1;
    while groups < 4 && b.get(pos) == Some(&b'.') && digit_run(b, pos + 1) > 0 {
        let end = pos + 1 + digit_run(b, pos + 1);
        version.push_str(&s[pos..end]);
        pos = end;
        groups += 1;
    }
    for _ in groups..4 {
        version.push_str(".0");
    }
    apply_modifier(version, &s[pos..])
}

/// Whether `d` (digits with single `.:-` separators) splits as
/// `\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2}`, all of it.
fn date_shape(d: &[u8]) -> bool {
    fn rest(d: &[u8], pos: usize, twos: u8, threes: u8) -> bool {
        if pos == d.len() {
            return twos >= 1;
        }
        let body = if matches!(d[pos], b'.' | b':' | b'-') {
            pos + 1
        } else {
            pos
        };
        let run = digit_run(d, body);
        if threes == 0 && twos < 6 && run >= 2 && rest(d, body + 2, twos + 1, 0) {
            return true;
        }
        twos >= 1 && threes < 2 && (1..=run.min(3)).any(|n| rest(d, body + n, twos, threes + 1))
    }
    d.len() >= 4 && digit_run(d, 0) >= 4 && rest(d, 4, 0, 0)
}

/// Date versions: the leading run of digits and single `.:-` separators must have the date
/// shape (the modifier cannot start with a digit, so the run cannot end earlier).
fn date(v: &str) -> Option<String> {
    let s = strip_v(v);
    let b = s.as_bytes();
    let mut end = digit_run(b, 0);
    if end == 0 {
        return None;
    }
    while matches!(b.get(end), Some(b'.' | b':' | b'-')) && digit_run(b, end + 1) > 0 {
        end += 1 + digit_run(b, end + 1);
    }
    if !date_shape(&b[..end]) {
        return None;
    }
    let version: String = s[..end]
        .chars()
        .map(|c| if c.is_ascii_digit() { c } else { '.' })
        .collect();
    apply_modifier(version, &s[end..])
}

/// `{(.*?)[.-]?dev$}i` then `normalizeBranch`, kept only when the branch is numeric
/// (`1.x-dev`, `2.1.*-dev`).
fn numeric_branch(v: &str) -> Option<String> {
    if v.len() < 3 || !v.as_bytes()[v.len() - 3..].eq_ignore_ascii_case(b"dev") {
        return None;
    }
    let name = &v[..v.len() - 3];
    let name = name.strip_suffix(['.', '-']).unwrap_or(name);
    let s = strip_v(name);
    let b = s.as_bytes();
    let major = digit_run(b, 0);
    if major == 0 {
        return None;
    }
    let mut out = s[..major].to_string();
    let mut pos = major;
    let mut groups = 1;
    while groups < 4 && b.get(pos) == Some(&b'.') {
        let n = digit_run(b, pos + 1);
        if n > 0 {
            out.push_str(&s[pos..pos + 1 + n]);
            pos += 1 + n;
        } else if matches!(b.get(pos + 1), Some(b'x' | b'X' | b'*')) {
            out.push_str(".x");
            pos += 2;
        } else {
            return None;
        }
        groups += 1;
    }
    if pos != b.len() {
        return None;
    }
    for _ in groups..4 {
        out.push_str(".x");
    }
    Some(out.replace('x', "9999999") + "-dev")
}

/// Composer's `VersionParser::normalize`, without the constraint-only `as` aliases and
/// `@stability` flags.
fn normalize(input: &str) -> Result<String, InvalidVersion> {
    // PHP `trim`'s default set.
    let v = input.trim_matches([' ', '\t', '\n', '\r', '\0', '\u{0b}']);
    if v.is_empty() {
        return Err(InvalidVersion::new("empty version"));
    }
    if let Some(c) = v.chars().find(|c| !c.is_ascii()) {
        return Err(InvalidVersion::new(format!("non-ASCII character {c:?}")));
    }
    if let Some(c) = v
        .bytes()
        .find(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(InvalidVersion::new(format!(
            "blank or control character {:?} inside the version",
            char::from(c)
        )));
    }
    if matches!(v, "master" | "trunk" | "default") {
        return Ok(format!("dev-{v}"));
    }
    if starts_with_ignore_case(v, "dev-") {
        if v.len() == 4 {
            return Err(InvalidVersion::new("empty branch name after dev-"));
        }
        return Ok(format!("dev-{}", &v[4..]));
    }
    // `{^([^,\s+]++)\+[^\s]++$}`: build metadata after the first `+` is dropped.
    let v = match v.find('+') {
        Some(i) if i > 0 && i + 1 < v.len() && !v[..i].contains(',') => &v[..i],
        _ => v,
    };
    classical(v)
        .or_else(|| date(v))
        .or_else(|| numeric_branch(v))
        .ok_or_else(|| {
            InvalidVersion::new(
                "Composer cannot normalize it: expected [v]1-4 numbers (major at most 5 digits) \
                 or a date, an optional stability (stable, beta/b, RC, alpha/a, patch/pl/p) \
                 with numbers, an optional -dev; or dev-<branch>, or <number>.x-dev",
            )
        })
}

impl PackagistVersion {
    /// Parses and normalizes what Composer's `VersionParser::normalize` accepts.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        if s.len() > crate::MAX_VERSION_LEN {
            return Err(InvalidVersion::new(format!(
                "longer than {} bytes",
                crate::MAX_VERSION_LEN
            )));
        }
        let normalized = normalize(s)?;
        let parts = parts_of(&normalized);
        Ok(PackagistVersion {
            original: s.to_string(),
            normalized,
            parts,
        })
    }

    /// The form Composer stores as `version_normalized` (`1.0.0.0-beta2`, `dev-main`).
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// Whether this is a branch (`dev-…` or a `…-dev` version).
    pub fn is_dev(&self) -> bool {
        self.normalized.starts_with("dev-") || self.normalized.ends_with("-dev")
    }
}

impl fmt::Display for PackagistVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for PackagistVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        crate::cmp_padded(&self.parts, &other.parts, &Part::Missing)
    }
}
crate::order_from_ord!(PackagistVersion);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> PackagistVersion {
        PackagistVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn order(a: &str, b: &str) -> Ordering {
        v(a).cmp(&v(b))
    }

    #[test]
    fn normalizes_like_composer() {
        // From composer/semver's VersionParserTest::successfulNormalizedVersions.
        for (input, want) in [
            ("1.0.0", "1.0.0.0"),
            ("1.2.3.4", "1.2.3.4"),
            ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
            ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0-rc1", "1.0.0.0-RC1"),
            ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
            ("1.0-dev", "1.0.0.0-dev"),
            ("0", "0.0.0.0"),
            ("10.4.13-beta", "10.4.13.0-beta"),
            ("10.4.13beta2", "10.4.13.0-beta2"),
            ("10.4.13beta.2", "10.4.13.0-beta2"),
            ("v1.13.11-beta.0", "1.13.11.0-beta0"),
            ("1.13.11.0-beta0", "1.13.11.0-beta0"),
            ("10.4.13-b", "10.4.13.0-beta"),
            ("10.4.13-b5", "10.4.13.0-beta5"),
            ("v1.0.0", "1.0.0.0"),
            ("2010.01", "2010.01.0.0"),
            ("2010.01.02", "2010.01.02.0"),
            ("2010-01-02", "2010.01.02"),
            ("2010-01-02.5", "2010.01.02.5"),
            ("20100102-203040", "20100102.203040"),
            ("20100102203040-10", "20100102203040.10"),
            ("20100102-203040-p1", "20100102.203040-patch1"),
            ("201903.0", "201903.0"),
            ("201903.0-p2", "201903.0-patch2"),
            ("dev-master", "dev-master"),
            ("master", "dev-master"),
            ("dev-trunk", "dev-trunk"),
            ("1.x-dev", "1.9999999.9999999.9999999-dev"),
            ("dev-feature-foo", "dev-feature-foo"),
            ("DEV-FOOBAR", "dev-FOOBAR"),
            ("dev-feature/foo", "dev-feature/foo"),
            ("dev-feature+issue-1", "dev-feature+issue-1"),
            ("dev-load-varnish-only-when-used as ^2.0", "x"),
            ("1.0.0+foo", "1.0.0.0"),
            ("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"),
            ("1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"),
            ("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"),
            ("1.0.0+foo as 2.0", "x"),
            ("00.01.03.04", "00.01.03.04"),
            ("000.001.003.004", "000.001.003.004"),
            ("0.000.103.204", "0.000.103.204"),
            ("0700", "0700.0.0.0"),
            ("041.x-dev", "041.9999999.9999999.9999999-dev"),
            ("dev-041.003", "dev-041.003"),
            ("dev-1.0.0-dev<1.0.5-dev", "dev-1.0.0-dev<1.0.5-dev"),
            ("1.0.0-Stable", "1.0.0.0-stable"),
            ("1.0.0-stable", "1.0.0.0"),
            ("1.0.0-stable-dev", "1.0.0.0"),
            ("  1.0.0", "1.0.0.0"),
            ("1.0-", "1.0.0.0"),
        ] {
            if want == "x" {
                assert!(
                    PackagistVersion::parse(input).is_err(),
                    "{input:?} accepted"
                );
            } else {
                assert_eq!(v(input).normalized(), want, "{input:?}");
            }
        }
    }

    #[test]
    fn rejects_what_composer_rejects() {
        for bad in [
            "",
            "a",
            "1.0.0-meh",
            "1.0.0.0.0",
            "feature-foo",
            "1.0 .2",
            "1.0.0+foo bar",
            "1.2.3.#",
            "3.1.0.post1",
            "999999999999999999999999999991",
            "dev-",
            "1.0@dev",
            "1.0\u{e9}",
            "1.x",
            "x-dev",
        ] {
            assert!(PackagistVersion::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn version_compare_order() {
        for (a, b) in [
            ("1.0-dev", "1.0a1"),
            ("1.0a1", "1.0b1"),
            ("1.0b1", "1.0RC1"),
            ("1.0RC1", "1.0"),
            ("1.0", "1.0pl1"),
            ("1.0", "1.0.1"),
            ("1.0pl1", "1.0.0.1"),
            ("dev-foo", "1.0.0-dev"),
            ("1.0.0-beta2", "1.0.0-beta10"),
            ("3.0.0-beta", "3.0"),
            ("4-beta4", "4.0-beta5"),
            ("1.9.0-ALPHA.1", "1.9.0-BETA.1"),
            ("5.1.0-beta2", "5.1.0-stable"),
            ("dev-foo", "dev-bar"),
            ("99999.0", "99999.1"),
            ("1.1.99999999999999999998", "1.1.99999999999999999999"),
        ] {
            assert_eq!(order(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(order(b, a), Ordering::Greater, "{b} > {a}");
        }
        for (a, b) in [
            ("1.0", "1.0.0"),
            ("v1.0", "1.0.0.0"),
            ("1.0RC1", "1.0rc1"),
            ("1.25.0-beta2.1", "1.25.0-b.2.1"),
            ("1.0.0+a", "1.0.0+b"),
            ("5.1.0-stable", "5.1"),
            ("dev-foo", "dev-fob"),
            ("1.01", "1.1"),
        ] {
            assert_eq!(order(a, b), Ordering::Equal, "{a} = {b}");
        }
    }

    #[test]
    fn display_is_the_input() {
        assert_eq!(v("v1.0.0-RC1").to_string(), "v1.0.0-RC1");
        assert!(v("1.x-dev").is_dev());
        assert!(!v("1.0").is_dev());
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            (
                "v?(0|1|2|10)(\\.(0|1|2|10)){0,3}",
                "([-.]?(alpha|a|beta|b|RC|rc|patch|pl|p|stable)(\\.?[0-9]{1,2})?)?",
                "(-dev)?",
            )
                .prop_map(|(n, m, d)| n + &m + &d),
            "dev-[a-z]{1,3}",
            "[12]\\.x-dev",
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = PackagistVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_ascii(s in "[ -~]{0,40}") {
            if let Ok(x) = PackagistVersion::parse(&s) {
                prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            }
        }

        #[test]
        fn order_laws(a in version_string(), b in version_string(), c in version_string()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }
    }
}
