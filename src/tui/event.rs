//! The run loop: one `select!` over terminal input, the core's events, the frame deadline and
//! (only while a turn runs) the spinner tick. Handlers change state; a frame is drawn only when
//! something changed, at most once per [`FRAME`] (60 fps) after input and once per
//! [`STREAM_FRAME`] (30 fps) for streamed output, after every queued core event has been
//! applied. Idle means no wake-ups at all (but one when the approval dialog starts taking
//! keys, so its choices light up).

use super::app::{App, HostAction};
use crate::protocol::Event;
use crossterm::event::Event as TermEvent;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::io;
use std::pin::Pin;
use std::time::Duration;
use tokio::time::Instant;

/// Minimum time between two frames after user input (60 fps).
pub const FRAME: Duration = Duration::from_micros(16_667);
/// Minimum time between two frames when only the core's events changed the screen (30 fps):
/// smooth for streaming text at half the drawing cost.
pub const STREAM_FRAME: Duration = Duration::from_micros(33_333);
/// Spinner period while a turn runs.
const SPINNER_TICK: Duration = Duration::from_millis(100);
/// Longest time spent applying queued core events before input gets a turn.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// Most terminal events read in one go (the rest wait for the next turn of the loop).
const INPUT_BATCH: usize = 256;

/// Terminal input as a stream (`tui/input`'s reader, or a script in tests).
pub type InputStream = Pin<Box<dyn Stream<Item = io::Result<TermEvent>> + Send>>;

/// What the run loop needs from the terminal it runs in.
pub trait Host<B: Backend> {
    /// The input stream (a host may replace it, e.g. around an external editor).
    fn input(&mut self) -> &mut InputStream;
    /// Carry out an action only the terminal host can do.
    fn perform(
        &mut self,
        terminal: &mut Terminal<B>,
        action: HostAction,
        app: &mut App,
    ) -> io::Result<()>;
    /// Inline mode: make the live area `height` rows from row `top` (the rows from `top` down
    /// cleared first). Hosts that cannot rebuild the viewport keep its height.
    fn place_live_area(
        &mut self,
        terminal: &mut Terminal<B>,
        top: u16,
        height: u16,
    ) -> io::Result<()> {
        let _ = (terminal, top, height);
        Ok(())
    }
    /// Inline mode, after the terminal was resized: find the live area again and make it
    /// `height` rows. By default it stays where it was (clamped to the screen).
    fn relocate_live_area(&mut self, terminal: &mut Terminal<B>, height: u16) -> io::Result<()> {
        let screen = terminal.size()?;
        let top = terminal
            .get_frame()
            .area()
            .y
            .min(screen.height.saturating_sub(1));
        self.place_live_area(terminal, top, height)
    }
    /// Inline mode: write `lines` into the scrollback, above the live area (by default with
    /// ratatui's `insert_before`).
    fn write_scrollback(
        &mut self,
        terminal: &mut Terminal<B>,
        lines: &[ratatui::text::Line<'static>],
    ) -> io::Result<()> {
        super::inline::insert_before(terminal, lines)
    }
    /// Hold (true) or show (false) the terminal's drawing: the steps of one inline frame
    /// (scrollback written, live area moved and drawn) show at once.
    fn synchronize(&mut self, hold: bool) -> io::Result<()> {
        let _ = hold;
        Ok(())
    }
}

/// Run until the App quits, terminal input ends, or SIGTERM/SIGHUP arrives.
///
/// Longer than the usual ~80 lines on purpose: the frame pacing (dirty flag, last frame, input
/// since the frame) is shared by every arm of the one `select!`, and reads best in one place.
pub async fn run_app<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    host: &mut dyn Host<B>,
) -> io::Result<()> {
    let Some(mut events) = app.take_events() else {
        return Err(io::Error::other(
            "the App's event receiver was already taken",
        ));
    };
    let mut events_open = true;
    let mut spinner = tokio::time::interval(SPINNER_TICK);
    spinner.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut dirty = true;
    let mut drawn_once = false;
    // As if the last frame was long ago: the first one is drawn at once.
    let mut last_frame = Instant::now()
        .checked_sub(STREAM_FRAME)
        .unwrap_or_else(Instant::now);
    let mut input_since_frame = true;
    let mut highlighter_pending = super::highlight::is_loading();
    let mut inline = app.inline().then(super::inline::InlineState::default);
    // The `@` finder's file list and attached files are read on other threads.
    let background = app.background_notify();

    loop {
        if app.should_quit() {
            break;
        }
        dirty |= app.take_dirty();
        let gap = if input_since_frame {
            FRAME
        } else {
            STREAM_FRAME
        };
        let next_frame = last_frame + gap;
        if dirty && Instant::now() >= next_frame {
            // Everything the core has queued until now lands in this frame.
            if events_open {
                drain(&mut events, app);
            }
            match inline.as_mut() {
                Some(state) => state.frame(terminal, app, host)?,
                None => {
                    app.set_screen(terminal.size()?);
                    terminal.draw(|f| app.render(f))?;
                }
            }
            if !drawn_once {
                drawn_once = true;
                crate::startup::mark("first frame drawn");
            }
            dirty = false;
            input_since_frame = false;
            last_frame = Instant::now();
        }
        let frame_due = dirty.then_some(next_frame);
        // A state that changes with time alone (the approval dialog arming) asks for a frame.
        let wakeup = app.next_wakeup().map(Instant::from_std);
        let busy = app.is_busy();
        tokio::select! {
            biased;
            input = host.input().next() => match input {
                Some(Ok(event)) => {
                    let (batch, end) = read_ready(host.input(), event).await;
                    apply_terminal_events(app, batch);
                    input_since_frame = true;
                    match end {
                        Some(Err(e)) => return Err(e),
                        Some(Ok(())) => break,
                        None => {}
                    }
                }
                Some(Err(e)) => return Err(e),
                None => break,
            },
            // While a frame is pending, events wait in the channel and are drained just before
            // it is drawn: one wake-up per frame instead of one per delta.
            event = events.recv(), if events_open && !dirty => match event {
                Some(event) => {
                    app.handle_event(event);
                    drain(&mut events, app);
                }
                None => {
                    events_open = false;
                    app.handle_event(Event::Error {
                        message: "the session stopped: quit (Ctrl+C twice) and start harness again to resume".into(),
                        retryable: false,
                    });
                }
            },
            _ = sleep_until(frame_due), if frame_due.is_some() => {}
            _ = sleep_until(wakeup), if wakeup.is_some() => app.mark_dirty(),
            _ = spinner.tick(), if busy => app.tick(),
            _ = super::highlight::ready().notified(), if highlighter_pending => {
                highlighter_pending = false;
                app.relayout();
            }
            _ = background.notified() => app.background_ready(),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        }
        for action in app.take_actions() {
            host.perform(terminal, action, app)?;
            dirty = true;
            input_since_frame = true;
        }
    }
    if inline.is_some() {
        super::inline::InlineState::finish(terminal, app, host)?;
    }
    Ok(())
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(d).await;
    }
}

