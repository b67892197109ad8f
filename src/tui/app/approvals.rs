//! How the App routes keys to the approval dialog and sends its answer. A key reaches the
//! dialog only once the dialog takes keys (see [`crate::tui::popups::approval::GUARD`]) and
//! only when no other input is queued behind it (a burst of buffered keys is typing, not an
//! answer); otherwise it falls through to the draft, so typing ahead never answers a tool call.

use super::App;
use crate::protocol::{ApprovalDecision, Op};
use crate::tui::history_cell::{HistoryCell, ToolState};
use crate::tui::popups::approval::ApprovalOutcome;
use crossterm::event::KeyEvent;
use std::time::Instant;

impl App {
    /// Give `key` (typed at `now`; the key before it at `last_key`) to the approval dialog if
    /// one is up and takes keys. Returns whether the key was used.
    pub(super) fn approval_key(
        &mut self,
        key: KeyEvent,
        now: Instant,
        last_key: Option<Instant>,
    ) -> bool {
        let Some(dialog) = self.approvals.front_mut() else {
            return false;
        };
        if !dialog.typing_reason() && (self.input_queued || !dialog.takes_key(now, last_key)) {
            self.hint = Some("approval needed: your keys went to the draft".into());
            return false;
        }
        // Only keys the dialog did not take restart its guard (scrolling, then `y`, is fine).
        self.last_key = last_key;
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
        let dialog = self.approvals.front()?;
        let at = dialog.armed_at(self.last_key)?;
        (at > self.clock.now()).then_some(at)
    }

    pub(super) fn answer_approval(&mut self, decision: ApprovalDecision) {
        let Some(dialog) = self.approvals.pop_front() else {
            return;
        };
        if let Some(i) = self.find_tool(&dialog.call_id) {
            if let Some(HistoryCell::Tool(t)) = self.transcript.get_mut(i) {
                t.state = ToolState::Requested;
            }
        }
        self.send_or_report(Op::Approve {
            call_id: dialog.call_id,
            decision,
        });
    }
}
