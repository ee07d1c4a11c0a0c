//! Fuzz the Berkeley DB hash Packages reader: no input may panic. Run: `cargo fuzz run inventory_rpm_bdb`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::rpm::parse_bdb(
        data,
        "Packages",
        &caulk_fuzz::distro("Red Hat:enterprise_linux:8", "redhat"),
        &caulk_fuzz::inventory_limits(),
    );
});
