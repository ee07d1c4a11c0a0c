//! SemVer 2.0.0 as three ecosystems read it: [`SemVer`] (npm, crates.io, Hex, SwiftURL;
//! checked against node `semver`), [`GoVersion`] (Go modules, following
//! `golang.org/x/mod/semver`) and [`PubVersion`] (Dart pub, following `pub_semver`).
//!
//! The trap: the three agree on the spec's examples and disagree at every edge. Build
//! metadata is ignored by SemVer and Go but orders Pub versions (`1.0.0 < 1.0.0+1`). Go needs
//! the `v` that OSV's Go data leaves out, accepts the `v1` and `v1.2` shorthands and numbers
//! of any length; node accepts a `v` and surrounding whitespace (not `=`) but rejects numbers
//! above 2^53-1; pub accepts leading zeros (`01.2.3 == 1.2.3`) and reads identifiers with
//! Dart's `int.tryParse` (`1.0.0-0x10 == 1.0.0-16`). Numbers are kept as digit strings, so no
//! input can overflow or panic.

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// A non-negative integer of any length, kept as its decimal digits without leading zeros
/// (`"0"` for zero). Length-then-digits order is numeric order, so comparison is exact for
/// numbers far beyond `u64` (Go and PEP 440 put no bound on them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Decimal(Box<str>);

impl Decimal {
    /// `digits` must be ASCII digits (possibly empty, read as zero).
    pub(crate) fn from_digits(digits: &str) -> Decimal {
        debug_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        let t = digits.trim_start_matches('0');
        Decimal(if t.is_empty() { "0".into() } else { t.into() })
    }

    pub(crate) fn zero() -> Decimal {
        Decimal("0".into())
    }

    pub(crate) fn is_zero(&self) -> bool {
        &*self.0 == "0"
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One dot-separated pre-release identifier. The variant order is the spec's rule 11.4.3:
/// numeric identifiers have lower precedence than alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ident {
    Numeric(Decimal),
    /// Compared in ASCII order, so `R2 < r100`.
    Alphanumeric(Box<str>),
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ident::Numeric(d) => write!(f, "{d}"),
            Ident::Alphanumeric(s) => f.write_str(s),
        }
    }
}

/// What SemVer precedence looks at: everything but build metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Precedence {
    major: Decimal,
    minor: Decimal,
    patch: Decimal,
    pre: Vec<Ident>,
}

