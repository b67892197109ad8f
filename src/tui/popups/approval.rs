//! The approval dialog for a tool call: shows the exact command or diff; `y` runs it once, `a`
//! always (for this tool in this conversation), `n` denies and lets the user type a reason
//! for the model (Enter sends it, Esc goes back). Esc on the choice denies without a reason.

use crate::protocol::ApprovalDecision;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::Theme;
use crate::tui::wrap::wrap_text;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

#[derive(Debug, PartialEq)]
pub enum ApprovalOutcome {
    Pending,
    Decided(ApprovalDecision),
}

#[derive(Debug, Clone)]
pub struct ApprovalDialog {
    pub call_id: String,
    pub tool: String,
    preview: String,
    reason: Option<String>,
    scroll: usize,
}

impl ApprovalDialog {
    pub fn new(call_id: &str, tool: &str, preview: &str) -> Self {
        Self {
            call_id: call_id.to_string(),
            tool: sanitize(tool),
            preview: sanitize(preview),
            reason: None,
            scroll: 0,
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> ApprovalOutcome {
        if let Some(reason) = self.reason.as_mut() {
            match key.code {
                KeyCode::Enter => {
                    let reason = reason.trim().to_string();
                    return ApprovalOutcome::Decided(ApprovalDecision::Deny {
                        reason: (!reason.is_empty()).then_some(reason),
                    });
                }
                KeyCode::Esc => self.reason = None,
                KeyCode::Backspace => {
                    reason.pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    reason.push(c)
                }
                _ => {}
            }
            return ApprovalOutcome::Pending;
        }
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                ApprovalOutcome::Decided(ApprovalDecision::Once)
            }
            KeyCode::Char('a') | KeyCode::Char('A') => {
                ApprovalOutcome::Decided(ApprovalDecision::Always { pattern: None })
            }
            KeyCode::Char('n') | KeyCode::Char('N') => {
                self.reason = Some(String::new());
                ApprovalOutcome::Pending
            }
            KeyCode::Esc => ApprovalOutcome::Decided(ApprovalDecision::Deny { reason: None }),
            KeyCode::Down | KeyCode::PageDown => {
                self.scroll += if key.code == KeyCode::Down { 1 } else { 10 };
                ApprovalOutcome::Pending
            }
            KeyCode::Up | KeyCode::PageUp => {
                self.scroll =
                    self.scroll
                        .saturating_sub(if key.code == KeyCode::Up { 1 } else { 10 });
                ApprovalOutcome::Pending
            }
            _ => ApprovalOutcome::Pending,
        }
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let s = &theme.styles;
        let width = area.width.saturating_sub(4).clamp(20, 100);
        let inner_w = width.saturating_sub(2) as usize;
        let mut body: Vec<Line<'static>> = Vec::new();
        for line in self.preview.split('\n') {
            let style =
                if line.starts_with("+++") || line.starts_with("---") || line.starts_with("@@") {
                    s.diff_header
                } else if line.starts_with('+') {
                    s.diff_added
                } else if line.starts_with('-') {
                    s.diff_removed
                } else {
                    s.text
                };
            body.extend(wrap_text(line, style, inner_w, &[], &[]));
        }
        let max_body = area.height.saturating_sub(6).max(1) as usize;
        self.scroll = self.scroll.min(body.len().saturating_sub(max_body));
        let shown = body.len().min(max_body);
        let height = (shown + 4) as u16;
        let rect = super::centered(area, width, height);
        super::clear(rect, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(s.approval_border)
            .title(Span::styled(
                format!(" allow {}? ", self.tool),
                s.approval_border,
            ));
        let inner = block.inner(rect);
        block.render(rect, buf);
        // Rows for the preview: everything but the footer (and the "more" line).
        let room = inner.height.saturating_sub(2) as usize;
        let shown = shown.min(room);
        for (row, line) in body.iter().skip(self.scroll).take(shown).enumerate() {
            buf.set_line(inner.x, inner.y + row as u16, line, inner.width);
        }
        if body.len() > shown {
            let more = format!(
                " {}/{} lines · ↑↓ scroll ",
                (self.scroll + shown).min(body.len()),
                body.len()
            );
            let line = Line::from(Span::styled(more, s.dim));
            buf.set_line(inner.x, inner.y + shown as u16, &line, inner.width);
        }
        let footer = match &self.reason {
            None => Line::from(vec![
                Span::styled("y", s.key_hint),
                Span::styled(" yes once  ", s.text),
                Span::styled("a", s.key_hint),
                Span::styled(" always in this conversation  ", s.text),
                Span::styled("n", s.key_hint),
                Span::styled(" no", s.text),
            ]),
            Some(reason) => Line::from(vec![
                Span::styled("reason (optional, Enter to deny, Esc back): ", s.key_hint),
                Span::styled(reason.clone(), s.text),
                Span::styled("▏", s.key_hint),
            ]),
        };
        buf.set_line(
            inner.x,
            inner.y + inner.height.saturating_sub(1),
            &footer,
            inner.width,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::from(c)
    }

    #[test]
    fn answers() {
        let cases: Vec<(Vec<KeyCode>, ApprovalDecision)> = vec![
            (vec![KeyCode::Char('y')], ApprovalDecision::Once),
            (
                vec![KeyCode::Char('a')],
                ApprovalDecision::Always { pattern: None },
            ),
            (
                vec![KeyCode::Char('n'), KeyCode::Enter],
                ApprovalDecision::Deny { reason: None },
            ),
            (
                vec![
                    KeyCode::Char('n'),
                    KeyCode::Char('n'),
                    KeyCode::Char('o'),
                    KeyCode::Enter,
                ],
                ApprovalDecision::Deny {
                    reason: Some("no".into()),
                },
            ),
            (
                vec![KeyCode::Char('n'), KeyCode::Esc, KeyCode::Char('y')],
                ApprovalDecision::Once,
            ),
            (
                vec![KeyCode::Char('x'), KeyCode::Esc],
                ApprovalDecision::Deny { reason: None },
            ),
        ];
        for (keys, want) in cases {
            let mut d = ApprovalDialog::new("c1", "bash", "rm -rf target");
            let mut got = ApprovalOutcome::Pending;
            for k in &keys {
                got = d.handle_key(key(*k));
            }
            assert_eq!(got, ApprovalOutcome::Decided(want), "{keys:?}");
        }
    }
}
