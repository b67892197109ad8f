//! `harness diff` and `/diff`: what a conversation changed in its workspace, as a unified diff.
//! A conversation with its own git worktree (a worktree subagent, `run --worktree`) is diffed
//! with git against the commit it started from (committed and uncommitted changes, new files);
//! any other is diffed from its turn checkpoints against the files on disk now.

use crate::checkpoint::Checkpoints;
use crate::config::CheckpointsConfig;
use crate::message::ConversationId;
use crate::store::Store;

/// The diff of `id`'s changes, or an error saying what is wrong (one line).
pub async fn conversation_diff(
    store: &Store,
    checkpoints: CheckpointsConfig,
    id: ConversationId,
) -> Result<String, String> {
    if let Some(w) = store
        .conversation_workspace(id)
        .await
        .map_err(|e| e.to_string())?
    {
        if !w.workspace.exists() {
            return Err(format!(
                "the worktree {} of conversation {id} is gone (branch {} may still hold its commits: git log {})",
                w.workspace.display(),
                w.branch,
                w.branch
            ));
        }
        return tokio::task::spawn_blocking(move || {
            crate::git::worktree::diff_since(&w.workspace, &w.base_commit)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("the diff task failed: {e}"))?;
    }
    let db = store.path();
    if db.as_os_str() == ":memory:" {
        return Err("no checkpoints for an in-memory database".to_string());
    }
    let cps = Checkpoints::beside_db(db, checkpoints);
    tokio::task::spawn_blocking(move || {
        crate::checkpoint::diff::conversation_diff(&cps, id).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| format!("the diff task failed: {e}"))?
}
