//! Debian versions (`[epoch:]upstream[-revision]`, Debian policy §5.6.12), parsed and ordered
//! exactly as the C `dpkg` does (`lib/dpkg/parsehelp.c` and `lib/dpkg/version.c` semantics,
//! checked differentially against `dpkg --compare-versions`).
//!
//! Owns [`DpkgVersion`]. The traps: `~` sorts before everything, even the end of the string
//! (`1.0~rc1 < 1.0`); letters sort before non-letters; digit runs compare numerically however
//! long they are, and an empty run counts as 0 (`1.0 = 1.00`, `1.0-0 = 1.0`); and validity has
//! two levels. dpkg *rejects* only a few shapes (empty, embedded blanks, a bad epoch, an empty
//! upstream or revision); an upstream that does not start with a digit or a character outside
//! the allowed set is merely a *warning* for `dpkg --compare-versions` (and for the status
//! database), and such versions are still ordered. We accept exactly what dpkg accepts and keep
//! its warning ([`DpkgVersion::lax_warning`]). `Dpkg::Version` (Perl) is stricter than the C
//! dpkg on those warnings and compares huge digit runs as floats: it is not the reference.

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// A Debian package version, ordered as `dpkg --compare-versions` orders it.
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    original: String,
    epoch: u32,
    /// Byte range of the upstream version in `original` (one allocation per version: a host
    /// scan parses ~50,000).
    upstream: (u32, u32),
    /// Byte range of the revision in `original`, when there is one.
    revision: Option<(u32, u32)>,
    warning: Option<&'static str>,
}

/// dpkg trims blanks (space and tab: `c_isblank`) around the whole version.
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The epoch is read with C `strtol(…, 10)`, which skips any `isspace` character and takes a
/// sign; dpkg then insists the number ends exactly at the colon. Reproduced so that `+1:2`
/// and `\v1:2` are accepted (as dpkg does) and `-1:2` is rejected for the same reason.
fn parse_epoch(field: &[u8]) -> Result<u32, &'static str> {
    let mut i = 0;
    while i < field.len() && matches!(field[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = match field.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &field[i..];
    if digits.is_empty() {
        return Err("epoch in version is empty");
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        // Either nothing numeric before the colon (strtol consumed nothing) or junk between
        // the number and the colon.
        return Err(if digits[0].is_ascii_digit() {
            "epoch in version is not number"
        } else {
            "epoch in version is empty"
        });
    }
    let significant = digits
        .iter()
        .position(|&d| d != b'0')
        .map_or(&digits[digits.len()..], |p| &digits[p..]);
    if negative && !significant.is_empty() {
        return Err("epoch in version is negative");
    }
    // More than 10 significant digits cannot fit in an int; strtol would report ERANGE.
    if significant.len() > 10 {
        return Err("epoch in version is too big");
    }
    let value = significant
        .iter()
        .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
    u32::try_from(value)
        .ok()
        .filter(|v| i32::try_from(*v).is_ok())
        .ok_or("epoch in version is too big")
}

impl DpkgVersion {
    /// Parse as dpkg's `parseversion` does: an error for what dpkg rejects (exit 2 of
    /// `dpkg --compare-versions`), success (with [`lax_warning`](Self::lax_warning) set) for
    /// what it only warns about.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let bytes = s.as_bytes();
        let start = bytes
            .iter()
            .position(|&b| !is_blank(b))
            .unwrap_or(bytes.len());
        if start == bytes.len() {
            return Err(InvalidVersion::new("version string is empty"));
        }
        let end = bytes[start..]
            .iter()
            .position(|&b| is_blank(b))
            .map_or(bytes.len(), |p| start + p);
        if bytes[end..].iter().any(|&b| !is_blank(b)) {
            return Err(InvalidVersion::new("version string has embedded spaces"));
        }
        // Blanks are ASCII, so these are char boundaries.
        let body = &s[start..end];

        let (epoch, rest) = match body.find(':') {
            Some(colon) => {
                let epoch = parse_epoch(&body.as_bytes()[..colon]).map_err(InvalidVersion::new)?;
                let rest = &body[colon + 1..];
                if rest.is_empty() {
                    return Err(InvalidVersion::new("nothing after colon in version number"));
                }
                (epoch, rest)
            }
            None => (0, body),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(h) => {
                let revision = &rest[h + 1..];
                if revision.is_empty() {
                    return Err(InvalidVersion::new("revision number is empty"));
                }
                (&rest[..h], Some(revision))
            }
            None => (rest, None),
        };
        if upstream.is_empty() {
            return Err(InvalidVersion::new("version number is empty"));
        }
        if u32::try_from(s.len()).is_err() {
            return Err(InvalidVersion::new("version string is too long"));
        }
        // Sub-slices of `s`: their offsets fit in u32 (checked above).
        let span = |part: &str| {
            let at = part.as_ptr() as usize - s.as_ptr() as usize;
            (at as u32, (at + part.len()) as u32)
        };
        Ok(DpkgVersion {
            original: s.to_string(),
            epoch,
            upstream: span(upstream),
            revision: revision.map(span),
            warning: lax_warning(upstream, revision.unwrap_or("")),
        })
    }

    /// The epoch (0 when the version has none).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream version: between the epoch's colon and the last hyphen.
    pub fn upstream(&self) -> &str {
        &self.original[self.upstream.0 as usize..self.upstream.1 as usize]
    }

    /// The Debian revision after the last hyphen, `None` for a native version (which orders
    /// like revision `0`).
    pub fn revision(&self) -> Option<&str> {
        self.revision
            .map(|(a, b)| &self.original[a as usize..b as usize])
    }

    /// What dpkg warns about this version, if anything ("version number does not start with
    /// digit", "invalid character in version number", "invalid character in revision
    /// number"). dpkg still orders such versions, but `dpkg-deb --build` would refuse them.
    pub fn lax_warning(&self) -> Option<&'static str> {
        self.warning
    }
}

