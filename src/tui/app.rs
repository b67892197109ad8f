//! The App: the TUI's state and how it changes. The state is grouped by concept, each group a
//! struct with its own file and impl block: the transcript and the running turn
//! (`transcript_state.rs`), the draft (`draft.rs`), popups (`popup_state.rs`), approvals
//! (`approvals.rs`), what is known of the session (`session_info.rs`) and the status line
//! (`status_line.rs`); see docs/architecture.md ("tui").
//!
//! It is driven by three inputs, each a plain method so tests can drive it without a
//! terminal: [`App::handle_key`] / [`App::handle_paste`] / [`App::handle_mouse`] (the user),
//! [`App::handle_event`] (the core's [`Event`]s). It talks back to the core only by sending
//! [`Op`]s on its channel, and asks the terminal host for the few things only it can do
//! ([`HostAction`]: clipboard, external editor, suspend). Handlers only change state and mark
//! the App dirty; `event::run_app` decides when to draw.

use super::commands::{self, CommandContext};
use super::composer::ComposerOutcome;
use super::history_cell::HistoryCell;
use super::keymap::{Action, KeyContext, KeyState, Keymap};
use super::theme::Theme;
use crate::message::ConversationId;
use crate::protocol::{ApprovalDecision, Event, Op};
use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use std::path::PathBuf;
use tokio::sync::mpsc;

mod approvals;
mod core_events;
mod draft;
mod finder;
mod first_run;
mod inline_view;
mod jobs;
mod models;
mod popup_state;
mod session_info;
mod slash_commands;
mod status_line;
mod subagents;
mod submit;
mod transcript_state;
pub use core_events::history_cells;
pub use first_run::ImageBuilder;
pub use jobs::JobsLister;

use approvals::Approvals;
use draft::Draft;
pub(super) use popup_state::{Modal, Popups};
use session_info::SessionInfo;
use status_line::StatusLine;
use transcript_state::{TranscriptState, Turn};

/// Stored messages requested per history page.
pub const HISTORY_PAGE: usize = 100;
/// Lines the mouse wheel scrolls.
const WHEEL_LINES: usize = 3;

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
    /// Lists the scheduled jobs in the background (`/jobs`).
    pub jobs_lister: Option<JobsLister>,
    /// What each key does (the defaults until a `[keys]` table exists).
    pub keymap: Keymap,
    /// `[ui] mode = "inline"`: finished cells go to the terminal's scrollback.
    pub inline: bool,
    /// `[ui] notify`: how a turn ending while the terminal is unfocused is announced.
    pub notify: crate::config::NotifyMode,
    /// Where custom slash commands are read from, the project's directory first.
    pub command_dirs: Vec<(PathBuf, commands::custom::Scope)>,
    /// The session's workspace: what the `@` finder lists and attachments are read from
    /// (`None`: no finder, `@` is text).
    pub workspace: Option<PathBuf>,
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
            jobs_lister: None,
            keymap: Keymap::default(),
            inline: false,
            notify: crate::config::NotifyMode::Off,
            command_dirs: Vec::new(),
            workspace: None,
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
    /// A turn ended while the terminal was not focused: bell or desktop notification.
    Notify(crate::config::NotifyMode),
}

/// All TUI state, grouped by concept; each group has its own file and impl block.
pub struct App {
    pub(super) config: AppConfig,
    ops: mpsc::Sender<Op>,
    events: Option<mpsc::Receiver<Event>>,
    pub(super) theme: Theme,
    /// The cells on screen, the running turn, history paging.
    pub(super) transcript: TranscriptState,
    /// The composer, queued messages, the error about the draft.
    pub(super) draft: Draft,
    /// The completion popup, the open dialog, the "send it?" question.
    pub(super) popups: Popups,
    /// Approval dialogs and their type-ahead guard.
    pub(super) approvals: Approvals,
    /// The conversation, agent, model, route, usage and figures shown.
    pub(super) session: SessionInfo,
    /// The hint, spinner and Ctrl+C state of the status line.
    pub(super) status: StatusLine,
    /// The image build was offered (once) or started.
    image_offer: first_run::ImageOffer,
    quit: bool,
    dirty: bool,
    actions: Vec<HostAction>,
    pub(super) clock: super::clock::Clock,
    /// The subagents running in this turn, a line each.
    pub(super) subagents: subagents::Subagents,
    /// The terminal's size as the run loop last saw it (inline mode: the live area is
    /// smaller).
    screen: Option<ratatui::layout::Size>,
    /// On quit in inline mode: every cell goes to the scrollback.
    commit_all: bool,
    /// The terminal has the focus (focus events; assumed until one says otherwise).
    focused: bool,
    /// The models `/model` offers (the providers' lists once asked).
    pub(super) models: models::ModelCatalog,
    /// The custom slash commands, read again when the completion popup opens.
    pub(super) custom: commands::custom::CustomCommands,
    /// The `@` file finder, and messages waiting for their attached files to be read.
    pub(super) finder: finder::Finder,
}

