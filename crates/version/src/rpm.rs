//! RPM versions: EVR (`[epoch:]version[-release]`, [`RpmVersion`]) ordered as rpm 4.18's
//! `rpmverCmp`/`rpmvercmp` order them, and package labels (`name-[epoch:]version-release.arch`,
//! [`Nevra`]) ordered as claircore's `rpmver` orders them.
//!
//! The traps: `rpmvercmp` splits a string into runs of ASCII digits and ASCII letters and throws
//! every other byte away as a separator (`1.0 = 1_0`, `1.1.α = 1.1.β`); a numeric run beats an
//! alphabetic one; `~` sorts before everything including the end, `^` after the end but before
//! any further run. An EVR string is split by position (digits then `:` make the epoch, the
//! last `-` starts the release), so a version that itself contains `-` cannot survive a round
//! trip through a string: build EVRs from the package's separate fields with
//! [`RpmVersion::from_parts`] and never re-split. A missing epoch is 0 (`:1 = 0:1 = 1`); a
//! missing release sorts before every release, even an empty one (`1 < 1- < 1-0`), which is
//! what rpm 4.18's `rpm.vercmp` (`rpmverCmp`) does. rpm's dependency matching instead lets a
//! missing release match any release; that is a range rule, not an order, and belongs to
//! whoever evaluates ranges.
//!
//! What we reject although `rpm.vercmp` compares it (rpm only refuses the empty string): an
//! empty version (`1:`, `-1`), because there is nothing to order and no package can carry it,
//! and an epoch larger than 2³²−1, because RPM stores Epoch in a 32-bit header tag. Odd bytes,
//! colons inside the version (`1.m+e2:1`) and an empty release (`1-`) are accepted, as rpm
//! does and as real advisory data needs.

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// An RPM EVR.
#[derive(Debug, Clone)]
pub struct RpmVersion {
    original: String,
    epoch: Option<u64>,
    version: String,
    release: Option<String>,
}

/// RPM's Epoch header tag is an unsigned 32-bit integer.
const MAX_EPOCH: u64 = u32::MAX as u64;

fn epoch_value(digits: &str) -> Result<u64, InvalidVersion> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidVersion::new(format!(
            "epoch {digits:?} is not a number"
        )));
    }
    let significant = digits.trim_start_matches('0');
    // Past 10 digits it cannot fit in 32 bits; stop before u64 could overflow.
    let value = if significant.len() > 10 {
        u64::MAX
    } else {
        significant
            .bytes()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'))
    };
    if value > MAX_EPOCH {
        return Err(InvalidVersion::new(format!(
            "epoch {digits} does not fit RPM's 32-bit Epoch tag"
        )));
    }
    Ok(value)
}

impl RpmVersion {
    /// Split an EVR string as rpm's `parseEVR` does: leading digits followed by `:` are the
    /// epoch (an empty one is 0), everything after the last `-` is the release.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        if s.is_empty() {
            return Err(InvalidVersion::new("empty version"));
        }
        let digits_end = s
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len());
        let (epoch, rest) = if s.as_bytes().get(digits_end) == Some(&b':') {
            (Some(epoch_value(&s[..digits_end])?), &s[digits_end + 1..])
        } else {
            (None, s)
        };
        let (version, release) = match rest.rfind('-') {
            Some(h) => (&rest[..h], Some(&rest[h + 1..])),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err(InvalidVersion::new("the version part is empty"));
        }
        Ok(RpmVersion {
            original: s.to_string(),
            epoch,
            version: version.to_string(),
            release: release.map(str::to_string),
        })
    }

    /// Build an EVR from the package's own fields (RPMTAG_EPOCH, RPMTAG_VERSION,
    /// RPMTAG_RELEASE), without splitting anything: a `-` or `:` inside `version` stays there.
    /// [`Display`](fmt::Display) prints `[E:]V[-R]`.
    pub fn from_parts(
        epoch: Option<u64>,
        version: &str,
        release: Option<&str>,
    ) -> Result<Self, InvalidVersion> {
        if version.is_empty() {
            return Err(InvalidVersion::new("the version part is empty"));
        }
        if let Some(e) = epoch.filter(|e| *e > MAX_EPOCH) {
            return Err(InvalidVersion::new(format!(
                "epoch {e} does not fit RPM's 32-bit Epoch tag"
            )));
        }
        let mut original = String::new();
        if let Some(e) = epoch {
            original.push_str(&format!("{e}:"));
        }
        original.push_str(version);
        if let Some(r) = release {
            original.push('-');
            original.push_str(r);
        }
        Ok(RpmVersion {
            original,
            epoch,
            version: version.to_string(),
            release: release.map(str::to_string),
        })
    }

    /// The epoch as written (`None` when absent; it then orders as 0).
    pub fn epoch(&self) -> Option<u64> {
        self.epoch
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release (`None` when absent: it then sorts before every release).
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

/// One run of an `rpmvercmp` walk. Separators vanish; only these remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    Tilde,
    Caret,
    Alpha(&'a [u8]),
    Num(&'a [u8]),
}

fn next_segment<'a>(s: &'a [u8], i: &mut usize) -> Option<Segment<'a>> {
    while *i < s.len() && !s[*i].is_ascii_alphanumeric() && s[*i] != b'~' && s[*i] != b'^' {
        *i += 1;
    }
    let start = *i;
    let c = *s.get(start)?;
    *i += 1;
    Some(match c {
        b'~' => Segment::Tilde,
        b'^' => Segment::Caret,
        c if c.is_ascii_digit() => {
            while *i < s.len() && s[*i].is_ascii_digit() {
                *i += 1;
            }
            let run = &s[start..*i];
            let zeros = run.iter().take_while(|&&d| d == b'0').count();
            Segment::Num(&run[zeros..])
        }
        _ => {
            while *i < s.len() && s[*i].is_ascii_alphabetic() {
                *i += 1;
            }
            Segment::Alpha(&s[start..*i])
        }
    })
}

