//! PEP 440 versions (PyPI), ordered exactly as pip's `packaging.version.Version`, and the
//! legacy ordering for the strings that are not PEP 440.
//!
//! Owns [`Pep440Version`]: a strict parser (what `Version(s)` accepts, with its generous
//! normalisation: any case, a `v`, surrounding whitespace, `alpha`/`c`/`pre`/`preview`/
//! `rev`/`r` spellings, `-`, `_` or `.` separators or none, `1.0-1` as a post-release) and the
//! `_cmpkey` order, plus [`Pep440Version::legacy`], packaging 21's `LegacyVersion` key.
//!
//! The trap: the order is not the text. `1.0 == 1.0.0`, `1.0.dev0 < 1.0a0` but
//! `1.0a0.dev0 < 1.0a0`, `1.0.post0.dev0 > 1.0`, `1.0+local > 1.0`, and in local labels
//! numbers beat words (`+abc < +1`, `+01 == +1`). Since packaging 22 a non-PEP 440 string is
//! simply invalid, yet OSV still lists old releases like `0.9-doduo`; those get the legacy
//! key, which sorts below every valid version. Numbers have no bound (`Decimal`).

use crate::InvalidVersion;
use crate::semver::Decimal;
use std::cmp::Ordering;
use std::fmt;

/// A PyPI version: valid PEP 440, or (only through [`Pep440Version::legacy`]) legacy.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    input: String,
    repr: Repr,
}

/// Variant order matters: packaging 21 gave legacy versions epoch -1, below every valid one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Repr {
    /// `_legacy_cmpkey`'s parts.
    Legacy(Vec<Box<str>>),
    Valid(Key),
}

/// `packaging.version._cmpkey` (packaging 26), field by field in comparison order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    epoch: Decimal,
    /// The release with trailing zeros dropped, so `1.0.0 == 1`.
    release: Vec<Decimal>,
    /// -1 for a dev-only release (`1.0.dev1`, before any alpha), 0 `a`, 1 `b`, 2 `rc`,
    /// 3 for no pre-release.
    pre_rank: i8,
    pre_n: Decimal,
    /// 0 without a post-release, 1 with one.
    post_rank: u8,
    post_n: Decimal,
    /// 0 with a dev-release, 1 without (dev sorts first).
    dev_rank: u8,
    dev_n: Decimal,
    /// `None` sorts before any local label (`1.0 < 1.0+anything`).
    local: Option<Vec<LocalPart>>,
}

/// One local label part: PEP 440 puts alphanumeric parts before numeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LocalPart {
    /// Lower-cased.
    Text(Box<str>),
    Number(Decimal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pre {
    A,
    B,
    Rc,
}

/// In the regex's alternation order: the first that matches wins and is never revisited
/// (packaging's pattern is possessive), so `1.0prev` is invalid rather than `pre` + junk.
const PRE_LABELS: [(&str, Pre); 8] = [
    ("alpha", Pre::A),
    ("a", Pre::A),
    ("beta", Pre::B),
    ("b", Pre::B),
    ("preview", Pre::Rc),
    ("pre", Pre::Rc),
    ("c", Pre::Rc),
    ("rc", Pre::Rc),
];
const POST_LABELS: [&str; 3] = ["post", "rev", "r"];

/// Python's `\s` / `str.isspace`, which `packaging` strips around a version: wider than
/// Rust's `char::is_whitespace` (U+001C..U+001F are in it).
fn is_python_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

fn is_sep(b: u8) -> bool {
    matches!(b, b'.' | b'_' | b'-')
}

/// A byte cursor over the trimmed, ASCII-only version text. Each optional segment of the
/// regex is tried with [`Cursor::attempt`], which rewinds on failure the way a failed
/// optional group does, and never backtracks into a segment once it matched (the pattern's
/// possessive quantifiers).
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn digits(&mut self) -> Option<Decimal> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > start).then(|| Decimal::from_digits(ascii(&self.b[start..self.i])))
    }

    fn optional_sep(&mut self) {
        if self.peek().is_some_and(is_sep) {
            self.i += 1;
        }
    }

    /// Case-insensitive literal.
    fn word(&mut self, w: &str) -> bool {
        let end = self.i + w.len();
        let hit = self
            .b
            .get(self.i..end)
            .is_some_and(|s| s.eq_ignore_ascii_case(w.as_bytes()));
        if hit {
            self.i = end;
        }
        hit
    }

    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = self.i;
        let r = f(self);
        if r.is_none() {
            self.i = save;
        }
        r
    }

    fn alnums(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
            self.i += 1;
        }
        self.i - start
    }
}

