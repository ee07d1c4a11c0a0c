//! Fuzz the SQLite rpmdb reader (our own SQLite file-format reader): no input may panic. Run: `cargo fuzz run inventory_rpm_sqlite`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::rpm::parse_sqlite(
        data,
        "rpmdb.sqlite",
        &caulk_fuzz::distro("Rocky Linux:9", "rocky"),
        &caulk_fuzz::inventory_limits(),
    );
});
