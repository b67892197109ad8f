//! Subagents through the core, in process, against the fake provider: a parent whose model calls
//! `task` twice in one reply (both children in flight at once, results in call order, their
//! tokens in the parent's turn, their conversations linked), a child that fails, the step and
//! depth limits, interrupt propagation, and an approval a child needs answered by the parent's
//! front end.

use crate::support::core::{build, send, until_done};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use harness::core::{CoreDeps, SessionHandle, SessionOptions, SessionStart};
use harness::message::{ConversationId, MessageStatus, Role};
use harness::protocol::{ApprovalDecision, ApprovalMode, Event, Op};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const WORKER_PROMPT: &str = "You are a worker subagent.";

fn config(server: &FakeProvider, extra: &str) -> String {
    format!(
        r#"default_model = "fake/model-x"
default_agent = "lead"
{}max_retries = 0

[sandbox]
backend = "host"

[agents.lead]
description = "Splits work"
system_prompt = "You are the lead."
tools = ["task", "read"]

[agents.worker]
description = "Does one piece"
system_prompt = "{WORKER_PROMPT}"
tools = ["read", "write", "bash"]

[agents.nester]
description = "Starts its own subagents"
system_prompt = "You are a nester."
tools = ["task"]
{extra}
"#,
        server.config_toml("fake")
    )
}

async fn setup(
    server: &FakeProvider,
    extra: &str,
) -> (tempfile::TempDir, Arc<CoreDeps>, std::path::PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let (deps, _) = build(home.path(), &workspace, &config(server, extra));
    (home, deps, workspace)
}

async fn open(
    deps: &Arc<CoreDeps>,
    headless: bool,
    approval: Option<ApprovalMode>,
) -> SessionHandle {
    harness::core::spawn(
        deps.clone(),
        SessionOptions {
            start: SessionStart::New,
            model: None,
            agent: None,
            approval,
            headless,
        },
    )
    .await
    .expect("session starts")
}

fn task(id: &str, description: &str, prompt: &str, agent: &str) -> Reply {
    Reply::tool_call(
        id,
        "task",
        json!({"description": description, "prompt": prompt, "agent": agent}),
    )
}

/// `(id, output, is_error)` of every tool result, in order.
fn results(events: &[Event]) -> Vec<(String, String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallEnd {
                id,
                output,
                is_error,
            } => Some((id.clone(), output.clone(), *is_error)),
            _ => None,
        })
        .collect()
}

