//! The per-workspace lock of a worktree conversation: a session that goes on in a worktree made
//! earlier (`harness run --conversation ID` after `run --worktree`) holds an exclusive `flock` on
//! `<worktree git dir>/harness.lock` while it runs, so two harness processes never work in one
//! worktree at once. The lock goes with the process (the kernel drops it), so a crash never
//! leaves it behind.

use super::{GitError, git};
use nix::fcntl::{Flock, FlockArg};
use std::path::Path;

/// Held while a session works in the worktree.
pub struct WorktreeLock {
    _file: Flock<std::fs::File>,
}

/// Take the lock of the worktree at `worktree`, or say who to wait for.
pub fn lock(worktree: &Path) -> Result<WorktreeLock, GitError> {
    let dir = git(
        worktree,
        &["rev-parse", "--path-format=absolute", "--git-dir"],
    )?;
    let path = Path::new(dir.trim()).join("harness.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| GitError::Failed(format!("cannot open {}: {e}", path.display())))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(file) => Ok(WorktreeLock { _file: file }),
        Err((_, errno)) => Err(GitError::Failed(format!(
            "the worktree {} is in use by another harness session ({errno}): wait for it to end, then run again",
            worktree.display()
        ))),
    }
}
