//! Which tools a session offers and what they reach: the agent's built-ins, plus the optional
//! tools whose feature is on (memory, `task`, MCP servers). One place, so every feature adds
//! its tools and services here and the session's two callers (start, agent switch) agree.

use super::Session;
use crate::agents::Agent;
use crate::core::CoreDeps;
use crate::tools::{ToolRegistry, ToolServices};

/// The tools a session with `agent` offers. An error names the agent's unknown tool.
pub(super) fn session_tools(deps: &CoreDeps, agent: &Agent) -> Result<ToolRegistry, String> {
    let mut tools = deps
        .tools
        .restricted_to(&agent.tools)
        .map_err(|e| e.to_string())?;
    for tool in deps.mcp.tools_for(&agent.tools) {
        tools = tools.with(tool);
    }
    Ok(tools)
}

impl Session {
    /// What this session's optional tools reach, handed to each tool call.
    pub(super) fn tool_services(&self) -> ToolServices {
        ToolServices::default()
    }
}
