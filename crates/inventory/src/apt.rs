//! apt's candidate lists: the `Packages` indexes in apt's lists directory
//! (`/var/lib/apt/lists/*Packages*`, plain or compressed as apt was configured: xz, gzip,
//! lz4), read through [`HostAccess`] into an [`AptIndex`] of what the host's package sources
//! offer for its installed dpkg packages (for the assessment's installability check).
//!
//! An index is deb822 paragraphs ([`crate::deb822`]), one per binary package: `Package`,
//! `Version`, `Architecture` and `Source: name (version)` (absent when the binary is its own
//! source; the version only when it differs, as for a binNMU). The traps: an index is large
//! (bookworm main amd64 is 60 000 paragraphs, 50 MB decompressed) while a host keeps a few
//! thousand candidates, so it is decompressed and parsed in pieces ([`PackagesFeed`]), never
//! held whole, and a paragraph of a package not installed is dropped after its first line;
//! an index that fails half-way (a corrupt download) adds nothing; and a list is hostile input
//! like any other: bounded before and after decompression (a hostile xz header may ask for
//! gigabytes of dictionary), a FIFO is refused rather than waited on, a symlink resolves
//! inside the root. What goes wrong with a list becomes a [`ListIssue`] and the other lists
//! are still read. Caching what the lists say is the caller's (`caulk-app`): [`Lists`] says
//! whether a result may be kept.

use crate::deb822::{self, FieldFinder, LineKind, Paragraph};
use crate::{Error, HostAccess};
use caulk_model::apt::{AptCandidate, AptIndex};
use caulk_model::inventory::IssueKind;
use std::borrow::Cow;
use std::io::Read;
use std::sync::LazyLock;

/// apt's lists directory.
pub const LISTS: &str = "/var/lib/apt/lists";

/// Upper bound on one index, decompressed (bookworm main amd64 is about 45 MiB) and as stored.
pub const MAX_INDEX_BYTES: u64 = 512 << 20;

/// Memory the xz decoder may use (apt's lists need a few MiB of dictionary).
const XZ_MEMLIMIT: u64 = 128 << 20;

/// Decompressed bytes handed to the parser at a time.
const PIECE: usize = 256 << 10;

/// Whether a file of the lists directory is a `Packages` index. apt stores them plain, or
/// compressed as configured (`Acquire::GzipIndexes`, `Acquire::CompressionTypes`): lz4 is the
/// default of many container images.
pub fn is_packages_file(name: &str) -> bool {
    ["Packages", "Packages.xz", "Packages.gz", "Packages.lz4"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// The path on the host of the list `name` of the directory `dir`.
pub fn list_path(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// The names of the `Packages` lists in the directory `dir` of `host`, sorted, whatever they
/// are (a FIFO or a dangling link among them is reported when read); `Ok(None)` when `dir`
/// is not a directory.
pub fn list_names(host: &dyn HostAccess, dir: &str) -> Result<Option<Vec<String>>, Error> {
    Ok(host.read_dir(dir)?.map(|entries| {
        entries
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| is_packages_file(name))
            .collect()
    }))
}

/// The newest `Date:` of the `Release`/`InRelease` files of the lists directory `dir` of
/// `host`: when the archive last published what the lists say (the lists are as old as their
/// newest release file, whatever their file times). `None` without any dated release file.
pub fn release_date(host: &dyn HostAccess, dir: &str) -> Option<jiff::civil::Date> {
    let entries = host.read_dir(dir).ok()??;
    let mut newest: Option<jiff::civil::Date> = None;
    for (name, _) in entries {
        if !(name.ends_with("InRelease") || name.ends_with("_Release")) {
            continue;
        }
        // The `Date:` field is in the first few hundred bytes; signatures come after.
        let Ok(Some(head)) = host.read_head(&list_path(dir, &name), 64 << 10) else {
            continue;
        };
        let text = String::from_utf8_lossy(&head);
        let date = text
            .lines()
            .find_map(|l| l.strip_prefix("Date:"))
            .and_then(|d| jiff::fmt::rfc2822::parse(d.trim()).ok())
            .map(|z| z.with_time_zone(jiff::tz::TimeZone::UTC).date());
        if let Some(d) = date
            && newest.is_none_or(|n| d > n)
        {
            newest = Some(d);
        }
    }
    newest
}

/// Something wrong with one list: `list` is its place in the names read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListIssue {
    pub list: usize,
    pub kind: IssueKind,
    /// `stanza N` for a malformed paragraph.
    pub record: Option<String>,
    pub reason: String,
}

/// What reading some lists gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lists {
    pub index: AptIndex,
    pub issues: Vec<ListIssue>,
    /// No OS error was met: those are facts about this run, not about the lists, and a cache
    /// must not keep them.
    pub cacheable: bool,
}

