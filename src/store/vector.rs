//! Vectors as the store keeps them and the arithmetic on them: unit-length `f32`s packed as a
//! little-endian BLOB (4 bytes a dimension, nothing else), cosine similarity as a dot product of
//! unit vectors, and the exact top-k scan. Exact search over a compact BLOB column was chosen
//! over an ANN extension (README "Performance": at 100,000 memories it answers within tens of
//! milliseconds and its recall is 1 by construction). Pure; no I/O.

/// Scale `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

/// The BLOB of a vector: its `f32`s, little-endian.
pub fn to_blob(v: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 4);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// A vector back from its BLOB; `None` when the length is not a whole number of `f32`s.
pub fn from_blob(blob: &[u8]) -> Option<Vec<f32>> {
    if blob.len() % 4 != 0 {
        return None;
    }
    Some(
        blob.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// Dot product of `query` with a vector still in BLOB form (no allocation); `None` when the
/// dimensions differ.
pub fn dot_blob(query: &[f32], blob: &[u8]) -> Option<f32> {
    if blob.len() != query.len() * 4 {
        return None;
    }
    let mut sum = 0.0f32;
    for (q, c) in query.iter().zip(blob.chunks_exact(4)) {
        sum += q * f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    Some(sum)
}

/// Cosine similarity of two vectors of any length (0 when either is zero or they differ).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Keeps the `k` best `(score, key)` pairs seen, best first on [`TopK::into_sorted`].
#[derive(Debug)]
pub struct TopK<K> {
    k: usize,
    items: Vec<(f32, K)>,
}

impl<K> TopK<K> {
    pub fn new(k: usize) -> Self {
        Self {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    pub fn push(&mut self, score: f32, key: K) {
        if self.k == 0 || !score.is_finite() {
            return;
        }
        if self.items.len() == self.k {
            // The worst kept is at the end (kept sorted, best first).
            match self.items.last() {
                Some((worst, _)) if score <= *worst => return,
                _ => {}
            }
            self.items.pop();
        }
        let at = self.items.partition_point(|(s, _)| *s >= score);
        self.items.insert(at, (score, key));
    }

    pub fn into_sorted(self) -> Vec<(f32, K)> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_and_reject_ragged_lengths() {
        let v = vec![0.5f32, -1.25, 3.0];
        let blob = to_blob(&v);
        assert_eq!(blob.len(), 12);
        assert_eq!(from_blob(&blob), Some(v));
        assert_eq!(from_blob(&[0, 1, 2]), None);
    }

    #[test]
    fn dot_over_blob_matches_cosine_of_unit_vectors() {
        let cases: [(&[f32], &[f32]); 3] = [
            (&[1.0, 0.0], &[1.0, 0.0]),
            (&[1.0, 1.0], &[1.0, 0.0]),
            (&[3.0, 4.0, 0.0], &[0.0, 4.0, 3.0]),
        ];
        for (a, b) in cases {
            let (mut ua, mut ub) = (a.to_vec(), b.to_vec());
            normalize(&mut ua);
            normalize(&mut ub);
            let dot = dot_blob(&ua, &to_blob(&ub)).expect("same dimension");
            assert!((dot - cosine(a, b)).abs() < 1e-6, "{a:?} {b:?}");
        }
        assert_eq!(dot_blob(&[1.0], &to_blob(&[1.0, 2.0])), None);
    }

    #[test]
    fn zero_vectors_stay_zero_and_score_zero() {
        let mut z = vec![0.0f32; 3];
        normalize(&mut z);
        assert_eq!(z, vec![0.0; 3]);
        assert_eq!(cosine(&z, &[1.0, 0.0, 0.0]), 0.0);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn top_k_keeps_the_best_in_order() {
        let mut top = TopK::new(3);
        for (score, key) in [(0.1, "a"), (0.9, "b"), (0.5, "c"), (0.7, "d"), (0.2, "e")] {
            top.push(score, key);
        }
        let keys: Vec<&str> = top.into_sorted().into_iter().map(|(_, k)| k).collect();
        assert_eq!(keys, ["b", "d", "c"]);
        let mut none = TopK::new(0);
        none.push(1.0, "x");
        assert!(none.into_sorted().is_empty());
    }
}
