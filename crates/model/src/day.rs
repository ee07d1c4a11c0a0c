//! [`Day`]: a calendar day, the type of every date a report computes (the scan's `today`,
//! due dates). On the wire it is `YYYY-MM-DD`, as before it was a type; in the code it is a
//! date, so comparing and counting days never goes through strings.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A calendar day (proleptic Gregorian, no time zone), `YYYY-MM-DD` when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Day(jiff::civil::Date);

impl Day {
    pub const fn new(date: jiff::civil::Date) -> Day {
        Day(date)
    }

    pub const fn date(self) -> jiff::civil::Date {
        self.0
    }
}

impl From<jiff::civil::Date> for Day {
    fn from(d: jiff::civil::Date) -> Day {
        Day(d)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Not a `YYYY-MM-DD` day.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a date (YYYY-MM-DD): {reason}")]
pub struct DayError {
    pub text: String,
    pub reason: String,
}

impl FromStr for Day {
    type Err = DayError;
    fn from_str(s: &str) -> Result<Day, DayError> {
        // jiff also reads `20261127`; a report's dates are always the extended form.
        let extended = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
        if !extended {
            return Err(DayError {
                text: s.to_string(),
                reason: "expected YYYY-MM-DD".into(),
            });
        }
        s.parse::<jiff::civil::Date>()
            .map(Day)
            .map_err(|e| DayError {
                text: s.to_string(),
                reason: e.to_string(),
            })
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_as_yyyy_mm_dd() {
        let d: Day = "2026-02-28".parse().unwrap();
        assert_eq!(d.to_string(), "2026-02-28");
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-02-28\"");
        let back: Day = serde_json::from_str("\"2026-02-28\"").unwrap();
        assert_eq!(back, d);
        assert!(d < "2026-03-01".parse().unwrap());
        for bad in [
            "2026-02-30",
            "20260228",
            "2026-2-28",
            "",
            "soon",
            "2026-02-28T00:00:00Z",
        ] {
            assert!(bad.parse::<Day>().is_err(), "{bad:?}");
            assert!(
                serde_json::from_str::<Day>(&format!("{bad:?}")).is_err(),
                "{bad:?}"
            );
        }
    }
}
