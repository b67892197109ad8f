//! Conversation rows: create, list (recent first, paged, filtered), resolve an id prefix,
//! rename, soft delete and restore. Every query is limited to the store handle's profile
//! (`profile = harness_profile()`, see `profile_scope`): another profile's conversation is
//! not found, exactly like an unknown id.

use super::{StoreError, from_ms, now_ms};
use crate::message::{ConversationId, ConversationSummary};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// Filters and paging for [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: u32,
    pub offset: u32,
    /// Title or any message text contains these words.
    pub query: Option<String>,
    pub agent: Option<String>,
    /// List deleted conversations instead of live ones.
    pub deleted: bool,
    /// List live and deleted conversations together (newest first); beats `deleted`.
    pub include_deleted: bool,
}

const COLUMNS: &str =
    "id, title, agent, model, created_at, updated_at, message_count, deleted_at IS NOT NULL";

fn summary(row: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    let id: String = row.get(0)?;
    Ok(ConversationSummary {
        id: id.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?,
        title: row.get(1)?,
        agent: row.get(2)?,
        model: row.get(3)?,
        created_at: from_ms(row.get(4)?),
        updated_at: from_ms(row.get(5)?),
        message_count: row.get::<_, i64>(6)?.max(0) as u64,
        deleted: row.get(7)?,
    })
}

pub fn create(
    conn: &Connection,
    agent: &str,
    model: Option<&str>,
    parent: Option<ConversationId>,
) -> Result<ConversationSummary, StoreError> {
    create_with_id(conn, ConversationId::new(), agent, model, parent)
}

/// Create a conversation under an id chosen beforehand (a session shows its id before the
/// first message makes the row).
pub fn create_with_id(
    conn: &Connection,
    id: ConversationId,
    agent: &str,
    model: Option<&str>,
    parent: Option<ConversationId>,
) -> Result<ConversationSummary, StoreError> {
    let now = now_ms();
    conn.execute(
        "INSERT INTO conversations (id, title, agent, model, parent_id, created_at, updated_at, profile)
         VALUES (?1, '', ?2, ?3, ?4, ?5, ?5, harness_profile())",
        params![
            id.to_string(),
            agent,
            model,
            parent.map(|p| p.to_string()),
            now
        ],
    )?;
    get(conn, id)
}

pub fn get(conn: &Connection, id: ConversationId) -> Result<ConversationSummary, StoreError> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM conversations WHERE id = ?1 AND profile = harness_profile()"
        ),
        [id.to_string()],
        summary,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(id.to_string()))
}

