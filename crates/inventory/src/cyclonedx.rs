//! CycloneDX 1.6 JSON export of an inventory: one component per package, with its purl;
//! the host's OS as an `operating-system` component. Deterministic: components follow the
//! inventory's order and carry no timestamps or random serial numbers.

use caulk_model::inventory::Inventory;
use serde_json::{Value, json};

pub fn export(inv: &Inventory) -> Value {
    let mut components = Vec::new();
    if let Some(os) = &inv.host.os {
        components.push(json!({
            "type": "operating-system",
            "bom-ref": "os",
            "name": os.id.clone().unwrap_or_default(),
            "version": os.version_id.clone().unwrap_or_default(),
            "description": os.pretty_name.clone().unwrap_or_default(),
            "properties": [{"name": "caulk:ecosystem", "value": os.ecosystem.clone().unwrap_or_default()}],
        }));
    }
    for (i, p) in inv.packages.iter().enumerate() {
        let mut props = vec![
            json!({"name": "caulk:ecosystem", "value": p.ecosystem}),
            json!({"name": "caulk:file", "value": p.file}),
        ];
        if let Some(a) = &p.arch {
            props.push(json!({"name": "caulk:arch", "value": a}));
        }
        if let Some(s) = &p.source_name {
            props.push(json!({"name": "caulk:source_name", "value": s}));
        }
        if let Some(s) = &p.source_version {
            props.push(json!({"name": "caulk:source_version", "value": s}));
        }
        let mut c = json!({
            "type": "library",
            "bom-ref": format!("pkg-{}", i + 1),
            "name": p.name,
            "version": p.version,
            "properties": props,
        });
        if let Some(u) = &p.purl {
            c["purl"] = json!(u);
        }
        if let Some(v) = &p.vendor {
            c["publisher"] = json!(v);
        }
        components.push(c);
    }
    let mut meta = json!({
        "tools": {"components": [{"type": "application", "name": "caulk", "version": env!("CARGO_PKG_VERSION")}]},
    });
    if let Some(h) = &inv.host.hostname {
        meta["component"] = json!({"type": "device", "bom-ref": "host", "name": h});
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": meta,
        "components": components,
    })
}
