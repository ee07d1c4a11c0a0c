//! The OSV schema (1.7) as our own serde types, tolerant where real feeds are sloppy, strict
//! where matching needs it.
//!
//! Tolerance: unknown fields are ignored (the raw JSON is stored beside the parsed form, so
//! nothing is lost); unknown enum values (`severity[].type`, `ranges[].type`,
//! `references[].type`, ecosystems) are kept as strings; `null` where a list is expected reads
//! as an empty list. The one value read out of a `database_specific` object is RustSec's
//! `affected[].database_specific.informational` ([`EntrySpecific`]). Strictness: a record without `id` or `modified`, or with a `modified`
//! that is not an RFC 3339 time, is rejected; so is a range with no `introduced` event (OSV
//! linter `RNG:001`: it cannot be evaluated). Other linter findings are warnings.
//!
//! Pure: no I/O.

use crate::vendor::{self, Scale};
use caulk_model::advisory::{
    AffectedPackage, AffectedRange, EntryCve, EventKind, MAX_ENTRY_CVE_LEN, MAX_ENTRY_CVES,
    MAX_INFORMATIONAL_LEN, RangeEvent, RecordSource, VendorSeverity,
};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// A free-form JSON value (`database_specific`, `ecosystem_specific`): checked to be JSON,
/// then dropped. Nothing in caulk reads inside it (but for the one key [`EntrySpecific`]
/// picks out of an affected entry's `database_specific`), the original JSON is stored beside
/// the parsed record, and a `serde_json::Value` tree cost more than the rest of the record
/// put together (import benchmark, `BENCHMARKS.md`).
pub type Opaque = serde::de::IgnoredAny;

/// The largest OSV record we parse, in bytes. The largest real record (an AlmaLinux erratum
/// for the kernel) is about 200 KB.
pub const MAX_RECORD_BYTES: usize = 8 * 1024 * 1024;

/// `null` or absent → empty list.
fn null_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// One OSV record.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Record {
    #[serde(default)]
    pub schema_version: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "null_list")]
    pub aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_list")]
    pub upstream: Vec<String>,
    #[serde(default, deserialize_with = "null_list")]
    pub related: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "null_list")]
    pub severity: Vec<Severity>,
    #[serde(default, deserialize_with = "null_list")]
    pub affected: Vec<Affected>,
    #[serde(default, deserialize_with = "null_list")]
    pub references: Vec<Reference>,
    #[serde(default, deserialize_with = "null_list")]
    pub credits: Vec<Credit>,
    /// Read for its `severity` key only (GHSA's `LOW`/`MODERATE`/`HIGH`/`CRITICAL`).
    #[serde(default)]
    pub database_specific: Option<RecordSpecific>,
}

/// What caulk reads of a record's `database_specific`: a `severity` word (GitHub's records
/// write one). Any other shape parses and gives nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordSpecific {
    pub severity: Option<String>,
}

impl<'de> Deserialize<'de> for RecordSpecific {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = RecordSpecific::default();
        pick_keys(d, |key, v| {
            if key == "severity" {
                out.severity = v.as_str().map(|s| s.trim().to_string());
            }
        })?;
        Ok(out)
    }
}

/// Read a JSON object key by key, handing each key whose value caulk may want to `take` as a
/// [`serde_json::Value`] (only the keys in [`PICKED_KEYS`]; the others are skipped
/// unparsed). A value that is not an object gives nothing.
fn pick_keys<'de, D: Deserializer<'de>>(
    d: D,
    take: impl FnMut(&str, serde_json::Value),
) -> Result<(), D::Error> {
    use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

    /// A map key, kept only when it is one caulk reads.
    struct Key(Option<&'static str>);
    impl<'de> Deserialize<'de> for Key {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct K;
            impl Visitor<'_> for K {
                type Value = Key;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a key")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                    Ok(Key(PICKED_KEYS.iter().copied().find(|k| *k == v)))
                }
            }
            d.deserialize_str(K)
        }
    }

    struct V<F>(F);
    impl<'de, F: FnMut(&str, serde_json::Value)> Visitor<'de> for V<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut a: A) -> Result<(), A::Error> {
            while let Some(Key(k)) = a.next_key()? {
                match k {
                    Some(k) => {
                        let v: serde_json::Value = a.next_value()?;
                        (self.0)(k, v);
                    }
                    None => {
                        a.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<(), A::Error> {
            IgnoredAny.visit_seq(a).map(|_| ())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }
    d.deserialize_any(V(take))
}

/// The `database_specific` keys caulk reads (record: `severity`; entry: `informational`,
/// `cves_map`).
const PICKED_KEYS: [&str; 3] = ["severity", "informational", "cves_map"];

/// `severity[]`: `type` is `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, or something newer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Severity {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub score: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, deserialize_with = "null_list")]
    pub severity: Vec<Severity>,
    #[serde(default, deserialize_with = "null_list")]
    pub ranges: Vec<Range>,
    #[serde(default, deserialize_with = "null_list")]
    pub versions: Vec<String>,
    #[serde(default)]
    pub ecosystem_specific: Option<Opaque>,
    /// Read for its `informational` key only; the rest is skipped like [`Opaque`].
    #[serde(default)]
    pub database_specific: Option<EntrySpecific>,
}

impl Affected {
    /// RustSec's `database_specific.informational` as written (trimmed), if the entry has one.
    pub fn informational(&self) -> Option<&str> {
        self.database_specific
            .as_ref()
            .and_then(|d| d.informational.as_deref())
    }
}

/// What caulk reads of an `affected[].database_specific` object: RustSec's `informational`
/// kind (`unmaintained`, `unsound`, `notice`) and Ubuntu's `cves_map` (the CVEs of a notice
/// that apply to this entry's release, with their scores). Whatever the value is, it
/// parses: other keys are skipped unparsed, a value that is not an object (the schema wants
/// one) is skipped, and so is an `informational` that is not a non-empty string: that is a
/// vulnerability entry, as before caulk read the key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntrySpecific {
    pub informational: Option<String>,
    /// `None`: no map. `Some(Err(why))`: a map caulk cannot use (the entry then covers every
    /// vulnerability of the record, and [`validate`] warns).
    pub cves_map: Option<Result<CvesMap, String>>,
}

/// Ubuntu's per-entry `cves_map`: `{"ecosystem": "Ubuntu:20.04:LTS", "cves": [{"id":
/// "CVE-…", "severity": [{"type": "CVSS_V3", …}, {"type": "Ubuntu", "score": "medium"}]}]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CvesMap {
    #[serde(default)]
    pub ecosystem: Option<String>,
    #[serde(default, deserialize_with = "null_list")]
    pub cves: Vec<MapCve>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct MapCve {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "null_list")]
    pub severity: Vec<Severity>,
}

