//! Differential test: maven (being written).
