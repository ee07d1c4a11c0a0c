//! Lockfiles found under a directory: what a source tree or deployed application declares.
//!
//! The walk is bounded ([`Limits::max_depth`], [`Limits::max_walk_entries`]), does not follow
//! symlinks and skips `node_modules`, `.git` and `target`. Recognised files: `Cargo.lock`,
//! `package-lock.json` (v1–v3), `yarn.lock` (v1 and berry), `pnpm-lock.yaml`,
//! `requirements*.txt` (pinned `==` lines only), `poetry.lock`, `Pipfile.lock`, `uv.lock`,
//! `go.mod`, `Gemfile.lock`, `composer.lock`, `gradle.lockfile`, NuGet `packages.lock.json`.
//! Each package gets its OSV ecosystem, a purl and the file it came from; state
//! [`InstallState::Declared`].

use crate::{HostAccess, Limits, Parsed, purl};
use caulk_model::inventory::{Collector, InstallState, Issue, IssueKind, Package};
use caulk_model::purl::pep503;
use serde_json::Value;

const SKIP_DIRS: &[&str] = &["node_modules", ".git", "target"];

/// The lockfile kinds, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    CargoLock,
    NpmLock,
    YarnLock,
    PnpmLock,
    Requirements,
    PoetryLock,
    PipfileLock,
    UvLock,
    GoMod,
    GemfileLock,
    ComposerLock,
    GradleLockfile,
    NugetLock,
}

pub fn kind_of(file_name: &str) -> Option<Kind> {
    Some(match file_name {
        "Cargo.lock" => Kind::CargoLock,
        "package-lock.json" | "npm-shrinkwrap.json" => Kind::NpmLock,
        "yarn.lock" => Kind::YarnLock,
        "pnpm-lock.yaml" => Kind::PnpmLock,
        "poetry.lock" => Kind::PoetryLock,
        "Pipfile.lock" => Kind::PipfileLock,
        "uv.lock" => Kind::UvLock,
        "go.mod" => Kind::GoMod,
        "Gemfile.lock" | "gems.locked" => Kind::GemfileLock,
        "composer.lock" => Kind::ComposerLock,
        "gradle.lockfile" => Kind::GradleLockfile,
        "packages.lock.json" => Kind::NugetLock,
        n if n.starts_with("requirements") && n.ends_with(".txt") => Kind::Requirements,
        _ => return None,
    })
}

/// Walk `dir` and parse every lockfile found.
pub fn scan(host: &dyn HostAccess, dir: &str, limits: &Limits) -> Parsed {
    let mut out = Parsed::default();
    let mut stack = vec![(dir.trim_end_matches('/').to_string(), 0usize)];
    let mut seen = 0usize;
    let mut files = Vec::new();
    while let Some((d, depth)) = stack.pop() {
        let entries = match host.read_dir(if d.is_empty() { "/" } else { &d }) {
            Ok(Some(e)) => e,
            Ok(None) => {
                out.issues
                    .push(Issue::new(&d, IssueKind::Unreadable, "no such directory"));
                continue;
            }
            Err(e) => {
                out.issues.push(e.to_issue(&d));
                continue;
            }
        };
        for (name, kind) in entries.into_iter().rev() {
            seen += 1;
            if seen > limits.max_walk_entries {
                out.issues.push(Issue::new(
                    dir,
                    IssueKind::Limit,
                    format!(
                        "more than {} directory entries; walk stopped",
                        limits.max_walk_entries
                    ),
                ));
                stack.clear();
                break;
            }
            let path = format!("{d}/{name}");
            match kind {
                crate::EntryKind::Dir
                    if !SKIP_DIRS.contains(&name.as_str()) && depth < limits.max_depth =>
                {
                    stack.push((path, depth + 1));
                }
                crate::EntryKind::File => {
                    if let Some(k) = kind_of(&name) {
                        files.push((path, k));
                    }
                }
                _ => {}
            }
        }
    }
    files.sort();
    for (path, k) in files {
        match host.read(&path, limits.max_text_bytes) {
            Ok(Some(b)) => {
                let p = parse(k, &b, &path, limits);
                out.packages.extend(p.packages);
                out.issues.extend(p.issues);
            }
            Ok(None) => {}
            Err(e) => out.issues.push(e.to_issue(&path)),
        }
    }
    out
}

