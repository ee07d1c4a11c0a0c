//! Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and
//! `*.egg-info` files (core metadata: RFC 822 headers, then an optional body). Only `Name`
//! and `Version` are read, from the headers; the name is PEP 503-normalised as matching
//! compares it.

use caulk_model::purl::pep503;

/// Bytes of a metadata file read: the headers come first and `Name`/`Version` are the first
/// of them; a long description body is never needed.
pub const HEAD_BYTES: u64 = 64 << 10;

/// `(name, version)` from core metadata headers: the normalised name and the version as
/// written. An error says what is missing.
pub fn parse_metadata(bytes: &[u8]) -> Result<(String, String), String> {
    let mut name = None;
    let mut version = None;
    for (_, line) in crate::lines(bytes) {
        if line.is_empty() {
            break; // end of the headers
        }
        if line[0] == b' ' || line[0] == b'\t' {
            continue; // a continuation of a header we do not read
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (key, value) = (&line[..colon], &line[colon + 1..]);
        let slot = if key.eq_ignore_ascii_case(b"Name") {
            &mut name
        } else if key.eq_ignore_ascii_case(b"Version") {
            &mut version
        } else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(String::from_utf8_lossy(value).trim().to_string());
        }
        if name.is_some() && version.is_some() {
            break;
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !pep503(&n).is_empty() && !v.is_empty() && v.len() <= 512 => {
            Ok((pep503(&n), v))
        }
        (Some(_), Some(_)) => Err("empty or oversized Name or Version header".into()),
        (None, _) => Err("no Name header".into()),
        (_, None) => Err("no Version header".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_only_name_normalised() {
        let m = b"Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\nSummary: x\n\nName: body\n";
        assert_eq!(parse_metadata(m).unwrap(), ("pyyaml".into(), "6.0".into()));
        let m = b"Metadata-Version: 1.0\r\nVersion: 1.0.post1\r\nName: Foo_Bar.baz\r\n";
        assert_eq!(
            parse_metadata(m).unwrap(),
            ("foo-bar-baz".into(), "1.0.post1".into())
        );
        assert!(parse_metadata(b"Name: x\n\nVersion: 1\n").is_err());
        assert!(parse_metadata(b"").is_err());
        assert!(parse_metadata(b"Name: \nVersion: 1\n").is_err());
    }

    /// Real metadata from this host's Debian packages, when present.
    #[test]
    fn this_hosts_dist_packages() {
        let dir = std::path::Path::new("/usr/lib/python3/dist-packages");
        let Ok(rd) = std::fs::read_dir(dir) else {
            caulk_testkit::missing("/usr/lib/python3/dist-packages (python3 from Debian)");
            return;
        };
        let mut n = 0;
        for e in rd.flatten() {
            let name = e.file_name().into_string().unwrap_or_default();
            let meta = if name.ends_with(".dist-info") {
                e.path().join("METADATA")
            } else if name.ends_with(".egg-info") && e.path().is_dir() {
                e.path().join("PKG-INFO")
            } else if name.ends_with(".egg-info") {
                e.path()
            } else {
                continue;
            };
            let b = std::fs::read(&meta).unwrap();
            let (n_, v) = parse_metadata(&b).unwrap_or_else(|e| panic!("{meta:?}: {e}"));
            // The directory is named after the distribution and (wheels, pip) its version;
            // Debian's egg-info directories carry no version (`cryptography.egg-info`).
            let stem = name.rsplit_once('.').unwrap().0;
            assert!(!stem.contains('-') || stem.contains(&v), "{name}: {v}");
            assert!(pep503(stem).starts_with(&n_), "{name}: {n_}");
            n += 1;
        }
        assert!(n > 0, "no metadata under {dir:?}");
    }
}