/// Read the lists `names` (from [`list_names`]) of the directory `dir` of `host`, keeping the
/// paragraphs of the packages `wanted` (the dpkg packages installed).
pub fn read_lists(
    host: &dyn HostAccess,
    dir: &str,
    names: &[String],
    wanted: &dyn Fn(&str) -> bool,
) -> Lists {
    let mut out = Lists {
        cacheable: true,
        ..Lists::default()
    };
    for (list, name) in names.iter().enumerate() {
        let issue = |kind, reason: String| ListIssue {
            list,
            kind,
            record: None,
            reason,
        };
        let raw = match host.open(&list_path(dir, name), MAX_INDEX_BYTES) {
            Ok(Some(r)) => std::io::BufReader::new(r),
            Ok(None) => {
                out.issues
                    .push(issue(IssueKind::Unreadable, "no such file: skipped".into()));
                continue;
            }
            Err(Error::NotRegular { .. }) => {
                out.issues.push(issue(
                    IssueKind::BadInput,
                    "not a regular file: skipped".into(),
                ));
                continue;
            }
            Err(Error::SymlinkLoop { .. }) => {
                out.issues.push(issue(
                    IssueKind::Unreadable,
                    "too many levels of symbolic links: skipped".into(),
                ));
                continue;
            }
            Err(e) => {
                out.cacheable = false;
                let reason = match e {
                    Error::Io { source, .. } => source.to_string(),
                    e => e.to_string(),
                };
                out.issues.push(issue(IssueKind::Unreadable, reason));
                continue;
            }
        };
        // Streamed: the decompressed index is parsed piece by piece, never held whole
        // (BENCHMARKS.md, "scan": peak memory).
        let mut reader: Box<dyn Read> = if name.ends_with(".xz") {
            // Bounded: a hostile header can ask the decoder for gigabytes of dictionary.
            match liblzma::stream::Stream::new_stream_decoder(XZ_MEMLIMIT, 0) {
                Ok(st) => Box::new(liblzma::read::XzDecoder::new_stream(raw, st)),
                Err(e) => {
                    out.issues
                        .push(issue(IssueKind::Unreadable, format!("xz decoder: {e}")));
                    continue;
                }
            }
        } else if name.ends_with(".gz") {
            // Every member, as `gzip -d` reads a concatenated file.
            Box::new(flate2::read::MultiGzDecoder::new(raw))
        } else if name.ends_with(".lz4") {
            Box::new(lz4_flex::frame::FrameDecoder::new(raw))
        } else {
            Box::new(raw)
        };
        let too_large = || {
            issue(
                IssueKind::Limit,
                format!("larger than {MAX_INDEX_BYTES} bytes decompressed: skipped"),
            )
        };
        let mut feed = PackagesFeed::new(&origin_from_list_name(name));
        let mut buf = vec![0u8; PIECE];
        let read: std::io::Result<bool> = loop {
            match reader.read(&mut buf) {
                Ok(0) => break Ok(true),
                Ok(n) => {
                    feed.push(&buf[..n], wanted);
                    if feed.bytes() > MAX_INDEX_BYTES {
                        break Ok(false);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        match read {
            // The file itself past the bound (a plain list: the same as decompressed).
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                out.issues.push(too_large());
                continue;
            }
            Err(e) => {
                // An OS error is this run's; a decoder's error is the file's content.
                if e.raw_os_error().is_some() {
                    out.cacheable = false;
                }
                let (kind, what) = if name.ends_with("Packages") {
                    (IssueKind::Unreadable, "reading")
                } else {
                    (IssueKind::BadInput, "decompressing")
                };
                out.issues.push(issue(kind, format!("{what}: {e}")));
                continue;
            }
            Ok(false) => {
                out.issues.push(too_large());
                continue;
            }
            Ok(true) => {}
        }
        for (n, reason) in feed.finish(&mut out.index, wanted) {
            out.issues.push(ListIssue {
                record: Some(format!("stanza {n}")),
                ..issue(IssueKind::BadInput, reason)
            });
        }
    }
    out
}

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
    use crate::{FsHost, MemHost};
    use std::path::Path;

    const MAIN: &str = "Package: libssl3\nSource: openssl\nVersion: 3.0.17-1~deb12u2\nArchitecture: amd64\nDescription: x\n continued\n\nPackage: openssl\nVersion: 3.0.17-1~deb12u2\nArchitecture: amd64\n\nPackage: unrelated\nVersion: 1\n";
    const SEC: &str = "Package: libssl3\nSource: openssl\nVersion: 3.0.22-1~deb12u2\nArchitecture: amd64\n\nPackage: libfoo1\nSource: foo (1.2-3)\nVersion: 1.2-3+b1\nArchitecture: amd64\n\nVersion: 2\n";

    fn wanted(p: &str) -> bool {
        p != "unrelated"
    }

    const MAIN_FILE: &str = "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages";
    const SEC_FILE: &str =
        "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages";

    fn xz(text: &str) -> Vec<u8> {
        use std::io::Write;
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn gz(text: &str) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn lz4(text: &str) -> Vec<u8> {
        use std::io::Write;
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn read(host: &dyn HostAccess, dir: &str) -> (Vec<String>, Lists) {
        let names = list_names(host, dir).unwrap().unwrap();
        let got = read_lists(host, dir, &names, &wanted);
        (names, got)
    }

    fn reasons(names: &[String], l: &Lists) -> Vec<(String, IssueKind, String)> {
        l.issues
            .iter()
            .map(|i| (names[i.list].clone(), i.kind, i.reason.clone()))
            .collect()
    }

    /// The collector on a host in memory: every compression apt uses reads as the plain
    /// text, other files of the directory are not lists, a corrupt list is an issue and
    /// adds nothing while the others are still read.
    #[test]
    fn lists_of_every_compression_read_alike_through_host_access() {
        // Read in the order of their names: `debian-security` before `debian_dists`.
        let mut plain = AptIndex::new();
        add_packages(
            &mut plain,
            SEC.as_bytes(),
            "bookworm-security/main",
            &wanted,
        );
        add_packages(&mut plain, MAIN.as_bytes(), "bookworm/main", &wanted);
        let sec_issue = vec![ListIssue {
            list: 0,
            kind: IssueKind::BadInput,
            record: Some("stanza 3".into()),
            reason: "stanza without Package or Version".into(),
        }];
        let lists = "/var/lib/apt/lists";
        let base = MemHost::new()
            .with(&format!("{lists}/lock"), "")
            .with(&format!("{lists}/x_InRelease"), "not a list")
            .with(
                &format!("{lists}/partial/y_Packages"),
                "not in the directory",
            );
        type Pack = fn(&str) -> Vec<u8>;
        let compressed: [(&str, Pack); 4] = [
            ("", |t| t.as_bytes().to_vec()),
            (".xz", xz),
            (".gz", gz),
            (".lz4", lz4),
        ];
        for (ext, pack) in compressed {
            let host = base
                .clone()
                .with(&format!("{lists}/{MAIN_FILE}{ext}"), pack(MAIN))
                .with(&format!("{lists}/{SEC_FILE}{ext}"), pack(SEC));
            let (names, got) = read(&host, LISTS);
            assert_eq!(
                names,
                [format!("{SEC_FILE}{ext}"), format!("{MAIN_FILE}{ext}")],
                "sorted, lists only"
            );
            assert_eq!(got.index, plain, "{ext}");
            assert_eq!(got.issues, sec_issue, "{ext}");
            assert!(got.cacheable);
        }
        // Half an xz file: the file's problem, reported; the other list still counts.
        let whole = xz(MAIN);
        let host = base
            .with(
                &format!("{lists}/{MAIN_FILE}.xz"),
                &whole[..whole.len() / 2],
            )
            .with(&format!("{lists}/{SEC_FILE}"), SEC);
        let (names, got) = read(&host, LISTS);
        let r = reasons(&names, &got);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[1].0, format!("{MAIN_FILE}.xz"));
        assert_eq!(r[1].1, IssueKind::BadInput);
        assert!(r[1].2.starts_with("decompressing: "), "{r:?}");
        assert_eq!(got.index.len(), 2, "only the security list's candidates");
        assert_eq!(got.index.origins, ["bookworm-security/main"]);
        assert!(got.cacheable, "a corrupt file is a fact about the lists");
        assert!(list_names(&MemHost::new(), LISTS).unwrap().is_none());
    }

    /// A root's lists resolve inside the root: a symlink to a list outside it names a file
    /// that is not there (even as `..`), an absolute one names the root's own file; a FIFO
    /// is refused, not opened (opening one blocks).
    #[test]
    fn lists_in_a_root_stay_in_it_and_fifos_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let lists = root.join("var/lib/apt/lists");
        std::fs::create_dir_all(&lists).unwrap();
        std::fs::create_dir_all(root.join("srv")).unwrap();
        let planted = "Package: openssl\nVersion: 99.0\nArchitecture: amd64\n";
        std::fs::write(tmp.path().join("planted_Packages"), planted).unwrap();
        std::fs::write(root.join("srv/mirror_Packages"), MAIN).unwrap();
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, lists.join(name)).unwrap();
        };
        link(&tmp.path().join("planted_Packages"), "a_abs_out_Packages");
        link(
            Path::new("../../../../../planted_Packages"),
            "b_up_out_Packages",
        );
        link(Path::new("/srv/mirror_Packages"), "c_abs_in_Packages");
        let made = std::process::Command::new("mkfifo")
            .arg(lists.join("d_fifo_Packages"))
            .status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        std::fs::create_dir(lists.join("e_dir_Packages")).unwrap();

        let (names, got) = read(&FsHost::new(&root), LISTS);
        let r: Vec<(String, String)> = reasons(&names, &got)
            .into_iter()
            .map(|(n, _, why)| (n, why))
            .collect();
        let skipped = |n: &str, why: &str| (n.to_string(), why.to_string());
        assert_eq!(
            r,
            [
                skipped("a_abs_out_Packages", "no such file: skipped"),
                skipped("b_up_out_Packages", "no such file: skipped"),
                skipped("d_fifo_Packages", "not a regular file: skipped"),
                skipped("e_dir_Packages", "not a regular file: skipped"),
            ]
        );
        assert!(got.index.of("openssl").iter().all(|c| c.version != "99.0"));
        assert_eq!(
            got.index.len(),
            2,
            "the root's own list, through its absolute link"
        );
        assert!(got.cacheable);

        // Taken as given (the machine caulk runs on, root `/`): the link is followed.
        let dir = lists.to_str().unwrap();
        let (_, got) = read(&FsHost::new("/"), dir);
        assert!(got.index.of("openssl").iter().any(|c| c.version == "99.0"));
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

#[cfg(test)]
mod release_date_tests {
    use super::*;
    use crate::MemHost;

    #[test]
    fn the_newest_release_date_of_the_lists() {
        let host = MemHost::new()
            .with(
                "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
                "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nDate: Sat, 11 Jul 2026 10:16:37 UTC\nValid-Until: x\n",
            )
            .with(
                "/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease",
                "Origin: Debian\nDate: Wed, 25 Nov 2026 22:33:12 UTC\n",
            )
            .with("/var/lib/apt/lists/x_Release", "Date: not a date\n")
            .with("/var/lib/apt/lists/x_main_binary-amd64_Packages", "Date: Thu, 31 Dec 2099 00:00:00 +0000\n");
        assert_eq!(
            release_date(&host, "/var/lib/apt/lists"),
            Some(jiff::civil::date(2026, 11, 25))
        );
        assert_eq!(release_date(&MemHost::new(), "/var/lib/apt/lists"), None);
    }
}
