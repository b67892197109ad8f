//! Branches of a conversation: rewind (the messages from one message on are marked
//! `superseded_by` it, kept but no longer part of the active branch that loads, counts and
//! resumed context see) and fork (a new conversation, child of the old one, with copies of its
//! active messages up to a point). Nothing here deletes a message.

use super::messages::{self, StoredMessage};
use super::{Store, StoreError, conversations, now_ms};
use crate::message::{ConversationId, MessageId, MessageStatus};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// The active message `id` of conversation `conversation`, or a clear error.
pub fn active_message(
    conn: &Connection,
    conversation: ConversationId,
    id: MessageId,
) -> Result<StoredMessage, StoreError> {
    messages::all(conn, conversation)?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "message {id} is not in the active history of conversation {conversation}: see `harness checkpoints list {conversation}` or `harness history show {conversation}`"
            ))
        })
}

/// Rewind `conversation` to just before message `to`: it and every later active message are
/// marked superseded by `to`. Returns the superseded messages (in order).
pub fn rewind(
    conn: &mut Connection,
    conversation: ConversationId,
    to: MessageId,
) -> Result<Vec<StoredMessage>, StoreError> {
    let target = active_message(conn, conversation, to)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let rewound: Vec<StoredMessage> = messages::all(&tx, conversation)?
        .into_iter()
        .filter(|m| m.ordinal >= target.ordinal)
        .collect();
    tx.execute(
        "UPDATE messages SET superseded_by = ?2, superseded_at = ?3
          WHERE conversation_id = ?1 AND ordinal >= ?4 AND superseded_by IS NULL",
        params![
            conversation.to_string(),
            to.to_string(),
            now_ms(),
            target.ordinal
        ],
    )?;
    recount(&tx, conversation)?;
    tx.commit()?;
    Ok(rewound)
}

/// `message_count` counts the active branch only.
fn recount(conn: &Connection, conversation: ConversationId) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE conversations SET message_count =
            (SELECT COUNT(*) FROM messages WHERE conversation_id = ?1 AND superseded_by IS NULL),
            updated_at = max(updated_at, ?2)
          WHERE id = ?1",
        params![conversation.to_string(), now_ms()],
    )?;
    Ok(())
}

/// A new conversation (child of `source`, same agent and model) holding copies of the active
/// messages of `source` before message `at` (all of them when `None`). Returns its id.
pub fn fork(
    conn: &mut Connection,
    source: ConversationId,
    at: Option<MessageId>,
) -> Result<ConversationId, StoreError> {
    let summary = conversations::get(conn, source)?;
    let limit = match at {
        Some(id) => active_message(conn, source, id)?.ordinal,
        None => i64::MAX,
    };
    let copied: Vec<StoredMessage> = messages::all(conn, source)?
        .into_iter()
        .filter(|m| m.ordinal < limit)
        .collect();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let created =
        conversations::create(&tx, &summary.agent, summary.model.as_deref(), Some(source))?;
    let title = if summary.title.is_empty() {
        String::new()
    } else {
        format!("{} (fork)", summary.title)
    };
    tx.execute(
        "UPDATE conversations SET title = ?2 WHERE id = ?1",
        params![created.id.to_string(), title],
    )?;
    for m in &copied {
        let status = match m.status {
            MessageStatus::Streaming => MessageStatus::Incomplete,
            s => s,
        };
        let row = StoredMessage {
            id: MessageId::new(),
            conversation_id: created.id,
            status,
            ..m.clone()
        };
        messages::insert(&tx, &row, None)?;
    }
    tx.commit()?;
    Ok(created.id)
}

/// The conversation a fork was made from, if any.
pub fn parent(conn: &Connection, id: ConversationId) -> Result<Option<ConversationId>, StoreError> {
    let parent: Option<Option<String>> = conn
        .query_row(
            "SELECT parent_id FROM conversations WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(parent.flatten().and_then(|p| p.parse().ok()))
}

/// Messages taken back by rewinds (newest first), for history views of the other branches.
pub fn superseded(
    conn: &Connection,
    conversation: ConversationId,
) -> Result<Vec<StoredMessage>, StoreError> {
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM messages WHERE conversation_id = ?1 AND superseded_by IS NOT NULL
              ORDER BY ordinal",
        )?
        .query_map([conversation.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM messages WHERE id = ?1",
            messages::COLUMNS
        ))?;
        out.push(stmt.query_row([id], messages::stored)?);
    }
    Ok(out)
}

impl Store {
    /// See [`rewind`].
    pub async fn rewind(
        &self,
        conversation: ConversationId,
        to: MessageId,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.call(move |c| rewind(c, conversation, to)).await
    }

    /// See [`fork`].
    pub async fn fork(
        &self,
        source: ConversationId,
        at: Option<MessageId>,
    ) -> Result<ConversationId, StoreError> {
        self.call(move |c| fork(c, source, at)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Role;
    use crate::store::NewMessage;

    fn setup() -> (Connection, ConversationId, Vec<MessageId>) {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::profile_scope::register(&conn).unwrap();
        super::super::migrate::migrate_to(&mut conn, super::super::migrate::latest_version())
            .unwrap();
        let c = conversations::create(&conn, "general", None, None)
            .unwrap()
            .id;
        let ids = ["one", "reply one", "two", "reply two"]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let role = if i % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                };
                messages::append(&mut conn, &NewMessage::new(c, role, *t))
                    .unwrap()
                    .id
            })
            .collect();
        (conn, c, ids)
    }

    fn texts(conn: &Connection, c: ConversationId) -> Vec<String> {
        messages::all(conn, c)
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect()
    }

    #[test]
    fn rewind_keeps_later_messages_as_a_branch_and_new_ones_follow() {
        let (mut conn, c, ids) = setup();
        let rewound = rewind(&mut conn, c, ids[2]).unwrap();
        assert_eq!(rewound.len(), 2);
        assert_eq!(texts(&conn, c), ["one", "reply one"]);
        assert_eq!(conversations::get(&conn, c).unwrap().message_count, 2);
        assert_eq!(superseded(&conn, c).unwrap().len(), 2, "kept, not deleted");
        messages::append(&mut conn, &NewMessage::new(c, Role::User, "two again")).unwrap();
        assert_eq!(texts(&conn, c), ["one", "reply one", "two again"]);
        // a superseded message cannot be rewound to again
        assert!(rewind(&mut conn, c, ids[3]).is_err());
    }

    #[test]
    fn fork_copies_the_history_before_a_message() {
        let (mut conn, c, ids) = setup();
        let f = fork(&mut conn, c, Some(ids[2])).unwrap();
        assert_eq!(texts(&conn, f), ["one", "reply one"]);
        assert_eq!(parent(&conn, f).unwrap(), Some(c));
        let whole = fork(&mut conn, c, None).unwrap();
        assert_eq!(texts(&conn, whole).len(), 4);
        assert_eq!(texts(&conn, c).len(), 4, "the source is untouched");
    }
}
