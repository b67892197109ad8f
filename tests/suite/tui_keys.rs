//! Key-script tests: keys in, Ops out, Events in, frames checked.

use super::tui_harness::{Harness, history_message, test_config};
use harness::message::{ConversationId, MessageStatus, Usage};
use harness::protocol::{ApprovalDecision, Event, Op};
use harness::tui::HostAction;

/// The approval dialog's guard, in ms.
const GUARD_MS: u64 = harness::tui::popups::approval::GUARD.as_millis() as u64;

fn done() -> Event {
    Event::TurnComplete {
        conversation_id: "0190a0b0-0000-7000-8000-000000000002".parse().unwrap(),
        status: MessageStatus::Complete,
        usage: Usage::default(),
        unsaved: 0,
    }
}

#[test]
fn enter_sends_a_turn_and_newline_keys_do_not() {
    let mut h = Harness::new(80, 24);
    h.keys("line one<S-Enter>line two<A-Enter>three<C-j>four<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: "line one\nline two\nthree\nfour".into()
        }]
    );
    assert!(h.app.draft().is_empty());
    assert!(h.screen_contains("› line one"));
}

#[test]
fn messages_typed_during_a_turn_are_queued_and_sent_after_it() {
    let mut h = Harness::new(80, 24);
    h.keys("first<Enter>");
    h.keys("second<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: "first".into()
        }]
    );
    assert!(h.screen_contains("queued (1): second"));
    h.event(Event::TextDelta { text: "ok".into() });
    h.event(done());
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: "second".into()
        }]
    );
}

#[test]
fn unknown_commands_show_an_inline_error_and_send_nothing() {
    let mut h = Harness::new(80, 24);
    h.keys("/modle opus<Enter>");
    assert!(h.take_ops().is_empty());
    assert!(h.screen_contains("unknown command /modle (did you mean `model`?)"));
    assert_eq!(
        h.app.draft(),
        "/modle opus",
        "the draft is kept so it can be fixed"
    );
    h.keys("<BS>");
    assert!(
        !h.screen_contains("unknown command"),
        "editing clears the error"
    );
}

#[test]
fn slash_popup_filters_and_tab_completes_names_and_arguments() {
    let mut h = Harness::new(100, 30);
    h.keys("/mo");
    let screen = h.screen().join("\n");
    assert!(screen.contains("/model [ref|auto]"));
    assert!(screen.contains("pin a model"));
    assert!(
        !screen.contains("browse, search"),
        "non-matching commands are filtered out"
    );
    h.keys("<Tab>");
    assert_eq!(h.app.draft(), "/model ");
    h.keys("son<Tab>");
    assert_eq!(h.app.draft(), "/model sonnet");
    h.keys("<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::SetModel {
            model: Some("sonnet".into())
        }]
    );
    h.keys("/model auto<Enter>");
    assert_eq!(h.take_ops(), [Op::SetModel { model: None }]);
    h.keys("/agent c<Tab><Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::SetAgent {
            agent: "coder".into()
        }]
    );
    // Enter on a highlighted name runs it.
    h.keys("/ne<Enter>");
    assert_eq!(h.take_ops(), [Op::NewConversation]);
}

#[test]
fn model_picker_chooses_with_arrows() {
    let mut h = Harness::new(100, 30);
    h.keys("/model<Enter>");
    assert!(h.screen_contains("choose a model"));
    assert!(h.screen_contains("asking the providers"));
    assert_eq!(
        h.take_ops(),
        [Op::ListModels],
        "the providers' lists are asked for"
    );
    h.event(Event::ModelList {
        models: vec![harness::protocol::ModelEntry {
            reference: "fake/listed-large".into(),
            detail: String::new(),
        }],
        errors: vec!["ollama: connection refused".into()],
    });
    assert!(
        h.screen_contains("fake/listed-large"),
        "{}",
        h.screen().join("\n")
    );
    assert!(h.screen_contains("not listed: ollama: connection refused"));
    h.keys("<Down><Down><Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::SetModel {
            model: Some("sonnet".into())
        }]
    );
    h.event(Event::SettingsChanged {
        agent: "general".into(),
        model: Some("sonnet".into()),
    });
    assert!(h.screen().last().unwrap().contains("general · sonnet"));
}

#[test]
fn every_command_sends_the_right_op() {
    let id: ConversationId = "0190a0b0-0000-7000-8000-000000000009".parse().unwrap();
    let cases: Vec<(String, Vec<Op>)> = vec![
        (
            "/title Better name".into(),
            vec![Op::SetTitle {
                title: "Better name".into(),
            }],
        ),
        ("/compact".into(), vec![Op::Compact]),
        (
            format!("/resume {id}"),
            vec![Op::Resume {
                conversation_id: id,
            }],
        ),
        (
            "/export json /tmp/x.json".into(),
            vec![Op::Export {
                format: harness::protocol::ExportFormat::Json,
                path: Some("/tmp/x.json".into()),
            }],
        ),
        ("/help".into(), vec![]),
        ("/tools".into(), vec![]),
        ("/theme light".into(), vec![]),
        ("/quit".into(), vec![Op::Shutdown]),
    ];
    for (command, want) in cases {
        let mut h = Harness::new(100, 30);
        h.keys(&format!("{command}<Enter>"));
        assert_eq!(h.take_ops(), want, "{command}");
    }
}

