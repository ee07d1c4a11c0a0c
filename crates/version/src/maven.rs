//! Maven versions, ordered as Maven's `ComparableVersion` orders them (the 3.9 line:
//! `maven-artifact` 3.8.7 and 3.9.x share the algorithm, checked differentially against the
//! 3.8.7 jar).
//!
//! Owns [`MavenVersion`]. A version is parsed into nested lists of items: numbers (any size),
//! qualifiers (`alpha`/`a` < `beta`/`b` < `milestone`/`m` < `rc`/`cr` < `snapshot` < "" =
//! `ga` = `final` = `release` < `sp` < any other word, the others in lexical order) and
//! sub-lists, opened by `-` and by a letter/digit transition; `.X` before a digit or at the
//! end is treated as `-X` (MNG-7644); trailing "null" items (`0`, "", empty lists) are dropped
//! at the end of every list; a list compared with nothing is decided by its first item that is
//! not null (MNG-6964).
//!
//! The trap: that comparator is not a total order. Maven ranks items of different kinds by
//! kind (qualifier < list < number) but ranks each kind against "nothing" by content, so
//! `x < 0-alpha < 0 < x` and `1-sp < 1-0-alpha < 1 < 1-sp` (MNG-6568). A version scheme must
//! be a total order, so when two items of different kinds meet we first ask where each side's
//! remainder stands against "nothing" and use Maven's kind rank only to break a tie. That
//! changes answers only where Maven contradicts itself; the differential test proves each such
//! answer with a witnessed Maven cycle. Maven 4's `compat` rewrite (`CombinationItem`, which
//! also makes `1-rc-1` differ from `1-rc.1`) is a different order and is not followed: Maven 4
//! resolves dependency ranges with the resolver's `GenericVersionScheme`, not with this class.
//!
//! What we reject although `ComparableVersion` accepts anything: the empty string (a POM
//! version is never empty), characters Maven's model validator bans in versions
//! (`\ / : " < > | ? *`), whitespace and control characters, and non-ASCII text (Java would
//! treat Unicode digits as digits and lower-case with Unicode rules; no real version needs
//! that).

use crate::InvalidVersion;
use std::cmp::Ordering;
use std::fmt;

/// A Maven version, ordered as `ComparableVersion` orders it (see the module notes for the
/// one deliberate departure, on the inputs where Maven's own order is cyclic).
#[derive(Debug, Clone)]
pub struct MavenVersion {
    original: String,
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
enum Item {
    /// The digits without leading zeros (empty for zero), so that numbers of any length
    /// compare exactly, as Java's `BigInteger` fallback does.
    Number(String),
    Qualifier(Qualifier),
    List(Vec<Item>),
}

/// The place of a qualifier: the well-known ones by index, every other word after them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Qualifier {
    Known(u8),
    Other(String),
}

/// Index of the empty qualifier (and its aliases `ga`, `final`, `release`): a qualifier
/// below it makes a pre-release, one above it a post-release.
const RELEASE: u8 = 5;

/// Index among `alpha, beta, milestone, rc, snapshot, "", sp`.
fn known_qualifier(word: &str) -> Option<u8> {
    Some(match word {
        "alpha" => 0,
        "beta" => 1,
        "milestone" => 2,
        "rc" | "cr" => 3,
        "snapshot" => 4,
        "" | "ga" | "final" | "release" => RELEASE,
        "sp" => 6,
        _ => return None,
    })
}

impl Qualifier {
    /// `followed_by_digit`: `a1`, `b2`, `m3` mean `alpha-1`, `beta-2`, `milestone-3`, but a
    /// lone `a` (as in `1-a`) is just an unknown word.
    fn new(word: &str, followed_by_digit: bool) -> Qualifier {
        let word = match (followed_by_digit, word) {
            (true, "a") => "alpha",
            (true, "b") => "beta",
            (true, "m") => "milestone",
            _ => word,
        };
        known_qualifier(word).map_or_else(|| Qualifier::Other(word.to_string()), Qualifier::Known)
    }

    fn is_release(&self) -> bool {
        *self == Qualifier::Known(RELEASE)
    }
}

impl Item {
    fn number(digits: &str) -> Item {
        Item::Number(digits.trim_start_matches('0').to_string())
    }

