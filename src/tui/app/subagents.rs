//! The running subagents of the current turn: one line each above the composer (agent, the
//! task's description, what it is doing), gone when it ends: a notice in the transcript says
//! how it ended and the `/resume ID` that opens its transcript.

use super::App;
use crate::message::{ConversationId, MessageStatus};
use crate::protocol::Event;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Lines shown at most; more children are counted on the last one.
pub const MAX_LINES: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct RunningSubagent {
    pub conversation_id: ConversationId,
    pub agent: String,
    pub description: String,
    pub depth: u32,
    pub status: String,
}

#[derive(Debug, Default)]
pub struct Subagents {
    pub running: Vec<RunningSubagent>,
}

impl Subagents {
    /// Rows the panel takes.
    pub fn height(&self) -> u16 {
        self.running.len().min(MAX_LINES) as u16
    }
}

impl App {
    /// A subagent event: the line it changes, and a notice when it ends. `None` when the event
    /// is not a subagent's.
    pub(super) fn subagent_event(&mut self, event: &Event) -> Option<Option<String>> {
        match event {
            Event::SubagentStarted {
                conversation_id,
                agent,
                description,
                depth,
                ..
            } => {
                self.subagents.running.push(RunningSubagent {
                    conversation_id: *conversation_id,
                    agent: agent.clone(),
                    description: description.clone(),
                    depth: *depth,
                    status: "starting".to_string(),
                });
                Some(None)
            }
            Event::SubagentProgress {
                conversation_id,
                status,
                ..
            } => {
                if let Some(s) = self.find(*conversation_id) {
                    s.status = status.clone();
                }
                Some(None)
            }
            Event::SubagentFinished {
                conversation_id,
                status,
                error,
                ..
            } => {
                let index = self
                    .subagents
                    .running
                    .iter()
                    .position(|s| s.conversation_id == *conversation_id);
                let gone = index.map(|i| self.subagents.running.remove(i));
                let label = gone.map_or_else(
                    || conversation_id.to_string(),
                    |s| format!("{} ({})", s.description, s.agent),
                );
                let how = match (status, error) {
                    (MessageStatus::Complete, _) => "finished".to_string(),
                    (other, Some(e)) => format!("ended {}: {e}", other.as_str()),
                    (other, None) => format!("ended {}", other.as_str()),
                };
                Some(Some(format!(
                    "subagent {label} {how} · /resume {conversation_id} opens its transcript"
                )))
            }
            _ => None,
        }
    }

    fn find(&mut self, id: ConversationId) -> Option<&mut RunningSubagent> {
        self.subagents
            .running
            .iter_mut()
            .find(|s| s.conversation_id == id)
    }

    /// One line per running subagent.
    pub(in crate::tui) fn render_subagents(&self, area: Rect, buf: &mut Buffer) {
        let s = &self.theme.styles;
        let running = &self.subagents.running;
        for (row, child) in running.iter().take(area.height as usize).enumerate() {
            let more = running.len() - MAX_LINES.min(running.len());
            let indent = "  ".repeat(child.depth.saturating_sub(1) as usize);
            let mut spans = vec![
                Span::styled(format!("{indent}↳ {} ", child.agent), s.tool),
                Span::styled(child.description.clone(), s.text),
                Span::styled(format!(" · {}", child.status), s.dim),
            ];
            if row + 1 == area.height as usize && more > 0 {
                spans.push(Span::styled(format!(" (+{more} more)"), s.dim));
            }
            buf.set_line(area.x, area.y + row as u16, &Line::from(spans), area.width);
        }
    }
}
