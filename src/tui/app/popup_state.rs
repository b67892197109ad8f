//! The App's popup state and how keys reach it: the completion popup's selection, the open
//! dialog (a picker, the history browser, /status) and the "send this huge message?" question.
//! Each popup handles its own keys and answers with an outcome; this file acts on it.

use super::App;
use crate::protocol::Op;
use crate::tui::keymap::{Action, KeyContext, KeyState};
use crate::tui::popups::confirm_send::{ConfirmOutcome, SendConfirm};
use crate::tui::popups::history::{HistoryBrowser, HistoryOutcome};
use crate::tui::popups::picker::{Picker, PickerKind, PickerOutcome};
use crate::tui::popups::slash::SlashPopup;
use crate::tui::popups::tool_output::{PagerOutcome, ToolPager};
use crossterm::event::{KeyCode, KeyEvent};

/// A dialog over the whole screen that takes every key while open.
pub(in crate::tui) enum Modal {
    Picker(Picker),
    History(HistoryBrowser),
    Status,
    /// A tool call's whole output.
    ToolOutput(ToolPager),
}

#[derive(Default)]
pub(in crate::tui) struct Popups {
    /// The completion popup (shown while a command is typed).
    pub slash: SlashPopup,
    pub modal: Option<Modal>,
    /// A large message waiting for "send it?".
    pub confirm: Option<SendConfirm>,
}

impl Popups {
    /// The history browser, if it is open.
    pub fn history_mut(&mut self) -> Option<&mut HistoryBrowser> {
        match self.modal.as_mut() {
            Some(Modal::History(b)) => Some(b),
            _ => None,
        }
    }
}

impl App {
    /// A key while the completion popup is shown; false when the popup does not take it.
    pub(super) fn popup_key(&mut self, key: KeyEvent, state: KeyState) -> bool {
        let candidates = self.candidates();
        if candidates.is_empty() {
            return false;
        }
        let slash = &mut self.popups.slash;
        slash.clamp(candidates.len());
        match self.config.keymap.resolve(KeyContext::Popup, &key, state) {
            Some(Action::SelectPrev) => slash.up(candidates.len()),
            Some(Action::SelectNext) => slash.down(candidates.len()),
            Some(Action::Complete) => {
                let pick = &candidates[slash.selected];
                slash.selected = 0;
                self.draft.composer.set_text(&pick.replacement);
            }
            Some(Action::Accept) => {
                let pick = candidates[slash.selected].clone();
                slash.selected = 0;
                if pick.label.contains("TEXT") {
                    self.draft.composer.set_text(&pick.replacement);
                } else {
                    self.submit(pick.replacement.trim_end().to_string());
                }
            }
            _ => return false,
        }
        true
    }

    /// A key while "send it?" is asked: every key goes to the question.
    pub(super) fn confirm_key(&mut self, key: KeyEvent) {
        let Some(confirm) = self.popups.confirm.as_mut() else {
            return;
        };
        match confirm.handle_key_in(&self.config.keymap, key) {
            ConfirmOutcome::Pending => {}
            ConfirmOutcome::Keep => {
                if let Some(typed) = self.popups.confirm.take().and_then(|c| c.typed) {
                    // The draft was taken when it was sent: it comes back to edit.
                    if self.draft.composer.is_empty() {
                        self.draft.composer.set_text(&typed);
                    }
                }
                self.flush_outbox();
            }
            ConfirmOutcome::Send => {
                if let Some(c) = self.popups.confirm.take() {
                    if c.typed.is_some() {
                        self.send_taken(c.text);
                    } else {
                        self.send_message(c.text);
                    }
                }
                self.flush_outbox();
            }
        }
    }

    /// A key while a dialog is open: every key goes to the dialog.
    pub(super) fn modal_key(&mut self, key: KeyEvent) {
        let Some(modal) = self.popups.modal.as_mut() else {
            return;
        };
        match modal {
            Modal::Status => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                    self.popups.modal = None;
                }
            }
            Modal::Picker(picker) => {
                let kind = picker.kind;
                match picker.handle_key(key) {
                    PickerOutcome::Pending => {}
                    PickerOutcome::Cancel => self.popups.modal = None,
                    PickerOutcome::Chosen(value) => {
                        self.popups.modal = None;
                        self.picked(kind, value);
                    }
                    PickerOutcome::Unmatched(text) => {
                        self.popups.modal = None;
                        self.unmatched(kind, text);
                    }
                }
            }
            Modal::ToolOutput(pager) => {
                let step = match pager.handle_key(key) {
                    PagerOutcome::Pending => return,
                    PagerOutcome::Close => {
                        self.popups.modal = None;
                        return;
                    }
                    PagerOutcome::Prev => -1,
                    PagerOutcome::Next => 1,
                };
                let ids = self.transcript.tool_ids();
                let at = ids.iter().position(|id| *id == pager.call_id);
                let next = at.and_then(|i| i.checked_add_signed(step));
                if let Some(id) = next.and_then(|i| ids.get(i)) {
                    pager.show(id.clone());
                }
            }
            Modal::History(browser) => match browser.handle_key(key) {
                HistoryOutcome::Pending => {}
                HistoryOutcome::Close => self.popups.modal = None,
                HistoryOutcome::Send(op) => self.send_or_report(op),
                HistoryOutcome::Open(id) => {
                    self.popups.modal = None;
                    self.send_or_report(Op::Resume {
                        conversation_id: id,
                    });
                }
            },
        }
    }

    /// Open the tool-output pager on the latest tool call shown (Ctrl+O).
    pub(super) fn show_tool_output(&mut self) {
        match self.transcript.tool_ids().pop() {
            Some(id) => self.popups.modal = Some(Modal::ToolOutput(ToolPager::new(id))),
            None => {
                self.draft.inline_error = Some("no tool call to show yet".to_string());
            }
        }
    }

    /// Enter on a filter nothing matched: a full `provider/model` is used as typed (the core
    /// checks it); anything else goes back to the draft as the command, to correct.
    fn unmatched(&mut self, kind: PickerKind, text: String) {
        if kind == PickerKind::Model && crate::message::ModelRef::parse(&text).is_some() {
            return self.pick_model(text);
        }
        let command = match kind {
            PickerKind::Model => "model",
            PickerKind::Agent => "agent",
            PickerKind::Theme => "theme",
        };
        self.draft.composer.set_text(&format!("/{command} {text}"));
        self.draft.inline_error = Some(format!(
            "no {command} matches `{text}`: edit and press Enter, or Esc"
        ));
    }

    fn picked(&mut self, kind: PickerKind, value: String) {
        match kind {
            PickerKind::Model => self.pick_model(value),
            PickerKind::Agent => self.send_or_report(Op::SetAgent { agent: value }),
            PickerKind::Theme => {
                if let Err(e) = self.set_theme(&value) {
                    self.draft.inline_error = Some(e);
                }
            }
        }
    }
}
