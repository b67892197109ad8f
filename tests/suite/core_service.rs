//! The core as a service, in process against the fake provider: several front ends at once,
//! one session per open conversation, a second front end joining the session (and its one
//! running turn) instead of starting turns beside it, leaving a shared session, sessions on
//! different conversations streaming at the same time, and Esc during a compaction.

use crate::support::core::{build, errors, send, until_done};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use harness::core::{Core, SessionHandle, SessionOptions, SessionStart};
use harness::message::{ConversationId, MessageStatus};
use harness::protocol::{Event, Op};
use std::time::Duration;

async fn setup(server: &FakeProvider, extra: &str) -> (tempfile::TempDir, Core) {
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let config = format!(
        "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n{extra}",
        server.config_toml("fake")
    );
    let (deps, _) = build(home.path(), &workspace, &config);
    (home, Core::new(deps))
}

async fn open(core: &Core, start: SessionStart) -> SessionHandle {
    core.open(SessionOptions {
        start,
        model: None,
        agent: None,
        approval: None,
        headless: true,
    })
    .await
    .expect("session opens")
}

async fn next(s: &mut SessionHandle) -> Event {
    tokio::time::timeout(Duration::from_secs(20), s.events.recv())
        .await
        .expect("an event within 20 s")
        .expect("the session is alive")
}

/// Events until one matches.
async fn until(s: &mut SessionHandle, want: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let ev = next(s).await;
        let hit = want(&ev);
        seen.push(ev);
        if hit {
            return seen;
        }
    }
}

fn configured(ev: &Event) -> Option<ConversationId> {
    match ev {
        Event::SessionConfigured {
            conversation_id, ..
        } => Some(*conversation_id),
        _ => None,
    }
}

fn done_id(ev: &Event) -> ConversationId {
    match ev {
        Event::TurnComplete {
            conversation_id, ..
        } => *conversation_id,
        other => panic!("not a done: {other:?}"),
    }
}

