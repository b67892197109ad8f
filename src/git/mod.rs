//! Git, through the `git` command: the worktrees subagents (and `harness run --worktree`) work
//! in, and the diff of what a conversation changed there. The `git` binary rather than a library: worktrees, hooks and
//! the user's config then behave exactly as they do on the command line, and nothing heavy is
//! linked in.

pub mod attribution;
pub mod lock;
pub mod worktree;

use std::path::Path;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{0}")]
    NotARepository(String),
    #[error("{0}")]
    Failed(String),
    #[error("cannot run git: {0}: install git or put it on PATH")]
    Missing(std::io::Error),
}

/// Run git in `dir` with `args`; stdout on success, else an error naming the command and git's
/// own message.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(GitError::Missing)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(GitError::Failed(format!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            dir.display(),
            stderr.trim()
        )))
    }
}

/// The top directory of the git repository holding `dir`.
pub fn repository_root(dir: &Path) -> Result<std::path::PathBuf, GitError> {
    match git(dir, &["rev-parse", "--show-toplevel"]) {
        Ok(top) => Ok(std::path::PathBuf::from(top.trim())),
        Err(GitError::Failed(_)) => Err(GitError::NotARepository(format!(
            "{} is not in a git repository: a worktree needs one (run `git init` and commit once)",
            dir.display()
        ))),
        Err(e) => Err(e),
    }
}

/// The commit `HEAD` points at in `repo`.
pub fn head_commit(repo: &Path) -> Result<String, GitError> {
    git(repo, &["rev-parse", "--verify", "HEAD^{commit}"])
        .map(|s| s.trim().to_string())
        .map_err(|_| {
            GitError::NotARepository(format!(
                "the repository {} has no commit yet: commit once, then ask for a worktree",
                repo.display()
            ))
        })
}
