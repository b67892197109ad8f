//! Putting the workspace back to how it was before one or more turns. First a plan, touching
//! nothing: walking the turns newest first, every file must be as the turn left it (its
//! after-state) or as the newer turn being undone found it; a file changed outside the harness
//! since is a conflict, and any conflict refuses the whole restore unless forced. Then each file
//! gets its state from before the oldest of the turns: content from the blob store written
//! through a temporary file and a rename, its mode set, or the file removed if it did not exist.
//! Directories the turns created are removed when left empty. Paths never leave the workspace:
//! `..`, absolute paths and symlinked directories on the way are refused.

use super::manifest::{After, FileState, TurnManifest};
use super::turn::current_state;
use super::{CheckpointError, Checkpoints};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RestoreReport {
    pub workspace: PathBuf,
    /// Files written back (modified or deleted by the turns).
    pub restored: Vec<String>,
    /// Files removed (created by the turns).
    pub removed: Vec<String>,
    /// Files changed outside the harness that `--force` overwrote.
    pub forced: Vec<String>,
    /// Notes of the turns (what they could not capture).
    pub notes: Vec<String>,
}

impl RestoreReport {
    /// One line per file, for a terminal.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.restored.iter().map(|p| format!("restored {p}")));
        out.extend(self.removed.iter().map(|p| format!("removed  {p}")));
        out.extend(
            self.forced
                .iter()
                .map(|p| format!("(forced: {p} had been changed outside the harness)")),
        );
        out.extend(self.notes.iter().map(|n| format!("note: {n}")));
        out
    }
}

/// Each path and the state to put it in (`None`: absent).
type Targets = BTreeMap<String, Option<FileState>>;

/// `rel` as a path below `root`, refusing anything that could leave it.
fn inside(root: &Path, rel: &str) -> Result<PathBuf, CheckpointError> {
    let path = Path::new(rel);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    if rel.is_empty() || !plain {
        return Err(CheckpointError::Invalid(format!(
            "checkpoint path `{rel}` is not a plain relative path: refused"
        )));
    }
    let mut at = root.to_path_buf();
    let mut parts = path.components().peekable();
    while let Some(part) = parts.next() {
        at.push(part);
        if parts.peek().is_some() {
            if let Ok(meta) = std::fs::symlink_metadata(&at) {
                if meta.file_type().is_symlink() {
                    return Err(CheckpointError::Invalid(format!(
                        "`{rel}`: `{}` is a symlink now; not followed (restore refused)",
                        at.display()
                    )));
                }
            }
        }
    }
    Ok(at)
}

/// Restore the workspace to before the oldest of `turns` (all of one workspace, oldest
/// first). Refuses, changing nothing, when a file was changed outside the harness since,
/// unless `force`.
pub fn restore(
    cps: &Checkpoints,
    turns: &[TurnManifest],
    force: bool,
) -> Result<RestoreReport, CheckpointError> {
    let Some(first) = turns.first() else {
        return Err(CheckpointError::Invalid("no checkpoint to restore".into()));
    };
    let root = first.workspace.clone();
    if !root.is_dir() {
        return Err(CheckpointError::Invalid(format!(
            "the workspace `{}` of this checkpoint is gone: nothing restored",
            root.display()
        )));
    }
    let (target, forced) = plan(cps, &root, turns, force)?;
    let mut report = RestoreReport {
        workspace: root.clone(),
        forced,
        notes: turns.iter().flat_map(|t| t.notes.iter().cloned()).collect(),
        ..Default::default()
    };
    apply(cps, &root, &target, &mut report)?;
    let mut dirs: Vec<&String> = turns.iter().flat_map(|t| t.created_dirs.iter()).collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
    for dir in dirs {
        if let Ok(path) = inside(&root, dir) {
            // Only when empty: remove_dir refuses otherwise.
            let _ = std::fs::remove_dir(path);
        }
    }
    Ok(report)
}

/// Each file's state before the oldest turn, and the files changed outside the harness that
/// `force` lets through; a conflict without `force` is an error. Touches nothing.
fn plan(
    cps: &Checkpoints,
    root: &Path,
    turns: &[TurnManifest],
    force: bool,
) -> Result<(Targets, Vec<String>), CheckpointError> {
    let root = root.to_path_buf();
    // path -> the state the newest turns expect it to be in now, then its target state
    let mut expected: BTreeMap<String, Option<FileState>> = BTreeMap::new();
    let mut target: BTreeMap<String, Option<FileState>> = BTreeMap::new();
    let mut conflicts: Vec<String> = Vec::new();
    let mut forced: Vec<String> = Vec::new();
    for turn in turns.iter().rev() {
        for change in turn.changes() {
            let path = inside(&root, &change.path)?;
            let now = match expected.get(&change.path) {
                Some(state) => state.clone(),
                None => current_state(&path).map_err(|e| {
                    CheckpointError::Io(format!("cannot read `{}`: {e}", change.path))
                })?,
            };
            let as_left = match &change.after {
                After::Present(s) => now.as_ref() == Some(s),
                After::Missing => now.is_none(),
                After::Unknown => now == change.before,
            };
            let first_look = !expected.contains_key(&change.path);
            if !as_left && first_look {
                if force {
                    forced.push(change.path.clone());
                } else {
                    conflicts.push(format!(
                        "`{}` was changed outside the harness after the turn of message {}",
                        change.path, turn.message_id
                    ));
                }
            }
            if let Some(before) = &change.before {
                if !cps.blobs().exists(&before.hash) {
                    return Err(CheckpointError::Invalid(format!(
                        "the saved copy of `{}` is missing from the checkpoint store (pruned?): nothing restored",
                        change.path
                    )));
                }
            }
            expected.insert(change.path.clone(), change.before.clone());
            target.insert(change.path.clone(), change.before.clone());
        }
    }
    if !conflicts.is_empty() {
        return Err(CheckpointError::Conflict(format!(
            "nothing restored: {}; keep those changes, or run again with --force to overwrite them",
            conflicts.join("; ")
        )));
    }
    Ok((target, forced))
}

/// Put each file of `target` in its state, recording what was done in `report`.
fn apply(
    cps: &Checkpoints,
    root: &Path,
    target: &Targets,
    report: &mut RestoreReport,
) -> Result<(), CheckpointError> {
    for (rel, state) in target {
        let path = inside(root, rel)?;
        let now = current_state(&path).ok().flatten();
        match state {
            Some(s) if now.as_ref() == Some(s) => {}
            Some(s) => {
                write_back(cps, &path, s)
                    .map_err(|e| CheckpointError::Io(format!("cannot restore `{rel}`: {e}")))?;
                report.restored.push(rel.clone());
            }
            None => match std::fs::remove_file(&path) {
                Ok(()) => report.removed.push(rel.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(CheckpointError::Io(format!("cannot remove `{rel}`: {e}"))),
            },
        }
    }
    Ok(())
}

fn write_back(cps: &Checkpoints, path: &Path, state: &FileState) -> std::io::Result<()> {
    let bytes = cps.blobs().read(&state.hash)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::write(tmp.path(), &bytes)?;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(state.mode))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_workspace_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("link")).unwrap();
        assert!(inside(root, "real/a.txt").is_ok());
        for bad in ["../x", "/etc/passwd", "a/../../x", "", "link/passwd"] {
            assert!(inside(root, bad).is_err(), "{bad}");
        }
    }
}
