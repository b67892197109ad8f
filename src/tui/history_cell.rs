//! One entry of the transcript (a user prompt, an assistant reply, reasoning, a tool call with
//! its result, an error, a notice) and how it renders to lines at a given width. Text is
//! sanitised when it enters a cell ([`crate::sanitize`]), so rendering never sees escape
//! sequences: model and tool text is stripped, the user's own text shows its controls as
//! visible placeholders.
//!
//! An assistant reply that is still streaming keeps the rendering of its stable prefix (see
//! [`StreamSplit`]) and re-renders only the tail, so a long reply costs the same per frame as a
//! short one.

use super::markdown::{self, StreamSplit};
use super::theme::Theme;
use super::wrap::{wrap_line, wrap_text};
use crate::message::{MessageStatus, Usage};
use crate::sanitize::{Stripper, expand_tabs, show_cells, strip_cells};
use ratatui::text::{Line, Span};
use std::time::Duration;

/// Lines of tool output shown under a tool call.
pub const TOOL_OUTPUT_LINES: usize = 6;
/// Bytes of tool output kept for display (the tail).
const TOOL_OUTPUT_KEEP: usize = 64 * 1024;

/// The badge under a reply: `provider/model · route reason · tokens · time`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Badge {
    pub model: String,
    pub reason: String,
    pub usage: Option<Usage>,
    pub elapsed: Option<Duration>,
}

impl Badge {
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if !self.model.is_empty() {
            parts.push(self.model.clone());
        }
        if !self.reason.is_empty() {
            parts.push(self.reason.clone());
        }
        if let Some(u) = self.usage {
            // `~`: our estimate (an interrupted reply whose usage never arrived).
            parts.push(format!(
                "{}{} tok",
                if u.estimated { "~" } else { "" },
                format_count(u.input_tokens + u.output_tokens)
            ));
            if let Some(cost) = u.cost_usd {
                parts.push(super::cost::usd(cost));
            }
        }
        if let Some(e) = self.elapsed {
            parts.push(format!("{:.1}s", e.as_secs_f64()));
        }
        parts.join(" · ")
    }
}

/// `1234` -> `1.2k`, `1234567` -> `1.2M`.
pub fn format_count(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1_000.0),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolState {
    Requested,
    AwaitingApproval,
    Done { is_error: bool },
}

#[derive(Debug, Clone)]
pub struct ToolCell {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub output: String,
    pub state: ToolState,
    /// Parser state across output chunks (a sequence split between chunks is removed whole).
    stripper: Stripper,
}

#[derive(Debug, Clone, Default)]
pub struct AssistantCell {
    pub text: String,
    pub streaming: bool,
    pub status: Option<MessageStatus>,
    pub badge: Option<Badge>,
    /// Parser state across deltas (a sequence split between deltas is removed whole).
    stripper: Stripper,
    split: StreamSplit,
    /// (body width, stable prefix length) of the layout whose first `stable_lines` lines are
    /// the stable prefix.
    stable_key: Option<(usize, usize)>,
    stable_lines: usize,
}

impl AssistantCell {
    pub fn complete(text: &str, badge: Option<Badge>) -> Self {
        Self {
            text: strip_cells(text),
            badge,
            ..Self::default()
        }
    }

    pub fn streaming() -> Self {
        Self {
            streaming: true,
            ..Self::default()
        }
    }

    pub fn push(&mut self, delta: &str) {
        let clean = self.stripper.clean(delta);
        self.text.push_str(&expand_tabs(&clean));
    }