    /// Maven's `isNull`: the items that trimming removes.
    fn is_null(&self) -> bool {
        match self {
            Item::Number(d) => d.is_empty(),
            Item::Qualifier(q) => q.is_release(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// Maven's `compareTo(null)`: where this item stands against "nothing".
    fn against_nothing(&self) -> Ordering {
        match self {
            Item::Number(d) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Qualifier(q) => q.cmp(&Qualifier::Known(RELEASE)),
            Item::List(l) => suffix_against_nothing(l),
        }
    }

    /// Maven's kind rank, used when items of different kinds meet: qualifier < list < number.
    fn kind_rank(&self) -> u8 {
        match self {
            Item::Qualifier(_) => 0,
            Item::List(_) => 1,
            Item::Number(_) => 2,
        }
    }
}

/// A run of items against "nothing": the first one that is not null decides (MNG-6964).
fn suffix_against_nothing(items: &[Item]) -> Ordering {
    items
        .iter()
        .map(Item::against_nothing)
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

fn compare_numbers(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares two lists position by position; a missing item is "nothing". `a` and `b` are
/// the whole lists so that a kind mismatch can look at each side's remainder.
fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let order = match (a.get(i), b.get(i)) {
            (Some(_), None) => return suffix_against_nothing(&a[i..]),
            (None, Some(_)) => return suffix_against_nothing(&b[i..]).reverse(),
            (None, None) => Ordering::Equal,
            (Some(x), Some(y)) => match (x, y) {
                (Item::Number(p), Item::Number(q)) => compare_numbers(p, q),
                (Item::Qualifier(p), Item::Qualifier(q)) => p.cmp(q),
                (Item::List(p), Item::List(q)) => compare_lists(p, q),
                // Maven answers by kind alone here, which contradicts how each kind compares
                // with "nothing" (the MNG-6568 cycles). Ordering by the remainders' standing
                // against "nothing" first keeps the order total; the kind rank still decides
                // whenever the two remainders stand on the same side.
                _ => suffix_against_nothing(&a[i..])
                    .cmp(&suffix_against_nothing(&b[i..]))
                    .then_with(|| x.kind_rank().cmp(&y.kind_rank())),
            },
        };
        if order.is_ne() {
            return order;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items; a non-empty trailing list is stepped over (it is still
/// compared), so `1.0-1` becomes `1-1`, and the scan stops at the first item that is neither
/// null nor a list.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Characters Maven's model validator refuses in a version (`ILLEGAL_VERSION_CHARS`).
const BANNED: &[u8] = b"\\/:\"<>|?*";

fn validate(s: &str) -> Result<(), InvalidVersion> {
    if s.is_empty() {
        return Err(InvalidVersion::new("empty version"));
    }
    if s.len() > crate::MAX_VERSION_LEN {
        // Every `-` nests one more list; the bound keeps comparison depth small.
        return Err(InvalidVersion::new(format!(
            "longer than {} bytes",
            crate::MAX_VERSION_LEN
        )));
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii()) {
        return Err(InvalidVersion::new(format!(
            "non-ASCII character {c:?} in version"
        )));
    }
    if let Some(c) = s
        .bytes()
        .find(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(InvalidVersion::new(format!(
            "whitespace or control character {:?} in version",
            char::from(c)
        )));
    }
    if let Some(c) = s.bytes().find(|b| BANNED.contains(b)) {
        return Err(InvalidVersion::new(format!(
            "character {:?} is not allowed in a Maven version",
            char::from(c)
        )));
    }
    Ok(())
}

/// The token scanner of `ComparableVersion.parseVersion`. Lists only ever grow at their end
/// and a new list always becomes the last item of the current one, so the open lists form a
/// chain: `chain[0]` is the top level, the last entry is where items go.
fn parse_items(lower: &str) -> Vec<Item> {
    fn push(chain: &mut [Vec<Item>], item: Item) {
        if let Some(current) = chain.last_mut() {
            current.push(item);
        }
    }
    fn current_is_empty(chain: &[Vec<Item>]) -> bool {
        chain.last().is_none_or(Vec::is_empty)
    }
    fn token(is_digit: bool, text: &str) -> Item {
        if is_digit {
            Item::number(text)
        } else {
            Item::Qualifier(Qualifier::new(text, false))
        }
    }

    let bytes = lower.as_bytes();
    let mut chain: Vec<Vec<Item>> = vec![Vec::new()];
    // Whether the pending token (bytes[start..i]) is digits. Not reset at separators, as in
    // Maven: it only matters once the token is non-empty, and then it is right.
    let mut is_digit = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'.' | b'-' => {
                let item = if i == start {
                    Item::number("")
                } else {
                    token(is_digit, &lower[start..i])
                };
                push(&mut chain, item);
                start = i + 1;
                if c == b'-' {
                    chain.push(Vec::new());
                }
            }
            b'0'..=b'9' => {
                if !is_digit && i > start {
                    // `1.0.0.X1` must sort like `1.0.0-X1` (MNG-7644).
                    if !current_is_empty(&chain) {
                        chain.push(Vec::new());
                    }
                    push(
                        &mut chain,
                        Item::Qualifier(Qualifier::new(&lower[start..i], true)),
                    );
                    start = i;
                    chain.push(Vec::new());
                }
                is_digit = true;
            }
            _ => {
                if is_digit && i > start {
                    push(&mut chain, Item::number(&lower[start..i]));
                    start = i;
                    chain.push(Vec::new());
                }
                is_digit = false;
            }
        }
    }
    if bytes.len() > start {
        // A trailing `.X` is a `-X` too (MNG-7644).
        if !is_digit && !current_is_empty(&chain) {
            chain.push(Vec::new());
        }
        push(&mut chain, token(is_digit, &lower[start..]));
    }
    // Close the chain innermost first, as Maven normalizes its stack.
    let mut inner: Option<Vec<Item>> = None;
    while let Some(mut list) = chain.pop() {
        if let Some(child) = inner.take() {
            list.push(Item::List(child));
        }
        normalize(&mut list);
        inner = Some(list);
    }
    inner.unwrap_or_default()
}

impl MavenVersion {
    /// Parses any non-empty ASCII version without blanks or the characters Maven bans.
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        validate(s)?;
        Ok(MavenVersion {
            original: s.to_string(),
            items: parse_items(&s.to_ascii_lowercase()),
        })
    }

    /// Maven's canonical form (`ComparableVersion.getCanonical`): `.` between items, `-`
    /// before a sub-list, aliases resolved.
    pub fn canonical(&self) -> String {
        fn write(items: &[Item], out: &mut String) {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(if matches!(item, Item::List(_)) {
                        '-'
                    } else {
                        '.'
                    });
                }
                match item {
                    Item::Number(d) if d.is_empty() => out.push('0'),
                    Item::Number(d) => out.push_str(d),
                    Item::Qualifier(Qualifier::Other(w)) => out.push_str(w),
                    Item::Qualifier(Qualifier::Known(k)) => out.push_str(
                        ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
                            [usize::from(*k).min(6)],
                    ),
                    Item::List(l) => write(l, out),
                }
            }
        }
        let mut out = String::new();
        write(&self.items, &mut out);
        out
    }
}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.items, &other.items)
    }
}
crate::order_from_ord!(MavenVersion);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> MavenVersion {
        MavenVersion::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn order(a: &str, b: &str) -> Ordering {
        v(a).cmp(&v(b))
    }

    #[test]
    fn maven_test_suite_orderings() {
        // From ComparableVersionTest and the POM reference.
        let pairs = [
            ("1", "2"),
            ("1.5", "2"),
            ("1", "2.5"),
            ("1.0", "1.1"),
            ("1.0-alpha-1", "1.0"),
            ("1.0-alpha-1", "1.0-alpha-2"),
            ("1.0-alpha-1", "1.0-beta-1"),
            ("1.0-beta-1", "1.0-SNAPSHOT"),
            ("1.0-SNAPSHOT", "1.0"),
            ("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"),
            ("1.0", "1.0-1"),
            ("1.0-1", "1.0-2"),
            ("1.0.0", "1.0-1"),
            ("2.0-1", "2.0.1"),
            ("2.0.1-klm", "2.0.1-lmn"),
            ("2.0.1", "2.0.1-xyz"),
            ("2.0.1", "2.0.1-123"),
            ("2.0.1-xyz", "2.0.1-123"),
            ("1.0.RC1", "1.0-RC2"),
            ("1.0-RC2", "1.0.1"),
            ("6.1.0rc3", "6.1.0"),
            ("6.1.0", "6.1H.5-beta"),
            ("1-sp", "1-sp.1"),
            ("1-ga-1", "1-1"),
        ];
        for (a, b) in pairs {
            assert_eq!(order(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(order(b, a), Ordering::Greater, "{b} > {a}");
        }
    }

    #[test]
    fn aliases_and_case() {
        for (a, b) in [
            ("1", "1.0.0"),
            ("1", "1-0"),
            ("1", "1.ga"),
            ("1", "1-final"),
            ("1", "1.release"),
            ("1", "1."),
            ("1", "1-"),
            ("1a", "1-a"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1cr", "1rc"),
            ("1X", "1x"),
            ("1RELeaSE", "1"),
            ("1.1", "1.01"),
            ("2.0.X", "2-X"),
            ("1-foo", "1.0.0-foo.0.0"),
        ] {
            assert_eq!(order(a, b), Ordering::Equal, "{a} = {b}");
        }
    }

    #[test]
    fn canonical_forms_match_maven() {
        // As printed by `java -cp maven-artifact-3.8.7.jar ...ComparableVersion`.
        assert_eq!(v("1.1.31.sec10").canonical(), "1.1.31-sec-10");
        assert_eq!(v("2.9.0-1").canonical(), "2.9-1");
        assert_eq!(v("2.9.0.RC1").canonical(), "2.9-rc-1");
        assert_eq!(v("1-ga-1").canonical(), "1-1");
        assert_eq!(v("1.0.final-redhat").canonical(), "1-redhat");
        assert_eq!(v("1-0.3").canonical(), "1-0.3");
    }

    #[test]
    fn huge_numbers_compare_exactly() {
        assert_eq!(order("20190126.230843", "1234567890.12345"), Ordering::Less);
        assert_eq!(
            order(
                "123456789012345.1H.5-beta",
                "12345678901234567890.1H.5-beta"
            ),
            Ordering::Less
        );
        let big = "9".repeat(300);
        let bigger = format!("1{big}");
        assert_eq!(order(&big, &bigger), Ordering::Less);
        assert_eq!(order(&format!("000{big}"), &big), Ordering::Equal);
    }

    /// Maven 3.8/3.9 say x < 0-alpha < 0 < x (MNG-6568) and 1-sp < 1-0-alpha < 1 < 1-sp; we
    /// keep the comparisons with "nothing" and flip the kind-ranked one.
    #[test]
    fn regression_mng_6568_cycles_are_broken() {
        assert_eq!(order("0-alpha", "0"), Ordering::Less);
        assert_eq!(order("0", "x"), Ordering::Less);
        assert_eq!(order("0-alpha", "x"), Ordering::Less);
        assert_eq!(order("1-0-alpha", "1"), Ordering::Less);
        assert_eq!(order("1", "1-sp"), Ordering::Less);
        assert_eq!(order("1-0-alpha", "1-sp"), Ordering::Less);
        // Maven: 1.0.beta.1 > 1-1 > 1 > 1.0.beta.1.
        assert_eq!(order("1.0.beta.1", "1"), Ordering::Less);
        assert_eq!(order("1", "1-1"), Ordering::Less);
        assert_eq!(order("1.0.beta.1", "1-1"), Ordering::Less);
    }

    #[test]
    fn rejects_what_maven_would_not_publish() {
        for bad in [
            "",
            " ",
            "1.0 ",
            "1/0",
            "1:0",
            "1*",
            "1?",
            "1\t",
            "1.0\u{0663}",
            "é",
        ] {
            assert!(MavenVersion::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(MavenVersion::parse(&"1".repeat(513)).is_err());
        assert!(MavenVersion::parse("1.0_beta+build~x").is_ok());
    }

    #[test]
    fn display_is_the_input() {
        assert_eq!(v("1.0-RC1").to_string(), "1.0-RC1");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let dashes = "-".repeat(512);
        let ones = "1-".repeat(256);
        assert_eq!(order(&dashes, &dashes), Ordering::Equal);
        let _ = order(&dashes, &ones);
    }

    /// Every string of up to three tokens, sorted; then every pair must agree with the
    /// sorted position (equal exactly within a run of equals). A cycle anywhere among these
    /// 1,110 versions would show up here, which random triples could miss.
    #[test]
    fn total_order_on_all_short_token_strings() {
        let tokens = ["0", "1", "2", ".", "-", "a", "rc", "sp", "ga", "x"];
        let mut all = vec![String::new()];
        let mut strings = Vec::new();
        for _ in 0..3 {
            let mut next = Vec::new();
            for prefix in &all {
                for t in tokens {
                    next.push(format!("{prefix}{t}"));
                }
            }
            strings.extend(next.iter().cloned());
            all = next;
        }
        let mut versions: Vec<MavenVersion> = strings.iter().map(|s| v(s)).collect();
        versions.sort();
        let mut class = vec![0usize; versions.len()];
        for i in 1..versions.len() {
            class[i] = class[i - 1] + usize::from(versions[i - 1] != versions[i]);
        }
        for i in 0..versions.len() {
            for j in i + 1..versions.len() {
                let want = class[i].cmp(&class[j]);
                assert_eq!(
                    versions[i].cmp(&versions[j]),
                    want,
                    "{} vs {}",
                    versions[i],
                    versions[j]
                );
            }
        }
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "0", "1", "2", "10", ".", "-", "a", "b", "m", "alpha", "rc", "sp", "ga", "final",
                "snapshot", "x", "foo", "_",
            ]),
            1..10,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = MavenVersion::parse(&s);
        }

        #[test]
        fn parse_never_panics_ascii(s in "[ -~]{0,60}") {
            if let Ok(x) = MavenVersion::parse(&s) {
                prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            }
        }

        #[test]
        fn order_laws(a in version_string(), b in version_string(), c in version_string()) {
            prop_assert_eq!(crate::laws::check(&v(&a), &v(&b), &v(&c)), Ok(()));
        }
    }
}
