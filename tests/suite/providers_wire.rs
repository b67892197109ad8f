//! Each flavour's decoder on the exact bytes the fake server sends, cut at every possible
//! chunk boundary (so multi-byte UTF-8 characters and CR/LF pairs straddle reads), with LF,
//! CRLF and CR line ends; plus the recorded PROVIDERS.md streams byte for byte, and the key
//! never reaching the logs.

use super::providers::{client_for, collect, fast_retry, request};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply, render};
use harness::providers::anthropic::AnthropicDecoder;
use harness::providers::ollama::OllamaDecoder;
use harness::providers::openai::OpenAiDecoder;
use harness::providers::stream::WireDecoder;
use harness::providers::{ProviderError, ProviderEvent, StopReason};
use serde_json::json;
use std::sync::{Arc, Mutex};

fn decoder(flavor: Flavor) -> Box<dyn WireDecoder> {
    match flavor {
        Flavor::Anthropic => Box::new(AnthropicDecoder::new("p", None)),
        Flavor::Ollama => Box::new(OllamaDecoder::new("p", None)),
        _ => Box::new(OpenAiDecoder::new("p", None)),
    }
}

fn decode(flavor: Flavor, chunks: &[&[u8]]) -> Result<Vec<ProviderEvent>, ProviderError> {
    let mut d = decoder(flavor);
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c, &mut out)?;
    }
    d.finish(&mut out)?;
    Ok(out)
}

fn rich_reply() -> Reply {
    Reply::reasoning("Pensée: ")
        .then_text("Olá 👋 — ")
        .then_text("日本語\n")
        .then_tool_call(
            "call_a",
            "write",
            json!({"path": "ü.txt", "content": "🚀\n\"quoted\""}),
        )
        .usage(321, 54)
}

#[test]
fn every_split_of_every_flavour_decodes_the_same() {
    for flavor in Flavor::ALL {
        let bytes = render(flavor, &rich_reply());
        let whole = decode(flavor, &[&bytes]).unwrap();
        assert!(
            matches!(
                whole.last(),
                Some(ProviderEvent::Done {
                    stop_reason: StopReason::ToolUse
                })
            ),
            "{flavor:?}: {whole:?}"
        );
        let text: String = whole
            .iter()
            .filter_map(|e| match e {
                ProviderEvent::TextDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "Olá 👋 — 日本語\n", "{flavor:?}");
        for i in 0..=bytes.len() {
            let (a, b) = bytes.split_at(i);
            assert_eq!(
                decode(flavor, &[a, b]).unwrap(),
                whole,
                "{flavor:?} split at {i}"
            );
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(
            decode(flavor, &singles).unwrap(),
            whole,
            "{flavor:?} byte by byte"
        );
    }
}

#[test]
fn crlf_and_cr_line_ends_decode_the_same() {
    for flavor in Flavor::ALL {
        let bytes = render(flavor, &rich_reply().keep_alive());
        let whole = decode(flavor, &[&bytes]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let mut variants = vec![text.replace('\n', "\r\n")];
        if flavor != Flavor::Ollama {
            variants.push(text.replace('\n', "\r"));
        }
        for v in variants {
            let b = v.as_bytes();
            for i in (0..b.len()).step_by(7) {
                let (x, y) = b.split_at(i);
                assert_eq!(
                    decode(flavor, &[x, y]).unwrap(),
                    whole,
                    "{flavor:?} split {i}"
                );
            }
        }
    }
}

#[test]
fn recorded_openai_tool_stream_decodes() {
    // PROVIDERS.md §1.5 (abridged ids), byte-exact framing.
    let stream = concat!(
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_4X\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}],\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"city\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\":\\\"\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"New York City\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}]}\n\n",
        "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":44,\"completion_tokens\":16,\"total_tokens\":60,\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n",
        "data: [DONE]\n\n",
    );
    let events = decode(Flavor::OpenAi, &[stream.as_bytes()]).unwrap();
    assert_eq!(
        events[0],
        ProviderEvent::ToolCall(harness::message::ToolCall {
            id: "call_4X".into(),
            name: "get_weather".into(),
            arguments: json!({"city": "New York City"}),
        })
    );
    assert!(
        matches!(events[1], ProviderEvent::Usage(u) if u.input_tokens == 44 && u.output_tokens == 16)
    );
    assert_eq!(
        events[2],
        ProviderEvent::Done {
            stop_reason: StopReason::ToolUse
        }
    );
}

#[test]
fn recorded_anthropic_stream_without_final_blank_line_decodes() {
    // PROVIDERS.md §2.4: the fixture has no blank line after message_stop; ping has spaces.
    let stream = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_4Q\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-3-opus-latest\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":11,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" there\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}\n\nevent: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":6}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}";
    let events = decode(Flavor::Anthropic, &[stream.as_bytes()]).unwrap();
    assert_eq!(
        events,
        vec![
            ProviderEvent::TextDelta("Hello".into()),
            ProviderEvent::TextDelta(" there".into()),
            ProviderEvent::TextDelta("!".into()),
            ProviderEvent::Usage(harness::message::Usage {
                input_tokens: 11,
                output_tokens: 6,
                ..Default::default()
            }),
            ProviderEvent::Done {
                stop_reason: StopReason::EndTurn
            },
        ]
    );
}