/// Parse one lockfile of a known kind.
pub fn parse(kind: Kind, bytes: &[u8], file: &str, limits: &Limits) -> Parsed {
    let mut ctx = Ctx {
        file,
        limits,
        out: Parsed::default(),
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            ctx.issue(None, format!("not UTF-8 at byte {}", e.valid_up_to()));
            return ctx.out;
        }
    };
    match kind {
        Kind::CargoLock => toml_packages(&mut ctx, text, "crates.io", "cargo", |p| {
            // Workspace members and path crates have no source; git crates are not on
            // crates.io: only registry packages are matchable there.
            p.get("source")
                .and_then(toml::Value::as_str)
                .is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"))
        }),
        Kind::PoetryLock => toml_packages(&mut ctx, text, "PyPI", "pypi", |_| true),
        Kind::UvLock => toml_packages(&mut ctx, text, "PyPI", "pypi", |p| {
            !p.get("source")
                .and_then(toml::Value::as_table)
                .is_some_and(|s| {
                    s.contains_key("editable")
                        || s.contains_key("virtual")
                        || s.contains_key("directory")
                })
        }),
        Kind::NpmLock => npm_lock(&mut ctx, text),
        Kind::YarnLock => yarn_lock(&mut ctx, text),
        Kind::PnpmLock => pnpm_lock(&mut ctx, text),
        Kind::Requirements => requirements(&mut ctx, text),
        Kind::PipfileLock => pipfile_lock(&mut ctx, text),
        Kind::GoMod => go_mod(&mut ctx, text),
        Kind::GemfileLock => gemfile_lock(&mut ctx, text),
        Kind::ComposerLock => composer_lock(&mut ctx, text),
        Kind::GradleLockfile => gradle_lockfile(&mut ctx, text),
        Kind::NugetLock => nuget_lock(&mut ctx, text),
    }
    ctx.out
}

struct Ctx<'a> {
    file: &'a str,
    limits: &'a Limits,
    out: Parsed,
}

impl Ctx<'_> {
    fn issue(&mut self, line: Option<u64>, reason: impl Into<String>) {
        let mut i = Issue::new(self.file, IssueKind::BadInput, reason);
        i.line = line;
        self.out.issues.push(i);
    }

    /// Add a package; false once the record limit is reached (the caller stops).
    fn add(&mut self, ecosystem: &str, purl_type: &str, name: &str, version: &str) -> bool {
        if self.out.packages.len() >= self.limits.max_records {
            if !self.out.issues.iter().any(|i| i.kind == IssueKind::Limit) {
                self.out.issues.push(Issue::new(
                    self.file,
                    IssueKind::Limit,
                    format!(
                        "more than {} packages; rest ignored",
                        self.limits.max_records
                    ),
                ));
            }
            return false;
        }
        if name.is_empty() || version.is_empty() {
            return true;
        }
        let (ns, short) = match purl_type {
            "maven" => match name.split_once(':') {
                Some((g, a)) => (Some(g), a),
                None => (None, name),
            },
            "npm" | "composer" | "golang" => match name.rsplit_once('/') {
                Some((n, s)) => (Some(n), s),
                None => (None, name),
            },
            _ => (None, name),
        };
        let purl = purl::build(purl_type, ns, short, Some(version), &[]);
        self.out.packages.push(Package {
            ecosystem: ecosystem.to_string(),
            name: name.to_string(),
            version: version.to_string(),
            arch: None,
            source_name: None,
            source_version: None,
            purl: Some(purl),
            vendor: None,
            file: self.file.to_string(),
            owned_by: None,
            state: InstallState::Declared,
            collector: Collector::Lockfile,
        });
        true
    }

    fn json(&mut self, text: &str) -> Option<Value> {
        match serde_json::from_str(text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.issue(Some(e.line() as u64), format!("JSON: {e}"));
                None
            }
        }
    }
}

