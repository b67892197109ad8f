//! Message rows: append (ordinal assigned inside a `BEGIN IMMEDIATE` transaction), streaming
//! updates, final status, ordered loads (whole or paged from the end), crash recovery of rows
//! left `streaming`, and the prompt history the composer recalls.

use super::{StoreError, from_ms, now_ms};
use crate::message::{ConversationId, MessageId, MessageStatus, Role, ToolCall, Usage};
use rusqlite::{Connection, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

/// A message to append. `status` is `Streaming` for an assistant reply about to stream.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub conversation_id: ConversationId,
    pub role: Role,
    pub content: String,
    pub reasoning: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
    pub is_error: bool,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub agent: Option<String>,
    pub route_reason: Option<String>,
    pub status: MessageStatus,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    /// For `Summary` messages: the last ordinal the summary stands in for.
    pub summary_through: Option<i64>,
}

impl NewMessage {
    /// A complete message of `role` with `content` and nothing else set.
    pub fn new(conversation_id: ConversationId, role: Role, content: impl Into<String>) -> Self {
        Self {
            conversation_id,
            role,
            content: content.into(),
            reasoning: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
            is_error: false,
            model: None,
            provider: None,
            agent: None,
            route_reason: None,
            status: MessageStatus::Complete,
            usage: None,
            cost_usd: None,
            summary_through: None,
        }
    }
}

/// A stored message, as loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub ordinal: i64,
    pub role: Role,
    pub content: String,
    pub reasoning: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
    pub is_error: bool,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub agent: Option<String>,
    pub route_reason: Option<String>,
    pub status: MessageStatus,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
    pub summary_through: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The end of a streamed message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Finish {
    pub content: String,
    pub reasoning: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub status: Option<MessageStatus>,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    /// Set when the model actually used differs from the one recorded at start (fallback).
    pub model: Option<String>,
    pub provider: Option<String>,
    pub route_reason: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, conversation_id, ordinal, role, content, reasoning, tool_calls, \
     tool_call_id, is_error, model, provider, agent, route_reason, status, input_tokens, \
     output_tokens, cost_usd, summary_through, created_at";

fn conversion<E: std::error::Error + Send + Sync + 'static>(col: usize, e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BadValue(String);

pub(crate) fn stored(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    let id: String = row.get(0)?;
    let conv: String = row.get(1)?;
    let role: String = row.get(3)?;
    let tool_calls: Option<String> = row.get(6)?;
    let status: String = row.get(13)?;
    Ok(StoredMessage {
        id: id.parse().map_err(|e| conversion(0, e))?,
        conversation_id: conv.parse().map_err(|e| conversion(1, e))?,
        ordinal: row.get(2)?,
        role: role.parse().map_err(|e| conversion(3, BadValue(e)))?,
        content: row.get(4)?,
        reasoning: row.get(5)?,
        tool_calls: match tool_calls {
            Some(json) => serde_json::from_str(&json).map_err(|e| conversion(6, e))?,
            None => Vec::new(),
        },
        tool_call_id: row.get(7)?,
        is_error: row.get(8)?,
        model: row.get(9)?,
        provider: row.get(10)?,
        agent: row.get(11)?,
        route_reason: row.get(12)?,
        status: status.parse().map_err(|e| conversion(13, BadValue(e)))?,
        input_tokens: row.get::<_, Option<i64>>(14)?.map(|v| v.max(0) as u64),
        output_tokens: row.get::<_, Option<i64>>(15)?.map(|v| v.max(0) as u64),
        cost_usd: row.get(16)?,
        summary_through: row.get(17)?,
        created_at: from_ms(row.get(18)?),
    })
}

fn tool_calls_json(calls: &[ToolCall]) -> Result<Option<String>, StoreError> {
    if calls.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(calls)
        .map(Some)
        .map_err(|e| StoreError::Invalid(format!("cannot encode tool calls: {e}")))
}

/// The one way a message row is written (append and import): every column, in the order of
/// [`COLUMNS`], plus the pid of the process streaming it. Inserts nothing (returns 0) when the
/// conversation does not exist.
pub(crate) fn insert(
    conn: &Connection,
    m: &StoredMessage,
    writer_pid: Option<u32>,
) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO messages (id, conversation_id, ordinal, role, content, reasoning,
                tool_calls, tool_call_id, is_error, model, provider, agent, route_reason, status,
                input_tokens, output_tokens, cost_usd, summary_through, writer_pid, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20
             WHERE EXISTS (SELECT 1 FROM conversations WHERE id = ?2 AND profile = harness_profile())",
        )?
        .execute(params![
            m.id.to_string(),
            m.conversation_id.to_string(),
            m.ordinal,
            m.role.as_str(),
            m.content,
            m.reasoning,
            tool_calls_json(&m.tool_calls)?,
            m.tool_call_id,
            m.is_error,
            m.model,
            m.provider,
            m.agent,
            m.route_reason,
            m.status.as_str(),
            m.input_tokens.map(|v| v as i64),
            m.output_tokens.map(|v| v as i64),
            m.cost_usd,
            m.summary_through,
            writer_pid,
            m.created_at.timestamp_millis(),
        ])?)
}

