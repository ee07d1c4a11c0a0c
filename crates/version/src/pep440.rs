//! PLACEHOLDER: being implemented.

use crate::InvalidVersion;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub struct Pep440Version(String);

impl Pep440Version {
    pub fn legacy(s: &str) -> Self {
        Pep440Version(s.to_string())
    }
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        Err(InvalidVersion::new(format!("not implemented: {s}")))
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pep440Version {}
