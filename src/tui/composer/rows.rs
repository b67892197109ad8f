//! The composer's draft on screen rows: drawing the rows the draft wraps into (scrolled so the
//! cursor's row shows), and moving the cursor over them with Up/Down/Home/End. The layout
//! itself (where rows break, where the cursor falls) is [`super::wrapping`]'s.

use super::{Composer, jump, wrapping};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

impl Composer {
    /// The screen row the cursor is on, and whether it is the draft's last (by lines before
    /// the first frame, when the width is not known yet).
    pub(super) fn cursor_row(&self) -> (usize, bool) {
        let lines = self.textarea.lines();
        if self.width == 0 {
            let row = self.textarea.cursor().0;
            return (row, row + 1 >= lines.len());
        }
        let rows = wrapping::layout(lines, usize::from(self.width));
        let (row, _) = wrapping::cursor_cell(&rows, lines, self.textarea.cursor());
        (row, row + 1 >= rows.len())
    }

    /// Up/Down/Home/End (no modifier) over the rows the draft wraps into, as the editor does
    /// over lines. False for other keys, at the first/last row, or before the first frame.
    pub(super) fn move_on_rows(&mut self, key: &KeyEvent) -> bool {
        if self.width == 0 || key.modifiers != KeyModifiers::NONE {
            return false;
        }
        let lines = self.textarea.lines();
        let rows = wrapping::layout(lines, usize::from(self.width));
        let (index, x) = wrapping::cursor_cell(&rows, lines, self.textarea.cursor());
        let row = rows[index.min(rows.len() - 1)];
        let (line, col) = match key.code {
            KeyCode::Up if index > 0 => {
                let goal = *self.goal.get_or_insert(x);
                wrapping::position_at(&rows, lines, index - 1, goal)
            }
            KeyCode::Down if index + 1 < rows.len() => {
                let goal = *self.goal.get_or_insert(x);
                wrapping::position_at(&rows, lines, index + 1, goal)
            }
            KeyCode::Home => (row.line, row.start),
            KeyCode::End => wrapping::position_at(&rows, lines, index, usize::MAX),
            _ => return false,
        };
        self.textarea.move_cursor(jump(line, col));
        self.snap_out_of_token(key.code != KeyCode::Home && key.code != KeyCode::Up);
        true
    }

    /// The draft's screen rows that fit in `area`, scrolled so the cursor shows.
    pub(super) fn render_rows(&mut self, area: Rect, buf: &mut Buffer, style: Style) {
        buf.set_style(area, style);
        let selection_style = self.textarea.selection_style();
        let lines = self.textarea.lines();
        let rows = wrapping::layout(lines, usize::from(area.width));
        let cursor = self.textarea.cursor();
        let (cursor_row, cursor_x) = wrapping::cursor_cell(&rows, lines, cursor);
        let height = usize::from(area.height);
        self.top = wrapping::scroll_top(self.top, cursor_row, height)
            .min(rows.len().saturating_sub(height));
        let selection = self.textarea.selection_range();
        for (i, row) in rows.iter().enumerate().skip(self.top).take(height) {
            let y = area.y + (i - self.top) as u16;
            let mut x = area.x;
            let chars = lines[row.line].chars().enumerate();
            for (k, c) in chars.skip(row.start).take(row.end - row.start) {
                let w = wrapping::char_width(c);
                if x + w as u16 > area.right() {
                    break;
                }
                let selected =
                    selection.is_some_and(|(a, b)| a <= (row.line, k) && (row.line, k) < b);
                let style = if selected {
                    style.patch(selection_style)
                } else {
                    style
                };
                let symbol = if c.is_control() { ' ' } else { c };
                buf.set_stringn(x, y, symbol.to_string(), w, style);
                x += w as u16;
            }
        }
        let (x, y) = (cursor_x as u16, cursor_row.saturating_sub(self.top) as u16);
        if cursor_row >= self.top && x < area.width && y < area.height {
            let cell = &mut buf[(area.x + x, area.y + y)];
            cell.set_style(cell.style().patch(self.textarea.cursor_style()));
        }
    }
}
