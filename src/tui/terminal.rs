//! Terminal setup and restoration. Raw mode, the alternate screen (fullscreen mode only),
//! bracketed paste, mouse capture and keyboard enhancement (kitty's flags pushed where the
//! terminal speaks that protocol, xterm's modifyOtherKeys level 1 everywhere) are undone on
//! every way out: normal quit and errors (the guard's `Drop`), panics (a hook that restores
//! before printing), SIGTERM/SIGHUP (the run loop ends and the guard drops). Ctrl+Z restores,
//! stops the process, and sets up again on resume; the external editor gets a normal terminal
//! the same way (the input reader is stopped meanwhile, so the keys go to the editor).
//!
//! Inline mode (`tui/inline.rs`) draws in the normal screen in a viewport that this host
//! places: it asks the terminal where the cursor is through the input reader
//! (`tui/input/reader.rs`), which hands the answer over while it keeps reading keys.

use super::app::{App, HostAction};
use super::event::{Host, InputStream};
use super::input::InputReader;
use super::tty_backend::TtyBackend;
use base64::Engine;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    KeyboardEnhancementFlags, PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::backend::{Backend, ClearType};
use ratatui::layout::Position;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static ACTIVE: AtomicBool = AtomicBool::new(false);
static KEYBOARD_ENHANCED: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);
static ALTERNATE: AtomicBool = AtomicBool::new(false);
static MODIFY_OTHER_KEYS: AtomicBool = AtomicBool::new(false);

/// xterm's modifyOtherKeys level 1: Shift+Enter and the like come as `ESC [ 27 ; mod ; code ~`
/// (xterm, tmux with `extended-keys`, foot, Ghostty), the usual control keys as before.
const MODIFY_OTHER_KEYS_ON: &str = "\x1b[>4;1m";
const MODIFY_OTHER_KEYS_OFF: &str = "\x1b[>4;0m";
/// How long the terminal has to answer a question (cursor position, kitty support).
const ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

pub type Tty = Terminal<TtyBackend>;

/// Rows of the inline live area before the first frame sizes it.
const FIRST_LIVE_ROWS: u16 = 4;

/// Put the terminal into TUI mode (the alternate screen unless `inline`); `input` asks the
/// terminal whether it speaks kitty's keyboard protocol.
fn setup(mouse: bool, inline: bool, input: &mut InputReader) -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    if !inline {
        execute!(out, EnterAlternateScreen)?;
        ALTERNATE.store(true, Ordering::SeqCst);
    }
    execute!(
        out,
        EnableBracketedPaste,
        crossterm::event::EnableFocusChange,
        cursor::Hide
    )?;
    if mouse && !inline {
        execute!(out, EnableMouseCapture)?;
        MOUSE.store(true, Ordering::SeqCst);
    }
    // Lets terminals that support it report Shift+Enter distinctly from Enter.
    if input
        .supports_keyboard_enhancement(ANSWER_TIMEOUT)
        .unwrap_or(false)
    {
        execute!(
            out,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        KEYBOARD_ENHANCED.store(true, Ordering::SeqCst);
    }
    out.write_all(MODIFY_OTHER_KEYS_ON.as_bytes())?;
    out.flush()?;
    MODIFY_OTHER_KEYS.store(true, Ordering::SeqCst);
    Ok(())
}

/// Undo [`setup`]; safe to call more than once and from a panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if KEYBOARD_ENHANCED.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, PopKeyboardEnhancementFlags);
    }
    if MODIFY_OTHER_KEYS.swap(false, Ordering::SeqCst) {
        let _ = out.write_all(MODIFY_OTHER_KEYS_OFF.as_bytes());
    }
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        crossterm::event::DisableFocusChange
    );
    if ALTERNATE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, LeaveAlternateScreen);
    }
    let _ = execute!(out, cursor::Show);
    let _ = disable_raw_mode();
}

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    mouse: bool,
    inline: bool,
    input: InputStream,
    reader: InputReader,
}

