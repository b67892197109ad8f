//! The TUI with subagents running: a line per running child (agent, task, status, short id)
//! above the composer, a subagent's approval naming it, and the notice when a child ends.
//! Snapshots of ratatui TestBackend frames.

use super::tui_harness::Harness;
use harness::message::{ConversationId, MessageStatus, ToolCall, Usage};
use harness::protocol::{Event, SubagentRef};

fn child(n: u8) -> ConversationId {
    format!("0190a0b0-0000-7000-8000-00000000000{n}")
        .parse()
        .unwrap()
}

fn started(n: u8, description: &str) -> Event {
    Event::SubagentStarted {
        call_id: format!("t{n}"),
        conversation_id: child(n),
        agent: "worker".into(),
        description: description.into(),
        depth: 1,
        branch: None,
        worktree: None,
    }
}

fn two_children(h: &mut Harness) {
    h.keys("Split the refactor in two<Enter>");
    h.event(Event::RouteChosen {
        model: "anthropic/claude-sonnet-4-6".into(),
        reason: "coding-complex".into(),
    });
    for (n, d) in [(1, "port the parser"), (2, "update the tests")] {
        let call = ToolCall {
            id: format!("t{n}"),
            name: "task".into(),
            arguments: serde_json::json!({"description": d, "prompt": "..."}),
        };
        h.event(Event::tool_call(&call));
        h.event(started(n, d));
    }
    h.event(Event::SubagentProgress {
        call_id: "t1".into(),
        conversation_id: child(1),
        status: "running bash".into(),
    });
}

#[test]
fn running_subagents_have_a_line_each() {
    let mut h = Harness::new(80, 24);
    two_children(&mut h);
    insta::assert_snapshot!("subagents_running_80x24", h.frame());
}

#[test]
fn a_finished_subagent_leaves_its_line_for_a_notice() {
    let mut h = Harness::new(80, 24);
    two_children(&mut h);
    h.event(Event::SubagentFinished {
        call_id: "t2".into(),
        conversation_id: child(2),
        status: MessageStatus::Complete,
        usage: Usage::default(),
        error: None,
    });
    let frame = h.frame();
    assert!(frame.contains("port the parser · running bash"), "{frame}");
    assert!(
        frame.contains("subagent update the tests (worker) finished"),
        "{frame}"
    );
    insta::assert_snapshot!("subagents_one_finished_80x24", frame);
}

#[test]
fn a_subagents_approval_names_it() {
    let mut h = Harness::new(80, 24);
    two_children(&mut h);
    h.event(Event::ApprovalRequest {
        call_id: "0190a0b0000070008000000000000001:call_1".into(),
        tool: "bash".into(),
        preview: "cargo test -q".into(),
        prefix: Some("cargo test:*".into()),
        subagent: Some(SubagentRef {
            conversation_id: child(1),
            agent: "worker".into(),
            description: "port the parser".into(),
        }),
    });
    let frame = h.frame();
    assert!(
        frame.contains("subagent worker (port the parser) asks:"),
        "{frame}"
    );
    insta::assert_snapshot!("subagents_approval_80x24", frame);
}