/// Apply every event already queued (bounded in time so keys stay responsive).
fn drain(events: &mut tokio::sync::mpsc::Receiver<Event>, app: &mut App) {
    let start = std::time::Instant::now();
    while let Ok(event) = events.try_recv() {
        app.handle_event(event);
        if start.elapsed() > DRAIN_BUDGET {
            break;
        }
    }
}

/// `first` and every event already waiting behind it (without waiting for more), and how the
/// input ended if it did: `Some(Ok)` closed, `Some(Err)` failed.
///
/// Polled with this task's own waker: a stream may remember only the waker it is given while
/// it waits (crossterm's `EventStream` did; the reader's channel wakes the last one), so a
/// throw-away waker (`now_or_never`) could leave the loop deaf to the next key. The reader
/// delivers everything one read of the terminal completed at once, so keys typed ahead are
/// in this batch with the key before them.
async fn read_ready(
    input: &mut InputStream,
    first: TermEvent,
) -> (Vec<TermEvent>, Option<io::Result<()>>) {
    use std::task::Poll;
    let mut batch = vec![first];
    let end = futures::future::poll_fn(|cx| {
        while batch.len() < INPUT_BATCH {
            match input.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(event))) => batch.push(event),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(Some(Ok(()))),
                Poll::Pending => break,
            }
        }
        Poll::Ready(None)
    })
    .await;
    (batch, end)
}

/// Apply events that arrived together. A key with more typing (keys, pastes) queued behind it
/// was typed ahead or buffered while the UI was busy, so the App is told: such a key never
/// answers a dialog. Mouse and focus events behind it do not count.
pub fn apply_terminal_events(app: &mut App, events: Vec<TermEvent>) {
    let typing = |e: &TermEvent| {
        matches!(e, TermEvent::Paste(_))
            || matches!(e, TermEvent::Key(k) if k.kind != crossterm::event::KeyEventKind::Release)
    };
    // Index of the last typing event: every event before it has typing queued behind it.
    let last_typing = events.iter().rposition(typing);
    for (i, event) in events.into_iter().enumerate() {
        app.set_input_queued(last_typing.is_some_and(|last| i < last));
        apply_terminal_event(app, event);
    }
    app.set_input_queued(false);
}

pub fn apply_terminal_event(app: &mut App, event: TermEvent) {
    match event {
        TermEvent::Key(key) => app.handle_key(key),
        TermEvent::Paste(text) => app.handle_paste(&text),
        TermEvent::Mouse(mouse) => app.handle_mouse(mouse),
        TermEvent::Resize(_, _) => app.mark_dirty(),
        TermEvent::FocusGained => app.set_focused(true),
        TermEvent::FocusLost => app.set_focused(false),
    }
}
