//! One parent session's view of its children: a semaphore for `[subagents] max_concurrent`,
//! the approval questions children asked through it (relayed id -> the child and its own call
//! id), and the tokens its children used in the running turn.

use crate::message::Usage;
use crate::protocol::{ApprovalDecision, Op};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, mpsc};

/// Cheap to clone: every clone is the same hub.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    slots: Arc<Semaphore>,
    approvals: Mutex<HashMap<String, Pending>>,
    usage: Mutex<Usage>,
}

/// A question a child asked: where the answer goes and under which id the child knows it.
struct Pending {
    child: mpsc::UnboundedSender<Op>,
    call_id: String,
}

impl Hub {
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                slots: Arc::new(Semaphore::new(max_concurrent.max(1))),
                approvals: Mutex::default(),
                usage: Mutex::default(),
            }),
        }
    }

    pub(super) fn slots(&self) -> Arc<Semaphore> {
        self.inner.slots.clone()
    }

    /// A child asked about its call `call_id`; the parent's front ends see it as `relayed`.
    pub(super) fn expect_answer(
        &self,
        relayed: String,
        child: mpsc::UnboundedSender<Op>,
        call_id: String,
    ) {
        lock(&self.inner.approvals).insert(relayed, Pending { child, call_id });
    }

    /// Pass an answer to the child that asked; `false` when `call_id` is not a child's question
    /// (it is then the parent's own).
    pub fn relay_answer(&self, call_id: &str, decision: &ApprovalDecision) -> bool {
        let Some(pending) = lock(&self.inner.approvals).remove(call_id) else {
            return false;
        };
        // A child that has ended no longer needs the answer.
        let _ = pending.child.send(Op::Approve {
            call_id: pending.call_id,
            decision: decision.clone(),
        });
        true
    }

    /// Forget the questions of a child that has ended.
    pub(super) fn forget(&self, prefix: &str) {
        lock(&self.inner.approvals).retain(|id, _| !id.starts_with(prefix));
    }

    pub(super) fn add_usage(&self, usage: &Usage) {
        lock(&self.inner.usage).add(usage);
    }

    /// The children's tokens since the last call (added to the parent's turn when it ends).
    pub fn take_usage(&self) -> Usage {
        std::mem::take(&mut *lock(&self.inner.usage))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_go_to_the_child_that_asked_under_its_own_id() {
        let hub = Hub::new(4);
        let (tx, mut rx) = mpsc::unbounded_channel();
        hub.expect_answer("0190a1b2:call_1".into(), tx, "call_1".into());
        assert!(
            !hub.relay_answer("call_1", &ApprovalDecision::Once),
            "the parent's own call"
        );
        assert!(hub.relay_answer("0190a1b2:call_1", &ApprovalDecision::Once));
        assert_eq!(
            rx.try_recv().ok(),
            Some(Op::Approve {
                call_id: "call_1".into(),
                decision: ApprovalDecision::Once
            })
        );
        assert!(
            !hub.relay_answer("0190a1b2:call_1", &ApprovalDecision::Once),
            "answered once"
        );
    }

    #[test]
    fn children_tokens_are_summed_and_taken_once() {
        let hub = Hub::new(1);
        for n in [10, 5] {
            hub.add_usage(&Usage {
                input_tokens: n,
                output_tokens: 1,
                ..Default::default()
            });
        }
        let taken = hub.take_usage();
        assert_eq!((taken.input_tokens, taken.output_tokens), (15, 2));
        assert_eq!(hub.take_usage(), Usage::default());
    }
}
