//! Checks of `[router]` and the agents' model pins that need the whole config: rules naming an
//! unknown provider, alias, agent or category, invalid regexes, duplicate or empty names, rules
//! without models or that can never match, a `[router] default` or agent pin that does not
//! resolve, an unknown `default_agent`. `harness config check` and start-up print the result;
//! each problem carries the rule's line when the loader recorded it. When the providers come
//! from the environment (config.toml names none), a model of a provider that is not there is
//! not a problem: the router skips it and says why.

use super::classify::Category;
use super::rules::keyword_regex;
use crate::agents::AgentSet;
use crate::config::{Config, missing_provider_tolerated, resolve_model_ref};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One problem, with the config line it is about when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigProblem {
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Problems as `path:line: message` lines (`path: message` without a line), for
/// `harness config check`, start-up and `harness route`.
pub fn render_problems(config: &Config, problems: &[ConfigProblem]) -> String {
    let path = config
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "config".to_string());
    problems
        .iter()
        .map(|p| match p.line {
            Some(line) => format!("{path}:{line}: {}", p.message),
            None => format!("{path}: {}", p.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every problem of the router config and the agents' pins, in config order.
///
/// Long by design: one independent block per config section, in config order.
pub fn validate(config: &Config, agents: &AgentSet) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&str, Option<usize>> = BTreeMap::new();

    for rule in &config.router.rules {
        let line = rule.line;
        let mut problem = |message: String| problems.push(ConfigProblem { line, message });
        let name = rule.name.trim();
        if name.is_empty() {
            problem(
                "a [[router.rules]] entry has an empty name: give it a unique name = \"...\""
                    .to_string(),
            );
        } else if let Some(first) = seen.get(name) {
            problem(format!(
                "rule `{name}` is defined twice{}: rule names must be unique, rename one",
                first.map_or(String::new(), |l| format!(" (first at line {l})"))
            ));
        } else {
            seen.insert(name, line);
        }

        if let Some(category) = &rule.category
            && let Err(e) = category.parse::<Category>()
        {
            problem(format!("rule `{name}`: {e}"));
        }
        if rule.keywords.iter().any(|k| k.trim().is_empty()) {
            problem(format!(
                "rule `{name}`: a keyword is empty: remove it or write a word"
            ));
        } else if let Err(e) = keyword_regex(&rule.keywords) {
            problem(format!("rule `{name}`: keywords cannot be matched: {e}"));
        }
        if let Some(pattern) = &rule.regex
            && let Err(e) = regex::Regex::new(pattern)
        {
            let detail = e
                .to_string()
                .lines()
                .rfind(|l| l.starts_with("error:"))
                .unwrap_or("invalid syntax")
                .trim_start_matches("error:")
                .trim()
                .to_string();
            problem(format!(
                "rule `{name}`: invalid regex `{pattern}`: {detail} (fix the pattern; in a TOML \"...\" string write \\\\ for one backslash, or use '...')"
            ));
        }
        if let Some(agent) = &rule.agent
            && !agents.contains(agent)
        {
            problem(format!(
                "rule `{name}`: unknown agent `{agent}`: define [agents.{agent}] or agents/{agent}.toml, or use one of {}",
                agents.names().join(", ")
            ));
        }
        if let (Some(min), Some(max)) = (rule.min_chars, rule.max_chars)
            && min > max
        {
            problem(format!(
                "rule `{name}`: min_chars {min} is larger than max_chars {max}, so it can never match: swap or fix them"
            ));
        }
        if rule.models.is_empty() {
            problem(format!(
                "rule `{name}` has no models: add models = [\"provider/model-id\", ...] (tried in order, later ones are the fallback)"
            ));
        }
        for model in &rule.models {
            if model.trim() == "auto" {
                problem(format!(
                    "rule `{name}`: `auto` cannot be one of a rule's models (the rule is the router's choice): name a model or an alias"
                ));
            } else if let Err(e) = resolve_model_ref(config, model)
                && !missing_provider_tolerated(config, model)
            {
                problem(format!("rule `{name}`: {e}"));
            }
        }
    }

    // A rule without conditions matches everything: every rule sorted after it is dead.
    let rules = &config.router.rules;
    let sorts_before = |a: usize, b: usize| {
        rules[a].priority > rules[b].priority || (rules[a].priority == rules[b].priority && a < b)
    };
    for (index, rule) in rules.iter().enumerate() {
        let shadow = (0..rules.len())
            .filter(|&c| c != index && unconditional(&rules[c]) && sorts_before(c, index))
            .min_by(|&a, &b| {
                if sorts_before(a, b) {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                }
            });
        if let Some(c) = shadow {
            let by = &rules[c];
            problems.push(ConfigProblem {
                line: rule.line,
                message: format!(
                    "rule `{}` can never match: rule `{}`{} comes first and has no conditions; give `{}` a higher priority or add conditions to `{}`",
                    rule.name,
                    by.name,
                    by.line.map_or(String::new(), |l| format!(" (line {l})")),
                    rule.name,
                    by.name
                ),
            });
        }
    }

    if let Some(default) = &config.router.default {
        if default.trim() == "auto" {
            problems.push(ConfigProblem {
                line: None,
                message:
                    "[router] default cannot be auto: name the model used when no rule matches"
                        .to_string(),
            });
        } else if let Err(e) = resolve_model_ref(config, default)
            && !missing_provider_tolerated(config, default)
        {
            problems.push(ConfigProblem {
                line: None,
                message: format!("[router] default: {e}"),
            });
        }
    }
    for agent in agents.iter() {
        if let Some(model) = &agent.model
            && let Err(e) = resolve_model_ref(config, model)
            && !missing_provider_tolerated(config, model)
        {
            problems.push(ConfigProblem {
                line: None,
                message: format!("agent `{}` ({}): model: {e}", agent.name, agent.source),
            });
        }
    }
    if !agents.contains(&config.default_agent) {
        problems.push(ConfigProblem {
            line: None,
            message: format!(
                "default_agent `{}` is not an agent: use one of {}",
                config.default_agent,
                agents.names().join(", ")
            ),
        });
    }
    problems
}

fn unconditional(rule: &crate::config::RouteRule) -> bool {
    rule.category.is_none()
        && rule.keywords.is_empty()
        && rule.regex.is_none()
        && rule.min_chars.is_none()
        && rule.max_chars.is_none()
        && rule.agent.is_none()
}

#[cfg(test)]
mod tests;
