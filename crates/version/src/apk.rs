//! Alpine package versions, parsed and ordered as apk-tools v3 does (`src/version.c`):
//! `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`, e.g. `1.2.3a_rc1_p2~1a2b-r0`.
//!
//! Owns [`ApkVersion`]. A version is a sequence of tokens (first number, further `.`numbers,
//! one lowercase letter, `_alpha _beta _pre _rc` (pre-release) or `_cvs _svn _git _hg _p`
//! (post-release) suffixes with optional numbers, a `~` commit hash, a `-r` revision). Two
//! versions are walked token by token; where they differ in kind, a pre-release suffix is
//! lowest, then the end of the version, then (in this order) revision, hash, suffix number,
//! post-release suffix, letter, dotted number. The traps: a dotted number with a leading
//! zero compares as a *string* (`1.02 < 1.1`, `8.2.0015 < 8.2.002`) while the first number,
//! suffix numbers and revisions compare numerically (`1-r01 = 1-r1`); `1.2_rc1 < 1.2 < 1.2-r0
//! < 1.2_p1`; and `apk version -t` compares even invalid strings (it stops at the first bad
//! token), whereas we reject them, as apk's own validator (`apk_version_validate`, behind
//! `apk version --check`) does.
//!
//! Two shapes that apk v3's validator refuses are accepted, because they occur in Alpine's own
//! security database (built with apk-tools 2) and osv.dev lists them as valid: digits right
//! after the letter (`6.6.2p1-r0`, OpenSSH-style portable releases), ordered as apk-tools 2
//! did, as one more number after the letter; and a dotted component that is empty because a
//! `<letter><digits>` follows it (`10.2.22.r0`), ordered as an empty number, lowest of all.
//! Numbers compare without overflow at any length (apk wraps at 2⁶⁴).

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// An Alpine package version (apk-tools v3 order).
#[derive(Debug, Clone)]
pub struct ApkVersion {
    original: String,
    tokens: Vec<Token>,
}

/// Token kinds, in apk's grammar order: a token may only be followed by certain kinds, and
/// the checks in [`ApkVersion::parse`] are phrased against this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    First,
    Digit,
    Letter,
    /// Digits right after the letter: apk-tools 2 compatibility (`6.6.2p1`).
    LetterNumber,
    Suffix,
    SuffixNumber,
    CommitHash,
    Revision,
}

/// apk v3's suffix enumeration, in order; everything before `None` is a pre-release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Suffix {
    Alpha,
    Beta,
    Pre,
    Rc,
    Cvs,
    Svn,
    Git,
    Hg,
    P,
}

impl Suffix {
    fn from_name(name: &str) -> Option<Suffix> {
        Some(match name {
            "alpha" => Suffix::Alpha,
            "beta" => Suffix::Beta,
            "pre" => Suffix::Pre,
            "rc" => Suffix::Rc,
            "cvs" => Suffix::Cvs,
            "svn" => Suffix::Svn,
            "git" => Suffix::Git,
            "hg" => Suffix::Hg,
            "p" => Suffix::P,
            _ => return None,
        })
    }

