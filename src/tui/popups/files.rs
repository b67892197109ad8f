//! The `@` file finder's list, drawn above the composer like the command completion: the
//! workspace paths the typed query matches, best first, the matched characters highlighted.
//! It only draws; which paths match and what a key does is in `app/finder.rs`.

use super::list::ListView;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

/// Rows of paths shown at once.
pub const MAX_ROWS: usize = 8;

/// What the finder shows in one frame.
pub struct FileList<'a> {
    pub query: &'a str,
    /// The matching paths, best first (directories end with `/`).
    pub paths: &'a [String],
    pub selected: usize,
    /// The list is still being read (first time).
    pub loading: bool,
    /// The walk stopped at this many paths.
    pub capped_at: Option<usize>,
}

impl FileList<'_> {
    /// Height the popup wants (with its border; one row for the empty state).
    pub fn height(&self) -> u16 {
        (self.paths.len().clamp(1, MAX_ROWS) + 2) as u16
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let s = &theme.styles;
        super::clear(area, buf);
        let mut title = " files · Tab/Enter inserts · Esc closes ".to_string();
        if let Some(cap) = self.capped_at {
            title.push_str(&format!("· first {} paths only ", format_thousands(cap)));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(s.popup_border)
            .title(Span::styled(title, s.popup_title));
        let inner = block.inner(area);
        block.render(area, buf);
        // Indented like the rows.
        let empty = if self.loading {
            " listing the workspace…"
        } else {
            " no matching file"
        };
        let view = ListView {
            len: self.paths.len(),
            selected: self.selected,
            empty: Some(empty),
        };
        let width = inner.width as usize;
        view.render(inner, buf, theme, |i, selected| {
            let path = &self.paths[i];
            let (style, _) = ListView::row_styles(theme, selected);
            let hit = if selected {
                style.patch(s.search_match)
            } else {
                s.search_match
            };
            let shown = super::truncate(path, width.saturating_sub(1));
            let matched = if shown == *path {
                crate::tui::fuzzy::matched_chars(self.query, path)
            } else {
                Vec::new()
            };
            let mut spans = vec![Span::styled(" ", style)];
            let mut run = String::new();
            let mut run_hit = false;
            for (ci, c) in shown.chars().enumerate() {
                let is_hit = matched.binary_search(&ci).is_ok();
                if is_hit != run_hit && !run.is_empty() {
                    let style = if run_hit { hit } else { style };
                    spans.push(Span::styled(std::mem::take(&mut run), style));
                }
                run_hit = is_hit;
                run.push(c);
            }
            if !run.is_empty() {
                spans.push(Span::styled(run, if run_hit { hit } else { style }));
            }
            let used = 1 + shown.chars().count();
            if selected && used < width {
                spans.push(Span::styled(" ".repeat(width - used), style));
            }
            Line::from(spans)
        });
    }
}

/// `50,000`.
fn format_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(list: &FileList<'_>) -> Vec<String> {
        let area = Rect::new(0, 0, 70, list.height());
        let mut buf = Buffer::empty(area);
        list.render(area, &mut buf, &Theme::default());
        (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn a_capped_list_says_so_and_a_loading_one_too() {
        let paths = ["src/".to_string(), "src/main.rs".to_string()];
        let capped = FileList {
            query: "",
            paths: &paths,
            selected: 1,
            loading: false,
            capped_at: Some(50_000),
        };
        let lines = drawn(&capped);
        assert!(lines[0].contains("first 50,000 paths only"), "{lines:?}");
        assert_eq!(lines[2].trim_end_matches('│').trim_end(), "│ src/main.rs");
        let loading = FileList {
            paths: &[],
            loading: true,
            capped_at: None,
            ..capped
        };
        let lines = drawn(&loading);
        assert!(!lines[0].contains("only"), "{lines:?}");
        assert!(lines[1].contains("listing the workspace…"), "{lines:?}");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(format_thousands(50_000), "50,000");
        assert_eq!(format_thousands(999), "999");
        assert_eq!(format_thousands(1_234_567), "1,234,567");
    }
}
