//! Checkpoints in the session (a child module of `session`): when a turn's user message is
//! stored, the turn's [`TurnCheckpoint`] is created (keyed by conversation and message) and
//! handed to the tools through `ToolContext`; `Undo`, `Rewind` and `Fork` run the shared
//! actions of `checkpoint::actions`. Everything else about checkpoints lives in
//! `src/checkpoint`.

use super::*;
use crate::checkpoint::{Checkpoints, TurnCheckpoint, actions, prune};

impl Session {
    /// The checkpoint store beside the database; `None` for an in-memory store (tests).
    fn checkpoints(&self) -> Option<Checkpoints> {
        let db = self.deps.store.path();
        (db.as_os_str() != ":memory:")
            .then(|| Checkpoints::beside_db(db, self.deps.config.checkpoints.clone()))
    }

    /// Start the checkpoint of the turn begun by user message `message` (a fresh key when the
    /// message could not be stored yet). Prunes old checkpoints once per process, saying so.
    pub(super) async fn begin_checkpoint(
        &mut self,
        conversation: ConversationId,
        message: Option<MessageId>,
    ) {
        self.turn.checkpoint = None;
        let Some(cps) = self.checkpoints().filter(|c| c.config.enabled) else {
            return;
        };
        let pruning = cps.clone();
        if let Ok(Some(notice)) =
            tokio::task::spawn_blocking(move || prune::prune_once(&pruning)).await
        {
            self.emit(Event::Notice { message: notice });
        }
        self.turn.checkpoint = Some(TurnCheckpoint::begin(
            cps,
            conversation,
            message.unwrap_or_default(),
            &self.deps.workspace,
        ));
    }

    pub(super) async fn checkpoint_op(&mut self, op: Op) {
        if self.busy() {
            return;
        }
        let (Some(id), Some(cps)) = (self.conversation, self.checkpoints()) else {
            return self.error("nothing to undo, rewind or fork: send a message first".into());
        };
        match op {
            Op::Undo { force } => {
                match tokio::task::spawn_blocking(move || actions::undo(&cps, id, force)).await {
                    Ok(Ok(done)) => self.emit(Event::WorkspaceRestored {
                        conversation_id: id,
                        message_id: done.message_id,
                        rewound_messages: 0,
                        restored: done.report.restored,
                        removed: done.report.removed,
                        notes: done.report.notes,
                    }),
                    Ok(Err(e)) => self.error(e.to_string()),
                    Err(e) => self.error(format!("undo failed unexpectedly: {e}")),
                }
            }
            Op::Rewind { to, force } => {
                let to = match to {
                    Some(to) => to,
                    None => match actions::last_user_message(&self.deps.store, id).await {
                        Ok(to) => to,
                        Err(e) => return self.error(e.to_string()),
                    },
                };
                match actions::rewind(&self.deps.store, &cps, id, to, force).await {
                    Ok(done) => {
                        let summary = done.summary();
                        self.emit(Event::WorkspaceRestored {
                            conversation_id: id,
                            message_id: to,
                            rewound_messages: done.messages,
                            restored: done.report.restored,
                            removed: done.report.removed,
                            notes: done.report.notes,
                        });
                        self.reopen(id).await;
                        self.emit(Event::Notice { message: summary });
                    }
                    Err(e) => self.error(e.to_string()),
                }
            }
            Op::Fork { at } => match actions::fork(&self.deps.store, id, at).await {
                Ok(fork) => {
                    self.emit(Event::Forked {
                        from: id,
                        conversation_id: fork,
                    });
                    if let Some(sandbox) = self.sandbox.take() {
                        sandbox.shutdown().await;
                    }
                    self.reopen(fork).await;
                }
                Err(e) => self.error(e.to_string()),
            },
            _ => {}
        }
    }

    /// Load conversation `id` afresh (after a rewind or into a fork) and announce it.
    async fn reopen(&mut self, id: ConversationId) {
        self.seen = Arc::default();
        let options = SessionOptions {
            start: SessionStart::New,
            model: None,
            agent: None,
            approval: self.approval_flag,
            headless: self.permissions.headless,
        };
        match self.load(id, &options).await {
            Ok(()) => self.announce(),
            Err(e) => self.error(e.to_string()),
        }
    }
}
