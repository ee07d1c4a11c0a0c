//! rpm: the package database read directly, never by running rpm inside an image.
//!
//! Formats: the SQLite rpmdb (`rpmdb.sqlite`, RHEL 9+, Fedora 33+, Alma/Rocky 9) through our
//! own SQLite reader ([`crate::sqlite`]); the Berkeley DB hash `Packages` file (RHEL 7/8,
//! CentOS, Amazon Linux 2) through a hash-page walker ([`bdb_values`]). Both hold RPM header
//! blobs ([`parse_header`]). SUSE's ndb (`Packages.db`) is read only on the live host, by
//! `rpm -qa`. The version is `[EPOCH:]VERSION-RELEASE` built from the separate header fields;
//! the source package is the `SOURCERPM` file name split from the right. `gpg-pubkey`
//! pseudo-packages (imported signing keys) are skipped.

use crate::{Distro, HostAccess, Limits, Parsed, purl, sqlite};
use caulk_model::inventory::{Collector, InstallState, Issue, IssueKind, Package};

pub const DB_DIRS: &[&str] = &["/var/lib/rpm", "/usr/lib/sysimage/rpm"];

const TAG_NAME: i32 = 1000;
const TAG_VERSION: i32 = 1001;
const TAG_RELEASE: i32 = 1002;
const TAG_EPOCH: i32 = 1003;
const TAG_VENDOR: i32 = 1011;
const TAG_ARCH: i32 = 1022;
const TAG_SOURCERPM: i32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own bounds on a header (`hdrblobVerifyInfo`): 64 Ki tags, 256 MiB of data.
const MAX_TAGS: usize = 0xffff;
const MAX_DATA: usize = 256 << 20;

/// The fields of an RPM header that an inventory needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub vendor: Option<String>,
}

impl Header {
    /// `[EPOCH:]VERSION-RELEASE`.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parse an RPM header blob as stored in the rpmdb (no lead, no magic): `il` index entries
/// of 16 bytes then `dl` bytes of data.
pub fn parse_header(blob: &[u8]) -> Result<Header, String> {
    // A header read from a .rpm file starts with the 8-byte magic; accept both.
    let blob = match blob {
        [0x8e, 0xad, 0xe8, 0x01, _, _, _, _, rest @ ..] => rest,
        _ => blob,
    };
    let il = be32(blob, 0).ok_or("header shorter than 8 bytes")? as usize;
    let dl = be32(blob, 4).ok_or("header shorter than 8 bytes")? as usize;
    if il == 0 || il > MAX_TAGS {
        return Err(format!("bad index count {il}"));
    }
    if dl > MAX_DATA {
        return Err(format!("data length {dl} over {MAX_DATA}"));
    }
    let data_start = 8 + il * 16;
    let data = blob
        .get(data_start..data_start + dl)
        .ok_or_else(|| format!("header of {} bytes shorter than its index says", blob.len()))?;
    let mut h = Header::default();
    let mut name = None;
    let mut version = None;
    let mut release = None;
    for i in 0..il {
        let e = 8 + i * 16;
        let tag = be32(blob, e).ok_or("index truncated")? as i32;
        let ty = be32(blob, e + 4).ok_or("index truncated")?;
        let off = be32(blob, e + 8).ok_or("index truncated")? as usize;
        let count = be32(blob, e + 12).ok_or("index truncated")?;
        let want = matches!(
            tag,
            TAG_NAME
                | TAG_VERSION
                | TAG_RELEASE
                | TAG_EPOCH
                | TAG_VENDOR
                | TAG_ARCH
                | TAG_SOURCERPM
        );
        if !want {
            continue;
        }
        if tag == TAG_EPOCH {
            if ty != TYPE_INT32 || count < 1 {
                return Err(format!("EPOCH has type {ty}, count {count}"));
            }
            h.epoch = Some(be32(data, off).ok_or("EPOCH offset outside data")?);
            continue;
        }
        if !matches!(ty, TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY) {
            return Err(format!("tag {tag} has type {ty}, expected a string"));
        }
        let s = data
            .get(off..)
            .ok_or_else(|| format!("tag {tag} offset outside data"))?;
        let end = s
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("tag {tag} string not terminated"))?;
        let s = std::str::from_utf8(&s[..end])
            .map_err(|_| format!("tag {tag} is not UTF-8"))?
            .to_string();
        match tag {
            TAG_NAME => name = Some(s),
            TAG_VERSION => version = Some(s),
            TAG_RELEASE => release = Some(s),
            TAG_VENDOR => h.vendor = Some(s).filter(|x| !x.is_empty()),
            TAG_ARCH => h.arch = Some(s).filter(|x| !x.is_empty()),
            _ => h.source_rpm = Some(s).filter(|x| !x.is_empty() && x != "(none)"),
        }
    }
    h.name = name.filter(|x| !x.is_empty()).ok_or("no NAME")?;
    h.version = version.filter(|x| !x.is_empty()).ok_or("no VERSION")?;
    h.release = release.filter(|x| !x.is_empty()).ok_or("no RELEASE")?;
    Ok(h)
}

