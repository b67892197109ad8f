//! Deterministic classifier of a message into the built-in router categories.
