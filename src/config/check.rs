//! Whole-configuration checks beyond parsing, the ones that need other modules (agents, router
//! rules). `harness config check`, `doctor` and session start-up all use this one list.

use super::{Config, HarnessPaths};
use crate::agents::AgentSet;

pub use crate::router::validate::ConfigProblem;

/// Every problem found; empty when the configuration is usable. Agents are loaded from the
/// user's agents directory and the current directory's `.harness/agents`.
pub fn problems(config: &Config, paths: &HarnessPaths) -> Vec<ConfigProblem> {
    let workspace = std::env::current_dir().ok();
    match crate::agents::load(config, &paths.agents_dir, workspace.as_deref()) {
        Ok(agents) => problems_with_agents(config, &agents),
        Err(e) => {
            e.0.iter()
                .map(|err| ConfigProblem {
                    line: None,
                    message: err.to_string(),
                })
                .collect()
        }
    }
}

/// The router's and agents' problems, given the loaded agents.
pub fn problems_with_agents(config: &Config, agents: &AgentSet) -> Vec<ConfigProblem> {
    crate::router::validate::validate(config, agents)
}
