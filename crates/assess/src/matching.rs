//! Matching one installed package against the advisories of its own ecosystem.
//!
//! Backport-aware: a distro package is looked up only in its own release's ecosystem
//! (`Debian:12` ↔ `Debian:12`, never `Debian` or another release, never an upstream
//! ecosystem), by the name the distro publishes under ([`publishes_by`]) and compared with the
//! version of that name (the source version for a source match). Language packages are looked
//! up in their ecosystem under the ecosystem's name normalisation ([`normalize_name`]).

use caulk_model::finding::MatchedBy;
use caulk_model::inventory::{Package, UbuntuPro};
use caulk_model::source::{AdvisorySource, Hit, SourceError};
use caulk_version::range::{self, Match, RangeKind, RangeOutcome, Verdict};
use caulk_version::{Ecosystem, EcosystemKind, Scheme};
use foldhash::{HashMap, HashMapExt};
use std::rc::Rc;

/// How an ecosystem names the packages its advisories affect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publishes {
    /// By source package (Debian, Ubuntu: `Source:`; Alpine, Wolfi: the origin).
    Source,
    /// By binary package, and the source RPM name is tried too (AlmaLinux errata list every
    /// binary RPM; the source RPM's main binary usually shares its name).
    BinaryAndSource,
    /// Language ecosystems: the package name.
    Name,
}

/// How `kind` publishes. RPM distros list binary packages in their OSV data (AlmaLinux:
/// `java-21-openjdk-devel`, `NetworkManager-libnm`), so their binaries are looked up by
/// their own name and by their source RPM's name.
pub fn publishes_by(kind: &EcosystemKind) -> Publishes {
    match kind.scheme() {
        Some(Scheme::Dpkg) | Some(Scheme::Apk) => Publishes::Source,
        Some(Scheme::Rpm) => Publishes::BinaryAndSource,
        _ => Publishes::Name,
    }
}

pub use caulk_model::purl::pep503;

/// The name under which two spellings are the same package in `kind`.
pub fn normalize_name(kind: &EcosystemKind, name: &str) -> String {
    match kind {
        EcosystemKind::PyPI => pep503(name),
        // Case-insensitive registries.
        EcosystemKind::NuGet | EcosystemKind::Packagist | EcosystemKind::Npm => {
            name.to_ascii_lowercase()
        }
        _ => name.to_string(),
    }
}

/// The spellings to look up for a language package: the advisory database stores names as
/// the feed wrote them, so a PyPI name is tried as written, normalised, and with the
/// normalised separators as `_` and `.` (`jw.util`).
pub fn lookup_names(kind: &EcosystemKind, name: &str) -> Vec<String> {
    let mut v = vec![name.to_string()];
    match kind {
        EcosystemKind::PyPI => {
            let n = pep503(name);
            v.push(n.replace('-', "_"));
            v.push(n.replace('-', "."));
            v.push(n);
        }
        EcosystemKind::NuGet | EcosystemKind::Packagist | EcosystemKind::Npm => {
            v.push(name.to_ascii_lowercase());
        }
        _ => {}
    }
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|n| seen.insert(n.clone()));
    v
}

/// One affected entry that matched an installed package.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMatch {
    /// The entry, without its ranges (they are in `matched`, in words, as far as they decided).
    pub hit: Rc<Hit>,
    pub matched_by: MatchedBy,
    pub compared_version: String,
    pub matched: Match,
    /// The scheme that compared (`dpkg`, `semver`, …).
    pub scheme: Scheme,
}

/// An entry whose ranges could not decide for this package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undetermined {
    pub advisory: String,
    pub reason: String,
}

/// What matching one package found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageMatches {
    pub matches: Vec<RawMatch>,
    pub undetermined: Vec<Undetermined>,
    /// The package could not be matched at all (no release, bad version, lookup failed).
    pub skipped: Option<String>,
    pub errors: Vec<SourceError>,
}

/// The (name, how, version) lookups for a package.
pub fn lookups(p: &Package, eco: &Ecosystem) -> Vec<(String, MatchedBy, String)> {
    let source_version = p
        .source_version
        .clone()
        .unwrap_or_else(|| p.version.clone());
    match publishes_by(&eco.kind) {
        Publishes::Source => match &p.source_name {
            Some(s) => vec![(s.clone(), MatchedBy::Source, source_version)],
            None => vec![(p.name.clone(), MatchedBy::Binary, p.version.clone())],
        },
        Publishes::BinaryAndSource => {
            let mut v = vec![(p.name.clone(), MatchedBy::Binary, p.version.clone())];
            if let Some(s) = &p.source_name
                && *s != p.name
            {
                v.push((s.clone(), MatchedBy::Source, source_version));
            }
            v
        }
        Publishes::Name => lookup_names(&eco.kind, &p.name)
            .into_iter()
            .map(|n| (n, MatchedBy::Name, p.version.clone()))
            .collect(),
    }
}

