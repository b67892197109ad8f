//! How the App applies the core's [`Event`]s: streaming text into reply cells, tool calls and
//! their results, approvals, history pages, settings and stats. [`App::handle_event`] only
//! dispatches; each kind of event has its own method, and the transcript and session state
//! (`transcript_state.rs`, `session_info.rs`) do the bookkeeping.

use super::session_info::Stats;
use super::{App, HistoryCell};
use crate::message::{ConversationId, MessageStatus, Role, Usage};
use crate::protocol::{Event, HistoryMessage};
use crate::tui::history_cell::{AssistantCell, Badge, ToolState};
use crate::tui::popups::approval::ApprovalDialog;

impl App {
    pub fn handle_event(&mut self, event: Event) {
        self.dirty = true;
        if !matches!(event, Event::Error { .. }) {
            // The core answered what was last sent with something other than an error.
            self.draft.awaiting = None;
        }
        match event {
            Event::SessionConfigured {
                conversation_id,
                agent,
                model,
                message_count,
            } => self.session_configured(conversation_id, agent, model, message_count),
            Event::RouteChosen { model, reason } => {
                self.session.last_route = Some((model.clone(), reason.clone()));
                if let Some(t) = self.transcript.turn.as_mut() {
                    t.route = Some((model, reason));
                }
                self.transcript.end_assistant(MessageStatus::Complete);
            }
            Event::TextDelta { text } => self.transcript.push_text(&text),
            Event::ReasoningDelta { text } => self.transcript.push_reasoning(&text),
            Event::ToolCallBegin {
                id,
                name,
                arguments,
            } => {
                self.transcript.end_assistant(MessageStatus::Complete);
                if let Some(t) = self.transcript.turn.as_mut() {
                    t.reasoning = None;
                }
                let cell = HistoryCell::tool(&id, &name, &arguments);
                self.transcript.cells.push(cell);
            }
            Event::ToolOutputDelta { id, chunk } => {
                if let Some(t) = self.transcript.tool_mut(&id) {
                    t.append_output(&chunk);
                }
            }
            Event::ToolCallEnd {
                id,
                output,
                is_error,
            } => {
                self.approvals.dialogs.retain(|d| d.call_id != id);
                self.offer_image_build(&output, is_error);
                self.transcript.tool_result(&id, &output, is_error);
            }
            Event::ApprovalRequest {
                call_id,
                tool,
                preview,
                prefix,
                subagent,
            } => {
                if let Some(t) = self.transcript.tool_mut(&call_id) {
                    t.state = ToolState::AwaitingApproval;
                }
                // A subagent's question names the subagent asking, above what it would run.
                let preview = match &subagent {
                    Some(s) => format!("subagent {} ({}) asks:\n{preview}", s.agent, s.description),
                    None => preview,
                };
                let dialog = ApprovalDialog::new(&call_id, &tool, &preview, prefix.as_deref());
                self.approvals.dialogs.push_back(dialog);
            }
            Event::Usage { usage } => self.session.usage.add(&usage),
            Event::MessageStored { status, .. } => self.transcript.end_assistant(status),
            Event::TurnComplete {
                conversation_id,
                status,
                usage,
                ..
            } => self.turn_complete(conversation_id, status, usage),
            // What went wrong with an MCP server or a hook shows as a line; the rest is quiet.
            Event::McpStatus {
                server,
                state,
                error,
                ..
            } => {
                if state == "failed" {
                    let why = error.unwrap_or_default();
                    let cell = HistoryCell::error(&format!("MCP server {server} failed: {why}"));
                    self.transcript.cells.push(cell);
                }
            }
            Event::HookResult {
                event,
                command,
                outcome,
                output,
                ..
            } => {
                if outcome != "ok" {
                    let text = format!("{event} hook `{command}` {outcome}: {output}");
                    self.transcript
                        .cells
                        .push(HistoryCell::notice(text.trim_end()));
                }
            }
            event => self.handle_other_event(event),
        }
    }

