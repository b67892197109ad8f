//! What the user puts in the composer: pasted controls are shown, never sent to the terminal;
//! a paste is text (its newlines never send); large pastes collapse to an atomic token; a
//! huge message asks before it is sent. Also: escape sequences split across streamed deltas
//! are still removed whole.

use super::tui_harness::{Harness, history_message};
use harness::message::{ConversationId, MessageStatus, Role};
use harness::protocol::{Event, Op};

/// Every cell on screen is free of control characters and bidi overrides.
fn assert_screen_is_inert(h: &mut Harness) {
    h.screen();
    for cell in h.terminal.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(harness::sanitize::is_unsafe),
            "{:?} reached the screen",
            cell.symbol()
        );
    }
}

fn lines(n: usize) -> String {
    (0..n).map(|i| format!("log line {i}\n")).collect()
}

#[test]
fn pasted_controls_show_as_placeholders_and_a_pasted_newline_never_sends() {
    let mut h = Harness::new(100, 30);
    h.paste("red \u{1b}[31mtext\u{1b}[0m\r\nclip \u{1b}]52;c;aGk=\u{7} \u{202e}exe.txt \u{9b}2J\n");
    assert!(
        h.take_ops().is_empty(),
        "a paste is text, its newline does not send"
    );
    let want = "red ␛[31mtext␛[0m\nclip ␛]52;c;aGk=␇ <U+202E>exe.txt <U+009B>2J\n";
    assert_eq!(h.app.draft(), want);
    assert!(h.screen_contains("red ␛[31mtext␛[0m"));
    assert!(h.screen_contains("clip ␛]52;c;aGk=␇ <U+202E>exe.txt <U+009B>2J"));
    assert_screen_is_inert(&mut h);
    h.keys("<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn { text: want.into() }],
        "what was shown is what is sent"
    );
    assert!(
        h.screen_contains("› red ␛[31mtext␛[0m"),
        "the user cell shows them too"
    );
    assert_screen_is_inert(&mut h);
}

#[test]
fn recalled_and_stored_prompts_show_their_controls() {
    let mut h = Harness::new(100, 30);
    h.event(Event::PromptHistory {
        prompts: vec!["title \u{1b}]0;x\u{7} done".into(), "bell\u{7}".into()],
    });
    h.keys("<Up>");
    assert_eq!(h.app.draft(), "bell␇");
    h.keys("<Up>");
    assert_eq!(h.app.draft(), "title ␛]0;x␇ done");
    h.keys("<C-c><C-r>title");
    assert_eq!(h.app.draft(), "title ␛]0;x␇ done");
    assert_screen_is_inert(&mut h);
    h.keys("<Esc><C-c>");

    let id: ConversationId = "0190a0b0-0000-7000-8000-000000000005".parse().unwrap();
    h.event(Event::SessionConfigured {
        conversation_id: id,
        agent: "general".into(),
        model: None,
        message_count: 1,
    });
    h.event(Event::HistoryPage {
        conversation_id: id,
        start: 0,
        total: 1,
        messages: vec![history_message(
            Role::User,
            "stored \u{1b}[2J\u{2066}prompt",
        )],
    });
    assert!(h.screen_contains("› stored ␛[2J<U+2066>prompt"));
    assert_screen_is_inert(&mut h);
}

#[test]
fn sequences_split_across_streamed_deltas_are_removed_whole() {
    let mut h = Harness::new(100, 30);
    h.keys("go<Enter>");
    // Reasoning shows collapsed as a word count: a title left half-stripped adds words.
    for delta in [
        "before \u{1b}]0;a",
        " long title\u{7}",
        " after\u{1b}[3",
        "1m",
    ] {
        h.event(Event::ReasoningDelta { text: delta.into() });
    }
    for delta in ["reply \u{1b}[3", "1mred\u{1b}", "]0;ti", "tle\u{7} done"] {
        h.event(Event::TextDelta { text: delta.into() });
    }
    h.event(Event::ToolCallBegin {
        id: "t".into(),
        name: "bash".into(),
        arguments: serde_json::json!({"command": "ls"}),
    });
    for chunk in ["out \u{1b}[3", "1mred\u{1b}", "]0;ti", "tle\u{7} end"] {
        h.event(Event::ToolOutputDelta {
            id: "t".into(),
            chunk: chunk.into(),
        });
    }
    let screen = h.screen().join("\n");
    assert!(screen.contains("thinking (2 words)"), "{screen}");
    assert!(screen.contains("reply red done"), "{screen}");
    assert!(screen.contains("out red end"), "{screen}");
    assert!(
        !screen.contains("1m") && !screen.contains("tle"),
        "{screen}"
    );
    assert_screen_is_inert(&mut h);
}

