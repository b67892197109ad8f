//! The approval dialog's trust rules, key by key (time moved by hand): typed-ahead keys go to
//! the draft and never answer it, "always" sends what exactly was approved, Esc interrupts.

use super::tui_harness::Harness;
use harness::message::{MessageStatus, Usage};
use harness::protocol::{ApprovalDecision, Event, Op};

const GUARD_MS: u64 = harness::tui::popups::approval::GUARD.as_millis() as u64;

/// A running turn with a bash call waiting for approval (not drawn yet).
fn awaiting(h: &mut Harness, command: &str, prefix: Option<&str>) {
    h.keys("run it<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: "run it".into()
        }]
    );
    h.event(Event::ToolCallBegin {
        id: "c1".into(),
        name: "bash".into(),
        arguments: serde_json::json!({ "command": command }),
    });
    h.event(Event::ApprovalRequest {
        call_id: "c1".into(),
        tool: "bash".into(),
        preview: command.into(),
        prefix: prefix.map(str::to_string),
        subagent: None,
    });
}

fn approve(decision: ApprovalDecision) -> Vec<Op> {
    vec![Op::Approve {
        call_id: "c1".into(),
        decision,
    }]
}

/// Type `text` one key every `gap` ms.
fn type_slowly(h: &mut Harness, text: &str, gap: u64) {
    for c in text.chars() {
        h.wait(gap);
        h.keys(&c.to_string());
    }
}

#[test]
fn keys_typed_before_the_dialog_appeared_go_to_the_draft() {
    let mut h = Harness::new(100, 30);
    awaiting(&mut h, "rm -rf build", None);
    // Typed while the request arrived, before any frame showed it (or queued in the terminal
    // input as it was drawn): "a" would have meant "always".
    h.keys("also a note");
    h.screen();
    h.keys(" about y");
    assert!(h.take_ops().is_empty(), "typing ahead answered the dialog");
    assert_eq!(h.app.draft(), "also a note about y");
    assert!(h.screen_contains("allow bash?"), "the dialog is still up");
    assert!(h.screen_contains("your keys went to the draft"));
}

#[test]
fn the_guard_restarts_with_every_key_and_a_pause_arms_the_dialog() {
    let mut h = Harness::new(100, 30);
    awaiting(&mut h, "ls", None);
    h.screen();
    // Two seconds of steady typing, one key every 150 ms: never an answer.
    type_slowly(&mut h, "yay and another yes, all ok ", 150);
    assert!(h.take_ops().is_empty());
    assert_eq!(h.app.draft(), "yay and another yes, all ok ");
    // Just under the guard after the last key: still the draft's.
    h.wait(GUARD_MS - 1);
    h.keys("y");
    assert!(h.take_ops().is_empty());
    assert_eq!(h.app.draft(), "yay and another yes, all ok y");
    // A full pause: the dialog takes the next key, and the draft is left as it was.
    h.wait(GUARD_MS);
    h.keys("y");
    assert_eq!(h.take_ops(), approve(ApprovalDecision::Once));
    assert_eq!(h.app.draft(), "yay and another yes, all ok y");
    assert!(!h.screen_contains("allow bash?"));
}

#[test]
fn a_dialog_that_has_not_been_drawn_never_takes_keys() {
    let mut h = Harness::new(100, 30);
    awaiting(&mut h, "ls", None);
    h.wait(10_000);
    h.keys("y");
    assert!(h.take_ops().is_empty());
    assert_eq!(h.app.draft(), "y");
}

#[test]
fn each_queued_dialog_has_its_own_guard() {
    let mut h = Harness::new(100, 30);
    awaiting(&mut h, "ls", None);
    h.event(Event::ToolCallBegin {
        id: "c2".into(),
        name: "bash".into(),
        arguments: serde_json::json!({"command": "pwd"}),
    });
    h.event(Event::ApprovalRequest {
        call_id: "c2".into(),
        tool: "bash".into(),
        preview: "pwd".into(),
        prefix: None,
        subagent: None,
    });
    h.screen();
    h.wait(GUARD_MS);
    h.keys("y");
    assert_eq!(h.take_ops(), approve(ApprovalDecision::Once));
    // The second dialog only now appears: a quick second "y" is text, not an answer.
    h.screen();
    h.wait(50);
    h.keys("y");
    assert!(h.take_ops().is_empty());
    assert_eq!(h.app.draft(), "y");
    h.wait(GUARD_MS);
    h.keys("n<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::Approve {
            call_id: "c2".into(),
            decision: ApprovalDecision::Deny { reason: None }
        }]
    );
}

