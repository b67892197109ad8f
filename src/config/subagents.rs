//! `[subagents]` (how many child sessions run at once, how deep they nest, the step and time
//! limits of each) and `[git]` (the attribution trailer on commits made through the harness's
//! tools).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubagentsConfig {
    /// Children of one session running at the same time; more wait for a free place.
    pub max_concurrent: usize,
    /// How deep children nest: 1 = children only, 2 = children and grandchildren.
    pub max_depth: usize,
    /// Model calls a child may make before it is stopped (its `session.max_steps`).
    pub max_steps: u32,
    /// Seconds a child may run before it is interrupted.
    pub timeout_secs: u64,
}

impl Default for SubagentsConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 4,
            max_depth: 2,
            max_steps: 30,
            timeout_secs: 900,
        }
    }
}

impl SubagentsConfig {
    /// What is wrong with these values, if anything (one line).
    pub fn problem(&self) -> Option<String> {
        if self.max_concurrent == 0 {
            return Some("subagents.max_concurrent must be at least 1".to_string());
        }
        if self.max_steps == 0 {
            return Some("subagents.max_steps must be at least 1".to_string());
        }
        if self.timeout_secs == 0 {
            return Some("subagents.timeout_secs must be at least 1".to_string());
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitConfig {
    /// Commits made through the harness's tools carry a `Co-authored-by:` trailer naming the
    /// harness and the model.
    pub attribution: bool,
}

impl Default for GitConfig {
    fn default() -> Self {
        Self { attribution: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_that_cannot_work_are_named() {
        let cases = [
            (SubagentsConfig::default(), None),
            (
                SubagentsConfig {
                    max_concurrent: 0,
                    ..Default::default()
                },
                Some("subagents.max_concurrent must be at least 1"),
            ),
            (
                SubagentsConfig {
                    max_steps: 0,
                    ..Default::default()
                },
                Some("subagents.max_steps must be at least 1"),
            ),
            (
                SubagentsConfig {
                    timeout_secs: 0,
                    ..Default::default()
                },
                Some("subagents.timeout_secs must be at least 1"),
            ),
        ];
        for (config, problem) in cases {
            assert_eq!(config.problem().as_deref(), problem);
        }
    }
}
