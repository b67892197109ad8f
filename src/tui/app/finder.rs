//! The `@` file finder and attachments, as the App runs them. Typing `@` at the start of a
//! word opens the finder over the workspace's files (listed once per session on a background
//! thread, listed again when the finder opens after [`REFRESH_AFTER`]); what is typed after
//! the `@` filters it, Up/Down move, Tab/Enter put `@path ` in place of `@query`, Esc closes.
//! Typing always goes to the draft, so a query nothing matches never swallows keys.
//!
//! On send, a draft mentioning files is read on a background thread ([`attach::read`]) and
//! sent with the files appended when that is done; messages sent meanwhile wait behind it
//! (the outbox), so the order is kept. The prompt recalled later is the typed text.

use super::App;
use crate::tui::attach::{self, read::Expanded};
use crate::tui::files::{FileIndex, MAX_ENTRIES};
use crate::tui::history_cell::HistoryCell;
use crate::tui::keymap::{Action, KeyContext, KeyState};
use crate::tui::popups::confirm_send::SendConfirm;
use crate::tui::popups::files::{FileList, MAX_ROWS};
use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The file list is walked again when the finder opens this long after the last walk.
pub const REFRESH_AFTER: Duration = Duration::from_secs(30);

/// Work finished on a background thread.
enum Done {
    Index(FileIndex),
    Attached { id: u64, expanded: Expanded },
}

/// A message on its way: `text` is set once its files are read.
struct Waiting {
    id: u64,
    text: Option<String>,
}

/// The finder's and the attachments' state.
pub(in crate::tui) struct Finder {
    /// The open finder's `@`: (row, column). It closes when the cursor leaves that mention.
    open: Option<(usize, usize)>,
    query: String,
    selected: usize,
    index: Option<FileIndex>,
    indexed_at: Option<Instant>,
    walking: bool,
    /// (query, ranking) of the last ranking, for the index as it is.
    ranked: Option<(String, Vec<usize>)>,
    outbox: VecDeque<Waiting>,
    next_id: u64,
    tx: mpsc::Sender<Done>,
    rx: mpsc::Receiver<Done>,
    /// Jobs started and not yet received.
    pending: usize,
    /// Wakes the run loop when a job is done.
    notify: Arc<tokio::sync::Notify>,
}