/// Where a segment (or the end, `None`) sits when two strings differ in kind at the same
/// place: `~` < end < `^` < letters < digits. Same-kind segments compare by value.
fn rank(s: Option<Segment<'_>>) -> u8 {
    match s {
        Some(Segment::Tilde) => 0,
        None => 1,
        Some(Segment::Caret) => 2,
        Some(Segment::Alpha(_)) => 3,
        Some(Segment::Num(_)) => 4,
    }
}

/// rpm's `rpmvercmp`, as a lexicographic comparison of the segment sequences. Digit runs are
/// compared by length once leading zeros are gone, then bytewise: no integer conversion, so
/// any length works.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        let (x, y) = (next_segment(a, &mut i), next_segment(b, &mut j));
        let by_kind = rank(x).cmp(&rank(y));
        if by_kind != Ordering::Equal {
            return by_kind;
        }
        let by_value = match (x, y) {
            (None, None) => return Ordering::Equal,
            (Some(Segment::Num(p)), Some(Segment::Num(q))) => {
                p.len().cmp(&q.len()).then_with(|| p.cmp(q))
            }
            (Some(Segment::Alpha(p)), Some(Segment::Alpha(q))) => p.cmp(q),
            _ => Ordering::Equal,
        };
        if by_value != Ordering::Equal {
            return by_value;
        }
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .unwrap_or(0)
            .cmp(&other.epoch.unwrap_or(0))
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

crate::order_from_ord!(RpmVersion);

impl fmt::Display for RpmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// Architectures recognised at the end of a NEVRA: claircore's list plus a few more that
/// real RPM repositories use. There is no syntactic way to tell an arch from the last
/// release segment, so an unknown one stays part of the release.
const ARCHES: &[&str] = &[
    "aarch64", "armv7hl", "i386", "i486", "i586", "i686", "noarch", "nosrc", "ppc64", "ppc64le",
    "riscv", "riscv64", "s390", "s390x", "src", "x86_64",
];

/// An RPM package label `name-[epoch:]version-release[.arch]`, or the shorter
/// `[epoch:]version-release[.arch]`, as claircore's `rpmver` reads it: the name is whatever
/// comes before the second-to-last `-`; the arch is split off only when it is a known one.
/// Ordered by name (absent first), then EVR, then arch (absent first); names and arches
/// compare with `rpmvercmp`, as claircore does.
#[derive(Debug, Clone)]
pub struct Nevra {
    original: String,
    name: Option<String>,
    evr: RpmVersion,
    arch: Option<String>,
}

