//! Every format rendered from the fixture scan: insta snapshots, determinism, the mappings
//! that matter (levels, VEX statuses, suppressions), CSV parsed back, the OpenVEX rules of
//! its 0.2.0 JSON schema, and the empty report.

mod common;

use caulk_model::finding::{FORMAT_VERSION, ScanReport};
use caulk_report::{Format, RenderOptions, ReportError, render};
use serde_json::Value;
use std::collections::BTreeSet;

fn r(report: &ScanReport, format: Format) -> String {
    render(report, format, &RenderOptions::default())
        .unwrap_or_else(|e| panic!("render {format}: {e}"))
}

fn json(report: &ScanReport, format: Format) -> Value {
    serde_json::from_str(&r(report, format)).expect("valid JSON")
}

// --- snapshots -----------------------------------------------------------------------------

#[test]
fn snapshot_sarif() {
    insta::assert_snapshot!("sarif", r(&common::report(), Format::Sarif));
}

#[test]
fn snapshot_csv() {
    // CRLF record ends (RFC 4180) are checked below; the snapshot shows plain lines.
    insta::assert_snapshot!(
        "csv",
        r(&common::report(), Format::Csv).replace("\r\n", "\n")
    );
}

#[test]
fn snapshot_cyclonedx() {
    insta::assert_snapshot!("cyclonedx", r(&common::report(), Format::CycloneDx));
}

#[test]
fn snapshot_openvex() {
    insta::assert_snapshot!("openvex", r(&common::report(), Format::OpenVex));
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!("markdown", r(&common::report(), Format::Markdown));
}

#[test]
fn snapshot_markdown_details() {
    let opts = RenderOptions {
        details: true,
        ..Default::default()
    };
    let out = render(&common::report(), Format::Markdown, &opts).expect("render");
    insta::assert_snapshot!("markdown_details", out);
}

#[test]
fn snapshot_empty_markdown_and_csv() {
    let e = common::empty_report();
    insta::assert_snapshot!("empty_markdown", r(&e, Format::Markdown));
    insta::assert_snapshot!("empty_csv", r(&e, Format::Csv).replace("\r\n", "\n"));
}

// --- determinism ---------------------------------------------------------------------------

#[test]
fn output_is_deterministic_and_independent_of_input_order() {
    let a = common::report();
    let mut b = common::report();
    b.findings.reverse();
    for f in Format::ALL {
        let x = r(&a, f);
        assert_eq!(x, r(&a, f), "{f}: two renders differ");
        if f != Format::Json {
            assert_eq!(x, r(&b, f), "{f}: depends on the order of report.findings");
        }
        assert!(
            x.ends_with('\n') && !x.ends_with("\n\n"),
            "{f}: one trailing newline"
        );
    }
}

#[test]
fn document_ids_follow_content() {
    let a = common::report();
    let mut b = common::report();
    b.findings.pop();
    let serial = |r: &ScanReport| json(r, Format::CycloneDx)["serialNumber"].clone();
    let vex_id = |r: &ScanReport| json(r, Format::OpenVex)["@id"].clone();
    assert_eq!(serial(&a), serial(&common::report()));
    assert_ne!(serial(&a), serial(&b));
    assert_ne!(vex_id(&a), vex_id(&b));
    let s = serial(&a);
    let s = s.as_str().expect("serialNumber is a string");
    // The pattern of CycloneDX 1.6: a version 1–5 UUID URN.
    let u = s.strip_prefix("urn:uuid:").expect("urn:uuid:");
    assert_eq!(u.len(), 36);
    assert_eq!(&u[14..15], "5", "{s}");
    assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{s}");
}

