//! The turns the server runs right now: per conversation, the ops sender of the session that
//! runs it (approvals over HTTP go there) and the approval requests it is waiting on. One turn
//! per conversation at a time; shutdown waits for the map to empty.

use crate::message::ConversationId;
use crate::protocol::Op;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

struct Entry {
    ops: mpsc::UnboundedSender<Op>,
    waiting: HashSet<String>,
    /// The token that started the turn (limits per token).
    token: String,
}

/// The answer to [`TurnsInFlight::claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Taken,
    /// A turn is in flight in the conversation.
    Busy,
    /// The token has its maximum of turns in flight.
    TooMany,
}

#[derive(Default)]
pub struct TurnsInFlight {
    map: Mutex<HashMap<ConversationId, Entry>>,
    changed: Notify,
}

impl TurnsInFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Take the conversation for a turn of `token`, which may have at most `max_per_token`
    /// turns in flight.
    pub fn claim(
        &self,
        id: ConversationId,
        token: &str,
        max_per_token: usize,
        ops: mpsc::UnboundedSender<Op>,
    ) -> Claim {
        let mut map = self.lock();
        if map.contains_key(&id) {
            return Claim::Busy;
        }
        if map.values().filter(|e| e.token == token).count() >= max_per_token {
            return Claim::TooMany;
        }
        map.insert(
            id,
            Entry {
                ops,
                waiting: HashSet::new(),
                token: token.to_string(),
            },
        );
        Claim::Taken
    }

    /// The ops sender of the turn in flight in a conversation.
    pub fn ops(&self, id: ConversationId) -> Option<mpsc::UnboundedSender<Op>> {
        self.lock().get(&id).map(|e| e.ops.clone())
    }

    pub fn release(&self, id: ConversationId) {
        self.lock().remove(&id);
        self.changed.notify_waiters();
    }

    /// Mark an approval request as waiting (or answered).
    pub fn set_waiting(&self, id: ConversationId, call_id: &str, waiting: bool) {
        if let Some(entry) = self.lock().get_mut(&id) {
            if waiting {
                entry.waiting.insert(call_id.to_string());
            } else {
                entry.waiting.remove(call_id);
            }
        }
    }

    /// The ops sender of the turn waiting on `call_id`, which is then no longer waiting.
    pub fn take_waiting(
        &self,
        id: ConversationId,
        call_id: &str,
    ) -> Option<mpsc::UnboundedSender<Op>> {
        let mut map = self.lock();
        let entry = map.get_mut(&id)?;
        entry.waiting.remove(call_id).then(|| entry.ops.clone())
    }

    /// Wait up to `grace` for the turns in flight to end; then interrupt the rest (their
    /// partial replies are stored) and wait a little more for them to be saved.
    pub async fn finish(&self, grace: Duration) {
        if !self.wait_empty(grace).await {
            let senders: Vec<_> = self.lock().values().map(|e| e.ops.clone()).collect();
            tracing::warn!(
                turns = senders.len(),
                "shutdown: interrupting the turns still running"
            );
            for ops in senders {
                let _ = ops.send(Op::Interrupt);
            }
            self.wait_empty(Duration::from_secs(15)).await;
        }
    }

    async fn wait_empty(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let changed = self.changed.notified();
            if self.is_empty() {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.is_empty();
            }
        }
    }
}
