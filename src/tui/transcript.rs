//! The scrollable transcript: a list of [`HistoryCell`]s, each with its wrapped lines cached for
//! the last width it was drawn at. Drawing lays out only the cells that intersect the viewport,
//! so a frame costs O(visible) whatever the conversation's length. The scroll position is an
//! anchor (cell, line) rather than a global line number, so no total height is ever needed,
//! appends while scrolled up do not move the view, and older pages can be prepended.
//!
//! In inline mode the cells before [`Transcript::committed`] have been written to the
//! terminal's scrollback: they are never drawn again, and the view starts after them.

use super::history_cell::HistoryCell;
use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use std::time::{Duration, Instant};

struct Cell {
    cell: HistoryCell,
    cache: Option<(usize, Vec<Line<'static>>)>,
    /// The cell changed since `cache` was made (the cache is kept so a streaming reply can
    /// reuse its stable lines).
    stale: bool,
    laid_out_at: Instant,
    layout_cost: Duration,
}

/// See [`Transcript::lines`].
const RELAYOUT_COST_RATIO: u32 = 100;
const MAX_RELAYOUT_DELAY: Duration = Duration::from_millis(250);

/// Where the viewport is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    /// Follow the end (new content stays in view).
    Bottom,
    /// The viewport's top row shows line `line` of cell `cell`.
    Anchored { cell: usize, line: usize },
}

pub struct Transcript {
    cells: Vec<Cell>,
    scroll: Scroll,
    /// Width and height of the last draw (used by keyboard scrolling).
    viewport: (usize, usize),
    /// Inline mode: how many leading cells are in the terminal's scrollback.
    committed: usize,
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}