impl App {
    pub fn new(ops: mpsc::Sender<Op>, events: mpsc::Receiver<Event>, config: AppConfig) -> Self {
        let custom = commands::custom::CustomCommands::load(config.command_dirs.clone());
        let mut app = Self {
            theme: config.theme.clone(),
            session: SessionInfo::new(config.agent.clone(), config.model.clone()),
            config,
            ops,
            events: Some(events),
            transcript: TranscriptState::new(),
            draft: Draft::new(),
            popups: Popups::default(),
            approvals: Approvals::default(),
            status: StatusLine::default(),
            image_offer: Default::default(),
            quit: false,
            dirty: true,
            actions: Vec::new(),
            clock: super::clock::Clock::system(),
            subagents: Default::default(),
            screen: None,
            commit_all: false,
            focused: true,
            models: Default::default(),
            custom,
            finder: Default::default(),
        };
        app.send(Op::LoadPromptHistory { limit: 1_000 });
        app.warn_about_custom_commands();
        app
    }

    /// Replace the clock (tests move time by hand).
    pub fn set_clock(&mut self, clock: super::clock::Clock) {
        self.clock = clock;
    }

    /// Whether more terminal input is already waiting behind the next event handled (the run
    /// loop reads what is ready in one go and says so).
    pub fn set_input_queued(&mut self, queued: bool) {
        self.approvals.input_queued = queued;
    }

    /// The event receiver, for the run loop (once).
    pub fn take_events(&mut self) -> Option<mpsc::Receiver<Event>> {
        self.events.take()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn is_busy(&self) -> bool {
        self.transcript.busy()
    }

    /// The conversation to offer for resuming: none while it has no stored message.
    pub fn conversation_id(&self) -> Option<ConversationId> {
        self.session.conversation.filter(|_| self.session.stored)
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
        if self.transcript.busy() {
            self.status.tick();
            self.dirty = true;
        }
    }

    pub fn draft(&self) -> String {
        self.draft.composer.text()
    }

    pub fn set_draft(&mut self, text: &str) {
        self.draft.composer.set_text(text);
        self.finder_after_paste();
        self.dirty = true;
    }

    /// Lay everything out again (the syntax highlighter became ready, or the theme changed).
    pub fn relayout(&mut self) {
        self.transcript.cells.invalidate();
        self.dirty = true;
    }

    /// Show a one-line error above the composer (cleared by the next edit).
    pub fn show_inline_error(&mut self, message: String) {
        self.draft.inline_error = Some(message);
        self.dirty = true;
    }

    fn send(&self, op: Op) -> bool {
        self.ops.try_send(op).is_ok()
    }

    fn send_or_report(&mut self, op: Op) {
        if !self.send(op) {
            self.transcript.cells.push(HistoryCell::error(
                "the session is not answering (its queue is full or it stopped): wait a moment, or quit and resume",
            ));
        }
    }

    pub(super) fn command_context(&self) -> CommandContext {
        CommandContext {
            models: self.model_references(),
            agents: self.config.agents.iter().map(|a| a.name.clone()).collect(),
            themes: super::theme::available_names(self.config.themes_dir.as_deref()),
            custom: self.custom.commands().clone(),
        }
    }

    pub(super) fn candidates(&self) -> Vec<commands::Candidate> {
        if self.draft.composer.is_searching()
            || self.popups.modal.is_some()
            || self.finder.is_open()
        {
            return Vec::new();
        }
        let text = self.draft.composer.text();
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
        if let Some(dialog) = self
            .approvals
            .dialogs
            .front_mut()
            .filter(|d| d.typing_reason())
        {
            dialog.paste(text);
            return;
        }
        if self.popups.modal.is_none() {
            // The draft changes, so a pending "send it?" no longer asks about it.
            self.popups.confirm = None;
            let before = self.draft.composer.text();
            self.draft.composer.paste(text);
            self.draft.inline_error = None;
            self.refresh_custom_commands(&before);
            self.finder_after_paste();
        }
    }

    /// The terminal gained or lost the focus.
    pub fn set_focused(&mut self, focused: bool) {
        self.focused = focused;
    }

    /// A turn ended: announce it when nobody is looking (`[ui] notify`).
    pub(super) fn notify_turn_end(&mut self) {
        if !self.focused && self.config.notify != crate::config::NotifyMode::Off {
            self.actions.push(HostAction::Notify(self.config.notify));
        }
    }

    pub fn handle_mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.scroll_up(WHEEL_LINES),
            MouseEventKind::ScrollDown => {
                self.transcript.cells.scroll_down(WHEEL_LINES, &self.theme)
            }
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
        let before = self.draft.composer.shown_text();
        self.key_in_context(key);
        // Whatever the key did to the draft (typed, cleared, recalled), the finder follows;
        // an `@` typed into the draft at a word start opens it.
        let typed_at = key.code == crossterm::event::KeyCode::Char('@')
            && self.draft.composer.shown_text() != before;
        self.finder_after_key(typed_at);
    }

