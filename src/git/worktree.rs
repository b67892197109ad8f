//! Worktrees for conversations: `git worktree add -b harness/<id-prefix> <dir> HEAD`, made under
//! the data directory (`<data dir>/worktrees/<repo>-<id-prefix>`), never inside the user's
//! checkout, so the parent's `glob` and `grep` do not see the child's files. The branch and the
//! worktree are kept: the harness never merges or deletes them (the user does, with `git merge`
//! and `git worktree remove`). And the diff of what a worktree changed since its base commit.

use super::{GitError, git, head_commit, repository_root};
use crate::message::ConversationId;
use std::path::{Path, PathBuf};

/// A worktree made for a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    pub path: PathBuf,
    /// The repository it belongs to (its main checkout).
    pub repository: PathBuf,
    pub branch: String,
    /// The commit it started from.
    pub base_commit: String,
}

/// Branch names tried for `id`, shortest first: the first 8 hex digits of the id, then longer
/// ones (ids made in the same second share their first digits).
pub fn branch_candidates(id: ConversationId) -> Vec<String> {
    let hex = id.0.simple().to_string();
    [8, 12, 16, 32]
        .iter()
        .map(|n| format!("harness/{}", &hex[..*n]))
        .collect()
}

/// Make a worktree for conversation `id` from the repository holding `workspace`, at its HEAD,
/// under `root` (created if needed).
pub fn create(workspace: &Path, root: &Path, id: ConversationId) -> Result<Worktree, GitError> {
    let repository = repository_root(workspace)?;
    let base_commit = head_commit(&repository)?;
    std::fs::create_dir_all(root).map_err(|e| {
        GitError::Failed(format!(
            "cannot create the worktrees directory {}: {e}",
            root.display()
        ))
    })?;
    let name = repository
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".to_string());
    let mut last = None;
    for branch in branch_candidates(id) {
        let suffix = branch.trim_start_matches("harness/");
        let path = root.join(format!("{name}-{suffix}"));
        if path.exists() || branch_exists(&repository, &branch) {
            continue;
        }
        let dir = path.to_string_lossy().into_owned();
        match git(
            &repository,
            &["worktree", "add", "-b", &branch, &dir, &base_commit],
        ) {
            Ok(_) => {
                return Ok(Worktree {
                    path: std::fs::canonicalize(&path).unwrap_or(path),
                    repository,
                    branch,
                    base_commit,
                });
            }
            // Another child took this name at the same moment: try a longer one.
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        GitError::Failed(format!(
            "no free branch name for conversation {id} in {}",
            repository.display()
        ))
    }))
}

fn branch_exists(repo: &Path, branch: &str) -> bool {
    git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ],
    )
    .is_ok()
}

/// What changed in `worktree` since `base`: committed and uncommitted changes to tracked files,
/// then every untracked (not ignored) file as a new file. Unified diff, no colour.
pub fn diff_since(worktree: &Path, base: &str) -> Result<String, GitError> {
    let mut out = git(
        worktree,
        &["diff", "--no-color", "--no-ext-diff", base, "--"],
    )?;
    let untracked = git(
        worktree,
        &["ls-files", "--others", "--exclude-standard", "-z"],
    )?;
    for file in untracked.split('\0').filter(|f| !f.is_empty()) {
        out.push_str(&new_file_diff(worktree, file)?);
    }
    Ok(out)
}

/// `git diff --no-index /dev/null FILE` (which exits 1 when there is a difference).
fn new_file_diff(dir: &Path, file: &str) -> Result<String, GitError> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-index",
            "--",
            "/dev/null",
            file,
        ])
        .output()
        .map_err(GitError::Missing)?;
    match out.status.code() {
        Some(0) | Some(1) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => Err(GitError::Failed(format!(
            "`git diff --no-index` failed for {file}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_grow_from_the_id_prefix() {
        let id: ConversationId = "0190a1b2-c3d4-7e5f-8a6b-0c1d2e3f4a5b".parse().unwrap();
        assert_eq!(
            branch_candidates(id),
            vec![
                "harness/0190a1b2",
                "harness/0190a1b2c3d4",
                "harness/0190a1b2c3d47e5f",
                "harness/0190a1b2c3d47e5f8a6b0c1d2e3f4a5b",
            ]
        );
    }
}