impl TerminalGuard {
    /// Enter TUI mode (inline: a live area at the cursor) and install the panic hook.
    pub fn enter(mouse: bool, inline: bool) -> io::Result<(Self, Tty)> {
        install_panic_hook();
        let (mut reader, input) = InputReader::open()?;
        let entered = setup(mouse, inline, &mut reader).and_then(|()| {
            let terminal = if inline {
                // The reader is not started yet: it reads the answer itself.
                let asked = reader.cursor_row(ANSWER_TIMEOUT);
                inline_terminal(
                    cursor_row_or_bottom(asked, FIRST_LIVE_ROWS),
                    FIRST_LIVE_ROWS,
                )?
            } else {
                Terminal::new(TtyBackend::new(Position::ORIGIN))?
            };
            reader.start()?;
            Ok(terminal)
        });
        match entered {
            Ok(terminal) => Ok((
                Self {
                    mouse,
                    inline,
                    input,
                    reader,
                },
                terminal,
            )),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Where the cursor is, asked of the terminal; the input reader keeps reading keys and
    /// hands the answer over.
    fn ask_cursor_row(&mut self) -> io::Result<u16> {
        // What the frame wrote so far goes out before the question.
        super::tty_backend::release(true)?;
        self.reader.cursor_row(ANSWER_TIMEOUT)
    }

    /// Give the terminal back, run `f`, take it again.
    fn with_terminal_released<T>(
        &mut self,
        terminal: &mut Tty,
        f: impl FnOnce() -> T,
    ) -> io::Result<T> {
        // The reader stops so it cannot eat the editor's (or the shell's) input.
        self.reader.stop();
        restore();
        let out = f();
        let taken = setup(self.mouse, self.inline, &mut self.reader).and_then(|()| {
            if self.inline {
                // The shell or the editor may have written below: the live area starts afresh
                // where the cursor is now.
                let height = terminal.get_frame().area().height;
                let row = cursor_row_or_bottom(self.reader.cursor_row(ANSWER_TIMEOUT), height);
                replace_terminal(terminal, inline_terminal(row, height)?);
            }
            Ok(())
        });
        // Reading again even when setting up failed: the run loop still takes keys.
        self.reader.start()?;
        taken?;
        terminal.clear()?;
        Ok(out)
    }
}

/// The row the terminal said the cursor is on; when it did not answer in time (a loaded
/// machine, a terminal that does not answer), the live area goes to the bottom of the screen,
/// where it nearly always is once the conversation fills the screen, instead of ending the TUI.
fn cursor_row_or_bottom(asked: io::Result<u16>, height: u16) -> u16 {
    asked.unwrap_or_else(|e| {
        tracing::warn!("inline mode: the cursor position was not answered ({e}); the live area goes to the bottom");
        crossterm::terminal::size()
            .map(|(_, rows)| rows.saturating_sub(height))
            .unwrap_or(0)
    })
}

/// An inline terminal whose live area is `height` rows from row `top` (or higher, when the
/// screen has too few rows below: the screen scrolls up), the rows from `top` down cleared.
///
/// The viewport is a fixed rectangle, not ratatui's inline one: an inline viewport resizes
/// itself when a draw finds the screen changed (a resize landing mid-frame), placing the live
/// area from a cursor position that is no longer true and printing newlines there, which
/// pushed a copy of the live area into the scrollback (issue 13). The host alone places it.
fn inline_terminal(top: u16, height: u16) -> io::Result<Tty> {
    let mut backend = TtyBackend::new(Position::new(0, top));
    let screen = backend.size()?;
    let height = height.clamp(1, screen.height.max(1));
    let mut top = top.min(screen.height.saturating_sub(1));
    let missing = (top + height).saturating_sub(screen.height);
    if missing > 0 {
        // Newlines on the last row scroll the screen up (its top rows go to the scrollback).
        backend.set_cursor_position(Position::new(0, screen.height.saturating_sub(1)))?;
        backend.append_lines(missing)?;
        top -= missing;
    }
    backend.set_cursor_position(Position::new(0, top))?;
    backend.clear_region(ClearType::AfterCursor)?;
    Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(ratatui::layout::Rect::new(0, top, screen.width, height)),
        },
    )
}

/// Swap in a new terminal. The old one's `Drop` reports a cursor it cannot show with
/// `eprintln!` (which panics when the terminal is gone): it is shown here first, and the old
/// terminal is only forgotten when that failed. The new one hides it again in the same
/// synchronized update.
fn replace_terminal(terminal: &mut Tty, new: Tty) {
    let mut old = std::mem::replace(terminal, new);
    if old.show_cursor().is_err() {
        std::mem::forget(old);
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        self.reader.stop();
        restore();
    }
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// What `[ui] notify` writes when a turn ends unfocused.
pub fn notification(mode: crate::config::NotifyMode) -> &'static str {
    use crate::config::NotifyMode;
    match mode {
        NotifyMode::Off => "",
        NotifyMode::Bell => "\u{7}",
        NotifyMode::Osc9 => "\u{1b}]9;harness: the reply is ready\u{7}",
        NotifyMode::Osc777 => "\u{1b}]777;notify;harness;the reply is ready\u{7}",
    }
}

