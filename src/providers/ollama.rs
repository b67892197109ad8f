//! Ollama's native API (PROVIDERS.md §3), not its OpenAI-compatible shim (which silently
//! truncates context): `POST /api/chat` streaming NDJSON, `options.num_ctx` set from the
//! request, the config, or the model's own context length from `POST /api/show` (asked once per
//! model and cached), tool calls whole with object arguments, `{"error":...}` lines, and
//! `GET /api/tags` for listing. The terminal marker is the line with `"done":true`.

use super::http::{base_headers, in_band_error, parse_arguments};
use super::ndjson::NdjsonDecoder;
use super::stream::{HttpCore, PreparedRequest, WireDecoder, drive};
use super::{
    ChatRequest, ModelInfo, Provider, ProviderError, ProviderEvent, ProviderStream, StopReason,
};
use crate::config::ProviderConfig;
use crate::message::{Role, ToolCall, Usage};
use crate::secret::Secret;
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct OllamaClient {
    core: Arc<HttpCore>,
    base_url: String,
    headers: HeaderMap,
    configured_context: Option<u64>,
    /// Context length per model from `/api/show` (`None` = asked, not known).
    context_cache: Arc<Mutex<HashMap<String, Option<u64>>>>,
}

impl OllamaClient {
    pub fn new(cfg: &ProviderConfig, core: Arc<HttpCore>) -> Result<Self, ProviderError> {
        let auth = cfg
            .api_key
            .as_ref()
            .map(|k| ("authorization", format!("Bearer {}", k.expose())));
        Ok(Self {
            core,
            base_url: cfg.base_url.clone(),
            headers: base_headers(cfg, auth)?,
            configured_context: cfg.context_window,
            context_cache: Arc::new(Mutex::new(HashMap::new())),
        })
    }
}