/// Append a message at the end of its conversation. Durable when this returns.
pub fn append(conn: &mut Connection, m: &NewMessage) -> Result<StoredMessage, StoreError> {
    let writer_pid = (m.status == MessageStatus::Streaming).then(std::process::id);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let conv = m.conversation_id.to_string();
    let ordinal: i64 = tx
        .prepare_cached(
            "SELECT COALESCE(MAX(ordinal), 0) + 1 FROM messages WHERE conversation_id = ?1",
        )?
        .query_row([&conv], |r| r.get(0))?;
    let message = StoredMessage {
        id: MessageId::new(),
        conversation_id: m.conversation_id,
        ordinal,
        role: m.role,
        content: m.content.clone(),
        reasoning: m.reasoning.clone(),
        tool_calls: m.tool_calls.clone(),
        tool_call_id: m.tool_call_id.clone(),
        is_error: m.is_error,
        model: m.model.clone(),
        provider: m.provider.clone(),
        agent: m.agent.clone(),
        route_reason: m.route_reason.clone(),
        status: m.status,
        input_tokens: m.usage.map(|u| u.input_tokens),
        output_tokens: m.usage.map(|u| u.output_tokens),
        cost_usd: m.cost_usd,
        summary_through: m.summary_through,
        created_at: from_ms(now_ms()),
    };
    if insert(&tx, &message, writer_pid)? == 0 {
        return Err(StoreError::NotFound(conv));
    }
    if m.role == Role::User {
        // The first user message names an untitled conversation.
        tx.prepare_cached("UPDATE conversations SET title = ?2 WHERE id = ?1 AND title = ''")?
            .execute(params![conv, auto_title(&m.content)])?;
    }
    tx.commit()?;
    Ok(message)
}

/// First line of the first prompt, cut at about 60 characters on a word boundary.
pub fn auto_title(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() <= 60 {
        return line.to_string();
    }
    let cut: String = line.chars().take(60).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > 30 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{}…", cut.trim_end())
}

pub fn update_streaming(
    conn: &Connection,
    id: MessageId,
    content: &str,
    reasoning: Option<&str>,
) -> Result<(), StoreError> {
    let rows = conn
        .prepare_cached("UPDATE messages SET content = ?2, reasoning = ?3 WHERE id = ?1 AND status = 'streaming'")?
        .execute(params![id.to_string(), content, reasoning])?;
    if rows == 0 {
        return Err(StoreError::Invalid(format!(
            "message {id} is not streaming"
        )));
    }
    Ok(())
}

pub fn finish(conn: &Connection, id: MessageId, f: &Finish) -> Result<(), StoreError> {
    let status = f.status.unwrap_or(MessageStatus::Complete);
    let rows = conn
        .prepare_cached(
            "UPDATE messages SET content = ?2, reasoning = ?3, tool_calls = ?4, status = ?5,
                input_tokens = ?6, output_tokens = ?7, cost_usd = ?8,
                model = COALESCE(?9, model), provider = COALESCE(?10, provider),
                route_reason = COALESCE(?11, route_reason), writer_pid = NULL
             WHERE id = ?1",
        )?
        .execute(params![
            id.to_string(),
            f.content,
            f.reasoning,
            tool_calls_json(&f.tool_calls)?,
            status.as_str(),
            f.usage.map(|u| u.input_tokens as i64),
            f.usage.map(|u| u.output_tokens as i64),
            f.cost_usd,
            f.model,
            f.provider,
            f.route_reason,
        ])?;
    if rows == 0 {
        return Err(StoreError::Invalid(format!("no message {id}")));
    }
    Ok(())
}

