//! The App's transcript state: the cells on screen, the turn streaming into them, and paging in
//! older history. Cell indices of the running turn move when an older page is prepended, so
//! the turn lives here with the cells it points into.

use super::HISTORY_PAGE;
use super::core_events::history_cells;
use crate::message::MessageStatus;
use crate::protocol::{HistoryMessage, Op};
use crate::tui::history_cell::{AssistantCell, Badge, HistoryCell, ToolCell, ToolState};
use crate::tui::theme::Theme;
use crate::tui::transcript::Transcript;
use std::time::Instant;

/// Page in older history when the view comes this close (in cells) to the oldest loaded one.
const PREFETCH_CELLS: usize = 20;

/// The turn running now: what the status line times and where its deltas go.
pub(in crate::tui) struct Turn {
    pub started: Instant,
    pub route: Option<(String, String)>,
    /// The reply cell receiving text now.
    pub assistant: Option<usize>,
    pub reasoning: Option<usize>,
    /// Parser state across reasoning deltas.
    pub reasoning_text: crate::sanitize::Stripper,
}

impl Turn {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            route: None,
            assistant: None,
            reasoning: None,
            reasoning_text: Default::default(),
        }
    }
}

pub(in crate::tui) struct TranscriptState {
    pub cells: Transcript,
    pub turn: Option<Turn>,
    /// Stored index of the oldest message shown; > 0 means older pages exist.
    history_start: usize,
    history_loading: bool,
}

impl TranscriptState {
    pub fn new() -> Self {
        Self {
            cells: Transcript::new(),
            turn: None,
            history_start: 0,
            history_loading: false,
        }
    }

    pub fn busy(&self) -> bool {
        self.turn.is_some()
    }

    /// Empty, for a new or resumed conversation of `message_count` stored messages; the
    /// request for its newest page, if it has any.
    pub fn reset(&mut self, message_count: usize) -> Option<Op> {
        self.cells.clear();
        self.history_start = message_count;
        self.history_loading = message_count > 0;
        self.history_loading.then_some(Op::LoadHistory {
            before: message_count,
            limit: HISTORY_PAGE,
        })
    }

    /// The request for the next older page when the view nears the oldest loaded cell.
    pub fn page_request(&mut self, theme: &Theme) -> Option<Op> {
        if self.history_start == 0 || self.history_loading {
            return None;
        }
        if self.cells.first_visible_cell(theme) >= PREFETCH_CELLS {
            return None;
        }
        self.history_loading = true;
        Some(Op::LoadHistory {
            before: self.history_start,
            limit: HISTORY_PAGE,
        })
    }

    /// Put a page of stored messages starting at `start` above what is shown (the part not
    /// shown yet: pages may overlap).
    pub fn prepend_page(&mut self, start: usize, messages: &[HistoryMessage]) {
        self.history_loading = false;
        if start >= self.history_start {
            return;
        }
        let keep = (self.history_start - start).min(messages.len());
        let cells = history_cells(&messages[..keep]);
        let n = cells.len();
        self.cells.prepend(cells);
        if let Some(t) = self.turn.as_mut() {
            t.assistant = t.assistant.map(|i| i + n);
            t.reasoning = t.reasoning.map(|i| i + n);
        }
        self.history_start = start;
    }

    pub fn find_tool(&self, id: &str) -> Option<usize> {
        self.cells
            .rposition(|c| matches!(c, HistoryCell::Tool(t) if t.id == id))
    }

    /// The ids of the tool calls shown, oldest first.
    pub fn tool_ids(&self) -> Vec<String> {
        self.cells
            .cells()
            .filter_map(|c| match c {
                HistoryCell::Tool(t) => Some(t.id.clone()),
                _ => None,
            })
            .collect()
    }

    /// The tool cell of call `id`, if it is shown.
    pub fn tool_mut(&mut self, id: &str) -> Option<&mut ToolCell> {
        let i = self.find_tool(id)?;
        match self.cells.get_mut(i) {
            Some(HistoryCell::Tool(t)) => Some(t),
            _ => None,
        }
    }

    /// The reply being streamed ends with `status`.
    pub fn end_assistant(&mut self, status: MessageStatus) {
        if let Some(i) = self.turn.as_mut().and_then(|t| t.assistant.take()) {
            if let Some(HistoryCell::Assistant(a)) = self.cells.get_mut(i) {
                a.finish(status);
            }
        }
    }

    /// Reply text: appended to the reply cell of the turn (started, with its route badge, by
    /// the first delta).
    pub fn push_text(&mut self, text: &str) {
        let turn = self.turn.get_or_insert_with(Turn::new);
        turn.reasoning = None;
        let index = match turn.assistant {
            Some(i) => i,
            None => {
                let mut cell = AssistantCell::streaming();
                cell.badge = turn.route.as_ref().map(|(m, r)| Badge {
                    model: m.clone(),
                    reason: r.clone(),
                    ..Badge::default()
                });
                self.cells.push(HistoryCell::Assistant(cell));
                let i = self.cells.len() - 1;
                turn.assistant = Some(i);
                i
            }
        };
        if let Some(HistoryCell::Assistant(a)) = self.cells.get_mut(index) {
            a.push(text);
        }
    }

    /// Reasoning text: appended to the turn's reasoning cell, cleaned across deltas.
    pub fn push_reasoning(&mut self, text: &str) {
        let Some(turn) = self.turn.as_mut() else {
            self.cells.push(HistoryCell::reasoning(text));
            return;
        };
        if turn.reasoning.is_none() {
            turn.reasoning_text = Default::default();
        }
        let clean = crate::sanitize::expand_tabs(&turn.reasoning_text.clean(text));
        match turn.reasoning {
            Some(i) => {
                if let Some(HistoryCell::Reasoning { text: t }) = self.cells.get_mut(i) {
                    t.push_str(&clean);
                }
            }
            None => {
                self.cells.push(HistoryCell::Reasoning { text: clean });
                turn.reasoning = Some(self.cells.len() - 1);
            }
        }
    }

    /// A tool's result: into its call's cell, or a cell of its own when the call is not shown.
    pub fn tool_result(&mut self, id: &str, output: &str, is_error: bool) {
        if let Some(t) = self.tool_mut(id) {
            t.set_output(output);
            t.state = ToolState::Done { is_error };
            return;
        }
        let mut cell = HistoryCell::tool(id, "tool", &serde_json::Value::Null);
        if let HistoryCell::Tool(t) = &mut cell {
            t.set_output(output);
            t.state = ToolState::Done { is_error };
        }
        self.cells.push(cell);
    }
}