#[test]
fn no_timestamp_but_the_reports() {
    let a = common::report();
    assert_eq!(
        json(&a, Format::OpenVex)["timestamp"],
        "2026-11-27T00:00:00Z"
    );
    assert_eq!(
        json(&a, Format::CycloneDx)["metadata"]["timestamp"],
        "2026-11-27T00:00:00Z"
    );
    assert!(
        json(&a, Format::Sarif)["runs"][0]["invocations"][0]
            .get("startTimeUtc")
            .is_none()
    );
    let mut b = common::report();
    b.generated_at = Some("2026-11-27T08:15:00Z".into());
    assert_eq!(
        json(&b, Format::OpenVex)["timestamp"],
        "2026-11-27T08:15:00Z"
    );
    assert_eq!(
        json(&b, Format::Sarif)["runs"][0]["invocations"][0]["startTimeUtc"],
        "2026-11-27T08:15:00Z"
    );
}

#[test]
fn unknown_format_version_is_refused() {
    let mut rep = common::report();
    rep.format_version = FORMAT_VERSION + 1;
    for f in Format::ALL {
        let e = render(&rep, f, &RenderOptions::default()).expect_err("must refuse");
        assert!(
            matches!(e, ReportError::UnsupportedFormatVersion { .. }),
            "{f}: {e}"
        );
    }
}

#[test]
fn json_is_the_report_itself() {
    let rep = common::report();
    let back: ScanReport = serde_json::from_str(&r(&rep, Format::Json)).expect("parse back");
    assert_eq!(back, rep);
}

// --- SARIF mapping -------------------------------------------------------------------------