impl Nevra {
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let hyphens: Vec<usize> = s.match_indices('-').map(|(i, _)| i).collect();
        let (name, rest) = match hyphens.len() {
            0 => {
                return Err(InvalidVersion::new("no '-' between version and release"));
            }
            1 => (None, s),
            n => {
                let cut = hyphens[n - 2];
                if cut == 0 {
                    return Err(InvalidVersion::new("the package name is empty"));
                }
                (Some(&s[..cut]), &s[cut + 1..])
            }
        };
        let (ev, release_arch) = rest.split_once('-').unwrap_or((rest, ""));
        let (epoch, version) = match ev.split_once(':') {
            Some(("", v)) => (Some(0), v),
            Some((e, v)) => (Some(epoch_value(e)?), v),
            None => (None, ev),
        };
        let (release, arch) = match release_arch.rsplit_once('.') {
            Some((r, a)) if ARCHES.contains(&a) => (r, Some(a)),
            _ => (release_arch, None),
        };
        let evr = RpmVersion::from_parts(epoch, version, Some(release))?;
        Ok(Nevra {
            original: s.to_string(),
            name: name.map(str::to_string),
            evr,
            arch: arch.map(str::to_string),
        })
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn evr(&self) -> &RpmVersion {
        &self.evr
    }

    pub fn arch(&self) -> Option<&str> {
        self.arch.as_deref()
    }
}

