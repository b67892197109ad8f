//! Integration suites, one module per area.

mod providers;
mod providers_cli;
mod providers_faults;
mod providers_requests;
mod providers_wire;
