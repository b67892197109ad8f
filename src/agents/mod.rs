//! Agents: a named system prompt, tool subset, optional model pin and approval mode. Owns the
//! built-in `general` agent and loading from three places, later ones winning on a name clash:
//! config `[agents.*]`, then the user's `agents/*.toml` (`HarnessPaths::agents_dir`), then the
//! workspace's `.harness/agents/*.toml`. Every problem (bad TOML with its line, an unknown tool
//! named with its file, a bad file name) is collected so one run reports them all. A project
//! agent cannot set `approval = "auto"`: opening a cloned repository must never switch off
//! approval (the setting is dropped with a notice).
//! `prompt.rs` finds the workspace's AGENTS.md and builds the system prompt.

pub mod prompt;

use crate::config::{AgentConfig, Config};
use crate::message::{BUILTIN_TOOL_NAMES, is_known_tool_name};
use crate::protocol::ApprovalMode;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use prompt::{
    ProjectInstructions, WorkspaceFacts, build_system_prompt, find_agents_md, load_agents_md,
};

/// Name of the agent that exists without any configuration.
pub const GENERAL: &str = "general";

/// Where the workspace keeps its agents, relative to the workspace root.
pub const PROJECT_AGENTS_DIR: &str = ".harness/agents";

const GENERAL_PROMPT: &str = "You are harness, a careful and capable assistant working in the user's terminal.

- Answer directly. Lead with the answer, then the reasoning or details that matter; skip filler.
- When the task involves the workspace, look before you act: read the relevant files, search with glob and grep, and run commands with bash to check your assumptions.
- Change files only when the user asks for a change or it is clearly part of the task. Make the smallest change that does the job, keep the existing style, and say what you changed and why.
- Prefer commands that do not modify anything. Never run destructive commands (deleting data, rewriting history, force-pushing) unless the user explicitly asked for exactly that.
- When you run tests or builds, report the real outcome, including failures. Never claim something works without having checked it.
- If the request is ambiguous or a step could lose data, ask one short question instead of guessing.
- Use Markdown: fenced code blocks with a language tag, short lists, and file paths as `path/to/file:line`.";

/// Where an agent definition came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AgentSource {
    /// Compiled into the harness.
    Builtin,
    /// `[agents.NAME]` in the config file.
    Config { path: Option<PathBuf> },
    /// `HARNESS_HOME/agents/NAME.toml` (or the platform config dir).
    User { path: PathBuf },
    /// The workspace's `.harness/agents/NAME.toml`.
    Project { path: PathBuf },
}

impl fmt::Display for AgentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentSource::Builtin => f.write_str("built-in"),
            AgentSource::Config { path: Some(p) } => write!(f, "config {}", p.display()),
            AgentSource::Config { path: None } => f.write_str("config"),
            AgentSource::User { path } => write!(f, "user {}", path.display()),
            AgentSource::Project { path } => write!(f, "project {}", path.display()),
        }
    }
}

/// A resolved agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    pub name: String,
    pub description: String,
    /// Sent first and verbatim; whatever the harness adds follows it.
    pub system_prompt: String,
    /// Names of the tools offered, in registry order; empty = no tools.
    pub tools: Vec<String>,
    /// Model pin (`None` = the router decides; `auto` in a file means `None`).
    pub model: Option<String>,
    pub approval: Option<ApprovalMode>,
    pub source: AgentSource,
}

impl Agent {
    /// The built-in `general` agent: a general-purpose prompt and every tool.
    pub fn general() -> Self {
        Self {
            name: GENERAL.to_string(),
            description: "General-purpose assistant with every tool".to_string(),
            system_prompt: GENERAL_PROMPT.to_string(),
            tools: BUILTIN_TOOL_NAMES.iter().map(|t| t.to_string()).collect(),
            model: None,
            approval: None,
            source: AgentSource::Builtin,
        }
    }
}

/// One problem found while loading agents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    #[error(
        "{}:{line}:{column}: {message} (fix the agent file; its keys are description, system_prompt, tools, model, approval)",
        path.display()
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read {}: {message} (check that it exists and is readable)", path.display())]
    Read { path: PathBuf, message: String },
    #[error(
        "{origin}: agent `{agent}` lists unknown tool `{tool}`: use only {}",
        crate::message::known_tool_names_hint()
    )]
    UnknownTool {
        origin: String,
        agent: String,
        tool: String,
    },
    #[error(
        "{origin}: `{name}` is not a valid agent name: use letters, digits, `-` and `_` (rename it)"
    )]
    BadName { origin: String, name: String },
    #[error("unknown agent `{name}`: use one of {known} (see `harness agents`)")]
    Unknown { name: String, known: String },
}

/// Every problem found while loading agents, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoadError(pub Vec<AgentError>);

impl fmt::Display for AgentLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for AgentLoadError {}

/// The agents available in a session, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSet {
    agents: BTreeMap<String, Agent>,
    notices: Vec<String>,
}

impl Default for AgentSet {
    fn default() -> Self {
        Self::builtin()
    }
}

impl AgentSet {
    /// Only the built-in agents.
    pub fn builtin() -> Self {
        let general = Agent::general();
        Self {
            agents: BTreeMap::from([(general.name.clone(), general)]),
            notices: Vec::new(),
        }
    }

    /// Things the user should know that did not stop loading (e.g. an ignored setting).
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    pub fn get(&self, name: &str) -> Option<&Agent> {
        self.agents.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.agents.contains_key(name)
    }

