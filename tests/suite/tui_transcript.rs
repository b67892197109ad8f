//! Transcript rough edges (issue 13), on the TUI harness: a reply's soft line breaks, the
//! composer wrapping long lines, the tool-output pager, the badge of an interrupted reply and
//! of a reply whose provider reported its cost.

use super::tui_harness::{Harness, history_message, test_config};
use harness::message::{ConversationId, MessageStatus, Role, ToolCall, Usage};
use harness::protocol::Event;
use ratatui::style::Modifier;

fn conversation_id() -> ConversationId {
    "0190a0b0-0000-7000-8000-000000000013".parse().unwrap()
}

fn done(status: MessageStatus, usage: Usage) -> Event {
    Event::TurnComplete {
        conversation_id: conversation_id(),
        status,
        usage,
        unsaved: 0,
    }
}

/// Where the composer's cursor is drawn (the one reversed cell), as (column, row).
fn cursor(h: &mut Harness) -> (u16, u16) {
    h.frame();
    let buf = h.terminal.backend().buffer();
    let mut found = Vec::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            if buf[(x, y)].modifier.contains(Modifier::REVERSED) {
                found.push((x, y));
            }
        }
    }
    assert_eq!(found.len(), 1, "one cursor cell: {found:?}");
    found[0]
}

fn route() -> Event {
    Event::RouteChosen {
        model: "openrouter/anthropic/claude-haiku-4.5".into(),
        reason: "coding-simple".into(),
    }
}

/// A reply that breaks its lines inside paragraphs, a list item and a quote: the breaks are
/// kept (rendered as line breaks), the list keeps its hanging indent, the table and the code
/// block are untouched.
#[test]
fn soft_line_breaks_in_a_reply_are_kept() {
    let mut h = Harness::new(60, 30);
    h.keys("Write me a short poem<Enter>");
    h.event(route());
    let reply = "Roses are red,\nviolets are blue,\nthis line is long enough that it has to wrap at sixty columns.\n\n- an item\n  that continues\n\n> a quote\n> on two lines\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n  stays\n```";
    h.event(Event::TextDelta { text: reply.into() });
    h.event(done(
        MessageStatus::Complete,
        Usage {
            input_tokens: 20,
            output_tokens: 40,
            ..Usage::default()
        },
    ));
    insta::assert_snapshot!("soft_breaks_60x30", h.frame());
}

const LONG: &str = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda";

/// A line longer than the composer wraps by word at 40 columns; the cursor moves over the
/// wrapped rows with Up/Down/Home/End and stays where it is drawn.
#[test]
fn the_composer_wraps_long_lines_and_moves_over_rows() {
    let mut h = Harness::new(40, 16);
    h.frame();
    h.keys(LONG);
    insta::assert_snapshot!("composer_wrapped_40x16", h.frame());
    // Rows: "alpha … eta " (40 columns with its space) and "theta iota kappa lambda".
    let (_, second) = cursor(&mut h);
    assert_eq!(cursor(&mut h), (23, second), "after the last char");
    let first = second - 1;
    let steps: &[(&str, (u16, u16))] = &[
        ("<Up>", (23, first)),
        ("<Home>", (0, first)),
        ("<End>", (39, first)),
        ("<Down>", (23, second)),
        ("<Home>", (0, second)),
        ("<Left>", (39, first)),
        ("<Right>", (0, second)),
        ("<End>", (23, second)),
        ("<Up><Up>", (23, first)),
    ];
    for (keys, want) in steps {
        h.keys(keys);
        assert_eq!(cursor(&mut h), *want, "after {keys}");
    }
    // Typing where the cursor is drawn puts the text there.
    h.keys("<Home>X");
    assert!(h.app.draft().starts_with("Xalpha"));
}

/// The composer grows with the wrapped rows up to its maximum (10 rows), then scrolls so the
/// cursor's row stays in view.
#[test]
fn the_composer_grows_to_its_maximum_then_scrolls() {
    let mut h = Harness::new(40, 24);
    h.frame();
    h.keys(&format!("{LONG} {LONG} {LONG}"));
    insta::assert_snapshot!("composer_grown_40x24", h.frame());
    let text = (0..8).map(|_| LONG).collect::<Vec<_>>().join(" ");
    h.keys(&format!(" {text}"));
    insta::assert_snapshot!("composer_scrolled_40x24", h.frame());
    // Back to the top: the view follows the cursor up, keeping its column (6, after the
    // last "lambda").
    for _ in 0..30 {
        h.keys("<Up>");
    }
    let (x, y) = cursor(&mut h);
    assert_eq!(x, 6);
    assert_eq!(
        h.screen()[usize::from(y)],
        "alpha beta gamma delta epsilon zeta eta",
        "the first row is in view"
    );
}

