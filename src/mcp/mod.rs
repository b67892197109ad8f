//! MCP servers as tools. The manager (`McpManager`, one per core) starts every configured
//! server in the background when the core starts (so start-up is no slower), keeps each one's
//! state (starting, ready with its tools, failed with the reason), and offers the tools of the
//! ready servers as `mcp__SERVER__TOOL` (`tool.rs`). A server that cannot start, does not answer
//! in time, or exits later is marked failed with a reason the user can act on; the harness goes
//! on without its tools. `notifications/tools/list_changed` makes the server's tools be listed
//! again. Servers run for as long as the core does: when the last handle is dropped, every
//! connection is closed and every stdio server is killed.
//!
//! The wire work is the official SDK's (`rmcp`); `connect.rs` builds the transports (stdio with
//! an allowlisted environment, streamable HTTP), `server.rs` runs one server's life.

mod connect;
pub mod content;
pub mod names;
mod server;
mod tool;

pub use tool::McpTool;

use crate::config::mcp::McpConfig;
use crate::message::MCP_TOOL_PREFIX;
use crate::tools::Tool;
use rmcp::RoleClient;
use rmcp::service::Peer;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

/// Where a server is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    /// `enabled = false` in its configuration.
    Disabled,
    Starting,
    Ready,
    Failed,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerState::Disabled => "disabled",
            ServerState::Starting => "starting",
            ServerState::Ready => "ready",
            ServerState::Failed => "failed",
        }
    }
}

/// One tool a server offers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McpToolInfo {
    /// The name models see: `mcp__SERVER__TOOL`.
    pub name: String,
    /// The server's own name for it.
    pub server_tool: String,
    pub description: String,
    /// JSON Schema of the arguments.
    #[serde(skip)]
    pub schema: serde_json::Value,
}

/// What `harness mcp list`, `/mcp` and `doctor` show of one server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerStatus {
    pub name: String,
    /// `stdio` or `http`.
    pub transport: String,
    /// The command line or the URL (without its query, which may hold a key).
    pub target: String,
    pub state: ServerState,
    /// Why it failed, and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub tools: Vec<McpToolInfo>,
}

struct Entry {
    status: ServerStatus,
    peer: Option<Peer<RoleClient>>,
    tool_timeout: Duration,
    /// The server said its tools changed and they are being listed again.
    relisting: bool,
}

/// State every server task writes and every session reads.
struct Shared {
    servers: Mutex<BTreeMap<String, Entry>>,
    /// Bumped on every change of any server's state or tools.
    changes: watch::Sender<u64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.servers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut Entry)) {
        if let Some(entry) = self.lock().get_mut(name) {
            change(entry);
        }
        self.changes.send_modify(|v| *v += 1);
    }
}

/// The MCP servers of one core. Clone it freely.
#[derive(Clone)]
pub struct McpManager {
    shared: Arc<Shared>,
    config: Arc<McpConfig>,
    workspace: PathBuf,
    env_allow: Arc<Vec<String>>,
    started: Arc<AtomicBool>,
    stop: CancellationToken,
    /// Cancels `stop` when the last handle goes: every server is then shut down.
    _guard: Arc<DropGuard>,
}