fn toml_packages(
    ctx: &mut Ctx<'_>,
    text: &str,
    ecosystem: &str,
    purl_type: &str,
    keep: impl Fn(&toml::Table) -> bool,
) {
    let doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            ctx.issue(None, format!("TOML: {}", e.message()));
            return;
        }
    };
    let Some(pkgs) = doc.get("package").and_then(toml::Value::as_array) else {
        return;
    };
    for (i, p) in pkgs.iter().enumerate() {
        let Some(t) = p.as_table() else { continue };
        let name = t.get("name").and_then(toml::Value::as_str);
        let version = t.get("version").and_then(toml::Value::as_str);
        let (Some(name), Some(version)) = (name, version) else {
            ctx.out.issues.push(
                Issue::new(
                    ctx.file,
                    IssueKind::BadInput,
                    "package without name or version",
                )
                .record(format!("package[{i}]")),
            );
            continue;
        };
        if !keep(t) {
            continue;
        }
        let name = if ecosystem == "PyPI" {
            pep503(name)
        } else {
            name.to_string()
        };
        if !ctx.add(ecosystem, purl_type, &name, version) {
            return;
        }
    }
}

fn npm_lock(ctx: &mut Ctx<'_>, text: &str) {
    let Some(doc) = ctx.json(text) else { return };
    if let Some(pkgs) = doc.get("packages").and_then(Value::as_object) {
        // v2/v3: keys are install paths; the root project is "".
        for (key, p) in pkgs {
            if key.is_empty() || p.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let Some(idx) = key.rfind("node_modules/") else {
                continue; // a workspace member folder, not an installed package
            };
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&key[idx + "node_modules/".len()..]);
            let Some(v) = p.get("version").and_then(Value::as_str) else {
                continue;
            };
            if !ctx.add("npm", "npm", name, v) {
                return;
            }
        }
        return;
    }
    // v1: nested "dependencies", bounded depth.
    let mut stack: Vec<(&serde_json::Map<String, Value>, usize)> = vec![];
    if let Some(d) = doc.get("dependencies").and_then(Value::as_object) {
        stack.push((d, 1));
    }
    while let Some((deps, depth)) = stack.pop() {
        for (name, d) in deps {
            if let Some(v) = d.get("version").and_then(Value::as_str) {
                // `file:`/`link:` versions are local folders.
                if !v.contains(':') && !ctx.add("npm", "npm", name, v) {
                    return;
                }
            }
            if let Some(sub) = d.get("dependencies").and_then(Value::as_object)
                && depth < ctx.limits.max_nesting
            {
                stack.push((sub, depth + 1));
            }
        }
    }
}

/// `"@s/x@npm:^1.0.0", "@s/x@^1.1"` → `@s/x`.
fn yarn_name(spec: &str) -> Option<&str> {
    let first = spec.split(',').next()?.trim().trim_matches('"');
    // The first character may be the `@` of a scope: search after it (char-safe).
    let skip = first.chars().next()?.len_utf8();
    let at = first[skip..].find('@')? + skip;
    Some(&first[..at])
}

fn yarn_lock(ctx: &mut Ctx<'_>, text: &str) {
    let mut name: Option<(String, u64)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.len() > ctx.limits.max_line_bytes {
            ctx.issue(Some(n), "line too long");
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            name = None;
            let header = line.trim_end().trim_end_matches(':');
            if header == "__metadata" {
                continue;
            }
            match yarn_name(header) {
                Some(nm) => name = Some((nm.to_string(), n)),
                None => ctx.issue(Some(n), format!("bad entry header {header:?}")),
            }
            continue;
        }
        let t = line.trim();
        let v = t
            .strip_prefix("version ")
            .or_else(|| t.strip_prefix("version: "))
            .map(|v| v.trim().trim_matches('"'));
        if let (Some(v), Some((nm, _))) = (v, &name) {
            // Berry marks workspace packages with 0.0.0-use.local.
            if v != "0.0.0-use.local" && !ctx.add("npm", "npm", &nm.clone(), v) {
                return;
            }
            name = None;
        }
    }
}

/// pnpm package keys: v5 `/@s/x/1.2.3_peer`, v6 `/@s/x@1.2.3(peer)`, v9 `@s/x@1.2.3`.
fn pnpm_key(key: &str) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = k.split('(').next()?;
    let skip = k.chars().next().map_or(0, char::len_utf8);
    if let Some(at) = k[skip..].rfind('@').map(|i| i + skip) {
        let (n, v) = (&k[..at], &k[at + 1..]);
        if !n.is_empty() && !v.is_empty() && !v.contains('/') {
            return Some((n.to_string(), v.to_string()));
        }
    }
    let (n, v) = k.rsplit_once('/')?;
    let v = v.split('_').next()?;
    (!n.is_empty() && !v.is_empty()).then(|| (n.to_string(), v.to_string()))
}