impl Ord for Precedence {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then_with(|| self.minor.cmp(&other.minor))
            .then_with(|| self.patch.cmp(&other.patch))
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

impl PartialOrd for Precedence {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A release (no pre-release) outranks every pre-release of it; otherwise identifiers compare
/// left to right and a longer list wins a tie, which is `Vec`'s own order.
fn compare_pre<T: Ord>(a: &[T], b: &[T]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.cmp(b),
    }
}

// Not the `semver` crate: it rejects the `v` npm accepts, takes u64 numbers npm refuses,
// and has neither Go's shorthands nor its unbounded numbers; one small grammar serves both.

/// The strict SemVer 2.0.0 grammar (`MAJOR.MINOR.PATCH[-PRE][+BUILD]`, no leading zeros in
/// numbers or numeric pre-release identifiers, identifiers non-empty over `[0-9A-Za-z-]`),
/// shared by node and Go. `go_shorthand` also accepts `1` and `1.2` with nothing after them.
fn parse_strict(
    s: &str,
    go_shorthand: bool,
) -> Result<(Precedence, Vec<Box<str>>), InvalidVersion> {
    let (major, rest) = main_number(s, "major")?;
    let (minor, rest) = match rest.strip_prefix('.') {
        Some(r) => main_number(r, "minor")?,
        None if rest.is_empty() && go_shorthand => (Decimal::zero(), rest),
        None => return Err(unexpected(rest, "'.' after the major version")),
    };
    let (patch, rest) = match rest.strip_prefix('.') {
        Some(r) => main_number(r, "patch")?,
        None if rest.is_empty() && go_shorthand => (Decimal::zero(), rest),
        None => return Err(unexpected(rest, "'.' after the minor version")),
    };
    let (pre_text, build_text) = if let Some(r) = rest.strip_prefix('-') {
        match r.split_once('+') {
            Some((p, b)) => (Some(p), Some(b)),
            None => (Some(r), None),
        }
    } else if let Some(b) = rest.strip_prefix('+') {
        (None, Some(b))
    } else if rest.is_empty() {
        (None, None)
    } else {
        return Err(unexpected(
            rest,
            "'-', '+' or the end after the patch version",
        ));
    };
    let mut pre = Vec::new();
    if let Some(text) = pre_text {
        for id in identifiers(text, "pre-release")? {
            pre.push(if id.bytes().all(|b| b.is_ascii_digit()) {
                if id.len() > 1 && id.starts_with('0') {
                    return Err(InvalidVersion::new(format!(
                        "numeric pre-release identifier {id:?} has a leading zero"
                    )));
                }
                Ident::Numeric(Decimal::from_digits(id))
            } else {
                Ident::Alphanumeric(id.into())
            });
        }
    }
    let build = match build_text {
        Some(text) => identifiers(text, "build metadata")?
            .into_iter()
            .map(Box::from)
            .collect(),
        None => Vec::new(),
    };
    Ok((
        Precedence {
            major,
            minor,
            patch,
            pre,
        },
        build,
    ))
}

fn main_number<'a>(s: &'a str, what: &str) -> Result<(Decimal, &'a str), InvalidVersion> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 {
        return Err(unexpected(s, &format!("a {what} version number")));
    }
    let digits = &s[..end];
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(InvalidVersion::new(format!(
            "{what} version {digits:?} has a leading zero"
        )));
    }
    Ok((Decimal::from_digits(digits), &s[end..]))
}

/// Dot-separated, non-empty identifiers over `[0-9A-Za-z-]`.
fn identifiers<'a>(text: &'a str, what: &str) -> Result<Vec<&'a str>, InvalidVersion> {
    let mut out = Vec::new();
    for id in text.split('.') {
        if id.is_empty() {
            return Err(InvalidVersion::new(format!("empty {what} identifier")));
        }
        if let Some(c) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(InvalidVersion::new(format!(
                "{c:?} is not allowed in {what} (only [0-9A-Za-z-])"
            )));
        }
        out.push(id);
    }
    Ok(out)
}

fn unexpected(rest: &str, expected: &str) -> InvalidVersion {
    match rest.chars().next() {
        Some(c) => InvalidVersion::new(format!("expected {expected}, found {c:?}")),
        None => InvalidVersion::new(format!("expected {expected}, found the end")),
    }
}

/// `MAJOR.MINOR.PATCH[-PRE]`: the part of a version that precedence looks at.
impl fmt::Display for Precedence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            write!(f, "{id}")?;
        }
        Ok(())
    }
}

/// node semver's `MAX_LENGTH`, counted as JavaScript counts (UTF-16 code units).
const NODE_MAX_LENGTH: usize = 256;

/// node semver rejects main version numbers above `Number.MAX_SAFE_INTEGER` (2^53-1).
const NODE_MAX_SAFE_INTEGER: &str = "9007199254740991";

/// What JavaScript's `String.prototype.trim` removes (node semver trims before matching);
/// not Rust's `char::is_whitespace`, which adds U+0085 and lacks U+FEFF.
fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// A SemVer 2.0.0 version as npm reads it (node `semver` in its default, non-loose mode):
/// surrounding whitespace and one leading `v` are accepted, `=` is not. Ordered by
/// precedence: build metadata is ignored, so `1.0.0+a == 1.0.0+b`. Numeric pre-release
/// identifiers compare exactly at any size, as the spec and crates.io do; node compares those
/// of 2^53 and above as doubles (a known delta of the oracle test).
#[derive(Debug, Clone)]
pub struct SemVer {
    input: String,
    prec: Precedence,
    build: Vec<Box<str>>,
}

