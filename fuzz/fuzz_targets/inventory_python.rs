//! Fuzz the Python core-metadata reader (`METADATA`, `PKG-INFO`): no input may panic. Run:
//! `cargo fuzz run inventory_python`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::lang::python::parse_metadata(data);
});