impl Provider for OllamaClient {
    fn name(&self) -> &str {
        &self.core.name
    }

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        async move {
            let url = format!("{}/api/tags", self.base_url);
            let value = self
                .core
                .json_call(reqwest::Method::GET, &url, &self.headers, None)
                .await?;
            let list = value
                .get("models")
                .and_then(Value::as_array)
                .ok_or_else(|| self.core.invalid("/api/tags has no `models` array"))?;
            let mut models: Vec<ModelInfo> = list
                .iter()
                .filter_map(|m| {
                    let id = m
                        .get("name")
                        .or_else(|| m.get("model"))
                        .and_then(Value::as_str)?;
                    let size = m.pointer("/details/parameter_size").and_then(Value::as_str);
                    let quant = m
                        .pointer("/details/quantization_level")
                        .and_then(Value::as_str);
                    let display_name = match (size, quant) {
                        (Some(s), Some(q)) => Some(format!("{s} {q}")),
                        (Some(s), None) => Some(s.to_string()),
                        _ => None,
                    };
                    Some(ModelInfo {
                        reference: format!("{}/{id}", self.core.name),
                        id: id.to_string(),
                        provider: self.core.name.clone(),
                        display_name,
                        context_window: None,
                        input_price_per_mtok: None,
                        output_price_per_mtok: None,
                    })
                })
                .collect();
            models.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(models)
        }
        .boxed()
    }

    fn stream(&self, request: ChatRequest) -> ProviderStream {
        let core = Arc::clone(&self.core);
        let url = format!("{}/api/chat", self.base_url);
        let show_url = format!("{}/api/show", self.base_url);
        let headers = self.headers.clone();
        let configured = request
            .context_window
            .map(u64::from)
            .or(self.configured_context);
        let cache = Arc::clone(&self.context_cache);
        let prepare = async move {
            let num_ctx = match configured {
                Some(n) => Some(n),
                None => context_length(&core, &cache, &show_url, &headers, &request.model).await,
            };
            Ok(PreparedRequest {
                url,
                body: request_body(&request, num_ctx).to_string().into(),
                headers,
            })
        }
        .boxed();
        let name = self.core.name.clone();
        let key = self.core.api_key.clone();
        drive(
            Arc::clone(&self.core),
            prepare,
            Box::new(move || Box::new(OllamaDecoder::new(&name, key.clone()))),
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
                super::embed::EmbedWire::Ollama,
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

/// The model's context length: `num_ctx` from its Modelfile parameters if set, else the
/// trained `<arch>.context_length`. Failures are logged and mean "let the server decide".
async fn context_length(
    core: &HttpCore,
    cache: &Mutex<HashMap<String, Option<u64>>>,
    url: &str,
    headers: &HeaderMap,
    model: &str,
) -> Option<u64> {
    let cached = cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(model)
        .copied();
    if let Some(known) = cached {
        return known;
    }
    let body = json!({"model": model});
    match core
        .json_call(reqwest::Method::POST, url, headers, Some(body))
        .await
    {
        Ok(show) => {
            let n = context_from_show(&show);
            cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(model.to_string(), n);
            n
        }
        Err(e) => {
            tracing::warn!(provider = %core.name, %model, error = %e, "cannot read the model's context length from /api/show");
            None
        }
    }
}

pub fn context_from_show(show: &Value) -> Option<u64> {
    let from_params = show
        .get("parameters")
        .and_then(Value::as_str)
        .and_then(|p| {
            p.lines().find_map(|l| {
                let mut parts = l.split_whitespace();
                (parts.next() == Some("num_ctx")).then(|| parts.next()?.parse().ok())?
            })
        });
    from_params.or_else(|| {
        let info = show.get("model_info")?;
        let arch = info.get("general.architecture")?.as_str()?;
        info.get(format!("{arch}.context_length"))?.as_u64()
    })
}

pub fn request_body(request: &ChatRequest, num_ctx: Option<u64>) -> Value {
    let mut names_by_call: HashMap<&str, &str> = HashMap::new();
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = request.system.as_deref().filter(|s| !s.is_empty()) {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &request.messages {
        let v = match m.role {
            Role::System => json!({"role": "system", "content": m.content}),
            Role::User | Role::Summary => json!({"role": "user", "content": m.content}),
            Role::Assistant => {
                let mut v = json!({"role": "assistant", "content": m.content});
                if !m.tool_calls.is_empty() {
                    v["tool_calls"] = m
                        .tool_calls
                        .iter()
                        .map(|c| {
                            names_by_call.insert(&c.id, &c.name);
                            let args = if c.arguments.is_object() {
                                c.arguments.clone()
                            } else {
                                json!({})
                            };
                            json!({"id": c.id, "function": {"name": c.name, "arguments": args}})
                        })
                        .collect();
                }
                v
            }
            Role::Tool => {
                let id = m.tool_call_id.as_deref().unwrap_or_default();
                let mut v = json!({"role": "tool", "content": m.content, "tool_call_id": id});
                if let Some(name) = names_by_call.get(id) {
                    v["tool_name"] = json!(name);
                }
                v
            }
        };
        messages.push(v);
    }
    let mut options = serde_json::Map::new();
    if let Some(n) = num_ctx {
        options.insert("num_ctx".into(), json!(n));
    }
    if let Some(t) = request.temperature {
        options.insert("temperature".into(), json!(t));
    }
    if let Some(m) = request.max_tokens {
        options.insert("num_predict".into(), json!(m));
    }
    let mut body = json!({"model": request.model, "messages": messages, "stream": true});
    if !options.is_empty() {
        body["options"] = Value::Object(options);
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters}})
            })
            .collect();
    }
    body
}

