//! The checkpoint of the running turn, handed to the tools through `ToolContext`. `write` and
//! `edit` call [`TurnCheckpoint::before_change`] before replacing a file (the write is refused
//! when its old content cannot be kept) and [`TurnCheckpoint::after_change`] after; `bash`
//! holds a [`BashGuard`] around the command. The manifest is saved after every change, so a
//! crash mid-turn loses nothing already recorded.

use super::manifest::{After, FileChange, FileState, TurnManifest};
use super::snapshot::{self, Changed, Snapshot};
use super::{CheckpointError, Checkpoints, relative};
use crate::message::{ConversationId, MessageId};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone)]
pub struct TurnCheckpoint {
    inner: Arc<Inner>,
}

struct Inner {
    cps: Checkpoints,
    manifest: Mutex<TurnManifest>,
}

impl std::fmt::Debug for TurnCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnCheckpoint").finish_non_exhaustive()
    }
}

/// The state of the file at `path` now (`None`: it does not exist).
pub(crate) fn current_state(path: &Path) -> std::io::Result<Option<FileState>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => {
            let (hash, size) = super::blobs::hash_file(path)?;
            Ok(Some(FileState {
                hash,
                size,
                mode: meta.mode() & 0o7777,
            }))
        }
        Ok(_) => Err(std::io::Error::other("not a regular file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl TurnCheckpoint {
    /// The checkpoint of the turn started by user message `message`, in `workspace`. Nothing is
    /// written until the turn changes a file.
    pub fn begin(
        cps: Checkpoints,
        conversation: ConversationId,
        message: MessageId,
        workspace: &Path,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                cps,
                manifest: Mutex::new(TurnManifest::new(
                    conversation,
                    message,
                    workspace.to_path_buf(),
                )),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, TurnManifest> {
        self.inner
            .manifest
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of the manifest as it is now.
    pub fn manifest(&self) -> TurnManifest {
        self.lock().clone()
    }

    fn save(&self, manifest: &mut TurnManifest) -> Result<(), CheckpointError> {
        manifest.updated_at = chrono::Utc::now();
        self.inner.cps.save(manifest)
    }

    /// Keep the file at `path` (below `root`) as it is before `tool` changes it, unless this
    /// turn already did.
    pub fn before_change(
        &self,
        root: &Path,
        path: &Path,
        tool: &str,
    ) -> Result<(), CheckpointError> {
        let rel = relative(root, path)?;
        let mut manifest = self.lock();
        if manifest.file_mut(&rel).is_some() {
            return Ok(());
        }
        let before = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => {
                let (hash, size) = self.inner.cps.blobs().put_file(path).map_err(|e| {
                    CheckpointError::Io(format!(
                        "cannot keep a copy of `{rel}` before changing it: {e}"
                    ))
                })?;
                Some(FileState {
                    hash,
                    size,
                    mode: meta.mode() & 0o7777,
                })
            }
            Ok(_) => {
                return Err(CheckpointError::Invalid(format!(
                    "`{rel}` is not a regular file: it cannot be checkpointed"
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                note_new_dirs(root, path, &mut manifest);
                None
            }
            Err(e) => return Err(CheckpointError::Io(format!("cannot stat `{rel}`: {e}"))),
        };
        manifest.files.push(FileChange {
            path: rel,
            tool: tool.to_string(),
            before,
            after: After::Unknown,
        });
        self.save(&mut manifest)
    }

    /// Record what the file at `path` is after the change.
    pub fn after_change(&self, root: &Path, path: &Path) -> Result<(), CheckpointError> {
        let rel = relative(root, path)?;
        let state = current_state(path).map_err(|e| {
            CheckpointError::Io(format!("cannot read `{rel}` after the change: {e}"))
        })?;
        let mut manifest = self.lock();
        if let Some(change) = manifest.file_mut(&rel) {
            change.after = match state {
                Some(s) => After::Present(s),
                None => After::Missing,
            };
        }
        self.save(&mut manifest)
    }

    /// Add a note (what could not be captured), once.
    pub fn note(&self, text: &str) {
        let mut manifest = self.lock();
        if !manifest.notes.iter().any(|n| n == text) {
            manifest.notes.push(text.to_string());
        }
        if let Err(e) = self.save(&mut manifest) {
            tracing::warn!("checkpoint note not saved: {e}");
        }
    }

    /// Snapshot the workspace before a `bash` command (blocking: call it off the async
    /// runtime). A workspace too large to snapshot, or a snapshot that fails, is noted in the
    /// turn's checkpoint and the command still runs.
    pub fn before_bash(&self, root: &Path) -> BashGuard {
        let snapshot = match snapshot::capture(&self.inner.cps, root) {
            Ok(Ok(s)) => Some(s),
            Ok(Err(too_large)) => {
                self.note(&format!("bash changes not captured: {}", too_large.0));
                None
            }
            Err(e) => {
                self.note(&format!("bash changes not captured: {e}"));
                None
            }
        };
        BashGuard {
            turn: Some(self.clone()),
            root: root.to_path_buf(),
            snapshot,
        }
    }

    fn record_bash(&self, root: &Path, before: &Snapshot) {
        let (changed, new_dirs) = match snapshot::diff(&self.inner.cps, root, before) {
            Ok(Ok(found)) => found,
            Ok(Err(too_large)) => {
                return self.note(&format!("bash changes not captured: {}", too_large.0));
            }
            Err(e) => return self.note(&format!("bash changes not captured: {e}")),
        };
        let mut manifest = self.lock();
        for Changed {
            path,
            before,
            after,
        } in changed
        {
            let too_big = before.as_ref().is_some_and(|b| b.hash.is_none())
                || after.as_ref().is_some_and(|a| a.hash.is_none());
            if too_big {
                manifest.notes.push(format!(
                    "bash changed `{path}` but it is over the size cap ([checkpoints] max_file_bytes): not captured"
                ));
                continue;
            }
            let after = match after.and_then(|a| a.state()) {
                Some(s) => After::Present(s),
                None => After::Missing,
            };
            match manifest.file_mut(&path) {
                Some(existing) => existing.after = after,
                None => manifest.files.push(FileChange {
                    path,
                    tool: "bash".to_string(),
                    before: before.and_then(|b| b.state()),
                    after,
                }),
            }
        }
        for dir in new_dirs {
            if !manifest.created_dirs.contains(&dir) {
                manifest.created_dirs.push(dir);
            }
        }
        let worth_saving = !manifest.files.is_empty() || !manifest.notes.is_empty();
        if worth_saving {
            if let Err(e) = self.save(&mut manifest) {
                tracing::warn!("checkpoint of a bash call not saved: {e}");
            }
        }
    }
}

/// The directories between `root` and `path` that do not exist yet (a write creates them).
fn note_new_dirs(root: &Path, path: &Path, manifest: &mut TurnManifest) {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        dir = d.parent();
    }
    for d in missing.into_iter().rev() {
        if let Ok(rel) = relative(root, &d) {
            if !manifest.created_dirs.contains(&rel) {
                manifest.created_dirs.push(rel);
            }
        }
    }
}

/// Held around a `bash` command: [`BashGuard::finish`] diffs the workspace against the
/// snapshot and records what the command changed. Dropped without `finish` (the turn was
/// interrupted and the tool's task aborted), it does the same on a thread of its own, so an
/// interrupted command's changes are still recorded.
pub struct BashGuard {
    turn: Option<TurnCheckpoint>,
    root: PathBuf,
    snapshot: Option<Snapshot>,
}

impl BashGuard {
    /// Record what the command changed (blocking).
    pub fn finish(mut self) {
        if let (Some(turn), Some(snapshot)) = (self.turn.take(), self.snapshot.take()) {
            turn.record_bash(&self.root, &snapshot);
        }
    }
}

impl Drop for BashGuard {
    fn drop(&mut self) {
        if let (Some(turn), Some(snapshot)) = (self.turn.take(), self.snapshot.take()) {
            let root = std::mem::take(&mut self.root);
            let spawned = std::thread::Builder::new()
                .name("harness-checkpoint".into())
                .spawn(move || turn.record_bash(&root, &snapshot));
            if let Err(e) = spawned {
                tracing::warn!("an interrupted command's changes were not recorded: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_bash_call_still_records_its_changes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        let cps = Checkpoints::new(dir.path().join("cp"), Default::default());
        let turn = TurnCheckpoint::begin(cps, ConversationId::new(), MessageId::new(), &root);
        let guard = turn.before_bash(&root);
        std::fs::write(root.join("a.txt"), "changed").unwrap();
        drop(guard); // the tool's task aborted: no finish()
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !turn.manifest().has_changes() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let manifest = turn.manifest();
        let change = manifest.changes().next().expect("recorded");
        assert_eq!((change.path.as_str(), change.kind()), ("a.txt", "modified"));
    }
}
