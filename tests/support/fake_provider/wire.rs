//! Pure rendering of a scripted [`Reply`] into the bytes each real provider sends: SSE events
//! for Anthropic / OpenAI / OpenRouter / Z.ai, NDJSON lines for Ollama, and the error bodies of
//! each. No I/O here, so benches can render a stream and feed it straight to a parser.

use serde_json::{Value, json};
use std::time::Duration;

/// The five wire flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    Anthropic,
    OpenAi,
    OpenRouter,
    Zai,
    Ollama,
}

impl Flavor {
    pub const ALL: [Flavor; 5] = [
        Flavor::Anthropic,
        Flavor::OpenAi,
        Flavor::OpenRouter,
        Flavor::Zai,
        Flavor::Ollama,
    ];

    /// The `kind` value in `[providers.X]`.
    pub fn kind(self) -> &'static str {
        match self {
            Flavor::Anthropic => "anthropic",
            Flavor::OpenAi => "openai",
            Flavor::OpenRouter => "openrouter",
            Flavor::Zai => "zai",
            Flavor::Ollama => "ollama",
        }
    }

    /// The path prefix the real service has after its host (the client appends the rest).
    pub fn base_path(self) -> &'static str {
        match self {
            Flavor::Anthropic | Flavor::Ollama => "",
            Flavor::OpenAi => "/v1",
            Flavor::OpenRouter => "/api/v1",
            Flavor::Zai => "/api/paas/v4",
        }
    }

    pub fn chat_path(self) -> String {
        match self {
            Flavor::Anthropic => "/v1/messages".to_string(),
            Flavor::Ollama => "/api/chat".to_string(),
            _ => format!("{}/chat/completions", self.base_path()),
        }
    }

    pub fn models_path(self) -> String {
        match self {
            Flavor::Anthropic => "/v1/models".to_string(),
            Flavor::Ollama => "/api/tags".to_string(),
            _ => format!("{}/models", self.base_path()),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Flavor::Ollama => "application/x-ndjson",
            Flavor::Zai => "text/event-stream;charset=UTF-8",
            _ => "text/event-stream",
        }
    }
}

/// One piece of a streamed reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Reasoning(String),
    Text(String),
    ToolCall {
        id: String,
        name: String,
        arguments: Value,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    Stream {
        parts: Vec<Part>,
        /// An error sent inside the 200 stream after the parts.
        error: Option<String>,
    },
    Status {
        status: u16,
        body: Option<String>,
    },
}

/// A scripted answer to one chat request. Build with the constructors, refine with the
/// chained modifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub(crate) body: Body,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) usage: (u64, u64),
    /// Prompt-cache (reads, writes), reported besides `usage`'s (uncached) input.
    pub(crate) cache: (u64, u64),
    pub(crate) truncated: bool,
    pub(crate) keep_alive: bool,
    pub(crate) delay_first_byte: Option<Duration>,
    pub(crate) delay_body: Option<Duration>,
    pub(crate) frame_delay: Option<Duration>,
    pub(crate) stall_after: Option<usize>,
    pub(crate) model: String,
    /// OpenRouter: the `usage.cost` reported (default 0.000106, as in the recorded traffic).
    pub(crate) cost: f64,
}

impl Reply {
    fn stream(parts: Vec<Part>) -> Self {
        Self {
            body: Body::Stream { parts, error: None },
            headers: Vec::new(),
            usage: (11, 7),
            cache: (0, 0),
            truncated: false,
            keep_alive: false,
            delay_first_byte: None,
            delay_body: None,
            frame_delay: None,
            stall_after: None,
            model: "fake-model".to_string(),
            cost: 0.000106,
        }
    }

    /// A text reply in one delta.
    pub fn text(text: impl Into<String>) -> Self {
        Self::stream(vec![Part::Text(text.into())])
    }

    /// A text reply, one delta per item.
    pub fn text_chunks<I, S>(chunks: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::stream(chunks.into_iter().map(|c| Part::Text(c.into())).collect())
    }

    /// `n` short text deltas (benchmarks). The text is `many_deltas_text(n)`.
    pub fn many_deltas(n: usize) -> Self {
        Self::stream((0..n).map(|i| Part::Text(delta_text(i))).collect())
    }

