//! Java archives (JAR, WAR, EAR): the Maven coordinates in
//! `META-INF/maven/<groupId>/<artifactId>/pom.properties` (`groupId`, `artifactId`,
//! `version`), one package per file (a shaded jar names every artifact it bundles), and the
//! same in archives nested one level deep (`WEB-INF/lib/*.jar`, Spring Boot's
//! `BOOT-INF/lib/*.jar`).
//!
//! The zip is read through [`RandomRead`]: the end record, the central directory and the few
//! entries needed, never the whole archive. `MANIFEST.MF`'s `Implementation-Title`/`-Version`
//! are not used: the title is a display name, not an artifactId, and there is no groupId, so
//! a guess would match the wrong advisories; an archive without `pom.properties` is an
//! `unsupported` issue instead (unknown is not none).

use crate::RandomRead;
use std::io::Read;

/// Bounds on one archive.
const MAX_ENTRIES: usize = 200_000;
const MAX_CENTRAL_DIR: u64 = 64 << 20;
/// Largest `pom.properties` inflated.
const MAX_PROPERTIES: u64 = 64 << 10;
/// Largest nested archive inflated into memory.
pub const MAX_NESTED: u64 = 64 << 20;
/// Most nested archives read from one archive.
const MAX_NESTED_COUNT: usize = 2_000;

/// One entry of the central directory.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    method: u16,
    compressed: u64,
    size: u64,
    local_offset: u64,
}

/// A Maven artifact found in an archive: `group:artifact`, version and the entry path
/// (`META-INF/maven/…/pom.properties`, behind `inner.jar!/` for a nested archive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub group: String,
    pub artifact: String,
    pub version: String,
    /// The nested archive it came from, when not the archive itself.
    pub nested: Option<String>,
}

/// What one archive gave: artifacts and problems (each a reason, with the nested archive
/// it concerns when not the outer one).
#[derive(Debug, Default)]
pub struct Scanned {
    pub artifacts: Vec<Artifact>,
    pub problems: Vec<(Option<String>, String)>,
    /// Archives (outer or nested) without any `pom.properties`.
    pub without_coordinates: Vec<Option<String>>,
    /// Bytes read.
    pub bytes_read: u64,
}

fn u16le(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32le(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

/// Read an archive: its artifacts, and those of the archives nested in it (one level).
pub fn scan(f: &dyn RandomRead) -> Scanned {
    let mut out = Scanned::default();
    scan_one(f, None, &mut out);
    out
}

fn scan_one(f: &dyn RandomRead, nested: Option<&str>, out: &mut Scanned) {
    let entries = match central_directory(f, &mut out.bytes_read) {
        Ok(e) => e,
        Err(e) => {
            out.problems.push((nested.map(str::to_string), e));
            return;
        }
    };
    let mut found = false;
    let mut inner = 0usize;
    for e in &entries {
        if is_pom_properties(&e.name) {
            found = true;
            match read_entry(f, e, MAX_PROPERTIES, &mut out.bytes_read)
                .and_then(|b| parse_pom_properties(&b))
            {
                Ok((group, artifact, version)) => out.artifacts.push(Artifact {
                    group,
                    artifact,
                    version,
                    nested: nested.map(str::to_string),
                }),
                Err(err) => out
                    .problems
                    .push((nested.map(str::to_string), format!("{}: {err}", e.name))),
            }
        } else if nested.is_none() && is_archive(&e.name) {
            inner += 1;
            if inner > MAX_NESTED_COUNT {
                out.problems.push((
                    None,
                    format!("more than {MAX_NESTED_COUNT} nested archives; rest ignored"),
                ));
                break;
            }
            match read_entry(f, e, MAX_NESTED, &mut out.bytes_read) {
                Ok(b) => scan_one(&&b[..], Some(&e.name), out),
                Err(err) => out.problems.push((Some(e.name.clone()), err)),
            }
        }
    }
    if !found {
        out.without_coordinates.push(nested.map(str::to_string));
    }
}

/// `META-INF/maven/<g>/<a>/pom.properties`.
fn is_pom_properties(name: &str) -> bool {
    name.strip_prefix("META-INF/maven/")
        .and_then(|r| r.strip_suffix("/pom.properties"))
        .is_some_and(|ga| ga.split('/').count() == 2)
}

/// An archive the collector reads: by file name.
pub fn is_archive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".jar") || n.ends_with(".war") || n.ends_with(".ear")
}

