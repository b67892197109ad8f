//! Turns through `harness serve`: over SSE and plain JSON, an approval over HTTP, a scripted
//! channel client over the WebSocket (docs/channel-protocol.md), two clients on one
//! conversation (one turn at a time, the same events), and graceful shutdown.

use crate::support::fake_provider::Reply;
use crate::support::serve::{Server, problem, sse_events, until_type};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

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
    let bad = until_type(&mut socket, "error").await;
    let bad = bad.last().unwrap();
    assert!(
        bad["message"].as_str().unwrap().contains("not an Op"),
        "{bad}"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_turn_interrupts_it_and_the_partial_reply_is_stored() {
    let s = Server::start().await;
    s.fake.push(
        Reply::text_chunks((0..200).map(|i| format!("w{i} ")))
            .frame_delay(Duration::from_millis(20)),
    );
    let id = s.create("interrupt").await;
    let response = s
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": "go"}),
        )
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let mut interrupted = false;
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(20), body.next())
        .await
        .unwrap()
    {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        if !interrupted && text.contains("event: text_delta") {
            let r = s
                .http
                .delete(s.url(&format!("/api/conversations/{id}/turn")))
                .bearer_auth(&s.token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 202);
            interrupted = true;
        }
    }
    let done = sse_events(&text).last().unwrap().1.clone();
    assert_eq!(done["type"], "done");
    assert_eq!(done["status"], "cancelled", "{done}");
    let stored: Value = s
        .get(&format!("/api/conversations/{id}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        stored[1]["content"].as_str().unwrap().starts_with("w0 "),
        "{stored}"
    );
    // No turn now: nothing to interrupt.
    let none = s
        .http
        .delete(s.url(&format!("/api/conversations/{id}/turn")))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    problem(none, 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_concurrent_turns_gets_a_429() {
    let s = Server::start().await;
    s.fake.set_default_reply(Some(
        Reply::text("slow").delay_first_byte(Duration::from_millis(1500)),
    ));
    let mut running = Vec::new();
    for i in 0..8 {
        let id = s.create(&format!("c{i}")).await;
        let request = s.post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": "go"}),
        );
        running.push(tokio::spawn(async move {
            request.send().await.unwrap().status()
        }));
    }
    for _ in 0..200 {
        let h: Value = s
            .http
            .get(s.url("/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if h["turns_in_flight"] == 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ninth = s.create("c8").await;
    let r = s
        .post(
            &format!("/api/conversations/{ninth}/messages"),
            json!({"content": "go"}),
        )
        .send()
        .await
        .unwrap();
    problem(r, 429).await;
    for turn in running {
        assert_eq!(turn.await.unwrap(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_nobody_answers_is_denied_after_the_timeout() {
    let s = Server::start_with_approval_timeout(1).await;
    s.fake.push(Reply::tool_call(
        "call_t",
        "write",
        json!({"path": "never.txt", "content": "no"}),
    ));
    s.fake.push(Reply::text("understood"));
    let id = s.create("timeout").await;
    let started = std::time::Instant::now();
    let r = s
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({"content": "write it", "approve": "ask"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "complete", "{body}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(!s.workspace.join("never.txt").exists());
    let second = s.fake.chat_requests()[1].body.to_string();
    assert!(second.contains("nobody answered"), "{second}");
}