    /// Events outside the turn's stream that show a line in the transcript.
    fn handle_other_event(&mut self, event: Event) {
        let notice = |text: &str| HistoryCell::notice(text);
        match self.subagent_event(&event) {
            Some(Some(ended)) => return self.transcript.cells.push(notice(&ended)),
            Some(None) => return,
            None => {}
        }
        let line = match event {
            Event::Error { message, retryable } => {
                let text = if retryable {
                    format!("{message} (temporary: send again to retry)")
                } else {
                    message
                };
                if self.draft.answered_with_error(&text) {
                    // The command or message it answers is the draft again, the error above it.
                    return;
                }
                HistoryCell::error(&text)
            }
            Event::SettingsChanged { agent, model } => {
                let text = format!(
                    "agent {agent} · model {}",
                    model.as_deref().unwrap_or("auto")
                );
                self.session.agent = agent;
                self.session.model = model;
                notice(&text)
            }
            Event::Compacted {
                summarized_messages,
            } => notice(&format!(
                "compacted: {summarized_messages} older messages summarised"
            )),
            Event::Notice { message } => notice(&message),
            Event::Cost {
                conversation,
                today,
                month,
                daily_budget_usd,
                monthly_budget_usd,
            } => notice(&crate::tui::cost::cost_text(
                &conversation,
                &today,
                &month,
                daily_budget_usd,
                monthly_budget_usd,
            )),
            Event::WorkspaceRestored {
                rewound_messages,
                restored,
                removed,
                ..
            } => {
                if rewound_messages > 0 {
                    // The next session_configured reloads the rewound history (its notice
                    // follows).
                    self.session.conversation = None;
                    return;
                }
                notice(&format!(
                    "undo: {} file(s) restored, {} removed",
                    restored.len(),
                    removed.len()
                ))
            }
            Event::Permissions {
                mode,
                rules,
                always_ask,
                warnings,
            } => notice(&crate::tui::commands::permissions_text(
                mode,
                &rules,
                &always_ask,
                &warnings,
            )),
            Event::MemoryRecalled { memories, note } => notice(&recalled_text(&memories, note)),
            event => return self.handle_data_event(event),
        };
        self.transcript.cells.push(line);
    }

    /// Answers that fill state without a line of their own: conversation lists, history
    /// pages, prompt history, the session's figures.
    fn handle_data_event(&mut self, event: Event) {
        match event {
            Event::ConversationList {
                query,
                offset,
                total,
                conversations,
            } => {
                if let Some(b) = self.popups.history_mut() {
                    b.apply_list(query.as_deref(), offset, total, conversations);
                }
            }
            Event::ConversationDeleted {
                conversation_id,
                deleted,
            } => {
                if let Some(b) = self.popups.history_mut() {
                    b.apply_deleted(conversation_id, deleted);
                }
            }
            Event::HistoryPage {
                conversation_id,
                start,
                messages,
                ..
            } => {
                if Some(conversation_id) == self.session.conversation {
                    self.transcript.prepend_page(start, &messages);
                }
            }
            Event::PromptHistory { prompts } => self.draft.composer.set_history(
                // Recalled as typed: attached files are read again when it is sent again.
                prompts
                    .iter()
                    .map(|p| crate::tui::attach::split(p).0.to_string())
                    .collect(),
            ),
            Event::ModelList { models, errors } => self.models_listed(models, errors),
            Event::ModelPinned { model, pinned_by } => {
                self.session.model = model;
                self.session.pinned_by = pinned_by;
            }
            Event::SessionStats {
                context_tokens,
                context_window,
                cost_usd,
                sandbox,
                today_usd,
                daily_budget_usd,
            } => {
                self.session.stats = Stats {
                    context_tokens,
                    context_window,
                    cost_usd,
                    sandbox: Some(sandbox),
                    today_usd,
                    daily_budget_usd,
                }
            }
            // The fork's own `session_configured` follows.
            Event::Forked { .. } => {}
            // Handled by `handle_event` and `handle_other_event` (listed so a new kind of event
            // does not compile until it is handled somewhere).
            Event::SessionConfigured { .. }
            | Event::RouteChosen { .. }
            | Event::TextDelta { .. }
            | Event::ReasoningDelta { .. }
            | Event::ToolCallBegin { .. }
            | Event::ToolOutputDelta { .. }
            | Event::ToolCallEnd { .. }
            | Event::ApprovalRequest { .. }
            | Event::Usage { .. }
            | Event::MessageStored { .. }
            | Event::TurnComplete { .. }
            | Event::Error { .. }
            | Event::SettingsChanged { .. }
            | Event::Compacted { .. }
            | Event::Notice { .. }
            | Event::Cost { .. }
            | Event::WorkspaceRestored { .. }
            | Event::SubagentStarted { .. }
            | Event::SubagentProgress { .. }
            | Event::SubagentFinished { .. }
            | Event::McpStatus { .. }
            | Event::HookResult { .. }
            | Event::Permissions { .. }
            | Event::MemoryRecalled { .. } => {}
        }
    }

    fn session_configured(
        &mut self,
        id: ConversationId,
        agent: String,
        model: Option<String>,
        message_count: usize,
    ) {
        if self.session.conversation != Some(id) {
            self.reset_conversation(Some(id));
            self.session.stored = message_count > 0;
            if let Some(op) = self.transcript.reset(message_count) {
                self.send(op);
            }
        }
        self.session.agent = agent;
        self.session.model = model;
    }

