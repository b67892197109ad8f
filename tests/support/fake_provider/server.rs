//! The HTTP/1.1 side of the fake provider: a tokio listener on 127.0.0.1, keep-alive
//! connections, chunked streaming responses written frame by frame (one write per event, like
//! a real server flushing each token), request recording, auth checks and the non-chat
//! endpoints (model lists, Ollama `/api/show`).

use super::wire::{Body, Flavor, Reply, error_body, frames};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// One request as the fake server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, e.g. `/v1/models?limit=1000`.
    pub path: String,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    pub body_text: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// A model the fake lists.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeModel {
    pub id: String,
    pub display_name: Option<String>,
    pub context_length: Option<u64>,
    pub input_price_per_mtok: Option<f64>,
    pub output_price_per_mtok: Option<f64>,
}

impl FakeModel {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            display_name: None,
            context_length: None,
            input_price_per_mtok: None,
            output_price_per_mtok: None,
        }
    }
}

struct State {
    script: VecDeque<Reply>,
    default_reply: Option<Reply>,
    requests: Vec<RecordedRequest>,
    models: Vec<FakeModel>,
    models_failure: Option<u16>,
    cache: Option<super::cache::CacheSim>,
    /// Replies for requests whose body contains a marker (`push_for`), before the script.
    routed: Vec<(String, Reply)>,
    gate: Option<super::gate::Gate>,
    embed_failure: Option<u16>,
}

