//! `harness mcp list [--json]`: starts every configured MCP server, waits until each is ready
//! or has failed (within its start-up timeout), and shows its state, the reason of a failure
//! and its tools; the servers are stopped again when the command ends. Also the `doctor` lines.

use super::args::McpCommand;
use super::{CliContext, CliResult, print_json, print_out};
use crate::config::{Config, Overrides};
use crate::mcp::{McpManager, ServerState, ServerStatus, listing, status_line};

pub async fn run(ctx: &CliContext, command: McpCommand) -> CliResult {
    match command {
        McpCommand::List(flags) => {
            let config = ctx.load_config(&Overrides::default())?;
            let statuses = probe(&config).await;
            if flags.json {
                return print_json(&statuses);
            }
            if statuses.is_empty() {
                print_out(
                    "no MCP servers configured: add [mcp.servers.NAME] with command = \"...\" or url = \"...\" to config.toml\n",
                );
                return Ok(());
            }
            print_out(&crate::sanitize::strip(&listing(&statuses)));
            Ok(())
        }
    }
}

/// Start every server of `config`, wait for each to settle, and say how each is.
pub async fn probe(config: &Config) -> Vec<ServerStatus> {
    let workspace = std::env::current_dir().unwrap_or_default();
    let manager = McpManager::new(&config.mcp, workspace, &config.sandbox.env_allow);
    manager.start();
    manager.settled().await;
    manager.statuses()
}

/// `doctor`'s lines: one per server, failing for a server that does not start.
pub async fn doctor_checks(config: Option<&Config>) -> Vec<super::doctor::Check> {
    let Some(config) = config.filter(|c| !c.mcp.servers.is_empty()) else {
        return Vec::new();
    };
    probe(config)
        .await
        .iter()
        .map(|s| match s.state {
            ServerState::Failed => super::doctor::Check::fail("mcp", status_line(s)),
            _ => super::doctor::Check::pass("mcp", status_line(s)),
        })
        .collect()
}
