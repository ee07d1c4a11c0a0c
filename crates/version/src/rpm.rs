//! PLACEHOLDER: being implemented.

use crate::InvalidVersion;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub struct RpmVersion(String);

impl RpmVersion {
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        Err(InvalidVersion::new(format!("not implemented: {s}")))
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for RpmVersion {}
