//! Installability: is the fixed version (or a higher one) available from the package sources
//! the host uses? Decided from the candidates of its apt `Packages` indexes
//! ([`caulk_model::apt::AptIndex`], collected by `caulk-inventory`).
//!
//! The trap: a remediation names a *source* package and a source version, while the index
//! lists binaries with their own versions (a binNMU `1.2-3+b1` of source `1.2-3`). A candidate
//! counts when it is one of the installed binaries of that source (same architecture or
//! `all`) and its *source* version (`Source: name (version)`, else its own version) is at or
//! above the target.

use caulk_model::apt::{AptCandidate, AptIndex};
use caulk_model::finding::Installable;
use caulk_version::Scheme;
use std::cmp::Ordering;

/// Why [`installable`] found nothing: no binary of `source` is in the lists at all, or the
/// highest source version they offer (and where from) is below `target`.
pub fn not_installable(
    index: &AptIndex,
    source: &str,
    binaries: &[(String, Option<String>)],
) -> String {
    let cmp = |a: &str, b: &str| Scheme::Dpkg.compare_lenient(a, b);
    let mut best: Option<&AptCandidate> = None;
    for (name, _) in binaries {
        for c in index.of(name).iter().filter(|c| c.source == source) {
            if best.is_none_or(|b| {
                cmp(&c.source_version, &b.source_version) == Some(Ordering::Greater)
            }) {
                best = Some(c);
            }
        }
    }
    match best {
        None => "not in the apt lists".to_string(),
        Some(c) => format!(
            "the lists offer {} at most ({}); run apt update, or the fix is not published for this release yet",
            c.source_version, c.origin
        ),
    }
}

/// The best candidate of `index` for upgrading `source` to `target` (a source version)
/// through any of `binaries` (`(name, arch)` as installed): the highest source version at or
/// above the target; ties go to the origin read first.
pub fn installable(
    index: &AptIndex,
    source: &str,
    target: &str,
    binaries: &[(String, Option<String>)],
) -> Option<Installable> {
    let cmp = |a: &str, b: &str| Scheme::Dpkg.compare_lenient(a, b);
    let mut best: Option<&AptCandidate> = None;
    for (name, arch) in binaries {
        for c in index.of(name) {
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
                Some(b) if cmp(&c.source_version, &b.source_version) != Some(Ordering::Greater) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(package: &str, source: (&str, &str), version: &str, origin: &str) -> AptCandidate {
        AptCandidate {
            package: package.into(),
            version: version.into(),
            source: source.0.into(),
            source_version: source.1.into(),
            arch: "amd64".into(),
            origin: origin.into(),
        }
    }

    /// What `bookworm/main` and `bookworm-security/main` say of a few binaries.
    fn index() -> AptIndex {
        let main = "bookworm/main";
        let sec = "bookworm-security/main";
        let v17 = "3.0.17-1~deb12u2";
        let v22 = "3.0.22-1~deb12u2";
        AptIndex::from_parts(
            [
                cand("libfoo1", ("foo", "1.2-3"), "1.2-3+b1", sec),
                cand("libssl3", ("openssl", v17), v17, main),
                cand("libssl3", ("openssl", v22), v22, sec),
                cand("openssl", ("openssl", v17), v17, main),
            ],
            vec![main.into(), sec.into()],
        )
    }

    #[test]
    fn highest_candidate_at_or_above_target_wins() {
        let i = index();
        let bins = vec![
            ("libssl3".to_string(), Some("amd64".to_string())),
            ("openssl".to_string(), Some("amd64".to_string())),
        ];
        let got = installable(&i, "openssl", "3.0.17-1~deb12u2", &bins).unwrap();
        assert_eq!(got.version, "3.0.22-1~deb12u2");
        assert_eq!(got.origin, "bookworm-security/main");
        assert!(installable(&i, "openssl", "3.0.23-1", &bins).is_none());
        // Another architecture's binary does not count.
        let arm = vec![("libssl3".to_string(), Some("arm64".to_string()))];
        assert!(installable(&i, "openssl", "3.0.17-1~deb12u2", &arm).is_none());
    }

    #[test]
    fn source_version_is_compared_not_the_binnmu_version() {
        let i = index();
        let bins = vec![("libfoo1".to_string(), Some("amd64".to_string()))];
        let got = installable(&i, "foo", "1.2-3", &bins).unwrap();
        assert_eq!(got.version, "1.2-3");
        assert!(installable(&i, "foo", "1.2-3+b1", &bins).is_none());
        assert!(installable(&i, "bar", "1", &bins).is_none(), "other source");
    }
}
