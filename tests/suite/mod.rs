//! Integration suites, one module per area.
