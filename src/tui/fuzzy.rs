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

#[cfg(test)]
mod tests {
    use super::rank;

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
