//! Durations as people write them on the command line and in API bodies: `90m`, `24h`,
//! `7d`, `2w`, `1h 30m` (jiff's friendly format). One rule for every caller: a day is 24
//! hours; months and years are refused (their length depends on the date).

/// Parse a positive duration of at most `max`; the error says what was wrong, without the
/// caller's flag name (the caller adds it).
pub fn parse(s: &str, max: jiff::SignedDuration) -> Result<jiff::SignedDuration, String> {
    let bad = || format!("{s:?}: want a duration such as 90m, 24h or 7d");
    let span: jiff::Span = s.trim().parse().map_err(|_| bad())?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(format!(
            "{s:?}: months and years have no fixed length; give days (365d)"
        ));
    }
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad())?;
    if d <= jiff::SignedDuration::ZERO {
        return Err(format!("{s:?}: must be positive"));
    }
    if d > max {
        return Err(format!("{s:?}: at most {}", describe(max)));
    }
    Ok(d)
}

/// `366 days`, `12 hours`, `30 minutes`, `5 seconds`: the largest whole unit.
fn describe(d: jiff::SignedDuration) -> String {
    let s = d.as_secs();
    for (unit, n) in [("day", 86_400), ("hour", 3_600), ("minute", 60)] {
        if s % n == 0 && s >= n {
            let k = s / n;
            return format!("{k} {unit}{}", if k == 1 { "" } else { "s" });
        }
    }
    format!("{s} seconds")
}

/// [`parse`] as a `std::time::Duration`.
pub fn parse_std(s: &str, max: jiff::SignedDuration) -> Result<std::time::Duration, String> {
    let d = parse(s, max)?;
    std::time::Duration::try_from(d).map_err(|_| format!("{s:?}: out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 366);

    #[test]
    fn minutes_hours_days_and_weeks_within_the_limit() {
        assert_eq!(parse("24h", YEAR), Ok(jiff::SignedDuration::from_hours(24)));
        assert_eq!(parse("7d", YEAR), Ok(jiff::SignedDuration::from_hours(168)));
        assert_eq!(parse("2w", YEAR), Ok(jiff::SignedDuration::from_hours(336)));
        assert_eq!(
            parse("1h 30m", YEAR),
            Ok(jiff::SignedDuration::from_mins(90))
        );
        for bad in ["", "soon", "-1h", "0h", "2y", "400d", "1mo", "1y 6mo"] {
            assert!(parse(bad, YEAR).is_err(), "{bad}");
        }
        assert_eq!(
            parse("400d", YEAR),
            Err("\"400d\": at most 366 days".to_string())
        );
    }
}
