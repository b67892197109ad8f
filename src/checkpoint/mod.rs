//! Checkpoints: what a turn changed in the workspace, kept outside the user's `.git` so the
//! change can be undone (`harness undo`, `/undo`), rewound with the conversation (`rewind`) or
//! listed (`checkpoints list`).
//!
//! Storage: content-addressed copies of the files touched, not a shadow git repository. A git
//! object store (gix) would add a heavy dependency and a long build for what is needed here:
//! the bytes of a file before a turn changed it, keyed by their hash. So:
//!
//! - `<data dir>/checkpoints/blobs/ab/cdef...`: file contents, named by their SHA-256 (`sha2` is
//!   already a dependency), written once, shared by every turn and conversation (`blobs.rs`);
//! - `<data dir>/checkpoints/turns/<conversation>/<user message>.json`: one manifest per turn
//!   (the turn's key is the conversation id and the id of the user message starting it): per
//!   file its path, whether it existed before, mode, hash and size before, and the state after
//!   the turn, so undo can tell that a file was changed outside the harness since
//!   (`manifest.rs`);
//! - `<data dir>/checkpoints/index/<workspace>.json`: the stat cache of the last `bash`
//!   snapshot of a workspace, so a snapshot hashes only the files that changed (`snapshot.rs`).
//!
//! The data dir is the one holding `harness.db` (`HARNESS_HOME` when set), so checkpoints are
//! per profile like the conversations they belong to. `write` and `edit` record a file before
//! changing it; `bash` snapshots the workspace before the command (respecting .gitignore, caps
//! in `[checkpoints]`) and diffs after it (`turn.rs`). Everything happens on the host, on the
//! workspace directory, so the Docker and host sandboxes are checkpointed alike. Restoring
//! (`restore.rs`) checks every file first and changes nothing when one was changed outside the
//! harness, unless forced. Rewind and fork of the conversation itself are `actions.rs` (with the
//! store), pruning by `keep_days` is `prune.rs` and always says what it removed.

pub mod actions;
pub mod blobs;
pub mod diff;
pub mod manifest;
pub mod prune;
pub mod restore;
pub mod snapshot;
pub mod turn;

pub use manifest::{After, FileChange, FileState, TurnManifest};
pub use turn::{BashGuard, TurnCheckpoint};

use crate::config::CheckpointsConfig;
use crate::message::{ConversationId, MessageId};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// A file operation failed; the message names the file and what was being done.
    #[error("{0}")]
    Io(String),
    /// Nothing to do, or a request that cannot be met (no checkpoint, unknown message).
    #[error("{0}")]
    Invalid(String),
    /// Files changed outside the harness since the turn: nothing was restored.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl CheckpointError {
    pub(crate) fn io(what: impl std::fmt::Display, e: std::io::Error) -> Self {
        Self::Io(format!("{what}: {e}"))
    }
}

/// The checkpoint directory of one profile and the limits of `[checkpoints]`.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    root: PathBuf,
    pub config: CheckpointsConfig,
}

impl Checkpoints {
    pub fn new(root: PathBuf, config: CheckpointsConfig) -> Self {
        Self { root, config }
    }

    /// The checkpoints kept next to the database at `db` (`<dir of db>/checkpoints`).
    pub fn beside_db(db: &Path, config: CheckpointsConfig) -> Self {
        let dir = db.parent().unwrap_or(Path::new("."));
        Self::new(dir.join("checkpoints"), config)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn blobs(&self) -> blobs::Blobs {
        blobs::Blobs::new(self.root.join("blobs"))
    }

    pub(crate) fn turns_dir(&self) -> PathBuf {
        self.root.join("turns")
    }

    pub(crate) fn conversation_dir(&self, conversation: ConversationId) -> PathBuf {
        self.turns_dir().join(conversation.to_string())
    }

    pub(crate) fn manifest_path(
        &self,
        conversation: ConversationId,
        message: MessageId,
    ) -> PathBuf {
        self.conversation_dir(conversation)
            .join(format!("{message}.json"))
    }

    /// The stat cache of `workspace`'s last snapshot.
    pub(crate) fn index_path(&self, workspace: &Path) -> PathBuf {
        let name = blobs::hash_bytes(workspace.as_os_str().as_encoded_bytes());
        self.root
            .join("index")
            .join(format!("{}.json", &name[..16]))
    }
}

/// `a/b/c` for a path below `root` (always `/`-separated), or an error naming it.
pub(crate) fn relative(root: &Path, path: &Path) -> Result<String, CheckpointError> {
    let rel = path.strip_prefix(root).map_err(|_| {
        CheckpointError::Invalid(format!(
            "`{}` is outside the workspace `{}`: not checkpointed",
            path.display(),
            root.display()
        ))
    })?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::config::paths::create_private_dir(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
