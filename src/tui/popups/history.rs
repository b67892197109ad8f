//! The /history browser: conversations (title, agent, model, updated, messages), newest first,
//! fetched a page at a time from the core (`ListConversations`), so it stays instant with
//! thousands of conversations. `/` edits an incremental full-text search; `d` soft-deletes,
//! `u` restores, `x` shows or hides deleted conversations (hidden at first), Enter opens,
//! PgUp/PgDn page, Esc closes.

use super::list::{HintStyle, ListView, render_hints};
use crate::message::{ConversationId, ConversationSummary};
use crate::protocol::Op;
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

/// Conversations per page.
pub const PAGE_SIZE: usize = 50;

#[derive(Debug, PartialEq)]
pub enum HistoryOutcome {
    Pending,
    Close,
    Send(Op),
    Open(ConversationId),
}

pub struct HistoryBrowser {
    query: String,
    searching: bool,
    rows: Vec<ConversationSummary>,
    offset: usize,
    total: usize,
    selected: usize,
    loading: bool,
    /// Deleted conversations are listed too (`x`).
    show_deleted: bool,
}

impl Default for HistoryBrowser {
    fn default() -> Self {
        Self::new()
    }
}

impl HistoryBrowser {
    pub fn new() -> Self {
        Self {
            query: String::new(),
            searching: false,
            rows: Vec::new(),
            offset: 0,
            total: 0,
            selected: 0,
            loading: true,
            show_deleted: false,
        }
    }

    /// The request that fills the current page.
    pub fn request(&self) -> Op {
        Op::ListConversations {
            query: (!self.query.is_empty()).then(|| self.query.clone()),
            offset: self.offset,
            limit: PAGE_SIZE,
            include_deleted: self.show_deleted,
        }
    }

    /// Apply a `ConversationList` answer; answers to an older query or page are ignored.
    pub fn apply_list(
        &mut self,
        query: Option<&str>,
        offset: usize,
        total: usize,
        conversations: Vec<ConversationSummary>,
    ) {
        if query.unwrap_or("") != self.query || offset != self.offset {
            return;
        }
        self.rows = conversations;
        self.total = total;
        self.loading = false;
        if self.selected >= self.rows.len() {
            self.selected = self.rows.len().saturating_sub(1);
        }
    }