impl Transcript {
    pub fn new() -> Self {
        Self {
            cells: Vec::new(),
            scroll: Scroll::Bottom,
            viewport: (80, 20),
            committed: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn clear(&mut self) {
        self.cells.clear();
        self.scroll = Scroll::Bottom;
        self.committed = 0;
    }

    /// Inline mode: how many leading cells are in the scrollback (never drawn again).
    pub fn committed(&self) -> usize {
        self.committed
    }

    /// Inline mode: the lines of cells `committed..upto` at `width`, which are now in the
    /// scrollback (the caller writes them there).
    pub fn commit(&mut self, upto: usize, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let upto = upto.min(self.cells.len());
        let mut out = Vec::new();
        for i in self.committed..upto {
            out.extend_from_slice(self.lines(i, width, theme));
            // Committed cells are never drawn again: their layout is not kept.
            self.cells[i].cache = None;
        }
        self.committed = self.committed.max(upto);
        out
    }

    /// The last `rows` lines of the conversation at `width`, as plain text (printed after
    /// quitting fullscreen, so the end of the conversation stays in the scrollback).
    pub fn tail_text(&mut self, width: usize, rows: usize, theme: &Theme) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut i = self.cells.len();
        while i > self.committed && out.len() < rows {
            i -= 1;
            for line in self.lines(i, width, theme).iter().rev() {
                let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                out.push(text.trim_end().to_string());
                if out.len() == rows {
                    break;
                }
            }
        }
        out.reverse();
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        out
    }

    /// Inline mode: rows the cells not yet committed take at `width`.
    pub fn live_height(&mut self, width: usize, theme: &Theme) -> usize {
        (self.committed..self.cells.len())
            .map(|i| self.height(i, width, theme))
            .sum()
    }

    pub fn scroll(&self) -> Scroll {
        self.scroll
    }

    pub fn push(&mut self, cell: HistoryCell) {
        self.cells.push(Cell {
            cell,
            cache: None,
            stale: false,
            laid_out_at: Instant::now(),
            layout_cost: Duration::ZERO,
        });
    }

    /// Insert older cells at the front (a history page), keeping the view where it is.
    pub fn prepend(&mut self, cells: Vec<HistoryCell>) {
        let n = cells.len();
        let mut new: Vec<Cell> = cells
            .into_iter()
            .map(|cell| Cell {
                cell,
                cache: None,
                stale: false,
                laid_out_at: Instant::now(),
                layout_cost: Duration::ZERO,
            })
            .collect();
        // Committed cells are in the scrollback already: older ones come after them (they are
        // written next), never before.
        let at = self.committed;
        let tail = self.cells.split_off(at);
        self.cells.append(&mut new);
        self.cells.extend(tail);
        if let Scroll::Anchored { cell, line } = self.scroll {
            self.scroll = Scroll::Anchored {
                cell: cell + n,
                line,
            };
        }
    }

    pub fn cells(&self) -> impl DoubleEndedIterator<Item = &HistoryCell> {
        self.cells.iter().map(|c| &c.cell)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut HistoryCell> {
        let c = self.cells.get_mut(index)?;
        c.stale = true;
        Some(&mut c.cell)
    }

    pub fn last_mut(&mut self) -> Option<&mut HistoryCell> {
        let last = self.cells.len().checked_sub(1)?;
        self.get_mut(last)
    }

    /// The index of the last cell matching `pred` (searching from the end).
    pub fn rposition(&self, pred: impl Fn(&HistoryCell) -> bool) -> Option<usize> {
        self.cells.iter().rposition(|c| pred(&c.cell))
    }

    /// Forget every cached layout (theme change).
    pub fn invalidate(&mut self) {
        for c in &mut self.cells {
            c.cache = None;
            c.cell.invalidate();
        }
    }

    fn height(&mut self, index: usize, width: usize, theme: &Theme) -> usize {
        self.lines(index, width, theme).len()
    }

    fn lines(&mut self, index: usize, width: usize, theme: &Theme) -> &[Line<'static>] {
        let c = &mut self.cells[index];
        let same_width = matches!(&c.cache, Some((w, _)) if *w == width);
        // A reply streaming into one huge paragraph costs O(paragraph) to lay out again; keep
        // showing the last layout until RELAYOUT_COST_RATIO times that cost has passed, so
        // re-layout never takes more than a few percent of the time.
        let throttled = same_width
            && c.stale
            && c.cell.is_streaming()
            && c.laid_out_at.elapsed()
                < (c.layout_cost * RELAYOUT_COST_RATIO).min(MAX_RELAYOUT_DELAY);
        if !same_width || (c.stale && !throttled) {
            let start = Instant::now();
            let previous = c.cache.take().filter(|_| same_width).map(|(_, l)| l);
            c.cache = Some((width, c.cell.render_reusing(width, theme, previous)));
            c.stale = false;
            c.laid_out_at = Instant::now();
            c.layout_cost = c.laid_out_at - start;
        }
        c.cache.as_ref().map(|(_, l)| l.as_slice()).unwrap_or(&[])
    }

    /// The anchor of the top row when following the end.
    fn bottom_anchor(&mut self, width: usize, height: usize, theme: &Theme) -> (usize, usize) {
        let mut remaining = height;
        let mut i = self.cells.len();
        while i > self.committed {
            i -= 1;
            let h = self.height(i, width, theme);
            if h >= remaining {
                return (i, h - remaining);
            }
            remaining -= h;
        }
        (self.committed, 0)
    }

    fn top_anchor(&mut self, width: usize, height: usize, theme: &Theme) -> (usize, usize) {
        match self.scroll {
            Scroll::Bottom => self.bottom_anchor(width, height, theme),
            Scroll::Anchored { cell, line } => (cell, line),
        }
    }

    /// Draw into `area` of `buf`.
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let (width, height) = (area.width as usize, area.height as usize);
        self.viewport = (width, height);
        if self.cells.is_empty() || width == 0 || height == 0 {
            return;
        }
        let (mut cell, mut line) = self.top_anchor(width, height, theme);
        let mut y = 0usize;
        while y < height && cell < self.cells.len() {
            let lines = self.lines(cell, width, theme);
            for l in lines.iter().skip(line) {
                buf.set_line(area.x, area.y + y as u16, l, area.width);
                y += 1;
                if y == height {
                    break;
                }
            }
            cell += 1;
            line = 0;
        }
    }

    /// Scroll towards older content by `n` lines.
    pub fn scroll_up(&mut self, n: usize, theme: &Theme) {
        let (width, height) = self.viewport;
        let (mut cell, mut line) = self.top_anchor(width, height, theme);
        let mut n = n;
        while n > 0 {
            if line > 0 {
                let d = line.min(n);
                line -= d;
                n -= d;
            } else if cell > 0 {
                cell -= 1;
                line = self.height(cell, width, theme);
            } else {
                break;
            }
        }
        self.scroll = Scroll::Anchored { cell, line };
        self.settle(theme);
    }

    /// Scroll towards newer content by `n` lines; reaching the end resumes following.
    pub fn scroll_down(&mut self, n: usize, theme: &Theme) {
        let Scroll::Anchored { mut cell, mut line } = self.scroll else {
            return;
        };
        let (width, _) = self.viewport;
        let mut n = n;
        while n > 0 && cell < self.cells.len() {
            let h = self.height(cell, width, theme);
            let d = (h - line.min(h)).min(n);
            line += d;
            n -= d;
            if line >= h {
                cell += 1;
                line = 0;
            }
        }
        self.scroll = Scroll::Anchored { cell, line };
        self.settle(theme);
    }

    pub fn scroll_to_top(&mut self, theme: &Theme) {
        self.scroll = Scroll::Anchored { cell: 0, line: 0 };
        self.settle(theme);
    }

    pub fn scroll_to_bottom(&mut self) {
        self.scroll = Scroll::Bottom;
    }

    pub fn page(&self) -> usize {
        self.viewport.1.saturating_sub(2).max(1)
    }

    /// Switch back to following when the anchored view already shows the end.
    fn settle(&mut self, theme: &Theme) {
        let Scroll::Anchored { cell, line } = self.scroll else {
            return;
        };
        let (width, height) = self.viewport;
        let mut below = 0usize;
        let mut i = cell;
        while i < self.cells.len() {
            let h = self.height(i, width, theme);
            below += if i == cell { h.saturating_sub(line) } else { h };
            if below > height {
                return;
            }
            i += 1;
        }
        // Everything from the anchor down fits: follow the end, unless the content is shorter
        // than the screen and the anchor is the very top (then both views are the same).
        self.scroll = Scroll::Bottom;
    }

    /// When scrolled up: the lines below the view, counted over at most `cap_cells` cells
    /// (`(lines, false)` when the count stopped there: at least that many).
    pub fn lines_below(&mut self, theme: &Theme, cap_cells: usize) -> Option<(usize, bool)> {
        let Scroll::Anchored { cell, line } = self.scroll else {
            return None;
        };
        let (width, height) = self.viewport;
        let mut skip = height + line;
        let mut below = 0usize;
        let end = self.cells.len().min(cell.saturating_add(cap_cells));
        for i in cell..end {
            let h = self.height(i, width, theme);
            let shown = h.min(skip);
            skip -= shown;
            below += h - shown;
        }
        Some((below, end == self.cells.len()))
    }

    /// Index of the first cell in view (for paging in older history).
    pub fn first_visible_cell(&mut self, theme: &Theme) -> usize {
        let (width, height) = self.viewport;
        self.top_anchor(width, height, theme).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;

    fn theme() -> Theme {
        Theme::load("dark", None, true).unwrap_or_default()
    }

    fn screen(t: &mut Transcript, w: u16, h: u16) -> Vec<String> {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        t.render(area, &mut buf, &theme());
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    fn numbered(n: usize) -> Transcript {
        let mut t = Transcript::new();
        for i in 0..n {
            t.push(HistoryCell::notice(&format!("m{i}")));
        }
        t
    }

    #[test]
    fn follows_the_end_and_scrolls_by_lines() {
        // Each notice is 2 lines (text + separator).
        let mut t = numbered(10);
        assert_eq!(screen(&mut t, 10, 4), ["  m8", "", "  m9", ""]);
        t.scroll_up(3, &theme());
        assert_eq!(screen(&mut t, 10, 4), ["", "  m7", "", "  m8"]);
        t.push(HistoryCell::notice("new"));
        assert_eq!(
            screen(&mut t, 10, 4),
            ["", "  m7", "", "  m8"],
            "appending while scrolled up keeps the view"
        );
        t.scroll_down(100, &theme());
        assert_eq!(t.scroll(), Scroll::Bottom);
        assert_eq!(screen(&mut t, 10, 4), ["  m9", "", "  new", ""]);
        t.scroll_to_top(&theme());
        assert_eq!(screen(&mut t, 10, 4), ["  m0", "", "  m1", ""]);
    }

    #[test]
    fn prepending_history_keeps_the_view() {
        let mut t = numbered(5);
        screen(&mut t, 10, 4);
        t.scroll_up(2, &theme());
        let before = screen(&mut t, 10, 4);
        t.prepend(vec![HistoryCell::notice("old")]);
        assert_eq!(screen(&mut t, 10, 4), before);
        assert_eq!(t.first_visible_cell(&theme()), 3);
    }

    #[test]
    fn only_visible_cells_are_laid_out() {
        let mut t = numbered(10_000);
        screen(&mut t, 40, 10);
        let laid_out = t.cells.iter().filter(|c| c.cache.is_some()).count();
        assert!(laid_out <= 6, "laid out {laid_out} cells for a 10-row view");
    }

    #[test]
    fn short_content_is_top_aligned() {
        let mut t = numbered(1);
        assert_eq!(screen(&mut t, 10, 3), ["  m0", "", ""]);
    }
}
