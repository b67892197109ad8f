//! Writes the store could not take (the disk or the database is full, an I/O error), kept in
//! memory in their order and retried before the next write, so a reply that streamed while the
//! disk was full is saved once space returns instead of being lost or left as a stub that says
//! `complete`. The session asks [`PendingWrites::is_empty`] before it reports a turn done.

use crate::message::MessageId;
use crate::store::messages::Finish;
use crate::store::{NewMessage, Store, StoreError, StoredMessage};
use std::collections::VecDeque;

/// One store write waiting for space.
#[derive(Debug, Clone)]
pub enum PendingWrite {
    Append(NewMessage),
    Finish(MessageId, Finish),
}

/// What became of a write handed to [`PendingWrites::write`].
#[derive(Debug)]
pub enum WriteOutcome {
    /// Written now (an append returns its stored row).
    Written(Option<Box<StoredMessage>>),
    /// Kept for later; the error says why it could not be written now.
    Kept(StoreError),
    /// Refused for good (not a matter of space: e.g. the row it finishes is gone).
    Failed(StoreError),
}

#[derive(Debug, Default)]
pub struct PendingWrites {
    queue: VecDeque<PendingWrite>,
}

impl PendingWrites {
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Write everything kept, oldest first, stopping at the first failure. Returns how many
    /// were written.
    pub async fn flush(&mut self, store: &Store) -> Result<usize, StoreError> {
        let mut written = 0;
        while let Some(next) = self.queue.front().cloned() {
            match perform(store, next).await {
                Ok(_) => {
                    self.queue.pop_front();
                    written += 1;
                }
                Err(e) if is_lasting(&e) => {
                    // It can never be written: drop it rather than block every later write.
                    tracing::error!("dropping an unwritable store write: {e}");
                    self.queue.pop_front();
                }
                Err(e) => return Err(e),
            }
        }
        Ok(written)
    }

    /// Write `write` after everything kept before it (order matters: a reply after its user
    /// message). When it cannot be written now it is kept, unless `keep` is false (a stub that
    /// a later write replaces anyway).
    pub async fn write(&mut self, store: &Store, write: PendingWrite, keep: bool) -> WriteOutcome {
        if let Err(e) = self.flush(store).await {
            if keep {
                self.queue.push_back(write);
            }
            return WriteOutcome::Kept(e);
        }
        match perform(store, write.clone()).await {
            Ok(stored) => WriteOutcome::Written(stored),
            Err(e) if is_lasting(&e) => WriteOutcome::Failed(e),
            Err(e) => {
                if keep {
                    self.queue.push_back(write);
                }
                WriteOutcome::Kept(e)
            }
        }
    }
}

async fn perform(
    store: &Store,
    write: PendingWrite,
) -> Result<Option<Box<StoredMessage>>, StoreError> {
    match write {
        // A turn's rows wait for its synced finish (or its end) to reach the disk.
        PendingWrite::Append(m) => store
            .append_message_deferred(m)
            .await
            .map(|m| Some(Box::new(m))),
        PendingWrite::Finish(id, finish) => store.finish_message(id, finish).await.map(|()| None),
    }
}

/// Errors that retrying will not cure.
fn is_lasting(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::NotFound(_) | StoreError::Ambiguous { .. } | StoreError::Invalid(_)
    )
}