/// `bash-5.1.8-6.el9.src.rpm` → (`bash`, `5.1.8`, `6.el9`).
pub fn split_source_rpm(s: &str) -> Option<(&str, &str, &str)> {
    let s = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = s.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    (!name.is_empty() && !version.is_empty() && !release.is_empty())
        .then_some((name, version, release))
}

/// The package for a parsed header; `None` for `gpg-pubkey`.
pub fn to_package(h: &Header, file: &str, distro: &Distro) -> Option<Package> {
    if h.name == "gpg-pubkey" {
        return None;
    }
    let evr = h.evr();
    let (src_name, src_version) = match h.source_rpm.as_deref().and_then(split_source_rpm) {
        Some((n, v, r)) => (
            n.to_string(),
            match h.epoch {
                Some(e) => format!("{e}:{v}-{r}"),
                None => format!("{v}-{r}"),
            },
        ),
        None => (h.name.clone(), evr.clone()),
    };
    let epoch = h.epoch.map(|e| e.to_string()).unwrap_or_default();
    let vr = format!("{}-{}", h.version, h.release);
    let purl = purl::build(
        "rpm",
        Some(&distro.namespace),
        &h.name,
        Some(&vr),
        &[
            ("arch", h.arch.as_deref().unwrap_or("")),
            ("epoch", &epoch),
            ("distro", distro.distro.as_deref().unwrap_or("")),
            ("upstream", h.source_rpm.as_deref().unwrap_or("")),
        ],
    );
    Some(Package {
        ecosystem: distro.ecosystem.clone(),
        name: h.name.clone(),
        version: evr,
        arch: h.arch.clone(),
        source_name: Some(src_name),
        source_version: Some(src_version),
        purl: Some(purl),
        vendor: h.vendor.clone(),
        file: file.to_string(),
        owned_by: None,
        state: InstallState::Installed,
        collector: Collector::Rpm,
    })
}

fn headers_to_parsed(
    blobs: impl IntoIterator<Item = (String, Vec<u8>)>,
    file: &str,
    distro: &Distro,
    limits: &Limits,
) -> Parsed {
    let mut out = Parsed::default();
    for (record, blob) in blobs {
        if out.limit_hit(limits) {
            out.issues.push(Issue::new(
                file,
                IssueKind::Limit,
                format!("more than {} packages; rest ignored", limits.max_records),
            ));
            break;
        }
        match parse_header(&blob) {
            Ok(h) => out.packages.extend(to_package(&h, file, distro)),
            Err(e) => out.issues.push(
                Issue::new(file, IssueKind::BadInput, format!("bad header: {e}")).record(record),
            ),
        }
    }
    out
}