/// Absent sorts first; present values compare with `rpmvercmp`.
fn cmp_optional(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => rpmvercmp(a, b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

impl Ord for Nevra {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_optional(self.name(), other.name())
            .then_with(|| self.evr.cmp(&other.evr))
            .then_with(|| cmp_optional(self.arch(), other.arch()))
    }
}

crate::order_from_ord!(Nevra);

impl fmt::Display for Nevra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> RpmVersion {
        RpmVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn cmp(a: &str, b: &str) -> Ordering {
        v(a).cmp(&v(b))
    }

    /// `../shared/data/versions/claircore-rpmver/<name>`: absent is a skip, or a failure in CI.
    fn claircore_file(name: &str) -> Option<String> {
        caulk_testkit::data_text(&format!("versions/claircore-rpmver/{name}"))
    }

    fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
        text.lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
    }

    fn op(s: &str) -> Ordering {
        match s {
            "<" => Ordering::Less,
            "==" | "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            other => panic!("unknown operator {other:?}"),
        }
    }

    #[test]
    fn claircore_nevra_compare_vectors() {
        let Some(text) = claircore_file("compare") else {
            return;
        };
        let mut n = 0;
        for (line, l) in data_lines(&text) {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 3, "compare:{line}: {l:?}");
            let a = Nevra::parse(f[0]).unwrap_or_else(|e| panic!("compare:{line}: {e}"));
            let b = Nevra::parse(f[2]).unwrap_or_else(|e| panic!("compare:{line}: {e}"));
            assert_eq!(a.cmp(&b), op(f[1]), "compare:{line}: {l}");
            assert_eq!(b.cmp(&a), op(f[1]).reverse(), "compare:{line}: {l}");
            n += 1;
        }
        assert!(n > 0);
    }

    #[test]
    fn claircore_nevra_parse_vectors() {
        let Some(text) = claircore_file("parse") else {
            return;
        };
        let unquote = |s: &str| s.trim_matches(|c| c == '"' || c == '\'').to_string();
        let mut n = 0;
        for (line, l) in data_lines(&text) {
            let f: Vec<String> = l.split_whitespace().map(unquote).collect();
            assert_eq!(f.len(), 6, "parse:{line}: {l:?}");
            let got = Nevra::parse(&f[0]).unwrap_or_else(|e| panic!("parse:{line}: {e}"));
            fn opt(s: &str) -> Option<&str> {
                (!s.is_empty()).then_some(s)
            }
            assert_eq!(got.name(), opt(&f[1]), "parse:{line} name");
            assert_eq!(
                got.evr().epoch(),
                opt(&f[2]).map(|e| e.parse().expect("numeric epoch")),
                "parse:{line} epoch"
            );
            assert_eq!(got.evr().version(), f[3], "parse:{line} version");
            assert_eq!(
                got.evr().release(),
                Some(f[4].as_str()),
                "parse:{line} release"
            );
            assert_eq!(got.arch(), opt(&f[5]), "parse:{line} arch");
            assert_eq!(got.to_string(), f[0]);
            n += 1;
        }
        assert!(n > 0);
    }

    #[test]
    fn rpmvercmp_basics() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0^", "1.0"), Ordering::Greater);
        assert_eq!(cmp("1.0^git1", "1.01"), Ordering::Less);
        assert_eq!(cmp("1.0a", "1.0.1"), Ordering::Less);
        assert_eq!(cmp("10.0001", "10.1"), Ordering::Equal);
        assert_eq!(cmp("1.1.α", "1.1.β"), Ordering::Equal);
        assert_eq!(cmp("+", "_"), Ordering::Equal);
        assert_eq!(cmp("1.", "1"), Ordering::Equal);
        let big = "9".repeat(400);
        assert_eq!(cmp(&big, &format!("1{big}")), Ordering::Less);
    }

    #[test]
    fn evr_split_and_missing_parts() {
        let x = v("2:1.0-3.el9");
        assert_eq!(
            (x.epoch(), x.version(), x.release()),
            (Some(2), "1.0", Some("3.el9"))
        );
        assert_eq!(v(":1").epoch(), Some(0));
        assert_eq!(v("a:1").version(), "a:1");
        assert_eq!(v("1-2-3").version(), "1-2");
        assert_eq!(cmp("0:1", "1"), Ordering::Equal);
        assert_eq!(cmp(":1", "1"), Ordering::Equal);
        assert_eq!(cmp("1", "1-"), Ordering::Less);
        assert_eq!(cmp("1-", "1-0"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0-5"), Ordering::Less);
        assert_eq!(cmp("1:1", "2"), Ordering::Greater);
        assert_eq!(cmp("01:2", "1:2"), Ordering::Equal);
    }

    #[test]
    fn rejections() {
        for (s, why) in [
            ("", "empty version"),
            ("1:", "the version part is empty"),
            ("-1", "the version part is empty"),
            ("1:-2", "the version part is empty"),
            (
                "4294967296:1",
                "epoch 4294967296 does not fit RPM's 32-bit Epoch tag",
            ),
        ] {
            assert_eq!(RpmVersion::parse(s).expect_err(s).0, why, "{s:?}");
        }
        assert_eq!(v("4294967295:1").epoch(), Some(4_294_967_295));
        assert!(RpmVersion::from_parts(None, "", None).is_err());
        assert!(RpmVersion::from_parts(Some(1 << 40), "1", None).is_err());
    }

    #[test]
    fn from_parts_never_resplits() {
        let x = RpmVersion::from_parts(Some(1), "2.0-rc1", Some("3")).expect("valid");
        assert_eq!(x.version(), "2.0-rc1");
        assert_eq!(x.to_string(), "1:2.0-rc1-3");
        // The same text re-parsed splits elsewhere: that is why from_parts exists.
        assert_eq!(v("1:2.0-rc1-3").version(), "2.0-rc1");
        let y = RpmVersion::from_parts(None, "1.0", None).expect("valid");
        assert_eq!(y, v("1.0"));
        assert_eq!(y.to_string(), "1.0");
    }

    #[test]
    fn nevra_rejections() {
        assert!(Nevra::parse("1.0").is_err());
        assert!(Nevra::parse("-1-1").is_err());
        assert!(Nevra::parse("n-x:1-1").is_err());
        assert!(Nevra::parse("n-:-1").is_err());
        assert_eq!(
            Nevra::parse("n-:1-2")
                .expect("empty epoch is 0")
                .evr()
                .epoch(),
            Some(0)
        );
    }

    fn evr_like() -> impl Strategy<Value = String> {
        "([0-9]{1,3}:)?[0-9a-z][0-9a-z.~^_+]{0,8}(-[0-9a-z.~^_]{0,5})?"
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = RpmVersion::parse(&s);
            let _ = Nevra::parse(&s);
        }

        #[test]
        fn order_laws(a in evr_like(), b in evr_like(), c in evr_like()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }

        #[test]
        fn rpmvercmp_is_a_total_preorder(
            a in "[0-9a-c~^._αé]{0,8}",
            b in "[0-9a-c~^._αé]{0,8}",
            c in "[0-9a-c~^._αé]{0,8}",
        ) {
            prop_assert_eq!(rpmvercmp(&a, &b), rpmvercmp(&b, &a).reverse());
            let mut xs = [a, b, c];
            xs.sort_by(|x, y| rpmvercmp(x, y));
            prop_assert!(rpmvercmp(&xs[0], &xs[2]) != Ordering::Greater);
            prop_assert!(rpmvercmp(&xs[0], &xs[1]) != Ordering::Greater);
            prop_assert!(rpmvercmp(&xs[1], &xs[2]) != Ordering::Greater);
        }

        #[test]
        fn nevra_order_is_consistent(
            a in "[a-c]{1,3}-[0-9]{1,2}(\\.[0-9a-z]{1,2})?-[0-9]{1,2}(\\.(noarch|x86_64|el9))?",
            b in "[a-c]{1,3}-[0-9]{1,2}(\\.[0-9a-z]{1,2})?-[0-9]{1,2}(\\.(noarch|x86_64|el9))?",
        ) {
            let (a, b) = (Nevra::parse(&a).expect("valid"), Nevra::parse(&b).expect("valid"));
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
        }
    }
}
