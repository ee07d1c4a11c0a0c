//! PLACEHOLDER: being implemented.

use crate::InvalidVersion;
use std::cmp::Ordering;

macro_rules! placeholder {
    ($t:ident) => {
        #[derive(Debug, Clone)]
        pub struct $t(String);
        impl $t {
            pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
                Err(InvalidVersion::new(format!("not implemented: {s}")))
            }
        }
        impl Ord for $t {
            fn cmp(&self, other: &Self) -> Ordering {
                self.0.cmp(&other.0)
            }
        }
        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == Ordering::Equal
            }
        }
        impl Eq for $t {}
    };
}
placeholder!(SemVer);
placeholder!(GoVersion);
placeholder!(PubVersion);
