//! The App: all TUI state and how it changes. It is driven by three inputs, each a plain method
//! so tests can drive it without a terminal: [`App::handle_key`] / [`App::handle_paste`] /
//! [`App::handle_mouse`] (the user), [`App::handle_event`] (the core's [`Event`]s). It talks back
//! to the core only by sending [`Op`]s on its channel, and asks the terminal host for the few
//! things only it can do ([`HostAction`]: clipboard, external editor, suspend). Handlers only
//! change state and mark the App dirty; `event::run_app` decides when to draw.

use super::commands::{self, CommandContext, ModelChoice, SlashCommand};
use super::composer::{Composer, ComposerOutcome};
use super::history_cell::{Badge, HistoryCell};
use super::keymap::{Action, KeyContext, KeyState, Keymap};
use super::popups::approval::ApprovalDialog;
use super::popups::confirm_send::{ConfirmOutcome, SendConfirm};
use super::popups::history::{HistoryBrowser, HistoryOutcome};
use super::popups::picker::{Picker, PickerItem, PickerKind, PickerOutcome};
use super::popups::slash::SlashPopup;
use super::theme::Theme;
use super::transcript::Transcript;
use crate::message::{ConversationId, Usage};
use crate::protocol::{ApprovalDecision, Event, Op};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::mpsc;

mod approvals;
mod core_events;
mod first_run;
mod slash_commands;
pub use core_events::history_cells;
pub use first_run::ImageBuilder;

/// Stored messages requested per history page.
pub const HISTORY_PAGE: usize = 100;
/// Lines the mouse wheel scrolls.
const WHEEL_LINES: usize = 3;
/// Page in older history when the view comes this close (in cells) to the oldest loaded one.
const PREFETCH_CELLS: usize = 20;

/// An agent as the pickers and /tools show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    pub name: String,
    pub description: String,
    /// `None`: every built-in tool.
    pub tools: Option<Vec<String>>,
}

/// What the App knows before the core says anything: names to complete and pick from, and UI
/// settings.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Model references and aliases offered by /model.
    pub models: Vec<String>,
    pub agents: Vec<AgentInfo>,
    pub agent: String,
    /// Pinned model; `None` = auto.
    pub model: Option<String>,
    pub theme: Theme,
    pub themes_dir: Option<PathBuf>,
    pub no_color: bool,
    /// Capture the mouse for wheel scrolling (`[ui] mouse`).
    pub mouse: bool,
    /// Each provider and where it came from (`from ANTHROPIC_API_KEY`, `from config.toml`).
    pub providers: Vec<(String, String)>,
    /// When no provider exists: the lines the first screen shows instead of the welcome.
    pub setup_guidance: Option<Vec<String>>,
    /// Builds the default sandbox image in the background (`/sandbox build`), when it is the
    /// configured image.
    pub image_builder: Option<ImageBuilder>,
    /// What each key does (the defaults until a `[keys]` table exists).
    pub keymap: Keymap,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            models: Vec::new(),
            agents: Vec::new(),
            agent: "general".into(),
            model: None,
            theme: Theme::default(),
            themes_dir: None,
            no_color: false,
            mouse: true,
            providers: Vec::new(),
            setup_guidance: None,
            image_builder: None,
            keymap: Keymap::default(),
        }
    }
}

/// Work only the terminal host can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAction {
    /// Put this text on the clipboard (OSC 52, works over SSH).
    Copy(String),
    /// Edit the draft in $VISUAL/$EDITOR and put the result back.
    OpenEditor(String),
    /// Ctrl+Z: restore the terminal and stop the process until resumed.
    Suspend,
}

pub(super) enum Modal {
    Picker(Picker),
    History(HistoryBrowser),
    Status,
}

pub(super) struct Turn {
    pub started: Instant,
    pub route: Option<(String, String)>,
    /// The reply cell receiving text now.
    pub assistant: Option<usize>,
    pub reasoning: Option<usize>,
    /// Parser state across reasoning deltas.
    pub reasoning_text: crate::sanitize::Stripper,
}

/// Figures for the status line.
#[derive(Debug, Clone, Default)]
pub(super) struct Stats {
    pub context_tokens: u64,
    pub context_window: Option<u64>,
    pub cost_usd: Option<f64>,
    pub sandbox: Option<String>,
}

