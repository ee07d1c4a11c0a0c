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