pub fn list(conn: &Connection, q: &ListQuery) -> Result<Vec<ConversationSummary>, StoreError> {
    let (sql, mut args) = filtered(&format!("SELECT {COLUMNS} FROM conversations WHERE "), q);
    let mut sql = sql;
    sql.push_str(if q.deleted && !q.include_deleted {
        " ORDER BY deleted_at DESC"
    } else {
        " ORDER BY updated_at DESC"
    });
    args.push(Box::new(i64::from(q.limit.max(1))));
    sql.push_str(&format!(" LIMIT ?{}", args.len()));
    args.push(Box::new(i64::from(q.offset)));
    sql.push_str(&format!(" OFFSET ?{}", args.len()));

    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
        summary,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many conversations match `q` (ignoring its paging).
pub fn count(conn: &Connection, q: &ListQuery) -> Result<u64, StoreError> {
    let (sql, args) = filtered("SELECT COUNT(*) FROM conversations WHERE ", q);
    let mut stmt = conn.prepare_cached(&sql)?;
    let n: i64 = stmt.query_row(
        rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

type SqlArgs = Vec<Box<dyn rusqlite::ToSql>>;

/// The WHERE clause (and its arguments) of a listing.
fn filtered(select: &str, q: &ListQuery) -> (String, SqlArgs) {
    let mut sql = select.to_string();
    sql.push_str("profile = harness_profile() AND ");
    sql.push_str(if q.include_deleted {
        "1"
    } else if q.deleted {
        "deleted_at IS NOT NULL"
    } else {
        "deleted_at IS NULL"
    });
    let mut args: SqlArgs = Vec::new();
    if let Some(agent) = &q.agent {
        args.push(Box::new(agent.clone()));
        sql.push_str(&format!(" AND agent = ?{}", args.len()));
    }
    if let Some(text) = q.query.as_deref().filter(|t| !t.trim().is_empty()) {
        args.push(Box::new(format!("%{}%", escape_like(text.trim()))));
        let like = args.len();
        match super::search::fts_query(text, true) {
            Some(fts) => {
                args.push(Box::new(fts));
                sql.push_str(&format!(
                    " AND (title LIKE ?{like} ESCAPE '\\' OR id IN (
                        SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.seq = f.rowid
                        WHERE messages_fts MATCH ?{}))",
                    args.len()
                ));
            }
            None => sql.push_str(&format!(" AND title LIKE ?{like} ESCAPE '\\'")),
        }
    }
    (sql, args)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A full id or a unique prefix of one (at least 4 characters).
pub fn resolve(conn: &Connection, prefix: &str) -> Result<ConversationId, StoreError> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if let Ok(id) = prefix.parse::<ConversationId>() {
        return get(conn, id).map(|s| s.id);
    }
    if prefix.len() < 4 || !prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(StoreError::NotFound(prefix));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM conversations
          WHERE id >= ?1 AND id < ?1 || 'g' AND profile = harness_profile() ORDER BY id LIMIT 6",
    )?;
    let ids: Vec<String> = stmt
        .query_map([&prefix], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    match ids.as_slice() {
        [] => Err(StoreError::NotFound(prefix)),
        [one] => one
            .parse()
            .map_err(|_| StoreError::Invalid(format!("stored id `{one}` is not a UUID"))),
        many => Err(StoreError::Ambiguous {
            count: if many.len() > 5 { 6 } else { many.len() },
            examples: many.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            prefix,
        }),
    }
}

pub fn most_recent(conn: &Connection) -> Result<Option<ConversationId>, StoreError> {
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM conversations WHERE deleted_at IS NULL AND profile = harness_profile()
              ORDER BY updated_at DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(id.and_then(|s| s.parse().ok()))
}

pub(super) fn most_recent_mut(conn: &mut Connection) -> Result<Option<ConversationId>, StoreError> {
    most_recent(conn)
}

pub fn set_title(conn: &Connection, id: ConversationId, title: &str) -> Result<(), StoreError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(StoreError::Invalid("a title cannot be empty".to_string()));
    }
    changed(
        conn.execute(
            "UPDATE conversations SET title = ?2, updated_at = ?3
              WHERE id = ?1 AND profile = harness_profile()",
            params![id.to_string(), title, now_ms()],
        )?,
        id,
    )
}

pub fn set_settings(
    conn: &Connection,
    id: ConversationId,
    agent: &str,
    model: Option<&str>,
) -> Result<(), StoreError> {
    changed(
        conn.execute(
            "UPDATE conversations SET agent = ?2, model = ?3
              WHERE id = ?1 AND profile = harness_profile()",
            params![id.to_string(), agent, model],
        )?,
        id,
    )
}

pub fn soft_delete(conn: &Connection, id: ConversationId) -> Result<(), StoreError> {
    let rows = conn.execute(
        "UPDATE conversations SET deleted_at = ?2
          WHERE id = ?1 AND deleted_at IS NULL AND profile = harness_profile()",
        params![id.to_string(), now_ms()],
    )?;
    if rows == 0 && get(conn, id)?.deleted {
        return Err(StoreError::Invalid(format!(
            "conversation {id} is already deleted (undo with `harness history restore {id}`)"
        )));
    }
    changed(rows, id)
}

pub fn restore(conn: &Connection, id: ConversationId) -> Result<(), StoreError> {
    let rows = conn.execute(
        "UPDATE conversations SET deleted_at = NULL
          WHERE id = ?1 AND deleted_at IS NOT NULL AND profile = harness_profile()",
        [id.to_string()],
    )?;
    if rows == 0 && !get(conn, id)?.deleted {
        return Err(StoreError::Invalid(format!(
            "conversation {id} is not deleted"
        )));
    }
    changed(rows, id)
}

fn changed(rows: usize, id: ConversationId) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::NotFound(id.to_string()))
    } else {
        Ok(())
    }
}
