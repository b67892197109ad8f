use super::*;
use crate::agents::Agent;
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

const RULES: &str = r#"
[router]
default = "anthropic/claude-haiku-4-5"

[[router.rules]]
name = "long"
priority = 10
min_chars = 3000
models = ["openrouter/google/gemini-2.5-pro"]

[[router.rules]]
name = "complex"
priority = 100
category = "coding-complex"
models = ["opus", "openrouter/anthropic/claude-opus-4.6"]

[[router.rules]]
name = "words"
priority = 50
keywords = ["Quarterly report", "c++"]
models = ["openai/gpt-5.1-codex"]

[[router.rules]]
name = "tickets"
priority = 50
regex = "\\bJIRA-\\d+\\b"
models = ["openai/gpt-5.1-codex-mini"]

[[router.rules]]
name = "review"
priority = 60
agent = "reviewer"
max_chars = 500
models = ["anthropic/claude-sonnet-4-6"]

[[router.rules]]
name = "local"
priority = 200
category = "offline"
models = ["ollama/qwen3:8b", "ollama/llama3.2:3b"]
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

fn all_up(_: &str) -> bool {
    true
}

struct Case {
    text: &'static str,
    agent: &'static str,
    want_rule: Option<&'static str>,
    want_models: &'static [&'static str],
    want_reason: &'static str,
}

#[test]
fn rules_match_by_priority_and_conditions() {
    let cfg = config(&format!("{PROVIDERS}{RULES}"));
    let cases = [
        Case {
            text: "Redesign the storage architecture across all modules and migrate every caller",
            agent: "general",
            want_rule: Some("complex"),
            want_models: &[
                "anthropic/claude-opus-4-6",
                "openrouter/anthropic/claude-opus-4.6",
            ],
            want_reason: "rule complex (category coding-complex)",
        },
        Case {
            text: "offline only: read my notes",
            agent: "general",
            want_rule: Some("local"),
            want_models: &["ollama/qwen3:8b", "ollama/llama3.2:3b"],
            want_reason: "rule local (category offline)",
        },
        Case {
            text: "Draft the QUARTERLY   REPORT intro",
            agent: "general",
            want_rule: Some("words"),
            want_models: &["openai/gpt-5.1-codex"],
            want_reason: "rule words (keyword \"quarterly   report\")",
        },
        Case {
            text: "is C++ still worth learning?",
            agent: "general",
            want_rule: Some("words"),
            want_models: &["openai/gpt-5.1-codex"],
            want_reason: "rule words (keyword \"c++\")",
        },
        Case {
            // Word match: "reports" is not the keyword "report".
            text: "Draft the quarterly reports intro",
            agent: "general",
            want_rule: None,
            want_models: &["anthropic/claude-haiku-4-5"],
            want_reason: "default (no rule matched, category general)",
        },
        Case {
            text: "what is blocking JIRA-1234?",
            agent: "general",
            want_rule: Some("tickets"),
            want_models: &["openai/gpt-5.1-codex-mini"],
            want_reason: "rule tickets (regex \\bJIRA-\\d+\\b)",
        },
        Case {
            // Ties keep file order: "words" comes before "tickets".
            text: "c++ build broke in JIRA-7",
            agent: "general",
            want_rule: Some("words"),
            want_models: &["openai/gpt-5.1-codex"],
            want_reason: "rule words (keyword \"c++\")",
        },
        Case {
            text: "look at this please",
            agent: "reviewer",
            want_rule: Some("review"),
            want_models: &["anthropic/claude-sonnet-4-6"],
            want_reason: "rule review (agent reviewer, at most 500 chars)",
        },
        Case {
            text: "tell me about the history of the printing press",
            agent: "reviewer",
            want_rule: Some("review"),
            want_models: &["anthropic/claude-sonnet-4-6"],
            want_reason: "rule review (agent reviewer, at most 500 chars)",
        },
    ];
    for case in cases {
        let a = agent(case.agent, None);
        let d = route(&RouteInput {
            text: case.text,
            agent: &a,
            pinned: None,
            previous: None,
            config: &cfg,
            available: &all_up,
            budget: None,
        })
        .unwrap();
        let models: Vec<&str> = d.candidates.iter().map(|c| c.model.as_str()).collect();
        assert_eq!(
            d.rule.as_deref(),
            case.want_rule,
            "{}: {:#?}",
            case.text,
            d.trace
        );
        assert_eq!(models, case.want_models, "{}", case.text);
        assert_eq!(d.candidates[0].reason, case.want_reason, "{}", case.text);
        assert_eq!(d.pinned, None);
    }
}

