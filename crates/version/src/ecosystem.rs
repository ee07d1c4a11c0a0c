//! OSV ecosystem strings: `Debian:12`, `Ubuntu:Pro:18.04:LTS`, `Alpine:v3.19`, `PyPI`,
//! `Maven:https://maven.google.com`, … split into a known kind and a release, and mapped to the
//! version scheme that orders their versions.
//!
//! Unknown ecosystems are kept as [`EcosystemKind::Unknown`] with their raw name: new
//! ecosystems appear in OSV every few months and must never make a record unreadable.

use crate::Scheme;
use std::fmt;

/// The ecosystems caulk knows by name (the OSV schema's list, 2026).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EcosystemKind {
    AlmaLinux,
    Alpaquita,
    Alpine,
    Android,
    AzureLinux,
    BellSoftHardenedContainers,
    Bioconductor,
    Bitnami,
    Chainguard,
    CleanStart,
    ConanCenter,
    Cran,
    CratesIo,
    Debian,
    DockerHardenedImages,
    Echo,
    FreeBsd,
    Ghc,
    GitHubActions,
    Go,
    Hackage,
    Hex,
    Julia,
    Kubernetes,
    Linux,
    Mageia,
    Maven,
    MinimOs,
    Npm,
    NuGet,
    Opam,
    OpenEuler,
    OpenSuse,
    OssFuzz,
    Packagist,
    PhotonOs,
    Pub,
    PyPI,
    RedHat,
    RockyLinux,
    Root,
    RubyGems,
    Suse,
    SwiftUrl,
    TuxCare,
    Ubuntu,
    VsCode,
    Wolfi,
    /// Not in OSV's list but seen in real feeds and inventories.
    OracleLinux,
    AmazonLinux,
    Fedora,
    /// An ecosystem caulk does not know. Kept, never fatal.
    Unknown(String),
}

/// (canonical OSV name, kind). Matching is exact first, then ASCII case-insensitive.
const NAMES: &[(&str, EcosystemKind)] = &[
    ("AlmaLinux", EcosystemKind::AlmaLinux),
    ("Alpaquita", EcosystemKind::Alpaquita),
    ("Alpine", EcosystemKind::Alpine),
    ("Android", EcosystemKind::Android),
    ("Azure Linux", EcosystemKind::AzureLinux),
    (
        "BellSoft Hardened Containers",
        EcosystemKind::BellSoftHardenedContainers,
    ),
    ("Bioconductor", EcosystemKind::Bioconductor),
    ("Bitnami", EcosystemKind::Bitnami),
    ("Chainguard", EcosystemKind::Chainguard),
    ("CleanStart", EcosystemKind::CleanStart),
    ("ConanCenter", EcosystemKind::ConanCenter),
    ("CRAN", EcosystemKind::Cran),
    ("crates.io", EcosystemKind::CratesIo),
    ("Debian", EcosystemKind::Debian),
    (
        "Docker Hardened Images",
        EcosystemKind::DockerHardenedImages,
    ),
    ("Echo", EcosystemKind::Echo),
    ("FreeBSD", EcosystemKind::FreeBsd),
    ("GHC", EcosystemKind::Ghc),
    ("GitHub Actions", EcosystemKind::GitHubActions),
    ("Go", EcosystemKind::Go),
    ("Hackage", EcosystemKind::Hackage),
    ("Hex", EcosystemKind::Hex),
    ("Julia", EcosystemKind::Julia),
    ("Kubernetes", EcosystemKind::Kubernetes),
    ("Linux", EcosystemKind::Linux),
    ("Mageia", EcosystemKind::Mageia),
    ("Maven", EcosystemKind::Maven),
    ("MinimOS", EcosystemKind::MinimOs),
    ("npm", EcosystemKind::Npm),
    ("NuGet", EcosystemKind::NuGet),
    ("opam", EcosystemKind::Opam),
    ("openEuler", EcosystemKind::OpenEuler),
    ("openSUSE", EcosystemKind::OpenSuse),
    ("OSS-Fuzz", EcosystemKind::OssFuzz),
    ("Packagist", EcosystemKind::Packagist),
    ("Photon OS", EcosystemKind::PhotonOs),
    ("Pub", EcosystemKind::Pub),
    ("PyPI", EcosystemKind::PyPI),
    ("Red Hat", EcosystemKind::RedHat),
    ("Rocky Linux", EcosystemKind::RockyLinux),
    ("Root", EcosystemKind::Root),
    ("RubyGems", EcosystemKind::RubyGems),
    ("SUSE", EcosystemKind::Suse),
    ("SwiftURL", EcosystemKind::SwiftUrl),
    ("TuxCare", EcosystemKind::TuxCare),
    ("Ubuntu", EcosystemKind::Ubuntu),
    ("VSCode", EcosystemKind::VsCode),
    ("Wolfi", EcosystemKind::Wolfi),
    ("Oracle Linux", EcosystemKind::OracleLinux),
    ("Amazon Linux", EcosystemKind::AmazonLinux),
    ("Fedora", EcosystemKind::Fedora),
];

