//! Integration suites, one module per area.
mod tui_harness;
mod tui_keys;
mod tui_loop;
mod tui_snapshots;