    /// The agent called `name`, or an error listing the known ones.
    pub fn resolve(&self, name: &str) -> Result<&Agent, AgentError> {
        self.get(name).ok_or_else(|| AgentError::Unknown {
            name: name.to_string(),
            known: self.names().join(", "),
        })
    }

    /// Agents sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Agent> {
        self.agents.values()
    }

    pub fn names(&self) -> Vec<&str> {
        self.agents.keys().map(String::as_str).collect()
    }

    pub fn len(&self) -> usize {
        self.agents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    /// Add or replace an agent.
    pub fn insert(&mut self, agent: Agent) {
        self.agents.insert(agent.name.clone(), agent);
    }
}

/// Load every agent: built-in, then config `[agents.*]`, then `user_dir/*.toml`, then
/// `workspace/.harness/agents/*.toml`; a later source replaces an earlier agent of the same name.
/// Missing directories are fine. All problems are returned together.
pub fn load(
    config: &Config,
    user_dir: &Path,
    workspace: Option<&Path>,
) -> Result<AgentSet, AgentLoadError> {
    let mut set = AgentSet::builtin();
    let mut problems = Vec::new();

    let config_origin = match &config.source {
        Some(p) => p.display().to_string(),
        None => "config".to_string(),
    };
    // Only for pointing at the right line in messages; an unreadable file just loses the line.
    let config_text = config
        .source
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok());
    for (name, raw) in &config.agents {
        let header = config_text
            .as_deref()
            .and_then(|t| line_of(t, &format!("[agents.{name}]")));
        let origin = match header {
            Some(line) => format!("{config_origin}:{line}: [agents.{name}]"),
            None => format!("{config_origin} [agents.{name}]"),
        };
        let source = AgentSource::Config {
            path: config.source.clone(),
        };
        match resolve(name, raw, source, &origin, None) {
            Ok(agent) => set.insert(agent),
            Err(mut e) => problems.append(&mut e),
        }
    }
    load_dir(user_dir, false, &mut set, &mut problems);
    if let Some(ws) = workspace {
        load_dir(&ws.join(PROJECT_AGENTS_DIR), true, &mut set, &mut problems);
    }

    if problems.is_empty() {
        Ok(set)
    } else {
        Err(AgentLoadError(problems))
    }
}

/// Load the `*.toml` files of one directory, in file-name order.
fn load_dir(dir: &Path, project: bool, set: &mut AgentSet, problems: &mut Vec<AgentError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            problems.push(AgentError::Read {
                path: dir.to_path_buf(),
                message: e.to_string(),
            });
            return;
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    for path in files {
        match load_file(&path, project) {
            Ok(mut agent) => {
                // A cloned repository must not be able to switch off approval for the user.
                if project && agent.approval == Some(ApprovalMode::Auto) {
                    agent.approval = None;
                    set.notices.push(format!(
                        "{}: approval = \"auto\" is ignored in a project's agents (a repository cannot turn off approval); set it in your own agents directory or config instead",
                        path.display()
                    ));
                }
                set.insert(agent);
            }
            Err(mut e) => problems.append(&mut e),
        }
    }
}

/// Parse one agent file; its name is the file stem.
pub fn load_file(path: &Path, project: bool) -> Result<Agent, Vec<AgentError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![AgentError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }]
    })?;
    let raw: AgentConfig = toml::from_str(&text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((1, 1));
        vec![AgentError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().lines().next().unwrap_or("").trim().to_string(),
        }]
    })?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = if project {
        AgentSource::Project {
            path: path.to_path_buf(),
        }
    } else {
        AgentSource::User {
            path: path.to_path_buf(),
        }
    };
    resolve(
        &name,
        &raw,
        source,
        &path.display().to_string(),
        Some(&text),
    )
}

/// Check and normalise one definition. `text` (the file's content) lets a tool error carry
/// its line.
fn resolve(
    name: &str,
    raw: &AgentConfig,
    source: AgentSource,
    origin: &str,
    text: Option<&str>,
) -> Result<Agent, Vec<AgentError>> {
    let mut problems = Vec::new();
    if !valid_name(name) {
        problems.push(AgentError::BadName {
            origin: origin.to_string(),
            name: name.to_string(),
        });
    }
    let tools = match &raw.tools {
        None => BUILTIN_TOOL_NAMES.iter().map(|t| t.to_string()).collect(),
        Some(listed) => {
            for tool in listed {
                if !is_known_tool_name(tool) {
                    let origin = match text.and_then(|t| line_of(t, &format!("\"{tool}\""))) {
                        Some(line) => format!("{origin}:{line}"),
                        None => origin.to_string(),
                    };
                    problems.push(AgentError::UnknownTool {
                        origin,
                        agent: name.to_string(),
                        tool: tool.clone(),
                    });
                }
            }
            // Built-ins in their fixed order, then the optional and MCP tools as listed.
            let mut tools: Vec<String> = BUILTIN_TOOL_NAMES
                .iter()
                .filter(|t| listed.iter().any(|l| l == *t))
                .map(|t| t.to_string())
                .collect();
            for tool in listed {
                if !BUILTIN_TOOL_NAMES.contains(&tool.as_str()) && !tools.contains(tool) {
                    tools.push(tool.clone());
                }
            }
            tools
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let model = raw
        .model
        .as_ref()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty() && m != "auto");
    Ok(Agent {
        name: name.to_string(),
        description: raw.description.trim().to_string(),
        system_prompt: raw.system_prompt.clone(),
        tools,
        model,
        approval: raw.approval,
        source,
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.find(needle)
        .map(|offset| text[..offset].matches('\n').count() + 1)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
