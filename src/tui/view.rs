//! Drawing the App: layout (transcript, inline error line, composer, status line) and the
//! overlays on top. Reads state only (the labels come from `app/session_info.rs`); every style
//! comes from the theme.

use super::app::{App, Modal};
use super::history_cell::format_count;
use super::popups::{self, slash::SlashPopup};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

/// Smallest terminal the full UI is drawn in (below it, keys other than Ctrl+C and Ctrl+Z are
/// not taken: nothing would show what they did).
pub(super) const MIN_WIDTH: u16 = 20;
pub(super) const MIN_HEIGHT: u16 = 8;

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl App {
    /// Draw one frame.
    pub fn render(&mut self, frame: &mut Frame<'_>) {
        let area = frame.area();
        if !self.inline() {
            // Fullscreen: the frame is the screen.
            self.set_screen(area.as_size());
        }
        if self.too_small(area) {
            let text = format!("terminal too small: enlarge to at least {MIN_WIDTH}x{MIN_HEIGHT}");
            let p = ratatui::widgets::Paragraph::new(text)
                .style(self.theme.styles.error)
                .wrap(ratatui::widgets::Wrap { trim: true });
            frame.render_widget(p, area);
            return;
        }
        let draft = &self.draft;
        let extra = u16::from(draft.inline_error.is_some() || !draft.queued.is_empty());
        // Fullscreen keeps a row for the transcript; inline's live area is sized to fit.
        let reserved = if self.inline() { 1 + extra } else { 2 };
        let composer_h = draft
            .composer
            .height(area.width)
            .min(area.height.saturating_sub(reserved).max(1));
        let children_h = self.subagents.height();
        let [
            transcript_area,
            children_area,
            extra_area,
            composer_area,
            status_area,
        ] = Layout::vertical([
            Constraint::Min(u16::from(!self.inline())),
            Constraint::Length(children_h),
            Constraint::Length(extra),
            Constraint::Length(composer_h),
            Constraint::Length(1),
        ])
        .areas(area);
        let buf = frame.buffer_mut();

        if self.transcript.cells.is_empty() {
            self.render_welcome(transcript_area, buf);
        } else {
            self.transcript
                .cells
                .render(transcript_area, buf, &self.theme);
            self.render_lines_below(transcript_area, buf);
        }

        self.render_subagents(children_area, buf);
        self.render_draft_line(extra_area, buf);
        let busy = self.transcript.busy();
        self.draft
            .composer
            .render(composer_area, buf, &self.theme, busy);
        self.render_status(status_area, buf);
        self.render_overlays(area, transcript_area, buf);
    }

    /// Whether the terminal is too small for the UI (inline mode: the whole screen counts,
    /// not the live area).
    pub(super) fn too_small(&self, area: Rect) -> bool {
        let (w, h) = match (self.inline(), self.screen()) {
            (true, Some(screen)) => (screen.width, screen.height),
            _ => (area.width, area.height),
        };
        w < MIN_WIDTH || h < MIN_HEIGHT
    }

    /// When scrolled up: how much is below, on the transcript's last row.
    fn render_lines_below(&mut self, area: Rect, buf: &mut Buffer) {
        let Some((lines, exact)) = self.transcript.cells.lines_below(&self.theme, 500) else {
            return;
        };
        if lines == 0 || area.height == 0 {
            return;
        }
        let text = format!(
            " ↓ {}{} new line{} below · End follows ",
            lines,
            if exact { "" } else { "+" },
            if lines == 1 { "" } else { "s" }
        );
        let w = (text.chars().count() as u16).min(area.width);
        let line = Line::from(Span::styled(text, self.theme.styles.key_hint));
        buf.set_line(area.right() - w, area.bottom() - 1, &line, w);
    }

    /// The line above the composer: the error about the draft, or the next queued message.
    fn render_draft_line(&self, area: Rect, buf: &mut Buffer) {
        let s = &self.theme.styles;
        let draft = &self.draft;
        if let Some(err) = &draft.inline_error {
            let line = Line::from(vec![
                Span::styled("✗ ", s.error),
                Span::styled(err.clone(), s.error),
            ]);
            buf.set_line(area.x, area.y, &line, area.width);
        } else if let Some(next) = draft.queued.front() {
            let text = format!(
                "queued ({}): {}",
                draft.queued.len(),
                popups::truncate(
                    &next.text.replace('\n', " "),
                    area.width.saturating_sub(14) as usize
                )
            );
            buf.set_line(
                area.x,
                area.y,
                &Line::from(Span::styled(text, s.dim)),
                area.width,
            );
        }
    }

    /// What is drawn over the screen, bottom to top: the completion popup (or the `@` file
    /// finder), an open dialog,
    /// the approval dialog, the "send it?" question.
    fn render_overlays(&mut self, area: Rect, transcript_area: Rect, buf: &mut Buffer) {
        let candidates = self.candidates();
        if !candidates.is_empty() {
            self.popups.slash.clamp(candidates.len());
            let h = SlashPopup::height(candidates.len()).min(transcript_area.height);
            let popup = Rect::new(
                transcript_area.x,
                transcript_area.y + transcript_area.height - h,
                transcript_area.width,
                h,
            );
            self.popups
                .slash
                .render(&candidates, popup, buf, &self.theme);
        }
        self.render_finder(transcript_area, buf);

        let modal_area = Rect::new(area.x, area.y, area.width, area.height.saturating_sub(1));
        match &self.popups.modal {
            Some(Modal::Picker(p)) => p.render(modal_area, buf, &self.theme),
            Some(Modal::History(h)) => h.render(modal_area, buf, &self.theme),
            Some(Modal::Status) => {
                let rows = self
                    .session
                    .status_rows(&self.config.providers, &self.theme.name);
                popups::status::render(&rows, modal_area, buf, &self.theme);
            }
            Some(Modal::ToolOutput(pager)) => {
                let ids = self.transcript.tool_ids();
                let index = ids.iter().position(|id| *id == pager.call_id);
                let tool = self.transcript.find_tool(&pager.call_id).and_then(|i| {
                    match self.transcript.cells.cells().nth(i) {
                        Some(crate::tui::history_cell::HistoryCell::Tool(t)) => Some(t),
                        _ => None,
                    }
                });
                let position = (index.map_or(0, |i| i + 1), ids.len());
                pager.render(tool, position, modal_area, buf, &self.theme);
            }
            None => {}
        }
        let now = self.clock.now();
        let last_key = self.approvals.last_key;
        if let Some(dialog) = self.approvals.dialogs.front_mut() {
            dialog.shown(now);
            let armed = dialog.takes_key(now, last_key);
            dialog.render(modal_area, buf, &self.theme, armed);
        }
        if let Some(confirm) = &self.popups.confirm {
            confirm.render(modal_area, buf, &self.theme);
        }
    }

    fn render_welcome(&self, area: Rect, buf: &mut Buffer) {
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

    fn render_status(&self, area: Rect, buf: &mut Buffer) {
        let s = &self.theme.styles;
        let mut spans = Vec::new();
        if let Some(turn) = &self.transcript.turn {
            spans.push(Span::styled(
                format!("{} ", SPINNER[self.status.spinner % SPINNER.len()]),
                s.spinner,
            ));
            spans.push(Span::styled(
                format!(
                    "working {:.0}s · ",
                    self.clock
                        .now()
                        .saturating_duration_since(turn.started)
                        .as_secs_f64()
                        .floor()
                ),
                s.status_bar,
            ));
        }
        let session = &self.session;
        spans.push(Span::styled(session.agent.clone(), s.status_accent));
        let mut parts = vec![session.model_label()];
        parts.extend(session.context_label());
        let tokens = session.usage.input_tokens + session.usage.output_tokens;
        if tokens > 0 {
            parts.push(format!("{} tok", format_count(tokens)));
        }
        if let Some(cost) = session.stats.cost_usd {
            parts.push(format!("${cost:.2}"));
        }
        parts.extend(crate::tui::cost::today_label(
            session.stats.today_usd,
            session.stats.daily_budget_usd,
        ));
        if let Some(sandbox) = &session.stats.sandbox {
            parts.push(sandbox.clone());
        }
        parts.extend(session.provider_origin_label(&self.config.providers));
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
        let right = match &self.status.hint {
            Some(h) => h.clone(),
            None if self.transcript.busy() => "Esc interrupt".to_string(),
            None => "/ commands · Ctrl+C quit".to_string(),
        };
        let right_w = right.chars().count() as u16;
        let left_w = left.width() as u16;
        if left_w + right_w + 2 <= area.width {
            let line = Line::from(Span::styled(right, s.dim));
            buf.set_line(area.x + area.width - right_w, area.y, &line, right_w);
        }
    }
}
