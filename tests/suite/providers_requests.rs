//! What each client sends: native request shapes for a tool conversation, headers
//! (attribution, configured extras), Ollama's `num_ctx` sources, OpenRouter's duplicated
//! finish chunk.

use super::providers::{calls_of, client, client_for, collect, fast_retry, request};
use crate::support::fake_provider::{FakeModel, FakeProvider, Flavor, Reply};
use harness::message::ToolCall;
use harness::providers::{ChatMessage, ChatRequest, ProviderEvent, ToolSpec};
use serde_json::json;

#[tokio::test]
async fn openrouter_sends_attribution_and_survives_duplicate_finish_chunk() {
    let server = FakeProvider::start(Flavor::OpenRouter).await;
    server.push(
        Reply::tool_call("toolu_1", "weather", json!({"location": "Florence, Italy"}))
            .usage(577, 54),
    );
    let (events, err) = collect(&client(&server), request("w")).await;
    assert!(err.is_none(), "{err:?}");
    // The fake sends the finish chunk twice (second with usage), like the real service.
    assert_eq!(calls_of(&events).len(), 1);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ProviderEvent::Usage(_)))
            .count(),
        1
    );
    let req = &server.chat_requests()[0];
    assert_eq!(req.header("x-title"), Some("harness"));
}

#[tokio::test]
async fn configured_headers_are_sent() {
    let server = FakeProvider::start(Flavor::OpenRouter).await;
    let mut cfg = server.provider_config("fake");
    cfg.headers
        .insert("HTTP-Referer".into(), "https://example.invalid/app".into());
    cfg.headers.insert("X-Title".into(), "My App".into());
    server.push(Reply::text("ok"));
    let (_, err) = collect(&client_for(&cfg, fast_retry()), request("hi")).await;
    assert!(err.is_none());
    let req = &server.chat_requests()[0];
    assert_eq!(
        req.header("http-referer"),
        Some("https://example.invalid/app")
    );
    assert_eq!(req.header("x-title"), Some("My App"));
}

#[tokio::test]
async fn ollama_num_ctx_prefers_request_then_config_then_show() {
    let server = FakeProvider::start(Flavor::Ollama).await;
    server.set_model_list(vec![FakeModel {
        context_length: Some(32_768),
        ..FakeModel::new("fake-model")
    }]);
    let mut cfg = server.provider_config("fake");
    for (req_ctx, cfg_ctx, want) in [
        (None, None, json!(32_768)),
        (None, Some(8192u64), json!(8192)),
        (Some(4096u32), Some(8192u64), json!(4096)),
    ] {
        cfg.context_window = cfg_ctx;
        server.push(Reply::text("ok"));
        let mut r = request("hi");
        r.context_window = req_ctx;
        let (_, err) = collect(&client_for(&cfg, fast_retry()), r).await;
        assert!(err.is_none(), "{err:?}");
        let body = server.chat_requests().last().unwrap().body.clone();
        assert_eq!(body["options"]["num_ctx"], want, "{req_ctx:?} {cfg_ctx:?}");
    }
    // /api/show is asked once per client and model, not per request.
    let p = client_for(&server.provider_config("fake"), fast_retry());
    let before = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/show")
        .count();
    for _ in 0..2 {
        server.push(Reply::text("ok"));
        let _ = collect(&p, request("hi")).await;
    }
    let after = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/show")
        .count();
    assert_eq!(after - before, 1);
}

fn conversation() -> ChatRequest {
    ChatRequest {
        model: "fake-model".into(),
        system: Some("sys".into()),
        messages: vec![
            ChatMessage::user("list files"),
            ChatMessage::assistant(
                "Sure.",
                vec![ToolCall {
                    id: "call_9".into(),
                    name: "bash".into(),
                    arguments: json!({"command": "ls"}),
                }],
            ),
            ChatMessage::tool_result("call_9", "a.txt\nb.txt", false),
            ChatMessage::user("thanks"),
        ],
        tools: vec![ToolSpec {
            name: "bash".into(),
            description: "Run a command".into(),
            parameters: json!({"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}),
        }],
        max_tokens: Some(1000),
        temperature: None,
        context_window: None,
    }
}

#[tokio::test]
async fn tool_history_and_tools_are_sent_in_each_native_shape() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::text("ok"));
        let (_, err) = collect(&client(&server), conversation()).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        let body = server.chat_requests()[0].body.clone();
        match flavor {
            Flavor::Anthropic => {
                assert_eq!(body["max_tokens"], 1000);
                assert_eq!(
                    body["tools"][0]["input_schema"]["required"],
                    json!(["command"])
                );
                // Prompt caching: breakpoints on the tools, the system prompt and the last block
                // of the last two user messages.
                let cache = json!({"type": "ephemeral"});
                assert_eq!(body["tools"][0]["cache_control"], cache);
                assert_eq!(body["system"][0]["cache_control"], cache);
                assert_eq!(
                    body["messages"],
                    json!([
                        {"role": "user", "content": [{"type": "text", "text": "list files", "cache_control": cache}]},
                        {"role": "assistant", "content": [
                            {"type": "text", "text": "Sure."},
                            {"type": "tool_use", "id": "call_9", "name": "bash", "input": {"command": "ls"}}]},
                        {"role": "user", "content": [
                            {"type": "tool_result", "tool_use_id": "call_9", "content": "a.txt\nb.txt", "is_error": false},
                            {"type": "text", "text": "thanks", "cache_control": cache}]}
                    ])
                );
            }
            Flavor::Ollama => {
                let m = &body["messages"];
                assert_eq!(
                    m[2]["tool_calls"][0]["function"],
                    json!({"name": "bash", "arguments": {"command": "ls"}})
                );
                assert_eq!(m[3]["role"], "tool");
                assert_eq!(m[3]["tool_name"], "bash");
                assert_eq!(body["tools"][0]["function"]["name"], "bash");
                assert_eq!(body["options"]["num_predict"], 1000);
            }
            _ => {
                let m = &body["messages"];
                assert_eq!(
                    m[2]["tool_calls"][0],
                    json!({"id": "call_9", "type": "function", "function": {"name": "bash", "arguments": "{\"command\":\"ls\"}"}})
                );
                assert_eq!(
                    m[3],
                    json!({"role": "tool", "tool_call_id": "call_9", "content": "a.txt\nb.txt"})
                );
                assert_eq!(body["tools"][0]["type"], "function");
                let key = if flavor == Flavor::OpenAi {
                    "max_completion_tokens"
                } else {
                    "max_tokens"
                };
                assert_eq!(body[key], 1000, "{flavor:?}");
            }
        }
    }
}