/// The OSC 52 sequence that puts `text` on the system clipboard.
pub fn osc52(text: &str) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\u{1b}]52;c;{data}\u{7}")
}

fn edit_in_editor(draft: &str) -> Result<String, String> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .ok_or("no editor: set $VISUAL or $EDITOR (e.g. export EDITOR=vim)")?;
    let file = tempfile::Builder::new()
        .prefix("harness-prompt-")
        .suffix(".md")
        .tempfile()
        .map_err(|e| format!("cannot create a temporary file for the editor: {e}"))?;
    std::fs::write(file.path(), draft).map_err(|e| format!("cannot write the draft: {e}"))?;
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(words)
        .arg(file.path())
        .status()
        .map_err(|e| format!("cannot start editor `{editor}`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "editor `{editor}` exited with {status}; the draft is unchanged"
        ));
    }
    let text = std::fs::read_to_string(file.path())
        .map_err(|e| format!("cannot read the edited draft: {e}"))?;
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

impl Host<TtyBackend> for TerminalGuard {
    fn input(&mut self) -> &mut InputStream {
        &mut self.input
    }

    fn perform(&mut self, terminal: &mut Tty, action: HostAction, app: &mut App) -> io::Result<()> {
        match action {
            HostAction::Copy(text) => {
                let mut out = io::stdout();
                out.write_all(osc52(&text).as_bytes())?;
                out.flush()?;
            }
            HostAction::Notify(mode) => {
                let mut out = io::stdout();
                out.write_all(notification(mode).as_bytes())?;
                out.flush()?;
            }
            HostAction::Suspend => {
                self.with_terminal_released(terminal, || {
                    let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP);
                })?;
            }
            HostAction::OpenEditor(draft) => {
                match self.with_terminal_released(terminal, || edit_in_editor(&draft))? {
                    Ok(text) => app.set_draft(&text),
                    Err(message) => app.show_inline_error(message),
                }
            }
        }
        app.mark_dirty();
        Ok(())
    }

    fn place_live_area(&mut self, terminal: &mut Tty, top: u16, height: u16) -> io::Result<()> {
        replace_terminal(terminal, inline_terminal(top, height)?);
        Ok(())
    }

    fn relocate_live_area(&mut self, terminal: &mut Tty, height: u16) -> io::Result<()> {
        let asked = self.ask_cursor_row();
        tracing::debug!("inline: the cursor is on row {asked:?}");
        let top = cursor_row_or_bottom(asked, height);
        self.place_live_area(terminal, top, height)
    }

    /// Print the lines where the live area was (the terminal scrolls them into its
    /// scrollback at the bottom), then put the live area under them.
    fn write_scrollback(
        &mut self,
        terminal: &mut Tty,
        lines: &[ratatui::text::Line<'static>],
    ) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let area = terminal.get_frame().area();
        let screen = terminal.size()?;
        let backend = terminal.backend_mut();
        backend.set_cursor_position(Position::new(0, area.y))?;
        backend.clear_region(ClearType::AfterCursor)?;
        Backend::flush(backend)?;
        let mut out = super::tty_backend::TtyOut;
        super::scrollback::write_lines(&mut out, lines)?;
        out.flush()?;
        let below = usize::from(area.y) + lines.len();
        let top = below.min(usize::from(screen.height.saturating_sub(1)));
        // One row under the lines; the frame then gives the live area the rows it wants now.
        // (With its old height, a live area that had grown to the whole screen for a long
        // reply scrolled the screen that far again and ended at its top, with the reply gone
        // from view.)
        self.place_live_area(terminal, u16::try_from(top).unwrap_or(0), 1)
    }

    /// The frame is held in memory ([`super::tty_backend::hold`]) and written at once at
    /// its end, inside the terminal's synchronized update.
    fn synchronize(&mut self, hold: bool) -> io::Result<()> {
        let mut out = super::tty_backend::TtyOut;
        if hold {
            super::tty_backend::hold();
            execute!(out, crossterm::terminal::BeginSynchronizedUpdate)
        } else {
            execute!(out, crossterm::terminal::EndSynchronizedUpdate)?;
            super::tty_backend::release(false)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_encodes_the_text() {
        assert_eq!(super::osc52("hi"), "\u{1b}]52;c;aGk=\u{7}");
    }
}