#[test]
fn long_messages_match_length_rules() {
    let cfg = config(&format!("{PROVIDERS}{RULES}"));
    let text = "Please read this chapter and tell me what you think. ".repeat(60);
    let a = agent("general", None);
    let d = route(&RouteInput {
        text: &text,
        agent: &a,
        pinned: None,
        previous: None,
        config: &cfg,
        available: &all_up,
        budget: None,
    })
    .unwrap();
    assert_eq!(d.rule.as_deref(), Some("long"));
    assert_eq!(d.candidates[0].reason, "rule long (at least 3000 chars)");
}

#[test]
fn trace_says_why_each_rule_was_skipped() {
    let cfg = config(&format!("{PROVIDERS}{RULES}"));
    let a = agent("general", None);
    let d = route(&RouteInput {
        text: "what is blocking JIRA-1234?",
        agent: &a,
        pinned: None,
        previous: None,
        config: &cfg,
        available: &all_up,
        budget: None,
    })
    .unwrap();
    let trace: Vec<(String, Outcome, String)> = d
        .trace
        .iter()
        .map(|t| (t.step.clone(), t.outcome, t.why.clone()))
        .collect();
    let want = vec![
        (
            "local",
            Outcome::Skipped,
            "category is general, rule wants offline",
        ),
        (
            "complex",
            Outcome::Skipped,
            "category is general, rule wants coding-complex",
        ),
        (
            "review",
            Outcome::Skipped,
            "agent is general, rule wants reviewer",
        ),
        (
            "words",
            Outcome::Skipped,
            "no keyword found (Quarterly report, c++)",
        ),
        ("tickets", Outcome::Matched, "regex \\bJIRA-\\d+\\b"),
        ("long", Outcome::NotReached, "an earlier rule matched"),
    ];
    let want: Vec<(String, Outcome, String)> = want
        .into_iter()
        .map(|(a, b, c)| (a.to_string(), b, c.to_string()))
        .collect();
    assert_eq!(trace, want);
    assert_eq!(d.trace[0].priority, Some(200));
}

#[test]
fn unavailable_providers_are_skipped_with_the_reason() {
    let cfg = config(&format!("{PROVIDERS}{RULES}"));
    let a = agent("general", None);
    let text = "Redesign the storage architecture across all modules and migrate every caller";
    let no_anthropic = |p: &str| p != "anthropic";
    let d = route(&RouteInput {
        text,
        agent: &a,
        pinned: None,
        previous: None,
        config: &cfg,
        available: &no_anthropic,
        budget: None,
    })
    .unwrap();
    assert_eq!(d.rule.as_deref(), Some("complex"));
    assert_eq!(d.candidates.len(), 1);
    assert_eq!(
        d.candidates[0].model,
        "openrouter/anthropic/claude-opus-4.6"
    );
    assert_eq!(
        d.candidates[0].reason,
        "rule complex (category coding-complex); skipped anthropic/claude-opus-4-6: provider anthropic unavailable (circuit open)"
    );
    assert!(
        d.trace.iter().any(|t| t.outcome == Outcome::ModelSkipped
            && t.why.contains("provider anthropic unavailable"))
    );

    // Whole chain down: the next matching rule, then the default.
    let only_openai = |p: &str| p == "openai";
    let d = route(&RouteInput {
        text,
        agent: &a,
        pinned: None,
        previous: None,
        config: &cfg,
        available: &only_openai,
        budget: None,
    });
    let err = d.unwrap_err();
    assert!(
        matches!(&err, RouteError::AllUnavailable { skipped } if skipped.len() == 3),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("provider anthropic unavailable (circuit open)")
    );

    let no_openrouter = |p: &str| p != "openrouter" && p != "anthropic";
    let cfg2 = config(&format!(
        "{PROVIDERS}{}",
        RULES.replace(
            "default = \"anthropic/claude-haiku-4-5\"",
            "default = \"openai/gpt-5-mini\""
        )
    ));
    let d = route(&RouteInput {
        text,
        agent: &a,
        pinned: None,
        previous: None,
        config: &cfg2,
        available: &no_openrouter,
        budget: None,
    })
    .unwrap();
    assert_eq!(d.rule, None);
    assert_eq!(d.candidates[0].model, "openai/gpt-5-mini");
    assert_eq!(
        d.candidates[0].reason,
        "default (rule complex had no usable model, category coding-complex)"
    );
    assert!(
        d.trace
            .iter()
            .any(|t| t.step == "complex" && t.outcome == Outcome::NoUsableModel)
    );
}

