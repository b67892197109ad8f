//! Anthropic Messages API (PROVIDERS.md §2): `x-api-key` + `anthropic-version`, top-level
//! `system`, content blocks (`tool_use` with an object `input`, `tool_result` in a user
//! message), and the named-event stream: `message_start` (input usage), content blocks with
//! `text_delta` / `input_json_delta` / `thinking_delta`, `message_delta` (stop reason, cumulative
//! output usage), `message_stop` (the terminal marker), `ping`, and in-band `error`.

use super::http::{base_headers, in_band_error, parse_arguments};
use super::sse::{SseDecoder, SseEvent, SseWire, feed_sse, finish_sse};
use super::stream::{HttpCore, PreparedRequest, WireDecoder, drive};
use super::{
    ChatRequest, ModelInfo, Provider, ProviderError, ProviderEvent, ProviderStream, StopReason,
};
use crate::config::ProviderConfig;
use crate::message::{Role, ToolCall, Usage};
use crate::secret::Secret;
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const API_VERSION: &str = "2023-06-01";
/// `max_tokens` is required by the API; used when the request does not set it.
pub const DEFAULT_MAX_TOKENS: u32 = 8192;

pub struct AnthropicClient {
    core: Arc<HttpCore>,
    base_url: String,
    headers: HeaderMap,
}

impl AnthropicClient {
    pub fn new(cfg: &ProviderConfig, core: Arc<HttpCore>) -> Result<Self, ProviderError> {
        let auth = cfg
            .api_key
            .as_ref()
            .map(|k| ("x-api-key", k.expose().to_string()));
        let mut headers = base_headers(cfg, auth)?;
        if !headers.contains_key("anthropic-version") {
            headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
        }
        Ok(Self {
            core,
            base_url: cfg.base_url.clone(),
            headers,
        })
    }
}

impl Provider for AnthropicClient {
    fn name(&self) -> &str {
        &self.core.name
    }

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        async move {
            let mut headers = self.headers.clone();
            headers.remove(reqwest::header::CONTENT_TYPE);
            let mut models = Vec::new();
            let mut after: Option<String> = None;
            // Pages of up to 1000; the bound only guards against a server that never ends.
            for _ in 0..50 {
                let mut url = format!("{}/v1/models?limit=1000", self.base_url);
                if let Some(a) = &after {
                    url.push_str("&after_id=");
                    url.push_str(&url_encode(a));
                }
                let page = self
                    .core
                    .json_call(reqwest::Method::GET, &url, &headers, None)
                    .await?;
                let data = page
                    .get("data")
                    .and_then(Value::as_array)
                    .ok_or_else(|| self.core.invalid("the model list has no `data` array"))?;
                for m in data {
                    let Some(id) = m.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    models.push(ModelInfo {
                        reference: format!("{}/{id}", self.core.name),
                        id: id.to_string(),
                        provider: self.core.name.clone(),
                        display_name: m
                            .get("display_name")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        context_window: m.get("max_input_tokens").and_then(Value::as_u64),
                        input_price_per_mtok: None,
                        output_price_per_mtok: None,
                    });
                }
                let more = page.get("has_more").and_then(Value::as_bool) == Some(true);
                after = page
                    .get("last_id")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if !more || after.is_none() {
                    break;
                }
            }
            Ok(models)
        }
        .boxed()
    }

    fn stream(&self, request: ChatRequest) -> ProviderStream {
        let mut headers = self.headers.clone();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        let prepared = PreparedRequest {
            url: format!("{}/v1/messages", self.base_url),
            headers,
            body: request_body(&request).to_string().into(),
        };
        let name = self.core.name.clone();
        let key = self.core.api_key.clone();
        drive(
            Arc::clone(&self.core),
            futures::future::ready(Ok(prepared)).boxed(),
            Box::new(move || Box::new(AnthropicDecoder::new(&name, key.clone()))),
        )
    }
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The JSON body of a streamed Messages request. Consecutive messages of one role are merged
/// (tool results and the next user text share one user message, as the API requires).
pub fn request_body(request: &ChatRequest) -> Value {
    let mut system: Vec<&str> = request.system.iter().map(String::as_str).collect();
    let mut messages: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in &request.messages {
        let (role, blocks) = match m.role {
            Role::System => {
                system.push(&m.content);
                continue;
            }
            Role::User | Role::Summary => ("user", text_block(&m.content)),
            Role::Tool => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": m.tool_call_id.as_deref().unwrap_or_default(),
                    "content": m.content,
                    "is_error": m.is_error,
                })],
            ),
            Role::Assistant => {
                let mut blocks = text_block(&m.content);
                for c in &m.tool_calls {
                    let input = if c.arguments.is_object() {
                        c.arguments.clone()
                    } else {
                        json!({})
                    };
                    blocks.push(
                        json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                    );
                }
                ("assistant", blocks)
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some((last_role, last)) if *last_role == role => last.extend(blocks),
            _ => messages.push((role, blocks)),
        }
    }
    mark_history_breakpoints(&mut messages);
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "messages": messages
            .into_iter()
            .map(|(role, content)| json!({"role": role, "content": content}))
            .collect::<Vec<_>>(),
        "stream": true,
    });
    let system: Vec<&str> = system.into_iter().filter(|s| !s.is_empty()).collect();
    if !system.is_empty() {
        body["system"] =
            json!([{"type": "text", "text": system.join("\n\n"), "cache_control": cache_marker()}]);
    }
    if !request.tools.is_empty() {
        let mut tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        if let Some(last) = tools.last_mut() {
            last["cache_control"] = cache_marker();
        }
        body["tools"] = Value::Array(tools);
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    body
}

