//! The `@` mention under the cursor, for the file finder: where it starts and what is typed
//! after it, and replacing it whole with the chosen path.

use super::{Composer, jump};
use crate::sanitize;

/// An `@` mention at the cursor ([`Composer::mention_at_cursor`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionAt {
    pub row: usize,
    /// The column of the `@`.
    pub at: usize,
    /// What is typed after the `@` up to the cursor (without an opening quote).
    pub query: String,
}

impl Composer {
    /// The `@` mention the cursor is in: an `@` starting a word, the cursor after it in the
    /// same word. `None` while searching prompts.
    pub fn mention_at_cursor(&self) -> Option<MentionAt> {
        if self.search.is_some() {
            return None;
        }
        let (row, col) = self.textarea.cursor();
        let chars: Vec<char> = self.textarea.lines().get(row)?.chars().collect();
        let col = col.min(chars.len());
        let start = chars[..col]
            .iter()
            .rposition(|c| c.is_whitespace())
            .map_or(0, |i| i + 1);
        if start >= col || chars[start] != '@' {
            return None;
        }
        let query: String = chars[start + 1..col].iter().collect();
        let query = query.strip_prefix('"').unwrap_or(&query).to_string();
        Some(MentionAt {
            row,
            at: start,
            query,
        })
    }

    /// Replace the word starting at column `at` of line `row` (a mention) with `text`,
    /// leaving the cursor after it.
    pub fn replace_word(&mut self, row: usize, at: usize, text: &str) {
        let Some(line) = self.textarea.lines().get(row) else {
            return;
        };
        let chars: Vec<char> = line.chars().collect();
        let at = at.min(chars.len());
        let len = chars[at..]
            .iter()
            .position(|c| c.is_whitespace())
            .unwrap_or(chars.len() - at);
        self.search = None;
        self.textarea.move_cursor(jump(row, at));
        self.textarea.delete_str(len);
        self.textarea.insert_str(sanitize::show(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(c: &mut Composer, text: &str) {
        for ch in text.chars() {
            c.handle_key(key(KeyCode::Char(ch)));
        }
    }

    #[test]
    fn mentions_are_found_at_the_cursor_and_replaced_whole() {
        let mut c = Composer::new();
        typed(&mut c, "mail me@x.com about @src/ma");
        assert_eq!(
            c.mention_at_cursor(),
            Some(MentionAt {
                row: 0,
                at: 20,
                query: "src/ma".into()
            })
        );
        c.handle_key(key(KeyCode::Left));
        c.handle_key(key(KeyCode::Left));
        assert_eq!(c.mention_at_cursor().map(|m| m.query), Some("src/".into()));
        c.replace_word(0, 20, "@src/main.rs ");
        assert_eq!(c.text(), "mail me@x.com about @src/main.rs ");
        assert_eq!(c.mention_at_cursor(), None, "the cursor is past the space");
        c.set_text("me@x.com");
        assert_eq!(c.mention_at_cursor(), None, "an @ inside a word");
        c.set_text("@");
        assert_eq!(c.mention_at_cursor().map(|m| m.query), Some(String::new()));
    }
}