/// The lookups of one scan, kept with the entries' ranges in evaluation form: a package
/// name asked for again (a crate at several versions, the binaries of one source) costs no
/// database read, no JSON decoding of ranges, no copy of a `versions` list and (from an
/// entry's second evaluation on) no parsing or sorting of its events ([`range::Prepared`]).
#[derive(Debug, Default)]
pub struct LookupCache {
    hits: HashMap<(String, String), Result<Hits, SourceError>>,
}

/// The entries a lookup found, each with its ranges moved out into evaluation form, prepared
/// for the lookup's ecosystem.
type Hits = Rc<[(Rc<Hit>, range::Prepared)]>;

impl LookupCache {
    /// Read the lookups of `names` in `ecosystem` in one set-based read. Names already held
    /// are not asked again; if the read fails, each name is read alone when asked (so that
    /// one bad record fails only its own lookup).
    pub fn prefetch(&mut self, src: &dyn AdvisorySource, ecosystem: &str, names: &[&str]) {
        let mut want: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| {
                !self
                    .hits
                    .contains_key(&(ecosystem.to_string(), n.to_string()))
            })
            .collect();
        want.sort_unstable();
        want.dedup();
        if want.is_empty() {
            return;
        }
        let Ok(hits) = src.lookup_many(ecosystem, &want) else {
            return;
        };
        let eco = Ecosystem::parse(ecosystem);
        let mut by_name: HashMap<String, Vec<(Rc<Hit>, range::Prepared)>> = HashMap::new();
        for mut h in hits {
            if h.package.ecosystem != ecosystem {
                continue;
            }
            let a = range::Prepared::new(&eco, h.package.take_range_affected());
            by_name
                .entry(h.package.name.clone())
                .or_default()
                .push((Rc::new(h), a));
        }
        for n in want {
            let mut v = by_name.remove(n).unwrap_or_default();
            // As `lookup` answers: by advisory id, then entry order (kept by the stable sort).
            v.sort_by(|a, b| a.0.advisory.cmp(&b.0.advisory));
            self.hits
                .insert((ecosystem.to_string(), n.to_string()), Ok(v.into()));
        }
    }

    fn get(
        &mut self,
        src: &dyn AdvisorySource,
        ecosystem: &str,
        name: &str,
    ) -> Result<Hits, SourceError> {
        self.hits
            .entry((ecosystem.to_string(), name.to_string()))
            .or_insert_with(|| {
                src.lookup(ecosystem, name).map(|hits| {
                    let eco = Ecosystem::parse(ecosystem);
                    hits.into_iter()
                        .map(|mut h| {
                            let a = range::Prepared::new(&eco, h.package.take_range_affected());
                            (Rc::new(h), a)
                        })
                        .collect()
                })
            })
            .clone()
    }
}

/// The Ubuntu Pro streams a package of `ecosystem` is also matched against on a host whose
/// Pro client says so ([`UbuntuPro`]): `Ubuntu:Pro:<release>:LTS` when `esm-infra` or
/// `esm-apps` is enabled (ESM fixes, `+esm` versions), `Ubuntu:Pro:FIPS:<release>:LTS` with
/// `fips`, `Ubuntu:Pro:FIPS-updates:<release>:LTS` with `fips-updates`,
/// `Ubuntu:Pro:FIPS-preview:<release>:LTS` with `fips-preview`,
/// `Ubuntu:Pro:<release>:LTS:Realtime:Kernel` with `realtime-kernel`. Only for an LTS
/// release's own ecosystem; nothing without Pro.
pub fn pro_streams(pro: Option<&UbuntuPro>, ecosystem: &str) -> Vec<String> {
    let Some(pro) = pro.filter(|p| p.attached) else {
        return Vec::new();
    };
    let eco = Ecosystem::parse(ecosystem);
    let (EcosystemKind::Ubuntu, Some(release), false, true) =
        (&eco.kind, &eco.release, eco.pro, eco.lts)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if pro.is_enabled("esm-infra") || pro.is_enabled("esm-apps") {
        out.push(format!("Ubuntu:Pro:{release}:LTS"));
    }
    for (service, stream) in [
        ("fips", "FIPS"),
        ("fips-updates", "FIPS-updates"),
        ("fips-preview", "FIPS-preview"),
    ] {
        if pro.is_enabled(service) {
            out.push(format!("Ubuntu:Pro:{stream}:{release}:LTS"));
        }
    }
    if pro.is_enabled("realtime-kernel") {
        out.push(format!("Ubuntu:Pro:{release}:LTS:Realtime:Kernel"));
    }
    out
}

/// Match one package. Pure apart from the source reads.
pub fn match_package(p: &Package, src: &dyn AdvisorySource) -> PackageMatches {
    match_package_cached(p, src, &mut LookupCache::default())
}

/// [`match_package`], reading lookups through `cache`.
pub fn match_package_cached(
    p: &Package,
    src: &dyn AdvisorySource,
    cache: &mut LookupCache,
) -> PackageMatches {
    match_package_in(p, &[], src, cache)
}

