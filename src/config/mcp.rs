//! `[mcp]`: the MCP servers the harness connects to (`[mcp.servers.NAME]`, a command for a
//! stdio server or a URL for a streamable-HTTP one) and how long it waits for them. The values
//! are kept as written: `${VAR}` in `env`, `url` and `headers` is expanded when the server is
//! started (`mcp::connect`), so a variable that is not set fails that server alone, with a
//! status that names it, instead of the whole configuration.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Seconds a server has to start and list its tools, unless it says otherwise.
pub const DEFAULT_STARTUP_TIMEOUT_SECS: u64 = 30;
/// Seconds one tool call may take, unless the server says otherwise.
pub const DEFAULT_TOOL_TIMEOUT_SECS: u64 = 120;

/// `[mcp]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpConfig {
    pub servers: BTreeMap<String, McpServerConfig>,
}

/// `[mcp.servers.NAME]`: exactly one of `command` (stdio) and `url` (streamable HTTP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpServerConfig {
    /// The program of a stdio server (looked up on `PATH`).
    pub command: Option<String>,
    pub args: Vec<String>,
    /// Variables set for a stdio server, on top of the allowlisted environment; `${VAR}`
    /// expands from the harness's own environment.
    pub env: BTreeMap<String, String>,
    /// Working directory of a stdio server; default the workspace.
    pub cwd: Option<String>,
    /// The endpoint of a streamable-HTTP server.
    pub url: Option<String>,
    /// HTTP headers sent to a streamable-HTTP server (`Authorization = "Bearer ${TOKEN}"`).
    pub headers: BTreeMap<String, String>,
    /// `false` keeps the server configured but not started.
    pub enabled: bool,
    pub startup_timeout_secs: u64,
    pub tool_timeout_secs: u64,
}

impl Default for McpServerConfig {
    fn default() -> Self {
        Self {
            command: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: None,
            url: None,
            headers: BTreeMap::new(),
            enabled: true,
            startup_timeout_secs: DEFAULT_STARTUP_TIMEOUT_SECS,
            tool_timeout_secs: DEFAULT_TOOL_TIMEOUT_SECS,
        }
    }
}

impl McpServerConfig {
    /// `stdio` or `http`.
    pub fn transport(&self) -> &'static str {
        if self.url.is_some() { "http" } else { "stdio" }
    }
}

/// Check every server: a usable name, one transport, timeouts above zero. The error says
/// what to change.
pub fn validate(config: &McpConfig) -> Result<(), String> {
    for (name, server) in &config.servers {
        check_name(name)?;
        match (&server.command, &server.url) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "mcp.servers.{name} has both command and url: keep command for a stdio server or url for a streamable-HTTP one"
                ));
            }
            (None, None) => {
                return Err(format!(
                    "mcp.servers.{name} has neither command nor url: add command = \"...\" (stdio) or url = \"http://...\" (streamable HTTP)"
                ));
            }
            (Some(c), None) if c.trim().is_empty() => {
                return Err(format!(
                    "mcp.servers.{name}.command is empty: name the server's program"
                ));
            }
            (None, Some(_)) if !server.args.is_empty() || !server.env.is_empty() => {
                return Err(format!(
                    "mcp.servers.{name}: args and env are for stdio servers (command); an HTTP server takes url and headers"
                ));
            }
            (Some(_), None) if !server.headers.is_empty() => {
                return Err(format!(
                    "mcp.servers.{name}: headers are for HTTP servers (url); a stdio server takes args and env"
                ));
            }
            _ => {}
        }
        if server.startup_timeout_secs == 0 || server.tool_timeout_secs == 0 {
            return Err(format!(
                "mcp.servers.{name}: timeouts must be at least 1 second"
            ));
        }
    }
    Ok(())
}

/// A server's name becomes part of its tools' names (`mcp__NAME__TOOL`): letters, digits, `-`
/// and single `_`, so the name can be read back out of a tool's.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.contains("__");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "mcp.servers.{name}: a server name is 1-32 letters, digits, `-` or `_` (no `__`), since it becomes part of tool names mcp__NAME__TOOL"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(command: Option<&str>, url: Option<&str>) -> McpServerConfig {
        McpServerConfig {
            command: command.map(str::to_string),
            url: url.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn servers_need_one_transport_and_a_usable_name() {
        let cases: Vec<(&str, McpServerConfig, Option<&str>)> = vec![
            ("fs", server(Some("npx"), None), None),
            ("web-1", server(None, Some("http://127.0.0.1:1/mcp")), None),
            (
                "both",
                server(Some("x"), Some("http://x")),
                Some("both command and url"),
            ),
            ("none", server(None, None), Some("neither command nor url")),
            ("blank", server(Some(" "), None), Some("command is empty")),
            ("a__b", server(Some("x"), None), Some("no `__`")),
            ("sp ace", server(Some("x"), None), Some("1-32 letters")),
            ("", server(Some("x"), None), Some("1-32 letters")),
        ];
        for (name, s, want) in cases {
            let config = McpConfig {
                servers: BTreeMap::from([(name.to_string(), s)]),
            };
            match (validate(&config), want) {
                (Ok(()), None) => {}
                (Err(e), Some(w)) => assert!(e.contains(w), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn transport_specific_keys_are_refused_on_the_other_transport() {
        let mut http = server(None, Some("http://x"));
        http.env.insert("A".into(), "b".into());
        let mut stdio = server(Some("x"), None);
        stdio.headers.insert("A".into(), "b".into());
        for (name, s) in [("h", http), ("s", stdio)] {
            let config = McpConfig {
                servers: BTreeMap::from([(name.to_string(), s)]),
            };
            assert!(validate(&config).is_err(), "{name}");
        }
    }
}
