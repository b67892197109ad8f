//! What the model sees: the request history rebuilt from stored messages (summaries standing in
//! for what they cover, tool calls always paired with results), a token estimate, and the
//! decision and plan for compaction. Pure functions over stored rows.
//!
//! Token counting is an estimate, documented here because users see it as "context used %": a
//! token is taken as 4 bytes of UTF-8 text (the usual ratio for English prose and code with
//! the tokenizers of the supported models), plus 4 tokens of framing per message. When the
//! provider reported the real input token count of the previous request, the session uses
//! that figure plus the estimate of what was added since, so the error does not accumulate.

use crate::message::{MessageStatus, Role};
use crate::providers::{ChatMessage, ToolSpec};
use crate::store::StoredMessage;
use std::collections::HashSet;

/// Context window assumed when neither `[models.*]` nor the provider config says.
pub const DEFAULT_CONTEXT_WINDOW: u64 = 128_000;

/// How many of the newest messages compaction always keeps verbatim (at least).
pub const KEEP_RECENT_MESSAGES: usize = 6;

pub const SUMMARY_PREFIX: &str = "[Summary of the earlier part of this conversation]";

/// Estimated tokens of a text.
pub fn estimate_text(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

/// Estimated tokens of a whole request.
pub fn estimate_request(system: Option<&str>, messages: &[ChatMessage], tools: &[ToolSpec]) -> u64 {
    let mut total = system.map_or(0, estimate_text);
    for m in messages {
        total += estimate_message(m);
    }
    for t in tools {
        total += estimate_text(&t.description) + estimate_text(&t.parameters.to_string()) + 8;
    }
    total
}

pub fn estimate_message(m: &ChatMessage) -> u64 {
    let mut t = 4 + estimate_text(&m.content);
    for c in &m.tool_calls {
        t += 8 + estimate_text(&c.name) + estimate_text(&c.arguments.to_string());
    }
    t
}

/// The messages to send, in order, from a conversation's stored rows (in ordinal order).
///
/// - the newest summary replaces every message up to its `summary_through`;
/// - failed or empty assistant rows (an error before any content, a cancel before any) are left
///   out; partial (`incomplete`/`cancelled`) text is kept so the model sees what it said;
/// - every tool call gets a result: a missing one (the process died mid-tool) is filled with an
///   error result, and results without a call are dropped, so the request is always valid.
pub fn request_history(rows: &[StoredMessage]) -> Vec<ChatMessage> {
    let summary = rows.iter().rev().find(|m| m.role == Role::Summary);
    let mut history = HistoryBuilder::new(summary.cloned());
    for m in rows {
        history.push(m.clone());
    }
    history.finish()
}

/// [`request_history`] fed one row at a time, in ordinal order, taking each row by value: a
/// long conversation is rebuilt without holding its rows and the history at once. It must know
/// the conversation's newest summary (if any) before the first row.
pub struct HistoryBuilder {
    covered: i64,
    out: Vec<ChatMessage>,
    /// Calls of the last assistant message without results.
    pending: Vec<String>,
    answered: HashSet<String>,
}

impl HistoryBuilder {
    /// `summary`: the conversation's newest summary row.
    pub fn new(summary: Option<StoredMessage>) -> Self {
        let covered = summary
            .as_ref()
            .and_then(|s| s.summary_through)
            .unwrap_or(0);
        let mut out = Vec::new();
        if let Some(s) = summary {
            out.push(ChatMessage::user(format!(
                "{SUMMARY_PREFIX}\n\n{}",
                s.content
            )));
        }
        Self {
            covered,
            out,
            pending: Vec::new(),
            answered: HashSet::new(),
        }
    }

    /// The next stored row (ordinal order).
    pub fn push(&mut self, m: StoredMessage) {
        if m.ordinal <= self.covered {
            return;
        }
        let Self {
            out,
            pending,
            answered,
            ..
        } = self;
        match m.role {
            Role::System | Role::Summary => {}
            Role::User => {
                close_pending(out, pending, answered);
                out.push(ChatMessage::user(m.content));
            }
            Role::Assistant => {
                close_pending(out, pending, answered);
                let empty = m.content.is_empty() && m.tool_calls.is_empty();
                if empty || (m.status == MessageStatus::Error && m.content.is_empty()) {
                    return;
                }
                // Calls of a reply that did not complete were never run.
                let calls = if m.status == MessageStatus::Complete {
                    m.tool_calls
                } else {
                    Vec::new()
                };
                if m.content.is_empty() && calls.is_empty() {
                    return;
                }
                *pending = calls.iter().map(|c| c.id.clone()).collect();
                answered.clear();
                let mut msg = ChatMessage::assistant(m.content, calls);
                msg.reasoning = m.reasoning.filter(|r| !r.is_empty());
                out.push(msg);
            }
            Role::Tool => {
                let Some(id) = m.tool_call_id else {
                    return;
                };
                if pending.contains(&id) && !answered.contains(&id) {
                    out.push(ChatMessage::tool_result(id.clone(), m.content, m.is_error));
                    answered.insert(id);
                }
            }
        }
    }

    /// The request history of every row pushed.
    pub fn finish(mut self) -> Vec<ChatMessage> {
        close_pending(&mut self.out, &mut self.pending, &self.answered);
        self.out.shrink_to_fit();
        self.out
    }
}

fn close_pending(
    out: &mut Vec<ChatMessage>,
    pending: &mut Vec<String>,
    answered: &HashSet<String>,
) {
    for id in pending.drain(..) {
        if !answered.contains(&id) {
            out.push(ChatMessage::tool_result(
                id,
                "No result was recorded for this call (the harness stopped while it ran).",
                true,
            ));
        }
    }
}

/// Where to cut for compaction: the ordinal of the last message to summarise, so that at least
/// [`KEEP_RECENT_MESSAGES`] stay verbatim and the kept part starts at a user message (never
/// between a tool call and its result). `None` when there is too little to summarise.
pub fn compaction_cut(rows: &[StoredMessage]) -> Option<i64> {
    let covered = rows
        .iter()
        .rev()
        .find(|m| m.role == Role::Summary)
        .and_then(|s| s.summary_through)
        .unwrap_or(0);
    let live: Vec<&StoredMessage> = rows
        .iter()
        .filter(|m| m.ordinal > covered && m.role != Role::Summary)
        .collect();
    if live.len() <= KEEP_RECENT_MESSAGES {
        return None;
    }
    let limit = live.len() - KEEP_RECENT_MESSAGES;
    // The latest user message at or before `limit` starts the kept part.
    let start = (1..=limit).rev().find(|&i| live[i].role == Role::User)?;
    Some(live[start - 1].ordinal)
}

/// The messages a compaction summarises (after any earlier summary, up to `through`).
pub fn to_summarise(rows: &[StoredMessage], through: i64) -> Vec<ChatMessage> {
    let kept: Vec<StoredMessage> = rows
        .iter()
        .filter(|m| m.ordinal <= through || m.role == Role::Summary)
        .cloned()
        .collect();
    request_history(&kept)
}

pub const SUMMARY_INSTRUCTIONS: &str = "Summarise the conversation above so that it can replace it as context for continuing the work. Keep: the user's goals and constraints, decisions made and why, files and commands involved with their outcomes, open questions and next steps. Be specific and complete but concise; write it as notes, not as a reply to the user.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{ConversationId, MessageId, ToolCall};

    fn row(ordinal: i64, role: Role, content: &str) -> StoredMessage {
        StoredMessage {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            ordinal,
            role,
            content: content.into(),
            reasoning: None,
            tool_calls: vec![],
            tool_call_id: None,
            is_error: false,
            model: None,
            provider: None,
            agent: None,
            route_reason: None,
            status: MessageStatus::Complete,
            input_tokens: None,
            output_tokens: None,
            cost_usd: None,
            summary_through: None,
            created_at: chrono::Utc::now(),
        }
    }

    fn with_calls(mut m: StoredMessage, ids: &[&str]) -> StoredMessage {
        m.tool_calls = ids
            .iter()
            .map(|id| ToolCall {
                id: id.to_string(),
                name: "bash".into(),
                arguments: serde_json::json!({}),
            })
            .collect();
        m
    }

    fn result(ordinal: i64, id: &str) -> StoredMessage {
        let mut m = row(ordinal, Role::Tool, &format!("out {id}"));
        m.tool_call_id = Some(id.into());
        m
    }

    fn shape(msgs: &[ChatMessage]) -> Vec<String> {
        msgs.iter()
            .map(|m| match m.role {
                Role::Tool => format!(
                    "tool:{}:{}",
                    m.tool_call_id.as_deref().unwrap_or(""),
                    m.is_error
                ),
                r => format!("{}:{}:{}", r.as_str(), m.content, m.tool_calls.len()),
            })
            .collect()
    }

    #[test]
    fn history_table() {
        let mut failed = row(4, Role::Assistant, "");
        failed.status = MessageStatus::Error;
        let mut partial = row(6, Role::Assistant, "half");
        partial.status = MessageStatus::Incomplete;
        let cases: Vec<(&str, Vec<StoredMessage>, Vec<&str>)> = vec![
            (
                "plain exchange",
                vec![row(1, Role::User, "hi"), row(2, Role::Assistant, "hello")],
                vec!["user:hi:0", "assistant:hello:0"],
            ),
            (
                "tool pairs kept in order",
                vec![
                    row(1, Role::User, "go"),
                    with_calls(row(2, Role::Assistant, "ok"), &["a", "b"]),
                    result(3, "a"),
                    result(4, "b"),
                    row(5, Role::Assistant, "done"),
                ],
                vec![
                    "user:go:0",
                    "assistant:ok:2",
                    "tool:a:false",
                    "tool:b:false",
                    "assistant:done:0",
                ],
            ),
            (
                "a call without result gets one; a stray result is dropped",
                vec![
                    row(1, Role::User, "go"),
                    with_calls(row(2, Role::Assistant, ""), &["a", "b"]),
                    result(3, "b"),
                    result(4, "zzz"),
                    row(5, Role::User, "again"),
                ],
                vec![
                    "user:go:0",
                    "assistant::2",
                    "tool:b:false",
                    "tool:a:true",
                    "user:again:0",
                ],
            ),
            (
                "failed and empty replies are left out, partial text kept",
                vec![
                    row(1, Role::User, "a"),
                    row(2, Role::Assistant, ""),
                    row(3, Role::User, "b"),
                    failed,
                    row(5, Role::User, "c"),
                    partial,
                ],
                vec!["user:a:0", "user:b:0", "user:c:0", "assistant:half:0"],
            ),
            (
                "calls of an incomplete reply are dropped",
                vec![row(1, Role::User, "a"), {
                    let mut m = with_calls(row(2, Role::Assistant, "x"), &["a"]);
                    m.status = MessageStatus::Cancelled;
                    m
                }],
                vec!["user:a:0", "assistant:x:0"],
            ),
            (
                "a summary stands in for what it covers",
                vec![
                    row(1, Role::User, "old"),
                    row(2, Role::Assistant, "old reply"),
                    row(3, Role::User, "recent"),
                    {
                        let mut s = row(4, Role::Summary, "S");
                        s.summary_through = Some(2);
                        s
                    },
                    row(5, Role::Assistant, "answer"),
                ],
                vec![
                    "user:[Summary of the earlier part of this conversation]\n\nS:0",
                    "user:recent:0",
                    "assistant:answer:0",
                ],
            ),
        ];
        for (name, rows, want) in cases {
            assert_eq!(shape(&request_history(&rows)), want, "{name}");
        }
    }

    #[test]
    fn compaction_cuts_before_a_user_message_keeping_the_recent_part() {
        let mut rows = Vec::new();
        let mut o = 0;
        for i in 0..6 {
            o += 1;
            rows.push(row(o, Role::User, &format!("q{i}")));
            o += 1;
            rows.push(with_calls(row(o, Role::Assistant, ""), &[&format!("c{i}")]));
            o += 1;
            rows.push(result(o, &format!("c{i}")));
            o += 1;
            rows.push(row(o, Role::Assistant, "a"));
        }
        let cut = compaction_cut(&rows).unwrap();
        // 24 messages; keep >= 6, starting at a user message: user messages sit at 1, 5, 9, ...
        // 18 is the latest cut keeping 6 (ordinals 19..24 start with a user message at 21? no:
        // users are at 4k+1, so the kept part starts at 17 and the cut is 16.
        assert_eq!(cut, 16);
        assert_eq!(rows[cut as usize].role, Role::User);
        let summarised = to_summarise(&rows, cut);
        assert_eq!(summarised.len(), 16);
        assert!(compaction_cut(&rows[..5]).is_none());
    }

    #[test]
    fn estimates_grow_with_text() {
        assert_eq!(estimate_text(""), 0);
        assert_eq!(estimate_text("abcd"), 1);
        assert_eq!(estimate_text("abcde"), 2);
        let m = ChatMessage::user("x".repeat(400));
        assert_eq!(estimate_message(&m), 104);
        assert!(estimate_request(Some("sys"), &[m.clone(), m], &[]) > 200);
    }
}