#[derive(Deserialize)]
struct Line {
    message: Option<LineMessage>,
    #[serde(default)]
    done: bool,
    done_reason: Option<String>,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct LineMessage {
    content: Option<String>,
    thinking: Option<String>,
    tool_calls: Option<Vec<LineToolCall>>,
}

#[derive(Deserialize)]
struct LineToolCall {
    id: Option<String>,
    function: LineFunction,
}

#[derive(Deserialize)]
struct LineFunction {
    name: String,
    arguments: Option<Value>,
}

pub struct OllamaDecoder {
    provider: String,
    key: Option<Secret>,
    lines: NdjsonDecoder,
    calls_seen: u32,
    done: bool,
}

impl OllamaDecoder {
    pub fn new(provider: &str, key: Option<Secret>) -> Self {
        Self {
            provider: provider.to_string(),
            key,
            lines: NdjsonDecoder::new(),
            calls_seen: 0,
            done: false,
        }
    }

    fn on_line(&mut self, line: &[u8], out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        if self.done {
            return Ok(());
        }
        let parsed: Line =
            serde_json::from_slice(line).map_err(|e| ProviderError::InvalidResponse {
                provider: self.provider.clone(),
                message: format!("a stream line is not valid JSON ({e})"),
            })?;
        if let Some(err) = parsed.error.filter(|e| !e.is_null()) {
            return Err(in_band_error(&self.provider, Some(err), self.key.as_ref()));
        }
        if let Some(m) = parsed.message {
            if let Some(t) = m.thinking.filter(|t| !t.is_empty()) {
                out.push(ProviderEvent::ReasoningDelta(t));
            }
            if let Some(t) = m.content.filter(|t| !t.is_empty()) {
                out.push(ProviderEvent::TextDelta(t));
            }
            for call in m.tool_calls.into_iter().flatten() {
                let arguments = match call.function.arguments {
                    Some(Value::String(raw)) => parse_arguments(&raw),
                    Some(v) if v.is_object() => v,
                    _ => json!({}),
                };
                let id = call
                    .id
                    .filter(|i| !i.is_empty())
                    .unwrap_or_else(|| format!("call_{}", self.calls_seen));
                self.calls_seen += 1;
                out.push(ProviderEvent::ToolCall(ToolCall {
                    id,
                    name: call.function.name,
                    arguments,
                }));
            }
        }
        if parsed.done {
            out.push(ProviderEvent::Usage(Usage {
                input_tokens: parsed.prompt_eval_count.unwrap_or(0),
                output_tokens: parsed.eval_count.unwrap_or(0),
                ..Usage::default()
            }));
            let stop = match parsed.done_reason.as_deref() {
                Some("length") => StopReason::MaxTokens,
                _ if self.calls_seen > 0 => StopReason::ToolUse,
                Some("stop") | None => StopReason::EndTurn,
                Some(other) => StopReason::Other(other.to_string()),
            };
            out.push(ProviderEvent::Done { stop_reason: stop });
            self.done = true;
        }
        Ok(())
    }
}

impl WireDecoder for OllamaDecoder {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        let mut lines = std::mem::take(&mut self.lines);
        let result = lines.feed(chunk, &mut |line| self.on_line(line, out));
        self.lines = lines;
        result
    }

    fn finish(&mut self, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
        let mut lines = std::mem::take(&mut self.lines);
        let result = lines.finish(&mut |line| self.on_line(line, out));
        let incomplete = ProviderError::StreamIncomplete {
            provider: self.provider.clone(),
        };
        match result {
            Err(ProviderError::InvalidResponse { .. }) => Err(incomplete),
            Err(e) => Err(e),
            Ok(()) if self.done => Ok(()),
            Ok(()) => Err(incomplete),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_length_from_show() {
        let cases = [
            (
                json!({"model_info": {"general.architecture": "llama", "llama.context_length": 8192}}),
                Some(8192),
            ),
            (
                json!({"parameters": "stop \"<|eot|>\"\nnum_ctx 4096", "model_info": {"general.architecture": "llama", "llama.context_length": 8192}}),
                Some(4096),
            ),
            (json!({"model_info": {}}), None),
            (json!({}), None),
        ];
        for (show, want) in cases {
            assert_eq!(context_from_show(&show), want, "{show}");
        }
    }
}
