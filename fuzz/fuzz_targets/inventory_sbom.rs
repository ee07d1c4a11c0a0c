//! Fuzz the SBOM parsers (format detected from the bytes: CycloneDX JSON/XML, SPDX JSON/tag-value): no input may panic. Run: `cargo fuzz run inventory_sbom`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::sbom::parse(data, "bom", &limits());
    let _ = caulk_inventory::sbom::parse_cyclonedx_xml(data, "bom.xml", &limits());
    let _ = caulk_inventory::sbom::parse_spdx_tag_value(data, "bom.spdx", &limits());
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
