//! CISA Known Exploited Vulnerabilities catalogue (`known_exploited_vulnerabilities.json`).
//!
//! Each entry is checked on its own: an entry without a CVE id or with a malformed date is
//! reported and skipped, the rest of the catalogue is imported. Pure: no I/O.

use caulk_model::advisory::{KevEntry, RansomwareUse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Catalog {
    #[serde(rename = "catalogVersion", default)]
    catalog_version: Option<String>,
    #[serde(rename = "dateReleased", default)]
    date_released: Option<String>,
    #[serde(default)]
    vulnerabilities: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID", default)]
    cve_id: Option<String>,
    #[serde(default)]
    vendor_project: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    vulnerability_name: Option<String>,
    #[serde(default)]
    date_added: Option<String>,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
    #[serde(default)]
    required_action: Option<String>,
}

/// The catalogue: its version, release time, the good entries and the bad ones
/// (`(index, cve id if any, reason)`).
#[derive(Debug, Default)]
pub struct Kev {
    pub catalog_version: Option<String>,
    pub date_released: Option<String>,
    pub entries: Vec<KevEntry>,
    pub rejected: Vec<(usize, Option<String>, String)>,
}

/// `CVE-YYYY-NNNN…`
pub fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((y, n)) = rest.split_once('-') else {
        return false;
    };
    y.len() == 4
        && y.bytes().all(|b| b.is_ascii_digit())
        && n.len() >= 4
        && n.len() <= 19
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD`
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&((b[5] - b'0') * 10 + (b[6] - b'0')))
        && (1..=31).contains(&((b[8] - b'0') * 10 + (b[9] - b'0')))
}

/// Parse the catalogue. Only a document that is not a KEV catalogue at all is an error.
pub fn parse(bytes: &[u8]) -> Result<Kev, serde_json::Error> {
    let c: Catalog = serde_json::from_slice(bytes)?;
    let mut out = Kev {
        catalog_version: c.catalog_version,
        date_released: c.date_released,
        ..Kev::default()
    };
    for (i, v) in c
        .vulnerabilities
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let raw: RawEntry = match serde_json::from_value(v) {
            Ok(r) => r,
            Err(e) => {
                out.rejected.push((i, None, format!("entry {i}: {e}")));
                continue;
            }
        };
        let cve = raw.cve_id.clone().unwrap_or_default();
        let reason = if !is_cve_id(&cve) {
            Some(format!("entry {i}: cveID {cve:?} is not a CVE id"))
        } else if !raw.date_added.as_deref().is_some_and(is_date) {
            Some(format!(
                "{cve}: dateAdded {:?} is not YYYY-MM-DD",
                raw.date_added
            ))
        } else if !raw.due_date.as_deref().is_some_and(is_date) {
            Some(format!(
                "{cve}: dueDate {:?} is not YYYY-MM-DD",
                raw.due_date
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            out.rejected.push((i, raw.cve_id, reason));
            continue;
        }
        out.entries.push(KevEntry {
            cve_id: cve,
            vendor_project: raw.vendor_project.unwrap_or_default(),
            product: raw.product.unwrap_or_default(),
            vulnerability_name: raw.vulnerability_name.unwrap_or_default(),
            date_added: raw.date_added.unwrap_or_default(),
            due_date: raw.due_date.unwrap_or_default(),
            known_ransomware_campaign_use: RansomwareUse::parse(
                raw.known_ransomware_campaign_use
                    .as_deref()
                    .unwrap_or("Unknown"),
            ),
            required_action: raw.required_action.unwrap_or_default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_entries() {
        let k = parse(
            br#"{"catalogVersion":"1","vulnerabilities":[
            {"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","vulnerabilityName":"x",
             "dateAdded":"2021-12-10","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known","requiredAction":"Patch.","extra":1},
            {"cveID":"CVE-2021-1","dateAdded":"2021-12-10","dueDate":"2021-12-24"},
            {"cveID":"CVE-2021-44229","dateAdded":"10/12/2021","dueDate":"2021-12-24"},
            {"cveID":null},
            7]}"#,
        )
        .expect("catalogue");
        assert_eq!(k.entries.len(), 1);
        assert_eq!(
            k.entries[0].known_ransomware_campaign_use,
            RansomwareUse::Known
        );
        assert_eq!(k.entries[0].due_date, "2021-12-24");
        assert_eq!(k.rejected.len(), 4);
        assert!(k.rejected[1].2.contains("dateAdded"), "{:?}", k.rejected);
    }

    #[test]
    fn ids_and_dates() {
        assert!(is_cve_id("CVE-2021-44228") && is_cve_id("CVE-2021-0001"));
        assert!(!is_cve_id("CVE-21-44228") && !is_cve_id("GHSA-x") && !is_cve_id("CVE-2021-12"));
        assert!(is_date("2025-08-25") && !is_date("2025-13-01") && !is_date("2025-8-25"));
    }
}