    /// One tool call; its arguments are streamed in many small fragments where the flavour
    /// streams them (all but Ollama, which sends calls whole).
    pub fn tool_call(id: impl Into<String>, name: impl Into<String>, arguments: Value) -> Self {
        Self::stream(vec![Part::ToolCall {
            id: id.into(),
            name: name.into(),
            arguments,
        }])
    }

    /// Reasoning (thinking) text, usually followed by `.then_text(..)`.
    pub fn reasoning(text: impl Into<String>) -> Self {
        Self::stream(vec![Part::Reasoning(text.into())])
    }

    /// An error inside a 200 stream, before any content.
    pub fn in_band_error(message: impl Into<String>) -> Self {
        let mut r = Self::stream(Vec::new());
        r.body = Body::Stream {
            parts: Vec::new(),
            error: Some(message.into()),
        };
        r
    }

    /// A non-2xx answer. Without `.body(..)` the flavour's usual error JSON is sent.
    pub fn status(status: u16) -> Self {
        let mut r = Self::stream(Vec::new());
        r.body = Body::Status { status, body: None };
        r
    }

    fn push_part(mut self, part: Part) -> Self {
        if let Body::Stream { parts, .. } = &mut self.body {
            parts.push(part);
        }
        self
    }

    pub fn then_text(self, text: impl Into<String>) -> Self {
        self.push_part(Part::Text(text.into()))
    }

    pub fn then_reasoning(self, text: impl Into<String>) -> Self {
        self.push_part(Part::Reasoning(text.into()))
    }

    pub fn then_tool_call(
        self,
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: Value,
    ) -> Self {
        self.push_part(Part::ToolCall {
            id: id.into(),
            name: name.into(),
            arguments,
        })
    }

    /// After the parts, an in-band error instead of the normal end.
    pub fn then_error(mut self, message: impl Into<String>) -> Self {
        if let Body::Stream { error, .. } = &mut self.body {
            *error = Some(message.into());
        }
        self
    }

    /// Replace the body of a `status` reply (sent verbatim, any content).
    pub fn body(mut self, text: impl Into<String>) -> Self {
        if let Body::Status { body, .. } = &mut self.body {
            *body = Some(text.into());
        }
        self
    }

    /// An extra response header (e.g. `retry-after`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Usage numbers reported at the end (default 11 in, 7 out).
    pub fn usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        self.usage = (input_tokens, output_tokens);
        self
    }

    /// OpenRouter: the cost (USD) reported in `usage.cost`.
    pub fn cost(mut self, usd: f64) -> Self {
        self.cost = usd;
        self
    }

    /// Prompt-cache reads and writes reported with the usage (default none). OpenAI-style
    /// flavours count them in `prompt_tokens` and report reads as `cached_tokens`.
    pub fn cache(mut self, read: u64, write: u64) -> Self {
        self.cache = (read, write);
        self
    }

    /// The `model` field in chunks.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// Leave out the terminal marker (`[DONE]`, `message_stop`, `"done":true`).
    pub fn truncated(mut self) -> Self {
        self.truncated = true;
        self
    }

    /// Interleave keep-alives: SSE comments (`: OPENROUTER PROCESSING` style), Anthropic
    /// `ping` events, blank NDJSON lines.
    pub fn keep_alive(mut self) -> Self {
        self.keep_alive = true;
        self
    }

    /// Wait before sending the status line.
    pub fn delay_first_byte(mut self, d: Duration) -> Self {
        self.delay_first_byte = Some(d);
        self
    }

    /// Send the headers at once, then wait before the first body byte.
    pub fn delay_body(mut self, d: Duration) -> Self {
        self.delay_body = Some(d);
        self
    }

    /// Wait between frames (events / lines).
    pub fn frame_delay(mut self, d: Duration) -> Self {
        self.frame_delay = Some(d);
        self
    }

    /// Send the first `n` frames, then nothing more until the client goes away.
    pub fn stall_after(mut self, n: usize) -> Self {
        self.stall_after = Some(n);
        self
    }
}

/// The text of delta `i` in [`Reply::many_deltas`].
pub fn delta_text(i: usize) -> String {
    const WORDS: [&str; 8] = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
    ];
    format!("{} ", WORDS[i % WORDS.len()])
}

/// The whole text of `many_deltas(n)`.
pub fn many_deltas_text(n: usize) -> String {
    (0..n).map(delta_text).collect()
}

