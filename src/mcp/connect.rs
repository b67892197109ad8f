//! Building one server's connection: a stdio server is spawned with the allowlisted host
//! environment (`sandbox::host::filter_env`, as host commands get) plus its own `env`, in the
//! workspace, killed when the connection is dropped, its stderr kept (the last lines explain a
//! failure); a streamable-HTTP server is reached at its URL with its headers. `${VAR}` in
//! `env`, `url` and `headers` is expanded here, so an unset variable fails this server alone.
//! The client handler hears `notifications/tools/list_changed`.

use crate::config::expand_vars;
use crate::config::mcp::McpServerConfig;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{MaybeSendFuture, NotificationContext, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncBufReadExt;
use tokio::sync::Notify;

/// Lines of a server's stderr kept for its failure message.
const TAIL_LINES: usize = 20;
/// Longest stderr line kept.
const TAIL_LINE_CHARS: usize = 300;

/// The harness's side of an MCP connection.
#[derive(Clone)]
pub(super) struct Handler {
    /// Called when the server says its tools changed (marks the server as relisting).
    on_change: Arc<dyn Fn() + Send + Sync>,
    refresh: Arc<Notify>,
}

impl Handler {
    pub fn new(refresh: Arc<Notify>, on_change: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self { on_change, refresh }
    }
}

impl ClientHandler for Handler {
    fn on_tool_list_changed(
        &self,
        _context: NotificationContext<RoleClient>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        (self.on_change)();
        self.refresh.notify_one();
        std::future::ready(())
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("harness", env!("CARGO_PKG_VERSION")),
        )
    }
}

/// The last lines a stdio server wrote to stderr.
#[derive(Clone, Default)]
pub(super) struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    /// Whether the server's stderr is followed, and then whether it reached its end (the
    /// process is gone).
    reading: Arc<tokio::sync::watch::Sender<Reading>>,
}

impl StderrTail {
    /// Wait until the server's stderr has been read to its end, at most `limit`: a server that
    /// failed has exited, and what it wrote last is the reason to show (without the wait, the
    /// failure could be reported before the reader had those lines).
    pub async fn settled(&self, limit: std::time::Duration) {
        let mut reading = self.reading.subscribe();
        let _ = tokio::time::timeout(limit, reading.wait_for(|r| *r != Reading::Open)).await;
    }

    fn follow(&self, stderr: tokio::process::ChildStderr, server: String) {
        let lines = self.lines.clone();
        self.reading.send_replace(Reading::Open);
        let reading = self.reading.clone();
        tokio::spawn(async move {
            let _closed_on_exit = ClosedOnDrop(reading);
            let mut reader = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                tracing::debug!("MCP server {server} stderr: {line}");
                let line: String = crate::sanitize::strip(line.trim())
                    .chars()
                    .take(TAIL_LINE_CHARS)
                    .collect();
                if line.is_empty() {
                    continue;
                }
                let mut kept = lines.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() == TAIL_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
    }

    /// The last `n` lines joined with ` | `, if there are any.
    pub fn last_lines(&self, n: usize) -> Option<String> {
        let kept = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let skip = kept.len().saturating_sub(n);
        let lines: Vec<&str> = kept.iter().skip(skip).map(String::as_str).collect();
        (!lines.is_empty()).then(|| lines.join(" | "))
    }
}

/// Where reading a server's stderr is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Reading {
    /// Nothing to read (an HTTP server, or not started).
    #[default]
    None,
    Open,
    /// Read to its end.
    Closed,
}

/// Marks the stderr as read to its end however the reader's task ends.
struct ClosedOnDrop(Arc<tokio::sync::watch::Sender<Reading>>);

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        self.0.send_replace(Reading::Closed);
    }
}

