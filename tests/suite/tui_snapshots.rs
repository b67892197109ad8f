//! Snapshots of the TUI's screens (ratatui TestBackend) at 80x24 and 120x40.

use super::tui_harness::{Harness, history_message};
use harness::message::{ConversationId, ConversationSummary, Role, ToolCall, Usage};
use harness::protocol::{Event, HistoryMessage, Op};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn conversation_id() -> ConversationId {
    "0190a0b0-0000-7000-8000-000000000001".parse().unwrap()
}

fn snapshot_both(name: &str, setup: impl Fn(&mut Harness)) {
    for (w, h) in SIZES {
        let mut harness = Harness::new(w, h);
        setup(&mut harness);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), harness.frame());
    }
}

fn route() -> Event {
    Event::RouteChosen {
        model: "anthropic/claude-sonnet-4-6".into(),
        reason: "coding-moderate".into(),
    }
}

#[test]
fn empty_screen() {
    snapshot_both("empty", |_| {});
}

#[test]
fn streaming_reply() {
    snapshot_both("streaming", |h| {
        h.keys("How do I read a file in Rust?<Enter>");
        h.event(route());
        let reply = "Use `std::fs::read_to_string`:\n\n```rust\nlet text = std::fs::read_to_string(\"notes.txt\")?;\n```\n\nIt returns an `io::Result<String>`, so the `?` passes errors up to the cal";
        for chunk in reply.as_bytes().chunks(7) {
            h.event(Event::TextDelta {
                text: String::from_utf8_lossy(chunk).into_owned(),
            });
        }
    });
}

fn markdown_page() -> Vec<Event> {
    let text = "## Plan\n\nThree steps, **in order**:\n\n1. Parse the input with `serde_json`.\n2. Validate every field.\n3. Write the result.\n\n```rust\nfn main() -> anyhow::Result<()> {\n    let value: serde_json::Value = serde_json::from_str(\"{}\")?;\n    println!(\"{value}\");\n    Ok(())\n}\n```\n\n> Keep errors one line long.\n\n| step | file |\n|------|------|\n| parse | src/parse.rs |\n| write | src/write.rs |";
    vec![
        Event::SessionConfigured {
            conversation_id: conversation_id(),
            agent: "coder".into(),
            model: None,
            message_count: 2,
        },
        Event::HistoryPage {
            conversation_id: conversation_id(),
            start: 0,
            total: 2,
            messages: vec![
                history_message(Role::User, "Plan the JSON tool"),
                HistoryMessage {
                    reasoning: Some("The user wants a plan.".into()),
                    model: Some("anthropic/claude-opus-4-6".into()),
                    ..history_message(Role::Assistant, text)
                },
            ],
        },
    ]
}

#[test]
fn markdown_with_code() {
    snapshot_both("markdown", |h| {
        h.events(markdown_page());
        assert_eq!(
            h.take_ops(),
            [Op::LoadHistory {
                before: 2,
                limit: harness::tui::app::HISTORY_PAGE
            }]
        );
    });
}

#[test]
fn tool_call_awaiting_approval() {
    snapshot_both("approval", |h| {
        h.keys("Fix the failing test<Enter>");
        h.event(route());
        h.event(Event::TextDelta {
            text: "I'll patch the assertion.".into(),
        });
        let call = ToolCall {
            id: "call_1".into(),
            name: "edit".into(),
            arguments: serde_json::json!({"path": "src/lib.rs", "old": "2", "new": "4"}),
        };
        h.event(Event::tool_call(&call));
        h.event(Event::ApprovalRequest {
            call_id: "call_1".into(),
            tool: "edit".into(),
            preview: "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n fn two() -> u32 {\n-    2\n+    4\n }".into(),
            prefix: None,
            subagent: None,
        });
        // Drawn, then left alone long enough to take keys.
        h.frame();
        h.wait(1_000);
    });
}

#[test]
fn bash_approval_offers_the_prefix() {
    snapshot_both("approval_prefix", |h| {
        h.keys("Run the tests<Enter>");
        h.event(route());
        let call = ToolCall {
            id: "call_2".into(),
            name: "bash".into(),
            arguments: serde_json::json!({"command": "cargo test -q --workspace"}),
        };
        h.event(Event::tool_call(&call));
        h.event(Event::ApprovalRequest {
            call_id: "call_2".into(),
            tool: "bash".into(),
            preview: "cargo test -q --workspace".into(),
            prefix: Some("cargo test:*".into()),
            subagent: None,
        });
        h.frame();
        h.wait(1_000);
    });
}

#[test]
fn large_paste_is_collapsed_in_the_composer() {
    snapshot_both("collapsed_paste", |h| {
        h.keys("Here is the log: ");
        let log: String = (0..120)
            .map(|i| format!("test case {i} ... ok\n"))
            .collect();
        h.paste(&log);
        h.keys(" which one is slow?");
    });
}

#[test]
fn huge_message_asks_before_sending() {
    snapshot_both("confirm_send", |h| {
        h.paste(&"0123456789abcdef\n".repeat(72_000));
        h.keys("<Enter>");
    });
    snapshot_both("confirm_overflow", |h| {
        h.event(Event::SessionStats {
            context_tokens: 7_900,
            context_window: Some(8_000),
            cost_usd: None,
            sandbox: "host".into(),
            today_usd: None,
            daily_budget_usd: None,
        });
        h.paste(&"word ".repeat(600));
        h.keys("<Enter>");
    });
}

