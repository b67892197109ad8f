//! Integration suites, one module per area.
mod docker;
mod docker_lifecycle;