#[test]
fn recorded_zai_stream_with_whole_tool_call_decodes() {
    // PROVIDERS.md §5.4 (middle elided): reasoning_content first, the tool call whole in one
    // delta, finish_reason and usage in the same last chunk.
    let stream = concat!(
        "data: {\"id\":\"2026\",\"created\":1773349387,\"object\":\"chat.completion.chunk\",\"model\":\"glm-4.7-flash\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"The\"}}]}\n\n",
        "data: {\"id\":\"2026\",\"created\":1773349387,\"object\":\"chat.completion.chunk\",\"model\":\"glm-4.7-flash\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\" user\"}}]}\n\n",
        "data: {\"id\":\"2026\",\"created\":1773349387,\"object\":\"chat.completion.chunk\",\"model\":\"glm-4.7-flash\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\" you\"}}]}\n\n",
        "data: {\"id\":\"2026\",\"created\":1773349387,\"object\":\"chat.completion.chunk\",\"model\":\"glm-4.7-flash\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"call_3532\",\"index\":0,\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"location\\\":\\\"Florence,Italy\\\"}\"}}]}}]}\n\n",
        "data: {\"id\":\"2026\",\"created\":1773349387,\"object\":\"chat.completion.chunk\",\"model\":\"glm-4.7-flash\",\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":{\"prompt_tokens\":173,\"completion_tokens\":93,\"total_tokens\":266,\"prompt_tokens_details\":{\"cached_tokens\":172},\"completion_tokens_details\":{\"reasoning_tokens\":65}}}\n\n",
        "data: [DONE]\n\n",
    );
    let events = decode(Flavor::Zai, &[stream.as_bytes()]).unwrap();
    assert_eq!(
        events,
        vec![
            ProviderEvent::ReasoningDelta("The".into()),
            ProviderEvent::ReasoningDelta(" user".into()),
            ProviderEvent::TextDelta(" you".into()),
            ProviderEvent::ToolCall(harness::message::ToolCall {
                id: "call_3532".into(),
                name: "weather".into(),
                arguments: json!({"location": "Florence,Italy"}),
            }),
            // prompt_tokens 173 of which 172 cached: 1 full-price input token.
            ProviderEvent::Usage(harness::message::Usage {
                input_tokens: 1,
                output_tokens: 93,
                cached_input_tokens: 172,
                reasoning_tokens: 65,
                ..Default::default()
            }),
            ProviderEvent::Done {
                stop_reason: StopReason::ToolUse
            },
        ]
    );
}

#[test]
fn unknown_events_and_fields_are_ignored() {
    let anthropic = "event: future_event\ndata: {\"type\":\"future_event\",\"x\":1}\n\nevent: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    assert!(decode(Flavor::Anthropic, &[anthropic.as_bytes()]).is_ok());
    let openai = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\",\"new_field\":[1]},\"obfuscation\":\"xx\"}]}\n\ndata: [DONE]\n\n";
    let events = decode(Flavor::OpenAi, &[openai.as_bytes()]).unwrap();
    assert_eq!(events[0], ProviderEvent::TextDelta("a".into()));
    let ollama = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"a\",\"images\":null},\"done\":false,\"extra\":1}\n{\"done\":true,\"done_reason\":\"stop\"}\n";
    assert!(decode(Flavor::Ollama, &[ollama.as_bytes()]).is_ok());
}

#[test]
fn invalid_json_in_stream_is_a_typed_error() {
    for (flavor, bytes) in [
        (Flavor::OpenAi, &b"data: {not json\n\n"[..]),
        (
            Flavor::Anthropic,
            &b"event: message_start\ndata: <html>\n\n"[..],
        ),
        (Flavor::Ollama, &b"<html>oops</html>\n"[..]),
    ] {
        let err = decode(flavor, &[bytes]).unwrap_err();
        assert!(
            matches!(err, ProviderError::InvalidResponse { .. }),
            "{flavor:?}: {err:?}"
        );
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn keys_never_reach_the_logs() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let wrong = "sk-wrong-key-must-not-leak-42";
    for flavor in Flavor::ALL {
        let server = FakeProvider::start(flavor).await;
        let mut cfg = server.provider_config("fake");
        if flavor == Flavor::Ollama {
            cfg.api_key = Some(harness::secret::Secret::new(FakeProvider::API_KEY));
        }
        let p = client_for(&cfg, fast_retry());
        server.push(Reply::status(503));
        server.push(Reply::text("ok"));
        let (_, err) = collect(&p, request("hi")).await;
        assert!(err.is_none(), "{flavor:?}: {err:?}");
        server.push(Reply::text("partial").then_error("boom"));
        let _ = collect(&p, request("hi")).await;
        let _ = p.list_models().await;
        assert!(format!("{cfg:?}").contains("***"));

        if flavor != Flavor::Ollama {
            cfg.api_key = Some(harness::secret::Secret::new(wrong));
            let (_, err) = collect(&client_for(&cfg, fast_retry()), request("hi")).await;
            assert!(!err.unwrap().to_string().contains(wrong));
        }
    }
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("retrying")
            && logs.contains("authorization: ***")
            && logs.contains("x-api-key: ***"),
        "the test saw the request traces:\n{logs}"
    );
    assert!(
        !logs.contains(FakeProvider::API_KEY),
        "key in logs:\n{logs}"
    );
    assert!(!logs.contains(wrong), "rejected key in logs:\n{logs}");
}
