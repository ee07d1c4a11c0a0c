//! Fuzz the Berkeley DB hash Packages reader: no input may panic. Run: `cargo fuzz run inventory_rpm_bdb`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::rpm::parse_bdb(
        data,
        "Packages",
        &distro("Red Hat:enterprise_linux:8", "redhat"),
        &limits(),
    );
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
