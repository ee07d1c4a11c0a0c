//! Fuzz the apk installed-database parser: no input may panic. Run: `cargo fuzz run inventory_apk`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::apk::parse_installed(
        data,
        "installed",
        &caulk_fuzz::distro("Alpine:v3.19", "alpine"),
        &caulk_fuzz::inventory_limits(),
    );
});
