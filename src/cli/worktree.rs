//! `harness run --worktree`: the conversation gets its id first, then a git worktree on branch
//! `harness/<id-prefix>` made from the current directory's repository at HEAD (under the data
//! directory), and the whole conversation works there. The worktree and its branch are kept for
//! the user to review and merge; `harness diff ID` shows what it changed. A later `run` on that
//! conversation (`-c`, `--conversation ID`) works in the same worktree again, holding its lock
//! (`git::lock`) so two processes never work there at once.

use super::{CliContext, CliError};
use crate::config::Config;
use crate::core::{CoreDeps, SessionStart};
use crate::git::lock::WorktreeLock;
use crate::message::ConversationId;
use crate::store::subagents::ConversationWorkspace;
use std::sync::Arc;

/// A core, the conversation to start with, and the lock of its worktree when it has one.
pub type Prepared = (Arc<CoreDeps>, SessionStart, Option<WorktreeLock>);

/// `run` going on with a conversation: in its worktree (locked) when it has one, else in the
/// current directory.
pub async fn continue_in(
    ctx: &CliContext,
    config: Config,
    start: SessionStart,
) -> Result<Prepared, CliError> {
    if start == SessionStart::New {
        return Ok((ctx.build_core(config)?, start, None));
    }
    let store = ctx.open_store()?;
    let id = match &start {
        SessionStart::New => None,
        SessionStart::ContinueLast => store.most_recent().await?,
        SessionStart::Resume(prefix) => store.resolve(prefix).await.ok(),
    };
    let workspace = match id {
        Some(id) => store.conversation_workspace(id).await?,
        None => None,
    };
    let Some(w) = workspace.filter(|w| w.workspace.exists()) else {
        return Ok((ctx.build_core(config)?, start, None));
    };
    let path = w.workspace.clone();
    let lock = tokio::task::spawn_blocking(move || crate::git::lock::lock(&path))
        .await
        .map_err(|e| CliError::failed(format!("the lock task failed: {e}")))?
        .map_err(|e| CliError::usage(e.to_string()))?;
    let deps = CoreDeps::build(&ctx.paths, config, w.workspace.clone())
        .map(Arc::new)
        .map_err(|e| CliError::usage(e.to_string()))?;
    super::eprint_line(&format!(
        "harness: working in the worktree {} on branch {}",
        w.workspace.display(),
        w.branch
    ));
    Ok((deps, start, Some(lock)))
}

/// The core working in a new worktree, and the conversation to start with (already created).
pub async fn prepare(
    ctx: &CliContext,
    config: Config,
    agent: Option<&str>,
) -> Result<Prepared, CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::usage(format!("cannot read the current directory: {e}")))?;
    let id = ConversationId::new();
    let root = ctx
        .paths
        .db
        .parent()
        .map(|d| d.join("worktrees"))
        .ok_or_else(|| CliError::usage("the database path has no directory"))?;
    let worktree =
        tokio::task::spawn_blocking(move || crate::git::worktree::create(&cwd, &root, id))
            .await
            .map_err(|e| CliError::failed(format!("the worktree task failed: {e}")))?
            .map_err(|e| CliError::usage(format!("--worktree: {e}")))?;
    let agent = agent.unwrap_or(&config.default_agent).to_string();
    let deps = CoreDeps::build(&ctx.paths, config, worktree.path.clone())
        .map(Arc::new)
        .map_err(|e| CliError::usage(e.to_string()))?;
    deps.store
        .create_conversation_with_id(id, &agent, None)
        .await?;
    deps.store
        .set_conversation_workspace(ConversationWorkspace {
            conversation_id: id,
            workspace: worktree.path.clone(),
            repository: worktree.repository.clone(),
            branch: worktree.branch.clone(),
            base_commit: worktree.base_commit.clone(),
        })
        .await?;
    super::eprint_line(&format!(
        "harness: working in the worktree {} on branch {} (kept for you: review with `harness diff {}`, merge with `git merge {}`)",
        worktree.path.display(),
        worktree.branch,
        &id.to_string()[..8],
        worktree.branch
    ));
    let path = worktree.path.clone();
    let lock = tokio::task::spawn_blocking(move || crate::git::lock::lock(&path))
        .await
        .map_err(|e| CliError::failed(format!("the lock task failed: {e}")))?
        .map_err(|e| CliError::usage(e.to_string()))?;
    Ok((deps, SessionStart::Resume(id.to_string()), Some(lock)))
}
