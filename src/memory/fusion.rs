//! Reciprocal rank fusion: how memory search merges the vector ranking and the full-text
//! ranking into one (a key ranked well by both beats a key ranked first by one). Pure.

/// Reciprocal rank fusion of ranked lists (best first): each key scores `sum 1 / (k + rank)`
/// over the lists it is in (rank from 1), best fused score first; ties keep first-seen order.
pub fn reciprocal_rank_fusion<K: Clone + PartialEq>(lists: &[Vec<K>], k: f32) -> Vec<(K, f32)> {
    let mut fused: Vec<(K, f32)> = Vec::new();
    for list in lists {
        for (rank, key) in list.iter().enumerate() {
            let add = 1.0 / (k + rank as f32 + 1.0);
            match fused.iter_mut().find(|(existing, _)| existing == key) {
                Some((_, score)) => *score += add,
                None => fused.push((key.clone(), add)),
            }
        }
    }
    // Stable sort: equal scores keep the order they were first seen in.
    fused.sort_by(|a, b| b.1.total_cmp(&a.1));
    fused
}

/// The constant of reciprocal rank fusion (60, as in Cormack et al. 2009).
pub const RRF_K: f32 = 60.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement_between_lists() {
        let cases: Vec<(Vec<Vec<&str>>, Vec<&str>)> = vec![
            // In both lists beats first in one list.
            (vec![vec!["a", "b"], vec!["c", "b"]], vec!["b", "a", "c"]),
            // One list: its own order.
            (vec![vec!["x", "y", "z"]], vec!["x", "y", "z"]),
            // An empty list changes nothing.
            (vec![vec![], vec!["p", "q"]], vec!["p", "q"]),
            (vec![vec![], vec![]], vec![]),
        ];
        for (lists, want) in cases {
            let got: Vec<&str> = reciprocal_rank_fusion(&lists, RRF_K)
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            assert_eq!(got, want, "{lists:?}");
        }
    }
}
