//! Differential test: rubygems (being written).
