//! OSV parsing, validation and conversion never panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rec) = caulk_feeds::osv::parse(data) {
        let _ = caulk_feeds::osv::validate(&rec);
        for p in rec.affected_packages() {
            let a = p.to_range_affected();
            let eco = caulk_version::Ecosystem::parse(&p.ecosystem);
            let _ = caulk_version::range::evaluate_in(&eco, &a, "1.0.0");
        }
        for s in rec.severity_vectors() {
            let _ = caulk_feeds::score::score_osv(&s.kind, &s.score);
        }
    }
});
