//! Integration suites, one module per area.
mod host_sandbox;
mod tools;