#[test]
fn pins_override_the_router_and_auto_hands_back() {
    let cfg = config(&format!("{PROVIDERS}{RULES}"));
    let pinned_coder = agent("coder", Some("openai/gpt-5.1-codex"));
    let plain = agent("general", None);
    let flag = Pin::new("opus", PinSource::Flag);
    let command = Pin::new("openrouter/x-ai/grok-4", PinSource::Command);
    let auto_flag = Pin::new("auto", PinSource::Flag);
    let auto_cmd = Pin::new("auto", PinSource::Command);
    let text = "offline only please";
    type PinCase<'a> = (
        &'a Agent,
        Option<&'a Pin>,
        &'a str,
        &'a str,
        Option<PinSource>,
    );
    let cases: Vec<PinCase> = vec![
        (
            &plain,
            Some(&flag),
            "anthropic/claude-opus-4-6",
            "pinned by -m",
            Some(PinSource::Flag),
        ),
        (
            &pinned_coder,
            Some(&command),
            "openrouter/x-ai/grok-4",
            "pinned by /model",
            Some(PinSource::Command),
        ),
        (
            &pinned_coder,
            None,
            "openai/gpt-5.1-codex",
            "pinned by agent coder",
            Some(PinSource::Agent("coder".to_string())),
        ),
        (
            &pinned_coder,
            Some(&auto_flag),
            "ollama/qwen3:8b",
            "rule local (category offline)",
            None,
        ),
        (
            &plain,
            Some(&auto_cmd),
            "ollama/qwen3:8b",
            "rule local (category offline)",
            None,
        ),
        (
            &plain,
            None,
            "ollama/qwen3:8b",
            "rule local (category offline)",
            None,
        ),
    ];
    for (a, pin, model, reason, source) in cases {
        let d = route(&RouteInput {
            text,
            agent: a,
            pinned: pin,
            previous: None,
            config: &cfg,
            available: &all_up,
            budget: None,
        })
        .unwrap();
        assert_eq!(d.candidates[0].model, model, "{pin:?} {}", a.name);
        assert_eq!(d.candidates[0].reason, reason);
        assert_eq!(d.pinned, source);
        if source.is_some() {
            assert_eq!(d.candidates.len(), 1, "a pin has no silent fallback");
            assert_eq!(d.trace[0].outcome, Outcome::Pinned);
            assert_eq!(d.trace[0].why, format!("{model}: {reason}"));
            assert!(
                d.trace[1..]
                    .iter()
                    .all(|t| t.outcome == Outcome::NotReached)
            );
            assert_eq!(d.trace.len(), 7);
        }
    }
    let d = route(&RouteInput {
        text,
        agent: &plain,
        pinned: Some(&flag),
        previous: None,
        config: &cfg,
        available: &all_up,
        budget: None,
    })
    .unwrap();
    assert_eq!(d.candidates[0].alias.as_deref(), Some("opus"));

    // default_model in config is a pin too, until -m auto.
    let mut with_default = cfg.clone();
    with_default.default_model = "openai/gpt-5-mini".to_string();
    let d = route(&RouteInput {
        text,
        agent: &plain,
        pinned: None,
        previous: None,
        config: &with_default,
        available: &all_up,
        budget: None,
    })
    .unwrap();
    assert_eq!(d.candidates[0].reason, "pinned by default_model in config");
    let d = route(&RouteInput {
        text,
        agent: &plain,
        pinned: Some(&auto_flag),
        previous: None,
        config: &with_default,
        available: &all_up,
        budget: None,
    })
    .unwrap();
    assert_eq!(d.rule.as_deref(), Some("local"));

    // A pinned model whose provider is down is still used, and says so.
    let no_anthropic = |p: &str| p != "anthropic";
    let d = route(&RouteInput {
        text,
        agent: &plain,
        pinned: Some(&flag),
        previous: None,
        config: &cfg,
        available: &no_anthropic,
        budget: None,
    })
    .unwrap();
    assert_eq!(
        d.candidates[0].reason,
        "pinned by -m (provider anthropic unavailable (circuit open); kept because it is pinned)"
    );

    let bad = Pin::new("nowhere/model", PinSource::Command);
    let err = route(&RouteInput {
        text,
        agent: &plain,
        pinned: Some(&bad),
        previous: None,
        config: &cfg,
        available: &all_up,
        budget: None,
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("pinned by /model: `nowhere/model` names provider `nowhere`"),
        "{msg}"
    );
}