pub struct FakeProvider {
    flavor: Flavor,
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    cancel: CancellationToken,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl FakeProvider {
    /// The key the fake accepts.
    pub const API_KEY: &'static str = "sk-fake-test-key-0123456789abcdef";

    /// Start on a random loopback port.
    pub async fn start(flavor: Flavor) -> Self {
        Self::start_on(flavor, 0)
            .await
            .expect("fake provider: cannot bind 127.0.0.1")
    }

    /// Start on a given loopback port (0 = random).
    pub async fn start_on(flavor: Flavor, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            script: VecDeque::new(),
            default_reply: None,
            requests: Vec::new(),
            models: default_models(flavor),
            models_failure: None,
            cache: None,
            routed: Vec::new(),
            gate: None,
            embed_failure: None,
        }));
        let cancel = CancellationToken::new();
        let (st, cx) = (Arc::clone(&state), cancel.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = cx.cancelled() => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(serve_connection(stream, flavor, Arc::clone(&st), cx.clone()));
                    }
                }
            }
        });
        Ok(Self {
            flavor,
            addr,
            state,
            cancel,
        })
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, self.flavor.base_path())
    }

    /// URL of the chat endpoint (for `curl -N` in benchmarks).
    pub fn chat_url(&self) -> String {
        format!("http://{}{}", self.addr, self.flavor.chat_path())
    }

    /// A `[providers.NAME]` block for config.toml.
    pub fn config_toml(&self, name: &str) -> String {
        let mut s = format!(
            "[providers.{name}]\nkind = \"{}\"\nbase_url = \"{}\"\n",
            self.flavor.kind(),
            self.base_url()
        );
        if self.flavor != Flavor::Ollama {
            s.push_str(&format!("api_key = \"{}\"\n", Self::API_KEY));
        }
        s
    }

    /// The same block, loaded by the real config loader.
    pub fn provider_config(&self, name: &str) -> harness::config::ProviderConfig {
        let text = self.config_toml(name);
        let config = harness::config::parse(&text, std::path::Path::new("fake.toml"), &|_| None)
            .expect("fake provider config parses");
        config.providers[name].clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue a reply for the next chat request.
    pub fn push(&self, reply: Reply) {
        self.lock().script.push_back(reply);
    }

    /// Queue a reply for the next chat request whose body contains `marker` (checked before
    /// the script, so concurrent requests each get their own answer).
    pub fn push_for(&self, marker: &str, reply: Reply) {
        self.lock().routed.push((marker.to_string(), reply));
    }

    /// Hold every chat request whose body contains `marker` until `count` of them have
    /// arrived, so a test proves they were in flight together; when they do not all come,
    /// they are answered 500 with a message saying so (never a hang).
    pub fn gate(&self, marker: &str, count: usize) {
        self.lock().gate = Some(super::gate::Gate::new(marker, count));
    }

    /// The reply used when the script is empty (`None`: answer 500).
    pub fn set_default_reply(&self, reply: Option<Reply>) {
        self.lock().default_reply = reply;
    }

    /// Replies still queued.
    /// Report chat usage computed from each request's `cache_control` breakpoints (see
    /// `cache.rs`) instead of the scripted numbers.
    pub fn simulate_prompt_cache(&self) {
        self.lock().cache = Some(super::cache::CacheSim::default());
    }

    pub fn pending(&self) -> usize {
        self.lock().script.len()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    pub fn chat_requests(&self) -> Vec<RecordedRequest> {
        let path = self.flavor.chat_path();
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .collect()
    }

    pub fn set_models(&self, ids: &[&str]) {
        self.set_model_list(ids.iter().map(|id| FakeModel::new(id)).collect());
    }

    pub fn set_model_list(&self, models: Vec<FakeModel>) {
        self.lock().models = models;
    }

    /// Make the model list endpoint answer this status (`None`: list normally).
    /// The embedding endpoint answers `status` (with the flavour's error JSON) until `None`.
    pub fn fail_embeddings(&self, status: Option<u16>) {
        self.lock().embed_failure = status;
    }

    /// Only the embedding calls.
    pub fn embed_requests(&self) -> Vec<RecordedRequest> {
        let path = super::embed::path(self.flavor);
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .collect()
    }

    pub fn fail_models(&self, status: Option<u16>) {
        self.lock().models_failure = status;
    }
}

fn default_models(flavor: Flavor) -> Vec<FakeModel> {
    let ids: &[&str] = match flavor {
        Flavor::Anthropic => &["claude-opus-4-1", "claude-sonnet-4-5"],
        Flavor::OpenAi => &["gpt-4o", "gpt-4o-mini"],
        Flavor::OpenRouter => &["anthropic/claude-sonnet-4.5", "openai/gpt-4o"],
        Flavor::Zai => &["glm-4.5-air", "glm-4.6"],
        Flavor::Ollama => &["llama3.2:latest", "qwen3:8b"],
    };
    ids.iter()
        .map(|id| FakeModel {
            id: id.to_string(),
            display_name: Some(format!("Fake {id}")),
            context_length: Some(128_000),
            input_price_per_mtok: Some(3.0),
            output_price_per_mtok: Some(15.0),
        })
        .collect()
}

struct Request {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

async fn serve_connection(
    mut stream: TcpStream,
    flavor: Flavor,
    state: Arc<Mutex<State>>,
    cancel: CancellationToken,
) {
    let mut buf = Vec::with_capacity(8192);
    loop {
        let request = tokio::select! {
            _ = cancel.cancelled() => return,
            r = read_request(&mut stream, &mut buf) => r,
        };
        let Ok(Some(request)) = request else { return };
        let keep_alive = tokio::select! {
            _ = cancel.cancelled() => return,
            k = respond(&mut stream, flavor, &state, request) => k,
        };
        if !keep_alive {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Request>> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let path = first.next().unwrap_or_default().to_string();
    let mut headers = BTreeMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

async fn write_simple(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(String, String)],
    body: &str,
) -> bool {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream.write_all(head.as_bytes()).await.is_ok()
}

async fn respond(
    stream: &mut TcpStream,
    flavor: Flavor,
    state: &Arc<Mutex<State>>,
    req: Request,
) -> bool {
    let lock = || state.lock().unwrap_or_else(|p| p.into_inner());
    let body_json = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    lock().requests.push(RecordedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        headers: req.headers.clone(),
        body: body_json.clone(),
        body_text: String::from_utf8_lossy(&req.body).into_owned(),
    });
    let json_ct = "application/json";

    if let Some(presented) = auth_failure(flavor, &req.headers) {
        let msg = format!("Incorrect API key provided: {presented}");
        return write_simple(stream, 401, json_ct, &[], &error_body(flavor, 401, &msg)).await;
    }

    let path_only = req.path.split('?').next().unwrap_or_default();
    if req.method == "GET" && path_only == flavor.models_path() {
        let (failure, models) = {
            let s = lock();
            (s.models_failure, s.models.clone())
        };
        if let Some(status) = failure {
            let body = error_body(flavor, status, "fake provider: model list failure");
            return write_simple(stream, status, json_ct, &[], &body).await;
        }
        return write_simple(
            stream,
            200,
            json_ct,
            &[],
            &models_json(flavor, &models).to_string(),
        )
        .await;
    }
    if flavor == Flavor::Ollama && req.method == "POST" && path_only == "/api/show" {
        let name = body_json
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let found = lock()
            .models
            .iter()
            .find(|m| m.id == name || m.id == format!("{name}:latest"))
            .cloned();
        return match found {
            Some(m) => {
                let mut info = json!({"general.architecture": "llama"});
                if let Some(n) = m.context_length {
                    info["llama.context_length"] = json!(n);
                }
                let show = json!({"modelfile": "", "parameters": "", "template": "",
                    "details": {"family": "llama"}, "model_info": info, "capabilities": ["completion", "tools"]});
                write_simple(stream, 200, json_ct, &[], &show.to_string()).await
            }
            None => {
                let body = json!({"error": format!("model '{name}' not found")}).to_string();
                write_simple(stream, 404, json_ct, &[], &body).await
            }
        };
    }
    if req.method == "POST" && path_only == super::embed::path(flavor) {
        let failure = lock().embed_failure;
        if let Some(status) = failure {
            let body = error_body(flavor, status, "fake provider: embedding failure");
            return write_simple(stream, status, json_ct, &[], &body).await;
        }
        return match super::embed::respond(flavor, &body_json) {
            Ok(v) => write_simple(stream, 200, json_ct, &[], &v.to_string()).await,
            Err(m) => {
                let body = error_body(flavor, 400, &m);
                write_simple(stream, 400, json_ct, &[], &body).await
            }
        };
    }
    if req.method == "POST" && path_only == flavor.chat_path() {
        let body_text = String::from_utf8_lossy(&req.body).into_owned();
        let gate = lock().gate.clone();
        if let Some(gate) = gate
            && let Err(message) = gate.pass(&body_text).await
        {
            let body = error_body(flavor, 500, &message);
            return write_simple(stream, 500, json_ct, &[], &body).await;
        }
        let reply = {
            let mut s = lock();
            let routed = s
                .routed
                .iter()
                .position(|(marker, _)| body_text.contains(marker.as_str()))
                .map(|i| s.routed.remove(i).1);
            let reply = routed
                .or_else(|| s.script.pop_front())
                .or_else(|| s.default_reply.clone());
            match (reply, s.cache.as_mut()) {
                (Some(mut r), Some(sim)) => {
                    let u = sim.usage(&body_json);
                    r.usage.0 = u.input;
                    r.cache = (u.read, u.write);
                    Some(r)
                }
                (r, _) => r,
            }
        };
        let Some(reply) = reply else {
            let body = error_body(flavor, 500, "fake provider: no scripted reply");
            return write_simple(stream, 500, json_ct, &[], &body).await;
        };
        return send_reply(stream, flavor, &reply).await;
    }
    let body = json!({"error": format!("fake provider: no route for {} {}", req.method, req.path)});
    write_simple(stream, 404, json_ct, &[], &body.to_string()).await
}

/// `Some(presented key)` when the request lacks the fake's key.
fn auth_failure(flavor: Flavor, headers: &BTreeMap<String, String>) -> Option<String> {
    let presented = match flavor {
        Flavor::Ollama => return None,
        Flavor::Anthropic => headers.get("x-api-key").cloned(),
        _ => headers
            .get("authorization")
            .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).to_string()),
    };
    match presented {
        Some(k) if k == FakeProvider::API_KEY => None,
        Some(k) => Some(k),
        None => Some("(none)".to_string()),
    }
}

fn models_json(flavor: Flavor, models: &[FakeModel]) -> Value {
    match flavor {
        Flavor::Anthropic => json!({
            "data": models.iter().map(|m| json!({"type": "model", "id": m.id,
                "display_name": m.display_name.clone().unwrap_or_else(|| m.id.clone()),
                "created_at": "2025-09-29T00:00:00Z", "max_input_tokens": m.context_length, "max_tokens": 64000})).collect::<Vec<_>>(),
            "has_more": false,
            "first_id": models.first().map(|m| m.id.clone()),
            "last_id": models.last().map(|m| m.id.clone()),
        }),
        Flavor::OpenRouter => json!({"data": models.iter().map(|m| json!({
            "id": m.id, "canonical_slug": m.id, "name": m.display_name.clone().unwrap_or_else(|| m.id.clone()),
            "created": 1_715_367_049u64, "context_length": m.context_length,
            "pricing": {"prompt": per_token(m.input_price_per_mtok), "completion": per_token(m.output_price_per_mtok), "request": "0", "image": "0"},
            "top_provider": {"context_length": m.context_length, "max_completion_tokens": 16384, "is_moderated": false},
            "supported_parameters": ["tools", "tool_choice", "max_tokens"]})).collect::<Vec<_>>()}),
        Flavor::OpenAi | Flavor::Zai => {
            json!({"object": "list", "data": models.iter().map(|m| json!({
            "id": m.id, "object": "model", "created": 1_715_367_049u64, "owned_by": "fake"})).collect::<Vec<_>>()})
        }
        Flavor::Ollama => json!({"models": models.iter().map(|m| json!({
            "name": m.id, "model": m.id, "modified_at": "2025-05-04T17:37:44.706015396-07:00", "size": 2_019_393_189u64,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                        "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}})).collect::<Vec<_>>()}),
    }
}

fn per_token(per_mtok: Option<f64>) -> String {
    per_mtok.map_or_else(|| "0".to_string(), |p| format!("{}", p / 1_000_000.0))
}

async fn send_reply(stream: &mut TcpStream, flavor: Flavor, reply: &Reply) -> bool {
    if let Some(d) = reply.delay_first_byte {
        tokio::time::sleep(d).await;
    }
    if let Body::Status { status, body } = &reply.body {
        let (ct, text) = match body {
            Some(b) => {
                let ct = if b.trim_start().starts_with('<') {
                    "text/html"
                } else {
                    "application/json"
                };
                (ct, b.clone())
            }
            None => (
                "application/json",
                error_body(flavor, *status, &format!("fake provider: HTTP {status}")),
            ),
        };
        return write_simple(stream, *status, ct, &reply.headers, &text).await;
    }
    let mut head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ntransfer-encoding: chunked\r\ncache-control: no-cache\r\n",
        flavor.content_type()
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    if stream.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    if let Some(d) = reply.delay_body {
        tokio::time::sleep(d).await;
    }
    for (i, frame) in frames(flavor, reply).iter().enumerate() {
        if reply.stall_after == Some(i) {
            // Hold the connection open, silent, until the client gives up.
            let mut sink = [0u8; 1024];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
            return false;
        }
        if i > 0 {
            if let Some(d) = reply.frame_delay {
                tokio::time::sleep(d).await;
            }
        }
        let mut chunk = format!("{:x}\r\n", frame.len()).into_bytes();
        chunk.extend_from_slice(frame);
        chunk.extend_from_slice(b"\r\n");
        if stream.write_all(&chunk).await.is_err() {
            return false;
        }
    }
    stream.write_all(b"0\r\n\r\n").await.is_ok()
}
