//! The approval dialog for a tool call: shows the exact command or diff; `y` runs it once, `a`
//! always allows this exact call (same command, or same path) for the rest of the
//! conversation, `p` (when the core offers a `cmd:*` prefix) always allows every command the
//! prefix matches, `n` denies and lets the user type a reason for the model (Enter sends it,
//! Esc goes back). Esc on the choice interrupts the turn. The choice keys are the keymap's
//! approval context ([`crate::tui::keymap`]); a reason is typed as text.
//!
//! The dialog takes no answer until it has been on screen for [`GUARD`] with no key typed in
//! that time: a key typed before the dialog appeared (or queued in the terminal's input when
//! it did) belongs to what the user was writing, so the App gives it to the draft instead.

use super::list::{HintStyle, render_hints};
use crate::protocol::ApprovalDecision;
use crate::sanitize::{show_cells, strip_cells};
use crate::tui::keymap::{Action, KeyContext, KeyState, Keymap};
use crate::tui::theme::Theme;
use crate::tui::wrap::wrap_text;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};
use std::time::{Duration, Instant};

/// How long the dialog must have been visible, with no key typed meanwhile, before it takes an
/// answer. Long enough to cover a typing burst and a stalled input queue, short enough not to
/// be noticed by someone who reads the dialog first.
pub const GUARD: Duration = Duration::from_millis(500);

#[derive(Debug, PartialEq)]
pub enum ApprovalOutcome {
    Pending,
    Decided(ApprovalDecision),
    /// Esc: stop the whole turn.
    Interrupt,
}

#[derive(Debug, Clone)]
pub struct ApprovalDialog {
    pub call_id: String,
    pub tool: String,
    preview: String,
    /// The `cmd:*` pattern offered for "always allow commands like this" (bash only).
    prefix: Option<String>,
    reason: Option<String>,
    scroll: usize,
    /// When the dialog was first drawn.
    shown_at: Option<Instant>,
}

impl ApprovalDialog {
    pub fn new(call_id: &str, tool: &str, preview: &str, prefix: Option<&str>) -> Self {
        Self {
            call_id: call_id.to_string(),
            tool: strip_cells(tool),
            preview: strip_cells(preview),
            prefix: prefix.map(str::to_string),
            reason: None,
            scroll: 0,
            shown_at: None,
        }
    }

    /// Note that the dialog is on screen (the first call counts).
    pub fn shown(&mut self, now: Instant) {
        self.shown_at.get_or_insert(now);
    }

    /// When the dialog starts taking answers, given when the last key was typed; `None` until
    /// it has been drawn.
    pub fn armed_at(&self, last_key: Option<Instant>) -> Option<Instant> {
        let shown = self.shown_at?;
        Some(last_key.map_or(shown, |k| k.max(shown)) + GUARD)
    }

    /// Whether a key typed at `now` answers the dialog (else it belongs to the draft).
    /// `last_key` is when the key before it was typed.
    pub fn takes_key(&self, now: Instant, last_key: Option<Instant>) -> bool {
        self.reason.is_some() || self.armed_at(last_key).is_some_and(|at| now >= at)
    }

    /// Whether the user is typing a reason for denying (every key goes to it).
    pub fn typing_reason(&self) -> bool {
        self.reason.is_some()
    }

    /// Pasted text while typing a reason (one line).
    pub fn paste(&mut self, text: &str) {
        if let Some(reason) = self.reason.as_mut() {
            reason.push_str(&show_cells(text).replace('\n', " "));
        }
    }

    /// Handle a key with the default keymap.
    pub fn handle_key(&mut self, key: KeyEvent) -> ApprovalOutcome {
        self.handle_key_in(Keymap::defaults(), key)
    }