fn pnpm_lock(ctx: &mut Ctx<'_>, text: &str) {
    let doc: Value = match serde_saphyr::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            ctx.issue(None, format!("YAML: {e}"));
            return;
        }
    };
    let Some(pkgs) = doc.get("packages").and_then(Value::as_object) else {
        return;
    };
    for (key, p) in pkgs {
        let Some((name, version)) = pnpm_key(key) else {
            ctx.out.issues.push(
                Issue::new(ctx.file, IssueKind::BadInput, "unrecognised package key")
                    .record(key.clone()),
            );
            continue;
        };
        // Local tarballs and directories have no registry version.
        if p.get("resolution")
            .and_then(|r| r.get("directory"))
            .is_some()
        {
            continue;
        }
        if !ctx.add("npm", "npm", &name, &version) {
            return;
        }
    }
}

fn requirements(ctx: &mut Ctx<'_>, text: &str) {
    for (i, raw) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        let line = line.split(';').next().unwrap_or("").trim();
        let line = line.split(" \\").next().unwrap_or("").trim();
        let Some((name, version)) = line.split_once("==") else {
            continue; // not pinned: nothing to match
        };
        let name = name.split('[').next().unwrap_or("").trim();
        let version = version
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_start_matches('=');
        if name.is_empty() || version.is_empty() || version.contains('*') {
            ctx.issue(Some(n), format!("unusable pin {line:?}"));
            continue;
        }
        if !ctx.add("PyPI", "pypi", &pep503(name), version) {
            return;
        }
    }
}

fn pipfile_lock(ctx: &mut Ctx<'_>, text: &str) {
    let Some(doc) = ctx.json(text) else { return };
    for section in ["default", "develop"] {
        let Some(deps) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, d) in deps {
            let Some(v) = d.get("version").and_then(Value::as_str) else {
                continue;
            };
            let v = v.trim_start_matches("==");
            if !ctx.add("PyPI", "pypi", &pep503(name), v) {
                return;
            }
        }
    }
}

fn go_mod(ctx: &mut Ctx<'_>, text: &str) {
    let mut in_block = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let line = raw.split("//").next().unwrap_or("").trim();
        if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
        } else if line == "require (" || line == "require(" {
            in_block = true;
            continue;
        }
        let spec = if in_block {
            line
        } else if let Some(r) = line.strip_prefix("require ") {
            r.trim()
        } else {
            continue;
        };
        if spec.is_empty() {
            continue;
        }
        let f: Vec<&str> = spec.split_whitespace().collect();
        let [module, version] = f[..] else {
            ctx.issue(Some(n), format!("bad require {spec:?}"));
            continue;
        };
        let module = module.trim_matches('"');
        if !ctx.add("Go", "golang", module, version) {
            return;
        }
    }
}

fn gemfile_lock(ctx: &mut Ctx<'_>, text: &str) {
    let mut in_specs = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_specs = false;
            continue;
        }
        if line.trim() == "specs:" {
            in_specs = true;
            continue;
        }
        // Gems are indented four spaces under `specs:`; their dependencies six.
        if !in_specs || !line.starts_with("    ") || line.starts_with("     ") {
            continue;
        }
        let Some((name, rest)) = line.trim().split_once(" (") else {
            continue;
        };
        let version = rest.trim_end_matches(')');
        // Platform gems: `nokogiri (1.13.10-x86_64-linux)`.
        let version = version.split_once('-').map_or(version, |(v, _)| v);
        if !ctx.add("RubyGems", "gem", name, version) {
            return;
        }
    }
}

fn composer_lock(ctx: &mut Ctx<'_>, text: &str) {
    let Some(doc) = ctx.json(text) else { return };
    for section in ["packages", "packages-dev"] {
        let Some(pkgs) = doc.get(section).and_then(Value::as_array) else {
            continue;
        };
        for p in pkgs {
            let (Some(n), Some(v)) = (
                p.get("name").and_then(Value::as_str),
                p.get("version").and_then(Value::as_str),
            ) else {
                continue;
            };
            if !ctx.add("Packagist", "composer", n, v) {
                return;
            }
        }
    }
}

