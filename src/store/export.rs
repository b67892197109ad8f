//! Export and import of whole conversations. The JSON export is the `history show --json`
//! shape plus what an import needs to rebuild the conversation exactly (agent, model, every
//! message field), tagged with a format name and version. Import never overwrites: an id that
//! already exists gets a new one.

use super::messages::{self, StoredMessage};
use super::{StoreError, conversations};
use crate::message::{ConversationId, MessageId};
use rusqlite::{Connection, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "harness.conversation";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedConversation {
    pub format: String,
    pub version: u32,
    pub id: ConversationId,
    pub title: String,
    pub agent: String,
    pub model: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub messages: Vec<StoredMessage>,
}

pub fn export(conn: &Connection, id: ConversationId) -> Result<ExportedConversation, StoreError> {
    let summary = conversations::get(conn, id)?;
    Ok(ExportedConversation {
        format: FORMAT.to_string(),
        version: VERSION,
        id,
        title: summary.title,
        agent: summary.agent,
        model: summary.model,
        created_at: summary.created_at,
        updated_at: summary.updated_at,
        messages: messages::all(conn, id)?,
    })
}

/// Insert an exported conversation as it was (timestamps, order, statuses), under its own id
/// when free, else a new one. Message ids are regenerated when taken. Returns the id used.
pub fn import(
    conn: &mut Connection,
    doc: &ExportedConversation,
) -> Result<ConversationId, StoreError> {
    if doc.format != FORMAT {
        return Err(StoreError::Invalid(format!(
            "not a harness export (format is `{}`, expected `{FORMAT}`): use a file written by `harness history export --format json`",
            doc.format
        )));
    }
    if doc.version > VERSION {
        return Err(StoreError::Invalid(format!(
            "export version {} is newer than this harness understands ({VERSION}): upgrade harness",
            doc.version
        )));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let taken = |table: &str, id: &str| -> rusqlite::Result<bool> {
        tx.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"),
            [id],
            |r| r.get(0),
        )
    };
    let id = if taken("conversations", &doc.id.to_string())? {
        ConversationId::new()
    } else {
        doc.id
    };
    tx.execute(
        "INSERT INTO conversations (id, title, agent, model, created_at, updated_at, profile)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, harness_profile())",
        params![
            id.to_string(),
            doc.title,
            doc.agent,
            doc.model,
            doc.created_at.timestamp_millis(),
            doc.updated_at.timestamp_millis()
        ],
    )?;
    for (i, m) in doc.messages.iter().enumerate() {
        let mid = if taken("messages", &m.id.to_string())? {
            MessageId::new()
        } else {
            m.id
        };
        // A message still `streaming` in an export was interrupted.
        let status = match m.status {
            crate::message::MessageStatus::Streaming => crate::message::MessageStatus::Incomplete,
            s => s,
        };
        let row = StoredMessage {
            id: mid,
            conversation_id: id,
            ordinal: (i + 1) as i64,
            status,
            ..m.clone()
        };
        messages::insert(&tx, &row, None)?;
    }
    // The insert trigger moved updated_at forward; keep the exported one.
    tx.execute(
        "UPDATE conversations SET updated_at = ?2 WHERE id = ?1",
        params![id.to_string(), doc.updated_at.timestamp_millis()],
    )?;
    tx.commit()?;
    Ok(id)
}

/// Render a conversation as Markdown (export and `history show --markdown`).
pub fn to_markdown(doc: &ExportedConversation) -> String {
    let mut out = String::new();
    let title = if doc.title.is_empty() {
        "Untitled conversation"
    } else {
        &doc.title
    };
    out.push_str(&format!("# {title}\n\n"));
    out.push_str(&format!(
        "- id: `{}`\n- agent: {}\n- model: {}\n- created: {}\n- updated: {}\n\n",
        doc.id,
        doc.agent,
        doc.model.as_deref().unwrap_or("auto"),
        doc.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        doc.updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ));
    for m in &doc.messages {
        let who = match m.role {
            crate::message::Role::User => "User".to_string(),
            crate::message::Role::Assistant => match &m.model {
                Some(model) => format!("Assistant ({model})"),
                None => "Assistant".to_string(),
            },
            crate::message::Role::Tool => {
                format!("Tool result `{}`", m.tool_call_id.as_deref().unwrap_or("?"))
            }
            crate::message::Role::System => "System".to_string(),
            crate::message::Role::Summary => "Summary of earlier messages".to_string(),
        };
        out.push_str(&format!("## {who}\n\n"));
        if m.status != crate::message::MessageStatus::Complete {
            out.push_str(&format!("_status: {}_\n\n", m.status.as_str()));
        }
        if m.role == crate::message::Role::Tool {
            out.push_str(&fenced(&m.content));
        } else if !m.content.is_empty() {
            out.push_str(&m.content);
            out.push_str("\n\n");
        }
        for call in &m.tool_calls {
            out.push_str(&format!(
                "**Tool call** `{}` (`{}`):\n\n",
                call.name, call.id
            ));
            out.push_str(&fenced(
                &serde_json::to_string_pretty(&call.arguments).unwrap_or_default(),
            ));
        }
    }
    out
}

/// A fenced code block that cannot be closed early by backticks in the text.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}\n{}\n{fence}\n\n", text.trim_end())
}
