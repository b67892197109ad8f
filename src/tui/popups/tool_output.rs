//! The tool-output pager (Ctrl+O by default): the whole output of one tool call in a
//! scrollable popup, where the transcript's tool cell shows only its last lines. The text is
//! the one the transcript cell holds: the result as stored and sent to the model (tool results
//! are capped at 30,000 characters before that, well under what a cell keeps), or, while the
//! tool runs, what it printed so far. It opens on the latest call; Left/Right step to the
//! previous/next call on screen, so it works the same in inline and fullscreen mode and after
//! a resume (the cells of a resumed conversation carry their stored results).

use super::list::{HintStyle, render_hints};
use crate::tui::history_cell::{ToolCell, ToolState};
use crate::tui::theme::Theme;
use crate::tui::wrap::wrap_line;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Widget};
use std::cell::Cell;

/// What a key did to the pager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerOutcome {
    Pending,
    Close,
    /// Show the previous / next tool call.
    Prev,
    Next,
}

/// The pager's state: which call it shows and how far it is scrolled.
#[derive(Debug)]
pub struct ToolPager {
    /// The tool call shown (ids stay valid when earlier history pages are loaded).
    pub call_id: String,
    scroll: usize,
    /// Body rows and the largest scroll at the last frame (paging and clamping keys).
    page: Cell<usize>,
    max_scroll: Cell<usize>,
}

impl ToolPager {
    pub fn new(call_id: String) -> Self {
        Self {
            call_id,
            scroll: 0,
            page: Cell::new(10),
            max_scroll: Cell::new(usize::MAX),
        }
    }

    /// Show another call, from its top.
    pub fn show(&mut self, call_id: String) {
        *self = Self::new(call_id);
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PagerOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let page = self.page.get().max(1);
        let max = self.max_scroll.get();
        self.scroll = match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => return PagerOutcome::Close,
            KeyCode::Char('o') if ctrl => return PagerOutcome::Close,
            KeyCode::Left | KeyCode::Char('h') => return PagerOutcome::Prev,
            KeyCode::Right | KeyCode::Char('l') => return PagerOutcome::Next,
            KeyCode::Up | KeyCode::Char('k') => self.scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll + 1,
            KeyCode::PageUp | KeyCode::Char('b') => self.scroll.saturating_sub(page),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll + page,
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => max,
            _ => self.scroll,
        }
        .min(max);
        PagerOutcome::Pending
    }

    /// Draw the pager over `area` for `tool`, the `index`th (from 1) of `count` calls.
    pub fn render(
        &self,
        tool: Option<&ToolCell>,
        (index, count): (usize, usize),
        area: Rect,
        buf: &mut Buffer,
        theme: &Theme,
    ) {
        let s = &theme.styles;
        let rect = super::centered(area, area.width, area.height);
        super::clear(rect, buf);
        let (title, body, style) = match tool {
            Some(t) => {
                let (mark, style) = match t.state {
                    ToolState::Done { is_error: true } => ("✗", s.tool_error),
                    ToolState::Done { is_error: false } => ("✓", s.tool_output),
                    _ => ("⚙", s.tool_output),
                };
                let title = format!(" {mark} {} {} ", t.name, t.summary);
                (title, t.output.trim_end_matches('\n'), style)
            }
            None => (" tool output ".to_string(), "", s.dim),
        };
        // Inside the border, a column of margin each side.
        let inner_w = usize::from(rect.width.saturating_sub(4)).max(1);
        let mut rows = Vec::new();
        if body.is_empty() {
            rows.push(ratatui::text::Line::from(Span::styled(
                "(no output)",
                s.dim,
            )));
        }
        for line in body.split('\n').filter(|_| !body.is_empty()) {
            rows.extend(wrap_line(
                &[Span::styled(line.to_string(), style)],
                inner_w,
                &[],
                &[],
            ));
        }
        let height = usize::from(rect.height.saturating_sub(2));
        let max = rows.len().saturating_sub(height);
        let scroll = self.scroll.min(max);
        self.page.set(height);
        self.max_scroll.set(max);
        let shown = format!(
            "{}-{} of {} · call {index}/{count}",
            (scroll + 1).min(rows.len()),
            (scroll + height).min(rows.len()),
            rows.len()
        );
        let hints = render_hints(
            &[
                ("↑↓ PgUp PgDn", "scroll"),
                ("←→", "other calls"),
                ("Esc", "close"),
            ],
            HintStyle {
                key: s.key_hint,
                label: s.dim,
                gap: "  ",
                pad: true,
            },
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(s.popup_border)
            .title(Span::styled(
                super::truncate(&title, inner_w.saturating_sub(shown.len() + 2)),
                s.popup_title,
            ))
            .title(
                ratatui::text::Line::from(Span::styled(format!(" {shown} "), s.dim))
                    .right_aligned(),
            )
            .title_bottom(hints);
        let inner = block.inner(rect);
        block.render(rect, buf);
        for (i, line) in rows.iter().skip(scroll).take(height).enumerate() {
            buf.set_line(
                inner.x + 1,
                inner.y + i as u16,
                line,
                inner.width.saturating_sub(2),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_scroll_within_the_output_and_close() {
        let mut p = ToolPager::new("c1".into());
        p.page.set(5);
        p.max_scroll.set(12);
        let cases = [
            (KeyCode::Down, 1),
            (KeyCode::PageDown, 6),
            (KeyCode::End, 12),
            (KeyCode::Down, 12),
            (KeyCode::PageUp, 7),
            (KeyCode::Up, 6),
            (KeyCode::Home, 0),
            (KeyCode::Up, 0),
        ];
        for (code, want) in cases {
            assert_eq!(p.handle_key(key(code)), PagerOutcome::Pending);
            assert_eq!(p.scroll, want, "{code:?}");
        }
        assert_eq!(p.handle_key(key(KeyCode::Left)), PagerOutcome::Prev);
        assert_eq!(p.handle_key(key(KeyCode::Right)), PagerOutcome::Next);
        assert_eq!(p.handle_key(key(KeyCode::Esc)), PagerOutcome::Close);
    }
}
