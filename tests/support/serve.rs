//! `harness serve` in process for tests: a server on 127.0.0.1:0 over one shared core against
//! the fake provider, a live token, and readers for problems, SSE bodies and WebSocket events.

use crate::support::core::build;
use crate::support::fake_provider::{FakeProvider, Flavor};
use futures::StreamExt;
use harness::core::Core;
use harness::serve::ServeState;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub struct Server {
    pub fake: FakeProvider,
    _home: tempfile::TempDir,
    pub workspace: std::path::PathBuf,
    pub core: Core,
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with_approval_timeout(20).await
    }

    /// A server whose unanswered approvals are denied after `secs`.
    pub async fn start_with_approval_timeout(secs: u64) -> Self {
        Self::start_with(secs, 8).await
    }

    /// A server whose one token may run `max_turns` turns at once (the load test's hundred).
    pub async fn start_with_turn_limit(max_turns: usize) -> Self {
        Self::start_with(20, max_turns).await
    }

    async fn start_with(secs: u64, max_turns: usize) -> Self {
        let fake = FakeProvider::start(Flavor::OpenAi).await;
        let home = tempfile::tempdir().unwrap();
        let workspace = home.path().join("ws");
        std::fs::create_dir_all(&workspace).unwrap();
        let config = format!(
            "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n[server]\napproval_timeout_secs = {secs}\nmax_body_bytes = 4096\nmax_turns_per_token = {max_turns}\n",
            fake.config_toml("fake")
        );
        let (deps, _) = build(home.path(), &workspace, &config);
        let core = Core::new(deps);
        let (token, _) = {
            let (record, secret) = core
                .deps()
                .store
                .create_token("default", Some("tests"))
                .await
                .unwrap();
            (secret, record)
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(harness::serve::serve(
            listener,
            ServeState::new(core.clone()),
            async move {
                let _ = stopped.await;
            },
            Duration::from_secs(10),
        ));
        Self {
            fake,
            _home: home,
            workspace,
            core,
            base,
            token,
            http: reqwest::Client::new(),
            stop: Some(stop),
            served: Some(served),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
    }

    pub async fn create(&self, title: &str) -> String {
        let r = self
            .post("/api/conversations", json!({"title": title}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    pub async fn ws(
        &self,
        id: &str,
    ) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
    {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!(
            "{}/api/conversations/{id}/ws",
            self.base.replace("http", "ws")
        );
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {}", self.token).parse().unwrap(),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        socket
    }
}

/// Assert a problem+json answer with this status; returns its body.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    body
}

/// `(event, data)` of every SSE event in a whole body.
pub fn sse_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = Some(n.trim().to_string());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            Some((name?, serde_json::from_str(&data).ok()?))
        })
        .collect()
}

/// The next JSON event from the socket, within 20 s.
pub async fn next_event<S>(socket: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("an event within 20 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

pub async fn until_type<S>(socket: &mut S, kind: &str) -> Vec<Value>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut seen = Vec::new();
    loop {
        let ev = next_event(socket).await;
        let hit = ev["type"] == kind;
        seen.push(ev);
        if hit {
            return seen;
        }
    }
}
