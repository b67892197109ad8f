//! A filterable list picker (/model, /agent, /theme without an argument): type to filter,
//! Up/Down to move, Enter to choose, Esc to cancel.

use super::list::ListView;
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Model,
    Agent,
    Theme,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerItem {
    pub value: String,
    pub description: String,
    /// The current choice (marked in the list).
    pub current: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PickerOutcome {
    Pending,
    Cancel,
    Chosen(String),
}

pub struct Picker {
    pub kind: PickerKind,
    items: Vec<PickerItem>,
    filter: String,
    selected: usize,
}

impl Picker {
    pub fn new(kind: PickerKind, items: Vec<PickerItem>) -> Self {
        let selected = items.iter().position(|i| i.current).unwrap_or(0);
        Self {
            kind,
            items,
            filter: String::new(),
            selected,
        }
    }

    fn visible(&self) -> Vec<&PickerItem> {
        let f = self.filter.to_lowercase();
        self.items
            .iter()
            .filter(|i| {
                f.is_empty()
                    || i.value.to_lowercase().contains(&f)
                    || i.description.to_lowercase().contains(&f)
            })
            .collect()
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PickerOutcome {
        let len = self.visible().len();
        match key.code {
            KeyCode::Esc => return PickerOutcome::Cancel,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return PickerOutcome::Cancel;
            }
            KeyCode::Enter => {
                return match self.visible().get(self.selected) {
                    Some(item) => PickerOutcome::Chosen(item.value.clone()),
                    None => PickerOutcome::Pending,
                };
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down if self.selected + 1 < len => self.selected += 1,
            KeyCode::Backspace => {
                self.filter.pop();
                self.selected = 0;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        PickerOutcome::Pending
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let s = &theme.styles;
        let title = match self.kind {
            PickerKind::Model => " choose a model ",
            PickerKind::Agent => " choose an agent ",
            PickerKind::Theme => " choose a theme ",
        };
        let visible = self.visible();
        let height = (visible.len() as u16 + 4).clamp(6, 20);
        let area = super::centered(area, 70, height);
        super::clear(area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(s.popup_border)
            .title(Span::styled(title, s.popup_title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 {
            return;
        }
        let filter = Line::from(vec![
            Span::styled("filter: ", s.dim),
            Span::styled(self.filter.clone(), s.text),
        ]);
        buf.set_line(inner.x, inner.y, &filter, inner.width);
        let list = Rect::new(
            inner.x,
            inner.y + 1,
            inner.width,
            inner.height.saturating_sub(1),
        );
        let view = ListView {
            len: visible.len(),
            selected: self.selected,
            empty: Some("no match"),
        };
        view.render(list, buf, theme, |i, selected| {
            let item = visible[i];
            let mark = if item.current { "● " } else { "  " };
            let (style, desc) = ListView::row_styles(theme, selected);
            Line::from(vec![
                Span::styled(format!("{mark}{}", item.value), style),
                Span::styled(
                    if item.description.is_empty() {
                        String::new()
                    } else {
                        format!("  {}", item.description)
                    },
                    desc,
                ),
            ])
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(v: &str, current: bool) -> PickerItem {
        PickerItem {
            value: v.into(),
            description: String::new(),
            current,
        }
    }

    #[test]
    fn filters_moves_and_chooses() {
        let mut p = Picker::new(
            PickerKind::Model,
            vec![
                item("auto", false),
                item("opus", true),
                item("sonnet", false),
            ],
        );
        assert_eq!(
            p.handle_key(KeyEvent::from(KeyCode::Enter)),
            PickerOutcome::Chosen("opus".into()),
            "starts on the current"
        );
        p.handle_key(KeyEvent::from(KeyCode::Char('s')));
        p.handle_key(KeyEvent::from(KeyCode::Char('o')));
        assert_eq!(
            p.handle_key(KeyEvent::from(KeyCode::Enter)),
            PickerOutcome::Chosen("sonnet".into())
        );
        p.handle_key(KeyEvent::from(KeyCode::Backspace));
        p.handle_key(KeyEvent::from(KeyCode::Backspace));
        p.handle_key(KeyEvent::from(KeyCode::Down));
        assert_eq!(
            p.handle_key(KeyEvent::from(KeyCode::Enter)),
            PickerOutcome::Chosen("opus".into())
        );
        assert_eq!(
            p.handle_key(KeyEvent::from(KeyCode::Esc)),
            PickerOutcome::Cancel
        );
    }
}
