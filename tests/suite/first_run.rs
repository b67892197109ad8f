//! First run on a machine with no config: an exported key alone is a working provider (run,
//! route, models, doctor say where it came from), no key at all gives the guidance and exit 2,
//! and `harness init` writes a private config that `config check` accepts.

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{TempHome, stderr, stdout};
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

/// Run `harness ARGS` in `home` with extra environment variables.
fn run_with(home: &TempHome, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = home.cmd();
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("run harness")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_anthropic_key_alone_runs_a_turn_on_the_default_model() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    server.push(Reply::text("Hello from the environment."));
    let home = TempHome::new();
    let base = server.base_url();
    let out = tokio::task::spawn_blocking(move || {
        let vars = [
            ("ANTHROPIC_API_KEY", FakeProvider::API_KEY),
            ("ANTHROPIC_BASE_URL", base.as_str()),
        ];
        let out = run_with(&home, &vars, &["run", "--json", "hello"]);
        assert!(!home.path().join("config.toml").exists(), "no config file");
        out
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Hello from the environment."), "{text}");
    assert!(
        text.contains(r#""model":"anthropic/claude-sonnet-4-6""#),
        "{text}"
    );
    let requests = server.chat_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("x-api-key"), Some(FakeProvider::API_KEY));
    assert_eq!(requests[0].body["model"], "claude-sonnet-4-6");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_openai_key_alone_runs_a_turn_on_the_default_model() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    server.push(Reply::text("OpenAI from the environment."));
    let home = TempHome::new();
    let base = server.base_url();
    let out = tokio::task::spawn_blocking(move || {
        run_with(
            &home,
            &[
                ("OPENAI_API_KEY", FakeProvider::API_KEY),
                ("OPENAI_BASE_URL", base.as_str()),
            ],
            &["run", "hello"],
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "OpenAI from the environment.\n");
    let request = &server.chat_requests()[0];
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", FakeProvider::API_KEY).as_str())
    );
    assert_eq!(request.body["model"], "gpt-5");
}

#[test]
fn without_any_provider_run_exits_2_with_one_line_naming_the_ways_in() {
    let home = TempHome::new();
    let out = home.run(&["run", "hello"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for want in [
        "harness: no model provider is set up",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "OLLAMA_HOST",
        "`harness init`",
        &home.path().join("config.toml").display().to_string(),
    ] {
        assert!(err.contains(want), "`{want}` missing: {err}");
    }
    assert!(stdout(&out).is_empty());
    // Nothing was stored: the message never reached a model.
    let out = home.run(&["history", "list", "--json"]);
    assert_eq!(stdout(&out).trim(), "[]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_models_and_doctor_say_where_the_provider_came_from_and_skip_missing_ones() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let home = TempHome::new();
    // Rules but no [providers]: the openrouter rule cannot be used with only an Anthropic key.
    home.write_config(
        r#"
[[router.rules]]
name = "hard"
priority = 10
keywords = ["refactor"]
models = ["openrouter/anthropic/claude-opus-4.6"]

[[router.rules]]
name = "any"
models = ["anthropic/claude-haiku-4-5"]
"#,
    );
    let base = server.base_url();
    let (route, models, doctor, check) = tokio::task::spawn_blocking(move || {
        let vars = [
            ("ANTHROPIC_API_KEY", FakeProvider::API_KEY),
            ("ANTHROPIC_BASE_URL", base.as_str()),
        ];
        (
            run_with(&home, &vars, &["route", "--json", "refactor this module"]),
            run_with(&home, &vars, &["models"]),
            run_with(&home, &vars, &["doctor"]),
            run_with(&home, &vars, &["config", "check"]),
        )
    })
    .await
    .unwrap();

    assert!(route.status.success(), "{}", stderr(&route));
    let json: serde_json::Value = serde_json::from_slice(&route.stdout).unwrap();
    assert_eq!(json["model"], "anthropic/claude-haiku-4-5", "{json:#}");
    assert_eq!(json["providers"]["anthropic"], "from ANTHROPIC_API_KEY");
    let trace = json["trace"].as_array().unwrap();
    let hard: Vec<&serde_json::Value> = trace.iter().filter(|t| t["step"] == "hard").collect();
    assert!(
        hard.iter().any(|t| t["outcome"] == "no_usable_model"),
        "{json:#}"
    );
    assert!(
        hard.iter().any(|t| t["outcome"] == "model_skipped"
            && t["why"]
                .as_str()
                .unwrap()
                .contains("set OPENROUTER_API_KEY")),
        "{json:#}"
    );

    assert!(check.status.success(), "{}", stderr(&check));
    assert!(models.status.success(), "{}", stderr(&models));
    assert!(
        stdout(&models).contains("# anthropic: 2 model(s), from ANTHROPIC_API_KEY"),
        "{}",
        stdout(&models)
    );
    let doctor = stdout(&doctor);
    assert!(
        doctor
            .lines()
            .any(|l| l.starts_with("ok")
                && l.contains("anthropic (anthropic, from ANTHROPIC_API_KEY)")),
        "{doctor}"
    );
}

#[test]
fn doctor_without_a_provider_names_the_ways_in() {
    let home = TempHome::new();
    let out = home.run(&["doctor"]);
    let text = stdout(&out);
    assert!(
        text.lines().any(|l| l.starts_with("FAIL")
            && l.contains("provider")
            && l.contains("ANTHROPIC_API_KEY")
            && l.contains("harness init")),
        "{text}"
    );
}

#[test]
fn init_writes_a_private_config_with_variables_not_keys_and_refuses_to_overwrite() {
    let home = TempHome::new();
    let secret = "sk-ant-this-must-never-be-written";
    let vars = [("ANTHROPIC_API_KEY", secret)];
    let out = run_with(&home, &vars, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = home.path().join("config.toml");
    assert!(
        stdout(&out).contains(&format!("wrote {}", path.display())),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("anthropic (from ANTHROPIC_API_KEY)"));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(secret), "{text}");
    assert!(
        text.contains("api_key = \"${ANTHROPIC_API_KEY}\""),
        "{text}"
    );
    assert!(
        text.contains("default = \"anthropic/claude-sonnet-4-6\""),
        "{text}"
    );

    let check = run_with(&home, &vars, &["config", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let show = run_with(&home, &vars, &["config", "show"]);
    assert!(!stdout(&show).contains(secret));

    std::fs::write(&path, format!("{text}\n# my edit\n")).unwrap();
    let again = run_with(&home, &vars, &["init", "--yes"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .ends_with("# my edit\n"),
        "untouched"
    );

    let forced = run_with(&home, &[], &["init", "--yes", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let backup = std::fs::read_to_string(home.path().join("config.toml.bak")).unwrap();
    assert!(backup.ends_with("# my edit\n"), "the old file is kept");
    let fresh = std::fs::read_to_string(&path).unwrap();
    assert!(fresh.contains("No provider was found"), "{fresh}");
    // With no key exported, the all-commented file is still valid.
    let check = home.run(&["config", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn init_creates_a_private_directory_for_a_new_home() {
    let root = TempHome::new();
    let home = root.path().join("fresh/home");
    let out = root
        .cmd()
        .env("HARNESS_HOME", &home)
        .env("OPENAI_API_KEY", "sk-x")
        .args(["init", "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = std::fs::metadata(&home).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}
