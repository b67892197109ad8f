//! Routing and agents end to end: `harness run --json` against two fake providers on loopback.
//! Rules send prompts to their models, fallbacks skip a dead provider and one answering 503
//! (with the reasons in `route` events), pins override the router and `auto` hands it back,
//! and agents change the system prompt and offered tools, with AGENTS.md included.

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::TempHome;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

struct Env {
    home: TempHome,
    a: FakeProvider,
    b: FakeProvider,
    workspace: PathBuf,
}

impl Env {
    async fn new(rules: &str) -> Self {
        let a = FakeProvider::start(Flavor::OpenAi).await;
        let b = FakeProvider::start(Flavor::Anthropic).await;
        let home = TempHome::new();
        home.write_config(&format!(
            "{}max_retries = 0\n{}max_retries = 0\n\
             [providers.dead]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\napi_key = \"k\"\nmax_retries = 0\n\
             [sandbox]\nbackend = \"host\"\n\
             [agents.rev]\ndescription = \"reviews\"\nsystem_prompt = \"REVIEWER PROMPT: only read.\"\ntools = [\"read\", \"grep\"]\n\
             {rules}",
            a.config_toml("a"),
            b.config_toml("b"),
        ));
        let workspace = home.path().join("ws");
        std::fs::create_dir_all(&workspace).unwrap();
        Self {
            home,
            a,
            b,
            workspace,
        }
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.home.cmd();
        cmd.current_dir(&self.workspace)
            .arg("run")
            .arg("--json")
            .args(args);
        tokio::process::Command::from(cmd).output().await.unwrap()
    }
}

fn routes(out: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == "route")
        .map(|e| {
            (
                e["model"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const RULES: &str = r#"
[router]
default = "a/default-model"

[[router.rules]]
name = "refactors"
priority = 50
keywords = ["refactor"]
models = ["b/strong-model"]

[[router.rules]]
name = "summaries"
priority = 40
category = "summarization"
models = ["a/cheap-model"]

[[router.rules]]
name = "flaky"
priority = 30
keywords = ["flaky"]
models = ["dead/m", "a/second", "b/third"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyword_rule_and_a_category_rule_send_prompts_to_their_models() {
    let env = Env::new(RULES).await;
    env.b.push(Reply::text("refactored"));
    let out = env.run(&["please refactor the parser module"]).await;
    ok(&out);
    assert_eq!(
        routes(&out),
        [("b/strong-model".to_string(), routes(&out)[0].1.clone())]
    );
    assert!(
        routes(&out)[0].1.contains("rule refactors"),
        "{:?}",
        routes(&out)
    );
    assert_eq!(env.b.chat_requests()[0].body["model"], "strong-model");
    assert!(env.a.chat_requests().is_empty());

    env.a.push(Reply::text("short"));
    let out = env
        .run(&["Summarize this article in three bullet points: The quick brown fox jumps over the lazy dog. It was a sunny day and everyone was happy."])
        .await;
    ok(&out);
    let r = routes(&out);
    assert_eq!(r[0].0, "a/cheap-model");
    assert!(
        r[0].1.contains("summaries") && r[0].1.contains("summarization"),
        "{r:?}"
    );

    env.a.push(Reply::text("hi"));
    let out = env.run(&["hello there"]).await;
    ok(&out);
    assert_eq!(routes(&out)[0].0, "a/default-model");
    assert!(routes(&out)[0].1.contains("default"), "{:?}", routes(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallback_past_a_dead_provider_and_one_answering_503() {
    let env = Env::new(RULES).await;
    env.a.push(Reply::status(503));
    env.b.push(Reply::text("third time lucky"));
    let out = env.run(&["this flaky thing again"]).await;
    ok(&out);
    let r = routes(&out);
    assert_eq!(
        r.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        ["dead/m", "a/second", "b/third"]
    );
    assert!(
        r[1].1.starts_with("fallback from dead/m:") && r[1].1.contains("connection"),
        "{:?}",
        r[1]
    );
    assert!(
        r[2].1.starts_with("fallback from a/second:") && r[2].1.contains("503"),
        "{:?}",
        r[2]
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("third time lucky"));
    // The stored reply records the model that answered and why.
    let store = harness::store::Store::open(&env.home.db()).unwrap();
    let id = store.most_recent().await.unwrap().unwrap();
    let reply = store.messages(id).await.unwrap().pop().unwrap();
    assert_eq!(reply.model.as_deref(), Some("b/third"));
    assert!(
        reply
            .route_reason
            .unwrap()
            .contains("fallback from a/second")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_and_unpin() {
    let env = Env::new(RULES).await;
    env.a.push(Reply::text("pinned answer"));
    let out = env
        .run(&["-m", "a/pinned-model", "please refactor this"])
        .await;
    ok(&out);
    assert_eq!(
        routes(&out),
        [("a/pinned-model".to_string(), "pinned by -m".to_string())]
    );
    assert!(env.b.chat_requests().is_empty(), "the rule did not apply");

    env.b.push(Reply::text("routed"));
    let out = env.run(&["-m", "auto", "-c", "please refactor this"]).await;
    ok(&out);
    assert_eq!(
        routes(&out)[0].0,
        "b/strong-model",
        "auto hands control back to the router"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_change_the_system_prompt_and_tools_and_agents_md_is_included() {
    let env = Env::new(RULES).await;
    std::fs::write(
        env.workspace.join("AGENTS.md"),
        "PROJECT RULE 42: use tabs.\n",
    )
    .unwrap();
    env.a.push(Reply::text("general answer"));
    env.a.push(Reply::text("reviewer answer"));
    ok(&env.run(&["hello"]).await);
    ok(&env.run(&["-a", "rev", "hello"]).await);
    let requests = env.a.chat_requests();
    let system = |i: usize| {
        requests[i].body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let tools = |i: usize| -> Vec<String> {
        requests[i].body["tools"]
            .as_array()
            .map(|t| {
                t.iter()
                    .map(|t| t["function"]["name"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(system(0).contains("PROJECT RULE 42"), "{}", system(0));
    assert_eq!(tools(0), ["bash", "read", "write", "edit", "glob", "grep"]);
    assert!(
        system(1).starts_with("REVIEWER PROMPT: only read."),
        "agent prompt first and verbatim"
    );
    assert!(system(1).contains("PROJECT RULE 42") && system(1).contains("AGENTS.md"));
    assert_eq!(tools(1), ["read", "grep"]);
    // The stored reply records the agent that produced it.
    let store = harness::store::Store::open(&env.home.db()).unwrap();
    let id = store.most_recent().await.unwrap().unwrap();
    let reply = store.messages(id).await.unwrap().pop().unwrap();
    assert_eq!(reply.agent.as_deref(), Some("rev"));

    let out = env.run(&["-a", "nobody", "hi"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}
