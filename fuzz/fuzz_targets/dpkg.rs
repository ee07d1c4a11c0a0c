//! Fuzz the dpkg parser and comparator: no input may panic, and the order must be
//! antisymmetric and reflexive on whatever parses. Run: `cargo fuzz run dpkg`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| caulk_fuzz::check(caulk_version::Scheme::Dpkg, data));