impl SemVer {
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let units = s.encode_utf16().count();
        if units > NODE_MAX_LENGTH {
            return Err(InvalidVersion::new(format!(
                "longer than {NODE_MAX_LENGTH} characters ({units}), npm's limit"
            )));
        }
        let t = s.trim_matches(is_js_whitespace);
        let body = t.strip_prefix('v').unwrap_or(t);
        let (prec, build) = parse_strict(body, false)?;
        // Beyond 2^53 JavaScript numbers lose integer precision, so npm refuses them;
        // accepting them here would order versions npm cannot publish.
        let max = Decimal::from_digits(NODE_MAX_SAFE_INTEGER);
        for (what, n) in [
            ("major", &prec.major),
            ("minor", &prec.minor),
            ("patch", &prec.patch),
        ] {
            if *n > max {
                return Err(InvalidVersion::new(format!(
                    "{what} version {n} is above 2^53-1, npm's largest version number"
                )));
            }
        }
        Ok(SemVer {
            input: s.to_string(),
            prec,
            build,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.prec.pre.is_empty()
    }

    /// The build metadata identifiers (ignored by the ordering).
    pub fn build(&self) -> impl Iterator<Item = &str> {
        self.build.iter().map(|b| &**b)
    }

    /// The normalised form npm prints (`semver.valid`): no `v`, no whitespace, no build.
    pub fn normalized(&self) -> String {
        self.prec.to_string()
    }
}

/// A Go module version, ordered as `golang.org/x/mod/semver.Compare`: SemVer precedence with
/// numbers of any size, the `v1`/`v1.2` shorthands for `v1.0.0`/`v1.2.0`, and build metadata
/// (`+incompatible`) ignored. Pseudo-versions are ordinary pre-releases and sort as such.
/// The `v` is optional here because OSV's Go ranges omit it (`"fixed": "1.6.0"`).
#[derive(Debug, Clone)]
pub struct GoVersion {
    input: String,
    prec: Precedence,
    build: Vec<Box<str>>,
}

impl GoVersion {
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let body = s.strip_prefix('v').unwrap_or(s);
        let (prec, build) = parse_strict(body, true)?;
        Ok(GoVersion {
            input: s.to_string(),
            prec,
            build,
        })
    }

    /// `x/mod/semver.Canonical`: `v`, all three numbers, the pre-release, no build metadata.
    /// Two Go versions are equal exactly when their canonical forms are.
    pub fn canonical(&self) -> String {
        format!("v{}", self.prec)
    }

    /// `+incompatible`: a v2+ release of a module without a `go.mod` major-version suffix.
    pub fn is_incompatible(&self) -> bool {
        self.build.len() == 1 && &*self.build[0] == "incompatible"
    }

    /// `x/mod/module.IsPseudoVersion`: `vX.0.0-yyyymmddhhmmss-abcdef123456`, or any
    /// pre-release ending in `.0.yyyymmddhhmmss-abcdef123456`.
    pub fn is_pseudo(&self) -> bool {
        let p = &self.prec;
        let Some(Ident::Alphanumeric(last)) = p.pre.last() else {
            return false;
        };
        let Some((stamp, rev)) = last.split_once('-') else {
            return false;
        };
        let stamped = stamp.len() == 14
            && stamp.bytes().all(|b| b.is_ascii_digit())
            && !rev.is_empty()
            && rev.bytes().all(|b| b.is_ascii_alphanumeric());
        let base_ok = match p.pre.len() {
            1 => p.minor.is_zero() && p.patch.is_zero(),
            n => matches!(&p.pre[n - 2], Ident::Numeric(d) if d.is_zero()),
        };
        stamped && base_ok
    }

    pub fn is_prerelease(&self) -> bool {
        !self.prec.pre.is_empty()
    }
}

/// One dot-separated part of a Pub pre-release or build. `pub_semver` turns every part that
/// Dart's `int.tryParse` accepts into an `int`, and ints sort before strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PubPart {
    Int(i64),
    Text(Box<str>),
}

