//! One server's life, as a task: connect (within its start-up timeout), list its tools, then
//! wait for one of three things: a `tools/list_changed` notification (list again), the server
//! going away (marked failed, with the last lines it wrote to stderr), or the manager stopping
//! (the connection is closed and a stdio server is killed).

use super::connect::{self, Handler, StderrTail};
use super::{McpToolInfo, ServerState, Shared, names};
use crate::config::mcp::McpServerConfig;
use rmcp::RoleClient;
use rmcp::service::Peer;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Longest wait for a failed stdio server's stderr to be read to its end.
const STDERR_SETTLE: Duration = Duration::from_secs(1);

/// How long closing a connection may take before the server is left to be killed.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

pub(super) struct ServerLife {
    pub name: String,
    pub config: McpServerConfig,
    pub workspace: PathBuf,
    pub env_allow: Arc<Vec<String>>,
    pub shared: Arc<Shared>,
    pub stop: CancellationToken,
}

impl ServerLife {
    pub async fn run(self) {
        let refresh = Arc::new(Notify::new());
        let (shared, name) = (self.shared.clone(), self.name.clone());
        let handler = Handler::new(
            refresh.clone(),
            Arc::new(move || shared.update(&name, |entry| entry.relisting = true)),
        );
        let startup = Duration::from_secs(self.config.startup_timeout_secs);
        let tail = StderrTail::default();
        let connecting = connect::connect(
            &self.name,
            &self.config,
            &self.workspace,
            &self.env_allow,
            handler,
            tail.clone(),
        );
        let service = tokio::select! {
            _ = self.stop.cancelled() => return,
            result = tokio::time::timeout(startup, connecting) => match result {
                Ok(Ok(service)) => service,
                Ok(Err(e)) => {
                    tail.settled(STDERR_SETTLE).await;
                    return self.fail(with_stderr(e, &tail));
                }
                Err(_) => return self.fail(format!(
                    "did not answer within {}s: check that it starts by hand, or raise mcp.servers.{}.startup_timeout_secs",
                    startup.as_secs(), self.name
                )),
            },
        };
        let peer = service.peer().clone();
        let listed = tokio::select! {
            _ = self.stop.cancelled() => return,
            listed = tokio::time::timeout(startup, list_tools(&self.name, &peer)) => listed,
        };
        match listed {
            Ok(Ok(tools)) => self.ready(peer.clone(), tools),
            Ok(Err(e)) => {
                tail.settled(STDERR_SETTLE).await;
                return self.fail(with_stderr(e, &tail));
            }
            Err(_) => {
                return self.fail(format!(
                    "did not list its tools within {}s",
                    startup.as_secs()
                ));
            }
        }
        let closer = service.cancellation_token();
        let mut waiting = Box::pin(service.waiting());
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => {
                    closer.cancel();
                    let _ = tokio::time::timeout(CLOSE_GRACE, &mut waiting).await;
                    return;
                }
                _ = &mut waiting => {
                    tail.settled(STDERR_SETTLE).await;
                    return self.fail(with_stderr(
                        "the server exited; its tools are gone until the harness restarts".to_string(),
                        &tail,
                    ));
                }
                _ = refresh.notified() => {
                    match tokio::time::timeout(startup, list_tools(&self.name, &peer)).await {
                        Ok(Ok(tools)) => self.ready(peer.clone(), tools),
                        Ok(Err(e)) => tracing::warn!("MCP server {}: listing tools again: {e}", self.name),
                        Err(_) => tracing::warn!("MCP server {}: listing tools again timed out", self.name),
                    }
                    self.shared.update(&self.name, |entry| entry.relisting = false);
                }
            }
        }
    }

    fn ready(&self, peer: Peer<RoleClient>, tools: Vec<McpToolInfo>) {
        tracing::info!("MCP server {}: ready, {} tools", self.name, tools.len());
        self.shared.update(&self.name, |entry| {
            entry.status.state = ServerState::Ready;
            entry.status.error = None;
            entry.status.tools = tools;
            entry.peer = Some(peer);
        });
    }

    fn fail(&self, reason: String) {
        tracing::warn!("MCP server {}: {reason}", self.name);
        self.shared.update(&self.name, |entry| {
            entry.status.state = ServerState::Failed;
            entry.status.error = Some(reason);
            entry.status.tools.clear();
            entry.peer = None;
            entry.relisting = false;
        });
    }
}

async fn list_tools(server: &str, peer: &Peer<RoleClient>) -> Result<Vec<McpToolInfo>, String> {
    let tools = peer
        .list_all_tools()
        .await
        .map_err(|e| format!("listing its tools failed: {e}"))?;
    let mut infos: Vec<McpToolInfo> = Vec::new();
    for tool in tools {
        let wire = serde_json::to_value(&tool).unwrap_or_default();
        let server_tool = tool.name.to_string();
        let name = names::exposed_name(server, &server_tool);
        if infos.iter().any(|t| t.name == name) {
            tracing::warn!(
                "MCP server {server}: tool `{server_tool}` is left out: its name collides with another as {name}"
            );
            continue;
        }
        let mut schema = wire
            .get("inputSchema")
            .cloned()
            .unwrap_or_else(|| serde_json::json!({"type": "object"}));
        if schema.get("type").is_none() {
            if let Some(object) = schema.as_object_mut() {
                object.insert("type".into(), "object".into());
            }
        }
        let description = wire
            .get("description")
            .and_then(|d| d.as_str())
            .filter(|d| !d.trim().is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("`{server_tool}` from the MCP server `{server}`"));
        infos.push(McpToolInfo {
            name,
            server_tool,
            description,
            schema,
        });
    }
    Ok(infos)
}

/// `reason`, followed by the last thing the server wrote to stderr, if anything.
fn with_stderr(reason: String, tail: &StderrTail) -> String {
    match tail.last_lines(3) {
        Some(lines) => format!("{reason} (stderr: {lines})"),
        None => reason,
    }
}
