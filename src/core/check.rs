//! Whole-configuration checks beyond parsing, the ones that need other modules (agents, router
//! rules), so they sit above `config`. `harness config check`, `doctor` and session start-up
//! all use this one list.

use crate::agents::AgentSet;
use crate::config::{Config, HarnessPaths};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env_providers::detect;
    use std::path::Path;

    #[test]
    fn the_config_file_init_writes_has_no_problems() {
        let env = |k: &str| {
            [
                ("ANTHROPIC_API_KEY", "sk-ant-secret"),
                ("OPENAI_API_KEY", "sk-oai-secret"),
                ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
            ]
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
        };
        let found = detect(&env, &|| true).unwrap();
        let text = crate::config::template::render(&found);
        let config = crate::config::parse(&text, Path::new("c.toml"), &env).unwrap();
        let agents = AgentSet::builtin();
        assert_eq!(problems_with_agents(&config, &agents), vec![]);
    }
}
