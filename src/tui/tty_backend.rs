//! The terminal backend: crossterm's, except that it never asks the terminal where the cursor
//! is. Ratatui asks when it places an inline viewport, and crossterm's question reads the
//! terminal itself, racing harness's input reader for the answer (and for the keys around
//! it). The position answered is the last one set, which inline mode keeps on the live
//! area's top-left corner; where only the terminal knows (after a resize), the host asks
//! through the input reader, which hands the answer over (`terminal.rs`, `input/reader.rs`).
//!
//! While a frame is held ([`hold`] .. [`release`], the inline frame's synchronized update),
//! everything written to the terminal collects in memory and goes out in one `write`: the
//! terminal never takes in half a frame. A resize landing in the middle of a frame would
//! otherwise reflow the screen between its steps (the live area half drawn, the cursor not yet
//! parked on its corner), and the live area could not be found again (issue 13).
//!
//! Clearing from the cursor down is done row by row: a terminal may take "clear from the
//! top-left corner down" for clearing the screen and first scroll what it shows into the
//! scrollback (tmux's `scroll-on-clear`), which would copy the live area there.

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io::{self, Write};
use std::sync::Mutex;

/// What a held frame has written so far (`None`: not holding, writes go straight out).
static HELD: Mutex<Option<Vec<u8>>> = Mutex::new(None);

/// Start holding terminal output (a frame begins).
pub fn hold() {
    if let Ok(mut held) = HELD.lock() {
        held.get_or_insert_with(Vec::new);
    }
}

/// Write what was held in one go, and stop holding unless `keep`.
pub fn release(keep: bool) -> io::Result<()> {
    let bytes = match HELD.lock() {
        Ok(mut held) if keep => held.as_mut().map(std::mem::take),
        Ok(mut held) => held.take(),
        Err(_) => None,
    };
    match bytes {
        Some(bytes) if !bytes.is_empty() => write_at_once(&bytes),
        _ => Ok(()),
    }
}

/// `bytes` to stdout in as few `write`s as the terminal takes (one, for a frame), past the
/// standard library's line buffering (which would write each line on its own).
fn write_at_once(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.flush()?;
    let mut rest = bytes;
    while !rest.is_empty() {
        match nix::unistd::write(&stdout, rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => rest = &rest[n..],
            Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The terminal's output: stdout, or the held frame while one is held.
#[derive(Debug, Default, Clone, Copy)]
pub struct TtyOut;

impl Write for TtyOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Ok(mut held) = HELD.lock() {
            if let Some(frame) = held.as_mut() {
                frame.extend_from_slice(buf);
                return Ok(buf.len());
            }
        }
        io::stdout().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        if HELD.lock().is_ok_and(|held| held.is_some()) {
            return Ok(());
        }
        io::stdout().flush()
    }
}

pub struct TtyBackend {
    inner: CrosstermBackend<TtyOut>,
    cursor: Position,
}

impl TtyBackend {
    /// Over stdout, the cursor taken to be at `cursor`.
    pub fn new(cursor: Position) -> Self {
        Self {
            inner: CrosstermBackend::new(TtyOut),
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