/// Split text into fragments of at most `n` chars (never inside a UTF-8 character).
pub fn fragments(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

/// The wire frames (one SSE event or NDJSON line each) of a stream reply, plus the keep-alive
/// frame to interleave, if any.
pub fn frames(flavor: Flavor, reply: &Reply) -> Vec<Vec<u8>> {
    let Body::Stream { parts, error } = &reply.body else {
        return Vec::new();
    };
    let mut out = match flavor {
        Flavor::Anthropic => anthropic_frames(reply, parts),
        Flavor::Ollama => ollama_frames(reply, parts),
        _ => openai_frames(flavor, reply, parts),
    };
    // The terminal marker is always the last frame.
    if error.is_some() || reply.truncated {
        out.pop();
    }
    if let Some(msg) = error {
        out.push(in_band_error_frame(flavor, &reply.model, msg));
    }
    if reply.keep_alive {
        let ka = keep_alive_frame(flavor);
        let mut with = Vec::with_capacity(out.len() * 2 + 1);
        with.push(ka.clone());
        for f in out {
            with.push(f);
            with.push(ka.clone());
        }
        out = with;
    } else if flavor == Flavor::OpenRouter {
        out.insert(0, keep_alive_frame(flavor));
    }
    out
}

/// All frames concatenated (for parser benchmarks).
pub fn render(flavor: Flavor, reply: &Reply) -> Vec<u8> {
    frames(flavor, reply).concat()
}

fn keep_alive_frame(flavor: Flavor) -> Vec<u8> {
    match flavor {
        Flavor::Anthropic => sse(Some("ping"), &json!({"type": "ping"})),
        Flavor::Ollama => b"\n".to_vec(),
        Flavor::OpenRouter => b": OPENROUTER PROCESSING\n\n".to_vec(),
        Flavor::OpenAi | Flavor::Zai => b": keep-alive\n\n".to_vec(),
    }
}

fn sse(event: Option<&str>, data: &Value) -> Vec<u8> {
    let mut s = String::new();
    if let Some(e) = event {
        s.push_str("event: ");
        s.push_str(e);
        s.push('\n');
    }
    s.push_str("data: ");
    s.push_str(&data.to_string());
    s.push_str("\n\n");
    s.into_bytes()
}

fn ndjson(v: &Value) -> Vec<u8> {
    let mut s = v.to_string();
    s.push('\n');
    s.into_bytes()
}

fn openai_frames(flavor: Flavor, reply: &Reply, parts: &[Part]) -> Vec<Vec<u8>> {
    let id = match flavor {
        Flavor::OpenRouter => "gen-1777319795-fakefakefake",
        Flavor::Zai => "20260313050307df155ecf3e9f4961",
        _ => "chatcmpl-fake0000000000000000000000",
    };
    let chunk = |delta: Value, finish: Value, usage: Option<Value>| -> Vec<u8> {
        let mut delta = delta;
        // OpenRouter and Z.ai repeat the role in every delta.
        if matches!(flavor, Flavor::OpenRouter | Flavor::Zai) {
            delta["role"] = json!("assistant");
        }
        let mut choice = json!({"index": 0, "delta": delta, "finish_reason": finish});
        let mut c = json!({"id": id, "object": "chat.completion.chunk", "created": 1_727_346_168u64,
                           "model": reply.model, "choices": [choice.take()]});
        match flavor {
            Flavor::OpenAi => {
                c["system_fingerprint"] = json!("fp_fake");
                c["choices"][0]["logprobs"] = Value::Null;
            }
            Flavor::OpenRouter => {
                c["provider"] = json!("Fake Upstream");
                c["choices"][0]["native_finish_reason"] =
                    finish_native(&c["choices"][0]["finish_reason"]);
            }
            _ => {}
        }
        if let Some(u) = usage {
            c["usage"] = u;
        }
        sse(None, &c)
    };
    let mut out = Vec::new();
    if flavor == Flavor::OpenAi {
        out.push(chunk(
            json!({"role": "assistant", "content": "", "refusal": null}),
            Value::Null,
            None,
        ));
    }
    let mut tool_index = 0;
    for part in parts {
        match part {
            Part::Text(t) => out.push(chunk(json!({"content": t}), Value::Null, None)),
            Part::Reasoning(r) => {
                let field = if flavor == Flavor::OpenRouter {
                    "reasoning"
                } else {
                    "reasoning_content"
                };
                out.push(chunk(json!({ field: r }), Value::Null, None));
            }
            Part::ToolCall {
                id,
                name,
                arguments,
            } => {
                out.push(chunk(
                    json!({"content": null, "tool_calls": [{"index": tool_index, "id": id, "type": "function",
                            "function": {"name": name, "arguments": ""}}]}),
                    Value::Null,
                    None,
                ));
                for frag in fragments(&arguments.to_string(), 4) {
                    out.push(chunk(
                        json!({"tool_calls": [{"index": tool_index, "function": {"arguments": frag}}]}),
                        Value::Null,
                        None,
                    ));
                }
                tool_index += 1;
            }
        }
    }
    let finish = if tool_index > 0 { "tool_calls" } else { "stop" };
    let (input, output) = reply.usage;
    let (read, write) = reply.cache;
    let prompt = input + read + write;
    let mut usage = json!({"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output,
                           "prompt_tokens_details": {"cached_tokens": read},
                           "completion_tokens_details": {"reasoning_tokens": 0}});
    match flavor {
        Flavor::OpenAi => {
            out.push(chunk(json!({}), json!(finish), None));
            let mut u = json!({"id": id, "object": "chat.completion.chunk", "created": 1_727_346_168u64,
                               "model": reply.model, "system_fingerprint": "fp_fake", "choices": []});
            u["usage"] = usage;
            out.push(sse(None, &u));
        }
        Flavor::OpenRouter => {
            usage["cost"] = json!(reply.cost);
            usage["is_byok"] = json!(false);
            out.push(chunk(json!({"content": ""}), json!(finish), None));
            out.push(chunk(json!({"content": ""}), json!(finish), Some(usage)));
        }
        _ => out.push(chunk(json!({"content": ""}), json!(finish), Some(usage))),
    }
    out.push(b"data: [DONE]\n\n".to_vec());
    out
}

fn finish_native(finish: &Value) -> Value {
    match finish.as_str() {
        Some("stop") => json!("end_turn"),
        Some("tool_calls") => json!("tool_use"),
        _ => Value::Null,
    }
}

fn anthropic_frames(reply: &Reply, parts: &[Part]) -> Vec<Vec<u8>> {
    let (input, output) = reply.usage;
    let (read, write) = reply.cache;
    let mut out = vec![sse(
        Some("message_start"),
        &json!({"type": "message_start", "message": {"id": "msg_fake01", "type": "message", "role": "assistant",
                "content": [], "model": reply.model, "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": input, "cache_creation_input_tokens": write, "cache_read_input_tokens": read, "output_tokens": 1}}}),
    )];
    let mut index = 0usize;
    let mut open: Option<&'static str> = None;
    let mut any_tool = false;
    let stop = |out: &mut Vec<Vec<u8>>, index: usize| {
        out.push(sse(
            Some("content_block_stop"),
            &json!({"type": "content_block_stop", "index": index}),
        ));
    };
    for part in parts {
        let kind = match part {
            Part::Text(_) => "text",
            Part::Reasoning(_) => "thinking",
            Part::ToolCall { .. } => "tool_use",
        };
        if open.is_some() && (open != Some(kind) || kind == "tool_use") {
            if open == Some("thinking") {
                out.push(sse(
                    Some("content_block_delta"),
                    &json!({"type": "content_block_delta", "index": index,
                    "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhfake"}}),
                ));
            }
            stop(&mut out, index);
            index += 1;
            open = None;
        }
        if open.is_none() {
            let block = match part {
                Part::Text(_) => json!({"type": "text", "text": ""}),
                Part::Reasoning(_) => json!({"type": "thinking", "thinking": "", "signature": ""}),
                Part::ToolCall { id, name, .. } => {
                    json!({"type": "tool_use", "id": id, "name": name, "input": {}})
                }
            };
            out.push(sse(
                Some("content_block_start"),
                &json!({"type": "content_block_start", "index": index, "content_block": block}),
            ));
            if index == 0 {
                out.push(sse(Some("ping"), &json!({"type": "ping"})));
            }
            open = Some(kind);
        }
        let delta = |d: Value| {
            sse(
                Some("content_block_delta"),
                &json!({"type": "content_block_delta", "index": index, "delta": d}),
            )
        };
        match part {
            Part::Text(t) => out.push(delta(json!({"type": "text_delta", "text": t}))),
            Part::Reasoning(r) => out.push(delta(json!({"type": "thinking_delta", "thinking": r}))),
            Part::ToolCall { arguments, .. } => {
                any_tool = true;
                out.push(delta(
                    json!({"type": "input_json_delta", "partial_json": ""}),
                ));
                for frag in fragments(&arguments.to_string(), 4) {
                    out.push(delta(
                        json!({"type": "input_json_delta", "partial_json": frag}),
                    ));
                }
            }
        }
    }
    if open.is_some() {
        stop(&mut out, index);
    }
    let reason = if any_tool { "tool_use" } else { "end_turn" };
    out.push(sse(Some("message_delta"), &json!({"type": "message_delta",
        "delta": {"stop_reason": reason, "stop_sequence": null}, "usage": {"output_tokens": output}})));
    out.push(sse(Some("message_stop"), &json!({"type": "message_stop"})));
    out
}

