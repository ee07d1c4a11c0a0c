//! FIRST EPSS scores.
//!
//! The daily file (`epss_scores-YYYY-MM-DD.csv.gz`, gunzipped before it reaches here) starts
//! with `#model_version:v2025.03.14,score_date:2025-03-19T00:00:00+0000`, then the header
//! `cve,epss,percentile`, then one row per CVE. The model version and score date belong to
//! every row. We also read the per-CVE time-series excerpt format (`date,model,epss,percentile`,
//! CVE id from the file name): its latest row is the current score. Bad rows are reported
//! with their line number and skipped. Pure: no I/O.

use crate::kev::is_cve_id;
use caulk_model::advisory::EpssScore;

#[derive(Debug, Default)]
pub struct Epss {
    pub model_version: Option<String>,
    pub score_date: Option<String>,
    pub scores: Vec<EpssScore>,
    /// `(line number, reason)`
    pub rejected: Vec<(usize, String)>,
}

fn prob(s: &str) -> Option<f64> {
    let x: f64 = s.trim().parse().ok()?;
    (0.0..=1.0).contains(&x).then_some(x)
}

/// Parse an EPSS CSV. `file_name` is used for the time-series format's CVE id.
/// Only a file with no recognisable header is an error.
pub fn parse(text: &str, file_name: &str) -> Result<Epss, String> {
    let mut out = Epss::default();
    let mut header: Option<Vec<String>> = None;
    let mut series_latest: Option<(String, EpssScore)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if let Some(meta) = line.strip_prefix('#') {
            for part in meta.split(',') {
                if let Some((k, v)) = part.split_once(':') {
                    match k.trim() {
                        "model_version" => out.model_version = Some(v.trim().to_string()),
                        "score_date" => out.score_date = Some(v.trim().to_string()),
                        _ => {}
                    }
                }
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some(h) = &header else {
            header = Some(cols.iter().map(|c| c.to_ascii_lowercase()).collect());
            continue;
        };
        let col = |name: &str| {
            h.iter()
                .position(|c| c == name)
                .and_then(|i| cols.get(i).copied())
        };
        if h.iter().any(|c| c == "cve") {
            let cve = col("cve").unwrap_or("");
            match (
                is_cve_id(cve),
                col("epss").and_then(prob),
                col("percentile").and_then(prob),
            ) {
                (true, Some(score), Some(percentile)) => out.scores.push(EpssScore {
                    cve_id: cve.to_string(),
                    score,
                    percentile,
                    model_version: out.model_version.clone(),
                    score_date: out.score_date.clone(),
                }),
                _ => out.rejected.push((
                    n,
                    format!(
                        "line {n}: expected cve,epss,percentile with probabilities, got {line:?}"
                    ),
                )),
            }
        } else if h.iter().any(|c| c == "date") {
            let cve: String = file_name.split('.').next().unwrap_or("").to_string();
            if !is_cve_id(&cve) {
                return Err(format!(
                    "{file_name}: a time-series EPSS file must be named <CVE id>.….csv"
                ));
            }
            match (
                col("date"),
                col("epss").and_then(prob),
                col("percentile").and_then(prob),
            ) {
                (Some(date), Some(score), Some(percentile)) => {
                    let s = EpssScore {
                        cve_id: cve.clone(),
                        score,
                        percentile,
                        model_version: col("model").map(str::to_string),
                        score_date: Some(date.to_string()),
                    };
                    if series_latest
                        .as_ref()
                        .is_none_or(|(d, _)| date >= d.as_str())
                    {
                        series_latest = Some((date.to_string(), s));
                    }
                }
                _ => out.rejected.push((
                    n,
                    format!("line {n}: expected date,model,epss,percentile, got {line:?}"),
                )),
            }
        } else {
            return Err(format!(
                "{file_name}: line {n}: header {line:?} has neither a cve nor a date column"
            ));
        }
    }
    if header.is_none() {
        return Err(format!("{file_name}: no header line"));
    }
    if let Some((_, s)) = series_latest {
        out.scores.push(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_file_with_model_line() {
        let e = parse(
            "#model_version:v2025.03.14,score_date:2025-03-19T00:00:00+0000\ncve,epss,percentile\nCVE-2023-4911,0.80341,0.99073\nCVE-1999-1,0.1,0.2\nCVE-2024-0001,1.5,0.2\n",
            "epss_scores-2025-03-19.csv",
        )
        .expect("parses");
        assert_eq!(e.model_version.as_deref(), Some("v2025.03.14"));
        assert_eq!(e.scores.len(), 1);
        assert_eq!(
            e.scores[0].score_date.as_deref(),
            Some("2025-03-19T00:00:00+0000")
        );
        assert_eq!(e.scores[0].percentile, 0.99073);
        assert_eq!(e.rejected.iter().map(|r| r.0).collect::<Vec<_>>(), [4, 5]);
    }

    #[test]
    fn rejects_unknown_header() {
        assert!(parse("a,b\n1,2\n", "x.csv").is_err());
        assert!(parse("# only comments\n", "x.csv").is_err());
    }
}