impl std::fmt::Debug for McpManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpManager")
            .field("servers", &self.config.servers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl McpManager {
    /// The servers of `config`, not started yet. `env_allow` is `[sandbox] env_allow`: stdio
    /// servers get the same allowlisted environment as host commands, plus their own `env`.
    pub fn new(config: &McpConfig, workspace: PathBuf, env_allow: &[String]) -> Self {
        let servers = config
            .servers
            .iter()
            .map(|(name, server)| {
                let status = ServerStatus {
                    name: name.clone(),
                    transport: server.transport().to_string(),
                    target: connect::describe_target(server),
                    state: if server.enabled {
                        ServerState::Starting
                    } else {
                        ServerState::Disabled
                    },
                    error: None,
                    tools: Vec::new(),
                };
                let entry = Entry {
                    status,
                    peer: None,
                    tool_timeout: Duration::from_secs(server.tool_timeout_secs),
                    relisting: false,
                };
                (name.clone(), entry)
            })
            .collect();
        let stop = CancellationToken::new();
        Self {
            shared: Arc::new(Shared {
                servers: Mutex::new(servers),
                changes: watch::channel(0).0,
            }),
            config: Arc::new(config.clone()),
            workspace,
            env_allow: Arc::new(env_allow.to_vec()),
            started: Arc::default(),
            _guard: Arc::new(stop.clone().drop_guard()),
            stop,
        }
    }

    /// Start every enabled server in the background (once; later calls do nothing). Outside a
    /// tokio runtime it does nothing and can be called again from inside one.
    pub fn start(&self) {
        if self.config.servers.is_empty() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        // The HTTP transport's client needs a process-wide TLS provider (an error here means
        // one is installed already, which is as good).
        let _ = rustls::crypto::ring::default_provider().install_default();
        for (name, server) in &self.config.servers {
            if !server.enabled {
                continue;
            }
            let life = server::ServerLife {
                name: name.clone(),
                config: server.clone(),
                workspace: self.workspace.clone(),
                env_allow: self.env_allow.clone(),
                shared: self.shared.clone(),
                stop: self.stop.child_token(),
            };
            let life = tokio::spawn(life.run());
            // A bug in the client must not leave the server "starting" for ever.
            let (shared, name) = (self.shared.clone(), name.clone());
            tokio::spawn(async move {
                if let Err(e) = life.await
                    && e.is_panic()
                {
                    tracing::error!("MCP server {name}: the client task panicked");
                    shared.update(&name, |entry| {
                        entry.status.state = ServerState::Failed;
                        entry.status.error = Some(
                            "the harness's MCP client failed (see the log): restart the harness"
                                .to_string(),
                        );
                        entry.status.tools.clear();
                        entry.peer = None;
                        entry.relisting = false;
                    });
                }
            });
        }
    }

    /// Whether any server is configured.
    pub fn is_empty(&self) -> bool {
        self.config.servers.is_empty()
    }

    /// Every server's status, by name.
    pub fn statuses(&self) -> Vec<ServerStatus> {
        self.shared
            .lock()
            .values()
            .map(|e| e.status.clone())
            .collect()
    }

    /// Changes to any server (its state or its tools) bump this value.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.changes.subscribe()
    }

    pub fn version(&self) -> u64 {
        *self.shared.changes.borrow()
    }

    /// Servers still starting, when they were started.
    pub fn starting(&self) -> Vec<String> {
        if !self.started.load(Ordering::SeqCst) {
            return Vec::new();
        }
        self.shared
            .lock()
            .values()
            .filter(|e| e.status.state == ServerState::Starting)
            .map(|e| e.status.name.clone())
            .collect()
    }

    /// Wait until no server is starting or listing its changed tools any more (each has its
    /// own start-up timeout, so this ends). Returns at once when the servers were never
    /// started.
    pub async fn settled(&self) {
        if !self.started.load(Ordering::SeqCst) {
            return;
        }
        let mut changes = self.subscribe();
        loop {
            let starting = self
                .shared
                .lock()
                .values()
                .any(|e| e.status.state == ServerState::Starting || e.relisting);
            if !starting || changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// The tools of the ready servers that an agent with `agent_tools` gets: the MCP tools it
    /// names (`mcp__srv__tool`, `mcp__srv__*`), or, when it names none, every MCP tool (an
    /// agent with no tools at all gets none).
    pub fn tools_for(&self, agent_tools: &[String]) -> Vec<Arc<dyn Tool>> {
        let patterns: Vec<&String> = agent_tools
            .iter()
            .filter(|t| t.starts_with(MCP_TOOL_PREFIX))
            .collect();
        let offered = |name: &str| {
            if patterns.is_empty() {
                !agent_tools.is_empty()
            } else {
                patterns.iter().any(|p| names::pattern_covers(p, name))
            }
        };
        self.shared
            .lock()
            .values()
            .filter(|e| e.status.state == ServerState::Ready)
            .flat_map(|e| {
                e.status
                    .tools
                    .iter()
                    .filter(|t| offered(&t.name))
                    .map(|t| {
                        Arc::new(McpTool::new(self.clone(), &e.status.name, t.clone()))
                            as Arc<dyn Tool>
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// A call found the connection to `server` gone: mark it failed at once (its task fills in
    /// the details when it notices).
    fn connection_lost(&self, server: &str) {
        self.shared.update(server, |entry| {
            if entry.status.state == ServerState::Ready {
                entry.status.state = ServerState::Failed;
                entry.status.error = Some(
                    "the connection was lost during a call; its tools are gone until the harness restarts"
                        .to_string(),
                );
                entry.status.tools.clear();
                entry.peer = None;
            }
        });
    }

    /// The connection to `server` and its tool timeout, when it is ready.
    fn peer(&self, server: &str) -> Result<(Peer<RoleClient>, Duration), String> {
        let servers = self.shared.lock();
        let Some(entry) = servers.get(server) else {
            return Err(format!("MCP server `{server}` is not configured"));
        };
        match (&entry.peer, entry.status.state) {
            (Some(peer), ServerState::Ready) => Ok((peer.clone(), entry.tool_timeout)),
            (_, state) => Err(format!(
                "MCP server `{server}` is {}{}: its tools cannot be used now (see `harness mcp list`)",
                state.as_str(),
                entry
                    .status
                    .error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            )),
        }
    }
}

/// One line per server for `doctor` and notices: `fs (stdio): ready, 3 tools`.
pub fn status_line(status: &ServerStatus) -> String {
    let mut line = format!(
        "{} ({}): {}",
        status.name,
        status.transport,
        status.state.as_str()
    );
    if status.state == ServerState::Ready {
        let n = status.tools.len();
        line.push_str(&format!(", {n} tool{}", if n == 1 { "" } else { "s" }));
    }
    if let Some(e) = &status.error {
        line.push_str(": ");
        line.push_str(e);
    }
    line
}

/// The servers, one line each, their target and tools indented under it.
pub fn listing(statuses: &[ServerStatus]) -> String {
    let mut out = String::new();
    for status in statuses {
        out.push_str(&status_line(status));
        out.push_str(&format!("\n    {}\n", status.target));
        for tool in &status.tools {
            let description = tool.description.lines().next().unwrap_or("");
            out.push_str(&format!("    {}  {description}\n", tool.name));
        }
    }
    out
}