    /// The reply's lines at `width` (prefixes included, no footer). While streaming, the lines
    /// of the stable prefix are taken from `previous` (this cell's last layout at the same
    /// width) when that prefix has not changed, so only the tail is parsed and wrapped again.
    fn body(
        &mut self,
        width: usize,
        theme: &Theme,
        previous: Option<Vec<Line<'static>>>,
    ) -> Vec<Line<'static>> {
        let s = &theme.styles;
        let body_w = width.saturating_sub(2).max(1);
        if !self.streaming {
            return prefixed(markdown::render(&self.text, body_w, theme), true, s);
        }
        let stable = self.split.update(&self.text);
        let key = (body_w, stable);
        let reusable = previous.filter(|prev| {
            matches!(self.stable_key, Some((w, len)) if w == body_w && len <= stable)
                && prev.len() >= self.stable_lines
        });
        let mut lines = match reusable {
            Some(mut prev) => {
                prev.truncate(self.stable_lines);
                let old = self.stable_key.map(|(_, len)| len).unwrap_or(0);
                if stable > old {
                    // Only the newly stable blocks are parsed and wrapped.
                    let chunk = markdown::render(&self.text[old..stable], body_w, theme);
                    if !prev.is_empty() && !chunk.is_empty() {
                        prev.push(Line::from(Span::raw("  ")));
                    }
                    let first = prev.is_empty();
                    prev.extend(prefixed(chunk, first, s));
                }
                prev
            }
            None => prefixed(
                markdown::render(&self.text[..stable], body_w, theme),
                true,
                s,
            ),
        };
        self.stable_key = Some(key);
        self.stable_lines = lines.len();
        let tail = markdown::render(&self.text[stable..], body_w, theme);
        if !lines.is_empty() && !tail.is_empty() {
            lines.push(Line::from(Span::raw("  ")));
        }
        let first = lines.is_empty();
        lines.extend(prefixed(tail, first, s));
        lines
    }

    pub fn finish(&mut self, status: MessageStatus) {
        self.streaming = false;
        self.status = Some(status);
        self.stable_key = None;
    }
}

#[derive(Debug, Clone)]
pub enum HistoryCell {
    /// What the user typed, and a summary line per attached file (`src/x.rs (120 lines, 3.4
    /// KB)`): the files' text is sent, not shown.
    User {
        text: String,
        attachments: Vec<String>,
    },
    Assistant(AssistantCell),
    Reasoning {
        text: String,
    },
    Tool(ToolCell),
    Error {
        message: String,
    },
    Notice {
        text: String,
    },
}

impl HistoryCell {
    pub fn user(text: &str) -> Self {
        let (typed, attached) = crate::tui::attach::split(text);
        HistoryCell::User {
            text: show_cells(typed),
            attachments: attached.iter().map(|a| strip_cells(&a.summary())).collect(),
        }
    }

    pub fn error(message: &str) -> Self {
        HistoryCell::Error {
            message: strip_cells(message),
        }
    }

    pub fn notice(text: &str) -> Self {
        HistoryCell::Notice {
            text: strip_cells(text),
        }
    }

    pub fn reasoning(text: &str) -> Self {
        HistoryCell::Reasoning {
            text: strip_cells(text),
        }
    }

    pub fn tool(id: &str, name: &str, arguments: &serde_json::Value) -> Self {
        HistoryCell::Tool(ToolCell {
            id: id.to_string(),
            name: strip_cells(name),
            summary: strip_cells(&summarize_arguments(arguments)),
            output: String::new(),
            state: ToolState::Requested,
            stripper: Stripper::default(),
        })
    }

    /// A reply still receiving text.
    pub fn is_streaming(&self) -> bool {
        matches!(self, HistoryCell::Assistant(a) if a.streaming)
    }

    /// Drop any layout kept inside the cell (theme or highlighter changed).
    pub fn invalidate(&mut self) {
        if let HistoryCell::Assistant(a) = self {
            a.stable_key = None;
        }
    }

    /// Lines of this cell at `width`, ending with one blank separator line.
    pub fn render(&mut self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        self.render_reusing(width, theme, None)
    }