#[test]
fn approval_keys_answer_the_request() {
    let cases = [
        ("y", ApprovalDecision::Once),
        ("a", ApprovalDecision::Always { pattern: None }),
        ("n<Enter>", ApprovalDecision::Deny { reason: None }),
        (
            "nnot now<Enter>",
            ApprovalDecision::Deny {
                reason: Some("not now".into()),
            },
        ),
    ];
    for (script, decision) in cases {
        let mut h = Harness::new(80, 24);
        h.keys("run ls<Enter>");
        h.take_ops();
        h.event(Event::ToolCallBegin {
            id: "c1".into(),
            name: "bash".into(),
            arguments: serde_json::json!({"command": "ls"}),
        });
        h.event(Event::ApprovalRequest {
            call_id: "c1".into(),
            tool: "bash".into(),
            preview: "ls".into(),
            prefix: None,
            subagent: None,
        });
        assert!(h.screen_contains("allow bash?"));
        h.wait(GUARD_MS);
        h.keys(script);
        assert_eq!(
            h.take_ops(),
            [Op::Approve {
                call_id: "c1".into(),
                decision
            }],
            "{script}"
        );
        assert!(!h.screen_contains("allow bash?"));
    }
}

#[test]
fn esc_and_ctrl_c_interrupt_then_clear_then_quit() {
    let mut h = Harness::new(80, 24);
    h.keys("go<Enter>");
    h.take_ops();
    h.keys("<Esc>");
    assert_eq!(h.take_ops(), [Op::Interrupt]);
    h.keys("<C-c>");
    assert_eq!(
        h.take_ops(),
        [Op::Interrupt],
        "Ctrl+C interrupts a running turn"
    );
    h.event(Event::TurnComplete {
        conversation_id: "0190a0b0-0000-7000-8000-000000000002".parse().unwrap(),
        status: MessageStatus::Cancelled,
        usage: Usage::default(),
        unsaved: 0,
    });
    h.keys("draft<C-c>");
    assert!(h.app.draft().is_empty(), "Ctrl+C clears the draft");
    assert!(!h.app.should_quit());
    h.keys("<C-c>");
    assert!(!h.app.should_quit());
    assert!(h.screen_contains("press Ctrl+C again to quit"));
    h.keys("<C-c>");
    assert!(h.app.should_quit());
    assert_eq!(h.take_ops(), [Op::Shutdown]);
}

#[test]
fn ctrl_d_quits_only_on_an_empty_draft() {
    let mut h = Harness::new(80, 24);
    h.keys("ab<Left><C-d>");
    assert!(!h.app.should_quit());
    assert_eq!(h.app.draft(), "a");
    h.keys("<BS><C-d>");
    assert!(h.app.should_quit());
}

#[test]
fn up_recalls_prompts_from_the_core_and_this_session() {
    let mut h = Harness::new(80, 24);
    h.event(Event::PromptHistory {
        prompts: vec!["older prompt".into()],
    });
    h.keys("newer<Enter>");
    h.event(done());
    h.keys("<Up>");
    assert_eq!(h.app.draft(), "newer");
    h.keys("<Up>");
    assert_eq!(h.app.draft(), "older prompt");
    h.keys("<C-c><C-r>old");
    assert_eq!(h.app.draft(), "older prompt");
}

#[test]
fn copy_uses_the_last_reply_or_its_code_block() {
    let mut h = Harness::new(80, 24);
    h.keys("q<Enter>");
    h.event(Event::TextDelta {
        text: "Run:\n\n```sh\ncargo test\n```\n\nthen\n\n```\nls\n```".into(),
    });
    h.event(done());
    h.app.take_actions();
    h.keys("/copy 1<Enter>");
    assert_eq!(
        h.app.take_actions(),
        [HostAction::Copy("cargo test\n".into())]
    );
    h.keys("/copy<Enter>");
    let actions = h.app.take_actions();
    assert!(matches!(&actions[..], [HostAction::Copy(t)] if t.starts_with("Run:")));
    h.keys("/copy 3<Enter>");
    assert!(h.app.take_actions().is_empty());
    assert!(h.screen_contains("the last reply has 2 code blocks"));
}

#[test]
fn model_and_tool_text_cannot_reach_the_terminal_as_escapes() {
    let mut h = Harness::new(80, 24);
    h.keys("x<Enter>");
    h.event(Event::TextDelta {
        text: "safe\u{1b}]52;c;cHduZWQ=\u{7} \u{1b}[2Jtext\u{1b}[31m red".into(),
    });
    h.event(Event::ToolCallBegin {
        id: "t".into(),
        name: "bash\u{1b}[H".into(),
        arguments: serde_json::json!({"command": "printf '\\033[2J'"}),
    });
    h.event(Event::ToolCallEnd {
        id: "t".into(),
        output: "\u{1b}]0;title\u{7}out\u{1b}[0m".into(),
        is_error: false,
    });
    let buf = h.terminal.backend().buffer().clone();
    h.screen();
    let buf2 = h.terminal.backend().buffer();
    assert_ne!(&buf, buf2);
    for cell in buf2.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "control character {:?} reached the screen",
            cell.symbol()
        );
    }
    assert!(h.screen_contains("safe text red"));
    assert!(h.screen_contains("│ out"));
}