    fn is_pre_release(self) -> bool {
        self < Suffix::Cvs
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    First(String),
    Digit(String),
    Letter(u8),
    LetterNumber(String),
    Suffix(Suffix),
    SuffixNumber(String),
    CommitHash(String),
    Revision(String),
}

impl Token {
    /// The position of a token when two versions differ in kind at the same place; `None`
    /// is the end of the version. Mirrors apk's rule "pre-release suffix is lowest, else the
    /// later grammar kind (the end being the latest) is lower".
    fn rank(t: Option<&Token>) -> u8 {
        match t {
            Some(Token::Suffix(s)) if s.is_pre_release() => 0,
            None => 1,
            Some(Token::Revision(_)) => 2,
            Some(Token::CommitHash(_)) => 3,
            Some(Token::SuffixNumber(_)) => 4,
            Some(Token::Suffix(_)) => 5,
            Some(Token::LetterNumber(_)) => 6,
            Some(Token::Letter(_)) => 7,
            Some(Token::Digit(_)) => 8,
            Some(Token::First(_)) => 9,
        }
    }
}

/// Decimal strings by numeric value, at any length.
fn cmp_numeric(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// apk compares a dotted number as a string when either side has a leading zero (Gentoo's
/// rule, so that `1.02 < 1.1`), numerically otherwise.
fn cmp_dotted(a: &str, b: &str) -> Ordering {
    if a.starts_with('0') || b.starts_with('0') {
        a.cmp(b)
    } else {
        cmp_numeric(a, b)
    }
}

fn cmp_same_rank(a: &Token, b: &Token) -> Ordering {
    match (a, b) {
        (Token::First(x), Token::First(y))
        | (Token::LetterNumber(x), Token::LetterNumber(y))
        | (Token::SuffixNumber(x), Token::SuffixNumber(y))
        | (Token::Revision(x), Token::Revision(y)) => cmp_numeric(x, y),
        (Token::Digit(x), Token::Digit(y)) => cmp_dotted(x, y),
        (Token::Letter(x), Token::Letter(y)) => x.cmp(y),
        (Token::Suffix(x), Token::Suffix(y)) => x.cmp(y),
        (Token::CommitHash(x), Token::CommitHash(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => Ordering::Equal,
    }
}

fn take_while(s: &[u8], i: &mut usize, f: impl Fn(u8) -> bool) -> String {
    let start = *i;
    while *i < s.len() && f(s[*i]) {
        *i += 1;
    }
    // Only ASCII bytes are ever taken, so this is valid UTF-8.
    String::from_utf8_lossy(&s[start..*i]).into_owned()
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

impl ApkVersion {
    /// Parse and validate as apk-tools v3's `apk_version_validate`, plus the two apk-tools 2
    /// shapes described in the module documentation.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let b = s.as_bytes();
        let invalid = |why: &str| Err(InvalidVersion::new(why));
        let mut i = 0;
        let first = take_while(b, &mut i, |c| c.is_ascii_digit());
        if first.is_empty() {
            return invalid("does not start with a digit");
        }
        let mut tokens = vec![Token::First(first)];
        let mut kind = Kind::First;
        while i < b.len() {
            let c = b[i];
            match c {
                b'a'..=b'z' => {
                    if kind > Kind::Digit {
                        return invalid("a letter may only follow a number");
                    }
                    i += 1;
                    tokens.push(Token::Letter(c));
                    kind = Kind::Letter;
                    if b.get(i).is_some_and(u8::is_ascii_digit) {
                        tokens.push(Token::LetterNumber(take_while(b, &mut i, |c| {
                            c.is_ascii_digit()
                        })));
                        kind = Kind::LetterNumber;
                    }
                }
                b'.' => {
                    if kind > Kind::Digit {
                        return invalid("'.' may only follow a number");
                    }
                    i += 1;
                    let digits = take_while(b, &mut i, |c| c.is_ascii_digit());
                    let letter_number_follows = b.get(i).is_some_and(u8::is_ascii_lowercase)
                        && b.get(i + 1).is_some_and(u8::is_ascii_digit);
                    if digits.is_empty() && !letter_number_follows {
                        return invalid("'.' is not followed by a number");
                    }
                    tokens.push(Token::Digit(digits));
                    kind = Kind::Digit;
                }
                b'_' => {
                    if kind > Kind::SuffixNumber {
                        return invalid("a '_' suffix may not follow a hash or revision");
                    }
                    i += 1;
                    let name = take_while(b, &mut i, |c| c.is_ascii_lowercase());
                    let Some(suffix) = Suffix::from_name(&name) else {
                        return Err(InvalidVersion::new(format!(
                            "unknown suffix {:?} (known: alpha beta pre rc cvs svn git hg p)",
                            format!("_{name}")
                        )));
                    };
                    tokens.push(Token::Suffix(suffix));
                    kind = Kind::Suffix;
                    if b.get(i).is_some_and(u8::is_ascii_digit) {
                        tokens.push(Token::SuffixNumber(take_while(b, &mut i, |c| {
                            c.is_ascii_digit()
                        })));
                        kind = Kind::SuffixNumber;
                    }
                }
                b'~' => {
                    if kind >= Kind::CommitHash {
                        return invalid("a '~' hash may not follow a hash or revision");
                    }
                    i += 1;
                    let hash = take_while(b, &mut i, is_hex);
                    if hash.is_empty() {
                        return invalid("'~' is not followed by a lowercase hex commit hash");
                    }
                    tokens.push(Token::CommitHash(hash));
                    kind = Kind::CommitHash;
                }
                b'-' => {
                    if kind >= Kind::Revision {
                        return invalid("more than one '-r' revision");
                    }
                    if b.get(i + 1) != Some(&b'r') {
                        return invalid("'-' is not followed by 'r' (revision)");
                    }
                    i += 2;
                    let rev = take_while(b, &mut i, |c| c.is_ascii_digit());
                    if rev.is_empty() {
                        return invalid("'-r' is not followed by a number");
                    }
                    tokens.push(Token::Revision(rev));
                    kind = Kind::Revision;
                }
                _ => {
                    let ch = s[i..].chars().next().unwrap_or('?');
                    return Err(InvalidVersion::new(match kind {
                        Kind::Revision => format!("{ch:?} after the revision"),
                        _ => format!("unexpected character {ch:?}"),
                    }));
                }
            }
        }
        Ok(ApkVersion {
            original: s.to_string(),
            tokens,
        })
    }

    /// The `-rN` package revision, if present (a missing one sorts below `-r0`).
    pub fn revision(&self) -> Option<&str> {
        self.tokens.iter().find_map(|t| match t {
            Token::Revision(r) => Some(r.as_str()),
            _ => None,
        })
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.tokens.len().max(other.tokens.len());
        for k in 0..=n {
            let (a, b) = (self.tokens.get(k), other.tokens.get(k));
            let by_rank = Token::rank(a).cmp(&Token::rank(b));
            if by_rank != Ordering::Equal {
                return by_rank;
            }
            let (Some(a), Some(b)) = (a, b) else {
                return Ordering::Equal;
            };
            let by_value = cmp_same_rank(a, b);
            if by_value != Ordering::Equal {
                return by_value;
            }
        }
        Ordering::Equal
    }
}

crate::order_from_ord!(ApkVersion);

impl fmt::Display for ApkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> ApkVersion {
        ApkVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn cmp(a: &str, b: &str) -> Ordering {
        v(a).cmp(&v(b))
    }

    /// `../shared/data/versions/osv.dev/<name>`: absent is a skip, or a failure in CI.
    fn osv_file(name: &str) -> Option<String> {
        caulk_testkit::data_text(&format!("versions/osv.dev/{name}"))
    }

    fn listed(text: &str) -> Vec<&str> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    }

    #[test]
    fn osv_valid_versions_are_accepted() {
        let Some(text) = osv_file("valid_versions.txt") else {
            return;
        };
        let versions = listed(&text);
        assert!(versions.len() > 100);
        for s in versions {
            assert!(
                ApkVersion::parse(s).is_ok(),
                "{s:?} must be valid: {:?}",
                ApkVersion::parse(s)
            );
        }
    }

    #[test]
    fn osv_invalid_versions_are_rejected() {
        let Some(text) = osv_file("invalid_versions.txt") else {
            return;
        };
        let versions = listed(&text);
        assert!(versions.len() > 5);
        for s in versions {
            assert!(ApkVersion::parse(s).is_err(), "{s:?} must be rejected");
        }
    }

    /// apk-tools v3's own validity cases (`test/unit/version.data`), except `0.1a1`, which we
    /// accept on purpose (digits after the letter, see the module documentation).
    #[test]
    fn apk_tools_validity_cases() {
        for ok in [
            "1.2",
            "0.1_pre2",
            "0.1_pre2~1234abcd",
            "0.1_p1_pre2",
            "0.1_alpha1_pre2",
            "0.1_git20240101_pre1",
        ] {
            assert!(ApkVersion::parse(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "0.1bc",
            "0.1bc1",
            "0.1a.1",
            "0.1_pre2~",
            "0.1_pre2~1234xbcd",
            "0.1_pre2~1234abcd_pre1",
            "0.1_pre2-r1~1234xbcd",
            "0.1_foobar",
            "0.1_foobar1",
            "0.1-pre1.1",
            "0.1-r",
            "0.1-r2_pre1",
            "0.1-r2_p3_pre1",
            "0.1-r2-r3",
            "0.1-r2.1",
            ".1",
            "a",
            "_pre1",
            "-r1",
            "0.1_",
            "0.1_-r0",
            "0.1__alpha",
            "0.1_1_alpha",
            "1.2.0A",
            "1.0 ",
        ] {
            assert!(ApkVersion::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn apk_tools_order_cases() {
        for (a, want, b) in [
            ("2.34", Ordering::Greater, "0.1.0_alpha"),
            ("0.1.0_alpha2", Ordering::Greater, "0.1.0_alpha"),
            ("1.1", Ordering::Greater, "1.1_alpha1"),
            ("1.06-r6", Ordering::Less, "006"),
            ("0.1.0_alpha_pre2", Ordering::Less, "0.1.0_alpha"),
            ("6.0_pre1", Ordering::Less, "6.0"),
            ("6.0_p1", Ordering::Greater, "6.0"),
            ("8.2.0", Ordering::Less, "8.2.001"),
            ("8.2.0015", Ordering::Less, "8.2.002"),
            ("1.0~1234", Ordering::Less, "1.0~2345"),
            ("1.0~1234-r1", Ordering::Less, "1.0~2345-r0"),
            ("1.0~1234-r1", Ordering::Greater, "1.0~1234-r0"),
            ("1-r1", Ordering::Equal, "1-r01"),
            ("1", Ordering::Less, "1-r0"),
            ("1.2-r0", Ordering::Less, "1.2_p1"),
            ("1.2_rc", Ordering::Less, "1.2_rc0"),
            ("1.0", Ordering::Less, "1.00"),
            ("01b", Ordering::Equal, "1b"),
            ("1.9.3_p_p392-r0", Ordering::Greater, "1.9.3_p392-r0"),
            ("1.2_rc_pre", Ordering::Less, "1.2_rc1"),
            ("1.2", Ordering::Less, "1.2_cvs1"),
            ("1.2_svn2", Ordering::Less, "1.2_git1"),
            ("1.2a", Ordering::Less, "1.2.1"),
            ("1.0_p10-r0", Ordering::Greater, "1.0_p9-r0"),
        ] {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn apk_tools_2_shapes() {
        assert_eq!(cmp("6.6.2p1", "6.6.2p2"), Ordering::Less);
        assert_eq!(cmp("6.6.2p1", "6.6.2_p1"), Ordering::Greater);
        assert_eq!(cmp("6.6.2p1", "6.6.2p"), Ordering::Greater);
        assert_eq!(cmp("6.6.4p1-r1", "6.6.4p1-r2"), Ordering::Less);
        assert_eq!(cmp("0.8.21.r2", "0.8.21.r1"), Ordering::Greater);
        assert_eq!(cmp("10.2.24.r0", "10.2.22.r0"), Ordering::Greater);
        assert_eq!(cmp("0.8.21.r2", "0.8.21.0"), Ordering::Less);
        assert!(ApkVersion::parse("2.15.r-r1").is_err());
        assert!(ApkVersion::parse("1.r").is_err());
    }

    #[test]
    fn huge_numbers_compare_without_overflow() {
        let big = "9".repeat(200);
        assert_eq!(cmp(&big, &format!("1{big}")), Ordering::Less);
        assert_eq!(
            cmp(&format!("1-r{big}"), &format!("1-r0{big}")),
            Ordering::Equal
        );
        assert_eq!(v("1.2-r7").revision(), Some("7"));
        assert_eq!(v("1.2").revision(), None);
        assert_eq!(v("1.2_rc1-r7").to_string(), "1.2_rc1-r7");
    }

    fn apk_like() -> impl Strategy<Value = String> {
        "[0-9]{1,3}(\\.[0-9]{1,2}){0,3}([a-z][0-9]?)?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]{0,2}){0,2}(~[0-9a-f]{1,4})?(-r[0-9]{1,2})?"
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = ApkVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_near_versions(s in "[0-9a-z._~\\-A]{0,14}") {
            let _ = ApkVersion::parse(&s);
        }

        #[test]
        fn generated_versions_parse(s in apk_like()) {
            prop_assert!(ApkVersion::parse(&s).is_ok(), "{:?}", s);
        }

        #[test]
        fn order_laws(a in apk_like(), b in apk_like(), c in apk_like()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }
    }
}
