//! "Send this huge message?": asked before a message larger than [`LARGE_MESSAGE_BYTES`], or one
//! that would not fit the model's context window with what is already in it, is sent. `y`
//! sends it; `n` or Esc goes back to the draft, untouched.
//!
//! Tokens are the core's estimate ([`crate::core::context::estimate_text`], the rule the
//! status line's "ctx %" uses), so the dialog and the status line agree.

use super::list::{HintStyle, render_hints};
use crate::core::context::estimate_text;
use crate::tui::keymap::{Action, KeyContext, KeyState, Keymap};
use crate::tui::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

/// Messages larger than this (bytes of UTF-8) are sent only after a yes.
pub const LARGE_MESSAGE_BYTES: usize = 100_000;

#[derive(Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Pending,
    Send,
    Keep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendConfirm {
    /// The message waiting for the answer.
    pub text: String,
    tokens: u64,
    /// (tokens already in the context, the model's window) when the message would not fit.
    overflow: Option<(u64, u64)>,
    /// Set when the draft was already sent (its attached files were read first): the typed
    /// text, which "keep editing" puts back in the composer.
    pub typed: Option<String>,
}

impl SendConfirm {
    /// The question to ask before sending `text`, or `None` when it can go at once.
    /// `context`: tokens in use and the model's window, when the core has said.
    pub fn check(text: &str, context_tokens: u64, window: Option<u64>) -> Option<Self> {
        let tokens = estimate_text(text);
        let overflow = window
            .filter(|w| *w > 0 && context_tokens.saturating_add(tokens) > *w)
            .map(|w| (context_tokens, w));
        (text.len() > LARGE_MESSAGE_BYTES || overflow.is_some()).then(|| Self {
            text: text.to_string(),
            tokens,
            overflow,
            typed: None,
        })
    }

    /// The question about a message whose draft (`typed`) was already taken from the composer.
    pub fn already_sent_from_draft(self, typed: String) -> Self {
        Self {
            typed: Some(typed),
            ..self
        }
    }

    /// Handle a key with the default keymap.
    pub fn handle_key(&mut self, key: KeyEvent) -> ConfirmOutcome {
        self.handle_key_in(Keymap::defaults(), key)
    }

    /// What `key` answers, by the confirm context of `keymap` (other keys are ignored).
    pub fn handle_key_in(&mut self, keymap: &Keymap, key: KeyEvent) -> ConfirmOutcome {
        match keymap.resolve(KeyContext::Confirm, &key, KeyState::default()) {
            Some(Action::ConfirmSend) => ConfirmOutcome::Send,
            Some(Action::ConfirmKeep) => ConfirmOutcome::Keep,
            _ => ConfirmOutcome::Pending,
        }
    }

    /// The question, e.g. `send 1.2 MB (~300k tokens)?`.
    pub fn question(&self) -> String {
        format!(
            "send {} (~{} tokens)?",
            format_bytes(self.text.len()),
            format_tokens(self.tokens)
        )
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let s = &theme.styles;
        let mut lines = vec![Line::from(Span::styled(self.question(), s.text))];
        if let Some((used, window)) = self.overflow {
            lines.push(Line::from(Span::styled(
                format!(
                    "too big for the context window: ~{} in use + ~{} > {}",
                    format_tokens(used),
                    format_tokens(self.tokens),
                    format_tokens(window)
                ),
                s.error,
            )));
        }
        lines.push(Line::default());
        lines.push(render_hints(
            &[("y", "send"), ("n", "keep editing")],
            HintStyle {
                key: s.key_hint,
                label: s.text,
                gap: "  ",
                pad: false,
            },
        ));
        let widest = lines.iter().map(Line::width).max().unwrap_or(0);
        let width = u16::try_from(widest + 4).unwrap_or(u16::MAX).max(30);
        let height = lines.len() as u16 + 2;
        let rect = super::centered(area, width, height);
        super::clear(rect, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(s.approval_border)
            .title(Span::styled(" send this message? ", s.approval_border));
        let inner = block.inner(rect);
        block.render(rect, buf);
        for (i, line) in lines.iter().enumerate().take(inner.height as usize) {
            buf.set_line(
                inner.x + 1,
                inner.y + i as u16,
                line,
                inner.width.saturating_sub(1),
            );
        }
    }
}

/// `950 B`, `120 KB`, `1.2 MB` (decimal units, as file sizes are usually shown).
pub fn format_bytes(n: usize) -> String {
    match n {
        0..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{} KB", (n as f64 / 1_000.0).round()),
        _ => format!("{:.1} MB", n as f64 / 1_000_000.0),
    }
}

/// `950`, `7.9k`, `8k`, `300k`, `1.2M`.
pub fn format_tokens(n: u64) -> String {
    let short = match n {
        0..=999 => return n.to_string(),
        1_000..=9_999 => format!("{:.1}k", n as f64 / 1_000.0),
        10_000..=999_999 => format!("{}k", (n as f64 / 1_000.0).round()),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    };
    short.replace(".0", "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyCode;

    #[test]
    fn asks_for_large_messages_and_those_that_overflow_the_window() {
        let big = "x".repeat(1_200_000);
        // (text, tokens in use, window, asks)
        let cases: Vec<(String, u64, Option<u64>, bool)> = vec![
            ("hello".into(), 0, None, false),
            ("x".repeat(LARGE_MESSAGE_BYTES), 0, None, false),
            ("x".repeat(LARGE_MESSAGE_BYTES + 1), 0, None, true),
            (big.clone(), 0, Some(1_000_000), true),
            ("x".repeat(4_000), 0, Some(1_000), false),
            ("x".repeat(4_004), 0, Some(1_000), true),
            ("x".repeat(400), 7_950, Some(8_000), true),
            ("x".repeat(400), 7_900, Some(8_000), false),
            ("x".repeat(400), 7_950, Some(0), false),
        ];
        for (text, used, window, asks) in cases {
            assert_eq!(
                SendConfirm::check(&text, used, window).is_some(),
                asks,
                "{} bytes, {used} in use, window {window:?}",
                text.len()
            );
        }
        let c = SendConfirm::check(&big, 0, None).unwrap();
        assert_eq!(c.question(), "send 1.2 MB (~300k tokens)?");
    }

    #[test]
    fn sizes_read_naturally() {
        let bytes = [
            (0, "0 B"),
            (999, "999 B"),
            (120_400, "120 KB"),
            (1_240_000, "1.2 MB"),
        ];
        for (n, want) in bytes {
            assert_eq!(format_bytes(n), want);
        }
        let tokens = [
            (950, "950"),
            (7_900, "7.9k"),
            (8_000, "8k"),
            (25_125, "25k"),
            (300_000, "300k"),
            (2_000_000, "2M"),
            (2_400_000, "2.4M"),
        ];
        for (n, want) in tokens {
            assert_eq!(format_tokens(n), want);
        }
    }

    #[test]
    fn y_sends_and_n_or_esc_keep_the_draft() {
        let mut c = SendConfirm::check(&"x".repeat(200_000), 0, None).unwrap();
        let cases = [
            (KeyCode::Char('x'), ConfirmOutcome::Pending),
            (KeyCode::Enter, ConfirmOutcome::Pending),
            (KeyCode::Char('y'), ConfirmOutcome::Send),
            (KeyCode::Char('n'), ConfirmOutcome::Keep),
            (KeyCode::Esc, ConfirmOutcome::Keep),
        ];
        for (code, want) in cases {
            assert_eq!(c.handle_key(KeyEvent::from(code)), want, "{code:?}");
        }
    }
}