/// The command line or the URL without its query (which may carry a key).
pub(super) fn describe_target(config: &McpServerConfig) -> String {
    match (&config.url, &config.command) {
        (Some(url), _) => url.split(['?', '#']).next().unwrap_or(url).to_string(),
        (None, Some(command)) => std::iter::once(command.as_str())
            .chain(config.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        (None, None) => String::new(),
    }
}

pub(super) type Service = RunningService<RoleClient, Handler>;

/// Connect to the server and complete the MCP handshake. The error says what went wrong.
pub(super) async fn connect(
    name: &str,
    config: &McpServerConfig,
    workspace: &Path,
    env_allow: &[String],
    handler: Handler,
    tail: StderrTail,
) -> Result<Service, String> {
    let lookup = |k: &str| std::env::var(k).ok();
    match (&config.url, &config.command) {
        (Some(url), _) => {
            let url = expand_vars(url, &lookup).map_err(|e| format!("url: {e}"))?;
            let mut headers = HashMap::new();
            for (key, value) in &config.headers {
                let value =
                    expand_vars(value, &lookup).map_err(|e| format!("headers.{key}: {e}"))?;
                let header_name = axum::http::HeaderName::try_from(key.as_str())
                    .map_err(|e| format!("headers.{key}: not a header name: {e}"))?;
                let header_value = axum::http::HeaderValue::try_from(value)
                    .map_err(|e| format!("headers.{key}: not a header value: {e}"))?;
                headers.insert(header_name, header_value);
            }
            let transport = StreamableHttpClientTransport::from_config(
                StreamableHttpClientTransportConfig::with_uri(url).custom_headers(headers),
            );
            handler
                .serve(transport)
                .await
                .map_err(|e| format!("could not connect: {e}"))
        }
        (None, Some(command)) => {
            let mut env = crate::sandbox::host::filter_env(std::env::vars_os(), env_allow);
            for (key, value) in &config.env {
                let value = expand_vars(value, &lookup).map_err(|e| format!("env.{key}: {e}"))?;
                env.push((key.into(), value.into()));
            }
            let cwd = match &config.cwd {
                Some(dir) => workspace.join(dir),
                None => workspace.to_path_buf(),
            };
            let mut cmd = tokio::process::Command::new(command);
            cmd.args(&config.args)
                .env_clear()
                .envs(env)
                .current_dir(&cwd)
                .kill_on_drop(true);
            let (process, stderr) = TokioChildProcess::builder(cmd)
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| {
                    format!(
                        "could not start `{command}`: {e}: check mcp.servers.{name}.command (installed, on PATH?) and cwd"
                    )
                })?;
            if let Some(stderr) = stderr {
                tail.follow(stderr, name.to_string());
            }
            handler
                .serve(process)
                .await
                .map_err(|e| format!("exited or broke the protocol before it was ready: {e}"))
        }
        (None, None) => Err("neither command nor url is set".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_never_show_a_query() {
        let http = McpServerConfig {
            url: Some("https://mcp.example.com/mcp?key=secret#x".into()),
            ..Default::default()
        };
        assert_eq!(describe_target(&http), "https://mcp.example.com/mcp");
        let stdio = McpServerConfig {
            command: Some("npx".into()),
            args: vec!["-y".into(), "server".into()],
            ..Default::default()
        };
        assert_eq!(describe_target(&stdio), "npx -y server");
    }

    #[test]
    fn the_stderr_tail_keeps_the_last_lines() {
        let tail = StderrTail::default();
        assert_eq!(tail.last_lines(3), None);
        {
            let mut kept = tail.lines.lock().unwrap();
            for i in 0..30 {
                kept.push_back(format!("line {i}"));
            }
        }
        assert_eq!(tail.last_lines(2).as_deref(), Some("line 28 | line 29"));
    }

    #[tokio::test]
    async fn a_settled_tail_holds_what_an_exited_server_wrote_last() {
        // No reader: nothing to wait for.
        let idle = StderrTail::default();
        let started = std::time::Instant::now();
        idle.settled(std::time::Duration::from_secs(5)).await;
        assert!(started.elapsed() < std::time::Duration::from_secs(1));

        let tail = StderrTail::default();
        let mut child = tokio::process::Command::new("sh")
            .args([
                "-c",
                "sleep 0.2; echo 'cannot open its database' >&2; exit 3",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        tail.follow(child.stderr.take().unwrap(), "t".into());
        child.wait().await.unwrap();
        tail.settled(std::time::Duration::from_secs(5)).await;
        assert_eq!(
            tail.last_lines(3).as_deref(),
            Some("cannot open its database")
        );
    }
}
