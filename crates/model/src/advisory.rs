//! Advisory domain types (being written).
