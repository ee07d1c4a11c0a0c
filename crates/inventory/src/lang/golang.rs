//! Go build information inside a binary: the `\xff Go buildinf:` blob the linker writes at
//! the start of `.go.buildinfo` (else the start of `.data`), and the module information it
//! points to — what `go version -m` prints. Two layouts: Go ≥ 1.18 puts both strings inline
//! after the 32-byte header as varint-prefixed bytes (flag bit 2); older Go writes two
//! pointers to Go string headers (pointer, length) that are virtual addresses, mapped to the
//! file through the section headers.
//!
//! The module information is tab-separated lines (`path`, `mod`, `dep`, `=>` for the
//! replacement of the line before, `build`), framed by two 16-byte sentinels.

use super::elf::Elf;
use crate::RandomRead;

pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Bytes of the section searched for the aligned magic (as `debug/buildinfo` does).
const SEARCH: usize = 64 << 10;
/// Longest module information accepted (kubectl's is 20 KiB).
const MAX_MODINFO: u64 = 4 << 20;

/// What a Go binary says about how it was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// `runtime.Version()`: `go1.21.11`, `go1.22-20231128-RC02 cl/… X:boringcrypto`.
    pub go_version: String,
    /// The main package's import path.
    pub path: Option<String>,
    /// The main module and its version (`(devel)` when built from a checkout).
    pub main: Option<(String, String)>,
    /// Dependencies as linked: a replaced module is its replacement.
    pub deps: Vec<(String, String)>,
}

/// Read the build information of a Go ELF binary; `Ok(None)` when it is not a Go binary.
pub fn read(f: &dyn RandomRead, elf: &Elf) -> Result<Option<BuildInfo>, String> {
    let Some(sec) = elf
        .section(".go.buildinfo")
        .or_else(|| elf.section(".data"))
    else {
        return Ok(None);
    };
    if sec.nobits {
        return Ok(None);
    }
    let n = usize::try_from(sec.size.min(SEARCH as u64)).unwrap_or(SEARCH);
    let data = f.read_at(sec.offset, n).map_err(|e| e.to_string())?;
    let Some(i) = find_aligned(&data) else {
        return Ok(None);
    };
    let blob = &data[i..];
    let ptr_size = usize::from(blob[14]);
    let flags = blob[15];
    let (vers, modinfo) = if flags & 2 != 0 {
        let (v, rest) = varint_string(&blob[32..]).ok_or("truncated Go version")?;
        let (m, _) = varint_string(rest).ok_or("truncated module information")?;
        (v.to_vec(), m.to_vec())
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("Go build info: pointer size {ptr_size}"));
        }
        let be = flags & 1 != 0;
        let ptr = |b: &[u8]| -> Option<u64> {
            let b = b.get(..ptr_size)?;
            Some(match (ptr_size, be) {
                (8, false) => u64::from_le_bytes(b.try_into().ok()?),
                (8, true) => u64::from_be_bytes(b.try_into().ok()?),
                (_, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
                (_, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
            })
        };
        let read_string = |addr: u64| -> Result<Vec<u8>, String> {
            let (off, _) = elf
                .offset_of(addr)
                .ok_or_else(|| format!("Go build info: address {addr:#x} not in the file"))?;
            let hdr = f.read_at(off, 2 * ptr_size).map_err(|e| e.to_string())?;
            let (Some(data), Some(len)) = (ptr(&hdr), hdr.get(ptr_size..).and_then(ptr)) else {
                return Err("Go build info: truncated string header".into());
            };
            if len > MAX_MODINFO {
                return Err(format!("Go build info: string of {len} bytes"));
            }
            let (off, avail) = elf
                .offset_of(data)
                .ok_or_else(|| format!("Go build info: address {data:#x} not in the file"))?;
            if len > avail {
                return Err("Go build info: string past its section".into());
            }
            f.read_at(off, len as usize).map_err(|e| e.to_string())
        };
        let v = ptr(&blob[16..]).ok_or("truncated header")?;
        let m = ptr(&blob[16 + ptr_size..]).ok_or("truncated header")?;
        (read_string(v)?, read_string(m)?)
    };
    if vers.is_empty() {
        return Ok(None);
    }
    let mut info = parse_modinfo(&modinfo);
    info.go_version = String::from_utf8_lossy(&vers).into_owned();
    Ok(Some(info))
}

/// The first 16-aligned magic with a whole 32-byte header after it.
fn find_aligned(data: &[u8]) -> Option<usize> {
    let mut from = 0;
    while from < data.len() {
        let i = from + memchr_slice(&data[from..], MAGIC)?;
        if data.len() - i < 32 {
            return None;
        }
        if i % 16 == 0 {
            return Some(i);
        }
        from = (i + 15) & !15;
    }
    None
}

