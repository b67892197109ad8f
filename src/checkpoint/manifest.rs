//! One turn's checkpoint as stored: `turns/<conversation>/<user message>.json`. Each file the
//! turn touched appears once, with its state before the turn's first change to it and after
//! the turn's last; notes say what could not be captured (a workspace too large to snapshot).

use super::{CheckpointError, Checkpoints, write_atomic};
use crate::message::{ConversationId, MessageId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub const VERSION: u32 = 1;

/// A regular file's content (by hash), size and permission bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub hash: String,
    pub size: u64,
    pub mode: u32,
}

/// What a file was after the turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum After {
    /// Not recorded (the process stopped between the change and its record).
    Unknown,
    /// The file did not exist (deleted, or created and removed again).
    Missing,
    Present(FileState),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Relative to the workspace, `/`-separated.
    pub path: String,
    /// The tool that first changed it: write, edit or bash.
    pub tool: String,
    /// `None`: the file did not exist before the turn.
    pub before: Option<FileState>,
    pub after: After,
}

impl FileChange {
    /// Whether the turn left the file different from how it found it.
    pub fn changed(&self) -> bool {
        match (&self.before, &self.after) {
            (None, After::Missing) => false,
            (Some(b), After::Present(a)) => b != a,
            _ => true,
        }
    }

    /// `created`, `deleted` or `modified`.
    pub fn kind(&self) -> &'static str {
        match (&self.before, &self.after) {
            (None, _) => "created",
            (Some(_), After::Missing) => "deleted",
            _ => "modified",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnManifest {
    pub version: u32,
    pub conversation_id: ConversationId,
    /// The user message that started the turn.
    pub message_id: MessageId,
    /// The workspace the paths are relative to.
    pub workspace: PathBuf,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub files: Vec<FileChange>,
    /// Directories the turn created (removed again by undo when empty).
    #[serde(default)]
    pub created_dirs: Vec<String>,
    /// What the checkpoint could not capture.
    #[serde(default)]
    pub notes: Vec<String>,
    /// When undo or rewind restored the workspace to before this turn.
    #[serde(default)]
    pub undone_at: Option<DateTime<Utc>>,
}

impl TurnManifest {
    pub fn new(conversation: ConversationId, message: MessageId, workspace: PathBuf) -> Self {
        let now = Utc::now();
        Self {
            version: VERSION,
            conversation_id: conversation,
            message_id: message,
            workspace,
            created_at: now,
            updated_at: now,
            files: Vec::new(),
            created_dirs: Vec::new(),
            notes: Vec::new(),
            undone_at: None,
        }
    }

    /// The files the turn actually changed.
    pub fn changes(&self) -> impl Iterator<Item = &FileChange> {
        self.files.iter().filter(|f| f.changed())
    }

    pub fn has_changes(&self) -> bool {
        self.changes().next().is_some()
    }

    pub fn file_mut(&mut self, path: &str) -> Option<&mut FileChange> {
        self.files.iter_mut().find(|f| f.path == path)
    }
}

impl Checkpoints {
    pub fn save(&self, manifest: &TurnManifest) -> Result<(), CheckpointError> {
        let path = self.manifest_path(manifest.conversation_id, manifest.message_id);
        let json = serde_json::to_vec_pretty(manifest)
            .map_err(|e| CheckpointError::Invalid(format!("cannot encode a checkpoint: {e}")))?;
        write_atomic(&path, &json).map_err(|e| {
            CheckpointError::io(format!("cannot save checkpoint {}", path.display()), e)
        })
    }

    /// Every turn checkpoint of `conversation`, oldest first. An unreadable manifest is
    /// skipped with a warning in the log.
    pub fn turns(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<TurnManifest>, CheckpointError> {
        let dir = self.conversation_dir(conversation);
        let entries = match std::fs::read_dir(&dir) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(CheckpointError::io(
                    format!("cannot read {}", dir.display()),
                    e,
                ));
            }
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<TurnManifest>(&b).map_err(|e| e.to_string()))
            {
                Ok(m) => out.push(m),
                Err(e) => tracing::warn!("checkpoint {} skipped: {e}", path.display()),
            }
        }
        out.sort_by(|a, b| {
            (a.created_at, a.message_id.to_string()).cmp(&(b.created_at, b.message_id.to_string()))
        });
        Ok(out)
    }

    /// Every conversation with a checkpoint directory.
    pub fn conversations(&self) -> Result<Vec<ConversationId>, CheckpointError> {
        let dir = self.turns_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(CheckpointError::io(
                    format!("cannot read {}", dir.display()),
                    e,
                ));
            }
        };
        Ok(entries
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(hash: &str) -> FileState {
        FileState {
            hash: hash.into(),
            size: 1,
            mode: 0o644,
        }
    }

    #[test]
    fn a_change_knows_whether_it_changed_anything() {
        let change = |before: Option<FileState>, after: After| FileChange {
            path: "a".into(),
            tool: "bash".into(),
            before,
            after,
        };
        assert!(!change(None, After::Missing).changed());
        assert!(!change(Some(state("x")), After::Present(state("x"))).changed());
        assert!(change(Some(state("x")), After::Present(state("y"))).changed());
        assert!(change(Some(state("x")), After::Missing).changed());
        assert_eq!(change(Some(state("x")), After::Missing).kind(), "deleted");
        assert_eq!(change(None, After::Present(state("y"))).kind(), "created");
        assert!(change(None, After::Unknown).changed());
    }

    #[test]
    fn manifests_round_trip_and_list_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let cps = Checkpoints::new(dir.path().to_path_buf(), Default::default());
        let c = ConversationId::new();
        let mut first = TurnManifest::new(c, MessageId::new(), "/w".into());
        first.files.push(FileChange {
            path: "a.txt".into(),
            tool: "write".into(),
            before: None,
            after: After::Present(state("h")),
        });
        let mut second = TurnManifest::new(c, MessageId::new(), "/w".into());
        second.created_at = first.created_at + chrono::Duration::seconds(1);
        cps.save(&second).unwrap();
        cps.save(&first).unwrap();
        assert_eq!(cps.turns(c).unwrap(), vec![first, second]);
        assert_eq!(cps.conversations().unwrap(), vec![c]);
    }
}
