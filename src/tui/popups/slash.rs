//! The completion list shown above the composer while a slash command is typed: command names
//! with one-line descriptions, then argument values (models, agents, themes, formats).

use super::list::ListView;
use crate::tui::commands::Candidate;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

/// Rows of candidates shown at once.
pub const MAX_ROWS: usize = 8;

#[derive(Debug, Default)]
pub struct SlashPopup {
    pub selected: usize,
}

impl SlashPopup {
    pub fn clamp(&mut self, len: usize) {
        if len == 0 {
            self.selected = 0;
        } else if self.selected >= len {
            self.selected = len - 1;
        }
    }

    pub fn up(&mut self, len: usize) {
        if len > 0 {
            self.selected = (self.selected + len - 1) % len;
        }
    }

    pub fn down(&mut self, len: usize) {
        if len > 0 {
            self.selected = (self.selected + 1) % len;
        }
    }

    /// Height the popup wants for `len` candidates (with its border).
    pub fn height(len: usize) -> u16 {
        (len.min(MAX_ROWS) + 2) as u16
    }

    pub fn render(&self, candidates: &[Candidate], area: Rect, buf: &mut Buffer, theme: &Theme) {
        let s = &theme.styles;
        super::clear(area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(s.popup_border)
            .title(Span::styled(
                " commands · Tab completes · Enter runs ",
                s.popup_title,
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        let label_w = candidates
            .iter()
            .map(|c| c.label.chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        let view = ListView {
            len: candidates.len(),
            selected: self.selected,
            empty: None,
        };
        view.render(inner, buf, theme, |i, selected| {
            let cand = &candidates[i];
            let (label_style, desc_style) = ListView::row_styles(theme, selected);
            let label = format!(" {:<label_w$} ", super::truncate(&cand.label, label_w));
            let room = (inner.width as usize).saturating_sub(label.chars().count() + 1);
            Line::from(vec![
                Span::styled(label, label_style),
                Span::styled(
                    format!(" {}", super::truncate(&cand.description, room)),
                    desc_style,
                ),
            ])
        });
    }
}
