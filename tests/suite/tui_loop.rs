//! The real run loop (`run_app`) on channels: a scripted fake core answers Ops with Events,
//! keys arrive on a stream, and a counting backend shows that frames are coalesced (never one
//! per token) and that the final state reaches the screen.

use super::tui_harness::{parse_script, test_config};
use crossterm::event::Event as TermEvent;
use harness::message::{ConversationId, MessageStatus, Usage};
use harness::protocol::{Event, Op};
use harness::tui::event::{Host, InputStream};
use harness::tui::{App, HostAction, run_app};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// TestBackend that counts frames (flushes).
struct CountingBackend {
    inner: TestBackend,
    frames: Arc<AtomicUsize>,
}

impl Backend for CountingBackend {
    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(&mut self, content: I) -> io::Result<()> {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> io::Result<()> {
        self.frames.fetch_add(1, Ordering::SeqCst);
        self.inner.flush()
    }
}

struct ScriptHost {
    input: InputStream,
    actions: Vec<HostAction>,
}

impl Host<CountingBackend> for ScriptHost {
    fn input(&mut self) -> &mut InputStream {
        &mut self.input
    }
    fn perform(
        &mut self,
        _t: &mut Terminal<CountingBackend>,
        action: HostAction,
        _app: &mut App,
    ) -> io::Result<()> {
        self.actions.push(action);
        Ok(())
    }
}

fn key_events(script: &str) -> Vec<io::Result<TermEvent>> {
    parse_script(script)
        .into_iter()
        .map(|k| Ok(TermEvent::Key(k)))
        .collect()
}

#[tokio::test]
async fn a_burst_of_deltas_is_drawn_in_a_few_frames_and_ends_on_screen() {
    const DELTAS: usize = 5_000;
    let (ops_tx, mut ops_rx) = mpsc::channel::<Op>(64);
    let (events_tx, events_rx) = mpsc::channel::<Event>(DELTAS + 16);
    let (keys_tx, keys_rx) = futures::channel::mpsc::unbounded::<io::Result<TermEvent>>();
    let id: ConversationId = "0190a0b0-0000-7000-8000-000000000004".parse().unwrap();

    // The fake core: answers a user turn with a burst of deltas, then reports what it saw.
    let core = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(op) = ops_rx.recv().await {
            seen.push(op.clone());
            match op {
                Op::UserTurn { .. } => {
                    events_tx
                        .send(Event::RouteChosen {
                            model: "fake/model".into(),
                            reason: "test".into(),
                        })
                        .await
                        .unwrap();
                    for i in 0..DELTAS {
                        events_tx
                            .send(Event::TextDelta {
                                text: format!("w{i} "),
                            })
                            .await
                            .unwrap();
                    }
                    events_tx
                        .send(Event::TextDelta {
                            text: "THE-END".into(),
                        })
                        .await
                        .unwrap();
                    events_tx
                        .send(Event::TurnComplete {
                            conversation_id: id,
                            status: MessageStatus::Complete,
                            usage: Usage {
                                input_tokens: 10,
                                output_tokens: DELTAS as u64,
                                ..Usage::default()
                            },
                            unsaved: 0,
                        })
                        .await
                        .unwrap();
                }
                Op::Shutdown => break,
                _ => {}
            }
        }
        seen
    });

    let frames = Arc::new(AtomicUsize::new(0));
    let backend = CountingBackend {
        inner: TestBackend::new(80, 24),
        frames: frames.clone(),
    };
    let mut terminal = Terminal::new(backend).unwrap();
    let mut app = App::new(ops_tx, events_rx, test_config());
    let mut host = ScriptHost {
        input: Box::pin(keys_rx),
        actions: Vec::new(),
    };
    for k in key_events("tell me a story<Enter>") {
        keys_tx.unbounded_send(k).unwrap();
    }
    let driver = async {
        // Let the loop apply the burst and draw its last frame, then quit with Ctrl+C twice.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for k in key_events("<C-c><C-c>") {
            keys_tx.unbounded_send(k).unwrap();
        }
    };
    let (result, ()) = tokio::join!(run_app(&mut terminal, &mut app, &mut host), driver);
    result.unwrap();
    let seen = core.await.unwrap();
    assert_eq!(seen.first(), Some(&Op::LoadPromptHistory { limit: 1000 }));
    assert!(seen.contains(&Op::UserTurn {
        text: "tell me a story".into()
    }));
    assert_eq!(seen.last(), Some(&Op::Shutdown));
    assert_eq!(app.conversation_id(), Some(id));

    let drawn = frames.load(Ordering::SeqCst);
    assert!(drawn >= 2, "drew {drawn} frames");
    assert!(
        drawn < 200,
        "{DELTAS} deltas must not cause a frame each: drew {drawn}"
    );
    let screen = terminal.backend().inner.to_string();
    assert!(
        screen.contains("THE-END"),
        "the end of the reply is on screen:\n{screen}"
    );
    assert!(
        screen.contains("fake/model · test"),
        "the badge is on screen:\n{screen}"
    );
}

