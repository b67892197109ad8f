//! The core session driven in process (no binary, no terminal) against the fake provider: the
//! shape every front end relies on.

use crate::support::core::{build, errors, send, session, until_done, until_first_text};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use harness::message::MessageStatus;
use harness::protocol::{Event, Op};
use std::time::Duration;

async fn setup(
    server: &FakeProvider,
) -> (tempfile::TempDir, std::sync::Arc<harness::core::CoreDeps>) {
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let config = format!(
        "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    );
    let (deps, _) = build(home.path(), &workspace, &config);
    (home, deps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_streams_routes_and_completes() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let (_home, deps) = setup(&server).await;
    let mut s = session(&deps).await;
    server.push(Reply::text_chunks(["Hel", "lo"]).usage(12, 3));
    send(&s, "hi");
    let (done, seen) = until_done(&mut s).await;
    let text: String = seen
        .iter()
        .filter_map(|e| match e {
            Event::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "Hello");
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::RouteChosen { model, .. } if model == "fake/model-x")),
        "{seen:?}"
    );
    match done {
        Event::TurnComplete {
            status,
            usage,
            unsaved,
            ..
        } => {
            assert_eq!(status, MessageStatus::Complete);
            assert_eq!((usage.input_tokens, usage.output_tokens), (12, 3));
            assert_eq!(unsaved, 0);
        }
        _ => unreachable!(),
    }
    assert_eq!(server.chat_requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_message_during_a_turn_is_refused_without_a_second_done() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, deps) = setup(&server).await;
    let mut s = session(&deps).await;
    server.push(Reply::text("slow answer").delay_first_byte(Duration::from_millis(600)));
    send(&s, "first");
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(&s, "second, too early");
    let (done, seen) = until_done(&mut s).await;
    assert!(
        errors(&seen).iter().any(|m| m.contains("already running")),
        "{seen:?}"
    );
    assert!(matches!(
        done,
        Event::TurnComplete {
            status: MessageStatus::Complete,
            ..
        }
    ));
    // Nothing else follows: the refused message started no turn and no request.
    let next = tokio::time::timeout(Duration::from_millis(300), s.events.recv()).await;
    assert!(
        !matches!(next, Ok(Some(Event::TurnComplete { .. }))),
        "{next:?}"
    );
    assert_eq!(server.chat_requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_mid_stream_keeps_the_partial_as_cancelled() {
    let server = FakeProvider::start(Flavor::Ollama).await;
    let (_home, deps) = setup(&server).await;
    let mut s = session(&deps).await;
    server.push(Reply::text_chunks(["so far ", "and more"]).stall_after(1));
    send(&s, "go");
    until_first_text(&mut s).await;
    s.ops.send(Op::Interrupt).unwrap();
    let (done, _) = until_done(&mut s).await;
    let Event::TurnComplete {
        status,
        conversation_id,
        ..
    } = done
    else {
        unreachable!()
    };
    assert_eq!(status, MessageStatus::Cancelled);
    let rows = deps.store.messages(conversation_id).await.unwrap();
    assert_eq!(rows.last().unwrap().content, "so far ");
    assert_eq!(rows.last().unwrap().status, MessageStatus::Cancelled);
}
