//! `harness serve` over real HTTP and WebSocket: the server runs in process on 127.0.0.1:0 over
//! one shared core against the fake provider; reqwest and tokio-tungstenite are the clients.
//! Auth and problem+json errors, the conversation routes, turns over SSE and plain JSON,
//! approvals over HTTP and over the WebSocket channel (the scripted channel client of
//! docs/channel-protocol.md), one turn at a time for two clients, the OpenAPI document against
//! the router, graceful shutdown, and the token commands of the binary.

use crate::support::core::build;
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{TempHome, stderr, stdout};
use futures::{SinkExt, StreamExt};
use harness::core::Core;
use harness::serve::ServeState;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

struct Server {
    fake: FakeProvider,
    _home: tempfile::TempDir,
    workspace: std::path::PathBuf,
    core: Core,
    base: String,
    token: String,
    http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    async fn start() -> Self {
        let fake = FakeProvider::start(Flavor::OpenAi).await;
        let home = tempfile::tempdir().unwrap();
        let workspace = home.path().join("ws");
        std::fs::create_dir_all(&workspace).unwrap();
        let config = format!(
            "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n[server]\napproval_timeout_secs = 20\nmax_body_bytes = 4096\n",
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

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.token)
    }

    fn post(&self, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
    }

    async fn create(&self, title: &str) -> String {
        let r = self
            .post("/api/conversations", json!({"title": title}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    async fn ws(
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
async fn problem(response: reqwest::Response, status: u16) -> Value {
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
fn sse_events(text: &str) -> Vec<(String, Value)> {
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
async fn next_event<S>(socket: &mut S) -> Value
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

async fn until_type<S>(socket: &mut S, kind: &str) -> Vec<Value>
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_open_and_every_api_route_needs_a_live_token() {
    let s = Server::start().await;
    let health = s.http.get(s.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "ok");

    let none = s
        .http
        .get(s.url("/api/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let body = problem(none, 401).await;
    assert!(
        body["detail"].as_str().unwrap().contains("Bearer"),
        "{body}"
    );
    let wrong = s
        .http
        .get(s.url("/api/conversations"))
        .bearer_auth("hns_not-a-token")
        .send()
        .await
        .unwrap();
    problem(wrong, 401).await;
    let ws = s
        .http
        .get(s.url("/api/conversations/x/ws"))
        .send()
        .await
        .unwrap();
    problem(ws, 401).await;

    // A revoked token stops working at once.
    let store = &s.core.deps().store;
    let (record, secret) = store.create_token("default", None).await.unwrap();
    let ok = s
        .http
        .get(s.url("/api/conversations"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    store.revoke_token(&record.id).await.unwrap();
    let revoked = s
        .http
        .get(s.url("/api/conversations"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    problem(revoked, 401).await;

    problem(s.get("/api/nothing-here").send().await.unwrap(), 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_created_listed_shown_deleted_and_restored() {
    let s = Server::start().await;
    let a = s.create("alpha plans").await;
    let b = s.create("beta notes").await;

    let list: Value = s
        .get("/api/conversations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let page: Value = s
        .get("/api/conversations?limit=1&offset=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let found: Value = s
        .get("/api/conversations?query=beta")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], b.as_str());

    let one: Value = s
        .get(&format!("/api/conversations/{a}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], a.as_str());
    assert_eq!(one["title"], "alpha plans");
    assert_eq!(one["messages"], json!([]));
    let messages: Value = s
        .get(&format!("/api/conversations/{a}/messages?limit=10"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(messages, json!([]));

    let deleted = s
        .http
        .delete(s.url(&format!("/api/conversations/{a}")))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let live: Value = s
        .get("/api/conversations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["total"], 1);
    let gone: Value = s
        .get("/api/conversations?deleted=true")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gone["items"][0]["id"], a.as_str());
    let restored = s
        .post(&format!("/api/conversations/{a}/restore"), json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200);
    let live: Value = s
        .get("/api/conversations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["total"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_the_right_problem() {
    let s = Server::start().await;
    let unknown = s
        .get("/api/conversations/0190aaaa-0000-7000-8000-000000000000")
        .send()
        .await
        .unwrap();
    problem(unknown, 404).await;
    let bad_json = s
        .http
        .post(s.url("/api/conversations"))
        .bearer_auth(&s.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(bad_json, 400).await;
    let unknown_field = s
        .post("/api/conversations", json!({"tittle": "typo"}))
        .send()
        .await
        .unwrap();
    let body = problem(unknown_field, 400).await;
    assert!(
        body["detail"].as_str().unwrap().contains("tittle"),
        "{body}"
    );
    let huge = s
        .post("/api/conversations", json!({"title": "x".repeat(10_000)}))
        .send()
        .await
        .unwrap();
    problem(huge, 413).await;
    let bad_query = s.get("/api/conversations?limit=lots").send().await.unwrap();
    problem(bad_query, 400).await;
    let id = s.create("t").await;
    let empty = s
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": " "}),
        )
        .send()
        .await
        .unwrap();
    problem(empty, 400).await;
    let no_such_call = s
        .post(
            &format!("/api/conversations/{id}/approvals/call_9"),
            json!({"decision": "once"}),
        )
        .send()
        .await
        .unwrap();
    problem(no_such_call, 404).await;
    let bad_decision = s
        .post(
            &format!("/api/conversations/{id}/approvals/call_9"),
            json!({"decision": "maybe"}),
        )
        .send()
        .await
        .unwrap();
    problem(bad_decision, 400).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_another_profile_sees_no_conversation() {
    let s = Server::start().await;
    let id = s.create("mine").await;
    let (_, other) = s
        .core
        .deps()
        .store
        .create_token("work", None)
        .await
        .unwrap();
    let list: Value = s
        .http
        .get(s.url("/api/conversations"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!({"items": [], "total": 0}));
    let one = s
        .http
        .get(s.url(&format!("/api/conversations/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    let body = problem(one, 404).await;
    assert!(!body.to_string().contains("mine"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_over_sse_streams_the_run_json_events() {
    let s = Server::start().await;
    s.fake.push(Reply::text_chunks(["Hel", "lo ", "there"]));
    let id = s.create("sse").await;
    let r = s
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": "hi"}),
        )
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = sse_events(&r.text().await.unwrap());
    for (name, data) in &events {
        assert_eq!(data["type"], name.as_str(), "event name = type");
    }
    let names: Vec<&str> = events
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| ["route", "text_delta", "done"].contains(n))
        .collect();
    assert_eq!(
        names,
        ["route", "text_delta", "text_delta", "text_delta", "done"]
    );
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "text_delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello there");
    let done = &events.last().unwrap().1;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["conversation_id"], id.as_str());

    let stored: Value = s
        .get(&format!("/api/conversations/{id}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roles: Vec<&str> = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant"]);
    assert_eq!(stored[1]["content"], "Hello there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_without_sse_answers_with_its_messages_when_it_ends() {
    let s = Server::start().await;
    s.fake.push(Reply::text("first answer"));
    s.fake.push(Reply::text("second answer"));
    let id = s.create("plain").await;
    for (prompt, answer) in [("one", "first answer"), ("two", "second answer")] {
        let r = s
            .post(
                &format!("/api/conversations/{id}/messages"),
                json!({"content": prompt}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "complete", "{body}");
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2, "only this turn's messages: {body}");
        assert_eq!(messages[0]["content"], prompt);
        assert_eq!(messages[1]["content"], answer);
    }
    // The second request carried the first turn: one session history.
    assert_eq!(s.fake.chat_requests().len(), 2);
    assert!(
        s.fake.chat_requests()[1]
            .body
            .to_string()
            .contains("first answer")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_answered_over_http_lets_the_tool_run() {
    let s = Server::start().await;
    s.fake.push(Reply::tool_call(
        "call_1",
        "write",
        json!({"path": "x.txt", "content": "hello"}),
    ));
    s.fake.push(Reply::text("written"));
    let id = s.create("approve").await;
    let response = s
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": "write x", "approve": "ask"}),
        )
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let mut answered = false;
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(20), body.next())
        .await
        .unwrap()
    {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        if !answered && text.contains("event: approval_request") {
            let ask = sse_events(&text)
                .into_iter()
                .find(|(n, _)| n == "approval_request")
                .map(|(_, d)| d);
            let Some(ask) = ask else { continue };
            assert_eq!(ask["call_id"], "call_1");
            let r = s
                .post(
                    &format!("/api/conversations/{id}/approvals/call_1"),
                    json!({"decision": "once"}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            answered = true;
        }
    }
    assert!(answered, "{text}");
    let events = sse_events(&text);
    let result = events.iter().find(|(n, _)| n == "tool_result").unwrap();
    assert_eq!(result.1["is_error"], false, "{text}");
    assert_eq!(events.last().unwrap().1["status"], "complete");
    assert_eq!(
        std::fs::read_to_string(s.workspace.join("x.txt")).unwrap(),
        "hello"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_on_one_conversation_take_turns_and_hear_the_same_events() {
    let s = Server::start().await;
    s.fake
        .push(Reply::text("slow answer").delay_first_byte(Duration::from_millis(1500)));
    let id = s.create("shared").await;
    // A channel client on the conversation.
    let mut socket = s.ws(&id).await;
    let configured = until_type(&mut socket, "session_configured").await;
    assert_eq!(configured.last().unwrap()["conversation_id"], id.as_str());

    let first = {
        let request = s.post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": "go"}),
        );
        tokio::spawn(async move { request.send().await.unwrap() })
    };
    // The WebSocket client hears the HTTP client's turn start.
    until_type(&mut socket, "route").await;
    // While it runs, a second HTTP turn is a 409, and a WebSocket turn is refused.
    let second = s
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": "me too"}),
        )
        .send()
        .await
        .unwrap();
    problem(second, 409).await;
    socket
        .send(Message::Text(
            json!({"type": "user_turn", "text": "and me"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let seen = until_type(&mut socket, "done").await;
    assert!(
        seen.iter()
            .any(|e| e["type"] == "error"
                && e["message"].as_str().unwrap().contains("already running")),
        "{seen:?}"
    );
    let text: String = seen
        .iter()
        .filter(|e| e["type"] == "text_delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "slow answer");
    let first: Value = first.await.unwrap().json().await.unwrap();
    assert_eq!(first["status"], "complete");
    assert_eq!(
        s.fake.chat_requests().len(),
        1,
        "no turn ran beside the first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_client_runs_a_turn_with_an_approval_over_the_websocket() {
    let s = Server::start().await;
    s.fake.push(Reply::tool_call(
        "call_7",
        "write",
        json!({"path": "w.txt", "content": "from ws"}),
    ));
    s.fake.push(Reply::text("done writing"));
    let id = s.create("channel").await;
    let mut socket = s.ws(&id).await;
    // The sequence of docs/channel-protocol.md.
    until_type(&mut socket, "session_configured").await;
    socket
        .send(Message::Text("{\"type\":\"bogus\"}".into()))
        .await
        .unwrap();
    let bad = next_event(&mut socket).await;
    assert_eq!(bad["type"], "error", "{bad}");
    socket
        .send(Message::Text(
            json!({"type": "user_turn", "text": "write w"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let before = until_type(&mut socket, "approval_request").await;
    assert!(before.iter().any(|e| e["type"] == "route"), "{before:?}");
    assert_eq!(before.last().unwrap()["call_id"], "call_7");
    socket
        .send(Message::Text(
            json!({"type": "approve", "call_id": "call_7", "decision": {"decision": "once"}})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let after = until_type(&mut socket, "done").await;
    let kinds: Vec<&str> = after
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .filter(|t| ["tool_call", "tool_result", "text_delta", "done"].contains(t))
        .collect();
    assert!(
        kinds.ends_with(&["tool_result", "text_delta", "done"]),
        "{kinds:?}"
    );
    assert_eq!(after.last().unwrap()["status"], "complete");
    assert_eq!(
        std::fs::read_to_string(s.workspace.join("w.txt")).unwrap(),
        "from ws"
    );
    socket.close(None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route_of_the_router() {
    let s = Server::start().await;
    let doc: Value = s
        .get("/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // Every route the router declares (read from its source) is in the document...
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/serve/mod.rs"),
    )
    .unwrap();
    let method = regex::Regex::new(r"\b(get|post|delete|put|patch)\(").unwrap();
    let mut declared = Vec::new();
    for chunk in source.split(".route(").skip(1) {
        // The call's text: its lines up to the next chained call or the end of the function.
        let call: Vec<&str> = chunk
            .lines()
            .enumerate()
            .take_while(|(i, l)| {
                *i == 0 || !(l.trim_start().starts_with('.') || l.starts_with('}'))
            })
            .map(|(_, l)| l)
            .collect();
        let call = call.join("\n");
        let path = call.split('"').nth(1).unwrap().to_string();
        for m in method.captures_iter(&call) {
            declared.push((m[1].to_string(), path.clone()));
        }
    }
    assert!(declared.len() >= 11, "{declared:?}");
    for (m, p) in &declared {
        assert!(
            doc["paths"][p][m].is_object(),
            "{m} {p} is not in the OpenAPI document"
        );
    }
    // ...and every documented route is served (not the 404 fallback nor a 405).
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, item) in paths {
        for m in item.as_object().unwrap().keys() {
            documented += 1;
            assert!(
                declared.contains(&(m.clone(), path.clone())),
                "{m} {path} documented, not routed"
            );
            let url = s.url(&path.replace("{id}", "nope").replace("{call_id}", "c"));
            let r = s
                .http
                .request(m.to_uppercase().parse().unwrap(), url)
                .bearer_auth(&s.token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_ne!(r.status(), 405, "{m} {path}");
            if r.status() == 404 {
                let body: Value = r.json().await.unwrap();
                assert!(
                    !body["detail"].as_str().unwrap().contains("no such route"),
                    "{m} {path}"
                );
            }
        }
    }
    assert_eq!(documented, declared.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_running_turn_finish_and_store_its_reply() {
    let mut s = Server::start().await;
    s.fake
        .push(Reply::text("late but stored").delay_first_byte(Duration::from_millis(1000)));
    let id = s.create("shutdown").await;
    let request = s.post(
        &format!("/api/conversations/{id}/messages"),
        json!({"content": "go"}),
    );
    let turn = tokio::spawn(async move { request.send().await });
    // Wait until the turn is in flight, then stop the server.
    for _ in 0..100 {
        let h: Value = s
            .http
            .get(s.url("/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if h["turns_in_flight"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.stop.take().unwrap().send(()).unwrap();
    let served = tokio::time::timeout(Duration::from_secs(20), s.served.take().unwrap())
        .await
        .expect("the server stops once the turn is done");
    served.unwrap().unwrap();
    let _ = turn.await;
    let id = s.core.deps().store.resolve(&id).await.unwrap();
    let messages = s.core.deps().store.messages(id).await.unwrap();
    assert_eq!(messages.last().unwrap().content, "late but stored");
    assert!(
        s.http.get(s.url("/health")).send().await.is_err(),
        "no longer listening"
    );
}

#[test]
fn tokens_are_created_listed_and_revoked_with_the_binary() {
    let home = TempHome::new();
    let out = home.run(&["token", "create", "--profile", "default", "--label", "ci"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = stdout(&out);
    let secret = printed.lines().next().unwrap().trim().to_string();
    assert!(secret.starts_with("hns_") && secret.len() > 40, "{printed}");

    let list = home.run(&["token", "list", "--json"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let tokens: Value = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert_eq!(tokens[0]["profile"], "default");
    assert_eq!(tokens[0]["label"], "ci");
    assert!(tokens[0]["revoked_at"].is_null());
    assert!(
        !stdout(&list).contains(&secret),
        "list never shows the secret"
    );
    // Only the hash is on disk.
    let mut on_disk = std::fs::read(home.db()).unwrap();
    for ext in ["-wal", "-shm"] {
        if let Ok(more) = std::fs::read(format!("{}{ext}", home.db().display())) {
            on_disk.extend(more);
        }
    }
    assert!(!String::from_utf8_lossy(&on_disk).contains(&secret));

    let id = tokens[0]["id"].as_str().unwrap();
    let revoke = home.run(&["token", "revoke", &id[..13]]);
    assert_eq!(revoke.status.code(), Some(0), "{}", stderr(&revoke));
    let list: Value =
        serde_json::from_str(&stdout(&home.run(&["token", "list", "--json"]))).unwrap();
    assert!(list[0]["revoked_at"].is_string(), "{list}");
    let plain = stdout(&home.run(&["token", "list"]));
    assert!(plain.contains("revoked") && plain.contains("ci"), "{plain}");

    let unknown = home.run(&["token", "revoke", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("harness token list"),
        "{}",
        stderr(&unknown)
    );
}
