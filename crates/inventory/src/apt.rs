//! apt's `Packages` indexes: what the host's package sources offer for its installed dpkg
//! packages, as an [`AptIndex`] of candidates (for the assessment's installability check).
//!
//! An index is deb822 paragraphs ([`crate::deb822`]), one per binary package: `Package`,
//! `Version`, `Architecture` and `Source: name (version)` (absent when the binary is its own
//! source; the version only when it differs, as for a binNMU). The traps: an index is large
//! (bookworm main amd64 is 60 000 paragraphs, 50 MB decompressed) while a host keeps a few
//! thousand candidates, so it is read in pieces ([`PackagesFeed`]) and a paragraph of a package
//! not installed is dropped after its first line; and an index that fails half-way (a corrupt
//! download) must add nothing.

use crate::deb822::{self, FieldFinder, LineKind, Paragraph};
use caulk_model::apt::{AptCandidate, AptIndex};
use std::borrow::Cow;
use std::sync::LazyLock;

static VERSION: LazyLock<FieldFinder> = LazyLock::new(|| FieldFinder::new("Version"));

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

/// A field's value as text: bytes that are not UTF-8 become U+FFFD.
fn text(v: &[u8]) -> Cow<'_, str> {
    // `from_utf8` checks ASCII a word at a time; the lossy conversion byte by byte.
    match std::str::from_utf8(v) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(v),
    }
}

/// Add one paragraph (the `n`th of its index) if its `Package` is `wanted`; a paragraph
/// without `Package` or `Version` is reported in `bad`.
fn add_paragraph(
    index: &mut AptIndex,
    p: &Paragraph<'_>,
    n: usize,
    origin: &str,
    wanted: &dyn Fn(&str) -> bool,
    bad: &mut Vec<(usize, String)>,
) {
    const MISSING: &str = "stanza without Package or Version";
    // apt writes `Package:` first: most paragraphs are of packages not installed and need no
    // more than a look for their `Version:` line.
    if let Some((name, value)) = p.first_field()
        && name.eq_ignore_ascii_case(b"Package")
        && !wanted(text(value).trim())
    {
        if !VERSION.in_paragraph(p) {
            bad.push((n, MISSING.to_string()));
        }
        return;
    }
    let (mut package, mut version, mut source, mut arch) = (None, None, None, None);
    for line in p.lines() {
        let LineKind::Field { name, value } = line.kind else {
            continue;
        };
        let slot = match name.len() {
            6 if name.eq_ignore_ascii_case(b"Source") => &mut source,
            7 if name.eq_ignore_ascii_case(b"Package") => &mut package,
            7 if name.eq_ignore_ascii_case(b"Version") => &mut version,
            12 if name.eq_ignore_ascii_case(b"Architecture") => &mut arch,
            _ => continue,
        };
        *slot = Some(value);
    }
    let (Some(package), Some(version)) = (package.map(text), version.map(text)) else {
        bad.push((n, MISSING.to_string()));
        return;
    };
    let (package, version) = (package.trim(), version.trim());
    if !wanted(package) {
        return;
    }
    let source = source.map(text);
    let (src, src_version) = deb822::source_of(source.as_deref().map(str::trim), package, version);
    index.push(AptCandidate {
        package: package.to_string(),
        version: version.to_string(),
        source: src.to_string(),
        source_version: src_version.to_string(),
        arch: arch.map(text).as_deref().unwrap_or("").trim().to_string(),
        origin: origin.to_string(),
    });
}

