//! Who is attached to which session: the messages a session's inbox takes (a front end's `Op`,
//! attaching, leaving), the list of front ends that hear its events, and the process-wide map
//! from a conversation to the session that has it open, so a second front end on a
//! conversation joins that session instead of starting turns beside it.

use crate::message::ConversationId;
use crate::protocol::{Event, Op};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// One front end's attachment to a session.
pub type SubscriberId = u64;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id for a subscriber or a session.
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// What a session's inbox takes.
pub(crate) enum Inbound {
    Op {
        from: SubscriberId,
        op: Op,
    },
    /// Another front end joins: it is told where the session stands, then hears every event.
    Attach {
        id: SubscriberId,
        events: mpsc::UnboundedSender<Event>,
    },
    /// `/new` or `/resume` from one front end: the session switches itself when that front end
    /// is its only one and the target is not open elsewhere; otherwise the front end leaves.
    Switch {
        from: SubscriberId,
        op: Op,
        answer: oneshot::Sender<SwitchAnswer>,
    },
    /// An event from elsewhere for every front end (a subagent's start, progress, end and
    /// approval questions).
    Relay(Event),
    /// A front end is gone; `answer` says whether the session ends with it.
    Detach {
        id: SubscriberId,
        answer: oneshot::Sender<bool>,
    },
}

/// How a `Switch` went.
pub(crate) enum SwitchAnswer {
    /// Done in place (or refused, with the reason sent to the asker).
    Stayed,
    /// The front end left this session; it opens the target with these choices.
    Left(crate::core::SessionOptions),
}

/// The inbox of a running session.
#[derive(Clone)]
pub(crate) struct SessionRef {
    pub key: u64,
    pub inbox: mpsc::UnboundedSender<Inbound>,
}

/// The front ends hearing one session.
#[derive(Default)]
pub(crate) struct Subscribers {
    list: Vec<(SubscriberId, mpsc::UnboundedSender<Event>)>,
}

impl Subscribers {
    pub fn add(&mut self, id: SubscriberId, events: mpsc::UnboundedSender<Event>) {
        self.list.push((id, events));
    }

    pub fn remove(&mut self, id: SubscriberId) {
        self.list.retain(|(s, _)| *s != id);
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every front end hears it (a front end that went away is skipped).
    pub fn broadcast(&self, event: Event) {
        if let Some(((_, last), rest)) = self.list.split_last() {
            for (_, tx) in rest {
                let _ = tx.send(event.clone());
            }
            let _ = last.send(event);
        }
    }

    /// The channels of `only` (or of every front end): for an answer a spawned task sends
    /// later.
    pub fn senders(&self, only: Option<SubscriberId>) -> Vec<mpsc::UnboundedSender<Event>> {
        self.list
            .iter()
            .filter(|(s, _)| only.is_none_or(|id| *s == id))
            .map(|(_, tx)| tx.clone())
            .collect()
    }

    /// Only `id` hears it.
    pub fn send_to(&self, id: SubscriberId, event: Event) {
        if let Some((_, tx)) = self.list.iter().find(|(s, _)| *s == id) {
            let _ = tx.send(event);
        }
    }
}

/// Conversation -> the session that has it open, for the whole process.
#[derive(Default)]
pub struct LiveSessions {
    map: Mutex<HashMap<ConversationId, SessionRef>>,
}

impl LiveSessions {
    /// The running session that has `id` open.
    pub(crate) fn get(&self, id: ConversationId) -> Option<SessionRef> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&id).filter(|s| !s.inbox.is_closed()).cloned()
    }

    /// Mark `id` as open in `session`; fails with the holder when another running session has
    /// it.
    pub(crate) fn claim(&self, id: ConversationId, session: &SessionRef) -> Result<(), SessionRef> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&id) {
            Some(other) if other.key != session.key && !other.inbox.is_closed() => {
                Err(other.clone())
            }
            _ => {
                map.insert(id, session.clone());
                Ok(())
            }
        }
    }

    /// `session` no longer has `id` open.
    pub(crate) fn release(&self, id: ConversationId, key: u64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(&id).is_some_and(|s| s.key == key) {
            map.remove(&id);
        }
    }

    /// How many conversations are open (for tests and `serve`'s health).
    pub fn len(&self) -> usize {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.values().filter(|s| !s.inbox.is_closed()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
