//! Provider clients against the fake provider server, the same checks for each of the five
//! flavours: list models, stream text, tool calls assembled from many fragments, usage, retry
//! on 429 (Retry-After) and 5xx/529, no retry on 400/401, missing terminal marker, in-band
//! errors, keep-alives, request shapes. Driver-level behaviour shared by all flavours (timeouts,
//! circuit breaker, bodies that are not JSON) is tested once, on the OpenAI flavour.

use crate::support::fake_provider::{FakeModel, FakeProvider, Flavor, Reply};
use futures::StreamExt;
use harness::config::ProviderConfig;
use harness::message::{ToolCall, Usage};
use harness::providers::health::HealthRegistry;
use harness::providers::{
    ChatMessage, ChatRequest, Provider, ProviderError, ProviderEvent, RetryPolicy, StopReason,
    build_provider_with,
};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        retry_after_cap: Duration::from_secs(5),
    }
}

pub(crate) fn client_for(cfg: &ProviderConfig, retry: RetryPolicy) -> Arc<dyn Provider> {
    build_provider_with(cfg, Arc::new(HealthRegistry::default()), retry).unwrap()
}

pub(crate) fn client(server: &FakeProvider) -> Arc<dyn Provider> {
    client_for(&server.provider_config("fake"), fast_retry())
}

pub(crate) fn request(text: &str) -> ChatRequest {
    ChatRequest {
        model: "fake-model".into(),
        system: Some("You are terse.".into()),
        messages: vec![ChatMessage::user(text)],
        ..ChatRequest::default()
    }
}

/// All events until the stream ends, and the error that ended it, if any.
pub(crate) async fn collect(
    p: &Arc<dyn Provider>,
    req: ChatRequest,
) -> (Vec<ProviderEvent>, Option<ProviderError>) {
    let mut stream = p.stream(req);
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(e) => events.push(e),
            Err(e) => {
                assert!(stream.next().await.is_none(), "nothing after an error");
                return (events, Some(e));
            }
        }
    }
    (events, None)
}

pub(crate) fn text_of(events: &[ProviderEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn reasoning_of(events: &[ProviderEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::ReasoningDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

pub(crate) fn calls_of(events: &[ProviderEvent]) -> Vec<ToolCall> {
    events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::ToolCall(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn done_of(events: &[ProviderEvent]) -> Option<StopReason> {
    match events.last() {
        Some(ProviderEvent::Done { stop_reason }) => Some(stop_reason.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn lists_models_for_each_flavour() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.set_model_list(vec![
            FakeModel {
                id: "model-b".into(),
                display_name: Some("Model B".into()),
                context_length: Some(200_000),
                input_price_per_mtok: Some(3.0),
                output_price_per_mtok: Some(15.0),
            },
            FakeModel::new("model-a"),
        ]);
        let models = client(&server).list_models().await.unwrap();
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ["model-a", "model-b"], "{flavor:?}");
        let b = models.iter().find(|m| m.id == "model-b").unwrap();
        assert_eq!(b.reference, "fake/model-b", "{flavor:?}");
        assert_eq!(b.provider, "fake");
        match flavor {
            Flavor::OpenRouter => {
                assert_eq!(b.context_window, Some(200_000));
                assert!((b.input_price_per_mtok.unwrap() - 3.0).abs() < 1e-9);
                assert!((b.output_price_per_mtok.unwrap() - 15.0).abs() < 1e-9);
            }
            Flavor::Anthropic => {
                assert_eq!(b.context_window, Some(200_000));
                assert_eq!(b.display_name.as_deref(), Some("Model B"));
            }
            _ => {}
        }
        let reqs = server.requests();
        assert_eq!(reqs.len(), 1, "{flavor:?}");
        assert_eq!(reqs[0].method, "GET");
        assert!(
            reqs[0].path.starts_with(&flavor.models_path()),
            "{flavor:?} {}",
            reqs[0].path
        );
    }
}

#[tokio::test]
async fn model_list_failure_is_typed() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.fail_models(Some(503));
        let err = client(&server).list_models().await.unwrap_err();
        assert!(
            matches!(err, ProviderError::Server { status: 503, .. }),
            "{flavor:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn streams_text_for_each_flavour() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.set_model_list(vec![FakeModel {
            context_length: Some(128_000),
            ..FakeModel::new("fake-model")
        }]);
        server.push(Reply::text_chunks(["Hel", "lo, ", "wörld 👋", "\nbye"]));
        let (events, err) = collect(&client(&server), request("hi")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        assert_eq!(text_of(&events), "Hello, wörld 👋\nbye", "{flavor:?}");
        assert_eq!(done_of(&events), Some(StopReason::EndTurn), "{flavor:?}");
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, ProviderEvent::Done { .. }))
                .count(),
            1
        );

        let reqs = server.chat_requests();
        assert_eq!(reqs.len(), 1, "{flavor:?}");
        let body = &reqs[0].body;
        assert_eq!(body["model"], "fake-model", "{flavor:?}");
        assert_eq!(body["stream"], true, "{flavor:?}");
        match flavor {
            Flavor::Anthropic => {
                assert_eq!(reqs[0].header("x-api-key"), Some(FakeProvider::API_KEY));
                assert_eq!(reqs[0].header("anthropic-version"), Some("2023-06-01"));
                // Prompt caching: the system prompt and the last user message are breakpoints.
                assert_eq!(
                    body["system"],
                    json!([{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}])
                );
                assert_eq!(
                    body["messages"],
                    json!([{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}])
                );
                assert!(body["max_tokens"].as_u64().unwrap() > 0);
            }
            Flavor::Ollama => {
                assert_eq!(reqs[0].header("authorization"), None);
                assert_eq!(
                    body["messages"][0],
                    json!({"role": "system", "content": "You are terse."})
                );
                assert_eq!(
                    body["messages"][1],
                    json!({"role": "user", "content": "hi"})
                );
                // num_ctx comes from /api/show (the fake's models have 128000).
                assert_eq!(body["options"]["num_ctx"], 128_000, "{body}");
            }
            _ => {
                let bearer = format!("Bearer {}", FakeProvider::API_KEY);
                assert_eq!(reqs[0].header("authorization"), Some(bearer.as_str()));
                assert_eq!(body["stream_options"]["include_usage"], true);
                assert_eq!(
                    body["messages"][0],
                    json!({"role": "system", "content": "You are terse."})
                );
                assert_eq!(
                    body["messages"][1],
                    json!({"role": "user", "content": "hi"})
                );
            }
        }
    }
}