/// The cursor only ever slices ASCII runs out of an ASCII string.
fn ascii(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

fn parse_key(s: &str) -> Result<Key, InvalidVersion> {
    let t = s.trim_matches(is_python_space);
    if t.is_empty() {
        return Err(InvalidVersion::new("empty version"));
    }
    // The pattern is ASCII-only (packaging compiles it with `(?a:...)`), so `ſ`, `K` or
    // Arabic-Indic digits never match letters or digits.
    if let Some(c) = t.chars().find(|c| !c.is_ascii()) {
        return Err(InvalidVersion::new(format!(
            "non-ASCII character {c:?} (PEP 440 versions are ASCII)"
        )));
    }
    let mut p = Cursor {
        b: t.as_bytes(),
        i: 0,
    };
    if matches!(p.peek(), Some(b'v' | b'V')) {
        p.i += 1;
    }
    let epoch = p
        .attempt(|p| {
            let e = p.digits()?;
            (p.peek() == Some(b'!')).then(|| {
                p.i += 1;
                e
            })
        })
        .unwrap_or_else(Decimal::zero);
    let first = p
        .digits()
        .ok_or_else(|| unexpected(t, p.i, "a release number"))?;
    let mut release = vec![first];
    while p.peek() == Some(b'.') && p.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
        p.i += 1;
        release.extend(p.digits());
    }
    let pre = p.attempt(|p| {
        p.optional_sep();
        let kind = PRE_LABELS
            .iter()
            .find_map(|(w, kind)| p.word(w).then_some(*kind))?;
        p.optional_sep();
        Some((kind, p.digits().unwrap_or_else(Decimal::zero)))
    });
    // `1.0-1` is the implicit post-release spelling; it is tried first, as in the pattern.
    let post = if p.peek() == Some(b'-') && p.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
        p.i += 1;
        p.digits()
    } else {
        p.attempt(|p| {
            p.optional_sep();
            POST_LABELS.iter().find(|w| p.word(w))?;
            p.optional_sep();
            Some(p.digits().unwrap_or_else(Decimal::zero))
        })
    };
    let dev = p.attempt(|p| {
        p.optional_sep();
        p.word("dev").then_some(())?;
        p.optional_sep();
        Some(p.digits().unwrap_or_else(Decimal::zero))
    });
    let local = if p.peek() == Some(b'+') {
        p.i += 1;
        let start = p.i;
        if p.alnums() == 0 {
            return Err(unexpected(t, p.i, "a local version label after '+'"));
        }
        while p.peek().is_some_and(is_sep)
            && p.peek_at(1).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            p.i += 1;
            p.alnums();
        }
        Some(
            ascii(&p.b[start..p.i])
                .split(['.', '_', '-'])
                .map(|part| {
                    if part.bytes().all(|c| c.is_ascii_digit()) {
                        LocalPart::Number(Decimal::from_digits(part))
                    } else {
                        LocalPart::Text(part.to_ascii_lowercase().into())
                    }
                })
                .collect(),
        )
    } else {
        None
    };
    if p.i != p.b.len() {
        return Err(unexpected(
            t,
            p.i,
            "a pre-, post- or dev-release, a local label or the end",
        ));
    }

    while release.last().is_some_and(Decimal::is_zero) {
        release.pop();
    }
    let (pre_rank, pre_n) = match (&pre, &post, &dev) {
        (None, None, Some(_)) => (-1, Decimal::zero()),
        (None, _, _) => (3, Decimal::zero()),
        (Some((kind, n)), _, _) => (
            match kind {
                Pre::A => 0,
                Pre::B => 1,
                Pre::Rc => 2,
            },
            n.clone(),
        ),
    };
    Ok(Key {
        epoch,
        release,
        pre_rank,
        pre_n,
        post_rank: u8::from(post.is_some()),
        post_n: post.unwrap_or_else(Decimal::zero),
        dev_rank: u8::from(dev.is_none()),
        dev_n: dev.unwrap_or_else(Decimal::zero),
        local,
    })
}

