//! Version schemes of every package ecosystem caulk matches, and OSV range evaluation.
//!
//! Owns: [`Scheme`] (one per ordering rule: dpkg, RPM, apk, SemVer, Go, Pub, PEP 440, Maven,
//! RubyGems, NuGet, Packagist, CRAN, Hackage), [`Version`] (a parsed version of one scheme,
//! ordered), [`Ecosystem`] (an OSV ecosystem string split into name and release, mapped to its
//! scheme) and [`range`] (is a version inside an OSV `affected` entry, and why).
//!
//! The trap in this domain: every package manager has its own idea of order, and they disagree
//! on the ugly inputs (`~`, `^`, empty digit runs, leading zeros, pre-release words, epochs).
//! Each scheme here is checked against its real implementation (dpkg, rpm, apk, pip's
//! `packaging`, node `semver`, Maven's `ComparableVersion`, RubyGems) by the differential tests.
//! Parsing validates: a string the package manager would reject is an error saying why, never a
//! silent best guess and never a panic.
//!
//! Pure: no I/O, no clock.

use std::cmp::Ordering;
use std::fmt;

/// `PartialOrd`, `PartialEq` and `Eq` from a type's `Ord`, so that equality always means
/// "same position in the order" (dpkg `1.0` == `0:1.0-0`) and can never drift from `cmp`.
macro_rules! order_from_ord {
    ($t:ty) => {
        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == std::cmp::Ordering::Equal
            }
        }
        impl Eq for $t {}
    };
}
pub(crate) use order_from_ord;

/// Compare two sequences element by element, the shorter one padded with `pad` (RubyGems
/// pads with 0, Composer with a missing part): the first difference decides.
pub(crate) fn cmp_padded<T: Ord>(a: &[T], b: &[T], pad: &T) -> Ordering {
    (0..a.len().max(b.len()))
        .map(|i| a.get(i).unwrap_or(pad).cmp(b.get(i).unwrap_or(pad)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

pub mod apk;
pub mod cran;
pub mod dpkg;
pub mod ecosystem;
pub mod hackage;
#[cfg(test)]
mod laws;
pub mod maven;
pub mod nuget;
pub mod packagist;
pub mod pep440;
pub mod range;
pub mod rpm;
pub mod rubygems;
pub mod semver;

pub use ecosystem::{Ecosystem, EcosystemKind};

/// The longest version string any scheme accepts, in bytes. Real versions are far shorter
/// (Go pseudo-versions, the longest common form, are about 40).
pub const MAX_VERSION_LEN: usize = 512;

/// Why a version string was rejected by a scheme's parser. Scheme modules return this; the
/// crate-level [`VersionError`] adds the scheme and the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidVersion(pub String);

impl InvalidVersion {
    pub fn new(reason: impl Into<String>) -> Self {
        InvalidVersion(reason.into())
    }
}

impl fmt::Display for InvalidVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Errors of this crate. Every message names the scheme and the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("invalid {scheme} version {input:?}: {reason}")]
    Invalid {
        scheme: Scheme,
        input: String,
        reason: String,
    },
    #[error("unknown version scheme or ecosystem {0:?}")]
    UnknownScheme(String),
    #[error("cannot compare a {0} version with a {1} version")]
    SchemeMismatch(Scheme, Scheme),
}

/// One ordering rule. Several ecosystems share a scheme (Debian and Ubuntu use dpkg; every
/// RPM distribution uses RPM; npm, crates.io and Hex use SemVer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Debian policy §5.6.12: `[epoch:]upstream[-revision]`, `~` sorts before everything.
    Dpkg,
    /// rpmvercmp over EVR, with `~` (pre-release) and `^` (post-release).
    Rpm,
    /// apk-tools v3 (`1.2.3_rc1-r0`).
    Apk,
    /// SemVer 2.0.0 (npm, crates.io, Hex, SwiftURL); build metadata ignored.
    SemVer,
    /// Go modules: SemVer with a `v` prefix, `+incompatible`, pseudo-versions.
    Go,
    /// Dart pub: SemVer 2.0.0 where build metadata also orders (`1.0.0 < 1.0.0+1`).
    Pub,
    /// PEP 440 (PyPI), with a never-panicking legacy fallback.
    Pep440,
    /// Maven `ComparableVersion`.
    Maven,
    /// RubyGems `Gem::Version`.
    RubyGems,
    /// NuGet (SemVer 2.0 with four numeric parts, case-insensitive labels).
    NuGet,
    /// Composer / PHP `version_compare` after Composer's normalisation.
    Packagist,
    /// R's `package_version` (CRAN, Bioconductor): numeric parts split on `.` and `-`.
    Cran,
    /// Haskell PVP (Hackage, GHC): dotted non-negative integers.
    Hackage,
}