impl PartialEq for Severity {
    fn eq(&self, o: &Severity) -> bool {
        self.kind == o.kind && self.score == o.score
    }
}

impl<'de> Deserialize<'de> for EntrySpecific {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = EntrySpecific::default();
        pick_keys(d, |key, v| match key {
            // A repeated key: the last one wins, as serde_json's maps do.
            "informational" => {
                out.informational = v
                    .as_str()
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_string);
            }
            "cves_map" if !v.is_null() => {
                out.cves_map = Some(
                    serde_json::from_value::<CvesMap>(v).map_err(|e| format!("cves_map: {e}")),
                );
            }
            _ => {}
        })?;
        Ok(out)
    }
}

/// The informational kind an entry keeps: the value as written when it is at most
/// [`MAX_INFORMATIONAL_LEN`] bytes without control characters, else none (the entry is then
/// a vulnerability entry, and [`validate`] warns).
fn kept_informational(v: Option<&str>) -> Option<&str> {
    v.filter(|k| k.len() <= MAX_INFORMATIONAL_LEN && !k.chars().any(char::is_control))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Package {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Range {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default, deserialize_with = "null_list")]
    pub events: Vec<Event>,
    #[serde(default)]
    pub database_specific: Option<Opaque>,
}

/// One event object. The schema says exactly one of the four keys; an object with none of
/// them (a newer event kind) is kept and reported, an object with several is reported.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Event {
    #[serde(default)]
    pub introduced: Option<String>,
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub last_affected: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

impl Event {
    /// The events this object holds, in schema order.
    fn kinds(&self) -> impl Iterator<Item = (EventKind, &str)> {
        [
            (EventKind::Introduced, self.introduced.as_deref()),
            (EventKind::Fixed, self.fixed.as_deref()),
            (EventKind::LastAffected, self.last_affected.as_deref()),
            (EventKind::Limit, self.limit.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reference {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Credit {
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "null_list")]
    pub contact: Vec<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// Parse one record. Errors are serde's, with line and column.
pub fn parse(bytes: &[u8]) -> Result<Record, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The record is imported; the finding is counted and shown.
    Warn,
    /// The record is not imported.
    Reject,
}

/// One validation finding, with the OSV linter's code where it has one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    pub level: Level,
    /// `REC:000` (required fields), `RNG:001` (range without introduced), `RNG:002` (range
    /// not distinct), `RNG:003` (bad range type for the entry), `EVT:001` (event object with
    /// no known key or several), `REC:002`–`REC:004` (aliases/upstream/related lists);
    /// caulk's own: `INF:001` (an informational kind that is not kept: too long, or with
    /// control characters).
    pub code: &'static str,
    /// Where in the record: `affected[0].ranges[1]`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.code, self.message)
        } else {
            write!(f, "{} at {}: {}", self.code, self.path, self.message)
        }
    }
}

fn finding(level: Level, code: &'static str, path: String, message: impl Into<String>) -> Finding {
    Finding {
        level,
        code,
        path,
        message: message.into(),
    }
}