fn status(done: &Event) -> MessageStatus {
    match done {
        Event::TurnComplete { status, .. } => *status,
        other => panic!("not a done event: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_task_calls_run_at_once_and_answer_in_call_order() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, deps, _ws) = setup(&server, "").await;
    let mut s = open(&deps, true, None).await;
    server.push(
        task("t1", "first half", "CHILD-A: count the a's", "worker")
            .then_tool_call("t2", "task", json!({"description": "second half", "prompt": "CHILD-B: count the b's", "agent": "worker"}))
            .usage(10, 5),
    );
    // Both children must be in flight before either gets its answer; A answers last.
    server.gate(WORKER_PROMPT, 2);
    server.push_for(
        "CHILD-A",
        Reply::text("three a's")
            .usage(100, 7)
            .delay_first_byte(Duration::from_millis(300)),
    );
    server.push_for("CHILD-B", Reply::text("two b's").usage(200, 9));
    server.push(Reply::text("a: 3, b: 2").usage(20, 4));
    send(&s, "count letters");
    let (done, seen) = until_done(&mut s).await;
    assert_eq!(status(&done), MessageStatus::Complete, "{seen:?}");
    assert_eq!(
        results(&seen),
        vec![
            ("t1".to_string(), "three a's".to_string(), false),
            ("t2".to_string(), "two b's".to_string(), false),
        ]
    );
    // The parent's next request carries both results in call order.
    let requests = server.chat_requests();
    assert_eq!(requests.len(), 4);
    let last = &requests[3].body_text;
    let (a, b) = (
        last.find("three a's").unwrap(),
        last.find("two b's").unwrap(),
    );
    assert!(a < b, "results in call order: {last}");
    // The children's tokens count toward the parent's turn.
    let Event::TurnComplete { usage, .. } = &done else {
        unreachable!()
    };
    assert_eq!(
        (usage.input_tokens, usage.output_tokens),
        (10 + 100 + 200 + 20, 5 + 7 + 9 + 4)
    );
    let started: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            Event::SubagentStarted {
                call_id,
                agent,
                depth,
                ..
            } => Some((call_id.clone(), agent.clone(), *depth)),
            _ => None,
        })
        .collect();
    assert_eq!(started.len(), 2, "{seen:?}");
    assert!(
        started
            .iter()
            .all(|(_, agent, depth)| agent == "worker" && *depth == 1)
    );
    let finished = seen
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::SubagentFinished {
                    status: MessageStatus::Complete,
                    ..
                }
            )
        })
        .count();
    assert_eq!(finished, 2);
    // Each child has its own conversation, linked to the call that started it.
    let children = deps.store.subagent_children(None, 10, 0).await.unwrap();
    let mut calls: Vec<_> = children.iter().map(|c| c.parent_call_id.clone()).collect();
    calls.sort();
    assert_eq!(calls, vec!["t1", "t2"]);
    let child_a = children.iter().find(|c| c.parent_call_id == "t1").unwrap();
    assert_eq!(child_a.conversation.agent, "worker");
    assert_eq!(child_a.conversation.title, "first half");
    let rows = deps.store.messages(child_a.conversation.id).await.unwrap();
    assert_eq!(rows[0].role, Role::User);
    assert_eq!(rows[0].content, "CHILD-A: count the a's");
    assert_eq!(rows.last().unwrap().content, "three a's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_fails_is_an_error_result_the_parent_reads() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, deps, _ws) = setup(&server, "").await;
    let mut s = open(&deps, true, None).await;
    server.push(task("t1", "doomed", "CHILD-X: try", "worker"));
    server.push(Reply::status(500));
    server.push(Reply::text("the child failed, sorry"));
    send(&s, "go");
    let (done, seen) = until_done(&mut s).await;
    assert_eq!(status(&done), MessageStatus::Complete, "{seen:?}");
    let results = results(&seen);
    assert_eq!(results.len(), 1);
    let (_, output, is_error) = &results[0];
    assert!(is_error);
    assert!(output.starts_with("the subagent failed: "), "{output}");
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::SubagentFinished {
            status: MessageStatus::Error,
            ..
        }
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_agents_and_the_step_limit_give_clear_results() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, deps, ws) = setup(&server, "[subagents]\nmax_steps = 1\n").await;
    std::fs::write(ws.join("notes.txt"), "n").unwrap();
    let mut s = open(&deps, true, None).await;
    server.push(task("t1", "nobody", "CHILD-0", "ghost").then_tool_call(
        "t2",
        "task",
        json!({"description": "reader", "prompt": "CHILD-R", "agent": "worker"}),
    ));
    // The child reads a file, then would need a second model call: over its limit.
    server.push(Reply::tool_call("r1", "read", json!({"path": "notes.txt"})));
    server.push(Reply::text("done"));
    send(&s, "go");
    let (done, seen) = until_done(&mut s).await;
    assert_eq!(status(&done), MessageStatus::Complete, "{seen:?}");
    let results = results(&seen);
    assert!(
        results[0].2 && results[0].1.contains("ghost"),
        "{results:?}"
    );
    assert!(results[1].2, "{results:?}");
    assert!(
        results[1]
            .1
            .starts_with("the subagent reached its step limit (subagents.max_steps = 1)"),
        "{results:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subagents_nest_only_to_max_depth() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, deps, _ws) = setup(&server, "[subagents]\nmax_depth = 1\n").await;
    let mut s = open(&deps, true, None).await;
    server.push(task("t1", "nest", "CHILD-N: start another", "nester"));
    server.push(task("g1", "deeper", "GRANDCHILD", "worker"));
    server.push(Reply::text("could not go deeper"));
    server.push(Reply::text("done"));
    send(&s, "go");
    let (done, seen) = until_done(&mut s).await;
    assert_eq!(status(&done), MessageStatus::Complete, "{seen:?}");
    assert_eq!(
        results(&seen),
        vec![("t1".to_string(), "could not go deeper".to_string(), false)]
    );
    // The child's second request carries the refusal of the grandchild.
    let requests = server.chat_requests();
    assert_eq!(requests.len(), 4, "no grandchild request was made");
    assert!(
        requests[2]
            .body_text
            .contains("subagent depth limit reached (subagents.max_depth = 1)"),
        "{}",
        requests[2].body_text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupting_the_parent_interrupts_its_children() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, deps, _ws) = setup(&server, "").await;
    let mut s = open(&deps, true, None).await;
    server.push(task("t1", "long", "CHILD-L: work long", "worker"));
    // The child streams a little, then goes silent.
    server.push(Reply::text_chunks(["working", " on it", " still"]).stall_after(3));
    send(&s, "go");
    let mut child = None;
    while child.is_none() {
        let ev = tokio::time::timeout(Duration::from_secs(20), s.events.recv())
            .await
            .expect("an event")
            .expect("alive");
        if let Event::SubagentStarted {
            conversation_id, ..
        } = ev
        {
            child = Some(conversation_id);
        }
    }
    let child = child.unwrap();
    wait_for(|| server.chat_requests().len() == 2).await;
    // The child's reply has begun (stored as streaming) before the interrupt.
    let store = deps.store.clone();
    wait_for_async(|| {
        let store = store.clone();
        async move {
            store
                .messages(child)
                .await
                .unwrap()
                .iter()
                .any(|m| m.role == Role::Assistant)
        }
    })
    .await;
    s.ops.send(Op::Interrupt).unwrap();
    let (done, seen) = until_done(&mut s).await;
    assert_eq!(status(&done), MessageStatus::Cancelled);
    let results = results(&seen);
    assert_eq!(results.len(), 1);
    assert!(results[0].2, "{results:?}");
    // The child's own turn was interrupted: its partial reply is kept as cancelled.
    wait_for_async(|| {
        let store = store.clone();
        async move { last_status(&store, child).await == Some(MessageStatus::Cancelled) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_childs_approval_is_asked_in_the_parent_and_answered_there() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let (_home, deps, ws) = setup(&server, "").await;
    let mut s = open(&deps, false, Some(ApprovalMode::Ask)).await;
    server.push(task("t1", "writer", "CHILD-W: write a file", "worker"));
    server.push(Reply::tool_call(
        "w1",
        "write",
        json!({"path": "out.txt", "content": "from the child\n"}),
    ));
    server.push(Reply::text("wrote out.txt"));
    server.push(Reply::text("the child wrote it"));
    send(&s, "go");
    let (call_id, subagent) = loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), s.events.recv())
            .await
            .expect("an event")
            .expect("alive");
        if let Event::ApprovalRequest {
            call_id,
            tool,
            subagent,
            ..
        } = ev
        {
            assert_eq!(tool, "write");
            break (call_id, subagent);
        }
    };
    let subagent = subagent.expect("the question names the subagent");
    assert_eq!(subagent.agent, "worker");
    assert_eq!(subagent.description, "writer");
    assert_ne!(call_id, "w1", "relayed under an id unique in the parent");
    s.ops
        .send(Op::Approve {
            call_id,
            decision: ApprovalDecision::Once,
        })
        .unwrap();
    let (done, seen) = until_done(&mut s).await;
    assert_eq!(status(&done), MessageStatus::Complete, "{seen:?}");
    assert_eq!(
        std::fs::read_to_string(ws.join("out.txt")).unwrap(),
        "from the child\n"
    );
    assert_eq!(results(&seen)[0].1, "wrote out.txt");
}

async fn last_status(store: &harness::store::Store, id: ConversationId) -> Option<MessageStatus> {
    store
        .messages(id)
        .await
        .ok()?
        .iter()
        .rev()
        .find(|m| m.role == Role::Assistant)
        .map(|m| m.status)
}

/// Wait (up to 20 s) until `ready` holds.
async fn wait_for(ready: impl Fn() -> bool) {
    for _ in 0..400 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached within 20 s");
}

async fn wait_for_async<F, Fut>(ready: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if ready().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached within 20 s");
}
