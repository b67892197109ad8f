//! The prompt editor (tui-textarea). With the default keymap ([`super::keymap`], composer
//! context): Enter sends, Shift+Enter / Alt+Enter / Ctrl+J insert a newline, pastes are inserted whole as text (a large one collapsed to a `[pasted N lines]`
//! token, see [`pastes`]), Up/Down on the first/last line recall earlier prompts (the list is
//! loaded from the core, so it persists across sessions), Ctrl+R searches them. The `@` mention
//! under the cursor (for the file finder) is found and replaced in [`mention`].
//!
//! A line longer than the composer wraps onto the next rows (by word, inside a word that is
//! too long; see [`wrapping`]); Up/Down/Home/End move over those rows as they would over
//! lines, and the composer grows to [`MAX_VISIBLE_LINES`] rows, then scrolls.
//!
//! Nothing that enters the editor can reach the terminal as a control: typed, pasted, recalled
//! and edited-outside text all pass through [`crate::sanitize::show`], so ESC shows as `␛` and
//! a bidi override as `<U+202E>`, and that visible text is what gets sent.

mod mention;
mod pastes;
mod rows;
mod wrapping;
pub use mention::MentionAt;
pub use pastes::{COLLAPSE_CHARS, COLLAPSE_LINES};

use super::keymap::{Action, KeyContext, KeyState, Keymap};
use super::theme::Theme;
use crate::sanitize;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pastes::Pastes;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};
use tui_textarea::{CursorMove, TextArea};

/// Most lines the composer grows to before it scrolls.
const MAX_VISIBLE_LINES: u16 = 10;
/// Prompts kept for recall.
const MAX_HISTORY: usize = 1_000;

#[derive(Debug, PartialEq, Eq)]
pub enum ComposerOutcome {
    /// The key changed the draft (or was consumed).
    Handled,
    /// Enter on a non-blank draft: send this text. The draft is left for the caller to clear.
    Submit(String),
}

struct PromptSearch {
    query: String,
    /// Index into `history` of the shown match.
    hit: Option<usize>,
    /// The draft before the search started (restored on Esc).
    original: String,
}

pub struct Composer {
    textarea: TextArea<'static>,
    history: Vec<String>,
    recall: Option<usize>,
    saved_draft: String,
    search: Option<PromptSearch>,
    /// Collapsed large pastes of the current draft.
    pastes: Pastes,
    /// Columns of text at the last frame (0 before the first): what the draft wraps at.
    width: u16,
    /// The first screen row shown (the draft scrolls past `MAX_VISIBLE_LINES` rows).
    top: usize,
    /// The column Up/Down keep to while moving over rows of different lengths.
    goal: Option<usize>,
}

impl Default for Composer {
    fn default() -> Self {
        Self::new()
    }
}

impl Composer {
    pub fn new() -> Self {
        Self {
            textarea: new_textarea(""),
            history: Vec::new(),
            recall: None,
            saved_draft: String::new(),
            search: None,
            pastes: Pastes::default(),
            width: 0,
            top: 0,
            goal: None,
        }
    }

    /// The draft as it will be sent (collapsed pastes expanded).
    pub fn text(&self) -> String {
        self.pastes.expand(&self.shown_text())
    }