#[test]
fn pasted_controls_are_visible_in_the_composer_and_the_transcript() {
    snapshot_both("visible_controls", |h| {
        h.paste("colour \u{1b}[31mred\u{1b}[0m, title \u{1b}]0;pwned\u{7}, bidi \u{202e}txt.exe");
        h.keys("<Enter>");
        h.paste("still \u{9b}2J here");
    });
}

#[test]
fn slash_popup() {
    snapshot_both("slash_popup", |h| h.keys("/"));
    snapshot_both("slash_popup_model_args", |h| h.keys("/model o"));
}

fn conversations() -> Vec<ConversationSummary> {
    let base = chrono::DateTime::from_timestamp(1_760_000_000, 0).unwrap();
    let titles = [
        (
            "Refactor the store layer",
            "coder",
            Some("anthropic/claude-opus-4-6"),
            42,
            false,
        ),
        ("Why is CI slow?", "general", None, 8, false),
        (
            "Draft release notes",
            "general",
            Some("openai/gpt-5"),
            12,
            true,
        ),
        ("Sandbox network policy", "coder", None, 30, false),
    ];
    titles
        .iter()
        .enumerate()
        .map(
            |(i, (title, agent, model, count, deleted))| ConversationSummary {
                id: ConversationId(uuid::Uuid::from_u128(i as u128 + 1)),
                title: title.to_string(),
                agent: agent.to_string(),
                model: model.map(str::to_string),
                created_at: base,
                updated_at: base - chrono::Duration::hours(i as i64 * 5),
                message_count: *count,
                deleted: *deleted,
            },
        )
        .collect()
}

#[test]
fn history_browser() {
    snapshot_both("history", |h| {
        h.keys("/history<Enter>");
        assert_eq!(
            h.take_ops(),
            [Op::ListConversations {
                query: None,
                offset: 0,
                limit: 50,
                include_deleted: false
            }]
        );
        h.event(Event::ConversationList {
            query: None,
            offset: 0,
            total: 4,
            conversations: conversations(),
        });
        h.keys("<Down>");
    });
}

#[test]
fn status_panel() {
    snapshot_both("status", |h| {
        h.event(Event::SessionConfigured {
            conversation_id: conversation_id(),
            agent: "general".into(),
            model: None,
            message_count: 0,
        });
        h.event(route());
        h.event(Event::Usage {
            usage: Usage {
                input_tokens: 12_400,
                output_tokens: 900,
                cached_input_tokens: 8_000,
                ..Usage::default()
            },
        });
        h.event(Event::SessionStats {
            context_tokens: 13_300,
            context_window: Some(200_000),
            cost_usd: Some(0.0421),
            sandbox: "docker".into(),
            today_usd: None,
            daily_budget_usd: None,
        });
        h.keys("/status<Enter>");
    });
}

#[test]
fn error_cells_and_inline_errors() {
    snapshot_both("error", |h| {
        h.keys("hello<Enter>");
        h.event(route());
        h.event(Event::Error {
            message:
                "anthropic: 401 Unauthorized: the API key was rejected; check ANTHROPIC_API_KEY"
                    .into(),
            retryable: false,
        });
        h.keys("/modle opus<Enter>");
    });
}

/// First run without a provider: the first screen explains the ways in.
#[test]
fn first_screen_without_a_provider() {
    for (w, h) in SIZES {
        let config = harness::tui::AppConfig {
            setup_guidance: Some(harness::config::env_providers::no_provider_lines(
                std::path::Path::new("/home/ada/.config/harness/config.toml"),
            )),
            ..super::tui_harness::test_config()
        };
        let mut harness = Harness::with_config(w, h, config);
        insta::assert_snapshot!(format!("no_provider_{w}x{h}"), harness.frame());
    }
}

/// A provider from the environment: the status line says where it came from.
#[test]
fn status_line_names_the_providers_origin() {
    for (w, h) in SIZES {
        let config = harness::tui::AppConfig {
            providers: vec![("anthropic".into(), "from ANTHROPIC_API_KEY".into())],
            ..super::tui_harness::test_config()
        };
        let mut harness = Harness::with_config(w, h, config);
        harness.keys("hi<Enter>");
        harness.event(route());
        harness.event(Event::TextDelta {
            text: "Hello.".into(),
        });
        insta::assert_snapshot!(format!("provider_origin_{w}x{h}"), harness.frame());
    }
}

#[test]
fn cost_undo_and_the_budget_in_the_status_line() {
    use harness::protocol::CostTotals;
    snapshot_both("cost_undo_budget", |h| {
        h.event(Event::SessionStats {
            context_tokens: 1200,
            context_window: Some(200_000),
            cost_usd: Some(0.42),
            sandbox: "docker".into(),
            today_usd: Some(1.2),
            daily_budget_usd: Some(5.0),
        });
        let totals = |requests, cost| CostTotals {
            requests,
            input_tokens: requests * 1000,
            output_tokens: requests * 200,
            cached_input_tokens: 0,
            cost_usd: cost,
            unknown_cost_requests: if cost.is_none() { requests } else { 0 },
        };
        h.event(Event::Cost {
            conversation: totals(3, Some(0.42)),
            today: totals(9, Some(1.2)),
            month: totals(40, None),
            daily_budget_usd: Some(5.0),
            monthly_budget_usd: None,
        });
        h.event(Event::WorkspaceRestored {
            conversation_id: conversation_id(),
            message_id: "0190a0b0-0000-7000-8000-0000000000aa".parse().unwrap(),
            rewound_messages: 0,
            restored: vec!["src/lib.rs".into()],
            removed: vec!["notes.tmp".into()],
            notes: vec![],
        });
    });
}
