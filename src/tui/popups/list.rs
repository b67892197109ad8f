//! What every popup draws the same way: a scrolling list with one selected row and an empty
//! state ([`ListView`]), and a line of key hints ([`render_hints`]). The completion popup, the
//! pickers, the history browser, the approval dialog, the "send it?" question and /status use
//! these, so selection, scrolling and hints look and behave alike everywhere.

use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A list of `len` rows with `selected` highlighted, scrolled so the selection is visible.
#[derive(Debug, Clone, Copy)]
pub struct ListView<'a> {
    pub len: usize,
    pub selected: usize,
    /// Shown dimmed on the first row when the list is empty; `None`: nothing.
    pub empty: Option<&'a str>,
}

impl ListView<'_> {
    /// The first row shown when `rows` fit: the selection stays on the last visible row.
    pub fn first_shown(&self, rows: usize) -> usize {
        self.selected.saturating_sub(rows.saturating_sub(1))
    }

    /// The (text, description) styles of a row: the selection is highlighted whole.
    pub fn row_styles(theme: &Theme, selected: bool) -> (Style, Style) {
        let s = &theme.styles;
        if selected {
            (s.popup_selected, s.popup_selected)
        } else {
            (s.text, s.popup_description)
        }
    }

    /// Draw the visible rows into `area`, one per line: `row(index, selected)` builds each.
    pub fn render(
        &self,
        area: Rect,
        buf: &mut Buffer,
        theme: &Theme,
        mut row: impl FnMut(usize, bool) -> Line<'static>,
    ) {
        let rows = area.height as usize;
        if rows == 0 {
            return;
        }
        if self.len == 0 {
            if let Some(text) = self.empty {
                let line = Line::from(Span::styled(text.to_string(), theme.styles.dim));
                buf.set_line(area.x, area.y, &line, area.width);
            }
            return;
        }
        let start = self.first_shown(rows);
        for (y, i) in (start..self.len).take(rows).enumerate() {
            let line = row(i, i == self.selected);
            buf.set_line(area.x, area.y + y as u16, &line, area.width);
        }
    }
}

/// How a line of key hints looks.
#[derive(Debug, Clone, Copy)]
pub struct HintStyle {
    pub key: Style,
    pub label: Style,
    /// Between one hint and the next.
    pub gap: &'static str,
    /// A space before the first and after the last (for a hint line in a border).
    pub pad: bool,
}

/// `y yes once  n no`: each key in the key style, then its label.
pub fn render_hints(hints: &[(&str, &str)], style: HintStyle) -> Line<'static> {
    let mut spans = Vec::with_capacity(hints.len() * 3 + 2);
    if style.pad {
        spans.push(Span::styled(" ", style.label));
    }
    for (i, (key, label)) in hints.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(style.gap, style.label));
        }
        spans.push(Span::styled(key.to_string(), style.key));
        spans.push(Span::styled(format!(" {label}"), style.label));
    }
    if style.pad {
        spans.push(Span::styled(" ", style.label));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn hints_are_spaced_and_padded_as_asked() {
        let hints = [("y", "send"), ("n", "keep editing")];
        let plain = HintStyle {
            key: Style::default(),
            label: Style::default(),
            gap: "  ",
            pad: false,
        };
        assert_eq!(text(&render_hints(&hints, plain)), "y send  n keep editing");
        let framed = HintStyle {
            gap: " ",
            pad: true,
            ..plain
        };
        assert_eq!(
            text(&render_hints(&hints, framed)),
            " y send n keep editing "
        );
        assert_eq!(text(&render_hints(&[], plain)), "");
    }

    fn screen(buf: &Buffer) -> Vec<String> {
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_selection_stays_visible_and_an_empty_list_says_so() {
        let theme = Theme::default();
        let area = Rect::new(0, 0, 10, 3);
        let draw = |len: usize, selected: usize| {
            let mut buf = Buffer::empty(area);
            let view = ListView {
                len,
                selected,
                empty: Some("nothing"),
            };
            view.render(area, &mut buf, &theme, |i, sel| {
                Line::from(format!("{}{i}", if sel { ">" } else { " " }))
            });
            screen(&buf)
        };
        assert_eq!(draw(5, 0), [">0", " 1", " 2"]);
        assert_eq!(draw(5, 4), [" 2", " 3", ">4"]);
        assert_eq!(draw(2, 1), [" 0", ">1", ""]);
        assert_eq!(draw(0, 0), ["nothing", "", ""]);
    }
}