    /// The draft as shown (collapsed pastes as their tokens).
    pub fn shown_text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.textarea.is_empty() || self.textarea.lines().iter().all(|l| l.is_empty())
    }

    pub fn is_searching(&self) -> bool {
        self.search.is_some()
    }

    /// Replace the draft (its collapsed pastes are dropped: `text` is the whole draft).
    pub fn set_text(&mut self, text: &str) {
        self.pastes.clear();
        self.textarea = new_textarea(text);
        self.textarea.move_cursor(CursorMove::Bottom);
        self.textarea.move_cursor(CursorMove::End);
    }

    /// Put the cursor after the last character (the text and its paste tokens unchanged).
    pub fn cursor_to_end(&mut self) {
        self.textarea.move_cursor(CursorMove::Bottom);
        self.textarea.move_cursor(CursorMove::End);
    }

    pub fn clear(&mut self) {
        self.set_text("");
        self.recall = None;
        self.search = None;
    }

    /// Replace the recall list (oldest first), keeping prompts recorded this session.
    pub fn set_history(&mut self, prompts: Vec<String>) {
        let session = std::mem::take(&mut self.history);
        self.history = prompts;
        for p in session {
            self.record(&p);
        }
        self.recall = None;
    }

    /// Remember a sent prompt for recall.
    pub fn record(&mut self, prompt: &str) {
        if prompt.trim().is_empty() || self.history.last().is_some_and(|l| l == prompt) {
            return;
        }
        self.history.push(prompt.to_string());
        if self.history.len() > MAX_HISTORY {
            let extra = self.history.len() - MAX_HISTORY;
            self.history.drain(..extra);
        }
        self.recall = None;
    }

    /// Insert pasted text at the cursor, whole (newlines kept, `\r\n` normalised, controls
    /// made visible); a large paste as one collapsed token.
    pub fn paste(&mut self, text: &str) {
        let text = sanitize::show(&text.replace("\r\n", "\n").replace('\r', "\n"));
        // A paste ends a prompt search, keeping the match shown (as Enter does).
        self.search = None;
        if pastes::is_large(&text) {
            let token = self.pastes.add(text);
            self.textarea.insert_str(token);
        } else {
            self.textarea.insert_str(text);
        }
    }

    /// Handle a key with the default keymap.
    pub fn handle_key(&mut self, key: KeyEvent) -> ComposerOutcome {
        self.handle_key_in(Keymap::defaults(), key)
    }

    /// Handle a key: what `keymap` binds in the composer context (send, newline, recall,
    /// search), else an edit of the draft.
    pub fn handle_key_in(&mut self, keymap: &Keymap, key: KeyEvent) -> ComposerOutcome {
        if self.search.is_some() {
            return self.handle_search_key(key);
        }
        if !matches!(key.code, KeyCode::Up | KeyCode::Down) {
            self.goal = None;
        }
        let state = KeyState {
            draft_empty: self.is_empty(),
        };
        if let Some(action) = keymap.resolve(KeyContext::Composer, &key, state) {
            if let Some(outcome) = self.perform(action) {
                return outcome;
            }
        }
        match key.code {
            KeyCode::Char(c) if sanitize::is_unsafe(c) => {
                self.textarea.insert_str(sanitize::placeholder(c));
            }
            _ if erase(&key).is_some_and(|(back, word)| self.delete_token(back, word)) => {}
            _ if self.move_on_rows(&key) => {}
            KeyCode::Left | KeyCode::Right if !self.pastes.is_empty() => {
                self.textarea.input(key);
                self.snap_out_of_token(key.code == KeyCode::Right);
            }
            _ => {
                self.textarea.input(key);
                self.snap_out_of_token(true);
            }
        }
        ComposerOutcome::Handled
    }

    /// Carry out a composer action; `None` when it does not apply now (recall on a middle
    /// line), so the key edits the draft instead.
    fn perform(&mut self, action: Action) -> Option<ComposerOutcome> {
        match action {
            Action::Newline => self.textarea.insert_newline(),
            Action::Submit => {
                let text = self.text();
                if !text.trim().is_empty() {
                    return Some(ComposerOutcome::Submit(text));
                }
            }
            Action::HistoryUp if self.cursor_row().0 == 0 && !self.history.is_empty() => {
                self.recall_older();
            }
            Action::HistoryDown if self.recall.is_some() && self.cursor_row().1 => {
                self.recall_newer();
            }
            Action::ClearLine => {
                self.textarea.move_cursor(CursorMove::Head);
                self.textarea.delete_line_by_end();
            }
            Action::SearchHistory => {
                self.search = Some(PromptSearch {
                    query: String::new(),
                    hit: None,
                    original: self.text(),
                });
            }
            _ => return None,
        }
        Some(ComposerOutcome::Handled)
    }

    /// Erasing into a collapsed paste removes it whole: backward from just after it, forward
    /// from just before it (for a word erase, across the blanks in between too).
    fn delete_token(&mut self, backward: bool, word: bool) -> bool {
        let (row, col) = self.textarea.cursor();
        let Some(line) = self.textarea.lines().get(row) else {
            return false;
        };
        let chars: Vec<char> = line.chars().collect();
        let mut edge = col.min(chars.len());
        if word {
            if backward {
                while edge > 0 && chars[edge - 1].is_whitespace() {
                    edge -= 1;
                }
            } else {
                while edge < chars.len() && chars[edge].is_whitespace() {
                    edge += 1;
                }
            }
        }
        let (from, to) = if backward {
            match self.pastes.ending_at(line, edge) {
                Some((start, _)) => (start, col),
                None => return false,
            }
        } else {
            match self.pastes.starting_at(line, edge) {
                Some((_, end)) => (col, end),
                None => return false,
            }
        };
        self.textarea.move_cursor(jump(row, from));
        self.textarea.delete_str(to - from);
        true
    }

    /// Never leave the cursor inside a collapsed paste: move it to the token's end (or start).
    fn snap_out_of_token(&mut self, to_end: bool) {
        if self.pastes.is_empty() {
            return;
        }
        let (row, col) = self.textarea.cursor();
        let Some(line) = self.textarea.lines().get(row) else {
            return;
        };
        if let Some((start, end)) = self.pastes.around(line, col) {
            let col = if to_end { end } else { start };
            self.textarea.move_cursor(jump(row, col));
        }
    }

    fn recall_older(&mut self) {
        let next = match self.recall {
            None => {
                self.saved_draft = self.text();
                self.history.len().checked_sub(1)
            }
            Some(0) => Some(0),
            Some(i) => Some(i - 1),
        };
        if let Some(i) = next {
            self.recall = Some(i);
            let text = self.history[i].clone();
            self.set_text(&text);
        }
    }

    fn recall_newer(&mut self) {
        match self.recall {
            Some(i) if i + 1 < self.history.len() => {
                self.recall = Some(i + 1);
                let text = self.history[i + 1].clone();
                self.set_text(&text);
            }
            Some(_) => {
                self.recall = None;
                let draft = std::mem::take(&mut self.saved_draft);
                self.set_text(&draft);
            }
            None => {}
        }
    }

    fn handle_search_key(&mut self, key: KeyEvent) -> ComposerOutcome {
        let Some(search) = self.search.as_mut() else {
            return ComposerOutcome::Handled;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc | KeyCode::Char('g') if key.code == KeyCode::Esc || ctrl => {
                let original = std::mem::take(&mut search.original);
                self.search = None;
                self.set_text(&original);
                return ComposerOutcome::Handled;
            }
            KeyCode::Char('r') if ctrl => {
                let before = search.hit.unwrap_or(self.history.len());
                search.hit = find_before(&self.history, &search.query, before).or(search.hit);
            }
            KeyCode::Backspace => {
                search.query.pop();
                search.hit = find_before(&self.history, &search.query, self.history.len());
            }
            KeyCode::Char(c) if !ctrl => {
                search.query.push(c);
                search.hit = find_before(&self.history, &search.query, self.history.len());
            }
            KeyCode::Enter | KeyCode::Tab | KeyCode::Right | KeyCode::Left => {
                // A match is taken into the draft; with none, the draft is as it was.
                let original = std::mem::take(&mut search.original);
                let matched = search.hit.is_some();
                self.search = None;
                if !matched {
                    self.set_text(&original);
                }
                return ComposerOutcome::Handled;
            }
            _ => {}
        }
        let shown = search
            .hit
            .and_then(|i| self.history.get(i).cloned())
            .unwrap_or_default();
        self.textarea = new_textarea(&shown);
        self.textarea.move_cursor(CursorMove::Bottom);
        self.textarea.move_cursor(CursorMove::End);
        ComposerOutcome::Handled
    }

    /// Rows the composer wants at `width` columns (the rows its text wraps into, up to
    /// [`MAX_VISIBLE_LINES`], plus its top border).
    pub fn height(&self, width: u16) -> u16 {
        let lines = self.textarea.lines();
        let rows = match width {
            0 => lines.len(),
            w => wrapping::layout(lines, usize::from(w)).len(),
        };
        u16::try_from(rows.max(1))
            .unwrap_or(u16::MAX)
            .min(MAX_VISIBLE_LINES)
            + 1
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme, busy: bool) {
        let s = &theme.styles;
        let border = if busy {
            s.composer_busy_border
        } else {
            s.composer_border
        };
        let title = match &self.search {
            Some(search) => Line::from(vec![
                Span::styled(" reverse search: ", s.key_hint),
                Span::styled(search.query.clone(), s.search_match),
                Span::styled(
                    if search.hit.is_none() && !search.query.is_empty() {
                        " (no match) "
                    } else {
                        " "
                    },
                    s.dim,
                ),
            ]),
            None => Line::default(),
        };
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(border)
            .title(title);
        let inner = block.inner(area);
        self.width = inner.width;
        if self.textarea.is_empty() {
            // The placeholder, drawn by the editor.
            self.top = 0;
            self.textarea.set_block(block);
            self.textarea.set_style(s.text);
            self.textarea.set_placeholder_style(s.placeholder);
            (&self.textarea).render(area, buf);
            return;
        }
        (&block).render(area, buf);
        self.render_rows(inner, buf, s.text);
    }
}

