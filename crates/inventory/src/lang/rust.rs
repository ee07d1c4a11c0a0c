//! Rust binaries built with `cargo auditable`: the `.dep-v0` ELF section holds the
//! dependency tree as zlib-compressed JSON (`{"packages": [{"name", "version", "source",
//! "kind", "dependencies", "root"}]}`). Only crates from crates.io are matchable there (git,
//! local and other registries are not), and build-time dependencies (`"kind": "build"`) are
//! not in the binary: both are left out. A Rust binary without the section says nothing
//! about its crates.

use std::io::Read;

/// The section's name.
pub const SECTION: &str = ".dep-v0";
/// Largest compressed section read, and largest decompressed JSON accepted (cargo-auditable
/// itself refuses more than 8 MiB).
pub const MAX_COMPRESSED: u64 = 8 << 20;
const MAX_JSON: u64 = 32 << 20;

/// `(name, version)` of every crates.io runtime dependency (the root crate included when it
/// comes from crates.io, as with `cargo install`).
pub fn parse_dep_v0(compressed: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("zlib: {e}"))?;
    if json.len() as u64 > MAX_JSON {
        return Err(format!("decompressed past the limit of {MAX_JSON} bytes"));
    }
    #[derive(serde::Deserialize)]
    struct Doc {
        packages: Vec<Pkg>,
    }
    #[derive(serde::Deserialize)]
    struct Pkg {
        name: String,
        version: String,
        #[serde(default)]
        source: serde_json::Value,
        #[serde(default)]
        kind: Option<String>,
    }
    let doc: Doc = serde_json::from_slice(&json).map_err(|e| format!("JSON: {e}"))?;
    Ok(doc
        .packages
        .into_iter()
        .filter(|p| p.source.as_str() == Some("crates.io"))
        .filter(|p| p.kind.as_deref() != Some("build"))
        .filter(|p| !p.name.is_empty() && !p.version.is_empty())
        .map(|p| (p.name, p.version))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn compress(json: &str) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(json.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn crates_io_runtime_only() {
        let json = r#"{"packages":[
            {"name":"mytool","version":"0.1.0","source":"local","dependencies":[1,2,3],"root":true},
            {"name":"serde","version":"1.0.190","source":"crates.io"},
            {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
            {"name":"private","version":"2.0.0","source":"registry"},
            {"name":"gitdep","version":"0.1.0","source":"git"}]}"#;
        assert_eq!(
            parse_dep_v0(&compress(json)).unwrap(),
            [("serde".to_string(), "1.0.190".to_string())]
        );
        assert!(parse_dep_v0(b"not zlib").is_err());
        assert!(parse_dep_v0(&compress("{}")).is_err());
    }
}
