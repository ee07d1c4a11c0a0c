//! Fuzz the Java archive reader (zip end record, central directory, entries, nested
//! archives, `pom.properties`): no input may panic. Run: `cargo fuzz run inventory_jar`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::lang::jar::scan(&data);
    let _ = caulk_inventory::lang::jar::parse_pom_properties(data);
});