#[test]
fn nothing_matches_without_default_is_an_error_that_says_what_to_do() {
    let cfg = config(&format!(
        "{PROVIDERS}[[router.rules]]\nname = \"x\"\ncategory = \"research\"\nmodels = [\"opus\"]\n"
    ));
    let a = agent("general", None);
    let err = route(&RouteInput {
        text: "hello there",
        agent: &a,
        pinned: None,
        previous: None,
        config: &cfg,
        available: &all_up,
        budget: None,
    })
    .unwrap_err();
    assert_eq!(
        err,
        RouteError::NoRoute {
            category: Category::Conversation
        }
    );
    assert!(err.to_string().contains("add default = "));
}

#[test]
fn bad_rules_are_refused_when_compiling() {
    let mut cfg = config(PROVIDERS);
    cfg.router.rules.push(RouteRule {
        name: "r".to_string(),
        regex: Some("(unclosed".to_string()),
        models: vec!["opus".to_string()],
        ..RouteRule::default()
    });
    let err = Router::new(&cfg.router).unwrap_err();
    assert!(
        err.to_string().starts_with("rule `r`: invalid regex"),
        "{err}"
    );
    cfg.router.rules[0].regex = None;
    cfg.router.rules[0].category = Some("coding".to_string());
    let err = Router::new(&cfg.router).unwrap_err();
    assert!(
        err.to_string().contains("unknown category `coding`"),
        "{err}"
    );
}

#[test]
fn fallback_reason_names_the_failed_model_and_why() {
    let next = Candidate {
        model: "openrouter/anthropic/claude-opus-4.6".to_string(),
        provider: "openrouter".to_string(),
        alias: None,
        reason: "rule complex (category coding-complex)".to_string(),
    };
    let cases = [
        (
            "HTTP 503 Service Unavailable\nbody...",
            "fallback from anthropic/claude-opus-4-6: HTTP 503 Service Unavailable; rule complex (category coding-complex)",
        ),
        (
            "",
            "fallback from anthropic/claude-opus-4-6: failed; rule complex (category coding-complex)",
        ),
    ];
    for (why, want) in cases {
        assert_eq!(
            fallback_reason("anthropic/claude-opus-4-6", why, &next),
            want
        );
    }
}