fn memchr_slice(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// A uvarint length followed by that many bytes, and what follows.
fn varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let byte = *b.get(i)?;
        i += 1;
        if shift >= 64 {
            return None;
        }
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    if len > MAX_MODINFO {
        return None;
    }
    let end = i.checked_add(len as usize)?;
    Some((b.get(i..end)?, &b[end..]))
}

/// Parse `go version -m`'s module lines (with or without the sentinels).
pub fn parse_modinfo(raw: &[u8]) -> BuildInfo {
    let m = if raw.len() >= 33 && raw[raw.len() - 17] == b'\n' {
        &raw[16..raw.len() - 16]
    } else {
        raw
    };
    let text = String::from_utf8_lossy(m);
    let mut info = BuildInfo::default();
    // Which list the last `mod`/`dep` went to, for a `=>` after it.
    let mut last_main = false;
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["path", p, ..] => info.path = Some(p.to_string()),
            ["mod", p, v, ..] => {
                info.main = Some((p.to_string(), v.to_string()));
                last_main = true;
            }
            ["dep", p, v, ..] => {
                info.deps.push((p.to_string(), v.to_string()));
                last_main = false;
            }
            ["dep", p] => {
                // A dependency without version: replaced by a local directory (`=>` follows).
                info.deps.push((p.to_string(), String::new()));
                last_main = false;
            }
            ["=>", p, rest @ ..] => {
                // A local directory has no version: the code is not the registry's.
                let v = rest.first().copied().unwrap_or("").to_string();
                let slot = if last_main {
                    info.main.as_mut()
                } else {
                    info.deps.last_mut()
                };
                if let Some(s) = slot {
                    *s = (p.to_string(), v);
                }
            }
            _ => {}
        }
    }
    info
}

/// The Go toolchain's version as a module version of `stdlib` (`go1.21.11` → `v1.21.11`,
/// `go1.22` → `v1.22.0`, `go1.21rc2` → `v1.21.0-rc.2`, vendor builds `go1.22-20231128-RC02 …`
/// → `v1.22.0`), as govulncheck names it. `None` for `devel` toolchains.
pub fn stdlib_version(go: &str) -> Option<String> {
    let v = go.split_whitespace().next()?.strip_prefix("go")?;
    let num_end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, rest) = v.split_at(num_end);
    let parts: Vec<&str> = num.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut s = format!(
        "v{}.{}.{}",
        parts[0],
        parts.get(1).unwrap_or(&"0"),
        parts.get(2).unwrap_or(&"0")
    );
    for pre in ["rc", "beta"] {
        if let Some(n) = rest.strip_prefix(pre)
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
        {
            s.push_str(&format!("-{pre}.{n}"));
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_versions() {
        for (go, want) in [
            ("go1.21.11", Some("v1.21.11")),
            ("go1.22", Some("v1.22.0")),
            ("go1.21rc2", Some("v1.21.0-rc.2")),
            ("go1.9beta1", Some("v1.9.0-beta.1")),
            (
                "go1.22-20231128-RC02 cl/586117301 +6111acc8e6 X:fieldtrack,boringcrypto",
                Some("v1.22.0"),
            ),
            ("go1.23.1 X:nocoverageredesign", Some("v1.23.1")),
            ("devel go1.23-abc", None),
            ("go", None),
        ] {
            assert_eq!(stdlib_version(go).as_deref(), want, "{go}");
        }
    }

    #[test]
    fn modinfo_lines_and_replacements() {
        let mut raw = b"0123456789abcdef".to_vec();
        raw.extend_from_slice(
            b"path\texample.com/cmd/x\nmod\texample.com\t(devel)\t\n\
              dep\tgolang.org/x/text\tv0.3.7\th1:abc=\n\
              dep\tgithub.com/old/mod\tv1.0.0\n=>\tgithub.com/new/mod\tv1.2.0\th1:x=\n\
              dep\texample.com/local\tv0.0.0\n=>\t../local\t\n\
              build\t-compiler=gc\n",
        );
        raw.extend_from_slice(b"\n123456789abcdef");
        raw.push(b'!');
        let info = parse_modinfo(&raw);
        assert_eq!(info.path.as_deref(), Some("example.com/cmd/x"));
        assert_eq!(info.main, Some(("example.com".into(), "(devel)".into())));
        assert_eq!(
            info.deps,
            [
                ("golang.org/x/text".to_string(), "v0.3.7".to_string()),
                ("github.com/new/mod".into(), "v1.2.0".into()),
                ("../local".into(), String::new()),
            ]
        );
    }

    #[test]
    fn varints() {
        assert_eq!(varint_string(&[3, b'a', b'b', b'c', 9]).unwrap().0, b"abc");
        assert!(varint_string(&[5, b'a']).is_none());
        assert!(varint_string(&[0xff; 20]).is_none());
    }
}