fn ollama_frames(reply: &Reply, parts: &[Part]) -> Vec<Vec<u8>> {
    let at = "2025-07-07T20:22:19.184789Z";
    let mut out = Vec::new();
    let mut calls = 0;
    for part in parts {
        let message = match part {
            Part::Text(t) => json!({"role": "assistant", "content": t}),
            Part::Reasoning(r) => json!({"role": "assistant", "content": "", "thinking": r}),
            Part::ToolCall {
                id,
                name,
                arguments,
            } => {
                calls += 1;
                json!({"role": "assistant", "content": "", "tool_calls": [
                    {"id": id, "function": {"index": calls - 1, "name": name, "arguments": arguments}}]})
            }
        };
        out.push(ndjson(
            &json!({"model": reply.model, "created_at": at, "message": message, "done": false}),
        ));
    }
    let (input, output) = reply.usage;
    out.push(ndjson(&json!({"model": reply.model, "created_at": at,
        "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop",
        "total_duration": 182_242_375u64, "load_duration": 41_295_167u64, "prompt_eval_count": input,
        "prompt_eval_duration": 24_573_166u64, "eval_count": output, "eval_duration": 115_959_084u64})));
    out
}

fn in_band_error_frame(flavor: Flavor, model: &str, message: &str) -> Vec<u8> {
    match flavor {
        Flavor::Anthropic => sse(
            Some("error"),
            &json!({"type": "error", "error": {"type": "overloaded_error", "message": message}}),
        ),
        Flavor::OpenAi => sse(
            None,
            &json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}}),
        ),
        Flavor::OpenRouter => sse(
            None,
            &json!({"id": "gen-fake", "object": "chat.completion.chunk", "created": 1_234_567_890u64,
            "model": model, "provider": "Fake Upstream",
            "error": {"code": 502, "message": message, "metadata": {"error_type": "provider_overloaded"}},
            "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]}),
        ),
        Flavor::Zai => sse(
            None,
            &json!({"error": {"code": "1312", "message": message}}),
        ),
        Flavor::Ollama => ndjson(&json!({"error": message})),
    }
}

/// The error body each flavour sends with a non-2xx status.
pub fn error_body(flavor: Flavor, status: u16, message: &str) -> String {
    let (anthropic_type, openai_code) = match status {
        400 => ("invalid_request_error", "invalid_request_error"),
        401 => ("authentication_error", "invalid_api_key"),
        402 => ("billing_error", "payment_required"),
        403 => ("permission_error", "permission_denied"),
        404 => ("not_found_error", "model_not_found"),
        429 => ("rate_limit_error", "rate_limit_exceeded"),
        529 => ("overloaded_error", "overloaded"),
        _ => ("api_error", "server_error"),
    };
    match flavor {
        Flavor::Anthropic => json!({"type": "error", "error": {"type": anthropic_type, "message": message}, "request_id": "req_fake"}),
        Flavor::OpenAi => json!({"error": {"message": message, "type": openai_code, "param": null, "code": openai_code}}),
        Flavor::OpenRouter => json!({"error": {"code": status, "message": message}}),
        Flavor::Zai => json!({"error": {"code": status.to_string(), "message": message}}),
        Flavor::Ollama => json!({"error": message}),
    }
    .to_string()
}
