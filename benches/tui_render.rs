//! One TUI frame of a 10,000-message conversation at 200x50 (target: under 2 ms).
//!
//! `warm`: the steady state (layouts cached, e.g. the status line ticks). `new_width`: every
//! frame at a new width, so each visible message is wrapped again (a resize; highlighting is
//! cached per block). `first_frame_uncached`: the first frame of a freshly loaded conversation,
//! nothing laid out or highlighted yet (`--continue`). `streaming`: one delta then a frame.
//! Run: `cargo bench --bench tui_render`.

use criterion::{Criterion, criterion_group, criterion_main};
use harness::message::{ConversationId, MessageStatus, Role};
use harness::protocol::{Event, HistoryMessage, Op};
use harness::tui::theme::Theme;
use harness::tui::{App, AppConfig};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use tokio::sync::mpsc;

const MESSAGES: usize = 10_000;

fn message(i: usize) -> HistoryMessage {
    let (role, text) = if i % 2 == 0 {
        (
            Role::User,
            format!("Question {i}: how should the parser handle input number {i}?"),
        )
    } else {
        (
            Role::Assistant,
            format!(
                "## Answer {i}\n\nParse it **incrementally** with `nom`, then validate:\n\n- keep errors one line\n- never panic on bad input\n\n```rust\nfn parse_{i}(input: &str) -> Result<Value, Error> {{\n    let value = serde_json::from_str(input)?;\n    Ok(value)\n}}\n```\n\nThat handles message {i} in constant memory."
            ),
        )
    };
    HistoryMessage {
        role,
        text,
        reasoning: None,
        tool_calls: vec![],
        tool_call_id: None,
        is_error: false,
        model: (role == Role::Assistant).then(|| "anthropic/claude-opus-4-6".to_string()),
        status: MessageStatus::Complete,
        route_reason: None,
        usage: None,
    }
}

fn loaded_app() -> (App, mpsc::Receiver<Op>, mpsc::Sender<Event>) {
    let (ops_tx, ops_rx) = mpsc::channel(16);
    let (events_tx, events_rx) = mpsc::channel(16);
    let config = AppConfig {
        theme: Theme::built_in("dark").expect("built-in theme"),
        ..AppConfig::default()
    };
    let mut app = App::new(ops_tx, events_rx, config);
    let id = ConversationId::new();
    app.handle_event(Event::SessionConfigured {
        conversation_id: id,
        agent: "general".into(),
        model: None,
        message_count: MESSAGES,
    });
    app.handle_event(Event::HistoryPage {
        conversation_id: id,
        start: 0,
        total: MESSAGES,
        messages: (0..MESSAGES).map(message).collect(),
    });
    (app, ops_rx, events_tx)
}

fn render(c: &mut Criterion) {
    let (mut app, _ops, _events) = loaded_app();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test terminal");
    c.bench_function("tui_frame_10k_messages_200x50_warm", |b| {
        b.iter(|| {
            terminal.draw(|f| app.render(f)).expect("draw");
            black_box(terminal.backend());
        })
    });

    let (mut app, _ops2, _events2) = loaded_app();
    let mut wide = Terminal::new(TestBackend::new(200, 50)).expect("test terminal");
    let mut narrow = Terminal::new(TestBackend::new(199, 50)).expect("test terminal");
    let mut flip = false;
    c.bench_function("tui_frame_10k_messages_200x50_new_width", |b| {
        b.iter(|| {
            flip = !flip;
            let t = if flip { &mut wide } else { &mut narrow };
            t.draw(|f| app.render(f)).expect("draw");
        })
    });

    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test terminal");
    c.bench_function("tui_first_frame_10k_messages_200x50_uncached", |b| {
        b.iter_batched(
            || {
                harness::tui::highlight::clear_cache();
                loaded_app()
            },
            |(mut app, ops, events)| {
                terminal.draw(|f| app.render(f)).expect("draw");
                // Returned so dropping 10,000 messages is not timed.
                (app, ops, events)
            },
            criterion::BatchSize::LargeInput,
        )
    });
}

/// A frame while a long reply streams: one delta applied, then a frame, with ~2,000 lines of
/// the reply already on screen above (the per-frame cost of following a stream).
fn streaming(c: &mut Criterion) {
    let (mut app, _ops, _events) = loaded_app();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test terminal");
    app.handle_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('q'),
    ));
    app.handle_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Enter,
    ));
    for i in 0..1_000 {
        app.handle_event(Event::TextDelta {
            text: format!("Paragraph {i} of a long answer, with `code` and **bold** words.\n\n"),
        });
    }
    terminal.draw(|f| app.render(f)).expect("draw");
    let mut i = 0u64;
    c.bench_function(
        "tui_frame_streaming_delta_into_2000_line_reply_200x50",
        |b| {
            b.iter(|| {
                i += 1;
                let text = if i % 50 == 0 {
                    "\n\n".to_string()
                } else {
                    format!("word{i} ")
                };
                app.handle_event(Event::TextDelta { text });
                terminal.draw(|f| app.render(f)).expect("draw");
            })
        },
    );
}

criterion_group!(benches, render, streaming);
criterion_main!(benches);