/// Add the paragraphs of one whole `Packages` text whose `Package` satisfies `wanted` (the
/// names installed on the host). Returns the paragraphs skipped as malformed, as
/// `(paragraph number, reason)`.
pub fn add_packages(
    index: &mut AptIndex,
    text: &[u8],
    origin: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Vec<(usize, String)> {
    let mut bad = Vec::new();
    let mut part = AptIndex::new();
    for (i, p) in deb822::paragraphs(text).enumerate() {
        add_paragraph(&mut part, &p, i + 1, origin, wanted, &mut bad);
    }
    part.origins.push(origin.to_string());
    index.merge(part);
    bad
}

/// One `Packages` index read in pieces, as a decompressor yields them, so that the caller
/// never holds the whole text: paragraphs are parsed as they complete, exactly as
/// [`add_packages`] would parse the whole text; nothing reaches the index before
/// [`PackagesFeed::finish`], so an index that fails half-way adds nothing.
#[derive(Debug)]
pub struct PackagesFeed {
    origin: String,
    stream: deb822::Stream,
    /// Paragraphs seen so far.
    paragraphs: usize,
    bytes: u64,
    part: AptIndex,
    bad: Vec<(usize, String)>,
}

impl PackagesFeed {
    pub fn new(origin: &str) -> PackagesFeed {
        PackagesFeed {
            origin: origin.to_string(),
            stream: deb822::Stream::new(),
            paragraphs: 0,
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
        let (n, part, bad, origin) = (
            &mut self.paragraphs,
            &mut self.part,
            &mut self.bad,
            &self.origin,
        );
        self.stream.push(bytes, |p| {
            *n += 1;
            add_paragraph(part, &p, *n, origin, wanted, bad);
        });
    }

    /// The last paragraph; merge into `index`. Returns the malformed paragraphs.
    pub fn finish(
        mut self,
        index: &mut AptIndex,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Vec<(usize, String)> {
        let (n, part, bad, origin) = (
            &mut self.paragraphs,
            &mut self.part,
            &mut self.bad,
            &self.origin,
        );
        self.stream.finish(|p| {
            *n += 1;
            add_paragraph(part, &p, *n, origin, wanted, bad);
        });
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

    fn wanted(p: &str) -> bool {
        p != "unrelated"
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
    fn installed_binaries_become_candidates_with_their_source() {
        let mut i = AptIndex::new();
        assert!(add_packages(&mut i, MAIN.as_bytes(), "bookworm/main", &wanted).is_empty());
        let bad = add_packages(&mut i, SEC.as_bytes(), "bookworm-security/main", &wanted);
        assert_eq!(bad, [(3, "stanza without Package or Version".to_string())]);
        assert_eq!(i.len(), 4);
        assert_eq!(i.origins, ["bookworm/main", "bookworm-security/main"]);
        assert!(i.of("unrelated").is_empty());
        let ssl: Vec<(&str, &str, &str)> = i
            .of("libssl3")
            .iter()
            .map(|c| {
                (
                    c.source.as_str(),
                    c.source_version.as_str(),
                    c.origin.as_str(),
                )
            })
            .collect();
        assert_eq!(
            ssl,
            [
                ("openssl", "3.0.17-1~deb12u2", "bookworm/main"),
                ("openssl", "3.0.22-1~deb12u2", "bookworm-security/main")
            ]
        );
        let foo = &i.of("libfoo1")[0];
        assert_eq!(
            (
                foo.version.as_str(),
                foo.source.as_str(),
                foo.source_version.as_str()
            ),
            ("1.2-3+b1", "foo", "1.2-3")
        );
        assert_eq!(foo.arch, "amd64");
    }

    /// A paragraph of a package not installed is dropped after its first line, and one that
    /// is wanted is read whole: both say the same of a paragraph without `Version`.
    #[test]
    fn a_missing_version_is_reported_whether_or_not_the_package_is_wanted() {
        let text =
            b"Package: a\nArchitecture: all\n\npackage: b\nversion: 1\n\nPackage: c\nversion: 2\n";
        for want in [true, false] {
            let mut i = AptIndex::new();
            let bad = add_packages(&mut i, text, "o", &|_| want);
            assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), [1], "{want}");
            assert_eq!(i.len(), if want { 2 } else { 0 });
        }
    }

    #[test]
    fn a_feed_in_pieces_reads_what_the_whole_text_gives() {
        // Runs of blank lines (some with spaces, some CRLF), a byte that is not UTF-8.
        let mut text = format!(
            "{MAIN}\n\n \n{SEC}\r\n\r\n\n\nPackage: unrelated\nArchitecture: all\n\nPackage: x\n"
        )
        .into_bytes();
        text.extend_from_slice(b"Description: caf\xe9\nVersion: 1\n");
        let mut whole = AptIndex::new();
        let want_bad = add_packages(&mut whole, &text, "o", &wanted);
        assert_eq!(want_bad.len(), 2, "{want_bad:?}");
        assert_eq!(whole.len(), 5);
        for size in [1, 2, 3, 7, 64, text.len()] {
            let mut feed = PackagesFeed::new("o");
            for piece in text.chunks(size) {
                feed.push(piece, &wanted);
            }
            assert_eq!(feed.bytes(), text.len() as u64);
            let mut got = AptIndex::new();
            let bad = feed.finish(&mut got, &wanted);
            assert_eq!(bad, want_bad, "pieces of {size}");
            assert_eq!(got, whole, "pieces of {size}");
        }
    }
}
