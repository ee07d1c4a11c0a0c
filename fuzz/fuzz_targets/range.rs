//! Fuzz OSV range evaluation with arbitrary events and versions: it must never panic.
//! Run: `cargo fuzz run range`.
#![no_main]
use caulk_version::Scheme;
use caulk_version::range::{Affected, Event, EventKind, Range, RangeKind, evaluate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\n');
    let Some(first) = parts.next() else { return };
    let scheme = Scheme::ALL[first.len() % Scheme::ALL.len()];
    let version = parts.next().unwrap_or("");
    let events: Vec<Event> = parts
        .take(16)
        .enumerate()
        .map(|(i, v)| {
            let kind = match (i + v.len()) % 4 {
                0 => EventKind::Introduced,
                1 => EventKind::Fixed,
                2 => EventKind::LastAffected,
                _ => EventKind::Limit,
            };
            Event::new(kind, v)
        })
        .collect();
    let affected = Affected {
        ranges: vec![Range {
            kind: RangeKind::Ecosystem,
            events,
        }],
        versions: vec![version.to_string()],
    };
    let _ = evaluate(Some(scheme), "fuzz", &affected, version);
});
