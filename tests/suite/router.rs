//! Routing and agents through the built binary (`harness route`, `harness agents`) with a
//! temporary HARNESS_HOME and workspace, plus the example files parsed and validated.

use assert_cmd::Command;
use harness::agents::{self, AgentSet};
use harness::config::{self, Config};
use harness::router;
use serde_json::Value;
use std::path::{Path, PathBuf};

const KEYS: [&str; 4] = [
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "OPENROUTER_API_KEY",
    "ZAI_API_KEY",
];

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn fake_keys(name: &str) -> Option<String> {
    KEYS.contains(&name).then(|| format!("test-{name}"))
}

/// A temporary HARNESS_HOME and a separate workspace directory.
struct Env {
    _dir: tempfile::TempDir,
    home: PathBuf,
    workspace: PathBuf,
}

impl Env {
    fn new(config_text: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let workspace = dir.path().join("ws");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(home.join("config.toml"), config_text).unwrap();
        Self {
            _dir: dir,
            home,
            workspace,
        }
    }

    fn with_example_config() -> Self {
        Self::new(&std::fs::read_to_string(examples().join("config.toml")).unwrap())
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = if let Some(rest) = relative.strip_prefix("home/") {
            self.home.join(rest)
        } else {
            self.workspace.join(relative)
        };
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("harness").unwrap();
        cmd.args(args)
            .current_dir(&self.workspace)
            .env("HARNESS_HOME", &self.home)
            .env("HOME", &self.home)
            .env_remove("HARNESS_MODEL")
            .env_remove("HARNESS_AGENT")
            .env_remove("HARNESS_APPROVAL")
            .env_remove("HARNESS_LOG")
            .env_remove("RUST_LOG");
        for var in harness::config::env_providers::PROVIDER_VARS {
            cmd.env_remove(var);
        }
        cmd.env(harness::config::env_providers::PROBE_VAR, "0");
        for key in KEYS {
            cmd.env(key, format!("test-{key}"));
        }
        cmd
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.cmd(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "nothing on stdout on failure");
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn steps(report: &Value) -> Vec<(String, String, String)> {
    report["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["step"].as_str().unwrap().to_string(),
                t["outcome"].as_str().unwrap().to_string(),
                t["why"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn route_json_explains_the_decision_with_the_example_table() {
    let env = Env::with_example_config();
    let report = env.json(&[
        "route",
        "--json",
        "Refactor the session module across the codebase so every caller uses the new Store handle",
    ]);
    assert_eq!(report["model"], "anthropic/claude-opus-4-6");
    assert_eq!(
        report["reason"],
        "rule coding-complex (category coding-complex)"
    );
    assert_eq!(report["category"], "coding-complex");
    assert_eq!(report["rule"], "coding-complex");
    assert_eq!(report["agent"], "general");
    assert_eq!(report["pinned"], Value::Null);
    let chain: Vec<&str> = report["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        chain,
        [
            "anthropic/claude-opus-4-6",
            "openrouter/anthropic/claude-opus-4.6"
        ]
    );
    assert_eq!(report["candidates"][0]["alias"], "opus");
    let trace = steps(&report);
    assert_eq!(
        trace[0],
        (
            "offline".to_string(),
            "skipped".to_string(),
            "category is coding-complex, rule wants offline".to_string()
        )
    );
    assert_eq!(trace[1].0, "coding-complex");
    assert_eq!(trace[1].1, "matched");
    assert!(trace[2..].iter().all(|t| t.1 == "not_reached"), "{trace:?}");
    assert_eq!(trace.len(), 8);
    let signals = report["classification"]["signals"].as_array().unwrap();
    assert!(
        signals.iter().any(|s| s["name"] == "refactor"),
        "{signals:?}"
    );
}

#[test]
fn route_covers_each_category_of_the_example_table() {
    let env = Env::with_example_config();
    let cases = [
        (
            "offline only: what does this clause in my lease mean?",
            "ollama/qwen3:8b",
            "offline",
        ),
        (
            "How do I reverse a vector in Rust?",
            "openai/gpt-5.1-codex",
            "coding-simple",
        ),
        (
            "Implement a --limit flag for `history list` in src/cli/history.rs",
            "anthropic/claude-sonnet-4-6",
            "coding-moderate",
        ),
        (
            "Compare PostgreSQL and SQLite for a desktop app: pros and cons",
            "openai/gpt-5.1-codex",
            "research",
        ),
        (
            "Summarize the following meeting notes: budget approved, hiring paused",
            "zai/glm-4.6",
            "summarization",
        ),
        (
            "hey, how are you?",
            "anthropic/claude-sonnet-4-6",
            "conversation",
        ),
        (
            "What is the tallest mountain in Africa?",
            "anthropic/claude-haiku-4-5",
            "general",
        ),
    ];
    for (prompt, model, rule) in cases {
        let report = env.json(&["route", "--json", prompt]);
        assert_eq!(report["model"], model, "{prompt}");
        assert_eq!(report["rule"], rule, "{prompt}");
        assert_eq!(report["category"], rule, "{prompt}");
    }
}

#[test]
fn route_reads_stdin_and_prints_a_readable_explanation() {
    let env = Env::with_example_config();
    let out = env
        .cmd(&["route", "-"])
        .write_stdin("Summarise this thread for me please")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("model     zai/glm-4.6\n"), "{text}");
    assert!(
        text.contains("reason    rule summarization (category summarization)\n"),
        "{text}"
    );
    assert!(
        text.contains("chain     1. zai/glm-4.6 (alias glm)\n"),
        "{text}"
    );
    assert!(
        text.contains("          2. openrouter/z-ai/glm-4.6\n"),
        "{text}"
    );
    assert!(
        text.contains("  skipped         coding-complex (priority 90): category is summarization, rule wants coding-complex\n"),
        "{text}"
    );
    assert!(
        text.contains("  matched         summarization (priority 50): category summarization\n"),
        "{text}"
    );
}

#[test]
fn route_with_an_agent_uses_its_pin_and_agent_rules() {
    let mut config = std::fs::read_to_string(examples().join("config.toml")).unwrap();
    config.push_str(
        "\n[[router.rules]]\nname = \"reviews\"\npriority = 95\nagent = \"reviewer\"\nmodels = [\"opus\"]\n",
    );
    let env = Env::new(&config);
    env.write(
        "home/agents/reviewer.toml",
        &std::fs::read_to_string(examples().join("agents/reviewer.toml")).unwrap(),
    );
    env.write(
        ".harness/agents/pinned.toml",
        "description = \"always sonnet\"\nmodel = \"sonnet\"\n",
    );

    let report = env.json(&["route", "--json", "-a", "reviewer", "hello there"]);
    assert_eq!(report["rule"], "reviews");
    assert_eq!(report["reason"], "rule reviews (agent reviewer)");
    assert_eq!(report["agent"], "reviewer");

    let report = env.json(&["route", "--json", "-a", "pinned", "Refactor everything"]);
    assert_eq!(report["model"], "anthropic/claude-sonnet-4-6");
    assert_eq!(report["reason"], "pinned by agent pinned");
    assert_eq!(report["pinned"]["by"], "agent");
    assert_eq!(report["candidates"].as_array().unwrap().len(), 1);

    // The built-in agent quick (config) is pinned too.
    let report = env.json(&["route", "--json", "-a", "quick", "anything"]);
    assert_eq!(report["model"], "anthropic/claude-haiku-4-5");

    let (code, err) = env.fails(&["route", "-a", "ghost", "hi"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(
            "harness: unknown agent `ghost`: use one of general, pinned, quick, reviewer"
        ),
        "{err}"
    );
}

#[test]
fn route_refuses_a_bad_router_config_with_lines() {
    let config = "\
[providers.anthropic]
kind = \"anthropic\"
api_key = \"${ANTHROPIC_API_KEY}\"

[router]
default = \"anthropic/claude-haiku-4-5\"

[[router.rules]]
name = \"one\"
regex = \"(unclosed\"
models = [\"anthropic/claude-opus-4-6\"]

[[router.rules]]
name = \"one\"
category = \"codng-complex\"
agent = \"coder\"
models = [\"openai/gpt-5.1-codex\", \"nosuchalias\"]
";
    let env = Env::new(config);
    let (code, err) = env.fails(&["route", "--json", "hello"]);
    assert_eq!(code, 2);
    let path = env.home.join("config.toml");
    let lines: Vec<&str> = err.lines().collect();
    let want = [
        format!(
            "harness: {}:8: rule `one`: invalid regex `(unclosed`",
            path.display()
        ),
        format!(
            "{}:13: rule `one` is defined twice (first at line 8)",
            path.display()
        ),
        format!(
            "{}:13: rule `one`: unknown category `codng-complex`",
            path.display()
        ),
        format!("{}:13: rule `one`: unknown agent `coder`", path.display()),
        format!(
            "{}:13: rule `one`: `openai/gpt-5.1-codex` names provider `openai`, which is not configured",
            path.display()
        ),
        format!(
            "{}:13: rule `one`: `nosuchalias` is not a model reference",
            path.display()
        ),
    ];
    assert_eq!(lines.len(), want.len(), "{err}");
    for (line, want) in lines.iter().zip(want) {
        assert!(
            line.starts_with(&want),
            "{line:?}\nshould start with\n{want:?}"
        );
    }
}

#[test]
fn route_without_providers_says_how_to_add_one() {
    let env = Env::new("");
    let mut cmd = env.cmd(&["route", "hi"]);
    for key in KEYS {
        cmd.env_remove(key);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("harness: no model provider is set up: export ANTHROPIC_API_KEY"),
        "{err}"
    );
    assert!(err.contains("harness init"), "{err}");
}

#[test]
fn agents_json_lists_builtin_config_user_and_project_agents() {
    let env = Env::with_example_config();
    for name in ["coder", "reviewer", "writer"] {
        env.write(
            &format!("home/agents/{name}.toml"),
            &std::fs::read_to_string(examples().join(format!("agents/{name}.toml"))).unwrap(),
        );
    }
    let project = env.write(
        ".harness/agents/writer.toml",
        "description = \"project writer\"\ntools = [\"read\"]\nsystem_prompt = \"Write like us.\"\n",
    );
    let list = env.json(&["agents", "--json"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["coder", "general", "quick", "reviewer", "writer"]);
    let by_name = |n: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == n)
            .unwrap()
            .clone()
    };
    let general = by_name("general");
    assert_eq!(general["default"], true);
    assert_eq!(general["source"], "builtin");
    assert_eq!(
        general["tools"],
        serde_json::json!(["bash", "read", "write", "edit", "glob", "grep"])
    );
    let reviewer = by_name("reviewer");
    assert_eq!(
        reviewer["tools"],
        serde_json::json!(["read", "glob", "grep"])
    );
    assert_eq!(reviewer["source"], "user");
    assert_eq!(reviewer["default"], false);
    let writer = by_name("writer");
    assert_eq!(writer["source"], "project");
    assert_eq!(writer["path"], project.display().to_string());
    assert_eq!(writer["system_prompt"], "Write like us.");
    let quick = by_name("quick");
    assert_eq!(quick["source"], "config");
    assert_eq!(quick["model"], "haiku");
    assert_eq!(quick["tools"], serde_json::json!([]));

    let out = env.cmd(&["agents"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().next().unwrap().starts_with("  NAME"), "{text}");
    assert!(text.contains("\n* general "), "{text}");
    assert!(text.contains("(none)"), "{text}");
    assert!(!text.contains("AGENTS.md"), "{text}");

    let md = env.write("AGENTS.md", "Use tabs.\n");
    let out = env.cmd(&["agents"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.ends_with(&format!(
            "{} is appended to every agent's system prompt in this workspace\n",
            md.display()
        )),
        "{text}"
    );
}

#[test]
fn agents_reports_bad_files_with_file_line_and_tool() {
    let mut config = std::fs::read_to_string(examples().join("config.toml")).unwrap();
    let header_line = config.lines().count() + 2;
    config.push_str("\n[agents.web]\ntools = [\"fetch\"]\n");
    let env = Env::new(&config);
    let bad_tool = env.write(
        "home/agents/helper.toml",
        "description = \"x\"\ntools = [\"read\", \"browser\"]\n",
    );
    let bad_toml = env.write(
        ".harness/agents/broken.toml",
        "description = \"x\"\ntools = [\n",
    );
    let (code, err) = env.fails(&["agents", "--json"]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!(
            "harness: {}:{header_line}: [agents.web]: agent `web` lists unknown tool `fetch`",
            env.home.join("config.toml").display()
        )),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{}:2: agent `helper` lists unknown tool `browser`: use only bash, read, write, edit, glob, grep",
            bad_tool.display()
        )),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!("{}:3:", bad_toml.display())),
        "{err}"
    );
}

/// Every file under examples/ is parsed (and validated where it is a config).
#[test]
fn every_example_file_parses_and_validates() {
    let dir = examples();
    let mut seen = Vec::new();

    let config_text = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let full: Config = config::parse(&config_text, &dir.join("config.toml"), &fake_keys).unwrap();
    assert_eq!(full.providers.len(), 5);
    let kinds: Vec<&str> = full.providers.values().map(|p| p.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["anthropic", "ollama", "openai", "openrouter", "zai"]
    );
    assert_eq!(
        full.providers["anthropic"]
            .api_key
            .as_ref()
            .map(|k| k.expose().to_string()),
        Some("test-ANTHROPIC_API_KEY".to_string())
    );
    // An unset key is an error naming the variable.
    let err = config::parse(&config_text, &dir.join("config.toml"), &|_| None).unwrap_err();
    assert!(err.to_string().contains("ANTHROPIC_API_KEY"), "{err}");
    let agents_set = agents::load(&full, &dir.join("agents"), None).unwrap();
    assert_eq!(router::validate(&full, &agents_set), vec![]);
    seen.push("config.toml".to_string());

    // routing.toml is the same table; it needs config.toml's providers in front of it.
    let providers = config_text
        .split("# --- Models and routing")
        .next()
        .unwrap();
    let routing_text = std::fs::read_to_string(dir.join("routing.toml")).unwrap();
    let routing: Config = config::parse(
        &format!("{providers}\n{routing_text}"),
        &dir.join("routing.toml"),
        &fake_keys,
    )
    .unwrap();
    assert_eq!(router::validate(&routing, &AgentSet::builtin()), vec![]);
    let without_lines = |c: &Config| {
        let mut r = c.router.clone();
        for rule in &mut r.rules {
            rule.line = None;
        }
        r
    };
    assert_eq!(
        without_lines(&routing),
        without_lines(&full),
        "routing.toml and config.toml drifted"
    );
    assert_eq!(routing.models, full.models);
    let categories: Vec<&str> = routing
        .router
        .rules
        .iter()
        .filter_map(|r| r.category.as_deref())
        .collect();
    for c in router::Category::ALL {
        assert!(categories.contains(&c.as_str()), "no rule for {c}");
    }
    seen.push("routing.toml".to_string());

    let expected_tools: [(&str, &[&str]); 4] = [
        ("coder", &["bash", "read", "write", "edit", "glob", "grep"]),
        ("researcher", &["bash", "read", "glob", "grep"]),
        ("reviewer", &["read", "glob", "grep"]),
        ("writer", &[]),
    ];
    for (name, tools) in expected_tools {
        let agent = agents::load_file(&dir.join(format!("agents/{name}.toml")), false).unwrap();
        assert_eq!(agent.name, name);
        assert_eq!(agent.tools, tools, "{name}");
        assert!(agent.system_prompt.len() > 200, "{name} has a real prompt");
        assert!(!agent.description.is_empty());
        seen.push(format!("agents/{name}.toml"));
    }

    let mut on_disk: Vec<String> = Vec::new();
    // Configuration examples (cargo's example programs, `*.rs`, are built, not parsed).
    for entry in walk(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        on_disk.push(entry.strip_prefix(&dir).unwrap().display().to_string());
    }
    on_disk.sort();
    seen.sort();
    assert_eq!(on_disk, seen, "a new example file needs a parse test");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn route_honours_a_pinned_default_model_and_agent_pins_win_over_it() {
    let env = Env::with_example_config();
    let out = env
        .cmd(&["route", "--json", "hello"])
        .env("HARNESS_MODEL", "opus")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["model"], "anthropic/claude-opus-4-6");
    assert_eq!(report["reason"], "pinned by default_model in config");
    assert_eq!(report["pinned"]["by"], "config_default");
    assert_eq!(report["rule"], Value::Null);

    let out = env
        .cmd(&["route", "--json", "-a", "quick", "hello"])
        .env("HARNESS_MODEL", "opus")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["reason"], "pinned by agent quick");
    assert_eq!(report["model"], "anthropic/claude-haiku-4-5");
}
