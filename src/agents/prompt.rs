//! The system prompt sent to models: the agent's own prompt first and verbatim, then the
//! workspace's AGENTS.md (with its path, so the model and `/status` can say where the
//! instructions came from), then facts about the workspace (path, date, OS).
//!
//! AGENTS.md is looked for from the workspace up to the root of its git repository (the nearest
//! file wins); outside a repository only the workspace itself is checked, so a stray file in a
//! parent such as the home directory never leaks into an unrelated project.

use super::{Agent, AgentError};
use std::path::{Path, PathBuf};

/// The file name looked for.
pub const AGENTS_MD: &str = "AGENTS.md";
/// Largest AGENTS.md included; the rest is cut with a note (the prompt budget is finite).
pub const AGENTS_MD_MAX_BYTES: usize = 64 * 1024;

/// The workspace's AGENTS.md, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectInstructions {
    pub path: PathBuf,
    pub content: String,
    /// The file was longer than [`AGENTS_MD_MAX_BYTES`] and was cut.
    pub truncated: bool,
}

/// Facts about where the harness runs, added after the instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceFacts {
    pub workspace: PathBuf,
    pub date: chrono::NaiveDate,
    pub os: &'static str,
}

impl WorkspaceFacts {
    /// Facts for `workspace` as of today (local date).
    pub fn now(workspace: &Path) -> Self {
        Self {
            workspace: workspace.to_path_buf(),
            date: chrono::Local::now().date_naive(),
            os: std::env::consts::OS,
        }
    }
}

/// The AGENTS.md that applies to `workspace`, if any (see the module doc for the search).
pub fn find_agents_md(workspace: &Path) -> Option<PathBuf> {
    let repo_root = workspace
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf);
    for dir in workspace.ancestors() {
        let candidate = dir.join(AGENTS_MD);
        if candidate.is_file() {
            return Some(candidate);
        }
        match &repo_root {
            Some(root) if dir != root.as_path() => continue,
            _ => break,
        }
    }
    None
}

/// Find and read the workspace's AGENTS.md. Invalid UTF-8 is replaced, a file over the cap is
/// cut at a character boundary.
pub fn load_agents_md(workspace: &Path) -> Result<Option<ProjectInstructions>, AgentError> {
    let Some(path) = find_agents_md(workspace) else {
        return Ok(None);
    };
    let bytes = std::fs::read(&path).map_err(|e| AgentError::Read {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let truncated = text.len() > AGENTS_MD_MAX_BYTES;
    let mut end = text.len().min(AGENTS_MD_MAX_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Ok(Some(ProjectInstructions {
        path,
        content: text[..end].trim_end().to_string(),
        truncated,
    }))
}

/// The full system prompt for `agent`.
pub fn build_system_prompt(
    agent: &Agent,
    instructions: Option<&ProjectInstructions>,
    facts: &WorkspaceFacts,
) -> String {
    let mut out = String::with_capacity(
        agent.system_prompt.len() + instructions.map_or(0, |i| i.content.len()) + 512,
    );
    out.push_str(&agent.system_prompt);
    let section = |out: &mut String, body: &str| {
        if !out.is_empty() {
            out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
        }
        out.push_str(body);
    };
    if let Some(i) = instructions
        && !i.content.trim().is_empty()
    {
        let mut body = format!(
            "# Project instructions\n\nFrom {} (the workspace's AGENTS.md; follow it for work in this workspace):\n\n{}",
            i.path.display(),
            i.content
        );
        if i.truncated {
            body.push_str(&format!(
                "\n\n[AGENTS.md cut at {AGENTS_MD_MAX_BYTES} bytes; read the file for the rest]"
            ));
        }
        section(&mut out, &body);
    }
    section(
        &mut out,
        &format!(
            "# Environment\n\n- Workspace: {}\n- Date: {}\n- OS: {}",
            facts.workspace.display(),
            facts.date.format("%Y-%m-%d"),
            facts.os
        ),
    );
    out
}
