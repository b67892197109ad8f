//! What Enter does with the draft: run a built-in slash command, expand and send a custom one,
//! or send (or queue) a message; and the one rule for every failure on the way (see
//! `draft.rs`): the draft stays as typed, cursor at its end, the reason on one line above it.
//! Also keeps the custom commands fresh: read again (if their files changed) when the
//! completion popup opens and when a command is run.

use super::draft::Outgoing;
use super::{App, HistoryCell, Turn};
use crate::protocol::Op;
use crate::tui::commands::{self, custom};
use crate::tui::popups::confirm_send::SendConfirm;

impl App {
    pub(super) fn submit(&mut self, text: String) {
        self.draft.inline_error = None;
        self.draft.awaiting = None;
        if commands::is_command(&text) {
            self.custom.refresh();
            self.draft.answer_due = false;
            match self.run_command(&text) {
                Ok(()) => {
                    self.draft.sent(text.trim());
                    // A custom command's turn started (awaiting its expansion): the typed
                    // command is what comes back if the core refuses it.
                    let started = self.draft.awaiting.is_some();
                    if std::mem::take(&mut self.draft.answer_due) || started {
                        self.draft.awaiting = Some(text.trim().to_string());
                    }
                }
                Err(e) => self.draft.keep(e),
            }
            return;
        }
        if self.send_with_attachments(&text) {
            return;
        }
        let stats = &self.session.stats;
        if let Some(confirm) = SendConfirm::check(&text, stats.context_tokens, stats.context_window)
        {
            self.popups.confirm = Some(confirm);
            return;
        }
        self.send_message(text);
    }

    /// A built-in or custom command typed as `text`.
    fn run_command(&mut self, text: &str) -> Result<(), String> {
        let commands = std::sync::Arc::clone(self.custom.commands());
        if let Some((cmd, args)) = custom::invocation(text, &commands) {
            return self.run_custom(cmd, args);
        }
        let cmd = commands::parse(text, &self.command_context()).map_err(|e| e.0)?;
        self.execute(cmd)
    }

    /// `/name args` for a custom command: its prompt, with the agent and model its front
    /// matter names (checked here, so a typo never reaches the core as a turn).
    fn run_custom(&mut self, cmd: &custom::CustomCommand, args: &str) -> Result<(), String> {
        let name = &cmd.name;
        let file = cmd.path.display();
        if let Some(agent) = &cmd.front.agent
            && !self.config.agents.iter().any(|a| &a.name == agent)
        {
            return Err(format!(
                "/{name}: unknown agent `{agent}` in {file}: fix its front matter (/agent lists the agents)"
            ));
        }
        if let Some(model) = &cmd.front.model
            && model != "auto"
            && !self.model_references().contains(model)
            && crate::message::ModelRef::parse(model).is_none()
        {
            return Err(format!(
                "/{name}: unknown model `{model}` in {file}: use provider/model-id, an alias, or auto"
            ));
        }
        let text = cmd.expand(args);
        if text.trim().is_empty() {
            return Err(format!(
                "/{name} has an empty prompt: write one in {file}, or give arguments"
            ));
        }
        self.dispatch(Outgoing {
            text,
            agent: cmd.front.agent.clone(),
            model: cmd.front.model.clone(),
        })
    }

    /// Send (or queue behind the running turn) a message the user has decided to send.
    pub(super) fn send_message(&mut self, text: String) {
        match self.dispatch(Outgoing::message(text.clone())) {
            Ok(()) => self.draft.sent(&text),
            Err(e) => {
                // The composer may have been emptied by the "send it?" question: put it back.
                if self.draft.composer.text() != text {
                    self.draft.composer.set_text(&text);
                }
                self.draft.keep(e);
            }
        }
    }

    /// Send (or queue) a message whose draft was already taken (its files were read, or "send
    /// it?" was answered); on failure the typed text comes back to an empty draft.
    pub(super) fn send_taken(&mut self, text: String) {
        if let Err(e) = self.dispatch(Outgoing::message(text.clone())) {
            if self.draft.composer.is_empty() {
                let typed = crate::tui::attach::split(&text).0.to_string();
                self.draft.composer.set_text(&typed);
            }
            self.draft.keep(e);
        }
    }

    /// A user turn now, or after the running one.
    fn dispatch(&mut self, turn: Outgoing) -> Result<(), String> {
        if self.refuse_without_provider() {
            return Err("not sent: no provider is set up (see above)".into());
        }
        if self.transcript.busy() {
            self.draft.queued.push_back(turn);
            return Ok(());
        }
        self.start_turn(turn);
        Ok(())
    }

    pub(super) fn start_turn(&mut self, turn: Outgoing) {
        // The core stores the message before anything else: there is something to resume.
        self.session.stored = true;
        self.transcript.cells.push(HistoryCell::user(&turn.text));
        self.transcript.cells.scroll_to_bottom();
        // What comes back to the draft if the core refuses it: the typed text, not the files.
        let typed = crate::tui::attach::split(&turn.text).0.to_string();
        if self.send(turn.op()) {
            let mut started = Turn::new();
            // Timed by the App's clock (tests move it by hand).
            started.started = self.clock.now();
            self.transcript.turn = Some(started);
            self.draft.awaiting = Some(typed);
        } else {
            self.transcript.cells.push(HistoryCell::error(
                "the session is not answering, so the message was not sent: quit and resume the conversation",
            ));
        }
    }

    /// Send `op` for a command; `Err` when the session does not take it.
    pub(super) fn send_op(&mut self, op: Op) -> Result<(), String> {
        if self.send(op) {
            self.draft.answer_due = true;
            Ok(())
        } else {
            Err("the session is not answering (its queue is full or it stopped): wait a moment, or quit and resume".into())
        }
    }

    /// The draft changed from `before`: when it just became a command being typed (the
    /// completion popup opens), read the custom commands again if their files changed.
    pub(super) fn refresh_custom_commands(&mut self, before: &str) {
        if !before.starts_with('/') && self.draft.composer.text().starts_with('/') {
            self.custom.refresh();
        }
    }

    /// At start-up: one notice naming each command file skipped or shadowed (`/help` lists
    /// them too).
    pub(super) fn warn_about_custom_commands(&mut self) {
        let warnings = self.custom.warnings();
        if warnings.is_empty() {
            return;
        }
        let text = format!("custom commands:\n{}", warnings.join("\n"));
        self.transcript.cells.push(HistoryCell::notice(&text));
    }
}
