//! Fuzz the RubyGems specification reader: the first line is the file name, the rest the
//! gemspec. No input may panic. Run: `cargo fuzz run inventory_gem`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (name, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let name = String::from_utf8_lossy(name);
    let _ = caulk_inventory::lang::gem::parse_gemspec(&name, body);
});