    pub(super) fn turn_complete(
        &mut self,
        id: ConversationId,
        status: MessageStatus,
        usage: Usage,
    ) {
        self.session.conversation = Some(id);
        self.session.stored = true;
        let turn = self.transcript.turn.as_ref();
        let now = self.clock.now();
        let elapsed = turn.map(|t| now.saturating_duration_since(t.started));
        let route = turn.and_then(|t| t.route.clone());
        self.transcript.end_assistant(status);
        if let Some(i) = self
            .transcript
            .cells
            .rposition(|c| matches!(c, HistoryCell::Assistant(_) | HistoryCell::User { .. }))
        {
            if let Some(HistoryCell::Assistant(a)) = self.transcript.cells.get_mut(i) {
                let badge = a.badge.get_or_insert_with(Badge::default);
                if let Some((m, r)) = route {
                    badge.model = m;
                    badge.reason = r;
                }
                badge.usage = Some(usage);
                badge.elapsed = elapsed;
                if a.status.is_none() || status != MessageStatus::Complete {
                    a.status = Some(status);
                }
            }
        }
        self.transcript.turn = None;
        self.approvals.dialogs.clear();
        self.status.hint = None;
        self.notify_turn_end();
        if let Some(next) = self.draft.queued.pop_front() {
            self.start_turn(next);
        }
    }
}

/// Transcript cells for stored messages (oldest first). Tool results are attached to their
/// call when both are on the page.
pub fn history_cells(messages: &[HistoryMessage]) -> Vec<HistoryCell> {
    let mut cells: Vec<HistoryCell> = Vec::with_capacity(messages.len());
    for m in messages {
        match m.role {
            Role::User => cells.push(HistoryCell::user(&m.text)),
            Role::Assistant => {
                if let Some(r) = m.reasoning.as_deref().filter(|r| !r.is_empty()) {
                    cells.push(HistoryCell::reasoning(r));
                }
                if !m.text.is_empty() || m.tool_calls.is_empty() {
                    // The badge as the reply had it: model, route reason, tokens (the time is
                    // not stored).
                    let badge = m.model.as_ref().map(|model| Badge {
                        model: model.clone(),
                        reason: m.route_reason.clone().unwrap_or_default(),
                        usage: m.usage,
                        ..Badge::default()
                    });
                    let mut cell = AssistantCell::complete(&m.text, badge);
                    if m.status != MessageStatus::Complete {
                        cell.status = Some(m.status);
                    }
                    cells.push(HistoryCell::Assistant(cell));
                }
                for call in &m.tool_calls {
                    cells.push(HistoryCell::tool(&call.id, &call.name, &call.arguments));
                }
            }
            Role::Tool => {
                let id = m.tool_call_id.clone().unwrap_or_default();
                let existing = cells.iter_mut().rev().find_map(|c| match c {
                    HistoryCell::Tool(t) if t.id == id => Some(t),
                    _ => None,
                });
                match existing {
                    Some(t) => {
                        t.set_output(&m.text);
                        t.state = ToolState::Done {
                            is_error: m.is_error,
                        };
                    }
                    None => {
                        let mut cell =
                            HistoryCell::tool(&id, "tool result", &serde_json::Value::Null);
                        if let HistoryCell::Tool(t) = &mut cell {
                            t.set_output(&m.text);
                            t.state = ToolState::Done {
                                is_error: m.is_error,
                            };
                        }
                        cells.push(cell);
                    }
                }
            }
            Role::Summary => cells.push(HistoryCell::notice(&format!(
                "summary of earlier messages:\n{}",
                m.text
            ))),
            Role::System => {}
        }
    }
    cells
}

/// The transcript line naming the memories recalled into a turn.
fn recalled_text(memories: &[crate::protocol::RecalledMemory], note: Option<String>) -> String {
    let names: Vec<String> = memories
        .iter()
        .map(|m| {
            let one_line = m.text.split_whitespace().collect::<Vec<_>>().join(" ");
            let cut: String = one_line.chars().take(60).collect();
            if cut.len() < one_line.len() {
                format!("“{}…”", cut.trim_end())
            } else {
                format!("“{cut}”")
            }
        })
        .collect();
    let count = match memories.len() {
        1 => "1 note".to_string(),
        n => format!("{n} notes"),
    };
    let mut text = format!("recalled {count} from memory: {}", names.join(", "));
    if let Some(note) = note {
        text.push_str(&format!(" ({note})"));
    }
    text
}
