//! Differential test: rpm (being written).
