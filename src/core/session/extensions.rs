//! The session's side of MCP servers and hooks (a child module of `session`): MCP status
//! changes are forwarded to the front ends as `mcp_status` events; the session's tools are
//! rebuilt when a server's tools change (checked before each model request); a turn waits for
//! servers still starting, so its first request offers their tools; hooks run at session start,
//! before a prompt is sent (and may keep it from being sent), around each tool call (in the
//! tool's task, so an interrupt stops them too) and when a turn ends. Every hook run is
//! reported as a `hook_result` event.

use super::*;
use crate::config::hooks::HookEvent;
use crate::hooks::{HookInput, HookReport, Hooks};
use crate::mcp::{McpManager, ServerStatus};
use crate::message::ToolCall;
use std::collections::BTreeMap;

/// Events from the session's helpers (hook runs in tool tasks, MCP status changes), emitted by
/// the session loop.
pub(super) struct Extensions {
    pub tx: mpsc::UnboundedSender<Event>,
    pub rx: mpsc::UnboundedReceiver<Event>,
    /// The MCP manager's version this session's tools were built at.
    mcp_version: Option<u64>,
}

impl Default for Extensions {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            tx,
            rx,
            mcp_version: None,
        }
    }
}

/// The next event a helper sent (never ends: the session holds a sender).
pub(super) async fn next_extension_event(ext: &mut Extensions) -> Event {
    match ext.rx.recv().await {
        Some(event) => event,
        None => std::future::pending().await,
    }
}

pub(super) fn hook_event(report: HookReport) -> Event {
    Event::HookResult {
        event: report.event.as_str().to_string(),
        command: report.command,
        outcome: report.outcome.as_str().to_string(),
        exit_code: report.exit_code,
        output: report.output,
        tool: report.tool,
    }
}

fn mcp_event(status: &ServerStatus) -> Event {
    Event::McpStatus {
        server: status.name.clone(),
        state: status.state.as_str().to_string(),
        tools: status.tools.iter().map(|t| t.name.clone()).collect(),
        error: status.error.clone(),
    }
}

/// Send `mcp_status` for every server now, then for each one whose state or tools change,
/// until the session goes.
async fn forward_mcp_status(manager: McpManager, tx: mpsc::UnboundedSender<Event>) {
    let mut changes = manager.subscribe();
    let mut sent: BTreeMap<String, ServerStatus> = BTreeMap::new();
    loop {
        for status in manager.statuses() {
            if sent.get(&status.name) != Some(&status) {
                if tx.send(mcp_event(&status)).is_err() {
                    return;
                }
                sent.insert(status.name.clone(), status);
            }
        }
        tokio::select! {
            _ = tx.closed() => return,
            changed = changes.changed() => if changed.is_err() { return },
        }
    }
}

impl Session {
    /// At session start: MCP status events, a word about untrusted project hooks, and the
    /// session_start hooks (in the background).
    pub(super) fn start_extensions(&mut self) {
        if !self.deps.mcp.is_empty() {
            self.deps.mcp.start();
            tokio::spawn(forward_mcp_status(
                self.deps.mcp.clone(),
                self.ext.tx.clone(),
            ));
        }
        if let Some(message) = self.deps.hooks.project_notice() {
            self.emit(Event::Notice { message });
        }
        if self.deps.hooks.wants(HookEvent::SessionStart, None) {
            let hooks = self.deps.hooks.clone();
            let tx = self.ext.tx.clone();
            let conversation_id = self.conversation.unwrap_or(self.pending_id).to_string();
            tokio::spawn(async move {
                let input = HookInput {
                    conversation_id,
                    ..Default::default()
                };
                for report in hooks.run(HookEvent::SessionStart, &input).await.reports {
                    let _ = tx.send(hook_event(report));
                }
            });
        }
    }

    /// Rebuild the session's tools when an MCP server's tools changed since they were built.
    pub(super) fn refresh_mcp_tools(&mut self) {
        if self.deps.mcp.is_empty() {
            return;
        }
        let version = self.deps.mcp.version();
        if self.ext.mcp_version == Some(version) {
            return;
        }
        if let Ok(tools) = tools::session_tools(&self.deps, &self.agent) {
            self.tools = tools;
            self.ext.mcp_version = Some(version);
        }
    }

