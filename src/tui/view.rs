//! Drawing the App: layout (transcript, inline error line, composer, status line) and the
//! overlays on top. Reads state only; every style comes from the theme.

use super::app::{App, Modal};
use super::history_cell::format_count;
use super::popups::{self, slash::SlashPopup};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

/// Smallest terminal the full UI is drawn in.
const MIN_WIDTH: u16 = 20;
const MIN_HEIGHT: u16 = 8;

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl App {
    /// Draw one frame.
    pub fn render(&mut self, frame: &mut Frame<'_>) {
        let area = frame.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let text = format!("terminal too small: enlarge to at least {MIN_WIDTH}x{MIN_HEIGHT}");
            let p = ratatui::widgets::Paragraph::new(text)
                .style(self.theme.styles.error)
                .wrap(ratatui::widgets::Wrap { trim: true });
            frame.render_widget(p, area);
            return;
        }
        let extra = u16::from(self.inline_error.is_some() || !self.queued.is_empty());
        let composer_h = self
            .composer
            .height()
            .min(area.height.saturating_sub(2).max(1));
        let [transcript_area, extra_area, composer_area, status_area] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(extra),
            Constraint::Length(composer_h),
            Constraint::Length(1),
        ])
        .areas(area);
        let buf = frame.buffer_mut();

        if self.transcript.is_empty() {
            self.render_welcome(transcript_area, buf);
        } else {
            self.transcript.render(transcript_area, buf, &self.theme);
        }

        let s = &self.theme.styles;
        if let Some(err) = &self.inline_error {
            let line = Line::from(vec![
                Span::styled("✗ ", s.error),
                Span::styled(err.clone(), s.error),
            ]);
            buf.set_line(extra_area.x, extra_area.y, &line, extra_area.width);
        } else if let Some(next) = self.queued.front() {
            let text = format!(
                "queued ({}): {}",
                self.queued.len(),
                popups::truncate(
                    &next.replace('\n', " "),
                    extra_area.width.saturating_sub(14) as usize
                )
            );
            buf.set_line(
                extra_area.x,
                extra_area.y,
                &Line::from(Span::styled(text, s.dim)),
                extra_area.width,
            );
        }

        let busy = self.turn.is_some();
        self.composer.render(composer_area, buf, &self.theme, busy);
        self.render_status(status_area, buf);

        let candidates = self.candidates();
        if !candidates.is_empty() {
            self.slash.clamp(candidates.len());
            let h = SlashPopup::height(candidates.len()).min(transcript_area.height);
            let popup = Rect::new(
                transcript_area.x,
                transcript_area.y + transcript_area.height - h,
                transcript_area.width,
                h,
            );
            self.slash.render(&candidates, popup, buf, &self.theme);
        }

        let modal_area = Rect::new(area.x, area.y, area.width, area.height.saturating_sub(1));
        match &self.modal {
            Some(Modal::Picker(p)) => p.render(modal_area, buf, &self.theme),
            Some(Modal::History(h)) => h.render(modal_area, buf, &self.theme),
            Some(Modal::Status) => {
                let rows = self.status_rows();
                popups::status::render(&rows, modal_area, buf, &self.theme);
            }
            None => {}
        }
        let now = self.clock.now();
        let last_key = self.last_key;
        if let Some(dialog) = self.approvals.front_mut() {
            dialog.shown(now);
            let armed = dialog.takes_key(now, last_key);
            dialog.render(modal_area, buf, &self.theme, armed);
        }
        if let Some(confirm) = &self.confirm {
            confirm.render(modal_area, buf, &self.theme);
        }
    }

    fn render_welcome(&self, area: Rect, buf: &mut ratatui::buffer::Buffer) {
        let s = &self.theme.styles;
        if let Some(guidance) = &self.config.setup_guidance {
            let mut lines = vec![Line::from(Span::styled("harness", s.status_accent))];
            lines.extend(guidance.iter().enumerate().map(|(i, text)| {
                Line::from(Span::styled(
                    text.clone(),
                    if i == 0 { s.error } else { s.dim },
                ))
            }));
            // Long paths and lists wrap rather than run off a narrow terminal.
            let inner = Rect::new(
                area.x + 1,
                area.y + 1,
                area.width.saturating_sub(2),
                area.height.saturating_sub(1),
            );
            ratatui::widgets::Widget::render(
                ratatui::widgets::Paragraph::new(lines)
                    .wrap(ratatui::widgets::Wrap { trim: false }),
                inner,
                buf,
            );
            return;
        }
        let lines = [
            Line::from(Span::styled("harness", s.status_accent)),
            Line::from(Span::styled("Type a message, Enter to send.", s.dim)),
            Line::from(Span::styled(
                "/help lists commands · /history opens earlier conversations",
                s.dim,
            )),
        ];
        for (i, line) in lines.iter().enumerate() {
            if (i as u16) + 1 < area.height {
                buf.set_line(
                    area.x + 1,
                    area.y + 1 + i as u16,
                    line,
                    area.width.saturating_sub(1),
                );
            }
        }
    }

    fn model_label(&self) -> String {
        match (&self.model, &self.last_route) {
            (Some(m), _) => m.clone(),
            (None, Some((routed, _))) => format!("auto → {routed}"),
            (None, None) => "auto".to_string(),
        }
    }

    fn context_label(&self) -> Option<String> {
        let window = self.stats.context_window.filter(|w| *w > 0)?;
        let pct = (self.stats.context_tokens as f64 / window as f64 * 100.0).round();
        Some(format!("ctx {pct:.0}%"))
    }

    fn render_status(&self, area: Rect, buf: &mut ratatui::buffer::Buffer) {
        let s = &self.theme.styles;
        let mut spans = Vec::new();
        if let Some(turn) = &self.turn {
            spans.push(Span::styled(
                format!("{} ", SPINNER[self.spinner % SPINNER.len()]),
                s.spinner,
            ));
            spans.push(Span::styled(
                format!(
                    "working {:.0}s · ",
                    turn.started.elapsed().as_secs_f64().floor()
                ),
                s.status_bar,
            ));
        }
        spans.push(Span::styled(self.agent.clone(), s.status_accent));
        let mut parts = vec![self.model_label()];
        parts.extend(self.context_label());
        let tokens = self.usage.input_tokens + self.usage.output_tokens;
        if tokens > 0 {
            parts.push(format!("{} tok", format_count(tokens)));
        }
        if let Some(cost) = self.stats.cost_usd {
            parts.push(format!("${cost:.2}"));
        }
        parts.extend(crate::tui::cost::today_label(
            self.stats.today_usd,
            self.stats.daily_budget_usd,
        ));
        if let Some(sandbox) = &self.stats.sandbox {
            parts.push(sandbox.clone());
        }
        parts.extend(self.provider_origin_label());
        // Drop the least important figures first when the line is too narrow.
        let fixed: usize = spans.iter().map(|s| s.width()).sum();
        while parts.len() > 1
            && fixed + 3 * parts.len() + parts.iter().map(|p| p.chars().count()).sum::<usize>()
                > area.width as usize
        {
            parts.pop();
        }
        spans.push(Span::styled(
            format!(" · {}", parts.join(" · ")),
            s.status_bar,
        ));
        let left = Line::from(spans);
        buf.set_style(area, s.status_bar);
        buf.set_line(area.x, area.y, &left, area.width);
        let right = match &self.hint {
            Some(h) => h.clone(),
            None if self.turn.is_some() => "Esc interrupt".to_string(),
            None => "/ commands · Ctrl+C quit".to_string(),
        };
        let right_w = right.chars().count() as u16;
        let left_w = left.width() as u16;
        if left_w + right_w + 2 <= area.width {
            let line = Line::from(Span::styled(right, s.dim));
            buf.set_line(area.x + area.width - right_w, area.y, &line, right_w);
        }
    }

    pub(super) fn status_rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            (
                "conversation".to_string(),
                self.conversation
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "(new, not saved yet)".into()),
            ),
            ("agent".into(), self.agent.clone()),
            (
                "model".into(),
                self.model.clone().unwrap_or_else(|| "auto".into()),
            ),
        ];
        if let Some((m, r)) = &self.last_route {
            rows.push(("last route".into(), format!("{m} ({r})")));
        }
        let ctx = match self.stats.context_window {
            Some(w) => format!(
                "{} of {} tokens{}",
                format_count(self.stats.context_tokens),
                format_count(w),
                self.context_label()
                    .map(|l| format!(" ({})", &l[4..]))
                    .unwrap_or_default()
            ),
            None if self.stats.context_tokens > 0 => {
                format!("{} tokens", format_count(self.stats.context_tokens))
            }
            None => "unknown".into(),
        };
        rows.push(("context".into(), ctx));
        rows.push((
            "tokens".into(),
            format!(
                "{} in · {} out{}",
                format_count(self.usage.input_tokens),
                format_count(self.usage.output_tokens),
                if self.usage.cached_input_tokens > 0 {
                    format!(" · {} cached", format_count(self.usage.cached_input_tokens))
                } else {
                    String::new()
                }
            ),
        ));
        rows.push((
            "cost".into(),
            self.stats
                .cost_usd
                .map(|c| format!("${c:.4}"))
                .unwrap_or_else(|| "unknown".into()),
        ));
        rows.push((
            "sandbox".into(),
            self.stats
                .sandbox
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        ));
        if !self.config.providers.is_empty() {
            let list: Vec<String> = self
                .config
                .providers
                .iter()
                .map(|(name, origin)| format!("{name} ({origin})"))
                .collect();
            rows.push(("providers".into(), list.join(", ")));
        }
        rows.push(("theme".into(), self.theme.name.clone()));
        rows
    }

    /// Where the provider of the current model came from, for the status line: the pinned or
    /// last routed model's provider, else the only provider there is.
    fn provider_origin_label(&self) -> Option<String> {
        let model = self
            .model
            .as_deref()
            .or(self.last_route.as_ref().map(|(m, _)| m.as_str()));
        let provider = model.and_then(|m| m.split_once('/')).map(|(p, _)| p);
        let providers = &self.config.providers;
        match provider {
            Some(p) => providers.iter().find(|(n, _)| n == p),
            None if providers.len() == 1 => providers.first(),
            None => None,
        }
        .map(|(_, origin)| origin.clone())
    }
}