/// The central directory's entries, found through the end-of-central-directory record.
fn central_directory(f: &dyn RandomRead, read: &mut u64) -> Result<Vec<Entry>, String> {
    let size = f.size();
    // The end record is 22 bytes plus a comment of at most 65,535.
    let tail_len = size.min(22 + 65_535);
    let tail = f
        .read_at(size - tail_len, tail_len as usize)
        .map_err(|e| e.to_string())?;
    *read += tail.len() as u64;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))
        .ok_or("not a zip archive (no end of central directory)")?;
    let e = &tail[eocd..];
    let count = u16le(e, 10).ok_or("truncated end record")?;
    let cd_size = u32le(e, 12).ok_or("truncated end record")?;
    let cd_off = u32le(e, 16).ok_or("truncated end record")?;
    if count == 0xffff || cd_size == 0xffff_ffff || cd_off == 0xffff_ffff {
        return Err("zip64 archive: not read".into());
    }
    if u64::from(cd_size) > MAX_CENTRAL_DIR {
        return Err(format!(
            "central directory larger than {MAX_CENTRAL_DIR} bytes"
        ));
    }
    let cd = f
        .read_at(u64::from(cd_off), cd_size as usize)
        .map_err(|e| e.to_string())?;
    *read += cd.len() as u64;
    if cd.len() < cd_size as usize {
        return Err("central directory past the end of the file".into());
    }
    let mut out = Vec::new();
    let mut o = 0usize;
    while o + 46 <= cd.len() && cd[o..].starts_with(b"PK\x01\x02") {
        if out.len() >= MAX_ENTRIES {
            return Err(format!("more than {MAX_ENTRIES} entries"));
        }
        let bad = || "truncated central directory entry".to_string();
        let method = u16le(&cd, o + 10).ok_or_else(bad)?;
        let compressed = u32le(&cd, o + 20).ok_or_else(bad)?;
        let usize_ = u32le(&cd, o + 24).ok_or_else(bad)?;
        let n = usize::from(u16le(&cd, o + 28).ok_or_else(bad)?);
        let x = usize::from(u16le(&cd, o + 30).ok_or_else(bad)?);
        let c = usize::from(u16le(&cd, o + 32).ok_or_else(bad)?);
        let local = u32le(&cd, o + 42).ok_or_else(bad)?;
        let name = cd.get(o + 46..o + 46 + n).ok_or_else(bad)?;
        out.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            compressed: u64::from(compressed),
            size: u64::from(usize_),
            local_offset: u64::from(local),
        });
        o += 46 + n + x + c;
    }
    Ok(out)
}

/// The bytes of one entry, inflated, at most `max`.
fn read_entry(f: &dyn RandomRead, e: &Entry, max: u64, read: &mut u64) -> Result<Vec<u8>, String> {
    if e.size > max || e.compressed > max.saturating_mul(2).max(1 << 20) {
        return Err(format!("entry larger than the limit of {max} bytes"));
    }
    let h = f.read_at(e.local_offset, 30).map_err(|x| x.to_string())?;
    if h.len() < 30 || !h.starts_with(b"PK\x03\x04") {
        return Err("bad local header".into());
    }
    let n = u64::from(u16le(&h, 26).unwrap_or(0));
    let x = u64::from(u16le(&h, 28).unwrap_or(0));
    let data = f
        .read_at(e.local_offset + 30 + n + x, e.compressed as usize)
        .map_err(|x| x.to_string())?;
    *read += 30 + data.len() as u64;
    if (data.len() as u64) < e.compressed {
        return Err("entry past the end of the file".into());
    }
    match e.method {
        0 => Ok(data),
        8 => {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(&data[..])
                .take(max + 1)
                .read_to_end(&mut out)
                .map_err(|x| format!("deflate: {x}"))?;
            if out.len() as u64 > max {
                return Err(format!("entry larger than the limit of {max} bytes"));
            }
            Ok(out)
        }
        m => Err(format!("compression method {m} not read")),
    }
}