    /// Before a model request: wait for servers still starting or listing changed tools (each
    /// within its start-up timeout), so the request offers their tools as they are now.
    pub(super) async fn sync_mcp_tools(&mut self) {
        if self.deps.mcp.is_empty() {
            return;
        }
        let starting = self.deps.mcp.starting();
        if !starting.is_empty() {
            self.emit(Event::Notice {
                message: format!(
                    "waiting for MCP server(s) {} to start (see `/mcp`)",
                    starting.join(", ")
                ),
            });
        }
        self.deps.mcp.settled().await;
        self.refresh_mcp_tools();
    }

    /// Before a user turn: the user_prompt hooks. An error is why the prompt is not sent.
    pub(super) async fn before_turn(&mut self, text: &str) -> Result<(), String> {
        if !self.deps.hooks.wants(HookEvent::UserPrompt, None) {
            return Ok(());
        }
        let input = HookInput {
            conversation_id: self.conversation.unwrap_or(self.pending_id).to_string(),
            prompt: Some(text),
            ..Default::default()
        };
        let run = self.deps.hooks.run(HookEvent::UserPrompt, &input).await;
        for report in run.reports {
            self.emit(hook_event(report));
        }
        match run.blocked {
            Some(why) => Err(format!(
                "a user_prompt hook kept the message from being sent: {why}"
            )),
            None => Ok(()),
        }
    }

    /// When a turn ends: the stop hooks.
    pub(super) async fn after_turn(&mut self, status: MessageStatus) {
        if !self.deps.hooks.wants(HookEvent::Stop, None) {
            return;
        }
        let status = status.as_str();
        let input = HookInput {
            conversation_id: self.conversation.unwrap_or(self.pending_id).to_string(),
            status: Some(status),
            ..Default::default()
        };
        for report in self.deps.hooks.run(HookEvent::Stop, &input).await.reports {
            self.emit(hook_event(report));
        }
    }

    /// `/mcp`: every server, its state and tools, as a notice to the asker.
    pub(super) fn list_mcp_servers(&self) {
        let statuses = self.deps.mcp.statuses();
        let message = if statuses.is_empty() {
            "no MCP servers configured: add [mcp.servers.NAME] with command = \"...\" or url = \"...\" to config.toml".to_string()
        } else {
            format!(
                "MCP servers:\n{}",
                crate::mcp::listing(&statuses).trim_end()
            )
        };
        self.reply(Event::Notice { message });
    }

    /// What is needed to run a tool call's hooks inside its task.
    pub(super) fn tool_hooks(&self) -> ToolHooks {
        ToolHooks {
            hooks: self.deps.hooks.clone(),
            tx: self.ext.tx.clone(),
            conversation_id: self.conversation.unwrap_or(self.pending_id).to_string(),
        }
    }
}

/// A tool call's hooks, run in the tool's task.
pub(super) struct ToolHooks {
    hooks: Arc<Hooks>,
    tx: mpsc::UnboundedSender<Event>,
    conversation_id: String,
}

impl ToolHooks {
    /// pre_tool hooks, the call (unless one blocked: its stderr is the result), post_tool hooks.
    pub async fn around(self, call: ToolCall, tools: ToolRegistry, ctx: ToolContext) -> ToolOutput {
        let tool = Some(call.name.as_str());
        let mut input = HookInput {
            conversation_id: self.conversation_id.clone(),
            tool,
            arguments: Some(&call.arguments),
            ..Default::default()
        };
        if self.hooks.wants(HookEvent::PreTool, tool) {
            let run = self.hooks.run(HookEvent::PreTool, &input).await;
            for report in run.reports {
                let _ = self.tx.send(hook_event(report));
            }
            if let Some(why) = run.blocked {
                return ToolOutput::error(why);
            }
        }
        let output = tools.execute(&call, ctx).await;
        if self.hooks.wants(HookEvent::PostTool, tool) {
            input.output = Some(&output.content);
            input.is_error = Some(output.is_error);
            for report in self.hooks.run(HookEvent::PostTool, &input).await.reports {
                let _ = self.tx.send(hook_event(report));
            }
        }
        output
    }
}