impl Scheme {
    pub const ALL: [Scheme; 13] = [
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::SemVer,
        Scheme::Go,
        Scheme::Pub,
        Scheme::Pep440,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Packagist,
        Scheme::Cran,
        Scheme::Hackage,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::SemVer => "semver",
            Scheme::Go => "go",
            Scheme::Pub => "pub",
            Scheme::Pep440 => "pep440",
            Scheme::Maven => "maven",
            Scheme::RubyGems => "rubygems",
            Scheme::NuGet => "nuget",
            Scheme::Packagist => "packagist",
            Scheme::Cran => "cran",
            Scheme::Hackage => "hackage",
        }
    }

    /// Accepts a scheme name (`dpkg`, `rpm`, …) or any OSV ecosystem string (`Debian:12`,
    /// `PyPI`, `AlmaLinux:9`) and returns the scheme that orders its versions.
    pub fn from_name_or_ecosystem(s: &str) -> Result<Scheme, VersionError> {
        if let Some(found) = Scheme::ALL
            .iter()
            .copied()
            .find(|sc| sc.name().eq_ignore_ascii_case(s))
        {
            return Ok(found);
        }
        Ecosystem::parse(s)
            .scheme()
            .ok_or_else(|| VersionError::UnknownScheme(s.to_string()))
    }

    /// Parse a version of this scheme. Inputs longer than [`MAX_VERSION_LEN`] bytes are
    /// rejected before any scheme sees them (untrusted input is bounded).
    pub fn parse(self, input: &str) -> Result<Version, VersionError> {
        let wrap = |e: InvalidVersion| VersionError::Invalid {
            scheme: self,
            input: input.to_string(),
            reason: e.0,
        };
        if input.len() > MAX_VERSION_LEN {
            return Err(VersionError::Invalid {
                scheme: self,
                input: input.chars().take(64).collect::<String>() + "…",
                reason: format!("longer than {MAX_VERSION_LEN} bytes ({})", input.len()),
            });
        }
        Ok(match self {
            Scheme::Dpkg => Version::Dpkg(dpkg::DpkgVersion::parse(input).map_err(wrap)?),
            Scheme::Rpm => Version::Rpm(rpm::RpmVersion::parse(input).map_err(wrap)?),
            Scheme::Apk => Version::Apk(apk::ApkVersion::parse(input).map_err(wrap)?),
            Scheme::SemVer => Version::SemVer(semver::SemVer::parse(input).map_err(wrap)?),
            Scheme::Go => Version::Go(semver::GoVersion::parse(input).map_err(wrap)?),
            Scheme::Pub => Version::Pub(semver::PubVersion::parse(input).map_err(wrap)?),
            Scheme::Pep440 => Version::Pep440(pep440::Pep440Version::parse(input).map_err(wrap)?),
            Scheme::Maven => Version::Maven(maven::MavenVersion::parse(input).map_err(wrap)?),
            Scheme::RubyGems => {
                Version::RubyGems(rubygems::GemVersion::parse(input).map_err(wrap)?)
            }
            Scheme::NuGet => Version::NuGet(nuget::NuGetVersion::parse(input).map_err(wrap)?),
            Scheme::Packagist => {
                Version::Packagist(packagist::PackagistVersion::parse(input).map_err(wrap)?)
            }
            Scheme::Cran => Version::Cran(cran::CranVersion::parse(input).map_err(wrap)?),
            Scheme::Hackage => {
                Version::Hackage(hackage::HackageVersion::parse(input).map_err(wrap)?)
            }
        })
    }

    /// Parse as the ecosystem's matcher does: like [`Scheme::parse`], except that PyPI strings
    /// that are not PEP 440 fall back to the legacy ordering (they sort before every valid
    /// version, as `packaging`'s `LegacyVersion` did), so old releases still match ranges.
    pub fn parse_lenient(self, input: &str) -> Result<Version, VersionError> {
        match self.parse(input) {
            Err(VersionError::Invalid { .. })
                if self == Scheme::Pep440 && input.len() <= MAX_VERSION_LEN =>
            {
                Ok(Version::Pep440(pep440::Pep440Version::legacy(input)))
            }
            other => other,
        }
    }

    /// Compare two version strings of this scheme.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let a = self.parse(a)?;
        let b = self.parse(b)?;
        a.try_cmp(&b)
    }

    /// [`Scheme::compare`] of versions parsed as the package manager accepts them
    /// ([`Scheme::parse_lenient`]); `None` when either does not parse.
    pub fn compare_lenient(self, a: &str, b: &str) -> Option<Ordering> {
        let a = self.parse_lenient(a).ok()?;
        let b = self.parse_lenient(b).ok()?;
        a.try_cmp(&b).ok()
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed version of one scheme. Versions of the same scheme are totally ordered (equality
/// is "same position in the order", e.g. dpkg `1.0` = `0:1.0-0`); versions of different
/// schemes do not compare ([`Version::try_cmp`] says so).
#[derive(Debug, Clone)]
pub enum Version {
    Dpkg(dpkg::DpkgVersion),
    Rpm(rpm::RpmVersion),
    Apk(apk::ApkVersion),
    SemVer(semver::SemVer),
    Go(semver::GoVersion),
    Pub(semver::PubVersion),
    Pep440(pep440::Pep440Version),
    Maven(maven::MavenVersion),
    RubyGems(rubygems::GemVersion),
    NuGet(nuget::NuGetVersion),
    Packagist(packagist::PackagistVersion),
    Cran(cran::CranVersion),
    Hackage(hackage::HackageVersion),
}

impl Version {
    pub fn scheme(&self) -> Scheme {
        match self {
            Version::Dpkg(_) => Scheme::Dpkg,
            Version::Rpm(_) => Scheme::Rpm,
            Version::Apk(_) => Scheme::Apk,
            Version::SemVer(_) => Scheme::SemVer,
            Version::Go(_) => Scheme::Go,
            Version::Pub(_) => Scheme::Pub,
            Version::Pep440(_) => Scheme::Pep440,
            Version::Maven(_) => Scheme::Maven,
            Version::RubyGems(_) => Scheme::RubyGems,
            Version::NuGet(_) => Scheme::NuGet,
            Version::Packagist(_) => Scheme::Packagist,
            Version::Cran(_) => Scheme::Cran,
            Version::Hackage(_) => Scheme::Hackage,
        }
    }

    /// Order two versions of the same scheme.
    pub fn try_cmp(&self, other: &Version) -> Result<Ordering, VersionError> {
        use Version as V;
        Ok(match (self, other) {
            (V::Dpkg(a), V::Dpkg(b)) => a.cmp(b),
            (V::Rpm(a), V::Rpm(b)) => a.cmp(b),
            (V::Apk(a), V::Apk(b)) => a.cmp(b),
            (V::SemVer(a), V::SemVer(b)) => a.cmp(b),
            (V::Go(a), V::Go(b)) => a.cmp(b),
            (V::Pub(a), V::Pub(b)) => a.cmp(b),
            (V::Pep440(a), V::Pep440(b)) => a.cmp(b),
            (V::Maven(a), V::Maven(b)) => a.cmp(b),
            (V::RubyGems(a), V::RubyGems(b)) => a.cmp(b),
            (V::NuGet(a), V::NuGet(b)) => a.cmp(b),
            (V::Packagist(a), V::Packagist(b)) => a.cmp(b),
            (V::Cran(a), V::Cran(b)) => a.cmp(b),
            (V::Hackage(a), V::Hackage(b)) => a.cmp(b),
            _ => return Err(VersionError::SchemeMismatch(self.scheme(), other.scheme())),
        })
    }
}

impl fmt::Display for Version {
    /// The version as it was written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Dpkg(v) => v.fmt(f),
            Version::Rpm(v) => v.fmt(f),
            Version::Apk(v) => v.fmt(f),
            Version::SemVer(v) => v.fmt(f),
            Version::Go(v) => v.fmt(f),
            Version::Pub(v) => v.fmt(f),
            Version::Pep440(v) => v.fmt(f),
            Version::Maven(v) => v.fmt(f),
            Version::RubyGems(v) => v.fmt(f),
            Version::NuGet(v) => v.fmt(f),
            Version::Packagist(v) => v.fmt(f),
            Version::Cran(v) => v.fmt(f),
            Version::Hackage(v) => v.fmt(f),
        }
    }
}

/// The symbol used by the CLI and the test-vector files for an ordering.
pub fn ordering_symbol(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}
