//! Full-text search over every message (FTS5, `unicode61` with diacritics folded), newest
//! first, skipping deleted conversations. Ordering by the FTS rowid (= message seq) lets FTS5
//! walk its index newest-first and stop at the limit, instead of sorting every match. User text is never passed to FTS5 as query syntax:
//! each word is quoted, so `foo-bar`, `"` or `AND` are searched as text.

use super::{StoreError, from_ms};
use crate::message::{ConversationId, MessageId, Role};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub role: Role,
    /// Matched words wrapped in `[` `]`, cut to a dozen words around the match.
    pub snippet: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Turn user text into an FTS5 query: every word quoted (implicit AND); with `prefix`, the
/// last word also matches as a prefix (incremental search). `None` when there are no words.
pub fn fts_query(text: &str, prefix: bool) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut q = words.join(" ");
    if prefix {
        q.push('*');
    }
    Some(q)
}

/// An FTS5 query matching any of the words of `text` (memory search ranks by bm25, so more
/// shared words rank higher). `None` when there are no words.
pub fn fts_query_any(text: &str) -> Option<String> {
    any_of(words(text).collect())
}

/// [`fts_query_any`] over the words of 4 characters or more only (recall by full text: the
/// short words of a prompt match everything).
pub fn fts_query_significant(text: &str) -> Option<String> {
    any_of(words(text).filter(|w| w.chars().count() >= 4).collect())
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
}

fn any_of(words: Vec<&str>) -> Option<String> {
    if words.is_empty() {
        return None;
    }
    let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
    Some(quoted.join(" OR "))
}

pub fn search(conn: &Connection, text: &str, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
    let Some(query) = fts_query(text, false) else {
        return Err(StoreError::Invalid(
            "search text has no words to look for: give at least one word".to_string(),
        ));
    };
    let mut stmt = conn.prepare_cached(
        "SELECT m.conversation_id, m.id, m.role,
                snippet(messages_fts, 0, '[', ']', '…', 12), m.created_at
           FROM messages_fts
           JOIN messages m ON m.seq = messages_fts.rowid
           JOIN conversations c ON c.id = m.conversation_id
          WHERE messages_fts MATCH ?1 AND c.deleted_at IS NULL AND c.profile = harness_profile()
          ORDER BY messages_fts.rowid DESC
          LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![query, i64::from(limit.max(1))], |r| {
        let conv: String = r.get(0)?;
        let id: String = r.get(1)?;
        let role: String = r.get(2)?;
        Ok((conv, id, role, r.get::<_, String>(3)?, r.get::<_, i64>(4)?))
    })?;
    let mut hits = Vec::new();
    for row in rows {
        let (conv, id, role, snippet, created) = row?;
        let (Ok(conversation_id), Ok(message_id), Ok(role)) =
            (conv.parse(), id.parse(), role.parse::<Role>())
        else {
            continue;
        };
        hits.push(SearchHit {
            conversation_id,
            message_id,
            role,
            snippet,
            created_at: from_ms(created),
        });
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_becomes_quoted_words() {
        let cases = [
            ("hello world", false, Some("\"hello\" \"world\"")),
            ("foo-bar", false, Some("\"foo\" \"bar\"")),
            ("AND OR \"x\"", false, Some("\"AND\" \"OR\" \"x\"")),
            ("stack tr", true, Some("\"stack\" \"tr\"*")),
            ("  --- ", false, None),
            ("café", false, Some("\"café\"")),
        ];
        for (input, prefix, want) in cases {
            assert_eq!(fts_query(input, prefix).as_deref(), want, "{input}");
        }
    }

    #[test]
    fn any_word_queries_quote_each_word_and_drop_short_ones_for_recall() {
        let cases = [
            (
                "deploy staging",
                Some("\"deploy\" OR \"staging\""),
                Some("\"deploy\" OR \"staging\""),
            ),
            (
                "is the db up",
                Some("\"is\" OR \"the\" OR \"db\" OR \"up\""),
                None,
            ),
            ("AND \"x\"", Some("\"AND\" OR \"x\""), None),
            ("--", None, None),
        ];
        for (input, any, significant) in cases {
            assert_eq!(fts_query_any(input).as_deref(), any, "{input}");
            assert_eq!(
                fts_query_significant(input).as_deref(),
                significant,
                "{input}"
            );
        }
    }
}
