//! The user's commands over checkpoints, shared by the CLI and the session (`/undo`,
//! `/rewind`, `/fork`): undo the last turn's changes, rewind a conversation and its workspace
//! to before a message, fork a conversation, and list a conversation's turn checkpoints.

use super::restore::{RestoreReport, restore};
use super::{CheckpointError, Checkpoints, TurnManifest};
use crate::message::{ConversationId, MessageId, Role};
use crate::store::Store;
use serde::Serialize;

/// What `undo` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undone {
    pub conversation_id: ConversationId,
    /// The user message whose turn was undone.
    pub message_id: MessageId,
    #[serde(flatten)]
    pub report: RestoreReport,
}

/// Restore the files the last turn of `conversation` changed (the newest turn with changes
/// not undone yet; undo again to go further back). Marks the turn undone.
pub fn undo(
    cps: &Checkpoints,
    conversation: ConversationId,
    force: bool,
) -> Result<Undone, CheckpointError> {
    let turns = cps.turns(conversation)?;
    let Some(mut last) = turns
        .into_iter()
        .rev()
        .find(|t| t.undone_at.is_none() && t.has_changes())
    else {
        return Err(CheckpointError::Invalid(format!(
            "nothing to undo: no turn of conversation {conversation} changed workspace files (or every change is undone already); see `harness checkpoints list {conversation}`"
        )));
    };
    let report = restore(cps, std::slice::from_ref(&last), force)?;
    last.undone_at = Some(chrono::Utc::now());
    cps.save(&last)?;
    Ok(Undone {
        conversation_id: conversation,
        message_id: last.message_id,
        report,
    })
}

/// What `rewind` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rewound {
    pub conversation_id: ConversationId,
    pub to: MessageId,
    /// Messages taken off the active branch (kept in the store).
    pub messages: usize,
    /// Turns whose workspace changes were undone.
    pub turns: usize,
    #[serde(flatten)]
    pub report: RestoreReport,
}

/// Conversation and workspace back to just before user message `to`: every turn from it on is
/// undone (all files checked first; nothing changes on a conflict unless `force`), then the
/// messages from `to` on leave the active branch (kept, not deleted).
pub async fn rewind(
    store: &Store,
    cps: &Checkpoints,
    conversation: ConversationId,
    to: MessageId,
    force: bool,
) -> Result<Rewound, CheckpointError> {
    let messages = store.messages(conversation).await?;
    let Some(target) = messages.iter().find(|m| m.id == to) else {
        return Err(CheckpointError::Invalid(format!(
            "message {to} is not in the active history of conversation {conversation}: see `harness checkpoints list {conversation}`"
        )));
    };
    if target.role != Role::User {
        return Err(CheckpointError::Invalid(format!(
            "message {to} is a {} message: rewind goes back to before a user message (one that starts a turn); see `harness checkpoints list {conversation}`",
            target.role.as_str()
        )));
    }
    let later: std::collections::HashSet<MessageId> = messages
        .iter()
        .filter(|m| m.ordinal >= target.ordinal && m.role == Role::User)
        .map(|m| m.id)
        .collect();
    let mut turns: Vec<TurnManifest> = cps
        .turns(conversation)?
        .into_iter()
        .filter(|t| later.contains(&t.message_id) && t.undone_at.is_none())
        .collect();
    let with_changes = turns.iter().filter(|t| t.has_changes()).count();
    let report = if with_changes > 0 {
        let changed: Vec<TurnManifest> =
            turns.iter().filter(|t| t.has_changes()).cloned().collect();
        restore(cps, &changed, force)?
    } else {
        RestoreReport::default()
    };
    let now = chrono::Utc::now();
    for turn in &mut turns {
        turn.undone_at = Some(now);
        cps.save(turn)?;
    }
    let rewound = store.rewind(conversation, to).await?;
    Ok(Rewound {
        conversation_id: conversation,
        to,
        messages: rewound.len(),
        turns: with_changes,
        report,
    })
}

impl Rewound {
    /// One line for the user.
    pub fn summary(&self) -> String {
        format!(
            "rewound to before message {}: {} message(s) kept aside as a branch; {} file(s) restored, {} removed",
            self.to,
            self.messages,
            self.report.restored.len(),
            self.report.removed.len()
        )
    }
}

/// The last user message of the active history of `conversation`.
pub async fn last_user_message(
    store: &Store,
    conversation: ConversationId,
) -> Result<MessageId, CheckpointError> {
    store
        .messages(conversation)
        .await?
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.id)
        .ok_or_else(|| CheckpointError::Invalid("nothing to rewind: no message yet".into()))
}

/// A new conversation with copies of `conversation`'s active history before message `at` (all
/// of it when `None`). The workspace is not touched.
pub async fn fork(
    store: &Store,
    conversation: ConversationId,
    at: Option<MessageId>,
) -> Result<ConversationId, CheckpointError> {
    Ok(store.fork(conversation, at).await?)
}

/// One turn in `checkpoints list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TurnSummary {
    pub message_id: MessageId,
    pub time: chrono::DateTime<chrono::Utc>,
    pub workspace: std::path::PathBuf,
    pub undone: bool,
    pub files: Vec<FileSummary>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    pub path: String,
    /// created, deleted or modified
    pub change: String,
    pub tool: String,
    /// Bytes before the turn (`None`: it did not exist).
    pub size_before: Option<u64>,
    /// Bytes after the turn (`None`: gone, or not recorded).
    pub size_after: Option<u64>,
}

/// The turn checkpoints of `conversation` with changes or notes, oldest first.
pub fn list(
    cps: &Checkpoints,
    conversation: ConversationId,
) -> Result<Vec<TurnSummary>, CheckpointError> {
    Ok(cps
        .turns(conversation)?
        .into_iter()
        .filter(|t| t.has_changes() || !t.notes.is_empty())
        .map(|t| TurnSummary {
            message_id: t.message_id,
            time: t.created_at,
            undone: t.undone_at.is_some(),
            files: t
                .changes()
                .map(|f| FileSummary {
                    path: f.path.clone(),
                    change: f.kind().to_string(),
                    tool: f.tool.clone(),
                    size_before: f.before.as_ref().map(|b| b.size),
                    size_after: match &f.after {
                        super::After::Present(s) => Some(s.size),
                        _ => None,
                    },
                })
                .collect(),
            notes: t.notes.clone(),
            workspace: t.workspace,
        })
        .collect())
}
