//! Fuzz the executable reader (ELF headers and sections, Go build information in both
//! layouts, cargo-auditable `.dep-v0`): no input may panic or allocate past the bounds. Run:
//! `cargo fuzz run inventory_binary`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::lang::binary_packages(&data);
    let _ = caulk_inventory::lang::golang::parse_modinfo(data);
    let _ = caulk_inventory::lang::rust::parse_dep_v0(data);
});
