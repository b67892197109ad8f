//! The /status panel: what the session is using right now.

use super::list::{HintStyle, render_hints};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

/// Rows of (label, value).
pub fn render(rows: &[(String, String)], area: Rect, buf: &mut Buffer, theme: &Theme) {
    let s = &theme.styles;
    let label_w = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let rect = super::centered(area, 76, rows.len() as u16 + 2);
    super::clear(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(s.popup_border)
        .title(Span::styled(" status ", s.popup_title))
        .title_bottom(render_hints(
            &[("Esc", "close")],
            HintStyle {
                key: s.dim,
                label: s.dim,
                gap: " ",
                pad: true,
            },
        ));
    let inner = block.inner(rect);
    block.render(rect, buf);
    for (i, (label, value)) in rows.iter().enumerate().take(inner.height as usize) {
        let line = Line::from(vec![
            Span::styled(format!("{label:>label_w$}  "), s.dim),
            Span::styled(value.clone(), s.text),
        ]);
        buf.set_line(
            inner.x + 1,
            inner.y + i as u16,
            &line,
            inner.width.saturating_sub(1),
        );
    }
}
