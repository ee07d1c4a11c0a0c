//! Fuzz os-release parsing and the ecosystem mapping: no input may panic. Run: `cargo fuzz run inventory_os_release`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (rel, _) = caulk_inventory::os::parse_os_release(data, "os-release");
    let _ = caulk_inventory::os::ecosystem_for(&rel);
    if let Ok(t) = std::str::from_utf8(data) {
        let _ = caulk_inventory::os::parse_redhat_release(t);
    }
});
