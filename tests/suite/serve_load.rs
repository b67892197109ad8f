//! A bounded load test of `harness serve` on loopback: 100 concurrent SSE turns (each on its own
//! conversation) against the fake provider, then the latency of the non-LLM endpoints under a
//! burst of requests. It asserts loose bounds (a debug build on a shared machine) and prints the
//! figures README "Server" quotes.

use crate::support::fake_provider::Reply;
use crate::support::serve::{Server, sse_events};
use futures::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_sse_turns_and_fast_non_llm_endpoints() {
    // One token runs all hundred: the per-token limit (default 8) is not what this measures.
    let s = Server::start_with_turn_limit(128).await;
    s.fake
        .set_default_reply(Some(Reply::text_chunks(["load ", "test ", "reply"])));
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push(s.create(&format!("load {i}")).await);
    }
    let started = Instant::now();
    let turns = ids.iter().map(|id| {
        let request = s
            .post(
                &format!("/api/conversations/{id}/messages"),
                json!({"content": "go"}),
            )
            .header("accept", "text/event-stream");
        async move {
            let sent = Instant::now();
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            let mut body = response.bytes_stream();
            let mut text = String::new();
            let mut first = None;
            while let Some(chunk) = body.next().await {
                first.get_or_insert_with(|| sent.elapsed());
                text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            }
            let events = sse_events(&text);
            assert_eq!(events.last().unwrap().1["status"], "complete", "{text}");
            (first.unwrap(), sent.elapsed())
        }
    });
    let results = tokio::time::timeout(Duration::from_secs(120), futures::future::join_all(turns))
        .await
        .expect("100 turns within 120 s");
    let wall = started.elapsed();
    let mut first: Vec<Duration> = results.iter().map(|r| r.0).collect();
    let mut whole: Vec<Duration> = results.iter().map(|r| r.1).collect();
    first.sort();
    whole.sort();

    let mut api = Vec::new();
    for i in 0..200 {
        let path = match i % 3 {
            0 => "/api/conversations?limit=20".to_string(),
            1 => format!("/api/conversations/{}", ids[i % ids.len()]),
            _ => format!(
                "/api/conversations/{}/messages?limit=10",
                ids[i % ids.len()]
            ),
        };
        let t = Instant::now();
        let r = s.get(&path).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        api.push(t.elapsed());
    }
    api.sort();
    println!(
        "serve load: 100 SSE turns in {wall:?}; first event p50 {:?} p95 {:?}; whole turn p95 {:?}; non-LLM endpoints p50 {:?} p95 {:?}",
        percentile(&first, 0.5),
        percentile(&first, 0.95),
        percentile(&whole, 0.95),
        percentile(&api, 0.5),
        percentile(&api, 0.95),
    );
    assert!(percentile(&api, 0.95) < Duration::from_millis(200));
    assert_eq!(s.fake.chat_requests().len(), 100);
}