#[test]
fn scrolling_pages_in_older_history_on_demand() {
    let mut h = Harness::new(80, 24);
    let id: ConversationId = "0190a0b0-0000-7000-8000-000000000003".parse().unwrap();
    h.event(Event::SessionConfigured {
        conversation_id: id,
        agent: "general".into(),
        model: None,
        message_count: 150,
    });
    assert_eq!(
        h.take_ops(),
        [Op::LoadHistory {
            before: 150,
            limit: 100
        }]
    );
    let page = |start: usize, end: usize| Event::HistoryPage {
        conversation_id: id,
        start,
        total: 150,
        messages: (start..end)
            .map(|i| history_message(harness::message::Role::User, format!("message {i}")))
            .collect(),
    };
    h.event(page(50, 150));
    assert!(h.screen_contains("message 149"));
    // Scroll far up: the view nears the oldest loaded message and asks for the page before it.
    for _ in 0..10 {
        h.keys("<PgUp>");
        h.screen();
    }
    assert_eq!(
        h.take_ops(),
        [Op::LoadHistory {
            before: 50,
            limit: 100
        }]
    );
    let before = h.screen();
    h.event(page(0, 50));
    assert_eq!(h.screen(), before, "prepending keeps the view still");
    h.keys("<C-Home>");
    assert!(h.screen_contains("message 0"));
    h.keys("<C-End>");
    assert!(h.screen_contains("message 149"));
}

#[test]
fn history_browser_opens_deletes_and_restores() {
    let mut h = Harness::new(100, 30);
    h.keys("/resume<Enter>");
    assert!(matches!(&h.take_ops()[..], [Op::ListConversations { .. }]));
    let id = ConversationId(uuid::Uuid::from_u128(7));
    let summary = harness::message::ConversationSummary {
        id,
        title: "Found it".into(),
        agent: "general".into(),
        model: None,
        created_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
        updated_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
        message_count: 3,
        deleted: false,
    };
    h.keys("/fo");
    let ops = h.take_ops();
    assert_eq!(
        ops.last(),
        Some(&Op::ListConversations {
            query: Some("fo".into()),
            offset: 0,
            limit: 50,
            include_deleted: false
        })
    );
    h.event(Event::ConversationList {
        query: Some("fo".into()),
        offset: 0,
        total: 1,
        conversations: vec![summary],
    });
    h.keys("<Enter>d");
    assert_eq!(
        h.take_ops(),
        [Op::DeleteConversation {
            conversation_id: id
        }]
    );
    h.event(Event::ConversationDeleted {
        conversation_id: id,
        deleted: true,
    });
    assert!(h.screen_contains("Found it (deleted)"));
    h.keys("u");
    assert_eq!(
        h.take_ops(),
        [Op::RestoreConversation {
            conversation_id: id
        }]
    );
    h.keys("<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::Resume {
            conversation_id: id
        }]
    );
}

#[test]
fn no_color_theme_renders_without_colours() {
    let mut config = test_config();
    config.theme = harness::tui::theme::Theme::load("dark", None, true).unwrap();
    let mut h = Harness::with_config(80, 24, config);
    h.keys("hi<Enter>");
    h.event(Event::Error {
        message: "boom".into(),
        retryable: false,
    });
    h.screen();
    for cell in h.terminal.backend().buffer().content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{:?}", cell.symbol());
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

#[test]
fn tiny_and_odd_sizes_never_panic() {
    let scripts: Vec<(&str, Vec<Event>)> = vec![
        ("", vec![]),
        ("/", vec![]),
        ("/status<Enter>", vec![]),
        ("/model<Enter>", vec![]),
        ("/history<Enter>", vec![]),
        (
            "x<Enter>",
            vec![
                Event::ToolCallBegin {
                    id: "c".into(),
                    name: "bash".into(),
                    arguments: serde_json::json!({"command": "ls"}),
                },
                Event::ApprovalRequest {
                    call_id: "c".into(),
                    tool: "bash".into(),
                    preview: (0..50).map(|i| format!("line {i}\n")).collect(),
                    prefix: None,
                    subagent: None,
                },
            ],
        ),
    ];
    for (w, h) in [
        (1, 1),
        (5, 3),
        (12, 4),
        (20, 6),
        (20, 8),
        (24, 9),
        (30, 12),
        (200, 8),
    ] {
        for (script, events) in &scripts {
            let mut harness = Harness::new(w, h);
            harness.keys(script);
            harness.events(events.clone());
            harness.event(Event::TextDelta {
                text: "漢字 and a long line ".repeat(20),
            });
            harness.screen();
        }
    }
}