/// Parse the bytes of an `rpmdb.sqlite`.
pub fn parse_sqlite(bytes: &[u8], file: &str, distro: &Distro, limits: &Limits) -> Parsed {
    match sqlite::rowid_blobs(bytes, "Packages") {
        Ok(rows) => headers_to_parsed(
            rows.into_iter().map(|(n, b)| (format!("hnum {n}"), b)),
            file,
            distro,
            limits,
        ),
        Err(e) => Parsed {
            packages: vec![],
            issues: vec![Issue::new(
                file,
                IssueKind::BadInput,
                format!("SQLite: {e}"),
            )],
        },
    }
}

/// Parse the bytes of a Berkeley DB hash `Packages` file.
pub fn parse_bdb(bytes: &[u8], file: &str, distro: &Distro, limits: &Limits) -> Parsed {
    match bdb_values(bytes) {
        Ok(vals) => headers_to_parsed(
            vals.into_iter()
                .enumerate()
                .map(|(i, b)| (format!("value {}", i + 1), b)),
            file,
            distro,
            limits,
        ),
        Err(e) => Parsed {
            packages: vec![],
            issues: vec![Issue::new(
                file,
                IssueKind::BadInput,
                format!("Berkeley DB: {e}"),
            )],
        },
    }
}

const BDB_HASH_MAGIC: u32 = 0x0006_1561;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

/// The data items of every hash page of a Berkeley DB hash file, in page order (keys — the
/// rpm header numbers — are dropped). Large values live on overflow-page chains.
pub fn bdb_values(b: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if b.len() < 512 {
        return Err("file shorter than a metadata page".into());
    }
    let le = u32::from_le_bytes([b[12], b[13], b[14], b[15]]) == BDB_HASH_MAGIC;
    let bige = u32::from_be_bytes([b[12], b[13], b[14], b[15]]) == BDB_HASH_MAGIC;
    if !le && !bige {
        return Err("not a Berkeley DB hash database (magic)".into());
    }
    let u32at = |p: &[u8], at: usize| -> Option<u32> {
        let s = p.get(at..at + 4)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    let u16at = |p: &[u8], at: usize| -> Option<u16> {
        let s = p.get(at..at + 2)?;
        Some(if le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    };
    let ps = u32at(b, 20).ok_or("short metadata")? as usize;
    if !(512..=65536).contains(&ps) || !ps.is_power_of_two() {
        return Err(format!("bad page size {ps}"));
    }
    if b[24] != 0 {
        return Err("encrypted database".into());
    }
    let npages = b.len() / ps;
    let page = |n: usize| -> Option<&[u8]> { b.get(n * ps..(n + 1) * ps) };
    let mut out = Vec::new();
    let mut out_bytes = 0usize;
    for pn in 1..npages {
        let Some(p) = page(pn) else { break };
        let ty = p[25];
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let entries = u16at(p, 20).unwrap_or(0) as usize;
        if 26 + entries * 2 > ps {
            return Err(format!("page {pn}: entry index overflows the page"));
        }
        // Items alternate key, data; we want the data (odd indexes).
        for i in (1..entries).step_by(2) {
            let off = u16at(p, 26 + i * 2).unwrap_or(0) as usize;
            let prev = u16at(p, 26 + (i - 1) * 2).unwrap_or(0) as usize;
            let item = p
                .get(off..)
                .filter(|x| !x.is_empty())
                .ok_or_else(|| format!("page {pn}: item {i} outside the page"))?;
            match item[0] {
                H_KEYDATA => {
                    // Items are packed downwards from the page end: this one ends where
                    // the previous one starts.
                    let end = if prev > off { prev } else { ps };
                    let v = p
                        .get(off + 1..end)
                        .ok_or_else(|| format!("page {pn}: item {i} outside the page"))?;
                    out_bytes += v.len();
                    if out_bytes > b.len() {
                        return Err("values add up to more than the file size".into());
                    }
                    out.push(v.to_vec());
                }
                H_OFFPAGE => {
                    let mut next = u32at(item, 4)
                        .ok_or_else(|| format!("page {pn}: item {i} truncated"))?
                        as usize;
                    let total = u32at(item, 8)
                        .ok_or_else(|| format!("page {pn}: item {i} truncated"))?
                        as usize;
                    if total > b.len() {
                        return Err(format!("page {pn}: item {i} longer than the file"));
                    }
                    let mut v = Vec::with_capacity(total);
                    let mut hops = 0;
                    while v.len() < total {
                        hops += 1;
                        let op = page(next)
                            .filter(|_| next != 0 && hops <= npages)
                            .ok_or_else(|| format!("page {pn}: item {i}: bad overflow chain"))?;
                        if op[25] != P_OVERFLOW {
                            return Err(format!("page {next}: expected an overflow page"));
                        }
                        let len = u16at(op, 22).unwrap_or(0) as usize;
                        let chunk = op
                            .get(26..26 + len)
                            .ok_or_else(|| format!("page {next}: overflow length past page"))?;
                        v.extend_from_slice(chunk);
                        next = u32at(op, 16).unwrap_or(0) as usize;
                    }
                    v.truncate(total);
                    // Overflow chains shared between items would multiply the output:
                    // a real file never holds more value bytes than its own size.
                    out_bytes += v.len();
                    if out_bytes > b.len() {
                        return Err("values add up to more than the file size".into());
                    }
                    out.push(v);
                }
                other => return Err(format!("page {pn}: item {i} has unknown type {other}")),
            }
        }
    }
    Ok(out)
}

/// Parse `rpm -qa --qf` output in [`QA_FORMAT`].
pub fn parse_qa(text: &str, file: &str, distro: &Distro) -> Parsed {
    let mut out = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, epoch, version, release, arch, srpm, vendor] = f[..] else {
            out.issues.push(
                Issue::new(file, IssueKind::BadInput, "expected 7 tab-separated fields")
                    .at_line(i as u64 + 1),
            );
            continue;
        };
        let none = |s: &str| (s != "(none)" && !s.is_empty()).then(|| s.to_string());
        let h = Header {
            name: name.into(),
            version: version.into(),
            release: release.into(),
            epoch: epoch.parse().ok(),
            arch: none(arch),
            source_rpm: none(srpm),
            vendor: none(vendor),
        };
        out.packages.extend(to_package(&h, file, distro));
    }
    out
}

