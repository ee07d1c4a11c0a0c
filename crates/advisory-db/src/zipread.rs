//! Reading an OSV `all.zip` with limits, so a hostile or broken download cannot exhaust
//! memory or disk, or name files outside the archive.
//!
//! Archive-level limits (entry count, total declared and actual uncompressed size) fail the
//! whole archive: the feed keeps its previous data. Entry-level problems (a name with `..`
//! or an absolute path, a record over the size limit, a compression ratio beyond the limit,
//! a method other than stored/deflate, a CRC mismatch) are reported per entry and the other
//! entries are read. Declared sizes are not trusted: reads are capped.

use std::io::{Read, Seek};
use std::ops::ControlFlow;

/// Limits for one archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_total_bytes: u64,
    pub max_entry_bytes: u64,
    /// Uncompressed / compressed, checked for entries above `ratio_floor_bytes`.
    pub max_ratio: u64,
    pub ratio_floor_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // osv.dev's largest ecosystem zips hold a few hundred thousand records.
            max_entries: 1_000_000,
            max_total_bytes: 8 << 30,
            max_entry_bytes: caulk_feeds::osv::MAX_RECORD_BYTES as u64,
            // JSON deflates 5–20×; deflate's own ceiling is about 1032×.
            max_ratio: 200,
            ratio_floor_bytes: 64 << 10,
        }
    }
}

/// A problem with the archive as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a readable zip archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("{entries} entries, over the limit of {limit}")]
    TooManyEntries { entries: usize, limit: usize },
    #[error("uncompressed size over the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("reading the archive: {0}")]
    Io(#[from] std::io::Error),
}

/// A problem with one entry; the other entries are still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub name: String,
    pub reason: String,
}

/// Is this member name safe and relative (`almalinux9/ALSA-2024:0265.json`)?
pub fn safe_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return Err("absolute path, backslash or NUL in the name".into());
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' && name.as_bytes()[0].is_ascii_alphabetic() {
        return Err("drive letter in the name".into());
    }
    if name.split('/').any(|c| c == ".." || c == ".") {
        return Err("`.` or `..` component in the name".into());
    }
    Ok(())
}

/// Read every file entry of the archive in archive order, calling `f(name, bytes)` for the
/// good ones and collecting the bad ones. Directory entries are skipped.
pub fn read_entries<R: Read + Seek>(
    reader: R,
    limits: &Limits,
    mut f: impl FnMut(&str, &[u8]),
) -> Result<Vec<EntryError>, ArchiveError> {
    for_each_entry(reader, limits, |e| {
        f(e.name, e.data);
        ControlFlow::Continue(())
    })
}

/// Where an entry's deflate stream sits in the archive: `start..start + len`. The importer
/// stores this stream as is (the original JSON, compressed, at no cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateSpan {
    pub start: u64,
    pub len: u64,
}

/// One good entry, as [`for_each_entry`] hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub name: &'a str,
    /// The uncompressed bytes, CRC checked.
    pub data: &'a [u8],
    /// For a deflated entry, its compressed stream in the archive.
    pub deflate: Option<DeflateSpan>,
}

