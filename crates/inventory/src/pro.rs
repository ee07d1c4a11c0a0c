//! Ubuntu Pro: what the Pro client (`ubuntu-advantage-tools`, the `pro` command) says about
//! the machine, from its status cache `/var/lib/ubuntu-advantage/status.json` — attached or
//! not, and which services are enabled (`esm-infra`, `esm-apps`, `fips`, `fips-updates`, …).
//! An enabled ESM or FIPS service means the machine gets its fixes from the `Ubuntu:Pro:…`
//! streams, so matching must consult them.
//!
//! The file (schema `0.1`, written by the client as root, readable by everyone) is JSON:
//! `{"attached": true, "services": [{"name": "esm-infra", "entitled": "yes", "status":
//! "enabled", …}, …], …}`. Only `attached` and each service's `name` and `status` are read;
//! everything else may change. The trap: the file is a cache, written when `pro status`
//! last ran; a service enabled since then is not in it (the client refreshes it on attach,
//! enable and disable, and daily). Bounded and tolerant: a bad file is an issue, never a
//! panic.

use crate::HostAccess;
use caulk_model::inventory::{Issue, IssueKind, UbuntuPro};
use serde_json::Value;

/// Where the Pro client keeps its status.
pub const STATUS_FILE: &str = "/var/lib/ubuntu-advantage/status.json";

/// The real file is a few KB; anything much bigger is not one.
const MAX_STATUS_BYTES: u64 = 1 << 20;
/// Services kept (the client knows about fifteen).
const MAX_SERVICES: usize = 256;
/// The longest service name kept.
const MAX_NAME: usize = 64;

/// Read the Pro status of `host`: `None` when there is no status file (not an Ubuntu Pro
/// client, or never run), or when it cannot be used (an issue says why).
pub fn detect(host: &dyn HostAccess, issues: &mut Vec<Issue>) -> Option<UbuntuPro> {
    let bytes = match host.read(STATUS_FILE, MAX_STATUS_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => {
            issues.push(e.to_issue(STATUS_FILE));
            return None;
        }
    };
    match parse(&bytes) {
        Ok(p) => Some(p),
        Err(why) => {
            issues.push(Issue::new(
                STATUS_FILE,
                IssueKind::BadInput,
                format!("{why}: Ubuntu Pro streams are not consulted"),
            ));
            None
        }
    }
}

/// Parse a status file.
pub fn parse(bytes: &[u8]) -> Result<UbuntuPro, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let o = v.as_object().ok_or("not a JSON object")?;
    let attached = o.get("attached").and_then(Value::as_bool).unwrap_or(false);
    let mut enabled: Vec<String> = Vec::new();
    if attached {
        for s in o
            .get("services")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(MAX_SERVICES)
        {
            let name = s.get("name").and_then(Value::as_str).map(str::trim);
            let status = s.get("status").and_then(Value::as_str);
            if let (Some(n), Some("enabled")) = (name, status)
                && !n.is_empty()
                && n.len() <= MAX_NAME
                && !n.chars().any(|c| c.is_control() || c.is_whitespace())
            {
                enabled.push(n.to_string());
            }
        }
    }
    enabled.sort();
    enabled.dedup();
    Ok(UbuntuPro {
        attached,
        enabled,
        file: STATUS_FILE.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemHost;

    /// The shape `pro status --format json` and the status cache share (client 27+).
    const ATTACHED: &str = r#"{"_doc": "Content provided in json response is currently considered Experimental and may change",
      "_schema_version": "0.1", "attached": true, "machine_id": "x",
      "services": [
        {"name": "esm-apps", "entitled": "yes", "status": "enabled", "available": "yes", "blocked_by": []},
        {"name": "esm-infra", "entitled": "yes", "status": "enabled", "status_details": "Ubuntu Pro: ESM Infra is active"},
        {"name": "fips", "entitled": "yes", "status": "disabled"},
        {"name": "fips-updates", "entitled": "yes", "status": "n/a"},
        {"name": "livepatch", "entitled": "yes", "status": "warning"}],
      "execution_status": "inactive", "contract": {"name": "x"}}"#;

    #[test]
    fn enabled_services_of_an_attached_machine() {
        let p = parse(ATTACHED.as_bytes()).unwrap();
        assert!(p.attached);
        assert_eq!(p.enabled, ["esm-apps", "esm-infra"]);
        assert!(p.is_enabled("esm-infra") && !p.is_enabled("fips"));
    }

    #[test]
    fn unattached_and_hostile_files() {
        let p = parse(
            br#"{"attached": false, "services": [{"name": "esm-infra", "status": "enabled"}]}"#,
        )
        .unwrap();
        assert!(
            !p.attached && p.enabled.is_empty(),
            "not attached: nothing enabled"
        );
        for bad in [&b""[..], b"[]", b"{", b"\"x\"", &[0xff, 0xfe]] {
            assert!(parse(bad).is_err());
        }
        // Odd services are skipped, not fatal.
        let p = parse(
            br#"{"attached": true, "services": [{"name": 3, "status": "enabled"}, {"status": "enabled"},
                {"name": "a b", "status": "enabled"}, "x", {"name": "fips", "status": "enabled"}]}"#,
        )
        .unwrap();
        assert_eq!(p.enabled, ["fips"]);
        let mut issues = Vec::new();
        let host = MemHost::new().with(STATUS_FILE, "{not json");
        assert_eq!(detect(&host, &mut issues), None);
        assert_eq!(issues.len(), 1);
        assert!(
            issues[0].reason.contains("not consulted"),
            "{:?}",
            issues[0]
        );
        let mut issues = Vec::new();
        assert_eq!(detect(&MemHost::new(), &mut issues), None);
        assert!(issues.is_empty());
    }
}