pub struct App {
    pub(super) config: AppConfig,
    ops: mpsc::Sender<Op>,
    events: Option<mpsc::Receiver<Event>>,
    pub(super) theme: Theme,
    pub(super) transcript: Transcript,
    pub(super) composer: Composer,
    pub(super) slash: SlashPopup,
    pub(super) modal: Option<Modal>,
    pub(super) approvals: VecDeque<ApprovalDialog>,
    /// A large message waiting for "send it?".
    pub(super) confirm: Option<SendConfirm>,
    pub(super) conversation: Option<ConversationId>,
    pub(super) agent: String,
    pub(super) model: Option<String>,
    pub(super) last_route: Option<(String, String)>,
    pub(super) usage: Usage,
    pub(super) stats: Stats,
    pub(super) turn: Option<Turn>,
    pub(super) queued: VecDeque<String>,
    /// Stored index of the oldest message shown; > 0 means older pages exist.
    history_start: usize,
    history_loading: bool,
    pub(super) inline_error: Option<String>,
    pub(super) hint: Option<String>,
    ctrl_c_armed: bool,
    /// The image build was offered (once) or started.
    image_offer: first_run::ImageOffer,
    pub(super) spinner: usize,
    quit: bool,
    dirty: bool,
    actions: Vec<HostAction>,
    pub(super) clock: super::clock::Clock,
    /// When the last key was typed (the approval dialog's guard counts from it).
    pub(super) last_key: Option<std::time::Instant>,
    /// More terminal input is already waiting behind the event being handled.
    pub(super) input_queued: bool,
}

impl App {
    pub fn new(ops: mpsc::Sender<Op>, events: mpsc::Receiver<Event>, config: AppConfig) -> Self {
        let app = Self {
            theme: config.theme.clone(),
            agent: config.agent.clone(),
            model: config.model.clone(),
            config,
            ops,
            events: Some(events),
            transcript: Transcript::new(),
            composer: Composer::new(),
            slash: SlashPopup::default(),
            modal: None,
            approvals: VecDeque::new(),
            confirm: None,
            conversation: None,
            last_route: None,
            usage: Usage::default(),
            stats: Stats::default(),
            turn: None,
            queued: VecDeque::new(),
            history_start: 0,
            history_loading: false,
            inline_error: None,
            hint: None,
            ctrl_c_armed: false,
            image_offer: Default::default(),
            spinner: 0,
            quit: false,
            dirty: true,
            actions: Vec::new(),
            clock: super::clock::Clock::system(),
            last_key: None,
            input_queued: false,
        };
        app.send(Op::LoadPromptHistory { limit: 1_000 });
        app
    }

    /// Replace the clock (tests move time by hand).
    pub fn set_clock(&mut self, clock: super::clock::Clock) {
        self.clock = clock;
    }

    /// Whether more terminal input is already waiting behind the next event handled (the run
    /// loop reads what is ready in one go and says so).
    pub fn set_input_queued(&mut self, queued: bool) {
        self.input_queued = queued;
    }

    /// The event receiver, for the run loop (once).
    pub fn take_events(&mut self) -> Option<mpsc::Receiver<Event>> {
        self.events.take()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn is_busy(&self) -> bool {
        self.turn.is_some()
    }

    pub fn conversation_id(&self) -> Option<ConversationId> {
        self.conversation
    }

    pub fn mouse_enabled(&self) -> bool {
        self.config.mouse
    }

    /// Whether something changed since the last draw (and clear the flag).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    pub fn take_actions(&mut self) -> Vec<HostAction> {
        std::mem::take(&mut self.actions)
    }

    /// Advance the spinner (the run loop ticks it only while a turn runs).
    pub fn tick(&mut self) {
        if self.turn.is_some() {
            self.spinner = self.spinner.wrapping_add(1);
            self.dirty = true;
        }
    }

    pub fn draft(&self) -> String {
        self.composer.text()
    }

    pub fn set_draft(&mut self, text: &str) {
        self.composer.set_text(text);
        self.dirty = true;
    }

    /// Lay everything out again (the syntax highlighter became ready, or the theme changed).
    pub fn relayout(&mut self) {
        self.transcript.invalidate();
        self.dirty = true;
    }

    /// Show a one-line error above the composer (cleared by the next edit).
    pub fn show_inline_error(&mut self, message: String) {
        self.inline_error = Some(message);
        self.dirty = true;
    }

    fn send(&self, op: Op) -> bool {
        self.ops.try_send(op).is_ok()
    }

    fn send_or_report(&mut self, op: Op) {
        if !self.send(op) {
            self.transcript.push(HistoryCell::error(
                "the session is not answering (its queue is full or it stopped): wait a moment, or quit and resume",
            ));
        }
    }

    pub(super) fn command_context(&self) -> CommandContext {
        CommandContext {
            models: self.config.models.clone(),
            agents: self.config.agents.iter().map(|a| a.name.clone()).collect(),
            themes: super::theme::available_names(self.config.themes_dir.as_deref()),
        }
    }