impl EcosystemKind {
    fn from_name(name: &str) -> EcosystemKind {
        if let Some((_, k)) = NAMES.iter().find(|(n, _)| *n == name) {
            return k.clone();
        }
        if let Some((_, k)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return k.clone();
        }
        EcosystemKind::Unknown(name.to_string())
    }

    /// The canonical OSV spelling.
    pub fn name(&self) -> &str {
        match self {
            EcosystemKind::Unknown(s) => s,
            k => NAMES
                .iter()
                .find(|(_, kk)| kk == k)
                .map(|(n, _)| *n)
                .unwrap_or("?"),
        }
    }

    /// The scheme that orders this ecosystem's versions, or `None` where OSV has no total
    /// order (GIT-only ecosystems such as Linux, Android, OSS-Fuzz) or caulk does not know one.
    pub fn scheme(&self) -> Option<Scheme> {
        use EcosystemKind as K;
        Some(match self {
            K::Debian | K::Ubuntu | K::Echo | K::TuxCare => Scheme::Dpkg,
            K::AlmaLinux
            | K::RockyLinux
            | K::RedHat
            | K::Suse
            | K::OpenSuse
            | K::PhotonOs
            | K::AzureLinux
            | K::Mageia
            | K::OpenEuler
            | K::OracleLinux
            | K::AmazonLinux
            | K::Fedora => Scheme::Rpm,
            K::Alpine
            | K::Alpaquita
            | K::BellSoftHardenedContainers
            | K::Chainguard
            | K::Wolfi
            | K::MinimOs => Scheme::Apk,
            K::Npm
            | K::CratesIo
            | K::Hex
            | K::SwiftUrl
            | K::Bitnami
            | K::Julia
            | K::GitHubActions => Scheme::SemVer,
            K::Go | K::Kubernetes => Scheme::Go,
            K::Pub => Scheme::Pub,
            K::PyPI => Scheme::Pep440,
            K::Maven => Scheme::Maven,
            K::RubyGems => Scheme::RubyGems,
            K::NuGet => Scheme::NuGet,
            K::Packagist => Scheme::Packagist,
            K::Cran | K::Bioconductor => Scheme::Cran,
            K::Hackage | K::Ghc => Scheme::Hackage,
            K::Android
            | K::ConanCenter
            | K::CleanStart
            | K::DockerHardenedImages
            | K::FreeBsd
            | K::Linux
            | K::Opam
            | K::OssFuzz
            | K::Root
            | K::VsCode
            | K::Unknown(_) => return None,
        })
    }

    /// Distribution ecosystems publish by source package and carry a release suffix.
    pub fn is_distro(&self) -> bool {
        matches!(
            self.scheme(),
            Some(Scheme::Dpkg) | Some(Scheme::Rpm) | Some(Scheme::Apk)
        )
    }
}

/// A parsed OSV ecosystem string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ecosystem {
    pub kind: EcosystemKind,
    /// The release suffix as written (`12`, `22.04:LTS`, `v3.19`, `rhel_aus:8.4::appstream`),
    /// or the repository URL for Maven/Packagist/VSCode. `None` when absent.
    pub release: Option<String>,
    /// Ubuntu Pro (ESM) stream: `Ubuntu:Pro:18.04:LTS`.
    pub pro: bool,
    /// Ubuntu LTS marker (`:LTS`).
    pub lts: bool,
}

impl Ecosystem {
    /// Parse an OSV ecosystem string. Never fails: what caulk does not know stays
    /// [`EcosystemKind::Unknown`].
    pub fn parse(s: &str) -> Ecosystem {
        let s = s.trim();
        let (name, rest) = match s.split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (s, None),
        };
        let kind = EcosystemKind::from_name(name);
        let mut pro = false;
        let mut lts = false;
        let release = match (&kind, rest) {
            (_, None) | (_, Some("")) => None,
            (EcosystemKind::Ubuntu, Some(r)) => {
                let mut r = r;
                if let Some(x) = r.strip_prefix("Pro:") {
                    pro = true;
                    r = x;
                }
                if let Some(x) = r.strip_suffix(":LTS") {
                    lts = true;
                    r = x;
                }
                Some(r.to_string())
            }
            (EcosystemKind::Unknown(_), Some(r)) => Some(r.to_string()),
            (_, Some(r)) => Some(r.to_string()),
        };
        Ecosystem {
            kind,
            release,
            pro,
            lts,
        }
    }

    /// The ecosystem without its release (`Debian:12` → `Debian`).
    pub fn base(&self) -> Ecosystem {
        Ecosystem {
            kind: self.kind.clone(),
            release: None,
            pro: false,
            lts: false,
        }
    }

    pub fn scheme(&self) -> Option<Scheme> {
        self.kind.scheme()
    }

    pub fn is_known(&self) -> bool {
        !matches!(self.kind, EcosystemKind::Unknown(_))
    }
}