/// Dart VM `int.tryParse(s)` with no radix: optional sign, decimal digits in the 64-bit range,
/// or `0x`/`0X` and hex digits, where values above 2^63 read as their two's complement (the
/// documented VM behaviour). We cannot run Dart here, so this is from its documentation.
fn dart_try_parse_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = u64::from_str_radix(hex, 16).ok()? as i64;
        return Some(if negative { v.wrapping_neg() } else { v });
    }
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = body.trim_start_matches('0');
    if digits.len() > 19 {
        return None;
    }
    let magnitude: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// A Dart pub version, ordered as `pub_semver`'s `Version.compareTo`: SemVer precedence, then
/// build metadata, which also orders (no build < any build; parts compared like pre-release
/// parts). Leading zeros are accepted and ignored (`1.02.3 == 1.2.3`, `1.2.3-01 == 1.2.3-1`);
/// a `v` prefix is rejected, as pub rejects it.
#[derive(Debug, Clone)]
pub struct PubVersion {
    input: String,
    major: i64,
    minor: i64,
    patch: i64,
    pre: Vec<PubPart>,
    build: Vec<PubPart>,
}

impl PubVersion {
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let (major, rest) = pub_number(s, "major")?;
        let rest = rest
            .strip_prefix('.')
            .ok_or_else(|| unexpected(rest, "'.' after the major version"))?;
        let (minor, rest) = pub_number(rest, "minor")?;
        let rest = rest
            .strip_prefix('.')
            .ok_or_else(|| unexpected(rest, "'.' after the minor version"))?;
        let (patch, rest) = pub_number(rest, "patch")?;
        let (pre_text, build_text) = if let Some(r) = rest.strip_prefix('-') {
            match r.split_once('+') {
                Some((p, b)) => (Some(p), Some(b)),
                None => (Some(r), None),
            }
        } else if let Some(b) = rest.strip_prefix('+') {
            (None, Some(b))
        } else if rest.is_empty() {
            (None, None)
        } else {
            return Err(unexpected(
                rest,
                "'-', '+' or the end after the patch version",
            ));
        };
        let parts = |text: Option<&str>, what: &str| -> Result<Vec<PubPart>, InvalidVersion> {
            let Some(text) = text else {
                return Ok(Vec::new());
            };
            Ok(identifiers(text, what)?
                .into_iter()
                .map(|id| match dart_try_parse_int(id) {
                    Some(n) => PubPart::Int(n),
                    None => PubPart::Text(id.into()),
                })
                .collect())
        };
        Ok(PubVersion {
            input: s.to_string(),
            major,
            minor,
            patch,
            pre: parts(pre_text, "pre-release")?,
            build: parts(build_text, "build metadata")?,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

/// `\d+` read by Dart's `int.parse`: leading zeros fine, above 2^63-1 a format error.
fn pub_number<'a>(s: &'a str, what: &str) -> Result<(i64, &'a str), InvalidVersion> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 {
        return Err(unexpected(s, &format!("a {what} version number")));
    }
    let n = dart_try_parse_int(&s[..end]).ok_or_else(|| {
        InvalidVersion::new(format!(
            "{what} version {} is above 2^63-1, Dart's largest int",
            &s[..end]
        ))
    })?;
    Ok((n, &s[end..]))
}

macro_rules! ordered_by {
    ($t:ty, |$a:ident, $b:ident| $body:expr) => {
        impl Ord for $t {
            fn cmp(&self, other: &Self) -> Ordering {
                let ($a, $b) = (self, other);
                $body
            }
        }
        // Equal means "same precedence", not "same string": see `Display` for the input.
        crate::order_from_ord!($t);
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.input)
            }
        }
    };
}

