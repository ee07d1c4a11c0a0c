//! PLACEHOLDER: being implemented.

use crate::InvalidVersion;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub struct HackageVersion(String);

impl HackageVersion {
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        Err(InvalidVersion::new(format!("not implemented: {s}")))
    }
}

impl Ord for HackageVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for HackageVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for HackageVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HackageVersion {}
