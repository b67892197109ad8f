//! Subagent links and conversation workspaces (migration 0008): which tool call of which
//! conversation started a child conversation, and which conversations work in their own git
//! worktree (path, branch, base commit), for `history list --children` and `harness diff`.

use super::{Store, StoreError, conversations, from_ms, now_ms};
use crate::message::{ConversationId, ConversationSummary};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::path::PathBuf;

/// A child conversation and the tool call that started it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildConversation {
    #[serde(flatten)]
    pub conversation: ConversationSummary,
    pub parent_id: ConversationId,
    pub parent_call_id: String,
    pub depth: u32,
    pub description: String,
}

/// Where a conversation works when it has its own git worktree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationWorkspace {
    pub conversation_id: ConversationId,
    pub workspace: PathBuf,
    /// The main repository the worktree belongs to.
    pub repository: PathBuf,
    pub branch: String,
    pub base_commit: String,
}

/// Links `child` to the call `call_id` of `parent`.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub child: ConversationId,
    pub parent: ConversationId,
    pub call_id: String,
    pub depth: u32,
    pub description: String,
}

pub fn link(conn: &Connection, l: &NewLink) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR REPLACE INTO subagent_links
            (child_id, parent_id, parent_call_id, depth, description, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            l.child.to_string(),
            l.parent.to_string(),
            l.call_id,
            l.depth,
            l.description,
            now_ms()
        ],
    )?;
    Ok(())
}

/// Child conversations, newest first; only `parent`'s when given.
pub fn children(
    conn: &Connection,
    parent: Option<ConversationId>,
    limit: u32,
    offset: u32,
) -> Result<Vec<ChildConversation>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.child_id, l.parent_id, l.parent_call_id, l.depth, l.description
           FROM subagent_links l JOIN conversations c ON c.id = l.child_id
          WHERE (?1 IS NULL OR l.parent_id = ?1) AND c.deleted_at IS NULL
            AND c.profile = harness_profile()
          ORDER BY l.created_at DESC, l.rowid DESC LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt
        .query_map(
            params![
                parent.map(|p| p.to_string()),
                i64::from(limit.max(1)),
                i64::from(offset)
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (child, parent_id, call_id, depth, description) in rows {
        let (Ok(child), Ok(parent_id)) = (child.parse(), parent_id.parse()) else {
            continue;
        };
        out.push(ChildConversation {
            conversation: conversations::get(conn, child)?,
            parent_id,
            parent_call_id: call_id,
            depth,
            description,
        });
    }
    Ok(out)
}

pub fn set_workspace(conn: &Connection, w: &ConversationWorkspace) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR REPLACE INTO conversation_workspaces
            (conversation_id, workspace, repository, branch, base_commit, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            w.conversation_id.to_string(),
            w.workspace.to_string_lossy(),
            w.repository.to_string_lossy(),
            w.branch,
            w.base_commit,
            now_ms()
        ],
    )?;
    Ok(())
}

pub fn workspace(
    conn: &Connection,
    id: ConversationId,
) -> Result<Option<ConversationWorkspace>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT w.workspace, w.repository, w.branch, w.base_commit
               FROM conversation_workspaces w JOIN conversations c ON c.id = w.conversation_id
              WHERE w.conversation_id = ?1 AND c.profile = harness_profile()",
            [id.to_string()],
            |r| {
                Ok(ConversationWorkspace {
                    conversation_id: id,
                    workspace: PathBuf::from(r.get::<_, String>(0)?),
                    repository: PathBuf::from(r.get::<_, String>(1)?),
                    branch: r.get(2)?,
                    base_commit: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// When the link was made (for display).
pub fn linked_at(
    conn: &Connection,
    child: ConversationId,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT l.created_at FROM subagent_links l JOIN conversations c ON c.id = l.child_id
              WHERE l.child_id = ?1 AND c.profile = harness_profile()",
            [child.to_string()],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .map(from_ms))
}

impl Store {
    pub async fn link_subagent(&self, link: NewLink) -> Result<(), StoreError> {
        self.call(move |c| self::link(c, &link)).await
    }

    pub async fn subagent_children(
        &self,
        parent: Option<ConversationId>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ChildConversation>, StoreError> {
        self.call(move |c| children(c, parent, limit, offset)).await
    }

    pub async fn set_conversation_workspace(
        &self,
        w: ConversationWorkspace,
    ) -> Result<(), StoreError> {
        self.call(move |c| set_workspace(c, &w)).await
    }

    pub async fn conversation_workspace(
        &self,
        id: ConversationId,
    ) -> Result<Option<ConversationWorkspace>, StoreError> {
        self.call(move |c| workspace(c, id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_listed_with_the_call_that_started_them() {
        let store = Store::open_in_memory().unwrap();
        let (parent, a, b, other) = store
            .call_blocking(|c| {
                let p = conversations::create(c, "general", None, None)?;
                let a = conversations::create(c, "coder", None, None)?;
                let b = conversations::create(c, "coder", None, None)?;
                let o = conversations::create(c, "general", None, None)?;
                Ok((p.id, a.id, b.id, o.id))
            })
            .unwrap();
        store
            .call_blocking(move |c| {
                for (child, call) in [(a, "call_a"), (b, "call_b")] {
                    link(
                        c,
                        &NewLink {
                            child,
                            parent,
                            call_id: call.into(),
                            depth: 1,
                            description: format!("work {call}"),
                        },
                    )?;
                }
                Ok(())
            })
            .unwrap();
        let all = store.call_blocking(|c| children(c, None, 10, 0)).unwrap();
        let ids: Vec<_> = all.iter().map(|c| c.conversation.id).collect();
        assert_eq!(ids, vec![b, a], "newest first, only children");
        assert!(!ids.contains(&other));
        assert_eq!(all[1].parent_call_id, "call_a");
        assert_eq!(all[1].description, "work call_a");
        let none = store
            .call_blocking(move |c| children(c, Some(other), 10, 0))
            .unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_workspace_is_recorded_and_read_back() {
        let store = Store::open_in_memory().unwrap();
        let id = store
            .call_blocking(|c| Ok(conversations::create(c, "general", None, None)?.id))
            .unwrap();
        let w = ConversationWorkspace {
            conversation_id: id,
            workspace: "/tmp/wt".into(),
            repository: "/tmp/repo".into(),
            branch: "harness/0123abcd".into(),
            base_commit: "abc".into(),
        };
        let saved = w.clone();
        store
            .call_blocking(move |c| set_workspace(c, &saved))
            .unwrap();
        assert_eq!(
            store.call_blocking(move |c| workspace(c, id)).unwrap(),
            Some(w)
        );
    }
}
