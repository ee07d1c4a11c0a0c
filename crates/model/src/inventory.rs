//! Inventory domain types (being written).