fn tool_call(h: &mut Harness, id: &str, command: &str, output: &str) {
    h.event(Event::ToolCallBegin {
        id: id.into(),
        name: "bash".into(),
        arguments: serde_json::json!({ "command": command }),
    });
    h.event(Event::ToolCallEnd {
        id: id.into(),
        output: output.into(),
        is_error: false,
    });
}

fn numbers(n: usize) -> String {
    (1..=n)
        .map(|i| format!("line {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Ctrl+O shows the latest tool call's whole output (the cell shows its last 6 lines) in a
/// pager that scrolls; Left goes to the call before; Esc closes it.
#[test]
fn ctrl_o_pages_the_whole_tool_output() {
    let mut h = Harness::new(60, 20);
    h.keys("count<Enter>");
    h.event(route());
    tool_call(&mut h, "c1", "echo first", "first call output");
    tool_call(&mut h, "c2", "seq 40", &numbers(40));
    assert!(!h.screen_contains("line 1\n"));
    h.keys("<C-o>");
    insta::assert_snapshot!("tool_output_pager_60x20", h.frame());
    h.keys("<PgDn><Down>");
    insta::assert_snapshot!("tool_output_pager_scrolled_60x20", h.frame());
    h.keys("<End>");
    assert!(h.screen_contains("line 40"));
    h.keys("<Left>");
    assert!(h.screen_contains("first call output"), "{:?}", h.screen());
    assert!(h.screen_contains("call 1/2"));
    h.keys("<Esc>");
    assert!(!h.screen_contains("other calls"), "closed");
    // Keys go to the composer again.
    h.keys("x");
    assert_eq!(h.app.draft(), "x");
}

#[test]
fn ctrl_o_without_a_tool_call_says_so() {
    let mut h = Harness::new(60, 20);
    h.keys("<C-o>");
    assert!(
        h.screen_contains("no tool call to show yet"),
        "{:?}",
        h.screen()
    );
}

/// After a resume the cells carry the stored results: Ctrl+O shows them whole.
#[test]
fn ctrl_o_shows_stored_output_after_a_resume() {
    let mut h = Harness::new(60, 20);
    h.event(Event::SessionConfigured {
        conversation_id: conversation_id(),
        agent: "general".into(),
        model: None,
        message_count: 2,
    });
    let message = |role, text: &str| history_message(role, text);
    let mut call = message(Role::Assistant, "");
    call.model = Some("openai/gpt-5".into());
    call.tool_calls = vec![ToolCall {
        id: "c9".into(),
        name: "bash".into(),
        arguments: serde_json::json!({"command": "seq 40"}),
    }];
    let mut result = message(Role::Tool, &numbers(40));
    result.tool_call_id = Some("c9".into());
    h.event(Event::HistoryPage {
        conversation_id: conversation_id(),
        start: 0,
        total: 2,
        messages: vec![call, result],
    });
    h.keys("<C-o>");
    let screen = h.screen().join("\n");
    assert!(screen.contains("bash seq 40"), "{screen}");
    assert!(screen.contains("line 1 "), "{screen}");
}

/// Inline mode: the tool cell went to the terminal's scrollback, the pager still shows it.
#[test]
fn ctrl_o_works_in_inline_mode() {
    let mut config = test_config();
    config.inline = true;
    let mut h = Harness::with_config(60, 20, config);
    h.keys("count<Enter>");
    h.event(route());
    tool_call(&mut h, "c1", "seq 40", &numbers(40));
    h.event(done(MessageStatus::Complete, Usage::default()));
    assert!(
        !h.app.take_scrollback(60).is_empty(),
        "the cells were written out"
    );
    h.keys("<C-o>");
    assert!(h.screen_contains("line 1"), "{:?}", h.screen());
    assert!(h.screen_contains("call 1/1"));
}

/// An interrupted reply's badge: its token count, marked `~` when it is our estimate.
#[test]
fn an_interrupted_replys_badge_shows_its_estimated_tokens() {
    let mut h = Harness::new(60, 12);
    h.keys("tell me a long story<Enter>");
    h.event(route());
    h.event(Event::TextDelta {
        text: "Once upon a time, far away".into(),
    });
    h.keys("<Esc>");
    h.event(done(
        MessageStatus::Cancelled,
        Usage {
            input_tokens: 1_480,
            output_tokens: 7,
            estimated: true,
            ..Usage::default()
        },
    ));
    insta::assert_snapshot!("interrupted_badge_60x12", h.frame());
}

/// The provider's reported cost shows in the reply's badge.
#[test]
fn a_reported_cost_shows_in_the_badge() {
    let mut h = Harness::new(60, 12);
    h.keys("hi<Enter>");
    h.event(route());
    h.event(Event::TextDelta {
        text: "Olá! 👋".into(),
    });
    h.event(done(
        MessageStatus::Complete,
        Usage {
            input_tokens: 16,
            output_tokens: 18,
            cost_usd: Some(0.000106),
            ..Usage::default()
        },
    ));
    insta::assert_snapshot!("reported_cost_badge_60x12", h.frame());
}
