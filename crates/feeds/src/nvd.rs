//! NVD CVE API 2.0 records as an optional CVSS source: the `metrics` of each CVE
//! (`cvssMetricV40`, `cvssMetricV31`, `cvssMetricV30`, `cvssMetricV2`), every vector
//! rescored by us and kept beside the score NVD published.
//!
//! Accepted shapes: an API response (`{"vulnerabilities":[{"cve":{…}}]}`), one item of it
//! (`{"cve":{…}}`), a single CVE object (`{"id":"CVE-…","metrics":{…}}`), or JSON lines of
//! any of these. A vector that does not
//! score is reported; a recomputed score that differs from the published one is kept (ours
//! is what ranks) and reported. Pure: no I/O.

use crate::score;
use caulk_model::advisory::CvssScore;
use serde_json::Value;

#[derive(Debug, Default)]
pub struct Nvd {
    /// `(cve id, score)`, in input order.
    pub scores: Vec<(String, CvssScore)>,
    /// CVE objects read (with or without metrics).
    pub cves: usize,
    /// `(cve id or "", reason)`: vectors we could not score, objects that are not CVEs.
    pub rejected: Vec<(String, String)>,
    /// `(cve id, message)`: our score differs from the published one.
    pub mismatches: Vec<(String, String)>,
}

/// Read every CVE object in `doc` (one JSON document).
pub fn read_document(doc: &Value, out: &mut Nvd) {
    if let Some(list) = doc.get("vulnerabilities").and_then(Value::as_array) {
        for item in list {
            read_cve(item.get("cve").unwrap_or(item), out);
        }
    } else if let Some(cve) = doc.get("cve").filter(|c| c.is_object()) {
        // One item of an API response on its own (`{"cve": {…}}`, a line of the JSON-lines
        // exports made from the API).
        read_cve(cve, out);
    } else {
        read_cve(doc, out);
    }
}

/// Parse a `.json` document or `.jsonl` lines.
pub fn parse(text: &str) -> Nvd {
    let mut out = Nvd::default();
    match serde_json::from_str::<Value>(text) {
        Ok(doc) => read_document(&doc, &mut out),
        Err(_) => {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(doc) => read_document(&doc, &mut out),
                    Err(e) => out
                        .rejected
                        .push((String::new(), format!("line {}: {e}", i + 1))),
                }
            }
        }
    }
    out
}

fn read_cve(cve: &Value, out: &mut Nvd) {
    let Some(id) = cve.get("id").and_then(Value::as_str) else {
        out.rejected
            .push((String::new(), "object without a CVE id".into()));
        return;
    };
    out.cves += 1;
    let Some(metrics) = cve.get("metrics").and_then(Value::as_object) else {
        return;
    };
    for key in [
        "cvssMetricV40",
        "cvssMetricV31",
        "cvssMetricV30",
        "cvssMetricV2",
    ] {
        for m in metrics
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let data = m.get("cvssData").unwrap_or(&Value::Null);
            let Some(vector) = data.get("vectorString").and_then(Value::as_str) else {
                out.rejected.push((
                    id.to_string(),
                    format!("{key}: cvssData without vectorString"),
                ));
                continue;
            };
            let published = data.get("baseScore").and_then(Value::as_f64);
            let source = m.get("source").and_then(Value::as_str).unwrap_or("nvd");
            let kind = m.get("type").and_then(Value::as_str).unwrap_or("");
            match score::score(vector) {
                Ok(s) => {
                    if let Some(p) = published
                        && (p - s.base).abs() > 0.05
                    {
                        out.mismatches.push((
                            id.to_string(),
                            format!("{vector}: NVD says {p}, computed {}", s.base),
                        ));
                    }
                    let src = if kind.is_empty() {
                        format!("nvd:{source}")
                    } else {
                        format!("nvd:{source}:{kind}")
                    };
                    out.scores
                        .push((id.to_string(), s.to_model(src, published)));
                }
                Err(e) => out.rejected.push((id.to_string(), e.to_string())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_response_and_single_object() {
        let n = parse(
            r#"{"vulnerabilities":[{"cve":{"id":"CVE-2021-3881","metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary",
            "cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8}}],
            "cvssMetricV2":[{"source":"nvd@nist.gov","cvssData":{"vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","baseScore":7.0}}]}}},
            {"cve":{"id":"CVE-2024-0069","metrics":{}}}]}"#,
        );
        assert_eq!(n.cves, 2);
        assert_eq!(n.scores.len(), 2);
        assert_eq!(n.scores[0].1.source, "nvd:nvd@nist.gov:Primary");
        assert_eq!(n.mismatches.len(), 1, "7.0 published vs 7.5 computed");
        let n = parse(
            "{\"id\":\"CVE-1\",\"metrics\":{\"cvssMetricV31\":[{\"cvssData\":{\"vectorString\":\"CVSS:3.1/AV:N\"}}]}}\n",
        );
        assert_eq!(n.rejected.len(), 1);
    }
}