impl fmt::Display for Ecosystem {
    /// The canonical OSV spelling; `parse(x.to_string()) == x`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        if self.pro {
            f.write_str(":Pro")?;
        }
        if let Some(r) = &self.release {
            write!(f, ":{r}")?;
        }
        if self.lts {
            f.write_str(":LTS")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distro_strings_split_into_kind_and_release() {
        let e = Ecosystem::parse("Debian:12");
        assert_eq!(e.kind, EcosystemKind::Debian);
        assert_eq!(e.release.as_deref(), Some("12"));
        assert_eq!(e.scheme(), Some(Scheme::Dpkg));

        let e = Ecosystem::parse("Ubuntu:Pro:18.04:LTS");
        assert_eq!(e.kind, EcosystemKind::Ubuntu);
        assert!(e.pro && e.lts);
        assert_eq!(e.release.as_deref(), Some("18.04"));
        assert_eq!(e.to_string(), "Ubuntu:Pro:18.04:LTS");

        let e = Ecosystem::parse("Ubuntu:22.04:LTS");
        assert!(!e.pro && e.lts);
        assert_eq!(e.release.as_deref(), Some("22.04"));

        let e = Ecosystem::parse("Red Hat:rhel_aus:8.4::appstream");
        assert_eq!(e.kind, EcosystemKind::RedHat);
        assert_eq!(e.release.as_deref(), Some("rhel_aus:8.4::appstream"));
        assert_eq!(e.scheme(), Some(Scheme::Rpm));

        let e = Ecosystem::parse("Maven:https://maven.google.com");
        assert_eq!(e.kind, EcosystemKind::Maven);
        assert_eq!(e.release.as_deref(), Some("https://maven.google.com"));

        assert_eq!(Ecosystem::parse("Alpine:v3.19").scheme(), Some(Scheme::Apk));
        assert_eq!(
            Ecosystem::parse("Rocky Linux:9").scheme(),
            Some(Scheme::Rpm)
        );
        assert_eq!(Ecosystem::parse("crates.io").scheme(), Some(Scheme::SemVer));
        assert_eq!(Ecosystem::parse("Go").scheme(), Some(Scheme::Go));
        assert_eq!(Ecosystem::parse("PyPI").scheme(), Some(Scheme::Pep440));
        assert_eq!(Ecosystem::parse("pypi").kind, EcosystemKind::PyPI);
    }

    #[test]
    fn unknown_ecosystems_are_kept_not_fatal() {
        let e = Ecosystem::parse("Plan9:4");
        assert_eq!(e.kind, EcosystemKind::Unknown("Plan9".into()));
        assert_eq!(e.release.as_deref(), Some("4"));
        assert_eq!(e.scheme(), None);
        assert_eq!(e.to_string(), "Plan9:4");
        assert!(!e.is_known());
    }

    #[test]
    fn every_name_in_the_osv_schema_list_is_known() {
        let Some(text) = caulk_testkit::data_text("osv-schema/ecosystems.json") else {
            return;
        };
        // The file is a flat JSON object of name -> description; its keys are the lines that
        // start with two spaces and a quote.
        let mut n = 0;
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("  \"") else {
                continue;
            };
            let Some((name, _)) = rest.split_once("\":") else {
                continue;
            };
            n += 1;
            let e = Ecosystem::parse(name);
            assert!(e.is_known(), "{name} unknown");
            assert_eq!(e.kind.name(), name);
        }
        assert!(n >= 40, "read only {n} ecosystem names");
    }

    #[test]
    fn round_trip_display() {
        for s in [
            "Debian:12",
            "Debian",
            "Alpine:v3.19",
            "AlmaLinux:9",
            "Ubuntu:20.04:LTS",
            "Ubuntu:Pro:16.04:LTS",
            "Ubuntu:23.10",
            "SUSE:Linux Enterprise Server 15 SP5",
            "npm",
        ] {
            assert_eq!(Ecosystem::parse(s).to_string(), s);
        }
    }
}
