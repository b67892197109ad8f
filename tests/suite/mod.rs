//! Integration suites, one module per area.
mod tmux_e2e;
mod tui_harness;
mod tui_keys;
mod tui_loop;
mod tui_snapshots;
