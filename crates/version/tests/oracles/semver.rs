//! Differential test: semver (being written).
