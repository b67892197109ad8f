//! Subagents: child sessions the `task` tool starts. A child runs through the same core as any
//! session (its own conversation, linked to the parent's tool call; the named agent's prompt and
//! tools; its own sandbox; the parent's approval mode), to the end of one turn, and its final
//! answer is the tool's result. What is here:
//!
//! - `hub.rs`: what one parent session keeps about its children: the places (`max_concurrent`),
//!   approvals relayed to the parent's front ends and their answers relayed back, the children's
//!   tokens added to the parent's turn;
//! - `runner.rs`: running one child (limits, worktree, events relayed, the result text);
//! - `deps.rs`: the shared parts a child runs with (one level deeper, its step limit, its
//!   worktree as workspace).
//!
//! The `task` tool itself is `tools::task` (below the core); it reaches a runner through
//! `ToolServices::subagents`, so the tools never depend on the core.

mod deps;
mod hub;
mod runner;

pub use deps::Lineage;
pub use hub::Hub;
pub(in crate::core) use runner::ParentContext;
