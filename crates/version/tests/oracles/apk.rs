//! Differential test: apk (being written).
