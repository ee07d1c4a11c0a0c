//! Fuzz the `node_modules/*/package.json` reader: no input may panic. Run:
//! `cargo fuzz run inventory_npm`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::lang::npm::parse_package_json(data);
});
