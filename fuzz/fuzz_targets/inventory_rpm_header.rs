//! Fuzz the RPM header blob parser: no input may panic. Run: `cargo fuzz run inventory_rpm_header`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = caulk_inventory::rpm::parse_header(data) {
        let _ = caulk_inventory::rpm::to_package(&h, "f", &distro("Rocky Linux:9", "rocky"));
    }
});

#[allow(dead_code)]
fn limits() -> caulk_inventory::Limits {
    // Small bounds so the fuzzer explores the limit paths too.
    caulk_inventory::Limits {
        max_records: 1000,
        max_line_bytes: 4096,
        max_nesting: 32,
        ..caulk_inventory::Limits::default()
    }
}

#[allow(dead_code)]
fn distro(eco: &str, ns: &str) -> caulk_inventory::Distro {
    caulk_inventory::Distro {
        ecosystem: eco.into(),
        namespace: ns.into(),
        distro: Some(format!("{ns}-1")),
    }
}