    /// [`Self::render`], given this cell's previous layout at the same width to reuse.
    pub fn render_reusing(
        &mut self,
        width: usize,
        theme: &Theme,
        previous: Option<Vec<Line<'static>>>,
    ) -> Vec<Line<'static>> {
        let s = &theme.styles;
        let width = width.max(4);
        let mut lines = match self {
            HistoryCell::User { text, attachments } => {
                let mut lines = wrap_text(
                    text,
                    s.user,
                    width,
                    &[Span::styled("› ", s.user_prefix)],
                    &[Span::raw("  ")],
                );
                for a in attachments.iter() {
                    lines.extend(wrap_text(
                        a,
                        s.dim,
                        width,
                        &[Span::raw("  "), Span::styled("📎 ", s.dim)],
                        &[Span::raw("     ")],
                    ));
                }
                lines
            }
            HistoryCell::Assistant(cell) => {
                let mut lines = cell.body(width, theme, previous);
                if lines.is_empty() {
                    let text = if cell.streaming { "…" } else { "(no text)" };
                    lines.push(Line::from(vec![
                        Span::styled("◆ ", s.assistant_prefix),
                        Span::styled(text, s.dim),
                    ]));
                }
                let mut footer = Vec::new();
                match cell.status {
                    Some(MessageStatus::Cancelled) => footer.push("interrupted".to_string()),
                    Some(MessageStatus::Incomplete) => footer.push("incomplete".to_string()),
                    Some(MessageStatus::Error) => footer.push("failed".to_string()),
                    _ => {}
                }
                if let Some(badge) = cell.badge.as_ref().filter(|_| !cell.streaming) {
                    let text = badge.text();
                    if !text.is_empty() {
                        footer.push(text);
                    }
                }
                if !footer.is_empty() {
                    lines.extend(wrap_text(
                        &footer.join(" · "),
                        s.badge,
                        width,
                        &[Span::raw("  ")],
                        &[Span::raw("  ")],
                    ));
                }
                lines
            }
            HistoryCell::Reasoning { text } => {
                let words = text.split_whitespace().count();
                vec![Line::from(vec![
                    Span::raw("  "),
                    Span::styled(format!("✻ thinking ({words} words)"), s.reasoning),
                ])]
            }
            HistoryCell::Tool(tool) => render_tool(tool, width, theme),
            HistoryCell::Error { message } => wrap_text(
                message,
                s.error,
                width,
                &[Span::styled("✗ ", s.error)],
                &[Span::raw("  ")],
            ),
            HistoryCell::Notice { text } => wrap_text(
                text,
                s.notice,
                width,
                &[Span::raw("  ")],
                &[Span::raw("  ")],
            ),
        };
        lines.push(Line::default());
        lines
    }
}

fn render_tool(tool: &ToolCell, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let s = &theme.styles;
    let (mark, mark_style) = match tool.state {
        ToolState::Requested => ("⚙", s.tool),
        ToolState::AwaitingApproval => ("?", s.approval_border),
        ToolState::Done { is_error: false } => ("✓", s.tool_ok),
        ToolState::Done { is_error: true } => ("✗", s.tool_error),
    };
    let mut header = vec![
        Span::styled(format!("{mark} "), mark_style),
        Span::styled(format!("{} ", tool.name), s.tool.patch(s.strong)),
        Span::styled(tool.summary.clone(), s.tool),
    ];
    if tool.state == ToolState::AwaitingApproval {
        header.push(Span::styled("  (awaiting approval)", s.approval_border));
    }
    let mut lines = wrap_line(&header, width, &[Span::raw("  ")], &[Span::raw("    ")]);
    let output = tool.output.trim_end_matches('\n');
    if !output.is_empty() {
        let all: Vec<&str> = output.split('\n').collect();
        let hidden = all.len().saturating_sub(TOOL_OUTPUT_LINES);
        let style = if tool.state == (ToolState::Done { is_error: true }) {
            s.tool_error
        } else {
            s.tool_output
        };
        if hidden > 0 {
            lines.push(Line::from(vec![
                Span::styled("    │ ", s.dim),
                Span::styled(format!("… {hidden} earlier lines"), s.dim),
            ]));
        }
        let prefix = [Span::styled("    │ ", s.dim)];
        for line in &all[hidden..] {
            lines.extend(wrap_line(
                &[Span::styled(line.to_string(), style)],
                width,
                &prefix,
                &prefix,
            ));
        }
    }
    lines
}

impl ToolCell {
    pub fn append_output(&mut self, chunk: &str) {
        let clean = self.stripper.clean(chunk);
        self.output.push_str(&expand_tabs(&clean));
        if self.output.len() > TOOL_OUTPUT_KEEP {
            let mut cut = self.output.len() - TOOL_OUTPUT_KEEP;
            while !self.output.is_char_boundary(cut) {
                cut += 1;
            }
            self.output.drain(..cut);
        }
    }

    pub fn set_output(&mut self, output: &str) {
        self.output.clear();
        self.stripper = Stripper::default();
        self.append_output(output);
    }
}

