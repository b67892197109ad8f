//! OpenAI Chat Completions and the two services that speak it with their own habits:
//! OpenRouter (keep-alive comments, in-band `error` chunks with `finish_reason:"error"`, the
//! finish chunk sent twice with usage on the second, attribution headers, a model list with
//! context length and pricing) and Z.ai (`reasoning_content` deltas, usage on the finish chunk,
//! tool calls whole in one delta). One decoder handles all three; see PROVIDERS.md §1, §4, §5.

use super::http::{base_headers, in_band_error, parse_arguments};
use super::sse::{SseDecoder, SseEvent, SseWire, feed_sse, finish_sse};
use super::stream::{HttpCore, PreparedRequest, WireDecoder, drive};
use super::{
    ChatRequest, ModelInfo, Provider, ProviderError, ProviderEvent, ProviderStream, StopReason,
};
use crate::config::ProviderConfig;
use crate::message::{ToolCall, Usage};
use crate::secret::Secret;
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenAiFlavor {
    OpenAi,
    OpenRouter,
    Zai,
}

pub struct OpenAiClient {
    core: Arc<HttpCore>,
    flavor: OpenAiFlavor,
    base_url: String,
    headers: HeaderMap,
}

impl OpenAiClient {
    pub fn new(
        cfg: &ProviderConfig,
        core: Arc<HttpCore>,
        flavor: OpenAiFlavor,
    ) -> Result<Self, ProviderError> {
        let auth = cfg
            .api_key
            .as_ref()
            .map(|k| ("authorization", format!("Bearer {}", k.expose())));
        let mut headers = base_headers(cfg, auth)?;
        if flavor == OpenAiFlavor::OpenRouter
            && !headers.contains_key("x-title")
            && !headers.contains_key("x-openrouter-title")
        {
            headers.insert(
                "x-title",
                reqwest::header::HeaderValue::from_static("harness"),
            );
        }
        Ok(Self {
            core,
            flavor,
            base_url: cfg.base_url.clone(),
            headers,
        })
    }
}

impl Provider for OpenAiClient {
    fn name(&self) -> &str {
        &self.core.name
    }

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        async move {
            let url = format!("{}/models", self.base_url);
            let mut headers = self.headers.clone();
            headers.remove(reqwest::header::CONTENT_TYPE);
            let value = self
                .core
                .json_call(reqwest::Method::GET, &url, &headers, None)
                .await?;
            parse_model_list(&self.core.name, &value).map_err(|m| self.core.invalid(m))
        }
        .boxed()
    }

    fn stream(&self, request: ChatRequest) -> ProviderStream {
        let body = super::openai_body::request_body(self.flavor, &request);
        let mut headers = self.headers.clone();
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("text/event-stream"),
        );
        let prepared = body
            .map(|body| PreparedRequest {
                url: format!("{}/chat/completions", self.base_url),
                headers,
                body: body.into(),
            })
            .map_err(|e| self.core.invalid(format!("cannot encode the request: {e}")));
        let name = self.core.name.clone();
        let key = self.core.api_key.clone();
        drive(
            Arc::clone(&self.core),
            futures::future::ready(prepared).boxed(),
            Box::new(move || Box::new(OpenAiDecoder::new(&name, key.clone()))),
        )
    }

    fn embed(
        &self,
        model: &str,
        inputs: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<Vec<f32>>, ProviderError>> {
        let model = model.to_string();
        async move {
            super::embed::embed(
                &self.core,
                super::embed::EmbedWire::OpenAi,
                &self.base_url,
                &self.headers,
                &model,
                &inputs,
            )
            .await
        }
        .boxed()
    }
}

