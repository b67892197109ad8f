//! How the App applies the core's [`Event`]s: streaming text into reply cells, tool calls and
//! their results, approvals, history pages, settings and stats.

use super::{App, Badge, HISTORY_PAGE, HistoryCell, Modal, Stats, Turn};
use crate::message::{ConversationId, MessageStatus, Role, Usage};
use crate::protocol::{Event, HistoryMessage, Op};
use crate::tui::history_cell::{AssistantCell, ToolState};
use crate::tui::popups::approval::ApprovalDialog;
use std::time::Instant;

impl App {
    // ---- core events ------------------------------------------------------------------------

    pub(super) fn find_tool(&self, id: &str) -> Option<usize> {
        self.transcript
            .rposition(|c| matches!(c, HistoryCell::Tool(t) if t.id == id))
    }

    pub(super) fn end_assistant(&mut self, status: MessageStatus) {
        if let Some(i) = self.turn.as_mut().and_then(|t| t.assistant.take()) {
            if let Some(HistoryCell::Assistant(a)) = self.transcript.get_mut(i) {
                a.finish(status);
            }
        }
    }

    pub fn handle_event(&mut self, event: Event) {
        self.dirty = true;
        match event {
            Event::SessionConfigured {
                conversation_id,
                agent,
                model,
                message_count,
            } => {
                if self.conversation != Some(conversation_id) {
                    self.reset_conversation(Some(conversation_id));
                    self.history_start = message_count;
                    if message_count > 0 {
                        self.history_loading = true;
                        self.send(Op::LoadHistory {
                            before: message_count,
                            limit: HISTORY_PAGE,
                        });
                    }
                }
                self.agent = agent;
                self.model = model;
            }
            Event::RouteChosen { model, reason } => {
                self.last_route = Some((model.clone(), reason.clone()));
                if let Some(t) = self.turn.as_mut() {
                    t.route = Some((model, reason));
                }
                self.end_assistant(MessageStatus::Complete);
            }
            Event::TextDelta { text } => {
                let turn = self.turn.get_or_insert_with(|| Turn {
                    started: Instant::now(),
                    route: None,
                    assistant: None,
                    reasoning: None,
                    reasoning_text: Default::default(),
                });
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
                        self.transcript.push(HistoryCell::Assistant(cell));
                        let i = self.transcript.len() - 1;
                        turn.assistant = Some(i);
                        i
                    }
                };
                if let Some(HistoryCell::Assistant(a)) = self.transcript.get_mut(index) {
                    a.push(&text);
                }
            }
            Event::ReasoningDelta { text } => {
                let Some(turn) = self.turn.as_mut() else {
                    self.transcript.push(HistoryCell::reasoning(&text));
                    return;
                };
                if turn.reasoning.is_none() {
                    turn.reasoning_text = Default::default();
                }
                let clean = crate::sanitize::expand_tabs(&turn.reasoning_text.clean(&text));
                match turn.reasoning {
                    Some(i) => {
                        if let Some(HistoryCell::Reasoning { text: t }) = self.transcript.get_mut(i)
                        {
                            t.push_str(&clean);
                        }
                    }
                    None => {
                        self.transcript.push(HistoryCell::Reasoning { text: clean });
                        turn.reasoning = Some(self.transcript.len() - 1);
                    }
                }
            }
            Event::ToolCallBegin {
                id,
                name,
                arguments,
            } => {
                self.end_assistant(MessageStatus::Complete);
                if let Some(t) = self.turn.as_mut() {
                    t.reasoning = None;
                }
                self.transcript
                    .push(HistoryCell::tool(&id, &name, &arguments));
            }
            Event::ToolOutputDelta { id, chunk } => {
                if let Some(i) = self.find_tool(&id) {
                    if let Some(HistoryCell::Tool(t)) = self.transcript.get_mut(i) {
                        t.append_output(&chunk);
                    }
                }
            }
            Event::ToolCallEnd {
                id,
                output,
                is_error,
            } => {
                self.approvals.retain(|d| d.call_id != id);
                self.offer_image_build(&output, is_error);
                match self.find_tool(&id) {
                    Some(i) => {
                        if let Some(HistoryCell::Tool(t)) = self.transcript.get_mut(i) {
                            t.set_output(&output);
                            t.state = ToolState::Done { is_error };
                        }
                    }
                    None => {
                        let mut cell = HistoryCell::tool(&id, "tool", &serde_json::Value::Null);
                        if let HistoryCell::Tool(t) = &mut cell {
                            t.set_output(&output);
                            t.state = ToolState::Done { is_error };
                        }
                        self.transcript.push(cell);
                    }
                }
            }
            Event::ApprovalRequest {
                call_id,
                tool,
                preview,
                prefix,
            } => {
                if let Some(i) = self.find_tool(&call_id) {
                    if let Some(HistoryCell::Tool(t)) = self.transcript.get_mut(i) {
                        t.state = ToolState::AwaitingApproval;
                    }
                }
                self.approvals.push_back(ApprovalDialog::new(
                    &call_id,
                    &tool,
                    &preview,
                    prefix.as_deref(),
                ));
            }
            Event::Usage { usage } => self.usage.add(&usage),
            Event::MessageStored { status, .. } => self.end_assistant(status),
            Event::Error { message, retryable } => {
                let text = if retryable {
                    format!("{message} (temporary: send again to retry)")
                } else {
                    message
                };
                self.transcript.push(HistoryCell::error(&text));
            }
            Event::SettingsChanged { agent, model } => {
                let text = format!(
                    "agent {agent} · model {}",
                    model.as_deref().unwrap_or("auto")
                );
                self.agent = agent;
                self.model = model;
                self.transcript.push(HistoryCell::notice(&text));
            }
            Event::Compacted {
                summarized_messages,
            } => self.transcript.push(HistoryCell::notice(&format!(
                "compacted: {summarized_messages} older messages summarised"
            ))),
            Event::TurnComplete {
                conversation_id,
                status,
                usage,
                ..
            } => self.turn_complete(conversation_id, status, usage),
            Event::ConversationList {
                query,
                offset,
                total,
                conversations,
            } => {
                if let Some(Modal::History(b)) = self.modal.as_mut() {
                    b.apply_list(query.as_deref(), offset, total, conversations);
                }
            }
            Event::ConversationDeleted {
                conversation_id,
                deleted,
            } => {
                if let Some(Modal::History(b)) = self.modal.as_mut() {
                    b.apply_deleted(conversation_id, deleted);
                }
            }
            Event::HistoryPage {
                conversation_id,
                start,
                messages,
                ..
            } => {
                if Some(conversation_id) == self.conversation {
                    self.history_loading = false;
                    if start < self.history_start {
                        let keep = (self.history_start - start).min(messages.len());
                        let cells = history_cells(&messages[..keep]);
                        let n = cells.len();
                        self.transcript.prepend(cells);
                        if let Some(t) = self.turn.as_mut() {
                            t.assistant = t.assistant.map(|i| i + n);
                            t.reasoning = t.reasoning.map(|i| i + n);
                        }
                        self.history_start = start;
                    }
                }
            }
            Event::PromptHistory { prompts } => self.composer.set_history(prompts),
            Event::SessionStats {
                context_tokens,
                context_window,
                cost_usd,
                sandbox,
                today_usd,
                daily_budget_usd,
            } => {
                self.stats = Stats {
                    context_tokens,
                    context_window,
                    cost_usd,
                    sandbox: Some(sandbox),
                    today_usd,
                    daily_budget_usd,
                }
            }
            Event::Cost {
                conversation,
                today,
                month,
                daily_budget_usd,
                monthly_budget_usd,
            } => self
                .transcript
                .push(HistoryCell::notice(&crate::tui::cost::cost_text(
                    &conversation,
                    &today,
                    &month,
                    daily_budget_usd,
                    monthly_budget_usd,
                ))),
            Event::Notice { message } => self.transcript.push(HistoryCell::notice(&message)),
            Event::WorkspaceRestored {
                rewound_messages,
                restored,
                removed,
                ..
            } => {
                if rewound_messages > 0 {
                    // The next session_configured reloads the rewound history (its notice follows).
                    self.conversation = None;
                } else {
                    self.transcript.push(HistoryCell::notice(&format!(
                        "undo: {} file(s) restored, {} removed",
                        restored.len(),
                        removed.len()
                    )));
                }
            }
            Event::Forked { .. } => {}
            Event::Permissions {
                mode,
                rules,
                always_ask,
                warnings,
            } => self.transcript.push(HistoryCell::notice(
                &crate::tui::commands::permissions_text(mode, &rules, &always_ask, &warnings),
            )),
        }
    }

    pub(super) fn turn_complete(
        &mut self,
        id: ConversationId,
        status: MessageStatus,
        usage: Usage,
    ) {
        self.conversation = Some(id);
        let elapsed = self.turn.as_ref().map(|t| t.started.elapsed());
        self.end_assistant(status);
        let route = self.turn.as_ref().and_then(|t| t.route.clone());
        if let Some(i) = self
            .transcript
            .rposition(|c| matches!(c, HistoryCell::Assistant(_) | HistoryCell::User { .. }))
        {
            if let Some(HistoryCell::Assistant(a)) = self.transcript.get_mut(i) {
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
        self.turn = None;
        self.approvals.clear();
        self.hint = None;
        if let Some(next) = self.queued.pop_front() {
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
                    let badge = m.model.as_ref().map(|model| Badge {
                        model: model.clone(),
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
