//! The agent core end to end: `harness run` (the built binary) against the fake provider on
//! loopback, with the host sandbox and a temporary HARNESS_HOME. Tool loops, approvals,
//! interrupts, crash recovery, resume with the full history, compaction, and the JSON events.

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::TempHome;
use harness::message::{MessageStatus, Role};
use harness::store::Store;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

struct Env {
    home: TempHome,
    server: FakeProvider,
    workspace: PathBuf,
}

impl Env {
    async fn new(flavor: Flavor, extra: &str) -> Self {
        let server = FakeProvider::start(flavor).await;
        let home = TempHome::new();
        home.write_config(&format!(
            "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n{extra}",
            server.config_toml("fake")
        ));
        let workspace = home.path().join("ws");
        std::fs::create_dir_all(&workspace).unwrap();
        Self {
            home,
            server,
            workspace,
        }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = self.home.cmd();
        cmd.current_dir(&self.workspace).args(args);
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        cmd
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    fn store(&self) -> Store {
        Store::open(&self.home.db()).unwrap()
    }
}

fn events(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The roles (and tool call ids) of a recorded OpenAI-style request.
fn roles(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let role = m["role"].as_str().unwrap().to_string();
            match (
                m.get("tool_call_id").and_then(Value::as_str),
                m.get("tool_calls").and_then(Value::as_array),
            ) {
                (Some(id), _) => format!("{role}:{id}"),
                (None, Some(calls)) => format!("{role}+{}", calls.len()),
                _ => role,
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_step_tool_loop_runs_tools_and_sends_results_back() {
    let env = Env::new(Flavor::OpenAi, "").await;
    env.server.push(Reply::tool_call(
        "call_1",
        "bash",
        json!({"command": "echo made > out.txt && echo ran"}),
    ));
    env.server.push(Reply::tool_call(
        "call_2",
        "read",
        json!({"path": "out.txt"}),
    ));
    env.server.push(Reply::text("All done."));
    let out = env
        .run(&["run", "--json", "--approve", "auto", "make a file"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("out.txt")).unwrap(),
        "made\n"
    );

    let ev = events(&out);
    let contract: Vec<String> = types(&ev)
        .into_iter()
        .filter(|t| {
            ["route", "text_delta", "tool_call", "tool_result", "done"].contains(&t.as_str())
        })
        .collect();
    assert_eq!(
        contract,
        [
            "route",
            "tool_call",
            "tool_result",
            "route",
            "tool_call",
            "tool_result",
            "route",
            "text_delta",
            "done"
        ]
    );
    let results: Vec<&Value> = ev.iter().filter(|e| e["type"] == "tool_result").collect();
    assert!(
        results[0]["output"].as_str().unwrap().contains("ran"),
        "{:?}",
        results[0]
    );
    assert!(results[1]["output"].as_str().unwrap().contains("made"));
    let done = ev.last().unwrap();
    assert_eq!(done["type"], "done");
    assert_eq!(done["status"], "complete");

    let requests = env.server.chat_requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        roles(&requests[2].body),
        [
            "system",
            "user",
            "assistant+1",
            "tool:call_1",
            "assistant+1",
            "tool:call_2"
        ]
    );
    // Tools are offered with their schemas.
    let offered: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(offered, ["bash", "read", "write", "edit", "glob", "grep"]);

    // Everything is stored, tool pairs included.
    let store = env.store();
    let id = store.most_recent().await.unwrap().unwrap();
    let rows = store.messages(id).await.unwrap();
    let shape: Vec<&str> = rows.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(
        shape,
        [
            "user",
            "assistant",
            "tool",
            "assistant",
            "tool",
            "assistant"
        ]
    );
    assert!(rows.iter().all(|m| m.status == MessageStatus::Complete));
    assert_eq!(
        rows[1].route_reason.as_deref(),
        Some("pinned by default_model in config")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_modes_headless() {
    for (mode, runs) in [("ask", false), ("deny", false), ("auto", true)] {
        let env = Env::new(Flavor::Anthropic, "").await;
        env.server.push(Reply::tool_call(
            "t1",
            "write",
            json!({"path": "x.txt", "content": "hello"}),
        ));
        env.server.push(Reply::text("ok"));
        let out = env
            .run(&["run", "--json", "--approve", mode, "write x"])
            .await;
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", err(&out));
        assert_eq!(env.workspace.join("x.txt").exists(), runs, "{mode}");
        let ev = events(&out);
        let result = ev.iter().find(|e| e["type"] == "tool_result").unwrap();
        assert_eq!(result["is_error"], !runs, "{mode}: {result}");
        // The model is told why, in the next request.
        let second = &env.server.chat_requests()[1].body;
        let text = second.to_string();
        match mode {
            "ask" => assert!(text.contains("--approve auto"), "{text}"),
            "deny" => assert!(text.contains("approval mode `deny`"), "{text}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tool_calls_from_the_model_become_error_results() {
    let env = Env::new(Flavor::OpenAi, "").await;
    env.server.push(
        Reply::tool_call("a", "teleport", json!({"to": "mars"})).then_tool_call(
            "b",
            "read",
            json!({"file": "nope"}),
        ),
    );
    env.server.push(Reply::text("sorry"));
    let out = env.run(&["run", "--json", "--approve", "auto", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    let results: Vec<Value> = events(&out)
        .into_iter()
        .filter(|e| e["type"] == "tool_result")
        .collect();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["is_error"] == true));
    assert!(
        results[0]["output"]
            .as_str()
            .unwrap()
            .contains("unknown tool `teleport`")
    );
    assert_eq!(
        roles(&env.server.chat_requests()[1].body)[2..],
        ["assistant+2", "tool:a", "tool:b"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_sends_the_full_history_with_tool_pairs() {
    let env = Env::new(Flavor::OpenAi, "").await;
    env.server.push(Reply::tool_call(
        "c1",
        "bash",
        json!({"command": "echo one"}),
    ));
    env.server.push(Reply::text("first answer"));
    let out = env
        .run(&["run", "--approve", "auto", "first question"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "first answer\n");

    env.server.push(Reply::text("second answer"));
    let out = env.run(&["run", "-c", "second question"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    let last = env.server.chat_requests().pop().unwrap();
    assert_eq!(
        roles(&last.body),
        [
            "system",
            "user",
            "assistant+1",
            "tool:c1",
            "assistant",
            "user"
        ]
    );
    let msgs = last.body["messages"].as_array().unwrap();
    assert_eq!(msgs[1]["content"], "first question");
    assert_eq!(msgs[4]["content"], "first answer");
    assert_eq!(msgs[5]["content"], "second question");

    // --conversation with a prefix does the same.
    let id = env
        .store()
        .most_recent()
        .await
        .unwrap()
        .unwrap()
        .to_string();
    env.server.push(Reply::text("third"));
    let out = env
        .run(&["run", "--conversation", &id[..13], "third question"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert_eq!(
        roles(&env.server.chat_requests().pop().unwrap().body).len(),
        8
    );
    let out = env.run(&["run", "--conversation", "ffffffff", "x"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err(&out).contains("no conversation matches"),
        "{}",
        err(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_leaves_the_partial_reply_incomplete() {
    let env = Env::new(Flavor::OpenAi, "").await;
    env.server
        .push(Reply::text_chunks(["partial ", "reply ", "never ", "finished"]).stall_after(2));
    let mut child = env
        .command(&["run", "hello"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the partial text is on disk (saved every 300 ms while streaming).
    let store = env.store();
    let mut saved = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(id) = store.most_recent().await.unwrap() {
            let rows = store.messages(id).await.unwrap();
            if let Some(m) = rows
                .iter()
                .find(|m| m.role == Role::Assistant && !m.content.is_empty())
            {
                assert_eq!(m.status, MessageStatus::Streaming);
                // Give the stream a moment to deliver everything before the stall.
                tokio::time::sleep(Duration::from_millis(700)).await;
                saved = Some(store.messages(id).await.unwrap()[1].content.clone());
                break;
            }
        }
    }
    let saved = saved.expect("the streaming reply was saved while streaming");
    assert!(
        "partial reply never finished".starts_with(&saved),
        "{saved}"
    );
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    drop(store);

    let store = env.store(); // a new open recovers rows of dead writers
    let id = store.most_recent().await.unwrap().unwrap();
    let rows = store.messages(id).await.unwrap();
    assert_eq!(rows[0].role, Role::User);
    assert_eq!(rows[1].status, MessageStatus::Incomplete);
    assert_eq!(rows[1].content, saved);

    // And the conversation continues with the partial text in its history.
    env.server.push(Reply::text("continued"));
    let out = env.run(&["run", "-c", "go on"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    let last = env.server.chat_requests().pop().unwrap();
    assert_eq!(last.body["messages"][2]["content"], saved.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_mid_stream_cancels_and_keeps_the_partial() {
    let env = Env::new(Flavor::Ollama, "").await;
    env.server
        .push(Reply::text_chunks(["so far ", "and more"]).stall_after(1));
    let mut child = env
        .command(&["run", "--json", "hello"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap() as i32;
    // Signal once the first text has streamed (a loaded machine may take a while to get there).
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(child.stdout.take().unwrap()));
    let mut seen = Vec::new();
    while let Ok(Some(line)) = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
    {
        let delta = line.contains("\"text_delta\"");
        seen.push(line);
        if delta {
            break;
        }
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    while let Ok(Some(line)) = lines.next_line().await {
        seen.push(line);
    }
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", err(&out));
    let last: Value = serde_json::from_str(seen.last().unwrap()).unwrap();
    assert_eq!(last["status"], "cancelled", "{seen:?}");
    let store = env.store();
    let rows = store
        .messages(store.most_recent().await.unwrap().unwrap())
        .await
        .unwrap();
    assert_eq!(rows[1].status, MessageStatus::Cancelled);
    assert_eq!(rows[1].content, "so far ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_mid_tool_kills_it_and_records_a_result() {
    let env = Env::new(Flavor::OpenAi, "").await;
    env.server.push(Reply::tool_call(
        "slow",
        "bash",
        json!({"command": "sleep 30; echo never > late.txt"}),
    ));
    let child = env
        .command(&["run", "--json", "--approve", "auto", "wait"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap() as i32;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(1));
    let ev = events(&out);
    let result = ev.iter().find(|e| e["type"] == "tool_result").unwrap();
    assert_eq!(result["is_error"], true);
    assert_eq!(ev.last().unwrap()["status"], "cancelled");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!env.workspace.join("late.txt").exists());
    let store = env.store();
    let rows = store
        .messages(store.most_recent().await.unwrap().unwrap())
        .await
        .unwrap();
    assert_eq!(
        rows.last().unwrap().role,
        Role::Tool,
        "the call has its result"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_triggers_at_the_threshold_and_the_next_request_carries_the_summary() {
    // A tiny context window: 80% of 600 tokens is passed after a few long exchanges.
    let env = Env::new(
        Flavor::OpenAi,
        "[models.tiny]\nid = \"fake/model-x\"\ncontext_window = 600\n",
    )
    .await;
    let long = "lorem ipsum dolor sit amet ".repeat(20); // ~540 bytes
    for i in 0..4 {
        env.server.push(Reply::text(format!("answer {i}: {long}")));
        let flag = if i == 0 { vec![] } else { vec!["-c"] };
        let mut args = vec!["run"];
        args.extend(flag);
        let q = format!("question {i}");
        args.push(&q);
        let out = env.run(&args).await;
        assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    }
    let before = env.server.chat_requests().len();
    env.server.push(Reply::text(
        "SUMMARY: the user asked four questions about lorem ipsum.",
    ));
    env.server.push(Reply::text("fifth answer"));
    let out = env.run(&["run", "--json", "-c", "question 4"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    let requests = env.server.chat_requests();
    assert_eq!(
        requests.len(),
        before + 2,
        "one summary call, then the real request"
    );
    let summary_req = &requests[before].body;
    assert!(
        summary_req
            .to_string()
            .contains("Summarise the conversation above")
    );
    assert!(summary_req["tools"].is_null() || summary_req["tools"].as_array().unwrap().is_empty());
    let real = &requests[before + 1].body;
    let msgs = real["messages"].as_array().unwrap();
    assert!(
        msgs[1]["content"]
            .as_str()
            .unwrap()
            .contains("SUMMARY: the user asked four questions")
    );
    assert_eq!(msgs.last().unwrap()["content"], "question 4");
    assert!(
        msgs.len() < 10,
        "older messages were replaced: {}",
        msgs.len()
    );
    assert!(types(&events(&out)).contains(&"compacted".to_string()));
    // The originals are kept for display and search.
    let store = env.store();
    assert_eq!(store.search("question 0", 10).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_failure_after_content_exits_1_and_stores_incomplete() {
    let env = Env::new(Flavor::Zai, "").await;
    env.server
        .push(Reply::text("half").then_error("upstream died"));
    let out = env.run(&["run", "--json", "hi"]).await;
    assert_eq!(out.status.code(), Some(1));
    let ev = events(&out);
    let error = ev.iter().find(|e| e["type"] == "error").expect("an error");
    assert_eq!(
        error["retryable"], false,
        "an in-band error after content is not retryable: {error}"
    );
    assert_eq!(ev.last().unwrap()["status"], "incomplete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_errors_name_the_request_id_and_log_it() {
    let env = Env::new(Flavor::OpenAi, "").await;
    env.server.push(
        Reply::status(400)
            .header("x-request-id", "req_7f3a9c")
            .body(r#"{"error":{"message":"bad thing","type":"invalid_request_error"}}"#),
    );
    let out = env.run(&["run", "hi"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", err(&out));
    assert!(err(&out).contains("request id req_7f3a9c"), "{}", err(&out));
    let log = std::fs::read_to_string(env.home.path().join("logs/harness.log")).unwrap_or_default();
    assert!(log.contains("req_7f3a9c"), "the log names it too: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_prompt_is_refused_clearly() {
    let env = Env::new(Flavor::OpenAi, "[session]\nmax_prompt_bytes = 1000\n").await;
    let big = "x".repeat(5000);
    let out = env.run(&["run", &big]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err(&out).contains("over the 1000-byte limit"),
        "{}",
        err(&out)
    );
    assert!(env.server.chat_requests().is_empty());
}