#[tokio::test]
async fn assembles_streamed_tool_calls_for_each_flavour() {
    let args1 =
        json!({"command": "ls -la /tmp && echo \"done ✓\"", "nested": {"a": [1, 2, 3], "b": null}});
    let args2 = json!({"path": "src/main.rs"});
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(
            Reply::text("Let me look.")
                .then_tool_call("call_1", "bash", args1.clone())
                .then_tool_call("call_2", "read", args2.clone()),
        );
        let (events, err) = collect(&client(&server), request("list")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        assert_eq!(text_of(&events), "Let me look.", "{flavor:?}");
        let calls = calls_of(&events);
        assert_eq!(
            calls,
            vec![
                ToolCall {
                    id: "call_1".into(),
                    name: "bash".into(),
                    arguments: args1.clone()
                },
                ToolCall {
                    id: "call_2".into(),
                    name: "read".into(),
                    arguments: args2.clone()
                },
            ],
            "{flavor:?}"
        );
        assert_eq!(done_of(&events), Some(StopReason::ToolUse), "{flavor:?}");
    }
}

#[tokio::test]
async fn tool_call_arguments_arrive_in_many_fragments() {
    // Guard that the fake really splits arguments (else the assembly test proves little).
    let reply = Reply::tool_call("c", "bash", json!({"command": "echo hello world"}));
    for flavor in [
        Flavor::Anthropic,
        Flavor::OpenAi,
        Flavor::OpenRouter,
        Flavor::Zai,
    ] {
        let frames = crate::support::fake_provider::wire::frames(flavor, &reply);
        assert!(frames.len() > 8, "{flavor:?}: {} frames", frames.len());
    }
}

#[tokio::test]
async fn captures_usage_for_each_flavour() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::text("ok").usage(123, 45));
        let (events, err) = collect(&client(&server), request("hi")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        let usages: Vec<Usage> = events
            .iter()
            .filter_map(|e| match e {
                ProviderEvent::Usage(u) => Some(*u),
                _ => None,
            })
            .collect();
        assert_eq!(usages.len(), 1, "{flavor:?}: exactly one usage event");
        assert_eq!(
            (usages[0].input_tokens, usages[0].output_tokens),
            (123, 45),
            "{flavor:?}"
        );
    }
}

#[tokio::test]
async fn streams_reasoning_for_each_flavour() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(
            Reply::reasoning("Let me think")
                .then_reasoning(" hard.")
                .then_text("42"),
        );
        let (events, err) = collect(&client(&server), request("q")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        assert_eq!(reasoning_of(&events), "Let me think hard.", "{flavor:?}");
        assert_eq!(text_of(&events), "42", "{flavor:?}");
    }
}

#[tokio::test]
async fn retries_429_honouring_retry_after_then_succeeds() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::status(429).header("retry-after", "1"));
        server.push(Reply::text("after wait"));
        let started = Instant::now();
        let (events, err) = collect(&client(&server), request("hi")).await;
        let elapsed = started.elapsed();
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        assert_eq!(text_of(&events), "after wait");
        assert_eq!(server.chat_requests().len(), 2, "{flavor:?}");
        // The computed backoff is 5-20 ms; only Retry-After explains a ~1 s wait.
        assert!(
            elapsed >= Duration::from_millis(950),
            "{flavor:?}: waited {elapsed:?}"
        );
    }
}