    pub(super) fn candidates(&self) -> Vec<commands::Candidate> {
        if self.composer.is_searching() || self.modal.is_some() {
            return Vec::new();
        }
        let text = self.composer.text();
        let c = commands::complete(&text, &self.command_context());
        // Nothing left to complete once the text is exactly the only candidate.
        if c.len() == 1 && c[0].replacement == text {
            return Vec::new();
        }
        c
    }

    // ---- user input -------------------------------------------------------------------------

    pub fn handle_paste(&mut self, text: &str) {
        self.dirty = true;
        // A paste never answers a dialog: it is text, for the reason being typed or the draft.
        if let Some(dialog) = self.approvals.front_mut().filter(|d| d.typing_reason()) {
            dialog.paste(text);
            return;
        }
        if self.modal.is_none() {
            // The draft changes, so a pending "send it?" no longer asks about it.
            self.confirm = None;
            self.composer.paste(text);
            self.inline_error = None;
        }
    }

    pub fn handle_mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.scroll_up(WHEEL_LINES),
            MouseEventKind::ScrollDown => self.transcript.scroll_down(WHEEL_LINES, &self.theme),
            _ => return,
        }
        self.dirty = true;
    }

    /// A key from the terminal. The keymap says what it means in each context, tried in
    /// order: global keys, the "send it?" question, the approval dialog (behind its guard), an
    /// open dialog, the main screen, the completion popup, and last the composer.
    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        self.dirty = true;
        let now = self.clock.now();
        let last_key = self.last_key.replace(now);
        let state = KeyState {
            draft_empty: self.composer.is_empty(),
        };
        let global = self.config.keymap.resolve(KeyContext::Global, &key, state);
        if global != Some(Action::Cancel) {
            self.ctrl_c_armed = false;
            self.hint = None;
        }
        match global {
            Some(Action::Cancel) => return self.ctrl_c(),
            Some(Action::Suspend) => return self.actions.push(HostAction::Suspend),
            _ => {}
        }
        if self.confirm.is_some() {
            return self.confirm_key(key);
        }
        if self.approval_key(key, now, last_key) {
            return;
        }
        if self.modal.is_some() {
            self.modal_key(key);
            return;
        }
        let main = self.config.keymap.resolve(KeyContext::Main, &key, state);
        if main.is_some_and(|action| self.perform(action)) {
            return;
        }
        if self.popup_key(key, state) {
            return;
        }
        let before = self.composer.text();
        if let ComposerOutcome::Submit(text) = self.composer.handle_key_in(&self.config.keymap, key)
        {
            self.submit(text);
        } else if self.composer.text() != before {
            self.inline_error = None;
            self.slash.selected = 0;
        }
    }

    /// A main-screen action; false when it does not apply (the key goes on).
    fn perform(&mut self, action: Action) -> bool {
        match action {
            Action::Interrupt => {
                if self.turn.is_some() {
                    self.interrupt();
                } else if !self.candidates().is_empty() {
                    self.composer.clear();
                }
            }
            Action::Quit => self.request_quit(),
            Action::OpenEditor => self
                .actions
                .push(HostAction::OpenEditor(self.composer.text())),
            Action::ScrollPageUp => {
                let page = self.transcript.page();
                self.scroll_up(page);
            }
            Action::ScrollPageDown => {
                let page = self.transcript.page();
                self.transcript.scroll_down(page, &self.theme);
            }
            Action::ScrollLineUp => self.scroll_up(1),
            Action::ScrollLineDown => self.transcript.scroll_down(1, &self.theme),
            Action::ScrollTop => {
                self.transcript.scroll_to_top(&self.theme);
                self.maybe_page_history();
            }
            Action::ScrollBottom => self.transcript.scroll_to_bottom(),
            _ => return false,
        }
        true
    }

    /// A key while the completion popup is shown; false when the popup does not take it.
    fn popup_key(&mut self, key: KeyEvent, state: KeyState) -> bool {
        let candidates = self.candidates();
        if candidates.is_empty() {
            return false;
        }
        self.slash.clamp(candidates.len());
        match self.config.keymap.resolve(KeyContext::Popup, &key, state) {
            Some(Action::SelectPrev) => self.slash.up(candidates.len()),
            Some(Action::SelectNext) => self.slash.down(candidates.len()),
            Some(Action::Complete) => {
                let pick = &candidates[self.slash.selected];
                self.composer.set_text(&pick.replacement);
                self.slash.selected = 0;
            }
            Some(Action::Accept) => {
                let pick = candidates[self.slash.selected].clone();
                self.slash.selected = 0;
                if pick.label.contains("TEXT") {
                    self.composer.set_text(&pick.replacement);
                } else {
                    self.submit(pick.replacement.trim_end().to_string());
                }
            }
            _ => return false,
        }
        true
    }

    fn confirm_key(&mut self, key: KeyEvent) {
        let Some(confirm) = self.confirm.as_mut() else {
            return;
        };
        match confirm.handle_key_in(&self.config.keymap, key) {
            ConfirmOutcome::Pending => {}
            ConfirmOutcome::Keep => self.confirm = None,
            ConfirmOutcome::Send => {
                if let Some(c) = self.confirm.take() {
                    self.send_message(c.text);
                }
            }
        }
    }

    fn ctrl_c(&mut self) {
        if self.confirm.is_some() {
            self.confirm = None;
        } else if self.turn.is_some() {
            self.interrupt();
        } else if !self.approvals.is_empty() {
            self.answer_approval(ApprovalDecision::Deny { reason: None });
        } else if self.modal.is_some() {
            self.modal = None;
        } else if !self.composer.is_empty() {
            self.composer.clear();
            self.inline_error = None;
        } else if self.ctrl_c_armed {
            self.request_quit();
        } else {
            self.ctrl_c_armed = true;
            self.hint = Some("press Ctrl+C again to quit".into());
        }
    }

    pub(super) fn interrupt(&mut self) {
        self.send(Op::Interrupt);
        // The core cancels what waited for approval; the dialogs are moot.
        self.approvals.clear();
        self.queued.clear();
        self.hint = Some("interrupting…".into());
    }

    fn request_quit(&mut self) {
        self.send(Op::Shutdown);
        self.quit = true;
    }

    fn scroll_up(&mut self, lines: usize) {
        self.transcript.scroll_up(lines, &self.theme);
        self.maybe_page_history();
    }

    fn maybe_page_history(&mut self) {
        if self.history_start == 0 || self.history_loading {
            return;
        }
        if self.transcript.first_visible_cell(&self.theme) < PREFETCH_CELLS {
            self.history_loading = true;
            self.send(Op::LoadHistory {
                before: self.history_start,
                limit: HISTORY_PAGE,
            });
        }
    }

    fn modal_key(&mut self, key: KeyEvent) {
        let Some(modal) = self.modal.as_mut() else {
            return;
        };
        match modal {
            Modal::Status => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                    self.modal = None;
                }
            }
            Modal::Picker(picker) => match picker.handle_key(key) {
                PickerOutcome::Pending => {}
                PickerOutcome::Cancel => self.modal = None,
                PickerOutcome::Chosen(value) => {
                    let kind = picker.kind;
                    self.modal = None;
                    match kind {
                        PickerKind::Model => self.set_model(if value == "auto" {
                            ModelChoice::Auto
                        } else {
                            ModelChoice::Ref(value)
                        }),
                        PickerKind::Agent => self.send_or_report(Op::SetAgent { agent: value }),
                        PickerKind::Theme => self.set_theme(&value),
                    }
                }
            },
            Modal::History(browser) => match browser.handle_key(key) {
                HistoryOutcome::Pending => {}
                HistoryOutcome::Close => self.modal = None,
                HistoryOutcome::Send(op) => self.send_or_report(op),
                HistoryOutcome::Open(id) => {
                    self.modal = None;
                    self.send_or_report(Op::Resume {
                        conversation_id: id,
                    });
                }
            },
        }
    }

    // ---- commands ---------------------------------------------------------------------------

    fn submit(&mut self, text: String) {
        self.inline_error = None;
        if commands::is_command(&text) {
            match commands::parse(&text, &self.command_context()) {
                Ok(cmd) => {
                    self.composer.record(text.trim());
                    self.composer.clear();
                    self.execute(cmd);
                }
                Err(e) => self.inline_error = Some(e.0),
            }
            return;
        }
        if let Some(confirm) =
            SendConfirm::check(&text, self.stats.context_tokens, self.stats.context_window)
        {
            self.confirm = Some(confirm);
            return;
        }
        self.send_message(text);
    }

    /// Send (or queue behind the running turn) a message the user has decided to send.
    fn send_message(&mut self, text: String) {
        self.composer.record(&text);
        self.composer.clear();
        if self.refuse_without_provider() {
            return;
        }
        if self.turn.is_some() {
            self.queued.push_back(text);
            return;
        }
        self.start_turn(text);
    }

    fn start_turn(&mut self, text: String) {
        self.transcript.push(HistoryCell::user(&text));
        self.transcript.scroll_to_bottom();
        if self.send(Op::UserTurn { text }) {
            self.turn = Some(Turn {
                started: Instant::now(),
                route: None,
                assistant: None,
                reasoning: None,
                reasoning_text: Default::default(),
            });
        } else {
            self.transcript.push(HistoryCell::error(
                "the session is not answering, so the message was not sent: quit and resume the conversation",
            ));
        }
    }
}