#[test]
fn a_large_paste_collapses_and_is_sent_whole() {
    let mut h = Harness::new(100, 30);
    h.keys("see: ");
    h.paste(&lines(120));
    h.keys(" thanks");
    assert!(h.screen_contains("see: [pasted 120 lines] thanks"));
    assert_eq!(h.app.draft(), format!("see: {} thanks", lines(120)));
    h.keys("<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: format!("see: {} thanks", lines(120))
        }]
    );
    assert!(h.app.draft().is_empty());
}

#[test]
fn a_collapsed_paste_is_one_unit_for_editing() {
    let mut h = Harness::new(100, 30);
    let big = "z".repeat(5_000);
    h.keys("a");
    h.paste(&big);
    h.keys("b");
    assert!(h.screen_contains("a[pasted 5000 chars]b"));
    // Left from after the token jumps over it whole; typing there goes before it.
    h.keys("<Left><Left>x");
    assert_eq!(h.app.draft(), format!("ax{big}b"));
    h.keys("<Right>y");
    assert_eq!(h.app.draft(), format!("ax{big}yb"));
    // Backspace right after it removes it whole, and so does Delete right before it.
    h.keys("<BS>");
    assert_eq!(h.app.draft(), format!("ax{big}b"));
    h.keys("<BS>");
    assert_eq!(h.app.draft(), "axb");
    h.paste(&big);
    h.keys("<Left><Del>");
    assert_eq!(h.app.draft(), "axb", "{:?}", h.screen());
    // Word erases take it whole too, across the blanks before or after it.
    h.keys("<End>");
    h.paste(&big);
    h.keys("  <C-w>");
    assert_eq!(h.app.draft(), "axb");
    h.keys("<Left>");
    h.paste(&big);
    h.keys("<Left> <Left><A-d>");
    assert_eq!(h.app.draft(), "axb", "{:?}", h.screen());
    // Two pastes of the same size stay apart.
    h.paste(&lines(30));
    h.paste(&lines(30));
    assert!(h.screen_contains("[pasted 30 lines][pasted 30 lines #2]"));
    assert_eq!(h.app.draft(), format!("ax{}{}b", lines(30), lines(30)));
}

#[test]
fn a_huge_message_asks_first_and_no_keeps_the_draft() {
    let mut h = Harness::new(100, 30);
    let huge = "0123456789abcdef\n".repeat(72_000);
    h.paste(&huge);
    h.keys("<Enter>");
    assert!(h.take_ops().is_empty());
    assert!(h.screen_contains("send 1.2 MB (~306k tokens)?"));
    h.keys("x<Enter>");
    assert!(h.take_ops().is_empty(), "only y sends");
    h.keys("n");
    assert!(!h.screen_contains("send 1.2 MB"));
    assert_eq!(h.app.draft(), huge, "n keeps the draft");
    h.keys("<Enter><Esc>");
    assert!(h.take_ops().is_empty());
    assert_eq!(h.app.draft(), huge, "Esc keeps the draft");
    h.keys("<Enter>y");
    assert_eq!(h.take_ops(), [Op::UserTurn { text: huge }]);
    assert!(h.app.draft().is_empty());
}

#[test]
fn a_message_that_overflows_the_context_window_asks_first() {
    let mut h = Harness::new(100, 30);
    h.event(Event::SessionStats {
        context_tokens: 7_000,
        context_window: Some(8_000),
        cost_usd: None,
        sandbox: "host".into(),
        today_usd: None,
        daily_budget_usd: None,
    });
    h.keys("short question<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: "short question".into()
        }]
    );
    h.event(Event::TurnComplete {
        conversation_id: "0190a0b0-0000-7000-8000-000000000006".parse().unwrap(),
        status: MessageStatus::Complete,
        usage: Default::default(),
        unsaved: 0,
    });
    let text = "word ".repeat(1_000);
    h.paste(&text);
    h.keys("<Enter>");
    assert!(h.take_ops().is_empty());
    assert!(h.screen_contains("too big for the context window: ~7k in use + ~1.2k > 8k"));
    h.keys("y");
    assert_eq!(h.take_ops(), [Op::UserTurn { text }]);
}
