//! Pruning by `[checkpoints] keep_days`: turn checkpoints last changed longer ago are removed,
//! then blobs no remaining checkpoint names and not written within the same period. Never
//! silent: the caller logs and shows [`Pruned::message`]. Runs at most once per process from a
//! session ([`prune_once`]), or when a checkpoint command runs.

use super::{CheckpointError, Checkpoints};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    pub turns: usize,
    pub blobs: usize,
    pub bytes: u64,
    pub keep_days: u32,
}

impl Pruned {
    /// The line to show, `None` when nothing was pruned.
    pub fn message(&self) -> Option<String> {
        (self.turns + self.blobs > 0).then(|| {
            format!(
                "checkpoints: pruned {} turn checkpoint(s) and {} saved file(s) ({} KiB) older than {} days ([checkpoints] keep_days)",
                self.turns,
                self.blobs,
                self.bytes.div_ceil(1024),
                self.keep_days
            )
        })
    }
}

/// Remove what is older than `keep_days` (0: keep everything).
pub fn prune(cps: &Checkpoints) -> Result<Pruned, CheckpointError> {
    let keep_days = cps.config.keep_days;
    let mut pruned = Pruned {
        keep_days,
        ..Default::default()
    };
    if keep_days == 0 {
        return Ok(pruned);
    }
    let age = Duration::from_secs(u64::from(keep_days) * 86_400);
    let cutoff = chrono::Utc::now() - chrono::Duration::seconds(age.as_secs() as i64);
    let mut referenced: HashSet<String> = HashSet::new();
    for conversation in cps.conversations()? {
        for turn in cps.turns(conversation)? {
            if turn.updated_at < cutoff {
                let path = cps.manifest_path(conversation, turn.message_id);
                std::fs::remove_file(&path).map_err(|e| {
                    CheckpointError::io(format!("cannot prune {}", path.display()), e)
                })?;
                pruned.turns += 1;
            } else {
                referenced.extend(
                    turn.files
                        .iter()
                        .filter_map(|f| f.before.as_ref().map(|b| b.hash.clone())),
                );
            }
        }
        let _ = std::fs::remove_dir(cps.conversation_dir(conversation)); // when empty
    }
    let old = SystemTime::now()
        .checked_sub(age)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let blobs = cps.blobs();
    let all = blobs
        .all()
        .map_err(|e| CheckpointError::io("cannot list the checkpoint blobs", e))?;
    for (hash, path) in all {
        if referenced.contains(&hash) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.modified().is_ok_and(|m| m < old) && std::fs::remove_file(&path).is_ok() {
            pruned.blobs += 1;
            pruned.bytes += meta.len();
        }
    }
    if let Some(message) = pruned.message() {
        tracing::info!("{message}");
    }
    Ok(pruned)
}

static PRUNED: AtomicBool = AtomicBool::new(false);

/// [`prune`] the first time a process asks; the notice to show, if anything was pruned.
pub fn prune_once(cps: &Checkpoints) -> Option<String> {
    if PRUNED.swap(true, Ordering::SeqCst) {
        return None;
    }
    match prune(cps) {
        Ok(p) => p.message(),
        Err(e) => {
            tracing::warn!("checkpoint pruning failed: {e}");
            Some(format!("checkpoints: pruning failed: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{After, FileChange, FileState, TurnManifest};
    use crate::message::{ConversationId, MessageId};

    #[test]
    fn old_checkpoints_and_their_unreferenced_blobs_are_pruned_and_said() {
        let dir = tempfile::tempdir().unwrap();
        let cps = Checkpoints::new(dir.path().join("cp"), Default::default());
        let file = dir.path().join("f.txt");
        let c = ConversationId::new();
        let mut kept_hashes = Vec::new();
        for (content, age_days) in [("old content", 40), ("recent content", 1)] {
            std::fs::write(&file, content).unwrap();
            let (hash, size) = cps.blobs().put_file(&file).unwrap();
            let blob = std::fs::File::options()
                .write(true)
                .open(cps.blobs().path(&hash))
                .unwrap();
            blob.set_modified(SystemTime::now() - Duration::from_secs(age_days * 86_400))
                .unwrap();
            let mut m = TurnManifest::new(c, MessageId::new(), dir.path().into());
            m.updated_at = chrono::Utc::now() - chrono::Duration::days(age_days as i64);
            m.files.push(FileChange {
                path: "f.txt".into(),
                tool: "write".into(),
                before: Some(FileState {
                    hash: hash.clone(),
                    size,
                    mode: 0o644,
                }),
                after: After::Missing,
            });
            cps.save(&m).unwrap();
            kept_hashes.push(hash);
        }
        let pruned = prune(&cps).unwrap();
        assert_eq!((pruned.turns, pruned.blobs, pruned.bytes), (1, 1, 11));
        assert!(
            pruned
                .message()
                .unwrap()
                .contains("pruned 1 turn checkpoint(s)")
        );
        assert_eq!(cps.turns(c).unwrap().len(), 1);
        assert!(!cps.blobs().exists(&kept_hashes[0]));
        assert!(cps.blobs().exists(&kept_hashes[1]), "still referenced");
        assert_eq!(prune(&cps).unwrap().message(), None, "nothing more");
    }
}
