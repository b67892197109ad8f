#![allow(clippy::print_stdout, clippy::print_stderr)]
//! A small MCP server for the test suite, built on rmcp's server side. Over stdio by default,
//! or streamable HTTP with `--http ADDR` (prints `listening on ADDR` first). Its tools:
//! `echo {text}`, `picture` (an image), `env {name}` (a variable of its environment, or
//! `unset`), `crash` (exits mid-call), `slow {secs}` (sleeps), and `grow`, which adds the tool
//! `extra` and sends `notifications/tools/list_changed`. Faults for start-up:
//! `--exit-at-start` (writes to stderr and exits 3) and `--hang` (never answers). With
//! `MCP_TEST_PID_FILE` set it writes its process id there first.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone, Default)]
struct TestServer {
    grown: Arc<AtomicBool>,
}

fn tool(name: &'static str, description: &'static str, schema: Value) -> Tool {
    let Value::Object(schema) = schema else {
        unreachable!("schemas are objects")
    };
    Tool::new(name, description, Arc::new(schema))
}

fn text_arg(params: &CallToolRequestParams, name: &str) -> String {
    params
        .arguments
        .as_ref()
        .and_then(|a| a.get(name))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl ServerHandler for TestServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let text = json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]});
        let mut tools = vec![
            tool("echo", "Says the text back", text),
            tool("picture", "Returns a tiny image", json!({"type": "object"})),
            tool(
                "env",
                "Reads one variable of the server's environment",
                json!({"type": "object", "properties": {"name": {"type": "string"}}}),
            ),
            tool(
                "crash",
                "Exits in the middle of the call",
                json!({"type": "object"}),
            ),
            tool(
                "slow",
                "Sleeps for secs seconds",
                json!({"type": "object", "properties": {"secs": {"type": "integer"}}}),
            ),
            tool("grow", "Adds the tool `extra`", json!({"type": "object"})),
        ];
        if self.grown.load(Ordering::SeqCst) {
            tools.push(tool(
                "extra",
                "Appears after grow",
                json!({"type": "object"}),
            ));
        }
        Ok(ListToolsResult {
            tools,
            ..Default::default()
        })
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let content = match request.name.as_ref() {
            "echo" => ContentBlock::text(format!("echo: {}", text_arg(&request, "text"))),
            "picture" => ContentBlock::image("iVBORw0KGgo=", "image/png"),
            "env" => ContentBlock::text(
                std::env::var(text_arg(&request, "name")).unwrap_or_else(|_| "unset".into()),
            ),
            "crash" => {
                eprintln!("test server: crashing on purpose");
                std::process::exit(9)
            }
            "slow" => {
                let secs = request
                    .arguments
                    .as_ref()
                    .and_then(|a| a.get("secs"))
                    .and_then(Value::as_u64)
                    .unwrap_or(60);
                tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
                ContentBlock::text("slept")
            }
            "grow" => {
                self.grown.store(true, Ordering::SeqCst);
                let _ = context.peer.notify_tool_list_changed().await;
                ContentBlock::text("grown")
            }
            "extra" => ContentBlock::text("extra here"),
            other => {
                return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                    "no tool {other}"
                ))])
                .into());
            }
        };
        Ok(CallToolResult::success(vec![content]).into())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Ok(path) = std::env::var("MCP_TEST_PID_FILE") {
        std::fs::write(path, std::process::id().to_string())?;
    }
    if args.iter().any(|a| a == "--exit-at-start") {
        eprintln!("test server: cannot open its database");
        std::process::exit(3);
    }
    if args.iter().any(|a| a == "--hang") {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        return Ok(());
    }
    if let Some(at) = args.iter().position(|a| a == "--http") {
        use rmcp::transport::streamable_http_server::{
            StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
        };
        let addr = args
            .get(at + 1)
            .map(String::as_str)
            .unwrap_or("127.0.0.1:0");
        let service: StreamableHttpService<TestServer, LocalSessionManager> =
            StreamableHttpService::new(
                || Ok(TestServer::default()),
                Default::default(),
                StreamableHttpServerConfig::default(),
            );
        let router = axum::Router::new().nest_service("/mcp", service);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("listening on {}", listener.local_addr()?);
        axum::serve(listener, router).await?;
        return Ok(());
    }
    let running = TestServer::default()
        .serve(rmcp::transport::stdio())
        .await?;
    running.waiting().await?;
    Ok(())
}
