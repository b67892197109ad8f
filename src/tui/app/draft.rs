//! The App's draft state: the composer, messages queued behind the running turn, the
//! one-line error about the draft shown above it, and the text last sent while its answer is
//! awaited.
//!
//! The rule after a failure, the same for every command and message: the draft stays as typed
//! (or comes back, when the core's answer is the error), the cursor at its end, and the error
//! shows on one line above it ([`Draft::keep`]); the next edit clears the error.

use crate::protocol::Op;
use crate::tui::composer::Composer;
use std::collections::VecDeque;

pub(in crate::tui) struct Draft {
    pub composer: Composer,
    /// Messages sent while a turn ran, sent in order after it.
    pub queued: VecDeque<Outgoing>,
    /// A one-line error above the composer (cleared by the next edit).
    pub inline_error: Option<String>,
    /// The command or message last sent to the core, until the core answers: an `Error` as
    /// its first answer puts it back into an empty composer.
    pub awaiting: Option<String>,
    /// A command just run sent an `Op` (its answer is awaited).
    pub answer_due: bool,
}

/// A user turn on its way to the core: a message, or a custom command's expanded prompt with
/// the agent and model its front matter names (for that turn only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::tui) struct Outgoing {
    pub text: String,
    pub agent: Option<String>,
    pub model: Option<String>,
}

impl Outgoing {
    pub fn message(text: String) -> Self {
        Self {
            text,
            agent: None,
            model: None,
        }
    }

    pub fn op(self) -> Op {
        if self.agent.is_none() && self.model.is_none() {
            Op::UserTurn { text: self.text }
        } else {
            Op::UserTurnAs {
                text: self.text,
                agent: self.agent,
                model: self.model,
            }
        }
    }
}

impl Draft {
    pub fn new() -> Self {
        Self {
            composer: Composer::new(),
            queued: VecDeque::new(),
            inline_error: None,
            awaiting: None,
            answer_due: false,
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

    /// What was typed could not be carried out: keep it, cursor at the end, and say why.
    pub fn keep(&mut self, error: String) {
        self.composer.cursor_to_end();
        self.inline_error = Some(error);
    }

    /// The core answered what was last sent with `error`: when nothing has been typed since,
    /// the text comes back as the draft, with the error above it. False when the error is not
    /// that answer (nothing awaited, or the user is typing something else).
    pub fn answered_with_error(&mut self, error: &str) -> bool {
        let Some(text) = self.awaiting.take() else {
            return false;
        };
        if !self.composer.is_empty() {
            return false;
        }
        self.composer.set_text(&text);
        self.inline_error = Some(error.to_string());
        true
    }
}
