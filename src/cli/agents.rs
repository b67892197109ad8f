//! `harness agents [--json]`: the agents available here (built-in, config, user files, the
//! workspace's `.harness/agents/`), which one is the default, their tools, pins and source.
//! Also the loader every command uses to get the agent set with CLI-shaped errors.

use super::args::JsonFlag;
use super::{CliContext, CliError, CliResult, eprint_line, print_json, print_out};
use crate::agents::{self, AgentSet, AgentSource};
use crate::config::{Config, Overrides};
use serde::Serialize;
use std::path::PathBuf;

/// The workspace: the directory harness was started in.
pub fn workspace() -> Option<PathBuf> {
    std::env::current_dir().ok()
}

/// Load every agent for this config and workspace; problems become one usage error (exit 2)
/// listing them all, the first line naming the first problem.
pub fn load_agent_set(ctx: &CliContext, config: &Config) -> Result<AgentSet, CliError> {
    let ws = workspace();
    let set = agents::load(config, &ctx.paths.agents_dir, ws.as_deref())
        .map_err(|e| CliError::usage(e.to_string()))?;
    for notice in set.notices() {
        eprint_line(&format!("harness: note: {notice}"));
    }
    Ok(set)
}

#[derive(Serialize)]
struct AgentRow<'a> {
    name: &'a str,
    description: &'a str,
    default: bool,
    tools: &'a [String],
    model: Option<&'a str>,
    approval: Option<crate::protocol::ApprovalMode>,
    source: &'static str,
    path: Option<String>,
    system_prompt: &'a str,
}

fn source_parts(source: &AgentSource) -> (&'static str, Option<String>) {
    match source {
        AgentSource::Builtin => ("builtin", None),
        AgentSource::Config { path } => ("config", path.as_ref().map(|p| p.display().to_string())),
        AgentSource::User { path } => ("user", Some(path.display().to_string())),
        AgentSource::Project { path } => ("project", Some(path.display().to_string())),
    }
}

pub async fn run(ctx: &CliContext, args: JsonFlag) -> CliResult {
    let config = ctx.load_config(&Overrides::default())?;
    let set = load_agent_set(ctx, &config)?;
    let rows: Vec<AgentRow<'_>> = set
        .iter()
        .map(|a| {
            let (source, path) = source_parts(&a.source);
            AgentRow {
                name: &a.name,
                description: &a.description,
                default: a.name == config.default_agent,
                tools: &a.tools,
                model: a.model.as_deref(),
                approval: a.approval,
                source,
                path,
                system_prompt: &a.system_prompt,
            }
        })
        .collect();
    if args.json {
        return print_json(&rows);
    }
    print_out(&render_table(&rows));
    if let Some(path) = workspace().as_deref().and_then(agents::find_agents_md) {
        print_out(&format!(
            "{} is appended to every agent's system prompt in this workspace\n",
            path.display()
        ));
    }
    Ok(())
}

fn render_table(rows: &[AgentRow<'_>]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                format!("{}{}", if r.default { "* " } else { "  " }, r.name),
                r.model.unwrap_or("auto").to_string(),
                if r.tools.is_empty() {
                    "(none)".to_string()
                } else {
                    r.tools.join(",")
                },
                match &r.path {
                    Some(p) => format!("{} {p}", r.source),
                    None => r.source.to_string(),
                },
                r.description.to_string(),
            ]
        })
        .collect();
    let header = ["  NAME", "MODEL", "TOOLS", "SOURCE", "DESCRIPTION"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(cells.iter()) {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(cells.iter()) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i < 4 {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(
        "\n* = default agent (default_agent in config.toml); switch with -a NAME or /agent NAME\n",
    );
    out
}
