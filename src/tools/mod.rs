//! The tools offered to models (bash, read, write, edit, glob, grep): each behind the [`Tool`]
//! trait, collected in a [`ToolRegistry`] that hands providers their JSON schemas and runs a
//! call by name. A tool never panics on bad arguments: it answers with an error result the model
//! can read (`arguments.rs`, used by the registry and by each tool). Output capping is the
//! sandbox's (`sandbox::truncate`), tool names and `ToolSpec` are `message`'s, so the layers
//! below (permissions, agents) can name a tool without depending on this module.

pub mod approval;
pub mod arguments;
pub mod bash;
pub mod edit;
pub mod glob;
pub mod grep;
pub mod memory;
pub mod read;
pub mod registry;
pub mod seen;
pub mod task;
pub mod write;

pub use approval::ApprovalPolicy;
pub use registry::ToolRegistry;

pub use crate::message::BUILTIN_TOOL_NAMES;

use crate::message::ToolSpec;
use crate::sandbox::Sandbox;
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What a tool call needs from its surroundings.
#[derive(Clone)]
pub struct ToolContext {
    pub sandbox: Arc<dyn Sandbox>,
    /// Live output for display while the tool runs (bash output chunks).
    pub live_output: Option<mpsc::Sender<String>>,
    /// Cancelled when the user interrupts the turn.
    pub cancel: CancellationToken,
    /// Default timeout for commands, from `[sandbox] timeout_secs`.
    pub default_timeout: std::time::Duration,
    /// What the model has read or written of each file in this conversation.
    pub seen: Arc<seen::SeenFiles>,
    /// The running turn's checkpoint: `write` and `edit` record a file before changing it,
    /// `bash` snapshots the workspace around the command. `None`: checkpoints are off.
    pub checkpoint: Option<crate::checkpoint::TurnCheckpoint>,
    /// Files `deny` rules keep from `read`: `glob` and `grep` leave them out too.
    pub read_denials: crate::permissions::ReadDenials,
    /// What the tools beyond the built-ins reach (memory, child sessions, MCP servers); each
    /// feature adds its own field, defaulting to absent.
    pub services: ToolServices,
}

/// Handles the optional tools need, each `None`/empty when its feature is off. Built by the
/// session for each tool call.
#[derive(Clone, Default)]
pub struct ToolServices {
    /// Runs child sessions for `task` (when the agent offers it).
    pub subagents: Option<task::SubagentService>,
    /// Long-term memory of the session's profile (`memory_save`, `memory_search`).
    pub memory: Option<Arc<crate::memory::MemoryService>>,
}

/// The result of one tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// What the model sees (capped).
    pub content: String,
    pub is_error: bool,
}

impl ToolOutput {
    pub fn ok(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            is_error: false,
        }
    }

    pub fn error(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            is_error: true,
        }
    }
}

/// What the user is asked to approve: the exact command, or the diff a write/edit would make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalPreview {
    Command(String),
    Diff { path: String, diff: String },
}

pub trait Tool: Send + Sync {
    fn name(&self) -> &str;
    fn description(&self) -> &str;
    /// JSON Schema (an object schema) of the arguments.
    fn parameters(&self) -> serde_json::Value;
    /// Tools that change nothing (read, glob, grep) run without asking.
    fn needs_approval(&self) -> bool;
    /// Whether the tool checks its own arguments (an MCP server does), so the registry only
    /// makes sure they are a JSON object instead of checking them against `parameters()`.
    fn checks_own_arguments(&self) -> bool {
        false
    }
    /// What to show when asking for approval. An error here is returned to the model as the
    /// tool's result without asking (for example: the edit's old_string does not match).
    fn preview(
        &self,
        arguments: &serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ApprovalPreview, String>;
    fn execute(&self, arguments: serde_json::Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput>;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().to_string(),
            description: self.description().to_string(),
            parameters: self.parameters(),
        }
    }
}