/// [`read_entries`] with the entry's compressed span, and a way to stop early
/// (`ControlFlow::Break`: the rest is not read, the errors so far are returned).
pub fn for_each_entry<R: Read + Seek>(
    reader: R,
    limits: &Limits,
    mut f: impl FnMut(Entry<'_>) -> ControlFlow<()>,
) -> Result<Vec<EntryError>, ArchiveError> {
    let mut archive = zip::ZipArchive::new(reader)?;
    if archive.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            entries: archive.len(),
            limit: limits.max_entries,
        });
    }
    let mut errors = Vec::new();
    let mut total: u64 = 0;
    let mut buf: Vec<u8> = Vec::with_capacity(64 << 10);
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(zip::result::ZipError::UnsupportedArchive(m)) => {
                errors.push(EntryError {
                    name: format!("#{i}"),
                    reason: format!("unsupported: {m}"),
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if entry.is_dir() {
            continue;
        }
        let name = match entry.name() {
            Ok(n) => n.to_string(),
            Err(e) => {
                errors.push(EntryError {
                    name: format!("#{i}"),
                    reason: format!("unreadable name: {e}"),
                });
                continue;
            }
        };
        let bad = |reason: String| EntryError {
            name: name.clone(),
            reason,
        };
        if let Err(reason) = safe_name(&name) {
            errors.push(bad(reason));
            continue;
        }
        match entry.compression() {
            zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated => {}
            m => {
                errors.push(bad(format!(
                    "compression method {m:?} (only stored and deflate)"
                )));
                continue;
            }
        }
        let declared = entry.size();
        if declared > limits.max_entry_bytes {
            errors.push(bad(format!(
                "{declared} bytes, over the per-record limit of {}",
                limits.max_entry_bytes
            )));
            continue;
        }
        let compressed = entry.compressed_size().max(1);
        let deflated = entry.compression() == zip::CompressionMethod::Deflated;
        if declared > limits.ratio_floor_bytes && declared / compressed > limits.max_ratio {
            errors.push(bad(format!(
                "compression ratio {}:1 over the limit of {}:1",
                declared / compressed,
                limits.max_ratio
            )));
            continue;
        }
        total = total.saturating_add(declared);
        if total > limits.max_total_bytes {
            return Err(ArchiveError::TooLarge {
                limit: limits.max_total_bytes,
            });
        }
        buf.clear();
        // Cap the read: a declared size can lie.
        let read = (&mut entry)
            .take(limits.max_entry_bytes + 1)
            .read_to_end(&mut buf);
        match read {
            Err(e) => {
                errors.push(bad(format!("corrupt data: {e}")));
                continue;
            }
            Ok(n) if n as u64 > limits.max_entry_bytes => {
                errors.push(bad(format!(
                    "more than {} bytes (declared {declared})",
                    limits.max_entry_bytes
                )));
                continue;
            }
            Ok(n) if n as u64 != declared => {
                errors.push(bad(format!("{n} bytes read, {declared} declared")));
                continue;
            }
            Ok(_) => {}
        }
        let deflate = match entry.data_start() {
            Some(start) if deflated => Some(DeflateSpan {
                start,
                len: entry.compressed_size(),
            }),
            _ => None,
        };
        let flow = f(Entry {
            name: &name,
            data: &buf,
            deflate,
        });
        if flow.is_break() {
            break;
        }
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    fn make(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (n, b) in entries {
            w.start_file(*n, opts).expect("start");
            w.write_all(b).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    #[test]
    fn names() {
        assert!(safe_name("almalinux9/ALSA-2024:0265.json").is_ok());
        for bad in [
            "../x.json",
            "a/../../x",
            "/etc/passwd",
            "C:x",
            "a\\b",
            "./a",
        ] {
            assert!(safe_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn good_and_bad_entries() {
        let big = vec![b' '; 200 << 10];
        let z = make(&[
            ("a.json", b"{}"),
            ("../evil.json", b"{}"),
            ("bomb.json", &big),
            ("b.json", b"[]"),
        ]);
        let mut seen = Vec::new();
        let errs = read_entries(Cursor::new(z), &Limits::default(), |n, b| {
            seen.push((n.to_string(), b.len()))
        })
        .expect("archive ok");
        assert_eq!(seen, [("a.json".to_string(), 2), ("b.json".to_string(), 2)]);
        assert_eq!(errs.len(), 2);
        assert!(errs[0].reason.contains(".."), "{errs:?}");
        assert!(errs[1].reason.contains("ratio"), "{errs:?}");
    }

    #[test]
    fn deflate_spans_inflate_to_the_entry() {
        let z = make(&[("a.json", b"{\"id\":\"A\"}"), ("b.json", &vec![b'x'; 5000])]);
        let mut n = 0;
        for_each_entry(Cursor::new(z.clone()), &Limits::default(), |e| {
            let span = e.deflate.expect("deflated");
            let stream = &z[span.start as usize..(span.start + span.len) as usize];
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(stream)
                .read_to_end(&mut out)
                .expect("inflate");
            assert_eq!(out, e.data, "{}", e.name);
            n += 1;
            ControlFlow::Continue(())
        })
        .expect("archive");
        assert_eq!(n, 2);
        // Break stops the walk.
        let mut seen = 0;
        for_each_entry(Cursor::new(z), &Limits::default(), |_| {
            seen += 1;
            ControlFlow::Break(())
        })
        .expect("archive");
        assert_eq!(seen, 1);
    }

    #[test]
    fn archive_limits() {
        let z = make(&[("a.json", b"{}"), ("b.json", b"{}")]);
        let l = Limits {
            max_entries: 1,
            ..Limits::default()
        };
        assert!(matches!(
            read_entries(Cursor::new(z.clone()), &l, |_, _| {}),
            Err(ArchiveError::TooManyEntries { .. })
        ));
        let l = Limits {
            max_total_bytes: 3,
            ..Limits::default()
        };
        assert!(matches!(
            read_entries(Cursor::new(z.clone()), &l, |_, _| {}),
            Err(ArchiveError::TooLarge { .. })
        ));
        let l = Limits {
            max_entry_bytes: 1,
            ..Limits::default()
        };
        let errs = read_entries(Cursor::new(z), &l, |_, _| {}).expect("entries fail, archive ok");
        assert_eq!(errs.len(), 2);
    }

    #[test]
    fn truncated_and_corrupt() {
        let z = make(&[("a.json", &vec![b'x'; 10_000]), ("b.json", b"{}")]);
        assert!(
            read_entries(
                Cursor::new(z[..z.len() / 2].to_vec()),
                &Limits::default(),
                |_, _| {}
            )
            .is_err()
        );
        let mut c = z.clone();
        // Flip bytes inside the first entry's compressed data: CRC or inflate error.
        for b in &mut c[40..60] {
            *b ^= 0xff;
        }
        let mut n = 0;
        let errs = read_entries(Cursor::new(c), &Limits::default(), |_, _| n += 1)
            .expect("central directory intact");
        assert_eq!((n, errs.len()), (1, 1), "{errs:?}");
    }
}