    pub fn apply_deleted(&mut self, id: ConversationId, deleted: bool) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == id) {
            row.deleted = deleted;
        }
    }

    fn refetch(&mut self) -> HistoryOutcome {
        self.loading = true;
        HistoryOutcome::Send(self.request())
    }

    /// A key while the search query is edited: every key goes to the query.
    fn search_key(&mut self, key: KeyEvent) -> HistoryOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.searching = false;
                if !self.query.is_empty() {
                    self.query.clear();
                    self.offset = 0;
                    self.selected = 0;
                    return self.refetch();
                }
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Tab => self.searching = false,
            KeyCode::Backspace => {
                self.query.pop();
                self.offset = 0;
                self.selected = 0;
                return self.refetch();
            }
            KeyCode::Char(c) if !ctrl => {
                self.query.push(c);
                self.offset = 0;
                self.selected = 0;
                return self.refetch();
            }
            _ => {}
        }
        HistoryOutcome::Pending
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> HistoryOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.searching {
            return self.search_key(key);
        }
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return HistoryOutcome::Close,
            KeyCode::Char('c') if ctrl => return HistoryOutcome::Close,
            KeyCode::Char('/') => self.searching = true,
            KeyCode::Char('x') => {
                self.show_deleted = !self.show_deleted;
                self.offset = 0;
                self.selected = 0;
                return self.refetch();
            }
            KeyCode::Up | KeyCode::Char('k') => {
                if self.selected > 0 {
                    self.selected -= 1;
                } else if self.offset > 0 {
                    self.offset = self.offset.saturating_sub(PAGE_SIZE);
                    self.selected = PAGE_SIZE - 1;
                    return self.refetch();
                }
            }
            KeyCode::Down | KeyCode::Char('j') => {
                if self.selected + 1 < self.rows.len() {
                    self.selected += 1;
                } else if self.offset + self.rows.len() < self.total {
                    self.offset += PAGE_SIZE;
                    self.selected = 0;
                    return self.refetch();
                }
            }
            KeyCode::PageDown => {
                if self.offset + PAGE_SIZE < self.total {
                    self.offset += PAGE_SIZE;
                    self.selected = 0;
                    return self.refetch();
                }
                self.selected = self.rows.len().saturating_sub(1);
            }
            KeyCode::PageUp => {
                if self.offset > 0 {
                    self.offset = self.offset.saturating_sub(PAGE_SIZE);
                    self.selected = 0;
                    return self.refetch();
                }
                self.selected = 0;
            }
            KeyCode::Enter => {
                if let Some(row) = self.rows.get(self.selected) {
                    return HistoryOutcome::Open(row.id);
                }
            }
            KeyCode::Char('d') => {
                if let Some(row) = self.rows.get(self.selected).filter(|r| !r.deleted) {
                    return HistoryOutcome::Send(Op::DeleteConversation {
                        conversation_id: row.id,
                    });
                }
            }
            KeyCode::Char('u') => {
                if let Some(row) = self.rows.get(self.selected).filter(|r| r.deleted) {
                    return HistoryOutcome::Send(Op::RestoreConversation {
                        conversation_id: row.id,
                    });
                }
            }
            _ => {}
        }
        HistoryOutcome::Pending
    }

    /// `search: QUERY  1-50 of 120` above the list.
    fn search_line(&self, theme: &Theme) -> Line<'static> {
        let s = &theme.styles;
        Line::from(vec![
            Span::styled(
                if self.searching {
                    "search› "
                } else {
                    "search: "
                },
                if self.searching { s.key_hint } else { s.dim },
            ),
            Span::styled(self.query.clone(), s.text),
            Span::styled(if self.searching { "▏" } else { "" }, s.key_hint),
            Span::styled(
                if self.loading {
                    "  loading…".to_string()
                } else if self.total > 0 {
                    format!(
                        "  {}-{} of {}",
                        self.offset + 1,
                        self.offset + self.rows.len(),
                        self.total
                    )
                } else {
                    String::new()
                },
                s.dim,
            ),
        ])
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let s = &theme.styles;
        let area = super::centered(
            area,
            area.width.saturating_sub(4).max(20),
            area.height.saturating_sub(2).max(6),
        );
        super::clear(area, buf);
        let title = format!(
            " history · {} conversation{} ",
            self.total,
            if self.total == 1 { "" } else { "s" }
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(s.popup_border)
            .title(Span::styled(title, s.popup_title))
            .title_bottom(render_hints(
                &[
                    ("/", "search"),
                    ("Enter", "open"),
                    ("d", "delete"),
                    ("u", "restore"),
                    (
                        "x",
                        if self.show_deleted {
                            "hide deleted"
                        } else {
                            "show deleted"
                        },
                    ),
                    ("PgUp/PgDn", "page"),
                    ("Esc", "close"),
                ],
                HintStyle {
                    key: s.key_hint,
                    label: s.dim,
                    gap: " ",
                    pad: true,
                },
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height < 2 {
            return;
        }
        let search = self.search_line(theme);
        buf.set_line(inner.x, inner.y, &search, inner.width);
        self.render_rows(inner, buf, theme);
    }

    /// The column header and the conversations under it (below the search line).
    fn render_rows(&self, inner: Rect, buf: &mut Buffer, theme: &Theme) {
        let s = &theme.styles;
        let width = inner.width as usize;
        // Columns: updated (16), messages (6), agent (10), model (24), title (rest).
        let model_w = 24.min(width / 4);
        let agent_w = 10.min(width / 8);
        let title_w = width.saturating_sub(16 + 2 + 6 + 2 + agent_w + 2 + model_w + 2);
        let header = format!(
            "{:<16}  {:>6}  {:<agent_w$}  {:<model_w$}  {}",
            "updated", "msgs", "agent", "model", "title"
        );
        buf.set_line(
            inner.x,
            inner.y + 1,
            &Line::from(Span::styled(header, s.dim)),
            inner.width,
        );
        let list = Rect::new(
            inner.x,
            inner.y + 2,
            inner.width,
            inner.height.saturating_sub(2),
        );
        let view = ListView {
            len: self.rows.len(),
            selected: self.selected,
            empty: match (self.loading, self.query.is_empty()) {
                (true, _) => None,
                (false, true) => Some("no conversations yet"),
                (false, false) => Some("no conversation matches"),
            },
        };
        view.render(list, buf, theme, |i, selected| {
            let conv = &self.rows[i];
            let title = if conv.deleted {
                format!("{} (deleted)", conv.title)
            } else {
                conv.title.clone()
            };
            let text = format!(
                "{:<16}  {:>6}  {:<agent_w$}  {:<model_w$}  {}",
                conv.updated_at.format("%Y-%m-%d %H:%M"),
                conv.message_count,
                super::truncate(&conv.agent, agent_w),
                super::truncate(conv.model.as_deref().unwrap_or("auto"), model_w),
                super::truncate(
                    &crate::sanitize::strip_cells(&title).replace('\n', " "),
                    title_w
                ),
            );
            let style = if selected {
                s.popup_selected
            } else if conv.deleted {
                s.deleted
            } else {
                s.text
            };
            Line::from(Span::styled(format!("{text:<width$}"), style))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(i: usize, deleted: bool) -> ConversationSummary {
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        ConversationSummary {
            id: ConversationId(uuid::Uuid::from_u128(i as u128)),
            title: format!("conversation {i}"),
            agent: "general".into(),
            model: None,
            created_at: t,
            updated_at: t,
            message_count: 2,
            deleted,
        }
    }

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::from(c)
    }

    #[test]
    fn search_pages_delete_restore_and_open() {
        let mut b = HistoryBrowser::new();
        b.apply_list(None, 0, 120, (0..50).map(|i| conv(i, i == 1)).collect());
        b.handle_key(key(KeyCode::Char('/')));
        let HistoryOutcome::Send(op) = b.handle_key(key(KeyCode::Char('x'))) else {
            panic!("search sends")
        };
        assert_eq!(
            op,
            Op::ListConversations {
                query: Some("x".into()),
                offset: 0,
                limit: PAGE_SIZE,
                include_deleted: false
            }
        );
        // A stale answer (old query) is ignored.
        b.apply_list(None, 0, 120, vec![conv(99, false)]);
        assert_eq!(b.rows.len(), 50);
        b.handle_key(key(KeyCode::Esc));
        b.apply_list(None, 0, 120, (0..50).map(|i| conv(i, i == 1)).collect());
        assert_eq!(
            b.handle_key(key(KeyCode::Char('d'))),
            HistoryOutcome::Send(Op::DeleteConversation {
                conversation_id: conv(0, false).id
            })
        );
        assert_eq!(
            b.handle_key(key(KeyCode::Char('u'))),
            HistoryOutcome::Pending,
            "not deleted: nothing to restore"
        );
        b.handle_key(key(KeyCode::Down));
        assert_eq!(
            b.handle_key(key(KeyCode::Char('u'))),
            HistoryOutcome::Send(Op::RestoreConversation {
                conversation_id: conv(1, false).id
            })
        );
        b.apply_deleted(conv(1, false).id, false);
        assert!(!b.rows[1].deleted);
        let HistoryOutcome::Send(op) = b.handle_key(key(KeyCode::PageDown)) else {
            panic!("paging sends")
        };
        assert_eq!(
            op,
            Op::ListConversations {
                query: None,
                offset: 50,
                limit: PAGE_SIZE,
                include_deleted: false
            }
        );
        b.apply_list(None, 50, 120, (50..100).map(|i| conv(i, false)).collect());
        assert_eq!(
            b.handle_key(key(KeyCode::Enter)),
            HistoryOutcome::Open(conv(50, false).id)
        );
        assert_eq!(b.handle_key(key(KeyCode::Esc)), HistoryOutcome::Close);
    }

    #[test]
    fn deleted_conversations_are_hidden_until_asked() {
        let mut b = HistoryBrowser::new();
        let Op::ListConversations {
            include_deleted, ..
        } = b.request()
        else {
            panic!("lists")
        };
        assert!(!include_deleted, "hidden at first");
        let HistoryOutcome::Send(Op::ListConversations {
            include_deleted, ..
        }) = b.handle_key(key(KeyCode::Char('x')))
        else {
            panic!("x asks again")
        };
        assert!(include_deleted, "x shows them");
    }
}