fn text_of(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_front_end_joins_the_session_and_its_running_turn() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let (_home, core) = setup(&server, "").await;
    let mut a = open(&core, SessionStart::New).await;
    server.push(Reply::text("first answer"));
    send(&a, "first");
    let (done, _) = until_done(&mut a).await;
    let id = done_id(&done);

    server.push(
        Reply::text_chunks(["slow ", "second ", "answer"]).frame_delay(Duration::from_millis(150)),
    );
    send(&a, "second");
    until(&mut a, |e| matches!(e, Event::TextDelta { .. })).await;

    let mut b = open(&core, SessionStart::Resume(id.to_string())).await;
    let joined = until(
        &mut b,
        |e| matches!(e, Event::Notice { message } if message.contains("joined")),
    )
    .await;
    assert_eq!(joined.iter().find_map(configured), Some(id), "{joined:?}");
    assert_eq!(
        core.open_conversations(),
        1,
        "one session for the conversation"
    );

    // The joined front end cannot start a turn beside the running one; only it hears why.
    send(&b, "interleaved?");
    let (b_done, b_seen) = until_done(&mut b).await;
    assert_eq!(done_id(&b_done), id);
    assert!(
        errors(&b_seen)
            .iter()
            .any(|m| m.contains("already running")),
        "{b_seen:?}"
    );
    assert!(
        text_of(&b_seen).contains("answer"),
        "B hears A's turn: {b_seen:?}"
    );
    let (a_done, a_seen) = until_done(&mut a).await;
    assert!(matches!(
        a_done,
        Event::TurnComplete {
            status: MessageStatus::Complete,
            ..
        }
    ));
    assert!(
        errors(&a_seen).is_empty(),
        "A is not told of B's refusal: {a_seen:?}"
    );
    assert_eq!(server.chat_requests().len(), 2, "no turn was interleaved");

    // A turn sent from the joined front end is heard by both.
    server.push(Reply::text("third answer"));
    send(&b, "third");
    let (_, b_seen) = until_done(&mut b).await;
    let (_, a_seen) = until_done(&mut a).await;
    assert_eq!(text_of(&b_seen), "third answer");
    assert_eq!(text_of(&a_seen), "third answer");
    let rows = core.deps().store.messages(id).await.unwrap();
    assert_eq!(rows.len(), 6, "three user messages and three replies");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_a_shared_session_leaves_the_other_front_end_on_it() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, core) = setup(&server, "").await;
    let mut a = open(&core, SessionStart::New).await;
    server.push(Reply::text("one"));
    send(&a, "hello");
    let id = done_id(&until_done(&mut a).await.0);
    let mut b = open(&core, SessionStart::Resume(id.to_string())).await;
    until(&mut b, |e| matches!(e, Event::Notice { .. })).await;

    b.ops.send(Op::NewConversation).unwrap();
    let seen = until(&mut b, |e| configured(e).is_some()).await;
    let fresh = seen.iter().find_map(configured).unwrap();
    assert_ne!(fresh, id, "B is on a new conversation");

    server.push(Reply::text("two"));
    send(&a, "still here");
    let (done, a_seen) = until_done(&mut a).await;
    assert_eq!(done_id(&done), id, "A stays on its conversation");
    assert_eq!(text_of(&a_seen), "two");
    // B heard nothing of A's turn.
    let quiet = tokio::time::timeout(Duration::from_millis(300), b.events.recv()).await;
    assert!(
        !matches!(
            quiet,
            Ok(Some(Event::TextDelta { .. } | Event::TurnComplete { .. }))
        ),
        "{quiet:?}"
    );
    // B's first message creates its own conversation.
    server.push(Reply::text("three"));
    send(&b, "elsewhere");
    assert_eq!(done_id(&until_done(&mut b).await.0), fresh);
    assert_eq!(core.deps().store.messages(fresh).await.unwrap().len(), 2);

    // Resuming A's conversation from B joins A's session again.
    b.ops
        .send(Op::Resume {
            conversation_id: id,
        })
        .unwrap();
    until(
        &mut b,
        |e| matches!(e, Event::Notice { message } if message.contains("joined")),
    )
    .await;
    // Shutting one front end down leaves the session running for the other.
    b.ops.send(Op::Shutdown).unwrap();
    tokio::time::timeout(Duration::from_secs(5), b.task)
        .await
        .expect("B's side ends")
        .unwrap();
    server.push(Reply::text("four"));
    send(&a, "after B left");
    assert_eq!(text_of(&until_done(&mut a).await.1), "four");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_on_different_conversations_stream_at_the_same_time() {
    let server = FakeProvider::start(Flavor::Ollama).await;
    let (_home, core) = setup(&server, "").await;
    let mut a = open(&core, SessionStart::New).await;
    let mut b = open(&core, SessionStart::New).await;
    // Each reply sends one chunk, then hangs: a second request only arrives if the second
    // session does not wait for the first turn to end.
    for _ in 0..2 {
        server.push(Reply::text_chunks(["partial ", "never"]).stall_after(1));
    }
    send(&a, "from A");
    send(&b, "from B");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.chat_requests().len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the second session waited for the first"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(core.open_conversations(), 2);
    for s in [&mut a, &mut b] {
        until(s, |e| matches!(e, Event::TextDelta { .. })).await;
        s.ops.send(Op::Interrupt).unwrap();
    }
    let a_id = done_id(&until_done(&mut a).await.0);
    let b_id = done_id(&until_done(&mut b).await.0);
    assert_ne!(a_id, b_id);
    for id in [a_id, b_id] {
        let rows = core.deps().store.messages(id).await.unwrap();
        assert_eq!(rows.last().unwrap().content, "partial ");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_during_a_compaction_ends_the_turn_at_once() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    // A tiny window, so the fifth message passes the threshold with enough to summarise.
    let (_home, core) = setup(
        &server,
        "[models.tiny]\nid = \"fake/model-x\"\ncontext_window = 600\n",
    )
    .await;
    let mut a = open(&core, SessionStart::New).await;
    let long = "lorem ipsum dolor sit amet ".repeat(20);
    for i in 0..4 {
        server.push(Reply::text(format!("answer {i}: {long}")));
        send(&a, &format!("question {i}"));
        let (done, _) = until_done(&mut a).await;
        assert!(matches!(
            done,
            Event::TurnComplete {
                status: MessageStatus::Complete,
                ..
            }
        ));
    }
    // The summary never comes.
    server.push(Reply::text("SUMMARY").delay_first_byte(Duration::from_secs(30)));
    send(&a, "question 4");
    until(
        &mut a,
        |e| matches!(e, Event::RouteChosen { reason, .. } if reason == "compaction summary"),
    )
    .await;
    // The summary request is out (the earlier turns had too little to summarise).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.chat_requests().len() < 5 {
        assert!(tokio::time::Instant::now() < deadline, "no summary request");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = tokio::time::Instant::now();
    a.ops.send(Op::Interrupt).unwrap();
    let (done, _) = until_done(&mut a).await;
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "the turn ended without waiting for the summary"
    );
    let Event::TurnComplete {
        status,
        conversation_id,
        ..
    } = done
    else {
        unreachable!()
    };
    assert_eq!(status, MessageStatus::Cancelled);
    let rows = core.deps().store.messages(conversation_id).await.unwrap();
    assert_eq!(
        rows.last().unwrap().content,
        "question 4",
        "the message is kept"
    );
    // The session is usable at once: the next turn compacts (the summary answers now).
    server.push(Reply::text("SUMMARY: five questions."));
    server.push(Reply::text("sixth answer"));
    send(&a, "question 5");
    let (done, seen) = until_done(&mut a).await;
    assert!(
        matches!(
            done,
            Event::TurnComplete {
                status: MessageStatus::Complete,
                ..
            }
        ),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|e| matches!(e, Event::Compacted { .. })),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_running_in_another_process_is_not_joined_by_a_second_one() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, core) = setup(&server, "").await;
    let mut a = open(&core, SessionStart::New).await;
    server.push(Reply::text("first"));
    send(&a, "hello");
    let id = done_id(&until_done(&mut a).await.0);
    let owner_of = |id: ConversationId| {
        let store = core.deps().store.clone();
        async move {
            store
                .call(move |c| {
                    Ok(c.query_row(
                        "SELECT turn_owner FROM conversations WHERE id = ?1",
                        [id.to_string()],
                        |r| r.get::<_, Option<String>>(0),
                    )?)
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(
        owner_of(id).await,
        None,
        "the lease is given back when the turn ends"
    );

    // Another live harness process on this machine holds the conversation's turn (pid 1 is
    // always alive; the lease says which process, not which session).
    let host = nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let other = format!("{host}:1");
    let held = other.clone();
    core.deps()
        .store
        .call(move |c| {
            c.execute(
                "UPDATE conversations SET turn_owner = ?2, turn_started_at = ?3 WHERE id = ?1",
                rusqlite::params![id.to_string(), held, chrono::Utc::now().timestamp_millis()],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    send(&a, "second");
    let (done, seen) = until_done(&mut a).await;
    assert!(
        errors(&seen)
            .iter()
            .any(|m| m.starts_with("a turn is already running") && m.contains(&other)),
        "{seen:?}"
    );
    assert!(matches!(
        done,
        Event::TurnComplete {
            status: MessageStatus::Error,
            ..
        }
    ));
    assert_eq!(server.chat_requests().len(), 1, "no request was made");

    // That process ends (its lease goes stale): the next turn runs.
    core.deps()
        .store
        .call(move |c| {
            c.execute(
                "UPDATE conversations SET turn_owner = ?2 WHERE id = ?1",
                rusqlite::params![id.to_string(), format!("{host}:999999999")],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    server.push(Reply::text("third"));
    send(&a, "third");
    let (done, _) = until_done(&mut a).await;
    assert!(matches!(
        done,
        Event::TurnComplete {
            status: MessageStatus::Complete,
            ..
        }
    ));
}