/// The conversation `?1` belongs to the store handle's profile (see `profile_scope`).
const IN_PROFILE: &str =
    "EXISTS (SELECT 1 FROM conversations c WHERE c.id = ?1 AND c.profile = harness_profile())";

pub fn all(conn: &Connection, id: ConversationId) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND superseded_by IS NULL
           AND {IN_PROFILE}
         ORDER BY ordinal"
    ))?;
    let rows = stmt.query_map([id.to_string()], stored)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// [`all`] handed to `f` one row at a time, so a long conversation is never held in memory
/// twice (its rows and what is built from them); returns how many rows there were.
pub fn for_each(
    conn: &Connection,
    id: ConversationId,
    mut f: impl FnMut(StoredMessage),
) -> Result<usize, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND superseded_by IS NULL
           AND {IN_PROFILE}
         ORDER BY ordinal"
    ))?;
    let mut count = 0;
    for row in stmt.query_map([id.to_string()], stored)? {
        f(row?);
        count += 1;
    }
    Ok(count)
}

/// The conversation's newest summary row, if it has one. The scan reads only the `role` of
/// each row (newest first) until it finds one.
pub fn newest_summary(
    conn: &Connection,
    id: ConversationId,
) -> Result<Option<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE seq = (
           SELECT seq FROM messages WHERE conversation_id = ?1 AND role = 'summary'
             AND superseded_by IS NULL AND {IN_PROFILE}
           ORDER BY ordinal DESC LIMIT 1)"
    ))?;
    Ok(stmt
        .query_map([id.to_string()], stored)?
        .next()
        .transpose()?)
}

/// Up to `limit` messages with ordinal below `before` (all when `None`), nearest first in the
/// query, returned in conversation order.
pub fn page(
    conn: &Connection,
    id: ConversationId,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND ordinal < ?2
           AND superseded_by IS NULL AND {IN_PROFILE}
         ORDER BY ordinal DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(
        params![id.to_string(), before.unwrap_or(i64::MAX), i64::from(limit)],
        stored,
    )?;
    let mut page: Vec<StoredMessage> = rows.collect::<Result<_, _>>()?;
    page.reverse();
    Ok(page)
}

/// Rows left `streaming` by a process that is gone become `incomplete`. Rows of live
/// processes (another harness streaming right now) are left alone.
pub fn recover_interrupted(conn: &Connection) -> Result<usize, StoreError> {
    let mut stmt =
        conn.prepare("SELECT id, writer_pid FROM messages WHERE status = 'streaming'")?;
    let rows: Vec<(String, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut recovered = 0;
    for (id, pid) in rows {
        let alive = pid.is_some_and(|p| p as u32 != std::process::id() && process_alive(p));
        if !alive {
            recovered += conn.execute(
                "UPDATE messages SET status = 'incomplete', writer_pid = NULL WHERE id = ?1 AND status = 'streaming'",
                [id],
            )?;
        }
    }
    Ok(recovered)
}

fn process_alive(pid: i64) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    }
}

/// Remember a prompt the user sent (consecutive duplicates are kept once).
pub fn add_prompt(conn: &mut Connection, text: &str) -> Result<(), StoreError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO prompt_history (text, created_at, profile)
         SELECT ?1, ?2, harness_profile() WHERE ?1 IS NOT (
             SELECT text FROM prompt_history WHERE profile = harness_profile()
              ORDER BY seq DESC LIMIT 1)",
        params![text, now_ms()],
    )?;
    Ok(())
}

/// Most recent first.
pub fn recent_prompts(conn: &mut Connection, limit: u32) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT text FROM prompt_history WHERE profile = harness_profile()
              ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([i64::from(limit)], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
