//! `harness run` (minimal) and `harness models` as a user runs them: the built binary, a
//! temporary HARNESS_HOME, fake providers on loopback.

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use std::path::Path;
use std::process::Output;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    async fn harness(&self, args: &[&str], stdin: Option<&str>) -> Output {
        use tokio::io::AsyncWriteExt;
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_harness"));
        cmd.args(args)
            .env("HARNESS_HOME", self.path())
            .env("HOME", self.path())
            .env_remove("HARNESS_MODEL")
            .env_remove("RUST_LOG")
            .env(harness::config::env_providers::PROBE_VAR, "0")
            .env("HARNESS_LOG", "debug")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for var in harness::config::env_providers::PROVIDER_VARS {
            cmd.env_remove(var);
        }
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).await.unwrap();
        }
        drop(input);
        child.wait_with_output().await.unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_streams_the_reply_for_each_flavour() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::text_chunks(["Hello", ", ", "world"]));
        let home = Home::new(&server.config_toml("fake"));
        let out = home
            .harness(&["run", "-m", "fake/some-model", "say", "hi"], None)
            .await;
        assert_eq!(out.status.code(), Some(0), "{flavor:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "Hello, world\n", "{flavor:?}");
        let req = &server.chat_requests()[0];
        assert_eq!(req.body["model"], "some-model");
        let body = req.body.to_string();
        assert!(body.contains("say hi"), "{flavor:?}: {body}");
        // The log file exists and never holds the key.
        let log = std::fs::read_to_string(home.path().join("logs/harness.log")).unwrap_or_default();
        assert!(!log.contains(FakeProvider::API_KEY));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_reads_the_prompt_from_stdin_and_splits_refs_on_the_first_slash() {
    let server = FakeProvider::start(Flavor::OpenRouter).await;
    server.push(Reply::text("ok\n"));
    let home = Home::new(&server.config_toml("openrouter"));
    let out = home
        .harness(
            &["run", "-m", "openrouter/anthropic/claude-sonnet-4.6", "-"],
            Some("from stdin"),
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ok\n", "no doubled newline");
    let req = &server.chat_requests()[0];
    assert_eq!(req.body["model"], "anthropic/claude-sonnet-4.6");
    let messages = req.body["messages"].as_array().unwrap();
    assert_eq!(
        messages[0]["role"], "system",
        "the agent's system prompt comes first"
    );
    assert_eq!(messages.last().unwrap()["content"], "from stdin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_json_prints_contract_events() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    server.push(Reply::text_chunks(["a", "b"]).usage(5, 2));
    let home = Home::new(&server.config_toml("claude"));
    let out = home
        .harness(&["run", "--json", "-m", "claude/claude-x", "hi"], None)
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The event types of docs/protocol.md, in order (more types may be interleaved).
    let contract = [
        "route",
        "text_delta",
        "tool_call",
        "tool_result",
        "error",
        "done",
    ];
    let events: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| contract.contains(&e["type"].as_str().unwrap()))
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["route", "text_delta", "text_delta", "done"]);
    assert_eq!(events[0]["model"], "claude/claude-x");
    assert_eq!(events[0]["reason"], "pinned by -m");
    assert_eq!(events[3]["status"], "complete");
    assert_eq!(events[3]["usage"]["input_tokens"], 5);
    assert_eq!(events[3]["usage"]["output_tokens"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_failures_exit_1_with_a_clear_message() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = Home::new(&server.config_toml("oa"));

    server.push(Reply::status(401));
    let out = home.harness(&["run", "-m", "oa/gpt", "hi"], None).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("authentication failed") && err.contains("[providers.oa]"),
        "{err}"
    );
    assert!(!err.contains(FakeProvider::API_KEY));
    assert_eq!(stdout(&out), "");

    server.push(Reply::text("half an ans").truncated());
    let out = home.harness(&["run", "-m", "oa/gpt", "hi"], None).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "half an ans\n", "partial text kept");
    assert!(stderr(&out).contains("incomplete"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_bad_model_references_exit_2() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = Home::new(&server.config_toml("oa"));
    for (model, needle) in [
        ("nope/gpt", "not configured"),
        ("gpt-4o", "not a model reference"),
    ] {
        let out = home.harness(&["run", "-m", model, "hi"], None).await;
        assert_eq!(out.status.code(), Some(2), "{model}");
        assert!(stderr(&out).contains(needle), "{model}: {}", stderr(&out));
    }
    assert!(server.requests().is_empty());
    let out = home
        .harness(&["run", "-m", "oa/gpt", "-"], Some("  \n"))
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("prompt is empty"));
    // A config with a provider but no route: `auto` goes to that provider's default model
    // instead of failing with "no router rule matched".
    server.push(Reply::text("routed"));
    let out = home.harness(&["run", "-m", "auto", "hi"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(server.chat_requests()[0].body["model"], "gpt-5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_provider_config_is_a_config_error() {
    let cases = [
        (
            "[providers.x]\nkind = \"openai\"\nbase_url = \"not a url\"\napi_key = \"k\"\n",
            "base_url",
        ),
        (
            "[providers.x]\nkind = \"gemini\"\napi_key = \"k\"\n",
            "unknown provider kind",
        ),
        (
            "[providers.x]\nkind = \"openai\"\napi_key = \"\"\n",
            "api_key is empty",
        ),
    ];
    for (config, needle) in cases {
        let home = Home::new(config);
        let out = home.harness(&["run", "-m", "x/y", "hi"], None).await;
        assert_eq!(out.status.code(), Some(2), "{config}");
        assert!(stderr(&out).contains(needle), "{config}: {}", stderr(&out));
        let out = home.harness(&["models"], None).await;
        assert_eq!(out.status.code(), Some(2), "{config}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_lists_every_provider_and_reports_the_failing_one() {
    let good = FakeProvider::start(Flavor::OpenRouter).await;
    good.set_model_list(vec![crate::support::fake_provider::FakeModel {
        id: "openai/gpt-4o".into(),
        display_name: Some("GPT-4o".into()),
        context_length: Some(128_000),
        input_price_per_mtok: Some(2.5),
        output_price_per_mtok: Some(10.0),
    }]);
    let local = FakeProvider::start(Flavor::Ollama).await;
    local.set_models(&["llama3.2:latest"]);
    let bad = FakeProvider::start(Flavor::Anthropic).await;
    bad.fail_models(Some(500));
    let config = format!(
        "{}\n{}\n{}",
        good.config_toml("or"),
        local.config_toml("local"),
        bad.config_toml("claude")
    );
    let home = Home::new(&config);

    let out = home.harness(&["models"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("or/openai/gpt-4o") && text.contains("128k") && text.contains("$2.50/$10.00"),
        "{text}"
    );
    assert!(text.contains("local/llama3.2:latest"), "{text}");
    assert!(stderr(&out).contains("claude"), "{}", stderr(&out));

    let out = home.harness(&["models", "--json"], None).await;
    assert_eq!(out.status.code(), Some(0));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let refs: Vec<&str> = list
        .iter()
        .map(|m| m["reference"].as_str().unwrap())
        .collect();
    // Providers in name order (claude failed, then local, then or).
    assert_eq!(refs, ["local/llama3.2:latest", "or/openai/gpt-4o"]);
    assert_eq!(list[1]["context_window"], 128_000);

    let out = home
        .harness(&["models", "--provider", "claude"], None)
        .await;
    assert_eq!(out.status.code(), Some(1), "the only asked provider failed");
    let out = home
        .harness(&["models", "--provider", "local", "--json"], None)
        .await;
    assert_eq!(out.status.code(), Some(0));
    let out = home.harness(&["models", "--provider", "nope"], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not configured"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_without_providers_says_what_to_do() {
    let home = Home::new("");
    let out = home.harness(&["models"], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("[providers.NAME]"),
        "{}",
        stderr(&out)
    );
}