/// Indent reply lines under the `◆ ` marker (on the first line when `first`).
fn prefixed(body: Vec<Line<'static>>, first: bool, s: &super::theme::Styles) -> Vec<Line<'static>> {
    body.into_iter()
        .enumerate()
        .map(|(i, line)| {
            let prefix = if i == 0 && first {
                Span::styled("◆ ", s.assistant_prefix)
            } else {
                Span::raw("  ")
            };
            let mut spans = Vec::with_capacity(line.spans.len() + 1);
            spans.push(prefix);
            spans.extend(line.spans);
            Line::from(spans)
        })
        .collect()
}

/// A one-line summary of tool arguments: the command or path when there is one, else JSON.
pub fn summarize_arguments(arguments: &serde_json::Value) -> String {
    const MAX: usize = 200;
    let text = match arguments {
        serde_json::Value::Object(map) => {
            ["command", "cmd", "path", "file_path", "pattern", "query"]
                .iter()
                .find_map(|k| map.get(*k).and_then(|v| v.as_str()).map(str::to_string))
                .unwrap_or_else(|| arguments.to_string())
        }
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let one_line = text.replace('\n', " ⏎ ");
    if one_line.chars().count() > MAX {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(cell: &mut HistoryCell, width: usize) -> Vec<String> {
        let theme = Theme::load("dark", None, true).unwrap_or_default();
        cell.render(width, &theme)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn badge_and_counts() {
        let badge = Badge {
            model: "anthropic/claude".into(),
            reason: "coding-simple".into(),
            usage: Some(Usage {
                input_tokens: 1200,
                output_tokens: 34,
                ..Usage::default()
            }),
            elapsed: Some(Duration::from_millis(2345)),
        };
        assert_eq!(
            badge.text(),
            "anthropic/claude · coding-simple · 1.2k tok · 2.3s"
        );
        // An estimate is marked; a cost the provider reported is shown.
        let estimated = Badge {
            usage: Some(Usage {
                input_tokens: 1200,
                output_tokens: 34,
                estimated: true,
                ..Usage::default()
            }),
            elapsed: None,
            ..badge.clone()
        };
        assert_eq!(
            estimated.text(),
            "anthropic/claude · coding-simple · ~1.2k tok"
        );
        let priced = Badge {
            usage: Some(Usage {
                input_tokens: 16,
                output_tokens: 18,
                cost_usd: Some(0.000106),
                ..Usage::default()
            }),
            elapsed: None,
            ..badge.clone()
        };
        assert_eq!(
            priced.text(),
            "anthropic/claude · coding-simple · 34 tok · $0.0001"
        );
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(2_500_000), "2.5M");
    }

    #[test]
    fn tool_cells_show_the_tail_of_long_output() {
        let mut cell = HistoryCell::tool("1", "bash", &serde_json::json!({"command": "seq 10"}));
        if let HistoryCell::Tool(t) = &mut cell {
            t.set_output("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
            t.state = ToolState::Done { is_error: false };
        }
        let lines = plain(&mut cell, 40);
        assert_eq!(lines[0], "  ✓ bash seq 10");
        assert_eq!(lines[1], "    │ … 4 earlier lines");
        assert_eq!(lines[2], "    │ 5");
        assert_eq!(lines[7], "    │ 10");
    }

    #[test]
    fn streaming_reply_matches_the_finished_rendering() {
        let theme = Theme::load("dark", None, true).unwrap_or_default();
        let text = "Intro paragraph.\n\n```rust\nfn main() {}\n```\n\nSecond *part* of the reply.\n\n- a\n- b";
        let mut streaming = HistoryCell::Assistant(AssistantCell::streaming());
        let mut previous = None;
        for chunk in text.as_bytes().chunks(5) {
            if let HistoryCell::Assistant(a) = &mut streaming {
                a.push(std::str::from_utf8(chunk).unwrap());
            }
            // Reuse the last layout the way the transcript does.
            previous = Some(streaming.render_reusing(30, &theme, previous));
        }
        let texts = |lines: &[Line<'_>]| -> Vec<String> {
            lines
                .iter()
                .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                .collect()
        };
        let during = texts(&previous.unwrap());
        let mut done = HistoryCell::Assistant(AssistantCell::complete(text, None));
        assert_eq!(during, plain(&mut done, 30));
    }

    #[test]
    fn arguments_summaries() {
        let cases = [
            (serde_json::json!({"command": "ls -la"}), "ls -la"),
            (
                serde_json::json!({"path": "src/x.rs", "content": "..."}),
                "src/x.rs",
            ),
            (serde_json::json!({"a": 1}), "{\"a\":1}"),
            (serde_json::json!("raw args"), "raw args"),
            (serde_json::json!({"command": "a\nb"}), "a ⏎ b"),
        ];
        for (args, want) in cases {
            assert_eq!(summarize_arguments(&args), want);
        }
    }
}
