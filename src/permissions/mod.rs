//! Permission rules: which tool calls run, which ask the user and which are refused, decided
//! as a pure function of the call and data (no I/O), so the turn machine can call it and it is
//! tested as tables. `rules.rs` parses `TOOL(PATTERN)` rules and knows where each came from,
//! `shell.rs` takes a bash command apart with a real shell parser (`prefix.rs` suggests
//! the `cmd:*` offered for "always"), `paths.rs` normalises paths
//! and knows the places that always ask, `evaluate.rs` puts them together.

pub mod evaluate;
pub mod paths;
pub mod prefix;
pub mod rules;
pub mod shell;

pub use evaluate::{Evaluation, Reason, Verdict, evaluate};
pub use paths::{Locations, Protected};
pub use rules::{Pattern, ReadDenials, Rule, RuleKind, RuleSet, Source};
