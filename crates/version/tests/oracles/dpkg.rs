//! Differential test: dpkg (being written).
