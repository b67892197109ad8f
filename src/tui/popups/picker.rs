//! A filterable list picker (/model, /agent, /theme without an argument): type to filter
//! (fuzzy, best match first), Up/Down to move, Tab to complete the filter to the selected
//! entry, Enter to choose, Esc to cancel. Enter on a filter nothing matches hands the typed
//! text back ([`PickerOutcome::Unmatched`]) so it is not lost. The model picker's list grows
//! when the providers' own lists arrive ([`Picker::set_items`]).

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
    /// Enter with a filter that matches nothing: the typed text.
    Unmatched(String),
}

pub struct Picker {
    pub kind: PickerKind,
    items: Vec<PickerItem>,
    filter: String,
    selected: usize,
    /// Said under the title while more entries are on their way (the providers' lists).
    pub note: Option<String>,
}

impl Picker {
    pub fn new(kind: PickerKind, items: Vec<PickerItem>) -> Self {
        let selected = items.iter().position(|i| i.current).unwrap_or(0);
        Self {
            kind,
            items,
            filter: String::new(),
            selected,
            note: None,
        }
    }

    /// Replace the entries (more arrived), keeping the filter and the selected entry.
    pub fn set_items(&mut self, items: Vec<PickerItem>) {
        let selected = self.visible().get(self.selected).map(|i| i.value.clone());
        self.items = items;
        let visible = self.visible();
        self.selected = selected
            .and_then(|v| visible.iter().position(|i| i.value == v))
            .or_else(|| {
                visible
                    .iter()
                    .position(|i| i.current && self.filter.is_empty())
            })
            .unwrap_or(0);
    }

    /// The entries the filter matches, best first.
    fn visible(&self) -> Vec<&PickerItem> {
        super::super::fuzzy::rank(&self.filter, &self.items, |i| {
            format!("{} {}", i.value, i.description)
        })
        .into_iter()
        .map(|i| &self.items[i])
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
                    None if !self.filter.trim().is_empty() => {
                        PickerOutcome::Unmatched(self.filter.trim().to_string())
                    }
                    None => PickerOutcome::Pending,
                };
            }
            KeyCode::Tab => {
                if let Some(item) = self.visible().get(self.selected) {
                    self.filter = item.value.clone();
                    self.selected = 0;
                }
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
            PickerKind::Model => " choose a model · Tab completes ",
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
        let mut filter = vec![
            Span::styled("filter: ", s.dim),
            Span::styled(self.filter.clone(), s.text),
        ];
        if let Some(note) = &self.note {
            filter.push(Span::styled(format!("  ({note})"), s.dim));
        }
        let filter = Line::from(filter);
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

    fn typed(p: &mut Picker, text: &str) {
        for c in text.chars() {
            p.handle_key(KeyEvent::from(KeyCode::Char(c)));
        }
    }

    #[test]
    fn fuzzy_filter_tab_completion_and_no_match() {
        let mut p = Picker::new(
            PickerKind::Model,
            vec![item("auto", true), item("opus", false)],
        );
        p.set_items(vec![
            item("auto", true),
            item("opus", false),
            item("openai/gpt-5", false),
            item("openrouter/anthropic/claude-sonnet-4.6", false),
        ]);
        typed(&mut p, "orsonnet");
        p.handle_key(KeyEvent::from(KeyCode::Tab));
        assert_eq!(p.filter, "openrouter/anthropic/claude-sonnet-4.6");
        assert_eq!(
            p.handle_key(KeyEvent::from(KeyCode::Enter)),
            PickerOutcome::Chosen("openrouter/anthropic/claude-sonnet-4.6".into())
        );
        let mut p = Picker::new(PickerKind::Model, vec![item("opus", false)]);
        typed(&mut p, "ollama/qwen3");
        assert_eq!(
            p.handle_key(KeyEvent::from(KeyCode::Enter)),
            PickerOutcome::Unmatched("ollama/qwen3".into()),
            "the typed text comes back, not swallowed"
        );
    }
}