/// [`match_package_cached`] in the package's own ecosystem and in `streams` too (the
/// [`pro_streams`] of a Pro host). An advisory whose entry in one of `streams` says the
/// installed version is fixed (an `+esm` version) is not a finding from its entry in the
/// plain release either: the Pro stream is the newer word for that release.
pub fn match_package_in(
    p: &Package,
    streams: &[String],
    src: &dyn AdvisorySource,
    cache: &mut LookupCache,
) -> PackageMatches {
    let mut out = PackageMatches::default();
    let eco = Ecosystem::parse(&p.ecosystem);
    let Some(scheme) = eco.scheme() else {
        out.skipped = Some(format!(
            "no version order known for ecosystem {:?}",
            p.ecosystem
        ));
        return out;
    };
    if eco.kind.is_distro() && eco.release.is_none() {
        out.skipped = Some(format!(
            "distro ecosystem {:?} has no release: distro packages are matched only against their own release's advisories",
            p.ecosystem
        ));
        return out;
    }
    let norm = normalize_name(&eco.kind, &p.name);
    // Matches by advisory, to drop a hit seen twice without comparing it with every earlier
    // match (`linux` has ~2,000).
    let mut by_advisory: HashMap<String, Vec<usize>> = HashMap::new();
    // Advisories whose entry in one of `streams` finds the installed version fixed.
    let mut fixed_in_stream: std::collections::BTreeSet<String> = Default::default();
    for (name, how, version) in lookups(p, &eco) {
        if scheme.parse_lenient(&version).is_err() {
            out.skipped = Some(format!(
                "version {version:?} is not a valid {} version",
                scheme.name()
            ));
            return out;
        }
        for stream in std::iter::once(&p.ecosystem).chain(streams) {
            let hits = match cache.get(src, stream, &name) {
                Ok(h) => h,
                Err(e) => {
                    out.errors.push(e);
                    continue;
                }
            };
            for (hit, prepared) in hits.iter() {
                // Spelling variants must normalise to the installed name; release scoping is
                // the lookup's, checked again here.
                if hit.package.ecosystem != *stream
                    || (how == MatchedBy::Name
                        && normalize_name(&eco.kind, &hit.package.name) != norm)
                {
                    continue;
                }
                if by_advisory.get(&hit.advisory).is_some_and(|ix| {
                    // The same stored entry (the cache hands out one `Rc` per row), not an equal
                    // one: two entries of one advisory can be equal once their ranges have been
                    // moved out into `prepared`, and each must still count.
                    ix.iter().any(|&i| {
                        let m = &out.matches[i];
                        Rc::ptr_eq(&m.hit, hit) && m.matched_by == how
                    })
                }) {
                    continue;
                }
                // Prepared for the lookup's ecosystem, which is the package's (`p.ecosystem`).
                let ev = prepared.evaluate(&version);
                match ev.verdict {
                    Verdict::Affected => {
                        if let Some(m) = ev.matched {
                            let used = match &m {
                                Match::InRange {
                                    kind: RangeKind::Semver,
                                    ..
                                } if !matches!(scheme, Scheme::Go | Scheme::Pub) => Scheme::SemVer,
                                _ => scheme,
                            };
                            by_advisory
                                .entry(hit.advisory.clone())
                                .or_default()
                                .push(out.matches.len());
                            out.matches.push(RawMatch {
                                hit: hit.clone(),
                                matched_by: how,
                                compared_version: version.clone(),
                                matched: m,
                                scheme: used,
                            });
                        }
                    }
                    Verdict::Undetermined => {
                        let why: Vec<String> = ev
                            .ranges
                            .iter()
                            .filter_map(|o| match o {
                                RangeOutcome::NotEvaluable(u) => Some(u.to_string()),
                                _ => None,
                            })
                            .collect();
                        out.undetermined.push(Undetermined {
                            advisory: hit.advisory.clone(),
                            reason: why.join("; "),
                        });
                    }
                    Verdict::NotAffected => {
                        if stream != &p.ecosystem {
                            fixed_in_stream.insert(hit.advisory.clone());
                        }
                    }
                }
            }
        }
    }
    if !fixed_in_stream.is_empty() {
        out.matches.retain(|m| {
            m.hit.package.ecosystem != p.ecosystem || !fixed_in_stream.contains(&m.hit.advisory)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_normalises() {
        assert_eq!(pep503("Django_REST.framework"), "django-rest-framework");
        assert_eq!(pep503("jw.util"), "jw-util");
        assert_eq!(pep503("a--b"), "a-b");
        let names = lookup_names(&EcosystemKind::PyPI, "JW_Util");
        assert!(names.contains(&"jw.util".to_string()), "{names:?}");
        assert!(names.contains(&"jw-util".to_string()));
    }

    #[test]
    fn distro_publishing() {
        assert_eq!(publishes_by(&EcosystemKind::Debian), Publishes::Source);
        assert_eq!(publishes_by(&EcosystemKind::Ubuntu), Publishes::Source);
        assert_eq!(publishes_by(&EcosystemKind::Alpine), Publishes::Source);
        assert_eq!(
            publishes_by(&EcosystemKind::AlmaLinux),
            Publishes::BinaryAndSource
        );
        assert_eq!(publishes_by(&EcosystemKind::PyPI), Publishes::Name);
    }
}
