//! Fuzz the RPM header blob parser: no input may panic. Run: `cargo fuzz run inventory_rpm_header`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = caulk_inventory::rpm::parse_header(data) {
        let _ = caulk_inventory::rpm::to_package(
            &h,
            "f",
            &caulk_fuzz::distro("Rocky Linux:9", "rocky"),
        );
    }
});
