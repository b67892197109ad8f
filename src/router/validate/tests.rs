use super::*;
use crate::agents::{Agent, AgentSet};
use crate::config::Config;
use std::path::Path;

const PROVIDERS: &str = r#"
[providers.anthropic]
kind = "anthropic"
api_key = "k"
[providers.openai]
kind = "openai"
api_key = "k"
[providers.openrouter]
kind = "openrouter"
api_key = "k"
[providers.ollama]
kind = "ollama"

[models.opus]
id = "anthropic/claude-opus-4-6"
"#;

fn config(text: &str) -> Config {
    crate::config::parse(text, Path::new("/c/config.toml"), &|_| None).unwrap()
}

fn agent(name: &str, model: Option<&str>) -> Agent {
    Agent {
        name: name.to_string(),
        model: model.map(str::to_string),
        ..Agent::general()
    }
}

#[test]
fn validate_reports_every_problem_with_its_line() {
    let text = format!(
        r#"{PROVIDERS}
[router]
default = "nowhere/m"

[[router.rules]]
name = "a"
category = "coding"
models = ["opus"]

[[router.rules]]
name = "a"
regex = "(open"
models = ["zai/glm-4.6"]

[[router.rules]]
name = "b"
agent = "ghost"
keywords = ["x", " "]
min_chars = 10
max_chars = 5
models = []

[[router.rules]]
name = "catch-all"
priority = 5
models = ["sonnet", "auto"]

[[router.rules]]
name = "dead"
priority = 1
category = "research"
models = ["opus"]
"#
    );
    let cfg = config(&text);
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    let mut agents = AgentSet::builtin();
    agents.insert(agent("pinned", Some("missing-alias")));
    let problems = validate(&cfg, &agents);
    let got: Vec<(Option<usize>, String)> = problems
        .iter()
        .map(|p| (p.line, p.message.clone()))
        .collect();
    let first_a = line_of("name = \"a\"").map(|l| l - 1);
    let second_a = first_a.and_then(|l| {
        text.lines()
            .enumerate()
            .skip(l + 1)
            .find(|(_, s)| s.contains("name = \"a\""))
            .map(|(i, _)| i)
    });
    let b = line_of("name = \"b\"").map(|l| l - 1);
    let catch_all = line_of("name = \"catch-all\"").map(|l| l - 1);
    let dead = line_of("name = \"dead\"").map(|l| l - 1);
    let want_fragments: Vec<(Option<usize>, &str)> = vec![
        (
            first_a,
            "rule `a`: unknown category `coding`: use one of coding-complex",
        ),
        (second_a, "rule `a` is defined twice (first at line"),
        (second_a, "rule `a`: invalid regex `(open`"),
        (
            second_a,
            "rule `a`: `zai/glm-4.6` names provider `zai`, which is not configured",
        ),
        (b, "rule `b`: a keyword is empty"),
        (b, "rule `b`: unknown agent `ghost`: define [agents.ghost]"),
        (b, "rule `b`: min_chars 10 is larger than max_chars 5"),
        (b, "rule `b` has no models"),
        (
            catch_all,
            "rule `catch-all`: `sonnet` is not a model reference",
        ),
        (
            catch_all,
            "rule `catch-all`: `auto` cannot be one of a rule's models",
        ),
        (first_a, "rule `a` can never match: rule `catch-all` (line"),
        (second_a, "rule `a` can never match"),
        (b, "rule `b` can never match"),
        (dead, "rule `dead` can never match"),
        (
            None,
            "[router] default: `nowhere/m` names provider `nowhere`",
        ),
        (
            None,
            "agent `pinned` (built-in): model: `missing-alias` is not a model reference",
        ),
    ];
    assert_eq!(got.len(), want_fragments.len(), "{got:#?}");
    for ((line, message), (want_line, fragment)) in got.iter().zip(&want_fragments) {
        assert!(line.is_some() == want_line.is_some(), "{message}");
        assert_eq!(line, want_line, "{message}");
        assert!(
            message.contains(fragment),
            "{message:?} should contain {fragment:?}"
        );
    }
    // The line the loader recorded is the rule's header line.
    assert_eq!(cfg.router.rules[0].line, first_a);
}

#[test]
fn validate_accepts_a_good_config() {
    let cfg = config(&format!(
        "{PROVIDERS}[router]\ndefault = \"opus\"\n[[router.rules]]\nname = \"r\"\nagent = \"reviewer\"\nkeywords = [\"c++\", \"stack trace\"]\nregex = \"(?i)jira-\\\\d+\"\nmin_chars = 1\nmax_chars = 10\nmodels = [\"opus\", \"openrouter/anthropic/claude-opus-4.6\"]\n[[router.rules]]\nname = \"rest\"\nmodels = [\"ollama/qwen3:8b\"]\n"
    ));
    let mut agents = AgentSet::builtin();
    agents.insert(agent("reviewer", Some("opus")));
    assert_eq!(validate(&cfg, &agents), vec![]);
    let mut bad = cfg.clone();
    bad.default_agent = "nobody".to_string();
    let problems = validate(&bad, &agents);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .message
            .starts_with("default_agent `nobody` is not an agent: use one of general, reviewer")
    );
}

/// With providers from the environment (no `[providers]` in the file), a model whose provider
/// is not there is skipped at routing, not a config problem; a typo'd reference still is.
#[test]
fn models_of_absent_environment_providers_are_not_problems() {
    let text = r#"
[router]
default = "openai/gpt-5"
[[router.rules]]
name = "hard"
category = "coding-complex"
models = ["openrouter/anthropic/claude-opus-4.6", "zai/glm-4.6"]
[[router.rules]]
name = "bad"
keywords = ["x"]
models = ["no-slash"]
"#;
    let lookup = |k: &str| (k == "ANTHROPIC_API_KEY").then(|| "k".to_string());
    let c = crate::config::parse(text, Path::new("/c/config.toml"), &lookup).unwrap();
    assert_eq!(c.providers.keys().collect::<Vec<_>>(), ["anthropic"]);
    let mut agents = AgentSet::builtin();
    agents.insert(agent("local", Some("ollama/llama3.2")));
    let problems: Vec<String> = validate(&c, &agents)
        .into_iter()
        .map(|p| p.message)
        .collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("`no-slash` is not a model reference"));

    // The same rules with a file that defines providers: each absent one is a problem.
    let with_file = format!("[providers.anthropic]\nkind = \"anthropic\"\napi_key = \"k\"\n{text}");
    let c = config(&with_file);
    let problems = validate(&c, &agents);
    assert_eq!(problems.len(), 5, "{problems:#?}");
}