fn gradle_lockfile(ctx: &mut Ctx<'_>, text: &str) {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let coord = line.split('=').next().unwrap_or("");
        let f: Vec<&str> = coord.split(':').collect();
        let [g, a, v] = f[..] else {
            ctx.issue(Some(i as u64 + 1), format!("bad coordinate {coord:?}"));
            continue;
        };
        if !ctx.add("Maven", "maven", &format!("{g}:{a}"), v) {
            return;
        }
    }
}

fn nuget_lock(ctx: &mut Ctx<'_>, text: &str) {
    let Some(doc) = ctx.json(text) else { return };
    let Some(fws) = doc.get("dependencies").and_then(Value::as_object) else {
        return;
    };
    for deps in fws.values() {
        let Some(deps) = deps.as_object() else {
            continue;
        };
        for (name, d) in deps {
            if d.get("type").and_then(Value::as_str) == Some("Project") {
                continue;
            }
            let Some(v) = d.get("resolved").and_then(Value::as_str) else {
                continue;
            };
            if !ctx.add("NuGet", "nuget", name, v) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: Kind, text: &str) -> Vec<String> {
        let p = parse(k, text.as_bytes(), "f", &Limits::default());
        assert!(p.issues.is_empty(), "{:?}", p.issues);
        let mut v: Vec<String> = p
            .packages
            .iter()
            .map(|p| format!("{} {} {}", p.ecosystem, p.name, p.version))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn cargo_lock_registry_only() {
        let t = "version = 4\n[[package]]\nname = \"me\"\nversion = \"0.1.0\"\n\n\
                 [[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
                 [[package]]\nname = \"g\"\nversion = \"0.1.0\"\nsource = \"git+https://x/g#abc\"\n";
        assert_eq!(names(Kind::CargoLock, t), ["crates.io serde 1.0.200"]);
    }

    #[test]
    fn npm_locks_v1_and_v3() {
        let v3 = r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},
            "node_modules/@babel/core":{"version":"7.0.0"},
            "node_modules/a/node_modules/b":{"version":"2.0.0"},
            "node_modules/linked":{"link":true},
            "packages/ws":{"version":"1.0.0"}}}"#;
        assert_eq!(
            names(Kind::NpmLock, v3),
            ["npm @babel/core 7.0.0", "npm b 2.0.0"]
        );
        let v1 = r#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0",
            "dependencies":{"b":{"version":"2.0.0"}}},"loc":{"version":"file:../loc"}}}"#;
        assert_eq!(names(Kind::NpmLock, v1), ["npm a 1.0.0", "npm b 2.0.0"]);
        let p = parse(Kind::NpmLock, b"{\"packages\": [", "f", &Limits::default());
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].line, Some(1));
    }

    #[test]
    fn yarn_v1_and_berry() {
        let v1 = "# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://x\"\n\nlodash@^4.17.0:\n  version \"4.17.21\"\n";
        assert_eq!(
            names(Kind::YarnLock, v1),
            ["npm @babel/code-frame 7.12.13", "npm lodash 4.17.21"]
        );
        let berry = "__metadata:\n  version: 6\n\n\"lodash@npm:^4.17.0\":\n  version: 4.17.21\n  resolution: \"lodash@npm:4.17.21\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n";
        assert_eq!(names(Kind::YarnLock, berry), ["npm lodash 4.17.21"]);
    }

    #[test]
    fn multibyte_first_characters_do_not_panic() {
        // Found by tests/mutations.rs: slicing at byte 1 of a multi-byte character.
        assert_eq!(yarn_name("\u{e9}x@1"), Some("\u{e9}x"));
        assert_eq!(
            pnpm_key("\u{e9}@1.0.0"),
            Some(("\u{e9}".into(), "1.0.0".into()))
        );
    }

    #[test]
    fn pnpm_keys_of_every_version() {
        assert_eq!(
            pnpm_key("/@babel/core/7.0.0_peer"),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            pnpm_key("/@babel/core@7.0.0(x@1)"),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            pnpm_key("lodash@4.17.21"),
            Some(("lodash".into(), "4.17.21".into()))
        );
        let t = "lockfileVersion: '9.0'\npackages:\n  lodash@4.17.21:\n    resolution: {integrity: sha512-x}\n  '@s/x@1.0.0':\n    resolution: {integrity: sha512-y}\n";
        assert_eq!(
            names(Kind::PnpmLock, t),
            ["npm @s/x 1.0.0", "npm lodash 4.17.21"]
        );
    }

    #[test]
    fn python_locks() {
        let req = "# c\nDjango==4.2.1\nrequests[socks]==2.31.0 ; python_version > '3'\nflask>=2\n-r other.txt\nZope.Interface==6.0 \\\n    --hash=sha256:abc\n";
        assert_eq!(
            names(Kind::Requirements, req),
            [
                "PyPI django 4.2.1",
                "PyPI requests 2.31.0",
                "PyPI zope-interface 6.0"
            ]
        );
        let poetry = "[[package]]\nname = \"Jinja2\"\nversion = \"3.1.2\"\n";
        assert_eq!(names(Kind::PoetryLock, poetry), ["PyPI jinja2 3.1.2"]);
        let uv = "version = 1\n[[package]]\nname = \"me\"\nversion = \"0.1\"\nsource = { editable = \".\" }\n[[package]]\nname = \"idna\"\nversion = \"3.7\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        assert_eq!(names(Kind::UvLock, uv), ["PyPI idna 3.7"]);
        let pip = r#"{"default":{"urllib3":{"version":"==2.0.4"}},"develop":{"pytest":{"version":"==7.4.0"}}}"#;
        assert_eq!(
            names(Kind::PipfileLock, pip),
            ["PyPI pytest 7.4.0", "PyPI urllib3 2.0.4"]
        );
    }

    #[test]
    fn go_ruby_php_java_dotnet() {
        let gomod = "module x\n\ngo 1.21\n\nrequire github.com/pkg/errors v0.9.1\nrequire (\n\tgolang.org/x/net v0.17.0 // indirect\n)\n";
        let got = parse(Kind::GoMod, gomod.as_bytes(), "go.mod", &Limits::default());
        assert_eq!(got.packages.len(), 2);
        assert_eq!(
            got.packages[0].purl.as_deref(),
            Some("pkg:golang/github.com/pkg/errors@v0.9.1")
        );
        let gem = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.8)\n    nokogiri (1.15.4-x86_64-linux)\n      racc (~> 1.4)\n\nPLATFORMS\n  ruby\n";
        assert_eq!(
            names(Kind::GemfileLock, gem),
            ["RubyGems nokogiri 1.15.4", "RubyGems rack 2.2.8"]
        );
        let comp = r#"{"packages":[{"name":"monolog/monolog","version":"3.4.0"}],"packages-dev":[{"name":"phpunit/phpunit","version":"10.3.2"}]}"#;
        assert_eq!(
            names(Kind::ComposerLock, comp),
            [
                "Packagist monolog/monolog 3.4.0",
                "Packagist phpunit/phpunit 10.3.2"
            ]
        );
        let gradle = "# comment\ncom.google.guava:guava:32.1.2-jre=compileClasspath\nempty=\n";
        assert_eq!(
            names(Kind::GradleLockfile, gradle),
            ["Maven com.google.guava:guava 32.1.2-jre"]
        );
        let nuget = r#"{"version":1,"dependencies":{"net6.0":{"Newtonsoft.Json":{"type":"Direct","resolved":"13.0.3"},"Me":{"type":"Project"}}}}"#;
        assert_eq!(
            names(Kind::NugetLock, nuget),
            ["NuGet Newtonsoft.Json 13.0.3"]
        );
    }

    #[test]
    fn walk_skips_and_bounds() {
        let h = crate::MemHost::new()
            .with(
                "/src/app/Cargo.lock",
                "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n",
            )
            .with("/src/app/node_modules/x/package-lock.json", "{}")
            .with("/src/app/target/Cargo.lock", "garbage")
            .with("/src/a/b/c/d/requirements-dev.txt", "six==1.16.0\n");
        let p = scan(&h, "/src", &Limits::default());
        assert_eq!(p.packages.len(), 2, "{:?}", p.issues);
        assert_eq!(p.packages[0].file, "/src/a/b/c/d/requirements-dev.txt");
        let shallow = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        assert_eq!(scan(&h, "/src", &shallow).packages.len(), 1);
    }
}
