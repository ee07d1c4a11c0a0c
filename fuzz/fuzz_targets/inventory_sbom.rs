//! Fuzz the SBOM parsers (format detected from the bytes: CycloneDX JSON/XML, SPDX JSON/tag-value): no input may panic. Run: `cargo fuzz run inventory_sbom`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caulk_inventory::sbom::parse(data, "bom", &caulk_fuzz::inventory_limits());
    let _ = caulk_inventory::sbom::parse_cyclonedx_xml(
        data,
        "bom.xml",
        &caulk_fuzz::inventory_limits(),
    );
    let _ = caulk_inventory::sbom::parse_spdx_tag_value(
        data,
        "bom.spdx",
        &caulk_fuzz::inventory_limits(),
    );
});
