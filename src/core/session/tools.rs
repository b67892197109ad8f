//! Which tools a session offers and what they reach: the agent's built-ins, plus the optional
//! tools whose feature is on (memory, `task`, MCP servers). One place, so every feature adds
//! its tools and services here and the session's two callers (start, agent switch) agree.

use super::Session;
use crate::agents::Agent;
use crate::core::CoreDeps;
use crate::tools::{ToolRegistry, ToolServices};
use std::sync::Arc;

/// The tools a session with `agent` offers. An error names the agent's unknown tool.
pub(super) fn session_tools(deps: &CoreDeps, agent: &Agent) -> Result<ToolRegistry, String> {
    let mut tools = deps
        .tools
        .restricted_to(&agent.tools)
        .map_err(|e| e.to_string())?;
    if agent.tools.iter().any(|t| t == "task") {
        tools = tools.with(Arc::new(crate::tools::task::TaskTool));
    }
    if let Some(memory) = &deps.memory {
        tools = crate::tools::memory::add_memory_tools(tools, &agent.tools, memory.config().save);
    }
    for tool in deps.mcp.tools_for(&agent.tools) {
        tools = tools.with(tool);
    }
    Ok(tools)
}

impl Session {
    /// What this session's optional tools reach, handed to each tool call.
    pub(super) fn tool_services(&self) -> ToolServices {
        ToolServices {
            subagents: self.subagent_service(),
            memory: self.deps.memory.clone(),
        }
    }

    /// The runner `task` calls reach (the call id is filled in per call by `run_tool`).
    fn subagent_service(&self) -> Option<crate::tools::task::SubagentService> {
        self.tools.get("task")?;
        let parent = crate::core::subagents::ParentContext {
            deps: self.deps.clone(),
            open_sessions: self.open_sessions.clone(),
            conversation: self.conversation?,
            inbox: self.me.inbox.clone(),
            hub: self.subagents.clone(),
            agent: self.agent.name.clone(),
            pin: self
                .pin
                .as_ref()
                .filter(|p| !p.is_auto())
                .map(|p| p.model.clone()),
            approval: self.permissions.policy.mode,
            headless: self.permissions.headless,
        };
        Some(crate::tools::task::SubagentService {
            runner: Arc::new(parent),
            call_id: String::new(),
        })
    }
}