    /// Handle a key the App gave the dialog (after its guard): a reason being typed takes
    /// every key as text; otherwise the approval context of `keymap` says what it means.
    pub fn handle_key_in(&mut self, keymap: &Keymap, key: KeyEvent) -> ApprovalOutcome {
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
                    reason.push_str(&show_cells(&c.to_string()))
                }
                _ => {}
            }
            return ApprovalOutcome::Pending;
        }
        match keymap.resolve(KeyContext::Approval, &key, KeyState::default()) {
            Some(action) => self.perform(action),
            None => ApprovalOutcome::Pending,
        }
    }

    fn perform(&mut self, action: Action) -> ApprovalOutcome {
        match action {
            Action::ApproveOnce => ApprovalOutcome::Decided(ApprovalDecision::Once),
            Action::ApproveAlways => {
                ApprovalOutcome::Decided(ApprovalDecision::Always { pattern: None })
            }
            Action::ApprovePrefix if self.prefix.is_some() => {
                ApprovalOutcome::Decided(ApprovalDecision::Always {
                    pattern: self.prefix.clone(),
                })
            }
            Action::Deny => {
                self.reason = Some(String::new());
                ApprovalOutcome::Pending
            }
            Action::Interrupt => ApprovalOutcome::Interrupt,
            Action::ScrollLineDown | Action::ScrollPageDown => {
                self.scroll += if action == Action::ScrollLineDown {
                    1
                } else {
                    10
                };
                ApprovalOutcome::Pending
            }
            Action::ScrollLineUp | Action::ScrollPageUp => {
                let lines = if action == Action::ScrollLineUp {
                    1
                } else {
                    10
                };
                self.scroll = self.scroll.saturating_sub(lines);
                ApprovalOutcome::Pending
            }
            _ => ApprovalOutcome::Pending,
        }
    }

    /// The choice lines under the preview; dimmed while the dialog does not take keys yet.
    fn choices(&self, theme: &Theme, armed: bool) -> Vec<Line<'static>> {
        let s = &theme.styles;
        let (key, text): (Style, Style) = if armed {
            (s.key_hint, s.text)
        } else {
            (s.dim, s.dim)
        };
        if let Some(reason) = &self.reason {
            return vec![Line::from(vec![
                Span::styled("reason (optional, Enter to deny, Esc back): ", s.key_hint),
                Span::styled(reason.clone(), s.text),
                Span::styled("▏", s.key_hint),
            ])];
        }
        let exact = match self.tool.as_str() {
            "bash" => "always this exact command",
            "read" | "write" | "edit" => "always this file",
            _ => "always this exact call",
        };
        let mut lines = vec![render_hints(
            &[
                ("y", "yes once"),
                ("a", exact),
                ("n", "no"),
                ("Esc", "stop the turn"),
            ],
            HintStyle {
                key,
                label: text,
                gap: "  ",
                pad: false,
            },
        )];
        if let Some(prefix) = &self.prefix {
            lines.push(Line::from(vec![
                Span::styled("p", key),
                Span::styled(" always allow ", text),
                Span::styled(format!("{}({})", self.tool, show_cells(prefix)), key),
                Span::styled(" in this conversation", text),
            ]));
        }
        lines
    }

    /// Draw the dialog; `armed`: whether it takes answers now (the choices are dimmed until).
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme, armed: bool) {
        let s = &theme.styles;
        let footer = self.choices(theme, armed);
        let footer_h = footer.len();
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
        let max_body = (area.height as usize).saturating_sub(5 + footer_h).max(1);
        self.scroll = self.scroll.min(body.len().saturating_sub(max_body));
        let shown = body.len().min(max_body);
        let height = (shown + 3 + footer_h) as u16;
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
        let room = (inner.height as usize).saturating_sub(1 + footer_h);
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
        let top = inner.y + inner.height.saturating_sub(footer_h as u16);
        for (i, line) in footer.iter().enumerate() {
            let y = top + i as u16;
            if y >= inner.y && y < inner.y + inner.height {
                buf.set_line(inner.x, y, line, inner.width);
            }
        }
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
                vec![KeyCode::Char('p')],
                ApprovalDecision::Always {
                    pattern: Some("cargo test:*".into()),
                },
            ),
        ];
        for (keys, want) in cases {
            let mut d = ApprovalDialog::new("c1", "bash", "cargo test -q", Some("cargo test:*"));
            let mut got = ApprovalOutcome::Pending;
            for k in &keys {
                got = d.handle_key(key(*k));
            }
            assert_eq!(got, ApprovalOutcome::Decided(want), "{keys:?}");
        }
    }

    #[test]
    fn esc_interrupts_and_p_needs_an_offered_prefix() {
        let mut d = ApprovalDialog::new("c1", "bash", "ls", None);
        assert_eq!(
            d.handle_key(key(KeyCode::Char('p'))),
            ApprovalOutcome::Pending
        );
        assert_eq!(
            d.handle_key(key(KeyCode::Char('x'))),
            ApprovalOutcome::Pending
        );
        assert_eq!(d.handle_key(key(KeyCode::Esc)), ApprovalOutcome::Interrupt);
        d.handle_key(key(KeyCode::Char('n')));
        assert_eq!(
            d.handle_key(key(KeyCode::Esc)),
            ApprovalOutcome::Pending,
            "Esc while typing a reason goes back to the choice"
        );
        assert_eq!(d.handle_key(key(KeyCode::Esc)), ApprovalOutcome::Interrupt);
    }

    #[test]
    fn takes_keys_only_after_being_shown_for_the_guard_with_no_typing() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut d = ApprovalDialog::new("c1", "bash", "ls", None);
        // (time of the key, time of the key before it, takes it)
        assert!(!d.takes_key(ms(5_000), None), "never drawn yet");
        d.shown(ms(0));
        d.shown(ms(300));
        let cases = [
            (ms(100), None, false),
            (ms(499), None, false),
            (ms(500), None, true),
            (ms(600), Some(ms(0)), true),
            (ms(600), Some(ms(150)), false),
            (ms(600), Some(ms(200)), false),
            (ms(700), Some(ms(200)), true),
            (ms(900), Some(t0 - Duration::from_millis(400)), true),
        ];
        for (now, last, want) in cases {
            assert_eq!(d.takes_key(now, last), want, "{now:?} {last:?}");
        }
        assert_eq!(d.armed_at(Some(ms(200))), Some(ms(700)));
        d.handle_key(key(KeyCode::Char('n')));
        assert!(
            d.takes_key(ms(1), Some(ms(1))),
            "a reason is typed without a guard"
        );
    }
}