/// Prompt caching (PROVIDERS.md §2): a `cache_control` breakpoint caches everything up to it.
/// Four are allowed per request; they go on the tools, the system prompt, and the last block
/// of the last two user messages: the last one caches this request's whole history for the
/// next request, the one before is where the previous request put its breakpoint, so the
/// stable prefix is read from the cache however many blocks the last step added.
fn cache_marker() -> Value {
    json!({"type": "ephemeral"})
}

fn mark_history_breakpoints(messages: &mut [(&'static str, Vec<Value>)]) {
    for (_, blocks) in messages
        .iter_mut()
        .rev()
        .filter(|(role, _)| *role == "user")
        .take(2)
    {
        if let Some(last) = blocks.last_mut() {
            last["cache_control"] = cache_marker();
        }
    }
}

fn text_block(text: &str) -> Vec<Value> {
    if text.is_empty() {
        Vec::new()
    } else {
        vec![json!({"type": "text", "text": text})]
    }
}

// Type tags are borrowed from the input (they never contain escapes); text is owned because
// it becomes an event.
#[derive(Deserialize)]
struct StreamEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    index: Option<u32>,
    message: Option<MessageStart>,
    #[serde(borrow)]
    content_block: Option<BlockStart<'a>>,
    #[serde(borrow)]
    delta: Option<BlockDelta<'a>>,
    usage: Option<UsageJson>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct MessageStart {
    usage: Option<UsageJson>,
}

#[derive(Deserialize)]
struct BlockStart<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    id: Option<String>,
    name: Option<String>,
    text: Option<String>,
    thinking: Option<String>,
    input: Option<Value>,
}

#[derive(Deserialize)]
struct BlockDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    text: Option<String>,
    partial_json: Option<String>,
    thinking: Option<String>,
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct UsageJson {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
}

struct PartialToolUse {
    id: String,
    name: String,
    json: String,
    initial_input: Option<Value>,
}

pub struct AnthropicDecoder {
    provider: String,
    key: Option<Secret>,
    sse: SseDecoder,
    events: Vec<SseEvent>,
    tools: BTreeMap<u32, PartialToolUse>,
    usage: Usage,
    saw_usage: bool,
    stop: Option<StopReason>,
    done: bool,
}

impl AnthropicDecoder {
    pub fn new(provider: &str, key: Option<Secret>) -> Self {
        Self {
            provider: provider.to_string(),
            key,
            sse: SseDecoder::new(),
            events: Vec::new(),
            tools: BTreeMap::new(),
            usage: Usage::default(),
            saw_usage: false,
            stop: None,
            done: false,
        }
    }

    fn take_usage(&mut self, u: &UsageJson) {
        self.saw_usage = true;
        if let Some(n) = u.input_tokens {
            self.usage.input_tokens = n;
        }
        if let Some(n) = u.output_tokens {
            self.usage.output_tokens = n;
        }
        if let Some(n) = u.cache_read_input_tokens {
            self.usage.cached_input_tokens = n;
        }
        if let Some(n) = u.cache_creation_input_tokens {
            self.usage.cache_write_input_tokens = n;
        }
    }

    fn finish_tool(&mut self, index: u32, out: &mut Vec<ProviderEvent>) {
        if let Some(t) = self.tools.remove(&index) {
            let arguments = match t.initial_input {
                Some(v) if t.json.trim().is_empty() && v.is_object() => v,
                _ => parse_arguments(&t.json),
            };
            out.push(ProviderEvent::ToolCall(ToolCall {
                id: t.id,
                name: t.name,
                arguments,
            }));
        }
    }

    /// Long by design: one arm per wire event type (PROVIDERS.md), each short.
    fn on_event(&mut self, data: &str, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        if self.done {
            return Ok(());
        }
        let ev: StreamEvent =
            serde_json::from_str(data).map_err(|e| ProviderError::InvalidResponse {
                provider: self.provider.clone(),
                message: format!("a stream event is not valid JSON ({e})"),
            })?;
        match ev.kind.as_ref() {
            "message_start" => {
                if let Some(u) = ev.message.and_then(|m| m.usage) {
                    self.take_usage(&u);
                }
            }
            "content_block_start" => {
                let (Some(index), Some(block)) = (ev.index, ev.content_block) else {
                    return Ok(());
                };
                match block.kind.as_ref() {
                    "text" => {
                        if let Some(t) = block.text.filter(|t| !t.is_empty()) {
                            out.push(ProviderEvent::TextDelta(t));
                        }
                    }
                    "thinking" => {
                        if let Some(t) = block.thinking.filter(|t| !t.is_empty()) {
                            out.push(ProviderEvent::ReasoningDelta(t));
                        }
                    }
                    "tool_use" => {
                        self.tools.insert(
                            index,
                            PartialToolUse {
                                id: block.id.unwrap_or_else(|| format!("toolu_{index}")),
                                name: block.name.unwrap_or_default(),
                                json: String::new(),
                                initial_input: block.input,
                            },
                        );
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let Some(delta) = ev.delta else {
                    return Ok(());
                };
                match delta.kind.as_deref() {
                    Some("text_delta") => {
                        if let Some(t) = delta.text.filter(|t| !t.is_empty()) {
                            out.push(ProviderEvent::TextDelta(t));
                        }
                    }
                    Some("thinking_delta") => {
                        if let Some(t) = delta.thinking.filter(|t| !t.is_empty()) {
                            out.push(ProviderEvent::ReasoningDelta(t));
                        }
                    }
                    Some("input_json_delta") => {
                        if let (Some(i), Some(p)) = (ev.index, delta.partial_json) {
                            if let Some(t) = self.tools.get_mut(&i) {
                                t.json.push_str(&p);
                            }
                        }
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                if let Some(i) = ev.index {
                    self.finish_tool(i, out);
                }
            }
            "message_delta" => {
                if let Some(reason) = ev.delta.and_then(|d| d.stop_reason) {
                    self.stop = Some(match reason.as_str() {
                        "end_turn" | "stop_sequence" => StopReason::EndTurn,
                        "tool_use" => StopReason::ToolUse,
                        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
                        "refusal" => StopReason::ContentFilter,
                        other => StopReason::Other(other.to_string()),
                    });
                }
                if let Some(u) = ev.usage {
                    self.take_usage(&u);
                }
            }
            "message_stop" => {
                let pending: Vec<u32> = self.tools.keys().copied().collect();
                for i in pending {
                    self.finish_tool(i, out);
                }
                if self.saw_usage {
                    out.push(ProviderEvent::Usage(self.usage));
                }
                out.push(ProviderEvent::Done {
                    stop_reason: self.stop.take().unwrap_or(StopReason::EndTurn),
                });
                self.done = true;
            }
            "error" => {
                return Err(in_band_error(&self.provider, ev.error, self.key.as_ref()));
            }
            _ => {}
        }
        Ok(())
    }
}

impl SseWire for AnthropicDecoder {
    fn framing(&mut self) -> (&mut SseDecoder, &mut Vec<SseEvent>) {
        (&mut self.sse, &mut self.events)
    }

    fn on_data(&mut self, data: &str, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        self.on_event(data, out)
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn provider_name(&self) -> &str {
        &self.provider
    }
}

impl WireDecoder for AnthropicDecoder {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        feed_sse(self, chunk, out)
    }

    fn finish(&mut self, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        finish_sse(self, out)
    }
}