impl Default for Finder {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel();
        Self {
            open: None,
            query: String::new(),
            selected: 0,
            index: None,
            indexed_at: None,
            walking: false,
            ranked: None,
            outbox: VecDeque::new(),
            next_id: 0,
            tx,
            rx,
            pending: 0,
            notify: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

impl Finder {
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Run `job` on its own thread; its result comes back through the channel.
    /// False when no thread could be started (the job did not run).
    fn spawn(&mut self, job: impl FnOnce() -> Done + Send + 'static) -> bool {
        let tx = self.tx.clone();
        let notify = Arc::clone(&self.notify);
        let started = std::thread::Builder::new()
            .name("harness-files".into())
            .spawn(move || {
                let _ = tx.send(job());
                notify.notify_one();
            });
        if started.is_ok() {
            self.pending += 1;
        }
        started.is_ok()
    }

    /// The ranked entries for the current query.
    fn matches(&mut self) -> &[usize] {
        let Some(index) = &self.index else {
            return &[];
        };
        if self.ranked.as_ref().is_none_or(|(q, _)| *q != self.query) {
            self.ranked = Some((self.query.clone(), index.rank(&self.query)));
        }
        self.ranked.as_ref().map_or(&[], |(_, r)| r.as_slice())
    }
}

impl App {
    fn workspace(&self) -> Option<PathBuf> {
        self.config.workspace.clone()
    }

    /// Wakes the run loop when background work (the file list, attachments) is done.
    pub fn background_notify(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.finder.notify)
    }

    /// Apply background work that is done.
    pub fn background_ready(&mut self) {
        while let Ok(done) = self.finder.rx.try_recv() {
            self.finder.pending = self.finder.pending.saturating_sub(1);
            self.finished(done);
        }
    }

    /// Wait for every background job started so far and apply it (tests and hosts without a
    /// run loop).
    pub fn wait_background(&mut self) {
        while self.finder.pending > 0 {
            match self.finder.rx.recv_timeout(Duration::from_secs(60)) {
                Ok(done) => {
                    self.finder.pending -= 1;
                    self.finished(done);
                }
                Err(_) => break,
            }
        }
    }

    fn finished(&mut self, done: Done) {
        self.mark_dirty();
        match done {
            Done::Index(index) => {
                let f = &mut self.finder;
                f.index = Some(index);
                f.indexed_at = Some(self.clock.now());
                f.walking = false;
                f.ranked = None;
                f.selected = 0;
            }
            Done::Attached { id, expanded } => {
                if let Some(out) = self.finder.outbox.iter_mut().find(|o| o.id == id) {
                    out.text = Some(expanded.text);
                }
                self.flush_outbox();
                // Under the message they are about (unless it waits behind a running turn).
                for notice in &expanded.notices {
                    self.transcript.cells.push(HistoryCell::notice(notice));
                }
                self.transcript.cells.scroll_to_bottom();
            }
        }
    }

    /// List the workspace unless a recent list exists or one is on its way.
    fn refresh_index(&mut self) {
        let Some(root) = self.workspace() else {
            return;
        };
        let now = self.clock.now();
        let fresh = self
            .finder
            .indexed_at
            .is_some_and(|at| now.saturating_duration_since(at) < REFRESH_AFTER);
        if self.finder.walking || fresh {
            return;
        }
        self.finder.walking = self
            .finder
            .spawn(move || Done::Index(FileIndex::walk(&root, MAX_ENTRIES)));
    }

    /// A key for the open finder, before the main screen's keys; false when it does not take
    /// it (typing always goes on to the draft).
    pub(super) fn finder_key(&mut self, key: KeyEvent, state: KeyState) -> bool {
        if !self.finder.is_open() {
            return false;
        }
        let keymap = &self.config.keymap;
        if keymap.resolve(KeyContext::Main, &key, state) == Some(Action::Interrupt) {
            self.finder.open = None;
            return true;
        }
        let action = keymap.resolve(KeyContext::Popup, &key, state);
        let len = self.finder.matches().len();
        if len == 0 {
            return false;
        }
        let f = &mut self.finder;
        match action {
            Some(Action::SelectPrev) => f.selected = (f.selected + len - 1) % len,
            Some(Action::SelectNext) => f.selected = (f.selected + 1) % len,
            Some(Action::Complete | Action::Accept) => self.insert_selected(),
            _ => return false,
        }
        true
    }

    /// Put the selected path in place of the typed `@query`: a file with a space after it
    /// (the finder closes), a directory with its `/` (the finder stays, now inside it).
    fn insert_selected(&mut self) {
        let Some((row, at)) = self.finder.open else {
            return;
        };
        let selected = self.finder.selected;
        let chosen = self.finder.matches().get(selected).copied();
        let Some(entry) = chosen.and_then(|i| self.finder.index.as_ref()?.entries.get(i).cloned())
        else {
            return;
        };
        let mut text = attach::mention_text(&entry.shown());
        if !entry.dir {
            text.push(' ');
        }
        self.draft.composer.replace_word(row, at, &text);
        self.draft.inline_error = None;
        self.finder_follow_cursor(false);
    }

    /// After a key: open the finder on a freshly typed `@` at a word start, follow the
    /// query, or close it when the cursor left the mention (or the draft was cleared).
    pub(super) fn finder_after_key(&mut self, typed_at: bool) {
        self.finder_follow_cursor(typed_at);
    }

    /// After a paste or a new draft: the finder follows (or closes); it does not open.
    pub(super) fn finder_after_paste(&mut self) {
        self.finder_follow_cursor(false);
    }

    fn finder_follow_cursor(&mut self, may_open: bool) {
        if self.workspace().is_none() {
            return;
        }
        let mention = self.draft.composer.mention_at_cursor();
        let f = &mut self.finder;
        match mention {
            Some(m) if f.open == Some((m.row, m.at)) || (may_open && m.query.is_empty()) => {
                let opening = f.open.is_none();
                if f.query != m.query || opening {
                    f.selected = 0;
                }
                f.open = Some((m.row, m.at));
                f.query = m.query;
                if opening {
                    self.refresh_index();
                }
            }
            _ => f.open = None,
        }
    }

    /// Rows the open finder wants (with its border).
    pub(in crate::tui) fn finder_height(&mut self) -> Option<u16> {
        if !self.finder.is_open() {
            return None;
        }
        let rows = self.finder.matches().len().clamp(1, MAX_ROWS);
        Some(rows as u16 + 2)
    }

    /// Draw the open finder above the composer, over the transcript's last rows.
    pub(in crate::tui) fn render_finder(&mut self, transcript: Rect, buf: &mut Buffer) {
        if !self.finder.is_open() {
            return;
        }
        // Only the rows that can show: the window ending at the selection.
        let total = self.finder.matches().len();
        let selected = self.finder.selected.min(total.saturating_sub(1));
        self.finder.selected = selected;
        let start = selected.saturating_sub(MAX_ROWS - 1);
        let window = self.finder.matches()[start..total.min(start + MAX_ROWS)].to_vec();
        let paths: Vec<String> = match &self.finder.index {
            Some(index) => window.iter().map(|&i| index.entries[i].shown()).collect(),
            None => Vec::new(),
        };
        let f = &self.finder;
        let list = FileList {
            query: &f.query,
            paths: &paths,
            selected: selected - start,
            loading: f.index.is_none(),
            capped_at: f
                .index
                .as_ref()
                .filter(|i| i.capped)
                .map(|i| i.entries.len()),
        };
        let h = list.height().min(transcript.height);
        let area = Rect::new(
            transcript.x,
            transcript.y + transcript.height - h,
            transcript.width,
            h,
        );
        list.render(area, buf, &self.theme);
    }

    /// A message the user sent: when it mentions files, read them in the background and send
    /// it when that is done (true). False: send it now as it is.
    pub(super) fn send_with_attachments(&mut self, text: &str) -> bool {
        let Some(root) = self.workspace() else {
            return false;
        };
        let waiting = !self.finder.outbox.is_empty();
        if attach::mentions(text).is_empty() && !waiting {
            return false;
        }
        self.draft.sent(text);
        self.finder.open = None;
        let id = self.finder.next_id;
        self.finder.next_id += 1;
        if attach::mentions(text).is_empty() {
            // Behind a message whose files are being read: it waits its turn.
            self.finder.outbox.push_back(Waiting {
                id,
                text: Some(text.to_string()),
            });
            return true;
        }
        self.finder.outbox.push_back(Waiting { id, text: None });
        let typed = text.to_string();
        let started = self.finder.spawn(move || Done::Attached {
            id,
            expanded: attach::read::expand(&root, &typed),
        });
        if !started {
            // Never hold the message back: it goes as typed.
            self.finished(Done::Attached {
                id,
                expanded: Expanded {
                    text: text.to_string(),
                    notices: vec![
                        "the attached files could not be read (no thread could start); sent as text"
                            .into(),
                    ],
                },
            });
        }
        true
    }

    /// Send the messages at the front of the outbox that are ready, in order (a large one
    /// asks first; the rest wait for the answer).
    pub(super) fn flush_outbox(&mut self) {
        while self.popups.confirm.is_none() {
            let ready = self.finder.outbox.front().is_some_and(|o| o.text.is_some());
            if !ready {
                return;
            }
            let Some(text) = self.finder.outbox.pop_front().and_then(|o| o.text) else {
                return;
            };
            let stats = &self.session.stats;
            match SendConfirm::check(&text, stats.context_tokens, stats.context_window) {
                Some(confirm) => {
                    let typed = attach::split(&text).0.to_string();
                    self.popups.confirm = Some(confirm.already_sent_from_draft(typed));
                }
                None => self.send_taken(text),
            }
        }
    }
}
