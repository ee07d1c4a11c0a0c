//! OSV parsing, validation, scoring and conversion to the stored form (what the import does
//! with each record) never panic on any input.
#![no_main]

use caulk_model::advisory::RecordSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rec) = caulk_feeds::osv::parse(data) else {
        return;
    };
    let _ = caulk_feeds::osv::validate(&rec);
    let mut severity = Vec::new();
    for s in rec.severity_vectors() {
        if let Ok(Some(sc)) = caulk_feeds::score::score_osv(&s.kind, &s.score) {
            severity.push(sc.to_model("osv:fuzz", None));
        }
    }
    // Converted even when `validate` rejects the record: the conversion must not panic on
    // anything `parse` accepts.
    let source = RecordSource {
        feed: "osv/fuzz".into(),
        file: "fuzz.json".into(),
    };
    let adv = rec.into_advisory(source, severity);
    for p in &adv.affected {
        let a = p.to_range_affected();
        let eco = caulk_version::Ecosystem::parse(&p.ecosystem);
        let _ = caulk_version::range::evaluate_in(&eco, &a, "1.0.0");
    }
});
