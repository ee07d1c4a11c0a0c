//! The little of ELF the binary collectors need: the header, the section headers and their
//! names, read at offsets through [`RandomRead`] (a 200 MiB binary costs a few KiB of reads).
//! Every offset, size and count comes from the file and is checked before use.

use crate::RandomRead;

/// The ELF magic, the first four bytes of every candidate binary.
pub const MAGIC: &[u8; 4] = b"\x7fELF";

/// Most section headers read (real binaries have fewer than 100).
const MAX_SECTIONS: usize = 4096;
/// Largest section-name table read.
const MAX_SHSTRTAB: usize = 1 << 20;

/// One section header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    /// Virtual address when loaded (0 for sections that are not).
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    /// `SHT_NOBITS` (`.bss`): no bytes in the file.
    pub nobits: bool,
}

/// A parsed ELF file: its class, byte order and sections.
#[derive(Debug, Clone)]
pub struct Elf {
    pub is64: bool,
    pub big_endian: bool,
    pub sections: Vec<Section>,
}

impl Elf {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The file offset of virtual address `addr`, and how many bytes of its section follow.
    pub fn offset_of(&self, addr: u64) -> Option<(u64, u64)> {
        self.sections
            .iter()
            .filter(|s| !s.nobits && s.addr != 0)
            .find(|s| addr >= s.addr && addr - s.addr < s.size)
            .map(|s| (s.offset + (addr - s.addr), s.size - (addr - s.addr)))
    }

    /// Read a whole section, at most `max` bytes (`Err` past it).
    pub fn read_section(
        &self,
        f: &dyn RandomRead,
        s: &Section,
        max: u64,
    ) -> Result<Vec<u8>, String> {
        if s.nobits {
            return Err(format!("section {} has no bytes in the file", s.name));
        }
        if s.size > max {
            return Err(format!(
                "section {} is {} bytes, more than the limit of {max}",
                s.name, s.size
            ));
        }
        let b = f
            .read_at(s.offset, s.size as usize)
            .map_err(|e| e.to_string())?;
        if (b.len() as u64) < s.size {
            return Err(format!(
                "section {} extends past the end of the file",
                s.name
            ));
        }
        Ok(b)
    }
}

fn u16_at(b: &[u8], o: usize, be: bool) -> Option<u16> {
    let x: [u8; 2] = b.get(o..o + 2)?.try_into().ok()?;
    Some(if be {
        u16::from_be_bytes(x)
    } else {
        u16::from_le_bytes(x)
    })
}

fn u32_at(b: &[u8], o: usize, be: bool) -> Option<u32> {
    let x: [u8; 4] = b.get(o..o + 4)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(x)
    } else {
        u32::from_le_bytes(x)
    })
}

fn u64_at(b: &[u8], o: usize, be: bool) -> Option<u64> {
    let x: [u8; 8] = b.get(o..o + 8)?.try_into().ok()?;
    Some(if be {
        u64::from_be_bytes(x)
    } else {
        u64::from_le_bytes(x)
    })
}

/// A word of the file's class: 4 or 8 bytes.
fn word_at(b: &[u8], o: usize, is64: bool, be: bool) -> Option<u64> {
    if is64 {
        u64_at(b, o, be)
    } else {
        u32_at(b, o, be).map(u64::from)
    }
}

/// Parse the header and section headers of an ELF file. `Ok(None)` when it is not ELF.
pub fn parse(f: &dyn RandomRead) -> Result<Option<Elf>, String> {
    let h = f.read_at(0, 64).map_err(|e| e.to_string())?;
    if h.len() < 52 || &h[..4] != MAGIC {
        return Ok(None);
    }
    let is64 = match h[4] {
        1 => false,
        2 => true,
        c => return Err(format!("unknown ELF class {c}")),
    };
    let be = match h[5] {
        1 => false,
        2 => true,
        d => return Err(format!("unknown ELF data encoding {d}")),
    };
    let bad = || "truncated ELF header".to_string();
    let (shoff, shentsize, shnum, shstrndx) = if is64 {
        (
            u64_at(&h, 0x28, be).ok_or_else(bad)?,
            u16_at(&h, 0x3a, be).ok_or_else(bad)?,
            u16_at(&h, 0x3c, be).ok_or_else(bad)?,
            u16_at(&h, 0x3e, be).ok_or_else(bad)?,
        )
    } else {
        (
            u64::from(u32_at(&h, 0x20, be).ok_or_else(bad)?),
            u16_at(&h, 0x2e, be).ok_or_else(bad)?,
            u16_at(&h, 0x30, be).ok_or_else(bad)?,
            u16_at(&h, 0x32, be).ok_or_else(bad)?,
        )
    };
    let mut elf = Elf {
        is64,
        big_endian: be,
        sections: Vec::new(),
    };
    let min_ent = if is64 { 64 } else { 40 };
    if shoff == 0 || shnum == 0 {
        return Ok(Some(elf)); // no section headers (stripped with sstrip)
    }
    let (shnum, shentsize) = (usize::from(shnum), usize::from(shentsize));
    if shentsize < min_ent || shnum > MAX_SECTIONS {
        return Err(format!(
            "implausible section headers ({shnum} of {shentsize} bytes)"
        ));
    }
    let table = f
        .read_at(shoff, shnum * shentsize)
        .map_err(|e| e.to_string())?;
    if table.len() < shnum * shentsize {
        return Err("section headers past the end of the file".into());
    }
    // (name offset, type, addr, offset, size)
    let mut raw = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let o = i * shentsize;
        let name = u32_at(&table, o, be).ok_or_else(bad)?;
        let ty = u32_at(&table, o + 4, be).ok_or_else(bad)?;
        let (addr, off, size) = if is64 {
            (
                word_at(&table, o + 0x10, true, be),
                word_at(&table, o + 0x18, true, be),
                word_at(&table, o + 0x20, true, be),
            )
        } else {
            (
                word_at(&table, o + 0x0c, false, be),
                word_at(&table, o + 0x10, false, be),
                word_at(&table, o + 0x14, false, be),
            )
        };
        let (Some(addr), Some(off), Some(size)) = (addr, off, size) else {
            return Err(bad());
        };
        raw.push((name, ty, addr, off, size));
    }
    let strtab = match raw.get(usize::from(shstrndx)) {
        Some(&(_, _, _, off, size)) if size as usize <= MAX_SHSTRTAB => {
            f.read_at(off, size as usize).map_err(|e| e.to_string())?
        }
        Some(_) => return Err("section name table too large".into()),
        None => return Err(format!("section name table index {shstrndx} out of range")),
    };
    for (name, ty, addr, offset, size) in raw {
        let name = strtab
            .get(name as usize..)
            .and_then(|s| s.split(|&b| b == 0).next())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default();
        elf.sections.push(Section {
            name,
            addr,
            offset,
            size,
            nobits: ty == 8,
        });
    }
    Ok(Some(elf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_has_sections() {
        let exe = std::env::current_exe().unwrap();
        let f = std::fs::File::open(exe).unwrap();
        let elf = parse(&f).unwrap().unwrap();
        assert!(elf.section(".text").is_some());
        let t = elf.section(".rodata").unwrap();
        assert!(elf.offset_of(t.addr).is_some());
        assert!(parse(&&b"\x7fELF"[..]).unwrap().is_none());
        assert!(parse(&&b"#!/bin/sh\n"[..]).unwrap().is_none());
    }
}
