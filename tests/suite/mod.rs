//! Integration suites, one module per area.
mod config_cli;
mod history_cli;
mod host_sandbox;
mod router;
mod store;
mod tools;

mod core_run;
mod docker;
mod docker_lifecycle;
mod docker_signals;
mod docker_trust;
mod providers;
mod providers_cli;
mod providers_faults;
mod providers_requests;
mod providers_wire;
mod routing_e2e;
mod tui_harness;
mod tui_keys;
mod tui_loop;
mod tui_snapshots;
mod tui_tmux;
