//! An MCP server's tool behind the harness's `Tool` trait: offered as `mcp__SERVER__TOOL` with
//! the server's JSON schema, always asking for approval unless a permission rule allows it (the
//! harness cannot know what a server's tool changes), and answering with the result's text
//! (`content.rs`). The server checks its own arguments; an interrupt or the server's tool
//! timeout ends the call (the SDK tells the server it was cancelled).

use super::{McpManager, McpToolInfo};
use crate::tools::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use futures::future::BoxFuture;
use rmcp::model::CallToolRequestParams;
use serde_json::Value;

/// Longest argument text shown when asking for approval.
const PREVIEW_CHARS: usize = 2_000;

pub struct McpTool {
    manager: McpManager,
    server: String,
    info: McpToolInfo,
}

impl McpTool {
    pub fn new(manager: McpManager, server: &str, info: McpToolInfo) -> Self {
        Self {
            manager,
            server: server.to_string(),
            info,
        }
    }

    async fn call(&self, arguments: Value, ctx: ToolContext) -> ToolOutput {
        let (peer, timeout) = match self.manager.peer(&self.server) {
            Ok(found) => found,
            Err(e) => return ToolOutput::error(e),
        };
        let mut params = CallToolRequestParams::new(self.info.server_tool.clone());
        if let Value::Object(map) = arguments {
            params = params.with_arguments(map);
        }
        let call = peer.call_tool(params);
        // A server that dies mid-call never answers: notice it instead of waiting out the timeout.
        let gone = async {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
            loop {
                tick.tick().await;
                if peer.is_transport_closed() || self.manager.peer(&self.server).is_err() {
                    break;
                }
            }
        };
        let result = tokio::select! {
            _ = ctx.cancel.cancelled() => return ToolOutput::error("interrupted"),
            result = tokio::time::timeout(timeout, call) => result,
            () = gone => {
                self.manager.connection_lost(&self.server);
                return ToolOutput::error(format!(
                    "the MCP server `{}` exited during the call; its tools are gone until the harness restarts",
                    self.server
                ));
            }
        };
        match result {
            Err(_) => ToolOutput::error(format!(
                "the MCP server `{}` did not answer within {}s (mcp.servers.{}.tool_timeout_secs); the call was cancelled",
                self.server,
                timeout.as_secs(),
                self.server
            )),
            Ok(Err(e)) => {
                if matches!(
                    e,
                    rmcp::ServiceError::TransportClosed | rmcp::ServiceError::TransportSend(_)
                ) || peer.is_transport_closed()
                {
                    // Withdraw its tools now; the server's task adds what it wrote to stderr.
                    self.manager.connection_lost(&self.server);
                }
                ToolOutput::error(format!(
                    "the MCP server `{}` failed the call: {e}",
                    self.server
                ))
            }
            Ok(Ok(result)) => {
                let wire = serde_json::to_value(&result).unwrap_or_default();
                let (text, is_error) = super::content::render_result(&wire);
                let text = crate::sandbox::truncate::cap_text(
                    &text,
                    crate::sandbox::truncate::DEFAULT_MODEL_CAP,
                );
                ToolOutput {
                    content: text,
                    is_error,
                }
            }
        }
    }
}

impl Tool for McpTool {
    fn name(&self) -> &str {
        &self.info.name
    }

    fn description(&self) -> &str {
        &self.info.description
    }

    fn parameters(&self) -> Value {
        self.info.schema.clone()
    }

    fn needs_approval(&self) -> bool {
        true
    }

    fn checks_own_arguments(&self) -> bool {
        true
    }

    fn preview(&self, arguments: &Value, _ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let mut shown = serde_json::to_string(arguments).unwrap_or_default();
        if shown.chars().count() > PREVIEW_CHARS {
            shown = shown.chars().take(PREVIEW_CHARS).collect::<String>() + "…";
        }
        Ok(ApprovalPreview::Command(format!(
            "MCP {} › {} {shown}",
            self.server, self.info.server_tool
        )))
    }

    fn execute(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput> {
        Box::pin(self.call(arguments, ctx))
    }
}