    fn key_in_context(&mut self, key: KeyEvent) {
        self.dirty = true;
        let now = self.clock.now();
        let last_key = self.approvals.last_key.replace(now);
        let state = KeyState {
            draft_empty: self.draft.composer.is_empty(),
        };
        let global = self.config.keymap.resolve(KeyContext::Global, &key, state);
        if global != Some(Action::Cancel) {
            self.status.key_pressed();
        }
        match global {
            Some(Action::Cancel) => return self.ctrl_c(),
            Some(Action::Suspend) => return self.actions.push(HostAction::Suspend),
            _ => {}
        }
        if self.screen_too_small() {
            // Nothing on screen would show what the key did: it is not taken.
            return;
        }
        if self.popups.confirm.is_some() {
            return self.confirm_key(key);
        }
        if self.approval_key(key, now, last_key) {
            return;
        }
        if self.popups.modal.is_some() {
            self.modal_key(key);
            return;
        }
        if self.finder_key(key, state) {
            return;
        }
        // A prompt search takes every key (Esc closes it, restoring the draft).
        let main = if self.draft.composer.is_searching() {
            None
        } else {
            self.config.keymap.resolve(KeyContext::Main, &key, state)
        };
        if main.is_some_and(|action| self.perform(action)) {
            return;
        }
        if self.popup_key(key, state) {
            return;
        }
        let before = self.draft.composer.text();
        let outcome = self.draft.composer.handle_key_in(&self.config.keymap, key);
        if let ComposerOutcome::Submit(text) = outcome {
            self.submit(text);
        } else if self.draft.composer.text() != before {
            self.draft.inline_error = None;
            self.popups.slash.selected = 0;
            self.refresh_custom_commands(&before);
        }
    }

    /// A main-screen action; false when it does not apply (the key goes on).
    fn perform(&mut self, action: Action) -> bool {
        let scrolls = matches!(
            action,
            Action::ScrollPageUp
                | Action::ScrollPageDown
                | Action::ScrollLineUp
                | Action::ScrollLineDown
                | Action::ScrollTop
                | Action::ScrollBottom
        );
        if scrolls && self.inline() {
            // Inline mode: the terminal scrolls its own scrollback.
            return false;
        }
        match action {
            Action::Interrupt => {
                if self.transcript.busy() {
                    self.interrupt();
                } else if !self.candidates().is_empty() {
                    self.draft.composer.clear();
                }
            }
            Action::Quit => self.request_quit(),
            Action::OpenEditor => self
                .actions
                .push(HostAction::OpenEditor(self.draft.composer.text())),
            Action::ShowToolOutput => self.show_tool_output(),
            Action::ScrollPageUp => {
                let page = self.transcript.cells.page();
                self.scroll_up(page);
            }
            Action::ScrollPageDown => {
                let page = self.transcript.cells.page();
                self.transcript.cells.scroll_down(page, &self.theme);
            }
            Action::ScrollLineUp => self.scroll_up(1),
            Action::ScrollLineDown => self.transcript.cells.scroll_down(1, &self.theme),
            Action::ScrollTop => {
                self.transcript.cells.scroll_to_top(&self.theme);
                self.maybe_page_history();
            }
            Action::ScrollBottom => self.transcript.cells.scroll_to_bottom(),
            _ => return false,
        }
        true
    }

    /// Ctrl+C: undo the innermost thing going on, or quit when nothing is.
    fn ctrl_c(&mut self) {
        if self.popups.confirm.is_some() {
            self.popups.confirm = None;
        } else if self.transcript.busy() {
            self.interrupt();
        } else if !self.approvals.dialogs.is_empty() {
            self.answer_approval(ApprovalDecision::Deny { reason: None });
        } else if self.popups.modal.is_some() {
            self.popups.modal = None;
        } else if !self.draft.composer.is_empty() {
            self.draft.clear();
        } else if self.status.ctrl_c_armed {
            self.request_quit();
        } else {
            self.status.ctrl_c_armed = true;
            self.status.say("press Ctrl+C again to quit");
        }
    }

    pub(super) fn interrupt(&mut self) {
        self.send(Op::Interrupt);
        // The core cancels what waited for approval; the dialogs are moot.
        self.approvals.dialogs.clear();
        self.draft.queued.clear();
        self.status.say("interrupting…");
    }

    fn request_quit(&mut self) {
        self.send(Op::Shutdown);
        self.quit = true;
    }

    fn scroll_up(&mut self, lines: usize) {
        self.transcript.cells.scroll_up(lines, &self.theme);
        self.maybe_page_history();
    }

    fn maybe_page_history(&mut self) {
        if let Some(op) = self.transcript.page_request(&self.theme) {
            self.send(op);
        }
    }
}