#[test]
fn sarif_rules_results_levels_and_suppressions() {
    let rep = common::report();
    let v = json(&rep, Format::Sarif);
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    let vulns: BTreeSet<&str> = rep
        .findings
        .iter()
        .map(|f| f.vulnerability.id.as_str())
        .collect();
    assert_eq!(rules.len(), vulns.len(), "one rule per vulnerability");
    assert_eq!(results.len(), rep.findings.len(), "one result per finding");

    let rule = |id: &str| {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("rule {id}"))
    };
    let openssl = rule("CVE-2025-0001");
    assert_eq!(openssl["properties"]["security-severity"], "9.8");
    assert!(
        openssl["help"]["text"]
            .as_str()
            .expect("help")
            .contains("3.0.17-1~deb12u2")
    );
    assert!(
        openssl["help"]["text"]
            .as_str()
            .expect("help")
            .contains("DSA-9001-1")
    );
    // No CVSS → no security-severity (GitHub then falls back to the level).
    assert!(
        rule("CVE-2026-1111")["properties"]
            .get("security-severity")
            .is_none()
    );

    let result = |key_part: &str| {
        results
            .iter()
            .find(|r| {
                r["partialFingerprints"]["caulkFindingKey/v1"]
                    .as_str()
                    .is_some_and(|k| k.contains(key_part))
            })
            .unwrap_or_else(|| panic!("result {key_part}"))
    };
    let glibc = result("libc6@");
    assert_eq!(glibc["level"], "error", "act-now → error");
    assert_eq!(glibc["rank"], 100.0);
    // A --root scan: the dpkg status file is the image's, relative to the root.
    let loc = &glibc["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(
        (loc["uri"].as_str(), loc["uriBaseId"].as_str()),
        (Some("var/lib/dpkg/status"), Some("%SRCROOT%"))
    );
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///srv/images/web-1/"
    );
    let py = result("JW_Util@");
    assert_eq!(py["level"], "warning", "scheduled → warning");
    assert_eq!(
        py["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/requirements.txt"
    );
    assert_eq!(
        py["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
        "%SRCROOT%"
    );
    assert_eq!(result("libtiff6@")["level"], "note", "defer → note");
    let na = result("libxml2@");
    assert_eq!(
        (na["kind"].as_str(), na["level"].as_str()),
        (Some("pass"), Some("none"))
    );

    let suppressed = result("time@");
    let s = &suppressed["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    let j = s["justification"].as_str().expect("justification");
    assert!(
        j.contains("not reachable") && j.contains("app-team") && j.contains("2026-12-31"),
        "{j}"
    );
    // An expired exception does not suppress; its note is in the message.
    let expired = result("zlib1g@");
    assert!(expired.get("suppressions").is_none());
    assert!(
        expired["message"]["text"]
            .as_str()
            .expect("text")
            .contains("expired on 2026-11-01")
    );

    // An informational advisory: marked on the result, tagged on its rule, not a
    // "vulnerability" tag; ordinary findings say null and keep theirs.
    let atty = result("atty@");
    assert_eq!(atty["properties"]["informational"], "unmaintained");
    assert_eq!(atty["level"], "note", "deferred");
    assert_eq!(glibc["properties"]["informational"], Value::Null);
    let tags = |id: &str| -> Vec<String> {
        rule(id)["properties"]["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .map(|t| t.as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        tags("RUSTSEC-2024-0375"),
        ["security", "informational", "unmaintained"]
    );
    assert_eq!(tags("CVE-2023-4911"), ["security", "vulnerability", "kev"]);
    assert!(
        rule("RUSTSEC-2024-0375")["help"]["text"]
            .as_str()
            .expect("help")
            .contains("Informational advisory (unmaintained)")
    );

    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notes");
    assert_eq!(notes.len(), rep.issues.len());
}

#[test]
fn sarif_locations_of_a_live_host_and_a_path_scan() {
    use caulk_model::finding::TargetKind;
    let mut host = common::report();
    host.target.kind = TargetKind::Host;
    host.target.path = None;
    let v = json(&host, Format::Sarif);
    let run = &v["runs"][0];
    assert!(run.get("originalUriBaseIds").is_none());
    let uris: BTreeSet<&str> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(uris.contains("file:///var/lib/dpkg/status"), "{uris:?}");

    let mut path = common::report();
    path.target.kind = TargetKind::Path;
    path.target.path = Some("/home/ci/project".into());
    for f in &mut path.findings {
        if f.package.ecosystem == "PyPI" {
            std::sync::Arc::make_mut(&mut f.package).file =
                Some("/home/ci/project/app/requirements.txt".into());
        }
    }
    let v = json(&path, Format::Sarif);
    let run = &v["runs"][0];
    let py = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "GHSA-2222-3333-4444")
        .expect("PyPI result");
    let loc = &py["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(
        (loc["uri"].as_str(), loc["uriBaseId"].as_str()),
        (Some("app/requirements.txt"), Some("%SRCROOT%"))
    );
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///home/ci/project/"
    );
}

// --- CycloneDX mapping ---------------------------------------------------------------------

#[test]
fn cyclonedx_components_and_analysis() {
    let rep = common::report();
    let v = json(&rep, Format::CycloneDx);
    assert_eq!(v["specVersion"], "1.6");
    let comps = v["components"].as_array().expect("components");
    // One per package with a finding (10 findings, 10 packages).
    assert_eq!(comps.len(), 10);
    for c in comps {
        assert_eq!(c["bom-ref"], c["purl"], "bom-ref = purl");
    }
    let zlib = comps
        .iter()
        .find(|c| c["name"] == "zlib1g")
        .expect("zlib1g");
    assert_eq!(
        zlib["purl"],
        "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib"
    );

    let vulns = v["vulnerabilities"].as_array().expect("vulnerabilities");
    let state = |id: &str| -> Vec<String> {
        vulns
            .iter()
            .filter(|x| x["id"] == id)
            .map(|x| x["analysis"]["state"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(state("CVE-2023-4911"), ["exploitable"]);
    assert_eq!(state("CVE-2020-26235"), ["not_affected"]);
    assert_eq!(state("CVE-2024-25062"), ["not_affected"]);
    assert_eq!(state("CVE-2023-47038"), ["in_triage"]);
    assert_eq!(state("CVE-2023-6277"), ["exploitable"]);

    let openssl = vulns
        .iter()
        .find(|x| x["id"] == "CVE-2025-0001")
        .expect("openssl");
    assert_eq!(
        openssl["affects"].as_array().expect("affects").len(),
        2,
        "two binaries"
    );
    assert_eq!(openssl["analysis"]["response"][0], "update");
    assert_eq!(openssl["ratings"][0]["method"], "CVSSv31");
    let rec = openssl["recommendation"].as_str().expect("recommendation");
    assert!(
        rec.contains("openssl") && rec.contains("3.0.17-1~deb12u2") && rec.contains("libssl3"),
        "{rec}"
    );
    // Unregistered ids are no advisory link.
    let adv: Vec<&str> = openssl["advisories"]
        .as_array()
        .expect("advisories")
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert_eq!(adv, ["DSA-9001-1"]);
    let methods: BTreeSet<&str> = vulns
        .iter()
        .flat_map(|x| x["ratings"].as_array().into_iter().flatten())
        .filter_map(|r| r["method"].as_str())
        .collect();
    // `other`: a vendor's rating in words (zlib's Debian urgency), with no score.
    assert_eq!(
        methods,
        BTreeSet::from(["CVSSv2", "CVSSv31", "CVSSv4", "other"])
    );
    let prop = |id: &str, name: &str| -> Option<String> {
        vulns.iter().find(|x| x["id"] == id).and_then(|x| {
            x["properties"]
                .as_array()?
                .iter()
                .find(|p| p["name"] == name)
                .and_then(|p| p["value"].as_str().map(String::from))
        })
    };
    assert_eq!(
        prop("RUSTSEC-2024-0375", "caulk:informational").as_deref(),
        Some("unmaintained")
    );
    assert_eq!(prop("CVE-2023-4911", "caulk:informational"), None);
    let suppressed = vulns
        .iter()
        .find(|x| x["id"] == "CVE-2020-26235")
        .expect("time");
    let detail = suppressed["analysis"]["detail"].as_str().expect("detail");
    assert!(
        detail.contains("app-team") && detail.contains("2026-12-31"),
        "{detail}"
    );
}

#[test]
fn cyclonedx_splits_a_vulnerability_whose_analyses_differ() {
    let mut rep = common::report();
    // Suppress the libssl3 finding only: openssl's stays exploitable.
    let time_supp = rep
        .findings
        .iter()
        .find_map(|f| f.suppression.clone().filter(|_| f.is_suppressed()))
        .expect("a suppression");
    for f in &mut rep.findings {
        if f.package.name == "libssl3" {
            f.suppression = Some(time_supp.clone());
        }
    }
    let v = json(&rep, Format::CycloneDx);
    let entries: Vec<&Value> = v["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .filter(|x| x["id"] == "CVE-2025-0001")
        .collect();
    assert_eq!(entries.len(), 2);
    let states: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| e["analysis"]["state"].as_str())
        .collect();
    assert_eq!(states, BTreeSet::from(["exploitable", "not_affected"]));
}

// --- OpenVEX -------------------------------------------------------------------------------

/// The rules of the OpenVEX 0.2.0 JSON schema (`openvex_json_schema.json` of the spec
/// repository, draft 2020-12), checked by hand: no registry package ships that schema, so
/// this is our reading of it, not the file itself.
fn openvex_violations(v: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let Some(doc) = v.as_object() else {
        return vec!["document is not an object".into()];
    };
    let allowed = [
        "@context",
        "@id",
        "author",
        "role",
        "timestamp",
        "last_updated",
        "version",
        "tooling",
        "statements",
    ];
    for k in doc.keys() {
        if !allowed.contains(&k.as_str()) {
            errs.push(format!("document: unknown property {k}"));
        }
    }
    for k in [
        "@context",
        "@id",
        "author",
        "timestamp",
        "version",
        "statements",
    ] {
        if !doc.contains_key(k) {
            errs.push(format!("document: missing {k}"));
        }
    }
    for k in ["@context", "@id", "author", "timestamp", "tooling"] {
        if doc.get(k).is_some_and(|x| !x.is_string()) {
            errs.push(format!("document: {k} is not a string"));
        }
    }
    if doc
        .get("version")
        .and_then(Value::as_u64)
        .is_none_or(|n| n < 1)
    {
        errs.push("document: version is not an integer >= 1".into());
    }
    let Some(statements) = doc.get("statements").and_then(Value::as_array) else {
        errs.push("document: statements is not an array".into());
        return errs;
    };
    if statements.is_empty() {
        errs.push("document: statements has fewer than 1 item".into());
    }
    let unique: BTreeSet<String> = statements.iter().map(|s| s.to_string()).collect();
    if unique.len() != statements.len() {
        errs.push("document: statements are not unique".into());
    }
    let st_allowed = [
        "@id",
        "version",
        "vulnerability",
        "timestamp",
        "last_updated",
        "products",
        "status",
        "supplier",
        "status_notes",
        "justification",
        "impact_statement",
        "action_statement",
        "action_statement_timestamp",
    ];
    let justifications = [
        "component_not_present",
        "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "inline_mitigations_already_exist",
    ];
    for (i, s) in statements.iter().enumerate() {
        let Some(s) = s.as_object() else {
            errs.push(format!("statement {i}: not an object"));
            continue;
        };
        for k in s.keys() {
            if !st_allowed.contains(&k.as_str()) {
                errs.push(format!("statement {i}: unknown property {k}"));
            }
        }
        match s.get("vulnerability").and_then(Value::as_object) {
            None => errs.push(format!("statement {i}: missing vulnerability")),
            Some(vu) => {
                if !vu.get("name").is_some_and(Value::is_string) {
                    errs.push(format!("statement {i}: vulnerability without name"));
                }
                for k in vu.keys() {
                    if !["@id", "name", "description", "aliases"].contains(&k.as_str()) {
                        errs.push(format!("statement {i}: vulnerability property {k}"));
                    }
                }
            }
        }
        if let Some(products) = s.get("products") {
            for p in products.as_array().into_iter().flatten() {
                let Some(p) = p.as_object() else {
                    errs.push(format!("statement {i}: product is not an object"));
                    continue;
                };
                for k in p.keys() {
                    if !["@id", "identifiers", "hashes", "subcomponents"].contains(&k.as_str()) {
                        errs.push(format!("statement {i}: product property {k}"));
                    }
                }
                if let Some(ids) = p.get("identifiers").and_then(Value::as_object) {
                    for k in ids.keys() {
                        if !["purl", "@cpe22", "@cpe23"].contains(&k.as_str()) {
                            errs.push(format!("statement {i}: identifier {k}"));
                        }
                    }
                }
            }
        }
        let status = s.get("status").and_then(Value::as_str).unwrap_or("");
        if !["not_affected", "affected", "fixed", "under_investigation"].contains(&status) {
            errs.push(format!("statement {i}: status {status:?}"));
        }
        if let Some(j) = s.get("justification").and_then(Value::as_str)
            && !justifications.contains(&j)
        {
            errs.push(format!("statement {i}: justification {j:?}"));
        }
        if status == "not_affected"
            && s.contains_key("justification") == s.contains_key("impact_statement")
        {
            errs.push(format!(
                "statement {i}: not_affected needs exactly one of justification, impact_statement"
            ));
        }
        if status == "affected" && !s.contains_key("action_statement") {
            errs.push(format!("statement {i}: affected without action_statement"));
        }
    }
    errs
}

#[test]
fn openvex_follows_the_0_2_0_schema_rules() {
    let v = json(&common::report(), Format::OpenVex);
    assert_eq!(openvex_violations(&v), Vec::<String>::new());
    // The checker does catch a broken document.
    let mut bad = v.clone();
    bad["statements"][0]["status"] = "affected".into();
    bad["statements"][0]
        .as_object_mut()
        .expect("object")
        .remove("action_statement");
    bad["statements"][1]["justification"] = "because".into();
    assert_eq!(
        openvex_violations(&bad).len(),
        2,
        "{:?}",
        openvex_violations(&bad)
    );
}

#[test]
fn openvex_statuses() {
    let v = json(&common::report(), Format::OpenVex);
    let st = v["statements"].as_array().expect("statements");
    // One statement per (vulnerability, purl): 10 findings in 10 packages.
    assert_eq!(st.len(), 10);
    let get = |vuln: &str, purl_part: &str| {
        st.iter()
            .find(|s| {
                s["vulnerability"]["name"] == vuln
                    && s["products"][0]["@id"]
                        .as_str()
                        .is_some_and(|p| p.contains(purl_part))
            })
            .unwrap_or_else(|| panic!("statement {vuln} {purl_part}"))
    };
    let glibc = get("CVE-2023-4911", "libc6");
    assert_eq!(glibc["status"], "affected");
    assert!(
        glibc["action_statement"]
            .as_str()
            .expect("action")
            .contains("2.36-9+deb12u3")
    );
    let time = get("CVE-2020-26235", "time");
    assert_eq!(time["status"], "not_affected");
    let imp = time["impact_statement"].as_str().expect("impact");
    assert!(
        imp.contains("not reachable") && imp.contains("app-team") && imp.contains("2026-12-31"),
        "{imp}"
    );
    assert_eq!(get("CVE-2024-25062", "libxml2")["status"], "not_affected");
    assert_eq!(
        get("CVE-2023-47038", "perl-base")["status"],
        "under_investigation"
    );
    assert_eq!(get("CVE-2026-1111", "zlib1g")["status"], "affected");
    // Informational: still affected (the crate is installed and unmaintained), said so in
    // the notes.
    let atty = get("RUSTSEC-2024-0375", "atty");
    assert_eq!(atty["status"], "affected");
    assert!(
        atty["status_notes"]
            .as_str()
            .expect("notes")
            .contains("informational advisory (unmaintained)"),
        "{atty}"
    );
    assert!(
        !glibc["status_notes"]
            .as_str()
            .expect("notes")
            .contains("informational")
    );
    assert!(
        st.iter().all(|s| s["status"] != "fixed"),
        "a scan never states fixed"
    );
}

#[test]
fn openvex_author_from_options() {
    let opts = RenderOptions {
        author: Some("Example Corp PSIRT".into()),
        ..Default::default()
    };
    let out = render(&common::report(), Format::OpenVex, &opts).expect("render");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["author"], "Example Corp PSIRT");
}

// --- CSV -----------------------------------------------------------------------------------

#[test]
fn csv_parses_back() {
    let rep = common::report();
    let out = r(&rep, Format::Csv);
    assert!(out.contains("\r\n"), "RFC 4180 record ends are CRLF");
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = rd
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header[0], "finding_key");
    assert!(header.contains(&"suppressed".to_string()));
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("record")).collect();
    assert_eq!(rows.len(), rep.findings.len());
    for (row, f) in rows.iter().zip(&rep.findings) {
        assert_eq!(row.len(), header.len());
        assert_eq!(&row[col("finding_key")], f.key());
        assert_eq!(&row[col("package")], f.package.name);
        assert_eq!(&row[col("vulnerability_id")], f.vulnerability.id);
        assert_eq!(&row[col("status")], f.status.as_str());
        assert_eq!(&row[col("decision")], f.priority.decision.as_str());
    }
    let row = |pkg: &str| {
        rows.iter()
            .find(|r| &r[col("package")] == pkg)
            .unwrap_or_else(|| panic!("{pkg}"))
    };
    let ssl = row("libssl3");
    assert_eq!(&ssl[col("aliases")], "DSA-9001-1 x_DEBCHG-CVE-2025-0001");
    assert_eq!(&ssl[col("fixed_version")], "3.0.17-1~deb12u2");
    assert_eq!(&ssl[col("cvss_score")], "9.8");
    assert_eq!(&ssl[col("source_name")], "openssl");
    assert_eq!(&row("libc6")[col("kev")], "true");
    assert_eq!(&row("zlib1g")[col("fixed_version")], "");
    assert_eq!(&row("zlib1g")[col("suppressed")], "expired");
    // Columns are appended: earlier columns keep their positions.
    assert_eq!(col("summary"), 35);
    assert_eq!(col("informational"), 36);
    assert_eq!(
        header.last().map(String::as_str),
        Some("vendor_severity_source")
    );
    let zlib = row("zlib1g");
    assert_eq!(
        (
            &zlib[col("severity")],
            &zlib[col("severity_source")],
            &zlib[col("vendor_severity")],
            &zlib[col("vendor_severity_kind")]
        ),
        ("low", "vendor", "unimportant", "Debian urgency")
    );
    assert_eq!(&ssl[col("severity_source")], "cvss");
    assert_eq!(&row("atty")[col("informational")], "unmaintained");
    assert_eq!(&ssl[col("informational")], "");
    let time = row("time");
    assert_eq!(&time[col("suppressed")], "suppressed");
    assert_eq!(&time[col("exception_owner")], "app-team");
    // A summary starting with `-` would be a formula in a spreadsheet: the guard quotes it.
    assert_eq!(
        &row("libtiff6")[col("summary")],
        "'-- crafted TIFF file leads to excessive memory use"
    );
}

#[test]
fn csv_quotes_per_rfc_4180() {
    let mut rep = common::report();
    rep.findings[0].summary = Some("a \"quoted\", multi\nline summary".into());
    let out = r(&rep, Format::Csv);
    assert!(
        out.contains("\"a \"\"quoted\"\", multi\nline summary\""),
        "{out}"
    );
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let summary = rd
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "summary")
        .expect("summary column");
    let first = rd.records().next().expect("row").expect("record");
    assert_eq!(
        first.get(summary),
        Some("a \"quoted\", multi\nline summary")
    );
}

