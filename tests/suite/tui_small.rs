//! The small things a daily user trips over, driven through the key harness: Ctrl+R closes on
//! Esc with the draft back and keeps the draft when Enter finds nothing; Ctrl+U clears the line;
//! `/resume PREFIX` asks for the prefix; an empty conversation offers no resume id; keys are not
//! taken while the window is too small; `/model` completion offers the providers' models; a
//! turn ending while the terminal is unfocused is announced (`[ui] notify`); a resumed reply
//! keeps its badge.

use super::tui_harness::{Harness, history_message};
use harness::message::{ConversationId, MessageStatus, Usage};
use harness::protocol::{Event, ModelEntry, Op};

#[test]
fn ctrl_r_esc_restores_the_draft_and_enter_without_a_match_keeps_it() {
    let mut h = Harness::new(80, 20);
    h.event(Event::PromptHistory {
        prompts: vec!["cargo test please".into(), "explain the router".into()],
    });
    h.keys("my draft<C-r>rout");
    assert_eq!(h.app.draft(), "explain the router", "the match is shown");
    h.keys("<Esc>");
    assert_eq!(h.app.draft(), "my draft", "Esc: back to the draft");
    assert!(
        h.take_ops().is_empty(),
        "Esc did not interrupt or send anything"
    );
    h.keys("<C-r>zzz");
    assert!(h.screen_contains("(no match)"));
    h.keys("<Enter>");
    assert_eq!(
        h.app.draft(),
        "my draft",
        "Enter with no match keeps the draft"
    );
    assert!(h.take_ops().is_empty(), "nothing was sent");
    h.keys("<C-r>cargo<Enter>");
    assert_eq!(h.app.draft(), "cargo test please", "Enter takes a match");
}

#[test]
fn ctrl_u_clears_the_line() {
    let mut h = Harness::new(80, 20);
    h.keys("first line<S-Enter>second line<C-u>kept");
    assert_eq!(h.app.draft(), "first line\nkept");
}

#[test]
fn resume_takes_a_unique_prefix() {
    let mut h = Harness::new(80, 20);
    h.keys("/resume 0190A0B0<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::ResumePrefix {
            prefix: "0190a0b0".into()
        }]
    );
    h.keys("/resume xy<Enter>");
    assert!(h.take_ops().is_empty());
    assert!(h.screen_contains("not a conversation id"));
}

#[test]
fn an_empty_conversation_offers_no_resume_id() {
    let mut h = Harness::new(80, 20);
    let id: ConversationId = "0190a0b0-0000-7000-8000-000000000009".parse().unwrap();
    h.event(Event::SessionConfigured {
        conversation_id: id,
        agent: "general".into(),
        model: None,
        message_count: 0,
    });
    assert_eq!(
        h.app.conversation_id(),
        None,
        "nothing stored: nothing to resume"
    );
    h.keys("hello<Enter>");
    h.event(Event::TurnComplete {
        conversation_id: id,
        status: MessageStatus::Complete,
        usage: Usage::default(),
        unsaved: 0,
    });
    assert_eq!(h.app.conversation_id(), Some(id));
}

#[test]
fn keys_are_not_taken_while_the_window_is_too_small() {
    let mut h = Harness::new(15, 5);
    h.screen();
    h.keys("typed while tiny<Enter>");
    assert_eq!(h.app.draft(), "", "nothing typed where it cannot be seen");
    assert!(
        !h.take_ops()
            .iter()
            .any(|op| matches!(op, Op::UserTurn { .. })),
        "nothing sent"
    );
}

#[test]
fn model_completion_offers_the_providers_models() {
    let mut h = Harness::new(100, 30);
    h.keys("/model<Enter><Esc>");
    assert_eq!(h.take_ops(), [Op::ListModels]);
    h.event(Event::ModelList {
        models: vec![ModelEntry {
            reference: "fake/listed-large".into(),
            detail: String::new(),
        }],
        errors: Vec::new(),
    });
    h.keys("/model listed<Tab>");
    assert_eq!(h.app.draft(), "/model fake/listed-large");
}

#[test]
fn a_turn_ending_unfocused_is_announced() {
    use crossterm::event::Event as TermEvent;
    use harness::config::NotifyMode;
    use harness::tui::HostAction;
    let mut config = super::tui_harness::test_config();
    config.notify = NotifyMode::Osc9;
    let mut h = Harness::with_config(80, 20, config);
    let id: ConversationId = "0190a0b0-0000-7000-8000-00000000000a".parse().unwrap();
    let done = |h: &mut Harness| {
        h.keys("hi<Enter>");
        h.event(Event::TurnComplete {
            conversation_id: id,
            status: MessageStatus::Complete,
            usage: Usage::default(),
            unsaved: 0,
        });
        h.app.take_actions()
    };
    assert!(done(&mut h).is_empty(), "focused: no notification");
    harness::tui::event::apply_terminal_event(&mut h.app, TermEvent::FocusLost);
    assert_eq!(done(&mut h), [HostAction::Notify(NotifyMode::Osc9)]);
    harness::tui::event::apply_terminal_event(&mut h.app, TermEvent::FocusGained);
    assert!(done(&mut h).is_empty());
    assert_eq!(
        harness::tui::terminal::notification(NotifyMode::Osc9),
        "\u{1b}]9;harness: the reply is ready\u{7}"
    );
}

#[test]
fn resumed_replies_keep_their_badge() {
    use harness::message::Role;
    use harness::protocol::HistoryMessage;
    let mut h = Harness::new(100, 20);
    let id: ConversationId = "0190a0b0-0000-7000-8000-00000000000b".parse().unwrap();
    h.event(Event::SessionConfigured {
        conversation_id: id,
        agent: "general".into(),
        model: None,
        message_count: 2,
    });
    let message = |role, text: &str| HistoryMessage {
        model: (role == Role::Assistant).then(|| "fake/m".to_string()),
        route_reason: (role == Role::Assistant).then(|| "rule coding".to_string()),
        usage: (role == Role::Assistant).then(|| Usage {
            input_tokens: 1200,
            output_tokens: 34,
            ..Usage::default()
        }),
        ..history_message(role, text)
    };
    h.event(Event::HistoryPage {
        conversation_id: id,
        start: 0,
        total: 2,
        messages: vec![
            message(Role::User, "hello"),
            message(Role::Assistant, "stored reply"),
        ],
    });
    assert!(
        h.screen_contains("fake/m · rule coding · 1.2k tok"),
        "{}",
        h.screen().join("\n")
    );
}