fn unexpected(t: &str, at: usize, expected: &str) -> InvalidVersion {
    let found = t
        .get(at..)
        .and_then(|r| r.chars().next())
        .map_or("the end".to_string(), |c| format!("{c:?}"));
    InvalidVersion::new(format!(
        "not PEP 440: expected {expected} after {:?}, found {found}",
        t.get(..at).unwrap_or_default()
    ))
}

/// packaging 21's `_legacy_cmpkey` (from setuptools' old `parse_version`): split the
/// lower-cased string into digit runs, letter runs, `.` and `-` (keeping what lies between),
/// zero-pad numbers to 8 places so they compare as text, prefix words with `*`, drop
/// trailing zero runs, and close with `*final` so `1.0c1 < 1.0`.
///
/// One deliberate difference: Python's `\d` also matches non-ASCII decimal digits (`٣`); here
/// only ASCII digits form number runs, others are part of the text between runs.
fn legacy_key(s: &str) -> Vec<Box<str>> {
    let lower = s.to_lowercase();
    let mut key: Vec<Box<str>> = Vec::new();
    for part in legacy_parts(&lower) {
        if part.starts_with('*') {
            // A pre-release word drops the `-` before it (`1.0-rc1` == `1.0rc1`).
            if &*part < "*final" {
                while key.last().is_some_and(|p| &**p == "*final-") {
                    key.pop();
                }
            }
            while key.last().is_some_and(|p| &**p == "00000000") {
                key.pop();
            }
        }
        key.push(part);
    }
    key
}

fn legacy_parts(s: &str) -> Vec<Box<str>> {
    // `re.split(r"(\d+|[a-z]+|\.|-)", s)`: the tokens and the text between them, in order.
    let b = s.as_bytes();
    let mut pieces: Vec<&str> = Vec::new();
    let (mut i, mut gap_start) = (0, 0);
    while i < b.len() {
        let run = |pred: fn(&u8) -> bool| b[i..].iter().take_while(|c| pred(c)).count();
        let len = match b[i] {
            c if c.is_ascii_digit() => run(u8::is_ascii_digit),
            c if c.is_ascii_lowercase() => run(u8::is_ascii_lowercase),
            b'.' | b'-' => 1,
            _ => 0,
        };
        if len == 0 {
            i += 1;
            continue;
        }
        // Token starts are ASCII, hence char boundaries.
        pieces.push(&s[gap_start..i]);
        pieces.push(&s[i..i + len]);
        i += len;
        gap_start = i;
    }
    pieces.push(&s[gap_start..]);

    let mut out: Vec<Box<str>> = Vec::new();
    for piece in pieces {
        let piece = match piece {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        };
        if piece.is_empty() || piece == "." {
            continue;
        }
        out.push(if piece.as_bytes()[0].is_ascii_digit() {
            format!("{piece:0>8}").into()
        } else {
            format!("*{piece}").into()
        });
    }
    out.push("*final".into());
    out
}

