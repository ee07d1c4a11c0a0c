//! Installed RubyGems: `specifications/<name>-<version>.gemspec` (and `specifications/default/`
//! for the gems that come with Ruby). The generated specification says `s.name = "x"` and
//! `s.version = "1.2.3"`; the file name says the same unless a platform is appended
//! (`nokogiri-1.15.4-x86_64-linux.gemspec`), so the file's own lines win and the name is the
//! fallback.

/// Largest specification read.
pub const MAX_BYTES: u64 = 1 << 20;

/// `(name, version)` of a gemspec, from its `.name =`/`.version =` lines, else from its file
/// name.
pub fn parse_gemspec(file_name: &str, bytes: &[u8]) -> Result<(String, String), String> {
    let text = String::from_utf8_lossy(bytes);
    let mut name = None;
    let mut version = None;
    for line in text.lines().take(400) {
        let l = line.trim_start();
        if name.is_none() {
            name = assigned(l, ".name");
        }
        if version.is_none() {
            version = assigned(l, ".version");
        }
        if name.is_some() && version.is_some() {
            break;
        }
    }
    let from_file = file_name
        .strip_suffix(".gemspec")
        .and_then(split_name_version);
    let (name, version) = match (name, version, from_file) {
        (Some(n), Some(v), _) => (n, v),
        (_, _, Some((n, v))) => (n.to_string(), v.to_string()),
        _ => return Err("no s.name/s.version lines and no NAME-VERSION file name".into()),
    };
    if name.len() > 512 || version.len() > 512 {
        return Err("oversized name or version".into());
    }
    Ok((name, version))
}

/// The quoted string assigned by `<receiver><field> = "…"` (`s.version = "1.0".freeze`,
/// `spec.version = Gem::Version.new("1.0")`).
fn assigned(line: &str, field: &str) -> Option<String> {
    let i = line.find(field)?;
    // `s.name` only: the receiver is one identifier.
    if !line[..i]
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || i == 0
    {
        return None;
    }
    let rest = line[i + field.len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix("Gem::Version.new(").unwrap_or(rest);
    let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &rest[1..];
    let end = body.find(q)?;
    let v = &body[..end];
    (!v.is_empty()).then(|| v.to_string())
}

/// `rake-13.0.6` → (`rake`, `13.0.6`): the version starts after the last `-` followed by a
/// digit.
fn split_name_version(stem: &str) -> Option<(&str, &str)> {
    let i = stem
        .match_indices('-')
        .map(|(i, _)| i)
        .rfind(|&i| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))?;
    let (n, v) = (&stem[..i], &stem[i + 1..]);
    (!n.is_empty() && !v.is_empty()).then_some((n, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_then_file_name() {
        let b = b"# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = \"nokogiri\".freeze\n  s.version = \"1.15.4\"\n  s.platform = \"x86_64-linux\"\n";
        assert_eq!(
            parse_gemspec("nokogiri-1.15.4-x86_64-linux.gemspec", b).unwrap(),
            ("nokogiri".into(), "1.15.4".into())
        );
        assert_eq!(
            parse_gemspec("net-http-0.3.0.gemspec", b"").unwrap(),
            ("net-http".into(), "0.3.0".into())
        );
        let b = b"Gem::Specification.new do |spec|\n spec.name = 'x'\n spec.version = Gem::Version.new(\"2.0\")\n";
        assert_eq!(
            parse_gemspec("whatever.gemspec", b).unwrap(),
            ("x".into(), "2.0".into())
        );
        assert!(parse_gemspec("noversion.gemspec", b"").is_err());
        // A dependency line is not the gem's name.
        assert_eq!(
            parse_gemspec("a-1.gemspec", b"s.add_dependency(%q<b>.name = \"c\")\n").unwrap(),
            ("a".into(), "1".into())
        );
    }

    /// Real specifications from this host's Ruby, when present.
    #[test]
    fn this_hosts_default_gems() {
        let dir = std::path::Path::new("/usr/lib/ruby/gems");
        let Ok(versions) = std::fs::read_dir(dir) else {
            caulk_testkit::missing("/usr/lib/ruby/gems (apt ruby)");
            return;
        };
        let mut n = 0;
        for v in versions.flatten() {
            let spec = v.path().join("specifications/default");
            for e in std::fs::read_dir(&spec).into_iter().flatten().flatten() {
                let f = e.file_name().into_string().unwrap();
                let b = std::fs::read(e.path()).unwrap();
                let (name, version) = parse_gemspec(&f, &b).unwrap();
                assert_eq!(f, format!("{name}-{version}.gemspec"));
                n += 1;
            }
        }
        assert!(n > 0, "no default gems under {dir:?}");
    }
}
