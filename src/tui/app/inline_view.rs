//! What inline mode (`tui/inline.rs`) asks of the App: which cells are finished and go to the
//! terminal's scrollback, and how many rows the live area needs for what is still drawn (the
//! cells not written yet, the composer and status line, a popup or dialog).

use super::App;
use crate::tui::history_cell::{HistoryCell, ToolState};
use crate::tui::popups::slash::SlashPopup;
use ratatui::layout::Size;
use ratatui::text::Line;

/// Rows a dialog (picker, history browser, approval) gets at least, screen permitting.
const DIALOG_ROWS: u16 = 16;
/// Rows of the welcome text shown before anything is in the conversation.
const WELCOME_ROWS: u16 = 4;

impl App {
    /// Whether the conversation goes to the terminal's scrollback (`[ui] mode = "inline"`).
    pub fn inline(&self) -> bool {
        self.config.inline
    }

    /// The terminal's size, as the run loop last saw it.
    pub fn set_screen(&mut self, size: Size) {
        self.screen = Some(size);
    }

    pub(in crate::tui) fn screen(&self) -> Option<Size> {
        self.screen
    }

    /// Whether the screen is too small to show what a key does (then keys are not taken).
    pub(in crate::tui) fn screen_too_small(&self) -> bool {
        self.screen.is_some_and(|s| {
            s.width < crate::tui::view::MIN_WIDTH || s.height < crate::tui::view::MIN_HEIGHT
        })
    }

    /// Inline mode: the lines of the cells finished since the last call, to write into the
    /// scrollback (at `width`, the terminal's).
    pub fn take_scrollback(&mut self, width: u16) -> Vec<Line<'static>> {
        let upto = self.commit_limit();
        self.transcript
            .cells
            .commit(upto, usize::from(width), &self.theme)
    }

    /// On quit: everything shown goes to the scrollback, finished or not.
    pub fn commit_everything(&mut self) {
        self.commit_all = true;
    }

    /// After quitting fullscreen: the conversation's last lines as plain text, for the
    /// scrollback (inline mode: nothing, the scrollback has it all).
    pub fn transcript_tail(&mut self, width: u16, rows: u16) -> Vec<String> {
        if self.inline() {
            return Vec::new();
        }
        self.transcript
            .cells
            .tail_text(usize::from(width), usize::from(rows), &self.theme)
    }

    /// Inline mode: rows the live area needs on a screen `width` x `height`.
    pub fn live_height(&mut self, width: u16, height: u16) -> u16 {
        let fixed = self.bottom_rows(width, height);
        let cells = &mut self.transcript.cells;
        let live = if cells.is_empty() && cells.committed() == 0 {
            match &self.config.setup_guidance {
                // The guidance wraps on a narrow screen: a row per started line of text.
                Some(lines) => lines
                    .iter()
                    .map(|l| {
                        l.chars()
                            .count()
                            .div_ceil(usize::from(width.max(3) - 2))
                            .max(1)
                    })
                    .sum::<usize>()
                    .try_into()
                    .map_or(u16::MAX, |rows: u16| rows.saturating_add(2)),
                None => WELCOME_ROWS,
            }
        } else {
            let rows = cells.live_height(usize::from(width), &self.theme);
            u16::try_from(rows).unwrap_or(u16::MAX)
        };
        let mut want = live.saturating_add(fixed);
        let candidates = self.candidates().len();
        if candidates > 0 {
            want = want.max(SlashPopup::height(candidates) + fixed);
        }
        if let Some(rows) = self.finder_height() {
            want = want.max(rows + fixed);
        }
        let dialog = self.popups.modal.is_some()
            || self.popups.confirm.is_some()
            || !self.approvals.dialogs.is_empty();
        if dialog {
            want = want.max(DIALOG_ROWS.max(height * 2 / 3));
        }
        want.clamp(1, height.max(1))
    }

    /// Rows under the transcript: the draft line, the composer, the status line.
    pub(in crate::tui) fn bottom_rows(&self, width: u16, height: u16) -> u16 {
        let draft = &self.draft;
        let extra = u16::from(draft.inline_error.is_some() || !draft.queued.is_empty());
        let composer = draft
            .composer
            .height(width)
            .min(height.saturating_sub(2).max(1));
        extra + composer + 1
    }

    /// Cells before this index are finished and may go to the scrollback. While a turn runs,
    /// its last reply stays live (the turn's end puts its badge under it), and so does every
    /// cell after the first one still changing.
    fn commit_limit(&self) -> usize {
        let cells = &self.transcript.cells;
        let len = cells.len();
        if self.commit_all || self.transcript.turn.is_none() {
            return len;
        }
        let last_reply = cells
            .rposition(|c| matches!(c, HistoryCell::Assistant(_)))
            .filter(|i| *i >= cells.committed())
            .unwrap_or(len);
        let unsettled = cells
            .cells()
            .enumerate()
            .skip(cells.committed())
            .find(|(i, c)| !settled(c, *i + 1 == len))
            .map_or(len, |(i, _)| i);
        last_reply.min(unsettled)
    }
}

/// Whether a cell will not change any more (the last cell of a running turn may still grow).
fn settled(cell: &HistoryCell, last: bool) -> bool {
    match cell {
        HistoryCell::Assistant(a) => !a.streaming,
        HistoryCell::Tool(t) => matches!(t.state, ToolState::Done { .. }),
        HistoryCell::Reasoning { .. } => !last,
        HistoryCell::User { .. } | HistoryCell::Error { .. } | HistoryCell::Notice { .. } => true,
    }
}