/// Is `s` an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`)? Go's vulndb writes
/// `0001-01-01T00:00:00Z`, which is valid.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 20 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' {
        return false;
    }
    if !digits(8..10) || !matches!(b[10], b'T' | b't' | b' ') || !digits(11..13) {
        return false;
    }
    if b[13] != b':' || !digits(14..16) || b[16] != b':' || !digits(17..19) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (mo, d, h, mi, se) = (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Validate a record. `Reject` findings mean the record must not be imported; the rest are
/// warnings. Deterministic: findings come in record order.
pub fn validate(r: &Record) -> Vec<Finding> {
    let mut out = Vec::new();
    let id = r.id.as_deref().unwrap_or("");
    match r.id.as_deref() {
        None => out.push(finding(Level::Reject, "REC:000", "id".into(), "missing id")),
        Some(s) if s.trim().is_empty() => {
            out.push(finding(Level::Reject, "REC:000", "id".into(), "empty id"))
        }
        Some(s) if s.len() > 256 || s.chars().any(|c| c.is_control() || c == '/') => {
            out.push(finding(
                Level::Reject,
                "REC:000",
                "id".into(),
                "id is not a valid identifier",
            ))
        }
        Some(_) => {}
    }
    match r.modified.as_deref() {
        None => out.push(finding(
            Level::Reject,
            "REC:000",
            "modified".into(),
            "missing modified",
        )),
        Some(m) if !is_rfc3339(m) => out.push(finding(
            Level::Reject,
            "REC:000",
            "modified".into(),
            format!("modified {m:?} is not an RFC 3339 time"),
        )),
        Some(_) => {}
    }
    for (field, value) in [("published", &r.published), ("withdrawn", &r.withdrawn)] {
        if let Some(v) = value
            && !is_rfc3339(v)
        {
            out.push(finding(
                Level::Warn,
                "REC:000",
                field.into(),
                format!("{field} {v:?} is not an RFC 3339 time"),
            ));
        }
    }
    for (code, field, list) in [
        ("REC:002", "aliases", &r.aliases),
        ("REC:003", "upstream", &r.upstream),
        ("REC:004", "related", &r.related),
    ] {
        let mut seen = std::collections::BTreeSet::new();
        for x in list {
            if x == id {
                out.push(finding(
                    Level::Warn,
                    code,
                    field.into(),
                    format!("{field} contains the record's own id"),
                ));
            } else if !seen.insert(x) {
                out.push(finding(
                    Level::Warn,
                    code,
                    field.into(),
                    format!("{field} repeats {x}"),
                ));
            }
        }
    }
    for (i, sv) in r.severity.iter().enumerate() {
        if let Some(why) = word_warning(sv) {
            out.push(finding(
                Level::Warn,
                "SEV:001",
                format!("severity[{i}]"),
                why,
            ));
        }
    }
    if let Some(w) = r
        .database_specific
        .as_ref()
        .and_then(|d| d.severity.as_deref())
        && Scale::Ghsa.rate(w, "", id).is_none()
    {
        out.push(finding(
            Level::Warn,
            "SEV:001",
            "database_specific.severity".into(),
            format!(
                "{:?} is not a severity caulk knows (LOW, MODERATE, HIGH, CRITICAL): not used",
                w.chars().take(40).collect::<String>()
            ),
        ));
    }
    if r.affected.is_empty() && r.withdrawn.is_none() {
        out.push(finding(
            Level::Warn,
            "REC:001",
            "affected".into(),
            "no affected entries",
        ));
    }
    for (ai, a) in r.affected.iter().enumerate() {
        let has_package = a.package.is_some();
        if let Some(p) = &a.package {
            if p.ecosystem.trim().is_empty() {
                out.push(finding(
                    Level::Reject,
                    "REC:000",
                    format!("affected[{ai}].package"),
                    "package has no ecosystem",
                ));
            }
            if p.name.trim().is_empty() {
                out.push(finding(
                    Level::Reject,
                    "REC:000",
                    format!("affected[{ai}].package"),
                    "package has no name",
                ));
            }
        }
        if let Some(k) = a.informational()
            && kept_informational(Some(k)).is_none()
        {
            out.push(finding(
                Level::Warn,
                "INF:001",
                format!("affected[{ai}].database_specific.informational"),
                format!(
                    "informational kind of {} bytes is not a kind (at most {MAX_INFORMATIONAL_LEN}, no control characters): the entry is read as a vulnerability",
                    k.len()
                ),
            ));
        }
        check_cves_map(a, ai, &mut out);
        for (ri, rg) in a.ranges.iter().enumerate() {
            // Built only for a finding: most ranges have none.
            let path = || format!("affected[{ai}].ranges[{ri}]");
            if !has_package && rg.kind != "GIT" {
                out.push(finding(
                    Level::Warn,
                    "RNG:003",
                    path(),
                    format!("range type {:?} in an entry without a package", rg.kind),
                ));
            }
            if rg.events.is_empty() {
                out.push(finding(
                    Level::Reject,
                    "RNG:001",
                    path(),
                    "range has no events",
                ));
                continue;
            }
            let mut introduced = Vec::new();
            let mut ends = Vec::new();
            for (ei, e) in rg.events.iter().enumerate() {
                let n = e.kinds().count();
                if n != 1 {
                    out.push(finding(
                        Level::Warn,
                        "EVT:001",
                        format!("{}.events[{ei}]", path()),
                        if n == 0 {
                            "event has none of introduced/fixed/last_affected/limit".to_string()
                        } else {
                            "event has more than one of introduced/fixed/last_affected/limit"
                                .to_string()
                        },
                    ));
                }
                for (k, v) in e.kinds() {
                    match k {
                        EventKind::Introduced => introduced.push(v),
                        EventKind::Fixed => ends.push(v),
                        _ => {}
                    }
                }
            }
            if introduced.is_empty() {
                out.push(finding(
                    Level::Reject,
                    "RNG:001",
                    path(),
                    "range has no introduced event (cannot be evaluated)",
                ));
            }
            for end in ends {
                if introduced.contains(&end) {
                    // Real feeds carry these (RustSec, PyPA write `introduced X, fixed X` for
                    // an empty interval); evaluation reads them as empty, the other intervals
                    // of the range still hold, so the record stays.
                    out.push(finding(
                        Level::Warn,
                        "RNG:002",
                        path(),
                        format!("range is not distinct: {end:?} is both introduced and fixed"),
                    ));
                }
            }
        }
    }
    out
}

/// Why a `severity[]` entry in words cannot be used (an `Ubuntu` priority that is not one);
/// `None` for a usable one and for vectors (scored, and reported, by the import).
fn word_warning(s: &Severity) -> Option<String> {
    (s.kind == "Ubuntu"
        && !vendor::ubuntu_unrated(&s.score)
        && Scale::UbuntuPriority
            .rate(&s.score, vendor::UBUNTU_PRIORITY, "")
            .is_none())
    .then(|| {
        format!(
            "Ubuntu priority {:?} is not one (negligible, low, medium, high, critical): not used",
            s.score.chars().take(40).collect::<String>()
        )
    })
}

/// Warnings about an entry's `cves_map` (code `UBU:001`): a map caulk cannot use, an empty
/// or oversized one, one for another ecosystem, ids that are not ids, scores that do not
/// score. None of them rejects the record: an unusable map means the entry covers every
/// vulnerability of the record, as before caulk read maps.
fn check_cves_map(a: &Affected, ai: usize, out: &mut Vec<Finding>) {
    let Some(m) = a
        .database_specific
        .as_ref()
        .and_then(|d| d.cves_map.as_ref())
    else {
        return;
    };
    let path = || format!("affected[{ai}].database_specific.cves_map");
    let warn = |out: &mut Vec<Finding>, msg: String| {
        out.push(finding(Level::Warn, "UBU:001", path(), msg));
    };
    let map = match m {
        Ok(map) => map,
        Err(e) => {
            warn(
                out,
                format!("{e}: the entry covers every vulnerability of the record"),
            );
            return;
        }
    };
    if map.cves.is_empty() {
        warn(
            out,
            "an empty map: the entry covers every vulnerability of the record".into(),
        );
    }
    if map.cves.len() > MAX_ENTRY_CVES {
        warn(
            out,
            format!(
                "{} CVEs: only the first {MAX_ENTRY_CVES} are kept",
                map.cves.len()
            ),
        );
    }
    if let (Some(me), Some(p)) = (&map.ecosystem, &a.package)
        && me.trim() != p.ecosystem.trim()
    {
        warn(
            out,
            format!(
                "a map of {:?} in an entry of {:?}",
                me.chars().take(60).collect::<String>(),
                p.ecosystem
            ),
        );
    }
    for (ci, c) in map.cves.iter().take(MAX_ENTRY_CVES).enumerate() {
        if !is_entry_cve_id(&c.id) {
            warn(
                out,
                format!(
                    "cves[{ci}]: id {:?} is not an id: skipped",
                    c.id.chars().take(60).collect::<String>()
                ),
            );
            continue;
        }
        for (si, sv) in c.severity.iter().enumerate() {
            let why = match crate::score::score_osv(&sv.kind, &sv.score) {
                Err(e) => Some(e.to_string()),
                Ok(_) => word_warning(sv),
            };
            if let Some(why) = why {
                warn(out, format!("cves[{ci}].severity[{si}]: {why}"));
            }
        }
    }
}

/// An id a `cves_map` may name: non-empty, bounded, no spaces or control characters.
fn is_entry_cve_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ENTRY_CVE_LEN
        && !id.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The scores of one `cves_map` CVE: its vectors scored (those that do not score are
/// dropped; [`validate`] reported them) and its Ubuntu priority, all with the record as
/// source.
fn entry_cve(c: &MapCve, record: &str) -> EntryCve {
    let mut cvss = Vec::new();
    let mut words = Vec::new();
    for sv in &c.severity {
        if let Ok(Some(sc)) = crate::score::score_osv(&sv.kind, &sv.score) {
            let m = sc.to_model(format!("osv:{record}"), None);
            if !cvss.contains(&m) {
                cvss.push(m);
            }
        } else if sv.kind == "Ubuntu"
            && let Some(v) = Scale::UbuntuPriority.rate(&sv.score, vendor::UBUNTU_PRIORITY, record)
            && !words.contains(&v)
        {
            words.push(v);
        }
    }
    EntryCve {
        id: c.id.clone(),
        cvss,
        vendor: words,
    }
}

/// The osv-linter's offline verdict (its `offline` collection: RNG:001 introduced-event-exists,
/// RNG:002 range-is-distinct) plus our rejections: every finding here is an error for the
/// linter. The import uses [`validate`] levels instead (RNG:002 is a warning there, see the
/// crate docs). The linter's `PKG:*` checks (package exists, versions exist) need the
/// registries and are not done offline.
pub fn lint(r: &Record) -> Vec<Finding> {
    validate(r)
        .into_iter()
        .filter(|f| f.level == Level::Reject || f.code.starts_with("RNG:"))
        .collect()
}

/// A string trimmed in place (no copy when there is nothing to trim).
fn trimmed(mut s: String) -> String {
    let end = s.trim_end().len();
    s.truncate(end);
    let start = s.len() - s.trim_start().len();
    if start > 0 {
        s.drain(..start);
    }
    s
}

impl Event {
    /// The events this object holds, in schema order, moved out.
    fn into_events(self) -> impl Iterator<Item = RangeEvent> {
        [
            (EventKind::Introduced, self.introduced),
            (EventKind::Fixed, self.fixed),
            (EventKind::LastAffected, self.last_affected),
            (EventKind::Limit, self.limit),
        ]
        .into_iter()
        .filter_map(|(kind, v)| v.map(|version| RangeEvent { kind, version }))
    }
}

impl Affected {
    /// The entry's per-release CVE list: a usable, non-empty `cves_map` (bounded; ids that
    /// are not ids skipped), else `None`.
    fn entry_cves(&self, record: &str) -> Option<Vec<EntryCve>> {
        let Some(Ok(map)) = self.database_specific.as_ref()?.cves_map.as_ref() else {
            return None;
        };
        let cves: Vec<EntryCve> = map
            .cves
            .iter()
            .take(MAX_ENTRY_CVES)
            .filter(|c| is_entry_cve_id(&c.id))
            .map(|c| entry_cve(c, record))
            .collect();
        (!cves.is_empty()).then_some(cves)
    }

    /// [`Record::affected_packages`] for one entry, moving its strings.
    fn into_package(self, record: &str) -> AffectedPackage {
        let cves = self.entry_cves(record);
        let (ecosystem, name, purl) = match self.package {
            Some(p) => (trimmed(p.ecosystem), trimmed(p.name), p.purl),
            None => (String::new(), String::new(), None),
        };
        let informational = match self.database_specific {
            Some(EntrySpecific {
                informational: Some(k),
                ..
            }) if kept_informational(Some(&k)).is_some() => Some(k),
            _ => None,
        };
        AffectedPackage {
            ecosystem,
            name,
            purl,
            informational,
            cves,
            ranges: self
                .ranges
                .into_iter()
                .map(|r| AffectedRange {
                    kind: r.kind,
                    repo: r.repo,
                    events: r.events.into_iter().flat_map(Event::into_events).collect(),
                })
                .collect(),
            versions: self.versions,
        }
    }
}

impl Record {
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    /// The normalised affected packages. Entries without a package (GIT-only entries) are
    /// kept with an empty ecosystem and name: they are not looked up by package, but their
    /// ranges stay in the stored record. Written apart from the moving conversion the import
    /// uses ([`Record::into_advisory`]), as the tests' reference for it.
    #[cfg(test)]
    pub fn affected_packages(&self) -> Vec<AffectedPackage> {
        self.affected
            .iter()
            .map(|a| {
                let (ecosystem, name, purl) = match &a.package {
                    Some(p) => (
                        p.ecosystem.trim().to_string(),
                        p.name.trim().to_string(),
                        p.purl.clone(),
                    ),
                    None => (String::new(), String::new(), None),
                };
                AffectedPackage {
                    ecosystem,
                    name,
                    purl,
                    informational: kept_informational(a.informational()).map(str::to_string),
                    cves: a.entry_cves(self.id()),
                    ranges: a
                        .ranges
                        .iter()
                        .map(|r| AffectedRange {
                            kind: r.kind.clone(),
                            repo: r.repo.clone(),
                            events: r
                                .events
                                .iter()
                                .flat_map(|e| {
                                    e.kinds().map(|(kind, v)| RangeEvent {
                                        kind,
                                        version: v.to_string(),
                                    })
                                })
                                .collect(),
                        })
                        .collect(),
                    versions: a.versions.clone(),
                }
            })
            .collect()
    }

    /// Every severity vector, record-level first, then per affected entry, deduplicated.
    pub fn severity_vectors(&self) -> Vec<&Severity> {
        let mut out: Vec<&Severity> = Vec::new();
        for s in self
            .severity
            .iter()
            .chain(self.affected.iter().flat_map(|a| a.severity.iter()))
        {
            if !out.iter().any(|o| o.kind == s.kind && o.score == s.score) {
                out.push(s);
            }
        }
        out
    }

    /// The record's ratings in words, deduplicated, in this order: Ubuntu priorities of
    /// `severity[]` (record, then entries), the `database_specific.severity` word, the
    /// severity an erratum's summary starts with. Words not on their scale are left out
    /// ([`validate`] warns).
    pub fn vendor_severities(&self) -> Vec<VendorSeverity> {
        let id = self.id();
        let mut out: Vec<VendorSeverity> = Vec::new();
        let ubuntu = self
            .severity_vectors()
            .into_iter()
            .filter(|s| s.kind == "Ubuntu")
            .filter_map(|s| Scale::UbuntuPriority.rate(&s.score, vendor::UBUNTU_PRIORITY, id));
        let database = self
            .database_specific
            .as_ref()
            .and_then(|d| d.severity.as_deref())
            .and_then(|w| Scale::Ghsa.rate(w, &vendor::database_kind(id), id));
        let summary = self
            .summary
            .as_deref()
            .and_then(|s| vendor::summary_rating(id, s));
        for v in ubuntu.chain(database).chain(summary) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// Convert to the stored form, moving the strings. Call after [`validate`] found no
    /// `Reject`.
    pub fn into_advisory(
        self,
        source: RecordSource,
        severity: Vec<caulk_model::advisory::CvssScore>,
    ) -> caulk_model::advisory::Advisory {
        let vendor_severity = self.vendor_severities();
        let id = self.id.unwrap_or_default();
        let affected = self
            .affected
            .into_iter()
            .map(|a| a.into_package(&id))
            .collect();
        caulk_model::advisory::Advisory {
            vendor_severity,
            id,
            modified: self.modified.unwrap_or_default(),
            published: self.published,
            withdrawn: self.withdrawn,
            summary: self.summary,
            aliases: self.aliases,
            upstream: self.upstream,
            related: self.related,
            severity,
            affected,
            source,
        }
    }

    /// Convert to the stored form, copying (the tests' reference for
    /// [`Record::into_advisory`]).
    #[cfg(test)]
    pub fn to_advisory(
        &self,
        source: RecordSource,
        severity: Vec<caulk_model::advisory::CvssScore>,
    ) -> caulk_model::advisory::Advisory {
        caulk_model::advisory::Advisory {
            vendor_severity: self.vendor_severities(),
            id: self.id().to_string(),
            modified: self.modified.clone().unwrap_or_default(),
            published: self.published.clone(),
            withdrawn: self.withdrawn.clone(),
            summary: self.summary.clone(),
            aliases: self.aliases.clone(),
            upstream: self.upstream.clone(),
            related: self.related.clone(),
            severity,
            affected: self.affected_packages(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caulk_version::Ecosystem;
    use caulk_version::range::{Verdict, evaluate_in};

    #[test]
    fn rfc3339() {
        for ok in [
            "2024-01-02T03:04:05Z",
            "0001-01-01T00:00:00Z",
            "2024-01-02T03:04:05.123456Z",
            "2024-01-02T03:04:05+01:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "2024-01-02",
            "2024-13-02T03:04:05Z",
            "2024-01-02T03:04:05",
            "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05+0100",
            "2024-01-02T03:04:05Zjunk",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn tolerant_of_nulls_unknown_fields_and_values() {
        let r = parse(
            br#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","aliases":null,
            "severity":[{"type":"CVSS_V9","score":"whatever"}],
            "future_field":{"a":[1,2]},
            "affected":[{"package":{"ecosystem":"NewEco:1","name":"p"},
              "ranges":[{"type":"CALVER","events":[{"introduced":"0"},{"fixed":"2024.1"},{"yanked":"x"}]}],
              "versions":null}]}"#,
        )
        .expect("parses");
        assert!(r.aliases.is_empty());
        assert_eq!(r.severity[0].kind, "CVSS_V9");
        let f = validate(&r);
        assert!(f.iter().all(|f| f.level == Level::Warn), "{f:?}");
        assert!(f.iter().any(|f| f.code == "EVT:001"));
        let p = r.affected_packages();
        assert_eq!(p[0].ranges[0].events.len(), 2);
        assert_eq!(p[0].ranges[0].kind, "CALVER");
    }

    #[test]
    fn missing_required_fields_reject() {
        let r = parse(br#"{"affected":[]}"#).expect("parses");
        let f = validate(&r);
        let rejects: Vec<_> = f
            .iter()
            .filter(|f| f.level == Level::Reject)
            .map(|f| f.to_string())
            .collect();
        assert_eq!(
            rejects,
            [
                "REC:000 at id: missing id",
                "REC:000 at modified: missing modified"
            ]
        );
        let r = parse(br#"{"id":"A","modified":"yesterday"}"#).expect("parses");
        assert!(
            validate(&r)
                .iter()
                .any(|f| f.level == Level::Reject && f.path == "modified")
        );
    }

    #[test]
    fn wrong_types_are_parse_errors_with_position() {
        let e = parse(br#"{"id":"A","modified":"2024-01-01T00:00:00Z","aliases":"CVE-1"}"#)
            .expect_err("string where list");
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn moving_and_copying_conversions_agree() {
        let r = parse(
            br#"{"id":"X-2","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1"],
            "affected":[{"package":{"ecosystem":" Debian:12 ","name":"openssl ","purl":"pkg:deb/debian/openssl"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"},{"last_affected":"2"},{"limit":"3"}]},
                        {"type":"GIT","repo":"https://x","events":[{"introduced":"abc"}]}],
              "versions":["0.9"]},
              {"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}]}"#,
        )
        .expect("parses");
        let src = RecordSource {
            feed: "f".into(),
            file: "x.json".into(),
        };
        let copied = r.to_advisory(src.clone(), vec![]);
        let moved = r.into_advisory(src, vec![]);
        assert_eq!(copied, moved);
        assert_eq!(moved.affected[0].ecosystem, "Debian:12");
        assert_eq!(moved.affected[0].name, "openssl");
        assert_eq!(moved.affected[0].ranges[0].events.len(), 4);
    }

    /// RustSec's `affected[].database_specific.informational`: the three kinds, another
    /// kind kept as written, and every odd shape of `database_specific` still parses.
    #[test]
    fn informational_kind_is_read_and_odd_shapes_are_tolerated() {
        let entry = |ds: &str| {
            format!(
                r#"{{"package":{{"ecosystem":"crates.io","name":"p"}},"database_specific":{ds},
                "ranges":[{{"type":"SEMVER","events":[{{"introduced":"0.0.0-0"}}]}}]}}"#
            )
        };
        let long = "x".repeat(MAX_INFORMATIONAL_LEN + 1);
        let cases: Vec<(String, Option<&str>)> = vec![
            (
                r#"{"categories":[],"cvss":null,"informational":"unmaintained"}"#.into(),
                Some("unmaintained"),
            ),
            (r#"{"informational":"unsound"}"#.into(), Some("unsound")),
            (r#"{"informational":" notice "}"#.into(), Some("notice")),
            (
                r#"{"informational":"deprecated-api","x":{"informational":"no"}}"#.into(),
                Some("deprecated-api"),
            ),
            (r#"{"informational":null}"#.into(), None),
            (r#"{"informational":""}"#.into(), None),
            (r#"{"informational":true}"#.into(), None),
            (r#"{"informational":["unsound"]}"#.into(), None),
            (r#"{"informational":{"kind":"unsound"}}"#.into(), None),
            (r#"{"source":"x"}"#.into(), None),
            ("null".into(), None),
            (r#""unmaintained""#.into(), None),
            (r#"["informational","unsound"]"#.into(), None),
            ("42".into(), None),
            (format!(r#"{{"informational":"{long}"}}"#), None),
            (r#"{"informational":"a\u0007b"}"#.into(), None),
        ];
        for (ds, want) in cases {
            let json = format!(
                r#"{{"id":"RUSTSEC-1","modified":"2024-01-01T00:00:00Z","affected":[{}]}}"#,
                entry(&ds)
            );
            let r = parse(json.as_bytes()).unwrap_or_else(|e| panic!("{ds}: {e}"));
            let f = validate(&r);
            assert!(f.iter().all(|f| f.level == Level::Warn), "{ds}: {f:?}");
            let bounded = ds.contains(&long) || ds.contains(r"\u0007");
            assert_eq!(
                f.iter().any(|f| f.code == "INF:001"),
                bounded,
                "{ds}: {f:?}"
            );
            let copied = r.affected_packages();
            assert_eq!(copied[0].informational.as_deref(), want, "{ds}");
            let src = RecordSource {
                feed: "osv/crates.io".into(),
                file: "RUSTSEC-1.json".into(),
            };
            assert_eq!(r.into_advisory(src, vec![]).affected, copied, "{ds}");
        }
        // An entry without database_specific is a vulnerability entry.
        let r = parse(
            br#"{"id":"A","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"p"}}]}"#,
        )
        .expect("parses");
        assert_eq!(r.affected_packages()[0].informational, None);
    }

    /// Ubuntu's per-entry `cves_map` (the real USN-5844-1 shape, cut down): the entry keeps
    /// the CVEs of its release with their scored CVSS and Ubuntu priority; every odd shape
    /// parses, warns, and leaves the entry covering every vulnerability of the record.
    #[test]
    fn cves_map_is_read_and_odd_shapes_are_tolerated() {
        let rec = |map: &str| {
            format!(
                r#"{{"id":"USN-5844-1","modified":"2026-04-27T14:11:29Z",
                "upstream":["UBUNTU-CVE-2022-4203","UBUNTU-CVE-2023-0286"],
                "affected":[{{"package":{{"ecosystem":"Ubuntu:20.04:LTS","name":"openssl"}},
                  "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.1.1f-1ubuntu2.17"}}]}}],
                  "database_specific":{{"cves_map":{map}}}}}]}}"#
            )
        };
        let good = r#"{"ecosystem":"Ubuntu:20.04:LTS","cves":[{"id":"CVE-2023-0286","severity":[
            {"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H"},
            {"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H"},
            {"type":"Ubuntu","score":"high"}]}]}"#;
        let r = parse(rec(good).as_bytes()).expect("parses");
        assert!(validate(&r).is_empty(), "{:?}", validate(&r));
        let src = RecordSource {
            feed: "osv/Ubuntu".into(),
            file: "USN-5844-1.json".into(),
        };
        let a = r.clone().into_advisory(src.clone(), vec![]);
        assert_eq!(a, r.to_advisory(src.clone(), vec![]));
        let cves = a.affected[0].cves.as_ref().expect("a map");
        assert_eq!(cves.len(), 1);
        assert_eq!(cves[0].id, "CVE-2023-0286");
        assert_eq!(cves[0].cvss.len(), 1, "the repeated vector is one score");
        assert_eq!(cves[0].cvss[0].base_score, 7.4);
        assert_eq!(cves[0].cvss[0].source, "osv:USN-5844-1");
        assert_eq!(
            (
                cves[0].vendor[0].label.as_str(),
                cves[0].vendor[0].kind.as_str()
            ),
            ("high", "Ubuntu priority")
        );

        let many = format!(
            r#"{{"cves":[{}]}}"#,
            vec![r#"{"id":"CVE-2023-1"}"#; MAX_ENTRY_CVES + 1].join(",")
        );
        for (map, kept, warns) in [
            (r#""not a map""#.to_string(), None, 1),
            (r#"{"cves":"CVE-1"}"#.into(), None, 1),
            (r#"{"cves":[{"id":42}]}"#.into(), None, 1),
            (r#"{"cves":[]}"#.into(), None, 1),
            ("null".into(), None, 0),
            (r#"{"cves":null}"#.into(), None, 1),
            (r#"{"cves":[{"id":""},{"id":"CVE-2023-2"}]}"#.into(), Some(1), 1),
            (
                r#"{"ecosystem":"Ubuntu:22.04:LTS","cves":[{"id":"CVE-2023-2"}]}"#.into(),
                Some(1),
                1,
            ),
            (
                r#"{"cves":[{"id":"CVE-2023-2","severity":[{"type":"Ubuntu","score":"severe"},
                   {"type":"CVSS_V3","score":"CVSS:3.1/AV:N"},{"type":"Ubuntu","score":"untriaged"}]}]}"#
                    .into(),
                Some(1),
                2,
            ),
            (many, Some(MAX_ENTRY_CVES), 1),
        ] {
            let r = parse(rec(&map).as_bytes()).unwrap_or_else(|e| panic!("{map}: {e}"));
            let f = validate(&r);
            assert!(f.iter().all(|f| f.level == Level::Warn), "{map}: {f:?}");
            assert_eq!(
                f.iter().filter(|f| f.code == "UBU:001").count(),
                warns,
                "{map}: {f:?}"
            );
            let a = r.into_advisory(src.clone(), vec![]);
            let got = a.affected[0].cves.as_ref().map(Vec::len);
            assert_eq!(got, kept, "{}", &map[..map.len().min(80)]);
            if let Some(c) = a.affected[0].cves.as_ref() {
                assert!(c[0].vendor.is_empty() && c[0].cvss.is_empty());
            }
        }
    }

    /// Ratings in words: Ubuntu priority in `severity[]`, GHSA's `database_specific.severity`,
    /// the impact an AlmaLinux summary starts with; words off their scale warn and are left out.
    #[test]
    fn ratings_in_words_are_read_with_their_source() {
        let r = parse(
            br#"{"id":"UBUNTU-CVE-2025-6491","modified":"2026-01-01T00:00:00Z",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"},
                        {"type":"Ubuntu","score":"medium"}]}"#,
        )
        .expect("parses");
        let v = r.vendor_severities();
        assert_eq!(v.len(), 1);
        assert_eq!(
            (v[0].severity, v[0].source.as_str()),
            (
                caulk_model::advisory::Severity::Medium,
                "osv:UBUNTU-CVE-2025-6491"
            )
        );
        let r = parse(
            br#"{"id":"GHSA-xxxx-yyyy-zzzz","modified":"2026-01-01T00:00:00Z",
            "database_specific":{"cwe_ids":["CWE-79"],"severity":"MODERATE","github_reviewed":true}}"#,
        )
        .expect("parses");
        let v = r.vendor_severities();
        assert_eq!(
            (v[0].label.as_str(), v[0].kind.as_str()),
            ("MODERATE", "GHSA severity")
        );
        for odd in [
            r#"{"severity":3}"#,
            r#"{"severity":["HIGH"]}"#,
            r#""HIGH""#,
            r#"[1,2]"#,
            r#"{"severity":{"score":"HIGH"}}"#,
        ] {
            let json = format!(
                r#"{{"id":"GHSA-1","modified":"2026-01-01T00:00:00Z","database_specific":{odd}}}"#
            );
            let r = parse(json.as_bytes()).unwrap_or_else(|e| panic!("{odd}: {e}"));
            assert!(r.vendor_severities().is_empty(), "{odd}");
        }
        let r = parse(
            br#"{"id":"GHSA-2","modified":"2026-01-01T00:00:00Z","database_specific":{"severity":"SEVERE"},
            "severity":[{"type":"Ubuntu","score":"urgent"}]}"#,
        )
        .expect("parses");
        assert!(r.vendor_severities().is_empty());
        let codes: Vec<&str> = validate(&r).iter().map(|f| f.code).collect();
        assert_eq!(
            codes.iter().filter(|c| **c == "SEV:001").count(),
            2,
            "{codes:?}"
        );
        let r = parse(
            br#"{"id":"ALSA-2024:0265","modified":"2026-01-01T00:00:00Z","summary":"Moderate: tar security update"}"#,
        )
        .expect("parses");
        assert_eq!(r.vendor_severities()[0].kind, "AlmaLinux severity");
    }

    #[test]
    fn converts_for_matching() {
        let r = parse(
            br#"{"id":"DSA-1","modified":"2023-04-02T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:11","name":"openssl"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1n-0+deb11u4"}]}]}]}"#,
        )
        .expect("parses");
        let p = &r.affected_packages()[0];
        let a = p.to_range_affected();
        let eco = Ecosystem::parse(&p.ecosystem);
        assert_eq!(
            evaluate_in(&eco, &a, "1.1.1n-0+deb11u3").verdict,
            Verdict::Affected
        );
        assert_eq!(
            evaluate_in(&eco, &a, "1.1.1n-0+deb11u4").verdict,
            Verdict::NotAffected
        );
        assert_eq!(p.fixed_versions().collect::<Vec<_>>(), ["1.1.1n-0+deb11u4"]);
    }

    #[test]
    fn nointroduced_rejects_and_nondistinct_warns() {
        let r = parse(
            br#"{"id":"A","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"p"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.0"}]},
                      {"type":"ECOSYSTEM","events":[{"introduced":"2.0"},{"fixed":"2.0"}]}]}]}"#,
        )
        .expect("parses");
        let f = validate(&r);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(
            (f[0].level, f[0].code, f[0].path.as_str()),
            (Level::Reject, "RNG:001", "affected[0].ranges[0]")
        );
        assert_eq!(
            (f[1].level, f[1].code, f[1].path.as_str()),
            (Level::Warn, "RNG:002", "affected[0].ranges[1]")
        );
    }
}
