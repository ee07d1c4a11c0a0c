//! Package URLs (<https://github.com/package-url/purl-spec>): building them for what the
//! collectors find and the renderers export, and reading the parts we need from SBOMs.
//! The trap: every component is percent-encoded on its own (a scoped npm namespace is
//! `%40scope`), so the last `@` separates the version only outside the namespace.

/// Percent-encode everything but the purl spec's unreserved characters.
fn encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// A PyPI name as PEP 503 compares it (and the purl spec writes it): lower case, each run
/// of `-`, `_`, `.` one `-`; separators at either end (never in a valid name) are dropped.
/// The one normalisation of the workspace: collectors, matching and renderers use it.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Build a canonical purl: qualifiers sorted by key, empty ones dropped, every component
/// percent-encoded; the namespace keeps its `/` separators.
pub fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut s = String::with_capacity(64);
    s.push_str("pkg:");
    s.push_str(&ty.to_ascii_lowercase());
    s.push('/');
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        for (i, seg) in ns.split('/').filter(|x| !x.is_empty()).enumerate() {
            if i > 0 {
                s.push('/');
            }
            encode(seg, &mut s);
        }
        s.push('/');
    }
    encode(name, &mut s);
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        s.push('@');
        encode(v, &mut s);
    }
    let mut q: Vec<(&str, &str)> = qualifiers
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    q.sort();
    for (i, (k, v)) in q.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(&k.to_ascii_lowercase());
        s.push('=');
        encode(v, &mut s);
    }
    s
}

/// The parts of a parsed purl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
    pub subpath: Option<String>,
}

impl Purl {
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = b.get(i + 1..i + 3)?;
            let h = std::str::from_utf8(h).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Parse a purl. `None` for anything that is not `pkg:TYPE/…NAME`.
pub fn parse(s: &str) -> Option<Purl> {
    if s.len() > 4096 {
        return None;
    }
    let rest = s.trim().strip_prefix("pkg:")?;
    let rest = rest.trim_start_matches('/');
    let (rest, subpath) = match rest.split_once('#') {
        Some((a, b)) => (a, Some(decode(b.trim_matches('/'))?)),
        None => (rest, None),
    };
    let (rest, qs) = match rest.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let mut qualifiers = Vec::new();
    if let Some(qs) = qs {
        for kv in qs.split('&').filter(|x| !x.is_empty()) {
            let (k, v) = kv.split_once('=')?;
            qualifiers.push((k.to_ascii_lowercase(), decode(v)?));
        }
        qualifiers.sort();
    }
    let (ty, path) = rest.split_once('/')?;
    if ty.is_empty() {
        return None;
    }
    let path = path.trim_end_matches('/');
    // The version separator is the last '@' (a scoped npm namespace is encoded as %40).
    // An empty version (`name@`) is no version: the builder omits it, so parsing must too.
    let (path, version) = match path.rsplit_once('@') {
        Some((p, v)) if !v.contains('/') => (p, Some(decode(v)?).filter(|v| !v.is_empty())),
        _ => (path, None),
    };
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, n)) => (Some(ns), n),
        None => (None, path),
    };
    let name = decode(name)?;
    if name.is_empty() {
        return None;
    }
    let namespace = match ns {
        Some(ns) => {
            let parts: Option<Vec<String>> = ns
                .split('/')
                .filter(|x| !x.is_empty())
                .map(decode)
                .collect();
            Some(parts?.join("/")).filter(|x| !x.is_empty())
        }
        None => None,
    };
    Some(Purl {
        ty: ty.to_ascii_lowercase(),
        namespace,
        name,
        version,
        qualifiers,
        subpath,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn pep503_names() {
        assert_eq!(
            super::pep503("Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(super::pep503("jw.util"), "jw-util");
        assert_eq!(super::pep503("a--b__c"), "a-b-c");
        assert_eq!(super::pep503("-a-"), "a");
    }

    use super::*;

    #[test]
    fn builds_canonical_purls() {
        assert_eq!(
            build(
                "deb",
                Some("debian"),
                "libc6",
                Some("2.36-9+deb12u4"),
                &[("distro", "debian-12"), ("arch", "amd64"), ("upstream", "")]
            ),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            build("npm", Some("@babel"), "core", Some("7.0.0"), &[]),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            build(
                "golang",
                Some("github.com/pkg"),
                "errors",
                Some("v0.9.1"),
                &[]
            ),
            "pkg:golang/github.com/pkg/errors@v0.9.1"
        );
    }

    #[test]
    fn parses_what_it_builds_and_real_sbom_purls() {
        let p = parse("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12").unwrap();
        assert_eq!(p.ty, "deb");
        assert_eq!(p.namespace.as_deref(), Some("debian"));
        assert_eq!(p.name, "libc6");
        assert_eq!(p.version.as_deref(), Some("2.36-9+deb12u4"));
        assert_eq!(p.qualifier("distro"), Some("debian-12"));
        let p = parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("@babel"));
        assert_eq!(p.name, "core");
        let p = parse("pkg:maven/org.apache/commons@1.0#sub/path").unwrap();
        assert_eq!(p.subpath.as_deref(), Some("sub/path"));
        assert!(parse("pkg:").is_none());
        assert!(parse("pkg:deb/").is_none());
        assert!(parse("notapurl").is_none());
        assert!(parse("pkg:a/b%zz").is_none());
        // Regression (fuzz crash inventory_purl): `name@` parsed as Some("") and did not
        // round-trip through build.
        let p = parse("pkg:.V /l@pk@").expect("parses");
        assert_eq!(p.version, None);
    }
}
