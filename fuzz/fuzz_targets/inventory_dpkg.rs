//! Fuzz the dpkg status parser (status and status.d modes): no input may panic. Run: `cargo fuzz run inventory_dpkg`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let d = caulk_fuzz::distro("Debian:12", "debian");
    let _ = caulk_inventory::dpkg::parse_status(
        data,
        "status",
        &d,
        false,
        &caulk_fuzz::inventory_limits(),
    );
    let _ = caulk_inventory::dpkg::parse_status(
        data,
        "status.d/x",
        &d,
        true,
        &caulk_fuzz::inventory_limits(),
    );
});
