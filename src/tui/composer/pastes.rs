//! Large pastes, collapsed: the draft shows a one-line `[pasted N lines]` token while the pasted
//! text waits here; sending expands every token back into its text. Tokens are atomic for
//! editing (the composer deletes and skips them whole, using the positions found here).

/// A paste with more lines than this is collapsed.
pub const COLLAPSE_LINES: usize = 20;
/// A paste with more characters than this is collapsed.
pub const COLLAPSE_CHARS: usize = 2_000;

/// Whether a paste is large enough to show as a token.
pub fn is_large(text: &str) -> bool {
    text.lines().count() > COLLAPSE_LINES || text.chars().count() > COLLAPSE_CHARS
}

/// The collapsed pastes of one draft.
#[derive(Debug, Default, Clone)]
pub struct Pastes {
    /// (token, pasted text), in paste order. Tokens are unique.
    items: Vec<(String, String)>,
}

impl Pastes {
    /// Keep `text` and return the token that stands for it in the draft.
    pub fn add(&mut self, text: String) -> String {
        let lines = text.lines().count();
        let base = if lines > COLLAPSE_LINES {
            format!("pasted {lines} lines")
        } else {
            format!("pasted {} chars", text.chars().count())
        };
        let mut token = format!("[{base}]");
        let mut n = 2;
        while self.items.iter().any(|(t, _)| *t == token) {
            token = format!("[{base} #{n}]");
            n += 1;
        }
        self.items.push((token.clone(), text));
        token
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `draft` with every token replaced by its pasted text (in one pass: pasted text is never
    /// searched for tokens).
    pub fn expand(&self, draft: &str) -> String {
        if self.items.is_empty() {
            return draft.to_string();
        }
        let mut out = String::with_capacity(draft.len());
        let mut rest = draft;
        loop {
            let next = self
                .items
                .iter()
                .filter_map(|(t, text)| rest.find(t.as_str()).map(|at| (at, t, text)))
                .min_by_key(|(at, t, _)| (*at, std::cmp::Reverse(t.len())));
            match next {
                Some((at, token, text)) => {
                    out.push_str(&rest[..at]);
                    out.push_str(text);
                    rest = &rest[at + token.len()..];
                }
                None => {
                    out.push_str(rest);
                    return out;
                }
            }
        }
    }

    /// The tokens in `line` as (start, end) character columns.
    fn spans(&self, line: &str) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        for (token, _) in &self.items {
            for (byte, _) in line.match_indices(token.as_str()) {
                let start = line[..byte].chars().count();
                spans.push((start, start + token.chars().count()));
            }
        }
        spans
    }

    /// The token that ends exactly at column `col` of `line` (what Backspace removes whole).
    pub fn ending_at(&self, line: &str, col: usize) -> Option<(usize, usize)> {
        self.spans(line).into_iter().find(|&(_, end)| end == col)
    }

    /// The token that starts exactly at column `col` of `line` (what Delete removes whole).
    pub fn starting_at(&self, line: &str, col: usize) -> Option<(usize, usize)> {
        self.spans(line)
            .into_iter()
            .find(|&(start, _)| start == col)
    }

    /// The token that column `col` of `line` is strictly inside of (the cursor never stays
    /// there).
    pub fn around(&self, line: &str, col: usize) -> Option<(usize, usize)> {
        self.spans(line)
            .into_iter()
            .find(|&(start, end)| start < col && col < end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> String {
        (0..n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn only_large_pastes_collapse() {
        let cases = [
            (lines(20), false),
            (lines(21), true),
            ("x".repeat(2_000), false),
            ("x".repeat(2_001), true),
            ("漢".repeat(2_000), false),
            (String::new(), false),
        ];
        for (text, want) in cases {
            assert_eq!(is_large(&text), want, "{} chars", text.len());
        }
    }

    #[test]
    fn tokens_are_unique_and_expand_to_their_text() {
        let mut p = Pastes::default();
        let a = p.add(lines(30));
        let b = p.add(lines(30));
        let c = p.add("y".repeat(3_000));
        assert_eq!(a, "[pasted 30 lines]");
        assert_eq!(b, "[pasted 30 lines #2]");
        assert_eq!(c, "[pasted 3000 chars]");
        let draft = format!("see {a} and {b}\nthen {c}.");
        let want = format!(
            "see {} and {}\nthen {}.",
            lines(30),
            lines(30),
            "y".repeat(3_000)
        );
        assert_eq!(p.expand(&draft), want);
        assert_eq!(p.expand("no tokens"), "no tokens");
        let mut inner = Pastes::default();
        let t = inner.add(format!("{}[pasted 1 lines]", lines(25)));
        assert!(
            inner.expand(&t).ends_with("[pasted 1 lines]"),
            "no re-expansion"
        );
        p.clear();
        assert_eq!(p.expand(&draft), draft);
    }

    #[test]
    fn token_positions_in_a_line() {
        let mut p = Pastes::default();
        let t = p.add(lines(25));
        assert_eq!(t.chars().count(), 17);
        let line = format!("é {t} z");
        // (column, ending_at, starting_at, around)
        let cases = [
            (2, None, Some((2, 19)), None),
            (3, None, None, Some((2, 19))),
            (18, None, None, Some((2, 19))),
            (19, Some((2, 19)), None, None),
            (0, None, None, None),
        ];
        for (col, end, start, around) in cases {
            assert_eq!(p.ending_at(&line, col), end, "{col}");
            assert_eq!(p.starting_at(&line, col), start, "{col}");
            assert_eq!(p.around(&line, col), around, "{col}");
        }
    }
}