#[tokio::test]
async fn retries_5xx_and_529_then_succeeds() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::status(500));
        server.push(Reply::status(529));
        server.push(Reply::status(503));
        server.push(Reply::text("third time lucky"));
        let (events, err) = collect(&client(&server), request("hi")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        assert_eq!(text_of(&events), "third time lucky");
        assert_eq!(server.chat_requests().len(), 4, "{flavor:?}");
    }
}

#[tokio::test]
async fn does_not_retry_401_400_402_404() {
    for flavor in Flavor::ALL {
        for (status, want) in [
            (401, "auth"),
            (400, "bad"),
            (402, "quota"),
            (404, "notfound"),
        ] {
            let server = FakeProvider::start(flavor).await;
            server.push(Reply::status(status));
            server.push(Reply::text("must not be reached"));
            let (events, err) = collect(&client(&server), request("hi")).await;
            assert!(events.is_empty());
            let got = match err {
                Some(ProviderError::Auth { .. }) => "auth",
                Some(ProviderError::BadRequest { .. }) => "bad",
                Some(ProviderError::Quota { .. }) => "quota",
                Some(ProviderError::ModelNotFound { .. }) => "notfound",
                ref other => panic!("{flavor:?} {status}: {other:?}"),
            };
            assert_eq!(got, want, "{flavor:?} {status}");
            assert_eq!(
                server.chat_requests().len(),
                1,
                "{flavor:?} {status}: no retry"
            );
            assert_eq!(server.pending(), 1);
        }
    }
}

#[tokio::test]
async fn wrong_key_is_an_auth_error_without_the_key() {
    for flavor in [
        Flavor::Anthropic,
        Flavor::OpenAi,
        Flavor::OpenRouter,
        Flavor::Zai,
    ] {
        let server = FakeProvider::start(flavor).await;
        let mut cfg = server.provider_config("fake");
        cfg.api_key = Some(harness::secret::Secret::new(
            "sk-wrong-key-that-must-not-leak",
        ));
        let (_, err) = collect(&client_for(&cfg, fast_retry()), request("hi")).await;
        let err = err.unwrap();
        assert!(
            matches!(err, ProviderError::Auth { .. }),
            "{flavor:?}: {err:?}"
        );
        // The fake echoes the key it rejected, as OpenAI does.
        assert!(server.requests().len() == 1);
        assert!(
            !err.to_string().contains("sk-wrong-key"),
            "{flavor:?}: {err}"
        );
        assert!(
            err.to_string().contains("api_key"),
            "says what to fix: {err}"
        );
    }
}

#[tokio::test]
async fn eof_without_terminal_marker_is_an_error() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::text_chunks(["partial ", "answer"]).truncated());
        server.push(Reply::text("must not be reached"));
        let (events, err) = collect(&client(&server), request("hi")).await;
        assert_eq!(text_of(&events), "partial answer", "{flavor:?}");
        assert!(done_of(&events).is_none());
        assert!(
            matches!(err, Some(ProviderError::StreamIncomplete { .. })),
            "{flavor:?}: {err:?}"
        );
        assert_eq!(
            server.chat_requests().len(),
            1,
            "{flavor:?}: no retry after content"
        );
    }
}

#[tokio::test]
async fn truncated_before_any_content_is_retried() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::text_chunks(Vec::<String>::new()).truncated());
        server.push(Reply::text("ok"));
        let (events, err) = collect(&client(&server), request("hi")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        assert_eq!(text_of(&events), "ok");
        assert_eq!(server.chat_requests().len(), 2, "{flavor:?}");
    }
}

#[tokio::test]
async fn in_band_error_after_content_is_an_error() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::text("partial").then_error("upstream went away"));
        server.push(Reply::text("must not be reached"));
        let (events, err) = collect(&client(&server), request("hi")).await;
        assert_eq!(text_of(&events), "partial", "{flavor:?}");
        let err = err.unwrap_or_else(|| panic!("{flavor:?}: no error"));
        assert!(
            err.to_string().contains("upstream went away"),
            "{flavor:?}: {err}"
        );
        assert!(
            err.is_retryable(),
            "{flavor:?}: an overload is retryable in principle: {err:?}"
        );
        assert_eq!(
            server.chat_requests().len(),
            1,
            "{flavor:?}: no retry after content"
        );
    }
}

#[tokio::test]
async fn in_band_error_before_content_is_retried() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::in_band_error("overloaded"));
        server.push(Reply::text("recovered"));
        let (events, err) = collect(&client(&server), request("hi")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        assert_eq!(text_of(&events), "recovered");
        assert_eq!(server.chat_requests().len(), 2, "{flavor:?}");
    }
}

#[tokio::test]
async fn keep_alives_are_ignored() {
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        server.push(Reply::text_chunks(["a", "b", "c"]).keep_alive());
        let (events, err) = collect(&client(&server), request("hi")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        assert_eq!(text_of(&events), "abc", "{flavor:?}");
        assert_eq!(done_of(&events), Some(StopReason::EndTurn));
    }
}