// --- Markdown ------------------------------------------------------------------------------

#[test]
fn markdown_escapes_data() {
    let md = r(&common::report(), Format::Markdown);
    assert!(!md.contains("<JW_Util>"), "HTML in data must be escaped");
    let ranked: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| 1 |") || l.starts_with("| 2 |"))
        .collect();
    assert!(
        ranked[0].contains("`glibc`") && ranked[1].contains("`openssl`"),
        "{ranked:?}"
    );
}

#[test]
fn markdown_marks_informational_findings() {
    let md = r(&common::report(), Format::Markdown);
    let atty: Vec<&str> = md
        .lines()
        .filter(|l| l.contains("RUSTSEC-2024-0375"))
        .collect();
    assert_eq!(atty.len(), 1, "in the unfixed table: {atty:?}");
    assert!(
        atty[0].contains("`RUSTSEC-2024-0375` (informational: unmaintained)"),
        "{atty:?}"
    );
    assert!(
        md.lines()
            .any(|l| l.starts_with("| from informational advisories")
                && l.ends_with("| 1 (unmaintained 1) |")),
        "{md}"
    );
    // No such row when there is no informational finding.
    let mut rep = common::report();
    rep.findings.retain(|f| f.informational.is_none());
    let md = r(&rep, Format::Markdown);
    assert!(!md.contains("informational"), "{md}");
}

// --- empty report --------------------------------------------------------------------------

#[test]
fn empty_report_renders_everywhere() {
    let e = common::empty_report();
    for f in Format::ALL {
        let out = r(&e, f);
        assert!(!out.is_empty(), "{f}");
    }
    let sarif = json(&e, Format::Sarif);
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let cdx = json(&e, Format::CycloneDx);
    assert_eq!(cdx["vulnerabilities"].as_array().map(Vec::len), Some(0));
    let vex = json(&e, Format::OpenVex);
    // Documented exception: OpenVEX's schema wants at least one statement; an empty scan has
    // nothing to state, and we say so with an empty list rather than invent a statement.
    assert_eq!(
        openvex_violations(&vex),
        ["document: statements has fewer than 1 item"]
    );
    assert_eq!(r(&e, Format::Csv).lines().count(), 1, "header only");
}