#[test]
fn a_paste_never_answers_the_dialog() {
    let mut h = Harness::new(100, 30);
    awaiting(&mut h, "ls", None);
    h.screen();
    h.wait(GUARD_MS);
    h.paste("y");
    h.paste("a\n");
    assert!(h.take_ops().is_empty());
    assert_eq!(h.app.draft(), "ya\n");
    // While typing a reason, a paste is part of the reason.
    h.wait(GUARD_MS);
    h.keys("n");
    h.paste("flaky\ncommand");
    h.keys("<Enter>");
    assert_eq!(
        h.take_ops(),
        approve(ApprovalDecision::Deny {
            reason: Some("flaky command".into())
        })
    );
}

#[test]
fn always_covers_the_exact_command_or_the_offered_prefix() {
    let cases = [
        ("y", Some("cargo test:*"), ApprovalDecision::Once),
        (
            "a",
            Some("cargo test:*"),
            ApprovalDecision::Always { pattern: None },
        ),
        (
            "p",
            Some("cargo test:*"),
            ApprovalDecision::Always {
                pattern: Some("cargo test:*".into()),
            },
        ),
        // Without an offered prefix `p` does nothing; `a` is still the exact command.
        ("pa", None, ApprovalDecision::Always { pattern: None }),
        (
            "nnot this one<Enter>",
            Some("cargo test:*"),
            ApprovalDecision::Deny {
                reason: Some("not this one".into()),
            },
        ),
    ];
    for (script, prefix, decision) in cases {
        let mut h = Harness::new(100, 30);
        awaiting(&mut h, "cargo test -q", prefix);
        let screen = h.screen().join("\n");
        assert!(screen.contains("a always this exact command"), "{screen}");
        assert_eq!(
            screen.contains("p always allow bash(cargo test:*)"),
            prefix.is_some(),
            "{screen}"
        );
        h.wait(GUARD_MS);
        h.keys(script);
        assert_eq!(h.take_ops(), approve(decision), "{script}");
        assert!(h.app.draft().is_empty(), "{script}");
    }
}

#[test]
fn esc_in_the_dialog_interrupts_the_turn() {
    let mut h = Harness::new(100, 30);
    awaiting(&mut h, "make deploy", None);
    h.keys("queued next<Enter>");
    assert!(h.screen_contains("queued (1): queued next"));
    h.wait(GUARD_MS);
    h.keys("<Esc>");
    assert_eq!(
        h.take_ops(),
        [Op::Interrupt],
        "Esc stops the turn, not denies"
    );
    assert!(!h.screen_contains("allow bash?"));
    assert!(
        !h.screen_contains("queued (1)"),
        "an interrupt drops queued messages"
    );
    h.event(Event::ToolCallEnd {
        id: "c1".into(),
        output: "Cancelled by the user before it ran.".into(),
        is_error: true,
    });
    h.event(Event::TurnComplete {
        conversation_id: "0190a0b0-0000-7000-8000-000000000002".parse().unwrap(),
        status: MessageStatus::Cancelled,
        usage: Usage::default(),
        unsaved: 0,
    });
    assert!(h.take_ops().is_empty());
    // Esc while typing a reason only goes back to the choice.
    let mut h = Harness::new(100, 30);
    awaiting(&mut h, "make deploy", None);
    h.screen();
    h.wait(GUARD_MS);
    h.keys("nwhy<Esc>");
    assert!(h.take_ops().is_empty());
    assert!(h.screen_contains("allow bash?"));
}

fn key_events(script: &str) -> Vec<crossterm::event::Event> {
    super::tui_harness::parse_script(script)
        .into_iter()
        .map(crossterm::event::Event::Key)
        .collect()
}

#[test]
fn a_burst_of_buffered_keys_never_answers_even_after_the_guard() {
    use crossterm::event::{Event as TermEvent, MouseEvent, MouseEventKind};
    use harness::tui::event::apply_terminal_events;
    let mut h = Harness::new(100, 30);
    awaiting(&mut h, "ls", None);
    h.screen();
    // Long after the dialog came up, keys arrive together (typed while the UI was stalled):
    // none of them, not even the first, is an answer.
    h.wait(5_000);
    apply_terminal_events(&mut h.app, key_events("a note"));
    assert!(h.take_ops().is_empty());
    assert_eq!(h.app.draft(), "a note");
    // A lone key after a pause is an answer, even with mouse events queued behind it.
    h.wait(GUARD_MS);
    let mouse = TermEvent::Mouse(MouseEvent {
        kind: MouseEventKind::Moved,
        column: 3,
        row: 3,
        modifiers: crossterm::event::KeyModifiers::NONE,
    });
    let mut events = key_events("y");
    events.push(mouse);
    apply_terminal_events(&mut h.app, events);
    assert_eq!(h.take_ops(), approve(ApprovalDecision::Once));
    assert_eq!(h.app.draft(), "a note");
}