/// `(groupId, artifactId, version)` of a `pom.properties` (Java properties: `key=value` or
/// `key: value`, `#`/`!` comments).
pub fn parse_pom_properties(b: &[u8]) -> Result<(String, String, String), String> {
    let text = String::from_utf8_lossy(b);
    let (mut g, mut a, mut v) = (None, None, None);
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('#') || l.starts_with('!') {
            continue;
        }
        let Some(i) = l.find(['=', ':']) else {
            continue;
        };
        let (key, value) = (l[..i].trim(), l[i + 1..].trim());
        let slot = match key {
            "groupId" => &mut g,
            "artifactId" => &mut a,
            "version" => &mut v,
            _ => continue,
        };
        if !value.is_empty() && value.len() <= 512 {
            *slot = Some(value.to_string());
        }
    }
    match (g, a, v) {
        (Some(g), Some(a), Some(v)) => Ok((g, a, v)),
        _ => Err("pom.properties without groupId, artifactId and version".into()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A zip archive built here, byte by byte as the format says (stored and deflated
    /// entries), so the reader is checked against the format and not only against itself;
    /// the collector's tests also check archives made by `zip` and `jar`.
    pub(crate) fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data, deflate) in entries {
            let body = if *deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            } else {
                data.to_vec()
            };
            let method: u16 = if *deflate { 8 } else { 0 };
            let off = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 8]); // time, date, crc (not checked)
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
            cd.extend_from_slice(b"PK\x01\x02");
            cd.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
            cd.extend_from_slice(&method.to_le_bytes());
            cd.extend_from_slice(&[0; 8]);
            cd.extend_from_slice(&(body.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0; 12]);
            cd.extend_from_slice(&off.to_le_bytes());
            cd.extend_from_slice(name.as_bytes());
        }
        let cd_off = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    const POM: &[u8] =
        b"#Generated by Maven\n#Tue\ngroupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n";

    #[test]
    fn pom_properties_and_nested_archives() {
        let inner = zip(&[(
            "META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties",
            b"groupId=com.fasterxml.jackson.core\nartifactId=jackson-databind\nversion=2.13.0\n",
            true,
        )]);
        let no_pom = zip(&[("META-INF/MANIFEST.MF", b"Implementation-Title: x\n", false)]);
        let outer = zip(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", true),
            (
                "META-INF/maven/org.yaml/snakeyaml/pom.properties",
                POM,
                true,
            ),
            ("BOOT-INF/lib/jackson-databind-2.13.0.jar", &inner, false),
            ("WEB-INF/lib/plain.jar", &no_pom, true),
        ]);
        let s = scan(&&outer[..]);
        let got: Vec<_> = s
            .artifacts
            .iter()
            .map(|a| format!("{}:{}@{} {:?}", a.group, a.artifact, a.version, a.nested))
            .collect();
        assert_eq!(
            got,
            [
                "org.yaml:snakeyaml@1.33 None",
                "com.fasterxml.jackson.core:jackson-databind@2.13.0 Some(\"BOOT-INF/lib/jackson-databind-2.13.0.jar\")"
            ]
        );
        assert_eq!(
            s.without_coordinates,
            [Some("WEB-INF/lib/plain.jar".to_string())]
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
    }

    #[test]
    fn hostile_archives_are_problems() {
        let s = scan(&&b"PK\x03\x04 not really"[..]);
        assert!(s.artifacts.is_empty() && !s.problems.is_empty());
        let mut z = zip(&[("META-INF/maven/a/b/pom.properties", POM, true)]);
        // Truncate inside the entry's data: the directory still names it.
        let cut = z.len() - 22 - 90;
        z.drain(40..cut.min(60));
        let s = scan(&&z[..]);
        assert!(s.artifacts.is_empty());
        assert!(parse_pom_properties(b"groupId=a\nversion=1\n").is_err());
        assert_eq!(
            parse_pom_properties(b"groupId : g\r\nartifactId=a\r\nversion=1.0\r\n").unwrap(),
            ("g".into(), "a".into(), "1.0".into())
        );
    }
}
