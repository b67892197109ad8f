//! The App's draft state: the composer, messages queued behind the running turn, and the
//! one-line error about the draft shown above it.

use crate::tui::composer::Composer;
use std::collections::VecDeque;

pub(in crate::tui) struct Draft {
    pub composer: Composer,
    /// Messages sent while a turn ran, sent in order after it.
    pub queued: VecDeque<String>,
    /// A one-line error above the composer (cleared by the next edit).
    pub inline_error: Option<String>,
}

impl Draft {
    pub fn new() -> Self {
        Self {
            composer: Composer::new(),
            queued: VecDeque::new(),
            inline_error: None,
        }
    }

    /// The draft was sent (or run): remember it for recall and empty the editor.
    pub fn sent(&mut self, text: &str) {
        self.composer.record(text);
        self.composer.clear();
    }

    /// Empty the editor and drop the error about it.
    pub fn clear(&mut self) {
        self.composer.clear();
        self.inline_error = None;
    }
}