ordered_by!(SemVer, |a, b| a.prec.cmp(&b.prec));
ordered_by!(GoVersion, |a, b| a.prec.cmp(&b.prec));
ordered_by!(PubVersion, |a, b| a
    .major
    .cmp(&b.major)
    .then_with(|| a.minor.cmp(&b.minor))
    .then_with(|| a.patch.cmp(&b.patch))
    .then_with(|| compare_pre(&a.pre, &b.pre))
    .then_with(|| a.build.cmp(&b.build)));

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sv(s: &str) -> SemVer {
        SemVer::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }
    fn go(s: &str) -> GoVersion {
        GoVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }
    fn pubv(s: &str) -> PubVersion {
        PubVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    /// Every pair of a list that is sorted ascending, ties as `=` groups.
    fn assert_sorted<T: Ord + fmt::Display>(groups: &[&[T]]) {
        for (i, gi) in groups.iter().enumerate() {
            for (j, gj) in groups.iter().enumerate() {
                for a in gi.iter() {
                    for b in gj.iter() {
                        assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn semver_spec_precedence_example() {
        let list = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
            "10.0.0",
        ];
        let parsed: Vec<[SemVer; 1]> = list.iter().map(|s| [sv(s)]).collect();
        let groups: Vec<&[SemVer]> = parsed.iter().map(|g| &g[..]).collect();
        assert_sorted(&groups);
    }

    #[test]
    fn semver_build_metadata_is_ignored() {
        assert_eq!(sv("1.0.0+a"), sv("1.0.0+b"));
        assert_eq!(sv("1.0.0-rc.1+x.7"), sv("1.0.0-rc.1"));
        assert_eq!(sv("1.0.0+a").build().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn semver_accepts_what_node_accepts() {
        for s in [
            "v1.2.3",
            " 1.2.3\t",
            "\u{feff}1.2.3\u{a0}",
            "1.2.3+01",
            "\u{3000}v1.2.3",
        ] {
            assert_eq!(sv(s), sv("1.2.3"), "{s:?}");
            assert_eq!(sv(s).to_string(), s, "Display keeps the input");
        }
        assert!(sv("1.2.3-0a") < sv("1.2.3"));
        assert_eq!(sv(" v1.2.3-rc.1+b ").normalized(), "1.2.3-rc.1");
        assert_eq!(
            sv("9007199254740991.0.0").to_string(),
            "9007199254740991.0.0"
        );
    }

    #[test]
    fn semver_rejects_what_node_rejects() {
        for s in [
            "",
            "=1.2.3",
            "V1.2.3",
            "vv1.2.3",
            "v 1.2.3",
            "\u{85}1.2.3",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "1.2.3-a+b+c",
            "1.2.3-é",
            "1.2.3-a_b",
            "9007199254740992.0.0",
            "1.99999999999999999999999999.0",
            "999999999999999999999999999991",
        ] {
            assert!(SemVer::parse(s).is_err(), "{s:?} should be rejected");
        }
        let long = format!("1.2.3-{}", "a".repeat(251));
        assert!(SemVer::parse(&long).is_err());
        assert!(SemVer::parse(&long[..256]).is_ok());
    }

    #[test]
    fn semver_huge_prerelease_numbers_compare_exactly() {
        // node compares these as doubles and calls them equal; the spec (and crates.io) say
        // numerically, which is what we do (a documented oracle delta).
        assert!(sv("1.0.0-9007199254740993") > sv("1.0.0-9007199254740992"));
        assert!(sv("1.0.0-99999999999999999999999") > sv("1.0.0-99999999999999999999998"));
    }

    #[test]
    fn semver_errors_say_why() {
        let e = SemVer::parse("1.02.3").expect_err("1.02.3");
        assert!(e.0.contains("leading zero"), "{e}");
        let e = SemVer::parse("1.2.3-a_b").expect_err("1.2.3-a_b");
        assert!(e.0.contains("'_'"), "{e}");
        let e = SemVer::parse("9007199254740992.0.0").expect_err("9007199254740992.0.0");
        assert!(e.0.contains("2^53"), "{e}");
    }

    /// The table of `golang.org/x/mod/semver`'s tests: input and canonical form ("" when
    /// invalid), in ascending order.
    const GO_TABLE: &[(&str, &str)] = &[
        ("bad", ""),
        ("v1-alpha.beta.gamma", ""),
        ("v1-pre", ""),
        ("v1+meta", ""),
        ("v1-pre+meta", ""),
        ("v1.2-pre", ""),
        ("v1.2+meta", ""),
        ("v1.2-pre+meta", ""),
        ("v1.0.0-alpha", "v1.0.0-alpha"),
        ("v1.0.0-alpha.1", "v1.0.0-alpha.1"),
        ("v1.0.0-alpha.beta", "v1.0.0-alpha.beta"),
        ("v1.0.0-beta", "v1.0.0-beta"),
        ("v1.0.0-beta.2", "v1.0.0-beta.2"),
        ("v1.0.0-beta.11", "v1.0.0-beta.11"),
        ("v1.0.0-rc.1", "v1.0.0-rc.1"),
        ("v1", "v1.0.0"),
        ("v1.0", "v1.0.0"),
        ("v1.0.0", "v1.0.0"),
        ("v1.2", "v1.2.0"),
        ("v1.2.0", "v1.2.0"),
        ("v1.2.3-456", "v1.2.3-456"),
        ("v1.2.3-456.789", "v1.2.3-456.789"),
        ("v1.2.3-456-789", "v1.2.3-456-789"),
        ("v1.2.3-456a", "v1.2.3-456a"),
        ("v1.2.3-pre", "v1.2.3-pre"),
        ("v1.2.3-pre+meta", "v1.2.3-pre"),
        ("v1.2.3-pre.1", "v1.2.3-pre.1"),
        ("v1.2.3-zzz", "v1.2.3-zzz"),
        ("v1.2.3", "v1.2.3"),
        ("v1.2.3+meta", "v1.2.3"),
        ("v1.2.3+meta-pre", "v1.2.3"),
        ("v1.2.3+meta-pre.sha.256a", "v1.2.3"),
    ];

    #[test]
    fn go_x_mod_semver_table() {
        let valid: Vec<(usize, GoVersion, &str)> = GO_TABLE
            .iter()
            .enumerate()
            .filter_map(|(i, (input, canon))| match GoVersion::parse(input) {
                Ok(v) => {
                    assert_eq!(v.canonical(), *canon, "{input}");
                    Some((i, v, *canon))
                }
                Err(_) => {
                    assert_eq!(*canon, "", "{input} should be valid");
                    None
                }
            })
            .collect();
        // x/mod's TestCompare: equal canonical forms compare equal, otherwise table order.
        for (i, a, ca) in &valid {
            for (j, b, cb) in &valid {
                let want = if ca == cb { Ordering::Equal } else { i.cmp(j) };
                assert_eq!(a.cmp(b), want, "{a} vs {b}");
            }
        }
        assert!(go("v2") > go("v1"));
        assert!(
            go("v1.19") > go("v1.2"),
            "numbers compare numerically, not as text"
        );
    }

    #[test]
    fn go_accepts_osv_forms_without_v() {
        assert_eq!(go("1.6.0"), go("v1.6.0"));
        assert_eq!(go("0"), go("v0.0.0"));
        assert_eq!(go("0").canonical(), "v0.0.0");
        assert_eq!(go("1.2.3").to_string(), "1.2.3");
        assert!(GoVersion::parse("vv1.2.3").is_err());
        assert!(GoVersion::parse(" v1.2.3").is_err());
        assert!(GoVersion::parse("v1.02.3").is_err());
        assert!(GoVersion::parse("").is_err());
        assert!(GoVersion::parse("v").is_err());
    }

    #[test]
    fn go_incompatible_and_pseudo_versions() {
        let inc = go("v2.0.0+incompatible");
        assert!(inc.is_incompatible());
        assert_eq!(inc, go("v2.0.0"));
        assert!(!go("v2.0.0+incompatible.1").is_incompatible());

        let p0 = go("v0.0.0-20191109021931-daa7c04131f5");
        let pre = go("v1.2.3-pre.0.20191109021931-daa7c04131f5");
        let next = go("v1.2.4-0.20191109021931-daa7c04131f5");
        for p in [&p0, &pre, &next] {
            assert!(p.is_pseudo(), "{p}");
            assert!(p.is_prerelease(), "{p}");
        }
        assert!(go("1.7.2-0.20260509080709-d1a4092c61cc+incompatible").is_pseudo());
        assert!(!go("v1.2.3-20191109021931-daa7c04131f5").is_pseudo());
        assert!(!go("v1.2.3-1.20191109021931-daa7c04131f5").is_pseudo());
        assert!(!go("v1.2.3-0.2019110902193-daa7c04131f5").is_pseudo());
        assert!(!go("v1.2.3").is_pseudo());

        // A pseudo-version sorts below its base release and above earlier tags.
        assert!(p0 < go("v0.0.1"));
        assert!(go("v1.2.3-pre") < pre && pre < go("v1.2.3"));
        assert!(go("v1.2.3") < next && next < go("v1.2.4"));
        // Timestamps order pseudo-versions of the same base.
        assert!(
            go("v0.0.0-20191109021931-daa7c04131f5") < go("v0.0.0-20200101000000-000000000000")
        );
    }

    #[test]
    fn go_numbers_of_any_size() {
        let a = go("v99999999999999999999999999999.0.0");
        let b = go("v100000000000000000000000000000.0.0");
        assert!(a < b);
        assert!(go("v1.0.0-99999999999999999999999") > go("v1.0.0-99999999999999999999998"));
    }

    #[test]
    fn pub_build_orders() {
        // pub_semver's own comparison test list, ascending.
        let list = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0-rc.1+build.1",
            "1.0.0",
            "1.0.0+0.3.7",
            "1.3.7+build",
            "1.3.7+build.2.b8f12d7",
            "1.3.7+build.11.e0f985a",
            "2.0.0",
            "2.1.0",
            "2.2.0",
            "2.11.0",
            "2.11.1",
        ];
        let parsed: Vec<[PubVersion; 1]> = list.iter().map(|s| [pubv(s)]).collect();
        let groups: Vec<&[PubVersion]> = parsed.iter().map(|g| &g[..]).collect();
        assert_sorted(&groups);
        assert!(pubv("1.2.3+1") < pubv("1.2.3+a"));
        assert!(pubv("1.2.3+900") < pubv("1.2.3+a"));
        assert!(pubv("1.2.3+9a") > pubv("1.2.3+1z"));
    }

    #[test]
    fn pub_leading_zeros_are_ignored() {
        // pub_semver's equality test.
        assert_eq!(pubv("01.2.3"), pubv("1.2.3"));
        assert_eq!(pubv("1.02.3"), pubv("1.2.3"));
        assert_eq!(pubv("1.2.03"), pubv("1.2.3"));
        assert_eq!(pubv("1.2.3-01"), pubv("1.2.3-1"));
        assert_eq!(pubv("1.2.3+01"), pubv("1.2.3+1"));
        assert_eq!(
            pubv("001.02.0003-01.dev+pre.002").to_string(),
            "001.02.0003-01.dev+pre.002"
        );
    }

    #[test]
    fn pub_rejects_what_pub_semver_rejects() {
        // pub_semver's parse() test, plus the prefix and overflow cases.
        for s in [
            "1.0",
            "1.2.3.4",
            "1234",
            "-2.3.4",
            "1.3-pre",
            "1.3+build",
            "1.3+bu?!3ild",
            "v1.2.3",
            " 1.2.3",
            "1.2.3-",
            "1.2.3-a..b",
            "1x2y3",
            "9223372036854775808.0.0",
        ] {
            assert!(PubVersion::parse(s).is_err(), "{s:?} should be rejected");
        }
        assert!(PubVersion::parse("9223372036854775807.0.0").is_ok());
    }

    #[test]
    fn pub_parts_follow_dart_int_try_parse() {
        assert_eq!(dart_try_parse_int("0"), Some(0));
        assert_eq!(dart_try_parse_int("007"), Some(7));
        assert_eq!(dart_try_parse_int("-1"), Some(-1));
        assert_eq!(dart_try_parse_int("-0"), Some(0));
        assert_eq!(dart_try_parse_int("0x10"), Some(16));
        assert_eq!(dart_try_parse_int("0XfF"), Some(255));
        assert_eq!(dart_try_parse_int("0xFFFFFFFFFFFFFFFF"), Some(-1));
        assert_eq!(dart_try_parse_int("9223372036854775807"), Some(i64::MAX));
        assert_eq!(dart_try_parse_int("-9223372036854775808"), Some(i64::MIN));
        for s in [
            "",
            "-",
            "0x",
            "0x1g",
            "1a",
            "a",
            "9223372036854775808",
            "--1",
        ] {
            assert_eq!(dart_try_parse_int(s), None, "{s:?}");
        }
        assert_eq!(pubv("1.0.0-0x10"), pubv("1.0.0-16"));
        assert!(pubv("1.0.0--1") < pubv("1.0.0-0"));
        // Too big for an int: a string, so above every number.
        assert!(pubv("1.0.0-99999999999999999999") > pubv("1.0.0-5"));
    }

    fn ident() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u32..12).prop_map(|n| n.to_string()),
            "[0-9A-Za-z-]{1,4}",
            Just("00".to_string()),
        ]
    }

    /// Version-shaped strings, mostly valid, with the ecosystems' special forms mixed in.
    fn versionish() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just(""), Just("v"), Just(" "), Just("=")],
            (0u32..4, 0u32..4, 0u32..4),
            prop::option::of(prop::collection::vec(ident(), 1..4)),
            prop::option::of(prop::collection::vec(ident(), 1..3)),
            prop_oneof![Just(""), Just(""), Just(".0"), Just("x"), Just(".")],
        )
            .prop_map(|(prefix, (a, b, c), pre, build, junk)| {
                let mut s = format!("{prefix}{a}.{b}.{c}");
                if let Some(p) = pre {
                    s.push('-');
                    s.push_str(&p.join("."));
                }
                if let Some(b) = build {
                    s.push('+');
                    s.push_str(&b.join("."));
                }
                s.push_str(junk);
                s
            })
    }

    fn check_order_laws<T: Ord + fmt::Debug>(a: &T, b: &T, c: &T) {
        if let Err(e) = crate::laws::check(a, b, c) {
            panic!("{e}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = SemVer::parse(&s);
            let _ = GoVersion::parse(&s);
            let _ = PubVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_versionish(s in versionish()) {
            let _ = SemVer::parse(&s);
            let _ = GoVersion::parse(&s);
            let _ = PubVersion::parse(&s);
        }

        #[test]
        fn semver_order_laws(a in versionish(), b in versionish(), c in versionish()) {
            if let (Ok(a), Ok(b), Ok(c)) = (SemVer::parse(&a), SemVer::parse(&b), SemVer::parse(&c)) {
                check_order_laws(&a, &b, &c);
            }
        }

        #[test]
        fn go_order_laws(a in versionish(), b in versionish(), c in versionish()) {
            if let (Ok(a), Ok(b), Ok(c)) = (GoVersion::parse(&a), GoVersion::parse(&b), GoVersion::parse(&c)) {
                check_order_laws(&a, &b, &c);
                // Equal exactly when the canonical forms are, as x/mod documents.
                prop_assert_eq!(a == b, a.canonical() == b.canonical());
            }
        }

        #[test]
        fn pub_order_laws(a in versionish(), b in versionish(), c in versionish()) {
            if let (Ok(a), Ok(b), Ok(c)) = (PubVersion::parse(&a), PubVersion::parse(&b), PubVersion::parse(&c)) {
                check_order_laws(&a, &b, &c);
            }
        }

        #[test]
        fn semver_and_go_agree_where_both_parse(a in versionish(), b in versionish()) {
            if let (Ok(sa), Ok(sb), Ok(ga), Ok(gb)) = (SemVer::parse(&a), SemVer::parse(&b), GoVersion::parse(&a), GoVersion::parse(&b)) {
                prop_assert_eq!(sa.cmp(&sb), ga.cmp(&gb));
            }
        }
    }
}