/// The erase a key does in the editor, as (backward, by word); `None` for other keys.
fn erase(key: &KeyEvent) -> Option<(bool, bool)> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Backspace if alt => Some((true, true)),
        KeyCode::Backspace => Some((true, false)),
        KeyCode::Char('h') if ctrl => Some((true, false)),
        KeyCode::Char('w') if ctrl => Some((true, true)),
        KeyCode::Char('h') if alt => Some((true, true)),
        KeyCode::Delete if alt => Some((false, true)),
        KeyCode::Delete => Some((false, false)),
        KeyCode::Char('d') if ctrl => Some((false, false)),
        KeyCode::Char('d') if alt => Some((false, true)),
        _ => None,
    }
}

fn jump(row: usize, col: usize) -> CursorMove {
    let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    CursorMove::Jump(clamp(row), clamp(col))
}

fn new_textarea(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = sanitize::show(text)
        .split('\n')
        .map(str::to_string)
        .collect();
    let mut textarea = TextArea::new(lines);
    textarea.set_cursor_line_style(ratatui::style::Style::default());
    textarea.set_placeholder_text("Ask anything · / for commands · Ctrl+R search prompts");
    textarea
}

fn find_before(history: &[String], query: &str, before: usize) -> Option<usize> {
    if query.is_empty() {
        return None;
    }
    let query = query.to_lowercase();
    history[..before.min(history.len())]
        .iter()
        .rposition(|p| p.to_lowercase().contains(&query))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn with(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    fn typed(c: &mut Composer, text: &str) {
        for ch in text.chars() {
            c.handle_key(key(KeyCode::Char(ch)));
        }
    }

    #[test]
    fn enter_sends_and_modified_enter_inserts_newlines() {
        let mut c = Composer::new();
        typed(&mut c, "a");
        c.handle_key(with(KeyCode::Enter, KeyModifiers::SHIFT));
        typed(&mut c, "b");
        c.handle_key(with(KeyCode::Enter, KeyModifiers::ALT));
        typed(&mut c, "c");
        c.handle_key(with(KeyCode::Char('j'), KeyModifiers::CONTROL));
        typed(&mut c, "d");
        assert_eq!(
            c.handle_key(key(KeyCode::Enter)),
            ComposerOutcome::Submit("a\nb\nc\nd".into())
        );
        c.clear();
        assert_eq!(
            c.handle_key(key(KeyCode::Enter)),
            ComposerOutcome::Handled,
            "blank drafts are not sent"
        );
    }

    #[test]
    fn paste_keeps_every_line() {
        let mut c = Composer::new();
        let big: String = (0..5000).map(|i| format!("line {i}\r\n")).collect();
        c.paste(&big);
        assert_eq!(c.text(), big.replace("\r\n", "\n"));
    }

    #[test]
    fn up_and_down_recall_prompts_and_restore_the_draft() {
        let mut c = Composer::new();
        c.set_history(vec!["first".into(), "second".into()]);
        typed(&mut c, "draft");
        c.handle_key(key(KeyCode::Up));
        assert_eq!(c.text(), "second");
        c.handle_key(key(KeyCode::Up));
        assert_eq!(c.text(), "first");
        c.handle_key(key(KeyCode::Up));
        assert_eq!(c.text(), "first", "stops at the oldest");
        c.handle_key(key(KeyCode::Down));
        assert_eq!(c.text(), "second");
        c.handle_key(key(KeyCode::Down));
        assert_eq!(c.text(), "draft");
    }

    #[test]
    fn ctrl_r_searches_backwards_and_esc_restores() {
        let mut c = Composer::new();
        c.set_history(vec![
            "cargo build".into(),
            "git status".into(),
            "cargo test".into(),
        ]);
        typed(&mut c, "mine");
        c.handle_key(with(KeyCode::Char('r'), KeyModifiers::CONTROL));
        typed(&mut c, "cargo");
        assert_eq!(c.text(), "cargo test");
        c.handle_key(with(KeyCode::Char('r'), KeyModifiers::CONTROL));
        assert_eq!(c.text(), "cargo build");
        c.handle_key(key(KeyCode::Enter));
        assert!(!c.is_searching());
        assert_eq!(c.text(), "cargo build");
        c.handle_key(with(KeyCode::Char('r'), KeyModifiers::CONTROL));
        typed(&mut c, "git");
        c.handle_key(key(KeyCode::Esc));
        assert_eq!(c.text(), "cargo build");
    }
}
