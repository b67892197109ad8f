//! The session's side of long-term memory: recall before a turn (the memories above the
//! similarity floor become a quoted block of the request's system prompt, and an
//! `Event::MemoryRecalled` tells the front ends what was recalled), and the `/memory` and
//! `/remember` ops of the TUI. The memory itself is `crate::memory`, for the store's profile.
//! (A child module of `session`.)

use super::*;
use crate::memory::recall;
use crate::protocol::RecalledMemory;

impl Session {
    /// Before a turn: recall what is relevant to `text` into `turn.recalled_context`.
    pub(super) async fn recall_for_turn(&mut self, text: &str) {
        self.turn.recalled_context = None;
        let Some(memory) = self.deps.memory.clone() else {
            return;
        };
        if !memory.config().auto_recall {
            return;
        }
        let found = match memory.recall(text).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!("memory recall failed: {e}");
                return;
            }
        };
        if found.hits.is_empty() {
            return;
        }
        self.turn.recalled_context = recall::context_block(&found.hits);
        self.emit(Event::MemoryRecalled {
            memories: found
                .hits
                .iter()
                .map(|h| RecalledMemory {
                    id: h.id.clone(),
                    text: h.text.clone(),
                    score: h.score,
                })
                .collect(),
            note: found.notes.first().cloned(),
        });
    }

    /// `/remember TEXT`.
    pub(super) async fn remember(&mut self, text: String) {
        let Some(memory) = self.deps.memory.clone() else {
            return self.error(memory_off());
        };
        match memory.add(&text, "tui").await {
            Ok((row, note)) => {
                let mut message = format!(
                    "remembered {}: “{}”",
                    recall::short_id(&row.id),
                    recall::preview(&row.text, 80)
                );
                if let Some(note) = note {
                    message.push_str(&format!(" ({note})"));
                }
                self.reply(Event::Notice { message });
            }
            Err(e) => self.error(format!("cannot remember that: {e}")),
        }
    }

    /// `/memory [query]`: the best matches, or the newest memories.
    pub(super) async fn show_memory(&mut self, query: Option<String>) {
        let Some(memory) = self.deps.memory.clone() else {
            return self.error(memory_off());
        };
        let query = query.filter(|q| !q.trim().is_empty());
        let result = match &query {
            Some(q) => memory.search(q, 10).await.map(|f| {
                let lines = f
                    .hits
                    .iter()
                    .map(|h| {
                        format!(
                            "{} {}",
                            recall::short_id(&h.id),
                            recall::preview(&h.text, 100)
                        )
                    })
                    .collect::<Vec<_>>();
                (lines, f.notes)
            }),
            None => memory.list(10).await.map(|rows| {
                let lines = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {}",
                            recall::short_id(&r.id),
                            recall::preview(&r.text, 100)
                        )
                    })
                    .collect::<Vec<_>>();
                (lines, Vec::new())
            }),
        };
        match result {
            Ok((lines, notes)) => {
                let head = match (&query, lines.is_empty()) {
                    (Some(q), true) => format!("no memories match “{q}”"),
                    (None, true) => "no memories yet: save one with /remember TEXT".to_string(),
                    (Some(q), false) => format!("memories matching “{q}”:"),
                    (None, false) => "newest memories:".to_string(),
                };
                let mut message = head;
                for line in lines.iter().chain(notes.iter()) {
                    message.push('\n');
                    message.push_str(line);
                }
                self.reply(Event::Notice { message });
            }
            Err(e) => self.error(format!("memory search failed: {e}")),
        }
    }
}

fn memory_off() -> String {
    "memory is off: set `[memory] enabled = true` in config.toml (see README \"Memory\")"
        .to_string()
}
