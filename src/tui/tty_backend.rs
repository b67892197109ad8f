//! The terminal backend: crossterm's, except that it never asks the terminal where the cursor
//! is. Ratatui asks when it places an inline viewport, and crossterm's question would wait for
//! the answer behind the input reader (`EventStream` holds it until a key comes): the UI would
//! freeze. The position answered is the last one set, which inline mode keeps on the live
//! area's top-left corner; where only the terminal knows (after a resize), the host stops the
//! reader and asks crossterm itself (`terminal.rs`).
//!
//! Clearing from the cursor down is done row by row: a terminal may take "clear from the
//! top-left corner down" for clearing the screen and first scroll what it shows into the
//! scrollback (tmux's `scroll-on-clear`), which would copy the live area there.

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io::{self, Stdout};

pub struct TtyBackend {
    inner: CrosstermBackend<Stdout>,
    cursor: Position,
}

impl TtyBackend {
    /// Over stdout, the cursor taken to be at `cursor`.
    pub fn new(cursor: Position) -> Self {
        Self {
            inner: CrosstermBackend::new(io::stdout()),
            cursor,
        }
    }
}

impl Backend for TtyBackend {
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        self.cursor = position;
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        if clear_type != ClearType::AfterCursor {
            return self.inner.clear_region(clear_type);
        }
        let from = self.cursor;
        self.inner.clear_region(ClearType::UntilNewLine)?;
        let height = self.inner.size()?.height;
        for row in from.y.saturating_add(1)..height {
            self.inner.set_cursor_position(Position::new(0, row))?;
            self.inner.clear_region(ClearType::CurrentLine)?;
        }
        self.inner.set_cursor_position(from)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}
