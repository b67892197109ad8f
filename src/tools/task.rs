//! `task`: hand a piece of work to a child session (a subagent) and get its final answer back as
//! this call's result. The tool only checks the arguments and asks the runner the session
//! provides (`ToolServices::subagents`); how a child runs (its own conversation, agent, sandbox,
//! limits, worktree) is the core's (`core::subagents`), which sits above this module.

use super::arguments::parse_arguments;
use super::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What the model asked a child to do.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TaskRequest {
    /// A short label (3-8 words) shown while the child runs.
    pub description: String,
    /// The child's first user message: everything it needs to know.
    pub prompt: String,
    /// The agent to run; the parent's when absent.
    #[serde(default)]
    pub agent: Option<String>,
    /// Work in a new git worktree on branch `harness/<child-id-prefix>`.
    #[serde(default)]
    pub worktree: bool,
}

/// Runs child sessions; the session hands one to each `task` call.
pub trait SubagentRunner: Send + Sync {
    /// Run `request` as a child of the tool call `call_id` until it ends, `cancel` fires, or a
    /// limit is reached; the result is what the parent's model reads.
    fn run(
        &self,
        call_id: String,
        request: TaskRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, ToolOutput>;
}

/// The `task` tool's handle in `ToolServices`: the runner and the call being run.
#[derive(Clone)]
pub struct SubagentService {
    pub runner: Arc<dyn SubagentRunner>,
    /// The id of the tool call this context was made for (the child is linked to it).
    pub call_id: String,
}

pub struct TaskTool;

impl Tool for TaskTool {
    fn name(&self) -> &str {
        "task"
    }

    fn description(&self) -> &str {
        "Hand a self-contained piece of work to a subagent: a child session with its own context \
         and tools that runs to completion and returns its final answer as this tool's result. \
         Several task calls in one reply run at the same time. The child sees only `prompt`, so \
         say everything it needs (files, goal, what to report back). `agent` picks the agent \
         (default: the current one). `worktree: true` gives it its own git worktree and branch \
         so parallel children never edit the same files."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "description": {"type": "string", "description": "A short label for the work (3-8 words)."},
                "prompt": {"type": "string", "description": "The full instructions for the subagent."},
                "agent": {"type": "string", "description": "Agent to run (default: the current agent)."},
                "worktree": {"type": "boolean", "description": "Work in a new git worktree and branch (default false)."}
            },
            "required": ["description", "prompt"]
        })
    }

    /// The child's own tool calls are approved one by one; starting it changes nothing.
    fn needs_approval(&self) -> bool {
        false
    }

    fn preview(&self, arguments: &Value, _ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let request: TaskRequest = parse_arguments(self, arguments)?;
        Ok(ApprovalPreview::Command(format!(
            "task ({}): {}",
            request.agent.as_deref().unwrap_or("current agent"),
            request.description
        )))
    }

    fn execute(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput> {
        Box::pin(async move {
            let request: TaskRequest = match parse_arguments(self, &arguments) {
                Ok(request) => request,
                Err(message) => return ToolOutput::error(message),
            };
            if request.prompt.trim().is_empty() {
                return ToolOutput::error(
                    "`prompt` is empty: say what the subagent should do and report back",
                );
            }
            let Some(service) = ctx.services.subagents.clone() else {
                return ToolOutput::error(
                    "subagents are not available in this session: do the work yourself",
                );
            };
            service
                .runner
                .run(service.call_id, request, ctx.cancel.clone())
                .await
        })
    }
}
