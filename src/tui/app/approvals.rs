//! The App's approval state (the dialogs waiting for an answer, when the last key was typed,
//! whether more input is queued) and how keys reach the dialog and its answer reaches the
//! core. A key reaches the dialog only once the dialog takes keys (see
//! [`crate::tui::popups::approval::GUARD`]) and only when no other input is queued behind it
//! (a burst of buffered keys is typing, not an answer); otherwise it falls through to the
//! draft, so typing ahead never answers a tool call.

use super::App;
use crate::protocol::{ApprovalDecision, Op};
use crate::tui::history_cell::ToolState;
use crate::tui::popups::approval::{ApprovalDialog, ApprovalOutcome};
use crossterm::event::KeyEvent;
use std::collections::VecDeque;
use std::time::Instant;

#[derive(Default)]
pub(in crate::tui) struct Approvals {
    /// Dialogs waiting for an answer, the front one shown.
    pub dialogs: VecDeque<ApprovalDialog>,
    /// When the last key was typed (the dialog's guard counts from it).
    pub last_key: Option<Instant>,
    /// More terminal input is already waiting behind the event being handled.
    pub input_queued: bool,
}

impl App {
    /// Give `key` (typed at `now`; the key before it at `last_key`) to the approval dialog if
    /// one is up and takes keys. Returns whether the key was used.
    pub(super) fn approval_key(
        &mut self,
        key: KeyEvent,
        now: Instant,
        last_key: Option<Instant>,
    ) -> bool {
        let approvals = &mut self.approvals;
        let Some(dialog) = approvals.dialogs.front_mut() else {
            return false;
        };
        if !dialog.typing_reason() && (approvals.input_queued || !dialog.takes_key(now, last_key)) {
            self.status
                .say("approval needed: your keys went to the draft");
            return false;
        }
        // Only keys the dialog did not take restart its guard (scrolling, then `y`, is fine).
        approvals.last_key = last_key;
        match dialog.handle_key_in(&self.config.keymap, key) {
            ApprovalOutcome::Pending => {}
            ApprovalOutcome::Decided(decision) => self.answer_approval(decision),
            ApprovalOutcome::Interrupt => self.interrupt(),
        }
        true
    }

    /// When the front dialog starts taking keys, if it is waiting to: the run loop draws a
    /// frame then, so the choices light up without a key press.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let dialog = self.approvals.dialogs.front()?;
        let at = dialog.armed_at(self.approvals.last_key)?;
        (at > self.clock.now()).then_some(at)
    }

    pub(super) fn answer_approval(&mut self, decision: ApprovalDecision) {
        let Some(dialog) = self.approvals.dialogs.pop_front() else {
            return;
        };
        if let Some(t) = self.transcript.tool_mut(&dialog.call_id) {
            t.state = ToolState::Requested;
        }
        self.send_or_report(Op::Approve {
            call_id: dialog.call_id,
            decision,
        });
    }
}