impl Pep440Version {
    /// Parse a PEP 440 version as `packaging.version.Version` does; anything else is an
    /// error saying where it stopped matching.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        Ok(Pep440Version {
            input: s.to_string(),
            repr: Repr::Valid(parse_key(s)?),
        })
    }

    /// The pre-PEP 440 ordering of packaging 21's `LegacyVersion`, for strings [`parse`]
    /// rejects: below every valid version, ordered among themselves by `_legacy_cmpkey`.
    /// Never fails and never panics. (Given a valid string it still builds the legacy key,
    /// as `LegacyVersion` did, so call it only after `parse` failed.)
    ///
    /// [`parse`]: Pep440Version::parse
    pub fn legacy(s: &str) -> Self {
        Pep440Version {
            input: s.to_string(),
            repr: Repr::Legacy(legacy_key(s)),
        }
    }

    pub fn is_legacy(&self) -> bool {
        matches!(self.repr, Repr::Legacy(_))
    }

    /// A pre-release or dev release (`packaging`'s `is_prerelease`); legacy versions never are.
    pub fn is_prerelease(&self) -> bool {
        match &self.repr {
            Repr::Valid(k) => k.pre_rank < 3 || k.dev_rank == 0,
            Repr::Legacy(_) => false,
        }
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.repr.cmp(&other.repr)
    }
}