#[tokio::test]
async fn idle_means_no_frames_and_closed_input_ends_the_loop() {
    let (ops_tx, _ops_rx) = mpsc::channel::<Op>(64);
    let (_events_tx, events_rx) = mpsc::channel::<Event>(16);
    let (keys_tx, keys_rx) = futures::channel::mpsc::unbounded::<io::Result<TermEvent>>();
    let frames = Arc::new(AtomicUsize::new(0));
    let backend = CountingBackend {
        inner: TestBackend::new(40, 10),
        frames: frames.clone(),
    };
    let mut terminal = Terminal::new(backend).unwrap();
    let mut app = App::new(ops_tx, events_rx, test_config());
    let mut host = ScriptHost {
        input: Box::pin(keys_rx),
        actions: Vec::new(),
    };
    let driver = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let idle_frames = frames.load(Ordering::SeqCst);
        drop(keys_tx);
        idle_frames
    };
    let (result, idle_frames) = tokio::join!(run_app(&mut terminal, &mut app, &mut host), driver);
    result.unwrap();
    assert_eq!(idle_frames, 1, "one first frame, then nothing while idle");
}

/// Keys that reach the run loop together (buffered in the terminal while a tool call's
/// approval came up) go to the draft; a lone key after a pause answers.
#[tokio::test]
async fn keys_buffered_together_never_answer_an_approval() {
    let (ops_tx, mut ops_rx) = mpsc::channel::<Op>(64);
    let (events_tx, events_rx) = mpsc::channel::<Event>(64);
    let (keys_tx, keys_rx) = futures::channel::mpsc::unbounded::<io::Result<TermEvent>>();
    let core = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(op) = ops_rx.recv().await {
            seen.push(op.clone());
            match op {
                Op::UserTurn { .. } => {
                    let ask = Event::ApprovalRequest {
                        call_id: "c1".into(),
                        tool: "bash".into(),
                        preview: "rm -rf build".into(),
                        prefix: None,
                        subagent: None,
                    };
                    events_tx.send(ask).await.unwrap();
                }
                Op::Interrupt => {
                    let done = Event::TurnComplete {
                        conversation_id: "0190a0b0-0000-7000-8000-000000000007".parse().unwrap(),
                        status: MessageStatus::Cancelled,
                        usage: Usage::default(),
                        unsaved: 0,
                    };
                    events_tx.send(done).await.unwrap();
                }
                Op::Shutdown => break,
                _ => {}
            }
        }
        seen
    });
    let frames = Arc::new(AtomicUsize::new(0));
    let backend = CountingBackend {
        inner: TestBackend::new(80, 24),
        frames,
    };
    let mut terminal = Terminal::new(backend).unwrap();
    let mut app = App::new(ops_tx, events_rx, test_config());
    let mut host = ScriptHost {
        input: Box::pin(keys_rx),
        actions: Vec::new(),
    };
    let send = |script: &str| {
        for k in key_events(script) {
            keys_tx.unbounded_send(k).unwrap();
        }
    };
    let driver = async {
        send("delete the build dir<Enter>");
        // Long past the dialog's guard, a burst: "a" (always) first.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        send("also yes");
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        send("n");
        tokio::time::sleep(Duration::from_millis(100)).await;
        send("<Enter>");
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Interrupt, then clear the draft and quit.
        send("<C-c>");
        tokio::time::sleep(Duration::from_millis(300)).await;
        send("<C-c><C-c><C-c>");
    };
    let (result, ()) = tokio::join!(run_app(&mut terminal, &mut app, &mut host), driver);
    result.unwrap();
    let seen = core.await.unwrap();
    let answers: Vec<&Op> = seen
        .iter()
        .filter(|op| matches!(op, Op::Approve { .. }))
        .collect();
    assert_eq!(
        answers,
        [&Op::Approve {
            call_id: "c1".into(),
            decision: harness::protocol::ApprovalDecision::Deny { reason: None }
        }],
        "{seen:?}"
    );
    assert!(
        seen.contains(&Op::Interrupt),
        "the first Ctrl+C interrupts the turn"
    );
}