/// dpkg reports only the first problem it meets, in this order.
fn lax_warning(upstream: &str, revision: &str) -> Option<&'static str> {
    let up = upstream.as_bytes();
    if !up.first().is_some_and(u8::is_ascii_digit) {
        return Some("version number does not start with digit");
    }
    if !up[1..]
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || b".-+~:".contains(&c))
    {
        return Some("invalid character in version number");
    }
    if !revision
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b".+~".contains(&c))
    {
        return Some("invalid character in revision number");
    }
    None
}

/// dpkg's character weight: digits (handled apart) and the end weigh 0, `~` weighs less than
/// the end, letters weigh their ASCII code and every other byte weighs more than any letter.
/// dpkg computes this on a C `char`, which is signed on the platforms Debian mostly runs
/// (amd64, i386): a byte ≥ 0x80 weighs `byte - 256 + 256`, i.e. between letters and ASCII
/// punctuation. We follow that (the differential test runs on amd64).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) if c >= 0x80 => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternate non-digit runs (compared by [`order`]) and digit runs
/// (compared numerically, without converting to an integer so any length works).
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let at = |s: &[u8], k: usize| s.get(k).copied();
    while i < a.len() || j < b.len() {
        while at(a, i).is_some_and(|c| !c.is_ascii_digit())
            || at(b, j).is_some_and(|c| !c.is_ascii_digit())
        {
            let (ac, bc) = (order(at(a, i)), order(at(b, j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == Some(b'0') {
            i += 1;
        }
        while at(b, j) == Some(b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while at(a, i).is_some_and(|c| c.is_ascii_digit())
            && at(b, j).is_some_and(|c| c.is_ascii_digit())
        {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if at(a, i).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Greater;
        }
        if at(b, j).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream().as_bytes(), other.upstream().as_bytes()))
            .then_with(|| {
                verrevcmp(
                    self.revision().unwrap_or("").as_bytes(),
                    other.revision().unwrap_or("").as_bytes(),
                )
            })
    }
}

crate::order_from_ord!(DpkgVersion);

impl fmt::Display for DpkgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> DpkgVersion {
        DpkgVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn cmp(a: &str, b: &str) -> Ordering {
        v(a).cmp(&v(b))
    }

    fn reason(s: &str) -> String {
        DpkgVersion::parse(s).expect_err(s).0
    }

    #[test]
    fn policy_examples() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0~~", "1.0~~a"), Ordering::Less);
        assert_eq!(cmp("1.0~", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0a", "1.0+"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0a"), Ordering::Less);
        assert_eq!(cmp("1:0.1", "9.9"), Ordering::Greater);
        assert_eq!(cmp("1.2.3-1~deb7u1", "1.2.3-1"), Ordering::Less);
    }

    #[test]
    fn equality_is_position_in_the_order() {
        assert_eq!(v("1.0"), v("0:1.0-0"));
        assert_eq!(v("1.0"), v("1.00"));
        assert_eq!(v("0.0.0"), v("0.0.0-00"));
        assert_eq!(v(" 1.0\t"), v("1.0"));
        assert_eq!(v("+1:2"), v("1:2"));
        assert_eq!(v("-0:2"), v("2"));
        assert_eq!(v("\u{b}1:2"), v("1:2"));
        assert_eq!(v("001:2"), v("1:2"));
    }

    #[test]
    fn accessors() {
        let x = v("2:1.2-3-4");
        assert_eq!(x.epoch(), 2);
        assert_eq!(x.upstream(), "1.2-3");
        assert_eq!(x.revision(), Some("4"));
        assert_eq!(x.to_string(), "2:1.2-3-4");
        let n = v("1.2");
        assert_eq!((n.epoch(), n.upstream(), n.revision()), (0, "1.2", None));
        assert_eq!(v("1:2:3").upstream(), "2:3");
    }

    #[test]
    fn huge_digit_runs_compare_without_overflow() {
        let big = "9".repeat(300);
        let bigger = format!("1{}", "0".repeat(300));
        assert_eq!(cmp(&big, &bigger), Ordering::Less);
        assert_eq!(cmp(&format!("000{big}"), &big), Ordering::Equal);
        assert_eq!(
            cmp("99999999999999999999999999", "99999999999999999999999999.1"),
            Ordering::Less
        );
    }

    #[test]
    fn rejects_what_dpkg_rejects() {
        assert_eq!(reason(""), "version string is empty");
        assert_eq!(reason(" \t "), "version string is empty");
        assert_eq!(reason("1.0 x"), "version string has embedded spaces");
        assert_eq!(reason("1:"), "nothing after colon in version number");
        assert_eq!(reason(":1"), "epoch in version is empty");
        assert_eq!(reason("a:1"), "epoch in version is empty");
        assert_eq!(reason("1a:1"), "epoch in version is not number");
        assert_eq!(reason("-1:1"), "epoch in version is negative");
        assert_eq!(
            reason("-99999999999999999999:1"),
            "epoch in version is negative"
        );
        assert_eq!(reason("2147483648:1"), "epoch in version is too big");
        assert_eq!(
            reason("99999999999999999999:1"),
            "epoch in version is too big"
        );
        assert_eq!(reason("1.0-"), "revision number is empty");
        assert_eq!(reason("-1"), "version number is empty");
        assert_eq!(reason("1:-1"), "version number is empty");
        assert_eq!(v("2147483647:1").epoch(), 2_147_483_647);
    }

    #[test]
    fn warns_where_dpkg_only_warns() {
        assert_eq!(
            v("a1").lax_warning(),
            Some("version number does not start with digit")
        );
        assert_eq!(
            v("1_0").lax_warning(),
            Some("invalid character in version number")
        );
        assert_eq!(
            v("1.0-a_b").lax_warning(),
            Some("invalid character in revision number")
        );
        assert_eq!(v("1:1.0+dfsg-1~bpo1").lax_warning(), None);
    }

    #[test]
    fn high_bytes_weigh_between_letters_and_punctuation() {
        // Checked against dpkg 1.21 on amd64 (signed char).
        assert_eq!(cmp("1a", "1é"), Ordering::Less);
        assert_eq!(cmp("1é", "1."), Ordering::Less);
    }

    fn version_like() -> impl Strategy<Value = String> {
        "([0-9]{1,3}:)?[0-9][0-9a-zA-Z.+~]{0,8}(-[0-9a-zA-Z.+~]{1,6})?"
    }

    fn loose() -> impl Strategy<Value = String> {
        "[0-9a-c.+~:\\- _é]{0,10}"
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = DpkgVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_near_versions(s in loose()) {
            let _ = DpkgVersion::parse(&s);
        }

        #[test]
        fn order_laws(a in version_like(), b in version_like(), c in version_like()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }

        #[test]
        fn transitive_on_loose_inputs(a in loose(), b in loose(), c in loose()) {
            let parsed: Vec<DpkgVersion> =
                [a, b, c].iter().filter_map(|s| DpkgVersion::parse(s).ok()).collect();
            let mut xs = parsed.clone();
            xs.sort();
            for w in xs.windows(2) {
                prop_assert!(w[0] <= w[1]);
            }
            if xs.len() == 3 {
                prop_assert!(xs[0] <= xs[2]);
            }
        }
    }
}
