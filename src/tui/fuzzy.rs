//! Fuzzy matching for the pickers and the `@` file finder (nucleo's matcher, the one Helix
//! uses): `rank` orders items by how well a typed query matches them, best first, and drops
//! those that do not match at all. Case is ignored; an empty query keeps every item in order.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// The indices of `items` matching `query`, best first (ties keep the items' order).
pub fn rank<T>(query: &str, items: &[T], text: impl Fn(&T) -> String) -> Vec<usize> {
    if query.trim().is_empty() {
        return (0..items.len()).collect();
    }
    let mut matcher = Matcher::new(Config::DEFAULT.match_paths());
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let haystack = text(item);
            let score = pattern.score(Utf32Str::new(&haystack, &mut buf), &mut matcher)?;
            Some((score, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

/// The character positions of `text` that `query` matches (for highlighting), ascending.
pub fn matched_chars(query: &str, text: &str) -> Vec<usize> {
    if query.trim().is_empty() {
        return Vec::new();
    }
    let mut matcher = Matcher::new(Config::DEFAULT.match_paths());
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut buf = Vec::new();
    let mut indices = Vec::new();
    if pattern
        .indices(Utf32Str::new(text, &mut buf), &mut matcher, &mut indices)
        .is_none()
    {
        return Vec::new();
    }
    let mut out: Vec<usize> = indices.into_iter().map(|i| i as usize).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::{matched_chars, rank};

    #[test]
    fn matched_chars_are_the_ones_to_highlight() {
        assert_eq!(matched_chars("smr", "src/main.rs"), [0, 4, 9]);
        assert_eq!(matched_chars("", "src/main.rs"), Vec::<usize>::new());
        assert_eq!(matched_chars("zz", "src/main.rs"), Vec::<usize>::new());
    }

    #[test]
    fn ranks_fuzzy_matches_best_first() {
        let items = [
            "anthropic/claude-opus-4-6",
            "openai/gpt-5",
            "openrouter/anthropic/claude-sonnet-4.6",
            "opus",
        ];
        let cases: [(&str, &[usize]); 5] = [
            ("", &[0, 1, 2, 3]),
            ("gpt5", &[1]),
            ("OPUS", &[3, 0, 2]),
            ("sonnet", &[2]),
            ("zzz", &[]),
        ];
        for (query, want) in cases {
            let got = rank(query, &items, |s| s.to_string());
            assert_eq!(got, want, "query {query:?}");
        }
    }
}
