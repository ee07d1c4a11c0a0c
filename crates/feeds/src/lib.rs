//! Feed formats, pure: what the advisory feeds say and how to read it, with no file, network
//! or database in sight (the advisory database and feed sync build on this).
//!
//! Owns: the OSV wire format ([`osv::Record`], tolerant parsing and validation), CVSS scoring
//! ([`score`]), CISA KEV, EPSS and NVD parsing ([`kev`], [`epss`], [`nvd`]) (vulnerability identity —
//! which ids are one vulnerability — is `caulk_model::identity`, shared with the in-memory
//! advisory source).
//!
//! The traps: feeds are messy (unknown enum values, `null` lists, ranges without
//! `introduced`, the same id in several files, abbreviated commit hashes), and one bad record
//! must never cost the rest of a feed; a CVSS v3 vector missing base metrics still "scores"
//! in the `cvss` crate; `related` is not identity, and a DSA's `upstream` list names several
//! vulnerabilities, not one.

pub mod epss;
pub mod kev;
pub mod nvd;
pub mod osv;
pub mod score;
pub mod vendor;
