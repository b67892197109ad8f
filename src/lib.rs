//! harness: a terminal-first AI harness. The library holds everything; `main.rs` only parses the
//! command line and hands over to `cli`, which wires the front ends (`tui`, `harness run`) to the
//! core. docs/architecture.md has the module map and the layering `tests/suite/architecture.rs`
//! enforces.

pub mod agents;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod core;
pub mod git;
pub mod hooks;
pub mod jobs;
pub mod logging;
pub mod mcp;
pub mod memory;
pub mod message;
pub mod permissions;
pub mod profile;
pub mod protocol;
pub mod providers;
pub mod router;
pub mod sandbox;
pub mod sanitize;
pub mod secret;
pub mod serve;
pub mod startup;
pub mod store;
pub mod tools;
pub mod tui;
pub mod usage;
