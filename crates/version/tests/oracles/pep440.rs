//! Differential test: pep440 (being written).