/// `GET /models`: OpenAI's `{data:[{id}]}`, or OpenRouter's richer entries with
/// `context_length` and per-token `pricing` strings.
pub fn parse_model_list(provider: &str, value: &Value) -> Result<Vec<ModelInfo>, String> {
    let data = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or("the model list has no `data` array")?;
    let per_mtok = |v: Option<&Value>| -> Option<f64> {
        let p = match v? {
            Value::String(s) => s.parse::<f64>().ok()?,
            Value::Number(n) => n.as_f64()?,
            _ => return None,
        };
        (p >= 0.0).then_some(p * 1_000_000.0)
    };
    let mut models: Vec<ModelInfo> = data
        .iter()
        .filter_map(|m| {
            let id = m.get("id")?.as_str()?.to_string();
            Some(ModelInfo {
                reference: format!("{provider}/{id}"),
                provider: provider.to_string(),
                display_name: m.get("name").and_then(Value::as_str).map(str::to_string),
                context_window: m.get("context_length").and_then(Value::as_u64),
                input_price_per_mtok: per_mtok(m.pointer("/pricing/prompt")),
                output_price_per_mtok: per_mtok(m.pointer("/pricing/completion")),
                id,
            })
        })
        .collect();
    models.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(models)
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<UsageJson>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice {
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    content: Option<String>,
    reasoning_content: Option<String>,
    reasoning: Option<String>,
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    index: Option<u32>,
    id: Option<String>,
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    name: Option<String>,
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct UsageJson {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    prompt_tokens_details: Option<CachedDetails>,
    completion_tokens_details: Option<ReasoningDetails>,
    /// OpenRouter: what the request cost, in USD.
    cost: Option<f64>,
}

#[derive(Deserialize)]
struct CachedDetails {
    cached_tokens: Option<u64>,
    /// OpenRouter: prompt tokens written to the upstream cache.
    cache_write_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct ReasoningDetails {
    reasoning_tokens: Option<u64>,
}

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// SSE bytes in, `ProviderEvent`s out, for all three flavours.
pub struct OpenAiDecoder {
    provider: String,
    key: Option<Secret>,
    sse: SseDecoder,
    events: Vec<SseEvent>,
    calls: BTreeMap<u32, PartialCall>,
    stop: Option<StopReason>,
    usage_sent: bool,
    done: bool,
}

impl OpenAiDecoder {
    pub fn new(provider: &str, key: Option<Secret>) -> Self {
        Self {
            provider: provider.to_string(),
            key,
            sse: SseDecoder::new(),
            events: Vec::new(),
            calls: BTreeMap::new(),
            stop: None,
            usage_sent: false,
            done: false,
        }
    }

    fn flush_calls(&mut self, out: &mut Vec<ProviderEvent>) {
        for (index, call) in std::mem::take(&mut self.calls) {
            let id = if call.id.is_empty() {
                format!("call_{index}")
            } else {
                call.id
            };
            out.push(ProviderEvent::ToolCall(ToolCall {
                id,
                name: call.name,
                arguments: parse_arguments(&call.arguments),
            }));
        }
    }

    /// Long by design: one arm per chunk shape of the OpenAI-style stream (PROVIDERS.md).
    fn handle_data(
        &mut self,
        data: &str,
        out: &mut Vec<ProviderEvent>,
    ) -> Result<(), ProviderError> {
        if self.done {
            return Ok(());
        }
        if data.starts_with("[DONE]") {
            let had_calls = !self.calls.is_empty();
            self.flush_calls(out);
            let stop = self.stop.take().unwrap_or(if had_calls {
                StopReason::ToolUse
            } else {
                StopReason::EndTurn
            });
            out.push(ProviderEvent::Done { stop_reason: stop });
            self.done = true;
            return Ok(());
        }
        let chunk: Chunk =
            serde_json::from_str(data).map_err(|e| ProviderError::InvalidResponse {
                provider: self.provider.clone(),
                message: format!("a stream chunk is not valid JSON ({e})"),
            })?;
        if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
            return Err(in_band_error(
                &self.provider,
                Some(error),
                self.key.as_ref(),
            ));
        }
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(delta) = choice.delta {
                if let Some(r) = delta.reasoning_content.or(delta.reasoning) {
                    if !r.is_empty() {
                        out.push(ProviderEvent::ReasoningDelta(r));
                    }
                }
                if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                    out.push(ProviderEvent::TextDelta(text));
                }
                for (position, tc) in delta.tool_calls.into_iter().flatten().enumerate() {
                    let index = tc.index.unwrap_or(position as u32);
                    let call = self.calls.entry(index).or_default();
                    if let Some(id) = tc.id.filter(|i| !i.is_empty()) {
                        call.id = id;
                    }
                    if let Some(f) = tc.function {
                        if let Some(name) = f.name.filter(|n| !n.is_empty()) {
                            call.name = name;
                        }
                        if let Some(args) = f.arguments {
                            call.arguments.push_str(&args);
                        }
                    }
                }
            }
            // OpenRouter repeats the finish chunk (the second one carries usage): act once.
            if let Some(reason) = choice.finish_reason.filter(|_| self.stop.is_none()) {
                let had_calls = !self.calls.is_empty();
                self.flush_calls(out);
                self.stop = Some(match reason.as_str() {
                    // Some compatible servers say "stop" after tool calls.
                    "stop" if had_calls => StopReason::ToolUse,
                    "stop" => StopReason::EndTurn,
                    "tool_calls" | "function_call" => StopReason::ToolUse,
                    "length" => StopReason::MaxTokens,
                    "content_filter" => StopReason::ContentFilter,
                    other => StopReason::Other(other.to_string()),
                });
            }
        }
        if let Some(u) = chunk.usage.filter(|_| !self.usage_sent) {
            self.usage_sent = true;
            // `prompt_tokens` counts cached ones too; `Usage` keeps them apart.
            let cached = u
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0);
            let written = u
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cache_write_tokens)
                .unwrap_or(0);
            out.push(ProviderEvent::Usage(Usage {
                input_tokens: u.prompt_tokens.saturating_sub(cached + written),
                output_tokens: u.completion_tokens,
                cached_input_tokens: cached,
                cache_write_input_tokens: written,
                reasoning_tokens: u
                    .completion_tokens_details
                    .and_then(|d| d.reasoning_tokens)
                    .unwrap_or(0),
                cost_usd: u.cost.filter(|c| c.is_finite() && *c >= 0.0),
                estimated: false,
            }));
        }
        Ok(())
    }
}

impl SseWire for OpenAiDecoder {
    fn framing(&mut self) -> (&mut SseDecoder, &mut Vec<SseEvent>) {
        (&mut self.sse, &mut self.events)
    }

    fn on_data(&mut self, data: &str, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        self.handle_data(data, out)
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn provider_name(&self) -> &str {
        &self.provider
    }
}

impl WireDecoder for OpenAiDecoder {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        feed_sse(self, chunk, out)
    }

    fn finish(&mut self, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        finish_sse(self, out)
    }
}
