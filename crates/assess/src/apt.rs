//! Installability: is the fixed version (or a higher one) available from the package sources
//! the host uses? Read from apt's `Packages` indexes (deb822 stanzas), already decompressed by
//! the caller.
//!
//! The trap: a remediation names a *source* package and a source version, while the index
//! lists binaries with their own versions (a binNMU `1.2-3+b1` of source `1.2-3`). A candidate
//! counts when it is one of the installed binaries of that source (same architecture or
//! `all`) and its *source* version (`Source: name (version)`, else its own version) is at or
//! above the target.

use caulk_model::finding::Installable;
use caulk_version::Scheme;
use memchr::memmem;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::LazyLock;

/// The stanza separator, searched with a vectorised searcher: `str::split("\n\n")` and
/// `contains` search with the generic two-way algorithm, and a 50 MB index is all stanzas.
static SEPARATOR: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\n\n"));
static LAST_SEPARATOR: LazyLock<memmem::FinderRev<'static>> =
    LazyLock::new(|| memmem::FinderRev::new(b"\n\n"));
static VERSION_FIELD: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\nVersion:"));

/// The stanzas of `text`, exactly as `text.split("\n\n")` gives them: separators are taken
/// left to right without overlap, so a run of three newlines leaves one on the next piece,
/// and the last piece (possibly empty) is the text after the last separator.
fn stanzas(text: &str) -> impl Iterator<Item = &str> {
    let mut seps = SEPARATOR.find_iter(text.as_bytes());
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        // Separators are ASCII: every cut is at a character boundary.
        match seps.next() {
            Some(at) => {
                start = Some(at + 2);
                text.get(from..at)
            }
            None => {
                start = None;
                text.get(from..)
            }
        }
    })
}

/// One binary package of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptCandidate {
    pub package: String,
    pub version: String,
    pub source: String,
    pub source_version: String,
    pub arch: String,
    /// `bookworm-security/main`, or the index file name.
    pub origin: String,
}

/// The binaries of some `Packages` indexes, by package name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AptIndex {
    by_name: HashMap<String, Vec<AptCandidate>>,
    /// The origins read, in order.
    pub origins: Vec<String>,
}

/// The origin of an apt list file from its name: apt names lists
/// `<host>_<path>_dists_<suite>_<component>_binary-<arch>_Packages[.xz]`. Falls back to the
/// file name.
pub fn origin_from_list_name(file_name: &str) -> String {
    if let Some((_, rest)) = file_name.split_once("_dists_") {
        let parts: Vec<&str> = rest.split('_').collect();
        if let Some(bin) = parts.iter().position(|p| p.starts_with("binary-"))
            && bin >= 2
        {
            return format!("{}/{}", parts[0], parts[1..bin].join("/"));
        }
    }
    file_name.to_string()
}

impl AptIndex {
    pub fn new() -> AptIndex {
        AptIndex::default()
    }

