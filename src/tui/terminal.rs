//! Terminal setup and restoration. Raw mode, the alternate screen, bracketed paste, mouse
//! capture and keyboard enhancement are undone on every way out: normal quit and errors (the
//! guard's `Drop`), panics (a hook that restores before printing), SIGTERM/SIGHUP (the run
//! loop ends and the guard drops). Ctrl+Z restores, stops the process, and sets up again on
//! resume; the external editor gets a normal terminal the same way.

use super::app::{App, HostAction};
use super::event::{Host, InputStream};
use base64::Engine;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    EventStream, KeyboardEnhancementFlags, PopKeyboardEnhancementFlags,
    PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static ACTIVE: AtomicBool = AtomicBool::new(false);
static KEYBOARD_ENHANCED: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);

pub type Tty = Terminal<CrosstermBackend<Stdout>>;

/// Put the terminal into TUI mode.
fn setup(mouse: bool) -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
        MOUSE.store(true, Ordering::SeqCst);
    }
    // Lets terminals that support it report Shift+Enter distinctly from Enter.
    if crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false) {
        execute!(
            out,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        KEYBOARD_ENHANCED.store(true, Ordering::SeqCst);
    }
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
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    mouse: bool,
    input: InputStream,
}

impl TerminalGuard {
    /// Enter TUI mode and install the panic hook.
    pub fn enter(mouse: bool) -> io::Result<(Self, Tty)> {
        install_panic_hook();
        setup(mouse)?;
        let terminal = match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok((
            Self {
                mouse,
                input: Box::pin(EventStream::new()),
            },
            terminal,
        ))
    }

    /// Give the terminal back, run `f`, take it again.
    fn with_terminal_released<T>(
        &mut self,
        terminal: &mut Tty,
        f: impl FnOnce() -> T,
    ) -> io::Result<T> {
        // Dropping the event stream stops crossterm's reader so it cannot eat the
        // editor's (or the shell's) input.
        self.input = Box::pin(futures::stream::pending());
        restore();
        let out = f();
        setup(self.mouse)?;
        self.input = Box::pin(EventStream::new());
        terminal.clear()?;
        Ok(out)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
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

impl Host<CrosstermBackend<Stdout>> for TerminalGuard {
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_encodes_the_text() {
        assert_eq!(super::osc52("hi"), "\u{1b}]52;c;aGk=\u{7}");
    }
}
