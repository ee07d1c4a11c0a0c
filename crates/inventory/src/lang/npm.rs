//! Installed npm packages: `node_modules/<name>/package.json` and
//! `node_modules/@scope/<name>/package.json` (`name` and `version`). A `package.json` that is
//! not directly under `node_modules` is a project or a file of a package, not an installed
//! package, and is not read.

/// Largest `package.json` read (real ones are a few KiB; bundled ones rarely 100 KiB).
pub const MAX_BYTES: u64 = 4 << 20;

/// `(name, version)` of a `package.json`.
pub fn parse_package_json(bytes: &[u8]) -> Result<(String, String), String> {
    #[derive(serde::Deserialize)]
    struct Pj {
        name: Option<serde_json::Value>,
        version: Option<serde_json::Value>,
    }
    // serde_json refuses nesting past 128 levels: bounded depth for untrusted input.
    let pj: Pj = serde_json::from_slice(bytes).map_err(|e| format!("JSON: {e}"))?;
    let s = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() && s.len() <= 512 => {
            Some(s.trim().to_string())
        }
        _ => None,
    };
    match (s(pj.name), s(pj.version)) {
        (Some(n), Some(v)) => Ok((n, v)),
        (None, _) => Err("no \"name\" string".into()),
        (_, None) => Err("no \"version\" string".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_version() {
        let b = br#"{"name": "@types/node", "version": "20.1.0", "dependencies": {"a": "1"}}"#;
        assert_eq!(
            parse_package_json(b).unwrap(),
            ("@types/node".into(), "20.1.0".into())
        );
        assert!(parse_package_json(br#"{"name": "x"}"#).is_err());
        assert!(parse_package_json(br#"{"name": 3, "version": "1"}"#).is_err());
        assert!(parse_package_json(b"not json").is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_package_json(deep.as_bytes()).is_err());
    }
}