pub const QA_FORMAT: &str =
    "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{VENDOR}\n";

/// Read the rpmdb of `host`; `None` when it has none.
pub fn collect(host: &dyn HostAccess, distro: &Distro, limits: &Limits) -> Option<Parsed> {
    for dir in DB_DIRS {
        let sq = format!("{dir}/rpmdb.sqlite");
        match host.read(&sq, limits.max_db_bytes) {
            Ok(Some(b)) => {
                let mut p = parse_sqlite(&b, &sq, distro, limits);
                let wal = format!("{sq}-wal");
                if let Ok(Some(w)) = host.read_head(&wal, 32)
                    && !w.is_empty()
                {
                    p.issues.push(Issue::new(
                        wal,
                        IssueKind::Unsupported,
                        "write-ahead log not empty: changes since the last checkpoint \
                             (a running rpm transaction) are not read",
                    ));
                }
                return Some(p);
            }
            Ok(None) => {}
            Err(e) => {
                return Some(Parsed {
                    packages: vec![],
                    issues: vec![e.to_issue(&sq)],
                });
            }
        }
        let bdb = format!("{dir}/Packages");
        match host.read(&bdb, limits.max_db_bytes) {
            Ok(Some(b)) => return Some(parse_bdb(&b, &bdb, distro, limits)),
            Ok(None) => {}
            Err(e) => {
                return Some(Parsed {
                    packages: vec![],
                    issues: vec![e.to_issue(&bdb)],
                });
            }
        }
        let ndb = format!("{dir}/Packages.db");
        if host.exists(&ndb) {
            if host.is_live() {
                let label = "rpm -qa";
                return Some(
                    match host.run("rpm", &["-qa", "--qf", QA_FORMAT], 256 << 20) {
                        Ok(o) if o.status == Some(0) => {
                            parse_qa(&String::from_utf8_lossy(&o.stdout), label, distro)
                        }
                        Ok(o) => Parsed {
                            packages: vec![],
                            issues: vec![Issue::new(
                                label,
                                IssueKind::Unreadable,
                                format!(
                                    "exit status {:?}: {}",
                                    o.status,
                                    String::from_utf8_lossy(&o.stderr).trim()
                                ),
                            )],
                        },
                        Err(e) => Parsed {
                            packages: vec![],
                            issues: vec![e.to_issue(label)],
                        },
                    },
                );
            }
            return Some(Parsed {
                packages: vec![],
                issues: vec![Issue::new(
                    ndb,
                    IssueKind::Unsupported,
                    "SUSE ndb rpmdb is read only on the live host (through rpm -qa)",
                )],
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a header blob from (tag, type, payload) triples.
    pub(crate) fn blob(entries: &[(i32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, payload) in entries {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            data.extend_from_slice(payload);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    fn s(x: &str) -> Vec<u8> {
        let mut v = x.as_bytes().to_vec();
        v.push(0);
        v
    }

    #[test]
    fn header_fields_and_evr() {
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, s("bash")),
            (TAG_VERSION, TYPE_STRING, s("5.1.8")),
            (TAG_RELEASE, TYPE_STRING, s("6.el9")),
            (TAG_EPOCH, TYPE_INT32, 1u32.to_be_bytes().to_vec()),
            (TAG_ARCH, TYPE_STRING, s("x86_64")),
            (TAG_SOURCERPM, TYPE_STRING, s("bash-5.1.8-6.el9.src.rpm")),
            (
                TAG_VENDOR,
                TYPE_STRING,
                s("Rocky Enterprise Software Foundation"),
            ),
        ]);
        let h = parse_header(&b).unwrap();
        assert_eq!(h.evr(), "1:5.1.8-6.el9");
        let d = Distro {
            ecosystem: "Rocky Linux:9".into(),
            namespace: "rocky".into(),
            distro: Some("rocky-9.3".into()),
        };
        let p = to_package(&h, "/var/lib/rpm/rpmdb.sqlite", &d).unwrap();
        assert_eq!(p.source_name.as_deref(), Some("bash"));
        assert_eq!(p.source_version.as_deref(), Some("1:5.1.8-6.el9"));
        assert_eq!(
            p.purl.as_deref(),
            Some(
                "pkg:rpm/rocky/bash@5.1.8-6.el9?arch=x86_64&distro=rocky-9.3&epoch=1&upstream=bash-5.1.8-6.el9.src.rpm"
            )
        );
        // Every truncation is an error, never a panic.
        for cut in 0..b.len() {
            assert!(parse_header(&b[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn source_rpm_split() {
        assert_eq!(
            split_source_rpm("glibc-2.34-60.el9.src.rpm"),
            Some(("glibc", "2.34", "60.el9"))
        );
        assert_eq!(
            split_source_rpm("python3.11-pip-22.3.1-4.el9.noarch.nosrc.rpm"),
            Some(("python3.11-pip", "22.3.1", "4.el9.noarch"))
        );
        assert_eq!(split_source_rpm("bad.src.rpm"), None);
        assert_eq!(split_source_rpm("x-1-2"), None);
    }

    #[test]
    fn qa_output() {
        let d = Distro {
            ecosystem: "SUSE:Linux Enterprise Server 15 SP5".into(),
            namespace: "suse".into(),
            distro: None,
        };
        let p = parse_qa(
            "bash\t(none)\t4.4\t150400.27.3.2\tx86_64\tbash-4.4-150400.27.3.2.src.rpm\tSUSE LLC\n\
             gpg-pubkey\t(none)\t39db7c82\t5f68629b\t(none)\t(none)\t(none)\nshort\n",
            "rpm -qa",
            &d,
        );
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].version, "4.4-150400.27.3.2");
        assert_eq!(p.issues.len(), 1);
    }
}
