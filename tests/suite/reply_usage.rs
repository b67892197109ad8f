//! What a reply counts and costs, end to end against the fake provider (issue 13): an
//! interrupted reply is stored and reported with its real token count (an estimate, marked,
//! when the provider's usage never arrived), and OpenRouter's reported `usage.cost` is the
//! reply's stored cost and what `harness usage` sums.

use crate::support::core::{build, send, session, until_done, until_first_text};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{TempHome, stderr, stdout};
use harness::message::MessageStatus;
use harness::protocol::{Event, Op};
use harness::store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_reply_is_stored_with_an_estimated_token_count() {
    // Ollama's stream: its first frame is the first text (the usage comes with the last).
    let server = FakeProvider::start(Flavor::Ollama).await;
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let config = format!(
        "default_model = \"fake/claude-sonnet-4-5\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    );
    let (deps, _) = build(home.path(), &workspace, &config);
    let mut s = session(&deps).await;
    // 40 bytes streamed, then the stream stalls (its usage never comes).
    server.push(Reply::text_chunks(["x".repeat(40), "never sent".into()]).stall_after(1));
    send(&s, "go");
    until_first_text(&mut s).await;
    s.ops.send(Op::Interrupt).unwrap();
    let (done, _) = until_done(&mut s).await;
    let Event::TurnComplete {
        status,
        conversation_id,
        usage,
        ..
    } = done
    else {
        unreachable!()
    };
    assert_eq!(status, MessageStatus::Cancelled);
    assert!(usage.estimated, "{usage:?}");
    assert_eq!(usage.output_tokens, 10, "40 bytes at 4 bytes a token");
    assert!(
        usage.input_tokens > 100,
        "the request's estimate (system prompt, tools, the message): {usage:?}"
    );
    let rows = deps.store.messages(conversation_id).await.unwrap();
    let reply = rows.last().unwrap();
    assert_eq!(reply.status, MessageStatus::Cancelled);
    assert_eq!(
        (reply.input_tokens, reply.output_tokens),
        (Some(usage.input_tokens), Some(10))
    );
    assert_eq!(reply.cost_usd, None, "an estimate is not priced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openrouters_reported_cost_is_the_replys_cost_and_what_usage_sums() {
    let server = FakeProvider::start(Flavor::OpenRouter).await;
    let home = TempHome::new();
    // The price table knows this model: the provider's figure must win over it.
    home.write_config(&format!(
        "default_model = \"fake/claude-sonnet-4-5\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    ));
    server.push(Reply::text("hi").usage(16, 18).cost(0.0125));
    let out = home.run(&["run", "--json", "hello"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let done = stdout(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["type"] == "done")
        .expect("a done event");
    assert_eq!(done["usage"]["cost_usd"], 0.0125, "{done}");
    let store = Store::open(&home.db()).unwrap();
    let conversation = store.most_recent().await.unwrap().unwrap();
    let rows = store.messages(conversation).await.unwrap();
    assert_eq!(rows.last().unwrap().cost_usd, Some(0.0125));
    let out = home.run(&["usage", "--json", "--by", "model"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let usage: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(usage[0]["key"], "fake/claude-sonnet-4-5", "{usage}");
    assert_eq!(usage[0]["cost_usd"], 0.0125, "{usage}");
    assert_eq!(usage[0]["unknown_cost_requests"], 0, "{usage}");
    let text = stdout(&home.run(&["usage", "--by", "model"]));
    assert!(text.contains("$0.0125"), "{text}");
}