    pub fn len(&self) -> usize {
        self.by_name.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Rebuild an index from what [`AptIndex::candidates`] and [`AptIndex::origins`] gave
    /// (a cache): the candidates of one package keep the order they come in.
    pub fn from_parts(
        candidates: impl IntoIterator<Item = AptCandidate>,
        origins: Vec<String>,
    ) -> AptIndex {
        let candidates = candidates.into_iter();
        let mut by_name = HashMap::with_capacity(candidates.size_hint().0);
        // Runs of one package (as `candidates` gives them) take one lookup.
        let mut run: Vec<AptCandidate> = Vec::new();
        for c in candidates {
            if run.last().is_some_and(|l| l.package != c.package) {
                Self::add_run(&mut by_name, std::mem::take(&mut run));
            }
            run.push(c);
        }
        Self::add_run(&mut by_name, run);
        AptIndex { by_name, origins }
    }

    fn add_run(by_name: &mut HashMap<String, Vec<AptCandidate>>, run: Vec<AptCandidate>) {
        let Some(first) = run.first() else {
            return;
        };
        match by_name.entry(first.package.clone()) {
            Entry::Vacant(e) => {
                e.insert(run);
            }
            Entry::Occupied(e) => e.into_mut().extend(run),
        }
    }

    /// Every candidate, by package name (sorted), each package's in the order read.
    pub fn candidates(&self) -> impl Iterator<Item = &AptCandidate> {
        let mut names: Vec<&String> = self.by_name.keys().collect();
        names.sort_unstable();
        names.into_iter().flat_map(|n| self.by_name[n].iter())
    }

    /// Add the stanzas of one `Packages` text whose `Package` satisfies `wanted` (the names
    /// installed on the host: the rest of a 60 000-package index is not kept). Returns the
    /// stanzas skipped as malformed, as `(stanza number, reason)`.
    pub fn add_packages(
        &mut self,
        text: &str,
        origin: &str,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Vec<(usize, String)> {
        self.origins.push(origin.to_string());
        let mut bad = Vec::new();
        for (n, stanza) in stanzas(text).enumerate() {
            self.add_stanza(stanza, n + 1, origin, wanted, &mut bad);
        }
        bad
    }

    /// Merge `other` into this index (its candidates after ours; its origins appended).
    pub fn merge(&mut self, other: AptIndex) {
        for (name, cands) in other.by_name {
            self.by_name.entry(name).or_default().extend(cands);
        }
        self.origins.extend(other.origins);
    }

    fn add_stanza(
        &mut self,
        stanza: &str,
        n: usize,
        origin: &str,
        wanted: &dyn Fn(&str) -> bool,
        bad: &mut Vec<(usize, String)>,
    ) {
        if stanza.trim().is_empty() {
            return;
        }
        // apt writes `Package:` first: most stanzas are of packages not installed and
        // need no more than a look for their `Version:` line.
        if let Some(first) = stanza.strip_prefix("Package:") {
            let name = first.split('\n').next().unwrap_or("").trim();
            if !wanted(name) {
                if VERSION_FIELD.find(stanza.as_bytes()).is_none() {
                    bad.push((n, "stanza without Package or Version".to_string()));
                }
                return;
            }
        }
        let mut package = None;
        let mut version = None;
        let mut source = None;
        let mut arch = None;
        for line in stanza.lines() {
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim();
            match k {
                "Package" => package = Some(v),
                "Version" => version = Some(v),
                "Source" => source = Some(v),
                "Architecture" => arch = Some(v),
                _ => {}
            }
        }
        let (Some(package), Some(version)) = (package, version) else {
            bad.push((n, "stanza without Package or Version".to_string()));
            return;
        };
        if !wanted(package) {
            return;
        }
        // `Source: name` or `Source: name (version)`.
        let (src, src_version) = match source {
            None => (package, version),
            Some(s) => match s.split_once(' ') {
                Some((name, rest)) => (
                    name,
                    rest.trim()
                        .strip_prefix('(')
                        .and_then(|r| r.strip_suffix(')'))
                        .unwrap_or(version),
                ),
                None => (s, version),
            },
        };
        self.by_name
            .entry(package.to_string())
            .or_default()
            .push(AptCandidate {
                package: package.to_string(),
                version: version.to_string(),
                source: src.to_string(),
                source_version: src_version.to_string(),
                arch: arch.unwrap_or("").to_string(),
                origin: origin.to_string(),
            });
    }

    /// The best candidate for upgrading `source` to `target` (a source version) through any
    /// of `binaries` (`(name, arch)` as installed): the highest source version at or above
    /// the target; ties go to the origin read first.
    pub fn installable(
        &self,
        source: &str,
        target: &str,
        binaries: &[(String, Option<String>)],
    ) -> Option<Installable> {
        let cmp = |a: &str, b: &str| Scheme::Dpkg.compare_lenient(a, b);
        let mut best: Option<&AptCandidate> = None;
        for (name, arch) in binaries {
            for c in self.by_name.get(name).into_iter().flatten() {
                if c.source != source {
                    continue;
                }
                if let Some(a) = arch
                    && c.arch != *a
                    && c.arch != "all"
                    && a != "all"
                {
                    continue;
                }
                if !matches!(
                    cmp(&c.source_version, target),
                    Some(Ordering::Greater | Ordering::Equal)
                ) {
                    continue;
                }
                best = match best {
                    Some(b)
                        if cmp(&c.source_version, &b.source_version) != Some(Ordering::Greater) =>
                    {
                        Some(b)
                    }
                    _ => Some(c),
                };
            }
        }
        best.map(|c| Installable {
            version: c.source_version.clone(),
            origin: c.origin.clone(),
        })
    }
}

/// One `Packages` index read in pieces, as a decompressor yields them, so that the caller
/// never holds the whole text (bookworm main amd64 is 50 MB decompressed). Stanzas are parsed
/// as they complete, exactly as [`AptIndex::add_packages`] would parse the whole text;
/// nothing reaches the index before [`PackagesFeed::finish`], so an index that fails half-way
/// (a corrupt download) adds nothing.
#[derive(Debug)]
pub struct PackagesFeed {
    origin: String,
    /// Bytes after the last complete stanza.
    tail: Vec<u8>,
    /// Stanzas seen so far.
    stanzas: usize,
    bytes: u64,
    part: AptIndex,
    bad: Vec<(usize, String)>,
}

impl PackagesFeed {
    pub fn new(origin: &str) -> PackagesFeed {
        PackagesFeed {
            origin: origin.to_string(),
            tail: Vec::new(),
            stanzas: 0,
            bytes: 0,
            part: AptIndex::new(),
            bad: Vec::new(),
        }
    }

    /// Bytes pushed so far (the decompressed size, for the caller's limit).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Add the next bytes of the index.
    pub fn push(&mut self, bytes: &[u8], wanted: &dyn Fn(&str) -> bool) {
        self.bytes += bytes.len() as u64;
        // The tail holds no separator: one may straddle the old tail and the new bytes.
        let from = self.tail.len().saturating_sub(1);
        self.tail.extend_from_slice(bytes);
        // The last separator of the new bytes ends the complete stanzas. `split` reads
        // everything before it as `add_packages` reads a whole text; its last piece (empty,
        // or one `\n` of an odd run of newlines) starts the next stanza and stays.
        let Some(cut) = LAST_SEPARATOR
            .rfind(&self.tail[from..])
            .map(|i| from + i + 2)
        else {
            return;
        };
        let text = match std::str::from_utf8(&self.tail[..cut]) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(&self.tail[..cut]),
        };
        // The last piece's length; the pieces borrow the tail.
        let keep = {
            let mut pieces = stanzas(&text).peekable();
            let mut keep = 0;
            while let Some(stanza) = pieces.next() {
                if pieces.peek().is_none() {
                    keep = stanza.len();
                    break;
                }
                self.stanzas += 1;
                self.part
                    .add_stanza(stanza, self.stanzas, &self.origin, wanted, &mut self.bad);
            }
            keep
        };
        self.tail.drain(..cut - keep);
    }

    /// The last stanza; merge into `index`. Returns the malformed stanzas.
    pub fn finish(
        mut self,
        index: &mut AptIndex,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Vec<(usize, String)> {
        self.stanzas += 1;
        let text = String::from_utf8_lossy(&self.tail).into_owned();
        self.part
            .add_stanza(&text, self.stanzas, &self.origin, wanted, &mut self.bad);
        self.part.origins.push(self.origin);
        index.merge(self.part);
        self.bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = "Package: libssl3\nSource: openssl\nVersion: 3.0.17-1~deb12u2\nArchitecture: amd64\nDescription: x\n continued\n\nPackage: openssl\nVersion: 3.0.17-1~deb12u2\nArchitecture: amd64\n\nPackage: unrelated\nVersion: 1\n";
    const SEC: &str = "Package: libssl3\nSource: openssl\nVersion: 3.0.22-1~deb12u2\nArchitecture: amd64\n\nPackage: libfoo1\nSource: foo (1.2-3)\nVersion: 1.2-3+b1\nArchitecture: amd64\n\nVersion: 2\n";

    fn index() -> AptIndex {
        let mut i = AptIndex::new();
        let wanted = |p: &str| p != "unrelated";
        assert!(i.add_packages(MAIN, "bookworm/main", &wanted).is_empty());
        let bad = i.add_packages(SEC, "bookworm-security/main", &wanted);
        assert_eq!(bad.len(), 1, "the stanza without Package is reported");
        i
    }

    #[test]
    fn origin_comes_from_apt_list_names() {
        assert_eq!(
            origin_from_list_name(
                "debian-security_dists_bookworm-security_main_binary-amd64_Packages.xz"
            ),
            "bookworm-security/main"
        );
        assert_eq!(
            origin_from_list_name(
                "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages"
            ),
            "bookworm-updates/main"
        );
        assert_eq!(origin_from_list_name("Packages"), "Packages");
    }

    #[test]
    fn highest_candidate_at_or_above_target_wins() {
        let i = index();
        assert_eq!(i.len(), 4);
        let bins = vec![
            ("libssl3".to_string(), Some("amd64".to_string())),
            ("openssl".to_string(), Some("amd64".to_string())),
        ];
        let got = i.installable("openssl", "3.0.17-1~deb12u2", &bins).unwrap();
        assert_eq!(got.version, "3.0.22-1~deb12u2");
        assert_eq!(got.origin, "bookworm-security/main");
        assert!(i.installable("openssl", "3.0.23-1", &bins).is_none());
        // Another architecture's binary does not count.
        let arm = vec![("libssl3".to_string(), Some("arm64".to_string()))];
        assert!(i.installable("openssl", "3.0.17-1~deb12u2", &arm).is_none());
    }

    #[test]
    fn a_feed_in_pieces_reads_what_the_whole_text_gives() {
        let wanted = |p: &str| p != "unrelated";
        // Runs of three and four newlines (an empty stanza), and a byte that is not UTF-8.
        let mut text = format!(
            "{MAIN}\n\n\n{SEC}\n\n\n\nPackage: unrelated\nArchitecture: all\n\nPackage: x\n"
        )
        .into_bytes();
        text.extend_from_slice(b"Description: caf\xe9\nVersion: 1\n");
        let mut whole = AptIndex::new();
        let want_bad = whole.add_packages(&String::from_utf8_lossy(&text), "o", &wanted);
        assert_eq!(want_bad.len(), 2, "{want_bad:?}");
        for size in [1, 2, 3, 7, 64, text.len()] {
            let mut feed = PackagesFeed::new("o");
            for piece in text.chunks(size) {
                feed.push(piece, &wanted);
            }
            assert_eq!(feed.bytes(), text.len() as u64);
            let mut got = AptIndex::new();
            let bad = feed.finish(&mut got, &wanted);
            assert_eq!(bad, want_bad, "pieces of {size}");
            assert_eq!(got.origins, whole.origins);
            let mut a: Vec<_> = got.by_name.iter().collect();
            let mut b: Vec<_> = whole.by_name.iter().collect();
            a.sort_by_key(|x| x.0);
            b.sort_by_key(|x| x.0);
            assert_eq!(a, b, "pieces of {size}");
        }
    }

    #[test]
    fn stanzas_split_as_str_split_does() {
        // Every text of up to 10 characters over `a`, `é` and `\n`.
        let alphabet = ['a', '\n', 'é'];
        let mut texts = vec![String::new()];
        for len in 1..=10u32 {
            for mut n in 0..3usize.pow(len) {
                let mut t = String::new();
                for _ in 0..len {
                    t.push(alphabet[n % 3]);
                    n /= 3;
                }
                texts.push(t);
            }
        }
        for t in &texts {
            let got: Vec<&str> = stanzas(t).collect();
            let want: Vec<&str> = t.split("\n\n").collect();
            assert_eq!(got, want, "{t:?}");
        }
    }

    #[test]
    fn source_version_is_compared_not_the_binnmu_version() {
        let i = index();
        let bins = vec![("libfoo1".to_string(), Some("amd64".to_string()))];
        let got = i.installable("foo", "1.2-3", &bins).unwrap();
        assert_eq!(got.version, "1.2-3");
        assert!(i.installable("foo", "1.2-3+b1", &bins).is_none());
        assert!(i.installable("bar", "1", &bins).is_none(), "other source");
    }
}
