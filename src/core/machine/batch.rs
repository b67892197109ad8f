//! Tool calls that run side by side: a reply's consecutive `task` calls (child sessions) start
//! together and their results are reported in call order, whatever order they finish in. Every
//! other tool runs alone, one call after the other (a shell command and an edit must not race).
//! Pure, like the rest of the machine: the session runs the calls, this decides what starts and
//! what is reported when.

use super::{Disposition, Effect, Phase, ToolCall, TurnMachine};
use crate::protocol::Event;

/// Tools whose calls in one reply may run at the same time (each owns its own session and
/// sandbox, so nothing is shared between them).
pub const CONCURRENT_TOOLS: [&str; 1] = ["task"];

pub fn runs_concurrently(name: &str) -> bool {
    CONCURRENT_TOOLS.contains(&name)
}

/// One call of a running batch and its result once it has come back.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Slot {
    call_id: String,
    result: Option<(String, bool)>,
}

impl TurnMachine {
    /// `first` may run now: start it with the calls queued right after it that may run beside
    /// it and need no question (a call that asks, or another tool, waits for the batch).
    pub(super) fn start_batch(&mut self, fx: &mut Vec<Effect>, first: ToolCall) {
        let mut calls = vec![first];
        while let Some(next) = self.queue.front() {
            let ready = runs_concurrently(&next.name)
                && matches!(self.permissions.disposition(next), Disposition::Run);
            if !ready {
                break;
            }
            let Some(next) = self.queue.pop_front() else {
                break;
            };
            fx.push(Effect::Emit(Event::tool_call(&next)));
            calls.push(next);
        }
        if calls.len() == 1 {
            if let Some(call) = calls.pop() {
                self.run(fx, call);
            }
            return;
        }
        self.phase = Phase::RunningTool;
        self.batch = calls
            .iter()
            .map(|c| Slot {
                call_id: c.id.clone(),
                result: None,
            })
            .collect();
        for call in calls {
            fx.push(Effect::RunTool { call });
        }
    }

    /// Whether `call_id` is a call of the running batch still waiting for its result.
    pub(super) fn in_batch(&self, call_id: &str) -> bool {
        self.batch
            .iter()
            .any(|s| s.call_id == call_id && s.result.is_none())
    }

    /// A batch call finished: report every result that is next in call order, and go on once
    /// the whole batch has answered.
    pub(super) fn batch_finished(
        &mut self,
        fx: &mut Vec<Effect>,
        call_id: String,
        content: String,
        is_error: bool,
    ) {
        if let Some(slot) = self.batch.iter_mut().find(|s| s.call_id == call_id) {
            slot.result = Some((content, is_error));
        }
        while self.batch.first().is_some_and(|s| s.result.is_some()) {
            let slot = self.batch.remove(0);
            if let Some((content, is_error)) = slot.result {
                self.result(fx, slot.call_id, content, is_error);
            }
        }
        if self.batch.is_empty() {
            self.next_tool(fx);
        }
    }

    /// The user interrupted: what finished is reported as it is, the rest as interrupted, in
    /// call order.
    pub(super) fn interrupt_batch(&mut self, fx: &mut Vec<Effect>) {
        for slot in std::mem::take(&mut self.batch) {
            let (content, is_error) = slot.result.unwrap_or_else(|| {
                (
                    "Interrupted by the user while running; output discarded.".to_string(),
                    true,
                )
            });
            self.result(fx, slot.call_id, content, is_error);
        }
    }
}