// Equal means "same place in the order" (`1.0 == 1.0.0 == v1.0`), not the same text.
crate::order_from_ord!(Pep440Version);

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> Pep440Version {
        Pep440Version::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn lenient(s: &str) -> Pep440Version {
        Pep440Version::parse(s).unwrap_or_else(|_| Pep440Version::legacy(s))
    }

    #[test]
    fn pep440_ordering_example() {
        // The ordering example of PEP 440's "Summary of permitted suffixes and relative
        // ordering", ascending.
        let list = [
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for (i, a) in list.iter().enumerate() {
            for (j, b) in list.iter().enumerate() {
                assert_eq!(v(a).cmp(&v(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn normalisation_spellings_are_equal() {
        let same = [
            ("1.0", "1.0.0.0"),
            ("1.0", "1"),
            ("1.0", " v1.0\n"),
            ("1.0", "\u{1C}1.0\u{3000}"),
            ("1.0a1", "1.0.alpha.1"),
            ("1.0a1", "1.0-ALPHA_1"),
            ("1.0a0", "1.0a"),
            ("1.0b2", "1.0beta2"),
            ("1.0rc1", "1.0c1"),
            ("1.0rc1", "1.0pre1"),
            ("1.0rc1", "1.0-preview-1"),
            ("1.0.post1", "1.0-1"),
            ("1.0.post1", "1.0rev1"),
            ("1.0.post1", "1.0.r1"),
            ("1.0.post0", "1.0-r"),
            ("1.0.post0", "1.0.post-"),
            ("1.0.dev0", "1.0-dev"),
            ("1.0.dev0", "1.0DEV"),
            ("1.0a0.dev0", "1.0a-dev"),
            ("1.0rc1", "1.0rc-1"),
            ("1.0a1.post1", "1.0a1-1"),
            ("1.0a0.post0", "1.0a.post"),
            ("0!1.0", "1.0"),
            ("1.0+abc.1", "1.0+ABC-1"),
            ("1.0+abc.1", "1.0+abc_01"),
            ("00001.0002", "1.2"),
        ];
        for (a, b) in same {
            assert_eq!(v(a), v(b), "{a:?} == {b:?}");
        }
    }

    #[test]
    fn ordering_special_cases() {
        assert!(v("1.0.dev0") < v("1.0a0"));
        assert!(v("1.0a0.dev0") < v("1.0a0"));
        assert!(v("1.0.post0.dev0") > v("1.0"));
        assert!(v("1.0.post0.dev0") < v("1.0.post0"));
        assert!(v("1.0+local") > v("1.0"));
        assert!(v("1.0+local.a") < v("1.0+local.1"));
        assert!(v("1.0+local.0") < v("1.0+local.0.1"));
        assert!(
            v("1.0+9") < v("1.0+10"),
            "numeric local parts compare as numbers"
        );
        assert!(v("1.0+abc") < v("1.0+abd"));
        assert!(v("1!0.1") > v("999.0"));
        assert!(v("1.0.post1") < v("1.0.1"));
        assert!(v("1.0") < v("1.0.0.1"));
        let big = "1.99999999999999999999999999999999999999";
        assert!(v(big) > v("1.99999999999999999999999999999999999998"));
        let n = "99999999999999999999999999999999999999";
        assert!(v(&format!("{n}!1.0.post{n}")) > v(&format!("{n}!1.0.post1{}", &n[1..])));
    }

    #[test]
    fn invalid_strings_say_why() {
        for s in [
            "",
            "   ",
            "1.0.",
            ".1",
            "1..0",
            "1.0-",
            "1.0re1",
            "1.0prev",
            "1.0_1",
            "1.0+",
            "1.0+ab.",
            "1.0+a..b",
            "1.0+a+b",
            "vv1.0",
            "v 1.0",
            "1.0 a1",
            "1!",
            "!1.0",
            "1!2!3",
            "1.0poſt1",
            "1.0+\u{212A}",
            "\u{661}",
            "\u{FEFF}1.0",
            "0.1-bulbasaur",
            "8156a74a68aea930d1e1047baba8b115c3abfc44",
        ] {
            let e = Pep440Version::parse(s).expect_err(s);
            assert!(!e.0.is_empty());
        }
        let e = Pep440Version::parse("1.0re1").expect_err("1.0re1");
        assert!(e.0.contains("'e'"), "{e}");
    }

    #[test]
    fn display_is_the_input_and_flags() {
        assert_eq!(v(" V1.0-ALPHA ").to_string(), " V1.0-ALPHA ");
        assert!(v("1.0a1").is_prerelease());
        assert!(v("1.0.dev1").is_prerelease());
        assert!(!v("1.0.post1").is_prerelease());
        assert!(!v("1.0").is_legacy());
        assert!(Pep440Version::legacy("foo").is_legacy());
    }

    #[test]
    fn legacy_key_matches_packaging_21() {
        // Hand-computed with packaging 21.3's `_legacy_cmpkey`.
        let key = |s: &str| {
            legacy_key(s)
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            key("0.1-bulbasaur"),
            ["00000000", "00000001", "*bulbasaur", "*final"]
        );
        assert_eq!(key("1.0"), ["00000001", "*final"]);
        assert_eq!(key("1.0-1"), ["00000001", "*final-", "00000001", "*final"]);
        assert_eq!(key("1.0rc1"), ["00000001", "*c", "00000001", "*final"]);
        assert_eq!(key("1.0-rc1"), key("1.0rc1"));
        assert_eq!(key("1.0.DEV2"), ["00000001", "*@", "00000002", "*final"]);
        assert_eq!(key("1_2"), ["00000001", "*_", "00000002", "*final"]);
        assert_eq!(key(""), ["*final"]);
        assert_eq!(key("123456789"), ["123456789", "*final"]);
    }

    #[test]
    fn legacy_orders_below_valid_and_like_packaging_21() {
        // Vector lines from pypi-versions.txt that packaging 26 rejects.
        let chain = [
            "0.1-bulbasaur",
            "0.1-charmander",
            "0.9-doduo",
            "0.9-eevee",
            "0.9-fearow",
            "0.9-gyarados",
            "0.9-horsea",
            "0.9-ivysaur",
        ];
        for w in chain.windows(2) {
            assert!(lenient(w[0]) < lenient(w[1]), "{} < {}", w[0], w[1]);
        }
        for s in chain.iter().chain(&[
            "-class.-jw.util.version.version-pre",
            "-class.-jw.util.version.version-preview",
            "-class.-jw.util.version.version-dev",
            "8156a74a68aea930d1e1047baba8b115c3abfc44",
        ]) {
            let l = lenient(s);
            assert!(l.is_legacy(), "{s}");
            assert!(l < v("0"), "{s} sorts below every valid version");
            assert!(l < v("0.dev0"), "{s}");
        }
        // LegacyVersion documented behaviour: `-` before a pre-release word is dropped,
        // pre-release words sort before the release, post words after it, dev first.
        let l = Pep440Version::legacy;
        assert_eq!(l("1.0-rc1"), l("1.0rc1"));
        assert_eq!(l("1.0.0"), l("1.0"));
        assert!(l("1.0c1") < l("1.0"));
        assert!(l("1.0.dev1") < l("1.0a1"));
        assert!(l("1.0a1") < l("1.0b1"));
        assert!(l("1.0") < l("1.0-1"));
        assert!(l("1.0-1") < l("1.0.1"));
        assert!(l("1.0") < l("1.0-patch1"));
        assert!(l("1.0") < l("1.0.post1"));
        // Eight-place padding: nine digits compare as text against padded numbers.
        assert!(l("100000000") < l("99999999"));
        assert_eq!(l("FOO-1"), l("foo-1"));
    }

    #[test]
    fn legacy_never_panics_on_odd_text() {
        for s in [
            "",
            "\u{130}",
            "ΑΣ",
            "1٣a",
            "\u{0}",
            "--",
            "..",
            "***",
            "1.0+\u{212A}",
        ] {
            let l = Pep440Version::legacy(s);
            assert!(l < v("0"));
            assert_eq!(l.to_string(), s);
        }
    }

    fn versionish() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            "[0-9]{1,3}",
            Just(".".to_string()),
            Just("-".to_string()),
            Just("_".to_string()),
            Just("+".to_string()),
            Just("!".to_string()),
            Just("v".to_string()),
            Just(" ".to_string()),
            "(a|b|c|rc|alpha|beta|pre|preview|post|rev|r|dev|DEV|Post|x|local)",
        ];
        prop::collection::vec(token, 0..10).prop_map(|t| t.concat())
    }

    fn structured() -> impl Strategy<Value = String> {
        (
            prop::option::of(0u8..3),
            prop::collection::vec(0u8..4, 1..4),
            prop::option::of((prop_oneof![Just("a"), Just("b"), Just("rc")], 0u8..3)),
            prop::option::of(0u8..3),
            prop::option::of(0u8..3),
            prop::option::of(prop::collection::vec("[a-c0-2]{1,2}", 1..3)),
        )
            .prop_map(|(epoch, rel, pre, post, dev, local)| {
                let mut s = epoch.map(|e| format!("{e}!")).unwrap_or_default();
                let rel: Vec<String> = rel.iter().map(u8::to_string).collect();
                s.push_str(&rel.join("."));
                if let Some((l, n)) = pre {
                    s.push_str(&format!("{l}{n}"));
                }
                if let Some(n) = post {
                    s.push_str(&format!(".post{n}"));
                }
                if let Some(n) = dev {
                    s.push_str(&format!(".dev{n}"));
                }
                if let Some(l) = local {
                    s.push('+');
                    s.push_str(&l.join("."));
                }
                s
            })
    }

    fn check_order_laws(a: &Pep440Version, b: &Pep440Version, c: &Pep440Version) {
        if let Err(e) = crate::laws::check(a, b, c) {
            panic!("{e}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_and_legacy_never_panic(s in "\\PC{0,40}") {
            let _ = Pep440Version::parse(&s);
            let _ = Pep440Version::legacy(&s);
        }

        #[test]
        fn parse_never_panics_on_versionish(s in versionish()) {
            let _ = Pep440Version::parse(&s);
        }

        #[test]
        fn order_laws_valid(a in structured(), b in structured(), c in structured()) {
            check_order_laws(&v(&a), &v(&b), &v(&c));
        }

        #[test]
        fn order_laws_mixed_with_legacy(a in versionish(), b in versionish(), c in versionish()) {
            check_order_laws(&lenient(&a), &lenient(&b), &lenient(&c));
        }

        #[test]
        fn legacy_below_valid(a in versionish(), b in structured()) {
            prop_assert!(Pep440Version::legacy(&a) < v(&b));
        }
    }
}
