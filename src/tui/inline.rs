//! Inline mode (`[ui] mode = "inline"`): the conversation lives in the terminal's own
//! scrollback. Finished cells are written there once, above a small live area, with ratatui's
//! inline viewport and [`Terminal::insert_before`] (which makes room by scrolling the whole
//! screen with newlines, so rows go to the scrollback and none is dropped); only the live area
//! (a reply still streaming, the composer, the status line, an open dialog) is redrawn. The
//! terminal's own search, selection and copy then work on the conversation, and it stays on
//! screen after quitting.
//!
//! The terminal host writes the lines itself (`scrollback.rs`: text and a newline per line, so
//! a narrower window later wraps only what is really longer) and draws the live area in a
//! fixed viewport it places itself (`terminal.rs`: ratatui's inline viewport would move itself
//! when a resize lands mid-frame); hosts without a real terminal use `insert_before`.
//!
//! The live area's height follows its content: the host rebuilds the viewport at the same top
//! row with the new height ([`Host::place_live_area`]); growing past the bottom scrolls the
//! screen up into the scrollback, shrinking clears the rows given back. After a resize the
//! host finds the live area again ([`Host::relocate_live_area`]: the cursor is parked on its
//! top-left corner after every frame, and terminals move the cursor with the rows). Each frame
//! is one synchronized update, written to the terminal in one go (`tty_backend.rs`), so the
//! steps never show apart (no flicker) and a resize never lands between them.

use super::app::App;
use super::event::Host;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::{Position, Size};
use ratatui::text::Line;
use std::io;

/// Lines written per `insert_before` (its buffer holds this many rows at once).
const CHUNK: usize = 500;

/// What the run loop remembers between inline frames.
#[derive(Debug, Default)]
pub struct InlineState {
    /// The screen size the live area was last placed for.
    screen: Option<Size>,
}

impl InlineState {
    /// One frame: after a resize, find the live area again; write the cells finished since
    /// the last frame into the scrollback; give the live area the rows its content needs;
    /// draw it; park the cursor.
    pub fn frame<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        app: &mut App,
        host: &mut dyn Host<B>,
    ) -> io::Result<()> {
        host.synchronize(true)?;
        let result = self.frame_steps(terminal, app, host);
        host.synchronize(false)?;
        result
    }

    fn frame_steps<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        app: &mut App,
        host: &mut dyn Host<B>,
    ) -> io::Result<()> {
        let size = terminal.size()?;
        app.set_screen(size);
        if self.screen.is_some_and(|s| s != size) {
            let want = app.live_height(size.width, size.height);
            let before = terminal.get_frame().area();
            host.relocate_live_area(terminal, want)?;
            tracing::debug!(
                "inline: resized {:?} -> {size:?}: live area {before:?} -> {:?}",
                self.screen,
                terminal.get_frame().area()
            );
        }
        self.screen = Some(size);
        let lines = app.take_scrollback(size.width);
        if !lines.is_empty() {
            host.write_scrollback(terminal, &lines)?;
        }
        let want = app.live_height(size.width, size.height);
        let area = terminal.get_frame().area();
        if want != area.height {
            host.place_live_area(terminal, area.y, want)?;
        }
        terminal.draw(|f| app.render(f))?;
        park_cursor(terminal)
    }

    /// On quit: everything still live goes to the scrollback and the live area is cleared,
    /// the cursor left at its top so the shell's prompt follows the conversation.
    pub fn finish<B: Backend>(
        terminal: &mut Terminal<B>,
        app: &mut App,
        host: &mut dyn Host<B>,
    ) -> io::Result<()> {
        host.synchronize(true)?;
        let width = terminal.size()?.width;
        app.commit_everything();
        let lines = app.take_scrollback(width);
        let result = host
            .write_scrollback(terminal, &lines)
            .and_then(|()| terminal.clear())
            .and_then(|()| park_cursor(terminal));
        host.synchronize(false)?;
        result
    }
}

/// Put the (hidden) cursor on the live area's top-left corner, where a resize can find it.
fn park_cursor<B: Backend>(terminal: &mut Terminal<B>) -> io::Result<()> {
    let top = terminal.get_frame().area().y;
    terminal.set_cursor_position(Position::new(0, top))
}

/// Write `lines` into the scrollback above the live area with ratatui's `insert_before`.
pub fn insert_before<B: Backend>(
    terminal: &mut Terminal<B>,
    lines: &[Line<'static>],
) -> io::Result<()> {
    for chunk in lines.chunks(CHUNK) {
        let height = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        terminal.insert_before(height, |buf| {
            let width = buf.area.width;
            for (y, line) in chunk.iter().enumerate() {
                buf.set_line(0, y as u16, line, width);
            }
        })?;
    }
    Ok(())
}
