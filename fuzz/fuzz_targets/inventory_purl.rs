//! Fuzz the purl parser and builder (parse → build → parse keeps the parts): no input may panic. Run: `cargo fuzz run inventory_purl`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(p) = caulk_inventory::purl::parse(s) {
        let q: Vec<(&str, &str)> = p
            .qualifiers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let built = caulk_inventory::purl::build(
            &p.ty,
            p.namespace.as_deref(),
            &p.name,
            p.version.as_deref(),
            &q,
        );
        if let Some(again) = caulk_inventory::purl::parse(&built) {
            assert_eq!(again.name, p.name);
            assert_eq!(again.version, p.version);
        }
    }
});
